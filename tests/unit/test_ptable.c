// SPDX-License-Identifier: GPL-2.0-only
/* The process table: fork/exec/exit records, lineage, eviction, pid reuse. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakeproc.h"
#include "proc/ptable.h"

static struct wd_ptable t;
static struct wd_lineage lin;

#define NS(ticks) ((uint64_t)(ticks) * t.ns_per_tick)

static void setup(void)
{
	fakeproc_setup();
}

static void teardown(void)
{
	wd_ptable_free(&t);
	fakeproc_teardown();
}

TestSuite(ptable, .init = setup, .fini = teardown);

static void rec(uint16_t type, uint32_t pid, uint64_t start, uint32_t ppid,
		uint64_t pstart, const char *comm, const char *path, const char *args,
		size_t args_len)
{
	static struct wd_proc_event e;
	size_t size = WD_PROC_EVENT_FIXED;

	memset(&e, 0, sizeof(e));
	e.hdr.type = type;
	e.pid = pid;
	e.start_ns = start;
	e.ppid = ppid;
	e.parent_start_ns = pstart;
	e.loginuid = WD_LOGINUID_UNSET;
	strncpy(e.comm, comm, sizeof(e.comm) - 1);
	if (type == WD_EV_EXEC) {
		strncpy(e.data, path, WD_PATH_MAX - 1);
		memcpy(e.data + WD_PATH_MAX, args, args_len);
		e.args_len = (uint16_t)args_len;
		size += WD_PATH_MAX + args_len;
	}
	e.hdr.size = (uint32_t)size;
	wd_ptable_apply(&t, &e, size);
}

#define FORK(pid, start, ppid, pstart, comm) \
	rec(WD_EV_FORK, pid, start, ppid, pstart, comm, NULL, NULL, 0)
#define EXEC(pid, start, comm, path, args) \
	rec(WD_EV_EXEC, pid, start, 0, 0, comm, path, args, sizeof(args))
#define EXIT(pid, start) rec(WD_EV_EXIT, pid, start, 0, 0, "", NULL, NULL, 0)

/* A connect event whose kernel chain is the given (pid, ppid, start) list. */
static struct wd_connect_event ev;

static void kchain(int n, const uint32_t *pids, const uint32_t *ppids,
		   const uint64_t *starts)
{
	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = WD_EV_TCP_CONNECT;
	ev.family = 2;
	ev.depth = (uint16_t)n;
	for (int i = 0; i < n; i++) {
		ev.tree[i].pid = pids[i];
		ev.tree[i].ppid = ppids[i];
		ev.tree[i].start_ns = starts[i];
		snprintf(ev.tree[i].comm, sizeof(ev.tree[i].comm), "k%u", pids[i]);
	}
}

static void init_with_pid1(size_t max)
{
	fake_proc(1, 0, "init", 1, "/sbin/init\0", 11);
	cr_assert_eq(wd_ptable_init(&t, root, max), 0);
	cr_assert_eq(wd_ptable_seed(&t), 1);
}

Test(ptable, seed_then_fork_exec_gives_cache_lineage)
{
	init_with_pid1(64);
	FORK(100, NS(50) + 7, 1, NS(1) + 3, "init");
	EXEC(100, NS(50) + 7, "curl", "/usr/bin/curl", "curl\0-s\0x\0");
	{
		uint32_t p[] = { 100, 1 }, pp[] = { 1, 0 };
		uint64_t s[] = { NS(50) + 7, NS(1) + 3 };

		kchain(2, p, pp, s);
	}
	wd_lineage_build(&t, &ev, &lin);
	cr_assert_eq(lin.n, 2);
	cr_assert_eq(lin.v[0].node->pid, 100);
	cr_assert_eq(lin.v[0].node->cmdline_len, 9);
	cr_assert(memcmp(lin.v[0].node->cmdline, "curl -s x", 9) == 0);
	cr_assert_str_eq(lin.v[0].node->exe, "/usr/bin/curl");
	cr_assert_eq(lin.v[1].node->pid, 1);
	/* pid 1 was seeded from /proc: the ancestry says so */
	cr_assert_eq(lin.source, WD_ANC_PROC);
	cr_assert(!lin.truncated && !lin.reparented);
	/* the coarse seed entry learned its exact start time */
	cr_assert(!lin.v[1].node->coarse);
	cr_assert_eq(lin.v[1].node->start_ns, NS(1) + 3);
}

