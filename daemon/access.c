/* access.c - see access.h. Loop thread (NSS look-ups are short). */
#define _GNU_SOURCE /* struct ucred */
#include "access.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

/* Enough for any passwd or group entry NSS returns in practice; a bigger
 * one is retried with a larger buffer. */
#define NSS_BUF 4096
#define NSS_BUF_MAX (1 << 20)
#define MAX_GROUPS 1024

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* One NSS look-up into the caller's buffer: 0 or an errno value (ERANGE:
 * buf too small), *found set when the entry exists; the answer is copied
 * out of buf into ctx before returning. */
typedef int (*nss_fn)(void *ctx, char *buf, size_t cap, bool *found);

/* Run fn with a buffer of NSS_BUF bytes, doubled on ERANGE up to
 * NSS_BUF_MAX. Returns whether the entry was found (false also when out of
 * memory or still too small). */
static bool nss_lookup(nss_fn fn, void *ctx)
{
    for (size_t cap = NSS_BUF;; cap *= 2) {
        char *buf = malloc(cap);
        if (!buf)
            return false;
        bool found = false;
        int rc = fn(ctx, buf, cap, &found);
        free(buf);
        if (rc != ERANGE || cap >= NSS_BUF_MAX)
            return found;
    }
}

struct by_name {
    const char *name;
    unsigned long id; /* the gid or uid found */
};

static int group_by_name(void *ctx, char *buf, size_t cap, bool *found)
{
    struct by_name *q = ctx;
    struct group g, *res = NULL;
    int rc = getgrnam_r(q->name, &g, buf, cap, &res);
    if ((*found = res != NULL))
        q->id = res->gr_gid;
    return rc;
}

static int user_by_name(void *ctx, char *buf, size_t cap, bool *found)
{
    struct by_name *q = ctx;
    struct passwd p, *res = NULL;
    int rc = getpwnam_r(q->name, &p, buf, cap, &res);
    if ((*found = res != NULL))
        q->id = res->pw_uid;
    return rc;
}

struct by_uid {
    uid_t uid;
    char *out; /* the user name, when it fits */
    size_t n;
};

static int user_by_uid(void *ctx, char *buf, size_t cap, bool *found)
{
    struct by_uid *q = ctx;
    struct passwd p, *res = NULL;
    int rc = getpwuid_r(q->uid, &p, buf, cap, &res);
    if ((*found = res != NULL) && strlen(res->pw_name) < q->n)
        snprintf(q->out, q->n, "%s", res->pw_name);
    return rc;
}

/* The gid of group name; false when unknown. */
static bool group_gid(const char *name, gid_t *out)
{
    struct by_name q = {name, 0};
    if (!nss_lookup(group_by_name, &q))
        return false;
    *out = (gid_t)q.id;
    return true;
}

/* The uid of user name; false when unknown. */
static bool user_uid(const char *name, uid_t *out)
{
    struct by_name q = {name, 0};
    if (!nss_lookup(user_by_name, &q))
        return false;
    *out = (uid_t)q.id;
    return true;
}

void access_user_name(uid_t uid, char *out, size_t n)
{
    snprintf(out, n, "%lu", (unsigned long)uid);
    struct by_uid q = {uid, out, n};
    nss_lookup(user_by_uid, &q);
}

/* The groups of a client: its primary gid and, when its user has a name,
 * every group the group database lists it in. */
struct groups {
    gid_t g[MAX_GROUPS];
    int n;
};

static void peer_groups(uid_t uid, gid_t gid, const char *user,
                        struct groups *out)
{
    out->g[0] = gid;
    out->n = 1;
    char digits[32];
    snprintf(digits, sizeof digits, "%lu", (unsigned long)uid);
    if (!user || strcmp(user, digits) == 0)
        return;
    int n = MAX_GROUPS;
    if (getgrouplist(user, gid, out->g, &n) >= 0)
        out->n = n;
    else
        out->n = 1; /* over MAX_GROUPS: the primary group only */
}

