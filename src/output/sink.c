// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "output/sink.h"
#include "util/clock.h"

#define WD_FLUSH_BYTES (64 * 1024) /* file, stdout: a write once this is queued */
#define WD_SYSLOG_BATCH 64	   /* syslog: datagrams per sendmmsg, at most */
/*
 * syslog: a sendmmsg once this many are queued. Small: a daemon's socket
 * queue can be short (net.unix.max_dgram_qlen defaults to 10), and it must
 * not run dry while the next lines are formatted.
 */
#define WD_SYSLOG_FLUSH 8
/* A syslog daemon that stops reading costs a send this long, then a retry. */
#define WD_SYSLOG_SEND_TIMEOUT_US 200000
#define WD_BACKOFF_MIN_NS (100 * 1000000LL)
#define WD_BACKOFF_MAX_NS (5 * WD_NS_PER_SEC)

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

/* (Re)connect to the syslog socket at s->path: the daemon may have made a new one. */
static int syslog_connect(struct wd_sink *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 0, WD_SYSLOG_SEND_TIMEOUT_US };
	int fd, err;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (strlen(s->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, s->path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	s->fd = fd;
	return 0;
}

int wd_sink_open(struct wd_sink *s)
{
	s->fd = -1;
	s->pid = getpid();
	s->last_err = 0;
	s->retry_ns = 0;
	s->backoff_ns = WD_BACKOFF_MIN_NS;
	if (!s->ident[0])
		snprintf(s->ident, sizeof(s->ident), "whodunit");
	/* A reader that went away (pipe, FIFO) must give EPIPE, not kill us. */
	if (s->kind != WD_SINK_SYSLOG)
		signal(SIGPIPE, SIG_IGN);
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

/* The bytes one line takes queued: "<PRI>TIMESTAMP ident[pid]: line" or "line\n". */
static size_t entry_size(struct wd_sink *s, size_t len)
{
	time_t now;
	struct tm tm;
	char when[32];
	int n;

	if (s->kind != WD_SINK_SYSLOG)
		return len + 1;
	now = time(NULL);
	if (now != s->stamp_sec) { /* the header changes once a second */
		localtime_r(&now, &tm);
		strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
		n = snprintf(s->stamp, sizeof(s->stamp), "<%d>%s %s[%d]: ",
			     s->facility | LOG_INFO, when, s->ident, (int)s->pid);
		s->stamp_len = n < 0 ? 0 : (uint32_t)n;
		s->stamp_sec = now;
	}
	return s->stamp_len + len;
}

static void entry_fill(const struct wd_sink *s, char *p, const char *line, size_t len)
{
	if (s->kind != WD_SINK_SYSLOG) {
		memcpy(p, line, len);
		p[len] = '\n';
		return;
	}
	memcpy(p, s->stamp, s->stamp_len);
	memcpy(p + s->stamp_len, line, len);
}

/* File, stdout: write the queued bytes; a partial write leaves the rest queued. */
static int fd_deliver(struct wd_sink *s)
{
	struct wd_spool *q = &s->spool;

	if (s->fd < 0)
		return -EBADF;
	while (wd_spool_bytes(q) > 0) {
		ssize_t n = write(s->fd, q->buf + q->head, wd_spool_bytes(q));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		s->written += wd_spool_consume(q, (size_t)n);
	}
	return 0;
}

/*
 * Syslog: the queued datagrams, 64 per sendmmsg. One that can never go
 * (EMSGSIZE) is lost and the rest go on; when the daemon is gone, connect
 * anew to its path once per attempt (rsyslog, journald recreate it).
 */
static int syslog_deliver(struct wd_sink *s)
{
	struct mmsghdr msgs[WD_SYSLOG_BATCH];
	struct iovec iov[WD_SYSLOG_BATCH];
	bool fresh = s->fd < 0; /* connected in this attempt */
	int err = fresh ? syslog_connect(s) : 0;

	if (err)
		return err;
	while (wd_spool_count(&s->spool) > 0) {
		size_t k = wd_spool_peek(&s->spool, iov, WD_SYSLOG_BATCH);
		int n;

		for (size_t i = 0; i < k; i++)
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i],
								 .msg_iovlen = 1 } };
		n = sendmmsg(s->fd, msgs, (unsigned int)k, MSG_NOSIGNAL);
		if (n > 0) {
			wd_spool_pop(&s->spool, (size_t)n);
			s->written += (uint64_t)n;
			continue;
		}
		err = n < 0 ? -errno : -EIO;
		if (err == -EINTR)
			continue;
		if (err == -EMSGSIZE) {
			wd_spool_pop(&s->spool, 1);
			s->lost++;
			continue;
		}
		if (err == -EAGAIN || err == -ENOBUFS || err == -ENOMEM || fresh)
			return err; /* a slow daemon or no memory: the same socket later */
		fresh = true;
		err = syslog_connect(s);
		if (err)
			return err;
	}
	return 0;
}

static void sync_counts(struct wd_sink *s)
{
	s->spooled = wd_spool_count(&s->spool);
	s->spool_bytes = wd_spool_bytes(&s->spool);
}

