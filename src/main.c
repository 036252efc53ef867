// SPDX-License-Identifier: GPL-2.0-only
/*
 * whodunit: which process made this network connection, and why?
 *
 * One loop: the BPF ring buffer, signals and a drain timer on one epoll.
 */
#include <errno.h>
#include <malloc.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "config/config.h"
#include "config/filter.h"
#include "output/format.h"
#include "util/log.h"
#include "util/notify.h"
#include "output/sink.h"
#include "proc/procfs.h"
#include "proc/ptable.h"
#include "proc/snapshot.h"
#include "agent/udp_session.h"
#include "loader/loader.h"
#include "util/variant.h"
#include "proc/users.h"

#ifndef WD_VERSION
#define WD_VERSION "0.0.0"
#endif

#define DRAIN_INTERVAL_MS 100 /* an event on a quiet host waits at most this */

struct agent {
	struct wd_config cfg;
	struct wd_sink sink;
	struct wd_probe probe;
	struct wd_ptable ptable;
	struct wd_lineage lineage;
	struct wd_users users;
	struct wd_enrich enrich;
	struct wd_filter_maps filters;
	struct wd_buf line;
	uint64_t malformed, sink_errors;
	uint32_t netns; /* our network namespace (net_listen same_namespace_only) */
	struct wd_connect_event snap; /* scratch record for snapshot events */
	int64_t next_snapshot_ns;     /* CLOCK_MONOTONIC; 0: snapshots off */
	struct wd_udp_table udp;
	struct wd_buf scratch;
};

