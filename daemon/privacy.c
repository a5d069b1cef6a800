/* privacy.c - see privacy.h. */
#include "privacy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strmap.h"

/* ---- the key ----------------------------------------------------------- */

static unsigned char daemon_key[PRIVACY_KEY_BYTES];
static bool daemon_key_set;

void privacy_set_key(const unsigned char key[PRIVACY_KEY_BYTES])
{
    memcpy(daemon_key, key, PRIVACY_KEY_BYTES);
    daemon_key_set = true;
}

const unsigned char *privacy_key(void)
{
    return daemon_key_set ? daemon_key : NULL;
}

static int fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A new key: written whole to PATH.new (O_CREAT|O_EXCL, 0600), fsync'd,
 * then linked to path, which fails if another process made one first: a
 * crash can leave a stray .new file, never a short key. 1 made, 0 one
 * appeared meanwhile, -1 error. */
static int key_create(const char *path, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.new", path) >= sizeof tmp) {
        snprintf(err, errlen, "key_file: path too long");
        return -1;
    }
    unsigned char key[PRIVACY_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    unlink(tmp); /* left by a start that crashed before the link */
    int fd =
        open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "key_file %s: cannot create: %s", tmp,
                 strerror(errno));
        return -1;
    }
    /* 0600 whatever the umask (which could have left it 0400). */
    int rc = fchmod(fd, 0600) < 0 || write_all(fd, key, sizeof key) < 0 ||
                     fsync(fd) < 0
                 ? -1
                 : 0;
    int saved = errno;
    close(fd);
    sodium_memzero(key, sizeof key);
    if (rc == 0 && link(tmp, path) < 0) {
        saved = errno;
        rc = saved == EEXIST ? 0 : -1;
        unlink(tmp);
        if (rc == 0)
            return 0;
    } else if (rc == 0) {
        unlink(tmp);
        if (fsync_dir_of(path) < 0) {
            saved = errno;
            rc = -1;
        } else {
            return 1;
        }
    } else {
        unlink(tmp);
    }
    snprintf(err, errlen, "key_file %s: cannot write: %s", path,
             strerror(saved));
    return -1;
}

static int key_read(const char *path, unsigned char key[PRIVACY_KEY_BYTES],
                    char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno != ENOENT)
            snprintf(err, errlen, "key_file %s: %s", path, strerror(errno));
        return errno == ENOENT ? 1 : -1;
    }
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) < 0)
        snprintf(err, errlen, "key_file %s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode) || st.st_size != PRIVACY_KEY_BYTES)
        snprintf(err, errlen,
                 "key_file %s: not a %d-byte key file (moving it away makes "
                 "a new key, and every pseudonym changes)",
                 path, PRIVACY_KEY_BYTES);
    else if (st.st_mode & 077)
        snprintf(err, errlen,
                 "key_file %s: group or others may read it (mode %04o); "
                 "chmod 600 it",
                 path, (unsigned)(st.st_mode & 07777));
    else if (read(fd, key, PRIVACY_KEY_BYTES) != PRIVACY_KEY_BYTES)
        snprintf(err, errlen, "key_file %s: short read", path);
    else
        rc = 0;
    close(fd);
    return rc;
}

int privacy_key_open(const char *path, unsigned char key[PRIVACY_KEY_BYTES],
                     char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium cannot start");
        return -1;
    }
    for (int tries = 0; tries < 3; tries++) {
        int rc = key_read(path, key, err, errlen);
        if (rc <= 0)
            return rc;
        if (key_create(path, err, errlen) < 0)
            return -1;
    }
    snprintf(err, errlen, "key_file %s: keeps disappearing", path);
    return -1;
}

/* ---- pseudonyms -------------------------------------------------------- */

void privacy_pseudonym(const unsigned char key[PRIVACY_KEY_BYTES],
                       const char *id, size_t len,
                       char out[PRIVACY_PSEUDONYM_LEN + 1])
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)id, len, key,
                       PRIVACY_KEY_BYTES);
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits = bits << 8 | h[i];
    out[0] = 'p';
    out[1] = '-';
    for (int i = 0; i < 12; i++)
        out[2 + i] = b32[(bits >> (64 - 5 * (i + 1))) & 31];
    out[PRIVACY_PSEUDONYM_LEN] = '\0';
}

