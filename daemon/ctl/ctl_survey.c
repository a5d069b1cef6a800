/* ctl_survey.c - survey waves for `spanctl load --survey` (ctl_survey.h).
 *
 * Surveys are small (a few thousand respondents at most), so the file is
 * read whole into rows, the names in it are checked with batched
 * `people` requests, and the records go in `ingest` batches with on_error
 * "skip". Names never become people: a person made from a typo would be a
 * new isolate in every later analysis, and an unanswered alter is missing
 * data, not a colleague. */
#include "ctl_survey.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SURVEY_MAX_BYTES ((size_t)256 << 20)
#define SURVEY_LIST_MAX 10   /* problems listed one by one */
#define SURVEY_ASK 5000      /* ids a `people` request (at most 10,000) */
#define SURVEY_BATCH 2000    /* items per ingest request */
#define SURVEY_NAME_MAX 1024 /* folded name bytes */

static char *trim(char *s);

struct row {
    uint64_t line;
    size_t n, cap;
    char **cell;
};

struct table {
    struct row *rows;
    size_t n, cap;
    uint64_t line; /* line being fed */
    bool oom;
};

/* --- reading a CSV file into rows ----------------------------------- */

static int push_row(struct table *t)
{
    if (t->n == t->cap) {
        size_t c = t->cap ? t->cap * 2 : 64;
        struct row *r = realloc(t->rows, c * sizeof *r);
        if (!r) {
            t->oom = true;
            return -1;
        }
        t->rows = r;
        t->cap = c;
    }
    t->rows[t->n++] = (struct row){0};
    return 0;
}

/* Cells go to the last row, which on_row closes by opening the next. */
static void on_cell(void *s, size_t n, void *data)
{
    struct table *t = data;
    if (t->oom || (t->n == 0 && push_row(t) < 0))
        return;
    struct row *r = &t->rows[t->n - 1];
    if (r->line == 0)
        r->line = t->line ? t->line : 1;
    if (r->n == r->cap) {
        size_t c = r->cap ? r->cap * 2 : 8;
        char **p = realloc(r->cell, c * sizeof *p);
        if (!p) {
            t->oom = true;
            return;
        }
        r->cell = p;
        r->cap = c;
    }
    char *v = malloc(n + 1);
    if (!v) {
        t->oom = true;
        return;
    }
    if (n)
        memcpy(v, s, n);
    v[n] = '\0';
    r->cell[r->n++] = v;
}

static void on_row(int term, void *data)
{
    (void)term;
    struct table *t = data;
    if (!t->oom)
        push_row(t);
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        for (size_t j = 0; j < t->rows[i].n; j++)
            free(t->rows[i].cell[j]);
        free(t->rows[i].cell);
    }
    free(t->rows);
    *t = (struct table){0};
}

/* Rows with no cells (the empty one after the last, blank lines) are
 * dropped. */
static void table_compact(struct table *t)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->rows[i].n == 0) {
            free(t->rows[i].cell);
            continue;
        }
        for (size_t j = 0; j < t->rows[i].n; j++)
            trim(t->rows[i].cell[j]);
        t->rows[k++] = t->rows[i];
    }
    t->n = k;
}

