/* Unit tests: the store (daemon/store.c) on a real sqlite file and a real
 * libuv loop - idempotency, upsert, implicit people, forget, group commit,
 * reopening. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "store.h"

static char dir[] = "/tmp/spand-check-store-XXXXXX";
static uv_loop_t loop;
static config_t cfg;
static int completed;

static void on_done(store_op_t *op, int rc)
{
    store_op_t **slot = op->ctx;
    op->rc = rc;
    *slot = op; /* the test frees it */
    completed++;
}

static store_t *open_store(void)
{
    char err[512];
    store_t *s;
    ck_assert_msg(store_open(&cfg, &loop, &s, err, sizeof err) == 0, "%s", err);
    return s;
}

static void close_store(store_t *s)
{
    store_close(s);
    uv_run(&loop, UV_RUN_DEFAULT); /* lets the async handle close */
}

static store_op_t *ingest_op(const char *json, store_op_t **slot)
{
    json_error_t je;
    json_t *p = json_loads(json, 0, &je);
    ck_assert_msg(p != NULL, "bad test JSON: %s", je.text);
    ingest_limits_t lim = {
        .max_id_bytes = 256, .max_value_bytes = 1024, .max_rejects = 100};
    store_op_t *op = store_op_new(STORE_OP_INGEST, on_done, slot);
    char err[256];
    ck_assert_int_eq(ingest_parse(p, &lim, &op->batch, err, sizeof err), 0);
    ck_assert_uint_eq(op->batch.rejected_count, 0);
    json_decref(p);
    return op;
}

static void wait_for(int n)
{
    while (completed < n)
        uv_run(&loop, UV_RUN_ONCE);
}

/* Submit one ingest and wait for its commit. */
static store_op_t *ingest(store_t *s, const char *json)
{
    static store_op_t *slot;
    slot = NULL;
    completed = 0;
    ck_assert_int_eq(store_submit(s, ingest_op(json, &slot)), 0);
    wait_for(1);
    ck_assert_int_eq(slot->rc, 0);
    return slot;
}

static store_op_t *forget(store_t *s, const char *id, store_op_t **slot)
{
    store_op_t *op = store_op_new(STORE_OP_FORGET, on_done, slot);
    op->forget_id = strdup(id);
    return op;
}

START_TEST(idempotency_and_upsert)
{
    store_t *s = open_store();
    store_op_t *op = ingest(
        s, "{\"people\":[{\"id\":\"a\",\"sector\":\"adults\",\"role\":"
           "\"PSW\"}],"
           "\"records\":[{\"id\":\"r1\",\"ts\":1,\"from\":\"a\",\"to\":\"b\","
           "\"kind\":\"advice\"},{\"ts\":2,\"from\":\"b\",\"to\":\"c\","
           "\"kind\":\"advice\"}],"
           "\"events\":[{\"id\":\"e1\",\"ts\":3,\"kind\":\"meeting\","
           "\"participants\":[\"a\",\"b\",\"d\"]}]}");
    ck_assert_int_eq(op->ingest.people_added, 1);
    ck_assert_int_eq(op->ingest.people_implicit, 3); /* b, c, d */
    ck_assert_int_eq(op->ingest.records_added, 2);
    ck_assert_int_eq(op->ingest.events_added, 1);
    ck_assert_int_eq(op->data_version, 1);
    store_op_free(op);

    op = ingest(s, "{\"records\":[{\"id\":\"r1\",\"ts\":9,\"from\":\"x\","
                   "\"to\":\"y\",\"kind\":\"other\"}],"
                   "\"events\":[{\"id\":\"e1\",\"ts\":3,\"kind\":\"meeting\","
                   "\"participants\":[\"a\",\"z\"]}]}");
    ck_assert_int_eq(op->ingest.records_duplicate, 1);
    ck_assert_int_eq(op->ingest.events_duplicate, 1);
    /* a duplicate record still names x and y: they exist now, as the
     * record's people are interned before its id is checked */
    ck_assert_int_eq(op->ingest.people_implicit, 2);
    store_op_free(op);

    op = ingest(s, "{\"people\":[{\"id\":\"a\",\"sector\":\"adults\"},"
                   "{\"id\":\"b\",\"sector\":\"nhs\"},"
                   "{\"id\":\"a\",\"role\":null}]}");
    /* a unchanged -> duplicate; b gains sector -> updated; a loses role ->
     * updated */
    ck_assert_int_eq(op->ingest.people_duplicate, 1);
    ck_assert_int_eq(op->ingest.people_updated, 2);
    store_op_free(op);

    store_counts_t c;
    store_counts(s, &c);
    ck_assert_int_eq(c.people, 6); /* a b c d x y */
    ck_assert_int_eq(c.records, 2);
    ck_assert_int_eq(c.events, 1);

    json_t *p;
    char err[256];
    ck_assert_int_eq(store_person(s, "a", &p, err, sizeof err), 0);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(p, "attributes"), "sector")),
                     "adults");
    ck_assert_ptr_null(
        json_object_get(json_object_get(p, "attributes"), "role"));
    ck_assert_int_eq(json_integer_value(json_object_get(p, "contacts")), 2);
    json_decref(p);
    ck_assert_int_eq(store_person(s, "nobody", &p, err, sizeof err), -ENOENT);
    close_store(s);
}
END_TEST

