// SPDX-License-Identifier: GPL-2.0-only
/*
 * DNS answers: the strict parser against handcrafted hostile packets, the
 * per-netns cache (TTL clamp, bounds, most recent wins, v4-mapped), and
 * dest_name/dest_name_by through the real dispatch.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/dispatch.h"
#include "dns/cache.h"
#include "dns/parse.h"
#include "fakeproc.h"
#include "util/file.h"
#include "testutil.h"

/* A message under construction. */
struct msg {
	uint8_t b[2048];
	size_t n;
};

static void u8(struct msg *m, uint8_t v)
{
	m->b[m->n++] = v;
}

static void u16(struct msg *m, uint16_t v)
{
	u8(m, (uint8_t)(v >> 8));
	u8(m, (uint8_t)v);
}

static void u32(struct msg *m, uint32_t v)
{
	u16(m, (uint16_t)(v >> 16));
	u16(m, (uint16_t)v);
}

/* A dotted name, uncompressed. */
static void name(struct msg *m, const char *s)
{
	while (*s) {
		size_t l = strcspn(s, ".");

		u8(m, (uint8_t)l);
		memcpy(m->b + m->n, s, l);
		m->n += l;
		s += l;
		if (*s == '.')
			s++;
	}
	u8(m, 0);
}

static void header(struct msg *m, uint16_t flags, uint16_t qd, uint16_t an)
{
	m->n = 0;
	u16(m, 0x1234);
	u16(m, flags);
	u16(m, qd);
	u16(m, an);
	u16(m, 0);
	u16(m, 0);
}

static void question(struct msg *m, const char *q, uint16_t type)
{
	name(m, q);
	u16(m, type);
	u16(m, 1);
}

/* An answer record's fixed part after its owner; rdlen given. */
static void rr_fixed(struct msg *m, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
	u16(m, type);
	u16(m, 1);
	u32(m, ttl);
	u16(m, rdlen);
}

static void ptr(struct msg *m, uint16_t off)
{
	u16(m, (uint16_t)(0xc000 | off));
}

static int parse(struct msg *m, struct wd_dns_answer *a)
{
	return wd_dns_parse(m->b, m->n, m->n, a);
}

static struct wd_dns_answer ans;

/* svc.example. CNAME edge.example. CNAME cdn.example. A 192.0.2.7 */
static void chain_answer(struct msg *m)
{
	size_t edge;

	header(m, 0x8180, 1, 3);
	question(m, "Svc.EXAMPLE", 1);
	ptr(m, 12);
	rr_fixed(m, 5, 300, 14);
	edge = m->n;
	name(m, "edge.example");
	ptr(m, (uint16_t)edge);
	rr_fixed(m, 5, 60, 6);
	u8(m, 3);
	memcpy(m->b + m->n, "cdn", 3);
	m->n += 3;
	ptr(m, (uint16_t)(edge + 5)); /* "example" of edge.example */
	ptr(m, (uint16_t)(m->n - 6));
	rr_fixed(m, 1, 120, 4);
	u32(m, 0xc0000207);
}

Test(dns_parse, cname_chain_with_compression)
{
	struct msg m;

	chain_answer(&m);
	cr_assert_eq(parse(&m, &ans), 0);
	cr_assert_str_eq(ans.qname, "svc.example");
	cr_assert_eq(ans.nchain, 2);
	cr_assert_str_eq(ans.chain[0], "edge.example");
	cr_assert_str_eq(ans.chain[1], "cdn.example");
	cr_assert_eq(ans.naddrs, 1);
	cr_assert_eq(ans.addrs[0].family, AF_INET);
	cr_assert_eq(memcmp(ans.addrs[0].addr, "\xc0\x00\x02\x07", 4), 0);
	cr_assert_eq(ans.addrs[0].ttl, 60, "the smallest TTL on the chain");
	cr_assert_not(ans.cut);
}

