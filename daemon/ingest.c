/* ingest.c - see ingest.h. */
#include "ingest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ts.h"

ingest_limits_t ingest_limits(const struct config *cfg)
{
    return (ingest_limits_t){
        .max_id_bytes = cfg->max_id_bytes,
        .max_value_bytes = cfg->max_value_bytes,
        .max_rejects = cfg->max_rejects,
        .max_event_participants = cfg->max_event_participants,
        .max_weight = cfg->max_weight,
    };
}

/* The limits added after the first three: 0 is the default (ingest.h). */
static size_t max_participants(const ingest_limits_t *lim)
{
    return lim->max_event_participants ? lim->max_event_participants
                                       : CONFIG_DEFAULT_MAX_EVENT_PARTICIPANTS;
}

static double max_weight(const ingest_limits_t *lim)
{
    return lim->max_weight > 0 ? lim->max_weight : CONFIG_DEFAULT_MAX_WEIGHT;
}

/* Validation state for one batch. */
struct vctx {
    const ingest_limits_t *lim;
    ingest_batch_t *b;
    int oom;
};

/* Report a problem at path.field (field may be NULL). Paths are built
 * only here, on the error path: valid items cost no formatting. */
static int reject_at(struct vctx *v, const char *path, const char *field,
                     const char *reason);

static int reject(struct vctx *v, const char *path, const char *reason)
{
    v->b->rejected_count++;
    if (json_array_size(v->b->rejected) >= v->lim->max_rejects)
        return 0;
    json_t *o = json_pack("{s:s, s:s}", "path", path, "reason", reason);
    if (!o || json_array_append_new(v->b->rejected, o) < 0)
        v->oom = 1;
    return 0;
}

static int reject_at(struct vctx *v, const char *path, const char *field,
                     const char *reason)
{
    char p[256];
    if (!field)
        return reject(v, path, reason);
    snprintf(p, sizeof p, "%s.%s", path, field);
    return reject(v, p, reason);
}

const char *ingest_check_id(const char *s, size_t len, size_t max)
{
    if (len == 0)
        return "must not be empty";
    if (len > max)
        return "is longer than max_id_bytes";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return "contains a control character";
    }
    return NULL;
}

/* A required or optional id-like string field. Returns 1 valid, 0 absent
 * (only when optional), -1 invalid (already reported). */
static int get_id(struct vctx *v, json_t *obj, const char *key,
                  const char *path, int optional, ingest_str_t *out)
{
    json_t *j = json_object_get(obj, key);
    out->s = NULL;
    out->len = 0;
    if (!j || (optional && json_is_null(j))) {
        if (optional)
            return 0;
        reject_at(v, path, key, "is required");
        return -1;
    }
    if (!json_is_string(j)) {
        reject_at(v, path, key, "must be a string");
        return -1;
    }
    const char *why = ingest_check_id(
        json_string_value(j), json_string_length(j), v->lim->max_id_bytes);
    if (why) {
        reject_at(v, path, key, why);
        return -1;
    }
    out->s = json_string_value(j);
    out->len = json_string_length(j);
    return 1;
}

static int get_kind(struct vctx *v, json_t *obj, const char *path,
                    ingest_str_t *out)
{
    const char *p = "kind";
    json_t *j = json_object_get(obj, "kind");
    if (!j) {
        reject_at(v, path, p, "is required");
        return -1;
    }
    if (!json_is_string(j)) {
        reject_at(v, path, p, "must be a string");
        return -1;
    }
    const char *why = ingest_check_id(
        json_string_value(j), json_string_length(j), v->lim->max_value_bytes);
    if (why) {
        reject_at(v, path, p,
                  why[0] == 'i' ? "is longer than max_value_bytes" : why);
        return -1;
    }
    out->s = json_string_value(j);
    out->len = json_string_length(j);
    return 1;
}

static int get_ts(struct vctx *v, json_t *obj, const char *path, int64_t *out)
{
    const char *p = "ts";
    json_t *j = json_object_get(obj, "ts");
    if (!j) {
        reject_at(v, path, p, "is required");
        return -1;
    }
    if (json_is_integer(j)) {
        json_int_t t = json_integer_value(j);
        if (t < TS_MIN || t > TS_MAX) {
            reject_at(v, path, p, "Unix time outside years 0001-9999");
            return -1;
        }
        *out = t;
        return 1;
    }
    if (json_is_string(j)) {
        const char *why;
        if (ts_parse_iso(json_string_value(j), json_string_length(j), out,
                         &why) == 0)
            return 1;
        reject_at(v, path, p, why);
        return -1;
    }
    reject_at(v, path, p,
              "must be an ISO 8601 string or an integer of Unix seconds");
    return -1;
}

