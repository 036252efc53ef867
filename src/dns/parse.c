// SPDX-License-Identifier: GPL-2.0-only
/*
 * Strict DNS answer parsing (see parse.h). Only the header, the question
 * and the answer section are read; authority and additional records are
 * not needed for a name behind an address.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/parse.h"

#define DNS_HDR 12
#define T_A 1
#define T_CNAME 5
#define T_AAAA 28
#define C_IN 1

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Append one label, lower-case, escaped; n is where out ends. */
static void put_label(char *out, size_t *n, const uint8_t *l, size_t len)
{
	static const char hex[] = "0123456789";

	if (*n)
		out[(*n)++] = '.';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = l[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 'a' - 'A');
		if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
			out[(*n)++] = (char)c;
			continue;
		}
		out[(*n)++] = '\\';
		out[(*n)++] = hex[c / 100];
		out[(*n)++] = hex[c / 10 % 10];
		out[(*n)++] = hex[c % 10];
	}
	out[*n] = '\0';
}

int wd_dns_read_name(const uint8_t *msg, size_t len, size_t *off, char *out)
{
	size_t pos = *off, wire = 1, n = 0, end = 0;
	unsigned int hops = 0;

	out[0] = '\0';
	for (;;) {
		uint8_t c;

		if (pos >= len) /* (only forward reads get here: the message ended) */
			return -ENODATA;
		c = msg[pos];
		if (c == 0) {
			*off = end ? end : pos + 1;
			return 0;
		}
		if ((c & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= len)
				return -ENODATA;
			if (++hops > WD_DNS_HOPS)
				return -EBADMSG;
			to = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (to >= pos) /* only backwards: no loop, no forward reference */
				return -EBADMSG;
			if (!end)
				end = pos + 2;
			pos = to;
			continue;
		}
		if (c & 0xc0) /* 01 and 10: extended label types, obsolete */
			return -EBADMSG;
		wire += 1u + c;
		if (wire > 255)
			return -EBADMSG;
		if (pos + 1 + c > len)
			return -ENODATA;
		put_label(out, &n, msg + pos + 1, c);
		pos += 1u + c;
	}
}

/* One resource record's fixed part, past its owner name. */
struct rr {
	char owner[WD_DNS_NAME_LEN];
	uint16_t type, class;
	uint32_t ttl;
	size_t rdata, rdlen;
};

/* 0; -EBADMSG malformed; -ENODATA the message ends inside it. */
static int read_rr(const uint8_t *msg, size_t len, size_t *off, struct rr *r)
{
	size_t p = *off;
	int err = wd_dns_read_name(msg, len, &p, r->owner);

	if (err)
		return err;
	if (len - p < 10)
		return -ENODATA;
	r->type = be16(msg + p);
	r->class = be16(msg + p + 2);
	r->ttl = be32(msg + p + 4);
	if (r->ttl > 0x7fffffffu) /* RFC 2181 §8: read as zero */
		r->ttl = 0;
	r->rdlen = be16(msg + p + 8);
	r->rdata = p + 10;
	if (r->rdlen > len - r->rdata)
		return -ENODATA;
	*off = r->rdata + r->rdlen;
	return 0;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* The name the chain has reached: the last CNAME target, or the question. */
static const char *tail(const struct wd_dns_answer *a)
{
	return a->nchain ? a->chain[a->nchain - 1] : a->qname;
}

/* Use one answer record: extend the chain, or add an address. */
static int use_rr(const uint8_t *msg, const struct rr *r,
		  struct wd_dns_answer *a, uint32_t *chain_ttl)
{
	struct wd_dns_addr *d;
	size_t p = r->rdata;

	if (r->class != C_IN || strcmp(r->owner, tail(a)))
		return 0; /* not on the chain from the question */
	if (r->type == T_CNAME) {
		if (a->nchain == WD_DNS_CHAIN_MAX)
			return -EBADMSG;
		/* (the target must end inside the rdata) */
		if (wd_dns_read_name(msg, r->rdata + r->rdlen, &p, a->chain[a->nchain]) ||
		    p != r->rdata + r->rdlen)
			return -EBADMSG;
		a->nchain++;
		*chain_ttl = min32(*chain_ttl, r->ttl);
		return 0;
	}
	if (r->type != a->qtype)
		return 0;
	if (r->rdlen != (r->type == T_A ? 4u : 16u))
		return -EBADMSG;
	if (a->naddrs == WD_DNS_ADDRS_MAX)
		return 0; /* (kept: the first ones) */
	d = &a->addrs[a->naddrs++];
	memset(d, 0, sizeof(*d));
	d->family = r->type == T_A ? AF_INET : AF_INET6;
	memcpy(d->addr, msg + r->rdata, r->rdlen);
	d->ttl = min32(*chain_ttl, r->ttl);
	return 0;
}

/* Header and question; *off past them. */
static int read_question(const uint8_t *msg, size_t len, size_t *off,
			 struct wd_dns_answer *a)
{
	uint16_t flags;

	if (len < DNS_HDR)
		return -EBADMSG;
	a->id = be16(msg);
	flags = be16(msg + 2);
	if (!(flags & 0x8000) || (flags >> 11 & 0xf) != 0)
		return -ENOMSG; /* a query, or not a standard query's answer */
	if (be16(msg + 4) != 1)
		return be16(msg + 4) ? -EBADMSG : -ENOMSG;
	a->cut = a->cut || (flags & 0x0200); /* TC */
	*off = DNS_HDR;
	if (wd_dns_read_name(msg, len, off, a->qname) || len - *off < 4)
		return -EBADMSG; /* (even cut: 512 bytes hold any question) */
	a->qtype = be16(msg + *off);
	*off += 4;
	if (be16(msg + *off - 2) != C_IN || (a->qtype != T_A && a->qtype != T_AAAA))
		return -ENOMSG;
	if (!a->qname[0])
		return -EBADMSG; /* the root has no address */
	return 0;
}

int wd_dns_parse(const uint8_t *msg, size_t len, size_t wire_len,
		 struct wd_dns_answer *a)
{
	uint32_t chain_ttl = UINT32_MAX;
	struct rr r;
	size_t off;
	unsigned int an;
	int err;

	memset(a, 0, offsetof(struct wd_dns_answer, qname));
	a->nchain = a->naddrs = 0;
	a->cut = wire_len > len;
	err = read_question(msg, len, &off, a);
	if (err)
		return err;
	an = be16(msg + 6);
	for (unsigned int i = 0; i < an; i++) {
		err = read_rr(msg, len, &off, &r);
		if (err == -ENODATA && a->cut)
			break; /* the records before the cut stand */
		if (err)
			return -EBADMSG;
		err = use_rr(msg, &r, a, &chain_ttl);
		if (err)
			return err;
	}
	return 0;
}
