// SPDX-License-Identifier: GPL-2.0-only
/*
 * A minimal HTTP/1.0 GET over a unix socket, for the runtimes' APIs: a
 * non-blocking socket polled against one deadline, so a runtime that hangs
 * costs the event loop at most timeout_ms (once per container: the answer
 * is cached). HTTP/1.0 makes the server close after an identity body.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "container/runtime.h"
#include "util/clock.h"

static int wait_fd(int fd, short ev, int64_t deadline)
{
	int64_t left = (deadline - wd_clock_ns(CLOCK_MONOTONIC)) / 1000000;
	struct pollfd p = { .fd = fd, .events = ev };
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&p, 1, (int)left);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

static int connect_unix(const char *sock, int64_t deadline)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t alen = sizeof(a);
	int fd, err = 0;

	if (strlen(sock) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EAGAIN) {
		err = -errno;
	} else {
		err = wait_fd(fd, POLLOUT, deadline);
		if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &alen) == 0)
			err = -err;
	}
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int send_all(int fd, const char *s, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		int err;

		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		err = wait_fd(fd, POLLOUT, deadline);
		if (err)
			return err;
	}
	return 0;
}

/* Everything until the server closes, at most WD_RT_BODY_MAX + 16 KiB. */
static int recv_all(int fd, char **out, size_t *len, int64_t deadline)
{
	size_t cap = 16384, n = 0, max = WD_RT_BODY_MAX + 16384;
	char *b = malloc(cap + 1), *nb;
	int err = 0;

	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= max) {
				err = -EFBIG;
				break;
			}
			cap *= 2;
			nb = realloc(b, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			b = nb;
		}
		r = recv(fd, b + n, cap - n, 0);
		if (r > 0) {
			n += (size_t)r;
		} else if (r == 0) {
			break;
		} else if (errno == EAGAIN || errno == EINTR) {
			err = wait_fd(fd, POLLIN, deadline);
			if (err)
				break;
		} else {
			err = -errno;
			break;
		}
	}
	if (err) {
		free(b);
		return err;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

int wd_rt_http_get(const char *sock, const char *path, int timeout_ms, char **body,
		   size_t *len)
{
	int64_t deadline = wd_clock_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
	char req[512], *resp = NULL, *hdr_end;
	size_t n = 0;
	int fd, err, rl;

	rl = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
	if (rl < 0 || (size_t)rl >= sizeof(req))
		return -ENAMETOOLONG;
	fd = connect_unix(sock, deadline);
	if (fd < 0)
		return fd;
	err = send_all(fd, req, (size_t)rl, deadline);
	if (!err)
		err = recv_all(fd, &resp, &n, deadline);
	close(fd);
	if (err)
		return err;
	hdr_end = strstr(resp, "\r\n\r\n");
	if (strncmp(resp, "HTTP/1.", 7) || n < 12 || !hdr_end) {
		free(resp);
		return -EPROTO;
	}
	if (strncmp(resp + 8, " 200", 4)) {
		err = !strncmp(resp + 8, " 404", 4) ? -ENOENT : -EPROTO;
		free(resp);
		return err;
	}
	hdr_end += 4;
	*len = n - (size_t)(hdr_end - resp);
	memmove(resp, hdr_end, *len + 1);
	*body = resp;
	return 0;
}