static int get_weight(struct vctx *v, json_t *obj, const char *path,
                      double *out)
{
    json_t *j = json_object_get(obj, "weight");
    *out = 1.0;
    if (!j || json_is_null(j))
        return 1;
    if (!json_is_number(j)) {
        reject_at(v, path, "weight", "must be a number");
        return -1;
    }
    double w = json_number_value(j);
    if (!isfinite(w) || w < 0) {
        reject_at(v, path, "weight", "must be a finite non-negative number");
        return -1;
    }
    if (w > max_weight(v->lim)) {
        /* A tie's weight is the sum of its items': bounded items keep
         * every sum finite (conf/spand.conf gives the arithmetic). */
        char why[128];
        snprintf(why, sizeof why, "is above max_weight (%g)",
                 max_weight(v->lim));
        reject_at(v, path, "weight", why);
        return -1;
    }
    *out = w;
    return 1;
}

/* Reports the first field of obj not in allowed (NULL-terminated). */
static int check_fields(struct vctx *v, json_t *obj, const char *path,
                        const char *const *allowed, const char *listed)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(key, *a) == 0)
                ok = 1;
        if (!ok) {
            char p[256], r[160];
            snprintf(p, sizeof p, "%s.%.64s", path, key);
            snprintf(r, sizeof r, "unknown field (allowed: %s)", listed);
            reject(v, p, r);
            return -1;
        }
    }
    return 0;
}

/* "list[idx]" into buf (64 bytes), without printf: this runs per item. */
static void item_path(char *buf, const char *list, size_t idx)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + idx % 10);
        idx /= 10;
    } while (idx);
    size_t len = strlen(list);
    memcpy(buf, list, len);
    buf[len++] = '[';
    while (n)
        buf[len++] = digits[--n];
    buf[len++] = ']';
    buf[len] = '\0';
}

static int attr_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > INGEST_ATTR_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alpha =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        int digit = (c >= '0' && c <= '9') || c == '-' || c == '.';
        if (!alpha && !(i > 0 && digit))
            return 0;
    }
    return 1;
}

static int parse_person(struct vctx *v, json_t *o, size_t idx)
{
    char path[64];
    item_path(path, "people", idx);
    if (!json_is_object(o)) {
        reject(v, path, "must be an object");
        return 0;
    }
    ingest_person_t *p = &v->b->people[v->b->npeople];
    size_t before = v->b->rejected_count;
    int bad = get_id(v, o, "id", path, 0, &p->id) < 0;
    size_t n = json_object_size(o);
    /* n slots, not n - 1: the id may be missing. */
    p->attrs = n ? calloc(n, sizeof *p->attrs) : NULL;
    if (n && !p->attrs) {
        v->oom = 1;
        return 0;
    }
    p->nattrs = 0;
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
    {
        if (strcmp(key, "id") == 0)
            continue;
        size_t klen = strlen(key);
        char ap[160];
        if (!attr_name_ok(key, klen)) {
            snprintf(ap, sizeof ap, "%s.%.64s", path, key);
            reject(v, ap,
                   "attribute names are 1-64 characters of letters, digits, "
                   "'_', '-' and '.', starting with a letter or '_'");
            bad = 1;
            continue;
        }
        ingest_attr_t *a = &p->attrs[p->nattrs];
        a->name.s = key;
        a->name.len = klen;
        if (json_is_null(val)) {
            a->value.s = NULL;
            a->value.len = 0;
        } else if (json_is_string(val)) {
            const char *s = json_string_value(val);
            size_t len = json_string_length(val);
            const char *why = NULL;
            if (len > v->lim->max_value_bytes)
                why = "is longer than max_value_bytes";
            for (size_t i = 0; !why && i < len; i++)
                if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
                    why = "contains a control character";
            if (why) {
                snprintf(ap, sizeof ap, "%s.%.64s", path, key);
                reject(v, ap, why);
                bad = 1;
                continue;
            }
            a->value.s = s;
            a->value.len = len;
        } else {
            snprintf(ap, sizeof ap, "%s.%.64s", path, key);
            reject(v, ap,
                   "an attribute value must be a string, or null to "
                   "remove it");
            bad = 1;
            continue;
        }
        p->nattrs++;
    }
    if (bad) {
        free(p->attrs);
        p->attrs = NULL;
        v->b->rejected_count = before + 1;
        return 0;
    }
    v->b->npeople++;
    return 0;
}

