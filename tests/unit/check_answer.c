/* Unit tests: the answer writer (daemon/answer.c): an analysis result
 * turned into the body text once (answer_build), rows ordered
 * (answer_order) and the response line written around it (answer_write).
 * The expected lines were written out and checked by hand against
 * doc/protocol.md (method analyse). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"

/* The plugin: vertex columns score (real) and label (string), a group
 * column size (int), a pair column ties (int), a network column density
 * (real). */
static const spand_column_t cols[] = {
    {SPAND_TABLE_VERTEX, "score", SPAND_REAL, "a score"},
    {SPAND_TABLE_VERTEX, "label", SPAND_STRING, "a label"},
    {SPAND_TABLE_GROUP, "size", SPAND_INT, "members"},
    {SPAND_TABLE_PAIR, "ties", SPAND_INT, "ties between"},
    {SPAND_TABLE_NETWORK, "density", SPAND_REAL, "density"},
};
static const spand_plugin_t desc = {.size = sizeof(spand_plugin_t),
                                    .name = "demo",
                                    .columns = cols,
                                    .ncolumns = 5};
static plugin_t plugin = {.name = "demo", .desc = &desc, .ncols = {2, 1, 1, 1}};

/* Three people p1, p2, p3 in groups A, B, A; one arc. */
static char *keys[] = {"p1", "p2", "p3"};
static char *gnames[] = {"A", "B"};
static view_t view;

static void view_setup(void)
{
    memset(&view, 0, sizeof view);
    ck_assert_int_eq(igraph_empty(&view.graph, 3, IGRAPH_DIRECTED), 0);
    ck_assert_int_eq(igraph_add_edge(&view.graph, 0, 1), 0);
    ck_assert_int_eq(igraph_vector_int_init(&view.group, 3), 0);
    VECTOR(view.group)[0] = 0;
    VECTOR(view.group)[1] = 1;
    VECTOR(view.group)[2] = 0;
    view.keys = keys;
    view.group_names = gnames;
    view.pub.ngroups = 2;
    view.pub.excluded = 4;
    view.boundary = "sector";
    view.data_version = 9;
}

static void view_teardown(void)
{
    igraph_destroy(&view.graph);
    igraph_vector_int_destroy(&view.group);
}

static void table(result_t *r, int k, int64_t rows, int ncols,
                  const double *cells)
{
    result_table_t *t = &r->t[k];
    t->rows = rows;
    t->ncols = ncols;
    t->cells = malloc((size_t)(rows * ncols) * sizeof(double) + 1);
    ck_assert_ptr_nonnull(t->cells);
    memcpy(t->cells, cells, (size_t)(rows * ncols) * sizeof(double));
}

/* score 0.5, NaN (null), 2; labels "x\"y", none, "é"; groups 2 and 1;
 * pair A-B set only; density 1/3. */
static result_t *make_result(void)
{
    result_t *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    r->notes = json_pack("[s]", "a note");
    const double v[] = {0.5, NAN, NAN, NAN, 2, NAN};
    table(r, SPAND_TABLE_VERTEX, 3, 2, v);
    r->t[0].texts = calloc(6, sizeof(char *));
    r->t[0].texts[1] = strdup("x\"y");
    r->t[0].texts[5] = strdup("\xc3\xa9");
    const double g[] = {2, 1};
    table(r, SPAND_TABLE_GROUP, 2, 1, g);
    const double p[] = {NAN, 1, NAN, NAN};
    table(r, SPAND_TABLE_PAIR, 4, 1, p);
    r->t[2].set = calloc(4, 1);
    r->t[2].set[1] = 1;
    const double n[] = {1.0 / 3};
    table(r, SPAND_TABLE_NETWORK, 1, 1, n);
    return r;
}

static answer_t *make_answer(void)
{
    view_spec_t spec = {.from = 1704067200, /* 2024-01-01 */
                        .to = VIEW_OPEN_TO,
                        .boundary = "sector"};
    char err[128] = "";
    answer_t *a = answer_build(&plugin, &view, &spec, NULL, make_result(), err,
                               sizeof err);
    ck_assert_msg(a != NULL, "answer_build: %s", err);
    return a;
}

/* Check's messages are short: say where the texts part. */
static void same_text(const char *got, const char *want)
{
    size_t i = 0;
    while (got[i] && got[i] == want[i])
        i++;
    ck_assert_msg(got[i] == want[i], "texts differ at byte %zu: got ...%.60s",
                  i, got + (i > 20 ? i - 20 : 0));
}

/* 1/3 prints as jansson prints it (%.17g). */
#define HEAD                                                                   \
    "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"plugin\":\"demo\","           \
    "\"boundary\":\"sector\",\"window\":{\"from\":\"2024-01-01T00:00:00Z\","   \
    "\"to\":null},\"baseline\":null,\"view\":{\"vertices\":3,\"edges\":1,"     \
    "\"excluded\":4,\"groups\":2},\"data_version\":9,\"notes\":[\"a note\"],"  \
    "\"tables\":{\"vertex\":{\"columns\":[{\"name\":\"id\",\"description\":"   \
    "\"person\"},{\"name\":\"group\",\"description\":\"sector\"},{\"name\":"   \
    "\"score\",\"description\":\"a score\"},{\"name\":\"label\","              \
    "\"description\":\"a label\"}],\"rows\":["
