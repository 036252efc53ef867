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
	__builtin_memset(addr, 0, 16);
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)uaddr;

		/* Explicit sizes: BPF_CORE_READ_INTO copies sizeof(*addr) == 1. */
		bpf_core_read(addr, 4, &in->sin_addr.s_addr);
		*port = bpf_ntohs(BPF_CORE_READ(in, sin_port));
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)uaddr;

		bpf_core_read(addr, 16, &in6->sin6_addr.in6_u.u6_addr8);
		*port = bpf_ntohs(BPF_CORE_READ(in6, sin6_port));
	}
}

/*
 * From a user struct sockaddr of len bytes; 0 when it is IPv4 or IPv6.
 * An IPv4 address fills only the first 4 bytes of addr: zero it first.
 */
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
