/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * whodunit: the ABI shared by the BPF programs and userland.
 *
 * Fixed-width types and explicit padding only; every struct size is checked
 * at compile time on both sides. Included by bpf/ (with vmlinux.h providing
 * the __u* types) and by src/ and tests/ (with <linux/types.h>).
 */
#ifndef WD_ABI_H
#define WD_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define WD_COMM_LEN 16
/* Ancestors recorded in the kernel, the process itself included. */
#define WD_MAX_DEPTH 24

/* Event types (wd_event_hdr.type). */
enum wd_event_type {
	WD_EV_TCP_CONNECT = 1,
	WD_EV_FORK = 2, /* a new process (not a thread) */
	WD_EV_EXEC = 3, /* a process replaced its image */
	WD_EV_EXIT = 4, /* the last thread of a process exited */
	WD_EV_LISTEN = 5, /* TCP listen() or UDP bind(): wd_connect_event with
			   * saddr/sport the local address and port */
	WD_EV_UDP_DEST = 6,  /* first datagram of a UDP socket to a destination:
			      * wd_connect_event with cookie set */
	WD_EV_UDP_CLOSE = 7, /* a tracked UDP socket was released: wd_udp_close */
	WD_EV_DNS = 8,       /* a DNS answer (UDP from port 53) received: wd_dns_event */
};

/* Which attach variant produced an event (wd_event_hdr.variant). */
enum wd_variant {
	WD_VARIANT_NONE = 0,
	WD_VARIANT_FENTRY = 1,
	WD_VARIANT_KPROBE = 2,
	WD_VARIANT_TRACEPOINT = 3,
};

/* wd_connect_event.flags */
#define WD_F_TRUNCATED (1u << 0)   /* ancestry walk hit WD_MAX_DEPTH */
#define WD_F_DUAL_STACK (1u << 1)  /* listen: IPv6 [::] socket that takes IPv4 too */
#define WD_F_RANDOM_BIND (1u << 2) /* bind: port 0 asked, the kernel chose */
#define WD_F_COARSE_START (1u << 3) /* userland-made: start times to the tick */

/* One process of the ancestry, as read from its task_struct. */
struct wd_proc {
	__u64 start_ns; /* task->start_boottime: ns since boot */
	__u32 pid;      /* tgid */
	__u32 ppid;     /* tgid of real_parent */
	__u32 uid;      /* real uid */
	__u32 _pad;
	char comm[WD_COMM_LEN]; /* the thread group leader's comm */
};

struct wd_event_hdr {
	__u16 type;  /* enum wd_event_type */
	__u16 variant; /* enum wd_variant */
	__u32 size;  /* bytes of the record, header included */
	__u64 ts_ns; /* bpf_ktime_get_boot_ns() */
};

/*
 * A TCP connect. Variable length: only tree[0..depth) is sent, so the
 * record is offsetof(struct wd_connect_event, tree) + depth * sizeof(wd_proc).
 */
struct wd_connect_event {
	struct wd_event_hdr hdr;
	__u64 cgroup_id;
	__u64 cookie; /* udp_session: the socket's cookie */
	__u32 netns;  /* inode number of the network namespace */
	__u32 tid;    /* thread that called connect */
	__u32 uid;    /* real uid of that thread */
	__s32 error;  /* 0, or the negative errno the hooked function returned */
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 sport;  /* host byte order */
	__u16 dport;  /* host byte order */
	__u16 depth;  /* valid entries of tree[] */
	__u32 flags;  /* WD_F_* */
	__u8 saddr[16]; /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	char comm[WD_COMM_LEN]; /* the calling thread's comm */
	__u16 protocol;         /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 _pad;
	struct wd_proc tree[WD_MAX_DEPTH]; /* tree[0] is the caller */
};

/* wd_proc_event.flags */
#define WD_PF_ARGS_TRUNCATED (1u << 0) /* argument area longer than WD_ARGS_MAX */
#define WD_PF_PATH_TRUNCATED (1u << 1)
#define WD_PF_NO_LOGINUID (1u << 2)    /* kernel without audit: loginuid unknown */

