/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Process lifecycle: fork, exec and exit records that feed userland's
 * process cache. Loaded with every variant.
 *
 * Raw tracepoints with CO-RE reads: they need no kernel BTF (only the types,
 * which --btf can supply), so they load wherever the connect variants do.
 */
#ifndef WD_PROBES_PROCESS_H
#define WD_PROBES_PROCESS_H

#include "lib/emit.h"
#include "lib/maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_proc_event);
} wd_proc_scratch SEC(".maps");

static __always_inline __u32 task_loginuid(struct task_struct *t, __u32 *flags)
{
	if (bpf_core_field_exists(t->loginuid))
		return BPF_CORE_READ(t, loginuid.val);
	*flags |= WD_PF_NO_LOGINUID;
	return (__u32)-1;
}

static __always_inline struct wd_proc_event *proc_event(__u16 type,
							 struct task_struct *t)
{
	struct task_struct *leader = BPF_CORE_READ(t, group_leader);
	struct wd_proc_event *e;
	__u32 zero = 0;

	e = bpf_map_lookup_elem(&wd_proc_scratch, &zero);
	if (!e)
		return NULL;
	e->hdr.type = type;
	e->hdr.variant = WD_VARIANT_NONE;
	e->hdr.ts_ns = bpf_ktime_get_boot_ns();
	e->pid = BPF_CORE_READ(t, tgid);
	e->start_ns = BPF_CORE_READ(leader, start_boottime);
	e->ppid = 0;
	e->parent_start_ns = 0;
	e->uid = BPF_CORE_READ(t, real_cred, uid.val);
	e->flags = 0;
	e->loginuid = task_loginuid(t, &e->flags);
	e->args_len = 0;
	e->_pad = 0;
	bpf_probe_read_kernel(e->comm, sizeof(e->comm), &leader->comm);
	return e;
}

static __always_inline void proc_submit(struct wd_proc_event *e, __u32 size)
{
	if (size > sizeof(*e))
		size = sizeof(*e);
	e->hdr.size = size;
	if (ringbuf_output(e, size)) {
		struct wd_counters *c = counters();

		if (c)
			c->proc_dropped++;
	}
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(wd_proc_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *p = BPF_CORE_READ(child, real_parent, group_leader);
	struct wd_proc_event *e;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a new thread, not a process */
	e = proc_event(WD_EV_FORK, child);
	if (!e)
		return 0;
	/* The child is not fully set up yet: its own start time is. */
	e->start_ns = BPF_CORE_READ(child, start_boottime);
	bpf_probe_read_kernel(e->comm, sizeof(e->comm), &child->comm);
	e->ppid = BPF_CORE_READ(p, tgid);
	e->parent_start_ns = BPF_CORE_READ(p, start_boottime);
	proc_submit(e, WD_PROC_EVENT_FIXED);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(wd_proc_exec, struct task_struct *t, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct wd_proc_event *e = proc_event(WD_EV_EXEC, t);
	unsigned long start, end, len;
	const char *filename;

	if (!e)
		return 0;
	rule_forget(e->pid); /* a new program: the old verdict no longer holds */
	filename = BPF_CORE_READ(bprm, filename);
	if (bpf_probe_read_kernel_str(e->data, WD_PATH_MAX, filename) == WD_PATH_MAX)
		e->flags |= WD_PF_PATH_TRUNCATED;
	start = BPF_CORE_READ(t, mm, arg_start);
	end = BPF_CORE_READ(t, mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > WD_ARGS_MAX) {
		len = WD_ARGS_MAX;
		e->flags |= WD_PF_ARGS_TRUNCATED;
	}
	if (len && bpf_probe_read_user(e->data + WD_PATH_MAX, len, (void *)start))
		len = 0;
	e->args_len = (__u16)len;
	proc_submit(e, WD_PROC_EVENT_FIXED + WD_PATH_MAX + (__u32)len);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(wd_proc_exit, struct task_struct *t)
{
	struct wd_proc_event *e;

	/* Only the last thread's exit ends the process. */
	if (BPF_CORE_READ(t, signal, live.counter) != 0)
		return 0;
	e = proc_event(WD_EV_EXIT, t);
	if (e)
		rule_forget(e->pid);
	if (e)
		proc_submit(e, WD_PROC_EVENT_FIXED);
	return 0;
}

#endif /* WD_PROBES_PROCESS_H */
