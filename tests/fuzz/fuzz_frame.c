/* fuzz_frame.c - libFuzzer harness: the line framer (daemon/frame.c).
 *
 * Input: one byte for the line limit (0..63), one for the chunk size
 * (1..64), then the stream. The stream is fed in chunks of that size and
 * every event is checked against a model that splits the whole stream at
 * once: lines at LF, one CR before the LF (or at the end of the stream)
 * stripped, empty lines skipped, a line longer than the limit (that CR
 * not counted) reported as FRAME_OVERSIZE with its length (without LF), a
 * last line without LF as FRAME_TRUNCATED (or FRAME_OVERSIZE). The framer
 * never holds more than the limit and such a CR. Any difference aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

struct expect {
    const char *s, *end; /* the whole stream */
    size_t max;
    size_t events;
};

/* The next event the model predicts, from e->s on; false at the end. */
static bool model_next(struct expect *e, frame_event_t *ev, const char **line,
                       size_t *len)
{
    while (e->s < e->end) {
        const char *lf = memchr(e->s, '\n', (size_t)(e->end - e->s));
        const char *a = e->s;
        size_t n = lf ? (size_t)(lf - a) : (size_t)(e->end - a);
        e->s = lf ? lf + 1 : e->end;
        size_t counted = n;
        if (n && a[n - 1] == '\r')
            counted--;
        if (counted > e->max) {
            *ev = FRAME_OVERSIZE;
            *line = NULL;
            *len = n;
            return true;
        }
        if (n && a[n - 1] == '\r')
            n--;
        if (n == 0)
            continue;
        *ev = lf ? FRAME_LINE : FRAME_TRUNCATED;
        *line = a;
        *len = n;
        return true;
    }
    return false;
}

static int on_event(void *ctx, frame_event_t ev, const char *line, size_t len)
{
    struct expect *e = ctx;
    frame_event_t want;
    const char *wline;
    size_t wlen;
    if (!model_next(e, &want, &wline, &wlen)) {
        fprintf(stderr, "event %zu: not expected\n", e->events);
        abort();
    }
    if (ev != want || len != wlen ||
        (ev != FRAME_OVERSIZE && memcmp(line, wline, len) != 0)) {
        fprintf(stderr, "event %zu: got %d len %zu, want %d len %zu\n",
                e->events, (int)ev, len, (int)want, wlen);
        abort();
    }
    e->events++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t max = data[0] % 64, chunk = data[1] % 64 + 1;
    const char *s = (const char *)data + 2;
    size_t n = size - 2;
    struct expect e = {s, s + n, max, 0};
    frame_t f;
    frame_init(&f, max);
    for (size_t at = 0; at < n; at += chunk) {
        size_t k = n - at < chunk ? n - at : chunk;
        /* Each chunk in its own allocation: ASan sees any overread. */
        char *c = malloc(k);
        if (!c)
            abort();
        memcpy(c, s + at, k);
        if (frame_feed(&f, c, k, on_event, &e) != 0)
            abort();
        free(c);
        if (frame_pending(&f) > max + 1 && !f.discarding)
            abort(); /* never holds more than the limit (and a CR) */
    }
    if (frame_finish(&f, on_event, &e) != 0)
        abort();
    frame_event_t ev;
    const char *l;
    size_t len;
    if (model_next(&e, &ev, &l, &len)) {
        fprintf(stderr, "event %zu never came\n", e.events);
        abort();
    }
    frame_free(&f);
    return 0;
}
