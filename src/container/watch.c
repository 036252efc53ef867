// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cgroup v2 tree under inotify, and the kernel's container_labels set.
 *
 * Why inotify: a runtime makes a container's cgroup directory before the
 * container's first process runs in it (runc creates it, then starts the
 * process), and the runtime's metadata (API, state, bundle) exists by then.
 * Seeing the mkdir lets userland judge the container and allow its cgroup
 * in wd_ctr_allow before its first connect, in most cases (the race: see
 * bpf/lib/container.h; the loser is counted as container_filtered). The
 * rmdir (IN_DELETE in the parent: kernfs sends no IN_IGNORED for a removed
 * cgroup) ends the container: its cache entry and kernel entry go at once.
 * Without inotify (no cgroup2 mount, watch limit) the tree is rescanned
 * every second instead.
 */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "container/container.h"
#include "container/runtime.h"
#include "util/clock.h"
#include "util/log.h"
#include "wd_filter.h"

#define WATCHES_MAX 65536
#define DEPTH_MAX 32
#define TICK_NS WD_NS_PER_SEC

struct wd_ctr_watch {
	int wd;
	uint64_t cgid;
	char *path; /* below cgroot, "" for the root */
};

/* The first cgroup2 mount point (hybrid hosts: /sys/fs/cgroup/unified). */
static void find_cgroot(struct wd_containers *cs)
{
	char path[256], dev[256], mnt[256], type[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/self/mounts", cs->proc_root);
	cs->cgroot[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, mnt, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(cs->cgroot, sizeof(cs->cgroot), "%s", mnt);
			break;
		}
	fclose(f);
}

static const struct wd_probe_config *probe_cfg(const struct wd_config *cfg, int p)
{
	return p == WD_PROBE_TCP_CONNECT ? &cfg->tcp_connect :
	       p == WD_PROBE_NET_LISTEN	 ? &cfg->net_listen :
					   &cfg->udp_session;
}

uint32_t wd_ctr_allow_bits(const struct wd_containers *cs, const struct wd_container *c)
{
	uint32_t bits = 0;

	if (!c->id[0])
		return 0;
	for (int p = 0; p < WD_NPROBES; p++) {
		const struct wd_probe_config *pc = probe_cfg(cs->cfg, p);

		if (pc->ncontainer_labels &&
		    wd_ctr_labels_match(c, pc->container_labels, pc->ncontainer_labels))
			bits |= 1u << p;
	}
	return bits;
}

void wd_ctr_allow_write(struct wd_containers *cs, struct wd_ctr_entry *e)
{
	uint32_t bits = wd_ctr_allow_bits(cs, &e->c);

	if (cs->allow_fd < 0 || (e->key & WD_CTR_V1_KEY) || bits == e->allow)
		return;
	if (bits && bpf_map_update_elem(cs->allow_fd, &e->key, &bits, BPF_ANY)) {
		if (cs->allow_full++ == 0)
			wd_warn("containers: cgroup %llu not allowed: %s (further failures "
				"are counted)", (unsigned long long)e->key, strerror(errno));
		return;
	}
	if (!bits)
		bpf_map_delete_elem(cs->allow_fd, &e->key);
	e->allow = bits;
}

void wd_ctr_remove_cgroup(struct wd_containers *cs, uint64_t cgid)
{
	struct wd_ctr_entry *e = *wd_ctr_find(cs, cgid);

	if (cs->allow_fd >= 0)
		bpf_map_delete_elem(cs->allow_fd, &cgid);
	if (!e)
		return;
	if (e->c.id[0])
		cs->removed++;
	wd_ctr_drop(cs, cgid);
}

static struct wd_ctr_watch *watch_of(struct wd_containers *cs, int wd)
{
	for (size_t i = 0; i < cs->nwatches; i++)
		if (cs->watches[i].wd == wd)
			return &cs->watches[i];
	return NULL;
}

static int add_watch(struct wd_containers *cs, const char *full, const char *rel,
		     uint64_t cgid)
{
	struct wd_ctr_watch *w;
	int wd;

	if (cs->nwatches >= WATCHES_MAX)
		return -ENOSPC;
	wd = inotify_add_watch(cs->ifd, full, IN_CREATE | IN_DELETE | IN_ONLYDIR);
	if (wd < 0)
		return -errno;
	if (watch_of(cs, wd)) /* watched already (a rescan) */
		return 0;
	if (cs->nwatches == cs->capwatches) {
		size_t cap = cs->capwatches ? cs->capwatches * 2 : 256;

		w = realloc(cs->watches, cap * sizeof(*w));
		if (!w)
			return -ENOMEM;
		cs->watches = w;
		cs->capwatches = cap;
	}
	w = &cs->watches[cs->nwatches];
	*w = (struct wd_ctr_watch){ .wd = wd, .cgid = cgid, .path = strdup(rel) };
	if (!w->path)
		return -ENOMEM;
	cs->nwatches++;
	return 0;
}

/* Directory rel (below cgroot) and those under it: watched, containers added. */
static void scan(struct wd_containers *cs, const char *rel, int depth)
{
	char full[1024], sub[1024];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", cs->cgroot, rel) >= sizeof(full) ||
	    stat(full, &st) || !S_ISDIR(st.st_mode))
		return;
	if (cs->ifd >= 0 && add_watch(cs, full, rel, (uint64_t)st.st_ino) &&
	    cs->watch_full++ == 0)
		wd_warn("containers: cannot watch %s; the tree is rescanned instead", full);
	if (depth && !*wd_ctr_find(cs, (uint64_t)st.st_ino))
		wd_ctr_add_cgroup(cs, (uint64_t)st.st_ino, rel);
	if (depth >= DEPTH_MAX || !(d = opendir(full)))
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) < sizeof(sub))
			scan(cs, sub, depth + 1);
	closedir(d);
}

