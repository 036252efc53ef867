// SPDX-License-Identifier: GPL-2.0-only
/* The spool against a plain model: same bytes, same order, whatever the moves. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "output/spool.h"

#define MODEL_MAX (16 << 20)

static char model[MODEL_MAX]; /* every byte ever queued, in order */
static size_t model_head, model_tail;
static size_t model_lens[1 << 16], model_first, model_last, model_part;

static void push(struct wd_spool *q, size_t len, unsigned int tag)
{
	char *p = wd_spool_reserve(q, len + 16);

	cr_assert_not_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (char)(tag + i * 7);
	wd_spool_commit(q, len);
	cr_assert_lt(model_tail + len, sizeof(model));
	memcpy(model + model_tail, p, len);
	model_tail += len;
	model_lens[model_last++] = len;
}

/* The spool's front bytes and counts are the model's. */
static void check(const struct wd_spool *q)
{
	size_t left = model_tail - model_head;

	cr_assert_eq(wd_spool_bytes(q), left);
	cr_assert_eq(wd_spool_count(q), model_last - model_first);
	if (left)
		cr_assert_eq(memcmp(q->buf + q->head, model + model_head, left), 0);
}

static size_t model_consume(size_t n)
{
	size_t done = 0;

	model_head += n;
	while (n) {
		size_t left = model_lens[model_first] - model_part;

		if (n < left) {
			model_part += n;
			break;
		}
		n -= left;
		model_part = 0;
		model_first++;
		done++;
	}
	return done;
}

Test(spool, random_appends_and_consumes_keep_bytes_and_order)
{
	struct wd_spool q = { 0 };
	unsigned int seed = 12345;

	for (int round = 0; round < 5000; round++) {
		unsigned int r = (unsigned int)rand_r(&seed);
		size_t len = r % 3 ? r % 300 + 1 : r % 9000 + 1;

		push(&q, len, r);
		if (r % 5 < 2 && wd_spool_bytes(&q)) { /* a partial write */
			size_t n = (size_t)rand_r(&seed) % wd_spool_bytes(&q) + 1;

			cr_assert_eq(wd_spool_consume(&q, n), model_consume(n));
		} else if (r % 7 == 0 && wd_spool_count(&q)) { /* whole entries (sendmmsg) */
			struct iovec iov[8];
			size_t k = wd_spool_peek(&q, iov, 8);

			cr_assert_eq(iov[0].iov_base, q.buf + q.head);
			cr_assert_eq(iov[0].iov_len, model_lens[model_first] - model_part);
			wd_spool_pop(&q, k);
			for (size_t i = 0; i < k; i++)
				model_head += model_lens[model_first++] - (i ? 0 : model_part);
			model_part = 0;
		}
		check(&q);
	}
	cr_assert_eq(wd_spool_clear(&q), model_last - model_first);
	cr_assert_eq(wd_spool_bytes(&q), 0);
	wd_spool_free(&q);
}

Test(spool, a_drained_backlog_gives_its_memory_back)
{
	struct wd_spool q = { 0 };

	for (int i = 0; i < 20000; i++) {
		char *p = wd_spool_reserve(&q, 500);

		cr_assert_not_null(p);
		memset(p, 'x', 500);
		wd_spool_commit(&q, 500);
	}
	cr_assert_geq(q.cap, 20000 * 500);
	cr_assert_eq(wd_spool_consume(&q, 20000 * 500), 20000);
	cr_assert_null(q.buf, "a 10 MB buffer kept after draining");
	cr_assert_null(q.len);
	cr_assert_eq(wd_spool_count(&q), 0);
	wd_spool_free(&q);
}

Test(spool, entries_over_32_bits_are_refused)
{
	struct wd_spool q = { 0 };

	cr_assert_null(wd_spool_reserve(&q, (size_t)UINT32_MAX + 1));
	wd_spool_free(&q);
}
