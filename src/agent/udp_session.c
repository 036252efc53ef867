// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "output/format.h"
#include "agent/udp_session.h"

void wd_udp_init(struct wd_udp_table *t, size_t max)
{
	*t = (struct wd_udp_table){ .max = max };
}

static void session_free(struct wd_udp_session *s)
{
	free(s->common);
	free(s->dests);
	free(s);
}

void wd_udp_free(struct wd_udp_table *t)
{
	for (size_t i = 0; i < WD_UDP_BUCKETS; i++) {
		struct wd_udp_session *s = t->bucket[i], *next;

		for (; s; s = next) {
			next = s->next;
			session_free(s);
		}
	}
	*t = (struct wd_udp_table){ 0 };
}

static size_t bucket_of(uint64_t cookie)
{
	return (size_t)((cookie * 0x9e3779b97f4a7c15ull) >> 54) & (WD_UDP_BUCKETS - 1);
}

struct wd_udp_session *wd_udp_find(struct wd_udp_table *t, uint64_t cookie)
{
	struct wd_udp_session *s;

	for (s = t->bucket[bucket_of(cookie)]; s; s = s->next)
		if (s->cookie == cookie)
			return s;
	return NULL;
}

struct wd_udp_session *wd_udp_add(struct wd_udp_table *t, uint64_t cookie,
				  uint64_t ts_ns, const char *common, size_t len,
				  int family, const uint8_t *addr, uint16_t port)
{
	struct wd_udp_session *s = wd_udp_find(t, cookie);
	struct wd_udp_dest *d;

	if (!s) {
		if (t->count >= t->max || !(s = calloc(1, sizeof(*s)))) {
			t->dropped++;
			return NULL;
		}
		s->common = malloc(len ? len : 1);
		if (!s->common) {
			free(s);
			t->dropped++;
			return NULL;
		}
		memcpy(s->common, common, len);
		s->common_len = len;
		s->cookie = cookie;
		s->next = t->bucket[bucket_of(cookie)];
		t->bucket[bucket_of(cookie)] = s;
		t->count++;
	}
	if (s->ndests == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;

		d = realloc(s->dests, cap * sizeof(*d));
		if (!d)
			return s;
		s->dests = d;
		s->cap = cap;
	}
	if (!s->ndests)
		s->start_ns = ts_ns;
	d = &s->dests[s->ndests++];
	d->family = (uint16_t)family;
	d->port = port;
	memcpy(d->addr, addr, sizeof(d->addr));
	return s;
}

void wd_udp_format(struct wd_buf *b, struct wd_udp_session *s, int64_t real_ns,
		   int64_t boot_to_real_ns, uint64_t seq, const char *error, bool first,
		   wd_udp_take_fn take, void *ctx)
{
	size_t from = first && s->ndests ? s->ndests - 1 : 0;

	wd_buf_puts(b, "{\"timestamp\":");
	wd_format_time(b, real_ns);
	wd_json_u64(b, "seq", seq);
	wd_buf_puts(b, ",\"probe\":\"udp_session\",");
	wd_buf_put(b, s->common, s->common_len);
	wd_buf_puts(b, ",\"destinations\":[");
	for (size_t i = from; i < s->ndests; i++) {
		const struct wd_udp_dest *d = &s->dests[i];
		struct wd_udp_key k = { .cookie = s->cookie, .port = d->port,
					.family = d->family };
		struct wd_udp_val v = { .count = 1 };

		memcpy(k.addr, d->addr, sizeof(k.addr));
		if (!first && take(ctx, &k, &v))
			v = (struct wd_udp_val){ 0 };
		if (i > from)
			wd_buf_putc(b, ',');
		wd_format_udp_dest(b, d->family, d->addr, d->port,
				   (double)(v.last_ns - v.first_ns) / 1e9, v.count);
	}
	wd_buf_puts(b, "],\"error\":");
	wd_json_str(b, error, strlen(error));
	if (first) {
		wd_buf_puts(b, ",\"first_datagram\":true");
	} else {
		wd_buf_puts(b, ",\"session_start\":");
		wd_format_time(b, (int64_t)s->start_ns + boot_to_real_ns);
		s->ndests = 0; /* the kernel forgot them too: a new session follows */
	}
	wd_buf_putc(b, '}');
}

void wd_udp_remove(struct wd_udp_table *t, struct wd_udp_session *s)
{
	struct wd_udp_session **pp = &t->bucket[bucket_of(s->cookie)];

	while (*pp && *pp != s)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = s->next;
		t->count--;
	}
	session_free(s);
}
