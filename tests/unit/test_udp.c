// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "config/config.h"
#include "agent/udp_session.h"

static int fake_take(void *ctx, const struct wd_udp_key *k, struct wd_udp_val *v)
{
	int *calls = ctx;

	(*calls)++;
	if (k->port == 53) {
		*v = (struct wd_udp_val){ .first_ns = 1000000000, .last_ns = 3500000000ull,
					  .count = 7 };
		return 0;
	}
	return -ENOENT;
}

Test(udp, session_renders_destinations_with_kernel_counters)
{
	struct wd_udp_table t;
	struct wd_udp_session *s;
	struct wd_buf b = { 0 };
	uint8_t a4[16] = { 0 }, a6[16] = { 0 };
	int calls = 0;

	inet_pton(AF_INET, "9.9.9.9", a4);
	inet_pton(AF_INET6, "2001:db8::1", a6);
	wd_udp_init(&t, 4);
	s = wd_udp_add(&t, 42, 5, "\"pid\":7", 7, AF_INET, a4, 53);
	cr_assert_not_null(s);
	cr_assert_eq(wd_udp_add(&t, 42, 6, "ignored", 7, AF_INET6, a6, 123), s);
	cr_assert_eq(t.count, 1);
	struct wd_udp_fmt f = { .seq = 9, .error = "", .first = true, .take = fake_take,
				.ctx = &calls };

	wd_udp_format(&b, s, &f);
	cr_assert_eq(calls, 0, "a first-datagram event takes no counters");
	cr_assert_str_eq(wd_buf_cstr(&b),
		"{\"timestamp\":\"1970-01-01T00:00:00.000000Z\",\"seq\":9,"
		"\"probe\":\"udp_session\",\"pid\":7,\"destinations\":[{\"daddr\":"
		"\"2001:db8::1\",\"port\":123,\"duration\":0.000,\"msg_count\":1}],"
		"\"error\":\"\",\"first_datagram\":true}");
	wd_buf_reset(&b);
	f.seq = 10;
	f.error = "session_max_duration_exceeded";
	f.first = false;
	wd_udp_format(&b, s, &f);
	cr_assert_eq(f.evicted, 1, "port 123 had no kernel counters");
	cr_assert_eq(calls, 2);
	cr_assert(strstr(wd_buf_cstr(&b), "{\"daddr\":\"9.9.9.9\",\"port\":53,"
					   "\"duration\":2.500,\"msg_count\":7},"
					   "{\"daddr\":\"2001:db8::1\",\"port\":123,"
					   "\"duration\":0.000,\"msg_count\":0}]"), "%s", b.p);
	cr_assert(strstr(b.p, "\"error\":\"session_max_duration_exceeded\""), "%s", b.p);
	cr_assert_eq(s->ndests, 0, "destinations are forgotten once reported");
	wd_udp_remove(&t, s);
	cr_assert_null(wd_udp_find(&t, 42));
	wd_buf_free(&b);
	wd_udp_free(&t);
}

Test(udp, table_is_bounded)
{
	struct wd_udp_table t;
	uint8_t a[16] = { 1 };

	wd_udp_init(&t, 3);
	for (uint64_t c = 1; c <= 5; c++)
		wd_udp_add(&t, c, 0, "x", 1, AF_INET, a, 1);
	cr_assert_eq(t.count, 3);
	cr_assert_eq(t.dropped, 2);
	wd_udp_free(&t);
}

