/* view.c - see view.h. */
#include "view.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "log.h"

/* Recursive: a failing view build frees its half-built view while still
 * holding the lock. */
static pthread_mutex_t igraph_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

void view_igraph_lock(void)
{
    pthread_mutex_lock(&igraph_mutex);
}

void view_igraph_unlock(void)
{
    pthread_mutex_unlock(&igraph_mutex);
}

bool view_igraph_trylock(void)
{
    return pthread_mutex_trylock(&igraph_mutex) == 0;
}

/* ---- arcs, aggregated by ordered pair of person ids -------------------
 *
 * Weights add in a fixed order, so that a view brought up to date from new
 * rows (incremental build) has the same weights, bit for bit, as a full
 * build: an arc's weight is r + e where r sums its records' weights in
 * rowid order and e its events' in event id order, each from 0.0; an arc
 * no event touches has weight r.
 *
 * Usually every weight is a small multiple of 2^-20 (whole numbers, the
 * default 1) and every sum is exact, so the order does not matter: then
 * the window is "exact", records and events add into one map, and an
 * incremental build adds new weights to the old sums. Otherwise the two
 * parts of every arc an event touches are kept (side table) to redo r + e
 * with new rows. */

#define EXACT_UNIT 1048576.0     /* weights multiples of 1 / 2^20, */
#define EXACT_TOTAL 4294967296.0 /* all of a window's below 2^32: 52 bits */

struct arcslot {
    uint64_t key; /* (src << 32) | dst; 0 = empty (pids start at 1) */
    double w;
};

/* Key and weight share a slot (one cache miss a probe), and the map is
 * many small tables (shards, by the top bits of the key's hash), so that
 * growing copies one small table at a time: the old and new copy of the
 * whole map never coexist. Additions wait in a small buffer per shard and
 * are applied a buffer at a time, so that the random accesses of one
 * flush fall in one shard, small enough to stay in cache (a map of 2M
 * arcs, 32 MB, is 128 KB a shard): the read of a window costs cache hits,
 * not misses. Each key's additions keep their order (one shard, FIFO). */
#define ARC_SHARD_BITS 8
#define ARC_SHARDS (1u << ARC_SHARD_BITS)
#define ARC_BUF 256 /* additions waiting per shard */
#define ARC_BUF_BYTES (ARC_SHARDS * ARC_BUF * sizeof(struct arcslot))

struct arcshard {
    struct arcslot *s;
    size_t cap, n;
};

struct arcmap {
    struct arcshard sh[ARC_SHARDS];
    size_t n;
    struct arcslot *buf;       /* ARC_SHARDS x ARC_BUF, or NULL */
    uint16_t nbuf[ARC_SHARDS]; /* waiting in each shard's buffer */
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* The big transient arrays of a build (hash shards, buffers) are mapped
 * and unmapped directly rather than malloc'd: freed, they go back to the
 * system at once instead of staying in malloc's heap (or raising its
 * mmap threshold, which sends later big allocations to the heap), so the
 * build's peak is the largest stage, not the sum. Zeroed. NULL if out of
 * memory. */
static void *big_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void big_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes ? bytes : 1);
}

static int shard_grow(struct arcshard *h)
{
    size_t cap = h->cap ? h->cap * 2 : 256;
    struct arcslot *s = big_alloc(cap * sizeof *s);
    if (!s)
        return -ENOMEM;
    for (size_t i = 0; i < h->cap; i++) {
        if (!h->s[i].key)
            continue;
        size_t j = mix(h->s[i].key) & (cap - 1);
        while (s[j].key)
            j = (j + 1) & (cap - 1);
        s[j] = h->s[i];
    }
    big_free(h->s, h->cap * sizeof *h->s);
    h->s = s;
    h->cap = cap;
    return 0;
}

/* The slot of key, made (weight 0.0) if absent; NULL when out of memory. */
static struct arcslot *arc_slot(struct arcmap *m, uint64_t key)
{
    uint64_t h = mix(key);
    struct arcshard *sh = &m->sh[h >> (64 - ARC_SHARD_BITS)];
    if ((sh->n + 1) * 4 > sh->cap * 3 && shard_grow(sh) < 0)
        return NULL;
    size_t j = h & (sh->cap - 1);
    while (sh->s[j].key && sh->s[j].key != key)
        j = (j + 1) & (sh->cap - 1);
    if (!sh->s[j].key) {
        sh->s[j].key = key;
        sh->s[j].w = 0.0;
        sh->n++;
        m->n++;
    }
    return &sh->s[j];
}

/* Apply shard i's waiting additions. */
static int arc_flush_shard(struct arcmap *m, unsigned i)
{
    struct arcslot *b = m->buf + (size_t)i * ARC_BUF;
    struct arcshard *sh = &m->sh[i];
    for (unsigned k = 0; k < m->nbuf[i]; k++) {
        /* The slots a few additions ahead, fetched while this one waits:
         * the misses overlap instead of queueing. */
        if (k + 16 < m->nbuf[i] && sh->cap)
            __builtin_prefetch(&sh->s[mix(b[k + 16].key) & (sh->cap - 1)]);
        struct arcslot *sl = arc_slot(m, b[k].key);
        if (!sl)
            return -ENOMEM;
        sl->w += b[k].w;
    }
    m->nbuf[i] = 0;
    return 0;
}

/* Add x to key's weight, now or at the next flush. */
static int arc_add(struct arcmap *m, uint64_t key, double x)
{
    if (!m->buf && !(m->buf = big_alloc(ARC_BUF_BYTES)))
        return -ENOMEM;
    unsigned i = (unsigned)(mix(key) >> (64 - ARC_SHARD_BITS));
    m->buf[(size_t)i * ARC_BUF + m->nbuf[i]] = (struct arcslot){key, x};
    if (++m->nbuf[i] == ARC_BUF)
        return arc_flush_shard(m, i);
    return 0;
}

/* Apply every waiting addition and drop the buffers; call before reading
 * the map. */
static int arc_flush(struct arcmap *m)
{
    for (unsigned i = 0; m->buf && i < ARC_SHARDS; i++)
        if (arc_flush_shard(m, i) < 0)
            return -ENOMEM;
    big_free(m->buf, ARC_BUF_BYTES);
    m->buf = NULL;
    return 0;
}

static void arcmap_free(struct arcmap *m)
{
    for (unsigned i = 0; i < ARC_SHARDS; i++)
        big_free(m->sh[i].s, m->sh[i].cap * sizeof *m->sh[i].s);
    big_free(m->buf, ARC_BUF_BYTES);
    memset(m, 0, sizeof *m);
}

/* ---- state kept with a view for incremental builds --------------------- */

/* An arc some event touched: its record and event parts (see above). */
struct sidearc {
    uint64_t key; /* pid pair */
    double r, e;
};

struct view_inc {
    int64_t hw_rid, hw_eid, hw_pid; /* highest ids in the snapshot */
    bool exact;                     /* every sum exact; no side table */
    double total;                   /* sum of every weight added, if exact */
    uint32_t *vpid;                 /* pid of each vertex */
    uint32_t *xpid;                 /* excluded people, ascending */
    size_t nx;
    uint32_t *opid; /* within: people outside every scope, ascending */
    size_t no;
    struct sidearc *side; /* ascending by key */
    size_t nside;
};

static void inc_free(struct view_inc *inc)
{
    if (!inc)
        return;
    free(inc->vpid);
    free(inc->xpid);
    free(inc->opid);
    free(inc->side);
    free(inc);
}

/* ---- reading one window ------------------------------------------------ */

/* One tie of an incremental build's new rows, kept in reading order. */
struct contrib {
    uint64_t key;
    double w;
    uint32_t seq;
    uint8_t ev; /* from an event */
};

struct window {
    struct arcmap arcs;  /* full build: records, then every arc's weight */
    struct arcmap earcs; /* full build: events */
    bool delta;          /* incremental: ties go to list instead */
    bool exact;          /* every weight so far exact (see above) */
    bool ev_in_arcs;     /* event weights went into arcs (exact) */
    double total;
    struct contrib *list;
    size_t nlist, caplist;
    uint8_t *excluded_seen; /* by pid */
    int64_t excluded;
    uint8_t *outside_seen; /* by pid, with within: ties but no value */
    int64_t outside;
    /* results */
    struct sidearc *side;
    size_t nside;
    struct arcslot *darcs; /* incremental: changed and new arcs, pid keys */
    size_t ndarcs, nnew;   /* nnew: of those, not in the old view */
};

struct snapshot {
    sqlite3 *db;
    int64_t maxpid;
    int32_t *pid_value; /* by pid: index into values, or -1 */
    char **values;      /* distinct boundary values, sorted */
    size_t nvalues;
    uint8_t *masked;    /* by pid: 1 = taken out (where, without); or NULL */
    int32_t *pid_scope; /* by pid: index into scopes (within), -1 none; or
                           NULL without within */
    char **scopes;      /* distinct within values, sorted */
    size_t nscopes;
    int event_weighting; /* VIEW_EVENTS_* */
};

/* Set flag i; 1 if it was clear. */
static int mark(uint8_t *flags, int64_t i)
{
    if (flags[i])
        return 0;
    flags[i] = 1;
    return 1;
}

/* -EAGAIN: an inexact event weight after exact ones were added into the
 * record sums; the window must be read again keeping the parts apart. */
static int add_arc(struct window *w, uint64_t key, double x, bool ev)
{
    if (w->exact) {
        w->total += x;
        /* x >= 0 (ingest checks), so the cast is exact below 2^52 */
        if (!(x < EXACT_TOTAL) ||
            (double)(int64_t)(x * EXACT_UNIT) != x * EXACT_UNIT ||
            !(w->total < EXACT_TOTAL)) {
            w->exact = false;
            if (w->ev_in_arcs)
                return -EAGAIN;
        }
    }
    if (w->delta) {
        if (w->nlist == w->caplist) {
            size_t cap = w->caplist ? w->caplist * 2 : 256;
            struct contrib *l = realloc(w->list, cap * sizeof *l);
            if (!l)
                return -ENOMEM;
            w->list = l;
            w->caplist = cap;
        }
        w->list[w->nlist] =
            (struct contrib){key, x, (uint32_t)w->nlist, (uint8_t)ev};
        w->nlist++;
        return 0;
    }
    w->ev_in_arcs |= ev && w->exact;
    return arc_add(ev && !w->exact ? &w->earcs : &w->arcs, key, x);
}

static int tie(struct snapshot *s, struct window *w, int64_t a, int64_t b,
               double weight, bool directed, bool ev)
{
    if (a < 1 || b < 1 || a > s->maxpid || b > s->maxpid || a == b)
        return 0; /* cannot happen with a consistent store; stay safe */
    /* Taken out (where, without): as if they were not in the store. */
    if (s->masked && (s->masked[a] || s->masked[b]))
        return 0;
    /* within: only ties inside one scope; those to or between people
     * without a value are counted (outside_scopes) and dropped. */
    if (s->pid_scope) {
        int32_t sa = s->pid_scope[a], sb = s->pid_scope[b];
        if (sa < 0 || sb < 0) {
            if (sa < 0)
                w->outside += mark(w->outside_seen, a);
            if (sb < 0)
                w->outside += mark(w->outside_seen, b);
            return 0;
        }
        if (sa != sb)
            return 0;
    }
    bool ok = true;
    if (s->pid_value[a] < 0) {
        ok = false;
        w->excluded += mark(w->excluded_seen, a);
    }
    if (s->pid_value[b] < 0) {
        ok = false;
        w->excluded += mark(w->excluded_seen, b);
    }
    if (!ok)
        return 0;
    uint64_t ab = ((uint64_t)a << 32) | (uint64_t)b;
    uint64_t ba = ((uint64_t)b << 32) | (uint64_t)a;
    int rc = add_arc(w, ab, weight, ev);
    if (rc == 0 && !directed)
        rc = add_arc(w, ba, weight, ev);
    return rc;
}

/* One event's participants (ascending pids), gathered row by row. */
struct event_acc {
    int64_t eid;
    double weight;
    int64_t *pids;
    size_t n, cap;
};

/* The ties of the gathered event: both arcs of every pair, pairs in
 * (first, second) order - the order the weights add in. */
static int event_ties(struct snapshot *s, struct window *w,
                      struct event_acc *ev)
{
    /* Newman: k is every participant the store has for the event (this
     * query does not filter them), whoever is taken out of the view. */
    double weight = s->event_weighting == VIEW_EVENTS_NEWMAN && ev->n > 1
                        ? ev->weight / (double)(ev->n - 1)
                        : ev->weight;
    for (size_t i = 0; i < ev->n; i++)
        for (size_t j = i + 1; j < ev->n; j++) {
            int rc = tie(s, w, ev->pids[i], ev->pids[j], weight, false, true);
            if (rc < 0)
                return rc;
        }
    ev->n = 0;
    return 0;
}

/* A row (eid, pid, weight) of the participants query, in (eid, pid)
 * order. */
