// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest side of the kernel-matrix harness (tests/kernel/run.sh).
 *
 * Runs inside a throw-away VM as a child of /init (pid 1). For each probe
 * mode (fentry, kprobe, tracepoint, auto) it starts the real agent, makes
 * TCP connects from a process tree it builds itself (this program -> sh ->
 * gt_client), and checks the agent's events against the ground truth that
 * gt_client prints. Traffic goes to loopback only (127.0.0.1, ::1).
 *
 * Results go to stdout (the serial console), one line per check:
 *   WDTEST mode=MODE case=CASE PASS|FAIL detail
 * then a final
 *   WDTEST-DONE <passed> <failed>
 * Extra lines: WDTEST-INFO (facts worth reporting), WDLOG (evidence dumped
 * on failure: agent stderr, event lines).
 *
 *   guest_check [WHODUNIT [GT_CLIENT]]    defaults /whodunit /gt_client
 */
#include "guest.h"

/* ----------------------------------------------------------------- tests */

struct listeners {
	int v4, v6, closed4;
	int port4, port6, port_refused;
	char v6err[128];
};

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int open_v4(bool do_listen)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    (do_listen && listen(fd, 64))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int open_v6(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	sin6.sin6_addr = in6addr_loopback;
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) || listen(fd, 64)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void drain_accepts(const struct listeners *l)
{
	int fds[2] = { l->v4, l->v6 };

	for (int i = 0; i < 2; i++) {
		int c;

		if (fds[i] < 0)
			continue;
		while ((c = accept4(fds[i], NULL, NULL, SOCK_CLOEXEC)) >= 0)
			close(c);
	}
}

struct tcase {
	const char *name;
	const char *addr;
	bool v6;
	bool refused;
};

