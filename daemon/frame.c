/* frame.c - see frame.h. */
#include "frame.h"

#include <errno.h>
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

int frame_feed(frame_t *f, const char *data, size_t len, frame_cb cb,
               void *ctx)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        if (f->discarding) {
            if (!lf) {
                f->dropped += (size_t)(end - p);
                return 0;
            }
            f->dropped += (size_t)(lf - p);
            f->discarding = false;
            p = lf + 1;
            size_t dropped = f->dropped;
            f->dropped = 0;
            int rc = cb(ctx, FRAME_OVERSIZE, NULL, dropped);
            if (rc)
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
            /* The segment itself is counted by the discarding branch
             * (counting it here too over-reported the size by it; found
             * by tests/fuzz/fuzz_frame). */
            f->dropped = f->partial.len;
            buf_clear(&f->partial);
            f->discarding = true;
            continue; /* the discarding branch takes the segment and LF */
        }
        if (!lf) {
            if (buf_append(&f->partial, p, seg) < 0)
                return -ENOMEM;
            return 0;
        }
        int rc;
        if (f->partial.len == 0) {
            rc = emit_line(p, seg, cb, ctx); /* no copy on the common path */
        } else {
            if (buf_append(&f->partial, p, seg) < 0)
                return -ENOMEM;
            rc = emit_line(f->partial.data, f->partial.len, cb, ctx);
            buf_clear(&f->partial);
        }
        p = lf + 1;
        if (rc)
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
        buf_clear(&f->partial);
    }
    return rc;
}

size_t frame_pending(const frame_t *f)
{
    return f->discarding ? f->dropped : f->partial.len;
}

void frame_free(frame_t *f)
{
    buf_free(&f->partial);
}
