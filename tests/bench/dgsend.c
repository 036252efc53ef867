// SPDX-License-Identifier: GPL-2.0-only
/*
 * dgsend: the trivial syslog sender that measures rsyslogd's own ceiling.
 * Reads lines from a file and sends each, N times over, as one datagram
 * "<14>Mmm dd hh:mm:ss whodunit[pid]: line" to a unix socket (blocking: a
 * full receive queue holds the sender back, nothing is dropped).
 *
 *   dgsend SOCKET FILE COUNT
 * Prints {"sent": n, "seconds": s}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAXLINES 4096

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int load(const char *path, char **msg, size_t *len)
{
	char hdr[64], when[32], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	time_t t = time(NULL);
	struct tm tm;
	int count = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
	snprintf(hdr, sizeof(hdr), "<14>%s whodunit[%d]: ", when, (int)getpid());
	while (count < MAXLINES && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = 0;
		len[count] = strlen(hdr) + (size_t)n;
		msg[count] = malloc(len[count] + 1);
		if (!msg[count])
			break;
		snprintf(msg[count], len[count] + 1, "%s%s", hdr, line);
		count++;
	}
	free(line);
	fclose(f);
	return count;
}

int main(int argc, char **argv)
{
	static char *msg[MAXLINES];
	static size_t len[MAXLINES];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long total, i;
	double t0;
	int fd, n;

	if (argc != 4)
		return fprintf(stderr, "usage: dgsend SOCKET FILE COUNT\n"), 64;
	total = atol(argv[3]);
	n = load(argv[2], msg, len);
	if (n <= 0)
		return fprintf(stderr, "dgsend: no lines in %s\n", argv[2]), 66;
	strncpy(sa.sun_path, argv[1], sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return perror("dgsend"), 69;
	t0 = now_s();
	for (i = 0; i < total; i++)
		if (send(fd, msg[i % n], len[i % n], 0) < 0)
			return perror("dgsend: send"), 74;
	printf("{\"sent\": %ld, \"seconds\": %.6f}\n", total, now_s() - t0);
	return 0;
}
