/* SPDX-License-Identifier: GPL-2.0-only */
/* net_listen snapshots of the listening sockets of our network namespace. */
#ifndef WD_SNAPSHOT_H
#define WD_SNAPSHOT_H

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

/* Call fn for every listener found; returns how many, or a negative errno. */
int wd_snapshot_listeners(const char *proc_root, bool tcp, bool udp,
			  wd_listener_fn fn, void *ctx);

#endif
