/* loader.c - see loader.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* The first fields of every descriptor, whatever its ABI: they must stay
 * where they are for the checks below to read them safely. */
#define HEADER_BYTES                                                         \
    (offsetof(spand_plugin_t, igraph_integer_size) +                         \
     sizeof(((spand_plugin_t *)0)->igraph_integer_size))

void loader_init(loader_registry_t *r)
{
    memset(r, 0, sizeof *r);
    r->refused = json_array();
}

static void unload(plugin_t *p)
{
    if (p->desc && p->desc->fini)
        p->desc->fini(p->state);
    if (p->dl)
        dlclose(p->dl);
    if (p->memfd >= 0)
        close(p->memfd);
    log_info("plugin %s unloaded (%s)", p->name ? p->name : "?", p->file);
    free(p->name);
    free(p->file);
    free(p);
}

void loader_ref(plugin_t *p)
{
    p->refs++;
}

void loader_unref(plugin_t *p)
{
    if (p && --p->refs == 0)
        unload(p);
}

static void retire(plugin_t *p)
{
    p->retired = true;
    loader_unref(p); /* the registry's reference */
}

void loader_free(loader_registry_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        retire(r->items[i]);
    free(r->items);
    json_decref(r->refused);
    memset(r, 0, sizeof *r);
}

plugin_t *loader_get(loader_registry_t *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i]->name, name) == 0) {
            loader_ref(r->items[i]);
            return r->items[i];
        }
    return NULL;
}

size_t loader_column_index(const plugin_t *p, spand_table_kind_t k, int i)
{
    for (size_t c = 0; c < p->desc->ncolumns; c++)
        if (p->desc->columns[c].table == k && i-- == 0)
            return c;
    return (size_t)-1;
}

const char *loader_type_name(spand_type_t t)
{
    switch (t) {
    case SPAND_BOOL:
        return "bool";
    case SPAND_INT:
        return "int";
    case SPAND_REAL:
        return "real";
    case SPAND_STRING:
        return "string";
    }
    return "?";
}

const char *loader_table_name(spand_table_kind_t k)
{
    static const char *const names[] = {"vertex", "group", "pair",
                                        "network"};
    return (unsigned)k < 4 ? names[k] : "?";
}

/* ---- checking ---------------------------------------------------------- */

/* Writable only by its owner, and owned by root or by us. */
static const char *check_owner_mode(const struct stat *st)
{
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return "writable by group or others";
    if (st->st_uid != 0 && st->st_uid != geteuid())
        return "owned by another user";
    return NULL;
}

static bool name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

static bool type_ok(spand_type_t t)
{
    return t >= SPAND_BOOL && t <= SPAND_STRING;
}

/* Does text parse as a value of type t? */
static bool default_ok(spand_type_t t, const char *text)
{
    char *end;
    if (!text)
        return false;
    switch (t) {
    case SPAND_BOOL:
        return !strcmp(text, "true") || !strcmp(text, "false");
    case SPAND_INT:
        errno = 0;
        (void)strtoll(text, &end, 10);
        return !errno && end != text && !*end;
    case SPAND_REAL:
        errno = 0;
        (void)strtod(text, &end);
        return !errno && end != text && !*end;
    case SPAND_STRING:
        return true;
    }
    return false;
}

/* Check the descriptor. The header is checked first and field by field,
 * so the reason names what differs; nothing past the header is read
 * before the header is known to match. */
