/* result.c - see result.h.
 *
 * Binary form (native byte order: both ends are the same executable):
 *   "SPNDRES1"
 *   per table kind 0..3: i64 rows, i32 ncols, u8 has_set, u8 pad[3],
 *     rows * ncols doubles, then `rows` bytes of set flags if has_set,
 *     u64 count of texts, each: u64 cell index, u32 length, the bytes
 *   u32 count of notes, each: u32 length, the bytes
 *   "SPNDEND1"
 * The decoder trusts nothing: every length is checked against what is
 * left and against the plugin's declaration and the view. */
#include "result.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "SPNDRES1"
#define MAGIC_END "SPNDEND1"

static void table_free(result_table_t *t)
{
    if (t->texts) {
        size_t n = (size_t)t->rows * (size_t)t->ncols;
        for (size_t i = 0; i < n; i++)
            free(t->texts[i]);
        free(t->texts);
    }
    free(t->cells);
    free(t->set);
    memset(t, 0, sizeof *t);
}

void result_free(result_t *r)
{
    if (!r)
        return;
    for (int k = 0; k < 4; k++)
        table_free(&r->t[k]);
    json_decref(r->notes);
    free(r);
}

static int put(buf_t *b, const void *p, size_t n)
{
    return buf_append(b, p, n);
}

int result_encode(const result_t *r, buf_t *out)
{
    if (put(out, MAGIC, 8) < 0)
        return -1;
    for (int k = 0; k < 4; k++) {
        const result_table_t *t = &r->t[k];
        int64_t rows = t->rows;
        int32_t ncols = t->ncols;
        uint8_t flags[4] = {t->set ? 1 : 0, 0, 0, 0};
        size_t n = (size_t)rows * (size_t)ncols;
        if (put(out, &rows, 8) < 0 || put(out, &ncols, 4) < 0 ||
            put(out, flags, 4) < 0 ||
            (n && put(out, t->cells, n * sizeof(double)) < 0) ||
            (t->set && rows && put(out, t->set, (size_t)rows) < 0))
            return -1;
        uint64_t count = 0;
        for (size_t i = 0; t->texts && i < n; i++)
            count += t->texts[i] != NULL;
        if (put(out, &count, 8) < 0)
            return -1;
        for (size_t i = 0; count && i < n; i++) {
            if (!t->texts[i])
                continue;
            uint64_t idx = i;
            uint32_t len = (uint32_t)strlen(t->texts[i]);
            if (put(out, &idx, 8) < 0 || put(out, &len, 4) < 0 ||
                put(out, t->texts[i], len) < 0)
                return -1;
        }
    }
    uint32_t nn = (uint32_t)json_array_size(r->notes);
    if (put(out, &nn, 4) < 0)
        return -1;
    for (uint32_t i = 0; i < nn; i++) {
        json_t *s = json_array_get(r->notes, i);
        uint32_t len = (uint32_t)json_string_length(s);
        if (put(out, &len, 4) < 0 || put(out, json_string_value(s), len) < 0)
            return -1;
    }
    return put(out, MAGIC_END, 8);
}

size_t result_text_max(const view_t *v)
{
    size_t n = 4096;
    igraph_integer_t nv = igraph_vcount(&v->graph);
    for (igraph_integer_t i = 0; v->keys && i < nv; i++)
        n += strlen(v->keys[i]) + 2;
    for (igraph_integer_t g = 0; v->group_names && g < v->pub.ngroups; g++)
        n += strlen(v->group_names[g]) + 2;
    return n;
}

/* Saturating arithmetic: a bound that overflows is no bound at all. */
static size_t sat_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
    return a && b > SIZE_MAX / a ? SIZE_MAX : a * b;
}