static int read_table(const char *path, struct table *t, char *err,
                      size_t errlen)
{
    *t = (struct table){0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, total = 0;
    ssize_t n;
    int rc = 0;
    t->line = 0;
    /* Fed a line at a time so that a row knows the line it starts on. */
    while ((n = getline(&line, &cap, f)) > 0) {
        t->line++;
        total += (size_t)n;
        if (total > SURVEY_MAX_BYTES) {
            snprintf(err, errlen, "%s: larger than %zu MiB", path,
                     SURVEY_MAX_BYTES >> 20);
            rc = -1;
            break;
        }
        if (csv_parse(&p, line, (size_t)n, on_cell, on_row, t) != (size_t)n) {
            snprintf(err, errlen, "%s:%" PRIu64 ": %s", path, t->line,
                     csv_strerror(csv_error(&p)));
            rc = -1;
            break;
        }
        if (t->oom)
            break;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && csv_fini(&p, on_cell, on_row, t) != 0) {
        snprintf(err, errlen, "%s: %s", path, csv_strerror(csv_error(&p)));
        rc = -1;
    }
    if (rc == 0 && t->oom) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    free(line);
    csv_free(&p);
    fclose(f);
    if (rc < 0)
        table_free(t);
    else
        table_compact(t);
    return rc;
}

/* --- folding names --------------------------------------------------- */

/* Base letters of U+00C0..U+017F; '?' marks the ones written as two
 * letters (or kept) by fold_special(). */
static const char latin1[] = "AAAAAA?CEEEEIIII"
                             "DNOOOOO?OUUUUY??"
                             "aaaaaa?ceeeeiiii"
                             "dnooooo?ouuuuy?y";
static const char latin_a[] = "AaAaAaCcCcCcCcDd"
                              "DdEeEeEeEeEeGgGg"
                              "GgGgHhHhIiIiIiIi"
                              "Ii??JjKkkLlLlLlL"
                              "lLlNnNnNnnNnOoOo"
                              "Oo??RrRrRrSsSsSs"
                              "SsTtTtTtUuUuUuUu"
                              "UuUuWwYyYZzZzZzs";

static const char *fold_special(uint32_t c)
{
    switch (c) {
    case 0xC6:
    case 0xE6:
        return "ae";
    case 0xDE:
    case 0xFE:
        return "th";
    case 0xDF:
        return "ss";
    case 0x132:
    case 0x133:
        return "ij";
    case 0x152:
    case 0x153:
        return "oe";
    default:
        return NULL;
    }
}

static uint32_t decode(const unsigned char *s, size_t n, size_t *len)
{
    if (s[0] < 0x80 || n < 2) {
        *len = 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
        *len = 2;
        return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if ((s[0] & 0xF0) == 0xE0 && n >= 3 && (s[1] & 0xC0) == 0x80 &&
        (s[2] & 0xC0) == 0x80) {
        *len = 3;
        return ((uint32_t)(s[0] & 0x0F) << 12) |
               ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    *len = 1; /* anything else is copied byte by byte */
    return 0xFFFFFFFFu;
}

/* Fold a name for matching: Latin letters with diacritics to their base
 * letters (Æ to ae, ß to ss, ...), combining marks dropped, ASCII
 * lowercased, runs of white space to one space, none at either end.
 * Returns the folded length, or (size_t)-1 when it did not fit in out. */
static size_t fold(const char *s, size_t n, char *out, size_t outlen)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t k = 0;
    bool space = false;
    if (outlen == 0)
        return (size_t)-1;
    for (size_t i = 0; i < n;) {
        size_t len;
        uint32_t c = decode(u + i, n - i, &len);
        char one[2] = {0, 0};
        const char *put = one;
        size_t plen = 1;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xA0) {
            space = k > 0;
            i += len;
            continue;
        }
        if (c >= 0x300 && c <= 0x36F) { /* combining marks */
            i += len;
            continue;
        }
        if (c < 0x80) {
            one[0] = (char)tolower((int)c);
        } else if (c >= 0xC0 && c <= 0x17F) {
            const char *sp = fold_special(c);
            char b = c <= 0xFF ? latin1[c - 0xC0] : latin_a[c - 0x100];
            if (sp) {
                put = sp;
                plen = 2;
            } else if (b != '?') {
                one[0] = (char)tolower((unsigned char)b);
            } else {
                put = s + i; /* x and / signs: kept */
                plen = len;
            }
        } else {
            put = s + i;
            plen = len;
        }
        if (space) {
            if (k + 1 >= outlen)
                return (size_t)-1;
            out[k++] = ' ';
            space = false;
        }
        if (k + plen >= outlen)
            return (size_t)-1;
        memcpy(out + k, put, plen);
        k += plen;
        i += len;
    }
    out[k] = '\0';
    return k;
}

/* --- the header ------------------------------------------------------ */

struct cols {
    size_t resp;
    size_t nalter;
    size_t *alter;     /* column of the i-th alter */
    long *num;         /* its number N */
    ssize_t *strength; /* column of its strength, -1 */
};

static void cols_free(struct cols *c)
{
    free(c->alter);
    free(c->num);
    free(c->strength);
}

/* NAME is PREFIX, an optional '_' or ' ', then digits; *num gets them and
 * *rest what follows. */
static bool numbered(const char *name, const char *prefix, long *num,
                     const char **rest)
{
    size_t pl = strlen(prefix);
    if (strncasecmp(name, prefix, pl) != 0)
        return false;
    const char *p = name + pl;
    if (*p == '_' || *p == ' ')
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    char *end;
    errno = 0;
    *num = strtol(p, &end, 10);
    if (errno || *num < 0)
        return false;
    *rest = end;
    return true;
}

static bool is_strength_suffix(const char *rest)
{
    if (*rest == '_' || *rest == ' ')
        rest++;
    return strcasecmp(rest, "strength") == 0;
}

static int find_cols(const struct row *h, const ctl_survey_opts_t *o,
                     struct cols *c, char *err, size_t errlen)
{
    static const char *const resp_names[] = {"respondent", "respondent_id",
                                             "respondent id", "id", NULL};
    const char *ap = o->alter_prefix ? o->alter_prefix : "alter";
    *c = (struct cols){.resp = SIZE_MAX};
    for (size_t r = 0; c->resp == SIZE_MAX && resp_names[r]; r++)
        for (size_t i = 0; i < h->n && c->resp == SIZE_MAX; i++)
            if (o->respondent_col ? !strcasecmp(h->cell[i], o->respondent_col)
                                  : !strcasecmp(h->cell[i], resp_names[r]))
                c->resp = i;
    if (c->resp == SIZE_MAX) {
        snprintf(err, errlen,
                 "%s: no respondent column (%s); name it with "
                 "--respondent-col",
                 o->path,
                 o->respondent_col ? o->respondent_col
                                   : "respondent, respondent_id or id");
        return -1;
    }
    c->alter = calloc(h->n, sizeof *c->alter);
    c->num = calloc(h->n, sizeof *c->num);
    c->strength = calloc(h->n, sizeof *c->strength);
    if (!c->alter || !c->num || !c->strength) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < h->n; i++) {
        long num;
        const char *rest;
        if (i != c->resp && numbered(h->cell[i], ap, &num, &rest) &&
            *rest == '\0') {
            c->alter[c->nalter] = i;
            c->num[c->nalter] = num;
            c->strength[c->nalter] = -1;
            c->nalter++;
        }
    }
    if (c->nalter == 0) {
        snprintf(err, errlen,
                 "%s: no alter columns (%s1, %s2, ...); name their prefix "
                 "with --alter-cols",
                 o->path, ap, ap);
        return -1;
    }
    /* Strengths: PREFIXN with --strength-cols, else strengthN or
     * ALTERN_strength. */
    for (size_t i = 0; i < h->n; i++) {
        long num;
        const char *rest;
        bool hit = false;
        if (o->strength_prefix)
            hit = numbered(h->cell[i], o->strength_prefix, &num, &rest) &&
                  *rest == '\0';
        else
            hit = (numbered(h->cell[i], "strength", &num, &rest) &&
                   *rest == '\0') ||
                  (numbered(h->cell[i], ap, &num, &rest) &&
                   is_strength_suffix(rest));
        for (size_t a = 0; hit && a < c->nalter; a++)
            if (c->num[a] == num && c->alter[a] != i)
                c->strength[a] = (ssize_t)i;
    }
    return 0;
}

