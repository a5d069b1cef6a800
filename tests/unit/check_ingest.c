/* Unit tests: validation of ingest batches (daemon/ingest.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

static const ingest_limits_t lim = {16, 32, 100};

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
    const char *got =
        json_string_value(json_object_get(json_array_get(b.rejected, 0),
                                          "path"));
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
#define REC(body, path)                                                      \
    snprintf(text, sizeof text, "{\"records\":[%s,{%s}]}", ok, body);        \
    one_problem(text, path)
    REC("\"ts\":\"2024-02-30\",\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\"",
        "records[1].ts");
    REC("\"ts\":true,\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\"",
        "records[1].ts");
    REC("\"from\":\"a\",\"to\":\"b\",\"kind\":\"k\"", "records[1].ts");
    REC("\"ts\":1,\"from\":\"a\",\"to\":\"a\",\"kind\":\"k\"",
        "records[1].to");
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
    ck_assert_uint_eq(b.rejected_count, 1); /* one item */
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
    ingest_limits_t small = {16, 32, 3};
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
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
