#define _GNU_SOURCE /* asprintf */
/* Unit tests: daemon/export.c on views made by hand, with ids and group
 * names the store could hold from elsewhere (control characters, bytes
 * that are not UTF-8, U+FFFE/U+FFFF): the exact text of each format, the
 * refusal of ids a replacement would merge, CSV's spreadsheet_safe, and
 * the sink (pieces, and its error stopping the export). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "export.h"
#include "view.h"

/* A view of n people with keys and group names, and arcs (from[i],
 * to[i]) of weight w[i]; everyone in the group of the same index. */
static void make_view(view_t *v, int n, char **keys, char **groups, int m,
                      const int *from, const int *to, const double *w)
{
    memset(v, 0, sizeof *v);
    igraph_vector_int_t edges;
    ck_assert_int_eq(igraph_vector_int_init(&edges, 2 * m), 0);
    for (int e = 0; e < m; e++) {
        VECTOR(edges)[2 * e] = from[e];
        VECTOR(edges)[2 * e + 1] = to[e];
    }
    ck_assert_int_eq(igraph_create(&v->graph, &edges, n, IGRAPH_DIRECTED), 0);
    igraph_vector_int_destroy(&edges);
    ck_assert_int_eq(igraph_vector_init(&v->weights, m), 0);
    for (int e = 0; e < m; e++)
        VECTOR(v->weights)[e] = w[e];
    ck_assert_int_eq(igraph_vector_int_init(&v->group, n), 0);
    for (int i = 0; i < n; i++)
        VECTOR(v->group)[i] = i;
    v->keys = keys;
    v->group_names = groups;
    v->boundary = "sector";
}

static void free_view(view_t *v)
{
    igraph_destroy(&v->graph);
    igraph_vector_destroy(&v->weights);
    igraph_vector_int_destroy(&v->group);
}

static int export_text(const view_t *v, const char *format, bool safe,
                       buf_t *out, char *err, size_t errlen)
{
    export_opts_t o = {.format = format, .spreadsheet_safe = safe};
    export_sink_t sink = {export_sink_buf, out};
    buf_clear(out);
    return export_view(v, &o, &sink, err, errlen);
}

/* Two people whose ids and groups hold one of everything. */
static char *odd_keys[] = {"c\x01"
                           "a\xEF\xBF\xBE"
                           "b\xff"
                           "<&>\"'",
                           "t\tn\nr\r\\\"x"};
static char *odd_groups[] = {"g\x1f\x7f", "=tab\t"};
static const int odd_from[] = {0}, odd_to[] = {1};
static const double odd_w[] = {1e-7};

START_TEST(graphml_replaces_what_xml_cannot_carry)
{
    view_t v;
    make_view(&v, 2, odd_keys, odd_groups, 1, odd_from, odd_to, odd_w);
    buf_t b = BUF_INIT;
    char err[256];
    ck_assert_int_eq(export_text(&v, "graphml", false, &b, err, sizeof err), 0);
    const char *want =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
        "  <key id=\"group\" for=\"node\" attr.name=\"sector\" "
        "attr.type=\"string\"/>\n"
        "  <key id=\"weight\" for=\"edge\" attr.name=\"weight\" "
        "attr.type=\"double\"/>\n"
        "  <graph id=\"spand\" edgedefault=\"directed\">\n"
        "    <node id=\"c\xEF\xBF\xBD"
        "a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD"
        "&lt;&amp;&gt;&quot;&apos;\"><data key=\"group\">g\xEF\xBF\xBD\x7f"
        "</data></node>\n"
        "    <node id=\"t&#9;n&#10;r&#13;\\&quot;x\"><data key=\"group\">"
        "=tab&#9;</data></node>\n"
        "    <edge source=\"c\xEF\xBF\xBD"
        "a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD"
        "&lt;&amp;&gt;&quot;&apos;\" target=\"t&#9;n&#10;r&#13;\\&quot;x\">"
        "<data key=\"weight\">9.9999999999999995e-08</data></edge>\n"
        "  </graph>\n</graphml>\n";
    ck_assert_str_eq(buf_str(&b), want);
    buf_free(&b);
    free_view(&v);
}
END_TEST

