#!/usr/bin/python3
"""whodunit benchmark: the agent's cost on a connect-heavy host, side by side
with the alternatives, plus drain rate, start-up time, memory and latency.

Run as root through `make bench`. Traffic goes to loopback, or to an address
inside a network namespace this script creates (a veth pair whose peer is
down: packets are dropped inside the namespace, nothing leaves the machine).

Configurations are interleaved in rounds (A B C ... A B C ...) and every
result is a ratio to the no-agent baseline of the same round: the machines
are noisy, so absolute rates across runs mean little.
"""
import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
WHODUNIT = os.path.join(BUILD, "whodunit")
LOADGEN = os.path.join(BUILD, "bench", "loadgen")
DGSEND = os.path.join(BUILD, "bench", "dgsend")
DRAIN_PAD = 0  # bytes added to the load's command line (records stay ~1.4 KB)
NETNS = "wdbench-%d" % os.getpid()
NS_TARGET = "192.0.2.2"   # inside NETNS only (TEST-NET-1, peer link down)
AGENT_CPU = "0"
LOAD_CPU = 1


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, **kw)


# ---- environment ------------------------------------------------------------

def netns_up(ns=None, veth="wdb"):
    """A namespace whose NS_TARGET swallows SYNs (used by soak.py too)."""
    ns = ns or NETNS
    sh("ip", "netns", "add", ns)
    for cmd in (["link", "set", "lo", "up"],
                ["link", "add", veth + "0", "type", "veth", "peer", "name", veth + "1"],
                ["addr", "add", "192.0.2.1/24", "dev", veth + "0"],
                ["link", "set", veth + "0", "up"],
                # wdb1 stays down and holds no address (else 192.0.2.2 would
                # be local): the SYN is dropped at wdb0, no ARP needed
                ["neigh", "add", NS_TARGET, "lladdr", "02:00:00:00:00:02",
                 "dev", veth + "0", "nud", "permanent"]):
        sh("ip", "-n", ns, *cmd)


def netns_down():
    subprocess.run(["ip", "netns", "del", NETNS], check=False)


class Listener:
    """loadgen -L on loopback, pinned to the load CPU."""

    def __init__(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen(
            [LOADGEN, "-L", "-a", "127.0.0.1", "-p", str(self.port),
             "-c", str(LOAD_CPU)], stdout=subprocess.PIPE)
        assert self.proc.stdout.readline().strip() == b"listening"

    def close(self):
        self.proc.kill()
        self.proc.wait()


# ---- what runs beside the load --------------------------------------------

class Agent:
    """whodunit pinned to AGENT_CPU; started when READY=1 arrives."""

    def __init__(self, tmp, config, name="agent", binary=None):
        self.binary = binary or WHODUNIT
        self.tmp = tmp
        self.cfg = os.path.join(tmp, name + ".yaml")
        self.out = os.path.join(tmp, name + ".json")
        self.err = os.path.join(tmp, name + ".err")
        with open(self.cfg, "w") as f:
            f.write(config.replace("@OUT@", self.out))
        self.proc = None

    def start(self, extra_env=None):
        sock = os.path.join(self.tmp, "notify-%d.sock" % time.monotonic_ns())
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(sock)
        ns.settimeout(20)
        env = {"NOTIFY_SOCKET": sock}
        t0 = time.monotonic()
        with open(self.err, "ab") as errf:
            self.proc = subprocess.Popen(
                ["taskset", "-c", AGENT_CPU, self.binary, "-c", self.cfg],
                env=env, stderr=errf, stdout=subprocess.DEVNULL)
        try:
            while b"READY=1" not in ns.recv(4096):
                pass
        finally:
            ns.close()
            os.unlink(sock)
        self.ready_s = time.monotonic() - t0
        return self

    def rss_kib(self, field="VmRSS"):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=10)
        assert rc == 0, "agent exited %d: %s" % (rc, open(self.err).read())
        with open(self.err) as f:
            last = [l for l in f if "exit: seen" in l][-1]
        c = {}
        for part in last.split("exit: ")[1].replace(";", ",").split(","):
            words = part.split()
            if len(words) >= 2 and words[1].isdigit():
                c[words[0]] = int(words[1])
        return c


