// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/cache.h"
#include "util/hash.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int wd_dns_cache_init(struct wd_dns_cache *c, size_t max_entries, size_t max_bytes)
{
	size_t n = 64;

	*c = (struct wd_dns_cache){ .max_entries = max_entries ? max_entries : 1,
				    .max_bytes = max_bytes };
	while (n < c->max_entries && n < (1u << 20))
		n <<= 1;
	c->bucket = calloc(n, sizeof(*c->bucket));
	if (!c->bucket)
		return -ENOMEM;
	c->nbuckets = n;
	return 0;
}

void wd_dns_cache_free(struct wd_dns_cache *c)
{
	struct wd_dns_entry *e = c->oldest, *next;

	for (; e; e = next) {
		next = e->newer;
		free(e);
	}
	free(c->bucket);
	*c = (struct wd_dns_cache){ 0 };
}

/* (an FNV-1a of the key's bytes; wd_hash_bucket spreads it) */
static uint64_t key_of(uint32_t netns, int family, const uint8_t *addr)
{
	uint64_t h = 0xcbf29ce484222325ull ^ netns ^ ((uint64_t)family << 32);
	size_t n = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		h = (h ^ addr[i]) * 0x100000001b3ull;
	return h;
}

static bool same(const struct wd_dns_entry *e, uint64_t key, uint32_t netns,
		 int family, const uint8_t *addr)
{
	return e->key == key && e->netns == netns && e->family == family &&
	       !memcmp(e->addr, addr, family == AF_INET ? 4 : 16);
}

static void unlink_entry(struct wd_dns_cache *c, struct wd_dns_entry *e)
{
	struct wd_dns_entry **p = &c->bucket[wd_hash_bucket(e->key, c->nbuckets)];

	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->count--;
	c->bytes -= e->bytes;
	free(e);
}

static struct wd_dns_entry *lookup(struct wd_dns_cache *c, uint32_t netns, int family,
				   const uint8_t *addr, uint64_t *keyp)
{
	uint64_t key = key_of(netns, family, addr);
	struct wd_dns_entry *e = c->bucket[wd_hash_bucket(key, c->nbuckets)];

	*keyp = key;
	while (e && !same(e, key, netns, family, addr))
		e = e->next;
	return e;
}

/* A new entry for one address of a (not linked), or NULL. */
static struct wd_dns_entry *make(const struct wd_dns_answer *a, size_t *lens)
{
	size_t name = strlen(a->qname) + 1, chain = 0, size;
	struct wd_dns_entry *e;
	char *p;

	for (size_t i = 0; i < a->nchain; i++)
		chain += (lens[i] = strlen(a->chain[i]) + 1);
	size = sizeof(*e) + name + chain;
	e = malloc(size);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->bytes = size;
	memcpy(e->name, a->qname, name);
	p = e->chain = e->name + name;
	for (size_t i = 0; i < a->nchain; i++) {
		memcpy(p, a->chain[i], lens[i]);
		p += lens[i];
	}
	e->nchain = a->nchain;
	return e;
}

static void insert(struct wd_dns_cache *c, struct wd_dns_entry *e)
{
	size_t b = wd_hash_bucket(e->key, c->nbuckets);

	while (c->oldest && (c->count >= c->max_entries ||
			     (c->max_bytes && c->bytes + e->bytes > c->max_bytes))) {
		unlink_entry(c, c->oldest);
		c->evicted++;
	}
	e->next = c->bucket[b];
	c->bucket[b] = e;
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->count++;
	c->bytes += e->bytes;
	c->added++;
}

void wd_dns_cache_add(struct wd_dns_cache *c, uint32_t netns, uint32_t pid,
		      uint64_t start_ns, uint64_t now_ns, const struct wd_dns_answer *a)
{
	size_t lens[WD_DNS_CHAIN_MAX];

	for (size_t i = 0; i < a->naddrs; i++) {
		const struct wd_dns_addr *d = &a->addrs[i];
		struct wd_dns_entry *e, *old;
		uint32_t ttl = d->ttl;
		uint64_t key;

		old = lookup(c, netns, d->family, d->addr, &key);
		if (old) /* the newest answer wins */
			unlink_entry(c, old);
		e = make(a, lens);
		if (!e) {
			c->nomem++;
			continue;
		}
		ttl = ttl < WD_DNS_TTL_MIN ? WD_DNS_TTL_MIN :
		      ttl > WD_DNS_TTL_MAX ? WD_DNS_TTL_MAX : ttl;
		e->key = key;
		e->netns = netns;
		e->family = d->family;
		memcpy(e->addr, d->addr, 16);
		e->pid = pid;
		e->start_ns = start_ns;
		e->expires_ns = now_ns + (uint64_t)ttl * 1000000000ull;
		insert(c, e);
	}
}

const struct wd_dns_entry *wd_dns_cache_find(struct wd_dns_cache *c, uint32_t netns,
					     int family, const uint8_t *addr,
					     uint64_t now_ns)
{
	struct wd_dns_entry *e;
	uint64_t key;

	if (!c->bucket || !c->count)
		return NULL;
	if (family == AF_INET6 && !memcmp(addr, v4mapped, sizeof(v4mapped))) {
		family = AF_INET;
		addr += 12;
	}
	e = lookup(c, netns, family, addr, &key);
	if (e && e->expires_ns <= now_ns) {
		unlink_entry(c, e);
		return NULL;
	}
	return e;
}

const struct wd_dns_entry *wd_dns_name_of(struct wd_dns_cache *c,
					  const struct wd_connect_event *e, bool *self)
{
	const struct wd_dns_entry *d;

	d = wd_dns_cache_find(c, e->netns, e->family, e->daddr, e->hdr.ts_ns);
	*self = false;
	for (unsigned int i = 0; d && i < e->depth && i < WD_MAX_DEPTH; i++)
		if (e->tree[i].pid == d->pid && e->tree[i].start_ns == d->start_ns)
			*self = true;
	return d;
}
