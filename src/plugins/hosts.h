/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sourceipmap (pidtree-bcc's plugin): the name of an event's saddr from
 * hosts-format files ("ADDRESS NAME [NAME...]"; '#' lines and blank lines
 * skipped; the value is the rest of the line's words joined by one space,
 * as pidtree-bcc's hosts_loader does). Files are merged in order, a later
 * line for the same address wins. Re-read at most every 2 s when a file
 * changed (pidtree-bcc's min_interval=2).
 */
#ifndef WD_PLUGINS_HOSTS_H
#define WD_PLUGINS_HOSTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct wd_host_ent {
	char *addr; /* normalised (inet_ntop of inet_pton) when it is an address */
	char *name;
	size_t order;
};

struct wd_hostmap {
	struct wd_host_ent *v;
	size_t n, cap;
};

/* Add the lines of text to m (m not yet sorted). 0 or -ENOMEM. */
int wd_hosts_parse(struct wd_hostmap *m, const char *text, size_t len);
/* Sort, a later entry of an address replacing the earlier ones. */
void wd_hosts_finish(struct wd_hostmap *m);
/* The name of addr (as the event writes it), or NULL. */
const char *wd_hosts_get(const struct wd_hostmap *m, const char *addr);
void wd_hosts_free(struct wd_hostmap *m);

struct wd_sourceipmap {
	char *const *files;
	size_t nfiles;
	struct stat *st;       /* of each file at the last read */
	struct wd_hostmap map;
	int64_t next_check_ns; /* CLOCK_MONOTONIC */
	uint64_t reloads;
};

/* Read the files (all must be readable). 0 or -errno (s unchanged). */
int wd_sourceipmap_load(struct wd_sourceipmap *s, char *const *files, size_t n);
/* A file changed (checked every 2 s at most)? Read them again. */
void wd_sourceipmap_check(struct wd_sourceipmap *s);
void wd_sourceipmap_free(struct wd_sourceipmap *s);

#endif
