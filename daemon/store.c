/* store.c - see store.h.
 *
 * Threads: the loop thread calls store_submit()/store_counts() and runs
 * completions; the writer thread owns wdb, the statements and the key
 * maps; any thread may call the read functions. s->mu guards the queues,
 * counts and live settings. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pidcache.h"
#include "strmap.h"
#include "ts.h"

#define SPAND_APPLICATION_ID 0x5350414E /* "SPAN" */
#define BUSY_TIMEOUT_MS 10000

/* The files sqlite keeps open for the writer, in this order. */
enum { FILE_DB, FILE_WAL, FILE_SHM, FILE_COUNT };
static const char *const file_suffix[FILE_COUNT] = {"", "-wal", "-shm"};

/* Schema migrations: migrations[v] takes a database from user_version v
 * to v + 1. Never edit a released step; append a new one. */
static const char *const migrations[] = {
    /* 0 -> 1: the first schema. Person and kind names are interned to
     * integers so records stay small and views build from integers.
     * record has no index on src/dst: each would cost more than the
     * table itself on every insert (measured: 1M inserts 0.8 s without,
     * 3.0 s with), while the queries that would use them (forget, person)
     * are rare and a scan of the integer table is fast. */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "INSERT INTO meta VALUES('data_version', 0);"
    "CREATE TABLE person(pid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);"
    "CREATE TABLE attr(pid INTEGER NOT NULL, name TEXT NOT NULL,"
    "  value TEXT NOT NULL, PRIMARY KEY(pid, name)) WITHOUT ROWID;"
    "CREATE INDEX attr_name ON attr(name, value);"
    "CREATE TABLE kind(kid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE record(rid INTEGER PRIMARY KEY, ext_id TEXT UNIQUE,"
    "  ts INTEGER NOT NULL, src INTEGER NOT NULL, dst INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL, weight REAL NOT NULL,"
    "  directed INTEGER NOT NULL);"
    "CREATE TABLE event(eid INTEGER PRIMARY KEY, ext_id TEXT UNIQUE,"
    "  ts INTEGER NOT NULL, kind INTEGER NOT NULL, weight REAL NOT NULL);"
    "CREATE TABLE participant(eid INTEGER NOT NULL, pid INTEGER NOT NULL,"
    "  PRIMARY KEY(eid, pid)) WITHOUT ROWID;"
    "CREATE INDEX participant_pid ON participant(pid);",
    /* 1 -> 2: the audit trail (access.h, doc/privacy.md). target
     * holds a person id only while that person exists: a forget blanks
     * it in the same transaction, and the writer never writes the id of
     * someone it does not hold (store_audit). */
    "CREATE TABLE audit(aid INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
    "  uid INTEGER NOT NULL, user TEXT NOT NULL, pid INTEGER NOT NULL,"
    "  method TEXT NOT NULL, target TEXT, outcome TEXT NOT NULL,"
    "  code INTEGER, rows INTEGER);"
    "CREATE INDEX audit_target ON audit(target) WHERE target IS NOT NULL;",
};
_Static_assert(sizeof migrations / sizeof migrations[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version");

enum stmt_id {
    ST_PERSON_INSERT,
    ST_ATTR_UPSERT,
    ST_ATTR_DELETE,
    ST_KIND_INSERT,
    ST_RECORD_INSERT,
    ST_RECORD_INSERT_MANY,
    ST_EVENT_INSERT,
    ST_PARTICIPANT_INSERT,
    ST_FORGET_RECORDS,
    ST_FORGET_PARTICIPANTS,
    ST_FORGET_ATTRS,
    ST_FORGET_PERSON,
    ST_SET_VERSION,
    ST_AUDIT_INSERT,
    ST_AUDIT_BLANK,
    ST_EXPIRE_PARTICIPANTS,
    ST_EXPIRE_EVENTS,
    ST_EXPIRE_RECORDS,
    ST_COUNT
};

/* ST_RECORD_INSERT_MANY stores RECORD_CHUNK records in one statement:
 * sqlite's work per statement (VDBE setup, opening and closing the table
 * and index cursors, halting) then runs once per chunk instead of once per
 * record, which took 40% off the CPU time of inserting 1M records
 * (measured, 1 vs 100 rows a statement). Rows of one statement are
 * inserted in order, so a duplicate within a chunk is skipped exactly as
 * with one row per statement. */
#define RECORD_CHUNK 100
#define RECORD_ROW "(?,?,?,?,?,?,?)"
#define RECORD_ROWS_4 RECORD_ROW "," RECORD_ROW "," RECORD_ROW "," RECORD_ROW
#define RECORD_ROWS_16                                                         \
    RECORD_ROWS_4 "," RECORD_ROWS_4 "," RECORD_ROWS_4 "," RECORD_ROWS_4
#define RECORD_ROWS_32 RECORD_ROWS_16 "," RECORD_ROWS_16
#define RECORD_ROWS_100                                                        \
    RECORD_ROWS_32 "," RECORD_ROWS_32 "," RECORD_ROWS_32 "," RECORD_ROWS_4
/* RECORD_CHUNK rows of 15 characters, a comma between two: */
_Static_assert(sizeof RECORD_ROWS_100 == RECORD_CHUNK * sizeof RECORD_ROW,
               "RECORD_ROWS_100 holds RECORD_CHUNK rows");

static const char *const stmt_sql[ST_COUNT] = {
    [ST_PERSON_INSERT] = "INSERT INTO person(pid, key) VALUES(?1, ?2)",
    [ST_ATTR_UPSERT] =
        "INSERT INTO attr(pid, name, value) VALUES(?1, ?2, ?3)"
        " ON CONFLICT(pid, name) DO UPDATE SET value = excluded.value"
        " WHERE value IS NOT excluded.value",
    [ST_ATTR_DELETE] = "DELETE FROM attr WHERE pid = ?1 AND name = ?2",
    [ST_KIND_INSERT] = "INSERT INTO kind(kid, name) VALUES(?1, ?2)",
    [ST_RECORD_INSERT] =
        "INSERT INTO record(ext_id, ts, src, dst, kind, weight, directed)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(ext_id) DO NOTHING",
    [ST_RECORD_INSERT_MANY] =
        "INSERT INTO record(ext_id, ts, src, dst, kind, weight, directed)"
        " VALUES" RECORD_ROWS_100 " ON CONFLICT(ext_id) DO NOTHING",
    [ST_EVENT_INSERT] =
        "INSERT INTO event(ext_id, ts, kind, weight)"
        " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(ext_id) DO NOTHING",
    [ST_PARTICIPANT_INSERT] =
        "INSERT OR IGNORE INTO participant(eid, pid) VALUES(?1, ?2)",
    [ST_FORGET_RECORDS] = "DELETE FROM record WHERE src = ?1 OR dst = ?1",
    [ST_FORGET_PARTICIPANTS] = "DELETE FROM participant WHERE pid = ?1",
    [ST_FORGET_ATTRS] = "DELETE FROM attr WHERE pid = ?1",
    [ST_FORGET_PERSON] = "DELETE FROM person WHERE pid = ?1",
    [ST_SET_VERSION] = "UPDATE meta SET value = ?1 WHERE key = 'data_version'",
    [ST_AUDIT_INSERT] =
        "INSERT INTO audit(ts, uid, user, pid, method, target, outcome, code,"
        " rows) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_AUDIT_BLANK] = "UPDATE audit SET target = NULL WHERE target = ?1",
    [ST_EXPIRE_PARTICIPANTS] = "DELETE FROM participant WHERE eid IN"
                               " (SELECT eid FROM event WHERE ts < ?1)",
    [ST_EXPIRE_EVENTS] = "DELETE FROM event WHERE ts < ?1",
    [ST_EXPIRE_RECORDS] = "DELETE FROM record WHERE ts < ?1",
};

/* One change to a key map, kept so that a rolled-back operation can put
 * the map back as it was. */
struct undo {
    strmap_t *map;
    char *key;
    size_t len;
    int64_t old; /* -1: the key was absent */
};

/* An audit line waiting for the writer (store_audit). */
struct audit_line {
    store_audit_t a; /* its texts point into text[] */
    struct audit_line *next;
    char text[];
};

/* Which file a path named when the writer opened it. */
struct file_id {
    bool known;
    dev_t dev;
    ino_t ino;
};

struct store {
    uv_loop_t *loop;
    uv_async_t done_async;
    char *path;
    char *fpath[FILE_COUNT]; /* path, path-wal, path-shm */
    int lock_fd;

    /* writer thread only */
    sqlite3 *wdb;
    sqlite3_stmt *st[ST_COUNT];
    strmap_t people, kinds;
    pidcache_t pid_cache; /* in front of people, for person_id() */
    int64_t next_pid, next_kid;
    struct undo *undo;
    size_t nundo, capundo;
    int sync_applied;
    struct file_id files[FILE_COUNT];
    bool erase_pending; /* see store_forget_result_t.wal_pending */
    bool ckpt_warned;   /* the last checkpoint failure is logged */
    char gone_msg[256]; /* why writes are refused, once gone is set */

    /* Set once by the writer (then gone_msg is final), read anywhere. */
    atomic_bool gone;

    pthread_t writer;
    bool writer_started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    /* under mu: */
    store_op_t *qhead, *qtail;
    unsigned queued, writing;
    store_op_t *done_head, *done_tail;
    bool stopping;
    int synchronous;
    unsigned commit_items, ingest_queue;
    store_counts_t counts;
    struct audit_line *audit_head, *audit_tail; /* waiting for the writer */

    pthread_mutex_t rmu; /* read connection pool */
    sqlite3 **readers;
    size_t nreaders, capreaders;
};

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int store_query_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* ---- the files under the daemon ------------------------------------ */

/* Move the whole WAL into the database file and truncate it to 0 bytes,
 * without waiting: with the busy handler a reader's snapshot would hold
 * the writer, and so every write, for the whole busy timeout. When a
 * reader still needs part of the WAL this does what it can (as a passive
 * checkpoint) and returns false. Writer thread. */
static bool wal_truncate(store_t *s)
{
    int logged, ckpt;
    sqlite3_busy_timeout(s->wdb, 0);
    int rc = sqlite3_wal_checkpoint_v2(s->wdb, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                       &logged, &ckpt);
    sqlite3_busy_timeout(s->wdb, BUSY_TIMEOUT_MS);
    /* Retried every STORE_ERASE_RETRY_MS: say a real failure once. */
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && !s->ckpt_warned)
        log_warn("store: checkpoint: %s", sqlite3_errmsg(s->wdb));
    s->ckpt_warned = rc != SQLITE_OK && rc != SQLITE_BUSY;
    return rc == SQLITE_OK;
}

/* A pending erasure: try again, log when it is done. Writer thread. */
static void erase_retry(store_t *s)
{
    if (s->erase_pending && wal_truncate(s)) {
        s->erase_pending = false;
        log_notice("store: erasure finished: the WAL is checkpointed and "
                   "truncated");
    }
}

/* Remember which files the writer's paths name now, just after sqlite
 * opened them (it keeps them open, so their inode numbers cannot be
 * reused while the daemon runs). */
static void files_remember(store_t *s)
{
    for (int i = 0; i < FILE_COUNT; i++) {
        struct stat st;
        s->files[i].known = stat(s->fpath[i], &st) == 0;
        if (s->files[i].known) {
            s->files[i].dev = st.st_dev;
            s->files[i].ino = st.st_ino;
        }
    }
}

/* 0 while each path still names the file the writer has open; -1 with
 * why set once one was deleted or replaced (a restore, a cleanup script):
 * a commit would then go to a file no restart will open, so it must not
 * be acknowledged. Three stat(2) calls, nothing beside a commit. */
static int files_check(store_t *s, char *why, size_t n)
{
    for (int i = 0; i < FILE_COUNT; i++) {
        struct stat st;
        if (!s->files[i].known)
            continue;
        bool missing = stat(s->fpath[i], &st) < 0;
        if (missing || st.st_dev != s->files[i].dev ||
            st.st_ino != s->files[i].ino) {
            snprintf(why, n,
                     "database file %s was %s while spand ran; writes are "
                     "refused until spand is restarted",
                     s->fpath[i], missing ? "deleted" : "replaced");
            return -1;
        }
    }
    return 0;
}

/* Record that the files are gone (once) and log it (once). */
static void files_lost(store_t *s, const char *why)
{
    if (atomic_load(&s->gone))
        return;
    snprintf(s->gone_msg, sizeof s->gone_msg, "%s", why);
    atomic_store(&s->gone, true);
    log_err("store: %s", why);
}

/* ---- opening ------------------------------------------------------- */

/* Two daemons writing one database would each hold their own key maps and
 * corrupt it; an flock beside the database keeps it to one. */
static int take_lock(store_t *s, char *err, size_t errlen)
{
    size_t n = strlen(s->path) + 6;
    char *lp = malloc(n);
    if (!lp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(lp, n, "%s.lock", s->path);
    s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", lp, strerror(errno));
        free(lp);
        return -1;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(err, errlen,
                 "database %s is in use by another spand (lock %s held)",
                 s->path, lp);
        free(lp);
        return -1;
    }
    free(lp);
    return 0;
}

static int migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    int64_t version, app_id, objects;
    if (store_query_int(db, "PRAGMA user_version", &version) < 0 ||
        store_query_int(db, "PRAGMA application_id", &app_id) < 0 ||
        store_query_int(db, "SELECT count(*) FROM sqlite_master", &objects) <
            0) {
        snprintf(err, errlen, "%s: cannot read schema: %s", path,
                 sqlite3_errmsg(db));
        return -1;
    }
    if ((app_id != 0 && app_id != SPAND_APPLICATION_ID) ||
        (version == 0 && objects > 0)) {
        snprintf(err, errlen, "%s is not a spand database", path);
        return -1;
    }
    if (version > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "%s has schema version %lld, newer than this spand "
                 "understands (%d): upgrade spand",
                 path, (long long)version, STORE_SCHEMA_VERSION);
        return -1;
    }
    for (int64_t v = version; v < STORE_SCHEMA_VERSION; v++) {
        char sql[128];
        char detail[200];
        snprintf(sql, sizeof sql,
                 "PRAGMA user_version = %lld; PRAGMA application_id = %d;",
                 (long long)v + 1, SPAND_APPLICATION_ID);
        if (exec(db, "BEGIN IMMEDIATE", detail, sizeof detail) < 0 ||
            exec(db, migrations[v], detail, sizeof detail) < 0 ||
            exec(db, sql, detail, sizeof detail) < 0 ||
            exec(db, "COMMIT", detail, sizeof detail) < 0) {
            char ignored[64];
            exec(db, "ROLLBACK", ignored, sizeof ignored);
            snprintf(err, errlen, "%s: migration to schema %lld failed: %s",
                     path, (long long)v + 1, detail);
            return -1;
        }
        if (v > 0 || version > 0)
            log_notice("%s: migrated to schema version %lld", path,
                       (long long)v + 1);
    }
    return 0;
}

