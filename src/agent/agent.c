// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/watch.h"
#include "loader/host.h"
#include "loader/mounts.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/notify.h"
#include "util/strings.h"
#include "util/variant.h"

#ifndef WD_VERSION
#define WD_VERSION "0.0.0"
#endif

#define WD_PROC_ROOT "/proc"
#define WD_PASSWD "/etc/passwd"
#define DRAIN_INTERVAL_MS 100 /* an event on a quiet host waits at most this */
#define WAKEUP_BYTES (64 * 1024) /* per CPU, between forced ring wakeups */
#define WATCH_SETTLE_NS (200 * 1000000LL) /* quiet time before a watch reload */

int wd_agent_configure(struct wd_agent *a, const struct wd_agent_opts *o)
{
	char why[WD_ERR_LEN + 64];
	int err;

	*a = (struct wd_agent){ .opts = *o, .sfd = -1, .tfd = -1, .ifd = -1, .ep = -1,
				.t0 = wd_clock_ns(CLOCK_MONOTONIC) };
	wd_loader_init(&a->loader);
	err = wd_agent_prepare(o, &a->cfg, &a->filters, why, sizeof(why));
	if (!err)
		return 0;
	if (err == -EUSERS) { /* the command line's fault */
		fprintf(stderr, "whodunit: %s\n", why);
		return EX_USAGE;
	}
	wd_err("%s", why);
	if (err == -EINVAL || err == -E2BIG)
		return EX_CONFIG;
	return err == -ENOMEM ? EX_OSERR : EX_NOINPUT;
}

/* Signals and the drain timer as descriptors for the loop. */
static int open_loop_fds(struct wd_agent *a)
{
	struct itimerspec its = {
		.it_interval = { 0, DRAIN_INTERVAL_MS * 1000000L },
		.it_value = { 0, DRAIN_INTERVAL_MS * 1000000L },
	};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	a->sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (a->sfd < 0 || a->tfd < 0 || timerfd_settime(a->tfd, 0, &its, NULL)) {
		wd_err("signalfd/timerfd: %s", strerror(errno));
		return EX_OSERR;
	}
	return 0;
}

void wd_agent_loader_opts(const struct wd_agent *a, const struct wd_config *c,
			  struct wd_loader_opts *lo)
{
	*lo = (struct wd_loader_opts){
		.variant = a->opts.variant ?
			(enum wd_variant)wd_variant_parse(a->opts.variant) : c->variant,
		.btf_path = a->opts.btf,
		.ring_bytes = c->ring_buffer_bytes,
		.wakeup_bytes = WAKEUP_BYTES,
		.filters = &a->filters,
		.tcp_connect = c->tcp_connect.enabled,
		.listen_tcp = c->net_listen.enabled && c->net_listen.listen_tcp,
		.listen_udp = c->net_listen.enabled && c->net_listen.listen_udp,
		.exclude_random_bind = c->net_listen.exclude_random_bind,
		.udp_session = c->udp_session.enabled,
		.dns = wd_config_dns_capture(c),
		.on_record = wd_dispatch_record,
		.ctx = (void *)&a->dispatch,
	};
}

static uint64_t flood_suppressed(void *ctx)
{
	struct wd_counters c;

	return wd_loader_counters(ctx, &c) ? 0 : c.flood_suppressed;
}

/* Rules and flood control talk to the kernel through the loader. */
static void wd_agent_rule_hooks(struct wd_agent *a)
{
	a->dispatch.rules.hooks = (struct wd_rule_hooks){
		.set_verdict = wd_loader_set_verdict, .del_verdict = wd_loader_del_verdict,
		.clear_verdicts = wd_loader_clear_verdicts,
		.kernel_hits = wd_loader_rule_hits, .ctx = &a->loader,
	};
	a->dispatch.flood.hooks = (struct wd_flood_hooks){
		.burst = wd_loader_flood_burst, .marked = wd_loader_flood_marked,
		.take = wd_loader_flood_take, .suppressed = flood_suppressed,
		.ctx = &a->loader,
	};
	a->dispatch.flood.variant = (uint16_t)a->loader.variant;
}

