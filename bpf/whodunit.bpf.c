// SPDX-License-Identifier: GPL-2.0-only
/*
 * whodunit BPF programs: TCP connect over IPv4 and IPv6.
 *
 * Three attach variants of the same logic; userland keeps exactly one:
 *   fentry     fexit on tcp_v4_connect / tcp_v6_connect
 *   kprobe     kprobe + kretprobe on the same functions
 *   tracepoint syscalls:sys_enter_connect + sys_exit_connect
 * Each ends in emit_connect(), which walks the ancestry and writes one
 * record to the ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "wd_abi.h"
#include "wd_filter.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define TCP_LISTEN 10
#define EINPROGRESS 115

char LICENSE[] SEC("license") = "GPL";

/* Force a wakeup once this many bytes were submitted on a CPU without one. */
const volatile __u64 wakeup_bytes = 64 * 1024;
/*
 * bpf_get_current_task_btf() exists (Linux 5.11+): walk task_struct with
 * direct loads instead of a helper call per field. Set by userland after
 * probing; the verifier prunes the branch not taken.
 */
const volatile bool task_btf = false;
/* net_listen: drop UDP binds to port 0 (the kernel picks a port). */
const volatile bool exclude_random_bind = false;

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

/* Per-CPU scratch space: the event is built here, then copied out. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_connect_event);
} wd_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_proc_event);
} wd_proc_scratch SEC(".maps");

/* ---- filters: sized and filled by userland from the config ---- */

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
	__uint(max_entries, WD_NPROBES);
	__type(key, __u32);
	__type(value, struct wd_filter_cfg);
} wd_filter_cfg SEC(".maps");

/* Entry state of a connect in flight, keyed by thread id. */
struct wd_pending {
	__u64 sk;    /* struct sock * */
	__u64 uaddr; /* kprobe: kernel struct sockaddr * */
	__u16 family;
	__u16 dport;
	__u8 daddr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct wd_pending);
} wd_pending SEC(".maps");

static __always_inline struct wd_counters *counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&wd_counters, &zero);
}

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

/*
 * Walk real_parent from the calling process up to pid 1. Two copies of the
 * same walk: direct BTF loads (fast), or one bpf_probe_read per field for
 * kernels before 5.11. Each ancestor is its thread group leader: its tgid,
 * start time and comm name the process.
 */
static __always_inline void fill_ancestry_btf(struct wd_connect_event *e)
{
	struct task_struct *t = bpf_get_current_task_btf()->group_leader;
	__u32 n = 0, done = 0;

	/*
	 * Branch-free and unrolled: the verifier walks it once instead of
	 * exploring every way out of the loop (that took ~70 ms a program).
	 * Loads through a NULL task read 0, so walking past pid 1 is harmless;
	 * only the first n entries are sent.
	 */
#pragma unroll
	for (int i = 0; i < WD_MAX_DEPTH; i++) {
		struct task_struct *parent = t->real_parent->group_leader;
		struct wd_proc *p = &e->tree[i];
		__u32 pid = t->tgid;

		/* Each field access costs the verifier a walk of task_struct's
		 * BTF: a parent's pid is the next entry's, read once. */
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
	e->tree[WD_MAX_DEPTH - 1].ppid = t->tgid;
	e->depth = n;
	if (!done)
		e->flags |= WD_F_TRUNCATED;
}

static __always_inline void fill_ancestry_core(struct wd_connect_event *e)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct task_struct *parent;
	__u32 n = 0, pid;

	t = BPF_CORE_READ(t, group_leader);
	pid = t ? BPF_CORE_READ(t, tgid) : 0;
	for (int i = 0; i < WD_MAX_DEPTH; i++) {
		struct wd_proc *p = &e->tree[i];

		if (!t || pid == 0)
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
	if (n == WD_MAX_DEPTH && pid != 1)
		e->flags |= WD_F_TRUNCATED;
}

/* tracing: a tracing program type (cgroup programs cannot take BTF tasks) */
static __always_inline void fill_ancestry(struct wd_connect_event *e, bool tracing)
{
	if (tracing && task_btf)
		fill_ancestry_btf(e);
	else
		fill_ancestry_core(e);
}

static __always_inline __u32 current_netns(bool tracing)
{
	if (tracing && task_btf)
		return bpf_get_current_task_btf()->nsproxy->net_ns->ns.inum;
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(),
			     nsproxy, net_ns, ns.inum);
}

