/* result.h - one analysis' result tables in compact form.
 *
 * What a plugin set through the API, as it set it: per table kind a grid
 * of doubles (NaN = null) and, for text columns, strings. The row keys
 * (person ids, group names) are not here: they are the view's. A result
 * travels from the analysis process to the daemon in a binary form
 * (result_encode / result_decode) instead of JSON text: the cells are
 * copied, not printed and parsed. */
#ifndef SPAND_RESULT_H
#define SPAND_RESULT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "loader.h"
#include "view.h"

typedef struct result_table {
    int64_t rows;  /* vertex: people; group: groups; pair: g*g; network 1 */
    int ncols;     /* the plugin's declared columns of this kind */
    double *cells; /* rows * ncols, row-major; NaN = null; owned */
    char **texts;  /* rows * ncols or NULL; NULL entry = null; owned */
    uint8_t *set;  /* pair table: which rows were set (rows bytes); owned */
} result_table_t;

typedef struct result {
    result_table_t t[4]; /* by spand_table_kind_t */
    json_t *notes;       /* array of strings; owned */
} result_t;

/* What a result may hold besides numbers, the same for a plugin run in a
 * thread (the API refuses more) and one run in a process (the decoder
 * refuses more): at most RESULT_MAX_NOTES notes of at most
 * RESULT_MAX_NOTE_BYTES each, and text cells no longer than
 * result_text_max(v). */
#define RESULT_MAX_NOTES 64
#define RESULT_MAX_NOTE_BYTES 4096

void result_free(result_t *r);

/* The longest text cell a plugin may set on v: 4 KiB plus a list of every
 * person and every group of the view, each followed by ", " (a text
 * column such as resilience's separator lists people). */
size_t result_text_max(const view_t *v);

/* The most bytes result_encode can produce for plugin p on view v: the
 * view's rows (vertices, groups, groups squared, 1) times the declared
 * columns, text cells at most result_text_max(v), notes as bounded above.
 * An analysis process sending more is killed as garbage before its bytes
 * are read. Saturates at SIZE_MAX. */
size_t result_bound(const plugin_t *p, const view_t *v);

/* Append the binary form of r to out. 0 or -1 (out of memory). */
int result_encode(const result_t *r, buf_t *out);

/* Check the len bytes an analysis process sent for plugin p on view v and
 * rebuild the result: every table the plugin declared and no other, with
 * the view's row counts and the plugin's column counts, texts only in
 * text columns, notes as UTF-8 strings, nothing left over. Returns 0 with
 * *out (caller frees with result_free), or -1 with the first problem in
 * why (the bytes are garbage). */
int result_decode(const plugin_t *p, const view_t *v, const void *data,
                  size_t len, result_t **out, char *why, size_t n);

/* The same for a result followed by more bytes (the results of a
 * within analysis, one per scope, one after the other): *used is the
 * length of the first. */
int result_decode_next(const plugin_t *p, const view_t *v, const void *data,
                       size_t len, size_t *used, result_t **out, char *why,
                       size_t n);

#endif
