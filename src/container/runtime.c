// SPDX-License-Identifier: GPL-2.0-only
/* A container's metadata from its runtime (runtime.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "container/runtime.h"
#include "util/file.h"
#include "util/json_read.h"
#include "util/log.h"

/*
 * containerd's CRI plugin: /run/containerd/io.containerd.runtime.v2.task/
 * <namespace>/<id>/ (k8s.io for Kubernetes); CRI-O (containers/storage
 * runroot): /run/containers/storage/overlay-containers/<id>/userdata/.
 */
const char *const wd_rt_default_bundle_dirs[] = {
	"/run/containerd/io.containerd.runtime.v2.task/k8s.io",
	"/run/containers/storage/overlay-containers",
	NULL,
};

const char *wd_container_label(const struct wd_container *c, const char *key)
{
	for (size_t i = 0; i < c->nlabels; i++)
		if (!strcmp(c->label_keys[i], key))
			return c->label_values[i];
	return NULL;
}

static void free_labels(struct wd_container *c)
{
	for (size_t i = 0; i < c->nlabels; i++) {
		free(c->label_keys[i]);
		free(c->label_values[i]);
	}
	free(c->label_keys);
	free(c->label_values);
	c->label_keys = c->label_values = NULL;
	c->nlabels = 0;
}

void wd_container_clear(struct wd_container *c)
{
	free(c->name);
	free(c->image);
	free(c->pod);
	free(c->namespace);
	free(c->container);
	free_labels(c);
	c->name = c->image = c->pod = c->namespace = c->container = NULL;
	c->resolved = false;
}

/* *dst = the string at tok (if it is one and *dst is unset). */
static void take_str(const struct wd_jr *j, int tok, char **dst)
{
	if (*dst || tok < 0)
		return;
	*dst = wd_jr_strdup(j, tok);
}

/* An object of string values -> c's labels, sorted by key, at most WD_RT_LABELS_MAX. */
static int take_labels(struct wd_container *c, const struct wd_jr *j, int obj)
{
	size_t n, k = 0;
	int t;

	if (wd_jr_type(j, obj) != WD_JR_OBJ || c->nlabels)
		return 0;
	n = j->t[obj].n < WD_RT_LABELS_MAX ? j->t[obj].n : WD_RT_LABELS_MAX;
	c->label_keys = calloc(n ? n : 1, sizeof(char *));
	c->label_values = calloc(n ? n : 1, sizeof(char *));
	if (!c->label_keys || !c->label_values) {
		free_labels(c);
		return -ENOMEM;
	}
	for (t = wd_jr_first(j, obj); t >= 0 && k < n; t = wd_jr_next(j, obj, t)) {
		char *key = wd_jr_strdup(j, t), *val = wd_jr_strdup(j, t + 1);

		if (!key || !val) { /* not a string value (or \u0000): left out */
			free(key);
			free(val);
			continue;
		}
		c->label_keys[k] = key;
		c->label_values[k++] = val;
	}
	c->nlabels = k;
	for (size_t i = 1; i < k; i++) /* insertion sort: a few labels */
		for (size_t x = i; x > 0 && strcmp(c->label_keys[x - 1], c->label_keys[x]) > 0;
		     x--) {
			char *tk = c->label_keys[x], *tv = c->label_values[x];

			c->label_keys[x] = c->label_keys[x - 1];
			c->label_values[x] = c->label_values[x - 1];
			c->label_keys[x - 1] = tk;
			c->label_values[x - 1] = tv;
		}
	return 0;
}

int wd_rt_from_inspect(struct wd_container *c, const char *json, size_t len)
{
	static const char *const image[] = { "Config", "Image", NULL };
	static const char *const labels[] = { "Config", "Labels", NULL };
	struct wd_jr j;
	int err = wd_jr_parse(&j, json, len, WD_RT_TOKENS_MAX, 0);

	if (!err && wd_jr_type(&j, 0) != WD_JR_OBJ)
		err = -EINVAL;
	if (!err) {
		char *name = NULL;

		take_str(&j, wd_jr_get(&j, 0, "Name"), &name);
		if (name) { /* Docker says "/name" */
			free(c->name);
			c->name = strdup(name[0] == '/' ? name + 1 : name);
			free(name);
		}
		take_str(&j, wd_jr_path(&j, 0, image), &c->image);
		err = take_labels(c, &j, wd_jr_path(&j, 0, labels));
	}
	wd_jr_free(&j);
	return err;
}

/*
 * Annotation keys, verified in the runtimes' sources:
 * containerd pkg/cri/annotations/annotations.go (ContainerName
 * "io.kubernetes.cri.container-name", SandboxName "...sandbox-name",
 * SandboxNamespace "...sandbox-namespace", ImageName "...image-name");
 * CRI-O pkg/annotations (ImageName "io.kubernetes.cri-o.ImageName") with
 * the kubelet's labels it copies (io.kubernetes.pod.name,
 * io.kubernetes.pod.namespace, io.kubernetes.container.name). Podman writes
 * io.kubernetes.cri-o.* keys too, but also io.container.manager=libpod.
 */
