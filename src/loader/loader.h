/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The BPF side: choose the attach variant of tcp_connect, load the one
 * skeleton with the programs of the configured probes, attach them, hand
 * ring-buffer records to a callback, read counters.
 */
#ifndef WD_LOADER_H
#define WD_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wd_abi.h"
#include "wd_filter.h"

struct whodunit_bpf;
struct ring_buffer;
struct wd_filter_maps;
struct bpf_link;

/* Called for each ring-buffer record; returns 0 (non-zero stops the drain). */
typedef int (*wd_record_fn)(void *ctx, void *data, size_t size);

struct wd_loader_opts {
	enum wd_variant variant; /* WD_VARIANT_NONE: the first that works */
	const char *btf_path;    /* kernel BTF file, or NULL for the running kernel's */
	uint32_t ring_bytes;     /* ring buffer size, a power of two >= page size */
	uint32_t wakeup_bytes;   /* force a wakeup after this many bytes per CPU */
	const struct wd_filter_maps *filters; /* written before attaching */
	bool tcp_connect;         /* the connect programs (of the variant) */
	bool listen_tcp;          /* net_listen: TCP listen() */
	bool listen_udp;          /* net_listen: UDP bind() */
	bool exclude_random_bind; /* net_listen: drop UDP binds to port 0 */
	bool udp_session;         /* cgroup hooks on UDP sends/connects/releases */
	bool dns;                 /* DNS answers (dest_name, the dns probe) */
	wd_record_fn on_record;
	void *ctx;
};

/* The LPM keys one filter generation was written with (to delete them). */
struct wd_filter_keys {
	struct wd_lpm4_key *v4;
	size_t n4;
	struct wd_lpm6_key *v6;
	size_t n6;
};

struct wd_loader {
	struct whodunit_bpf *skel;
	struct ring_buffer *rb;
	enum wd_variant variant;     /* the variant in use */
	int nprogs;                  /* programs attached */
	struct bpf_link *kretprobe_v6; /* kprobe: the kretprobe's second attachment */
	int cgroup_fd;               /* cgroup v2 root the udp_session programs sit on */
	unsigned int gen;            /* the filter generation in use */
	uint32_t epoch;              /* filter_gen: +1 a swap, parity == gen */
	uint32_t sets_half;          /* port sets a generation may use */
	bool take_split;             /* no lookup-and-delete on a hash (< 5.14) */
	bool dns_off;                /* DNS capture was asked for and refused */
	struct wd_filter_keys keys[WD_FILTER_GENS];
};

/* A loader that holds nothing (wd_loader_stop() on it is a no-op). */
void wd_loader_init(struct wd_loader *l);
/*
 * Load and attach the first variant that works (WD_VARIANT_NONE) or the one
 * asked for. On failure returns a negative errno and writes why to why[].
 */
int wd_loader_start(struct wd_loader *l, const struct wd_loader_opts *o,
		    char *why, size_t whylen);
/*
 * At a reload: attach the programs o wants that are loaded and detached,
 * detach those it does not want. *unloaded: o wants programs that were not
 * loaded at start (they wait for a restart). 0 or -errno (why says).
 */
int wd_loader_set_probes(struct wd_loader *l, const struct wd_loader_opts *o,
			 bool *unloaded, char *why, size_t whylen);
/*
 * Read and delete key k of hash map fd: one lookup-and-delete (5.14+), else
 * a lookup then a delete. 0, or -ENOENT.
 */
int wd_loader_map_take(struct wd_loader *l, int fd, const void *k, void *v);
/*
 * udp_session: take (read and delete) the kernel's counters of one
 * destination of a socket. 0, or -ENOENT when there are none. ctx is the
 * struct wd_loader (a wd_udp_take_fn). One lookup-and-delete: no datagram
 * counted in between is lost; kernels before 5.14 refuse it on a hash,
 * there it is a lookup then a delete (what is counted in between is lost).
 */
int wd_loader_udp_take(void *ctx, const struct wd_udp_key *k, struct wd_udp_val *v);
/*
 * udp_session: delete the destinations whose first datagram is older than
 * before_ns (boot time): no session knows them (their record was lost, or
 * the session table was full). Returns how many (a wd_udp_sweep_fn).
 */
uint64_t wd_loader_udp_sweep(void *ctx, uint64_t before_ns);
/*
 * Write m as the filter set not in use, then switch to it: each event is
 * judged by the old set or the new one, never a mix. -E2BIG when m needs
 * more port sets than the maps sized at start hold (why says; may be NULL).
 */
int wd_loader_swap_filters(struct wd_loader *l, const struct wd_filter_maps *m,
			   char *why, size_t whylen);
/* (loader.c) the first filter set, generation 0, before attaching. */
int wd_loader_fill_filters(struct wd_loader *l, const struct wd_filter_maps *m);
void wd_loader_free_filters(struct wd_loader *l);

/* Epoll-able descriptor of the ring buffer. */
int wd_loader_fd(const struct wd_loader *l);
/* Consume what the ring buffer holds; returns records consumed or -errno. */
int wd_loader_drain(struct wd_loader *l);
int wd_loader_counters(const struct wd_loader *l, struct wd_counters *sum);
/* With kernel.bpf_stats_enabled: each program's runs and ns per run, logged. */
void wd_loader_log_prog_stats(const struct wd_loader *l);
/*
 * Ask the kernel for every event's whole current ancestry (up to
 * WD_MAX_DEPTH) instead of the caller and its parent: for while the
 * process table may have gaps.
 */
void wd_loader_deep_walk(struct wd_loader *l, bool on);
/*
 * Rules (loader/rules.c): the kernel's per-process verdicts and per-slot
 * counters; ctx is the struct wd_loader (struct wd_rule_hooks).
 */
int wd_loader_set_verdict(void *ctx, uint32_t pid, uint64_t start_ns, uint32_t slot,
			  uint32_t probes);
void wd_loader_del_verdict(void *ctx, uint32_t pid, uint64_t start_ns);
void wd_loader_clear_verdicts(void *ctx);
int wd_loader_rule_hits(void *ctx, uint64_t *per_slot);
/* Flood control: the burst per key (0: off). */
void wd_loader_flood_burst(void *ctx, uint32_t burst);
/* Was (pid, start) marked as having suppressed connects? (the mark is removed) */
bool wd_loader_flood_marked(void *ctx, uint32_t pid, uint64_t start_ns);
typedef void (*wd_flood_fn)(void *arg, const struct wd_flood_key *k,
			    const struct wd_flood_val *v);
/*
 * Take (read and delete) the flood keys, all of them or those of process
 * pid (pid 0: all); fn for each with suppressed connects. 0 or -errno.
 */
int wd_loader_flood_take(void *ctx, uint32_t pid, uint64_t start_ns, wd_flood_fn fn,
			 void *arg);

/* Detach and unload everything. */
void wd_loader_stop(struct wd_loader *l);

/* container_labels' maps: wd_ctr_allow and wd_ctr_mode (container_maps.c). */
void wd_loader_container_maps(const struct wd_loader *l, int *allow_fd, int *mode_fd);

#endif