/* Whether one list entry (entry[0, n)) names the client. */
static bool entry_matches(const char *entry, size_t n, uid_t uid,
                          const char *user, const struct groups *gs)
{
    char name[256];
    if (n == 0 || n >= sizeof name)
        return false;
    bool group = entry[0] == '@';
    if (group)
        entry++, n--;
    memcpy(name, entry, n);
    name[n] = '\0';
    if (group) {
        gid_t g;
        if (all_digits(name, n)) {
            errno = 0;
            unsigned long v = strtoul(name, NULL, 10);
            if (errno || v > UINT32_MAX)
                return false;
            g = (gid_t)v;
        } else if (!group_gid(name, &g)) {
            return false;
        }
        for (int i = 0; i < gs->n; i++)
            if (gs->g[i] == g)
                return true;
        return false;
    }
    if (all_digits(name, n)) {
        errno = 0;
        unsigned long v = strtoul(name, NULL, 10);
        return !errno && v == (unsigned long)uid;
    }
    uid_t u;
    return strcmp(name, user) == 0 || (user_uid(name, &u) && u == uid);
}

/* Whether the comma list (may be NULL) names the client. */
static bool list_matches(const char *list, uid_t uid, const char *user,
                         const struct groups *gs)
{
    for (const char *p = list; p && *p;) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > p && isspace((unsigned char)last[-1]))
            last--;
        if (last > p && entry_matches(p, (size_t)(last - p), uid, user, gs))
            return true;
        p = end;
    }
    return false;
}

unsigned access_roles(const config_t *cfg, uid_t uid, gid_t gid,
                      const char *user)
{
    /* Admins may do everything: no look-ups needed (the common case of a
     * daemon without [access], run by its own user). */
    if (uid == 0 || uid == geteuid())
        return ACCESS_ADMIN;
    unsigned roles = 0;
    struct groups gs;
    peer_groups(uid, gid, user, &gs);
    const struct {
        const char *list;
        unsigned role;
    } lists[] = {{cfg->access_admin, ACCESS_ADMIN},
                 {cfg->access_analyst, ACCESS_ANALYST},
                 {cfg->access_writer, ACCESS_WRITER},
                 {cfg->access_reader, ACCESS_READER}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (list_matches(lists[i].list, uid, user, &gs))
            roles |= lists[i].role;
    return roles;
}

int access_peer(int fd, const config_t *cfg, access_peer_t *out)
{
    memset(out, 0, sizeof *out);
    struct ucred cr;
    socklen_t len = sizeof cr;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
        len != sizeof cr) {
        out->uid = (uid_t)-1;
        out->gid = (gid_t)-1;
        snprintf(out->user, sizeof out->user, "?");
        return -1;
    }
    out->uid = cr.uid;
    out->gid = cr.gid;
    out->pid = cr.pid;
    access_user_name(cr.uid, out->user, sizeof out->user);
    out->roles = access_roles(cfg, cr.uid, cr.gid, out->user);
    return 0;
}

static const struct {
    unsigned bit;
    const char *name;
} role_names[] = {{ACCESS_ADMIN, "admin"},
                  {ACCESS_ANALYST, "analyst"},
                  {ACCESS_WRITER, "writer"},
                  {ACCESS_READER, "reader"}};

const char *access_role_name(unsigned roles)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (roles & role_names[i].bit)
            return role_names[i].name;
    return "none";
}

json_t *access_roles_json(unsigned roles)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < sizeof role_names / sizeof role_names[0]; i++)
        if ((roles & role_names[i].bit) &&
            json_array_append_new(a, json_string(role_names[i].name)) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

bool access_aggregates_only(unsigned roles)
{
    return !(roles & (ACCESS_ADMIN | ACCESS_ANALYST));
}

/* Warn about the entries of list that name no user or group. */
static void check_list(const char *key, const char *list)
{
    for (const char *p = list; p && *p;) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > p && isspace((unsigned char)last[-1]))
            last--;
        size_t n = (size_t)(last - p);
        char name[256];
        if (n > 0 && n < sizeof name) {
            memcpy(name, p, n);
            name[n] = '\0';
            const char *bare = name[0] == '@' ? name + 1 : name;
            uid_t u;
            gid_t g;
            bool known =
                all_digits(bare, strlen(bare)) ||
                (name[0] == '@' ? group_gid(bare, &g) : user_uid(bare, &u));
            if (!known)
                log_warn("[access] %s: no %s \"%s\" (yet): it grants "
                         "nothing until it exists",
                         key, name[0] == '@' ? "group" : "user", bare);
        } else if (n > 0) {
            log_warn("[access] %s: an entry of %zu bytes is too long", key, n);
        }
        p = end;
    }
}

void access_check_config(const config_t *cfg)
{
    check_list("admin", cfg->access_admin);
    check_list("analyst", cfg->access_analyst);
    check_list("writer", cfg->access_writer);
    check_list("reader", cfg->access_reader);
}
