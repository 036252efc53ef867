# shellcheck shell=bash
# Shared by tests/kernel/run.sh and tests/package/run.sh: host packages,
# the Debian mirror the machine's apt sources name, Debian's stock kernels
# (of the machine's release and of others, through private apt lists), and
# booting a guest under qemu with its serial console captured. Source it
# after setting VM_TAG (the message prefix).

# qemu's TCG with one thread for all vCPUs. With a thread per vCPU a guest
# vCPU can still run code another vCPU has just re-patched (the kernel's
# int3-based text poking, which every tracepoint attach and detach does):
# a guest 6.12 once died of "Oops: int3" in syscall_trace_enter. One
# thread costs these guests no measurable time (matrix 75 s either way).
WD_TCG_ACCEL=tcg,thread=single

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

# ------------------------------------------------------------ apt sources
# The machine's own apt configuration names the Debian archive; nothing here
# names a host. WD_APT_ETC (default /etc/apt) is for testing the parser.

# apt_sources: "URI SUITE" for every enabled `deb` entry of sources.list and
# sources.list.d/*.list (one-line style) and sources.list.d/*.sources (deb822).
apt_sources() {
	local etc=${WD_APT_ETC:-/etc/apt} f files=()
	[[ -f $etc/sources.list ]] && files+=("$etc/sources.list")
	for f in "$etc"/sources.list.d/*.list "$etc"/sources.list.d/*.sources; do
		[[ -f $f ]] && files+=("$f")
	done
	((${#files[@]})) || return 0
	awk '
	function flush(   i, j, n, nu, ns, ts, us, ss, deb) {
		if (uris != "" && suites != "" && enabled != "no") {
			n = split(types, ts, /[ \t]+/)
			for (i = 1; i <= n; i++) if (ts[i] == "deb") deb = 1
			nu = split(uris, us, /[ \t]+/)
			ns = split(suites, ss, /[ \t]+/)
			for (i = 1; deb && i <= nu; i++)
				for (j = 1; j <= ns; j++)
					if (us[i] != "" && ss[j] != "") print us[i], ss[j]
		}
		types = uris = suites = enabled = key = ""
	}
	FNR == 1 { flush() }
	FILENAME ~ /\.sources$/ {
		if ($0 ~ /^[ \t]*#/) next
		if ($0 ~ /^[ \t]*$/) { flush(); next }
		if ($0 ~ /^[ \t]/) { # a continuation line
			if (key == "uris") uris = uris " " $0
			else if (key == "suites") suites = suites " " $0
			else if (key == "types") types = types " " $0
			next
		}
		key = tolower($0); sub(/:.*/, "", key)
		v = $0; sub(/^[^:]*:[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
		if (key == "types") types = v
		else if (key == "uris") uris = v
		else if (key == "suites") suites = v
		else if (key == "enabled") enabled = tolower(v)
		next
	}
	{
		sub(/#.*/, "")
		if ($1 != "deb") next
		i = 2
		if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
		if (i < NF) print $i, $(i + 1)
	}
	END { flush() }' "${files[@]}"
}

host_codename() { sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null | tr -d '"' | head -n1; }

# debian_mirror [security]: the URI (no trailing slash) of the Debian archive
# the machine's apt sources use for its own release (or of its security
# archive): the entry for suite CODENAME (CODENAME-security), else the first
# entry of a suite that is not (is) a -security one.
debian_mirror() {
	local want sec=0
	want=$(host_codename)
	[[ ${1:-} == security ]] && sec=1 && want+=-security
	apt_sources | awk -v want="$want" -v sec="$sec" '
		{ sub(/\/+$/, "", $1) }
		$2 == want { exact = $1; exit }
		fallback == "" && (($2 ~ /-security$/) == (sec == 1)) && $2 !~ /-(updates|backports|proposed-updates)$/ { fallback = $1 }
		END { print (exact != "" ? exact : fallback) }'
}

# suite_apt DIR SUITE: a private apt setup, under DIR/apt-SUITE, for another
# Debian release (SUITE, SUITE-updates, SUITE-security, main) on the mirrors
# the machine's sources name. The machine's own sources, lists and caches are
# not touched. Sets SUITE_APT to the options for apt-get/apt-cache; returns 1
# with KERR set when the machine's sources name no Debian archive.
suite_apt() {
	local dir=$1/apt-$2 suite=$2 mirror sec opt="" keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	mirror=$(debian_mirror)
	sec=$(debian_mirror security)
	if [[ -z $mirror ]]; then
		KERR="the machine's apt sources (${WD_APT_ETC:-/etc/apt}/sources.list, sources.list.d/) name no Debian archive for $(host_codename): cannot fetch $suite's kernel"
		return 1
	fi
	[[ -s $keyring ]] && opt="[signed-by=$keyring] "
	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	{
		printf 'deb %s%s %s main\n' "$opt" "$mirror" "$suite"
		printf 'deb %s%s %s main\n' "$opt" "$mirror" "$suite-updates"
		[[ -z $sec ]] || printf 'deb %s%s %s main\n' "$opt" "$sec" "$suite-security"
	} >"$dir/sources.list.new"
	# New mirrors (or a first run): forget lists read from the old ones.
	if ! cmp -s "$dir/sources.list.new" "$dir/sources.list"; then
		rm -rf "$dir/lists"
		mkdir -p "$dir/lists/partial"
		mv "$dir/sources.list.new" "$dir/sources.list"
	else
		rm -f "$dir/sources.list.new"
	fi
	SUITE_APT=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::archives=$dir/archives"
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o Acquire::Languages=none)
}

