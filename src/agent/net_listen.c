// SPDX-License-Identifier: GPL-2.0-only
/* net_listen snapshots: every listener /proc shows, as a listen event. */
#include <errno.h>
#include <string.h>

#include "agent/dispatch.h"
#include "proc/procfs.h"
#include "proc/snapshot.h"
#include "util/clock.h"
#include "util/log.h"

/* A record like the kernel's listen record, from what /proc tells. */
static void on_listener(void *ctx, const struct wd_listener *l)
{
	struct wd_dispatch *d = ctx;
	struct wd_connect_event *e = &d->snap;
	uint32_t loginuid;
	struct wd_stat st;

	if (wd_filter_drops(d->filters, WD_PROBE_NET_LISTEN, l->family, l->addr, l->port) ||
	    wd_read_stat(d->proc_root, (pid_t)l->pid, &st))
		return;
	memset(e, 0, WD_CONNECT_EVENT_FIXED + sizeof(struct wd_proc));
	e->hdr.type = WD_EV_LISTEN;
	e->hdr.variant = WD_VARIANT_NONE;
	e->hdr.ts_ns = (uint64_t)wd_clock_ns(CLOCK_BOOTTIME);
	e->family = (uint16_t)l->family;
	memcpy(e->saddr, l->addr, sizeof(e->saddr));
	e->sport = l->port;
	e->protocol = (uint16_t)l->protocol;
	e->netns = d->netns;
	e->flags = WD_F_COARSE_START;
	e->depth = 1;
	e->tid = l->pid;
	e->tree[0].pid = l->pid;
	e->tree[0].ppid = (uint32_t)st.ppid;
	e->tree[0].start_ns = st.starttime * d->ptable.ns_per_tick;
	wd_read_ids(d->proc_root, (pid_t)l->pid, &e->tree[0].uid, &loginuid);
	e->uid = e->tree[0].uid;
	memcpy(e->tree[0].comm, st.comm, strnlen(st.comm, WD_COMM_LEN));
	memcpy(e->comm, e->tree[0].comm, WD_COMM_LEN);
	if (wd_dispatch_judge(d, e))
		return;
	d->enrich.snapshot = true;
	wd_buf_reset(&d->line);
	wd_format_connect(&d->line, e, &d->enrich);
	wd_dispatch_emit(d, &d->line);
	d->enrich.snapshot = false;
}

/*
 * A snapshot goes a slice at a time: the /proc/PID/fd walk of the whole
 * host takes at most this long per wake-up, then resumes at the next one
 * (the ring is drained in between).
 */
#define WD_SNAPSHOT_SLICE_NS (5 * 1000000LL)

void wd_listen_snapshot_tick(struct wd_dispatch *d)
{
	const struct wd_probe_config *nl = &d->cfg->net_listen;
	int64_t t;
	int n;

	if (!d->next_snapshot_ns) {
		wd_snapshot_end(&d->snapshot); /* turned off by a reload */
		return;
	}
	if (!d->snapshot.dir) {
		t = wd_clock_ns(CLOCK_MONOTONIC);
		if (t < d->next_snapshot_ns)
			return;
		d->next_snapshot_ns = t + (int64_t)nl->snapshot_periodicity * WD_NS_PER_SEC;
		n = wd_snapshot_begin(&d->snapshot, d->proc_root, nl->listen_tcp,
				      nl->listen_udp);
		if (n < 0) {
			wd_warn("net_listen snapshot: cannot read %s: %s", d->proc_root,
				strerror(-n));
			return;
		}
	}
	n = wd_snapshot_step(&d->snapshot, WD_SNAPSHOT_SLICE_NS, on_listener, d);
	if (n < 0 && n != -EINPROGRESS)
		wd_warn("net_listen snapshot: %s", strerror(-n));
}
