/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Containers: which container a process is in (its cgroup), what the
 * runtime says of it (name, image, labels, Kubernetes pod), cached by cgroup
 * id; the set of cgroups each probe's container_labels allows, kept in a
 * kernel map as containers start and stop.
 *
 * The struct is plain (strings and label arrays) so that rules can match
 * against it: wd_container_of() is the lookup.
 */
#ifndef WD_CONTAINER_H
#define WD_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container/cgroup.h"

struct wd_container {
	char id[WD_CTR_ID_LEN + 1];     /* 64 hex */
	const char *runtime;            /* "docker", "podman", "containerd", "cri-o"; NULL: unknown */
	char *name, *image;             /* NULL when the runtime did not say */
	char *pod, *namespace, *container; /* Kubernetes; NULL otherwise */
	char **label_keys, **label_values; /* every label, sorted by key */
	size_t nlabels;
	bool resolved; /* the runtime (API, state or bundle) answered */
};

/* The value of label key, or NULL. */
const char *wd_container_label(const struct wd_container *c, const char *key);
void wd_container_clear(struct wd_container *c);

/* ---- the cache and the kernel's allowed set ----------------------------- */

#include "output/json.h"

struct wd_config;

struct wd_ctr_entry {
	uint64_t key;             /* cgroup v2 id (WD_CTR_V1_KEY: a v1-only container) */
	struct wd_ctr_entry *next; /* in its bucket */
	struct wd_container c;    /* c.id[0] == '\0': a host cgroup */
	enum wd_ctr_runtime rt;   /* what the path said */
	char *path;               /* containers: the v2 path (the check without inotify) */
	char *json;               /* ,"container":{...}, built once */
	size_t json_len;
	int64_t retry_ns;         /* unresolved: ask the runtime again from then */
	unsigned int tries;
	uint32_t allow;           /* probe bits written to wd_ctr_allow */
	size_t bytes;             /* counted in wd_containers.bytes */
	bool per_pid;             /* shared v2 cgroup: each process's v1 lines decide */
};

#define WD_CTR_V1_KEY (1ull << 63)

struct wd_ctr_watch; /* watch.c */

struct wd_containers {
	struct wd_ctr_entry **bucket;
	size_t nbuckets, count, max; /* entries now and at most */
	size_t bytes;                /* of the entries and their strings */
	struct wd_rt_paths_store {
		char *const *bundle_dirs;
		size_t nbundle_dirs;
		const char *docker_root;
		char docker_root_buf[256]; /* data-root of /etc/docker/daemon.json */
	} dirs;
	const char *proc_root;
	char cgroot[256];     /* the cgroup v2 mount ("" when none) */
	const struct wd_config *cfg;
	size_t labels_max;    /* labels in an event's container object */
	int allow_fd, mode_fd; /* the kernel maps, -1 before the loader */
	uint32_t mode;        /* probe bits of container_labels in force */
	int ifd;              /* inotify on the cgroup tree, or -1 */
	struct wd_ctr_watch *watches;
	size_t nwatches, capwatches;
	int64_t next_check_ns; /* CLOCK_MONOTONIC: retries, and checks without inotify */
	/*
	 * Processes whose /proc entry was gone: not read again for a while
	 * (a burst of events of an exited process costs one failed open).
	 */
	struct wd_ctr_gone {
		uint32_t pid;
		int64_t until_ns;
	} gone[64];
	/* counted */
	uint64_t lookups, misses, resolved, unresolved, evicted, removed, allow_full;
	uint64_t watch_full, overflows, gone_skipped;
};

int wd_containers_init(struct wd_containers *cs, const struct wd_config *cfg,
		       const char *proc_root, size_t max);
void wd_containers_free(struct wd_containers *cs);
/* After the config changed in place: label limits, bundle dirs, the kernel's set. */
void wd_containers_settings(struct wd_containers *cs);

/*
 * The container of the process pid whose cgroup v2 id is cgroup_id, or NULL
 * (a host process). Cached by cgroup id; a miss reads /proc/PID/cgroup and
 * asks the runtime once (bounded; an unresolved container still has its id
 * and is asked again later).
 */
const struct wd_container *wd_container_of(struct wd_containers *cs,
					   uint64_t cgroup_id, uint32_t pid);
/* The same, with its JSON: ,"container":{...} (NULL and 0 for a host process). */
const struct wd_ctr_entry *wd_container_entry(struct wd_containers *cs,
					      uint64_t cgroup_id, uint32_t pid);

/*
 * container_labels (pidtree-bcc's): entries "label=glob[,label2=glob2]";
 * commas AND, entries OR; a label that is absent never matches.
 */
bool wd_ctr_labels_match(const struct wd_container *c, char *const *entries, size_t n);
/* An entry is well formed (each comma part has a '=' after a non-empty key). */
bool wd_ctr_labels_valid(const char *entry);

/* The slot of key's entry (*slot NULL when absent). */
struct wd_ctr_entry **wd_ctr_find(struct wd_containers *cs, uint64_t key);
/* e's JSON again (labels_max changed). */
void wd_ctr_rebuild_json(struct wd_containers *cs, struct wd_ctr_entry *e);
/* Forget key's entry (cgroup gone). */
void wd_ctr_drop(struct wd_containers *cs, uint64_t key);
/* Ask the runtimes again about entries that are due (a few per call). */
void wd_ctr_retry_due(struct wd_containers *cs, int64_t now);

/* watch.c: the cgroup tree under inotify, the kernel's allowed set. */
void wd_containers_stop_watch(struct wd_containers *cs);
int wd_containers_start(struct wd_containers *cs, int allow_fd, int mode_fd);
int wd_containers_fd(const struct wd_containers *cs);
void wd_containers_on_inotify(struct wd_containers *cs);
void wd_containers_tick(struct wd_containers *cs);
/* The probe bits c is allowed for (the config's container_labels). */
uint32_t wd_ctr_allow_bits(const struct wd_containers *cs, const struct wd_container *c);
/* Write e's bits to the kernel (called when an entry is resolved). */
void wd_ctr_allow_write(struct wd_containers *cs, struct wd_ctr_entry *e);
/* A cgroup directory appeared (cache entry for it if it is a container's). */
struct wd_ctr_entry *wd_ctr_add_cgroup(struct wd_containers *cs, uint64_t cgid,
				       const char *path);
/* A cgroup directory went: its entry and its kernel entry. */
void wd_ctr_remove_cgroup(struct wd_containers *cs, uint64_t cgid);

#endif
