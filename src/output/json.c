// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"

void wd_buf_free(struct wd_buf *b)
{
	free(b->p);
	*b = (struct wd_buf){ 0 };
}

void wd_buf_reset(struct wd_buf *b)
{
	b->len = 0;
	b->oom = false;
}

static bool buf_reserve(struct wd_buf *b, size_t extra)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void wd_buf_put(struct wd_buf *b, const void *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

void wd_buf_puts(struct wd_buf *b, const char *s)
{
	wd_buf_put(b, s, strlen(s));
}

void wd_buf_putc(struct wd_buf *b, char c)
{
	wd_buf_put(b, &c, 1);
}

void wd_buf_printf(struct wd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *wd_buf_cstr(struct wd_buf *b)
{
	if (!buf_reserve(b, 0))
		return "";
	b->p[b->len] = '\0';
	return b->p;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void wd_json_str(struct wd_buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	wd_buf_putc(b, '"');
	while (i < len) {
		unsigned char c = s[i];
		size_t n;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) {
			i++;
			run++;
			continue;
		}
		wd_buf_put(b, s + i - run, run);
		run = 0;
		switch (c) {
		case '"':
			wd_buf_puts(b, "\\\"");
			i++;
			continue;
		case '\\':
			wd_buf_puts(b, "\\\\");
			i++;
			continue;
		case '\n':
			wd_buf_puts(b, "\\n");
			i++;
			continue;
		case '\t':
			wd_buf_puts(b, "\\t");
			i++;
			continue;
		case '\r':
			wd_buf_puts(b, "\\r");
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			wd_buf_printf(b, "\\u%04x", c);
			i++;
			continue;
		}
		n = utf8_seq(s + i, len - i);
		if (n == 0) {
			wd_buf_puts(b, "\\ufffd");
			i++;
		} else if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
			   (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			/* U+2028/U+2029 break naive line splitters in JS. */
			wd_buf_printf(b, "\\u%04x", s[i + 2] == 0xa8 ? 0x2028 : 0x2029);
			i += n;
		} else {
			wd_buf_put(b, s + i, n);
			i += n;
		}
	}
	wd_buf_put(b, s + i - run, run);
	wd_buf_putc(b, '"');
}

void wd_json_key(struct wd_buf *b, const char *key, bool first)
{
	if (!first)
		wd_buf_putc(b, ',');
	wd_buf_putc(b, '"');
	wd_buf_puts(b, key);
	wd_buf_puts(b, "\":");
}

void wd_buf_u64(struct wd_buf *b, unsigned long long v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	wd_buf_put(b, tmp + sizeof(tmp) - n, n);
}

void wd_json_u64(struct wd_buf *b, const char *key, unsigned long long v)
{
	wd_json_key(b, key, false);
	wd_buf_u64(b, v);
}

void wd_json_addr(struct wd_buf *b, int family, const uint8_t *addr)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, s, sizeof(s)))
		s[0] = '\0';
	wd_buf_putc(b, '"');
	wd_buf_puts(b, s);
	wd_buf_putc(b, '"');
}
