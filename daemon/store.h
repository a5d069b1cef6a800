/* store.h - durable storage of people, records and events (sqlite3, WAL).
 *
 * Writes go through one writer thread that owns the write connection and
 * the in-memory index of person and kind keys. Operations queued with
 * store_submit() are group-committed: the writer takes every operation
 * waiting (up to commit_items items), runs each inside its own SAVEPOINT
 * (so one failing operation does not lose the others), and COMMITs once
 * with the configured synchronous level. Only then is each operation's
 * callback run, on the libuv loop thread, so an acknowledged write
 * survives kill -9 (and with synchronous=FULL, power loss).
 *
 * Reads (store_boundaries() and friends) are synchronous, thread-safe and
 * meant to be called off the loop (uv_queue_work): each borrows a read-only
 * connection from a small pool and sees the last committed state. */
#ifndef SPAND_STORE_H
#define SPAND_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "ingest.h"

#define STORE_SCHEMA_VERSION 2

typedef struct store store_t;

typedef struct store_counts {
    int64_t people, records, events;
    int64_t data_version;    /* bumped by every commit that changed data */
    uint64_t items_ingested; /* items stored since the store was opened */
    /* A forget committed, but older copies of the data may remain in the
     * WAL or the database file until readers let a checkpoint finish (the
     * writer retries, see store_forget_result_t.wal_pending). */
    bool erasure_pending;
    /* The database, WAL or shm file was deleted or replaced under the
     * daemon: every write (and read) is refused until a restart. */
    bool files_gone;
} store_counts_t;

typedef struct store_ingest_result {
    int64_t people_added, people_updated, people_duplicate, people_implicit;
    int64_t records_added, records_duplicate;
    int64_t events_added, events_duplicate;
} store_ingest_result_t;

typedef struct store_forget_result {
    int64_t records_removed, participations_removed;
    int64_t events_removed; /* a forget by date only */
    /* false: when the forget was acknowledged the person's old data was
     * already gone from the database file and the WAL (a TRUNCATE
     * checkpoint succeeded). true: a reader's snapshot still needed it;
     * the rows are deleted, and the writer finishes the erasure (retrying
     * a non-blocking TRUNCATE checkpoint every STORE_ERASE_RETRY_MS and
     * after each commit) as soon as no reader holds the WAL. */
    bool wal_pending;
} store_forget_result_t;

#define STORE_ERASE_RETRY_MS 100

/* STORE_OP_SYNC writes nothing: its callback runs once every audit line
 * queued before it is committed (the audit method reads after one). */
typedef enum store_op_kind {
    STORE_OP_INGEST,
    STORE_OP_FORGET,
    STORE_OP_SYNC
} store_op_kind_t;

typedef struct store_op store_op_t;
/* Runs on the loop thread once op is committed (rc == 0) or failed (rc < 0:
 * -ENOENT for forget of an unknown person, -EIO storage error with op->err
 * set (also when the database files were deleted or replaced while open:
 * then nothing is written, see store_counts_t.files_gone), -ECANCELED when
 * the store closed first). The callback owns op and
 * frees it with store_op_free(). */
typedef void (*store_op_cb)(store_op_t *op, int rc);

struct store_op {
    store_op_kind_t kind;
    store_op_cb cb;
    void *ctx; /* the submitter's */
    /* input: */
    ingest_batch_t batch; /* STORE_OP_INGEST, owned by the op */
    char *forget_id;      /* STORE_OP_FORGET, owned by the op */
    /* STORE_OP_FORGET with forget_id NULL: erase every record and event
     * (with its participations) of a time before this (Unix seconds);
     * people stay. Retention and `forget {before}`. */
    int64_t forget_before;
    /* output: */
    int rc;
    char err[256];
    int64_t data_version;
    store_ingest_result_t ingest;
    store_forget_result_t forget;
    store_op_t *next; /* queue link, the store's */
};

/* Open (creating and migrating as needed) cfg->database and start the
 * writer. Completion callbacks are delivered on loop. Returns 0, or -1
 * with a message in err. */
int store_open(const config_t *cfg, uv_loop_t *loop, store_t **out, char *err,
               size_t errlen);
/* Finish every queued operation (their callbacks run from this call's
 * final loop turn if the loop still runs, or are cancelled), stop the
 * writer, checkpoint and close. Safe to call with NULL. */
void store_close(store_t *s);

store_op_t *store_op_new(store_op_kind_t kind, store_op_cb cb, void *ctx);
void store_op_free(store_op_t *op);
/* Queue op for the writer; takes ownership of op on success. Returns 0,
 * -EBUSY when ingest_queue operations are already waiting, or -ESHUTDOWN
 * when the store is closing. */