static int event_row(struct snapshot *s, struct window *w, struct event_acc *ev,
                     int64_t eid, int64_t pid, double weight)
{
    if (ev->n && ev->eid != eid) {
        int rc = event_ties(s, w, ev);
        if (rc < 0)
            return rc;
    }
    if (ev->n == ev->cap) {
        size_t cap = ev->cap ? ev->cap * 2 : 64;
        int64_t *p = realloc(ev->pids, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        ev->pids = p;
        ev->cap = cap;
    }
    ev->eid = eid;
    ev->weight = weight;
    ev->pids[ev->n++] = pid;
    return 0;
}

/* SQL with the window's bounds on tscol (?1, ?2; an open bound has no
 * test: at 10M records the two tests are a tenth of the scan), then
 * "AND <col> IN (SELECT kid FROM kind WHERE name IN (?4,...))" when kinds
 * are given, then tail. */
static int window_sql(buf_t *b, const char *base, const char *tscol,
                      const char *col, const char *tail,
                      const view_spec_t *spec)
{
    if (buf_puts(b, base) < 0 ||
        (spec->from != VIEW_OPEN_FROM &&
         buf_printf(b, " AND %s >= ?1", tscol) < 0) ||
        (spec->to != VIEW_OPEN_TO && buf_printf(b, " AND %s < ?2", tscol) < 0))
        return -ENOMEM;
    if (spec->kinds) {
        if (buf_printf(b, " AND %s IN (SELECT kid FROM kind WHERE name IN (",
                       col) < 0)
            return -ENOMEM;
        for (size_t i = 0; i < spec->nkinds; i++)
            if (buf_printf(b, "%s?%zu", i ? "," : "", i + 4) < 0)
                return -ENOMEM;
        if (buf_puts(b, "))") < 0)
            return -ENOMEM;
    }
    return buf_puts(b, tail);
}

/* Read the ties of the window from records with rowid > min_rid and events
 * with id > min_eid (0, 0: all), in rowid / event id order (the order
 * weights add in). Records are read by rowid range (a table scan in
 * rowid order when min_rid is 0; the table has no ts index). Returns 0,
 * -1 with err, or -EAGAIN (see add_arc). */
static int read_window(struct snapshot *s, const view_spec_t *spec,
                       struct window *w, int64_t min_rid, int64_t min_eid,
                       char *err, size_t errlen)
{
    static const char *const sql[2] = {
        "SELECT src, dst, weight, directed FROM record WHERE rid > ?3",
        /* participants, not pairs: an event of k people is k rows, not
         * k(k - 1) / 2 (the big meetings make most of the pairs) */
        "SELECT e.eid, p.pid, e.weight FROM event e"
        " JOIN participant p ON p.eid = e.eid"
        " WHERE e.eid > ?3",
    };
    static const char *const kindcol[2] = {"kind", "e.kind"};
    static const char *const tscol[2] = {"ts", "e.ts"};
    static const char *const order[2] = {" ORDER BY rid",
                                         " ORDER BY e.eid, p.pid"};
    for (int q = 0; q < 2; q++) {
        buf_t text = BUF_INIT;
        sqlite3_stmt *st = NULL;
        if (window_sql(&text, sql[q], tscol[q], kindcol[q], order[q], spec) <
                0 ||
            sqlite3_prepare_v2(s->db, buf_str(&text), -1, &st, NULL) !=
                SQLITE_OK) {
            snprintf(err, errlen, "view query: %s", sqlite3_errmsg(s->db));
            buf_free(&text);
            return -1;
        }
        buf_free(&text);
        /* (a bound left out of the SQL: SQLITE_RANGE, harmless) */
        sqlite3_bind_int64(st, 1, spec->from);
        sqlite3_bind_int64(st, 2, spec->to);
        sqlite3_bind_int64(st, 3, q ? min_eid : min_rid);
        for (size_t i = 0; spec->kinds && i < spec->nkinds; i++)
            sqlite3_bind_text(st, (int)i + 4, spec->kinds[i], -1,
                              SQLITE_STATIC);
        int rc, trc = 0;
        struct event_acc ev = {0};
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (q == 0)
                trc = tie(s, w, sqlite3_column_int64(st, 0),
                          sqlite3_column_int64(st, 1),
                          sqlite3_column_double(st, 2),
                          sqlite3_column_int(st, 3) != 0, false);
            else
                trc = event_row(s, w, &ev, sqlite3_column_int64(st, 0),
                                sqlite3_column_int64(st, 1),
                                sqlite3_column_double(st, 2));
            if (trc < 0) {
                rc = SQLITE_NOMEM;
                break;
            }
        }
        if (rc == SQLITE_DONE && q == 1 && (trc = event_ties(s, w, &ev)) < 0)
            rc = SQLITE_NOMEM;
        free(ev.pids);
        sqlite3_finalize(st);
        if (trc == -EAGAIN)
            return -EAGAIN;
        if (rc == SQLITE_DONE &&
            (arc_flush(&w->arcs) < 0 || arc_flush(&w->earcs) < 0))
            rc = SQLITE_NOMEM;
        if (rc != SQLITE_DONE) {
            snprintf(err, errlen, "view query: %s",
                     rc == SQLITE_NOMEM ? "out of memory"
                                        : sqlite3_errmsg(s->db));
            return -1;
        }
    }
    return 0;
}

static int cmp_side(const void *a, const void *b)
{
    uint64_t x = ((const struct sidearc *)a)->key,
             y = ((const struct sidearc *)b)->key;
    return (x > y) - (x < y);
}

/* Full build: fold the event weights into the arcs (r + e) and keep both
 * parts of every such arc for later incremental builds. */
static int merge_events(struct window *w)
{
    w->side = malloc((w->earcs.n ? w->earcs.n : 1) * sizeof *w->side);
    if (!w->side)
        return -ENOMEM;
    size_t k = 0;
    for (unsigned i = 0; i < ARC_SHARDS; i++) {
        struct arcshard *sh = &w->earcs.sh[i];
        for (size_t j = 0; j < sh->cap; j++) {
            if (!sh->s[j].key)
                continue;
            struct arcslot *r = arc_slot(&w->arcs, sh->s[j].key);
            if (!r)
                return -ENOMEM;
            w->side[k++] = (struct sidearc){sh->s[j].key, r->w, sh->s[j].w};
            r->w = r->w + sh->s[j].w;
        }
        big_free(sh->s, sh->cap * sizeof *sh->s);
        sh->s = NULL;
        sh->cap = sh->n = 0;
    }
    w->nside = k;
    if (k) /* qsort's pointer must not be NULL, even for no items */
        qsort(w->side, k, sizeof *w->side, cmp_side);
    return 0;
}

/* The arc a -> b of a view built by assemble() (edges in (from, to) order,
 * so a vertex's out-arcs are one run sorted by head), or -1. */
static igraph_integer_t find_arc(const view_t *v, igraph_integer_t a,
                                 igraph_integer_t b)
{
    igraph_integer_t lo = VECTOR(v->graph.os)[a],
                     hi = VECTOR(v->graph.os)[a + 1];
    const igraph_integer_t *to = VECTOR(v->graph.to);
    while (lo < hi) {
        igraph_integer_t mid = lo + (hi - lo) / 2;
        if (to[mid] < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < VECTOR(v->graph.os)[a + 1] && to[lo] == b ? lo : -1;
}

static int cmp_contrib(const void *a, const void *b)
{
    const struct contrib *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->ev != y->ev)
        return x->ev < y->ev ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Incremental build: the new weight of every arc the new rows touch,
 * starting from its parts in the old view o; the new side table (old one
 * with these arcs' entries replaced or added). oidx: old vertex index by
 * pid, or -1. */
static int delta_arcs(struct window *w, const view_t *o, const int32_t *oidx)
{
    const struct view_inc *inc = o->inc;
    if (w->nlist)
        qsort(w->list, w->nlist, sizeof *w->list, cmp_contrib);
    size_t nkeys = 0, nev = 0;
    for (size_t i = 0; i < w->nlist; i++)
        if (!i || w->list[i].key != w->list[i - 1].key)
            nkeys++;
    w->darcs = malloc((nkeys ? nkeys : 1) * sizeof *w->darcs);
    struct sidearc *nside = malloc((nkeys ? nkeys : 1) * sizeof *nside);
    if (!w->darcs || !nside) {
        free(nside);
        return -ENOMEM;
    }
    for (size_t i = 0; i < w->nlist;) {
        uint64_t key = w->list[i].key;
        int64_t a = (int64_t)(key >> 32), b = (int64_t)(key & 0xffffffffu);
        struct sidearc probe = {key, 0, 0};
        const struct sidearc *sd = !inc->exact && inc->nside
                                       ? bsearch(&probe, inc->side, inc->nside,
                                                 sizeof *inc->side, cmp_side)
                                       : NULL;
        double r = 0.0, e = 0.0;
        bool has_e = false, existed = false;
        if (sd) {
            r = sd->r;
            e = sd->e;
            has_e = existed = true;
        } else if (a <= inc->hw_pid && b <= inc->hw_pid && oidx[a] >= 0 &&
                   oidx[b] >= 0) {
            igraph_integer_t arc = find_arc(o, oidx[a], oidx[b]);
            if (arc >= 0) {
                r = VECTOR(o->weights)[arc];
                existed = true;
            }
        }
        for (; i < w->nlist && w->list[i].key == key; i++) {
            if (inc->exact) {
                r += w->list[i].w; /* exact sums: any order */
            } else if (w->list[i].ev) {
                e += w->list[i].w;
                has_e = true;
            } else {
                r += w->list[i].w;
            }
        }
        if (has_e)
            nside[nev++] = (struct sidearc){key, r, e};
        w->darcs[w->ndarcs++] = (struct arcslot){key, has_e ? r + e : r};
        w->nnew += !existed;
    }
    /* Merge the old side table with the updated entries (both sorted). */
    size_t cap = inc->nside + nev;
    w->side = malloc((cap ? cap : 1) * sizeof *w->side);
    if (!w->side) {
        free(nside);
        return -ENOMEM;
    }
    size_t i = 0, j = 0, k = 0;
    while (i < inc->nside || j < nev) {
        if (j == nev || (i < inc->nside && inc->side[i].key < nside[j].key))
            w->side[k++] = inc->side[i++];
        else {
            if (i < inc->nside && inc->side[i].key == nside[j].key)
                i++;
            w->side[k++] = nside[j++];
        }
    }
    w->nside = k;
    free(nside);
    free(w->list);
    w->list = NULL;
    return 0;
}

static int read_values(struct snapshot *s, const char *boundary, char *err,
                       size_t errlen)
{
    sqlite3_stmt *st;
    int64_t maxpid = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(pid), 0) FROM person",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errlen, "view: %s", sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        return -1;
    }
    maxpid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (maxpid >= INT32_MAX) {
        snprintf(err, errlen, "view: too many people");
        return -1;
    }
    s->maxpid = maxpid;
    s->pid_value = malloc(((size_t)maxpid + 1) * sizeof *s->pid_value);
    if (!s->pid_value) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(s->pid_value, 0xff, ((size_t)maxpid + 1) * sizeof *s->pid_value);
    /* Ordered by value, so value indices follow byte order of names. */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT pid, value FROM attr WHERE name = ?1"
                           " ORDER BY value COLLATE BINARY",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "view: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    sqlite3_bind_text(st, 1, boundary, -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (!s->nvalues || strcmp(s->values[s->nvalues - 1], v) != 0) {
            if (s->nvalues == cap) {
                cap = cap ? cap * 2 : 16;
                char **nv = realloc(s->values, cap * sizeof *nv);
                if (!nv) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                s->values = nv;
            }
            if (!(s->values[s->nvalues] = strdup(v))) {
                rc = SQLITE_NOMEM;
                break;
            }
            s->nvalues++;
        }
        if (pid >= 1 && pid <= maxpid)
            s->pid_value[pid] = (int32_t)(s->nvalues - 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "view: %s",
                 rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

/* Mark with x (1, or += 1 with count) the people of rows of st (one
 * column, pid) bound to a, b. 0 or -1. */
static int mark_rows(struct snapshot *s, sqlite3_stmt *st, const char *a,
                     const char *b, uint8_t *flags, bool count)
{
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(st, 0);
        if (pid >= 1 && pid <= s->maxpid)
            flags[pid] = count ? (uint8_t)(flags[pid] + 1) : 1;
    }
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The person mask of where and without (DESIGN.md "Scoped views"): the
 * people taken out of the view before it is built. None: masked NULL. */
static int read_mask(struct snapshot *s, const view_spec_t *spec, char *err,
                     size_t errlen)
{
    if (!spec->nwhere && !spec->nwithout_ids && !spec->nwithout_where)
        return 0;
    sqlite3_stmt *byval = NULL, *bykey = NULL;
    uint8_t *hits = NULL;
    int rc = -1;
    s->masked = calloc((size_t)s->maxpid + 1, 1);
    if (spec->nwhere > 255) {
        snprintf(err, errlen, "where: at most 255 attributes");
        return -1;
    }
    if (!s->masked ||
        (spec->nwhere && !(hits = calloc((size_t)s->maxpid + 1, 1))))
        goto fail;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT pid FROM attr WHERE name = ?1"
                           " AND value = ?2",
                           -1, &byval, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT pid FROM person WHERE key = ?1", -1,
                           &bykey, NULL) != SQLITE_OK)
        goto fail;
    /* where: a person has one value of an attribute, so matching a
     * condition adds 1; they stay when they match every condition. */
    for (size_t c = 0; c < spec->nwhere; c++)
        for (size_t i = 0; i < spec->where[c].nvalues; i++)
            if (mark_rows(s, byval, spec->where[c].attr,
                          spec->where[c].values[i], hits, true) < 0)
                goto fail;
    for (int64_t p = 1; hits && p <= s->maxpid; p++)
        s->masked[p] = hits[p] != spec->nwhere;
    for (size_t i = 0; i < spec->nwithout_ids; i++)
        if (mark_rows(s, bykey, spec->without_ids[i], NULL, s->masked, false) <
            0)
            goto fail;
    for (size_t c = 0; c < spec->nwithout_where; c++)
        for (size_t i = 0; i < spec->without_where[c].nvalues; i++)
            if (mark_rows(s, byval, spec->without_where[c].attr,
                          spec->without_where[c].values[i], s->masked,
                          false) < 0)
                goto fail;
    rc = 0;
fail:
    if (rc < 0)
        snprintf(err, errlen, "view: where/without: %s",
                 s->masked ? sqlite3_errmsg(s->db) : "out of memory");
    sqlite3_finalize(byval);
    sqlite3_finalize(bykey);
    free(hits);
    return rc;
}

