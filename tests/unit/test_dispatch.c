// SPDX-License-Identifier: GPL-2.0-only
/*
 * The userland data path without BPF: records in, lines in a file sink out.
 * What main.c did before the restructure, now testable.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/dispatch.h"
#include "fakeproc.h"
#include "util/file.h"
#include "testutil.h"

static struct wd_config cfg;
static struct wd_filter_maps filters;
static struct wd_dispatch d;
static char out_path[600], passwd_path[600];
static int takes;

static int fake_take(void *ctx, const struct wd_udp_key *k, struct wd_udp_val *v)
{
	(void)ctx;
	takes++;
	if (k->cookie != 99 || k->port != 53)
		return -1;
	*v = (struct wd_udp_val){ .first_ns = 1000000000, .last_ns = 2000000000, .count = 3 };
	return 0;
}

static void setup(void)
{
	char yaml[1024], err[WD_ERR_LEN], why[256];
	FILE *f;

	fakeproc_setup();
	snprintf(out_path, sizeof(out_path), "%s/events.json", root);
	snprintf(passwd_path, sizeof(passwd_path), "%s/passwd", root);
	f = fopen(passwd_path, "w");
	cr_assert_not_null(f);
	fputs("root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n", f);
	fclose(f);
	snprintf(yaml, sizeof(yaml),
		 "agent: {output: \"file:%s\"}\n"
		 "tcp_connect:\n  filters: [{network: 10.0.0.0/8}]\n"
		 "net_listen: {same_namespace_only: true, snapshot_periodicity: 0}\n"
		 "udp_session: {}\n", out_path);
	wd_config_init(&cfg);
	cr_assert_eq(wd_config_parse(&cfg, "t.yaml", yaml, strlen(yaml), err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(wd_filter_compile(&cfg, &filters, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(wd_dispatch_init(&d, &cfg, &filters, root, passwd_path), 0);
	cr_assert_eq(wd_sink_open(&d.sink), 0);
	d.udp.take = fake_take;
	takes = 0;
}

static void teardown(void)
{
	wd_dispatch_free(&d);
	wd_filter_maps_free(&filters);
	wd_config_free(&cfg);
	fakeproc_teardown();
}

TestSuite(dispatch, .init = setup, .fini = teardown);

static void socket_rec(struct wd_connect_event *e, uint16_t type, const char *daddr,
		       uint16_t dport)
{
	memset(e, 0, sizeof(*e));
	e->hdr = (struct wd_event_hdr){ .type = type, .variant = WD_VARIANT_TRACEPOINT,
					.ts_ns = 5000000000ull };
	e->family = AF_INET;
	inet_pton(AF_INET, daddr, e->daddr);
	e->dport = dport;
	e->tid = 300;
	e->uid = 1000;
	e->depth = 1;
	e->tree[0] = (struct wd_proc){ .pid = 300, .ppid = 1, .uid = 1000,
				       .start_ns = 3000000000ull };
	memcpy(e->tree[0].comm, "app", 3);
	e->hdr.size = WD_CONNECT_EVENT_FIXED + sizeof(struct wd_proc);
}

static int feed(void *rec, size_t size)
{
	return wd_dispatch_record(&d, rec, size);
}

/* The sink's lines so far. */
static char *output(void)
{
	return tu_output(&d, out_path);
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

Test(dispatch, process_records_feed_the_table)
{
	struct wd_proc_event p = { 0 };

	p.hdr = (struct wd_event_hdr){ .type = WD_EV_FORK, .size = WD_PROC_EVENT_FIXED };
	p.pid = 300;
	p.ppid = 1;
	p.start_ns = 3000000000ull;
	memcpy(p.comm, "app", 3);
	cr_assert_eq(feed(&p, WD_PROC_EVENT_FIXED), 0);
	cr_assert_not_null(wd_ptable_find(&d.ptable, 300, 3000000000ull));
	free(output());
}

Test(dispatch, connects_become_lines_and_bad_records_are_counted)
{
	static struct wd_connect_event e;
	char *s;

	socket_rec(&e, WD_EV_TCP_CONNECT, "192.0.2.7", 443);
	feed(&e, e.hdr.size);
	cr_assert_eq(feed(&e, 8), 0, "a short record");
	e.family = 1;
	feed(&e, e.hdr.size);
	s = output();
	cr_assert_eq(d.malformed, 2);
	cr_assert_eq(count(s, "\n"), 1, "%s", s);
	cr_assert(strstr(s, "\"probe\":\"tcp_connect\",\"pid\":300,"), "%s", s);
	cr_assert(strstr(s, "\"daddr\":\"192.0.2.7\",\"port\":443"), "%s", s);
	cr_assert(strstr(s, "\"username\":\"alice\""), "%s", s);
	free(s);
}

Test(dispatch, listens_of_other_namespaces_are_dropped)
{
	static struct wd_connect_event e;
	char *s;

	socket_rec(&e, WD_EV_LISTEN, "0.0.0.0", 0);
	e.sport = 8080;
	e.netns = d.netns + 1;
	feed(&e, e.hdr.size);
	e.netns = d.netns;
	e.sport = 8081;
	feed(&e, e.hdr.size);
	s = output();
	cr_assert_eq(count(s, "\"probe\":\"net_listen\""), 1, "%s", s);
	cr_assert(strstr(s, "\"port\":8081"), "%s", s);
	free(s);
}

Test(dispatch, udp_session_ends_at_release_with_kernel_counters)
{
	static struct wd_connect_event e;
	struct wd_udp_close c = { .hdr = { .type = WD_EV_UDP_CLOSE, .size = sizeof(c) },
				  .cookie = 99 };
	char *s;

	socket_rec(&e, WD_EV_UDP_DEST, "192.0.2.53", 53);
	e.cookie = 99;
	e.protocol = 17;
	feed(&e, e.hdr.size);
	cr_assert_eq(d.udp.table.count, 1);
	feed(&c, sizeof(c));
	cr_assert_eq(d.udp.table.count, 0);
	cr_assert_eq(takes, 1);
	feed(&c, sizeof(c)); /* a second release of the same socket: nothing */
	s = output();
	cr_assert_eq(count(s, "\n"), 1, "%s", s);
	cr_assert(strstr(s, "\"probe\":\"udp_session\""), "%s", s);
	cr_assert(strstr(s, "{\"daddr\":\"192.0.2.53\",\"port\":53,\"duration\":1.000,"
			    "\"msg_count\":3}"), "%s", s);
	free(s);
}

Test(dispatch, open_sessions_end_when_the_agent_stops)
{
	static struct wd_connect_event e;
	char *s;

	socket_rec(&e, WD_EV_UDP_DEST, "192.0.2.53", 53);
	e.cookie = 99;
	feed(&e, e.hdr.size);
	s = output();
	cr_assert(strstr(s, "\"error\":\"agent_stopping\""), "%s", s);
	free(s);
}
