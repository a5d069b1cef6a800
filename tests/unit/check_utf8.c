/* Unit tests: the shared UTF-8 check (daemon/common/utf8.c). Hand-checked
 * sequences at every boundary RFC 3629 sets, and then every sequence of one
 * to three bytes, and every four-byte lead with its boundary second bytes,
 * compared with jansson (utf8.h promises to accept exactly what jansson
 * accepts). */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

struct seq {
    const char *bytes;
    size_t n;    /* readable bytes */
    size_t want; /* utf8_seq's answer */
    const char *what;
};

static const struct seq seqs[] = {
    {"A", 1, 1, "ASCII"},
    {"\x7f", 1, 1, "DEL"},
    {"\x00", 1, 1, "NUL is ASCII here (callers refuse it themselves)"},
    {"\xc3\xa9", 2, 2, "U+00E9"},
    {"\xc2\x80", 2, 2, "U+0080, the first two-byte"},
    {"\xdf\xbf", 2, 2, "U+07FF, the last two-byte"},
    {"\xc0\x80", 2, 0, "overlong NUL"},
    {"\xc1\xbf", 2, 0, "overlong U+007F"},
    {"\xc3\x28", 2, 0, "bad continuation"},
    {"\xc3", 1, 0, "cut short"},
    {"\xe2\x82\xac", 3, 3, "U+20AC euro"},
    {"\xe0\xa0\x80", 3, 3, "U+0800, the first three-byte"},
    {"\xe0\x9f\xbf", 3, 0, "overlong U+07FF"},
    {"\xed\x9f\xbf", 3, 3, "U+D7FF"},
    {"\xed\xa0\x80", 3, 0, "U+D800, a surrogate"},
    {"\xed\xbf\xbf", 3, 0, "U+DFFF, a surrogate"},
    {"\xee\x80\x80", 3, 3, "U+E000"},
    {"\xef\xbf\xbe", 3, 3, "U+FFFE (valid UTF-8, if not XML)"},
    {"\xef\xbf\xbf", 3, 3, "U+FFFF"},
    {"\xe2\x82", 2, 0, "cut short"},
    {"\xe2\x82\xac", 2, 0, "only two bytes readable"},
    {"\xf0\x9f\x98\x80", 4, 4, "U+1F600"},
    {"\xf0\x90\x80\x80", 4, 4, "U+10000, the first four-byte"},
    {"\xf0\x8f\xbf\xbf", 4, 0, "overlong U+FFFF"},
    {"\xf4\x8f\xbf\xbf", 4, 4, "U+10FFFF, the last"},
    {"\xf4\x90\x80\x80", 4, 0, "U+110000, past the last"},
    {"\xf5\x80\x80\x80", 4, 0, "lead F5"},
    {"\xff", 1, 0, "lead FF"},
    {"\x80", 1, 0, "a lone continuation byte"},
    {"\xf0\x9f\x98", 3, 0, "cut short"},
    {"\xf0\x9f\x98\x28", 4, 0, "bad fourth byte"},
    {"\xe9", 1, 0, "Latin-1 e-acute"},
};

START_TEST(test_known)
{
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        const struct seq *s = &seqs[i];
        ck_assert_msg(utf8_seq((const unsigned char *)s->bytes, s->n) ==
                          s->want,
                      "%s: got %zu, want %zu", s->what,
                      utf8_seq((const unsigned char *)s->bytes, s->n), s->want);
    }
}
END_TEST

/* utf8_seq says s[0..n) is one whole sequence exactly when jansson takes
 * it as a string. */
static void agree(const unsigned char *s, size_t n)
{
    size_t got = utf8_seq(s, n);
    json_t *j = json_stringn((const char *)s, n);
    int jansson = j != NULL;
    json_decref(j);
    ck_assert_msg((got == n) == jansson,
                  "%02x %02x %02x %02x (%zu bytes): "
                  "utf8_seq %zu, jansson %s",
                  s[0], n > 1 ? s[1] : 0, n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, n,
                  got, jansson ? "accepts" : "refuses");
}

START_TEST(test_jansson_1_2)
{
    unsigned char s[2];
    for (unsigned a = 1; a < 256; a++) {
        s[0] = (unsigned char)a;
        agree(s, 1);
        for (unsigned b = 1; b < 256; b++) {
            s[1] = (unsigned char)b;
            if (a >= 0x80) /* ASCII pairs are two sequences */
                agree(s, 2);
        }
    }
}
END_TEST

START_TEST(test_jansson_3)
{
    unsigned char s[3];
    for (unsigned a = 0xe0; a < 0x100; a++)
        for (unsigned b = 0x70; b < 0xd0; b++)
            for (unsigned c = 0x70; c < 0xd0; c++) {
                s[0] = (unsigned char)a;
                s[1] = (unsigned char)b;
                s[2] = (unsigned char)c;
                agree(s, 3);
            }
}
END_TEST

START_TEST(test_jansson_4)
{
    static const unsigned char seconds[] = {0x7f, 0x80, 0x8f, 0x90,
                                            0x9f, 0xa0, 0xbf, 0xc0};
    unsigned char s[4] = {0, 0, 0x80, 0xbf};
    for (unsigned a = 0xf0; a < 0x100; a++)
        for (size_t k = 0; k < sizeof seconds; k++) {
            s[0] = (unsigned char)a;
            s[1] = seconds[k];
            agree(s, 4);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_known);
    tcase_add_test(tc, test_jansson_1_2);
    tcase_add_test(tc, test_jansson_3);
    tcase_add_test(tc, test_jansson_4);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
