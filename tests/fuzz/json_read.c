// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer: the strict JSON reader (util/json_read.c) on any bytes, the
 * lookups --test-rules makes with it, and what reads the container
 * runtimes' answers with it: Docker's inspect, OCI bundle annotations,
 * podman's state. What it accepts must be a well-formed token tree; what
 * it refuses must say why.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/runtime.h"
#include "util/json_read.h"

static void check_tok(const struct wd_jr *j, size_t i)
{
	const struct wd_jr_tok *t = &j->t[i];
	const char *s;
	double v;

	if (t->start + t->len > j->len || t->next <= i || t->next > j->nt)
		__builtin_trap();
	if (t->type == WD_JR_STR && (t->dlen > t->len || t->dec + t->dlen >= j->alen ||
				     j->arena[t->dec + t->dlen] != '\0'))
		__builtin_trap();
	s = wd_jr_str(j, (int)i);
	if (s && (strlen(s) != t->dlen || !wd_jr_streq(j, (int)i, s)))
		__builtin_trap();
	if ((t->type == WD_JR_NUM) != wd_jr_num(j, (int)i, &v))
		__builtin_trap();
}

/* Children link forward, inside their container, and count as it says. */
static void check_children(const struct wd_jr *j, int c)
{
	uint32_t n = 0;
	int prev = c;

	for (int i = wd_jr_first(j, c); i >= 0; i = wd_jr_next(j, c, i), n++) {
		if (i <= prev || (uint32_t)i >= j->t[c].next)
			__builtin_trap();
		if (j->t[c].type == WD_JR_OBJ && j->t[i].type != WD_JR_STR)
			__builtin_trap(); /* a member's key */
		prev = i;
	}
	if (n != j->t[c].n)
		__builtin_trap();
}

/* What --test-rules looks up in an event. */
static void rules_lookups(const struct wd_jr *j)
{
	static const char *const labels[] = { "container", "labels", NULL };
	int tree = wd_jr_get(j, 0, "proctree"), l = wd_jr_path(j, 0, labels);
	double v;

	(void)wd_jr_streq(j, wd_jr_get(j, 0, "probe"), "agent");
	(void)wd_jr_num(j, wd_jr_get(j, 0, "uid"), &v);
	for (int i = wd_jr_first(j, tree); i >= 0; i = wd_jr_next(j, tree, i))
		(void)wd_jr_str(j, wd_jr_get(j, i, "exe"));
	for (int i = wd_jr_first(j, l); i >= 0; i = wd_jr_next(j, l, i))
		(void)wd_jr_str(j, i + 1);
}

static void reader(const uint8_t *data, size_t size)
{
	struct wd_jr j;
	int err = wd_jr_parse(&j, (const char *)data, size, 4096, 0);

	if (!err) {
		for (size_t i = 0; i < j.nt; i++) {
			check_tok(&j, i);
			if (j.t[i].type == WD_JR_OBJ || j.t[i].type == WD_JR_ARR)
				check_children(&j, (int)i);
		}
		if (j.t[0].next != j.nt || j.end > size)
			__builtin_trap(); /* the root's subtree is every token */
		rules_lookups(&j);
	} else if ((err == -EINVAL || err == -E2BIG) &&
		   (!memchr(j.err, '\0', sizeof(j.err)) || strncmp(j.err, "byte ", 5))) {
		__builtin_trap(); /* the error names the byte */
	}
	wd_jr_free(&j);
	if (wd_jr_parse(&j, (const char *)data, size, 4096, WD_JR_PREFIX) == 0 && j.end > size)
		__builtin_trap();
	wd_jr_free(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_container c = {
		.id = "5a9e9ebcebc7d77dabde786b65c399669f823008e5b78d94312df3f25a43c19c"
	};

	reader(data, size);
	wd_rt_from_inspect(&c, (const char *)data, size);
	wd_container_clear(&c);
	wd_rt_from_bundle(&c, (const char *)data, size);
	wd_container_clear(&c);
	wd_rt_from_podman_db(&c, (const char *)data, size);
	wd_container_clear(&c);
	return 0;
}