int wd_rt_from_bundle(struct wd_container *c, const char *json, size_t len)
{
	struct wd_jr j;
	int err = wd_jr_parse(&j, json, len, WD_RT_TOKENS_MAX, 0), a;

	a = err ? -1 : wd_jr_get(&j, 0, "annotations");
	if (!err && a < 0)
		err = -ENODATA;
	if (!err && wd_jr_get(&j, a, "io.kubernetes.cri.sandbox-name") >= 0) {
		c->runtime = "containerd";
		take_str(&j, wd_jr_get(&j, a, "io.kubernetes.cri.sandbox-name"), &c->pod);
		take_str(&j, wd_jr_get(&j, a, "io.kubernetes.cri.sandbox-namespace"),
			 &c->namespace);
		take_str(&j, wd_jr_get(&j, a, "io.kubernetes.cri.container-name"), &c->container);
		take_str(&j, wd_jr_get(&j, a, "io.kubernetes.cri.image-name"), &c->image);
	} else if (!err && wd_jr_get(&j, a, "io.kubernetes.pod.name") >= 0) {
		c->runtime = "cri-o";
		take_str(&j, wd_jr_get(&j, a, "io.kubernetes.pod.name"), &c->pod);
		take_str(&j, wd_jr_get(&j, a, "io.kubernetes.pod.namespace"), &c->namespace);
		take_str(&j, wd_jr_get(&j, a, "io.kubernetes.container.name"), &c->container);
		take_str(&j, wd_jr_get(&j, a, "io.kubernetes.cri-o.ImageName"), &c->image);
	} else if (!err) {
		err = -ENODATA; /* not a Kubernetes container's bundle */
	}
	if (!err && c->container && !c->name)
		c->name = strdup(c->container);
	wd_jr_free(&j);
	return err;
}

/* Podman's container config: {"spec":{...},"id":"<id>","name":...}. */
static int podman_config(struct wd_container *c, const char *s, size_t len)
{
	struct wd_jr j;
	int err = wd_jr_parse(&j, s, len, WD_RT_TOKENS_MAX, WD_JR_PREFIX);

	if (!err && (wd_jr_type(&j, 0) != WD_JR_OBJ ||
		     !wd_jr_streq(&j, wd_jr_get(&j, 0, "id"), c->id)))
		err = -ENODATA;
	if (!err) {
		take_str(&j, wd_jr_get(&j, 0, "name"), &c->name);
		take_str(&j, wd_jr_get(&j, 0, "rootfsImageName"), &c->image);
		err = take_labels(c, &j, wd_jr_get(&j, 0, "labels"));
	}
	wd_jr_free(&j);
	return err;
}

/*
 * bolt_state.db stores each container's config as one JSON value, its bytes
 * contiguous in the file (bolt keeps a value whole, on overflow pages if
 * need be). Stale copies in freed pages are the same config (it never
 * changes after creation), so the first that parses is right.
 */
int wd_rt_from_podman_db(struct wd_container *c, const char *db, size_t len)
{
	char needle[96];
	const char *p = db, *end = db + len;
	size_t nl = (size_t)snprintf(needle, sizeof(needle), "\"id\":\"%s\",", c->id);

	while ((p = memmem(p, (size_t)(end - p), needle, nl))) {
		const char *s = p;
		size_t back = 0;

		/* the object's start: {"spec" before the id, within 1 MiB */
		while (s > db && back < (1u << 20)) {
			s--, back++;
			if (*s == '{' && (size_t)(end - s) > 8 && !memcmp(s, "{\"spec\":", 8))
				break;
		}
		if (!memcmp(s, "{\"spec\":", 8) && !podman_config(c, s, (size_t)(end - s)))
			return 0;
		p += nl;
	}
	return -ENOENT;
}

/* containers.json: [{"id":..,"names":[..],"metadata":"{\"image-name\":..}"}] */
static int podman_containers_json(struct wd_container *c, const char *s, size_t len)
{
	struct wd_jr j, m = { 0 };
	int err = wd_jr_parse(&j, s, len, WD_RT_TOKENS_MAX * 4, 0), found = -ENOENT;
	int t;

	if (err || wd_jr_type(&j, 0) != WD_JR_ARR) {
		wd_jr_free(&j);
		return err ? err : -EINVAL;
	}
	for (t = wd_jr_first(&j, 0); t >= 0; t = wd_jr_next(&j, 0, t)) {
		int names = wd_jr_get(&j, t, "names");
		char *meta;

		if (!wd_jr_streq(&j, wd_jr_get(&j, t, "id"), c->id))
			continue;
		if (wd_jr_first(&j, names) >= 0 && wd_jr_type(&j, names) == WD_JR_ARR)
			take_str(&j, names + 1, &c->name);
		meta = wd_jr_strdup(&j, wd_jr_get(&j, t, "metadata"));
		if (meta && !wd_jr_parse(&m, meta, strlen(meta), 256, 0))
			take_str(&m, wd_jr_get(&m, 0, "image-name"), &c->image);
		wd_jr_free(&m);
		free(meta);
		found = 0;
		break;
	}
	wd_jr_free(&j);
	return found;
}

