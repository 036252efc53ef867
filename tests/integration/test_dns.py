"""dest_name and the dns probe on real BPF: DNS answers captured in the
kernel, names behind addresses in userland. Everything happens in a network
namespace the test makes, with its own DNS responder (dns_responder.py) on
the namespace's 127.0.0.1:53 and /etc/netns/NAME/resolv.conf pointing at it;
clients resolve with the C library (Python's getaddrinfo) and print their pid
(ground truth)."""
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from conftest import require_root

HERE = os.path.dirname(os.path.abspath(__file__))

# Resolve and connect as told: "resolve:NAME:4|6", "connect:ADDR:PORT",
# "child:ADDR:PORT" (a child process connects), "udp:ADDR:PORT" (one datagram
# from a new socket), "sleep:SECONDS".
CLIENT = r"""
import json, os, socket, subprocess, sys, time
out = {"pid": os.getpid(), "ppid": os.getppid(), "resolved": {}, "children": []}
for op in sys.argv[1:]:
    kind, arg, extra = op.split(",")
    if kind == "resolve":
        fam = socket.AF_INET6 if extra == "6" else socket.AF_INET
        try:
            out["resolved"][arg] = sorted({a[4][0] for a in socket.getaddrinfo(
                arg, 80, fam, socket.SOCK_STREAM)})
        except socket.gaierror as e:
            out["resolved"][arg] = str(e)
    elif kind in ("connect", "child"):
        if kind == "child":
            code = ("import os,socket,sys;s=socket.socket(socket.AF_INET6 if ':' in sys.argv[1] "
                    "else socket.AF_INET);s.settimeout(5);s.connect((sys.argv[1],int(sys.argv[2])));"
                    "print(os.getpid())")
            r = subprocess.run([sys.executable, "-c", code, arg, extra], capture_output=True,
                               check=True)
            out["children"].append(int(r.stdout))
            continue
        s = socket.socket(socket.AF_INET6 if ":" in arg else socket.AF_INET)
        s.settimeout(5)
        s.connect((arg, int(extra)))
        s.close()
    elif kind == "udp":
        s = socket.socket(socket.AF_INET6 if ":" in arg else socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x", (arg, int(extra)))
        s.close()
    elif kind == "sleep":
        time.sleep(float(arg))
print(json.dumps(out), flush=True)
"""

# Accepts on [::]:0 (IPv4 too) and prints the port.
LISTENER = r"""
import socket
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    c.close()
"""

CONFIG = """\
agent:
  output: file:@OUT@
  stats_interval: 0
tcp_connect:
  filters: []
"""


