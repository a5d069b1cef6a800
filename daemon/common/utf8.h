/* utf8.h - the one UTF-8 check every part of spand shares.
 *
 * spand accepts exactly the UTF-8 that jansson accepts (RFC 3629): no
 * overlong forms, no surrogates, nothing above U+10FFFF. The streaming
 * ingest scanner, the answer writer and spanctl's loader must agree with
 * jansson byte for byte, so they all use this function. */
#ifndef SPAND_UTF8_H
#define SPAND_UTF8_H

#include <stddef.h>

/* Length (1 to 4) of the valid UTF-8 sequence starting at s, of which n
 * >= 1 bytes are readable; 0 if the bytes there are not valid UTF-8. */
size_t utf8_seq(const unsigned char *s, size_t n);

#endif