bool privacy_identifying(const char *list, const char *attr)
{
    size_t n = strlen(attr);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - p) == n && n && !memcmp(p, attr, n))
            return true;
        p = e;
    }
    return false;
}

/* ---- facts ------------------------------------------------------------- */

struct privacy_facts {
    size_t ngroups;
    int64_t *sizes;
    int64_t people;
    strmap_t groups; /* name -> index */
    strmap_t keys;   /* person key -> 1 */
};

privacy_facts_t *privacy_facts_new(size_t ngroups,
                                   const char *const *group_names,
                                   const int64_t *group_sizes, int64_t people)
{
    privacy_facts_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    strmap_init(&f->groups);
    strmap_init(&f->keys);
    f->ngroups = ngroups;
    f->people = people;
    if (!(f->sizes = calloc(ngroups ? ngroups : 1, sizeof *f->sizes))) {
        privacy_facts_free(f);
        return NULL;
    }
    for (size_t g = 0; g < ngroups; g++) {
        f->sizes[g] = group_sizes ? group_sizes[g] : 0;
        const char *s = group_names[g];
        if (strmap_put(&f->groups, s, strlen(s), (int64_t)g) < 0) {
            privacy_facts_free(f);
            return NULL;
        }
    }
    return f;
}

int privacy_facts_add_key(privacy_facts_t *f, const char *key)
{
    return strmap_put(&f->keys, key, strlen(key), 1) < 0 ? -1 : 0;
}

void privacy_facts_free(privacy_facts_t *f)
{
    if (!f)
        return;
    strmap_free(&f->groups);
    strmap_free(&f->keys);
    free(f->sizes);
    free(f);
}

static int add_view_keys(privacy_facts_t *f, const view_t *v)
{
    igraph_integer_t n = igraph_vcount(&v->graph);
    for (igraph_integer_t i = 0; i < n; i++)
        if (privacy_facts_add_key(f, v->keys[i]) < 0)
            return -1;
    return 0;
}

privacy_facts_t *privacy_facts_of_view(const view_t *v)
{
    size_t ng = (size_t)v->pub.ngroups;
    int64_t *sizes = calloc(ng ? ng : 1, sizeof *sizes);
    int64_t *bsizes = calloc(ng ? ng : 1, sizeof *bsizes);
    privacy_facts_t *f = NULL;
    if (!sizes || !bsizes)
        goto out;
    igraph_integer_t n = igraph_vcount(&v->graph);
    for (igraph_integer_t i = 0; i < n; i++)
        sizes[VECTOR(v->group)[i]]++;
    if (v->baseline) {
        const view_t *b = v->baseline;
        for (igraph_integer_t i = 0; i < igraph_vcount(&b->graph); i++)
            bsizes[VECTOR(b->group)[i]]++;
        /* A row comparing two windows is built on both: the smaller. */
        for (size_t g = 0; g < ng; g++)
            if (bsizes[g] < sizes[g])
                sizes[g] = bsizes[g];
    }
    f = privacy_facts_new(ng, (const char *const *)v->group_names, sizes,
                          (int64_t)n);
    if (f && (add_view_keys(f, v) < 0 ||
              (v->baseline && add_view_keys(f, v->baseline) < 0))) {
        privacy_facts_free(f);
        f = NULL;
    }
out:
    free(sizes);
    free(bsizes);
    return f;
}

/* ---- text holding ids -------------------------------------------------- */

static bool is_key(const privacy_facts_t *f, const char *s, size_t n)
{
    int64_t v;
    return n && strmap_get(&f->keys, s, n, &v);
}

static bool is_delim(char c)
{
    return strchr(" \t\r\n,;:()[]{}\"'", c) != NULL && c != '\0';
}

/* Append s[0..n) to out with every person key among its tokens replaced
 * by its pseudonym (key) or counted only (key NULL); *found counts them.
 * A token is the whole text, a ", "-separated piece (plugins list people
 * that way), or a run of characters between delimiters. */
