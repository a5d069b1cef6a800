/* Unit tests: the string hash map (daemon/common/strmap.c): insert,
 * replace, lookup, and backward-shift deletion, which must leave every
 * other key findable whatever the probe runs looked like. No test depends
 * on the hash function's values (it may be seeded). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

START_TEST(test_empty)
{
    strmap_t m;
    strmap_init(&m);
    int64_t v = 99;
    ck_assert(!strmap_get(&m, "a", 1, &v));
    ck_assert_int_eq(v, 99); /* untouched on a miss */
    ck_assert(!strmap_del(&m, "a", 1));
    ck_assert_uint_eq(strmap_count(&m), 0);
    strmap_free(&m);
    strmap_free(&m); /* freeing twice is harmless: free() leaves it empty */
}
END_TEST

START_TEST(test_put_get_replace)
{
    strmap_t m;
    strmap_init(&m);
    ck_assert_int_eq(strmap_put(&m, "alice", 5, 1), 0);
    ck_assert_int_eq(strmap_put(&m, "bob", 3, 2), 0);
    ck_assert_int_eq(strmap_put(&m, "alice", 5, -7), 0); /* replace */
    ck_assert_uint_eq(strmap_count(&m), 2);
    int64_t v;
    ck_assert(strmap_get(&m, "alice", 5, &v));
    ck_assert_int_eq(v, -7);
    ck_assert(strmap_get(&m, "bob", 3, &v));
    ck_assert_int_eq(v, 2);
    /* Keys are byte strings: length counts, prefixes are other keys. */
    ck_assert(!strmap_get(&m, "ali", 3, &v));
    ck_assert(!strmap_get(&m, "alice ", 6, &v));
    ck_assert(strmap_get(&m, "bobby", 3, NULL)); /* value optional */
    strmap_free(&m);
}
END_TEST

START_TEST(test_binary_keys)
{
    strmap_t m;
    strmap_init(&m);
    /* An empty key and keys with NUL bytes are keys like any other. */
    ck_assert_int_eq(strmap_put(&m, "", 0, 10), 0);
    ck_assert_int_eq(strmap_put(&m, "a\0b", 3, 11), 0);
    ck_assert_int_eq(strmap_put(&m, "a\0c", 3, 12), 0);
    ck_assert_int_eq(strmap_put(&m, "a", 1, 13), 0);
    ck_assert_uint_eq(strmap_count(&m), 4);
    int64_t v;
    ck_assert(strmap_get(&m, "", 0, &v));
    ck_assert_int_eq(v, 10);
    ck_assert(strmap_get(&m, "a\0b", 3, &v));
    ck_assert_int_eq(v, 11);
    ck_assert(strmap_get(&m, "a\0c", 3, &v));
    ck_assert_int_eq(v, 12);
    ck_assert(strmap_del(&m, "a\0b", 3));
    ck_assert(!strmap_get(&m, "a\0b", 3, &v));
    ck_assert(strmap_get(&m, "a", 1, &v));
    ck_assert_int_eq(v, 13);
    strmap_free(&m);
}
END_TEST

START_TEST(test_delete_simple)
{
    strmap_t m;
    strmap_init(&m);
    strmap_put(&m, "x", 1, 1);
    strmap_put(&m, "y", 1, 2);
    ck_assert(strmap_del(&m, "x", 1));
    ck_assert(!strmap_del(&m, "x", 1)); /* already gone */
    ck_assert_uint_eq(strmap_count(&m), 1);
    int64_t v;
    ck_assert(!strmap_get(&m, "x", 1, &v));
    ck_assert(strmap_get(&m, "y", 1, &v));
    ck_assert_int_eq(v, 2);
    /* Put back after delete. */
    ck_assert_int_eq(strmap_put(&m, "x", 1, 3), 0);
    ck_assert(strmap_get(&m, "x", 1, &v));
    ck_assert_int_eq(v, 3);
    ck_assert_uint_eq(strmap_count(&m), 2);
    strmap_free(&m);
}
END_TEST

/* Many keys through growth, then deletions in a scrambled order, checked
 * after every step against a plain array of what must be there. With the
 * load factor up to 0.7, probe runs of several slots are certain, so the
 * backward shift is exercised whatever the hash. */
#define NKEYS 5000

static void key_of(unsigned i, char *k, size_t *len)
{
    *len = (size_t)snprintf(k, 32, "person-%u", i * 7919u % 100003u);
}

START_TEST(test_delete_many)
{
    strmap_t m;
    strmap_init(&m);
    static bool present[NKEYS];
    char k[32];
    size_t len;
    for (unsigned i = 0; i < NKEYS; i++) {
        key_of(i, k, &len);
        ck_assert_int_eq(strmap_put(&m, k, len, (int64_t)i * 3), 0);
        present[i] = true;
    }
    ck_assert_uint_eq(strmap_count(&m), NKEYS);
    /* capacity is a power of two kept at load <= 0.7 */
    ck_assert(m.cap >= NKEYS * 10 / 7);
    ck_assert_uint_eq(m.cap & (m.cap - 1), 0);
    unsigned left = NKEYS;
    for (unsigned step = 0; step < NKEYS; step++) {
        unsigned i =
            (unsigned)((uint64_t)step * 761u %
                       NKEYS); /* a permutation: 761 is prime to 5000 */
        key_of(i, k, &len);
        ck_assert(strmap_del(&m, k, len) == present[i]);
        if (present[i])
            left--;
        present[i] = false;
        ck_assert_uint_eq(strmap_count(&m), left);
        if (step % 97 == 0 || left < 50) {
            for (unsigned j = 0; j < NKEYS; j++) {
                int64_t v = -1;
                key_of(j, k, &len);
                ck_assert_msg(strmap_get(&m, k, len, &v) == present[j],
                              "key %u after %u deletions", j, step + 1);
                if (present[j])
                    ck_assert_int_eq(v, (int64_t)j * 3);
            }
        }
    }
    ck_assert_uint_eq(left, 0);
    ck_assert_uint_eq(strmap_count(&m), 0);
    /* No slot keeps a key (no tombstones). */
    for (size_t s = 0; s < m.cap; s++)
        ck_assert_ptr_null(m.slots[s].key);
    strmap_free(&m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("strmap");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_put_get_replace);
    tcase_add_test(tc, test_binary_keys);
    tcase_add_test(tc, test_delete_simple);
    tcase_add_test(tc, test_delete_many);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
