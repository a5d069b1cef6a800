/* frame.h - splitting a byte stream into LF-terminated request lines.
 *
 * The framer never holds more than max_line bytes of one line: a longer
 * line is dropped as it streams in (so a 100 MB line costs no memory) and
 * reported once, when its LF arrives, as FRAME_OVERSIZE. The stream then
 * continues with the next line. A trailing CR is stripped; empty lines are
 * skipped. */
#ifndef SPAND_FRAME_H
#define SPAND_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef enum frame_event {
    FRAME_LINE,     /* a complete line (without its LF/CR) */
    FRAME_OVERSIZE, /* a line longer than max_line was dropped; len = size */
    FRAME_TRUNCATED /* end of stream inside a line; the partial line */
} frame_event_t;

/* Called for each event in stream order. line is valid only during the
 * call and is not NUL-terminated. Return 0 to go on; any other value stops
 * frame_feed and is returned from it (the rest of that chunk is lost, so
 * only do this when the stream is being abandoned). */
typedef int (*frame_cb)(void *ctx, frame_event_t ev, const char *line,
                        size_t len);

typedef struct frame {
    buf_t partial;   /* the incomplete tail of the stream */
    size_t max_line; /* longest accepted line, LF excluded */
    size_t dropped;  /* bytes dropped of the current oversize line */
    bool discarding; /* inside an oversize line */
} frame_t;

void frame_init(frame_t *f, size_t max_line);
/* Feed len bytes. Returns 0, a callback's non-zero return, or -ENOMEM. */
int frame_feed(frame_t *f, const char *data, size_t len, frame_cb cb,
               void *ctx);
/* End of stream: reports a pending partial or oversize line, if any. */
int frame_finish(frame_t *f, frame_cb cb, void *ctx);
/* Bytes currently held for an incomplete line. */
size_t frame_pending(const frame_t *f);
void frame_free(frame_t *f);

#endif
