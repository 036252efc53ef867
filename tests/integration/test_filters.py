"""In-kernel filters: pidtree-bcc's itest matrix on the real BPF maps.

Absence is asserted only after a later sentinel connect (one that must be
reported) has arrived: the ring buffer keeps the order of submission, so
every earlier connect has been decided by then.
"""
import os
import socket
import subprocess
import sys
import uuid

import pytest

from conftest import free_port

CONNECTOR = r"""
import socket, sys
for spec in sys.argv[1:]:
    addr, port = spec.rsplit(",", 1)
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((addr, int(port)))
    except OSError:
        pass
    s.close()
"""


def connect_all(cases, netns=None):
    """Connect to each (addr, port) in order, from one child process."""
    argv = [sys.executable, "-c", CONNECTOR] + ["%s,%d" % c for c in cases]
    if netns:
        argv = ["ip", "netns", "exec", netns] + argv
    subprocess.run(argv, check=True, timeout=60)


def check_matrix(agent, cases, sentinel, netns=None):
    """cases: [(addr, port, reported?)]. Asserts each verdict."""
    connect_all([(a, p) for a, p, _ in cases] + [sentinel], netns)
    agent.wait_event(lambda e: (e["daddr"], e["port"]) == sentinel,
                     what="sentinel event %s:%d" % sentinel)
    seen = {(e["daddr"], e["port"]) for e in agent.events()}
    for addr, port, reported in cases:
        assert ((addr, port) in seen) == reported, \
            "%s:%d should%s be reported" % (addr, port, "" if reported else " not")


def ports(n):
    out = set()
    while len(out) < n:
        out.add(free_port())
    return sorted(out)


MATRIX_CONFIG = """\
agent:
  output: file:@OUT@
tcp_connect:
  filters:
    - subnet_name: loopback_16
      network: 127.0.0.0
      network_mask: 255.255.0.0
    - {subnet_name: except_p1, network: 127.100.0.0/16, except_ports: [%(p1)d]}
    - {subnet_name: include_p1, network: 127.101.0.0/16, include_ports: [%(p1)d]}
  excludeports: [%(p2)d]
"""


def test_pidtree_itest_matrix_ipv4(make_agent):
    p1, p2, p3 = ports(3)
    agent = make_agent(MATRIX_CONFIG % {"p1": p1, "p2": p2}).start()
    check_matrix(agent, [
        ("127.1.33.7", p1, True),
        ("127.1.33.7", p2, False),
        ("127.0.0.1", p1, False),
        ("127.100.33.7", p1, True),
        ("127.100.33.7", p3, False),
        ("127.101.33.7", p1, False),
        ("127.101.33.7", p3, True),
        # a dual-stack socket to an IPv4-mapped address: filtered as IPv4
        ("::ffff:127.0.0.1", p1, False),
        ("::ffff:127.1.33.7", p3, True),
    ], sentinel=("127.1.33.8", p1))
    assert agent.stop()[0] == 0
    assert "filtered 5," in agent.stderr(), agent.stderr()


def test_includeports(make_agent):
    p1, p2 = ports(2)
    agent = make_agent("agent:\n  output: file:@OUT@\ntcp_connect:\n"
                       "  includeports: [%d]\n" % p1).start()
    check_matrix(agent, [
        ("127.1.33.7", p1, True),
        ("127.1.33.7", p2, False),
        ("::1", p2, False),
    ], sentinel=("::1", p1))
    assert agent.stop()[0] == 0


def test_includeports_wins_over_excludeports(make_agent):
    p1, p2, p3 = ports(3)
    agent = make_agent("agent:\n  output: file:@OUT@\ntcp_connect:\n"
                       "  includeports: [%d, %d]\n  excludeports: [%d]\n"
                       % (p1, p2, p1)).start()
    assert "includeports wins" in agent.stderr()
    check_matrix(agent, [
        ("127.0.0.1", p1, True),
        ("127.0.0.1", p3, False),
    ], sentinel=("127.0.0.1", p2))
    assert agent.stop()[0] == 0


@pytest.fixture
def netns6():
    """A network namespace with IPv6 test addresses on its loopback."""
    name = "wd-test-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        def ip(*args):
            subprocess.run(["ip", "-n", name] + list(args), check=True)
        ip("link", "set", "lo", "up")
        for a in ("2001:db8::7", "2001:db8:100::7", "2001:db8:101::7"):
            ip("-6", "addr", "add", a + "/128", "dev", "lo", "nodad")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def test_pidtree_itest_matrix_ipv6(make_agent, netns6):
    p1, p2, p3 = ports(3)
    agent = make_agent("""\
agent:
  output: file:@OUT@
tcp_connect:
  filters:
    - {network: "::1/128"}
    - {network: "2001:db8:100::/48", except_ports: [%(p1)d]}
    - {network: "2001:db8:101::/48", include_ports: [%(p1)d]}
    - {network: "fd00::/8"}
  excludeports: [%(p2)d]
""" % {"p1": p1, "p2": p2}).start()
    check_matrix(agent, [
        ("::1", p1, False),
        ("2001:db8::7", p1, True),
        ("2001:db8::7", p2, False),
        ("2001:db8:100::7", p1, True),
        ("2001:db8:100::7", p3, False),
        ("2001:db8:101::7", p1, False),
        ("2001:db8:101::7", p3, True),
    ], sentinel=("2001:db8::7", p3), netns=netns6)
    ns_inode = os.stat("/run/netns/" + netns6).st_ino
    assert all(e["netns"] == ns_inode for e in agent.events())
    assert agent.stop()[0] == 0


def test_default_config_filters_loopback(make_agent):
    """The embedded default drops loopback (v4, v6, mapped): nothing reported."""
    p1 = free_port()
    agent = make_agent(None, args=["-o", "file:@OUT@"]).start()
    assert "config <embedded>" in agent.stderr()
    connect_all([("127.0.0.1", p1), ("::1", p1), ("::ffff:127.0.0.1", p1),
                 ("127.200.0.1", p1)])
    rc, _ = agent.stop()
    assert rc == 0
    assert agent.events() == []
    assert "seen 4, filtered 4, emitted 0" in agent.stderr(), agent.stderr()
