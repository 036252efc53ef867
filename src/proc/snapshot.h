/* SPDX-License-Identifier: GPL-2.0-only */
/* net_listen snapshots of the listening sockets of our network namespace. */
#ifndef WD_SNAPSHOT_H
#define WD_SNAPSHOT_H

#include <dirent.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct wd_listener {
	int family;      /* AF_INET or AF_INET6 */
	int protocol;    /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t addr[16];
	uint16_t port;
	uint32_t pid;    /* a process holding the socket */
};

typedef void (*wd_listener_fn)(void *ctx, const struct wd_listener *l);

/* Parse one line of /proc/net/{tcp,udp}[6]. 0 or -EINVAL. */
int wd_parse_proc_net_line(const char *line, int family, struct wd_listener *l,
			   unsigned int *state, unsigned long *inode);

struct wd_inode_pid {
	unsigned long inode;
	uint32_t pid;
};

/*
 * A snapshot taken a slice at a time, so that a host with many processes
 * (or a slow /proc) never holds the event loop: the /proc/PID/fd walk goes
 * on where it stopped at the next step.
 */
struct wd_snapshot {
	const char *proc_root;
	bool tcp, udp;
	DIR *dir;                   /* the walk of proc_root; NULL: none under way */
	struct wd_inode_pid *owners; /* socket inodes seen so far, one owner each */
	size_t n, cap;
};

/* Start a snapshot (ending one under way). 0 or a negative errno. */
int wd_snapshot_begin(struct wd_snapshot *s, const char *proc_root, bool tcp,
		      bool udp);
/*
 * Walk on for about budget_ns (at least one process): -EINPROGRESS while
 * the walk goes on; when it is done, fn for every listener found, the
 * snapshot ended, and how many. A negative errno (ended) on failure.
 */
int wd_snapshot_step(struct wd_snapshot *s, int64_t budget_ns, wd_listener_fn fn,
		     void *ctx);
/* Drop a snapshot under way (also fine on an ended or zeroed one). */
void wd_snapshot_end(struct wd_snapshot *s);

/* The same in one go: how many listeners, or a negative errno. */
int wd_snapshot_listeners(const char *proc_root, bool tcp, bool udp,
			  wd_listener_fn fn, void *ctx);

#endif
