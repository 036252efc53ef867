"""Kernels without /sys/kernel/btf/vmlinux: --btf, and clear refusals.

The kernel's BTF file is hidden in a private mount namespace (a tmpfs over
/sys/kernel/btf), as on a kernel built without BTF.
"""
import os
import shutil
import subprocess

from conftest import FILE_CONFIG, WHODUNIT, Client, Listener

HIDE_BTF = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount -t tmpfs none /sys/kernel/btf && exec "$0" "$@"']


def test_without_btf_exits_69_saying_what_is_missing():
    r = subprocess.run(HIDE_BTF + [WHODUNIT, "-o", "stdout"], capture_output=True,
                       timeout=30)
    assert r.returncode == 69, r.stderr
    assert b"exposes no BTF (/sys/kernel/btf/vmlinux" in r.stderr
    assert b"--btf FILE" in r.stderr


def test_btf_file_stands_in_for_the_kernels(make_agent, tmpdir_short):
    btf = os.path.join(tmpdir_short, "vmlinux.btf")
    shutil.copyfile("/sys/kernel/btf/vmlinux", btf)
    agent = make_agent(FILE_CONFIG, args=["--btf", btf], prefix=HIDE_BTF).start()
    lst = Listener()
    client = Client("127.0.0.1", lst.port)
    try:
        ev = agent.wait_event(lambda e: e["pid"] == client.truth["pid"])
        assert ev["proctree"][0]["cmdline"] == " ".join(client.argv)
        assert ev["sport"] == client.truth["sport"]
    finally:
        client.finish()
        lst.close()
    assert agent.stop()[0] == 0


def test_broken_btf_file_exits_69(tmp_path):
    bad = tmp_path / "broken.btf"
    bad.write_bytes(b"\x9f\xeb\x01\x00" + b"garbage" * 10)
    r = subprocess.run([WHODUNIT, "--btf", str(bad), "-o", "stdout"],
                       capture_output=True, timeout=30)
    assert r.returncode == 69, r.stderr
    assert ("--btf %s: not usable kernel BTF" % bad).encode() in r.stderr
    r = subprocess.run([WHODUNIT, "--btf", str(tmp_path / "missing"), "-o", "stdout"],
                       capture_output=True, timeout=30)
    assert r.returncode == 69
    assert b"No such file or directory" in r.stderr