#define WD_ARGS_MAX 4096 /* bytes of the argument area kept at exec */
#define WD_PATH_MAX 256  /* bytes of the executable path kept at exec */

/*
 * Process lifecycle record. Variable length: exec records carry the path
 * (WD_PATH_MAX bytes, NUL-terminated) then args_len bytes of the argument
 * area (NUL-separated); fork and exit records stop at data.
 */
struct wd_proc_event {
	struct wd_event_hdr hdr;
	__u64 start_ns;        /* this process's start_boottime */
	__u64 parent_start_ns; /* fork: the parent process's start_boottime */
	__u32 pid;             /* tgid */
	__u32 ppid;            /* fork: tgid of the parent (real_parent) */
	__u32 uid;
	__u32 loginuid;        /* (__u32)-1 when unset */
	__u32 flags;           /* WD_PF_* */
	__u16 args_len;
	__u16 _pad;
	char comm[WD_COMM_LEN];
	char data[WD_PATH_MAX + WD_ARGS_MAX];
};

#define WD_PROC_EVENT_FIXED 72u

/* Per-CPU counters (map wd_counters), summed by userland. */
struct wd_counters {
	__u64 seen;     /* connects the hooks saw */
	__u64 filtered; /* dropped in the kernel by the filters */
	__u64 emitted;  /* written to the ring buffer */
	__u64 dropped;  /* lost because the ring buffer was full */
	__u64 proc_dropped; /* fork/exec/exit records lost (ring full) */
	__u64 udp_map_full; /* udp_session: a wd_udp_dests or wd_udp_socks update
			     * failed (not counted, no session for it) */
	__u64 udp_close_lost; /* udp_session: release records lost (ring full);
			       * those sessions end at session_max_duration */
	__u64 dns_captured; /* dns: answers put in the ring buffer */
	__u64 dns_lost;     /* dns: answers lost (ring buffer full) */
	__u64 dns_unknown;  /* dns: answers on a socket no query was seen from
			     * (opened before the agent, or its entry evicted) */
	__u64 rule_dropped;     /* dropped in the kernel by a rule's per-process verdict */
	__u64 flood_suppressed; /* connects over repeat_limit's burst: counted in
				 * wd_flood, not written (summed by userland) */
	__u64 container_filtered; /* of filtered: left out by container_labels */
};

/* Cgroups container_labels can allow at once (map wd_ctr_allow). */
#define WD_CTR_ALLOW_MAX 16384

/* Per-CPU ring-buffer wakeup state (map wd_wakeup). */
struct wd_wakeup_state {
	__u64 bytes_since_wakeup;
};

#define WD_CONNECT_EVENT_FIXED 112u

/* Key and value of the kernel's per-destination UDP counters (wd_udp_dests). */
struct wd_udp_key {
	__u64 cookie;
	__u8 addr[16];
	__u16 port;
	__u16 family;
	__u32 _pad;
};

struct wd_udp_val {
	__u64 first_ns; /* bpf_ktime_get_boot_ns() of the first datagram */
	__u64 last_ns;
	__u64 count;    /* datagrams sent with this destination */
};

/* Kernel counter slots of the rules (map wd_rule_hits): one per rule. */
#define WD_RULE_SLOTS 256
#define WD_VERDICTS_MAX 65536 /* processes with a verdict (map wd_verdicts) */
#define WD_FLOOD_MAX 32768    /* (process, destination) keys of flood control */

/*
 * A rule's verdict on a process (map wd_verdicts, key: its tgid): drop its
 * events of `probes` (1 << WD_PROBE_*), counted in slot. start_ns tells a
 * reused pid from the process the verdict is for.
 */
struct wd_verdict {
	__u64 start_ns;
	__u32 slot;
	__u32 probes;
};

/* A process: tgid and start time (wd_flood_procs). */
struct wd_proc_key {
	__u32 tgid;
	__u32 _pad;
	__u64 start_ns;
};

