/* engine.c - see engine.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2, close_range */
#endif
#include "engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#include "answer.h"
#include "buf.h"
#include "log.h"

#define VIEW_CACHE_SLOTS 8
#define CHILD_POLL_MS 20

/* ---- one run: parameters and result cells ------------------------------ */

struct spand_run {
    int progress_fd; /* in a child: where progress lines go; else -1 */
    const plugin_t *plugin;
    const view_t *view;
    job_t *job;
    igraph_integer_t rows[4]; /* per table kind */
    int ncols[4];
    double *cells[4];  /* rows * ncols, NaN = null */
    char **texts[4];   /* rows * ncols, NULL = none (text columns only) */
    uint8_t *pair_set; /* which pair rows were set */
    json_t *notes;
    uint64_t deadline_ns;
    size_t text_max; /* result_text_max(view) */
    int oom;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const spand_param_t *find_param(spand_run_t *r, const char *name,
                                       spand_type_t type)
{
    const spand_plugin_t *d = r->plugin->desc;
    for (size_t i = 0; i < d->nparams; i++)
        if (strcmp(d->params[i].name, name) == 0) {
            if (d->params[i].type != type)
                log_warn("plugin %s asked for parameter %s as the wrong "
                         "type",
                         d->name, name);
            return d->params[i].type == type ? &d->params[i] : NULL;
        }
    log_warn("plugin %s asked for undeclared parameter %s", d->name, name);
    return NULL;
}

/* The value given by the client (already of the declared type), or the
 * declared default as JSON. */
static json_t *param_value(spand_run_t *r, const char *name, spand_type_t type,
                           const char **deflt)
{
    const spand_param_t *p = find_param(r, name, type);
    if (!p)
        return NULL;
    *deflt = p->default_value;
    return json_object_get(r->job->params, name);
}

static int api_param_bool(spand_run_t *r, const char *name)
{
    const char *d = NULL;
    json_t *v = param_value(r, name, SPAND_BOOL, &d);
    if (v)
        return json_is_true(v);
    return d && strcmp(d, "true") == 0;
}

static int64_t api_param_int(spand_run_t *r, const char *name)
{
    const char *d = NULL;
    json_t *v = param_value(r, name, SPAND_INT, &d);
    if (v)
        return json_integer_value(v);
    return d ? strtoll(d, NULL, 10) : 0;
}

static double api_param_real(spand_run_t *r, const char *name)
{
    const char *d = NULL;
    json_t *v = param_value(r, name, SPAND_REAL, &d);
    if (v)
        return json_number_value(v);
    return d ? strtod(d, NULL) : NAN;
}

/* The declared type of parameter name, or 0. */
static spand_type_t param_type(spand_run_t *r, const char *name)
{
    const spand_plugin_t *d = r->plugin->desc;
    for (size_t i = 0; i < d->nparams; i++)
        if (strcmp(d->params[i].name, name) == 0)
            return d->params[i].type;
    return (spand_type_t)0;
}

static const char *api_param_string(spand_run_t *r, const char *name)
{
    const char *d = NULL;
    /* An attribute parameter's value is its name: text too. */
    json_t *v = param_value(
        r, name,
        param_type(r, name) == SPAND_ATTRIBUTE ? SPAND_ATTRIBUTE : SPAND_STRING,
        &d);
    if (v)
        return json_string_value(v);
    return d ? d : "";
}

static int cell_index(spand_run_t *r, spand_table_kind_t t,
                      igraph_integer_t row, int col, size_t *idx)
{
    if ((unsigned)t > 3 || row < 0 || row >= r->rows[t] || col < 0 ||
        col >= r->ncols[t]) {
        log_warn("plugin %s set %s[%lld][%d], outside the table",
                 r->plugin->name, loader_table_name(t), (long long)row, col);
        return -1;
    }
    *idx = (size_t)row * (size_t)r->ncols[t] + (size_t)col;
    return 0;
}

static int api_set(spand_run_t *r, spand_table_kind_t t, igraph_integer_t row,
                   int col, double value)
{
    size_t i;
    if (cell_index(r, t, row, col, &i) < 0)
        return -1;
    r->cells[t][i] = value;
    if (t == SPAND_TABLE_PAIR)
        r->pair_set[row] = 1;
    return 0;
}

static int api_set_pair(spand_run_t *r, igraph_integer_t a, igraph_integer_t b,
                        int col, double value)
{
    igraph_integer_t g = r->view->pub.ngroups;
    if (a < 0 || b < 0 || a >= g || b >= g) {
        log_warn("plugin %s set pair (%lld, %lld) of %lld groups",
                 r->plugin->name, (long long)a, (long long)b, (long long)g);
        return -1;
    }
    if (a > b) {
        igraph_integer_t t = a;
        a = b;
        b = t;
    }
    return api_set(r, SPAND_TABLE_PAIR, a * g + b, col, value);
}

static int api_set_text(spand_run_t *r, spand_table_kind_t t,
                        igraph_integer_t row, int col, const char *text)
{
    size_t i;
    if (cell_index(r, t, row, col, &i) < 0)
        return -1;
    if (text && strlen(text) > r->text_max) {
        log_warn("plugin %s set a text of %zu bytes, more than the view can "
                 "make (%zu)",
                 r->plugin->name, strlen(text), r->text_max);
        return -1;
    }
    if (!r->texts[t]) {
        r->texts[t] =
            calloc((size_t)r->rows[t] * (size_t)r->ncols[t], sizeof(char *));
        if (!r->texts[t]) {
            r->oom = 1;
            return -1;
        }
    }
    char *copy = text ? strdup(text) : NULL;
    if (text && !copy) {
        r->oom = 1;
        return -1;
    }
    free(r->texts[t][i]);
    r->texts[t][i] = copy;
    if (t == SPAND_TABLE_PAIR)
        r->pair_set[row] = 1;
    return 0;
}

static void api_note(spand_run_t *r, const char *text)
{
    if (!r || !text)
        return;
    /* The same bounds as the decoder's (result.h), so that a plugin gets
     * the same answer in a thread and in a process. */
    if (json_array_size(r->notes) >= RESULT_MAX_NOTES ||
        strlen(text) > RESULT_MAX_NOTE_BYTES) {
        log_warn("plugin %s: a note past %d notes of %d bytes, dropped",
                 r->plugin->name, RESULT_MAX_NOTES, RESULT_MAX_NOTE_BYTES);
        return;
    }
    json_array_append_new(r->notes, json_string(text));
}

static void api_log(spand_run_t *r, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (level < LOG_ERR)
        level = LOG_ERR;
    log_msg(level, "plugin %s: %s", r ? r->plugin->name : "?", msg);
    if (r && level <= LOG_ERR && r->job && !r->job->detail[0])
        snprintf(r->job->detail, sizeof r->job->detail, "%.500s", msg);
}

static void post_progress(job_t *job, double fraction);

static void api_progress(spand_run_t *r, double fraction)
{
    if (!r || !r->job || !r->job->progress_cb || !(fraction >= 0))
        return;
    if (fraction > 1)
        fraction = 1;
    uint64_t now = now_ns();
    if (now - r->job->progress_ns < PROGRESS_INTERVAL_MS * 1000000ull)
        return;
    r->job->progress_ns = now;
    if (r->progress_fd >= 0) {
        /* In a child: a line ahead of the result, read by the parent. */
        char line[32];
        int n = snprintf(line, sizeof line, "P %.4f\n", fraction);
        if (n > 0 && write(r->progress_fd, line, (size_t)n) < 0)
            r->progress_fd = -1;
        return;
    }
    post_progress(r->job, fraction);
}

static int api_cancelled(spand_run_t *r)
{
    if (!r || !r->job)
        return 0;
    return atomic_load(&r->job->cancel) || now_ns() > r->deadline_ns;
}

/* The view_t whose pub is view: the run's view or its baseline. */
static const view_t *run_view_of(spand_run_t *r, const spand_view_t *view)
{
    const view_t *v = r ? r->view : NULL;
    if (!v || !view)
        return NULL;
    if (view == &v->pub)
        return v;
    if (v->baseline && view == &v->baseline->pub)
        return v->baseline;
    return NULL;
}

static const char *api_vertex_attr(spand_run_t *r, const spand_view_t *view,
                                   igraph_integer_t vx, const char *attr)
{
    const view_t *v = run_view_of(r, view);
    if (!v || !attr || vx < 0 || vx >= igraph_vcount(&v->graph))
        return NULL;
    int a = view_attr_index(v, attr);
    if (a >= 0)
        return view_attr(v, (size_t)a, vx);
    /* The boundary is always carried: its value is the group's name. */
    if (v->boundary && !strcmp(attr, v->boundary) &&
        VECTOR(v->group)[vx] >= 0 && VECTOR(v->group)[vx] < v->pub.ngroups)
        /* (the group "" of keep_unvalued holds those without one) */
        return v->group_names[VECTOR(v->group)[vx]][0]
                   ? v->group_names[VECTOR(v->group)[vx]]
                   : NULL;
    return NULL;
}

static const spand_api_t the_api = {
    .size = sizeof(spand_api_t),
    .param_bool = api_param_bool,
    .param_int = api_param_int,
    .param_real = api_param_real,
    .param_string = api_param_string,
    .set = api_set,
    .set_pair = api_set_pair,
    .set_text = api_set_text,
    .note = api_note,
    .log = api_log,
    .progress = api_progress,
    .cancelled = api_cancelled,
    .vertex_attr = api_vertex_attr,
};

const spand_api_t *engine_api(void)
{
    return &the_api;
}

static void run_free(spand_run_t *r)
{
    for (int t = 0; t < 4; t++) {
        if (r->texts[t]) {
            size_t n = (size_t)r->rows[t] * (size_t)r->ncols[t];
            for (size_t i = 0; i < n; i++)
                free(r->texts[t][i]);
            free(r->texts[t]);
        }
        free(r->cells[t]);
    }
    free(r->pair_set);
    json_decref(r->notes);
}

static int run_init(spand_run_t *r, const plugin_t *p, const view_t *v,
                    job_t *job)
{
    memset(r, 0, sizeof *r);
    r->progress_fd = -1;
    r->plugin = p;
    r->view = v;
    r->job = job;
    /* The runs of a within analysis (one per scope) share one deadline. */
    r->deadline_ns = job->deadline_ns
                         ? job->deadline_ns
                         : now_ns() + (uint64_t)job->timeout_ms * 1000000u;
    igraph_integer_t g = v->pub.ngroups;
    r->rows[SPAND_TABLE_VERTEX] = igraph_vcount(&v->graph);
    r->rows[SPAND_TABLE_GROUP] = g;
    r->rows[SPAND_TABLE_PAIR] = g * g;
    r->rows[SPAND_TABLE_NETWORK] = 1;
    r->text_max = result_text_max(v);
    r->notes = json_array();
    if (!r->notes)
        return -1;
    for (int t = 0; t < 4; t++) {
        r->ncols[t] = p->ncols[t];
        size_t n = (size_t)r->rows[t] * (size_t)r->ncols[t];
        r->cells[t] = malloc((n ? n : 1) * sizeof(double));
        if (!r->cells[t])
            return -1;
        for (size_t i = 0; i < n; i++)
            r->cells[t][i] = NAN;
    }
    r->pair_set = calloc((size_t)(g * g) + 1, 1);
    return r->pair_set ? 0 : -1;
}

/* ---- result tables ----------------------------------------------------- */

/* Move r's tables and notes into a result (r is left empty). Texts set
 * in columns that are not text columns are dropped, as they always were:
 * only a text column shows texts. NULL when out of memory. */
static result_t *result_from_run(spand_run_t *r)
{
    result_t *res = calloc(1, sizeof *res);
    if (!res)
        return NULL;
    const plugin_t *p = r->plugin;
    for (int t = 0; t < 4; t++) {
        result_table_t *rt = &res->t[t];
        rt->rows = r->rows[t];
        rt->ncols = r->ncols[t];
        rt->cells = r->cells[t];
        rt->texts = r->texts[t];
        r->cells[t] = NULL;
        r->texts[t] = NULL;
        for (int c = 0; rt->texts && c < rt->ncols; c++) {
            if (p->desc
                    ->columns[loader_column_index(p, (spand_table_kind_t)t, c)]
                    .type == SPAND_STRING)
                continue;
            for (int64_t row = 0; row < rt->rows; row++) {
                size_t i = (size_t)row * (size_t)rt->ncols + (size_t)c;
                free(rt->texts[i]);
                rt->texts[i] = NULL;
            }
        }
    }
    res->t[SPAND_TABLE_PAIR].set = r->pair_set;
    r->pair_set = NULL;
    res->notes = r->notes;
    r->notes = NULL;
    return res;
}

int engine_check_result(const plugin_t *p, const view_t *v, const void *data,
                        size_t len, result_t **out, char *why, size_t n)
{
    return result_decode(p, v, data, len, out, why, n);
}

/* ---- running a plugin -------------------------------------------------- */

/* Run the plugin in this thread; on success *out is the result (the
 * caller frees it). progress_fd: where a child sends progress lines, or
 * -1. */
static int run_here(job_t *job, const view_t *v, result_t **out,
                    int progress_fd)
{
    const plugin_t *p = job->plugin;
    spand_run_t r;
    int init = run_init(&r, p, v, job);
    r.progress_fd = progress_fd;
    if (init < 0) {
        run_free(&r);
        job->reason = "memory";
        snprintf(job->detail, sizeof job->detail,
                 "out of memory preparing the result tables");
        return -1;
    }
    /* igraph is not thread-safe here (view.h): one run at a time. */
    view_igraph_lock();
    int rc = p->desc->run(p->state, &the_api, &r, &v->pub);
    view_igraph_unlock();
    if (atomic_load(&job->cancel)) {
        run_free(&r);
        job->reason = "cancelled";
        snprintf(job->detail, sizeof job->detail, "the client went away");
        return -1;
    }
    if (rc != 0 && now_ns() > r.deadline_ns) {
        /* It stopped because cancelled() said the time was up. */
        run_free(&r);
        job->reason = "timeout";
        snprintf(job->detail, sizeof job->detail,
                 "stopped at timeout_ms (%u ms); raise it in [analysis], or "
                 "ask the plugin for less (e.g. sample=N)",
                 job->timeout_ms);
        return -1;
    }
    if (rc != 0 || r.oom) {
        run_free(&r);
        job->reason = r.oom ? "memory" : "error";
        if (!job->detail[0])
            snprintf(job->detail, sizeof job->detail,
                     "run() returned %d without a reason", rc);
        return -1;
    }
    *out = result_from_run(&r);
    run_free(&r);
    if (!*out) {
        job->reason = "memory";
        snprintf(job->detail, sizeof job->detail, "out of memory");
        return -1;
    }
    return 0;
}

/* Run the plugin on each of views (n: the scopes of a within analysis,
 * or the one view), results into outs[i]; stops at the first failure. */
static int run_all_here(job_t *job, const view_t *const *views, size_t n,
                        result_t **outs, int progress_fd)
{
    for (size_t i = 0; i < n; i++)
        if (run_here(job, views[i], &outs[i], progress_fd) < 0)
            return -1;
    return 0;
}

/* Resident memory of pid in bytes, or 0 if unknown. */
static size_t child_rss(pid_t pid)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    unsigned long size, resident;
    if (sscanf(buf, "%lu %lu", &size, &resident) != 2)
        return 0;
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* A copy of fd at 10 or above, so that placing it at 3..6 in the child
 * cannot collide with another source descriptor. -1 on failure. */
static int high_dup(int fd)
{
    return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

/* ---- process trees ----------------------------------------------------- */

/* Most processes one analysis may leave behind that are still found and
 * killed one by one (the process group catches the rest). */
#define TREE_MAX 1024

/* Add to set every child of pid (of all its threads, from /proc) not yet
 * in it, stopping each first: a stopped process cannot fork while the
 * tree is walked. Without /proc nothing is found (the group kill stays). */
static void stop_children(pid_t pid, pid_t *set, size_t *n)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%.20s/children", (int)pid,
                 de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        char buf[4096];
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (len <= 0)
            continue;
        buf[len] = '\0';
        char *p = buf, *end;
        for (long c; (c = strtol(p, &end, 10)) > 0; p = end) {
            bool seen = false;
            for (size_t i = 0; i < *n && !seen; i++)
                seen = set[i] == (pid_t)c;
            if (seen || *n >= TREE_MAX)
                continue;
            kill((pid_t)c, SIGSTOP);
            set[(*n)++] = (pid_t)c;
        }
    }
    closedir(d);
}