static const char *const record_fields[] = {"id",   "ts",     "from",     "to",
                                            "kind", "weight", "directed", NULL};
static const char *const event_fields[] = {"id",           "ts",     "kind",
                                           "participants", "weight", NULL};

static int parse_record(struct vctx *v, json_t *o, size_t idx)
{
    char path[64];
    item_path(path, "records", idx);
    if (!json_is_object(o)) {
        reject(v, path, "must be an object");
        return 0;
    }
    ingest_record_t r;
    /* Every check runs so that one pass reports the first problem of each
     * field; the item counts as rejected once overall. */
    size_t before = v->b->rejected_count;
    if (check_fields(v, o, path, record_fields,
                     "id, ts, from, to, kind, weight, directed") < 0)
        return 0;
    get_id(v, o, "id", path, 1, &r.id);
    get_ts(v, o, path, &r.ts);
    get_id(v, o, "from", path, 0, &r.from);
    get_id(v, o, "to", path, 0, &r.to);
    get_kind(v, o, path, &r.kind);
    get_weight(v, o, path, &r.weight);
    json_t *d = json_object_get(o, "directed");
    r.directed = true;
    if (d && !json_is_null(d)) {
        if (json_is_boolean(d)) {
            r.directed = json_is_true(d);
        } else {
            char p[96];
            snprintf(p, sizeof p, "%s.directed", path);
            reject(v, p, "must be true or false");
        }
    }
    if (v->b->rejected_count == before && r.from.s && r.to.s &&
        r.from.len == r.to.len && memcmp(r.from.s, r.to.s, r.to.len) == 0) {
        char p[96];
        snprintf(p, sizeof p, "%s.to", path);
        reject(v, p, "is the same person as from (a self-loop is no tie)");
    }
    if (v->b->rejected_count != before) {
        /* Several problems of one item count as one rejected item. */
        v->b->rejected_count = before + 1;
        return 0;
    }
    v->b->records[v->b->nrecords++] = r;
    return 0;
}

static int parse_event(struct vctx *v, json_t *o, size_t idx)
{
    char path[64];
    item_path(path, "events", idx);
    if (!json_is_object(o)) {
        reject(v, path, "must be an object");
        return 0;
    }
    ingest_event_t e = {0};
    size_t before = v->b->rejected_count;
    if (check_fields(v, o, path, event_fields,
                     "id, ts, kind, participants, weight") < 0)
        return 0;
    get_id(v, o, "id", path, 1, &e.id);
    get_ts(v, o, path, &e.ts);
    get_kind(v, o, path, &e.kind);
    get_weight(v, o, path, &e.weight);
    json_t *ps = json_object_get(o, "participants");
    char pp[96];
    snprintf(pp, sizeof pp, "%s.participants", path);
    if (!ps) {
        reject(v, pp, "is required");
    } else if (!json_is_array(ps)) {
        reject(v, pp, "must be an array of person ids");
    } else if (json_array_size(ps) > max_participants(v->lim)) {
        /* Refused before any look at the ids: the check for repeated
         * names below is quadratic in the list's length. */
        char why[200];
        snprintf(why, sizeof why,
                 "lists %zu participants, more than max_event_participants "
                 "(%zu): an event of k people makes k(k-1)/2 ties",
                 json_array_size(ps), max_participants(v->lim));
        reject(v, pp, why);
    } else {
        size_t n = json_array_size(ps);
        e.participants = n ? calloc(n, sizeof *e.participants) : NULL;
        if (n && !e.participants) {
            v->oom = 1;
            return 0;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *pj = json_array_get(ps, i);
            char ip[128];
            if (!json_is_string(pj)) {
                snprintf(ip, sizeof ip, "%s[%zu]", pp, i);
                reject(v, ip, "must be a string");
                continue;
            }
            const char *s = json_string_value(pj);
            size_t len = json_string_length(pj);
            const char *why = ingest_check_id(s, len, v->lim->max_id_bytes);
            if (why) {
                snprintf(ip, sizeof ip, "%s[%zu]", pp, i);
                reject(v, ip, why);
                continue;
            }
            /* Repeated names collapse: a person attends a meeting once.
             * Quadratic, but events are meetings, not crowds;
             * max_event_participants bounds n. */
            size_t k;
            for (k = 0; k < e.nparticipants; k++)
                if (e.participants[k].len == len &&
                    memcmp(e.participants[k].s, s, len) == 0)
                    break;
            if (k == e.nparticipants)
                e.participants[e.nparticipants++] = (ingest_str_t){s, len};
        }
        if (v->b->rejected_count == before && e.nparticipants < 2)
            reject(v, pp, "needs at least two distinct participants");
    }
    if (v->b->rejected_count != before) {
        v->b->rejected_count = before + 1;
        free(e.participants);
        return 0;
    }
    v->b->events[v->b->nevents++] = e;
    return 0;
}

