// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "fakeproc.h"
#include "output/format.h"

static struct wd_ptable pt;
static struct wd_lineage lin;
static struct wd_users users;
static struct wd_enrich en;

static void put_proc(int pid, int ppid, const char *comm, unsigned long long ticks,
		     const char *cmdline, size_t len)
{
	fake_proc(pid, ppid, comm, ticks, cmdline, len);
}

static void setup(void)
{
	static const char pw[] = "root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n";

	fakeproc_setup();
	cr_assert_eq(wd_ptable_init(&pt, root, 64), 0);
	cr_assert_eq(wd_users_parse(&users, pw, sizeof(pw) - 1), 0);
	en = (struct wd_enrich){ .ptable = &pt, .users = &users, .lineage = &lin,
				 /* boot at 2026-11-30T00:00:00Z */
				 .boot_to_real_ns = 1795996800LL * 1000000000LL };
}

static void teardown(void)
{
	wd_ptable_free(&pt);
	wd_users_free(&users);
	fakeproc_teardown();
}

TestSuite(format, .init = setup, .fini = teardown);

static void proc(struct wd_proc *p, uint32_t pid, uint32_t ppid, uint32_t uid,
		 const char *comm, uint64_t start_s)
{
	*p = (struct wd_proc){ .pid = pid, .ppid = ppid, .uid = uid,
			       .start_ns = start_s * 1000000000ull };
	memcpy(p->comm, comm, strlen(comm));
}

Test(format, full_event)
{
	struct wd_connect_event e = { 0 };
	struct wd_buf b = { 0 };

	e.hdr = (struct wd_event_hdr){ .type = WD_EV_TCP_CONNECT,
				       .variant = WD_VARIANT_TRACEPOINT,
				       .ts_ns = 61500001000ull };
	e.cgroup_id = 77;
	e.netns = 4026531840u;
	e.tid = 301;
	e.uid = 1000;
	e.error = -111;
	e.family = AF_INET;
	e.sport = 40000;
	e.dport = 443;
	inet_pton(AF_INET, "10.1.2.3", e.saddr);
	inet_pton(AF_INET, "93.184.216.34", e.daddr);
	memcpy(e.comm, "curl-worker", 11);
	e.depth = 3;
	proc(&e.tree[0], 300, 200, 1000, "curl", 60);
	proc(&e.tree[1], 200, 1, 4242, "bash", 30);
	proc(&e.tree[2], 1, 0, 0, "systemd", 0);
	put_proc(300, 200, "curl", 6000, "curl\0-s\0https://x/\"q\"\0", 23);
	put_proc(200, 1, "bash", 3000, "-bash\0", 6);
	/* pid 1 in the fake root is another process (start time differs) */
	put_proc(1, 0, "init", 5, "/sbin/init\0", 11);

	cr_assert_eq(wd_event_check(&e, sizeof(e)), 0);
	wd_format_connect(&b, &e, &en);
	cr_assert_str_eq(wd_buf_cstr(&b),
		"{\"timestamp\":\"2026-11-30T00:01:01.500001Z\",\"seq\":1,\"probe\":\"tcp_connect\","
		"\"pid\":300,\"tid\":301,\"uid\":1000,\"username\":\"alice\","
		"\"comm\":\"curl-worker\",\"family\":\"ipv4\",\"daddr\":\"93.184.216.34\","
		"\"port\":443,\"saddr\":\"10.1.2.3\",\"sport\":40000,"
		"\"error\":\"ECONNREFUSED\",\"hook\":\"tracepoint\",\"netns\":4026531840,"
		"\"cgroup_id\":77,\"ancestry\":\"partial\",\"proctree\":["
		"{\"pid\":300,\"ppid\":200,\"cmdline\":\"curl -s https://x/\\\"q\\\"\","
		"\"username\":\"alice\",\"uid\":1000,\"comm\":\"curl\","
		"\"start_time\":\"2026-11-30T00:01:00.000000Z\"},"
		"{\"pid\":200,\"ppid\":1,\"cmdline\":\"-bash\",\"username\":\"4242\","
		"\"uid\":4242,\"comm\":\"bash\",\"start_time\":\"2026-11-30T00:00:30.000000Z\"},"
		"{\"pid\":1,\"ppid\":0,\"cmdline\":\"systemd\",\"username\":\"root\","
		"\"uid\":0,\"comm\":\"systemd\",\"start_time\":\"2026-11-30T00:00:00.000000Z\","
		"\"cmdline_missing\":true}],\"proctree_truncated\":false}");
	wd_buf_free(&b);
}

