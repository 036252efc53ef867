/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The process table: every process whodunit knows, keyed by (pid, start
 * time), fed by fork/exec/exit records from the kernel and seeded from
 * /proc at start-up. Each entry remembers its *original* parent (the one
 * that forked it), so an event's ancestry survives the parent's exit and
 * the child's reparenting (double fork).
 *
 * Exited entries stay while a descendant in the table still points at
 * them, then are freed. Memory is bounded by `max` entries: past it, the
 * oldest exited entries are evicted even when referenced (their children's
 * lineage then ends there, counted in lineage_breaks).
 */
#ifndef WD_PTABLE_H
#define WD_PTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wd_abi.h"

#define WD_LOGINUID_UNSET 0xffffffffu
#define WD_LINEAGE_MAX 1024 /* longest ancestry reported */

struct wd_pnode {
	uint32_t pid;
	uint32_t ppid;      /* original parent's pid (0: none/unknown) */
	uint64_t start_ns;  /* start_boottime; rounded to a clock tick if coarse */
	uint32_t uid;
	uint32_t loginuid;
	char comm[WD_COMM_LEN + 1];
	bool coarse;        /* start known to the clock tick only (from /proc) */
	bool exited;
	bool from_proc;     /* what we know came from /proc, not from exec */
	bool cmdline_truncated;
	bool lineage_lost;  /* the original parent was evicted */
	char *cmdline;      /* NULL: unknown */
	uint32_t cmdline_len;
	char *exe;          /* NULL: unknown */
	char *json;         /* "cmdline" and "exe" members as JSON text, cached */
	uint32_t json_len;
	struct wd_pnode *parent; /* original parent's entry, NULL if unknown */
	struct wd_pnode *children, *sib_next, *sib_prev;
	uint32_t nchildren;
	struct wd_pnode *hnext;          /* pid hash chain */
	struct wd_pnode *xprev, *xnext;  /* exited-but-referenced list, oldest first */
	struct wd_pnode *aprev, *anext;  /* every entry, oldest insert/exec first */
	size_t bytes;                    /* what this entry holds, as counted */
};

struct wd_ptable {
	const char *proc_root;
	uint64_t ns_per_tick;
	struct wd_pnode **bucket;
	size_t nbuckets; /* a power of two */
	size_t count, max;
	struct wd_pnode *xhead, *xtail;
	struct wd_pnode *ahead, *atail;
	struct wd_pnode *trim_next; /* where trimming for max_bytes goes on */
	size_t bytes, max_bytes;
	uint64_t trimmed;       /* cmdline/JSON copies dropped to stay under max_bytes */
	uint64_t evictions;     /* entries dropped to stay under max */
	uint64_t lineage_breaks;
	uint64_t full;          /* inserts refused: every entry was alive */
	uint64_t proc_reads;    /* /proc lookups (seed and fallback) */
	int64_t proc_deadline_ns; /* CLOCK_MONOTONIC: no fallback /proc read after; 0: none */
	uint64_t proc_skipped;  /* fallback reads left out: past the deadline */
};

int wd_ptable_init(struct wd_ptable *t, const char *proc_root, size_t max);
void wd_ptable_free(struct wd_ptable *t);
/* Read every process of proc_root. Returns how many were added. */
size_t wd_ptable_seed(struct wd_ptable *t);

/*
 * Keep the cached JSON copy (malloc'd) of n's cmdline and exe; false (the
 * caller keeps ownership) when that would exceed max_bytes.
 */
bool wd_ptable_cache_json(struct wd_ptable *t, struct wd_pnode *n, char *json,
			  size_t len);

/* Apply one record from the kernel. */
void wd_ptable_apply(struct wd_ptable *t, const struct wd_proc_event *e,
		     size_t size);

/* The entry for (pid, start_ns), or NULL. A coarse entry matches to the tick. */
struct wd_pnode *wd_ptable_find(struct wd_ptable *t, uint32_t pid, uint64_t start_ns);
/*
 * The entry for (pid, start_ns), read from /proc if the table lacks it and
 * /proc still shows that very process. NULL when it cannot be known, or
 * when proc_deadline_ns has passed (counted in proc_skipped).
 */
struct wd_pnode *wd_ptable_lookup(struct wd_ptable *t, uint32_t pid,
				  uint64_t start_ns);

/* (for lineage.c) Does n's start match start_ns (to the tick if coarse)? */
bool wd_ptable_same_start(const struct wd_ptable *t, const struct wd_pnode *n,
			  uint64_t start_ns);
/* (for lineage.c) Read n's cmdline and exe again from /proc; false if gone. */
bool wd_ptable_reread(struct wd_ptable *t, struct wd_pnode *n);
/* (for lineage.c) A live entry of pid whose start matches to the tick. */
struct wd_pnode *wd_ptable_find_live_coarse(struct wd_ptable *t, uint32_t pid,
					    uint64_t start_ns);

/* Where an event's ancestry came from. */
enum wd_ancestry_source {
	WD_ANC_CACHE,   /* every process from the table, known since exec/fork */
	WD_ANC_PROC,    /* some read from /proc (started before whodunit, or missed) */
	WD_ANC_PARTIAL, /* something is missing: a cmdline, or the chain to pid 1 */
};

struct wd_lineage_node {
	const struct wd_pnode *node;       /* NULL: known only from the kernel */
	const struct wd_proc *kernel;      /* this process in the event's chain */
	bool reparented;                   /* current parent != original parent */
	uint32_t current_ppid;
};

struct wd_lineage {
	struct wd_lineage_node v[WD_LINEAGE_MAX];
	size_t n;
	enum wd_ancestry_source source;
	bool truncated;  /* longer than WD_LINEAGE_MAX, or cut in the kernel */
	bool reparented; /* some node's current parent differs */
};

/*
 * The ancestry of a connect: the original lineage from the table, leaf
 * first, ending at pid 1 when it is known; the kernel's chain fills what
 * the table lacks and tells which nodes were reparented.
 */
void wd_lineage_build(struct wd_ptable *t, const struct wd_connect_event *e,
		      struct wd_lineage *out);

#endif
