// SPDX-License-Identifier: GPL-2.0-only
/* The process table; the lineage of an event is built in lineage.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc/procfs.h"
#include "proc/ptable.h"
#include "util/clock.h"
#include "util/hash.h"

int wd_ptable_init(struct wd_ptable *t, const char *proc_root, size_t max)
{
	long tck = sysconf(_SC_CLK_TCK);
	size_t n = 1024;

	*t = (struct wd_ptable){ 0 };
	while (n < max && n < (1u << 22))
		n <<= 1;
	t->bucket = calloc(n, sizeof(*t->bucket));
	if (!t->bucket)
		return -ENOMEM;
	t->nbuckets = n;
	t->max = max ? max : 1;
	t->proc_root = proc_root;
	t->ns_per_tick = 1000000000ull / (uint64_t)(tck > 0 ? tck : 100);
	return 0;
}

static void node_free(struct wd_pnode *n)
{
	free(n->cmdline);
	free(n->exe);
	free(n->json);
	free(n);
}

/* Drop the cached JSON after cmdline or exe changed. */
static void node_changed(struct wd_pnode *n)
{
	free(n->json);
	n->json = NULL;
	n->json_len = 0;
}

/* Recount what n holds after its strings changed. */
static void account(struct wd_ptable *t, struct wd_pnode *n)
{
	size_t b = sizeof(*n) + n->cmdline_len + n->json_len;

	if (n->exe)
		b += strlen(n->exe) + 1;
	t->bytes = t->bytes - n->bytes + b;
	n->bytes = b;
}

static void alist_del(struct wd_ptable *t, struct wd_pnode *n)
{
	if (t->trim_next == n)
		t->trim_next = n->anext;
	if (n->aprev)
		n->aprev->anext = n->anext;
	else
		t->ahead = n->anext;
	if (n->anext)
		n->anext->aprev = n->aprev;
	else
		t->atail = n->aprev;
	n->aprev = n->anext = NULL;
}

/* n becomes the youngest entry (inserted, or exec'd a new cmdline). */
static void alist_add(struct wd_ptable *t, struct wd_pnode *n)
{
	n->anext = NULL;
	n->aprev = t->atail;
	if (t->atail)
		t->atail->anext = n;
	else
		t->ahead = n;
	t->atail = n;
}

bool wd_ptable_cache_json(struct wd_ptable *t, struct wd_pnode *n, char *json,
			  size_t len)
{
	if (t->max_bytes && t->bytes + len > t->max_bytes)
		return false;
	free(n->json);
	n->json = json;
	n->json_len = (uint32_t)len;
	account(t, n);
	return true;
}

void wd_ptable_free(struct wd_ptable *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct wd_pnode *n = t->bucket[i], *next;

		for (; n; n = next) {
			next = n->hnext;
			node_free(n);
		}
	}
	free(t->bucket);
	*t = (struct wd_ptable){ 0 };
}

static size_t bucket_of(const struct wd_ptable *t, uint32_t pid)
{
	return wd_hash_bucket(pid, t->nbuckets);
}

bool wd_ptable_same_start(const struct wd_ptable *t, const struct wd_pnode *n,
			  uint64_t start_ns)
{
	if (!n->coarse)
		return n->start_ns == start_ns;
	return n->start_ns / t->ns_per_tick == start_ns / t->ns_per_tick;
}

struct wd_pnode *wd_ptable_find(struct wd_ptable *t, uint32_t pid, uint64_t start_ns)
{
	struct wd_pnode *n;

	for (n = t->bucket[bucket_of(t, pid)]; n; n = n->hnext) {
		if (n->pid != pid || !wd_ptable_same_start(t, n, start_ns))
			continue;
		if (n->coarse && start_ns % t->ns_per_tick) {
			n->start_ns = start_ns; /* now known exactly */
			n->coarse = false;
		}
		return n;
	}
	return NULL;
}

/* The live entry of a pid (for /proc's ppid, which has no start time). */
static struct wd_pnode *find_live(struct wd_ptable *t, uint32_t pid)
{
	struct wd_pnode *n;

	for (n = t->bucket[bucket_of(t, pid)]; n; n = n->hnext)
		if (n->pid == pid && !n->exited)
			return n;
	return NULL;
}

