// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "loader/feasible.h"
#include "loader/mounts.h"

/* Bytes that follow a struct btf_type of this kind in the type section. */
static uint32_t btf_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
		return sizeof(uint32_t);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen * sizeof(struct btf_member);
	case BTF_KIND_DATASEC:
		return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return vlen * sizeof(struct btf_enum64);
	case BTF_KIND_ENUM:
		return vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return vlen * sizeof(struct btf_param);
	default:
		return 0;
	}
}

/*
 * A window on the file: the BTF is read in passes through one buffer that
 * stays in cache (reading all 5 MB into fresh memory costs a page fault
 * per 4 KiB, more than the scan).
 */
struct btf_win {
	int fd;
	uint64_t start; /* file offset of buf[0] */
	size_t len;     /* bytes valid in buf */
	uint8_t buf[64 * 1024];
};

/* Bytes [off, off + n) of the file (n <= sizeof(buf)); NULL past its end. */
static const uint8_t *win_at(struct btf_win *w, uint64_t off, size_t n)
{
	ssize_t r;

	if (off >= w->start && off + n <= w->start + w->len)
		return w->buf + (off - w->start);
	w->start = off;
	w->len = 0;
	/* (sysfs hands the file out a page at a time) */
	while (w->len < sizeof(w->buf)) {
		r = pread(w->fd, w->buf + w->len, sizeof(w->buf) - w->len,
			  (off_t)(off + w->len));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		w->len += (size_t)r;
	}
	return n <= w->len ? w->buf : NULL;
}

/* Offset of the string `name` in the string section [base, base + size). */
static int64_t find_str(struct btf_win *w, uint64_t base, uint32_t size, const char *name)
{
	char pat[130];
	size_t plen = strlen(name) + 2, want;
	const uint8_t *p, *hit;
	uint64_t pos;

	if (plen > sizeof(pat))
		return -EINVAL;
	pat[0] = '\0'; /* a whole string: NUL before and after */
	memcpy(pat + 1, name, plen - 1);
	for (pos = 0; pos < size; pos += want - (plen - 1)) {
		want = size - pos < sizeof(w->buf) ? size - pos : sizeof(w->buf);
		p = win_at(w, base + pos, want);
		if (!p)
			return -EIO;
		hit = memmem(p, want, pat, plen);
		if (hit)
			return (int64_t)(pos + (uint64_t)(hit - p) + 1);
		if (want < plen || pos + want >= size)
			break;
	}
	return -ENOENT;
}

static int scan_funcs(struct btf_win *w, const char *name)
{
	struct btf_header hdr;
	struct btf_type t;
	const uint8_t *p;
	uint64_t tbase, off;
	int64_t name_off;
	uint32_t tid = 1, kind;

	p = win_at(w, 0, sizeof(hdr));
	if (!p)
		return -EINVAL;
	memcpy(&hdr, p, sizeof(hdr));
	if (hdr.magic != BTF_MAGIC || hdr.hdr_len < sizeof(hdr))
		return -EINVAL;
	name_off = find_str(w, (uint64_t)hdr.hdr_len + hdr.str_off, hdr.str_len, name);
	if (name_off < 0)
		return (int)name_off;
	tbase = (uint64_t)hdr.hdr_len + hdr.type_off;
	for (off = 0; off + sizeof(t) <= hdr.type_len; tid++) {
		p = win_at(w, tbase + off, sizeof(t));
		if (!p)
			return -EIO;
		memcpy(&t, p, sizeof(t));
		kind = BTF_INFO_KIND(t.info);
		if (kind == BTF_KIND_FUNC && t.name_off == (uint32_t)name_off)
			return (int)tid;
		off += sizeof(t) + btf_extra(kind, BTF_INFO_VLEN(t.info));
	}
	return -ENOENT;
}

/*
 * About 2 ms for the kernel's 5 MB, a fifth of the time libbpf takes to
 * parse the whole file (which the full load then does once, for the variant
 * that can work).
 */
int wd_btf_func_id(const char *path, const char *name)
{
	struct btf_win *w;
	int id;

	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->start = 0;
	w->len = 0;
	w->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (w->fd < 0) {
		id = -errno;
		free(w);
		return id;
	}
	id = scan_funcs(w, name);
	close(w->fd);
	free(w);
	return id;
}

/* Load and attach a two-instruction fexit program. */
int wd_fentry_usable(char *why, size_t whylen)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = BPF_TRACE_FEXIT);
	int id, fd, lfd, err;

	id = wd_btf_func_id("/sys/kernel/btf/vmlinux", "tcp_v4_connect");
	if (id < 0) {
		snprintf(why, whylen, "fentry: tcp_v4_connect not in the kernel's own BTF: %s",
			 strerror(-id));
		return id;
	}
	lo.attach_btf_id = (__u32)id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "wd_fexit_probe", "GPL", insns, 2, &lo);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "fentry: load: %s", strerror(-err));
		return err;
	}
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	err = lfd < 0 ? -errno : 0;
	if (err)
		snprintf(why, whylen, "fentry: attach: %s", strerror(-err));
	else
		close(lfd);
	close(fd);
	return err;
}

int wd_kprobe_usable(char *why, size_t whylen)
{
	if (!access("/sys/bus/event_source/devices/kprobe/type", F_OK))
		return 0;
	wd_ensure_tracefs();
	if (!access("/sys/kernel/tracing/kprobe_events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/kprobe_events", F_OK))
		return 0;
	snprintf(why, whylen, "kprobe: the kernel has no kprobe PMU and no kprobe_events");
	return -EOPNOTSUPP;
}
