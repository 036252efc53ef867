// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include <yaml.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "config/config.h"
#include "util/variant.h"
#include "util/file.h"
#include "wd_filter.h"
#include "util/log.h"
#include "output/sink.h"
#include "loader/loader.h"

#define WD_CONFIG_MAX_BYTES (4u << 20)
/*
 * Nodes visited, aliases counted each time they are walked. A 4 MiB file
 * without aliases holds well under a million; aliases of filters with port
 * lists multiply, which is what this bounds.
 */
#define WD_CONFIG_MAX_NODES 2000000
#define WD_CONFIG_MAX_DEPTH 64
#define WD_CONFIG_MAX_INCLUDES 16

struct ctx {
	yaml_document_t *doc;
	const char *name;   /* file name for messages */
	const char *dir;    /* directory of that file, for !include */
	char *err;
	size_t errlen;
	unsigned int *visits; /* shared by nested includes */
	int depth;            /* include nesting */
	const char *chain[WD_CONFIG_MAX_INCLUDES + 1]; /* files being read */
	struct wd_config *cfg;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int len;

	len = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->name,
		       n ? n->start_mark.line + 1 : 1,
		       n ? n->start_mark.column + 1 : 1);
	if (len < 0 || (size_t)len >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + len, c->errlen - (size_t)len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
						: NULL;
}

static bool is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	if (!s)
		return false;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int visit(struct ctx *c, const yaml_node_t *n)
{
	if (++*c->visits > WD_CONFIG_MAX_NODES)
		return fail(c, n, "configuration too large (more than %d nodes after "
				  "expanding aliases): an alias bomb?",
			    WD_CONFIG_MAX_NODES);
	return 0;
}

/* Levenshtein distance, for "did you mean" suggestions. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[64], i, j;

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = d[0], tmp;

		d[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = d[j];
			d[j] = a[i - 1] == b[j - 1] ? prev :
				1 + (prev < d[j] ? (prev < d[j - 1] ? prev : d[j - 1]) :
						   (d[j] < d[j - 1] ? d[j] : d[j - 1]));
			prev = tmp;
		}
	}
	return d[lb];
}

static int unknown_key(struct ctx *c, const yaml_node_t *k, const char *where,
		       const char *const *known)
{
	const char *key = scalar(k), *best = NULL;
	size_t bd = SIZE_MAX;

	for (size_t i = 0; known[i]; i++) {
		size_t d = distance(key, known[i]);

		if (d < bd) {
			bd = d;
			best = known[i];
		}
	}
	if (best && bd <= 3)
		return fail(c, k, "unknown key '%s' in %s (did you mean '%s'?)", key,
			    where, best);
	return fail(c, k, "unknown key '%s' in %s", key, where);
}

typedef int (*node_fn)(struct ctx *c, yaml_node_t *n, void *arg);

static char *read_file(const char *path, size_t *len, int *err)
{
	return wd_read_file(path, WD_CONFIG_MAX_BYTES, len, NULL, err);
}

/* Parse text into doc; on a YAML syntax error write name:line:col. */
static int load_doc(yaml_document_t *doc, const char *name, const char *text,
		    size_t len, char *err, size_t errlen)
{
	yaml_parser_t parser;
	int ret = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s%s%s", name,
			 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "invalid YAML",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		ret = -EINVAL;
	}
	yaml_parser_delete(&parser);
	return ret;
}

/* Call fn on n, or on the root of the file that an `!include FILE` names. */
static int with_include(struct ctx *c, yaml_node_t *n, node_fn fn, void *arg)
{
	char path[PATH_MAX], dir[PATH_MAX], *text, *slash;
	const char *file = scalar(n);
	yaml_document_t doc;
	struct ctx cc;
	size_t len;
	int err = 0;

	if (!n->tag || strcmp((const char *)n->tag, "!include"))
		return fn(c, n, arg);
	if (!file || !*file)
		return fail(c, n, "!include needs a file name");
	if (c->depth >= WD_CONFIG_MAX_INCLUDES)
		return fail(c, n, "!include nested deeper than %d files",
			    WD_CONFIG_MAX_INCLUDES);
	if (file[0] == '/')
		snprintf(path, sizeof(path), "%s", file);
	else
		snprintf(path, sizeof(path), "%s/%s", c->dir, file);
	for (int i = 0; i <= c->depth; i++)
		if (c->chain[i] && !strcmp(c->chain[i], path))
			return fail(c, n, "!include cycle: %s includes itself", path);
	text = read_file(path, &len, &err);
	if (!text)
		return fail(c, n, "!include %s: %s", path, strerror(-err));
	err = load_doc(&doc, path, text, len, c->err, c->errlen);
	free(text);
	if (err)
		return err;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	cc = *c;
	cc.doc = &doc;
	cc.name = path;
	cc.dir = dir;
	cc.depth = c->depth + 1;
	cc.chain[cc.depth] = path;
	if (!yaml_document_get_root_node(&doc))
		err = fail(&cc, NULL, "empty file");
	else
		err = with_include(&cc, yaml_document_get_root_node(&doc), fn, arg);
	yaml_document_delete(&doc);
	return err;
}

