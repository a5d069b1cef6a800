/* frame.c - see frame.h. */
#include "frame.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

void frame_init(frame_t *f, size_t max_line)
{
    memset(f, 0, sizeof *f);
    f->max_line = max_line;
}

static int emit_line(const char *p, size_t n, frame_cb cb, void *ctx)
{
    if (n && p[n - 1] == '\r')
        n--;
    if (n == 0)
        return 0;
    return cb(ctx, FRAME_LINE, p, n);
}

/* Empty the partial buffer; give its memory back if a large line grew
 * it. */
static void partial_reset(frame_t *f)
{
    if (f->partial.cap > FRAME_KEEP_BYTES)
        buf_free(&f->partial);
    else
        buf_clear(&f->partial);
}

int frame_feed(frame_t *f, const char *data, size_t len, frame_cb cb, void *ctx)
{
    size_t used;
    return frame_feed_some(f, data, len, cb, ctx, &used);
}

/* The callback's rc: 0 goes on; *stop says whether to return now. */
static int after_cb(int rc, bool *stop)
{
    *stop = rc != 0;
    return rc == FRAME_PAUSE ? 0 : rc;
}

int frame_feed_some(frame_t *f, const char *data, size_t len, frame_cb cb,
                    void *ctx, size_t *used)
{
    const char *p = data, *end = data + len;
    bool stop;
    *used = 0;
    while (p < end) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        if (f->discarding) {
            if (!lf) {
                f->dropped += (size_t)(end - p);
                *used = len;
                return 0;
            }
            f->dropped += (size_t)(lf - p);
            f->discarding = false;
            p = lf + 1;
            *used = (size_t)(p - data);
            size_t dropped = f->dropped;
            f->dropped = 0;
            int rc = after_cb(cb(ctx, FRAME_OVERSIZE, NULL, dropped), &stop);
            if (stop)
                return rc;
            continue;
        }
        size_t seg = lf ? (size_t)(lf - p) : (size_t)(end - p);
        size_t total = f->partial.len + seg;
        /* A CR before the LF does not count against the limit, nor one
         * that ends what has come so far: its LF may come with the next
         * read (found by tests/fuzz/fuzz_frame; a line of exactly
         * max_line bytes was refused when its CR and LF came apart). */
        size_t counted = total;
        char last = seg     ? p[seg - 1]
                    : total ? f->partial.data[f->partial.len - 1]
                            : 0;
        if (last == '\r')
            counted--;
        if (counted > f->max_line) {
            /* The discarding branch counts this segment (it once was
             * counted twice when its LF was in the same chunk; found by
             * tests/fuzz/fuzz_frame and by check_frame). */
            f->dropped = f->partial.len;
            partial_reset(f);
            f->discarding = true;
            continue;
        }
        if (!lf) {
            if (buf_append(&f->partial, p, seg) < 0)
                return -ENOMEM;
            *used = len;
            return 0;
        }
        int rc;
        if (f->partial.len == 0) {
            p = lf + 1;
            *used = (size_t)(p - data);
            /* no copy on the common path */
            rc = emit_line(p - 1 - seg, seg, cb, ctx);
        } else {
            if (buf_append(&f->partial, p, seg) < 0)
                return -ENOMEM;
            p = lf + 1;
            *used = (size_t)(p - data);
            rc = emit_line(f->partial.data, f->partial.len, cb, ctx);
            partial_reset(f);
        }
        rc = after_cb(rc, &stop);
        if (stop)
            return rc;
    }
    return 0;
}

int frame_finish(frame_t *f, frame_cb cb, void *ctx)
{
    int rc = 0;
    if (f->discarding) {
        size_t dropped = f->dropped;
        f->discarding = false;
        f->dropped = 0;
        rc = cb(ctx, FRAME_OVERSIZE, NULL, dropped);
    } else if (f->partial.len) {
        size_t n = f->partial.len;
        if (f->partial.data[n - 1] == '\r')
            n--;
        if (n)
            rc = cb(ctx, FRAME_TRUNCATED, f->partial.data, n);
        partial_reset(f);
    }
    return rc == FRAME_PAUSE ? 0 : rc;
}

size_t frame_pending(const frame_t *f)
{
    return f->discarding ? f->dropped : f->partial.len;
}

size_t frame_memory(const frame_t *f)
{
    return f->partial.cap;
}

void frame_free(frame_t *f)
{
    buf_free(&f->partial);
}
