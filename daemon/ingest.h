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
} ingest_limits_t;

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
/* Items the batch will store. */
size_t ingest_batch_items(const ingest_batch_t *b);

/* Check an external id (person, record, event): 1..max bytes, no control
 * characters. Returns NULL when valid, else a static reason. */
const char *ingest_check_id(const char *s, size_t len, size_t max);

#endif