static int load_map(sqlite3 *db, const char *sql, strmap_t *m, int64_t *next)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc;
    *next = 1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *k = (const char *)sqlite3_column_text(st, 1);
        int len = sqlite3_column_bytes(st, 1);
        if (strmap_put(m, k, (size_t)len, id) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (id >= *next)
            *next = id + 1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int apply_synchronous(store_t *s, int level)
{
    char sql[64], err[128];
    snprintf(sql, sizeof sql, "PRAGMA synchronous = %d", level);
    if (exec(s->wdb, sql, err, sizeof err) < 0) {
        log_err("store: %s: %s", sql, err);
        return -1;
    }
    s->sync_applied = level;
    return 0;
}

static int open_writer(store_t *s, const config_t *cfg, char *err,
                       size_t errlen)
{
    /* The SAVEPOINT of every ingest op keeps the pages it first touches
     * in a sub-journal, which sqlite spills to a temp file past 64 KiB by
     * default: 117k pwrite()s, a fifth of the writer's CPU, on a
     * 1M-record load. Keep up to 16 MiB in memory (a larger one, as a big
     * forget can make, still spills). Process-wide: it only takes before
     * sqlite's first use, and fails harmlessly after. */
    if (sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 16 << 20) != SQLITE_OK)
        log_debug("store: sqlite already initialised; sub-journals spill "
                  "at sqlite's default size");
    /* Personal data: create the database 0600 whatever the umask. sqlite
     * gives its WAL and shm files the database file's mode. O_EXCL: an
     * existing file is left alone (and no descriptor of ours is closed
     * on a file sqlite has locked). */
    int fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  0600);
    if (fd >= 0)
        close(fd);
    else if (errno != EEXIST) {
        snprintf(err, errlen, "cannot create database %s: %s", s->path,
                 strerror(errno));
        return -1;
    }
    int rc = sqlite3_open_v2(
        s->path, &s->wdb,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", s->path,
                 s->wdb ? sqlite3_errmsg(s->wdb) : sqlite3_errstr(rc));
        return -1;
    }
    sqlite3_busy_timeout(s->wdb, BUSY_TIMEOUT_MS);
    char detail[200], sql[96];
    /* secure_delete: a forgotten person's data is overwritten, not left
     * in free pages, because this is personal data. */
    snprintf(sql, sizeof sql,
             "PRAGMA secure_delete = ON; PRAGMA cache_size = -%u;",
             cfg->cache_mb * 1024);
    if (exec(s->wdb, sql, detail, sizeof detail) < 0) {
        snprintf(err, errlen, "%s: %s", s->path, detail);
        return -1;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->wdb, "PRAGMA journal_mode = WAL", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
        snprintf(err, errlen, "%s: cannot switch to WAL mode: %s", s->path,
                 sqlite3_errmsg(s->wdb));
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    if (migrate(s->wdb, s->path, err, errlen) < 0)
        return -1;
    if (apply_synchronous(s, cfg->synchronous) < 0) {
        snprintf(err, errlen, "%s: cannot set synchronous", s->path);
        return -1;
    }
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(s->wdb, stmt_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: prepare: %s", s->path,
                     sqlite3_errmsg(s->wdb));
            return -1;
        }
    }
    /* The counts below read whole indexes once. Through the writer's
     * cache (cache_mb) that would leave tens of MiB of index pages
     * resident for nothing (RSS the view builds then add to), so count
     * through a 1 MiB cache and give the writer its full size after. */
    if (exec(s->wdb, "PRAGMA cache_size = -1024", detail, sizeof detail) < 0) {
        snprintf(err, errlen, "%s: %s", s->path, detail);
        return -1;
    }
    if (load_map(s->wdb, "SELECT pid, key FROM person", &s->people,
                 &s->next_pid) < 0 ||
        load_map(s->wdb, "SELECT kid, name FROM kind", &s->kinds,
                 &s->next_kid) < 0 ||
        store_query_int(s->wdb, "SELECT count(*) FROM person",
                        &s->counts.people) < 0 ||
        store_query_int(s->wdb, "SELECT count(*) FROM record",
                        &s->counts.records) < 0 ||
        store_query_int(s->wdb, "SELECT count(*) FROM event",
                        &s->counts.events) < 0 ||
        store_query_int(s->wdb,
                        "SELECT value FROM meta WHERE key = 'data_version'",
                        &s->counts.data_version) < 0) {
        snprintf(err, errlen, "%s: cannot load: %s", s->path,
                 sqlite3_errmsg(s->wdb));
        return -1;
    }
    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%u;", cfg->cache_mb * 1024);
    if (exec(s->wdb, sql, detail, sizeof detail) < 0) {
        snprintf(err, errlen, "%s: %s", s->path, detail);
        return -1;
    }
    return 0;
}

static void *writer_main(void *arg);
static void on_done_async(uv_async_t *h);

