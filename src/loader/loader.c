// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config/filter.h"
#include "loader/feasible.h"
#include "loader/loader.h"
#include "loader/mounts.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/variant.h"
#include "whodunit.skel.h"

/* The variants of tcp_connect, in the order auto tries them. */
struct variant {
	enum wd_variant id;
	int (*usable)(char *why, size_t whylen); /* cheap check first, or NULL */
};

static const struct variant variants[] = {
	{ WD_VARIANT_FENTRY, wd_fentry_usable },
	{ WD_VARIANT_KPROBE, wd_kprobe_usable },
	{ WD_VARIANT_TRACEPOINT, NULL },
};

#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

/* libbpf's own messages are debug output: a failed variant is expected. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (wd_log_verbosity < WD_LOG_DEBUG || level == LIBBPF_DEBUG)
		return 0;
	fputs("whodunit: libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

/* Linux 5.11+: direct task_struct loads in every program type we use. */
static bool task_btf_supported(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
						 BPF_FUNC_get_current_task_btf, NULL) == 1;
	return cached;
}

/* Linux 5.15+: connect(2)'s saved registers by a BTF pointer. */
static bool task_pt_regs_supported(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
						 BPF_FUNC_task_pt_regs, NULL) == 1;
	return cached;
}

/* A program of the skeleton, whether this load wants it, and its link. */
struct prog_ref {
	struct bpf_program *prog;
	struct bpf_link **link; /* the skeleton's: destroyed with it */
	bool want;
	bool cgroup; /* attached to the cgroup v2 root, not by its section */
};

#define WD_NPROGS 22
#define PROG(name, w, cg) { s->progs.name, &s->links.name, (w), (cg) }

/* Every program, with what the configured probes and the variant want. */
static void program_table(struct whodunit_bpf *s, enum wd_variant v,
			  const struct wd_loader_opts *o, struct prog_ref t[WD_NPROGS])
{
	bool fentry = o->tcp_connect && v == WD_VARIANT_FENTRY;
	bool kprobe = o->tcp_connect && v == WD_VARIANT_KPROBE;
	bool tp = o->tcp_connect && v == WD_VARIANT_TRACEPOINT;
	const struct prog_ref all[WD_NPROGS] = {
		PROG(wd_fexit_tcp_v4_connect, fentry, false),
		PROG(wd_fexit_tcp_v6_connect, fentry, false),
		PROG(wd_kprobe_tcp_v4_connect, kprobe, false),
		PROG(wd_kprobe_tcp_v6_connect, kprobe, false),
		PROG(wd_kretprobe_tcp_connect, kprobe, false),
		PROG(wd_tp_sys_exit_connect, tp, false),
		/* the process lifecycle feeds the process table: always */
		PROG(wd_proc_fork, true, false),
		PROG(wd_proc_exec, true, false),
		PROG(wd_proc_exit, true, false),
		PROG(wd_tp_inet_listen, o->listen_tcp, false),
		PROG(wd_tp_sys_enter_bind, o->listen_udp, false),
		PROG(wd_tp_sys_exit_bind, o->listen_udp, false),
		PROG(wd_udp_sendmsg4, o->udp_session, true),
		PROG(wd_udp_sendmsg6, o->udp_session, true),
		PROG(wd_udp_connect4, o->udp_session, true),
		PROG(wd_udp_connect6, o->udp_session, true),
		PROG(wd_udp_release, o->udp_session, true),
		PROG(wd_dns_sendmsg4, o->dns, true),
		PROG(wd_dns_sendmsg6, o->dns, true),
		PROG(wd_dns_connect4, o->dns, true),
		PROG(wd_dns_connect6, o->dns, true),
		PROG(wd_dns_ingress, o->dns, true),
	};

	memcpy(t, all, sizeof(all));
}

/* Unused maps cost their preallocation at start: keep them minimal. */
static int shrink_unused_maps(struct whodunit_bpf *s, enum wd_variant v,
			      const struct wd_loader_opts *o)
{
	const struct {
		struct bpf_map *map;
		bool used;
	} maps[] = {
		{ s->maps.wd_udp_dests, o->udp_session },
		{ s->maps.wd_udp_socks, o->udp_session },
		{ s->maps.wd_dns_socks, o->dns },
		{ s->maps.wd_kprobe_args, o->tcp_connect && v == WD_VARIANT_KPROBE },
		{ s->maps.wd_bind_stash, o->listen_udp },
	};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (!maps[i].used && bpf_map__set_max_entries(maps[i].map, 1))
			return -EINVAL;
	return 0;
}

