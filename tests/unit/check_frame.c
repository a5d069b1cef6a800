/* Unit tests: line framing (daemon/frame.c) - partial lines, many lines
 * in one read, oversize lines, CR/LF, end of stream. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define MAXEV 64
#define READ_SIZE (64 * 1024)
struct rec {
    int n;
    frame_event_t ev[MAXEV];
    char line[MAXEV][128];
    size_t len[MAXEV];
};

static int collect(void *ctx, frame_event_t ev, const char *line, size_t len)
{
    struct rec *r = ctx;
    ck_assert_int_lt(r->n, MAXEV);
    r->ev[r->n] = ev;
    r->len[r->n] = len;
    if (line) {
        ck_assert_uint_lt(len, sizeof r->line[0]);
        memcpy(r->line[r->n], line, len);
        r->line[r->n][len] = '\0';
    }
    r->n++;
    return 0;
}

START_TEST(many_in_one_read)
{
    frame_t f;
    struct rec r = {0};
    frame_init(&f, 100);
    const char *in = "one\ntwo\r\n\n\nthree\n";
    ck_assert_int_eq(frame_feed(&f, in, strlen(in), collect, &r), 0);
    ck_assert_int_eq(r.n, 3);
    ck_assert_str_eq(r.line[0], "one");
    ck_assert_str_eq(r.line[1], "two");
    ck_assert_str_eq(r.line[2], "three");
    ck_assert_uint_eq(frame_pending(&f), 0);
    frame_free(&f);
}
END_TEST

START_TEST(partial_lines_byte_by_byte)
{
    frame_t f;
    struct rec r = {0};
    frame_init(&f, 100);
    const char *in = "{\"a\":1}\n{\"b\":2}\npart";
    for (size_t i = 0; i < strlen(in); i++)
        ck_assert_int_eq(frame_feed(&f, in + i, 1, collect, &r), 0);
    ck_assert_int_eq(r.n, 2);
    ck_assert_str_eq(r.line[0], "{\"a\":1}");
    ck_assert_str_eq(r.line[1], "{\"b\":2}");
    ck_assert_uint_eq(frame_pending(&f), 4);
    ck_assert_int_eq(frame_finish(&f, collect, &r), 0);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(r.ev[2], FRAME_TRUNCATED);
    ck_assert_str_eq(r.line[2], "part");
    frame_free(&f);
}
END_TEST

START_TEST(oversize_is_dropped_and_stream_continues)
{
    frame_t f;
    struct rec r = {0};
    frame_init(&f, 10);
    /* exactly at the limit passes; a CR does not count */
    const char *a = "0123456789\n0123456789\r\n";
    ck_assert_int_eq(frame_feed(&f, a, strlen(a), collect, &r), 0);
    ck_assert_int_eq(r.n, 2);
    ck_assert_int_eq(r.ev[0], FRAME_LINE);
    ck_assert_int_eq(r.ev[1], FRAME_LINE);
    /* one byte over, arriving in pieces, never held beyond the limit */
    const char *b = "0123456789A";
    ck_assert_int_eq(frame_feed(&f, b, 5, collect, &r), 0);
    ck_assert_int_eq(frame_feed(&f, b + 5, 6, collect, &r), 0);
    ck_assert_uint_le(f.partial.len, 10);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(frame_feed(&f, "xxxxxxxxxx", 10, collect, &r), 0);
    ck_assert_uint_eq(f.partial.len, 0);
    ck_assert_int_eq(frame_feed(&f, "yy\nok\n", 6, collect, &r), 0);
    ck_assert_int_eq(r.n, 4);
    ck_assert_int_eq(r.ev[2], FRAME_OVERSIZE);
    ck_assert_uint_eq(r.len[2], 11 + 10000 + 2);
    ck_assert_int_eq(r.ev[3], FRAME_LINE);
    ck_assert_str_eq(r.line[3], "ok");
    frame_free(&f);
}
END_TEST

START_TEST(oversize_at_eof)
{
    frame_t f;
    struct rec r = {0};
    frame_init(&f, 4);
    ck_assert_int_eq(frame_feed(&f, "abcdefgh", 8, collect, &r), 0);
    ck_assert_int_eq(frame_finish(&f, collect, &r), 0);
    ck_assert_int_eq(r.n, 1);
    ck_assert_int_eq(r.ev[0], FRAME_OVERSIZE);
    ck_assert_uint_eq(r.len[0], 8);
    frame_free(&f);
}
END_TEST

static int stop_at_two(void *ctx, frame_event_t ev, const char *l, size_t n)
{
    struct rec *r = ctx;
    collect(ctx, ev, l, n);
    return r->n == 2 ? 7 : 0;
}

START_TEST(callback_can_stop)
{
    frame_t f;
    struct rec r = {0};
    frame_init(&f, 100);
    ck_assert_int_eq(frame_feed(&f, "a\nb\nc\n", 6, stop_at_two, &r), 7);
    ck_assert_int_eq(r.n, 2);
    frame_free(&f);
}
END_TEST

