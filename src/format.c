// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "format.h"

static const char *const hook_names[] = {
	[WD_HOOK_NONE] = "none",
	[WD_HOOK_FENTRY] = "fentry",
	[WD_HOOK_KPROBE] = "kprobe",
	[WD_HOOK_TRACEPOINT] = "tracepoint",
};

int64_t wd_boot_to_real_ns(void)
{
	struct timespec r, b;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_BOOTTIME, &b);
	return (int64_t)(r.tv_sec - b.tv_sec) * 1000000000 + (r.tv_nsec - b.tv_nsec);
}

void wd_format_time(struct wd_buf *b, int64_t real_ns)
{
	time_t sec = (time_t)(real_ns / 1000000000);
	long usec = (long)(real_ns % 1000000000) / 1000;
	struct tm tm;
	char s[32];

	if (usec < 0) {
		usec += 1000000;
		sec--;
	}
	gmtime_r(&sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	wd_buf_printf(b, "\"%s.%06ldZ\"", s, usec);
}

int wd_event_check(const void *data, size_t size)
{
	const struct wd_connect_event *e = data;
	const struct wd_event_hdr *h = data;

	if (size < sizeof(*h) || h->size > size)
		return -EBADMSG;
	if (h->type != WD_EV_TCP_CONNECT)
		return -EBADMSG;
	if (size < WD_CONNECT_EVENT_FIXED || e->depth > WD_MAX_DEPTH ||
	    size < WD_CONNECT_EVENT_FIXED + e->depth * sizeof(struct wd_proc))
		return -EBADMSG;
	if (e->family != AF_INET && e->family != AF_INET6)
		return -EBADMSG;
	return 0;
}

static void put_comm(struct wd_buf *b, const char *comm)
{
	wd_json_str(b, comm, strnlen(comm, WD_COMM_LEN));
}

static void put_addr(struct wd_buf *b, int family, const uint8_t *addr)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, s, sizeof(s)))
		s[0] = '\0';
	wd_buf_printf(b, "\"%s\"", s);
}

static void put_error(struct wd_buf *b, int err)
{
	const char *name;

	if (err == 0) {
		wd_buf_puts(b, "\"\"");
		return;
	}
	name = strerrorname_np(-err);
	if (name)
		wd_buf_printf(b, "\"%s\"", name);
	else
		wd_buf_printf(b, "\"E%d\"", -err);
}

static void put_user(struct wd_buf *b, const char *key, uint32_t uid,
		     struct wd_enrich *en)
{
	char buf[16];
	const char *name = wd_users_name_or_uid(en->users, uid, buf, sizeof(buf));

	wd_json_key(b, key, false);
	wd_json_str(b, name, strlen(name));
}

static void put_node(struct wd_buf *b, const struct wd_lineage_node *ln,
		     struct wd_enrich *en)
{
	const struct wd_pnode *n = ln->node;
	const struct wd_proc *k = ln->kernel;
	char kcomm[WD_COMM_LEN + 1] = "";
	const char *comm;
	uint64_t start;
	uint32_t uid;

	if (k) {
		memcpy(kcomm, k->comm, WD_COMM_LEN);
		kcomm[WD_COMM_LEN] = '\0';
	}
	/* The kernel's view at the time of the event is the current one. */
	comm = k ? kcomm : n->comm;
	uid = k ? k->uid : n->uid;
	/* The kernel's start time is exact; a table entry may know the tick only. */
	start = n && !(n->coarse && k) ? n->start_ns : k->start_ns;

