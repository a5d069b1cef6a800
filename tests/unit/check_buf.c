/* Unit tests: the growable buffer (daemon/common/buf.c and the inline
 * appends of buf.h). Every state is checked for its exact bytes, its
 * length and its NUL terminator. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* b holds exactly the n bytes s, NUL-terminated. */
#define ck_buf(b, s, n)                                                        \
    do {                                                                       \
        ck_assert_uint_eq((b)->len, (n));                                      \
        ck_assert_mem_eq((b)->data, (s), (n));                                 \
        ck_assert_int_eq((b)->data[(b)->len], '\0');                           \
        ck_assert_uint_gt((b)->cap, (b)->len);                                 \
    } while (0)

START_TEST(test_empty)
{
    buf_t b = BUF_INIT;
    ck_assert_str_eq(buf_str(&b), ""); /* no storage yet, still a string */
    ck_assert_ptr_null(b.data);
    buf_clear(&b); /* clearing an empty buffer is fine */
    size_t len = 1;
    ck_assert_ptr_null(buf_steal(&b, &len));
    ck_assert_uint_eq(len, 0);
    buf_free(&b);
}
END_TEST

START_TEST(test_append)
{
    buf_t b = BUF_INIT;
    ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
    ck_buf(&b, "abc", 3);
    ck_assert_int_eq(buf_putc(&b, 'd'), 0);
    ck_assert_int_eq(buf_puts(&b, "ef"), 0);
    ck_assert_int_eq(BUF_LIT(&b, "gh"), 0);
    ck_assert_int_eq(buf_append(&b, NULL, 0), 0); /* nothing, no copy */
    ck_buf(&b, "abcdefgh", 8);
    ck_assert_str_eq(buf_str(&b), "abcdefgh");
    /* Bytes, not strings: a NUL inside is kept and counted. */
    ck_assert_int_eq(buf_append(&b, "\0z", 2), 0);
    ck_buf(&b, "abcdefgh\0z", 10);
    ck_assert(!b.failed);
    buf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_growth)
{
    buf_t b = BUF_INIT;
    /* 100000 single bytes through many doublings: every byte kept. */
    for (unsigned i = 0; i < 100000; i++)
        ck_assert_int_eq(buf_putc(&b, (char)('a' + i % 26)), 0);
    ck_assert_uint_eq(b.len, 100000);
    for (unsigned i = 0; i < 100000; i++)
        ck_assert_int_eq(b.data[i], 'a' + i % 26);
    ck_assert_int_eq(b.data[100000], '\0');
    /* The first allocation is 256 bytes, then doublings: 131072 now. */
    ck_assert_uint_eq(b.cap, 131072);
    buf_free(&b);
}
END_TEST

START_TEST(test_reserve)
{
    buf_t b = BUF_INIT;
    ck_assert_int_eq(buf_reserve(&b, 1000), 0);
    ck_assert_uint_ge(b.cap, 1001); /* room for the NUL too */
    ck_assert_uint_eq(b.len, 0);
    size_t cap = b.cap;
    char *data = b.data;
    /* Appending what was reserved does not reallocate. */
    for (int i = 0; i < 1000; i++)
        buf_putc(&b, 'x');
    ck_assert_ptr_eq(b.data, data);
    ck_assert_uint_eq(b.cap, cap);
    buf_free(&b);
}
END_TEST

START_TEST(test_failure_flag)
{
    buf_t b = BUF_INIT;
    BUF_LIT(&b, "keep");
    /* A size that cannot be allocated: refused, contents unchanged, the
     * failure remembered. */
    /* (volatile: the compiler must not see the size, or it warns about
     * the copy that never happens) */
    volatile size_t huge = SIZE_MAX - 4;
    ck_assert_int_eq(buf_reserve(&b, huge + 2), -ENOMEM);
    ck_assert(b.failed);
    ck_buf(&b, "keep", 4);
    ck_assert_int_eq(buf_append(&b, "x", huge), -ENOMEM);
    ck_buf(&b, "keep", 4);
    /* Later appends work again; the flag stays until cleared. */
    ck_assert_int_eq(BUF_LIT(&b, "!"), 0);
    ck_buf(&b, "keep!", 5);
    ck_assert(b.failed);
    buf_clear(&b);
    ck_assert(!b.failed);
    ck_buf(&b, "", 0);
    buf_free(&b);
}
END_TEST

START_TEST(test_printf)
{
    buf_t b = BUF_INIT;
    ck_assert_int_eq(buf_printf(&b, "%d-%s-%.2f", 42, "x", 1.5), 0);
    ck_buf(&b, "42-x-1.50", 9);
    /* Longer than any first allocation: never truncated. */
    char big[1000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(buf_printf(&b, "[%s]", big), 0);
    ck_assert_uint_eq(b.len, 9 + 1 + 999 + 1);
    ck_assert_int_eq(b.data[10], 'q');
    ck_assert_int_eq(b.data[b.len - 1], ']');
    ck_assert_int_eq(b.data[b.len], '\0');
    ck_assert_int_eq(buf_printf(&b, "%s", ""), 0); /* nothing appended */
    ck_assert_uint_eq(b.len, 1010);
    buf_free(&b);
}
END_TEST

START_TEST(test_consume_truncate)
{
    buf_t b = BUF_INIT;
    BUF_LIT(&b, "line1\nline2\n");
    buf_consume(&b, 6);
    ck_buf(&b, "line2\n", 6);
    buf_truncate(&b, 5);
    ck_buf(&b, "line2", 5);
    buf_truncate(&b, 9); /* longer than the contents: no change */
    ck_buf(&b, "line2", 5);
    buf_consume(&b, 5); /* everything */
    ck_buf(&b, "", 0);
    BUF_LIT(&b, "ab");
    buf_consume(&b, 100); /* more than held: empties */
    ck_buf(&b, "", 0);
    buf_free(&b);
}
END_TEST

START_TEST(test_steal)
{
    buf_t b = BUF_INIT;
    BUF_LIT(&b, "owned");
    size_t len = 0;
    char *p = buf_steal(&b, &len);
    ck_assert_uint_eq(len, 5);
    ck_assert_str_eq(p, "owned");
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    free(p);
    /* Reusable afterwards. */
    BUF_LIT(&b, "again");
    ck_buf(&b, "again", 5);
    buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_append);
    tcase_add_test(tc, test_growth);
    tcase_add_test(tc, test_reserve);
    tcase_add_test(tc, test_failure_flag);
    tcase_add_test(tc, test_printf);
    tcase_add_test(tc, test_consume_truncate);
    tcase_add_test(tc, test_steal);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
