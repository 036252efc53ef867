// SPDX-License-Identifier: GPL-2.0-only
/* The rules section (config/rules.c) and the rule engine (rules/engine.c). */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "config/config.h"
#include "rules/engine.h"
#include "wd_filter.h"
#include "testutil.h"

static struct wd_config cfg;
static char err[WD_ERR_LEN];

static int parse(const char *text)
{
	return tu_parse(&cfg, "r.yaml", text, err, sizeof(err));
}

static void fini(void)
{
	wd_config_free(&cfg);
}

TestSuite(rules, .fini = fini);

static const char *const anc_exe[] = { "/bin/sh", "/usr/sbin/cron", "/sbin/init" };
static const char *const anc_cmd[] = { "/bin/sh -c run-parts /etc/cron.daily",
				       "/usr/sbin/cron -f", "/sbin/init" };

static struct wd_rule_subject subject(void)
{
	struct wd_rule_subject s = {
		.probe = WD_PROBE_TCP_CONNECT,
		.exe = "/opt/puppetlabs/puppet/bin/ruby",
		.cmdline = "/opt/puppetlabs/puppet/bin/ruby /usr/bin/puppet agent --onetime",
		.comm = "ruby",
		.user = "root",
		.uid = 0,
		.anc_exe = anc_exe,
		.anc_cmdline = anc_cmd,
		.nanc = 3,
		.family = AF_INET,
		.port = 8140,
	};

	inet_pton(AF_INET, "10.20.3.4", s.addr);
	return s;
}

static const char *const full_rule =
	"rules:\n"
	"  - name: puppet-agent\n"
	"    action: drop\n"
	"    match:\n"
	"      probe: tcp_connect\n"
	"      exe: /opt/puppetlabs/puppet/bin/ruby\n"
	"      cmdline: \"*puppet agent*\"\n"
	"      comm: ruby\n"
	"      user: root\n"
	"      ancestor_exe: /usr/sbin/cron\n"
	"      ancestor_cmdline: \"*run-parts*\"\n"
	"      network: 10.20.0.0/16\n"
	"      port: [8140, \"9000-9100\"]\n"
	"  - name: ci\n"
	"    action: tag\n"
	"    match: {uid: [1000, 0], network: \"::ffff:10.0.0.0/104\"}\n";

Test(rules, parse_full_rule)
{
	const struct wd_rule_def *d;

	cr_assert_eq(parse(full_rule), 0, "%s", err);
	cr_assert_eq(cfg.rules.n, 2);
	d = &cfg.rules.v[0];
	cr_assert_str_eq(d->name, "puppet-agent");
	cr_assert_eq(d->action, WD_RULE_DROP);
	cr_assert_eq(d->probes, 1u << WD_PROBE_TCP_CONNECT);
	cr_assert_eq(d->exe.n, 1);
	cr_assert_eq(d->nports, 2);
	cr_assert_eq(d->ports[1].lo, 9000);
	cr_assert_eq(d->ports[1].hi, 9100);
	cr_assert_eq(d->nnets, 1);
	cr_assert_eq(d->nets[0].prefixlen, 16);
	cr_assert_eq(d->line, 2);
	d = &cfg.rules.v[1];
	cr_assert_eq(d->action, WD_RULE_TAG);
	cr_assert_eq(d->nuids, 2);
	/* a v4-mapped network is the IPv4 network it is */
	cr_assert_eq(d->nets[0].family, AF_INET);
	cr_assert_eq(d->nets[0].prefixlen, 8);
	cr_assert_eq(cfg.repeat_window, 60);
	cr_assert_eq(cfg.repeat_burst, 100);
}