/* Source address and port as the socket holds them now. */
static __always_inline void read_source(struct wd_connect_event *e,
					struct sock *sk)
{
	if (!sk)
		return;
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (e->family == AF_INET)
		bpf_core_read(e->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
	else
		bpf_core_read(e->saddr, 16,
			      &sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
}

/* The config's verdict on a destination (wd_filter.h defines it). */
static __always_inline int filter_drops(__u8 probe, __u16 family,
					const __u8 *daddr, __u16 dport)
{
	const struct wd_portset *set = NULL;
	const struct wd_filter_cfg *cfg;
	const struct wd_rule *rule;
	__u32 idx = probe;

	cfg = bpf_map_lookup_elem(&wd_filter_cfg, &idx);
	if (cfg && cfg->global_mode != WD_GLOBAL_NONE) {
		set = bpf_map_lookup_elem(&wd_portsets, &idx);
		if (wd_global_drops(cfg->global_mode, set, dport))
			return 1;
	}
	if (family == AF_INET || wd_is_v4mapped(daddr)) {
		struct wd_lpm4_key k = { .prefixlen = WD_LPM_PROBE_BITS + 32,
					 .probe = probe };

		__builtin_memcpy(k.addr, family == AF_INET ? daddr : daddr + 12, 4);
		rule = bpf_map_lookup_elem(&wd_lpm4, &k);
	} else {
		struct wd_lpm6_key k = { .prefixlen = WD_LPM_PROBE_BITS + 128,
					 .probe = probe };

		__builtin_memcpy(k.addr, daddr, 16);
		rule = bpf_map_lookup_elem(&wd_lpm6, &k);
	}
	if (!rule)
		return 0;
	set = NULL;
	if (rule->mode != WD_PORTS_ALL) {
		idx = rule->portset;
		set = bpf_map_lookup_elem(&wd_portsets, &idx);
	}
	return wd_rule_drops(rule, set, dport);
}

/*
 * Count the connect as seen; 1 if the filters drop it (counted too).
 * Filtered connects cost a lookup or two and never reach the ring buffer.
 */
static __always_inline int probe_seen_and_filtered(__u8 probe, __u16 family,
						   const __u8 *daddr, __u16 dport)
{
	struct wd_counters *c = counters();

	if (c)
		c->seen++;
	if (!filter_drops(probe, family, daddr, dport))
		return 0;
	if (c)
		c->filtered++;
	return 1;
}

static __always_inline int seen_and_filtered(__u16 family, const __u8 *daddr,
					     __u16 dport)
{
	return probe_seen_and_filtered(WD_PROBE_TCP_CONNECT, family, daddr, dport);
}

/* Build the event of a connect (or listen) that passed the filters and submit it. */
static __always_inline int submit_event_from(bool tracing, __u16 type, __u16 hook,
					     __u16 family, const __u8 *daddr,
					     __u16 dport, struct sock *sk, int err,
					     __u32 flags, __u16 protocol, __u64 cookie)
{
	struct wd_counters *c = counters();
	struct wd_connect_event *e;
	__u64 pid_tgid;
	__u32 zero = 0, size;

	e = bpf_map_lookup_elem(&wd_scratch, &zero);
	if (!e)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();

	e->hdr.type = type;
	e->hdr.variant = hook;
	e->hdr.ts_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->cookie = cookie;
	e->netns = current_netns(tracing);
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->error = err;
	e->family = family;
	e->dport = dport;
	e->sport = 0;
	e->flags = flags;
	e->protocol = protocol;
	e->_pad = 0;
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, daddr, sizeof(e->daddr));
	if (tracing)
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	else
		bpf_probe_read_kernel(e->comm, sizeof(e->comm),
				      &((struct task_struct *)bpf_get_current_task())->comm);
	read_source(e, sk);
	fill_ancestry(e, tracing);

	size = WD_CONNECT_EVENT_FIXED + e->depth * sizeof(struct wd_proc);
	if (size > sizeof(*e))
		size = sizeof(*e);
	e->hdr.size = size;
	if (bpf_ringbuf_output(&wd_events, e, size, wakeup_flags(size))) {
		if (c)
			c->dropped++;
		return 0;
	}
	if (c)
		c->emitted++;
	return 0;
}

static __always_inline int submit_event(__u16 type, __u16 hook, __u16 family,
					const __u8 *daddr, __u16 dport,
					struct sock *sk, int err, __u32 flags,
					__u16 protocol)
{
	return submit_event_from(true, type, hook, family, daddr, dport, sk, err, flags,
				 protocol, 0);
}

static __always_inline int submit_connect(__u16 hook, __u16 family,
					  const __u8 *daddr, __u16 dport,
					  struct sock *sk, int err)
{
	return submit_event(WD_EV_TCP_CONNECT, hook, family, daddr, dport, sk, err,
			    0, IPPROTO_TCP);
}

static __always_inline int emit_connect(__u16 hook, __u16 family,
					const __u8 *daddr, __u16 dport,
					struct sock *sk, int err)
{
	if (seen_and_filtered(family, daddr, dport))
		return 0;
	return submit_connect(hook, family, daddr, dport, sk, err);
}

/* Destination from a kernel struct sockaddr of the given family. */
static __always_inline void read_sockaddr(struct sockaddr *uaddr, __u16 family,
					  __u8 *daddr, __u16 *dport)
{
	__builtin_memset(daddr, 0, 16);
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)uaddr;

