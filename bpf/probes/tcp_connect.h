/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tcp_connect: TCP connect over IPv4 and IPv6.
 *
 * Three attach variants of the same logic; userland keeps exactly one:
 *   fentry     fexit on tcp_v4_connect / tcp_v6_connect
 *   kprobe     kprobe + kretprobe on the same functions
 *   tracepoint syscalls:sys_exit_connect (arguments from the saved registers)
 * Each ends in connect_submit(): wd_submit() walks the ancestry and writes
 * one record to the ring buffer.
 */
#ifndef WD_PROBES_TCP_CONNECT_H
#define WD_PROBES_TCP_CONNECT_H

#include "lib/emit.h"
#include "lib/fd_sock.h"
#include "lib/filter.h"
#include "lib/sockaddr.h"
#include "lib/tid_stash.h"

#define EINPROGRESS 115

/* The event of a connect from sk that returned err (it passed the filters). */
static __always_inline int connect_submit(__u16 variant, __u16 family,
					  const __u8 *daddr, __u16 dport,
					  struct sock *sk, int err)
{
	struct wd_emit ev = {
		.type = WD_EV_TCP_CONNECT,
		.variant = variant,
		.protocol = IPPROTO_TCP,
		.tracing = true,
		.family = family,
		.daddr = daddr,
		.dport = dport,
		.error = err,
		.sk = sk,
	};

	return wd_submit(&ev);
}

/*
 * A v4-mapped connect on an IPv6 socket runs tcp_v6_connect, which calls
 * tcp_v4_connect: report it once, from the IPv6 hook.
 */
static __always_inline int connect_done(__u16 variant, __u16 family,
					struct sock *sk, struct sockaddr *uaddr,
					int ret)
{
	__u8 daddr[16];
	__u16 dport = 0;

	if (family == AF_INET && BPF_CORE_READ(sk, __sk_common.skc_family) != AF_INET)
		return 0;
	read_sockaddr(uaddr, family, daddr, &dport);
	if (seen_and_filtered(WD_PROBE_TCP_CONNECT, family, daddr, dport))
		return 0;
	return connect_submit(variant, family, daddr, dport, sk, ret);
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

/* The arguments of tcp_v{4,6}_connect, kept by the kprobe for the kretprobe. */
struct wd_kprobe_args {
	__u64 sk;    /* struct sock * */
	__u64 uaddr; /* kernel struct sockaddr * */
	__u16 family;
	__u16 _pad[3];
};

WD_TID_STASH(wd_kprobe_args, struct wd_kprobe_args);

static __always_inline int kprobe_enter(struct sock *sk, struct sockaddr *uaddr,
					__u16 family)
{
	struct wd_kprobe_args a = {
		.sk = (__u64)sk,
		.uaddr = (__u64)uaddr,
		.family = family,
	};

	tid_stash(&wd_kprobe_args, &a);
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
	struct wd_kprobe_args a;

	if (tid_take(&wd_kprobe_args, &a, sizeof(a)))
		return 0;
	return connect_done(WD_VARIANT_KPROBE, a.family, (struct sock *)a.sk,
			    (struct sockaddr *)a.uaddr, ret);
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

/*
 * x86-64: the user registers a syscall saved sit at the top of the task's
 * kernel stack (THREAD_SIZE 16 KiB, no padding), where bpf_task_pt_regs()
 * (Linux 5.15+) finds them too.
 */
#define WD_THREAD_SIZE (16 * 1024)
#define WD_NR_CONNECT 42

/* connect(2)'s arguments, in pt_regs order: dx, si, di, orig_ax */
struct wd_connect_regs {
	__u64 addrlen;
	__u64 uaddr;
	__u64 fd;
	__u64 nr;
};

/* The arguments of the connect(2) the current task returns from; 0 or -1. */
static __always_inline int connect_args(struct wd_connect_regs *a)
{
	struct task_struct *t;
	struct wd_pt_regs *regs;

	if (task_pt_regs && task_btf) {
		/* a BTF pointer: direct loads, no helper call per field */
		regs = (struct wd_pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
		a->addrlen = regs->dx;
		a->uaddr = regs->si;
		a->fd = regs->di;
		a->nr = regs->orig_ax;
	} else {
		t = (struct task_struct *)bpf_get_current_task();
		regs = (struct wd_pt_regs *)(BPF_CORE_READ(t, stack) + WD_THREAD_SIZE) - 1;
		if (bpf_probe_read_kernel(a, sizeof(*a), &regs->dx))
			return -1;
	}
	return a->nr == WD_NR_CONNECT ? 0 : -1;
}

/*
 * One program, at the return of connect(2): the arguments are read back
 * from the registers the syscall saved, so a connect needs no entry program
 * and no per-thread state, and a filtered one costs one program run. The
 * filters decide on the caller's sockaddr before the descriptor walk. So
 * with this variant, seen and filtered also count connect(2) calls of
 * non-TCP inet sockets.
 */
SEC("tracepoint/syscalls/sys_exit_connect")
int wd_tp_sys_exit_connect(struct wd_sys_exit_ctx *ctx)
{
	struct wd_connect_regs a;
	struct sock *sk;
	__u16 family, dport = 0;
	__u8 daddr[16] = {};
	int ret = (int)ctx->ret;

	if (connect_args(&a) ||
	    user_sockaddr((void *)a.uaddr, (long)a.addrlen, &family, daddr, &dport))
		return 0;
	if (seen_and_filtered(WD_PROBE_TCP_CONNECT, family, daddr, dport))
		return 0;
	sk = fd_to_sock((int)a.fd, family, IPPROTO_TCP);
	if (!sk)
		return 0;
	if (ret == -EINPROGRESS)
		ret = 0;
	return connect_submit(WD_VARIANT_TRACEPOINT, family, daddr, dport, sk, ret);
}

#endif /* WD_PROBES_TCP_CONNECT_H */