	wd_buf_printf(b, "{\"pid\":%u,\"ppid\":%u", n ? n->pid : k->pid,
		      n ? n->ppid : k->ppid);
	wd_json_key(b, "cmdline", false);
	if (n && n->cmdline)
		wd_json_str(b, n->cmdline, n->cmdline_len);
	else
		wd_json_str(b, comm, strlen(comm));
	put_user(b, "username", uid, en);
	wd_buf_printf(b, ",\"uid\":%u", uid);
	if (n && n->loginuid != WD_LOGINUID_UNSET) {
		wd_buf_printf(b, ",\"loginuid\":%u", n->loginuid);
		put_user(b, "loginname", n->loginuid, en);
	}
	wd_json_key(b, "comm", false);
	wd_json_str(b, comm, strlen(comm));
	if (n && n->exe) {
		wd_json_key(b, "exe", false);
		wd_json_str(b, n->exe, strlen(n->exe));
	}
	wd_json_key(b, "start_time", false);
	wd_format_time(b, (int64_t)start + en->boot_to_real_ns);
	if (!n || !n->cmdline)
		wd_buf_puts(b, ",\"cmdline_missing\":true");
	else if (n->cmdline_truncated)
		wd_buf_puts(b, ",\"cmdline_truncated\":true");
	if (n && n->exited)
		wd_buf_puts(b, ",\"exited\":true");
	if (ln->reparented)
		wd_buf_printf(b, ",\"reparented\":true,\"current_ppid\":%u", ln->current_ppid);
	wd_buf_putc(b, '}');
}

static const char *const source_names[] = {
	[WD_ANC_CACHE] = "cache",
	[WD_ANC_PROC] = "proc",
	[WD_ANC_PARTIAL] = "partial",
};

void wd_format_connect(struct wd_buf *b, const struct wd_connect_event *e,
		       struct wd_enrich *en)
{
	int family = e->family == AF_INET ? AF_INET : AF_INET6;
	uint32_t pid = e->depth ? e->tree[0].pid : 0;
	struct wd_lineage *lin = en->lineage;
	unsigned int hook = e->hdr.hook;

	if (hook >= sizeof(hook_names) / sizeof(hook_names[0]))
		hook = WD_HOOK_NONE;
	wd_lineage_build(en->ptable, e, lin);

	wd_buf_puts(b, "{\"timestamp\":");
	wd_format_time(b, (int64_t)e->hdr.ts_ns + en->boot_to_real_ns);
	wd_buf_printf(b, ",\"probe\":\"tcp_connect\",\"pid\":%u,\"tid\":%u,\"uid\":%u",
		      pid, e->tid, e->uid);
	put_user(b, "username", e->uid, en);
	wd_json_key(b, "comm", false);
	put_comm(b, e->comm);
	wd_buf_printf(b, ",\"family\":\"%s\"", family == AF_INET ? "ipv4" : "ipv6");
	wd_json_key(b, "daddr", false);
	put_addr(b, family, e->daddr);
	wd_buf_printf(b, ",\"port\":%u", e->dport);
	wd_json_key(b, "saddr", false);
	put_addr(b, family, e->saddr);
	wd_buf_printf(b, ",\"sport\":%u", e->sport);
	wd_json_key(b, "error", false);
	put_error(b, e->error);
	wd_buf_printf(b, ",\"hook\":\"%s\",\"netns\":%u,\"cgroup_id\":%llu",
		      hook_names[hook], e->netns, (unsigned long long)e->cgroup_id);
	wd_buf_printf(b, ",\"ancestry\":\"%s\",\"proctree\":[", source_names[lin->source]);
	for (size_t i = 0; i < lin->n; i++) {
		if (i)
			wd_buf_putc(b, ',');
		put_node(b, &lin->v[i], en);
	}
	wd_buf_printf(b, "],\"proctree_truncated\":%s", lin->truncated ? "true" : "false");
	if (lin->reparented) {
		/* The chain as the kernel sees it now, for comparison. */
		wd_buf_puts(b, ",\"kernel_ancestry\":[");
		for (unsigned int i = 0; i < e->depth && i < WD_MAX_DEPTH; i++)
			wd_buf_printf(b, "%s%u", i ? "," : "", e->tree[i].pid);
		wd_buf_putc(b, ']');
	}
	wd_buf_putc(b, '}');
}
