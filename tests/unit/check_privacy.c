/* check_privacy.c - pseudonyms, the key file, suppression and the
 * reader's rewrite on hand-made answer tables (privacy.h). */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "privacy.h"

static char dir[] = "/tmp/check_privacy.XXXXXX";
static const unsigned char key1[PRIVACY_KEY_BYTES] = {1, 2, 3};
static const unsigned char key2[PRIVACY_KEY_BYTES] = {9, 9, 9};

START_TEST(pseudonym_form_and_keying)
{
    char a[PRIVACY_PSEUDONYM_LEN + 1], b[PRIVACY_PSEUDONYM_LEN + 1];
    privacy_pseudonym(key1, "alice", 5, a);
    ck_assert_uint_eq(strlen(a), 14);
    ck_assert(!strncmp(a, "p-", 2));
    for (int i = 2; i < 14; i++)
        ck_assert_msg(strchr("abcdefghijklmnopqrstuvwxyz234567", a[i]), "%s",
                      a);
    privacy_pseudonym(key1, "alice", 5, b);
    ck_assert_str_eq(a, b); /* stable */
    privacy_pseudonym(key2, "alice", 5, b);
    ck_assert_str_ne(a, b); /* another installation */
    privacy_pseudonym(key1, "alicf", 5, b);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(key_file_made_once_0600)
{
    char path[PATH_MAX], err[256];
    unsigned char k[PRIVACY_KEY_BYTES], again[PRIVACY_KEY_BYTES];
    snprintf(path, sizeof path, "%s/k1", dir);
    mode_t old = umask(0); /* a lax umask must not make it readable */
    int rc = privacy_key_open(path, k, err, sizeof err);
    umask(old);
    ck_assert_msg(rc == 0, "%s", err);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(st.st_size, 32);
    ck_assert_int_eq(privacy_key_open(path, again, err, sizeof err), 0);
    ck_assert(!memcmp(k, again, sizeof k));
    /* Another file, another key. */
    snprintf(path, sizeof path, "%s/k2", dir);
    ck_assert_int_eq(privacy_key_open(path, again, err, sizeof err), 0);
    ck_assert(memcmp(k, again, sizeof k) != 0);
    /* Readable by others: refused, not used. */
    ck_assert_int_eq(chmod(path, 0644), 0);
    ck_assert_int_eq(privacy_key_open(path, again, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "chmod 600"));
    /* A short file: refused (not silently replaced). */
    snprintf(path, sizeof path, "%s/k3", dir);
    FILE *f = fopen(path, "w");
    fputs("short", f);
    fclose(f);
    chmod(path, 0600);
    ck_assert_int_eq(privacy_key_open(path, again, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "32-byte"));
}
END_TEST

START_TEST(identifying_list)
{
    ck_assert(privacy_identifying("name", "name"));
    ck_assert(privacy_identifying(" name , email", "email"));
    ck_assert(privacy_identifying("name,email", "name"));
    ck_assert(!privacy_identifying("name,email", "nam"));
    ck_assert(!privacy_identifying("name", "names"));
    ck_assert(!privacy_identifying("", "name"));
}
END_TEST

/* Groups A 3 people, B 10, C 20, D 8 (41 people); min 5. */
static privacy_facts_t *facts(void)
{
    const char *names[] = {"A", "B", "C", "D"};
    const int64_t sizes[] = {3, 10, 20, 8};
    privacy_facts_t *f = privacy_facts_new(4, names, sizes, 41);
    ck_assert_ptr_nonnull(f);
    const char *keys[] = {"a1", "a2", "b1", "Jane Doe"};
    for (size_t i = 0; i < 4; i++)
        ck_assert_int_eq(privacy_facts_add_key(f, keys[i]), 0);
    return f;
}

static json_t *answer(const char *tables)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"plugin\":\"x\",\"notes\":[\"a1 is a broker\",\"fine\"],"
             "\"tables\":%s}",
             tables);
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    ck_assert_msg(j != NULL, "%s", e.text);
    return j;
}