static int check_desc(const spand_plugin_t *d, char *why, size_t n)
{
    if (d->size < HEADER_BYTES) {
        snprintf(why, n, "descriptor size %zu is too small to be one",
                 d->size);
        return -1;
    }
    if (d->abi_major != SPAND_ABI_MAJOR) {
        snprintf(why, n, "abi_major is %u, this spand speaks %u",
                 d->abi_major, SPAND_ABI_MAJOR);
        return -1;
    }
    if (d->abi_minor > SPAND_ABI_MINOR) {
        snprintf(why, n,
                 "abi_minor is %u, newer than this spand's %u: upgrade "
                 "spand or rebuild the plugin",
                 d->abi_minor, SPAND_ABI_MINOR);
        return -1;
    }
    if (d->size < sizeof(spand_plugin_t)) {
        snprintf(why, n, "size is %zu bytes, ABI %u.%u needs %zu", d->size,
                 d->abi_major, d->abi_minor, sizeof(spand_plugin_t));
        return -1;
    }
    if (d->igraph_integer_size != sizeof(igraph_integer_t)) {
        snprintf(why, n,
                 "igraph_integer_size is %u, this spand's igraph uses %zu",
                 d->igraph_integer_size, sizeof(igraph_integer_t));
        return -1;
    }
    if (d->igraph_major != IGRAPH_VERSION_MAJOR ||
        d->igraph_minor != IGRAPH_VERSION_MINOR) {
        snprintf(why, n, "igraph_major.igraph_minor is %u.%u, spand has %d.%d",
                 d->igraph_major, d->igraph_minor, IGRAPH_VERSION_MAJOR,
                 IGRAPH_VERSION_MINOR);
        return -1;
    }
    if (!name_ok(d->name)) {
        snprintf(why, n, "name must be 1-64 of [a-z0-9_]");
        return -1;
    }
    if (!d->run) {
        snprintf(why, n, "run callback is NULL");
        return -1;
    }
    if (!d->version || !d->summary || !d->licence) {
        snprintf(why, n, "version, summary and licence are required");
        return -1;
    }
    if ((d->nparams && !d->params) || (d->ncolumns && !d->columns)) {
        snprintf(why, n, "params or columns NULL with a non-zero count");
        return -1;
    }
    for (size_t i = 0; i < d->nparams; i++) {
        const spand_param_t *p = &d->params[i];
        if (!name_ok(p->name) || !type_ok(p->type) ||
            !default_ok(p->type, p->default_value) || !p->help) {
            snprintf(why, n, "parameter %zu (%s) is malformed", i,
                     p->name ? p->name : "?");
            return -1;
        }
    }
    for (size_t i = 0; i < d->ncolumns; i++) {
        const spand_column_t *c = &d->columns[i];
        if (!c->name || !*c->name || (unsigned)c->table > 3 ||
            !type_ok(c->type) || c->type == SPAND_BOOL || !c->meaning) {
            snprintf(why, n, "column %zu (%s) is malformed", i,
                     c->name ? c->name : "?");
            return -1;
        }
    }
    return 0;
}

/* ---- loading ----------------------------------------------------------- */

static void refuse(loader_registry_t *r, const char *file, const char *why)
{
    log_warn("plugin %s refused: %s", file, why);
    json_array_append_new(r->refused,
                          json_pack("{s:s, s:s}", "file", file, "reason", why));
}

/* Copy the file at fd (size bytes) into a new memfd; -1 on failure. */
static int private_copy(int fd, off_t size, const char *name)
{
    int m = memfd_create(name, MFD_CLOEXEC);
    if (m < 0)
        return -1;
    off_t off = 0;
    while (off < size) {
        ssize_t n = sendfile(m, fd, &off, (size_t)(size - off));
        if (n <= 0) {
            close(m);
            return -1;
        }
    }
    return m;
}

/* dlopen the object in memfd (taking ownership of the descriptor), check
 * its descriptor and call init(). NULL with the reason in why. */
static plugin_t *load_memfd(int memfd, const char *file, bool builtin,
                            const spand_api_t *api, char *why, size_t n)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        snprintf(why, n, "cannot load: %s", dlerror());
        close(memfd);
        return NULL;
    }
    dlerror();
    spand_plugin_describe_fn fn =
        (spand_plugin_describe_fn)dlsym(dl, SPAND_PLUGIN_SYMBOL);
    const spand_plugin_t *d = fn ? fn() : NULL;
    if (!fn || !d) {
        snprintf(why, n, fn ? "entry point returned no descriptor"
                            : "no entry point " SPAND_PLUGIN_SYMBOL);
        dlclose(dl);
        close(memfd);
        return NULL;
    }
    if (check_desc(d, why, n) < 0) {
        dlclose(dl);
        close(memfd);
        return NULL;
    }
    plugin_t *p = calloc(1, sizeof *p);
    if (!p || !(p->name = strdup(d->name)) || !(p->file = strdup(file))) {
        if (p)
            free(p->name);
        free(p);
        dlclose(dl);
        close(memfd);
        snprintf(why, n, "out of memory");
        return NULL;
    }
    p->refs = 1;
    p->dl = dl;
    p->memfd = memfd;
    p->desc = d;
    p->builtin = builtin;
    for (size_t c = 0; c < d->ncolumns; c++)
        p->ncols[d->columns[c].table]++;
    if (d->init && d->init(api, &p->state) != 0) {
        snprintf(why, n, "init() failed");
        p->desc = NULL; /* no fini for a plugin that did not start */
        unload(p);
        return NULL;
    }
    return p;
}

