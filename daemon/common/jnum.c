/* jnum.c - see jnum.h.
 *
 * jnum_real: D = round(|x| * 10^(16 - e10)) is the 17-digit decimal
 * significand, computed in integers: |x| = m * 2^q exactly, and 10^s is
 * a 128-bit significand rounded to nearest (jnum_pow10.h), so the product
 * is off by far less than 2^-100 relative. D is thus within 0.5 + 10^-13
 * units of its last digit of the exact value, while half the gap between
 * x and its neighbouring doubles is always more than 0.555 such units
 * (x < 10^(e10+1), and half an ulp of x is more than 10^e10 * 2^-54): so
 * the text always reads back as x, which is the guarantee %.17g gives.
 * Subnormal numbers, and compilers without 128-bit integers, fall back to
 * snprintf. */
#include "jnum.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

static const char digits2[] = "00010203040506070809"
                              "10111213141516171819"
                              "20212223242526272829"
                              "30313233343536373839"
                              "40414243444546474849"
                              "50515253545556575859"
                              "60616263646566676869"
                              "70717273747576777879"
                              "80818283848586878889"
                              "90919293949596979899";

/* Exactly 8 digits of v < 10^8. */
static void put8(char *o, uint32_t v)
{
    uint32_t a = v / 10000, b = v % 10000;
    memcpy(o, digits2 + 2 * (a / 100), 2);
    memcpy(o + 2, digits2 + 2 * (a % 100), 2);
    memcpy(o + 4, digits2 + 2 * (b / 100), 2);
    memcpy(o + 6, digits2 + 2 * (b % 100), 2);
}