static json_t *rows(json_t *r, const char *table)
{
    return json_object_get(json_object_get(json_object_get(r, "tables"), table),
                           "rows");
}

/* Row i of a table as compact JSON text, for exact comparison. */
static char *row_text(json_t *r, const char *table, size_t i)
{
    return json_dumps(json_array_get(rows(r, table), i), JSON_COMPACT);
}

#define ROW_IS(r, t, i, want)                                                  \
    do {                                                                       \
        char *got_ = row_text(r, t, i);                                        \
        ck_assert_str_eq(got_, want);                                          \
        free(got_);                                                            \
    } while (0)

static const char group_table[] =
    "{\"group\":{\"columns\":[{\"name\":\"group\"},{\"name\":\"density\"},"
    "{\"name\":\"ties\"}],\"rows\":[[\"A\",0.5,4],[\"B\",0.25,12],"
    "[\"C\",0.125,30],[\"D\",0.75,7]]},"
    "\"network\":{\"columns\":[{\"name\":\"ties\"},{\"name\":\"ei\"}],"
    "\"rows\":[[53,-0.5]]}}";

/* A (3 people) is withheld whole; it is the only small group, and the
 * network row holds the total, so the next smallest, D (8), goes too. */
START_TEST(suppress_small_group_and_complement)
{
    privacy_facts_t *f = facts();
    json_t *r = answer(group_table);
    char err[256] = "";
    ck_assert_msg(
        privacy_apply(r, f, PRIVACY_SUPPRESS, 5, NULL, err, sizeof err) == 0,
        "%s", err);
    ROW_IS(r, "group", 0, "[\"A\",null,null,\"density,ties\"]");
    ROW_IS(r, "group", 1, "[\"B\",0.25,12,\"\"]");
    ROW_IS(r, "group", 2, "[\"C\",0.125,30,\"\"]");
    ROW_IS(r, "group", 3, "[\"D\",null,null,\"density,ties\"]");
    ROW_IS(r, "network", 0, "[53,-0.5,\"\"]");
    json_t *cols = json_object_get(
        json_object_get(json_object_get(r, "tables"), "group"), "columns");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(cols, 3), "name")),
        "suppressed");
    json_t *p = json_object_get(r, "privacy");
    ck_assert_int_eq(json_integer_value(json_object_get(p, "min_group_size")),
                     5);
    ck_assert(json_is_true(json_object_get(p, "suppressed")));
    /* Suppression alone leaves ids in notes alone. */
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(r, "notes"), 0)),
        "a1 is a broker");
    json_decref(r);
    privacy_facts_free(f);
}
END_TEST

/* Every group large enough; B's count of 2 ties is below 5 and so is
 * withheld, and with it the ties of the next smallest group showing that
 * column, D (8 people); the network's count of 3 is withheld, its real
 * column kept. */
START_TEST(suppress_small_counts_and_complement)
{
    const char *names[] = {"B", "C", "D"};
    const int64_t sizes[] = {10, 20, 8};
    privacy_facts_t *f = privacy_facts_new(3, names, sizes, 38);
    json_t *r = answer(
        "{\"group\":{\"columns\":[{\"name\":\"group\"},{\"name\":\"ties\"},"
        "{\"name\":\"share\"}],\"rows\":[[\"B\",2,0.5],[\"C\",40,0.25],"
        "[\"D\",9,0.25]]},"
        "\"network\":{\"columns\":[{\"name\":\"cut\"},{\"name\":\"d\"}],"
        "\"rows\":[[3,0.5]]}}");
    char err[256] = "";
    ck_assert_int_eq(
        privacy_apply(r, f, PRIVACY_SUPPRESS, 5, NULL, err, sizeof err), 0);
    ROW_IS(r, "group", 0, "[\"B\",null,0.5,\"ties\"]");
    ROW_IS(r, "group", 1, "[\"C\",40,0.25,\"\"]");
    ROW_IS(r, "group", 2, "[\"D\",null,0.25,\"ties\"]");
    ROW_IS(r, "network", 0, "[null,0.5,\"cut\"]");
    json_decref(r);
    privacy_facts_free(f);
}
END_TEST

