// SPDX-License-Identifier: GPL-2.0-only
/*
 * whodunit BPF programs, one object and one skeleton. This file defines what
 * every program shares (license, the knobs userland sets before load) and
 * includes the rest:
 *
 *   lib/     maps, the emit path, the ancestry walk, sockaddr readers,
 *            the filter verdict, the fd->socket walk, per-thread stashes
 *   probes/  one file per feature, each with its own maps:
 *            tcp_connect  fentry, kprobe and tracepoint variants
 *            process      fork/exec/exit for userland's process cache
 *            net_listen   TCP listen() and UDP bind()
 *            udp_session  cgroup hooks on UDP sends, connects, releases
 *            dns          DNS answers received, for the names of addresses
 *
 * The headers rely on the includes and knobs above them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "wd_abi.h"
#include "wd_filter.h"
#include "lib/abi.h"

char LICENSE[] SEC("license") = "GPL";

/* Force a wakeup once this many bytes were submitted on a CPU without one. */
const volatile __u64 wakeup_bytes = 64 * 1024;
/*
 * bpf_get_current_task_btf() exists (Linux 5.11+): walk task_struct with
 * direct loads instead of a helper call per field. Set by userland after
 * probing; the verifier prunes the branch not taken.
 */
const volatile bool task_btf = false;
/* bpf_task_pt_regs() exists (Linux 5.15+); set by userland after probing. */
const volatile bool task_pt_regs = false;
/* net_listen: drop UDP binds to port 0 (the kernel picks a port). */
const volatile bool exclude_random_bind = false;

#include "probes/tcp_connect.h"
#include "probes/process.h"
#include "probes/net_listen.h"
#include "probes/udp_session.h"
#include "probes/dns.h"
