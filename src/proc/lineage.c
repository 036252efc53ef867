// SPDX-License-Identifier: GPL-2.0-only
/*
 * An event's ancestry: the original lineage from the process table, the
 * kernel's chain where the table knows less (see wd_lineage_build).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "proc/ptable.h"

/* The kernel's record of pid in the event's chain, or NULL. */
static const struct wd_proc *kernel_proc(const struct wd_connect_event *e, uint32_t pid)
{
	for (unsigned int i = 0; i < e->depth && i < WD_MAX_DEPTH; i++)
		if (e->tree[i].pid == pid)
			return &e->tree[i];
	return NULL;
}

void wd_lineage_build(struct wd_ptable *t, const struct wd_connect_event *e,
		      struct wd_lineage *out)
{
	const struct wd_proc *k = e->depth ? &e->tree[0] : NULL;
	struct wd_pnode *n = NULL;
	bool partial = false, from_proc = false;

	out->n = 0;
	out->truncated = false;
	out->reparented = false;
	if (k && (e->flags & WD_F_COARSE_START)) {
		/* A snapshot knows the start from /proc, to the tick only. */
		n = wd_ptable_find_live_coarse(t, k->pid, k->start_ns);
		if (!n)
			n = wd_ptable_lookup(t, k->pid, k->start_ns);
	} else if (k) {
		n = wd_ptable_lookup(t, k->pid, k->start_ns);
	}
	while (out->n < WD_LINEAGE_MAX && (n || k)) {
		struct wd_lineage_node *ln = &out->v[out->n++];
		uint32_t pid = n ? n->pid : k->pid, ppid;

		ln->node = n;
		ln->kernel = k ? k : kernel_proc(e, pid);
		ln->reparented = false;
		ln->current_ppid = 0;
		if (ln->kernel && n) {
			/* An exec the table missed: trust /proc over a stale entry. */
			if (strncmp(n->comm, ln->kernel->comm, WD_COMM_LEN) &&
			    !n->exited)
				wd_ptable_reread(t, n);
			ln->current_ppid = ln->kernel->ppid;
			ln->reparented = n->ppid && n->ppid != ln->kernel->ppid;
		}
		out->reparented |= ln->reparented;
		if (!n || !n->cmdline)
			partial = true;
		if (n && n->from_proc)
			from_proc = true;
		if (pid == 1)
			break;
		/* Next: the original parent from the table, else the kernel's. */
		ppid = n ? n->ppid : (k ? k->ppid : 0);
		if (n && n->parent) {
			n = n->parent;
			k = kernel_proc(e, n->pid);
			if (k && !wd_ptable_same_start(t, n, k->start_ns))
				k = NULL;
			continue;
		}
		k = ppid ? kernel_proc(e, ppid) : NULL;
		n = k ? wd_ptable_lookup(t, k->pid, k->start_ns) : NULL;
		if (!k) {
			partial = true; /* the chain stops short of pid 1 */
			break;
		}
	}
	if (out->n == WD_LINEAGE_MAX ||
	    (out->n && !(out->v[out->n - 1].node ? out->v[out->n - 1].node->pid == 1 :
				out->v[out->n - 1].kernel->pid == 1))) {
		if (e->flags & WD_F_TRUNCATED || out->n == WD_LINEAGE_MAX)
			out->truncated = true;
		partial = true;
	}
	out->source = partial ? WD_ANC_PARTIAL : from_proc ? WD_ANC_PROC : WD_ANC_CACHE;
}