/* within: each person's scope (index into the attribute's sorted
 * values), -1 for none. */
static int read_scopes(struct snapshot *s, const char *within, char *err,
                       size_t errlen)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc;
    s->pid_scope = malloc(((size_t)s->maxpid + 1) * sizeof *s->pid_scope);
    if (!s->pid_scope) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(s->pid_scope, 0xff, ((size_t)s->maxpid + 1) * sizeof *s->pid_scope);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT pid, value FROM attr WHERE name = ?1"
                           " ORDER BY value COLLATE BINARY",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "view: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    sqlite3_bind_text(st, 1, within, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (!s->nscopes || strcmp(s->scopes[s->nscopes - 1], v) != 0) {
            if (s->nscopes == cap) {
                cap = cap ? cap * 2 : 16;
                char **nv = realloc(s->scopes, cap * sizeof *nv);
                if (!nv) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                s->scopes = nv;
            }
            if (!(s->scopes[s->nscopes] = strdup(v))) {
                rc = SQLITE_NOMEM;
                break;
            }
            s->nscopes++;
        }
        if (pid >= 1 && pid <= s->maxpid)
            s->pid_scope[pid] = (int32_t)(s->nscopes - 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "view: %s",
                 rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

/* keep_unvalued: every person without a boundary value gets the value ""
 * (a group of its own, first in byte order), so nobody is excluded. */
static int keep_unvalued(struct snapshot *s, char *err, size_t errlen)
{
    bool have_empty = s->nvalues && !s->values[0][0];
    if (!have_empty) {
        char **nv = realloc(s->values, (s->nvalues + 1) * sizeof *nv);
        char *empty = strdup("");
        if (!nv || !empty) {
            if (nv)
                s->values = nv;
            free(empty);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        s->values = nv;
        memmove(nv + 1, nv, s->nvalues * sizeof *nv);
        nv[0] = empty;
        s->nvalues++;
        for (int64_t p = 1; p <= s->maxpid; p++)
            if (s->pid_value[p] >= 0)
                s->pid_value[p]++;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT pid FROM person", -1, &st, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "view: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(st, 0);
        if (pid >= 1 && pid <= s->maxpid && s->pid_value[pid] < 0)
            s->pid_value[pid] = 0;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "view: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

/* ---- assembling -------------------------------------------------------- */

struct keyed {
    int64_t pid;
    const char *key;
};

static int cmp_keyed(const void *a, const void *b)
{
    return strcmp(((const struct keyed *)a)->key,
                  ((const struct keyed *)b)->key);
}

/* ---- carried attributes ---------------------------------------------- */

struct view_attrcol {
    char **values; /* distinct values, sorted */
    size_t nvalues;
    int32_t *idx; /* by vertex: index into values, or -1 (none) */
};

static void attrs_free(view_t *v)
{
    for (size_t a = 0; a < v->nattrs; a++) {
        if (v->attr_names)
            free(v->attr_names[a]);
        if (!v->attr_cols)
            continue;
        struct view_attrcol *c = &v->attr_cols[a];
        for (size_t i = 0; i < c->nvalues; i++)
            free(c->values[i]);
        free(c->values);
        free(c->idx);
    }
    free(v->attr_names);
    free(v->attr_cols);
    v->attr_names = NULL;
    v->attr_cols = NULL;
    v->nattrs = 0;
}

/* Room for nattrs attributes in v (zeroed); 0 or -ENOMEM. */
static int attrs_alloc(view_t *v, size_t nattrs)
{
    v->attr_names = calloc(nattrs ? nattrs : 1, sizeof *v->attr_names);
    v->attr_cols = calloc(nattrs ? nattrs : 1, sizeof *v->attr_cols);
    if (!v->attr_names || !v->attr_cols) {
        free(v->attr_names);
        free(v->attr_cols);
        v->attr_names = NULL;
        v->attr_cols = NULL;
        return -ENOMEM;
    }
    v->nattrs = nattrs;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int view_attr_index(const view_t *v, const char *name)
{
    if (!v->nattrs)
        return -1;
    char *const *hit = bsearch(&name, v->attr_names, v->nattrs,
                               sizeof *v->attr_names, cmp_str);
    return hit ? (int)(hit - v->attr_names) : -1;
}

const char *view_attr(const view_t *v, size_t attr, igraph_integer_t vertex)
{
    if (attr >= v->nattrs || vertex < 0 || vertex >= igraph_vcount(&v->graph))
        return NULL;
    int32_t i = v->attr_cols[attr].idx[vertex];
    return i < 0 ? NULL : v->attr_cols[attr].values[i];
}

int view_spec_add_attr(view_spec_t *spec, const char *name)
{
    size_t lo = 0, hi = spec->nattrs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(spec->attrs[mid], name);
        if (c == 0)
            return 0;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    char **a = realloc(spec->attrs, (spec->nattrs + 1) * sizeof *a);
    if (!a)
        return -ENOMEM;
    spec->attrs = a;
    char *copy = strdup(name);
    if (!copy)
        return -ENOMEM;
    memmove(a + lo + 1, a + lo, (spec->nattrs - lo) * sizeof *a);
    a[lo] = copy;
    spec->nattrs++;
    return 0;
}

/* The names of every attribute in the store, sorted, into *names; the
 * count, or -1. */
static ssize_t all_attr_names(sqlite3 *db, char ***names)
{
    sqlite3_stmt *st;
    *names = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT DISTINCT name FROM attr"
                           " ORDER BY name COLLATE BINARY",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(*names, cap * sizeof *nn);
            if (!nn)
                break;
            *names = nn;
        }
        if (!((*names)[n] = strdup((const char *)sqlite3_column_text(st, 0))))
            break;
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < n; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        return -1;
    }
    return (ssize_t)n;
}

/* The names views of spec carry: spec->attrs, and with all_attrs every
 * attribute in the store; sorted, without repeats. Count, or -1. */
static ssize_t carried_names(sqlite3 *db, const view_spec_t *spec, char ***out)
{
    char **all = NULL;
    ssize_t nall = 0;
    if (spec->all_attrs && (nall = all_attr_names(db, &all)) < 0)
        return -1;
    size_t cap = (size_t)nall + spec->nattrs;
    char **m = calloc(cap ? cap : 1, sizeof *m);
    size_t i = 0, j = 0, k = 0;
    while (m && (i < (size_t)nall || j < spec->nattrs)) {
        int c = i == (size_t)nall   ? 1
                : j == spec->nattrs ? -1
                                    : strcmp(all[i], spec->attrs[j]);
        if (c <= 0) {
            m[k++] = all[i];
            all[i++] = NULL;
            j += c == 0;
        } else if (!(m[k++] = strdup(spec->attrs[j++]))) {
            break;
        }
    }
    bool ok = m && i == (size_t)nall && j == spec->nattrs;
    for (size_t x = 0; x < (size_t)nall; x++)
        free(all[x]);
    free(all);
    if (!ok) {
        for (size_t x = 0; m && x < k; x++)
            free(m[x]);
        free(m);
        return -1;
    }
    *out = m;
    return (ssize_t)k;
}

/* Read the values of the carried attributes in the snapshot db into the
 * views (main, and baseline or NULL), each numbered by its own vertices
 * (inc->vpid). One query per attribute, shared by both views. */
static int load_attrs(sqlite3 *db, int64_t maxpid, const view_spec_t *spec,
                      view_t *const views[2], char *err, size_t errlen)
{
    char **names = NULL;
    ssize_t n = carried_names(db, spec, &names);
    int32_t *pidval = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (n < 0)
        goto fail;
    for (int k = 0; k < 2; k++)
        if (views[k] && attrs_alloc(views[k], (size_t)n) < 0)
            goto fail;
    if (n == 0) {
        free(names);
        return 0;
    }
    pidval = malloc(((size_t)maxpid + 1) * sizeof *pidval);
    if (!pidval ||
        sqlite3_prepare_v2(db,
                           "SELECT pid, value FROM attr WHERE name = ?1"
                           " ORDER BY value COLLATE BINARY",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    for (ssize_t a = 0; a < n; a++) {
        char **values = NULL;
        size_t nvalues = 0, cap = 0;
        memset(pidval, 0xff, ((size_t)maxpid + 1) * sizeof *pidval);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, names[a], -1, SQLITE_STATIC);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t pid = sqlite3_column_int64(st, 0);
            const char *val = (const char *)sqlite3_column_text(st, 1);
            if (!nvalues || strcmp(values[nvalues - 1], val) != 0) {
                if (nvalues == cap) {
                    cap = cap ? cap * 2 : 16;
                    char **nv = realloc(values, cap * sizeof *nv);
                    if (!nv) {
                        step = SQLITE_NOMEM;
                        break;
                    }
                    values = nv;
                }
                if (!(values[nvalues] = strdup(val))) {
                    step = SQLITE_NOMEM;
                    break;
                }
                nvalues++;
            }
            if (pid >= 1 && pid <= maxpid)
                pidval[pid] = (int32_t)(nvalues - 1);
        }
        /* Each view keeps the values its people have, renumbered. */
        int32_t *remap = step == SQLITE_DONE
                             ? malloc((nvalues ? nvalues : 1) * sizeof *remap)
                             : NULL;
        for (int k = 0; remap && k < 2; k++) {
            view_t *v = views[k];
            if (!v)
                continue;
            size_t nv = (size_t)igraph_vcount(&v->graph);
            struct view_attrcol *c = &v->attr_cols[a];
            if (!(v->attr_names[a] = strdup(names[a])) ||
                !(c->idx = malloc((nv ? nv : 1) * sizeof *c->idx))) {
                step = SQLITE_NOMEM;
                break;
            }
            memset(remap, 0xff, (nvalues ? nvalues : 1) * sizeof *remap);
            for (size_t i = 0; i < nv; i++) {
                int32_t x = pidval[v->inc->vpid[i]];
                if (x >= 0)
                    remap[x] = 0;
            }
            size_t used = 0;
            for (size_t x = 0; x < nvalues; x++)
                if (remap[x] == 0)
                    remap[x] = (int32_t)used++;
            if (!(c->values = calloc(used ? used : 1, sizeof *c->values))) {
                step = SQLITE_NOMEM;
                break;
            }
            for (size_t x = 0; x < nvalues; x++)
                if (remap[x] >= 0 &&
                    !(c->values[c->nvalues++] = strdup(values[x]))) {
                    c->nvalues--;
                    step = SQLITE_NOMEM;
                    break;
                }
            for (size_t i = 0; i < nv; i++) {
                int32_t x = pidval[v->inc->vpid[i]];
                c->idx[i] = x >= 0 ? remap[x] : -1;
            }
        }
        free(remap);
        for (size_t x = 0; x < nvalues; x++)
            free(values[x]);
        free(values);
        if (step != SQLITE_DONE)
            goto fail;
    }
    rc = 0;
fail:
    if (rc < 0)
        snprintf(err, errlen, "view: reading attributes: %s",
                 sqlite3_errmsg(db));
    sqlite3_finalize(st);
    free(pidval);
    for (ssize_t a = 0; a < n; a++)
        free(names[a]);
    free(names);
    return rc;
}

bool view_sums_exact(const view_t *v)
{
    return v->inc && v->inc->exact;
}

void view_ref(view_t *v)
{
    atomic_fetch_add(&v->refs, 1);
}

static void view_free(view_t *v)
{
    igraph_integer_t n = v->pub.graph ? igraph_vcount(&v->graph) : 0;
    if (v->keys)
        for (igraph_integer_t i = 0; i < n; i++)
            free(v->keys[i]);
    free(v->keys);
    if (v->owns_groups && v->group_names) {
        for (igraph_integer_t g = 0; g < v->pub.ngroups; g++)
            free(v->group_names[g]);
        free(v->group_names);
    }
    if (v->pub.graph) {
        view_igraph_lock();
        igraph_destroy(&v->graph);
        igraph_vector_destroy(&v->weights);
        igraph_vector_int_destroy(&v->group);
        view_igraph_unlock();
    }
    inc_free(v->inc);
    attrs_free(v);
    free(v->within);
    for (size_t i = 0; v->xscope && i < v->nxscope; i++)
        free(v->xscope[i]);
    free(v->xscope);
    free(v->xcount);
    free(v->boundary);
    view_unref(v->baseline);
    if (v->memfd >= 0)
        close(v->memfd);
    pthread_mutex_destroy(&v->memfd_lock);
    free(v);
}

/* ---- freeing views off the event loop ----------------------------------
 *
 * view_free() waits for the igraph lock, which an analysis running in a
 * thread holds for its whole run: the loop thread, dropping the last
 * reference to a view (a finished request's job, say), would stop serving
 * every client until that analysis ends. So a thread marked by
 * view_reaper_start() hands such a view to one reaper thread. */

static _Thread_local bool must_not_wait;
static pthread_mutex_t reap_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reap_cond = PTHREAD_COND_INITIALIZER;
static view_t *reap_head;   /* under reap_mu */
static unsigned reap_users; /* under reap_mu: starts not yet stopped */
static bool reap_quit;      /* under reap_mu */
static pthread_t reaper;

static void *reaper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&reap_mu);
    for (;;) {
        while (!reap_head && !reap_quit)
            pthread_cond_wait(&reap_cond, &reap_mu);
        view_t *list = reap_head;
        reap_head = NULL;
        if (!list && reap_quit)
            break;
        pthread_mutex_unlock(&reap_mu);
        while (list) {
            view_t *next = list->reap_next;
            view_free(list);
            list = next;
        }
        pthread_mutex_lock(&reap_mu);
    }
    pthread_mutex_unlock(&reap_mu);
    return NULL;
}

int view_reaper_start(void)
{
    pthread_mutex_lock(&reap_mu);
    int rc = 0;
    if (reap_users == 0) {
        reap_quit = false;
        rc = pthread_create(&reaper, NULL, reaper_main, NULL) == 0 ? 0 : -1;
    }
    if (rc == 0) {
        reap_users++;
        must_not_wait = true;
    }
    pthread_mutex_unlock(&reap_mu);
    return rc;
}

void view_reaper_stop(void)
{
    pthread_mutex_lock(&reap_mu);
    must_not_wait = false;
    if (reap_users == 0 || --reap_users > 0) {
        pthread_mutex_unlock(&reap_mu);
        return;
    }
    reap_quit = true;
    pthread_cond_signal(&reap_cond);
    pthread_mutex_unlock(&reap_mu);
    pthread_join(reaper, NULL); /* it frees what it holds before it ends */
}

/* Hand v to the reaper; false when there is none (then free it here). */
static bool reap_later(view_t *v)
{
    pthread_mutex_lock(&reap_mu);
    bool ok = reap_users > 0 && !reap_quit;
    if (ok) {
        v->reap_next = reap_head;
        reap_head = v;
        pthread_cond_signal(&reap_cond);
    }
    pthread_mutex_unlock(&reap_mu);
    return ok;
}

void view_unref(view_t *v)
{
    if (v && atomic_fetch_sub(&v->refs, 1) == 1 &&
        !(must_not_wait && reap_later(v)))
        view_free(v);
}

/* *g: the directed graph on n vertices whose edge e is from[e] -> to[e],
 * for arcs sorted by (from, to) without repeats. igraph_create would sort
 * them twice (radix sorts of both orders) and copy the edge list; here
 * the out-order is the identity and the in-order one counting pass, in
 * the layout igraph_add_edges makes (igraph_datatype.h: oi orders edges
 * by (from, to), ii by (to, from), os/is are their n + 1 start offsets).
 * Takes from and to (they become the graph's) on success; 0 or -1.
 * Caller holds the igraph lock. */
static int graph_from_sorted(igraph_t *g, igraph_integer_t n,
                             igraph_vector_int_t *from, igraph_vector_int_t *to)
{
    igraph_integer_t m = igraph_vector_int_size(from);
    /* The layout written below is igraph 0.10's (igraph_datatype.h); any
     * other series gets igraph_create. check_view compares the two. */
    if (IGRAPH_VERSION_MAJOR != 0 || IGRAPH_VERSION_MINOR != 10 ||
        igraph_has_attribute_table()) {
        /* Attribute handlers hook edge additions: let igraph add them. */
        igraph_vector_int_t el;
        if (igraph_vector_int_init(&el, 2 * m))
            return -1;
        for (igraph_integer_t e = 0; e < m; e++) {
            VECTOR(el)[2 * e] = VECTOR(*from)[e];
            VECTOR(el)[2 * e + 1] = VECTOR(*to)[e];
        }
        int rc = igraph_create(g, &el, n, IGRAPH_DIRECTED) ? -1 : 0;
        igraph_vector_int_destroy(&el);
        if (rc == 0) {
            igraph_vector_int_destroy(from);
            igraph_vector_int_destroy(to);
        }
        return rc;
    }
    igraph_vector_int_t oi, ii, os, is;
    if (igraph_vector_int_init(&oi, m))
        return -1;
    if (igraph_vector_int_init(&ii, m)) {
        igraph_vector_int_destroy(&oi);
        return -1;
    }
    if (igraph_vector_int_init(&os, n + 1)) {
        igraph_vector_int_destroy(&ii);
        igraph_vector_int_destroy(&oi);
        return -1;
    }
    if (igraph_vector_int_init(&is, n + 1)) {
        igraph_vector_int_destroy(&os);
        igraph_vector_int_destroy(&ii);
        igraph_vector_int_destroy(&oi);
        return -1;
    }
    if (igraph_empty(g, 0, IGRAPH_DIRECTED)) {
        igraph_vector_int_destroy(&is);
        igraph_vector_int_destroy(&os);
        igraph_vector_int_destroy(&ii);
        igraph_vector_int_destroy(&oi);
        return -1;
    }
    const igraph_integer_t *f = VECTOR(*from), *t = VECTOR(*to);
    igraph_integer_t *pos = VECTOR(is), *ops = VECTOR(os);
    for (igraph_integer_t e = 0; e < m; e++) {
        VECTOR(oi)[e] = e;
        ops[f[e] + 1]++;
        pos[t[e] + 1]++;
    }
    for (igraph_integer_t v = 0; v < n; v++) {
        ops[v + 1] += ops[v];
        pos[v + 1] += pos[v];
    }
    /* Stable by edge id within a head, so (to, from) order; pos[v] runs
     * from is[v] to is[v + 1], then is is shifted back. */
    for (igraph_integer_t e = 0; e < m; e++)
        VECTOR(ii)[pos[t[e]]++] = e;
    for (igraph_integer_t v = n; v > 0; v--)
        pos[v] = pos[v - 1];
    pos[0] = 0;
    igraph_vector_int_destroy(&g->from);
    igraph_vector_int_destroy(&g->to);
    igraph_vector_int_destroy(&g->oi);
    igraph_vector_int_destroy(&g->ii);
    igraph_vector_int_destroy(&g->os);
    igraph_vector_int_destroy(&g->is);
    g->from = *from;
    g->to = *to;
    g->oi = oi;
    g->ii = ii;
    g->os = os;
    g->is = is;
    g->n = n;
    igraph_invalidate_cache(g);
    return 0;
}

/* Whether person p is a vertex with isolates: a boundary value, not
 * taken out, and with within a value of that too. */
static bool isolate_ok(const struct snapshot *s, int64_t p)
{
    return s->pid_value[p] >= 0 && !(s->masked && s->masked[p]) &&
           !(s->pid_scope && s->pid_scope[p] < 0);
}

/* The vertex set of a full build's window: people with a tie there, or
 * with isolates every person who has a value. Marks in_view[pid]. */
static size_t mark_vertices(const struct snapshot *s, const struct window *w,
                            bool isolates, uint8_t *in_view)
{
    size_t n = 0;
    for (unsigned i = 0; i < ARC_SHARDS; i++) {
        const struct arcshard *sh = &w->arcs.sh[i];
        for (size_t j = 0; j < sh->cap; j++) {
            uint64_t k = sh->s[j].key;
            if (!k)
                continue;
            n += mark(in_view, (int64_t)(k >> 32));
            n += mark(in_view, (int64_t)(k & 0xffffffffu));
        }
    }
    for (int64_t p = 1; isolates && p <= s->maxpid; p++)
        if (isolate_ok(s, p))
            n += mark(in_view, p);
    return n;
}

/* Incremental: the old view's people, those of the new and changed arcs,
 * and with isolates the new people who have a value. */
static size_t mark_vertices_inc(const struct snapshot *s,
                                const struct window *w, const view_t *o,
                                bool isolates, uint8_t *in_view)
{
    size_t n = 0;
    igraph_integer_t n0 = igraph_vcount(&o->graph);
    for (igraph_integer_t i = 0; i < n0; i++)
        n += mark(in_view, o->inc->vpid[i]);
    for (size_t i = 0; i < w->ndarcs; i++) {
        n += mark(in_view, (int64_t)(w->darcs[i].key >> 32));
        n += mark(in_view, (int64_t)(w->darcs[i].key & 0xffffffffu));
    }
    for (int64_t p = o->inc->hw_pid + 1; isolates && p <= s->maxpid; p++)
        if (isolate_ok(s, p))
            n += mark(in_view, p);
    return n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_arcslot(const void *a, const void *b)
{
    return cmp_u64(&((const struct arcslot *)a)->key,
                   &((const struct arcslot *)b)->key);
}

/* Full build: the arcs of w, out of the hash map, sorted by (from, to) in
 * vertex numbers, into from/to/weights (initialised here). Two stable
 * counting passes (by head, then by tail); each shard is freed once
 * copied, so the map and the sorted copy barely coexist. */
static int sort_arcs_full(struct window *w, const int32_t *vidx, size_t n,
                          igraph_vector_int_t *from, igraph_vector_int_t *to,
                          igraph_vector_t *weights)
{
    size_t m = w->arcs.n;
    size_t *cto = calloc(n + 1, sizeof *cto),
           *cfrom = calloc(n + 1, sizeof *cfrom);
    struct arcslot *buf = big_alloc(m * sizeof *buf);
    if (!cto || !cfrom || !buf)
        goto oom;
    for (unsigned i = 0; i < ARC_SHARDS; i++) {
        const struct arcshard *sh = &w->arcs.sh[i];
        for (size_t j = 0; j < sh->cap; j++) {
            uint64_t k = sh->s[j].key;
            if (!k)
                continue;
            cfrom[vidx[k >> 32] + 1]++;
            cto[vidx[k & 0xffffffffu] + 1]++;
        }
    }
    for (size_t v = 0; v < n; v++) {
        cfrom[v + 1] += cfrom[v];
        cto[v + 1] += cto[v];
    }
    for (unsigned i = 0; i < ARC_SHARDS; i++) {
        struct arcshard *sh = &w->arcs.sh[i];
        for (size_t j = 0; j < sh->cap; j++) {
            uint64_t k = sh->s[j].key;
            if (!k)
                continue;
            uint64_t a = (uint64_t)vidx[k >> 32],
                     b = (uint64_t)vidx[k & 0xffffffffu];
            buf[cto[b]++] = (struct arcslot){(a << 32) | b, sh->s[j].w};
        }
        big_free(sh->s, sh->cap * sizeof *sh->s);
        sh->s = NULL;
        sh->cap = sh->n = 0;
    }
    free(cto);
    cto = NULL;
    if (igraph_vector_int_init(from, (igraph_integer_t)m))
        goto oom;
    if (igraph_vector_int_init(to, (igraph_integer_t)m)) {
        igraph_vector_int_destroy(from);
        goto oom;
    }
    if (igraph_vector_init(weights, (igraph_integer_t)m)) {
        igraph_vector_int_destroy(to);
        igraph_vector_int_destroy(from);
        goto oom;
    }
    for (size_t e = 0; e < m; e++) {
        uint64_t a = buf[e].key >> 32;
        size_t at = cfrom[a]++;
        VECTOR(*from)[at] = (igraph_integer_t)a;
        VECTOR(*to)[at] = (igraph_integer_t)(buf[e].key & 0xffffffffu);
        VECTOR(*weights)[at] = buf[e].w;
    }
    big_free(buf, m * sizeof *buf);
    free(cfrom);
    return 0;
oom:
    free(cto);
    free(cfrom);
    big_free(buf, m * sizeof *buf);
    return -ENOMEM;
}

/* Incremental: the old view's arcs renumbered (a monotone map, so still in
 * order) merged with the new and changed ones. nidx: new vertex number of
 * each old vertex. */
static int merge_arcs_inc(struct window *w, const view_t *o,
                          const int32_t *nidx, const int32_t *vidx,
                          igraph_vector_int_t *from, igraph_vector_int_t *to,
                          igraph_vector_t *weights)
{
    for (size_t i = 0; i < w->ndarcs; i++) {
        uint64_t k = w->darcs[i].key;
        w->darcs[i].key =
            ((uint64_t)vidx[k >> 32] << 32) | (uint64_t)vidx[k & 0xffffffffu];
    }
    if (w->ndarcs)
        qsort(w->darcs, w->ndarcs, sizeof *w->darcs, cmp_arcslot);
    igraph_integer_t m0 = igraph_ecount(&o->graph);
    igraph_integer_t m = m0 + (igraph_integer_t)w->nnew;
    if (igraph_vector_int_init(from, m))
        return -ENOMEM;
    if (igraph_vector_int_init(to, m)) {
        igraph_vector_int_destroy(from);
        return -ENOMEM;
    }
    if (igraph_vector_init(weights, m)) {
        igraph_vector_int_destroy(to);
        igraph_vector_int_destroy(from);
        return -ENOMEM;
    }
    const igraph_integer_t *of = VECTOR(o->graph.from),
                           *ot = VECTOR(o->graph.to);
    const double *ow = VECTOR(o->weights);
    igraph_integer_t *nf = VECTOR(*from), *nt = VECTOR(*to);
    double *nw = VECTOR(*weights);
    size_t j = 0;
    igraph_integer_t k = 0;
    for (igraph_integer_t e = 0; e < m0; e++) {
        uint64_t a = (uint64_t)nidx[of[e]], b = (uint64_t)nidx[ot[e]];
        uint64_t key = (a << 32) | b;
        while (j < w->ndarcs && w->darcs[j].key < key) {
            nf[k] = (igraph_integer_t)(w->darcs[j].key >> 32);
            nt[k] = (igraph_integer_t)(w->darcs[j].key & 0xffffffffu);
            nw[k++] = w->darcs[j++].w;
        }
        nf[k] = (igraph_integer_t)a;
        nt[k] = (igraph_integer_t)b;
        if (j < w->ndarcs && w->darcs[j].key == key)
            nw[k++] = w->darcs[j++].w;
        else
            nw[k++] = ow[e];
    }
    for (; j < w->ndarcs; j++) {
        nf[k] = (igraph_integer_t)(w->darcs[j].key >> 32);
        nt[k] = (igraph_integer_t)(w->darcs[j].key & 0xffffffffu);
        nw[k++] = w->darcs[j].w;
    }
    return k == m ? 0 : -EIO; /* -EIO: the old view was not as recorded */
}

/* Make the view of one window; group_of_value maps value index to group
 * index (shared numbering). keys: person key by pid (borrowed). o: the
 * view to build from incrementally, or NULL. */
/* within: the people outside every scope (for incremental builds), the
 * count of them, and the excluded people of each scope, into v. */
static int scoped_counts(const struct snapshot *s, const struct window *w,
                         const view_spec_t *spec, view_t *v,
                         struct view_inc *inc)
{
    if (!spec->within)
        return 0;
    if (!(v->within = strdup(spec->within)))
        return -ENOMEM;
    v->outside = w->outside;
    size_t no = 0;
    for (int64_t p = 1; p <= s->maxpid; p++)
        no += w->outside_seen[p];
    if (!(inc->opid = malloc((no ? no : 1) * sizeof *inc->opid)))
        return -ENOMEM;
    for (int64_t p = 1; p <= s->maxpid; p++)
        if (w->outside_seen[p])
            inc->opid[inc->no++] = (uint32_t)p;
    int64_t *per = calloc(s->nscopes ? s->nscopes : 1, sizeof *per);
    if (!per)
        return -ENOMEM;
    for (size_t i = 0; i < inc->nx; i++)
        if (s->pid_scope[inc->xpid[i]] >= 0)
            per[s->pid_scope[inc->xpid[i]]]++;
    size_t n = 0;
    for (size_t i = 0; i < s->nscopes; i++)
        n += per[i] > 0;
    v->xscope = calloc(n ? n : 1, sizeof *v->xscope);
    v->xcount = calloc(n ? n : 1, sizeof *v->xcount);
    if (!v->xscope || !v->xcount) {
        free(per);
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->nscopes; i++) {
        if (!per[i])
            continue;
        if (!(v->xscope[v->nxscope] = strdup(s->scopes[i]))) {
            free(per);
            return -ENOMEM;
        }
        v->xcount[v->nxscope++] = per[i];
    }
    free(per);
    return 0;
}

static view_t *assemble(const struct snapshot *s, struct window *w,
                        const view_spec_t *spec, const uint8_t *in_view,
                        size_t n, char **keys, const int32_t *group_of_value,
                        const view_t *o, const int64_t hw[3], char *err,
                        size_t errlen)
{
    view_t *v = calloc(1, sizeof *v);
    struct keyed *order = malloc((n ? n : 1) * sizeof *order);
    int32_t *vidx = malloc(((size_t)s->maxpid + 1) * sizeof *vidx);
    int32_t *nidx = NULL;
    struct view_inc *inc = calloc(1, sizeof *inc);
    igraph_vector_int_t from, to;
    bool have_el = false, have_w = false, have_group = false;
    size_t n0 = o ? (size_t)igraph_vcount(&o->graph) : 0;
    int rc;
    if (!v || !order || !vidx || !inc)
        goto oom;
    atomic_init(&v->refs, 1);
    v->memfd = -1;
    pthread_mutex_init(&v->memfd_lock, NULL);
    if (!(inc->vpid = malloc((n ? n : 1) * sizeof *inc->vpid)))
        goto oom;
    if (!o) {
        size_t k = 0;
        for (int64_t p = 1; p <= s->maxpid; p++)
            if (in_view[p])
                order[k++] = (struct keyed){p, keys[p]};
        qsort(order, n, sizeof *order, cmp_keyed);
    } else {
        /* The new people in key order, merged into the old order. */
        uint8_t *old = calloc((size_t)s->maxpid + 1, 1);
        if (!old)
            goto oom;
        for (size_t i = 0; i < n0; i++)
            old[o->inc->vpid[i]] = 1;
        size_t k = n0;
        for (int64_t p = 1; p <= s->maxpid; p++)
            if (in_view[p] && !old[p])
                order[k++] = (struct keyed){p, keys[p]};
        free(old);
        qsort(order + n0, n - n0, sizeof *order, cmp_keyed);
        struct keyed *fresh = malloc((n - n0 ? n - n0 : 1) * sizeof *fresh);
        if (!fresh || !(nidx = malloc((n0 ? n0 : 1) * sizeof *nidx))) {
            free(fresh);
            goto oom;
        }
        memcpy(fresh, order + n0, (n - n0) * sizeof *fresh);
        size_t i = 0, j = 0;
        k = 0;
        while (i < n0 || j < n - n0) {
            if (j == n - n0 ||
                (i < n0 && strcmp(o->keys[i], fresh[j].key) < 0)) {
                nidx[i] = (int32_t)k;
                order[k++] = (struct keyed){o->inc->vpid[i], o->keys[i]};
                i++;
            } else {
                order[k++] = fresh[j++];
            }
        }
        free(fresh);
    }
    v->keys = calloc(n ? n : 1, sizeof *v->keys);
    if (!v->keys)
        goto oom;
    if (igraph_vector_int_init(&v->group, (igraph_integer_t)n))
        goto oom;
    have_group = true;
    for (size_t i = 0; i < n; i++) {
        vidx[order[i].pid] = (int32_t)i;
        inc->vpid[i] = (uint32_t)order[i].pid;
        if (!(v->keys[i] = strdup(order[i].key)))
            goto oom;
        VECTOR(v->group)[i] = group_of_value[s->pid_value[order[i].pid]];
    }
    free(order);
    order = NULL;
    rc = o ? merge_arcs_inc(w, o, nidx, vidx, &from, &to, &v->weights)
           : sort_arcs_full(w, vidx, n, &from, &to, &v->weights);
    if (rc < 0) {
        snprintf(err, errlen, "%s building the view",
                 rc == -ENOMEM ? "out of memory" : "inconsistent data");
        goto fail;
    }
    have_el = have_w = true;
    if (graph_from_sorted(&v->graph, (igraph_integer_t)n, &from, &to) < 0)
        goto oom;
    have_el = false;
    v->pub.graph = &v->graph; /* from here view_free cleans up */
    size_t m = (size_t)igraph_ecount(&v->graph);
    free(vidx);
    free(nidx);
    vidx = nidx = NULL;
    /* Incremental state: excluded people and side table. */
    for (int64_t p = 1; p <= s->maxpid; p++)
        inc->nx += w->excluded_seen[p];
    if (!(inc->xpid = malloc((inc->nx ? inc->nx : 1) * sizeof *inc->xpid)))
        goto oom_view;
    inc->nx = 0;
    for (int64_t p = 1; p <= s->maxpid; p++)
        if (w->excluded_seen[p])
            inc->xpid[inc->nx++] = (uint32_t)p;
    if (scoped_counts(s, w, spec, v, inc) < 0)
        goto oom_view;
    inc->exact = w->exact;
    inc->total = w->total;
    if (!w->exact) {
        inc->side = w->side;
        inc->nside = w->nside;
        w->side = NULL;
    }
    inc->hw_rid = hw[0];
    inc->hw_eid = hw[1];
    inc->hw_pid = hw[2];
    v->inc = inc;
    v->boundary = strdup(spec->boundary);
    v->pub.size = sizeof v->pub;
    v->pub.weights = &v->weights;
    v->pub.group = &v->group;
    v->pub.keys = (const char *const *)v->keys;
    v->pub.boundary = v->boundary;
    v->pub.from = spec->from;
    v->pub.to = spec->to;
    v->pub.excluded = w->excluded;
    v->bytes = sizeof *v + n * 52 + m * 40 + inc->nside * sizeof *inc->side;
    if (!v->boundary) {
        view_free(v);
        snprintf(err, errlen, "out of memory building the view");
        return NULL;
    }
    return v;
oom_view:
    inc_free(inc);
    view_free(v);
    snprintf(err, errlen, "out of memory building the view");
    return NULL;
oom:
    snprintf(err, errlen, "out of memory building the view");
fail:
    if (have_el) {
        igraph_vector_int_destroy(&from);
        igraph_vector_int_destroy(&to);
    }
    if (have_w)
        igraph_vector_destroy(&v->weights);
    if (v && v->keys)
        for (size_t i = 0; i < n; i++)
            free(v->keys[i]);
    if (v)
        free(v->keys);
    if (have_group)
        igraph_vector_int_destroy(&v->group);
    if (v)
        pthread_mutex_destroy(&v->memfd_lock);
    free(v);
    free(order);
    free(vidx);
    free(nidx);
    inc_free(inc);
    return NULL;
}

static void window_free(struct window *w)
{
    arcmap_free(&w->arcs);
    arcmap_free(&w->earcs);
    free(w->list);
    free(w->excluded_seen);
    free(w->outside_seen);
    free(w->side);
    free(w->darcs);
    memset(w, 0, sizeof *w); /* freed again at the end of view_build */
}

/* Whether the view prev (same spec) can be brought up to the snapshot from
 * new rows alone: built from an older snapshot of this store with only
 * appends since. */
static bool can_increment(struct snapshot *s, const view_t *prev,
                          const view_spec_t *spec, bool with_base,
                          int64_t version)
{
    int64_t rewrite;
    if (!prev || !prev->inc || prev->data_version > version ||
        (prev->baseline != NULL) != with_base ||
        (with_base && !prev->baseline->inc) ||
        strcmp(prev->boundary, spec->boundary) != 0 ||
        prev->pub.from != spec->from || prev->pub.to != spec->to ||
        prev->inc->hw_pid > s->maxpid)
        return false;
    if (store_read_rewrite_version(s->db, &rewrite) < 0)
        return false;
    return rewrite <= prev->data_version;
}

int view_build(store_t *store, const view_spec_t *spec,
               const view_spec_t *baseline, view_t **out, char *err,
               size_t errlen)
{
    return view_build_from(store, spec, baseline, NULL, out, err, errlen);
}

/* Whether n groups of boundary are more than max allows (0: the default);
 * then the reason is in err. Analyses make tables of n^2 group pairs: an
 * attribute that is really an id (30,000 values: 9e8 rows) must be
 * refused before any of that is allocated. */
static bool groups_refused(const char *boundary, size_t n, size_t max,
                           char *err, size_t errlen)
{
    if (!max)
        max = CONFIG_DEFAULT_MAX_GROUPS;
    if (n <= max)
        return false;
    snprintf(err, errlen,
             "boundary \"%.64s\" has %zu groups in this view, more than "
             "max_groups (%zu): its group-pair tables would have %.3g rows",
             boundary, n, max, (double)n * (double)n);
    return true;
}

int view_check_groups(const view_t *v, size_t max, char *err, size_t errlen)
{
    return groups_refused(v->boundary ? v->boundary : "",
                          (size_t)v->pub.ngroups, max, err, errlen)
               ? -1
               : 0;
}

int view_build_from(store_t *store, const view_spec_t *spec,
                    const view_spec_t *baseline, const view_t *prev,
                    view_t **out, char *err, size_t errlen)
{
    struct snapshot s = {0};
    struct window win[2];
    memset(win, 0, sizeof win);
    uint8_t *in_view[2] = {NULL, NULL};
    size_t nv[2] = {0, 0};
    char **keys = NULL;
    uint8_t *owned = NULL;
    int32_t *oidx = NULL;
    int32_t *group_of_value = NULL;
    view_t *views[2] = {NULL, NULL};
    int nwin = baseline ? 2 : 1, rc = -1;
    int64_t version = 0, hw[3] = {0, 0, 0};
    const view_spec_t *specs[2] = {spec, baseline};
    const view_t *olds[2] = {NULL, NULL};

    s.db = store_read_begin(store, &version, err, errlen);
    if (!s.db)
        return -1;
    s.event_weighting = spec->event_weighting;
    if (read_values(&s, spec->boundary, err, errlen) < 0 ||
        (spec->keep_unvalued && keep_unvalued(&s, err, errlen) < 0) ||
        read_mask(&s, spec, err, errlen) < 0 ||
        (spec->within && read_scopes(&s, spec->within, err, errlen) < 0))
        goto out;
    if (store_query_int(s.db, "SELECT coalesce(max(rid), 0) FROM record",
                        &hw[0]) < 0 ||
        store_query_int(s.db, "SELECT coalesce(max(eid), 0) FROM event",
                        &hw[1]) < 0) {
        snprintf(err, errlen, "view: %s", sqlite3_errmsg(s.db));
        goto out;
    }
    hw[2] = s.maxpid;
    if (can_increment(&s, prev, spec, baseline != NULL, version)) {
        olds[0] = prev;
        olds[1] = prev->baseline;
    }
    for (int k = 0; k < nwin; k++) {
        const view_t *o = olds[k];
        struct window *w = &win[k];
        w->excluded_seen = calloc((size_t)s.maxpid + 1, 1);
        in_view[k] = calloc((size_t)s.maxpid + 1, 1);
        if (s.pid_scope)
            w->outside_seen = calloc((size_t)s.maxpid + 1, 1);
        if (!w->excluded_seen || !in_view[k] ||
            (s.pid_scope && !w->outside_seen))
            goto oom;
        bool exact = true;
        for (;;) {
            if (o) {
                w->delta = true;
                for (size_t i = 0; i < o->inc->nx; i++)
                    w->excluded_seen[o->inc->xpid[i]] = 1;
                w->excluded = (int64_t)o->inc->nx;
                for (size_t i = 0; w->outside_seen && i < o->inc->no; i++)
                    w->outside_seen[o->inc->opid[i]] = 1;
                w->outside = w->outside_seen ? (int64_t)o->inc->no : 0;
                w->exact = o->inc->exact;
                w->total = o->inc->total;
            } else {
                w->exact = exact;
            }
            int rrc = read_window(&s, specs[k], w, o ? o->inc->hw_rid : 0,
                                  o ? o->inc->hw_eid : 0, err, errlen);
            if (rrc == -1)
                goto out;
            /* Again, in full, keeping the parts apart: an inexact event
             * weight after exact ones (-EAGAIN), or inexact new weights
             * for an exact view (which keeps no parts). */
            if (rrc == -EAGAIN || (o && o->inc->exact && !w->exact)) {
                uint8_t *seen = w->excluded_seen, *oseen = w->outside_seen;
                w->excluded_seen = w->outside_seen = NULL;
                window_free(w);
                memset(seen, 0, (size_t)s.maxpid + 1);
                w->excluded_seen = seen;
                if (oseen)
                    memset(oseen, 0, (size_t)s.maxpid + 1);
                w->outside_seen = oseen;
                exact = rrc != -EAGAIN;
                o = olds[k] = NULL;
                continue;
            }
            break;
        }
        if (o) {
            free(oidx);
            oidx = malloc(((size_t)s.maxpid + 1) * sizeof *oidx);
            if (!oidx)
                goto oom;
            memset(oidx, 0xff, ((size_t)s.maxpid + 1) * sizeof *oidx);
            igraph_integer_t n0 = igraph_vcount(&o->graph);
            for (igraph_integer_t i = 0; i < n0; i++)
                oidx[o->inc->vpid[i]] = (int32_t)i;
            if (delta_arcs(w, o, oidx) < 0)
                goto oom;
            nv[k] = mark_vertices_inc(&s, w, o, specs[k]->isolates, in_view[k]);
        } else {
            if (merge_events(w) < 0)
                goto oom;
            nv[k] = mark_vertices(&s, w, specs[k]->isolates, in_view[k]);
        }
    }
    /* Person keys of everyone in either view: borrowed from the old views
     * where they were there, else read. */
    keys = calloc((size_t)s.maxpid + 1, sizeof *keys);
    owned = calloc((size_t)s.maxpid + 1, 1);
    group_of_value =
        malloc((s.nvalues ? s.nvalues : 1) * sizeof *group_of_value);
    if (!keys || !owned || !group_of_value)
        goto oom;
    size_t missing = 0;
    for (int k = 0; k < nwin; k++) {
        igraph_integer_t n0 = olds[k] ? igraph_vcount(&olds[k]->graph) : 0;
        for (igraph_integer_t i = 0; i < n0; i++)
            keys[olds[k]->inc->vpid[i]] = olds[k]->keys[i];
    }
    for (int64_t p = 1; p <= s.maxpid; p++)
        missing += !keys[p] && (in_view[0][p] || (in_view[1] && in_view[1][p]));
    sqlite3_stmt *st;
    bool by_pid = olds[0] && missing < (size_t)s.maxpid / 8;
    if (sqlite3_prepare_v2(s.db,
                           by_pid ? "SELECT pid, key FROM person WHERE pid = ?1"
                                  : "SELECT pid, key FROM person",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "view: %s", sqlite3_errmsg(s.db));
        goto out;
    }
    int step = SQLITE_DONE;
    for (int64_t q = 1; q <= (by_pid ? s.maxpid : 1); q++) {
        if (by_pid) {
            if (keys[q] || !(in_view[0][q] || (in_view[1] && in_view[1][q])))
                continue;
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, q);
        }
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t pid = sqlite3_column_int64(st, 0);
            if (pid < 1 || pid > s.maxpid || keys[pid] ||
                !(in_view[0][pid] || (in_view[1] && in_view[1][pid])))
                continue;
            if (!(keys[pid] =
                      strdup((const char *)sqlite3_column_text(st, 1)))) {
                step = SQLITE_NOMEM;
                break;
            }
            owned[pid] = 1;
        }
        if (step != SQLITE_DONE)
            break;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        goto oom;
    for (int64_t p = 1; p <= s.maxpid; p++)
        if (!keys[p] && (in_view[0][p] || (in_view[1] && in_view[1][p]))) {
            snprintf(err, errlen, "view: a person of the view has no key");
            goto out;
        }
    /* Groups: the values present in either view, in byte order. */
    uint8_t *used = calloc(s.nvalues ? s.nvalues : 1, 1);
    if (!used)
        goto oom;
    for (int k = 0; k < nwin; k++)
        for (int64_t p = 1; p <= s.maxpid; p++)
            if (in_view[k][p])
                used[s.pid_value[p]] = 1;
    igraph_integer_t ngroups = 0;
    for (size_t i = 0; i < s.nvalues; i++)
        group_of_value[i] = used[i] ? (int32_t)ngroups++ : -1;
    if (groups_refused(spec->boundary, (size_t)ngroups, spec->max_groups, err,
                       errlen)) {
        free(used);
        goto out;
    }
    char **names = calloc(ngroups ? (size_t)ngroups : 1, sizeof *names);
    if (!names) {
        free(used);
        goto oom;
    }
    for (size_t i = 0; i < s.nvalues; i++)
        if (used[i])
            names[group_of_value[i]] = s.values[i], s.values[i] = NULL;
    free(used);
    for (int k = 0; k < nwin; k++) {
        view_igraph_lock();
        views[k] = assemble(&s, &win[k], specs[k], in_view[k], nv[k], keys,
                            group_of_value, olds[k], hw, err, errlen);
        view_igraph_unlock();
        window_free(&win[k]);
        if (!views[k]) {
            if (k == 0) {
                for (igraph_integer_t g = 0; g < ngroups; g++)
                    free(names[g]);
                free(names);
            }
            goto out;
        }
        views[k]->group_names = names;
        views[k]->owns_groups = k == 0;
        views[k]->pub.group_names = (const char *const *)names;
        views[k]->pub.ngroups = ngroups;
        views[k]->data_version = version;
        views[k]->incremental = olds[k] != NULL;
    }
    if (load_attrs(s.db, s.maxpid, spec, views, err, errlen) < 0)
        goto out;
    if (views[1]) {
        views[0]->baseline = views[1];
        views[0]->pub.baseline = &views[1]->pub;
        views[0]->bytes += views[1]->bytes;
        views[1] = NULL;
    }
    *out = views[0];
    views[0] = NULL;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory building the view");
out:
    view_unref(views[1]);
    view_unref(views[0]);
    store_read_end(store, s.db);
    for (int k = 0; k < 2; k++) {
        window_free(&win[k]);
        free(in_view[k]);
    }
    if (keys)
        for (int64_t p = 0; p <= s.maxpid; p++)
            if (owned && owned[p])
                free(keys[p]);
    free(keys);
    free(owned);
    free(oidx);
    free(group_of_value);
    for (size_t i = 0; i < s.nvalues; i++)
        free(s.values[i]);
    free(s.values);
    free(s.pid_value);
    free(s.masked);
    free(s.pid_scope);
    for (size_t i = 0; i < s.nscopes; i++)
        free(s.scopes[i]);
    free(s.scopes);
    return rc;
}

static int put_spec(buf_t *b, const view_spec_t *sp)
{
    if (buf_printf(b, "%" PRId64 "|%" PRId64 "|%d|%zu:%s|", sp->from, sp->to,
                   sp->isolates, strlen(sp->boundary), sp->boundary) < 0)
        return -1;
    if (!sp->kinds) {
        if (buf_puts(b, "*") < 0)
            return -1;
    } else {
        for (size_t i = 0; i < sp->nkinds; i++)
            if (buf_printf(b, "%zu:%s,", strlen(sp->kinds[i]), sp->kinds[i]) <
                0)
                return -1;
    }
    if (buf_printf(b, "|a%d%d:", sp->all_attrs, sp->keep_unvalued) < 0)
        return -1;
    for (size_t i = 0; i < sp->nattrs; i++)
        if (buf_printf(b, "%zu:%s,", strlen(sp->attrs[i]), sp->attrs[i]) < 0)
            return -1;
    return view_spec_put_scope(b, sp);
}

static int put_lstr(buf_t *b, const char *s)
{
    return buf_printf(b, "%zu:%s", strlen(s), s);
}

static int put_conds(buf_t *b, const view_cond_t *c, size_t n)
{
    if (buf_printf(b, "%zu[", n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (put_lstr(b, c[i].attr) < 0 ||
            buf_printf(b, "=%zu(", c[i].nvalues) < 0)
            return -1;
        for (size_t j = 0; j < c[i].nvalues; j++)
            if (put_lstr(b, c[i].values[j]) < 0)
                return -1;
        if (buf_puts(b, ")") < 0)
            return -1;
    }
    return buf_puts(b, "]");
}

int view_spec_put_scope(buf_t *b, const view_spec_t *sp)
{
    if (!sp->nwhere && !sp->nwithout_ids && !sp->nwithout_where &&
        !sp->event_weighting && !sp->within)
        return 0; /* the key of a plain view stays as it was */
    if (buf_puts(b, "|w") < 0 || put_conds(b, sp->where, sp->nwhere) < 0 ||
        buf_printf(b, "|x%zu[", sp->nwithout_ids) < 0)
        return -1;
    for (size_t i = 0; i < sp->nwithout_ids; i++)
        if (put_lstr(b, sp->without_ids[i]) < 0)
            return -1;
    if (buf_puts(b, "]") < 0 ||
        put_conds(b, sp->without_where, sp->nwithout_where) < 0 ||
        buf_printf(b, "|e%d|s", sp->event_weighting) < 0 ||
        (sp->within && put_lstr(b, sp->within) < 0))
        return -1;
    return 0;
}

static void conds_free(view_cond_t *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++) {
        free(c[i].attr);
        for (size_t j = 0; c[i].values && j < c[i].nvalues; j++)
            free(c[i].values[j]);
        free(c[i].values);
    }
    free(c);
}

static int conds_copy(view_cond_t **dst, size_t *nd, const view_cond_t *c,
                      size_t n)
{
    *nd = 0;
    if (!n)
        return 0;
    if (!(*dst = calloc(n, sizeof **dst)))
        return -ENOMEM;
    *nd = n;
    for (size_t i = 0; i < n; i++) {
        view_cond_t *d = &(*dst)[i];
        if (!(d->attr = strdup(c[i].attr)) ||
            !(d->values =
                  calloc(c[i].nvalues ? c[i].nvalues : 1, sizeof *d->values)))
            return -ENOMEM;
        for (; d->nvalues < c[i].nvalues; d->nvalues++)
            if (!(d->values[d->nvalues] = strdup(c[i].values[d->nvalues])))
                return -ENOMEM;
    }
    return 0;
}

int view_spec_copy_scope(view_spec_t *dst, const view_spec_t *src)
{
    if (conds_copy(&dst->where, &dst->nwhere, src->where, src->nwhere) < 0 ||
        conds_copy(&dst->without_where, &dst->nwithout_where,
                   src->without_where, src->nwithout_where) < 0)
        return -ENOMEM;
    if (src->nwithout_ids) {
        if (!(dst->without_ids =
                  calloc(src->nwithout_ids, sizeof *dst->without_ids)))
            return -ENOMEM;
        for (; dst->nwithout_ids < src->nwithout_ids; dst->nwithout_ids++)
            if (!(dst->without_ids[dst->nwithout_ids] =
                      strdup(src->without_ids[dst->nwithout_ids])))
                return -ENOMEM;
    }
    dst->event_weighting = src->event_weighting;
    if (src->within && !(dst->within = strdup(src->within)))
        return -ENOMEM;
    for (size_t i = 0; i < src->nattrs; i++)
        if (view_spec_add_attr(dst, src->attrs[i]) < 0)
            return -ENOMEM;
    return 0;
}

char *view_spec_key(const view_spec_t *spec, const view_spec_t *baseline)
{
    buf_t b = BUF_INIT;
    if (put_spec(&b, spec) < 0 ||
        (baseline && (buf_puts(&b, "#") < 0 || put_spec(&b, baseline) < 0))) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}

void view_spec_free(view_spec_t *spec)
{
    for (size_t i = 0; spec->kinds && i < spec->nkinds; i++)
        free(spec->kinds[i]);
    free(spec->kinds);
    for (size_t i = 0; spec->attrs && i < spec->nattrs; i++)
        free(spec->attrs[i]);
    free(spec->attrs);
    conds_free(spec->where, spec->nwhere);
    conds_free(spec->without_where, spec->nwithout_where);
    for (size_t i = 0; spec->without_ids && i < spec->nwithout_ids; i++)
        free(spec->without_ids[i]);
    free(spec->without_ids);
    free(spec->within);
    free(spec->boundary);
    memset(spec, 0, sizeof *spec);
}

/* ---- serialized views, for analysis children ---------------------------
 *
 * Layout (native byte order: the reader is this same binary): a header of
 * int64 fields, then int64 arc endpoints, double weights, int64 groups,
 * and NUL-terminated strings (boundary, group names, keys). A baseline
 * follows its main view with its own header; group names are written
 * once, with the main view. */

#define VIEW_MAGIC INT64_C(0x5350414E44564945) /* "SPANDVIE" */

/* Bytes put_view() writes for v. */
static size_t view_file_bytes(const view_t *v, bool with_groups)
{
    size_t n = (size_t)igraph_vcount(&v->graph),
           m = (size_t)igraph_ecount(&v->graph);
    size_t bytes = 9 * sizeof(int64_t) +
                   m * (2 * sizeof(int64_t) + sizeof(double)) +
                   n * sizeof(int64_t) + strlen(v->boundary) + 1;
    for (igraph_integer_t g = 0; with_groups && g < v->pub.ngroups; g++)
        bytes += strlen(v->group_names[g]) + 1;
    for (size_t i = 0; i < n; i++)
        bytes += strlen(v->keys[i]) + 1;
    bytes += sizeof(int64_t);
    for (size_t a = 0; a < v->nattrs; a++) {
        const struct view_attrcol *c = &v->attr_cols[a];
        bytes += strlen(v->attr_names[a]) + 1 + sizeof(int64_t) +
                 n * sizeof(int32_t);
        for (size_t x = 0; x < c->nvalues; x++)
            bytes += strlen(c->values[x]) + 1;
    }
    bytes += (v->within ? strlen(v->within) : 0) + 1 + 2 * sizeof(int64_t);
    for (size_t i = 0; i < v->nxscope; i++)
        bytes += strlen(v->xscope[i]) + 1 + sizeof(int64_t);
    return bytes;
}

static char *put_bytes(char *p, const void *data, size_t len)
{
    memcpy(p, data, len);
    return p + len;
}

/* The carried attributes: their count, then each one's name, count of
 * values, values, and value index (int32, -1: none) by vertex. */
static char *put_attrs(char *p, const view_t *v)
{
    size_t n = (size_t)igraph_vcount(&v->graph);
    int64_t na = (int64_t)v->nattrs;
    p = put_bytes(p, &na, sizeof na);
    for (size_t a = 0; a < v->nattrs; a++) {
        const struct view_attrcol *c = &v->attr_cols[a];
        int64_t nv = (int64_t)c->nvalues;
        p = put_bytes(p, v->attr_names[a], strlen(v->attr_names[a]) + 1);
        p = put_bytes(p, &nv, sizeof nv);
        for (size_t x = 0; x < c->nvalues; x++)
            p = put_bytes(p, c->values[x], strlen(c->values[x]) + 1);
        p = put_bytes(p, c->idx, n * sizeof *c->idx);
    }
    /* within: the attribute ("" none), outside count, excluded by scope */
    const char *within = v->within ? v->within : "";
    int64_t nums[2] = {v->outside, (int64_t)v->nxscope};
    p = put_bytes(p, within, strlen(within) + 1);
    p = put_bytes(p, nums, sizeof nums);
    for (size_t i = 0; i < v->nxscope; i++) {
        p = put_bytes(p, v->xscope[i], strlen(v->xscope[i]) + 1);
        p = put_bytes(p, &v->xcount[i], sizeof v->xcount[i]);
    }
    return p;
}

/* Write v at p (view_file_bytes(v) of room); returns the end. */
static char *put_view(char *p, const view_t *v, bool with_groups)
{
    igraph_integer_t n = igraph_vcount(&v->graph), m = igraph_ecount(&v->graph);
    int64_t head[9] = {
        VIEW_MAGIC,         n,           m,         v->pub.ngroups,
        v->pub.excluded,    v->pub.from, v->pub.to, v->data_version,
        v->baseline != NULL};
    memcpy(p, head, sizeof head);
    p += sizeof head;
    for (igraph_integer_t e = 0; e < m; e++) {
        int64_t ends[2] = {IGRAPH_FROM(&v->graph, e), IGRAPH_TO(&v->graph, e)};
        memcpy(p, ends, sizeof ends);
        p += sizeof ends;
    }
    memcpy(p, VECTOR(v->weights), (size_t)m * sizeof(double));
    p += (size_t)m * sizeof(double);
    for (igraph_integer_t i = 0; i < n; i++) {
        int64_t g = VECTOR(v->group)[i];
        memcpy(p, &g, sizeof g);
        p += sizeof g;
    }
    size_t len = strlen(v->boundary) + 1;
    memcpy(p, v->boundary, len);
    p += len;
    for (igraph_integer_t g = 0; with_groups && g < v->pub.ngroups; g++) {
        len = strlen(v->group_names[g]) + 1;
        memcpy(p, v->group_names[g], len);
        p += len;
    }
    for (igraph_integer_t i = 0; i < n; i++) {
        len = strlen(v->keys[i]) + 1;
        memcpy(p, v->keys[i], len);
        p += len;
    }
    return put_attrs(p, v);
}

int view_memfd(view_t *v)
{
    pthread_mutex_lock(&v->memfd_lock);
    if (v->memfd >= 0) {
        pthread_mutex_unlock(&v->memfd_lock);
        return v->memfd;
    }
    /* Written in place through a shared mapping (one pass, no buffer
     * growing by copies), unmapped, then sealed: no child can change what
     * the next one reads. */
    size_t bytes = view_file_bytes(v, true) +
                   (v->baseline ? view_file_bytes(v->baseline, false) : 0);
    int fd = memfd_create("spand-view", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    void *map = MAP_FAILED;
    if (fd >= 0 && ftruncate(fd, (off_t)bytes) == 0)
        map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map != MAP_FAILED) {
        char *end = put_view(map, v, true);
        if (v->baseline)
            end = put_view(end, v->baseline, false);
        size_t wrote = (size_t)(end - (char *)map);
        munmap(map, bytes);
        if (wrote != bytes || fcntl(fd, F_ADD_SEALS,
                                    F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
                                        F_SEAL_SEAL) < 0) {
            close(fd);
            fd = -1;
        }
    } else if (fd >= 0) {
        close(fd);
        fd = -1;
    }
    v->memfd = fd;
    pthread_mutex_unlock(&v->memfd_lock);
    return fd;
}

struct reader {
    const char *p, *end;
};

static int take(struct reader *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return -1;
    memcpy(out, r->p, n);
    r->p += n;
    return 0;
}

static char *take_str(struct reader *r)
{
    const char *nul = memchr(r->p, '\0', (size_t)(r->end - r->p));
    if (!nul)
        return NULL;
    char *s = strdup(r->p);
    r->p = nul + 1;
    return s;
}

/* The graph of edge list el on n vertices. Views are written with their
 * arcs in (from, to) order, which graph_from_sorted() lays out in one
 * pass; anything else (not written by this binary's view_build) goes
 * through igraph_create. 0 or -1. */
static int load_graph(igraph_t *g, const igraph_vector_int_t *el,
                      igraph_integer_t n)
{
    igraph_integer_t m = igraph_vector_int_size(el) / 2;
    const igraph_integer_t *x = VECTOR(*el);
    bool sorted = true;
    for (igraph_integer_t e = 1; sorted && e < m; e++)
        sorted = x[2 * e - 2] < x[2 * e] ||
                 (x[2 * e - 2] == x[2 * e] && x[2 * e - 1] < x[2 * e + 1]);
    if (!sorted)
        return igraph_create(g, el, n, IGRAPH_DIRECTED) ? -1 : 0;
    igraph_vector_int_t from, to;
    if (igraph_vector_int_init(&from, m))
        return -1;
    if (igraph_vector_int_init(&to, m)) {
        igraph_vector_int_destroy(&from);
        return -1;
    }
    for (igraph_integer_t e = 0; e < m; e++) {
        VECTOR(from)[e] = x[2 * e];
        VECTOR(to)[e] = x[2 * e + 1];
    }
    if (graph_from_sorted(g, n, &from, &to) < 0) {
        igraph_vector_int_destroy(&from);
        igraph_vector_int_destroy(&to);
        return -1;
    }
    return 0;
}

/* What put_attrs wrote, into v (n vertices); 0 or -1. */
static int get_attrs(struct reader *r, view_t *v, size_t n)
{
    int64_t na;
    if (take(r, &na, sizeof na) < 0 || na < 0 ||
        (uint64_t)na > (uint64_t)(r->end - r->p) ||
        attrs_alloc(v, (size_t)na) < 0)
        return -1;
    for (size_t a = 0; a < v->nattrs; a++) {
        struct view_attrcol *c = &v->attr_cols[a];
        int64_t nv;
        if (!(v->attr_names[a] = take_str(r)) ||
            (a && strcmp(v->attr_names[a - 1], v->attr_names[a]) >= 0) ||
            take(r, &nv, sizeof nv) < 0 || nv < 0 ||
            (uint64_t)nv > (uint64_t)(r->end - r->p) ||
            !(c->values = calloc(nv ? (size_t)nv : 1, sizeof *c->values)))
            return -1;
        for (; c->nvalues < (size_t)nv; c->nvalues++)
            if (!(c->values[c->nvalues] = take_str(r)))
                return -1;
        if (!(c->idx = malloc((n ? n : 1) * sizeof *c->idx)) ||
            take(r, c->idx, n * sizeof *c->idx) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (c->idx[i] < -1 || c->idx[i] >= nv)
                return -1;
    }
    int64_t nums[2];
    char *within = take_str(r);
    if (!within || take(r, nums, sizeof nums) < 0 || nums[1] < 0 ||
        (uint64_t)nums[1] > (uint64_t)(r->end - r->p)) {
        free(within);
        return -1;
    }
    if (!*within) {
        free(within);
        within = NULL;
    }
    v->within = within;
    v->outside = nums[0];
    if (!nums[1])
        return 0;
    if (!(v->xscope = calloc((size_t)nums[1], sizeof *v->xscope)) ||
        !(v->xcount = calloc((size_t)nums[1], sizeof *v->xcount)))
        return -1;
    for (; v->nxscope < (size_t)nums[1]; v->nxscope++)
        if (!(v->xscope[v->nxscope] = take_str(r)) ||
            take(r, &v->xcount[v->nxscope], sizeof *v->xcount) < 0) {
            v->nxscope++; /* so that the name read is freed */
            return -1;
        }
    return 0;
}

/* One view; names is NULL for a baseline (its group names are the main
 * view's), else receives the group names read. */
static view_t *get_view(struct reader *r, char ***names, igraph_integer_t *ng,
                        bool *has_baseline)
{
    int64_t head[9];
    if (take(r, head, sizeof head) < 0 || head[0] != VIEW_MAGIC ||
        head[1] < 0 || head[2] < 0 || head[3] < 0)
        return NULL;
    igraph_integer_t n = head[1], m = head[2];
    view_t *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    atomic_init(&v->refs, 1);
    v->memfd = -1;
    pthread_mutex_init(&v->memfd_lock, NULL);
    igraph_vector_int_t el;
    if (igraph_vector_int_init(&el, 2 * m)) {
        free(v);
        return NULL;
    }
    _Static_assert(sizeof(igraph_integer_t) == sizeof(int64_t),
                   "the file's int64 arrays are read as igraph integers");
    bool ok = take(r, VECTOR(el), (size_t)(2 * m) * sizeof(int64_t)) == 0;
    for (igraph_integer_t i = 0; ok && i < 2 * m; i++)
        ok = VECTOR(el)[i] >= 0 && VECTOR(el)[i] < n;
    if (!ok || igraph_vector_init(&v->weights, m)) {
        igraph_vector_int_destroy(&el);
        free(v);
        return NULL;
    }
    if (take(r, VECTOR(v->weights), (size_t)m * sizeof(double)) < 0 ||
        igraph_vector_int_init(&v->group, n)) {
        igraph_vector_destroy(&v->weights);
        igraph_vector_int_destroy(&el);
        free(v);
        return NULL;
    }
    ok = take(r, VECTOR(v->group), (size_t)n * sizeof(int64_t)) == 0;
    for (igraph_integer_t i = 0; ok && i < n; i++)
        ok = VECTOR(v->group)[i] >= 0 && VECTOR(v->group)[i] < head[3];
    if (!ok || load_graph(&v->graph, &el, n) < 0) {
        igraph_vector_int_destroy(&v->group);
        igraph_vector_destroy(&v->weights);
        igraph_vector_int_destroy(&el);
        free(v);
        return NULL;
    }
    igraph_vector_int_destroy(&el);
    v->pub.graph = &v->graph; /* from here view_free can clean up */
    v->boundary = take_str(r);
    if (names) {
        /* The main view carries the group names. */
        char **gn = calloc(head[3] ? (size_t)head[3] : 1, sizeof *gn);
        for (int64_t g = 0; gn && g < head[3]; g++)
            if (!(gn[g] = take_str(r)))
                ok = false;
        *names = gn;
        *ng = head[3];
        v->owns_groups = true;
        if (!gn)
            ok = false;
    }
    v->keys = calloc(n ? (size_t)n : 1, sizeof *v->keys);
    for (igraph_integer_t i = 0; ok && v->keys && i < n; i++)
        ok = (v->keys[i] = take_str(r)) != NULL;
    if (ok && v->keys && get_attrs(r, v, (size_t)n) < 0)
        ok = false;
    if (!ok || !v->keys || !v->boundary) {
        view_free(v);
        return NULL;
    }
    v->pub.size = sizeof v->pub;
    v->pub.weights = &v->weights;
    v->pub.group = &v->group;
    v->pub.keys = (const char *const *)v->keys;
    v->pub.boundary = v->boundary;
    v->pub.ngroups = head[3];
    v->pub.excluded = head[4];
    v->pub.from = head[5];
    v->pub.to = head[6];
    v->data_version = head[7];
    *has_baseline = head[8] != 0;
    return v;
}

view_t *view_load(const void *map, size_t len, char *err, size_t errlen)
{
    struct reader r = {map, (const char *)map + len};
    char **names = NULL;
    igraph_integer_t ng = 0;
    bool has_base = false, base_base = false;
    view_t *v = get_view(&r, &names, &ng, &has_base);
    if (!v) {
        snprintf(err, errlen, "the view file is malformed");
        return NULL;
    }
    v->group_names = names;
    v->pub.group_names = (const char *const *)names;
    if (has_base) {
        view_t *b = get_view(&r, NULL, &ng, &base_base);
        if (!b) {
            view_unref(v);
            snprintf(err, errlen,
                     "the baseline in the view file is "
                     "malformed");
            return NULL;
        }
        b->group_names = names;
        b->pub.group_names = (const char *const *)names;
        b->pub.ngroups = v->pub.ngroups;
        v->baseline = b;
        v->pub.baseline = &b->pub;
    }
    return v;
}

/* ---- scopes (within) ----------------------------------------------------
 *
 * A view built with within has no tie between scopes; each scope's
 * sub-view is cut out of it in one pass over its vertices and arcs: a
 * scope's vertices keep their order (ids in byte order), so its arcs,
 * renumbered, stay in (from, to) order, and its groups are those of the
 * pooled view present in the scope's main or baseline sub-view, in the
 * same (byte) order. That is the view a store holding only the scope's
 * people would give. */

/* Scope index of each vertex of v (or -1), by the within attribute's
 * values mapped into names. */
static int vertex_scopes(const view_t *v, char *const *names, size_t n,
                         int32_t *sc)
{
    igraph_integer_t nv = igraph_vcount(&v->graph);
    int a = v->within ? view_attr_index(v, v->within) : -1;
    if (a < 0)
        return -1;
    const struct view_attrcol *c = &v->attr_cols[a];
    int32_t *map = malloc((c->nvalues ? c->nvalues : 1) * sizeof *map);
    if (!map)
        return -1;
    for (size_t x = 0; x < c->nvalues; x++) {
        const char *key = c->values[x];
        char *const *hit = bsearch(&key, names, n, sizeof *names, cmp_str);
        map[x] = hit ? (int32_t)(hit - names) : -1;
    }
    for (igraph_integer_t i = 0; i < nv; i++)
        sc[i] = c->idx[i] >= 0 ? map[c->idx[i]] : -1;
    free(map);
    return 0;
}

static int64_t scope_excluded(const view_t *v, const char *name)
{
    for (size_t i = 0; i < v->nxscope; i++)
        if (!strcmp(v->xscope[i], name))
            return v->xcount[i];
    return 0;
}

/* The sub-view of scope s of v: vertices i with sc[i] == s, numbered
 * lidx[i]; nv of them, m arcs; groups by gmap (pooled group -> the
 * scope's, or -1). */
static view_t *cut_view(const view_t *v, const int32_t *sc, const int32_t *lidx,
                        int32_t s, size_t nv, size_t m, const int32_t *gmap,
                        const char *name)
{
    view_t *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    atomic_init(&o->refs, 1);
    o->memfd = -1;
    pthread_mutex_init(&o->memfd_lock, NULL);
    igraph_vector_int_t from, to;
    if (igraph_vector_int_init(&from, (igraph_integer_t)m)) {
        pthread_mutex_destroy(&o->memfd_lock);
        free(o);
        return NULL;
    }
    if (igraph_vector_int_init(&to, (igraph_integer_t)m)) {
        igraph_vector_int_destroy(&from);
        pthread_mutex_destroy(&o->memfd_lock);
        free(o);
        return NULL;
    }
    bool ok = !igraph_vector_init(&o->weights, (igraph_integer_t)m);
    if (ok && igraph_vector_int_init(&o->group, (igraph_integer_t)nv)) {
        igraph_vector_destroy(&o->weights);
        ok = false;
    }
    if (!ok) {
        igraph_vector_int_destroy(&from);
        igraph_vector_int_destroy(&to);
        pthread_mutex_destroy(&o->memfd_lock);
        free(o);
        return NULL;
    }
    igraph_integer_t M = igraph_ecount(&v->graph), k = 0;
    for (igraph_integer_t e = 0; e < M; e++) {
        igraph_integer_t a = IGRAPH_FROM(&v->graph, e),
                         b = IGRAPH_TO(&v->graph, e);
        if (sc[a] != s || sc[b] != s)
            continue;
        VECTOR(from)[k] = lidx[a];
        VECTOR(to)[k] = lidx[b];
        VECTOR(o->weights)[k++] = VECTOR(v->weights)[e];
    }
    if (graph_from_sorted(&o->graph, (igraph_integer_t)nv, &from, &to) < 0) {
        igraph_vector_int_destroy(&from);
        igraph_vector_int_destroy(&to);
        igraph_vector_destroy(&o->weights);
        igraph_vector_int_destroy(&o->group);
        pthread_mutex_destroy(&o->memfd_lock);
        free(o);
        return NULL;
    }
    o->pub.graph = &o->graph; /* from here view_free cleans up */
    igraph_integer_t n0 = igraph_vcount(&v->graph);
    o->keys = calloc(nv ? nv : 1, sizeof *o->keys);
    o->boundary = strdup(v->boundary);
    ok = o->keys && o->boundary && attrs_alloc(o, v->nattrs) == 0;
    for (igraph_integer_t i = 0; ok && i < n0; i++) {
        if (sc[i] != s)
            continue;
        VECTOR(o->group)[lidx[i]] = gmap[VECTOR(v->group)[i]];
        ok = (o->keys[lidx[i]] = strdup(v->keys[i])) != NULL;
    }
    for (size_t a = 0; ok && a < v->nattrs; a++) {
        const struct view_attrcol *c = &v->attr_cols[a];
        struct view_attrcol *d = &o->attr_cols[a];
        ok = (o->attr_names[a] = strdup(v->attr_names[a])) &&
             (d->values =
                  calloc(c->nvalues ? c->nvalues : 1, sizeof *d->values)) &&
             (d->idx = malloc((nv ? nv : 1) * sizeof *d->idx));
        for (; ok && d->nvalues < c->nvalues; d->nvalues++)
            ok =
                (d->values[d->nvalues] = strdup(c->values[d->nvalues])) != NULL;
        for (igraph_integer_t i = 0; ok && i < n0; i++)
            if (sc[i] == s)
                d->idx[lidx[i]] = c->idx[i];
    }
    if (!ok) {
        view_free(o);
        return NULL;
    }
    o->pub.size = sizeof o->pub;
    o->pub.weights = &o->weights;
    o->pub.group = &o->group;
    o->pub.keys = (const char *const *)o->keys;
    o->pub.boundary = o->boundary;
    o->pub.from = v->pub.from;
    o->pub.to = v->pub.to;
    o->pub.excluded = scope_excluded(v, name);
    o->data_version = v->data_version;
    o->bytes = sizeof *o + nv * 52 + m * 40;
    return o;
}

void view_scopes_free(view_scopes_t *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->names)
            free(sc->names[i]);
        if (sc->views)
            view_unref(sc->views[i]);
    }
    free(sc->names);
    free(sc->views);
    memset(sc, 0, sizeof *sc);
}

