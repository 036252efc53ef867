/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * whodunit --test-rules FILE: events as whodunit wrote them (JSON lines),
 * judged by the configuration's rules: per event the matching rules and
 * the verdict, then a summary. Agent records are skipped.
 */
#ifndef WD_RULES_TESTRULES_H
#define WD_RULES_TESTRULES_H

#include <stdio.h>

#include "config/config.h"

/* 0; EX_DATAERR if some line is not an event; EX_NOINPUT if path cannot be read. */
int wd_test_rules(const struct wd_config *cfg, const char *path, FILE *out);

#endif
