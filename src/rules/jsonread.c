// SPDX-License-Identifier: GPL-2.0-only
/* A strict, bounded JSON reader (rules/jsonread.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/jsonread.h"

struct jr {
	struct wd_jr_doc *d;
	const char *s;
	size_t len, pos;
	int depth;
	char *err;
	size_t errlen;
};

static int fail(struct jr *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "byte %zu: ", p->pos + 1);

	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void ws(struct jr *p)
{
	while (p->pos < p->len && strchr(" \t\n\r", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static int new_node(struct jr *p, enum wd_jr_type t)
{
	struct wd_jr_doc *d = p->d;

	if (d->n >= WD_JR_MAX_NODES) {
		fail(p, "more than %d values", WD_JR_MAX_NODES);
		return -E2BIG;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		void *v = realloc(d->v, cap * sizeof(*d->v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n] = (struct wd_jr_node){ .type = t, .child = -1, .next = -1 };
	return (int)d->n++;
}

static int hex4(struct jr *p, unsigned int *out)
{
	*out = 0;
	if (p->len - p->pos < 4)
		return fail(p, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos++];
		unsigned int v = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
				 c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
				 c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;

		if (v > 15)
			return fail(p, "bad hex digit in \\u escape");
		*out = *out << 4 | v;
	}
	return 0;
}

static void put_utf8(char *o, size_t *n, unsigned int cp)
{
	if (cp < 0x80) {
		o[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*n)++] = (char)(0xc0 | cp >> 6);
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*n)++] = (char)(0xe0 | cp >> 12);
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*n)++] = (char)(0xf0 | cp >> 18);
		o[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int escape(struct jr *p, char *o, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	unsigned int cp, lo;
	const char *e;

	if (p->pos >= p->len)
		return fail(p, "unterminated string");
	e = strchr(from, p->s[p->pos]);
	if (e && p->s[p->pos]) {
		o[(*n)++] = to[e - from];
		p->pos++;
		return 0;
	}
	if (p->s[p->pos++] != 'u')
		return fail(p, "bad escape");
	if (hex4(p, &cp))
		return -EINVAL;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(p, "lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return fail(p, "lone high surrogate");
		p->pos += 2;
		if (hex4(p, &lo))
			return -EINVAL;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(p, "bad surrogate pair");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	put_utf8(o, n, cp);
	return 0;
}

/* Length of the valid UTF-8 sequence at s (of at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	unsigned int cp;

	if (s[0] < 0xc2 || s[0] > 0xf4 || n < need)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (need == 3) {
		cp = (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
		if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	} else if (need == 4) {
		cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12;
		if (cp < 0x10000 || cp > 0x10ffff)
			return 0;
	}
	return need;
}

/* A string at p->pos (the opening quote): decoded into the arena. */
static int string(struct jr *p, const char **out, size_t *olen)
{
	char *o = p->d->arena + p->d->alen;
	size_t n = 0, u;

	p->pos++;
	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == '"') {
			p->pos++;
			o[n] = '\0';
			*out = o;
			*olen = n;
			p->d->alen += n + 1;
			return 0;
		}
		if (c < 0x20)
			return fail(p, "control byte in a string");
		if (c == '\\') {
			p->pos++;
			if (escape(p, o, &n))
				return -EINVAL;
			continue;
		}
		u = c < 0x80 ? 1 : utf8_len((const unsigned char *)p->s + p->pos,
					    p->len - p->pos);
		if (!u)
			return fail(p, "invalid UTF-8");
		memcpy(o + n, p->s + p->pos, u);
		n += u;
		p->pos += u;
	}
	return fail(p, "unterminated string");
}

static size_t digits(struct jr *p)
{
	size_t start = p->pos;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos - start;
}

static int number(struct jr *p, double *out)
{
	size_t start = p->pos;
	char buf[64];

	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (!digits(p))
		return fail(p, "bad number");
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!digits(p))
			return fail(p, "bad number: no digit after '.'");
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p))
			return fail(p, "bad number: no exponent digits");
	}
	if (p->pos - start >= sizeof(buf))
		return fail(p, "number too long");
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	*out = strtod(buf, NULL);
	return 0;
}