int view_split(const view_t *v, view_scopes_t *out, char *err, size_t errlen)
{
    const view_t *vs[2] = {v, v->baseline};
    int32_t *sc[2] = {NULL, NULL}, *lidx[2] = {NULL, NULL};
    size_t *cnt[2] = {NULL, NULL}, *ecnt[2] = {NULL, NULL};
    uint8_t *used = NULL;
    int32_t *gmap = NULL;
    size_t ng = (size_t)v->pub.ngroups;
    int rc = -1;
    memset(out, 0, sizeof *out);
    int a0 = v->within ? view_attr_index(v, v->within) : -1;
    int a1 =
        v->baseline && v->within ? view_attr_index(v->baseline, v->within) : -1;
    if (a0 < 0 || (v->baseline && a1 < 0)) {
        snprintf(err, errlen, "the view was not built with within");
        return -1;
    }
    /* Scope names: the within values of either view's people. */
    const struct view_attrcol *c0 = &v->attr_cols[a0],
                              *c1 =
                                  a1 >= 0 ? &v->baseline->attr_cols[a1] : NULL;
    size_t n1 = c1 ? c1->nvalues : 0, cap = c0->nvalues + n1;
    out->names = calloc(cap ? cap : 1, sizeof *out->names);
    if (!out->names)
        goto oom;
    for (size_t i = 0, j = 0; i < c0->nvalues || j < n1;) {
        int c = i == c0->nvalues ? 1
                : j == n1        ? -1
                                 : strcmp(c0->values[i], c1->values[j]);
        const char *nm = c <= 0 ? c0->values[i] : c1->values[j];
        if (!(out->names[out->n] = strdup(nm)))
            goto oom;
        out->n++;
        i += c <= 0;
        j += c >= 0;
    }
    size_t n = out->n;
    if (!(out->views = calloc(n ? n : 1, sizeof *out->views)) ||
        !(used = calloc((n ? n : 1) * (ng ? ng : 1), 1)) ||
        !(gmap = malloc((ng ? ng : 1) * sizeof *gmap)))
        goto oom;
    for (int k = 0; k < 2 && vs[k]; k++) {
        size_t nv = (size_t)igraph_vcount(&vs[k]->graph);
        sc[k] = malloc((nv ? nv : 1) * sizeof *sc[k]);
        lidx[k] = malloc((nv ? nv : 1) * sizeof *lidx[k]);
        cnt[k] = calloc(n ? n : 1, sizeof *cnt[k]);
        ecnt[k] = calloc(n ? n : 1, sizeof *ecnt[k]);
        if (!sc[k] || !lidx[k] || !cnt[k] || !ecnt[k] ||
            vertex_scopes(vs[k], out->names, n, sc[k]) < 0)
            goto oom;
        for (size_t i = 0; i < nv; i++) {
            if (sc[k][i] < 0)
                continue;
            lidx[k][i] = (int32_t)cnt[k][sc[k][i]]++;
            used[(size_t)sc[k][i] * ng + (size_t)VECTOR(vs[k]->group)[i]] = 1;
        }
        igraph_integer_t m = igraph_ecount(&vs[k]->graph);
        for (igraph_integer_t e = 0; e < m; e++) {
            int32_t s = sc[k][IGRAPH_FROM(&vs[k]->graph, e)];
            if (s >= 0 && s == sc[k][IGRAPH_TO(&vs[k]->graph, e)])
                ecnt[k][s]++;
        }
    }
    for (size_t s = 0; s < n; s++) {
        size_t sng = 0;
        for (size_t g = 0; g < ng; g++)
            gmap[g] = used[s * ng + g] ? (int32_t)sng++ : -1;
        char **gn = calloc(sng ? sng : 1, sizeof *gn);
        if (!gn)
            goto oom;
        for (size_t g = 0; g < ng; g++)
            if (gmap[g] >= 0 && !(gn[gmap[g]] = strdup(v->group_names[g]))) {
                for (size_t x = 0; x < sng; x++)
                    free(gn[x]);
                free(gn);
                goto oom;
            }
        view_t *sub[2] = {NULL, NULL};
        for (int k = 0; k < 2 && vs[k]; k++)
            sub[k] = cut_view(vs[k], sc[k], lidx[k], (int32_t)s, cnt[k][s],
                              ecnt[k][s], gmap, out->names[s]);
        if (!sub[0] || (vs[1] && !sub[1])) {
            view_unref(sub[0]);
            view_unref(sub[1]);
            for (size_t x = 0; x < sng; x++)
                free(gn[x]);
            free(gn);
            goto oom;
        }
        for (int k = 0; k < 2 && sub[k]; k++) {
            sub[k]->group_names = gn;
            sub[k]->pub.group_names = (const char *const *)gn;
            sub[k]->pub.ngroups = (igraph_integer_t)sng;
            sub[k]->owns_groups = k == 0;
        }
        if (sub[1]) {
            sub[0]->baseline = sub[1];
            sub[0]->pub.baseline = &sub[1]->pub;
        }
        out->views[s] = sub[0];
    }
    rc = 0;
    goto done;
oom:
    snprintf(err, errlen, "out of memory splitting the view by %s",
             v->within ? v->within : "scope");
    view_scopes_free(out);
done:
    for (int k = 0; k < 2; k++) {
        free(sc[k]);
        free(lidx[k]);
        free(cnt[k]);
        free(ecnt[k]);
    }
    free(used);
    free(gmap);
    return rc;
}
