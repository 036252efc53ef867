// SPDX-License-Identifier: GPL-2.0-only
/* Filter config parsing, the map generator, and the matcher's verdicts. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "config/filter.h"

static struct wd_config cfg;
static struct wd_filter_maps maps;
static char err[WD_ERR_LEN];
static char dir[] = "/tmp/wd-cfg-XXXXXX";

static void setup(void)
{
	cr_assert(mkdtemp(dir));
	wd_config_init(&cfg);
}

static void teardown(void)
{
	char cmd[600];

	wd_config_free(&cfg);
	wd_filter_maps_free(&maps);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert(system(cmd) == 0);
	strcpy(dir, "/tmp/wd-cfg-XXXXXX");
}

TestSuite(filter, .init = setup, .fini = teardown);

static const char *write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int load(const char *text)
{
	const char *path = write_file("whodunit.yaml", text);

	wd_config_free(&cfg);
	wd_config_init(&cfg);
	err[0] = '\0';
	return wd_config_load(&cfg, path, err, sizeof(err));
}

/* Error text with the temp dir removed: "whodunit.yaml:5:21: ..." */
static const char *msg(void)
{
	size_t n = strlen(dir);

	return strncmp(err, dir, n) == 0 ? err + n + 1 : err;
}

static void compile(void)
{
	wd_filter_maps_free(&maps);
	cr_assert_eq(wd_filter_compile(&cfg, &maps, err, sizeof(err)), 0,
		     "%s", err);
}

static bool drops(const char *addr, unsigned int port)
{
	uint8_t a[16] = { 0 };
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	cr_assert_eq(inet_pton(fam, addr, a), 1, "bad test address %s", addr);
	return wd_filter_drops(&maps, WD_PROBE_TCP_CONNECT, fam, a, (uint16_t)port);
}

/* pidtree-bcc's example_config.yml shape: anchors, dotted masks, ranges. */
Test(filter, pidtree_example_config)
{
	cr_assert_eq(load(
		"---\n"
		"_net_filters: &net_filters\n"
		"  - subnet_name: 10\n"
		"    network: 10.0.0.0\n"
		"    network_mask: 255.0.0.0\n"
		"    description: \"all RFC 1918 10/8\"\n"
		"  - subnet_name: 17216\n"
		"    network: 172.16.0.0\n"
		"    network_mask: 255.240.0.0\n"
		"    description: \"all RFC 1918 172.16/12\"\n"
		"  - subnet_name: 127\n"
		"    network: 127.0.0.0\n"
		"    network_mask: 255.0.0.0\n"
		"udp_session:\n"
		"  filters: *net_filters\n"
		"tcp_connect:\n"
		"  filters: *net_filters\n"
		"  plugins:\n"
		"    sourceipmap:\n"
		"      enabled: True\n"
		"      hostfiles:\n"
		"        - '/etc/hosts'\n"
		"      attribute_key: \"source_host\"\n"
		"net_listen:\n"
		"  snapshot_periodicity: 43200\n"
		"  excludeports:\n"
		"    - 22222\n"
		"    - 30000-40000\n"), 0, "%s", err);
	cr_assert(cfg.tcp_connect.enabled);
	cr_assert_eq(cfg.tcp_connect.nfilters, 3);
	cr_assert_eq(cfg.tcp_connect.filters[1].prefixlen, 12);
	cr_assert_str_eq(cfg.tcp_connect.filters[1].name, "17216");
	cr_assert_str_eq(cfg.tcp_connect.filters[1].description, "all RFC 1918 172.16/12");
	cr_assert_eq(cfg.tcp_connect.nplugins, 1);
	compile();
	cr_assert(drops("10.200.1.1", 443));
	cr_assert(drops("172.31.255.255", 80));
	cr_assert(!drops("172.32.0.1", 80));
	cr_assert(drops("127.0.0.1", 1));
	cr_assert(!drops("8.8.8.8", 53));
}

Test(filter, include_relative_and_absolute)
{
	const char *abs;
	char text[1024];

	write_file("nets.yaml", "- network: 192.168.0.0/16\n  except_ports: [22]\n");
	abs = write_file("ports.yaml", "[\"6000-6010\", 25]\n");
	snprintf(text, sizeof(text),
		 "tcp_connect:\n  filters: !include nets.yaml\n  excludeports: !include %s\n",
		 abs);
	cr_assert_eq(load(text), 0, "%s", err);
	compile();
	cr_assert(drops("192.168.1.1", 80));
	cr_assert(!drops("192.168.1.1", 22));
	cr_assert(drops("1.2.3.4", 6005));
	cr_assert(drops("1.2.3.4", 25));
	cr_assert(!drops("1.2.3.4", 6011));
}

