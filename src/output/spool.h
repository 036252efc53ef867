/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The sink's queue: entries (the exact bytes of one line or datagram) in
 * order, in one growing buffer plus an array of their lengths. Entries leave
 * from the front only, whole (wd_spool_pop) or byte by byte
 * (wd_spool_consume, for partial writes). Appending costs no allocation
 * once the buffers have grown; they are given back when the spool drains
 * after having grown past what a normal batch needs.
 */
#ifndef WD_SPOOL_H
#define WD_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct wd_spool {
	char *buf;      /* the entries' bytes are buf[head, tail) */
	size_t head, tail, cap;
	uint32_t *len;  /* entry lengths are len[first, last) */
	size_t first, last, lcap;
	size_t part;    /* bytes of the first entry already consumed */
};

/* Entries queued, and their bytes (what is left of them). */
static inline size_t wd_spool_count(const struct wd_spool *q)
{
	return q->last - q->first;
}

static inline size_t wd_spool_bytes(const struct wd_spool *q)
{
	return q->tail - q->head;
}

/*
 * Room for an entry of up to max bytes at the end: where to write it, then
 * wd_spool_commit() its real length. NULL when out of memory (or max does
 * not fit in 32 bits).
 */
char *wd_spool_reserve(struct wd_spool *q, size_t max);
void wd_spool_commit(struct wd_spool *q, size_t len);
/* Up to n whole entries from the front (none partly consumed) as iovecs. */
size_t wd_spool_peek(const struct wd_spool *q, struct iovec *iov, size_t n);
/* n bytes written from the front: returns how many entries that completed. */
size_t wd_spool_consume(struct wd_spool *q, size_t n);
/* Remove n whole entries from the front (n <= wd_spool_count()). */
void wd_spool_pop(struct wd_spool *q, size_t n);
/* Remove every entry; returns how many there were. */
size_t wd_spool_clear(struct wd_spool *q);
void wd_spool_free(struct wd_spool *q);

#endif
