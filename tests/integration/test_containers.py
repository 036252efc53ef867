"""Containers (real podman with runc, an image imported from a tarball that
holds the static gt_client), Kubernetes bundles (a fixture tree and a cgroup
this test makes), container_labels decided in the kernel, and pidtree-bcc's
sourceipmap and loginuidmap plugins.

Inside `--network none` a container connects to its own loopback: the
configs report loopback (`filters: []`); the connect is refused there,
which the event says ("error": "ECONNREFUSED").
"""
import glob
import json
import os
import socket
import random
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import uuid

import pytest

from conftest import GT_CLIENT, WHODUNIT, Client, Listener, require_root

PODMAN = ["podman", "--runtime", "runc"]
RUN_ARGS = ["--cgroup-manager=cgroupfs", "--network", "none",
            "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def _cgroot():
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, typ = line.split()[:3]
            if typ == "cgroup2":
                return mnt
    raise AssertionError("no cgroup2 mount")


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    require_root()
    assert shutil.which("podman") and shutil.which("runc"), \
        "podman and runc are test dependencies (scripts/deps.sh installs them)"
    d = tmp_path_factory.mktemp("img")
    tar = d / "rootfs.tar"
    with tarfile.open(tar, "w") as t:
        t.add(GT_CLIENT, arcname="bin/gt_client")
    ref = "localhost/whodunit-test-gt:%d" % os.getpid()
    subprocess.run(PODMAN + ["import", str(tar), ref], check=True,
                   stdout=subprocess.DEVNULL)
    yield ref
    subprocess.run(PODMAN + ["rmi", "-f", ref], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


class Container:
    """A podman container running gt_client 127.0.0.1 PORT until finish()."""

    def __init__(self, image, port, labels=()):
        self.name = "wd-test-%s" % uuid.uuid4().hex[:10]
        argv = PODMAN + ["run", "--rm", "-i", "--name", self.name] + RUN_ARGS
        for l in labels:
            argv += ["--label", l]
        argv += [image, "/bin/gt_client", "127.0.0.1", str(port)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("container printed nothing: %s"
                                 % self.proc.stderr.read().decode(errors="replace"))
        self.truth = json.loads(line)
        out = subprocess.run(PODMAN + ["inspect", self.name], check=True,
                             capture_output=True).stdout
        self.inspect = json.loads(out)[0]

    def finish(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


CONFIG = """\
agent:
  output: file:@OUT@
tcp_connect:
  filters: []
"""


def _port():
    return random.randint(20000, 60000)


def host_connect(addr="127.0.0.1", family=socket.AF_INET):
    """A host process (bash -c gt_client) connects to a loopback listener."""
    l = Listener(addr, family)
    try:
        c = Client(addr, l.port)
        c.finish()
    finally:
        l.close()
    return c


def test_podman_container_identity(make_agent, image):
    agent = make_agent(CONFIG).start()
    port = _port()
    c = Container(image, port, labels=["team=blue", "tier=test"])
    try:
        ev = agent.wait_event(lambda e: e["port"] == port and e["comm"] == "gt_client",
                              timeout=15, what="the container's connect")
        # bpf_get_current_cgroup_id(): the inode of the container's v2 cgroup
        path = "%s/libpod_parent/libpod-%s" % (_cgroot(), c.inspect["Id"])
        assert ev["cgroup_id"] == os.stat(path).st_ino
    finally:
        c.finish()
    ctr = ev["container"]
    assert ctr["id"] == c.inspect["Id"] and len(ctr["id"]) == 64
    assert ctr["runtime"] == "podman"
    assert ctr["name"] == c.name == c.inspect["Name"]
    assert ctr["image"] == image == c.inspect["ImageName"]
    assert ctr["labels"] == {"team": "blue", "tier": "test"}
    assert ev["error"] == "ECONNREFUSED"  # its own loopback: nobody listens
    # a host process: no container
    host = host_connect()
    hev = agent.wait_event(lambda e: e["pid"] == host.truth["pid"], what="host connect")
    assert "container" not in hev
    # the cache forgets the container when its cgroup goes
    deadline = time.monotonic() + 10
    while os.path.exists(path):
        assert time.monotonic() < deadline, "the container's cgroup stayed"
        time.sleep(0.05)
    time.sleep(0.3)
    agent.stop()
    import re
    m = re.search(r"containers: (\d+) cgroups cached .* (\d+) gone with their cgroup",
                  agent.stderr())
    assert m and int(m.group(2)) >= 1, agent.stderr()


LABELS_CONFIG = """\
agent:
  output: file:@OUT@
  stats_interval: 0
tcp_connect:
  filters: []
  container_labels: ["team=blue"]
"""


def test_container_labels_in_the_kernel(make_agent, image):
    agent = make_agent(LABELS_CONFIG).start()
    blue_port, plain_port = _port(), _port()
    blue = Container(image, blue_port, labels=["team=blue"])
    plain = Container(image, plain_port, labels=["team=red"])
    host = host_connect()
    try:
        ev = agent.wait_event(lambda e: e["port"] == blue_port, timeout=15,
                              what="the blue container's connect")
    finally:
        blue.finish()
        plain.finish()
    assert ev["container"]["labels"]["team"] == "blue"
    time.sleep(0.5)  # (the drain timer: 100 ms)
    rc, _ = agent.stop()
    assert rc == 0
    evs = agent.events()
    assert not [e for e in evs if e.get("port") == plain_port], "red container reported"
    assert not [e for e in evs if e["pid"] == host.truth["pid"]], "host process reported"
    assert all("container" in e and e["container"]["labels"].get("team") == "blue"
               for e in evs)
    total = agent.records("stop")[0]["total"]
    # the red container and the host client at least: dropped in the kernel
    assert total["container_filtered"] >= 2
    assert total["filtered"] >= total["container_filtered"]
    assert total["emitted"] == len(evs)


# (one for every build: the ASan run uses it too)
DOCKER_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build",
                           "docker-root")


def _docker_root():
    """Debian 12's docker.io and containerd unpacked under the build
    directory, not installed: no service is enabled or left running."""
    if os.path.exists(os.path.join(DOCKER_ROOT, "usr/sbin/dockerd")):
        return DOCKER_ROOT
    dl = tempfile.mkdtemp(prefix="wd-debs-")
    try:
        get = ["apt-get", "download", "-q", "docker.io", "containerd"]
        if subprocess.run(get, cwd=dl, capture_output=True, timeout=300).returncode:
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=300)
            subprocess.run(get, cwd=dl, check=True, capture_output=True, timeout=300)
        tmp = DOCKER_ROOT + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        for deb in sorted(os.listdir(dl)):
            subprocess.run(["dpkg-deb", "-x", os.path.join(dl, deb), tmp], check=True)
        os.rename(tmp, DOCKER_ROOT)
    finally:
        shutil.rmtree(dl, ignore_errors=True)
    return DOCKER_ROOT


@pytest.fixture(scope="module")
def docker():
    """A Docker daemon on /run/docker.sock (whodunit's path for it): the
    host's if one runs, else a private one (no network, vfs storage) whose
    data root the agent is told (agent.docker_data_root)."""
    require_root()
    root = _docker_root()
    env = dict(os.environ, PATH="%s/usr/bin:%s/usr/sbin:%s" % (root, root, os.environ["PATH"]))
    cli = [os.path.join(root, "usr/bin/docker")]
    daemon, d, data_root = None, tempfile.mkdtemp(prefix="wdd-"), None
    # what a private dockerd leaves behind: removed after unless already there
    litter = [p for p in ("/etc/docker", "/run/docker") if not os.path.exists(p)]
    if not os.path.exists("/run/docker.sock"):
        data_root = d + "/data"
        log = open(os.path.join(d, "log"), "wb")
        daemon = subprocess.Popen(
            [os.path.join(root, "usr/sbin/dockerd"), "--data-root", d + "/data",
             "--exec-root", d + "/x", "--pidfile", d + "/pid", "-H", "unix:///run/docker.sock",
             "--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
             "--storage-driver", "vfs"], env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while subprocess.run(cli + ["version"], env=env, capture_output=True).returncode:
            assert daemon.poll() is None and time.monotonic() < deadline, \
                "dockerd did not start: " + open(d + "/log").read()[-2000:]
            time.sleep(0.2)
    img = os.path.join(d, "rootfs.tar")
    with tarfile.open(img, "w") as t:
        t.add(GT_CLIENT, arcname="bin/gt_client")
    ref = "whodunit-test-gt:%d" % os.getpid()
    subprocess.run(cli + ["import", img, ref], env=env, check=True, capture_output=True)
    yield cli, env, ref, data_root
    subprocess.run(cli + ["rmi", "-f", ref], env=env, capture_output=True)
    if daemon:
        daemon.terminate()
        daemon.wait(timeout=30)
        for p in litter:
            shutil.rmtree(p, ignore_errors=True)
        for c in glob.glob("/sys/fs/cgroup/*/docker") + glob.glob("/sys/fs/cgroup/docker"):
            try:
                os.rmdir(c)
            except OSError:
                pass
    shutil.rmtree(d, ignore_errors=True)


def test_docker_container_identity(make_agent, docker):
    """Docker: the same fields as podman's, on the container's first connect
    (dockerd's config.v2.json; its API answers only once the start is done)."""
    cli, env, ref, data_root = docker
    agent = make_agent(CONFIG.replace("output: file:@OUT@", "output: file:@OUT@\n"
                                      "  docker_data_root: %s" % data_root)
                       if data_root else CONFIG).start()
    port, name = _port(), "wd-test-%s" % uuid.uuid4().hex[:10]
    p = subprocess.Popen(cli + ["run", "-i", "--rm", "--name", name, "--label", "team=green",
                                "--network", "none", "--ulimit", "nofile=1024:1024", ref,
                                "/bin/gt_client", "127.0.0.1", str(port)],
                         env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        line = p.stdout.readline()
        assert line, "container printed nothing: " + p.stderr.read().decode(errors="replace")
        out = subprocess.run(cli + ["inspect", name], env=env, check=True,
                             capture_output=True).stdout
        inspect = json.loads(out)[0]
        ev = agent.wait_event(lambda e: e["port"] == port, timeout=15,
                              what="the container's connect")
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    assert ev["pid"] == inspect["State"]["Pid"]
    c = ev["container"]
    assert (c["id"], c["runtime"], c.get("name")) == (inspect["Id"], "docker", name), \
        (c, agent.stderr())
    assert c["image"] == ref and c["labels"]["team"] == "green", c
    host = host_connect()
    hev = agent.wait_event(lambda e: e["pid"] == host.truth["pid"])
    assert "container" not in hev
    assert agent.stop()[0] == 0


def _bundle(root, cid, annotations, crio):
    d = os.path.join(root, cid, "userdata") if crio else os.path.join(root, cid)
    os.makedirs(d)
    spec = {"ociVersion": "1.0.2", "process": {"args": ["/app"]},
            "annotations": annotations}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(spec, f)


# containerd's CRI plugin and CRI-O: the annotations their bundles carry.
CONTAINERD = {
    "io.kubernetes.cri.container-type": "container",
    "io.kubernetes.cri.container-name": "app",
    "io.kubernetes.cri.image-name": "docker.io/library/nginx:1.25",
    "io.kubernetes.cri.sandbox-name": "web-7d4b9",
    "io.kubernetes.cri.sandbox-namespace": "shop",
}
CRIO = {
    "io.container.manager": "cri-o",
    "io.kubernetes.cri-o.ImageName": "quay.io/app/api:2",
    "io.kubernetes.container.name": "api",
    "io.kubernetes.pod.name": "api-5c6f",
    "io.kubernetes.pod.namespace": "billing",
}


def _in_cgroup(procs, port):
    """sh moves itself into the cgroup, then execs gt_client."""
    p = subprocess.Popen(["sh", "-c", 'echo $$ > "$0" && exec "$1" 127.0.0.1 "$2"',
                          procs, GT_CLIENT, str(port)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    truth = json.loads(p.stdout.readline())
    return p, truth


def test_kubernetes_bundles(make_agent, tmpdir_short):
    root = os.path.join(tmpdir_short, "bundles")
    ids = {"containerd": uuid.uuid4().hex + uuid.uuid4().hex,
           "cri-o": uuid.uuid4().hex + uuid.uuid4().hex}
    _bundle(root, ids["containerd"], CONTAINERD, False)
    _bundle(root, ids["cri-o"], CRIO, True)
    agent = make_agent(CONFIG.replace(
        "agent:\n", "agent:\n  container_bundle_dirs: [%s]\n" % root)).start()
    pod = "%s/kubepods/besteffort/pod%s" % (_cgroot(), uuid.uuid4())
    made = []
    try:
        for rt, cid in ids.items():
            d = os.path.join(pod, cid)
            os.makedirs(d)  # after the agent started: seen by inotify
            made.append(d)
            port = _port()
            p, truth = _in_cgroup(os.path.join(d, "cgroup.procs"), port)
            try:
                ev = agent.wait_event(lambda e: e["pid"] == truth["pid"],
                                      what="%s pod's connect" % rt)
            finally:
                p.stdin.close()
                p.wait(timeout=10)
            ctr = ev["container"]
            assert ctr["id"] == cid and ctr["runtime"] == rt
            assert ev["cgroup_id"] == os.stat(d).st_ino
            want = CONTAINERD if rt == "containerd" else CRIO
            if rt == "containerd":
                assert (ctr["pod"], ctr["namespace"], ctr["container"], ctr["image"]) == (
                    want["io.kubernetes.cri.sandbox-name"],
                    want["io.kubernetes.cri.sandbox-namespace"],
                    want["io.kubernetes.cri.container-name"],
                    want["io.kubernetes.cri.image-name"])
            else:
                assert (ctr["pod"], ctr["namespace"], ctr["container"], ctr["image"]) == (
                    want["io.kubernetes.pod.name"], want["io.kubernetes.pod.namespace"],
                    want["io.kubernetes.container.name"],
                    want["io.kubernetes.cri-o.ImageName"])
    finally:
        for d in reversed(made):
            os.rmdir(d)
        for d in (pod, os.path.dirname(pod), os.path.dirname(os.path.dirname(pod))):
            try:
                os.rmdir(d)
            except OSError:
                pass


def test_sourceipmap(make_agent, tmpdir_short):
    hosts = os.path.join(tmpdir_short, "hosts")
    with open(hosts, "w") as f:
        f.write("# pidtree-bcc's hostfiles: /etc/hosts format\n127.0.0.1 loopback-a extra\n")
    agent = make_agent(CONFIG + """\
  plugins:
    sourceipmap:
      enabled: True
      hostfiles:
        - "%s"
      attribute_key: "source_host"
""" % hosts).start()
    c = host_connect()
    ev = agent.wait_event(lambda e: e["pid"] == c.truth["pid"])
    assert ev["saddr"] == "127.0.0.1"
    assert ev["source_host"] == "loopback-a extra"
    # no name: an empty string (pidtree-bcc's read_string(saddr, ""))
    c6 = host_connect("::1", socket.AF_INET6)
    ev6 = agent.wait_event(lambda e: e["pid"] == c6.truth["pid"])
    assert ev6["source_host"] == ""
    # re-read when the file changes (checked every 2 s)
    time.sleep(0.05)
    with open(hosts, "w") as f:
        f.write("127.0.0.1 loopback-b\n")
    deadline = time.monotonic() + 10
    while True:
        c = host_connect()
        ev = agent.wait_event(lambda e: e["pid"] == c.truth["pid"])
        if ev["source_host"] == "loopback-b":
            break
        assert ev["source_host"] == "loopback-a extra"
        assert time.monotonic() < deadline, "hostfile change not seen"
        time.sleep(0.5)


def _reload(agent, text, n):
    """Write text as the agent's config, SIGHUP, return the n-th reload record."""
    with open(agent.cfg, "w") as f:
        f.write(text.replace("@OUT@", agent.out))
    agent.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while len(agent.records("reload")) < n:
        assert time.monotonic() < deadline, "no reload record %d" % n
        time.sleep(0.02)
    return agent.records("reload")[n - 1]


def test_plugins_and_container_labels_change_on_reload(make_agent, tmpdir_short):
    """A reload names what it changed and the next events follow it: the
    plugin's new key at once, container_labels in the kernel (a host
    process is dropped and counted once they are set)."""
    hosts = os.path.join(tmpdir_short, "hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 loopback-a\n")
    plug = CONFIG.replace("output: file:@OUT@", "output: file:@OUT@\n  stats_interval: 0") + \
        "  plugins:\n    sourceipmap:\n      enabled: True\n      hostfiles: [\"%s\"]\n" \
        "      attribute_key: \"%s\"\n"
    agent = make_agent(plug % (hosts, "source_host")).start()
    c = host_connect()
    assert agent.wait_event(lambda e: e["pid"] == c.truth["pid"])["source_host"] == "loopback-a"

    rec = _reload(agent, plug % (hosts, "src_name"), 1)
    assert rec["ok"] and rec["changed"] == ["plugins"], rec
    c = host_connect()
    ev = agent.wait_event(lambda e: e["pid"] == c.truth["pid"])
    assert ev["src_name"] == "loopback-a" and "source_host" not in ev

    rec = _reload(agent, plug % (hosts, "src_name") + "  container_labels: [\"team=blue\"]\n", 2)
    assert rec["ok"] and rec["changed"] == ["container_labels"], rec
    host = host_connect()
    time.sleep(0.5)  # (the drain timer: 100 ms)
    assert agent.stop()[0] == 0
    assert not [e for e in agent.events() if e["pid"] == host.truth["pid"]]
    assert agent.records("stop")[0]["total"]["container_filtered"] >= 1


def _with_loginuid(port, uid):
    p = subprocess.Popen(["sh", "-c", 'echo "$0" > /proc/self/loginuid && exec "$1" '
                          '127.0.0.1 "$2"', str(uid), GT_CLIENT, str(port)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return p, json.loads(p.stdout.readline())


@pytest.mark.parametrize("top_level", [True, False])
def test_loginuidmap(make_agent, top_level):
    agent = make_agent(CONFIG + "  plugins:\n    loginuidmap:\n      enabled: True\n"
                       "      top_level: %s\n" % top_level).start()
    l = Listener()
    try:
        p, truth = _with_loginuid(l.port, 0)
        p.stdin.close()
        p.wait(timeout=10)
    finally:
        l.close()
    ev = agent.wait_event(lambda e: e["pid"] == truth["pid"])
    leaf = ev["proctree"][0]
    assert leaf["pid"] == truth["pid"]
    if top_level:
        # pidtree-bcc's top_level: event["loginuid"], event["loginname"] only
        assert (ev["loginuid"], ev["loginname"]) == (0, "root")
        assert all("loginuid" not in n for n in ev["proctree"])
    else:
        # on the process tree's nodes (whodunit's default too)
        assert (leaf["loginuid"], leaf["loginname"]) == (0, "root")
        assert "loginuid" not in ev


def test_check_config_lists_them(tmpdir_short):
    cfg = os.path.join(tmpdir_short, "w.yaml")
    with open(cfg, "w") as f:
        f.write("tcp_connect:\n  container_labels: [\"team=blue\", \"app=web*,env=prod\"]\n"
                "  plugins:\n    sourceipmap:\n      hostfiles: [/etc/hosts]\n"
                "    loginuidmap:\n      top_level: true\n")
    out = subprocess.run([WHODUNIT, "--check-config", "-c", cfg], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert "tcp_connect.container_labels: team=blue" in out.stdout
    assert "tcp_connect.container_labels: app=web*,env=prod (or)" in out.stdout
    assert ("tcp_connect.plugins.sourceipmap: enabled, attribute_key source_host, "
            "hostfiles /etc/hosts") in out.stdout
    assert "tcp_connect.plugins.loginuidmap: enabled, top_level true" in out.stdout
    assert "agent.container_labels_max: 16" in out.stdout


def test_podman_service_running(make_agent, image, tmpdir_short):
    """With podman's API service listening (it holds the container's lock
    while it starts, so its answer would come too late), the container is
    still named at once, from podman's state."""
    sock = "/run/podman/podman.sock"
    if os.path.exists(sock):
        pytest.fail("%s exists already: this test starts its own service" % sock)
    os.makedirs("/run/podman", exist_ok=True)
    svc = subprocess.Popen(["podman", "system", "service", "--time=0", "unix://" + sock],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            assert time.monotonic() < deadline, "podman's service did not listen"
            time.sleep(0.05)
        agent = make_agent(LABELS_CONFIG.replace("team=blue", "team=green"),
                           args=["-v"]).start()
        port = _port()
        c = Container(image, port, labels=["team=green"])
        try:
            ev = agent.wait_event(lambda e: e["port"] == port, timeout=15)
        finally:
            c.finish()
        ctr = ev["container"]
        assert (ctr["id"], ctr["name"], ctr["image"], ctr["labels"]) == (
            c.inspect["Id"], c.name, image, {"team": "green"})
        agent.wait_log("containers: %s: podman's state" % ctr["id"][:12])
    finally:
        svc.terminate()
        svc.wait(timeout=10)
        if os.path.exists(sock):
            os.unlink(sock)


UNJUDGED_CONFIG = """\
agent:
  output: file:@OUT@
tcp_connect:
  filters: []
  container_labels: ["team=*"]
"""


def test_unjudged_container_fails_closed(make_agent):
    """A container cgroup whose runtime does not answer (no bundle, no API)
    cannot be judged: its connects are dropped in the kernel (counted as
    container_filtered), never reported."""
    agent = make_agent(UNJUDGED_CONFIG).start()
    cid = uuid.uuid4().hex + uuid.uuid4().hex
    pod = "%s/kubepods/pod%s" % (_cgroot(), uuid.uuid4())
    d = os.path.join(pod, cid)
    os.makedirs(d)
    try:
        p, truth = _in_cgroup(os.path.join(d, "cgroup.procs"), _port())
        p.stdin.close()
        p.wait(timeout=10)
        time.sleep(0.3)
        rc, _ = agent.stop()
        assert rc == 0
        assert not [e for e in agent.events() if e["pid"] == truth["pid"]]
        total = agent.records("stop")[0]["total"]
        assert total["container_filtered"] >= 1
        assert total["emitted"] == len(agent.events())
    finally:
        os.rmdir(d)
        os.rmdir(pod)
        try:
            os.rmdir(os.path.dirname(pod))  # kubepods, unless someone else uses it
        except OSError:
            pass


RULES_CONFIG = """\
agent:
  output: file:@OUT@
tcp_connect:
  filters: []
rules:
  - name: blue-team
    action: tag
    match:
      container_label: "team=bl*"
      container_image: "localhost/whodunit-test-gt:*"
  - name: drop-red
    action: drop
    match:
      container_name: "wd-test-*"
      container_label: "team=red"
"""


def test_rules_see_the_container(make_agent, image):
    """The rules' container_name, container_image and container_label keys
    (issue 16) match against the container this room resolves."""
    agent = make_agent(RULES_CONFIG).start()
    blue_port, red_port = _port(), _port()
    blue = Container(image, blue_port, labels=["team=blue"])
    red = Container(image, red_port, labels=["team=red"])
    host = host_connect()
    try:
        ev = agent.wait_event(lambda e: e["port"] == blue_port, timeout=15)
    finally:
        blue.finish()
        red.finish()
    assert ev["rules"] == ["blue-team"]
    hev = agent.wait_event(lambda e: e["pid"] == host.truth["pid"])
    assert "rules" not in hev
    time.sleep(0.3)
    agent.stop()
    assert not [e for e in agent.events() if e.get("port") == red_port]
    assert agent.records("stop")[0]["rules"]["drop-red"]["count"] >= 1