/* Iterate a mapping: fn(c, key, value) for each pair. */
typedef int (*pair_fn)(struct ctx *c, yaml_node_t *k, yaml_node_t *v, void *arg);

static int each_pair(struct ctx *c, yaml_node_t *map, const char *what,
		     pair_fn fn, void *arg)
{
	yaml_node_pair_t *p;
	int err;

	if (map->type != YAML_MAPPING_NODE)
		return fail(c, map, "%s must be a mapping", what);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);

		err = visit(c, v);
		if (err)
			return err;
		if (!scalar(k))
			return fail(c, k, "keys of %s must be plain strings", what);
		err = fn(c, k, v, arg);
		if (err)
			return err;
	}
	return 0;
}

static int get_string(struct ctx *c, yaml_node_t *v, const char *key,
		      const char **out)
{
	const char *s = scalar(v);

	if (!s || is_null(v))
		return fail(c, v, "%s must be a string", key);
	*out = s;
	return 0;
}

/* "8388608", "8M", "8MiB", "512K" -> bytes. */
static int get_size(struct ctx *c, yaml_node_t *v, const char *key,
		    uint64_t *out)
{
	const char *s = scalar(v);
	unsigned long long n;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return fail(c, v, "%s must be a size such as 8M or 8388608", key);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return fail(c, v, "%s: %s is too large", key, s);
	if (!strcmp(end, "K") || !strcmp(end, "KiB"))
		n <<= 10;
	else if (!strcmp(end, "M") || !strcmp(end, "MiB"))
		n <<= 20;
	else if (!strcmp(end, "G") || !strcmp(end, "GiB"))
		n <<= 30;
	else if (*end)
		return fail(c, v, "%s: unknown unit in '%s' (use K, M or G)", key, s);
	*out = n;
	return 0;
}

