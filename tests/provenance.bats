#!/usr/bin/env bats
# memlock doctor: where a limit came from.  Real processes, real limits,
# real cgroups; the managers, runtimes and logins are stand-ins: a script
# named like one (its comm is the script's name) that starts the process.
# Whatever the origin, nothing here runs docker, so no output may name it.

load test_helper

M8=8388608

setup() {
	D=$BATS_TEST_TMPDIR
	chmod 755 "$D"
}

teardown() {
	stop_helpers
	[ -z "${DROPIN:-}" ] || rm -rf "$DROPIN"
	[ -z "${LIMITS_FILE:-}" ] || rm -f "$LIMITS_FILE"
	if [ -n "${CG:-}" ]; then
		local d=$CG
		while [ "$d" != "$CG_TOP" ] && [ "$d" != / ]; do
			rmdir "$d" 2>/dev/null || true
			d=$(dirname "$d")
		done
		rmdir "$CG_TOP" 2>/dev/null || true
	fi
}

# A stand-in parent named $1: runs the rest of the line, waits for it.
fake_parent() {
	local name=$1
	printf '#!/bin/bash\n"$@" &\nwait\n' >"$D/$name"
	chmod 755 "$D/$name"
	echo "$D/$name"
}

# A cgroup under the hierarchy systemd names units in (v1: name=systemd;
# v2: the unified one), at the path $1 below a directory of this test's.
make_unit_cgroup() {
	local base
	if [ -d /sys/fs/cgroup/systemd ]; then
		base=/sys/fs/cgroup/systemd
	elif [ -f /sys/fs/cgroup/cgroup.procs ]; then
		base=/sys/fs/cgroup
	else
		skip "no cgroup hierarchy that names units"
	fi
	CG_TOP=$base/memlock-test-$$
	CG=$CG_TOP/$1
	mkdir -p "$CG" 2>/dev/null || skip "cannot make cgroup $CG"
}

doctor_json() {
	"$MEMLOCK" doctor -J "$@"
}

@test "provenance: a wrapper at exec (prlimit) is where the limit changed, 'at exec or later'" {
	start_helper prlimit --memlock=65536:65536 "${NOBODY[@]}" "$(helper)" --usr1 mlock:1048576
	run -1 memlock doctor -p "$HELPER_PID" 1M
	refute_output --partial docker
	assert_output --regexp "\* pid $HELPER_PID +lock-helper +soft 64K +hard 64K"
	assert_output --partial "origin: wrapper"
	assert_output --partial "evidence: pid $HELPER_PID (lock-helper) has soft 64K, hard 64K; its parent pid $$ (bash) has soft 8M, hard 8M: the limit changed at pid $HELPER_PID"
	assert_output --partial "set at its exec (prlimit, setpriv, its own setrlimit) or later (\`prlimit --pid\`)"
	assert_output --partial "  1. the limit was set at the exec of pid $HELPER_PID (lock-helper) or later: start it without the wrapper"
	# The chain in JSON: PID 1 first, the target last, one change.
	run -1 doctor_json -p "$HELPER_PID" 1M
	run jq -c '[.provenance.origin, .provenance.set_at_pid, (.chain|first|.pid), (.chain|last|.pid), ([.chain[]|select(.changed)]|last|.pid)]' <<<"$output"
	assert_output "[\"wrapper\",$HELPER_PID,1,$HELPER_PID,$HELPER_PID]"
}

@test "provenance: a shell's ulimit -l is found in the shell, and fixing it there works" {
	start_helper "${NOBODY[@]}" bash -c 'ulimit -S -l 64; "$1" --usr1 mlock:1048576 & wait' _ "$(helper)"
	local sh
	sh=$(awk '/^PPid:/ { print $2 }' "/proc/$HELPER_PID/status")
	run -1 memlock doctor -p "$HELPER_PID" 1M
	refute_output --partial docker
	assert_output --partial "origin: shell"
	assert_output --regexp "\* pid $sh +bash +soft 64K +hard 8M"
	assert_output --partial "pid $sh (bash) is a shell: a \`ulimit -l\` in it"
	# The helper itself did not change it: it inherited.
	run -1 doctor_json -p "$HELPER_PID" 1M
	run jq -r '.provenance.set_at_pid' <<<"$output"
	assert_output "$sh"
	# The first remedy, applied: the shell's soft limit raised (and the
	# running helper's, which it passed on at fork), and the real call
	# then succeeds.
	run -1 memlock doctor -p "$HELPER_PID" 1M
	assert_output --partial "  1. the limit was set in the shell pid $sh (bash): there, 'ulimit -S -l 1024'"
	"${NOBODY[@]}" prlimit --pid "$sh" --memlock=1048576:
	"${NOBODY[@]}" prlimit --pid "$HELPER_PID" --memlock=1048576:
	assert_equal "$(usr1_result)" 0
}

