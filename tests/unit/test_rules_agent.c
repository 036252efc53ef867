// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rules and flood control in the agent without BPF: records in through the
 * dispatch, lines out of a file sink, the kernel's side faked.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/dispatch.h"
#include "fakeproc.h"
#include "util/file.h"
#include "testutil.h"

static struct wd_config cfg;
static struct wd_filter_maps filters;
static struct wd_dispatch d;
static char out_path[600];

/* the kernel, faked */
static struct { uint32_t pid, slot, probes; int sets, dels; } kv;
static uint64_t k_suppressed;
static struct wd_flood_key k_key;
static struct wd_flood_val k_val;
static int k_keys;

static int f_set(void *c, uint32_t pid, uint64_t s, uint32_t slot, uint32_t probes)
{
	(void)c, (void)s;
	kv.pid = pid, kv.slot = slot, kv.probes = probes, kv.sets++;
	return 0;
}

static void f_del(void *c, uint32_t pid, uint64_t s)
{
	(void)c, (void)pid, (void)s;
	kv.dels++;
}

static void f_clear(void *c)
{
	(void)c;
}

static void f_burst(void *c, uint32_t b)
{
	(void)c, (void)b;
}

static int f_take(void *c, uint32_t pid, uint64_t s, wd_flood_take_cb fn, void *arg)
{
	(void)c, (void)pid, (void)s;
	for (; k_keys > 0; k_keys--)
		fn(arg, &k_key, &k_val);
	return 0;
}

static uint64_t f_suppressed(void *c)
{
	(void)c;
	return k_suppressed;
}

static const char *const rules_yaml =
	"rules:\n"
	"  - {name: curl-out, action: drop, match: {exe: /usr/bin/curl}}\n"
	"  - {name: app-443, action: drop, match: {exe: /usr/bin/app, port: 443}}\n"
	"  - {name: under-cron, action: tag, match: {ancestor_cmdline: \"*cron*\"}}\n";

