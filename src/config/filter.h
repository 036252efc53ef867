/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A probe's filter config -> the contents of its BPF maps (LPM tries, port
 * sets, global policy), and the same decision in userland for tests and
 * --check-config, using wd_filter.h's semantics.
 */
#ifndef WD_FILTER_MAPS_H
#define WD_FILTER_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "wd_filter.h"

/* Most rules of one address family; more is a configuration error. */
#define WD_MAX_RULES 65536
/* Most distinct port sets (8 KiB each in the kernel). */
#define WD_MAX_PORTSETS 1024

struct wd_lpm4_entry {
	struct wd_lpm4_key key;
	struct wd_rule val;
};

struct wd_lpm6_entry {
	struct wd_lpm6_key key;
	struct wd_rule val;
};

struct wd_filter_maps {
	struct wd_lpm4_entry *v4;
	size_t n4;
	struct wd_lpm6_entry *v6;
	size_t n6;
	struct wd_portset *sets; /* sets[cfg[probe].global_set]: a probe's global set */
	size_t nsets;
	struct wd_filter_cfg cfg[WD_NPROBES];
};

/*
 * Compile the filters of every configured probe into m. 0, -ENOMEM, or
 * -E2BIG (too many rules or port sets; err says which).
 */
int wd_filter_compile(const struct wd_config *cfg, struct wd_filter_maps *m,
		      char *err, size_t errlen);
/* The configuration of a probe, by id. */
const struct wd_probe_config *wd_probe_config(const struct wd_config *cfg, int probe);
void wd_filter_maps_free(struct wd_filter_maps *m);
/* Would the kernel drop this probe's event for addr:port? (longest prefix) */
bool wd_filter_drops(const struct wd_filter_maps *m, int probe, int family,
		     const uint8_t *addr, uint16_t port);

#endif
