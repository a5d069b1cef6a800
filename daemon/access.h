/* access.h - who may do what: roles from a client's Unix credentials.
 *
 * A client's credentials come from the kernel (SO_PEERCRED on the
 * accepted socket), never from anything the client says. [access] in the
 * config names, for each role, users, @groups and numeric uids (or @gids)
 * as comma lists; the daemon's own user and root are always admins. A
 * user may hold several roles (a bit set); a client with none is refused
 * at connect. Names are looked up (getpwnam_r, getgrnam_r,
 * getgrouplist) each time a client connects, so users and groups made
 * after the start, or a config reloaded, take effect at once. */
#ifndef SPAND_ACCESS_H
#define SPAND_ACCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* Role bits. What each role may call is dispatch.c's method table. */
enum {
    ACCESS_READER = 1u << 0,  /* aggregates only */
    ACCESS_WRITER = 1u << 1,  /* ingest */
    ACCESS_ANALYST = 1u << 2, /* every read, person-level included */
    ACCESS_ADMIN = 1u << 3,   /* everything */
};
#define ACCESS_ANY                                                             \
    (ACCESS_READER | ACCESS_WRITER | ACCESS_ANALYST | ACCESS_ADMIN)

/* A connected client. */
typedef struct access_peer {
    uid_t uid;
    gid_t gid;
    pid_t pid;
    char user[64]; /* the uid's user name, or the uid in digits */
    unsigned roles;
} access_peer_t;

/* Credentials of the client on connected Unix socket fd, and its roles
 * under cfg. 0, or -1 when the kernel will not say (then no roles). */
int access_peer(int fd, const config_t *cfg, access_peer_t *out);
/* The roles of uid (primary group gid, user name user) under cfg. */
unsigned access_roles(const config_t *cfg, uid_t uid, gid_t gid,
                      const char *user);
/* The most powerful role in roles ("admin", "analyst", "writer",
 * "reader"), or "none". Static text. */
const char *access_role_name(unsigned roles);
/* roles as a JSON array of names, most powerful first (new reference). */
json_t *access_roles_json(unsigned roles);
/* Only aggregates for these roles: reader, and neither analyst nor admin
 * (a writer that is also a reader reads as a reader). */
bool access_aggregates_only(unsigned roles);
/* The user name of uid into buf (its digits when it has none). */
void access_user_name(uid_t uid, char *buf, size_t n);
/* Names in cfg's [access] lists that do not resolve to a user or group:
 * logged as warnings (a list may name users made later). */
void access_check_config(const config_t *cfg);

#endif