class Bpftrace:
    def __init__(self, tmp):
        self.out = os.path.join(tmp, "bpftrace.out")

    def start(self):
        self.f = open(self.out, "wb")
        self.proc = subprocess.Popen(
            ["taskset", "-c", AGENT_CPU, "bpftrace", "-e",
             'tracepoint:sock:inet_sock_set_state { printf("%d %s\\n", pid, comm); }'],
            stdout=self.f, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while b"Attaching" not in open(self.out, "rb").read():
            assert self.proc.poll() is None, open(self.out).read()
            assert time.monotonic() < deadline, "bpftrace did not attach"
            time.sleep(0.05)
        time.sleep(0.2)
        return self

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)
        self.f.close()
        return {}


class Auditd:
    """auditd with one rule: every connect(2)."""

    def __init__(self, tmp):
        self.tmp = tmp

    @staticmethod
    def available():
        if subprocess.run(["which", "auditd"], capture_output=True).returncode:
            return False, "auditd not installed"
        r = subprocess.run(["auditctl", "-s"], capture_output=True, text=True)
        if r.returncode:
            return False, "audit subsystem unavailable: " + r.stderr.strip()
        return True, "audit subsystem works (auditctl -s)"

    def start(self):
        # auditd turns auditing on for the whole host; put it back after,
        # or every later configuration runs with syscall auditing on.
        st = subprocess.run(["auditctl", "-s"], capture_output=True, text=True).stdout
        self.was_enabled = "enabled 1" in st or "enabled 2" in st
        subprocess.run(["pkill", "-x", "auditd"], capture_output=True)
        self.proc = subprocess.Popen(["taskset", "-c", AGENT_CPU, "auditd", "-n"],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        sh("auditctl", "-D", stdout=subprocess.DEVNULL)
        sh("auditctl", "-a", "always,exit", "-F", "arch=b64", "-S", "connect",
           "-k", "wdbench", stdout=subprocess.DEVNULL)
        return self

    def stop(self):
        sh("auditctl", "-D", stdout=subprocess.DEVNULL)
        self.proc.terminate()
        self.proc.wait(timeout=30)
        if not self.was_enabled:
            sh("auditctl", "-e", "0", stdout=subprocess.DEVNULL)
        return {}


# ---- the load --------------------------------------------------------------

def run_load(workload, seconds, listener, rate=0, logpath=None, pad=0):
    if workload == "blocking":
        argv = [LOADGEN, "-m", "blocking", "-a", "127.0.0.1",
                "-p", str(listener.port)]
    else:
        argv = ["ip", "netns", "exec", NETNS, LOADGEN, "-m", "nonblock",
                "-a", NS_TARGET, "-p", "9"]
    argv += ["-d", str(seconds), "-c", str(LOAD_CPU)]
    if rate:
        argv += ["-r", str(rate)]
    if logpath:
        argv += ["-l", logpath]
    if pad:  # a longer command line (loadgen ignores operands): bigger records
        argv += ["x" * pad]
    out = subprocess.run(argv, check=True, capture_output=True).stdout
    return json.loads(out)


class DetachedLoad:
    """A non-blocking load whose process tree is shallow: a shell detached
    with setsid -f before the agent starts (so its parent is pid 1 when
    the agent reads /proc) waits on a FIFO, then execs the load generator.
    The event of each connect has two ancestors, as a daemon's would."""

    def __init__(self, tmp, seconds, pad):
        self.fifo = os.path.join(tmp, "go.fifo")
        self.out = os.path.join(tmp, "load.json")
        if os.path.exists(self.fifo):
            os.unlink(self.fifo)
        os.mkfifo(self.fifo)
        cmd = ("read x < %s; exec ip netns exec %s %s -m nonblock -a %s -p 9 -d %s -c %d %s > %s"
               % (self.fifo, NETNS, LOADGEN, NS_TARGET, seconds, LOAD_CPU, "x" * pad, self.out))
        sh("setsid", "-f", "sh", "-c", cmd)

    def run(self):
        with open(self.fifo, "w") as f:
            f.write("go\n")
        while True:  # loadgen writes its JSON once, at the end
            time.sleep(0.05)
            try:
                with open(self.out) as f:
                    return json.loads(f.read())
            except (OSError, ValueError):
                continue


# (flood control off: the "reported" row writes every connect it counts)
REPORT_ALL = "agent:\n  output: file:@OUT@\n  repeat_limit: {window: 0}\ntcp_connect: {}\n"
# The same for a compared build older than flood control (no repeat_limit key).
REPORT_ALL_PLAIN = "agent:\n  output: file:@OUT@\ntcp_connect: {}\n"


def compared_report_config(binary):
    """REPORT_ALL if the compared build knows repeat_limit, else REPORT_ALL_PLAIN."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(REPORT_ALL.replace("@OUT@", "/dev/null"))
        f.flush()
        r = subprocess.run([binary, "--check-config", "-c", f.name], capture_output=True)
    return REPORT_ALL if r.returncode == 0 else REPORT_ALL_PLAIN
# Every connect of the load generator dropped by a rule on its executable:
# decided per process in the kernel once its exec is known.
RULE_DROP_ALL = ("agent:\n  output: file:@OUT@\n  repeat_limit: {window: 0}\n"
                 "tcp_connect: {}\nrules:\n  - name: loadgen\n    action: drop\n"
                 "    match: {exe: \"*/loadgen\"}\n")
# Flood control as shipped: per process and destination 100 events a minute,
# the rest counted in the kernel and summed up in summary events.
FLOOD = ("agent:\n  output: file:@OUT@\n  repeat_limit: {window: 60, burst: 100}\n"
         "tcp_connect: {}\n")
FILTER_ALL = ("agent:\n  output: file:@OUT@\ntcp_connect:\n  filters:\n"
              "    - {network: 127.0.0.0/8}\n    - {network: 192.0.2.0/24}\n")


def overhead(args, tmp, listener, results):
    audit_ok, audit_note = Auditd.available()
    results["audit_note"] = audit_note
    configs = [("no agent", None),
               ("whodunit, every connect reported (JSON file)",
                lambda: Agent(tmp, REPORT_ALL, "report")),
               ("whodunit, every connect filtered in-kernel",
                lambda: Agent(tmp, FILTER_ALL, "filter")),
               ("whodunit, every connect filtered, dns_names off",
                lambda: Agent(tmp, FILTER_ALL.replace("agent:\n", "agent:\n  dns_names: false\n"),
                              "filter-nodns")),
               ("whodunit, every connect dropped by an exe rule",
                lambda: Agent(tmp, RULE_DROP_ALL, "rule-drop")),
               ("whodunit, flooded: over repeat_limit's burst",
                lambda: Agent(tmp, FLOOD, "flood")),
               ("bpftrace, pid+comm on sock:inet_sock_set_state",
                lambda: Bpftrace(tmp))]
    if audit_ok:
        configs.append(("auditd, connect syscall rule", lambda: Auditd(tmp)))
    if args.compare:  # another build of whodunit, e.g. before a change
        cmp_report = compared_report_config(args.compare)
        configs[6:6] = [
            ("compared binary, every connect reported",
             lambda: Agent(tmp, cmp_report, "report-cmp", args.compare)),
            ("compared binary, every connect filtered",
             lambda: Agent(tmp, FILTER_ALL, "filter-cmp", args.compare))]
    table = {}
    for workload in ("nonblock", "blocking"):
        rows = {name: {"ratio": [], "rate": [], "p50": [], "p99": [], "extra": []}
                for name, _ in configs}
        for rnd in range(args.rounds):
            base = None
            for name, make in configs:
                runner = make().start() if make else None
                if isinstance(runner, Agent):
                    time.sleep(0.3)
                r = run_load(workload, args.seconds, listener)
                extra = runner.stop() if runner else {}
                if isinstance(runner, Agent):
                    assert extra.get("dropped", 0) == 0 or "report" not in runner.cfg, \
                        "ring buffer drops during the overhead run: %s" % extra
                    if "report" in runner.cfg:
                        assert extra["written"] >= r["connects"], (extra, r)
                    elif "filter" in runner.cfg:
                        assert extra["filtered"] >= r["connects"], (extra, r)
                    os.unlink(runner.out) if os.path.exists(runner.out) else None
                if base is None:
                    base = r["rate"]
                row = rows[name]
                row["ratio"].append(r["rate"] / base)
                row["rate"].append(r["rate"])
                row["p50"].append(r["lat_p50_ns"])
                row["p99"].append(r["lat_p99_ns"])
                log("  %-9s round %d  %-48s %9.0f connects/s  x%.3f"
                    % (workload, rnd + 1, name, r["rate"], r["rate"] / base))
        table[workload] = rows
    results["overhead"] = table


def prog_stats(pid):
    """run_cnt and run_time_ns of the BPF programs the process pid holds."""
    ids = set()
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    out = subprocess.run(["bpftool", "-j", "prog", "show"], check=True,
                         capture_output=True).stdout
    return {p["name"]: (p.get("run_cnt", 0), p.get("run_time_ns", 0))
            for p in json.loads(out) if p["id"] in ids}


def kernel_cost(args, tmp, results):
    """In-kernel time of the agent's programs (kernel.bpf_stats_enabled):
    ns per program run, and per connect summed over the connect programs.
    Rounds interleaved like the overhead rows; stats are on only here (they
    cost a little themselves)."""
    configs = [("filtered", FILTER_ALL), ("reported", REPORT_ALL),
               ("rule-dropped", RULE_DROP_ALL), ("flood-suppressed", FLOOD)]
    per = {name: {} for name, _ in configs}
    sysctl = "/proc/sys/kernel/bpf_stats_enabled"
    old = open(sysctl).read().strip()
    try:
        with open(sysctl, "w") as f:
            f.write("1")
        for rnd in range(args.rounds):
            for name, cfg in configs:
                a = Agent(tmp, cfg, "kc-" + name).start()
                time.sleep(0.3)
                before = prog_stats(a.proc.pid)
                r = run_load("nonblock", args.seconds, None)
                after = prog_stats(a.proc.pid)
                a.stop()
                conn_ns = 0
                for prog, (cnt, ns) in after.items():
                    cnt -= before.get(prog, (0, 0))[0]
                    ns -= before.get(prog, (0, 0))[1]
                    if not cnt:
                        continue
                    row = per[name].setdefault(prog, {"runs": [], "ns_per_run": []})
                    row["runs"].append(cnt)
                    row["ns_per_run"].append(ns / cnt)
                    conn_ns += ns  # every program of the agent, per connect
                per[name].setdefault("all, per connect", {"runs": [], "ns_per_run": []})
                per[name]["all, per connect"]["runs"].append(r["connects"])
                per[name]["all, per connect"]["ns_per_run"].append(conn_ns / max(r["connects"], 1))
                log("  kernel cost round %d %-9s %.0f ns per connect"
                    % (rnd + 1, name, conn_ns / max(r["connects"], 1)))
    finally:
        with open(sysctl, "w") as f:
            f.write(old)
    results["kernel_cost"] = per


def wait_quiet(target, t0, prev=0):
    """Watch a file's size only (reading it while it is written would compete
    with the writer): (size, time of the last growth) once 0.3 s pass quiet."""
    size, last = -1, t0
    while time.monotonic() - last < 0.3 and time.monotonic() - t0 < 120:
        time.sleep(0.002)
        cur = os.stat(target).st_size if os.path.exists(target) else 0
        if cur != size:
            size, last = cur, time.monotonic()
    return size, last


def count_lines(path, start=0):
    """Event lines from offset start: the agent's own records left out (its
    start record reaches rsyslogd's file after the drain's start offset)."""
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read()
    return data.count(b"\n") - data.count(b'"probe":"agent"')


def private_rsyslogd(tmp):
    """rsyslogd on its own socket, writing whodunit's messages to a file."""
    d = tempfile.mkdtemp(prefix="wdrs-", dir=tmp)
    target = os.path.join(d, "events.log")
    with open(os.path.join(d, "rs.conf"), "w") as f:
        f.write('global(workDirectory="%s")\n'
                'module(load="imuxsock" SysSock.Use="off")\n'
                'input(type="imuxsock" Socket="%s/log" RateLimit.Interval="0")\n'
                'template(name="m" type="string" string="%%msg%%\\n")\n'
                'if $programname == "whodunit" then action(type="omfile" '
                'file="%s" template="m")\n' % (d, d, target))
    rs = subprocess.Popen(["taskset", "-c", str(LOAD_CPU), "rsyslogd", "-n",
                           "-f", os.path.join(d, "rs.conf"),
                           "-i", os.path.join(d, "pid")])
    while not os.path.exists(os.path.join(d, "log")):
        time.sleep(0.05)
    return rs, d, target


