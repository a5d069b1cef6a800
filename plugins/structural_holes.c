/* structural_holes.c - Burt's (1992) structural-hole measures (METRICS.md,
 * "structural_holes"), as networkx and igraph compute them.
 *
 * On the directed view with mutual weights: a_ij = w_ij + w_ji (an absent
 * arc weighs 0; without `weighted` every arc weighs 1, so a_ij is the
 * number of arcs between i and j, 1 or 2, which is what networkx does for
 * a DiGraph with weight=None and igraph with weights=NULL), and
 *   p_ij = a_ij / S_i,  S_i = sum_k a_ik       (proportional tie strength)
 *   m_ij = a_ij / M_i,  M_i = max_k a_ik       (marginal tie strength)
 * over N(i), the neighbours of i ignoring direction. Then
 *   constraint           C_i = sum_{j in N(i)} c_ij,
 *                        c_ij = (p_ij + sum_{q in N(i), q != i,j}
 *                                        p_iq p_qj)^2   (igraph_constraint)
 *   effective_size       e_i = sum_{j in N(i)} (1 - sum_{q in N(i), q != j}
 *                                               p_iq m_jq)
 *                        (networkx effective_size, general formula)
 *   efficiency           e_i / |N(i)|
 *   hierarchy            H_i = sum_j r_j ln r_j / (n ln n), r_j = c_ij /
 *                        (C_i / n), n = |N(i)|; NaN for n <= 1 (0 / 0);
 *                        summed as sum_j (r_j ln r_j - (r_j - 1)), the
 *                        same value (sum_j r_j = n), so that it is >= 0
 *   external_constraint  sum of c_ij over j in another group than i.
 * Isolates get NaN (null) in every column. So does a vertex whose ties all
 * weigh 0 (S_i = 0: p_ij = 0/0). Where a neighbour's own S_j or M_j is 0
 * (all its ties weigh 0) its p_jq and m_jq are taken as 0, as networkx's
 * normalized_mutual_weight does.
 *
 * Group rows: the mean of each vertex column over the group's members,
 * NaN values skipped (NaN when no member has a value). Network row: the
 * mean constraint and mean effective size over all people, likewise.
 *
 * Cost: O(N + arcs) memory (the undirected collapse as sorted adjacency
 * arrays, plus per-vertex scratch arrays marked with stamps); time
 * O(N + arcs) to build those (counting sorts, see nbrs_build()), then
 * O(sum_i sum_{j in N(i)} min(|N(j)|, |N(i)| log |N(j)|)): igraph's walk
 * costs sum_j |N(j)|^2, quadratic for a hub (see measures()).
 */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include <spand/plugin.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static const spand_param_t params[] = {
    {"weighted", SPAND_BOOL, "false",
     "use tie weights (w_ij + w_ji); otherwise every arc weighs 1"},
};

enum { V_CONSTRAINT, V_EFFSIZE, V_EFFICIENCY, V_HIERARCHY, V_EXTERNAL, NVCOLS };
enum { N_CONSTRAINT, N_EFFSIZE };

static const spand_column_t columns[] = {
    {SPAND_TABLE_VERTEX, "constraint", SPAND_REAL,
     "Burt's constraint C_i: how much the person's contacts are tied to "
     "each other (igraph_constraint)"},
    {SPAND_TABLE_VERTEX, "effective_size", SPAND_REAL,
     "contacts minus their redundancy (networkx effective_size)"},
    {SPAND_TABLE_VERTEX, "efficiency", SPAND_REAL,
     "effective_size / number of contacts"},
    {SPAND_TABLE_VERTEX, "hierarchy", SPAND_REAL,
     "how concentrated the constraint is on one contact (null with fewer "
     "than 2 contacts)"},
    {SPAND_TABLE_VERTEX, "external_constraint", SPAND_REAL,
     "the part of the constraint from contacts in other groups"},
    {SPAND_TABLE_GROUP, "constraint", SPAND_REAL,
     "mean constraint of the group's members"},
    {SPAND_TABLE_GROUP, "effective_size", SPAND_REAL,
     "mean effective size of the group's members"},
    {SPAND_TABLE_GROUP, "efficiency", SPAND_REAL,
     "mean efficiency of the group's members"},
    {SPAND_TABLE_GROUP, "hierarchy", SPAND_REAL,
     "mean hierarchy of the group's members"},
    {SPAND_TABLE_GROUP, "external_constraint", SPAND_REAL,
     "mean external constraint of the group's members"},
    {SPAND_TABLE_NETWORK, "constraint", SPAND_REAL,
     "mean constraint of all people"},
    {SPAND_TABLE_NETWORK, "effective_size", SPAND_REAL,
     "mean effective size of all people"},
};