/* --- what the daemon knows ------------------------------------------- */

static const char *cell_at(const struct row *r, size_t i)
{
    return i < r->n ? r->cell[i] : "";
}

/* Trim white space in place; returns the cell. */
static char *trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    if (i)
        memmove(s, s + i, n - i + 1);
    return s;
}

/* known[name] = true/false for every distinct respondent and alter,
 * asked with `people` (which reads only the person table, where `person`
 * would count each one's records), SURVEY_ASK ids a request, no
 * attributes asked. The answers are gathered first and marked in known
 * after the walk over its keys. */
static int ask_known(ctl_conn_t *conn, json_t *known, char *err, size_t errlen)
{
    json_t *found = json_object(), *v;
    const char *key;
    void *it = json_object_iter(known);
    int rc = found ? 0 : -1;
    while (rc == 0 && it) {
        json_t *ids = json_array(), *none = json_array(), *q = NULL;
        for (size_t k = 0; ids && it && k < SURVEY_ASK; k++) {
            if (json_array_append_new(
                    ids, json_string(json_object_iter_key(it))) < 0)
                break;
            it = json_object_iter_next(known, it);
        }
        if (ids && none)
            q = json_pack("{s:O,s:O}", "ids", ids, "attributes", none);
        ctl_reply_t r = {0};
        if (!q) {
            rc = -1;
        } else if (ctl_conn_call(conn, "people", q, &r, err, errlen) < 0) {
            rc = -2; /* err says why */
        } else if (!r.result) {
            snprintf(err, errlen, "people: %s (error %lld)",
                     r.message ? r.message : "failed", r.code);
            rc = -2;
        } else if (!json_is_object(json_object_get(r.result, "people"))) {
            snprintf(err, errlen, "people: an answer without people");
            rc = -2;
        } else if (json_object_update(
                       found, json_object_get(r.result, "people")) < 0) {
            rc = -1;
        }
        ctl_reply_clear(&r);
        json_decref(q);
        json_decref(ids);
        json_decref(none);
    }
    if (rc == -1)
        snprintf(err, errlen, "out of memory");
    json_object_foreach(found, key,
                        v) if (rc == 0 &&
                               json_object_set_new(known, key, json_true()) < 0)
    {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    json_decref(found);
    return rc < 0 ? -1 : 0;
}

/* index[folded name] = [ids...] from the people files' id and name
 * columns. */
static int name_index(const ctl_survey_opts_t *o, json_t *index, char *err,
                      size_t errlen)
{
    size_t files_with_names = 0;
    for (size_t f = 0; f < o->npeople_paths; f++) {
        struct table t;
        if (read_table(o->people_paths[f], &t, err, errlen) < 0)
            return -1;
        size_t idc = SIZE_MAX, namec = SIZE_MAX;
        for (size_t i = 0; t.n && i < t.rows[0].n; i++) {
            if (!strcasecmp(t.rows[0].cell[i], "id"))
                idc = i;
            else if (!strcasecmp(t.rows[0].cell[i], "name"))
                namec = i;
        }
        if (idc == SIZE_MAX || namec == SIZE_MAX) {
            table_free(&t);
            continue;
        }
        files_with_names++;
        for (size_t r = 1; r < t.n; r++) {
            const char *id = cell_at(&t.rows[r], idc);
            const char *name = cell_at(&t.rows[r], namec);
            char folded[SURVEY_NAME_MAX];
            size_t fl = fold(name, strlen(name), folded, sizeof folded);
            if (!*id || fl == 0 || fl == (size_t)-1)
                continue;
            json_t *ids = json_object_get(index, folded);
            if (!ids) {
                ids = json_array();
                if (!ids || json_object_set_new(index, folded, ids) < 0) {
                    table_free(&t);
                    snprintf(err, errlen, "out of memory");
                    return -1;
                }
            }
            bool dup = false;
            for (size_t j = 0; j < json_array_size(ids); j++)
                dup |= !strcmp(json_string_value(json_array_get(ids, j)), id);
            if (!dup)
                json_array_append_new(ids, json_string(id));
        }
        table_free(&t);
    }
    if (files_with_names == 0) {
        snprintf(err, errlen,
                 "--match-names needs a people file with id and name columns "
                 "in the same load");
        return -1;
    }
    return 0;
}

/* --- resolving and listing ------------------------------------------- */

struct ctx {
    const ctl_survey_opts_t *o;
    json_t *known; /* name -> true when a person id */
    json_t *index; /* folded name -> [ids], or NULL */
    uint64_t listed, unlisted;
    ctl_survey_result_t *res;
};

static void problem(struct ctx *c, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(struct ctx *c, uint64_t line, const char *fmt, ...)
{
    if (c->listed >= SURVEY_LIST_MAX) {
        c->unlisted++;
        return;
    }
    c->listed++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "spanctl: %s:%" PRIu64 ": ", c->o->path, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The id a cell stands for, or NULL (listed) when none. */
static const char *resolve(struct ctx *c, uint64_t line, const char *name,
                           const char *what)
{
    if (json_is_true(json_object_get(c->known, name)))
        return name;
    if (!c->index) {
        problem(c, line, "%s is not a known person id (%s not loaded)", name,
                what);
        return NULL;
    }
    char folded[SURVEY_NAME_MAX];
    size_t fl = fold(name, strlen(name), folded, sizeof folded);
    json_t *ids =
        fl && fl != (size_t)-1 ? json_object_get(c->index, folded) : NULL;
    size_t n = json_array_size(ids);
    if (n == 1) {
        const char *id = json_string_value(json_array_get(ids, 0));
        if (json_is_true(json_object_get(c->known, id)))
            return id;
        problem(c, line,
                "%s is the name of %s, who is not in spand (%s not "
                "loaded)",
                name, id, what);
        return NULL;
    }
    if (n == 0) {
        problem(c, line,
                "%s is neither a known person id nor anyone's name "
                "(%s not loaded)",
                name, what);
        return NULL;
    }
    char list[256] = "";
    size_t k = 0;
    for (size_t j = 0; j < n && k < sizeof list - 8; j++) {
        int w = snprintf(list + k, sizeof list - k, "%s%s", j ? ", " : "",
                         json_string_value(json_array_get(ids, j)));
        if (w < 0 || (size_t)w >= sizeof list - k)
            break;
        k += (size_t)w;
    }
    problem(c, line,
            "%s is the name of more than one person (%s): not "
            "guessed (%s not loaded)",
            name, list, what);
    return NULL;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s;; p++) {
        h ^= *p; /* the NUL too, so that ("ab","c") != ("a","bc") */
        h *= 1099511628211u;
        if (!*p)
            return h;
    }
}

static json_t *record(const ctl_survey_opts_t *o, const char *from,
                      const char *to, double weight)
{
    uint64_t h = 1469598103934665603u;
    h = fnv1a(h, o->wave);
    h = fnv1a(h, o->kind);
    h = fnv1a(h, from);
    h = fnv1a(h, to);
    char id[64];
    snprintf(id, sizeof id, "survey-%s-%016" PRIx64, o->wave, h);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:b}", "id", id, "ts", o->wave,
                     "from", from, "to", to, "kind", o->kind, "weight", weight,
                     "directed", 1);
}

