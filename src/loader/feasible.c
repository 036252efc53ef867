// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "loader/feasible.h"
#include "loader/mounts.h"
#include "util/file.h"

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

static int scan_funcs(const uint8_t *buf, size_t size, const char *name)
{
	const struct btf_header *hdr = (const void *)buf;
	const uint8_t *types, *strs;
	uint32_t off, tid = 1;

	if (size < sizeof(*hdr) || hdr->magic != BTF_MAGIC ||
	    hdr->hdr_len + (uint64_t)hdr->type_off + hdr->type_len > size ||
	    hdr->hdr_len + (uint64_t)hdr->str_off + hdr->str_len > size)
		return -EINVAL;
	types = buf + hdr->hdr_len + hdr->type_off;
	strs = buf + hdr->hdr_len + hdr->str_off;
	for (off = 0; off + sizeof(struct btf_type) <= hdr->type_len; tid++) {
		const struct btf_type *t = (const void *)(types + off);
		uint32_t kind = BTF_INFO_KIND(t->info);

		if (kind == BTF_KIND_FUNC && t->name_off < hdr->str_len &&
		    !strcmp((const char *)strs + t->name_off, name))
			return (int)tid;
		off += sizeof(struct btf_type) + btf_extra(kind, BTF_INFO_VLEN(t->info));
	}
	return -ENOENT;
}

/*
 * A tenth of the time libbpf takes to parse the whole file (which the full
 * load then does once, for the variant that can work).
 */
int wd_btf_func_id(const char *path, const char *name)
{
	size_t size = 0;
	uint8_t *buf;
	int err = 0, id;

	buf = (uint8_t *)wd_read_file(path, 256u << 20, &size, NULL, &err);
	if (!buf)
		return err;
	id = scan_funcs(buf, size, name);
	free(buf);
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