# ------------------------------------------------------------ Debian kernel
declare -A apt_updated_for=()
# apt_update_for TAG APT_OPTS...: one `apt-get update` per run and TAG ("" =
# the machine's own sources, as apt_update_once).
apt_update_for() {
	local tag=$1
	shift
	if [[ -z $tag ]]; then
		apt_update_once
	elif [[ -z ${apt_updated_for[$tag]:-} ]]; then
		say "apt-get update ($tag, private lists)"
		apt-get -qq "$@" update >&2 || say "apt-get update for $tag failed (continuing)"
		apt_updated_for[$tag]=1
	fi
}

kernel_pkg() {
	local meta=$1
	shift
	{ apt-cache "$@" depends "$meta" 2>/dev/null || true; } |
		sed -nE '/^ *\|?Depends: linux-image-[^ ]+-amd64$/{s/^.*Depends: //p;q}'
}
kver_of() {
	local pkg=$1
	shift
	{ apt-cache "$@" show --no-all-versions "$pkg" 2>/dev/null || true; } | sed -n '/^Version: /{s///p;q}'
}

# fetch_kernel DIR META [SUITE]: the kernel image of the package META (e.g.
# linux-image-amd64) depends on, cached in DIR. Without SUITE (or with the
# machine's own release) the machine's apt lists are used; another Debian
# release (bullseye, trixie, ...) is read through suite_apt's private lists.
# Sets KPKG, KVER, VMLINUZ, KCONFIG (the kernel's config, when the package
# has one) and KREL (the kernel release, uname -r). Returns 1 with KERR set
# when the kernel cannot be obtained. The modules are not kept: the guests
# boot from an initramfs that needs none.
fetch_kernel() {
	local dir=$1 meta=$2 suite=${3:-} deb x vz tag="" where="the machine's apt sources"
	local -a apt=()
	KPKG="" KVER="" VMLINUZ="" KCONFIG="" KREL="" KERR=""
	if [[ -n $suite && $suite != "$(host_codename)" ]]; then
		suite_apt "$dir" "$suite" || return 1
		apt=("${SUITE_APT[@]}")
		tag=$suite
		where="private apt lists for $suite in $dir/apt-$suite"
		# First use: no lists yet.
		compgen -G "$dir/apt-$suite/lists/*_Packages*" >/dev/null || apt_update_for "$tag" "${apt[@]}"
	fi
	KPKG=$(kernel_pkg "$meta" "${apt[@]}")
	if [[ -z $KPKG ]]; then
		apt_update_for "$tag" "${apt[@]}"
		KPKG=$(kernel_pkg "$meta" "${apt[@]}")
	fi
	if [[ -z $KPKG ]]; then
		KERR="apt-cache depends $meta (${suite:-$(host_codename)}, $where) names no linux-image-*-amd64 package: cannot obtain Debian's kernel (is the Debian archive reachable and listed in apt sources?)"
		return 1
	fi
	KVER=$(kver_of "$KPKG" "${apt[@]}")
	if [[ -z $KVER ]]; then
		KERR="apt-cache show $KPKG: no version: cannot obtain Debian's kernel"
		return 1
	fi
	KREL=${KPKG#linux-image-}
	deb=$dir/${KPKG}_${KVER//:/%3a}_amd64.deb
	VMLINUZ=${deb%.deb}.vmlinuz
	KCONFIG=${deb%.deb}.config
	if [[ -s $VMLINUZ ]]; then
		say "kernel package $KPKG $KVER (cached: $VMLINUZ)"
		return 0
	fi
	rm -f "$deb"
	say "downloading $KPKG $KVER (what $meta of ${suite:-$(host_codename)} depends on)"
	if ! (cd "$dir" && apt-get "${apt[@]}" download "$KPKG=$KVER" >&2); then
		# Stale lists: the archive moved on. Read them again, once.
		apt_update_for "$tag" "${apt[@]}"
		KPKG=$(kernel_pkg "$meta" "${apt[@]}")
		KVER=$(kver_of "$KPKG" "${apt[@]}")
		KREL=${KPKG#linux-image-}
		deb=$dir/${KPKG}_${KVER//:/%3a}_amd64.deb
		VMLINUZ=${deb%.deb}.vmlinuz
		KCONFIG=${deb%.deb}.config
		[[ -s $VMLINUZ ]] && return 0
		if [[ -z $KPKG || -z $KVER ]] || ! (cd "$dir" && apt-get "${apt[@]}" download "$KPKG=$KVER" >&2); then
			KERR="apt-get download ${KPKG:-?}=${KVER:-?} failed ($where): cannot obtain Debian's kernel (only Debian's package archive is a source)"
			return 1
		fi
	fi
	if [[ ! -s $deb ]]; then
		KERR="apt-get download $KPKG succeeded but $deb is missing"
		return 1
	fi
	x=$(mktemp -d "$dir/extract.XXXXXX")
	if ! dpkg-deb -x "$deb" "$x"; then
		rm -rf "$x"
		KERR="dpkg-deb -x $deb failed"
		return 1
	fi
	vz=$(find "$x/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
	if [[ -z $vz ]]; then
		rm -rf "$x"
		KERR="$deb holds no /boot/vmlinuz-*"
		return 1
	fi
	cp "$x"/boot/config-* "$KCONFIG" 2>/dev/null || true
	cp "$vz" "$VMLINUZ.tmp" && mv "$VMLINUZ.tmp" "$VMLINUZ"
	rm -rf "$x" "$deb" # the modules: ~400 MB
	[[ -s $VMLINUZ ]] || { KERR="cannot write $VMLINUZ"; return 1; }
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
