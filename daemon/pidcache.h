/* pidcache.h - a direct-mapped cache of short keys to int64 ids.
 *
 * The store's writer looks up two person keys per record in its key map
 * (strmap), whose keys live in separate allocations: on a bulk load those
 * lookups were ~15% of the writer's time. This cache keeps each key inline
 * in its slot, beside its hash and id, so a hit costs one cache line and
 * no call. It is only a cache: a miss says nothing, a put may evict
 * another key, and the owner must clear it whenever a key it may hold
 * stops meaning that id (a rolled-back insert, a forgotten person). Keys
 * longer than PIDCACHE_KEY_MAX are never cached. A zeroed pidcache_t is an
 * empty cache. Not thread-safe: one owner at a time. */
#ifndef SPAND_PIDCACHE_H
#define SPAND_PIDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PIDCACHE_KEY_MAX 27

typedef struct pidcache_slot {
    uint64_t hash; /* 0: empty */
    int64_t id;
    uint8_t len;
    char key[PIDCACHE_KEY_MAX];
} pidcache_slot_t;

typedef struct pidcache {
    pidcache_slot_t *slots;
    size_t cap;  /* power of two, or 0 */
    size_t puts; /* since the table was last sized */
} pidcache_t;

/* Returns true and sets *id when key is cached. */
bool pidcache_get(const pidcache_t *c, const char *key, size_t len,
                  int64_t *id);
/* Start loading key's slots into the CPU cache: lookups that follow
 * a batch of prefetches overlap their memory latency. */
void pidcache_prefetch(const pidcache_t *c, const char *key, size_t len);
/* Cache key -> id. Allocation failure only leaves the key uncached. */
void pidcache_put(pidcache_t *c, const char *key, size_t len, int64_t id);
/* Forget every key (keeps the memory). */
void pidcache_clear(pidcache_t *c);
void pidcache_free(pidcache_t *c);

#endif
