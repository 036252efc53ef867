#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs inside the package-test guest (tests/package/run.sh) as a oneshot
# service once multi-user.target is reached: systemd is pid 1, journald and
# rsyslog run, the network is loopback only. Prints one line per check on
# the serial console:
#   WDPKG <check> PASS|FAIL [detail]
#   WDPKG-INFO <text>
#   WDPKG-DONE <passed> <failed>
# and powers the machine off.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export SYSTEMD_PAGER= SYSTEMD_COLORS=0 LC_ALL=C
pass=0
fail=0
ok() { echo "WDPKG $1 PASS ${*:2}"; pass=$((pass + 1)); }
ko() { echo "WDPKG $1 FAIL ${*:2}" | tr '\n' ' '; echo; fail=$((fail + 1)); }
check() { # check NAME DETAIL-ON-FAILURE COMMAND...
	local n=$1 d=$2
	shift 2
	if "$@"; then ok "$n"; else ko "$n" "$d"; fi
}
info() { echo "WDPKG-INFO $*"; }
# wait_for SECONDS COMMAND...: poll every 0.2 s
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS >= end)) && return 1
		sleep 0.2
	done
}
finish() {
	echo "WDPKG-DONE $pass $fail"
	sync
	systemctl poweroff --force --force
	sleep 10
}
trap finish EXIT

info "start uptime $(cut -d' ' -f1 /proc/uptime) s, kernel $(uname -r), $(systemctl --version | head -n1)"
info "pid 1: $(cat /proc/1/comm); rsyslog $(systemctl is-active rsyslog); system $(systemctl is-system-running)"
SIEM_PORT=10514
CONF=/etc/whodunit/whodunit.yaml

# Connect to 127.0.0.1:PORT (nothing listens: refused, still one connect).
connect() { timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; true; }
# Events of the current whodunit run, from the journal, as JSON lines.
events() {
	journalctl -q -o cat -t whodunit _PID="$(systemctl show -P MainPID whodunit)" 2>/dev/null |
		grep '^{' || true
}
has_event() { # has_event PORT [jq condition]
	events | jq -n -e --argjson p "$1" \
		"[inputs | select(.port == \$p and .daddr == \"127.0.0.1\") | ${2:-true}] | any" >/dev/null 2>&1
}

# ---------------------------------------------------------------- install
out=$(dpkg -i /root/whodunit.deb 2>&1)
rc=$?
check install "dpkg -i rc $rc: $out" test $rc -eq 0
dpkg -s whodunit >/dev/null 2>&1 || ko install-status "$(dpkg -s whodunit 2>&1 | head -3)"
v=$(dpkg-query -W -f='${Version}' whodunit)
b=$(/usr/sbin/whodunit --version)
check version "package $v, binary '$b'" test "$b" = "whodunit $v"
check conffile "$(dpkg-query -W -f='${Conffiles}' whodunit)" \
	bash -c "dpkg-query -W -f='\${Conffiles}' whodunit | grep -q '/etc/whodunit/whodunit.yaml'"
check man-page "no whodunit.8.gz" test -s /usr/share/man/man8/whodunit.8.gz
check rsyslog-snippet-inert "snippet missing or active" \
	bash -c 'test -s /etc/rsyslog.d/whodunit-forward.conf.example && ! ls /etc/rsyslog.d/*.conf 2>/dev/null | grep -q whodunit'

# --man=no: the minimal guest has no man-db (the page itself is checked above)
vout=$(systemd-analyze verify --man=no /lib/systemd/system/whodunit.service 2>&1)
check systemd-analyze-verify "$vout" test -z "$vout"
score=$(systemd-analyze security whodunit.service 2>/dev/null | sed -n 's/.*Overall exposure level for whodunit.service: //p')
info "systemd-analyze security whodunit.service: ${score:-unknown}"

