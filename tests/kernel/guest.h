/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel matrix's guest checker (tests/kernel/guest_check.c): output
 * lines, files, events as JSON trees, the agent and client processes, and
 * the check of one event against ground truth (guest_lib.c).
 */
#ifndef WD_GUEST_H
#define WD_GUEST_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/json_read.h"

#define READY_TIMEOUT_MS 30000
#define EVENT_TIMEOUT_MS 10000
#define GT_TIMEOUT_MS 10000
#define EXIT_TIMEOUT_MS 2000
#define DUMP_MAX 65536

extern const char *whodunit, *gt_client;
extern int npass, nfail;

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	bool b;
	double num;
	char *s;	   /* J_STR, NUL-terminated (no embedded NUL expected) */
	size_t n;	   /* J_ARR/J_OBJ: number of items */
	struct jv **items; /* J_ARR/J_OBJ */
	char **keys;	   /* J_OBJ */
};

struct agent {
	pid_t pid;
	char errpath[64];
	char evpath[64];
	bool exited;
	int status;
};

struct client {
	pid_t shpid;
	int in_w, out_r;
};

struct gt {
	long long pid, ppid, err, sport;
	char saddr[64];
};

struct evs {
	size_t n;
	struct jv **v;
	char **raw;
};

struct expect {
	const char *variant; /* the variant that is expected to report */
	const char *addr;
	int port;
	bool refused;
	const char *family;
	const char *cmd;     /* leaf cmdline */
	pid_t shpid;
	const struct gt *g;
};

void out_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void result(const char *mode, const char *cas, bool ok, const char *detail);
void addf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void dump_file(const char *tag, const char *path);
long long now_ms(void);
void sleep_ms(int ms);
char *read_file(const char *path, size_t *lenp);
int write_file(const char *path, const char *text);
struct jv *jget(const struct jv *o, const char *key);
const char *jstr(const struct jv *o, const char *key);
bool jnum(const struct jv *o, const char *key, long long *out);
pid_t start_agent(struct agent *a, const char *mode, int verbose);
bool reap(struct agent *a, int timeout_ms);
void describe_status(int status, char *buf, size_t len);
void last_line(const char *path, char *buf, size_t len);
int wait_ready(struct agent *a, char *variant, size_t vlen, char *readyline,
	       size_t rlen);
int spawn_client(struct client *c, const char *addr, int port, char *cmd,
		 size_t cmdlen);
void finish_client(struct client *c);
int read_gt_line(int fd, char *buf, size_t len);
bool parse_gt(const char *line, struct gt *g);
void evs_free(struct evs *e);
void evs_load(struct evs *e, const char *path);
size_t count_pid(const struct evs *e, long long pid, size_t *first);
bool streq(const char *a, const char *b);
void check_event(const struct jv *ev, const struct expect *x, char *why,
		 size_t whylen);
struct jv *jparse(const char *s, size_t len);
void jfree(struct jv *v);

#endif
