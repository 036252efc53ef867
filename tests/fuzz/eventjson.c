// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: the strict JSON reader of --test-rules (rules/jsonread.c) on
 * any bytes; what it accepts must be a well-formed tree.
 */
#include <stdint.h>
#include <string.h>

#include "rules/jsonread.h"

static void check(const struct wd_jr_doc *d, size_t size)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct wd_jr_node *n = &d->v[i];

		/* links point forward, inside the tree */
		if ((n->child >= 0 && ((size_t)n->child <= i || (size_t)n->child >= d->n)) ||
		    (n->next >= 0 && ((size_t)n->next <= i || (size_t)n->next >= d->n)))
			__builtin_trap();
		if (n->type == WD_JR_STR && (n->len > size || n->str[n->len] != '\0'))
			__builtin_trap();
		if (n->key && strlen(n->key) > size)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_jr_doc d;
	char err[128];

	if (wd_jr_parse(&d, (const char *)data, size, err, sizeof(err)) == 0) {
		check(&d, size);
		wd_jr_str(&d, &d.v[0], "probe");
		wd_jr_get(&d, wd_jr_get(&d, &d.v[0], "container"), "labels");
	} else if (!memchr(err, '\0', sizeof(err))) {
		__builtin_trap();
	}
	wd_jr_free(&d);
	return 0;
}
