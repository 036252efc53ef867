"""Rules and flood control: drop by executable (counted per rule, in the
kernel once the process is known), tag by ancestry, flood summaries that
account for every connect not written, --test-rules. Loopback only."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from conftest import GT_CLIENT, WHODUNIT, free_port, require_root

# A client: prints its pid, waits (so the agent learns its exec), then
# connects N times to 127.0.0.1:PORT (refused: nothing listens).
CONNECTER = r"""
import os, socket, sys, time
port, n, wait = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
print(os.getpid(), flush=True)
time.sleep(wait)
for _ in range(n):
    s = socket.socket()
    s.connect_ex(("127.0.0.1", port))
    s.close()
"""

CONFIG = """\
agent:
  output: file:@OUT@
  stats_interval: 0
%(agent)s
tcp_connect: {}
rules:
%(rules)s
"""


def config(rules, agent=""):
    return CONFIG % {"rules": rules, "agent": agent}


def run_connecter(exe, port, n, wait):
    p = subprocess.run([exe, "-c", CONNECTER, str(port), str(n), str(wait)],
                       stdout=subprocess.PIPE, text=True, check=True, timeout=120)
    return int(p.stdout.split()[0])


def stop_record(agent):
    assert agent.stop()[0] == 0
    stops = agent.records("stop")
    assert len(stops) == 1, agent.stderr()
    return stops[0]


def test_drop_by_exe_counts_every_connect_dropped(make_agent, tmpdir_short):
    """Connects from a copy of python to port P are not written; the same
    from python itself are. The rule's counter equals the number dropped,
    from a process the kernel knew (dropped there) and one it did not yet."""
    exe = os.path.join(tmpdir_short, "wd-rule-py")
    shutil.copy(sys.executable, exe)
    port = free_port()
    agent = make_agent(config(
        "  - name: py-copy\n    action: drop\n    match: {exe: \"%s\", port: [%d]}\n"
        "  - name: py-copy-all\n    action: drop\n    match: {exe: \"*/wd-rule-py\"}\n"
        % (exe, port))).start()
    known = run_connecter(exe, port, 150, 0.5)   # exec seen: the kernel decides
    fresh = run_connecter(exe, port, 40, 0.0)    # at once: some only in userland
    other = run_connecter(sys.executable, port, 30, 0.0)
    other_port = free_port()
    elsewhere = run_connecter(exe, other_port, 5, 0.0)  # py-copy-all's
    time.sleep(0.3)
    stop = stop_record(agent)
    events = agent.events()
    assert not [e for e in events if e["pid"] in (known, fresh, elsewhere)]
    mine = [e for e in events if e["pid"] == other and e["port"] == port]
    assert len(mine) == 30, agent.stderr()
    rules = stop["rules"]
    assert rules["py-copy"] == {"action": "drop", "count": 190}
    assert rules["py-copy-all"] == {"action": "drop", "count": 5}
    # py-copy has a port key: decided per event in userland. py-copy-all is
    # process-only: its 5 were decided in the kernel or in userland.
    assert stop["total"]["lost_ring_full"] == 0


def test_process_only_rule_is_decided_in_the_kernel(make_agent, tmpdir_short):
    """A drop rule on the executable alone: once the agent has seen the
    exec, the kernel drops the connects (rule_dropped_kernel), and kernel +
    userland add up to every connect made."""
    exe = os.path.join(tmpdir_short, "wd-rule-py")
    shutil.copy(sys.executable, exe)
    port = free_port()
    agent = make_agent(config(
        "  - name: py-copy\n    action: drop\n    match: {exe: \"*/wd-rule-py\"}\n")
    ).start()
    pid = run_connecter(exe, port, 500, 0.5)
    fresh = run_connecter(exe, port, 20, 0.0)
    stop = stop_record(agent)
    assert not [e for e in agent.events() if e["pid"] in (pid, fresh)]
    assert stop["rules"]["py-copy"]["count"] == 520
    assert 500 <= stop["total"]["rule_dropped_kernel"] <= 520, stop


FORKER = r"""
import os, socket, sys, time
port = int(sys.argv[1])
pid = os.fork()
if pid == 0:  # a worker that does not exec, as daemons fork them
    print(os.getpid(), flush=True)
    time.sleep(0.5)  # the agent has read the fork by now
    for _ in range(300):
        s = socket.socket(); s.connect_ex(("127.0.0.1", port)); s.close()
    os._exit(0)
