// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sink against real receivers: a unix datagram socket the test binds
 * (closed and bound again as a restarting syslog daemon does), files that
 * are renamed or fill up, a pipe nobody reads.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "output/sink.h"
#include "util/clock.h"
#include "util/file.h"

#define MAX_SEQ 4096

static char dir[] = "/tmp/wd-sink-XXXXXX";
static char sock_path[128], file_path[128];
static struct wd_sink s;
static int rx = -1;

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/log", dir);
	snprintf(file_path, sizeof(file_path), "%s/events.json", dir);
	s = (struct wd_sink){ .fd = -1, .spool_max = WD_SINK_SPOOL_DEFAULT };
}

static void teardown(void)
{
	char cmd[256];

	wd_sink_close(&s);
	umount2(dir, MNT_DETACH); /* the disk-full test's tmpfs, if it failed */
	if (rx >= 0)
		close(rx);
	rx = -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	strcpy(dir, "/tmp/wd-sink-XXXXXX");
}

TestSuite(sink, .init = setup, .fini = teardown);

/* The "syslog daemon": a datagram socket at sock_path. */
static void rx_up(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(sa.sun_path, sock_path);
	rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(rx, 0);
	cr_assert_eq(bind(rx, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
}

/* It stops: the socket closed and its path removed. */
static void rx_down(void)
{
	close(rx);
	rx = -1;
	unlink(sock_path);
}

/* Every datagram waiting: its sequence number into seq[], how many. */
static int rx_read(int *seq, int max)
{
	static char msg[512 * 1024];
	int n = 0;
	ssize_t len;

	while ((len = recv(rx, msg, sizeof(msg) - 1, 0)) > 0) {
		const char *body;

		msg[len] = '\0';
		cr_assert_eq(strncmp(msg, "<30>", 4), 0, "%s", msg); /* daemon.info */
		body = strstr(msg, " whodunit[");
		cr_assert_not_null(body, "%s", msg);
		body = strstr(body, "]: ");
		cr_assert_not_null(body, "%s", msg);
		cr_assert_lt(n, max);
		cr_assert_eq(sscanf(body + 3, "{\"seq\":%d}", &seq[n]), 1, "%s", msg);
		n++;
	}
	return n;
}

static void write_seq(int from, int to)
{
	char line[64];

	for (int i = from; i < to; i++) {
		int len = snprintf(line, sizeof(line), "{\"seq\":%d}", i);

		wd_sink_write(&s, line, (size_t)len);
	}
}

static void open_syslog(void)
{
	s.kind = WD_SINK_SYSLOG;
	s.path = strdup(sock_path);
	s.facility = 3 << 3; /* LOG_DAEMON */
	cr_assert_eq(wd_sink_open(&s), 0);
}

/* The daemon reading again, as fast as datagrams come, until `want` arrived. */
struct reader {
	int *seq, n, want;
};

static void *reader_run(void *arg)
{
	struct reader *r = arg;
	struct pollfd pfd = { .fd = rx, .events = POLLIN };

	while (r->n < r->want && poll(&pfd, 1, 10000) > 0)
		r->n += rx_read(r->seq + r->n, MAX_SEQ - r->n);
	return NULL;
}

/*
 * Flush (through the backoff) until nothing is queued while the daemon reads
 * in a thread; the sequence numbers of the `want` datagrams expected into seq.
 */
static int flush_until_empty(int *seq, int want)
{
	int64_t end = wd_clock_ns(CLOCK_MONOTONIC) + 10 * WD_NS_PER_SEC;
	struct reader r = { .seq = seq, .want = want };
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, reader_run, &r), 0);
	while ((wd_sink_flush(&s) || s.spooled) && wd_clock_ns(CLOCK_MONOTONIC) < end)
		usleep(10000);
	pthread_join(t, NULL);
	cr_assert_eq(s.spooled, 0, "still %llu queued: %s", (unsigned long long)s.spooled,
		     strerror(-s.last_err));
	return r.n + rx_read(seq + r.n, MAX_SEQ - r.n); /* and nothing more */
}

static void assert_run(const int *seq, int n, int from, int to)
{
	cr_assert_eq(n, to - from, "%d datagrams, wanted %d", n, to - from);
	for (int i = 0; i < n; i++)
		cr_assert_eq(seq[i], from + i, "datagram %d is seq %d, wanted %d", i, seq[i],
			     from + i);
}