		/* Explicit sizes: BPF_CORE_READ_INTO copies sizeof(*daddr) == 1. */
		bpf_core_read(daddr, 4, &in->sin_addr.s_addr);
		*dport = bpf_ntohs(BPF_CORE_READ(in, sin_port));
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)uaddr;

		bpf_core_read(daddr, 16, &in6->sin6_addr.in6_u.u6_addr8);
		*dport = bpf_ntohs(BPF_CORE_READ(in6, sin6_port));
	}
}

/*
 * A v4-mapped connect on an IPv6 socket runs tcp_v6_connect, which calls
 * tcp_v4_connect: report it once, from the IPv6 hook.
 */
static __always_inline int connect_done(__u16 hook, __u16 family,
					struct sock *sk, struct sockaddr *uaddr,
					int ret)
{
	__u8 daddr[16];
	__u16 dport = 0;

	if (family == AF_INET && BPF_CORE_READ(sk, __sk_common.skc_family) != AF_INET)
		return 0;
	read_sockaddr(uaddr, family, daddr, &dport);
	return emit_connect(hook, family, daddr, dport, sk, ret);
}

/* ---- fentry variant ---------------------------------------------------- */

SEC("fexit/tcp_v4_connect")
int BPF_PROG(wd_fexit_tcp_v4_connect, struct sock *sk, struct sockaddr *uaddr,
	     int addr_len, int ret)
{
	return connect_done(WD_VARIANT_FENTRY, AF_INET, sk, uaddr, ret);
}

SEC("fexit/tcp_v6_connect")
int BPF_PROG(wd_fexit_tcp_v6_connect, struct sock *sk, struct sockaddr *uaddr,
	     int addr_len, int ret)
{
	return connect_done(WD_VARIANT_FENTRY, AF_INET6, sk, uaddr, ret);
}

/* ---- kprobe variant ---------------------------------------------------- */

static __always_inline int kprobe_enter(struct sock *sk, struct sockaddr *uaddr,
					__u16 family)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct wd_pending p = {
		.sk = (__u64)sk,
		.uaddr = (__u64)uaddr,
		.family = family,
	};

	bpf_map_update_elem(&wd_pending, &tid, &p, BPF_ANY);
	return 0;
}

/*
 * One program on the return of both functions (userland attaches it twice):
 * half the verification. For a v4-mapped connect it fires first on the
 * nested tcp_v4_connect, whose result tcp_v6_connect returns.
 */