@test "provenance: a limit changed with prlimit --pid after start: at exec or later" {
	start_helper "${NOBODY[@]}" "$(helper)" --usr1 mlock:1048576
	run -0 doctor_json -p "$HELPER_PID" 1M
	# As its own user: lowering needs no privilege.
	"${NOBODY[@]}" prlimit --pid "$HELPER_PID" --memlock=65536:65536
	assert_equal "$(usr1_result)" ENOMEM
	run -1 memlock doctor -p "$HELPER_PID" 1M
	refute_output --partial docker
	assert_output --partial "origin: wrapper"
	assert_output --partial "the limit changed at pid $HELPER_PID"
	assert_output --partial "or later (\`prlimit --pid\`)"
	# The stopgap for a running process needs CAP_SYS_RESOURCE to raise a
	# hard limit; this root may not have it.
	assert_output --partial "'memlock limit -p $HELPER_PID --set 1M'"
}

@test "provenance: a systemd unit (a manager parent, the unit's cgroup, a drop-in) is named, and its file" {
	make_unit_cgroup system.slice/memlock-test-$$.service
	local unit=memlock-test-$$.service sd
	DROPIN=/etc/systemd/system/$unit.d
	mkdir -p "$DROPIN"
	printf '[Service]\nLimitMEMLOCK=64K\n' >"$DROPIN/limits.conf"
	sd=$(fake_parent systemd)
	start_helper "$sd" prlimit --memlock=65536:65536 "${NOBODY[@]}" "$(helper)" --name java --usr1 mlock:1073741824
	echo "$HELPER_PID" >"$CG/cgroup.procs"
	run -1 memlock doctor -p "$HELPER_PID" 1G
	refute_output --partial docker
	assert_output --partial "origin: systemd"
	assert_output --partial "the unit $unit; its parent pid"
	assert_output --partial "(systemd) is the service manager"
	assert_output --partial "evidence: $DROPIN/limits.conf:2 sets LimitMEMLOCK=64K"
	assert_output --partial "  1. the limit comes from the systemd unit $unit: change 'LimitMEMLOCK=' in $DROPIN/limits.conf (line 2) to 1G (or infinity), then 'systemctl daemon-reload' and 'systemctl restart $unit'"
	run -1 doctor_json -p "$HELPER_PID" 1G
	run jq -c '[.provenance.origin, .provenance.unit, .provenance.config, .provenance.config_line]' <<<"$output"
	assert_output "[\"systemd\",\"$unit\",\"$DROPIN/limits.conf\",2]"
	# Without a drop-in: one is to be made, in /etc/systemd/system.
	rm -rf "$DROPIN"
	run -1 memlock doctor -p "$HELPER_PID" 1G
	assert_output --partial "  1. the limit comes from the systemd unit $unit"
	assert_output --partial "add a drop-in /etc/systemd/system/$unit.d/memlock.conf with '[Service]' and 'LimitMEMLOCK=1G'"
}

@test "provenance: a unit's cgroup without a systemd manager above is not a unit's limit" {
	make_unit_cgroup system.slice/memlock-test-$$.service
	start_helper prlimit --memlock=65536:65536 "${NOBODY[@]}" "$(helper)" --usr1 mlock:1048576
	echo "$HELPER_PID" >"$CG/cgroup.procs"
	run -1 memlock doctor -p "$HELPER_PID" 1M
	assert_output --partial "origin: wrapper"
	refute_output --partial "systemctl"
}

@test "provenance: a container runtime's shim above, in a runtime's cgroup: the runtime, never docker" {
	make_unit_cgroup kubepods/besteffort/podtest/0123456789abcdef0123456789abcdef
	local shim
	shim=$(fake_parent containerd-shim-runc-v2)
	start_helper "$shim" prlimit --memlock=65536:65536 "${NOBODY[@]}" "$(helper)" --usr1 mlock:1048576
	echo "$HELPER_PID" >"$CG/cgroup.procs"
	run -1 memlock doctor -p "$HELPER_PID" 1M
	refute_output --partial docker
	assert_output --partial "origin: container"
	assert_output --partial "(containerd-shim), a container runtime, is its parent"
	assert_output --partial "is named by a container runtime (kubernetes), and its parent is outside it"
	assert_output --partial "  1. the limit comes from the container runtime (containerd-shim)"
	run -1 doctor_json -p "$HELPER_PID" 1M
	run jq -r '.provenance | "\(.origin) \(.runtime)"' <<<"$output"
	assert_output "container containerd-shim"
}

