/* rng.h - the seeded random numbers of the built-in plugins: splitmix64
 * (Steele, Lea & Flood 2014), a fixed sequence for a seed on every
 * platform, so that a seeded permutation test or sample gives the same
 * answer everywhere, in a thread or in an analysis child. Header-only
 * (static inline): each plugin module is built on its own and exports
 * nothing but its descriptor. */
#ifndef SPAND_PLUGINS_RNG_H
#define SPAND_PLUGINS_RNG_H

#include <stdint.h>

/* The next number of the sequence whose state is *s. */
static inline uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound), bound >= 1, without modulo bias: draws below
 * 2^64 mod bound are rejected. */
static inline uint64_t uniform_below(uint64_t *s, uint64_t bound)
{
    const uint64_t reject = (0 - bound) % bound;
    uint64_t x;
    do
        x = splitmix64(s);
    while (x < reject);
    return x % bound;
}

#endif
