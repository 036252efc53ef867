/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Can a variant work on this kernel? Cheap checks that rule one out before
 * a full load (~50 ms of BTF parsing and verification).
 */
#ifndef WD_FEASIBLE_H
#define WD_FEASIBLE_H

#include <stddef.h>

/*
 * The BTF id of function `name` in a raw BTF file, by a plain scan of its
 * type section. A negative errno when absent or unreadable.
 */
int wd_btf_func_id(const char *path, const char *name);
/* Can an fexit program attach to tcp_v4_connect? 0, or -errno and why. */
int wd_fentry_usable(char *why, size_t whylen);
/* Is there a kprobe PMU or tracefs kprobe_events? 0, or -errno and why. */
int wd_kprobe_usable(char *why, size_t whylen);

#endif