Test(ptable, exited_process_keeps_its_cmdline_until_released)
{
	init_with_pid1(64);
	FORK(200, NS(60), 1, NS(1), "init");
	EXEC(200, NS(60), "py", "/usr/bin/python3", "python3\0-c\0x\0");
	cr_assert_eq(t.count, 2);
	/* The connect record comes before the exit record in the ring. */
	{
		uint32_t p[] = { 200, 1 }, pp[] = { 1, 0 };
		uint64_t s[] = { NS(60), NS(1) };

		kchain(2, p, pp, s);
	}
	wd_lineage_build(&t, &ev, &lin);
	cr_assert(memcmp(lin.v[0].node->cmdline, "python3 -c x", 12) == 0);
	EXIT(200, NS(60));
	cr_assert_eq(t.count, 1, "an exited leaf is freed at once");
}

/* bash -> sh -> child (exits) -> grandchild, reparented to 1, connects. */
Test(ptable, double_fork_keeps_the_original_lineage)
{
	init_with_pid1(64);
	FORK(10, NS(10), 1, NS(1), "init");
	EXEC(10, NS(10), "bash", "/bin/bash", "bash\0");
	FORK(11, NS(11), 10, NS(10), "bash");
	EXEC(11, NS(11), "sh", "/bin/sh", "sh\0-c\0daemonize\0");
	FORK(12, NS(12), 11, NS(11), "sh");
	FORK(13, NS(13), 12, NS(12), "sh");
	EXEC(13, NS(13), "nc", "/bin/nc", "nc\0evil\0");
	EXIT(12, NS(12));
	cr_assert_not_null(wd_ptable_find(&t, 12, NS(12)), "kept: a child points at it");
	{
		uint32_t p[] = { 13, 1 }, pp[] = { 1, 0 };
		uint64_t s[] = { NS(13), NS(1) };

		kchain(2, p, pp, s);
	}
	wd_lineage_build(&t, &ev, &lin);
	cr_assert_eq(lin.n, 5);
	cr_assert_eq(lin.v[0].node->pid, 13);
	cr_assert(lin.v[0].reparented);
	cr_assert_eq(lin.v[0].current_ppid, 1);
	cr_assert_eq(lin.v[1].node->pid, 12);
	cr_assert(lin.v[1].node->exited);
	cr_assert(memcmp(lin.v[1].node->cmdline, "sh -c daemonize", 15) == 0,
		  "a forked child inherits its parent's cmdline until it execs");
	cr_assert_eq(lin.v[2].node->pid, 11);
	cr_assert_eq(lin.v[3].node->pid, 10);
	cr_assert_eq(lin.v[4].node->pid, 1);
	cr_assert(lin.reparented);
	cr_assert_neq(lin.source, WD_ANC_PARTIAL);
	/* When the grandchild exits, the exited chain above it is released. */
	EXIT(13, NS(13));
	cr_assert_null(wd_ptable_find(&t, 12, NS(12)));
	cr_assert_not_null(wd_ptable_find(&t, 11, NS(11)));
}

