// SPDX-License-Identifier: GPL-2.0-only
/*
 * Golden records: a fixed set of kernel records (process lifecycle, connects,
 * listens, snapshots, UDP sessions, hostile bytes, size limits) formatted and
 * compared byte for byte with tests/unit/golden/records.jsonl, which was
 * captured before the restructure. Any change to the JSON shows here.
 *
 * WD_GOLDEN_WRITE=1 rewrites the file instead (only on purpose).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fakeproc.h"
#include "output/format.h"
#include "util/file.h"
#include "agent/udp_session.h"

#define GOLDEN "tests/unit/golden/records.jsonl"
#define BOOT_TO_REAL (1795996800LL * 1000000000LL) /* boot at 2026-11-30T00:00Z */
#define SEC 1000000000ull

static struct wd_ptable pt;
static struct wd_lineage lin;
static struct wd_users users;
static struct wd_enrich en;
static struct wd_buf out;

static void setup(void)
{
	static const char pw[] = "root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n"
				 "bob:x:1001:1001::/:/bin/sh\n";

	fakeproc_setup();
	cr_assert_eq(wd_ptable_init(&pt, root, 64), 0);
	cr_assert_eq(wd_users_parse(&users, pw, sizeof(pw) - 1), 0);
	en = (struct wd_enrich){ .ptable = &pt, .users = &users, .lineage = &lin,
				 .boot_to_real_ns = BOOT_TO_REAL };
}

static void teardown(void)
{
	wd_ptable_free(&pt);
	wd_users_free(&users);
	wd_buf_free(&out);
	fakeproc_teardown();
}

static void line_done(struct wd_buf *b)
{
	wd_buf_put(&out, b->p, b->len);
	wd_buf_putc(&out, '\n');
	wd_buf_reset(b);
}

static void proc_rec(uint16_t type, uint32_t pid, uint32_t ppid, uint64_t start,
		     uint64_t pstart, uint32_t uid, const char *comm, const char *path,
		     const char *args, size_t args_len)
{
	static struct wd_proc_event e;
	size_t size = WD_PROC_EVENT_FIXED;

	memset(&e, 0, sizeof(e));
	e.hdr = (struct wd_event_hdr){ .type = type, .ts_ns = start };
	e.pid = pid;
	e.ppid = ppid;
	e.start_ns = start;
	e.parent_start_ns = pstart;
	e.uid = uid;
	e.loginuid = uid == 0 ? 0xffffffffu : uid;
	memcpy(e.comm, comm, strnlen(comm, WD_COMM_LEN));
	if (type == WD_EV_EXEC) {
		snprintf(e.data, WD_PATH_MAX, "%s", path);
		memcpy(e.data + WD_PATH_MAX, args, args_len);
		e.args_len = (uint16_t)args_len;
		size += WD_PATH_MAX + args_len;
	}
	e.hdr.size = (uint32_t)size;
	wd_ptable_apply(&pt, &e, size);
}

static void tree(struct wd_connect_event *e, int i, uint32_t pid, uint32_t ppid,
		 uint32_t uid, const char *comm, uint64_t start)
{
	e->tree[i] = (struct wd_proc){ .pid = pid, .ppid = ppid, .uid = uid,
				       .start_ns = start };
	memcpy(e->tree[i].comm, comm, strnlen(comm, WD_COMM_LEN));
	if ((uint16_t)(i + 1) > e->depth)
		e->depth = (uint16_t)(i + 1);
}

static void connect_rec(struct wd_connect_event *e, uint16_t type, uint16_t variant,
			uint64_t ts, int family, const char *saddr, uint16_t sport,
			const char *daddr, uint16_t dport, int error)
{
	memset(e, 0, sizeof(*e));
	e->hdr = (struct wd_event_hdr){ .type = type, .variant = variant, .ts_ns = ts };
	e->cgroup_id = 4242;
	e->netns = 4026531840u;
	e->family = (uint16_t)family;
	e->sport = sport;
	e->dport = dport;
	e->error = error;
	e->protocol = 6;
	if (saddr)
		inet_pton(family, saddr, e->saddr);
	if (daddr)
		inet_pton(family, daddr, e->daddr);
}

static void format_one(struct wd_connect_event *e, struct wd_buf *b)
{
	e->hdr.size = WD_CONNECT_EVENT_FIXED + e->depth * (uint32_t)sizeof(struct wd_proc);
	cr_assert_eq(wd_event_check(e, e->hdr.size), 0);
	wd_format_connect(b, e, &en);
	line_done(b);
}

