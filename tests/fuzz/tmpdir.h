/* SPDX-License-Identifier: GPL-2.0-only */
/* The fuzz targets' scratch directory: made once, removed at a normal exit. */
#ifndef WD_FUZZ_TMPDIR_H
#define WD_FUZZ_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

static const char *fuzz_dir;

static void fuzz_tmpdir_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
	if (system(cmd))
		fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir);
}

/* mkdtemp(tmpl) or trap; removed again by exit(). */
static inline void fuzz_tmpdir(char *tmpl)
{
	if (!mkdtemp(tmpl))
		__builtin_trap();
	fuzz_dir = tmpl;
	atexit(fuzz_tmpdir_remove);
}

#endif
