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

#endif