def drain_once(args, tmp, sink, cfg, target):
    """One burst into a stopped agent, then the time its drain takes."""
    load = DetachedLoad(tmp, args.drain_seconds, DRAIN_PAD)
    agent = Agent(tmp, cfg + "tcp_connect: {}\n", "drain-" + sink).start()
    target = target or agent.out
    start = os.stat(target).st_size if os.path.exists(target) else 0
    os.kill(agent.proc.pid, signal.SIGSTOP)
    n = load.run()["connects"]
    t0 = time.monotonic()
    os.kill(agent.proc.pid, signal.SIGCONT)
    size, last = wait_quiet(target, t0)
    lines = count_lines(target, start)
    c = agent.stop()
    r = {"events": n, "lines": lines, "seconds": last - t0, "rate": lines / (last - t0),
         "dropped": c.get("dropped"), "emitted": c.get("emitted"), "bytes": size - start,
         "file": target}
    log("  drain to %-6s %d events in %.2fs: %.0f/s, dropped %s"
        % (sink, lines, last - t0, r["rate"], c.get("dropped")))
    return r


def drain_rate(args, tmp, results):
    """Events/s userland drains on one core, measured without the load
    generator as a limit: the agent is stopped (SIGSTOP) while a burst fills
    its ring buffer, then continued and timed until the last line is out.
    Rounds alternate file and syslog drains; each syslog round also measures
    rsyslogd's own ceiling right after
    (the same datagrams from a trivial sender): the ratio is per round."""
    base = "agent:\n  ring_buffer_size: 512M\n  repeat_limit: {window: 0}\n"
    files, rounds, sample = [], [], os.path.join(tmp, "sample.jsonl")
    for i in range(args.drain_rounds):
        # Each round starts clean: no writeback of an earlier round's 250 MB
        # (or an earlier phase's) competes with the drain (measured: 180k/s
        # with it, 350-450k/s without).
        os.sync()
        r = drain_once(args, tmp, "file", base + "  output: file:@OUT@\n", None)
        if not i:
            with open(r["file"], "rb") as f, open(sample, "wb") as smp:
                events = (l for l in f if b'"probe":"agent"' not in l)
                for _, line in zip(range(2000), events):
                    smp.write(line)
        os.unlink(r["file"])
        files.append(r)
        os.sync()
        rs, d, target = private_rsyslogd(tmp)
        try:
            r = drain_once(args, tmp, "syslog", base + "  syslog_socket: %s/log\n" % d,
                           target)
            r["ceiling"] = rsyslog_ceiling(d, target, sample, r["lines"])
            r["ratio"] = r["rate"] / r["ceiling"]["rate"]
        finally:
            rs.terminate()
            rs.wait()
            shutil.rmtree(d, ignore_errors=True)
        rounds.append(r)
    out = {"file": sorted(files, key=lambda r: r["rate"])[len(files) // 2]}
    out["file"]["rates"] = [r["rate"] for r in files]
    out["syslog"] = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]
    out["syslog"]["ratios"] = [r["ratio"] for r in rounds]
    results["drain"] = out


def rsyslog_ceiling(d, target, sample, n):
    """The rate rsyslogd itself takes whodunit's datagrams at: dgsend sends
    n of the same lines (syslog header added) to the same rsyslogd, which
    writes them to the same file; timed to the last line written."""
    start = os.stat(target).st_size
    p = subprocess.Popen(["taskset", "-c", AGENT_CPU, DGSEND, os.path.join(d, "log"),
                          sample, str(n)], stdout=subprocess.PIPE)
    t0 = time.monotonic()
    size, last = wait_quiet(target, t0)
    p.wait()
    got = count_lines(target, start)
    log("  rsyslogd ceiling: %d datagrams in %.2fs: %.0f/s" % (got, last - t0, got / (last - t0)))
    return {"lines": got, "seconds": last - t0, "rate": got / (last - t0)}


def start_once(tmp, binary, cfg, times, own):
    a = Agent(tmp, cfg, "start", binary).start()
    times.append(a.ready_s * 1000)
    a.stop()
    with open(a.err) as f:
        for line in f:
            if "programs attached in" in line:
                last = line
    own.append(int(last.split("attached in ")[1].split()[0]))


def startup(args, tmp, results):
    times, own, ctimes, cown = [], [], [], []
    cmp_cfg = compared_report_config(args.compare) if args.compare else None
    for _ in range(args.starts):
        start_once(tmp, None, REPORT_ALL, times, own)
        if args.compare:  # interleaved with the compared binary
            start_once(tmp, args.compare, cmp_cfg, ctimes, cown)
    results["startup_ms"] = {"median": statistics.median(times),
                             "min": min(times), "max": max(times),
                             "own_median": statistics.median(own)}
    log("  start to READY=1: median %.1f ms" % statistics.median(times))
    if args.compare:
        results["startup_ms_compared"] = {
            "median": statistics.median(ctimes), "min": min(ctimes),
            "max": max(ctimes), "own_median": statistics.median(cown)}
        log("  compared binary: median %.1f ms" % statistics.median(ctimes))


def memory_and_latency(args, tmp, listener, results):
    a = Agent(tmp, REPORT_ALL, "mem").start()
    time.sleep(1.0)
    idle = a.rss_kib()
    run_load("nonblock", args.seconds, None)
    hwm = a.rss_kib("VmHWM")
    a.stop()
    results["rss_kib"] = {"idle": idle, "peak_under_load": hwm}

    # fork storm: the process table stays bounded (issue: no growth without bound)
    a = Agent(tmp, REPORT_ALL, "storm").start()
    time.sleep(0.5)
    before = a.rss_kib()
    out = subprocess.run([LOADGEN, "-F", str(args.storm), "-c", str(LOAD_CPU)],
                         check=True, capture_output=True).stdout
    time.sleep(0.5)
    after, hwm = a.rss_kib(), a.rss_kib("VmHWM")
    c = a.stop()
    with open(a.err) as f:
        last = [l for l in f if "exit: seen" in l][-1]
    table = int(last.split("process table ")[1].split()[0])
    results["fork_storm"] = {"forks": args.storm, "rss_before_kib": before,
                             "rss_after_kib": after, "rss_peak_kib": hwm,
                             "table_after": table,
                             "seconds": json.loads(out)["seconds"]}
    log("  fork storm of %d: RSS %d -> %d KiB (peak %d), table %d entries"
        % (args.storm, before, after, hwm, table))

    # latency: 10 connects/s, time from connect() to the line in the file
    a = Agent(tmp, REPORT_ALL, "lat").start()
    logpath = os.path.join(tmp, "lat.log")
    p = subprocess.Popen(
        ["ip", "netns", "exec", NETNS, LOADGEN, "-m", "nonblock", "-a", NS_TARGET,
         "-p", "9", "-d", str(args.latency_seconds), "-r", "10", "-l", logpath,
         "-c", str(LOAD_CPU)], stdout=subprocess.DEVNULL)
    seen, pos, buf, grace = {}, 0, b"", None
    while True:
        now = time.time_ns()
        if os.path.exists(a.out):
            with open(a.out, "rb") as f:
                f.seek(pos)
                data = f.read()
            pos += len(data)
            buf += data
            *lines, buf = buf.split(b"\n")
            for l in lines:
                ev = json.loads(l)
                if ev.get("probe") == "tcp_connect":  # (agent records too)
                    seen.setdefault(ev["sport"], now)
        if p.poll() is not None:
            grace = grace or time.monotonic()
            if time.monotonic() - grace > 0.5:  # one more drain period
                break
        time.sleep(0.001)
    a.stop()
    lat = []
    with open(logpath) as f:
        for line in f:
            t, port = line.split()
            if int(port) in seen:
                lat.append((seen[int(port)] - int(t)) / 1e6)
    lat.sort()
    n_conn = sum(1 for _ in open(logpath))
    results["latency_ms"] = {"n": len(lat), "connects": n_conn,
                             "p50": lat[len(lat) // 2] if lat else None,
                             "p99": lat[min(len(lat) - 1, len(lat) * 99 // 100)] if lat else None,
                             "max": lat[-1] if lat else None}
    log("  latency: %d/%d events, p50 %.1f ms p99 %.1f ms"
        % (len(lat), n_conn, results["latency_ms"]["p50"] or -1,
           results["latency_ms"]["p99"] or -1))


def fmt_ratio(v):
    return "%.3f (%.3f..%.3f)" % (statistics.median(v), min(v), max(v))


def report(args, results):
    o = []
    o.append("Machine: %s, %d CPUs, kernel %s; agent pinned to CPU %s, load to CPU %d."
             % (platform.node(), os.cpu_count(), platform.release(), AGENT_CPU, LOAD_CPU))
    o.append("Rounds: %d x %.0f s per configuration, interleaved; ratio = connect rate "
             "/ no-agent rate of the same round: median (min..max)." % (args.rounds, args.seconds))
    o.append("")
    for workload, title in (("nonblock", "non-blocking connect+close, netns target"),
                            ("blocking", "blocking connect+close, loopback listener")):
        rows = results["overhead"][workload]
        o.append("### %s" % title)
        o.append("")
        o.append("| configuration | ratio to baseline | connects/s (median) | connect() p50 / p99 µs |")
        o.append("| --- | --- | --- | --- |")
        for name, row in rows.items():
            o.append("| %s | %s | %.0f | %.1f / %.1f |" % (
                name, fmt_ratio(row["ratio"]), statistics.median(row["rate"]),
                statistics.median(row["p50"]) / 1000, statistics.median(row["p99"]) / 1000))
        o.append("")
    o.append("auditd: %s." % results["audit_note"])
    o.append("")
    o.append("### in-kernel cost (kernel.bpf_stats_enabled), non-blocking load")
    o.append("")
    o.append("| configuration | program | runs per round (median) | ns per run: median (min..max) |")
    o.append("| --- | --- | --- | --- |")
    for name, progs in results["kernel_cost"].items():
        for prog, row in sorted(progs.items(), key=lambda kv: kv[0] == "all, per connect"):
            v = row["ns_per_run"]
            o.append("| %s | %s | %.0f | %.0f (%.0f..%.0f) |" % (
                name, prog, statistics.median(row["runs"]), statistics.median(v),
                min(v), max(v)))
    o.append("")
    d = results["drain"]
    s = results["startup_ms"]
    r = results["rss_kib"]
    lat = results["latency_ms"]
    o.append("| measure | result |")
    o.append("| --- | --- |")
    for sink in ("file", "syslog"):
        rates = d[sink].get("rates")
        o.append("| drain to %s, one core, burst of %d events of %.0f bytes%s | %.0f events/s%s, %d lost (ring drops %s) |"
                 % (sink, d[sink]["events"], d[sink]["bytes"] / max(d[sink]["lines"], 1),
                    ", median of %d rounds" % len(rates) if rates else "",
                    d[sink]["rate"],
                    " (%.0f..%.0f)" % (min(rates), max(rates)) if rates else "",
                    d[sink]["events"] - d[sink]["lines"], d[sink]["dropped"]))
    ceil = d["syslog"]["ceiling"]
    o.append("| rsyslogd's own ceiling (same datagrams from a trivial sender, right after) / whodunit's rate as a share of it, median of %d rounds (min..max) | %.0f lines/s / %s |"
             % (len(d["syslog"]["ratios"]), ceil["rate"], fmt_ratio(d["syslog"]["ratios"])))
    o.append("| start to attached (READY=1), median of %d | %.1f ms (min %.1f, max %.1f; agent's own count %.0f ms) |"
             % (args.starts, s["median"], s["min"], s["max"], s["own_median"]))
    if "startup_ms_compared" in results:
        c = results["startup_ms_compared"]
        o.append("| the compared binary, interleaved | %.1f ms (min %.1f, max %.1f; own count %.0f ms) |"
                 % (c["median"], c["min"], c["max"], c["own_median"]))
    o.append("| RSS idle / peak under load | %.1f MiB / %.1f MiB |"
             % (r["idle"] / 1024, r["peak_under_load"] / 1024))
    fs = results["fork_storm"]
    o.append("| fork storm of %d short processes (%.1f s): RSS before / after / peak, table entries after | %.1f / %.1f / %.1f MiB, %d |"
             % (fs["forks"], fs["seconds"], fs["rss_before_kib"] / 1024,
                fs["rss_after_kib"] / 1024, fs["rss_peak_kib"] / 1024, fs["table_after"]))
    o.append("| binary size (static, BPF embedded, with debug info) | %.2f MiB |"
             % (results["binary_bytes"] / 1048576))
    o.append("| event latency at 10 connects/s, connect() to line in file | p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d/%d events) |"
             % (lat["p50"], lat["p99"], lat["max"], lat["n"], lat["connects"]))
    return "\n".join(o)


def main():
    # Keep the harness itself off the agent's CPU.
    os.sched_setaffinity(0, {LOAD_CPU})
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--drain-seconds", type=float, default=4)
    ap.add_argument("--drain-rounds", type=int, default=5,
                    help="file drain, syslog drain and rsyslogd ceiling, alternated")
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--latency-seconds", type=float, default=10)
    ap.add_argument("--storm", type=int, default=100000)
    ap.add_argument("--only", choices=["overhead", "kernel", "drain", "startup", "misc"])
    ap.add_argument("--out", default=os.path.join(BUILD, "bench", "results.md"))
    ap.add_argument("--compare", metavar="BINARY",
                    help="another whodunit build measured beside this one "
                         "(overhead and start-up rows), e.g. before a change")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench.py: run as root (it loads BPF and creates a netns)")
    results = {}
    global WHODUNIT
    # Measure a copy: a rebuild during the run must not swap the binary.
    frozen = tempfile.mkdtemp(prefix="wdb-bin-")
    shutil.copy2(WHODUNIT, os.path.join(frozen, "whodunit"))
    WHODUNIT = os.path.join(frozen, "whodunit")
    if args.compare:
        shutil.copy2(args.compare, os.path.join(frozen, "compared"))
        args.compare = os.path.join(frozen, "compared")
    os.sync()  # (no writeback of earlier work may throttle the agents' writes)
    netns_up()
    listener = Listener()
    try:
        with tempfile.TemporaryDirectory(prefix="wdb-") as tmp:
            if args.only in (None, "overhead"):
                log("overhead (%d rounds):" % args.rounds)
                overhead(args, tmp, listener, results)
            if args.only in (None, "kernel"):
                log("in-kernel cost (bpf_stats, %d rounds):" % args.rounds)
                kernel_cost(args, tmp, results)
            if args.only in (None, "drain"):
                log("drain rate:")
                drain_rate(args, tmp, results)
            if args.only in (None, "startup"):
                log("start-up:")
                startup(args, tmp, results)
            if args.only in (None, "misc"):
                log("memory and latency:")
                memory_and_latency(args, tmp, listener, results)
    finally:
        listener.close()
        netns_down()
        shutil.rmtree(frozen, ignore_errors=True)
    results["binary_bytes"] = os.path.getsize(os.path.join(BUILD, "whodunit"))
    if args.only:
        print(json.dumps(results, indent=1))
        return
    text = report(args, results)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text + "\n")
    with open(args.out.replace(".md", ".json"), "w") as f:
        json.dump(results, f, indent=1)
    print(text)


if __name__ == "__main__":
    main()
