#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Kernel matrix: boots Debian's stock kernels (Debian 11, 12 and 13 by
# default) under qemu (TCG), one after the other, with one initramfs holding
# whodunit, gt_client and a checker (tests/kernel/guest_check.c, guest_lib.c),
# and checks every attach variant (fentry, kprobe, tracepoint, auto),
# net_listen and udp_session on each.
#
#   tests/kernel/run.sh [WHODUNIT [GT_CLIENT [CACHE_DIR]]]
#
# Run as root from the repository root, after `make` and
# `make build/tests/gt_client`. Defaults: $WHODUNIT or build/whodunit,
# $GT_CLIENT or build/tests/gt_client, $CACHE_DIR or build/kernel-cache.
# Other knobs: WD_KERNELS (the Debian releases whose kernel is booted, by
# codename, default "bullseye bookworm trixie"), WD_VM_TIMEOUT (seconds per
# kernel, default 300), WD_VM_ACCEL (default tcg,thread=single: see
# tests/lib/vm.sh), WD_VM_QUIET=1 (do not echo
# the serial console while it runs), WD_VM_APPEND (extra kernel command line,
# for debugging the harness), WD_KERNEL_META (the Debian metapackage naming
# the kernel, default linux-image-amd64).
#
# The machine's own release's kernel comes through the machine's apt lists;
# the others through private apt lists in CACHE_DIR/apt-CODENAME, on the
# mirrors the machine's apt sources name (tests/lib/vm.sh).
#
# Prints one line per check, "kernel=RELEASE mode=MODE case=CASE PASS|FAIL",
# and ends with the line "N passed, M failed" for all kernels together;
# exits non-zero on any failed check, a guest panic, a timeout, or when a
# kernel cannot be obtained.
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
META=${WD_KERNEL_META:-linux-image-amd64}
read -r -a SUITES <<<"${WD_KERNELS:-bullseye bookworm trixie}"

t_start=$(date +%s.%N)
VM_TAG=kernel-matrix
# shellcheck source=../lib/vm.sh
. "$here/../lib/vm.sh"
ACCEL=${WD_VM_ACCEL:-$WD_TCG_ACCEL}

[[ $EUID -eq 0 ]] || die "run as root (installs packages, builds device nodes)"
[[ -x $WHODUNIT ]] || die "$WHODUNIT not found: run 'make' first"
[[ -x $GT_CLIENT ]] || die "$GT_CLIENT not found: run 'make build/tests/gt_client' first"
mkdir -p "$CACHE_DIR"
CACHE_DIR=$(cd "$CACHE_DIR" && pwd)
WHODUNIT=$(readlink -f "$WHODUNIT")
GT_CLIENT=$(readlink -f "$GT_CLIENT")
RUN_DIR=$CACHE_DIR/run

# ------------------------------------------------------------ host packages
need_packages qemu-system-x86 busybox-static cpio gcc libc6-dev binutils
QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found after installing qemu-system-x86"
BUSYBOX=$(dpkg -L busybox-static 2>/dev/null | sed -n '\|/bin/busybox$|{p;q}')
[[ -x $BUSYBOX ]] || die "busybox-static installed but its /bin/busybox is missing"

is_static() { [[ $(readelf -l "$1" 2>/dev/null) != *"Requesting program interpreter"* ]]; }
for b in "$BUSYBOX" "$WHODUNIT" "$GT_CLIENT"; do
	readelf -h "$b" >/dev/null 2>&1 || die "$b is not an ELF binary"
	is_static "$b" || die "$b is dynamically linked: the initramfs has no libraries"
done

# ----------------------------------------------------------- Debian kernels
((${#SUITES[@]})) || die "WD_KERNELS names no Debian release"
debian_label() {
	case $1 in
	buster) echo "Debian 10" ;;
	bullseye) echo "Debian 11" ;;
	bookworm) echo "Debian 12" ;;
	trixie) echo "Debian 13" ;;
	forky) echo "Debian 14" ;;
	*) echo "Debian" ;;
	esac
}
K_PKG=() K_VER=() K_REL=() K_VMLINUZ=() K_ERR=()
for i in "${!SUITES[@]}"; do
	if fetch_kernel "$CACHE_DIR" "$META" "${SUITES[i]}"; then
		K_PKG[i]=$KPKG K_VER[i]=$KVER K_REL[i]=$KREL K_VMLINUZ[i]=$VMLINUZ K_ERR[i]=""
	else
		K_PKG[i]="" K_VER[i]="" K_REL[i]=${SUITES[i]} K_VMLINUZ[i]="" K_ERR[i]=$KERR
		printf '%s: ERROR: %s\n' "$VM_TAG" "$KERR" >&2
	fi
done

# --------------------------------------------------------------- initramfs
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
say "building guest_check"
gcc -O2 -Wall -Wextra -Werror -std=gnu11 -static -I"$here/../../src" -o "$RUN_DIR/guest_check" \
	"$here/guest_check.c" "$here/guest_lib.c" "$here/../../src/util/json_read.c"

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
# 5.11+ has the helper, and the agent walks task_struct through BTF; older
# kernels get the bpf_probe_read walk (the agent probes the helper itself).
if grep -q ' bpf_get_current_task_btf$' /proc/kallsyms; then
	echo "WDTEST-INFO ancestry-walk btf (bpf_get_current_task_btf present)"
else
	echo "WDTEST-INFO ancestry-walk probe-read (no bpf_get_current_task_btf)"
fi
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

# ------------------------------------------------------------- boot, verdict
total_pass=0
total_fail=0
recap=()

