"""Reload: SIGHUP and watch_config apply a new configuration without a blind
spot, a bad one changes nothing, logrotate loses nothing. Loopback only."""
import calendar
import collections
import json
import os
import signal
import socket
import subprocess
import sys
import time

from conftest import Listener

CONFIG = """\
agent:
  output: file:@OUT@
  stats_interval: 0
%(agent)s
tcp_connect:
  includeports: [%(ports)s]
"""

# A client that connects to 127.0.0.1:PORT every few ms until stdin closes,
# printing (time before, time after, source port) of each connect.
LOAD = r"""
import socket, sys, time, select
port = int(sys.argv[1])
out = []
while not select.select([sys.stdin], [], [], 0.003)[0]:
    s = socket.socket()
    t0 = time.time_ns()
    try:
        s.connect(("127.0.0.1", port))
        sport = s.getsockname()[1]
    except OSError:
        sport = 0
    t1 = time.time_ns()
    s.close()
    out.append((t0, t1, sport))
print("\n".join("%d %d %d" % o for o in out))
"""


def write_config(path, ports, agent=""):
    tmp = path + ".new"
    with open(path) as f:
        out = f.read().split("output: file:")[1].split("\n")[0]
    with open(tmp, "w") as f:
        f.write((CONFIG % {"ports": ports, "agent": agent}).replace("@OUT@", out))
    os.rename(tmp, path)


def ts_ns(record):
    """A record's timestamp ("2026-11-30T00:18:46.253696Z") as ns since the epoch."""
    t = record["timestamp"]
    base = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S"))
    return base * 10**9 + int(t[20:26]) * 1000