/* Kill every descendant of root, and root with its process group if
 * with_root: all stopped first, the tree walked again until a walk finds
 * nothing new, then all killed. The daemon does this to an analysis
 * process it gives up on (a timeout must end whatever the plugin started,
 * not only the process it started in); the analysis process does it to
 * what its plugin left running before it sends its result. */
static void kill_tree(pid_t root, bool with_root)
{
    pid_t set[TREE_MAX];
    size_t n = 0;
    if (with_root)
        kill(root, SIGSTOP);
    for (int pass = 0; pass < 16; pass++) {
        size_t before = n;
        stop_children(root, set, &n);
        for (size_t i = 0; i < n; i++)
            stop_children(set[i], set, &n);
        if (n == before)
            break;
    }
    for (size_t i = 0; i < n; i++)
        kill(set[i], SIGKILL);
    if (with_root) {
        kill(-root, SIGKILL); /* its group: spawned as the group's leader */
        kill(root, SIGKILL);
    }
}

/* ---- the analysis process, seen from the daemon -------------------------- */

/* A sealed memfd holding the parameters as JSON: they reach the child
 * through a descriptor, never its command line (ps shows that to every
 * user). -1 on failure. */
static int params_memfd(const json_t *params)
{
    char *text = json_dumps(params, JSON_COMPACT);
    int fd = text
                 ? memfd_create("spand-params", MFD_CLOEXEC | MFD_ALLOW_SEALING)
                 : -1;
    size_t len = text ? strlen(text) : 0, off = 0;
    while (fd >= 0 && off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            fd = -1;
            break;
        }
        off += (size_t)w;
    }
    free(text);
    if (fd >= 0 &&
        fcntl(fd, F_ADD_SEALS,
              F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Start `spand --analysis-child` for job: the view on fd 3, the plugin's
 * object on 4, the result pipe's write end on 5, the parameters on 6, and
 * nothing else but /dev/null on 0 and 1 and the log on 2 (every other
 * descriptor closed by the spawn itself, whatever its close-on-exec flag).
 * It leads a process group of its own, so that the group can be killed
 * with it. Returns 0 with *pid, or an errno value. */
static int spawn_child(job_t *job, int vfd, int wfd, pid_t *pid)
{
    int pfd = params_memfd(job->params);
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%u", job->timeout_ms);
    int fds[4] = {high_dup(vfd), high_dup(job->plugin->memfd), high_dup(wfd),
                  pfd >= 0 ? high_dup(pfd) : -1};
    if (pfd >= 0)
        close(pfd);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY,
                                     0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY,
                                     0);
    int rc = 0;
    for (int i = 0; i < 4; i++)
        if (fds[i] < 0)
            rc = EMFILE;
        else
            posix_spawn_file_actions_adddup2(&fa, fds[i], 3 + i);
    posix_spawn_file_actions_addclosefrom_np(&fa, 7);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setflags(&at,
                             POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    char *argv[] = {"spand", "--analysis-child",           job->plugin->name,
                    timeout, job->progress_cb ? "1" : "0", NULL};
    if (rc == 0)
        rc = posix_spawn(pid, "/proc/self/exe", &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    for (int i = 0; i < 4; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return rc;
}

/* One analysis process being watched. */
struct watch {
    job_t *job;
    pid_t pid;
    int fd;         /* the result pipe's read end, non-blocking */
    uint64_t start; /* ns */
    size_t bound;   /* result_bound(): more is garbage */
    unsigned nprogress;
    buf_t data; /* what came, progress lines taken out */
    const char *killed_for;
    char why[256];
};

static void watch_kill(struct watch *w, const char *reason, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));
static void watch_kill(struct watch *w, const char *reason, const char *fmt,
                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->why, sizeof w->why, fmt, ap);
    va_end(ap);
    w->killed_for = reason;
}

/* Take the progress lines ("P 0.4200") off the front of what came. The
 * API sends at most one per PROGRESS_INTERVAL_MS; a child sending many
 * more is writing to the pipe itself. */
static int watch_progress(struct watch *w)
{
    char *nl;
    while (w->data.len > 2 && w->data.data[0] == 'P' &&
           w->data.data[1] == ' ' &&
           (nl = memchr(w->data.data, '\n', w->data.len))) {
        uint64_t ms = (now_ns() - w->start) / 1000000u;
        if (++w->nprogress > 16 + 2 * ms / PROGRESS_INTERVAL_MS) {
            watch_kill(w, "garbage",
                       "progress reports faster than the API "
                       "sends them; killed");
            return -1;
        }
        post_progress(w->job, strtod(w->data.data + 2, NULL));
        buf_consume(&w->data, (size_t)(nl - w->data.data) + 1);
    }
    return 0;
}

/* Read what the pipe holds. 1 at end of file, 2 when nothing more is
 * there now, 0 after a read, -1 when the child is to be killed. */
static int watch_read(struct watch *w)
{
    /* Straight into the buffer, in big pieces: a result of a few MB then
     * takes a few reads and no copies. */
    size_t room =
        w->data.cap > w->data.len + 1 ? w->data.cap - w->data.len - 1 : 0;
    if (room < 65536 &&
        buf_reserve(&w->data, w->data.len < 65536 ? 65536 : w->data.len) < 0) {
        watch_kill(w, "garbage", "out of memory reading the result");
        return -1;
    }
    room = w->data.cap - w->data.len - 1;
    ssize_t n = read(w->fd, w->data.data + w->data.len, room);
    if (n == 0)
        return 1;
    if (n < 0)
        return errno == EINTR ? 0 : errno == EAGAIN ? 2 : 1;
    w->data.len += (size_t)n;
    w->data.data[w->data.len] = '\0';
    if (watch_progress(w) < 0)
        return -1;
    if (w->data.len > w->bound) {
        watch_kill(w, "garbage",
                   "output exceeds what the view can produce (more than %zu "
                   "bytes); killed",
                   w->bound);
        return -1;
    }
    return 0;
}

/* Whether what came is a whole binary result (result.h), closed by the
 * child after it: then the child has nothing more to say, and its exit
 * (tearing down a process that mapped a large view takes a while) need
 * not be waited for before the answer is written. */
static bool result_complete(const buf_t *d)
{
    return d->len >= 16 && memcmp(d->data, "SPNDRES1", 8) == 0 &&
           memcmp(d->data + d->len - 8, "SPNDEND1", 8) == 0;
}

/* An analysis process that sent its whole result is reaped by its worker
 * after the job is handed back (worker_main), not before. */
static _Thread_local pid_t reap_after_job;

/* Whether pid has exited (left as a zombie: not reaped here). */
static bool child_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == pid;
}

/* Watch the child until it has exited and its result is read, or until
 * it must be killed: cancelled, past its deadline (by the clock, however
 * busy its pipe), past memory_limit, or sending more than its view can
 * produce. A descendant of the child still holding the pipe does not keep
 * us waiting once the child itself has exited. */
static void watch_child(struct watch *w, uint64_t deadline, size_t memory_limit)
{
    int pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0);
    bool eof = false, exited = false;
    uint64_t rss_at = 0;
    for (;;) {
        uint64_t now = now_ns();
        if (atomic_load(&w->job->cancel)) {
            watch_kill(w, "cancelled", "the client went away");
            break;
        }
        if (now >= deadline) {
            watch_kill(w, "timeout",
                       "still running after timeout_ms (%u ms); killed",
                       w->job->timeout_ms);
            break;
        }
        if (memory_limit && now - rss_at >= CHILD_POLL_MS * 1000000ull) {
            rss_at = now;
            size_t rss = child_rss(w->pid);
            if (rss > memory_limit) {
                watch_kill(w, "memory",
                           "resident memory %zu MiB exceeded memory_limit_mb "
                           "(%zu MiB); killed",
                           rss >> 20, memory_limit >> 20);
                break;
            }
        }
        if (exited) {
            /* What it wrote before exiting is in the pipe: take it, and
             * no more than is there now. */
            int rc = eof ? 1 : watch_read(w);
            if (rc != 0)
                break;
            continue;
        }
        uint64_t left_ms = (deadline - now) / 1000000u + 1;
        struct pollfd pf[2] = {{eof ? -1 : w->fd, POLLIN, 0},
                               {pidfd, POLLIN, 0}};
        int pr = poll(pf, 2,
                      (int)(left_ms < CHILD_POLL_MS ? left_ms : CHILD_POLL_MS));
        if (pr > 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            int rc = watch_read(w);
            if (rc < 0)
                break;
            if (rc == 1)
                eof = true;
            if (eof && result_complete(&w->data))
                break; /* the child is exiting: no need to watch that */
            continue;
        }
        if (pidfd >= 0 ? pr > 0 && (pf[1].revents & POLLIN)
                       : child_exited(w->pid))
            exited = true;
    }
    if (pidfd >= 0)
        close(pidfd);
}