static int start_loader(struct wd_agent *a)
{
	struct wd_loader_opts lo;
	char why[1024];

	wd_agent_loader_opts(a, &a->cfg, &lo);
	a->dispatch.udp.take = wd_loader_udp_take;
	a->dispatch.udp.take_ctx = &a->loader;
	a->dispatch.udp.sweep = wd_loader_udp_sweep;
	a->dispatch.udp.sweep_ctx = &a->loader;
	if (wd_loader_start(&a->loader, &lo, why, sizeof(why))) {
		wd_err("no probe variant could be attached: %s", why);
		wd_privilege_hint(why);
		return EX_UNAVAILABLE;
	}
	wd_agent_rule_hooks(a);
	return 0;
}

/* Containers known now judged, the cgroup tree watched (container/watch.c). */
static void start_containers(struct wd_agent *a)
{
	int allow_fd, mode_fd;

	wd_loader_container_maps(&a->loader, &allow_fd, &mode_fd);
	wd_containers_start(&a->dispatch.containers, allow_fd, mode_fd);
}

static int open_output(struct wd_agent *a)
{
	const char *spec = wd_config_output(&a->cfg);
	int err;

	err = wd_dispatch_init(&a->dispatch, &a->cfg, &a->filters, WD_PROC_ROOT, WD_PASSWD);
	if (err) {
		wd_err("%s", strerror(-err));
		return EX_OSERR;
	}
	err = wd_sink_open(&a->dispatch.sink);
	if (err) {
		wd_err("output %s: %s", spec, strerror(-err));
		return EX_CANTCREAT;
	}
	return 0;
}

static void start_record(struct wd_agent *a, size_t seeded)
{
	struct wd_start_info si = {
		.version = WD_VERSION,
		.variant = wd_variant_name(a->loader.variant),
		.config = a->cfg.source,
		.config_sha256 = a->cfg.sha256,
		.programs = a->loader.nprogs,
		.processes = seeded,
	};

	wd_record_start(&a->dispatch, &si);
}

int wd_agent_start(struct wd_agent *a)
{
	size_t seeded;
	int ret;

	if (!wd_have_bpf_privileges()) {
		wd_err("loading BPF needs root (or CAP_BPF with CAP_PERFMON)");
		return EX_NOPERM;
	}
	if (a->cfg.udp_session.enabled && !wd_have_net_admin()) {
		wd_err("udp_session needs CAP_NET_ADMIN (or CAP_SYS_ADMIN) for its cgroup "
		       "programs: grant it, or remove udp_session from the config");
		return EX_NOPERM;
	}
	if (a->cfg.dns.enabled && !wd_have_net_admin()) {
		wd_err("dns needs CAP_NET_ADMIN (or CAP_SYS_ADMIN) for its cgroup programs: "
		       "grant it, or remove dns from the config");
		return EX_NOPERM;
	}
	if (wd_config_dns_capture(&a->cfg) && !wd_have_net_admin()) {
		wd_warn("agent.dns_names: no CAP_NET_ADMIN for the cgroup programs that "
			"see DNS answers: connects have no dest_name");
		a->cfg.dns_names = false;
	}
	if (wd_kernel_check(a->opts.btf))
		return EX_UNAVAILABLE;
	ret = open_output(a);
	if (!ret)
		ret = open_loop_fds(a);
	if (!ret)
		ret = start_loader(a);
	if (ret)
		return ret;
	start_containers(a);
	/* Attached first, then seeded: no process falls between the two. */
	seeded = wd_ptable_seed(&a->dispatch.ptable);
	wd_dispatch_settings(&a->dispatch); /* the kernel's rule verdicts, flood burst */
	/* libbpf parsed the kernel's BTF (tens of MiB) to load: give it back. */
	malloc_trim(0);
	wd_info("ready: variant %s, %d programs attached in %lld ms; %zu processes "
		"known; config %s; output %s", wd_variant_name(a->loader.variant),
		a->loader.nprogs,
		(long long)((wd_clock_ns(CLOCK_MONOTONIC) - a->t0) / 1000000), seeded,
		a->cfg.source, wd_config_output(&a->cfg));
	start_record(a, seeded);
	wd_health_init(&a->health);
	wd_agent_watch(a); /* before READY: an edit right after it is seen */
	a->last_stats_ns = wd_clock_ns(CLOCK_MONOTONIC);
	wd_notify("READY=1");
	return 0;
}

