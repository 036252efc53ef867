/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DNS answers in the data path: a WD_EV_DNS record is checked, parsed
 * (parse.c) and its addresses cached (cache.c); connect events and UDP
 * destinations get the name behind their address; the optional dns probe
 * writes one event per answer.
 */
#ifndef WD_DNS_H
#define WD_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/filter.h"
#include "dns/cache.h"
#include "dns/parse.h"
#include "output/format.h"
#include "output/json.h"
#include "wd_abi.h"

struct wd_dns {
	struct wd_dns_cache cache;
	struct wd_dns_answer answer;   /* the last answer parsed */
	struct wd_connect_event proc;  /* scratch: the receiver, for its ancestry */
	uint64_t answers;   /* answers parsed, their addresses cached */
	uint64_t malformed; /* answers that broke a bound: ignored */
	uint64_t ignored;   /* other messages from port 53 (not A/AAAA answers) */
	uint64_t cut;       /* answers longer than the capture (or TC): the
			     * records after the cut are unknown */
	struct wd_filter_maps filters; /* the dns probe's, as tcp_connect's slot */
	struct wd_ptable *ptable; /* ancestors beyond the kernel's chain (or NULL) */
};

int wd_dns_init(struct wd_dns *d, size_t max_entries, size_t max_bytes);
void wd_dns_free(struct wd_dns *d);

/* Is data[0..size) a well-formed WD_EV_DNS record? 0 or -EBADMSG. */
int wd_dns_event_check(const void *data, size_t size);

/*
 * A checked WD_EV_DNS record: parse it, cache its addresses. 0 when
 * d->answer holds a new answer; -ENOMSG or -EBADMSG (counted) otherwise.
 */
int wd_dns_on_record(struct wd_dns *d, const struct wd_dns_event *ev);

/*
 * ,"dest_name":"...","dest_name_by":"self"|"host" when the cache names e's
 * destination in e's network namespace; nothing otherwise. "self": the
 * receiver is in e's chain, or (d->ptable) an original ancestor of it.
 */
void wd_dns_put_dest_name(struct wd_buf *b, struct wd_dns *d,
			  const struct wd_connect_event *e);

/*
 * The dns probe's filters (pc: cfg->dns), compiled with tcp_connect's
 * machinery. 0, or -errno (err says why; the old filters stay).
 */
int wd_dns_set_filters(struct wd_dns *d, const struct wd_probe_config *pc,
		       char *err, size_t errlen);
/*
 * Does the dns probe report d->answer? Unless every address (with port 53)
 * is dropped by its filters; an answer without addresses is reported.
 */
bool wd_dns_reported(const struct wd_dns *d);

/* The dns probe's event for ev, whose answer d->answer holds. */
void wd_dns_format(struct wd_buf *b, struct wd_dns *d, const struct wd_dns_event *ev,
		   struct wd_enrich *en);

#endif