struct options {
	const char *config;
	const char *output;
	const char *probe_mode;
	const char *btf;
	bool check_config;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: whodunit [OPTION]...\n"
		"Report which process made each outbound TCP connection, with its\n"
		"whole ancestry, as one JSON event per connection.\n"
		"\n"
		"  -c, --config FILE      YAML configuration (default: the embedded one)\n"
		"      --check-config     validate the configuration, print it, exit\n"
		"  -o, --output SINK      syslog (default), stdout, or file:PATH\n"
		"      --probe-mode MODE  auto (default), fentry, kprobe or tracepoint\n"
		"      --btf FILE         kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
		"  -v, --verbose          more operational logging (twice: libbpf too)\n"
		"      --version          print the version and exit\n"
		"  -h, --help             print this help and exit\n"
		"\n"
		"Examples:\n"
		"  whodunit -o stdout                 events to the terminal\n"
		"  whodunit -c /etc/whodunit/whodunit.yaml\n"
		"  whodunit --check-config -c my.yaml\n"
		"\n"
		"Exit status: 0 ok, 64 usage, 66 config file unreadable, 69 kernel\n"
		"unsupported, 77 missing privileges, 78 bad configuration.\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_CHECK = 256, OPT_MODE, OPT_BTF, OPT_VERSION };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "output", required_argument, NULL, 'o' },
		{ "probe-mode", required_argument, NULL, OPT_MODE },
		{ "btf", required_argument, NULL, OPT_BTF },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:o:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_CHECK:
			o->check_config = true;
			break;
		case OPT_MODE:
			if (wd_variant_parse(optarg) < 0) {
				fprintf(stderr, "whodunit: --probe-mode: '%s' is not auto, "
						"fentry, kprobe or tracepoint\n", optarg);
				return EX_USAGE;
			}
			o->probe_mode = optarg;
			break;
		case OPT_BTF:
			o->btf = optarg;
			break;
		case 'v':
			wd_log_verbosity++;
			break;
		case OPT_VERSION:
			printf("whodunit %s\n", WD_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "whodunit: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	return 0;
}

static int load_config(struct wd_config *cfg, const struct options *o)
{
	char err[WD_ERR_LEN];
	int ret;

	wd_config_init(cfg);
	if (o->config)
		ret = wd_config_load(cfg, o->config, err, sizeof(err));
	else
		ret = wd_config_parse(cfg, "<embedded>", wd_default_config,
				      wd_default_config_len, err, sizeof(err));
	if (ret == 0)
		return 0;
	wd_err("%s", err);
	return ret == -EINVAL ? EX_CONFIG : EX_NOINPUT;
}

static int set_str_dup(char **dst, const char *s)
{
	char *d = strdup(s);

	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

static int set_output_override(struct wd_config *cfg, const char *spec)
{
	struct wd_sink check = { 0 };
	int err = wd_sink_parse(&check, spec);

	free(check.path);
	if (err)
		return err;
	return set_str_dup(&cfg->output, spec);
}

static void emit_line(struct agent *a);

static void write_event(struct agent *a, const struct wd_connect_event *e)
{
	wd_buf_reset(&a->line);
	wd_format_connect(&a->line, e, &a->enrich);
	emit_line(a);
}

/* One listener of a net_listen snapshot: an event like a listen record's. */
static void on_listener(void *ctx, const struct wd_listener *l)
{
	struct agent *a = ctx;
	struct wd_connect_event *e = &a->snap;
	uint32_t loginuid;
	struct wd_stat st;
	struct timespec now;

	if (wd_filter_drops(&a->filters, WD_PROBE_NET_LISTEN, l->family, l->addr, l->port) ||
	    wd_read_stat("/proc", (pid_t)l->pid, &st))
		return;
	clock_gettime(CLOCK_BOOTTIME, &now);
	memset(e, 0, WD_CONNECT_EVENT_FIXED + sizeof(struct wd_proc));
	e->hdr.type = WD_EV_LISTEN;
	e->hdr.variant = WD_VARIANT_NONE;
	e->hdr.ts_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	e->family = (uint16_t)l->family;
	memcpy(e->saddr, l->addr, sizeof(e->saddr));
	e->sport = l->port;
	e->protocol = (uint16_t)l->protocol;
	e->netns = a->netns;
	e->flags = WD_F_COARSE_START;
	e->depth = 1;
	e->tid = l->pid;
	e->tree[0].pid = l->pid;
	e->tree[0].ppid = (uint32_t)st.ppid;
	e->tree[0].start_ns = st.starttime * a->ptable.ns_per_tick;
	wd_read_ids("/proc", (pid_t)l->pid, &e->tree[0].uid, &loginuid);
	e->uid = e->tree[0].uid;
	memcpy(e->tree[0].comm, st.comm, strnlen(st.comm, WD_COMM_LEN));
	memcpy(e->comm, e->tree[0].comm, WD_COMM_LEN);
	a->enrich.snapshot = true;
	write_event(a, e);
	a->enrich.snapshot = false;
}

static int udp_take(void *ctx, const struct wd_udp_key *k, struct wd_udp_val *v)
{
	return wd_probe_udp_take(&((struct agent *)ctx)->probe, k, v);
}

static void emit_line(struct agent *a)
{
	int err;

	if (a->line.oom) {
		a->sink_errors++;
		return;
	}
	err = wd_sink_write(&a->sink, a->line.p, a->line.len);
	if (err && a->sink_errors++ == 0)
		wd_warn("output: %s (further errors are counted)", strerror(-err));
}

/* Emit a udp_session event for s (first: only its newest destination). */
static void udp_emit(struct agent *a, struct wd_udp_session *s, const char *error,
		     bool first)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	wd_buf_reset(&a->line);
	wd_udp_format(&a->line, s, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec,
		      a->enrich.boot_to_real_ns, ++a->enrich.seq, error, first, udp_take, a);
	emit_line(a);
}

static void on_udp_dest(struct agent *a, const struct wd_connect_event *e)
{
	struct wd_udp_session *s = wd_udp_find(&a->udp, e->cookie);

	wd_buf_reset(&a->scratch);
	if (!s || !s->ndests)
		wd_format_udp_common(&a->scratch, e, &a->enrich);
	if (s && s->ndests == 0) /* a new session on a known socket: new process part */
		wd_udp_remove(&a->udp, s);
	s = wd_udp_add(&a->udp, e->cookie, e->hdr.ts_ns, a->scratch.p ? a->scratch.p : "",
		       a->scratch.len, e->family, e->daddr, e->dport);
	if (s && a->cfg.udp_session.emit_on_first_datagram)
		udp_emit(a, s, "", true);
}

static void on_udp_close(struct agent *a, const struct wd_udp_close *c)
{
	struct wd_udp_session *s = wd_udp_find(&a->udp, c->cookie);

	if (!s)
		return;
	if (s->ndests)
		udp_emit(a, s, "", false);
	wd_udp_remove(&a->udp, s);
}

/* Sessions older than session_max_duration end with that error. */
static void udp_expire(struct agent *a, bool all)
{
	uint64_t max_ns = (uint64_t)a->cfg.udp_session.session_max_duration * 1000000000ull;
	struct timespec now;
	uint64_t t;

	if (!a->cfg.udp_session.enabled || !a->udp.count)
		return;
	clock_gettime(CLOCK_BOOTTIME, &now);
	t = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	for (size_t i = 0; i < WD_UDP_BUCKETS; i++)
		for (struct wd_udp_session *s = a->udp.bucket[i]; s; s = s->next)
			if (s->ndests && (all || t - s->start_ns >= max_ns))
				udp_emit(a, s, all ? "agent_stopping" :
					 "session_max_duration_exceeded", false);
}

static void maybe_snapshot(struct agent *a)
{
	const struct wd_probe_config *nl = &a->cfg.net_listen;
	struct timespec now;
	int64_t t;

	if (!a->next_snapshot_ns)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (t < a->next_snapshot_ns)
		return;
	a->next_snapshot_ns = t + (int64_t)nl->snapshot_periodicity * 1000000000;
	if (wd_snapshot_listeners("/proc", nl->listen_tcp, nl->listen_udp, on_listener, a) < 0)
		wd_warn("net_listen snapshot: cannot read /proc");
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct wd_event_hdr *h = data;
	struct agent *a = ctx;

	if (size >= sizeof(*h) && h->type >= WD_EV_FORK && h->type <= WD_EV_EXIT) {
		wd_ptable_apply(&a->ptable, data, size);
		return 0;
	}
	if (size >= sizeof(struct wd_udp_close) && h->type == WD_EV_UDP_CLOSE) {
		on_udp_close(a, data);
		return 0;
	}
	if (wd_event_check(data, size)) {
		a->malformed++;
		return 0;
	}
	if (h->type == WD_EV_LISTEN && a->cfg.net_listen.same_namespace_only &&
	    ((const struct wd_connect_event *)data)->netns != a->netns)
		return 0;
	if (h->type == WD_EV_UDP_DEST) {
		on_udp_dest(a, data);
		return 0;
	}
	write_event(a, data);
	return 0;
}

/* Privileges to load tracing BPF: CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON. */
static bool have_bpf_privileges(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> 21 & 1) || ((eff >> 38 & 1) && (eff >> 39 & 1));
}

