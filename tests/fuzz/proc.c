// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: the /proc parsers. The input is a stat line (wd_parse_stat),
 * each of its lines a /proc/net/{tcp,udp}[6] line (wd_parse_proc_net_line),
 * and, written to PID 1's files in a fake /proc made once, a status, stat
 * and cmdline file (wd_read_ids, wd_read_stat, wd_read_cmdline) and the
 * /proc/net tables of a snapshot (wd_snapshot_listeners).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc/procfs.h"
#include "proc/snapshot.h"
#include "tmpdir.h"

static char root[] = "/tmp/wd-fuzz-proc-XXXXXX";
static const char *const files[] = {
	"1/status", "1/stat", "1/cmdline", "net/tcp", "net/tcp6", "net/udp", "net/udp6",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[128];

	(void)argc;
	(void)argv;
	fuzz_tmpdir(root);
	snprintf(path, sizeof(path), "%s/1", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/net", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/1/fd", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/1/fd/3", root);
	if (symlink("socket:[1234]", path))
		__builtin_trap();
	return 0;
}

static void put(const char *name, const uint8_t *data, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "wb");
	if (!f)
		__builtin_trap();
	if (len && fwrite(data, 1, len, f) != len)
		__builtin_trap();
	fclose(f);
}

static void net_lines(char *text)
{
	struct wd_listener l;
	unsigned long inode;
	unsigned int state;
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		wd_parse_proc_net_line(line, AF_INET, &l, &state, &inode);
		wd_parse_proc_net_line(line, AF_INET6, &l, &state, &inode);
	}
}

static void count(void *ctx, const struct wd_listener *l)
{
	(void)l;
	(*(int *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), cmdline[64];
	uint32_t uid, loginuid;
	struct wd_stat st;
	bool truncated;
	ssize_t n;
	int found = 0, ret;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	wd_parse_stat(text, &st);
	net_lines(text);
	free(text);

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put(files[i], data, size);
	wd_read_stat(root, 1, &st);
	wd_read_ids(root, 1, &uid, &loginuid);
	n = wd_read_cmdline(root, 1, cmdline, size % sizeof(cmdline) + 1, &truncated);
	if (n > (ssize_t)sizeof(cmdline))
		__builtin_trap();
	ret = wd_snapshot_listeners(root, true, true, count, &found);
	if (ret >= 0 && ret != found)
		__builtin_trap();
	return 0;
}