# The postinst enabled and started it, on the default config.
check enabled "$(systemctl is-enabled whodunit 2>&1)" test "$(systemctl is-enabled whodunit 2>&1)" = enabled
wait_for 60 bash -c '[ "$(systemctl is-active whodunit)" = active ]'
check started-by-postinst "$(systemctl status whodunit --no-pager 2>&1 | tail -n 8)" \
	test "$(systemctl is-active whodunit)" = active

# ------------------------------------------------ test config: loopback too
cat >"$CONF" <<YAML
# package test: report loopback connects, except rsyslog's own to the SIEM
tcp_connect:
  excludeports: [$SIEM_PORT]
YAML
t0=$(date +%s.%N)
systemctl restart whodunit
rc=$?
t1=$(date +%s.%N)
info "systemctl restart whodunit (until READY=1): $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
st=$(systemctl show whodunit -P ActiveState -P SubState -P Type -P NotifyAccess | tr '\n' ' ')
check start-notify "rc $rc, state $st; $(journalctl -q -u whodunit -n 15 --no-pager | tr '\n' '|')" \
	bash -c "[ $rc -eq 0 ] && [ \"\$(systemctl show whodunit -P ActiveState)\" = active ] && [ \"\$(systemctl show whodunit -P Type)\" = notify ]"
journalctl -q -o cat -t whodunit | grep 'ready:' | tail -n1 | sed 's/^/WDPKG-INFO agent: /'
MAINPID=$(systemctl show -P MainPID whodunit)
uid=$(awk '/^Uid:/{print $2}' /proc/$MAINPID/status 2>/dev/null)
capeff=$(awk '/^CapEff:/{print $2}' /proc/$MAINPID/status 2>/dev/null)
capbnd=$(awk '/^CapBnd:/{print $2}' /proc/$MAINPID/status 2>/dev/null)
# CAP_DAC_READ_SEARCH 2, CAP_SYS_PTRACE 19, CAP_PERFMON 38, CAP_BPF 39
want=$(printf '%016x' $(((1 << 2) | (1 << 19) | (1 << 38) | (1 << 39))))
info "agent pid $MAINPID uid $uid CapEff $capeff CapBnd $capbnd (want $want)"
check unprivileged "uid $uid CapEff $capeff CapBnd $capbnd want $want" \
	test -n "$uid" -a "$uid" != 0 -a "$capeff" = "$want" -a "$capbnd" = "$want"

# ---------------------------------------------- a connect reaches syslog
connect 40001
check event-journal "no event for port 40001 in the journal: $(events | tail -n 2)" \
	wait_for 10 has_event 40001 '.proctree[0].cmdline != "" and .pid > 0 and .seq >= 1'
ev=$(events | jq -c 'select(.port == 40001)' | head -n1)
info "event: ${ev:0:700}"
# Another user's process started before the agent: its exe must be known
# (CAP_SYS_PTRACE): pid 1's exe is /usr/lib/systemd/systemd.
check event-ancestry-exe "pid 1 node: $(echo "$ev" | jq -c '.proctree[-1]')" \
	bash -c "echo '$ev' | jq -e '.proctree[-1].pid == 1 and (.proctree[-1].exe | test(\"systemd\"))' >/dev/null"
check event-rsyslog "no port 40001 event in /var/log/syslog: $(tail -n 3 /var/log/syslog 2>&1)" \
	wait_for 10 bash -c "grep ' whodunit\[[0-9]*\]: {' /var/log/syslog | sed 's/^.* whodunit\[[0-9]*\]: //' | jq -n -e '[inputs | select(.port == 40001)] | length > 0' >/dev/null 2>&1"