static int put_piece(buf_t *out, const char *s, size_t n,
                     const privacy_facts_t *f, const unsigned char *key,
                     size_t *found)
{
    char p[PRIVACY_PSEUDONYM_LEN + 1];
    if (is_key(f, s, n)) {
        ++*found;
        if (!key)
            return buf_append(out, s, n);
        privacy_pseudonym(key, s, n, p);
        return buf_append(out, p, PRIVACY_PSEUDONYM_LEN);
    }
    for (size_t i = 0; i < n;) {
        if (is_delim(s[i])) {
            if (buf_putc(out, s[i++]) < 0)
                return -1;
            continue;
        }
        size_t j = i;
        while (j < n && !is_delim(s[j]))
            j++;
        if (is_key(f, s + i, j - i)) {
            ++*found;
            if (key) {
                privacy_pseudonym(key, s + i, j - i, p);
                if (buf_append(out, p, PRIVACY_PSEUDONYM_LEN) < 0)
                    return -1;
                i = j;
                continue;
            }
        }
        if (buf_append(out, s + i, j - i) < 0)
            return -1;
        i = j;
    }
    return 0;
}

/* The text s rewritten (see put_piece) into out; 0 or -1. */
static int rewrite_text(const char *s, const privacy_facts_t *f,
                        const unsigned char *key, buf_t *out, size_t *found)
{
    size_t n = strlen(s);
    *found = 0;
    buf_clear(out);
    if (is_key(f, s, n))
        return put_piece(out, s, n, f, key, found);
    for (size_t i = 0; i <= n;) {
        const char *sep = strstr(s + i, ", ");
        size_t j = sep ? (size_t)(sep - s) : n;
        if (put_piece(out, s + i, j - i, f, key, found) < 0)
            return -1;
        if (!sep)
            break;
        if (buf_append(out, ", ", 2) < 0)
            return -1;
        i = j + 2;
    }
    return 0;
}

/* ---- tables ------------------------------------------------------------ */

typedef struct tab {
    json_t *t; /* the table object */
    json_t *rows;
    size_t nrows, ncols, nkeys;
    uint8_t *wh; /* nrows * ncols: withheld by suppression */
    int kind;    /* 0 vertex, 1 group, 2 pair, 3 network */
} tab_t;

static const char *const table_names[4] = {"vertex", "group", "pair",
                                           "network"};