/* Pair rows: withheld when either group is small (A) or its
 * complement (D); a count below 5 withheld and complemented within its
 * group_a's rows and its group_b's rows. */
START_TEST(suppress_pairs)
{
    privacy_facts_t *f = facts();
    json_t *r = answer(
        "{\"pair\":{\"columns\":[{\"name\":\"group_a\"},{\"name\":\"group_b\"},"
        "{\"name\":\"n\"}],\"rows\":[[\"A\",\"B\",10],[\"B\",\"D\",6],"
        "[\"B\",\"C\",30],[\"C\",\"B\",30],[\"C\",\"C\",50]]}}");
    char err[256] = "";
    ck_assert_int_eq(
        privacy_apply(r, f, PRIVACY_SUPPRESS, 5, NULL, err, sizeof err), 0);
    ROW_IS(r, "pair", 0, "[\"A\",\"B\",null,\"n\"]");
    ROW_IS(r, "pair", 1, "[\"B\",\"D\",null,\"n\"]");
    /* B's rows: (B,D) alone withheld beside (B,C): (B,C) goes too; B's
     * column: (A,B) alone beside (C,B): (C,B) goes; C's rows: (C,B)
     * alone beside (C,C): (C,C) goes. Every cell is then one of two or
     * more withheld in its row and its column. */
    ROW_IS(r, "pair", 2, "[\"B\",\"C\",null,\"n\"]");
    ROW_IS(r, "pair", 3, "[\"C\",\"B\",null,\"n\"]");
    ROW_IS(r, "pair", 4, "[\"C\",\"C\",null,\"n\"]");
    json_decref(r);
    privacy_facts_free(f);
}
END_TEST

/* The reader's rewrite: no vertex table, suppression, and a text cell or
 * note holding a person key withheld; a text without one kept. */
START_TEST(reader_rewrite)
{
    privacy_facts_t *f = facts();
    json_t *r = answer(
        "{\"vertex\":{\"columns\":[{\"name\":\"id\"},{\"name\":\"group\"},"
        "{\"name\":\"x\"}],\"rows\":[[\"a1\",\"A\",1.0]]},"
        "\"group\":{\"columns\":[{\"name\":\"group\"},{\"name\":\"holders\"}"
        ",{\"name\":\"label\"}],\"rows\":[[\"B\",\"b1, a2\",\"north\"],"
        "[\"C\",\"Jane Doe\",\"south, west\"],[\"D\",\"nobody here\","
        "\"x\"]]}}");
    char err[256] = "";
    ck_assert_msg(privacy_for_reader(r, f, 5, err, sizeof err) == 0, "%s", err);
    ck_assert_ptr_null(json_object_get(json_object_get(r, "tables"), "vertex"));
    ROW_IS(r, "group", 0, "[\"B\",null,\"north\",\"holders\"]");
    ROW_IS(r, "group", 1, "[\"C\",null,\"south, west\",\"holders\"]");
    /* D is withheld whole (the complement of A, 3 people). Text is no
     * sum: no complement for it. */
    ROW_IS(r, "group", 2, "[\"D\",null,null,\"holders,label\"]");
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(r, "notes"), 0)),
        "(withheld: this note names a person)");
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(r, "notes"), 1)),
        "fine");
    char *all = json_dumps(r, JSON_COMPACT);
    const char *ids[] = {"a1", "a2", "b1", "Jane Doe"};
    for (size_t i = 0; i < 4; i++)
        ck_assert_msg(!strstr(all, ids[i]), "%s in %s", ids[i], all);
    free(all);
    json_decref(r);
    privacy_facts_free(f);
}
END_TEST

