/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The schema's parts in other files than schema.c: the probe sections
 * (config/probes.c), each a wd_rd_node_fn on a struct wd_config.
 */
#ifndef WD_CONFIG_SCHEMA_H
#define WD_CONFIG_SCHEMA_H

#include "config/reader.h"

int wd_schema_tcp_connect(struct wd_reader *r, yaml_node_t *n, void *cfg);
int wd_schema_net_listen(struct wd_reader *r, yaml_node_t *n, void *cfg);
int wd_schema_udp_session(struct wd_reader *r, yaml_node_t *n, void *cfg);
int wd_schema_dns(struct wd_reader *r, yaml_node_t *n, void *cfg);
/* The top-level `rules` list (config/rules.c). */
int wd_schema_rules(struct wd_reader *r, yaml_node_t *n, void *cfg);
/* A probe's plugins (plugins.c). */
int wd_schema_plugins(struct wd_reader *r, yaml_node_t *n, struct wd_probe_config *pc,
		      const char *probe);
void wd_plugins_config_free(struct wd_plugins_config *p);
/* agent.container_labels_max, agent.container_bundle_dirs (plugins.c). */
int wd_schema_labels_max(struct wd_reader *r, yaml_node_t *v, struct wd_config *cfg);
int wd_schema_bundle_dirs(struct wd_reader *r, yaml_node_t *v, struct wd_config *cfg);
void wd_schema_containers_free(struct wd_config *cfg);
void wd_schema_probe_containers_free(struct wd_probe_config *pc);
/* --check-config lines of container_labels and plugins, and the agent's keys. */
void wd_print_probe_extras(FILE *f, const char *name, const struct wd_probe_config *pc);
void wd_print_agent_containers(FILE *f, const struct wd_config *cfg);

#endif
