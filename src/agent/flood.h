/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Flood control in userland (agent.repeat_limit; the kernel half is
 * bpf/lib/flood.h): at the end of each window, at stop and when a process
 * with suppressed connects exits, take the kernel's keys and write one
 * summary event per process and destination with "repeat_count" (exactly
 * the connects not written), "first_seen" and "last_seen". What the kernel
 * counted as suppressed but no key gave back is reported in a `lost` record
 * (reason "repeat_uncounted").
 */
#ifndef WD_AGENT_FLOOD_H
#define WD_AGENT_FLOOD_H

#include <stdbool.h>
#include <stdint.h>

#include "wd_abi.h"

struct wd_dispatch;

typedef void (*wd_flood_take_cb)(void *arg, const struct wd_flood_key *k,
				 const struct wd_flood_val *v);

/* The kernel side (loader/rules.c); NULL in unit tests. */
struct wd_flood_hooks {
	void (*burst)(void *ctx, uint32_t burst);
	bool (*marked)(void *ctx, uint32_t pid, uint64_t start_ns);
	int (*take)(void *ctx, uint32_t pid, uint64_t start_ns, wd_flood_take_cb fn,
		    void *arg);
	uint64_t (*suppressed)(void *ctx); /* the kernel's flood_suppressed total */
	void *ctx;
};

struct wd_flood_state {
	struct wd_flood_hooks hooks;
	uint32_t window, burst;
	int64_t next_ns;    /* CLOCK_MONOTONIC: the current window's end; 0: off */
	uint16_t variant;   /* the summaries' "hook" */
	uint64_t reported;  /* repeat_count of summaries written (or dropped by a rule) */
	uint64_t summaries;
	uint64_t lost;      /* suppressed in the kernel, given back by no key */
};

/* After the config changed (and at start): window, burst, the kernel's burst. */
void wd_flood_settings(struct wd_dispatch *d);
/* After each drain: the window's end (or force: at stop) takes every key. */
void wd_flood_tick(struct wd_dispatch *d, int64_t now_ns, bool force);
/* Before the table forgets an exited process: its keys. */
void wd_flood_on_exit(struct wd_dispatch *d, uint32_t pid, uint64_t start_ns);
/* A summary event of key k (also used by unit tests). */
void wd_flood_summary(struct wd_dispatch *d, const struct wd_flood_key *k,
		      const struct wd_flood_val *v);

#endif
