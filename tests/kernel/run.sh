#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Kernel matrix: boots Debian's stock kernel under qemu (TCG) with an
# initramfs holding whodunit, gt_client and tests/kernel/guest_check.c, and
# checks every attach variant (fentry, kprobe, tracepoint, auto) there.
#
#   tests/kernel/run.sh [WHODUNIT [GT_CLIENT [CACHE_DIR]]]
#
# Run as root from the repository root, after `make` and
# `make build/tests/gt_client`. Defaults: $WHODUNIT or build/whodunit,
# $GT_CLIENT or build/tests/gt_client, $CACHE_DIR or build/kernel-cache.
# Other knobs: WD_VM_TIMEOUT (seconds, default 300), WD_VM_ACCEL (default
# tcg), WD_VM_QUIET=1 (do not echo the serial console while it runs),
# WD_VM_APPEND (extra kernel command line, for debugging the harness),
# WD_KERNEL_META (the Debian metapackage naming the kernel, default
# linux-image-amd64).
#
# Ends with the line "N passed, M failed"; exits non-zero on any failed
# check, a guest panic, a timeout, or when the kernel cannot be obtained.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
	sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
	exit 0
fi
WHODUNIT=${1:-${WHODUNIT:-build/whodunit}}
GT_CLIENT=${2:-${GT_CLIENT:-build/tests/gt_client}}
CACHE_DIR=${3:-${CACHE_DIR:-build/kernel-cache}}
TIMEOUT=${WD_VM_TIMEOUT:-300}
ACCEL=${WD_VM_ACCEL:-tcg}
META=${WD_KERNEL_META:-linux-image-amd64}

