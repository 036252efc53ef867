/* SPDX-License-Identifier: GPL-2.0-only */
/* File systems the programs need: tracefs (tracepoints), cgroup2 (udp_session). */
#ifndef WD_MOUNTS_H
#define WD_MOUNTS_H

/* Classic tracepoints need tracefs: mount it where the system has not. */
void wd_ensure_tracefs(void);
/*
 * An O_RDONLY descriptor of the cgroup v2 root, where cgroup programs see
 * every process; mounted on /run/whodunit/cgroup2 when the system has no
 * cgroup2 mount. A negative errno on failure.
 */
int wd_cgroup2_root(void);
/*
 * Unmount what the two above mounted (nothing the system had), after the
 * programs and the cgroup descriptor are gone: the agent's stop.
 */
void wd_mounts_undo(void);

#endif
