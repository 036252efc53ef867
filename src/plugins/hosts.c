// SPDX-License-Identifier: GPL-2.0-only
/* sourceipmap: hosts-format files -> names of source addresses (hosts.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/hosts.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/log.h"

#define HOSTS_FILE_MAX (64u << 20)
#define CHECK_NS (2 * WD_NS_PER_SEC)

/* The address as events write it (inet_ntop), or a copy of s. */
static char *norm_addr(const char *s, size_t len)
{
	char tmp[INET6_ADDRSTRLEN + 1], out[INET6_ADDRSTRLEN];
	unsigned char bin[16];

	if (len < sizeof(tmp)) {
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		if (inet_pton(AF_INET, tmp, bin) == 1)
			return strdup(inet_ntop(AF_INET, bin, out, sizeof(out)));
		if (inet_pton(AF_INET6, tmp, bin) == 1)
			return strdup(inet_ntop(AF_INET6, bin, out, sizeof(out)));
	}
	return strndup(s, len);
}

/* The words of line[0..len) after the first, joined by one space. */
static char *join_rest(const char *l, size_t len, size_t from)
{
	char *out = malloc(len + 1);
	size_t o = 0, i = from;

	if (!out)
		return NULL;
	while (i < len) {
		while (i < len && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i >= len)
			break;
		if (o)
			out[o++] = ' ';
		while (i < len && l[i] != ' ' && l[i] != '\t')
			out[o++] = l[i++];
	}
	out[o] = '\0';
	return out;
}

static int add_line(struct wd_hostmap *m, const char *l, size_t len)
{
	struct wd_host_ent *v;
	size_t a = 0, e;

	while (a < len && (l[a] == ' ' || l[a] == '\t' || l[a] == '\r'))
		a++;
	while (len > a && (l[len - 1] == ' ' || l[len - 1] == '\t' || l[len - 1] == '\r'))
		len--;
	if (a == len || l[a] == '#')
		return 0;
	for (e = a; e < len && l[e] != ' ' && l[e] != '\t';)
		e++;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;

		v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	v = &m->v[m->n];
	v->addr = norm_addr(l + a, e - a);
	v->name = join_rest(l, len, e);
	v->order = m->n;
	if (!v->addr || !v->name) {
		free(v->addr);
		free(v->name);
		return -ENOMEM;
	}
	m->n++;
	return 0;
}

int wd_hosts_parse(struct wd_hostmap *m, const char *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - text) - i : len - i;
		int err = add_line(m, text + i, n);

		if (err)
			return err;
		i += n + 1;
	}
	return 0;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct wd_host_ent *x = a, *y = b;
	int c = strcmp(x->addr, y->addr);

	return c ? c : (x->order > y->order) - (x->order < y->order);
}

void wd_hosts_finish(struct wd_hostmap *m)
{
	size_t o = 0;

	if (!m->n)
		return;
	qsort(m->v, m->n, sizeof(*m->v), cmp_ent);
	for (size_t i = 0; i < m->n; i++) {
		if (i + 1 < m->n && !strcmp(m->v[i].addr, m->v[i + 1].addr)) {
			free(m->v[i].addr); /* a later one wins */
			free(m->v[i].name);
			continue;
		}
		m->v[o++] = m->v[i];
	}
	m->n = o;
}

const char *wd_hosts_get(const struct wd_hostmap *m, const char *addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->v[mid].addr, addr);

		if (!c)
			return m->v[mid].name;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void wd_hosts_free(struct wd_hostmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].addr);
		free(m->v[i].name);
	}
	free(m->v);
	*m = (struct wd_hostmap){ 0 };
}

int wd_sourceipmap_load(struct wd_sourceipmap *s, char *const *files, size_t n)
{
	struct wd_hostmap m = { 0 };
	struct stat *st = calloc(n ? n : 1, sizeof(*st));
	int err = st ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && !err; i++) {
		size_t len;
		char *text = wd_read_file(files[i], HOSTS_FILE_MAX, &len, &st[i], &err);

		if (!text)
			break;
		err = wd_hosts_parse(&m, text, len);
		free(text);
	}
	if (err) {
		wd_hosts_free(&m);
		free(st);
		return err;
	}
	wd_hosts_finish(&m);
	wd_hosts_free(&s->map);
	free(s->st);
	s->map = m;
	s->st = st;
	s->files = files;
	s->nfiles = n;
	s->next_check_ns = wd_clock_ns(CLOCK_MONOTONIC) + CHECK_NS;
	return 0;
}

void wd_sourceipmap_check(struct wd_sourceipmap *s)
{
	int64_t now = wd_clock_ns(CLOCK_MONOTONIC);
	bool changed = false;
	struct stat st;
	int err;

	if (!s->nfiles || now < s->next_check_ns)
		return;
	s->next_check_ns = now + CHECK_NS;
	for (size_t i = 0; i < s->nfiles && !changed; i++)
		changed = stat(s->files[i], &st) || st.st_ino != s->st[i].st_ino ||
			  st.st_size != s->st[i].st_size ||
			  st.st_mtim.tv_sec != s->st[i].st_mtim.tv_sec ||
			  st.st_mtim.tv_nsec != s->st[i].st_mtim.tv_nsec;
	if (!changed)
		return;
	err = wd_sourceipmap_load(s, s->files, s->nfiles);
	if (err)
		wd_warn("sourceipmap: hostfiles not read again (%s); the last ones are used",
			strerror(-err));
	else
		s->reloads++;
}

void wd_sourceipmap_free(struct wd_sourceipmap *s)
{
	wd_hosts_free(&s->map);
	free(s->st);
	*s = (struct wd_sourceipmap){ 0 };
}
