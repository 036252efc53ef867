// SPDX-License-Identifier: GPL-2.0-only
/*
 * whodunit's keys -> struct wd_config: the defaults, the top level and the
 * agent section (the probe sections are in probes.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config/schema.h"
#include "output/sink.h"
#include "util/strings.h"
#include "util/variant.h"

/*
 * Every default, and only here. NULL strings have theirs where they are used:
 * output syslog (wd_config_output), syslog_socket /dev/log (the sink's).
 */
static const struct wd_config defaults = {
	.syslog_facility = LOG_DAEMON,
	.syslog_ident = "whodunit",
	.ring_buffer_bytes = 4u << 20,
	.process_cache_size = 65536,
	.process_cache_bytes = 64u << 20,
	.max_event_size = WD_MAX_EVENT_UNSET,
	.variant = WD_VARIANT_NONE, /* auto */
	.stats_interval = 60,
	.output_buffer_bytes = 64u << 20,
	.container_labels_max = 16,
	.net_listen = { .listen_tcp = true }, /* pidtree-bcc's: [tcp] */
	.udp_session = { .session_max_duration = 120 }, /* pidtree-bcc's */
	.dns_names = true,
	.repeat_window = 60, /* flood control: burst events per key and window */
	.repeat_burst = 100,
};

void wd_config_init(struct wd_config *cfg)
{
	*cfg = defaults;
}

const char *wd_config_output(const struct wd_config *cfg)
{
	return cfg->output ? cfg->output : "syslog";
}

/* ---- agent -------------------------------------------------------------- */

struct agent_state {
	struct wd_config *cfg;
	const yaml_node_t *variant_key; /* variant or probe_mode, once read */
};

#define AGENT_CFG(arg) (((struct agent_state *)(arg))->cfg)

static int agent_output(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct wd_sink probe_sink = { 0 };
	const char *s = NULL;
	int err;

	err = wd_rd_get_string(r, v, wd_rd_scalar(k), &s);
	if (err)
		return err;
	err = wd_sink_parse(&probe_sink, s);
	free(probe_sink.path);
	if (err)
		return wd_rd_fail(r, v, "output '%s' is not syslog, stdout or file:PATH", s);
	return wd_set_str(&AGENT_CFG(arg)->output, s);
}

static int agent_facility(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	const char *s = NULL;
	int err;

	err = wd_rd_get_string(r, v, wd_rd_scalar(k), &s);
	if (err)
		return err;
	err = wd_syslog_facility(s);
	if (err < 0)
		return wd_rd_fail(r, v, "unknown syslog facility '%s' (daemon, user, "
					"local0..local7, ...)", s);
	AGENT_CFG(arg)->syslog_facility = err;
	return 0;
}

static int agent_ident(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct wd_config *cfg = AGENT_CFG(arg);
	const char *s = NULL;
	int err;

	err = wd_rd_get_string(r, v, wd_rd_scalar(k), &s);
	if (err)
		return err;
	if (!*s || strlen(s) >= sizeof(cfg->syslog_ident) || strpbrk(s, " :[]"))
		return wd_rd_fail(r, v, "syslog_ident must be 1 to %zu characters "
					"without spaces, ':' or brackets",
				  sizeof(cfg->syslog_ident) - 1);
	snprintf(cfg->syslog_ident, sizeof(cfg->syslog_ident), "%s", s);
	return 0;
}

/* An absolute path shorter than max bytes into *dst (the key k's value v). */
static int get_abs_path(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, size_t max,
			char **dst)
{
	const char *key = wd_rd_scalar(k), *s = NULL;
	int err;

	err = wd_rd_get_string(r, v, key, &s);
	if (err)
		return err;
	if (s[0] != '/')
		return wd_rd_fail(r, v, "%s must be an absolute path", key);
	if (strlen(s) >= max)
		return wd_rd_fail(r, v, "%s must be shorter than %zu bytes", key, max);
	return wd_set_str(dst, s);
}

static int agent_socket(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	return get_abs_path(r, k, v, 108, &AGENT_CFG(arg)->syslog_socket);
}

static int agent_ring(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	uint64_t size = 0;
	int err;

	err = wd_rd_get_size(r, v, wd_rd_scalar(k), &size);
	if (err)
		return err;
	if (size < 4096 || size > (1u << 30) || (size & (size - 1)))
		return wd_rd_fail(r, v, "ring_buffer_size must be a power of two "
					"between 4K and 1G");
	AGENT_CFG(arg)->ring_buffer_bytes = (uint32_t)size;
	return 0;
}

