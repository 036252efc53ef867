/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef WD_FILE_H
#define WD_FILE_H

#include <stddef.h>
#include <sys/stat.h>

/*
 * A whole regular file, NUL-terminated (malloc'ed), of at most max bytes.
 * *len gets its length and *st (may be NULL) its stat. NULL on failure with
 * *err a negative errno (-EISDIR, -EINVAL for a non-regular file, -EFBIG).
 */
char *wd_read_file(const char *path, size_t max, size_t *len, struct stat *st,
		   int *err);

#endif
