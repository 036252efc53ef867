/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rules in the kernel: a verdict per process, written by userland when it
 * learns the process's exec (agent/rules.c) for drop rules that depend only
 * on the process (exe, cmdline, ancestry). One lookup per event that passed
 * the filters; a hit is counted per rule slot and never reaches the ring.
 * exec and exit remove the process's verdict (probes/process.h).
 */
#ifndef WD_LIB_RULES_H
#define WD_LIB_RULES_H

#include "lib/maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WD_VERDICTS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* filled by userland: no start-up cost */
	__type(key, __u32);
	__type(value, struct wd_verdict);
} wd_verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WD_RULE_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} wd_rule_hits SEC(".maps");

/* Userland holds verdicts: exec and exit must remove the process's. */
volatile __u32 verdicts_on;

/* start_boottime of the calling process (its thread group leader). */
static __always_inline __u64 current_start_ns(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, group_leader, start_boottime);
}

/* 1 if a rule's verdict on the calling process drops its events of probe (counted). */
static __always_inline int rule_drops(__u8 probe)
{
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32), slot;
	struct wd_verdict *v;
	struct wd_counters *c;
	__u64 *n;

	if (!verdicts_on) /* no rule the kernel can decide: not even a lookup */
		return 0;
	v = bpf_map_lookup_elem(&wd_verdicts, &tgid);
	if (!v || !(v->probes & (1u << probe)) || v->start_ns != current_start_ns())
		return 0;
	slot = v->slot;
	n = bpf_map_lookup_elem(&wd_rule_hits, &slot);
	if (n)
		(*n)++;
	c = counters();
	if (c)
		c->rule_dropped++;
	return 1;
}

/* exec or exit of the process tgid: its verdict no longer holds. */
static __always_inline void rule_forget(__u32 tgid)
{
	if (verdicts_on)
		bpf_map_delete_elem(&wd_verdicts, &tgid);
}

#endif /* WD_LIB_RULES_H */
