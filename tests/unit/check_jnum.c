/* Unit tests: the answer writer's numbers and strings (daemon/common/jnum.c).
 * The contract: every finite double reads back (strtod) bit for bit, in
 * the text jansson's json_real() dump gives (%.17g's digits, ".0" on
 * integral values, no '+' or leading zeros in exponents); integers as
 * printf's %lld; strings escaped as jansson escapes them. */
#include <check.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jnum.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
    rng ^= rng << 13; /* xorshift64 */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void round_trips(double x)
{
    char t[JNUM_MAX + 1];
    size_t n = jnum_real(t, x);
    ck_assert_uint_le(n, JNUM_MAX);
    t[n] = '\0';
    double y = strtod(t, NULL);
    ck_assert_msg(memcmp(&x, &y, sizeof x) == 0, "%a printed as %s", x, t);
}

static void same_as_jansson(double x)
{
    char t[JNUM_MAX + 1];
    t[jnum_real(t, x)] = '\0';
    json_t *j = json_real(x);
    char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    ck_assert_str_eq(t, want);
    free(want);
    json_decref(j);
}

START_TEST(reals_round_trip)
{
    for (int i = 0; i < 2000000; i++) {
        uint64_t bits = next();
        double x;
        memcpy(&x, &bits, sizeof x);
        if (isfinite(x))
            round_trips(x);
        /* and values of everyday size */
        round_trips((double)(next() >> 11) / 9007199254740992.0 *
                    pow(10, (int)(next() % 12) - 4));
    }
    static const double edges[] = {5e-324,
                                   2.2250738585072009e-308,
                                   2.2250738585072014e-308,
                                   1.7976931348623157e308,
                                   1e-5,
                                   1e-4,
                                   1e16,
                                   1e17,
                                   1e22,
                                   1e23,
                                   9007199254740992.0,
                                   9007199254740993.0,
                                   0.1,
                                   1.0 / 3,
                                   123.456,
                                   99999999999999984.0};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        round_trips(edges[i]);
        round_trips(-edges[i]);
    }
}
END_TEST

START_TEST(reals_as_jansson)
{
    static const double xs[] = {0.0,  -0.0, 1.0,   -2.0,    0.5,     1e17,
                                1e16, 1e-5, 1e-4,  1e300,   1e22,    0.1,
                                0.3,  2.5,  100.0, 1.0 / 3, 123.456, 5e-324};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
        same_as_jansson(xs[i]);
    char t[JNUM_MAX];
    ck_assert_int_eq(jnum_real(t, NAN), 4);
    ck_assert_int_eq(memcmp(t, "null", 4), 0);
    ck_assert_int_eq(jnum_real(t, -INFINITY), 4);
}
END_TEST

START_TEST(integers)
{
    static const int64_t xs[] = {
        0,        1,         -1,        9,         10,
        99999999, 100000000, INT64_MAX, INT64_MIN, -12345678901234567};
    char t[JNUM_MAX + 1], want[32];
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        t[jnum_int(t, xs[i])] = '\0';
        snprintf(want, sizeof want, "%" PRId64, xs[i]);
        ck_assert_str_eq(t, want);
    }
    for (int i = 0; i < 100000; i++) {
        int64_t v = (int64_t)(next() >> (next() % 64));
        t[jnum_int(t, v)] = '\0';
        snprintf(want, sizeof want, "%" PRId64, v);
        ck_assert_str_eq(t, want);
    }
}
END_TEST

START_TEST(strings)
{
    static const char *const xs[] = {"plain",
                                     "quote\" back\\slash",
                                     "ctl\x01\b\f\n\r\t",
                                     "caf\xc3\xa9 \xe2\x82\xac",
                                     "\xf0\x9f\x98\x80",
                                     ""};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        buf_t b = BUF_INIT;
        ck_assert_int_eq(jnum_string(&b, xs[i], strlen(xs[i])), 0);
        json_t *j = json_string(xs[i]);
        char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
        ck_assert_str_eq(buf_str(&b), want);
        free(want);
        json_decref(j);
        buf_free(&b);
    }
    static const char *const bad[] = {"\xc3", "\xc0\xaf", "\xed\xa0\x80",
                                      "\xf4\x90\x80\x80", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_t b = BUF_INIT;
        ck_assert_int_eq(jnum_string(&b, bad[i], strlen(bad[i])), -1);
        ck_assert_uint_eq(b.len, 0);
        buf_free(&b);
    }
}
END_TEST

/* How often the text differs from jansson's (%.17g's digits): only where
 * the exact value lies within a hair of a rounding tie of the 17th digit.
 * The count is printed (doc/design-notes.md quotes it) and held below 1 in
 * 1,000 so that a real digit error cannot hide here. */
START_TEST(reals_rarely_differ_from_jansson)
{
    const int n = 200000;
    int differ = 0;
    for (int i = 0; i < n; i++) {
        uint64_t bits = next();
        double x;
        memcpy(&x, &bits, sizeof x);
        if (i % 2 == 0 || !isfinite(x))
            x = (double)(next() >> 11) / 9007199254740992.0 *
                pow(10, (int)(next() % 12) - 4);
        char t[JNUM_MAX + 1];
        t[jnum_real(t, x)] = '\0';
        json_t *j = json_real(x);
        char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
        ck_assert_ptr_nonnull(want);
        differ += strcmp(t, want) != 0;
        free(want);
        json_decref(j);
    }
    printf("# jnum: %d of %d reals (half everyday, half any bits) printed "
           "otherwise than jansson "
           "(each still reads back exactly)\n",
           differ, n);
    ck_assert_int_lt(differ, n / 1000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jnum");
    TCase *tc = tcase_create("jnum");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, reals_round_trip);
    tcase_add_test(tc, reals_as_jansson);
    tcase_add_test(tc, reals_rarely_differ_from_jansson);
    tcase_add_test(tc, integers);
    tcase_add_test(tc, strings);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
