/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The `rules` section: named rules that drop or tag events which passed
 * the filters, matched on the process (exe, cmdline, comm, user, ancestry),
 * its container and the destination. Parsed by config/rules.c, matched by
 * rules/engine.c.
 */
#ifndef WD_CONFIG_RULES_H
#define WD_CONFIG_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WD_RULES_MAX 256 /* rules in a config (and the kernel's counter slots) */
#define WD_RULE_NAME_MAX 64

enum wd_rule_action {
	WD_RULE_DROP = 0,
	WD_RULE_TAG = 1,
};

/* A list of glob patterns (fnmatch(3), no flags): any may match. */
struct wd_globs {
	char **v;
	size_t n;
};

struct wd_rule_net {
	int family; /* AF_INET or AF_INET6 (v4-mapped become AF_INET) */
	uint8_t addr[16];
	uint8_t prefixlen;
};

struct wd_rule_def {
	char *name;
	enum wd_rule_action action;
	size_t line;
	uint32_t probes; /* 1 << WD_PROBE_*; 0: any probe */
	struct wd_globs exe, cmdline, comm, user;
	struct wd_globs ancestor_exe, ancestor_cmdline;
	struct wd_globs container_image, container_name, container_label; /* label "k=v" */
	uint32_t *uids;
	size_t nuids;
	struct wd_rule_net *nets;
	size_t nnets;
	struct wd_port_range *ports;
	size_t nports;
};

struct wd_rules {
	struct wd_rule_def *v;
	size_t n;
};

void wd_rules_free(struct wd_rules *rs);
/* The rules, one a line, for --check-config (lines: where each is defined). */
void wd_rules_print(const struct wd_rules *rs, FILE *f, bool lines);
/* Do a and b say the same (names, actions, keys, in order)? */
bool wd_rules_same(const struct wd_rules *a, const struct wd_rules *b);

#endif