/* Digits of v < 10^8 without leading zeros. */
static size_t small(char *out, uint32_t v)
{
    char tmp[8];
    char *p = tmp + sizeof tmp;
    while (v >= 100) {
        uint32_t r = v % 100;
        v /= 100;
        p -= 2;
        memcpy(p, digits2 + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, digits2 + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    size_t n = (size_t)(tmp + sizeof tmp - p);
    memcpy(out, p, n);
    return n;
}

/* Digits of u, most significant first, into out; returns the count.
 * In 8-digit pieces, so that the arithmetic is mostly 32-bit. */
static size_t utoa(char *out, uint64_t u)
{
    if (u < 100000000u)
        return small(out, (uint32_t)u);
    if (u < 10000000000000000ull) {
        size_t n = small(out, (uint32_t)(u / 100000000u));
        put8(out + n, (uint32_t)(u % 100000000u));
        return n + 8;
    }
    size_t n = small(out, (uint32_t)(u / 10000000000000000ull));
    uint64_t rest = u % 10000000000000000ull;
    put8(out + n, (uint32_t)(rest / 100000000u));
    put8(out + n + 8, (uint32_t)(rest % 100000000u));
    return n + 16;
}

size_t jnum_int(char *out, int64_t v)
{
    if (v < 0) {
        out[0] = '-';
        return 1 + utoa(out + 1, -(uint64_t)v);
    }
    return utoa(out, (uint64_t)v);
}

/* jansson's form of snprintf's %.17g text: ".0" when neither '.' nor 'e'
 * is there, no '+' and no leading zeros in the exponent. */
static size_t real_slow(char *out, double x)
{
    char t[JNUM_MAX + 8];
    int n = snprintf(t, sizeof t, "%.17g", x);
    if (n <= 0 || (size_t)n >= sizeof t)
        return 0; /* cannot happen for a finite double */
    size_t len = 0;
    const char *e = strchr(t, 'e');
    if (!e) {
        memcpy(out, t, (size_t)n);
        len = (size_t)n;
        if (!strchr(t, '.')) {
            memcpy(out + len, ".0", 2);
            len += 2;
        }
        return len;
    }
    len = (size_t)(e - t) + 1;
    memcpy(out, t, len);
    const char *p = e + 1;
    if (*p == '+')
        p++;
    else if (*p == '-')
        out[len++] = *p++;
    while (*p == '0' && p[1])
        p++;
    size_t rest = strlen(p);
    memcpy(out + len, p, rest);
    return len + rest;
}

#ifdef __SIZEOF_INT128__
#include "jnum_pow10.h"

/* pow10d[i] = 10^(i-1): 10^-1 .. 10^22 (exact from 10^0 on). */
static const double pow10d[24] = {
    1e-1, 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10,
    1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* m * 2^q * 10^s rounded to an integer (which must be below 2^63); false
 * if s or the result is out of range. */
static bool scaled(uint64_t m, int q, int s, uint64_t *d)
{
    if (s < JNUM_P10_MIN || s > JNUM_P10_MAX)
        return false;
    const uint64_t hi = jnum_p10[s - JNUM_P10_MIN].hi;
    const uint64_t lo = jnum_p10[s - JNUM_P10_MIN].lo;
    /* m * (hi * 2^64 + lo) >> 64, the low 64 bits of m * lo dropped. */
    unsigned __int128 top =
        (unsigned __int128)m * hi + (((unsigned __int128)m * lo) >> 64);
    int t = -(q + jnum_p10[s - JNUM_P10_MIN].e + 64);
    if (t <= 0 || t >= 120)
        return false;
    unsigned __int128 y = top >> (t - 1); /* one bit more, to round */
    if (y >> 64)
        return false;
    *d = (uint64_t)((y >> 1) + (y & 1));
    return true;
}
#endif

size_t jnum_real(char *out, double x)
{
    if (!isfinite(x)) {
        memcpy(out, "null", 4);
        return 4;
    }
    if (x == 0) {
        if (signbit(x)) {
            memcpy(out, "-0.0", 4);
            return 4;
        }
        memcpy(out, "0.0", 3);
        return 3;
    }
#ifdef __SIZEOF_INT128__
    double ax = fabs(x);
    uint64_t bits;
    memcpy(&bits, &ax, sizeof bits);
    int be = (int)(bits >> 52); /* biased exponent; 0: subnormal */
    if (be == 0)
        return real_slow(out, x);
    uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    int q = be - 1075; /* ax = m * 2^q */
    /* ax in [2^(be-1023), 2^(be-1022)); 78913 / 2^18 is just under
     * log10(2), so this is floor(log10(ax)) or one less (fixed below). */
    int e10 = ((be - 1023) * 78913) >> 18;
    /* Most of the time one comparison finds the right decade and saves a
     * second scaling below (which would also get it right). */
    if (e10 >= -1 && e10 < 22 && ax >= pow10d[e10 + 2])
        e10++;
    uint64_t d = 0;
    const uint64_t lo = 10000000000000000ull, hi = 100000000000000000ull;
    int tries = 0;
    for (;;) {
        if (!scaled(m, q, 16 - e10, &d))
            return real_slow(out, x);
        if (d >= hi)
            e10++;
        else if (d < lo)
            e10--;
        else
            break;
        if (++tries > 3)
            return real_slow(out, x);
    }
    char dg[20];
    int nd = 17;
    if (d % 100000000u == 0) {
        d /= 100000000u;
        nd -= 8;
    }
    while (d % 10 == 0) {
        d /= 10;
        nd--;
    }
    utoa(dg, d); /* exactly nd digits */
    size_t len = 0;
    if (x < 0)
        out[len++] = '-';
    if (e10 < -4 || e10 >= 17) {
        out[len++] = dg[0];
        if (nd > 1) {
            out[len++] = '.';
            memcpy(out + len, dg + 1, (size_t)nd - 1);
            len += (size_t)nd - 1;
        }
        out[len++] = 'e';
        len += jnum_int(out + len, e10);
    } else if (e10 >= 0) {
        if (nd <= e10 + 1) {
            memcpy(out + len, dg, (size_t)nd);
            len += (size_t)nd;
            memset(out + len, '0', (size_t)(e10 + 1 - nd));
            len += (size_t)(e10 + 1 - nd);
            memcpy(out + len, ".0", 2);
            len += 2;
        } else {
            memcpy(out + len, dg, (size_t)e10 + 1);
            len += (size_t)e10 + 1;
            out[len++] = '.';
            memcpy(out + len, dg + e10 + 1, (size_t)(nd - e10 - 1));
            len += (size_t)(nd - e10 - 1);
        }
    } else {
        out[len++] = '0';
        out[len++] = '.';
        memset(out + len, '0', (size_t)(-e10 - 1));
        len += (size_t)(-e10 - 1);
        memcpy(out + len, dg, (size_t)nd);
        len += (size_t)nd;
    }
    return len;
#else
    return real_slow(out, x);
#endif
}

int jnum_string(buf_t *b, const char *s, size_t len)
{
    /* Worst case: every byte a \u00XX escape. */
    if (buf_reserve(b, len * 6 + 2) < 0)
        return -1;
    size_t start = b->len;
    char *o = b->data + b->len;
    *o++ = '"';
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            *o++ = (char)c;
            p++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq(p, (size_t)(end - p));
            if (!k) {
                b->len = start;
                b->data[start] = '\0';
                return -1;
            }
            memcpy(o, p, k);
            o += k;
            p += k;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
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
            *o++ = "0123456789ABCDEF"[c >> 4];
            *o++ = "0123456789ABCDEF"[c & 15];
            break;
        }
        p++;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return 0;
}