# ------------------------------- a container: podman, crun, pure cgroup v2
# An image from a tarball holding the static test client (no registry);
# gt_client connects to the container's own loopback (refused) and waits on
# its stdin, held open here, so the container lives while it is checked.
# This guest's root is the initramfs, which pivot_root(2) cannot leave:
# the runtime chroots instead (containers.conf no_pivot_root).
ctr_port=40201
P=(podman --storage-driver vfs)
printf '[engine]\nno_pivot_root = true\n' >/etc/containers/containers.conf
mkdir -p /root/img/bin && cp /usr/local/bin/gt_client /root/img/bin/gt_client
t0=$SECONDS
img_out=$(tar -C /root/img -c . | "${P[@]}" import - localhost/wd-test:1 2>&1)
rm -f /root/ctr.in && mkfifo /root/ctr.in
"${P[@]}" run -i --network none --name wd-blue --label team=blue localhost/wd-test:1 \
	/bin/gt_client 127.0.0.1 $ctr_port </root/ctr.in >/root/ctr.out 2>&1 &
exec 7>/root/ctr.in
wait_for 60 bash -c 'grep -q "\"pid\"" /root/ctr.out'
cid=$("${P[@]}" inspect --format '{{.Id}}' wd-blue 2>/dev/null)
cpid=$("${P[@]}" inspect --format '{{.State.Pid}}' wd-blue 2>/dev/null)
info "podman $(podman --version | awk '{print $3}'), runtime $("${P[@]}" info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null), cgroups $("${P[@]}" info --format '{{.Host.CgroupsVersion}}/{{.Host.CgroupManager}}' 2>/dev/null); image and run ready in $((SECONDS - t0)) s; container $cid pid $cpid, cgroup $(cat /proc/$cpid/cgroup 2>/dev/null); client: $(head -c 300 /root/ctr.out)"
want=".pid == ${cpid:-0} and .container.id == \"$cid\" and .container.name == \"wd-blue\" and .container.runtime == \"podman\" and .container.labels.team == \"blue\" and (.container.image | test(\"wd-test\"))"
check container-event "import: ${img_out:0:200}; events for port $ctr_port: $(events | jq -c "select(.port == $ctr_port) | {pid, container}" | head -n 3 | tr '\n' ' ')" \
	wait_for 20 has_event $ctr_port "$want"
info "container event: $(events | jq -c "select(.port == $ctr_port) | {pid, container}" | head -n 1 | head -c 600)"
check container-host-none "a host process's event has a container" \
	has_event 40001 '(has("container") | not)'
exec 7>&-
wait
"${P[@]}" rm -f wd-blue >/dev/null 2>&1

# -------------------------------------- every attach variant in the sandbox
# Debian's kernel defaults to kernel.perf_event_paranoid=3, where (Debian
# patch) perf_event_open needs CAP_SYS_ADMIN: kprobe and tracepoint attach
# through perf events, fentry and raw tracepoints do not. So: fentry under
# the default, kprobe and tracepoint with paranoid=2 (documented in
# deb/README.md), and record what paranoid=3 does to them.
paranoid0=$(cat /proc/sys/kernel/perf_event_paranoid)
info "kernel.perf_event_paranoid=$paranoid0"
variant() { # variant MODE PORT
	mkdir -p /run/systemd/system/whodunit.service.d
	printf '[Service]\nExecStart=\nExecStart=/usr/sbin/whodunit -c %s --variant %s\n' "$CONF" "$1" \
		>/run/systemd/system/whodunit.service.d/mode.conf
	systemctl daemon-reload
	systemctl restart whodunit 2>/dev/null
	connect "$2"
	wait_for 10 has_event "$2" ".hook == \"$1\""
}
variant fentry 40101
check variant-fentry "$(systemctl is-active whodunit); $(journalctl -q -u whodunit -n 4 --no-pager | tr '\n' '|')" has_event 40101 '.hook == "fentry"'
for mode in kprobe tracepoint; do
	if variant $mode 40102; then r=works; else r="fails: $(journalctl -q -o cat -u whodunit -n 8 --no-pager | grep -m1 'error:')"; fi
	info "paranoid=$paranoid0, variant $mode under the unit: $r"
done
echo 2 >/proc/sys/kernel/perf_event_paranoid
port=40110
for mode in kprobe tracepoint; do
	port=$((port + 1))
	variant $mode $port
	check "variant-$mode-paranoid2" "$(systemctl is-active whodunit); $(journalctl -q -u whodunit -n 6 --no-pager | tr '\n' '|')" \
		has_event $port ".hook == \"$mode\""
