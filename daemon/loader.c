/* loader.c - see loader.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, pipe2, close_range */
#endif
#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spand-build-id.h"

extern char **environ;

/* The first fields of every descriptor, whatever its ABI: they must stay
 * where they are for the checks below to read them safely. */
#define HEADER_BYTES                                                           \
    (offsetof(spand_plugin_t, igraph_integer_size) +                           \
     sizeof(((spand_plugin_t *)0)->igraph_integer_size))

/* ---- ABI ---------------------------------------------------------------- */

/* The descriptor's size at each minor of this major: entry m ends with the
 * last field minor m appended. A new minor appends its line here (and the
 * assertion below moves to its last field); a plugin of minor m is then
 * accepted with a descriptor of desc_min_size[m] bytes and copied into a
 * zeroed full-size one, so the new fields read as 0/NULL. */
static const size_t desc_min_size[SPAND_ABI_MINOR + 1] = {
    [0] = offsetof(spand_plugin_t, fini) + sizeof(void (*)(void *)),
    /* 1.1 grew spand_api_t (vertex_attr) and the parameter types
     * (SPAND_ATTRIBUTE), not the descriptor. */
    [1] = offsetof(spand_plugin_t, fini) + sizeof(void (*)(void *)),
};
_Static_assert(offsetof(spand_plugin_t, fini) + sizeof(void (*)(void *)) ==
                   sizeof(spand_plugin_t),
               "spand_plugin_t grew: add its minor to desc_min_size");

static const loader_abi_t the_abi = {SPAND_ABI_MINOR, desc_min_size,
                                     sizeof(spand_plugin_t)};

const loader_abi_t *loader_abi(void)
{
    return &the_abi;
}

/* ---- the build id ------------------------------------------------------- */

/* What a built-in plugin's spand_plugin_build_id holds (plugin.h). */
static const char build_id[] = "spand-build-id:" SPAND_BUILD_ID;
#define BUILD_ID_SYMBOL "spand_plugin_build_id"

static bool in_image(size_t len, uint64_t off, uint64_t size)
{
    return off <= len && size <= len - off;
}

/* The section headers of a 64-bit ELF image of this machine's byte
 * order, or NULL. */
static const Elf64_Shdr *elf_sections(const unsigned char *img, size_t len,
                                      size_t *nsec)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    if (len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                                     ? ELFDATA2LSB
                                     : ELFDATA2MSB) ||
        eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff % 8 != 0 ||
        !in_image(len, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
        return NULL;
    *nsec = eh->e_shnum;
    return (const Elf64_Shdr *)(img + eh->e_shoff);
}

/* Read the exported symbol spand_plugin_build_id from the dynamic symbol
 * table of the image, without loading it, and compare it with ours. Every
 * offset is checked against the image's length. */
bool loader_image_is_builtin(const void *image, size_t len)
{
    const unsigned char *img = image;
    size_t nsec;
    const Elf64_Shdr *sh = elf_sections(img, len, &nsec);
    for (size_t s = 0; sh && s < nsec; s++) {
        if (sh[s].sh_type != SHT_DYNSYM || sh[s].sh_link >= nsec ||
            sh[s].sh_entsize != sizeof(Elf64_Sym) || sh[s].sh_offset % 8 ||
            !in_image(len, sh[s].sh_offset, sh[s].sh_size))
            continue;
        const Elf64_Shdr *str = &sh[sh[s].sh_link];
        if (!in_image(len, str->sh_offset, str->sh_size))
            continue;
        const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh[s].sh_offset);
        for (size_t i = 0; i < sh[s].sh_size / sizeof *sym; i++) {
            size_t room = str->sh_size > sym[i].st_name
                              ? str->sh_size - sym[i].st_name
                              : 0;
            const char *nm =
                (const char *)img + str->sh_offset + sym[i].st_name;
            if (room < sizeof BUILD_ID_SYMBOL ||
                memcmp(nm, BUILD_ID_SYMBOL, sizeof BUILD_ID_SYMBOL) != 0)
                continue;
            if (sym[i].st_shndx == SHN_UNDEF || sym[i].st_shndx >= nsec ||
                sym[i].st_size != sizeof build_id)
                return false;
            const Elf64_Shdr *in = &sh[sym[i].st_shndx];
            if (in->sh_type == SHT_NOBITS ||
                !in_image(len, in->sh_offset, in->sh_size) ||
                sym[i].st_value < in->sh_addr ||
                sym[i].st_value - in->sh_addr > in->sh_size ||
                in->sh_size - (sym[i].st_value - in->sh_addr) < sizeof build_id)
                return false;
            uint64_t off = in->sh_offset + (sym[i].st_value - in->sh_addr);
            return in_image(len, off, sizeof build_id) &&
                   memcmp(img + off, build_id, sizeof build_id) == 0;
        }
    }
    return false;
}

/* ---- the registry ------------------------------------------------------- */

void loader_init(loader_registry_t *r)
{
    memset(r, 0, sizeof *r);
    r->refused = json_array();
    r->dirs = json_array();
}

