/* Unit tests: validation of ingest batches (daemon/ingest.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ingest.h"

static const ingest_limits_t lim = {
    .max_id_bytes = 16, .max_value_bytes = 32, .max_rejects = 100};

/* Parse JSON text as ingest params; returns the rc of ingest_parse. */
static int parse(const char *text, ingest_batch_t *b, char *err)
{
    json_error_t je;
    json_t *p = json_loads(text, 0, &je);
    ck_assert_msg(p != NULL, "bad test JSON: %s", je.text);
    int rc = ingest_parse(p, &lim, b, err, 256);
    json_decref(p);
    return rc;
}

/* The batch must have exactly one problem, at path. */
static void one_problem(const char *text, const char *path)
{
    ingest_batch_t b;
    char err[256];
    ck_assert_int_eq(parse(text, &b, err), 0);
    ck_assert_msg(b.rejected_count == 1, "%s: %zu problems", text,
                  b.rejected_count);
    const char *got = json_string_value(
        json_object_get(json_array_get(b.rejected, 0), "path"));
    ck_assert_str_eq(got, path);
    ingest_batch_free(&b);
}

START_TEST(valid_batch)
{
    ingest_batch_t b;
    char err[256];
    ck_assert_int_eq(
        parse("{\"people\":[{\"id\":\"a\",\"sector\":\"nhs\",\"org\":null}],"
              "\"records\":[{\"id\":\"r\",\"ts\":\"2024-01-01\",\"from\":\"a\","
              "\"to\":\"b\",\"kind\":\"advice\",\"weight\":2,"
              "\"directed\":false},"
              "{\"ts\":5,\"from\":\"a\",\"to\":\"c\",\"kind\":\"k\"}],"
              "\"events\":[{\"ts\":1,\"kind\":\"m\",\"participants\":"
              "[\"a\",\"b\",\"a\",\"c\"]}],\"on_error\":\"skip\"}",
              &b, err),
        0);
    ck_assert_uint_eq(b.rejected_count, 0);
    ck_assert(b.skip_invalid);
    ck_assert_uint_eq(b.npeople, 1);
    ck_assert_uint_eq(b.people[0].nattrs, 2);
    ck_assert_ptr_null(b.people[0].attrs[1].value.s); /* org: null */
    ck_assert_uint_eq(b.nrecords, 2);
    ck_assert_int_eq(b.records[0].ts, 1704067200);
    ck_assert(b.records[0].weight == 2.0);
    ck_assert(!b.records[0].directed);
    ck_assert_ptr_null(b.records[1].id.s);
    ck_assert(b.records[1].weight == 1.0); /* default */
    ck_assert(b.records[1].directed);      /* default */
    ck_assert_uint_eq(b.nevents, 1);
    ck_assert_uint_eq(b.events[0].nparticipants, 3); /* a repeated once */
    ck_assert_uint_eq(ingest_batch_items(&b), 4);
    ingest_batch_free(&b);
}
END_TEST

START_TEST(record_problems_have_paths)
{
    const char *ok = "{\"ts\":1,\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\"}";
    char text[512];
#define REC(body, path)                                                        \
    snprintf(text, sizeof text, "{\"records\":[%s,{%s}]}", ok, body);          \
    one_problem(text, path)
    REC("\"ts\":\"2024-02-30\",\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\"",
        "records[1].ts");
    REC("\"ts\":true,\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\"",
        "records[1].ts");
    REC("\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\"", "records[1].ts");
    REC("\"ts\":1,\"from\":\"a\",\"to\":\"a\",\"kind\":\"k\"", "records[1].to");
    REC("\"ts\":1,\"to\":\"a\",\"kind\":\"k\"", "records[1].from");
    REC("\"ts\":1,\"from\":\"aaaaaaaaaaaaaaaaa\",\"to\":\"b\",\"kind\":\"k\"",
        "records[1].from"); /* 17 bytes > max_id_bytes 16 */
    REC("\"ts\":1,\"from\":\"a\\u0001\",\"to\":\"b\",\"kind\":\"k\"",
        "records[1].from");
    REC("\"ts\":1,\"from\":\"a\",\"to\":\"b\",\"kind\":\"\"",
        "records[1].kind");
    REC("\"ts\":1,\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\",\"weight\":-0.5",
        "records[1].weight");
    REC("\"ts\":1,\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\",\"weight\":"
        "\"1\"",
        "records[1].weight");
    REC("\"ts\":1,\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\",\"directed\":1",
        "records[1].directed");
    REC("\"ts\":1,\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\",\"x\":1",
        "records[1].x");
    REC("\"ts\":1,\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\",\"id\":3",
        "records[1].id");
#undef REC
    one_problem("{\"records\":[7]}", "records[0]");
}
END_TEST

