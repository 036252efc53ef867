/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The filters' verdict on an address and port, per feature (WD_PROBE_*):
 * maps sized and filled by userland from the config, rules in wd_filter.h.
 */
#ifndef WD_LIB_FILTER_H
#define WD_LIB_FILTER_H

#include "lib/container.h"
#include "lib/maps.h"
#include "lib/sockaddr.h"
#include "lib/rules.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct wd_lpm4_key);
	__type(value, struct wd_rule);
} wd_lpm4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct wd_lpm6_key);
	__type(value, struct wd_rule);
} wd_lpm6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_portset);
} wd_portsets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WD_FILTER_GENS * WD_NPROBES);
	__type(key, __u32);
	__type(value, struct wd_filter_cfg);
} wd_filter_cfg SEC(".maps");

/*
 * The filter generation in use (wd_filter.h): userland writes a whole new
 * set beside it, then stores the new index here. Read once per event.
 */
/* The filter epoch: +1 at each swap; its parity is the generation in use. */
volatile __u32 filter_gen;

/*
 * The config's verdict on an address and port (wd_filter.h defines it). A
 * v4-mapped IPv6 address is looked up as the IPv4 address it is.
 */
/* The filters' verdict under epoch (its parity picks the generation). */
static __always_inline int filter_drops(__u32 epoch, __u8 probe, __u16 family,
					const __u8 *addr, __u16 port)
{
	const struct wd_portset *set = NULL;
	const struct wd_filter_cfg *cfg;
	const struct wd_rule *rule;
	__u32 slot = WD_FILTER_SLOT(epoch & 1, probe), idx;

	cfg = bpf_map_lookup_elem(&wd_filter_cfg, &slot);
	if (cfg && cfg->global_mode != WD_GLOBAL_NONE) {
		idx = cfg->global_set;
		set = bpf_map_lookup_elem(&wd_portsets, &idx);
		if (wd_global_drops(cfg->global_mode, set, port))
			return 1;
	}
	if (family == AF_INET || wd_is_v4mapped(addr)) {
		struct wd_lpm4_key k = { .prefixlen = WD_LPM_PROBE_BITS + 32,
					 .probe = (__u8)slot };

		__builtin_memcpy(k.addr, family == AF_INET ? addr : addr + 12, 4);
		rule = bpf_map_lookup_elem(&wd_lpm4, &k);
	} else {
		struct wd_lpm6_key k = { .prefixlen = WD_LPM_PROBE_BITS + 128,
					 .probe = (__u8)slot };

		__builtin_memcpy(k.addr, addr, 16);
		rule = bpf_map_lookup_elem(&wd_lpm6, &k);
	}
	if (!rule)
		return 0;
	set = NULL;
	if (rule->mode != WD_PORTS_ALL) {
		idx = rule->portset;
		set = bpf_map_lookup_elem(&wd_portsets, &idx);
	}
	return wd_rule_drops(rule, set, port);
}

/*
 * Count the event as seen; 1 if the filters of feature `probe` drop it
 * (counted too). Filtered events cost a lookup or two and never reach the
 * ring buffer.
 */
/*
 * Verdicts remembered per CPU: a direct-mapped cache of the last verdicts on
 * (probe, family, address, port) under one filter epoch. A repeated
 * destination costs a compare instead of the trie and port-set lookups; a
 * reload changes the epoch, so no verdict outlives its filters.
 */
#define WD_VCACHE_BITS 8

struct wd_vcache_ent {
	__u64 addr[2];
	__u32 epoch;
	__u16 port;
	__u8 probe;
	__u8 family; /* AF_INET or AF_INET6; 0: empty */
	__u32 drop;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1 << WD_VCACHE_BITS);
	__type(key, __u32);
	__type(value, struct wd_vcache_ent);
} wd_vcache SEC(".maps");

/* addr: 16 bytes, an IPv4 address in the first 4 and zeros after it. */
static __always_inline int filter_drops_cached(__u8 probe, __u16 family,
					       const __u8 *addr, __u16 port)
{
	__u64 a0 = *(const __u64 *)addr, a1 = *(const __u64 *)(addr + 8);
	__u32 epoch = filter_gen, h, slot;
	struct wd_vcache_ent *v;

	h = (__u32)(a0 ^ (a0 >> 32) ^ a1 ^ (a1 >> 32)) ^ ((__u32)port << 8) ^ probe;
	slot = (h * 0x9e3779b1u) >> (32 - WD_VCACHE_BITS);
	v = bpf_map_lookup_elem(&wd_vcache, &slot);
	if (!v)
		return filter_drops(epoch, probe, family, addr, port);
	if (v->addr[0] == a0 && v->addr[1] == a1 && v->epoch == epoch &&
	    v->port == port && v->probe == probe && v->family == family)
		return v->drop;
	v->drop = filter_drops(epoch, probe, family, addr, port);
	v->addr[0] = a0;
	v->addr[1] = a1;
	v->epoch = epoch;
	v->port = port;
	v->probe = probe;
	v->family = (__u8)family;
	return v->drop;
}

static __always_inline int seen_and_filtered(__u8 probe, __u16 family,
					     const __u8 *addr, __u16 port)
{
	struct wd_counters *c = counters();

	if (c)
		c->seen++;
	if (container_drops(probe)) {
		if (c)
			c->filtered++, c->container_filtered++;
		return 1;
	}
	if (!filter_drops_cached(probe, family, addr, port))
		return rule_drops(probe); /* a rule's verdict on the process */
	if (c)
		c->filtered++;
	return 1;
}

#endif /* WD_LIB_FILTER_H */