static void forget_watch(struct wd_containers *cs, struct wd_ctr_watch *w)
{
	free(w->path);
	*w = cs->watches[--cs->nwatches];
}

/* Directory rel went (its parent's IN_DELETE; kernfs sends no IN_IGNORED). */
static void gone(struct wd_containers *cs, const char *rel)
{
	for (size_t i = 0; i < cs->nwatches; i++)
		if (!strcmp(cs->watches[i].path, rel)) {
			struct wd_ctr_watch *w = &cs->watches[i];

			inotify_rm_watch(cs->ifd, w->wd);
			wd_ctr_remove_cgroup(cs, w->cgid);
			forget_watch(cs, w);
			return;
		}
}

void wd_containers_stop_watch(struct wd_containers *cs)
{
	for (size_t i = 0; i < cs->nwatches; i++)
		free(cs->watches[i].path);
	free(cs->watches);
	cs->watches = NULL;
	cs->nwatches = cs->capwatches = 0;
	if (cs->ifd >= 0)
		close(cs->ifd);
	cs->ifd = -1;
}

static void write_mode(struct wd_containers *cs)
{
	uint32_t zero = 0, mode = 0;

	for (int p = 0; p < WD_NPROBES; p++)
		if (probe_cfg(cs->cfg, p)->ncontainer_labels)
			mode |= 1u << p;
	if (cs->mode_fd >= 0 && bpf_map_update_elem(cs->mode_fd, &zero, &mode, BPF_ANY))
		wd_warn("containers: container_labels not applied: %s", strerror(errno));
	cs->mode = mode;
}

int wd_containers_start(struct wd_containers *cs, int allow_fd, int mode_fd)
{
	cs->allow_fd = allow_fd;
	cs->mode_fd = mode_fd;
	find_cgroot(cs);
	if (!cs->cgroot[0]) {
		wd_warn("containers: no cgroup2 mount; containers are named from their "
			"processes' cgroups only, container_labels allows none");
		write_mode(cs);
		return 0;
	}
	cs->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (cs->ifd < 0)
		wd_warn("containers: inotify: %s; the cgroup tree is rescanned each second",
			strerror(errno));
	scan(cs, "", 0);
	wd_containers_settings(cs); /* every entry's bits, then the mode */
	return 0;
}