size_t result_bound(const plugin_t *p, const view_t *v)
{
    size_t g = (size_t)v->pub.ngroups;
    const size_t rows[4] = {(size_t)igraph_vcount(&v->graph), g, sat_mul(g, g),
                            1};
    size_t text_cell = sat_add(8 + 4, result_text_max(v));
    size_t bound = 8 + 8; /* the two magic strings */
    for (int k = 0; k < 4; k++) {
        size_t ntext = 0;
        for (int c = 0; c < p->ncols[k]; c++)
            if (p->desc
                    ->columns[loader_column_index(p, (spand_table_kind_t)k, c)]
                    .type == SPAND_STRING)
                ntext++;
        bound = sat_add(bound, 8 + 4 + 4 + 8); /* rows, ncols, flags, count */
        bound = sat_add(bound, sat_mul(sat_mul(rows[k], (size_t)p->ncols[k]),
                                       sizeof(double)));
        if (k == SPAND_TABLE_PAIR)
            bound = sat_add(bound, rows[k]);
        bound = sat_add(bound, sat_mul(sat_mul(rows[k], ntext), text_cell));
    }
    return sat_add(bound,
                   4 + (size_t)RESULT_MAX_NOTES * (4 + RESULT_MAX_NOTE_BYTES));
}

struct cursor {
    const unsigned char *p;
    size_t left;
};

static const void *take(struct cursor *c, size_t n)
{
    if (n > c->left)
        return NULL;
    const void *at = c->p;
    c->p += n;
    c->left -= n;
    return at;
}

static bool take_copy(struct cursor *c, void *to, size_t n)
{
    const void *at = take(c, n);
    if (at && n)
        memcpy(to, at, n);
    return at != NULL;
}

int result_decode(const plugin_t *p, const view_t *v, const void *data,
                  size_t len, result_t **out, char *why, size_t n)
{
    size_t used = 0;
    if (result_decode_next(p, v, data, len, &used, out, why, n) < 0)
        return -1;
    if (used != len) {
        result_free(*out);
        *out = NULL;
        snprintf(why, n, "the result does not end as one");
        return -1;
    }
    return 0;
}

