// SPDX-License-Identifier: GPL-2.0-only
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include <unistd.h>

#include "config/config.h"
#include "util/sha256.h"
#include "testutil.h"

static struct wd_config cfg;
static char err[WD_ERR_LEN];

static int parse(const char *text)
{
	return tu_parse(&cfg, "t.yaml", text, err, sizeof(err));
}

static void fini(void)
{
	wd_config_free(&cfg);
}

TestSuite(config, .fini = fini);

Test(config, embedded_default_is_valid)
{
	wd_config_init(&cfg);
	cr_assert_eq(wd_config_parse(&cfg, "<embedded>", wd_default_config,
				     wd_default_config_len, err, sizeof(err)), 0, "%s", err);
	cr_assert(cfg.tcp_connect.enabled);
	cr_assert_eq(cfg.syslog_facility, LOG_DAEMON);
}

Test(config, minimal)
{
	cr_assert_eq(parse("tcp_connect: {}\n"), 0, "%s", err);
	cr_assert(cfg.tcp_connect.enabled);
	cr_assert_eq(parse("tcp_connect:\n"), 0, "%s", err);
	cr_assert(cfg.tcp_connect.enabled);
	cr_assert_eq(parse(""), 0, "%s", err);
	cr_assert(!cfg.tcp_connect.enabled);
}

Test(config, agent_section)
{
	cr_assert_eq(parse("agent:\n  output: file:/tmp/x\n  syslog_facility: local3\n"
			   "  syslog_ident: wd\n  ring_buffer_size: 1M\n"
			   "  probe_mode: tracepoint\ntcp_connect: {}\n"), 0, "%s", err);
	cr_assert_str_eq(cfg.output, "file:/tmp/x");
	cr_assert_eq(cfg.syslog_facility, LOG_LOCAL3);
	cr_assert_str_eq(cfg.syslog_ident, "wd");
	cr_assert_eq(cfg.ring_buffer_bytes, 1u << 20);
	cr_assert_eq(cfg.variant, WD_VARIANT_TRACEPOINT);
}

Test(config, variant)
{
	cr_assert_eq(parse("agent:\n  variant: fentry\n"), 0, "%s", err);
	cr_assert_eq(cfg.variant, WD_VARIANT_FENTRY);
	cr_assert_eq(parse("agent:\n  variant: auto\n"), 0, "%s", err);
	cr_assert_eq(cfg.variant, WD_VARIANT_NONE);
	cr_assert_eq(parse("agent: {}\n"), 0, "%s", err);
	cr_assert_eq(cfg.variant, WD_VARIANT_NONE);
	/* The same key twice: the last one wins, as for every key. */
	cr_assert_eq(parse("agent:\n  variant: fentry\n  variant: kprobe\n"), 0, "%s", err);
	cr_assert_eq(cfg.variant, WD_VARIANT_KPROBE);
}

Test(config, probe_mode_is_variant_under_its_old_name)
{
	cr_assert_eq(parse("agent:\n  probe_mode: kprobe\n"), 0, "%s", err);
	cr_assert_eq(cfg.variant, WD_VARIANT_KPROBE);
	cr_assert_eq(parse("agent:\n  probe_mode: auto\n"), 0, "%s", err);
	cr_assert_eq(cfg.variant, WD_VARIANT_NONE);
}