static int size_maps(struct wd_loader *l, const struct wd_loader_opts *o,
		     char *why, size_t whylen)
{
	struct whodunit_bpf *s = l->skel;
	const struct wd_filter_maps *m = o->filters;
	size_t nsets = m ? m->nsets : WD_NPROBES;
	int err;

	err = bpf_map__set_max_entries(s->maps.wd_events, o->ring_bytes);
	if (err) {
		snprintf(why, whylen, "ring buffer size %u: %s", o->ring_bytes,
			 strerror(-err));
		return err;
	}
	if (shrink_unused_maps(s, l->variant, o)) {
		snprintf(why, whylen, "unused maps: cannot resize");
		return -EINVAL;
	}
	/* Tries take memory per rule only: room for two full generations. */
	err = bpf_map__set_max_entries(s->maps.wd_lpm4, WD_FILTER_GENS * WD_MAX_RULES);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.wd_lpm6, WD_FILTER_GENS * WD_MAX_RULES);
	/* Port sets are preallocated (8 KiB each): twice today's per generation. */
	l->sets_half = (uint32_t)(2 * nsets > 16 ? 2 * nsets : 16);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.wd_portsets,
					       WD_FILTER_GENS * l->sets_half);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.wd_filter_cfg,
					       WD_FILTER_GENS * WD_NPROBES);
	if (err)
		snprintf(why, whylen, "filter maps: %s", strerror(-err));
	return err;
}

/* Attach every program the load wanted, each where its section says. */
static int attach(struct wd_loader *l, const struct prog_ref *t, char *why,
		  size_t whylen)
{
	const char *name = wd_variant_name(l->variant);
	int err;

	for (size_t i = 0; i < WD_NPROGS; i++) {
		if (!t[i].want)
			continue;
		if (t[i].cgroup && l->cgroup_fd < 0 &&
		    (l->cgroup_fd = wd_cgroup2_root()) < 0) {
			err = l->cgroup_fd;
			snprintf(why, whylen, "%s: no cgroup v2 root: %s",
				 bpf_program__name(t[i].prog), strerror(-err));
			return err;
		}
		*t[i].link = t[i].cgroup ?
			bpf_program__attach_cgroup(t[i].prog, l->cgroup_fd) :
			bpf_program__attach(t[i].prog);
		if (!*t[i].link) {
			err = -errno;
			snprintf(why, whylen, "%s: attach %s: %s", name,
				 bpf_program__section_name(t[i].prog), strerror(-err));
			return err;
		}
		l->nprogs++;
	}
	return 0;
}

/* kprobe: one return program serves both functions (half the verification). */
static int attach_kretprobe_v6(struct wd_loader *l, char *why, size_t whylen)
{
	int err;

	l->kretprobe_v6 = bpf_program__attach_kprobe(l->skel->progs.wd_kretprobe_tcp_connect,
						     true, "tcp_v6_connect");
	if (!l->kretprobe_v6) {
		err = -errno;
		snprintf(why, whylen, "kprobe: attach kretprobe/tcp_v6_connect: %s",
			 strerror(-err));
		return err;
	}
	l->nprogs++;
	return 0;
}

/*
 * Attach what o wants and is loaded, detach what it does not want. Programs
 * o wants that were not loaded at start stay off: *unloaded says so.
 */
int wd_loader_set_probes(struct wd_loader *l, const struct wd_loader_opts *o,
			 bool *unloaded, char *why, size_t whylen)
{
	struct prog_ref t[WD_NPROGS];
	int err = 0;

	*unloaded = false;
	program_table(l->skel, l->variant, o, t);
	for (size_t i = 0; i < WD_NPROGS; i++) {
		bool loaded = bpf_program__autoload(t[i].prog);

		if (t[i].want && !loaded)
			*unloaded = true;
		if (!t[i].want && *t[i].link) {
			bpf_link__destroy(*t[i].link);
			*t[i].link = NULL;
			l->nprogs--;
		}
		t[i].want = t[i].want && loaded && !*t[i].link;
	}
	if (l->variant == WD_VARIANT_KPROBE && !o->tcp_connect && l->kretprobe_v6) {
		bpf_link__destroy(l->kretprobe_v6);
		l->kretprobe_v6 = NULL;
		l->nprogs--;
	}
	err = attach(l, t, why, whylen);
	if (!err && l->variant == WD_VARIANT_KPROBE && o->tcp_connect && !l->kretprobe_v6 &&
	    bpf_program__autoload(l->skel->progs.wd_kretprobe_tcp_connect))
		err = attach_kretprobe_v6(l, why, whylen);
	return err;
}

