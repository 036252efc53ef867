// SPDX-License-Identifier: GPL-2.0-only
#include <criterion/criterion.h>
#include <stdlib.h>

#include "util/strings.h"

Test(strings, set_str_copies_replaces_and_clears)
{
	char buf[] = "one", *s = NULL;

	cr_assert_eq(wd_set_str(&s, buf), 0);
	cr_assert_str_eq(s, "one");
	cr_assert_neq(s, buf);
	cr_assert_eq(wd_set_str(&s, "two"), 0);
	cr_assert_str_eq(s, "two");
	cr_assert_eq(wd_set_str(&s, NULL), 0);
	cr_assert_null(s);
	cr_assert_eq(wd_set_str(&s, NULL), 0);
	cr_assert_null(s);
}