static const struct tcase cases[] = {
	{ "ipv4", "127.0.0.1", false, false },
	{ "ipv6", "::1", true, false },
	{ "refused", "127.0.0.1", false, true },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Runs one connect case; returns the client pid seen (or -1). */
static long long run_case(const char *mode, const char *variant, const struct tcase *tc,
			  const struct listeners *l, const struct agent *a)
{
	char why[4096] = "", detail[4200], cmd[200], line[512];
	struct client c = { .in_w = -1, .out_r = -1 };
	struct expect x = { 0 };
	struct gt g = { 0 };
	struct evs e = { 0 };
	size_t first = 0, cnt = 0;
	long long t0, waited = 0;
	int port;

	port = tc->refused ? l->port_refused : tc->v6 ? l->port6 : l->port4;
	if (port <= 0) {
		snprintf(detail, sizeof(detail), "no listener: %s",
			 tc->v6 ? l->v6err : "IPv4 loopback socket failed");
		result(mode, tc->name, false, detail);
		return -1;
	}
	if (spawn_client(&c, tc->addr, port, cmd, sizeof(cmd))) {
		snprintf(detail, sizeof(detail), "spawn client: %s", strerror(errno));
		result(mode, tc->name, false, detail);
		return -1;
	}
	if (read_gt_line(c.out_r, line, sizeof(line)) || !parse_gt(line, &g)) {
		finish_client(&c);
		result(mode, tc->name, false, "gt_client printed no ground truth line");
		return -1;
	}
	drain_accepts(l);
	if (tc->refused ? g.err != ECONNREFUSED : g.err != 0) {
		snprintf(detail, sizeof(detail),
			 "gt_client connect to %s port %d: errno %lld (%s), want %s",
			 tc->addr, port, g.err, strerror((int)g.err),
			 tc->refused ? "ECONNREFUSED" : "success");
		finish_client(&c);
		result(mode, tc->name, false, detail);
		return g.pid;
	}

	/* The event: wait for it while the client is still alive. */
	t0 = now_ms();
	for (;;) {
		evs_load(&e, a->evpath);
		cnt = count_pid(&e, g.pid, &first);
		if (cnt || now_ms() - t0 > EVENT_TIMEOUT_MS)
			break;
		evs_free(&e);
		sleep_ms(20);
	}
	waited = now_ms() - t0;
	x.variant = variant;
	x.addr = tc->addr;
	x.port = port;
	x.refused = tc->refused;
	x.family = tc->v6 ? "ipv6" : "ipv4";
	x.cmd = cmd;
	x.shpid = c.shpid;
	x.g = &g;
	if (!cnt) {
		snprintf(detail, sizeof(detail),
			 "no event for pid %lld (%s port %d) within %d ms; %zu other events",
			 g.pid, tc->addr, port, EVENT_TIMEOUT_MS, e.n);
		result(mode, tc->name, false, detail);
		for (size_t i = 0; i < e.n; i++)
			out_line("WDLOG mode=%s events: %s", mode, e.raw[i]);
	} else {
		check_event(e.v[first], &x, why, sizeof(why));
		if (why[0]) {
			snprintf(detail, sizeof(detail), "%s", why);
			result(mode, tc->name, false, detail);
			out_line("WDLOG mode=%s case=%s event: %s", mode, tc->name,
				 e.raw[first]);
			out_line("WDLOG mode=%s case=%s ground-truth: %s", mode, tc->name,
				 line);
		} else {
			long long sport = -1;

			jnum(e.v[first], "sport", &sport);
			snprintf(detail, sizeof(detail),
				 "hook=%s pid=%lld daddr=%s port=%d saddr=%s sport=%lld "
				 "error=\"%s\" proctree=%zu levels, event after %lld ms",
				 jstr(e.v[first], "hook"), g.pid, tc->addr, port,
				 jstr(e.v[first], "saddr"), sport, jstr(e.v[first], "error"),
				 jget(e.v[first], "proctree")->n, waited);
			result(mode, tc->name, true, detail);
		}
	}
	evs_free(&e);
	finish_client(&c);
	return g.pid;
}

static void skip_rest(const char *mode, const char *reason)
{
	for (size_t i = 0; i < NCASES; i++)
		result(mode, cases[i].name, false, reason);
	result(mode, "sigterm", false, reason);
	result(mode, "events", false, reason);
}

/*
 * One mode. Returns the variant the agent reported as attached ("" if none).
 */
static void run_mode(const char *mode, const struct listeners *l, char *variant,
		     size_t vlen, const char *auto_expect)
{
	static const char cfg_fmt[] = "agent:\n"
				      "  output: file:%s\n"
				      "tcp_connect: {}\n";
	char cfg[256], readyline[512], detail[1024], st[64], tag[64];
	long long pids[NCASES];
	struct agent a = { 0 };
	struct evs e;
	bool ok;

	variant[0] = 0;
	snprintf(a.errpath, sizeof(a.errpath), "/tmp/wd-%s.err", mode);
	snprintf(a.evpath, sizeof(a.evpath), "/tmp/ev-%s.json", mode);
	snprintf(tag, sizeof(tag), "mode=%s stderr", mode);
	unlink(a.evpath);
	snprintf(cfg, sizeof(cfg), cfg_fmt, a.evpath);
	if (write_file("/tmp/wd.yaml", cfg)) {
		snprintf(detail, sizeof(detail), "write /tmp/wd.yaml: %s", strerror(errno));
		result(mode, "ready", false, detail);
		skip_rest(mode, "not run: no config");
		return;
	}

	start_agent(&a, mode, 0);
	if (wait_ready(&a, variant, vlen, readyline, sizeof(readyline))) {
		char last[512];

		if (!a.exited) {
			kill(a.pid, SIGKILL);
			reap(&a, 5000);
			snprintf(st, sizeof(st), "not ready within %d ms", READY_TIMEOUT_MS);
		} else {
			describe_status(a.status, st, sizeof(st));
		}
		last_line(a.errpath, last, sizeof(last));
		snprintf(detail, sizeof(detail), "agent %s: %s", st, last);
		result(mode, "ready", false, detail);
		dump_file(tag, a.errpath);
		/* Evidence: the same start with libbpf's messages. */
		snprintf(a.errpath, sizeof(a.errpath), "/tmp/wd-%s-vv.err", mode);
		snprintf(tag, sizeof(tag), "mode=%s stderr-vv", mode);
		start_agent(&a, mode, 2);
		if (!wait_ready(&a, variant, vlen, readyline, sizeof(readyline))) {
			out_line("WDTEST-INFO mode=%s became ready with -v -v: %s", mode,
				 readyline);
			kill(a.pid, SIGTERM);
		}
		if (!reap(&a, READY_TIMEOUT_MS)) {
			kill(a.pid, SIGKILL);
			reap(&a, 5000);
		}
		dump_file(tag, a.errpath);
		variant[0] = 0;
		skip_rest(mode, "not run: agent not ready");
		return;
	}

	if (!strcmp(mode, "auto")) {
		out_line("WDTEST-INFO auto-chose %s", variant);
		if (auto_expect && *auto_expect)
			ok = !strcmp(variant, auto_expect);
		else
			ok = !strcmp(variant, "fentry") || !strcmp(variant, "kprobe") ||
			     !strcmp(variant, "tracepoint");
		snprintf(detail, sizeof(detail),
			 "auto chose %s (first variant that attached when forced: %s) | %s",
			 variant, auto_expect && *auto_expect ? auto_expect : "none",
			 readyline);
	} else {
		ok = !strcmp(variant, mode);
		snprintf(detail, sizeof(detail), "variant %s | %s", variant, readyline);
	}
	result(mode, "ready", ok, detail);
	{
		/* the DNS capture loads beside every variant (dns_names is on) */
		char *text = read_file(a.errpath, NULL);
		bool dns = text && !strstr(text, "dns: not loaded");

		result(mode, "dns-loaded", dns, dns ? "no \"dns: not loaded\" warning"
						   : "the agent warned: dns: not loaded");
		free(text);
	}

	for (size_t i = 0; i < NCASES; i++)
		pids[i] = run_case(mode, variant, &cases[i], l, &a);

	/* SIGTERM: exit 0 within 2 s. */
	{
		long long t0 = now_ms();

		kill(a.pid, SIGTERM);
		if (reap(&a, EXIT_TIMEOUT_MS)) {
			describe_status(a.status, st, sizeof(st));
			ok = a.status != -1 && WIFEXITED(a.status) && WEXITSTATUS(a.status) == 0;
			snprintf(detail, sizeof(detail), "%s after %lld ms", st, now_ms() - t0);
		} else {
			ok = false;
			snprintf(detail, sizeof(detail), "still running %d ms after SIGTERM",
				 EXIT_TIMEOUT_MS);
			kill(a.pid, SIGKILL);
			reap(&a, 5000);
		}
		result(mode, "sigterm", ok, detail);
	}

	/* After the final drain: every line valid JSON, one event per connect. */
	{
		char why[2048] = "";
		size_t invalid = 0;

		evs_load(&e, a.evpath);
		for (size_t i = 0; i < e.n; i++)
			if (!e.v[i] || e.v[i]->t != J_OBJ) {
				invalid++;
				out_line("WDLOG mode=%s invalid event line: %s", mode, e.raw[i]);
			}
		if (invalid)
			addf(why, sizeof(why), "%zu of %zu lines are not JSON objects", invalid,
			     e.n);
		for (size_t i = 0; i < NCASES; i++) {
			size_t n;

			if (pids[i] <= 0)
				continue;
			n = count_pid(&e, pids[i], NULL);
			if (n != 1)
				addf(why, sizeof(why), "case %s (pid %lld): %zu events, want 1",
				     cases[i].name, pids[i], n);
		}
		snprintf(detail, sizeof(detail), "%zu event lines, all valid, one per connect",
			 e.n);
		result(mode, "events", !why[0], why[0] ? why : detail);
		evs_free(&e);
	}

	/* The agent's messages, for the log. */
	dump_file(tag, a.errpath);
}

/* Event of `probe` from pid whose `key` (a number) equals val, or NULL. */
static const struct jv *find_ev(const struct evs *e, const char *probe, long long pid,
				const char *addr_key, const char *addr, long long port)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct jv *ev = e->v[i];
		long long p, pt;

		if (!ev || !streq(jstr(ev, "probe"), probe) || !jnum(ev, "pid", &p) || p != pid)
			continue;
		if (addr_key && (!streq(jstr(ev, addr_key), addr) || !jnum(ev, "port", &pt) ||
				 pt != port))
			continue;
		return ev;
	}
	return NULL;
}

