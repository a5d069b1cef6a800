/* jnum.h - JSON numbers and strings as text, fast, for the answer writer.
 *
 * jnum_real() writes a double the way jansson's json_real() is dumped
 * (the %.17g digits with trailing zeros dropped, ".0" added to an integral
 * value, exponents without '+' or leading zeros), so answers keep their
 * text, but without snprintf. The contract is exactness: the text always
 * parses (strtod) back to the same double, bit for bit. Non-finite values
 * are written as null, as the answer writer wants them. */
#ifndef SPAND_JNUM_H
#define SPAND_JNUM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Longest text either function writes (no NUL is written). */
#define JNUM_MAX 32

size_t jnum_int(char *out, int64_t v);
size_t jnum_real(char *out, double x);

/* Append s (len bytes) as a JSON string literal, escaped as jansson's
 * compact dump does. Returns 0, or -1 if s is not valid UTF-8 (nothing is
 * appended) or on allocation failure. */
int jnum_string(buf_t *b, const char *s, size_t len);

#endif
