// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/mounts.h"
#include "util/log.h"

#define WD_CGROUP2_DIR "/run/whodunit/cgroup2"

void wd_ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		wd_info("mounted tracefs on /sys/kernel/tracing");
	else
		wd_debug("mount tracefs: %s", strerror(errno));
}

/* The first cgroup2 mount of /proc/self/mounts that opens, or -ENOENT. */
static int mounted_cgroup2(void)
{
	char line[1024], dev[256], dir[512], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");
	int fd = -ENOENT;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %511s %63s", dev, dir, type) != 3 ||
		    strcmp(type, "cgroup2"))
			continue;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			break;
		fd = -ENOENT;
	}
	if (f)
		fclose(f);
	return fd;
}

int wd_cgroup2_root(void)
{
	int fd = mounted_cgroup2();

	if (fd >= 0)
		return fd;
	mkdir("/run", 0755); /* (a minimal root may lack it) */
	mkdir("/run/whodunit", 0755);
	mkdir(WD_CGROUP2_DIR, 0755);
	if (mount("none", WD_CGROUP2_DIR, "cgroup2", 0, NULL) && errno != EBUSY)
		return -errno;
	fd = open(WD_CGROUP2_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