int store_open(const config_t *cfg, uv_loop_t *loop, store_t **out, char *err,
               size_t errlen)
{
    store_t *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(cfg->database))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->loop = loop;
    s->lock_fd = -1;
    strmap_init(&s->people);
    strmap_init(&s->kinds);
    pthread_mutex_init(&s->mu, NULL);
    /* Monotonic: the erasure retries must not depend on the wall clock. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->rmu, NULL);
    for (int i = 0; i < FILE_COUNT; i++) {
        size_t n = strlen(s->path) + strlen(file_suffix[i]) + 1;
        if (!(s->fpath[i] = malloc(n))) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        snprintf(s->fpath[i], n, "%s%s", s->path, file_suffix[i]);
    }
    s->synchronous = cfg->synchronous;
    s->commit_items = cfg->commit_items;
    s->ingest_queue = cfg->ingest_queue;
    if (take_lock(s, err, errlen) < 0 || open_writer(s, cfg, err, errlen) < 0)
        goto fail;
    files_remember(s);
    /* A WAL left by a run that stopped between a forget and its
     * checkpoint may still hold erased data: until it is checkpointed and
     * truncated, count the erasure as pending. */
    s->erase_pending = !wal_truncate(s);
    s->counts.erasure_pending = s->erase_pending;
    if (uv_async_init(loop, &s->done_async, on_done_async) < 0) {
        snprintf(err, errlen, "uv_async_init failed");
        goto fail;
    }
    s->done_async.data = s;
    int rc = pthread_create(&s->writer, NULL, writer_main, s);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start writer thread: %s", strerror(rc));
        uv_close((uv_handle_t *)&s->done_async, NULL);
        goto fail;
    }
    s->writer_started = true;
    log_info("store: %s: %lld people, %lld records, %lld events, data "
             "version %lld",
             s->path, (long long)s->counts.people, (long long)s->counts.records,
             (long long)s->counts.events, (long long)s->counts.data_version);
    *out = s;
    return 0;
fail:
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->wdb);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    strmap_free(&s->people);
    strmap_free(&s->kinds);
    for (int i = 0; i < FILE_COUNT; i++)
        free(s->fpath[i]);
    free(s->path);
    free(s);
    return -1;
}

/* ---- writing (writer thread) --------------------------------------- */

static int undo_push(store_t *s, strmap_t *m, const char *key, size_t len,
                     int64_t old)
{
    if (s->nundo == s->capundo) {
        size_t cap = s->capundo ? s->capundo * 2 : 256;
        struct undo *u = realloc(s->undo, cap * sizeof *u);
        if (!u)
            return -1;
        s->undo = u;
        s->capundo = cap;
    }
    char *k = malloc(len + 1);
    if (!k)
        return -1;
    memcpy(k, key, len);
    k[len] = '\0';
    s->undo[s->nundo++] = (struct undo){m, k, len, old};
    return 0;
}

/* Revert map changes back to mark (newest first), or just forget the log
 * when keep is true (the changes were committed). */
static void undo_to(store_t *s, size_t mark, bool keep)
{
    if (!keep && s->nundo > mark)
        pidcache_clear(&s->pid_cache); /* it may hold reverted keys */
    while (s->nundo > mark) {
        struct undo *u = &s->undo[--s->nundo];
        if (!keep) {
            if (u->old < 0)
                strmap_del(u->map, u->key, u->len);
            else if (strmap_put(u->map, u->key, u->len, u->old) < 0)
                log_err("store: out of memory restoring key map");
        }
        free(u->key);
    }
}

static int step_done(store_t *s, sqlite3_stmt *st, store_op_t *op)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        snprintf(op->err, sizeof op->err, "%s", sqlite3_errmsg(s->wdb));
        return -EIO;
    }
    return 0;
}

/* Find or create the integer id of a key in map, inserting a row with st
 * when new. *created tells whether it was. */
static int intern(store_t *s, strmap_t *m, int64_t *next, enum stmt_id sid,
                  ingest_str_t key, int64_t *id, bool *created, store_op_t *op)
{
    if (strmap_get(m, key.s, key.len, id)) {
        *created = false;
        return 0;
    }
    sqlite3_stmt *st = s->st[sid];
    int64_t nid = *next;
    sqlite3_bind_int64(st, 1, nid);
    sqlite3_bind_text(st, 2, key.s, (int)key.len, SQLITE_STATIC);
    int rc = step_done(s, st, op);
    if (rc < 0)
        return rc;
    if (strmap_put(m, key.s, key.len, nid) < 0 ||
        undo_push(s, m, key.s, key.len, -1) < 0) {
        strmap_del(m, key.s, key.len);
        snprintf(op->err, sizeof op->err, "out of memory");
        return -EIO;
    }
    (*next)++;
    *id = nid;
    *created = true;
    return 0;
}

/* The pid of a person key, creating the person when new. Two calls per
 * record: the cache answers most without touching the key map. */
static int person_id(store_t *s, ingest_str_t key, int64_t *pid, store_op_t *op)
{
    if (pidcache_get(&s->pid_cache, key.s, key.len, pid))
        return 0;
    bool created;
    int rc = intern(s, &s->people, &s->next_pid, ST_PERSON_INSERT, key, pid,
                    &created, op);
    if (rc == 0) {
        if (created)
            op->ingest.people_implicit++;
        pidcache_put(&s->pid_cache, key.s, key.len, *pid);
    }
    return rc;
}

static void bind_opt_text(sqlite3_stmt *st, int i, ingest_str_t v)
{
    if (v.s)
        sqlite3_bind_text(st, i, v.s, (int)v.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int write_people(store_t *s, store_op_t *op)
{
    const ingest_batch_t *b = &op->batch;
    for (size_t i = 0; i < b->npeople; i++) {
        const ingest_person_t *p = &b->people[i];
        int64_t pid;
        bool created;
        int rc = intern(s, &s->people, &s->next_pid, ST_PERSON_INSERT, p->id,
                        &pid, &created, op);
        if (rc < 0)
            return rc;
        int changed = 0;
        for (size_t a = 0; a < p->nattrs; a++) {
            const ingest_attr_t *at = &p->attrs[a];
            sqlite3_stmt *st =
                s->st[at->value.s ? ST_ATTR_UPSERT : ST_ATTR_DELETE];
            sqlite3_bind_int64(st, 1, pid);
            sqlite3_bind_text(st, 2, at->name.s, (int)at->name.len,
                              SQLITE_STATIC);
            if (at->value.s)
                sqlite3_bind_text(st, 3, at->value.s, (int)at->value.len,
                                  SQLITE_STATIC);
            if ((rc = step_done(s, st, op)) < 0)
                return rc;
            changed += sqlite3_changes(s->wdb);
        }
        if (created)
            op->ingest.people_added++;
        else if (changed)
            op->ingest.people_updated++;
        else
            op->ingest.people_duplicate++;
    }
    return 0;
}

/* Bind r, whose person and kind ids are id[0..2], as the row whose first
 * parameter is at + 1. */
static void bind_record(sqlite3_stmt *st, int at, const ingest_record_t *r,
                        const int64_t id[3])
{
    bind_opt_text(st, at + 1, r->id);
    sqlite3_bind_int64(st, at + 2, r->ts);
    sqlite3_bind_int64(st, at + 3, id[0]);
    sqlite3_bind_int64(st, at + 4, id[1]);
    sqlite3_bind_int64(st, at + 5, id[2]);
    sqlite3_bind_double(st, at + 6, r->weight);
    sqlite3_bind_int(st, at + 7, r->directed);
}

#define PREFETCH_AHEAD 32 /* records whose people are prefetched at once */

static int write_records(store_t *s, store_op_t *op)
{
    const ingest_batch_t *b = &op->batch;
    size_t i = 0;
    int rc;
    if (!b->nrecords)
        return 0;
    /* Every person and kind of the batch first, in one loop that
     * prefetches the cache slots of PREFETCH_AHEAD records at a time: the
     * lookups are memory-bound (the sqlite work between batches evicts the
     * tables), and overlapping their misses took them from 11-14% of the
     * daemon's CPU on a 1M-record load to 5-8%. New people and kinds get
     * their ids in the same order as before. */
    int64_t *ids = malloc(b->nrecords * 3 * sizeof *ids);
    if (!ids) {
        snprintf(op->err, sizeof op->err, "out of memory");
        return -EIO;
    }
    for (i = 0; i < b->nrecords; i++) {
        const ingest_record_t *r = &b->records[i];
        bool created;
        if (i % PREFETCH_AHEAD == 0)
            for (size_t k = i; k < i + PREFETCH_AHEAD && k < b->nrecords; k++) {
                pidcache_prefetch(&s->pid_cache, b->records[k].from.s,
                                  b->records[k].from.len);
                pidcache_prefetch(&s->pid_cache, b->records[k].to.s,
                                  b->records[k].to.len);
            }
        if ((rc = person_id(s, r->from, &ids[3 * i], op)) < 0 ||
            (rc = person_id(s, r->to, &ids[3 * i + 1], op)) < 0 ||
            (rc = intern(s, &s->kinds, &s->next_kid, ST_KIND_INSERT, r->kind,
                         &ids[3 * i + 2], &created, op)) < 0)
            goto out;
    }
    /* Whole chunks of RECORD_CHUNK in one statement each, the rest one by
     * one. An added row counts once in sqlite3_changes(); a duplicate
     * (ON CONFLICT DO NOTHING) not at all. */
    sqlite3_stmt *st = s->st[ST_RECORD_INSERT_MANY];
    for (i = 0; b->nrecords - i >= RECORD_CHUNK; i += RECORD_CHUNK) {
        for (size_t k = 0; k < RECORD_CHUNK; k++)
            bind_record(st, 7 * (int)k, &b->records[i + k], &ids[3 * (i + k)]);
        if ((rc = step_done(s, st, op)) < 0)
            goto out;
        int added = sqlite3_changes(s->wdb);
        op->ingest.records_added += added;
        op->ingest.records_duplicate += RECORD_CHUNK - added;
    }
    st = s->st[ST_RECORD_INSERT];
    for (; i < b->nrecords; i++) {
        bind_record(st, 0, &b->records[i], &ids[3 * i]);
        if ((rc = step_done(s, st, op)) < 0)
            goto out;
        if (sqlite3_changes(s->wdb))
            op->ingest.records_added++;
        else
            op->ingest.records_duplicate++;
    }
    rc = 0;
out:
    free(ids);
    return rc;
}

static int write_events(store_t *s, store_op_t *op)
{
    const ingest_batch_t *b = &op->batch;
    for (size_t i = 0; i < b->nevents; i++) {
        const ingest_event_t *e = &b->events[i];
        int64_t kid, eid, pid;
        bool created;
        int rc = intern(s, &s->kinds, &s->next_kid, ST_KIND_INSERT, e->kind,
                        &kid, &created, op);
        if (rc < 0)
            return rc;
        sqlite3_stmt *st = s->st[ST_EVENT_INSERT];
        bind_opt_text(st, 1, e->id);
        sqlite3_bind_int64(st, 2, e->ts);
        sqlite3_bind_int64(st, 3, kid);
        sqlite3_bind_double(st, 4, e->weight);
        if ((rc = step_done(s, st, op)) < 0)
            return rc;
        if (!sqlite3_changes(s->wdb)) {
            op->ingest.events_duplicate++;
            continue;
        }
        eid = sqlite3_last_insert_rowid(s->wdb);
        op->ingest.events_added++;
        st = s->st[ST_PARTICIPANT_INSERT];
        for (size_t k = 0; k < e->nparticipants; k++) {
            if ((rc = person_id(s, e->participants[k], &pid, op)) < 0)
                return rc;
            sqlite3_bind_int64(st, 1, eid);
            sqlite3_bind_int64(st, 2, pid);
            if ((rc = step_done(s, st, op)) < 0)
                return rc;
        }
    }
    return 0;
}

static int write_forget(store_t *s, store_op_t *op)
{
    size_t len = strlen(op->forget_id);
    int64_t pid;
    if (!strmap_get(&s->people, op->forget_id, len, &pid))
        return -ENOENT;
    int rc;
    /* The audit keeps its lines, without the id (store.h). */
    sqlite3_bind_text(s->st[ST_AUDIT_BLANK], 1, op->forget_id, (int)len,
                      SQLITE_STATIC);
    if ((rc = step_done(s, s->st[ST_AUDIT_BLANK], op)) < 0)
        return rc;
    static const enum stmt_id steps[] = {ST_FORGET_RECORDS,
                                         ST_FORGET_PARTICIPANTS,
                                         ST_FORGET_ATTRS, ST_FORGET_PERSON};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        sqlite3_bind_int64(s->st[steps[i]], 1, pid);
        if ((rc = step_done(s, s->st[steps[i]], op)) < 0)
            return rc;
        if (steps[i] == ST_FORGET_RECORDS)
            op->forget.records_removed = sqlite3_changes(s->wdb);
        else if (steps[i] == ST_FORGET_PARTICIPANTS)
            op->forget.participations_removed = sqlite3_changes(s->wdb);
    }
    if (undo_push(s, &s->people, op->forget_id, len, pid) < 0) {
        snprintf(op->err, sizeof op->err, "out of memory");
        return -EIO;
    }
    strmap_del(&s->people, op->forget_id, len);
    pidcache_clear(&s->pid_cache);
    return 0;
}

/* Erase every record and event from before op->forget_before. */
static int write_expire(store_t *s, store_op_t *op)
{
    static const enum stmt_id steps[] = {ST_EXPIRE_PARTICIPANTS,
                                         ST_EXPIRE_EVENTS, ST_EXPIRE_RECORDS};
    int64_t *n[] = {&op->forget.participations_removed,
                    &op->forget.events_removed, &op->forget.records_removed};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        sqlite3_bind_int64(s->st[steps[i]], 1, op->forget_before);
        int rc = step_done(s, s->st[steps[i]], op);
        if (rc < 0)
            return rc;
        *n[i] = sqlite3_changes64(s->wdb);
    }
    return 0;
}

