/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tcp_connect: TCP connect over IPv4 and IPv6.
 *
 * Three attach variants of the same logic; userland keeps exactly one:
 *   fentry     fexit on tcp_v4_connect / tcp_v6_connect
 *   kprobe     kprobe + kretprobe on the same functions
 *   tracepoint syscalls:sys_enter_connect + sys_exit_connect
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

/* A connect(2) that passed the filters, kept by its entry for its exit. */
struct wd_conn_stash {
	__u64 sk; /* struct sock * */
	__u16 family;
	__u16 dport;
	__u8 daddr[16];
	__u32 _pad;
};

WD_TID_STASH(wd_conn_stash, struct wd_conn_stash);

/*
 * connect(2) entry: everything but the outcome is known here, so the
 * filters decide now and a filtered connect leaves no state behind.
 */
SEC("tracepoint/syscalls/sys_enter_connect")
int wd_tp_sys_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	struct wd_conn_stash s = {};

	if (user_sockaddr((void *)ctx->args[1], (long)ctx->args[2], &s.family,
			  s.daddr, &s.dport))
		return 0;
	/*
	 * Filters first: they need only the destination, and the descriptor
	 * walk below costs more than they do. So with this variant, seen and
	 * filtered also count connect(2) calls of non-TCP inet sockets.
	 */
	if (seen_and_filtered(WD_PROBE_TCP_CONNECT, s.family, s.daddr, s.dport))
		return 0;
	s.sk = (__u64)fd_to_sock((int)ctx->args[0], s.family, IPPROTO_TCP,
				 SOCK_STREAM);
	if (s.sk)
		tid_stash(&wd_conn_stash, &s);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int wd_tp_sys_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	struct wd_conn_stash s;
	int ret = (int)ctx->ret;

	if (tid_take(&wd_conn_stash, &s, sizeof(s)))
		return 0;
	if (ret == -EINPROGRESS)
		ret = 0;
	return connect_submit(WD_VARIANT_TRACEPOINT, s.family, s.daddr, s.dport,
			      (struct sock *)s.sk, ret);
}

#endif /* WD_PROBES_TCP_CONNECT_H */