Test(ptable, reused_pid_is_never_confused)
{
	init_with_pid1(64);
	FORK(300, NS(70), 1, NS(1), "init");
	EXEC(300, NS(70), "old", "/bin/old", "old\0");
	EXIT(300, NS(70));
	FORK(300, NS(90), 1, NS(1), "init");
	EXEC(300, NS(90), "new", "/bin/new", "new\0");
	cr_assert_null(wd_ptable_find(&t, 300, NS(70)));
	{
		uint32_t p[] = { 300, 1 }, pp[] = { 1, 0 };
		uint64_t s[] = { NS(90), NS(1) };

		kchain(2, p, pp, s);
	}
	wd_lineage_build(&t, &ev, &lin);
	cr_assert(memcmp(lin.v[0].node->cmdline, "new", 3) == 0);
	/* An event for the old one (same pid, other start) finds nothing. */
	{
		uint32_t p[] = { 300, 1 }, pp[] = { 1, 0 };
		uint64_t s[] = { NS(70), NS(1) };

		kchain(2, p, pp, s);
	}
	wd_lineage_build(&t, &ev, &lin);
	cr_assert_null(lin.v[0].node);
	cr_assert_eq(lin.source, WD_ANC_PARTIAL);
}

Test(ptable, deep_chain_beyond_the_kernel_walk)
{
	uint32_t p[WD_MAX_DEPTH], pp[WD_MAX_DEPTH];
	uint64_t s[WD_MAX_DEPTH];

	init_with_pid1(256);
	for (uint32_t i = 0; i < 40; i++) {
		uint32_t pid = 1000 + i, ppid = i ? pid - 1 : 1;

		FORK(pid, NS(100 + i), ppid, i ? NS(100 + i - 1) : NS(1), "sh");
		EXEC(pid, NS(100 + i), "sh", "/bin/sh", "sh\0");
	}
	/* The kernel stopped after WD_MAX_DEPTH levels and said so. */
	for (int i = 0; i < WD_MAX_DEPTH; i++) {
		p[i] = 1039 - (uint32_t)i;
		pp[i] = p[i] - 1;
		s[i] = NS(139 - i);
	}
	kchain(WD_MAX_DEPTH, p, pp, s);
	ev.flags = WD_F_TRUNCATED;
	wd_lineage_build(&t, &ev, &lin);
	cr_assert_eq(lin.n, 41);
	cr_assert_eq(lin.v[40].node->pid, 1);
	cr_assert(!lin.truncated);
	cr_assert_neq(lin.source, WD_ANC_PARTIAL);
}

Test(ptable, memory_stays_bounded_under_a_fork_storm)
{
	init_with_pid1(100);
	FORK(2, NS(2), 1, NS(1), "init");
	for (uint32_t i = 0; i < 100000; i++) {
		uint32_t pid = 10 + (i % 30000);

		FORK(pid, NS(1000 + i), 2, NS(2), "storm");
		EXIT(pid, NS(1000 + i));
		cr_assert_leq(t.count, 100);
	}
	cr_assert_eq(t.count, 2);
}

Test(ptable, bound_evicts_oldest_exited_ancestors_first)
{
	init_with_pid1(64);
	/* 40 chains: parent exits, child lives on. 81 entries > 64. */
	for (uint32_t i = 0; i < 40; i++) {
		FORK(2000 + i, NS(200 + i), 1, NS(1), "p");
		FORK(3000 + i, NS(300 + i), 2000 + i, NS(200 + i), "c");
		EXIT(2000 + i, NS(200 + i));
	}
	cr_assert_leq(t.count, 64);
	cr_assert_gt(t.evictions, 0);
	cr_assert_eq(t.lineage_breaks, t.evictions);
	/* The newest chains are intact, the oldest lost their parent. */
	cr_assert_not_null(wd_ptable_find(&t, 3039, NS(339))->parent);
	cr_assert(wd_ptable_find(&t, 3000, NS(300))->lineage_lost);
	cr_assert_null(wd_ptable_find(&t, 2000, NS(200)));
}

Test(ptable, live_processes_beyond_the_bound_are_refused_not_leaked)
{
	init_with_pid1(64);
	for (uint32_t i = 0; i < 200; i++)
		FORK(5000 + i, NS(500 + i), 1, NS(1), "live");
	cr_assert_eq(t.count, 64);
	cr_assert_eq(t.full, 200 - 63);
}

