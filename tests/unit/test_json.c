// SPDX-License-Identifier: GPL-2.0-only
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "output/json.h"

static char *esc(const char *s, size_t len)
{
	static struct wd_buf b;

	wd_buf_reset(&b);
	wd_json_str(&b, s, len);
	return (char *)wd_buf_cstr(&b);
}

#define ESC(lit) esc(lit, sizeof(lit) - 1)

Test(json, plain_ascii_is_kept)
{
	cr_assert_str_eq(ESC("curl -s https://x"), "\"curl -s https://x\"");
}

Test(json, quotes_and_backslashes)
{
	cr_assert_str_eq(ESC("a\"b\\c"), "\"a\\\"b\\\\c\"");
}

Test(json, control_bytes_and_del)
{
	cr_assert_str_eq(ESC("a\nb\tc\rd\x01" "e\x1b" "f\x7f"),
			 "\"a\\nb\\tc\\rd\\u0001e\\u001bf\\u007f\"");
}

Test(json, embedded_nul_is_escaped)
{
	cr_assert_str_eq(esc("a\0b", 3), "\"a\\u0000b\"");
}

Test(json, valid_utf8_passes_through)
{
	cr_assert_str_eq(ESC("caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80"),
			 "\"caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80\"");
}

Test(json, invalid_utf8_becomes_replacement)
{
	/* lone continuation, invalid lead bytes, truncated sequence at end */
	cr_assert_str_eq(ESC("a\x80" "b\xff\xfe" "c\xe2\x98"),
			 "\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\"");
}

Test(json, overlong_and_surrogates_are_invalid)
{
	cr_assert_str_eq(ESC("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	cr_assert_str_eq(ESC("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"");
	cr_assert_str_eq(ESC("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	cr_assert_str_eq(ESC("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

Test(json, line_separators_are_escaped)
{
	cr_assert_str_eq(ESC("a\xe2\x80\xa8" "b\xe2\x80\xa9"), "\"a\\u2028b\\u2029\"");
}

Test(json, every_byte_yields_no_raw_control)
{
	char in[256];
	const char *out;

	for (int i = 0; i < 256; i++)
		in[i] = (char)i;
	out = esc(in, sizeof(in));
	for (const char *p = out; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 && *p != 0x7f,
			  "raw byte 0x%02x in output", (unsigned char)*p);
}

Test(json, buffer_grows)
{
	struct wd_buf b = { 0 };

	for (int i = 0; i < 10000; i++)
		wd_buf_printf(&b, "%d,", i);
	cr_assert(!b.oom);
	cr_assert(strncmp(wd_buf_cstr(&b) + b.len - 5, "9999,", 5) == 0);
	wd_buf_free(&b);
}