START_TEST(forget_and_group)
{
    store_t *s = open_store();
    store_op_free(ingest(
        s, "{\"people\":[{\"id\":\"p\",\"sector\":\"a\"},{\"id\":\"q\","
           "\"sector\":\"b\"}],"
           "\"records\":[{\"ts\":1,\"from\":\"p\",\"to\":\"q\",\"kind\":\"k\"},"
           "{\"ts\":1,\"from\":\"q\",\"to\":\"p\",\"kind\":\"k\"},"
           "{\"ts\":1,\"from\":\"q\",\"to\":\"r\",\"kind\":\"k\"}],"
           "\"events\":[{\"ts\":1,\"kind\":\"m\",\"participants\":"
           "[\"p\",\"q\",\"r\"]}]}"));
    /* Queue three ops back to back so the writer groups them: forget of an
     * unknown id fails alone, the others commit. */
    store_op_t *a = NULL, *b = NULL, *c = NULL;
    completed = 0;
    ck_assert_int_eq(store_submit(s, forget(s, "p", &a)), 0);
    ck_assert_int_eq(store_submit(s, forget(s, "ghost", &b)), 0);
    ck_assert_int_eq(
        store_submit(s, ingest_op("{\"records\":[{\"ts\":1,\"from\":\"p\","
                                  "\"to\":\"s\",\"kind\":\"k\"}]}",
                                  &c)),
        0);
    wait_for(3);
    ck_assert_int_eq(a->rc, 0);
    ck_assert_int_eq(a->forget.records_removed, 2);
    ck_assert_int_eq(a->forget.participations_removed, 1);
    ck_assert_int_eq(b->rc, -ENOENT);
    ck_assert_int_eq(c->rc, 0);
    /* p was forgotten, then named again: a new, attribute-less person */
    ck_assert_int_eq(c->ingest.people_implicit, 2);
    store_op_free(a);
    store_op_free(b);
    store_op_free(c);

    json_t *p;
    char err[256];
    ck_assert_int_eq(store_person(s, "p", &p, err, sizeof err), 0);
    ck_assert_int_eq(json_object_size(json_object_get(p, "attributes")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "records_out")), 1);
    json_decref(p);
    store_counts_t before;
    store_counts(s, &before);
    close_store(s);

    /* Reopen: counts and key map come back; new ids do not collide. */
    s = open_store();
    store_counts_t after;
    store_counts(s, &after);
    ck_assert_int_eq(after.people, before.people);
    ck_assert_int_eq(after.records, before.records);
    ck_assert_int_eq(after.data_version, before.data_version);
    store_op_t *op = ingest(s, "{\"people\":[{\"id\":\"new\"}],\"records\":"
                               "[{\"ts\":1,\"from\":\"new\",\"to\":\"q\","
                               "\"kind\":\"k\"}]}");
    ck_assert_int_eq(op->ingest.people_added, 1);
    ck_assert_int_eq(op->ingest.people_implicit, 0);
    store_op_free(op);
    ck_assert_int_eq(store_person(s, "new", &p, err, sizeof err), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "records_out")), 1);
    json_decref(p);
    ck_assert_int_eq(store_boundaries(s, &p, err, sizeof err), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "people")),
                     after.people + 1);
    json_decref(p);
    close_store(s);
}
END_TEST

START_TEST(queue_limit)
{
    cfg.ingest_queue = 2;
    store_t *s = open_store();
    store_op_t *slots[8] = {0};
    int accepted = 0, busy = 0;
    completed = 0;
    for (int i = 0; i < 8; i++) {
        store_op_t *op = ingest_op("{\"records\":[{\"ts\":1,\"from\":\"a\","
                                   "\"to\":\"b\",\"kind\":\"k\"}]}",
                                   &slots[i]);
        int rc = store_submit(s, op);
        if (rc == 0)
            accepted++;
        else {
            ck_assert_int_eq(rc, -EBUSY);
            busy++;
            store_op_free(op);
        }
    }
    /* The writer may take the first op at once, so 2 or 3 fit. */
    ck_assert_int_ge(accepted, 2);
    ck_assert_int_ge(busy, 1);
    wait_for(accepted);
    for (int i = 0; i < 8; i++)
        store_op_free(slots[i]);
    cfg.ingest_queue = 256;
    close_store(s);
}
END_TEST

