/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * whodunit: filter semantics, defined once.
 *
 * Compiled into the BPF programs (which decide in the kernel) and into
 * userland (whose tests check the same decisions). No libc, no helpers:
 * callers do the map lookups and pass what they found.
 *
 * An event is dropped when
 *   - the global port policy drops its port (includeports: every port not
 *     listed; excludeports: every port listed), or
 *   - the most specific filter whose network holds the destination drops it:
 *     mode ALL drops every port, EXCEPT every port but the listed ones
 *     (except_ports), ONLY just the listed ones (include_ports).
 */
#ifndef WD_FILTER_H
#define WD_FILTER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifndef WD_INLINE
#define WD_INLINE static inline __attribute__((always_inline))
#endif

/* Probes with filters: the first byte of every LPM key, the index of the
 * probe's wd_filter_cfg entry (in filter generation 0, see WD_FILTER_SLOT). */
enum wd_probe_id {
	WD_PROBE_TCP_CONNECT = 0,
	WD_PROBE_NET_LISTEN = 1,
	WD_PROBE_UDP_SESSION = 2,
	WD_NPROBES = 3,
};

/* wd_rule.mode: the port policy of one network filter. */
enum wd_port_mode {
	WD_PORTS_ALL = 0,    /* drop every port */
	WD_PORTS_EXCEPT = 1, /* drop all but the ports of the set */
	WD_PORTS_ONLY = 2,   /* drop only the ports of the set */
};

/* wd_filter_cfg.global_mode */
enum wd_global_mode {
	WD_GLOBAL_NONE = 0,
	WD_GLOBAL_INCLUDE = 1, /* report only ports of port set 0 */
	WD_GLOBAL_EXCLUDE = 2, /* never report ports of port set 0 */
};

/* Value of the LPM tries: one network filter. */
struct wd_rule {
	__u32 portset; /* index into wd_portsets (EXCEPT/ONLY) */
	__u16 mode;    /* enum wd_port_mode */
	__u16 id;      /* position of the filter in the config, for debugging */
};

/* A set of ports: 65536 bits. Port sets 0..WD_NPROBES-1 are the probes'
 * global include/exclude sets. */
#define WD_PORTSET_WORDS 1024
struct wd_portset {
	__u64 bits[WD_PORTSET_WORDS];
};

/*
 * Keys of the LPM tries: the probe id and three zero bytes, then the
 * address; prefixlen counts those 32 bits, so a rule only ever matches
 * addresses of its own probe.
 */
#define WD_LPM_PROBE_BITS 32
struct wd_lpm4_key {
	__u32 prefixlen;
	__u8 probe;
	__u8 _pad[3];
	__u8 addr[4];
};

struct wd_lpm6_key {
	__u32 prefixlen;
	__u8 probe;
	__u8 _pad[3];
	__u8 addr[16];
};

/*
 * Entry of the wd_filter_cfg array map, one per probe and filter
 * generation (see WD_FILTER_SLOT).
 */
struct wd_filter_cfg {
	__u32 global_mode; /* enum wd_global_mode */
	__u32 global_set;  /* index of the probe's global port set in wd_portsets */
};

/*
 * Filter generations: a reload writes a whole new filter set beside the one
 * in use, then switches one index (filter_gen) that each event reads once,
 * so no connect is judged by a half-written set. A probe's rules in
 * generation g carry the slot g * WD_NPROBES + probe in their key's probe
 * byte, and its wd_filter_cfg entry sits at that slot.
 */
#define WD_FILTER_GENS 2
#define WD_FILTER_SLOT(gen, probe) ((gen) * WD_NPROBES + (probe))

_Static_assert(sizeof(struct wd_rule) == 8, "wd_rule ABI");
_Static_assert(sizeof(struct wd_portset) == 8192, "wd_portset ABI");
_Static_assert(sizeof(struct wd_lpm4_key) == 12, "wd_lpm4_key ABI");
_Static_assert(sizeof(struct wd_lpm6_key) == 24, "wd_lpm6_key ABI");
_Static_assert(sizeof(struct wd_filter_cfg) == 8, "wd_filter_cfg ABI");

WD_INLINE int wd_port_in(const struct wd_portset *s, __u16 port)
{
	return (int)((s->bits[(port >> 6) & (WD_PORTSET_WORDS - 1)] >> (port & 63)) & 1);
}

WD_INLINE void wd_port_set(struct wd_portset *s, __u16 port)
{
	s->bits[(port >> 6) & (WD_PORTSET_WORDS - 1)] |= 1ull << (port & 63);
}

/* Does the global port policy drop this port? g: port set 0 (may be NULL). */
WD_INLINE int wd_global_drops(__u32 global_mode, const struct wd_portset *g,
			      __u16 port)
{
	if (global_mode == WD_GLOBAL_INCLUDE)
		return !g || !wd_port_in(g, port);
	if (global_mode == WD_GLOBAL_EXCLUDE)
		return g && wd_port_in(g, port);
	return 0;
}

/* Does the matching rule drop this port? s: the rule's port set (or NULL). */
WD_INLINE int wd_rule_drops(const struct wd_rule *r, const struct wd_portset *s,
			    __u16 port)
{
	if (!r)
		return 0;
	switch (r->mode) {
	case WD_PORTS_ALL:
		return 1;
	case WD_PORTS_EXCEPT:
		return !s || !wd_port_in(s, port);
	case WD_PORTS_ONLY:
		return s && wd_port_in(s, port);
	}
	return 0;
}

/*
 * An IPv6 address in ::ffff:0:0/96 is an IPv4 address (a dual-stack socket
 * connecting to IPv4): filter it with the IPv4 rules.
 */
WD_INLINE int wd_is_v4mapped(const __u8 *a)
{
	for (int i = 0; i < 10; i++)
		if (a[i])
			return 0;
	return a[10] == 0xff && a[11] == 0xff;
}

#endif /* WD_FILTER_H */