/* How long the kernel walks whole ancestries after a gap in the table. */
#define DEEP_WALK_NS (60 * WD_NS_PER_SEC)

/* Everything counted so far. */
static void totals(struct wd_agent *a, struct wd_totals *t)
{
	const struct wd_dispatch *d = &a->dispatch;
	struct wd_counters c;

	if (wd_loader_counters(&a->loader, &c))
		c = (struct wd_counters){ 0 };
	*t = (struct wd_totals){
		.seen = c.seen, .filtered = c.filtered, .emitted = c.emitted,
		.ring_lost = c.dropped, .proc_lost = c.proc_dropped,
		.written = d->sink.written, .output_lost = d->sink.lost + d->oom_lost,
		.malformed = d->malformed, .reloads = a->reloads,
		.udp_map_full = c.udp_map_full, .udp_close_lost = c.udp_close_lost,
		.udp_sessions_dropped = d->udp.table.dropped,
		.udp_evicted = d->udp.evicted, .udp_swept = d->udp.swept,
		.udp_truncated = d->udp.truncated,
		.dns_captured = c.dns_captured, .dns_lost = c.dns_lost,
		.dns_unknown = c.dns_unknown, .dns_answers = d->dns.answers,
		.dns_malformed = d->dns.malformed, .dns_ignored = d->dns.ignored,
		.dns_cut = d->dns.cut, .dns_evicted = d->dns.cache.evicted,
		.rule_dropped = c.rule_dropped, .repeat_suppressed = c.flood_suppressed,
		.repeat_reported = d->flood.reported, .repeat_uncounted = d->flood.lost,
		.container_filtered = c.container_filtered,
	};
}

static void log_stats(struct wd_agent *a, const char *when)
{
	const struct wd_dispatch *d = &a->dispatch;
	const struct wd_ptable *pt = &d->ptable;
	struct wd_totals t;

	totals(a, &t);
	wd_info("%s: seen %llu, filtered %llu, emitted %llu, dropped %llu (ring full); "
		"written %llu, output lost %llu (spooled %llu, failed attempts %llu), "
		"malformed %llu; process table %zu "
		"(max %zu), evictions %llu, lineage breaks %llu, full %llu, "
		"process records lost %llu, /proc reads %llu, shortened %llu; "
		"process table bytes %zu (max %zu), trimmed %llu",
		when, (unsigned long long)t.seen, (unsigned long long)t.filtered,
		(unsigned long long)t.emitted, (unsigned long long)t.ring_lost,
		(unsigned long long)t.written, (unsigned long long)t.output_lost,
		(unsigned long long)d->sink.spooled, (unsigned long long)d->sink.failures,
		(unsigned long long)t.malformed, pt->count, pt->max,
		(unsigned long long)pt->evictions, (unsigned long long)pt->lineage_breaks,
		(unsigned long long)pt->full, (unsigned long long)t.proc_lost,
		(unsigned long long)pt->proc_reads,
		(unsigned long long)d->enrich.shortened, pt->bytes, pt->max_bytes,
		(unsigned long long)pt->trimmed);
	if (a->cfg.udp_session.enabled)
		wd_info("%s: udp_session: sessions %zu, not tracked %llu, map full %llu, "
			"releases lost %llu, evicted %llu, swept %llu, destinations "
			"truncated %llu", when, d->udp.table.count,
			(unsigned long long)t.udp_sessions_dropped,
			(unsigned long long)t.udp_map_full,
			(unsigned long long)t.udp_close_lost,
			(unsigned long long)t.udp_evicted, (unsigned long long)t.udp_swept,
			(unsigned long long)t.udp_truncated);
	if (wd_config_dns_capture(&a->cfg))
		wd_info("%s: dns: answers captured %llu, lost %llu, unknown socket %llu, "
			"parsed %llu, malformed %llu, ignored %llu, cut %llu; names %zu, "
			"evicted %llu", when, (unsigned long long)t.dns_captured,
			(unsigned long long)t.dns_lost, (unsigned long long)t.dns_unknown,
			(unsigned long long)t.dns_answers, (unsigned long long)t.dns_malformed,
			(unsigned long long)t.dns_ignored, (unsigned long long)t.dns_cut,
			d->dns.cache.count, (unsigned long long)t.dns_evicted);
}

