/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The filters' verdict on an address and port, per feature (WD_PROBE_*):
 * maps sized and filled by userland from the config, rules in wd_filter.h.
 */
#ifndef WD_LIB_FILTER_H
#define WD_LIB_FILTER_H

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
volatile __u32 filter_gen;

/*
 * The config's verdict on an address and port (wd_filter.h defines it). A
 * v4-mapped IPv6 address is looked up as the IPv4 address it is.
 */
static __always_inline int filter_drops(__u8 probe, __u16 family,
					const __u8 *addr, __u16 port)
{
	const struct wd_portset *set = NULL;
	const struct wd_filter_cfg *cfg;
	const struct wd_rule *rule;
	__u32 slot = WD_FILTER_SLOT(filter_gen & 1, probe), idx;

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
static __always_inline int seen_and_filtered(__u8 probe, __u16 family,
					     const __u8 *addr, __u16 port)
{
	struct wd_counters *c = counters();

	if (c)
		c->seen++;
	if (!filter_drops(probe, family, addr, port))
		return rule_drops(probe); /* a rule's verdict on the process */
	if (c)
		c->filtered++;
	return 1;
}

#endif /* WD_LIB_FILTER_H */