plugin_t *loader_open_fd(int fd, const char *label, const spand_api_t *api,
                         char *why, size_t n)
{
    return load_memfd(fd, label, false, api, why, n);
}

static plugin_t *load(loader_registry_t *r, const char *file,
                      const struct stat *st, bool builtin,
                      const spand_api_t *api)
{
    char why[512];
    /* Copy exactly the file that was checked: same device and inode. */
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat fst;
    if (fd < 0 || fstat(fd, &fst) < 0 || fst.st_dev != st->st_dev ||
        fst.st_ino != st->st_ino) {
        snprintf(why, sizeof why, "changed while being loaded");
        if (fd >= 0)
            close(fd);
        refuse(r, file, why);
        return NULL;
    }
    const char *base = strrchr(file, '/');
    int memfd = private_copy(fd, fst.st_size, base ? base + 1 : file);
    close(fd);
    if (memfd < 0) {
        snprintf(why, sizeof why, "cannot copy: %s", strerror(errno));
        refuse(r, file, why);
        return NULL;
    }
    plugin_t *p = load_memfd(memfd, file, builtin, api, why, sizeof why);
    if (!p) {
        refuse(r, file, why);
        return NULL;
    }
    p->dev = st->st_dev;
    p->ino = st->st_ino;
    p->mtime_ns =
        (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    p->fsize = st->st_size;
    log_info("plugin %s %s loaded from %s%s", p->desc->name,
             p->desc->version, file, builtin ? " (built in)" : "");
    return p;
}

static bool same_file(const plugin_t *p, const struct stat *st)
{
    return p->dev == st->st_dev && p->ino == st->st_ino &&
           p->fsize == st->st_size &&
           p->mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 +
                              st->st_mtim.tv_nsec;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.so files of dir, sorted, so loading order (and which of two
 * same-named plugins wins) does not depend on the file system. */
static char **list_dir(loader_registry_t *r, const char *dir, size_t *n)
{
    *n = 0;
    struct stat st;
    if (stat(dir, &st) < 0) {
        if (errno != ENOENT)
            log_warn("plugin directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    const char *why = S_ISDIR(st.st_mode) ? check_owner_mode(&st)
                                          : "not a directory";
    if (why) {
        char msg[256];
        snprintf(msg, sizeof msg, "plugin directory is %s; nothing in it is "
                                  "loaded", why);
        refuse(r, dir, msg);
        return NULL;
    }
    DIR *d = opendir(dir);
    if (!d) {
        log_warn("plugin directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        size_t plen = strlen(dir) + len + 2;
        char *path = malloc(plen);
        if (!path)
            break;
        snprintf(path, plen, "%s/%s", dir, e->d_name);
        names[(*n)++] = path;
    }
    closedir(d);
    if (*n)
        qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

static plugin_t *find_file(loader_registry_t *r, const char *file)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i]->file, file) == 0)
            return r->items[i];
    return NULL;
}

static int push(plugin_t ***items, size_t *n, size_t *cap, plugin_t *p)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        plugin_t **ni = realloc(*items, c * sizeof *ni);
        if (!ni)
            return -1;
        *items = ni;
        *cap = c;
    }
    (*items)[(*n)++] = p;
    return 0;
}