static void audit_free(struct audit_line *l)
{
    while (l) {
        struct audit_line *next = l->next;
        free(l);
        l = next;
    }
}

static bool op_changed(const store_op_t *op)
{
    if (op->rc < 0 || op->kind == STORE_OP_SYNC)
        return false;
    if (op->kind == STORE_OP_FORGET && !op->forget_id)
        return op->forget.records_removed || op->forget.events_removed ||
               op->forget.participations_removed;
    if (op->kind == STORE_OP_FORGET)
        return true;
    const store_ingest_result_t *r = &op->ingest;
    return r->people_added || r->people_updated || r->people_implicit ||
           r->records_added || r->events_added;
}

static void fail_op(store_op_t *op, int rc, const char *why)
{
    op->rc = rc;
    if (why)
        snprintf(op->err, sizeof op->err, "%s", why);
    memset(&op->ingest, 0, sizeof op->ingest);
    memset(&op->forget, 0, sizeof op->forget);
}

/* Change tracking for incremental views: meta 'rewrite_version' is the
 * data version of the last commit that did more than append (a forget, an
 * attribute of an existing person set, changed or removed). Written in
 * the commit's own transaction, so a snapshot sees it together with the
 * data. Absent (databases from before): 0. */
static int mark_rewrite(store_t *s, int64_t version, char *err, size_t errlen)
{
    char sql[128];
    snprintf(sql, sizeof sql,
             "INSERT INTO meta VALUES('rewrite_version', %lld)"
             " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
             (long long)version);
    return exec(s->wdb, sql, err, errlen);
}

/* Write ops (a linked list) in one transaction. Sets each op's rc. Returns
 * the count deltas to apply once committed. */
/* Write the audit lines (freed here) in the open transaction. A failed
 * line is logged and dropped: it must not cost the data its group. */
static void write_audit(store_t *s, struct audit_line *l)
{
    sqlite3_stmt *st = s->st[ST_AUDIT_INSERT];
    while (l) {
        struct audit_line *next = l->next;
        const store_audit_t *a = &l->a;
        int64_t pid;
        /* Only the id of someone held now (store.h). */
        bool known = a->target &&
                     strmap_get(&s->people, a->target, strlen(a->target), &pid);
        sqlite3_bind_int64(st, 1, a->ts);
        sqlite3_bind_int64(st, 2, a->uid);
        sqlite3_bind_text(st, 3, a->user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, a->pid);
        sqlite3_bind_text(st, 5, a->method, -1, SQLITE_STATIC);
        if (known)
            sqlite3_bind_text(st, 6, a->target, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 6);
        sqlite3_bind_text(st, 7, a->outcome, -1, SQLITE_STATIC);
        if (a->code)
            sqlite3_bind_int(st, 8, a->code);
        else
            sqlite3_bind_null(st, 8);
        if (a->rows >= 0)
            sqlite3_bind_int64(st, 9, a->rows);
        else
            sqlite3_bind_null(st, 9);
        store_op_t dummy = {0};
        if (step_done(s, st, &dummy) < 0)
            log_err("store: an audit line was not written: %s", dummy.err);
        free(l);
        l = next;
    }
}

static void write_group(store_t *s, store_op_t *ops, struct audit_line *audit,
                        int64_t version, store_counts_t *delta)
{
    char err[256];
    memset(delta, 0, sizeof *delta);
    if (atomic_load(&s->gone) || files_check(s, err, sizeof err) < 0) {
        files_lost(s, atomic_load(&s->gone) ? s->gone_msg : err);
        for (store_op_t *op = ops; op; op = op->next)
            fail_op(op, -EIO, s->gone_msg);
        audit_free(audit);
        return;
    }
    if (exec(s->wdb, "BEGIN IMMEDIATE", err, sizeof err) < 0) {
        for (store_op_t *op = ops; op; op = op->next)
            fail_op(op, -EIO, err);
        log_err("store: audit lines lost: %s", err);
        audit_free(audit);
        return;
    }
    write_audit(s, audit);
    bool changed = false, forgot = false, rewrote = false;
    for (store_op_t *op = ops; op; op = op->next) {
        size_t mark = s->nundo;
        int rc = exec(s->wdb, "SAVEPOINT op", err, sizeof err);
        if (rc == 0) {
            rc = op->kind == STORE_OP_SYNC ? 0
                 : op->kind == STORE_OP_INGEST
                     ? write_people(s, op) ?: write_records(s, op)
                                               ?: write_events(s, op)
                 : op->forget_id ? write_forget(s, op)
                                 : write_expire(s, op);
            op->rc = rc;
            if (rc < 0) {
                exec(s->wdb, "ROLLBACK TO op", err, sizeof err);
                undo_to(s, mark, false);
                fail_op(op, rc, NULL);
            }
            exec(s->wdb, "RELEASE op", err, sizeof err);
        } else {
            fail_op(op, -EIO, err);
        }
        if (op_changed(op)) {
            changed = true;
            forgot |= op->kind == STORE_OP_FORGET;
            rewrote |=
                op->kind == STORE_OP_FORGET || op->ingest.people_updated > 0;
        }
    }
    int rc = 0;
    if (changed) {
        sqlite3_bind_int64(s->st[ST_SET_VERSION], 1, version + 1);
        store_op_t dummy = {0};
        rc = step_done(s, s->st[ST_SET_VERSION], &dummy);
        if (rc < 0)
            snprintf(err, sizeof err, "%s", dummy.err);
    }
    if (rc == 0 && rewrote)
        rc = mark_rewrite(s, version + 1, err, sizeof err);
    if (rc == 0)
        rc = exec(s->wdb, "COMMIT", err, sizeof err);
    if (rc < 0) {
        char ignored[128];
        exec(s->wdb, "ROLLBACK", ignored, sizeof ignored);
        undo_to(s, 0, false);
        log_err("store: commit failed: %s", err);
        for (store_op_t *op = ops; op; op = op->next)
            fail_op(op, -EIO, err);
        return;
    }
    undo_to(s, 0, true);
    /* Checked again after the commit: files removed while it ran would
     * make it vanish at the next start, so it is not acknowledged. */
    if (files_check(s, err, sizeof err) < 0) {
        files_lost(s, err);
        for (store_op_t *op = ops; op; op = op->next)
            fail_op(op, -EIO, s->gone_msg);
        return;
    }
    if (changed)
        delta->data_version = 1;
    for (store_op_t *op = ops; op; op = op->next) {
        if (op->rc < 0 || op->kind == STORE_OP_SYNC)
            continue;
        if (op->kind == STORE_OP_INGEST) {
            delta->people +=
                op->ingest.people_added + op->ingest.people_implicit;
            delta->records += op->ingest.records_added;
            delta->events += op->ingest.events_added;
            delta->items_ingested +=
                op->ingest.people_added + op->ingest.people_updated +
                op->ingest.records_added + op->ingest.events_added;
        } else {
            delta->people -= op->forget_id ? 1 : 0;
            delta->records -= op->forget.records_removed;
            delta->events -= op->forget.events_removed;
        }
    }
    if (forgot) {
        /* Erased personal data must not linger in the WAL or in the
         * database file: move the WAL into the database (where
         * secure_delete has zeroed it) and truncate the log. A reader's
         * snapshot may still need the old pages; then the forget says so
         * and the writer retries (erase_retry) until it is done. */
        bool clean = wal_truncate(s);
        if (!clean && !s->erase_pending)
            log_notice("store: forget committed; a reader still holds an "
                       "older snapshot, so the erasure from the WAL and "
                       "database file finishes when it ends");
        s->erase_pending = !clean;
        for (store_op_t *op = ops; op; op = op->next)
            if (op->rc == 0 && op->kind == STORE_OP_FORGET)
                op->forget.wal_pending = !clean;
    } else {
        erase_retry(s);
    }
}

