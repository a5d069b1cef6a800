/* jscan.c - see jscan.h. Every rule here mirrors jansson 2.x's lexer
 * (load.c): where the two could disagree, jscan gives up (-1) so that
 * jansson decides. */
#include "jscan.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
const unsigned char jscan_plain[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),                                    /* 0x00-0x1f */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,    /* 0x20-0x2f */
    R16(1), R16(1),                                    /* 0x30-0x4f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,    /* 0x50-0x5f */
    R16(1), R16(1),                                    /* 0x60-0x7f */
    R16(0), R16(0), R16(0), R16(0),                    /* 0x80-0xbf */
    R16(0), R16(0), R16(0), R16(0),                    /* 0xc0-0xff */
#undef R16
};
/* clang-format on */

static int hex4(const unsigned char *p, const unsigned char *end, uint32_t *out)
{
    if (end - p < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t utf8_put(char *o, uint32_t v)
{
    if (v < 0x80) {
        o[0] = (char)v;
        return 1;
    }
    if (v < 0x800) {
        o[0] = (char)(0xc0 | (v >> 6));
        o[1] = (char)(0x80 | (v & 0x3f));
        return 2;
    }
    if (v < 0x10000) {
        o[0] = (char)(0xe0 | (v >> 12));
        o[1] = (char)(0x80 | ((v >> 6) & 0x3f));
        o[2] = (char)(0x80 | (v & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (v >> 18));
    o[1] = (char)(0x80 | ((v >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((v >> 6) & 0x3f));
    o[3] = (char)(0x80 | (v & 0x3f));
    return 4;
}

/* The string at j->p into dst (NULL: check only). */
static int scan_string(jscan_t *j, char *dst, size_t *len)
{
    const unsigned char *p = (const unsigned char *)j->p + 1;
    const unsigned char *end = (const unsigned char *)j->end;
    char *o = dst;
    for (;;) {
        const unsigned char *s = p;
        while (p < end && jscan_plain[*p])
            p++;
        if (o) {
            memcpy(o, s, (size_t)(p - s));
            o += p - s;
        }
        if (p >= end)
            return -1; /* premature end */
        unsigned c = *p;
        if (c == '"') {
            p++;
            break;
        }
        if (c == '\\') {
            if (end - p < 2)
                return -1;
            char e;
            switch (p[1]) {
            case '"':
            case '\\':
            case '/':
                e = (char)p[1];
                break;
            case 'b':
                e = '\b';
                break;
            case 'f':
                e = '\f';
                break;
            case 'n':
                e = '\n';
                break;
            case 'r':
                e = '\r';
                break;
            case 't':
                e = '\t';
                break;
            case 'u': {
                uint32_t v, v2;
                if (hex4(p + 2, end, &v) < 0 || v == 0)
                    return -1; /* \u0000: jansson needs JSON_ALLOW_NUL */
                p += 6;
                if (v >= 0xdc00 && v <= 0xdfff)
                    return -1; /* a lone low surrogate */
                if (v >= 0xd800 && v <= 0xdbff) {
                    if (end - p < 2 || p[0] != '\\' || p[1] != 'u' ||
                        hex4(p + 2, end, &v2) < 0 || v2 < 0xdc00 || v2 > 0xdfff)
                        return -1; /* a high surrogate without its pair */
                    p += 6;
                    v = 0x10000 + ((v - 0xd800) << 10) + (v2 - 0xdc00);
                }
                if (o)
                    o += utf8_put(o, v);
                continue;
            }
            default:
                return -1;
            }
            if (o)
                *o++ = e;
            p += 2;
            continue;
        }
        if (c < 0x80)
            return -1; /* a control character */
        size_t n = utf8_seq(p, (size_t)(end - p));
        if (!n)
            return -1;
        if (o) {
            memcpy(o, p, n);
            o += n;
        }
        p += n;
    }
    if (o) {
        *o = '\0';
        *len = (size_t)(o - dst);
    }
    j->p = (const char *)p;
    return 0;
}

int jscan_string(jscan_t *j, char *dst, size_t *len)
{
    return scan_string(j, dst, len);
}

int jscan_number(jscan_t *j, bool *is_int, int64_t *i, double *d)
{
    const char *s = j->p, *p = s, *end = j->end;
    bool neg = false;
    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    const char *digits = p;
    if (p < end && *p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9')
            return -1; /* a leading zero */
    } else if (p < end && *p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return -1;
    }
    const char *int_end = p;
    bool real = false;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        real = true;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        real = true;
    }
    if (p - s > JSCAN_NUM_MAX)
        return -1;
    if (!real) {
        /* strtoll's range: anything outside is jansson's "too big
         * integer". */
        uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
        for (const char *q = digits; q < int_end; q++) {
            unsigned dg = (unsigned)(*q - '0');
            if (v > (lim - dg) / 10)
                return -1;
            v = v * 10 + dg;
        }
        *i = neg ? (int64_t)(0 - v) : (int64_t)v;
        *is_int = true;
    } else {
        char buf[JSCAN_NUM_MAX + 1];
        memcpy(buf, s, (size_t)(p - s));
        buf[p - s] = '\0';
        char *e;
        errno = 0;
        double v = strtod(buf, &e);
        if (e != buf + (p - s) ||
            ((v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE))
            return -1; /* jansson's "real number overflow" */
        *d = v;
        *is_int = false;
    }
    j->p = p;
    return 0;
}

int jscan_literal(jscan_t *j, jscan_type_t *t)
{
    size_t left = (size_t)(j->end - j->p);
    if (left >= 4 && memcmp(j->p, "true", 4) == 0) {
        *t = JSCAN_TRUE;
        j->p += 4;
    } else if (left >= 5 && memcmp(j->p, "false", 5) == 0) {
        *t = JSCAN_FALSE;
        j->p += 5;
    } else if (left >= 4 && memcmp(j->p, "null", 4) == 0) {
        *t = JSCAN_NULL;
        j->p += 4;
    } else {
        return -1;
    }
    /* "truex" is one bad token for jansson; the caller's next expected
     * byte would catch it too, but say so here. */
    if (j->p < j->end &&
        ((*j->p >= 'a' && *j->p <= 'z') || (*j->p >= 'A' && *j->p <= 'Z')))
        return -1;
    return 0;
}

int jscan_skip_scalar(jscan_t *j)
{
    bool is_int;
    int64_t i;
    double d;
    jscan_type_t t;
    switch (jscan_peek(j)) {
    case JSCAN_STRING:
        return scan_string(j, NULL, NULL);
    case JSCAN_NUMBER:
        return jscan_number(j, &is_int, &i, &d);
    case JSCAN_TRUE:
    case JSCAN_FALSE:
    case JSCAN_NULL:
        return jscan_literal(j, &t);
    default:
        return -1;
    }
}
