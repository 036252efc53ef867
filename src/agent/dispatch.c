// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/dispatch.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strings.h"

#define WD_UDP_SESSIONS_MAX 65536
#define WD_CONTAINERS_MAX 4096 /* cgroups cached (host ones too) */
#define WD_PROC_BUDGET_NS (50 * 1000000LL) /* of /proc fallback reads per drain */
#define WD_FINISH_FLUSH_MS 2000 /* at stop: how long a failing output is retried */

/* Our network namespace's inode (0 when unknown). */
static uint32_t own_netns(const char *proc_root)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/self/ns/net", proc_root);
	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

/* The sink the config names, its syslog settings, not opened yet. */
static int sink_setup(struct wd_sink *s, const struct wd_config *cfg)
{
	int err;

	*s = (struct wd_sink){ .fd = -1, .facility = cfg->syslog_facility,
			       .spool_max = cfg->output_buffer_bytes };
	snprintf(s->ident, sizeof(s->ident), "%s", cfg->syslog_ident);
	err = wd_sink_parse(s, wd_config_output(cfg));
	if (err)
		return err;
	if (s->kind == WD_SINK_SYSLOG && cfg->syslog_socket)
		return wd_set_str(&s->path, cfg->syslog_socket);
	return 0;
}

int wd_dispatch_open_sink(const struct wd_config *cfg, struct wd_sink *s)
{
	int err = sink_setup(s, cfg);

	if (!err)
		err = wd_sink_open(s);
	if (err) {
		wd_sink_close(s);
		*s = (struct wd_sink){ .fd = -1 };
	}
	return err;
}

void wd_dispatch_replace_sink(struct wd_dispatch *d, struct wd_sink *s)
{
	uint64_t written, lost;

	wd_dispatch_finish_sink(d); /* what the old one holds: delivered or counted */
	written = d->sink.written;
	lost = d->sink.lost;
	wd_sink_close(&d->sink);
	d->sink = *s;
	/* the counters go on across sinks */
	d->sink.written += written;
	d->sink.lost += lost;
	*s = (struct wd_sink){ .fd = -1 };
	wd_dispatch_settings(d);
}

void wd_dispatch_reopen(struct wd_dispatch *d)
{
	int err = wd_sink_reopen(&d->sink);

	if (err)
		wd_warn("output: reopen: %s", strerror(-err));
}

void wd_dispatch_settings(struct wd_dispatch *d)
{
	const struct wd_config *cfg = d->cfg;
	const struct wd_probe_config *nl = &cfg->net_listen;
	char why[256];

	d->enrich.max_bytes = cfg->max_event_size;
	/* rsyslog's default message size is 8 KiB; files take any length. */
	if (cfg->max_event_size == WD_MAX_EVENT_UNSET)
		d->enrich.max_bytes = d->sink.kind == WD_SINK_SYSLOG ? WD_SYSLOG_MAX_EVENT : 0;
	d->udp.max_ns = (uint64_t)cfg->udp_session.session_max_duration * 1000000000ull;
	d->udp.emit_first = cfg->udp_session.emit_on_first_datagram;
	d->enrich.dns = wd_config_dns_names(cfg) ? &d->dns : NULL;
	if (cfg->dns.enabled && wd_dns_set_filters(&d->dns, &cfg->dns, why, sizeof(why)))
		wd_warn("dns: filters not changed: %s", why);
	if (d->containers.bucket)
		wd_containers_settings(&d->containers);
	wd_plugins_settings(&d->plugins, cfg);
	if (!nl->enabled || !nl->snapshot_periodicity)
		d->next_snapshot_ns = 0;
	else if (!d->next_snapshot_ns)
		d->next_snapshot_ns = 1; /* the first one at once */
	wd_rstate_set(&d->rules, &cfg->rules, &d->ptable);
	wd_flood_settings(d);
}

