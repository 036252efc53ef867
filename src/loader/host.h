/* SPDX-License-Identifier: GPL-2.0-only */
/* Can this process load whodunit's programs into this kernel? */
#ifndef WD_HOST_H
#define WD_HOST_H

#include <stdbool.h>

/* CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON, in the effective set. */
bool wd_have_bpf_privileges(void);
/*
 * CAP_NET_ADMIN (or CAP_SYS_ADMIN, which the kernel accepts instead) in the
 * effective set: loading and attaching udp_session's cgroup programs.
 */
bool wd_have_net_admin(void);
/* After an attach failure: log which privilege the kernel wanted, if known. */
void wd_privilege_hint(const char *why);
/*
 * BTF (the kernel's, or btf_path if not NULL) and ring buffers are there.
 * 0, or -EOPNOTSUPP after logging what is missing.
 */
int wd_kernel_check(const char *btf_path);

#endif