/* Move s into the arena at *off. */
static void pack(char *arena, size_t *off, ingest_str_t *s)
{
    if (!s->s)
        return;
    memcpy(arena + *off, s->s, s->len);
    arena[*off + s->len] = '\0';
    s->s = arena + *off;
    *off += s->len + 1;
}

static size_t need(const ingest_str_t *s)
{
    return s->s ? s->len + 1 : 0;
}

/* Copy every kept string out of the JSON document into one allocation. */
static int compact(ingest_batch_t *b)
{
    size_t total = 0, off = 0;
    for (size_t i = 0; i < b->npeople; i++) {
        total += need(&b->people[i].id);
        for (size_t a = 0; a < b->people[i].nattrs; a++)
            total += need(&b->people[i].attrs[a].name) +
                     need(&b->people[i].attrs[a].value);
    }
    for (size_t i = 0; i < b->nrecords; i++) {
        const ingest_record_t *r = &b->records[i];
        total += need(&r->id) + need(&r->from) + need(&r->to) + need(&r->kind);
    }
    for (size_t i = 0; i < b->nevents; i++) {
        const ingest_event_t *e = &b->events[i];
        total += need(&e->id) + need(&e->kind);
        for (size_t k = 0; k < e->nparticipants; k++)
            total += need(&e->participants[k]);
    }
    b->arena = malloc(total ? total : 1);
    if (!b->arena)
        return -ENOMEM;
    for (size_t i = 0; i < b->npeople; i++) {
        pack(b->arena, &off, &b->people[i].id);
        for (size_t a = 0; a < b->people[i].nattrs; a++) {
            pack(b->arena, &off, &b->people[i].attrs[a].name);
            pack(b->arena, &off, &b->people[i].attrs[a].value);
        }
    }
    for (size_t i = 0; i < b->nrecords; i++) {
        ingest_record_t *r = &b->records[i];
        pack(b->arena, &off, &r->id);
        pack(b->arena, &off, &r->from);
        pack(b->arena, &off, &r->to);
        pack(b->arena, &off, &r->kind);
    }
    for (size_t i = 0; i < b->nevents; i++) {
        ingest_event_t *e = &b->events[i];
        pack(b->arena, &off, &e->id);
        pack(b->arena, &off, &e->kind);
        for (size_t k = 0; k < e->nparticipants; k++)
            pack(b->arena, &off, &e->participants[k]);
    }
    return 0;
}

static json_t *get_list(json_t *params, const char *key, char *err,
                        size_t errlen, int *bad)
{
    json_t *j = json_object_get(params, key);
    if (!j || json_is_null(j))
        return NULL;
    if (!json_is_array(j)) {
        snprintf(err, errlen, "params.%s must be an array", key);
        *bad = 1;
        return NULL;
    }
    return j;
}

