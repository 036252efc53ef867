/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Agent records: the agent's own lines in the event stream, with the same
 * framing and sequence numbers as events, "probe":"agent" and "event" one
 * of start, stats, lost, reload, stop. A SIEM that reads only the stream
 * sees every loss (lost records add up to the events that were lost), a
 * heartbeat (stats), and what the agent runs with.
 */
#ifndef WD_RECORDS_H
#define WD_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/dispatch.h"

/* Counters since start: kernel side, then userland. */
struct wd_totals {
	uint64_t seen;         /* connects/listens/UDP destinations the probes saw */
	uint64_t filtered;     /* dropped in the kernel by the filters */
	uint64_t emitted;      /* records put in the ring buffer */
	uint64_t ring_lost;    /* events lost: the ring buffer was full */
	uint64_t proc_lost;    /* fork/exec/exit records lost (ancestry from /proc) */
	uint64_t written;      /* lines the sink delivered */
	uint64_t output_lost;  /* lines the sink could not deliver */
	uint64_t malformed;    /* records that failed the checks */
	uint64_t reloads;
	/* udp_session (README: udp_session events) */
	uint64_t udp_map_full;   /* kernel map updates that failed: not tracked */
	uint64_t udp_close_lost; /* release records lost (ring full) */
	uint64_t udp_sessions_dropped; /* sessions not tracked: the table was full */
	uint64_t udp_evicted;    /* destinations reported without counts (LRU) */
	uint64_t udp_swept;      /* kernel destinations no session knew, deleted */
	uint64_t udp_truncated;  /* destinations left out of records */
	/* DNS answers (README: dest_name) */
	uint64_t dns_captured;  /* answers the kernel put in the ring */
	uint64_t dns_lost;      /* answers lost: the ring buffer was full */
	uint64_t dns_unknown;   /* answers to sockets no query was seen from */
	uint64_t dns_answers;   /* answers parsed, addresses cached */
	uint64_t dns_malformed; /* answers that broke a bound: ignored */
	uint64_t dns_ignored;   /* messages of no interest (not A/AAAA answers) */
	uint64_t dns_cut;       /* answers longer than the capture (or TC) */
	uint64_t dns_evicted;   /* names dropped before their TTL (cache bounds) */
	/* rules and flood control (README: Rules) */
	uint64_t rule_dropped;      /* by a rule's verdict in the kernel */
	uint64_t repeat_suppressed; /* over repeat_limit, counted in the kernel */
	uint64_t repeat_reported;   /* of those, in summaries' repeat_count */
	uint64_t repeat_uncounted;  /* of those, given back by no key (lost records) */
	uint64_t container_filtered; /* of filtered: by container_labels */
};

/* What a start record says. */
struct wd_start_info {
	const char *version;
	const char *variant;
	const char *config;        /* path, or "<embedded>" */
	const char *config_sha256; /* of the text(s) read */
	int programs;
	size_t processes;          /* known after seeding */
};

void wd_record_start(struct wd_dispatch *d, const struct wd_start_info *s);
/* now - last, over interval_ns; also the process table and UDP sessions. */
void wd_record_stats(struct wd_dispatch *d, const struct wd_totals *now,
		     const struct wd_totals *last, int64_t interval_ns);
/* count events lost, for reason ("ring_full", "output"). */
void wd_record_lost(struct wd_dispatch *d, uint64_t count, const char *reason);
/* What a reload record says. */
struct wd_reload_info {
	bool ok;
	const char *trigger;       /* "SIGHUP" or "watch" */
	const char *error;         /* ok false: file:line:col: what */
	const char *config_sha256; /* of the configuration running now */
	const char *const *changed; /* settings applied */
	size_t nchanged;
	const char *const *pending; /* settings that wait for a restart */
	size_t npending;
	double ms;                 /* how long the reload took */
};

void wd_record_reload(struct wd_dispatch *d, const struct wd_reload_info *r);
void wd_record_stop(struct wd_dispatch *d, const char *reason,
		    const struct wd_totals *t);

#endif
