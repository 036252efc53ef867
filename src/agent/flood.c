// SPDX-License-Identifier: GPL-2.0-only
/* Flood control in userland (agent/flood.h). */
#include <string.h>
#include <sys/socket.h>

#include "agent/dispatch.h"
#include "agent/flood.h"
#include "agent/records.h"
#include "proc/procfs.h"
#include "util/clock.h"

void wd_flood_settings(struct wd_dispatch *d)
{
	struct wd_flood_state *f = &d->flood;
	bool was_on = f->next_ns != 0;

	f->window = d->cfg->repeat_window;
	f->burst = d->cfg->repeat_burst;
	if (!f->hooks.burst)
		return;
	f->hooks.burst(f->hooks.ctx, f->window ? f->burst : 0);
	if (!f->window)
		f->next_ns = 0;
	else if (!was_on)
		f->next_ns = wd_clock_ns(CLOCK_MONOTONIC) + (int64_t)f->window * WD_NS_PER_SEC;
	if (was_on && !f->window) /* turned off: what is counted is reported now */
		wd_flood_tick(d, 0, true);
}

void wd_flood_summary(struct wd_dispatch *d, const struct wd_flood_key *k,
		      const struct wd_flood_val *v)
{
	const struct wd_pnode *n = wd_ptable_find(&d->ptable, k->tgid, k->start_ns);
	struct wd_connect_event *e = &d->flood_ev;
	struct wd_enrich *en = &d->enrich;

	memset(e, 0, WD_CONNECT_EVENT_FIXED + sizeof(e->tree[0]));
	e->hdr.type = WD_EV_TCP_CONNECT;
	e->hdr.variant = d->flood.variant;
	e->hdr.ts_ns = v->last_ns;
	e->hdr.size = WD_CONNECT_EVENT_FIXED + sizeof(e->tree[0]);
	e->family = k->family;
	memcpy(e->daddr, k->addr, 16);
	e->dport = k->port;
	e->protocol = 6;
	e->depth = 1;
	e->tid = k->tgid;
	e->uid = n ? n->uid : WD_UID_UNKNOWN;
	e->tree[0] = (struct wd_proc){ .pid = k->tgid, .start_ns = k->start_ns,
				       .ppid = n ? n->ppid : 0, .uid = e->uid };
	if (n) {
		memcpy(e->tree[0].comm, n->comm, WD_COMM_LEN);
		memcpy(e->comm, n->comm, WD_COMM_LEN);
	}
	d->flood.reported += v->suppressed;
	d->flood.summaries++;
	/* a drop rule's summary: every connect it stands for is the rule's */
	if (wd_dispatch_judge(d, e)) {
		wd_rstate_add_drops(&d->rules, v->suppressed - 1);
		return;
	}
	en->repeat_count = v->suppressed;
	en->first_ns = v->first_ns ? v->first_ns : v->last_ns;
	en->last_ns = v->last_ns;
	wd_buf_reset(&d->line);
	wd_format_connect(&d->line, e, en);
	en->repeat_count = 0;
	wd_dispatch_emit(d, &d->line);
}

static void on_key(void *arg, const struct wd_flood_key *k, const struct wd_flood_val *v)
{
	wd_flood_summary(arg, k, v);
}

void wd_flood_tick(struct wd_dispatch *d, int64_t now_ns, bool force)
{
	struct wd_flood_state *f = &d->flood;
	uint64_t before;

	if (!f->hooks.take || (!force && (!f->next_ns || now_ns < f->next_ns)))
		return;
	if (f->next_ns && !force)
		while (f->next_ns <= now_ns)
			f->next_ns += (int64_t)f->window * WD_NS_PER_SEC;
	/* counted before the keys are taken: each of these is in a key, or lost */
	before = f->hooks.suppressed(f->hooks.ctx);
	f->hooks.take(f->hooks.ctx, 0, 0, on_key, d);
	if (before > f->reported + f->lost) {
		wd_record_lost(d, before - f->reported - f->lost, "repeat_uncounted");
		f->lost = before - f->reported;
	}
}

void wd_flood_on_exit(struct wd_dispatch *d, uint32_t pid, uint64_t start_ns)
{
	struct wd_flood_state *f = &d->flood;

	/* (off: no key is made, and turning it off took them all) */
	if (f->window && f->hooks.marked && f->hooks.marked(f->hooks.ctx, pid, start_ns))
		f->hooks.take(f->hooks.ctx, pid, start_ns, on_key, d);
}