static int set_str(char **dst, const char *s)
{
	char *d = strdup(s);

	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

static const char *const agent_keys[] = {
	"output", "syslog_facility", "syslog_ident", "syslog_socket",
	"ring_buffer_size", "probe_mode", "process_cache_size", "max_event_size", NULL,
};

static int agent_pair(struct ctx *c, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct wd_config *cfg = c->cfg;
	const char *key = scalar(k), *s = NULL;
	struct wd_sink probe_sink = { 0 };
	uint64_t size = 0;
	int err;

	(void)arg;
	if (!strcmp(key, "output")) {
		err = get_string(c, v, key, &s);
		if (err)
			return err;
		err = wd_sink_parse(&probe_sink, s);
		free(probe_sink.path);
		if (err)
			return fail(c, v, "output '%s' is not syslog, stdout or file:PATH", s);
		return set_str(&cfg->output, s);
	}
	if (!strcmp(key, "syslog_facility")) {
		err = get_string(c, v, key, &s);
		if (err)
			return err;
		err = wd_syslog_facility(s);
		if (err < 0)
			return fail(c, v, "unknown syslog facility '%s' (daemon, user, "
					  "local0..local7, ...)", s);
		cfg->syslog_facility = err;
		return 0;
	}
	if (!strcmp(key, "syslog_ident")) {
		err = get_string(c, v, key, &s);
		if (err)
			return err;
		if (!*s || strlen(s) >= sizeof(cfg->syslog_ident) || strpbrk(s, " :[]"))
			return fail(c, v, "syslog_ident must be 1 to %zu characters "
					  "without spaces, ':' or brackets",
				    sizeof(cfg->syslog_ident) - 1);
		snprintf(cfg->syslog_ident, sizeof(cfg->syslog_ident), "%s", s);
		return 0;
	}
	if (!strcmp(key, "syslog_socket")) {
		err = get_string(c, v, key, &s);
		if (err)
			return err;
		if (s[0] != '/' || strlen(s) >= 108)
			return fail(c, v, "syslog_socket must be an absolute path "
					  "shorter than 108 bytes");
		return set_str(&cfg->syslog_socket, s);
	}
	if (!strcmp(key, "ring_buffer_size")) {
		err = get_size(c, v, key, &size);
		if (err)
			return err;
		if (size < 4096 || size > (1u << 30) || (size & (size - 1)))
			return fail(c, v, "ring_buffer_size must be a power of two "
					  "between 4K and 1G");
		cfg->ring_buffer_bytes = (uint32_t)size;
		return 0;
	}
	if (!strcmp(key, "max_event_size")) {
		err = get_size(c, v, key, &size);
		if (err)
			return err;
		if (size != 0 && (size < 1024 || size > (1u << 24)))
			return fail(c, v, "max_event_size must be 0 (no limit) or 1K to 16M");
		cfg->max_event_size = (uint32_t)size;
		return 0;
	}
	if (!strcmp(key, "process_cache_size")) {
		err = get_size(c, v, key, &size);
		if (err)
			return err;
		if (size < 64 || size > (1u << 24))
			return fail(c, v, "process_cache_size must be between 64 and 16M entries");
		cfg->process_cache_size = (uint32_t)size;
		return 0;
	}
	if (!strcmp(key, "probe_mode")) {
		err = get_string(c, v, key, &s);
		if (err)
			return err;
		if (wd_variant_parse(s) < 0)
			return fail(c, v, "probe_mode '%s' is not auto, fentry, kprobe "
					  "or tracepoint", s);
		return set_str(&cfg->probe_mode, s);
	}
	return unknown_key(c, k, "agent", agent_keys);
}

static int agent_section(struct ctx *c, yaml_node_t *n, void *arg)
{
	if (is_null(n))
		return 0;
	return each_pair(c, n, "agent", agent_pair, arg);
}

/* ---- probes: filters, ports, plugins ---------------------------------- */

/* "443" or "100-200" (inclusive) -> range. */
static int parse_port(struct ctx *c, yaml_node_t *n, const char *key,
		      struct wd_port_range *out)
{
	const char *s = scalar(n), *p;
	unsigned long v[2] = { 0, 0 };
	int k = 0;

	if (!s || !*s)
		return fail(c, n, "%s: a port must be a number (1-65535) or a range "
				  "such as \"8000-8100\"", key);
	for (p = s; k < 2; k++) {
		const char *start = p;

		while (*p >= '0' && *p <= '9') {
			v[k] = v[k] * 10 + (unsigned long)(*p - '0');
			if (v[k] > 65535)
				return fail(c, n, "%s: port %s is out of range (1-65535)",
					    key, s);
			p++;
		}
		if (p == start)
			return fail(c, n, "%s: '%s' is not a port or a port range", key, s);
		if (*p == '\0')
			break;
		if (*p != '-' || k == 1)
			return fail(c, n, "%s: '%s' is not a port or a port range", key, s);
		p++;
	}
	if (k == 0)
		v[1] = v[0];
	if (v[0] == 0 || v[1] == 0)
		return fail(c, n, "%s: port 0 is not a destination port (1-65535)", key);
	if (v[0] > v[1])
		return fail(c, n, "%s: range %s is backwards", key, s);
	out->lo = (uint16_t)v[0];
	out->hi = (uint16_t)v[1];
	return 0;
}

struct ports_arg {
	const char *key;
	struct wd_port_list *list;
};

static int port_list(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct ports_arg *pa = arg;
	struct wd_port_list *l = pa->list;
	yaml_node_item_t *it;
	size_t cnt;
	int err;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "%s must be a list of ports, e.g. [443, \"8000-8100\"]",
			    pa->key);
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	free(l->v);
	l->n = 0;
	l->v = calloc(cnt ? cnt : 1, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);

		err = visit(c, e);
		if (!err)
			err = parse_port(c, e, pa->key, &l->v[l->n]);
		if (err)
			return err;
		l->n++;
	}
	return 0;
}

