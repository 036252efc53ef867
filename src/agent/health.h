/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Health for the service manager and the fleet: systemd's watchdog and
 * STATUS=, and node_exporter's textfile format for Prometheus (written
 * atomically, so a scraper never reads half a file).
 */
#ifndef WD_HEALTH_H
#define WD_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "agent/records.h"
#include "proc/ptable.h"

struct wd_health {
	int64_t watchdog_ns;   /* ping every this often (half WATCHDOG_USEC); 0: off */
	int64_t next_ping_ns;  /* CLOCK_MONOTONIC */
};

/* Read $WATCHDOG_USEC (and $WATCHDOG_PID, which must be ours if set). */
void wd_health_init(struct wd_health *h);
/* Ping the watchdog if due. */
void wd_health_tick(struct wd_health *h, int64_t now_ns);
/* STATUS= line for systemctl status. */
void wd_health_status(const struct wd_totals *t, size_t table);
/* The counters as a node_exporter textfile at path. 0 or -errno. */
int wd_metrics_write(const char *path, const struct wd_totals *t,
		     const struct wd_ptable *table,
		     size_t udp_sessions);

#endif