static void xlist_del(struct wd_ptable *t, struct wd_pnode *n)
{
	if (n->xprev)
		n->xprev->xnext = n->xnext;
	else if (t->xhead == n)
		t->xhead = n->xnext;
	else
		return; /* not on the list */
	if (n->xnext)
		n->xnext->xprev = n->xprev;
	else
		t->xtail = n->xprev;
	n->xprev = n->xnext = NULL;
}

static void xlist_add(struct wd_ptable *t, struct wd_pnode *n)
{
	n->xnext = NULL;
	n->xprev = t->xtail;
	if (t->xtail)
		t->xtail->xnext = n;
	else
		t->xhead = n;
	t->xtail = n;
}

static void link_parent(struct wd_pnode *child, struct wd_pnode *parent)
{
	child->parent = parent;
	child->sib_prev = NULL;
	child->sib_next = parent->children;
	if (parent->children)
		parent->children->sib_prev = child;
	parent->children = child;
	parent->nchildren++;
}

static void unlink_parent(struct wd_pnode *child)
{
	struct wd_pnode *p = child->parent;

	if (!p)
		return;
	if (child->sib_prev)
		child->sib_prev->sib_next = child->sib_next;
	else
		p->children = child->sib_next;
	if (child->sib_next)
		child->sib_next->sib_prev = child->sib_prev;
	child->parent = child->sib_next = child->sib_prev = NULL;
	p->nchildren--;
}

static void remove_node(struct wd_ptable *t, struct wd_pnode *n);

/*
 * Link n to the live process of its ppid: the best guess of an original
 * parent when only /proc (which has no parent start time) knows it.
 */
static void link_live_parent(struct wd_ptable *t, struct wd_pnode *n)
{
	struct wd_pnode *p;

	if (n->parent || !n->ppid || n->exited)
		return;
	p = find_live(t, n->ppid);
	if (p && p != n)
		link_parent(n, p);
}

/* An exited entry nobody points at is gone; so may its ancestors become. */
static void release(struct wd_ptable *t, struct wd_pnode *n)
{
	while (n && n->exited && n->nchildren == 0) {
		struct wd_pnode *p = n->parent;

		remove_node(t, n);
		n = p;
	}
}

static void remove_node(struct wd_ptable *t, struct wd_pnode *n)
{
	struct wd_pnode **pp = &t->bucket[bucket_of(t, n->pid)];

	while (*pp && *pp != n)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = n->hnext;
	/* Children lose their link to this original parent. */
	while (n->children) {
		struct wd_pnode *c = n->children;

		unlink_parent(c);
		c->lineage_lost = true;
		t->lineage_breaks++;
	}
	unlink_parent(n);
	xlist_del(t, n);
	alist_del(t, n);
	t->bytes -= n->bytes;
	t->count--;
	node_free(n);
}

/* Make room for one entry: evict the oldest exited ones first. */
static bool make_room(struct wd_ptable *t)
{
	while (t->count >= t->max && t->xhead) {
		struct wd_pnode *victim = t->xhead, *p = victim->parent;

		t->evictions++;
		remove_node(t, victim);
		release(t, p);
	}
	if (t->count < t->max)
		return true;
	t->full++;
	return false;
}

/* Drop n's JSON copy, then (still over) its cmdline and exe. */
static void trim(struct wd_ptable *t, struct wd_pnode *n)
{
	if (n->json) {
		node_changed(n);
		t->trimmed++;
		account(t, n);
	}
	if (t->bytes <= t->max_bytes || (!n->cmdline && !n->exe))
		return;
	free(n->cmdline);
	free(n->exe);
	n->cmdline = n->exe = NULL;
	n->cmdline_len = 0;
	t->trimmed++;
	account(t, n);
}

/* Stay under max_bytes: evict the oldest exited entries, then trim. */
static void enforce_bytes(struct wd_ptable *t)
{
	bool wrapped = false;

	while (t->max_bytes && t->bytes > t->max_bytes && t->xhead) {
		struct wd_pnode *victim = t->xhead, *p = victim->parent;

		t->evictions++;
		remove_node(t, victim);
		release(t, p);
	}
	while (t->max_bytes && t->bytes > t->max_bytes) {
		if (!t->trim_next) {
			if (wrapped)
				break; /* the entries alone are over */
			wrapped = true;
			t->trim_next = t->ahead;
			continue;
		}
		trim(t, t->trim_next);
		t->trim_next = t->trim_next->anext;
	}
}