Test(filter, include_cycle_and_missing_file)
{
	write_file("a.yaml", "- !include b.yaml\n");
	write_file("b.yaml", "!include a.yaml\n");
	cr_assert_eq(load("tcp_connect:\n  filters: !include a.yaml\n"), -EINVAL);
	cr_assert(strstr(err, "!include cycle"), "%s", err);
	cr_assert_eq(load("tcp_connect:\n  filters: !include nope.yaml\n"), -EINVAL);
	cr_assert(strstr(msg(), "whodunit.yaml:2:12: !include "), "%s", err);
	cr_assert(strstr(err, "nope.yaml: No such file or directory"), "%s", err);
}

Test(filter, error_in_included_file_names_that_file)
{
	write_file("bad.yaml", "- network: 10.0.0.0\n  network_mask: 255.0.255.0\n");
	cr_assert_eq(load("tcp_connect:\n  filters: !include bad.yaml\n"), -EINVAL);
	cr_assert_str_eq(msg(), "bad.yaml:2:17: network_mask 255.0.255.0 is not a contiguous mask");
}

Test(filter, cidr_ipv6_and_v4mapped)
{
	cr_assert_eq(load("tcp_connect:\n  filters:\n"
			  "    - network: 2001:db8::/32\n"
			  "    - network: ::ffff:100.64.0.0/106\n"
			  "    - network: ::1\n"
			  "    - network: 198.51.100.7\n"), 0, "%s", err);
	cr_assert_eq(cfg.tcp_connect.filters[1].family, AF_INET);
	cr_assert_eq(cfg.tcp_connect.filters[1].prefixlen, 10);
	cr_assert_eq(cfg.tcp_connect.filters[2].prefixlen, 128);
	cr_assert_eq(cfg.tcp_connect.filters[3].prefixlen, 32);
	compile();
	cr_assert_eq(maps.n4, 2);
	cr_assert_eq(maps.n6, 2);
	cr_assert(drops("2001:db8:ffff::1", 443));
	cr_assert(!drops("2001:db9::1", 443));
	cr_assert(drops("::1", 1));
	cr_assert(!drops("::2", 1));
	cr_assert(drops("100.127.0.1", 1));
	cr_assert(drops("::ffff:100.127.0.1", 1));
	cr_assert(drops("198.51.100.7", 1));
	cr_assert(!drops("198.51.100.8", 1));
}

Test(filter, host_bits_are_cleared)
{
	cr_assert_eq(load("tcp_connect:\n  filters:\n    - network: 127.0.0.1\n"
			  "      network_mask: 255.0.0.0\n"), 0, "%s", err);
	cr_assert_eq(cfg.tcp_connect.filters[0].addr[3], 0);
	compile();
	cr_assert(drops("127.9.9.9", 1));
}

/* pidtree-bcc's itest matrix, P1 = 1001, P2 = 2002, other = 3003. */
Test(filter, pidtree_itest_matrix)
{
	cr_assert_eq(load("tcp_connect:\n"
			  "  filters:\n"
			  "    - {network: 127.0.0.0/16}\n"
			  "    - {network: 127.100.0.0, network_mask: 255.255.0.0, except_ports: [1001]}\n"
			  "    - {network: 127.101.0.0/16, include_ports: [1001]}\n"
			  "  excludeports: [2002]\n"), 0, "%s", err);
	compile();
	cr_assert(!drops("127.1.33.7", 1001));
	cr_assert(drops("127.1.33.7", 2002));
	cr_assert(drops("127.0.0.1", 1001));
	cr_assert(!drops("127.100.33.7", 1001));
	cr_assert(drops("127.100.33.7", 3003));
	cr_assert(drops("127.101.33.7", 1001));
	cr_assert(!drops("127.101.33.7", 3003));
	cr_assert(drops("::ffff:127.0.0.1", 1001));
	cr_assert(!drops("::ffff:127.1.33.7", 1001));
}

Test(filter, longest_prefix_wins)
{
	cr_assert_eq(load("tcp_connect:\n  filters:\n"
			  "    - {network: 10.0.0.0/8}\n"
			  "    - {network: 10.1.0.0/16, except_ports: [443]}\n"
			  "    - {network: 10.1.2.0/24}\n"
			  "    - {network: \"fd00::/8\", include_ports: [\"1-1023\"]}\n"
			  "    - {network: \"fd00:1::/32\", except_ports: [22]}\n"), 0, "%s", err);
	compile();
	cr_assert(drops("10.9.9.9", 443));
	cr_assert(!drops("10.1.9.9", 443));
	cr_assert(drops("10.1.9.9", 80));
	cr_assert(drops("10.1.2.9", 443));
	cr_assert(drops("fd00::1", 1023));
	cr_assert(!drops("fd00::1", 1024));
	cr_assert(!drops("fd00:1::1", 22));
	cr_assert(drops("fd00:1::1", 2000));
}

