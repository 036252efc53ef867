// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc/procfs.h"

int wd_parse_stat(const char *text, struct wd_stat *st)
{
	const char *open, *close, *p;
	unsigned long long v;
	size_t n;
	char *end;
	int field;

	/* "pid (comm) state ppid ...": comm may hold spaces and ')'. */
	open = strchr(text, '(');
	close = strrchr(text, ')');
	if (!open || !close || close < open || close[1] != ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end != ' ')
		return -EINVAL;
	st->pid = (pid_t)v;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, n);
	st->comm[n] = '\0';

	p = close + 2; /* field 3: state */
	if (!*p)
		return -EINVAL;
	st->state = *p;
	p++;
	for (field = 4; field <= 22; field++) {
		if (*p != ' ')
			return -EINVAL;
		p++;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || end == p) {
			/* Some fields may be negative (e.g. tty_nr, priority). */
			if (*p != '-')
				return -EINVAL;
			strtoll(p, &end, 10);
			if (end == p)
				return -EINVAL;
			v = 0;
		}
		if (field == 4)
			st->ppid = (pid_t)v;
		if (field == 22)
			st->starttime = v;
		p = end;
	}
	return 0;
}

static int open_proc_file(const char *root, pid_t pid, const char *name)
{
	char path[256];
	int fd, n;

	n = snprintf(path, sizeof(path), "%s/%d/%s", root, (int)pid, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Read up to cap bytes; *more is set when the file had more. */
static ssize_t read_all(int fd, char *buf, size_t cap, bool *more)
{
	size_t len = 0;
	ssize_t n;
	char extra;

	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*more = false;
	if (len == cap) {
		n = read(fd, &extra, 1);
		*more = n > 0;
	}
	return (ssize_t)len;
}

/* ROOT/PID/NAME as a NUL-terminated string (cut at cap - 1 bytes). */
static ssize_t read_proc_text(const char *root, pid_t pid, const char *name,
			      char *text, size_t cap)
{
	bool more;
	ssize_t n;
	int fd;

	fd = open_proc_file(root, pid, name);
	if (fd < 0)
		return fd;
	n = read_all(fd, text, cap - 1, &more);
	close(fd);
	if (n >= 0)
		text[n] = '\0';
	return n;
}

int wd_read_stat(const char *root, pid_t pid, struct wd_stat *st)
{
	char text[1024];
	ssize_t n = read_proc_text(root, pid, "stat", text, sizeof(text));

	return n < 0 ? (int)n : wd_parse_stat(text, st);
}

size_t wd_cmdline_join(char *buf, size_t len)
{
	size_t i;

	while (len > 0 && buf[len - 1] == '\0')
		len--;
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	return len;
}

ssize_t wd_read_cmdline(const char *root, pid_t pid, char *buf, size_t cap,
			bool *truncated)
{
	ssize_t n;
	int fd;

	fd = open_proc_file(root, pid, "cmdline");
	if (fd < 0)
		return fd;
	n = read_all(fd, buf, cap, truncated);
	close(fd);
	if (n < 0)
		return n;
	return (ssize_t)wd_cmdline_join(buf, (size_t)n);
}

int wd_read_ids(const char *root, pid_t pid, uint32_t *uid, uint32_t *loginuid)
{
	char text[4096], *line;
	ssize_t n;

	*uid = WD_UID_UNKNOWN;
	*loginuid = 0xffffffffu;
	if (read_proc_text(root, pid, "loginuid", text, sizeof(text)) > 0)
		*loginuid = (uint32_t)strtoul(text, NULL, 10);
	n = read_proc_text(root, pid, "status", text, sizeof(text));
	if (n < 0)
		return (int)n;
	line = strstr(text, "\nUid:");
	if (!line)
		return -EINVAL;
	*uid = (uint32_t)strtoul(line + 5, NULL, 10);
	return 0;
}

char *wd_read_exe(const char *root, pid_t pid)
{
	char path[256], target[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/exe", root, (int)pid);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	return strdup(target);
}