static struct wd_pnode *insert(struct wd_ptable *t, uint32_t pid, uint64_t start_ns,
			       bool coarse)
{
	struct wd_pnode *n;
	size_t b;

	if (!make_room(t))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->pid = pid;
	n->start_ns = start_ns;
	n->coarse = coarse;
	n->uid = WD_UID_UNKNOWN;
	n->loginuid = WD_LOGINUID_UNSET;
	b = bucket_of(t, pid);
	n->hnext = t->bucket[b];
	t->bucket[b] = n;
	t->count++;
	alist_add(t, n);
	account(t, n);
	return n;
}

static void set_comm(struct wd_pnode *n, const char *comm, size_t max)
{
	size_t len = strnlen(comm, max < WD_COMM_LEN ? max : WD_COMM_LEN);

	memcpy(n->comm, comm, len);
	n->comm[len] = '\0';
}

/* Fill cmdline, exe, uid, loginuid from /proc; false if pid changed hands. */
bool wd_ptable_reread(struct wd_ptable *t, struct wd_pnode *n)
{
	char *buf = malloc(WD_ARGS_MAX);
	struct wd_stat st;
	bool trunc = false;
	ssize_t len;

	t->proc_reads++;
	if (!buf)
		return false;
	len = wd_read_cmdline(t->proc_root, (pid_t)n->pid, buf, WD_ARGS_MAX, &trunc);
	/* Confirm afterwards: the pid may have been reused meanwhile. */
	if (wd_read_stat(t->proc_root, (pid_t)n->pid, &st) ||
	    st.starttime != n->start_ns / t->ns_per_tick) {
		free(buf);
		return false;
	}
	set_comm(n, st.comm, sizeof(st.comm));
	node_changed(n);
	if (len > 0) {
		free(n->cmdline);
		n->cmdline = realloc(buf, (size_t)len) ?: buf;
		n->cmdline_len = (uint32_t)len;
		n->cmdline_truncated = trunc;
	} else {
		free(buf);
	}
	wd_read_ids(t->proc_root, (pid_t)n->pid, &n->uid, &n->loginuid);
	free(n->exe);
	n->exe = wd_read_exe(t->proc_root, (pid_t)n->pid);
	n->from_proc = true;
	account(t, n);
	return true;
}

/* Add a process that /proc shows; parent linked to the live entry of ppid. */
static struct wd_pnode *add_from_proc(struct wd_ptable *t, const struct wd_stat *st,
				      uint64_t start_ns, bool coarse)
{
	struct wd_pnode *n = insert(t, (uint32_t)st->pid, start_ns, coarse);

	if (!n)
		return NULL;
	n->ppid = (uint32_t)st->ppid;
	if (!wd_ptable_reread(t, n)) {
		remove_node(t, n);
		return NULL;
	}
	link_live_parent(t, n);
	return n;
}

size_t wd_ptable_seed(struct wd_ptable *t)
{
	struct wd_pnode *n;
	struct dirent *de;
	size_t added = 0;
	DIR *d = opendir(t->proc_root);

	if (!d)
		return 0;
	/* First every process, then the parent links (parents may come later). */
	while ((de = readdir(d))) {
		struct wd_stat st;
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || pid == 0 || wd_read_stat(t->proc_root, (pid_t)pid, &st))
			continue;
		if (wd_ptable_find(t, (uint32_t)pid, st.starttime * t->ns_per_tick))
			continue;
		n = insert(t, (uint32_t)pid, st.starttime * t->ns_per_tick, true);
		if (!n)
			break;
		n->ppid = (uint32_t)st.ppid;
		if (!wd_ptable_reread(t, n)) {
			remove_node(t, n);
			continue;
		}
		enforce_bytes(t);
		added++;
	}
	closedir(d);
	for (size_t i = 0; i < t->nbuckets; i++)
		for (n = t->bucket[i]; n; n = n->hnext)
			link_live_parent(t, n);
	return added;
}

struct wd_pnode *wd_ptable_lookup(struct wd_ptable *t, uint32_t pid, uint64_t start_ns)
{
	struct wd_pnode *n = wd_ptable_find(t, pid, start_ns);
	struct wd_stat st;

	if (n)
		return n;
	/* a slow /proc must not hold up the loop: past the budget, unknown */
	if (t->proc_deadline_ns && wd_clock_ns(CLOCK_MONOTONIC) > t->proc_deadline_ns) {
		t->proc_skipped++;
		return NULL;
	}
	t->proc_reads++;
	if (wd_read_stat(t->proc_root, (pid_t)pid, &st) ||
	    st.starttime != start_ns / t->ns_per_tick)
		return NULL;
	return add_from_proc(t, &st, start_ns, false);
}