static void unload(plugin_t *p)
{
    if (p->in_process && p->desc && p->desc->fini)
        p->desc->fini(p->state);
    if (p->dl)
        dlclose(p->dl);
    if (p->memfd >= 0)
        close(p->memfd);
    if (p->file)
        log_info("plugin %s unloaded (%s)", p->name ? p->name : "?", p->file);
    json_decref(p->facts);
    free(p->params);
    free(p->columns);
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
    json_decref(r->dirs);
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
    case SPAND_ATTRIBUTE:
        return "attribute";
    }
    return "?";
}

const char *loader_table_name(spand_table_kind_t k)
{
    static const char *const names[] = {"vertex", "group", "pair", "network"};
    return (unsigned)k < 4 ? names[k] : "?";
}

/* ---- checking ---------------------------------------------------------- */

/* Owned by root or by us. */
static bool trusted_owner(uid_t uid)
{
    return uid == 0 || uid == geteuid();
}

/* Writable only by its owner, and owned by root or by us. */
static const char *check_owner_mode(const struct stat *st)
{
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return "writable by group or others";
    if (!trusted_owner(st->st_uid))
        return "owned by another user";
    return NULL;
}

/* Can nobody but root and us replace dir or anything above it? As ssh's
 * StrictModes: the real path is walked from / down; every directory on it
 * must be owned by root or us, and writable by nobody else, with one
 * exception: a sticky directory (such as /tmp) writable by others is
 * accepted above an entry owned by root or us, since the sticky bit
 * keeps others from renaming or removing what they do not own. dir itself
 * must not be writable by others even when sticky (others could add
 * files). NULL, or why not in msg. */
static const char *check_path(const char *dir, char *msg, size_t n)
{
    char real[PATH_MAX], at[PATH_MAX];
    if (!realpath(dir, real)) {
        snprintf(msg, n, "%s", strerror(errno));
        return msg;
    }
    size_t len = strlen(real);
    /* The prefixes "/", "/a", "/a/b", ... of the real path. */
    for (size_t end = 1;;) {
        memcpy(at, real, end);
        at[end] = '\0';
        bool last = end >= len;
        const char *role = last ? "" : " (a parent directory)";
        struct stat st;
        if (stat(at, &st) < 0) {
            snprintf(msg, n, "%s: %s", at, strerror(errno));
            return msg;
        }
        if (!S_ISDIR(st.st_mode)) {
            snprintf(msg, n, "%s is not a directory", at);
            return msg;
        }
        if (!trusted_owner(st.st_uid)) {
            snprintf(msg, n, "%s%s is owned by another user (uid %ld)", at,
                     role, (long)st.st_uid);
            return msg;
        }
        /* Sticky and writable by others is safe above an entry owned by
         * root or us, which the next round checks. */
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
            (last || !(st.st_mode & S_ISVTX))) {
            snprintf(msg, n, "%s%s is writable by group or others", at, role);
            return msg;
        }
        if (last)
            return NULL;
        const char *slash = strchr(real + end + (end > 1), '/');
        end = slash ? (size_t)(slash - real) : len;
    }
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
    return t >= SPAND_BOOL && t <= SPAND_ATTRIBUTE;
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
    case SPAND_ATTRIBUTE: /* "" (none) or a name; checked when given */
        return true;
    }
    return false;
}

