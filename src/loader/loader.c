// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "util/file.h"
#include "config/filter.h"
#include "util/log.h"
#include "loader/loader.h"
#include "util/variant.h"
#include "whodunit.skel.h"

struct variant {
	enum wd_variant id;
	const char *name;
	const char *progs[4]; /* program names of the variant */
};

static const struct variant variants[] = {
	{ WD_VARIANT_FENTRY, "fentry",
	  { "wd_fexit_tcp_v4_connect", "wd_fexit_tcp_v6_connect" } },
	{ WD_VARIANT_KPROBE, "kprobe",
	  { "wd_kprobe_tcp_v4_connect", "wd_kprobe_tcp_v6_connect",
	    "wd_kretprobe_tcp_connect" } },
	{ WD_VARIANT_TRACEPOINT, "tracepoint",
	  { "wd_tp_sys_enter_connect", "wd_tp_sys_exit_connect" } },
};

#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* libbpf's own messages are debug output: a failed variant is expected. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (wd_log_verbosity < WD_LOG_DEBUG || level == LIBBPF_DEBUG)
		return 0;
	fputs("whodunit: libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

/* Classic tracepoints need tracefs; mount it where the system has not. */
static void ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		wd_info("mounted tracefs on /sys/kernel/tracing");
	else
		wd_debug("mount tracefs: %s", strerror(errno));
}

static int fill_filters(struct whodunit_bpf *skel, const struct wd_filter_maps *m)
{
	int fd4 = bpf_map__fd(skel->maps.wd_lpm4), fd6 = bpf_map__fd(skel->maps.wd_lpm6);
	int fds = bpf_map__fd(skel->maps.wd_portsets);
	int fdc = bpf_map__fd(skel->maps.wd_filter_cfg);

	for (size_t i = 0; i < m->n4; i++)
		if (bpf_map_update_elem(fd4, &m->v4[i].key, &m->v4[i].val, BPF_ANY))
			return -errno;
	for (size_t i = 0; i < m->n6; i++)
		if (bpf_map_update_elem(fd6, &m->v6[i].key, &m->v6[i].val, BPF_ANY))
			return -errno;
	for (__u32 i = 0; i < m->nsets; i++)
		if (bpf_map_update_elem(fds, &i, &m->sets[i], BPF_ANY))
			return -errno;
	for (__u32 i = 0; i < WD_NPROBES; i++)
		if (bpf_map_update_elem(fdc, &i, &m->cfg[i], BPF_ANY))
			return -errno;
	return 0;
}

static int size_filter_maps(struct whodunit_bpf *skel, const struct wd_filter_maps *m)
{
	size_t nsets = m ? m->nsets : WD_NPROBES;
	int err;

	err = bpf_map__set_max_entries(skel->maps.wd_lpm4, wd_filter_capacity(m ? m->n4 : 0));
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.wd_lpm6,
					       wd_filter_capacity(m ? m->n6 : 0));
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.wd_portsets,
					       (__u32)(2 * nsets > 4 ? 2 * nsets : 4));
	return err;
}

int wd_probe_set_filters(struct wd_probe *p, const struct wd_filter_maps *m)
{
	return fill_filters(p->skel, m);
}

/*
 * The cgroup v2 root, where udp_session's hooks see every process. Mounted
 * on /run/whodunit/cgroup2 when the system has no cgroup2 mount.
 */