Test(udp, config_keys)
{
	static const char yaml[] = "udp_session:\n  session_max_duration: 30\n"
				   "  emit_on_first_datagram: yes\n  includeports: [53]\n";
	struct wd_config cfg;
	char err[WD_ERR_LEN];

	wd_config_init(&cfg);
	cr_assert_eq(wd_config_parse(&cfg, "t.yaml", yaml, sizeof(yaml) - 1, err,
				     sizeof(err)), 0, "%s", err);
	cr_assert(cfg.udp_session.enabled && cfg.udp_session.emit_on_first_datagram);
	cr_assert_eq(cfg.udp_session.session_max_duration, 30);
	wd_config_free(&cfg);
	wd_config_init(&cfg);
	cr_assert_eq(wd_config_parse(&cfg, "t.yaml", "udp_session:\n  session_max_duration: 0\n",
				     39, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "t.yaml:2:25: session_max_duration must be 1 to 86400 seconds");
	wd_config_free(&cfg);
}

static int count_take(void *ctx, const struct wd_udp_key *k, struct wd_udp_val *v)
{
	int *calls = ctx;

	(*calls)++;
	*v = (struct wd_udp_val){ .first_ns = 1, .last_ns = 1, .count = k->port };
	return 0;
}

/* One socket, 500 destinations: records within max_bytes, the rest counted. */
Test(udp, destinations_are_bounded_and_counted)
{
	static const size_t limits[] = { 0, 8000, 2048, 1024 };
	struct wd_udp_table t;
	struct wd_udp_session *s;
	struct wd_buf b = { 0 };
	uint8_t a[16] = { 0 };

	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
		struct wd_udp_fmt f = { .error = "session_max_duration_exceeded",
					.max_bytes = limits[l], .take = count_take };
		int calls = 0;
		const char *p;
		size_t shown = 0;

		f.ctx = &calls;
		wd_udp_init(&t, 4);
		for (int i = 0; i < 1500; i++) {
			inet_pton(AF_INET6, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", a);
			a[15] = (uint8_t)i;
			a[14] = (uint8_t)(i >> 8);
			s = wd_udp_add(&t, 1, 0, "\"pid\":1", 7, AF_INET6, a,
				       (uint16_t)(10000 + i % 500));
		}
		cr_assert_eq(s->ndests, WD_UDP_DESTS_MAX);
		cr_assert_eq(s->untracked, 1500 - WD_UDP_DESTS_MAX);
		wd_buf_reset(&b);
		wd_udp_format(&b, s, &f);
		cr_assert_eq(calls, WD_UDP_DESTS_MAX, "every kept destination is taken");
		for (p = wd_buf_cstr(&b); (p = strstr(p, "\"daddr\"")); p++)
			shown++;
		cr_assert_leq(shown, WD_UDP_REPORT_MAX);
		cr_assert(shown > 0);
		if (limits[l])
			cr_assert_leq(b.len, limits[l], "%zu > %zu", b.len, limits[l]);
		else
			cr_assert_eq(shown, WD_UDP_REPORT_MAX);
		cr_assert_eq(f.truncated, 1500 - shown, "%zu %llu %zu", limits[l], (unsigned long long)f.truncated, shown);
		cr_assert(strstr(wd_buf_cstr(&b), "],\"destinations_truncated\":"),
			  "%s", b.p);
		cr_assert_eq(s->ndests, 0);
		cr_assert_eq(s->untracked, 0);
		wd_udp_free(&t);
	}
	wd_buf_free(&b);
}

Test(udp, a_destination_seen_again_is_kept_once)
{
	struct wd_udp_table t;
	uint8_t a[16] = { 9 };

	wd_udp_init(&t, 4);
	wd_udp_add(&t, 1, 0, "x", 1, AF_INET, a, 53);
	cr_assert_eq(wd_udp_add(&t, 1, 0, "x", 1, AF_INET, a, 53)->ndests, 1);
	wd_udp_free(&t);
}

struct sweep_log {
	int calls;
	uint64_t before;
};

static uint64_t fake_sweep(void *ctx, uint64_t before_ns)
{
	struct sweep_log *l = ctx;

	l->calls++;
	l->before = before_ns;
	return 3;
}

static void no_emit(void *ctx, struct wd_buf *line)
{
	int *n = ctx;

	(void)line;
	(*n)++;
}

#define SEC 1000000000ull

/*
 * A session whose release was lost expires and leaves the table; the sweep
 * runs every WD_UDP_SWEEP_EVERY_NS for entries older than max + slack.
 */
Test(udp, expiry_empties_the_table_and_sweeps)
{
	struct wd_enrich en = { .max_bytes = 8000 };
	struct wd_udp_sessions u;
	struct sweep_log log = { 0 };
	uint8_t a[16] = { 1 };
	int emitted = 0, calls = 0;

	wd_udp_sessions_init(&u, 8, &en, no_emit, &emitted);
	u.max_ns = 120 * SEC;
	u.take = fake_take;
	u.take_ctx = &calls;
	u.sweep = fake_sweep;
	u.sweep_ctx = &log;
	wd_udp_add(&u.table, 5, 1000 * SEC, "\"pid\":1", 7, AF_INET, a, 53);
	wd_udp_add(&u.table, 6, 1100 * SEC, "\"pid\":2", 7, AF_INET, a, 53);
	wd_udp_expire(&u, 1119 * SEC, false);
	cr_assert_eq(u.table.count, 2);
	cr_assert_eq(log.calls, 1);
	cr_assert_eq(log.before, 1119 * SEC - 120 * SEC - WD_UDP_SWEEP_SLACK_NS);
	cr_assert_eq(u.swept, 3);
	wd_udp_expire(&u, 1120 * SEC, false);
	cr_assert_eq(emitted, 1);
	cr_assert_eq(u.table.count, 1, "an expired session leaves the table");
	cr_assert_null(wd_udp_find(&u.table, 5));
	cr_assert_eq(log.calls, 1, "not before WD_UDP_SWEEP_EVERY_NS");
	wd_udp_expire(&u, 1220 * SEC, false);
	cr_assert_eq(log.calls, 2);
	cr_assert_eq(u.table.count, 0);
	cr_assert_eq(emitted, 2);
	wd_udp_sessions_free(&u);
}
