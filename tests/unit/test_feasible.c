// SPDX-License-Identifier: GPL-2.0-only
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "loader/feasible.h"

#define VMLINUX "/sys/kernel/btf/vmlinux"

/* The windowed scan finds what libbpf's full parse finds, across windows. */
Test(feasible, func_ids_match_libbpf)
{
	const char *names[] = { "tcp_v4_connect", "tcp_v6_connect", "do_exit",
				"inet_csk_accept", "wake_up_process" };
	struct btf *btf;
	__u32 n, i, step, checked = 0;

	if (access(VMLINUX, R_OK))
		cr_skip_test("no " VMLINUX);
	btf = btf__parse(VMLINUX, NULL);
	cr_assert(btf, "libbpf cannot parse " VMLINUX);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_expect_eq(wd_btf_func_id(VMLINUX, names[i]),
			     btf__find_by_name_kind(btf, names[i], BTF_KIND_FUNC), "%s", names[i]);
	/* functions from all over the type section (early, late, at window edges) */
	n = btf__type_cnt(btf);
	step = n / 40 + 1;
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *name;

		if (!btf_is_func(t) || (i % step && i < n - 50))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) != (int)i)
			continue; /* (a name twice: the first wins in both) */
		cr_expect_eq(wd_btf_func_id(VMLINUX, name), (int)i, "%s", name);
		checked++;
	}
	cr_expect_geq(checked, 20);
	btf__free(btf);
}

Test(feasible, absent_names_and_bad_files)
{
	if (access(VMLINUX, R_OK))
		cr_skip_test("no " VMLINUX);
	/* a suffix of a real name, and a type that is no function */
	cr_expect_eq(wd_btf_func_id(VMLINUX, "v4_connect"), -ENOENT);
	cr_expect_eq(wd_btf_func_id(VMLINUX, "task_struct"), -ENOENT);
	cr_expect_eq(wd_btf_func_id("/nonexistent/btf", "tcp_v4_connect"), -ENOENT);
	cr_expect_eq(wd_btf_func_id("/proc/self/cmdline", "tcp_v4_connect"), -EINVAL);
}