Test(filter, includeports_and_excludeports)
{
	cr_assert_eq(load("tcp_connect:\n  includeports: [443, \"8000-8002\", 65535]\n"), 0,
		     "%s", err);
	compile();
	cr_assert(!drops("1.1.1.1", 443));
	cr_assert(!drops("1.1.1.1", 8002));
	cr_assert(!drops("1.1.1.1", 65535));
	cr_assert(drops("1.1.1.1", 8003));
	cr_assert(drops("1.1.1.1", 80));
	/* both: includeports wins */
	cr_assert_eq(load("tcp_connect:\n  includeports: [443]\n  excludeports: [443, 80]\n"),
		     0, "%s", err);
	compile();
	cr_assert(!drops("1.1.1.1", 443));
	cr_assert(drops("1.1.1.1", 80));
	cr_assert(drops("1.1.1.1", 22));
	cr_assert_eq(load("tcp_connect:\n  excludeports: [\"1-1024\"]\n"), 0, "%s", err);
	compile();
	cr_assert(drops("1.1.1.1", 1024));
	cr_assert(!drops("1.1.1.1", 1025));
}

Test(filter, map_generator_output)
{
	cr_assert_eq(load("tcp_connect:\n  filters:\n"
			  "    - {network: 10.0.0.0/8}\n"
			  "    - {network: 192.168.0.0/16, except_ports: [\"100-102\"]}\n"
			  "    - {network: \"fe80::/10\", include_ports: [5353]}\n"
			  "  excludeports: [7]\n"), 0, "%s", err);
	compile();
	cr_assert_eq(maps.n4, 2);
	cr_assert_eq(maps.n6, 1);
	cr_assert_eq(maps.nsets, WD_NPROBES + 2);
	cr_assert_eq(maps.cfg[WD_PROBE_TCP_CONNECT].global_mode, WD_GLOBAL_EXCLUDE);
	cr_assert(wd_port_in(&maps.sets[0], 7));
	cr_assert(!wd_port_in(&maps.sets[0], 8));
	cr_assert_eq(maps.v4[0].key.prefixlen, WD_LPM_PROBE_BITS + 8);
	cr_assert_eq(maps.v4[0].key.probe, WD_PROBE_TCP_CONNECT);
	cr_assert_eq(maps.v4[0].key.addr[0], 10);
	cr_assert_eq(maps.v4[0].val.mode, WD_PORTS_ALL);
	cr_assert_eq(maps.v4[1].key.prefixlen, WD_LPM_PROBE_BITS + 16);
	cr_assert_eq(maps.v4[1].val.mode, WD_PORTS_EXCEPT);
	cr_assert_eq(maps.v4[1].val.portset, WD_NPROBES);
	cr_assert(wd_port_in(&maps.sets[WD_NPROBES], 100) && wd_port_in(&maps.sets[WD_NPROBES], 102));
	cr_assert(!wd_port_in(&maps.sets[WD_NPROBES], 99) && !wd_port_in(&maps.sets[WD_NPROBES], 103));
	cr_assert_eq(maps.v6[0].key.prefixlen, WD_LPM_PROBE_BITS + 10);
	cr_assert_eq(maps.v6[0].key.addr[0], 0xfe);
	cr_assert_eq(maps.v6[0].key.addr[1], 0x80);
	cr_assert_eq(maps.v6[0].val.mode, WD_PORTS_ONLY);
	cr_assert_eq(maps.v6[0].val.portset, WD_NPROBES + 1);
	cr_assert(wd_port_in(&maps.sets[WD_NPROBES + 1], 5353));
}

Test(filter, many_rules_fit)
{
	size_t cap = 5000 * 40 + 64, len;
	char *text = malloc(cap);

	len = (size_t)snprintf(text, cap, "tcp_connect:\n  filters:\n");
	for (int i = 0; i < 5000; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"    - {network: 10.%d.%d.0/24}\n", i / 256, i % 256);
	cr_assert_eq(load(text), 0, "%s", err);
	free(text);
	compile();
	cr_assert_eq(maps.n4, 5000);
	cr_assert(drops("10.19.135.1", 1));  /* 19 * 256 + 135 = 4999 */
	cr_assert(!drops("10.19.136.1", 1)); /* 5000: not configured */
}

