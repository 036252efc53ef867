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

static void put_proc(struct wd_buf *b, const struct wd_proc *p,
		     struct wd_enrich *en)
{
	char comm[WD_COMM_LEN + 1], uidbuf[16];
	const struct wd_pinfo *pi;
	const char *user;

	memcpy(comm, p->comm, WD_COMM_LEN);
	comm[WD_COMM_LEN] = '\0';
	pi = wd_pcache_get(en->pcache, p->pid, p->start_ns, comm);
	user = wd_users_name_or_uid(en->users, p->uid, uidbuf, sizeof(uidbuf));

	wd_buf_printf(b, "{\"pid\":%u,\"ppid\":%u", p->pid, p->ppid);
	wd_json_key(b, "cmdline", false);
	if (pi->cmdline)
		wd_json_str(b, pi->cmdline, pi->len);
	else
		wd_json_str(b, comm, strlen(comm));
	wd_json_key(b, "username", false);
	wd_json_str(b, user, strlen(user));
	wd_buf_printf(b, ",\"uid\":%u", p->uid);
	wd_json_key(b, "comm", false);
	wd_json_str(b, comm, strlen(comm));
	wd_json_key(b, "start_time", false);
	wd_format_time(b, (int64_t)p->start_ns + en->boot_to_real_ns);
	if (!pi->cmdline)
		wd_buf_puts(b, ",\"cmdline_missing\":true");
	else if (pi->truncated)
		wd_buf_puts(b, ",\"cmdline_truncated\":true");
	wd_buf_putc(b, '}');
}

void wd_format_connect(struct wd_buf *b, const struct wd_connect_event *e,
		       struct wd_enrich *en)
{
	int family = e->family == AF_INET ? AF_INET : AF_INET6;
	uint32_t pid = e->depth ? e->tree[0].pid : 0;
	unsigned int hook = e->hdr.hook;
	char uidbuf[16];
	const char *user;

	if (hook >= sizeof(hook_names) / sizeof(hook_names[0]))
		hook = WD_HOOK_NONE;
	user = wd_users_name_or_uid(en->users, e->uid, uidbuf, sizeof(uidbuf));

	wd_buf_puts(b, "{\"timestamp\":");
	wd_format_time(b, (int64_t)e->hdr.ts_ns + en->boot_to_real_ns);
	wd_buf_printf(b, ",\"probe\":\"tcp_connect\",\"pid\":%u,\"tid\":%u,\"uid\":%u",
		      pid, e->tid, e->uid);
	wd_json_key(b, "username", false);
	wd_json_str(b, user, strlen(user));
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
	wd_buf_puts(b, ",\"proctree\":[");
	for (unsigned int i = 0; i < e->depth && i < WD_MAX_DEPTH; i++) {
		if (i)
			wd_buf_putc(b, ',');
		put_proc(b, &e->tree[i], en);
	}
	wd_buf_printf(b, "],\"proctree_truncated\":%s}",
		      e->flags & WD_F_TRUNCATED ? "true" : "false");
}