Test(sink, syslog_restart_queues_then_delivers_each_line_once_in_order)
{
	static int seq[MAX_SEQ];
	uint64_t failures;

	rx_up();
	open_syslog();
	write_seq(0, 10);
	cr_assert_eq(wd_sink_flush(&s), 0);
	assert_run(seq, rx_read(seq, MAX_SEQ), 0, 10);
	rx_down();
	write_seq(10, 210); /* three batches of 64 fail on the way */
	cr_assert_neq(wd_sink_flush(&s), 0);
	cr_assert_eq(s.spooled, 200);
	cr_assert_gt(s.spool_bytes, 200 * strlen("{\"seq\":100}"));
	cr_assert(!wd_sink_healthy(&s));
	cr_assert_eq(s.lost, 0);
	failures = s.failures;
	cr_assert_geq(failures, 1);
	cr_assert_neq(wd_sink_flush(&s), 0);
	cr_assert_eq(s.failures, failures, "no new attempt before the backoff has passed");
	rx_up(); /* a new socket at the same path */
	assert_run(seq, flush_until_empty(seq, 200), 10, 210);
	cr_assert(wd_sink_healthy(&s));
	cr_assert_eq(s.written, 210);
	cr_assert_eq(s.lost, 0);
	cr_assert_eq(s.spooled, 0);
	cr_assert_eq(s.spool_bytes, 0);
	write_seq(210, 220); /* healthy again: lines go as before */
	cr_assert_eq(wd_sink_flush(&s), 0);
	assert_run(seq, rx_read(seq, MAX_SEQ), 210, 220);
}

Test(sink, past_the_bound_new_lines_are_lost_and_counted)
{
	static int seq[MAX_SEQ];
	size_t entry;
	int n;

	rx_up();
	open_syslog();
	write_seq(100, 101);
	entry = s.spool_bytes; /* one queued datagram's size (same for 100..999) */
	cr_assert_eq(wd_sink_flush(&s), 0);
	assert_run(seq, rx_read(seq, MAX_SEQ), 100, 101);
	s.spool_max = 50 * entry;
	rx_down();
	write_seq(101, 400);
	cr_assert_eq(s.spooled, 50);
	cr_assert_eq(s.lost, 400 - 101 - 50);
	rx_up();
	n = flush_until_empty(seq, 50);
	assert_run(seq, n, 101, 151); /* the first 50 kept, in order */
	cr_assert_eq(s.lost + (uint64_t)n, 400 - 101, "lost is what did not arrive");
	cr_assert_eq(s.written, 51);
}

Test(sink, without_spool_a_failed_batch_is_lost_and_counted)
{
	static int seq[MAX_SEQ];

	rx_up();
	s.spool_max = 0;
	open_syslog();
	rx_down();
	write_seq(0, 100); /* 12 batches of 8 fail as they fill, 4 wait */
	cr_assert_eq(s.lost, 96);
	cr_assert_eq(s.spooled, 4);
	cr_assert_neq(wd_sink_flush(&s), 0);
	cr_assert_eq(s.lost, 100);
	cr_assert_eq(s.spooled, 0);
	rx_up();
	write_seq(100, 110);
	cr_assert_eq(wd_sink_flush(&s), 0, "no backoff without spool");
	assert_run(seq, rx_read(seq, MAX_SEQ), 100, 110);
	cr_assert(wd_sink_healthy(&s));
	cr_assert_eq(s.written, 10);
}

Test(sink, a_datagram_too_long_for_the_socket_is_lost_alone)
{
	static int seq[MAX_SEQ];
	FILE *f = fopen("/proc/sys/net/core/wmem_default", "r");
	size_t big = 0;
	char *line;

	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%zu", &big), 1);
	fclose(f);
	big += 1024; /* over the socket's send buffer */
	line = malloc(big);
	cr_assert_not_null(line);
	memset(line, 'x', big);
	rx_up();
	open_syslog();
	write_seq(0, 5);
	wd_sink_write(&s, line, big);
	write_seq(5, 10);
	free(line);
	cr_assert_eq(wd_sink_flush(&s), 0);
	assert_run(seq, rx_read(seq, MAX_SEQ), 0, 10);
	cr_assert_eq(s.lost, 1);
	cr_assert_eq(s.written, 10);
	cr_assert(wd_sink_healthy(&s));
}

Test(sink, a_daemon_that_stops_reading_costs_a_partial_batch_not_a_line)
{
	static int seq[MAX_SEQ];

	rx_up();
	open_syslog();
	write_seq(0, 1500); /* past what the socket holds: sendmmsg stops midway */
	cr_assert_gt(s.spooled, 0, "the receiver took 1500 datagrams without reading");
	cr_assert_gt(s.written, 0);
	cr_assert_eq(s.spooled + s.written, 1500);
	cr_assert_eq(s.last_err, -EAGAIN, "%s", strerror(-s.last_err));
	assert_run(seq, flush_until_empty(seq, 1500), 0, 1500);
	cr_assert_eq(s.lost, 0);
	cr_assert_eq(s.written, 1500);
}

static char *slurp(const char *path)
{
	size_t len = 0;
	int err = 0;
	char *p = wd_read_file(path, 64 << 20, &len, NULL, &err);

	cr_assert_not_null(p, "%s: %s", path, strerror(-err));
	return p;
}

/* The file's lines are {"seq":from} .. {"seq":to - 1}, each whole. */
static void assert_file(const char *path, int from, int to)
{
	char *text = slurp(path), *p = text;
	int i = from, v;

	for (char *nl; (nl = strchr(p, '\n')); p = nl + 1, i++) {
		cr_assert_eq(sscanf(p, "{\"seq\":%d}", &v), 1, "%s: line '%.40s'", path, p);
		cr_assert_eq(v, i, "%s: seq %d where %d was due", path, v, i);
	}
	cr_assert_eq(*p, '\0', "%s: an unfinished line '%.40s'", path, p);
	cr_assert_eq(i, to, "%s: %d lines, wanted %d", path, i - from, to - from);
	free(text);
}