/* Why a child that exited gave no usable result, in job; -1. */
static int child_status_failed(job_t *job, int status, size_t got)
{
    job->reason = "crashed";
    if (WIFSIGNALED(status))
        snprintf(job->detail, sizeof job->detail, "killed by signal %d (%s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !got)
        snprintf(job->detail, sizeof job->detail,
                 "exited (status 0) without sending a result");
    else
        snprintf(job->detail, sizeof job->detail, "exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return -1;
}

/* Read a child's answer: a failure as a JSON object {error, detail}
 * (child_fail), a result in binary form (result.h); anything else is
 * garbage. */
static int child_answer(job_t *job, const view_t *const *views, size_t n,
                        const buf_t *data, result_t **outs)
{
    if (!data->len || data->data[0] != '{') {
        char why[256];
        size_t at = 0;
        /* One result per view, one after the other, nothing more. */
        for (size_t i = 0; i < n; i++) {
            size_t used = 0;
            if (result_decode_next(job->plugin, views[i], data->data + at,
                                   data->len - at, &used, &outs[i], why,
                                   sizeof why) < 0) {
                job->reason = "garbage";
                snprintf(job->detail, sizeof job->detail,
                         "malformed result: %s%s", n > 1 ? "a scope's " : "",
                         why);
                return -1;
            }
            at += used;
        }
        if (at != data->len) {
            job->reason = "garbage";
            snprintf(job->detail, sizeof job->detail,
                     "malformed result: more than its results");
            return -1;
        }
        return 0;
    }
    json_error_t je;
    json_t *res =
        json_loadb(data->data, data->len, JSON_REJECT_DUPLICATES, &je);
    if (!res) {
        job->reason = "garbage";
        snprintf(job->detail, sizeof job->detail, "the result is not JSON: %s",
                 je.text);
        return -1;
    }
    json_t *err = json_object_get(res, "error");
    job->reason = "garbage";
    snprintf(job->detail, sizeof job->detail,
             "malformed result: the result is not a result");
    if (json_is_string(err)) {
        static const char *const known[] = {"error", "memory", "cancelled",
                                            "timeout"};
        job->reason = "error";
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (!strcmp(json_string_value(err), known[i]))
                job->reason = known[i];
        const char *d = json_string_value(json_object_get(res, "detail"));
        snprintf(job->detail, sizeof job->detail, "%s", d ? d : "");
    }
    json_decref(res);
    return -1;
}

/* Time a child is given past timeout_ms before it is killed: a plugin
 * that polls cancelled() stops itself at timeout_ms (counted from the
 * child's start, a little later than ours) and says so. */
#define CHILD_GRACE_MS 250

/* Run the plugin in a new process: `spand --analysis-child` started with
 * posix_spawn (spawn_child). Not fork(): a child forked from this
 * multithreaded daemon inherits whatever locks other threads held at that
 * instant (the sanitizers' allocator, igraph's global state), and can
 * hang or crash for reasons that are not the plugin's. A new process
 * inherits nothing but what is handed to it. memory_limit: bytes of
 * resident memory, 0 for none. */
static int run_isolated(job_t *job, view_t *v, const view_t *const *views,
                        size_t nviews, result_t **outs, size_t memory_limit)
{
    int vfd = view_memfd(v);
    if (vfd < 0) {
        job->reason = "error";
        snprintf(job->detail, sizeof job->detail,
                 "cannot hand the view to the analysis process");
        return -1;
    }
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        job->reason = "error";
        snprintf(job->detail, sizeof job->detail, "pipe: %s", strerror(errno));
        return -1;
    }
    /* A bigger pipe (as big as an unprivileged process may ask for) means
     * fewer round trips between the child writing and us reading; failing
     * that, the default size works too. */
    (void)fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20);
    (void)fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    struct watch w = {.job = job, .fd = pfd[0], .data = BUF_INIT};
    int rc = spawn_child(job, vfd, pfd[1], &w.pid);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        job->reason = "error";
        snprintf(job->detail, sizeof job->detail,
                 "cannot start the analysis process: %s", strerror(rc));
        return -1;
    }
    w.start = now_ns();
    w.bound = 0;
    for (size_t i = 0; i < nviews; i++) {
        size_t b = result_bound(job->plugin, views[i]);
        w.bound = b > SIZE_MAX - w.bound ? SIZE_MAX : w.bound + b;
    }
    watch_child(
        &w, w.start + ((uint64_t)job->timeout_ms + CHILD_GRACE_MS) * 1000000u,
        memory_limit);
    /* Whatever happened, nothing the child started outlives it. */
    kill_tree(w.pid, w.killed_for != NULL);
    if (!w.killed_for)
        kill(-w.pid, SIGKILL);
    close(pfd[0]);
    if (!w.killed_for && result_complete(&w.data)) {
        reap_after_job = w.pid;
        rc = child_answer(job, views, nviews, &w.data, outs);
        buf_free(&w.data);
        return rc;
    }
    int status = 0;
    while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (w.killed_for) {
        buf_free(&w.data);
        job->reason = w.killed_for;
        snprintf(job->detail, sizeof job->detail, "%s", w.why);
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !w.data.len) {
        rc = child_status_failed(job, status, w.data.len);
        buf_free(&w.data);
        return rc;
    }
    rc = child_answer(job, views, nviews, &w.data, outs);
    buf_free(&w.data);
    return rc;
}