static int agent_max_event(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	uint64_t size = 0;
	int err;

	err = wd_rd_get_size_in(r, v, wd_rd_scalar(k), 1024, 1u << 24, true,
				"max_event_size must be 0 (no limit) or 1K to 16M", &size);
	if (!err)
		AGENT_CFG(arg)->max_event_size = (uint32_t)size;
	return err;
}

static int agent_cache(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	uint64_t size = 0;
	int err;

	err = wd_rd_get_size_in(r, v, wd_rd_scalar(k), 64, 1u << 24, false,
				"process_cache_size must be between 64 and 16M entries", &size);
	if (!err)
		AGENT_CFG(arg)->process_cache_size = (uint32_t)size;
	return err;
}

static int agent_cache_bytes(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v,
			     void *arg)
{
	return wd_rd_get_size_in(r, v, wd_rd_scalar(k), 1u << 20, 64ull << 30, true,
				 "process_cache_bytes must be 0 (no limit) or 1M to 64G",
				 &AGENT_CFG(arg)->process_cache_bytes);
}

static int agent_stats(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	(void)k;
	return wd_rd_get_u32(r, v, 0, 86400, "stats_interval must be 0 (no stats "
			     "records) to 86400 seconds", &AGENT_CFG(arg)->stats_interval);
}

static int agent_output_buffer(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v,
			       void *arg)
{
	return wd_rd_get_size_in(r, v, wd_rd_scalar(k), 0, 16ull << 30, true,
				 "output_buffer must be 0 (none) to 16G",
				 &AGENT_CFG(arg)->output_buffer_bytes);
}

static int agent_watch(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	return wd_rd_get_bool(r, v, wd_rd_scalar(k), &AGENT_CFG(arg)->watch_config);
}

static int agent_dns_names(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v,
			   void *arg)
{
	return wd_rd_get_bool(r, v, wd_rd_scalar(k), &AGENT_CFG(arg)->dns_names);
}

static int agent_metrics(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	return get_abs_path(r, k, v, 4000, &AGENT_CFG(arg)->metrics_file);
}

static int repeat_pair(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	static const char *const known[] = { "window", "burst", NULL };
	struct wd_config *cfg = arg;
	const char *key = wd_rd_scalar(k);

	if (!strcmp(key, "window"))
		return wd_rd_get_u32(r, v, 0, 86400, "repeat_limit.window must be 0 (off) to "
				     "86400 seconds", &cfg->repeat_window);
	if (!strcmp(key, "burst"))
		return wd_rd_get_u32(r, v, 1, 1000000, "repeat_limit.burst must be 1 to "
				     "1000000 events", &cfg->repeat_burst);
	return wd_rd_unknown_key(r, k, "agent.repeat_limit", known);
}

/* repeat_limit: {window: S, burst: N}: flood control (rules/flood.c). */
static int agent_repeat(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	(void)k;
	return wd_rd_each_pair(r, v, "agent.repeat_limit", repeat_pair, AGENT_CFG(arg));
}

/* docker_data_root: where dockerd keeps containers/ID/config.v2.json. */
static int agent_docker_root(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	return get_abs_path(r, k, v, 256, &AGENT_CFG(arg)->docker_data_root);
}

static int agent_containers(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	return wd_rd_scalar(k)[10] == 'l' ? wd_schema_labels_max(r, v, AGENT_CFG(arg)) :
					    wd_schema_bundle_dirs(r, v, AGENT_CFG(arg));
}

/* variant, or probe_mode (its old name): one setting, under one name. */
static int agent_variant(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct agent_state *st = arg;
	const char *key = wd_rd_scalar(k), *s = NULL;
	int variant, err;

	if (st->variant_key && strcmp(wd_rd_scalar(st->variant_key), key))
		return wd_rd_fail(r, k, "both variant and probe_mode (its old name) are set, "
					"on lines %zu and %zu: keep variant",
				  wd_rd_line(st->variant_key), wd_rd_line(k));
	err = wd_rd_get_string(r, v, key, &s);
	if (err)
		return err;
	variant = wd_variant_parse(s);
	if (variant < 0)
		return wd_rd_fail(r, v, "%s '%s' is not auto, fentry, kprobe or tracepoint",
				  key, s);
	st->cfg->variant = (enum wd_variant)variant;
	st->variant_key = k;
	return 0;
}