/* A lineage known from fork/exec records: init -> sshd -> bash -> curl. */
static void lifecycle_records(struct wd_connect_event *e, struct wd_buf *b)
{
	static const char curl_args[] = "curl\0-s\0https://example.test/\xff\x01\"q\"\0";

	fake_proc(1, 0, "systemd", 1, "/sbin/init\0splash\0", 18);
	wd_ptable_seed(&pt);
	proc_rec(WD_EV_FORK, 400, 1, 5 * SEC, SEC / 100, 0, "systemd", NULL, NULL, 0);
	proc_rec(WD_EV_EXEC, 400, 0, 5 * SEC, 0, 0, "sshd", "/usr/sbin/sshd",
		 "sshd: alice [priv]\0", 19);
	proc_rec(WD_EV_FORK, 410, 400, 6 * SEC, 5 * SEC, 1000, "sshd", NULL, NULL, 0);
	proc_rec(WD_EV_EXEC, 410, 0, 6 * SEC, 0, 1000, "bash", "/bin/bash", "-bash\0", 6);
	proc_rec(WD_EV_FORK, 420, 410, 7 * SEC, 6 * SEC, 1000, "bash", NULL, NULL, 0);
	proc_rec(WD_EV_EXEC, 420, 0, 7 * SEC, 0, 1000, "curl", "/usr/bin/curl", curl_args,
		 sizeof(curl_args));

	connect_rec(e, WD_EV_TCP_CONNECT, WD_VARIANT_FENTRY, 8 * SEC + 123456789, AF_INET,
		    "10.0.0.5", 40022, "93.184.216.34", 443, 0);
	e->tid = 421;
	e->uid = 1000;
	memcpy(e->comm, "curl-worker", 11);
	tree(e, 0, 420, 410, 1000, "curl", 7 * SEC);
	tree(e, 1, 410, 400, 1000, "bash", 6 * SEC);
	tree(e, 2, 400, 1, 0, "sshd", 5 * SEC);
	tree(e, 3, 1, 0, 0, "systemd", SEC / 100);
	format_one(e, b);

	/* bash exits: curl's next connect is reparented to init. */
	proc_rec(WD_EV_EXIT, 410, 0, 6 * SEC, 0, 1000, "bash", NULL, NULL, 0);
	connect_rec(e, WD_EV_TCP_CONNECT, WD_VARIANT_KPROBE, 9 * SEC, AF_INET6, "::1", 50000,
		    "2001:db8::7", 8443, -111);
	e->tid = 420;
	e->uid = 1000;
	memcpy(e->comm, "curl", 4);
	tree(e, 0, 420, 1, 1000, "curl", 7 * SEC);
	tree(e, 1, 1, 0, 0, "systemd", SEC / 100);
	format_one(e, b);
}

/* Processes the table does not know: /proc fallback, missing, truncated. */
static void unknown_records(struct wd_connect_event *e, struct wd_buf *b)
{
	fake_proc(500, 1, "python3", 300, "python3\0-c\0import socket\0", 25);
	connect_rec(e, WD_EV_TCP_CONNECT, WD_VARIANT_TRACEPOINT, 10 * SEC, AF_INET, NULL, 0,
		    "192.0.2.1", 22, -101);
	e->tid = 500;
	e->uid = 1001;
	memcpy(e->comm, "python3", 7);
	tree(e, 0, 500, 1, 1001, "python3", 3 * SEC);
	tree(e, 1, 1, 0, 0, "systemd", SEC / 100);
	format_one(e, b);

	/* gone before we looked, kernel chain cut at WD_MAX_DEPTH, odd bytes */
	connect_rec(e, WD_EV_TCP_CONNECT, WD_VARIANT_TRACEPOINT, 11 * SEC, AF_INET6, "::",
		    0, "::ffff:127.0.0.1", 80, -113);
	e->flags = WD_F_TRUNCATED;
	e->tid = 601;
	e->uid = 4242;
	memcpy(e->comm, "x\n\"\\\x7f\xc3\x28", 7);
	for (int i = 0; i < WD_MAX_DEPTH; i++)
		tree(e, i, 600 + (uint32_t)i, 601 + (uint32_t)i, 4242, "sh\t\x01", 2 * SEC);
	format_one(e, b);
}

static void listen_records(struct wd_connect_event *e, struct wd_buf *b)
{
	connect_rec(e, WD_EV_LISTEN, WD_VARIANT_TRACEPOINT, 12 * SEC, AF_INET6, "::", 8080,
		    NULL, 0, 0);
	e->flags = WD_F_DUAL_STACK;
	e->tid = 420;
	e->uid = 1000;
	memcpy(e->comm, "curl", 4);
	tree(e, 0, 420, 1, 1000, "curl", 7 * SEC);
	tree(e, 1, 1, 0, 0, "systemd", SEC / 100);
	format_one(e, b);

	connect_rec(e, WD_EV_LISTEN, WD_VARIANT_TRACEPOINT, 13 * SEC, AF_INET, "127.0.0.1",
		    33333, NULL, 0, 0);
	e->protocol = 17;
	e->flags = WD_F_RANDOM_BIND;
	e->tid = 500;
	e->uid = 1001;
	tree(e, 0, 500, 1, 1001, "python3", 3 * SEC);
	format_one(e, b);

	/* a periodic snapshot's record, as the agent builds it from /proc */
	connect_rec(e, WD_EV_LISTEN, WD_VARIANT_NONE, 14 * SEC, AF_INET, "0.0.0.0", 22,
		    NULL, 0, 0);
	e->flags = WD_F_COARSE_START;
	e->tid = 500;
	tree(e, 0, 500, 1, 0, "python3", 300 * (SEC / 100));
	en.snapshot = true;
	format_one(e, b);
	en.snapshot = false;
}

