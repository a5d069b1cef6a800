/* Unit tests: ISO 8601 parsing and formatting (daemon/common/ts.c). Expected
 * values are Unix times checked with `date -u -d ... +%s`. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"

static int64_t parse_ok(const char *s)
{
    int64_t t = 0;
    const char *why = NULL;
    ck_assert_msg(ts_parse_iso(s, strlen(s), &t, &why) == 0, "%s rejected: %s",
                  s, why);
    return t;
}

static const char *parse_bad(const char *s)
{
    int64_t t = 0;
    const char *why = NULL;
    ck_assert_msg(ts_parse_iso(s, strlen(s), &t, &why) != 0,
                  "%s accepted as %lld", s, (long long)t);
    ck_assert_ptr_nonnull(why);
    return why;
}

START_TEST(dates)
{
    ck_assert_int_eq(parse_ok("1970-01-01"), 0);
    ck_assert_int_eq(parse_ok("2024-02-29"), 1709164800);
    ck_assert_int_eq(parse_ok("2000-03-01"), 951868800);
    ck_assert_int_eq(parse_ok("1969-12-31"), -86400);
    ck_assert_int_eq(parse_ok("0001-01-01"), TS_MIN);
    ck_assert_int_eq(parse_ok("9999-12-31T23:59:59Z"), TS_MAX);
}
END_TEST

START_TEST(datetimes)
{
    ck_assert_int_eq(parse_ok("2024-03-01T10:00:00Z"), 1709287200);
    ck_assert_int_eq(parse_ok("2024-03-01 10:00:00z"), 1709287200);
    ck_assert_int_eq(parse_ok("2024-03-01T10:00Z"), 1709287200);
    ck_assert_int_eq(parse_ok("2024-03-01T11:00:00+01:00"), 1709287200);
    ck_assert_int_eq(parse_ok("2024-03-01T05:30:00-0430"), 1709287200);
    ck_assert_int_eq(parse_ok("2024-03-01T12:00:00+02"), 1709287200);
    /* fractions are dropped, not rounded */
    ck_assert_int_eq(parse_ok("2024-03-01T10:00:00.999Z"), 1709287200);
    ck_assert_int_eq(parse_ok("2024-03-01T10:00:00,5Z"), 1709287200);
}
END_TEST

START_TEST(rejects)
{
    parse_bad("");
    parse_bad("2024");
    parse_bad("2024-1-01");
    parse_bad("24-01-01");
    parse_bad("2024-00-10");
    ck_assert_str_eq(parse_bad("2023-02-29"), "day out of range for its month");
    parse_bad("2024-04-31");
    parse_bad("2024-01-01T25:00:00Z");
    parse_bad("2024-01-01T10:60:00Z");
    ck_assert_ptr_nonnull(strstr(parse_bad("2024-01-01T10:00:00"), "zone"));
    parse_bad("2024-01-01T10:00:00+25:00");
    parse_bad("2024-01-01T10:00:00.Z");
    parse_bad("2024-01-01T10:00:00Zjunk");
    parse_bad("2024-01-01junk");
    parse_bad("0000-01-01");
    parse_bad("2024-01-01T");
}
END_TEST

START_TEST(length_is_respected)
{
    /* Not NUL-terminated at len: only len bytes count. */
    int64_t t;
    const char *why;
    ck_assert_int_eq(ts_parse_iso("2024-02-29XXXX", 10, &t, &why), 0);
    ck_assert_int_eq(t, 1709164800);
}
END_TEST

START_TEST(format)
{
    char b[TS_FORMAT_LEN];
    ck_assert_str_eq(ts_format(0, b), "1970-01-01T00:00:00Z");
    ck_assert_str_eq(ts_format(1709287200, b), "2024-03-01T10:00:00Z");
    ck_assert_str_eq(ts_format(-1, b), "1969-12-31T23:59:59Z");
    ck_assert_str_eq(ts_format(TS_MIN, b), "0001-01-01T00:00:00Z");
    ck_assert_str_eq(ts_format(TS_MAX, b), "9999-12-31T23:59:59Z");
    /* round trip over a spread of instants */
    for (int64_t x = TS_MIN; x < TS_MAX; x += 86400LL * 3677 + 4321) {
        int64_t y;
        const char *why;
        ts_format(x, b);
        ck_assert_int_eq(ts_parse_iso(b, strlen(b), &y, &why), 0);
        ck_assert_int_eq(x, y);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ts");
    TCase *tc = tcase_create("ts");
    tcase_add_test(tc, dates);
    tcase_add_test(tc, datetimes);
    tcase_add_test(tc, rejects);
    tcase_add_test(tc, length_is_respected);
    tcase_add_test(tc, format);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
