// SPDX-License-Identifier: GPL-2.0-only
/*
 * The probe sections (tcp_connect, net_listen, udp_session): filters,
 * ports, plugins and each probe's own keys. Defaults are in schema.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "config/network.h"
#include "config/schema.h"
#include "container/container.h"
#include "util/strings.h"
#include "wd_filter.h"

/* What the functions reading a probe's keys get as their arg. */
struct probe_arg {
	struct wd_probe_config *pc;
	const char *name;
	const struct wd_rd_key *keys; /* the keys this probe takes */
};

static struct wd_probe_config *pc_of(void *probe_arg)
{
	return ((struct probe_arg *)probe_arg)->pc;
}

/* ---- filters ------------------------------------------------------------ */

struct filter_state {
	struct wd_net_filter *f;
	yaml_node_t *network, *mask, *except, *include;
};

static int filter_text(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct filter_state *st = arg;
	const char *key = wd_rd_scalar(k);
	char **dst = key[0] == 's' ? &st->f->name : &st->f->description;

	if (!wd_rd_scalar(v))
		return wd_rd_fail(r, v, "%s must be a string", key);
	return wd_set_str(dst, wd_rd_scalar(v));
}

static int filter_network(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	(void)r, (void)k;
	((struct filter_state *)arg)->network = v;
	return 0;
}

static int filter_mask(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	(void)r, (void)k;
	((struct filter_state *)arg)->mask = v;
	return 0;
}

static int filter_ports(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct filter_state *st = arg;
	const char *key = wd_rd_scalar(k);
	int err;

	if (key[0] == 'e')
		st->except = v;
	else
		st->include = v;
	if (st->except && st->include)
		return wd_rd_fail(r, v, "a filter takes except_ports or include_ports, "
					"not both");
	err = wd_rd_get_ports(r, v, key, &st->f->ports);
	if (err)
		return err;
	st->f->mode = key[0] == 'e' ? WD_PORTS_EXCEPT : WD_PORTS_ONLY;
	return 0;
}

static const struct wd_rd_key filter_keys[] = {
	{ "subnet_name", filter_text, NULL },
	{ "network", filter_network, NULL },
	{ "network_mask", filter_mask, NULL },
	{ "description", filter_text, NULL },
	{ "except_ports", filter_ports, NULL },
	{ "include_ports", filter_ports, NULL },
	{ NULL, NULL, NULL },
};

static int filter_pair(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	return wd_rd_dispatch(r, k, v, "a filter", filter_keys, arg);
}

/* network (CIDR, or an address with network_mask) -> f's network. */
static int filter_net(struct wd_reader *r, struct filter_state *st)
{
	struct wd_net_filter *f = st->f;
	const char *s = wd_rd_scalar(st->network), *m = wd_rd_scalar(st->mask);
	bool cidr = false;
	int err, plen;

	if (!s || !*s)
		return wd_rd_fail(r, st->network, "network must be an address such as "
						  "10.0.0.0/8 or fd00::/8");
	err = wd_net_parse(s, f, &cidr);
	if (err == -ERANGE)
		return wd_rd_fail(r, st->network, "network '%s': prefix length must be 0-%d",
				  s, f->family == AF_INET ? 32 : 128);
	if (err)
		return wd_rd_fail(r, st->network, "network '%s' is not an IPv4 or IPv6 "
						  "address", s);
	if (!st->mask)
		return 0;
	if (cidr)
		return wd_rd_fail(r, st->mask, "network_mask given for a network in CIDR "
					       "form ('%s'): use one or the other", s);
	if (f->family != AF_INET)
		return wd_rd_fail(r, st->mask, "network_mask is for IPv4 networks; write "
					       "IPv6 networks as CIDR (e.g. fd00::/8)");
	plen = m ? wd_net_mask_prefix(m) : -1;
	if (plen < 0)
		return wd_rd_fail(r, st->mask, "network_mask %s is not a contiguous mask",
				  m ? m : "(not a string)");
	f->prefixlen = (uint8_t)plen;
	return 0;
}

static int one_filter(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct filter_state st = { .f = arg };
	struct wd_net_filter *f = st.f;
	int err;

	if (n->type != YAML_MAPPING_NODE)
		return wd_rd_fail(r, n, "a filter must be a mapping with at least 'network'");
	f->line = wd_rd_line(n);
	err = wd_rd_each_pair(r, n, "a filter", filter_pair, &st);
	if (err)
		return err;
	if (!st.network)
		return wd_rd_fail(r, n, "filter has no 'network'");
	err = filter_net(r, &st);
	if (err)
		return err;
	wd_net_unmap_v4(f);
	if (wd_net_clear_host_bits(f))
		wd_rd_warn(r, st.network, "network %s has host bits set beyond /%u; they are "
					  "ignored", wd_rd_scalar(st.network), f->prefixlen);
	return 0;
}

