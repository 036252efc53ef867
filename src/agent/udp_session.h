/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * udp_session: sessions of UDP sockets, keyed by socket cookie. The kernel
 * counts datagrams per (socket, destination) and reports each new
 * destination and each release; this table keeps the process part of the
 * event (rendered when the session starts, so a process that exits before
 * its socket is released keeps its ancestry) and the destinations, until
 * the socket is released or session_max_duration is exceeded.
 */
#ifndef WD_UDP_SESSION_H
#define WD_UDP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/format.h"
#include "output/json.h"
#include "wd_abi.h"

struct wd_udp_dest {
	uint16_t family;
	uint16_t port;
	uint8_t addr[16];
	/* ,"dest_name":..,"dest_name_by":.. and ,"rules":[..] (extra_len bytes), or NULL */
	char *extra;
	size_t extra_len;
};

/* Destinations a session keeps; beyond, they are counted (untracked). */
#define WD_UDP_DESTS_MAX 1024
/* Destinations one record shows at most; beyond, "destinations_truncated". */
#define WD_UDP_REPORT_MAX 64
/* Bytes of a record kept free for its end ("destinations_truncated" to '}'). */
#define WD_UDP_TAIL_BYTES 192
/* max_event_size minus this: the budget of the process part. */
#define WD_UDP_RESERVE_BYTES 512
/* The sweep of the kernel's forgotten destinations: how often, and the
 * slack beyond session_max_duration before an entry counts as forgotten. */
#define WD_UDP_SWEEP_EVERY_NS (30 * 1000000000ull)
#define WD_UDP_SWEEP_SLACK_NS (10 * 1000000000ull)

struct wd_udp_session {
	uint64_t cookie;
	uint64_t start_ns; /* boot ns of the session's first destination */
	char *common;      /* "pid":... to "proctree_truncated":... */
	size_t common_len;
	struct wd_udp_dest *dests;
	size_t ndests, cap;
	uint64_t untracked; /* destinations beyond WD_UDP_DESTS_MAX (or no memory) */
	struct wd_udp_session *next;
};

/* Take (read and delete) the kernel's counters of one destination. */
typedef int (*wd_udp_take_fn)(void *ctx, const struct wd_udp_key *k,
			      struct wd_udp_val *v);
/* Delete the kernel's destinations first seen before before_ns: how many. */
typedef uint64_t (*wd_udp_sweep_fn)(void *ctx, uint64_t before_ns);

#define WD_UDP_BUCKETS 1024

struct wd_udp_table {
	struct wd_udp_session *bucket[WD_UDP_BUCKETS];
	size_t count, max;
	uint64_t dropped; /* sessions not tracked: the table was full */
};

void wd_udp_init(struct wd_udp_table *t, size_t max);
void wd_udp_free(struct wd_udp_table *t);
struct wd_udp_session *wd_udp_find(struct wd_udp_table *t, uint64_t cookie);
/*
 * Add a destination, creating the session (with a copy of common) if new.
 * A destination the session has is not added twice; beyond
 * WD_UDP_DESTS_MAX it is only counted (untracked). NULL: no session (the
 * table is full, counted in dropped, or no memory).
 */
struct wd_udp_session *wd_udp_add(struct wd_udp_table *t, uint64_t cookie,
				  uint64_t ts_ns, const char *common, size_t len,
				  int family, const uint8_t *addr, uint16_t port);
/* How to format one record, and what formatting it found. */
struct wd_udp_fmt {
	int64_t real_ns;         /* the record's timestamp */
	int64_t boot_to_real_ns;
	uint64_t seq;
	const char *error;       /* a short constant string */
	bool first;              /* a first-datagram record */
	size_t max_bytes;        /* longest record; 0: no limit */
	wd_udp_take_fn take;
	void *ctx;
	uint64_t evicted;        /* out (added to): destinations the kernel forgot */
	uint64_t truncated;      /* out (added to): destinations left out */
};

/*
 * Append the session's record (no newline): {"timestamp","seq","probe",
 * <common>,"destinations":[...][,"destinations_truncated":K],"error"}.
 * With first, only the newest destination, as its first datagram;
 * otherwise the destinations with the counters taken from the kernel, after
 * which they are forgotten. At most WD_UDP_REPORT_MAX destinations, and
 * only those that keep the record within max_bytes; the others (and the
 * untracked ones) are counted in "destinations_truncated" (their kernel
 * counters are taken all the same).
 */
void wd_udp_format(struct wd_buf *b, struct wd_udp_session *s, struct wd_udp_fmt *f);
void wd_udp_remove(struct wd_udp_table *t, struct wd_udp_session *s);

/* ---- the session lifecycle, from the kernel's records to events ---- */

/* Hand one finished line (no newline) to the output. */
typedef void (*wd_emit_fn)(void *ctx, struct wd_buf *line);

struct wd_udp_sessions {
	struct wd_udp_table table;
	struct wd_enrich *enrich; /* formats the process part; numbers the events */
	uint64_t max_ns;          /* session_max_duration */
	bool emit_first;          /* emit_on_first_datagram */
	wd_udp_take_fn take;      /* the kernel's per-destination counters */
	void *take_ctx;
	wd_udp_sweep_fn sweep;    /* the kernel's forgotten destinations (or NULL) */
	void *sweep_ctx;
	uint64_t next_sweep_ns;   /* boot ns */
	uint64_t evicted;         /* destinations whose kernel counters were gone */
	uint64_t swept;           /* kernel destinations no session knew, deleted */
	uint64_t truncated;       /* destinations left out of records */
	wd_emit_fn emit;
	void *emit_ctx;
	struct wd_buf common, line; /* scratch */
};

/* Sessions of at most max sockets (the caller sets max_ns and emit_first). */
void wd_udp_sessions_init(struct wd_udp_sessions *u, size_t max, struct wd_enrich *en,
			  wd_emit_fn emit, void *emit_ctx);
void wd_udp_sessions_free(struct wd_udp_sessions *u);
/* A socket's first datagram to a destination (WD_EV_UDP_DEST). */
void wd_udp_on_dest(struct wd_udp_sessions *u, const struct wd_connect_event *e);
/* A tracked socket was released (WD_EV_UDP_CLOSE): its session ends. */
void wd_udp_on_close(struct wd_udp_sessions *u, uint64_t cookie);
/*
 * Sessions older than max_ns at boot time now_ns end with
 * "session_max_duration_exceeded" (a socket whose release was lost too)
 * and leave the table; with all, every open session ends
 * ("agent_stopping"). Without all, every WD_UDP_SWEEP_EVERY_NS, the
 * kernel's destinations first seen more than max_ns +
 * WD_UDP_SWEEP_SLACK_NS ago are swept: a session would have taken them.
 */
void wd_udp_expire(struct wd_udp_sessions *u, uint64_t now_ns, bool all);

#endif