/* Flood control (map wd_flood): one process and destination. */
struct wd_flood_key {
	__u64 start_ns; /* the process's start_boottime */
	__u8 addr[16];  /* destination */
	__u32 tgid;
	__u16 port;
	__u16 family;
};

struct wd_flood_val {
	__u64 emitted;    /* written since userland last took the key */
	__u64 suppressed; /* over the burst: counted, not written */
	__u64 first_ns;   /* boot time of the first suppressed one */
	__u64 last_ns;
};

struct wd_udp_close {
	struct wd_event_hdr hdr;
	__u64 cookie;
};

/*
 * A DNS answer: the UDP payload from port 53 as received, cut at
 * WD_DNS_MAX bytes. Variable length: WD_DNS_EVENT_FIXED + len bytes. The
 * receiver is the process that last sent a query (to port 53) on the
 * socket; the kernel decides nothing about names.
 */
#define WD_DNS_MAX 512

/* What the kernel knows of a socket that sent a DNS query (wd_dns_socks). */
struct wd_dns_sock {
	__u64 start_ns; /* the sender's process start_boottime */
	__u32 pid;      /* its tgid */
	__u32 netns;    /* inode of its network namespace */
};

struct wd_dns_event {
	struct wd_event_hdr hdr;
	__u64 cookie;
	__u64 start_ns;  /* the querying process's start_boottime */
	__u32 pid;       /* its tgid */
	__u32 netns;
	__u32 uid;       /* the socket's owner */
	__u32 wire_len;  /* bytes of the UDP payload (may exceed len) */
	__u16 family;    /* AF_INET or AF_INET6 (of the packet) */
	__u16 sport;     /* 53 */
	__u16 len;       /* bytes in data[] */
	__u16 _pad;
	__u8 saddr[16];  /* the server's address (IPv4 in the first 4 bytes) */
	__u64 cgroup_id; /* cgroup v2 id of the receiving socket */
	__u8 data[WD_DNS_MAX];
};

#define WD_DNS_EVENT_FIXED 80u

_Static_assert(sizeof(struct wd_proc) == 40, "wd_proc ABI");
_Static_assert(sizeof(struct wd_event_hdr) == 16, "wd_event_hdr ABI");
_Static_assert(__builtin_offsetof(struct wd_connect_event, tree) ==
		       WD_CONNECT_EVENT_FIXED,
	       "wd_connect_event ABI");
_Static_assert(sizeof(struct wd_connect_event) ==
		       WD_CONNECT_EVENT_FIXED + WD_MAX_DEPTH * 40,
	       "wd_connect_event ABI");
_Static_assert(sizeof(struct wd_counters) == 104, "wd_counters ABI");
_Static_assert(sizeof(struct wd_verdict) == 16, "wd_verdict ABI");
_Static_assert(sizeof(struct wd_flood_key) == 32, "wd_flood_key ABI");
_Static_assert(sizeof(struct wd_flood_val) == 32, "wd_flood_val ABI");
_Static_assert(sizeof(struct wd_proc_key) == 16, "wd_proc_key ABI");
_Static_assert(sizeof(struct wd_udp_key) == 32, "wd_udp_key ABI");
_Static_assert(sizeof(struct wd_udp_close) == 24, "wd_udp_close ABI");
_Static_assert(__builtin_offsetof(struct wd_proc_event, data) == WD_PROC_EVENT_FIXED,
	       "wd_proc_event ABI");

_Static_assert(sizeof(struct wd_dns_sock) == 16, "wd_dns_sock ABI");
_Static_assert(__builtin_offsetof(struct wd_dns_event, data) == WD_DNS_EVENT_FIXED,
	       "wd_dns_event ABI");
_Static_assert(sizeof(struct wd_dns_event) == WD_DNS_EVENT_FIXED + WD_DNS_MAX,
	       "wd_dns_event ABI");

#endif /* WD_ABI_H */