int wd_dispatch_init(struct wd_dispatch *d, const struct wd_config *cfg,
		     const struct wd_filter_maps *filters, const char *proc_root,
		     const char *passwd)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->filters = filters;
	d->proc_root = proc_root;
	d->netns = own_netns(proc_root);
	err = sink_setup(&d->sink, cfg);
	if (!err)
		err = wd_ptable_init(&d->ptable, proc_root, cfg->process_cache_size);
	if (!err)
		d->ptable.max_bytes = (size_t)cfg->process_cache_bytes;
	if (!err)
		err = wd_users_init(&d->users, passwd);
	if (!err)
		err = wd_dns_init(&d->dns, WD_DNS_CACHE_ENTRIES, WD_DNS_CACHE_BYTES);
	if (!err)
		err = wd_rstate_init(&d->rules);
	if (!err)
		err = wd_containers_init(&d->containers, cfg, proc_root, WD_CONTAINERS_MAX);
	d->rules.containers = &d->containers;
	if (err)
		return err;
	d->dns.ptable = &d->ptable;
	d->enrich = (struct wd_enrich){ .ptable = &d->ptable, .users = &d->users,
					.lineage = &d->lineage, .containers = &d->containers,
					.plugins = &d->plugins };
	wd_udp_sessions_init(&d->udp, WD_UDP_SESSIONS_MAX, &d->enrich, wd_dispatch_emit, d);
	wd_dispatch_settings(d);
	return 0;
}

void wd_dispatch_free(struct wd_dispatch *d)
{
	if (!d->cfg) /* never initialised */
		return;
	wd_sink_close(&d->sink);
	wd_users_free(&d->users);
	if (d->ptable.bucket)
		wd_ptable_free(&d->ptable);
	wd_udp_sessions_free(&d->udp);
	wd_dns_free(&d->dns);
	wd_rstate_free(&d->rules);
	wd_containers_free(&d->containers);
	wd_plugins_free(&d->plugins);
	wd_snapshot_end(&d->snapshot);
	wd_buf_free(&d->line);
}

void wd_dispatch_emit(void *ctx, struct wd_buf *line)
{
	struct wd_dispatch *d = ctx;
	int err;

	if (line->oom) {
		d->oom_lost++;
		return;
	}
	err = wd_sink_write(&d->sink, line->p, line->len);
	if (err && d->sink_errors++ == 0)
		wd_warn("output: an event is lost: %s (further losses are counted)",
			strerror(-err));
}

/* Say when the output starts failing, and when it delivers again. */
static void sink_watch(struct wd_dispatch *d)
{
	const struct wd_sink *s = &d->sink;

	if (!wd_sink_healthy(s) && !d->sink_down) {
		d->sink_down = true;
		if (s->spool_max)
			wd_warn("output: %s; events are kept (up to %llu bytes) and retried",
				strerror(-s->last_err), (unsigned long long)s->spool_max);
		else
			wd_warn("output: %s; events are lost (no output buffer)",
				strerror(-s->last_err));
	} else if (wd_sink_healthy(s) && d->sink_down) {
		d->sink_down = false;
		wd_info("output: delivering again; %llu events lost so far",
			(unsigned long long)s->lost);
	}
}

bool wd_dispatch_judge(struct wd_dispatch *d, const struct wd_connect_event *e)
{
	struct wd_enrich *en = &d->enrich;

	en->rule_tags = NULL;
	en->nrule_tags = 0;
	if (!d->cfg->rules.n)
		return false;
	wd_lineage_build(en->ptable, e, en->lineage);
	en->lineage_ready = true;
	if (wd_rstate_judge(&d->rules, e, en->lineage, en->users)) {
		en->lineage_ready = false;
		return true;
	}
	en->rule_tags = d->rules.tag_names;
	en->nrule_tags = d->rules.ntags;
	return false;
}

static void write_event(struct wd_dispatch *d, const struct wd_connect_event *e)
{
	if (wd_dispatch_judge(d, e))
		return;
	wd_buf_reset(&d->line);
	wd_format_connect(&d->line, e, &d->enrich);
	wd_dispatch_emit(d, &d->line);
}

/* A connect, listen or UDP destination record (checked). */
static void on_socket_record(struct wd_dispatch *d, const struct wd_connect_event *e)
{
	switch (e->hdr.type) {
	case WD_EV_LISTEN:
		if (d->cfg->net_listen.same_namespace_only && e->netns != d->netns)
			return;
		write_event(d, e);
		return;
	case WD_EV_UDP_DEST:
		if (!wd_dispatch_judge(d, e))
			wd_udp_on_dest(&d->udp, e);
		d->enrich.lineage_ready = false;
		d->enrich.nrule_tags = 0;
		return;
	default:
		write_event(d, e);
	}
}

