// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "output/format.h"
#include "agent/udp_session.h"
#include "util/clock.h"
#include "util/hash.h"

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
	return wd_hash_bucket(cookie, WD_UDP_BUCKETS);
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

void wd_udp_sessions_init(struct wd_udp_sessions *u, size_t max, struct wd_enrich *en,
			  wd_emit_fn emit, void *emit_ctx)
{
	*u = (struct wd_udp_sessions){ .enrich = en, .emit = emit, .emit_ctx = emit_ctx };
	wd_udp_init(&u->table, max);
}

void wd_udp_sessions_free(struct wd_udp_sessions *u)
{
	wd_udp_free(&u->table);
	wd_buf_free(&u->common);
	wd_buf_free(&u->line);
}

/* Emit an event for s (first: only its newest destination). */
static void session_emit(struct wd_udp_sessions *u, struct wd_udp_session *s,
			 const char *error, bool first)
{
	struct wd_enrich *en = u->enrich;

	wd_buf_reset(&u->line);
	wd_udp_format(&u->line, s, wd_clock_ns(CLOCK_REALTIME), en->boot_to_real_ns,
		      ++en->seq, error, first, u->take, u->take_ctx);
	u->emit(u->emit_ctx, &u->line);
}

void wd_udp_on_dest(struct wd_udp_sessions *u, const struct wd_connect_event *e)
{
	struct wd_udp_session *s = wd_udp_find(&u->table, e->cookie);

	wd_buf_reset(&u->common);
	if (!s || !s->ndests)
		wd_format_udp_common(&u->common, e, u->enrich);
	if (s && s->ndests == 0) /* a new session on a known socket: new process part */
		wd_udp_remove(&u->table, s);
	s = wd_udp_add(&u->table, e->cookie, e->hdr.ts_ns,
		       u->common.p ? u->common.p : "", u->common.len, e->family,
		       e->daddr, e->dport);
	if (s && u->emit_first)
		session_emit(u, s, "", true);
}

void wd_udp_on_close(struct wd_udp_sessions *u, uint64_t cookie)
{
	struct wd_udp_session *s = wd_udp_find(&u->table, cookie);

	if (!s)
		return;
	if (s->ndests)
		session_emit(u, s, "", false);
	wd_udp_remove(&u->table, s);
}

void wd_udp_expire(struct wd_udp_sessions *u, uint64_t now_ns, bool all)
{
	const char *why = all ? "agent_stopping" : "session_max_duration_exceeded";

	if (!u->table.count)
		return;
	for (size_t i = 0; i < WD_UDP_BUCKETS; i++)
		for (struct wd_udp_session *s = u->table.bucket[i]; s; s = s->next)
			if (s->ndests && (all || now_ns - s->start_ns >= u->max_ns))
				session_emit(u, s, why, false);
}