int ingest_parse(json_t *params, const ingest_limits_t *lim,
                 ingest_batch_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(params)) {
        snprintf(err, errlen,
                 "params must be an object with people, "
                 "records and/or events");
        return -1;
    }
    const char *key;
    json_t *val;
    json_object_foreach(params, key, val)
    {
        if (strcmp(key, "people") && strcmp(key, "records") &&
            strcmp(key, "events") && strcmp(key, "on_error")) {
            snprintf(err, errlen,
                     "unknown field params.%.64s (allowed: people, records, "
                     "events, on_error)",
                     key);
            return -1;
        }
    }
    int bad = 0;
    json_t *people = get_list(params, "people", err, errlen, &bad);
    json_t *records = get_list(params, "records", err, errlen, &bad);
    json_t *events = get_list(params, "events", err, errlen, &bad);
    if (bad)
        return -1;
    json_t *oe = json_object_get(params, "on_error");
    if (oe && !json_is_null(oe)) {
        const char *s = json_string_value(oe);
        if (s && strcmp(s, "skip") == 0) {
            out->skip_invalid = true;
        } else if (!s || strcmp(s, "reject") != 0) {
            snprintf(err, errlen,
                     "params.on_error must be \"reject\" or \"skip\"");
            return -1;
        }
    }
    out->live = true;
    out->rejected = json_array();
    size_t np = json_array_size(people), nr = json_array_size(records),
           ne = json_array_size(events);
    out->people = np ? calloc(np, sizeof *out->people) : NULL;
    out->records = nr ? calloc(nr, sizeof *out->records) : NULL;
    out->events = ne ? calloc(ne, sizeof *out->events) : NULL;
    if (!out->rejected || (np && !out->people) || (nr && !out->records) ||
        (ne && !out->events)) {
        ingest_batch_free(out);
        return -ENOMEM;
    }
    struct vctx v = {lim, out, 0};
    for (size_t i = 0; i < np && !v.oom; i++)
        parse_person(&v, json_array_get(people, i), i);
    for (size_t i = 0; i < nr && !v.oom; i++)
        parse_record(&v, json_array_get(records, i), i);
    for (size_t i = 0; i < ne && !v.oom; i++)
        parse_event(&v, json_array_get(events, i), i);
    if (v.oom || compact(out) < 0) {
        ingest_batch_free(out);
        return -ENOMEM;
    }
    return 0;
}

size_t ingest_batch_items(const ingest_batch_t *b)
{
    return b->npeople + b->nrecords + b->nevents;
}

void ingest_batch_free(ingest_batch_t *b)
{
    for (size_t i = 0; i < b->npeople; i++)
        free(b->people[i].attrs);
    for (size_t i = 0; i < b->nevents; i++)
        free(b->events[i].participants);
    free(b->people);
    free(b->records);
    free(b->events);
    json_decref(b->rejected);
    free(b->arena);
    memset(b, 0, sizeof *b);
}

/* ---- the streaming path (ingest_scan) --------------------------------
 * Strings are decoded straight into the batch's arena: a string is
 * decoded at the arena's end and kept by moving the end past it, or
 * dropped by leaving the end where it was (keys, ts strings). The arena is
 * as long as the rest of the text, which is enough because a decoded
 * string (with its NUL) is always shorter than its JSON form: the kept
 * bytes never overtake the bytes read. Every case the DOM path would
 * reject or report returns SCAN_NO (INGEST_SCAN_FALLBACK). */

#define SCAN_NO INGEST_SCAN_FALLBACK
#define SCAN_END 2        /* s_member(): the object's closing brace */
#define SCAN_ATTRS_MAX 64 /* more: the DOM path checks duplicates */

struct sctx {
    jscan_t *j;
    const ingest_limits_t *lim;
    ingest_batch_t *b;
    size_t off; /* the arena's end */
    size_t cap_people, cap_records, cap_events;
    ingest_attr_t attrs[SCAN_ATTRS_MAX];
    ingest_str_t *parts; /* one event's participants, reused */
    size_t cap_parts;
};

/* Decode the string at j->p to the arena's end, without keeping it. */
static int s_str(struct sctx *c, ingest_str_t *out)
{
    if (jscan_peek(c->j) != JSCAN_STRING)
        return SCAN_NO;
    char *dst = c->b->arena + c->off;
    if (jscan_string(c->j, dst, &out->len) < 0)
        return SCAN_NO;
    out->s = dst;
    return 0;
}

static void s_keep(struct sctx *c, const ingest_str_t *s)
{
    c->off += s->len + 1;
}

/* A kept id-like string (ingest_check_id with max bytes). */
static int s_id(struct sctx *c, size_t max, ingest_str_t *out)
{
    if (s_str(c, out) || ingest_check_id(out->s, out->len, max))
        return SCAN_NO;
    s_keep(c, out);
    return 0;
}

static bool s_is(const ingest_str_t *k, const char *name, size_t n)
{
    return k->len == n && memcmp(k->s, name, n) == 0;
}
#define S_IS(k, lit) s_is((k), (lit), sizeof(lit) - 1)