struct bad_case {
	const char *yaml;
	const char *error;
};

/* Every filter error names file:line:col and says what is wrong. */
Test(filter, error_messages)
{
	static const struct bad_case cases[] = {
		{ "tcp_connect:\n  filters:\n    - network: 10.0.0.0\n      network_mask: 255.0.255.0\n",
		  "whodunit.yaml:4:21: network_mask 255.0.255.0 is not a contiguous mask" },
		{ "tcp_connect:\n  filters:\n    - network: 10.0.0.300/8\n",
		  "whodunit.yaml:3:16: network '10.0.0.300/8' is not an IPv4 or IPv6 address" },
		{ "tcp_connect:\n  filters:\n    - network: 10.0.0.0/33\n",
		  "whodunit.yaml:3:16: network '10.0.0.0/33': prefix length must be 0-32" },
		{ "tcp_connect:\n  filters:\n    - network: fd00::/129\n",
		  "whodunit.yaml:3:16: network 'fd00::/129': prefix length must be 0-128" },
		{ "tcp_connect:\n  filters:\n    - network: 10.0.0.0/8\n      network_mask: 255.0.0.0\n",
		  "whodunit.yaml:4:21: network_mask given for a network in CIDR form ('10.0.0.0/8'): use one or the other" },
		{ "tcp_connect:\n  filters:\n    - network: \"fd00::\"\n      network_mask: 255.0.0.0\n",
		  "whodunit.yaml:4:21: network_mask is for IPv4 networks; write IPv6 networks as CIDR (e.g. fd00::/8)" },
		{ "tcp_connect:\n  filters:\n    - network_mask: 255.0.0.0\n",
		  "whodunit.yaml:3:7: filter has no 'network'" },
		{ "tcp_connect:\n  filters:\n    - network: 10.0.0.0/8\n      except_ports: [1]\n      include_ports: [2]\n",
		  "whodunit.yaml:5:22: a filter takes except_ports or include_ports, not both" },
		{ "tcp_connect:\n  filters:\n    - network: 10.0.0.0/8\n      netmask: 255.0.0.0\n",
		  "whodunit.yaml:4:7: unknown key 'netmask' in a filter (did you mean 'network'?)" },
		{ "tcp_connect:\n  excludeports: [80, http]\n",
		  "whodunit.yaml:2:22: excludeports: 'http' is not a port or a port range" },
		{ "tcp_connect:\n  excludeports: [\"200-100\"]\n",
		  "whodunit.yaml:2:18: excludeports: range 200-100 is backwards" },
		{ "tcp_connect:\n  includeports: [65536]\n",
		  "whodunit.yaml:2:18: includeports: port 65536 is out of range (1-65535)" },
		{ "tcp_connect:\n  includeports: [0]\n",
		  "whodunit.yaml:2:18: includeports: port 0 is not a destination port (1-65535)" },
		{ "tcp_connect:\n  includeports: 443\n",
		  "whodunit.yaml:2:17: includeports must be a list of ports, e.g. [443, \"8000-8100\"]" },
		{ "tcp_connect:\n  filters:\n    network: 10.0.0.0/8\n",
		  "whodunit.yaml:3:5: filters must be a list of filters" },
		{ "tcp_connect:\n  plugins:\n    sourceipmapp: {}\n",
		  "whodunit.yaml:3:5: unknown key 'sourceipmapp' in plugins (did you mean 'sourceipmap'?)" },
		{ "tcp_connect:\n  filter: []\n",
		  "whodunit.yaml:2:3: unknown key 'filter' in tcp_connect (did you mean 'filters'?)" },
		{ "tcp_connect:\n  filters:\n    - network: 10.0.0.0/8\n    - network: 10.1.0.0/8\n",
		  "whodunit.yaml:2:3: tcp_connect: two filters for 10.0.0.0/8 (lines 3 and 4)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(load(cases[i].yaml), -EINVAL, "case %zu was accepted", i);
		cr_expect_str_eq(msg(), cases[i].error, "case %zu", i);
	}
}

Test(filter, nested_alias_lists_are_not_filters)
{
	cr_assert_eq(load(
		"_a: &a [{network: 10.0.0.0/8}, {network: 10.0.0.0/8}, {network: 10.0.0.0/8}]\n"
		"_b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"_c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"_d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"_e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"_f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"tcp_connect:\n  filters: *f\n"), -EINVAL);
	/* A list of lists is refused by its shape, before anything is expanded. */
	cr_assert(strstr(msg(), "whodunit.yaml:5:5: a filter must be a mapping"), "%s", err);
}
