// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"
#include "proc/ptable.h"

/* Bytes kept free at the end of a dns event (the members after the lists). */
#define DNS_TAIL_BYTES 160

int wd_dns_init(struct wd_dns *d, size_t max_entries, size_t max_bytes)
{
	memset(d, 0, sizeof(*d));
	return wd_dns_cache_init(&d->cache, max_entries, max_bytes);
}

void wd_dns_free(struct wd_dns *d)
{
	wd_dns_cache_free(&d->cache);
	wd_filter_maps_free(&d->filters);
}

int wd_dns_set_filters(struct wd_dns *d, const struct wd_probe_config *pc,
		       char *err, size_t errlen)
{
	struct wd_config only = { .tcp_connect = *pc }; /* (borrowed, not freed) */
	struct wd_filter_maps m;
	int ret = wd_filter_compile(&only, &m, err, errlen);

	if (ret)
		return ret;
	wd_filter_maps_free(&d->filters);
	d->filters = m;
	return 0;
}

bool wd_dns_reported(const struct wd_dns *d)
{
	const struct wd_dns_answer *a = &d->answer;

	for (size_t i = 0; i < a->naddrs; i++)
		if (!wd_filter_drops(&d->filters, WD_PROBE_TCP_CONNECT, a->addrs[i].family,
				     a->addrs[i].addr, 53))
			return true;
	return a->naddrs == 0;
}

int wd_dns_event_check(const void *data, size_t size)
{
	const struct wd_dns_event *ev = data;

	if (size < WD_DNS_EVENT_FIXED || ev->hdr.size > size ||
	    ev->hdr.size < WD_DNS_EVENT_FIXED || ev->len > WD_DNS_MAX ||
	    ev->hdr.size < WD_DNS_EVENT_FIXED + ev->len || ev->wire_len < ev->len ||
	    (ev->family != AF_INET && ev->family != AF_INET6))
		return -EBADMSG;
	return 0;
}

int wd_dns_on_record(struct wd_dns *d, const struct wd_dns_event *ev)
{
	int err = wd_dns_parse(ev->data, ev->len, ev->wire_len, &d->answer);

	if (err == -ENOMSG) {
		d->ignored++;
		return err;
	}
	if (err) {
		d->malformed++;
		return -EBADMSG;
	}
	d->answers++;
	if (d->answer.cut)
		d->cut++;
	wd_dns_cache_add(&d->cache, ev->netns, ev->pid, ev->start_ns, ev->hdr.ts_ns,
			 &d->answer);
	return 0;
}

/*
 * Did an ancestor beyond the kernel's chain receive n? The kernel may send
 * only the caller and its parent: the table knows the rest.
 */
static bool ancestor_received(struct wd_dns *d, const struct wd_connect_event *e,
			      const struct wd_dns_entry *n)
{
	struct wd_pnode *p = NULL;

	if (!d->ptable)
		return false;
	for (int i = (int)(e->depth < WD_MAX_DEPTH ? e->depth : WD_MAX_DEPTH) - 1;
	     i >= 0 && !p; i--)
		p = wd_ptable_find(d->ptable, e->tree[i].pid, e->tree[i].start_ns);
	for (int hops = 0; p && hops < WD_LINEAGE_MAX; hops++, p = p->parent)
		if (p->pid == n->pid && wd_ptable_same_start(d->ptable, p, n->start_ns))
			return true;
	return false;
}

void wd_dns_put_dest_name(struct wd_buf *b, struct wd_dns *d,
			  const struct wd_connect_event *e)
{
	const struct wd_dns_entry *n;
	bool self;

	if (!d)
		return;
	n = wd_dns_name_of(&d->cache, e, &self);
	if (!n)
		return;
	if (!self)
		self = ancestor_received(d, e, n);
	wd_json_key(b, "dest_name", false);
	wd_json_str(b, n->name, strlen(n->name));
	wd_buf_puts(b, self ? ",\"dest_name_by\":\"self\"" : ",\"dest_name_by\":\"host\"");
}