static void open_file(const char *path)
{
	s.kind = WD_SINK_FILE;
	s.path = strdup(path);
	cr_assert_eq(wd_sink_open(&s), 0, "%s", path);
}

Test(sink, rotated_file_old_lines_stay_new_lines_go_to_the_new_file)
{
	char old[160];

	open_file(file_path);
	write_seq(0, 50);
	cr_assert_eq(wd_sink_flush(&s), 0);
	write_seq(50, 60); /* queued when logrotate moves the file */
	snprintf(old, sizeof(old), "%s.1", file_path);
	cr_assert_eq(rename(file_path, old), 0);
	cr_assert_eq(wd_sink_reopen(&s), 0);
	write_seq(60, 100);
	cr_assert_eq(wd_sink_flush(&s), 0);
	assert_file(old, 0, 60);
	assert_file(file_path, 60, 100);
	cr_assert_eq(s.written, 100);
	cr_assert_eq(s.lost, 0);
}

static int put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A private mount namespace (root, or an unprivileged user namespace). */
static bool own_mounts(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWNS) == 0)
		return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return false;
	put_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (put_file("/proc/self/uid_map", map))
		return false;
	snprintf(map, sizeof(map), "0 %u 1", gid);
	return put_file("/proc/self/gid_map", map) == 0 &&
	       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
}

Test(sink, disk_full_keeps_the_lines_and_resumes_mid_line)
{
	char filler[160], data[4096];
	int fd, n = 0;

	if (!own_mounts())
		cr_skip_test("no private mount namespace here");
	cr_assert_eq(mount("tmpfs", dir, "tmpfs", 0, "size=64k"), 0, "%s", strerror(errno));
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	memset(data, 'f', sizeof(data));
	while (n < 15 && write(fd, data, sizeof(data)) == sizeof(data))
		n++; /* all but one page taken */
	close(fd);
	open_file(file_path);
	write_seq(0, 1000); /* ~12 KB */
	cr_assert_eq(wd_sink_flush(&s), -ENOSPC, "%s", strerror(-s.last_err));
	cr_assert_gt(s.written, 0, "a first page of lines was written");
	cr_assert_gt(s.spool.part, 0, "a line cut midway");
	cr_assert_eq(s.spooled + s.written, 1000);
	cr_assert_eq(s.lost, 0);
	cr_assert_eq(unlink(filler), 0); /* space again */
	s.retry_ns = 0;
	cr_assert_eq(wd_sink_flush(&s), 0);
	assert_file(file_path, 0, 1000);
	cr_assert(wd_sink_healthy(&s));
}

Test(sink, stdout_to_a_closed_pipe_is_epipe_not_death)
{
	int p[2], saved = dup(STDOUT_FILENO);
	sigset_t pipe_only;

	/* As the agent starts: SIGPIPE neither ignored nor blocked (the runner's is). */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &pipe_only, NULL);
	cr_assert_eq(pipe(p), 0);
	close(p[0]);
	dup2(p[1], STDOUT_FILENO);
	close(p[1]);
	s.kind = WD_SINK_STDOUT;
	cr_assert_eq(wd_sink_open(&s), 0);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	write_seq(0, 10);
	cr_assert_eq(wd_sink_flush(&s), -EPIPE);
	cr_assert_eq(s.failures, 1);
	cr_assert_eq(s.spooled, 10);
	cr_assert_eq(wd_sink_discard(&s), 10);
	cr_assert_eq(s.lost, 10);
}

Test(sink, drain_retries_for_a_bounded_time_then_discard_counts_the_rest)
{
	static int seq[MAX_SEQ];
	int64_t t0;

	rx_up();
	open_syslog();
	rx_down();
	write_seq(0, 10); /* what the socket holds unread (net.unix.max_dgram_qlen) */
	t0 = wd_clock_ns(CLOCK_MONOTONIC);
	cr_assert_neq(wd_sink_drain(&s, 300), 0);
	t0 = wd_clock_ns(CLOCK_MONOTONIC) - t0;
	cr_assert(t0 >= 250000000 && t0 < 1000000000, "drained for %lld ns", (long long)t0);
	cr_assert_geq(s.failures, 2, "retried within the time");
	cr_assert_eq(s.spooled, 10);
	rx_up();
	cr_assert_eq(wd_sink_drain(&s, 2000), 0);
	assert_run(seq, rx_read(seq, MAX_SEQ), 0, 10);
	rx_down();
	write_seq(10, 20);
	cr_assert_neq(wd_sink_drain(&s, 0), 0);
	cr_assert_eq(wd_sink_discard(&s), 10);
	cr_assert_eq(s.lost, 10);
	cr_assert_eq(s.spooled, 0);
	cr_assert_eq(s.spool_bytes, 0);
}
