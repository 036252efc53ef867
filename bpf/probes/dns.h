/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dns: DNS answers (UDP from port 53) as received by the sockets that asked.
 *
 * Two halves. On the query side, cgroup sendmsg/connect programs note each
 * UDP socket that sends to port 53 with the process that sent (its tgid,
 * start time, network namespace) in wd_dns_socks, keyed by the socket's
 * cookie. On the answer side, a cgroup_skb/ingress program on the same
 * cgroup v2 root copies the UDP payload of each datagram from port 53 that
 * reaches one of those sockets (up to WD_DNS_MAX bytes) into the ring: in
 * softirq there is no current task, the socket names the receiver.
 * Nothing is decided about names here: userland parses.
 *
 * Cost: a UDP packet not from port 53 costs two small loads from the skb;
 * TCP costs a protocol check; a host making no DNS lookups has nothing in
 * wd_dns_socks and sends nothing. TCP DNS and IPv6 extension headers are
 * not looked at.
 */
#ifndef WD_PROBES_DNS_H
#define WD_PROBES_DNS_H

#include "lib/maps.h"
#include "lib/ancestry.h"

#define WD_DNS_PORT 53
#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#endif
#ifndef ETH_P_IPV6
#define ETH_P_IPV6 0x86DD
#endif

/* Sockets that sent a query: cookie -> who sent it (LRU: never full). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct wd_dns_sock);
} wd_dns_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wd_dns_event);
} wd_dns_scratch SEC(".maps");

/* A UDP socket sends to (or connects to) port 53: remember who. */
static __always_inline int dns_query(struct wd_sock_addr_ctx *ctx)
{
	struct task_struct *t;
	struct wd_dns_sock v;
	__u64 cookie;

	if (ctx->type != SOCK_DGRAM ||
	    bpf_ntohs((__u16)ctx->user_port) != WD_DNS_PORT)
		return 1;
	t = (struct task_struct *)bpf_get_current_task();
	v.pid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	v.start_ns = BPF_CORE_READ(t, group_leader, start_boottime);
	v.netns = current_netns(false);
	cookie = bpf_get_socket_cookie(ctx);
	bpf_map_update_elem(&wd_dns_socks, &cookie, &v, BPF_ANY);
	return 1;
}

SEC("cgroup/sendmsg4")
int wd_dns_sendmsg4(struct wd_sock_addr_ctx *ctx)
{
	return dns_query(ctx);
}

SEC("cgroup/sendmsg6")
int wd_dns_sendmsg6(struct wd_sock_addr_ctx *ctx)
{
	return dns_query(ctx);
}

SEC("cgroup/connect4")
int wd_dns_connect4(struct wd_sock_addr_ctx *ctx)
{
	return dns_query(ctx);
}

SEC("cgroup/connect6")
int wd_dns_connect6(struct wd_sock_addr_ctx *ctx)
{
	return dns_query(ctx);
}

/*
 * The IP protocol of the packet (the skb starts at the network header):
 * read in place from the linear part when it holds the header (no helper
 * call: the path every packet takes), else copied out.
 */
static __always_inline int ip_protocol(struct wd_skb_ctx *skb, __u32 at)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 proto;

	if (data + 40 <= end)
		return ((__u8 *)data)[at & 15];
	if (bpf_skb_load_bytes(skb, at, &proto, 1))
		return -1;
	return proto;
}

/*
 * Offset of the UDP header of a datagram from port 53 (the skb starts at
 * the network header here), with the server's address in saddr; or -1.
 */
static __always_inline int dns_udp_offset(struct wd_skb_ctx *skb, __u16 *family,
					  __u8 saddr[16])
{
	__u8 ip[20];
	__u16 sport;
	int off;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (ip_protocol(skb, 9) != IPPROTO_UDP || bpf_skb_load_bytes(skb, 0, ip, 20))
			return -1;
		off = (ip[0] & 0xf) * 4;
		*family = AF_INET;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (ip_protocol(skb, 6) != IPPROTO_UDP)
			return -1;
		off = 40;
		*family = AF_INET6;
	} else {
		return -1;
	}
	if (bpf_skb_load_bytes(skb, off, &sport, 2) || bpf_ntohs(sport) != WD_DNS_PORT)
		return -1;
	__builtin_memset(saddr, 0, 16);
	if (*family == AF_INET)
		__builtin_memcpy(saddr, &ip[12], 4);
	else if (bpf_skb_load_bytes(skb, 8, saddr, 16))
		return -1;
	return off;
}

/* Copy the payload after off and send it; 0, or -1 when it was lost. */
static __always_inline int dns_send(struct wd_skb_ctx *skb, struct wd_dns_event *e,
				    int off)
{
	__u64 skb_len = skb->len, hdrs = (__u64)off + 8, wire, len, n;

	wire = skb_len > hdrs ? skb_len - hdrs : 0;
	len = wire < WD_DNS_MAX ? wire : WD_DNS_MAX;
	asm volatile("" : "+r"(len)); /* (the verifier sees this bound) */
	if (len > WD_DNS_MAX)
		return 0;
	/*
	 * The size passed to bpf_skb_load_bytes() must be proven >= 1, and the
	 * verifiers of 5.10 and 6.1 (not 6.12) learn no lower bound from
	 * "len != 0": they rejected the program (EACCES, "invalid access to map
	 * value ... size=0"). So bound len - 1 (it wraps for len 0) by an
	 * unsigned compare, which every verifier follows, and pass that + 1.
	 */
	n = len - 1;
	asm volatile("" : "+r"(n)); /* (keeps clang from folding it into "len != 0") */
	if (n < WD_DNS_MAX && bpf_skb_load_bytes(skb, off + 8, e->data, n + 1))
		return 0;
	e->wire_len = (__u32)wire;
	e->len = (__u16)len;
	e->hdr.size = WD_DNS_EVENT_FIXED + len;
	return ringbuf_output(e, WD_DNS_EVENT_FIXED + len) ? -1 : 0;
}

SEC("cgroup_skb/ingress")
int wd_dns_ingress(struct wd_skb_ctx *skb)
{
	struct wd_dns_sock *who;
	struct wd_counters *c;
	struct wd_dns_event *e;
	__u32 zero = 0;
	__u64 cookie;
	__u16 family;
	__u8 saddr[16];
	int off;

	off = dns_udp_offset(skb, &family, saddr);
	if (off < 0)
		return 1;
	c = counters();
	cookie = bpf_get_socket_cookie(skb);
	who = bpf_map_lookup_elem(&wd_dns_socks, &cookie);
	if (!who) {
		if (c)
			c->dns_unknown++;
		return 1;
	}
	e = bpf_map_lookup_elem(&wd_dns_scratch, &zero);
	if (!e)
		return 1;
	e->hdr.type = WD_EV_DNS;
	e->hdr.variant = WD_VARIANT_NONE;
	e->hdr.ts_ns = bpf_ktime_get_boot_ns();
	e->cookie = cookie;
	e->start_ns = who->start_ns;
	e->pid = who->pid;
	e->netns = who->netns;
	e->uid = bpf_get_socket_uid((void *)skb);
	e->family = family;
	e->sport = WD_DNS_PORT;
	e->_pad = 0;
	__builtin_memcpy(e->saddr, saddr, 16);
	e->cgroup_id = bpf_skb_cgroup_id((void *)skb);
	if (dns_send(skb, e, off)) {
		if (c)
			c->dns_lost++;
	} else if (c) {
		c->dns_captured++;
	}
	return 1;
}

#endif /* WD_PROBES_DNS_H */