/* The receiver as a connect-shaped record: its ancestry comes from the table. */
static void receiver(struct wd_dns *d, const struct wd_dns_event *ev, struct wd_enrich *en)
{
	struct wd_connect_event *p = &d->proc;
	const struct wd_pnode *n = wd_ptable_lookup(en->ptable, ev->pid, ev->start_ns);

	memset(p, 0, WD_CONNECT_EVENT_FIXED + sizeof(p->tree[0]));
	p->hdr = ev->hdr;
	p->netns = ev->netns;
	p->cgroup_id = ev->cgroup_id;
	p->tid = ev->pid;
	p->uid = ev->uid;
	p->family = ev->family;
	p->depth = 1;
	p->tree[0].pid = ev->pid;
	p->tree[0].start_ns = ev->start_ns;
	p->tree[0].uid = ev->uid;
	if (n) {
		p->tree[0].ppid = n->ppid;
		memcpy(p->tree[0].comm, n->comm, WD_COMM_LEN);
	}
	memcpy(p->comm, p->tree[0].comm, WD_COMM_LEN);
}

/* ,"addresses":[...],"cname_chain":[...]: what fits in max (0: all). */
static void put_lists(struct wd_buf *b, const struct wd_dns_answer *a, size_t start,
		      size_t max, bool *cut)
{
	size_t mark, i;

	wd_buf_puts(b, ",\"addresses\":[");
	for (i = 0; i < a->naddrs; i++) {
		mark = b->len;
		if (i)
			wd_buf_putc(b, ',');
		wd_json_addr(b, a->addrs[i].family, a->addrs[i].addr);
		if (max && b->len - start + DNS_TAIL_BYTES > max) {
			b->len = mark;
			*cut = true;
			break;
		}
	}
	wd_buf_puts(b, "],\"cname_chain\":[");
	for (i = 0; i < a->nchain; i++) {
		mark = b->len;
		if (i)
			wd_buf_putc(b, ',');
		wd_json_str(b, a->chain[i], strlen(a->chain[i]));
		if (max && b->len - start + DNS_TAIL_BYTES > max) {
			b->len = mark;
			*cut = true;
			break;
		}
	}
	wd_buf_putc(b, ']');
}

void wd_dns_format(struct wd_buf *b, struct wd_dns *d, const struct wd_dns_event *ev,
		   struct wd_enrich *en)
{
	const struct wd_dns_answer *a = &d->answer;
	size_t start = b->len, max = en->max_bytes;
	uint32_t ttl = UINT32_MAX;
	bool cut = false;

	receiver(d, ev, en);
	en->seq++;
	wd_buf_puts(b, "{\"timestamp\":");
	wd_format_time(b, (int64_t)ev->hdr.ts_ns + en->boot_to_real_ns);
	wd_json_u64(b, "seq", en->seq);
	wd_buf_puts(b, ",\"probe\":\"dns\",");
	/* the process part takes at most half: the name and lists need room */
	wd_format_udp_common(b, &d->proc, en, max / 2);
	wd_json_key(b, "name", false);
	wd_json_str(b, a->qname, strlen(a->qname));
	wd_buf_puts(b, a->qtype == 1 ? ",\"type\":\"A\"" : ",\"type\":\"AAAA\"");
	put_lists(b, a, start, max, &cut);
	for (size_t i = 0; i < a->naddrs; i++)
		ttl = a->addrs[i].ttl < ttl ? a->addrs[i].ttl : ttl;
	if (a->naddrs)
		wd_json_u64(b, "ttl", ttl);
	wd_json_key(b, "server", false);
	wd_json_addr(b, ev->family, ev->saddr);
	if (a->cut)
		wd_buf_puts(b, ",\"answer_cut\":true");
	if (cut)
		wd_buf_puts(b, ",\"lists_truncated\":true");
	wd_buf_putc(b, '}');
}
