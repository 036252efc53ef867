// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "config/config.h"
#include "proc/snapshot.h"

Test(snapshot, parses_proc_net_tcp_lines)
{
	struct wd_listener l;
	unsigned long inode;
	unsigned int st;
	char a[INET6_ADDRSTRLEN];

	cr_assert_eq(wd_parse_proc_net_line(
		"   1: 0721017F:A9AF 00000000:0000 0A 00000000:00000000 00:00000000 "
		"00000000     0        0 123456 1 0000000000000000 100 0 0 10 0",
		AF_INET, &l, &st, &inode), 0);
	cr_assert_eq(st, 0x0a);
	cr_assert_eq(inode, 123456);
	cr_assert_eq(l.port, 0xa9af);
	inet_ntop(AF_INET, l.addr, a, sizeof(a));
	cr_assert_str_eq(a, "127.1.33.7");

	cr_assert_eq(wd_parse_proc_net_line(
		"   0: 00000000000000000000000001000000:1F90 "
		"00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 "
		"00000000     0        0 777 1 0000000000000000 100 0 0 10 0",
		AF_INET6, &l, &st, &inode), 0);
	inet_ntop(AF_INET6, l.addr, a, sizeof(a));
	cr_assert_str_eq(a, "::1");
	cr_assert_eq(l.port, 8080);
	cr_assert_eq(inode, 777);

	cr_assert_eq(wd_parse_proc_net_line("  sl  local_address rem_address", AF_INET,
					    &l, &st, &inode), -EINVAL);
	cr_assert_eq(wd_parse_proc_net_line(
		"   1: 0721017F:A9AF 00000000:0000 0A 00000000:00000000 00:00000000 "
		"00000000     0        0 1 1", AF_INET6, &l, &st, &inode), -EINVAL);
}

Test(snapshot, net_listen_config_keys)
{
	static const char yaml[] =
		"net_listen:\n  protocols: [udp]\n  snapshot_periodicity: 43200\n"
		"  same_namespace_only: False\n  exclude_random_bind: true\n"
		"  excludeports: [22222, \"30000-40000\"]\n";
	struct wd_config cfg;
	char err[WD_ERR_LEN];

	wd_config_init(&cfg);
	cr_assert_eq(wd_config_parse(&cfg, "t.yaml", yaml, sizeof(yaml) - 1, err,
				     sizeof(err)), 0, "%s", err);
	cr_assert(cfg.net_listen.enabled && !cfg.net_listen.listen_tcp &&
		  cfg.net_listen.listen_udp);
	cr_assert_eq(cfg.net_listen.snapshot_periodicity, 43200);
	cr_assert(cfg.net_listen.exclude_random_bind && !cfg.net_listen.same_namespace_only);
	cr_assert_eq(cfg.net_listen.excludeports.n, 2);
	wd_config_free(&cfg);
	wd_config_init(&cfg);
	cr_assert_eq(wd_config_parse(&cfg, "t.yaml", "net_listen:\n  protocols: [sctp]\n", 32,
				     err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:15: protocols: 'sctp' is not tcp or udp");
	wd_config_free(&cfg);
	wd_config_init(&cfg);
	cr_assert_eq(wd_config_parse(&cfg, "t.yaml", "net_listen:\n  protocol: [tcp]\n", 30,
				     err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:3: unknown key 'protocol' in net_listen (did you mean 'protocols'?)");
	wd_config_free(&cfg);
}