def wait_records(agent, event, n, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(agent.records(event)) >= n:
            return agent.records(event)
        time.sleep(0.02)
    raise AssertionError("%d %s records expected: %s" % (n, event, agent.stderr()))


def test_reload_under_load_judges_each_connect_by_one_config(make_agent):
    """50 reloads between "drop port P" and "report port P" while a client
    connects to P: a connect made wholly inside a window is reported exactly
    when that window's config reports P; no event lost or duplicated."""
    lst = Listener()
    other = Listener()  # keeps the includeports list non-empty when P is dropped
    # (flood control off: every connect of the load client is judged)
    nofl = "  repeat_limit: {window: 0}"
    agent = make_agent(CONFIG % {"ports": other.port, "agent": nofl}).start()
    pid = agent.proc.pid
    load = subprocess.Popen([sys.executable, "-c", LOAD, str(lst.port)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    windows = []  # (config reports P?, reload number, SIGHUP time)
    try:
        for i in range(50):
            report = i % 2 == 0
            write_config(agent.cfg, "%d, %d" % (other.port, lst.port) if report
                         else "%d" % other.port, agent=nofl)
            sent = time.time_ns()
            os.kill(pid, signal.SIGHUP)
            wait_records(agent, "reload", i + 1)
            windows.append((report, i, sent))
            time.sleep(0.06)
        end = time.time_ns()
    finally:
        load.stdin.close()
        conns = [tuple(map(int, l.split())) for l in load.stdout.read().split("\n") if l]
        load.wait()
        lst.close()
        other.close()
    assert agent.proc.pid == pid and agent.proc.poll() is None
    assert agent.stop()[0] == 0
    reloads = agent.records("reload")
    assert len(reloads) == 50 and all(r["ok"] for r in reloads), reloads[:2]
    assert all(r["changed"] == ["filters"] for r in reloads)
    events = [e for e in agent.events() if e["port"] == lst.port]
    # loopback reuses ports (tcp_tw_reuse): never more events than connects
    # per source port, and an event belongs to the connect it happened in
    per_port = collections.Counter(c[2] for c in conns)
    for sport, n in collections.Counter(e["sport"] for e in events).items():
        assert n <= per_port[sport], "an event written twice: port %d" % sport
    times = collections.defaultdict(list)
    for e in events:
        times[e["sport"]].append(ts_ns(e))

    def reported(t0, t1, sport):
        return any(t0 - 2_000_000 <= t <= t1 + 2_000_000 for t in times[sport])

    checked = 0
    for k, (report, i, _) in enumerate(windows):
        start = ts_ns(reloads[i])  # the new config is in force from here
        stop = windows[k + 1][2] if k + 1 < len(windows) else end
        for t0, t1, sport in conns:
            if sport and t0 >= start and t1 <= stop:
                checked += 1
                assert reported(t0, t1, sport) == report, (i, report, sport)
    assert checked > 100, "too few connects inside the windows: %d" % checked
    lines = agent.all_lines()
    assert [l["seq"] for l in lines] == list(range(1, len(lines) + 1))
    assert not agent.records("lost")
    # the process table survived the reloads: the client is still the entry
    # its exec record made (exe as execve got it; /proc would give the
    # symlink's target, /usr/bin/python3.11 for /usr/bin/python3)
    assert events and events[-1]["proctree"][0]["exe"] == sys.executable


def test_bad_reloads_keep_the_running_config(make_agent, tmpdir_short):
    lst = Listener()
    agent = make_agent(CONFIG % {"ports": lst.port, "agent": ""}).start()
    good = open(agent.cfg).read()
    bad = [
        ("tcp_connect:\n  includeports: [1\n", ":3:1: "),
        (good + "  bogus_key: 1\n", ":7:3: unknown key 'bogus_key'"),
        (good.replace("includeports: [%d]" % lst.port,
                      "includeports: !include nothere.yaml"), "nothere.yaml"),
    ]
    try:
        for n, (text, where) in enumerate(bad, 1):
            with open(agent.cfg, "w") as f:
                f.write(text)
            os.kill(agent.proc.pid, signal.SIGHUP)
            rec = wait_records(agent, "reload", n)[-1]
            assert rec["ok"] is False and where in rec["error"], rec
            assert rec["error"].startswith(agent.cfg), rec
            assert rec["changed"] == [] and rec["pending_restart"] == []
        # still the first config: port P reported
        s = socket.create_connection(("127.0.0.1", lst.port))
        sport = s.getsockname()[1]
        s.close()
        agent.wait_event(lambda e: e.get("sport") == sport)
    finally:
        lst.close()
    assert agent.stop()[0] == 0
    assert "refused, the running configuration stays" in agent.stderr()


def test_settings_that_need_a_restart_are_named(make_agent):
    lst = Listener()
    agent = make_agent(CONFIG % {"ports": lst.port, "agent": ""}).start()
    write_config(agent.cfg, lst.port, agent="  ring_buffer_size: 8M\n"
                 "  max_event_size: 4K")
    os.kill(agent.proc.pid, signal.SIGHUP)
    rec = wait_records(agent, "reload", 1)[0]
    lst.close()
    assert agent.stop()[0] == 0
    assert rec["ok"] is True
    assert rec["pending_restart"] == ["ring_buffer_size"]
    assert rec["changed"] == ["max_event_size"]
    assert ("changed: max_event_size; waiting for a restart: ring_buffer_size"
            in agent.stderr()), agent.stderr()


def test_watch_config_reloads_on_a_change(make_agent):
    lst = Listener()
    agent = make_agent(CONFIG % {"ports": lst.port,
                                 "agent": "  watch_config: true"}).start()
    try:
        write_config(agent.cfg, "%d, 1" % lst.port, agent="  watch_config: true")
        rec = wait_records(agent, "reload", 1, timeout=5)[0]
        assert rec["ok"] and rec["trigger"] == "watch" and rec["changed"] == ["filters"]
        # the watch is armed again: a second edit reloads again
        write_config(agent.cfg, "%d, 2" % lst.port, agent="  watch_config: true")
        wait_records(agent, "reload", 2, timeout=5)
    finally:
        lst.close()
    assert agent.stop()[0] == 0


def test_logrotate_loses_nothing(make_agent, tmpdir_short):
    """The real logrotate moves the file output and sends SIGHUP, three times,
    under a steady load: every line is in exactly one file, in order."""
    lst = Listener()
    agent = make_agent(CONFIG % {"ports": lst.port,
                                 "agent": "  repeat_limit: {window: 0}"}).start()
    conf = os.path.join(tmpdir_short, "logrotate.conf")
    with open(conf, "w") as f:
        f.write("%s {\n  rotate 10\n  create\n  postrotate\n    kill -HUP %d\n"
                "  endscript\n}\n" % (agent.out, agent.proc.pid))
    load = subprocess.Popen([sys.executable, "-c", LOAD, str(lst.port)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(3):
            time.sleep(0.4)
            subprocess.run(["logrotate", "-f", "-s", os.path.join(tmpdir_short, "state"),
                            conf], check=True)
        time.sleep(0.4)
    finally:
        load.stdin.close()
        conns = [l for l in load.stdout.read().split("\n") if l]
        load.wait()
        lst.close()
    assert agent.stop()[0] == 0
    files = [agent.out + ".%d" % i for i in (3, 2, 1)] + [agent.out]
    lines = []
    for path in files:
        with open(path) as f:
            got = [json.loads(l) for l in f]
        assert got, "%s is empty" % path
        lines += got
    assert [l["seq"] for l in lines] == list(range(1, len(lines) + 1))
    reloads = [l for l in lines if l.get("event") == "reload"]
    assert len(reloads) == 3 and all(r["ok"] and r["changed"] == [] for r in reloads)
    sports = [int(l.split()[2]) for l in conns if int(l.split()[2])]
    got = [l["sport"] for l in lines if l.get("port") == lst.port]
    assert sorted(got) == sorted(sports)


TOGGLE = """\
agent:
  output: file:@OUT@
  stats_interval: 0
tcp_connect:
  includeports: [1]
%s
"""


def listen_once():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    s.close()
    return port


def test_probes_are_attached_and_detached_at_reload(make_agent):
    """net_listen off and on again by reload (its programs were loaded at
    start); udp_session, not loaded at start, waits for a restart."""
    agent = make_agent(TOGGLE % "net_listen: {}").start()
    p1 = listen_once()
    agent.wait_event(lambda e: e["probe"] == "net_listen" and e["port"] == p1)
    with open(agent.cfg, "w") as f:
        f.write((TOGGLE % "").replace("@OUT@", agent.out))
    os.kill(agent.proc.pid, signal.SIGHUP)
    off = wait_records(agent, "reload", 1)[0]
    p2 = listen_once()
    with open(agent.cfg, "w") as f:
        f.write((TOGGLE % "net_listen: {}\nudp_session: {}").replace("@OUT@", agent.out))
    os.kill(agent.proc.pid, signal.SIGHUP)
    on = wait_records(agent, "reload", 2)[1]
    p3 = listen_once()
    agent.wait_event(lambda e: e["probe"] == "net_listen" and e["port"] == p3)
    assert agent.stop()[0] == 0
    assert off["ok"] and off["changed"] == ["probes"]
    assert on["ok"] and on["changed"] == ["probes"]
    assert on["pending_restart"] == ["probes not loaded at start"]
    ports = [e["port"] for e in agent.events() if e["probe"] == "net_listen"]
    assert p2 not in ports, "net_listen reported while it was off"