Test(format, ipv6_success_and_truncation_flag)
{
	struct wd_connect_event e = { 0 };
	struct wd_buf b = { 0 };
	const char *s;

	e.hdr = (struct wd_event_hdr){ .type = WD_EV_TCP_CONNECT, .variant = WD_VARIANT_FENTRY };
	e.family = AF_INET6;
	e.dport = 80;
	e.flags = WD_F_TRUNCATED;
	inet_pton(AF_INET6, "::1", e.saddr);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", e.daddr);
	memcpy(e.comm, "x\n\"", 3);
	e.depth = 1;
	proc(&e.tree[0], 9, 8, 0, "x\n\"", 1);
	wd_format_connect(&b, &e, &en);
	s = wd_buf_cstr(&b);
	cr_assert(strstr(s, "\"family\":\"ipv6\",\"daddr\":\"::ffff:127.0.0.1\""), "%s", s);
	cr_assert(strstr(s, "\"saddr\":\"::1\""), "%s", s);
	cr_assert(strstr(s, "\"error\":\"\""), "%s", s);
	cr_assert(strstr(s, "\"hook\":\"fentry\""), "%s", s);
	cr_assert(strstr(s, "\"comm\":\"x\\n\\\"\""), "%s", s);
	cr_assert(strstr(s, "\"proctree_truncated\":true}"), "%s", s);
	cr_assert_null(strchr(s, '\n'));
	wd_buf_free(&b);
}

Test(format, malformed_records_are_rejected)
{
	struct wd_connect_event e = { 0 };

	e.hdr.type = WD_EV_TCP_CONNECT;
	e.family = AF_INET;
	e.depth = 2;
	e.hdr.size = WD_CONNECT_EVENT_FIXED + 2 * sizeof(struct wd_proc);
	cr_assert_eq(wd_event_check(&e, e.hdr.size), 0);
	cr_assert_eq(wd_event_check(&e, e.hdr.size - 1), -EBADMSG);
	cr_assert_eq(wd_event_check(&e, 8), -EBADMSG);
	e.depth = WD_MAX_DEPTH + 1;
	cr_assert_eq(wd_event_check(&e, sizeof(e)), -EBADMSG);
	e.depth = 1;
	e.family = 1;
	cr_assert_eq(wd_event_check(&e, sizeof(e)), -EBADMSG);
	e.family = AF_INET;
	e.hdr.type = 99;
	cr_assert_eq(wd_event_check(&e, sizeof(e)), -EBADMSG);
}

Test(format, time_before_epoch_second_boundary)
{
	struct wd_buf b = { 0 };

	wd_format_time(&b, 1795996800LL * 1000000000LL + 999999999LL);
	cr_assert_str_eq(wd_buf_cstr(&b), "\"2026-11-30T00:00:00.999999Z\"");
	wd_buf_free(&b);
}

Test(format, fast_time_matches_gmtime)
{
	struct wd_buf b = { 0 };
	uint64_t x = 88172645463325252ull;

	for (int i = 0; i < 20000; i++) {
		int64_t ns;
		time_t sec;
		struct tm tm;
		char want[64];

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* 1970 .. ~2100, including leap days and month ends */
		ns = (int64_t)(x % (4102444800ull * 1000000000ull));
		sec = (time_t)(ns / 1000000000);
		gmtime_r(&sec, &tm);
		strftime(want, sizeof(want), "\"%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want + strlen(want), sizeof(want) - strlen(want), ".%06ldZ\"",
			 (long)(ns % 1000000000 / 1000));
		wd_buf_reset(&b);
		wd_format_time(&b, ns);
		cr_assert_str_eq(wd_buf_cstr(&b), want);
	}
	wd_buf_reset(&b);
	wd_format_time(&b, 951782400LL * 1000000000LL); /* 2000-02-29 */
	cr_assert_str_eq(wd_buf_cstr(&b), "\"2000-02-29T00:00:00.000000Z\"");
	wd_buf_free(&b);
}