/* Open and load the skeleton with the programs and sizes this start wants. */
static int load(struct wd_loader *l, const struct wd_loader_opts *o,
		struct prog_ref *t, char *why, size_t whylen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	const char *name = wd_variant_name(l->variant);
	int64_t t_open = wd_clock_ns(CLOCK_MONOTONIC), t_load;
	struct whodunit_bpf *s;
	int err;

	s = l->skel = whodunit_bpf__open_opts(&oo);
	if (!s) {
		err = -errno;
		snprintf(why, whylen, "%s: open: %s", name, strerror(-err));
		return err;
	}
	program_table(s, l->variant, o, t);
	for (size_t i = 0; i < WD_NPROGS; i++)
		bpf_program__set_autoload(t[i].prog, t[i].want);
	s->rodata->wakeup_bytes = o->wakeup_bytes;
	s->rodata->task_btf = task_btf_supported();
	s->rodata->task_pt_regs = l->variant == WD_VARIANT_TRACEPOINT && o->tcp_connect &&
				  task_pt_regs_supported();
	s->rodata->exclude_random_bind = o->exclude_random_bind;
	err = size_maps(l, o, why, whylen);
	if (err)
		return err;
	if (o->listen_tcp || o->listen_udp ||
	    (o->tcp_connect && l->variant == WD_VARIANT_TRACEPOINT))
		wd_ensure_tracefs();
	t_load = wd_clock_ns(CLOCK_MONOTONIC);
	err = whodunit_bpf__load(s);
	wd_debug("variant %s: open %.1f ms, load %.1f ms", name,
		 (double)(t_load - t_open) / 1e6,
		 (double)(wd_clock_ns(CLOCK_MONOTONIC) - t_load) / 1e6);
	if (err)
		snprintf(why, whylen, "%s: load: %s", name, strerror(-err));
	return err;
}

static int try_variant(struct wd_loader *l, const struct variant *v,
		       const struct wd_loader_opts *o, char *why, size_t whylen)
{
	struct prog_ref t[WD_NPROGS];
	int err;

	/* Rule a variant out cheaply before a full load (~50 ms of BTF parsing). */
	if (o->tcp_connect && v->usable) {
		int64_t t0 = wd_clock_ns(CLOCK_MONOTONIC);

		err = v->usable(why, whylen);
		wd_debug("variant %s: checked in %.1f ms", wd_variant_name(v->id),
			 (double)(wd_clock_ns(CLOCK_MONOTONIC) - t0) / 1e6);
		if (err)
			return err;
	}
	l->variant = v->id;
	err = load(l, o, t, why, whylen);
	/* Filters are in place before the first event can fire. */
	if (!err && o->filters && (err = wd_loader_fill_filters(l, o->filters)))
		snprintf(why, whylen, "filter maps: %s", strerror(-err));
	if (!err)
		err = attach(l, t, why, whylen);
	if (!err && v->id == WD_VARIANT_KPROBE && o->tcp_connect)
		err = attach_kretprobe_v6(l, why, whylen);
	if (err)
		wd_loader_stop(l);
	return err;
}

void wd_loader_init(struct wd_loader *l)
{
	*l = (struct wd_loader){ .cgroup_fd = -1 };
}

/* Append one variant's failure to the list of reasons. */
static void add_reason(char *reasons, size_t size, size_t *len, const char *one)
{
	*len += (size_t)snprintf(reasons + *len, size - *len, "%s%s", *len ? "; " : "", one);
	if (*len >= size)
		*len = size - 1;
}

/* The first variant that loads and attaches; why lists each one's failure. */
static int start_variants(struct wd_loader *l, const struct wd_loader_opts *o,
			  char *why, size_t whylen)
{
	char reasons[1024] = "", one[256];
	size_t len = 0;
	int err = -ENOENT;

	for (size_t i = 0; i < NVARIANTS; i++) {
		const struct variant *v = &variants[i];

		if (o->variant != WD_VARIANT_NONE && o->variant != v->id)
			continue;
		/* Without tcp_connect the variants do not differ: take the last. */
		if (!o->tcp_connect && o->variant == WD_VARIANT_NONE && i + 1 < NVARIANTS)
			continue;
		err = try_variant(l, v, o, one, sizeof(one));
		if (!err)
			break;
		wd_debug("variant %s", one);
		add_reason(reasons, sizeof(reasons), &len, one);
	}
	if (err)
		snprintf(why, whylen, "%s", reasons);
	return err;
}

