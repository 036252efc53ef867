// SPDX-License-Identifier: GPL-2.0-only
/*
 * Configuration: read and checked completely before anything is applied,
 * at start and at every reload (SIGHUP, or a watched file changed). A bad
 * reload changes nothing but says why; a good one is applied without
 * detaching what stays, and says what changed and what waits for a restart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strings.h"

static int read_config(struct wd_config *cfg, const char *path, char *why, size_t len)
{
	wd_config_init(cfg);
	if (path)
		return wd_config_load(cfg, path, why, len);
	return wd_config_parse(cfg, "<embedded>", wd_default_config, wd_default_config_len,
			       why, len);
}

static int output_override(struct wd_config *cfg, const char *spec, char *why, size_t len)
{
	struct wd_sink check = { 0 };
	int err = wd_sink_parse(&check, spec);

	free(check.path);
	if (err == -EINVAL) {
		snprintf(why, len, "--output: '%s' is not syslog, stdout or file:PATH", spec);
		return -EUSERS;
	}
	return err ? err : wd_set_str(&cfg->output, spec);
}

int wd_agent_prepare(const struct wd_agent_opts *o, struct wd_config *cfg,
		     struct wd_filter_maps *f, char *why, size_t len)
{
	char what[1024];
	int err;

	*f = (struct wd_filter_maps){ 0 };
	err = read_config(cfg, o->config, why, len);
	if (!err && o->output)
		err = output_override(cfg, o->output, why, len);
	if (err)
		return err;
	if (!cfg->tcp_connect.enabled && !cfg->net_listen.enabled &&
	    !cfg->udp_session.enabled && !cfg->dns.enabled) {
		snprintf(why, len, "%s: no probe is configured (add tcp_connect, "
			 "net_listen, udp_session or dns)", cfg->source);
		return -EINVAL;
	}
	err = wd_filter_compile(cfg, f, what, sizeof(what));
	if (err)
		snprintf(why, len, "%s: %s", cfg->source, what);
	return err;
}

/* Names of settings, for the reload record. */
struct names {
	const char *v[24];
	size_t n;
};