/* Permission errors that root-less capability sets run into: say why. */
static void privilege_hint(const char *why)
{
	char buf[16] = "";
	FILE *f;

	if (!strstr(why, "Permission denied") && !strstr(why, "Operation not permitted"))
		return;
	f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	if (f && fgets(buf, sizeof(buf), f) && atoi(buf) > 2)
		wd_err("kernel.perf_event_paranoid is %d: kprobe and tracepoint attachments "
		       "then need CAP_SYS_ADMIN; tracefs event ids need CAP_DAC_READ_SEARCH",
		       atoi(buf));
	if (f)
		fclose(f);
}

static int kernel_supported(const struct options *o)
{
	if (!o->btf && access("/sys/kernel/btf/vmlinux", R_OK)) {
		wd_err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux: %s); "
		       "give its types with --btf FILE", strerror(errno));
		return EX_UNAVAILABLE;
	}
	if (o->btf) {
		struct btf *btf = btf__parse(o->btf, NULL);
		int err = libbpf_get_error(btf);

		if (err) {
			wd_err("--btf %s: not usable kernel BTF (%s)", o->btf,
			       strerror(err < 0 ? -err : err));
			return EX_UNAVAILABLE;
		}
		if (btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) < 0) {
			btf__free(btf);
			wd_err("--btf %s: BTF without kernel types (no struct task_struct)",
			       o->btf);
			return EX_UNAVAILABLE;
		}
		btf__free(btf);
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		wd_err("this kernel has no BPF ring buffer (Linux 5.8 or later needed)");
		return EX_UNAVAILABLE;
	}
	return 0;
}