/* Open a store on a database of its own (name in dir), for tests that
 * need to know everything in it. */
static store_t *open_store_at(const char *name)
{
    char db[PATH_MAX];
    snprintf(db, sizeof db, "%s/%s", dir, name);
    char *shared = cfg.database;
    cfg.database = db;
    store_t *s = open_store();
    cfg.database = shared;
    return s;
}

/* summary with nothing to sort: no year at all (an empty database), and a
 * year with ties but no cross-boundary pair. Both once passed NULL to
 * qsort, which the sanitizer build aborts on. */
START_TEST(summary_without_pairs)
{
    char err[256];
    json_t *r;
    store_t *s = open_store_at("summary-empty.db");
    ck_assert_int_eq(store_summary(s, "sector", &r, err, sizeof err), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(r, "years")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(r, "groups")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "unassigned")), 0);
    json_decref(r);
    close_store(s);

    s = open_store_at("summary-nopairs.db");
    store_op_free(ingest(
        s, "{\"people\":[{\"id\":\"p\",\"sector\":\"a\"},"
           "{\"id\":\"q\",\"sector\":\"a\"}],"
           "\"records\":[{\"ts\":\"2024-05-01T00:00:00Z\",\"from\":\"p\","
           "\"to\":\"q\",\"kind\":\"k\"}]}"));
    ck_assert_int_eq(store_summary(s, "sector", &r, err, sizeof err), 0);
    json_t *years = json_object_get(r, "years");
    ck_assert_uint_eq(json_array_size(years), 1);
    json_t *y = json_array_get(years, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(y, "year")), 2024);
    ck_assert_int_eq(json_integer_value(json_object_get(y, "records")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(y, "ties")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(y, "cross_ties")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(y, "pairs")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(r, "groups")), 1);
    json_decref(r);
    close_store(s);
}
END_TEST

/* A store whose WAL (then, separately, database file) is removed under
 * it refuses the next write with a message naming the file, and keeps
 * refusing; nothing is acknowledged. */
START_TEST(files_removed)
{
    static const char *const victims[] = {"-wal", ""};
    for (int v = 0; v < 2; v++) {
        char name[64], path[PATH_MAX];
        snprintf(name, sizeof name, "gone%d.db", v);
        store_t *s = open_store_at(name);
        store_op_free(ingest(s, "{\"records\":[{\"ts\":1,\"from\":\"a\","
                                "\"to\":\"b\",\"kind\":\"k\"}]}"));
        snprintf(path, sizeof path, "%s/%s%s", dir, name, victims[v]);
        ck_assert_int_eq(unlink(path), 0);
        for (int round = 0; round < 2; round++) {
            store_op_t *slot = NULL;
            completed = 0;
            ck_assert_int_eq(
                store_submit(s, ingest_op("{\"records\":[{\"ts\":2,\"from\":"
                                          "\"c\",\"to\":\"d\",\"kind\":"
                                          "\"k\"}]}",
                                          &slot)),
                0);
            wait_for(1);
            ck_assert_int_eq(slot->rc, -EIO);
            ck_assert_ptr_nonnull(strstr(slot->err, "was deleted while"));
            ck_assert_ptr_nonnull(strstr(slot->err, path));
            store_op_free(slot);
        }
        store_counts_t c;
        store_counts(s, &c);
        ck_assert(c.files_gone);
        ck_assert_int_eq(c.records, 1);
        close_store(s);
    }
}
END_TEST

int main(void)
{
    log_set_level(LOG_ERR);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    char err[256], db[PATH_MAX];
    if (config_load(NULL, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_FAILURE;
    }
    snprintf(db, sizeof db, "%s/store.db", dir);
    free(cfg.database);
    cfg.database = strdup(db);
    cfg.synchronous = 1;
    uv_loop_init(&loop);

    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_add_test(tc, idempotency_and_upsert);
    tcase_add_test(tc, forget_and_group);
    tcase_add_test(tc, queue_limit);
    tcase_add_test(tc, summary_without_pairs);
    tcase_add_test(tc, files_removed);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK); /* tests share one database */
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    uv_loop_close(&loop);
    config_free(&cfg);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