int loader_check_header(const spand_plugin_t *d, const loader_abi_t *abi,
                        void *out, char *why, size_t n)
{
    if (d->size < HEADER_BYTES) {
        snprintf(why, n, "descriptor size %zu is too small to be one", d->size);
        return -1;
    }
    if (d->abi_major != SPAND_ABI_MAJOR) {
        snprintf(why, n, "abi_major is %u, this spand speaks %u", d->abi_major,
                 SPAND_ABI_MAJOR);
        return -1;
    }
    if (d->abi_minor > abi->minor) {
        snprintf(why, n,
                 "abi_minor is %u, newer than this spand's %u: upgrade "
                 "spand or rebuild the plugin",
                 d->abi_minor, abi->minor);
        return -1;
    }
    size_t need = abi->min_size[d->abi_minor];
    if (d->size < need) {
        snprintf(why, n, "size is %zu bytes, ABI %u.%u needs %zu", d->size,
                 d->abi_major, d->abi_minor, need);
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
    /* An older, smaller descriptor reads as zeroes in the fields it lacks;
     * a newer minor's larger one is not read past what we know. */
    size_t copy = d->size < abi->full_size ? d->size : abi->full_size;
    memset(out, 0, abi->full_size);
    memcpy(out, d, copy);
    ((spand_plugin_t *)out)->size = abi->full_size;
    return 0;
}

/* Check the fields after the header of a full-size descriptor. need_run:
 * the run callback must be there (not for a copy made from a report). */
static int check_body(const spand_plugin_t *d, bool need_run, char *why,
                      size_t n)
{
    if (!name_ok(d->name)) {
        snprintf(why, n, "name must be 1-64 of [a-z0-9_]");
        return -1;
    }
    if (need_run && !d->run) {
        snprintf(why, n, "run callback is NULL");
        return -1;
    }
    if (!d->version || !d->summary || !d->licence) {
        snprintf(why, n, "version, summary and licence are required");
        return -1;
    }
    if ((d->nparams && !d->params) || (d->ncolumns && !d->columns) ||
        d->nparams > 1024 || d->ncolumns > 1024) {
        snprintf(why, n,
                 "params or columns NULL with a non-zero count, or "
                 "more than 1024");
        return -1;
    }
    for (size_t i = 0; i < d->nparams; i++) {
        const spand_param_t *p = &d->params[i];
        if (!name_ok(p->name) || !type_ok(p->type) ||
            !default_ok(p->type, p->default_value) || !p->help) {
            snprintf(why, n, "parameter %zu (%s) is malformed", i,
                     name_ok(p->name) ? p->name : "?");
            return -1;
        }
    }
    for (size_t i = 0; i < d->ncolumns; i++) {
        const spand_column_t *c = &d->columns[i];
        if (!c->name || !*c->name || (unsigned)c->table > 3 ||
            !type_ok(c->type) || c->type == SPAND_BOOL ||
            c->type == SPAND_ATTRIBUTE || !c->meaning) {
            snprintf(why, n, "column %zu is malformed", i);
            return -1;
        }
    }
    return 0;
}

/* ---- loading in this process ------------------------------------------- */

static void count_columns(plugin_t *p)
{
    memset(p->ncols, 0, sizeof p->ncols);
    for (size_t c = 0; c < p->desc->ncolumns; c++)
        p->ncols[p->desc->columns[c].table]++;
}

/* dlopen the object in memfd (taking ownership of the descriptor), check
 * its descriptor and call init(). NULL with the reason in why. For a
 * built-in (whose id was checked) or in an analysis child only. */
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
    plugin_t *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(why, n, "out of memory");
    } else if (!fn || !d) {
        snprintf(why, n,
                 fn ? "entry point returned no descriptor"
                    : "no entry point " SPAND_PLUGIN_SYMBOL);
    } else if (loader_check_header(d, &the_abi, &p->desc_copy, why, n) == 0 &&
               check_body(&p->desc_copy, true, why, n) == 0) {
        p->desc = &p->desc_copy;
        if (!(p->name = strdup(p->desc->name)) || !(p->file = strdup(file)))
            snprintf(why, n, "out of memory");
    }
    if (!p || !p->file) {
        if (p)
            free(p->name);
        free(p);
        dlclose(dl);
        close(memfd);
        return NULL;
    }
    p->refs = 1;
    p->dl = dl;
    p->memfd = memfd;
    p->builtin = builtin;
    p->in_process = true;
    count_columns(p);
    if (p->desc->init && p->desc->init(api, &p->state) != 0) {
        snprintf(why, n, "init() failed");
        p->in_process = false; /* no fini for a plugin that did not start */
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

/* ---- the scan child ----------------------------------------------------- */

/* The child writes to the report pipe (fd 4) one byte as it enters each
 * phase, so that the daemon can say where it died, then a final record:
 * 'R' or 'E', a 4-byte length (native order) and that many bytes: the
 * descriptor's facts as JSON (R) or why the plugin is refused (E). */
#define PHASE_LOAD 'C' /* dlopen: constructors */
#define PHASE_DESCRIBE 'D'
#define PHASE_INIT 'I'
#define PHASE_FINI 'F'
#define SCAN_MAX_REPORT (1u << 20)
#define SCAN_TIMEOUT_MS 10000
#define SCAN_BATCH 8 /* scan children at once */

static void child_put(const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(4, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(3);
        p += w;
        len -= (size_t)w;
    }
}

static void child_phase(char phase)
{
    child_put(&phase, 1);
}

static int child_record(char kind, const char *text, size_t len)
{
    uint32_t n = (uint32_t)len;
    child_put(&kind, 1);
    child_put(&n, sizeof n);
    child_put(text, len);
    _exit(0);
}

/* The facts of d as JSON: what the daemon keeps of a plugin. */
static json_t *facts_json(const spand_plugin_t *d)
{
    json_t *params = json_array(), *cols = json_array();
    for (size_t k = 0; params && k < d->nparams; k++)
        json_array_append_new(
            params,
            json_pack("[s, i, s, s]", d->params[k].name, (int)d->params[k].type,
                      d->params[k].default_value, d->params[k].help));
    for (size_t k = 0; cols && k < d->ncolumns; k++)
        json_array_append_new(
            cols, json_pack("[i, s, i, s]", (int)d->columns[k].table,
                            d->columns[k].name, (int)d->columns[k].type,
                            d->columns[k].meaning));
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:o, s:o}", "name",
                     d->name, "version", d->version, "summary", d->summary,
                     "licence", d->licence, "flags", (json_int_t)d->flags,
                     "abi_minor", (int)d->abi_minor, "params", params,
                     "columns", cols);
}

