// SPDX-License-Identifier: GPL-2.0-only
/*
 * Filter sets in the kernel's maps, by generation (include/wd_filter.h): a
 * new set is written beside the one in use, then filter_gen switches, once.
 * The set switched away from stays until the next swap reuses its
 * generation (long after any program that read the old index returned).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config/filter.h"
#include "loader/loader.h"
#include "whodunit.skel.h"

/* Delete what generation g holds (the keys it was written with). */
static void clear_gen(struct wd_loader *l, unsigned int g)
{
	struct wd_filter_keys *k = &l->keys[g];
	int fd4 = bpf_map__fd(l->skel->maps.wd_lpm4), fd6 = bpf_map__fd(l->skel->maps.wd_lpm6);

	for (size_t i = 0; i < k->n4; i++)
		bpf_map_delete_elem(fd4, &k->v4[i]);
	for (size_t i = 0; i < k->n6; i++)
		bpf_map_delete_elem(fd6, &k->v6[i]);
	free(k->v4);
	free(k->v6);
	*k = (struct wd_filter_keys){ 0 };
}

/* A rule of m as generation g stores it: its slot, its port set moved. */
static void to_gen(unsigned int g, uint32_t set_base, uint8_t *probe, struct wd_rule *r)
{
	*probe = (uint8_t)WD_FILTER_SLOT(g, *probe);
	if (r->mode != WD_PORTS_ALL)
		r->portset += set_base;
}

static int write_rules(struct wd_loader *l, unsigned int g, const struct wd_filter_maps *m)
{
	struct wd_filter_keys *k = &l->keys[g];
	int fd4 = bpf_map__fd(l->skel->maps.wd_lpm4), fd6 = bpf_map__fd(l->skel->maps.wd_lpm6);
	uint32_t base = g * l->sets_half;

	k->v4 = calloc(m->n4 ? m->n4 : 1, sizeof(*k->v4));
	k->v6 = calloc(m->n6 ? m->n6 : 1, sizeof(*k->v6));
	if (!k->v4 || !k->v6)
		return -ENOMEM;
	for (size_t i = 0; i < m->n4; i++) {
		struct wd_lpm4_entry e = m->v4[i];

		to_gen(g, base, &e.key.probe, &e.val);
		if (bpf_map_update_elem(fd4, &e.key, &e.val, BPF_ANY))
			return -errno;
		k->v4[k->n4++] = e.key;
	}
	for (size_t i = 0; i < m->n6; i++) {
		struct wd_lpm6_entry e = m->v6[i];

		to_gen(g, base, &e.key.probe, &e.val);
		if (bpf_map_update_elem(fd6, &e.key, &e.val, BPF_ANY))
			return -errno;
		k->v6[k->n6++] = e.key;
	}
	return 0;
}

static int write_gen(struct wd_loader *l, unsigned int g, const struct wd_filter_maps *m)
{
	int fds = bpf_map__fd(l->skel->maps.wd_portsets);
	int fdc = bpf_map__fd(l->skel->maps.wd_filter_cfg);
	uint32_t base = g * l->sets_half;
	int err;

	if (m->nsets > l->sets_half)
		return -E2BIG;
	clear_gen(l, g);
	err = write_rules(l, g, m);
	for (uint32_t i = 0; !err && i < m->nsets; i++) {
		uint32_t idx = base + i;

		if (bpf_map_update_elem(fds, &idx, &m->sets[i], BPF_ANY))
			err = -errno;
	}
	for (uint32_t p = 0; !err && p < WD_NPROBES; p++) {
		struct wd_filter_cfg c = m->cfg[p];
		uint32_t slot = WD_FILTER_SLOT(g, p);

		c.global_set += base;
		if (bpf_map_update_elem(fdc, &slot, &c, BPF_ANY))
			err = -errno;
	}
	return err;
}

int wd_loader_fill_filters(struct wd_loader *l, const struct wd_filter_maps *m)
{
	l->gen = 0;
	l->epoch = 0;
	return write_gen(l, 0, m);
}

int wd_loader_swap_filters(struct wd_loader *l, const struct wd_filter_maps *m, char *why,
			   size_t whylen)
{
	unsigned int g = 1 - l->gen;
	int err = write_gen(l, g, m);

	if (err) {
		clear_gen(l, g);
		if (why && err == -E2BIG)
			snprintf(why, whylen, "filters: more port lists than the maps sized "
				 "at start hold (%u): restart to apply", l->sets_half);
		else if (why)
			snprintf(why, whylen, "filters: %s", strerror(-err));
		return err;
	}
	/* one aligned store: each event reads it once; the epoch's parity is g */
	l->epoch++;
	__atomic_store_n(&l->skel->bss->filter_gen, l->epoch, __ATOMIC_RELEASE);
	l->gen = g;
	return 0;
}

void wd_loader_free_filters(struct wd_loader *l)
{
	free(l->keys[0].v4);
	free(l->keys[0].v6);
	free(l->keys[1].v4);
	free(l->keys[1].v6);
}
