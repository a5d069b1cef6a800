/* buf.h - growable byte buffer.
 *
 * A buf owns its storage. All appends keep the contents NUL-terminated so
 * that buf_str() is always a valid C string (the NUL is not counted in len).
 * Functions returning int give 0 on success and -ENOMEM on allocation
 * failure, in which case the buffer is left unchanged. */
#ifndef SPAND_BUF_H
#define SPAND_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
} buf_t;

#define BUF_INIT {NULL, 0, 0}

/* Ensure room for at least extra more bytes plus the terminating NUL. */
int buf_reserve(buf_t *b, size_t extra);
int buf_append(buf_t *b, const void *p, size_t n);
int buf_puts(buf_t *b, const char *s);
int buf_putc(buf_t *b, char c);
/* Append formatted text; never truncates (grows as needed). */
int buf_printf(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf_t *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Drop the first n bytes (n <= len). */
void buf_consume(buf_t *b, size_t n);
void buf_clear(buf_t *b);
/* Release storage; the buffer is empty and reusable afterwards. */
void buf_free(buf_t *b);
/* Take ownership of the storage (NUL-terminated, possibly NULL when empty);
 * the buffer is reset to empty. */
char *buf_steal(buf_t *b, size_t *len);
const char *buf_str(const buf_t *b);

#endif
