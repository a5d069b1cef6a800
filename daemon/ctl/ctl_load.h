/* ctl_load.h - `spanctl load`: reading people, records and events from
 * files and sending them to spand in pipelined `ingest` batches.
 *
 * Each file's type is told from its content: JSON Lines when its first
 * non-blank byte is '{', otherwise CSV with a header row whose columns say
 * what it holds (people.csv, records.csv, events.csv in the short form with
 * a `participants` column or the long form `event_id,ts,kind,person`); see
 * ../shared/DESIGN.md "Input files". Items are sent as they are read, and
 * every item keeps its file and line so that a rejection from the server
 * (records[17].ts) is reported as records.csv:123: ts: reason.
 *
 * Progress goes to stderr: a bar redrawn in place when stderr is a
 * terminal, otherwise a plain line every few seconds and at the end of each
 * file. Problems with a single file (it cannot be opened, its header is not
 * understood) are reported on stderr and the load goes on with the next
 * file. */
#ifndef SPAND_CTL_LOAD_H
#define SPAND_CTL_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_conn.h"

#define CTL_LOAD_BATCH_DEFAULT 2000 /* items per ingest request */
#define CTL_LOAD_BATCH_MAX 1000000
/* Ingest requests in flight at once, and the most request bytes in
 * flight (a single larger request still goes, alone). The server commits
 * every batch waiting for its writer in one transaction, so a deeper
 * pipeline means fewer, larger commits and fewer fsyncs on a bulk load
 * (1M records: 165 fsyncs with 8 in flight, 75 with 24, and 10-25% less
 * time). The byte bound stays under the server's default
 * max_inflight_bytes (8 MiB), past which it would stop reading from us. */
#define CTL_LOAD_PIPELINE 24
#define CTL_LOAD_INFLIGHT_BYTES (6u << 20)

enum { CTL_DATE_NONE = 0, CTL_DATE_DMY, CTL_DATE_MDY };

typedef struct ctl_load_opts {
    size_t batch; /* items per request, 1..CTL_LOAD_BATCH_MAX */
    bool strict;  /* on_error "reject": an invalid item rejects its whole
                     batch, and loading stops after the first such batch;
                     an unknown column of a records or events file skips
                     the file (else a warning, and the column is ignored) */
    bool json;    /* print the summary as one JSON object, not as text */
    /* How a CSV ts written as a slash date (03/02/2025) is read: never
     * guessed, so CTL_DATE_NONE rejects such a row. */
    int date_format;  /* CTL_DATE_NONE, CTL_DATE_DMY, CTL_DATE_MDY */
    const char *tz;   /* the zone of a CSV date-time written without
                         one: a tz database name, NULL for UTC */
    bool no_implicit; /* refuse a CSV row naming a person described
                         neither in this load's people files nor,
                         with an attribute, in spand */
    FILE *out;        /* where the summary goes (stdout) */
} ctl_load_opts_t;

/* What a load achieved, for the caller's exit status. */
typedef struct ctl_load_result {
    uint64_t stored;   /* items added, updated or found duplicate */
    uint64_t rejected; /* invalid items (by the server or while reading) */
    uint64_t unsent;   /* valid items not stored: their batch was rejected */
    unsigned failed_files; /* files skipped or cut short by an error */
} ctl_load_result_t;

/* 0 when tz is NULL, "UTC" or a zone of the system's tz database
 * ($TZDIR, else /usr/share/zoneinfo); else -EINVAL with a message for the
 * user in err. */
int ctl_load_tz_check(const char *tz, char *err, size_t errlen);

/* Load paths[0..npaths) ("-" is standard input) over conn, which must have
 * no request pending, then print the summary to opts->out. Returns 0 when
 * every file was read to the end (*res then says whether anything was
 * rejected or skipped), or a negative value when loading had to stop (the
 * connection failed or the server answered with an error other than
 * rejecting items), with the reason in err; the summary of what was stored
 * until then is printed in both cases. */
int ctl_load_files(ctl_conn_t *conn, char *const *paths, size_t npaths,
                   const ctl_load_opts_t *opts, ctl_load_result_t *res,
                   char *err, size_t errlen);

#endif
