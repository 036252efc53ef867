// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: the strict JSON reader (container/jsonr.c) and what reads the
 * runtimes' answers with it: Docker's inspect, OCI bundle annotations,
 * podman's state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/jsonr.h"
#include "container/runtime.h"

static void walk(const struct wd_cj *j)
{
	for (size_t i = 0; i < j->nt; i++) {
		const struct wd_cj_tok *t = &j->t[i];
		char *s;

		if (t->start + t->len > j->len || t->next <= i || t->next > j->nt)
			__builtin_trap();
		s = wd_cj_strdup(j, (int)i);
		if (s && strlen(s) > t->len)
			__builtin_trap();
		free(s);
		if (t->type == WD_CJ_OBJ)
			(void)wd_cj_get(j, (int)i, "Name");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_container c = { .id = "5a9e9ebcebc7d77dabde786b65c399669f823008e5b78d94312df3f25a43c19c" };
	struct wd_cj j;

	if (wd_cj_parse(&j, (const char *)data, size, 4096, 0) == 0)
		walk(&j);
	wd_cj_free(&j);
	if (wd_cj_parse(&j, (const char *)data, size, 4096, WD_CJ_PREFIX) == 0 && j.end > size)
		__builtin_trap();
	wd_cj_free(&j);
	wd_rt_from_inspect(&c, (const char *)data, size);
	wd_container_clear(&c);
	wd_rt_from_bundle(&c, (const char *)data, size);
	wd_container_clear(&c);
	wd_rt_from_podman_db(&c, (const char *)data, size);
	wd_container_clear(&c);
	return 0;
}
