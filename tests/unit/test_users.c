// SPDX-License-Identifier: GPL-2.0-only
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc/users.h"

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"# a comment\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"broken line without colons\n"
	"nouid:x::1::/:/bin/sh\n"
	"bad:x:12ab:1::/:/bin/sh\n"
	"huge:x:99999999999:1::/:/bin/sh\n"
	"alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
	"alias:x:1000:1000::/home/alice:/bin/bash\n"
	"+nisuser::::::\n"
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin";

Test(users, parses_valid_lines_and_skips_bad_ones)
{
	struct wd_users u = { 0 };

	cr_assert_eq(wd_users_parse(&u, passwd, strlen(passwd)), 0);
	cr_assert_eq(u.n, 4);
	cr_assert_str_eq(wd_users_name(&u, 0), "root");
	cr_assert_str_eq(wd_users_name(&u, 1), "daemon");
	cr_assert_str_eq(wd_users_name(&u, 65534), "nobody");
	cr_assert_null(wd_users_name(&u, 12));
	wd_users_free(&u);
}

Test(users, first_entry_of_a_uid_wins)
{
	struct wd_users u = { 0 };

	cr_assert_eq(wd_users_parse(&u, passwd, strlen(passwd)), 0);
	cr_assert_str_eq(wd_users_name(&u, 1000), "alice");
	wd_users_free(&u);
}

Test(users, unknown_uid_is_numeric)
{
	struct wd_users u = { 0 };
	char buf[16];

	cr_assert_eq(wd_users_parse(&u, passwd, strlen(passwd)), 0);
	cr_assert_str_eq(wd_users_name_or_uid(&u, 4242, buf, sizeof(buf)), "4242");
	cr_assert_str_eq(wd_users_name_or_uid(&u, 0, buf, sizeof(buf)), "root");
	wd_users_free(&u);
}

Test(users, file_is_reloaded_when_it_changes)
{
	char path[] = "/tmp/wd-passwd-XXXXXX";
	struct wd_users u;
	FILE *f;
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	f = fdopen(fd, "w");
	fputs("root:x:0:0::/:/bin/sh\n", f);
	fclose(f);
	cr_assert_eq(wd_users_init(&u, path), 0);
	cr_assert_null(wd_users_name(&u, 7));
	f = fopen(path, "a");
	fputs("seven:x:7:7::/:/bin/sh\n", f);
	fclose(f);
	u.checked -= 2; /* pretend a second went by */
	wd_users_refresh(&u);
	cr_assert_str_eq(wd_users_name(&u, 7), "seven");
	wd_users_free(&u);
	unlink(path);
}

Test(users, missing_file_is_not_fatal)
{
	struct wd_users u;
	char buf[16];

	cr_assert_eq(wd_users_init(&u, "/nonexistent/passwd"), 0);
	cr_assert_str_eq(wd_users_name_or_uid(&u, 0, buf, sizeof(buf)), "0");
	wd_users_free(&u);
}
