/* ctl_table.c - spanctl's text tables, number formats and CSV fields; see
 * ctl_table.h. */
/* POSIX.1-2008: strdup. */
#define _POSIX_C_SOURCE 200809L

#include "ctl_table.h"

#include <math.h> /* isnan, isinf: macros, no libm */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char *ctl_vfmt(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s && vsnprintf(s, (size_t)n + 1, fmt, ap) != n) {
        free(s);
        s = NULL;
    }
    return s;
}

char *ctl_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = ctl_vfmt(fmt, ap);
    va_end(ap);
    return s;
}

/* Counting code points is good enough for the names and places this data
 * holds (no double-width scripts expected, no combining marks). */
size_t ctl_text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

char *ctl_clean_dup(const char *s)
{
    char *d = strdup(s);
    if (d)
        for (char *p = d; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
    return d;
}

/* Whole and small enough that a double holds it exactly (|v| < 2^53). */
static bool is_integral(double v)
{
    return v > -9007199254740992.0 && v < 9007199254740992.0 &&
           v == (double)(long long)v;
}

/* The decimal exponent of v once rounded to 4 significant digits (9.9996
 * -> 1, as it prints 10.00), from printf's own rounding: no libm. */
static int exponent4(double v)
{
    char e[32];
    snprintf(e, sizeof e, "%.3e", v);
    const char *x = strchr(e, 'e');
    return x ? atoi(x + 1) : 0;
}

char *ctl_number_text(double v)
{
    if (isnan(v))
        return strdup("-");
    if (isinf(v))
        return strdup(v > 0 ? "inf" : "-inf");
    if (v == 0)
        return strdup("0"); /* also -0 */
    /* Integral values (counts) print whole, up to where doubles still hold
     * every integer. */
    if (is_integral(v))
        return ctl_fmt("%.0f", v);
    int exp = exponent4(v);
    if (exp < -4 || exp >= 15)
        return ctl_fmt("%.3e", v);
    /* 4 significant digits: 3 decimals at 1.xxx, 0 from 1000 on. */
    int decimals = exp >= 3 ? 0 : 3 - exp;
    return ctl_fmt("%.*f", decimals, v);
}

char *ctl_count(long long n, const char *one, const char *many)
{
    return ctl_fmt("%lld %s", n, n == 1 ? one : many);
}

char *ctl_value_text(const json_t *v)
{
    if (!v || json_is_null(v))
        return strdup("-");
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v))
        return ctl_fmt("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_real(v))
        return ctl_number_text(json_real_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

char *ctl_csv_text(const json_t *v)
{
    if (!v || json_is_null(v))
        return strdup("");
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v))
        return ctl_fmt("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_true(v))
        return strdup("1");
    if (json_is_false(v))
        return strdup("0");
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (is_integral(d))
            return ctl_fmt("%.0f", d == 0 ? 0.0 : d);
        /* The shortest of %.15g..%.17g that reads back exactly. */
        for (int prec = 15; prec <= 17; prec++) {
            char *s = ctl_fmt("%.*g", prec, d);
            if (!s || prec == 17 || strtod(s, NULL) == d)
                return s;
            free(s);
        }
    }
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

void ctl_csv_write(FILE *out, const char *s)
{
    size_t len = strlen(s);
    bool quote = strpbrk(s, ",\"\r\n") != NULL ||
                 (len > 0 && (s[0] == ' ' || s[len - 1] == ' '));
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void ctl_table_take(ctl_table_t *t, char *s)
{
    if (!s) {
        t->oom = true;
        return;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **p = realloc(t->cell, cap * sizeof *p);
        if (!p) {
            free(s);
            t->oom = true;
            return;
        }
        t->cell = p;
        t->cap = cap;
    }
    t->cell[t->n++] = s;
}

void ctl_table_add(ctl_table_t *t, const char *s)
{
    ctl_table_take(t, ctl_clean_dup(s ? s : "-"));
}

void ctl_table_addf(ctl_table_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = ctl_vfmt(fmt, ap);
    va_end(ap);
    ctl_table_take(t, s);
}

void ctl_table_add_value(ctl_table_t *t, const json_t *v)
{
    char *s = ctl_value_text(v);
    if (!s) {
        t->oom = true;
        return;
    }
    ctl_table_add(t, s);
    free(s);
}

static void pad(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

int ctl_table_print(const ctl_table_t *t, FILE *out)
{
    if (t->oom) {
        fputs("spanctl: out of memory\n", stderr);
        return -1;
    }
    if (t->ncols == 0)
        return 0;
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w) {
        fputs("spanctl: out of memory\n", stderr);
        return -1;
    }
    for (size_t c = 0; t->head && c < t->ncols; c++)
        w[c] = ctl_text_width(t->head[c]);
    for (size_t i = 0; i < t->n; i++) {
        size_t tw = ctl_text_width(t->cell[i]);
        if (tw > w[i % t->ncols])
            w[i % t->ncols] = tw;
    }
    size_t rows = t->n / t->ncols;
    for (size_t r = 0; r < rows + (t->head ? 1 : 0); r++) {
        fputs(t->indent ? t->indent : "", out);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s =
                t->head && r == 0
                    ? t->head[c]
                    : t->cell[(r - (t->head ? 1 : 0)) * t->ncols + c];
            size_t gap = w[c] - ctl_text_width(s);
            bool last = c + 1 == t->ncols;
            bool right = t->align && t->align[c] == 'r';
            if (right)
                pad(out, gap);
            fputs(s, out);
            if (!last && !right)
                pad(out, gap);
            if (!last)
                fputs("  ", out);
        }
        fputc('\n', out);
    }
    free(w);
    return 0;
}

int ctl_kv_print(ctl_table_t *t, FILE *out)
{
    t->ncols = 2;
    t->align = "ll";
    for (size_t i = 0; i + 1 < t->n; i += 2) {
        char *k = ctl_fmt("%s:", t->cell[i]);
        if (!k) {
            t->oom = true;
            break;
        }
        free(t->cell[i]);
        t->cell[i] = k;
    }
    return ctl_table_print(t, out);
}

void ctl_table_free(ctl_table_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->cell[i]);
    free(t->cell);
    t->cell = NULL;
    t->n = t->cap = 0;
    t->oom = false;
}

json_t *ctl_table_rows(const json_t *res, const char *name)
{
    json_t *t = json_object_get(json_object_get(res, "tables"), name);
    json_t *cols = json_object_get(t, "columns"),
           *rows = json_object_get(t, "rows");
    json_t *out = json_array();
    for (size_t i = 0; out && i < json_array_size(rows); i++) {
        json_t *o = json_object();
        json_t *row = json_array_get(rows, i);
        for (size_t c = 0; o && c < json_array_size(cols); c++) {
            const char *col = json_string_value(
                json_object_get(json_array_get(cols, c), "name"));
            if (col)
                json_object_set(o, col, json_array_get(row, c));
        }
        json_array_append_new(out, o);
    }
    return out;
}
