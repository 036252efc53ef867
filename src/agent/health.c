// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
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
	metric(f, "seen_total", "counter", "Connects, listens and UDP destinations seen.",
	       t->seen);
	metric(f, "filtered_total", "counter", "Dropped in the kernel by the filters.",
	       t->filtered);
	metric(f, "emitted_total", "counter", "Records put in the ring buffer.", t->emitted);
	metric(f, "lost_ring_full_total", "counter",
	       "Events lost because the ring buffer was full.", t->ring_lost);
	metric(f, "lost_output_total", "counter",
	       "Events the output could not deliver.", t->output_lost);
	metric(f, "written_total", "counter", "Lines the output delivered.", t->written);
	metric(f, "process_records_lost_total", "counter",
	       "Fork/exec/exit records lost (ring buffer full).", t->proc_lost);
	metric(f, "malformed_total", "counter", "Records that failed the checks.",
	       t->malformed);
	metric(f, "reloads_total", "counter", "Configuration reloads applied.", t->reloads);
	metric(f, "udp_map_full_total", "counter",
	       "udp_session: kernel map updates that failed (destination not tracked).",
	       t->udp_map_full);
	metric(f, "udp_close_lost_total", "counter",
	       "udp_session: socket releases lost (ring buffer full).", t->udp_close_lost);
	metric(f, "udp_sessions_dropped_total", "counter",
	       "udp_session: sessions not tracked (session table full).",
	       t->udp_sessions_dropped);
	metric(f, "udp_evicted_total", "counter",
	       "udp_session: destinations whose kernel counters were evicted.",
	       t->udp_evicted);
	metric(f, "udp_swept_total", "counter",
	       "udp_session: kernel destinations no session knew, deleted by the sweep.",
	       t->udp_swept);
	metric(f, "udp_destinations_truncated_total", "counter",
	       "udp_session: destinations left out of records (size bounds).",
	       t->udp_truncated);
	metric(f, "dns_answers_total", "counter",
	       "dns: answers parsed (their addresses named).", t->dns_answers);
	metric(f, "dns_lost_total", "counter",
	       "dns: answers lost (ring buffer full).", t->dns_lost);
	metric(f, "dns_malformed_total", "counter",
	       "dns: answers that broke a bound, ignored.", t->dns_malformed);
	metric(f, "rule_dropped_kernel_total", "counter",
	       "Connects and listens dropped in the kernel by a rule's verdict.",
	       t->rule_dropped);
	metric(f, "repeat_suppressed_total", "counter",
	       "Connects over repeat_limit's burst, counted in the kernel.",
	       t->repeat_suppressed);
	metric(f, "repeat_reported_total", "counter",
	       "Suppressed connects reported in summaries (repeat_count).",
	       t->repeat_reported);
	metric(f, "repeat_uncounted_total", "counter",
	       "Suppressed connects no summary could report (lost records).",
	       t->repeat_uncounted);
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
