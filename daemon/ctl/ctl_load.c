/* ctl_load.c - `spanctl load`; see ctl_load.h.
 *
 * The hot path is CSV rows to JSON text: libcsv splits the fields (or
 * ctl_csv_fast_line for the plain lines that are most of a file), and the
 * JSON of each item is written straight into the batch's buffer with its
 * own escaping (no jansson objects), because building and dumping a
 * jansson tree per row would cost more than the server's work on it. JSON
 * Lines are copied by ctl_jsonl_fast when they are the usual flat items,
 * else they go through jansson. The fast paths live in ctl_fast.c, where
 * tests/fuzz checks them against libcsv and jansson. Buffers (buf.h), the
 * event index (strmap.h) and the JSON scanning (jscan.h) are the daemon's
 * own, from daemon/common. */
/* POSIX.1-2008: strdup, clock_gettime, MSG_NOSIGNAL, sendmsg. */
#define _POSIX_C_SOURCE 200809L

#include "ctl_load.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ctl_fast.h"
#include "strmap.h"
#include "ts.h"
#include "utf8.h"

#define READ_BUF (1u << 20)
/* A batch is also cut at this size, well under the server's default
 * max_request_bytes (16 MiB), so wide rows cannot make one request too
 * long for it. */
#define BATCH_MAX_BYTES (4u << 20)
#define SHOWN_REJECTS 10
#define BUSY_RETRIES 50
#define ATTR_NAME_MAX 64
#define SHOWN_IMPLICIT 10
#define MAX_WARNINGS 100
/* Typos are looked for only among short edit distances (1, or 2 for ids
 * of 6 bytes or more) and only for the people shown, so the cost stays
 * bounded by SHOWN_IMPLICIT passes over the known ids. */
#define TYPO_MIN_LEN 3
/* Where an id was first seen, as one int64 in a strmap: file << 40 | line. */
#define POS(file, line) ((int64_t)(((uint64_t)(file) << 40) | (line)))
#define POS_FILE(v) ((size_t)(((uint64_t)(v) >> 40) & 0xfffff))
#define POS_MASK ((INT64_C(1) << 60) - 1)
/* What the ingest replies said of an id in loader.named: spand created
 * it (the batch that first named it made exactly as many people as it
 * named new ids), or perhaps (fewer: some existed). */
#define NAMED_IMPLICIT (INT64_C(1) << 60)
#define NAMED_PERHAPS (INT64_C(1) << 61)
#define POS_LINE(v) ((uint64_t)(v) & ((UINT64_C(1) << 40) - 1))

struct u64vec {
    uint64_t *v;
    size_t n, cap;
};

