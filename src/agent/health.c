// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/health.h"
#include "util/notify.h"

void wd_health_init(struct wd_health *h)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	long long us = usec ? atoll(usec) : 0;

	*h = (struct wd_health){ 0 };
	if (us <= 0 || (pid && atoll(pid) != (long long)getpid()))
		return;
	h->watchdog_ns = us * 1000 / 2;
}

void wd_health_tick(struct wd_health *h, int64_t now_ns)
{
	if (!h->watchdog_ns || now_ns < h->next_ping_ns)
		return;
	wd_notify("WATCHDOG=1");
	h->next_ping_ns = now_ns + h->watchdog_ns;
}

void wd_health_status(const struct wd_totals *t, size_t table)
{
	char s[256];

	snprintf(s, sizeof(s), "STATUS=events written %llu, lost %llu (ring %llu, "
		 "output %llu); %zu processes known",
		 (unsigned long long)t->written,
		 (unsigned long long)(t->ring_lost + t->output_lost),
		 (unsigned long long)t->ring_lost, (unsigned long long)t->output_lost,
		 table);
	wd_notify(s);
}

/* The counters, as node_exporter reads them: name, help, field of wd_totals. */
struct wd_counter {
	const char *name;
	const char *help;
	size_t off;
};

#define C(n, f, h) { n, h, offsetof(struct wd_totals, f) }
static const struct wd_counter counters[] = {
	C("seen_total", seen, "Connects, listens and UDP destinations seen."),
	C("filtered_total", filtered, "Dropped in the kernel by the filters."),
	C("container_filtered_total", container_filtered,
	  "Of filtered: dropped in the kernel by container_labels."),
	C("emitted_total", emitted, "Records put in the ring buffer."),
	C("lost_ring_full_total", ring_lost, "Events lost because the ring buffer was full."),
	C("lost_output_total", output_lost, "Events the output could not deliver."),
	C("written_total", written, "Lines the output delivered."),
	C("process_records_lost_total", proc_lost,
	  "Fork/exec/exit records lost (ring buffer full)."),
	C("malformed_total", malformed, "Records that failed the checks."),
	C("reloads_total", reloads, "Configuration reloads applied."),
	C("udp_map_full_total", udp_map_full,
	  "udp_session: kernel map updates that failed (destination not tracked)."),
	C("udp_close_lost_total", udp_close_lost,
	  "udp_session: socket releases lost (ring buffer full)."),
	C("udp_sessions_dropped_total", udp_sessions_dropped,
	  "udp_session: sessions not tracked (session table full)."),
	C("udp_evicted_total", udp_evicted,
	  "udp_session: destinations whose kernel counters were evicted."),
	C("udp_swept_total", udp_swept,
	  "udp_session: kernel destinations no session knew, deleted by the sweep."),
	C("udp_destinations_truncated_total", udp_truncated,
	  "udp_session: destinations left out of records (size bounds)."),
	C("dns_answers_total", dns_answers, "dns: answers parsed (their addresses named)."),
	C("dns_lost_total", dns_lost, "dns: answers lost (ring buffer full)."),
	C("dns_malformed_total", dns_malformed, "dns: answers that broke a bound, ignored."),
	C("rule_dropped_kernel_total", rule_dropped,
	  "Connects and listens dropped in the kernel by a rule's verdict."),
	C("repeat_suppressed_total", repeat_suppressed,
	  "Connects over repeat_limit's burst, counted in the kernel."),
	C("repeat_reported_total", repeat_reported,
	  "Suppressed connects reported in summaries (repeat_count)."),
	C("repeat_uncounted_total", repeat_uncounted,
	  "Suppressed connects no summary could report (lost records)."),
};
#undef C

static void metric(FILE *f, const char *name, const char *type, const char *help,
		   unsigned long long v)
{
	fprintf(f, "# HELP whodunit_%s %s\n# TYPE whodunit_%s %s\nwhodunit_%s %llu\n",
		name, help, name, type, name, v);
}

static void write_metrics(FILE *f, const struct wd_totals *t,
			  const struct wd_ptable *table,
			  size_t udp_sessions)
{
	const char *base = (const char *)t;
	size_t i;

	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		metric(f, counters[i].name, "counter", counters[i].help,
		       *(const uint64_t *)(base + counters[i].off));
	metric(f, "process_table_entries", "gauge", "Processes in the process table.",
	       table->count);
	metric(f, "process_table_bytes", "gauge",
	       "Bytes the process table holds (entries, cmdlines, JSON copies).",
	       table->bytes);
	metric(f, "process_table_trimmed_total", "counter",
	       "Cmdline or JSON copies dropped to stay under process_cache_bytes.",
	       table->trimmed);
	metric(f, "udp_sessions", "gauge", "Open UDP sessions.", udp_sessions);
}

int wd_metrics_write(const char *path, const struct wd_totals *t,
		     const struct wd_ptable *table,
		     size_t udp_sessions)
{
	char tmp[4096 + 16];
	FILE *f;
	int err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	errno = 0; /* (ferror() without a failing call leaves errno stale) */
	write_metrics(f, t, table, udp_sessions);
	if (fflush(f) || ferror(f))
		err = errno ? -errno : -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