static int golden_take(void *ctx, const struct wd_udp_key *k, struct wd_udp_val *v)
{
	(void)ctx;
	if (k->port != 53)
		return -1;
	*v = (struct wd_udp_val){ .first_ns = 15 * SEC, .last_ns = 17 * SEC + SEC / 4,
				  .count = 12 };
	return 0;
}

static void udp_records(struct wd_connect_event *e, struct wd_buf *b)
{
	struct wd_udp_table t;
	struct wd_udp_session *s;
	struct wd_buf common = { 0 };
	struct wd_udp_fmt f;
	uint8_t a6[16] = { 0 };

	connect_rec(e, WD_EV_UDP_DEST, WD_VARIANT_NONE, 15 * SEC, AF_INET, NULL, 0,
		    "127.0.0.53", 53, 0);
	e->protocol = 17;
	e->cookie = 77;
	e->tid = 420;
	e->uid = 1000;
	tree(e, 0, 420, 1, 1000, "curl", 7 * SEC);
	tree(e, 1, 1, 0, 0, "systemd", SEC / 100);
	e->hdr.size = WD_CONNECT_EVENT_FIXED + e->depth * (uint32_t)sizeof(struct wd_proc);
	cr_assert_eq(wd_event_check(e, e->hdr.size), 0);
	wd_format_udp_common(&common, e, &en, 0);
	wd_udp_init(&t, 8);
	s = wd_udp_add(&t, 77, e->hdr.ts_ns, common.p, common.len, AF_INET, e->daddr, 53);
	cr_assert_not_null(s);
	f = (struct wd_udp_fmt){ .real_ns = (int64_t)(15 * SEC) + BOOT_TO_REAL,
				 .boot_to_real_ns = BOOT_TO_REAL, .seq = ++en.seq, .error = "",
				 .first = true, .take = golden_take };
	wd_udp_format(b, s, &f);
	line_done(b);
	inet_pton(AF_INET6, "2001:db8::53", a6);
	wd_udp_add(&t, 77, 16 * SEC, "", 0, AF_INET6, a6, 5353);
	f.real_ns = (int64_t)(18 * SEC) + BOOT_TO_REAL;
	f.seq = ++en.seq;
	f.error = "session_max_duration_exceeded";
	f.first = false;
	wd_udp_format(b, s, &f);
	line_done(b);
	wd_udp_remove(&t, s);
	wd_udp_free(&t);
	wd_buf_free(&common);
}

/* A record over max_bytes: cmdlines cut, then middle ancestors left out. */
static void limited_records(struct wd_connect_event *e, struct wd_buf *b)
{
	static char big[3000];

	memset(big, 'A', sizeof(big) - 1);
	for (int i = 0; i < 6; i++)
		fake_proc(700 + i, i ? 700 + i - 1 : 1, "java", 400, big, sizeof(big));
	connect_rec(e, WD_EV_TCP_CONNECT, WD_VARIANT_TRACEPOINT, 19 * SEC, AF_INET,
		    "10.0.0.5", 1234, "198.51.100.9", 9000, 0);
	e->tid = 705;
	for (int i = 0; i < 6; i++)
		tree(e, i, 705 - (uint32_t)i, i == 5 ? 1 : 704 - (uint32_t)i, 0, "java",
		     4 * SEC);
	tree(e, 6, 1, 0, 0, "systemd", SEC / 100);
	en.max_bytes = 4000;
	format_one(e, b);
	en.max_bytes = 1200;
	format_one(e, b);
	en.max_bytes = 0;
}

TestSuite(golden, .init = setup, .fini = teardown);

Test(golden, records_are_byte_identical_to_the_capture)
{
	static struct wd_connect_event e;
	struct wd_buf b = { 0 };
	size_t want_len = 0;
	char *want;
	int err = 0;
	FILE *f;

	lifecycle_records(&e, &b);
	unknown_records(&e, &b);
	listen_records(&e, &b);
	udp_records(&e, &b);
	limited_records(&e, &b);
	wd_buf_free(&b);
	cr_assert(!out.oom);
	if (getenv("WD_GOLDEN_WRITE")) {
		f = fopen(GOLDEN, "wb");
		cr_assert_not_null(f);
		fwrite(out.p, 1, out.len, f);
		cr_assert_eq(fclose(f), 0);
	}
	want = wd_read_file(GOLDEN, 1 << 20, &want_len, NULL, &err);
	cr_assert_not_null(want, "%s: %d", GOLDEN, err);
	cr_assert_eq(out.len, want_len, "length %zu, captured %zu:\n%.*s", out.len, want_len,
		     (int)out.len, out.p);
	cr_assert(!memcmp(out.p, want, want_len), "records differ:\n%.*s", (int)out.len,
		  out.p);
	free(want);
}