/* The undirected collapse as adjacency arrays (CSR): the neighbours of i
 * are adj[off[i] .. off[i + 1]), each once, in increasing vertex order (so
 * that a weight a_ij can be found by binary search), with w[k] = a_ij.
 * 32-bit vertex ids keep the lists the inner loops stream through small;
 * nbrs_build() refuses a view of 2^31 people or more, which could not be
 * held in memory anyway. */
typedef struct nbrs {
    int32_t n;
    int64_t *off;
    int32_t *adj;
    double *w;
    double *pw; /* as long as w: scratch for measures() */
} nbrs_t;

static void nbrs_free(nbrs_t *c)
{
    free(c->off);
    free(c->adj);
    free(c->w);
    free(c->pw);
}

/* Build the collapse of view: each arc i->j adds its weight (1 unless
 * weighted) to a_ij and to a_ji. Two counting sorts, so that no list needs
 * sorting: the entries (i, j) of both directions of every arc are first
 * bucketed by j, then dealt from those buckets, in increasing j, to their
 * owner i's list, which therefore comes out sorted by j, the two entries
 * of a mutual pair next to each other; they are merged while the lists
 * are compacted. O(N + arcs) time and memory. Returns 0, or -1 after
 * logging. */
static int nbrs_build(const spand_api_t *api, spand_run_t *r,
                      const spand_view_t *view, int weighted, nbrs_t *c)
{
    const igraph_t *g = view->graph;
    const igraph_integer_t n = igraph_vcount(g), arcs = igraph_ecount(g);
    const igraph_vector_t *wv = weighted ? view->weights : NULL;
    int64_t *cur = NULL;
    int32_t *own = NULL; /* bucketed entries: owner, in j's bucket */
    double *bw;          /* and their weights: c->pw, not yet in use */

    if (n > INT32_MAX) {
        api->log(r, SPAND_LOG_ERR, "structural_holes: too many vertices (%lld)",
                 (long long)n);
        return -1;
    }
    c->n = (int32_t)n;
    c->off = calloc((size_t)n + 1, sizeof *c->off);
    c->adj = malloc(((size_t)arcs * 2 + 1) * sizeof *c->adj);
    c->w = malloc(((size_t)arcs * 2 + 1) * sizeof *c->w);
    cur = malloc(((size_t)n + 1) * sizeof *cur);
    own = malloc(((size_t)arcs * 2 + 1) * sizeof *own);
    bw = c->pw = malloc(((size_t)arcs * 2 + 1) * sizeof *bw);
    if (!c->off || !c->adj || !c->w || !c->pw || !cur || !own) {
        api->log(r, SPAND_LOG_ERR,
                 "structural_holes: out of memory (%lld vertices, %lld arcs)",
                 (long long)n, (long long)arcs);
        free(cur);
        free(own);
        return -1;
    }
    /* An arc a->b gives one entry to each end, so the lists' lengths (off,
     * before the merge) and the buckets' (by the other end) are the same
     * degrees: one count serves both. */
    for (igraph_integer_t e = 0; e < arcs; e++) {
        const igraph_integer_t a = IGRAPH_FROM(g, e), b = IGRAPH_TO(g, e);
        if (a == b)
            continue; /* no loops by contract; a loop is no contact */
        c->off[a + 1]++;
        c->off[b + 1]++;
    }
    for (igraph_integer_t i = 0; i < n; i++)
        c->off[i + 1] += c->off[i];
    /* Bucket by neighbour: entry (owner a, neighbour b) in b's bucket and
     * (owner b, neighbour a) in a's. */
    for (igraph_integer_t i = 0; i < n; i++)
        cur[i] = c->off[i];
    for (igraph_integer_t e = 0; e < arcs; e++) {
        const igraph_integer_t a = IGRAPH_FROM(g, e), b = IGRAPH_TO(g, e);
        if (a == b)
            continue;
        const double x = wv ? VECTOR(*wv)[e] : 1.0;
        own[cur[b]] = (int32_t)a;
        bw[cur[b]++] = x;
        own[cur[a]] = (int32_t)b;
        bw[cur[a]++] = x;
    }
    /* Deal the buckets in increasing neighbour j to the owners' lists. */
    for (igraph_integer_t i = 0; i < n; i++)
        cur[i] = c->off[i];
    for (int32_t j = 0; j < (int32_t)n; j++)
        for (int64_t k = c->off[j]; k < c->off[j + 1]; k++) {
            const int32_t i = own[k];
            c->adj[cur[i]] = j;
            c->w[cur[i]++] = bw[k];
        }
    free(cur);
    free(own);
    /* Compact, merging equal neighbours (adjacent now): write <= read
     * always, and off[i + 1] is read before it is overwritten with the
     * compacted start of i + 1. */
    int64_t rd = 0, wr = 0;
    for (igraph_integer_t i = 0; i < n; i++) {
        const int64_t end = c->off[i + 1], start = wr;
        c->off[i] = start;
        for (; rd < end; rd++) {
            if (wr > start && c->adj[wr - 1] == c->adj[rd]) {
                c->w[wr - 1] += c->w[rd];
            } else {
                c->adj[wr] = c->adj[rd];
                c->w[wr++] = c->w[rd];
            }
        }
    }
    c->off[n] = wr;
    return 0;
}

