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
