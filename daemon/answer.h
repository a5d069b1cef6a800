/* answer.h - an analysis' answer, kept as the text it is sent as.
 *
 * answer_build() turns a plugin's result (result.h) into the JSON text of
 * the answer's body (doc/protocol.md, method analyse) once, on the analysis
 * worker; the result cache keeps that text, and each request, cached or
 * not, is answered by writing the JSON-RPC envelope around it: its id,
 * the vertex rows in the order and number asked for (sort, top),
 * "cached" and "elapsed_ms". An answer is immutable once built; its
 * reference count is used on the loop thread only. */
#ifndef SPAND_ANSWER_H
#define SPAND_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "loader.h"
#include "result.h"
#include "view.h"

typedef struct answer answer_t;

/* The answer to plugin p over view v built from spec (and base, the
 * baseline's spec, or NULL), taking res (freed here, success or not).
 * Returns NULL with err set. Any thread. */
answer_t *answer_build(const plugin_t *p, const view_t *v,
                       const view_spec_t *spec, const view_spec_t *base,
                       result_t *res, char *err, size_t errlen);
/* The same for a within analysis: res[i] is the result over scope i's
 * sub-view (sc, from view_split(v)); all are taken. Every table gains a
 * first key column named after v->within, rows scope by scope; the body
 * gains "within", "scopes" [{scope, vertices, edges, excluded}] and
 * view.outside_scopes; notes every scope gave appear once, others
 * prefixed by their scope. */
answer_t *answer_build_scoped(const plugin_t *p, const view_t *v,
                              const view_scopes_t *sc, const view_spec_t *spec,
                              const view_spec_t *base, result_t **res,
                              char *err, size_t errlen);
/* Whether a is a within answer: answer_order then sorts and cuts each
 * scope's rows on their own (top per scope). */
bool answer_scoped(const answer_t *a);
answer_t *answer_ref(answer_t *a);
void answer_unref(answer_t *a);
/* Memory held, for the cache's budget. */
size_t answer_bytes(const answer_t *a);
/* The data version of the view the answer was built from. */
int64_t answer_data_version(const answer_t *a);
/* Vertex rows (0 without a vertex table). */
size_t answer_rows(const answer_t *a);

/* The vertex rows in the order of column col ("id", "group" or a plugin
 * column; numbers by value, texts by bytes, nulls last, ties by id), the
 * first *keep of them (*keep is cut to the number of rows); for a within
 * answer, scope by scope, the first *keep of each (*keep: the total). Returns a
 * malloc'd array of row numbers, or NULL (out of memory). Any thread. */
uint32_t *answer_order(const answer_t *a, const char *col, bool asc,
                       size_t *keep);

/* Append the response line: {"jsonrpc":"2.0","id":ID,"result":BODY}\n
 * where ID is the JSON text id (idlen bytes) and BODY the answer with the
 * vertex rows order[0..keep) (order NULL: the first keep rows), "cached"
 * and "elapsed_ms". Returns 0 or -1 (out of memory). Any thread. */
int answer_write(const answer_t *a, buf_t *out, const char *id, size_t idlen,
                 bool cached, double elapsed_ms, const uint32_t *order,
                 size_t keep);

#endif