# boot_kernel I: boots kernel I, prints its result lines and adds its counts
# to total_pass/total_fail.
boot_kernel() {
	local i=$1 suite=${SUITES[$1]} krel=${K_REL[$1]} run_dir log qrc t_boot t_end
	local pass=0 fail=0 line name verdict detail done_line dpass dfail guest_kernel auto walk
	local -a tok problems=() summary=()
	local label
	label="$(debian_label "$suite") $suite"
	echo
	if [[ -n ${K_ERR[i]} ]]; then
		echo "== kernel=$krel ($label): not booted"
		echo "kernel=$krel case=harness FAIL ${K_ERR[i]}"
		total_fail=$((total_fail + 1))
		recap+=("kernel=$krel ($label): not booted, ${K_ERR[i]}")
		return
	fi
	run_dir=$RUN_DIR/$suite
	log=$run_dir/console.log
	mkdir -p "$run_dir"
	say "booting ${K_PKG[i]} ${K_VER[i]} ($label) under qemu ($ACCEL, timeout ${TIMEOUT}s); console log $log"
	t_boot=$(date +%s.%N)
	set +e
	boot_vm "$TIMEOUT" "$run_dir" "$log" "WDTEST-INFO init-start" \
		"$QEMU" -accel "$ACCEL" -smp 2 -m 1024 -nographic -no-reboot -nic none \
		-kernel "${K_VMLINUZ[i]}" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 ${WD_VM_APPEND:-}"
	set -e
	t_end=$(date +%s.%N)
	qrc=$(cat "$run_dir/qemu.rc" 2>/dev/null || echo 255)

	while IFS= read -r line; do
		# WDTEST <name tokens...> PASS|FAIL <detail>
		read -r -a tok <<<"$line"
		name=""
		verdict=""
		for ((j = 1; j < ${#tok[@]}; j++)); do
			if [[ ${tok[j]} == PASS || ${tok[j]} == FAIL ]]; then
				verdict=${tok[j]}
				break
			fi
			name+="${name:+ }${tok[j]}"
		done
		[[ -n $verdict ]] || continue
		detail=${tok[*]:j+1}
		if [[ $verdict == PASS ]]; then
			pass=$((pass + 1))
			summary+=("kernel=$krel $name PASS")
		else
			fail=$((fail + 1))
			summary+=("kernel=$krel $name FAIL ${detail:0:400}")
		fi
	done < <(grep -aoE 'WDTEST .*' "$log" || true)

	done_line=$(grep -aoE 'WDTEST-DONE [0-9]+ [0-9]+' "$log" | tail -n1 || true)
	guest_kernel=$(sed -n 's/.*WDTEST-INFO kernel \([^ ]*\).*/\1/p' "$log" | head -n1)
	auto=$(sed -n 's/.*WDTEST-INFO auto-chose //p' "$log" | head -n1)
	walk=$(sed -n 's/.*WDTEST-INFO ancestry-walk \([^ ]*\).*/\1/p' "$log" | head -n1)
	if [[ $qrc == 124 || $qrc == 137 ]]; then
		problems+=("timeout: the guest did not power off within ${TIMEOUT}s (hang)")
	elif [[ $qrc != 0 ]]; then
		problems+=("qemu exited with status $qrc")
	fi
	if grep -aq 'Kernel panic' "$log"; then
		problems+=("guest kernel panic: $(grep -a -m1 'Kernel panic' "$log")")
	fi
	if [[ -z $done_line ]]; then
		problems+=("the guest never reported WDTEST-DONE (guest_check crashed, or the guest died)")
	else
		read -r _ dpass dfail <<<"$done_line"
		if [[ $dpass != "$pass" || $dfail != "$fail" ]]; then
			problems+=("guest counted $dpass passed, $dfail failed but the console shows $pass/$fail (garbled console?)")
		fi
	fi
	if [[ -n $guest_kernel && $guest_kernel != "$krel" ]]; then
		problems+=("the guest runs $guest_kernel, not $krel")
	fi
	if ((pass + fail == 0)); then
		problems+=("no WDTEST result line on the console")
	fi

	echo "== kernel=$krel ($label: ${K_PKG[i]} ${K_VER[i]} via $META)"
	echo "guest kernel: ${guest_kernel:-unknown}; auto chose: ${auto:-unknown}; ancestry walk: ${walk:-unknown}"
	for line in "${summary[@]}"; do
		echo "$line"
	done
	for line in "${problems[@]}"; do
		echo "kernel=$krel case=harness FAIL $line"
		fail=$((fail + 1))
	done
	if [[ -s $run_dir/booted ]]; then
		echo "kernel=$krel: boot to /init $(elapsed "$t_boot" "$(cat "$run_dir/booted")") s; guest checks and poweroff $(elapsed "$(cat "$run_dir/booted")" "$t_end") s; qemu $(elapsed "$t_boot" "$t_end") s"
	else
		echo "kernel=$krel: qemu $(elapsed "$t_boot" "$t_end") s"
	fi
	echo "console log: $log"
	recap+=("kernel=$krel ($label; auto chose ${auto:-unknown}, ancestry walk ${walk:-unknown}): $pass/$((pass + fail)) checks passed")
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
}

for i in "${!SUITES[@]}"; do
	boot_kernel "$i"
done

echo
echo "== whodunit kernel matrix: ${#SUITES[@]} kernels"
for line in "${recap[@]}"; do
	echo "  $line"
done
echo "run.sh total: $(elapsed "$t_start" "$(date +%s.%N)") s"
echo "$total_pass passed, $total_fail failed"
((total_fail == 0))
