// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: DNS answers through the strict parser, then into a small cache
 * (bounded, so eviction runs too) and out as dest_name JSON.
 *
 * Input: one byte of settings (bit 0: the capture was cut, the wire had
 * more; bits 1-3: netns), then the UDP payload. A parsed answer must hold
 * only printable, NUL-terminated names within their buffers, each address
 * must then be found in the cache, and the JSON must have no raw control
 * byte.
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/cache.h"
#include "dns/dns.h"
#include "dns/parse.h"

static struct wd_dns_answer a;
static struct wd_dns_cache cache;
static struct wd_buf buf;
static uint64_t now;

static void check_name(const char *s)
{
	size_t n = strnlen(s, WD_DNS_NAME_LEN);

	if (n == WD_DNS_NAME_LEN)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			__builtin_trap();
}

static void check_json(const struct wd_buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)b->p[i] < 0x20)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_dns d = { 0 };
	struct wd_connect_event e = { 0 };
	uint32_t netns;
	int err;

	if (!size)
		return 0;
	if (!cache.bucket && wd_dns_cache_init(&cache, 8, 4096))
		__builtin_trap();
	netns = (data[0] >> 1) & 7;
	err = wd_dns_parse(data + 1, size - 1, size - 1 + (data[0] & 1), &a);
	if (err)
		return 0;
	check_name(a.qname);
	if (a.nchain > WD_DNS_CHAIN_MAX || a.naddrs > WD_DNS_ADDRS_MAX)
		__builtin_trap();
	for (size_t i = 0; i < a.nchain; i++)
		check_name(a.chain[i]);
	now += 1000000000ull;
	wd_dns_cache_add(&cache, netns, 1, 1, now, &a);
	if (cache.count > cache.max_entries || cache.bytes > cache.max_bytes)
		__builtin_trap();
	d.cache = cache; /* (borrowed for the lookup, given back) */
	for (size_t i = 0; i < a.naddrs; i++) {
		e.hdr.ts_ns = now;
		e.netns = netns;
		e.family = (uint16_t)a.addrs[i].family;
		memcpy(e.daddr, a.addrs[i].addr, 16);
		wd_buf_reset(&buf);
		wd_dns_put_dest_name(&buf, &d, &e);
		check_json(&buf);
	}
	cache = d.cache;
	return 0;
}
