/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The strict, bounded JSON reader (RFC 8259) of whodunit: --test-rules'
 * events, the container runtimes' answers, OCI config.json annotations.
 * Rejects what the RFC does not allow (comments, trailing commas, leading
 * zeros, bad escapes or lone surrogates, control bytes or invalid UTF-8 in
 * strings, anything after the value) with "byte N: what" in j->err.
 *
 * The text is split into a flat array of tokens; a container's token is
 * followed by its members (objects: key token, then value token). Strings
 * are decoded while parsing into an arena the reader owns. Bounded: at most
 * max_tokens tokens, WD_JR_DEPTH levels of nesting, 4 GiB of text.
 */
#ifndef WD_UTIL_JSON_READ_H
#define WD_UTIL_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_JR_DEPTH 64

enum wd_jr_type {
	WD_JR_OBJ = 1,
	WD_JR_ARR,
	WD_JR_STR,
	WD_JR_NUM,
	WD_JR_TRUE,
	WD_JR_FALSE,
	WD_JR_NULL,
};

struct wd_jr_tok {
	uint32_t start, len; /* bytes of the text (strings: between the quotes, escaped) */
	uint32_t next;       /* index of the token after this one's subtree */
	uint32_t n;          /* objects: members; arrays: items */
	uint32_t dec, dlen;  /* strings: decoded at arena + dec, dlen bytes, then a NUL */
	uint8_t type;        /* enum wd_jr_type */
};

struct wd_jr {
	const char *s;
	size_t len;
	size_t end; /* bytes used by the value (with WD_JR_PREFIX: the rest ignored) */
	struct wd_jr_tok *t;
	size_t nt, cap, max;
	char *arena; /* decoded strings */
	size_t alen, acap;
	char err[96]; /* after a failed parse: "byte N: what" (N counts from 1) */
};

#define WD_JR_PREFIX 1u /* one value at the start of the text; bytes after it ignored */

/*
 * Parse s[0..len) into j (free with wd_jr_free even on error). 0, -EINVAL
 * (not JSON), -E2BIG (more than max_tokens tokens, deeper than WD_JR_DEPTH),
 * -ENOMEM. Token 0 is the root.
 */
int wd_jr_parse(struct wd_jr *j, const char *s, size_t len, size_t max_tokens,
		unsigned int flags);
void wd_jr_free(struct wd_jr *j);

/* The type of token tok, 0 if there is no such token (tok < 0: a missed lookup). */
int wd_jr_type(const struct wd_jr *j, int tok);
/* The value of key in object token obj; -1 when absent or obj is not an object. */
int wd_jr_get(const struct wd_jr *j, int obj, const char *key);
/* A path of keys from obj ("Config", "Labels", NULL); -1 if a step is missing. */
int wd_jr_path(const struct wd_jr *j, int obj, const char *const *keys);
/*
 * Children of container c: the first item of an array, the first member's
 * key of an object (its value is the next token), -1 if none; then the one
 * after child i, -1 after the last.
 */
int wd_jr_first(const struct wd_jr *j, int c);
int wd_jr_next(const struct wd_jr *j, int c, int i);

/*
 * The decoded string of token tok, NUL-terminated, owned by j; NULL when
 * tok is not a string or holds a NUL (\u0000 cannot be a C string).
 */
const char *wd_jr_str(const struct wd_jr *j, int tok);
/* The same, malloc'ed (NULL also when memory is short). */
char *wd_jr_strdup(const struct wd_jr *j, int tok);
/* Decoded string token == s (a string holding a NUL equals no C string). */
bool wd_jr_streq(const struct wd_jr *j, int tok, const char *s);
/* Number token tok -> *out; false if tok is not a number. */
bool wd_jr_num(const struct wd_jr *j, int tok, double *out);

#endif
