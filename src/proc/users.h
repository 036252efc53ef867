/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * uid -> user name, parsed from a passwd file (NSS does not work in a
 * static binary). Reloaded when the file changes.
 */
#ifndef WD_USERS_H
#define WD_USERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct wd_user {
	uint32_t uid;
	uint32_t line; /* position in the file: the first entry of a uid wins */
	char *name;
};

struct wd_users {
	char *path;
	struct wd_user *v; /* sorted by uid, first entry of a uid kept */
	size_t n;
	/* identity of the loaded file, to notice changes */
	ino_t ino;
	off_t size;
	struct timespec mtime;
	time_t checked; /* last stat() of the file (CLOCK_MONOTONIC seconds) */
};

int wd_users_init(struct wd_users *u, const char *path);
void wd_users_free(struct wd_users *u);
/* Parse passwd text into u (replacing what it held). 0 or -ENOMEM. */
int wd_users_parse(struct wd_users *u, const char *text, size_t len);
/* Reload if the file changed (checked at most once a second). */
void wd_users_refresh(struct wd_users *u);
/* The name of uid, or NULL. */
const char *wd_users_name(const struct wd_users *u, uint32_t uid);
/* The name of uid, or the uid in decimal (written to buf, as pidtree-bcc). */
const char *wd_users_name_or_uid(const struct wd_users *u, uint32_t uid,
				 char *buf, size_t cap);

#endif
