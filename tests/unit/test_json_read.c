// SPDX-License-Identifier: GPL-2.0-only
/*
 * The strict JSON reader (util/json_read.c). Suite json_read: the tests of
 * the two readers it replaces (rules/jsonread.c: an_event, strict, bounded;
 * container/jsonr.c: accepts_json, refuses_what_is_not_json,
 * bounds_depth_and_tokens, gets_keys_and_unescapes), against the one reader.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_read.h"

static struct wd_jr d;

static int parse(const char *s)
{
	wd_jr_free(&d);
	return wd_jr_parse(&d, s, strlen(s), 1000, 0);
}

static void fini(void)
{
	wd_jr_free(&d);
}

TestSuite(json_read, .fini = fini);

Test(json_read, an_event)
{
	int c, l, t;
	double v;

	cr_assert_eq(parse(" {\"probe\":\"tcp_connect\",\"port\":8140,\"ok\":true,"
			   "\"container\":{\"labels\":{\"k\":\"v\\u00e9\\ud83d\\ude00\"}},"
			   "\"t\":[1,-2.5e3,null,false]}\n"), 0, "%s", d.err);
	cr_assert_str_eq(wd_jr_str(&d, wd_jr_get(&d, 0, "probe")), "tcp_connect");
	cr_assert(wd_jr_num(&d, wd_jr_get(&d, 0, "port"), &v));
	cr_assert_eq(v, 8140);
	cr_assert_eq(wd_jr_type(&d, wd_jr_get(&d, 0, "ok")), WD_JR_TRUE);
	c = wd_jr_get(&d, 0, "container");
	l = wd_jr_get(&d, c, "labels");
	cr_assert_str_eq(wd_jr_str(&d, wd_jr_get(&d, l, "k")), "v\xc3\xa9\xf0\x9f\x98\x80");
	cr_assert_eq(wd_jr_get(&d, 0, "nothere"), -1);
	t = wd_jr_get(&d, 0, "t");
	cr_assert_geq(wd_jr_next(&d, t, wd_jr_first(&d, t)), 0);
	cr_assert(wd_jr_num(&d, wd_jr_next(&d, t, wd_jr_first(&d, t)), &v));
	cr_assert_eq(v, -2500);
	cr_assert_not(wd_jr_num(&d, wd_jr_get(&d, 0, "probe"), &v));
}

Test(json_read, iterates_members_and_items)
{
	const char *keys[3] = { 0 };
	int o, n = 0, i;

	cr_assert_eq(parse("{\"o\":{\"a\":[1,{\"x\":2}],\"b\":{},\"c\":\"s\"},\"z\":[]}"), 0);
	o = wd_jr_get(&d, 0, "o");
	for (i = wd_jr_first(&d, o); i >= 0; i = wd_jr_next(&d, o, i))
		keys[n++] = wd_jr_str(&d, i);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(keys[0], "a");
	cr_assert_str_eq(keys[1], "b");
	cr_assert_str_eq(keys[2], "c");
	cr_assert_eq(wd_jr_first(&d, wd_jr_get(&d, 0, "z")), -1);
	cr_assert_eq(wd_jr_first(&d, wd_jr_get(&d, o, "c")), -1); /* not a container */
	i = wd_jr_get(&d, o, "a");
	cr_assert_eq(wd_jr_next(&d, i, wd_jr_next(&d, i, wd_jr_first(&d, i))), -1);
}

static void bad(const char *s, const char *want)
{
	cr_assert_neq(parse(s), 0, "accepted %s", s);
	cr_assert(strstr(d.err, want), "'%s': error '%s' lacks '%s'", s, d.err, want);
}