/*
 * dns: a child process asks 127.0.0.1:53 (a socket it bound itself) for
 * kmatrix.whodunit.test and receives an answer (A 127.0.0.9) made here.
 * Returns the child's pid, or -1.
 */
static pid_t dns_exchange(void)
{
	static const unsigned char q[] = "\x12\x34\x01\x00\0\x01\0\0\0\0\0\0"
		"\x07kmatrix\x08whodunit\x04test\0\0\x01\0\x01";
	static const unsigned char rr[] = "\xc0\x0c\0\x01\0\x01\0\0\0\x3c\0\x04"
		"\x7f\0\0\x09";
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, from;
	socklen_t flen = sizeof(from);
	unsigned char buf[512];
	pid_t pid = fork();
	int rs, cs;
	ssize_t n;

	if (pid)
		return pid;
	rs = socket(AF_INET, SOCK_DGRAM, 0);
	cs = socket(AF_INET, SOCK_DGRAM, 0);
	if (rs < 0 || cs < 0 || bind(rs, (struct sockaddr *)&sa, sizeof(sa)) ||
	    connect(cs, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(cs, q, sizeof(q) - 1, 0) < 0)
		_exit(1);
	n = recvfrom(rs, buf, sizeof(buf) - sizeof(rr), 0, (struct sockaddr *)&from, &flen);
	if (n < 12)
		_exit(1);
	buf[2] = 0x81; /* an answer, one record */
	buf[3] = 0x80;
	buf[7] = 1;
	memcpy(buf + n, rr, sizeof(rr) - 1);
	if (sendto(rs, buf, (size_t)n + sizeof(rr) - 1, 0, (struct sockaddr *)&from, flen) < 0 ||
	    recv(cs, buf, sizeof(buf), 0) < 0)
		_exit(1);
	_exit(0);
}

/* The dns event of pid: the name and address of dns_exchange()'s answer. */
static void check_dns(const struct evs *e, pid_t pid, int status)
{
	const struct jv *ev = find_ev(e, "dns", pid, NULL, NULL, 0), *as;
	bool ok;
	char detail[256];

	as = ev ? jget(ev, "addresses") : NULL;
	ok = ev && streq(jstr(ev, "name"), "kmatrix.whodunit.test") && as &&
	     as->t == J_ARR && as->n == 1 && streq(as->items[0]->s, "127.0.0.9");
	snprintf(detail, sizeof(detail), "answer to pid %d (exit status %d): %s", (int)pid,
		 status, ok ? "dns event with the name and address" : "missing or wrong");
	result("probes", "dns", ok, detail);
}

/*
 * net_listen and udp_session on this kernel (auto mode): a TCP listener, a
 * UDP bind to port 0, and a UDP socket sending two datagrams, all ours.
 */
static void run_probes(void)
{
	const char *mode = "probes";
	struct agent a = { 0 };
	char cfg[512], variant[32], readyline[512], detail[1024];
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int tl = -1, ub = -1, us = -1, tport = -1, uport = -1, dport = 9, dstatus = -1;
	pid_t dpid;
	struct evs e;
	const struct jv *ev, *d;

	snprintf(a.errpath, sizeof(a.errpath), "/tmp/wd-probes.err");
	snprintf(a.evpath, sizeof(a.evpath), "/tmp/ev-probes.json");
	unlink(a.evpath);
	snprintf(cfg, sizeof(cfg), "agent:\n  output: file:%s\nnet_listen:\n"
		 "  protocols: [tcp, udp]\nudp_session: {}\ndns: {}\n", a.evpath);
	if (write_file("/tmp/wd.yaml", cfg)) {
		result(mode, "ready", false, "cannot write /tmp/wd.yaml");
		return;
	}
	start_agent(&a, "auto", 0);
	if (wait_ready(&a, variant, sizeof(variant), readyline, sizeof(readyline))) {
		result(mode, "ready", false, "agent not ready with net_listen + udp_session");
		if (!reap(&a, 2000)) {
			kill(a.pid, SIGKILL);
			reap(&a, 5000);
		}
		dump_file("mode=probes stderr", a.errpath);
		return;
	}
	result(mode, "ready", true, readyline);
	tl = socket(AF_INET, SOCK_STREAM, 0);
	if (tl >= 0 && !bind(tl, (struct sockaddr *)&sa, sizeof(sa)) && !listen(tl, 4))
		tport = bound_port(tl);
	ub = socket(AF_INET, SOCK_DGRAM, 0);
	if (ub >= 0 && !bind(ub, (struct sockaddr *)&sa, sizeof(sa)))
		uport = bound_port(ub);
	us = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_port = htons((uint16_t)dport);
	for (int i = 0; i < 2 && us >= 0; i++)
		sendto(us, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa));
	close(us); /* the release ends the session */
	dpid = dns_exchange();
	if (dpid > 0)
		waitpid(dpid, &dstatus, 0);
	sleep_ms(400);
	kill(a.pid, SIGTERM);
	reap(&a, EXIT_TIMEOUT_MS);
	evs_load(&e, a.evpath);

	ev = find_ev(&e, "net_listen", getpid(), "laddr", "127.0.0.1", tport);
	snprintf(detail, sizeof(detail), "TCP listener 127.0.0.1:%d: %s", tport,
		 ev && streq(jstr(ev, "protocol"), "tcp") ? "reported" : "missing");
	result(mode, "listen-tcp", ev && streq(jstr(ev, "protocol"), "tcp"), detail);

	ev = find_ev(&e, "net_listen", getpid(), "laddr", "127.0.0.1", uport);
	d = ev ? jget(ev, "random_bind") : NULL;
	snprintf(detail, sizeof(detail), "UDP bind 127.0.0.1:%d (port 0 asked): %s", uport,
		 ev ? "reported" : "missing");
	result(mode, "bind-udp", ev && streq(jstr(ev, "protocol"), "udp") && d &&
	       d->t == J_BOOL && d->b, detail);

	ev = find_ev(&e, "udp_session", getpid(), NULL, NULL, 0);
	d = NULL;
	if (ev) {
		const struct jv *ds = jget(ev, "destinations");

		d = ds && ds->t == J_ARR && ds->n == 1 ? ds->items[0] : NULL;
	}
	{
		long long port = -1, cnt = -1;
		bool ok = d && streq(jstr(d, "daddr"), "127.0.0.1") && jnum(d, "port", &port) &&
			  port == dport && jnum(d, "msg_count", &cnt) && cnt == 2 &&
			  streq(jstr(ev, "error"), "");

		snprintf(detail, sizeof(detail), "2 datagrams to 127.0.0.1:%d: %s", dport,
			 ok ? "one session, msg_count 2" : "missing or wrong");
		result(mode, "udp-session", ok, detail);
		if (!ok)
			dump_file("mode=probes events", a.evpath);
	}
	check_dns(&e, dpid, dstatus);
	evs_free(&e);
	if (tl >= 0)
		close(tl);
	if (ub >= 0)
		close(ub);
	dump_file("mode=probes stderr", a.errpath);
}