done
echo "$paranoid0" >/proc/sys/kernel/perf_event_paranoid
rm -rf /run/systemd/system/whodunit.service.d
systemctl daemon-reload
systemctl restart whodunit

# -------------------------------------------- stop: every program detached
# The agent's programs and links, from its file descriptors (/proc/PID/fdinfo).
apid=$(systemctl show -P MainPID whodunit)
ids=$(cat /proc/$apid/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -un | tr '\n' ' ')
info "BPF programs of the running agent: ${ids:-none}"
check bpf-loaded "no BPF program owned by the agent" test -n "$ids"
systemctl stop whodunit
left=""
for id in $ids; do
	bpftool prog show id "$id" >/dev/null 2>&1 && left+="$id "
done
tracing=$(bpftool -j prog show | jq -r '.[] | select(.type | test("tracing|kprobe|tracepoint|raw_tracepoint")) | "\(.id):\(.type):\(.name // "")"' | tr '\n' ' ')
check stop-detaches "still loaded: ${left}; tracing programs: $tracing; $(systemctl is-active whodunit)" \
	test -z "$left" -a -z "$tracing" -a "$(systemctl is-active whodunit)" = inactive

# ------------------------------------------ broken config: 78, no restarts
cp "$CONF" /root/good.yaml
printf 'tcp_connect:\n  filters:\n    - network: 10.0.0.0\n      network_mask: 255.0.255.0\n' >"$CONF"
systemctl reset-failed whodunit 2>/dev/null
since=$(date '+%Y-%m-%d %H:%M:%S')
systemctl start whodunit
rc=$?
sleep 12 # RestartSec=5s: a restart loop would have restarted twice by now
res=$(systemctl show whodunit -P ActiveState -P Result -P NRestarts -P ExecMainStatus | tr '\n' ' ')
pre=$(systemctl status whodunit --no-pager 2>&1 | grep -E 'ExecStartPre|Process:' | tr '\n' ' ')
info "broken config: start rc $rc; ActiveState Result NRestarts ExecMainStatus: $res; $pre"
check bad-config-fails "rc $rc; $res; $pre" \
	bash -c "[ \"\$(systemctl show whodunit -P ActiveState)\" = failed ]"
check bad-config-status-78 "ExecMainStatus $(systemctl show whodunit -P ExecMainStatus); $pre; $(journalctl -q -u whodunit -n 20 --no-pager | tr '\n' '|')" \
	bash -c "[ \"\$(systemctl show whodunit -P ExecMainStatus)\" = 78 ]"
check bad-config-no-restart "NRestarts $(systemctl show whodunit -P NRestarts); $(journalctl -q -u whodunit --since "$since" --no-pager | grep -c 'Scheduled restart') scheduled restarts" \
	bash -c "[ \"\$(systemctl show whodunit -P NRestarts)\" = 0 ] && ! journalctl -q -u whodunit --since '$since' --no-pager | grep -q 'Scheduled restart'"
cp /root/good.yaml "$CONF"
systemctl reset-failed whodunit
systemctl start whodunit
check restart-good-config "$(systemctl is-active whodunit)" test "$(systemctl is-active whodunit)" = active

# ----------------------------------------------- reload and watchdog
pid0=$(systemctl show whodunit -P MainPID)
reloaded() { journalctl -q -u whodunit --no-pager | grep -q "$1"; }
systemctl reload whodunit
wait_for 10 reloaded 'reload (SIGHUP) in '
check reload-applied "MainPID $pid0 -> $(systemctl show whodunit -P MainPID); $(journalctl -q -u whodunit -n 4 --no-pager | tr '\n' '|')" \
	bash -c "$(declare -f reloaded); reloaded 'reload (SIGHUP) in ' && [ \"\$(systemctl show whodunit -P MainPID)\" = $pid0 ]"
