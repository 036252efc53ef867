#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Package test: installs whodunit's .deb on a real Debian 12 system, with
# systemd as pid 1 and rsyslog, booted from Debian's stock kernel under qemu
# (TCG, no network), and checks the unit and the SIEM forwarding there
# (tests/package/guest.sh lists the checks).
#
#   tests/package/run.sh DEB [CACHE_DIR [GT_CLIENT]]
#
# Run as root from the repository root after `make deb` (`make test-package`
# does both). CACHE_DIR (default build/package-cache) keeps the kernel
# package and the debootstrap'ed root (a cpio archive) between runs; delete
# it to start over. The root is built on the host with debootstrap from
# Debian's archive; the guest has no network (-nic none) and only talks to
# its loopback.
# Knobs: WD_VM_TIMEOUT (seconds, default 600), WD_VM_QUIET=1 (do not echo the
# serial console), WD_KERNEL_META (default linux-image-amd64), WD_VM_MEM
# (MiB, default 2048).
#
# Ends with the line "N passed, M failed"; exits non-zero on any failed
# check, a guest panic, a timeout, or when the kernel or root cannot be made.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ ${1:-} == -h || ${1:-} == --help || $# -lt 1 ]]; then
	sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
	[[ $# -ge 1 ]] && exit 0 || exit 64
fi
DEB=$1
CACHE_DIR=${2:-build/package-cache}
GT_CLIENT=${3:-${GT_CLIENT:-build/tests/gt_client}}
TIMEOUT=${WD_VM_TIMEOUT:-600}
META=${WD_KERNEL_META:-linux-image-amd64}
MEM=${WD_VM_MEM:-2048}
SUITE=bookworm
# Guest packages; changing the list rebuilds the cached root.
INCLUDE=systemd,systemd-sysv,rsyslog,bpftool,iproute2,procps,jq,dbus,podman,crun,conmon,netavark

t_start=$(date +%s.%N)
VM_TAG=package-test
# shellcheck source=../lib/vm.sh
. "$here/../lib/vm.sh"

[[ $EUID -eq 0 ]] || die "run as root (debootstrap, device nodes)"
# The Debian archive the machine's own apt sources use (tests/lib/vm.sh).
MIRROR=$(debian_mirror)
[[ -n $MIRROR ]] || die "the machine's apt sources (/etc/apt/sources.list, sources.list.d/) name no Debian archive for $(host_codename): debootstrap has no mirror"
[[ -s $DEB ]] || die "$DEB not found: run 'make deb' first"
[[ -x $GT_CLIENT ]] || die "$GT_CLIENT not found: run 'make build/tests/gt_client' first"
dpkg-deb -f "$DEB" Package >/dev/null 2>&1 || die "$DEB is not a Debian package"
DEB=$(readlink -f "$DEB")
mkdir -p "$CACHE_DIR"
CACHE_DIR=$(cd "$CACHE_DIR" && pwd)
RUN_DIR=$CACHE_DIR/run
LOG=$RUN_DIR/console.log

# ------------------------------------------------------------ host packages
need_packages qemu-system-x86 debootstrap cpio
QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found"

# ------------------------------------------------------------ Debian kernel
# The package linux-image-amd64 depends on, as tests/kernel/run.sh does.
fetch_kernel "$CACHE_DIR" "$META" || die "$KERR"
say "kernel $KPKG $KVER ($VMLINUZ)"

# ------------------------------------------------------ Debian 12 root (cached)
key=$(printf '%s %s %s v1' "$SUITE" "$INCLUDE" "$MIRROR" | sha256sum | cut -c1-12)
BASE=$CACHE_DIR/root-$SUITE-$key.cpio
if [[ ! -s $BASE ]]; then
	t_ds=$(date +%s.%N)
	root=$CACHE_DIR/root.build
	rm -rf "$root"
	say "debootstrap $SUITE ($INCLUDE) into $root (once; cached as $BASE)"
	debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$root" "$MIRROR" \
		>"$CACHE_DIR/debootstrap.log" 2>&1 ||
		die "debootstrap failed: see $CACHE_DIR/debootstrap.log"
	# Trim what a RAM root does not need, and configure a quiet test host.
	rm -rf "$root"/usr/share/{doc,man,info,locale}/* "$root"/var/cache/apt/archives/*.deb \
		"$root"/var/lib/apt/lists/*
	echo wdguest >"$root/etc/hostname"
	printf '127.0.0.1 localhost\n::1 localhost\n127.0.1.1 wdguest\n' >"$root/etc/hosts"
	: >"$root/etc/machine-id"
	: >"$root/etc/fstab"
	rm -f "$root/etc/initrd-release"
	ln -sf /lib/systemd/systemd "$root/init"
	# No login prompts or periodic jobs on the console during the test.
	for u in serial-getty@.service getty@.service apt-daily.timer apt-daily-upgrade.timer \
		dpkg-db-backup.timer e2scrub_all.timer fstrim.timer logrotate.timer man-db.timer \
		systemd-tmpfiles-clean.timer; do
		ln -sf /dev/null "$root/etc/systemd/system/$u"
	done
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) >"$BASE.tmp" ||
		die "cpio of $root failed"
	mv "$BASE.tmp" "$BASE"
	rm -rf "$root"
	say "root cached: $BASE ($(du -m "$BASE" | cut -f1) MiB) in $(elapsed "$t_ds" "$(date +%s.%N)") s"
else
	say "root $BASE (cached)"
fi

# ------------------------------------------------------ per-run overlay
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR/overlay"
ov=$RUN_DIR/overlay
mkdir -p "$ov/root" "$ov/usr/local/sbin" "$ov/etc/systemd/system/multi-user.target.wants"
cp "$DEB" "$ov/root/whodunit.deb"
install -m 0755 "$here/guest.sh" "$ov/usr/local/sbin/wdpkg-test"
mkdir -p "$ov/usr/local/bin"
install -m 0755 "$GT_CLIENT" "$ov/usr/local/bin/gt_client"
cat >"$ov/etc/systemd/system/wdpkg-test.service" <<'UNIT'
[Unit]
Description=whodunit package test (tests/package/guest.sh)
After=multi-user.target rsyslog.service systemd-journald.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/wdpkg-test
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
UNIT
ln -s ../wdpkg-test.service "$ov/etc/systemd/system/multi-user.target.wants/wdpkg-test.service"
INITRD=$RUN_DIR/initrd.cpio
cp "$BASE" "$INITRD"
# A second archive appended to the first: the kernel unpacks both.
(cd "$ov" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) >>"$INITRD"
say "initramfs $INITRD ($(du -m "$INITRD" | cut -f1) MiB)"

# -------------------------------------------------------------------- boot
say "booting under qemu ($WD_TCG_ACCEL, -nic none, timeout ${TIMEOUT}s); console log $LOG"
t_boot=$(date +%s.%N)
set +e
boot_vm "$TIMEOUT" "$RUN_DIR" "$LOG" "WDPKG-INFO start" \
	"$QEMU" -accel "$WD_TCG_ACCEL" -cpu max -smp 2 -m "$MEM" -nographic -no-reboot -nic none \
	-kernel "$VMLINUZ" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init systemd.unit=multi-user.target systemd.show_status=0 ${WD_VM_APPEND:-}"
set -e
t_end=$(date +%s.%N)
qrc=$(cat "$RUN_DIR/qemu.rc" 2>/dev/null || echo 255)

# ----------------------------------------------------------------- verdict
pass=0
fail=0
problems=()
summary=()
while IFS= read -r line; do
	# WDPKG <name> PASS|FAIL <detail>
	read -r -a tok <<<"$line"
	[[ ${#tok[@]} -ge 3 ]] || continue
	name=${tok[1]} verdict=${tok[2]} detail=${tok[*]:3}
	case $verdict in
	PASS) pass=$((pass + 1)); summary+=("PASS $name") ;;
	FAIL) fail=$((fail + 1)); summary+=("FAIL $name: ${detail:0:600}") ;;
	esac
done < <(grep -aoE 'WDPKG [^ ]+ (PASS|FAIL).*' "$LOG" || true)

done_line=$(grep -aoE 'WDPKG-DONE [0-9]+ [0-9]+' "$LOG" | tail -n1 || true)
if [[ $qrc == 124 || $qrc == 137 ]]; then
	problems+=("timeout: the guest did not power off within ${TIMEOUT}s")
elif [[ $qrc != 0 ]]; then
	problems+=("qemu exited with status $qrc")
fi
grep -aq 'Kernel panic' "$LOG" && problems+=("guest kernel panic: $(grep -a -m1 'Kernel panic' "$LOG")")
if [[ -z $done_line ]]; then
	problems+=("the guest never reported WDPKG-DONE")
else
	read -r _ dpass dfail <<<"$done_line"
	[[ $dpass == "$pass" && $dfail == "$fail" ]] ||
		problems+=("guest counted $dpass passed, $dfail failed, the console shows $pass/$fail")
fi
((pass + fail > 0)) || problems+=("no WDPKG result line on the console")

echo
echo "== whodunit package test ($(dpkg-deb -f "$DEB" Package) $(dpkg-deb -f "$DEB" Version))"
grep -aoE 'WDPKG-INFO .*' "$LOG" | sed 's/^WDPKG-INFO /  info: /' || true
for s in "${summary[@]}"; do echo "  $s"; done
for p in "${problems[@]}"; do
	echo "  FAIL harness: $p"
	fail=$((fail + 1))
done
if [[ -s $RUN_DIR/booted ]]; then
	echo "boot to test start: $(elapsed "$t_boot" "$(cat "$RUN_DIR/booted")") s; tests and poweroff: $(elapsed "$(cat "$RUN_DIR/booted")" "$t_end") s"
fi
echo "qemu total: $(elapsed "$t_boot" "$t_end") s; run.sh total: $(elapsed "$t_start" "$(date +%s.%N)") s"
echo "console log: $LOG"
echo "$pass passed, $fail failed"
((fail == 0))
