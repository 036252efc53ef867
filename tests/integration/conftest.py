"""Integration-test harness: a real whodunit, real BPF, loopback only.

The agent is started with a config written by the test, and is ready when it
sends READY=1 to the NOTIFY_SOCKET the harness listens on (no sleeps).
Events are read from the agent's JSON output file.
"""
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

WHODUNIT = os.path.abspath(os.environ.get("WHODUNIT", "build/whodunit"))
GT_CLIENT = os.path.abspath(os.environ.get("GT_CLIENT", "build/tests/gt_client"))


def require_root():
    if os.geteuid() != 0:
        pytest.skip("integration tests load BPF: run as root")


class Agent:
    def __init__(self, tmp, config_text, args=(), output=None, prefix=()):
        self.prefix = list(prefix)  # e.g. a wrapper that hides kernel BTF
        self.tmp = tmp
        self.out = output or os.path.join(tmp, "events.json")
        self.cfg = None
        if config_text is not None:  # None: run on the embedded default
            self.cfg = os.path.join(tmp, "whodunit.yaml")
            with open(self.cfg, "w") as f:
                f.write(config_text.replace("@OUT@", self.out))
        self.args = [a.replace("@OUT@", self.out) for a in args]
        self.proc = None
        self.stderr_path = os.path.join(tmp, "agent.stderr")
        self._pos = 0
        self._buf = b""
        self.lines = []

    def start(self, timeout=15, env=None, keep_notify=False):
        """Start and wait for READY=1. keep_notify: the notify socket stays
        open as self.notify (for WATCHDOG=1 and STATUS= messages)."""
        sock_path = os.path.join(self.tmp, "notify.sock")
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(sock_path)
        ns.settimeout(timeout)
        env = dict(env or {}, NOTIFY_SOCKET=sock_path)
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            self.prefix + [WHODUNIT] + (["-c", self.cfg] if self.cfg else [])
            + self.args,
            env=env, cwd="/", stdin=subprocess.DEVNULL,
            stdout=self._stderr, stderr=self._stderr)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if self.proc.poll() is not None:
                    raise AssertionError(
                        "agent exited %d before ready: %s"
                        % (self.proc.returncode, self.stderr()))
                ns.settimeout(max(0.1, min(0.5, deadline - time.monotonic())))
                try:
                    msg = ns.recv(4096).decode()
                except socket.timeout:
                    if time.monotonic() > deadline:
                        raise AssertionError("agent not ready: " + self.stderr())
                    continue
                if "READY=1" in msg.split("\n"):
                    if keep_notify:
                        self.notify, ns = ns, None
                    return self
        finally:
            if ns:
                ns.close()

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def _read_new(self):
        try:
            with open(self.out, "rb") as f:
                f.seek(self._pos)
                data = f.read()
        except FileNotFoundError:
            return
        self._pos += len(data)
        self._buf += data
        *complete, self._buf = self._buf.split(b"\n")
        for raw in complete:
            self.lines.append(raw)

    def events(self):
        """The events so far (agent records left out: see records())."""
        return [e for e in self.all_lines() if e.get("probe") != "agent"]

    def records(self, event=None):
        """The agent's own records ("probe": "agent"), of one kind if given."""
        return [e for e in self.all_lines() if e.get("probe") == "agent"
                and (event is None or e["event"] == event)]

    def all_lines(self):
        self._read_new()
        return [json.loads(l) for l in self.lines]

    def wait_log(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while text not in self.stderr():
            if time.monotonic() > deadline:
                raise AssertionError("no %r in the log within %ss: %s"
                                     % (text, timeout, self.stderr()))
            time.sleep(0.02)

    def wait_event(self, pred, timeout=10, what="event"):
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.events():
                if pred(ev):
                    return ev
            if time.monotonic() > deadline:
                raise AssertionError("no %s within %ss; got %d events; agent: %s"
                                     % (what, timeout, len(self.lines),
                                        self.stderr()))
            time.sleep(0.02)

    def stop(self, timeout=1.0):
        """SIGTERM; returns (exit code, seconds it took)."""
        if self.proc is None or self.proc.poll() is not None:
            return (self.proc.returncode if self.proc else None), 0.0
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=max(timeout, 5))
        finally:
            self._stderr.close()
        return rc, time.monotonic() - t0

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def tmpdir_short():
    # AF_UNIX paths must stay short: keep the directory under /tmp.
    with tempfile.TemporaryDirectory(prefix="wd-") as d:
        yield d


