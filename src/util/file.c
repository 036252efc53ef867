// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/file.h"

char *wd_read_file(const char *path, size_t max, size_t *len, struct stat *st_out,
		   int *err)
{
	struct stat st;
	size_t got = 0;
	char *text;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return NULL;
	}
	if ((unsigned long long)st.st_size > max) {
		*err = -EFBIG;
		close(fd);
		return NULL;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		*err = -ENOMEM;
		close(fd);
		return NULL;
	}
	/* (sysfs hands some files out in pieces) */
	while (got < (size_t)st.st_size) {
		r = read(fd, text + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	text[got] = '\0';
	*len = got;
	if (st_out)
		*st_out = st;
	return text;
}