/* ------------------------------------------------------- in-kernel cost */

#define COST_CONNECTS 3000

/* COST_CONNECTS non-blocking connects to a loopback port nobody listens on. */
static void connect_loop(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	for (int i = 0; i < COST_CONNECTS; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (fd < 0)
			continue;
		connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
	}
}

/* The agent's "program NAME: N runs, X ns per run" lines: connect programs summed. */
static double connect_ns(const char *text, char *progs, size_t len)
{
	double total = 0;

	progs[0] = 0;
	for (const char *p = text; (p = strstr(p, "program ")); p++) {
		char name[64];
		unsigned long long runs;
		double ns;

		if (sscanf(p, "program %63[^:]: %llu runs, %lf ns per run", name, &runs,
			   &ns) != 3)
			continue;
		addf(progs, len, "%s%s=%.0fns/%llu", progs[0] ? " " : "", name, ns, runs);
		/* the tcp_connect probe's programs (not dns or udp_session ones) */
		if (strstr(name, "tcp_") || strstr(name, "sys_exit_connect"))
			total += ns * (double)runs;
	}
	return total / COST_CONNECTS;
}

/* The agent's in-kernel time per connect, with kernel.bpf_stats_enabled. */
static void run_cost(const char *mode, const char *kind, const char *filters, int port)
{
	char cfg[256], variant[32], readyline[512], progs[1024], cas[32];
	struct agent a = { 0 };
	char *text;
	double ns;

	snprintf(cas, sizeof(cas), "cost-%s", kind);
	snprintf(a.errpath, sizeof(a.errpath), "/tmp/cost-%s-%s.err", mode, kind);
	snprintf(cfg, sizeof(cfg), "agent:\n  output: file:/tmp/cost.json\n"
		 "  repeat_limit: {window: 0}\n"
		 "tcp_connect:\n  filters: %s\n", filters);
	if (write_file("/tmp/wd.yaml", cfg) || !start_agent(&a, mode, 0) ||
	    wait_ready(&a, variant, sizeof(variant), readyline, sizeof(readyline))) {
		result(mode, cas, false, "agent not ready");
		return;
	}
	connect_loop(port);
	kill(a.pid, SIGTERM);
	reap(&a, EXIT_TIMEOUT_MS);
	text = read_file(a.errpath, NULL);
	ns = text ? connect_ns(text, progs, sizeof(progs)) : 0;
	out_line("WDTEST-INFO cost mode=%s config=%s connects=%d ns_per_connect=%.0f %s",
		 variant, kind, COST_CONNECTS, ns, progs);
	result(mode, cas, ns > 0, ns > 0 ? "program stats logged" : "no program stats");
	free(text);
	unlink("/tmp/cost.json");
}