static void add(struct names *l, const char *s)
{
	if (l->n < sizeof(l->v) / sizeof(l->v[0]))
		l->v[l->n++] = s;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool same_filters(const struct wd_filter_maps *a, const struct wd_filter_maps *b)
{
	return a->n4 == b->n4 && a->n6 == b->n6 && a->nsets == b->nsets &&
	       !memcmp(a->cfg, b->cfg, sizeof(a->cfg)) &&
	       (!a->n4 || !memcmp(a->v4, b->v4, a->n4 * sizeof(*a->v4))) &&
	       (!a->n6 || !memcmp(a->v6, b->v6, a->n6 * sizeof(*a->v6))) &&
	       (!a->nsets || !memcmp(a->sets, b->sets, a->nsets * sizeof(*a->sets)));
}

static bool same_probes(const struct wd_config *o, const struct wd_config *n)
{
	return o->tcp_connect.enabled == n->tcp_connect.enabled &&
	       o->net_listen.enabled == n->net_listen.enabled &&
	       o->udp_session.enabled == n->udp_session.enabled &&
	       o->dns.enabled == n->dns.enabled &&
	       wd_config_dns_capture(o) == wd_config_dns_capture(n) &&
	       o->net_listen.listen_tcp == n->net_listen.listen_tcp &&
	       o->net_listen.listen_udp == n->net_listen.listen_udp;
}

static bool same_output(const struct wd_config *o, const struct wd_config *n)
{
	return same_str(wd_config_output(o), wd_config_output(n)) &&
	       o->syslog_facility == n->syslog_facility &&
	       !strcmp(o->syslog_ident, n->syslog_ident) &&
	       same_str(o->syslog_socket, n->syslog_socket) &&
	       o->output_buffer_bytes == n->output_buffer_bytes;
}

/* The dns probe's filters (userland's: not in the kernel's maps). */
static bool same_dns_filters(const struct wd_probe_config *a,
			     const struct wd_probe_config *b)
{
	if (a->nfilters != b->nfilters)
		return false;
	for (size_t i = 0; i < a->nfilters; i++) {
		const struct wd_net_filter *x = &a->filters[i], *y = &b->filters[i];

		if (x->family != y->family || x->prefixlen != y->prefixlen ||
		    x->mode != y->mode || memcmp(x->addr, y->addr, 16) ||
		    x->ports.n != y->ports.n ||
		    (x->ports.n && memcmp(x->ports.v, y->ports.v, x->ports.n * sizeof(*x->ports.v))))
			return false;
	}
	return true;
}

static bool same_strv(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

static bool same_plugins(const struct wd_probe_config *a, const struct wd_probe_config *b)
{
	const struct wd_plugins_config *x = &a->plug, *y = &b->plug;

	return x->sourceipmap == y->sourceipmap && x->loginuidmap == y->loginuidmap &&
	       x->loginuid_top_level == y->loginuid_top_level &&
	       same_str(x->attribute_key, y->attribute_key) &&
	       same_strv(x->hostfiles, x->nhostfiles, y->hostfiles, y->nhostfiles);
}

/* What the events carry besides the connect: names, containers, plugins. */
static void diff_enrichment(const struct wd_config *o, const struct wd_config *n,
			    struct names *changed)
{
	const struct wd_probe_config *op[] = { &o->tcp_connect, &o->net_listen, &o->udp_session };
	const struct wd_probe_config *np[] = { &n->tcp_connect, &n->net_listen, &n->udp_session };
	bool labels = false, plugins = false;

	for (size_t i = 0; i < sizeof(op) / sizeof(op[0]); i++) {
		labels |= !same_strv(op[i]->container_labels, op[i]->ncontainer_labels,
				     np[i]->container_labels, np[i]->ncontainer_labels);
		plugins |= !same_plugins(op[i], np[i]);
	}
	if (o->dns_names != n->dns_names)
		add(changed, "dns_names");
	if (labels)
		add(changed, "container_labels");
	if (o->container_labels_max != n->container_labels_max ||
	    !same_strv(o->container_bundle_dirs, o->ncontainer_bundle_dirs,
		       n->container_bundle_dirs, n->ncontainer_bundle_dirs) ||
	    !same_str(o->docker_data_root, n->docker_data_root))
		add(changed, "containers");
	if (plugins)
		add(changed, "plugins");
}

/*
 * What the new config n changes against the running o. Settings that only
 * a restart can change keep their running values in n and are named in
 * pending.
 */
static void diff(const struct wd_config *o, struct wd_config *n,
		 const struct wd_filter_maps *of, const struct wd_filter_maps *nf,
		 struct names *changed, struct names *pending)
{
	if (!same_filters(of, nf))
		add(changed, "filters");
	if (!same_probes(o, n))
		add(changed, "probes");
	if (!same_output(o, n))
		add(changed, "output");
	if (o->max_event_size != n->max_event_size)
		add(changed, "max_event_size");
	if (o->stats_interval != n->stats_interval)
		add(changed, "stats_interval");
	if (!same_str(o->metrics_file, n->metrics_file))
		add(changed, "metrics_file");
	if (o->watch_config != n->watch_config)
		add(changed, "watch_config");
	if (!wd_rules_same(&o->rules, &n->rules))
		add(changed, "rules");
	if (o->repeat_window != n->repeat_window || o->repeat_burst != n->repeat_burst)
		add(changed, "repeat_limit");
	if (o->udp_session.session_max_duration != n->udp_session.session_max_duration ||
	    o->udp_session.emit_on_first_datagram != n->udp_session.emit_on_first_datagram)
		add(changed, "udp_session");
	if (o->net_listen.snapshot_periodicity != n->net_listen.snapshot_periodicity ||
	    o->net_listen.same_namespace_only != n->net_listen.same_namespace_only)
		add(changed, "net_listen");
	if (o->dns.enabled && n->dns.enabled && !same_dns_filters(&o->dns, &n->dns))
		add(changed, "dns");
	diff_enrichment(o, n, changed);
	if (o->ring_buffer_bytes != n->ring_buffer_bytes)
		add(pending, "ring_buffer_size");
	if (o->variant != n->variant)
		add(pending, "variant");
	if (o->process_cache_size != n->process_cache_size)
		add(pending, "process_cache_size");
	if (o->process_cache_bytes != n->process_cache_bytes)
		add(pending, "process_cache_bytes");
	if (o->net_listen.exclude_random_bind != n->net_listen.exclude_random_bind)
		add(pending, "net_listen.exclude_random_bind");
	n->ring_buffer_bytes = o->ring_buffer_bytes;
	n->variant = o->variant;
	n->process_cache_size = o->process_cache_size;
	n->process_cache_bytes = o->process_cache_bytes;
	n->net_listen.exclude_random_bind = o->net_listen.exclude_random_bind;
}

/*
 * The fallible steps first (a new sink opened, filters swapped in the
 * kernel, probes attached or detached), undone if a later one fails; then
 * the new config replaces the running one (next gets the old, to free).
 */
static int apply(struct wd_agent *a, struct wd_config *next, struct wd_filter_maps *nf,
		 const struct names *changed, struct names *pending, char *why,
		 size_t len)
{
	bool output = false, filters = false, probes = false, unloaded;
	struct wd_loader_opts lo;
	struct wd_sink sink;
	struct wd_config tc;
	struct wd_filter_maps tf;
	int err = 0;

	for (size_t i = 0; i < changed->n; i++) {
		output |= !strcmp(changed->v[i], "output");
		filters |= !strcmp(changed->v[i], "filters");
		probes |= !strcmp(changed->v[i], "probes");
	}
	if (output && (err = wd_dispatch_open_sink(next, &sink))) {
		snprintf(why, len, "output %s: %s", wd_config_output(next), strerror(-err));
		return err;
	}
	if (filters && (err = wd_loader_swap_filters(&a->loader, nf, why, len)))
		goto undo_sink;
	wd_agent_loader_opts(a, next, &lo);
	if (probes && (err = wd_loader_set_probes(&a->loader, &lo, &unloaded, why, len)))
		goto undo_filters;
	if (probes && unloaded)
		add(pending, "probes not loaded at start");
	tc = a->cfg, a->cfg = *next, *next = tc;
	tf = a->filters, a->filters = *nf, *nf = tf;
	if (output)
		wd_dispatch_replace_sink(&a->dispatch, &sink);
	wd_dispatch_settings(&a->dispatch);
	return 0;
undo_filters:
	if (filters)
		wd_loader_swap_filters(&a->loader, &a->filters, NULL, 0);
undo_sink:
	if (output)
		wd_sink_close(&sink);
	return err;
}

/* "a, b, c", or "nothing". */
static const char *join(const struct names *l, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", l->v[i]);
	return l->n ? buf : "nothing";
}

void wd_agent_reload(struct wd_agent *a, const char *trigger)
{
	struct names changed = { 0 }, pending = { 0 };
	char list1[256], list2[256];
	char why[WD_ERR_LEN + 64] = "";
	struct wd_reload_info ri = { .trigger = trigger };
	struct wd_filter_maps nf;
	struct wd_config next;
	int64_t t0 = wd_clock_ns(CLOCK_MONOTONIC);
	int err;

	wd_dispatch_reopen(&a->dispatch); /* logrotate moved the file: a new one */
	err = wd_agent_prepare(&a->opts, &next, &nf, why, sizeof(why));
	if (!err) {
		diff(&a->cfg, &next, &a->filters, &nf, &changed, &pending);
		err = apply(a, &next, &nf, &changed, &pending, why, sizeof(why));
	}
	ri.ok = !err;
	ri.error = err ? why : NULL;
	ri.config_sha256 = a->cfg.sha256;
	ri.changed = changed.v;
	ri.nchanged = err ? 0 : changed.n;
	ri.pending = pending.v;
	ri.npending = err ? 0 : pending.n;
	ri.ms = (double)(wd_clock_ns(CLOCK_MONOTONIC) - t0) / 1e6;
	if (err) {
		wd_err("reload (%s) refused, the running configuration stays: %s", trigger, why);
	} else {
		a->reloads++;
		wd_info("reload (%s) in %.1f ms: changed: %s; waiting for a restart: %s",
			trigger, ri.ms, join(&changed, list1, sizeof(list1)),
			join(&pending, list2, sizeof(list2)));
		wd_agent_watch(a);
	}
	wd_record_reload(&a->dispatch, &ri);
	wd_config_free(&next);
	wd_filter_maps_free(&nf);
}
