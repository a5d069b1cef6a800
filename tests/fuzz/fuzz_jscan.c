/* fuzz_jscan.c - libFuzzer harness: the JSON scanner (daemon/common/jscan.c)
 * against jansson.
 *
 * jscan promises to accept a subset of what json_loadb() accepts and to
 * decode the same values. The harness walks the input with jscan, building
 * a jansson tree from what jscan decodes; whenever the walk accepts the
 * whole text, json_loadb() must accept it too, and both trees must print
 * the same (JSON_ENCODE_ANY | JSON_COMPACT, %.17g reals, so -0.0 and 0.0
 * differ). A crash, a sanitizer report or a disagreement aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

/* jansson refuses deeper nesting (JSON_PARSER_MAX_DEPTH 2048); the walk
 * gives up well before, so depth is never a disagreement. */
#define MAX_DEPTH 512

static json_t *walk(jscan_t *j, char *tmp, int depth);

static json_t *walk_string(jscan_t *j, char *tmp)
{
    size_t len;
    if (jscan_string(j, tmp, &len) < 0)
        return NULL;
    if (tmp[len] != '\0')
        abort(); /* the contract: NUL-terminated at len */
    return json_stringn_nocheck(tmp, len);
}

static json_t *walk_object(jscan_t *j, char *tmp, int depth)
{
    json_t *o = json_object();
    j->p++;
    if (jscan_expect(j, '}') == 0)
        return o;
    for (;;) {
        jscan_ws(j);
        if (jscan_peek(j) != JSCAN_STRING)
            goto bad;
        size_t klen;
        if (jscan_string(j, tmp, &klen) < 0)
            goto bad;
        if (memchr(tmp, '\0', klen))
            abort(); /* jscan refuses \u0000 */
        char *key = strndup(tmp, klen);
        if (!key || jscan_expect(j, ':') < 0) {
            free(key);
            goto bad;
        }
        json_t *v = walk(j, tmp, depth + 1);
        if (!v) {
            free(key);
            goto bad;
        }
        /* jansson without JSON_REJECT_DUPLICATES: the last one wins. */
        json_object_set_new_nocheck(o, key, v);
        free(key);
        if (jscan_expect(j, '}') == 0)
            return o;
        if (jscan_expect(j, ',') < 0)
            goto bad;
    }
bad:
    json_decref(o);
    return NULL;
}

static json_t *walk_array(jscan_t *j, char *tmp, int depth)
{
    json_t *a = json_array();
    j->p++;
    if (jscan_expect(j, ']') == 0)
        return a;
    for (;;) {
        json_t *v = walk(j, tmp, depth + 1);
        if (!v) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, v);
        if (jscan_expect(j, ']') == 0)
            return a;
        if (jscan_expect(j, ',') < 0) {
            json_decref(a);
            return NULL;
        }
    }
}

static json_t *walk(jscan_t *j, char *tmp, int depth)
{
    if (depth > MAX_DEPTH)
        return NULL;
    jscan_ws(j);
    bool is_int;
    int64_t i;
    double d;
    jscan_type_t t;
    switch (jscan_peek(j)) {
    case JSCAN_OBJECT:
        return walk_object(j, tmp, depth);
    case JSCAN_ARRAY:
        return walk_array(j, tmp, depth);
    case JSCAN_STRING:
        return walk_string(j, tmp);
    case JSCAN_NUMBER:
        if (jscan_number(j, &is_int, &i, &d) < 0)
            return NULL;
        return is_int ? json_integer(i) : json_real(d);
    case JSCAN_TRUE:
    case JSCAN_FALSE:
    case JSCAN_NULL:
        if (jscan_literal(j, &t) < 0)
            return NULL;
        return t == JSCAN_TRUE    ? json_true()
               : t == JSCAN_FALSE ? json_false()
                                  : json_null();
    default:
        return NULL;
    }
}

/* Every scalar jscan_skip_scalar() accepts, jscan's decoders accept too,
 * ending at the same byte. */
static void check_skip(const char *s, size_t n, char *tmp)
{
    jscan_t a = {s, s + n}, b = {s, s + n};
    jscan_ws(&a);
    b.p = a.p;
    jscan_type_t t = jscan_peek(&a);
    if (jscan_skip_scalar(&a) < 0)
        return;
    int rc = -1;
    size_t len;
    bool is_int;
    int64_t i;
    double d;
    if (t == JSCAN_STRING)
        rc = jscan_string(&b, tmp, &len);
    else if (t == JSCAN_NUMBER)
        rc = jscan_number(&b, &is_int, &i, &d);
    else
        rc = jscan_literal(&b, &t);
    if (rc < 0 || a.p != b.p)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    /* Room for any string of the text, as jscan_string() asks. */
    char *tmp = malloc(size + 1);
    if (!tmp)
        return 0;
    check_skip(s, size, tmp);
    jscan_t j = {s, s + size};
    json_t *mine = walk(&j, tmp, 0);
    if (mine) {
        jscan_ws(&j);
        if (j.p != j.end) { /* trailing text: jansson refuses it */
            json_decref(mine);
            mine = NULL;
        }
    }
    if (mine) {
        json_error_t e;
        json_t *ref = json_loadb(s, size, JSON_DECODE_ANY, &e);
        if (!ref) {
            fprintf(stderr, "jscan accepted what jansson refuses: %s\n",
                    e.text);
            abort();
        }
        size_t flags = JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17);
        char *a = json_dumps(mine, flags), *b = json_dumps(ref, flags);
        if (!a || !b || strcmp(a, b) != 0) {
            fprintf(stderr, "jscan: %s\njansson: %s\n", a ? a : "?",
                    b ? b : "?");
            abort();
        }
        free(a);
        free(b);
        json_decref(ref);
        json_decref(mine);
    }
    free(tmp);
    return 0;
}
