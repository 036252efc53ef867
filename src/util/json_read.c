// SPDX-License-Identifier: GPL-2.0-only
/* The strict, bounded JSON reader (util/json_read.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_read.h"

struct pstate {
	struct wd_jr *j;
	size_t i;
};

/* "byte at+1: what" into j->err; -EINVAL. */
static int fail(struct pstate *p, size_t at, const char *fmt, ...)
{
	char *e = p->j->err;
	size_t cap = sizeof(p->j->err);
	int n = snprintf(e, cap, "byte %zu: ", at + 1);
	va_list ap;

	if (n >= 0 && (size_t)n < cap) {
		va_start(ap, fmt);
		vsnprintf(e + n, cap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

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
	struct wd_jr *j = p->j;
	struct wd_jr_tok *t;

	if (j->nt >= j->max) {
		fail(p, start, "more than %zu tokens", j->max);
		return -E2BIG;
	}
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
	j->t[j->nt] = (struct wd_jr_tok){ .type = type, .start = (uint32_t)start };
	return (int)j->nt++;
}

/* Arena room for need bytes in all. */
static int room(struct wd_jr *j, size_t need)
{
	size_t cap = j->acap ? j->acap : 256;
	char *a;

	if (need <= j->acap)
		return 0;
	while (cap < need)
		cap *= 2;
	a = realloc(j->arena, cap);
	if (!a)
		return -ENOMEM;
	j->arena = a;
	j->acap = cap;
	return 0;
}

/* The 4 hex digits at s[at..]: their value, or -EINVAL. */
static long hex4(struct pstate *p, size_t at)
{
	long v = 0;

	if (p->j->len - at < 4)
		return fail(p, at, "short \\u escape");
	for (size_t k = at; k < at + 4; k++) {
		char c = p->j->s[k];
		int h = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (h < 0)
			return fail(p, k, "bad hex digit in \\u escape");
		v = v * 16 + h;
	}
	return v;
}

/* Code point cp as UTF-8 at d: its length. */
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

/* A \u escape at s[*i] (the backslash), decoded to the arena at *o. */
static int escape_u(struct pstate *p, size_t *i, size_t *o)
{
	const char *s = p->j->s;
	long cp = hex4(p, *i + 2), lo;

	if (cp < 0)
		return (int)cp;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(p, *i, "lone low surrogate");
	*i += 6;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->j->len - *i < 2 || s[*i] != '\\' || s[*i + 1] != 'u')
			return fail(p, *i, "lone high surrogate");
		lo = hex4(p, *i + 2);
		if (lo < 0)
			return (int)lo;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(p, *i, "bad surrogate pair");
		*i += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	*o += put_utf8(p->j->arena + *o, (unsigned long)cp);
	return 0;
}

/* An escape at s[*i] (the backslash), decoded to the arena at *o. */
static int escape(struct pstate *p, size_t *i, size_t *o)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char c = *i + 1 < p->j->len ? p->j->s[*i + 1] : '\0';
	const char *e = c ? strchr(from, c) : NULL;

	if (*i + 1 >= p->j->len)
		return fail(p, *i + 1, "unterminated string");
	if (e) {
		p->j->arena[(*o)++] = to[e - from];
		*i += 2;
		return 0;
	}
	if (c != 'u')
		return fail(p, *i + 1, "bad escape");
	return escape_u(p, i, o);
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

/* A string at p->i (the opening quote): checked and decoded to the arena. */
static int parse_string(struct pstate *p)
{
	struct wd_jr *j = p->j;
	size_t i = p->i + 1, o = j->alen, k;
	int t = new_tok(p, WD_JR_STR, i), err;

	if (t < 0)
		return t;
	while (i < j->len && j->s[i] != '"') {
		unsigned char c = (unsigned char)j->s[i];

		if (room(j, o + 5)) /* a code point and the NUL */
			return -ENOMEM;
		if (c < 0x20)
			return fail(p, i, "control byte in a string");
		if (c == '\\') {
			err = escape(p, &i, &o);
			if (err)
				return err;
			continue;
		}
		k = utf8_len((const unsigned char *)j->s + i, j->len - i);
		if (!k)
			return fail(p, i, "invalid UTF-8");
		memcpy(j->arena + o, j->s + i, k);
		o += k;
		i += k;
	}
	if (i >= j->len)
		return fail(p, i, "unterminated string");
	if (room(j, o + 1))
		return -ENOMEM;
	j->arena[o] = '\0';
	j->t[t].len = (uint32_t)(i - j->t[t].start);
	j->t[t].dec = (uint32_t)j->alen;
	j->t[t].dlen = (uint32_t)(o - j->alen);
	j->t[t].next = (uint32_t)j->nt;
	j->alen = o + 1;
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

/* A number; a leading 0 is the whole integer part ("01": 0, then a stray 1). */
static int parse_number(struct pstate *p)
{
	const char *s = p->j->s;
	size_t n = p->j->len, i = p->i, d;
	int t = new_tok(p, WD_JR_NUM, i);

	if (t < 0)
		return t;
	if (s[i] == '-')
		i++;
	d = i < n && s[i] == '0' ? 1 : digits(s, i, n);
	if (!d)
		return fail(p, i, "bad number");
	i += d;
	if (i < n && s[i] == '.') {
		d = digits(s, ++i, n);
		if (!d)
			return fail(p, i, "bad number: no digit after '.'");
		i += d;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = digits(s, i, n);
		if (!d)
			return fail(p, i, "bad number: no exponent digits");
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
		return fail(p, p->i, "unexpected character");
	t = new_tok(p, type, p->i);
	if (t < 0)
		return t;
	p->j->t[t].len = (uint32_t)l;
	p->j->t[t].next = (uint32_t)p->j->nt;
	p->i += l;
	return 0;
}

static int parse_value(struct pstate *p, int depth);

/* An object's key and ':' at p->i. */
static int parse_key(struct pstate *p)
{
	int err;

	skip_ws(p);
	if (p->i >= p->j->len || p->j->s[p->i] != '"')
		return fail(p, p->i, "expected a member name");
	err = parse_string(p);
	if (err)
		return err;
	skip_ws(p);
	if (p->i >= p->j->len || p->j->s[p->i] != ':')
		return fail(p, p->i, "expected ':'");
	p->i++;
	return 0;
}

/* An object or array at p->i. */
static int parse_container(struct pstate *p, int depth, bool obj)
{
	char close = obj ? '}' : ']';
	int t, err;

	if (depth >= WD_JR_DEPTH) {
		fail(p, p->i, "nested deeper than %d", WD_JR_DEPTH);
		return -E2BIG;
	}
	t = new_tok(p, obj ? WD_JR_OBJ : WD_JR_ARR, p->i);
	if (t < 0)
		return t;
	p->i++;
	skip_ws(p);
	if (p->i < p->j->len && p->j->s[p->i] == close)
		goto done;
	for (;;) {
		err = obj ? parse_key(p) : 0;
		if (!err)
			err = parse_value(p, depth + 1);
		if (err)
			return err;
		p->j->t[t].n++;
		skip_ws(p);
		if (p->i >= p->j->len)
			return fail(p, p->i, "unterminated %s", obj ? "object" : "array");
		if (p->j->s[p->i] == close)
			break;
		if (p->j->s[p->i] != ',')
			return fail(p, p->i, "expected ',' or '%c'", close);
		p->i++;
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
		return fail(p, p->i, "expected a value");
	c = p->j->s[p->i];
	switch (c) {
	case '{':
		return parse_container(p, depth, true);
	case '[':
		return parse_container(p, depth, false);
	case '"':
		return parse_string(p);
	case 't':
		return parse_word(p, "true", WD_JR_TRUE);
	case 'f':
		return parse_word(p, "false", WD_JR_FALSE);
	case 'n':
		return parse_word(p, "null", WD_JR_NULL);
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(p);
		return fail(p, p->i, "unexpected character");
	}
}

int wd_jr_parse(struct wd_jr *j, const char *s, size_t len, size_t max_tokens,
		unsigned int flags)
{
	struct pstate p = { .j = j };
	int err;

	*j = (struct wd_jr){ .s = s, .len = len, .max = max_tokens };
	if (len > UINT32_MAX - 1) {
		snprintf(j->err, sizeof(j->err), "longer than %u bytes", UINT32_MAX - 1);
		return -E2BIG;
	}
	err = parse_value(&p, 0);
	if (err)
		return err;
	j->end = p.i;
	if (flags & WD_JR_PREFIX)
		return 0;
	skip_ws(&p);
	return p.i == len ? 0 : fail(&p, p.i, "more after the value");
}

void wd_jr_free(struct wd_jr *j)
{
	free(j->t);
	free(j->arena);
	j->t = NULL;
	j->arena = NULL;
	j->nt = j->cap = j->alen = j->acap = 0;
}

int wd_jr_type(const struct wd_jr *j, int tok)
{
	return tok >= 0 && (size_t)tok < j->nt ? j->t[tok].type : 0;
}

int wd_jr_first(const struct wd_jr *j, int c)
{
	int type = wd_jr_type(j, c);

	return (type == WD_JR_OBJ || type == WD_JR_ARR) && j->t[c].n ? c + 1 : -1;
}

int wd_jr_next(const struct wd_jr *j, int c, int i)
{
	int type = wd_jr_type(j, c);
	uint32_t n;

	if ((type != WD_JR_OBJ && type != WD_JR_ARR) || i <= c ||
	    (size_t)i + (type == WD_JR_OBJ) >= j->t[c].next)
		return -1;
	n = type == WD_JR_OBJ ? j->t[i + 1].next : j->t[i].next; /* past key and value */
	return n < j->t[c].next ? (int)n : -1;
}

const char *wd_jr_str(const struct wd_jr *j, int tok)
{
	const struct wd_jr_tok *t;

	if (wd_jr_type(j, tok) != WD_JR_STR)
		return NULL;
	t = &j->t[tok];
	return memchr(j->arena + t->dec, '\0', t->dlen) ? NULL : j->arena + t->dec;
}

char *wd_jr_strdup(const struct wd_jr *j, int tok)
{
	const char *s = wd_jr_str(j, tok);

	return s ? strdup(s) : NULL;
}

bool wd_jr_streq(const struct wd_jr *j, int tok, const char *s)
{
	const char *v = wd_jr_str(j, tok);

	return v && strlen(s) == j->t[tok].dlen && !memcmp(v, s, j->t[tok].dlen);
}

bool wd_jr_num(const struct wd_jr *j, int tok, double *out)
{
	const struct wd_jr_tok *t;
	char buf[64], *c;

	if (wd_jr_type(j, tok) != WD_JR_NUM)
		return false;
	t = &j->t[tok];
	c = t->len < sizeof(buf) ? buf : malloc((size_t)t->len + 1);
	if (!c)
		return false;
	memcpy(c, j->s + t->start, t->len);
	c[t->len] = '\0';
	*out = strtod(c, NULL);
	if (c != buf)
		free(c);
	return true;
}

int wd_jr_get(const struct wd_jr *j, int obj, const char *key)
{
	for (int k = wd_jr_first(j, obj); k >= 0 && wd_jr_type(j, obj) == WD_JR_OBJ;
	     k = wd_jr_next(j, obj, k))
		if (wd_jr_streq(j, k, key))
			return k + 1;
	return -1;
}

int wd_jr_path(const struct wd_jr *j, int obj, const char *const *keys)
{
	for (; *keys && obj >= 0; keys++)
		obj = wd_jr_get(j, obj, *keys);
	return obj;
}