int loader_scan_child_main(int argc, char **argv, const spand_api_t *api)
{
    (void)argc;
    (void)argv;
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore); /* no core files */
    close_range(5, ~0U, 0);
    char why[512];
    child_phase(PHASE_LOAD);
    void *dl = dlopen("/proc/self/fd/3", RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        snprintf(why, sizeof why, "cannot load: %s", dlerror());
        return child_record('E', why, strlen(why));
    }
    child_phase(PHASE_DESCRIBE);
    spand_plugin_describe_fn fn =
        (spand_plugin_describe_fn)dlsym(dl, SPAND_PLUGIN_SYMBOL);
    const spand_plugin_t *d = fn ? fn() : NULL;
    if (!fn || !d) {
        snprintf(why, sizeof why,
                 fn ? "entry point returned no descriptor"
                    : "no entry point " SPAND_PLUGIN_SYMBOL);
        return child_record('E', why, strlen(why));
    }
    spand_plugin_t full;
    if (loader_check_header(d, &the_abi, &full, why, sizeof why) < 0 ||
        check_body(&full, true, why, sizeof why) < 0)
        return child_record('E', why, strlen(why));
    void *state = NULL;
    child_phase(PHASE_INIT);
    if (full.init && full.init(api, &state) != 0)
        return child_record('E', "init() failed", 13);
    child_phase(PHASE_FINI);
    if (full.fini)
        full.fini(state);
    json_t *facts = facts_json(&full);
    char *text = facts ? json_dumps(facts, JSON_COMPACT) : NULL;
    if (!text)
        return child_record('E', "out of memory", 13);
    /* Exit without unloading: destructors have no say in the verdict. */
    return child_record('R', text, strlen(text));
}

/* ---- the daemon's side of a scan --------------------------------------- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *phase_name(char phase)
{
    switch (phase) {
    case PHASE_LOAD:
        return "a constructor";
    case PHASE_DESCRIBE:
        return "describe";
    case PHASE_INIT:
        return "init";
    case PHASE_FINI:
        return "fini";
    }
    return "start-up";
}

/* Read what is there from fd into b (at most cap bytes kept). 0 at EOF. */
static int drain(int fd, char *b, size_t cap, size_t *len)
{
    for (;;) {
        char tmp[4096];
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n == 0)
            return 0;
        if (n < 0)
            return errno == EINTR ? 1 : errno == EAGAIN ? 1 : 0;
        size_t keep = cap - *len < (size_t)n ? cap - *len : (size_t)n;
        memcpy(b + *len, tmp, keep);
        *len += keep;
    }
}

/* Pass on what the scan child wrote to stderr, a line at a time, as the
 * plugin's words (log.c escapes control characters). */
static void relay_stderr(const char *file, char *text, size_t len)
{
    text[len] = '\0';
    char *line = text, *nl;
    for (int lines = 0; lines < 20; lines++, line = nl + 1) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (!*line) {
            if (!nl)
                break;
            continue;
        }
        int prio = LOG_INFO;
        if (line[0] == '<' && line[1] >= '3' && line[1] <= '7' &&
            line[2] == '>') {
            prio = line[1] - '0';
            line += 3;
        }
        log_msg(prio, "while loading %s: %s", file, line);
        if (!nl)
            break;
    }
}

/* One scan child under way. */
typedef struct scan {
    pid_t pid;
    int rep, err; /* read ends; -1 once at EOF */
    char *out;    /* SCAN_MAX_REPORT bytes */
    size_t outlen, errlen;
    char errtext[4097];
    bool exited, timed_out;
    int status;
    uint64_t start;
} scan_t;