int loader_scan(loader_registry_t *r, const char *builtin_dir,
                         const char *dir, const spand_api_t *api,
                         json_t **report)
{
    json_decref(r->refused);
    r->refused = json_array();
    json_t *loaded = json_array(), *removed = json_array();
    plugin_t **next = NULL;
    size_t nnext = 0, capnext = 0;
    const char *dirs[2] = {builtin_dir, dir};
    for (int k = 0; k < 2; k++) {
        if (!dirs[k] || (k == 1 && builtin_dir && !strcmp(dir, builtin_dir)))
            continue;
        size_t nf;
        char **files = list_dir(r, dirs[k], &nf);
        for (size_t i = 0; i < nf; i++) {
            const char *file = files[i];
            struct stat st;
            const char *why = NULL;
            if (lstat(file, &st) < 0)
                why = strerror(errno);
            else if (!S_ISREG(st.st_mode))
                why = "not a regular file";
            else
                why = check_owner_mode(&st);
            plugin_t *old = find_file(r, file), *p = NULL;
            if (why) {
                refuse(r, file, why);
            } else if (old && same_file(old, &st)) {
                loader_ref(old); /* kept: moves to the new list */
                p = old;
            } else {
                /* New, or replaced: a replaced one retires below. */
                p = load(r, file, &st, k == 0, api);
                if (p)
                    json_array_append_new(loaded, json_string(p->name));
            }
            /* A later directory cannot shadow a name already in the new
             * list (built-ins win). */
            for (size_t j = 0; p && j < nnext; j++) {
                if (strcmp(next[j]->name, p->name) == 0) {
                    char msg[PATH_MAX + 64];
                    snprintf(msg, sizeof msg, "name %s is already taken by %s",
                             p->name, next[j]->file);
                    refuse(r, file, msg);
                    loader_unref(p);
                    p = NULL;
                }
            }
            if (p && push(&next, &nnext, &capnext, p) < 0) {
                loader_unref(p);
                refuse(r, file, "out of memory");
            }
            free(files[i]);
        }
        free(files);
    }
    /* Everything of the old list loses the registry's reference; what was
     * kept holds the one taken above. */
    for (size_t i = 0; i < r->n; i++) {
        plugin_t *old = r->items[i];
        bool kept = false;
        for (size_t j = 0; j < nnext; j++)
            kept |= next[j] == old;
        if (!kept) {
            json_array_append_new(removed, json_string(old->name));
            log_info("plugin %s retired (%s)", old->name, old->file);
        }
        retire(old);
    }
    free(r->items);
    r->items = next;
    r->n = nnext;
    r->cap = capnext;
    if (report)
        *report = json_pack("{s:o, s:o, s:O}", "loaded", loaded, "removed",
                            removed, "refused", r->refused);
    else {
        json_decref(loaded);
        json_decref(removed);
    }
    return 0;
}

json_t *loader_json(const loader_registry_t *r)
{
    json_t *list = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const plugin_t *p = r->items[i];
        const spand_plugin_t *d = p->desc;
        json_t *params = json_array(), *cols = json_array();
        for (size_t k = 0; k < d->nparams; k++)
            json_array_append_new(
                params, json_pack("{s:s, s:s, s:s, s:s}", "name",
                                  d->params[k].name, "type",
                                  loader_type_name(d->params[k].type),
                                  "default", d->params[k].default_value,
                                  "help", d->params[k].help));
        for (size_t k = 0; k < d->ncolumns; k++)
            json_array_append_new(
                cols, json_pack("{s:s, s:s, s:s, s:s}", "table",
                                loader_table_name(d->columns[k].table),
                                "name", d->columns[k].name, "type",
                                loader_type_name(d->columns[k].type),
                                "meaning", d->columns[k].meaning));
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:o, s:o}",
                      "name", d->name, "version", d->version, "summary",
                      d->summary, "licence", d->licence, "builtin",
                      p->builtin, "file", p->file, "needs_baseline",
                      (d->flags & SPAND_NEEDS_BASELINE) != 0, "params",
                      params, "columns", cols));
    }
    return json_pack("{s:o, s:O}", "plugins", list, "refused", r->refused);
}
