// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel side of rules and flood control: per-process verdicts
 * (wd_verdicts), per-rule counters (wd_rule_hits), flood keys (wd_flood).
 */
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/loader.h"
#include "whodunit.skel.h"

int wd_loader_set_verdict(void *ctx, uint32_t pid, uint64_t start_ns, uint32_t slot,
			  uint32_t probes)
{
	struct wd_loader *l = ctx;
	struct wd_verdict v = { .start_ns = start_ns, .slot = slot, .probes = probes };

	if (!l->skel)
		return -ENODEV;
	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.wd_verdicts), &pid, &v, BPF_ANY))
		return -errno;
	return 0;
}

void wd_loader_del_verdict(void *ctx, uint32_t pid, uint64_t start_ns)
{
	struct wd_loader *l = ctx;
	struct wd_verdict v;
	int fd;

	if (!l->skel)
		return;
	fd = bpf_map__fd(l->skel->maps.wd_verdicts);
	/* (only this process's: the pid may be another's by now) */
	if (!bpf_map_lookup_elem(fd, &pid, &v) && v.start_ns == start_ns)
		bpf_map_delete_elem(fd, &pid);
}

void wd_loader_clear_verdicts(void *ctx)
{
	struct wd_loader *l = ctx;
	uint32_t k, next;
	int fd, steps = 4 * WD_VERDICTS_MAX;
	bool more;

	if (!l->skel)
		return;
	fd = bpf_map__fd(l->skel->maps.wd_verdicts);
	l->skel->bss->verdicts_on = 1;
	more = !bpf_map_get_next_key(fd, NULL, &k);
	for (; more && steps; steps--) {
		more = !bpf_map_get_next_key(fd, &k, &next);
		bpf_map_delete_elem(fd, &k);
		k = next;
	}
}

int wd_loader_rule_hits(void *ctx, uint64_t *per_slot)
{
	struct wd_loader *l = ctx;
	int ncpu = libbpf_num_possible_cpus(), fd;
	uint64_t *v;

	if (!l->skel || ncpu <= 0)
		return -ENODEV;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	fd = bpf_map__fd(l->skel->maps.wd_rule_hits);
	for (uint32_t s = 0; s < WD_RULE_SLOTS; s++) {
		per_slot[s] = 0;
		if (bpf_map_lookup_elem(fd, &s, v))
			continue;
		for (int i = 0; i < ncpu; i++)
			per_slot[s] += v[i];
	}
	free(v);
	return 0;
}

void wd_loader_flood_burst(void *ctx, uint32_t burst)
{
	struct wd_loader *l = ctx;

	if (l->skel)
		__atomic_store_n(&l->skel->bss->flood_burst, burst, __ATOMIC_RELEASE);
}

bool wd_loader_flood_marked(void *ctx, uint32_t pid, uint64_t start_ns)
{
	struct wd_loader *l = ctx;
	struct wd_proc_key k = { .tgid = pid, .start_ns = start_ns };
	int fd;

	if (!l->skel)
		return false;
	fd = bpf_map__fd(l->skel->maps.wd_flood_procs);
	return !bpf_map_delete_elem(fd, &k);
}

int wd_loader_flood_take(void *ctx, uint32_t pid, uint64_t start_ns, wd_flood_fn fn,
			 void *arg)
{
	struct wd_loader *l = ctx;
	struct wd_flood_key k, next;
	struct wd_flood_val v;
	uint64_t steps = 4ull * WD_FLOOD_MAX;
	bool more;
	int fd;

	if (!l->skel)
		return -ENODEV;
	fd = bpf_map__fd(l->skel->maps.wd_flood);
	more = !bpf_map_get_next_key(fd, NULL, &k);
	for (; more && steps; steps--) {
		/* the next key first: taking k loses the place */
		more = !bpf_map_get_next_key(fd, &k, &next);
		if ((!pid || (k.tgid == pid && k.start_ns == start_ns)) &&
		    !wd_loader_map_take(l, fd, &k, &v) &&
		    v.suppressed)
			fn(arg, &k, &v);
		k = next;
	}
	return 0;
}