/* Spawn `spand --scan-child` on memfd. 0, or -1 with why. */
static int scan_start(scan_t *sc, int memfd, const char *file, char *why,
                      size_t n)
{
    memset(sc, 0, sizeof *sc);
    sc->rep = sc->err = -1;
    int rep[2] = {-1, -1}, err[2] = {-1, -1};
    if (!(sc->out = malloc(SCAN_MAX_REPORT)) || pipe2(rep, O_CLOEXEC) < 0 ||
        pipe2(err, O_CLOEXEC) < 0) {
        snprintf(why, n, "cannot start the scan: %s", strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (rep[i] >= 0)
                close(rep[i]);
            if (err[i] >= 0)
                close(err[i]);
        }
        free(sc->out);
        sc->out = NULL;
        return -1;
    }
    /* Copies at 10 or above, so that placing them at 2..4 cannot collide
     * with another source descriptor. */
    int fds[3] = {fcntl(err[1], F_DUPFD_CLOEXEC, 10),
                  fcntl(memfd, F_DUPFD_CLOEXEC, 10),
                  fcntl(rep[1], F_DUPFD_CLOEXEC, 10)};
    close(rep[1]);
    close(err[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY,
                                     0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY,
                                     0);
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            posix_spawn_file_actions_adddup2(&fa, fds[i], 2 + i);
    /* A process group of its own, so that what it forks goes with it;
     * signals at their defaults, none blocked. */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    const char *base = strrchr(file, '/');
    char *argv[] = {"spand", "--scan-child", (char *)(base ? base + 1 : file),
                    NULL};
    int rc =
        fds[0] < 0 || fds[1] < 0 || fds[2] < 0
            ? EMFILE
            : posix_spawn(&sc->pid, "/proc/self/exe", &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (rc != 0) {
        close(rep[0]);
        close(err[0]);
        free(sc->out);
        sc->out = NULL;
        snprintf(why, n, "cannot start the scan process: %s", strerror(rc));
        return -1;
    }
    fcntl(rep[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    sc->rep = rep[0];
    sc->err = err[0];
    sc->start = now_ms();
    return 0;
}

/* Read what the pipes hold; close one at EOF. */
static void scan_read(scan_t *sc)
{
    if (sc->rep >= 0 &&
        !drain(sc->rep, sc->out, SCAN_MAX_REPORT, &sc->outlen)) {
        close(sc->rep);
        sc->rep = -1;
    }
    if (sc->err >= 0 &&
        !drain(sc->err, sc->errtext, sizeof sc->errtext - 1, &sc->errlen)) {
        close(sc->err);
        sc->err = -1;
    }
}

/* Wait for every started scan of v (out == NULL: not started) to end,
 * reading all their pipes meanwhile (a child blocked on a full pipe must
 * not time out for our reading another's), killing those still running
 * after SCAN_TIMEOUT_MS. */
static void scan_wait_all(scan_t *v, size_t n)
{
    for (;;) {
        struct pollfd pf[2 * SCAN_BATCH];
        size_t np = 0, running = 0;
        bool open = false;
        for (size_t i = 0; i < n; i++) {
            scan_t *sc = &v[i];
            if (!sc->out || sc->exited)
                continue;
            scan_read(sc);
            if (waitpid(sc->pid, &sc->status, WNOHANG) == sc->pid) {
                sc->exited = true;
                scan_read(sc); /* what it wrote last */
                continue;
            }
            if (now_ms() - sc->start > SCAN_TIMEOUT_MS) {
                sc->timed_out = true;
                kill(-sc->pid, SIGKILL);
                while (waitpid(sc->pid, &sc->status, 0) < 0 && errno == EINTR)
                    ;
                sc->exited = true;
                continue;
            }
            running++;
            for (int k = 0; k < 2 && np < sizeof pf / sizeof *pf; k++) {
                int fd = k ? sc->err : sc->rep;
                if (fd >= 0) {
                    pf[np++] = (struct pollfd){fd, POLLIN, 0};
                    open = true;
                }
            }
        }
        if (!running)
            break;
        /* Pipes at EOF: a child is exiting; look again soon. */
        (void)poll(pf, np, open ? 50 : 2);
    }
    for (size_t i = 0; i < n; i++)
        if (v[i].out) /* whatever it left behind goes too */
            kill(-v[i].pid, SIGKILL);
}

/* The verdict of an ended scan; frees it. On success *facts is the
 * parsed report, else why says what happened. */
static int scan_finish(scan_t *sc, const char *file, json_t **facts, char *why,
                       size_t n)
{
    *facts = NULL;
    if (sc->rep >= 0)
        close(sc->rep);
    if (sc->err >= 0)
        close(sc->err);
    if (sc->errlen)
        relay_stderr(file, sc->errtext, sc->errlen);
    const char *out = sc->out;
    size_t outlen = sc->outlen;
    int status = sc->status;
    /* The phases reached, then the record. */
    char phase = 0;
    size_t i = 0;
    while (i < outlen && out[i] && strchr("CDIF", out[i]))
        phase = out[i++];
    uint32_t len = 0;
    bool record = outlen - i >= 5 && (out[i] == 'R' || out[i] == 'E');
    if (record) {
        memcpy(&len, out + i + 1, sizeof len);
        record = len == outlen - i - 5;
    }
    int ret = -1;
    if (sc->timed_out)
        snprintf(why, n, "did not finish loading within %d s (in %s); killed",
                 SCAN_TIMEOUT_MS / 1000, phase_name(phase));
    else if (WIFSIGNALED(status))
        snprintf(why, n, "crashed in %s (signal %d, %s)", phase_name(phase),
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (WEXITSTATUS(status) != 0)
        snprintf(why, n, "exited with status %d in %s", WEXITSTATUS(status),
                 phase_name(phase));
    else if (!record && outlen >= SCAN_MAX_REPORT)
        snprintf(why, n, "its descriptor's facts exceed %u bytes",
                 SCAN_MAX_REPORT);
    else if (!record)
        snprintf(why, n, "ended in %s without a complete report",
                 phase_name(phase));
    else if (out[i] == 'E')
        snprintf(why, n, "%.*s", (int)(len < 400 ? len : 400), out + i + 5);
    else {
        json_error_t je;
        *facts = json_loadb(out + i + 5, len, JSON_REJECT_DUPLICATES, &je);
        if (*facts)
            ret = 0;
        else
            snprintf(why, n, "unreadable report from the scan: %s", je.text);
    }
    free(sc->out);
    sc->out = NULL;
    return ret;
}

/* A plugin that lives in the daemon as the facts the scan reported: a
 * full-size descriptor whose strings point into facts (kept), run, init
 * and fini NULL. Checked again as if it came from the plugin. */
static plugin_t *plugin_from_facts(json_t *facts, char *why, size_t n)
{
    plugin_t *p = calloc(1, sizeof *p);
    if (!p) {
        json_decref(facts);
        snprintf(why, n, "out of memory");
        return NULL;
    }
    p->memfd = -1;
    p->facts = facts;
    spand_plugin_t *d = &p->desc_copy;
    json_t *params = NULL, *cols = NULL;
    json_int_t flags = 0;
    int minor = 0;
    if (json_unpack(facts, "{s:s, s:s, s:s, s:s, s:I, s:i, s:o, s:o}", "name",
                    &d->name, "version", &d->version, "summary", &d->summary,
                    "licence", &d->licence, "flags", &flags, "abi_minor",
                    &minor, "params", &params, "columns", &cols) < 0 ||
        !json_is_array(params) || !json_is_array(cols) || flags < 0 ||
        flags > UINT_MAX || minor < 0 || minor > SPAND_ABI_MINOR) {
        snprintf(why, n, "the scan's report is malformed");
        goto fail;
    }
    d->size = sizeof *d;
    d->abi_major = SPAND_ABI_MAJOR;
    d->abi_minor = (uint16_t)minor;
    d->flags = (unsigned)flags;
    d->nparams = json_array_size(params);
    d->ncolumns = json_array_size(cols);
    if ((d->nparams && !(p->params = calloc(d->nparams, sizeof *p->params))) ||
        (d->ncolumns &&
         !(p->columns = calloc(d->ncolumns, sizeof *p->columns)))) {
        snprintf(why, n, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < d->nparams; k++) {
        int type = 0;
        if (json_unpack(json_array_get(params, k), "[s, i, s, s]",
                        &p->params[k].name, &type, &p->params[k].default_value,
                        &p->params[k].help) < 0) {
            snprintf(why, n, "the scan's report is malformed (parameter)");
            goto fail;
        }
        p->params[k].type = (spand_type_t)type;
    }
    for (size_t k = 0; k < d->ncolumns; k++) {
        int table = -1, type = 0;
        if (json_unpack(json_array_get(cols, k), "[i, s, i, s]", &table,
                        &p->columns[k].name, &type,
                        &p->columns[k].meaning) < 0) {
            snprintf(why, n, "the scan's report is malformed (column)");
            goto fail;
        }
        p->columns[k].table = (spand_table_kind_t)table;
        p->columns[k].type = (spand_type_t)type;
    }
    d->params = p->params;
    d->columns = p->columns;
    if (check_body(d, false, why, n) < 0)
        goto fail;
    p->desc = d;
    if (!(p->name = strdup(d->name))) {
        snprintf(why, n, "out of memory");
        goto fail;
    }
    p->refs = 1;
    count_columns(p);
    return p;
fail:
    p->file = NULL;
    unload(p);
    return NULL;
}

/* ---- loading a file ----------------------------------------------------- */

static void refuse(loader_registry_t *r, const char *file, const char *why)
{
    log_warn("plugin %s refused: %s", file, why);
    json_array_append_new(r->refused,
                          json_pack("{s:s, s:s}", "file", file, "reason", why));
}

/* Copy the file at fd (size bytes) into a new memfd, sealed against any
 * change: what was scanned is what analyses load. -1 on failure. */
static int private_copy(int fd, off_t size, const char *name)
{
    int m = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
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
    if (fcntl(m, F_ADD_SEALS,
              F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
        close(m);
        return -1;
    }
    return m;
}

static bool memfd_is_builtin(int memfd, off_t size)
{
    if (size <= 0)
        return false;
    void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, memfd, 0);
    if (map == MAP_FAILED)
        return false;
    bool ok = loader_image_is_builtin(map, (size_t)size);
    munmap(map, (size_t)size);
    return ok;
}

/* A file of a directory on its way into the registry. */
typedef struct cand {
    const char *file;
    struct stat st;
    int memfd;   /* the sealed copy being scanned, or -1 */
    plugin_t *p; /* kept from the last scan, or loaded */
    bool fresh;  /* loaded by this scan */
} cand_t;

/* Copy exactly the file that was checked (same device and inode) and
 * start its scan. -1 after refusing it. */
static int load_start(loader_registry_t *r, cand_t *c, scan_t *sc)
{
    char why[512];
    int fd = open(c->file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat fst;
    if (fd < 0 || fstat(fd, &fst) < 0 || fst.st_dev != c->st.st_dev ||
        fst.st_ino != c->st.st_ino) {
        if (fd >= 0)
            close(fd);
        refuse(r, c->file, "changed while being loaded");
        return -1;
    }
    c->st = fst;
    const char *base = strrchr(c->file, '/');
    c->memfd = private_copy(fd, fst.st_size, base ? base + 1 : c->file);
    close(fd);
    if (c->memfd < 0) {
        snprintf(why, sizeof why, "cannot copy: %s", strerror(errno));
        refuse(r, c->file, why);
        return -1;
    }
    /* Its code runs in a scan child first, whatever it is. */
    if (scan_start(sc, c->memfd, c->file, why, sizeof why) < 0) {
        close(c->memfd);
        c->memfd = -1;
        refuse(r, c->file, why);
        return -1;
    }
    return 0;
}

/* The plugin of an ended scan: loaded here too if built in (its id
 * checked first), else made of the reported facts. NULL after refusing. */
static plugin_t *load_finish(loader_registry_t *r, cand_t *c, scan_t *sc,
                             const spand_api_t *api)
{
    char why[512];
    json_t *facts;
    int memfd = c->memfd;
    c->memfd = -1;
    if (scan_finish(sc, c->file, &facts, why, sizeof why) < 0) {
        close(memfd);
        refuse(r, c->file, why);
        return NULL;
    }
    plugin_t *p;
    if (memfd_is_builtin(memfd, c->st.st_size)) {
        /* Ours: loaded here as well, for analyses in threads. */
        json_decref(facts);
        p = load_memfd(memfd, c->file, true, api, why, sizeof why);
    } else {
        p = plugin_from_facts(facts, why, sizeof why);
        if (p && !(p->file = strdup(c->file))) {
            snprintf(why, sizeof why, "out of memory");
            loader_unref(p);
            p = NULL;
        }
        if (p)
            p->memfd = memfd;
        else
            close(memfd);
    }
    if (!p) {
        refuse(r, c->file, why);
        return NULL;
    }
    p->dev = c->st.st_dev;
    p->ino = c->st.st_ino;
    p->mtime_ns =
        (int64_t)c->st.st_mtim.tv_sec * 1000000000 + c->st.st_mtim.tv_nsec;
    p->fsize = c->st.st_size;
    log_info("plugin %s %s loaded from %s (%s)", p->desc->name,
             p->desc->version, c->file,
             p->builtin ? "built in" : "third-party: runs isolated");
    return p;
}

static bool same_file(const plugin_t *p, const struct stat *st)
{
    return p->dev == st->st_dev && p->ino == st->st_ino &&
           p->fsize == st->st_size &&
           p->mtime_ns ==
               (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void note_dir(loader_registry_t *r, const char *dir, const char *kind,
                     const char *status)
{
    json_array_append_new(r->dirs, json_pack("{s:s, s:s, s:s}", "dir", dir,
                                             "kind", kind, "status", status));
}

/* The *.so files of dir, sorted, so loading order (and which of two
 * same-named plugins wins) does not depend on the file system. */
static char **list_dir(loader_registry_t *r, const char *dir, const char *kind,
                       size_t *n)
{
    *n = 0;
    struct stat st;
    if (stat(dir, &st) < 0) {
        if (errno != ENOENT)
            log_warn("plugin directory %s: %s", dir, strerror(errno));
        note_dir(r, dir, kind, strerror(errno));
        return NULL;
    }
    char why[PATH_MAX + 128];
    if (check_path(dir, why, sizeof why)) {
        char msg[sizeof why + 64];
        snprintf(msg, sizeof msg,
                 "plugin directory refused: %s; nothing in "
                 "it is loaded",
                 why);
        refuse(r, dir, msg);
        note_dir(r, dir, kind, "refused");
        return NULL;
    }
    DIR *d = opendir(dir);
    if (!d) {
        log_warn("plugin directory %s: %s", dir, strerror(errno));
        note_dir(r, dir, kind, strerror(errno));
        return NULL;
    }
    note_dir(r, dir, kind, "scanned");
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

/* The build tree's plugins when builtin_dir does not exist and this is
 * the spand of that build tree (its executable's directory is the tree
 * it was built in, compiled in as SPAND_BUILD_TREE), else NULL. Never for
 * an installed daemon: its executable is elsewhere. */
static char *build_tree_plugins(const char *builtin_dir)
{
    struct stat st;
    if (!builtin_dir || lstat(builtin_dir, &st) == 0 || errno != ENOENT)
        return NULL;
    char exe[PATH_MAX], tree[PATH_MAX];
    if (!realpath("/proc/self/exe", exe) || !realpath(SPAND_BUILD_TREE, tree))
        return NULL;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    if (strcmp(exe, tree) != 0)
        return NULL;
    size_t len = strlen(tree) + sizeof "/plugins/.libs";
    char *dir = malloc(len);
    if (dir)
        snprintf(dir, len, "%s/plugins/.libs", tree);
    return dir;
}

/* Check a file; keep it from the last scan if unchanged, else start
 * its scan (sc->out set). */
static void cand_check(loader_registry_t *r, cand_t *c, scan_t *sc)
{
    const char *why = NULL;
    c->memfd = -1;
    if (lstat(c->file, &c->st) < 0)
        why = strerror(errno);
    else if (S_ISLNK(c->st.st_mode))
        why = "a symbolic link (plugin files must be regular files)";
    else if (!S_ISREG(c->st.st_mode))
        why = "not a regular file";
    else
        why = check_owner_mode(&c->st);
    plugin_t *old = find_file(r, c->file);
    if (why) {
        refuse(r, c->file, why);
    } else if (old && same_file(old, &c->st)) {
        loader_ref(old); /* kept: moves to the new list */
        c->p = old;
    } else {
        /* New, or replaced: a replaced one retires in loader_scan. */
        (void)load_start(r, c, sc);
    }
}

/* Put c's plugin into next, unless its name is taken. */
static void cand_take(loader_registry_t *r, cand_t *c, plugin_t ***next,
                      size_t *nnext, size_t *capnext, json_t *loaded)
{
    plugin_t *p = c->p;
    /* A name already in the new list (from the built-in directory, or
     * earlier in byte order) cannot be shadowed. */
    for (size_t j = 0; p && j < *nnext; j++) {
        if (strcmp((*next)[j]->name, p->name) == 0) {
            char msg[PATH_MAX + 64];
            snprintf(msg, sizeof msg, "name %s is already taken by %s", p->name,
                     (*next)[j]->file);
            refuse(r, c->file, msg);
            loader_unref(p);
            p = NULL;
        }
    }
    if (p && push(next, nnext, capnext, p) < 0) {
        loader_unref(p);
        refuse(r, c->file, "out of memory");
        p = NULL;
    }
    /* Listed as loaded only once it is in the registry. */
    if (p && c->fresh)
        json_array_append_new(loaded, json_string(p->name));
}

/* Scan the files of one directory, SCAN_BATCH scan children at a time
 * (they run in parallel; the verdicts are taken in file order). */
static void scan_files(loader_registry_t *r, char **files, size_t nf,
                       const spand_api_t *api, plugin_t ***next, size_t *nnext,
                       size_t *capnext, json_t *loaded)
{
    for (size_t b = 0; b < nf; b += SCAN_BATCH) {
        size_t nb = nf - b < SCAN_BATCH ? nf - b : SCAN_BATCH;
        cand_t c[SCAN_BATCH];
        scan_t sc[SCAN_BATCH];
        for (size_t i = 0; i < nb; i++) {
            c[i] = (cand_t){.file = files[b + i], .memfd = -1};
            sc[i].out = NULL;
            cand_check(r, &c[i], &sc[i]);
        }
        scan_wait_all(sc, nb);
        for (size_t i = 0; i < nb; i++) {
            if (sc[i].out) {
                c[i].p = load_finish(r, &c[i], &sc[i], api);
                c[i].fresh = c[i].p != NULL;
            }
            cand_take(r, &c[i], next, nnext, capnext, loaded);
        }
    }
}

int loader_scan(loader_registry_t *r, const char *builtin_dir, const char *dir,
                const spand_api_t *api, json_t **report)
{
    json_decref(r->refused);
    json_decref(r->dirs);
    r->refused = json_array();
    r->dirs = json_array();
    json_t *loaded = json_array(), *removed = json_array();
    plugin_t **next = NULL;
    size_t nnext = 0, capnext = 0;
    char *tree = build_tree_plugins(builtin_dir);
    if (tree)
        log_info("plugins: builtin_dir %s does not exist; this spand runs "
                 "from its build tree, so %s is scanned instead",
                 builtin_dir, tree);
    const char *dirs[2] = {tree ? tree : builtin_dir, dir};
    for (int k = 0; k < 2; k++) {
        if (!dirs[k] || (k == 1 && dirs[0] && !strcmp(dir, dirs[0])))
            continue;
        size_t nf;
        char **files = list_dir(r, dirs[k], k == 0 ? "builtin" : "site", &nf);
        scan_files(r, files, nf, api, &next, &nnext, &capnext, loaded);
        for (size_t i = 0; i < nf; i++)
            free(files[i]);
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
    if (!r->n)
        log_warn("no analysis plugin loaded: looked in %s and %s (see "
                 "`spanctl plugins`)",
                 dirs[0] ? dirs[0] : "(no builtin_dir)",
                 dir ? dir : "(no dir)");
    free(tree);
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
                params,
                json_pack("{s:s, s:s, s:s, s:s}", "name", d->params[k].name,
                          "type", loader_type_name(d->params[k].type),
                          "default", d->params[k].default_value, "help",
                          d->params[k].help));
        for (size_t k = 0; k < d->ncolumns; k++)
            json_array_append_new(
                cols, json_pack("{s:s, s:s, s:s, s:s}", "table",
                                loader_table_name(d->columns[k].table), "name",
                                d->columns[k].name, "type",
                                loader_type_name(d->columns[k].type), "meaning",
                                d->columns[k].meaning));
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:b, s:o, s:o}",
                      "name", d->name, "version", d->version, "summary",
                      d->summary, "licence", d->licence, "builtin", p->builtin,
                      "isolated", !p->in_process, "file", p->file,
                      "needs_baseline", (d->flags & SPAND_NEEDS_BASELINE) != 0,
                      "params", params, "columns", cols));
    }
    return json_pack("{s:o, s:O, s:O}", "plugins", list, "refused", r->refused,
                     "dirs", r->dirs);
}
