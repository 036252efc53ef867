/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A strict, bounded JSON reader (RFC 8259) for --test-rules: one document
 * into a flat tree. Rejects what the RFC does not allow (trailing commas,
 * leading zeros, bad escapes, control bytes or invalid UTF-8 in strings,
 * anything after the value) and inputs past the bounds.
 */
#ifndef WD_RULES_JSONREAD_H
#define WD_RULES_JSONREAD_H

#include <stddef.h>
#include <stdint.h>

#define WD_JR_MAX_BYTES (1u << 20) /* one document */
#define WD_JR_MAX_NODES 65536
#define WD_JR_MAX_DEPTH 64

enum wd_jr_type { WD_JR_NULL, WD_JR_FALSE, WD_JR_TRUE, WD_JR_NUM, WD_JR_STR, WD_JR_ARR,
		  WD_JR_OBJ };

struct wd_jr_node {
	enum wd_jr_type type;
	int32_t child;   /* first member or item, -1: none */
	int32_t next;    /* next sibling, -1: none */
	const char *key; /* an object member's key (NUL-terminated), else NULL */
	const char *str; /* a string's value (NUL-terminated; may hold NULs: len) */
	size_t len;
	double num;
};

struct wd_jr_doc {
	struct wd_jr_node *v; /* v[0]: the root */
	size_t n, cap;
	char *arena;          /* decoded strings */
	size_t alen;
};

/*
 * Parse text[0..len): 0, -EINVAL with "byte N: what" in err, -E2BIG past a
 * bound, -ENOMEM. d is to be freed either way.
 */
int wd_jr_parse(struct wd_jr_doc *d, const char *text, size_t len, char *err,
		size_t errlen);
void wd_jr_free(struct wd_jr_doc *d);
/* The member key of object node i (NULL if none or not an object). */
const struct wd_jr_node *wd_jr_get(const struct wd_jr_doc *d, const struct wd_jr_node *obj,
				   const char *key);
/* The string of member key, or NULL. */
const char *wd_jr_str(const struct wd_jr_doc *d, const struct wd_jr_node *obj,
		      const char *key);

#endif