static void *writer_main(void *arg)
{
    /* see below: audit lines and ops, each list taken whole */
    store_t *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->qhead && !s->audit_head && !s->stopping) {
            if (!s->erase_pending) {
                pthread_cond_wait(&s->cond, &s->mu);
                continue;
            }
            /* An erasure waits for readers: retry it while idle. */
            struct timespec at;
            clock_gettime(CLOCK_MONOTONIC, &at);
            at.tv_nsec += STORE_ERASE_RETRY_MS * 1000000L;
            at.tv_sec += at.tv_nsec / 1000000000L;
            at.tv_nsec %= 1000000000L;
            if (pthread_cond_timedwait(&s->cond, &s->mu, &at) != ETIMEDOUT)
                continue;
            pthread_mutex_unlock(&s->mu);
            erase_retry(s);
            pthread_mutex_lock(&s->mu);
            s->counts.erasure_pending = s->erase_pending;
        }
        if (!s->qhead && !s->audit_head)
            break; /* stopping with nothing left to write */
        struct audit_line *audit = s->audit_head;
        s->audit_head = s->audit_tail = NULL;
        /* Take every waiting op up to commit_items items: one fsync for
         * the whole group is what makes many small ingests fast. */
        store_op_t *ops = s->qhead, *last = ops;
        size_t n = 0;
        if (ops) {
            size_t items = ingest_batch_items(&ops->batch);
            n = 1;
            while (last->next &&
                   items + ingest_batch_items(&last->next->batch) <=
                       s->commit_items) {
                last = last->next;
                items += ingest_batch_items(&last->batch);
                n++;
            }
            s->qhead = last->next;
            if (!s->qhead)
                s->qtail = NULL;
            last->next = NULL;
        }
        s->queued -= (unsigned)n;
        s->writing = (unsigned)n;
        int want_sync = s->synchronous;
        int64_t version = s->counts.data_version;
        pthread_mutex_unlock(&s->mu);

        if (want_sync != s->sync_applied)
            apply_synchronous(s, want_sync);
        store_counts_t d;
        write_group(s, ops, audit, version, &d);

        pthread_mutex_lock(&s->mu);
        s->counts.people += d.people;
        s->counts.records += d.records;
        s->counts.events += d.events;
        s->counts.data_version += d.data_version;
        s->counts.items_ingested += d.items_ingested;
        s->counts.erasure_pending = s->erase_pending;
        for (store_op_t *op = ops; op; op = op->next)
            op->data_version = s->counts.data_version;
        s->writing = 0;
        if (ops) {
            if (s->done_tail)
                s->done_tail->next = ops;
            else
                s->done_head = ops;
            s->done_tail = last;
            uv_async_send(&s->done_async);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- loop side ----------------------------------------------------- */

static void on_done_async(uv_async_t *h)
{
    store_t *s = h->data;
    pthread_mutex_lock(&s->mu);
    store_op_t *op = s->done_head;
    s->done_head = s->done_tail = NULL;
    pthread_mutex_unlock(&s->mu);
    while (op) {
        store_op_t *next = op->next;
        op->next = NULL;
        op->cb(op, op->rc);
        op = next;
    }
}

store_op_t *store_op_new(store_op_kind_t kind, store_op_cb cb, void *ctx)
{
    store_op_t *op = calloc(1, sizeof *op);
    if (op) {
        op->kind = kind;
        op->cb = cb;
        op->ctx = ctx;
    }
    return op;
}

void store_op_free(store_op_t *op)
{
    if (!op)
        return;
    if (op->batch.live)
        ingest_batch_free(&op->batch);
    free(op->forget_id);
    free(op);
}

int store_submit(store_t *s, store_op_t *op)
{
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    if (s->stopping)
        rc = -ESHUTDOWN;
    else if (s->queued >= s->ingest_queue)
        rc = -EBUSY;
    if (rc == 0) {
        op->next = NULL;
        if (s->qtail)
            s->qtail->next = op;
        else
            s->qhead = op;
        s->qtail = op;
        s->queued++;
        pthread_cond_signal(&s->cond);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_audit(store_t *s, const store_audit_t *a)
{
    const char *texts[] = {a->user ? a->user : "", a->method,
                           a->target ? a->target : "", a->outcome};
    size_t len[4], total = 0;
    for (int i = 0; i < 4; i++)
        total += (len[i] = strlen(texts[i])) + 1;
    struct audit_line *l = malloc(sizeof *l + total);
    if (!l)
        return -ENOMEM;
    l->a = *a;
    l->next = NULL;
    char *p = l->text;
    const char **dst[] = {&l->a.user, &l->a.method, &l->a.target,
                          &l->a.outcome};
    for (int i = 0; i < 4; i++) {
        memcpy(p, texts[i], len[i] + 1);
        *dst[i] = p;
        p += len[i] + 1;
    }
    if (!a->target)
        l->a.target = NULL;
    pthread_mutex_lock(&s->mu);
    bool stopping = s->stopping;
    if (!stopping) {
        if (s->audit_tail)
            s->audit_tail->next = l;
        else
            s->audit_head = l;
        s->audit_tail = l;
        pthread_cond_signal(&s->cond);
    }
    pthread_mutex_unlock(&s->mu);
    if (stopping) {
        free(l);
        return -ESHUTDOWN;
    }
    return 0;
}

unsigned store_pending(store_t *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned n = s->queued + s->writing;
    for (store_op_t *op = s->done_head; op; op = op->next)
        n++;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void store_counts(store_t *s, store_counts_t *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->counts;
    pthread_mutex_unlock(&s->mu);
    out->files_gone = atomic_load(&s->gone);
}

int64_t store_db_bytes(store_t *s)
{
    struct stat st;
    int64_t total = 0;
    if (stat(s->path, &st) == 0)
        total += st.st_size;
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    if (stat(wal, &st) == 0)
        total += st.st_size;
    return total;
}

void store_reconfigure(store_t *s, const config_t *cfg)
{
    pthread_mutex_lock(&s->mu);
    s->synchronous = cfg->synchronous;
    s->commit_items = cfg->commit_items;
    s->ingest_queue = cfg->ingest_queue;
    pthread_mutex_unlock(&s->mu);
}

static void on_async_closed(uv_handle_t *h)
{
    free(h->data);
}

void store_close(store_t *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
    if (s->writer_started)
        pthread_join(s->writer, NULL);
    /* The writer finished every queued op; deliver what it completed. */
    on_done_async(&s->done_async);
    /* Readers first: the last connection to close removes the WAL. */
    for (size_t i = 0; i < s->nreaders; i++)
        sqlite3_close(s->readers[i]);
    free(s->readers);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    if (atomic_load(&s->gone)) {
        /* The paths now name other files (or none): sqlite must not
         * delete a -wal or -shm by name on close. The checkpoint below
         * works on the open descriptors only. */
        int persist = 1;
        sqlite3_file_control(s->wdb, "main", SQLITE_FCNTL_PERSIST_WAL,
                             &persist);
    }
    int logged, ckpt;
    if (sqlite3_wal_checkpoint_v2(s->wdb, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                  &logged, &ckpt) != SQLITE_OK &&
        s->erase_pending)
        log_warn("store: erasure from the WAL still incomplete at close "
                 "(%s); it finishes at the next start",
                 sqlite3_errmsg(s->wdb));
    if (sqlite3_close(s->wdb) != SQLITE_OK)
        log_err("store: close: %s", sqlite3_errmsg(s->wdb));
    free(s->undo);
    strmap_free(&s->people);
    strmap_free(&s->kinds);
    pidcache_free(&s->pid_cache);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->rmu);
    for (int i = 0; i < FILE_COUNT; i++)
        free(s->fpath[i]);
    free(s->path);
    s->path = NULL;
    /* The struct goes when the loop has closed the async handle. */
    uv_close((uv_handle_t *)&s->done_async, on_async_closed);
}

/* ---- reads (any thread) -------------------------------------------- */

static sqlite3 *reader_get(store_t *s, char *err, size_t errlen)
{
    /* A new connection would open whatever now lies at the path. */
    if (atomic_load(&s->gone)) {
        snprintf(err, errlen, "%s", s->gone_msg);
        return NULL;
    }
    pthread_mutex_lock(&s->rmu);
    sqlite3 *db = s->nreaders ? s->readers[--s->nreaders] : NULL;
    pthread_mutex_unlock(&s->rmu);
    if (db)
        return db;
    int rc = sqlite3_open_v2(s->path, &db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database for reading: %s",
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    return db;
}

static void reader_put(store_t *s, sqlite3 *db)
{
    pthread_mutex_lock(&s->rmu);
    if (s->nreaders == s->capreaders) {
        size_t cap = s->capreaders ? s->capreaders * 2 : 4;
        sqlite3 **r = realloc(s->readers, cap * sizeof *r);
        if (!r) {
            pthread_mutex_unlock(&s->rmu);
            sqlite3_close(db);
            return;
        }
        s->readers = r;
        s->capreaders = cap;
    }
    s->readers[s->nreaders++] = db;
    pthread_mutex_unlock(&s->rmu);
}

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err,
                size_t errlen)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "query failed: %s", sqlite3_errmsg(db));
        return -EIO;
    }
    return 0;
}

