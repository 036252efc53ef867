"""Operations: the agent's own records in the stream, every loss accounted for,
health for the service manager and Prometheus. Loopback traffic only."""
import errno
import hashlib
import os
import signal
import socket
import subprocess
import time

from conftest import WHODUNIT, Client, Listener, require_root

REPORT_PORT_CONFIG = """\
agent:
  output: file:@OUT@
  stats_interval: %(stats)d
  repeat_limit: {window: 0}  # bursts to one port: every connect counts
%(extra)s
tcp_connect:
  includeports: [%(port)d]
"""


def config(port, stats=60, extra=""):
    return REPORT_PORT_CONFIG % {"port": port, "stats": stats, "extra": extra}


def connect_burst(port, n):
    """n non-blocking connects to 127.0.0.1:port from this process."""
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        err = s.connect_ex(("127.0.0.1", port))
        assert err in (0, errno.EINPROGRESS), err
        s.close()


def wait_for(pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_start_and_stop_records_frame_the_stream(make_agent):
    lst = Listener()
    agent = make_agent(config(lst.port)).start()
    try:
        c = Client("127.0.0.1", lst.port)
        agent.wait_event(lambda e: e.get("pid") == c.truth["pid"])
        c.finish()
    finally:
        lst.close()
    assert agent.stop()[0] == 0
    lines = agent.all_lines()
    start, stop = lines[0], lines[-1]
    assert (start["probe"], start["event"]) == ("agent", "start")
    assert start["pid"] == agent.proc.pid
    assert start["config"] == agent.cfg
    with open(agent.cfg, "rb") as f:
        assert start["config_sha256"] == hashlib.sha256(f.read()).hexdigest()
    with open("/proc/sys/kernel/random/boot_id") as f:
        assert start["boot_id"] == f.read().strip()
    assert start["variant"] in ("fentry", "kprobe", "tracepoint")
    assert (stop["probe"], stop["event"], stop["reason"]) == ("agent", "stop", "SIGTERM")
    assert stop["total"]["lost_ring_full"] == 0
    # one sequence for events and records: 1, 2, 3, ... with no gap
    assert [l["seq"] for l in lines] == list(range(1, len(lines) + 1))


def test_stats_records_are_a_heartbeat(make_agent, tmpdir_short):
    metrics = os.path.join(tmpdir_short, "whodunit.prom")
    lst = Listener()
    agent = make_agent(config(lst.port, stats=1,
                              extra="  metrics_file: %s" % metrics)).start()
    try:
        connect_burst(lst.port, 5)
        assert wait_for(lambda: len(agent.records("stats")) >= 2, 5), agent.stderr()
    finally:
        lst.close()
    assert agent.stop()[0] == 0
    stats = agent.records("stats")
    assert 0.8 < stats[0]["interval_s"] < 2.0
    totals = stats[-1]["total"]
    assert totals["seen"] >= 5 and totals["emitted"] >= 5
    assert sum(s["since_last"]["emitted"] for s in stats) == totals["emitted"]
    assert stats[-1]["process_table"] > 0
    assert 0 < stats[-1]["process_table_bytes"] <= stats[-1]["process_table_max_bytes"]
    with open(metrics) as f:
        text = f.read()
    assert "# TYPE whodunit_seen_total counter" in text
    seen = [l for l in text.splitlines() if l.startswith("whodunit_seen_total ")]
    assert len(seen) == 1 and int(seen[0].split()[1]) >= 5


def test_ring_overflow_is_accounted_for_in_the_stream(make_agent):
    """A 4 KiB ring, the agent stopped during a burst: every connect is
    either an event or counted in a lost record, nothing in between."""
    n = 3000
    lst = Listener()
    agent = make_agent(config(lst.port, extra="  ring_buffer_size: 4K")).start()
    try:
        os.kill(agent.proc.pid, signal.SIGSTOP)
        try:
            connect_burst(lst.port, n)
        finally:
            os.kill(agent.proc.pid, signal.SIGCONT)
        time.sleep(0.5)
    finally:
        lst.close()
    assert agent.stop()[0] == 0
    written = [e for e in agent.events() if e["port"] == lst.port]
    lost = agent.records("lost")
    assert lost, "no lost record after a ring overflow"
    assert {r["reason"] for r in lost} == {"ring_full"}
    n_lost = sum(r["count"] for r in lost)
    assert n_lost > 0
    assert len(written) + n_lost == n, (len(written), n_lost)
    stop = agent.records("stop")[0]
    assert stop["total"]["lost_ring_full"] == n_lost
    lines = agent.all_lines()
    assert [l["seq"] for l in lines] == list(range(1, len(lines) + 1))


def test_watchdog_and_status_reach_the_service_manager(make_agent):
    lst = Listener()
    agent = make_agent(config(lst.port, stats=1)).start(
        env={"WATCHDOG_USEC": "400000"}, keep_notify=True)
    msgs = []
    try:
        deadline = time.monotonic() + 2.5
        agent.notify.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                msgs.append(agent.notify.recv(4096).decode())
            except socket.timeout:
                pass
    finally:
        agent.notify.close()
        lst.close()
    assert agent.stop()[0] == 0
    pings = [m for m in msgs if m == "WATCHDOG=1"]
    # every 200 ms (half the timeout) for 2.5 s
    assert len(pings) >= 8, msgs
    assert any(m.startswith("STATUS=events written ") for m in msgs), msgs


UNDO_MOUNTS_SCRIPT = r"""
set -e
umount /sys/kernel/tracing 2>/dev/null || true
umount -l /sys/kernel/debug 2>/dev/null || true
grep ' cgroup2 ' /proc/self/mounts | while read -r _ dir _; do umount -l "$dir"; done
test ! -e /sys/kernel/tracing/events
"$WD" -c "$CONF" 2>"$ERR" &
pid=$!
for _ in $(seq 200); do
    grep -q 'ready:' "$ERR" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
kill -TERM $pid
wait $pid || echo "rc $?"
echo MOUNTS
cat /proc/self/mounts
"""


def test_mounts_made_by_the_agent_are_undone_at_stop(tmpdir_short):
    """In a mount namespace without tracefs and cgroup2 the agent mounts
    them; SIGTERM unmounts them again."""
    require_root()
    conf = os.path.join(tmpdir_short, "w.yaml")
    with open(conf, "w") as f:
        f.write("agent:\n  output: file:%s/ev.json\n  variant: tracepoint\n"
                "tcp_connect: {}\nudp_session: {}\n" % tmpdir_short)
    err = os.path.join(tmpdir_short, "agent.stderr")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                        UNDO_MOUNTS_SCRIPT],
                       env=dict(os.environ, WD=WHODUNIT, CONF=conf, ERR=err),
                       capture_output=True, timeout=60)
    with open(err) as f:
        log = f.read()
    out = r.stdout.decode()
    assert r.returncode == 0 and "MOUNTS" in out, (r.stderr, log)
    assert "rc " not in out, log
    assert "mounted tracefs on /sys/kernel/tracing" in log, log
    assert "unmounted /run/whodunit/cgroup2" in log, log
    mounts = out.split("MOUNTS", 1)[1]
    assert " /sys/kernel/tracing " not in mounts, mounts
    assert "/run/whodunit/cgroup2" not in mounts, mounts
