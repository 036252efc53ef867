/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's lifecycle: configure (config, overrides, filters), start
 * (checks, sink, loader, process table seeded), run (one epoll loop over
 * the ring buffer, signals and the drain timer), stop. main.c only parses
 * the command line and calls these. Each returns an exit status
 * (sysexits.h): 0, or EX_* after logging why.
 */
#ifndef WD_AGENT_H
#define WD_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/dispatch.h"
#include "agent/health.h"
#include "agent/records.h"
#include "config/config.h"
#include "config/filter.h"
#include "loader/loader.h"

/* What the command line says; NULL: not given. */
struct wd_agent_opts {
	const char *config;  /* YAML file; NULL: the embedded default */
	const char *output;  /* overrides agent.output */
	const char *variant; /* overrides agent.variant */
	const char *btf;     /* kernel BTF file */
};

struct wd_agent {
	struct wd_agent_opts opts;
	struct wd_config cfg;
	struct wd_filter_maps filters;
	struct wd_dispatch dispatch;
	struct wd_loader loader;
	int sfd, tfd; /* signalfd, drain timerfd */
	int ifd;      /* inotify on the config files (watch_config), or -1 */
	int ep;       /* the loop's epoll set, or -1 */
	int64_t reload_at_ns;       /* reload at the first drain from then; 0: no */
	const char *reload_trigger; /* "SIGHUP" or "watch" */
	int64_t t0;   /* CLOCK_MONOTONIC at configure */
	struct wd_health health;
	struct wd_totals last;     /* at the last stats record */
	int64_t last_stats_ns;     /* CLOCK_MONOTONIC of the last stats record */
	uint64_t ring_lost_told;   /* losses already in lost records */
	uint64_t dns_lost_told;    /* DNS answers lost, seen (in lost records with dns) */
	uint64_t output_lost_told;
	uint64_t table_gaps;       /* process records lost, table entries evicted or refused */
	int64_t deep_walk_until;   /* CLOCK_MONOTONIC; 0: shallow walks */
	uint64_t reloads;
	const char *stop_reason;   /* for the stop record */
};

/* Load and check the configuration, apply the overrides, compile filters. */
int wd_agent_configure(struct wd_agent *a, const struct wd_agent_opts *o);
/* Open the output, load and attach the programs, seed, notify READY=1. */
int wd_agent_start(struct wd_agent *a);
/* Until SIGTERM or SIGINT; SIGHUP reloads. */
int wd_agent_run(struct wd_agent *a);
/*
 * Read the configuration o names, apply the command line's overrides and
 * compile the filters. 0; -EINVAL or -E2BIG (bad config), -EUSERS (bad
 * command line), -errno (unreadable): why says which file, line and what.
 * cfg and f are to be freed either way.
 */
int wd_agent_prepare(const struct wd_agent_opts *o, struct wd_config *cfg,
		     struct wd_filter_maps *f, char *why, size_t len);
/*
 * Read the configuration again and apply it, or keep the running one if it
 * is bad; a reload record says which. The output is reopened either way
 * (logrotate). trigger: "SIGHUP" or "watch".
 */
void wd_agent_reload(struct wd_agent *a, const char *trigger);
/* The loader's options for configuration c (reload.c uses it too). */
void wd_agent_loader_opts(const struct wd_agent *a, const struct wd_config *c,
			  struct wd_loader_opts *lo);
/* watch_config: (re)arm inotify on the files the config was read from. */
void wd_agent_watch(struct wd_agent *a);
/* Last drain and stats (if started), then release everything. */
void wd_agent_stop(struct wd_agent *a);

#endif
