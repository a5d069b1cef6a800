/* engine.h - running analyses: worker pool, isolation, result tables.
 *
 * The engine owns a pool of analysis threads (separate from libuv's pool,
 * so a long analysis never delays file-system or store work) fed by a
 * bounded queue: a full queue is refused at once (-EBUSY), never waited on.
 * A worker gets the job's view (from a small cache, or by building it),
 * then runs the plugin:
 *   - isolation "thread": in the worker itself; a timeout only sets the
 *     cancelled flag the plugin is asked to poll;
 *   - isolation "process": in a new process (spand --analysis-child,
 *     started with posix_spawn) given only the view (a sealed memfd), the
 *     plugin's object, stderr and a result pipe; no core dumps; SIGKILL
 *     on timeout, on exceeding memory_limit_mb of resident memory, on
 *     cancellation, or if the daemon dies. The child sends its result
 *     tables in binary form (result.h) through the pipe; the parent checks
 *     them against the plugin's declared columns and the view, so a plugin
 *     that writes garbage gets "garbage", not a corrupted answer.
 * Either way the worker then writes the answer's text (answer.h).
 * Completed jobs come back through their callback on the loop thread. */
#ifndef SPAND_ENGINE_H
#define SPAND_ENGINE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "config.h"
#include "loader.h"
#include "result.h"
#include "store.h"
#include "view.h"

#define PROGRESS_INTERVAL_MS 200

typedef struct engine engine_t;
typedef struct job job_t;
struct answer;
typedef void (*job_cb)(job_t *job);

struct job {
    /* input, set before engine_submit() */
    plugin_t *plugin; /* a reference, released by engine_job_free() */
    view_spec_t spec;
    view_spec_t base_spec;
    bool has_baseline;
    json_t *params; /* {name: value} of the declared types; owned */
    bool isolate;   /* run in a child process */
    unsigned timeout_ms;
    size_t memory_limit; /* bytes of resident memory (process isolation) */
    job_cb cb;
    void *ctx;
    /* Optional: progress in [0, 1] reported by the plugin, on the loop
     * thread, at most every PROGRESS_INTERVAL_MS. */
    void (*progress_cb)(job_t *job, double fraction);

    /* output, valid in cb */
    int rc;             /* 0, or < 0 with reason and detail */
    const char *reason; /* "crashed", "timeout", "memory", "error",
                           "garbage", "cancelled", "busy" */
    char detail[512];
    struct answer *answer; /* the answer's text (answer.h); a reference */
    view_t *view;          /* the view the analysis ran on (a reference) */
    double elapsed_ms;

    /* engine-private */
    atomic_int cancel;
    job_t *next;
    struct engine *engine;
    uint64_t progress_ns; /* when progress was last passed on */
    double progress;      /* the latest fraction, under the engine lock */
    bool progress_queued;
    job_t *pnext;         /* progress list link */
    uint64_t deadline_ns; /* when the run(s) must end; 0: timeout_ms from
                             each run's start */
};

/* Start workers for cfg (workers, queue length). Returns NULL with err. */
engine_t *engine_new(uv_loop_t *loop, const config_t *cfg, store_t *store,
                     char *err, size_t errlen);
/* Cancel what is queued or running, wait for the workers, free. Queued
 * jobs' callbacks run with reason "cancelled" before this returns. */
void engine_free(engine_t *e);

job_t *engine_job_new(void);
void engine_job_free(job_t *job);
/* Queue job (ownership passes to the engine until its callback). Returns
 * 0 or -EBUSY when the queue is full. */
int engine_submit(engine_t *e, job_t *job);
/* The view of spec (and of base, a baseline spec, or NULL) at the store's
 * current data version: from the engine's view cache, brought up to date
 * from a cached older view when only appends came since, or built (and
 * then cached). Returns one reference, or NULL with err. Any thread but
 * the loop's: it can take as long as a view build. */
view_t *engine_view(engine_t *e, const view_spec_t *spec,
                    const view_spec_t *base, char *err, size_t errlen);
/* Drop every cached view of a data version below version, and keep none
 * built from an older snapshot from now on: after a forget, no cached
 * view holds the person (access.h). Any thread. */
void engine_drop_views(engine_t *e, int64_t version);
/* Ask a queued or running job to stop; its callback still runs. */
void engine_cancel(job_t *job);
unsigned engine_queued(engine_t *e);
/* Cancel every queued and running job (a stop is under way). */
void engine_cancel_all(engine_t *e);

/* Main of `spand --analysis-child PLUGIN PARAMS TIMEOUT_MS PROGRESS`,
 * the process an isolated analysis runs in (see run_isolated in
 * engine.c): view on fd 3, plugin object on fd 4, result pipe on fd 5. */
int engine_child_main(int argc, char **argv);

/* The function table handed to plugins' init() (logging only there). */
const spand_api_t *engine_api(void);

/* Check the len bytes a plugin's child sent as its result and read them:
 * the declared tables and columns, the view's rows, the right types
 * (result_decode). Returns 0 with *out (result_free) or -1 with the first
 * problem in why. Exposed for the tests. */
int engine_check_result(const plugin_t *p, const view_t *v, const void *data,
                        size_t len, struct result **out, char *why, size_t n);

#endif
