// SPDX-License-Identifier: GPL-2.0-only
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sha256.h"

static void check(const char *msg, size_t len, const char *want)
{
	char hex[WD_SHA256_HEX_LEN];

	wd_sha256_hex(msg, len, hex);
	cr_assert_str_eq(hex, want, "%zu bytes", len);
}

Test(sha256, fips_180_examples)
{
	check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(sha256, long_input_in_pieces_matches_sha256sum)
{
	static char big[1000000];
	struct wd_sha256 c;
	uint8_t d[32];
	char hex[65], want[80] = "";
	FILE *p;

	memset(big, 'a', sizeof(big));
	wd_sha256_init(&c);
	for (size_t off = 0; off < sizeof(big); off += 777)
		wd_sha256_update(&c, big + off, sizeof(big) - off < 777 ? sizeof(big) - off : 777);
	wd_sha256_final(&c, d);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	/* the FIPS 180-2 "one million a" vector */
	cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	p = popen("printf 'whodunit\\n' | sha256sum", "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(want, sizeof(want), p));
	pclose(p);
	wd_sha256_hex("whodunit\n", 9, hex);
	cr_assert(!strncmp(hex, want, 64), "%s vs %s", hex, want);
}