/* x ln x - (x - 1), with its limit 1 at x = 0: the hierarchy's term
 * r ln r, less r - 1, whose sum over the contacts is 0 (sum_j r_j = n).
 * Each such term is >= 0, so the sum cannot cancel to a negative H for
 * an ego whose terms are equal up to rounding; clamped at 0 to drop the
 * rounding of the term itself. */
static double hier_term(double x)
{
    const double t = (x > 0 ? x * log(x) : 0.0) - (x - 1.0);
    return t > 0 ? t : 0.0;
}

/* The mutual weight a_jq from j's sorted list adj/w[lo .. hi), 0 if q is
 * not there. */
static double weight_of(const int32_t *adj, const double *w, int64_t lo,
                        int64_t hi, int32_t q)
{
    const int64_t end = hi;
    while (lo < hi) { /* the first entry >= q lies in [lo, hi] */
        const int64_t mid = lo + (hi - lo) / 2;
        if (adj[mid] < q)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < end && adj[lo] == q ? w[lo] : 0.0;
}

/* floor(log2(x)) + 1 for x >= 1: the steps of a binary search in x. */
static int64_t search_steps(int64_t x)
{
    int64_t b = 0;
    while (x > 0) {
        x >>= 1;
        b++;
    }
    return b;
}

/* Mean of the non-NaN values accumulated as (sum, count): NaN if none. */
static double mean_of(double sum, double cnt)
{
    return cnt > 0 ? sum / cnt : NAN;
}

/* Egos are dealt to the threads in blocks of this many. */
#define BLOCK 64

/* One computation of the measures, shared by its threads: everything here
 * is read-only while they run but the atomics and out, of which each ego's
 * row is written by the one thread that claimed it. An ego's values do
 * not depend on which thread computed them. */
typedef struct holes_job {
    const nbrs_t *c;
    const igraph_vector_int_t *grp;
    const double *sum, *max; /* S_i and M_i */
    double *out;             /* out[NVCOLS * i + col] */
    atomic_int next_block;   /* the next block nobody has claimed */
    atomic_int stop;         /* set by run()'s thread: cancelled */
} holes_job_t;

/* One thread's scratch, all of size N: mark[q] == i iff q is a
 * neighbour of i while i is processed (a stamp, -1 at first, never
 * reset), pv[q] = p_iq and cb[q] = the running p_iq + sum p_ij p_jq of
 * q (meaningful only where marked), and hit[] the positions in j's list
 * of the common contacts of i and j. */
typedef struct holes_worker {
    holes_job_t *job;
    int32_t *mark, *hit;
    double *pv, *cb;
    int started; /* a thread runs it */
    pthread_t tid;
} holes_worker_t;

/* The five vertex measures of egos [i0, i1) into their rows of out.
 *
 * For each contact j of i the common contacts q in N(i) and N(j) are
 * needed. Walking N(j) and testing the stamp costs |N(j)|; looking each q
 * of N(i) up in j's sorted list costs |N(i)| log |N(j)|; the cheaper is
 * taken, so that the leaves of a star cost O(log) each instead of a walk
 * over the hub's whole list (O(N^2) for the star). Both visit the common
 * q in increasing order and add the same terms, so the choice does not
 * change a single bit of the result. */
static void measure_egos(const holes_job_t *job, holes_worker_t *k, int32_t i0,
                         int32_t i1)
{
    const nbrs_t *c = job->c;
    const igraph_vector_int_t *grp = job->grp;
    const int64_t *off = c->off;
    const int32_t *adj = c->adj;
    const double *w = c->w, *pw = c->pw, *sum = job->sum, *max = job->max;
    int32_t *mark = k->mark, *hit = k->hit;
    double *pv = k->pv, *cb = k->cb;

    for (int32_t i = i0; i < i1; i++) {
        double *o = job->out + (size_t)NVCOLS * (size_t)i;
        const int64_t deg = off[i + 1] - off[i];
        for (int col = 0; col < NVCOLS; col++)
            o[col] = NAN;
        if (deg == 0 || !(sum[i] > 0))
            continue; /* an isolate, or all ties of weight 0: undefined */

        const double si = sum[i];
        for (int64_t e = off[i]; e < off[i + 1]; e++) {
            const int32_t j = adj[e];
            mark[j] = i;
            pv[j] = w[e] / si;
            cb[j] = pv[j]; /* the direct term p_ij */
        }
        /* One walk over the neighbours j of i and their neighbours q
         * serves both measures: for q in N(i), j is an intermediary of
         * the indirect term p_ij p_jq of c_iq, and q is a contact that
         * makes j redundant by p_iq m_jq. q != i (i is not marked: no
         * loops) and q != j (no loops) as the formulas require. */
        double eff = 0;
        for (int64_t e = off[i]; e < off[i + 1]; e++) {
            const int32_t j = adj[e];
            const int64_t dj = off[j + 1] - off[j];
            const double pij = pv[j];
            double red = 0;
            /* The next contact's list lies anywhere in adj: ask for its
             * start now so that it is on its way while j's is walked. */
            if (e + 1 < off[i + 1])
                __builtin_prefetch(&adj[off[adj[e + 1]]]);
            if (dj <= (deg - 1) * search_steps(dj)) {
                /* Whether q is a contact of i follows no pattern a branch
                 * predictor could learn (about one in ten is), so the
                 * common contacts are first listed without a branch, then
                 * their terms added in the same order as ever. */
                const int64_t base = off[j];
                const int32_t dj32 = (int32_t)dj;
                int32_t nhit = 0;
                for (int32_t l = 0; l < dj32; l++) {
                    hit[nhit] = l;
                    nhit += mark[adj[base + l]] == i;
                }
                for (int32_t h = 0; h < nhit; h++) {
                    const int64_t l = base + hit[h];
                    const int32_t q = adj[l];
                    cb[q] += pij * pw[l];
                    red += pv[q] * w[l];
                }
            } else {
                const double sj = sum[j];
                for (int64_t l = off[i]; l < off[i + 1]; l++) {
                    const int32_t q = adj[l];
                    const double ajq =
                        q == j ? 0.0 : weight_of(adj, w, off[j], off[j + 1], q);
                    if (ajq == 0.0)
                        continue; /* not a common contact (or weight 0) */
                    if (sj > 0)
                        cb[q] += pij * (ajq / sj);
                    red += pv[q] * ajq;
                }
            }
            eff += 1.0 - (max[j] > 0 ? red / max[j] : 0.0);
        }
        double C = 0, ext = 0;
        const igraph_integer_t gi = VECTOR(*grp)[i];
        for (int64_t e = off[i]; e < off[i + 1]; e++) {
            const int32_t j = adj[e];
            const double cij = cb[j] * cb[j];
            C += cij;
            if (VECTOR(*grp)[j] != gi)
                ext += cij;
        }
        double H = NAN;
        if (deg > 1) {
            /* C > 0 here: sum_j p_ij = 1, so C >= sum_j p_ij^2 >= 1/n. */
            const double nd = (double)deg;
            double h = 0;
            for (int64_t e = off[i]; e < off[i + 1]; e++) {
                const double cbj = cb[adj[e]];
                h += hier_term(nd * (cbj * cbj) / C);
            }
            H = h / (nd * log(nd));
        }
        o[V_CONSTRAINT] = C;
        o[V_EFFSIZE] = eff;
        o[V_EFFICIENCY] = eff / (double)deg;
        o[V_HIERARCHY] = H;
        o[V_EXTERNAL] = ext;
    }
}

/* Claim blocks of egos and compute them until none is left or the job is
 * stopped. When api is not NULL (the thread of run() itself) poll
 * cancellation and report progress between blocks. Returns 0, or 1 when
 * stopped. */
static int measure_blocks(holes_worker_t *k, const spand_api_t *api,
                          spand_run_t *r)
{
    holes_job_t *job = k->job;
    const int32_t n = job->c->n;
    const int32_t nblocks = (n + BLOCK - 1) / BLOCK;
    int b;
    while ((b = atomic_fetch_add(&job->next_block, 1)) < nblocks) {
        if (atomic_load_explicit(&job->stop, memory_order_relaxed))
            return 1;
        if (api && (b & 15) == 0) {
            if (api->cancelled(r)) {
                atomic_store(&job->stop, 1);
                return 1;
            }
            api->progress(r, 0.95 * (double)b / (double)nblocks);
        }
        const int32_t i0 = b * BLOCK;
        measure_egos(job, k, i0, n - i0 < BLOCK ? n : i0 + BLOCK);
    }
    return atomic_load(&job->stop) ? 1 : 0;
}

static void *worker_main(void *arg)
{
    holes_worker_t *k = arg;
    measure_blocks(k, NULL, NULL);
    return NULL;
}

/* Threads for a run: one per online processor, at most MAX_THREADS, and
 * one when there are too few entries for a second thread to pay for its
 * start (tens of microseconds) and its scratch. */
#define MAX_THREADS 4
static int thread_count(int64_t entries)
{
    long t = sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1 || entries < 8192)
        t = 1;
    return (int)(t > MAX_THREADS ? MAX_THREADS : t);
}