#define ROW1 "[\"p1\",\"A\",0.5,\"x\\\"y\"]"
#define ROW2 "[\"p2\",\"B\",null,null]"
#define ROW3 "[\"p3\",\"A\",2.0,\"\xc3\xa9\"]"
#define TAIL                                                                   \
    "],\"total_rows\":3},\"group\":{\"columns\":[{\"name\":\"group\","         \
    "\"description\":\"sector\"},{\"name\":\"size\",\"description\":"          \
    "\"members\"}],\"rows\":[[\"A\",2],[\"B\",1]]},\"pair\":{\"columns\":"     \
    "[{\"name\":\"group_a\",\"description\":\"sector\"},{\"name\":"            \
    "\"group_b\",\"description\":\"sector\"},{\"name\":\"ties\","              \
    "\"description\":\"ties between\"}],\"rows\":[[\"A\",\"B\",1]]},"          \
    "\"network\":{\"columns\":[{\"name\":\"density\",\"description\":"         \
    "\"density\"}],\"rows\":[[0.33333333333333331]]}}"

START_TEST(test_write_all_rows)
{
    answer_t *a = make_answer();
    ck_assert_uint_eq(answer_rows(a), 3);
    buf_t out = BUF_INIT;
    ck_assert_int_eq(answer_write(a, &out, "7", 1, false, 1.5, NULL, 3), 0);
    same_text(out.data, HEAD ROW1 "," ROW2 "," ROW3 TAIL
                                  ",\"cached\":false,\"elapsed_ms\":1.5}}\n");
    /* The line is one JSON text, as a client reads it. */
    json_error_t e;
    json_t *j = json_loadb(out.data, out.len - 1, 0, &e);
    ck_assert_msg(j != NULL, "%s", e.text);
    json_decref(j);
    buf_free(&out);
    answer_unref(a);
}
END_TEST

START_TEST(test_write_top_sorted)
{
    answer_t *a = make_answer();
    /* score descending: 2 (p3), 0.5 (p1), then the null (p2) last. */
    size_t keep = 2;
    uint32_t *order = answer_order(a, "score", false, &keep);
    ck_assert_ptr_nonnull(order);
    ck_assert_uint_eq(keep, 2);
    ck_assert_uint_eq(order[0], 2);
    ck_assert_uint_eq(order[1], 0);
    ck_assert_uint_eq(order[2], 1);
    buf_t out = BUF_INIT;
    BUF_LIT(&out, "before\n"); /* appends to what is there */
    ck_assert_int_eq(answer_write(a, &out, "\"q\"", 3, true, 0, order, keep),
                     0);
    const char *want = "before\n" HEAD ROW3 "," ROW1 TAIL
                       ",\"cached\":true,\"elapsed_ms\":0.0}}\n";
    /* HEAD carries id 7: this request's id is "q". */
    size_t wl = strlen(want);
    char *w = malloc(wl + 3); /* "q" is two bytes longer than 7 */
    ck_assert_ptr_nonnull(w);
    memcpy(w, want, wl + 1);
    char *at = strstr(w, "\"id\":7");
    memmove(at + 8, at + 6, strlen(at + 6) + 1);
    memcpy(at, "\"id\":\"q\"", 8);
    same_text(out.data, w);
    free(w);
    free(order);
    buf_free(&out);
    answer_unref(a);
}
END_TEST

START_TEST(test_order)
{
    answer_t *a = make_answer();
    size_t keep = 10; /* more than there are: cut to 3 */
    uint32_t *o = answer_order(a, "score", true, &keep);
    ck_assert_uint_eq(keep, 3);
    /* ascending: 0.5 (p1), 2 (p3); null (p2) still last */
    ck_assert_uint_eq(o[0], 0);
    ck_assert_uint_eq(o[1], 2);
    ck_assert_uint_eq(o[2], 1);
    free(o);
    o = answer_order(a, "label", true, &keep);
    /* bytes: "x\"y" < "\xc3\xa9"; p2's null last */
    ck_assert_uint_eq(o[0], 0);
    ck_assert_uint_eq(o[1], 2);
    ck_assert_uint_eq(o[2], 1);
    free(o);
    o = answer_order(a, "group", false, &keep);
    /* B (p2) first, then the A's tied, by id: p1, p3 */
    ck_assert_uint_eq(o[0], 1);
    ck_assert_uint_eq(o[1], 0);
    ck_assert_uint_eq(o[2], 2);
    free(o);
    o = answer_order(a, "id", false, &keep);
    ck_assert_uint_eq(o[0], 2);
    ck_assert_uint_eq(o[1], 1);
    ck_assert_uint_eq(o[2], 0);
    free(o);
    answer_unref(a);
}
END_TEST

START_TEST(test_refs)
{
    answer_t *a = make_answer();
    ck_assert_ptr_eq(answer_ref(a), a);
    answer_unref(a); /* one reference left: still readable */
    ck_assert_uint_eq(answer_rows(a), 3);
    ck_assert_uint_gt(answer_bytes(a), 0);
    answer_unref(a);
    ck_assert_ptr_null(answer_ref(NULL));
    answer_unref(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("answer");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, view_setup, view_teardown);
    tcase_add_test(tc, test_write_all_rows);
    tcase_add_test(tc, test_write_top_sorted);
    tcase_add_test(tc, test_order);
    tcase_add_test(tc, test_refs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