/* ---- the pool ---------------------------------------------------------- */

struct view_slot {
    char *key;
    view_t *view;
    uint64_t used; /* LRU stamp */
};

struct engine {
    uv_loop_t *loop;
    uv_async_t done_async;
    store_t *store;
    pthread_t *threads;
    job_t **running; /* per worker, under mu: so a stop can cancel them */
    unsigned nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    /* under mu: */
    job_t *qhead, *qtail;
    unsigned queued, queue_max;
    unsigned nice; /* added to each worker's nice value (config) */
    job_t *done_head, *done_tail;
    job_t *progress_head; /* jobs with a progress report to pass on */
    bool stopping;
    bool reaper; /* view_reaper_start() succeeded: stop it in engine_free */
    struct view_slot views[VIEW_CACHE_SLOTS];
    uint64_t stamp;
    int64_t views_from; /* engine_drop_views: no older view is kept */
};

job_t *engine_job_new(void)
{
    job_t *j = calloc(1, sizeof *j);
    if (j)
        atomic_init(&j->cancel, 0);
    return j;
}

void engine_job_free(job_t *job)
{
    if (!job)
        return;
    loader_unref(job->plugin);
    view_spec_free(&job->spec);
    view_spec_free(&job->base_spec);
    json_decref(job->params);
    answer_unref(job->answer);
    view_unref(job->view);
    free(job);
}

