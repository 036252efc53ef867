/* SPDX-License-Identifier: GPL-2.0-only */
/* Readers of /proc/PID files, against a configurable proc root. */
#ifndef WD_PROCFS_H
#define WD_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct wd_stat {
	pid_t pid;
	pid_t ppid;
	char state;
	char comm[64];
	uint64_t starttime; /* field 22: clock ticks since boot */
};

/* Parse the text of a /proc/PID/stat file. 0 or -EINVAL. */
int wd_parse_stat(const char *text, struct wd_stat *st);
/* Read and parse ROOT/PID/stat. 0 or negative errno. */
int wd_read_stat(const char *root, pid_t pid, struct wd_stat *st);

/*
 * Read ROOT/PID/cmdline into buf (cap bytes at most) with the NUL
 * separators turned into spaces and trailing NULs dropped. *truncated is
 * set when the cmdline was longer than cap. Returns the length (0 for a
 * kernel thread or zombie) or a negative errno.
 */
ssize_t wd_read_cmdline(const char *root, pid_t pid, char *buf, size_t cap,
			bool *truncated);

/* A uid that /proc would not tell (status unreadable): never (uid_t)-1's owner. */
#define WD_UID_UNKNOWN 0xffffffffu

/*
 * Real uid (from status) and loginuid of ROOT/PID; uid is WD_UID_UNKNOWN
 * when status cannot be read or parsed, loginuid stays 0xffffffff when
 * unset or unknown. 0 or negative errno.
 */
int wd_read_ids(const char *root, pid_t pid, uint32_t *uid, uint32_t *loginuid);
/* Target of ROOT/PID/exe (malloc'ed), or NULL. */
char *wd_read_exe(const char *root, pid_t pid);

/* Convert the kernel's NUL-separated argument area in place; returns len. */
size_t wd_cmdline_join(char *buf, size_t len);

#endif
