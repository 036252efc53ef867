// SPDX-License-Identifier: GPL-2.0-only
#include <criterion/criterion.h>
#include <string.h>

#include "testutil.h"
#include "util/file.h"

int tu_parse(struct wd_config *cfg, const char *name, const char *text, char *err,
	     size_t errlen)
{
	wd_config_free(cfg);
	wd_config_init(cfg);
	err[0] = '\0';
	return wd_config_parse(cfg, name, text, strlen(text), err, errlen);
}

char *tu_output(struct wd_dispatch *d, const char *path)
{
	size_t len = 0;
	int err = 0;
	char *s;

	wd_dispatch_finish(d);
	s = wd_read_file(path, 1 << 20, &len, NULL, &err);
	cr_assert_not_null(s, "%s: %d", path, err);
	return s;
}
