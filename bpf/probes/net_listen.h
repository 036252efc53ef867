/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * net_listen: TCP listen() (tracepoint sock:inet_sock_set_state) and UDP
 * bind() (syscalls:sys_enter_bind + sys_exit_bind). The filters take the
 * local address and port; the event has them as its source.
 */
#ifndef WD_PROBES_NET_LISTEN_H
#define WD_PROBES_NET_LISTEN_H

#include "lib/emit.h"
#include "lib/fd_sock.h"
#include "lib/filter.h"
#include "lib/sockaddr.h"
#include "lib/tid_stash.h"

#define TCP_LISTEN 10

/* A bind(2) of a UDP socket, kept by its entry for its exit. */
struct wd_bind_stash {
	__u64 sk;     /* struct sock * */
	__u16 family;
	__u16 port;   /* as asked: 0 lets the kernel choose */
	__u32 _pad;
};

WD_TID_STASH(wd_bind_stash, struct wd_bind_stash);

/* Socket sk listens (TCP) or is bound (UDP) at laddr:port: filter, then submit. */
static __always_inline int listen_submit(__u16 family, const __u8 *laddr,
					 __u16 port, struct sock *sk,
					 __u16 protocol, __u32 flags)
{
	struct wd_emit ev = {
		.type = WD_EV_LISTEN,
		.variant = WD_VARIANT_TRACEPOINT,
		.protocol = protocol,
		.tracing = true,
		.family = family,
		.flags = flags,
		.sk = sk,
	};

	if (seen_and_filtered(WD_PROBE_NET_LISTEN, family, laddr, port))
		return 0;
	if (family == AF_INET6 && !((const __u64 *)laddr)[0] &&
	    !((const __u64 *)laddr)[1]) {
		struct sock_common *skc = &sk->__sk_common;

		if (!BPF_CORE_READ_BITFIELD_PROBED(skc, skc_ipv6only))
			ev.flags |= WD_F_DUAL_STACK;
	}
	return wd_submit(&ev);
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
	return listen_submit(family, laddr, ctx->sport, (struct sock *)ctx->skaddr,
			     IPPROTO_TCP, 0);
}

SEC("tracepoint/syscalls/sys_enter_bind")
int wd_tp_sys_enter_bind(struct wd_sys_enter_ctx *ctx)
{
	struct wd_bind_stash s = {};
	__u8 addr[16];

	if (user_sockaddr((void *)ctx->args[1], (long)ctx->args[2], &s.family,
			  addr, &s.port))
		return 0;
	s.sk = (__u64)fd_to_sock((int)ctx->args[0], s.family, IPPROTO_UDP);
	if (s.sk)
		tid_stash(&wd_bind_stash, &s);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int wd_tp_sys_exit_bind(struct wd_sys_exit_ctx *ctx)
{
	struct wd_bind_stash s;
	__u8 laddr[16] = {};
	__u32 flags = 0;
	__u16 port;

	if (tid_take(&wd_bind_stash, &s, sizeof(s)))
		return 0;
	if (s.port == 0)
		flags |= WD_F_RANDOM_BIND;
	if (ctx->ret != 0)
		return 0;
	if ((flags & WD_F_RANDOM_BIND) && exclude_random_bind)
		return 0;
	sock_source((struct sock *)s.sk, s.family, laddr, &port);
	return listen_submit(s.family, laddr, port, (struct sock *)s.sk,
			     IPPROTO_UDP, flags);
}

#endif /* WD_PROBES_NET_LISTEN_H */
