/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The userland data path: one ring-buffer record in, its effect out.
 * Process records feed the process table; connect and listen records
 * become events; UDP records drive the sessions; every line goes to the
 * sink. Knows nothing of BPF: the tests feed it records directly.
 */
#ifndef WD_DISPATCH_H
#define WD_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/flood.h"
#include "agent/rules.h"
#include "agent/udp_session.h"
#include "config/config.h"
#include "config/filter.h"
#include "dns/dns.h"
#include "container/container.h"
#include "output/format.h"
#include "output/sink.h"
#include "proc/ptable.h"
#include "proc/snapshot.h"
#include "proc/users.h"

struct wd_dispatch {
	const struct wd_config *cfg;
	const struct wd_filter_maps *filters; /* judge snapshot listeners */
	const char *proc_root;
	uint32_t netns; /* our network namespace (same_namespace_only) */
	struct wd_sink sink;
	struct wd_ptable ptable;
	struct wd_lineage lineage;
	struct wd_users users;
	struct wd_enrich enrich;
	struct wd_udp_sessions udp;
	struct wd_dns dns; /* DNS answers: the names behind addresses */
	struct wd_rule_state rules; /* the config's rules: judge, count (agent/rules.c) */
	struct wd_flood_state flood; /* repeat_limit summaries (agent/flood.c) */
	struct wd_connect_event flood_ev; /* scratch record of a summary */
	struct wd_containers containers;
	struct wd_plugins plugins;
	int64_t next_snapshot_ns; /* CLOCK_MONOTONIC; 0: net_listen snapshots off */
	struct wd_connect_event snap; /* scratch record of a snapshot listener */
	struct wd_snapshot snapshot;  /* the net_listen snapshot under way */
	struct wd_buf line;
	uint64_t malformed;
	/* Events not formatted (no memory) or refused by the sink (also in sink.lost). */
	uint64_t sink_errors; /* lines the sink refused (also in its lost count) */
	uint64_t oom_lost;    /* events lost: no memory to format them */
	bool sink_down; /* the sink's failure was reported, its recovery not yet */
};

/*
 * Ready the data path for cfg (which must outlive it): the process table
 * on proc_root, user names from passwd, UDP sessions. The sink is set up
 * from cfg but not opened. 0 or a negative errno.
 */
int wd_dispatch_init(struct wd_dispatch *d, const struct wd_config *cfg,
		     const struct wd_filter_maps *filters, const char *proc_root,
		     const char *passwd);
void wd_dispatch_free(struct wd_dispatch *d);

/* A sink as cfg describes it, opened. 0 or -errno. */
int wd_dispatch_open_sink(const struct wd_config *cfg, struct wd_sink *s);
/* Use s from now on (the old sink is flushed and closed). */
void wd_dispatch_replace_sink(struct wd_dispatch *d, struct wd_sink *s);
/* Reopen the output (a file sink's path after logrotate moved it). */
void wd_dispatch_reopen(struct wd_dispatch *d);
/* After the config changed in place: what the dispatch derives from it. */
void wd_dispatch_settings(struct wd_dispatch *d);

/* One ring-buffer record (a wd_record_fn). Always 0. */
int wd_dispatch_record(void *ctx, void *data, size_t size);
/* Hand a finished line (no newline) to the sink (a wd_emit_fn). */
void wd_dispatch_emit(void *ctx, struct wd_buf *line);
/* Before each drain: the boot-to-wall-clock offset and user names refreshed. */
void wd_dispatch_refresh(struct wd_dispatch *d);
/*
 * After each drain: UDP sessions past their duration ended, a due
 * net_listen snapshot taken, the sink flushed (its failure and recovery logged).
 */
void wd_dispatch_tick(struct wd_dispatch *d);
/*
 * At stop: every open UDP session ends; the sink is flushed, retried for up
 * to 2 s if it fails, and what it still holds then is lost (counted, logged).
 */
void wd_dispatch_finish(struct wd_dispatch *d);
/* Deliver what the sink holds, for up to 2 s; count the rest as lost. */
void wd_dispatch_finish_sink(struct wd_dispatch *d);

/*
 * The rules' verdict on a connect-shaped record: true when a drop rule
 * matches (counted; not to be written). Builds the event's lineage, which
 * wd_format_connect() then uses.
 */
bool wd_dispatch_judge(struct wd_dispatch *d, const struct wd_connect_event *e);

/* net_listen (net_listen.c): a snapshot of the listeners now, if one is due. */
void wd_listen_snapshot_tick(struct wd_dispatch *d);

#endif
