/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rule engine: which rules of a config match an event's subject. Pure:
 * the caller fills a struct wd_rule_subject (from the process table and the
 * record in the agent, from an event's JSON in --test-rules); unknown
 * attributes are NULL and match no pattern.
 */
#ifndef WD_RULES_ENGINE_H
#define WD_RULES_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

#define WD_UID_NONE 0xffffffffu

struct wd_rule_subject {
	int probe;           /* WD_PROBE_* */
	const char *exe;     /* NULL: unknown */
	const char *cmdline; /* arguments joined by spaces */
	const char *comm;
	const char *user;    /* user name of uid */
	uint32_t uid;        /* WD_UID_NONE: unknown */
	/* the original lineage above the process, parent first */
	const char *const *anc_exe;     /* entries may be NULL */
	const char *const *anc_cmdline;
	size_t nanc;
	/* destination (laddr for net_listen); family 0: none */
	int family;
	uint8_t addr[16];
	uint16_t port;
	/* the container, NULL when none or unknown */
	const char *container_name;
	const char *container_image;
	const char *const *label_keys;
	const char *const *label_values;
	size_t nlabels;
};

/* What the rules say of one subject. */
struct wd_rule_verdict {
	int drop;          /* index of the first matching drop rule, or -1 */
	size_t ntags;      /* matching tag rules, in config order */
	uint16_t tags[WD_RULES_MAX];
};

/* Does rule d match s? */
bool wd_rule_matches(const struct wd_rule_def *d, const struct wd_rule_subject *s);
/* Every rule of rs against s; true when one drops it. */
bool wd_rules_eval(const struct wd_rules *rs, const struct wd_rule_subject *s,
		   struct wd_rule_verdict *v);
/*
 * A drop rule that depends only on what a process is from its exec on
 * (probe, exe, cmdline, ancestor_exe, ancestor_cmdline): its verdict holds
 * for the process's life, so the kernel may apply it. The other keys (comm,
 * uid and user can change; destination, container) are judged per event.
 */
bool wd_rule_process_only(const struct wd_rule_def *d);
/*
 * For events of `probe` from the process s describes: the index of the drop
 * rule that decides every one of them, or -1 when none does (the first drop
 * rule whose process keys match s has other keys too, or none matches).
 */
int wd_rules_process_verdict(const struct wd_rules *rs, const struct wd_rule_subject *s,
			     int probe);

#endif
