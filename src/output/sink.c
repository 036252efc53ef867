// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "output/sink.h"

#define WD_FLUSH_BYTES (64 * 1024)

static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "kern", LOG_KERN },	  { "user", LOG_USER },	    { "mail", LOG_MAIL },
	{ "daemon", LOG_DAEMON }, { "auth", LOG_AUTH },	    { "syslog", LOG_SYSLOG },
	{ "lpr", LOG_LPR },	  { "news", LOG_NEWS },	    { "uucp", LOG_UUCP },
	{ "cron", LOG_CRON },	  { "authpriv", LOG_AUTHPRIV }, { "ftp", LOG_FTP },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

int wd_syslog_facility(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcmp(facilities[i].name, name))
			return facilities[i].code;
	return -EINVAL;
}

const char *wd_syslog_facility_name(int facility)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (facilities[i].code == facility)
			return facilities[i].name;
	return "?";
}

int wd_sink_parse(struct wd_sink *s, const char *spec)
{
	const char *path = NULL;
	char *dup;

	if (!strcmp(spec, "syslog")) {
		s->kind = WD_SINK_SYSLOG;
		path = WD_SYSLOG_SOCKET;
	} else if (!strcmp(spec, "stdout") || !strcmp(spec, "-")) {
		s->kind = WD_SINK_STDOUT;
	} else if (!strncmp(spec, "file:", 5) && spec[5]) {
		s->kind = WD_SINK_FILE;
		path = spec + 5;
	} else {
		return -EINVAL;
	}
	dup = path ? strdup(path) : NULL;
	if (path && !dup)
		return -ENOMEM;
	free(s->path);
	s->path = dup;
	return 0;
}

static int syslog_connect(struct wd_sink *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(s->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, s->path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	return 0;
}

int wd_sink_open(struct wd_sink *s)
{
	s->fd = -1;
	if (!s->ident[0])
		snprintf(s->ident, sizeof(s->ident), "whodunit");
	switch (s->kind) {
	case WD_SINK_SYSLOG:
		return syslog_connect(s);
	case WD_SINK_STDOUT:
		s->fd = dup(STDOUT_FILENO);
		return s->fd < 0 ? -errno : 0;
	case WD_SINK_FILE:
		s->fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		return s->fd < 0 ? -errno : 0;
	}
	return -EINVAL;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

#define WD_SYSLOG_BATCH 64

/* Queue "<PRI>TIMESTAMP ident[pid]: line" as the next datagram. */
static void syslog_queue(struct wd_sink *s, const char *line, size_t len)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	wd_buf_printf(&s->pending, "<%d>%s %s[%d]: ", s->facility | LOG_INFO, stamp,
		      s->ident, (int)getpid());
	wd_buf_put(&s->pending, line, len);
	s->msg_end[s->nmsg++] = (uint32_t)s->pending.len;
}

/* Send the queued datagrams with sendmmsg; reconnect once if syslog restarted. */
static int syslog_flush(struct wd_sink *s)
{
	struct mmsghdr msgs[WD_SYSLOG_BATCH];
	struct iovec iov[WD_SYSLOG_BATCH];
	uint32_t i = 0, start = 0;
	int err = 0, reconnected = 0;

	if (s->pending.oom) {
		s->failed += s->nmsg;
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t k = 0; k < s->nmsg; k++) {
		iov[k] = (struct iovec){ s->pending.p + start, s->msg_end[k] - start };
		msgs[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[k], .msg_iovlen = 1 } };
		start = s->msg_end[k];
	}
	while (i < s->nmsg) {
		int n = sendmmsg(s->fd, msgs + i, s->nmsg - i, MSG_NOSIGNAL);

		if (n > 0) {
			i += (uint32_t)n;
			s->written += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* The syslog daemon restarted: connect to the new socket, once. */
		if (n < 0 && (errno == ECONNREFUSED || errno == ENOTCONN) && !reconnected++ &&
		    syslog_connect(s) == 0)
			continue;
		err = n < 0 ? -errno : -EIO;
		s->failed++; /* this datagram is lost; try the rest */
		i++;
	}
out:
	s->nmsg = 0;
	wd_buf_reset(&s->pending);
	return err;
}

int wd_sink_write(struct wd_sink *s, const char *line, size_t len)
{
	int err = 0;

	if (s->kind == WD_SINK_SYSLOG) {
		syslog_queue(s, line, len);
		if (s->nmsg == WD_SYSLOG_BATCH)
			return syslog_flush(s);
		return 0;
	}
	wd_buf_put(&s->pending, line, len);
	wd_buf_putc(&s->pending, '\n');
	if (s->pending.oom)
		err = -ENOMEM;
	else if (s->pending.len >= WD_FLUSH_BYTES)
		err = wd_sink_flush(s);
	if (err)
		s->failed++;
	else
		s->written++;
	return err;
}

int wd_sink_flush(struct wd_sink *s)
{
	int err = 0;

	if (s->kind == WD_SINK_SYSLOG)
		return s->nmsg ? syslog_flush(s) : 0;
	if (s->pending.len == 0)
		return 0;
	err = write_all(s->fd, s->pending.p, s->pending.len);
	wd_buf_reset(&s->pending);
	return err;
}

void wd_sink_close(struct wd_sink *s)
{
	wd_sink_flush(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	wd_buf_free(&s->pending);
	free(s->path);
	s->path = NULL;
}
