/* Unit tests: line framing (daemon/frame.c) - partial lines, many lines
 * in one read, oversize lines, CR/LF, end of stream. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define MAXEV 64
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

int main(void)
{
    Suite *s = suite_create("frame");
    TCase *tc = tcase_create("frame");
    tcase_add_test(tc, many_in_one_read);
    tcase_add_test(tc, partial_lines_byte_by_byte);
    tcase_add_test(tc, oversize_is_dropped_and_stream_continues);
    tcase_add_test(tc, oversize_at_eof);
    tcase_add_test(tc, callback_can_stop);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