START_TEST(several_problems_one_item)
{
    ingest_batch_t b;
    char err[256];
    ck_assert_int_eq(parse("{\"records\":[{\"ts\":\"x\",\"from\":1,"
                           "\"to\":\"b\",\"kind\":\"k\"}]}",
                           &b, err),
                     0);
    ck_assert_uint_eq(b.rejected_count, 1);            /* one item */
    ck_assert_uint_eq(json_array_size(b.rejected), 2); /* two reasons */
    ck_assert_uint_eq(b.nrecords, 0);
    ingest_batch_free(&b);
}
END_TEST

START_TEST(event_and_person_problems)
{
    one_problem("{\"events\":[{\"ts\":1,\"kind\":\"m\",\"participants\":"
                "[\"a\",\"a\"]}]}",
                "events[0].participants");
    one_problem("{\"events\":[{\"ts\":1,\"kind\":\"m\",\"participants\":"
                "[\"a\",false]}]}",
                "events[0].participants[1]");
    one_problem("{\"events\":[{\"ts\":1,\"kind\":\"m\"}]}",
                "events[0].participants");
    one_problem("{\"people\":[{\"sector\":\"nhs\"}]}", "people[0].id");
    one_problem("{\"people\":[{\"id\":\"a\",\"sector\":1}]}",
                "people[0].sector");
    one_problem("{\"people\":[{\"id\":\"a\",\"9lives\":\"x\"}]}",
                "people[0].9lives");
    one_problem("{\"people\":[{\"id\":\"a\",\"note\":"
                "\"0123456789012345678901234567890123\"}]}",
                "people[0].note"); /* 34 bytes > max_value_bytes 32 */
}
END_TEST