/* In this order for "did you mean"; variant last: old suggestions stay. */
static const struct wd_rd_key agent_keys[] = {
	{ "output", agent_output, NULL },
	{ "syslog_facility", agent_facility, NULL },
	{ "syslog_ident", agent_ident, NULL },
	{ "syslog_socket", agent_socket, NULL },
	{ "ring_buffer_size", agent_ring, NULL },
	{ "probe_mode", agent_variant, NULL },
	{ "process_cache_size", agent_cache, NULL },
	{ "max_event_size", agent_max_event, NULL },
	{ "variant", agent_variant, NULL },
	{ "stats_interval", agent_stats, NULL },
	{ "output_buffer", agent_output_buffer, NULL },
	{ "watch_config", agent_watch, NULL },
	{ "metrics_file", agent_metrics, NULL },
	{ "process_cache_bytes", agent_cache_bytes, NULL },
	{ "dns_names", agent_dns_names, NULL },
	{ "repeat_limit", agent_repeat, NULL },
	{ "container_labels_max", agent_containers, NULL },
	{ "container_bundle_dirs", agent_containers, NULL },
	{ "docker_data_root", agent_docker_root, NULL },
	{ NULL, NULL, NULL },
};

static int agent_pair(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	return wd_rd_dispatch(r, k, v, "agent", agent_keys, arg);
}

static int agent_section(struct wd_reader *r, yaml_node_t *n, void *cfg)
{
	struct agent_state st = { .cfg = cfg };

	if (wd_rd_is_null(n))
		return 0;
	return wd_rd_each_pair(r, n, "agent", agent_pair, &st);
}

/* ---- the top level ------------------------------------------------------ */

static const struct wd_rd_key top_keys[] = {
	{ "tcp_connect", NULL, wd_schema_tcp_connect },
	{ "udp_session", NULL, wd_schema_udp_session },
	{ "net_listen", NULL, wd_schema_net_listen },
	{ "dns", NULL, wd_schema_dns },
	{ "agent", NULL, agent_section },
	{ "rules", NULL, wd_schema_rules },
	{ NULL, NULL, NULL },
};

static int top_pair(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *cfg)
{
	if (wd_rd_scalar(k)[0] == '_') /* anchors live here */
		return 0;
	return wd_rd_dispatch(r, k, v, "the top level", top_keys, cfg);
}

static int top_level(struct wd_reader *r, yaml_node_t *n, void *cfg)
{
	if (wd_rd_is_null(n))
		return 0;
	return wd_rd_each_pair(r, n, "the configuration", top_pair, cfg);
}

/* ---- the API ------------------------------------------------------------ */

static void probe_config_free(struct wd_probe_config *pc)
{
	for (size_t i = 0; i < pc->nfilters; i++) {
		free(pc->filters[i].name);
		free(pc->filters[i].description);
		free(pc->filters[i].ports.v);
	}
	free(pc->filters);
	free(pc->includeports.v);
	free(pc->excludeports.v);
	for (size_t i = 0; i < pc->nplugins; i++)
		free(pc->plugins[i]);
	free(pc->plugins);
	wd_schema_probe_containers_free(pc);
	*pc = (struct wd_probe_config){ 0 };
}

void wd_config_free(struct wd_config *cfg)
{
	probe_config_free(&cfg->tcp_connect);
	probe_config_free(&cfg->net_listen);
	probe_config_free(&cfg->udp_session);
	probe_config_free(&cfg->dns);
	wd_rules_free(&cfg->rules);
	wd_schema_containers_free(cfg);
	free(cfg->source);
	free(cfg->output);
	free(cfg->syslog_socket);
	free(cfg->metrics_file);
	free(cfg->docker_data_root);
	for (size_t i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	*cfg = (struct wd_config){ 0 };
}

/* After a good parse: where it came from, its digest, the files it read. */
static int keep_trace(struct wd_config *cfg, const char *source, struct wd_rd_trace *t)
{
	uint8_t d[32];

	if (t->oom)
		return -ENOMEM;
	wd_sha256_final(&t->sha, d);
	for (int i = 0; i < 32; i++)
		snprintf(cfg->sha256 + 2 * i, 3, "%02x", d[i]);
	cfg->files = t->files;
	cfg->nfiles = t->nfiles;
	t->files = NULL;
	t->nfiles = 0;
	return wd_set_str(&cfg->source, source);
}

int wd_config_parse(struct wd_config *cfg, const char *name, const char *text,
		    size_t len, char *err, size_t errlen)
{
	struct wd_rd_trace t;
	int ret;

	wd_rd_trace_init(&t);
	ret = wd_rd_parse(name, ".", text, len, top_level, cfg, &t, err, errlen);
	if (!ret)
		ret = keep_trace(cfg, name, &t);
	wd_rd_trace_free(&t);
	return ret;
}

int wd_config_load(struct wd_config *cfg, const char *path, char *err,
		   size_t errlen)
{
	struct wd_rd_trace t;
	int ret;

	wd_rd_trace_init(&t);
	ret = wd_rd_load(path, top_level, cfg, &t, err, errlen);
	if (!ret)
		ret = keep_trace(cfg, path, &t);
	wd_rd_trace_free(&t);
	return ret;
}
