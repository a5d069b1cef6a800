/* ctl_fast.c - see ctl_fast.h. */
#include "ctl_fast.h"

#include <stdint.h>
#include <string.h>

#include "jscan.h"
#include "utf8.h"

/* ---- JSON strings ------------------------------------------------------ */

int ctl_json_str(buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    /* Worst case 6 output bytes per input byte plus the quotes. */
    if (buf_reserve(b, n < SIZE_MAX / 8 ? n * 6 + 2 : SIZE_MAX / 2) < 0)
        return CTL_JSON_OK;
    char *o = b->data + b->len;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && jscan_plain[u[j]])
            j++;
        memcpy(o, u + i, j - i);
        o += j - i;
        i = j;
        if (i == n)
            break;
        unsigned c = u[i];
        if (c >= 0x80) {
            size_t k = utf8_seq(u + i, n - i);
            if (!k)
                return CTL_JSON_BAD_UTF8;
            memcpy(o, u + i, k);
            o += k;
            i += k;
            continue;
        }
        if (c == 0)
            return CTL_JSON_NUL;
        *o++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *o++ = (char)c;
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
        i++;
    }
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
    return CTL_JSON_OK;
}

/* ---- CSV --------------------------------------------------------------- */

bool ctl_csv_fast_line(const char *s, size_t n, ctl_csv_cell_fn cell,
                       ctl_csv_row_fn row, void *ctx)
{
    size_t end = n - 1; /* the '\n' */
    char term = '\n';
    if (end > 0 && s[end - 1] == '\r') {
        end--;
        term = '\r'; /* libcsv ends the row at the CR */
    }
    if (memchr(s, '"', end) || memchr(s, '\r', end))
        return false;
    size_t a = 0;
    while (a < end && (s[a] == ' ' || s[a] == '\t'))
        a++;
    if (a == end)
        return true; /* an empty or blank line: no row */
    for (;;) {
        const char *comma = memchr(s + a, ',', end - a);
        size_t z = comma ? (size_t)(comma - s) : end, e = z;
        while (e > a && (s[e - 1] == ' ' || s[e - 1] == '\t'))
            e--;
        cell((void *)(s + a), e - a, ctx);
        if (!comma)
            break;
        a = z + 1;
        while (a < end && (s[a] == ' ' || s[a] == '\t'))
            a++;
    }
    row(term, ctx);
    return true;
}

/* ---- JSON Lines -------------------------------------------------------- */

/* The members a fast line may have, and the longest key (escapes
 * included) compared for duplicates; more goes the slow way. */
#define FAST_MAX_MEMBERS 32
#define FAST_KEY_MAX 64

/* The string at j->p (a '"'), decoded into dst (room for max bytes and a
 * NUL) when its JSON text is short enough. */
static bool short_string(jscan_t *j, char *dst, size_t max, size_t *len)
{
    jscan_t probe = *j;
    if (jscan_skip_scalar(&probe) < 0 || (size_t)(probe.p - j->p) - 2 > max)
        return false;
    return jscan_string(j, dst, len) == 0;
}

/* A key at j->p (a '"'): its bytes in *s, *len. The usual key is plain
 * printable ASCII, its text its value: taken as it stands, with no copy.
 * Any other is decoded into tmp (room for FAST_KEY_MAX bytes and a NUL)
 * when short enough. */
static bool key_at(jscan_t *j, char *tmp, const char **s, size_t *len)
{
    const unsigned char *a = (const unsigned char *)j->p + 1, *p = a;
    const unsigned char *end = (const unsigned char *)j->end;
    while (p < end && jscan_plain[*p])
        p++;
    if (p < end && *p == '"' && (size_t)(p - a) <= FAST_KEY_MAX) {
        *s = (const char *)a;
        *len = (size_t)(p - a);
        j->p = (const char *)p + 1;
        return true;
    }
    *s = tmp;
    return short_string(j, tmp, FAST_KEY_MAX, len);
}

/* A value the fast path takes: a scalar, or an array of scalars. */
static bool fast_value(jscan_t *j)
{
    jscan_ws(j);
    if (jscan_peek(j) != JSCAN_ARRAY)
        return jscan_peek(j) != JSCAN_OBJECT && jscan_skip_scalar(j) == 0;
    j->p++;
    if (jscan_expect(j, ']') == 0)
        return true;
    for (;;) {
        jscan_ws(j);
        jscan_type_t t = jscan_peek(j);
        if (t == JSCAN_ARRAY || t == JSCAN_OBJECT || jscan_skip_scalar(j) < 0)
            return false;
        if (jscan_expect(j, ']') == 0)
            return true;
        if (jscan_expect(j, ',') < 0)
            return false;
    }
}

static bool kind_of(jscan_t *j, enum ctl_jsonl_kind *kind)
{
    char tmp[FAST_KEY_MAX + 1];
    const char *v;
    size_t len;
    jscan_ws(j);
    if (jscan_peek(j) != JSCAN_STRING || !key_at(j, tmp, &v, &len))
        return false;
    if (len == 6 && !memcmp(v, "person", 6))
        *kind = CTL_JSONL_PERSON;
    else if (len == 6 && !memcmp(v, "record", 6))
        *kind = CTL_JSONL_RECORD;
    else if (len == 5 && !memcmp(v, "event", 5))
        *kind = CTL_JSONL_EVENT;
    else
        return false;
    return true;
}

bool ctl_jsonl_fast(const char *s, size_t n, buf_t *out,
                    enum ctl_jsonl_kind *kind, bool *has_id)
{
    struct {
        const char *a, *z; /* the member's text, key to value */
        const char *key;   /* its key's bytes: in the text, or in tmp */
        size_t klen;
        char tmp[FAST_KEY_MAX + 1];
    } m[FAST_MAX_MEMBERS];
    size_t nm = 0, type = FAST_MAX_MEMBERS;
    bool id = false;
    jscan_t j = {s, s + n};
    if (jscan_expect(&j, '{') < 0 || jscan_expect(&j, '}') == 0)
        return false; /* not an object; or no type: the slow path says so */
    for (;;) {
        jscan_ws(&j);
        if (nm == FAST_MAX_MEMBERS || jscan_peek(&j) != JSCAN_STRING)
            return false;
        m[nm].a = j.p;
        if (!key_at(&j, m[nm].tmp, &m[nm].key, &m[nm].klen))
            return false;
        for (size_t k = 0; k < nm; k++)
            if (m[k].klen == m[nm].klen &&
                !memcmp(m[k].key, m[nm].key, m[k].klen))
                return false; /* a duplicate: let jansson word the error */
        if (jscan_expect(&j, ':') < 0)
            return false;
        if (m[nm].klen == 4 && !memcmp(m[nm].key, "type", 4)) {
            if (!kind_of(&j, kind))
                return false;
            type = nm;
        } else if (!fast_value(&j)) {
            return false;
        }
        id = id || (m[nm].klen == 2 && !memcmp(m[nm].key, "id", 2));
        m[nm++].z = j.p;
        if (jscan_expect(&j, '}') == 0)
            break;
        if (jscan_expect(&j, ',') < 0)
            return false;
    }
    jscan_ws(&j);
    if (j.p != j.end || type == FAST_MAX_MEMBERS)
        return false;
    size_t mark = out->len;
    buf_putc(out, '{');
    for (size_t k = 0; k < nm; k++) {
        if (k == type)
            continue;
        if (out->len > mark + 1)
            buf_putc(out, ',');
        buf_append(out, m[k].a, (size_t)(m[k].z - m[k].a));
    }
    buf_putc(out, '}');
    *has_id = id;
    return true;
}
