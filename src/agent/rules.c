// SPDX-License-Identifier: GPL-2.0-only
/* Rules in the agent (agent/rules.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/rules.h"
#include "container/container.h"
#include "wd_filter.h"

_Static_assert(WD_RULES_MAX <= WD_RULE_SLOTS, "a kernel counter slot per rule");

/* The probes whose kernel hook consults the per-process verdict. */
#define KERNEL_PROBES ((1u << WD_PROBE_TCP_CONNECT) | (1u << WD_PROBE_NET_LISTEN))

int wd_rstate_init(struct wd_rule_state *st)
{
	memset(st, 0, sizeof(*st));
	st->offs = calloc(2 * WD_LINEAGE_MAX, sizeof(*st->offs));
	st->anc = calloc(2 * WD_LINEAGE_MAX, sizeof(*st->anc));
	if (!st->offs || !st->anc) {
		wd_rstate_free(st);
		return -ENOMEM;
	}
	return 0;
}

void wd_rstate_free(struct wd_rule_state *st)
{
	for (size_t i = 0; i < WD_RULES_MAX; i++)
		free(st->slot_name[i]);
	free(st->offs);
	free(st->anc);
	wd_buf_free(&st->scratch);
	memset(st, 0, sizeof(*st));
}

static bool has_rule(const struct wd_rules *rs, const char *name)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->v[i].name, name))
			return true;
	return false;
}

/* Rule i keeps the slot of its name, or takes a free one (its counts from 0). */
static void assign_slots(struct wd_rule_state *st, const struct wd_rules *rs,
			 const uint64_t *kernel)
{
	for (size_t s = 0; s < WD_RULES_MAX; s++) {
		if (st->slot_name[s] && !has_rule(rs, st->slot_name[s])) {
			free(st->slot_name[s]);
			st->slot_name[s] = NULL;
		}
	}
	for (size_t i = 0; i < rs->n && i < WD_RULES_MAX; i++) {
		size_t s, freeslot = WD_RULES_MAX;

		for (s = 0; s < WD_RULES_MAX; s++) {
			if (st->slot_name[s] && !strcmp(st->slot_name[s], rs->v[i].name))
				break;
			if (!st->slot_name[s] && freeslot == WD_RULES_MAX)
				freeslot = s;
		}
		if (s == WD_RULES_MAX && freeslot < WD_RULES_MAX) {
			s = freeslot;
			st->slot_name[s] = strdup(rs->v[i].name);
			st->kbase[s] = kernel ? kernel[s] : 0;
			st->user_hits[s] = 0;
		}
		st->slot_of[i] = s < WD_RULES_MAX && st->slot_name[s] ? (uint32_t)s :
									WD_SLOT_NONE;
	}
}

/* A NUL-terminated copy of len bytes in scratch: its offset. */
static size_t keep(struct wd_rule_state *st, const char *p, size_t len)
{
	size_t off = st->scratch.len;

	wd_buf_put(&st->scratch, p, len);
	wd_buf_putc(&st->scratch, '\0');
	return off;
}

/* exe and cmdline of node n (NULL: unknown) as scratch offsets (SIZE_MAX: none). */
static void keep_node(struct wd_rule_state *st, const struct wd_pnode *n, size_t *exe,
		      size_t *cmd)
{
	*exe = n && n->exe ? keep(st, n->exe, strlen(n->exe)) : SIZE_MAX;
	*cmd = n && n->cmdline ? keep(st, n->cmdline, n->cmdline_len) : SIZE_MAX;
}

static const char *at(struct wd_rule_state *st, size_t off)
{
	return off == SIZE_MAX || st->scratch.oom ? NULL : st->scratch.p + off;
}

/*
 * Fill s with the process nodes[0] and its ancestors nodes[1..n): the strings
 * are copied to scratch (cmdlines are not NUL-terminated in the table).
 */
