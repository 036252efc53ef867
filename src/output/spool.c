// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "output/spool.h"

#define SPOOL_MIN_BYTES (64 * 1024)
#define SPOOL_MIN_LINES 256
/* Kept when the spool drains: what normal batches need (64 KiB, 64 datagrams). */
#define SPOOL_KEEP_BYTES (1024 * 1024)
#define SPOOL_KEEP_LINES 16384

/* Room for one more length; entries leave from the front, so slide first. */
static int lines_reserve(struct wd_spool *q)
{
	size_t n = wd_spool_count(q), cap;
	uint32_t *p;

	if (q->last < q->lcap)
		return 0;
	if (q->first >= q->lcap / 2 && q->first > 0) {
		memmove(q->len, q->len + q->first, n * sizeof(*q->len));
		q->first = 0;
		q->last = n;
		return 0;
	}
	cap = q->lcap ? q->lcap * 2 : SPOOL_MIN_LINES;
	p = realloc(q->len, cap * sizeof(*p));
	if (!p)
		return -1;
	q->len = p;
	q->lcap = cap;
	return 0;
}

/* The entries moved to the start of the buffer. */
static void bytes_slide(struct wd_spool *q)
{
	size_t used = wd_spool_bytes(q);

	memmove(q->buf, q->buf + q->head, used);
	q->head = 0;
	q->tail = used;
}

/*
 * Room for max more bytes. Sliding moves at most what has left since the
 * last slide (head >= cap / 2), so appends stay amortised O(1).
 */
static int bytes_reserve(struct wd_spool *q, size_t max)
{
	size_t used = wd_spool_bytes(q), cap;
	char *p;

	if (q->tail + max <= q->cap)
		return 0;
	if (q->head >= q->cap / 2 && used + max <= q->cap) {
		bytes_slide(q);
		return 0;
	}
	cap = q->cap ? q->cap * 2 : SPOOL_MIN_BYTES;
	while (cap < used + max) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	if (q->head > 0)
		bytes_slide(q);
	p = realloc(q->buf, cap);
	if (!p)
		return -1;
	q->buf = p;
	q->cap = cap;
	return 0;
}

char *wd_spool_reserve(struct wd_spool *q, size_t max)
{
	if (max > UINT32_MAX || lines_reserve(q) || bytes_reserve(q, max))
		return NULL;
	return q->buf + q->tail;
}

void wd_spool_commit(struct wd_spool *q, size_t len)
{
	q->len[q->last++] = (uint32_t)len;
	q->tail += len;
}

size_t wd_spool_peek(const struct wd_spool *q, struct iovec *iov, size_t n)
{
	size_t off = q->head, i;

	for (i = 0; i < n && q->first + i < q->last; i++) {
		size_t len = q->len[q->first + i] - (i ? 0 : q->part);

		iov[i] = (struct iovec){ q->buf + off, len };
		off += len;
	}
	return i;
}

/* Drained: start again at the front; give back buffers a backlog grew. */
static void spool_reset(struct wd_spool *q)
{
	q->head = q->tail = 0;
	q->first = q->last = 0;
	q->part = 0;
	if (q->cap > SPOOL_KEEP_BYTES) {
		free(q->buf);
		q->buf = NULL;
		q->cap = 0;
	}
	if (q->lcap > SPOOL_KEEP_LINES) {
		free(q->len);
		q->len = NULL;
		q->lcap = 0;
	}
}

size_t wd_spool_consume(struct wd_spool *q, size_t n)
{
	size_t done = 0;

	q->head += n;
	while (n > 0) {
		size_t left = q->len[q->first] - q->part;

		if (n < left) {
			q->part += n;
			break;
		}
		n -= left;
		q->part = 0;
		q->first++;
		done++;
	}
	if (q->first == q->last)
		spool_reset(q);
	return done;
}

void wd_spool_pop(struct wd_spool *q, size_t n)
{
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		q->head += q->len[q->first + i];
	q->head -= q->part;
	q->part = 0;
	q->first += n;
	if (q->first == q->last)
		spool_reset(q);
}

size_t wd_spool_clear(struct wd_spool *q)
{
	size_t n = wd_spool_count(q);

	spool_reset(q);
	return n;
}

void wd_spool_free(struct wd_spool *q)
{
	free(q->buf);
	free(q->len);
	*q = (struct wd_spool){ 0 };
}