static int cgroup2_root(void)
{
	char line[1024], dev[256], dir[512], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");
	int fd = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %511s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "cgroup2")) {
			fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0)
				break;
		}
	}
	if (f)
		fclose(f);
	if (fd >= 0)
		return fd;
	mkdir("/run", 0755); /* (a minimal root may lack it) */
	mkdir("/run/whodunit", 0755);
	mkdir("/run/whodunit/cgroup2", 0755);
	if (mount("none", "/run/whodunit/cgroup2", "cgroup2", 0, NULL) && errno != EBUSY)
		return -errno;
	fd = open("/run/whodunit/cgroup2", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int wd_probe_udp_take(struct wd_probe *p, const struct wd_udp_key *k,
		      struct wd_udp_val *v)
{
	int fd = bpf_map__fd(p->skel->maps.wd_udp_dests);

	if (bpf_map_lookup_elem(fd, k, v))
		return -ENOENT;
	bpf_map_delete_elem(fd, k);
	return 0;
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

/* Programs loaded with every variant: the process lifecycle. */
static const char *const common_progs[] = {
	"wd_proc_fork", "wd_proc_exec", "wd_proc_exit", NULL,
};

/*
 * The BTF id of function `name` in a raw BTF file, by a plain scan of the
 * type section: a tenth of the time libbpf takes to parse it all (which
 * the full load then does once, for the variant that can work).
 */
static int btf_func_id(const char *path, const char *name)
{
	struct btf_header hdr;
	const uint8_t *types, *strs;
	size_t size = 0;
	uint8_t *buf;
	int err = 0, id = -ENOENT;
	uint32_t off, tid = 1;

	buf = (uint8_t *)wd_read_file(path, 256u << 20, &size, NULL, &err);
	if (!buf)
		return err;
	if (size < sizeof(hdr)) {
		free(buf);
		return -EINVAL;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.magic != BTF_MAGIC || hdr.hdr_len + (uint64_t)hdr.type_off + hdr.type_len >
	    size || hdr.hdr_len + (uint64_t)hdr.str_off + hdr.str_len > size) {
		free(buf);
		return -EINVAL;
	}
	types = buf + hdr.hdr_len + hdr.type_off;
	strs = buf + hdr.hdr_len + hdr.str_off;
	for (off = 0; off + sizeof(struct btf_type) <= hdr.type_len; tid++) {
		const struct btf_type *t = (const void *)(types + off);
		uint32_t kind = BTF_INFO_KIND(t->info), vlen = BTF_INFO_VLEN(t->info);
		uint32_t extra = 0;

		switch (kind) {
		case BTF_KIND_INT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
			extra = 4; break;
		case BTF_KIND_ARRAY:
			extra = 12; break;
		case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_DATASEC:
		case 19 /* BTF_KIND_ENUM64 */:
			extra = 12 * vlen; break;
		case BTF_KIND_ENUM: case BTF_KIND_FUNC_PROTO:
			extra = 8 * vlen; break;
		}
		if (kind == BTF_KIND_FUNC && t->name_off < hdr.str_len &&
		    !strcmp((const char *)strs + t->name_off, name)) {
			id = (int)tid;
			break;
		}
		off += sizeof(struct btf_type) + extra;
	}
	free(buf);
	return id;
}

/* Can an fexit program attach here? Load and attach a two-instruction one. */
static int fentry_usable(char *why, size_t whylen)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = BPF_TRACE_FEXIT);
	int id, fd, lfd;

	id = btf_func_id("/sys/kernel/btf/vmlinux", "tcp_v4_connect");
	if (id < 0) {
		snprintf(why, whylen, "fentry: tcp_v4_connect not in the kernel's own BTF: %s",
			 strerror(-id));
		return id;
	}
	lo.attach_btf_id = (__u32)id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "wd_fexit_probe", "GPL", insns, 2, &lo);
	if (fd < 0) {
		snprintf(why, whylen, "fentry: load: %s", strerror(errno));
		return -errno;
	}
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd < 0) {
		snprintf(why, whylen, "fentry: attach: %s", strerror(errno));
		close(fd);
		return -errno;
	}
	close(lfd);
	close(fd);
	return 0;
}

/* kprobes attach through the kprobe PMU, or tracefs kprobe_events. */
static int kprobe_usable(char *why, size_t whylen)
{
	if (!access("/sys/bus/event_source/devices/kprobe/type", F_OK))
		return 0;
	ensure_tracefs();
	if (!access("/sys/kernel/tracing/kprobe_events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/kprobe_events", F_OK))
		return 0;
	snprintf(why, whylen, "kprobe: the kernel has no kprobe PMU and no kprobe_events");
	return -EOPNOTSUPP;
}

static bool in_variant(const struct variant *v, const char *name);