static int get_ports(struct ctx *c, yaml_node_t *v, const char *key,
		     struct wd_port_list *l)
{
	struct ports_arg pa = { key, l };

	return with_include(c, v, port_list, &pa);
}

/* Parse an address: "10.0.0.0", "10.0.0.0/8", "2001:db8::/32", "::1". */
static int parse_network(struct ctx *c, yaml_node_t *n, struct wd_net_filter *f,
			 bool *cidr)
{
	const char *s = scalar(n), *slash;
	char addr[INET6_ADDRSTRLEN + 1];
	unsigned long plen;
	size_t alen;
	char *end;

	if (!s || !*s)
		return fail(c, n, "network must be an address such as 10.0.0.0/8 or "
				  "fd00::/8");
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen >= sizeof(addr))
		return fail(c, n, "network '%s' is not an IPv4 or IPv6 address", s);
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	memset(f->addr, 0, sizeof(f->addr));
	if (inet_pton(AF_INET, addr, f->addr) == 1)
		f->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, f->addr) == 1)
		f->family = AF_INET6;
	else
		return fail(c, n, "network '%s' is not an IPv4 or IPv6 address", s);
	plen = f->family == AF_INET ? 32 : 128;
	*cidr = slash != NULL;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end ||
		    plen > (f->family == AF_INET ? 32u : 128u))
			return fail(c, n, "network '%s': prefix length must be 0-%d", s,
				    f->family == AF_INET ? 32 : 128);
	}
	f->prefixlen = (uint8_t)plen;
	return 0;
}

/* "255.240.0.0" -> 12; -1 when not a contiguous mask. */
static int mask_to_prefix(const char *s)
{
	struct in_addr a;
	uint32_t m;
	int len = 0;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	m = ntohl(a.s_addr);
	while (len < 32 && (m & (1u << (31 - len))))
		len++;
	/* Contiguous: nothing but the len leading ones. */
	if (m != (uint32_t)(0xffffffffull << (32 - len)))
		return -1;
	return len;
}

/* Clear host bits; returns true if any were set. */
static bool clear_host_bits(uint8_t *addr, unsigned int plen, unsigned int bits)
{
	bool had = false;

	for (unsigned int i = plen; i < bits; i++) {
		uint8_t bit = (uint8_t)(0x80 >> (i % 8));

		if (addr[i / 8] & bit) {
			had = true;
			addr[i / 8] &= (uint8_t)~bit;
		}
	}
	return had;
}

static const char *const filter_keys[] = {
	"subnet_name", "network", "network_mask", "description", "except_ports",
	"include_ports", NULL,
};

struct filter_state {
	struct wd_net_filter *f;
	yaml_node_t *network, *mask, *except, *include;
};

static int filter_pair(struct ctx *c, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct filter_state *st = arg;
	const char *key = scalar(k);
	int err;

	if (!strcmp(key, "subnet_name") || !strcmp(key, "description")) {
		char **dst = key[0] == 's' ? &st->f->name : &st->f->description;

		if (!scalar(v))
			return fail(c, v, "%s must be a string", key);
		return set_str(dst, scalar(v));
	}
	if (!strcmp(key, "network")) {
		st->network = v;
		return 0;
	}
	if (!strcmp(key, "network_mask")) {
		st->mask = v;
		return 0;
	}
	if (!strcmp(key, "except_ports") || !strcmp(key, "include_ports")) {
		if (key[0] == 'e')
			st->except = v;
		else
			st->include = v;
		if (st->except && st->include)
			return fail(c, v, "a filter takes except_ports or include_ports, "
					  "not both");
		err = get_ports(c, v, key, &st->f->ports);
		if (err)
			return err;
		st->f->mode = key[0] == 'e' ? WD_PORTS_EXCEPT : WD_PORTS_ONLY;
		return 0;
	}
	return unknown_key(c, k, "a filter", filter_keys);
}

