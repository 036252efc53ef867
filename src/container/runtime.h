/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A container's metadata from its runtime:
 *   docker       Engine API on its unix socket, GET /containers/{id}/json
 *                (Name, Config.Image, Config.Labels)
 *   podman       podman's own state first: the container's config in
 *                libpod's bolt_state.db (name, rootfsImageName, labels; podman
 *                4.3 writes labels nowhere else); then the compatible API on
 *                podman's socket if it exists; then containers.json (names,
 *                image-name; no labels). State first, measured here: 48 us a
 *                lookup against 1.7 ms for the API, and the API waits on the
 *                container's lock while podman starts it (our 100 ms timeout
 *                hit every time), which is exactly when the cgroup appears.
 *   containerd,  the OCI bundle's config.json annotations (bundle_dirs:
 *   cri-o        <dir>/<id>/config.json or <dir>/<id>/userdata/config.json)
 * Each step is bounded (timeout_ms for a socket, sizes for files).
 */
#ifndef WD_CONTAINER_RUNTIME_H
#define WD_CONTAINER_RUNTIME_H

#include "container/container.h"

#define WD_RT_BODY_MAX (1u << 20)     /* bytes of an API answer */
#define WD_RT_STATE_MAX (64u << 20)   /* bytes of podman's state read */
#define WD_RT_LABELS_MAX 256          /* labels kept of a container */
#define WD_RT_TOKENS_MAX 65536

struct wd_rt_paths {
	const char *docker_sock;     /* /run/docker.sock */
	const char *docker_root;     /* /var/lib/docker, or NULL */
	const char *podman_sock;     /* /run/podman/podman.sock */
	const char *podman_storage;  /* /var/lib/containers/storage */
	char *const *bundle_dirs;    /* searched in order */
	size_t nbundle_dirs;
	int timeout_ms;              /* of one API request, all of it */
};

/* The default bundle roots of containerd (k8s.io namespace) and CRI-O. */
extern const char *const wd_rt_default_bundle_dirs[];

#define WD_DOCKER_DAEMON_JSON "/etc/docker/daemon.json"

/*
 * dockerd's data root as its config file (daemon.json) sets it ("data-root",
 * or the older "graph") into buf: 0, or -errno (no file, no key, not an
 * absolute path that fits).
 */
int wd_rt_docker_root(const char *daemon_json, char *buf, size_t len);

/* Fill c (id set) from the runtime rt. 0, or -errno (c keeps what it got). */
int wd_rt_resolve(struct wd_container *c, enum wd_ctr_runtime rt,
		  const struct wd_rt_paths *p);

/*
 * HTTP/1.0 GET path over the unix socket sock, at most timeout_ms in all.
 * *body (malloc'ed, NUL-terminated) gets a 200 answer's body.
 */
int wd_rt_http_get(const char *sock, const char *path, int timeout_ms, char **body,
		   size_t *len);

/* Docker's (and podman's compatible) inspect answer -> c. */
int wd_rt_from_inspect(struct wd_container *c, const char *json, size_t len);
/* An OCI config.json's annotations (containerd or CRI-O) -> c. */
int wd_rt_from_bundle(struct wd_container *c, const char *json, size_t len);
/* Podman's bolt_state.db bytes -> c (the config JSON that holds c->id). */
int wd_rt_from_podman_db(struct wd_container *c, const char *db, size_t len);

#endif
