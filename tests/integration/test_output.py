"""Output that survives its receiver: the sink's spool against a real
rsyslogd that restarts while connects are made (loopback only)."""
import json
import os
import socket
import time

from conftest import (Client, Listener, start_rsyslogd, stop_rsyslogd,
                      syslog_agent)


def syslog_keys(d):
    """(pid, sport) of every whodunit event (not agent records) in rsyslog's
    output, in order."""
    try:
        with open(os.path.join(d, "events.log"), "rb") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    keys = []
    for line in lines:
        _, prog, msg = line.split(b" ", 2)
        assert prog == b"whodunit", line
        ev = json.loads(msg)
        if ev["probe"] != "agent":
            keys.append((ev["pid"], ev["sport"]))
    return keys


def wait_keys(d, want, timeout, agent):
    """rsyslog's events once all of `want` arrived (or the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        got = syslog_keys(d)
        if want <= set(got) or time.monotonic() > deadline:
            missing = want - set(got)
            assert not missing, "%d of %d events never reached rsyslog; agent: %s" % (
                len(missing), len(want), agent.stderr())
            return got
        time.sleep(0.05)


def connects(lst, n):
    """n connects by the test's own client: their (pid, sport)."""
    keys = []
    for _ in range(n):
        c = Client("127.0.0.1", lst.port)
        assert c.truth["errno"] == 0, c.truth
        keys.append((c.truth["pid"], c.truth["sport"]))
        c.finish()
    return keys


def test_rsyslog_restart_during_100_connects_loses_nothing(make_agent, tmpdir_short):
    d = tmpdir_short
    lst = Listener()
    rs = start_rsyslogd(d)
    agent = syslog_agent(make_agent, d)
    try:
        before = connects(lst, 30)
        wait_keys(d, set(before), 10, agent)  # all in rsyslog's hands: stop it
        stop_rsyslogd(rs)
        during = connects(lst, 40)
        time.sleep(0.5)  # several drains fail meanwhile
        rs = start_rsyslogd(d)  # a new socket at the same path
        after = connects(lst, 30)
        ours = set(before + during + after)
        assert len(ours) == 100
        got = wait_keys(d, ours, 20, agent)
    finally:
        lst.close()
        stop_rsyslogd(rs)
    mine = [k for k in got if k in ours]
    dups = sorted({k for k in mine if mine.count(k) > 1})
    assert not dups, "delivered twice: %s" % dups
    assert mine == before + during + after, "events out of order"
    assert agent.stop()[0] == 0
    err = agent.stderr()
    assert "events are kept" in err, err  # the outage was seen ...
    assert "delivering again; 0 events lost so far" in err, err  # ... and survived


def syslog_records(d):
    """Every JSON line rsyslog wrote, events and agent records."""
    try:
        with open(os.path.join(d, "events.log"), "rb") as f:
            return [json.loads(l.split(b" ", 2)[2]) for l in f.read().splitlines()]
    except FileNotFoundError:
        return []


def test_an_outage_past_the_spool_bound_is_accounted_for(make_agent, tmpdir_short):
    """rsyslogd down while 300 connects are reported into a 16 KiB spool:
    what did not fit is lost, and once rsyslogd is back, lost records in the
    stream count exactly the events that never arrived."""
    d = tmpdir_short
    n = 300
    lst = Listener()
    rs = start_rsyslogd(d)
    agent = make_agent("agent:\n  syslog_socket: %s/log\n  output_buffer: 16K\n"
                       "  stats_interval: 0\n  repeat_limit: {window: 0}\ntcp_connect:\n  includeports: [%d]\n"
                       % (d, lst.port)).start()
    try:
        stop_rsyslogd(rs)
        for _ in range(n):
            s = socket.socket()
            s.connect(("127.0.0.1", lst.port))
            s.close()
        time.sleep(0.5)  # drained into the spool, which overflows
        rs = start_rsyslogd(d)
        deadline = time.monotonic() + 20
        while not [r for r in syslog_records(d) if r.get("event") == "lost"]:
            assert time.monotonic() < deadline, "no lost record: " + agent.stderr()
            time.sleep(0.1)
        assert agent.stop()[0] == 0
    finally:
        lst.close()
        stop_rsyslogd(rs)
    recs = syslog_records(d)
    got = [r for r in recs if r.get("port") == lst.port]
    lost = [r for r in recs if r.get("event") == "lost"]
    assert {r["reason"] for r in lost} == {"output"}
    n_lost = sum(r["count"] for r in lost)
    assert 0 < n_lost < n, (n_lost, len(got))
    assert len(got) + n_lost == n, (len(got), n_lost)
    stop = [r for r in recs if r.get("event") == "stop"]
    assert stop and stop[0]["total"]["lost_output"] == n_lost