@test "provenance: a login (sshd above) with a limits.d line: pam_limits, and the file's line" {
	LIMITS_FILE=/etc/security/limits.d/zz-memlock-test-$$.conf
	[ -d /etc/security/limits.d ] || skip "no /etc/security/limits.d"
	printf '# test\nnobody soft memlock 64\nnobody hard memlock 64\n' >"$LIMITS_FILE"
	local sshd
	sshd=$(fake_parent sshd)
	start_helper "$sshd" prlimit --memlock=65536:65536 "${NOBODY[@]}" "$(helper)" --usr1 mlock:1048576
	run -1 memlock doctor -p "$HELPER_PID" 1M
	refute_output --partial docker
	assert_output --partial "origin: session"
	assert_output --partial "(sshd) opens login sessions, where pam_limits sets limits"
	assert_output --partial "evidence: $LIMITS_FILE:3 'nobody hard memlock 64' matches user nobody"
	assert_output --partial "  1. the limit comes from the login session (pam_limits): change $LIMITS_FILE line 3 to give nobody 'soft memlock 1024' and 'hard memlock 1024' (KiB), then log in again"
	# No line for the user: one is to be added.
	rm -f "$LIMITS_FILE"
	run -1 memlock doctor -p "$HELPER_PID" 1M
	assert_output --partial "add 'nobody soft memlock 1024' and 'nobody hard memlock 1024' to /etc/security/limits.d/90-memlock.conf"
}

@test "provenance: a limit inherited unchanged from PID 1 says so" {
	local top
	top=$(prlimit --pid 1 --memlock --noheadings --raw -o SOFT,HARD)
	[ "$top" = "$(prlimit --pid $$ --memlock --noheadings --raw -o SOFT,HARD)" ] ||
		skip "this shell's limit differs from PID 1's"
	run -0 doctor_json -p $$
	run jq -r '.provenance.origin' <<<"$output"
	assert_output inherited
}

@test "provenance: a login program that changed its own limit (su as root): the session user's limits.d line" {
	LIMITS_FILE=/etc/security/limits.d/zz-memlock-test-$$.conf
	[ -d /etc/security/limits.d ] || skip "no /etc/security/limits.d"
	printf 'nobody hard memlock 64\n' >"$LIMITS_FILE"
	# "su" lowers its own limit (pam_limits runs in it, as root), then
	# starts the user's program.
	printf '#!/bin/bash\nulimit -l 64\n"$@" &\nwait\n' >"$D/su"
	chmod 755 "$D/su"
	start_helper "$D/su" "${NOBODY[@]}" "$(helper)" --usr1 mlock:1048576
	run -1 memlock doctor -p "$HELPER_PID" 1M
	assert_output --partial "origin: session"
	assert_output --partial "evidence: $LIMITS_FILE:1 'nobody hard memlock 64' matches user nobody"
	refute_output --partial "for user root"
}

@test "provenance: a process whose parent's limit was lowered after it started is not told to drop a wrapper" {
	start_helper "${NOBODY[@]}" bash -c '"$1" --usr1 mlock:8388608 & wait' _ "$(helper)"
	local sh
	sh=$(awk '/^PPid:/ { print $2 }' "/proc/$HELPER_PID/status")
	"${NOBODY[@]}" prlimit --pid "$sh" --memlock=1048576:1048576
	run -1 memlock doctor -p "$HELPER_PID" 9M
	assert_output --partial "pid $HELPER_PID (lock-helper) has a higher limit than its parent pid $sh (bash), soft 1M, hard 1M"
	refute_output --partial "without the wrapper that lowered it"
}

@test "provenance: a limit to set above the caller's hard limit is said to need CAP_SYS_RESOURCE" {
	run -1 capsh --drop=cap_ipc_lock -- -c 'exec "$0" doctor -J 9M' "$MEMLOCK"
	local hard
	hard=$(prlimit --pid $$ --memlock --noheadings --raw -o HARD)
	[ "$hard" != unlimited ] && ((hard < 9437184)) || skip "this shell's hard limit is 9M or more"
	run jq -r '.remedies[] | select(test("memlock limit --set 9M -- PROGRAM"))' <<<"$output"
	[ -n "$output" ] || skip "no remedy here suggests starting with --set"
	assert_output --partial "only as root with CAP_SYS_RESOURCE"
}
