// SPDX-License-Identifier: GPL-2.0-only
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakeproc.h"
#include "proc/procfs.h"

static void put_stat(int pid, const char *comm, int ppid, unsigned long long start)
{
	char text[512];
	int n = snprintf(text, sizeof(text),
			 "%d (%s) S %d %d %d 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
			 "%llu 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 "
			 "1 0 0 0 0 0\n", pid, comm, ppid, pid, pid, start);

	put(pid, "stat", text, (size_t)n);
}

TestSuite(procfs, .init = fakeproc_setup, .fini = fakeproc_teardown);

Test(procfs, stat_fields)
{
	struct wd_stat st;

	put_stat(42, "bash", 7, 123456);
	cr_assert_eq(wd_read_stat(root, 42, &st), 0);
	cr_assert_eq(st.pid, 42);
	cr_assert_eq(st.ppid, 7);
	cr_assert_eq(st.state, 'S');
	cr_assert_str_eq(st.comm, "bash");
	cr_assert_eq(st.starttime, 123456);
}

Test(procfs, stat_comm_with_parens_and_spaces)
{
	struct wd_stat st;

	put_stat(43, "a) (b c) ", 9, 77);
	cr_assert_eq(wd_read_stat(root, 43, &st), 0);
	cr_assert_str_eq(st.comm, "a) (b c) ");
	cr_assert_eq(st.ppid, 9);
	cr_assert_eq(st.starttime, 77);
}

Test(procfs, stat_garbage_is_rejected)
{
	struct wd_stat st;

	cr_assert_eq(wd_parse_stat("", &st), -EINVAL);
	cr_assert_eq(wd_parse_stat("12 (x", &st), -EINVAL);
	cr_assert_eq(wd_parse_stat("12 (x) S 1 2", &st), -EINVAL);
	cr_assert_eq(wd_parse_stat("x (y) S 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5", &st),
		     -EINVAL);
}

Test(procfs, missing_process)
{
	struct wd_stat st;
	char buf[16];
	bool tr;

	cr_assert_eq(wd_read_stat(root, 999, &st), -ENOENT);
	cr_assert_eq(wd_read_cmdline(root, 999, buf, sizeof(buf), &tr), -ENOENT);
}

Test(procfs, cmdline_is_joined)
{
	char buf[64];
	bool tr = true;
	ssize_t n;

	put(50, "cmdline", "curl\0-s\0http://x\0", 17);
	n = wd_read_cmdline(root, 50, buf, sizeof(buf), &tr);
	cr_assert_eq(n, 16);
	cr_assert(memcmp(buf, "curl -s http://x", 16) == 0);
	cr_assert(!tr);
}

Test(procfs, cmdline_truncated_when_longer_than_buffer)
{
	char buf[8];
	bool tr = false;
	ssize_t n;

	put(51, "cmdline", "abcdefghijkl\0", 13);
	n = wd_read_cmdline(root, 51, buf, sizeof(buf), &tr);
	cr_assert_eq(n, 8);
	cr_assert(tr);
}

Test(procfs, cmdline_empty_for_kernel_threads)
{
	char buf[8];
	bool tr;

	put(52, "cmdline", "", 0);
	cr_assert_eq(wd_read_cmdline(root, 52, buf, sizeof(buf), &tr), 0);
}

Test(procfs, ids_and_exe)
{
	uint32_t uid = 0, luid = 0;
	char path[512], *exe;

	put(70, "status", "Name:\tx\nUmask:\t0022\nState:\tS\nUid:\t1000\t1001\t1002\t1003\n", 52);
	put(70, "loginuid", "4242", 4);
	cr_assert_eq(wd_read_ids(root, 70, &uid, &luid), 0);
	cr_assert_eq(uid, 1000);
	cr_assert_eq(luid, 4242);
	put(71, "status", "Name:\tx\nUid:\t5\t5\t5\t5\n", 22);
	cr_assert_eq(wd_read_ids(root, 71, &uid, &luid), 0);
	cr_assert_eq(uid, 5);
	cr_assert_eq(luid, 0xffffffffu);
	snprintf(path, sizeof(path), "%s/70/exe", root);
	cr_assert_eq(symlink("/usr/bin/curl", path), 0);
	exe = wd_read_exe(root, 70);
	cr_assert_str_eq(exe, "/usr/bin/curl");
	free(exe);
	cr_assert_null(wd_read_exe(root, 71));
}

Test(procfs, unreadable_status_leaves_the_uid_unknown_not_root)
{
	uint32_t uid = 0, luid = 0;

	put(72, "loginuid", "4242", 4); /* no status */
	cr_assert_lt(wd_read_ids(root, 72, &uid, &luid), 0);
	cr_assert_eq(uid, WD_UID_UNKNOWN);
	put(73, "status", "Name:\tx\n", 8); /* no Uid: line */
	uid = 0;
	cr_assert_lt(wd_read_ids(root, 73, &uid, &luid), 0);
	cr_assert_eq(uid, WD_UID_UNKNOWN);
}