static int one_filter(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct filter_state st = { .f = arg };
	struct wd_net_filter *f = st.f;
	bool cidr = false;
	int err;

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "a filter must be a mapping with at least 'network'");
	f->line = n->start_mark.line + 1;
	err = each_pair(c, n, "a filter", filter_pair, &st);
	if (err)
		return err;
	if (!st.network)
		return fail(c, n, "filter has no 'network'");
	err = parse_network(c, st.network, f, &cidr);
	if (err)
		return err;
	if (st.mask) {
		const char *m = scalar(st.mask);
		int plen;

		if (cidr)
			return fail(c, st.mask, "network_mask given for a network in CIDR "
						"form ('%s'): use one or the other",
				    scalar(st.network));
		if (f->family != AF_INET)
			return fail(c, st.mask, "network_mask is for IPv4 networks; write "
						"IPv6 networks as CIDR (e.g. fd00::/8)");
		plen = m ? mask_to_prefix(m) : -1;
		if (plen < 0)
			return fail(c, st.mask, "network_mask %s is not a contiguous mask",
				    m ? m : "(not a string)");
		f->prefixlen = (uint8_t)plen;
	}
	/* ::ffff:a.b.c.d/N is an IPv4 rule. */
	if (f->family == AF_INET6 && f->prefixlen >= 96 && wd_is_v4mapped(f->addr)) {
		memmove(f->addr, f->addr + 12, 4);
		memset(f->addr + 4, 0, 12);
		f->family = AF_INET;
		f->prefixlen -= 96;
	}
	if (clear_host_bits(f->addr, f->prefixlen, f->family == AF_INET ? 32 : 128))
		wd_warn("%s:%zu:%zu: network %s has host bits set beyond /%u; they are "
			"ignored", c->name, st.network->start_mark.line + 1,
			st.network->start_mark.column + 1, scalar(st.network), f->prefixlen);
	return 0;
}

static int filter_list(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct wd_probe_config *pc = arg;
	yaml_node_item_t *it;
	struct wd_net_filter *nf;
	size_t cnt;
	int err;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "filters must be a list of filters");
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	nf = realloc(pc->filters, (pc->nfilters + cnt + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	pc->filters = nf;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);
		struct wd_net_filter *f = &pc->filters[pc->nfilters];

		err = visit(c, e);
		if (err)
			return err;
		*f = (struct wd_net_filter){ 0 };
		pc->nfilters++;
		err = with_include(c, e, one_filter, f);
		if (err)
			return err;
	}
	return 0;
}

static const char *const known_plugins[] = { "sourceipmap", "loginuidmap", NULL };

static int plugin_pair(struct ctx *c, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct wd_probe_config *pc = arg;
	const char *key = scalar(k);
	char **np;
	size_t i;

	(void)v;
	for (i = 0; known_plugins[i]; i++)
		if (!strcmp(known_plugins[i], key))
			break;
	if (!known_plugins[i])
		return unknown_key(c, k, "plugins", known_plugins);
	np = realloc(pc->plugins, (pc->nplugins + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	pc->plugins = np;
	pc->plugins[pc->nplugins] = strdup(key);
	if (!pc->plugins[pc->nplugins])
		return -ENOMEM;
	pc->nplugins++;
	wd_warn("%s:%zu:%zu: plugin %s is not implemented yet; ignored", c->name,
		k->start_mark.line + 1, k->start_mark.column + 1, key);
	return 0;
}

static int plugin_map(struct ctx *c, yaml_node_t *n, void *arg)
{
	if (is_null(n))
		return 0;
	return each_pair(c, n, "plugins", plugin_pair, arg);
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
static int check_duplicates(struct ctx *c, yaml_node_t *n,
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
		err = fail(c, n, "%s: two filters for %s/%u (lines %zu and %zu)", probe,
			   a, v[i]->prefixlen, v[i - 1]->line < v[i]->line ? v[i - 1]->line : v[i]->line,
			   v[i - 1]->line < v[i]->line ? v[i]->line : v[i - 1]->line);
	}
	free(v);
	return err;
}

static const char *const probe_keys[] = {
	"filters", "excludeports", "includeports", "plugins", NULL,
};

static const char *const listen_keys[] = {
	"filters", "excludeports", "includeports", "plugins", "protocols",
	"snapshot_periodicity", "same_namespace_only", "exclude_random_bind", NULL,
};

static const char *const udp_keys[] = {
	"filters", "excludeports", "includeports", "plugins", "session_max_duration",
	"emit_on_first_datagram", NULL,
};

struct probe_arg {
	struct wd_probe_config *pc;
	const char *name;
	bool listen; /* net_listen's own keys are allowed */
	bool udp;    /* udp_session's own keys are allowed */
};

static int get_bool(struct ctx *c, yaml_node_t *v, const char *key, bool *out)
{
	const char *s = scalar(v);
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "on", NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no", "off", NULL };

	for (int i = 0; s && yes[i]; i++)
		if (!strcmp(s, yes[i]))
			return *out = true, 0;
	for (int i = 0; s && no[i]; i++)
		if (!strcmp(s, no[i]))
			return *out = false, 0;
	return fail(c, v, "%s must be true or false", key);
}

static int protocol_list(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct wd_probe_config *pc = arg;
	yaml_node_item_t *it;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "protocols must be a list: [tcp], [udp] or [tcp, udp]");
	pc->listen_tcp = pc->listen_udp = false;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);
		const char *s = scalar(e);

		if (s && !strcmp(s, "tcp"))
			pc->listen_tcp = true;
		else if (s && !strcmp(s, "udp"))
			pc->listen_udp = true;
		else
			return fail(c, e, "protocols: '%s' is not tcp or udp", s ? s : "?");
	}
	return 0;
}

