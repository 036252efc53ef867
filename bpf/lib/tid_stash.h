/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a function or syscall's entry leaves for its return, keyed by thread
 * id. Each feature declares its own map with the value it needs.
 */
#ifndef WD_LIB_TID_STASH_H
#define WD_LIB_TID_STASH_H

#define WD_TID_STASH(name, value_type)				\
	struct {						\
		__uint(type, BPF_MAP_TYPE_LRU_HASH);		\
		__uint(max_entries, 16384);			\
		__type(key, __u32);				\
		__type(value, value_type);			\
	} name SEC(".maps")

static __always_inline void tid_stash(void *map, const void *val)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_update_elem(map, &tid, val, BPF_ANY);
}

/*
 * Copy out and delete the calling thread's entry: 0, or -1 if it has none.
 * Values are 8-byte aligned (map values are, the stash types start with a
 * __u64): said so, the copy takes 8 bytes a load instead of 1.
 */
static __always_inline int tid_take(void *map, void *val, __u32 size)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	void *p = bpf_map_lookup_elem(map, &tid);

	if (!p)
		return -1;
	__builtin_memcpy(__builtin_assume_aligned(val, 8),
			 __builtin_assume_aligned(p, 8), size);
	bpf_map_delete_elem(map, &tid);
	return 0;
}

#endif /* WD_LIB_TID_STASH_H */
