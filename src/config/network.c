// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "config/network.h"
#include "wd_filter.h"

int wd_net_parse(const char *s, struct wd_net_filter *f, bool *cidr)
{
	const char *slash = strchr(s, '/');
	char addr[INET6_ADDRSTRLEN + 1];
	unsigned long plen;
	size_t alen;
	char *end;

	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	memset(f->addr, 0, sizeof(f->addr));
	if (inet_pton(AF_INET, addr, f->addr) == 1)
		f->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, f->addr) == 1)
		f->family = AF_INET6;
	else
		return -EINVAL;
	plen = f->family == AF_INET ? 32 : 128;
	*cidr = slash != NULL;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end ||
		    plen > (f->family == AF_INET ? 32u : 128u))
			return -ERANGE;
	}
	f->prefixlen = (uint8_t)plen;
	return 0;
}

int wd_net_mask_prefix(const char *s)
{
	struct in_addr a;
	uint32_t m;
	int len = 0;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	m = ntohl(a.s_addr);
	while (len < 32 && (m & (1u << (31 - len))))
		len++;
	/* Contiguous: nothing but the len leading ones. */
	if (m != (uint32_t)(0xffffffffull << (32 - len)))
		return -1;
	return len;
}

void wd_net_unmap_v4(struct wd_net_filter *f)
{
	if (f->family != AF_INET6 || f->prefixlen < 96 || !wd_is_v4mapped(f->addr))
		return;
	memmove(f->addr, f->addr + 12, 4);
	memset(f->addr + 4, 0, 12);
	f->family = AF_INET;
	f->prefixlen -= 96;
}

bool wd_net_clear_host_bits(struct wd_net_filter *f)
{
	unsigned int bits = f->family == AF_INET ? 32 : 128;
	bool had = false;

	for (unsigned int i = f->prefixlen; i < bits; i++) {
		uint8_t bit = (uint8_t)(0x80 >> (i % 8));

		if (f->addr[i / 8] & bit) {
			had = true;
			f->addr[i / 8] &= (uint8_t)~bit;
		}
	}
	return had;
}