static int probe_pair(struct ctx *c, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct probe_arg *pa = arg;
	struct wd_probe_config *pc = pa->pc;
	const char *key = scalar(k);
	uint64_t n;

	if (!strcmp(key, "filters"))
		return with_include(c, v, filter_list, pc);
	if (!strcmp(key, "excludeports"))
		return get_ports(c, v, key, &pc->excludeports);
	if (!strcmp(key, "includeports"))
		return get_ports(c, v, key, &pc->includeports);
	if (!strcmp(key, "plugins"))
		return with_include(c, v, plugin_map, pc);
	if (pa->listen) {
		if (!strcmp(key, "protocols"))
			return with_include(c, v, protocol_list, pc);
		if (!strcmp(key, "same_namespace_only"))
			return get_bool(c, v, key, &pc->same_namespace_only);
		if (!strcmp(key, "exclude_random_bind"))
			return get_bool(c, v, key, &pc->exclude_random_bind);
		if (!strcmp(key, "snapshot_periodicity")) {
			const char *s = scalar(v);
			char *end;

			if (!s || *s < '0' || *s > '9')
				return fail(c, v, "snapshot_periodicity must be a number of seconds");
			n = strtoull(s, &end, 10);
			if (*end || n > 86400 * 365)
				return fail(c, v, "snapshot_periodicity must be a number of seconds");
			pc->snapshot_periodicity = (uint32_t)n;
			return 0;
		}
	}
	if (pa->udp) {
		if (!strcmp(key, "emit_on_first_datagram"))
			return get_bool(c, v, key, &pc->emit_on_first_datagram);
		if (!strcmp(key, "session_max_duration")) {
			const char *s = scalar(v);
			char *end;

			n = s && *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
			if (!s || *s < '0' || *s > '9' || *end || n < 1 || n > 86400)
				return fail(c, v, "session_max_duration must be 1 to 86400 seconds");
			pc->session_max_duration = (uint32_t)n;
			return 0;
		}
	}
	return unknown_key(c, k, pa->name, pa->listen ? listen_keys :
					   pa->udp ? udp_keys : probe_keys);
}

static int probe_section(struct ctx *c, yaml_node_t *n, struct probe_arg *pa)
{
	struct wd_probe_config *pc = pa->pc;
	int err;

	pc->enabled = true;
	if (is_null(n))
		return 0;
	err = each_pair(c, n, pa->name, probe_pair, pa);
	if (err)
		return err;
	if (pc->includeports.n && pc->excludeports.n)
		wd_warn("%s:%zu:%zu: %s has both includeports and excludeports: "
			"includeports wins", c->name, n->start_mark.line + 1,
			n->start_mark.column + 1, pa->name);
	return check_duplicates(c, n, pc, pa->name);
}

static int tcp_connect_section(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct probe_arg pa = { &c->cfg->tcp_connect, "tcp_connect", false, false };

	(void)arg;
	return probe_section(c, n, &pa);
}

static int udp_session_section(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct probe_arg pa = { &c->cfg->udp_session, "udp_session", false, true };

	(void)arg;
	c->cfg->udp_session.session_max_duration = 120; /* pidtree-bcc's default */
	return probe_section(c, n, &pa);
}