static void proc_fork(struct wd_ptable *t, const struct wd_proc_event *e)
{
	struct wd_pnode *n = wd_ptable_find(t, e->pid, e->start_ns), *p;

	if (!n) {
		n = insert(t, e->pid, e->start_ns, false);
		if (!n)
			return;
	}
	n->ppid = e->ppid;
	n->uid = e->uid;
	n->loginuid = e->loginuid;
	set_comm(n, e->comm, sizeof(e->comm));
	/* Until it execs, a child runs its parent's program. */
	p = wd_ptable_lookup(t, e->ppid, e->parent_start_ns);
	if (p && p != n && !n->parent) {
		link_parent(n, p);
		node_changed(n);
		if (!n->cmdline && p->cmdline) {
			n->cmdline = malloc(p->cmdline_len);
			if (n->cmdline) {
				memcpy(n->cmdline, p->cmdline, p->cmdline_len);
				n->cmdline_len = p->cmdline_len;
				n->cmdline_truncated = p->cmdline_truncated;
			}
		}
		if (!n->exe && p->exe)
			n->exe = strdup(p->exe);
		account(t, n);
	}
}

static void proc_exec(struct wd_ptable *t, const struct wd_proc_event *e, size_t size)
{
	struct wd_pnode *n = wd_ptable_find(t, e->pid, e->start_ns);
	size_t len = e->args_len, path = size - WD_PROC_EVENT_FIXED;
	struct wd_stat st;
	char *args;

	if (!n) {
		n = insert(t, e->pid, e->start_ns, false);
		if (!n)
			return;
		/* Its fork came before whodunit, or was lost: ask /proc who the parent is. */
		if (!wd_read_stat(t->proc_root, (pid_t)e->pid, &st)) {
			n->ppid = (uint32_t)st.ppid;
			link_live_parent(t, n);
		}
	}
	if (size < WD_PROC_EVENT_FIXED + WD_PATH_MAX + len)
		len = size > WD_PROC_EVENT_FIXED + WD_PATH_MAX ?
			      size - WD_PROC_EVENT_FIXED - WD_PATH_MAX : 0;
	n->uid = e->uid;
	n->loginuid = e->loginuid;
	set_comm(n, e->comm, sizeof(e->comm));
	node_changed(n);
	free(n->exe);
	/* A short record: the path is what it holds, not WD_PATH_MAX bytes. */
	n->exe = strndup(e->data, path < WD_PATH_MAX ? path : WD_PATH_MAX);
	args = len ? malloc(len) : NULL;
	free(n->cmdline);
	n->cmdline = NULL;
	n->cmdline_len = 0;
	if (args) {
		memcpy(args, e->data + WD_PATH_MAX, len);
		len = wd_cmdline_join(args, len);
		n->cmdline = args;
		n->cmdline_len = (uint32_t)len;
	}
	n->cmdline_truncated = e->flags & WD_PF_ARGS_TRUNCATED;
	n->from_proc = false;
	account(t, n);
	alist_del(t, n);
	alist_add(t, n);
}

static void proc_exit(struct wd_ptable *t, const struct wd_proc_event *e)
{
	struct wd_pnode *n = wd_ptable_find(t, e->pid, e->start_ns);

	if (!n || n->exited)
		return;
	n->exited = true;
	if (n->nchildren == 0)
		release(t, n);
	else
		xlist_add(t, n);
}

void wd_ptable_apply(struct wd_ptable *t, const struct wd_proc_event *e, size_t size)
{
	if (size < WD_PROC_EVENT_FIXED)
		return;
	switch (e->hdr.type) {
	case WD_EV_FORK:
		proc_fork(t, e);
		break;
	case WD_EV_EXEC:
		proc_exec(t, e, size);
		break;
	case WD_EV_EXIT:
		proc_exit(t, e);
		break;
	}
	enforce_bytes(t);
}

struct wd_pnode *wd_ptable_find_live_coarse(struct wd_ptable *t, uint32_t pid,
					    uint64_t start_ns)
{
	struct wd_pnode *n;

	for (n = t->bucket[bucket_of(t, pid)]; n; n = n->hnext)
		if (n->pid == pid && !n->exited &&
		    n->start_ns / t->ns_per_tick == start_ns / t->ns_per_tick)
			return n;
	return NULL;
}