static int from_file(struct wd_container *c, const char *path, size_t max,
		     int (*fn)(struct wd_container *, const char *, size_t))
{
	size_t len;
	int err = 0;
	char *s = wd_read_file(path, max, &len, NULL, &err);

	if (!s)
		return err;
	err = fn(c, s, len);
	free(s);
	return err;
}

static int from_api(struct wd_container *c, const char *sock, int timeout_ms)
{
	char path[128], *body = NULL;
	size_t len = 0;
	int err;

	snprintf(path, sizeof(path), "/containers/%s/json", c->id);
	err = wd_rt_http_get(sock, path, timeout_ms, &body, &len);
	if (!err)
		err = wd_rt_from_inspect(c, body, len);
	free(body);
	return err;
}

int wd_rt_docker_root(const char *daemon_json, char *buf, size_t len)
{
	static const char *const keys[] = { "data-root", "graph" };
	const char *s = NULL;
	size_t n = 0;
	struct wd_jr j;
	int err = 0;
	char *text = wd_read_file(daemon_json, WD_RT_BODY_MAX, &n, NULL, &err);

	if (!text)
		return err;
	err = wd_jr_parse(&j, text, n, WD_RT_TOKENS_MAX, 0);
	for (size_t i = 0; !err && !s && i < sizeof(keys) / sizeof(keys[0]); i++)
		s = wd_jr_str(&j, wd_jr_get(&j, 0, keys[i]));
	if (!err)
		err = s && s[0] == '/' && strlen(s) < len ? 0 : -ENOENT;
	if (!err)
		strcpy(buf, s);
	wd_jr_free(&j);
	free(text);
	return err;
}

/*
 * dockerd's own record of the container first (written at create, read
 * without its lock: the API answers a starting container's inspect only
 * once the start is done, long after its first connect), then its API.
 */
static int from_docker(struct wd_container *c, const struct wd_rt_paths *p)
{
	char path[512];

	if (p->docker_root) {
		snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", p->docker_root,
			 c->id);
		if (!from_file(c, path, WD_RT_BODY_MAX, wd_rt_from_inspect)) {
			wd_debug("containers: %.12s: docker's config.v2.json", c->id);
			return 0;
		}
	}
	return from_api(c, p->docker_sock, p->timeout_ms);
}

static int from_podman(struct wd_container *c, const struct wd_rt_paths *p)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/libpod/bolt_state.db", p->podman_storage);
	if (!from_file(c, path, WD_RT_STATE_MAX, wd_rt_from_podman_db)) {
		wd_debug("containers: %.12s: podman's state", c->id);
		return 0;
	}
	if (p->podman_sock && !stat(p->podman_sock, &st) && S_ISSOCK(st.st_mode) &&
	    !from_api(c, p->podman_sock, p->timeout_ms)) {
		wd_debug("containers: %.12s: podman's API", c->id);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/overlay-containers/containers.json",
		 p->podman_storage);
	return from_file(c, path, WD_RT_STATE_MAX, podman_containers_json);
}

static int from_bundles(struct wd_container *c, const struct wd_rt_paths *p)
{
	static const char *const forms[] = { "%s/%s/config.json", "%s/%s/userdata/config.json" };
	char path[512];

	for (size_t d = 0; d < p->nbundle_dirs; d++)
		for (size_t f = 0; f < 2; f++) {
			snprintf(path, sizeof(path), forms[f], p->bundle_dirs[d], c->id);
			if (!from_file(c, path, WD_RT_BODY_MAX, wd_rt_from_bundle))
				return 0;
		}
	return -ENOENT;
}

int wd_rt_resolve(struct wd_container *c, enum wd_ctr_runtime rt,
		  const struct wd_rt_paths *p)
{
	int err;

	c->runtime = wd_ctr_runtime_name(rt);
	switch (rt) {
	case WD_RT_DOCKER:
		err = from_docker(c, p);
		break;
	case WD_RT_PODMAN:
		err = from_podman(c, p);
		break;
	case WD_RT_CONTAINERD:
	case WD_RT_CRIO:
	case WD_RT_KUBE:
		err = from_bundles(c, p);
		if (!err || rt == WD_RT_KUBE)
			break;
		c->runtime = wd_ctr_runtime_name(rt); /* the path knew better */
		break;
	default:
		err = -EINVAL;
	}
	c->resolved = !err;
	return err;
}
