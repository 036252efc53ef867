/* SPDX-License-Identifier: GPL-2.0-only */
/* The network of a filter: address, CIDR prefix or dotted mask, host bits. */
#ifndef WD_CONFIG_NETWORK_H
#define WD_CONFIG_NETWORK_H

#include <stdbool.h>

#include "config/config.h"

/*
 * "10.0.0.0", "10.0.0.0/8", "2001:db8::/32", "::1" -> f's family, addr and
 * prefixlen (a bare address is one host); *cidr tells whether a "/N" was
 * given. -EINVAL when s is not an IPv4 or IPv6 address, -ERANGE (family
 * set) when the prefix length is not 0-32 or 0-128.
 */
int wd_net_parse(const char *s, struct wd_net_filter *f, bool *cidr);
/* "255.240.0.0" -> 12; -1 when s is not a contiguous IPv4 mask. */
int wd_net_mask_prefix(const char *s);
/* ::ffff:a.b.c.d/N with N >= 96 becomes the IPv4 network a.b.c.d/(N - 96). */
void wd_net_unmap_v4(struct wd_net_filter *f);
/* Clear the bits past f's prefix; true if any were set. */
bool wd_net_clear_host_bits(struct wd_net_filter *f);

#endif
