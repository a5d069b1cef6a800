/* view.h - the network an analysis runs on, built from the store.
 *
 * A view is the graph of one window [from, to) of the data, restricted to
 * some kinds of record and event, with people split into groups by one
 * boundary attribute (DESIGN.md "Vocabulary", METRICS.md notation):
 *   - a record gives the arc from -> to, or both arcs when undirected;
 *   - an event gives both arcs between every pair of its participants;
 *   - arcs between the same ordered pair add their weights, so the graph
 *     is simple and directed;
 *   - people without a value for the boundary are left out and counted in
 *     `excluded` (those among the window's ties);
 *   - vertices are the people with a tie in the window, or (isolates) every
 *     person with a value for the boundary; they are numbered in byte
 *     order of their ids, groups in byte order of their names, so a view
 *     of the same data is the same graph every time.
 * A view is immutable once built and shared by reference count (any
 * thread). With a baseline spec, the baseline view is built from the same
 * snapshot and both number groups alike: the groups of either window. */
#ifndef SPAND_VIEW_H
#define SPAND_VIEW_H

#include <igraph.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "spand/plugin.h"
#include "store.h"

struct view_inc;

#define VIEW_OPEN_FROM INT64_MIN
#define VIEW_OPEN_TO INT64_MAX

/* A condition on one attribute: its value is one of values (sorted,
 * without repeats). */
typedef struct view_cond {
    char *attr;
    char **values;
    size_t nvalues;
} view_cond_t;

/* How an event of k participants weighs each of its k(k-1)/2 pairs. */
#define VIEW_EVENTS_PAIRS 0  /* its weight */
#define VIEW_EVENTS_NEWMAN 1 /* weight / (k - 1) (Newman 2001) */

typedef struct view_spec {
    int64_t from, to; /* VIEW_OPEN_FROM / VIEW_OPEN_TO when unbounded */
    char **kinds;     /* sorted; NULL: every kind */
    size_t nkinds;
    char *boundary;
    bool isolates;
    /* Most groups (distinct boundary values in the view) a build accepts:
     * a plugin's pair table has ngroups^2 rows. 0: [limits] max_groups'
     * default (CONFIG_DEFAULT_MAX_GROUPS); VIEW_GROUPS_UNLIMITED: none.
     * Read from the main spec only; not part of view_spec_key(). */
    size_t max_groups;
    /* Attributes the view carries (view_attr), sorted, without repeats:
     * the `within` attribute and those named by the plugin's
     * SPAND_ATTRIBUTE parameters. view_spec_add_attr keeps the order. */
    char **attrs;
    size_t nattrs;
    bool all_attrs; /* carry every attribute in the store (export) */
    /* People without a boundary value become vertices in a group named ""
     * instead of being left out (export); nobody is then excluded. */
    bool keep_unvalued;
    /* Scoped views (DESIGN.md). People are taken out before the graph is
     * made (a person mask at the store scan), so a person whose only ties
     * were to people taken out is not a vertex, and is not excluded:
     *   where: only people matching every condition (AND across
     *     attributes, OR within one); sorted by attr;
     *   without_ids (sorted) and without_where (sorted by attr): people
     *     listed, or matching any one condition, are taken out.
     * event_weighting: VIEW_EVENTS_*; k counts every participant of the
     * event in the store, before where, without and within.
     * within: when not NULL, ties between people of different values of
     * this attribute (or without one) are dropped, and view_scopes()
     * splits the view by its values. All are part of view_spec_key(). */
    view_cond_t *where;
    size_t nwhere;
    char **without_ids;
    size_t nwithout_ids;
    view_cond_t *without_where;
    size_t nwithout_where;
    int event_weighting;
    char *within;
} view_spec_t;

#define VIEW_GROUPS_UNLIMITED SIZE_MAX

struct view_attrcol; /* one carried attribute's values (view.c) */

typedef struct view {
    atomic_uint refs;
    spand_view_t pub; /* what a plugin sees; points into the fields below */
    igraph_t graph;
    igraph_vector_t weights;
    igraph_vector_int_t group;
    char **group_names; /* shared with the baseline view, owned by main */
    char **keys;
    char *boundary;
    int64_t data_version;
    struct view *baseline; /* owned reference, or NULL */
    size_t bytes;          /* rough memory footprint, for the cache */
    bool owns_groups;
    int memfd; /* serialized copy for analysis children, or -1 */
    pthread_mutex_t memfd_lock;
    struct view_inc *inc;   /* what an incremental build starts from, or NULL */
    bool incremental;       /* built from an earlier view (view_build_from) */
    struct view *reap_next; /* the reaper's list (view_reaper_start) */
    /* Carried attributes (view_spec_t attrs, or all with all_attrs), read
     * in the same store snapshot as the graph; own to this view (the
     * baseline has its own copy, numbered by its own vertices). */
    size_t nattrs;
    char **attr_names; /* sorted */
    struct view_attrcol *attr_cols;
    /* within (view_spec_t): the attribute, or NULL; people with ties but
     * no value of it; and each scope's excluded people (by scope name,
     * sorted; scopes without any are left out). */
    char *within;
    int64_t outside;
    size_t nxscope;
    char **xscope;
    int64_t *xcount;
} view_t;

