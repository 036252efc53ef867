// SPDX-License-Identifier: GPL-2.0-only
/*
 * The container cache (container.h): entries by cgroup v2 id, each resolved
 * once (the runtime asked again later when it did not answer), bounded in
 * entries; an entry goes when its cgroup directory does (watch.c).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "container/container.h"
#include "container/runtime.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/log.h"

#define RT_TIMEOUT_MS 100           /* of one API request */
#define RETRY_NS (2 * WD_NS_PER_SEC) /* an unresolved container asked again, x tries */
#define RETRIES_MAX 5

int wd_containers_init(struct wd_containers *cs, const struct wd_config *cfg,
		       const char *proc_root, size_t max)
{
	size_t nb = 64;

	memset(cs, 0, sizeof(*cs));
	while (nb < max)
		nb <<= 1;
	cs->bucket = calloc(nb, sizeof(*cs->bucket));
	if (!cs->bucket)
		return -ENOMEM;
	cs->nbuckets = nb;
	cs->max = max;
	cs->cfg = cfg;
	cs->proc_root = proc_root;
	cs->allow_fd = cs->mode_fd = cs->ifd = -1;
	wd_containers_settings(cs);
	return 0;
}

static void entry_free(struct wd_ctr_entry *e)
{
	wd_container_clear(&e->c);
	free(e->path);
	free(e->json);
	free(e);
}

static size_t entry_bytes(const struct wd_ctr_entry *e)
{
	size_t n = sizeof(*e) + e->json_len + (e->path ? strlen(e->path) + 1 : 0);

	for (size_t i = 0; i < e->c.nlabels; i++)
		n += strlen(e->c.label_keys[i]) + strlen(e->c.label_values[i]) + 2 +
		     2 * sizeof(char *);
	if (e->c.name)
		n += strlen(e->c.name) + 1;
	if (e->c.image)
		n += strlen(e->c.image) + 1;
	return n;
}

static void unlink_entry(struct wd_containers *cs, struct wd_ctr_entry **pp)
{
	struct wd_ctr_entry *e = *pp;

	*pp = e->next;
	cs->count--;
	cs->bytes -= e->bytes;
	entry_free(e);
}

void wd_containers_free(struct wd_containers *cs)
{
	if (cs->bucket && cs->lookups + cs->resolved + cs->unresolved)
		wd_info("containers: %zu cgroups cached (%zu bytes), %llu lookups, %llu misses, "
			"%llu resolved, %llu unresolved, %llu gone with their cgroup, "
			"%llu evicted, %llu lookups of exited processes skipped", cs->count,
			cs->bytes, (unsigned long long)cs->lookups,
			(unsigned long long)cs->misses, (unsigned long long)cs->resolved,
			(unsigned long long)cs->unresolved, (unsigned long long)cs->removed,
			(unsigned long long)cs->evicted, (unsigned long long)cs->gone_skipped);
	for (size_t b = 0; cs->bucket && b < cs->nbuckets; b++)
		while (cs->bucket[b])
			unlink_entry(cs, &cs->bucket[b]);
	free(cs->bucket);
	cs->bucket = NULL;
	wd_containers_stop_watch(cs);
}

struct wd_ctr_entry **wd_ctr_find(struct wd_containers *cs, uint64_t key)
{
	struct wd_ctr_entry **pp = &cs->bucket[wd_hash_bucket(key, cs->nbuckets)];

	while (*pp && (*pp)->key != key)
		pp = &(*pp)->next;
	return pp;
}

void wd_ctr_drop(struct wd_containers *cs, uint64_t key)
{
	struct wd_ctr_entry **pp = wd_ctr_find(cs, key);

	if (*pp)
		unlink_entry(cs, pp);
}

/* Room for one more: when full, the first entry of a bucket that has one. */
static void make_room(struct wd_containers *cs, uint64_t key)
{
	size_t b = wd_hash_bucket(key, cs->nbuckets);

	if (cs->count < cs->max)
		return;
	for (size_t i = 0; i < cs->nbuckets; i++) {
		struct wd_ctr_entry **pp = &cs->bucket[(b + i) & (cs->nbuckets - 1)];

		if (*pp) {
			unlink_entry(cs, pp);
			cs->evicted++;
			return;
		}
	}
}

static void put_str(struct wd_buf *b, const char *key, const char *s)
{
	if (!s)
		return;
	wd_json_key(b, key, false);
	wd_json_str(b, s, strlen(s));
}

