// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "proc/snapshot.h"
#include "fakeproc.h"

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

#define NPROC 300

struct seen {
	char v[NPROC * 2][64];
	size_t n;
};

static void collect(void *ctx, const struct wd_listener *l)
{
	struct seen *s = ctx;

	if (s->n < NPROC * 2)
		snprintf(s->v[s->n++], sizeof(s->v[0]), "%d/%d %u:%u", l->family,
			 l->protocol, l->port, l->pid);
}

/* NPROC processes with a socket each (and a file); every other one listens. */
static void many_processes(void)
{
	char path[600], line[200];
	FILE *f;

	fakeproc_setup();
	snprintf(path, sizeof(path), "%s/net", root);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/net/tcp", root);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
	      "retrnsmt   uid  timeout inode\n", f);
	for (int i = 0; i < NPROC; i++) {
		int pid = 100 + i;

		fake_proc(pid, 1, "srv", 5, "srv\0", 4);
		snprintf(path, sizeof(path), "%s/%d/fd", root, pid);
		cr_assert_eq(mkdir(path, 0755), 0);
		snprintf(path, sizeof(path), "%s/%d/fd/3", root, pid);
		snprintf(line, sizeof(line), "socket:[%d]", 5000 + i);
		cr_assert_eq(symlink(line, path), 0);
		snprintf(path, sizeof(path), "%s/%d/fd/4", root, pid);
		cr_assert_eq(symlink("/etc/passwd", path), 0);
		fprintf(f, "   %d: 0100007F:%04X 00000000:0000 %s 00000000:00000000 "
			"00:00000000 00000000     0        0 %d 1 0 100 0 0 10 0\n",
			i, 2000 + i, i % 2 ? "01" : "0A", 5000 + i);
	}
	fclose(f);
}

static int by_text(const void *a, const void *b)
{
	return strcmp(a, b);
}

Test(snapshot, walk_resumes_across_steps_with_the_one_pass_result,
     .fini = fakeproc_teardown)
{
	static struct seen one, sliced;
	struct wd_snapshot s = { 0 };
	int n, steps = 0;

	many_processes();
	cr_assert_eq(wd_snapshot_listeners(root, true, false, collect, &one), NPROC / 2);
	cr_assert_eq(wd_snapshot_begin(&s, root, true, false), 0);
	/* a zero budget: one process per step, the walk left open in between */
	while ((n = wd_snapshot_step(&s, 0, collect, &sliced)) == -EINPROGRESS) {
		steps++;
		cr_assert_eq(sliced.n, 0, "listeners reported before the walk ended");
		cr_assert_not_null(s.dir);
	}
	cr_assert_eq(n, NPROC / 2);
	cr_assert_geq(steps, NPROC - 1);
	cr_assert_null(s.dir);
	cr_assert_eq(sliced.n, one.n);
	qsort(one.v, one.n, sizeof(one.v[0]), by_text);
	qsort(sliced.v, sliced.n, sizeof(sliced.v[0]), by_text);
	for (size_t i = 0; i < one.n; i++)
		cr_assert_str_eq(sliced.v[i], one.v[i]);
	cr_assert_eq(wd_snapshot_step(&s, 0, collect, &sliced), -EINVAL);
	wd_snapshot_end(&s);
}