int wd_loader_start(struct wd_loader *l, const struct wd_loader_opts *o,
		    char *why, size_t whylen)
{
	struct wd_loader_opts nodns = *o;
	int err;

	wd_loader_init(l);
	libbpf_set_print(libbpf_print);
	err = start_variants(l, o, why, whylen);
	/* DNS capture is an addition: a kernel that refuses it keeps the rest. */
	if (err && o->dns && (o->tcp_connect || o->listen_tcp || o->listen_udp ||
			      o->udp_session)) {
		nodns.dns = false;
		wd_loader_init(l);
		if (!start_variants(l, &nodns, why, whylen)) {
			wd_warn("dns: not loaded, so no dest_name and no dns events "
				"(with it: %s)", why);
			err = 0;
			l->dns_off = true;
		}
	}
	if (err)
		return err;
	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.wd_events), o->on_record,
				 o->ctx, NULL);
	if (!l->rb) {
		err = -errno;
		snprintf(why, whylen, "ring buffer: %s", strerror(-err));
		wd_loader_stop(l);
		return err;
	}
	return 0;
}

int wd_loader_map_take(struct wd_loader *l, int fd, const void *k, void *v)
{
	if (!l->take_split) {
		if (!bpf_map_lookup_and_delete_elem(fd, k, v))
			return 0;
		if (errno == ENOENT)
			return -ENOENT;
	}
	/* (EINVAL or ENOTSUPP before 5.14) */
	if (bpf_map_lookup_elem(fd, k, v))
		return -ENOENT;
	l->take_split = true;
	bpf_map_delete_elem(fd, k);
	return 0;
}

int wd_loader_udp_take(void *ctx, const struct wd_udp_key *k, struct wd_udp_val *v)
{
	struct wd_loader *l = ctx;

	return wd_loader_map_take(l, bpf_map__fd(l->skel->maps.wd_udp_dests), k, v);
}

uint64_t wd_loader_udp_sweep(void *ctx, uint64_t before_ns)
{
	struct wd_loader *l = ctx;
	int fd = bpf_map__fd(l->skel->maps.wd_udp_dests);
	struct wd_udp_key k, next;
	struct wd_udp_val v;
	uint64_t n = 0, steps = 2ull * bpf_map__max_entries(l->skel->maps.wd_udp_dests);
	bool more;

	/* (bounded: a key deleted under us restarts the walk) */
	more = !bpf_map_get_next_key(fd, NULL, &k);
	for (; more && steps; steps--) {
		/* the next key first: deleting k loses the place */
		more = !bpf_map_get_next_key(fd, &k, &next);
		if (!bpf_map_lookup_elem(fd, &k, &v) && v.first_ns < before_ns &&
		    !bpf_map_delete_elem(fd, &k))
			n++;
		k = next;
	}
	return n;
}

int wd_loader_fd(const struct wd_loader *l)
{
	return ring_buffer__epoll_fd(l->rb);
}

int wd_loader_drain(struct wd_loader *l)
{
	return ring_buffer__consume(l->rb);
}

int wd_loader_counters(const struct wd_loader *l, struct wd_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wd_counters *v;
	__u32 zero = 0;
	int err;

	*sum = (struct wd_counters){ 0 };
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.wd_counters), &zero, v);
	if (err)
		err = -errno;
	for (int i = 0; !err && i < ncpu; i++) {
		sum->seen += v[i].seen;
		sum->filtered += v[i].filtered;
		sum->emitted += v[i].emitted;
		sum->dropped += v[i].dropped;
		sum->proc_dropped += v[i].proc_dropped;
		sum->udp_map_full += v[i].udp_map_full;
		sum->udp_close_lost += v[i].udp_close_lost;
		sum->dns_captured += v[i].dns_captured;
		sum->dns_lost += v[i].dns_lost;
		sum->dns_unknown += v[i].dns_unknown;
		sum->rule_dropped += v[i].rule_dropped;
		sum->flood_suppressed += v[i].flood_suppressed;
		sum->container_filtered += v[i].container_filtered;
	}
	free(v);
	return err;
}

void wd_loader_log_prog_stats(const struct wd_loader *l)
{
	struct bpf_program *p;

	if (!l->skel)
		return;
	bpf_object__for_each_program(p, l->skel->obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) || !info.run_cnt ||
		    !info.run_time_ns)
			continue;
		wd_info("program %s: %llu runs, %.1f ns per run (kernel.bpf_stats_enabled)",
			bpf_program__name(p), (unsigned long long)info.run_cnt,
			(double)info.run_time_ns / (double)info.run_cnt);
	}
}

void wd_loader_deep_walk(struct wd_loader *l, bool on)
{
	if (l->skel && l->skel->bss)
		__atomic_store_n(&l->skel->bss->deep_walk, on ? 1u : 0u, __ATOMIC_RELAXED);
}

void wd_loader_stop(struct wd_loader *l)
{
	bpf_link__destroy(l->kretprobe_v6);
	ring_buffer__free(l->rb);
	whodunit_bpf__destroy(l->skel);
	wd_loader_free_filters(l);
	if (l->cgroup_fd >= 0)
		close(l->cgroup_fd);
	wd_loader_init(l);
}