/* ,"container":{...} of e, kept with it. */
static void build_json(struct wd_containers *cs, struct wd_ctr_entry *e)
{
	const struct wd_container *c = &e->c;
	struct wd_buf b = { 0 };
	size_t n = c->nlabels < cs->labels_max ? c->nlabels : cs->labels_max;

	free(e->json);
	e->json = NULL;
	e->json_len = 0;
	wd_buf_puts(&b, ",\"container\":{\"id\":\"");
	wd_buf_puts(&b, c->id);
	wd_buf_putc(&b, '"');
	put_str(&b, "runtime", c->runtime);
	put_str(&b, "name", c->name);
	put_str(&b, "image", c->image);
	if (c->resolved && (c->nlabels || !c->pod)) {
		wd_buf_puts(&b, ",\"labels\":{");
		for (size_t i = 0; i < n; i++) { /* keys are untrusted too: escaped */
			if (i)
				wd_buf_putc(&b, ',');
			wd_json_str(&b, c->label_keys[i], strlen(c->label_keys[i]));
			wd_buf_putc(&b, ':');
			wd_json_str(&b, c->label_values[i], strlen(c->label_values[i]));
		}
		wd_buf_putc(&b, '}');
		if (n < c->nlabels)
			wd_json_u64(&b, "labels_omitted", c->nlabels - n);
	}
	put_str(&b, "pod", c->pod);
	put_str(&b, "namespace", c->namespace);
	put_str(&b, "container", c->container);
	if (!c->resolved)
		wd_buf_puts(&b, ",\"unresolved\":true");
	wd_buf_putc(&b, '}');
	wd_buf_cstr(&b); /* (NUL-terminated too, for tests and logs) */
	if (b.oom) {
		wd_buf_free(&b);
		return;
	}
	e->json = b.p;
	e->json_len = b.len;
}

/* e's size counted again (after its strings changed). */
static void recount(struct wd_containers *cs, struct wd_ctr_entry *e)
{
	cs->bytes -= e->bytes;
	e->bytes = entry_bytes(e);
	cs->bytes += e->bytes;
}

void wd_ctr_rebuild_json(struct wd_containers *cs, struct wd_ctr_entry *e)
{
	if (!e->c.id[0])
		return;
	build_json(cs, e);
	recount(cs, e);
}

/* Ask the runtime (again) about e's container; its JSON and kernel bits follow. */
static void resolve(struct wd_containers *cs, struct wd_ctr_entry *e)
{
	struct wd_rt_paths p = {
		.docker_sock = "/run/docker.sock",
		.docker_root = cs->dirs.docker_root,
		.podman_sock = "/run/podman/podman.sock",
		.podman_storage = "/var/lib/containers/storage",
		.bundle_dirs = cs->dirs.bundle_dirs,
		.nbundle_dirs = cs->dirs.nbundle_dirs,
		.timeout_ms = RT_TIMEOUT_MS,
	};
	wd_container_clear(&e->c);
	if (wd_rt_resolve(&e->c, e->rt, &p)) {
		cs->unresolved++;
		e->tries++;
		e->retry_ns = e->tries < RETRIES_MAX ?
				      wd_clock_ns(CLOCK_MONOTONIC) + RETRY_NS * e->tries : 0;
	} else {
		cs->resolved++;
		e->retry_ns = 0;
	}
	build_json(cs, e);
	recount(cs, e);
	wd_ctr_allow_write(cs, e);
}

/* A new entry for key (a container's when rt says so). */
static struct wd_ctr_entry *add(struct wd_containers *cs, uint64_t key,
				enum wd_ctr_runtime rt, const char *id, const char *path)
{
	struct wd_ctr_entry *e, **pp;

	make_room(cs, key);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->key = key;
	e->rt = rt;
	if (rt != WD_RT_NONE) {
		memcpy(e->c.id, id, WD_CTR_ID_LEN + 1);
		e->path = path ? strdup(path) : NULL;
	}
	pp = wd_ctr_find(cs, key);
	if (*pp) /* (replaced) */
		unlink_entry(cs, pp);
	e->next = cs->bucket[wd_hash_bucket(key, cs->nbuckets)];
	cs->bucket[wd_hash_bucket(key, cs->nbuckets)] = e;
	cs->count++;
	recount(cs, e);
	if (rt != WD_RT_NONE)
		resolve(cs, e);
	return e;
}

struct wd_ctr_entry *wd_ctr_add_cgroup(struct wd_containers *cs, uint64_t cgid,
				       const char *path)
{
	char id[WD_CTR_ID_LEN + 1];
	enum wd_ctr_runtime rt = wd_cgroup_path_container(path, strlen(path), id);

	if (rt == WD_RT_NONE)
		return NULL; /* host cgroups are cached when a process shows them */
	return add(cs, cgid, rt, id, path);
}