/* Does this load want program `name`? */
static bool wanted(const struct variant *v, const struct wd_probe_opts *o,
		   const char *name)
{
	if (!strncmp(name, "wd_udp_", 7))
		return o->udp_session;
	if (!strcmp(name, "wd_tp_inet_listen"))
		return o->listen_tcp;
	if (!strcmp(name, "wd_tp_sys_enter_bind") || !strcmp(name, "wd_tp_sys_exit_bind"))
		return o->listen_udp;
	for (size_t i = 0; common_progs[i]; i++)
		if (!strcmp(common_progs[i], name))
			return true;
	return o->tcp_connect && in_variant(v, name);
}

static bool in_variant(const struct variant *v, const char *name)
{
	for (size_t i = 0; i < 4 && v->progs[i]; i++)
		if (!strcmp(v->progs[i], name))
			return true;
	return false;
}

/* Unused maps cost their preallocation at start: keep them minimal. */
static int shrink_unused_maps(struct whodunit_bpf *skel, const struct variant *v,
			      const struct wd_probe_opts *o)
{
	const struct {
		struct bpf_map *map;
		bool used;
	} maps[] = {
		{ skel->maps.wd_udp_dests, o->udp_session },
		{ skel->maps.wd_udp_socks, o->udp_session },
		{ skel->maps.wd_kprobe_args, o->tcp_connect && v->id == WD_VARIANT_KPROBE },
		{ skel->maps.wd_conn_stash, o->tcp_connect && v->id == WD_VARIANT_TRACEPOINT },
		{ skel->maps.wd_bind_stash, o->listen_udp },
	};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (!maps[i].used && bpf_map__set_max_entries(maps[i].map, 1))
			return -EINVAL;
	return 0;
}

static int try_variant(struct wd_probe *p, const struct variant *v,
		       const struct wd_probe_opts *o, char *why, size_t whylen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	struct bpf_program *prog;
	struct whodunit_bpf *skel;
	double t_open = mono_ms(), t_load;
	int err, n = 0;

	/* Rule a variant out cheaply before a full load (~50 ms of BTF parsing). */
	if (o->tcp_connect && v->id == WD_VARIANT_FENTRY && (err = fentry_usable(why, whylen)))
		return err;
	if (o->tcp_connect && v->id == WD_VARIANT_KPROBE && (err = kprobe_usable(why, whylen)))
		return err;
	skel = whodunit_bpf__open_opts(&oo);
	if (!skel) {
		err = -errno;
		snprintf(why, whylen, "%s: open: %s", v->name, strerror(-err));
		return err;
	}
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, wanted(v, o, bpf_program__name(prog)));
	skel->rodata->wakeup_bytes = o->wakeup_bytes;
	skel->rodata->task_btf = task_btf_supported();
	skel->rodata->exclude_random_bind = o->exclude_random_bind;
	err = bpf_map__set_max_entries(skel->maps.wd_events, o->ring_bytes);
	if (err) {
		snprintf(why, whylen, "ring buffer size %u: %s", o->ring_bytes,
			 strerror(-err));
		goto fail;
	}
	if (shrink_unused_maps(skel, v, o)) {
		err = -EINVAL;
		snprintf(why, whylen, "unused maps: cannot resize");
		goto fail;
	}
	err = size_filter_maps(skel, o->filters);
	if (err) {
		snprintf(why, whylen, "filter maps: %s", strerror(-err));
		goto fail;
	}
	if ((v->id == WD_VARIANT_TRACEPOINT && o->tcp_connect) || o->listen_tcp ||
	    o->listen_udp)
		ensure_tracefs();
	t_load = mono_ms();
	err = whodunit_bpf__load(skel);
	wd_debug("variant %s: open %.1f ms, load %.1f ms", v->name, t_load - t_open,
		 mono_ms() - t_load);
	if (err) {
		snprintf(why, whylen, "%s: load: %s", v->name, strerror(-err));
		goto fail;
	}
	/* Filters are in place before the first event can fire. */
	if (o->filters && (err = fill_filters(skel, o->filters))) {
		snprintf(why, whylen, "filter maps: %s", strerror(-err));
		goto fail;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		if (!strncmp(bpf_program__name(prog), "wd_udp_", 7)) {
			if (p->cgroup_fd < 0 && (p->cgroup_fd = cgroup2_root()) < 0) {
				err = p->cgroup_fd;
				snprintf(why, whylen, "udp_session: no cgroup v2 root: %s",
					 strerror(-err));
				goto fail;
			}
			link = bpf_program__attach_cgroup(prog, p->cgroup_fd);
		} else {
			link = bpf_program__attach(prog);
		}
		if (!link) {
			err = -errno;
			snprintf(why, whylen, "%s: attach %s: %s", v->name,
				 bpf_program__section_name(prog), strerror(-err));
			goto fail;
		}
		/* The skeleton destroys the links it holds. */
		for (int i = 0; i < skel->skeleton->prog_cnt; i++)
			if (*skel->skeleton->progs[i].prog == prog)
				*skel->skeleton->progs[i].link = link;
		n++;
	}
	if (v->id == WD_VARIANT_KPROBE && o->tcp_connect) {
		p->extra = bpf_program__attach_kprobe(skel->progs.wd_kretprobe_tcp_connect,
						     true, "tcp_v6_connect");
		if (!p->extra) {
			err = -errno;
			snprintf(why, whylen, "kprobe: attach kretprobe/tcp_v6_connect: %s",
				 strerror(-err));
			goto fail;
		}
		n++;
	}
	p->skel = skel;
	p->variant = v->id;
	p->nprogs = n;
	return 0;