Test(dns_parse, aaaa_and_records_off_the_chain)
{
	struct msg m;

	header(&m, 0x8180, 1, 2);
	question(&m, "six.example", 28);
	name(&m, "other.example"); /* not on the chain: skipped */
	rr_fixed(&m, 28, 30, 16);
	memset(m.b + m.n, 0xaa, 16);
	m.n += 16;
	ptr(&m, 12);
	rr_fixed(&m, 28, 30, 16);
	memset(m.b + m.n, 0, 16);
	m.b[m.n + 15] = 1;
	m.n += 16;
	cr_assert_eq(parse(&m, &ans), 0);
	cr_assert_eq(ans.naddrs, 1);
	cr_assert_eq(ans.addrs[0].family, AF_INET6);
	cr_assert_eq(ans.addrs[0].addr[15], 1);
}

Test(dns_parse, compression_loops_and_forward_pointers)
{
	struct msg m;

	header(&m, 0x8180, 1, 1);
	question(&m, "a.example", 1);
	ptr(&m, (uint16_t)m.n); /* points at itself */
	rr_fixed(&m, 1, 30, 4);
	u32(&m, 1);
	cr_assert_eq(parse(&m, &ans), -EBADMSG);

	header(&m, 0x8180, 1, 1);
	question(&m, "a.example", 1);
	ptr(&m, (uint16_t)(m.n + 2)); /* forward */
	name(&m, "a.example");
	cr_assert_eq(parse(&m, &ans), -EBADMSG);

	/* two names pointing at each other: the second points forward */
	header(&m, 0x8180, 1, 0);
	u8(&m, 1);
	u8(&m, 'a');
	ptr(&m, 17);
	u8(&m, 1);
	u8(&m, 'b');
	ptr(&m, 12);
	cr_assert_eq(parse(&m, &ans), -EBADMSG);
}

Test(dns_parse, pointers_and_lengths_past_the_end)
{
	struct msg m;

	header(&m, 0x8180, 1, 1);
	question(&m, "a.example", 1);
	ptr(&m, 0x3fff);
	cr_assert_eq(parse(&m, &ans), -EBADMSG);

	header(&m, 0x8180, 1, 0);
	u8(&m, 40); /* a label longer than the message */
	u8(&m, 'x');
	cr_assert_eq(parse(&m, &ans), -EBADMSG);

	header(&m, 0x8180, 1, 1);
	question(&m, "a.example", 1);
	ptr(&m, 12);
	rr_fixed(&m, 1, 30, 400); /* rdata past the end */
	u32(&m, 1);
	cr_assert_eq(parse(&m, &ans), -EBADMSG);

	m.n = 5; /* shorter than a header */
	cr_assert_eq(parse(&m, &ans), -EBADMSG);
}

Test(dns_parse, wrong_counts)
{
	struct msg m;

	chain_answer(&m);
	m.b[7] = 4; /* ancount 4, three records */
	cr_assert_eq(parse(&m, &ans), -EBADMSG);
	chain_answer(&m);
	m.b[5] = 2; /* two questions */
	cr_assert_eq(parse(&m, &ans), -EBADMSG);
	chain_answer(&m);
	m.b[5] = 0; /* none: nothing to name */
	cr_assert_eq(parse(&m, &ans), -ENOMSG);
}

Test(dns_parse, truncated_records)
{
	struct msg m;
	size_t full;

	chain_answer(&m);
	full = m.n;
	for (size_t cut = 12; cut < full; cut++)
		cr_assert_eq(wd_dns_parse(m.b, cut, cut, &ans), -EBADMSG, "at %zu", cut);
	/* cut by the capture (the wire had more): the records before the cut stand */
	for (size_t cut = 12 + 17; cut < full; cut++) /* (past the question) */
		cr_assert_eq(wd_dns_parse(m.b, cut, full, &ans), 0, "at %zu", cut);
	cr_assert_eq(wd_dns_parse(m.b, full - 3, full, &ans), 0);
	cr_assert(ans.cut);
	cr_assert_eq(ans.nchain, 2);
	cr_assert_eq(ans.naddrs, 0);
	/* TC set: the same */
	m.b[2] |= 0x02;
	cr_assert_eq(wd_dns_parse(m.b, full - 3, full - 3, &ans), 0);
	cr_assert(ans.cut);
}