/* The next member of an object: after '{' (first) or after a value. Sets
 * *key and consumes ':', or returns SCAN_END after the closing '}'. */
static int s_member(struct sctx *c, bool first, ingest_str_t *key)
{
    jscan_t *j = c->j;
    jscan_ws(j);
    if (j->p >= j->end)
        return SCAN_NO;
    if (*j->p == '}') {
        j->p++;
        return SCAN_END;
    }
    if (!first) {
        if (*j->p != ',')
            return SCAN_NO;
        j->p++;
        jscan_ws(j);
    }
    if (s_str(c, key) || jscan_expect(j, ':') < 0)
        return SCAN_NO;
    jscan_ws(j);
    return 0;
}

static int s_null(struct sctx *c)
{
    jscan_type_t t;
    return jscan_peek(c->j) == JSCAN_NULL && jscan_literal(c->j, &t) == 0;
}

static int s_ts(struct sctx *c, int64_t *out)
{
    bool is_int;
    int64_t i;
    double d;
    switch (jscan_peek(c->j)) {
    case JSCAN_NUMBER:
        if (jscan_number(c->j, &is_int, &i, &d) < 0 || !is_int || i < TS_MIN ||
            i > TS_MAX)
            return SCAN_NO;
        *out = i;
        return 0;
    case JSCAN_STRING: {
        ingest_str_t s;
        const char *why;
        if (s_str(c, &s) || ts_parse_iso(s.s, s.len, out, &why) < 0)
            return SCAN_NO;
        return 0;
    }
    default:
        return SCAN_NO;
    }
}

static int s_weight(struct sctx *c, double *out)
{
    bool is_int;
    int64_t i;
    double d;
    if (s_null(c)) {
        *out = 1.0;
        return 0;
    }
    if (jscan_peek(c->j) != JSCAN_NUMBER ||
        jscan_number(c->j, &is_int, &i, &d) < 0)
        return SCAN_NO;
    if (is_int)
        d = (double)i; /* json_number_value() of an integer */
    if (!isfinite(d) || d < 0 || d > max_weight(c->lim))
        return SCAN_NO;
    *out = d;
    return 0;
}