SEC("kretprobe/tcp_v4_connect")
int BPF_KRETPROBE(wd_kretprobe_tcp_connect, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct wd_pending *p;
	struct sockaddr *uaddr;
	struct sock *sk;
	__u16 family;

	p = bpf_map_lookup_elem(&wd_pending, &tid);
	if (!p)
		return 0;
	sk = (struct sock *)p->sk;
	uaddr = (struct sockaddr *)p->uaddr;
	family = p->family;
	bpf_map_delete_elem(&wd_pending, &tid);
	return connect_done(WD_VARIANT_KPROBE, family, sk, uaddr, ret);
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(wd_kprobe_tcp_v4_connect, struct sock *sk, struct sockaddr *uaddr)
{
	/* Do not overwrite the entry of an enclosing tcp_v6_connect. */
	if (BPF_CORE_READ(sk, __sk_common.skc_family) != AF_INET)
		return 0;
	return kprobe_enter(sk, uaddr, AF_INET);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(wd_kprobe_tcp_v6_connect, struct sock *sk, struct sockaddr *uaddr)
{
	return kprobe_enter(sk, uaddr, AF_INET6);
}


/* ---- tracepoint variant ------------------------------------------------ */

/* The socket of that kind behind a descriptor of the current task, or NULL. */
static __always_inline struct sock *fd_to_sock(int fd, __u16 family,
					       __u16 protocol, __u16 type)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds, *f = NULL;
	struct socket *so;
	struct sock *sk;
	unsigned int max;

	if (fd < 0)
		return NULL;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	max = BPF_CORE_READ(task, files, fdt, max_fds);
	if ((unsigned int)fd >= max)
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	/* Only a socket's file is pointed back to by its private_data. */
	if (!so || BPF_CORE_READ(so, file) != f)
		return NULL;
	sk = BPF_CORE_READ(so, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != protocol ||
	    BPF_CORE_READ(sk, sk_type) != type ||
	    BPF_CORE_READ(sk, __sk_common.skc_family) != family)
		return NULL;
	return sk;
}

/* Remember a syscall's socket and address until the syscall returns. */
static __always_inline int stash(struct wd_pending *p, struct sock *sk)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!sk)
		return 0;
	p->sk = (__u64)sk;
	bpf_map_update_elem(&wd_pending, &tid, p, BPF_ANY);
	return 0;
}

/* Copy a user sockaddr (IPv4 or IPv6); 0 when it is one. */
static __always_inline int user_sockaddr(void *uaddr, long len, __u16 *family,
					 __u8 *addr, __u16 *port)
{
	struct sockaddr_in6 sa = {};

	if (len < (long)sizeof(struct sockaddr_in))
		return -1;
	if (len > (long)sizeof(sa))
		len = sizeof(sa);
	if (bpf_probe_read_user(&sa, len & 0x1f, uaddr))
		return -1;
	if (sa.sin6_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;

		__builtin_memcpy(addr, &in->sin_addr.s_addr, 4);
		*port = bpf_ntohs(in->sin_port);
	} else if (sa.sin6_family == AF_INET6 && len >= (long)sizeof(sa)) {
		__builtin_memcpy(addr, sa.sin6_addr.in6_u.u6_addr8, 16);
		*port = bpf_ntohs(sa.sin6_port);
	} else {
		return -1;
	}
	*family = sa.sin6_family;
	return 0;
}

/*
 * connect(2) entry: everything but the outcome is known here, so the
 * filters decide now and a filtered connect leaves no state behind.
 */
SEC("tracepoint/syscalls/sys_enter_connect")
int wd_tp_sys_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	struct wd_pending p = {};

	if (user_sockaddr((void *)ctx->args[1], (long)ctx->args[2], &p.family,
			  p.daddr, &p.dport))
		return 0;
	/*
	 * Filters first: they need only the destination, and the descriptor
	 * walk below costs more than they do. So with this variant, seen and
	 * filtered also count connect(2) calls of non-TCP inet sockets.
	 */
	if (seen_and_filtered(p.family, p.daddr, p.dport))
		return 0;
	return stash(&p, fd_to_sock((int)ctx->args[0], p.family, IPPROTO_TCP,
				    SOCK_STREAM));
}

