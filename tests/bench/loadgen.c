// SPDX-License-Identifier: GPL-2.0-only
/*
 * whodunit benchmark load generator: N processes doing TCP connect() as
 * fast as possible (or at a set rate), reporting connects/s and the
 * latency of the connect() call.
 *
 *   loadgen -a ADDR -p PORT [-m blocking|nonblock] [-n PROCS] [-d SECONDS]
 *           [-r RATE_PER_PROC] [-c CPU] [-l LOGFILE]
 *   loadgen -L -a ADDR -p PORT [-c CPU]   accept and close until killed
 *   loadgen -F COUNT [-c CPU]             fork storm: COUNT children that
 *                                         exit at once, one at a time
 *
 * blocking: connect + close (SO_LINGER 0: no TIME_WAIT) to a listener.
 * nonblock: non-blocking connect (EINPROGRESS expected) + close.
 * -l: append "realtime_ns sport" per connect, for event-latency runs.
 * Output: one JSON line with totals and latency mean/p50/p99 in ns.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (1u << 20)

struct result {
	uint64_t connects, errors;
	uint64_t nsamples;
	uint64_t sum_ns;
	uint32_t samples[MAX_SAMPLES]; /* latency in ns, reservoir of the first */
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void worker(struct result *r, const struct sockaddr_storage *ss,
		   socklen_t len, int nonblock, double seconds, double rate,
		   FILE *log)
{
	uint64_t start = now_ns(CLOCK_MONOTONIC), end = start + (uint64_t)(seconds * 1e9);
	uint64_t interval = rate > 0 ? (uint64_t)(1e9 / rate) : 0, next = start;
	struct linger lg = { 1, 0 };

	for (;;) {
		uint64_t t0, t1;
		int fd, rc;

		t0 = now_ns(CLOCK_MONOTONIC);
		if (t0 >= end)
			break;
		if (interval) {
			if (t0 < next) {
				struct timespec ts = { 0, (long)(next - t0) };

				nanosleep(&ts, NULL);
			}
			next += interval;
		}
		fd = socket(ss->ss_family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
		if (fd < 0) {
			r->errors++;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		t0 = now_ns(CLOCK_MONOTONIC);
		rc = connect(fd, (const struct sockaddr *)ss, len);
		t1 = now_ns(CLOCK_MONOTONIC);
		if (rc < 0 && !(nonblock && errno == EINPROGRESS))
			r->errors++;
		else
			r->connects++;
		if (log) {
			struct sockaddr_storage local;
			socklen_t ll = sizeof(local);
			int port = 0;

			if (getsockname(fd, (struct sockaddr *)&local, &ll) == 0)
				port = ntohs(local.ss_family == AF_INET ?
					     ((struct sockaddr_in *)&local)->sin_port :
					     ((struct sockaddr_in6 *)&local)->sin6_port);
			fprintf(log, "%llu %d\n",
				(unsigned long long)(now_ns(CLOCK_REALTIME) - (t1 - t0)), port);
			fflush(log);
		}
		close(fd);
		r->sum_ns += t1 - t0;
		if (r->nsamples < MAX_SAMPLES)
			r->samples[r->nsamples++] = (uint32_t)((t1 - t0) > UINT32_MAX ?
							       UINT32_MAX : t1 - t0);
	}
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* The blocking workload's peer: accept as fast as possible, close at once. */
static int listener(const struct sockaddr_storage *ss, socklen_t len, int cpu)
{
	struct linger lg = { 1, 0 };
	int fd, one = 1;

	pin(cpu);
	fd = socket(ss->ss_family, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 4096)) {
		perror("loadgen: listen");
		return 71;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
	}
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *logpath = NULL;
	int port = 0, nprocs = 1, nonblock = 0, cpu = -1, opt, listen_mode = 0;
	long storm = 0;
	double seconds = 3, rate = 0;
	struct sockaddr_storage ss = { 0 };
	struct result *res;
	socklen_t len;
	uint64_t total = 0, errors = 0, sum = 0, n = 0, t0, elapsed;
	uint32_t *all;

	while ((opt = getopt(argc, argv, "a:p:m:n:d:r:c:l:LF:")) != -1) {
		switch (opt) {
		case 'F': storm = atol(optarg); break;
		case 'L': listen_mode = 1; break;
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'm': nonblock = !strcmp(optarg, "nonblock"); break;
		case 'n': nprocs = atoi(optarg); break;
		case 'd': seconds = atof(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'l': logpath = optarg; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of loadgen.c\n");
			return 64;
		}
	}
	if (storm > 0) {
		uint64_t t0 = now_ns(CLOCK_MONOTONIC);

		pin(cpu);
		for (long i = 0; i < storm; i++) {
			pid_t pid = fork();

			if (pid == 0)
				_exit(0);
			if (pid > 0)
				waitpid(pid, NULL, 0);
		}
		printf("{\"forks\":%ld,\"seconds\":%.3f}\n", storm,
		       (now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
		return 0;
	}
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		len = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "loadgen: bad address %s\n", addr);
		return 64;
	}
	if (listen_mode)
		return listener(&ss, len, cpu);
	res = mmap(NULL, sizeof(*res) * (size_t)nprocs, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return 71;
	t0 = now_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < nprocs; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			FILE *log = NULL;

			pin(cpu);
			if (logpath && !(log = fopen(logpath, "a")))
				_exit(71);
			worker(&res[i], &ss, len, nonblock, seconds, rate, log);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	elapsed = now_ns(CLOCK_MONOTONIC) - t0;
	for (int i = 0; i < nprocs; i++) {
		total += res[i].connects;
		errors += res[i].errors;
		sum += res[i].sum_ns;
		n += res[i].nsamples;
	}
	all = malloc((n ? n : 1) * sizeof(*all));
	if (!all)
		return 71;
	n = 0;
	for (int i = 0; i < nprocs; i++) {
		memcpy(all + n, res[i].samples, res[i].nsamples * sizeof(*all));
		n += res[i].nsamples;
	}
	qsort(all, n, sizeof(*all), cmp_u32);
	printf("{\"connects\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"rate\":%.1f,"
	       "\"lat_mean_ns\":%.0f,\"lat_p50_ns\":%u,\"lat_p99_ns\":%u}\n",
	       (unsigned long long)total, (unsigned long long)errors, elapsed / 1e9,
	       total / (elapsed / 1e9), n ? (double)sum / (double)(total + errors) : 0.0,
	       n ? all[n / 2] : 0, n ? all[(n * 99) / 100] : 0);
	free(all);
	return 0;
}
