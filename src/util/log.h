/* SPDX-License-Identifier: GPL-2.0-only */
/* Operational logging: to stderr, apart from the event stream. */
#ifndef WD_LOG_H
#define WD_LOG_H

enum wd_log_level { WD_LOG_ERR, WD_LOG_WARN, WD_LOG_INFO, WD_LOG_DEBUG };

extern int wd_log_verbosity; /* highest level printed; WD_LOG_INFO by default */

void wd_log(enum wd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define wd_err(...) wd_log(WD_LOG_ERR, __VA_ARGS__)
#define wd_warn(...) wd_log(WD_LOG_WARN, __VA_ARGS__)
#define wd_info(...) wd_log(WD_LOG_INFO, __VA_ARGS__)
#define wd_debug(...) wd_log(WD_LOG_DEBUG, __VA_ARGS__)

#endif
