/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * udp_session: cgroup hooks on UDP sends, connects and releases. The kernel
 * counts datagrams per socket and destination (wd_udp_dests); userland
 * reports a socket's destinations when it is released.
 *
 * Both maps are LRU: neither can fill up and switch the probe off. A
 * destination entry exists only while userland got (or will get) its
 * record: if the record is lost the entry is deleted again, so the next
 * datagram tries once more. Entries userland never takes (its session
 * table was full, or it fell behind) are evicted by the LRU or deleted by
 * userland's periodic sweep. Failed updates are counted (udp_map_full).
 */
#ifndef WD_PROBES_UDP_SESSION_H
#define WD_PROBES_UDP_SESSION_H

#include "lib/emit.h"
#include "lib/filter.h"
#include "lib/sockaddr.h"

#ifndef EEXIST
#define EEXIST 17
#endif

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
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
static __always_inline int udp_dest(struct wd_sock_addr_ctx *ctx, __u16 family,
				    const __u8 *addr, __u16 port)
{
	struct wd_emit ev = {
		.type = WD_EV_UDP_DEST,
		.variant = WD_VARIANT_NONE,
		.protocol = IPPROTO_UDP,
		.family = family,
		.daddr = addr,
		.dport = port,
		.tracing = false, /* a cgroup program */
	};
	struct wd_counters *c;
	struct wd_udp_val *v, nv;
	struct wd_udp_key *k;
	__u64 now, cookie;
	__u32 zero = 0;
	__u8 one = 1;
	long err;

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
	if (seen_and_filtered(WD_PROBE_UDP_SESSION, family, addr, port))
		return 1;
	nv = (struct wd_udp_val){ .first_ns = now, .last_ns = now, .count = 1 };
	err = bpf_map_update_elem(&wd_udp_dests, k, &nv, BPF_NOEXIST);
	if (err) {
		c = counters();
		if (c && err != -EEXIST) /* (EEXIST: another CPU added it) */
			c->udp_map_full++;
		return 1;
	}
	ev.cookie = cookie;
	if (wd_submit_rc(&ev)) { /* lost (counted): the next datagram tries again */
		bpf_map_delete_elem(&wd_udp_dests, k);
		return 1;
	}
	/* (after the record: a socket userland never heard of sends no release) */
	if (bpf_map_update_elem(&wd_udp_socks, &cookie, &one, BPF_ANY)) {
		c = counters(); /* its session ends at session_max_duration */
		if (c)
			c->udp_map_full++;
	}
	return 1;
}

static __always_inline int udp_dest4(struct wd_sock_addr_ctx *ctx)
{
	__u8 addr[16] = {};
	__u32 ip = ctx->user_ip4;

	__builtin_memcpy(addr, &ip, 4);
	return udp_dest(ctx, AF_INET, addr, bpf_ntohs((__u16)ctx->user_port));
}

static __always_inline int udp_dest6(struct wd_sock_addr_ctx *ctx)
{
	__u32 ip[4];

	ip[0] = ctx->user_ip6[0];
	ip[1] = ctx->user_ip6[1];
	ip[2] = ctx->user_ip6[2];
	ip[3] = ctx->user_ip6[3];
	return udp_dest(ctx, AF_INET6, (const __u8 *)ip,
			bpf_ntohs((__u16)ctx->user_port));
}

SEC("cgroup/sendmsg4")
int wd_udp_sendmsg4(struct wd_sock_addr_ctx *ctx)
{
	return udp_dest4(ctx);
}

SEC("cgroup/sendmsg6")
int wd_udp_sendmsg6(struct wd_sock_addr_ctx *ctx)
{
	return udp_dest6(ctx);
}

SEC("cgroup/connect4")
int wd_udp_connect4(struct wd_sock_addr_ctx *ctx)
{
	return udp_dest4(ctx);
}

SEC("cgroup/connect6")
int wd_udp_connect6(struct wd_sock_addr_ctx *ctx)
{
	return udp_dest6(ctx);
}

SEC("cgroup/sock_release")
int wd_udp_release(struct wd_sock_ctx *sk)
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
	if (ringbuf_output(&c, sizeof(c))) {
		struct wd_counters *n = counters();

		if (n) /* the session ends at session_max_duration instead */
			n->udp_close_lost++;
	}
	return 1;
}

#endif /* WD_PROBES_UDP_SESSION_H */
