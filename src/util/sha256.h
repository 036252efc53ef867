/* SPDX-License-Identifier: GPL-2.0-only */
/* SHA-256 (FIPS 180-4): names a configuration in agent records. */
#ifndef WD_SHA256_H
#define WD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define WD_SHA256_HEX_LEN 65 /* 64 hex digits and a NUL */

struct wd_sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	uint8_t block[64];
	size_t fill;
};

void wd_sha256_init(struct wd_sha256 *c);
void wd_sha256_update(struct wd_sha256 *c, const void *data, size_t len);
void wd_sha256_final(struct wd_sha256 *c, uint8_t digest[32]);
/* The digest of data[0..len) as lower-case hex. */
void wd_sha256_hex(const void *data, size_t len, char hex[WD_SHA256_HEX_LEN]);

#endif