printf 'tcp_connect:\n  bogus_key: 1\n' >"$CONF"
systemctl reload whodunit
wait_for 10 reloaded 'refused, the running configuration stays'
check reload-bad-config-kept "$(systemctl is-active whodunit), MainPID $(systemctl show whodunit -P MainPID); $(journalctl -q -u whodunit -n 4 --no-pager | tr '\n' '|')" \
	bash -c "$(declare -f reloaded); reloaded 'whodunit.yaml:2:3: unknown key' && [ \"\$(systemctl show whodunit -P MainPID)\" = $pid0 ]"
cp /root/good.yaml "$CONF"
# The loop pings every WatchdogSec/2: the timestamp systemd keeps moves on.
w0=$(systemctl show whodunit -P WatchdogTimestampMonotonic)
wait_for 20 bash -c "[ \"\$(systemctl show whodunit -P WatchdogTimestampMonotonic)\" != '$w0' ]"
check watchdog-pings "WatchdogUSec $(systemctl show whodunit -P WatchdogUSec), timestamp $w0 -> $(systemctl show whodunit -P WatchdogTimestampMonotonic)" \
	bash -c "[ \"\$(systemctl show whodunit -P WatchdogUSec)\" = 30s ] && [ \"\$(systemctl show whodunit -P WatchdogTimestampMonotonic)\" != '$w0' ] && [ \"\$(systemctl is-active whodunit)\" = active ]"