/* The key of a container known by its id only (v1-only containers). */
static uint64_t v1_key(const char *id)
{
	uint64_t k = 0;

	for (int i = 0; i < 15; i++) /* 60 bits of the id, below the tag bit */
		k = k << 4 | (uint64_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
	return WD_CTR_V1_KEY | k;
}

#define GONE_NS (1000 * 1000000LL) /* a gone pid is not read again for 1 s */

/* Was pid's /proc entry gone a moment ago? (slot: by pid, one per slot) */
static struct wd_ctr_gone *gone_slot(struct wd_containers *cs, uint32_t pid)
{
	return &cs->gone[(pid * 2654435761u) >> 26];
}

static bool recently_gone(struct wd_containers *cs, uint32_t pid)
{
	const struct wd_ctr_gone *g = gone_slot(cs, pid);

	if (g->pid != pid || !g->until_ns || wd_clock_ns(CLOCK_MONOTONIC) >= g->until_ns)
		return false;
	cs->gone_skipped++;
	return true;
}

/* Read /proc/PID/cgroup: the entry of cgid (or of pid's v1 container). */
static struct wd_ctr_entry *from_proc(struct wd_containers *cs, uint64_t cgid,
				      uint32_t pid, bool cache_host)
{
	char path[64], v2[512], id[WD_CTR_ID_LEN + 1], full[1024];
	enum wd_ctr_runtime rt;
	struct wd_ctr_entry *e;
	struct stat st;
	size_t len;
	bool v1;
	int err;
	char *text;

	if (recently_gone(cs, pid))
		return NULL;
	snprintf(path, sizeof(path), "%s/%u/cgroup", cs->proc_root, pid);
	text = wd_read_file(path, 65536, &len, NULL, &err);
	if (!text) { /* gone: nothing cached; its next events wait a second */
		*gone_slot(cs, pid) = (struct wd_ctr_gone){
			.pid = pid, .until_ns = wd_clock_ns(CLOCK_MONOTONIC) + GONE_NS };
		return NULL;
	}
	rt = wd_cgroup_text_container(text, len, id, v2, sizeof(v2), &v1);
	free(text);
	if (cs->cgroot[0] && v2[0]) { /* still in that cgroup? else cache nothing */
		snprintf(full, sizeof(full), "%s%s", cs->cgroot, v2);
		if (stat(full, &st) || (uint64_t)st.st_ino != cgid)
			return NULL;
	}
	if (!v1)
		return add(cs, cgid, rt, id, rt != WD_RT_NONE ? v2 : NULL);
	/* the v2 cgroup is not the container's: decide per process */
	if (cache_host && (e = add(cs, cgid, WD_RT_NONE, NULL, NULL)))
		e->per_pid = true;
	e = *wd_ctr_find(cs, v1_key(id));
	return e ? e : add(cs, v1_key(id), rt, id, NULL);
}

const struct wd_ctr_entry *wd_container_entry(struct wd_containers *cs,
					      uint64_t cgroup_id, uint32_t pid)
{
	struct wd_ctr_entry *e;

	if (!cs || !cs->bucket)
		return NULL;
	cs->lookups++;
	e = *wd_ctr_find(cs, cgroup_id);
	if (!e) {
		cs->misses++;
		e = from_proc(cs, cgroup_id, pid, true);
	} else if (e->per_pid) {
		e = from_proc(cs, cgroup_id, pid, false);
	}
	if (e && e->retry_ns && wd_clock_ns(CLOCK_MONOTONIC) >= e->retry_ns)
		resolve(cs, e);
	return e && e->c.id[0] ? e : NULL;
}

const struct wd_container *wd_container_of(struct wd_containers *cs,
					   uint64_t cgroup_id, uint32_t pid)
{
	const struct wd_ctr_entry *e = wd_container_entry(cs, cgroup_id, pid);

	return e ? &e->c : NULL;
}

/* Retry what is due (at most a few per call: each may wait on a socket). */
void wd_ctr_retry_due(struct wd_containers *cs, int64_t now)
{
	int budget = 4;

	for (size_t b = 0; b < cs->nbuckets && budget; b++)
		for (struct wd_ctr_entry *e = cs->bucket[b]; e && budget; e = e->next)
			if (e->retry_ns && now >= e->retry_ns) {
				resolve(cs, e);
				budget--;
			}
}

/* ---- container_labels ---------------------------------------------------- */

/* One entry: every "key=glob" of it matches. */
static bool entry_matches(const struct wd_container *c, const char *entry)
{
	char part[512];
	const char *p = entry;

	while (*p) {
		size_t n = strcspn(p, ",");
		char *eq;
		const char *v;

		if (n >= sizeof(part))
			return false;
		memcpy(part, p, n);
		part[n] = '\0';
		p += n + (p[n] == ',');
		eq = strchr(part, '=');
		if (!eq)
			return false;
		*eq = '\0';
		v = wd_container_label(c, part);
		if (!v || fnmatch(eq + 1, v, 0))
			return false;
	}
	return true;
}

bool wd_ctr_labels_match(const struct wd_container *c, char *const *entries, size_t n)
{
	if (!c || !c->nlabels)
		return false;
	for (size_t i = 0; i < n; i++)
		if (entry_matches(c, entries[i]))
			return true;
	return false;
}

bool wd_ctr_labels_valid(const char *entry)
{
	const char *p = entry;

	if (!*p || strlen(p) >= 512)
		return false;
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);

		if (!eq || eq == p)
			return false;
		p += n;
		if (*p == ',' && !*++p)
			return false; /* a trailing comma */
	}
	return true;
}