static int net_listen_section(struct ctx *c, yaml_node_t *n, void *arg)
{
	struct probe_arg pa = { &c->cfg->net_listen, "net_listen", true, false };

	(void)arg;
	c->cfg->net_listen.listen_tcp = true; /* pidtree-bcc's default: [tcp] */
	return probe_section(c, n, &pa);
}

static const char *const top_keys[] = {
	"tcp_connect", "udp_session", "net_listen", "agent", NULL,
};

static int top_pair(struct ctx *c, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	const char *key = scalar(k);

	if (key[0] == '_') /* anchors live here */
		return 0;
	if (!strcmp(key, "agent"))
		return with_include(c, v, agent_section, arg);
	if (!strcmp(key, "tcp_connect"))
		return with_include(c, v, tcp_connect_section, arg);
	if (!strcmp(key, "net_listen"))
		return with_include(c, v, net_listen_section, arg);
	if (!strcmp(key, "udp_session"))
		return with_include(c, v, udp_session_section, arg);
	return unknown_key(c, k, "the top level", top_keys);
}

static int top_level(struct ctx *c, yaml_node_t *n, void *arg)
{
	if (is_null(n))
		return 0;
	return each_pair(c, n, "the configuration", top_pair, arg);
}

void wd_config_init(struct wd_config *cfg)
{
	*cfg = (struct wd_config){ 0 };
	cfg->syslog_facility = LOG_DAEMON;
	snprintf(cfg->syslog_ident, sizeof(cfg->syslog_ident), "whodunit");
	cfg->ring_buffer_bytes = 4u << 20;
	cfg->process_cache_size = 65536;
	cfg->max_event_size = WD_MAX_EVENT_UNSET;
}

static void probe_config_free(struct wd_probe_config *pc)
{
	for (size_t i = 0; i < pc->nfilters; i++) {
		free(pc->filters[i].name);
		free(pc->filters[i].description);
		free(pc->filters[i].ports.v);
	}
	free(pc->filters);
	free(pc->includeports.v);
	free(pc->excludeports.v);
	for (size_t i = 0; i < pc->nplugins; i++)
		free(pc->plugins[i]);
	free(pc->plugins);
	*pc = (struct wd_probe_config){ 0 };
}

void wd_config_free(struct wd_config *cfg)
{
	probe_config_free(&cfg->tcp_connect);
	probe_config_free(&cfg->net_listen);
	probe_config_free(&cfg->udp_session);
	free(cfg->source);
	free(cfg->output);
	free(cfg->probe_mode);
	free(cfg->syslog_socket);
	*cfg = (struct wd_config){ 0 };
}

static int parse(struct wd_config *cfg, const char *name, const char *dir,
		 const char *text, size_t len, char *err, size_t errlen)
{
	unsigned int visits = 0;
	yaml_document_t doc;
	yaml_node_t *root;
	struct ctx c = {
		.name = name, .dir = dir, .err = err, .errlen = errlen,
		.visits = &visits, .cfg = cfg,
	};
	int ret;

	ret = load_doc(&doc, name, text, len, err, errlen);
	if (ret)
		return ret;
	c.doc = &doc;
	c.chain[0] = name;
	root = yaml_document_get_root_node(&doc);
	ret = root ? with_include(&c, root, top_level, NULL) : 0;
	yaml_document_delete(&doc);
	if (!ret)
		ret = set_str(&cfg->source, name);
	return ret;
}

int wd_config_parse(struct wd_config *cfg, const char *name, const char *text,
		    size_t len, char *err, size_t errlen)
{
	return parse(cfg, name, ".", text, len, err, errlen);
}

int wd_config_load(struct wd_config *cfg, const char *path, char *err,
		   size_t errlen)
{
	char dir[PATH_MAX], *slash, *text;
	size_t len;
	int ret = 0;

	text = read_file(path, &len, &ret);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	ret = parse(cfg, path, dir, text, len, err, errlen);
	free(text);
	return ret;
}

static void print_ports(FILE *f, const struct wd_port_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].lo == l->v[i].hi)
			fprintf(f, "%s%u", i ? "," : "", l->v[i].lo);
		else
			fprintf(f, "%s%u-%u", i ? "," : "", l->v[i].lo, l->v[i].hi);
	}
}