static int tab_open(tab_t *tb, json_t *tables, int kind, char *err,
                    size_t errlen)
{
    memset(tb, 0, sizeof *tb);
    tb->kind = kind;
    tb->t = json_object_get(tables, table_names[kind]);
    if (!tb->t)
        return 0;
    json_t *cols = json_object_get(tb->t, "columns");
    tb->rows = json_object_get(tb->t, "rows");
    static const size_t nkeys[4] = {2, 1, 2, 0};
    tb->nkeys = nkeys[kind];
    if (!json_is_array(cols) || !json_is_array(tb->rows) ||
        json_array_size(cols) < tb->nkeys) {
        snprintf(err, errlen, "answer table %s is malformed",
                 table_names[kind]);
        return -1;
    }
    tb->ncols = json_array_size(cols);
    tb->nrows = json_array_size(tb->rows);
    for (size_t r = 0; r < tb->nrows; r++) {
        json_t *row = json_array_get(tb->rows, r);
        if (!json_is_array(row) || json_array_size(row) != tb->ncols) {
            snprintf(err, errlen, "answer table %s: row %zu is malformed",
                     table_names[kind], r);
            return -1;
        }
    }
    tb->wh = calloc(tb->nrows * tb->ncols + 1, 1);
    if (!tb->wh) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static json_t *cell(const tab_t *tb, size_t r, size_t c)
{
    return json_array_get(json_array_get(tb->rows, r), c);
}

/* The group index named by key column c of row r; -1 when unknown. */
static int64_t group_at(const privacy_facts_t *f, const tab_t *tb, size_t r,
                        size_t c)
{
    json_t *g = cell(tb, r, c);
    int64_t v;
    if (!json_is_string(g) || !strmap_get(&f->groups, json_string_value(g),
                                          json_string_length(g), &v))
        return -1;
    return v;
}

static int64_t size_of(const privacy_facts_t *f, int64_t g)
{
    return g < 0 ? 0 : f->sizes[g];
}

/* Withhold every value cell of row r that is not already null. */
static void withhold_row(tab_t *tb, size_t r)
{
    for (size_t c = tb->nkeys; c < tb->ncols; c++)
        if (!json_is_null(cell(tb, r, c)))
            tb->wh[r * tb->ncols + c] = 1;
}

/* Primary suppression: rows of small groups (in S), and counts (integer
 * cells) from 1 to min - 1. */
static void primary(tab_t *tb, const privacy_facts_t *f, const uint8_t *S,
                    size_t min)
{
    for (size_t r = 0; r < tb->nrows; r++) {
        bool small = false;
        if (tb->kind == 1 || tb->kind == 2) {
            int64_t a = group_at(f, tb, r, 0);
            small = a < 0 || S[a];
            if (tb->kind == 2) {
                int64_t b = group_at(f, tb, r, 1);
                small = small || b < 0 || S[b];
            }
        } else if (tb->kind == 3) {
            small = f->people < (int64_t)min;
        }
        if (small)
            withhold_row(tb, r);
        for (size_t c = tb->nkeys; c < tb->ncols; c++) {
            json_t *x = cell(tb, r, c);
            if (json_is_integer(x) && json_integer_value(x) > 0 &&
                json_integer_value(x) < (json_int_t)min)
                tb->wh[r * tb->ncols + c] = 1;
        }
    }
}

/* Complementary suppression within one line of a table (the rows r with
 * in_line(r)): for each column with exactly one withheld cell, withhold
 * the shown (non-null) cell of the row of the smallest group too, so the
 * withheld one is not a total minus the others. by: the key column whose
 * group orders the rows. Returns whether anything changed. */
static bool complement_line(tab_t *tb, const privacy_facts_t *f, size_t by,
                            size_t keycol, int64_t line)
{
    bool changed = false;
    for (size_t c = tb->nkeys; c < tb->ncols; c++) {
        size_t nwh = 0, best = SIZE_MAX;
        int64_t best_size = INT64_MAX;
        for (size_t r = 0; r < tb->nrows; r++) {
            if (line >= 0 && group_at(f, tb, r, keycol) != line)
                continue;
            if (tb->wh[r * tb->ncols + c]) {
                nwh++;
                continue;
            }
            /* Only a number can be had by subtraction. */
            if (!json_is_number(cell(tb, r, c)))
                continue;
            int64_t s = size_of(f, group_at(f, tb, r, by));
            if (s < best_size) {
                best_size = s;
                best = r;
            }
        }
        if (nwh == 1 && best != SIZE_MAX) {
            tb->wh[best * tb->ncols + c] = 1;
            changed = true;
        }
    }
    return changed;
}

static void complement(tab_t *tb, const privacy_facts_t *f)
{
    if (tb->kind == 1) {
        complement_line(tb, f, 0, 0, -1);
        return;
    }
    if (tb->kind != 2)
        return;
    /* Rows of one group_a, then columns of one group_b, until settled:
     * each pass only adds withheld cells, so this ends. */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t g = 0; g < f->ngroups; g++) {
            changed |= complement_line(tb, f, 1, 0, (int64_t)g);
            changed |= complement_line(tb, f, 0, 1, (int64_t)g);
        }
    }
}

/* The groups withheld whole: those under min people, and when that is
 * exactly one of several, the next smallest too (the network row, or
 * the view's vertex count, is their total). */
static uint8_t *small_groups(const privacy_facts_t *f, size_t min)
{
    uint8_t *S = calloc(f->ngroups + 1, 1);
    if (!S)
        return NULL;
    size_t n = 0, best = SIZE_MAX;
    for (size_t g = 0; g < f->ngroups; g++) {
        if (f->sizes[g] < (int64_t)min) {
            S[g] = 1;
            n++;
        }
    }
    if (n == 1 && f->ngroups > 1) {
        for (size_t g = 0; g < f->ngroups; g++)
            if (!S[g] && (best == SIZE_MAX || f->sizes[g] < f->sizes[best]))
                best = g;
        if (best != SIZE_MAX)
            S[best] = 1;
    }
    return S;
}

