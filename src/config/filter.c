// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config/filter.h"

void wd_filter_maps_free(struct wd_filter_maps *m)
{
	free(m->v4);
	free(m->v6);
	free(m->sets);
	*m = (struct wd_filter_maps){ 0 };
}

static void fill_set(struct wd_portset *s, const struct wd_port_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		for (uint32_t p = l->v[i].lo; p <= l->v[i].hi; p++)
			wd_port_set(s, (uint16_t)p);
}

const struct wd_probe_config *wd_probe_config(const struct wd_config *cfg, int probe)
{
	switch (probe) {
	case WD_PROBE_TCP_CONNECT:
		return &cfg->tcp_connect;
	case WD_PROBE_NET_LISTEN:
		return &cfg->net_listen;
	case WD_PROBE_UDP_SESSION:
		return &cfg->udp_session;
	}
	return NULL;
}

int wd_filter_compile(const struct wd_config *cfg, struct wd_filter_maps *m,
		      char *err, size_t errlen)
{
	size_t n4 = 0, n6 = 0, nsets = WD_NPROBES;

	*m = (struct wd_filter_maps){ 0 };
	for (int probe = 0; probe < WD_NPROBES; probe++) {
		const struct wd_probe_config *pc = wd_probe_config(cfg, probe);

		for (size_t i = 0; pc && i < pc->nfilters; i++) {
			if (pc->filters[i].family == AF_INET)
				n4++;
			else
				n6++;
			if (pc->filters[i].mode != WD_PORTS_ALL)
				nsets++;
		}
	}
	if (n4 > WD_MAX_RULES || n6 > WD_MAX_RULES || nsets > WD_MAX_PORTSETS) {
		snprintf(err, errlen, "too many filters: %zu IPv4 and %zu IPv6 rules, "
			 "%zu with port lists (at most %d per family, %d with ports)",
			 n4, n6, nsets - WD_NPROBES, WD_MAX_RULES,
			 WD_MAX_PORTSETS - WD_NPROBES);
		return -E2BIG;
	}
	m->v4 = calloc(n4 ? n4 : 1, sizeof(*m->v4));
	m->v6 = calloc(n6 ? n6 : 1, sizeof(*m->v6));
	m->sets = calloc(nsets, sizeof(*m->sets));
	if (!m->v4 || !m->v6 || !m->sets) {
		wd_filter_maps_free(m);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->nsets = WD_NPROBES;
	for (int probe = 0; probe < WD_NPROBES; probe++) {
		const struct wd_probe_config *pc = wd_probe_config(cfg, probe);
		const struct wd_port_list *global = NULL;

		if (!pc)
			continue;
		/* includeports wins over excludeports, as in pidtree-bcc. */
		if (pc->includeports.n) {
			m->cfg[probe].global_mode = WD_GLOBAL_INCLUDE;
			global = &pc->includeports;
		} else if (pc->excludeports.n) {
			m->cfg[probe].global_mode = WD_GLOBAL_EXCLUDE;
			global = &pc->excludeports;
		}
		m->cfg[probe].global_set = (uint32_t)probe;
		if (global)
			fill_set(&m->sets[probe], global);
		for (size_t i = 0; i < pc->nfilters; i++) {
			const struct wd_net_filter *f = &pc->filters[i];
			struct wd_rule r = { .mode = (uint16_t)f->mode, .id = (uint16_t)i };

			if (f->mode != WD_PORTS_ALL) {
				r.portset = (uint32_t)m->nsets;
				fill_set(&m->sets[m->nsets++], &f->ports);
			}
			if (f->family == AF_INET) {
				struct wd_lpm4_entry *e = &m->v4[m->n4++];

				e->key.prefixlen = WD_LPM_PROBE_BITS + f->prefixlen;
				e->key.probe = (uint8_t)probe;
				memcpy(e->key.addr, f->addr, 4);
				e->val = r;
			} else {
				struct wd_lpm6_entry *e = &m->v6[m->n6++];

				e->key.prefixlen = WD_LPM_PROBE_BITS + f->prefixlen;
				e->key.probe = (uint8_t)probe;
				memcpy(e->key.addr, f->addr, 16);
				e->val = r;
			}
		}
	}
	return 0;
}

/* Do the first plen bits of a and b agree? */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a, b, bytes))
		return false;
	if (!bits)
		return true;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

bool wd_filter_drops(const struct wd_filter_maps *m, int probe, int family,
		     const uint8_t *addr, uint16_t port)
{
	const struct wd_rule *best = NULL;
	const struct wd_portset *set = NULL;
	int bestlen = -1;

	if (m->cfg[probe].global_mode != WD_GLOBAL_NONE &&
	    wd_global_drops(m->cfg[probe].global_mode, &m->sets[m->cfg[probe].global_set],
			    port))
		return true;
	if (family == AF_INET6 && wd_is_v4mapped(addr)) {
		family = AF_INET;
		addr += 12;
	}
	if (family == AF_INET) {
		for (size_t i = 0; i < m->n4; i++)
			if (m->v4[i].key.probe == probe &&
			    (int)m->v4[i].key.prefixlen > bestlen &&
			    prefix_eq(m->v4[i].key.addr, addr,
				      m->v4[i].key.prefixlen - WD_LPM_PROBE_BITS)) {
				best = &m->v4[i].val;
				bestlen = (int)m->v4[i].key.prefixlen;
			}
	} else {
		for (size_t i = 0; i < m->n6; i++)
			if (m->v6[i].key.probe == probe &&
			    (int)m->v6[i].key.prefixlen > bestlen &&
			    prefix_eq(m->v6[i].key.addr, addr,
				      m->v6[i].key.prefixlen - WD_LPM_PROBE_BITS)) {
				best = &m->v6[i].val;
				bestlen = (int)m->v6[i].key.prefixlen;
			}
	}
	if (!best)
		return false;
	if (best->mode != WD_PORTS_ALL && best->portset < m->nsets)
		set = &m->sets[best->portset];
	return wd_rule_drops(best, set, port);
}