START_TEST(dot_and_csv_keep_controls_escape_the_rest)
{
    view_t v;
    make_view(&v, 2, odd_keys, odd_groups, 1, odd_from, odd_to, odd_w);
    buf_t b = BUF_INIT;
    char err[256];
    ck_assert_int_eq(export_text(&v, "dot", false, &b, err, sizeof err), 0);
    ck_assert_str_eq(
        buf_str(&b),
        "digraph spand {\n"
        "  \"c\x01"
        "a\xEF\xBF\xBE"
        "b\xEF\xBF\xBD<&>\\\"'\" [group=\"g\x1f\x7f\"];\n"
        "  \"t\tn\\nr\\r\\\\\\\"x\" [group=\"=tab\t\"];\n"
        "  \"c\x01"
        "a\xEF\xBF\xBE"
        "b\xEF\xBF\xBD<&>\\\"'\" -> "
        "\"t\tn\\nr\\r\\\\\\\"x\" [weight=\"9.9999999999999995e-08\"];\n"
        "}\n");
    ck_assert_int_eq(export_text(&v, "csv", false, &b, err, sizeof err), 0);
    ck_assert_str_eq(buf_str(&b), "from,to,weight,from_group,to_group\n"
                                  "\"c\x01"
                                  "a\xEF\xBF\xBE"
                                  "b\xEF\xBF\xBD<&>\"\"'\","
                                  "\"t\tn\nr\r\\\"\"x\",9.9999999999999995e-08,"
                                  "g\x1f\x7f,=tab\t\n");
    ck_assert_int_eq(export_text(&v, "csv", true, &b, err, sizeof err), 0);
    ck_assert_str_eq(buf_str(&b), "from,to,weight,from_group,to_group\n"
                                  "\"c\x01"
                                  "a\xEF\xBF\xBE"
                                  "b\xEF\xBF\xBD<&>\"\"'\","
                                  "\"t\tn\nr\r\\\"\"x\",9.9999999999999995e-08,"
                                  "g\x1f\x7f,\"'=tab\t\"\n");
    buf_free(&b);
    free_view(&v);
}
END_TEST

START_TEST(spreadsheet_safe_prefixes_formula_cells_only)
{
    static char *keys[] = {"=1+2", "+x", "-y", "@z", "\tq", "\rr", "a=b"};
    static char *groups[] = {"-", "ok", "ok", "ok", "ok", "ok", "ok"};
    static const int from[] = {0, 2, 4, 6}, to[] = {1, 3, 5, 0};
    static const double w[] = {-1.5, 2, 3, 4};
    view_t v;
    make_view(&v, 7, keys, groups, 4, from, to, w);
    buf_t b = BUF_INIT;
    char err[256];
    ck_assert_int_eq(export_text(&v, "csv", true, &b, err, sizeof err), 0);
    /* The weight -1.5 is a number spand prints: never prefixed. */
    ck_assert_str_eq(buf_str(&b), "from,to,weight,from_group,to_group\n"
                                  "\"'=1+2\",\"'+x\",-1.5,\"'-\",ok\n"
                                  "\"'-y\",\"'@z\",2,ok,ok\n"
                                  "\"'\tq\",\"'\rr\",3,ok,ok\n"
                                  "a=b,\"'=1+2\",4,ok,\"'-\"\n");
    ck_assert_int_eq(export_text(&v, "csv", false, &b, err, sizeof err), 0);
    ck_assert_str_eq(buf_str(&b), "from,to,weight,from_group,to_group\n"
                                  "=1+2,+x,-1.5,-,ok\n"
                                  "-y,@z,2,ok,ok\n"
                                  "\tq,\"\rr\",3,ok,ok\n"
                                  "a=b,=1+2,4,ok,-\n");
    buf_free(&b);
    free_view(&v);
}
END_TEST