static void run_costs(int port)
{
	static const char *modes[] = { "fentry", "kprobe", "tracepoint" };

	if (write_file("/proc/sys/kernel/bpf_stats_enabled", "1")) {
		result("cost", "bpf-stats", false, "cannot enable kernel.bpf_stats_enabled");
		return;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		run_cost(modes[i], "filtered", "[{network: 127.0.0.0/8}]", port);
		run_cost(modes[i], "reported", "[]", port);
	}
	write_file("/proc/sys/kernel/bpf_stats_enabled", "0");
}

int main(int argc, char **argv)
{
	static const char *modes[] = { "fentry", "kprobe", "tracepoint", "auto" };
	char variant[32], first_ok[32] = "";
	struct listeners l = { .v4 = -1, .v6 = -1, .closed4 = -1 };

	if (argc > 1)
		whodunit = argv[1];
	if (argc > 2)
		gt_client = argv[2];
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IONBF, 0);

	out_line("WDTEST-INFO guest_check pid %d ppid %d", (int)getpid(), (int)getppid());
	l.v4 = open_v4(true);
	l.port4 = l.v4 >= 0 ? bound_port(l.v4) : -1;
	l.v6 = open_v6();
	if (l.v6 < 0)
		snprintf(l.v6err, sizeof(l.v6err), "IPv6 listener on ::1: %s",
			 strerror(errno));
	l.port6 = l.v6 >= 0 ? bound_port(l.v6) : -1;
	/* Bound but not listening: a connect to it is refused (RST). */
	l.closed4 = open_v4(false);
	l.port_refused = l.closed4 >= 0 ? bound_port(l.closed4) : -1;
	out_line("WDTEST-INFO ports ipv4=%d ipv6=%d refused=%d", l.port4, l.port6,
		 l.port_refused);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		bool is_auto = !strcmp(modes[i], "auto");

		run_mode(modes[i], &l, variant, sizeof(variant), is_auto ? first_ok : NULL);
		if (!is_auto && !first_ok[0] && !strcmp(variant, modes[i]))
			snprintf(first_ok, sizeof(first_ok), "%s", variant);
	}
	run_probes();
	run_costs(l.port_refused);
	out_line("WDTEST-DONE %d %d", npass, nfail);
	return nfail ? 1 : 0;
}
