// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: the YAML config reader. The input is parsed as the main config
 * text (wd_config_parse); then split at its first 0xff byte into a main file
 * and an !include'd one in a temporary directory and loaded (wd_config_load).
 * Linked with -Wl,--wrap=open: the reader opens nothing outside that
 * directory (an input may well say `!include /dev/tty`).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "tmpdir.h"

static char dir[] = "/tmp/wd-fuzz-config-XXXXXX";
static char main_path[64], inc_path[64];

int __real_open(const char *path, int flags, ...);

int __wrap_open(const char *path, int flags, ...)
{
	size_t n = strlen(dir);
	mode_t mode = 0;
	va_list ap;

	if (strncmp(path, dir, n) || path[n] != '/' || strstr(path, "/..")) {
		errno = EACCES;
		return -1;
	}
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return __real_open(path, flags, mode);
}

static void put(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		__builtin_trap();
	if (len && fwrite(data, 1, len, f) != len)
		__builtin_trap();
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_tmpdir(dir);
	snprintf(main_path, sizeof(main_path), "%s/main.yaml", dir);
	snprintf(inc_path, sizeof(inc_path), "%s/inc.yaml", dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_config cfg;
	char err[WD_ERR_LEN];
	const uint8_t *cut = memchr(data, 0xff, size);
	size_t main_len = cut ? (size_t)(cut - data) : size;

	wd_config_init(&cfg);
	wd_config_parse(&cfg, "fuzz.yaml", (const char *)data, size, err, sizeof(err));
	wd_config_free(&cfg);

	/* main.yaml may say `!include inc.yaml` (relative to its directory). */
	put(main_path, data, main_len);
	if (cut)
		put(inc_path, cut + 1, size - main_len - 1);
	else
		unlink(inc_path);
	wd_config_init(&cfg);
	wd_config_load(&cfg, main_path, err, sizeof(err));
	wd_config_free(&cfg);
	return 0;
}
