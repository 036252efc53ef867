/* SPDX-License-Identifier: GPL-2.0-only */
/* Maps every feature writes to: the ring buffer and its bookkeeping. */
#ifndef WD_LIB_MAPS_H
#define WD_LIB_MAPS_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024); /* resized by userland */
} wd_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_counters);
} wd_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_wakeup_state);
} wd_wakeup SEC(".maps");

/* Per-CPU scratch space: a connect-shaped event is built here, then copied out. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_connect_event);
} wd_scratch SEC(".maps");

static __always_inline struct wd_counters *counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&wd_counters, &zero);
}

#endif /* WD_LIB_MAPS_H */