SEC("tracepoint/syscalls/sys_exit_connect")
int wd_tp_sys_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct wd_pending *p;
	struct sock *sk;
	__u8 daddr[16];
	__u16 family, dport;
	int ret = (int)ctx->ret;

	p = bpf_map_lookup_elem(&wd_pending, &tid);
	if (!p)
		return 0;
	sk = (struct sock *)p->sk;
	family = p->family;
	dport = p->dport;
	__builtin_memcpy(daddr, p->daddr, sizeof(daddr));
	bpf_map_delete_elem(&wd_pending, &tid);
	if (ret == -EINPROGRESS)
		ret = 0;
	return submit_connect(WD_VARIANT_TRACEPOINT, family, daddr, dport, sk, ret);
}

/* ---- process lifecycle: feeds userland's process cache ----------------- */

/*
 * Raw tracepoints with CO-RE reads: they need no kernel BTF (only the types,
 * which --btf can supply), so they load wherever the connect variants do.
 */
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
	e->hdr.variant = 0;
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
	if (bpf_ringbuf_output(&wd_events, e, size, wakeup_flags(size))) {
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
		proc_submit(e, WD_PROC_EVENT_FIXED);
	return 0;
}

/* ---- net_listen: TCP listen() and UDP bind() ---------------------------- */

static __always_inline int listen_event(__u16 family, const __u8 *laddr,
					__u16 port, struct sock *sk, __u16 protocol,
					__u32 flags)
{
	__u8 none[16] = {};

	if (probe_seen_and_filtered(WD_PROBE_NET_LISTEN, family, laddr, port))
		return 0;
	if (family == AF_INET6 && !((const __u64 *)laddr)[0] &&
	    !((const __u64 *)laddr)[1]) {
		struct sock_common *skc = &sk->__sk_common;

		if (!BPF_CORE_READ_BITFIELD_PROBED(skc, skc_ipv6only))
			flags |= WD_F_DUAL_STACK;
	}
	return submit_event(WD_EV_LISTEN, WD_VARIANT_TRACEPOINT, family, none, 0, sk, 0,
			    flags, protocol);
}

SEC("tracepoint/sock/inet_sock_set_state")
int wd_tp_inet_listen(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u8 laddr[16] = {};
	__u16 family;

	if (ctx->newstate != TCP_LISTEN || ctx->protocol != IPPROTO_TCP)
		return 0;
	family = ctx->family;
	/* (the verifier refuses loads through a pointer into ctx) */
	if (family == AF_INET)
		bpf_probe_read_kernel(laddr, 4, ctx->saddr);
	else
		bpf_probe_read_kernel(laddr, 16, ctx->saddr_v6);
	return listen_event(family, laddr, ctx->sport, (struct sock *)ctx->skaddr,
			    IPPROTO_TCP, 0);
}

SEC("tracepoint/syscalls/sys_enter_bind")
int wd_tp_sys_enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	struct wd_pending p = {};

	if (user_sockaddr((void *)ctx->args[1], (long)ctx->args[2], &p.family,
			  p.daddr, &p.dport))
		return 0;
	return stash(&p, fd_to_sock((int)ctx->args[0], p.family, IPPROTO_UDP,
				    SOCK_DGRAM));
}

SEC("tracepoint/syscalls/sys_exit_bind")
int wd_tp_sys_exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct wd_pending *p;
	struct sock *sk;
	__u8 laddr[16] = {};
	__u32 flags = 0;
	__u16 family, port;

	p = bpf_map_lookup_elem(&wd_pending, &tid);
	if (!p)
		return 0;
	sk = (struct sock *)p->sk;
	family = p->family;
	if (p->dport == 0)
		flags |= WD_F_RANDOM_BIND;
	bpf_map_delete_elem(&wd_pending, &tid);
	if (ctx->ret != 0)
		return 0;
	if ((flags & WD_F_RANDOM_BIND) && exclude_random_bind)
		return 0;
	port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (family == AF_INET)
		bpf_core_read(laddr, 4, &sk->__sk_common.skc_rcv_saddr);
	else
		bpf_core_read(laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
	return listen_event(family, laddr, port, sk, IPPROTO_UDP, flags);
}

/* ---- udp_session: cgroup hooks on UDP sends, connects and releases ------ */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct wd_udp_key);
	__type(value, struct wd_udp_val);
} wd_udp_dests SEC(".maps");