static bool parse_strength(const char *s, double *w)
{
    if (!*s) {
        *w = 1;
        return true;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v <= 0)
        return false;
    *w = v;
    return true;
}

/* --- sending ----------------------------------------------------------- */

static int send_items(ctl_conn_t *conn, json_t *people, json_t *records,
                      ctl_survey_result_t *res, char *err, size_t errlen)
{
    json_t *q = json_pack("{s:O,s:O,s:s}", "people", people, "records", records,
                          "on_error", "skip");
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ctl_reply_t r;
    int rc = ctl_conn_call(conn, "ingest", q, &r, err, errlen);
    json_decref(q);
    if (rc < 0)
        return -1;
    if (!r.result) {
        snprintf(err, errlen, "ingest: %s (error %lld)",
                 r.message ? r.message : "failed", r.code);
        ctl_reply_clear(&r);
        return -1;
    }
    json_t *rec = json_object_get(r.result, "records");
    res->added += (uint64_t)json_integer_value(json_object_get(rec, "added"));
    res->rejected += (uint64_t)json_integer_value(
        json_object_get(r.result, "rejected_count"));
    json_t *rej;
    size_t i;
    json_array_foreach(json_object_get(r.result, "rejected"), i, rej)
    {
        if (i >= SURVEY_LIST_MAX)
            break;
        fprintf(stderr, "spanctl: survey item %s refused: %s\n",
                json_string_value(json_object_get(rej, "path")),
                json_string_value(json_object_get(rej, "reason")));
    }
    ctl_reply_clear(&r);
    json_array_clear(people);
    json_array_clear(records);
    return 0;
}