static int value(struct jr *p);

/* Items or members of the container node i, until close. */
static int members(struct jr *p, int i, char close)
{
	int32_t last = -1;
	int c;

	p->pos++;
	ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen;

		ws(p);
		if (close == '}') {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a member name");
			if (string(p, &key, &klen))
				return -EINVAL;
			ws(p);
			if (p->pos >= p->len || p->s[p->pos++] != ':')
				return fail(p, "expected ':'");
			ws(p);
		}
		c = value(p);
		if (c < 0)
			return c;
		p->d->v[c].key = key;
		if (last < 0)
			p->d->v[i].child = c;
		else
			p->d->v[last].next = c;
		last = c;
		ws(p);
		if (p->pos >= p->len)
			return fail(p, "unterminated %s", close == '}' ? "object" : "array");
		if (p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		if (p->s[p->pos++] != ',')
			return fail(p, "expected ',' or '%c'", close);
	}
}

static int literal(struct jr *p, const char *word, enum wd_jr_type t)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return fail(p, "unexpected character");
	p->pos += n;
	return new_node(p, t);
}

/* One value at p->pos: its node index, or a negative errno. */
static int value(struct jr *p)
{
	int i, err;
	char c;

	if (p->pos >= p->len)
		return fail(p, "expected a value");
	c = p->s[p->pos];
	if (c == '{' || c == '[') {
		if (++p->depth > WD_JR_MAX_DEPTH) {
			fail(p, "nested deeper than %d", WD_JR_MAX_DEPTH);
			return -E2BIG;
		}
		i = new_node(p, c == '{' ? WD_JR_OBJ : WD_JR_ARR);
		if (i < 0)
			return i;
		err = members(p, i, c == '{' ? '}' : ']');
		p->depth--;
		return err ? err : i;
	}
	if (c == '"') {
		i = new_node(p, WD_JR_STR);
		if (i >= 0 && string(p, &p->d->v[i].str, &p->d->v[i].len))
			return -EINVAL;
		return i;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		i = new_node(p, WD_JR_NUM);
		if (i >= 0 && number(p, &p->d->v[i].num))
			return -EINVAL;
		return i;
	}
	if (c == 't')
		return literal(p, "true", WD_JR_TRUE);
	if (c == 'f')
		return literal(p, "false", WD_JR_FALSE);
	if (c == 'n')
		return literal(p, "null", WD_JR_NULL);
	return fail(p, "unexpected character");
}

int wd_jr_parse(struct wd_jr_doc *d, const char *text, size_t len, char *err,
		size_t errlen)
{
	struct jr p = { .d = d, .s = text, .len = len, .err = err, .errlen = errlen };
	int i;

	memset(d, 0, sizeof(*d));
	if (len > WD_JR_MAX_BYTES) {
		snprintf(err, errlen, "longer than %u bytes", WD_JR_MAX_BYTES);
		return -E2BIG;
	}
	/* decoded strings (and their NULs) never outgrow the text */
	d->arena = malloc(len + 1);
	if (!d->arena)
		return -ENOMEM;
	ws(&p);
	i = value(&p);
	if (i < 0)
		return i;
	ws(&p);
	if (p.pos != len)
		return fail(&p, "more after the value");
	return 0;
}

void wd_jr_free(struct wd_jr_doc *d)
{
	free(d->v);
	free(d->arena);
	memset(d, 0, sizeof(*d));
}

const struct wd_jr_node *wd_jr_get(const struct wd_jr_doc *d, const struct wd_jr_node *obj,
				   const char *key)
{
	if (!obj || obj->type != WD_JR_OBJ)
		return NULL;
	for (int32_t c = obj->child; c >= 0; c = d->v[c].next)
		if (d->v[c].key && !strcmp(d->v[c].key, key))
			return &d->v[c];
	return NULL;
}

const char *wd_jr_str(const struct wd_jr_doc *d, const struct wd_jr_node *obj,
		      const char *key)
{
	const struct wd_jr_node *n = wd_jr_get(d, obj, key);

	return n && n->type == WD_JR_STR ? n->str : NULL;
}
