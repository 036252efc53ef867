/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which container a cgroup path names. The layouts (design.md, verified on
 * these hosts for podman with the cgroupfs manager: v1 and v2 both read
 * /libpod_parent/libpod-<id>, the v2 directory's inode is the cgroup id
 * bpf_get_current_cgroup_id() returns):
 *   systemd managers  .../docker-<id>.scope, libpod-<id>.scope,
 *                     cri-containerd-<id>.scope, crio-<id>.scope
 *   cgroupfs managers /docker/<id>, /libpod_parent/libpod-<id>,
 *                     /kubepods/<qos>/pod<uid>/<id> (containerd or CRI-O:
 *                     the OCI bundle tells which)
 */
#ifndef WD_CONTAINER_CGROUP_H
#define WD_CONTAINER_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#define WD_CTR_ID_LEN 64

enum wd_ctr_runtime {
	WD_RT_NONE = 0,
	WD_RT_DOCKER,
	WD_RT_PODMAN,
	WD_RT_CONTAINERD,
	WD_RT_CRIO,
	WD_RT_KUBE, /* under kubepods, runtime not named by the path */
};

/* "docker", "podman", "containerd", "cri-o"; NULL for NONE and KUBE. */
const char *wd_ctr_runtime_name(enum wd_ctr_runtime rt);

/*
 * The container a cgroup path (e.g. "/libpod_parent/libpod-<id>") names: its
 * runtime (WD_RT_NONE: no container) and id (64 lower-case hex + NUL). The
 * deepest component that names one wins.
 */
enum wd_ctr_runtime wd_cgroup_path_container(const char *path, size_t len,
					     char id[WD_CTR_ID_LEN + 1]);

/*
 * The container of a /proc/PID/cgroup text: the v2 line ("0::PATH") first;
 * when it names none, the v1 lines (hybrid hosts whose runtime left the
 * unified hierarchy alone); *v1 says which. v2path (cap bytes, may be NULL)
 * gets the v2 line's path ("" if none).
 */
enum wd_ctr_runtime wd_cgroup_text_container(const char *text, size_t len,
					     char id[WD_CTR_ID_LEN + 1], char *v2path,
					     size_t cap, bool *v1);

#endif