static int filter_item(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct wd_probe_config *pc = arg;
	struct wd_net_filter *f = &pc->filters[pc->nfilters];

	*f = (struct wd_net_filter){ 0 };
	pc->nfilters++;
	return wd_rd_include(r, n, one_filter, f);
}

static int filter_list(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct wd_probe_config *pc = pc_of(arg);
	struct wd_net_filter *nf;
	size_t cnt;

	if (n->type != YAML_SEQUENCE_NODE)
		return wd_rd_fail(r, n, "filters must be a list of filters");
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	nf = realloc(pc->filters, (pc->nfilters + cnt + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	pc->filters = nf;
	return wd_rd_each_item(r, n, filter_item, pc);
}

static int cmp_filter(const void *a, const void *b)
{
	const struct wd_net_filter *x = *(const struct wd_net_filter *const *)a;
	const struct wd_net_filter *y = *(const struct wd_net_filter *const *)b;

	if (x->family != y->family)
		return x->family - y->family;
	if (x->prefixlen != y->prefixlen)
		return x->prefixlen - y->prefixlen;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* Two filters for the same network would silently shadow each other. */
static int check_duplicates(struct wd_reader *r, yaml_node_t *n,
			    const struct wd_probe_config *pc, const char *probe)
{
	const struct wd_net_filter **v;
	char a[INET6_ADDRSTRLEN];
	int err = 0;

	if (pc->nfilters < 2)
		return 0;
	v = malloc(pc->nfilters * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < pc->nfilters; i++)
		v[i] = &pc->filters[i];
	qsort(v, pc->nfilters, sizeof(*v), cmp_filter);
	for (size_t i = 1; i < pc->nfilters && !err; i++) {
		if (cmp_filter(&v[i - 1], &v[i]))
			continue;
		inet_ntop(v[i]->family, v[i]->addr, a, sizeof(a));
		err = wd_rd_fail(r, n, "%s: two filters for %s/%u (lines %zu and %zu)", probe,
				 a, v[i]->prefixlen,
				 v[i - 1]->line < v[i]->line ? v[i - 1]->line : v[i]->line,
				 v[i - 1]->line < v[i]->line ? v[i]->line : v[i - 1]->line);
	}
	free(v);
	return err;
}

/* ---- plugins and protocols ---------------------------------------------- */

static int plugin_map(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct probe_arg *pa = arg;

	return wd_schema_plugins(r, n, pa->pc, pa->name);
}

/* container_labels: a list of "label=glob[,label2=glob2]" (container/container.h). */
static int container_label_item(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct wd_probe_config *pc = arg;
	const char *s = wd_rd_scalar(n);
	char **v;

	if (!s || !wd_ctr_labels_valid(s))
		return wd_rd_fail(r, n, "container_labels: '%s' is not label=glob[,label=glob...]",
				  s ? s : "(not a string)");
	v = realloc(pc->container_labels, (pc->ncontainer_labels + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	pc->container_labels = v;
	v[pc->ncontainer_labels] = strdup(s);
	if (!v[pc->ncontainer_labels])
		return -ENOMEM;
	pc->ncontainer_labels++;
	return 0;
}

static int container_labels(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct wd_probe_config *pc = pc_of(arg);

	if (wd_rd_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return wd_rd_fail(r, n, "container_labels must be a list such as "
					"[\"team=blue\", \"app=web*,env=prod\"]");
	return wd_rd_each_item(r, n, container_label_item, pc);
}

/* Its items are not counted against the node budget (they never were). */
static int protocol_list(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct wd_probe_config *pc = pc_of(arg);
	yaml_node_item_t *it;

	if (n->type != YAML_SEQUENCE_NODE)
		return wd_rd_fail(r, n, "protocols must be a list: [tcp], [udp] or [tcp, udp]");
	pc->listen_tcp = pc->listen_udp = false;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = wd_rd_node(r, *it);
		const char *s = wd_rd_scalar(e);

		if (s && !strcmp(s, "tcp"))
			pc->listen_tcp = true;
		else if (s && !strcmp(s, "udp"))
			pc->listen_udp = true;
		else
			return wd_rd_fail(r, e, "protocols: '%s' is not tcp or udp", s ? s : "?");
	}
	return 0;
}

/* ---- the keys of each probe --------------------------------------------- */

static int probe_ports(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct wd_probe_config *pc = pc_of(arg);
	const char *key = wd_rd_scalar(k);

	return wd_rd_get_ports(r, v, key, key[0] == 'i' ? &pc->includeports :
							    &pc->excludeports);
}

static int listen_snapshot(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	(void)k;
	return wd_rd_get_u32(r, v, 0, 86400 * 365,
			     "snapshot_periodicity must be a number of seconds",
			     &pc_of(arg)->snapshot_periodicity);
}

/* same_namespace_only, exclude_random_bind */
static int listen_bool(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct wd_probe_config *pc = pc_of(arg);
	const char *key = wd_rd_scalar(k);

	return wd_rd_get_bool(r, v, key, key[0] == 's' ? &pc->same_namespace_only :
							   &pc->exclude_random_bind);
}

static int udp_duration(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	(void)k;
	return wd_rd_get_u32(r, v, 1, 86400, "session_max_duration must be 1 to 86400 seconds",
			     &pc_of(arg)->session_max_duration);
}

static int udp_emit(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	return wd_rd_get_bool(r, v, wd_rd_scalar(k), &pc_of(arg)->emit_on_first_datagram);
}

/* The keys of every probe, first in each table ("did you mean" order). */
#define PROBE_KEYS                                     \
	{ "filters", NULL, filter_list },              \
	{ "excludeports", probe_ports, NULL },         \
	{ "includeports", probe_ports, NULL },         \
	{ "plugins", NULL, plugin_map },               \
	{ "container_labels", NULL, container_labels }

static const struct wd_rd_key tcp_connect_keys[] = {
	PROBE_KEYS,
	{ NULL, NULL, NULL },
};

static const struct wd_rd_key net_listen_keys[] = {
	PROBE_KEYS,
	{ "protocols", NULL, protocol_list },
	{ "snapshot_periodicity", listen_snapshot, NULL },
	{ "same_namespace_only", listen_bool, NULL },
	{ "exclude_random_bind", listen_bool, NULL },
	{ NULL, NULL, NULL },
};

static const struct wd_rd_key udp_session_keys[] = {
	PROBE_KEYS,
	{ "session_max_duration", udp_duration, NULL },
	{ "emit_on_first_datagram", udp_emit, NULL },
	{ NULL, NULL, NULL },
};

/* dns: filters match the answer's addresses (with port 53); no port lists. */
static const struct wd_rd_key dns_keys[] = {
	{ "filters", NULL, filter_list },
	{ NULL, NULL, NULL },
};

static int probe_pair(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct probe_arg *pa = arg;

	return wd_rd_dispatch(r, k, v, pa->name, pa->keys, pa);
}

/* A probe's section: present (even empty) means enabled. */
static int probe_section(struct wd_reader *r, yaml_node_t *n, struct probe_arg *pa)
{
	struct wd_probe_config *pc = pa->pc;
	int err;

	pc->enabled = true;
	if (wd_rd_is_null(n))
		return 0;
	err = wd_rd_each_pair(r, n, pa->name, probe_pair, pa);
	if (err)
		return err;
	if (pc->includeports.n && pc->excludeports.n)
		wd_rd_warn(r, n, "%s has both includeports and excludeports: includeports wins",
			   pa->name);
	return check_duplicates(r, n, pc, pa->name);
}

int wd_schema_tcp_connect(struct wd_reader *r, yaml_node_t *n, void *cfg)
{
	struct probe_arg pa = { &((struct wd_config *)cfg)->tcp_connect, "tcp_connect",
				tcp_connect_keys };

	return probe_section(r, n, &pa);
}

int wd_schema_net_listen(struct wd_reader *r, yaml_node_t *n, void *cfg)
{
	struct probe_arg pa = { &((struct wd_config *)cfg)->net_listen, "net_listen",
				net_listen_keys };

	return probe_section(r, n, &pa);
}

int wd_schema_udp_session(struct wd_reader *r, yaml_node_t *n, void *cfg)
{
	struct probe_arg pa = { &((struct wd_config *)cfg)->udp_session, "udp_session",
				udp_session_keys };

	return probe_section(r, n, &pa);
}

int wd_schema_dns(struct wd_reader *r, yaml_node_t *n, void *cfg)
{
	struct probe_arg pa = { &((struct wd_config *)cfg)->dns, "dns", dns_keys };

	return probe_section(r, n, &pa);
}