Test(dns_parse, name_length_limits)
{
	struct msg m;

	/* 127 one-byte labels: 255 bytes on the wire, the most there is */
	header(&m, 0x8180, 1, 0);
	for (int i = 0; i < 127; i++) {
		u8(&m, 1);
		u8(&m, 'a');
	}
	u8(&m, 0);
	u16(&m, 1);
	u16(&m, 1);
	cr_assert_eq(parse(&m, &ans), 0);
	cr_assert_eq(strlen(ans.qname), 253);
	/* 255 labels */
	header(&m, 0x8180, 1, 0);
	for (int i = 0; i < 255; i++) {
		u8(&m, 1);
		u8(&m, 'a');
	}
	u8(&m, 0);
	u16(&m, 1);
	u16(&m, 1);
	cr_assert_eq(parse(&m, &ans), -EBADMSG);
	/* a label of 64 (0x40: an extended label type) */
	header(&m, 0x8180, 1, 0);
	u8(&m, 64);
	memset(m.b + m.n, 'a', 64);
	m.n += 64;
	u8(&m, 0);
	u16(&m, 1);
	u16(&m, 1);
	cr_assert_eq(parse(&m, &ans), -EBADMSG);
	/* a long name built from many pointers: each hop checked, bounded */
	header(&m, 0x8180, 1, 0);
	question(&m, "x", 1);
	cr_assert_eq(parse(&m, &ans), 0);
}

Test(dns_parse, bytes_in_labels_are_escaped)
{
	struct msg m;

	header(&m, 0x8180, 1, 0);
	u8(&m, 6);
	memcpy(m.b + m.n, "a.\"\\\n\xff", 6);
	m.n += 6;
	u8(&m, 0);
	u16(&m, 1);
	u16(&m, 1);
	cr_assert_eq(parse(&m, &ans), 0);
	cr_assert_str_eq(ans.qname, "a\\046\"\\092\\010\\255");
}

Test(dns_parse, messages_of_no_interest)
{
	struct msg m;

	header(&m, 0x0100, 1, 0); /* a query */
	question(&m, "a.example", 1);
	cr_assert_eq(parse(&m, &ans), -ENOMSG);
	header(&m, 0x8180, 1, 0);
	question(&m, "a.example", 15); /* MX */
	cr_assert_eq(parse(&m, &ans), -ENOMSG);
	header(&m, 0x8183, 1, 0); /* NXDOMAIN: fine, no address */
	question(&m, "a.example", 1);
	cr_assert_eq(parse(&m, &ans), 0);
	cr_assert_eq(ans.naddrs, 0);
	header(&m, 0x8180, 1, 1);
	question(&m, "a.example", 1);
	ptr(&m, 12);
	rr_fixed(&m, 1, 30, 5); /* an A record of 5 bytes */
	m.n += 5;
	cr_assert_eq(parse(&m, &ans), -EBADMSG);
}

Test(dns_parse, cname_loop_is_bounded)
{
	struct msg m;
	size_t a, b;

	/* a CNAME b, b CNAME a, ... repeated: the chain stops at its maximum */
	header(&m, 0x8180, 1, 12);
	question(&m, "a.x", 1);
	a = 12;
	b = 0;
	for (int i = 0; i < 12; i++) {
		ptr(&m, (uint16_t)(i % 2 ? b : a));
		rr_fixed(&m, 5, 30, i ? 2 : 5);
		if (!i) {
			b = m.n;
			name(&m, "b.x");
		} else {
			ptr(&m, (uint16_t)(i % 2 ? a : b));
		}
	}
	cr_assert_eq(parse(&m, &ans), -EBADMSG);
}