os.waitpid(pid, 0)
"""


def test_a_fork_gets_its_parents_verdict_in_the_kernel(make_agent, tmpdir_short):
    """A worker forked without exec runs its parent's program: the kernel
    drops its connects as well, from the fork record on."""
    exe = os.path.join(tmpdir_short, "wd-rule-py")
    shutil.copy(sys.executable, exe)
    port = free_port()
    agent = make_agent(config(
        "  - name: py-copy\n    action: drop\n    match: {exe: \"*/wd-rule-py\"}\n")
    ).start()
    p = subprocess.run([exe, "-c", FORKER, str(port)], stdout=subprocess.PIPE,
                       text=True, check=True, timeout=60)
    child = int(p.stdout.split()[0])
    stop = stop_record(agent)
    assert not [e for e in agent.events() if e["pid"] == child]
    assert stop["rules"]["py-copy"]["count"] == 300, stop
    assert stop["total"]["rule_dropped_kernel"] == 300, stop


EXEC_AWAY = r"""
import os, socket, sys, time
port = int(sys.argv[1])
print(os.getpid(), flush=True)
time.sleep(0.5)  # the kernel has this process's verdict by now
s = socket.socket(); s.connect_ex(("127.0.0.1", port)); s.close()
os.execv(sys.argv[2], [sys.argv[2], "-c", "import socket,sys\n"
         "for _ in range(5):\n"
         "    s = socket.socket(); s.connect_ex(('127.0.0.1', %d)); s.close()" % port])
"""


def test_exec_ends_the_verdict(make_agent, tmpdir_short):
    """A process the kernel drops for its executable execs another program:
    the verdict goes with the old image, the new one's connects are written."""
    exe = os.path.join(tmpdir_short, "wd-rule-py")
    shutil.copy(sys.executable, exe)
    port = free_port()
    agent = make_agent(config(
        "  - name: py-copy\n    action: drop\n    match: {exe: \"*/wd-rule-py\"}\n")
    ).start()
    p = subprocess.run([exe, "-c", EXEC_AWAY, str(port), sys.executable],
                       stdout=subprocess.PIPE, text=True, check=True, timeout=60)
    pid = int(p.stdout.split()[0])
    stop = stop_record(agent)
    mine = [e for e in agent.events() if e["pid"] == pid and e["port"] == port]
    assert len(mine) == 5, agent.stderr()
    assert all(e["proctree"][0]["exe"] == sys.executable for e in mine)
    assert stop["rules"]["py-copy"]["count"] == 1
    assert stop["total"]["rule_dropped_kernel"] == 1


TREE = "%s -c %s; true"