Test(config, variant_and_probe_mode_both_set)
{
	cr_assert_eq(parse("agent:\n  variant: fentry\n  output: stdout\n"
			   "  probe_mode: fentry\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:4:3: both variant and probe_mode (its old name) are set, "
			      "on lines 2 and 4: keep variant");
	cr_assert_eq(parse("agent:\n  probe_mode: auto\n  variant: kprobe\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:3:3: both variant and probe_mode (its old name) are set, "
			      "on lines 2 and 3: keep variant");
}

Test(config, bad_variant)
{
	cr_assert_eq(parse("agent:\n  variant: magic\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:12: variant 'magic' is not auto, fentry, kprobe or "
			      "tracepoint");
	cr_assert_eq(parse("agent:\n  probe_mode: none\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:15: probe_mode 'none' is not auto, fentry, kprobe or "
			      "tracepoint");
	cr_assert_eq(parse("agent:\n  variant: [fentry]\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:12: variant must be a string");
	cr_assert_eq(parse("agent:\n  varient: auto\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:3: unknown key 'varient' in agent (did you mean "
			      "'variant'?)");
}

/* What wd_config_init leaves is what the embedded configuration says. */
Test(config, defaults_match_the_embedded_config)
{
	struct wd_config def;

	wd_config_init(&def);
	wd_config_init(&cfg);
	cr_assert_eq(wd_config_parse(&cfg, "<embedded>", wd_default_config,
				     wd_default_config_len, err, sizeof(err)), 0, "%s", err);
	/* NULL strings stand for syslog and /dev/log. */
	cr_assert_null(def.output);
	cr_assert_str_eq(cfg.output, "syslog");
	cr_assert_null(def.syslog_socket);
	cr_assert_str_eq(cfg.syslog_socket, "/dev/log");
	cr_assert_eq(def.syslog_facility, cfg.syslog_facility);
	cr_assert_str_eq(def.syslog_ident, cfg.syslog_ident);
	cr_assert_eq(def.ring_buffer_bytes, cfg.ring_buffer_bytes);
	cr_assert_eq(def.process_cache_size, cfg.process_cache_size);
	cr_assert_eq(def.max_event_size, cfg.max_event_size);
	cr_assert_eq(def.variant, cfg.variant);
	/* The probes the embedded config leaves out keep their defaults. */
	cr_assert(!cfg.net_listen.enabled && !cfg.udp_session.enabled);
	cr_assert_eq(def.net_listen.listen_tcp, cfg.net_listen.listen_tcp);
	cr_assert_eq(def.udp_session.session_max_duration, cfg.udp_session.session_max_duration);
	wd_config_free(&def);
}

Test(config, probe_defaults)
{
	cr_assert_eq(parse("net_listen:\nudp_session: {}\n"), 0, "%s", err);
	cr_assert(cfg.net_listen.enabled && cfg.net_listen.listen_tcp &&
		  !cfg.net_listen.listen_udp);
	cr_assert_eq(cfg.net_listen.snapshot_periodicity, 0);
	cr_assert(cfg.udp_session.enabled);
	cr_assert_eq(cfg.udp_session.session_max_duration, 120);
	cr_assert(!cfg.udp_session.emit_on_first_datagram);
}

Test(config, underscore_keys_are_ignored)
{
	cr_assert_eq(parse("_anchors: &x {a: 1}\ntcp_connect: {}\n"), 0, "%s", err);
}

Test(config, errors_name_file_line_column)
{
	cr_assert_eq(parse("tcp_connect: {}\nagent:\n  ouptut: stdout\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:3:3: unknown key 'ouptut' in agent (did you mean 'output'?)");
	cr_assert_eq(parse("agent:\n  ring_buffer_size: 3000\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:21: ring_buffer_size must be a power of two between 4K and 1G");
	cr_assert_eq(parse("agent:\n  syslog_facility: local9\n"), -EINVAL);
	cr_assert(strstr(err, "t.yaml:2:20: unknown syslog facility 'local9'"), "%s", err);
	cr_assert_eq(parse("tcp_conect: {}\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:1:1: unknown key 'tcp_conect' in the top level (did you mean 'tcp_connect'?)");
	cr_assert_eq(parse("agent:\n  output: carrier-pigeon\n"), -EINVAL);
	cr_assert(strstr(err, "t.yaml:2:11: output 'carrier-pigeon'"), "%s", err);
}

Test(config, yaml_syntax_error_has_position)
{
	cr_assert_eq(parse("tcp_connect: {\n"), -EINVAL);
	cr_assert(!strncmp(err, "t.yaml:2:1: ", 12), "%s", err);
}

Test(config, alias_bomb_is_refused)
{
	/* 40 bytes of ports walked through 3000 aliases, many times over. */
	static char text[64 * 1024];
	size_t len = 0;

	len += (size_t)snprintf(text + len, sizeof(text) - len,
				"_m: &m {network: 10.0.0.0/8, except_ports: [");
	for (int i = 1; i <= 1000; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%d", i > 1 ? "," : "", i);
	len += (size_t)snprintf(text + len, sizeof(text) - len, "]}\ntcp_connect:\n  filters: [");
	for (int i = 0; i < 3000; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s*m", i ? "," : "");
	len += (size_t)snprintf(text + len, sizeof(text) - len, "]\n");
	cr_assert_eq(parse(text), -EINVAL);
	cr_assert(strstr(err, "more than 2000000 nodes after expanding aliases"), "%s", err);
}

Test(config, large_config_without_aliases_is_accepted)
{
	/* 60,000 filters of four keys: a quarter million nodes, no alias. */
	size_t cap = 60000 * 80 + 64, len = 0;
	char *text = malloc(cap);

	len += (size_t)snprintf(text + len, cap - len, "tcp_connect:\n  filters:\n");
	for (int i = 0; i < 60000; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"    - {subnet_name: n%d, network: 10.%d.%d.0/24, "
					"description: d}\n", i, i / 256 % 256, i % 256);
	cr_assert_eq(parse(text), 0, "%s", err);
	cr_assert_eq(cfg.tcp_connect.nfilters, 60000);
	free(text);
}

Test(config, size_units_that_would_wrap_are_refused)
{
	/* 17179869184G is 2^64 bytes: shifted, it wrapped to 0 ("no limit"). */
	cr_assert_eq(parse("agent:\n  max_event_size: 17179869184G\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:19: max_event_size: 17179869184G is too large");
	cr_assert_eq(parse("agent:\n  output_buffer: 18014398509481984K\n"), -EINVAL);
	cr_assert(strstr(err, "is too large"), "%s", err);
	cr_assert_eq(parse("agent:\n  output_buffer: 16G\n"), 0, "%s", err);
	cr_assert_eq(cfg.output_buffer_bytes, 16ull << 30);
}

Test(config, operations_keys)
{
	cr_assert_eq(parse("agent: {}\n"), 0, "%s", err);
	cr_assert_eq(cfg.stats_interval, 60);
	cr_assert_eq(cfg.output_buffer_bytes, 64u << 20);
	cr_assert(!cfg.watch_config);
	cr_assert_null(cfg.metrics_file);
	cr_assert_eq(parse("agent:\n  stats_interval: 0\n  output_buffer: 0\n"
			   "  watch_config: true\n  metrics_file: /run/m.prom\n"), 0, "%s", err);
	cr_assert_eq(cfg.stats_interval, 0);
	cr_assert_eq(cfg.output_buffer_bytes, 0);
	cr_assert(cfg.watch_config);
	cr_assert_str_eq(cfg.metrics_file, "/run/m.prom");
	cr_assert_eq(parse("agent:\n  stats_interval: 86401\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:19: stats_interval must be 0 (no stats records) "
			      "to 86400 seconds");
	cr_assert_eq(cfg.process_cache_bytes, 64u << 20);
	cr_assert_eq(parse("agent:\n  process_cache_bytes: 8M\n"), 0, "%s", err);
	cr_assert_eq(cfg.process_cache_bytes, 8u << 20);
	cr_assert_eq(parse("agent:\n  process_cache_bytes: 1000\n"), -EINVAL);
	cr_assert_eq(parse("agent:\n  metrics_file: m.prom\n"), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:17: metrics_file must be an absolute path");
}

Test(config, digest_and_files_cover_includes)
{
	char dir[] = "/tmp/wd-cfg-XXXXXX", main_path[64], inc_path[64], hex[65];
	const char *main_text = "tcp_connect:\n  filters: !include f.yaml\n";
	const char *inc_text = "- network: 10.0.0.0/8\n";
	char both[256];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(main_path, sizeof(main_path), "%s/main.yaml", dir);
	snprintf(inc_path, sizeof(inc_path), "%s/f.yaml", dir);
	f = fopen(main_path, "w");
	fputs(main_text, f);
	fclose(f);
	f = fopen(inc_path, "w");
	fputs(inc_text, f);
	fclose(f);
	wd_config_free(&cfg);
	wd_config_init(&cfg);
	cr_assert_eq(wd_config_load(&cfg, main_path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.nfiles, 2);
	cr_assert_str_eq(cfg.files[0], main_path);
	cr_assert_str_eq(cfg.files[1], inc_path);
	snprintf(both, sizeof(both), "%s%s", main_text, inc_text);
	wd_sha256_hex(both, strlen(both), hex);
	cr_assert_str_eq(cfg.sha256, hex);
	unlink(inc_path);
	unlink(main_path);
	rmdir(dir);
}