t_start=$(date +%s.%N)
say() { printf 'kernel-matrix: %s\n' "$*"; }
die() {
	printf 'kernel-matrix: ERROR: %s\n' "$*" >&2
	printf '0 passed, 1 failed\n'
	exit 1
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

[[ $EUID -eq 0 ]] || die "run as root (installs packages, builds device nodes)"
[[ -x $WHODUNIT ]] || die "$WHODUNIT not found: run 'make' first"
[[ -x $GT_CLIENT ]] || die "$GT_CLIENT not found: run 'make build/tests/gt_client' first"
mkdir -p "$CACHE_DIR"
CACHE_DIR=$(cd "$CACHE_DIR" && pwd)
WHODUNIT=$(readlink -f "$WHODUNIT")
GT_CLIENT=$(readlink -f "$GT_CLIENT")
RUN_DIR=$CACHE_DIR/run
LOG=$RUN_DIR/console.log

# ------------------------------------------------------------ host packages
apt_updated=0
apt_update_once() {
	if [[ $apt_updated -eq 0 ]]; then
		say "apt-get update"
		apt-get update -qq >&2 || say "apt-get update failed (continuing)"
		apt_updated=1
	fi
}
installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

need=()
for p in qemu-system-x86 busybox-static cpio gcc libc6-dev binutils; do
	installed "$p" || need+=("$p")
done
if ((${#need[@]})); then
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >&2; then
		apt_update_once
		apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 ||
			die "cannot install ${need[*]} with apt-get"
	fi
fi
QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found after installing qemu-system-x86"
BUSYBOX=$(dpkg -L busybox-static 2>/dev/null | sed -n '\|/bin/busybox$|{p;q}')
[[ -x $BUSYBOX ]] || die "busybox-static installed but its /bin/busybox is missing"

is_static() { [[ $(readelf -l "$1" 2>/dev/null) != *"Requesting program interpreter"* ]]; }
for b in "$BUSYBOX" "$WHODUNIT" "$GT_CLIENT"; do
	readelf -h "$b" >/dev/null 2>&1 || die "$b is not an ELF binary"
	is_static "$b" || die "$b is dynamically linked: the initramfs has no libraries"
done

# ------------------------------------------------------------ Debian kernel
kernel_pkg() {
	{ apt-cache depends "$META" 2>/dev/null || true; } |
		sed -nE '/^ *\|?Depends: linux-image-[^ ]+-amd64$/{s/^.*Depends: //p;q}'
}
KPKG=$(kernel_pkg)
if [[ -z $KPKG ]]; then
	apt_update_once
	KPKG=$(kernel_pkg)
fi
[[ -n $KPKG ]] || die "apt-cache depends $META names no linux-image-*-amd64 package: cannot obtain Debian's kernel (is the Debian archive reachable and listed in apt sources?)"
kver_of() { { apt-cache show --no-all-versions "$1" 2>/dev/null || true; } | sed -n '/^Version: /{s///p;q}'; }
KVER=$(kver_of "$KPKG")
[[ -n $KVER ]] || die "apt-cache show $KPKG: no version: cannot obtain Debian's kernel"
DEB=$CACHE_DIR/${KPKG}_${KVER//:/%3a}_amd64.deb
if [[ -s $DEB ]] && dpkg-deb --info "$DEB" >/dev/null 2>&1; then
	say "kernel package $KPKG $KVER (cached: $DEB)"
else
	rm -f "$DEB"
	say "downloading $KPKG $KVER (what $META depends on)"
	if ! (cd "$CACHE_DIR" && apt-get download "$KPKG=$KVER" >&2); then
		apt_update_once
		KVER=$(kver_of "$KPKG")
		DEB=$CACHE_DIR/${KPKG}_${KVER//:/%3a}_amd64.deb
		(cd "$CACHE_DIR" && apt-get download "$KPKG=$KVER" >&2) ||
			die "apt-get download $KPKG=$KVER failed: cannot obtain Debian's kernel (only Debian's package archive is a source)"
	fi
	[[ -s $DEB ]] || die "apt-get download $KPKG succeeded but $DEB is missing"
fi
VMLINUZ=${DEB%.deb}.vmlinuz
KCONFIG=${DEB%.deb}.config
if [[ ! -s $VMLINUZ ]]; then
	x=$(mktemp -d "$CACHE_DIR/extract.XXXXXX")
	dpkg-deb -x "$DEB" "$x" || { rm -rf "$x"; die "dpkg-deb -x $DEB failed"; }
	vz=$(find "$x/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
	[[ -n $vz ]] || { rm -rf "$x"; die "$DEB holds no /boot/vmlinuz-*"; }
	cp "$vz" "$VMLINUZ.tmp" && mv "$VMLINUZ.tmp" "$VMLINUZ"
	cp "$x"/boot/config-* "$KCONFIG" 2>/dev/null || true
	rm -rf "$x" # the modules are not needed: ~400 MB
fi
say "kernel $VMLINUZ"

# --------------------------------------------------------------- initramfs
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
say "building guest_check"
gcc -O2 -Wall -Wextra -Werror -static -o "$RUN_DIR/guest_check" "$here/guest_check.c"

root=$RUN_DIR/rootfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,root}
cp "$BUSYBOX" "$root/bin/busybox"
while read -r applet; do
	[[ $applet == bin/busybox || -e $root/$applet ]] && continue
	mkdir -p "$root/$(dirname "$applet")"
	ln -s /bin/busybox "$root/$applet"
done < <("$root/bin/busybox" --list-full)
[[ -e $root/bin/sh ]] || ln -s /bin/busybox "$root/bin/sh"
install -m 0755 "$WHODUNIT" "$root/whodunit"
install -m 0755 "$GT_CLIENT" "$root/gt_client"
install -m 0755 "$RUN_DIR/guest_check" "$root/guest_check"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || true
cat >"$root/init" <<'EOF'
#!/bin/sh
# Guest init of the whodunit kernel matrix (generated by tests/kernel/run.sh).
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec 0</dev/console 1>/dev/console 2>&1
echo # the firmware's last line has no newline
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
echo "WDTEST-INFO init-start uptime $(cut -d' ' -f1 /proc/uptime) s"
echo "WDTEST-INFO kernel $(uname -r) $(uname -v)"
ip link set lo up
for i in 1 2 3 4 5 6 7 8 9 10; do
	ip -6 addr show dev lo | grep -q '::1/128' && break
	sleep 0.2
done
echo "WDTEST-INFO lo: $(ip -o addr show dev lo | awk '{print $4}' | tr '\n' ' ')"
echo "WDTEST-INFO links: $(ip -o link | awk -F': ' '{print $2}' | tr '\n' ' ')"
[ -e /sys/kernel/btf/vmlinux ] || echo "WDTEST-INFO no /sys/kernel/btf/vmlinux"
/guest_check /whodunit /gt_client
rc=$?
echo "WDTEST-INFO guest_check exit $rc, uptime $(cut -d' ' -f1 /proc/uptime) s"
sync
poweroff -f
sleep 5
echo "WDTEST-INFO poweroff failed"
EOF
chmod 0755 "$root/init"
INITRD=$RUN_DIR/initrd.gz
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$INITRD"
say "initramfs $INITRD ($(du -k "$INITRD" | cut -f1) KiB)"

# -------------------------------------------------------------------- boot
say "booting $KPKG $KVER under qemu ($ACCEL, timeout ${TIMEOUT}s); console log $LOG"
: >"$LOG"
t_boot=$(date +%s.%N)
set +e
{
	timeout -k 10 "$TIMEOUT" "$QEMU" -accel "$ACCEL" -smp 2 -m 1024 \
		-nographic -no-reboot -nic none \
		-kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 ${WD_VM_APPEND:-}" </dev/null 2>&1
	echo "$?" >"$RUN_DIR/qemu.rc"
} | tee "$RUN_DIR/console.raw" |
	# Firmware and qemu write terminal escapes (reset, clear) that would
	# glue themselves to the next line: drop them and the CRs.
	sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[A-Za-z]//g' |
	while IFS= read -r line || [[ -n $line ]]; do
		printf '%s\n' "$line" >>"$LOG"
		if [[ $line == *WDTEST-INFO\ init-start* && ! -e $RUN_DIR/booted ]]; then
			date +%s.%N >"$RUN_DIR/booted"
		fi
		[[ ${WD_VM_QUIET:-0} == 1 ]] || printf '  | %s\n' "$line"
	done
set -e
t_end=$(date +%s.%N)
qrc=$(cat "$RUN_DIR/qemu.rc" 2>/dev/null || echo 255)

# ----------------------------------------------------------------- verdict
pass=0
fail=0
problems=()
summary=()
while IFS= read -r line; do
	# WDTEST <name tokens...> PASS|FAIL <detail>
	read -r -a tok <<<"$line"
	name=""
	verdict=""
	for ((i = 1; i < ${#tok[@]}; i++)); do
		if [[ ${tok[i]} == PASS || ${tok[i]} == FAIL ]]; then
			verdict=${tok[i]}
			break
		fi
		name+="${name:+ }${tok[i]}"
	done
	[[ -n $verdict ]] || continue
	if [[ $verdict == PASS ]]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
	detail=${tok[*]:i+1}
	if [[ $verdict == FAIL ]]; then
		summary+=("$verdict $name: ${detail:0:400}")
	else
		summary+=("$verdict $name")
	fi
done < <(grep -aoE 'WDTEST .*' "$LOG" || true)

done_line=$(grep -aoE 'WDTEST-DONE [0-9]+ [0-9]+' "$LOG" | tail -n1 || true)
if [[ $qrc == 124 || $qrc == 137 ]]; then
	problems+=("timeout: the guest did not power off within ${TIMEOUT}s (hang)")
elif [[ $qrc != 0 ]]; then
	problems+=("qemu exited with status $qrc")
fi
if grep -aq 'Kernel panic' "$LOG"; then
	problems+=("guest kernel panic: $(grep -a -m1 'Kernel panic' "$LOG")")
fi
if [[ -z $done_line ]]; then
	problems+=("the guest never reported WDTEST-DONE (guest_check crashed, or the guest died)")
else
	read -r _ dpass dfail <<<"$done_line"
	if [[ $dpass != "$pass" || $dfail != "$fail" ]]; then
		problems+=("guest counted $dpass passed, $dfail failed but the console shows $pass/$fail (garbled console?)")
	fi
fi
if ((pass + fail == 0)); then
	problems+=("no WDTEST result line on the console")
fi

guest_kernel=$(sed -n 's/.*WDTEST-INFO kernel //p' "$LOG" | head -n1)
auto=$(sed -n 's/.*WDTEST-INFO auto-chose //p' "$LOG" | head -n1)
echo
echo "== whodunit kernel matrix"
echo "kernel package: $KPKG $KVER (via $META)"
echo "guest kernel:   ${guest_kernel:-unknown}"
echo "auto chose:     ${auto:-unknown}"
for s in "${summary[@]}"; do
	echo "  $s"
done
for p in "${problems[@]}"; do
	echo "  FAIL harness: $p"
	fail=$((fail + 1))
done
if [[ -s $RUN_DIR/booted ]]; then
	echo "boot to /init: $(elapsed "$t_boot" "$(cat "$RUN_DIR/booted")") s; guest checks and poweroff: $(elapsed "$(cat "$RUN_DIR/booted")" "$t_end") s"
fi
echo "qemu total: $(elapsed "$t_boot" "$t_end") s; run.sh total: $(elapsed "$t_start" "$(date +%s.%N)") s"
echo "console log: $LOG"
echo "$pass passed, $fail failed"
((fail == 0))
