/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small strict JSON reader for the container runtimes' answers (RFC 8259:
 * no comments, no trailing commas, UTF-8 checked, escapes checked). The
 * text is split into a flat array of tokens; a container's token is
 * followed by its members (objects: key token, then value token).
 * Bounded: at most max_tokens tokens and WD_JR_DEPTH levels of nesting.
 */
#ifndef WD_CONTAINER_JSONR_H
#define WD_CONTAINER_JSONR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_JR_DEPTH 64

enum wd_jr_type {
	WD_JR_OBJ = 1,
	WD_JR_ARR,
	WD_JR_STR, /* start/len: the bytes between the quotes, still escaped */
	WD_JR_NUM,
	WD_JR_TRUE,
	WD_JR_FALSE,
	WD_JR_NULL,
};

struct wd_jr_tok {
	uint32_t start, len; /* bytes of the text */
	uint32_t next;       /* index of the token after this one's subtree */
	uint32_t n;          /* objects: members; arrays: items */
	uint8_t type;        /* enum wd_jr_type */
};

struct wd_jr {
	const char *s;
	size_t len;
	size_t end; /* bytes used by the value (with WD_JR_PREFIX: the rest ignored) */
	struct wd_jr_tok *t;
	size_t nt, cap, max;
};

#define WD_JR_PREFIX 1u /* one value at the start of the text; bytes after it ignored */

/*
 * Parse s[0..len) into j (tokens malloc'ed: free with wd_jr_free even on
 * error). 0, -EINVAL (not JSON), -E2BIG (more than max_tokens tokens or
 * deeper than WD_JR_DEPTH), -ENOMEM.
 */
int wd_jr_parse(struct wd_jr *j, const char *s, size_t len, size_t max_tokens,
		unsigned int flags);
void wd_jr_free(struct wd_jr *j);

/* The value of key in object token obj; -1 when absent or obj is not an object. */
int wd_jr_get(const struct wd_jr *j, int obj, const char *key);
/* A path of keys from obj ("Config", "Labels", NULL); -1 if a step is missing. */
int wd_jr_path(const struct wd_jr *j, int obj, const char *const *keys);
/*
 * The string of token tok unescaped, NUL-terminated (malloc'ed); NULL when
 * tok is not a string, holds a NUL (\u0000) or memory is short.
 */
char *wd_jr_strdup(const struct wd_jr *j, int tok);
/* Unescaped string token == s. */
bool wd_jr_streq(const struct wd_jr *j, int tok, const char *s);

#endif
