/* privacy.h - small-number suppression and pseudonyms (doc/privacy.md).
 *
 * Three things, applied to what leaves the daemon, never to what it
 * stores:
 *   - the installation's pseudonym key: 32 random bytes in a file of mode
 *     0600 made at first start (privacy_key_open), so that the same person
 *     gets the same pseudonym in every answer and export, across restarts,
 *     and a different one on another installation;
 *   - pseudonyms: "p-" and 12 base32 letters of a keyed BLAKE2b hash
 *     (libsodium crypto_generichash) of the person id;
 *   - privacy_apply: an analysis answer's result object (its "tables" and
 *     "notes") rewritten for suppression, pseudonyms and/or a reader.
 *
 * The facts the rewriting needs (group sizes, the people of the view) come
 * from the view the answer was computed on (privacy_facts_of_view) or, in
 * tests, are made by hand (privacy_facts_new, privacy_facts_add_key).
 * Nothing here keeps a reference to a view. Any thread; the daemon's key
 * is set once at start, before any thread reads it. */
#ifndef SPAND_PRIVACY_H
#define SPAND_PRIVACY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "view.h"

#define PRIVACY_KEY_BYTES 32
/* "p-" + 12 base32 letters: 60 bits of the hash. */
#define PRIVACY_PSEUDONYM_LEN 14

/* What a request asked for (or what its role imposes). */
enum {
    PRIVACY_SUPPRESS = 1u << 0,     /* withhold small-number cells */
    PRIVACY_PSEUDONYMISE = 1u << 1, /* ids -> pseudonyms */
    PRIVACY_READER = 1u << 2,       /* aggregates only, no id anywhere */
    /* With PSEUDONYMISE: vertex rows in pseudonym order (when the caller
     * asked for no order: the view's order is the real ids'). */
    PRIVACY_ORDER_BY_PSEUDONYM = 1u << 3
};

/* Read the key in path, or create it when there is none: O_CREAT|O_EXCL,
 * mode 0600 whatever the umask, 32 bytes from libsodium's generator,
 * fsync'd with its directory. A key file of another size, or one that
 * group or others may read, is refused (err says which). 0 or -1. */
int privacy_key_open(const char *path, unsigned char key[PRIVACY_KEY_BYTES],
                     char *err, size_t errlen);
/* The daemon's key, set once at start (spand.c) before threads start. */
void privacy_set_key(const unsigned char key[PRIVACY_KEY_BYTES]);
/* The key set, or NULL when none was (a daemon without a key refuses to
 * pseudonymise rather than use a guessable one). */
const unsigned char *privacy_key(void);

/* The pseudonym of id (len bytes) under key, NUL-terminated into out. */
void privacy_pseudonym(const unsigned char key[PRIVACY_KEY_BYTES],
                       const char *id, size_t len,
                       char out[PRIVACY_PSEUDONYM_LEN + 1]);

/* Whether attr is in list, a comma-separated list of attribute names
 * ([privacy] identifying; blanks around names ignored). */
bool privacy_identifying(const char *list, const char *attr);

typedef struct privacy_facts privacy_facts_t;

/* Facts by hand: ngroups groups with their names and people counts, and
 * people, the number of people the network row is built on. Person keys
 * are added one by one. NULL when out of memory. */
privacy_facts_t *privacy_facts_new(size_t ngroups,
                                   const char *const *group_names,
                                   const int64_t *group_sizes, int64_t people);
int privacy_facts_add_key(privacy_facts_t *f, const char *key);
/* The facts of v: its groups, each group's size (the people of the group
 * in the view; with a baseline, the smaller of its two windows' counts),
 * its vertices, and the person keys of v and of its baseline. */
privacy_facts_t *privacy_facts_of_view(const view_t *v);
void privacy_facts_free(privacy_facts_t *f);

/* Rewrite result (an analyse result object: {..., "notes", "tables"}) in
 * place for flags (PRIVACY_*), doc/protocol.md "Privacy":
 *   SUPPRESS: in the group, pair and network tables, cells built on fewer
 *     than min people are null and named in the row's "suppressed" column,
 *     with complementary suppression so that no withheld cell is the
 *     difference of shown ones and a total;
 *   PSEUDONYMISE: the vertex table's ids, and every token of a text cell
 *     or note that is a person key of f, become pseudonyms under key;
 *   READER: SUPPRESS, the vertex table dropped, and any text cell or note
 *     holding a person key withheld (no id is ever left).
 * Adds "privacy": {min_group_size, suppressed, pseudonymised, reader}.
 * 0, or -1 with err (malformed tables, no key, out of memory). */
int privacy_apply(json_t *result, const privacy_facts_t *f, unsigned flags,
                  size_t min, const unsigned char *key, char *err,
                  size_t errlen);
/* The reader's rewrite: privacy_apply with PRIVACY_READER. */
int privacy_for_reader(json_t *result, const privacy_facts_t *f, size_t min,
                       char *err, size_t errlen);
/* The same applied to a whole JSON-RPC response line in line (its
 * "result"), which is replaced by the rewritten line (with its LF); then
 * the vertex rows are cut to the first keep (SIZE_MAX: all), so that a
 * top taken after the rows were put in pseudonym order. */
int privacy_apply_line(buf_t *line, const privacy_facts_t *f, unsigned flags,
                       size_t min, const unsigned char *key, size_t keep,
                       char *err, size_t errlen);

#endif