# A burst through the real path: whodunit -> /dev/log (journald) -> rsyslog's
# /var/log/syslog. Every connect is there, or counted in a lost record.
syslog_port() { # the events (and lost counts) in /var/log/syslog for port $1
	grep ' whodunit\[[0-9]*\]: {' /var/log/syslog | sed 's/^.* whodunit\[[0-9]*\]: //' |
		jq -n --argjson p "$1" '[inputs | select(.port == $p or .event == "lost")] |
			(map(select(.port == $p)) | length) + (map(.count // 0) | add // 0)'
}
burst=200
for i in $(seq $burst); do connect 43001 & ((i % 20)) || wait; done
wait
wait_for 30 bash -c "$(declare -f syslog_port); [ \"\$(syslog_port 43001)\" -ge $burst ]"
check burst-journald-rsyslog "$(syslog_port 43001) of $burst connects in /var/log/syslog (events + lost counts)" \
	test "$(syslog_port 43001)" -eq $burst

# ----------------------------------------------- forwarding to the "SIEM"
mkdir -p /etc/siem /var/spool/siem /var/log/siem
cat >/etc/siem/rsyslog.conf <<CONF
# A second rsyslog acting as the SIEM: TCP on loopback, octet-counted
# framing accepted by imtcp; writes each message's MSG part, one a line.
global(workDirectory="/var/spool/siem")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$SIEM_PORT")
template(name="msgonly" type="string" string="%msg%\n")
action(type="omfile" file="/var/log/siem/events.log" template="msgonly")
template(name="arrival" type="string" string="%timegenerated:::date-rfc3339% %hostname% %app-name% %procid% %msg:1:60%\n")
action(type="omfile" file="/var/log/siem/arrival.log" template="arrival")
CONF
siem_start() {
	systemd-run -q --unit=siem --collect /usr/sbin/rsyslogd -n -f /etc/siem/rsyslog.conf -i /run/siem.pid
	wait_for 10 bash -c "ss -Hltn 'sport = :$SIEM_PORT' | grep -q ."
}
siem_start
check siem-listens "$(systemctl status siem --no-pager 2>&1 | tail -5)" \
	bash -c "ss -Hltn 'sport = :$SIEM_PORT' | grep -q ."
sed -e "s/target=\"siem.example.invalid\"/target=\"127.0.0.1\"/" -e "s/port=\"6514\"/port=\"$SIEM_PORT\"/" \
	/etc/rsyslog.d/whodunit-forward.conf.example >/etc/rsyslog.d/60-whodunit-forward.conf
nout=$(rsyslogd -N1 2>&1)
check forward-config-valid "$nout" rsyslogd -N1
systemctl restart rsyslog
check rsyslog-restart "$(systemctl status rsyslog --no-pager | tail -5)" test "$(systemctl is-active rsyslog)" = active
# restart whodunit too: its seq counts from 1 again, every event must arrive
systemctl restart whodunit
siem_has() { # siem_has PORT
	# not `jq -e select(...)`: jq 1.6's -e looks at the last input only
	jq -n -e --argjson p "$1" '[inputs | select(.port == $p)] | length > 0' \
		/var/log/siem/events.log >/dev/null 2>&1
}
for p in 41001 41002 41003; do connect $p; done
check forward-live "events in SIEM: $(wc -l </var/log/siem/events.log 2>&1); $(tail -c 600 /var/log/siem/events.log 2>&1)" \
	wait_for 30 bash -c "$(declare -f siem_has); siem_has 41001 && siem_has 41002 && siem_has 41003"
check forward-json-intact "not all SIEM lines are JSON objects: $(grep -v '^{' /var/log/siem/events.log | head -c 400)" \
	bash -c "jq -e -s 'length > 0 and all(type == \"object\")' /var/log/siem/events.log >/dev/null && ! grep -qv '^{' /var/log/siem/events.log"
# The JSON the SIEM got is byte for byte what whodunit wrote.
local_ev=$(events | grep '"port":41002,' | head -n1)
siem_ev=$(grep '"port":41002,' /var/log/siem/events.log | head -n1)
check forward-json-identical "journal: ${local_ev:0:300} SIEM: ${siem_ev:0:300}" \
	test -n "$local_ev" -a "$local_ev" = "$siem_ev"
check forward-only-events "non-event lines in SIEM: $(grep -c 'ready:' /var/log/siem/events.log)" \
	bash -c "! grep -q 'ready:' /var/log/siem/events.log"

# outage: stop the SIEM, make connects, start it again: all must arrive
systemctl stop siem
wait_for 10 bash -c "! ss -Hltn 'sport = :$SIEM_PORT' | grep -q ."
for p in $(seq 42001 42010); do connect $p; done
wait_for 10 has_event 42010
sleep 2
siem_start
t0=$SECONDS
missing() {
	local m=""
	for p in $(seq 42001 42010); do siem_has $p || m+="$p "; done
	echo "$m"
}
wait_for 90 bash -c "$(declare -f siem_has missing); [ -z \"\$(missing)\" ]"
m=$(missing)
info "after the outage, the queued events arrived within $((SECONDS - t0)) s (missing: ${m:-none})"
check forward-outage-no-loss "missing ports: $m; SIEM has $(wc -l </var/log/siem/events.log) lines" test -z "$m"
# seq: every event of this whodunit run, 1..N, reached the SIEM once.
nlocal=$(events | jq -s 'map(.seq) | max')
# (the SIEM may also hold the end of an earlier run's stream: its stop
# record, queued while the SIEM was down; this run's start record opens it)
t0=$(events | jq -r -s 'map(select(.seq == 1)) | .[0].timestamp')
seqs=$(jq -s -c --arg t0 "$t0" '[.[] | select(.timestamp >= $t0) | .seq] | sort' \
	/var/log/siem/events.log)
info "SIEM seqs $seqs, local max seq $nlocal"
check forward-seq-complete "local max seq $nlocal, SIEM seqs $seqs" \
	bash -c "echo '$seqs' | jq -e --argjson n '$nlocal' '. == [range(1; \$n + 1)]' >/dev/null"

if ((fail)); then # diagnostics for a failed run
	journalctl -q --no-pager -o short-monotonic -u rsyslog -u siem -n 40 | sed 's/^/WDPKG-DIAG /'
	sed 's/^/WDPKG-DIAG siem: /' /var/log/siem/arrival.log
	ls -la /var/spool/rsyslog | sed 's/^/WDPKG-DIAG spool: /'
fi
systemctl stop whodunit siem
exit 0