/* The view for job from the cache, or built (outside the lock). A cached
 * view is reused only for the data version the store is at now; an older
 * one of the same spec is what the new one is built from (incrementally,
 * when the store has only had appends since), and the new view takes its
 * slot. */
view_t *engine_view(engine_t *e, const view_spec_t *spec,
                    const view_spec_t *base, char *err, size_t errlen)
{
    char *key = view_spec_key(spec, base);
    if (!key) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    store_counts_t c;
    store_counts(e->store, &c);
    view_t *prev = NULL;
    pthread_mutex_lock(&e->mu);
    for (int i = 0; i < VIEW_CACHE_SLOTS; i++) {
        struct view_slot *s = &e->views[i];
        if (!s->view || strcmp(s->key, key) != 0)
            continue;
        if (s->view->data_version == c.data_version) {
            view_ref(s->view);
            s->used = ++e->stamp;
            view_t *v = s->view;
            pthread_mutex_unlock(&e->mu);
            free(key);
            return v;
        }
        if (s->view->data_version < c.data_version &&
            (!prev || prev->data_version < s->view->data_version))
            prev = s->view;
    }
    if (prev)
        view_ref(prev);
    pthread_mutex_unlock(&e->mu);
    view_t *v;
    int rc = view_build_from(e->store, spec, base, prev, &v, err, errlen);
    view_unref(prev);
    if (rc < 0) {
        free(key);
        return NULL;
    }
    /* Keep it: replace an older view of the same spec, else an empty
     * slot. Not if a forget came since it was read (engine_drop_views). */
    pthread_mutex_lock(&e->mu);
    if (v->data_version < e->views_from) {
        pthread_mutex_unlock(&e->mu);
        free(key);
        return v;
    }
    int victim = -1;
    for (int i = 0; i < VIEW_CACHE_SLOTS && victim < 0; i++) {
        struct view_slot *s = &e->views[i];
        if (s->view && !strcmp(s->key, key) &&
            s->view->data_version <= v->data_version)
            victim = i;
    }
    for (int i = 0; i < VIEW_CACHE_SLOTS && victim < 0; i++)
        if (!e->views[i].view)
            victim = i;
    /* Then the least recently used of the stale views (still worth
     * keeping: a start for an incremental build), then of all. */
    for (int pass = 0; pass < 2 && victim < 0; pass++)
        for (int i = 0; i < VIEW_CACHE_SLOTS; i++) {
            struct view_slot *s = &e->views[i];
            if (pass == 0 && s->view->data_version >= v->data_version)
                continue;
            if (victim < 0 || s->used < e->views[victim].used)
                victim = i;
        }
    struct view_slot *s = &e->views[victim];
    view_t *old = s->view;
    free(s->key);
    s->key = key;
    s->view = v;
    s->used = ++e->stamp;
    view_ref(v);
    pthread_mutex_unlock(&e->mu);
    view_unref(old);
    return v;
}