class Netns:
    """A network namespace with loopback up, a DNS responder and a listener."""

    def __init__(self):
        self.name = "wd-dns-%d" % os.getpid()
        self.procs = []
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.etc = "/etc/netns/" + self.name
        try:
            subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
            os.makedirs(self.etc, exist_ok=True)
            with open(self.etc + "/resolv.conf", "w") as f:
                f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
            self.start([sys.executable, os.path.join(HERE, "dns_responder.py"), "127.0.0.1"])
            self.port = int(self.start([sys.executable, "-c", LISTENER]))
            self.inode = os.stat("/run/netns/" + self.name).st_ino
        except BaseException:
            self.close()
            raise

    def start(self, argv):
        p = subprocess.Popen(["ip", "netns", "exec", self.name] + argv,
                             stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.procs.append(p)
        return p.stdout.readline().decode().strip()  # "ready", or the port

    def client(self, *ops, netns=True):
        argv = [sys.executable, "-c", CLIENT] + [",".join(map(str, op)) for op in ops]
        if netns:
            argv = ["ip", "netns", "exec", self.name] + argv
        r = subprocess.run(argv, capture_output=True, check=True, timeout=60)
        return json.loads(r.stdout)

    def close(self):
        for p in self.procs:
            p.kill()
            p.wait()
        shutil.rmtree(self.etc, ignore_errors=True)
        subprocess.run(["ip", "netns", "del", self.name], check=False)


@pytest.fixture
def ns():
    require_root()
    n = Netns()
    yield n
    n.close()


def connects(agent, pid):
    return [e for e in agent.events() if e["probe"] == "tcp_connect" and e["pid"] == pid]


def one_connect(agent, pid, daddr):
    return agent.wait_event(lambda e: e["probe"] == "tcp_connect" and e["pid"] == pid
                            and e["daddr"] == daddr, what="connect of %d to %s" % (pid, daddr))


def wait_records(agent, event, n, timeout=10):
    deadline = time.monotonic() + timeout
    while len(agent.records(event)) < n:
        assert time.monotonic() < deadline, "fewer than %d %s records" % (n, event)
        time.sleep(0.02)
    return agent.records(event)


def test_self_host_and_other_netns(make_agent, ns):
    agent = make_agent(CONFIG).start()
    a = ns.client(("resolve", "svc.whodunit.test", 4), ("connect", "127.0.0.77", ns.port),
                  ("child", "127.0.0.77", ns.port))
    assert a["resolved"]["svc.whodunit.test"] == ["127.0.0.77"]
    ev = one_connect(agent, a["pid"], "127.0.0.77")
    assert ev["dest_name"] == "svc.whodunit.test"  # the name asked, not the CNAME target
    assert ev["dest_name_by"] == "self"
    assert ev["netns"] == ns.inode and ev["error"] == ""
    child = one_connect(agent, a["children"][0], "127.0.0.77")
    assert child["proctree"][1]["pid"] == a["pid"]
    assert (child["dest_name"], child["dest_name_by"]) == ("svc.whodunit.test", "self")
    # another process of the namespace, which resolved nothing
    b = ns.client(("connect", "127.0.0.77", ns.port))
    ev = one_connect(agent, b["pid"], "127.0.0.77")
    assert (ev["dest_name"], ev["dest_name_by"]) == ("svc.whodunit.test", "host")
    # the same address in another namespace (ours: refused) has no name
    c = subprocess.run([sys.executable, "-c", "import os,socket\nprint(os.getpid())\n"
                        "try: socket.create_connection(('127.0.0.77', %d), 5)\n"
                        "except OSError: pass" % ns.port],
                       capture_output=True, check=True, timeout=30)
    ev = one_connect(agent, int(c.stdout), "127.0.0.77")
    assert "dest_name" not in ev and "dest_name_by" not in ev
    rc, _ = agent.stop()
    assert rc == 0
    t = agent.records("stop")[0]["total"]
    assert t["dns_captured"] >= 1 and t["dns_lost"] == 0
    # every answer captured is accounted for
    assert t["dns_captured"] == t["dns_answers"] + t["dns_malformed"] + t["dns_ignored"]


def test_name_expires_with_its_ttl(make_agent, ns):
    agent = make_agent(CONFIG).start()
    # TTL 6 s (above the 5 s floor): named at once, not 6.5 s later
    a = ns.client(("resolve", "short.whodunit.test", 4), ("connect", "127.0.0.99", ns.port),
                  ("sleep", 6.5, 0), ("connect", "127.0.0.99", ns.port))
    agent.wait_event(lambda e: e["pid"] == a["pid"] and len(connects(agent, a["pid"])) == 2,
                     what="two connects")
    first, second = connects(agent, a["pid"])
    assert (first["dest_name"], first["dest_name_by"]) == ("short.whodunit.test", "self")
    assert "dest_name" not in second
    assert agent.stop()[0] == 0


def test_aaaa_and_ipv4_mapped(make_agent, ns):
    agent = make_agent(CONFIG).start()
    a = ns.client(("resolve", "six.whodunit.test", 6), ("connect", "::1", ns.port),
                  ("resolve", "mapped.whodunit.test", 4),
                  ("connect", "::ffff:127.0.0.88", ns.port))
    assert a["resolved"]["six.whodunit.test"] == ["::1"]
    ev = one_connect(agent, a["pid"], "::1")
    assert (ev["family"], ev["dest_name"], ev["dest_name_by"]) == \
        ("ipv6", "six.whodunit.test", "self")
    ev = one_connect(agent, a["pid"], "::ffff:127.0.0.88")
    assert (ev["dest_name"], ev["dest_name_by"]) == ("mapped.whodunit.test", "self")
    assert agent.stop()[0] == 0


def test_hostile_answer_is_counted_and_names_nothing(make_agent, ns):
    agent = make_agent(CONFIG).start()
    a = ns.client(("resolve", "x.bad.whodunit.test", 4), ("connect", "127.0.0.66", ns.port))
    assert isinstance(a["resolved"]["x.bad.whodunit.test"], str)  # the C library refused it
    ev = one_connect(agent, a["pid"], "127.0.0.66")
    assert "dest_name" not in ev
    assert agent.stop()[0] == 0
    t = agent.records("stop")[0]["total"]
    assert t["dns_malformed"] >= 1 and t["dns_answers"] == 0
    assert t["dns_captured"] == t["dns_malformed"] + t["dns_ignored"]


def test_dns_probe_event(make_agent, ns):
    agent = make_agent(CONFIG + "dns:\n  filters:\n    - {network: 127.0.0.99/32}\n").start()
    a = ns.client(("resolve", "svc.whodunit.test", 4), ("resolve", "short.whodunit.test", 4))
    ev = agent.wait_event(lambda e: e["probe"] == "dns" and e["pid"] == a["pid"],
                          what="dns event")
    assert ev["name"] == "svc.whodunit.test" and ev["type"] == "A"
    assert ev["addresses"] == ["127.0.0.77"]
    assert ev["cname_chain"] == ["edge.whodunit.test", "host7.cdn.whodunit.test"]
    assert ev["ttl"] == 30 and ev["server"] == "127.0.0.1"
    assert ev["netns"] == ns.inode
    assert ev["proctree"][0]["pid"] == a["pid"] and ev["proctree"][0]["ppid"] == a["ppid"]
    assert "svc.whodunit.test" in ev["proctree"][0]["cmdline"]
    assert ev["proctree"][-1]["pid"] == 1
    rc, _ = agent.stop()
    assert rc == 0
    names = [e["name"] for e in agent.events() if e["probe"] == "dns"
             and e["pid"] == a["pid"]]
    assert "short.whodunit.test" not in names  # its only address is filtered
    assert agent.records("stop")[0]["total"]["dns_answers"] >= 2


def test_dns_names_off(make_agent, ns):
    agent = make_agent(CONFIG.replace("stats_interval: 0",
                                      "stats_interval: 0\n  dns_names: false")).start()
    a = ns.client(("resolve", "svc.whodunit.test", 4), ("connect", "127.0.0.77", ns.port))
    ev = one_connect(agent, a["pid"], "127.0.0.77")
    assert "dest_name" not in ev
    assert agent.stop()[0] == 0
    assert agent.records("stop")[0]["total"]["dns_captured"] == 0


def test_udp_session_destination_named(make_agent, ns):
    agent = make_agent(CONFIG + "udp_session: {}\n").start()
    a = ns.client(("resolve", "svc.whodunit.test", 4), ("udp", "127.0.0.77", 9),
                  ("udp", "127.0.0.78", 9))
    # one session per socket: the last one's event is the sentinel
    agent.wait_event(lambda e: e["probe"] == "udp_session" and e["pid"] == a["pid"]
                     and e["destinations"][0]["daddr"] == "127.0.0.78", what="udp sessions")
    dests = {d["daddr"]: d for e in agent.events() if e["probe"] == "udp_session"
             and e["pid"] == a["pid"] for d in e["destinations"]}
    assert (dests["127.0.0.77"]["dest_name"], dests["127.0.0.77"]["dest_name_by"]) == \
        ("svc.whodunit.test", "self")
    assert "dest_name" not in dests["127.0.0.78"]
    assert dests["127.0.0.1"]["port"] == 53  # the lookup itself: no name
    assert "dest_name" not in dests["127.0.0.1"]
    assert agent.stop()[0] == 0


def test_dns_names_off_and_on_by_reload(make_agent, ns):
    import signal
    agent = make_agent(CONFIG).start()
    off = CONFIG.replace("stats_interval: 0", "stats_interval: 0\n  dns_names: false")
    named = []
    for i, text in enumerate((CONFIG, off, CONFIG)):
        if i:
            with open(agent.cfg, "w") as f:
                f.write(text.replace("@OUT@", agent.out))
            os.kill(agent.proc.pid, signal.SIGHUP)
            rec = wait_records(agent, "reload", i)[i - 1]
            assert rec["ok"] and rec["changed"] == ["probes", "dns_names"], rec
            assert rec["pending_restart"] == []
        a = ns.client(("resolve", "svc.whodunit.test", 4), ("connect", "127.0.0.77", ns.port))
        named.append(one_connect(agent, a["pid"], "127.0.0.77").get("dest_name"))
    assert named == ["svc.whodunit.test", None, "svc.whodunit.test"]
    assert agent.stop()[0] == 0


def test_answers_lost_to_a_full_ring_are_counted(make_agent, ns):
    """The agent is stopped while 200 lookups are answered into a 4 KiB ring:
    the answers that did not fit are counted, in stats and in lost records
    (with the dns probe each answer is an event)."""
    import signal
    agent = make_agent(CONFIG.replace("stats_interval: 0",
                                      "stats_interval: 0\n  ring_buffer_size: 4K")
                       + "dns: {}\n").start()
    n = 200
    os.kill(agent.proc.pid, signal.SIGSTOP)
    try:
        code = ("import os,socket\nfor i in range(%d): socket.getaddrinfo("
                "'svc.whodunit.test',80,socket.AF_INET,socket.SOCK_STREAM)\n"
                "print(os.getpid())" % n)
        r = subprocess.run(["ip", "netns", "exec", ns.name, sys.executable, "-c", code],
                           capture_output=True, check=True, timeout=60)
    finally:
        os.kill(agent.proc.pid, signal.SIGCONT)
    pid = int(r.stdout)
    assert agent.stop()[0] == 0
    t = agent.records("stop")[0]["total"]
    got = [e for e in agent.events() if e["probe"] == "dns" and e["pid"] == pid]
    assert t["dns_lost"] > 0
    assert len(got) < n and len(got) + t["dns_lost"] >= n
    assert t["dns_captured"] == t["dns_answers"] + t["dns_malformed"] + t["dns_ignored"]
    told = sum(r["count"] for r in agent.records("lost") if r["reason"] == "dns_ring_full")
    assert told == t["dns_lost"]


def test_answer_from_an_ipv6_server(make_agent, ns):
    ns.start([sys.executable, os.path.join(HERE, "dns_responder.py"), "::1"])
    with open(ns.etc + "/resolv.conf", "w") as f:
        f.write("nameserver ::1\noptions timeout:1 attempts:1\n")
    agent = make_agent(CONFIG + "dns: {}\n").start()
    a = ns.client(("resolve", "svc.whodunit.test", 4), ("connect", "127.0.0.77", ns.port))
    ev = one_connect(agent, a["pid"], "127.0.0.77")
    assert (ev["dest_name"], ev["dest_name_by"]) == ("svc.whodunit.test", "self")
    dns = agent.wait_event(lambda e: e["probe"] == "dns" and e["pid"] == a["pid"],
                           what="dns event")
    assert dns["server"] == "::1" and dns["addresses"] == ["127.0.0.77"]
    assert agent.stop()[0] == 0


def test_dns_filters_change_by_reload(make_agent, ns):
    import signal
    agent = make_agent(CONFIG + "dns: {}\n").start()
    with open(agent.cfg, "w") as f:
        f.write((CONFIG + "dns:\n  filters:\n    - {network: 127.0.0.77/32}\n")
                .replace("@OUT@", agent.out))
    os.kill(agent.proc.pid, signal.SIGHUP)
    rec = wait_records(agent, "reload", 1)[0]
    assert rec["ok"] and rec["changed"] == ["dns"], rec
    a = ns.client(("resolve", "svc.whodunit.test", 4), ("resolve", "short.whodunit.test", 4))
    agent.wait_event(lambda e: e["probe"] == "dns" and e["pid"] == a["pid"], what="dns event")
    assert agent.stop()[0] == 0
    names = [e["name"] for e in agent.events() if e["probe"] == "dns" and e["pid"] == a["pid"]]
    assert names == ["short.whodunit.test"]  # 127.0.0.77 is dropped now


# In the namespace: a "server" socket on 127.0.0.2:53 answers one query with
# datagrams of the sizes given (0 and 1 byte, then A answers for s<SIZE> of
# as many records as fit, padded to SIZE); prints the client's pid.
EDGES = r"""
import os, socket, struct, sys
def answer(size):
    name = "s%d.whodunit.test" % size
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    q += struct.pack(">HH", 1, 1)
    k = (size - 12 - len(q)) // 16
    rrs = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4)
                   + socket.inet_aton("127.0.0.%d" % (i + 1)) for i in range(k))
    msg = struct.pack(">HHHHHH", 7, 0x8180, 1, k, 0, 0) + q + rrs
    return msg + b"\0" * (size - len(msg))
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.2", 53))
cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
cli.settimeout(5)
cli.sendto(b"q", ("127.0.0.2", 53))
_, peer = srv.recvfrom(64)
for size in map(int, sys.argv[1:]):
    srv.sendto(answer(size) if size > 1 else b"\0" * size, peer)
    assert len(cli.recv(4096)) == size
print(os.getpid(), flush=True)
"""


def test_answer_sizes_at_the_capture_edges(make_agent, ns):
    """Empty and 1-byte answers are captured (and refused by the parser);
    a 512-byte answer is captured whole; 513 and 1400 bytes are cut at 512,
    keeping the records before the cut (the kernel's copy length is exact)."""
    agent = make_agent(CONFIG + "dns: {}\n").start()
    r = subprocess.run(["ip", "netns", "exec", ns.name, sys.executable, "-c", EDGES,
                        "0", "1", "512", "513", "1400"],
                       capture_output=True, check=True, timeout=60)
    pid = int(r.stdout)
    for size in (512, 513, 1400):
        ev = agent.wait_event(lambda e, s=size: e["probe"] == "dns" and e["pid"] == pid
                              and e["name"] == "s%d.whodunit.test" % s,
                              what="dns event of the %d-byte answer" % size)
        assert ev["server"] == "127.0.0.2"
        assert sorted(ev["addresses"]) == sorted("127.0.0.%d" % (i + 1) for i in range(29))
        assert ev.get("answer_cut", False) == (size > 512)
    assert agent.stop()[0] == 0
    t = agent.records("stop")[0]["total"]
    # (>=: the agent sees the whole host, whose own lookups may add to these)
    assert t["dns_captured"] >= 5 and t["dns_lost"] == 0
    assert t["dns_malformed"] + t["dns_ignored"] >= 2 and t["dns_cut"] >= 2
    assert t["dns_captured"] == t["dns_answers"] + t["dns_malformed"] + t["dns_ignored"]
