/* SPDX-License-Identifier: GPL-2.0-only */
/* Event sinks: syslog (default), stdout, file. One event = one line/message. */
#ifndef WD_SINK_H
#define WD_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "output/json.h"

enum wd_sink_kind { WD_SINK_SYSLOG, WD_SINK_STDOUT, WD_SINK_FILE };

#define WD_SYSLOG_SOCKET "/dev/log" /* the local syslog socket, by default */

struct wd_sink {
	enum wd_sink_kind kind;
	char *path;       /* file path, or the syslog socket */
	int facility;     /* LOG_* facility code (already shifted) */
	char ident[32];
	int fd;
	struct wd_buf pending; /* lines (stdout/file) or datagrams (syslog) not sent */
	uint32_t nmsg;         /* syslog: datagrams queued in pending */
	uint32_t msg_end[64];  /* syslog: end offset of each queued datagram */
	uint64_t written;
	uint64_t failed;
};

/* "syslog" | "stdout" | "file:PATH" -> kind/path. 0 or -EINVAL. */
int wd_sink_parse(struct wd_sink *s, const char *spec);
/* "daemon", "local0".."local7", ... -> LOG_* code, or -EINVAL. */
int wd_syslog_facility(const char *name);
const char *wd_syslog_facility_name(int facility);

int wd_sink_open(struct wd_sink *s);
/*
 * Queue one event; what is queued goes out when 64 KiB (file, stdout) or
 * 64 datagrams (syslog, one sendmmsg) are waiting, or at wd_sink_flush().
 * 0 or a negative errno.
 */
int wd_sink_write(struct wd_sink *s, const char *line, size_t len);
/* Write out what is queued. 0 or negative errno. */
int wd_sink_flush(struct wd_sink *s);
void wd_sink_close(struct wd_sink *s);

#endif
