/* fuzz_jsonl.c - libFuzzer harness: spanctl's JSON Lines fast path
 * (ctl_jsonl_fast, daemon/ctl/ctl_fast.c) against the slow path it
 * shortcuts (ctl_load.c: json_loadb with JSON_REJECT_DUPLICATES, the
 * "type" member deleted, json_dumpb JSON_COMPACT).
 *
 * Whenever the fast path accepts a line, the slow path must accept it
 * too, with the same kind, and what the fast path wrote must be JSON that
 * jansson reads as the same value the slow path would send (compared as
 * JSON_COMPACT text, in member order, reals to 17 digits), and its
 * has_id must say whether the slow path's object has an "id". Any
 * difference aborts. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_fast.h"

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1); /* exactly size: ASan sees overreads */
    if (!s)
        return 0;
    memcpy(s, data, size);
    buf_t out = BUF_INIT;
    BUF_LIT(&out, "[1,"); /* the fast path appends: not at the start */
    size_t mark = out.len;
    enum ctl_jsonl_kind kind;
    bool has_id = false;
    if (!ctl_jsonl_fast(s, size, &out, &kind, &has_id)) {
        if (out.len != mark)
            abort(); /* refused, but wrote */
        goto done;
    }
    if (out.failed)
        abort();
    json_error_t e;
    json_t *slow = json_loadb(s, size, JSON_REJECT_DUPLICATES, &e);
    if (!slow || !json_is_object(slow)) {
        fprintf(stderr, "the fast path took what jansson refuses: %s\n",
                slow ? "not an object" : e.text);
        abort();
    }
    if (has_id != (json_object_get(slow, "id") != NULL)) {
        fprintf(stderr, "has_id %d, but the slow path disagrees\n", has_id);
        abort();
    }
    static const char *const names[] = {"person", "record", "event"};
    const char *type = json_string_value(json_object_get(slow, "type"));
    if (!type || strcmp(type, names[kind]) != 0 ||
        json_object_del(slow, "type") != 0)
        abort();
    json_t *fast = json_loadb(out.data + mark, out.len - mark, 0, &e);
    if (!fast) {
        fprintf(stderr, "the fast path wrote bad JSON: %s\n", e.text);
        abort();
    }
    char *a = dump(fast), *b = dump(slow);
    if (!a || !b || strcmp(a, b) != 0) {
        fprintf(stderr, "fast: %s\nslow: %s\n", a ? a : "?", b ? b : "?");
        abort();
    }
    free(a);
    free(b);
    json_decref(fast);
    json_decref(slow);
done:
    buf_free(&out);
    free(s);
    return 0;
}
