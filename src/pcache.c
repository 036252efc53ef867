// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcache.h"
#include "procfs.h"

int wd_pcache_init(struct wd_pcache *c, const char *proc_root, size_t nslots)
{
	long tck = sysconf(_SC_CLK_TCK);
	size_t n = 1;

	while (n < nslots)
		n <<= 1;
	*c = (struct wd_pcache){ 0 };
	c->proc_root = proc_root;
	c->ns_per_tick = 1000000000ull / (uint64_t)(tck > 0 ? tck : 100);
	c->slot = calloc(n, sizeof(*c->slot));
	if (!c->slot)
		return -ENOMEM;
	c->nslots = n;
	return 0;
}

void wd_pcache_free(struct wd_pcache *c)
{
	for (size_t i = 0; i < c->nslots; i++)
		free(c->slot[i].cmdline);
	free(c->slot);
	*c = (struct wd_pcache){ 0 };
}

static size_t slot_of(const struct wd_pcache *c, uint32_t pid, uint64_t start)
{
	uint64_t h = ((uint64_t)pid * 0x9e3779b97f4a7c15ull) ^ (start * 0xff51afd7ed558ccdull);

	return (size_t)(h >> 17) & (c->nslots - 1);
}

/* Does ROOT/pid/stat still describe the process that started at start_ns? */
static bool same_process(struct wd_pcache *c, uint32_t pid, uint64_t start_ns)
{
	struct wd_stat st;

	if (wd_read_stat(c->proc_root, (pid_t)pid, &st))
		return false;
	return st.starttime == start_ns / c->ns_per_tick;
}

static void fill(struct wd_pcache *c, struct wd_pinfo *pi)
{
	char *buf;
	ssize_t n;

	pi->cmdline = NULL;
	pi->len = 0;
	pi->truncated = false;
	c->proc_reads++;
	if (!same_process(c, pi->pid, pi->start_ns))
		return;
	buf = malloc(WD_CMDLINE_MAX);
	if (!buf)
		return;
	n = wd_read_cmdline(c->proc_root, (pid_t)pi->pid, buf, WD_CMDLINE_MAX,
			    &pi->truncated);
	/* Empty (exited, zombie) or read while the pid was being reused. */
	if (n <= 0 || !same_process(c, pi->pid, pi->start_ns)) {
		free(buf);
		return;
	}
	pi->cmdline = realloc(buf, (size_t)n) ?: buf;
	pi->len = (uint32_t)n;
}

const struct wd_pinfo *wd_pcache_get(struct wd_pcache *c, uint32_t pid,
				     uint64_t start_ns, const char *comm)
{
	struct wd_pinfo *pi = &c->slot[slot_of(c, pid, start_ns)];

	if (pi->used && pi->pid == pid && pi->start_ns == start_ns &&
	    strncmp(pi->comm, comm, sizeof(pi->comm)) == 0) {
		c->hits++;
		return pi;
	}
	c->misses++;
	free(pi->cmdline);
	pi->pid = pid;
	pi->start_ns = start_ns;
	memset(pi->comm, 0, sizeof(pi->comm));
	memcpy(pi->comm, comm, strnlen(comm, sizeof(pi->comm)));
	pi->used = true;
	fill(c, pi);
	return pi;
}
