// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dns/dns.h"
#include "output/format.h"
#include "proc/procfs.h"
#include "util/clock.h"
#include "util/variant.h"

int64_t wd_boot_to_real_ns(void)
{
	return wd_clock_ns(CLOCK_REALTIME) - wd_clock_ns(CLOCK_BOOTTIME);
}

/* Digits of v, zero-padded to width, at p. */
static void digits(char *p, unsigned long v, int width)
{
	while (width--) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * UTC calendar date of a day count since 1970-01-01 (the proleptic
 * Gregorian civil-from-days computation, in 400-year eras).
 */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void wd_format_time(struct wd_buf *b, int64_t real_ns)
{
	int64_t sec = real_ns / 1000000000, days, y;
	int64_t nsec = real_ns % 1000000000;
	char s[] = "\"0000-00-00T00:00:00.000000Z\"";
	unsigned m, d, sod;

	if (nsec < 0) {
		nsec += 1000000000;
		sec--;
	}
	days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
	sod = (unsigned)(sec - days * 86400);
	civil_from_days(days, &y, &m, &d);
	digits(s + 1, (unsigned long)(y < 0 ? 0 : y % 10000), 4);
	digits(s + 6, m, 2);
	digits(s + 9, d, 2);
	digits(s + 12, sod / 3600, 2);
	digits(s + 15, sod / 60 % 60, 2);
	digits(s + 18, sod % 60, 2);
	digits(s + 21, (unsigned long)(nsec / 1000), 6);
	wd_buf_put(b, s, sizeof(s) - 1);
}

int wd_event_check(const void *data, size_t size)
{
	const struct wd_connect_event *e = data;
	const struct wd_event_hdr *h = data;

	if (size < sizeof(*h) || h->size > size)
		return -EBADMSG;
	if (h->type != WD_EV_TCP_CONNECT && h->type != WD_EV_LISTEN &&
	    h->type != WD_EV_UDP_DEST)
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

static void put_error(struct wd_buf *b, int err)
{
	const char *name;
	long long neg;

	if (err == 0) {
		wd_buf_puts(b, "\"\"");
		return;
	}
	neg = -(long long)err; /* (INT_MIN has no int negation) */
	name = neg > 0 && neg < 4096 ? strerrorname_np((int)neg) : NULL;
	if (name)
		wd_buf_printf(b, "\"%s\"", name);
	else
		wd_buf_printf(b, "\"E%lld\"", neg);
}

static void put_user(struct wd_buf *b, const char *key, uint32_t uid,
		     struct wd_enrich *en)
{
	char buf[16];
	const char *name = wd_users_name_or_uid(en->users, uid, buf, sizeof(buf));

	wd_json_key(b, key, false);
	wd_json_str(b, name, strlen(name));
}

/* ,"cmdline":"...","exe":"..." of a node, escaped once and kept with it. */
static void cache_json(struct wd_ptable *t, struct wd_pnode *n)
{
	struct wd_buf tmp = { 0 };

	wd_json_key(&tmp, "cmdline", false);
	wd_json_str(&tmp, n->cmdline, n->cmdline_len);
	if (n->exe) {
		wd_json_key(&tmp, "exe", false);
		wd_json_str(&tmp, n->exe, strlen(n->exe));
	}
	if (tmp.oom || !wd_ptable_cache_json(t, n, tmp.p, tmp.len))
		wd_buf_free(&tmp);
}

static void put_node(struct wd_buf *b, const struct wd_lineage_node *ln,
		     struct wd_enrich *en, size_t cmdline_cap)
{
	const struct wd_pnode *n = ln->node;
	const struct wd_proc *k = ln->kernel;
	char kcomm[WD_COMM_LEN + 1] = "";
	const char *comm;
	uint64_t start;
	uint32_t uid;
	bool cut;

	if (k) {
		memcpy(kcomm, k->comm, WD_COMM_LEN);
		kcomm[WD_COMM_LEN] = '\0';
	}
	/* The kernel's view at the time of the event is the current one. */
	comm = k ? kcomm : n->comm;
	uid = k ? k->uid : n->uid;
	/* The kernel's start time is exact; a table entry may know the tick only. */
	start = n && !(n->coarse && k) ? n->start_ns : k->start_ns;

	wd_buf_puts(b, "{\"pid\":");
	wd_buf_u64(b, n ? n->pid : k->pid);
	wd_json_u64(b, "ppid", n ? n->ppid : k->ppid);
	cut = n && n->cmdline && n->cmdline_len > cmdline_cap;
	if (n && n->cmdline && !cut) {
		/* Ancestors recur in every event: escape their strings once. */
		if (!n->json)
			cache_json(en->ptable, (struct wd_pnode *)n);
		if (n->json) {
			wd_buf_put(b, n->json, n->json_len);
			goto user;
		}
	}
	wd_json_key(b, "cmdline", false);
	if (cut) {
		/* Room for the marker inside the cap. */
		size_t keep = cmdline_cap > 3 ? cmdline_cap - 3 : 0;

		wd_json_str(b, n->cmdline, keep);
		if (!b->oom)
			b->len--; /* reopen the string to append the marker */
		wd_buf_puts(b, "...\"");
	} else if (n && n->cmdline) {
		wd_json_str(b, n->cmdline, n->cmdline_len);
	} else {
		wd_json_str(b, comm, strlen(comm));
	}
	if (n && n->exe) {
		wd_json_key(b, "exe", false);
		wd_json_str(b, n->exe, strlen(n->exe));
	}
user:
	if (uid != WD_UID_UNKNOWN) { /* unknown: neither member */
		put_user(b, "username", uid, en);
		wd_json_u64(b, "uid", uid);
	}
	if (n && n->loginuid != WD_LOGINUID_UNSET && !en->loginuid_top) {
		wd_json_u64(b, "loginuid", n->loginuid);
		put_user(b, "loginname", n->loginuid, en);
	}
	wd_json_key(b, "comm", false);
	wd_json_str(b, comm, strlen(comm));
	wd_json_key(b, "start_time", false);
	wd_format_time(b, (int64_t)start + en->boot_to_real_ns);
	if (!n || !n->cmdline)
		wd_buf_puts(b, ",\"cmdline_missing\":true");
	else if (n->cmdline_truncated || cut)
		wd_buf_puts(b, ",\"cmdline_truncated\":true");
	if (n && n->exited)
		wd_buf_puts(b, ",\"exited\":true");
	if (ln->reparented) {
		wd_buf_puts(b, ",\"reparented\":true");
		wd_json_u64(b, "current_ppid", ln->current_ppid);
	}
	wd_buf_putc(b, '}');
}

static const char *const source_names[] = {
	[WD_ANC_CACHE] = "cache",
	[WD_ANC_PROC] = "proc",
	[WD_ANC_PARTIAL] = "partial",
};

/*
 * ,"ancestry":..,"proctree":[..],"proctree_truncated":..[,"kernel_ancestry":[..]]
 * of the lineage built last; at most max_nodes nodes (the leaf end and the
 * root end are kept), cmdlines cut at cmdline_cap bytes.
 */
static void put_tree(struct wd_buf *b, const struct wd_connect_event *e,
		     struct wd_enrich *en, size_t cmdline_cap, size_t max_nodes)
{
	const struct wd_lineage *lin = en->lineage;
	size_t head = lin->n, tail = 0;

	if (lin->n > max_nodes) {
		head = max_nodes - max_nodes / 4;
		tail = max_nodes / 4;
	}
	wd_buf_puts(b, ",\"ancestry\":\"");
	wd_buf_puts(b, source_names[lin->source]);
	wd_buf_puts(b, "\",\"proctree\":[");
	for (size_t i = 0; i < lin->n; i++) {
		if (i >= head && i < lin->n - tail)
			continue;
		if (i)
			wd_buf_putc(b, ',');
		put_node(b, &lin->v[i], en, cmdline_cap);
	}
	wd_buf_puts(b, "],\"proctree_truncated\":");
	wd_buf_puts(b, lin->truncated || head + tail < lin->n ? "true" : "false");
	if (lin->reparented) {
		/* The chain as the kernel sees it now, for comparison. */
		wd_buf_puts(b, ",\"kernel_ancestry\":[");
		for (unsigned int i = 0; i < e->depth && i < WD_MAX_DEPTH; i++) {
			if (i)
				wd_buf_putc(b, ',');
			wd_buf_u64(b, e->tree[i].pid);
		}
		wd_buf_putc(b, ']');
	}
}

/* ,"container":{...} of the event's process, when it is in one. */
static void put_container(struct wd_buf *b, const struct wd_connect_event *e,
			  struct wd_enrich *en)
{
	const struct wd_ctr_entry *c;

	if (!en->containers)
		return;
	c = wd_container_entry(en->containers, e->cgroup_id, e->depth ? e->tree[0].pid : 0);
	if (c && c->json)
		wd_buf_put(b, c->json, c->json_len);
}

/* loginuidmap top_level: ,"loginuid":N,"loginname":".." of the process. */
static void put_top_loginuid(struct wd_buf *b, struct wd_enrich *en)
{
	const struct wd_pnode *n = en->lineage->n ? en->lineage->v[0].node : NULL;

	if (!en->loginuid_top || !n || n->loginuid == WD_LOGINUID_UNSET)
		return;
	wd_json_u64(b, "loginuid", n->loginuid);
	put_user(b, "loginname", n->loginuid, en);
}

/* ,"tid","uid","username","comm": the calling thread. */
static void put_caller(struct wd_buf *b, const struct wd_connect_event *e,
		       struct wd_enrich *en)
{
	wd_json_u64(b, "tid", e->tid);
	if (e->uid != WD_UID_UNKNOWN) { /* unknown: neither member */
		wd_json_u64(b, "uid", e->uid);
		put_user(b, "username", e->uid, en);
	}
	wd_json_key(b, "comm", false);
	put_comm(b, e->comm);
}

void wd_format_rule_tags(struct wd_buf *b, const struct wd_enrich *en)
{
	for (size_t i = 0; i < en->nrule_tags; i++) {
		wd_buf_puts(b, i ? "," : ",\"rules\":[");
		wd_json_str(b, en->rule_tags[i], strlen(en->rule_tags[i]));
	}
	if (en->nrule_tags)
		wd_buf_putc(b, ']');
}

/* ,"rules":[tag rules it matched] and a flood summary's ,"repeat_count":.. */
static void put_rules(struct wd_buf *b, const struct wd_enrich *en)
{
	wd_format_rule_tags(b, en);
	if (!en->repeat_count)
		return;
	wd_json_u64(b, "repeat_count", en->repeat_count);
	wd_buf_puts(b, ",\"first_seen\":");
	wd_format_time(b, (int64_t)en->first_ns + en->boot_to_real_ns);
	wd_buf_puts(b, ",\"last_seen\":");
	wd_format_time(b, (int64_t)en->last_ns + en->boot_to_real_ns);
}

static void render(struct wd_buf *b, const struct wd_connect_event *e,
		   struct wd_enrich *en, size_t cmdline_cap, size_t max_nodes)
{
	int family = e->family == AF_INET ? AF_INET : AF_INET6;
	uint32_t pid = e->depth ? e->tree[0].pid : 0;

	wd_buf_puts(b, "{\"timestamp\":");
	wd_format_time(b, (int64_t)e->hdr.ts_ns + en->boot_to_real_ns);
	wd_json_u64(b, "seq", en->seq);
	wd_buf_puts(b, e->hdr.type == WD_EV_LISTEN ? ",\"probe\":\"net_listen\"" :
						   ",\"probe\":\"tcp_connect\"");
	wd_json_u64(b, "pid", pid);
	put_caller(b, e, en);
	wd_buf_puts(b, family == AF_INET ? ",\"family\":\"ipv4\"" : ",\"family\":\"ipv6\"");
	if (e->hdr.type == WD_EV_LISTEN) {
		wd_json_key(b, "laddr", false);
		wd_json_addr(b, family, e->saddr);
		wd_json_u64(b, "port", e->sport);
		wd_buf_puts(b, e->protocol == 17 ? ",\"protocol\":\"udp\"" :
						   ",\"protocol\":\"tcp\"");
		/* (a snapshot cannot see IPV6_V6ONLY in /proc/net) */
		if (!en->snapshot)
			wd_buf_puts(b, e->flags & WD_F_DUAL_STACK ? ",\"dual_stack\":true" :
								  ",\"dual_stack\":false");
		if (e->protocol == 17 && !en->snapshot)
			wd_buf_puts(b, e->flags & WD_F_RANDOM_BIND ? ",\"random_bind\":true" :
								   ",\"random_bind\":false");
		wd_buf_puts(b, en->snapshot ? ",\"snapshot\":true" : ",\"snapshot\":false");
	} else {
		wd_json_key(b, "daddr", false);
		wd_json_addr(b, family, e->daddr);
		wd_json_u64(b, "port", e->dport);
		wd_json_key(b, "saddr", false);
		wd_json_addr(b, family, e->saddr);
		wd_json_u64(b, "sport", e->sport);
		wd_json_key(b, "error", false);
		put_error(b, e->error);
		wd_dns_put_dest_name(b, en->dns, e);
		wd_plugins_put_connect(b, en->plugins, e);
	}
	wd_buf_puts(b, ",\"hook\":\"");
	wd_buf_puts(b, wd_variant_name(e->hdr.variant));
	wd_buf_putc(b, '"');
	wd_json_u64(b, "netns", e->netns);
	wd_json_u64(b, "cgroup_id", e->cgroup_id);
	put_container(b, e, en);
	put_top_loginuid(b, en);
	put_tree(b, e, en, cmdline_cap, max_nodes);
	put_rules(b, en);
	wd_buf_putc(b, '}');
}

typedef void (*render_fn)(struct wd_buf *b, const struct wd_connect_event *e,
			  struct wd_enrich *en, size_t cmdline_cap, size_t max_nodes);

/*
 * Render e from b->len on; if longer than max_bytes (0: no limit), again
 * with cmdlines cut, then with middle ancestors left out, until it fits.
 */
static void render_fit(struct wd_buf *b, const struct wd_connect_event *e,
		       struct wd_enrich *en, size_t max_bytes, render_fn fn)
{
	static const size_t caps[] = { 1024, 256, 64, 16 };
	size_t start = b->len, nodes;

	fn(b, e, en, SIZE_MAX, SIZE_MAX);
	if (!max_bytes || b->len - start <= max_bytes)
		return;
	en->shortened++;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		b->len = start;
		fn(b, e, en, caps[i], SIZE_MAX);
		if (b->len - start <= max_bytes)
			return;
	}
	for (nodes = en->lineage->n; nodes > 2; nodes -= (nodes + 3) / 4) {
		b->len = start;
		fn(b, e, en, caps[3], nodes);
		if (b->len - start <= max_bytes)
			return;
	}
}

void wd_format_connect(struct wd_buf *b, const struct wd_connect_event *e,
		       struct wd_enrich *en)
{
	if (!en->lineage_ready)
		wd_lineage_build(en->ptable, e, en->lineage);
	en->lineage_ready = false;
	en->seq++;
	en->loginuid_top = wd_plugins_loginuid_top(en->plugins, e->hdr.type);
	render_fit(b, e, en, en->max_bytes, render);
}

static void udp_common(struct wd_buf *b, const struct wd_connect_event *e,
		       struct wd_enrich *en, size_t cmdline_cap, size_t max_nodes)
{
	uint32_t pid = e->depth ? e->tree[0].pid : 0;

	wd_buf_puts(b, "\"pid\":");
	wd_buf_u64(b, pid);
	put_caller(b, e, en);
	wd_json_u64(b, "netns", e->netns);
	wd_json_u64(b, "cgroup_id", e->cgroup_id);
	put_container(b, e, en);
	put_top_loginuid(b, en);
	put_tree(b, e, en, cmdline_cap, max_nodes);
}

void wd_format_udp_common(struct wd_buf *b, const struct wd_connect_event *e,
			  struct wd_enrich *en, size_t max_bytes)
{
	wd_lineage_build(en->ptable, e, en->lineage);
	en->loginuid_top = wd_plugins_loginuid_top(en->plugins, e->hdr.type);
	render_fit(b, e, en, max_bytes, udp_common);
}

void wd_format_udp_dest(struct wd_buf *b, int family, const uint8_t *addr,
			uint16_t port, double duration, uint64_t count)
{
	wd_buf_puts(b, "{\"daddr\":");
	wd_json_addr(b, family == AF_INET ? AF_INET : AF_INET6, addr);
	wd_json_u64(b, "port", port);
	wd_buf_printf(b, ",\"duration\":%.3f", duration);
	wd_json_u64(b, "msg_count", count);
	wd_buf_putc(b, '}');
}