/* End a read transaction without touching the caller's error text. */
static void end_read(store_t *s, sqlite3 *db)
{
    char ignored[128];
    if (!sqlite3_get_autocommit(db))
        exec(db, "COMMIT", ignored, sizeof ignored);
    reader_put(s, db);
}

static int step_err(sqlite3 *db, int rc, char *err, size_t errlen)
{
    if (rc == SQLITE_DONE)
        return 0;
    snprintf(err, errlen, "query failed: %s", sqlite3_errmsg(db));
    return -EIO;
}

sqlite3 *store_read_begin(store_t *s, int64_t *data_version, char *err,
                          size_t errlen)
{
    err[0] = '\0';
    sqlite3 *db = reader_get(s, err, errlen);
    if (!db)
        return NULL;
    if (exec(db, "BEGIN", err, errlen) < 0 ||
        store_query_int(db, "SELECT value FROM meta WHERE key = 'data_version'",
                        data_version) < 0) {
        if (!err[0])
            snprintf(err, errlen, "cannot read: %s", sqlite3_errmsg(db));
        end_read(s, db);
        return NULL;
    }
    return db;
}

void store_read_end(store_t *s, sqlite3 *db)
{
    end_read(s, db);
}

int store_read_rewrite_version(struct sqlite3 *db, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce((SELECT value FROM meta"
                           " WHERE key = 'rewrite_version'), 0)",
                           -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -EIO;
}

#define OOM_IF(cond)                                                           \
    do {                                                                       \
        if (cond) {                                                            \
            snprintf(err, errlen, "out of memory");                            \
            rc = -ENOMEM;                                                      \
            goto out;                                                          \
        }                                                                      \
    } while (0)

int store_boundaries(store_t *s, json_t **out, char *err, size_t errlen)
{
    sqlite3 *db = reader_get(s, err, errlen);
    if (!db)
        return -EIO;
    sqlite3_stmt *st = NULL;
    json_t *res = json_object(), *attrs = json_array(), *cur = NULL,
           *values = NULL;
    int rc = 0;
    int64_t people = 0;
    OOM_IF(!res || !attrs || json_object_set(res, "attributes", attrs) < 0);
    if ((rc = exec(db, "BEGIN", err, errlen)) < 0 ||
        store_query_int(db, "SELECT count(*) FROM person", &people) < 0) {
        rc = -EIO;
        goto out;
    }
    if ((rc = prep(db,
                   "SELECT name, value, count(*) AS n FROM attr"
                   " GROUP BY name, value ORDER BY name, n DESC, value",
                   &st, err, errlen)) < 0)
        goto out;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *value = (const char *)sqlite3_column_text(st, 1);
        json_int_t n = sqlite3_column_int64(st, 2);
        if (!cur || strcmp(json_string_value(json_object_get(cur, "name")),
                           name) != 0) {
            cur = json_pack("{s:s, s:I, s:[]}", "name", name, "people",
                            (json_int_t)0, "values");
            OOM_IF(!cur || json_array_append_new(attrs, cur) < 0);
            values = json_object_get(cur, "values");
        }
        json_t *v = json_pack("{s:s, s:I}", "value", value, "people", n);
        OOM_IF(!v || json_array_append_new(values, v) < 0);
        json_object_set_new(
            cur, "people",
            json_integer(json_integer_value(json_object_get(cur, "people")) +
                         n));
    }
    if ((rc = step_err(db, step, err, errlen)) < 0)
        goto out;
    OOM_IF(json_object_set_new(res, "people", json_integer(people)) < 0);
out:
    sqlite3_finalize(st);
    end_read(s, db);
    json_decref(attrs);
    if (rc < 0) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return 0;
}

static json_t *ts_json(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return json_null();
    char buf[TS_FORMAT_LEN];
    return json_string(ts_format(sqlite3_column_int64(st, col), buf));
}

/* The pid of person id and their attributes into attrs (in one read
 * transaction the caller holds): 0, -ENOENT when there is no such person,
 * or another negative code with err. Shared by store_person and
 * store_person_all. */
static int person_head(sqlite3 *db, const char *id, int64_t *pid, json_t *attrs,
                       char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc, step;
    if ((rc = prep(db, "SELECT pid FROM person WHERE key = ?1", &st, err,
                   errlen)) < 0)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        rc = step == SQLITE_DONE ? -ENOENT : step_err(db, step, err, errlen);
        goto out;
    }
    *pid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = prep(db, "SELECT name, value FROM attr WHERE pid = ?1", &st, err,
                   errlen)) < 0)
        goto out;
    sqlite3_bind_int64(st, 1, *pid);
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        OOM_IF(json_object_set_new(
                   attrs, (const char *)sqlite3_column_text(st, 0),
                   json_string((const char *)sqlite3_column_text(st, 1))) < 0);
    rc = step_err(db, step, err, errlen);
out:
    sqlite3_finalize(st);
    return rc < 0 ? rc : 0;
}

int store_person(store_t *s, const char *id, json_t **out, char *err,
                 size_t errlen)
{
    sqlite3 *db = reader_get(s, err, errlen);
    if (!db)
        return -EIO;
    sqlite3_stmt *st = NULL;
    json_t *res = NULL, *attrs = json_object(), *kinds = json_object();
    int rc = 0, step;
    int64_t pid;
    OOM_IF(!attrs || !kinds);
    if ((rc = exec(db, "BEGIN", err, errlen)) < 0)
        goto out;
    if ((rc = person_head(db, id, &pid, attrs, err, errlen)) < 0)
        goto out;

    if ((rc = prep(db,
                   "SELECT (SELECT count(*) FROM record WHERE src = ?1),"
                   " (SELECT count(*) FROM record WHERE dst = ?1),"
                   " (SELECT count(*) FROM participant WHERE pid = ?1)",
                   &st, err, errlen)) < 0)
        goto out;
    sqlite3_bind_int64(st, 1, pid);
    if ((step = sqlite3_step(st)) != SQLITE_ROW) {
        rc = step_err(db, step, err, errlen);
        goto out;
    }
    res = json_pack("{s:s, s:O, s:I, s:I, s:I}", "id", id, "attributes", attrs,
                    "records_out", (json_int_t)sqlite3_column_int64(st, 0),
                    "records_in", (json_int_t)sqlite3_column_int64(st, 1),
                    "events", (json_int_t)sqlite3_column_int64(st, 2));
    OOM_IF(!res);
    sqlite3_finalize(st);
    st = NULL;

    /* Every tie of the person: both directions of records, and every
     * co-participant of their events. */
    if ((rc = prep(db,
                   "WITH ties(other, ts) AS ("
                   " SELECT dst, ts FROM record WHERE src = ?1"
                   " UNION ALL SELECT src, ts FROM record WHERE dst = ?1"
                   " UNION ALL SELECT p2.pid, e.ts FROM participant p1"
                   "  JOIN event e ON e.eid = p1.eid"
                   "  JOIN participant p2 ON p2.eid = p1.eid AND p2.pid <> ?1"
                   "  WHERE p1.pid = ?1)"
                   " SELECT count(DISTINCT other), min(ts), max(ts) FROM ties",
                   &st, err, errlen)) < 0)
        goto out;
    sqlite3_bind_int64(st, 1, pid);
    if ((step = sqlite3_step(st)) != SQLITE_ROW) {
        rc = step_err(db, step, err, errlen);
        goto out;
    }
    OOM_IF(json_object_set_new(res, "contacts",
                               json_integer(sqlite3_column_int64(st, 0))) < 0 ||
           json_object_set_new(res, "first_ts", ts_json(st, 1)) < 0 ||
           json_object_set_new(res, "last_ts", ts_json(st, 2)) < 0);
    sqlite3_finalize(st);
    st = NULL;

    if ((rc = prep(db,
                   "SELECT k.name, count(*) FROM ("
                   " SELECT kind FROM record WHERE src = ?1"
                   " UNION ALL SELECT kind FROM record WHERE dst = ?1"
                   " UNION ALL SELECT e.kind FROM participant p"
                   "  JOIN event e ON e.eid = p.eid WHERE p.pid = ?1) x"
                   " JOIN kind k ON k.kid = x.kind GROUP BY k.name",
                   &st, err, errlen)) < 0)
        goto out;
    sqlite3_bind_int64(st, 1, pid);
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        OOM_IF(
            json_object_set_new(kinds, (const char *)sqlite3_column_text(st, 0),
                                json_integer(sqlite3_column_int64(st, 1))) < 0);
    if ((rc = step_err(db, step, err, errlen)) < 0)
        goto out;
    OOM_IF(json_object_set(res, "kinds", kinds) < 0);
out:
    sqlite3_finalize(st);
    end_read(s, db);
    json_decref(attrs);
    json_decref(kinds);
    if (rc < 0) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return 0;
}

/* Is name one of the strings of names (NULL: every name)? */
static bool name_wanted(json_t *names, const char *name)
{
    size_t i;
    json_t *n;
    if (!names)
        return true;
    json_array_foreach(names, i, n)
    {
        if (strcmp(json_string_value(n), name) == 0)
            return true;
    }
    return false;
}

/* The attributes of person pid that names wants, into *attrs (a new
 * object). */
