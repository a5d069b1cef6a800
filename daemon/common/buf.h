/* buf.h - growable byte buffer.
 *
 * A buf owns its storage. All appends keep the contents NUL-terminated so
 * that buf_str() is always a valid C string (the NUL is not counted in len).
 * Functions returning int give 0 on success and -ENOMEM on allocation
 * failure, in which case the buffer is left unchanged but for its failed
 * flag, which stays set until buf_clear(), buf_free() or buf_steal(): a
 * caller that appends many small pieces (spanctl's JSON writer) may check
 * it once at the end instead of after every append.
 *
 * The appends that run per byte or per field on hot paths (buf_reserve,
 * buf_append, buf_putc) are inline: their common case is one compare and
 * a copy, and only growing calls out (buf_grow). */
#ifndef SPAND_BUF_H
#define SPAND_BUF_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;  /* bytes allocated; > len (room for the NUL) once any */
    bool failed; /* an allocation failed since the last clear */
} buf_t;

#define BUF_INIT                                                               \
    {                                                                          \
        NULL, 0, 0, false                                                      \
    }

/* The slow half of buf_reserve(): grow the storage. 0 or -ENOMEM. */
int buf_grow(buf_t *b, size_t extra);

/* Ensure room for at least extra more bytes plus the terminating NUL. */
static inline int buf_reserve(buf_t *b, size_t extra)
{
    return b->cap - b->len > extra ? 0 : buf_grow(b, extra);
}

static inline int buf_append(buf_t *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return -ENOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static inline int buf_putc(buf_t *b, char c)
{
    if (buf_reserve(b, 1) < 0)
        return -ENOMEM;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return 0;
}

/* Shorten the contents to their first n bytes (n <= len): undoes appends
 * made after len was n. */
static inline void buf_truncate(buf_t *b, size_t n)
{
    if (n < b->len) {
        b->len = n;
        b->data[n] = '\0';
    }
}

int buf_puts(buf_t *b, const char *s);
/* buf_append() of a string literal, without strlen(). */
#define BUF_LIT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)
/* Append formatted text; never truncates (grows as needed). */
int buf_printf(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf_t *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Drop the first n bytes (n <= len). */
void buf_consume(buf_t *b, size_t n);
/* Empty the buffer, keeping its storage; clears failed. */
void buf_clear(buf_t *b);
/* Release storage; the buffer is empty and reusable afterwards. */
void buf_free(buf_t *b);
/* Take ownership of the storage (NUL-terminated, possibly NULL when empty);
 * the buffer is reset to empty. */
char *buf_steal(buf_t *b, size_t *len);
const char *buf_str(const buf_t *b);

#endif