int result_decode_next(const plugin_t *p, const view_t *v, const void *data,
                       size_t len, size_t *used, result_t **out, char *why,
                       size_t n)
{
    struct cursor c = {data, len};
    const void *m = take(&c, 8);
    if (!m || memcmp(m, MAGIC, 8) != 0) {
        snprintf(why, n, "the result does not start as one");
        return -1;
    }
    result_t *r = calloc(1, sizeof *r);
    if (!r || !(r->notes = json_array())) {
        free(r);
        snprintf(why, n, "out of memory reading the result");
        return -1;
    }
    size_t text_max = result_text_max(v);
    int64_t g = v->pub.ngroups;
    const int64_t want[4] = {igraph_vcount(&v->graph), g, g * g, 1};
    for (int k = 0; k < 4; k++) {
        result_table_t *t = &r->t[k];
        const char *name = loader_table_name((spand_table_kind_t)k);
        int64_t rows;
        int32_t ncols;
        uint8_t flags[4];
        if (!take_copy(&c, &rows, 8) || !take_copy(&c, &ncols, 4) ||
            !take_copy(&c, flags, 4)) {
            snprintf(why, n, "the result is cut short");
            goto bad;
        }
        if (ncols != p->ncols[k]) {
            snprintf(why, n, "%s table has %d columns, declared %d", name,
                     (int)ncols, p->ncols[k]);
            goto bad;
        }
        if (rows != want[k]) {
            snprintf(why, n, "%s table has %lld rows, expected %lld", name,
                     (long long)rows, (long long)want[k]);
            goto bad;
        }
        if (flags[0] != (k == SPAND_TABLE_PAIR) || flags[1] || flags[2] ||
            flags[3]) {
            snprintf(why, n, "%s table is malformed", name);
            goto bad;
        }
        t->rows = rows;
        t->ncols = ncols;
        size_t cells = (size_t)rows * (size_t)ncols;
        if (cells > c.left / sizeof(double)) {
            snprintf(why, n, "the result is cut short");
            goto bad;
        }
        t->cells = malloc((cells ? cells : 1) * sizeof(double));
        t->set = k == SPAND_TABLE_PAIR ? calloc((size_t)rows + 1, 1) : NULL;
        if (!t->cells || (k == SPAND_TABLE_PAIR && !t->set)) {
            snprintf(why, n, "out of memory reading the result");
            goto bad;
        }
        uint64_t count;
        if (!take_copy(&c, t->cells, cells * sizeof(double)) ||
            (t->set && !take_copy(&c, t->set, (size_t)rows)) ||
            !take_copy(&c, &count, 8)) {
            snprintf(why, n, "the result is cut short");
            goto bad;
        }
        if (count > cells) {
            snprintf(why, n, "%s table has too many texts", name);
            goto bad;
        }
        if (count && !(t->texts = calloc(cells, sizeof(char *)))) {
            snprintf(why, n, "out of memory reading the result");
            goto bad;
        }
        for (uint64_t i = 0; i < count; i++) {
            uint64_t idx;
            uint32_t tl;
            const void *bytes;
            if (!take_copy(&c, &idx, 8) || !take_copy(&c, &tl, 4) ||
                !(bytes = take(&c, tl))) {
                snprintf(why, n, "the result is cut short");
                goto bad;
            }
            int col = idx < cells ? (int)(idx % (size_t)ncols) : 0;
            if (idx >= cells || t->texts[idx] ||
                p->desc->columns[loader_column_index(p, (spand_table_kind_t)k,
                                                     col)]
                        .type != SPAND_STRING ||
                memchr(bytes, '\0', tl)) {
                snprintf(
                    why, n, "%s row %llu column %d has the wrong type", name,
                    (unsigned long long)(idx / (size_t)(ncols ? ncols : 1)),
                    col);
                goto bad;
            }
            if (tl > text_max) {
                snprintf(why, n,
                         "%s row %llu column %d: a text of %u bytes, "
                         "more than the view can make",
                         name, (unsigned long long)(idx / (size_t)ncols), col,
                         (unsigned)tl);
                goto bad;
            }
            if (!(t->texts[idx] = strndup(bytes, tl))) {
                snprintf(why, n, "out of memory reading the result");
                goto bad;
            }
        }
    }
    uint32_t nn;
    if (!take_copy(&c, &nn, 4)) {
        snprintf(why, n, "the result is cut short");
        goto bad;
    }
    if (nn > RESULT_MAX_NOTES) {
        snprintf(why, n, "%u notes, more than %d", (unsigned)nn,
                 RESULT_MAX_NOTES);
        goto bad;
    }
    for (uint32_t i = 0; i < nn; i++) {
        uint32_t tl;
        const char *bytes;
        if (!take_copy(&c, &tl, 4) || !(bytes = take(&c, tl))) {
            snprintf(why, n, "the result is cut short");
            goto bad;
        }
        if (tl > RESULT_MAX_NOTE_BYTES) {
            snprintf(why, n, "a note of %u bytes, more than %d", (unsigned)tl,
                     RESULT_MAX_NOTE_BYTES);
            goto bad;
        }
        /* NULL if not UTF-8; a NUL is checked first, or the string made
         * of it would leak (found by tests/fuzz/fuzz_result). */
        json_t *s = memchr(bytes, '\0', tl) ? NULL : json_stringn(bytes, tl);
        if (!s || json_array_append_new(r->notes, s) < 0) {
            snprintf(why, n, "a note is not a string");
            goto bad;
        }
    }
    m = take(&c, 8);
    if (!m || memcmp(m, MAGIC_END, 8) != 0) {
        snprintf(why, n, "the result does not end as one");
        goto bad;
    }
    *used = len - c.left;
    *out = r;
    return 0;
bad:
    result_free(r);
    return -1;
}