static void fill_process(struct wd_rule_state *st, struct wd_rule_subject *s,
			 const struct wd_pnode *const *nodes, size_t n)
{
	size_t exe, cmd, nanc = st->ancestry && n > 1 ? n - 1 : 0;

	wd_buf_reset(&st->scratch);
	keep_node(st, n ? nodes[0] : NULL, &exe, &cmd);
	for (size_t i = 0; i < nanc; i++)
		keep_node(st, nodes[i + 1], &st->offs[i], &st->offs[WD_LINEAGE_MAX + i]);
	s->exe = at(st, exe);
	s->cmdline = at(st, cmd);
	for (size_t i = 0; i < nanc; i++) {
		st->anc[i] = at(st, st->offs[i]);
		st->anc[WD_LINEAGE_MAX + i] = at(st, st->offs[WD_LINEAGE_MAX + i]);
	}
	s->anc_exe = st->anc;
	s->anc_cmdline = st->anc + WD_LINEAGE_MAX;
	s->nanc = nanc;
}

static int probe_of(const struct wd_connect_event *e)
{
	if (e->hdr.type == WD_EV_LISTEN)
		return WD_PROBE_NET_LISTEN;
	return e->hdr.type == WD_EV_UDP_DEST ? WD_PROBE_UDP_SESSION : WD_PROBE_TCP_CONNECT;
}

/* The event's container (container/container.h), when it is in one. */
static void fill_container(struct wd_rule_state *st, struct wd_rule_subject *s,
			   const struct wd_connect_event *e)
{
	const struct wd_container *c;

	if (!st->containers)
		return;
	c = wd_container_of(st->containers, e->cgroup_id, e->depth ? e->tree[0].pid : 0);
	if (!c)
		return;
	s->container_name = c->name;
	s->container_image = c->image;
	s->label_keys = (const char *const *)c->label_keys;
	s->label_values = (const char *const *)c->label_values;
	s->nlabels = c->nlabels;
}

bool wd_rstate_judge(struct wd_rule_state *st, const struct wd_connect_event *e,
		     const struct wd_lineage *lin, const struct wd_users *users)
{
	const struct wd_pnode *nodes[WD_LINEAGE_MAX];
	struct wd_rule_subject s = { .probe = probe_of(e), .uid = e->uid };
	char comm[WD_COMM_LEN + 1], ubuf[16];
	struct wd_rule_verdict *v = &st->verdict;

	st->ntags = 0;
	if (!st->rules || !st->rules->n)
		return false;
	for (size_t i = 0; i < lin->n; i++)
		nodes[i] = lin->v[i].node;
	fill_process(st, &s, nodes, lin->n);
	memcpy(comm, e->comm, WD_COMM_LEN);
	comm[WD_COMM_LEN] = '\0';
	s.comm = comm;
	s.user = e->uid != WD_UID_NONE ? wd_users_name_or_uid(users, e->uid, ubuf,
							      sizeof(ubuf)) : NULL;
	fill_container(st, &s, e);
	s.family = e->family;
	memcpy(s.addr, e->hdr.type == WD_EV_LISTEN ? e->saddr : e->daddr, 16);
	s.port = e->hdr.type == WD_EV_LISTEN ? e->sport : e->dport;
	if (wd_rules_eval(st->rules, &s, v)) {
		if (st->slot_of[v->drop] != WD_SLOT_NONE)
			st->user_hits[st->slot_of[v->drop]]++;
		return true;
	}
	for (size_t i = 0; i < v->ntags; i++) {
		st->tag_names[i] = st->rules->v[v->tags[i]].name;
		if (st->slot_of[v->tags[i]] != WD_SLOT_NONE)
			st->user_hits[st->slot_of[v->tags[i]]]++;
	}
	st->ntags = v->ntags;
	return false;
}