static int pause_each(void *ctx, frame_event_t ev, const char *l, size_t n)
{
    collect(ctx, ev, l, n);
    return FRAME_PAUSE;
}

/* The server enforces max_pipeline per request: it pauses after each line
 * and feeds the rest of the read later, losing nothing. */
START_TEST(pause_keeps_the_rest)
{
    frame_t f;
    struct rec r = {0};
    frame_init(&f, 5);
    const char *in = "a\n\nbb\r\ntoolong\nccc";
    size_t len = strlen(in), pos = 0, used = 0;
    ck_assert_int_eq(frame_feed_some(&f, in, len, pause_each, &r, &used), 0);
    ck_assert_uint_eq(used, 2); /* "a\n" */
    ck_assert_int_eq(r.n, 1);
    pos += used;
    ck_assert_int_eq(
        frame_feed_some(&f, in + pos, len - pos, pause_each, &r, &used), 0);
    ck_assert_uint_eq(used, 5); /* the blank line is skipped, "bb\r\n" */
    ck_assert_str_eq(r.line[1], "bb");
    pos += used;
    ck_assert_int_eq(
        frame_feed_some(&f, in + pos, len - pos, pause_each, &r, &used), 0);
    ck_assert_uint_eq(used, 8); /* "toolong\n" */
    ck_assert_int_eq(r.ev[2], FRAME_OVERSIZE);
    ck_assert_uint_eq(r.len[2], 7);
    pos += used;
    ck_assert_int_eq(
        frame_feed_some(&f, in + pos, len - pos, pause_each, &r, &used), 0);
    ck_assert_uint_eq(used, 3); /* "ccc" kept as a partial line */
    ck_assert_int_eq(r.n, 3);
    ck_assert_uint_eq(frame_pending(&f), 3);
    ck_assert_int_eq(frame_finish(&f, pause_each, &r), 0);
    ck_assert_int_eq(r.ev[3], FRAME_TRUNCATED);
    ck_assert_str_eq(r.line[3], "ccc");
    frame_free(&f);
}
END_TEST

static int count_only(void *ctx, frame_event_t ev, const char *l, size_t n)
{
    (void)l;
    (void)n;
    if (ev == FRAME_LINE)
        (*(int *)ctx)++;
    return 0;
}

/* A large line must not leave its buffer behind; a small one's buffer is
 * kept for reuse. */
START_TEST(buffer_shrinks_after_a_large_line)
{
    frame_t f;
    int lines = 0;
    frame_init(&f, 32u << 20);
    size_t big = 15u << 20;
    char *chunk = malloc(READ_SIZE);
    ck_assert_ptr_nonnull(chunk);
    memset(chunk, 'x', READ_SIZE);
    for (size_t sent = 0; sent < big; sent += READ_SIZE)
        ck_assert_int_eq(frame_feed(&f, chunk, READ_SIZE, count_only, &lines),
                         0);
    ck_assert_uint_ge(frame_memory(&f), big);
    ck_assert_int_eq(frame_feed(&f, "\n", 1, count_only, &lines), 0);
    ck_assert_int_eq(lines, 1);
    ck_assert_uint_eq(frame_memory(&f), 0);
    /* a short partial line keeps its (small) buffer */
    ck_assert_int_eq(frame_feed(&f, "abc", 3, count_only, &lines), 0);
    ck_assert_int_eq(frame_feed(&f, "def\n", 4, count_only, &lines), 0);
    ck_assert_int_eq(lines, 2);
    ck_assert_uint_gt(frame_memory(&f), 0);
    ck_assert_uint_le(frame_memory(&f), FRAME_KEEP_BYTES);
    /* an oversize line dropped in the middle frees what it had grown */
    frame_t g;
    frame_init(&g, 1u << 20);
    for (size_t sent = 0; sent < (1u << 20); sent += READ_SIZE)
        ck_assert_int_eq(frame_feed(&g, chunk, READ_SIZE, count_only, &lines),
                         0);
    ck_assert_uint_ge(frame_memory(&g), 1u << 20);
    ck_assert_int_eq(frame_feed(&g, "y", 1, count_only, &lines), 0);
    ck_assert_uint_eq(frame_memory(&g), 0);
    free(chunk);
    frame_free(&f);
    frame_free(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("frame");
    TCase *tc = tcase_create("frame");
    tcase_add_test(tc, many_in_one_read);
    tcase_add_test(tc, partial_lines_byte_by_byte);
    tcase_add_test(tc, oversize_is_dropped_and_stream_continues);
    tcase_add_test(tc, oversize_at_eof);
    tcase_add_test(tc, callback_can_stop);
    tcase_add_test(tc, pause_keeps_the_rest);
    tcase_add_test(tc, buffer_shrinks_after_a_large_line);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