fail:
	whodunit_bpf__destroy(skel);
	return err ? err : -EINVAL;
}

int wd_probe_start(struct wd_probe *p, const struct wd_probe_opts *o,
		   char *why, size_t whylen)
{
	char reasons[1024] = "", one[256];
	size_t len = 0;
	int err = -ENOENT;

	*p = (struct wd_probe){ .cgroup_fd = -1 };
	libbpf_set_print(libbpf_print);
	for (size_t i = 0; i < NVARIANTS; i++) {
		const struct variant *v = &variants[i];

		if (o->variant != WD_VARIANT_NONE && o->variant != v->id)
			continue;
		/* Without tcp_connect the variants do not differ: take the last. */
		if (!o->tcp_connect && o->variant == WD_VARIANT_NONE && i + 1 < NVARIANTS)
			continue;
		err = try_variant(p, v, o, one, sizeof(one));
		if (!err)
			break;
		wd_debug("variant %s", one);
		len += (size_t)snprintf(reasons + len, sizeof(reasons) - len,
					"%s%s", len ? "; " : "", one);
		if (len >= sizeof(reasons))
			len = sizeof(reasons) - 1;
	}
	if (err) {
		snprintf(why, whylen, "%s", reasons);
		return err;
	}
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.wd_events),
				 o->on_event, o->ctx, NULL);
	if (!p->rb) {
		err = -errno;
		snprintf(why, whylen, "ring buffer: %s", strerror(-err));
		wd_probe_stop(p);
		return err;
	}
	return 0;
}

int wd_probe_fd(const struct wd_probe *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

int wd_probe_drain(struct wd_probe *p)
{
	return ring_buffer__consume(p->rb);
}

int wd_probe_counters(const struct wd_probe *p, struct wd_counters *sum)
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
	err = bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.wd_counters), &zero, v);
	if (err)
		err = -errno;
	for (int i = 0; !err && i < ncpu; i++) {
		sum->seen += v[i].seen;
		sum->filtered += v[i].filtered;
		sum->emitted += v[i].emitted;
		sum->dropped += v[i].dropped;
		sum->proc_dropped += v[i].proc_dropped;
	}
	free(v);
	return err;
}

void wd_probe_stop(struct wd_probe *p)
{
	bpf_link__destroy(p->extra);
	ring_buffer__free(p->rb);
	whodunit_bpf__destroy(p->skel);
	if (p->cgroup_fd >= 0)
		close(p->cgroup_fd);
	*p = (struct wd_probe){ .cgroup_fd = -1 };
}