/*
 * One delivery attempt of all that is queued. On failure what is left stays
 * queued until the backoff has passed (without spool: it is lost).
 */
static int sink_attempt(struct wd_sink *s)
{
	uint64_t before = s->written;
	int err = s->kind == WD_SINK_SYSLOG ? syslog_deliver(s) : fd_deliver(s);

	s->last_err = err;
	if (!err) {
		s->retry_ns = 0;
		s->backoff_ns = WD_BACKOFF_MIN_NS;
	} else if (!s->spool_max) {
		s->failures++;
		s->lost += wd_spool_clear(&s->spool);
	} else {
		s->failures++;
		if (s->written != before || s->backoff_ns < WD_BACKOFF_MIN_NS)
			s->backoff_ns = WD_BACKOFF_MIN_NS; /* it moved: retry soon */
		s->retry_ns = wd_clock_ns(CLOCK_MONOTONIC) + s->backoff_ns;
		s->backoff_ns = s->backoff_ns * 2 > WD_BACKOFF_MAX_NS ? WD_BACKOFF_MAX_NS
								    : s->backoff_ns * 2;
	}
	sync_counts(s);
	return err;
}

/* Delivery is tried as lines come unless a failure's retry is pending. */
static bool may_try(const struct wd_sink *s)
{
	return wd_sink_healthy(s) || !s->spool_max;
}

static bool over_bound(const struct wd_sink *s, size_t size)
{
	return s->spool_max && wd_spool_bytes(&s->spool) + size > s->spool_max;
}

static bool batch_full(const struct wd_sink *s)
{
	if (s->kind == WD_SINK_SYSLOG)
		return wd_spool_count(&s->spool) >= WD_SYSLOG_FLUSH;
	return wd_spool_bytes(&s->spool) >= WD_FLUSH_BYTES;
}

int wd_sink_write(struct wd_sink *s, const char *line, size_t len)
{
	size_t size = entry_size(s, len);
	char *p;

	/* A bound smaller than a batch: deliver first while that works. */
	if (over_bound(s, size) && may_try(s) && wd_spool_count(&s->spool))
		sink_attempt(s);
	if (over_bound(s, size)) {
		s->lost++;
		return -ENOBUFS;
	}
	p = wd_spool_reserve(&s->spool, size);
	if (!p) {
		s->lost++;
		return -ENOMEM;
	}
	entry_fill(s, p, line, len);
	wd_spool_commit(&s->spool, size);
	if (batch_full(s) && may_try(s))
		sink_attempt(s);
	else
		sync_counts(s);
	return 0;
}

int wd_sink_flush(struct wd_sink *s)
{
	if (wd_spool_count(&s->spool) == 0)
		return 0;
	if (s->retry_ns && wd_clock_ns(CLOCK_MONOTONIC) < s->retry_ns)
		return s->last_err;
	return sink_attempt(s);
}

int wd_sink_drain(struct wd_sink *s, int timeout_ms)
{
	int64_t end = wd_clock_ns(CLOCK_MONOTONIC) + timeout_ms * 1000000LL;
	int err;

	s->retry_ns = 0;
	s->backoff_ns = WD_BACKOFF_MIN_NS;
	while ((err = wd_sink_flush(s)) && wd_spool_count(&s->spool) > 0) {
		int64_t now = wd_clock_ns(CLOCK_MONOTONIC);
		int64_t wait = (s->retry_ns < end ? s->retry_ns : end) - now;
		struct timespec ts = { wait / WD_NS_PER_SEC, wait % WD_NS_PER_SEC };

		if (now >= end)
			break;
		if (wait > 0)
			nanosleep(&ts, NULL);
	}
	return err;
}

uint64_t wd_sink_discard(struct wd_sink *s)
{
	uint64_t n = wd_spool_clear(&s->spool);

	s->lost += n;
	sync_counts(s);
	return n;
}

/* file: what is queued to the old file, then the path opened anew. */
static int file_reopen(struct wd_sink *s)
{
	int fd;

	if (wd_spool_count(&s->spool) > 0)
		sink_attempt(s);
	fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (s->spool.part) { /* a line cut by a failed write: whole in neither file */
		wd_spool_pop(&s->spool, 1);
		s->lost++;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	return 0;
}

int wd_sink_reopen(struct wd_sink *s)
{
	int err;

	switch (s->kind) {
	case WD_SINK_STDOUT:
		return 0;
	case WD_SINK_FILE:
		err = file_reopen(s);
		break;
	case WD_SINK_SYSLOG:
		if (wd_spool_count(&s->spool) > 0)
			sink_attempt(s);
		err = syslog_connect(s);
		break;
	default:
		return -EINVAL;
	}
	if (!err) { /* a new receiver: what is queued may go at the next flush */
		s->retry_ns = 0;
		s->backoff_ns = WD_BACKOFF_MIN_NS;
	}
	sync_counts(s);
	return err;
}

void wd_sink_close(struct wd_sink *s)
{
	if (wd_spool_count(&s->spool) > 0)
		sink_attempt(s);
	wd_sink_discard(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	wd_spool_free(&s->spool);
	free(s->path);
	s->path = NULL;
}
