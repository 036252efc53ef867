/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rules in the agent: each event that passed the filters is judged
 * (rules/engine.c) on its process from the table, its original lineage and
 * its destination; a drop rule's events are counted, not written; tag rules
 * name themselves in the event. A drop rule that depends only on what a
 * process is from its exec on is also given to the kernel: a verdict per
 * process (pid + start time), so its connects stop there (counted per rule
 * in the kernel); what the kernel did not stop yet is dropped here by the
 * same rule. Counters are per kernel slot: a rule keeps its slot across
 * reloads while its name stays.
 */
#ifndef WD_AGENT_RULES_H
#define WD_AGENT_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "output/json.h"
#include "proc/ptable.h"
#include "proc/users.h"
#include "rules/engine.h"

#define WD_SLOT_NONE 0xffffffffu

/* The kernel side (loader/rules.c); every function NULL in unit tests. */
struct wd_rule_hooks {
	/* write the verdict of process (pid, start): drop its events of probes by slot */
	int (*set_verdict)(void *ctx, uint32_t pid, uint64_t start_ns, uint32_t slot,
			   uint32_t probes);
	void (*del_verdict)(void *ctx, uint32_t pid, uint64_t start_ns);
	void (*clear_verdicts)(void *ctx);
	/* the kernel's drops per slot (WD_RULES_MAX entries) */
	int (*kernel_hits)(void *ctx, uint64_t *per_slot);
	void *ctx;
};

struct wd_containers;

struct wd_rule_state {
	const struct wd_rules *rules;
	struct wd_containers *containers; /* container_* keys; NULL: none known */
	char *slot_name[WD_RULES_MAX];    /* slot -> name of the rule holding it */
	uint32_t slot_of[WD_RULES_MAX];   /* rule index -> slot */
	uint64_t user_hits[WD_RULES_MAX]; /* per slot: dropped or tagged here */
	uint64_t kbase[WD_RULES_MAX];     /* per slot: kernel count when assigned */
	bool kernel;        /* some rule can be decided per process */
	bool ancestry;      /* some rule has an ancestor key */
	struct wd_rule_hooks hooks;
	struct wd_rule_verdict verdict; /* of the last event judged */
	const char *tag_names[WD_RULES_MAX]; /* its tag rules' names */
	size_t ntags;
	struct wd_buf scratch;            /* NUL-terminated copies of cmdlines */
	size_t *offs;                     /* WD_LINEAGE_MAX * 2 */
	const char **anc;                 /* WD_LINEAGE_MAX * 2: exe, then cmdline */
	uint64_t verdicts_set, verdict_errors;
};

int wd_rstate_init(struct wd_rule_state *st);
void wd_rstate_free(struct wd_rule_state *st);
/*
 * Take rules (at start and after a reload): slots by name, the kernel's
 * verdicts written again for every live process of t (t may be NULL).
 */
void wd_rstate_set(struct wd_rule_state *st, const struct wd_rules *rules,
		   struct wd_ptable *t);
/*
 * Judge the event whose lineage lin was built: true when a drop rule
 * matches (counted); else st->tag_names/ntags are its tags.
 */
bool wd_rstate_judge(struct wd_rule_state *st, const struct wd_connect_event *e,
		     const struct wd_lineage *lin, const struct wd_users *users);
/* The process (pid, start) was forked or exec'd: its verdict for the kernel. */
void wd_rstate_on_start(struct wd_rule_state *st, struct wd_ptable *t, uint32_t pid,
			uint64_t start_ns, bool fork);
/* The process exited: its verdict goes. */
void wd_rstate_on_exit(struct wd_rule_state *st, uint32_t pid, uint64_t start_ns);
/* n more events dropped by the rule of the last verdict (a flood summary's). */
void wd_rstate_add_drops(struct wd_rule_state *st, uint64_t n);
/* ,"rules":{"NAME":{"action":"drop","count":N},...} for the stats record. */
void wd_rstate_put_stats(struct wd_rule_state *st, struct wd_buf *b);
/* Events rule i dropped or tagged so far (kernel + here). */
uint64_t wd_rstate_count(struct wd_rule_state *st, size_t i, const uint64_t *kernel);

#endif