static void bad(const char *text, const char *want)
{
	cr_assert_neq(parse(text), 0, "accepted: %s", text);
	cr_assert(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

Test(rules, errors_name_the_place)
{
	bad("rules:\n  - action: drop\n    match: {exe: /x}\n", "r.yaml:2:5: rule has no 'name'");
	bad("rules:\n  - {name: a, action: drop, match: {exe: /x}}\n"
	    "  - {name: a, action: tag, match: {exe: /y}}\n",
	    "r.yaml:3:12: rule name 'a' is already used by the rule on line 2");
	bad("rules:\n  - {name: a, action: block, match: {exe: /x}}\n",
	    "r.yaml:2:23: action must be drop or tag");
	bad("rules:\n  - {name: a, action: drop}\n", "rule 'a' has no 'match'");
	bad("rules:\n  - {name: a, action: drop, match: {exe: /x, portt: 80}}\n",
	    "r.yaml:2:46: unknown key 'portt' in a rule's match (did you mean 'port'?)");
	bad("rules:\n  - {name: a, action: drop, match: {port: 70000}}\n",
	    "port 70000 is out of range");
	bad("rules:\n  - {name: a, action: drop, match: {port: \"90-80\"}}\n",
	    "range 90-80 is backwards");
	bad("rules:\n  - {name: a, action: drop, match: {network: 10.0.0.0/33}}\n",
	    "prefix length must be 0-32");
	bad("rules:\n  - {name: a, action: drop, match: {network: [bogus]}}\n",
	    "r.yaml:2:47: network 'bogus' is not an IPv4 or IPv6 address");
	bad("rules:\n  - {name: a, action: drop, match: {probe: dns}}\n",
	    "probe 'dns' is not tcp_connect");
	bad("rules:\n  - {name: a, action: drop, match: {uid: root}}\n",
	    "uid must be a number");
	bad("rules:\n  - {name: a, action: drop, match: {container_label: foo}}\n",
	    "must be \"key=value\"");
	bad("rules:\n  - {name: a, action: drop, match: {exe: []}}\n",
	    "an empty list matches nothing");
	bad("rules: {name: a}\n", "rules must be a list");
	bad("agent: {repeat_limit: {window: 10, brust: 5}}\n",
	    "unknown key 'brust' in agent.repeat_limit (did you mean 'burst'?)");
	bad("agent: {repeat_limit: {burst: 0}}\n", "burst must be 1 to");
}

Test(rules, repeat_limit)
{
	cr_assert_eq(parse("agent: {repeat_limit: {window: 0}}\n"), 0, "%s", err);
	cr_assert_eq(cfg.repeat_window, 0);
	cr_assert_eq(parse("agent: {repeat_limit: {window: 5, burst: 7}}\n"), 0, "%s", err);
	cr_assert_eq(cfg.repeat_window, 5);
	cr_assert_eq(cfg.repeat_burst, 7);
}

Test(rules, every_key_must_match)
{
	struct wd_rule_subject s = subject();
	struct wd_rule_verdict v;

	cr_assert_eq(parse(full_rule), 0, "%s", err);
	cr_assert(wd_rules_eval(&cfg.rules, &s, &v));
	cr_assert_eq(v.drop, 0);
	cr_assert_eq(v.ntags, 1); /* uid 0 in 10/8: tagged too */
	cr_assert_eq(v.tags[0], 1);

	s.port = 9050; /* in the range */
	cr_assert(wd_rule_matches(&cfg.rules.v[0], &s));
	s.port = 443;
	cr_assert(!wd_rule_matches(&cfg.rules.v[0], &s));
	s = subject();
	s.probe = WD_PROBE_NET_LISTEN;
	cr_assert(!wd_rule_matches(&cfg.rules.v[0], &s));
	s = subject();
	inet_pton(AF_INET, "10.21.0.1", s.addr);
	cr_assert(!wd_rule_matches(&cfg.rules.v[0], &s));
	s = subject();
	s.nanc = 1; /* cron no longer an ancestor */
	cr_assert(!wd_rule_matches(&cfg.rules.v[0], &s));
	s = subject();
	s.exe = NULL; /* unknown matches no pattern */
	cr_assert(!wd_rule_matches(&cfg.rules.v[0], &s));
	s = subject();
	s.uid = 33;
	cr_assert(!wd_rule_matches(&cfg.rules.v[1], &s));
}

Test(rules, v4_mapped_destination_and_ipv6)
{
	struct wd_rule_subject s = subject();

	cr_assert_eq(parse("rules:\n  - {name: a, action: tag, match: {network: 10.0.0.0/8}}\n"
			   "  - {name: b, action: tag, match: {network: \"fd00::/8\"}}\n"),
		     0, "%s", err);
	s.family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.1.2.3", s.addr);
	cr_assert(wd_rule_matches(&cfg.rules.v[0], &s));
	inet_pton(AF_INET6, "fd12::1", s.addr);
	cr_assert(!wd_rule_matches(&cfg.rules.v[0], &s));
	cr_assert(wd_rule_matches(&cfg.rules.v[1], &s));
	s.family = 0; /* no destination: a network key cannot match */
	cr_assert(!wd_rule_matches(&cfg.rules.v[1], &s));
}

Test(rules, container_matchers)
{
	static const char *const keys[] = { "team", "ci.job" };
	static const char *const vals[] = { "infra", "build-42" };
	struct wd_rule_subject s = subject();

	cr_assert_eq(parse("rules:\n  - name: ci\n    action: tag\n    match:\n"
			   "      container_image: \"registry.local/ci/*\"\n"
			   "      container_name: [\"runner-*\", builder]\n"
			   "      container_label: \"ci.job=build-*\"\n"),
		     0, "%s", err);
	cr_assert(!wd_rule_matches(&cfg.rules.v[0], &s)); /* no container */
	s.container_image = "registry.local/ci/runner:1.2";
	s.container_name = "runner-7";
	s.label_keys = keys;
	s.label_values = vals;
	s.nlabels = 2;
	cr_assert(wd_rule_matches(&cfg.rules.v[0], &s));
	s.container_name = "web";
	cr_assert(!wd_rule_matches(&cfg.rules.v[0], &s));
	s.container_name = "builder";
	s.nlabels = 1; /* only team=infra */
	cr_assert(!wd_rule_matches(&cfg.rules.v[0], &s));
}

Test(rules, first_drop_rule_wins_every_tag_listed)
{
	struct wd_rule_subject s = subject();
	struct wd_rule_verdict v;

	cr_assert_eq(parse("rules:\n"
			   "  - {name: t1, action: tag, match: {comm: ruby}}\n"
			   "  - {name: d1, action: drop, match: {port: 8140}}\n"
			   "  - {name: d2, action: drop, match: {comm: \"r*\"}}\n"
			   "  - {name: t2, action: tag, match: {user: root}}\n"),
		     0, "%s", err);
	cr_assert(wd_rules_eval(&cfg.rules, &s, &v));
	cr_assert_eq(v.drop, 1);
	cr_assert_eq(v.ntags, 2);
	cr_assert_eq(v.tags[1], 3);
	s.comm = "python3";
	s.port = 80;
	cr_assert(!wd_rules_eval(&cfg.rules, &s, &v));
	cr_assert_eq(v.ntags, 1);
}

Test(rules, process_verdict_only_when_the_rule_decides_alone)
{
	struct wd_rule_subject s = subject();

	cr_assert_eq(parse("rules:\n"
			   "  - {name: web, action: drop, match: {exe: /usr/bin/curl, port: 80}}\n"
			   "  - {name: pup, action: drop, match: {probe: tcp_connect,\n"
			   "       exe: \"*/ruby\", ancestor_cmdline: \"*cron*\"}}\n"
			   "  - {name: tag, action: tag, match: {exe: \"*\"}}\n"),
		     0, "%s", err);
	cr_assert(!wd_rule_process_only(&cfg.rules.v[0]));
	cr_assert(wd_rule_process_only(&cfg.rules.v[1]));
	cr_assert(!wd_rule_process_only(&cfg.rules.v[2]));
	cr_assert_eq(wd_rules_process_verdict(&cfg.rules, &s, WD_PROBE_TCP_CONNECT), 1);
	cr_assert_eq(wd_rules_process_verdict(&cfg.rules, &s, WD_PROBE_NET_LISTEN), -1);
	/* curl: the first drop rule that may match depends on the port */
	s.exe = "/usr/bin/curl";
	cr_assert_eq(wd_rules_process_verdict(&cfg.rules, &s, WD_PROBE_TCP_CONNECT), -1);
}

Test(rules, check_config_prints_rules)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	cr_assert_eq(parse(full_rule), 0, "%s", err);
	wd_rules_print(&cfg.rules, f, true);
	fclose(f);
	cr_assert(strstr(out, "rules: 2"), "%s", out);
	cr_assert(strstr(out, "  puppet-agent: drop if probe=tcp_connect "
			      "exe=\"/opt/puppetlabs/puppet/bin/ruby\""), "%s", out);
	cr_assert(strstr(out, "network=10.20.0.0/16 port=8140|9000-9100  (line 2)"), "%s", out);
	cr_assert(strstr(out, "  ci: tag if uid=1000|0 network=10.0.0.0/8"), "%s", out);
	free(out);
}
