// SPDX-License-Identifier: GPL-2.0-only
/* Container id and runtime from a cgroup path (cgroup.h). */
#include <string.h>

#include "container/cgroup.h"

const char *wd_ctr_runtime_name(enum wd_ctr_runtime rt)
{
	switch (rt) {
	case WD_RT_DOCKER:
		return "docker";
	case WD_RT_PODMAN:
		return "podman";
	case WD_RT_CONTAINERD:
		return "containerd";
	case WD_RT_CRIO:
		return "cri-o";
	default:
		return NULL;
	}
}

static bool is_id(const char *s, size_t len)
{
	if (len != WD_CTR_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A path component prefix<id>[suffix]: the id's offset, or -1. */
static int wrapped_id(const char *c, size_t len, const char *prefix, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	if (len != pl + WD_CTR_ID_LEN + sl || memcmp(c, prefix, pl) ||
	    memcmp(c + pl + WD_CTR_ID_LEN, suffix, sl) || !is_id(c + pl, WD_CTR_ID_LEN))
		return -1;
	return (int)pl;
}

static const struct {
	const char *prefix, *suffix;
	enum wd_ctr_runtime rt;
} forms[] = {
	{ "docker-", ".scope", WD_RT_DOCKER },
	{ "libpod-", ".scope", WD_RT_PODMAN },
	{ "libpod-", "", WD_RT_PODMAN },
	{ "cri-containerd-", ".scope", WD_RT_CONTAINERD },
	{ "crio-", ".scope", WD_RT_CRIO },
	{ "crio-", "", WD_RT_CRIO },
};

/* Does path[0..len) have a component starting with word? */
static bool has_component(const char *path, size_t len, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i + wl <= len; i++)
		if ((i == 0 || path[i - 1] == '/') && !memcmp(path + i, word, wl))
			return true;
	return false;
}

/* A bare 64-hex component: whose it is, from the components above it. */
static enum wd_ctr_runtime bare_owner(const char *path, size_t above)
{
	if (has_component(path, above, "kubepods"))
		return WD_RT_KUBE;
	if (has_component(path, above, "docker"))
		return WD_RT_DOCKER;
	if (has_component(path, above, "libpod_parent"))
		return WD_RT_PODMAN;
	return WD_RT_NONE;
}

static enum wd_ctr_runtime component(const char *path, size_t start, size_t len,
				     char *id)
{
	const char *c = path + start;

	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		int off = wrapped_id(c, len, forms[f].prefix, forms[f].suffix);

		if (off >= 0) {
			memcpy(id, c + off, WD_CTR_ID_LEN);
			id[WD_CTR_ID_LEN] = '\0';
			return forms[f].rt;
		}
	}
	if (is_id(c, len)) {
		enum wd_ctr_runtime rt = bare_owner(path, start);

		if (rt != WD_RT_NONE) {
			memcpy(id, c, WD_CTR_ID_LEN);
			id[WD_CTR_ID_LEN] = '\0';
		}
		return rt;
	}
	return WD_RT_NONE;
}

enum wd_ctr_runtime wd_cgroup_path_container(const char *path, size_t len,
					     char id[WD_CTR_ID_LEN + 1])
{
	size_t end = len;

	id[0] = '\0';
	while (end > 0) {
		size_t start = end;
		enum wd_ctr_runtime rt;

		while (start > 0 && path[start - 1] != '/')
			start--;
		rt = component(path, start, end - start, id);
		if (rt != WD_RT_NONE)
			return rt;
		end = start ? start - 1 : 0;
	}
	return WD_RT_NONE;
}

/* The path of a "hierarchy:controllers:path" line, and whether it is v2's. */
static bool line_path(const char *l, size_t n, const char **path, size_t *plen)
{
	const char *c1 = memchr(l, ':', n), *c2;

	if (!c1)
		return false;
	c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - l));
	if (!c2)
		return false;
	*path = c2 + 1;
	*plen = n - (size_t)(c2 + 1 - l);
	return true;
}

enum wd_ctr_runtime wd_cgroup_text_container(const char *text, size_t len,
					     char id[WD_CTR_ID_LEN + 1], char *v2path,
					     size_t cap, bool *v1)
{
	enum wd_ctr_runtime rt = WD_RT_NONE, v1rt = WD_RT_NONE;
	char v1id[WD_CTR_ID_LEN + 1] = "";
	size_t i = 0;

	id[0] = '\0';
	*v1 = false;
	if (v2path && cap)
		v2path[0] = '\0';
	while (i < len) {
		const char *l = text + i, *nl = memchr(l, '\n', len - i), *path;
		size_t n = nl ? (size_t)(nl - l) : len - i, plen;

		i += n + 1;
		if (!line_path(l, n, &path, &plen))
			continue;
		if (n >= 3 && !memcmp(l, "0::", 3)) {
			if (v2path && cap) {
				size_t k = plen < cap - 1 ? plen : cap - 1;

				memcpy(v2path, path, k);
				v2path[k] = '\0';
			}
			rt = wd_cgroup_path_container(path, plen, id);
		} else if (v1rt == WD_RT_NONE) {
			v1rt = wd_cgroup_path_container(path, plen, v1id);
		}
	}
	if (rt != WD_RT_NONE || v1rt == WD_RT_NONE)
		return rt;
	memcpy(id, v1id, sizeof(v1id));
	*v1 = true;
	return v1rt;
}
