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
	wd_udp_format(&b, s, 0, 0, 9, "", true, fake_take, &calls);
	cr_assert_eq(calls, 0, "a first-datagram event takes no counters");
	cr_assert_str_eq(wd_buf_cstr(&b),
		"{\"timestamp\":\"1970-01-01T00:00:00.000000Z\",\"seq\":9,"
		"\"probe\":\"udp_session\",\"pid\":7,\"destinations\":[{\"daddr\":"
		"\"2001:db8::1\",\"port\":123,\"duration\":0.000,\"msg_count\":1}],"
		"\"error\":\"\",\"first_datagram\":true}");
	wd_buf_reset(&b);
	wd_udp_format(&b, s, 0, 0, 10, "session_max_duration_exceeded", false, fake_take,
		      &calls);
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
