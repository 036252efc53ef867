/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The YAML configuration: pidtree-bcc's schema (one top-level key per
 * probe) plus an "agent" section for whodunit itself.
 */
#ifndef WD_CONFIG_H
#define WD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/variant.h"

#define WD_ERR_LEN 512

/* An inclusive port range; a single port has lo == hi. */
struct wd_port_range {
	uint16_t lo, hi;
};

struct wd_port_list {
	struct wd_port_range *v;
	size_t n;
};

#include "config/rules.h"

/* One entry of a probe's `filters` (pidtree-bcc schema, plus CIDR/IPv6). */
struct wd_net_filter {
	char *name;        /* subnet_name, may be NULL */
	char *description; /* may be NULL */
	int family;        /* AF_INET or AF_INET6 (v4-mapped become AF_INET) */
	uint8_t addr[16];  /* network, host bits cleared */
	uint8_t prefixlen;
	int mode;          /* enum wd_port_mode */
	struct wd_port_list ports; /* except_ports or include_ports */
	size_t line;       /* where it was defined, for messages */
};

/* pidtree-bcc's plugins of a probe (enabled: configured and enabled: true). */
struct wd_plugins_config {
	bool sourceipmap;
	char **hostfiles;    /* sourceipmap: hosts-format files, in order */
	size_t nhostfiles;
	char *attribute_key; /* sourceipmap: the event's key (default source_host) */
	bool loginuidmap;
	bool loginuid_top_level; /* loginuidmap: top-level loginuid/loginname only */
};

struct wd_probe_config {
	bool enabled;
	struct wd_net_filter *filters;
	size_t nfilters;
	struct wd_port_list includeports;
	struct wd_port_list excludeports;
	char **plugins; /* names of the configured plugins (enabled or not) */
	size_t nplugins;
	struct wd_plugins_config plug; /* their settings (config/plugins.c) */
	/* container_labels: "label=glob[,label2=glob2]", commas AND, entries OR */
	char **container_labels;
	size_t ncontainer_labels;
	/* net_listen only */
	bool listen_tcp, listen_udp;   /* protocols (default: tcp) */
	uint32_t snapshot_periodicity; /* seconds; 0: off */
	bool same_namespace_only;
	bool exclude_random_bind;
	/* udp_session only */
	uint32_t session_max_duration; /* seconds (default 120) */
	bool emit_on_first_datagram;
};

struct wd_config {
	char *source;        /* file name, or "<embedded>" */
	char sha256[65];     /* SHA-256 (hex) of every text read, in order */
	char **files;        /* the files read, includes too (watch_config) */
	size_t nfiles;
	char *output;        /* sink spec: syslog | stdout | file:PATH */
	int syslog_facility; /* LOG_* code */
	char syslog_ident[32];
	char *syslog_socket; /* the local syslog socket, /dev/log by default */
	uint32_t ring_buffer_bytes;
	uint32_t process_cache_size; /* entries of the process table */
	uint64_t process_cache_bytes; /* bytes of the process table; 0: no bound */
	uint32_t max_event_size;     /* bytes of one JSON record (0: no limit) */
#define WD_MAX_EVENT_UNSET 0xffffffffu /* default: 8000 for syslog, else none */
#define WD_SYSLOG_MAX_EVENT 8000
	enum wd_variant variant; /* agent.variant; WD_VARIANT_NONE: auto */
	uint32_t stats_interval;      /* seconds between stats records; 0: none */
	uint64_t output_buffer_bytes; /* the sink's spool while it fails; 0: none */
	bool watch_config;            /* reload when a config file changes */
	char *metrics_file;           /* node_exporter textfile, or NULL */
	bool dns_names;               /* dest_name on connects (DNS answers captured) */
	uint32_t container_labels_max; /* labels in an event's container object */
	char **container_bundle_dirs; /* OCI bundle roots; NULL: the defaults */
	char *docker_data_root;       /* dockerd's --data-root; NULL: /var/lib/docker */
	size_t ncontainer_bundle_dirs;
	struct wd_probe_config tcp_connect;
	struct wd_probe_config net_listen;
	struct wd_probe_config udp_session;
	struct wd_probe_config dns; /* one event per DNS answer (filters only) */
	struct wd_rules rules;        /* the top-level `rules` list */
	uint32_t repeat_window;       /* agent.repeat_limit.window, s; 0: off */
	uint32_t repeat_burst;        /* agent.repeat_limit.burst */
};

/* The configuration compiled into the binary (conf/whodunit.yaml). */
extern const char wd_default_config[];
extern const size_t wd_default_config_len;

/* Every default (a configuration without keys). */
void wd_config_init(struct wd_config *cfg);
/* Connects and UDP destinations are named (agent.dns_names). */
static inline bool wd_config_dns_names(const struct wd_config *cfg)
{
	return cfg->dns_names && (cfg->tcp_connect.enabled || cfg->udp_session.enabled);
}

/* DNS answers are captured: for dest_name, or for the dns probe. */
static inline bool wd_config_dns_capture(const struct wd_config *cfg)
{
	return wd_config_dns_names(cfg) || cfg->dns.enabled;
}

/* The sink spec in force: agent.output, or "syslog". */
const char *wd_config_output(const struct wd_config *cfg);
void wd_config_free(struct wd_config *cfg);

/*
 * Parse YAML text named `name` (for messages) into cfg. On error returns
 * -EINVAL (bad config) and writes "name:line:col: what" to err.
 */
int wd_config_parse(struct wd_config *cfg, const char *name, const char *text,
		    size_t len, char *err, size_t errlen);
/*
 * Load a file. -ENOENT/-EACCES/... when it cannot be read (err says so),
 * -EINVAL when it is not a valid configuration.
 */
int wd_config_load(struct wd_config *cfg, const char *path, char *err,
		   size_t errlen);
/* A human summary of the effective configuration, for --check-config. */
void wd_config_print(const struct wd_config *cfg, FILE *f);

#endif
