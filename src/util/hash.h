/* SPDX-License-Identifier: GPL-2.0-only */
/* The bucket of a key in a power-of-two hash table (Fibonacci hashing). */
#ifndef WD_HASH_H
#define WD_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline size_t wd_hash_bucket(uint64_t key, size_t nbuckets)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (nbuckets - 1);
}

#endif