/* fork, exec or exit: the process table, then the rules' verdict for the kernel. */
static void proc_record(struct wd_dispatch *d, const struct wd_proc_event *e, size_t size)
{
	/* (its summaries while the table still knows the process) */
	if (size >= WD_PROC_EVENT_FIXED && e->hdr.type == WD_EV_EXIT)
		wd_flood_on_exit(d, e->pid, e->start_ns);
	wd_ptable_apply(&d->ptable, e, size);
	if (size < WD_PROC_EVENT_FIXED)
		return;
	/* a fork runs its parent's program: it gets its own verdict too */
	if (e->hdr.type == WD_EV_EXEC || e->hdr.type == WD_EV_FORK)
		wd_rstate_on_start(&d->rules, &d->ptable, e->pid, e->start_ns,
				   e->hdr.type == WD_EV_FORK);
	else if (e->hdr.type == WD_EV_EXIT)
		wd_rstate_on_exit(&d->rules, e->pid, e->start_ns);
}

/* A DNS answer (checked): cached; the dns probe's event if it wants one. */
static void on_dns_record(struct wd_dispatch *d, const struct wd_dns_event *ev)
{
	if (wd_dns_on_record(&d->dns, ev) || !d->cfg->dns.enabled ||
	    !wd_dns_reported(&d->dns))
		return;
	wd_buf_reset(&d->line);
	wd_dns_format(&d->line, &d->dns, ev, &d->enrich);
	wd_dispatch_emit(d, &d->line);
}

int wd_dispatch_record(void *ctx, void *data, size_t size)
{
	const struct wd_event_hdr *h = data;
	struct wd_dispatch *d = ctx;

	if (size < sizeof(*h)) {
		d->malformed++;
		return 0;
	}
	switch (h->type) {
	case WD_EV_FORK:
	case WD_EV_EXEC:
	case WD_EV_EXIT:
		proc_record(d, data, size);
		return 0;
	case WD_EV_UDP_CLOSE:
		if (size >= sizeof(struct wd_udp_close)) {
			wd_udp_on_close(&d->udp, ((const struct wd_udp_close *)data)->cookie);
			return 0;
		}
		break;
	case WD_EV_DNS:
		if (wd_dns_event_check(data, size)) {
			d->malformed++;
			return 0;
		}
		on_dns_record(d, data);
		return 0;
	}
	if (wd_event_check(data, size)) {
		d->malformed++;
		return 0;
	}
	on_socket_record(d, data);
	return 0;
}

void wd_dispatch_refresh(struct wd_dispatch *d)
{
	/* /proc fallbacks of one drain: at most this long (then ancestry is partial) */
	d->ptable.proc_deadline_ns = wd_clock_ns(CLOCK_MONOTONIC) + WD_PROC_BUDGET_NS;
	d->enrich.boot_to_real_ns = wd_boot_to_real_ns();
	wd_users_refresh(&d->users);
}

void wd_dispatch_tick(struct wd_dispatch *d)
{
	if (d->cfg->udp_session.enabled)
		wd_udp_expire(&d->udp, (uint64_t)wd_clock_ns(CLOCK_BOOTTIME), false);
	wd_listen_snapshot_tick(d);
	wd_flood_tick(d, wd_clock_ns(CLOCK_MONOTONIC), false);
	wd_containers_tick(&d->containers);
	wd_plugins_tick(&d->plugins);
	wd_sink_flush(&d->sink);
	sink_watch(d);
}

void wd_dispatch_finish(struct wd_dispatch *d)
{
	wd_flood_tick(d, 0, true); /* what is counted: summaries now */
	wd_udp_expire(&d->udp, 0, true); /* open sessions: what they had so far */
	wd_dispatch_finish_sink(d);
}

void wd_dispatch_finish_sink(struct wd_dispatch *d)
{
	uint64_t left;
	int err;

	err = wd_sink_drain(&d->sink, WD_FINISH_FLUSH_MS);
	if (!err)
		return;
	left = wd_sink_discard(&d->sink);
	if (left)
		wd_warn("output: %s; %llu events not delivered %d s after stopping are lost",
			strerror(-err), (unsigned long long)left, WD_FINISH_FLUSH_MS / 1000);
}