/* Room for one more item of size sz in *arr (count n, capacity *cap). */
static int s_grow(void **arr, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    if (ncap > SIZE_MAX / sz)
        return -ENOMEM;
    void *p = realloc(*arr, ncap * sz);
    if (!p)
        return -ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

enum { R_ID, R_TS, R_FROM, R_TO, R_KIND, R_WEIGHT, R_DIRECTED, R_N };

/* The index of key k in record_fields, or -1. Runs for every field of
 * every record: switch on the length first instead of strcmp()s. */
static int record_field(const ingest_str_t *k)
{
    int f;
    switch (k->len) {
    case 2:
        f = k->s[0] == 'i'   ? R_ID
            : k->s[0] == 't' ? (k->s[1] == 's' ? R_TS : R_TO)
                             : -1;
        break;
    case 4:
        f = k->s[0] == 'f' ? R_FROM : R_KIND;
        break;
    case 6:
        f = R_WEIGHT;
        break;
    case 8:
        f = R_DIRECTED;
        break;
    default:
        return -1;
    }
    return f >= 0 && memcmp(k->s, record_fields[f], k->len) == 0 ? f : -1;
}

static int s_record(struct sctx *c)
{
    ingest_record_t r = {.weight = 1.0, .directed = true};
    unsigned seen = 0;
    ingest_str_t k;
    int rc;
    if (jscan_expect(c->j, '{') < 0)
        return SCAN_NO;
    for (bool first = true; (rc = s_member(c, first, &k)) == 0; first = false) {
        int f = record_field(&k);
        if (f < 0 || (seen & (1u << f)))
            return SCAN_NO; /* unknown, or a duplicate (a parse error) */
        seen |= 1u << f;
        jscan_type_t t;
        switch (f) {
        case R_ID:
            if (!s_null(c) && s_id(c, c->lim->max_id_bytes, &r.id))
                return SCAN_NO;
            break;
        case R_TS:
            if (s_ts(c, &r.ts))
                return SCAN_NO;
            break;
        case R_FROM:
            if (s_id(c, c->lim->max_id_bytes, &r.from))
                return SCAN_NO;
            break;
        case R_TO:
            if (s_id(c, c->lim->max_id_bytes, &r.to))
                return SCAN_NO;
            break;
        case R_KIND:
            if (s_id(c, c->lim->max_value_bytes, &r.kind))
                return SCAN_NO;
            break;
        case R_WEIGHT:
            if (s_weight(c, &r.weight))
                return SCAN_NO;
            break;
        default: /* R_DIRECTED */
            if (jscan_literal(c->j, &t) < 0)
                return SCAN_NO;
            r.directed = t != JSCAN_FALSE;
            break;
        }
    }
    const unsigned need = 1u << R_TS | 1u << R_FROM | 1u << R_TO | 1u << R_KIND;
    if (rc != SCAN_END || (seen & need) != need ||
        (r.from.len == r.to.len && memcmp(r.from.s, r.to.s, r.to.len) == 0))
        return SCAN_NO;
    ingest_batch_t *b = c->b;
    if (s_grow((void **)&b->records, b->nrecords, &c->cap_records,
               sizeof *b->records) < 0)
        return -ENOMEM;
    b->records[b->nrecords++] = r;
    return 0;
}

static int s_person(struct sctx *c)
{
    ingest_person_t p = {0};
    bool have_id = false;
    size_t n = 0;
    ingest_str_t k;
    int rc;
    if (jscan_expect(c->j, '{') < 0)
        return SCAN_NO;
    for (bool first = true; (rc = s_member(c, first, &k)) == 0; first = false) {
        if (S_IS(&k, "id")) {
            if (have_id || s_id(c, c->lim->max_id_bytes, &p.id))
                return SCAN_NO;
            have_id = true;
            continue;
        }
        if (n == SCAN_ATTRS_MAX || !attr_name_ok(k.s, k.len))
            return SCAN_NO;
        for (size_t a = 0; a < n; a++)
            if (c->attrs[a].name.len == k.len &&
                memcmp(c->attrs[a].name.s, k.s, k.len) == 0)
                return SCAN_NO; /* a duplicate key */
        s_keep(c, &k);
        ingest_attr_t *at = &c->attrs[n];
        at->name = k;
        at->value.s = NULL;
        at->value.len = 0;
        if (!s_null(c)) {
            if (s_str(c, &at->value) || at->value.len > c->lim->max_value_bytes)
                return SCAN_NO;
            for (size_t i = 0; i < at->value.len; i++)
                if ((unsigned char)at->value.s[i] < 0x20 &&
                    at->value.s[i] != '\t')
                    return SCAN_NO;
            s_keep(c, &at->value);
        }
        n++;
    }
    if (rc != SCAN_END || !have_id)
        return SCAN_NO;
    ingest_batch_t *b = c->b;
    if (s_grow((void **)&b->people, b->npeople, &c->cap_people,
               sizeof *b->people) < 0)
        return -ENOMEM;
    if (n) {
        p.attrs = malloc(n * sizeof *p.attrs);
        if (!p.attrs)
            return -ENOMEM;
        memcpy(p.attrs, c->attrs, n * sizeof *p.attrs);
        p.nattrs = n;
    }
    b->people[b->npeople++] = p;
    return 0;
}

enum { E_ID, E_TS, E_KIND, E_PARTICIPANTS, E_WEIGHT, E_N };

static int s_participants(struct sctx *c, ingest_event_t *e)
{
    jscan_t *j = c->j;
    size_t n = 0, listed = 0;
    if (jscan_expect(j, '[') < 0)
        return SCAN_NO;
    jscan_ws(j);
    if (j->p < j->end && *j->p == ']')
        return SCAN_NO; /* fewer than two participants */
    for (;;) {
        ingest_str_t s;
        jscan_ws(j);
        /* Too long a list: the DOM path refuses it, counting entries as
         * json_array_size() does (repeats included). */
        if (++listed > max_participants(c->lim))
            return SCAN_NO;
        if (s_str(c, &s) || ingest_check_id(s.s, s.len, c->lim->max_id_bytes))
            return SCAN_NO;
        size_t k;
        for (k = 0; k < n; k++)
            if (c->parts[k].len == s.len &&
                memcmp(c->parts[k].s, s.s, s.len) == 0)
                break;
        if (k == n) {
            if (s_grow((void **)&c->parts, n, &c->cap_parts, sizeof *c->parts) <
                0)
                return -ENOMEM;
            s_keep(c, &s);
            c->parts[n++] = s;
        }
        jscan_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            break;
        }
        return SCAN_NO;
    }
    if (n < 2)
        return SCAN_NO;
    e->participants = malloc(n * sizeof *e->participants);
    if (!e->participants)
        return -ENOMEM;
    memcpy(e->participants, c->parts, n * sizeof *e->participants);
    e->nparticipants = n;
    return 0;
}

