// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/reader.h"
#include "util/file.h"
#include "util/log.h"

struct wd_reader {
	yaml_document_t *doc;
	const char *name;     /* file name for messages */
	const char *dir;      /* directory of that file, for !include */
	char *err;
	size_t errlen;
	unsigned int *visits; /* shared by nested includes */
	int depth;            /* include nesting */
	const char *chain[WD_RD_MAX_INCLUDES + 1]; /* files being read */
	struct wd_rd_trace *trace; /* shared by nested includes; may be NULL */
};

/* ---- messages ----------------------------------------------------------- */

int wd_rd_fail(struct wd_reader *r, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int len;

	len = snprintf(r->err, r->errlen, "%s:%zu:%zu: ", r->name,
		       n ? n->start_mark.line + 1 : 1,
		       n ? n->start_mark.column + 1 : 1);
	if (len < 0 || (size_t)len >= r->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(r->err + len, r->errlen - (size_t)len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void wd_rd_warn(struct wd_reader *r, const yaml_node_t *n, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&msg, fmt, ap);
	va_end(ap);
	wd_warn("%s:%zu:%zu: %s", r->name, n->start_mark.line + 1,
		n->start_mark.column + 1, len < 0 ? "(out of memory)" : msg);
	if (len >= 0)
		free(msg);
}

const char *wd_rd_error(const struct wd_reader *r)
{
	return r->err;
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

/* The i-th of the names at base, base + stride, ... */
static const char *name_at(const void *base, size_t stride, size_t i)
{
	return *(const char *const *)((const char *)base + i * stride);
}

/*
 * The unknown key error, suggesting the nearest (the first of equals) of the
 * names at base, base + stride, ... up to a NULL one.
 */
static int unknown(struct wd_reader *r, const yaml_node_t *k, const char *where,
		   const void *base, size_t stride)
{
	const char *key = wd_rd_scalar(k), *best = NULL, *name;
	size_t bd = SIZE_MAX;

	for (size_t i = 0; (name = name_at(base, stride, i)); i++) {
		size_t d = distance(key, name);

		if (d < bd) {
			bd = d;
			best = name;
		}
	}
	if (best && bd <= 3)
		return wd_rd_fail(r, k, "unknown key '%s' in %s (did you mean '%s'?)", key,
				  where, best);
	return wd_rd_fail(r, k, "unknown key '%s' in %s", key, where);
}

int wd_rd_unknown_key(struct wd_reader *r, const yaml_node_t *k, const char *where,
		      const char *const *known)
{
	return unknown(r, k, where, known, sizeof(*known));
}

int wd_rd_visit(struct wd_reader *r, const yaml_node_t *n)
{
	if (++*r->visits > WD_RD_MAX_NODES)
		return wd_rd_fail(r, n, "configuration too large (more than %d nodes after "
					"expanding aliases): an alias bomb?",
				  WD_RD_MAX_NODES);
	return 0;
}

/* ---- nodes -------------------------------------------------------------- */

const char *wd_rd_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
						: NULL;
}

bool wd_rd_is_null(const yaml_node_t *n)
{
	const char *s = wd_rd_scalar(n);

	if (!s)
		return false;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

size_t wd_rd_line(const yaml_node_t *n)
{
	return n->start_mark.line + 1;
}

yaml_node_t *wd_rd_node(struct wd_reader *r, yaml_node_item_t id)
{
	return yaml_document_get_node(r->doc, id);
}

/* ---- documents and includes -------------------------------------------- */

void wd_rd_trace_init(struct wd_rd_trace *t)
{
	*t = (struct wd_rd_trace){ 0 };
	wd_sha256_init(&t->sha);
}

void wd_rd_trace_free(struct wd_rd_trace *t)
{
	for (size_t i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	*t = (struct wd_rd_trace){ 0 };
}

/* One more text read: into the digest, its path (if a file) into the list. */
static void trace_add(struct wd_rd_trace *t, const char *path, const char *text,
		      size_t len)
{
	char **files, *dup;

	if (!t)
		return;
	wd_sha256_update(&t->sha, text, len);
	if (!path)
		return;
	files = realloc(t->files, (t->nfiles + 1) * sizeof(*files));
	dup = strdup(path);
	if (files)
		t->files = files;
	if (!files || !dup) {
		free(dup);
		t->oom = true;
		return;
	}
	t->files[t->nfiles++] = dup;
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

/* The directory of path ("." for a bare name), for relative includes. */
static void dir_of(char *dir, size_t size, const char *path)
{
	char *slash;

	snprintf(dir, size, "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, size, ".");
}

/* The file an !include node names, relative to the including file. */
static int include_path(struct wd_reader *r, yaml_node_t *n, char *path, size_t size)
{
	const char *file = wd_rd_scalar(n);

	if (!file || !*file)
		return wd_rd_fail(r, n, "!include needs a file name");
	if (r->depth >= WD_RD_MAX_INCLUDES)
		return wd_rd_fail(r, n, "!include nested deeper than %d files",
				  WD_RD_MAX_INCLUDES);
	if (file[0] == '/')
		snprintf(path, size, "%s", file);
	else
		snprintf(path, size, "%s/%s", r->dir, file);
	for (int i = 0; i <= r->depth; i++)
		if (r->chain[i] && !strcmp(r->chain[i], path))
			return wd_rd_fail(r, n, "!include cycle: %s includes itself", path);
	return 0;
}

int wd_rd_include(struct wd_reader *r, yaml_node_t *n, wd_rd_node_fn fn, void *arg)
{
	char path[PATH_MAX], dir[PATH_MAX], *text;
	yaml_document_t doc;
	struct wd_reader cr;
	size_t len;
	int err = 0;

	if (!n->tag || strcmp((const char *)n->tag, "!include"))
		return fn(r, n, arg);
	err = include_path(r, n, path, sizeof(path));
	if (err)
		return err;
	text = wd_read_file(path, WD_RD_MAX_BYTES, &len, NULL, &err);
	if (!text)
		return wd_rd_fail(r, n, "!include %s: %s", path, strerror(-err));
	trace_add(r->trace, path, text, len);
	err = load_doc(&doc, path, text, len, r->err, r->errlen);
	free(text);
	if (err)
		return err;
	dir_of(dir, sizeof(dir), path);
	cr = *r;
	cr.doc = &doc;
	cr.name = path;
	cr.dir = dir;
	cr.depth = r->depth + 1;
	cr.chain[cr.depth] = path;
	if (!yaml_document_get_root_node(&doc))
		err = wd_rd_fail(&cr, NULL, "empty file");
	else
		err = wd_rd_include(&cr, yaml_document_get_root_node(&doc), fn, arg);
	yaml_document_delete(&doc);
	return err;
}

/* path: the file text came from, or NULL (embedded) */
static int parse(const char *name, const char *path, const char *dir, const char *text,
		 size_t len, wd_rd_node_fn fn, void *arg, struct wd_rd_trace *trace,
		 char *err, size_t errlen)
{
	unsigned int visits = 0;
	yaml_document_t doc;
	yaml_node_t *root;
	struct wd_reader r = {
		.name = name, .dir = dir, .err = err, .errlen = errlen,
		.visits = &visits, .trace = trace,
	};
	int ret;

	trace_add(trace, path, text, len);
	ret = load_doc(&doc, name, text, len, err, errlen);
	if (ret)
		return ret;
	r.doc = &doc;
	r.chain[0] = name;
	root = yaml_document_get_root_node(&doc);
	ret = root ? wd_rd_include(&r, root, fn, arg) : 0;
	yaml_document_delete(&doc);
	return ret;
}

int wd_rd_parse(const char *name, const char *dir, const char *text, size_t len,
		wd_rd_node_fn fn, void *arg, struct wd_rd_trace *trace, char *err,
		size_t errlen)
{
	return parse(name, NULL, dir, text, len, fn, arg, trace, err, errlen);
}

int wd_rd_load(const char *path, wd_rd_node_fn fn, void *arg, struct wd_rd_trace *trace,
	       char *err, size_t errlen)
{
	char dir[PATH_MAX], *text;
	size_t len;
	int ret = 0;

	text = wd_read_file(path, WD_RD_MAX_BYTES, &len, NULL, &ret);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	dir_of(dir, sizeof(dir), path);
	ret = parse(path, path, dir, text, len, fn, arg, trace, err, errlen);
	free(text);
	return ret;
}

/* ---- iteration ---------------------------------------------------------- */

int wd_rd_each_pair(struct wd_reader *r, yaml_node_t *map, const char *what,
		    wd_rd_pair_fn fn, void *arg)
{
	yaml_node_pair_t *p;
	int err;

	if (map->type != YAML_MAPPING_NODE)
		return wd_rd_fail(r, map, "%s must be a mapping", what);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(r->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(r->doc, p->value);

		err = wd_rd_visit(r, v);
		if (err)
			return err;
		if (!wd_rd_scalar(k))
			return wd_rd_fail(r, k, "keys of %s must be plain strings", what);
		err = fn(r, k, v, arg);
		if (err)
			return err;
	}
	return 0;
}

int wd_rd_each_item(struct wd_reader *r, yaml_node_t *seq, wd_rd_node_fn fn, void *arg)
{
	yaml_node_item_t *it;
	int err;

	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(r->doc, *it);

		err = wd_rd_visit(r, e);
		if (!err)
			err = fn(r, e, arg);
		if (err)
			return err;
	}
	return 0;
}

int wd_rd_dispatch(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, const char *where,
		   const struct wd_rd_key *keys, void *arg)
{
	const char *key = wd_rd_scalar(k);

	for (const struct wd_rd_key *e = keys; e->name; e++)
		if (!strcmp(e->name, key))
			return e->fn ? e->fn(r, k, v, arg) : wd_rd_include(r, v, e->section, arg);
	return unknown(r, k, where, &keys->name, sizeof(*keys));
}

/* ---- typed values ------------------------------------------------------- */

int wd_rd_get_string(struct wd_reader *r, yaml_node_t *v, const char *key, const char **out)
{
	const char *s = wd_rd_scalar(v);

	if (!s || wd_rd_is_null(v))
		return wd_rd_fail(r, v, "%s must be a string", key);
	*out = s;
	return 0;
}

int wd_rd_get_size(struct wd_reader *r, yaml_node_t *v, const char *key, uint64_t *out)
{
	const char *s = wd_rd_scalar(v);
	unsigned int shift = 0;
	unsigned long long n;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return wd_rd_fail(r, v, "%s must be a size such as 8M or 8388608", key);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return wd_rd_fail(r, v, "%s: %s is too large", key, s);
	if (!strcmp(end, "K") || !strcmp(end, "KiB"))
		shift = 10;
	else if (!strcmp(end, "M") || !strcmp(end, "MiB"))
		shift = 20;
	else if (!strcmp(end, "G") || !strcmp(end, "GiB"))
		shift = 30;
	else if (*end)
		return wd_rd_fail(r, v, "%s: unknown unit in '%s' (use K, M or G)", key, s);
	if (n > (ULLONG_MAX >> shift)) /* (it would wrap, to 0 even) */
		return wd_rd_fail(r, v, "%s: %s is too large", key, s);
	*out = n << shift;
	return 0;
}

int wd_rd_get_size_in(struct wd_reader *r, yaml_node_t *v, const char *key, uint64_t lo,
		      uint64_t hi, bool zero_ok, const char *bad, uint64_t *out)
{
	uint64_t size = 0;
	int err = wd_rd_get_size(r, v, key, &size);

	if (err)
		return err;
	if (!(zero_ok && size == 0) && (size < lo || size > hi))
		return wd_rd_fail(r, v, "%s", bad);
	*out = size;
	return 0;
}

int wd_rd_get_bool(struct wd_reader *r, yaml_node_t *v, const char *key, bool *out)
{
	const char *s = wd_rd_scalar(v);
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "on", NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no", "off", NULL };

	for (int i = 0; s && yes[i]; i++)
		if (!strcmp(s, yes[i]))
			return *out = true, 0;
	for (int i = 0; s && no[i]; i++)
		if (!strcmp(s, no[i]))
			return *out = false, 0;
	return wd_rd_fail(r, v, "%s must be true or false", key);
}

int wd_rd_get_u32(struct wd_reader *r, yaml_node_t *v, uint32_t lo, uint32_t hi,
		  const char *bad, uint32_t *out)
{
	const char *s = wd_rd_scalar(v);
	unsigned long long n;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return wd_rd_fail(r, v, "%s", bad);
	n = strtoull(s, &end, 10);
	if (*end || n < lo || n > hi)
		return wd_rd_fail(r, v, "%s", bad);
	*out = (uint32_t)n;
	return 0;
}

/* "443" or "100-200" (inclusive) -> range. */
static int parse_port(struct wd_reader *r, yaml_node_t *n, const char *key,
		      struct wd_port_range *out)
{
	const char *s = wd_rd_scalar(n), *p;
	unsigned long v[2] = { 0, 0 };
	int k = 0;

	if (!s || !*s)
		return wd_rd_fail(r, n, "%s: a port must be a number (1-65535) or a range "
					"such as \"8000-8100\"", key);
	for (p = s; k < 2; k++) {
		const char *start = p;

		while (*p >= '0' && *p <= '9') {
			v[k] = v[k] * 10 + (unsigned long)(*p - '0');
			if (v[k] > 65535)
				return wd_rd_fail(r, n, "%s: port %s is out of range (1-65535)",
						  key, s);
			p++;
		}
		if (p == start)
			return wd_rd_fail(r, n, "%s: '%s' is not a port or a port range", key, s);
		if (*p == '\0')
			break;
		if (*p != '-' || k == 1)
			return wd_rd_fail(r, n, "%s: '%s' is not a port or a port range", key, s);
		p++;
	}
	if (k == 0)
		v[1] = v[0];
	if (v[0] == 0 || v[1] == 0)
		return wd_rd_fail(r, n, "%s: port 0 is not a destination port (1-65535)", key);
	if (v[0] > v[1])
		return wd_rd_fail(r, n, "%s: range %s is backwards", key, s);
	out->lo = (uint16_t)v[0];
	out->hi = (uint16_t)v[1];
	return 0;
}

struct ports_arg {
	const char *key;
	struct wd_port_list *list;
};

static int port_item(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct ports_arg *pa = arg;
	struct wd_port_list *l = pa->list;
	int err;

	err = parse_port(r, n, pa->key, &l->v[l->n]);
	if (err)
		return err;
	l->n++;
	return 0;
}

static int port_list(struct wd_reader *r, yaml_node_t *n, void *arg)
{
	struct ports_arg *pa = arg;
	struct wd_port_list *l = pa->list;
	size_t cnt;

	if (n->type != YAML_SEQUENCE_NODE)
		return wd_rd_fail(r, n, "%s must be a list of ports, e.g. [443, \"8000-8100\"]",
				  pa->key);
	cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	free(l->v);
	l->n = 0;
	l->v = calloc(cnt ? cnt : 1, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	return wd_rd_each_item(r, n, port_item, pa);
}

int wd_rd_get_ports(struct wd_reader *r, yaml_node_t *v, const char *key,
		    struct wd_port_list *l)
{
	struct ports_arg pa = { key, l };

	return wd_rd_include(r, v, port_list, &pa);
}

int wd_rd_get_port(struct wd_reader *r, yaml_node_t *n, const char *key,
		   struct wd_port_range *out)
{
	return parse_port(r, n, key, out);
}