/*
 * Losses become lost records as soon as they are known: the kernel's
 * ring-full count after each drain, the sink's once it delivers again.
 */
static void account_losses(struct wd_agent *a, const struct wd_totals *t)
{
	const struct wd_ptable *pt = &a->dispatch.ptable;
	uint64_t gaps = t->proc_lost + pt->evictions + pt->lineage_breaks + pt->full;
	int64_t now = wd_clock_ns(CLOCK_MONOTONIC);

	/*
	 * The process table has gaps while process records are lost or
	 * entries evicted: the kernel walks the whole chain meanwhile.
	 */
	if (gaps != a->table_gaps) {
		if (!a->deep_walk_until)
			wd_info("process table has gaps: the kernel sends whole ancestries");
		a->table_gaps = gaps;
		a->deep_walk_until = now + DEEP_WALK_NS;
		wd_loader_deep_walk(&a->loader, true);
	} else if (a->deep_walk_until && now > a->deep_walk_until) {
		a->deep_walk_until = 0;
		wd_loader_deep_walk(&a->loader, false);
	}
	if (t->ring_lost > a->ring_lost_told) {
		wd_record_lost(&a->dispatch, t->ring_lost - a->ring_lost_told, "ring_full");
		a->ring_lost_told = t->ring_lost;
	}
	/* with the dns probe, an answer lost is an event lost */
	if (t->dns_lost > a->dns_lost_told && a->cfg.dns.enabled)
		wd_record_lost(&a->dispatch, t->dns_lost - a->dns_lost_told, "dns_ring_full");
	a->dns_lost_told = t->dns_lost;
	/* (a record about output losses needs an output that works) */
	if (t->output_lost > a->output_lost_told && wd_sink_healthy(&a->dispatch.sink)) {
		wd_record_lost(&a->dispatch, t->output_lost - a->output_lost_told, "output");
		a->output_lost_told = t->output_lost;
	}
}

/* Every stats_interval: a stats record, STATUS= and the metrics file. */
static void maybe_stats(struct wd_agent *a, const struct wd_totals *t, int64_t now)
{
	const struct wd_dispatch *d = &a->dispatch;
	int64_t every = (int64_t)(a->cfg.stats_interval ? a->cfg.stats_interval : 60) *
			WD_NS_PER_SEC;
	int err;

	if (now - a->last_stats_ns < every)
		return;
	if (a->cfg.stats_interval)
		wd_record_stats(&a->dispatch, t, &a->last, now - a->last_stats_ns);
	wd_health_status(t, d->ptable.count);
	if (a->cfg.metrics_file &&
	    (err = wd_metrics_write(a->cfg.metrics_file, t, &d->ptable,
				    d->udp.table.count)))
		wd_warn("metrics_file %s: %s", a->cfg.metrics_file, strerror(-err));
	a->last = *t;
	a->last_stats_ns = now;
}

static void drain(struct wd_agent *a)
{
	int64_t now = wd_clock_ns(CLOCK_MONOTONIC);
	struct wd_totals t;

	wd_dispatch_refresh(&a->dispatch);
	wd_loader_drain(&a->loader);
	if (a->reload_at_ns && now >= a->reload_at_ns) {
		wd_agent_reload(a, a->reload_trigger);
		a->reload_at_ns = 0;
	}
	totals(a, &t);
	account_losses(a, &t);
	maybe_stats(a, &t, now);
	wd_dispatch_tick(&a->dispatch);
	wd_health_tick(&a->health, now);
}

