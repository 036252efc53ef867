/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A YAML reader for configuration files: loads a document, walks it with
 * `!include FILE` expanded wherever a value is expected (with guards against
 * cycles, deep nesting and alias bombs), reports errors as "file:line:col:
 * what", and reads typed values. It knows no key of whodunit's: the caller
 * passes the functions that do (config/schema.c).
 */
#ifndef WD_CONFIG_READER_H
#define WD_CONFIG_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "config/config.h"
#include "util/sha256.h"

/* Largest file read, main or included. */
#define WD_RD_MAX_BYTES (4u << 20)
/*
 * Nodes visited, aliases counted each time they are walked. A 4 MiB file
 * without aliases holds well under a million; aliases of filters with port
 * lists multiply, which is what this bounds.
 */
#define WD_RD_MAX_NODES 2000000
#define WD_RD_MAX_INCLUDES 16

/* The walk: the document being read, where errors go. */
struct wd_reader;

typedef int (*wd_rd_node_fn)(struct wd_reader *r, yaml_node_t *n, void *arg);
typedef int (*wd_rd_pair_fn)(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v,
			     void *arg);

/*
 * A known key of a mapping: fn reads the pair or, for a key whose value is a
 * section of its own, section reads the value (which may be an !include).
 */
struct wd_rd_key {
	const char *name;
	wd_rd_pair_fn fn;
	wd_rd_node_fn section;
};

/* What a parse read: a digest of every text, and the files' paths. */
struct wd_rd_trace {
	struct wd_sha256 sha; /* over every text, in the order read */
	char **files;         /* the files read (includes too), malloc'ed */
	size_t nfiles;
	bool oom;
};

void wd_rd_trace_init(struct wd_rd_trace *t);
void wd_rd_trace_free(struct wd_rd_trace *t);

/*
 * Parse text named `name` (for messages; `dir` resolves relative includes)
 * and call fn on its root node; an empty document is fine (fn not called).
 * 0, -EINVAL with "name:line:col: what" in err, or -ENOMEM.
 */
int wd_rd_parse(const char *name, const char *dir, const char *text, size_t len,
		wd_rd_node_fn fn, void *arg, struct wd_rd_trace *trace, char *err,
		size_t errlen);
/* The same for a file; -errno with "path: why" in err if it cannot be read. */
int wd_rd_load(const char *path, wd_rd_node_fn fn, void *arg, struct wd_rd_trace *trace,
	       char *err, size_t errlen);

/* Write "file:line:col: what" (n NULL: 1:1) for n; returns -EINVAL. */
int wd_rd_fail(struct wd_reader *r, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Log the same as a warning; the walk goes on. */
void wd_rd_warn(struct wd_reader *r, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "unknown key 'K' in WHERE", with "(did you mean 'X'?)" for a near one. */
int wd_rd_unknown_key(struct wd_reader *r, const yaml_node_t *k, const char *where,
		      const char *const *known);
/* Count a node against WD_RD_MAX_NODES; -EINVAL (an alias bomb?) past it. */
int wd_rd_visit(struct wd_reader *r, const yaml_node_t *n);

/* The value of a scalar node; NULL for anything else. */
const char *wd_rd_scalar(const yaml_node_t *n);
/* A plain "", "~" or "null": an empty value. */
bool wd_rd_is_null(const yaml_node_t *n);
/* 1-based line of a node. */
size_t wd_rd_line(const yaml_node_t *n);
/* The message of the last wd_rd_fail (a failure turned into a warning). */
const char *wd_rd_error(const struct wd_reader *r);
/* An item of a sequence, by its id (not counted by wd_rd_visit). */
yaml_node_t *wd_rd_node(struct wd_reader *r, yaml_node_item_t id);

/* fn(n), or fn on the root of the file that an `!include FILE` node names. */
int wd_rd_include(struct wd_reader *r, yaml_node_t *n, wd_rd_node_fn fn, void *arg);
/* fn for each pair of a mapping ("WHAT must be a mapping" if n is not). */
int wd_rd_each_pair(struct wd_reader *r, yaml_node_t *map, const char *what,
		    wd_rd_pair_fn fn, void *arg);
/* fn for each item of a sequence, counted; the caller checks the type. */
int wd_rd_each_item(struct wd_reader *r, yaml_node_t *seq, wd_rd_node_fn fn, void *arg);
/* Call the function of keys (NULL-terminated) named by k, or fail as unknown. */
int wd_rd_dispatch(struct wd_reader *r, yaml_node_t *k, yaml_node_t *v, const char *where,
		   const struct wd_rd_key *keys, void *arg);

/* Typed values; on a bad one they fail naming key. */
int wd_rd_get_string(struct wd_reader *r, yaml_node_t *v, const char *key, const char **out);
/* "8388608", "8M", "8MiB", "512K", "1G" -> bytes. */
int wd_rd_get_size(struct wd_reader *r, yaml_node_t *v, const char *key, uint64_t *out);
/*
 * A size from lo to hi, or 0 if zero_ok (0 meaning "none"); fails with the
 * message `bad` otherwise.
 */
int wd_rd_get_size_in(struct wd_reader *r, yaml_node_t *v, const char *key, uint64_t lo,
		      uint64_t hi, bool zero_ok, const char *bad, uint64_t *out);
/* true/True/TRUE/yes/on, false/False/FALSE/no/off. */
int wd_rd_get_bool(struct wd_reader *r, yaml_node_t *v, const char *key, bool *out);
/* A decimal number from lo to hi; fails with the message `bad` otherwise. */
int wd_rd_get_u32(struct wd_reader *r, yaml_node_t *v, uint32_t lo, uint32_t hi,
		  const char *bad, uint32_t *out);
/* A list of ports and "lo-hi" ranges (or an !include of one); replaces *l. */
int wd_rd_get_ports(struct wd_reader *r, yaml_node_t *v, const char *key,
		    struct wd_port_list *l);
/* One port or "lo-hi" range (a scalar). */
int wd_rd_get_port(struct wd_reader *r, yaml_node_t *n, const char *key,
		   struct wd_port_range *out);

#endif