def tree(marker, port):
    """bash (cmdline names marker) -> bash -> gt_client: gt_client's truth
    and the top bash's pid."""
    inner = "bash -c '%s 127.0.0.1 %d; true'" % (GT_CLIENT, port)
    p = subprocess.Popen(["bash", "-c", inner + "; true", marker],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    truth = json.loads(p.stdout.readline())
    return p, truth


def test_ancestor_cmdline_tags_one_tree_not_its_sibling(make_agent):
    """The rule matches a grandparent's cmdline: the gt_client under the
    marked bash is tagged, the one under an unmarked twin is not."""
    port = free_port()
    marker = "wd-anc-marker-%d" % os.getpid()
    agent = make_agent(config(
        "  - name: under-marker\n    action: tag\n"
        "    match: {ancestor_cmdline: \"*%s*\", probe: tcp_connect}\n" % marker)).start()
    pa, ta = tree(marker, port)
    pb, tb = tree("wd-anc-plain-%d" % os.getpid(), port)
    try:
        ea = agent.wait_event(lambda e: e["pid"] == ta["pid"])
        eb = agent.wait_event(lambda e: e["pid"] == tb["pid"])
        # ground truth: the tree the test built
        assert ea["proctree"][1]["pid"] == ta["ppid"]
        assert ea["proctree"][2]["pid"] == pa.pid
        assert marker in ea["proctree"][2]["cmdline"]
        assert marker not in ea["proctree"][1]["cmdline"]
        assert marker not in ea["proctree"][0]["cmdline"]
        assert ea["rules"] == ["under-marker"]
        assert eb["proctree"][2]["pid"] == pb.pid
        assert "rules" not in eb
    finally:
        for p in (pa, pb):
            p.stdin.close()
            p.wait(timeout=10)
    stop = stop_record(agent)
    assert stop["rules"]["under-marker"]["count"] >= 1


def test_flood_20000_connects_give_100_events_and_summaries_of_19900(make_agent):
    """One process, one destination, 20,000 connects, burst 100: 100 plain
    events, summaries whose repeat_count add up to exactly 19,900, nothing
    lost in the ring, nothing uncounted."""
    port = free_port()
    agent = make_agent("agent:\n  output: file:@OUT@\n  stats_interval: 0\n"
                       "  repeat_limit: {window: 3600, burst: 100}\n"
                       "tcp_connect: {}\n").start()
    pid = run_connecter(sys.executable, port, 20000, 0.0)
    stop = stop_record(agent)
    mine = [e for e in agent.events() if e["pid"] == pid and e["port"] == port]
    plain = [e for e in mine if "repeat_count" not in e]
    summaries = [e for e in mine if "repeat_count" in e]
    assert len(plain) == 100, agent.stderr()
    assert summaries, agent.stderr()
    assert sum(e["repeat_count"] for e in summaries) == 19900
    for s in summaries:
        assert s["first_seen"] <= s["last_seen"]
        assert s["daddr"] == "127.0.0.1"
        assert s["proctree"][0]["pid"] == pid
    t = stop["total"]
    assert t["lost_ring_full"] == 0
    # (host-wide: other processes may be flooding too, and may go on
    # between the last summaries and the stop record)
    assert t["repeat_suppressed"] >= t["repeat_reported"] >= 19900
    assert t["repeat_uncounted"] == 0
    assert not agent.records("lost")


def test_flood_off_with_window_0(make_agent):
    port = free_port()
    agent = make_agent("agent:\n  output: file:@OUT@\n  stats_interval: 0\n"
                       "  repeat_limit: {window: 0}\ntcp_connect: {}\n").start()
    pid = run_connecter(sys.executable, port, 300, 0.0)
    stop_record(agent)
    mine = [e for e in agent.events() if e["pid"] == pid and e["port"] == port]
    assert len(mine) == 300 and not [e for e in mine if "repeat_count" in e]


def test_bad_rules_on_reload_keep_the_running_rules(make_agent, tmpdir_short):
    exe = os.path.join(tmpdir_short, "wd-rule-py")
    shutil.copy(sys.executable, exe)
    port = free_port()
    good = config("  - name: py-copy\n    action: drop\n"
                  "    match: {exe: \"*/wd-rule-py\"}\n")
    agent = make_agent(good).start()
    with open(agent.cfg, "w") as f:
        f.write(config("  - name: py-copy\n    action: dorp\n    match: {exe: x}\n")
                .replace("@OUT@", agent.out))
    os.kill(agent.proc.pid, signal.SIGHUP)
    deadline = time.monotonic() + 10
    while not agent.records("reload"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    rec = agent.records("reload")[0]
    assert rec["ok"] is False and "action must be drop or tag" in rec["error"]
    dropped = run_connecter(exe, port, 10, 0.3)
    # a good reload: now a tag rule instead
    with open(agent.cfg, "w") as f:
        f.write(config("  - name: py-tag\n    action: tag\n"
                       "    match: {exe: \"*/wd-rule-py\"}\n").replace("@OUT@", agent.out))
    os.kill(agent.proc.pid, signal.SIGHUP)
    while len(agent.records("reload")) < 2:
        assert time.monotonic() < deadline + 10
        time.sleep(0.05)
    assert agent.records("reload")[1]["ok"] is True
    assert agent.records("reload")[1]["changed"] == ["rules"]
    tagged = run_connecter(exe, port, 10, 0.3)
    stop = stop_record(agent)
    events = agent.events()
    assert not [e for e in events if e["pid"] == dropped]
    mine = [e for e in events if e["pid"] == tagged]
    assert len(mine) == 10 and all(e["rules"] == ["py-tag"] for e in mine)
    assert stop["rules"] == {"py-tag": {"action": "tag", "count": 10}}


RULES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules")


def test_test_rules_gives_the_expected_verdicts():
    """--test-rules on a fixture of exported events: per line the verdict
    and the rules, a summary; a malformed line makes the exit status 65."""
    p = subprocess.run([WHODUNIT, "--test-rules", os.path.join(RULES_DIR, "events.jsonl"),
                        "-c", os.path.join(RULES_DIR, "rules.yaml")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=30)
    with open(os.path.join(RULES_DIR, "expected.txt")) as f:
        assert p.stdout == f.read()
    assert p.returncode == 65, p.stderr
    # the verdicts themselves, not only a frozen text
    lines = p.stdout.splitlines()
    assert lines[0].startswith("line 2: drop by puppet-agent")
    assert lines[1].startswith("line 3: pass")  # port 22, not 8140
    assert lines[2].startswith("line 4: drop by mirror-from-cron")  # cron grandparent
    assert lines[3].startswith("line 5: pass")  # same fetch from a login shell
    assert lines[4].startswith("line 6: tag ci-runner")
    assert "summary: 9 events: 3 dropped, 2 tagged, 4 passed; 1 malformed" in p.stdout


def test_test_rules_reads_stdin_and_needs_a_good_config(tmpdir_short):
    ev = ('{"probe":"tcp_connect","pid":1,"comm":"x","daddr":"127.0.0.1","port":9,'
          '"proctree":[{"pid":1,"exe":"/usr/bin/x","cmdline":"x"}]}\n')
    cfg = os.path.join(tmpdir_short, "r.yaml")
    with open(cfg, "w") as f:
        f.write("tcp_connect: {}\nrules:\n  - {name: x, action: drop, match: {exe: /usr/bin/x}}\n")
    p = subprocess.run([WHODUNIT, "--test-rules", "-", "-c", cfg], input=ev,
                       stdout=subprocess.PIPE, text=True, timeout=30)
    assert p.returncode == 0
    assert p.stdout.startswith("line 1: drop by x")
    with open(cfg, "w") as f:
        f.write("tcp_connect: {}\nrules:\n  - {name: x, action: drop}\n")
    p = subprocess.run([WHODUNIT, "--test-rules", "-", "-c", cfg], input=ev,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=30)
    assert p.returncode == 78
    assert "r.yaml:3:5: rule 'x' has no 'match'" in p.stderr


HOLD = r"""
import os, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for _ in range(n):
    s = socket.socket(); s.connect_ex(("127.0.0.1", port)); s.close()
print(os.getpid(), flush=True)
sys.stdin.read()
"""


def test_flood_summary_at_the_window_end(make_agent):
    """window 1 s, burst 10: 50 connects from a process that then stays
    alive: its summary comes when the window ends, not at its exit, and
    plain events plus repeat_count account for all 50."""
    port = free_port()
    agent = make_agent("agent:\n  output: file:@OUT@\n  stats_interval: 0\n"
                       "  repeat_limit: {window: 1, burst: 10}\ntcp_connect: {}\n").start()
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(port), "50"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(p.stdout.readline())
        agent.wait_event(lambda e: e["pid"] == pid and "repeat_count" in e, timeout=5,
                         what="summary while the process lives")
        assert p.poll() is None
    finally:
        p.stdin.close()
        p.wait(timeout=10)
    stop_record(agent)
    mine = [e for e in agent.events() if e["pid"] == pid and e["port"] == port]
    plain = [e for e in mine if "repeat_count" not in e]
    assert len(plain) >= 10
    assert len(plain) + sum(e.get("repeat_count", 0) for e in mine) == 50
