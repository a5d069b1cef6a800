/* Unit tests: the analysis-result decoder (daemon/result.c), which reads
 * what an analysis child wrote; the child runs a third-party plugin and
 * may write anything. A good result decodes to exactly what was encoded;
 * every hostile form is refused with its own reason, never read past its
 * end or leaked (the sanitizer build checks both). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

/* vertex: a (real), b (string); group: g (real); pair: p (string);
 * network: n (string), m (real). View: 3 people, 2 groups. */
static const spand_column_t cols[] = {
    {SPAND_TABLE_VERTEX, "a", SPAND_REAL, "a"},
    {SPAND_TABLE_VERTEX, "b", SPAND_STRING, "b"},
    {SPAND_TABLE_GROUP, "g", SPAND_REAL, "g"},
    {SPAND_TABLE_PAIR, "p", SPAND_STRING, "p"},
    {SPAND_TABLE_NETWORK, "n", SPAND_STRING, "n"},
    {SPAND_TABLE_NETWORK, "m", SPAND_REAL, "m"},
};
static const spand_plugin_t desc = {.size = sizeof(spand_plugin_t),
                                    .name = "t",
                                    .columns = cols,
                                    .ncolumns = 6};
static plugin_t plugin = {.name = "t", .desc = &desc, .ncols = {2, 1, 1, 2}};
static view_t view;

static void setup(void)
{
    memset(&view, 0, sizeof view);
    ck_assert_int_eq(igraph_empty(&view.graph, 3, IGRAPH_DIRECTED), 0);
    view.pub.ngroups = 2;
}

static void teardown(void)
{
    igraph_destroy(&view.graph);
}

/* ---- writing blobs by hand ---- */

static void w_raw(buf_t *b, const void *p, size_t n)
{
    ck_assert_int_eq(buf_append(b, p, n), 0);
}
static void w64(buf_t *b, uint64_t v)
{
    w_raw(b, &v, 8);
}
static void w32(buf_t *b, uint32_t v)
{
    w_raw(b, &v, 4);
}
static void wd(buf_t *b, double v)
{
    w_raw(b, &v, 8);
}

static void w_head(buf_t *b, int64_t rows, int32_t ncols, uint8_t flag)
{
    w64(b, (uint64_t)rows);
    w32(b, (uint32_t)ncols);
    uint8_t f[4] = {flag, 0, 0, 0};
    w_raw(b, f, 4);
}

static void w_text(buf_t *b, uint64_t idx, const char *s, uint32_t len)
{
    w64(b, idx);
    w32(b, len);
    w_raw(b, s, len);
}

/* A good blob: vertex a = 1, 2, 3 with b = "x" on row 1; groups 10, 20;
 * pair (0,1) = "p" set; network n = "net", m = 0.25; one note "hi".
 * vertex_texts lets a test put other texts in the vertex table. */
static void good(buf_t *b, void (*vertex_texts)(buf_t *), const char *note,
                 uint32_t note_len)
{
    w_raw(b, "SPNDRES1", 8);
    w_head(b, 3, 2, 0);
    for (int i = 0; i < 6; i++)
        wd(b, i % 2 ? NAN : i / 2 + 1);
    if (vertex_texts) {
        vertex_texts(b);
    } else {
        w64(b, 1);
        w_text(b, 3, "x", 1); /* row 1, column 1 */
    }
    w_head(b, 2, 1, 0);
    wd(b, 10);
    wd(b, 20);
    w64(b, 0);
    w_head(b, 4, 1, 1);
    for (int i = 0; i < 4; i++)
        wd(b, NAN);
    w_raw(b, "\0\1\0\0", 4);
    w64(b, 1);
    w_text(b, 1, "p", 1);
    w_head(b, 1, 2, 0);
    wd(b, NAN);
    wd(b, 0.25);
    w64(b, 1);
    w_text(b, 0, "net", 3);
    w32(b, 1);
    w32(b, note_len);
    w_raw(b, note, note_len);
    w_raw(b, "SPNDEND1", 8);
}

/* Decode; returns the reason ("" on success, then *out set). */
static const char *decode(const buf_t *b, result_t **out)
{
    static char why[256];
    why[0] = '\0';
    result_t *r = NULL;
    int rc =
        result_decode(&plugin, &view, b->data, b->len, &r, why, sizeof why);
    if (rc == 0) {
        ck_assert_str_eq(why, "");
        if (out)
            *out = r;
        else
            result_free(r);
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_ptr_null(r);
        ck_assert_str_ne(why, ""); /* a refusal always says why */
    }
    return why;
}

START_TEST(test_good)
{
    buf_t b = BUF_INIT;
    good(&b, NULL, "hi", 2);
    result_t *r = NULL;
    ck_assert_str_eq(decode(&b, &r), "");
    ck_assert_int_eq(r->t[0].rows, 3);
    ck_assert_int_eq(r->t[0].ncols, 2);
    ck_assert(r->t[0].cells[0] == 1 && r->t[0].cells[2] == 2 &&
              r->t[0].cells[4] == 3 && isnan(r->t[0].cells[1]));
    ck_assert_str_eq(r->t[0].texts[3], "x");
    ck_assert_ptr_null(r->t[0].texts[1]);
    ck_assert(r->t[1].cells[0] == 10 && r->t[1].cells[1] == 20);
    ck_assert_ptr_null(r->t[1].texts); /* no texts: no array */
    ck_assert_int_eq(r->t[2].rows, 4);
    ck_assert_int_eq(r->t[2].set[1], 1);
    ck_assert_int_eq(r->t[2].set[0], 0);
    ck_assert_str_eq(r->t[2].texts[1], "p");
    ck_assert_str_eq(r->t[3].texts[0], "net");
    ck_assert(r->t[3].cells[1] == 0.25);
    ck_assert_uint_eq(json_array_size(r->notes), 1);
    ck_assert_str_eq(json_string_value(json_array_get(r->notes, 0)), "hi");
    /* Encoding what was decoded gives the same bytes back. */
    buf_t again = BUF_INIT;
    ck_assert_int_eq(result_encode(r, &again), 0);
    ck_assert_uint_eq(again.len, b.len);
    ck_assert_mem_eq(again.data, b.data, b.len);
    buf_free(&again);
    result_free(r);
    buf_free(&b);
}
END_TEST

