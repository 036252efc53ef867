// SPDX-License-Identifier: GPL-2.0-only
/*
 * The top-level `rules` list -> struct wd_rules (config/rules.h): each rule
 * a name (unique), an action (drop | tag) and a `match` mapping whose keys
 * all must match; a list value matches if any item does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "config/network.h"
#include "config/schema.h"
#include "util/strings.h"
#include "wd_filter.h"

static void globs_free(struct wd_globs *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i]);
	free(g->v);
	*g = (struct wd_globs){ 0 };
}

static void rule_free(struct wd_rule_def *d)
{
	free(d->name);
	globs_free(&d->exe);
	globs_free(&d->cmdline);
	globs_free(&d->comm);
	globs_free(&d->user);
	globs_free(&d->ancestor_exe);
	globs_free(&d->ancestor_cmdline);
	globs_free(&d->container_image);
	globs_free(&d->container_name);
	globs_free(&d->container_label);
	free(d->uids);
	free(d->nets);
	free(d->ports);
}

void wd_rules_free(struct wd_rules *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		rule_free(&rs->v[i]);
	free(rs->v);
	*rs = (struct wd_rules){ 0 };
}

/* ---- match values: a scalar, or a list of scalars ----------------------- */

struct match_arg {
	struct wd_rule_def *d;
	const char *key;
};

typedef int (*value_fn)(struct wd_reader *r, yaml_node_t *v, struct match_arg *m);

static int grow(void **v, size_t n, size_t size)
{
	void *p = realloc(*v, (n + 1) * size);

	if (!p)
		return -ENOMEM;
	*v = p;
	return 0;
}

static struct wd_globs *globs_of(struct wd_rule_def *d, const char *key)
{
	static const struct { const char *key; size_t off; } map[] = {
		{ "exe", offsetof(struct wd_rule_def, exe) },
		{ "cmdline", offsetof(struct wd_rule_def, cmdline) },
		{ "comm", offsetof(struct wd_rule_def, comm) },
		{ "user", offsetof(struct wd_rule_def, user) },
		{ "ancestor_exe", offsetof(struct wd_rule_def, ancestor_exe) },
		{ "ancestor_cmdline", offsetof(struct wd_rule_def, ancestor_cmdline) },
		{ "container_image", offsetof(struct wd_rule_def, container_image) },
		{ "container_name", offsetof(struct wd_rule_def, container_name) },
		{ "container_label", offsetof(struct wd_rule_def, container_label) },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].key, key))
			return (struct wd_globs *)((char *)d + map[i].off);
	return NULL;
}

static int glob_value(struct wd_reader *r, yaml_node_t *v, struct match_arg *m)
{
	struct wd_globs *g = globs_of(m->d, m->key);
	const char *s = wd_rd_scalar(v);

	if (!s || !*s)
		return wd_rd_fail(r, v, "%s must be a non-empty string (a glob such as "
					"\"/usr/bin/*\") or a list of them", m->key);
	if (!strcmp(m->key, "container_label") && !strchr(s, '='))
		return wd_rd_fail(r, v, "container_label '%s' must be \"key=value\" (the "
					"value may be a glob)", s);
	if (grow((void **)&g->v, g->n, sizeof(*g->v)))
		return -ENOMEM;
	g->v[g->n] = NULL;
	if (wd_set_str(&g->v[g->n], s))
		return -ENOMEM;
	g->n++;
	return 0;
}

static int probe_value(struct wd_reader *r, yaml_node_t *v, struct match_arg *m)
{
	static const char *const names[] = {
		[WD_PROBE_TCP_CONNECT] = "tcp_connect",
		[WD_PROBE_NET_LISTEN] = "net_listen",
		[WD_PROBE_UDP_SESSION] = "udp_session",
	};
	const char *s = wd_rd_scalar(v);

	for (int i = 0; s && i < (int)(sizeof(names) / sizeof(names[0])); i++) {
		if (names[i] && !strcmp(s, names[i])) {
			m->d->probes |= 1u << i;
			return 0;
		}
	}
	return wd_rd_fail(r, v, "probe '%s' is not tcp_connect, net_listen or udp_session",
			  s ? s : "(not a string)");
}

static int uid_value(struct wd_reader *r, yaml_node_t *v, struct match_arg *m)
{
	struct wd_rule_def *d = m->d;
	uint32_t uid;
	int err;

	err = wd_rd_get_u32(r, v, 0, 4294967294u, "uid must be a number (0-4294967294)",
			    &uid);
	if (err)
		return err;
	if (grow((void **)&d->uids, d->nuids, sizeof(*d->uids)))
		return -ENOMEM;
	d->uids[d->nuids++] = uid;
	return 0;
}

