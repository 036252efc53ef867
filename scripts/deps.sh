#!/bin/sh
# Install whodunit's build and test dependencies from Debian 12, if missing.
set -eu
# Building: what `make` and `make run` need.
pkgs="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev
libyaml-dev pkg-config"
# `deps.sh test` adds what `make test` needs:
# libclang-rt-14-dev: libFuzzer and the sanitizer runtimes (make fuzz);
# podman, runc: the container tests (tests/integration/test_containers.py; Docker
# is unpacked there from Debian's docker.io, not installed: no daemon is left).
case "${1:-}" in
test | bench)
	pkgs="$pkgs libcriterion-dev python3 python3-pytest iproute2 rsyslog logrotate
libclang-rt-14-dev podman runc"
	;;
esac
# `deps.sh bench` adds what the benchmark compares against.
[ "${1:-}" = bench ] && pkgs="$pkgs bpftrace auditd rsyslog util-linux"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