Test(json_read, strict)
{
	bad("{\"a\":1,}", "byte 8: expected a member name");
	bad("[1,]", "byte 4: unexpected character");
	bad("[01]", "expected ',' or ']'");
	bad("{\"a\":1} x", "byte 9: more after the value");
	bad("\"a\tb\"", "byte 3: control byte in a string");
	bad("\"\\x\"", "bad escape");
	bad("\"\\ud800\"", "lone high surrogate");
	bad("\"\\udc00\"", "lone low surrogate");
	bad("\"\\ud800\\u0041\"", "bad surrogate pair");
	bad("\"\\u12zz\"", "bad hex digit in \\u escape");
	bad("\"\\u1", "short \\u escape");
	bad("\"\xc0\xaf\"", "invalid UTF-8");
	bad("\"\xed\xa0\x80\"", "invalid UTF-8");
	bad("1.", "no digit after '.'");
	bad("1e+", "no exponent digits");
	bad("-x", "bad number");
	bad("tru", "unexpected character");
	bad("", "byte 1: expected a value");
	bad("{\"a\" 1}", "expected ':'");
	bad("[\"x", "unterminated string");
	bad("[1", "unterminated array");
	bad("{\"a\":1", "unterminated object");
}

Test(json_read, bounded)
{
	char deep[200];

	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	cr_assert_eq(parse(deep), -E2BIG);
	cr_assert(strstr(d.err, "nested deeper than 64"), "%s", d.err);
	memset(deep, '[', 64);
	memset(deep + 64, ']', 64);
	wd_jr_free(&d);
	cr_assert_eq(wd_jr_parse(&d, deep, 128, 1000, 0), 0, "%s", d.err); /* 64 levels */
}

Test(json_read, accepts_json)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-0.5e+3", "\"\"", "true", " null ", "[1,[2,[3]],{\"a\":{}}]",
		"\"\\u00e9\\ud83d\\ude00\\n\\\"\"", "{\"k\":\"\xc3\xa9\"}",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(parse(good[i]), 0, "%s: %s", good[i], d.err);
}

Test(json_read, refuses_what_is_not_json)
{
	static const char *const bad[] = {
		"", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", "-", ".5", "1e", "tru",
		"\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\nb\"", "\"\xff\"", "\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"", "[1] 2", "{\"a\" 1}", "'a'", "[1 2]", "\"abc",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i]), -EINVAL, "%s", bad[i]);
		cr_assert(!strncmp(d.err, "byte ", 5), "%s: '%s'", bad[i], d.err);
	}
}

Test(json_read, bounds_depth_and_tokens)
{
	char deep[200];

	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	wd_jr_free(&d);
	cr_assert_eq(wd_jr_parse(&d, deep, 200, 1000, 0), -E2BIG);
	wd_jr_free(&d);
	cr_assert_eq(wd_jr_parse(&d, "[1,2,3,4]", 9, 3, 0), -E2BIG);
	cr_assert_str_eq(d.err, "byte 6: more than 3 tokens");
}

Test(json_read, gets_keys_and_unescapes)
{
	static const char *const path[] = { "Config", "Labels", "team", NULL };
	const char *s = "{\"Name\":\"/web\",\"Config\":{\"Image\":\"x\",\"Labels\":"
			"{\"team\":\"bl\\u0075e\",\"n\":1}},\"Z\":[1,{\"Config\":0}]}";
	char *v;

	cr_assert_eq(parse(s), 0);
	v = wd_jr_strdup(&d, wd_jr_path(&d, 0, path));
	cr_assert_str_eq(v, "blue");
	free(v);
	cr_assert(wd_jr_streq(&d, wd_jr_get(&d, 0, "Name"), "/web"));
	cr_assert_not(wd_jr_streq(&d, wd_jr_get(&d, 0, "Name"), "/we"));
	cr_assert_eq(wd_jr_get(&d, 0, "missing"), -1);
	cr_assert_null(wd_jr_strdup(&d, wd_jr_get(&d, wd_jr_get(&d, wd_jr_get(&d, 0, "Config"),
							    "Labels"), "n")));
	cr_assert_eq(parse("\"a\\u0000b\""), 0);
	cr_assert_null(wd_jr_strdup(&d, 0)); /* a NUL cannot be a C string */
	cr_assert_null(wd_jr_str(&d, 0));
	cr_assert_not(wd_jr_streq(&d, 0, "a"));
	cr_assert_eq(parse("{\"k\\u0000x\":1,\"k\":2}"), 0);
	cr_assert_eq(wd_jr_get(&d, 0, "k"), 4); /* not the key with a NUL */
	wd_jr_free(&d);
	cr_assert_eq(wd_jr_parse(&d, "{\"a\":1}trailing", 15, 100, WD_JR_PREFIX), 0);
	cr_assert_eq(d.end, 7);
}