/* Every entry's bytes, counted afresh. */
static size_t recount(void)
{
	size_t sum = 0;

	for (size_t i = 0; i < t.nbuckets; i++)
		for (struct wd_pnode *n = t.bucket[i]; n; n = n->hnext)
			sum += sizeof(*n) + n->cmdline_len + n->json_len +
			       (n->exe ? strlen(n->exe) + 1 : 0);
	return sum;
}

Test(ptable, bytes_stay_bounded_under_a_storm_of_long_cmdlines)
{
	static char args[4000];

	memset(args, 'a', sizeof(args));
	init_with_pid1(65536);
	t.max_bytes = 2 << 20; /* the entries alone: about 1 MiB */
	for (uint32_t i = 0; i < 3000; i++) {
		uint32_t pid = 10 + 2 * i;
		struct wd_pnode *n;
		char *json = malloc(8000);

		/* a parent that execs, forks a child, exits: kept while referenced */
		FORK(pid, NS(100 + i), 1, NS(1), "storm");
		rec(WD_EV_EXEC, pid, NS(100 + i), 0, 0, "storm", "/bin/storm",
		    args, sizeof(args));
		FORK(pid + 1, NS(100 + i), pid, NS(100 + i), "child");
		if (i % 2)
			EXIT(pid, NS(100 + i));
		n = wd_ptable_find(&t, pid + 1, NS(100 + i));
		cr_assert_not_null(n);
		memset(json, 'j', 8000);
		if (!wd_ptable_cache_json(&t, n, json, 8000))
			free(json);
		cr_assert_leq(t.bytes, t.max_bytes, "%zu bytes after %u", t.bytes, i);
	}
	cr_assert_eq(t.bytes, recount());
	cr_assert_gt(t.trimmed, 0);
	cr_assert_gt(t.evictions, 0);
	/* the newest process keeps its cmdline */
	cr_assert_not_null(wd_ptable_find(&t, 10 + 2 * 2999, NS(3099))->cmdline);
}

Test(ptable, proc_fallback_stops_at_its_deadline)
{
	struct wd_pnode *n;

	cr_assert_eq(wd_ptable_init(&t, root, 64), 0);
	fake_proc(900, 1, "late", 500, "late\0", 5);
	t.proc_deadline_ns = 1; /* long past */
	n = wd_ptable_lookup(&t, 900, 500 * t.ns_per_tick);
	cr_assert_null(n, "a /proc read past the deadline");
	cr_assert_eq(t.proc_skipped, 1);
	t.proc_deadline_ns = 0; /* no budget set: read */
	n = wd_ptable_lookup(&t, 900, 500 * t.ns_per_tick);
	cr_assert_not_null(n);
	cr_assert_eq(n->pid, 900);
	cr_assert_eq(t.proc_skipped, 1);
}

/* An exec record cut inside its path is read up to its end, not beyond. */
Test(ptable, short_exec_record_is_read_within_its_size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = WD_PROC_EVENT_FIXED + 8;
	uint8_t *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct wd_proc_event *e;
	struct wd_pnode *n;

	cr_assert(map != MAP_FAILED);
	/* the record ends where an unreadable page starts */
	cr_assert_eq(mprotect(map + page, page, PROT_NONE), 0);
	e = (struct wd_proc_event *)(map + page - 80);
	memset(e, 0, size);
	e->hdr = (struct wd_event_hdr){ .type = WD_EV_EXEC, .size = (uint32_t)size };
	e->pid = 100;
	e->start_ns = 7;
	memcpy(e->data, "/usr/bin", 8); /* no NUL */
	init_with_pid1(64);
	wd_ptable_apply(&t, e, size);
	n = wd_ptable_find(&t, 100, 7);
	cr_assert_not_null(n);
	cr_assert_str_eq(n->exe, "/usr/bin");
	munmap(map, 2 * page);
}