/* Write the withheld cells as null and the "suppressed" column. */
static int mark(tab_t *tb)
{
    json_t *cols = json_object_get(tb->t, "columns");
    if (json_array_append_new(
            cols, json_pack("{s:s, s:s}", "name", "suppressed", "description",
                            "columns of this row withheld (small-number "
                            "suppression or a person's id), comma-separated; "
                            "empty: none")) < 0)
        return -1;
    buf_t names = BUF_INIT;
    for (size_t r = 0; r < tb->nrows; r++) {
        json_t *row = json_array_get(tb->rows, r);
        buf_clear(&names);
        for (size_t c = tb->nkeys; c < tb->ncols; c++) {
            if (!tb->wh[r * tb->ncols + c])
                continue;
            const char *name = json_string_value(
                json_object_get(json_array_get(cols, c), "name"));
            if ((names.len && buf_putc(&names, ',') < 0) ||
                buf_puts(&names, name ? name : "?") < 0 ||
                json_array_set_new(row, c, json_null()) < 0) {
                buf_free(&names);
                return -1;
            }
        }
        if (json_array_append_new(
                row, json_string(names.len ? names.data : "")) < 0) {
            buf_free(&names);
            return -1;
        }
    }
    buf_free(&names);
    return 0;
}

/* Every text cell of tb: pseudonyms for keys (key), or withheld when it
 * holds one (key NULL, a reader). */
static int texts(tab_t *tb, const privacy_facts_t *f, const unsigned char *key)
{
    buf_t b = BUF_INIT;
    for (size_t r = 0; r < tb->nrows; r++) {
        for (size_t c = 0; c < tb->ncols; c++) {
            json_t *x = cell(tb, r, c);
            size_t found;
            bool id_col = tb->kind == 0 && c == 0;
            if (!json_is_string(x) || (c < tb->nkeys && !id_col))
                continue; /* group names are boundary values, not ids */
            if (id_col && key) {
                /* The id column: always a person id. */
                char p[PRIVACY_PSEUDONYM_LEN + 1];
                privacy_pseudonym(key, json_string_value(x),
                                  json_string_length(x), p);
                if (json_array_set_new(json_array_get(tb->rows, r), c,
                                       json_string(p)) < 0)
                    goto oom;
                continue;
            }
            if (rewrite_text(json_string_value(x), f, key, &b, &found) < 0)
                goto oom;
            if (!found)
                continue;
            if (!key) {
                tb->wh[r * tb->ncols + c] = 1;
            } else if (buf_putc(&b, '\0') < 0 ||
                       json_array_set_new(json_array_get(tb->rows, r), c,
                                          json_string(b.data)) < 0) {
                goto oom;
            }
        }
    }
    buf_free(&b);
    return 0;
oom:
    buf_free(&b);
    return -1;
}

static int notes(json_t *result, const privacy_facts_t *f,
                 const unsigned char *key)
{
    json_t *ns = json_object_get(result, "notes");
    buf_t b = BUF_INIT;
    for (size_t i = 0; json_is_array(ns) && i < json_array_size(ns); i++) {
        json_t *n = json_array_get(ns, i);
        size_t found;
        if (!json_is_string(n))
            continue;
        if (rewrite_text(json_string_value(n), f, key, &b, &found) < 0 ||
            buf_putc(&b, '\0') < 0)
            goto oom;
        if (!found)
            continue;
        if (json_array_set_new(
                ns, i,
                json_string(key ? b.data
                                : "(withheld: this note names a person)")) < 0)
            goto oom;
    }
    buf_free(&b);
    return 0;
oom:
    buf_free(&b);
    return -1;
}

static int cmp_rows_by_id(const void *a, const void *b)
{
    return strcmp(json_string_value(json_array_get(*(json_t *const *)a, 0)),
                  json_string_value(json_array_get(*(json_t *const *)b, 0)));
}

/* Vertex rows in pseudonym order: the view's order is that of the real
 * ids, which would tell who is who by rank. */
static int order_by_pseudonym(tab_t *tb)
{
    json_t **rows = malloc((tb->nrows + 1) * sizeof *rows);
    if (!rows)
        return -1;
    for (size_t r = 0; r < tb->nrows; r++) {
        rows[r] = json_incref(json_array_get(tb->rows, r));
        if (!json_is_string(json_array_get(rows[r], 0))) {
            for (size_t k = 0; k <= r; k++)
                json_decref(rows[k]);
            free(rows);
            return 0; /* an id that is not text: leave the order */
        }
    }
    qsort(rows, tb->nrows, sizeof *rows, cmp_rows_by_id);
    int rc = 0;
    json_array_clear(tb->rows);
    for (size_t r = 0; r < tb->nrows; r++)
        if (json_array_append_new(tb->rows, rows[r]) < 0)
            rc = -1;
    free(rows);
    return rc;
}

