/* strmap.h - hash map from byte strings to int64 values.
 *
 * Open addressing with linear probing and backward-shift deletion, so there
 * are no tombstones and lookups stay short after many forgets. The map owns
 * copies of its keys. Not thread-safe: one owner at a time. */
#ifndef SPAND_STRMAP_H
#define SPAND_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct strmap_slot {
    char *key; /* NULL: empty slot */
    size_t len;
    uint64_t hash;
    int64_t value;
} strmap_slot_t;

typedef struct strmap {
    strmap_slot_t *slots;
    size_t cap; /* power of two, or 0 */
    size_t count;
} strmap_t;

void strmap_init(strmap_t *m);
void strmap_free(strmap_t *m);
/* Returns true and sets *value when key is present. */
bool strmap_get(const strmap_t *m, const char *key, size_t len, int64_t *value);
/* Insert or replace. Returns 0 or -ENOMEM (map unchanged). */
int strmap_put(strmap_t *m, const char *key, size_t len, int64_t value);
/* Remove key if present; returns true when it was. */
bool strmap_del(strmap_t *m, const char *key, size_t len);
size_t strmap_count(const strmap_t *m);

#endif