static void print_probe(FILE *f, const char *name, const struct wd_probe_config *pc)
{
	char a[INET6_ADDRSTRLEN];

	if (!pc->enabled)
		return;
	fprintf(f, "%s.filters: %zu (dropped in the kernel)\n", name, pc->nfilters);
	for (size_t i = 0; i < pc->nfilters; i++) {
		const struct wd_net_filter *nf = &pc->filters[i];

		inet_ntop(nf->family, nf->addr, a, sizeof(a));
		fprintf(f, "  %s/%u: ", a, nf->prefixlen);
		if (nf->mode == WD_PORTS_ALL) {
			fputs("all ports", f);
		} else {
			fputs(nf->mode == WD_PORTS_EXCEPT ? "all ports except " : "only ports ", f);
			print_ports(f, &nf->ports);
		}
		if (nf->description || nf->name)
			fprintf(f, "  # %s", nf->description ? nf->description : nf->name);
		fputc('\n', f);
	}
	if (pc->includeports.n) {
		fprintf(f, "%s.includeports: ", name);
		print_ports(f, &pc->includeports);
		fputc('\n', f);
	}
	if (pc->excludeports.n) {
		fprintf(f, "%s.excludeports: ", name);
		print_ports(f, &pc->excludeports);
		fprintf(f, "%s\n", pc->includeports.n ? " (ignored: includeports wins)" : "");
	}
	for (size_t i = 0; i < pc->nplugins; i++)
		fprintf(f, "%s.plugins: %s (not implemented yet)\n", name, pc->plugins[i]);
}

void wd_config_print(const struct wd_config *cfg, FILE *f)
{
	fprintf(f, "config: %s\n", cfg->source ? cfg->source : "<none>");
	fprintf(f, "agent.output: %s\n", cfg->output ? cfg->output : "syslog");
	fprintf(f, "agent.syslog_facility: %s\n",
		wd_syslog_facility_name(cfg->syslog_facility));
	fprintf(f, "agent.syslog_ident: %s\n", cfg->syslog_ident);
	fprintf(f, "agent.syslog_socket: %s\n",
		cfg->syslog_socket ? cfg->syslog_socket : "/dev/log");
	fprintf(f, "agent.ring_buffer_size: %u\n", cfg->ring_buffer_bytes);
	fprintf(f, "agent.process_cache_size: %u\n", cfg->process_cache_size);
	if (cfg->max_event_size == WD_MAX_EVENT_UNSET)
		fprintf(f, "agent.max_event_size: 8000 for syslog, no limit otherwise\n");
	else
		fprintf(f, "agent.max_event_size: %u\n", cfg->max_event_size);
	fprintf(f, "agent.probe_mode: %s\n", cfg->probe_mode ? cfg->probe_mode : "auto");
	fprintf(f, "tcp_connect: %s\n", cfg->tcp_connect.enabled ? "enabled" : "disabled");
	print_probe(f, "tcp_connect", &cfg->tcp_connect);
	fprintf(f, "net_listen: %s\n", cfg->net_listen.enabled ? "enabled" : "disabled");
	if (cfg->net_listen.enabled) {
		fprintf(f, "net_listen.protocols: %s%s%s\n",
			cfg->net_listen.listen_tcp ? "tcp" : "",
			cfg->net_listen.listen_tcp && cfg->net_listen.listen_udp ? "," : "",
			cfg->net_listen.listen_udp ? "udp" : "");
		fprintf(f, "net_listen.snapshot_periodicity: %u\n",
			cfg->net_listen.snapshot_periodicity);
		fprintf(f, "net_listen.same_namespace_only: %s\n",
			cfg->net_listen.same_namespace_only ? "true" : "false");
		fprintf(f, "net_listen.exclude_random_bind: %s\n",
			cfg->net_listen.exclude_random_bind ? "true" : "false");
	}
	print_probe(f, "net_listen", &cfg->net_listen);
	fprintf(f, "udp_session: %s\n", cfg->udp_session.enabled ? "enabled" : "disabled");
	if (cfg->udp_session.enabled) {
		fprintf(f, "udp_session.session_max_duration: %u\n",
			cfg->udp_session.session_max_duration);
		fprintf(f, "udp_session.emit_on_first_datagram: %s\n",
			cfg->udp_session.emit_on_first_datagram ? "true" : "false");
	}
	print_probe(f, "udp_session", &cfg->udp_session);
}
