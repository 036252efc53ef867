// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: the passwd parser (wd_users_parse) and lookups in its result. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proc/users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_users u = { 0 };
	char buf[16];

	if (wd_users_parse(&u, (const char *)data, size) == 0) {
		for (size_t i = 0; i < u.n; i++) {
			const char *name = wd_users_name(&u, u.v[i].uid);

			if (!name || strlen(name) > size)
				__builtin_trap();
		}
		wd_users_name_or_uid(&u, 0, buf, sizeof(buf));
		wd_users_name_or_uid(&u, 4294967295u, buf, sizeof(buf));
	}
	wd_users_free(&u);
	return 0;
}