int privacy_apply(json_t *result, const privacy_facts_t *f, unsigned flags,
                  size_t min, const unsigned char *key, char *err,
                  size_t errlen)
{
    bool reader = flags & PRIVACY_READER;
    bool suppress = reader || (flags & PRIVACY_SUPPRESS);
    bool pseudo = !reader && (flags & PRIVACY_PSEUDONYMISE);
    json_t *tables = json_object_get(result, "tables");
    if (!json_is_object(result) || !json_is_object(tables)) {
        snprintf(err, errlen, "answer has no tables");
        return -1;
    }
    if (pseudo && !key) {
        snprintf(err, errlen, "no pseudonym key is loaded");
        return -1;
    }
    if (reader)
        json_object_del(tables, "vertex");
    uint8_t *S = suppress ? small_groups(f, min) : NULL;
    int rc = suppress && !S ? -1 : 0;
    for (int k = 0; k < 4 && rc == 0; k++) {
        tab_t tb;
        if (tab_open(&tb, tables, k, err, errlen) < 0) {
            free(tb.wh);
            free(S);
            return -1;
        }
        if (!tb.t)
            continue;
        if ((pseudo || reader) && texts(&tb, f, pseudo ? key : NULL) < 0)
            rc = -1;
        if (suppress && k > 0) {
            primary(&tb, f, S, min);
            complement(&tb, f);
        }
        if (rc == 0 && (suppress && k > 0) && mark(&tb) < 0)
            rc = -1;
        if (rc == 0 && k == 0 && pseudo && (flags & PRIVACY_ORDER_BY_PSEUDONYM))
            rc = order_by_pseudonym(&tb);
        free(tb.wh);
    }
    free(S);
    if (rc == 0 && (pseudo || reader) && notes(result, f, pseudo ? key : NULL))
        rc = -1;
    if (rc == 0 &&
        json_object_set_new(result, "privacy",
                            json_pack("{s:I, s:b, s:b, s:b}", "min_group_size",
                                      (json_int_t)min, "suppressed", suppress,
                                      "pseudonymised", pseudo, "reader",
                                      reader)) < 0)
        rc = -1;
    if (rc < 0 && !err[0])
        snprintf(err, errlen, "out of memory applying privacy");
    return rc;
}

int privacy_for_reader(json_t *result, const privacy_facts_t *f, size_t min,
                       char *err, size_t errlen)
{
    return privacy_apply(result, f, PRIVACY_READER, min, NULL, err, errlen);
}

int privacy_apply_line(buf_t *line, const privacy_facts_t *f, unsigned flags,
                       size_t min, const unsigned char *key, size_t keep,
                       char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *resp = json_loadb(line->data, line->len, 0, &jerr);
    json_t *result = resp ? json_object_get(resp, "result") : NULL;
    if (!result) {
        json_decref(resp);
        snprintf(err, errlen, "answer cannot be rewritten");
        return -1;
    }
    if (errlen)
        err[0] = '\0';
    if (privacy_apply(result, f, flags, min, key, err, errlen) < 0) {
        json_decref(resp);
        return -1;
    }
    json_t *rows = json_object_get(
        json_object_get(json_object_get(result, "tables"), "vertex"), "rows");
    while (json_is_array(rows) && json_array_size(rows) > keep)
        json_array_remove(rows, json_array_size(rows) - 1);
    char *text = json_dumps(resp, JSON_COMPACT);
    json_decref(resp);
    if (!text) {
        snprintf(err, errlen, "out of memory applying privacy");
        return -1;
    }
    buf_clear(line);
    int rc = buf_puts(line, text) < 0 || buf_putc(line, '\n') < 0 ? -1 : 0;
    free(text);
    if (rc < 0)
        snprintf(err, errlen, "out of memory applying privacy");
    return rc;
}