static int people_attrs(sqlite3 *db, sqlite3_stmt *st, int64_t pid,
                        json_t *names, json_t **attrs, char *err, size_t errlen)
{
    int step, rc = 0;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, pid);
    OOM_IF(!(*attrs = json_object()));
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!name_wanted(names, name))
            continue;
        OOM_IF(json_object_set_new(
                   *attrs, name,
                   json_string((const char *)sqlite3_column_text(st, 1))) < 0);
    }
    rc = step_err(db, step, err, errlen);
out:
    return rc;
}

int store_people(store_t *s, json_t *ids, json_t *names, json_t **out,
                 char *err, size_t errlen)
{
    sqlite3 *db = reader_get(s, err, errlen);
    if (!db)
        return -EIO;
    sqlite3_stmt *find = NULL, *attr = NULL;
    json_t *res = json_object(), *people = json_object(),
           *unknown = json_array(), *id;
    int rc = 0;
    size_t i;
    OOM_IF(!res || !people || !unknown ||
           json_object_set(res, "people", people) < 0 ||
           json_object_set(res, "unknown", unknown) < 0);
    /* One read transaction: every person as of the same commit. */
    if ((rc = exec(db, "BEGIN", err, errlen)) < 0 ||
        (rc = prep(db, "SELECT pid FROM person WHERE key = ?1", &find, err,
                   errlen)) < 0 ||
        (rc = prep(db, "SELECT name, value FROM attr WHERE pid = ?1", &attr,
                   err, errlen)) < 0)
        goto out;
    json_array_foreach(ids, i, id)
    {
        const char *key = json_string_value(id);
        sqlite3_reset(find);
        sqlite3_bind_text(find, 1, key, -1, SQLITE_STATIC);
        int step = sqlite3_step(find);
        if (step == SQLITE_DONE) {
            OOM_IF(json_array_append(unknown, id) < 0);
            continue;
        }
        if (step != SQLITE_ROW) {
            rc = step_err(db, step, err, errlen);
            goto out;
        }
        json_t *attrs = NULL;
        rc = people_attrs(db, attr, sqlite3_column_int64(find, 0), names,
                          &attrs, err, errlen);
        if (rc == 0 && json_object_set_new(people, key, attrs) < 0) {
            snprintf(err, errlen, "out of memory");
            rc = -ENOMEM;
        } else if (rc < 0) {
            json_decref(attrs);
        }
        if (rc < 0)
            goto out;
    }
out:
    sqlite3_finalize(find);
    sqlite3_finalize(attr);
    end_read(s, db);
    json_decref(people);
    json_decref(unknown);
    if (rc < 0) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return 0;
}

/* Adds count ties between groups a and b (either may be NULL: no value)
 * to the year entry. */
static int add_ties(json_t *year, const char *a, const char *b, int64_t n)
{
    json_t *ties = json_object_get(year, "ties");
    json_integer_set(ties, json_integer_value(ties) + n);
    if (!a || !b || strcmp(a, b) == 0)
        return 0;
    if (strcmp(a, b) > 0) {
        const char *t = a;
        a = b;
        b = t;
    }
    json_t *cross = json_object_get(year, "cross_ties");
    json_integer_set(cross, json_integer_value(cross) + n);
    json_t *pairs = json_object_get(year, "pairs");
    for (size_t i = 0; i < json_array_size(pairs); i++) {
        json_t *p = json_array_get(pairs, i);
        if (strcmp(json_string_value(json_object_get(p, "group_a")), a) == 0 &&
            strcmp(json_string_value(json_object_get(p, "group_b")), b) == 0) {
            json_t *t = json_object_get(p, "ties");
            return json_integer_set(t, json_integer_value(t) + n);
        }
    }
    return json_array_append_new(pairs, json_pack("{s:s, s:s, s:I}", "group_a",
                                                  a, "group_b", b, "ties",
                                                  (json_int_t)n));
}

static json_t *year_entry(json_t *years, int64_t y)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)y);
    json_t *e = json_object_get(years, key);
    if (e)
        return e;
    e = json_pack("{s:I, s:I, s:I, s:I, s:I, s:[]}", "year", (json_int_t)y,
                  "records", (json_int_t)0, "events", (json_int_t)0, "ties",
                  (json_int_t)0, "cross_ties", (json_int_t)0, "pairs");
    if (!e || json_object_set_new(years, key, e) < 0)
        return NULL;
    return e;
}

static int cmp_year(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t **)a, "year"));
    json_int_t y = json_integer_value(json_object_get(*(json_t **)b, "year"));
    return (x > y) - (x < y);
}

/* Most ties first, then by names: the busiest boundary leads. */
static int cmp_pair(const void *a, const void *b)
{
    json_t *x = *(json_t **)a, *y = *(json_t **)b;
    json_int_t tx = json_integer_value(json_object_get(x, "ties"));
    json_int_t ty = json_integer_value(json_object_get(y, "ties"));
    if (tx != ty)
        return tx < ty ? 1 : -1;
    int c = strcmp(json_string_value(json_object_get(x, "group_a")),
                   json_string_value(json_object_get(y, "group_a")));
    return c ? c
             : strcmp(json_string_value(json_object_get(x, "group_b")),
                      json_string_value(json_object_get(y, "group_b")));
}

/* Records, events and interactions by kind, in name order: one GROUP BY
 * pass over record, one over event (each event's pairs counted on
 * participant's primary key), so it costs far less than the pair join
 * above (1M records, 50k events of 2-10 people: 0.7 s of summary's 11 s).
 * Only kinds that occur; a kind held in both tables is one entry with
 * both counts. */
static int summary_kinds(sqlite3 *db, json_t **out, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT k.name, sum(x.nr), sum(x.ne), sum(x.nt) FROM ("
        " SELECT kind AS kid, count(*) AS nr, 0 AS ne, count(*) AS nt"
        " FROM record GROUP BY kind"
        " UNION ALL"
        " SELECT e.kind, 0, count(*), sum((SELECT count(*) * (count(*) - 1)"
        " / 2 FROM participant p WHERE p.eid = e.eid)) FROM event e"
        " GROUP BY e.kind"
        ") x JOIN kind k ON k.kid = x.kid GROUP BY k.kid ORDER BY k.name";
    sqlite3_stmt *st = NULL;
    json_t *kinds = json_array();
    int rc, step;
    if (!kinds) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if ((rc = prep(db, sql, &st, err, errlen)) < 0)
        goto out;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *k =
            json_pack("{s:s, s:I, s:I, s:I}", "kind",
                      (const char *)sqlite3_column_text(st, 0), "records",
                      (json_int_t)sqlite3_column_int64(st, 1), "events",
                      (json_int_t)sqlite3_column_int64(st, 2), "ties",
                      (json_int_t)sqlite3_column_int64(st, 3));
        if (json_array_append_new(kinds, k) < 0) {
            snprintf(err, errlen, "out of memory");
            rc = -ENOMEM;
            goto out;
        }
    }
    rc = step_err(db, step, err, errlen);
out:
    sqlite3_finalize(st);
    if (rc < 0) {
        json_decref(kinds);
        return rc;
    }
    *out = kinds;
    return 0;
}

int store_summary_kinds(store_t *s, json_t **out, char *err, size_t errlen)
{
    sqlite3 *db = reader_get(s, err, errlen);
    if (!db)
        return -EIO;
    json_t *kinds = NULL;
    int rc = summary_kinds(db, &kinds, err, errlen);
    end_read(s, db);
    if (rc < 0)
        return rc;
    if (!(*out = json_pack("{s:o}", "kinds", kinds))) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

int store_summary(store_t *s, const char *boundary, json_t **out, char *err,
                  size_t errlen)
{
    sqlite3 *db = reader_get(s, err, errlen);
    if (!db)
        return -EIO;
    sqlite3_stmt *st = NULL;
    json_t *groups = json_array(), *years = json_object(), *res = NULL;
    json_t **sorted = NULL;
    int rc = 0, step;
    int64_t people = 0, assigned = 0;
    OOM_IF(!groups || !years);
    if ((rc = exec(db, "BEGIN", err, errlen)) < 0)
        goto out;
    if (store_query_int(db, "SELECT count(*) FROM person", &people) < 0) {
        rc = step_err(db, SQLITE_ERROR, err, errlen);
        goto out;
    }
    if ((rc = prep(db,
                   "SELECT value, count(*) FROM attr WHERE name = ?1"
                   " GROUP BY value ORDER BY value",
                   &st, err, errlen)) < 0)
        goto out;
    sqlite3_bind_text(st, 1, boundary, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64(st, 1);
        assigned += n;
        OOM_IF(json_array_append_new(
                   groups, json_pack("{s:s, s:I}", "group",
                                     (const char *)sqlite3_column_text(st, 0),
                                     "people", (json_int_t)n)) < 0);
    }
    if ((rc = step_err(db, step, err, errlen)) < 0)
        goto out;
    sqlite3_finalize(st);
    st = NULL;

    /* Records, then event pairs, grouped by year and the two groups. */
    static const char *const tie_sql[] = {
        "SELECT CAST(strftime('%Y', r.ts, 'unixepoch') AS INTEGER) AS y,"
        " ga.value, gb.value, count(*) FROM record r"
        " LEFT JOIN attr ga ON ga.pid = r.src AND ga.name = ?1"
        " LEFT JOIN attr gb ON gb.pid = r.dst AND gb.name = ?1"
        " GROUP BY 1, 2, 3",
        "SELECT CAST(strftime('%Y', e.ts, 'unixepoch') AS INTEGER) AS y,"
        " ga.value, gb.value, count(*) FROM event e"
        " JOIN participant p1 ON p1.eid = e.eid"
        " JOIN participant p2 ON p2.eid = e.eid AND p2.pid > p1.pid"
        " LEFT JOIN attr ga ON ga.pid = p1.pid AND ga.name = ?1"
        " LEFT JOIN attr gb ON gb.pid = p2.pid AND gb.name = ?1"
        " GROUP BY 1, 2, 3",
        "SELECT CAST(strftime('%Y', ts, 'unixepoch') AS INTEGER), count(*)"
        " FROM record GROUP BY 1",
        "SELECT CAST(strftime('%Y', ts, 'unixepoch') AS INTEGER), count(*)"
        " FROM event GROUP BY 1",
    };
    for (int q = 0; q < 4; q++) {
        if ((rc = prep(db, tie_sql[q], &st, err, errlen)) < 0)
            goto out;
        if (q < 2)
            sqlite3_bind_text(st, 1, boundary, -1, SQLITE_STATIC);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            json_t *y = year_entry(years, sqlite3_column_int64(st, 0));
            OOM_IF(!y);
            if (q < 2) {
                OOM_IF(add_ties(y, (const char *)sqlite3_column_text(st, 1),
                                (const char *)sqlite3_column_text(st, 2),
                                sqlite3_column_int64(st, 3)) < 0);
            } else {
                const char *k = q == 2 ? "records" : "events";
                OOM_IF(json_object_set_new(
                           y, k, json_integer(sqlite3_column_int64(st, 1))) <
                       0);
            }
        }
        if ((rc = step_err(db, step, err, errlen)) < 0)
            goto out;
        sqlite3_finalize(st);
        st = NULL;
    }
    size_t ny = json_object_size(years), i = 0;
    sorted = ny ? calloc(ny, sizeof *sorted) : NULL;
    OOM_IF(ny && !sorted);
    const char *key;
    json_t *val;
    json_object_foreach(years, key, val) sorted[i++] = val;
    /* qsort's base must not be NULL even for 0 elements (glibc declares
     * it nonnull; UBSan aborts): nothing to sort below two. */
    if (ny > 1)
        qsort(sorted, ny, sizeof *sorted, cmp_year);
    json_t *ylist = json_array();
    OOM_IF(!ylist);
    for (i = 0; i < ny; i++) {
        json_t *pairs = json_object_get(sorted[i], "pairs");
        size_t np = json_array_size(pairs);
        json_t **ps = np ? calloc(np, sizeof *ps) : NULL;
        OOM_IF(np && !ps);
        for (size_t k = 0; k < np; k++)
            ps[k] = json_incref(json_array_get(pairs, k));
        if (np > 1)
            qsort(ps, np, sizeof *ps, cmp_pair);
        json_array_clear(pairs);
        for (size_t k = 0; k < np; k++)
            json_array_append_new(pairs, ps[k]);
        free(ps);
        json_array_append(ylist, sorted[i]);
    }
    json_t *kinds = NULL;
    if ((rc = summary_kinds(db, &kinds, err, errlen)) < 0) {
        json_decref(ylist);
        goto out;
    }
    res = json_pack("{s:s, s:O, s:I, s:o, s:o}", "boundary", boundary, "groups",
                    groups, "unassigned", (json_int_t)(people - assigned),
                    "years", ylist, "kinds", kinds);
    OOM_IF(!res);
out:
    sqlite3_finalize(st);
    end_read(s, db);
    free(sorted);
    json_decref(groups);
    json_decref(years);
    if (rc < 0) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return 0;
}

