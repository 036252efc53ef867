// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ground-truth client for whodunit's tests: connects once over TCP and
 * prints, as one JSON line on stdout, what it knows of itself (pid, ppid,
 * the connect's outcome, its local address), then waits until stdin is
 * closed before exiting, so the agent can still read its /proc entry.
 *
 *   gt_client ADDR PORT [ARGS...]   extra ARGS decorate the cmdline, except:
 *     --oneshot        exit right after connect(), printing nothing
 *     --double-fork    daemonize first: fork a child that forks the
 *                      grandchild and exits; the grandchild waits until it
 *                      has been reparented, then does the rest
 *
 * Also usable inside a test VM: static, no dependency.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 }, local = { 0 };
	socklen_t len, llen = sizeof(local);
	char laddr[INET6_ADDRSTRLEN] = "";
	int fd, err = 0, lport = 0, oneshot = 0, double_fork = 0;
	pid_t orig_ppid = getppid();
	char buf[64];

	if (argc < 3) {
		fprintf(stderr, "usage: gt_client ADDR PORT [ARGS...]\n");
		return 64;
	}
	if (inet_pton(AF_INET, argv[1], &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)atoi(argv[2]));
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[1],
			     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)atoi(argv[2]));
		len = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "gt_client: bad address %s\n", argv[1]);
		return 64;
	}
	for (int i = 3; i < argc; i++) {
		oneshot |= !strcmp(argv[i], "--oneshot");
		double_fork |= !strcmp(argv[i], "--double-fork");
	}
	if (double_fork) {
		pid_t child = fork(), mid;

		if (child < 0)
			return 71;
		if (child > 0) { /* the original process: wait for the child, done */
			waitpid(child, NULL, 0);
			return 0;
		}
		mid = getpid();
		if (fork() != 0) /* the child: exit, orphaning the grandchild */
			_exit(0);
		orig_ppid = mid;
		for (int i = 0; getppid() == mid; i++) {
			if (i > 10000) {
				fprintf(stderr, "gt_client: still not reparented after 10 s\n");
				_exit(75);
			}
			usleep(1000);
		}
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		return 71;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	if (oneshot)
		_exit(0);
	if (!err && getsockname(fd, (struct sockaddr *)&local, &llen) == 0) {
		if (local.ss_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&local)->sin_addr,
				  laddr, sizeof(laddr));
			lport = ntohs(((struct sockaddr_in *)&local)->sin_port);
		} else {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&local)->sin6_addr,
				  laddr, sizeof(laddr));
			lport = ntohs(((struct sockaddr_in6 *)&local)->sin6_port);
		}
	}
	printf("{\"pid\":%d,\"ppid\":%d,\"orig_ppid\":%d,\"errno\":%d,\"saddr\":\"%s\","
	       "\"sport\":%d}\n", (int)getpid(), (int)getppid(), (int)orig_ppid, err, laddr,
	       lport);
	fflush(stdout);
	/* Stay alive (and connected) until the test closes our stdin. */
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}