static int s_event(struct sctx *c)
{
    ingest_event_t e = {.weight = 1.0};
    unsigned seen = 0;
    ingest_str_t k;
    int rc;
    if (jscan_expect(c->j, '{') < 0)
        return SCAN_NO;
    for (bool first = true; (rc = s_member(c, first, &k)) == 0; first = false) {
        int f = -1;
        for (int i = 0; i < E_N; i++)
            if (strcmp(k.s, event_fields[i]) == 0)
                f = i;
        if (f < 0 || (seen & (1u << f)))
            goto no;
        seen |= 1u << f;
        switch (f) {
        case E_ID:
            if (!s_null(c) && s_id(c, c->lim->max_id_bytes, &e.id))
                goto no;
            break;
        case E_TS:
            if (s_ts(c, &e.ts))
                goto no;
            break;
        case E_KIND:
            if (s_id(c, c->lim->max_value_bytes, &e.kind))
                goto no;
            break;
        case E_PARTICIPANTS:
            if ((rc = s_participants(c, &e)) != 0)
                goto out;
            break;
        default: /* E_WEIGHT */
            if (s_weight(c, &e.weight))
                goto no;
            break;
        }
    }
    const unsigned need = 1u << E_TS | 1u << E_KIND | 1u << E_PARTICIPANTS;
    if (rc != SCAN_END || (seen & need) != need)
        goto no;
    ingest_batch_t *b = c->b;
    if (s_grow((void **)&b->events, b->nevents, &c->cap_events,
               sizeof *b->events) < 0) {
        rc = -ENOMEM;
        goto out;
    }
    b->events[b->nevents++] = e;
    return 0;
no:
    rc = SCAN_NO;
out:
    free(e.participants);
    return rc;
}

/* One list of params: null, or an array of items read by item(). */
static int s_list(struct sctx *c, int (*item)(struct sctx *))
{
    jscan_t *j = c->j;
    if (s_null(c))
        return 0;
    if (jscan_expect(j, '[') < 0)
        return SCAN_NO;
    jscan_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return 0;
    }
    for (;;) {
        int rc = item(c);
        if (rc)
            return rc;
        jscan_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            return 0;
        }
        return SCAN_NO;
    }
}

int ingest_scan(jscan_t *j, const ingest_limits_t *lim, ingest_batch_t *out)
{
    memset(out, 0, sizeof *out);
    struct sctx *c = calloc(1, sizeof *c);
    size_t left = (size_t)(j->end - j->p);
    out->arena = malloc(left + 1);
    out->rejected = json_array();
    int rc = 0;
    if (!c || !out->arena || !out->rejected) {
        rc = -ENOMEM;
        goto done;
    }
    c->j = j;
    c->lim = lim;
    c->b = out;
    unsigned seen = 0;
    ingest_str_t k;
    if (jscan_expect(j, '{') < 0) {
        rc = SCAN_NO;
        goto done;
    }
    for (bool first = true; (rc = s_member(c, first, &k)) == 0; first = false) {
        unsigned bit;
        if (S_IS(&k, "people")) {
            bit = 1;
            rc = s_list(c, s_person);
        } else if (S_IS(&k, "records")) {
            bit = 2;
            rc = s_list(c, s_record);
        } else if (S_IS(&k, "events")) {
            bit = 4;
            rc = s_list(c, s_event);
        } else if (S_IS(&k, "on_error")) {
            bit = 8;
            ingest_str_t v;
            if (!s_null(c)) {
                if (s_str(c, &v))
                    rc = SCAN_NO;
                else if (S_IS(&v, "skip"))
                    out->skip_invalid = true;
                else if (!S_IS(&v, "reject"))
                    rc = SCAN_NO;
            }
        } else {
            rc = SCAN_NO;
            break;
        }
        if (rc)
            break;
        if (seen & bit) {
            rc = SCAN_NO; /* a duplicate key */
            break;
        }
        seen |= bit;
    }
    if (rc == SCAN_END)
        rc = 0;
done:
    if (c)
        free(c->parts);
    free(c);
    if (rc) {
        ingest_batch_free(out);
        return rc;
    }
    out->live = true;
    return 0;
}
