#!/usr/bin/python3
"""In-kernel cost per connect (tracepoint variant: its connect program(s)) of a
filtered, a reported, a rule-dropped and a flood-suppressed connect, from
the kernel's own program statistics (BPF_ENABLE_STATS held while it runs).
20,000 connects to a closed loopback port per case; a round during which
other processes made the programs run too is marked NOT CLEAN.
Root; not part of make test:  BUILD=build python3 tests/bench/rules_cost.py [ROUNDS]
"""
import json, os, shutil, signal, subprocess, sys, tempfile, time
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WD = os.path.join(ROOT, os.environ.get("BUILD", "build"), "whodunit")
PY = "/usr/bin/python3"
TMP = tempfile.mkdtemp(prefix="wd-cost-")
shutil.copy(PY, os.path.join(TMP, "wd-drop-py"))
LOOP = r"""
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
time.sleep(0.5)
for _ in range(n):
    s = socket.socket(); s.connect_ex(("127.0.0.1", port)); s.close()
"""
def allprogs():
    out = json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"]))
    return {p["id"]: p for p in out if p.get("name", "").startswith("wd_tp_sys_")}
MINE = set()
def progs(pid):
    return {p["name"]: p for i, p in allprogs().items() if i in MINE}
def run(name, cfg, exe, n=20000, port=9):
    with open(os.path.join(TMP, "m.yaml"), "w") as f:
        f.write(cfg)
    old = set(allprogs())
    a = subprocess.Popen([WD, "-c", os.path.join(TMP, "m.yaml")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.0)
    ids = set()
    for fd in os.listdir("/proc/%d/fdinfo" % a.pid):
        try:
            for l in open("/proc/%d/fdinfo/%s" % (a.pid, fd)):
                if l.startswith("prog_id:"):
                    ids.add(int(l.split()[1]))
        except OSError:
            pass
    MINE.clear(); MINE.update(set(allprogs()) & ids)
    if not MINE:
        a.kill(); a.wait()
        raise SystemExit("programs: %s" % MINE)
    before = progs(a.pid)
    t0 = time.monotonic()
    subprocess.run([exe, "-c", LOOP, str(port), str(n)], check=True)
    el = time.monotonic() - t0
    after = progs(a.pid)
    a.send_signal(signal.SIGTERM); a.wait()
    res = {}
    for k in ("wd_tp_sys_exit_connect", "wd_tp_sys_enter_connect"):
        for pn in after:
            if pn.startswith(k[:15]):
                dt = after[pn].get("run_time_ns", 0) - before.get(pn, {}).get("run_time_ns", 0)
                dc = after[pn].get("run_cnt", 0) - before.get(pn, {}).get("run_cnt", 0)
                res[pn] = (dt, dc, dt / dc if dc else 0)
    # the programs run for every process's connects: a round is clean when
    # they ran (about) only for ours; others' are marked and not to be used
    clean = all(abs(v[1] - n) <= n // 100 for v in res.values())
    tot = sum(v[2] for v in res.values())
    print("%-16s per connect: %6.0f ns in-kernel%s; %s; loop %.2f us/connect"
          % (name, tot, "" if clean else " [NOT CLEAN: other load]", {k: "%d runs, %.0f ns" % (v[1], v[2]) for k, v in res.items()}, (el - 0.5) / n * 1e6))
base = "agent:\n  output: file:" + TMP + "/m.json\n  variant: tracepoint\n%s\ntcp_connect:\n%s\n%s\n"
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
attr = (ctypes.c_uint8 * 128)()  # union bpf_attr, enable_stats.type = 0 (run time)
STATS_FD = libc.syscall(321, 32, attr, 128)  # bpf(BPF_ENABLE_STATS): held while we run
assert STATS_FD >= 0, ctypes.get_errno()
try:
    for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
        run("filtered", base % ("", "  filters:\n    - network: 127.0.0.0/8", ""), PY)
        run("reported", base % ("  repeat_limit: {window: 0}", "  {}", ""), PY)
        run("reported+flood", base % ("  repeat_limit: {window: 3600, burst: 1000000}", "  {}", ""), PY)
        run("rule-dropped", base % ("", "  {}", "rules:\n  - {name: d, action: drop, match: {exe: \"*/wd-drop-py\"}}"), os.path.join(TMP, "wd-drop-py"))
        run("flood-suppressed", base % ("  repeat_limit: {window: 3600, burst: 100}", "  {}", ""), PY)
finally:
    os.close(STATS_FD)
