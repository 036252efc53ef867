// SPDX-License-Identifier: GPL-2.0-only
/* Rule matching (rules/engine.h): every key of a rule must match, any item of a key. */
#include <fnmatch.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/engine.h"
#include "wd_filter.h"

static bool glob_any(const struct wd_globs *g, const char *s)
{
	if (!g->n)
		return true;
	if (!s)
		return false;
	for (size_t i = 0; i < g->n; i++)
		if (!fnmatch(g->v[i], s, 0))
			return true;
	return false;
}

/* Some pattern of g matches some entry of v[0..n). */
static bool glob_any_of(const struct wd_globs *g, const char *const *v, size_t n)
{
	if (!g->n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (v && v[i] && glob_any(g, v[i]))
			return true;
	return false;
}

/* "key=value-glob" against the labels: the key exactly, the value as a glob. */
static bool label_any(const struct wd_globs *g, const struct wd_rule_subject *s)
{
	if (!g->n)
		return true;
	for (size_t i = 0; i < g->n; i++) {
		const char *eq = strchr(g->v[i], '=');
		size_t klen = (size_t)(eq - g->v[i]);

		for (size_t j = 0; j < s->nlabels; j++) {
			const char *k = s->label_keys[j], *v = s->label_values[j];

			if (k && v && strlen(k) == klen && !memcmp(k, g->v[i], klen) &&
			    !fnmatch(eq + 1, v, 0))
				return true;
		}
	}
	return false;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int whole = bits / 8, rest = bits % 8;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	if (memcmp(a, b, whole))
		return false;
	return !rest || ((a[whole] ^ b[whole]) & mask) == 0;
}

static bool net_any(const struct wd_rule_def *d, const struct wd_rule_subject *s)
{
	int family = s->family;
	const uint8_t *addr = s->addr;

	if (!d->nnets)
		return true;
	if (family == AF_INET6 && wd_is_v4mapped(addr)) {
		family = AF_INET;
		addr += 12;
	}
	for (size_t i = 0; i < d->nnets; i++)
		if (d->nets[i].family == family &&
		    prefix_eq(d->nets[i].addr, addr, d->nets[i].prefixlen))
			return true;
	return false;
}

static bool port_any(const struct wd_rule_def *d, const struct wd_rule_subject *s)
{
	if (!d->nports)
		return true;
	for (size_t i = 0; i < d->nports; i++)
		if (s->port >= d->ports[i].lo && s->port <= d->ports[i].hi)
			return true;
	return false;
}

static bool uid_any(const struct wd_rule_def *d, const struct wd_rule_subject *s)
{
	if (!d->nuids)
		return true;
	for (size_t i = 0; i < d->nuids; i++)
		if (s->uid != WD_UID_NONE && d->uids[i] == s->uid)
			return true;
	return false;
}

/* The keys fixed from exec on: exe, cmdline, the original ancestry. */
static bool process_keys_match(const struct wd_rule_def *d, const struct wd_rule_subject *s)
{
	return glob_any(&d->exe, s->exe) && glob_any(&d->cmdline, s->cmdline) &&
	       glob_any_of(&d->ancestor_exe, s->anc_exe, s->nanc) &&
	       glob_any_of(&d->ancestor_cmdline, s->anc_cmdline, s->nanc);
}

bool wd_rule_matches(const struct wd_rule_def *d, const struct wd_rule_subject *s)
{
	if (d->probes && (s->probe < 0 || s->probe >= 32 || !(d->probes & (1u << s->probe))))
		return false;
	if (!process_keys_match(d, s) || !glob_any(&d->comm, s->comm) ||
	    !glob_any(&d->user, s->user) || !uid_any(d, s))
		return false;
	if ((d->nnets || d->nports) && !s->family)
		return false;
	if (!net_any(d, s) || !port_any(d, s))
		return false;
	return glob_any(&d->container_name, s->container_name) &&
	       glob_any(&d->container_image, s->container_image) &&
	       label_any(&d->container_label, s);
}

bool wd_rules_eval(const struct wd_rules *rs, const struct wd_rule_subject *s,
		   struct wd_rule_verdict *v)
{
	v->drop = -1;
	v->ntags = 0;
	for (size_t i = 0; i < rs->n && i < WD_RULES_MAX; i++) {
		const struct wd_rule_def *d = &rs->v[i];

		if (d->action == WD_RULE_DROP && v->drop >= 0)
			continue;
		if (!wd_rule_matches(d, s))
			continue;
		if (d->action == WD_RULE_DROP)
			v->drop = (int)i;
		else
			v->tags[v->ntags++] = (uint16_t)i;
	}
	return v->drop >= 0;
}

bool wd_rule_process_only(const struct wd_rule_def *d)
{
	return d->action == WD_RULE_DROP && !d->comm.n && !d->user.n && !d->nuids &&
	       !d->nnets && !d->nports && !d->container_image.n &&
	       !d->container_name.n && !d->container_label.n;
}

int wd_rules_process_verdict(const struct wd_rules *rs, const struct wd_rule_subject *s,
			     int probe)
{
	for (size_t i = 0; i < rs->n && i < WD_RULES_MAX; i++) {
		const struct wd_rule_def *d = &rs->v[i];

		if (d->action != WD_RULE_DROP)
			continue;
		if (d->probes && !(d->probes & (1u << probe)))
			continue;
		if (!process_keys_match(d, s))
			continue;
		/* the first drop rule that may match decides, or nobody in the kernel */
		return wd_rule_process_only(d) ? (int)i : -1;
	}
	return -1;
}
