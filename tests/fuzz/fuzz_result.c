/* fuzz_result.c - libFuzzer harness: the analysis-result decoder
 * (result_decode, daemon/result.c), which reads what an analysis child
 * wrote: a child running a third-party plugin may write anything.
 *
 * Input: one byte for the view's vertex count (0..4), one for its group
 * count (0..3), then the bytes the "child" sent. The plugin declares
 * vertex columns (real, string), a group column (real), a pair column
 * (string) and network columns (string, real). A decode either fails with
 * a reason or gives a result whose shape is the declaration's and the
 * view's; such a result encodes (result_encode) to bytes that decode and
 * encode again to the same bytes. Anything else aborts. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

static const spand_column_t cols[] = {
    {SPAND_TABLE_VERTEX, "a", SPAND_REAL, "a"},
    {SPAND_TABLE_VERTEX, "b", SPAND_STRING, "b"},
    {SPAND_TABLE_GROUP, "g", SPAND_REAL, "g"},
    {SPAND_TABLE_PAIR, "p", SPAND_STRING, "p"},
    {SPAND_TABLE_NETWORK, "n", SPAND_STRING, "n"},
    {SPAND_TABLE_NETWORK, "m", SPAND_REAL, "m"},
};
static const spand_plugin_t desc = {.size = sizeof(spand_plugin_t),
                                    .name = "fuzz",
                                    .columns = cols,
                                    .ncolumns = sizeof cols / sizeof cols[0]};

static void check_shape(const result_t *r, int64_t nv, int64_t ng)
{
    const int64_t rows[4] = {nv, ng, ng * ng, 1};
    const int ncols[4] = {2, 1, 1, 2};
    for (int k = 0; k < 4; k++) {
        const result_table_t *t = &r->t[k];
        if (t->rows != rows[k] || t->ncols != ncols[k] || !t->cells ||
            (k == SPAND_TABLE_PAIR) != (t->set != NULL))
            abort();
        for (int64_t i = 0; t->texts && i < t->rows * t->ncols; i++)
            if (t->texts[i] && !(k == 0 && i % 2 == 1) && k != 2 && k != 3 &&
                !(k == 3 && i == 0))
                abort(); /* a text in a real column */
    }
    if (!json_is_array(r->notes))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int64_t nv = data[0] % 5, ng = data[1] % 4;
    plugin_t p = {.name = "fuzz", .desc = &desc, .ncols = {2, 1, 1, 2}};
    view_t v;
    memset(&v, 0, sizeof v);
    if (igraph_empty(&v.graph, (igraph_integer_t)nv, IGRAPH_DIRECTED) != 0)
        abort();
    v.pub.ngroups = ng;
    /* exactly the child's bytes, so that ASan sees any overread */
    size_t n = size - 2;
    unsigned char *blob = malloc(n ? n : 1);
    if (!blob)
        abort();
    memcpy(blob, data + 2, n);
    result_t *r = NULL;
    char why[256] = "";
    if (result_decode(&p, &v, blob, n, &r, why, sizeof why) == 0) {
        check_shape(r, nv, ng);
        buf_t a = BUF_INIT, b = BUF_INIT;
        if (result_encode(r, &a) != 0)
            abort();
        result_t *r2 = NULL;
        if (result_decode(&p, &v, a.data, a.len, &r2, why, sizeof why) != 0) {
            fprintf(stderr, "a re-encoded result does not decode: %s\n", why);
            abort();
        }
        if (result_encode(r2, &b) != 0 || a.len != b.len ||
            memcmp(a.data, b.data, a.len) != 0)
            abort();
        result_free(r2);
        result_free(r);
        buf_free(&a);
        buf_free(&b);
    } else if (!why[0]) {
        abort(); /* a failure always says why */
    }
    free(blob);
    igraph_destroy(&v.graph);
    return 0;
}
