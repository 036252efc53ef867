// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/log.h"
#include "proc/users.h"

#define WD_PASSWD_MAX (16u << 20)

static void free_entries(struct wd_user *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

void wd_users_free(struct wd_users *u)
{
	free_entries(u->v, u->n);
	free(u->path);
	*u = (struct wd_users){ 0 };
}

static int cmp_user(const void *a, const void *b)
{
	const struct wd_user *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return x->line < y->line ? -1 : (x->line > y->line);
}

/* One line "name:pw:uid:..." -> entry; false for malformed lines. */
static bool parse_line(const char *line, size_t len, struct wd_user *out)
{
	const char *c1, *c2, *end = line + len;
	unsigned long long uid = 0;
	const char *p;

	if (len == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-')
		return false;
	c1 = memchr(line, ':', len);
	if (!c1 || c1 == line)
		return false;
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	if (!c2)
		return false;
	p = c2 + 1;
	if (p >= end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		uid = uid * 10 + (unsigned long long)(*p - '0');
		if (uid > UINT32_MAX)
			return false;
	}
	if (p >= end || *p != ':')
		return false;
	out->uid = (uint32_t)uid;
	out->name = strndup(line, (size_t)(c1 - line));
	return true;
}

int wd_users_parse(struct wd_users *u, const char *text, size_t len)
{
	struct wd_user *v = NULL, *nv, e;
	const char *p = text, *end = text + len;
	size_t n = 0, cap = 0, i, k;
	uint32_t line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (parse_line(p, l, &e)) {
			if (!e.name)
				goto oom;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(e.name);
					goto oom;
				}
				v = nv;
			}
			e.line = line;
			v[n++] = e;
		}
		line++;
		p += l + 1;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_user);
	/* Drop later duplicates of a uid. */
	for (i = 0, k = 0; i < n; i++) {
		if (k > 0 && v[k - 1].uid == v[i].uid) {
			free(v[i].name);
			continue;
		}
		v[k++] = v[i];
	}
	free_entries(u->v, u->n);
	u->v = v;
	u->n = k;
	return 0;
oom:
	free_entries(v, n);
	return -ENOMEM;
}

static int load_file(struct wd_users *u)
{
	struct stat st;
	size_t len;
	char *text;
	int err = 0;

	text = wd_read_file(u->path, WD_PASSWD_MAX, &len, &st, &err);
	if (!text)
		return err;
	err = wd_users_parse(u, text, len);
	free(text);
	if (!err) {
		u->ino = st.st_ino;
		u->size = st.st_size;
		u->mtime = st.st_mtim;
	}
	return err;
}

int wd_users_init(struct wd_users *u, const char *path)
{
	struct timespec now;
	int err;

	*u = (struct wd_users){ 0 };
	u->path = strdup(path);
	if (!u->path)
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &now);
	u->checked = now.tv_sec;
	err = load_file(u);
	if (err)
		wd_warn("%s: %s; user names will be numeric", path, strerror(-err));
	return err == -ENOMEM ? err : 0;
}

void wd_users_refresh(struct wd_users *u)
{
	struct timespec now;
	struct stat st;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec == u->checked)
		return;
	u->checked = now.tv_sec;
	if (stat(u->path, &st) < 0)
		return;
	if (st.st_ino == u->ino && st.st_size == u->size &&
	    st.st_mtim.tv_sec == u->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == u->mtime.tv_nsec)
		return;
	if (load_file(u) == 0)
		wd_debug("%s reloaded: %zu users", u->path, u->n);
}

const char *wd_users_name(const struct wd_users *u, uint32_t uid)
{
	size_t lo = 0, hi = u->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->v[mid].uid == uid)
			return u->v[mid].name;
		if (u->v[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *wd_users_name_or_uid(const struct wd_users *u, uint32_t uid,
				 char *buf, size_t cap)
{
	const char *name = wd_users_name(u, uid);

	if (name)
		return name;
	snprintf(buf, cap, "%u", uid);
	return buf;
}