/* --- the load -------------------------------------------------------- */

static int collect_names(const struct table *t, const struct cols *cl,
                         json_t *known)
{
    for (size_t r = 1; r < t->n; r++) {
        const char *s = cell_at(&t->rows[r], cl->resp);
        if (*s && !json_object_get(known, s) &&
            json_object_set_new(known, s, json_false()) < 0)
            return -1;
        for (size_t a = 0; a < cl->nalter; a++) {
            s = cell_at(&t->rows[r], cl->alter[a]);
            if (*s && !json_object_get(known, s) &&
                json_object_set_new(known, s, json_false()) < 0)
                return -1;
        }
    }
    return 0;
}

static int load_rows(ctl_conn_t *conn, struct ctx *c, const struct table *t,
                     const struct cols *cl, char *err, size_t errlen)
{
    const ctl_survey_opts_t *o = c->o;
    char attr[80];
    snprintf(attr, sizeof attr, "responded_%s", o->wave);
    json_t *people = json_array(), *records = json_array();
    int rc = people && records ? 0 : -1;
    if (rc < 0)
        snprintf(err, errlen, "out of memory");
    for (size_t r = 1; rc == 0 && r < t->n; r++) {
        const struct row *row = &t->rows[r];
        const char *who = cell_at(row, cl->resp);
        if (!*who) {
            problem(c, row->line, "no respondent (the row is not loaded)");
            c->res->unmatched++;
            continue;
        }
        const char *from = resolve(c, row->line, who, "the row is");
        if (!from) {
            c->res->unmatched++;
            continue;
        }
        c->res->respondents++;
        json_array_append_new(people,
                              json_pack("{s:s,s:s}", "id", from, attr, "yes"));
        for (size_t a = 0; a < cl->nalter; a++) {
            const char *name = cell_at(row, cl->alter[a]);
            if (!*name)
                continue;
            double w = 1;
            const char *sv = cl->strength[a] >= 0
                                 ? cell_at(row, (size_t)cl->strength[a])
                                 : "";
            char tmp[64];
            snprintf(tmp, sizeof tmp, "%s", sv);
            if (!parse_strength(trim(tmp), &w)) {
                problem(c, row->line,
                        "%s: strength %s is not a positive number (tie not "
                        "loaded)",
                        name, sv);
                c->res->unmatched++;
                continue;
            }
            const char *to = resolve(c, row->line, name, "its tie is");
            if (!to) {
                c->res->unmatched++;
                continue;
            }
            if (!strcmp(to, from))
                continue; /* naming oneself is not a tie */
            json_array_append_new(records, record(o, from, to, w));
            c->res->ties++;
        }
        if (json_array_size(people) + json_array_size(records) >= SURVEY_BATCH)
            rc = send_items(conn, people, records, c->res, err, errlen);
    }
    if (rc == 0 && json_array_size(people) + json_array_size(records) > 0)
        rc = send_items(conn, people, records, c->res, err, errlen);
    json_decref(people);
    json_decref(records);
    return rc;
}

