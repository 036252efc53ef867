/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Layouts that are ABI and so never move: the sockaddrs, x86-64's saved
 * registers, the syscall tracepoints' records, the contexts of cgroup
 * programs (only the fields read here, at their UAPI offsets). Declared
 * after vmlinux.h, they carry no preserve_access_index: reading them needs
 * no CO-RE relocation, and libbpf no scan of the kernel's BTF for each
 * (about a millisecond per type at start-up).
 */
#ifndef WD_LIB_ABI_H
#define WD_LIB_ABI_H

struct wd_sockaddr_in {
	__u16 family;
	__be16 port;
	__be32 addr;
	__u8 zero[8];
};

struct wd_sockaddr_in6 {
	__u16 family;
	__be16 port;
	__be32 flowinfo;
	__u8 addr[16];
	__u32 scope_id;
};

/* arch/x86/include/asm/ptrace.h, x86-64 */
struct wd_pt_regs {
	__u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	__u64 ax, cx, dx, si, di, orig_ax;
	__u64 ip, cs, flags, sp, ss;
};

/* tracepoint/syscalls/sys_enter_* and sys_exit_* (after the 8-byte header) */
struct wd_sys_enter_ctx {
	__u64 header;
	long id;
	unsigned long args[6];
};

struct wd_sys_exit_ctx {
	__u64 header;
	long id;
	long ret;
};

/* struct bpf_sock_addr: cgroup/connect and sendmsg programs */
struct wd_sock_addr_ctx {
	__u32 user_family;
	__u32 user_ip4;
	__u32 user_ip6[4];
	__u32 user_port;
	__u32 family;
	__u32 type;
	__u32 protocol;
};

/* struct bpf_sock: cgroup/sock_release */
struct wd_sock_ctx {
	__u32 bound_dev_if;
	__u32 family;
	__u32 type;
	__u32 protocol;
};

/* struct __sk_buff: cgroup_skb */
struct wd_skb_ctx {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
	__u32 queue_mapping;
	__u32 protocol;
	__u32 skip[14];		/* vlan_present .. tc_classid */
	__u32 data;
	__u32 data_end;
};

/* Each the same as the build's vmlinux.h (the kernel's UAPI) says. */
#define WD_SAME_OFF(a, fa, b, fb) \
	_Static_assert(__builtin_offsetof(a, fa) == __builtin_offsetof(b, fb), #b "." #fb)
WD_SAME_OFF(struct sockaddr_in, sin_port, struct wd_sockaddr_in, port);
WD_SAME_OFF(struct sockaddr_in, sin_addr, struct wd_sockaddr_in, addr);
WD_SAME_OFF(struct sockaddr_in6, sin6_port, struct wd_sockaddr_in6, port);
WD_SAME_OFF(struct sockaddr_in6, sin6_addr, struct wd_sockaddr_in6, addr);
_Static_assert(sizeof(struct sockaddr_in6) == sizeof(struct wd_sockaddr_in6), "sockaddr_in6");
WD_SAME_OFF(struct pt_regs, dx, struct wd_pt_regs, dx);
WD_SAME_OFF(struct pt_regs, si, struct wd_pt_regs, si);
WD_SAME_OFF(struct pt_regs, di, struct wd_pt_regs, di);
WD_SAME_OFF(struct pt_regs, orig_ax, struct wd_pt_regs, orig_ax);
_Static_assert(sizeof(struct pt_regs) == sizeof(struct wd_pt_regs), "pt_regs");
WD_SAME_OFF(struct trace_event_raw_sys_enter, args, struct wd_sys_enter_ctx, args);
WD_SAME_OFF(struct trace_event_raw_sys_exit, ret, struct wd_sys_exit_ctx, ret);
WD_SAME_OFF(struct bpf_sock_addr, user_ip4, struct wd_sock_addr_ctx, user_ip4);
WD_SAME_OFF(struct bpf_sock_addr, user_ip6, struct wd_sock_addr_ctx, user_ip6);
WD_SAME_OFF(struct bpf_sock_addr, user_port, struct wd_sock_addr_ctx, user_port);
WD_SAME_OFF(struct bpf_sock_addr, type, struct wd_sock_addr_ctx, type);
WD_SAME_OFF(struct bpf_sock, type, struct wd_sock_ctx, type);
WD_SAME_OFF(struct __sk_buff, len, struct wd_skb_ctx, len);
WD_SAME_OFF(struct __sk_buff, protocol, struct wd_skb_ctx, protocol);
WD_SAME_OFF(struct __sk_buff, data, struct wd_skb_ctx, data);
WD_SAME_OFF(struct __sk_buff, data_end, struct wd_skb_ctx, data_end);
#undef WD_SAME_OFF

#endif /* WD_LIB_ABI_H */