/* ---- audit and subject access (reads) ---------------------------------- */

#define AUDIT_COLUMNS                                                          \
    "SELECT ts, uid, user, pid, method, target, outcome, code, rows"           \
    " FROM audit"

/* Append the audit lines st yields to arr. 0, -ENOMEM or -EIO. */
static int audit_rows(sqlite3 *db, sqlite3_stmt *st, json_t *arr, char *err,
                      size_t errlen)
{
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *line = json_pack(
            "{s:o, s:I, s:s, s:I, s:s, s:o, s:s, s:o, s:o}", "time",
            ts_json(st, 0), "uid", (json_int_t)sqlite3_column_int64(st, 1),
            "user", (const char *)sqlite3_column_text(st, 2), "pid",
            (json_int_t)sqlite3_column_int64(st, 3), "method",
            (const char *)sqlite3_column_text(st, 4), "target",
            sqlite3_column_type(st, 5) == SQLITE_NULL
                ? json_null()
                : json_string((const char *)sqlite3_column_text(st, 5)),
            "outcome", (const char *)sqlite3_column_text(st, 6), "code",
            sqlite3_column_type(st, 7) == SQLITE_NULL
                ? json_null()
                : json_integer(sqlite3_column_int64(st, 7)),
            "rows",
            sqlite3_column_type(st, 8) == SQLITE_NULL
                ? json_null()
                : json_integer(sqlite3_column_int64(st, 8)));
        if (!line || json_array_append_new(arr, line) < 0) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
    }
    return step_err(db, step, err, errlen);
}

int store_audit_read(store_t *s, int64_t since, const char *user,
                     const char *person, int64_t limit, json_t **out, char *err,
                     size_t errlen)
{
    sqlite3 *db = reader_get(s, err, errlen);
    if (!db)
        return -EIO;
    sqlite3_stmt *st = NULL;
    json_t *arr = json_array();
    int rc = 0;
    OOM_IF(!arr);
    /* The newest limit lines that match, then in time order. */
    if ((rc = prep(db,
                   "SELECT * FROM (SELECT ts, uid, user, pid, method,"
                   " target, outcome, code, rows, aid FROM audit"
                   " WHERE ts >= ?1 AND (?2 IS NULL OR user = ?2"
                   "  OR CAST(uid AS TEXT) = ?2)"
                   " AND (?3 IS NULL OR target = ?3)"
                   " ORDER BY aid DESC LIMIT ?4) ORDER BY aid",
                   &st, err, errlen)) < 0)
        goto out;
    sqlite3_bind_int64(st, 1, since);
    if (user)
        sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
    if (person)
        sqlite3_bind_text(st, 3, person, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, limit);
    rc = audit_rows(db, st, arr, err, errlen);
out:
    sqlite3_finalize(st);
    end_read(s, db);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

/* Append to arr one object per row of st: names[i] for column i, texts
 * and numbers as they are, column ts_col as a time, column bool_col as
 * true/false (-1: none). */
static int rows_json(sqlite3 *db, sqlite3_stmt *st, const char *const *names,
                     int ncol, int ts_col, int bool_col, json_t *arr, char *err,
                     size_t errlen)
{
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        if (!o || json_array_append_new(arr, o) < 0) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
        for (int i = 0; i < ncol; i++) {
            json_t *v;
            int t = sqlite3_column_type(st, i);
            if (i == ts_col)
                v = ts_json(st, i);
            else if (i == bool_col)
                v = json_boolean(sqlite3_column_int(st, i));
            else if (t == SQLITE_NULL)
                v = json_null();
            else if (t == SQLITE_INTEGER)
                v = json_integer(sqlite3_column_int64(st, i));
            else if (t == SQLITE_FLOAT)
                v = json_real(sqlite3_column_double(st, i));
            else
                v = json_string((const char *)sqlite3_column_text(st, i));
            if (json_object_set_new(o, names[i], v) < 0) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
            }
        }
    }
    return step_err(db, step, err, errlen);
}

int store_person_all(store_t *s, const char *id, json_t **out, char *err,
                     size_t errlen)
{
    sqlite3 *db = reader_get(s, err, errlen);
    if (!db)
        return -EIO;
    sqlite3_stmt *st = NULL;
    json_t *res = NULL, *attrs = json_object(), *records = json_array(),
           *events = json_array(), *audit = json_array();
    int rc = 0;
    int64_t pid;
    OOM_IF(!attrs || !records || !events || !audit);
    if ((rc = exec(db, "BEGIN", err, errlen)) < 0)
        goto out;
    if ((rc = person_head(db, id, &pid, attrs, err, errlen)) < 0)
        goto out;

    static const char *const rec_names[] = {"id",   "time",   "from",    "to",
                                            "kind", "weight", "directed"};
    if ((rc = prep(db,
                   "SELECT r.ext_id, r.ts, a.key, b.key, k.name, r.weight,"
                   " r.directed FROM record r JOIN person a ON a.pid = r.src"
                   " JOIN person b ON b.pid = r.dst JOIN kind k"
                   " ON k.kid = r.kind WHERE r.src = ?1 OR r.dst = ?1"
                   " ORDER BY r.ts, r.rid",
                   &st, err, errlen)) < 0)
        goto out;
    sqlite3_bind_int64(st, 1, pid);
    if ((rc = rows_json(db, st, rec_names, 7, 1, 6, records, err, errlen)) < 0)
        goto out;
    sqlite3_finalize(st);
    st = NULL;

    static const char *const ev_names[] = {"id", "time", "kind", "weight",
                                           "participants"};
    if ((rc = prep(db,
                   "SELECT e.ext_id, e.ts, k.name, e.weight,"
                   " (SELECT json_group_array(q.key) FROM participant p2"
                   "  JOIN person q ON q.pid = p2.pid WHERE p2.eid = e.eid)"
                   " FROM participant p JOIN event e ON e.eid = p.eid"
                   " JOIN kind k ON k.kid = e.kind WHERE p.pid = ?1"
                   " ORDER BY e.ts, e.eid",
                   &st, err, errlen)) < 0)
        goto out;
    sqlite3_bind_int64(st, 1, pid);
    if ((rc = rows_json(db, st, ev_names, 5, 1, -1, events, err, errlen)) < 0)
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    /* participants came as JSON text: make them arrays. */
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        json_t *p = json_object_get(ev, "participants");
        json_t *arr = json_is_string(p)
                          ? json_loads(json_string_value(p), 0, NULL)
                          : json_array();
        OOM_IF(!arr || json_object_set_new(ev, "participants", arr) < 0);
    }

    if ((rc = prep(db, AUDIT_COLUMNS " WHERE target = ?1 ORDER BY aid", &st,
                   err, errlen)) < 0)
        goto out;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if ((rc = audit_rows(db, st, audit, err, errlen)) < 0)
        goto out;
    res = json_pack("{s:s, s:O, s:O, s:O, s:O}", "id", id, "attributes", attrs,
                    "records", records, "events", events, "audit", audit);
    OOM_IF(!res);
out:
    sqlite3_finalize(st);
    end_read(s, db);
    json_decref(attrs);
    json_decref(records);
    json_decref(events);
    json_decref(audit);
    if (rc < 0) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return 0;
}
