/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The calling task: its ancestry and network namespace. Each comes in two
 * versions: direct BTF loads (task_btf, tracing programs) or CO-RE reads.
 */
#ifndef WD_LIB_ANCESTRY_H
#define WD_LIB_ANCESTRY_H

/*
 * How far the kernel walks real_parent. Userland's process table, fed by
 * fork/exec/exit records in the same ring, already knows the original
 * lineage of every process it saw start: the caller and its parent (with
 * their start times, which make (pid, start) a unique key) are enough for
 * it to find the rest. When the table cannot be trusted (process records
 * were lost to a full ring, entries evicted), userland sets deep_walk and
 * the kernel sends the whole current chain up to pid 1 again.
 */
#define WD_SHALLOW_DEPTH 2

volatile __u32 deep_walk;

/*
 * The caller and its parent by direct BTF loads. Each ancestor is its
 * thread group leader: its tgid, start time and comm name the process.
 * Branch-free and unrolled; every task_struct field access costs the
 * verifier a walk of task_struct's BTF, so they are few.
 */
static __always_inline void fill_shallow_btf(struct wd_connect_event *e)
{
	struct task_struct *t = bpf_get_current_task_btf()->group_leader;
	__u32 n = 0, done = 0;

#pragma unroll
	for (int i = 0; i < WD_SHALLOW_DEPTH; i++) {
		struct task_struct *parent = t->real_parent->group_leader;
		struct wd_proc *p = &e->tree[i];
		__u32 pid = t->tgid;

		p->pid = pid;
		if (i > 0)
			e->tree[i - 1].ppid = pid;
		p->uid = t->real_cred->uid.val;
		p->start_ns = t->start_boottime;
		p->_pad = 0;
		*(__u64 *)&p->comm[0] = *(__u64 *)&t->comm[0];
		*(__u64 *)&p->comm[8] = *(__u64 *)&t->comm[8];
		n += 1 - done;
		/* done once pid 1 (or the idle task, 0) has been recorded */
		done |= (__u32)(((__s64)pid - 2) >> 63) & 1;
		t = parent;
	}
	e->tree[WD_SHALLOW_DEPTH - 1].ppid = t->tgid;
	e->depth = n;
}

/*
 * Up to max ancestors with one bpf_probe_read per field (CO-RE): kernels
 * before 5.11, cgroup programs, and the deep walk. WD_F_TRUNCATED when a
 * deep walk stops short of pid 1.
 */
static __always_inline void fill_ancestry_core(struct wd_connect_event *e, __u32 max)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct task_struct *parent;
	__u32 n = 0, pid;

	t = BPF_CORE_READ(t, group_leader);
	pid = t ? BPF_CORE_READ(t, tgid) : 0;
	for (int i = 0; i < WD_MAX_DEPTH; i++) {
		struct wd_proc *p = &e->tree[i];

		if (!t || pid == 0 || (__u32)i >= max)
			break;
		parent = BPF_CORE_READ(t, real_parent, group_leader);
		p->pid = pid;
		p->ppid = parent ? BPF_CORE_READ(parent, tgid) : 0;
		p->uid = BPF_CORE_READ(t, real_cred, uid.val);
		p->start_ns = BPF_CORE_READ(t, start_boottime);
		p->_pad = 0;
		bpf_probe_read_kernel(p->comm, sizeof(p->comm), &t->comm);
		n++;
		if (pid == 1)
			break;
		t = parent;
		pid = p->ppid;
	}
	e->depth = n;
	if (max == WD_MAX_DEPTH && n == WD_MAX_DEPTH && pid != 1)
		e->flags |= WD_F_TRUNCATED;
}

/* tracing: a tracing program type (cgroup programs cannot take BTF tasks) */
static __always_inline void fill_ancestry(struct wd_connect_event *e, bool tracing)
{
	if (deep_walk)
		fill_ancestry_core(e, WD_MAX_DEPTH);
	else if (tracing && task_btf)
		fill_shallow_btf(e);
	else
		fill_ancestry_core(e, WD_SHALLOW_DEPTH);
}

static __always_inline __u32 current_netns(bool tracing)
{
	if (tracing && task_btf)
		return bpf_get_current_task_btf()->nsproxy->net_ns->ns.inum;
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(),
			     nsproxy, net_ns, ns.inum);
}

#endif /* WD_LIB_ANCESTRY_H */
