/* fuzz_csv.c - libFuzzer harness: spanctl's CSV fast path
 * (ctl_csv_fast_line, daemon/ctl/ctl_fast.c) against libcsv, and its JSON
 * string writer (ctl_json_str) against jansson.
 *
 * The input is cut into lines (each with its '\n'). For every line the
 * fast path accepts, libcsv (default options, fresh parser, as spanctl
 * sets it up) must report the same cells and row ends for that line; and
 * every cell written by ctl_json_str must read back in jansson as the
 * same bytes, or be refused exactly when it is not UTF-8 or holds a NUL.
 * Any difference aborts. */
#include <csv.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_fast.h"
#include "utf8.h"

/* What a parser reported: cells as "C" len bytes, row ends as "R" term. */
struct trace {
    buf_t t;
};

static void on_cell(void *s, size_t n, void *ctx)
{
    struct trace *tr = ctx;
    buf_putc(&tr->t, 'C');
    buf_append(&tr->t, &n, sizeof n);
    buf_append(&tr->t, s, n);
}

static void on_row(int term, void *ctx)
{
    struct trace *tr = ctx;
    buf_putc(&tr->t, 'R');
    buf_putc(&tr->t, (char)term);
}

/* The slow path: libcsv over the same line. */
static void libcsv_trace(const char *s, size_t n, struct trace *tr)
{
    struct csv_parser p;
    if (csv_init(&p, 0) != 0)
        abort();
    csv_set_blk_size(&p, 4096);
    if (csv_parse(&p, s, n, on_cell, on_row, tr) != n)
        abort();
    if (csv_fini(&p, on_cell, on_row, tr) != 0)
        abort();
    csv_free(&p);
}

static bool text_ok(const char *s, size_t n, int *why)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = u[i] ? utf8_seq(u + i, n - i) : 0;
        if (!k) {
            *why = u[i] ? CTL_JSON_BAD_UTF8 : CTL_JSON_NUL;
            return false;
        }
        i += k;
    }
    return true;
}

static void check_json_str(const char *s, size_t n)
{
    buf_t b = BUF_INIT;
    BUF_LIT(&b, "x"); /* not at the start of the buffer */
    int rc = ctl_json_str(&b, s, n);
    int why = CTL_JSON_OK;
    bool ok = text_ok(s, n, &why);
    if (b.failed || rc != why || (rc == CTL_JSON_OK) != ok)
        abort();
    if (ok) {
        json_error_t e;
        json_t *v = json_loadb(b.data + 1, b.len - 1, JSON_DECODE_ANY, &e);
        if (!v || !json_is_string(v) || json_string_length(v) != n ||
            memcmp(json_string_value(v), s, n) != 0) {
            fprintf(stderr, "ctl_json_str wrote %s\n", b.data + 1);
            abort();
        }
        json_decref(v);
    }
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl)
            break;
        size_t n = (size_t)(nl - s) + 1;
        char *line = malloc(n); /* exactly the line: ASan sees overreads */
        if (!line)
            abort();
        memcpy(line, s, n);
        struct trace fast = {BUF_INIT}, slow = {BUF_INIT};
        if (ctl_csv_fast_line(line, n, on_cell, on_row, &fast)) {
            libcsv_trace(line, n, &slow);
            if (fast.t.len != slow.t.len ||
                (fast.t.len &&
                 memcmp(fast.t.data, slow.t.data, fast.t.len) != 0)) {
                fprintf(stderr, "the fast path and libcsv differ\n");
                abort();
            }
        } else if (fast.t.len) {
            abort(); /* refused after calling back */
        }
        buf_free(&fast.t);
        buf_free(&slow.t);
        free(line);
        s = nl + 1;
    }
    /* The whole input as one cell. */
    check_json_str((const char *)data, size);
    return 0;
}
