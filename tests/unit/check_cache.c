/* Unit tests: the result cache (daemon/cache.c): hits and misses counted,
 * least recently used entries evicted first once the byte budget is
 * spent, a key put again replacing its entry, an entry larger than the
 * budget never kept, and references: an answer stays valid for whoever
 * holds one after the cache let go of it (the sanitizer build checks that
 * nothing is freed early or leaked). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

/* Answers of a plugin with no tables over an empty view: distinct
 * objects, cheap to make. */
static const spand_plugin_t desc = {.size = sizeof(spand_plugin_t),
                                    .name = "none"};
static plugin_t plugin = {.name = "none", .desc = &desc};
static view_t view;

static void setup(void)
{
    memset(&view, 0, sizeof view);
    ck_assert_int_eq(igraph_empty(&view.graph, 0, IGRAPH_DIRECTED), 0);
    view.boundary = "sector";
}

static void teardown(void)
{
    igraph_destroy(&view.graph);
}

static answer_t *answer(void)
{
    view_spec_t spec = {
        .from = VIEW_OPEN_FROM, .to = VIEW_OPEN_TO, .boundary = "sector"};
    result_t *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    r->notes = json_array();
    char err[128];
    answer_t *a = answer_build(&plugin, &view, &spec, NULL, r, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    return a;
}

static void stats(cache_t *c, uint64_t hits, uint64_t misses, size_t entries,
                  size_t bytes)
{
    uint64_t h, m;
    size_t e, b;
    cache_stats(c, &h, &m, &e, &b);
    ck_assert_uint_eq(h, hits);
    ck_assert_uint_eq(m, misses);
    ck_assert_uint_eq(e, entries);
    ck_assert_uint_eq(b, bytes);
}

START_TEST(test_get_put)
{
    cache_t *c = cache_new(100);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_null(cache_get(c, "k1", 2));
    stats(c, 0, 1, 0, 0);
    answer_t *a = answer();
    cache_put(c, "k1", 2, a, 30);
    stats(c, 0, 1, 1, 30);
    answer_t *got = cache_get(c, "k1", 2);
    ck_assert_ptr_eq(got, a);
    stats(c, 1, 1, 1, 30);
    /* Keys are bytes: "k1" is not "k1\0" nor "k". */
    ck_assert_ptr_null(cache_get(c, "k1\0", 3));
    ck_assert_ptr_null(cache_get(c, "k", 1));
    stats(c, 1, 3, 1, 30);
    answer_unref(got);
    answer_unref(a); /* the cache holds its own reference */
    got = cache_get(c, "k1", 2);
    ck_assert_ptr_eq(got, a);
    answer_unref(got);
    cache_free(c);
}
END_TEST

START_TEST(test_lru_eviction)
{
    cache_t *c = cache_new(100);
    answer_t *a[4];
    for (int i = 0; i < 4; i++)
        a[i] = answer();
    cache_put(c, "a", 1, a[0], 40);
    cache_put(c, "b", 1, a[1], 40);
    /* a was used after b went in: b is now the least recently used. */
    answer_unref(cache_get(c, "a", 1));
    cache_put(c, "c", 1, a[2], 40); /* 120 > 100: b goes */
    stats(c, 1, 0, 2, 80);
    ck_assert_ptr_null(cache_get(c, "b", 1));
    answer_t *x = cache_get(c, "a", 1);
    ck_assert_ptr_eq(x, a[0]);
    answer_unref(x);
    /* Order now (most recent first): a, c. d (60) evicts c, then fits. */
    cache_put(c, "d", 1, a[3], 60);
    stats(c, 2, 1, 2, 100);
    ck_assert_ptr_null(cache_get(c, "c", 1));
    x = cache_get(c, "d", 1);
    ck_assert_ptr_eq(x, a[3]);
    answer_unref(x);
    for (int i = 0; i < 4; i++)
        answer_unref(a[i]); /* b's and c's answers freed here, not before */
    cache_free(c);
}
END_TEST

START_TEST(test_replace_and_limits)
{
    cache_t *c = cache_new(100);
    answer_t *a = answer(), *b = answer();
    cache_put(c, "k", 1, a, 50);
    cache_put(c, "k", 1, b, 20); /* replaces: a's entry and bytes gone */
    stats(c, 0, 0, 1, 20);
    answer_t *x = cache_get(c, "k", 1);
    ck_assert_ptr_eq(x, b);
    answer_unref(x);
    /* Larger than the whole budget: not kept, nothing evicted. */
    cache_put(c, "big", 3, a, 101);
    stats(c, 1, 0, 1, 20);
    ck_assert_ptr_null(cache_get(c, "big", 3));
    /* Exactly the budget fits (once the rest is evicted). */
    cache_put(c, "full", 4, a, 100);
    stats(c, 1, 1, 1, 100);
    /* A smaller limit evicts at once. */
    cache_set_limit(c, 99);
    stats(c, 1, 1, 0, 0);
    ck_assert_ptr_null(cache_get(c, "full", 4));
    answer_unref(a);
    answer_unref(b);
    cache_free(c);
    cache_free(NULL);
}
END_TEST

START_TEST(test_many)
{
    /* Enough keys for the index to grow and entries to be evicted and
     * deleted from it many times over. */
    cache_t *c = cache_new(1000);
    answer_t *a = answer();
    char k[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(k, sizeof k, "key-%d", i);
        cache_put(c, k, (size_t)n, a, 10);
    }
    stats(c, 0, 0, 100, 1000);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(k, sizeof k, "key-%d", i);
        answer_t *x = cache_get(c, k, (size_t)n);
        ck_assert_msg((x != NULL) == (i >= 4900), "key-%d", i);
        answer_unref(x);
    }
    stats(c, 100, 4900, 100, 1000);
    answer_unref(a);
    cache_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_get_put);
    tcase_add_test(tc, test_lru_eviction);
    tcase_add_test(tc, test_replace_and_limits);
    tcase_add_test(tc, test_many);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
