// SPDX-License-Identifier: GPL-2.0-only
/*
 * whodunit: which process made this network connection, and why?
 *
 * The command line. Everything else is the agent's (src/agent/agent.h).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "agent/agent.h"
#include "rules/testrules.h"
#include "util/log.h"
#include "util/variant.h"

#ifndef WD_VERSION
#define WD_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: whodunit [OPTION]...\n"
		"Report which process made each outbound TCP connection, with its\n"
		"whole ancestry, as one JSON event per connection.\n"
		"\n"
		"  -c, --config FILE      YAML configuration (default: the embedded one)\n"
		"      --check-config     validate the configuration, print it, exit\n"
		"      --test-rules FILE  judge the events of FILE (JSON lines as whodunit\n"
		"                         writes them; - for stdin) by the config's rules\n"
		"  -o, --output SINK      syslog (default), stdout, or file:PATH\n"
		"      --variant VARIANT  how tcp_connect is attached: auto (default),\n"
		"                         fentry, kprobe or tracepoint (--probe-mode: the\n"
		"                         old name)\n"
		"      --btf FILE         kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
		"  -v, --verbose          more operational logging (twice: libbpf too)\n"
		"      --version          print the version and exit\n"
		"  -h, --help             print this help and exit\n"
		"\n"
		"Examples:\n"
		"  whodunit -o stdout                 events to the terminal\n"
		"  whodunit -c /etc/whodunit/whodunit.yaml\n"
		"  whodunit --check-config -c my.yaml\n"
		"  whodunit --test-rules last-week.jsonl -c my.yaml\n"
		"\n"
		"Exit status: 0 ok, 64 usage, 66 config file unreadable, 69 kernel\n"
		"unsupported, 71 system error, 73 output cannot be opened, 77 missing\n"
		"privileges, 78 bad configuration. SIGHUP reloads the configuration.\n");
}

enum { OPT_CHECK = 256, OPT_VARIANT, OPT_PROBE_MODE, OPT_BTF, OPT_VERSION, OPT_TEST_RULES };

static const char *test_rules; /* --test-rules FILE */

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "test-rules", required_argument, NULL, OPT_TEST_RULES },
	{ "output", required_argument, NULL, 'o' },
	{ "variant", required_argument, NULL, OPT_VARIANT },
	{ "probe-mode", required_argument, NULL, OPT_PROBE_MODE },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* One option; 0, or an exit status. */
static int take_option(int c, struct wd_agent_opts *o, bool *check)
{
	switch (c) {
	case 'c':
		o->config = optarg;
		return 0;
	case 'o':
		o->output = optarg;
		return 0;
	case OPT_CHECK:
		*check = true;
		return 0;
	case OPT_TEST_RULES:
		test_rules = optarg;
		*check = true; /* configured, not started */
		return 0;
	case OPT_VARIANT:
	case OPT_PROBE_MODE:
		if (wd_variant_parse(optarg) < 0) {
			fprintf(stderr, "whodunit: --%s: '%s' is not auto, fentry, kprobe "
					"or tracepoint\n",
				c == OPT_VARIANT ? "variant" : "probe-mode", optarg);
			return EX_USAGE;
		}
		o->variant = optarg;
		return 0;
	case OPT_BTF:
		o->btf = optarg;
		return 0;
	case 'v':
		wd_log_verbosity++;
		return 0;
	case OPT_VERSION:
		printf("whodunit %s\n", WD_VERSION);
		exit(0);
	case 'h':
		usage(stdout);
		exit(0);
	default:
		usage(stderr);
		return EX_USAGE;
	}
}

static int parse_args(int argc, char **argv, struct wd_agent_opts *o, bool *check)
{
	int c, ret;

	while ((c = getopt_long(argc, argv, "c:o:vh", longopts, NULL)) != -1)
		if ((ret = take_option(c, o, check)))
			return ret;
	if (optind < argc) {
		fprintf(stderr, "whodunit: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct wd_agent_opts o = { 0 };
	static struct wd_agent a;
	bool check = false;
	int ret;

	ret = parse_args(argc, argv, &o, &check);
	if (ret)
		return ret;
	ret = wd_agent_configure(&a, &o);
	if (!ret && test_rules)
		ret = wd_test_rules(&a.cfg, test_rules, stdout);
	else if (!ret && check)
		wd_config_print(&a.cfg, stdout);
	else if (!ret)
		ret = wd_agent_start(&a);
	if (!ret && !check)
		ret = wd_agent_run(&a);
	wd_agent_stop(&a);
	return ret;
}