/* A signal or the timer is ready: read it. true when the loop should stop. */
static bool on_fd(struct wd_agent *a, int fd)
{
	int64_t now = wd_clock_ns(CLOCK_MONOTONIC);
	struct signalfd_siginfo si;
	uint64_t ticks;

	if (fd == a->ifd) {
		/* editors write in steps: reload once the files are quiet */
		if (wd_watch_changed(a->ifd, a->cfg.files, a->cfg.nfiles)) {
			a->reload_at_ns = now + WATCH_SETTLE_NS;
			a->reload_trigger = "watch";
		}
		return false;
	}
	if (fd == wd_containers_fd(&a->dispatch.containers)) {
		wd_containers_on_inotify(&a->dispatch.containers);
		return false;
	}
	if (fd == a->tfd) {
		if (read(a->tfd, &ticks, sizeof(ticks)) < 0)
			wd_debug("timerfd: %s", strerror(errno));
		return false;
	}
	if (fd != a->sfd || read(a->sfd, &si, sizeof(si)) != sizeof(si))
		return false;
	if (si.ssi_signo == SIGUSR1)
		log_stats(a, "stats");
	if (si.ssi_signo == SIGHUP) {
		a->reload_at_ns = now;
		a->reload_trigger = "SIGHUP";
	}
	if (si.ssi_signo != SIGTERM && si.ssi_signo != SIGINT)
		return false;
	a->stop_reason = si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT";
	return true;
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

void wd_agent_watch(struct wd_agent *a)
{
	if (a->ifd >= 0)
		close(a->ifd); /* (which takes it out of the epoll set) */
	a->ifd = -1;
	if (!a->cfg.watch_config || !a->opts.config)
		return;
	a->ifd = wd_watch_open(a->cfg.files, a->cfg.nfiles);
	if (a->ifd < 0) {
		wd_warn("watch_config: %s: changes are not noticed", strerror(-a->ifd));
		a->ifd = -1;
	} else if (a->ep >= 0 && add_fd(a->ep, a->ifd)) {
		wd_warn("watch_config: epoll: %s", strerror(errno));
	}
}

int wd_agent_run(struct wd_agent *a)
{
	int ret = 0;
	bool stop = false;

	a->ep = epoll_create1(EPOLL_CLOEXEC);
	if (a->ep < 0 || add_fd(a->ep, a->sfd) || add_fd(a->ep, a->tfd) ||
	    add_fd(a->ep, wd_loader_fd(&a->loader)) ||
	    (a->ifd >= 0 && add_fd(a->ep, a->ifd)) ||
	    (wd_containers_fd(&a->dispatch.containers) >= 0 &&
	     add_fd(a->ep, wd_containers_fd(&a->dispatch.containers)))) {
		wd_err("epoll: %s", strerror(errno));
		return EX_OSERR;
	}
	while (!stop) {
		struct epoll_event evs[4];
		int n = epoll_wait(a->ep, evs, 4, -1);

		if (n < 0 && errno != EINTR) {
			wd_err("epoll_wait: %s", strerror(errno));
			a->stop_reason = "error";
			ret = EX_OSERR;
			break;
		}
		for (int i = 0; i < n; i++)
			stop |= on_fd(a, evs[i].data.fd);
		drain(a);
	}
	return ret;
}

void wd_agent_stop(struct wd_agent *a)
{
	struct wd_totals t;

	if (a->loader.skel) {
		wd_notify("STOPPING=1");
		drain(a);
		wd_dispatch_finish(&a->dispatch);
		totals(a, &t);
		account_losses(a, &t);
		wd_record_stop(&a->dispatch, a->stop_reason ? a->stop_reason : "error", &t);
		wd_dispatch_finish(&a->dispatch);
		log_stats(a, "exit");
		wd_loader_log_prog_stats(&a->loader);
	}
	wd_loader_stop(&a->loader);
	wd_mounts_undo();
	if (a->sfd >= 0)
		close(a->sfd);
	if (a->tfd >= 0)
		close(a->tfd);
	if (a->ifd >= 0)
		close(a->ifd);
	if (a->ep >= 0)
		close(a->ep);
	wd_dispatch_free(&a->dispatch);
	wd_filter_maps_free(&a->filters);
	wd_config_free(&a->cfg);
}