/* The kernel's verdict for node n: written, or removed when there is none. */
static void write_verdict(struct wd_rule_state *st, const struct wd_pnode *n, bool held)
{
	const struct wd_pnode *nodes[WD_LINEAGE_MAX];
	struct wd_rule_subject s = { .uid = WD_UID_NONE };
	size_t depth = 0;
	uint32_t probes = 0;
	int rule = -1, r;

	for (const struct wd_pnode *p = n; p && depth < WD_LINEAGE_MAX; p = p->parent)
		nodes[depth++] = p;
	fill_process(st, &s, nodes, depth);
	for (int probe = 0; probe < WD_NPROBES; probe++) {
		if (!(KERNEL_PROBES & (1u << probe)))
			continue;
		r = wd_rules_process_verdict(st->rules, &s, probe);
		if (r >= 0 && (rule < 0 || r == rule)) {
			rule = r;
			probes |= 1u << probe;
		}
	}
	if (rule < 0 || st->slot_of[rule] == WD_SLOT_NONE) {
		if (held) /* (a fresh fork has none to remove) */
			st->hooks.del_verdict(st->hooks.ctx, n->pid, n->start_ns);
		return;
	}
	if (st->hooks.set_verdict(st->hooks.ctx, n->pid, n->start_ns, st->slot_of[rule],
				  probes))
		st->verdict_errors++;
	else
		st->verdicts_set++;
}

void wd_rstate_set(struct wd_rule_state *st, const struct wd_rules *rules,
		   struct wd_ptable *t)
{
	uint64_t kernel[WD_RULES_MAX] = { 0 };
	bool had = st->kernel;

	if (st->hooks.kernel_hits)
		st->hooks.kernel_hits(st->hooks.ctx, kernel);
	st->rules = rules;
	assign_slots(st, rules, kernel);
	st->kernel = false;
	st->ancestry = false;
	for (size_t i = 0; i < rules->n; i++) {
		const struct wd_rule_def *d = &rules->v[i];

		st->kernel |= wd_rule_process_only(d) && (!d->probes || d->probes & KERNEL_PROBES);
		st->ancestry |= d->ancestor_exe.n || d->ancestor_cmdline.n;
	}
	if (!st->hooks.set_verdict || (!had && !st->kernel))
		return;
	st->hooks.clear_verdicts(st->hooks.ctx);
	if (!st->kernel || !t)
		return;
	for (struct wd_pnode *n = t->ahead; n; n = n->anext)
		if (!n->exited)
			write_verdict(st, n, true);
}

void wd_rstate_on_start(struct wd_rule_state *st, struct wd_ptable *t, uint32_t pid,
			uint64_t start_ns, bool fork)
{
	struct wd_pnode *n;

	if (!st->kernel || !st->hooks.set_verdict)
		return;
	n = wd_ptable_find(t, pid, start_ns);
	if (n)
		write_verdict(st, n, !fork);
}

void wd_rstate_add_drops(struct wd_rule_state *st, uint64_t n)
{
	int r = st->verdict.drop;

	if (r >= 0 && st->slot_of[r] != WD_SLOT_NONE)
		st->user_hits[st->slot_of[r]] += n;
}

void wd_rstate_on_exit(struct wd_rule_state *st, uint32_t pid, uint64_t start_ns)
{
	if (st->kernel && st->hooks.del_verdict)
		st->hooks.del_verdict(st->hooks.ctx, pid, start_ns);
}

uint64_t wd_rstate_count(struct wd_rule_state *st, size_t i, const uint64_t *kernel)
{
	uint32_t s = i < WD_RULES_MAX ? st->slot_of[i] : WD_SLOT_NONE;

	if (s == WD_SLOT_NONE)
		return 0;
	return st->user_hits[s] + (kernel ? kernel[s] - st->kbase[s] : 0);
}

void wd_rstate_put_stats(struct wd_rule_state *st, struct wd_buf *b)
{
	uint64_t kernel[WD_RULES_MAX] = { 0 };
	const uint64_t *k = NULL;

	if (!st->rules || !st->rules->n)
		return;
	if (st->hooks.kernel_hits && !st->hooks.kernel_hits(st->hooks.ctx, kernel))
		k = kernel;
	wd_buf_puts(b, ",\"rules\":{");
	for (size_t i = 0; i < st->rules->n; i++) {
		const struct wd_rule_def *d = &st->rules->v[i];

		wd_json_key(b, d->name, i == 0);
		wd_buf_puts(b, d->action == WD_RULE_DROP ? "{\"action\":\"drop\"" :
							   "{\"action\":\"tag\"");
		wd_json_u64(b, "count", wd_rstate_count(st, i, k));
		wd_buf_putc(b, '}');
	}
	wd_buf_putc(b, '}');
}