static int net_value(struct wd_reader *r, yaml_node_t *v, struct match_arg *m)
{
	struct wd_rule_def *d = m->d;
	struct wd_net_filter f = { 0 };
	const char *s = wd_rd_scalar(v);
	bool cidr;
	int err;

	if (!s || !*s)
		return wd_rd_fail(r, v, "network must be an address or a network such as "
					"10.0.0.0/8 or fd00::/8");
	err = wd_net_parse(s, &f, &cidr);
	if (err == -ERANGE)
		return wd_rd_fail(r, v, "network '%s': prefix length must be 0-%d", s,
				  f.family == AF_INET ? 32 : 128);
	if (err)
		return wd_rd_fail(r, v, "network '%s' is not an IPv4 or IPv6 address", s);
	wd_net_unmap_v4(&f);
	if (wd_net_clear_host_bits(&f))
		wd_rd_warn(r, v, "network %s has host bits set beyond /%u; they are ignored",
			   s, f.prefixlen);
	if (grow((void **)&d->nets, d->nnets, sizeof(*d->nets)))
		return -ENOMEM;
	d->nets[d->nnets].family = f.family;
	memcpy(d->nets[d->nnets].addr, f.addr, 16);
	d->nets[d->nnets++].prefixlen = f.prefixlen;
	return 0;
}

static int port_value(struct wd_reader *r, yaml_node_t *v, struct match_arg *m)
{
	struct wd_rule_def *d = m->d;

	if (grow((void **)&d->ports, d->nports, sizeof(*d->ports)))
		return -ENOMEM;
	if (wd_rd_get_port(r, v, "port", &d->ports[d->nports]))
		return -EINVAL;
	d->nports++;
	return 0;
}

static const struct {
	const char *key;
	value_fn fn;
} match_keys[] = {
	{ "probe", probe_value },
	{ "exe", glob_value },
	{ "cmdline", glob_value },
	{ "comm", glob_value },
	{ "user", glob_value },
	{ "uid", uid_value },
	{ "ancestor_exe", glob_value },
	{ "ancestor_cmdline", glob_value },
	{ "container_image", glob_value },
	{ "container_name", glob_value },
	{ "container_label", glob_value },
	{ "network", net_value },
	{ "port", port_value },
};

#define NMATCH (sizeof(match_keys) / sizeof(match_keys[0]))

struct match_state {
	struct wd_rule_def *d;
	size_t nkeys;
	value_fn fn;
	const char *key;
};

static int match_item(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct match_state *st = arg;
	struct match_arg m = { st->d, st->key };

	if (n->type != YAML_SCALAR_NODE)
		return wd_rd_fail(r, n, "%s: a list item must be a single value", st->key);
	return st->fn(r, n, &m);
}

static int match_pair(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	static const char *known[NMATCH + 1];
	struct match_state *st = arg;
	const char *key = wd_rd_scalar(k);

	for (size_t i = 0; i < NMATCH; i++)
		known[i] = match_keys[i].key;
	for (size_t i = 0; i < NMATCH; i++) {
		if (strcmp(key, match_keys[i].key))
			continue;
		st->fn = match_keys[i].fn;
		st->key = match_keys[i].key;
		st->nkeys++;
		if (v->type == YAML_SEQUENCE_NODE) {
			if (v->data.sequence.items.top == v->data.sequence.items.start)
				return wd_rd_fail(r, v, "%s: an empty list matches nothing",
						  key);
			return wd_rd_each_item(r, v, match_item, st);
		}
		return match_item(r, v, st);
	}
	return wd_rd_unknown_key(r, k, "a rule's match", known);
}

/* ---- one rule ----------------------------------------------------------- */

struct rule_state {
	struct wd_rules *rs;
	struct wd_rule_def *d;
	yaml_node_t *name, *action, *match;
};

static int rule_pair(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	static const char *const known[] = { "name", "action", "match", "description",
					     NULL };
	struct rule_state *st = arg;
	const char *key = wd_rd_scalar(k);

	if (!strcmp(key, "name"))
		st->name = v;
	else if (!strcmp(key, "action"))
		st->action = v;
	else if (!strcmp(key, "match"))
		st->match = v;
	else if (strcmp(key, "description"))
		return wd_rd_unknown_key(r, k, "a rule", known);
	return 0;
}

static int rule_name(struct wd_reader *r, struct rule_state *st, yaml_node_t *n)
{
	const char *s = wd_rd_scalar(st->name);

	if (!st->name)
		return wd_rd_fail(r, n, "rule has no 'name'");
	if (!s || !*s || strlen(s) > WD_RULE_NAME_MAX)
		return wd_rd_fail(r, st->name, "a rule's name must be 1 to %d characters",
				  WD_RULE_NAME_MAX);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\')
			return wd_rd_fail(r, st->name, "rule name '%s': no quotes, "
						       "backslashes or control characters", s);
	for (size_t i = 0; i + 1 < st->rs->n; i++)
		if (!strcmp(st->rs->v[i].name, s))
			return wd_rd_fail(r, st->name, "rule name '%s' is already used by "
						       "the rule on line %zu", s,
					  st->rs->v[i].line);
	return wd_set_str(&st->d->name, s);
}