Test(format, long_records_are_cut_to_fit_and_stay_valid)
{
	struct wd_connect_event e = { 0 };
	struct wd_buf b = { 0 };
	static char big[5000];
	const char *s;

	memset(big, 'A', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	e.hdr = (struct wd_event_hdr){ .type = WD_EV_TCP_CONNECT, .variant = WD_VARIANT_TRACEPOINT };
	e.family = AF_INET;
	e.depth = 3;
	proc(&e.tree[0], 300, 200, 1000, "java", 60);
	proc(&e.tree[1], 200, 1, 0, "java", 30);
	proc(&e.tree[2], 1, 0, 0, "init", 0);
	put_proc(300, 200, "java", 6000, big, sizeof(big));
	put_proc(200, 1, "java", 3000, big, sizeof(big));
	put_proc(1, 0, "init", 0, "/sbin/init\0", 11);
	en.max_bytes = 3000;
	wd_format_connect(&b, &e, &en);
	s = wd_buf_cstr(&b);
	cr_assert_leq(b.len, 3000, "%zu bytes", b.len);
	cr_assert(strstr(s, "AAA...\",\"username\""), "%s", s);
	cr_assert(strstr(s, "\"cmdline_truncated\":true"), "%s", s);
	cr_assert(strstr(s, "\"cmdline\":\"/sbin/init\""), "short cmdlines are kept: %s", s);
	cr_assert_eq(s[b.len - 1], '}');
	cr_assert_eq(en.shortened, 1);
	wd_buf_free(&b);
	en.max_bytes = 0;
}

Test(format, sequence_numbers_count_up)
{
	struct wd_connect_event e = { 0 };
	struct wd_buf b = { 0 };

	e.hdr = (struct wd_event_hdr){ .type = WD_EV_TCP_CONNECT };
	e.family = AF_INET;
	wd_format_connect(&b, &e, &en);
	cr_assert(strstr(wd_buf_cstr(&b), "\"seq\":1,"), "%s", b.p);
	wd_buf_reset(&b);
	wd_format_connect(&b, &e, &en);
	cr_assert(strstr(wd_buf_cstr(&b), "\"seq\":2,"), "%s", b.p);
	wd_buf_free(&b);
}

/* A process whose /proc/PID/status cannot be read is not reported as root. */
Test(format, unknown_uid_has_no_uid_or_username)
{
	struct wd_connect_event e = { 0 };
	struct wd_buf b = { 0 };
	char path[600];
	const char *s, *init;

	e.hdr = (struct wd_event_hdr){ .type = WD_EV_TCP_CONNECT,
				       .variant = WD_VARIANT_TRACEPOINT, .ts_ns = 1 };
	e.tid = 300;
	e.uid = 1000;
	e.family = AF_INET;
	e.depth = 1;
	proc(&e.tree[0], 300, 1, 1000, "curl", 60);
	put_proc(300, 1, "curl", 6000, "curl\0", 5);
	put_proc(1, 0, "init", 5, "/sbin/init\0", 11);
	snprintf(path, sizeof(path), "%s/1/status", root);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(wd_ptable_seed(&pt), 2);
	wd_format_connect(&b, &e, &en);
	s = wd_buf_cstr(&b);
	init = strstr(s, "{\"pid\":1,");
	cr_assert_not_null(init, "%s", s);
	cr_assert_null(strstr(init, "\"uid\""), "%s", s);
	cr_assert_null(strstr(init, "username"), "%s", s);
	cr_assert_null(strstr(s, "root"), "%s", s);
	wd_buf_free(&b);
}

Test(format, any_error_value_is_named_without_overflow)
{
	struct wd_connect_event e = { 0 };
	struct wd_buf b = { 0 };

	e.hdr = (struct wd_event_hdr){ .type = WD_EV_TCP_CONNECT };
	e.family = AF_INET;
	e.error = -2147483647 - 1; /* (found by the record fuzzer under UBSan) */
	wd_format_connect(&b, &e, &en);
	cr_assert(strstr(wd_buf_cstr(&b), "\"error\":\"E2147483648\""), "%s", b.p);
	wd_buf_reset(&b);
	e.error = 5; /* not a negative errno: shown as it came */
	wd_format_connect(&b, &e, &en);
	cr_assert(strstr(wd_buf_cstr(&b), "\"error\":\"E-5\""), "%s", b.p);
	wd_buf_free(&b);
}
