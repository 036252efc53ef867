# shellcheck shell=bash
# Shared by tests/kernel/run.sh and tests/package/run.sh: host packages,
# Debian's stock kernel, and booting a guest under qemu with its serial
# console captured. Source it after setting VM_TAG (the message prefix).

say() { printf '%s: %s\n' "$VM_TAG" "$*"; }
die() {
	printf '%s: ERROR: %s\n' "$VM_TAG" "$*" >&2
	printf '0 passed, 1 failed\n'
	exit 1
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

apt_updated=0
apt_update_once() {
	if [[ $apt_updated -eq 0 ]]; then
		say "apt-get update"
		apt-get update -qq >&2 || say "apt-get update failed (continuing)"
		apt_updated=1
	fi
}
installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

# need_packages PKG...: install the missing ones (Debian's archive only).
need_packages() {
	local need=() p
	for p in "$@"; do
		installed "$p" || need+=("$p")
	done
	((${#need[@]})) || return 0
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >&2; then
		apt_update_once
		apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 ||
			die "cannot install ${need[*]} with apt-get"
	fi
}

kernel_pkg() {
	{ apt-cache depends "$1" 2>/dev/null || true; } |
		sed -nE '/^ *\|?Depends: linux-image-[^ ]+-amd64$/{s/^.*Depends: //p;q}'
}
kver_of() { { apt-cache show --no-all-versions "$1" 2>/dev/null || true; } | sed -n '/^Version: /{s///p;q}'; }

# fetch_kernel DIR META: the kernel image of the package META (e.g.
# linux-image-amd64) depends on, cached in DIR. Sets KPKG, KVER, VMLINUZ and
# KCONFIG (the kernel's config, when the package has one). The modules are
# not kept: the guests boot from an initramfs that needs none.
fetch_kernel() {
	local dir=$1 meta=$2 deb x vz
	KPKG=$(kernel_pkg "$meta")
	if [[ -z $KPKG ]]; then
		apt_update_once
		KPKG=$(kernel_pkg "$meta")
	fi
	[[ -n $KPKG ]] || die "apt-cache depends $meta names no linux-image-*-amd64 package: cannot obtain Debian's kernel (is the Debian archive reachable and listed in apt sources?)"
	KVER=$(kver_of "$KPKG")
	[[ -n $KVER ]] || die "apt-cache show $KPKG: no version: cannot obtain Debian's kernel"
	deb=$dir/${KPKG}_${KVER//:/%3a}_amd64.deb
	VMLINUZ=${deb%.deb}.vmlinuz
	KCONFIG=${deb%.deb}.config
	if [[ -s $VMLINUZ ]]; then
		say "kernel package $KPKG $KVER (cached: $VMLINUZ)"
		return
	fi
	rm -f "$deb"
	say "downloading $KPKG $KVER (what $meta depends on)"
	if ! (cd "$dir" && apt-get download "$KPKG=$KVER" >&2); then
		apt_update_once
		(cd "$dir" && apt-get download "$KPKG=$KVER" >&2) ||
			die "apt-get download $KPKG=$KVER failed: cannot obtain Debian's kernel (only Debian's package archive is a source)"
	fi
	[[ -s $deb ]] || die "apt-get download $KPKG succeeded but $deb is missing"
	x=$(mktemp -d "$dir/extract.XXXXXX")
	dpkg-deb -x "$deb" "$x" || { rm -rf "$x"; die "dpkg-deb -x $deb failed"; }
	vz=$(find "$x/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
	[[ -n $vz ]] || { rm -rf "$x"; die "$deb holds no /boot/vmlinuz-*"; }
	cp "$x"/boot/config-* "$KCONFIG" 2>/dev/null || true
	cp "$vz" "$VMLINUZ.tmp" && mv "$VMLINUZ.tmp" "$VMLINUZ"
	rm -rf "$x" "$deb" # the modules: ~400 MB
}

# boot_vm TIMEOUT RUN_DIR LOG MARKER QEMU_ARGS...: run qemu with a hard
# timeout; the serial console goes, cleaned of terminal escapes and CRs
# (firmware writes them and they would glue to the next line), to LOG and,
# unless WD_VM_QUIET=1, to stdout. The first console line holding MARKER
# writes the time to RUN_DIR/booted; qemu's exit status lands in
# RUN_DIR/qemu.rc (124: timeout). The raw console is kept in console.raw.
boot_vm() {
	local timeout=$1 run_dir=$2 log=$3 marker=$4 line
	shift 4
	: >"$log"
	{
		timeout -k 10 "$timeout" "$@" </dev/null 2>&1
		echo "$?" >"$run_dir/qemu.rc"
	} | tee "$run_dir/console.raw" |
		sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[A-Za-z]//g' |
		while IFS= read -r line || [[ -n $line ]]; do
			printf '%s\n' "$line" >>"$log"
			if [[ $line == *"$marker"* && ! -e $run_dir/booted ]]; then
				date +%s.%N >"$run_dir/booted"
			fi
			[[ ${WD_VM_QUIET:-0} == 1 ]] || printf '  | %s\n' "$line"
		done
}
