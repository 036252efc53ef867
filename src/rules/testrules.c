// SPDX-License-Identifier: GPL-2.0-only
/* --test-rules (rules/testrules.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>

#include "rules/engine.h"
#include "rules/testrules.h"
#include "util/json_read.h"
#include "wd_filter.h"

#define MAX_ANC 1024
#define MAX_LABELS 256
#define MAX_BYTES (1u << 20) /* one line */
#define MAX_TOKENS 131072   /* of one line: values and keys */

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

/* The string of member key of object obj, or NULL. */
static const char *str(const struct wd_jr *d, int obj, const char *key)
{
	return wd_jr_str(d, wd_jr_get(d, obj, key));
}

/* The number of member key of object obj, if it is one in [0, max]. */
static bool num(const struct wd_jr *d, int obj, const char *key, double max, double *out)
{
	return wd_jr_num(d, wd_jr_get(d, obj, key), out) && *out >= 0 && *out <= max;
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

static void fill_tree(const struct wd_jr *d, int ev, struct subj *x)
{
	int tree = wd_jr_get(d, ev, "proctree"), n;
	size_t i = 0;

	if (wd_jr_type(d, tree) != WD_JR_ARR)
		return;
	n = wd_jr_first(d, tree);
	if (n >= 0) {
		x->s.exe = str(d, n, "exe");
		x->s.cmdline = str(d, n, "cmdline");
		n = wd_jr_next(d, tree, n);
	}
	for (; n >= 0 && i < MAX_ANC; n = wd_jr_next(d, tree, n), i++) {
		x->anc_exe[i] = str(d, n, "exe");
		x->anc_cmd[i] = str(d, n, "cmdline");
	}
	x->s.anc_exe = x->anc_exe;
	x->s.anc_cmdline = x->anc_cmd;
	x->s.nanc = i;
}

static void fill_container(const struct wd_jr *d, int ev, struct subj *x)
{
	int c = wd_jr_get(d, ev, "container"), labels, l;
	size_t i = 0;

	if (wd_jr_type(d, c) != WD_JR_OBJ)
		return;
	x->s.container_name = str(d, c, "name");
	x->s.container_image = str(d, c, "image");
	labels = wd_jr_get(d, c, "labels");
	l = wd_jr_type(d, labels) == WD_JR_OBJ ? wd_jr_first(d, labels) : -1;
	for (; l >= 0 && i < MAX_LABELS; l = wd_jr_next(d, labels, l)) {
		if (!wd_jr_str(d, l) || !wd_jr_str(d, l + 1)) /* key, value */
			continue;
		x->lkeys[i] = wd_jr_str(d, l);
		x->lvals[i++] = wd_jr_str(d, l + 1);
	}
	x->s.label_keys = x->lkeys;
	x->s.label_values = x->lvals;
	x->s.nlabels = i;
}

/* The destination (or local address) of n: its "daddr"/"laddr" and "port". */
static void fill_dest(const struct wd_jr *d, int n, const char *key, struct wd_rule_subject *s)
{
	const char *a = str(d, n, key);
	double port;

	s->family = 0;
	if (a && inet_pton(AF_INET, a, s->addr) == 1)
		s->family = AF_INET;
	else if (a && inet_pton(AF_INET6, a, s->addr) == 1)
		s->family = AF_INET6;
	s->port = num(d, n, "port", 65535, &port) ? (uint16_t)port : 0;
}

/* Fill x from event ev: 0, or -EINVAL if it is not an event of a probe. */
static int fill(const struct wd_jr *d, int ev, struct subj *x)
{
	double uid;

	memset(&x->s, 0, sizeof(x->s));
	x->s.probe = probe_id(str(d, ev, "probe"));
	if (x->s.probe < 0)
		return -EINVAL;
	x->s.comm = str(d, ev, "comm");
	x->s.user = str(d, ev, "username");
	if (num(d, ev, "uid", 4294967295.0, &uid) && uid < 4294967295.0)
		x->s.uid = (uint32_t)uid;
	else
		x->s.uid = WD_UID_NONE;
	fill_tree(d, ev, x);
	fill_container(d, ev, x);
	if (x->s.probe == WD_PROBE_NET_LISTEN)
		fill_dest(d, ev, "laddr", &x->s);
	else if (x->s.probe == WD_PROBE_TCP_CONNECT)
		fill_dest(d, ev, "daddr", &x->s);
	return 0;
}

/* udp_session: dropped when each destination is; tags of every one. */
static bool judge(const struct wd_config *cfg, const struct wd_jr *d, int ev, struct subj *x,
		  struct wd_rule_verdict *v)
{
	int dests = wd_jr_get(d, ev, "destinations"), n;
	struct wd_rule_verdict one;
	bool all = true, any = false;

	if (x->s.probe != WD_PROBE_UDP_SESSION || wd_jr_type(d, dests) != WD_JR_ARR)
		return wd_rules_eval(&cfg->rules, &x->s, v);
	v->drop = -1;
	v->ntags = 0;
	for (n = wd_jr_first(d, dests); n >= 0; n = wd_jr_next(d, dests, n)) {
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
	struct wd_jr d = { 0 };
	struct wd_rule_verdict v;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (!len)
		return;
	if (len > MAX_BYTES) {
		t->malformed++;
		fprintf(out, "line %zu: not JSON: longer than %u bytes\n", lineno, MAX_BYTES);
	} else if (wd_jr_parse(&d, line, len, MAX_TOKENS, 0)) {
		t->malformed++;
		fprintf(out, "line %zu: not JSON: %s\n", lineno, d.err);
	} else if (wd_jr_streq(&d, wd_jr_get(&d, 0, "probe"), "agent")) {
		t->skipped++;
	} else if (fill(&d, 0, x)) {
		t->malformed++;
		fprintf(out, "line %zu: not an event (no tcp_connect, net_listen or "
			"udp_session \"probe\")\n", lineno);
	} else {
		judge(cfg, &d, 0, x, &v);
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
