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

#include "config.h"
#include "log.h"
#include "output.h"
#include "probe.h"

#define WD_CONFIG_MAX_BYTES (4u << 20)
#define WD_CONFIG_MAX_NODES 200000 /* visits, aliases counted each time */
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
	struct stat st;
	size_t got = 0;
	char *text;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size > WD_CONFIG_MAX_BYTES) {
		*err = -EFBIG;
		close(fd);
		return NULL;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		*err = -ENOMEM;
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, text + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	text[got] = '\0';
	*len = got;
	return text;
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
		err = fn(&cc, yaml_document_get_root_node(&doc), arg);
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
	"ring_buffer_size", "probe_mode", NULL,
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
	if (!strcmp(key, "probe_mode")) {
		err = get_string(c, v, key, &s);
		if (err)
			return err;
		if (wd_probe_mode_parse(s) < 0)
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

static const char *const probe_keys[] = { NULL };

static int probe_pair(struct ctx *c, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	(void)v;
	(void)arg;
	return unknown_key(c, k, "tcp_connect", probe_keys);
}

static int tcp_connect_section(struct ctx *c, yaml_node_t *n, void *arg)
{
	c->cfg->tcp_connect.enabled = true;
	if (is_null(n))
		return 0;
	return each_pair(c, n, "tcp_connect", probe_pair, arg);
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
	if (!strcmp(key, "udp_session") || !strcmp(key, "net_listen")) {
		wd_warn("%s:%zu:%zu: probe %s is not implemented yet; ignored",
			c->name, k->start_mark.line + 1, k->start_mark.column + 1, key);
		return 0;
	}
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
	cfg->ring_buffer_bytes = 16u << 20;
}

void wd_config_free(struct wd_config *cfg)
{
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
	fprintf(f, "agent.probe_mode: %s\n", cfg->probe_mode ? cfg->probe_mode : "auto");
	fprintf(f, "tcp_connect: %s\n", cfg->tcp_connect.enabled ? "enabled" : "disabled");
}
