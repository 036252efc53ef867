/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Flood control (agent.repeat_limit) for tcp_connect: per process (tgid +
 * start time) and destination, the first flood_burst connects since
 * userland last took the key are written; the rest are counted in the key
 * (suppressed, first_ns, last_ns) and in the per-CPU flood_suppressed
 * counter, and never reach the ring. Userland takes (reads and deletes)
 * every key at the end of each window, at stop and when the process exits
 * (wd_flood_procs names the processes with suppressed connects), writes one
 * summary event per key, and reports as lost whatever flood_suppressed
 * counted that no key gave back (an LRU eviction, a count racing a take).
 */
#ifndef WD_LIB_FLOOD_H
#define WD_LIB_FLOOD_H

#include "lib/maps.h"
#include "lib/rules.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WD_FLOOD_MAX);
	__type(key, struct wd_flood_key);
	__type(value, struct wd_flood_val);
} wd_flood SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct wd_proc_key);
	__type(value, __u8);
} wd_flood_procs SEC(".maps");

/* Events per key and window; 0: flood control off. Written by userland. */
volatile __u32 flood_burst;

/* 1 if the connect d describes is over its key's burst (counted, not to be written). */
static __always_inline int flood_suppressed(const struct wd_emit *d)
{
	struct wd_flood_key k = {};
	struct wd_flood_val *v, nv = { .emitted = 1 };
	struct wd_proc_key pk = {};
	struct wd_counters *c;
	__u32 burst = flood_burst;
	__u64 now;
	__u8 one = 1;

	if (!burst || d->type != WD_EV_TCP_CONNECT || !d->daddr)
		return 0;
	k.start_ns = current_start_ns();
	k.tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	__builtin_memcpy(k.addr, d->daddr, 16);
	k.port = d->dport;
	k.family = d->family;
	v = bpf_map_lookup_elem(&wd_flood, &k);
	if (!v) {
		bpf_map_update_elem(&wd_flood, &k, &nv, BPF_NOEXIST);
		return 0;
	}
	if (v->emitted < burst) {
		__sync_fetch_and_add(&v->emitted, 1);
		return 0;
	}
	now = bpf_ktime_get_boot_ns();
	/* (no fetch-and-add with a result: kernels before 5.12 refuse it; two
	 * CPUs that both see the first suppression write the same things) */
	if (!v->suppressed) {
		v->first_ns = now;
		pk.tgid = k.tgid;
		pk.start_ns = k.start_ns;
		bpf_map_update_elem(&wd_flood_procs, &pk, &one, BPF_ANY);
	}
	__sync_fetch_and_add(&v->suppressed, 1);
	v->last_ns = now;
	c = counters();
	if (c)
		c->flood_suppressed++;
	return 1;
}

#endif /* WD_LIB_FLOOD_H */