START_TEST(malformed_params)
{
    ingest_batch_t b;
    char err[256];
    ck_assert_int_eq(parse("[]", &b, err), -1);
    ck_assert_int_eq(parse("{\"records\":{}}", &b, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "params.records"));
    ck_assert_int_eq(parse("{\"nope\":[]}", &b, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unknown field"));
    ck_assert_int_eq(parse("{\"on_error\":\"maybe\"}", &b, err), -1);
    ck_assert_int_eq(parse("{}", &b, err), 0);
    ck_assert_uint_eq(ingest_batch_items(&b), 0);
    ingest_batch_free(&b);
}
END_TEST

START_TEST(rejected_list_is_capped)
{
    ingest_limits_t small = {
        .max_id_bytes = 16, .max_value_bytes = 32, .max_rejects = 3};
    json_t *recs = json_array();
    for (int i = 0; i < 10; i++)
        json_array_append_new(recs, json_integer(i));
    json_t *p = json_pack("{s:o}", "records", recs);
    ingest_batch_t b;
    char err[256];
    ck_assert_int_eq(ingest_parse(p, &small, &b, err, sizeof err), 0);
    ck_assert_uint_eq(b.rejected_count, 10);
    ck_assert_uint_eq(json_array_size(b.rejected), 3);
    ingest_batch_free(&b);
    json_decref(p);
}
END_TEST

/* Both paths on text with limits l: the DOM path's problems (count, the
 * first path and reason), and whether the fast path took it (0) or left it
 * to the DOM path (INGEST_SCAN_FALLBACK). */
struct both {
    size_t rejected;
    char path[64], reason[256];
    int scan_rc;
    ingest_batch_t dom; /* freed by the caller */
};

static void run_both(const char *text, const ingest_limits_t *l,
                     struct both *out)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *p = json_loads(text, 0, &je);
    ck_assert_msg(p != NULL, "bad test JSON: %s", je.text);
    char err[256];
    ck_assert_int_eq(ingest_parse(p, l, &out->dom, err, sizeof err), 0);
    json_decref(p);
    out->rejected = out->dom.rejected_count;
    json_t *first = json_array_get(out->dom.rejected, 0);
    if (first) {
        snprintf(out->path, sizeof out->path, "%s",
                 json_string_value(json_object_get(first, "path")));
        snprintf(out->reason, sizeof out->reason, "%s",
                 json_string_value(json_object_get(first, "reason")));
    }
    jscan_t j = {text, text + strlen(text)};
    ingest_batch_t fast;
    out->scan_rc = ingest_scan(&j, l, &fast);
    if (out->scan_rc == 0)
        ingest_batch_free(&fast);
}

/* An event of k people is k(k-1)/2 ties: a list longer than
 * max_event_participants is refused with its path, by the DOM path, and
 * the fast path leaves it to the DOM path so the reply is the same. */
START_TEST(event_participants_limit)
{
    ingest_limits_t l = lim;
    l.max_event_participants = 4;
    const char *five =
        "{\"events\":[{\"ts\":1,\"kind\":\"m\",\"participants\":"
        "[\"a\",\"b\"]},{\"ts\":1,\"kind\":\"m\",\"participants\":"
        "[\"a\",\"b\",\"c\",\"d\",\"e\"]}]}";
    struct both r;
    run_both(five, &l, &r);
    ck_assert_uint_eq(r.rejected, 1);
    ck_assert_uint_eq(r.dom.nevents, 1);
    ck_assert_str_eq(r.path, "events[1].participants");
    ck_assert_str_eq(r.reason,
                     "lists 5 participants, more than max_event_participants "
                     "(4): an event of k people makes k(k-1)/2 ties");
    ck_assert_int_eq(r.scan_rc, INGEST_SCAN_FALLBACK);
    ingest_batch_free(&r.dom);
    /* Entries count, repeats included: the check comes before the
     * (quadratic) collapsing of repeated names. */
    run_both("{\"events\":[{\"ts\":1,\"kind\":\"m\",\"participants\":"
             "[\"a\",\"b\",\"a\",\"b\",\"a\"]}]}",
             &l, &r);
    ck_assert_uint_eq(r.rejected, 1);
    ck_assert_int_eq(r.scan_rc, INGEST_SCAN_FALLBACK);
    ingest_batch_free(&r.dom);
    /* At the limit: taken by both paths. */
    run_both("{\"events\":[{\"ts\":1,\"kind\":\"m\",\"participants\":"
             "[\"a\",\"b\",\"c\",\"d\"]}]}",
             &l, &r);
    ck_assert_uint_eq(r.rejected, 0);
    ck_assert_uint_eq(r.dom.events[0].nparticipants, 4);
    ck_assert_int_eq(r.scan_rc, 0);
    ingest_batch_free(&r.dom);
}
END_TEST

/* 0 (a caller that sets only the first three limits) is the default,
 * 1,000 participants; not "no limit". */
START_TEST(event_participants_default)
{
    size_t n = CONFIG_DEFAULT_MAX_EVENT_PARTICIPANTS;
    ck_assert_uint_eq(n, 1000);
    for (size_t k = n; k <= n + 1; k++) {
        size_t cap = 64 + k * 10;
        char *text = malloc(cap);
        ck_assert_ptr_nonnull(text);
        size_t off = (size_t)snprintf(
            text, cap,
            "{\"events\":[{\"ts\":1,\"kind\":\"m\",\"participants\":[");
        for (size_t i = 0; i < k; i++)
            off += (size_t)snprintf(text + off, cap - off, "%s\"p%zu\"",
                                    i ? "," : "", i);
        snprintf(text + off, cap - off, "]}]}");
        struct both r;
        run_both(text, &lim, &r);
        ck_assert_uint_eq(r.rejected, k > n ? 1 : 0);
        ck_assert_int_eq(r.scan_rc, k > n ? INGEST_SCAN_FALLBACK : 0);
        ingest_batch_free(&r.dom);
        free(text);
    }
}
END_TEST

/* Finite weights can still sum to infinity (1e308 + 1e308): a weight
 * above max_weight is refused, default 1e9 when the field is 0. */
START_TEST(weight_limit)
{
    struct both r;
    run_both("{\"records\":[{\"ts\":1,\"from\":\"a\",\"to\":\"b\","
             "\"kind\":\"k\",\"weight\":1e308},{\"ts\":1,\"from\":\"a\","
             "\"to\":\"b\",\"kind\":\"k\",\"weight\":1e308}]}",
             &lim, &r);
    ck_assert_uint_eq(r.rejected, 2);
    ck_assert_str_eq(r.path, "records[0].weight");
    ck_assert_str_eq(r.reason, "is above max_weight (1e+09)");
    ck_assert_int_eq(r.scan_rc, INGEST_SCAN_FALLBACK);
    ingest_batch_free(&r.dom);
    run_both("{\"events\":[{\"ts\":1,\"kind\":\"m\",\"weight\":1000000001,"
             "\"participants\":[\"a\",\"b\"]}]}",
             &lim, &r);
    ck_assert_uint_eq(r.rejected, 1);
    ck_assert_str_eq(r.path, "events[0].weight");
    ck_assert_int_eq(r.scan_rc, INGEST_SCAN_FALLBACK);
    ingest_batch_free(&r.dom);
    /* At the limit, and a configured limit. */
    run_both("{\"records\":[{\"ts\":1,\"from\":\"a\",\"to\":\"b\","
             "\"kind\":\"k\",\"weight\":1e9}]}",
             &lim, &r);
    ck_assert_uint_eq(r.rejected, 0);
    ck_assert_int_eq(r.scan_rc, 0);
    ingest_batch_free(&r.dom);
    ingest_limits_t l = lim;
    l.max_weight = 10;
    run_both("{\"records\":[{\"ts\":1,\"from\":\"a\",\"to\":\"b\","
             "\"kind\":\"k\",\"weight\":10.5}]}",
             &l, &r);
    ck_assert_uint_eq(r.rejected, 1);
    ck_assert_str_eq(r.reason, "is above max_weight (10)");
    ck_assert_int_eq(r.scan_rc, INGEST_SCAN_FALLBACK);
    ingest_batch_free(&r.dom);
}
END_TEST

START_TEST(limits_from_config)
{
    config_t cfg;
    char err[256];
    ck_assert_int_eq(config_load(NULL, &cfg, err, sizeof err), 0);
    cfg.max_event_participants = 7;
    cfg.max_weight = 3.5;
    cfg.max_id_bytes = 9;
    ingest_limits_t l = ingest_limits(&cfg);
    ck_assert_uint_eq(l.max_event_participants, 7);
    ck_assert(l.max_weight == 3.5);
    ck_assert_uint_eq(l.max_id_bytes, 9);
    ck_assert_uint_eq(l.max_value_bytes, cfg.max_value_bytes);
    ck_assert_uint_eq(l.max_rejects, cfg.max_rejects);
    config_free(&cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest");
    TCase *tc = tcase_create("ingest");
    tcase_add_test(tc, valid_batch);
    tcase_add_test(tc, record_problems_have_paths);
    tcase_add_test(tc, several_problems_one_item);
    tcase_add_test(tc, event_and_person_problems);
    tcase_add_test(tc, malformed_params);
    tcase_add_test(tc, rejected_list_is_capped);
    tcase_add_test(tc, event_participants_limit);
    tcase_add_test(tc, event_participants_default);
    tcase_add_test(tc, weight_limit);
    tcase_add_test(tc, limits_from_config);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
