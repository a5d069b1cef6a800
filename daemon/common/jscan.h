/* jscan.h - a strict, allocation-free JSON scanner for hot request paths.
 *
 * jscan reads JSON text token by token, so that a caller can turn it
 * straight into its own structures without building a jansson tree. It
 * accepts a subset of what jansson's json_loadb() accepts, never more:
 * every function returns -1 as soon as the text is anything it does not
 * fully understand (a syntax error, invalid UTF-8, a \u0000 escape, a lone
 * surrogate, an integer that does not fit json_int_t, a real that
 * overflows, a number longer than JSCAN_NUM_MAX). A -1 therefore never
 * means "invalid JSON" on its own: it means "give this text to jansson",
 * which then either accepts it or produces its usual error message. That
 * is what keeps the fast path's behaviour identical to the DOM path's.
 *
 * Values decoded by jscan are the values jansson would produce: strings
 * are the same bytes (UTF-8, escapes and surrogate pairs decoded), integers
 * the same json_int_t (strtoll semantics), reals the same double (strtod
 * of the same token). */
#ifndef SPAND_JSCAN_H
#define SPAND_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest number token (bytes) jscan converts itself. */
#define JSCAN_NUM_MAX 63

typedef struct jscan {
    const char *p;   /* next byte to read */
    const char *end; /* one past the last byte of the text */
} jscan_t;

typedef enum jscan_type {
    JSCAN_BAD = 0, /* not the start of a value jscan understands */
    JSCAN_OBJECT,
    JSCAN_ARRAY,
    JSCAN_STRING,
    JSCAN_NUMBER,
    JSCAN_TRUE,
    JSCAN_FALSE,
    JSCAN_NULL,
} jscan_type_t;

/* 1 for a byte that stands for itself inside a JSON string: printable
 * ASCII but '"' and '\\' (DEL included, as jansson reads and writes it);
 * 0 for a byte that needs an escape or starts a UTF-8 sequence. Shared by
 * every scanner and writer of JSON strings. */
extern const unsigned char jscan_plain[256];

/* Skip JSON whitespace (space, tab, LF, CR: jansson's set). */
static inline void jscan_ws(jscan_t *j)
{
    while (j->p < j->end &&
           (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

/* After jscan_ws(): the type of the value starting at j->p (nothing is
 * consumed). Inline: the scanners call it for every value. */
static inline jscan_type_t jscan_peek(const jscan_t *j)
{
    if (j->p >= j->end)
        return JSCAN_BAD;
    switch (*j->p) {
    case '{':
        return JSCAN_OBJECT;
    case '[':
        return JSCAN_ARRAY;
    case '"':
        return JSCAN_STRING;
    case 't':
        return JSCAN_TRUE;
    case 'f':
        return JSCAN_FALSE;
    case 'n':
        return JSCAN_NULL;
    case '-':
        return JSCAN_NUMBER;
    default:
        return *j->p >= '0' && *j->p <= '9' ? JSCAN_NUMBER : JSCAN_BAD;
    }
}

/* Consume byte c (after whitespace). Returns 0, or -1 when the next byte
 * is something else (nothing consumed then). */
static inline int jscan_expect(jscan_t *j, char c)
{
    jscan_ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return 0;
    }
    return -1;
}

/* j->p at a '"': decode the string into dst and set *len to its length
 * in bytes (dst is NUL-terminated at *len). dst needs room for the
 * string's raw bytes between the quotes plus one, so a string decoded into
 * a buffer at least as long as the rest of the text always fits: the
 * decoded form is never longer than its JSON form. Returns 0, or -1 (see
 * above). */
int jscan_string(jscan_t *j, char *dst, size_t *len);

/* j->p at a number: parse it. *is_int tells which of *i (an integer
 * token) or *d (a real: '.', 'e' or 'E') is set. */
int jscan_number(jscan_t *j, bool *is_int, int64_t *i, double *d);

/* j->p at true, false or null: consume it and set *t to its type. */
int jscan_literal(jscan_t *j, jscan_type_t *t);

/* Consume one scalar value (string, number, literal) without keeping it,
 * checking it as strictly as the functions above. */
int jscan_skip_scalar(jscan_t *j);

#endif