void engine_drop_views(engine_t *e, int64_t version)
{
    view_t *old[VIEW_CACHE_SLOTS];
    int n = 0;
    pthread_mutex_lock(&e->mu);
    if (version > e->views_from)
        e->views_from = version;
    for (int i = 0; i < VIEW_CACHE_SLOTS; i++) {
        struct view_slot *s = &e->views[i];
        if (s->view && s->view->data_version < version) {
            old[n++] = s->view;
            s->view = NULL;
            free(s->key);
            s->key = NULL;
        }
    }
    pthread_mutex_unlock(&e->mu);
    /* A view still in use by a running analysis goes when it ends. */
    for (int i = 0; i < n; i++)
        view_unref(old[i]);
}

/* A plugin trusted to run in the daemon (built in, or configured so).
 * Debian's igraph (IGRAPH_THREAD_SAFE 0) serves one thread at a time, so
 * a run here holds the igraph lock throughout. When another thread holds
 * it (another analysis, a view being built), the run goes to a process of
 * its own over the same view (its sealed memfd), as an untrusted
 * plugin's does, and the two use two cores. The result is the same to the
 * bit: the same code runs on the same graph and sends its doubles, not
 * their text. No memory limit: it would not apply in a thread either. See
 * doc/design-notes.md, "Analyses in parallel". */
static int run_trusted(job_t *job, view_t *v, const view_t *const *views,
                       size_t n, result_t **outs)
{
    if (view_igraph_trylock()) {
        int rc = run_all_here(job, views, n, outs, -1);
        view_igraph_unlock();
        return rc;
    }
    return run_isolated(job, v, views, n, outs, 0);
}