/* ids that differ only where XML cannot carry them would be one node. */
START_TEST(ids_that_would_merge_are_refused)
{
    static char *fffe_ffff[] = {"a\xEF\xBF\xBE", "a\xEF\xBF\xBF"};
    static char *ctl_fffd[] = {"a\x01", "a\xEF\xBF\xBD"};
    static char *bad_fffd[] = {"a\xEF\xBF\xBD", "a\xff"};
    static char *apart[] = {"a\x01", "b\x01"};
    static char *groups[] = {"g", "g"};
    static const int from[] = {0}, to[] = {1};
    static const double w[] = {1};
    struct {
        char **keys;
        const char *format;
        int rc;
    } cases[] = {
        {fffe_ffff, "graphml", -EEXIST}, {fffe_ffff, "gexf", -EEXIST},
        {fffe_ffff, "csv", 0},           {fffe_ffff, "dot", 0},
        {ctl_fffd, "gexf", -EEXIST},     {ctl_fffd, "csv", 0},
        {bad_fffd, "csv", -EEXIST},      {bad_fffd, "dot", -EEXIST},
        {apart, "graphml", 0},
    };
    buf_t b = BUF_INIT;
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        view_t v;
        char err[256] = "";
        make_view(&v, 2, cases[k].keys, groups, 1, from, to, w);
        int rc = export_text(&v, cases[k].format, false, &b, err, sizeof err);
        ck_assert_msg(rc == cases[k].rc, "case %zu (%s): %d, want %d", k,
                      cases[k].format, rc, cases[k].rc);
        if (rc)
            ck_assert_msg(strstr(err, "alike") && b.len == 0, "case %zu: %s", k,
                          err);
        free_view(&v);
    }
    buf_free(&b);
}
END_TEST

/* A sink that keeps what it gets, counts pieces, and fails when told. */
struct pieces {
    buf_t all;
    size_t calls, largest;
    size_t fail_at; /* 0: never */
};

static int piece_sink(void *ctx, const char *p, size_t n)
{
    struct pieces *s = ctx;
    s->calls++;
    ck_assert_uint_gt(n, 0);
    if (n > s->largest)
        s->largest = n;
    if (s->fail_at && s->calls == s->fail_at)
        return -ENOSPC;
    ck_assert_msg(!s->fail_at || s->calls < s->fail_at,
                  "written to after failing");
    return buf_append(&s->all, p, n) < 0 ? -ENOMEM : 0;
}

START_TEST(the_text_goes_out_in_pieces)
{
    enum { N = 5000 };
    static char *keys[N], *groups[N];
    static int from[N], to[N];
    static double w[N];
    for (int i = 0; i < N; i++) {
        ck_assert_int_ne(asprintf(&keys[i], "person %05d & <friends>", i), -1);
        groups[i] = "the same group";
        from[i] = i;
        to[i] = (i + 1) % N;
        w[i] = i + 0.25;
    }
    view_t v;
    make_view(&v, N, keys, groups, N, from, to, w);
    buf_t whole = BUF_INIT;
    char err[256];
    ck_assert_int_eq(export_text(&v, "gexf", false, &whole, err, sizeof err),
                     0);
    ck_assert_uint_gt(whole.len, 4 * 65536);

    struct pieces s = {.all = BUF_INIT};
    export_opts_t o = {.format = "gexf", .spreadsheet_safe = false};
    export_sink_t sink = {piece_sink, &s};
    ck_assert_int_eq(export_view(&v, &o, &sink, err, sizeof err), 0);
    ck_assert_str_eq(buf_str(&s.all), buf_str(&whole));
    ck_assert_uint_ge(s.calls, whole.len / (65536 + 4096));
    ck_assert_uint_le(s.largest, 65536 + 4096);

    /* The sink's error ends the export, and is what it returns. */
    struct pieces f = {.all = BUF_INIT, .fail_at = 2};
    sink.ctx = &f;
    ck_assert_int_eq(export_view(&v, &o, &sink, err, sizeof err), -ENOSPC);
    ck_assert_uint_eq(f.calls, 2);
    ck_assert_msg(strstr(err, "No space left"), "%s", err);

    buf_free(&whole);
    buf_free(&s.all);
    buf_free(&f.all);
    free_view(&v);
    for (int i = 0; i < N; i++)
        free(keys[i]);
}
END_TEST

START_TEST(unknown_format)
{
    view_t v;
    make_view(&v, 2, odd_keys, odd_groups, 1, odd_from, odd_to, odd_w);
    buf_t b = BUF_INIT;
    char err[256];
    ck_assert_int_eq(export_text(&v, "pdf", false, &b, err, sizeof err),
                     -EINVAL);
    ck_assert(!export_format_known("pdf") && export_format_known("gexf"));
    buf_free(&b);
    free_view(&v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("export");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, graphml_replaces_what_xml_cannot_carry);
    tcase_add_test(tc, dot_and_csv_keep_controls_escape_the_rest);
    tcase_add_test(tc, spreadsheet_safe_prefixes_formula_cells_only);
    tcase_add_test(tc, ids_that_would_merge_are_refused);
    tcase_add_test(tc, the_text_goes_out_in_pieces);
    tcase_add_test(tc, unknown_format);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