static void log_stats(struct agent *a, const char *when)
{
	struct wd_counters c;

	if (wd_probe_counters(&a->probe, &c))
		return;
	wd_info("%s: seen %llu, filtered %llu, emitted %llu, dropped %llu (ring full); "
		"written %llu, output errors %llu, malformed %llu; process table %zu "
		"(max %zu), evictions %llu, lineage breaks %llu, full %llu, "
		"process records lost %llu, /proc reads %llu, shortened %llu",
		when, (unsigned long long)c.seen, (unsigned long long)c.filtered,
		(unsigned long long)c.emitted, (unsigned long long)c.dropped,
		(unsigned long long)a->sink.written, (unsigned long long)a->sink_errors,
		(unsigned long long)a->malformed, a->ptable.count, a->ptable.max,
		(unsigned long long)a->ptable.evictions,
		(unsigned long long)a->ptable.lineage_breaks,
		(unsigned long long)a->ptable.full,
		(unsigned long long)c.proc_dropped,
		(unsigned long long)a->ptable.proc_reads,
		(unsigned long long)a->enrich.shortened);
}

static void drain(struct agent *a)
{
	a->enrich.boot_to_real_ns = wd_boot_to_real_ns();
	wd_users_refresh(&a->users);
	wd_probe_drain(&a->probe);
	udp_expire(a, false);
	maybe_snapshot(a);
	if (wd_sink_flush(&a->sink) && a->sink_errors++ == 0)
		wd_warn("output: write failed (further errors are counted)");
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int run_loop(struct agent *a, int sfd, int tfd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), rbfd = wd_probe_fd(&a->probe);
	bool stop = false;

	if (ep < 0 || add_fd(ep, sfd) || add_fd(ep, tfd) || add_fd(ep, rbfd)) {
		wd_err("epoll: %s", strerror(errno));
		if (ep >= 0)
			close(ep);
		return EX_OSERR;
	}
	while (!stop) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, -1);

		if (n < 0 && errno != EINTR) {
			wd_err("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGUSR1)
					log_stats(a, "stats");
				else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
					stop = true;
			} else if (evs[i].data.fd == tfd) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					continue;
			}
		}
		drain(a);
	}
	close(ep);
	return 0;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct agent a = { 0 };
	struct itimerspec its = {
		.it_interval = { 0, DRAIN_INTERVAL_MS * 1000000L },
		.it_value = { 0, DRAIN_INTERVAL_MS * 1000000L },
	};
	struct wd_probe_opts po = { 0 };
	int64_t t0 = mono_ns();
	int ret, sfd = -1, tfd = -1, err;
	size_t seeded;
	sigset_t mask;
	char why[1024];

	a.sink.fd = -1;
	a.probe.cgroup_fd = -1;
	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	ret = load_config(&a.cfg, &o);
	if (ret)
		return ret;
	if (o.output && set_output_override(&a.cfg, o.output)) {
		fprintf(stderr, "whodunit: --output: '%s' is not syslog, stdout or "
				"file:PATH\n", o.output);
		ret = EX_USAGE;
		goto out;
	}
	if (!a.cfg.tcp_connect.enabled && !a.cfg.net_listen.enabled &&
	    !a.cfg.udp_session.enabled) {
		wd_err("%s: no probe is configured (add tcp_connect, net_listen or "
		       "udp_session)", a.cfg.source);
		ret = EX_CONFIG;
		goto out;
	}
	err = wd_filter_compile(&a.cfg, &a.filters, why, sizeof(why));
	if (err) {
		wd_err("%s: %s", a.cfg.source, why);
		ret = err == -E2BIG ? EX_CONFIG : EX_OSERR;
		goto out;
	}
	if (o.check_config) {
		wd_config_print(&a.cfg, stdout);
		ret = 0;
		goto out;
	}
	if (!have_bpf_privileges()) {
		wd_err("loading BPF needs root (or CAP_BPF with CAP_PERFMON)");
		ret = EX_NOPERM;
		goto out;
	}
	ret = kernel_supported(&o);
	if (ret)
		goto out;

	a.sink.facility = a.cfg.syslog_facility;
	snprintf(a.sink.ident, sizeof(a.sink.ident), "%s", a.cfg.syslog_ident);
	wd_sink_parse(&a.sink, a.cfg.output ? a.cfg.output : "syslog");
	if (a.sink.kind == WD_SINK_SYSLOG && a.cfg.syslog_socket &&
	    (err = set_str_dup(&a.sink.path, a.cfg.syslog_socket))) {
		ret = EX_OSERR;
		goto out;
	}
	err = wd_sink_open(&a.sink);
	if (err) {
		wd_err("output %s: %s", a.cfg.output ? a.cfg.output : "syslog",
		       strerror(-err));
		ret = EX_CANTCREAT;
		goto out;
	}
	err = wd_ptable_init(&a.ptable, "/proc", a.cfg.process_cache_size);
	if (!err)
		err = wd_users_init(&a.users, "/etc/passwd");
	if (err) {
		wd_err("%s", strerror(-err));
		ret = EX_OSERR;
		goto out;
	}
	a.enrich = (struct wd_enrich){ .ptable = &a.ptable, .users = &a.users,
				       .lineage = &a.lineage,
				       .max_bytes = a.cfg.max_event_size };
	/* rsyslog's default message size is 8 KiB; files take any length. */
	if (a.cfg.max_event_size == WD_MAX_EVENT_UNSET)
		a.enrich.max_bytes = a.sink.kind == WD_SINK_SYSLOG ? WD_SYSLOG_MAX_EVENT : 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		wd_err("signalfd/timerfd: %s", strerror(errno));
		ret = EX_OSERR;
		goto out;
	}

	po.variant = o.probe_mode ? (enum wd_variant)wd_variant_parse(o.probe_mode) :
				    a.cfg.variant;
	po.btf_path = o.btf;
	po.ring_bytes = a.cfg.ring_buffer_bytes;
	po.wakeup_bytes = 64 * 1024;
	po.filters = &a.filters;
	po.tcp_connect = a.cfg.tcp_connect.enabled;
	po.listen_tcp = a.cfg.net_listen.enabled && a.cfg.net_listen.listen_tcp;
	po.listen_udp = a.cfg.net_listen.enabled && a.cfg.net_listen.listen_udp;
	po.exclude_random_bind = a.cfg.net_listen.exclude_random_bind;
	po.udp_session = a.cfg.udp_session.enabled;
	wd_udp_init(&a.udp, 65536);
	{
		struct stat st;

		if (stat("/proc/self/ns/net", &st) == 0)
			a.netns = (uint32_t)st.st_ino;
	}
	po.on_event = on_event;
	po.ctx = &a;
	err = wd_probe_start(&a.probe, &po, why, sizeof(why));
	if (err) {
		wd_err("no probe variant could be attached: %s", why);
		privilege_hint(why);
		ret = EX_UNAVAILABLE;
		goto out;
	}
	/* Attached first, then seeded: no process falls between the two. */
	seeded = wd_ptable_seed(&a.ptable);
	/* libbpf parsed the kernel's BTF (tens of MiB) to load: give it back. */
	malloc_trim(0);
	wd_info("ready: variant %s, %d programs attached in %lld ms; %zu processes "
		"known; config %s; output %s", wd_variant_name(a.probe.variant),
		a.probe.nprogs, (long long)((mono_ns() - t0) / 1000000), seeded,
		a.cfg.source, a.cfg.output ? a.cfg.output : "syslog");
	wd_notify("READY=1");
	if (a.cfg.net_listen.enabled && a.cfg.net_listen.snapshot_periodicity)
		a.next_snapshot_ns = 1; /* the first one at once */

	ret = run_loop(&a, sfd, tfd);
	wd_notify("STOPPING=1");
	drain(&a);
	udp_expire(&a, true); /* open sessions: what they had so far */
	wd_sink_flush(&a.sink);
	log_stats(&a, "exit");
out:
	wd_probe_stop(&a.probe);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	wd_sink_close(&a.sink);
	wd_users_free(&a.users);
	if (a.ptable.bucket)
		wd_ptable_free(&a.ptable);
	wd_buf_free(&a.line);
	wd_buf_free(&a.scratch);
	wd_udp_free(&a.udp);
	wd_filter_maps_free(&a.filters);
	wd_config_free(&a.cfg);
	return ret;
}
