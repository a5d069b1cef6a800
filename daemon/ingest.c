/* ingest.c - see ingest.h. */
#include "ingest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"

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
    const char *why = ingest_check_id(json_string_value(j),
                                      json_string_length(j),
                                      v->lim->max_id_bytes);
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
    const char *why = ingest_check_id(json_string_value(j),
                                      json_string_length(j),
                                      v->lim->max_value_bytes);
    if (why) {
        reject_at(v, path, p,
                  why[0] == 'i' ? "is longer than max_value_bytes" : why);
        return -1;
    }
    out->s = json_string_value(j);
    out->len = json_string_length(j);
    return 1;
}

static int get_ts(struct vctx *v, json_t *obj, const char *path,
                  int64_t *out)
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
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '_';
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
            reject(v, ap, "an attribute value must be a string, or null to "
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

static const char *const record_fields[] = {
    "id", "ts", "from", "to", "kind", "weight", "directed", NULL};
static const char *const event_fields[] = {"id",           "ts",
                                           "kind",         "participants",
                                           "weight",       NULL};

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
             * Quadratic, but events are meetings, not crowds; the request
             * size limit bounds n. */
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
        total += need(&r->id) + need(&r->from) + need(&r->to) +
                 need(&r->kind);
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
        snprintf(err, errlen, "params must be an object with people, "
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
