/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What userland adds to a process the kernel reported: its cmdline, read
 * from /proc only when (pid, start time) still names the same process,
 * and cached under that key so /proc is read once per process.
 */
#ifndef WD_PCACHE_H
#define WD_PCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_CMDLINE_MAX 4096 /* bytes kept of one cmdline */

struct wd_pinfo {
	uint32_t pid;
	uint64_t start_ns;
	char comm[16];  /* kernel comm when cached: a change means an exec */
	char *cmdline; /* NULL when it could not be read for this process */
	uint32_t len;
	bool truncated;
	bool used;
};

struct wd_pcache {
	const char *proc_root; /* "/proc", or a fake root in tests */
	uint64_t ns_per_tick;  /* 1e9 / sysconf(_SC_CLK_TCK) */
	struct wd_pinfo *slot;
	size_t nslots; /* a power of two */
	uint64_t hits, misses, proc_reads;
};

int wd_pcache_init(struct wd_pcache *c, const char *proc_root, size_t nslots);
void wd_pcache_free(struct wd_pcache *c);
/*
 * The info for (pid, start_ns), read from /proc on a miss or when comm
 * (the kernel's, at most 16 bytes) differs from the cached one because the
 * process exec'ed since. Never NULL.
 */
const struct wd_pinfo *wd_pcache_get(struct wd_pcache *c, uint32_t pid,
				     uint64_t start_ns, const char *comm);

#endif
