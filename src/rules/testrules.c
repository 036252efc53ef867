// SPDX-License-Identifier: GPL-2.0-only
/* --test-rules (rules/testrules.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>

#include "rules/engine.h"
#include "rules/jsonread.h"
#include "rules/testrules.h"
#include "wd_filter.h"

#define MAX_ANC 1024
#define MAX_LABELS 256

struct tally {
	size_t events, dropped, tagged, passed, malformed, skipped;
	size_t per_rule[WD_RULES_MAX];
};

/* Scratch of one event's subject. */
struct subj {
	struct wd_rule_subject s;
	const char *anc_exe[MAX_ANC], *anc_cmd[MAX_ANC];
	const char *lkeys[MAX_LABELS], *lvals[MAX_LABELS];
};

static const struct wd_jr_node *child(const struct wd_jr_doc *d, const struct wd_jr_node *n)
{
	return n && n->child >= 0 ? &d->v[n->child] : NULL;
}

static const struct wd_jr_node *next(const struct wd_jr_doc *d, const struct wd_jr_node *n)
{
	return n->next >= 0 ? &d->v[n->next] : NULL;
}

static int probe_id(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "tcp_connect"))
		return WD_PROBE_TCP_CONNECT;
	if (!strcmp(s, "net_listen"))
		return WD_PROBE_NET_LISTEN;
	return !strcmp(s, "udp_session") ? WD_PROBE_UDP_SESSION : -1;
}

static void fill_tree(const struct wd_jr_doc *d, const struct wd_jr_node *ev, struct subj *x)
{
	const struct wd_jr_node *tree = wd_jr_get(d, ev, "proctree"), *n;
	size_t i = 0;

	if (!tree || tree->type != WD_JR_ARR)
		return;
	n = child(d, tree);
	if (n) {
		x->s.exe = wd_jr_str(d, n, "exe");
		x->s.cmdline = wd_jr_str(d, n, "cmdline");
		n = next(d, n);
	}
	for (; n && i < MAX_ANC; n = next(d, n), i++) {
		x->anc_exe[i] = wd_jr_str(d, n, "exe");
		x->anc_cmd[i] = wd_jr_str(d, n, "cmdline");
	}
	x->s.anc_exe = x->anc_exe;
	x->s.anc_cmdline = x->anc_cmd;
	x->s.nanc = i;
}

static void fill_container(const struct wd_jr_doc *d, const struct wd_jr_node *ev,
			   struct subj *x)
{
	const struct wd_jr_node *c = wd_jr_get(d, ev, "container"), *l;
	size_t i = 0;

	if (!c || c->type != WD_JR_OBJ)
		return;
	x->s.container_name = wd_jr_str(d, c, "name");
	x->s.container_image = wd_jr_str(d, c, "image");
	l = wd_jr_get(d, c, "labels");
	for (l = l && l->type == WD_JR_OBJ ? child(d, l) : NULL; l && i < MAX_LABELS;
	     l = next(d, l)) {
		if (l->type != WD_JR_STR)
			continue;
		x->lkeys[i] = l->key;
		x->lvals[i++] = l->str;
	}
	x->s.label_keys = x->lkeys;
	x->s.label_values = x->lvals;
	x->s.nlabels = i;
}

/* The destination (or local address) of n: its "daddr"/"laddr" and "port". */
static void fill_dest(const struct wd_jr_doc *d, const struct wd_jr_node *n, const char *key,
		      struct wd_rule_subject *s)
{
	const struct wd_jr_node *port = wd_jr_get(d, n, "port");
	const char *a = wd_jr_str(d, n, key);

	s->family = 0;
	if (a && inet_pton(AF_INET, a, s->addr) == 1)
		s->family = AF_INET;
	else if (a && inet_pton(AF_INET6, a, s->addr) == 1)
		s->family = AF_INET6;
	s->port = port && port->type == WD_JR_NUM && port->num >= 0 && port->num <= 65535 ?
			  (uint16_t)port->num : 0;
}

/* Fill x from event ev: 0, or -EINVAL if it is not an event of a probe. */
static int fill(const struct wd_jr_doc *d, const struct wd_jr_node *ev, struct subj *x)
{
	const struct wd_jr_node *uid = wd_jr_get(d, ev, "uid");

	memset(&x->s, 0, sizeof(x->s));
	x->s.probe = probe_id(wd_jr_str(d, ev, "probe"));
	if (x->s.probe < 0)
		return -EINVAL;
	x->s.comm = wd_jr_str(d, ev, "comm");
	x->s.user = wd_jr_str(d, ev, "username");
	x->s.uid = uid && uid->type == WD_JR_NUM && uid->num >= 0 && uid->num < 4294967295.0 ?
			   (uint32_t)uid->num : WD_UID_NONE;
	fill_tree(d, ev, x);
	fill_container(d, ev, x);
	if (x->s.probe == WD_PROBE_NET_LISTEN)
		fill_dest(d, ev, "laddr", &x->s);
	else if (x->s.probe == WD_PROBE_TCP_CONNECT)
		fill_dest(d, ev, "daddr", &x->s);
	return 0;
}