/* The five vertex measures of every vertex into out[NVCOLS * i + col],
 * the egos shared among threads (see holes_job_t), this one taking part
 * and polling cancellation. Returns 0, 1 if cancelled, -1 on failure
 * (logged). */
static int measures(const spand_api_t *api, spand_run_t *r,
                    const spand_view_t *view, const nbrs_t *c, double *out)
{
    const int32_t n = c->n;
    const int64_t *off = c->off;
    const double *w = c->w;
    double *sum = malloc(((size_t)n + 1) * sizeof *sum);
    double *max = malloc(((size_t)n + 1) * sizeof *max);
    /* pw[l] = p_jq = a_jq / S_j for the entry l = (j, q) of j's list, or
     * 0 where S_j = 0 (networkx's normalized_mutual_weight), computed
     * once instead of once per visit: the same quotient, bit for bit. */
    double *pw = c->pw;
    const int nthreads = thread_count(off[n]);
    holes_job_t job = {.c = c, .grp = view->group, .out = out};
    holes_worker_t ks[MAX_THREADS];
    int nk = 0, rc = -1;

    atomic_init(&job.next_block, 0);
    atomic_init(&job.stop, 0);
    for (; nk < nthreads; nk++) {
        holes_worker_t *k = &ks[nk];
        k->job = &job;
        k->started = 0;
        k->mark = malloc(((size_t)n + 1) * sizeof *k->mark);
        k->hit = malloc(((size_t)n + 1) * sizeof *k->hit);
        k->pv = malloc(((size_t)n + 1) * sizeof *k->pv);
        k->cb = malloc(((size_t)n + 1) * sizeof *k->cb);
        if (!k->mark || !k->hit || !k->pv || !k->cb) {
            nk++;
            goto oom;
        }
        for (int32_t i = 0; i < n; i++)
            k->mark[i] = -1;
    }
    if (!sum || !max)
        goto oom;
    for (int32_t i = 0; i < n; i++) {
        double s = 0, m = 0;
        for (int64_t e = off[i]; e < off[i + 1]; e++) {
            s += w[e];
            if (w[e] > m)
                m = w[e];
        }
        sum[i] = s;
        max[i] = m;
        for (int64_t e = off[i]; e < off[i + 1]; e++)
            pw[e] = s > 0 ? w[e] / s : 0.0;
    }
    job.sum = sum;
    job.max = max;

    for (int t = 1; t < nk; t++)
        ks[t].started =
            pthread_create(&ks[t].tid, NULL, worker_main, &ks[t]) == 0;
    /* Blocks that a thread which failed to start never claims are
     * computed here, so the result is the same with fewer threads. */
    const int stopped = measure_blocks(&ks[0], api, r);
    for (int t = 1; t < nk; t++)
        if (ks[t].started)
            pthread_join(ks[t].tid, NULL);
    rc = stopped ? 1 : 0;
    goto out;
oom:
    api->log(r, SPAND_LOG_ERR,
             "structural_holes: out of memory (%lld vertices, %d threads)",
             (long long)n, nthreads);
out:
    for (int t = 0; t < nk; t++) {
        free(ks[t].mark);
        free(ks[t].hit);
        free(ks[t].pv);
        free(ks[t].cb);
    }
    free(sum);
    free(max);
    return rc;
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *view)
{
    (void)state;
    const igraph_integer_t n = igraph_vcount(view->graph);
    const igraph_integer_t G = view->ngroups;
    const igraph_vector_int_t *grp = view->group;
    const int weighted = api->param_bool(r, "weighted");
    nbrs_t c = {0, NULL, NULL, NULL, NULL};
    double *out = NULL, *gsum = NULL, *gcnt = NULL;
    int rc = -1, bad = 0;

    out = malloc(((size_t)n * NVCOLS + 1) * sizeof *out);
    gsum = calloc((size_t)G * NVCOLS + 1, sizeof *gsum);
    gcnt = calloc((size_t)G * NVCOLS + 1, sizeof *gcnt);
    if (!out || !gsum || !gcnt) {
        api->log(r, SPAND_LOG_ERR,
                 "structural_holes: out of memory (%lld vertices)",
                 (long long)n);
        goto done;
    }
    if (nbrs_build(api, r, view, weighted, &c) != 0)
        goto done;
    const int m = measures(api, r, view, &c, out);
    if (m != 0) {
        if (m > 0)
            api->log(r, SPAND_LOG_INFO, "structural_holes: cancelled");
        goto done;
    }

    double nsum[2] = {0, 0}, ncnt[2] = {0, 0};
    for (igraph_integer_t i = 0; i < n; i++) {
        const double *o = out + (size_t)NVCOLS * (size_t)i;
        const igraph_integer_t g = VECTOR(*grp)[i];
        for (int col = 0; col < NVCOLS; col++) {
            bad |= api->set(r, SPAND_TABLE_VERTEX, i, col, o[col]);
            if (!isnan(o[col])) {
                gsum[(size_t)g * NVCOLS + (size_t)col] += o[col];
                gcnt[(size_t)g * NVCOLS + (size_t)col] += 1;
            }
        }
        if (!isnan(o[V_CONSTRAINT])) {
            nsum[N_CONSTRAINT] += o[V_CONSTRAINT];
            ncnt[N_CONSTRAINT] += 1;
        }
        if (!isnan(o[V_EFFSIZE])) {
            nsum[N_EFFSIZE] += o[V_EFFSIZE];
            ncnt[N_EFFSIZE] += 1;
        }
    }
    for (igraph_integer_t g = 0; g < G; g++)
        for (int col = 0; col < NVCOLS; col++) {
            const size_t k = (size_t)g * NVCOLS + (size_t)col;
            bad |= api->set(r, SPAND_TABLE_GROUP, g, col,
                            mean_of(gsum[k], gcnt[k]));
        }
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_CONSTRAINT,
                    mean_of(nsum[N_CONSTRAINT], ncnt[N_CONSTRAINT]));
    bad |= api->set(r, SPAND_TABLE_NETWORK, 0, N_EFFSIZE,
                    mean_of(nsum[N_EFFSIZE], ncnt[N_EFFSIZE]));
    if (bad) {
        api->log(r, SPAND_LOG_ERR, "structural_holes: a cell was refused");
        goto done;
    }
    api->progress(r, 1.0);
    rc = 0;
done:
    nbrs_free(&c);
    free(out);
    free(gsum);
    free(gcnt);
    return rc;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "structural_holes",
    .version = "1.0",
    .summary = "Burt's constraint, effective size, efficiency and hierarchy "
               "per person, with the constraint from other groups",
    .licence = "MIT",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