static int one_rule(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct rule_state st = { .rs = arg };
	struct match_state ms = { 0 };
	const char *a;
	int err;

	st.d = &st.rs->v[st.rs->n - 1];
	if (n->type != YAML_MAPPING_NODE)
		return wd_rd_fail(r, n, "a rule must be a mapping with name, action and match");
	st.d->line = wd_rd_line(n);
	err = wd_rd_each_pair(r, n, "a rule", rule_pair, &st);
	if (!err)
		err = rule_name(r, &st, n);
	if (err)
		return err;
	a = wd_rd_scalar(st.action);
	if (!st.action)
		return wd_rd_fail(r, n, "rule '%s' has no 'action' (drop or tag)", st.d->name);
	if (!a || (strcmp(a, "drop") && strcmp(a, "tag")))
		return wd_rd_fail(r, st.action, "action must be drop or tag");
	st.d->action = a[0] == 'd' ? WD_RULE_DROP : WD_RULE_TAG;
	if (!st.match || wd_rd_is_null(st.match))
		return wd_rd_fail(r, st.match ? st.match : n, "rule '%s' has no 'match' "
				  "(a rule matches on at least one key)", st.d->name);
	ms.d = st.d;
	err = wd_rd_each_pair(r, st.match, "match", match_pair, &ms);
	if (!err && !ms.nkeys)
		return wd_rd_fail(r, st.match, "rule '%s': match has no key", st.d->name);
	return err;
}

static int rule_item(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct wd_rules *rs = arg;

	if (rs->n >= WD_RULES_MAX)
		return wd_rd_fail(r, n, "more than %d rules", WD_RULES_MAX);
	rs->v[rs->n++] = (struct wd_rule_def){ 0 };
	return wd_rd_include(r, n, one_rule, rs);
}

static int rule_list(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct wd_rules *rs = arg;
	size_t cnt;
	void *p;

	if (n->type != YAML_SEQUENCE_NODE)
		return wd_rd_fail(r, n, "rules must be a list of rules");
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > WD_RULES_MAX)
		cnt = WD_RULES_MAX;
	p = realloc(rs->v, (rs->n + cnt + 1) * sizeof(*rs->v));
	if (!p)
		return -ENOMEM;
	rs->v = p;
	return wd_rd_each_item(r, n, rule_item, rs);
}

int wd_schema_rules(struct wd_reader *r, yaml_node_t *n, void *cfg)
{
	struct wd_config *c = cfg;

	if (wd_rd_is_null(n))
		return 0;
	wd_rules_free(&c->rules);
	return rule_list(r, n, &c->rules);
}

/* ---- --check-config ----------------------------------------------------- */

static void print_globs(FILE *f, const char *key, const struct wd_globs *g)
{
	if (!g->n)
		return;
	fprintf(f, " %s=", key);
	for (size_t i = 0; i < g->n; i++)
		fprintf(f, "%s\"%s\"", i ? "|" : "", g->v[i]);
}

static void print_rule(FILE *f, const struct wd_rule_def *d, bool lines)
{
	static const char *const probes[] = { "tcp_connect", "net_listen", "udp_session" };
	char a[INET6_ADDRSTRLEN];

	fprintf(f, "  %s: %s if", d->name, d->action == WD_RULE_DROP ? "drop" : "tag");
	for (int i = 0; i < (int)(sizeof(probes) / sizeof(probes[0])); i++)
		if (d->probes & (1u << i))
			fprintf(f, " probe=%s", probes[i]);
	print_globs(f, "exe", &d->exe);
	print_globs(f, "cmdline", &d->cmdline);
	print_globs(f, "comm", &d->comm);
	print_globs(f, "user", &d->user);
	for (size_t i = 0; i < d->nuids; i++)
		fprintf(f, "%s%u", i ? "|" : " uid=", d->uids[i]);
	print_globs(f, "ancestor_exe", &d->ancestor_exe);
	print_globs(f, "ancestor_cmdline", &d->ancestor_cmdline);
	print_globs(f, "container_image", &d->container_image);
	print_globs(f, "container_name", &d->container_name);
	print_globs(f, "container_label", &d->container_label);
	for (size_t i = 0; i < d->nnets; i++) {
		inet_ntop(d->nets[i].family, d->nets[i].addr, a, sizeof(a));
		fprintf(f, "%s%s/%u", i ? "|" : " network=", a, d->nets[i].prefixlen);
	}
	for (size_t i = 0; i < d->nports; i++)
		fprintf(f, d->ports[i].lo == d->ports[i].hi ? "%s%u" : "%s%u-%u",
			i ? "|" : " port=", d->ports[i].lo, d->ports[i].hi);
	if (lines)
		fprintf(f, "  (line %zu)", d->line);
	fputc('\n', f);
}

void wd_rules_print(const struct wd_rules *rs, FILE *f, bool lines)
{
	fprintf(f, "rules: %zu (all keys of a rule must match; a|b: either)\n", rs->n);
	for (size_t i = 0; i < rs->n; i++)
		print_rule(f, &rs->v[i], lines);
}

/* The rules as --check-config prints them, without lines: malloc'd or NULL. */
static char *rules_text(const struct wd_rules *rs)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	wd_rules_print(rs, f, false);
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

bool wd_rules_same(const struct wd_rules *a, const struct wd_rules *b)
{
	char *ta = rules_text(a), *tb = rules_text(b);
	bool same = ta && tb && !strcmp(ta, tb);

	free(ta);
	free(tb);
	return same;
}
