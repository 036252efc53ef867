// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "util/variant.h"

static const char *const names[] = {
	[WD_VARIANT_NONE] = "none",
	[WD_VARIANT_FENTRY] = "fentry",
	[WD_VARIANT_KPROBE] = "kprobe",
	[WD_VARIANT_TRACEPOINT] = "tracepoint",
};

#define NNAMES (sizeof(names) / sizeof(names[0]))

const char *wd_variant_name(unsigned int variant)
{
	return variant < NNAMES ? names[variant] : names[WD_VARIANT_NONE];
}

int wd_variant_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return WD_VARIANT_NONE;
	for (unsigned int i = WD_VARIANT_NONE + 1; i < NNAMES; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -EINVAL;
}
