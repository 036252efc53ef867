"""udp_session: sessions of UDP sockets, IPv4, IPv6 and IPv4-mapped, on
real BPF (cgroup hooks). Ground truth from the test's own sender process;
absence asserted only after a later session event has arrived."""
import json
import subprocess
import sys

from conftest import free_port

SENDER = r"""
import json, os, socket, sys, time
out = []
for spec in sys.argv[1:]:
    fam, addr, port, n = spec.split(",")
    s = socket.socket(socket.AF_INET6 if fam == "6" else socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(int(n)):
        s.sendto(b"x", (addr, int(port)))
    s.close()
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid()}), flush=True)
"""


def send(*specs, tag="sender"):
    """One child process sends datagrams (one socket per spec) and exits."""
    argv = [sys.executable, "-c", SENDER] + ["%s,%s,%d,%d" % s for s in specs]
    r = subprocess.run(argv + [], capture_output=True, check=True, timeout=30)
    return json.loads(r.stdout), argv


def sessions(agent, pid):
    return [e for e in agent.events() if e["probe"] == "udp_session" and e["pid"] == pid]


def test_pidtree_udp_cases(make_agent):
    p1, p2 = free_port(), free_port()
    while p2 == p1:
        p2 = free_port()
    agent = make_agent("agent:\n  output: file:@OUT@\nudp_session:\n"
                       "  filters:\n    - {network: 127.0.0.0/16}\n"
                       "  includeports: [%d]\n" % p1).start()
    truth, argv = send(("4", "127.1.33.7", p2, 1), ("4", "127.0.0.1", p1, 1),
                       ("4", "127.1.33.7", p1, 3), ("6", "::1", p1, 2),
                       ("6", "::ffff:127.1.33.7", p1, 1), ("6", "::ffff:127.0.0.1", p1, 1))
    # The last reported session of the sender is the sentinel. A v4-mapped
    # destination goes through the kernel's IPv4 path: reported as IPv4.
    agent.wait_event(lambda e: e["probe"] == "udp_session" and e["pid"] == truth["pid"]
                     and e["destinations"][0]["daddr"] == "127.1.33.7"
                     and e["destinations"][0]["msg_count"] == 1,
                     what="v4-mapped session")
    got = sessions(agent, truth["pid"])
    dests = [(d["daddr"], d["port"], d["msg_count"]) for e in got for d in e["destinations"]]
    assert ("127.1.33.7", p1, 3) in dests
    assert ("::1", p1, 2) in dests
    assert ("127.1.33.7", p1, 1) in dests
    assert not [d for d in dests if d[1] == p2], dests           # includeports
    assert not [d for d in dests if d[0] == "127.0.0.1"], dests   # filtered
    assert not [d for d in dests if d[0] == "::ffff:127.0.0.1"], dests  # mapped: filtered as v4
    for e in got:
        assert e["error"] == ""
        leaf = e["proctree"][0]
        assert leaf["pid"] == truth["pid"] and leaf["ppid"] == truth["ppid"]
        assert leaf["cmdline"] == " ".join(argv)
        assert e["proctree"][-1]["pid"] == 1
        assert len(e["destinations"]) == 1
    assert agent.stop()[0] == 0


def test_one_socket_many_destinations_and_first_datagram(make_agent):
    agent = make_agent("agent:\n  output: file:@OUT@\nudp_session:\n"
                       "  emit_on_first_datagram: true\n").start()
    code = ("import socket,json,os;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "for p in (%d,%d,%d): s.sendto(b'x',('127.1.2.3',p))\n"
            "s.sendto(b'x',('127.1.2.3',%d));s.close();print(os.getpid())")
    ports = [free_port() for _ in range(3)]
    r = subprocess.run([sys.executable, "-c", code % tuple(ports + ports[:1])],
                       capture_output=True, check=True, timeout=30)
    pid = int(r.stdout)
    final = agent.wait_event(lambda e: e["pid"] == pid and "first_datagram" not in e,
                             what="session at close")
    assert [(d["port"], d["msg_count"]) for d in final["destinations"]] == \
        [(ports[0], 2), (ports[1], 1), (ports[2], 1)]
    firsts = [e for e in sessions(agent, pid) if e.get("first_datagram")]
    assert [e["destinations"][0]["port"] for e in firsts] == ports
    assert all(e["seq"] < final["seq"] for e in firsts)
    assert agent.stop()[0] == 0


