/* ingest.h - validating an `ingest` request into typed items.
 *
 * ingest_parse() checks every item of a batch before anything is stored,
 * so that "reject" can store nothing from a bad batch and "skip" can store
 * exactly the valid items. Each problem is reported with the JSON path of
 * the offending value (records[3].ts) and a reason a person can act on.
 *
 * Once checked, the batch copies every string it keeps into one arena and
 * lets go of the JSON document, so a queued batch costs a few bytes per
 * item instead of a tree of JSON objects, and the document can be freed
 * on the thread that checked it. */
#ifndef SPAND_INGEST_H
#define SPAND_INGEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jscan.h"

typedef struct ingest_str {
    const char *s; /* not necessarily NUL-terminated at len */
    size_t len;
} ingest_str_t;

typedef struct ingest_attr {
    ingest_str_t name;
    ingest_str_t value; /* value.s == NULL: remove the attribute */
} ingest_attr_t;

typedef struct ingest_person {
    ingest_str_t id;
    ingest_attr_t *attrs;
    size_t nattrs;
} ingest_person_t;

typedef struct ingest_record {
    ingest_str_t id; /* id.s == NULL: no id, never a duplicate */
    int64_t ts;
    ingest_str_t from, to, kind;
    double weight;
    bool directed;
} ingest_record_t;

typedef struct ingest_event {
    ingest_str_t id;
    int64_t ts;
    ingest_str_t kind;
    double weight;
    ingest_str_t *participants; /* distinct, in first-seen order */
    size_t nparticipants;
} ingest_event_t;

typedef struct ingest_limits {
    size_t max_id_bytes;
    size_t max_value_bytes;
    size_t max_rejects; /* problems listed; all are counted */
    /* The fields below were added later: 0 stands for the default of
     * [limits] (CONFIG_DEFAULT_*), so that a caller initialising only the
     * first three still refuses what those limits refuse. */
    size_t max_event_participants; /* entries of one participants list */
    double max_weight;             /* largest weight of an item */
} ingest_limits_t;

struct config;
/* The limits [limits] of cfg sets for an ingest: what a handler passes to
 * ingest_parse() and ingest_scan(). */
ingest_limits_t ingest_limits(const struct config *cfg);

typedef struct ingest_batch {
    bool live;   /* set by a successful ingest_parse(), until freed */
    char *arena; /* every string of the items below */
    ingest_person_t *people;
    size_t npeople;
    ingest_record_t *records;
    size_t nrecords;
    ingest_event_t *events;
    size_t nevents;
    bool skip_invalid;     /* on_error: "skip" */
    json_t *rejected;      /* array of {path, reason}, at most max_rejects */
    size_t rejected_count; /* every invalid item, listed or not */
} ingest_batch_t;

#define INGEST_ATTR_NAME_MAX 64

/* Validate params into *out. Returns 0 when the request is well formed
 * (out->rejected_count may still be > 0: the caller decides by
 * skip_invalid); -1 when params itself is malformed (not an object, a
 * list that is not an array, an unknown field, a bad on_error), with the
 * reason in err; -ENOMEM on allocation failure. *out needs
 * ingest_batch_free() after a 0 return only. */
int ingest_parse(json_t *params, const ingest_limits_t *lim,
                 ingest_batch_t *out, char *err, size_t errlen);
void ingest_batch_free(ingest_batch_t *b);

/* ingest_scan() could not decide: check the text with ingest_parse(). */
#define INGEST_SCAN_FALLBACK 1

/* The streaming twin of ingest_parse(), for the hot path: j->p is at the
 * params object of an ingest request inside JSON text; read it straight
 * into *out without building a jansson tree, and leave j->p after it.
 *
 * It only decides the common case: returns 0 when params is well formed
 * and every item is valid, and then *out is exactly what json_loadb()
 * (JSON_REJECT_DUPLICATES) followed by ingest_parse() would have produced
 * (same items, same order, same strings and numbers; nothing rejected).
 * Anything else - a syntax error, a duplicate key, an invalid item, a
 * malformed params - returns INGEST_SCAN_FALLBACK, and the caller must
 * then take the DOM path, which produces the usual errors and rejection
 * lists; so the two paths cannot disagree on what is reported. Returns
 * -ENOMEM on allocation failure. *out needs ingest_batch_free() after a 0
 * return only. */
int ingest_scan(jscan_t *j, const ingest_limits_t *lim, ingest_batch_t *out);
/* Items the batch will store. */
size_t ingest_batch_items(const ingest_batch_t *b);

/* Check an external id (person, record, event): 1..max bytes, no control
 * characters. Returns NULL when valid, else a static reason. */
const char *ingest_check_id(const char *s, size_t len, size_t max);

#endif
