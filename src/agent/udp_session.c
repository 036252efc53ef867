// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "output/format.h"
#include "agent/udp_session.h"
#include "dns/dns.h"
#include "util/clock.h"
#include "util/hash.h"

void wd_udp_init(struct wd_udp_table *t, size_t max)
{
	*t = (struct wd_udp_table){ .max = max };
}

/* The destinations' names (their JSON members) go with them. */
static void dests_clear(struct wd_udp_session *s)
{
	for (size_t i = 0; i < s->ndests; i++)
		free(s->dests[i].extra);
	s->ndests = 0;
}

static void session_free(struct wd_udp_session *s)
{
	dests_clear(s);
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

/* A new session for cookie (no destination yet), or NULL (counted). */
static struct wd_udp_session *session_new(struct wd_udp_table *t, uint64_t cookie,
					  uint64_t ts_ns, const char *common, size_t len)
{
	struct wd_udp_session *s;

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
	s->start_ns = ts_ns;
	s->next = t->bucket[bucket_of(cookie)];
	t->bucket[bucket_of(cookie)] = s;
	t->count++;
	return s;
}

static bool has_dest(const struct wd_udp_session *s, int family, const uint8_t *addr,
		     uint16_t port)
{
	for (size_t i = 0; i < s->ndests; i++)
		if (s->dests[i].port == port && s->dests[i].family == family &&
		    !memcmp(s->dests[i].addr, addr, sizeof(s->dests[i].addr)))
			return true;
	return false;
}

struct wd_udp_session *wd_udp_add(struct wd_udp_table *t, uint64_t cookie,
				  uint64_t ts_ns, const char *common, size_t len,
				  int family, const uint8_t *addr, uint16_t port)
{
	struct wd_udp_session *s = wd_udp_find(t, cookie);
	struct wd_udp_dest *d;

	if (!s && !(s = session_new(t, cookie, ts_ns, common, len)))
		return NULL;
	/* (again: the kernel forgot it, LRU, and saw it anew) */
	if (has_dest(s, family, addr, port))
		return s;
	if (s->ndests >= WD_UDP_DESTS_MAX) {
		s->untracked++;
		return s;
	}
	if (s->ndests == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;

		d = realloc(s->dests, cap * sizeof(*d));
		if (!d) {
			s->untracked++;
			return s;
		}
		s->dests = d;
		s->cap = cap;
	}
	if (!s->ndests && !s->untracked)
		s->start_ns = ts_ns;
	d = &s->dests[s->ndests++];
	d->family = (uint16_t)family;
	d->port = port;
	memcpy(d->addr, addr, sizeof(d->addr));
	d->extra = NULL;
	d->extra_len = 0;
	return s;
}

/* (,){dest}: d with its counters, taken from the kernel unless first. */
static void put_dest(struct wd_buf *b, const struct wd_udp_session *s,
		     const struct wd_udp_dest *d, struct wd_udp_fmt *f, bool comma)
{
	struct wd_udp_key k = { .cookie = s->cookie, .port = d->port,
				.family = d->family };
	struct wd_udp_val v = { .count = 1 };

	memcpy(k.addr, d->addr, sizeof(k.addr));
	if (!f->first && f->take(f->ctx, &k, &v)) {
		v = (struct wd_udp_val){ 0 };
		f->evicted++;
	}
	if (comma)
		wd_buf_putc(b, ',');
	wd_format_udp_dest(b, d->family, d->addr, d->port,
			   (double)(v.last_ns - v.first_ns) / 1e9, v.count);
	if (d->extra && !b->oom) { /* inside the destination's object */
		b->len--;
		wd_buf_put(b, d->extra, d->extra_len);
		wd_buf_putc(b, '}');
	}
}

void wd_udp_format(struct wd_buf *b, struct wd_udp_session *s, struct wd_udp_fmt *f)
{
	size_t start = b->len, from = f->first && s->ndests ? s->ndests - 1 : 0;
	size_t shown = 0, mark;
	uint64_t left = f->first ? 0 : s->untracked;

	wd_buf_puts(b, "{\"timestamp\":");
	wd_format_time(b, f->real_ns);
	wd_json_u64(b, "seq", f->seq);
	wd_buf_puts(b, ",\"probe\":\"udp_session\",");
	wd_buf_put(b, s->common, s->common_len);
	wd_buf_puts(b, ",\"destinations\":[");
	for (size_t i = from; i < s->ndests; i++) {
		mark = b->len;
		put_dest(b, s, &s->dests[i], f, shown > 0);
		if (shown < WD_UDP_REPORT_MAX &&
		    (!f->max_bytes || b->len - start + WD_UDP_TAIL_BYTES <= f->max_bytes)) {
			shown++;
		} else { /* (taken all the same: the kernel forgets it) */
			b->len = mark;
			left++;
		}
	}
	wd_buf_putc(b, ']');
	if (left)
		wd_json_u64(b, "destinations_truncated", left);
	f->truncated += left;
	wd_buf_puts(b, ",\"error\":");
	wd_json_str(b, f->error, strlen(f->error));
	if (f->first) {
		wd_buf_puts(b, ",\"first_datagram\":true");
	} else {
		wd_buf_puts(b, ",\"session_start\":");
		wd_format_time(b, (int64_t)s->start_ns + f->boot_to_real_ns);
		dests_clear(s); /* the kernel forgot them too: a new session follows */
		s->untracked = 0;
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
	struct wd_udp_fmt f = {
		.real_ns = wd_clock_ns(CLOCK_REALTIME),
		.boot_to_real_ns = en->boot_to_real_ns, .seq = ++en->seq,
		.error = error, .first = first, .max_bytes = en->max_bytes,
		.take = u->take, .ctx = u->take_ctx,
	};

	wd_buf_reset(&u->line);
	wd_udp_format(&u->line, s, &f);
	u->evicted += f.evicted;
	u->truncated += f.truncated;
	u->emit(u->emit_ctx, &u->line);
}

/* The budget of a session's process part: room for the rest of a record. */
static size_t common_budget(const struct wd_enrich *en)
{
	if (!en->max_bytes)
		return 0;
	return en->max_bytes > 2 * WD_UDP_RESERVE_BYTES ?
		en->max_bytes - WD_UDP_RESERVE_BYTES : en->max_bytes / 2;
}

/*
 * What a new destination carries besides its address: the name behind it,
 * if the DNS cache knows it, and the tag rules it matched (kept as JSON).
 */
static void dest_extra(struct wd_udp_sessions *u, struct wd_udp_dest *d,
		       const struct wd_connect_event *e)
{
	wd_buf_reset(&u->line);
	wd_dns_put_dest_name(&u->line, u->enrich->dns, e);
	wd_format_rule_tags(&u->line, u->enrich);
	if (!u->line.len || u->line.oom || !(d->extra = malloc(u->line.len)))
		return;
	memcpy(d->extra, u->line.p, u->line.len);
	d->extra_len = u->line.len;
}

void wd_udp_on_dest(struct wd_udp_sessions *u, const struct wd_connect_event *e)
{
	struct wd_udp_session *s = wd_udp_find(&u->table, e->cookie);
	size_t before;

	wd_buf_reset(&u->common);
	if (s && s->ndests == 0 && !s->untracked) { /* a new session: new process part */
		wd_udp_remove(&u->table, s);
		s = NULL;
	}
	if (!s)
		wd_format_udp_common(&u->common, e, u->enrich, common_budget(u->enrich));
	before = s ? s->ndests : 0;
	s = wd_udp_add(&u->table, e->cookie, e->hdr.ts_ns,
		       u->common.p ? u->common.p : "", u->common.len, e->family,
		       e->daddr, e->dport);
	if (s && s->ndests > before)
		dest_extra(u, &s->dests[s->ndests - 1], e);
	if (s && s->ndests > before && u->emit_first)
		session_emit(u, s, "", true);
}

void wd_udp_on_close(struct wd_udp_sessions *u, uint64_t cookie)
{
	struct wd_udp_session *s = wd_udp_find(&u->table, cookie);

	if (!s)
		return;
	if (s->ndests || s->untracked)
		session_emit(u, s, "", false);
	wd_udp_remove(&u->table, s);
}

/* Every WD_UDP_SWEEP_EVERY_NS: the kernel's destinations no session took. */
static void sweep(struct wd_udp_sessions *u, uint64_t now_ns)
{
	uint64_t age = u->max_ns + WD_UDP_SWEEP_SLACK_NS;

	if (!u->sweep || now_ns < u->next_sweep_ns)
		return;
	u->next_sweep_ns = now_ns + WD_UDP_SWEEP_EVERY_NS;
	if (now_ns > age)
		u->swept += u->sweep(u->sweep_ctx, now_ns - age);
}

void wd_udp_expire(struct wd_udp_sessions *u, uint64_t now_ns, bool all)
{
	const char *why = all ? "agent_stopping" : "session_max_duration_exceeded";
	struct wd_udp_table *t = &u->table;

	for (size_t i = 0; t->count && i < WD_UDP_BUCKETS; i++) {
		struct wd_udp_session **pp = &t->bucket[i], *s;

		while ((s = *pp)) {
			if (!all && (s->start_ns > now_ns || now_ns - s->start_ns < u->max_ns)) {
				pp = &s->next;
				continue;
			}
			if (s->ndests || s->untracked)
				session_emit(u, s, why, false);
			*pp = s->next;
			t->count--;
			session_free(s);
		}
	}
	if (!all)
		sweep(u, now_ns);
}
