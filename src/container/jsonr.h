/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small strict JSON reader for the container runtimes' answers (RFC 8259:
 * no comments, no trailing commas, UTF-8 checked, escapes checked). The
 * text is split into a flat array of tokens; a container's token is
 * followed by its members (objects: key token, then value token).
 * Bounded: at most max_tokens tokens and WD_CJ_DEPTH levels of nesting.
 */
#ifndef WD_CONTAINER_JSONR_H
#define WD_CONTAINER_JSONR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_CJ_DEPTH 64

enum wd_cj_type {
	WD_CJ_OBJ = 1,
	WD_CJ_ARR,
	WD_CJ_STR, /* start/len: the bytes between the quotes, still escaped */
	WD_CJ_NUM,
	WD_CJ_TRUE,
	WD_CJ_FALSE,
	WD_CJ_NULL,
};

struct wd_cj_tok {
	uint32_t start, len; /* bytes of the text */
	uint32_t next;       /* index of the token after this one's subtree */
	uint32_t n;          /* objects: members; arrays: items */
	uint8_t type;        /* enum wd_cj_type */
};

struct wd_cj {
	const char *s;
	size_t len;
	size_t end; /* bytes used by the value (with WD_CJ_PREFIX: the rest ignored) */
	struct wd_cj_tok *t;
	size_t nt, cap, max;
};

#define WD_CJ_PREFIX 1u /* one value at the start of the text; bytes after it ignored */

/*
 * Parse s[0..len) into j (tokens malloc'ed: free with wd_cj_free even on
 * error). 0, -EINVAL (not JSON), -E2BIG (more than max_tokens tokens or
 * deeper than WD_CJ_DEPTH), -ENOMEM.
 */
int wd_cj_parse(struct wd_cj *j, const char *s, size_t len, size_t max_tokens,
		unsigned int flags);
void wd_cj_free(struct wd_cj *j);

/* The value of key in object token obj; -1 when absent or obj is not an object. */
int wd_cj_get(const struct wd_cj *j, int obj, const char *key);
/* A path of keys from obj ("Config", "Labels", NULL); -1 if a step is missing. */
int wd_cj_path(const struct wd_cj *j, int obj, const char *const *keys);
/*
 * The string of token tok unescaped, NUL-terminated (malloc'ed); NULL when
 * tok is not a string, holds a NUL (\u0000) or memory is short.
 */
char *wd_cj_strdup(const struct wd_cj *j, int tok);
/* Unescaped string token == s. */
bool wd_cj_streq(const struct wd_cj *j, int tok, const char *s);

#endif
