// SPDX-License-Identifier: GPL-2.0-only
/* The strict JSON reader of --test-rules (rules/jsonread.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "rules/jsonread.h"

static struct wd_jr_doc d;
static char err[128];

static int parse(const char *s)
{
	wd_jr_free(&d);
	err[0] = '\0';
	return wd_jr_parse(&d, s, strlen(s), err, sizeof(err));
}

static void fini(void)
{
	wd_jr_free(&d);
}

TestSuite(jsonread, .fini = fini);

Test(jsonread, an_event)
{
	const struct wd_jr_node *c, *l;

	cr_assert_eq(parse(" {\"probe\":\"tcp_connect\",\"port\":8140,\"ok\":true,"
			   "\"container\":{\"labels\":{\"k\":\"v\\u00e9\\ud83d\\ude00\"}},"
			   "\"t\":[1,-2.5e3,null,false]}\n"), 0, "%s", err);
	cr_assert_str_eq(wd_jr_str(&d, &d.v[0], "probe"), "tcp_connect");
	cr_assert_eq(wd_jr_get(&d, &d.v[0], "port")->num, 8140);
	cr_assert_eq(wd_jr_get(&d, &d.v[0], "ok")->type, WD_JR_TRUE);
	c = wd_jr_get(&d, &d.v[0], "container");
	l = wd_jr_get(&d, c, "labels");
	cr_assert_str_eq(wd_jr_str(&d, l, "k"), "v\xc3\xa9\xf0\x9f\x98\x80");
	cr_assert_null(wd_jr_get(&d, &d.v[0], "nothere"));
	cr_assert_eq(d.v[wd_jr_get(&d, &d.v[0], "t")->child].next >= 0, 1);
}

static void bad(const char *s, const char *want)
{
	cr_assert_neq(parse(s), 0, "accepted %s", s);
	cr_assert(strstr(err, want), "'%s': error '%s' lacks '%s'", s, err, want);
}

Test(jsonread, strict)
{
	bad("{\"a\":1,}", "byte 8: expected a member name");
	bad("[1,]", "unexpected character");
	bad("[01]", "expected ',' or ']'");
	bad("{\"a\":1} x", "more after the value");
	bad("\"a\tb\"", "control byte in a string");
	bad("\"\\x\"", "bad escape");
	bad("\"\\ud800\"", "lone high surrogate");
	bad("\"\\udc00\"", "lone low surrogate");
	bad("\"\xc0\xaf\"", "invalid UTF-8");
	bad("\"\xed\xa0\x80\"", "invalid UTF-8");
	bad("1.", "no digit after '.'");
	bad("tru", "unexpected character");
	bad("", "expected a value");
	bad("{\"a\" 1}", "expected ':'");
	bad("[\"x", "unterminated string");
}

Test(jsonread, bounded)
{
	char deep[200];

	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	cr_assert_eq(parse(deep), -E2BIG);
	cr_assert(strstr(err, "nested deeper than 64"), "%s", err);
}
