/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Addresses: a destination from a kernel or a user struct sockaddr, the
 * local address of a socket. Addresses are 16 bytes, IPv4 in the first 4;
 * ports in host byte order.
 */
#ifndef WD_LIB_SOCKADDR_H
#define WD_LIB_SOCKADDR_H

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define SOCK_STREAM 1
#define SOCK_DGRAM 2

/* From a kernel struct sockaddr of the given family. */
static __always_inline void read_sockaddr(struct sockaddr *uaddr, __u16 family,
					  __u8 *addr, __u16 *port)
{
	__be16 p = 0;

	__builtin_memset(addr, 0, 16);
	if (family == AF_INET) {
		struct wd_sockaddr_in *in = (struct wd_sockaddr_in *)uaddr;

		bpf_probe_read_kernel(addr, 4, &in->addr);
		bpf_probe_read_kernel(&p, sizeof(p), &in->port);
	} else {
		struct wd_sockaddr_in6 *in6 = (struct wd_sockaddr_in6 *)uaddr;

		bpf_probe_read_kernel(addr, 16, in6->addr);
		bpf_probe_read_kernel(&p, sizeof(p), &in6->port);
	}
	*port = bpf_ntohs(p);
}

/*
 * From a user struct sockaddr of len bytes; 0 when it is IPv4 or IPv6.
 * An IPv4 address fills only the first 4 bytes of addr: zero it first.
 */
static __always_inline int user_sockaddr(void *uaddr, long len, __u16 *family,
					 __u8 *addr, __u16 *port)
{
	struct wd_sockaddr_in6 sa = {};

	if (len < (long)sizeof(struct wd_sockaddr_in))
		return -1;
	if (len > (long)sizeof(sa))
		len = sizeof(sa);
	if (bpf_probe_read_user(&sa, len & 0x1f, uaddr))
		return -1;
	if (sa.family == AF_INET) {
		struct wd_sockaddr_in *in = (struct wd_sockaddr_in *)&sa;

		__builtin_memcpy(addr, &in->addr, 4);
		*port = bpf_ntohs(in->port);
	} else if (sa.family == AF_INET6 && len >= (long)sizeof(sa)) {
		__builtin_memcpy(addr, sa.addr, 16);
		*port = bpf_ntohs(sa.port);
	} else {
		return -1;
	}
	*family = sa.family;
	return 0;
}

/*
 * The local address and port of a family socket, as it holds them now.
 * Address first: family need not live across the port's read (in
 * wd_submit(), a spill in every event).
 */
static __always_inline void sock_source(struct sock *sk, __u16 family,
					__u8 *addr, __u16 *port)
{
	if (family == AF_INET)
		bpf_core_read(addr, 4, &sk->__sk_common.skc_rcv_saddr);
	else
		bpf_core_read(addr, 16, &sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
	*port = BPF_CORE_READ(sk, __sk_common.skc_num);
}

#endif /* WD_LIB_SOCKADDR_H */