@pytest.fixture
def make_agent(tmpdir_short):
    require_root()
    agents = []

    def make(config_text, args=(), output=None, prefix=()):
        a = Agent(tmpdir_short, config_text, args, output, prefix)
        agents.append(a)
        return a

    yield make
    for a in agents:
        a.kill()


FILE_CONFIG = """\
agent:
  output: file:@OUT@
tcp_connect: {}
"""


class Listener:
    """A TCP listener on loopback, accepting in the background."""

    def __init__(self, addr="127.0.0.1", family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
                conn.close()
            except (socket.timeout, OSError):
                continue

    def close(self):
        self._stop = True
        self._thread.join()
        self.sock.close()


def free_port(addr="127.0.0.1", family=socket.AF_INET):
    """A port on which nothing listens (bound then released)."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((addr, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_ppid(pid):
    with open("/proc/%d/stat" % pid, "rb") as f:
        data = f.read()
    rest = data[data.rindex(b")") + 2:].split()
    return int(rest[1])


def proc_chain(pid):
    """pid, its parent, ... up to 1, read from /proc now."""
    chain = [pid]
    while chain[-1] != 1:
        chain.append(proc_ppid(chain[-1]))
    return chain


def proc_cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().rstrip(b"\0").replace(b"\0", b" ")


class Client:
    """bash -c '<gt_client ...>; true' : a two-level tree the test owns."""

    def __init__(self, addr, port, extra=()):
        self.argv = [GT_CLIENT, addr, str(port)] + list(extra)
        script = b" ".join(_shquote(a) for a in self.argv) + b"; true"
        self.bash_argv = [b"bash", b"-c", script]
        self.proc = subprocess.Popen(self.bash_argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("gt_client printed nothing")
        self.truth = json.loads(line)

    def finish(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def _shquote(a):
    if isinstance(a, str):
        a = a.encode()
    return b"'" + a.replace(b"'", b"'\\''") + b"'"


RSYSLOG_CONF = """\
global(workDirectory="{d}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{d}/log" CreatePath="on")
template(name="raw" type="string"
         string="%syslogfacility-text% %programname% %msg%\\n")
if $programname == "whodunit" then {{
    action(type="omfile" file="{d}/events.log" template="raw")
}}
"""


def start_rsyslogd(d):
    """A private rsyslogd: whodunit's messages from socket D/log land in
    D/events.log as "facility programname message" lines."""
    with open(os.path.join(d, "rsyslog.conf"), "w") as f:
        f.write(RSYSLOG_CONF.format(d=d))
    rs = subprocess.Popen(["rsyslogd", "-n", "-f", os.path.join(d, "rsyslog.conf"),
                           "-i", os.path.join(d, "rsyslog.pid")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not os.path.exists(os.path.join(d, "log")):
        assert rs.poll() is None, rs.stderr.read().decode()
        assert time.monotonic() < deadline, "rsyslogd socket missing"
        time.sleep(0.05)
    rs.socket_path = os.path.join(d, "log")
    return rs


def stop_rsyslogd(rs):
    """Stopped, its socket gone (the next one is made anew at the same path)."""
    rs.terminate()
    rs.wait(timeout=10)
    if os.path.exists(rs.socket_path):
        os.unlink(rs.socket_path)


@pytest.fixture
def rsyslog(tmpdir_short):
    """start_rsyslogd's daemon in the test's directory, which it yields."""
    rs = [start_rsyslogd(tmpdir_short)]
    yield tmpdir_short
    stop_rsyslogd(rs[0])


def syslog_agent(make_agent, d):
    """A started agent reporting every connect (no filter: loopback too) to
    the syslog socket of start_rsyslogd(d)."""
    return make_agent("agent:\n  syslog_socket: %s/log\ntcp_connect: {}\n" % d).start()


def syslog_event(d, pid, timeout=10):
    """(facility, programname, event, raw line) of pid's event, or None."""
    logf = os.path.join(d, "events.log")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(logf):
            for line in open(logf, "rb").read().splitlines():
                fac, prog, msg = line.split(b" ", 2)
                ev = json.loads(msg)
                if ev.get("pid") == pid and ev["probe"] != "agent":
                    return fac, prog, ev, line
        time.sleep(0.05)
    return None
