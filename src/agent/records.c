// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/records.h"
#include "util/clock.h"

/* {"timestamp":now,"seq":N,"probe":"agent","event":event */
static struct wd_buf *head(struct wd_dispatch *d, const char *event)
{
	struct wd_buf *b = &d->line;

	wd_buf_reset(b);
	wd_buf_puts(b, "{\"timestamp\":");
	wd_format_time(b, wd_clock_ns(CLOCK_REALTIME));
	wd_json_u64(b, "seq", ++d->enrich.seq);
	wd_buf_puts(b, ",\"probe\":\"agent\",\"event\":");
	wd_json_str(b, event, strlen(event));
	return b;
}

static void put_str(struct wd_buf *b, const char *key, const char *s)
{
	wd_json_key(b, key, false);
	wd_json_str(b, s ? s : "", s ? strlen(s) : 0);
}

static void finish(struct wd_dispatch *d, struct wd_buf *b)
{
	wd_buf_putc(b, '}');
	wd_dispatch_emit(d, b);
}

/* The kernel's boot id: which boot of the host a record belongs to. */
static void put_boot_id(struct wd_buf *b)
{
	char id[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (f) {
		if (!fgets(id, sizeof(id), f))
			id[0] = '\0';
		fclose(f);
	}
	id[strcspn(id, "\n")] = '\0';
	put_str(b, "boot_id", id);
}

void wd_record_start(struct wd_dispatch *d, const struct wd_start_info *s)
{
	struct wd_buf *b = head(d, "start");

	put_str(b, "version", s->version);
	wd_json_u64(b, "pid", (unsigned long long)getpid());
	put_str(b, "variant", s->variant);
	put_str(b, "config", s->config);
	put_str(b, "config_sha256", s->config_sha256);
	put_boot_id(b);
	wd_json_u64(b, "programs", (unsigned long long)s->programs);
	wd_json_u64(b, "processes_known", s->processes);
	finish(d, b);
}

/* "key":{"seen":N,...} of t, or of t - base when base is not NULL. */
static void put_totals(struct wd_buf *b, const char *key, const struct wd_totals *t,
		       const struct wd_totals *base)
{
	static const struct wd_totals zero;
	const struct wd_totals *z = base ? base : &zero;

	wd_json_key(b, key, false);
	wd_buf_putc(b, '{');
	wd_json_key(b, "seen", true);
	wd_buf_u64(b, t->seen - z->seen);
	wd_json_u64(b, "filtered", t->filtered - z->filtered);
	wd_json_u64(b, "emitted", t->emitted - z->emitted);
	wd_json_u64(b, "lost_ring_full", t->ring_lost - z->ring_lost);
	wd_json_u64(b, "lost_output", t->output_lost - z->output_lost);
	wd_json_u64(b, "written", t->written - z->written);
	wd_json_u64(b, "process_records_lost", t->proc_lost - z->proc_lost);
	wd_json_u64(b, "malformed", t->malformed - z->malformed);
	wd_json_u64(b, "reloads", t->reloads - z->reloads);
	wd_json_u64(b, "udp_map_full", t->udp_map_full - z->udp_map_full);
	wd_json_u64(b, "udp_close_lost", t->udp_close_lost - z->udp_close_lost);
	wd_json_u64(b, "udp_sessions_dropped",
		    t->udp_sessions_dropped - z->udp_sessions_dropped);
	wd_json_u64(b, "udp_evicted", t->udp_evicted - z->udp_evicted);
	wd_json_u64(b, "udp_swept", t->udp_swept - z->udp_swept);
	wd_json_u64(b, "udp_destinations_truncated", t->udp_truncated - z->udp_truncated);
	wd_json_u64(b, "dns_captured", t->dns_captured - z->dns_captured);
	wd_json_u64(b, "dns_lost", t->dns_lost - z->dns_lost);
	wd_json_u64(b, "dns_unknown_socket", t->dns_unknown - z->dns_unknown);
	wd_json_u64(b, "dns_answers", t->dns_answers - z->dns_answers);
	wd_json_u64(b, "dns_malformed", t->dns_malformed - z->dns_malformed);
	wd_json_u64(b, "dns_ignored", t->dns_ignored - z->dns_ignored);
	wd_json_u64(b, "dns_cut", t->dns_cut - z->dns_cut);
	wd_json_u64(b, "dns_names_evicted", t->dns_evicted - z->dns_evicted);
	wd_json_u64(b, "rule_dropped_kernel", t->rule_dropped - z->rule_dropped);
	wd_json_u64(b, "repeat_suppressed", t->repeat_suppressed - z->repeat_suppressed);
	wd_json_u64(b, "repeat_reported", t->repeat_reported - z->repeat_reported);
	wd_json_u64(b, "repeat_uncounted", t->repeat_uncounted - z->repeat_uncounted);
	wd_json_u64(b, "container_filtered", t->container_filtered - z->container_filtered);
	wd_buf_putc(b, '}');
}

void wd_record_stats(struct wd_dispatch *d, const struct wd_totals *now,
		     const struct wd_totals *last, int64_t interval_ns)
{
	struct wd_buf *b = head(d, "stats");

	wd_buf_printf(b, ",\"interval_s\":%.3f", (double)interval_ns / 1e9);
	put_totals(b, "total", now, NULL);
	put_totals(b, "since_last", now, last);
	wd_json_u64(b, "process_table", d->ptable.count);
	wd_json_u64(b, "process_table_max", d->ptable.max);
	wd_json_u64(b, "process_table_bytes", d->ptable.bytes);
	wd_json_u64(b, "process_table_max_bytes", d->ptable.max_bytes);
	wd_json_u64(b, "process_table_trimmed", d->ptable.trimmed);
	wd_json_u64(b, "proc_reads_skipped", d->ptable.proc_skipped);
	wd_json_u64(b, "udp_sessions", d->udp.table.count);
	wd_json_u64(b, "dns_names", d->dns.cache.count);
	wd_rstate_put_stats(&d->rules, b);
	finish(d, b);
}

void wd_record_lost(struct wd_dispatch *d, uint64_t count, const char *reason)
{
	struct wd_buf *b = head(d, "lost");

	wd_json_u64(b, "count", count);
	put_str(b, "reason", reason);
	finish(d, b);
}

static void put_names(struct wd_buf *b, const char *key, const char *const *v, size_t n)
{
	wd_json_key(b, key, false);
	wd_buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			wd_buf_putc(b, ',');
		wd_json_str(b, v[i], strlen(v[i]));
	}
	wd_buf_putc(b, ']');
}

void wd_record_reload(struct wd_dispatch *d, const struct wd_reload_info *r)
{
	struct wd_buf *b = head(d, "reload");

	wd_buf_puts(b, r->ok ? ",\"ok\":true" : ",\"ok\":false");
	put_str(b, "trigger", r->trigger);
	if (!r->ok)
		put_str(b, "error", r->error);
	put_str(b, "config_sha256", r->config_sha256);
	put_names(b, "changed", r->changed, r->nchanged);
	put_names(b, "pending_restart", r->pending, r->npending);
	wd_buf_printf(b, ",\"ms\":%.1f", r->ms);
	finish(d, b);
}

void wd_record_stop(struct wd_dispatch *d, const char *reason, const struct wd_totals *t)
{
	struct wd_buf *b = head(d, "stop");

	put_str(b, "reason", reason);
	put_totals(b, "total", t, NULL);
	wd_rstate_put_stats(&d->rules, b);
	finish(d, b);
}