START_TEST(test_every_prefix_and_extra)
{
    buf_t b = BUF_INIT;
    good(&b, NULL, "hi", 2);
    /* Every proper prefix is refused (each its own allocation, exactly
     * that long, so that the sanitizer sees any overread). */
    for (size_t n = 0; n < b.len; n++) {
        buf_t cut = BUF_INIT;
        w_raw(&cut, b.data, n);
        char *exact = malloc(n ? n : 1);
        memcpy(exact, cut.data ? cut.data : "", n);
        result_t *r = NULL;
        char why[256] = "";
        ck_assert_int_eq(
            result_decode(&plugin, &view, exact, n, &r, why, sizeof why), -1);
        ck_assert_msg(strstr(why, "cut short") || strstr(why, "start as one") ||
                          strstr(why, "end as one"),
                      "prefix %zu: %s", n, why);
        free(exact);
        buf_free(&cut);
    }
    w_raw(&b, "!", 1); /* one byte too many */
    ck_assert_str_eq(decode(&b, NULL), "the result does not end as one");
    buf_free(&b);
}
END_TEST

START_TEST(test_bad_magic_and_shape)
{
    buf_t b = BUF_INIT;
    good(&b, NULL, "hi", 2);
    b.data[0] = 'X';
    ck_assert_str_eq(decode(&b, NULL), "the result does not start as one");
    b.data[0] = 'S';
    b.data[8] = 4; /* vertex rows 4, the view has 3 */
    ck_assert_str_eq(decode(&b, NULL), "vertex table has 4 rows, expected 3");
    b.data[8] = 3;
    b.data[16] = 3; /* 3 vertex columns, 2 declared */
    ck_assert_str_eq(decode(&b, NULL),
                     "vertex table has 3 columns, declared 2");
    b.data[16] = 2;
    b.data[20] = 1; /* a set-flags array for a vertex table */
    ck_assert_str_eq(decode(&b, NULL), "vertex table is malformed");
    b.data[20] = 0;
    b.data[23] = 7; /* padding not zero */
    ck_assert_str_eq(decode(&b, NULL), "vertex table is malformed");
    b.data[23] = 0;
    ck_assert_str_eq(decode(&b, NULL), "");
    buf_free(&b);
}
END_TEST

static void text_in_real_column(buf_t *b)
{
    w64(b, 1);
    w_text(b, 2, "x", 1); /* row 1, column 0: a */
}
static void text_out_of_range(buf_t *b)
{
    w64(b, 1);
    w_text(b, 6, "x", 1); /* 3 rows x 2 columns: 0..5 */
}
static void text_twice(buf_t *b)
{
    w64(b, 2);
    w_text(b, 1, "x", 1);
    w_text(b, 1, "y", 1);
}
static void text_with_nul(buf_t *b)
{
    w64(b, 1);
    w_text(b, 1, "a\0b", 3);
}
static void too_many_texts(buf_t *b)
{
    w64(b, 7); /* more than the 6 cells */
}
static void huge_text_count(buf_t *b)
{
    w64(b, UINT64_MAX);
}
static void huge_text_len(buf_t *b)
{
    w64(b, 1);
    w64(b, 1);
    w32(b, UINT32_MAX); /* and nothing of it follows */
}

START_TEST(test_bad_texts)
{
    static const struct {
        void (*fn)(buf_t *);
        const char *why;
    } cases[] = {
        {text_in_real_column, "vertex row 1 column 0 has the wrong type"},
        {text_out_of_range, "vertex row 3 column 0 has the wrong type"},
        {text_twice, "vertex row 0 column 1 has the wrong type"},
        {text_with_nul, "vertex row 0 column 1 has the wrong type"},
        {too_many_texts, "vertex table has too many texts"},
        {huge_text_count, "vertex table has too many texts"},
        {huge_text_len, "the result is cut short"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_t b = BUF_INIT;
        good(&b, cases[i].fn, "hi", 2);
        ck_assert_msg(!strcmp(decode(&b, NULL), cases[i].why), "case %zu: %s",
                      i, decode(&b, NULL));
        buf_free(&b);
    }
}
END_TEST

START_TEST(test_bad_notes)
{
    buf_t b = BUF_INIT;
    good(&b, NULL, "\xff", 1); /* not UTF-8 */
    ck_assert_str_eq(decode(&b, NULL), "a note is not a string");
    buf_clear(&b);
    /* Valid UTF-8 with a NUL: refused, and nothing made of it leaks
     * (fixed after tests/fuzz/fuzz_result found the leak). */
    good(&b, NULL, "a\0b", 3);
    ck_assert_str_eq(decode(&b, NULL), "a note is not a string");
    buf_clear(&b);
    good(&b, NULL, "", 0); /* an empty note is a note */
    ck_assert_str_eq(decode(&b, NULL), "");
    buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("result");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_good);
    tcase_add_test(tc, test_every_prefix_and_extra);
    tcase_add_test(tc, test_bad_magic_and_shape);
    tcase_add_test(tc, test_bad_texts);
    tcase_add_test(tc, test_bad_notes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
