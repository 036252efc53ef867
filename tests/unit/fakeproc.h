/* SPDX-License-Identifier: GPL-2.0-only */
/* A fake /proc for unit tests: a temporary directory with PID/FILE entries. */
#ifndef WD_TEST_FAKEPROC_H
#define WD_TEST_FAKEPROC_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FAKEPROC_TEMPLATE "/tmp/wd-fakeproc-XXXXXX"

static char root[] = FAKEPROC_TEMPLATE;

static inline void fakeproc_setup(void)
{
	cr_assert(mkdtemp(root));
}

static inline void fakeproc_teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert(system(cmd) == 0);
	strcpy(root, FAKEPROC_TEMPLATE);
}

/* Write ROOT/PID/NAME with len bytes of data. */
static inline void put(int pid, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/%s", root, pid, name);
	f = fopen(path, "wb");
	cr_assert(f);
	fwrite(data, 1, len, f);
	fclose(f);
}

/* A process: stat (start time in clock ticks), cmdline, status (uid 0). */
static inline void fake_proc(int pid, int ppid, const char *comm,
			     unsigned long long ticks, const char *cmdline, size_t len)
{
	char text[256];
	int n = snprintf(text, sizeof(text),
			 "%d (%s) S %d 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 %llu 0\n",
			 pid, comm, ppid, ticks);

	put(pid, "stat", text, (size_t)n);
	put(pid, "cmdline", cmdline, len);
	put(pid, "status", "Name:\tx\nUid:\t0\t0\t0\t0\n", 21);
}

#endif
