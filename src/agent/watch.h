/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * watch_config: inotify on the directories of the files a configuration
 * was read from, so that an edit (in place, or by an editor's rename) of
 * the file or of an !include'd one is noticed.
 */
#ifndef WD_WATCH_H
#define WD_WATCH_H

#include <stdbool.h>
#include <stddef.h>

/* A non-blocking inotify descriptor watching files[0..n)'s dirs, or -errno. */
int wd_watch_open(char *const *files, size_t n);
/* Read what is pending on fd: did one of the files change? */
bool wd_watch_changed(int fd, char *const *files, size_t n);

#endif
