/* cache.h - analysis answers kept for reuse (loop thread only).
 *
 * Keyed by the text of (plugin file identity, parameters, view spec, data
 * version): a new ingest changes the data version, so stale entries are
 * simply never asked for again and age out. Least recently used entries
 * go first once the byte budget is spent. Values are answers (answer.h),
 * shared by reference and never modified. */
#ifndef SPAND_CACHE_H
#define SPAND_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "answer.h"

typedef struct cache cache_t;

cache_t *cache_new(size_t max_bytes);
void cache_free(cache_t *c);
/* A new reference to the answer under key (klen bytes), or NULL. */
answer_t *cache_get(cache_t *c, const char *key, size_t klen);
/* Keep value (a new reference is taken) under key, costing bytes. */
void cache_put(cache_t *c, const char *key, size_t klen, answer_t *value,
               size_t bytes);
/* Drop every entry, and from now on refuse to keep an answer built from a
 * data version below min_version: after a forget, no cached answer holds
 * the person, not even one of an analysis that was running (access.h). */
void cache_clear(cache_t *c, int64_t min_version);
void cache_set_limit(cache_t *c, size_t max_bytes);
void cache_stats(const cache_t *c, uint64_t *hits, uint64_t *misses,
                 size_t *entries, size_t *bytes);

#endif
