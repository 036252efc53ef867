/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The names behind addresses, per network namespace: (netns, address) ->
 * the name a process asked for, the CNAME chain to the address, that
 * process (pid and start), and when the entry expires. Filled from DNS
 * answers, read once per connect event (one hash lookup).
 *
 * An address answered again (for any name) takes the newest answer. The
 * TTL is clamped to [WD_DNS_TTL_MIN, WD_DNS_TTL_MAX] seconds: a TTL of 0
 * still names the connect that follows the answer, and a week-long TTL
 * does not keep a name past an hour. Bounded in entries and bytes: the
 * oldest answer is evicted first (counted).
 */
#ifndef WD_DNS_CACHE_H
#define WD_DNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/parse.h"
#include "wd_abi.h"

#define WD_DNS_TTL_MIN 5
#define WD_DNS_TTL_MAX 3600
#define WD_DNS_CACHE_ENTRIES 16384
#define WD_DNS_CACHE_BYTES (4u << 20)

struct wd_dns_entry {
	struct wd_dns_entry *next;          /* in its bucket */
	struct wd_dns_entry *older, *newer; /* by insertion: eviction order */
	uint64_t key;        /* hash of netns, family, addr */
	uint64_t expires_ns; /* CLOCK_BOOTTIME */
	uint64_t start_ns;   /* the resolving process's start */
	uint32_t pid;
	uint32_t netns;
	int family;
	uint8_t addr[16];
	size_t bytes;   /* this entry's share of the byte bound */
	size_t nchain;
	char *chain;    /* nchain NUL-terminated CNAME targets, in order */
	char name[];    /* the name asked */
};

struct wd_dns_cache {
	struct wd_dns_entry **bucket;
	size_t nbuckets;
	size_t count, max_entries;
	size_t bytes, max_bytes;
	struct wd_dns_entry *oldest, *newest;
	uint64_t added;   /* addresses added (or renewed) */
	uint64_t evicted; /* entries dropped for the bounds before expiry */
	uint64_t nomem;   /* addresses not added: no memory */
};

int wd_dns_cache_init(struct wd_dns_cache *c, size_t max_entries, size_t max_bytes);
void wd_dns_cache_free(struct wd_dns_cache *c);

/* Every address of a, asked by pid (started at start_ns) in netns, at now_ns. */
void wd_dns_cache_add(struct wd_dns_cache *c, uint32_t netns, uint32_t pid,
		      uint64_t start_ns, uint64_t now_ns, const struct wd_dns_answer *a);

/*
 * The live entry of (netns, family, addr) at now_ns, or NULL. An IPv4-mapped
 * IPv6 address finds the IPv4 entry.
 */
const struct wd_dns_entry *wd_dns_cache_find(struct wd_dns_cache *c, uint32_t netns,
					     int family, const uint8_t *addr,
					     uint64_t now_ns);

/*
 * A connect's name: NULL, or the entry, with *self true when the process
 * that received the answer is in the event's chain (tree[0..depth)).
 */
const struct wd_dns_entry *wd_dns_name_of(struct wd_dns_cache *c,
					  const struct wd_connect_event *e, bool *self);

#endif
