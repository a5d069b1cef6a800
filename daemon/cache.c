/* cache.c - see cache.h. A doubly linked LRU list with a string map from
 * key to entry; sizes are small (hundreds of entries), results large. */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "strmap.h"

struct entry {
    char *key;
    size_t klen;
    answer_t *value;
    size_t bytes;
    struct entry *prev, *next; /* prev: more recently used */
};

struct cache {
    strmap_t index; /* key -> (intptr_t)entry */
    struct entry *head, *tail;
    size_t bytes, max_bytes, entries;
    uint64_t hits, misses;
    int64_t min_version; /* cache_clear: no older answer is kept */
};

cache_t *cache_new(size_t max_bytes)
{
    cache_t *c = calloc(1, sizeof *c);
    if (c) {
        strmap_init(&c->index);
        c->max_bytes = max_bytes;
    }
    return c;
}

static void unlink_entry(cache_t *c, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(cache_t *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static void drop(cache_t *c, struct entry *e)
{
    unlink_entry(c, e);
    strmap_del(&c->index, e->key, e->klen);
    c->bytes -= e->bytes;
    c->entries--;
    answer_unref(e->value);
    free(e->key);
    free(e);
}

static void shrink(cache_t *c)
{
    while (c->tail && c->bytes > c->max_bytes)
        drop(c, c->tail);
}

void cache_free(cache_t *c)
{
    if (!c)
        return;
    while (c->head)
        drop(c, c->head);
    strmap_free(&c->index);
    free(c);
}

answer_t *cache_get(cache_t *c, const char *key, size_t klen)
{
    int64_t v;
    if (!strmap_get(&c->index, key, klen, &v)) {
        c->misses++;
        return NULL;
    }
    struct entry *e = (struct entry *)(intptr_t)v;
    unlink_entry(c, e);
    push_front(c, e);
    c->hits++;
    return answer_ref(e->value);
}

void cache_put(cache_t *c, const char *key, size_t klen, answer_t *value,
               size_t bytes)
{
    if (bytes > c->max_bytes)
        return; /* would evict everything and still not fit */
    if (answer_data_version(value) < c->min_version)
        return; /* read before a forget (cache_clear) */
    int64_t v;
    if (strmap_get(&c->index, key, klen, &v))
        drop(c, (struct entry *)(intptr_t)v);
    struct entry *e = calloc(1, sizeof *e);
    if (!e || !(e->key = malloc(klen + 1))) {
        free(e);
        return;
    }
    memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    e->klen = klen;
    if (strmap_put(&c->index, e->key, klen, (int64_t)(intptr_t)e) < 0) {
        free(e->key);
        free(e);
        return;
    }
    e->value = answer_ref(value);
    e->bytes = bytes;
    push_front(c, e);
    c->bytes += bytes;
    c->entries++;
    shrink(c);
}

void cache_clear(cache_t *c, int64_t min_version)
{
    while (c->head)
        drop(c, c->head);
    if (min_version > c->min_version)
        c->min_version = min_version;
}

void cache_set_limit(cache_t *c, size_t max_bytes)
{
    c->max_bytes = max_bytes;
    shrink(c);
}

void cache_stats(const cache_t *c, uint64_t *hits, uint64_t *misses,
                 size_t *entries, size_t *bytes)
{
    *hits = c->hits;
    *misses = c->misses;
    *entries = c->entries;
    *bytes = c->bytes;
}
