/* Unit tests: the plugin loader's descriptor ABI check (a 1.0 descriptor
 * in a daemon of minor 1) and its recognition of built-in plugins by the
 * build id in their ELF image (daemon/loader.c). */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

/* A descriptor as a later minor 1.1 would have it: the 1.0 one and two
 * appended fields. */
typedef struct {
    spand_plugin_t v10;
    uint64_t added[2];
} desc_v11_t;

static const size_t v11_sizes[2] = {sizeof(spand_plugin_t), sizeof(desc_v11_t)};
static const loader_abi_t abi_v11 = {1, v11_sizes, sizeof(desc_v11_t)};

static int run_nothing(void *s, const spand_api_t *a, spand_run_t *r,
                       const spand_view_t *v)
{
    (void)s, (void)a, (void)r, (void)v;
    return 0;
}

/* A 1.0 descriptor followed by bytes that are not its own (0xAA): the
 * loader must not read them into the copy. */
static unsigned char *make_v10(void)
{
    unsigned char *mem = malloc(sizeof(desc_v11_t));
    ck_assert_ptr_nonnull(mem);
    memset(mem, 0xAA, sizeof(desc_v11_t));
    spand_plugin_t d = {SPAND_PLUGIN_HEADER, .name = "old",
                        .version = "1",      .summary = "s",
                        .licence = "MIT",    .run = run_nothing};
    d.abi_minor = 0;
    d.size = sizeof(spand_plugin_t); /* the size of ABI 1.0 */
    memcpy(mem, &d, sizeof d);
    return mem;
}

START_TEST(abi_10_in_daemon_11)
{
    unsigned char *mem = make_v10();
    desc_v11_t out;
    memset(&out, 0x55, sizeof out);
    char why[256] = "";
    int rc = loader_check_header((const spand_plugin_t *)mem, &abi_v11, &out,
                                 why, sizeof why);
    ck_assert_msg(rc == 0, "a 1.0 descriptor refused by 1.1: %s", why);
    ck_assert_uint_eq(out.v10.size, sizeof(desc_v11_t));
    ck_assert_uint_eq(out.v10.abi_minor, 0);
    ck_assert_str_eq(out.v10.name, "old");
    ck_assert_ptr_eq(out.v10.run, run_nothing);
    /* What 1.0 lacks reads as zero, not as the bytes after it. */
    ck_assert_uint_eq(out.added[0], 0);
    ck_assert_uint_eq(out.added[1], 0);
    free(mem);
}
END_TEST

START_TEST(abi_sizes_refused)
{
    unsigned char *mem = make_v10();
    spand_plugin_t *d = (spand_plugin_t *)mem;
    desc_v11_t out;
    char why[256];
    /* Declaring 1.1 with the size of 1.0: too small for what it claims. */
    d->abi_minor = 1;
    ck_assert_int_eq(loader_check_header(d, &abi_v11, &out, why, sizeof why),
                     -1);
    ck_assert_msg(strstr(why, "size") && strstr(why, "1.1 needs"), "%s", why);
    /* A 1.1 descriptor of the 1.1 size is taken whole. */
    d->size = sizeof(desc_v11_t);
    ck_assert_int_eq(loader_check_header(d, &abi_v11, &out, why, sizeof why),
                     0);
    ck_assert_uint_eq(out.added[0], 0xAAAAAAAAAAAAAAAAu);
    /* A minor newer than the daemon's. */
    d->abi_minor = 2;
    ck_assert_int_eq(loader_check_header(d, &abi_v11, &out, why, sizeof why),
                     -1);
    ck_assert_msg(strstr(why, "abi_minor is 2"), "%s", why);
    /* Another major. */
    d->abi_minor = 0;
    d->abi_major = SPAND_ABI_MAJOR + 1;
    ck_assert_int_eq(loader_check_header(d, &abi_v11, &out, why, sizeof why),
                     -1);
    ck_assert_msg(strstr(why, "abi_major"), "%s", why);
    /* Not even a header. */
    d->abi_major = SPAND_ABI_MAJOR;
    d->size = 8;
    ck_assert_int_eq(loader_check_header(d, &abi_v11, &out, why, sizeof why),
                     -1);
    ck_assert_msg(strstr(why, "too small"), "%s", why);
    free(mem);
}
END_TEST

/* This daemon's own table: one size per minor, the last its own. */
START_TEST(abi_table_of_this_daemon)
{
    const loader_abi_t *a = loader_abi();
    ck_assert_uint_eq(a->minor, SPAND_ABI_MINOR);
    ck_assert_uint_eq(a->full_size, sizeof(spand_plugin_t));
    ck_assert_uint_eq(a->min_size[a->minor], sizeof(spand_plugin_t));
    /* A minor may grow only spand_api_t (1.1 did): sizes never shrink. */
    for (unsigned m = 1; m <= a->minor; m++)
        ck_assert_uint_le(a->min_size[m - 1], a->min_size[m]);
}
END_TEST

static unsigned char *slurp(const char *rel, size_t *len)
{
    const char *top = getenv("SPAND_BUILDDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", top ? top : ".", rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)n);
    ck_assert(b && fread(b, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

START_TEST(build_id_recognised)
{
    size_t n, m;
    unsigned char *ei = slurp("plugins/.libs/ei.so", &n);
    unsigned char *echo = slurp("tests/plugins/.libs/echo.so", &m);
    ck_assert_msg(loader_image_is_builtin(ei, n), "ei.so is built in");
    ck_assert_msg(!loader_image_is_builtin(echo, m),
                  "echo.so (no build id) is not built in");
    /* Cut short anywhere, it is never taken (the section headers come
     * last) and never read past (ASan builds check that). */
    for (size_t cut = 0; cut < n; cut += n / 97 + 1) {
        unsigned char *part = malloc(cut ? cut : 1);
        memcpy(part, ei, cut);
        ck_assert_msg(!loader_image_is_builtin(part, cut), "cut at %zu", cut);
        free(part);
    }
    /* One byte of the id changed: another build's plugin. */
    unsigned char *hit = memmem(ei, n, "spand-build-id:", 15);
    ck_assert_ptr_nonnull(hit);
    hit[15] ^= 1;
    ck_assert(!loader_image_is_builtin(ei, n));
    ck_assert(!loader_image_is_builtin("\177ELF", 4));
    free(ei);
    free(echo);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, abi_10_in_daemon_11);
    tcase_add_test(tc, abi_sizes_refused);
    tcase_add_test(tc, abi_table_of_this_daemon);
    tcase_add_test(tc, build_id_recognised);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
