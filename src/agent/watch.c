// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "agent/watch.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE)

int wd_watch_open(char *const *files, size_t n)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", files[i]);
		if (inotify_add_watch(fd, dirname(dir), WATCH_MASK) < 0) {
			err = -errno;
			close(fd);
			return err;
		}
	}
	return fd;
}

static bool is_watched(const char *name, char *const *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(files[i], '/');

		if (!strcmp(slash ? slash + 1 : files[i], name))
			return true;
	}
	return false;
}

bool wd_watch_changed(int fd, char *const *files, size_t n)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t len;

	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const void *)p;

			if (ev->len && is_watched(ev->name, files, n))
				changed = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return changed;
}