/* ---- the cache ---------------------------------------------------------- */

static void one_addr(struct wd_dns_answer *a, const char *q, int family, const char *addr,
		     uint32_t ttl)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->qname, sizeof(a->qname), "%s", q);
	a->naddrs = 1;
	a->addrs[0].family = family;
	a->addrs[0].ttl = ttl;
	inet_pton(family, addr, a->addrs[0].addr);
}

#define S 1000000000ull

Test(dns_cache, ttl_clamp_netns_and_mapped)
{
	struct wd_dns_cache c;
	uint8_t a[16] = { 0 }, m[16] = { 0 };

	cr_assert_eq(wd_dns_cache_init(&c, 16, 0), 0);
	one_addr(&ans, "a.example", AF_INET, "192.0.2.1", 0);
	wd_dns_cache_add(&c, 7, 100, 5, 10 * S, &ans);
	inet_pton(AF_INET, "192.0.2.1", a);
	inet_pton(AF_INET6, "::ffff:192.0.2.1", m);
	cr_assert_not_null(wd_dns_cache_find(&c, 7, AF_INET, a, 10 * S));
	cr_assert_null(wd_dns_cache_find(&c, 8, AF_INET, a, 10 * S), "other netns");
	cr_assert_not_null(wd_dns_cache_find(&c, 7, AF_INET6, m, 10 * S), "v4-mapped");
	/* TTL 0 lives WD_DNS_TTL_MIN seconds */
	cr_assert_not_null(wd_dns_cache_find(&c, 7, AF_INET, a, (10 + WD_DNS_TTL_MIN) * S - 1));
	cr_assert_null(wd_dns_cache_find(&c, 7, AF_INET, a, (10 + WD_DNS_TTL_MIN) * S));
	cr_assert_eq(c.count, 0, "expired: removed");
	one_addr(&ans, "a.example", AF_INET, "192.0.2.1", 604800);
	wd_dns_cache_add(&c, 7, 100, 5, 0, &ans);
	cr_assert_null(wd_dns_cache_find(&c, 7, AF_INET, a, WD_DNS_TTL_MAX * S));
	wd_dns_cache_free(&c);
}

Test(dns_cache, most_recent_wins_and_bounds)
{
	struct wd_dns_cache c;
	const struct wd_dns_entry *e;
	uint8_t a[16] = { 0 };
	char ip[32];

	cr_assert_eq(wd_dns_cache_init(&c, 4, 0), 0);
	one_addr(&ans, "first.example", AF_INET, "192.0.2.1", 60);
	wd_dns_cache_add(&c, 1, 10, 1, 0, &ans);
	snprintf(ans.qname, sizeof(ans.qname), "second.example");
	wd_dns_cache_add(&c, 1, 11, 2, S, &ans);
	inet_pton(AF_INET, "192.0.2.1", a);
	e = wd_dns_cache_find(&c, 1, AF_INET, a, 2 * S);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->name, "second.example");
	cr_assert_eq(e->pid, 11);
	cr_assert_eq(c.count, 1);
	for (int i = 2; i < 10; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i);
		one_addr(&ans, "n.example", AF_INET, ip, 60);
		wd_dns_cache_add(&c, 1, 10, 1, S, &ans);
	}
	cr_assert_eq(c.count, 4);
	cr_assert_eq(c.evicted, 5);
	cr_assert_null(wd_dns_cache_find(&c, 1, AF_INET, a, 2 * S), "oldest evicted");
	wd_dns_cache_free(&c);

	/* the byte bound */
	cr_assert_eq(wd_dns_cache_init(&c, 1000, 3 * (sizeof(struct wd_dns_entry) + sizeof("n.example"))), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i);
		one_addr(&ans, "n.example", AF_INET, ip, 60);
		wd_dns_cache_add(&c, 1, 10, 1, S, &ans);
		cr_assert_leq(c.bytes, c.max_bytes);
	}
	cr_assert_eq(c.count, 3);
	wd_dns_cache_free(&c);
}

