/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * container_labels in the kernel: a probe whose config has container_labels
 * (its bit in wd_ctr_mode) reports only processes whose cgroup v2 id is in
 * wd_ctr_allow with the probe's bit set. Userland adds a container's cgroup
 * when it sees the cgroup created (inotify on the cgroup tree) and its
 * labels match, and removes it when the cgroup goes. A connect from a
 * cgroup userland has not judged yet is dropped (counted as filtered and
 * container_filtered): the filter fails closed.
 */
#ifndef WD_LIB_CONTAINER_H
#define WD_LIB_CONTAINER_H

#include "lib/maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WD_CTR_ALLOW_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* filled by userland only */
	__type(key, __u64);   /* cgroup v2 id */
	__type(value, __u32); /* 1 << WD_PROBE_* allowed */
} wd_ctr_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32); /* 1 << WD_PROBE_* restricted by container_labels */
} wd_ctr_mode SEC(".maps");

/* 1 if probe's container_labels leave the current process out. */
static __always_inline int container_drops(__u8 probe)
{
	__u32 zero = 0, *mode, *allow;
	__u64 cg;

	mode = bpf_map_lookup_elem(&wd_ctr_mode, &zero);
	if (!mode || !(*mode & (1u << probe)))
		return 0;
	cg = bpf_get_current_cgroup_id();
	allow = bpf_map_lookup_elem(&wd_ctr_allow, &cg);
	return !allow || !(*allow & (1u << probe));
}

#endif /* WD_LIB_CONTAINER_H */
