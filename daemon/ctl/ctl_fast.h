/* ctl_fast.h - the fast paths of `spanctl load` (internal to spanctl).
 *
 * Each is a shortcut for a slow, general path that it must never
 * contradict: whenever a fast path accepts its input, its output is what
 * the slow path gives for that input; otherwise it returns false and does
 * nothing, and the caller takes the slow path. They are split out of
 * ctl_load.c so that tests/fuzz can check that promise differentially
 * (fuzz_csv against libcsv, fuzz_jsonl against jansson). */
#ifndef SPAND_CTL_FAST_H
#define SPAND_CTL_FAST_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* What ctl_json_str() says of a text. */
enum { CTL_JSON_OK = 0, CTL_JSON_BAD_UTF8 = 1, CTL_JSON_NUL = 2 };

/* Append s[0..n) to b as a JSON string (quotes included), the text that
 * jansson reads back as exactly those bytes. Returns CTL_JSON_OK (out of
 * memory then shows as b->failed), or CTL_JSON_BAD_UTF8 / CTL_JSON_NUL
 * when the text cannot be sent (the server refuses invalid UTF-8 and
 * \u0000 in the whole request, not just in this item); b then holds a
 * partial item, for the caller to roll back with buf_truncate(). */
int ctl_json_str(buf_t *b, const char *s, size_t n);

/* libcsv's callbacks (csv_parse), which the CSV fast path calls the same
 * way: a cell s[0..n) (not NUL-terminated), then the end of a row with
 * the byte that ended it. */
typedef void (*ctl_csv_cell_fn)(void *s, size_t n, void *ctx);
typedef void (*ctl_csv_row_fn)(int term, void *ctx);

/* One whole line s[0..n) (s[n-1] == '\n') read where no row is open:
 * when it holds no quote, and no carriage return but one just before its
 * '\n', call cell() for each cell and row() once, exactly as libcsv with
 * default options would (fields split at commas, spaces and tabs around a
 * field dropped, a line of nothing but those no row at all), and return
 * true. Otherwise return false having called nothing. libcsv's state
 * machine costs a call per byte, a third of spanctl's time on a records
 * file. */
bool ctl_csv_fast_line(const char *s, size_t n, ctl_csv_cell_fn cell,
                       ctl_csv_row_fn row, void *ctx);

/* Which kind of item a JSON Lines line is ("type" member). */
enum ctl_jsonl_kind { CTL_JSONL_PERSON, CTL_JSONL_RECORD, CTL_JSONL_EVENT };

/* The usual JSON Lines item, s[0..n): a flat object of scalars and arrays
 * of scalars with a "type" of "person", "record" or "event". When the line
 * is such an object and valid JSON as jansson reads it
 * (JSON_REJECT_DUPLICATES), append it to out without its "type" member
 * (the other members' text copied as it is), set *kind, set *has_id to
 * whether it has an "id" member, and return true: what jansson would
 * parse and dump (JSON_COMPACT) after deleting "type" is then the same
 * JSON value. Otherwise return false with out unchanged. Out of memory
 * shows as out->failed. */
bool ctl_jsonl_fast(const char *s, size_t n, buf_t *out,
                    enum ctl_jsonl_kind *kind, bool *has_id);

#endif
