/* Unit tests: the writer's person-id cache (daemon/pidcache.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pidcache.h"

START_TEST(get_put_clear)
{
    pidcache_t c = {0};
    int64_t id = -1;
    ck_assert(!pidcache_get(&c, "a", 1, &id)); /* empty, unallocated */
    pidcache_put(&c, "a", 1, 7);
    pidcache_put(&c, "ab", 2, 8);
    pidcache_put(&c, "", 0, 9);
    ck_assert(pidcache_get(&c, "a", 1, &id) && id == 7);
    ck_assert(pidcache_get(&c, "ab", 2, &id) && id == 8);
    ck_assert(pidcache_get(&c, "", 0, &id) && id == 9);
    ck_assert(!pidcache_get(&c, "b", 1, &id));
    ck_assert(!pidcache_get(&c, "a\0", 2, &id)); /* length counts */
    pidcache_put(&c, "a", 1, 70);                /* replaced */
    ck_assert(pidcache_get(&c, "a", 1, &id) && id == 70);
    /* too long to cache: never found */
    char big[PIDCACHE_KEY_MAX + 1];
    memset(big, 'x', sizeof big);
    pidcache_put(&c, big, sizeof big, 1);
    ck_assert(!pidcache_get(&c, big, sizeof big, &id));
    pidcache_put(&c, big, PIDCACHE_KEY_MAX, 2);
    ck_assert(pidcache_get(&c, big, PIDCACHE_KEY_MAX, &id) && id == 2);
    pidcache_clear(&c);
    ck_assert(!pidcache_get(&c, "a", 1, &id));
    ck_assert(!pidcache_get(&c, big, PIDCACHE_KEY_MAX, &id));
    pidcache_free(&c);
    pidcache_free(&c); /* twice is harmless */
}
END_TEST

/* A hit is always the id last put for that key, however many keys
 * collide or the table grows; most of a working set stays cached. */
START_TEST(many_keys)
{
    pidcache_t c = {0};
    enum { N = 50000 };
    for (int round = 0; round < 3; round++) {
        size_t hits = 0;
        for (int i = 0; i < N; i++) {
            char k[32];
            int n = snprintf(k, sizeof k, "p-s%03d-%03d", i / 41, i % 41);
            int64_t id;
            if (pidcache_get(&c, k, (size_t)n, &id)) {
                ck_assert_int_eq(id, i * 3 + 1);
                hits++;
            } else {
                pidcache_put(&c, k, (size_t)n, i * 3 + 1);
            }
        }
        if (round == 2) {
            fprintf(stderr, "# %zu of %d hits\n", hits, N);
            ck_assert_uint_gt(hits, N * 4 / 5); /* 82%: a cyclic scan */
        }
    }
    pidcache_free(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pidcache");
    TCase *tc = tcase_create("pidcache");
    tcase_add_test(tc, get_put_clear);
    tcase_add_test(tc, many_keys);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
