/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DNS answers (RFC 1035 §4.1) -> the name asked, its CNAME chain and its
 * addresses. Strict: every read is inside the message; compression
 * pointers go only backwards, at most WD_DNS_HOPS of them per name; a
 * label is at most 63 bytes and a name at most 255 on the wire. Names are
 * written lower-case, dotted, without the final dot; a byte that is not
 * printable ASCII, a '.' or a '\' inside a label is written as \DDD (as
 * dig does), so a name is one unambiguous string.
 */
#ifndef WD_DNS_PARSE_H
#define WD_DNS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WD_DNS_HOPS 16        /* compression pointers followed per name */
#define WD_DNS_NAME_LEN 1024  /* a 255-byte wire name, escaped, fits with NUL */
#define WD_DNS_CHAIN_MAX 8    /* CNAMEs followed from the name asked */
#define WD_DNS_ADDRS_MAX 32   /* addresses kept per answer */

struct wd_dns_addr {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	uint32_t ttl;     /* the smallest TTL on the way: CNAMEs and the record */
};

struct wd_dns_answer {
	uint16_t id;
	uint16_t qtype;   /* 1 (A) or 28 (AAAA) */
	bool cut;         /* the message ended early (cut by the capture, or
			   * TC set): the records before the cut are kept */
	char qname[WD_DNS_NAME_LEN];
	char chain[WD_DNS_CHAIN_MAX][WD_DNS_NAME_LEN]; /* CNAME targets, in order */
	size_t nchain;
	struct wd_dns_addr addrs[WD_DNS_ADDRS_MAX];
	size_t naddrs;
};

/*
 * Parse msg[0..len), the first len bytes of a wire_len-byte UDP payload.
 * 0: an answer to an A or AAAA question of class IN (naddrs may be 0:
 * NXDOMAIN, NODATA); -ENOMSG: a well-formed message of no interest (a
 * query, another type or opcode, no question); -EBADMSG: malformed (any
 * bound broken; nothing of it is to be used).
 */
int wd_dns_parse(const uint8_t *msg, size_t len, size_t wire_len,
		 struct wd_dns_answer *out);

/*
 * Read the name at *off of msg[0..len) into out (WD_DNS_NAME_LEN bytes);
 * *off moves past it (past the first pointer when compressed). 0,
 * -ENODATA (the message ends inside it) or -EBADMSG (a bound broken).
 */
int wd_dns_read_name(const uint8_t *msg, size_t len, size_t *off, char *out);

#endif
