// SPDX-License-Identifier: GPL-2.0-only
/* The strict JSON reader (jsonr.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "container/jsonr.h"

struct pstate {
	struct wd_cj *j;
	size_t i;
};

static void skip_ws(struct pstate *p)
{
	while (p->i < p->j->len) {
		char c = p->j->s[p->i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		p->i++;
	}
}

static int new_tok(struct pstate *p, uint8_t type, size_t start)
{
	struct wd_cj *j = p->j;
	struct wd_cj_tok *t;

	if (j->nt >= j->max)
		return -E2BIG;
	if (j->nt == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 64;

		if (cap > j->max)
			cap = j->max;
		t = realloc(j->t, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		j->t = t;
		j->cap = cap;
	}
	j->t[j->nt] = (struct wd_cj_tok){ .type = type, .start = (uint32_t)start };
	return (int)j->nt++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The 4 hex digits at s (bounds checked by the caller). -1 if not hex. */
static long hex4(const char *s)
{
	long v = 0;

	for (int k = 0; k < 4; k++) {
		int h = hexval(s[k]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Length of the UTF-8 sequence at s[0..n) (1-4), 0 if not valid UTF-8. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* An escape at s[i] (the backslash): its length, 0 if invalid. */
static size_t escape_len(const char *s, size_t i, size_t n)
{
	long u, lo;

	if (i + 1 >= n)
		return 0;
	if (strchr("\"\\/bfnrt", s[i + 1]) && s[i + 1])
		return 2;
	if (s[i + 1] != 'u' || i + 6 > n || (u = hex4(s + i + 2)) < 0)
		return 0;
	if (u >= 0xdc00 && u <= 0xdfff)
		return 0; /* a lone low surrogate */
	if (u < 0xd800 || u > 0xdbff)
		return 6;
	if (i + 12 > n || s[i + 6] != '\\' || s[i + 7] != 'u')
		return 0;
	lo = hex4(s + i + 8);
	return lo >= 0xdc00 && lo <= 0xdfff ? 12 : 0;
}

static int parse_string(struct pstate *p)
{
	const char *s = p->j->s;
	size_t n = p->j->len, i = p->i + 1;
	int t = new_tok(p, WD_CJ_STR, i);

	if (t < 0)
		return t;
	while (i < n && s[i] != '"') {
		size_t k;

		if ((unsigned char)s[i] < 0x20)
			return -EINVAL;
		k = s[i] == '\\' ? escape_len(s, i, n) :
				   utf8_len((const unsigned char *)s + i, n - i);
		if (!k)
			return -EINVAL;
		i += k;
	}
	if (i >= n)
		return -EINVAL;
	p->j->t[t].len = (uint32_t)(i - p->j->t[t].start);
	p->j->t[t].next = (uint32_t)p->j->nt;
	p->i = i + 1;
	return 0;
}

static size_t digits(const char *s, size_t i, size_t n)
{
	size_t k = i;

	while (k < n && s[k] >= '0' && s[k] <= '9')
		k++;
	return k - i;
}

static int parse_number(struct pstate *p)
{
	const char *s = p->j->s;
	size_t n = p->j->len, i = p->i, d;
	int t = new_tok(p, WD_CJ_NUM, i);

	if (t < 0)
		return t;
	if (i < n && s[i] == '-')
		i++;
	d = digits(s, i, n);
	if (!d || (s[i] == '0' && d > 1))
		return -EINVAL;
	i += d;
	if (i < n && s[i] == '.') {
		d = digits(s, ++i, n);
		if (!d)
			return -EINVAL;
		i += d;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = digits(s, i, n);
		if (!d)
			return -EINVAL;
		i += d;
	}
	p->j->t[t].len = (uint32_t)(i - p->i);
	p->j->t[t].next = (uint32_t)p->j->nt;
	p->i = i;
	return 0;
}

static int parse_word(struct pstate *p, const char *w, uint8_t type)
{
	size_t l = strlen(w);
	int t;

	if (p->j->len - p->i < l || memcmp(p->j->s + p->i, w, l))
		return -EINVAL;
	t = new_tok(p, type, p->i);
	if (t < 0)
		return t;
	p->j->t[t].len = (uint32_t)l;
	p->j->t[t].next = (uint32_t)p->j->nt;
	p->i += l;
	return 0;
}

static int parse_value(struct pstate *p, int depth);

/* An object or array at p->i. */
static int parse_container(struct pstate *p, int depth, bool obj)
{
	int t = new_tok(p, obj ? WD_CJ_OBJ : WD_CJ_ARR, p->i), err;
	char close = obj ? '}' : ']';

	if (t < 0)
		return t;
	if (depth >= WD_CJ_DEPTH)
		return -E2BIG;
	p->i++;
	skip_ws(p);
	if (p->i < p->j->len && p->j->s[p->i] == close)
		goto done;
	for (;;) {
		skip_ws(p);
		if (obj) {
			if (p->i >= p->j->len || p->j->s[p->i] != '"')
				return -EINVAL;
			err = parse_string(p);
			if (err)
				return err;
			skip_ws(p);
			if (p->i >= p->j->len || p->j->s[p->i++] != ':')
				return -EINVAL;
		}
		err = parse_value(p, depth + 1);
		if (err)
			return err;
		p->j->t[t].n++;
		skip_ws(p);
		if (p->i >= p->j->len)
			return -EINVAL;
		if (p->j->s[p->i] == close)
			break;
		if (p->j->s[p->i++] != ',')
			return -EINVAL;
	}
done:
	p->i++;
	p->j->t[t].len = (uint32_t)(p->i - p->j->t[t].start);
	p->j->t[t].next = (uint32_t)p->j->nt;
	return 0;
}

static int parse_value(struct pstate *p, int depth)
{
	char c;

	skip_ws(p);
	if (p->i >= p->j->len)
		return -EINVAL;
	c = p->j->s[p->i];
	switch (c) {
	case '{':
		return parse_container(p, depth, true);
	case '[':
		return parse_container(p, depth, false);
	case '"':
		return parse_string(p);
	case 't':
		return parse_word(p, "true", WD_CJ_TRUE);
	case 'f':
		return parse_word(p, "false", WD_CJ_FALSE);
	case 'n':
		return parse_word(p, "null", WD_CJ_NULL);
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(p);
		return -EINVAL;
	}
}

int wd_cj_parse(struct wd_cj *j, const char *s, size_t len, size_t max_tokens,
		unsigned int flags)
{
	struct pstate p = { .j = j };
	int err;

	*j = (struct wd_cj){ .s = s, .len = len, .max = max_tokens };
	if (len > UINT32_MAX - 1)
		return -E2BIG;
	err = parse_value(&p, 0);
	if (err)
		return err;
	j->end = p.i;
	if (flags & WD_CJ_PREFIX)
		return 0;
	skip_ws(&p);
	return p.i == len ? 0 : -EINVAL;
}

void wd_cj_free(struct wd_cj *j)
{
	free(j->t);
	j->t = NULL;
	j->nt = j->cap = 0;
}

/* Append code point cp as UTF-8 at d. */
static size_t put_utf8(char *d, unsigned long cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | (cp >> 6));
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | (cp >> 12));
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | (cp >> 18));
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned long unescape_u(const char *s, size_t *i)
{
	unsigned long cp = (unsigned long)hex4(s + *i + 2), lo;

	*i += 6;
	if (cp >= 0xd800 && cp <= 0xdbff) { /* validated: a low surrogate follows */
		lo = (unsigned long)hex4(s + *i + 2);
		*i += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return cp;
}

char *wd_cj_strdup(const struct wd_cj *j, int tok)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const struct wd_cj_tok *t;
	const char *s;
	size_t i = 0, o = 0;
	char *d;

	if (tok < 0 || (size_t)tok >= j->nt || j->t[tok].type != WD_CJ_STR)
		return NULL;
	t = &j->t[tok];
	s = j->s + t->start;
	d = malloc((size_t)t->len + 1); /* unescaped is never longer */
	if (!d)
		return NULL;
	while (i < t->len) {
		if (s[i] != '\\') {
			d[o++] = s[i++];
		} else if (s[i + 1] == 'u') {
			unsigned long cp = unescape_u(s, &i);

			if (!cp) {
				free(d);
				return NULL;
			}
			o += put_utf8(d + o, cp);
		} else {
			d[o++] = to[strchr(from, s[i + 1]) - from];
			i += 2;
		}
	}
	d[o] = '\0';
	return d;
}

bool wd_cj_streq(const struct wd_cj *j, int tok, const char *str)
{
	const struct wd_cj_tok *t;
	char *u;
	bool eq;

	if (tok < 0 || (size_t)tok >= j->nt || j->t[tok].type != WD_CJ_STR)
		return false;
	t = &j->t[tok];
	if (!memchr(j->s + t->start, '\\', t->len)) /* the common case: no copy */
		return strlen(str) == t->len && !memcmp(j->s + t->start, str, t->len);
	u = wd_cj_strdup(j, tok);
	eq = u && !strcmp(u, str);
	free(u);
	return eq;
}

int wd_cj_get(const struct wd_cj *j, int obj, const char *key)
{
	uint32_t k;

	if (obj < 0 || (size_t)obj >= j->nt || j->t[obj].type != WD_CJ_OBJ)
		return -1;
	k = (uint32_t)obj + 1;
	for (uint32_t m = 0; m < j->t[obj].n; m++) {
		uint32_t v = k + 1;

		if (wd_cj_streq(j, (int)k, key))
			return (int)v;
		k = j->t[v].next;
	}
	return -1;
}

int wd_cj_path(const struct wd_cj *j, int obj, const char *const *keys)
{
	for (; *keys && obj >= 0; keys++)
		obj = wd_cj_get(j, obj, *keys);
	return obj;
}