static void summary(const struct ctx *c)
{
    const ctl_survey_opts_t *o = c->o;
    const ctl_survey_result_t *r = c->res;
    if (c->unlisted)
        fprintf(stderr, "spanctl: %s: %" PRIu64 " more not listed\n", o->path,
                c->unlisted);
    if (o->json) {
        json_t *j = json_pack(
            "{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "survey", o->path, "wave",
            o->wave, "kind", o->kind, "respondents", (json_int_t)r->respondents,
            "ties", (json_int_t)r->ties, "added", (json_int_t)r->added,
            "not_loaded", (json_int_t)r->unmatched, "rejected",
            (json_int_t)r->rejected);
        if (j)
            json_dumpf(j, o->out, JSON_COMPACT);
        fputc('\n', o->out);
        json_decref(j);
        return;
    }
    /* "1 respondent", "1 tie", "1 name": the count agrees with its word. */
    fprintf(o->out,
            "%s: wave %s, kind %s: %" PRIu64 " respondent%s, %" PRIu64
            " tie%s (%" PRIu64 " new), %" PRIu64 " name%s not loaded\n",
            o->path, o->wave, o->kind, r->respondents,
            r->respondents == 1 ? "" : "s", r->ties, r->ties == 1 ? "" : "s",
            r->added, r->unmatched, r->unmatched == 1 ? "" : "s");
}

int ctl_survey_load(ctl_conn_t *conn, const ctl_survey_opts_t *o,
                    ctl_survey_result_t *res, char *err, size_t errlen)
{
    *res = (ctl_survey_result_t){0};
    struct table t;
    struct cols cl = {0};
    struct ctx c = {.o = o, .res = res};
    if (read_table(o->path, &t, err, errlen) < 0)
        return -1;
    int rc = 0;
    if (t.n == 0) {
        snprintf(err, errlen, "%s: empty", o->path);
        rc = -1;
    }
    if (rc == 0)
        rc = find_cols(&t.rows[0], o, &cl, err, errlen);
    c.known = json_object();
    c.index = o->match_names ? json_object() : NULL;
    if (rc == 0 && (!c.known || (o->match_names && !c.index))) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0 && collect_names(&t, &cl, c.known) < 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0 && o->match_names)
        rc = name_index(o, c.index, err, errlen);
    if (rc == 0) {
        /* The ids the name index could resolve to must be known too. */
        const char *k;
        json_t *ids;
        if (c.index)
            json_object_foreach(c.index, k, ids)
            {
                size_t i;
                json_t *id;
                json_array_foreach(
                    ids, i,
                    id) if (!json_object_get(c.known, json_string_value(id)))
                    json_object_set_new(c.known, json_string_value(id),
                                        json_false());
            }
        rc = ask_known(conn, c.known, err, errlen);
    }
    if (rc == 0)
        rc = load_rows(conn, &c, &t, &cl, err, errlen);
    if (rc == 0 || res->ties)
        summary(&c);
    json_decref(c.known);
    json_decref(c.index);
    cols_free(&cl);
    table_free(&t);
    return rc;
}
