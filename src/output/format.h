/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel record -> one line of JSON, enriched from /proc and passwd. */
#ifndef WD_FORMAT_H
#define WD_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "container/container.h"
#include "output/json.h"
#include "plugins/plugins.h"
#include "proc/ptable.h"
#include "proc/users.h"
#include "wd_abi.h"

struct wd_dns;

struct wd_enrich {
	struct wd_ptable *ptable;
	struct wd_users *users;
	int64_t boot_to_real_ns;   /* CLOCK_REALTIME - CLOCK_BOOTTIME */
	struct wd_lineage *lineage; /* scratch space, WD_LINEAGE_MAX nodes */
	size_t max_bytes;  /* longest record; 0: no limit (see wd_format_connect) */
	uint64_t seq;      /* sequence number of the last event formatted */
	uint64_t shortened; /* records cut to fit max_bytes */
	bool snapshot;      /* net_listen: formatting a periodic snapshot */
	struct wd_dns *dns; /* names behind addresses (dest_name), or NULL */
	bool lineage_ready; /* the lineage of the next event is built (rules) */
	const char *const *rule_tags; /* "rules": the tag rules it matched */
	size_t nrule_tags;
	uint64_t repeat_count; /* flood summary: connects not written (0: none) */
	uint64_t first_ns, last_ns; /* their boot times */
	struct wd_containers *containers; /* NULL: no "container" member */
	struct wd_plugins *plugins;       /* NULL: none */
	bool loginuid_top; /* this event: loginuid at the top level, not per node */
};

/* CLOCK_REALTIME - CLOCK_BOOTTIME now, in ns. */
int64_t wd_boot_to_real_ns(void);

/* "2026-11-30T00:11:18.123456Z" for a CLOCK_REALTIME time in ns. */
void wd_format_time(struct wd_buf *b, int64_t real_ns);

/*
 * Check that data[0..size) is a well-formed connect record from the kernel.
 * 0 or -EBADMSG.
 */
int wd_event_check(const void *data, size_t size);

/*
 * Append the event as one JSON object, without newline, numbered with the
 * next sequence number. If it would be longer than en->max_bytes, cmdlines
 * are cut (ending in "...", with "cmdline_truncated":true) and, if that is
 * not enough, middle ancestors left out ("proctree_truncated":true), so
 * the record stays whole and valid JSON.
 */
void wd_format_connect(struct wd_buf *b, const struct wd_connect_event *e,
		       struct wd_enrich *en);

/*
 * udp_session: the process part of an event, "pid":... to
 * "proctree_truncated":..., shortened like wd_format_connect() to at most
 * max_bytes (0: no limit).
 */
void wd_format_udp_common(struct wd_buf *b, const struct wd_connect_event *e,
			  struct wd_enrich *en, size_t max_bytes);
/* ,"rules":[..]: the tag rules the event matched (en->rule_tags), if any. */
void wd_format_rule_tags(struct wd_buf *b, const struct wd_enrich *en);
/* udp_session: one element of "destinations". */
void wd_format_udp_dest(struct wd_buf *b, int family, const uint8_t *addr,
			uint16_t port, double duration, uint64_t count);

#endif
