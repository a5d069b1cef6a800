/* Unit tests: spanctl's number formats (daemon/ctl/ctl_table.c). Numbers in
 * tables have 4 significant digits whatever their size, trailing zeros
 * kept so a column reads alike; counts print whole and agree with their
 * word ("1 tie", "2 ties"). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_table.h"

static void ck_num(double v, const char *want)
{
    char *s = ctl_number_text(v);
    ck_assert_ptr_nonnull(s);
    ck_assert_msg(!strcmp(s, want), "%.17g: got \"%s\", want \"%s\"", v, s,
                  want);
    free(s);
}

START_TEST(test_significant_digits)
{
    /* The same 4 significant digits at every magnitude. */
    ck_num(0.123456, "0.1235");
    ck_num(0.0123456, "0.01235");
    ck_num(0.00123456, "0.001235");
    ck_num(1.23456, "1.235");
    ck_num(12.3456, "12.35");
    ck_num(123.456, "123.5");
    ck_num(1234.56, "1235");
    ck_num(12345.6, "12346");
    ck_num(-0.25, "-0.2500");
    ck_num(0.5, "0.5000");
    ck_num(2.5, "2.500");
    /* Rounding across a power of ten keeps 4 digits, not 5. */
    ck_num(9.99996, "10.00");
    ck_num(0.099996, "0.1000");
    ck_num(999.96, "1000");
    /* Tiny and huge: exponent form, still 4 digits. */
    ck_num(0.0000123456, "1.235e-05");
    ck_num(1.5e20, "1.500e+20");
}
END_TEST

START_TEST(test_whole_and_special)
{
    ck_num(0, "0");
    ck_num(-0.0, "0");
    ck_num(7, "7");
    ck_num(-3, "-3");
    ck_num(11388, "11388");
    ck_num(NAN, "-");
    ck_num(INFINITY, "inf");
    ck_num(-INFINITY, "-inf");
}
END_TEST

START_TEST(test_count)
{
    const struct {
        long long n;
        const char *want;
    } cases[] = {
        {0, "0 ties"}, {1, "1 tie"}, {2, "2 ties"}, {11388, "11388 ties"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *s = ctl_count(cases[i].n, "tie", "ties");
        ck_assert_str_eq(s, cases[i].want);
        free(s);
    }
    char *s = ctl_count(1, "person", "people");
    ck_assert_str_eq(s, "1 person");
    free(s);
    s = ctl_count(40, "person", "people");
    ck_assert_str_eq(s, "40 people");
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ctl_table");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_significant_digits);
    tcase_add_test(tc, test_whole_and_special);
    tcase_add_test(tc, test_count);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
