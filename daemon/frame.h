/* frame.h - splitting a byte stream into LF-terminated request lines.
 *
 * The framer never holds more than max_line bytes of one line: a longer
 * line is dropped as it streams in (so a 100 MB line costs no memory) and
 * reported once, when its LF arrives, as FRAME_OVERSIZE. The stream then
 * continues with the next line. A trailing CR is stripped; empty lines are
 * skipped. Nor does it keep memory after a large line: once a line longer
 * than FRAME_KEEP_BYTES has been handed over, its buffer is freed, so a
 * 15 MB request does not leave 15 MB behind on an idle connection. */
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

/* A partial-line buffer up to this capacity is kept for reuse; a larger
 * one is freed as soon as its line has been handed over. */
#define FRAME_KEEP_BYTES (64 * 1024)

/* A callback's return value asking frame_feed_some to stop after this
 * event and keep the rest of the chunk with the caller (back-pressure). */
#define FRAME_PAUSE 1

/* Called for each event in stream order. line is valid only during the
 * call and is not NUL-terminated. Return 0 to go on, FRAME_PAUSE to pause
 * (frame_feed_some only); any other value stops frame_feed and is returned
 * from it (the rest of that chunk is lost, so only do this when the stream
 * is being abandoned). */
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
/* As frame_feed, but a callback returning FRAME_PAUSE stops the feed right
 * after its event, and 0 is returned. *used is always set to the bytes of
 * data consumed: the caller feeds data + *used later (on pause), or drops
 * the stream (on error). */
int frame_feed_some(frame_t *f, const char *data, size_t len, frame_cb cb,
                    void *ctx, size_t *used);
/* End of stream: reports a pending partial or oversize line, if any. */
int frame_finish(frame_t *f, frame_cb cb, void *ctx);
/* Bytes received of the current incomplete line (held, or dropped when
 * oversize). */
size_t frame_pending(const frame_t *f);
/* Heap bytes the framer holds now (its buffer's capacity), for the
 * server's memory accounting. */
size_t frame_memory(const frame_t *f);
void frame_free(frame_t *f);

#endif
