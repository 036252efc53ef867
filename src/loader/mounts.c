// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/mounts.h"
#include "util/log.h"

#define WD_TRACEFS_DIR "/sys/kernel/tracing"
#define WD_CGROUP2_DIR "/run/whodunit/cgroup2"

/* What this process mounted, to be undone by wd_mounts_undo(). */
static struct {
	bool tracefs;
	bool cgroup2;
} ours;

void wd_ensure_tracefs(void)
{
	int err;

	if (!access(WD_TRACEFS_DIR "/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return;
	if (mount("nodev", WD_TRACEFS_DIR, "tracefs", 0, NULL) == 0) {
		ours.tracefs = true;
		wd_info("mounted tracefs on " WD_TRACEFS_DIR);
	} else {
		err = errno;
		wd_debug("mount tracefs: %s", strerror(err));
	}
}

/* Unmount dir; lazily when something still holds it. */
static void undo_mount(const char *dir)
{
	if (umount2(dir, 0) && (errno != EBUSY || umount2(dir, MNT_DETACH))) {
		int err = errno;

		wd_warn("unmount %s: %s", dir, strerror(err));
		return;
	}
	wd_info("unmounted %s", dir);
}

void wd_mounts_undo(void)
{
	if (ours.tracefs)
		undo_mount(WD_TRACEFS_DIR);
	if (ours.cgroup2) {
		undo_mount(WD_CGROUP2_DIR);
		rmdir(WD_CGROUP2_DIR);
	}
	ours.tracefs = ours.cgroup2 = false;
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
	if (mount("none", WD_CGROUP2_DIR, "cgroup2", 0, NULL)) {
		if (errno != EBUSY)
			return -errno;
	} else {
		ours.cgroup2 = true;
	}
	fd = open(WD_CGROUP2_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