int store_submit(store_t *s, store_op_t *op);
/* Operations queued or being written. */
unsigned store_pending(store_t *s);

void store_counts(store_t *s, store_counts_t *out);
/* Size of the database file plus its WAL, in bytes. */
int64_t store_db_bytes(store_t *s);
/* Change limits read from the config on reload (synchronous level, queue
 * size, commit size, id/value limits are the caller's). */
void store_reconfigure(store_t *s, const config_t *cfg);

/* A read-only connection inside a read transaction (a consistent
 * snapshot), with the snapshot's data version; NULL with a message in err.
 * Give it back with store_read_end(). Any thread. */
struct sqlite3;
struct sqlite3 *store_read_begin(store_t *s, int64_t *data_version, char *err,
                                 size_t errlen);
void store_read_end(store_t *s, struct sqlite3 *db);
/* In a read snapshot: the data version of the last commit that did more
 * than append (forget, an existing person's attribute set, changed or
 * removed), 0 if none since the database was made. A view of data version
 * V can be brought up to the snapshot from new rows alone (rowids above
 * V's highest) iff this is <= V. 0, or -EIO. */
int store_read_rewrite_version(struct sqlite3 *db, int64_t *out);
/* The first column of the first row of sql (a query without parameters)
 * as an integer, on any connection; 0, or -1 (sqlite3_errmsg says why). */
int store_query_int(struct sqlite3 *db, const char *sql, int64_t *out);

/* Reads: 0 with *out set (caller owns), -ENOENT (person unknown), or -EIO
 * with a message in err. */
int store_boundaries(store_t *s, json_t **out, char *err, size_t errlen);
int store_person(store_t *s, const char *id, json_t **out, char *err,
                 size_t errlen);
int store_summary(store_t *s, const char *boundary, json_t **out, char *err,
                  size_t errlen);
/* {kinds: [...]} as store_summary's member (doc/protocol.md, summary)
 * and nothing else: two GROUP BY passes, without the pair join that makes
 * a whole summary slow on a large store (spanctl's --kind presets and the
 * report ask this). */
int store_summary_kinds(store_t *s, json_t **out, char *err, size_t errlen);
/* The attributes of many people at once, from the person and attr tables
 * only (both indexed; no scan of records, so it stays quick on a large
 * store). ids: an array of strings; names: an array of attribute names
 * to return, or NULL for all. *out (caller owns) is {people: {id:
 * {name: value}}, unknown: [ids not held]}. 0, or -EIO / -ENOMEM with a
 * message in err. */
int store_people(store_t *s, json_t *ids, json_t *names, json_t **out,
                 char *err, size_t errlen);

/* ---- audit (access.h) --------------------------------------------------
 * One line per audited request, written by the writer in the transaction
 * of the next group (or on its own when nothing else is waiting), before
 * that group's operations. The target is written only if it is the id of
 * a person held at that moment, and a forget blanks the target of every
 * line naming the person it erases: so the trail records that requests
 * happened, never an id that is gone. Lines are never deleted. */
typedef struct store_audit {
    int64_t ts;          /* Unix seconds */
    int64_t uid, pid;    /* the client's (SO_PEERCRED) */
    const char *user;    /* the uid's name */
    const char *method;  /* or "connect", "retention" */
    const char *target;  /* a person id, or NULL */
    const char *outcome; /* "ok", "refused", "error" */
    int code;            /* the error code; 0: none */
    int64_t rows;        /* rows or items returned or written; -1: none */
} store_audit_t;

/* Queue a line (copied). 0, -ENOMEM, or -ESHUTDOWN (the store closes:
 * the line is dropped). Loop thread. */
int store_audit(store_t *s, const store_audit_t *a);
/* Audit lines, oldest first: since (Unix s; INT64_MIN: all), of user
 * (name, or uid in digits; NULL: any), about person (NULL: any), at most
 * limit of the newest. *out is an array of objects {time, uid, user, pid,
 * method, target, outcome, code, rows}. 0 or -EIO. Any thread. */
int store_audit_read(store_t *s, int64_t since, const char *user,
                     const char *person, int64_t limit, json_t **out, char *err,
                     size_t errlen);
/* Everything held about person id, for a subject access request: {id,
 * attributes, records: [{id, time, from, to, kind, weight, directed}],
 * events: [{id, time, kind, weight, participants}], audit: [lines]}.
 * 0, -ENOENT or -EIO. Any thread. */
int store_person_all(store_t *s, const char *id, json_t **out, char *err,
                     size_t errlen);

#endif
