/* SPDX-License-Identifier: GPL-2.0-only */
/* Event sinks: syslog (default), stdout, file. One event = one line/message. */
#ifndef WD_SINK_H
#define WD_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "output/spool.h"

enum wd_sink_kind { WD_SINK_SYSLOG, WD_SINK_STDOUT, WD_SINK_FILE };

#define WD_SYSLOG_SOCKET "/dev/log" /* the local syslog socket, by default */

/* The spool's bound by default (agent.output_buffer). */
#define WD_SINK_SPOOL_DEFAULT (64ull << 20)

/*
 * Lines are queued in the spool and delivered in order, each once. What
 * cannot be delivered (receiver gone, disk full...) stays queued and is
 * retried at later flushes, after 100 ms doubling to 5 s (reset by any
 * delivery); up to spool_max bytes are kept, past that new lines are lost.
 */
struct wd_sink {
	enum wd_sink_kind kind;
	char *path;       /* file path, or the syslog socket */
	int facility;     /* LOG_* facility code (already shifted) */
	char ident[32];
	int fd;           /* -1: syslog not connected (reconnects at the next try) */
	/* Bytes of lines kept while delivery fails; 0: none, a failed batch is lost. */
	uint64_t spool_max;
	/* Counters, all in lines (events) but failures: */
	uint64_t written;     /* delivered */
	uint64_t lost;        /* dropped: over spool_max, undeliverable (EMSGSIZE),
			       * a failed batch without spool, left at close */
	uint64_t spooled;     /* waiting now */
	uint64_t spool_bytes; /* their bytes (with syslog headers, newlines) */
	uint64_t failures;    /* delivery attempts that failed */
	int last_err;         /* the last attempt's error; 0: it delivered all */
	int64_t retry_ns;     /* CLOCK_MONOTONIC: no new attempt before this */
	int64_t backoff_ns;   /* the wait after the next failure */
	struct wd_spool spool;
	pid_t pid;            /* syslog header: ours, and its text for this second */
	int64_t stamp_sec;
	uint32_t stamp_len;
	char stamp[96];
};

/* "syslog" | "stdout" | "file:PATH" -> kind/path. 0 or -EINVAL. */
int wd_sink_parse(struct wd_sink *s, const char *spec);
/* "daemon", "local0".."local7", ... -> LOG_* code, or -EINVAL. */
int wd_syslog_facility(const char *name);
const char *wd_syslog_facility_name(int facility);

/* Open the file, dup stdout, connect to syslog. 0 or negative errno. */
int wd_sink_open(struct wd_sink *s);
/*
 * Queue one event (a line without its newline); queued lines go out when
 * 64 KiB (file, stdout) or 64 datagrams (syslog, one sendmmsg) wait, and at
 * wd_sink_flush(). 0 when queued; a negative errno when the line is lost
 * (counted): -ENOBUFS past spool_max, -ENOMEM.
 */
int wd_sink_write(struct wd_sink *s, const char *line, size_t len);
/*
 * Deliver what is queued, unless the retry delay of a failure runs. 0 when
 * nothing is left queued, else the error that keeps lines queued (or lost
 * them, without spool).
 */
int wd_sink_flush(struct wd_sink *s);
/* Flush, retrying for up to timeout_ms: 0 when all went, else the last error. */
int wd_sink_drain(struct wd_sink *s, int timeout_ms);
/* Drop what is queued, counted as lost; returns how many lines. */
uint64_t wd_sink_discard(struct wd_sink *s);
/* The last delivery attempt delivered everything queued. */
static inline bool wd_sink_healthy(const struct wd_sink *s)
{
	return s->last_err == 0;
}
/*
 * After logrotate (SIGHUP): file: what is queued goes to the old file, then
 * the path is opened anew; syslog: reconnect; stdout: nothing. 0 or a
 * negative errno (file: the old file stays in use).
 */
int wd_sink_reopen(struct wd_sink *s);
/* One last flush; what is still queued is counted as lost. */
void wd_sink_close(struct wd_sink *s);

#endif
