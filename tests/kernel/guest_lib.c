// SPDX-License-Identifier: GPL-2.0-only
/* The guest checker's plumbing (guest.h). */
#include "guest.h"

const char *whodunit = "/whodunit";
const char *gt_client = "/gt_client";
int npass, nfail;

/* ---------------------------------------------------------------- output */

/* One write() per line keeps a line in one piece on the console. */
void out_line(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	for (char *p = buf; p < buf + n - 1; p++) /* keep it one line */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (write(STDOUT_FILENO, buf, (size_t)n) < 0)
		return;
}

void result(const char *mode, const char *cas, bool ok, const char *detail)
{
	if (ok)
		npass++;
	else
		nfail++;
	out_line("WDTEST mode=%s case=%s %s %s", mode, cas, ok ? "PASS" : "FAIL",
		 detail && *detail ? detail : "-");
}

/* Append to a bounded "why" buffer. */
void addf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	if (used) {
		snprintf(buf + used, len - used, "; ");
		used = strlen(buf);
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* Print a file line by line as evidence: WDLOG TAG: line */
void dump_file(const char *tag, const char *path)
{
	char line[4096];
	size_t total = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		out_line("WDLOG %s: (cannot open %s: %s)", tag, path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		total += strlen(line);
		if (total > DUMP_MAX) {
			out_line("WDLOG %s: ... (truncated at %d bytes)", tag, DUMP_MAX);
			break;
		}
		out_line("WDLOG %s: %s", tag, line);
	}
	fclose(f);
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

char *read_file(const char *path, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	if (lenp)
		*lenp = len;
	return buf;
}

int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* ------------------------------------------------------------------ JSON */

/*
 * An event as a tree, built from the tokens of whodunit's own strict reader
 * (src/util/json_read.c): a line it refuses is no event.
 */


void jfree(struct jv *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		jfree(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	free(v);
}

static struct jv *jbuild(const struct wd_jr *j, int tok);

/* The items (and keys) of container tok into v; false when memory is short. */
static bool jchildren(const struct wd_jr *j, int tok, struct jv *v)
{
	bool obj = v->t == J_OBJ;
	size_t want = j->t[tok].n;
	int c;

	v->items = calloc(want ? want : 1, sizeof(*v->items));
	v->keys = obj ? calloc(want ? want : 1, sizeof(*v->keys)) : NULL;
	if (!v->items || (obj && !v->keys))
		return false;
	for (c = wd_jr_first(j, tok); c >= 0 && v->n < want; c = wd_jr_next(j, tok, c)) {
		if (obj)
			v->keys[v->n] = wd_jr_strdup(j, c);
		v->items[v->n] = jbuild(j, obj ? c + 1 : c);
		if (!v->items[v->n++] || (obj && !v->keys[v->n - 1]))
			return false;
	}
	return true;
}

static struct jv *jbuild(const struct wd_jr *j, int tok)
{
	struct jv *v = calloc(1, sizeof(*v));
	bool ok = v != NULL;

	switch (ok ? wd_jr_type(j, tok) : 0) {
	case WD_JR_TRUE:
	case WD_JR_FALSE:
		v->t = J_BOOL;
		v->b = wd_jr_type(j, tok) == WD_JR_TRUE;
		break;
	case WD_JR_NUM:
		v->t = J_NUM;
		ok = wd_jr_num(j, tok, &v->num);
		break;
	case WD_JR_STR:
		v->t = J_STR;
		ok = (v->s = wd_jr_strdup(j, tok)) != NULL;
		break;
	case WD_JR_ARR:
	case WD_JR_OBJ:
		v->t = wd_jr_type(j, tok) == WD_JR_OBJ ? J_OBJ : J_ARR;
		ok = jchildren(j, tok, v);
		break;
	default:
		break; /* null */
	}
	if (!ok) {
		jfree(v);
		return NULL;
	}
	return v;
}

/* Exactly one JSON value spanning [s, s+len), or NULL. */
struct jv *jparse(const char *s, size_t len)
{
	struct wd_jr j;
	struct jv *v = NULL;

	if (!wd_jr_parse(&j, s, len, 1u << 16, 0))
		v = jbuild(&j, 0);
	wd_jr_free(&j);
	return v;
}

struct jv *jget(const struct jv *o, const char *key)
{
	if (!o || o->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return o->items[i];
	return NULL;
}

const char *jstr(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);

	return v && v->t == J_STR ? v->s : NULL;
}

bool jnum(const struct jv *o, const char *key, long long *out)
{
	const struct jv *v = jget(o, key);

	if (!v || v->t != J_NUM)
		return false;
	*out = (long long)v->num;
	return true;
}

/* ------------------------------------------------------------ processes */


pid_t start_agent(struct agent *a, const char *mode, int verbose)
{
	char *argv[12];
	int argc = 0;
	pid_t pid;

	argv[argc++] = (char *)whodunit;
	argv[argc++] = "-c";
	argv[argc++] = "/tmp/wd.yaml";
	argv[argc++] = "--variant";
	argv[argc++] = (char *)mode;
	for (int i = 0; i < verbose; i++)
		argv[argc++] = "-v";
	argv[argc] = NULL;

	a->exited = false;
	a->status = 0;
	pid = fork();
	if (pid == 0) {
		int fd = open(a->errpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
		int nul = open("/dev/null", O_RDONLY);

		if (fd < 0 || nul < 0)
			_exit(127);
		dup2(nul, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		unsetenv("NOTIFY_SOCKET");
		execv(whodunit, argv);
		dprintf(fd, "guest_check: exec %s: %s\n", whodunit, strerror(errno));
		_exit(127);
	}
	a->pid = pid;
	return pid;
}

bool reap(struct agent *a, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	if (a->exited)
		return true;
	for (;;) {
		pid_t r = waitpid(a->pid, &a->status, WNOHANG);

		if (r == a->pid) {
			a->exited = true;
			return true;
		}
		if (r < 0 && errno != EINTR) {
			a->exited = true;
			a->status = -1;
			return true;
		}
		if (now_ms() >= deadline)
			return false;
		sleep_ms(10);
	}
}

void describe_status(int status, char *buf, size_t len)
{
	if (status == -1)
		snprintf(buf, len, "unknown status");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "status 0x%x", status);
}

/* Last non-empty line of a file, for short failure details. */
void last_line(const char *path, char *buf, size_t len)
{
	char *text = read_file(path, NULL), *p, *e;

	buf[0] = 0;
	if (!text)
		return;
	e = text + strlen(text);
	while (e > text && (e[-1] == '\n' || e[-1] == '\r'))
		*--e = 0;
	p = strrchr(text, '\n');
	snprintf(buf, len, "%s", p ? p + 1 : text);
	free(text);
}

/*
 * Waits for "ready: variant NAME" in the agent's stderr.
 * Returns 0 and fills variant, or -1 (exited: a->exited set; else timeout).
 */
int wait_ready(struct agent *a, char *variant, size_t vlen, char *readyline,
	       size_t rlen)
{
	long long deadline = now_ms() + READY_TIMEOUT_MS;

	for (;;) {
		char *text = read_file(a->errpath, NULL);
		char *r = text ? strstr(text, "ready: variant ") : NULL;

		if (r) {
			char *ls = r, *le;
			size_t k;

			while (ls > text && ls[-1] != '\n')
				ls--;
			le = strchr(r, '\n');
			/* Only a complete line: the name is then complete too. */
			if (le) {
				r += strlen("ready: variant ");
				k = strcspn(r, ", \n");
				snprintf(variant, vlen, "%.*s", (int)k, r);
				snprintf(readyline, rlen, "%.*s", (int)(le - ls), ls);
				free(text);
				return 0;
			}
		}
		free(text);
		if (reap(a, 0))
			return -1;
		if (now_ms() >= deadline)
			return -1;
		sleep_ms(50);
	}
}


/* this program -> /bin/sh -c '/gt_client ADDR PORT; true' -> gt_client */
int spawn_client(struct client *c, const char *addr, int port, char *cmd,
		 size_t cmdlen)
{
	int in[2], out[2];

	snprintf(cmd, cmdlen, "%s %s %d", gt_client, addr, port);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -1;
	c->shpid = fork();
	if (c->shpid < 0)
		return -1;
	if (c->shpid == 0) {
		char script[256];

		snprintf(script, sizeof(script), "%s; true", cmd);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		execl("/bin/sh", "/bin/sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in_w = in[1];
	c->out_r = out[0];
	return 0;
}

void finish_client(struct client *c)
{
	int st;

	if (c->in_w >= 0)
		close(c->in_w);
	if (c->out_r >= 0)
		close(c->out_r);
	c->in_w = c->out_r = -1;
	if (c->shpid > 0) {
		long long deadline = now_ms() + 5000;

		while (waitpid(c->shpid, &st, WNOHANG) == 0) {
			if (now_ms() > deadline) {
				kill(c->shpid, SIGKILL);
				waitpid(c->shpid, &st, 0);
				break;
			}
			sleep_ms(10);
		}
		c->shpid = 0;
	}
}

/* Reads gt_client's one JSON line. */
int read_gt_line(int fd, char *buf, size_t len)
{
	long long deadline = now_ms() + GT_TIMEOUT_MS;
	size_t used = 0;

	while (used + 1 < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return -1;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = read(fd, buf + used, len - used - 1);
		if (n <= 0)
			return -1;
		used += (size_t)n;
		buf[used] = 0;
		if (strchr(buf, '\n'))
			return 0;
	}
	return -1;
}


bool parse_gt(const char *line, struct gt *g)
{
	struct jv *v = jparse(line, strlen(line));
	const char *s;
	bool ok;

	ok = v && jnum(v, "pid", &g->pid) && jnum(v, "ppid", &g->ppid) &&
	     jnum(v, "errno", &g->err) && jnum(v, "sport", &g->sport) &&
	     (s = jstr(v, "saddr")) != NULL;
	if (ok)
		snprintf(g->saddr, sizeof(g->saddr), "%s", s);
	jfree(v);
	return ok;
}

/* --------------------------------------------------------------- events */

/* All complete lines of the event file, parsed; NULL entries were invalid. */

void evs_free(struct evs *e)
{
	for (size_t i = 0; i < e->n; i++) {
		jfree(e->v[i]);
		free(e->raw[i]);
	}
	free(e->v);
	free(e->raw);
	*e = (struct evs){ 0 };
}

void evs_load(struct evs *e, const char *path)
{
	char *text = read_file(path, NULL), *p, *nl;

	*e = (struct evs){ 0 };
	if (!text)
		return;
	for (p = text; (nl = strchr(p, '\n')); p = nl + 1) {
		struct jv **nv;
		char **nr;

		if (nl == p)
			continue;
		nv = realloc(e->v, (e->n + 1) * sizeof(*nv));
		if (nv)
			e->v = nv;
		nr = realloc(e->raw, (e->n + 1) * sizeof(*nr));
		if (nr)
			e->raw = nr;
		if (!nv || !nr)
			break;
		e->v[e->n] = jparse(p, (size_t)(nl - p));
		e->raw[e->n] = strndup(p, (size_t)(nl - p));
		e->n++;
	}
	free(text);
}

size_t count_pid(const struct evs *e, long long pid, size_t *first)
{
	size_t cnt = 0;

	for (size_t i = 0; i < e->n; i++) {
		long long p;

		if (e->v[i] && jnum(e->v[i], "pid", &p) && p == pid) {
			if (!cnt && first)
				*first = i;
			cnt++;
		}
	}
	return cnt;
}

bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

#define WANT_STR(obj, key, want)                                                  \
	do {                                                                      \
		const char *got_ = jstr((obj), (key));                            \
		if (!streq(got_, (want)))                                         \
			addf(why, whylen, "%s=\"%s\" want \"%s\"", (key),         \
			     got_ ? got_ : "(missing)", (want));                  \
	} while (0)

#define WANT_NUM(obj, key, want)                                                  \
	do {                                                                      \
		long long got_;                                                   \
		if (!jnum((obj), (key), &got_))                                   \
			addf(why, whylen, "%s missing", (key));                   \
		else if (got_ != (long long)(want))                               \
			addf(why, whylen, "%s=%lld want %lld", (key), got_,       \
			     (long long)(want));                                  \
	} while (0)


void check_event(const struct jv *ev, const struct expect *x, char *why,
		 size_t whylen)
{
	const struct jv *pt = jget(ev, "proctree"), *tr;
	char shcmd[300];
	long long v;

	WANT_STR(ev, "probe", "tcp_connect");
	WANT_NUM(ev, "pid", x->g->pid);
	WANT_NUM(ev, "tid", x->g->pid);
	WANT_NUM(ev, "uid", 0);
	WANT_STR(ev, "username", "root");
	WANT_STR(ev, "comm", "gt_client");
	WANT_STR(ev, "family", x->family);
	WANT_STR(ev, "daddr", x->addr);
	WANT_NUM(ev, "port", x->port);
	WANT_STR(ev, "hook", x->variant);
	if (!x->refused) {
		WANT_STR(ev, "error", "");
		WANT_STR(ev, "saddr", x->g->saddr);
		WANT_NUM(ev, "sport", x->g->sport);
	} else if (!strcmp(x->variant, "tracepoint")) {
		/* README: reported when connect(2) returns, source released. */
		WANT_STR(ev, "error", "ECONNREFUSED");
		WANT_STR(ev, "saddr", "0.0.0.0");
		WANT_NUM(ev, "sport", 0);
	} else {
		/* README: fentry/kprobe report when the SYN is sent. */
		WANT_STR(ev, "error", "");
		WANT_STR(ev, "saddr", "127.0.0.1");
		if (!jnum(ev, "sport", &v) || v <= 0 || v > 65535)
			addf(why, whylen, "sport %lld not a real port (SYN was sent)",
			     jnum(ev, "sport", &v) ? v : -1LL);
	}
	if (!jnum(ev, "netns", &v) || v <= 0)
		addf(why, whylen, "netns missing or 0");

	tr = jget(ev, "proctree_truncated");
	if (!tr || tr->t != J_BOOL || tr->b)
		addf(why, whylen, "proctree_truncated not false");
	if (!pt || pt->t != J_ARR) {
		addf(why, whylen, "proctree missing");
		return;
	}
	if (pt->n < 4) {
		addf(why, whylen, "proctree has %zu entries, want >= 4", pt->n);
		return;
	}
	/* gt_client, its sh, this program, ..., 1 */
	WANT_NUM(pt->items[0], "pid", x->g->pid);
	WANT_NUM(pt->items[0], "ppid", x->g->ppid);
	WANT_STR(pt->items[0], "cmdline", x->cmd);
	WANT_STR(pt->items[0], "comm", "gt_client");
	WANT_NUM(pt->items[1], "pid", x->shpid);
	if (x->g->ppid != x->shpid)
		addf(why, whylen, "gt_client ppid %lld is not the sh %d (harness?)",
		     x->g->ppid, (int)x->shpid);
	snprintf(shcmd, sizeof(shcmd), "/bin/sh -c %s; true", x->cmd);
	WANT_STR(pt->items[1], "cmdline", shcmd);
	WANT_NUM(pt->items[2], "pid", getpid());
	WANT_NUM(pt->items[2], "ppid", getppid());
	WANT_NUM(pt->items[pt->n - 1], "pid", 1);
	WANT_NUM(pt->items[pt->n - 1], "ppid", 0);
	for (size_t i = 0; i + 1 < pt->n; i++) {
		long long pp, np;

		if (!jnum(pt->items[i], "ppid", &pp) || !jnum(pt->items[i + 1], "pid", &np) ||
		    pp != np) {
			addf(why, whylen, "proctree[%zu].ppid does not match proctree[%zu].pid",
			     i, i + 1);
			break;
		}
	}
	for (size_t i = 0; i < pt->n; i++) {
		const struct jv *cm = jget(pt->items[i], "cmdline_missing");

		if (cm && cm->t == J_BOOL && cm->b)
			addf(why, whylen, "proctree[%zu] cmdline_missing", i);
	}
}
