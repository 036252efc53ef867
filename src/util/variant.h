/* SPDX-License-Identifier: GPL-2.0-only */
/* Names of the attach variants (enum wd_variant), one table for all. */
#ifndef WD_VARIANT_H
#define WD_VARIANT_H

#include "wd_abi.h"

/* "fentry", "kprobe", "tracepoint"; "none" for WD_VARIANT_NONE or unknown. */
const char *wd_variant_name(unsigned int variant);
/*
 * A variant asked for by name: "auto" is WD_VARIANT_NONE (let the loader
 * choose). -EINVAL for anything else.
 */
int wd_variant_parse(const char *s);

#endif
