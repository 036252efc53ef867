#!/usr/bin/python3
"""whodunit soak: minutes of mixed load against one agent, sampled every
30 s, to show that nothing grows without bound. Run as root through
`make soak` (not part of `make test`).

Load, all local: non-blocking connects to a host inside a network namespace
this script creates (its peer link is down: nothing leaves the machine) at
the rate asked for, a fork storm now and then, UDP sessions to loopback
(new sockets, several destinations each), and a configuration reload
(SIGHUP) every minute. Samples: the agent's RSS, its process table and UDP
sessions (from its own stats records), the entries of the kernel's UDP
destination map, and the counters of the stream (events, lost).
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402 (the shared network namespace set-up)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
WHODUNIT = os.path.join(BUILD, "whodunit")
LOADGEN = os.path.join(BUILD, "bench", "loadgen")
NETNS = "wdsoak-%d" % os.getpid()
TARGET = bench.NS_TARGET

CONFIG = """\
agent:
  output: file:%(out)s
  stats_interval: 10
tcp_connect: {}
udp_session:
  session_max_duration: 20
net_listen: {}
"""


def log(*a):
    print(*a, flush=True)


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def udp_map_entries():
    out = subprocess.run(["bpftool", "-j", "map", "dump", "name", "wd_udp_dests"],
                         capture_output=True, text=True)
    try:
        return len(json.loads(out.stdout))
    except ValueError:
        return -1


def udp_load(stop):
    """New UDP sockets to a few loopback destinations, without end."""
    while not stop.is_set():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for port in range(40000, 40008):
            s.sendto(b"x", ("127.0.0.1", port))
        s.close()
        time.sleep(0.002)


class Stream:
    """Counts what the agent wrote, reading (and truncating) its file every
    second, so the disk does not fill: events by their newlines, agent
    records parsed."""

    def __init__(self, path):
        self.path, self.events, self.lost, self.stats = path, 0, 0, None
        self.lock = threading.Lock()

    def read(self):
        try:
            with open(self.path, "r+b") as f:
                data = f.read()
                f.truncate(0)  # the agent appends: it goes on at offset 0
        except FileNotFoundError:
            return
        agent = [l for l in data.splitlines() if b'"probe":"agent"' in l]
        with self.lock:
            self.events += data.count(b"\n") - len(agent)
            for line in agent:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue  # cut by the truncation race
                if r["event"] == "lost":
                    self.lost += r["count"]
                elif r["event"] == "stats":
                    self.stats = r

    def run(self, stop):
        while not stop.is_set():
            self.read()
            time.sleep(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--rate", type=float, default=20000, help="connects/s")
    ap.add_argument("--sample", type=float, default=30)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("soak.py: run as root")
    tmp = tempfile.mkdtemp(prefix="wdsoak-")
    out = os.path.join(tmp, "events.json")
    cfg = os.path.join(tmp, "whodunit.yaml")
    with open(cfg, "w") as f:
        f.write(CONFIG % {"out": out})
    bench.netns_up(NETNS, "wds")
    agent = subprocess.Popen([WHODUNIT, "-c", cfg], stderr=open(os.path.join(tmp, "err"), "w"))
    stop = threading.Event()
    procs = []
    try:
        time.sleep(2)
        secs = args.minutes * 60
        procs.append(subprocess.Popen(
            ["ip", "netns", "exec", NETNS, LOADGEN, "-m", "nonblock", "-a", TARGET,
             "-p", "9", "-d", str(secs), "-r", str(args.rate)], stdout=subprocess.DEVNULL))
        threading.Thread(target=udp_load, args=(stop,), daemon=True).start()
        stream, t0, samples = Stream(out), time.monotonic(), []
        threading.Thread(target=stream.run, args=(stop,), daemon=True).start()
        log("minute  RSS MiB  HWM MiB  table  udp_sessions  udp_map  events  lost")
        while time.monotonic() - t0 < secs:
            time.sleep(args.sample)
            el = time.monotonic() - t0
            if int(el // 60) % 2 == 1:
                subprocess.run([LOADGEN, "-F", "20000"], stdout=subprocess.DEVNULL)
            if int(el // 60) != int((el - args.sample) // 60):
                agent.send_signal(signal.SIGHUP)
            with stream.lock:
                st = stream.stats or {}
            s = (el / 60, rss_kib(agent.pid) / 1024, rss_kib(agent.pid, "VmHWM") / 1024,
                 st.get("process_table", -1), st.get("udp_sessions", -1),
                 udp_map_entries(), stream.events, stream.lost)
            samples.append(s)
            log("%6.1f  %7.1f  %7.1f  %5d  %12d  %7d  %6d  %4d" % s)
    finally:
        stop.set()
        for p in procs:
            p.kill()
            p.wait()
        agent.send_signal(signal.SIGTERM)
        rc = agent.wait(timeout=30)
        subprocess.run(["ip", "netns", "del", NETNS], check=False)
    # bounded: the last third of the run holds no more than the first third
    third = max(1, len(samples) // 3)
    first = max(s[1] for s in samples[:third])
    last = max(s[1] for s in samples[-third:])
    log("agent exit %d; RSS max of the first third %.1f MiB, of the last %.1f MiB"
        % (rc, first, last))
    if rc != 0 or last > first * 1.5 + 4:
        sys.exit("soak: the agent's memory kept growing, or it failed")


if __name__ == "__main__":
    main()
