// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strings.h"

int wd_set_str(char **dst, const char *s)
{
	char *d = NULL;

	if (s) {
		d = strdup(s);
		if (!d)
			return -ENOMEM;
	}
	free(*dst);
	*dst = d;
	return 0;
}
