/* strmap.c - see strmap.h. */
#include "strmap.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"

/* Keys are chosen by clients (person ids): with a fixed hash (FNV-1a
 * before) anyone can compute ids that share one probe run and make every
 * insert walk all of them (quadratic). SipHash-2-4 (libsodium's
 * crypto_shorthash) under a key drawn at random once per process cannot
 * be aimed at like that. Measured on 1M person ids: lookups cost the same
 * as with FNV-1a within noise, as they are bound by cache misses, not by
 * hashing (doc/design-notes.md). Children forked by the daemon inherit
 * the key, which is all they need: no map crosses processes. */
static unsigned char hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

static void hash_key_init(void)
{
    if (sodium_init() >= 0) {
        randombytes_buf(hash_key, sizeof hash_key);
        return;
    }
    /* libsodium could not start (no entropy source it can use): the
     * kernel's own, or no map can be trusted. */
    if (getrandom(hash_key, sizeof hash_key, 0) != (ssize_t)sizeof hash_key) {
        log_err("strmap: no random key for the hash table: %s",
                strerror(errno));
        abort();
    }
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    pthread_once(&hash_key_once, hash_key_init);
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)p, n, hash_key);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h;
}

void strmap_init(strmap_t *m)
{
    memset(m, 0, sizeof *m);
}

void strmap_free(strmap_t *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    strmap_init(m);
}

static size_t find(const strmap_t *m, const char *key, size_t len, uint64_t h,
                   bool *found)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    for (;;) {
        const strmap_slot_t *s = &m->slots[i];
        if (!s->key) {
            *found = false;
            return i;
        }
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static int grow(strmap_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    strmap_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        strmap_slot_t *s = &m->slots[i];
        if (!s->key)
            continue;
        size_t j = (size_t)s->hash & (cap - 1);
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

bool strmap_get(const strmap_t *m, const char *key, size_t len, int64_t *value)
{
    if (!m->count)
        return false;
    bool found;
    size_t i = find(m, key, len, hash_bytes(key, len), &found);
    if (found && value)
        *value = m->slots[i].value;
    return found;
}

int strmap_put(strmap_t *m, const char *key, size_t len, int64_t value)
{
    /* Keep the load factor under 0.7 so probe runs stay short. */
    if ((m->count + 1) * 10 > m->cap * 7 && grow(m) < 0)
        return -ENOMEM;
    uint64_t h = hash_bytes(key, len);
    bool found;
    size_t i = find(m, key, len, h, &found);
    if (found) {
        m->slots[i].value = value;
        return 0;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, key, len);
    copy[len] = '\0';
    m->slots[i] = (strmap_slot_t){copy, len, h, value};
    m->count++;
    return 0;
}

bool strmap_del(strmap_t *m, const char *key, size_t len)
{
    if (!m->count)
        return false;
    bool found;
    size_t mask = m->cap - 1;
    size_t i = find(m, key, len, hash_bytes(key, len), &found);
    if (!found)
        return false;
    free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->count--;
    /* Backward-shift: pull later members of the probe run into the hole
     * when their home slot does not lie strictly between hole and them. */
    size_t hole = i, j = (i + 1) & mask;
    while (m->slots[j].key) {
        size_t home = (size_t)m->slots[j].hash & mask;
        bool movable =
            hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            m->slots[hole] = m->slots[j];
            m->slots[j].key = NULL;
            hole = j;
        }
        j = (j + 1) & mask;
    }
    return true;
}

size_t strmap_count(const strmap_t *m)
{
    return m->count;
}