int wd_containers_fd(const struct wd_containers *cs)
{
	return cs->ifd;
}

static void on_event(struct wd_containers *cs, const struct inotify_event *ev)
{
	struct wd_ctr_watch *w = watch_of(cs, ev->wd);
	char rel[1024];

	if (!w)
		return;
	if (ev->mask & IN_IGNORED) { /* the directory went (or the watch did) */
		wd_ctr_remove_cgroup(cs, w->cgid);
		forget_watch(cs, w);
		return;
	}
	if (!(ev->mask & IN_ISDIR) || !ev->len ||
	    (size_t)snprintf(rel, sizeof(rel), "%s/%s", w->path, ev->name) >= sizeof(rel))
		return;
	if (ev->mask & IN_CREATE)
		scan(cs, rel, 1);
	else if (ev->mask & IN_DELETE)
		gone(cs, rel);
}

void wd_containers_on_inotify(struct wd_containers *cs)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(cs->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & IN_Q_OVERFLOW)
				cs->overflows++;
			else
				on_event(cs, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* Without inotify, or after it overflowed: entries whose cgroup went, new ones. */
static void recheck(struct wd_containers *cs)
{
	char full[1024];
	struct stat st;

	for (size_t b = 0; b < cs->nbuckets; b++) {
		struct wd_ctr_entry *e = cs->bucket[b], *next;

		for (; e; e = next) {
			next = e->next;
			if (!e->path || (e->key & WD_CTR_V1_KEY))
				continue;
			snprintf(full, sizeof(full), "%s%s", cs->cgroot, e->path);
			if (stat(full, &st) || (uint64_t)st.st_ino != e->key)
				wd_ctr_remove_cgroup(cs, e->key);
		}
	}
	scan(cs, "", 0);
}

void wd_containers_tick(struct wd_containers *cs)
{
	int64_t now = wd_clock_ns(CLOCK_MONOTONIC);

	if (!cs->bucket || now < cs->next_check_ns)
		return;
	cs->next_check_ns = now + TICK_NS;
	wd_ctr_retry_due(cs, now);
	if (cs->cgroot[0] && (cs->ifd < 0 || cs->overflows || cs->watch_full)) {
		cs->overflows = 0; /* (the watches stay; what they missed is found now) */
		recheck(cs);
	}
}

void wd_containers_settings(struct wd_containers *cs)
{
	const struct wd_config *cfg = cs->cfg;

	cs->labels_max = cfg->container_labels_max;
	if (cfg->container_bundle_dirs) {
		cs->dirs.bundle_dirs = cfg->container_bundle_dirs;
		cs->dirs.nbundle_dirs = cfg->ncontainer_bundle_dirs;
	} else {
		cs->dirs.bundle_dirs = (char *const *)wd_rt_default_bundle_dirs;
		cs->dirs.nbundle_dirs = 2;
	}
	cs->dirs.docker_root = cfg->docker_data_root;
	if (!cs->dirs.docker_root)
		cs->dirs.docker_root = wd_rt_docker_root(WD_DOCKER_DAEMON_JSON, cs->dirs.docker_root_buf,
							 sizeof(cs->dirs.docker_root_buf)) ?
					       "/var/lib/docker" : cs->dirs.docker_root_buf;
	for (size_t b = 0; cs->bucket && b < cs->nbuckets; b++)
		for (struct wd_ctr_entry *e = cs->bucket[b]; e; e = e->next) {
			wd_ctr_rebuild_json(cs, e);
			wd_ctr_allow_write(cs, e);
		}
	write_mode(cs);
}
