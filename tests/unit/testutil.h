/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers the unit test files share (tests/unit/testutil.c). */
#ifndef WD_TESTUTIL_H
#define WD_TESTUTIL_H

#include <stddef.h>

#include "agent/dispatch.h"
#include "config/config.h"

/* cfg freed, initialised and parsed from text (as file name); err gets the message. */
int tu_parse(struct wd_config *cfg, const char *name, const char *text, char *err,
	     size_t errlen);
/* d finished, and what its file sink at path holds (malloc'ed; asserts it exists). */
char *tu_output(struct wd_dispatch *d, const char *path);

#endif