static void run_job(engine_t *e, job_t *job)
{
    uint64_t start = now_ns();
    char err[512] = "";
    view_t *v =
        engine_view(e, &job->spec, job->has_baseline ? &job->base_spec : NULL,
                    err, sizeof err);
    if (!v) {
        job->rc = -1;
        job->reason = "error";
        snprintf(job->detail, sizeof job->detail, "building the view: %.480s",
                 err);
        return;
    }
    job->view = v;
    /* within: the plugin runs on each scope's sub-view (view_split), in
     * turn, in one thread or one analysis process, under one deadline. */
    view_scopes_t sc = {0};
    const view_t *one = v;
    const view_t *const *views = &one;
    size_t n = 1;
    if (v->within) {
        view_igraph_lock();
        int src = view_split(v, &sc, err, sizeof err);
        view_igraph_unlock();
        if (src < 0) {
            job->rc = -1;
            job->reason = "memory";
            snprintf(job->detail, sizeof job->detail, "%.480s", err);
            return;
        }
        views = (const view_t *const *)sc.views;
        n = sc.n;
    }
    result_t **res = calloc(n ? n : 1, sizeof *res);
    int rc = -1;
    job->deadline_ns = now_ns() + (uint64_t)job->timeout_ms * 1000000u;
    if (!res) {
        job->reason = "memory";
        snprintf(job->detail, sizeof job->detail, "out of memory");
    } else if (n == 0) {
        rc = 0; /* no scope: empty tables */
    } else {
        /* A plugin whose code is not in this process can only run
         * isolated. */
        rc = job->isolate || !job->plugin->in_process
                 ? run_isolated(job, v, views, n, res, job->memory_limit)
                 : run_trusted(job, v, views, n, res);
    }
    if (rc == 0) {
        /* The answer's text is written here, on the worker, once: the
         * loop only wraps it (answer.h). It takes the results. */
        const view_spec_t *base = job->has_baseline ? &job->base_spec : NULL;
        job->answer = v->within
                          ? answer_build_scoped(job->plugin, v, &sc, &job->spec,
                                                base, res, err, sizeof err)
                          : answer_build(job->plugin, v, &job->spec, base,
                                         res[0], err, sizeof err);
        if (!job->answer) {
            rc = -1;
            job->reason = "memory";
            snprintf(job->detail, sizeof job->detail, "%s", err);
        }
    } else {
        for (size_t i = 0; res && i < n; i++)
            result_free(res[i]);
    }
    free(res);
    view_scopes_free(&sc);
    job->rc = rc < 0 ? -1 : 0;
    job->elapsed_ms = (double)(now_ns() - start) / 1e6;
}

struct worker_arg {
    engine_t *e;
    unsigned index;
};

/* Analyses run below the event loop's CPU priority: on a busy machine a
 * waiting request is answered before an analysis gets more CPU. Linux
 * keeps a nice value per thread, so this lowers only the calling worker;
 * isolated analyses inherit it, being spawned from the worker. */
static void lower_priority(unsigned nice)
{
    if (nice == 0)
        return;
    pid_t tid = gettid();
    errno = 0;
    int now = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno == 0 && setpriority(PRIO_PROCESS, (id_t)tid, now + (int)nice) < 0)
        log_warn("analysis worker: cannot lower its priority: %s",
                 strerror(errno));
}

static void *worker_main(void *arg)
{
    struct worker_arg *wa = arg;
    engine_t *e = wa->e;
    unsigned me = wa->index;
    free(wa);
    /* igraph's default handler aborts the process; a plugin should get
     * the error code back and report it. The handler is per thread. */
    igraph_set_error_handler(igraph_error_handler_printignore);
    lower_priority(e->nice);
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (!e->qhead && !e->stopping)
            pthread_cond_wait(&e->cond, &e->mu);
        if (!e->qhead)
            break;
        job_t *job = e->qhead;
        e->qhead = job->next;
        if (!e->qhead)
            e->qtail = NULL;
        e->queued--;
        e->running[me] = job;
        pthread_mutex_unlock(&e->mu);

        if (atomic_load(&job->cancel)) {
            job->rc = -1;
            job->reason = "cancelled";
            snprintf(job->detail, sizeof job->detail,
                     "cancelled before it "
                     "ran");
        } else {
            run_job(e, job);
        }

        pthread_mutex_lock(&e->mu);
        e->running[me] = NULL;
        job->next = NULL;
        if (e->done_tail)
            e->done_tail->next = job;
        else
            e->done_head = job;
        e->done_tail = job;
        uv_async_send(&e->done_async);
        if (reap_after_job > 0) {
            pthread_mutex_unlock(&e->mu);
            while (waitpid(reap_after_job, NULL, 0) < 0 && errno == EINTR)
                ;
            reap_after_job = 0;
            pthread_mutex_lock(&e->mu);
        }
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

static void post_progress(job_t *job, double fraction)
{
    engine_t *e = job->engine;
    if (!e || !job->progress_cb)
        return;
    pthread_mutex_lock(&e->mu);
    job->progress = fraction;
    if (!job->progress_queued) {
        job->progress_queued = true;
        job->pnext = e->progress_head;
        e->progress_head = job;
    }
    pthread_mutex_unlock(&e->mu);
    uv_async_send(&e->done_async);
}

static void on_done(uv_async_t *h)
{
    engine_t *e = h->data;
    pthread_mutex_lock(&e->mu);
    /* Progress first: a job that also finished is still alive here, and
     * its last progress report belongs before its answer. */
    job_t *plist = e->progress_head;
    e->progress_head = NULL;
    while (plist) {
        job_t *j = plist;
        plist = j->pnext;
        j->progress_queued = false;
        double f = j->progress;
        pthread_mutex_unlock(&e->mu);
        j->progress_cb(j, f);
        pthread_mutex_lock(&e->mu);
    }
    job_t *job = e->done_head;
    e->done_head = e->done_tail = NULL;
    pthread_mutex_unlock(&e->mu);
    while (job) {
        job_t *next = job->next;
        job->next = NULL;
        job->cb(job);
        job = next;
    }
}

engine_t *engine_new(uv_loop_t *loop, const config_t *cfg, store_t *store,
                     char *err, size_t errlen)
{
    engine_t *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->loop = loop;
    e->store = store;
    /* engine_new runs on the loop thread: from now on a view whose last
     * reference it drops is freed by the reaper, not there (view.h). */
    if (view_reaper_start() == 0)
        e->reaper = true;
    e->queue_max = cfg->analysis_queue;
    e->nice = cfg->analysis_nice;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cond, NULL);
    if (uv_async_init(loop, &e->done_async, on_done) < 0) {
        snprintf(err, errlen, "uv_async_init failed");
        if (e->reaper)
            view_reaper_stop();
        free(e);
        return NULL;
    }
    e->done_async.data = e;
    e->threads = calloc(cfg->workers, sizeof *e->threads);
    e->running = calloc(cfg->workers, sizeof *e->running);
    if (!e->threads || !e->running) {
        snprintf(err, errlen, "out of memory");
        engine_free(e);
        return NULL;
    }
    for (unsigned i = 0; i < cfg->workers; i++) {
        struct worker_arg *wa = malloc(sizeof *wa);
        int rc = wa ? 0 : ENOMEM;
        if (wa) {
            *wa = (struct worker_arg){e, i};
            rc = pthread_create(&e->threads[i], NULL, worker_main, wa);
            if (rc != 0)
                free(wa);
        }
        if (rc != 0) {
            snprintf(err, errlen, "cannot start analysis worker: %s",
                     strerror(rc));
            engine_free(e);
            return NULL;
        }
        e->nthreads++;
    }
    return e;
}