/* udp_session: dropped when each destination is; tags of every one. */
static bool judge(const struct wd_config *cfg, const struct wd_jr_doc *d,
		  const struct wd_jr_node *ev, struct subj *x, struct wd_rule_verdict *v)
{
	const struct wd_jr_node *dests = wd_jr_get(d, ev, "destinations"), *n;
	struct wd_rule_verdict one;
	bool all = true, any = false;

	if (x->s.probe != WD_PROBE_UDP_SESSION || !dests || dests->type != WD_JR_ARR)
		return wd_rules_eval(&cfg->rules, &x->s, v);
	v->drop = -1;
	v->ntags = 0;
	for (n = child(d, dests); n; n = next(d, n)) {
		fill_dest(d, n, "daddr", &x->s);
		any = true;
		if (wd_rules_eval(&cfg->rules, &x->s, &one))
			v->drop = v->drop < 0 ? one.drop : v->drop;
		else
			all = false;
		for (size_t i = 0; i < one.ntags; i++) {
			size_t j = 0;

			while (j < v->ntags && v->tags[j] != one.tags[i])
				j++;
			if (j == v->ntags)
				v->tags[v->ntags++] = one.tags[i];
		}
	}
	if (!any || !all)
		v->drop = -1;
	return v->drop >= 0;
}

static void report(const struct wd_config *cfg, FILE *out, size_t lineno,
		   const struct subj *x, const struct wd_rule_verdict *v, struct tally *t)
{
	const char *sep = "";

	t->events++;
	if (v->drop >= 0) {
		t->dropped++;
		t->per_rule[v->drop]++;
		fprintf(out, "line %zu: drop by %s", lineno, cfg->rules.v[v->drop].name);
		sep = "; also tag ";
	} else if (v->ntags) {
		t->tagged++;
		fprintf(out, "line %zu: tag", lineno);
		sep = " ";
	} else {
		t->passed++;
		fprintf(out, "line %zu: pass", lineno);
	}
	for (size_t i = 0; i < v->ntags; i++) {
		fprintf(out, "%s%s", i ? "," : sep, cfg->rules.v[v->tags[i]].name);
		if (v->drop < 0)
			t->per_rule[v->tags[i]]++;
	}
	fprintf(out, "  (exe %s)\n", x->s.exe ? x->s.exe : "?");
}

static void one_line(const struct wd_config *cfg, char *line, size_t len, size_t lineno,
		     FILE *out, struct tally *t, struct subj *x)
{
	struct wd_jr_doc d;
	struct wd_rule_verdict v;
	char err[128];
	const char *probe;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (!len)
		return;
	if (wd_jr_parse(&d, line, len, err, sizeof(err))) {
		t->malformed++;
		fprintf(out, "line %zu: not JSON: %s\n", lineno, err);
	} else if ((probe = wd_jr_str(&d, &d.v[0], "probe")) && !strcmp(probe, "agent")) {
		t->skipped++;
	} else if (fill(&d, &d.v[0], x)) {
		t->malformed++;
		fprintf(out, "line %zu: not an event (no tcp_connect, net_listen or "
			"udp_session \"probe\")\n", lineno);
	} else {
		judge(cfg, &d, &d.v[0], x, &v);
		report(cfg, out, lineno, x, &v, t);
	}
	wd_jr_free(&d);
}

static void summary(const struct wd_config *cfg, FILE *out, const struct tally *t)
{
	fprintf(out, "summary: %zu events: %zu dropped, %zu tagged, %zu passed; %zu "
		"malformed lines, %zu agent records skipped\n", t->events, t->dropped,
		t->tagged, t->passed, t->malformed, t->skipped);
	for (size_t i = 0; i < cfg->rules.n; i++)
		fprintf(out, "rule %s (%s): %zu\n", cfg->rules.v[i].name,
			cfg->rules.v[i].action == WD_RULE_DROP ? "drop" : "tag", t->per_rule[i]);
}

int wd_test_rules(const struct wd_config *cfg, const char *path, FILE *out)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	struct tally t = { 0 };
	struct subj *x;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;

	if (!f) {
		fprintf(stderr, "whodunit: --test-rules %s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	x = calloc(1, sizeof(*x));
	while (x && (n = getline(&line, &cap, f)) >= 0)
		one_line(cfg, line, (size_t)n, ++lineno, out, &t, x);
	if (f != stdin)
		fclose(f);
	free(line);
	if (!x)
		return EX_OSERR;
	free(x);
	summary(cfg, out, &t);
	return t.malformed ? EX_DATAERR : 0;
}