def test_session_max_duration(make_agent):
    agent = make_agent("agent:\n  output: file:@OUT@\nudp_session:\n"
                       "  session_max_duration: 1\n").start()
    port = free_port()
    p = subprocess.Popen([sys.executable, "-c",
                          "import socket,time,os,sys;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                          "print(os.getpid(),flush=True)\n"
                          "for _ in range(3): s.sendto(b'x',('127.1.2.4',%d))\n"
                          "sys.stdin.read()" % port],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    pid = int(p.stdout.readline())
    try:
        ev = agent.wait_event(lambda e: e["pid"] == pid, what="expired session")
        assert ev["error"] == "session_max_duration_exceeded"
        assert ev["destinations"][0]["msg_count"] == 3
    finally:
        p.stdin.close()
        p.wait(timeout=10)
    assert agent.stop()[0] == 0


BURST = r"""
import os, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for _ in range(n):  # one socket at a time: a bounded fd count
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("127.0.0.1", port))
    s.close()
print(os.getpid(), flush=True)
"""


def test_burst_with_full_ring_leaves_udp_session_working(make_agent):
    """70,000 sockets, one datagram each, while the agent is stopped with a
    4 KiB ring: afterwards new sessions are still reported, and every
    socket of the burst is a session or counted as lost."""
    import os
    import signal
    import time
    n, after_n = 70000, 40
    port = free_port()
    agent = make_agent("agent:\n  output: file:@OUT@\n  ring_buffer_size: 4K\n"
                       "udp_session:\n  includeports: [%d]\n"
                       "  emit_on_first_datagram: true\n" % port).start()
    os.kill(agent.proc.pid, signal.SIGSTOP)
    try:
        r = subprocess.run([sys.executable, "-c", BURST, str(port), str(n)],
                           capture_output=True, check=True, timeout=300)
    finally:
        os.kill(agent.proc.pid, signal.SIGCONT)
    burst_pid = int(r.stdout)
    # More sockets than records fitted in the ring, all open at once (a
    # slot freed by a delivered record serves one of them only), each
    # reported at its first datagram; one at a time, for the small ring.
    # The host's process records share the ring: a destination whose
    # record was lost gets another datagram (and, fixed, another record).
    code = ("import socket,sys,os;print(os.getpid(),flush=True);ss=[]\n"
            "for line in sys.stdin:\n"
            " if line == 'new\\n': ss.append(socket.socket(socket.AF_INET,"
            "socket.SOCK_DGRAM))\n"
            " ss[-1].sendto(b'x',('127.0.0.1',%d));print(len(ss),flush=True)\n" % port)
    p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    again = 0
    try:
        pid2 = int(p.stdout.readline())
        for i in range(1, after_n + 1):
            cmd = b"new\n"
            deadline = time.monotonic() + 20
            while True:
                p.stdin.write(cmd)
                p.stdin.flush()
                assert int(p.stdout.readline()) == i
                try:
                    agent.wait_event(lambda e: len(sessions(agent, pid2)) == i,
                                     timeout=1)
                    break
                except AssertionError:
                    if time.monotonic() > deadline:
                        raise AssertionError("no first datagram %d after the burst"
                                             % i)
                cmd = b"again\n"
                again += 1
    finally:
        p.stdin.close()
        p.wait(timeout=10)
    assert agent.stop()[0] == 0
    firsts = [e for e in sessions(agent, pid2) if e.get("first_datagram")]
    finals = [e for e in sessions(agent, pid2) if not e.get("first_datagram")]
    assert len(firsts) == after_n and len(finals) == after_n
    # (a release record lost to the ring: the session ends at the stop)
    assert {e["error"] for e in finals} <= {"", "agent_stopping"}
    burst = [e for e in sessions(agent, burst_pid) if not e.get("first_datagram")]
    assert all(len(e["destinations"]) == 1 for e in burst)
    assert {e["error"] for e in burst} <= {"", "agent_stopping"}
    n_lost = sum(r["count"] for r in agent.records("lost"))
    assert {r["reason"] for r in agent.records("lost")} == {"ring_full"}
    # (the sockets after the burst lost at most one record per datagram)
    assert n <= len(burst) + n_lost <= n + after_n + again, (len(burst), n_lost, again)
    total = agent.records("stop")[0]["total"]
    assert total["lost_ring_full"] == n_lost
    assert total["udp_map_full"] == 0
    assert total["udp_close_lost"] == len([e for e in burst + finals if e["error"]])
    assert total["udp_sessions_dropped"] == 0


def test_many_destinations_fit_max_event_size(make_agent):
    """One socket, 500 destinations: records within max_event_size, the
    destinations left out counted in destinations_truncated."""
    agent = make_agent("agent:\n  output: file:@OUT@\n  max_event_size: 8000\n"
                       "udp_session: {}\n").start()
    code = ("import socket,os;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "for i in range(500): s.sendto(b'x',('127.3.%d.%d'%(i//200,i%200+1),9))\n"
            "s.close();print(os.getpid())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                       timeout=30)
    pid = int(r.stdout)
    ev = agent.wait_event(lambda e: e["probe"] == "udp_session" and e["pid"] == pid,
                          what="session of 500 destinations")
    assert agent.stop()[0] == 0
    raw = [l for l in agent.lines if b'"udp_session"' in l and
           b'"pid":%d,' % pid in l]
    assert len(raw) == 1 and len(raw[0]) <= 8000, [len(l) for l in raw]
    assert 0 < len(ev["destinations"]) <= 64
    assert ev["destinations_truncated"] == 500 - len(ev["destinations"])
    assert all(d["msg_count"] == 1 for d in ev["destinations"])
    stop = agent.records("stop")[0]["total"]
    assert stop["udp_destinations_truncated"] == ev["destinations_truncated"]


def test_rules_tag_and_drop_destinations(make_agent):
    """A tag rule tags the destinations it matched (inside each one); a drop
    rule leaves its destination out; one socket holds all three."""
    tagged, dropped, plain = free_port(), free_port(), free_port()
    while len({tagged, dropped, plain}) < 3:
        plain = free_port()
    agent = make_agent("agent:\n  output: file:@OUT@\n  stats_interval: 0\n"
                       "udp_session:\n  filters: []\n"
                       "rules:\n"
                       "  - {name: syslog-out, action: tag, match: {probe: udp_session, port: %d}}\n"
                       "  - {name: any-udp, action: tag, match: {probe: udp_session, comm: python3}}\n"
                       "  - {name: noise, action: drop, match: {port: %d}}\n"
                       % (tagged, dropped)).start()
    code = ("import socket,os;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "for p in (%d,%d,%d): s.sendto(b'x',('127.1.2.4',p))\n"
            "s.close();print(os.getpid())" % (tagged, dropped, plain))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                       timeout=30)
    pid = int(r.stdout)
    ev = agent.wait_event(lambda e: e["probe"] == "udp_session" and e["pid"] == pid,
                          what="the session")
    by_port = {d["port"]: d for d in ev["destinations"]}
    assert sorted(by_port) == sorted([tagged, plain]), ev["destinations"]
    assert by_port[tagged]["rules"] == ["syslog-out", "any-udp"]
    assert by_port[plain]["rules"] == ["any-udp"]
    assert "rules" not in ev  # (per destination, not per session)
    assert agent.stop()[0] == 0
    assert agent.records("stop")[0]["rules"]["noise"]["count"] == 1