Test(dns_cache, self_or_host)
{
	struct wd_dns_cache c;
	struct wd_connect_event e = { 0 };
	const struct wd_dns_entry *n;
	bool self;

	cr_assert_eq(wd_dns_cache_init(&c, 16, 0), 0);
	one_addr(&ans, "a.example", AF_INET, "192.0.2.1", 60);
	wd_dns_cache_add(&c, 7, 200, 2000, 0, &ans);
	e.hdr.ts_ns = S;
	e.netns = 7;
	e.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", e.daddr);
	e.depth = 3;
	e.tree[0] = (struct wd_proc){ .pid = 300, .start_ns = 3000 };
	e.tree[1] = (struct wd_proc){ .pid = 200, .start_ns = 2000 }; /* the parent */
	e.tree[2] = (struct wd_proc){ .pid = 1, .start_ns = 1 };
	n = wd_dns_name_of(&c, &e, &self);
	cr_assert_not_null(n);
	cr_assert(self, "an ancestor received the answer");
	e.tree[1].start_ns = 2001; /* the same pid, another process */
	n = wd_dns_name_of(&c, &e, &self);
	cr_assert_not_null(n);
	cr_assert_not(self);
	wd_dns_cache_free(&c);
}

/* ---- through the dispatch ----------------------------------------------- */

static struct wd_config dcfg;
static struct wd_filter_maps dfilters;
static struct wd_dispatch d;
static char out_path[600];

