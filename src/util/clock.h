/* SPDX-License-Identifier: GPL-2.0-only */
/* Clock readings in nanoseconds: one conversion for the whole agent. */
#ifndef WD_CLOCK_H
#define WD_CLOCK_H

#include <stdint.h>
#include <time.h>

#define WD_NS_PER_SEC 1000000000LL

static inline int64_t wd_timespec_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * WD_NS_PER_SEC + ts->tv_nsec;
}

/* CLOCK_MONOTONIC, CLOCK_BOOTTIME (the kernel's event times), CLOCK_REALTIME. */
static inline int64_t wd_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return wd_timespec_ns(&ts);
}

#endif
