"""net_listen: TCP listen() and UDP bind(), IPv4 and IPv6, filters,
exclude_random_bind, dual-stack listeners, and periodic snapshots.

pidtree-bcc's itest cases on real BPF; absence is asserted only after a
later sentinel event (a listener that must be reported) has arrived.
"""
import os
import socket

from conftest import free_port

CONFIG = """\
agent:
  output: file:@OUT@
net_listen:
  protocols: [tcp, udp]
  exclude_random_bind: true
  filters:
    - {network: 127.0.0.0/16}
    - {network: "::1/128", include_ports: [%(p3)d]}
  excludeports: [%(p4)d]
"""


def listens(agent, proto, addr, port):
    return [e for e in agent.events() if e["probe"] == "net_listen" and
            e["protocol"] == proto and e["laddr"] == addr and e["port"] == port]


def test_pidtree_listen_cases(make_agent):
    ports = set()
    while len(ports) < 7:
        ports.add(free_port())
    p1, p2, p3, p4, p5, p6, p7 = sorted(ports)
    agent = make_agent(CONFIG % {"p3": p3, "p4": p4}).start()
    socks = []

    def tcp(addr, port, family=socket.AF_INET, v6only=None):
        s = socket.socket(family, socket.SOCK_STREAM)
        if v6only is not None:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
        s.bind((addr, port))
        s.listen()
        socks.append(s)
        return s

    def udp(addr, port, family=socket.AF_INET):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.bind((addr, port))
        socks.append(s)
        return s

    try:
        tcp("127.1.33.7", p2)                       # reported
        tcp("127.0.0.1", p1)                        # filtered: 127.0/16
        tcp("127.1.33.7", p4)                       # filtered: excludeports
        udp("127.1.33.7", p1)                       # reported
        rnd = udp("127.1.33.7", 0)                  # random bind: dropped
        tcp("::1", p3, socket.AF_INET6)             # ::1 filter drops only p3
        tcp("::1", p5, socket.AF_INET6)             # reported
        tcp("::", p6, socket.AF_INET6, v6only=0)    # dual-stack, reported
        tcp("::", p7, socket.AF_INET6, v6only=1)    # IPv6 only, reported
        sentinel = tcp("127.1.33.8", p5)
        agent.wait_event(lambda e: e["probe"] == "net_listen" and e["port"] == p5
                         and e["laddr"] == "127.1.33.8", what="sentinel listen")

        ev = listens(agent, "tcp", "127.1.33.7", p2)
        assert len(ev) == 1
        assert ev[0]["pid"] == os.getpid() and ev[0]["proctree"][0]["pid"] == os.getpid()
        assert ev[0]["family"] == "ipv4" and ev[0]["snapshot"] is False
        assert not listens(agent, "tcp", "127.0.0.1", p1)
        assert not listens(agent, "tcp", "127.1.33.7", p4)
        u = listens(agent, "udp", "127.1.33.7", p1)
        assert len(u) == 1 and u[0]["random_bind"] is False
        assert not listens(agent, "udp", "127.1.33.7", rnd.getsockname()[1])
        assert not listens(agent, "tcp", "::1", p3)
        assert len(listens(agent, "tcp", "::1", p5)) == 1
        ds = listens(agent, "tcp", "::", p6)
        assert len(ds) == 1 and ds[0]["dual_stack"] is True
        v6 = listens(agent, "tcp", "::", p7)
        assert len(v6) == 1 and v6[0]["dual_stack"] is False
        assert not [e for e in agent.events() if e["probe"] != "net_listen"]
    finally:
        for s in socks:
            s.close()
    assert agent.stop()[0] == 0


def test_snapshot_lists_a_listener_opened_before_start(make_agent):
    port, other = free_port(), free_port()
    early = socket.socket()
    early.bind(("127.1.33.7", port))
    early.listen()
    filtered = socket.socket()
    filtered.bind(("127.0.0.1", other))
    filtered.listen()
    try:
        agent = make_agent("agent:\n  output: file:@OUT@\nnet_listen:\n"
                           "  snapshot_periodicity: 1\n  filters:\n"
                           "    - {network: 127.0.0.0/16}\n").start()
        first = agent.wait_event(lambda e: e["port"] == port, what="snapshot")
        assert first["snapshot"] is True and first["laddr"] == "127.1.33.7"
        assert first["pid"] == os.getpid()
        assert first["proctree"][0]["pid"] == os.getpid()
        assert first["proctree"][-1]["pid"] == 1
        # periodic: it comes again
        agent.wait_event(lambda e: e["port"] == port and e["seq"] > first["seq"],
                         timeout=5, what="second snapshot")
        assert not [e for e in agent.events() if e["port"] == other]
        assert agent.stop()[0] == 0
    finally:
        early.close()
        filtered.close()


def test_same_namespace_only(make_agent, tmpdir_short):
    import subprocess
    import uuid
    ns = "wd-test-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        port = free_port()
        agent = make_agent("agent:\n  output: file:@OUT@\nnet_listen:\n"
                           "  same_namespace_only: true\n").start()
        # a listener in another namespace: dropped; one here: the sentinel
        subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c",
                        "import socket; s=socket.socket(); s.bind(('127.0.0.1', %d));"
                        " s.listen()" % port], check=True)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen()
        sentinel = s.getsockname()[1]
        agent.wait_event(lambda e: e["port"] == sentinel, what="own-namespace listen")
        assert not [e for e in agent.events() if e["port"] == port]
        s.close()
        assert agent.stop()[0] == 0
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
