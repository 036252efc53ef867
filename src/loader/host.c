// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader/host.h"
#include "util/log.h"

#define CAP_NET_ADMIN_BIT 12
#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

/* The effective capability set; every bit when /proc cannot say and we are root. */
static unsigned long long cap_eff(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return geteuid() == 0 ? ~0ull : 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff;
}

bool wd_have_bpf_privileges(void)
{
	unsigned long long eff = cap_eff();

	return (eff >> CAP_SYS_ADMIN_BIT & 1) ||
	       ((eff >> CAP_PERFMON_BIT & 1) && (eff >> CAP_BPF_BIT & 1));
}

bool wd_have_net_admin(void)
{
	unsigned long long eff = cap_eff();

	return (eff >> CAP_NET_ADMIN_BIT & 1) || (eff >> CAP_SYS_ADMIN_BIT & 1);
}

void wd_privilege_hint(const char *why)
{
	char buf[16] = "";
	FILE *f;

	if (!strstr(why, "Permission denied") && !strstr(why, "Operation not permitted"))
		return;
	f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	if (f && fgets(buf, sizeof(buf), f) && atoi(buf) > 2)
		wd_err("kernel.perf_event_paranoid is %d: kprobe and tracepoint attachments "
		       "then need CAP_SYS_ADMIN; tracefs event ids need CAP_DAC_READ_SEARCH",
		       atoi(buf));
	if (f)
		fclose(f);
}

/* A BTF file given with --btf must parse and describe a kernel. */
static int btf_file_usable(const char *path)
{
	struct btf *btf = btf__parse(path, NULL);
	int err = libbpf_get_error(btf);

	if (err) {
		wd_err("--btf %s: not usable kernel BTF (%s)", path,
		       strerror(err < 0 ? -err : err));
		return -EOPNOTSUPP;
	}
	err = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) < 0;
	btf__free(btf);
	if (err) {
		wd_err("--btf %s: BTF without kernel types (no struct task_struct)", path);
		return -EOPNOTSUPP;
	}
	return 0;
}

int wd_kernel_check(const char *btf_path)
{
	if (!btf_path && access("/sys/kernel/btf/vmlinux", R_OK)) {
		wd_err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux: %s); "
		       "give its types with --btf FILE", strerror(errno));
		return -EOPNOTSUPP;
	}
	if (btf_path && btf_file_usable(btf_path))
		return -EOPNOTSUPP;
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		wd_err("this kernel has no BPF ring buffer (Linux 5.8 or later needed)");
		return -EOPNOTSUPP;
	}
	return 0;
}