/* Sockets with tracked destinations: their release ends a session. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} wd_udp_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_udp_key);
} wd_udp_scratch SEC(".maps");

/* A datagram (or connect) of a UDP socket to family/addr/port. Always allows. */
static __always_inline int udp_dest(struct bpf_sock_addr *ctx, __u16 family,
				    const __u8 *addr, __u16 port)
{
	struct wd_udp_val *v, nv;
	struct wd_udp_key *k;
	__u64 now, cookie;
	__u32 zero = 0;
	__u8 one = 1;

	if (ctx->type != SOCK_DGRAM)
		return 1;
	k = bpf_map_lookup_elem(&wd_udp_scratch, &zero);
	if (!k)
		return 1;
	cookie = bpf_get_socket_cookie(ctx);
	__builtin_memset(k, 0, sizeof(*k));
	k->cookie = cookie;
	__builtin_memcpy(k->addr, addr, 16);
	k->port = port;
	k->family = family;
	now = bpf_ktime_get_boot_ns();
	v = bpf_map_lookup_elem(&wd_udp_dests, k);
	if (v) { /* a known destination: count it */
		__sync_fetch_and_add(&v->count, 1);
		v->last_ns = now;
		return 1;
	}
	if (probe_seen_and_filtered(WD_PROBE_UDP_SESSION, family, addr, port))
		return 1;
	nv = (struct wd_udp_val){ .first_ns = now, .last_ns = now, .count = 1 };
	if (bpf_map_update_elem(&wd_udp_dests, k, &nv, BPF_NOEXIST))
		return 1;
	bpf_map_update_elem(&wd_udp_socks, &cookie, &one, BPF_ANY);
	submit_event_from(false, WD_EV_UDP_DEST, WD_VARIANT_NONE, family, addr, port, NULL,
			  0, 0, IPPROTO_UDP, cookie);
	return 1;
}

static __always_inline int udp_dest4(struct bpf_sock_addr *ctx)
{
	__u8 addr[16] = {};
	__u32 ip = ctx->user_ip4;

	__builtin_memcpy(addr, &ip, 4);
	return udp_dest(ctx, AF_INET, addr, bpf_ntohs((__u16)ctx->user_port));
}

static __always_inline int udp_dest6(struct bpf_sock_addr *ctx)
{
	__u32 ip[4];

	ip[0] = ctx->user_ip6[0];
	ip[1] = ctx->user_ip6[1];
	ip[2] = ctx->user_ip6[2];
	ip[3] = ctx->user_ip6[3];
	return udp_dest(ctx, AF_INET6, (const __u8 *)ip, bpf_ntohs((__u16)ctx->user_port));
}

SEC("cgroup/sendmsg4")
int wd_udp_sendmsg4(struct bpf_sock_addr *ctx)
{
	return udp_dest4(ctx);
}

SEC("cgroup/sendmsg6")
int wd_udp_sendmsg6(struct bpf_sock_addr *ctx)
{
	return udp_dest6(ctx);
}

SEC("cgroup/connect4")
int wd_udp_connect4(struct bpf_sock_addr *ctx)
{
	return udp_dest4(ctx);
}

SEC("cgroup/connect6")
int wd_udp_connect6(struct bpf_sock_addr *ctx)
{
	return udp_dest6(ctx);
}

SEC("cgroup/sock_release")
int wd_udp_release(struct bpf_sock *sk)
{
	struct wd_udp_close c = { .hdr = { .type = WD_EV_UDP_CLOSE,
					   .size = sizeof(c) } };
	__u64 cookie;

	if (sk->type != SOCK_DGRAM)
		return 1;
	cookie = bpf_get_socket_cookie(sk);
	if (!bpf_map_lookup_elem(&wd_udp_socks, &cookie))
		return 1;
	bpf_map_delete_elem(&wd_udp_socks, &cookie);
	c.hdr.ts_ns = bpf_ktime_get_boot_ns();
	c.cookie = cookie;
	bpf_ringbuf_output(&wd_events, &c, sizeof(c), wakeup_flags(sizeof(c)));
	return 1;
}
