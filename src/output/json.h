/* SPDX-License-Identifier: GPL-2.0-only */
/* A growable byte buffer and a strict JSON string writer. */
#ifndef WD_JSON_H
#define WD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wd_buf {
	char *p;
	size_t len;
	size_t cap;
	bool oom; /* an allocation failed: the content is incomplete */
};

void wd_buf_free(struct wd_buf *b);
void wd_buf_reset(struct wd_buf *b);
void wd_buf_put(struct wd_buf *b, const void *data, size_t len);
void wd_buf_puts(struct wd_buf *b, const char *s);
void wd_buf_putc(struct wd_buf *b, char c);
void wd_buf_printf(struct wd_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append an unsigned integer in decimal (no printf: this is the hot path). */
void wd_buf_u64(struct wd_buf *b, unsigned long long v);
/* NUL-terminate without counting the NUL in len; returns b->p or "". */
const char *wd_buf_cstr(struct wd_buf *b);

/*
 * Append s[0..len) as a quoted JSON string. Quotes, backslashes, control
 * bytes and DEL are escaped; bytes that are not valid UTF-8 become U+FFFD,
 * so any input yields exactly one valid line of JSON.
 */
void wd_json_str(struct wd_buf *b, const char *s, size_t len);
/* An IPv4 (family AF_INET, 4 bytes) or IPv6 (16 bytes) address as a JSON string. */
void wd_json_addr(struct wd_buf *b, int family, const uint8_t *addr);
/* "key": prefix, with a comma unless first. */
void wd_json_key(struct wd_buf *b, const char *key, bool first);
/* ,"key":N */
void wd_json_u64(struct wd_buf *b, const char *key, unsigned long long v);

#endif