static int u64_push(struct u64vec *a, uint64_t x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        if (cap > SIZE_MAX / sizeof *a->v)
            return -ENOMEM;
        uint64_t *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

/* ---- JSON text --------------------------------------------------------- */

/* True when s[0..n) is a number in JSON's grammar (so it can be copied). */
static bool json_number_text(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i == n)
        return false;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

/* An optional '-' and 1..18 digits: Unix seconds that fit an int64 with
 * room to spare (larger values go as text, for the server to reject with
 * a reason rather than a parse error of the whole request). */
static bool parse_int_text(const char *s, size_t n, long long *out)
{
    size_t i = s[0] == '-' ? 1 : 0;
    if (n <= i || n - i > 18)
        return false;
    long long v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = s[0] == '-' ? -v : v;
    return true;
}

/* ---- the loader -------------------------------------------------------- */

enum kind { K_PEOPLE, K_RECORDS, K_EVENTS, K_N };
static const char *const kind_list[K_N] = {"people", "records", "events"};

struct batch {
    size_t file;
    buf_t items[K_N];         /* items' JSON, comma separated */
    struct u64vec lines[K_N]; /* source line of every item */
    /* Long-form events only: the line of every participant, and where
     * each event's participants start in plines. */
    struct u64vec plines, pstart;
    size_t n;
    buf_t req; /* the params text as sent */
    unsigned attempts;
    size_t sent; /* bytes counted in loader.rbytes while in flight */
};

enum ftype {
    FT_UNKNOWN,
    FT_PEOPLE,
    FT_RECORDS,
    FT_EVENTS,
    FT_EVENTS_LONG,
    FT_JSONL
};
static const char *const ftype_name[] = {"unknown", "people",      "records",
                                         "events",  "events-long", "jsonl"};

struct file_stat {
    const char *name;
    enum ftype type;
    uint64_t items; /* items read, valid or not */
    uint64_t added, updated, duplicate, rejected;
    bool failed;
    double secs;
};

struct shown {
    size_t file;
    uint64_t line;
    char *text;
};

struct loader {
    ctl_conn_t *conn;
    const ctl_load_opts_t *opt;
    char *err;
    size_t errlen;
    int fatal; /* negative errno once loading must stop */
    bool stop; /* --strict: a batch was rejected */

    struct file_stat *files;
    size_t nfiles, file; /* files[file] is being read */
    uint64_t fsize;      /* 0: unknown (a pipe) */
    uint64_t fpos;       /* bytes of it consumed */
    uint64_t line;       /* physical line being read */
    double fstart;

    struct batch *cur;
    struct batch *ring[CTL_LOAD_PIPELINE];
    size_t rhead, rcount;
    size_t rbytes; /* request bytes of the batches in ring */
    struct batch *spare[CTL_LOAD_PIPELINE + 1];
    size_t nspare;

    uint64_t p_added, p_updated, p_dup, implicit, r_added, r_dup, e_added,
        e_dup, rejected, unsent;
    long long data_version;
    struct shown shown[SHOWN_REJECTS];
    size_t nshown;
    struct shown warned[MAX_WARNINGS];
    size_t nwarned;

    /* Who is described: the ids of this load's people rows (file and line
     * of the last row that described each), and the ids that records and
     * events name without such a row (where first named). */
    strmap_t people, named;
    strmap_t checked; /* --no-implicit: id -> 1 described in spand, 0 not */
    strmap_t content; /* this file: content hash -> rows with it so far */
    uint64_t content_ids[K_N];
    /* Undescribed people listed in the summary, in input order. */
    struct implicit {
        size_t file;
        uint64_t line;
        char *id, *hint; /* hint: a known id it may be a typo of, or NULL */
    } implicit_shown[SHOWN_IMPLICIT];
    size_t nimplicit_shown;
    uint64_t implicit_unlisted;
    size_t named_sure, named_perhaps; /* ids in named of each flag */
    bool tz_set;
    char *old_tz;

    bool tty;
    int cols;
    double last_draw;
    bool drawn;
};

static void fail(struct loader *l, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the first fatal error; later ones are consequences of it. */
static void fail(struct loader *l, int code, const char *fmt, ...)
{
    if (l->fatal)
        return;
    l->fatal = code < 0 ? code : -EIO;
    if (l->errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(l->err, l->errlen, fmt, ap) < 0)
        l->err[0] = '\0';
    va_end(ap);
}

static void oom(struct loader *l)
{
    fail(l, -ENOMEM, "out of memory");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *fname(const struct loader *l, size_t f)
{
    return l->files[f].name;
}

/* Clear the progress bar so that a message can be printed on its own line. */
static void progress_clear(struct loader *l)
{
    if (l->drawn) {
        fputs("\r\033[K", stderr);
        l->drawn = false;
    }
}

static void warn_msg(struct loader *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn_msg(struct loader *l, const char *fmt, ...)
{
    progress_clear(l);
    va_list ap;
    va_start(ap, fmt);
    fputs("spanctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Keep the SHOWN_REJECTS rejections earliest in the input: responses come
 * late, after rejections found while reading later rows. */
static void note_reject(struct loader *l, size_t file, uint64_t line,
                        const char *text)
{
    size_t pos = l->nshown;
    while (pos > 0 &&
           (l->shown[pos - 1].file > file ||
            (l->shown[pos - 1].file == file && l->shown[pos - 1].line > line)))
        pos--;
    if (pos >= SHOWN_REJECTS)
        return;
    char *copy = strdup(text);
    if (!copy) {
        oom(l);
        return;
    }
    if (l->nshown == SHOWN_REJECTS) {
        free(l->shown[SHOWN_REJECTS - 1].text);
        l->nshown--;
    }
    memmove(&l->shown[pos + 1], &l->shown[pos],
            (l->nshown - pos) * sizeof l->shown[0]);
    l->shown[pos] = (struct shown){file, line, copy};
    l->nshown++;
}

static void reject_local(struct loader *l, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An item refused before sending; it counts as rejected like the
 * server's. */
static void reject_local(struct loader *l, uint64_t line, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(text, sizeof text, fmt, ap) < 0)
        text[0] = '\0';
    va_end(ap);
    l->rejected++;
    l->files[l->file].rejected++;
    l->files[l->file].items++;
    note_reject(l, l->file, line, text);
}

static void warn_at(struct loader *l, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Something the load went on past but did not do as the file says (a
 * column ignored): on stderr at once, and in the JSON summary. */
static void warn_at(struct loader *l, uint64_t line, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(text, sizeof text, fmt, ap) < 0)
        text[0] = '\0';
    va_end(ap);
    if (line)
        warn_msg(l, "%s:%llu: %s", fname(l, l->file), (unsigned long long)line,
                 text);
    else
        warn_msg(l, "%s: %s", fname(l, l->file), text);
    if (l->nwarned == MAX_WARNINGS)
        return;
    char *copy = strdup(text);
    if (!copy) {
        oom(l);
        return;
    }
    l->warned[l->nwarned++] = (struct shown){l->file, line, copy};
}

/* ---- progress ---------------------------------------------------------- */

/* At most ten redraws a second on a terminal; a line every five seconds
 * in a log, where each one stays. */
static void progress(struct loader *l)
{
    double t = now();
    double every = l->tty ? 0.1 : 5.0;
    if (t - l->last_draw < every)
        return;
    l->last_draw = t;
    const struct file_stat *f = &l->files[l->file];
    double el = t - l->fstart;
    double rate = el > 0 ? (double)f->items / el : 0;
    int pct = -1;
    if (l->fsize > 0)
        pct = (int)(l->fpos >= l->fsize ? 100 : l->fpos * 100 / l->fsize);
    if (l->tty) {
        char bar[24];
        const int w = 20;
        int fill = pct >= 0 ? pct * w / 100 : 0;
        for (int i = 0; i < w; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[w] = '\0';
        char line[256];
        int n;
        if (pct >= 0)
            n = snprintf(line, sizeof line,
                         "%.30s %3d%% [%s] %llu items %.0f items/s", f->name,
                         pct, bar, (unsigned long long)f->items, rate);
        else
            n = snprintf(line, sizeof line,
                         "%.30s %.1f MB %llu items %.0f items/s", f->name,
                         (double)l->fpos / 1e6, (unsigned long long)f->items,
                         rate);
        if (n < 0)
            return;
        if (l->cols > 1 && n >= l->cols)
            line[l->cols - 1] = '\0';
        fprintf(stderr, "\r\033[K%s", line);
        fflush(stderr);
        l->drawn = true;
    } else if (pct >= 0) {
        fprintf(stderr, "spanctl: %s: %d%%, %llu items, %.0f items/s\n",
                f->name, pct, (unsigned long long)f->items, rate);
    } else {
        fprintf(stderr, "spanctl: %s: %.1f MB, %llu items, %.0f items/s\n",
                f->name, (double)l->fpos / 1e6, (unsigned long long)f->items,
                rate);
    }
}

/* ---- batches and the pipeline ------------------------------------------ */

static struct batch *batch_get(struct loader *l)
{
    struct batch *b;
    if (l->nspare > 0) {
        b = l->spare[--l->nspare];
    } else {
        b = calloc(1, sizeof *b);
        if (!b) {
            oom(l);
            return NULL;
        }
    }
    for (int k = 0; k < K_N; k++) {
        buf_clear(&b->items[k]);
        b->lines[k].n = 0;
    }
    b->plines.n = b->pstart.n = 0;
    buf_clear(&b->req);
    b->n = 0;
    b->attempts = 0;
    b->file = l->file;
    return b;
}

static void batch_free(struct batch *b)
{
    if (!b)
        return;
    for (int k = 0; k < K_N; k++) {
        buf_free(&b->items[k]);
        free(b->lines[k].v);
    }
    free(b->plines.v);
    free(b->pstart.v);
    buf_free(&b->req);
    free(b);
}

/* Keep the buffers of a finished batch for the next one: their capacity
 * is already right, and reallocating megabytes per batch is not free. */
static void batch_put(struct loader *l, struct batch *b)
{
    if (l->nspare < sizeof l->spare / sizeof l->spare[0])
        l->spare[l->nspare++] = b;
    else
        batch_free(b);
}

static uint64_t batch_first_line(const struct batch *b)
{
    uint64_t first = UINT64_MAX;
    for (int k = 0; k < K_N; k++)
        if (b->lines[k].n && b->lines[k].v[0] < first)
            first = b->lines[k].v[0];
    return first == UINT64_MAX ? 0 : first;
}

static uint64_t batch_last_line(const struct batch *b)
{
    uint64_t last = 0;
    for (int k = 0; k < K_N; k++)
        if (b->lines[k].n && b->lines[k].v[b->lines[k].n - 1] > last)
            last = b->lines[k].v[b->lines[k].n - 1];
    return last;
}

static uint64_t jint(json_t *o, const char *k1, const char *k2)
{
    json_t *j = json_object_get(o, k1);
    if (k2)
        j = json_object_get(j, k2);
    json_int_t v = json_is_integer(j) ? json_integer_value(j) : 0;
    return v > 0 ? (uint64_t)v : 0;
}

/* Parse "records[17].ts" into kind, index and the rest ("ts"). */
static bool split_path(const char *path, int *kind, size_t *idx,
                       const char **rest)
{
    for (int k = 0; k < K_N; k++) {
        size_t kl = strlen(kind_list[k]);
        if (strncmp(path, kind_list[k], kl) != 0 || path[kl] != '[')
            continue;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(path + kl + 1, &end, 10);
        if (errno || end == path + kl + 1 || *end != ']')
            return false;
        *kind = k;
        *idx = (size_t)v;
        *rest = end[1] == '.' ? end + 2 : end + 1;
        return true;
    }
    return false;
}

/* Report the server's {path, reason} list against the batch's lines.
 * Consecutive problems of one item on one line become one row of the
 * report, as a person reads it: records.csv:12: ts: ...; to: ... */
static void note_server_rejects(struct loader *l, const struct batch *b,
                                json_t *list)
{
    char text[1024];
    size_t tlen = 0;
    uint64_t tline = 0;
    int tkind = -1;
    size_t tidx = 0;
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *path = json_string_value(json_object_get(e, "path"));
        const char *reason = json_string_value(json_object_get(e, "reason"));
        if (!path)
            path = "?";
        if (!reason)
            reason = "rejected";
        int kind = -1;
        size_t idx = 0;
        const char *field = path;
        uint64_t line = 0;
        if (split_path(path, &kind, &idx, &field) && idx < b->lines[kind].n) {
            line = b->lines[kind].v[idx];
            if (kind == K_EVENTS && idx < b->pstart.n &&
                strncmp(field, "participants[", 13) == 0) {
                /* Long form: each participant came from its own row. */
                size_t at = (size_t)b->pstart.v[idx] +
                            (size_t)strtoull(field + 13, NULL, 10);
                size_t end = idx + 1 < b->pstart.n
                                 ? (size_t)b->pstart.v[idx + 1]
                                 : b->plines.n;
                if (at < end)
                    line = b->plines.v[at];
                field = "person";
            }
        } else {
            kind = -1;
            field = path;
        }
        bool same = kind >= 0 && kind == tkind && idx == tidx && line == tline;
        if (tlen > 0 && !same) {
            note_reject(l, b->file, tline, text);
            tlen = 0;
        }
        int w = snprintf(text + tlen, sizeof text - tlen, "%s%s%s%s",
                         tlen ? "; " : "", field, *field ? ": " : "", reason);
        if (w > 0)
            tlen = tlen + (size_t)w >= sizeof text ? sizeof text - 1
                                                   : tlen + (size_t)w;
        tline = line;
        tkind = kind;
        tidx = idx;
    }
    if (tlen > 0)
        note_reject(l, b->file, tline, text);
}

static int send_batch(struct loader *l, struct batch *b)
{
    char err[512];
    int rc = ctl_conn_send(l->conn, "ingest", b->req.data, b->req.len, err,
                           sizeof err);
    if (rc < 0) {
        fail(l, rc, "%s", err);
        return rc;
    }
    b->attempts++;
    b->sent = b->req.len;
    l->rbytes += b->sent;
    l->ring[(l->rhead + l->rcount) % CTL_LOAD_PIPELINE] = b;
    l->rcount++;
    return 0;
}

static void busy_wait(unsigned attempt)
{
    unsigned ms = attempt * 100 > 2000 ? 2000 : attempt * 100;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Note id s[0..n), named by a row on line of file, if it has no people
 * row of this load and was not named before. */
static int named_at(struct loader *l, size_t file, uint64_t line, const char *s,
                    size_t n, buf_t *cands, size_t *ncands)
{
    int64_t v;
    if (strmap_get(&l->people, s, n, &v) || strmap_get(&l->named, s, n, &v))
        return 0;
    if (strmap_put(&l->named, s, n, POS(file, line)) < 0)
        return -1;
    buf_append(cands, s, n);
    buf_putc(cands, '\0');
    (*ncands)++;
    return cands->failed ? -1 : 0;
}

/* When spand says a batch made people without attributes, find whom:
 * the ids its records and events name first (from, to, participants),
 * read back from the batch's own text. Only such batches are read again,
 * so a load that names known people pays nothing per row. Each id is
 * marked as created (the batch named exactly as many new ids as spand
 * made people) or perhaps created (some of them existed). */
static int scan_named(struct loader *l, const struct batch *b,
                      uint64_t implicit)
{
    /* The list shows SHOWN_IMPLICIT and counts the rest with spand's
     * figures: once enough are found no batch is read again. */
    if (implicit == 0 || l->opt->no_implicit ||
        l->named_sure >= SHOWN_IMPLICIT ||
        l->named_sure + l->named_perhaps >= 4 * SHOWN_IMPLICIT)
        return 0;
    buf_t cands = {0}, t = {0};
    size_t ncands = 0;
    int rc = 0;
    static const int kinds[] = {K_RECORDS, K_EVENTS};
    for (size_t ki = 0; ki < 2 && rc == 0; ki++) {
        int k = kinds[ki];
        if (!b->lines[k].n)
            continue;
        buf_clear(&t);
        buf_putc(&t, '[');
        buf_append(&t, b->items[k].data, b->items[k].len);
        buf_putc(&t, ']');
        json_t *a = t.failed ? NULL : json_loadb(t.data, t.len, 0, NULL);
        if (!a) {
            rc = -1;
            break;
        }
        size_t i;
        json_t *it;
        json_array_foreach(a, i, it)
        {
            uint64_t line = i < b->lines[k].n ? b->lines[k].v[i] : 0;
            json_t *names[2] = {json_object_get(it, "from"),
                                json_object_get(it, "to")};
            for (size_t q = 0; q < 2 && rc == 0; q++)
                if (json_is_string(names[q]))
                    rc =
                        named_at(l, b->file, line, json_string_value(names[q]),
                                 json_string_length(names[q]), &cands, &ncands);
            size_t pi;
            json_t *pv;
            json_array_foreach(json_object_get(it, "participants"), pi, pv)
            {
                if (rc == 0 && json_is_string(pv))
                    rc = named_at(l, b->file, line, json_string_value(pv),
                                  json_string_length(pv), &cands, &ncands);
            }
            if (rc)
                break;
        }
        json_decref(a);
    }
    int64_t flag = implicit == ncands ? NAMED_IMPLICIT : NAMED_PERHAPS;
    if (flag == NAMED_IMPLICIT)
        l->named_sure += ncands;
    else
        l->named_perhaps += ncands;
    const char *p = cands.data;
    for (size_t i = 0; i < ncands && rc == 0; i++) {
        size_t n = strlen(p);
        int64_t v;
        if (strmap_get(&l->named, p, n, &v))
            strmap_put(&l->named, p, n, (v & POS_MASK) | flag); /* no growth */
        p += n + 1;
    }
    buf_free(&cands);
    buf_free(&t);
    if (rc)
        oom(l);
    return rc;
}

/* Wait for the oldest batch's answer and account for it. */
static int handle_reply(struct loader *l)
{
    ctl_reply_t r;
    char err[512];
    int rc = ctl_conn_recv(l->conn, &r, err, sizeof err);
    if (rc < 0) {
        fail(l, rc, "%s", err);
        return rc;
    }
    struct batch *b = l->ring[l->rhead];
    l->rhead = (l->rhead + 1) % CTL_LOAD_PIPELINE;
    l->rcount--;
    l->rbytes -= b->sent;
    struct file_stat *f = &l->files[b->file];
    if (r.code == 0) {
        json_t *res = r.result;
        uint64_t pa = jint(res, "people", "added"),
                 pu = jint(res, "people", "updated"),
                 pd = jint(res, "people", "duplicate"),
                 ra = jint(res, "records", "added"),
                 rd = jint(res, "records", "duplicate"),
                 ea = jint(res, "events", "added"),
                 ed = jint(res, "events", "duplicate"),
                 rj = jint(res, "rejected_count", NULL);
        l->p_added += pa;
        l->p_updated += pu;
        l->p_dup += pd;
        l->implicit += jint(res, "people", "implicit");
        l->r_added += ra;
        l->r_dup += rd;
        l->e_added += ea;
        l->e_dup += ed;
        l->rejected += rj;
        f->added += pa + ra + ea;
        f->updated += pu;
        f->duplicate += pd + rd + ed;
        f->rejected += rj;
        json_t *dv = json_object_get(res, "data_version");
        if (json_is_integer(dv) && json_integer_value(dv) > l->data_version)
            l->data_version = json_integer_value(dv);
        if (rj)
            note_server_rejects(l, b, json_object_get(res, "rejected"));
        scan_named(l, b, jint(res, "people", "implicit"));
        batch_put(l, b);
    } else if (r.code == 1001 && b->attempts < BUSY_RETRIES) {
        /* Busy: the server's queue is full; the batch was not taken. */
        busy_wait(b->attempts);
        ctl_reply_clear(&r);
        return send_batch(l, b);
    } else if (r.code == 1005) {
        uint64_t rj = jint(r.data, "rejected_count", NULL);
        if (rj == 0 || rj > b->n)
            rj = b->n;
        l->rejected += rj;
        l->unsent += b->n - rj;
        f->rejected += rj;
        f->failed = true;
        note_server_rejects(l, b, json_object_get(r.data, "rejected"));
        if (!l->stop)
            warn_msg(l,
                     "%s: lines %llu-%llu: batch rejected: %llu invalid "
                     "item%s, nothing of it stored; stopping (--strict)",
                     f->name, (unsigned long long)batch_first_line(b),
                     (unsigned long long)batch_last_line(b),
                     (unsigned long long)rj, rj == 1 ? "" : "s");
        l->stop = true;
        batch_put(l, b);
    } else {
        /* -32600 on an ingest built here means the request was too big
         * for the server's max_request_bytes. */
        fail(l, -EIO, "%s: lines %llu-%llu: ingest failed: %s (error %lld)%s",
             f->name, (unsigned long long)batch_first_line(b),
             (unsigned long long)batch_last_line(b), r.message, r.code,
             r.code == -32600 ? "; a smaller --batch may help" : "");
        f->failed = true;
        batch_put(l, b);
        ctl_reply_clear(&r);
        return -EIO;
    }
    ctl_reply_clear(&r);
    return l->fatal;
}

/* Send the current batch, first waiting for room in the pipeline. */
static int submit(struct loader *l)
{
    struct batch *b = l->cur;
    if (!b || b->n == 0 || l->fatal)
        return l->fatal;
    l->cur = NULL;
    buf_t *q = &b->req;
    buf_clear(q);
    buf_putc(q, '{');
    for (int k = 0; k < K_N; k++) {
        if (!b->lines[k].n)
            continue;
        buf_putc(q, '"');
        buf_append(q, kind_list[k], strlen(kind_list[k]));
        BUF_LIT(q, "\":[");
        buf_append(q, b->items[k].data, b->items[k].len);
        BUF_LIT(q, "],");
    }
    if (l->opt->strict)
        BUF_LIT(q, "\"on_error\":\"reject\"}");
    else
        BUF_LIT(q, "\"on_error\":\"skip\"}");
    if (q->failed) {
        batch_put(l, b);
        oom(l);
        return l->fatal;
    }
    while ((l->rcount >= CTL_LOAD_PIPELINE ||
            (l->rcount && l->rbytes + q->len > CTL_LOAD_INFLIGHT_BYTES)) &&
           !l->fatal)
        handle_reply(l);
    if (l->fatal || l->stop) {
        /* After a rejected batch under --strict nothing more is sent. */
        batch_put(l, b);
        return l->fatal;
    }
    if (send_batch(l, b) < 0)
        batch_put(l, b);
    return l->fatal;
}

static int drain(struct loader *l)
{
    while (l->rcount > 0 && !l->fatal)
        handle_reply(l);
    return l->fatal;
}

/* Start an item of kind k; returns its buffer and where to roll back to,
 * or NULL when loading must stop. */
static buf_t *item_begin(struct loader *l, int k, size_t *mark)
{
    if (!l->cur && !(l->cur = batch_get(l)))
        return NULL;
    buf_t *b = &l->cur->items[k];
    *mark = b->len;
    if (b->len)
        buf_putc(b, ',');
    return b;
}

static void item_cancel(struct loader *l, int k, size_t mark)
{
    buf_truncate(&l->cur->items[k], mark);
}

/* Finish an item that came from line; sends the batch once full. */
static int item_end(struct loader *l, int k, uint64_t line)
{
    struct batch *b = l->cur;
    if (b->items[k].failed || u64_push(&b->lines[k], line) < 0) {
        oom(l);
        return l->fatal;
    }
    b->n++;
    l->files[l->file].items++;
    size_t bytes = 0;
    for (int i = 0; i < K_N; i++)
        bytes += b->items[i].len;
    if (b->n >= l->opt->batch || bytes >= BATCH_MAX_BYTES)
        return submit(l);
    return 0;
}

/* ---- CSV --------------------------------------------------------------- */

enum field {
    F_ID,
    F_TS,
    F_FROM,
    F_TO,
    F_KIND,
    F_WEIGHT,
    F_DIRECTED,
    F_PARTICIPANTS,
    F_EVENT_ID,
    F_PERSON,
    F_N
};
static const char *const field_name[F_N] = {
    "id",     "ts",       "from",         "to",       "kind",
    "weight", "directed", "participants", "event_id", "person"};

/* Long-form events are grouped over the whole file before sending: one
 * arena of strings, events in first-seen order, participants as linked
 * lists through one array, and an index from event_id to event. */
struct lev_event {
    size_t id, idlen, ts, tslen, kind, kindlen, w, wlen;
    uint64_t line;
    size_t head, tail, count;
};

struct lev_part {
    size_t s, len;
    uint64_t line;
    size_t next;
};

#define NONE SIZE_MAX

struct longev {
    buf_t arena;
    struct lev_event *ev;
    size_t nev, evcap;
    struct lev_part *pt;
    size_t npt, ptcap;
    strmap_t index; /* event_id -> its position in ev */
};

struct csvstate {
    struct loader *l;
    struct csv_parser p;
    bool p_init;
    bool stop; /* this file is abandoned (reported already) */

    /* The row being assembled: cells NUL-terminated in data. */
    buf_t data;
    size_t *off, *len;
    size_t ncell, cellcap;

    bool have_header;
    enum ftype type;
    size_t ncols;
    buf_t hdr; /* the header's names, NUL-terminated */
    size_t *hoff;
    int *colfield;           /* field of each column; -1: an attribute */
    size_t *keyoff, *keylen; /* people: the `"name":` of each column */
    buf_t keys;
    int fieldcol[F_N]; /* column of each field, -1 if absent */

    /* Line tracking around libcsv, which does not count lines: rows are
     * fed one physical line at a time, and a row starts on the first line
     * fed while no row was open. */
    uint64_t row_line;
    bool row_open;
    bool at_line_start;
    bool line_cb, line_last_row, line_nonblank;
    bool discard_row; /* the row in progress at EOF is broken */

    struct longev lev;
};

static void csv_cell(void *s, size_t n, void *ctx)
{
    struct csvstate *st = ctx;
    st->line_cb = true;
    st->line_last_row = false;
    if (st->stop)
        return;
    if (st->ncell == st->cellcap) {
        size_t cap = st->cellcap ? st->cellcap * 2 : 32;
        size_t *o = realloc(st->off, cap * sizeof *o);
        if (o)
            st->off = o;
        size_t *ln = o ? realloc(st->len, cap * sizeof *ln) : NULL;
        if (ln)
            st->len = ln;
        if (!o || !ln) {
            oom(st->l);
            st->stop = true;
            return;
        }
        st->cellcap = cap;
    }
    st->off[st->ncell] = st->data.len;
    st->len[st->ncell] = n;
    buf_append(&st->data, s, n);
    buf_putc(&st->data, '\0');
    if (st->data.failed) {
        oom(st->l);
        st->stop = true;
        return;
    }
    st->ncell++;
}

static const char *cell_s(const struct csvstate *st, size_t c)
{
    return st->data.data + st->off[c];
}

/* The cell of field f in the current row, if present and not empty. */
static bool cell(const struct csvstate *st, int f, const char **s, size_t *n)
{
    int c = st->fieldcol[f];
    if (c < 0 || (size_t)c >= st->ncell || st->len[c] == 0)
        return false;
    *s = cell_s(st, (size_t)c);
    *n = st->len[c];
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool attr_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > ATTR_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alpha =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        bool digit = (c >= '0' && c <= '9') || c == '-' || c == '.';
        if (!alpha && !(i > 0 && digit))
            return false;
    }
    return true;
}

static void file_error(struct csvstate *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A problem that makes the whole file unusable (its header). */
static void file_error(struct csvstate *st, const char *fmt, ...)
{
    struct loader *l = st->l;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        msg[0] = '\0';
    va_end(ap);
    warn_msg(l, "%s: %s; file skipped", fname(l, l->file), msg);
    l->files[l->file].failed = true;
    st->stop = true;
}

static const char *col_name(const struct csvstate *st, size_t c)
{
    return st->hdr.data + st->hoff[c];
}

/* Column names as spreadsheets write them (" ID", "Sector") match the
 * lower-case names: trimmed of spaces and tabs, ASCII letters lowered.
 * Attribute names are stored lowered too, so that `Sector` in one file
 * and `sector` in another are one attribute. Rewrites the header copy in
 * place and st->len[c] (the header row's lengths, read only here). */
static void normalise_name(struct csvstate *st, size_t c)
{
    char *s = st->hdr.data + st->hoff[c];
    size_t n = st->len[c], a = 0;
    while (a < n && is_space(s[a]))
        a++;
    while (n > a && is_space(s[n - 1]))
        n--;
    for (size_t i = a; i < n; i++) {
        char ch = s[i];
        s[i - a] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    }
    s[n - a] = '\0';
    st->len[c] = n - a;
}

static int header_col(const struct csvstate *st, const char *name)
{
    for (size_t c = 0; c < st->ncols; c++)
        if (strcmp(col_name(st, c), name) == 0)
            return (int)c;
    return -1;
}

/* Check the columns of a records or events file against what it allows
 * and needs; mandatory is a bit set of fields. */
static int map_columns(struct csvstate *st, const char *what, unsigned allowed,
                       unsigned mandatory)
{
    for (size_t c = 0; c < st->ncols; c++) {
        int f;
        for (f = 0; f < F_N; f++)
            if ((allowed & (1u << f)) &&
                !strcmp(col_name(st, c), field_name[f]))
                break;
        if (f == F_N) {
            /* A spreadsheet's extra column (notes, a total): its data are
             * not loaded, which is said, and the rest of the file is. */
            char list[160];
            size_t ll = 0;
            for (int g = 0; g < F_N; g++) {
                if (!(allowed & (1u << g)))
                    continue;
                int w = snprintf(list + ll, sizeof list - ll, "%s%s",
                                 ll ? ", " : "", field_name[g]);
                if (w < 0 || (size_t)w >= sizeof list - ll)
                    break;
                ll += (size_t)w;
            }
            if (st->l->opt->strict) {
                file_error(st, "unknown column \"%.64s\" for %s (allowed: %s)",
                           col_name(st, c), what, list);
                return -1;
            }
            warn_at(st->l, 0,
                    "unknown column \"%.64s\" ignored (%s have %s; "
                    "--strict refuses the file)",
                    col_name(st, c), what, list);
            st->colfield[c] = -1;
            continue;
        }
        st->colfield[c] = f;
        st->fieldcol[f] = (int)c;
    }
    for (int f = 0; f < F_N; f++) {
        if ((mandatory & (1u << f)) && st->fieldcol[f] < 0) {
            file_error(st, "%s need a \"%s\" column", what, field_name[f]);
            return -1;
        }
    }
    return 0;
}

#define BIT(f) (1u << (f))

static int csv_header(struct csvstate *st)
{
    struct loader *l = st->l;
    st->ncols = st->ncell;
    st->have_header = true;
    st->colfield = calloc(st->ncols, sizeof *st->colfield);
    st->keyoff = calloc(st->ncols, sizeof *st->keyoff);
    st->keylen = calloc(st->ncols, sizeof *st->keylen);
    st->hoff = calloc(st->ncols, sizeof *st->hoff);
    if (st->ncols)
        buf_append(&st->hdr, st->data.data, st->data.len);
    if (!st->colfield || !st->keyoff || !st->keylen || !st->hoff ||
        st->hdr.failed) {
        oom(l);
        st->stop = true;
        return -1;
    }
    for (int f = 0; f < F_N; f++)
        st->fieldcol[f] = -1;
    for (size_t c = 0; c < st->ncols; c++)
        st->hoff[c] = st->off[c];
    for (size_t c = 0; c < st->ncols; c++) {
        if (strlen(col_name(st, c)) != st->len[c]) {
            file_error(st, "header: column %zu has a NUL byte", c + 1);
            return -1;
        }
        normalise_name(st, c);
        if (st->len[c] == 0) {
            file_error(st, "header: column %zu has no name", c + 1);
            return -1;
        }
        for (size_t d = 0; d < c; d++) {
            if (!strcmp(col_name(st, c), col_name(st, d))) {
                file_error(st, "header: column \"%.64s\" appears twice",
                           col_name(st, c));
                return -1;
            }
        }
    }
    int rc;
    if (header_col(st, "event_id") >= 0 || header_col(st, "person") >= 0) {
        st->type = FT_EVENTS_LONG;
        rc = map_columns(st, "long-form events",
                         BIT(F_EVENT_ID) | BIT(F_TS) | BIT(F_KIND) |
                             BIT(F_PERSON) | BIT(F_WEIGHT),
                         BIT(F_EVENT_ID) | BIT(F_TS) | BIT(F_KIND) |
                             BIT(F_PERSON));
    } else if (header_col(st, "participants") >= 0) {
        st->type = FT_EVENTS;
        rc = map_columns(st, "events",
                         BIT(F_ID) | BIT(F_TS) | BIT(F_KIND) |
                             BIT(F_PARTICIPANTS) | BIT(F_WEIGHT),
                         BIT(F_TS) | BIT(F_KIND) | BIT(F_PARTICIPANTS));
    } else if (header_col(st, "from") >= 0 || header_col(st, "to") >= 0) {
        st->type = FT_RECORDS;
        rc = map_columns(st, "records",
                         BIT(F_ID) | BIT(F_TS) | BIT(F_FROM) | BIT(F_TO) |
                             BIT(F_KIND) | BIT(F_WEIGHT) | BIT(F_DIRECTED),
                         BIT(F_TS) | BIT(F_FROM) | BIT(F_TO) | BIT(F_KIND));
    } else if (header_col(st, "id") >= 0) {
        st->type = FT_PEOPLE;
        rc = 0;
        for (size_t c = 0; c < st->ncols && rc == 0; c++) {
            const char *name = col_name(st, c);
            if (!strcmp(name, "id")) {
                st->colfield[c] = F_ID;
                st->fieldcol[F_ID] = (int)c;
                continue;
            }
            st->colfield[c] = -1;
            if (!attr_name_ok(name, st->len[c])) {
                file_error(st,
                           "column \"%.64s\" is not a valid attribute name "
                           "(1-64 letters, digits, '_', '-' or '.', "
                           "starting with a letter or '_')",
                           name);
                rc = -1;
                break;
            }
            /* Attribute names are plain ASCII (checked above), so the key
             * text needs no escaping. */
            st->keyoff[c] = st->keys.len;
            buf_putc(&st->keys, '"');
            buf_append(&st->keys, name, st->len[c]);
            BUF_LIT(&st->keys, "\":");
            st->keylen[c] = st->keys.len - st->keyoff[c];
        }
        if (st->keys.failed) {
            oom(l);
            st->stop = true;
            return -1;
        }
    } else {
        file_error(st, "cannot tell what this CSV file holds from its "
                       "header: people need an \"id\" column, records "
                       "\"from\" and \"to\", events \"participants\" (or "
                       "\"event_id\" and \"person\" in the long form)");
        return -1;
    }
    if (rc == 0)
        l->files[l->file].type = st->type;
    return rc;
}

/* Append `,"key":"cell"` (or without the comma for the first member).
 * Returns a CTL_JSON_ code. */
static int put_str_member(buf_t *b, bool *first, const char *key, const char *s,
                          size_t n)
{
    if (!*first)
        buf_putc(b, ',');
    *first = false;
    buf_putc(b, '"');
    buf_append(b, key, strlen(key));
    BUF_LIT(b, "\":");
    return ctl_json_str(b, s, n);
}

static const char *js_problem(int rc)
{
    return rc == CTL_JSON_NUL
               ? "contains a NUL byte"
               : "is not valid UTF-8 (convert the file, for example "
                 "with iconv -f latin1 -t utf-8)";
}

/* CTL_JSON_OK when s[0..n) can be sent as JSON text, else the CTL_JSON_
 * problem. */
static int text_ok(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) {
            if (u[i] == 0)
                return CTL_JSON_NUL;
            i++;
            continue;
        }
        size_t k = utf8_seq(u + i, n - i);
        if (!k)
            return CTL_JSON_BAD_UTF8;
        i += k;
    }
    return CTL_JSON_OK;
}

static void put_key(buf_t *b, bool *first, const char *key)
{
    if (!*first)
        buf_putc(b, ',');
    *first = false;
    buf_putc(b, '"');
    buf_append(b, key, strlen(key));
    BUF_LIT(b, "\":");
}

/* ---- times as spreadsheets write them ---- */

enum { TS_REFUSED = 100 }; /* put_ts: the row is refused, see why */

static bool dec(const char *s, size_t n, size_t min, size_t max, unsigned *v)
{
    if (n < min || n > max)
        return false;
    unsigned x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (unsigned)(s[i] - '0');
    }
    *v = x;
    return true;
}

static unsigned month_days(unsigned y, unsigned m)
{
    static const unsigned char dm[12] = {31, 28, 31, 30, 31, 30,
                                         31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* A wall-clock time "H:MM", "HH:MM:SS" or with a fraction (dropped, as
 * spand drops it). */
static bool parse_clock(const char *s, size_t n, unsigned *h, unsigned *mi,
                        unsigned *se)
{
    const char *c1 = memchr(s, ':', n);
    if (!c1 || !dec(s, (size_t)(c1 - s), 1, 2, h) || *h > 23)
        return false;
    const char *p = c1 + 1, *end = s + n;
    const char *c2 = memchr(p, ':', (size_t)(end - p));
    *se = 0;
    if (!c2)
        return dec(p, (size_t)(end - p), 2, 2, mi) && *mi <= 59;
    if (!dec(p, (size_t)(c2 - p), 2, 2, mi) || *mi > 59)
        return false;
    p = c2 + 1;
    const char *dot = memchr(p, '.', (size_t)(end - p));
    const char *se_end = dot ? dot : end;
    if (!dec(p, (size_t)(se_end - p), 2, 2, se) || *se > 59)
        return false;
    if (dot) {
        unsigned frac;
        return dec(dot + 1, (size_t)(end - dot - 1), 1, 9, &frac);
    }
    return true;
}

/* The instant of a wall-clock time in the load's zone (UTC unless --tz).
 * In another zone, a time the clocks skipped (spring forward) names no
 * instant and is refused; a time they passed twice (autumn) is taken at
 * its first passing, in summer time. */
static int wall_to_utc(struct loader *l, unsigned y, unsigned mo, unsigned d,
                       unsigned h, unsigned mi, unsigned se, int64_t *out)
{
    if (!l->tz_set) {
        *out = ts_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
        return 0;
    }
    struct tm tm = {.tm_year = (int)y - 1900,
                    .tm_mon = (int)mo - 1,
                    .tm_mday = (int)d,
                    .tm_hour = (int)h,
                    .tm_min = (int)mi,
                    .tm_sec = (int)se,
                    .tm_isdst = -1};
    struct tm back;
    time_t t = mktime(&tm);
    if (t == (time_t)-1 || !localtime_r(&t, &back) || back.tm_hour != (int)h ||
        back.tm_min != (int)mi || back.tm_mday != (int)d)
        return -1;
    struct tm other = {.tm_year = (int)y - 1900,
                       .tm_mon = (int)mo - 1,
                       .tm_mday = (int)d,
                       .tm_hour = (int)h,
                       .tm_min = (int)mi,
                       .tm_sec = (int)se,
                       .tm_isdst = back.tm_isdst > 0 ? 0 : 1};
    struct tm b2;
    time_t u = mktime(&other);
    if (u != (time_t)-1 && u < t && localtime_r(&u, &b2) &&
        b2.tm_hour == (int)h && b2.tm_min == (int)mi && b2.tm_mday == (int)d)
        t = u;
    *out = (int64_t)t;
    return 0;
}

/* True when the text after a date-time's 'T' ends in a zone. */
static bool has_zone(const char *s, size_t n)
{
    if (n && (s[n - 1] == 'Z' || s[n - 1] == 'z'))
        return true;
    return memchr(s, '+', n) || memchr(s, '-', n);
}

static int put_seconds(buf_t *b, int64_t t)
{
    char num[24];
    int w = snprintf(num, sizeof num, "%lld", (long long)t);
    if (w > 0 && (size_t)w < sizeof num)
        buf_append(b, num, (size_t)w);
    return CTL_JSON_OK;
}

#define TS_SHOW(n) (int)((n) > 40 ? 40 : (n))

/* A date written with slashes, day or month first as --date-format says,
 * with an optional wall-clock time after a space. */
static int put_slash_ts(struct loader *l, buf_t *b, const char *s, size_t n,
                        char *why, size_t whylen)
{
    int fmt = l->opt->date_format;
    if (fmt != CTL_DATE_DMY && fmt != CTL_DATE_MDY) {
        snprintf(why, whylen,
                 "ts: \"%.*s\" could be day-first or month-first: give "
                 "--date-format dmy or mdy",
                 TS_SHOW(n), s);
        return TS_REFUSED;
    }
    const char *sp = memchr(s, ' ', n);
    if (!sp)
        sp = memchr(s, 'T', n);
    size_t dn = sp ? (size_t)(sp - s) : n;
    const char *s1 = memchr(s, '/', dn);
    const char *s2 = s1 ? memchr(s1 + 1, '/', dn - (size_t)(s1 + 1 - s)) : NULL;
    unsigned a, c, y, h = 0, mi = 0, se = 0;
    bool ok = s1 && s2 && dec(s, (size_t)(s1 - s), 1, 2, &a) &&
              dec(s1 + 1, (size_t)(s2 - s1 - 1), 1, 2, &c) &&
              dec(s2 + 1, dn - (size_t)(s2 + 1 - s), 4, 4, &y) && y >= 1;
    unsigned d = fmt == CTL_DATE_DMY ? a : c, mo = fmt == CTL_DATE_DMY ? c : a;
    ok = ok && mo >= 1 && mo <= 12 && d >= 1 && d <= month_days(y, mo);
    if (ok && sp) {
        const char *t = sp + 1;
        ok = parse_clock(t, n - (size_t)(t - s), &h, &mi, &se);
    }
    if (!ok) {
        snprintf(why, whylen,
                 "ts: \"%.*s\" is not a date in the form %s (a four-digit "
                 "year, then an optional time HH:MM[:SS])",
                 TS_SHOW(n), s,
                 fmt == CTL_DATE_DMY ? "DD/MM/YYYY" : "MM/DD/YYYY");
        return TS_REFUSED;
    }
    if (!sp) {
        /* A date names a day, not an instant: sent as spand's own date
         * form, midnight UTC, whatever --tz says. */
        char iso[16];
        int w = snprintf(iso, sizeof iso, "%04u-%02u-%02u", y, mo, d);
        return ctl_json_str(b, iso, (size_t)(w > 0 ? w : 0));
    }
    int64_t t;
    if (wall_to_utc(l, y, mo, d, h, mi, se, &t) < 0) {
        snprintf(why, whylen,
                 "ts: \"%.*s\" does not exist in %s (the clocks went "
                 "forward)",
                 TS_SHOW(n), s, l->opt->tz);
        return TS_REFUSED;
    }
    return put_seconds(b, t);
}

/* An ISO date-time without a zone ("2025-02-03 14:30", as spreadsheets
 * export it), read in the load's zone. */
static int put_zoneless_ts(struct loader *l, buf_t *b, const char *s, size_t n,
                           char *why, size_t whylen)
{
    unsigned y, mo, d, h, mi, se;
    bool ok = dec(s, 4, 4, 4, &y) && dec(s + 5, 2, 2, 2, &mo) &&
              dec(s + 8, 2, 2, 2, &d) && y >= 1 && mo >= 1 && mo <= 12 &&
              d >= 1 && d <= month_days(y, mo) &&
              parse_clock(s + 11, n - 11, &h, &mi, &se);
    if (!ok)
        return ctl_json_str(b, s, n); /* spand says what is wrong */
    int64_t t;
    if (wall_to_utc(l, y, mo, d, h, mi, se, &t) < 0) {
        snprintf(why, whylen,
                 "ts: \"%.*s\" does not exist in %s (the clocks went "
                 "forward)",
                 TS_SHOW(n), s, l->opt->tz);
        return TS_REFUSED;
    }
    return put_seconds(b, t);
}

/* ts: Unix seconds as a JSON integer; a slash date or a date-time without
 * a zone converted here (as Unix seconds, or a date); anything else as a
 * string for the server to parse (or reject with a reason). Returns a
 * CTL_JSON_ code, or TS_REFUSED with the reason in why. */
static int put_ts(struct loader *l, buf_t *b, bool *first, const char *s,
                  size_t n, char *why, size_t whylen)
{
    long long v;
    put_key(b, first, "ts");
    if (parse_int_text(s, n, &v))
        return put_seconds(b, v);
    if (n >= 10 && s[4] == '-' && s[7] == '-') { /* ISO: the common case */
        if (n > 11 && (s[10] == 'T' || s[10] == ' ' || s[10] == 't') &&
            !has_zone(s + 11, n - 11))
            return put_zoneless_ts(l, b, s, n, why, whylen);
        return ctl_json_str(b, s, n);
    }
    if (memchr(s, '/', n))
        return put_slash_ts(l, b, s, n, why, whylen);
    return ctl_json_str(b, s, n);
}

/* weight: a number when the whole cell parses as one, else the text, so
 * that the server rejects it with its reason. s is NUL-terminated. */
static int put_weight(buf_t *b, bool *first, const char *s, size_t n)
{
    put_key(b, first, "weight");
    /* The common case first: a short plain integer is copied as it is,
     * which is what the general path below does with it too. */
    if (n <= 15 && (n == 1 || s[0] != '0')) {
        size_t i = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == n) {
            buf_append(b, s, n);
            return CTL_JSON_OK;
        }
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != s + n || !isfinite(v))
        return ctl_json_str(b, s, n);
    /* Copy the text when it is a JSON number jansson reads exactly; long
     * integers (which it would refuse as too large for json_int_t) and
     * forms like "1." or "0x1p3" are written from the double instead. */
    bool copy = json_number_text(s, n) && errno != ERANGE &&
                (strpbrk(s, ".eE") || n <= 15);
    if (copy) {
        buf_append(b, s, n);
        return CTL_JSON_OK;
    }
    char num[40];
    int w = snprintf(num, sizeof num, "%.17g", v);
    if (w > 0 && (size_t)w < sizeof num)
        buf_append(b, num, (size_t)w);
    return CTL_JSON_OK;
}

static int put_directed(buf_t *b, bool *first, const char *s, size_t n)
{
    static const char *const yes[] = {"true", "1", "yes"};
    static const char *const no[] = {"false", "0", "no"};
    put_key(b, first, "directed");
    if (n == 4 && memcmp(s, "true", 4) == 0) { /* the common spellings */
        BUF_LIT(b, "true");
        return CTL_JSON_OK;
    }
    if (n == 5 && memcmp(s, "false", 5) == 0) {
        BUF_LIT(b, "false");
        return CTL_JSON_OK;
    }
    for (size_t i = 0; i < 3; i++) {
        if (!strcasecmp(s, yes[i])) {
            BUF_LIT(b, "true");
            return CTL_JSON_OK;
        }
        if (!strcasecmp(s, no[i])) {
            BUF_LIT(b, "false");
            return CTL_JSON_OK;
        }
    }
    return ctl_json_str(b, s, n);
}

/* The id of a people row: a second row with an id already seen in this
 * file is refused, naming both lines. Keeping the first is what a reader
 * of the file expects of a list (the later row may be a pasted copy or a
 * different person given the same id by mistake); letting the later one
 * win silently, as an update would, loses the first without a word.
 * Returns 1 when the row must not be loaded, 0 when it may, -1 on out of
 * memory. */
static int people_id(struct csvstate *st, const char *id, size_t n)
{
    struct loader *l = st->l;
    int64_t v;
    if (strmap_get(&l->people, id, n, &v) && POS_FILE(v) == l->file) {
        reject_local(l, st->row_line,
                     "id: \"%.*s\" is already on line %llu of this file; "
                     "the first row is kept, this one is not loaded",
                     (int)(n > 64 ? 64 : n), id,
                     (unsigned long long)POS_LINE(v));
        return 1;
    }
    if (strmap_put(&l->people, id, n, POS(l->file, st->row_line)) < 0) {
        oom(l);
        return -1;
    }
    return 0;
}

static int row_people(struct csvstate *st)
{
    struct loader *l = st->l;
    const char *id;
    size_t idn;
    /* An id that is not valid text is refused below, with its reason. */
    if (cell(st, F_ID, &id, &idn) && text_ok(id, idn) == CTL_JSON_OK) {
        int rc = people_id(st, id, idn);
        if (rc)
            return rc < 0 ? -1 : 0;
    }
    size_t mark;
    buf_t *b = item_begin(l, K_PEOPLE, &mark);
    if (!b)
        return -1;
    buf_putc(b, '{');
    bool first = true;
    for (size_t c = 0; c < st->ncols && c < st->ncell; c++) {
        if (st->len[c] == 0)
            continue; /* an empty cell leaves the attribute as it is */
        if (!first)
            buf_putc(b, ',');
        first = false;
        if (st->colfield[c] == F_ID)
            BUF_LIT(b, "\"id\":");
        else
            buf_append(b, st->keys.data + st->keyoff[c], st->keylen[c]);
        int rc = ctl_json_str(b, cell_s(st, c), st->len[c]);
        if (rc) {
            item_cancel(l, K_PEOPLE, mark);
            reject_local(l, st->row_line, "%s: %s", col_name(st, c),
                         js_problem(rc));
            return 0;
        }
    }
    buf_putc(b, '}');
    return item_end(l, K_PEOPLE, st->row_line);
}

/* Append the ';'-separated names of s[0..n) as a JSON array. */
static int put_participants(buf_t *b, bool *first, const char *s, size_t n)
{
    put_key(b, first, "participants");
    buf_putc(b, '[');
    bool any = false;
    size_t i = 0;
    while (i <= n) {
        const char *semi = memchr(s + i, ';', n - i);
        size_t end = semi ? (size_t)(semi - s) : n;
        size_t a = i, z = end;
        while (a < z && is_space(s[a]))
            a++;
        while (z > a && is_space(s[z - 1]))
            z--;
        if (z > a) {
            if (any)
                buf_putc(b, ',');
            any = true;
            int rc = ctl_json_str(b, s + a, z - a);
            if (rc)
                return rc;
        }
        i = end + 1;
    }
    buf_putc(b, ']');
    return CTL_JSON_OK;
}

/* ---- who is described ---- */

/* The optimal string alignment distance of a and b when it is at most
 * max, else max + 1. Ids are short; longer ones are not compared. */
static size_t edit_distance(const char *a, size_t an, const char *b, size_t bn,
                            size_t max)
{
    enum { L = 65 };
    if (an >= L || bn >= L || (an > bn ? an - bn : bn - an) > max)
        return max + 1;
    static size_t d[L][L];
    for (size_t i = 0; i <= an; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= bn; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= an; i++) {
        size_t rowmin = SIZE_MAX;
        for (size_t j = 1; j <= bn; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (rowmin > max)
            return max + 1;
    }
    return d[an][bn] > max ? max + 1 : d[an][bn];
}

static void typo_in(const strmap_t *m, bool only_set, const char *s, size_t n,
                    size_t *best, const char **bs, size_t *bn)
{
    for (size_t i = 0; i < m->cap; i++) {
        const strmap_slot_t *e = &m->slots[i];
        if (!e->key || (only_set && e->value != 1))
            continue;
        size_t dist = edit_distance(s, n, e->key, e->len, *best - 1);
        if (dist < *best) {
            *best = dist;
            *bs = e->key;
            *bn = e->len;
        }
    }
}

/* A known id that s may be a typo of: within edit distance 1 (2 for ids
 * of 6 bytes or more) of one in this load's people files or one spand
 * said it describes. Writes that id into out, or "". */
static void typo_hint(const struct loader *l, const char *s, size_t n,
                      char *out, size_t outlen)
{
    out[0] = '\0';
    if (n < TYPO_MIN_LEN)
        return;
    size_t best = (n >= 6 ? 2 : 1) + 1;
    const char *bs = NULL;
    size_t bn = 0;
    typo_in(&l->people, false, s, n, &best, &bs, &bn);
    typo_in(&l->checked, true, s, n, &best, &bs, &bn);
    if (bs)
        snprintf(out, outlen, "%.*s", (int)bn, bs);
}

/* Whether spand holds at least one attribute of person s: 1 yes, 0 no (or
 * unknown to it), negative when loading must stop. Waits for the batches
 * in flight first, since replies come in order. */
static int ask_described(struct loader *l, const char *s, size_t n)
{
    if (drain(l) < 0)
        return l->fatal;
    json_t *params = json_pack("{s:s%}", "id", s, n);
    if (!params) {
        oom(l);
        return l->fatal;
    }
    ctl_reply_t r;
    char err[512];
    int rc = ctl_conn_call(l->conn, "person", params, &r, err, sizeof err);
    json_decref(params);
    if (rc < 0) {
        fail(l, rc, "%s", err);
        return l->fatal;
    }
    int described = 0;
    if (r.code == 0) {
        json_t *a = json_object_get(r.result, "attributes");
        described = json_is_object(a) && json_object_size(a) > 0;
    } else if (r.code != 1004) {
        fail(l, -EIO, "person: %s (error %lld)", r.message, r.code);
        described = l->fatal;
    }
    ctl_reply_clear(&r);
    return described;
}

/* A person id that a record or event row names, in field. With
 * --no-implicit, returns 1 with the reason in why when
 * the id is described neither in this load's people files (those read so
 * far) nor in spand; 0 when the row may go; -1 when loading must stop. */
static int named(struct csvstate *st, const char *field, const char *s,
                 size_t n, char *why, size_t whylen)
{
    struct loader *l = st->l;
    int64_t v;
    if (!l->opt->no_implicit || strmap_get(&l->people, s, n, &v) ||
        text_ok(s, n) != CTL_JSON_OK)
        return 0;
    if (!strmap_get(&l->checked, s, n, &v)) {
        int d = ask_described(l, s, n);
        if (d < 0)
            return -1;
        v = d;
        if (strmap_put(&l->checked, s, n, v) < 0) {
            oom(l);
            return -1;
        }
    }
    if (v)
        return 0;
    char hint[80] = "";
    if (l->nshown < SHOWN_REJECTS)
        typo_hint(l, s, n, hint, sizeof hint);
    snprintf(why, whylen,
             "%s: \"%.*s\" is not described (no row in a people file before "
             "this one, no attributes in spand) and --no-implicit is "
             "given%s%s%s",
             field, (int)(n > 64 ? 64 : n), s,
             hint[0] ? " (did you mean \"" : "", hint, hint[0] ? "\"?)" : "");
    return 1;
}

/* The people a records or short-form events row names; see named(). */
static int row_named(struct csvstate *st, char *why, size_t whylen)
{
    const char *s;
    size_t n;
    int rc = 0;
    if (st->type == FT_RECORDS) {
        if (cell(st, F_FROM, &s, &n))
            rc = named(st, "from", s, n, why, whylen);
        if (rc == 0 && cell(st, F_TO, &s, &n))
            rc = named(st, "to", s, n, why, whylen);
        return rc;
    }
    if (!cell(st, F_PARTICIPANTS, &s, &n))
        return 0;
    for (size_t i = 0; i <= n && rc == 0;) {
        const char *semi = memchr(s + i, ';', n - i);
        size_t end = semi ? (size_t)(semi - s) : n;
        size_t a = i, z = end;
        while (a < z && is_space(s[a]))
            a++;
        while (z > a && is_space(s[z - 1]))
            z--;
        if (z > a)
            rc = named(st, "participants", s + a, z - a, why, whylen);
        i = end + 1;
    }
    return rc;
}

/* A record or event without an id gets one from its content, the item's
 * JSON text at b[open..) (ts, from, to, kind, weight, directed, or ts,
 * kind, participants, weight, as written and converted): an unkeyed
 * BLAKE2b hash, so that loading the same file again stores nothing twice.
 * Rows that are the same in every field are told apart by their order in
 * the file: the second gets "-1" after the hash, the third "-2", so two
 * real meetings on one day stay two, and a reload still matches. */
static int content_id(struct loader *l, int kind, buf_t *b, size_t open)
{
    unsigned char h[16];
    if (crypto_generichash(h, sizeof h, (const unsigned char *)b->data + open,
                           b->len - open, NULL, 0) != 0) {
        fail(l, -EIO, "cannot hash a row");
        return -1;
    }
    int64_t seen = 0;
    strmap_get(&l->content, (const char *)h, sizeof h, &seen);
    if (strmap_put(&l->content, (const char *)h, sizeof h, seen + 1) < 0) {
        oom(l);
        return -1;
    }
    char id[64];
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    id[k++] = 'c';
    for (size_t i = 0; i < sizeof h; i++) {
        id[k++] = hex[h[i] >> 4];
        id[k++] = hex[h[i] & 15];
    }
    if (seen > 0) {
        int w = snprintf(id + k, sizeof id - k, "-%lld", (long long)seen);
        if (w > 0)
            k += (size_t)w;
    }
    /* `"id":"c…",` goes right after the item's '{'. */
    char member[96];
    bool empty = b->len - open == 2;
    int w = snprintf(member, sizeof member, "\"id\":\"%.*s\"%s", (int)k, id,
                     empty ? "" : ",");
    if (w <= 0 || buf_reserve(b, (size_t)w) < 0) {
        oom(l);
        return -1;
    }
    memmove(b->data + open + 1 + (size_t)w, b->data + open + 1,
            b->len - open - 1);
    memcpy(b->data + open + 1, member, (size_t)w);
    b->len += (size_t)w;
    b->data[b->len] = '\0';
    l->content_ids[kind]++;
    return 0;
}

/* Write one CSV row as a JSON item of kind, fields in order. */
static int row_item(struct csvstate *st, int kind, const int *order,
                    size_t norder)
{
    struct loader *l = st->l;
    char why[512];
    int nr = l->opt->no_implicit ? row_named(st, why, sizeof why) : 0;
    if (nr) {
        if (nr > 0)
            reject_local(l, st->row_line, "%s", why);
        return nr < 0 ? -1 : 0;
    }
    size_t mark;
    buf_t *b = item_begin(l, kind, &mark);
    if (!b)
        return -1;
    size_t open = b->len;
    buf_putc(b, '{');
    bool first = true, has_id = false;
    for (size_t i = 0; i < norder; i++) {
        int f = order[i];
        const char *s;
        size_t n;
        if (!cell(st, f, &s, &n))
            continue; /* the server says "is required" where it is */
        int rc;
        if (f == F_ID) {
            has_id = true;
            rc = put_str_member(b, &first, field_name[f], s, n);
        } else if (f == F_TS)
            rc = put_ts(l, b, &first, s, n, why, sizeof why);
        else if (f == F_WEIGHT)
            rc = put_weight(b, &first, s, n);
        else if (f == F_DIRECTED)
            rc = put_directed(b, &first, s, n);
        else if (f == F_PARTICIPANTS)
            rc = put_participants(b, &first, s, n);
        else
            rc = put_str_member(b, &first, field_name[f], s, n);
        if (rc) {
            item_cancel(l, kind, mark);
            if (rc == TS_REFUSED)
                reject_local(l, st->row_line, "%s", why);
            else
                reject_local(l, st->row_line, "%s: %s", field_name[f],
                             js_problem(rc));
            return 0;
        }
    }
    buf_putc(b, '}');
    if (!has_id && !b->failed && content_id(l, kind, b, open) < 0)
        return -1;
    return item_end(l, kind, st->row_line);
}

static int row_records(struct csvstate *st)
{
    static const int order[] = {F_ID,   F_TS,     F_FROM,    F_TO,
                                F_KIND, F_WEIGHT, F_DIRECTED};
    return row_item(st, K_RECORDS, order, sizeof order / sizeof order[0]);
}

static int row_events(struct csvstate *st)
{
    static const int order[] = {F_ID, F_TS, F_KIND, F_PARTICIPANTS, F_WEIGHT};
    return row_item(st, K_EVENTS, order, sizeof order / sizeof order[0]);
}

/* ---- long-form events ---- */

/* Copy s[0..n) into the arena; returns its offset. */
static size_t lev_str(struct longev *v, const char *s, size_t n)
{
    size_t off = v->arena.len;
    buf_append(&v->arena, s, n);
    return off;
}

static void lev_free(struct longev *v)
{
    buf_free(&v->arena);
    free(v->ev);
    free(v->pt);
    strmap_free(&v->index);
    memset(v, 0, sizeof *v);
}

/* Same time written two ways ("2024-03-01" and "2024-03-01T00:00:00Z")? */
static bool same_instant(const char *a, size_t an, const char *b, size_t bn)
{
    if (an == bn && memcmp(a, b, an) == 0)
        return true;
    long long ia, ib;
    int64_t ta, tb;
    const char *why;
    if (an == 0 || bn == 0)
        return false;
    if (parse_int_text(a, an, &ia))
        ta = ia;
    else if (ts_parse_iso(a, an, &ta, &why) < 0)
        return false;
    if (parse_int_text(b, bn, &ib))
        tb = ib;
    else if (ts_parse_iso(b, bn, &tb, &why) < 0)
        return false;
    return ta == tb;
}

static int row_long(struct csvstate *st)
{
    struct loader *l = st->l;
    struct longev *v = &st->lev;
    const char *val[F_N] = {0};
    size_t len[F_N] = {0};
    static const int used[] = {F_EVENT_ID, F_TS, F_KIND, F_PERSON, F_WEIGHT};
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++) {
        int f = used[i];
        if (!cell(st, f, &val[f], &len[f])) {
            val[f] = "";
            len[f] = 0;
            continue;
        }
        int rc = text_ok(val[f], len[f]);
        if (rc) {
            reject_local(l, st->row_line, "%s: %s", field_name[f],
                         js_problem(rc));
            return 0;
        }
    }
    if (!len[F_EVENT_ID]) {
        reject_local(l, st->row_line, "event_id: is required");
        return 0;
    }
    if (!len[F_PERSON]) {
        reject_local(l, st->row_line, "person: is required");
        return 0;
    }
    char why[512];
    int nr = named(st, "person", val[F_PERSON], len[F_PERSON], why, sizeof why);
    if (nr) {
        if (nr > 0)
            reject_local(l, st->row_line, "%s", why);
        return nr < 0 ? -1 : 0;
    }
    struct lev_event *ev = NULL;
    int64_t at;
    if (strmap_get(&v->index, val[F_EVENT_ID], len[F_EVENT_ID], &at))
        ev = &v->ev[at];
    if (ev) {
        /* Every row repeats the event's facts; a row that disagrees is
         * more likely a typo in the id than a second meeting. */
        const char *a = v->arena.data;
        if (!same_instant(a + ev->ts, ev->tslen, val[F_TS], len[F_TS])) {
            reject_local(l, st->row_line,
                         "ts: differs from the first row of event %.*s "
                         "(line %llu)",
                         (int)(ev->idlen > 64 ? 64 : ev->idlen), a + ev->id,
                         (unsigned long long)ev->line);
            return 0;
        }
        if (ev->kindlen != len[F_KIND] ||
            memcmp(a + ev->kind, val[F_KIND], ev->kindlen) != 0) {
            reject_local(l, st->row_line,
                         "kind: differs from the first row of event %.*s "
                         "(line %llu)",
                         (int)(ev->idlen > 64 ? 64 : ev->idlen), a + ev->id,
                         (unsigned long long)ev->line);
            return 0;
        }
        if (len[F_WEIGHT] && ev->wlen &&
            (ev->wlen != len[F_WEIGHT] ||
             memcmp(a + ev->w, val[F_WEIGHT], ev->wlen) != 0)) {
            reject_local(l, st->row_line,
                         "weight: differs from an earlier row of event %.*s "
                         "(line %llu)",
                         (int)(ev->idlen > 64 ? 64 : ev->idlen), a + ev->id,
                         (unsigned long long)ev->line);
            return 0;
        }
        if (len[F_WEIGHT] && !ev->wlen) {
            ev->w = lev_str(v, val[F_WEIGHT], len[F_WEIGHT]);
            ev->wlen = len[F_WEIGHT];
        }
    } else {
        if (v->nev == v->evcap) {
            size_t cap = v->evcap ? v->evcap * 2 : 1024;
            struct lev_event *p = realloc(v->ev, cap * sizeof *p);
            if (!p) {
                oom(l);
                return -1;
            }
            v->ev = p;
            v->evcap = cap;
        }
        ev = &v->ev[v->nev];
        ev->id = lev_str(v, val[F_EVENT_ID], len[F_EVENT_ID]);
        ev->idlen = len[F_EVENT_ID];
        ev->ts = lev_str(v, val[F_TS], len[F_TS]);
        ev->tslen = len[F_TS];
        ev->kind = lev_str(v, val[F_KIND], len[F_KIND]);
        ev->kindlen = len[F_KIND];
        ev->w = lev_str(v, val[F_WEIGHT], len[F_WEIGHT]);
        ev->wlen = len[F_WEIGHT];
        ev->line = st->row_line;
        ev->head = ev->tail = NONE;
        ev->count = 0;
        if (strmap_put(&v->index, val[F_EVENT_ID], len[F_EVENT_ID],
                       (int64_t)v->nev) < 0) {
            oom(l);
            return -1;
        }
        v->nev++;
    }
    if (v->npt == v->ptcap) {
        size_t cap = v->ptcap ? v->ptcap * 2 : 4096;
        struct lev_part *p = realloc(v->pt, cap * sizeof *p);
        if (!p) {
            oom(l);
            return -1;
        }
        v->pt = p;
        v->ptcap = cap;
    }
    struct lev_part *pt = &v->pt[v->npt];
    pt->s = lev_str(v, val[F_PERSON], len[F_PERSON]);
    pt->len = len[F_PERSON];
    pt->line = st->row_line;
    pt->next = NONE;
    if (ev->tail == NONE)
        ev->head = v->npt;
    else
        v->pt[ev->tail].next = v->npt;
    ev->tail = v->npt++;
    ev->count++;
    if (v->arena.failed) {
        oom(l);
        return -1;
    }
    return 0;
}

/* Send the events gathered from a long-form file. */
static int emit_long(struct csvstate *st)
{
    struct loader *l = st->l;
    struct longev *v = &st->lev;
    for (size_t e = 0; e < v->nev && !l->fatal && !l->stop; e++) {
        const struct lev_event *ev = &v->ev[e];
        const char *a = v->arena.data;
        size_t mark;
        buf_t *b = item_begin(l, K_EVENTS, &mark);
        if (!b)
            return -1;
        bool first = true;
        buf_putc(b, '{');
        /* Cells were checked for UTF-8 and NUL as they were read. */
        put_str_member(b, &first, "id", a + ev->id, ev->idlen);
        char why[512];
        if (ev->tslen && put_ts(l, b, &first, a + ev->ts, ev->tslen, why,
                                sizeof why) == TS_REFUSED) {
            item_cancel(l, K_EVENTS, mark);
            reject_local(l, ev->line, "%s", why);
            continue;
        }
        if (ev->kindlen)
            put_str_member(b, &first, "kind", a + ev->kind, ev->kindlen);
        put_key(b, &first, "participants");
        buf_putc(b, '[');
        struct batch *cur = l->cur;
        if (u64_push(&cur->pstart, cur->plines.n) < 0) {
            oom(l);
            return -1;
        }
        for (size_t p = ev->head; p != NONE; p = v->pt[p].next) {
            if (p != ev->head)
                buf_putc(b, ',');
            ctl_json_str(b, a + v->pt[p].s, v->pt[p].len);
            if (u64_push(&cur->plines, v->pt[p].line) < 0) {
                oom(l);
                return -1;
            }
        }
        buf_putc(b, ']');
        if (ev->wlen) {
            /* put_weight needs a NUL-terminated cell. */
            char w[128];
            if (ev->wlen < sizeof w) {
                memcpy(w, a + ev->w, ev->wlen);
                w[ev->wlen] = '\0';
                put_weight(b, &first, w, ev->wlen);
            } else {
                put_key(b, &first, "weight");
                ctl_json_str(b, a + ev->w, ev->wlen);
            }
        }
        buf_putc(b, '}');
        if (item_end(l, K_EVENTS, ev->line) < 0)
            return -1;
    }
    return l->fatal;
}

/* ---- CSV driver ---- */

static bool all_empty(const struct csvstate *st)
{
    for (size_t c = 0; c < st->ncell; c++)
        if (st->len[c])
            return false;
    return true;
}

static void csv_row(int term, void *ctx)
{
    (void)term; /* which of CR or LF ended the row does not matter */
    struct csvstate *st = ctx;
    struct loader *l = st->l;
    st->line_cb = true;
    st->line_last_row = true;
    if (!st->stop && !st->discard_row && !l->fatal && !l->stop) {
        int rc = 0;
        if (!st->have_header) {
            rc = csv_header(st);
        } else if (all_empty(st)) {
            /* a row of empty cells, as spreadsheets leave at the end */
        } else if (st->ncell > st->ncols) {
            reject_local(l, st->row_line,
                         "%zu fields, but the header has %zu columns",
                         st->ncell, st->ncols);
        } else {
            switch (st->type) {
            case FT_PEOPLE:
                rc = row_people(st);
                break;
            case FT_RECORDS:
                rc = row_records(st);
                break;
            case FT_EVENTS:
                rc = row_events(st);
                break;
            case FT_EVENTS_LONG:
                rc = row_long(st);
                break;
            default:
                break;
            }
        }
        if (rc < 0)
            st->stop = true;
    }
    st->ncell = 0;
    buf_clear(&st->data);
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

static bool csv_going(const struct csvstate *st)
{
    return !st->stop && !st->l->fatal && !st->l->stop;
}

static int csv_feed(struct csvstate *st, const char *buf, size_t len)
{
    struct loader *l = st->l;
    size_t i = 0;
    while (i < len && csv_going(st)) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (buf + i)) + 1 : len - i;
        bool whole_row_line = false;
        if (st->at_line_start) {
            l->line++;
            st->at_line_start = false;
            st->line_cb = st->line_last_row = st->line_nonblank = false;
            if (!st->row_open)
                st->row_line = l->line;
            whole_row_line = nl && !st->row_open;
        }
        if (whole_row_line &&
            ctl_csv_fast_line(buf + i, n, csv_cell, csv_row, st)) {
            /* parsed */
        } else if (csv_parse(&st->p, buf + i, n, csv_cell, csv_row, st) != n) {
            fail(l, -ENOMEM, "%s:%llu: %s", fname(l, l->file),
                 (unsigned long long)l->line, csv_strerror(csv_error(&st->p)));
            return -1;
        }
        if (!st->line_cb && !st->line_nonblank)
            st->line_nonblank = !blank(buf + i, n);
        i += n;
        if (nl) {
            /* A line that ended a row leaves none open; a line with text
             * but no row end is inside a quoted field; a blank line
             * changes nothing (libcsv skips it, or it is inside quotes). */
            st->at_line_start = true;
            if (st->line_cb)
                st->row_open = !st->line_last_row;
            else if (st->line_nonblank)
                st->row_open = true;
        }
    }
    return 0;
}

static int csv_finish(struct csvstate *st)
{
    struct loader *l = st->l;
    if (!csv_going(st))
        return 0;
    /* End the last line as if it had its LF, so that the open-row test
     * below also covers a file without a final newline. */
    if (!st->at_line_start && csv_feed(st, "\n", 1) < 0)
        return -1;
    if (st->row_open) {
        reject_local(l, st->row_line,
                     "a quoted field is not closed before the end of the "
                     "file");
        st->discard_row = true;
    }
    if (csv_fini(&st->p, csv_cell, csv_row, st) != 0) {
        fail(l, -ENOMEM, "%s: %s", fname(l, l->file),
             csv_strerror(csv_error(&st->p)));
        return -1;
    }
    if (!csv_going(st))
        return 0;
    if (!st->have_header) {
        warn_msg(l, "%s: no data", fname(l, l->file));
        return 0;
    }
    if (st->type == FT_EVENTS_LONG)
        return emit_long(st);
    return 0;
}

static void csv_state_free(struct csvstate *st)
{
    if (st->p_init)
        csv_free(&st->p);
    buf_free(&st->data);
    buf_free(&st->hdr);
    buf_free(&st->keys);
    free(st->off);
    free(st->len);
    free(st->hoff);
    free(st->colfield);
    free(st->keyoff);
    free(st->keylen);
    lev_free(&st->lev);
}

/* ---- JSON Lines ---- */

static int jsonl_line(struct loader *l, const char *s, size_t n)
{
    if (n && s[n - 1] == '\r')
        n--;
    if (blank(s, n))
        return 0;
    /* The kind is known only after the scan, so the text goes to the
     * records buffer (records are the bulk of any large file) and moves
     * when the line is a person or an event. */
    size_t mark;
    buf_t *rb = item_begin(l, K_RECORDS, &mark);
    if (!rb)
        return -1;
    size_t start = rb->len;
    enum ctl_jsonl_kind fk;
    bool has_id;
    if (ctl_jsonl_fast(s, n, rb, &fk, &has_id)) {
        int kind = fk == CTL_JSONL_PERSON   ? K_PEOPLE
                   : fk == CTL_JSONL_RECORD ? K_RECORDS
                                            : K_EVENTS;
        if (rb->failed) {
            oom(l);
            return -1;
        }
        if (kind == K_RECORDS) {
            if (!has_id && content_id(l, K_RECORDS, rb, start) < 0)
                return -1;
            return item_end(l, K_RECORDS, l->line);
        }
        size_t kmark;
        buf_t *kb = item_begin(l, kind, &kmark);
        if (!kb)
            return -1;
        const size_t open = kb->len;
        buf_append(kb, rb->data + start, rb->len - start);
        item_cancel(l, K_RECORDS, mark);
        if (kind == K_EVENTS && !has_id && !kb->failed &&
            content_id(l, K_EVENTS, kb, open) < 0)
            return -1;
        return item_end(l, kind, l->line);
    }
    item_cancel(l, K_RECORDS, mark);
    json_error_t je;
    json_t *o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        reject_local(l, l->line, "invalid JSON at column %d: %s", je.column,
                     je.text);
        return 0;
    }
    int k = -1;
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!json_is_object(o)) {
        json_decref(o);
        reject_local(l, l->line, "not a JSON object");
        return 0;
    }
    if (type && !strcmp(type, "person"))
        k = K_PEOPLE;
    else if (type && !strcmp(type, "record"))
        k = K_RECORDS;
    else if (type && !strcmp(type, "event"))
        k = K_EVENTS;
    if (k < 0) {
        json_decref(o);
        reject_local(l, l->line, "type: %s",
                     type ? "must be \"person\", \"record\" or \"event\""
                          : "is required (\"person\", \"record\" or "
                            "\"event\")");
        return 0;
    }
    if (json_object_del(o, "type") < 0) {
        json_decref(o);
        oom(l);
        return -1;
    }
    buf_t *b = item_begin(l, k, &mark);
    if (!b) {
        json_decref(o);
        return -1;
    }
    size_t need = json_dumpb(o, NULL, 0, JSON_COMPACT);
    if (need == 0 || buf_reserve(b, need) < 0) {
        json_decref(o);
        item_cancel(l, k, mark);
        oom(l);
        return -1;
    }
    const size_t open = b->len;
    const bool needs_id = k != K_PEOPLE && !json_object_get(o, "id");
    b->len += json_dumpb(o, b->data + b->len, need, JSON_COMPACT);
    b->data[b->len] = '\0';
    json_decref(o);
    if (needs_id && content_id(l, k, b, open) < 0)
        return -1;
    return item_end(l, k, l->line);
}

static int jsonl_feed(struct loader *l, buf_t *pend, const char *buf,
                      size_t len)
{
    size_t i = 0;
    while (i < len && !l->fatal && !l->stop) {
        const char *nl = memchr(buf + i, '\n', len - i);
        if (!nl) {
            buf_append(pend, buf + i, len - i);
            if (pend->failed) {
                oom(l);
                return -1;
            }
            break;
        }
        size_t n = (size_t)(nl - (buf + i));
        l->line++;
        if (pend->len) {
            buf_append(pend, buf + i, n);
            if (pend->failed) {
                oom(l);
                return -1;
            }
            jsonl_line(l, pend->data, pend->len);
            buf_clear(pend);
        } else {
            jsonl_line(l, buf + i, n);
        }
        i += n + 1;
    }
    return l->fatal;
}

/* ---- files ---- */

static bool file_going(const struct loader *l, const struct csvstate *st)
{
    return !l->fatal && !l->stop && !(st && st->stop);
}

static void file_done(struct loader *l)
{
    struct file_stat *f = &l->files[l->file];
    f->secs = now() - l->fstart;
    progress_clear(l);
    fprintf(stderr,
            "%s: %llu items: %llu added, %llu updated, %llu duplicate, "
            "%llu rejected (%.1f s)%s\n",
            f->name, (unsigned long long)f->items, (unsigned long long)f->added,
            (unsigned long long)f->updated, (unsigned long long)f->duplicate,
            (unsigned long long)f->rejected, f->secs,
            f->failed ? " - incomplete" : "");
}

static void load_one(struct loader *l, const char *path, char *buf)
{
    struct file_stat *f = &l->files[l->file];
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        warn_msg(l, "cannot open %s: %s", path, strerror(errno));
        f->failed = true;
        return;
    }
    struct stat sb;
    l->fsize = 0;
    if (fstat(fd, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            warn_msg(l, "%s: is a directory", path);
            f->failed = true;
            if (!is_stdin)
                close(fd);
            return;
        }
        if (S_ISREG(sb.st_mode))
            l->fsize = (uint64_t)sb.st_size;
    }
    l->fpos = 0;
    l->line = 0;
    l->fstart = l->last_draw = now();
    /* Content ids count repeats within one file: the same file given
     * twice is the same rows, not new ones. */
    strmap_free(&l->content);

    struct csvstate st = {0};
    st.l = l;
    st.at_line_start = true;
    strmap_init(&st.lev.index);
    buf_t pend = {0};
    bool jsonl = false, detected = false, eof = false, empty = false;
    size_t have = 0;
    while (!l->fatal && !l->stop && !st.stop && !eof) {
        ssize_t n = read(fd, buf + have, READ_BUF - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            warn_msg(l, "%s: read error: %s", f->name, strerror(errno));
            f->failed = true;
            break;
        }
        eof = n == 0;
        have += (size_t)n;
        size_t start = 0;
        if (!detected) {
            /* Decide on the first non-blank byte, past a UTF-8 BOM. */
            if (have < 3 && !eof)
                continue;
            if (have >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
                start = 3;
            size_t i = start;
            while (i < have && (buf[i] == ' ' || buf[i] == '\t' ||
                                buf[i] == '\r' || buf[i] == '\n'))
                i++;
            if (i == have && !eof && have < READ_BUF)
                continue;
            detected = true;
            empty = i == have && eof;
            jsonl = i < have && buf[i] == '{';
            if (jsonl) {
                f->type = FT_JSONL;
            } else {
                if (csv_init(&st.p, 0) != 0) {
                    oom(l);
                    break;
                }
                st.p_init = true;
                /* libcsv's default 128-byte growth step makes long
                 * fields cost many reallocations. */
                csv_set_blk_size(&st.p, 4096);
            }
        }
        if (jsonl)
            jsonl_feed(l, &pend, buf + start, have - start);
        else
            csv_feed(&st, buf + start, have - start);
        l->fpos += have;
        have = 0;
        if (file_going(l, &st))
            progress(l);
    }
    if (!f->failed && file_going(l, &st)) {
        if (!detected || empty) {
            warn_msg(l, "%s: empty, nothing to load", f->name);
        } else if (jsonl) {
            if (pend.len) {
                l->line++;
                jsonl_line(l, pend.data, pend.len);
            }
        } else {
            csv_finish(&st);
        }
    }
    if (st.stop && !l->fatal)
        f->failed = true;
    /* What was read before a problem is still sent: each row stands on
     * its own. */
    if (!l->fatal)
        submit(l);
    drain(l);
    if (l->stop)
        f->failed = true;
    csv_state_free(&st);
    buf_free(&pend);
    if (!is_stdin)
        close(fd);
    file_done(l);
}

/* ---- people named but never described ---- */

static int cmp_pos(const void *a, const void *b)
{
    int64_t x = ((const strmap_slot_t *const *)a)[0]->value & POS_MASK;
    int64_t y = ((const strmap_slot_t *const *)b)[0]->value & POS_MASK;
    return x < y ? -1 : x > y;
}

static int show_implicit(struct loader *l, const strmap_slot_t *e);

/* Ask spand about the ids in want[0..n), pipelined; list those it holds
 * no attribute for. */
static int check_batch(struct loader *l, strmap_slot_t **want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_pack("{s:s%}", "id", want[i]->key, want[i]->len);
        char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
        json_decref(p);
        char err[512];
        int rc = text ? ctl_conn_send(l->conn, "person", text, strlen(text),
                                      err, sizeof err)
                      : -ENOMEM;
        free(text);
        if (rc < 0) {
            fail(l, rc, "%s", rc == -ENOMEM ? "out of memory" : err);
            return l->fatal;
        }
    }
    for (size_t i = 0; i < n; i++) {
        ctl_reply_t r;
        char err[512];
        int rc = ctl_conn_recv(l->conn, &r, err, sizeof err);
        if (rc < 0) {
            fail(l, rc, "%s", err);
            return l->fatal;
        }
        json_t *a = json_object_get(r.result, "attributes");
        bool described = r.code == 0 && json_object_size(a) > 0;
        ctl_reply_clear(&r);
        if (described || l->nimplicit_shown == SHOWN_IMPLICIT)
            continue;
        if (show_implicit(l, want[i]) < 0)
            return l->fatal;
    }
    return 0;
}

/* Add e to the people listed as created without attributes. */
static int show_implicit(struct loader *l, const strmap_slot_t *e)
{
    struct implicit *im = &l->implicit_shown[l->nimplicit_shown];
    char hint[128];
    typo_hint(l, e->key, e->len, hint, sizeof hint);
    im->file = POS_FILE(e->value);
    im->line = POS_LINE(e->value);
    im->id = strndup(e->key, e->len);
    im->hint = hint[0] ? strdup(hint) : NULL;
    if (!im->id || (hint[0] && !im->hint)) {
        free(im->id);
        free(im->hint);
        oom(l);
        return l->fatal;
    }
    l->nimplicit_shown++;
    return 0;
}

/* List the first few people that spand created without attributes for
 * this load's records and events, where each was first named, and count
 * the rest: the ids with no row in this load's people files that the
 * ingest replies say spand created. Where a reply could not say which
 * (NAMED_PERHAPS), spand is asked, one id at a time and only until the
 * list is full: `person` costs the daemon a scan of the person's ties. */
static int list_implicit(struct loader *l)
{
    if (l->opt->no_implicit || l->implicit == 0 || l->fatal)
        return 0;
    size_t n = 0;
    strmap_slot_t **v = malloc((strmap_count(&l->named) + 1) * sizeof *v);
    if (!v) {
        oom(l);
        return l->fatal;
    }
    int64_t ignored;
    for (size_t i = 0; i < l->named.cap; i++) {
        strmap_slot_t *e = &l->named.slots[i];
        if (e->key && (e->value & (NAMED_IMPLICIT | NAMED_PERHAPS)) &&
            !strmap_get(&l->people, e->key, e->len, &ignored))
            v[n++] = e;
    }
    qsort(v, n, sizeof *v, cmp_pos);
    for (size_t i = 0; i < n && l->nimplicit_shown < SHOWN_IMPLICIT; i++) {
        if (v[i]->value & NAMED_PERHAPS) {
            if (check_batch(l, v + i, 1) < 0)
                break;
        } else if (show_implicit(l, v[i]) < 0) {
            break;
        }
    }
    free(v);
    /* Those still in doubt past the list count as created. */
    /* spand's count is of the people this load created; an id described
     * by a later people file of the load is not left out of it. */
    if (l->implicit > l->nimplicit_shown)
        l->implicit_unlisted = l->implicit - l->nimplicit_shown;
    return l->fatal;
}

/* ---- summary ---- */

static void print_text_summary(struct loader *l, FILE *out)
{
    fprintf(out, "people:          %llu added, %llu updated, %llu duplicate\n",
            (unsigned long long)l->p_added, (unsigned long long)l->p_updated,
            (unsigned long long)l->p_dup);
    fprintf(out, "records:         %llu added, %llu duplicate\n",
            (unsigned long long)l->r_added, (unsigned long long)l->r_dup);
    fprintf(out, "events:          %llu added, %llu duplicate\n",
            (unsigned long long)l->e_added, (unsigned long long)l->e_dup);
    fprintf(out, "implicit people: %llu%s\n", (unsigned long long)l->implicit,
            l->implicit ? " (named in records or events, never described)"
                        : "");
    for (size_t i = 0; i < l->nimplicit_shown; i++) {
        const struct implicit *im = &l->implicit_shown[i];
        fprintf(out, "  %s:%llu: \"%s\"%s%s%s\n", fname(l, im->file),
                (unsigned long long)im->line, im->id,
                im->hint ? " (did you mean \"" : "", im->hint ? im->hint : "",
                im->hint ? "\"?)" : "");
    }
    if (l->nimplicit_shown && l->implicit_unlisted)
        fprintf(out, "  (%llu more not shown)\n",
                (unsigned long long)l->implicit_unlisted);
    if (l->content_ids[K_RECORDS] || l->content_ids[K_EVENTS])
        fprintf(out,
                "content ids:     %llu record%s, %llu event%s without an id "
                "got one from their content\n",
                (unsigned long long)l->content_ids[K_RECORDS],
                l->content_ids[K_RECORDS] == 1 ? "" : "s",
                (unsigned long long)l->content_ids[K_EVENTS],
                l->content_ids[K_EVENTS] == 1 ? "" : "s");
    fprintf(out, "rejected:        %llu\n", (unsigned long long)l->rejected);
    for (size_t i = 0; i < l->nshown; i++) {
        if (l->shown[i].line)
            fprintf(out, "  %s:%llu: %s\n", fname(l, l->shown[i].file),
                    (unsigned long long)l->shown[i].line, l->shown[i].text);
        else
            fprintf(out, "  %s: %s\n", fname(l, l->shown[i].file),
                    l->shown[i].text);
    }
    if (l->rejected > l->nshown)
        fprintf(out, "  (%llu more not shown)\n",
                (unsigned long long)(l->rejected - l->nshown));
    if (l->unsent)
        fprintf(out,
                "not stored:      %llu valid items in rejected batches "
                "(--strict)\n",
                (unsigned long long)l->unsent);
}

/* The members that say what was not loaded as written: warnings, the
 * people named but never described, the content ids given. */
static int json_summary_more(struct loader *l, json_t *o)
{
    json_t *w = json_array(), *im = json_array();
    if (!w || !im)
        goto fail;
    for (size_t i = 0; i < l->nwarned; i++) {
        json_t *e = json_pack(
            "{s:s, s:I, s:s}", "file", fname(l, l->warned[i].file), "line",
            (json_int_t)l->warned[i].line, "warning", l->warned[i].text);
        if (!e || json_array_append_new(w, e) < 0)
            goto fail;
    }
    for (size_t i = 0; i < l->nimplicit_shown; i++) {
        const struct implicit *p = &l->implicit_shown[i];
        json_t *e = json_pack("{s:s, s:I, s:s, s:s?}", "file",
                              fname(l, p->file), "line", (json_int_t)p->line,
                              "id", p->id, "did_you_mean", p->hint);
        if (!e || json_array_append_new(im, e) < 0)
            goto fail;
    }
    json_t *ci = json_pack("{s:I, s:I}", "records",
                           (json_int_t)l->content_ids[K_RECORDS], "events",
                           (json_int_t)l->content_ids[K_EVENTS]);
    if (json_object_set_new(o, "warnings", w) < 0 ||
        json_object_set_new(o, "implicit_people", im) < 0 ||
        json_object_set_new(o, "implicit_unlisted",
                            json_integer((json_int_t)l->implicit_unlisted)) <
            0 ||
        json_object_set_new(o, "content_ids", ci) < 0)
        return -1;
    return 0;
fail:
    json_decref(w);
    json_decref(im);
    return -1;
}

static json_t *json_summary(struct loader *l)
{
    json_t *files = json_array();
    json_t *rej = json_array();
    if (!files || !rej)
        goto fail;
    for (size_t i = 0; i < l->nfiles; i++) {
        const struct file_stat *f = &l->files[i];
        json_t *o = json_pack(
            "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b}", "file", f->name, "type",
            ftype_name[f->type], "items", (json_int_t)f->items, "added",
            (json_int_t)f->added, "updated", (json_int_t)f->updated,
            "duplicate", (json_int_t)f->duplicate, "rejected",
            (json_int_t)f->rejected, "complete", !f->failed);
        if (!o || json_array_append_new(files, o) < 0)
            goto fail;
    }
    for (size_t i = 0; i < l->nshown; i++) {
        json_t *o = json_pack(
            "{s:s, s:I, s:s}", "file", fname(l, l->shown[i].file), "line",
            (json_int_t)l->shown[i].line, "reason", l->shown[i].text);
        if (!o || json_array_append_new(rej, o) < 0)
            goto fail;
    }
    json_t *o = json_pack(
        "{s:o, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I}, s:I, "
        "s:o, s:I, s:I}",
        "files", files, "people", "added", (json_int_t)l->p_added, "updated",
        (json_int_t)l->p_updated, "duplicate", (json_int_t)l->p_dup, "implicit",
        (json_int_t)l->implicit, "records", "added", (json_int_t)l->r_added,
        "duplicate", (json_int_t)l->r_dup, "events", "added",
        (json_int_t)l->e_added, "duplicate", (json_int_t)l->e_dup,
        "rejected_count", (json_int_t)l->rejected, "rejected", rej, "unsent",
        (json_int_t)l->unsent, "data_version", (json_int_t)l->data_version);
    return o && json_summary_more(l, o) == 0 ? o : (json_decref(o), NULL);
fail:
    json_decref(files);
    json_decref(rej);
    return NULL;
}

static void print_summary(struct loader *l)
{
    FILE *out = l->opt->out ? l->opt->out : stdout;
    if (!l->opt->json) {
        print_text_summary(l, out);
        return;
    }
    json_t *s = json_summary(l);
    if (!s || json_dumpf(s, out, JSON_INDENT(2)) < 0)
        fail(l, -ENOMEM, "cannot write the summary");
    else
        fputc('\n', out);
    json_decref(s);
}

int ctl_load_tz_check(const char *tz, char *err, size_t errlen)
{
    if (!tz || !strcmp(tz, "UTC"))
        return 0;
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    /* glibc reads an unknown zone as UTC without a word: check the file,
     * and keep the name to the database's own characters. */
    bool ok = *tz && tz[0] != '/' && !strstr(tz, "..") && strlen(tz) < 128;
    for (const char *p = tz; ok && *p; p++)
        ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
             (*p >= '0' && *p <= '9') || strchr("/_+-", *p);
    char path[512];
    struct stat sb;
    if (ok) {
        int w = snprintf(path, sizeof path, "%s/%s", dir, tz);
        ok = w > 0 && (size_t)w < sizeof path && stat(path, &sb) == 0 &&
             S_ISREG(sb.st_mode);
    }
    if (!ok) {
        snprintf(err, errlen,
                 "--tz %.64s: not a zone of the tz database in %s (for "
                 "example Europe/London, or UTC)",
                 tz, dir);
        return -EINVAL;
    }
    return 0;
}

/* Read date-times without a zone in --tz: the C library's local time is
 * the one tool that knows a zone's rules, so TZ is set for the load and
 * put back after (spanctl has one thread). */
static int use_tz(struct loader *l)
{
    const char *tz = l->opt->tz;
    char err[256];
    if (!tz || !strcmp(tz, "UTC"))
        return 0;
    if (ctl_load_tz_check(tz, err, sizeof err) < 0) {
        fail(l, -EINVAL, "%s", err);
        return l->fatal;
    }
    const char *old = getenv("TZ");
    if (old && !(l->old_tz = strdup(old))) {
        oom(l);
        return l->fatal;
    }
    if (setenv("TZ", tz, 1) < 0) {
        fail(l, -errno, "cannot set TZ: %s", strerror(errno));
        return l->fatal;
    }
    tzset();
    l->tz_set = true;
    return 0;
}

static void restore_tz(struct loader *l)
{
    if (!l->tz_set)
        return;
    if (l->old_tz)
        setenv("TZ", l->old_tz, 1);
    else
        unsetenv("TZ");
    tzset();
    free(l->old_tz);
    l->old_tz = NULL;
    l->tz_set = false;
}

int ctl_load_files(ctl_conn_t *conn, char *const *paths, size_t npaths,
                   const ctl_load_opts_t *opts, ctl_load_result_t *res,
                   char *err, size_t errlen)
{
    struct loader l = {0};
    l.conn = conn;
    l.opt = opts;
    l.err = err;
    l.errlen = errlen;
    if (errlen)
        err[0] = '\0';
    memset(res, 0, sizeof *res);
    if (opts->batch < 1 || opts->batch > CTL_LOAD_BATCH_MAX) {
        fail(&l, -EINVAL, "batch size must be 1..%d", CTL_LOAD_BATCH_MAX);
        return l.fatal;
    }
    l.files = calloc(npaths ? npaths : 1, sizeof *l.files);
    char *buf = malloc(READ_BUF);
    if (!l.files || !buf) {
        free(l.files);
        free(buf);
        fail(&l, -ENOMEM, "out of memory");
        return l.fatal;
    }
    l.nfiles = npaths;
    for (size_t i = 0; i < npaths; i++)
        l.files[i].name = strcmp(paths[i], "-") ? paths[i] : "<stdin>";
    l.tty = isatty(STDERR_FILENO);
    struct winsize ws;
    l.cols = l.tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col
                 ? ws.ws_col
                 : 80;
    strmap_init(&l.people);
    strmap_init(&l.named);
    strmap_init(&l.checked);
    strmap_init(&l.content);
    if (use_tz(&l) < 0) {
        free(l.files);
        free(buf);
        return l.fatal;
    }
    size_t i;
    for (i = 0; i < npaths && !l.fatal && !l.stop; i++) {
        l.file = i;
        load_one(&l, paths[i], buf);
    }
    for (; i < npaths; i++)
        l.files[i].failed = true; /* never read */
    progress_clear(&l);
    list_implicit(&l);
    print_summary(&l);
    restore_tz(&l);

    res->stored = l.p_added + l.p_updated + l.p_dup + l.r_added + l.r_dup +
                  l.e_added + l.e_dup;
    res->rejected = l.rejected;
    res->unsent = l.unsent;
    for (size_t f = 0; f < npaths; f++)
        res->failed_files += l.files[f].failed;

    batch_free(l.cur);
    for (size_t r = 0; r < l.rcount; r++)
        batch_free(l.ring[(l.rhead + r) % CTL_LOAD_PIPELINE]);
    for (size_t s = 0; s < l.nspare; s++)
        batch_free(l.spare[s]);
    for (size_t s = 0; s < l.nshown; s++)
        free(l.shown[s].text);
    for (size_t s = 0; s < l.nwarned; s++)
        free(l.warned[s].text);
    for (size_t s = 0; s < l.nimplicit_shown; s++) {
        free(l.implicit_shown[s].id);
        free(l.implicit_shown[s].hint);
    }
    strmap_free(&l.people);
    strmap_free(&l.named);
    strmap_free(&l.checked);
    strmap_free(&l.content);
    free(l.files);
    free(buf);
    return l.fatal;
}