START_TEST(pseudonymise_ids_texts_notes)
{
    privacy_facts_t *f = facts();
    json_t *r = answer(
        "{\"vertex\":{\"columns\":[{\"name\":\"id\"},{\"name\":\"group\"},"
        "{\"name\":\"top\"}],\"rows\":[[\"a1\",\"A\",\"b1\"],"
        "[\"a2\",\"A\",null],[\"b1\",\"B\",\"a1, Jane Doe, x9\"]]}}");
    char err[256] = "";
    ck_assert_int_eq(
        privacy_apply(r, f, PRIVACY_PSEUDONYMISE | PRIVACY_ORDER_BY_PSEUDONYM,
                      5, key1, err, sizeof err),
        0);
    char pa1[15], pa2[15], pb1[15], pj[15], want[256];
    privacy_pseudonym(key1, "a1", 2, pa1);
    privacy_pseudonym(key1, "a2", 2, pa2);
    privacy_pseudonym(key1, "b1", 2, pb1);
    privacy_pseudonym(key1, "Jane Doe", 8, pj);
    json_t *rs = rows(r, "vertex");
    ck_assert_uint_eq(json_array_size(rs), 3);
    /* In pseudonym order, whatever the order of the ids. */
    for (size_t i = 1; i < 3; i++)
        ck_assert_int_lt(
            strcmp(
                json_string_value(json_array_get(json_array_get(rs, i - 1), 0)),
                json_string_value(json_array_get(json_array_get(rs, i), 0))),
            0);
    for (size_t i = 0; i < 3; i++) {
        json_t *row = json_array_get(rs, i);
        const char *id = json_string_value(json_array_get(row, 0));
        const char *top = json_string_value(json_array_get(row, 2));
        if (!strcmp(id, pa1)) {
            ck_assert_str_eq(top, pb1);
        } else if (!strcmp(id, pb1)) {
            snprintf(want, sizeof want, "%s, %s, x9", pa1, pj);
            ck_assert_str_eq(top, want);
        } else {
            ck_assert_str_eq(id, pa2);
            ck_assert_ptr_null(top);
        }
    }
    snprintf(want, sizeof want, "%s is a broker", pa1);
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(r, "notes"), 0)),
        want);
    ck_assert(json_is_true(
        json_object_get(json_object_get(r, "privacy"), "pseudonymised")));
    /* No key: refused, not done with a guessable one. */
    json_t *r2 = answer("{}");
    ck_assert_int_eq(
        privacy_apply(r2, f, PRIVACY_PSEUDONYMISE, 5, NULL, err, sizeof err),
        -1);
    json_decref(r2);
    json_decref(r);
    privacy_facts_free(f);
}
END_TEST

/* A whole response line: rewritten, then the vertex rows cut to keep. */
START_TEST(apply_line_keeps)
{
    privacy_facts_t *f = facts();
    buf_t line = BUF_INIT;
    buf_puts(&line, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"tables\":"
                    "{\"vertex\":{\"columns\":[{\"name\":\"id\"},{\"name\":"
                    "\"group\"}],\"rows\":[[\"a1\",\"A\"],[\"a2\",\"A\"],"
                    "[\"b1\",\"B\"]]}},\"cached\":false}}\n");
    char err[256] = "";
    ck_assert_int_eq(
        privacy_apply_line(&line, f,
                           PRIVACY_PSEUDONYMISE | PRIVACY_ORDER_BY_PSEUDONYM, 5,
                           key1, 2, err, sizeof err),
        0);
    ck_assert_int_eq(line.data[line.len - 1], '\n');
    json_t *j = json_loadb(line.data, line.len, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), 7);
    ck_assert_uint_eq(
        json_array_size(rows(json_object_get(j, "result"), "vertex")), 2);
    ck_assert_ptr_null(strstr(line.data, "\"a1\""));
    json_decref(j);
    buf_free(&line);
    privacy_facts_free(f);
}
END_TEST

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    Suite *s = suite_create("privacy");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, pseudonym_form_and_keying);
    tcase_add_test(tc, key_file_made_once_0600);
    tcase_add_test(tc, identifying_list);
    tcase_add_test(tc, suppress_small_group_and_complement);
    tcase_add_test(tc, suppress_small_counts_and_complement);
    tcase_add_test(tc, suppress_pairs);
    tcase_add_test(tc, reader_rewrite);
    tcase_add_test(tc, pseudonymise_ids_texts_notes);
    tcase_add_test(tc, apply_line_keeps);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