static void setup(void)
{
	char yaml[1024], err[WD_ERR_LEN], why[256];

	fakeproc_setup();
	snprintf(out_path, sizeof(out_path), "%s/events.json", root);
	snprintf(yaml, sizeof(yaml), "agent: {output: \"file:%s\"}\ntcp_connect: {}\n%s",
		 out_path, rules_yaml);
	wd_config_init(&cfg);
	cr_assert_eq(wd_config_parse(&cfg, "t.yaml", yaml, strlen(yaml), err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(wd_filter_compile(&cfg, &filters, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(wd_dispatch_init(&d, &cfg, &filters, root, "/nonexistent"), 0);
	cr_assert_eq(wd_sink_open(&d.sink), 0);
	d.rules.hooks = (struct wd_rule_hooks){ f_set, f_del, f_clear, NULL, NULL };
	d.flood.hooks = (struct wd_flood_hooks){ f_burst, NULL, f_take, f_suppressed, NULL };
	wd_dispatch_settings(&d);
	memset(&kv, 0, sizeof(kv));
	k_suppressed = 0;
	k_keys = 0;
}

static void teardown(void)
{
	wd_dispatch_free(&d);
	wd_filter_maps_free(&filters);
	wd_config_free(&cfg);
	fakeproc_teardown();
}

TestSuite(rules_agent, .init = setup, .fini = teardown);

/* fork of pid by ppid, then its exec of exe with args (NUL-separated). */
static void spawn(uint32_t pid, uint32_t ppid, const char *exe, const char *args,
		  size_t alen)
{
	static struct wd_proc_event p;

	memset(&p, 0, sizeof(p));
	p.hdr = (struct wd_event_hdr){ .type = WD_EV_FORK, .size = WD_PROC_EVENT_FIXED };
	p.pid = pid;
	p.ppid = ppid;
	p.start_ns = pid * 1000000000ull;
	p.parent_start_ns = ppid * 1000000000ull;
	wd_dispatch_record(&d, &p, WD_PROC_EVENT_FIXED);
	p.hdr.type = WD_EV_EXEC;
	strcpy(p.data, exe);
	memcpy(p.data + WD_PATH_MAX, args, alen);
	p.args_len = (uint16_t)alen;
	p.hdr.size = WD_PROC_EVENT_FIXED + WD_PATH_MAX + (uint32_t)alen;
	wd_dispatch_record(&d, &p, p.hdr.size);
}

static void connect_from(uint32_t pid, uint16_t port)
{
	static struct wd_connect_event e;

	memset(&e, 0, sizeof(e));
	e.hdr = (struct wd_event_hdr){ .type = WD_EV_TCP_CONNECT, .ts_ns = 5000000000ull,
				       .size = WD_CONNECT_EVENT_FIXED + sizeof(e.tree[0]) };
	e.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.9", e.daddr);
	e.dport = port;
	e.tid = pid;
	e.depth = 1;
	e.tree[0] = (struct wd_proc){ .pid = pid, .start_ns = pid * 1000000000ull };
	wd_dispatch_record(&d, &e, e.hdr.size);
}

static char *output(void)
{
	return tu_output(&d, out_path);
}

Test(rules_agent, drop_counts_tag_names_and_the_kernel_gets_verdicts)
{
	char *s;

	spawn(50, 1, "/usr/sbin/cron", "/usr/sbin/cron\0-f", 17);
	spawn(60, 50, "/bin/sh", "sh\0-c\0job", 10);
	spawn(70, 60, "/usr/bin/curl", "curl\0x", 7);
	cr_assert_eq(kv.pid, 70, "curl-out is decided per process");
	cr_assert_eq(kv.probes, 3u); /* tcp_connect and net_listen */
	cr_assert_eq(kv.slot, d.rules.slot_of[0]);
	spawn(80, 60, "/usr/bin/app", "app", 4);
	connect_from(70, 80);  /* before the kernel had the verdict: dropped here */
	connect_from(80, 443); /* app-443: per event */
	connect_from(80, 80);  /* tagged: its grandparent is cron */
	s = output();
	cr_assert_eq(strstr(s, "\"pid\":70,") == NULL, true, "%s", s);
	cr_assert(strstr(s, "\"port\":80,"), "%s", s);
	cr_assert(strstr(s, ",\"rules\":[\"under-cron\"]}"), "%s", s);
	cr_assert_eq(wd_rstate_count(&d.rules, 0, NULL), 1);
	cr_assert_eq(wd_rstate_count(&d.rules, 1, NULL), 1);
	cr_assert_eq(wd_rstate_count(&d.rules, 2, NULL), 1);
	free(s);
}

Test(rules_agent, exit_removes_the_verdict)
{
	struct wd_proc_event p = { 0 };

	spawn(70, 1, "/usr/bin/curl", "curl", 5);
	p.hdr = (struct wd_event_hdr){ .type = WD_EV_EXIT, .size = WD_PROC_EVENT_FIXED };
	p.pid = 70;
	p.start_ns = 70 * 1000000000ull;
	wd_dispatch_record(&d, &p, WD_PROC_EVENT_FIXED);
	cr_assert_eq(kv.dels, 1);
	free(output());
}

Test(rules_agent, flood_summary_and_uncounted_losses)
{
	char *s;

	spawn(80, 1, "/usr/bin/app", "app", 4);
	k_key = (struct wd_flood_key){ .tgid = 80, .start_ns = 80 * 1000000000ull,
				       .port = 8080, .family = AF_INET };
	inet_pton(AF_INET, "192.0.2.9", k_key.addr);
	k_val = (struct wd_flood_val){ .emitted = 100, .suppressed = 19900,
				       .first_ns = 6000000000ull, .last_ns = 7000000000ull };
	k_keys = 1;
	k_suppressed = 19903; /* 3 the kernel counted that no key gave back */
	s = output(); /* (the stop takes every key) */
	cr_assert(strstr(s, "\"pid\":80,"), "%s", s);
	cr_assert(strstr(s, "\"daddr\":\"192.0.2.9\",\"port\":8080,"), "%s", s);
	cr_assert(strstr(s, ",\"repeat_count\":19900,\"first_seen\":\""), "%s", s);
	cr_assert(strstr(s, "\"last_seen\":\""), "%s", s);
	cr_assert(strstr(s, "\"event\":\"lost\",\"count\":3,\"reason\":\"repeat_uncounted\""),
		  "%s", s);
	cr_assert_eq(d.flood.reported, 19900);
	cr_assert_eq(d.flood.lost, 3);
	free(s);
}
