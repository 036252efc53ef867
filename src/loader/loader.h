/* SPDX-License-Identifier: GPL-2.0-only */
/* The BPF side: choose an attach variant, load, attach, read counters. */
#ifndef WD_PROBE_H
#define WD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wd_abi.h"

struct whodunit_bpf;
struct ring_buffer;
struct wd_filter_maps;
struct bpf_link;

typedef int (*wd_event_fn)(void *ctx, void *data, size_t size);

struct wd_probe_opts {
	enum wd_variant variant; /* WD_VARIANT_NONE: the first that works */
	const char *btf_path;  /* kernel BTF file, or NULL for the running kernel's */
	uint32_t ring_bytes;   /* ring buffer size, a power of two >= page size */
	uint32_t wakeup_bytes; /* force a wakeup after this many bytes per CPU */
	const struct wd_filter_maps *filters; /* written before attaching */
	bool tcp_connect;         /* load the connect programs (of the variant) */
	bool listen_tcp;          /* net_listen: TCP listen() */
	bool listen_udp;          /* net_listen: UDP bind() */
	bool exclude_random_bind; /* net_listen: drop UDP binds to port 0 */
	bool udp_session;         /* cgroup hooks on UDP sends/connects/releases */
	wd_event_fn on_event;
	void *ctx;
};

struct wd_probe {
	struct whodunit_bpf *skel;
	struct ring_buffer *rb;
	enum wd_variant variant; /* the variant in use */
	int nprogs;        /* programs attached */
	struct bpf_link *extra; /* kprobe: the kretprobe's second attachment */
	int cgroup_fd;          /* cgroup v2 root the udp_session hooks sit on */
};


/*
 * Load and attach the first variant that works (auto) or the one asked for.
 * On failure returns a negative errno and writes why to why[].
 */
int wd_probe_start(struct wd_probe *p, const struct wd_probe_opts *o,
		   char *why, size_t whylen);
/* Replace the filter maps' contents (they must fit the sizes loaded). */
int wd_probe_set_filters(struct wd_probe *p, const struct wd_filter_maps *m);
/*
 * udp_session: take (read and delete) the kernel's counters of one
 * destination of a socket. 0, or -ENOENT when there are none.
 */
int wd_probe_udp_take(struct wd_probe *p, const struct wd_udp_key *k,
		      struct wd_udp_val *v);
/* Epoll-able descriptor of the ring buffer. */
int wd_probe_fd(const struct wd_probe *p);
/* Consume what the ring buffer holds; returns events consumed or -errno. */
int wd_probe_drain(struct wd_probe *p);
int wd_probe_counters(const struct wd_probe *p, struct wd_counters *sum);
/* Detach and unload everything. */
void wd_probe_stop(struct wd_probe *p);

#endif