/* Build the view of spec (and of baseline, if not NULL) from one snapshot
 * of the store. Returns 0 with *out (one reference), or -1 with err; -1
 * with a message naming the boundary and its count of groups when they
 * are more than spec->max_groups (checked as soon as they are known,
 * before the graph is assembled). Runs
 * on any thread; takes time proportional to the records in the store. */
int view_build(store_t *store, const view_spec_t *spec,
               const view_spec_t *baseline, view_t **out, char *err,
               size_t errlen);
/* The same, given prev: a view of the same spec and baseline built
 * earlier (or NULL). When the store has only had appends since prev's
 * snapshot (new records, events and people; store_read_rewrite_version),
 * the view is made from prev and the new rows alone, in time linear in
 * prev's arcs plus the new rows, and is exactly the view a full build
 * gives (same numbering, arcs, weights bit for bit, groups, excluded);
 * otherwise this is a full build. prev is only read (views are
 * immutable); the caller keeps its reference. */
int view_build_from(store_t *store, const view_spec_t *spec,
                    const view_spec_t *baseline, const view_t *prev,
                    view_t **out, char *err, size_t errlen);
/* Whether every weight of v is an exact sum (small binary fractions, as
 * whole-number weights are): then an incremental build just adds new
 * weights; otherwise it needs the record and event parts kept for every
 * arc an event touches, and a view going from exact to inexact is built
 * in full. */
bool view_sums_exact(const view_t *v);
/* 0 when v (a view of spec's boundary) has at most max groups (0: the
 * default, as in view_spec_t), else -1 with the reason in err: for a view
 * taken from a cache, built under another limit. */
int view_check_groups(const view_t *v, size_t max, char *err, size_t errlen);
void view_ref(view_t *v);
/* Drop a reference; the last one frees the view, which takes the igraph
 * lock (held for seconds by an analysis running in a thread). On a thread
 * that must never wait (view_reaper_start) the view is handed to the
 * reaper thread instead. */
void view_unref(view_t *v);
/* Mark the calling thread (the event loop's) as one that must never wait
 * for the igraph lock, and start the reaper thread that frees the views
 * whose last reference it drops. Counted: each start needs a stop.
 * 0, or -1 if the thread cannot start (views are then freed in place). */
int view_reaper_start(void);
/* Free what the reaper holds, stop it (the last stop), and unmark the
 * calling thread. */
void view_reaper_stop(void);

/* Debian's igraph is built with IGRAPH_THREAD_SAFE 0: its error-cleanup
 * ("finally") stack is one global shared by all threads, and two threads
 * inside igraph at once corrupt it and abort the process. Every igraph
 * call that can touch it (anything but plain accessors such as
 * igraph_vcount) runs under this one lock: view building and freeing,
 * and plugins run in threads. (Isolated analyses run in processes of
 * their own and need no lock.) */
void view_igraph_lock(void);
void view_igraph_unlock(void);
/* Take the lock if no other thread holds it; true if taken. */
bool view_igraph_trylock(void);

/* A read-only file (a sealed memfd) holding v and its baseline, made on
 * first use and kept with the view; for handing the view to an analysis
 * child. Returns the descriptor (owned by the view) or -1. Any thread. */
int view_memfd(view_t *v);
/* Rebuild a view from such a file's contents (map, len); NULL with err.
 * Used in the analysis child. */
view_t *view_load(const void *map, size_t len, char *err, size_t errlen);

/* The index of attribute name among v's carried attributes, or -1. */
int view_attr_index(const view_t *v, const char *name);
/* The value of carried attribute attr (an index from view_attr_index)
 * for vertex of v, or NULL when the person has none (or out of range).
 * Valid as long as v. */
const char *view_attr(const view_t *v, size_t attr, igraph_integer_t vertex);
/* Add name to spec->attrs (kept sorted, without repeats). 0 or -ENOMEM. */
int view_spec_add_attr(view_spec_t *spec, const char *name);

/* Copy src's where, without, event weighting, within and carried
 * attributes into dst (for a baseline spec: the same people, the same
 * rules). dst owns what was copied, even on error. 0 or -ENOMEM. */
int view_spec_copy_scope(view_spec_t *dst, const view_spec_t *src);
/* Append the canonical text of sp's where, without, event weighting and
 * within to b (nothing when none is set); for cache keys. 0 or -1. */
int view_spec_put_scope(buf_t *b, const view_spec_t *sp);

/* The scopes of a view built with within: one sub-view per value of the
 * within attribute among its (or its baseline's) vertices, names sorted.
 * Each sub-view is what a store holding only that scope's people gives:
 * its vertices numbered in id order, its arcs, its groups (those present
 * in the scope's main or baseline sub-view, byte order), its excluded
 * count, the carried attributes, and its baseline sub-view. */
typedef struct view_scopes {
    size_t n;
    char **names;
    view_t **views; /* one reference each */
} view_scopes_t;
/* Split v (built with within) into out. 0, or -1 with err. Takes igraph
 * calls: hold view_igraph_lock() in a thread. O(vertices + arcs). */
int view_split(const view_t *v, view_scopes_t *out, char *err, size_t errlen);
void view_scopes_free(view_scopes_t *sc);

/* A canonical text of spec (and baseline), for cache keys. Caller frees. */
char *view_spec_key(const view_spec_t *spec, const view_spec_t *baseline);
void view_spec_free(view_spec_t *spec);

#endif
