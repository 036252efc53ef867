// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: ring-buffer records through the real dispatch into a file sink
 * on /tmp, over a small fake /proc made once, with the embedded default
 * config (net_listen, udp_session and dns turned on too).
 *
 * Input: one byte of settings, then chunks of [mode:1][len:2 LE][len bytes],
 * each one record (copied to a buffer of its size, aligned as in the ring,
 * so that ASan sees a read past its end).
 * mode bit 0: hdr.size = len; bit 1: hdr.type = (mode >> 4) & 7;
 * bit 2: a dispatch tick after it. Every line written must be one JSON object
 * on one line without raw control bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/dispatch.h"
#include "config/filter.h"
#include "tmpdir.h"
#include "util/file.h"

static char root[] = "/tmp/wd-fuzz-record-XXXXXX";
static char out_path[128], passwd_path[128];
static struct wd_config cfg;
static struct wd_filter_maps filters;

static void put(const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len)
		__builtin_trap();
	fclose(f);
}

static void fake_proc(int pid, int ppid, const char *comm, const char *cmdline,
		      size_t len)
{
	char name[64], text[256];
	int n = snprintf(text, sizeof(text),
			 "%d (%s) S %d 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 %d 0\n",
			 pid, comm, ppid, pid * 10);

	snprintf(name, sizeof(name), "%s/%d", root, pid);
	mkdir(name, 0755);
	snprintf(name, sizeof(name), "%d/stat", pid);
	put(name, text, (size_t)n);
	snprintf(name, sizeof(name), "%d/cmdline", pid);
	put(name, cmdline, len);
	snprintf(name, sizeof(name), "%d/status", pid);
	put(name, "Name:\tx\nUid:\t1000\t0\t0\t0\n", 24);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[WD_ERR_LEN], why[256];

	(void)argc;
	(void)argv;
	fuzz_tmpdir(root);
	snprintf(out_path, sizeof(out_path), "%s/events.json", root);
	snprintf(passwd_path, sizeof(passwd_path), "%s/passwd", root);
	put("passwd", "root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n"
		      "\"q\\\":x:1001:1001::/:/bin/sh\n", 80);
	fake_proc(1, 0, "init", "/sbin/init\0", 11);
	fake_proc(100, 1, "sh) S 1 (x", "sh\0-c\0\x01\"\\\xff\0", 12);
	fake_proc(300, 100, "app", "", 0);
	wd_config_init(&cfg);
	if (wd_config_parse(&cfg, "<embedded>", wd_default_config, wd_default_config_len,
			    err, sizeof(err)))
		__builtin_trap();
	free(cfg.output);
	cfg.output = malloc(sizeof(out_path) + 5);
	snprintf(cfg.output, sizeof(out_path) + 5, "file:%s", out_path);
	cfg.process_cache_size = 64;
	cfg.net_listen.enabled = true;
	cfg.udp_session.enabled = true;
	cfg.dns.enabled = true; /* (and dest_name: agent.dns_names is on) */
	if (wd_filter_compile(&cfg, &filters, why, sizeof(why)))
		__builtin_trap();
	return 0;
}

static int fake_take(void *ctx, const struct wd_udp_key *k, struct wd_udp_val *v)
{
	(void)ctx;
	if (k->port & 1)
		return -1;
	*v = (struct wd_udp_val){ .first_ns = k->cookie, .last_ns = k->cookie * 3,
				  .count = k->port };
	return 0;
}

/* Every line: '{' ... '}', no control bytes; then the file is emptied. */
static void check_output(void)
{
	size_t len = 0;
	int err = 0;
	char *s = wd_read_file(out_path, 64 << 20, &len, NULL, &err), *line, *nl;

	if (!s)
		return;
	if (getenv("WD_FUZZ_SHOW")) /* to look at what the seeds make */
		fwrite(s, 1, len, stderr);
	for (line = s; line < s + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(s + len - line));
		if (!nl || nl == line || line[0] != '{' || nl[-1] != '}')
			__builtin_trap();
		for (char *p = line; p < nl; p++)
			if ((unsigned char)*p < 0x20)
				__builtin_trap();
	}
	free(s);
	unlink(out_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t max_event[] = { WD_MAX_EVENT_UNSET, 200, 1000, 8000 };
	struct wd_dispatch d;

	if (size < 1)
		return 0;
	cfg.max_event_size = max_event[data[0] & 3];
	if (wd_dispatch_init(&d, &cfg, &filters, root, passwd_path))
		__builtin_trap();
	if (wd_sink_open(&d.sink))
		__builtin_trap();
	d.udp.take = fake_take;
	if (data[0] & 4)
		wd_ptable_seed(&d.ptable);
	for (size_t off = 1; off + 3 <= size;) {
		uint8_t mode = data[off];
		size_t len = data[off + 1] | (size_t)data[off + 2] << 8;
		struct wd_event_hdr *h;
		uint8_t *rec;

		off += 3;
		if (len > size - off)
			len = size - off;
		rec = malloc(len ? len : 1);
		if (!rec)
			break;
		h = (void *)rec;
		memcpy(rec, data + off, len);
		off += len;
		if (len >= sizeof(*h) && (mode & 1))
			h->size = (uint32_t)len;
		if (len >= sizeof(*h) && (mode & 2))
			h->type = (mode >> 4) & 7;
		wd_dispatch_record(&d, rec, len);
		free(rec);
		if (mode & 4)
			wd_dispatch_tick(&d);
	}
	wd_dispatch_finish(&d);
	wd_dispatch_free(&d);
	check_output();
	return 0;
}
