/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emit path: records to the ring buffer under the wakeup policy, and
 * the connect-shaped event (TCP connect, listen/bind, UDP destination)
 * built from a struct wd_emit, counted as emitted or dropped.
 */
#ifndef WD_LIB_EMIT_H
#define WD_LIB_EMIT_H

#include "lib/maps.h"
#include "lib/ancestry.h"
#include "lib/sockaddr.h"

/* Ring-buffer flags: no wakeup, unless wakeup_bytes were queued without one. */
static __always_inline __u64 wakeup_flags(__u32 size)
{
	struct wd_wakeup_state *w;
	__u32 zero = 0;

	w = bpf_map_lookup_elem(&wd_wakeup, &zero);
	if (!w)
		return 0;
	w->bytes_since_wakeup += size;
	if (w->bytes_since_wakeup < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	w->bytes_since_wakeup = 0;
	return BPF_RB_FORCE_WAKEUP;
}

/* Copy a record of size bytes to the ring buffer; 0 on success. */
static __always_inline long ringbuf_output(void *rec, __u32 size)
{
	return bpf_ringbuf_output(&wd_events, rec, size, wakeup_flags(size));
}

/*
 * What the caller knows of an event that passed the filters; wd_submit()
 * reads the rest (time, task, ancestry) itself.
 */
struct wd_emit {
	__u16 type;     /* enum wd_event_type */
	__u16 variant;  /* enum wd_variant */
	__u16 protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 family;   /* AF_INET or AF_INET6 */
	const __u8 *daddr; /* 16 bytes, or NULL: no destination (listen) */
	__u16 dport;
	bool tracing;   /* a tracing program: BTF task loads, current comm */
	__s32 error;    /* 0 or a negative errno */
	__u32 flags;    /* WD_F_* */
	__u64 cookie;   /* udp_session: the socket's cookie */
	struct sock *sk; /* source address and port from here, or NULL */
};

#include "lib/flood.h"

/* Build the event in the scratch map and submit it: 0, or -1 if it was lost. */
static __always_inline int wd_submit_rc(const struct wd_emit *d)
{
	struct wd_counters *c = counters();
	struct wd_connect_event *e;
	__u64 pid_tgid;
	__u32 zero = 0, size;

	if (flood_suppressed(d)) /* over repeat_limit: counted in wd_flood */
		return 0;
	e = bpf_map_lookup_elem(&wd_scratch, &zero);
	if (!e)
		return -1;
	pid_tgid = bpf_get_current_pid_tgid();

	e->hdr.type = d->type;
	e->hdr.variant = d->variant;
	e->hdr.ts_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->cookie = d->cookie;
	e->netns = current_netns(d->tracing);
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->error = d->error;
	e->family = d->family;
	e->dport = d->dport;
	e->sport = 0;
	e->flags = d->flags;
	e->protocol = d->protocol;
	e->_pad = 0;
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	if (d->daddr)
		__builtin_memcpy(e->daddr, d->daddr, sizeof(e->daddr));
	else
		__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	if (d->tracing && task_btf) {
		struct task_struct *t = bpf_get_current_task_btf();

		*(__u64 *)&e->comm[0] = *(__u64 *)&t->comm[0];
		*(__u64 *)&e->comm[8] = *(__u64 *)&t->comm[8];
	} else if (d->tracing)
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	else
		bpf_probe_read_kernel(e->comm, sizeof(e->comm),
				      &((struct task_struct *)bpf_get_current_task())->comm);
	/*
	 * e->family, loaded again: d->family of listen/bind is a register the
	 * verifier knows from the filters' branches, which splits its states
	 * (inet_listen: 7% more instructions verified).
	 */
	if (d->sk)
		sock_source(d->sk, e->family, e->saddr, &e->sport);
	fill_ancestry(e, d->tracing);

	size = WD_CONNECT_EVENT_FIXED + e->depth * sizeof(struct wd_proc);
	if (size > sizeof(*e))
		size = sizeof(*e);
	e->hdr.size = size;
	if (ringbuf_output(e, size)) {
		if (c)
			c->dropped++;
		return -1;
	}
	if (c)
		c->emitted++;
	return 0;
}

/* wd_submit_rc() for programs that must return 0. */
static __always_inline int wd_submit(const struct wd_emit *d)
{
	wd_submit_rc(d);
	return 0;
}

#endif /* WD_LIB_EMIT_H */
