"""The command line: exit codes (sysexits) and messages."""
import os
import subprocess

import pytest

from conftest import WHODUNIT


def run(*args, **kw):
    return subprocess.run([WHODUNIT] + list(args), capture_output=True,
                          timeout=30, **kw)


def test_version_and_help():
    with open(os.path.join(os.path.dirname(__file__), "../../VERSION")) as f:
        version = f.read().strip()
    r = run("--version")
    assert r.returncode == 0 and r.stdout.decode() == "whodunit %s\n" % version
    r = run("--help")
    assert r.returncode == 0 and b"--probe-mode" in r.stdout
    assert b"--variant VARIANT" in r.stdout


def test_usage_errors_exit_64():
    assert run("--bogus").returncode == 64
    assert run("--probe-mode", "magic").returncode == 64
    r = run("--variant", "magic")
    assert r.returncode == 64 and b"--variant: 'magic' is not auto" in r.stderr
    assert run("extra-arg").returncode == 64
    r = run("-o", "pigeon", "--check-config")
    assert r.returncode == 64 and b"pigeon" in r.stderr


def test_check_config_ok_bad_missing(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("tcp_connect: {}\nagent:\n  output: stdout\n")
    r = run("--check-config", "-c", str(good))
    assert r.returncode == 0, r.stderr
    assert b"agent.output: stdout" in r.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text("tcp_connect: {}\nagent:\n  syslog_facility: nope\n")
    r = run("--check-config", "-c", str(bad))
    assert r.returncode == 78
    assert ("%s:3:20: unknown syslog facility 'nope'" % bad).encode() in r.stderr

    r = run("--check-config", "-c", str(tmp_path / "missing.yaml"))
    assert r.returncode == 66
    assert b"No such file or directory" in r.stderr


def test_embedded_default_config_checks():
    r = run("--check-config")
    assert r.returncode == 0
    assert b"config: <embedded>" in r.stdout


def test_runs_with_an_empty_environment_from_root_dir():
    r = subprocess.run([WHODUNIT, "--check-config"], env={}, cwd="/",
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr


def test_without_privileges_exits_77():
    if os.geteuid() != 0:
        pytest.skip("needs root to drop privileges with setpriv")
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", "--inh-caps=-all", WHODUNIT,
                        "-o", "stdout"], capture_output=True, timeout=30)
    assert r.returncode == 77, r.stderr
    assert b"needs root" in r.stderr


def test_udp_session_without_net_admin_exits_77(tmp_path):
    """CAP_BPF and CAP_PERFMON load tcp_connect; udp_session's cgroup
    programs also need CAP_NET_ADMIN (or CAP_SYS_ADMIN): refused at start."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop capabilities with setpriv")
    conf = tmp_path / "udp.yaml"
    conf.write_text("tcp_connect: {}\nudp_session: {}\nagent:\n  output: stdout\n")
    drop = "-net_admin,-sys_admin"
    r = subprocess.run(["setpriv", "--inh-caps=" + drop, "--bounding-set=" + drop,
                        WHODUNIT, "-c", str(conf)], capture_output=True, timeout=30)
    assert r.returncode == 77, r.stderr
    assert b"udp_session needs CAP_NET_ADMIN" in r.stderr
