/* pidcache.c - see pidcache.h. */
#include "pidcache.h"

#include <stdlib.h>
#include <string.h>

/* The table grows (and starts empty again) while it holds fewer than
 * PIDCACHE_SLACK slots per key put, up to PIDCACHE_MAX_SLOTS (6 MiB): few
 * collisions, and a bounded footprint for stores of millions of people. */
#define PIDCACHE_MIN_SLOTS 4096
#define PIDCACHE_MAX_SLOTS (1u << 17)
#define PIDCACHE_SLACK 4

/* Eight bytes at a time (the keys are short), then a 64-bit finaliser
 * (splitmix64's), so the low bits used as the index are well mixed. Never
 * 0, which marks an empty slot. */
static uint64_t hash_key(const char *p, size_t n)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * UINT64_C(0x94d049bb133111eb);
    h ^= h >> 29;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 32;
    return h ? h : 1;
}

/* Two-way set associative: a key lives in one of the two slots of its
 * set, the one used last in front, which keeps far more of a large working
 * set than one slot per key would (measured: 50k keys in 128k slots, 68%
 * hits direct-mapped). */
static pidcache_slot_t *set_of(const pidcache_t *c, uint64_t h)
{
    return &c->slots[(h & (c->cap / 2 - 1)) * 2];
}

static bool slot_is(const pidcache_slot_t *s, uint64_t h, const char *key,
                    size_t len)
{
    return s->hash == h && s->len == len && memcmp(s->key, key, len) == 0;
}

void pidcache_prefetch(const pidcache_t *c, const char *key, size_t len)
{
    if (c->cap && len <= PIDCACHE_KEY_MAX)
        __builtin_prefetch(set_of(c, hash_key(key, len)));
}

bool pidcache_get(const pidcache_t *c, const char *key, size_t len, int64_t *id)
{
    if (!c->cap || len > PIDCACHE_KEY_MAX)
        return false;
    uint64_t h = hash_key(key, len);
    const pidcache_slot_t *s = set_of(c, h);
    if (slot_is(&s[0], h, key, len)) {
        *id = s[0].id;
        return true;
    }
    if (slot_is(&s[1], h, key, len)) {
        *id = s[1].id;
        return true;
    }
    return false;
}

void pidcache_put(pidcache_t *c, const char *key, size_t len, int64_t id)
{
    if (len > PIDCACHE_KEY_MAX)
        return;
    if (!c->cap ||
        (c->puts * PIDCACHE_SLACK >= c->cap && c->cap < PIDCACHE_MAX_SLOTS)) {
        size_t cap = c->cap ? c->cap * 2 : PIDCACHE_MIN_SLOTS;
        pidcache_slot_t *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return; /* keep the old table, if any */
        free(c->slots);
        c->slots = slots;
        c->cap = cap;
        c->puts = 0;
    }
    uint64_t h = hash_key(key, len);
    pidcache_slot_t *s = set_of(c, h);
    if (!slot_is(&s[0], h, key, len)) {
        /* the newest in front, the front one behind; the one behind
         * (possibly an older copy of this key) goes */
        s[1] = s[0];
        s[0].hash = h;
        s[0].len = (uint8_t)len;
        memcpy(s[0].key, key, len);
    }
    s[0].id = id;
    c->puts++;
}

void pidcache_clear(pidcache_t *c)
{
    if (c->cap)
        memset(c->slots, 0, c->cap * sizeof *c->slots);
    c->puts = 0;
}

void pidcache_free(pidcache_t *c)
{
    free(c->slots);
    memset(c, 0, sizeof *c);
}