static void on_async_closed(uv_handle_t *h)
{
    free(h->data);
}

void engine_free(engine_t *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->stopping = true;
    for (job_t *j = e->qhead; j; j = j->next)
        atomic_store(&j->cancel, 1);
    /* An isolated analysis is killed at once; one running in a thread
     * stops when it next polls cancelled(). */
    for (unsigned i = 0; e->running && i < e->nthreads; i++)
        if (e->running[i])
            atomic_store(&e->running[i]->cancel, 1);
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->mu);
    for (unsigned i = 0; i < e->nthreads; i++)
        pthread_join(e->threads[i], NULL);
    free(e->threads);
    free(e->running);
    on_done(&e->done_async);
    for (int i = 0; i < VIEW_CACHE_SLOTS; i++) {
        free(e->views[i].key);
        view_unref(e->views[i].view);
    }
    if (e->reaper)
        view_reaper_stop();
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cond);
    uv_close((uv_handle_t *)&e->done_async, on_async_closed);
}

int engine_submit(engine_t *e, job_t *job)
{
    pthread_mutex_lock(&e->mu);
    if (e->stopping || e->queued >= e->queue_max) {
        pthread_mutex_unlock(&e->mu);
        return -EBUSY;
    }
    job->next = NULL;
    job->engine = e;
    if (e->qtail)
        e->qtail->next = job;
    else
        e->qhead = job;
    e->qtail = job;
    e->queued++;
    pthread_cond_signal(&e->cond);
    pthread_mutex_unlock(&e->mu);
    return 0;
}

void engine_cancel(job_t *job)
{
    atomic_store(&job->cancel, 1);
}

void engine_cancel_all(engine_t *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    for (job_t *j = e->qhead; j; j = j->next)
        atomic_store(&j->cancel, 1);
    for (unsigned i = 0; i < e->nthreads; i++)
        if (e->running[i])
            atomic_store(&e->running[i]->cancel, 1);
    pthread_mutex_unlock(&e->mu);
}

unsigned engine_queued(engine_t *e)
{
    pthread_mutex_lock(&e->mu);
    unsigned n = e->queued;
    pthread_mutex_unlock(&e->mu);
    return n;
}

/* ---- the analysis process ---------------------------------------------- */

static void child_progress_marker(job_t *job, double fraction)
{
    (void)job;
    (void)fraction; /* only its presence matters: api_progress writes */
}

static void child_write(const char *text, size_t n)
{
    const char *p = text;
    while (n) {
        ssize_t w = write(5, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static int child_fail(const char *reason, const char *detail)
{
    kill_tree(getpid(), false);
    json_t *e = json_pack("{s:s, s:s}", "error", reason, "detail", detail);
    char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
    if (text)
        child_write(text, strlen(text));
    free(text);
    json_decref(e);
    return 0; /* the error travels in the result, not the exit status */
}

/* The parameters from fd 6 (params_memfd), which is then closed. */
static json_t *child_params(void)
{
    struct stat st;
    json_t *params = NULL;
    if (fstat(6, &st) == 0 && st.st_size >= 0 && st.st_size < (1 << 30)) {
        size_t len = (size_t)st.st_size;
        char *text = malloc(len + 1);
        if (text && pread(6, text, len, 0) == (ssize_t)len) {
            json_error_t je;
            params = json_loadb(text, len, 0, &je);
        }
        free(text);
    }
    close(6);
    return params;
}

int engine_child_main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the daemon */
    if (getppid() == 1)
        return 3; /* the daemon died before the line above */
    /* Whatever the plugin forks stays below this process even when its
     * parent exits, so that kill_tree() finds it. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore); /* no core files of personal data */
    close_range(7, ~0U, 0); /* the spawn closed them; this is belt and braces */
    igraph_set_error_handler(igraph_error_handler_printignore);
    json_object_seed(0);
    json_t *params = child_params();

    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(3, &st) == 0 && st.st_size > 0)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, 3, 0);
    char err[512];
    view_t *v = map == MAP_FAILED
                    ? NULL
                    : view_load(map, (size_t)st.st_size, err, sizeof err);
    if (!v)
        return child_fail("error", "the analysis process could not read "
                                   "the view");
    plugin_t *p = loader_open_fd(4, argv[2], engine_api(), err, sizeof err);
    if (!p)
        return child_fail("error", err);
    job_t *job = engine_job_new();
    if (!job || !params)
        return child_fail("memory", "cannot set up the analysis");
    job->params = params;
    job->plugin = p;
    job->timeout_ms = (unsigned)strtoul(argv[3], NULL, 10);
    if (!strcmp(argv[4], "1"))
        job->progress_cb = child_progress_marker;
    /* within: every scope's sub-view, in turn, under one deadline; the
     * results one after the other (child_answer). */
    view_scopes_t sc = {0};
    const view_t *one = v;
    const view_t *const *views = &one;
    size_t n = 1;
    if (v->within) {
        if (view_split(v, &sc, err, sizeof err) < 0)
            return child_fail("memory", err);
        views = (const view_t *const *)sc.views;
        n = sc.n;
        job->deadline_ns = now_ns() + (uint64_t)job->timeout_ms * 1000000u;
    }
    result_t **results = calloc(n ? n : 1, sizeof *results);
    if (!results)
        return child_fail("memory", "cannot set up the analysis");
    if (run_all_here(job, views, n, results, 5) < 0)
        return child_fail(job->reason, job->detail);
    /* Before the result: nothing the plugin started may write after it,
     * or hold the pipe open once this process is gone. */
    kill_tree(getpid(), false);
    buf_t bin = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        if (result_encode(results[i], &bin) < 0)
            return child_fail("memory", "out of memory writing the result");
    child_write(bin.data, bin.len);
    close(5); /* the end of the result: the daemon need not wait for ours */
    /* Exit without tearing down: the process is going anyway, and the
     * plugin's fini() has nothing to keep. */
    _exit(0);
}