static void dsetup(void)
{
	char yaml[1024], err[WD_ERR_LEN], why[256];

	fakeproc_setup();
	snprintf(out_path, sizeof(out_path), "%s/events.json", root);
	snprintf(yaml, sizeof(yaml), "agent: {output: \"file:%s\"}\ntcp_connect: {}\n"
		 "dns: {filters: [{network: 198.51.100.0/24}]}\n", out_path);
	wd_config_init(&dcfg);
	cr_assert_eq(wd_config_parse(&dcfg, "t.yaml", yaml, strlen(yaml), err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(wd_filter_compile(&dcfg, &dfilters, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(wd_dispatch_init(&d, &dcfg, &dfilters, root, "/nonexistent"), 0);
	cr_assert_eq(wd_sink_open(&d.sink), 0);
}

static void dteardown(void)
{
	wd_dispatch_free(&d);
	wd_filter_maps_free(&dfilters);
	wd_config_free(&dcfg);
	fakeproc_teardown();
}

static void dns_rec(struct wd_dns_event *ev, const struct msg *m)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr = (struct wd_event_hdr){ .type = WD_EV_DNS, .ts_ns = 4 * S,
					 .size = (uint32_t)(WD_DNS_EVENT_FIXED + m->n) };
	ev->pid = 300;
	ev->start_ns = 3 * S;
	ev->netns = 9;
	ev->family = AF_INET;
	ev->sport = 53;
	ev->len = (uint16_t)m->n;
	ev->wire_len = (uint32_t)m->n;
	inet_pton(AF_INET, "127.0.0.53", ev->saddr);
	memcpy(ev->data, m->b, m->n);
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static char *dns_output(void)
{
	return tu_output(&d, out_path);
}

Test(dns_dispatch, answer_names_the_connect, .init = dsetup, .fini = dteardown)
{
	static struct wd_dns_event ev;
	struct wd_connect_event c = { 0 };
	struct msg m;
	char *out;

	chain_answer(&m);
	dns_rec(&ev, &m);
	cr_assert_eq(wd_dispatch_record(&d, &ev, ev.hdr.size), 0);
	cr_assert_eq(d.dns.answers, 1);
	c.hdr = (struct wd_event_hdr){ .type = WD_EV_TCP_CONNECT, .ts_ns = 5 * S,
				       .size = WD_CONNECT_EVENT_FIXED + sizeof(struct wd_proc),
				       .variant = WD_VARIANT_TRACEPOINT };
	c.family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.7", c.daddr);
	c.dport = 443;
	c.netns = 9;
	c.tid = 300;
	c.depth = 1;
	c.tree[0] = (struct wd_proc){ .pid = 300, .ppid = 1, .start_ns = 3 * S };
	cr_assert_eq(wd_dispatch_record(&d, &c, c.hdr.size), 0);
	c.tree[0].pid = 301; /* another process of the netns */
	cr_assert_eq(wd_dispatch_record(&d, &c, c.hdr.size), 0);
	c.netns = 10; /* another netns */
	cr_assert_eq(wd_dispatch_record(&d, &c, c.hdr.size), 0);
	out = dns_output();
	cr_assert(strstr(out, "\"probe\":\"dns\""), "%s", out);
	cr_assert(strstr(out, "\"name\":\"svc.example\",\"type\":\"A\",\"addresses\":"
			      "[\"192.0.2.7\"],\"cname_chain\":[\"edge.example\","
			      "\"cdn.example\"],\"ttl\":60,\"server\":\"127.0.0.53\""), "%s", out);
	cr_assert(strstr(out, "\"dest_name\":\"svc.example\",\"dest_name_by\":\"self\""),
		  "%s", out);
	cr_assert(strstr(out, "\"dest_name\":\"svc.example\",\"dest_name_by\":\"host\""),
		  "%s", out);
	cr_assert_eq(count(out, "\"dest_name\""), 2, "the other netns has no name: %s", out);
	free(out);
}

Test(dns_dispatch, bad_answers_are_counted_filtered_ones_not_written,
     .init = dsetup, .fini = dteardown)
{
	static struct wd_dns_event ev;
	struct msg m;
	char *out;

	chain_answer(&m);
	m.b[7] = 9; /* wrong count */
	dns_rec(&ev, &m);
	cr_assert_eq(wd_dispatch_record(&d, &ev, ev.hdr.size), 0);
	cr_assert_eq(d.dns.malformed, 1);
	ev.len = WD_DNS_MAX + 1; /* a record that lies about its size */
	cr_assert_eq(wd_dispatch_record(&d, &ev, sizeof(ev)), 0);
	cr_assert_eq(d.malformed, 1);
	cr_assert_eq(wd_dispatch_record(&d, &ev, WD_DNS_EVENT_FIXED - 1), 0);
	cr_assert_eq(d.malformed, 2);
	one_addr(&ans, "x", AF_INET, "198.51.100.1", 60);
	header(&m, 0x8180, 1, 1);
	question(&m, "filtered.example", 1);
	ptr(&m, 12);
	rr_fixed(&m, 1, 30, 4);
	u32(&m, 0xc6336401); /* 198.51.100.1: the dns probe's filter drops it */
	dns_rec(&ev, &m);
	cr_assert_eq(wd_dispatch_record(&d, &ev, ev.hdr.size), 0);
	cr_assert_eq(d.dns.answers, 1, "cached all the same");
	out = dns_output();
	cr_assert_null(strstr(out, "filtered.example"), "%s", out);
	free(out);
}

/* ---- configuration ------------------------------------------------------ */

static int parse_cfg(struct wd_config *c, const char *yaml, char *err, size_t len)
{
	wd_config_init(c);
	return wd_config_parse(c, "t.yaml", yaml, strlen(yaml), err, len);
}

Test(dns_config, keys_and_what_they_turn_on)
{
	struct wd_config c;
	char err[WD_ERR_LEN];

	cr_assert_eq(parse_cfg(&c, "tcp_connect: {}\n", err, sizeof(err)), 0, "%s", err);
	cr_assert(c.dns_names && wd_config_dns_capture(&c) && !c.dns.enabled);
	wd_config_free(&c);
	cr_assert_eq(parse_cfg(&c, "agent: {dns_names: false}\ntcp_connect: {}\n", err,
			       sizeof(err)), 0, "%s", err);
	cr_assert_not(wd_config_dns_capture(&c));
	wd_config_free(&c);
	cr_assert_eq(parse_cfg(&c, "net_listen: {}\n", err, sizeof(err)), 0, "%s", err);
	cr_assert_not(wd_config_dns_capture(&c), "nothing to name");
	wd_config_free(&c);
	cr_assert_eq(parse_cfg(&c, "agent: {dns_names: false}\ndns:\n  filters:\n"
			       "    - {network: 10.0.0.0/8}\n", err, sizeof(err)), 0, "%s", err);
	cr_assert(c.dns.enabled && wd_config_dns_capture(&c) && !wd_config_dns_names(&c));
	cr_assert_eq(c.dns.nfilters, 1);
	wd_config_free(&c);
	cr_assert_eq(parse_cfg(&c, "dns:\n  includeports: [53]\n", err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:3: unknown key 'includeports' in dns");
	wd_config_free(&c);
	cr_assert_eq(parse_cfg(&c, "agent:\n  dns_names: 2\n", err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:14: dns_names must be true or false");
	wd_config_free(&c);
}

static void fork_rec(uint32_t pid, uint32_t ppid, uint64_t start, uint64_t pstart)
{
	struct wd_proc_event p = { 0 };

	p.hdr = (struct wd_event_hdr){ .type = WD_EV_FORK, .size = WD_PROC_EVENT_FIXED };
	p.pid = pid;
	p.ppid = ppid;
	p.start_ns = start;
	p.parent_start_ns = pstart;
	memcpy(p.comm, "sh", 2);
	cr_assert_eq(wd_dispatch_record(&d, &p, WD_PROC_EVENT_FIXED), 0);
}

/* The kernel sent only the caller and its parent: the table knows the rest. */
Test(dns_dispatch, self_through_an_ancestor_the_kernel_did_not_send,
     .init = dsetup, .fini = dteardown)
{
	static struct wd_dns_event ev;
	struct wd_connect_event c = { 0 };
	struct msg m;
	char *out;

	fork_rec(200, 1, 2 * S, 0);
	fork_rec(300, 200, 3 * S, 2 * S);
	fork_rec(400, 300, 4 * S, 3 * S);
	chain_answer(&m);
	dns_rec(&ev, &m);
	ev.pid = 200; /* the grandparent resolved */
	ev.start_ns = 2 * S;
	cr_assert_eq(wd_dispatch_record(&d, &ev, ev.hdr.size), 0);
	c.hdr = (struct wd_event_hdr){ .type = WD_EV_TCP_CONNECT, .ts_ns = 5 * S,
				       .size = WD_CONNECT_EVENT_FIXED + 2 * sizeof(struct wd_proc),
				       .variant = WD_VARIANT_TRACEPOINT };
	c.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", c.daddr);
	c.netns = 9;
	c.tid = 400;
	c.depth = 2;
	c.tree[0] = (struct wd_proc){ .pid = 400, .ppid = 300, .start_ns = 4 * S };
	c.tree[1] = (struct wd_proc){ .pid = 300, .ppid = 200, .start_ns = 3 * S };
	cr_assert_eq(wd_dispatch_record(&d, &c, c.hdr.size), 0);
	c.hdr.ts_ns = 6 * S;
	c.tree[1].start_ns = 3 * S + 1; /* another process 300: the chain breaks */
	c.tree[0].start_ns = 4 * S + 1;
	cr_assert_eq(wd_dispatch_record(&d, &c, c.hdr.size), 0);
	out = dns_output();
	cr_assert(strstr(out, "\"pid\":400,\"tid\":400"), "%s", out);
	cr_assert_eq(count(out, "\"dest_name_by\":\"self\""), 1, "%s", out);
	cr_assert_eq(count(out, "\"dest_name_by\":\"host\""), 1, "%s", out);
	free(out);
}
