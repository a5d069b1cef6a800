/* Unit tests: the string map's hash is keyed per process
 * (daemon/common/strmap.c), so that ids a client chooses cannot be made to
 * share one probe run. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strmap.h"

/* The unkeyed hash strmap used before (FNV-1a, folded): what an attacker
 * could compute offline. */
static uint64_t fnv_hash(const char *p, size_t n)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= UINT64_C(1099511628211);
    }
    return h ^ (h >> 29);
}

/* How far from its home slot each key sits: the probes a lookup costs. */
static size_t max_displacement(const strmap_t *m)
{
    size_t worst = 0, mask = m->cap - 1;
    for (size_t i = 0; i < m->cap; i++) {
        const strmap_slot_t *s = &m->slots[i];
        if (!s->key)
            continue;
        size_t d = (i - ((size_t)s->hash & mask)) & mask;
        if (d > worst)
            worst = d;
    }
    return worst;
}

/* 1,000 ids that all land in slot 0 of a 2,048-slot table under the old
 * hash (found by trying ids, as an attacker would): there they made one
 * probe run of 1,000, so each insert and lookup walked up to 1,000 slots.
 * Keyed, they spread like any other ids. */
START_TEST(crafted_ids_do_not_cluster)
{
    enum { N = 1000 };
    strmap_t m;
    strmap_init(&m);
    char id[32];
    size_t found = 0;
    for (uint64_t t = 0; found < N; t++) {
        size_t len = 0;
        id[len++] = 'i';
        for (uint64_t x = t; x; x >>= 4) /* hex digits, least first */
            id[len++] = "0123456789abcdef"[x & 15];
        if ((fnv_hash(id, len) & 2047) != 0)
            continue;
        ck_assert_int_eq(strmap_put(&m, id, len, (int64_t)found), 0);
        found++;
    }
    ck_assert_uint_eq(m.cap, 2048);
    ck_assert_uint_eq(strmap_count(&m), N);
    size_t worst = max_displacement(&m);
    /* Random hashing at load 0.49 gives runs of tens; unkeyed, 999. */
    ck_assert_msg(worst < 200, "a key sits %zu slots from home", worst);
    strmap_free(&m);
}
END_TEST

/* The hash of "spand" in this process, as stored in a map slot; 0 if out
 * of memory. (No ck_assert: it also runs outside a test, below.) */
static uint64_t hash_here(void)
{
    strmap_t m;
    strmap_init(&m);
    if (strmap_put(&m, "spand", 5, 1) < 0)
        return 0;
    uint64_t h = 0;
    for (size_t i = 0; i < m.cap; i++)
        if (m.slots[i].key)
            h = m.slots[i].hash;
    strmap_free(&m);
    return h;
}

/* The key is drawn per process: another run of this program hashes the
 * same id differently (equal with probability 2^-64). */
START_TEST(key_differs_between_processes)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "/proc/%ld/exe --print-hash", (long)getpid());
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    uint64_t other = 0;
    ck_assert_int_eq(fscanf(p, "%" SCNu64, &other), 1);
    ck_assert_int_eq(pclose(p), 0);
    uint64_t here = hash_here();
    ck_assert(here != 0 && other != 0);
    ck_assert_msg(other != here, "hash of \"spand\" is %" PRIu64 " in both",
                  here);
    ck_assert_uint_eq(hash_here(), here); /* stable within a process */
    ck_assert(here != fnv_hash("spand", 5));
}
END_TEST

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--print-hash") == 0) {
        printf("%" PRIu64 "\n", hash_here());
        return 0;
    }
    Suite *s = suite_create("strmap_seed");
    TCase *tc = tcase_create("strmap_seed");
    tcase_add_test(tc, crafted_ids_do_not_cluster);
    tcase_add_test(tc, key_differs_between_processes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
