#!/usr/bin/env bats
# memlock doctor: a matrix of real situations.  In each, the errno doctor
# predicts must equal the errno the kernel really gives: to --probe's child,
# to the helper that tries the same lock on SIGUSR1, or to both.

load test_helper

teardown() {
	stop_helpers
	if [ -n "${STALE_SHM:-}" ]; then
		ipcrm -m "$STALE_SHM" 2>/dev/null || true
	fi
	if [ -n "${SAVED_MAP_COUNT:-}" ]; then
		echo "$SAVED_MAP_COUNT" >/proc/sys/vm/max_map_count
	fi
	if [ -n "${TEST_CGROUP:-}" ]; then
		rmdir "$TEST_CGROUP" 2>/dev/null || true
	fi
	if [ -n "${UNIT_CGROUP:-}" ]; then
		rmdir "$UNIT_CGROUP" "$(dirname "$UNIT_CGROUP")" 2>/dev/null || true
	fi
}

M4=4194304
M8=8388608
M64=67108864

# The prediction: doctor_errno [WRAPPER...] :: DOCTOR-ARGS...
doctor_errno() {
	local pre=()
	while [ "$1" != :: ]; do pre+=("$1"); shift; done
	shift
	"${pre[@]}" "$MEMLOCK" doctor -J "$@" | jq -r '.verdict.errno'
}

# The prediction and the probe, as "PREDICTED PROBED AGREES".
doctor_probe() {
	local pre=()
	while [ "$1" != :: ]; do pre+=("$1"); shift; done
	shift
	"${pre[@]}" "$MEMLOCK" doctor -J --probe "$@" |
		jq -r '.verdict | "\(.errno) \(.probe) \(.probe_agrees)"'
}

AS_NOBODY_4M=(prlimit --memlock=$M4:$M8 "${NOBODY[@]}")

@test "doctor 1: root with CAP_IPC_LOCK: 64M succeeds, and does" {
	run -0 doctor_probe :: 64M
	assert_output "0 0 true"
	start_helper "$(helper)" --usr1 mlock:$M64
	assert_equal "$(usr1_result)" 0
}

@test "doctor 2: nobody, soft 4M: 64M fails with ENOMEM, and does" {
	pick_limits
	run -0 doctor_probe "${AS_NOBODY_4M[@]}" :: 64M
	assert_output "ENOMEM ENOMEM true"
	start_helper "${AS_NOBODY_4M[@]}" "$(helper)" --usr1 mlock:$M64
	assert_equal "$(usr1_result)" ENOMEM
	run -1 "${AS_NOBODY_4M[@]}" "$MEMLOCK" doctor 64M
	assert_output --partial "verdict: would fail: mlock() returns ENOMEM"
	assert_output --partial "VmLck 0B + 64M = 64M is over the soft RLIMIT_MEMLOCK 4M: ENOMEM"
	assert_output --partial "the hard limit 8M is too low too: raising it needs CAP_SYS_RESOURCE"
}

@test "doctor 3: nobody, soft 4M: 2M succeeds, and does" {
	run -0 doctor_probe "${AS_NOBODY_4M[@]}" :: 2M
	assert_output "0 0 true"
	start_helper "${AS_NOBODY_4M[@]}" "$(helper)" --usr1 mlock:2097152
	assert_equal "$(usr1_result)" 0
}

@test "doctor 4: a soft limit of 0 without the capability: EPERM" {
	run -0 doctor_probe prlimit --memlock=0:0 "${NOBODY[@]}" :: 4K
	assert_output "EPERM EPERM true"
	start_helper prlimit --memlock=0:0 "${NOBODY[@]}" "$(helper)" --usr1 mlock:4096
	assert_equal "$(usr1_result)" EPERM
	run -1 prlimit --memlock=0:0 "${NOBODY[@]}" "$MEMLOCK" doctor 4K
	assert_output --partial "the soft RLIMIT_MEMLOCK is 0 and CAP_IPC_LOCK is not effective: any lock fails with EPERM"
}

@test "doctor 5: root without CAP_IPC_LOCK (capsh --drop) is held to the limit" {
	run -0 doctor_probe prlimit --memlock=$M4:$M8 capsh --drop=cap_ipc_lock -- -c 'exec "$0" "$@"' :: 64M
	assert_output "ENOMEM ENOMEM true"
	start_helper prlimit --memlock=$M4:$M8 capsh --drop=cap_ipc_lock -- -c "exec $(helper) --usr1 mlock:$M64"
	assert_equal "$(usr1_result)" ENOMEM
}

@test "doctor 6: --mode onfault charges the whole range at once" {
	run -0 doctor_probe "${AS_NOBODY_4M[@]}" :: --mode onfault 8M
	assert_output "ENOMEM ENOMEM true"
	start_helper "${AS_NOBODY_4M[@]}" "$(helper)" --usr1 onfault:$M8
	assert_equal "$(usr1_result)" ENOMEM
	run -0 doctor_errno "${AS_NOBODY_4M[@]}" :: --mode onfault 3M
	assert_output 0
}

@test "doctor 7: -p PID already holding 3M of 4M: 2M more fails, 1M fits" {
	start_helper "${AS_NOBODY_4M[@]}" "$(helper)" --mlock 3145728 --usr1 mlock:2097152
	run -0 doctor_errno :: -p "$HELPER_PID" 2M
	assert_output ENOMEM
	run -0 doctor_probe :: -p "$HELPER_PID" 2M
	assert_output "ENOMEM ENOMEM true"
	assert_equal "$(usr1_result)" ENOMEM
	stop_helpers
	start_helper "${AS_NOBODY_4M[@]}" "$(helper)" --mlock 3145728 --usr1 mlock:1048576
	run -0 doctor_probe :: -p "$HELPER_PID" 1M
	assert_output "0 0 true"
	assert_equal "$(usr1_result)" 0
}

@test "doctor 8: without SIZE, the headroom is what the process can still lock" {
	start_helper "${AS_NOBODY_4M[@]}" "$(helper)" --mlock 1048576 --usr1 mlock:3145728
	run -0 bash -c "'$MEMLOCK' doctor -J -p $HELPER_PID | jq -r '.verdict.headroom'"
	assert_output 3145728
	run -0 memlock doctor -p "$HELPER_PID"
	assert_output --partial "verdict: headroom: 3M more can be locked in pid $HELPER_PID (lock-helper)"
	assert_equal "$(usr1_result)" 0
	# Now it holds its whole limit: one more page fails, as predicted.
	run -0 doctor_errno :: -p "$HELPER_PID" 4K
	assert_output ENOMEM
	run -1 memlock doctor -p "$HELPER_PID"
	assert_output --partial "verdict: headroom: 0B more can be locked in pid $HELPER_PID (lock-helper): mlock() returns ENOMEM"
	assert_equal "$(usr1_result)" ENOMEM
}

@test "doctor 9: --mode mlockall charges VmSize, not RSS: over a 1M limit" {
	[ -z "${MEMLOCK_SANITIZED:-}" ] ||
		skip "ASan's shadow memory makes memlock's VmSize larger than the process the probe copies"
	start_helper prlimit --memlock=1048576:$M8 "${NOBODY[@]}" "$(helper)" --usr1 mlockall
	run -0 doctor_errno :: -p "$HELPER_PID" --mode mlockall 4K
	assert_output ENOMEM
	run -0 doctor_probe :: -p "$HELPER_PID" --mode mlockall 4K
	assert_output "ENOMEM ENOMEM true"
	run -1 memlock doctor -p "$HELPER_PID" --mode mlockall 4K
	assert_output --regexp "MCL_CURRENT charges the whole virtual size, VmSize [0-9.]+[KM], not the resident"
	assert_equal "$(usr1_result)" ENOMEM
}

@test "doctor 10: --mode mlockall within the limit succeeds" {
	[ -z "${MEMLOCK_SANITIZED:-}" ] ||
		skip "ASan's shadow memory makes memlock's VmSize larger than the process the probe copies"
	# A soft limit under the hard one: the probe, bigger than the helper,
	# stands in for it with a limit raised by the difference (SPEC: --probe).
	start_helper prlimit --memlock=$M4:$M8 "${NOBODY[@]}" "$(helper)" --usr1 mlockall
	run -0 doctor_probe :: -p "$HELPER_PID" --mode mlockall 4K
	assert_output "0 0 true"
	assert_equal "$(usr1_result)" 0
}

@test "doctor 11: --mode shm: SHM_LOCK over the limit fails with ENOMEM" {
	run -0 doctor_probe "${AS_NOBODY_4M[@]}" :: --mode shm 8M
	assert_output "ENOMEM ENOMEM true"
	start_helper "${AS_NOBODY_4M[@]}" "$(helper)" --usr1 shm:$M8
	assert_equal "$(usr1_result)" ENOMEM
	run -0 doctor_probe "${AS_NOBODY_4M[@]}" :: --mode shm 2M
	assert_output "0 0 true"
}

@test "doctor 12: a stale SHM_LOCK segment of the same user counts against the limit" {
	start_helper "${AS_NOBODY_4M[@]}" "$(helper)" --stale-shm 3145728
	STALE_SHM=$HELPER_SHMID
	stop_helpers
	run -0 doctor_probe "${AS_NOBODY_4M[@]}" :: --mode shm 2M
	assert_output "ENOMEM ENOMEM true"
	start_helper "${AS_NOBODY_4M[@]}" "$(helper)" --usr1 shm:2097152
	assert_equal "$(usr1_result)" ENOMEM
	run -1 "${AS_NOBODY_4M[@]}" "$MEMLOCK" doctor --mode shm 2M
	assert_output --regexp "shm_locked +warn +1 segment of uid 65534 locked with SHM_LOCK, 3M"
	assert_output --partial "'ipcrm -m $STALE_SHM'"
	ipcrm -m "$STALE_SHM"
	STALE_SHM=
	run -0 doctor_probe "${AS_NOBODY_4M[@]}" :: --mode shm 2M
	assert_output "0 0 true"
}

@test "doctor 13: CAP_IPC_LOCK inside a user namespace does not count" {
	unshare -Ur true 2>/dev/null || skip "unshare -Ur is not permitted here"
	run -0 doctor_probe prlimit --memlock=$M4:$M8 unshare -Ur :: 64M
	assert_output "ENOMEM ENOMEM true"
	start_helper prlimit --memlock=$M4:$M8 unshare -Ur "$(helper)" --usr1 mlock:$M64
	assert_equal "$(usr1_result)" ENOMEM
	run -1 prlimit --memlock=$M4:$M8 unshare -Ur "$MEMLOCK" doctor 64M
	assert_output --regexp "cap_ipc_lock +warn +effective, but inside a user namespace"
	assert_output --partial "raise RLIMIT_MEMLOCK before entering it"
}

@test "doctor 14: over vm.max_map_count a new mapping fails with ENOMEM; at it, one fits" {
	[ -z "${MEMLOCK_SANITIZED:-}" ] ||
		skip "the ASan runtime cannot map its memory under a vm.max_map_count this low"
	start_helper "$(helper)" --maps 100 --usr1 mlock:4096
	SAVED_MAP_COUNT=$(cat /proc/sys/vm/max_map_count)
	local maps predicted real
	# map_count leaves out the [vsyscall] gate area that maps lists.
	maps=$(grep -vc '\[vsyscall\]' "/proc/$HELPER_PID/maps")
	echo $((maps - 1)) >/proc/sys/vm/max_map_count
	predicted=$(doctor_errno :: -p "$HELPER_PID" 4K)
	real=$(usr1_result)
	echo "$SAVED_MAP_COUNT" >/proc/sys/vm/max_map_count
	assert_equal "$predicted" ENOMEM
	assert_equal "$real" ENOMEM
	# Exactly at the limit: the kernel still allows one new mapping.
	maps=$(grep -vc '\[vsyscall\]' "/proc/$HELPER_PID/maps")
	echo "$maps" >/proc/sys/vm/max_map_count
	predicted=$(doctor_errno :: -p "$HELPER_PID" 4K)
	real=$(usr1_result)
	echo "$SAVED_MAP_COUNT" >/proc/sys/vm/max_map_count
	SAVED_MAP_COUNT=
	assert_equal "$predicted" 0
	assert_equal "$real" 0
}

@test "doctor 15: CAP_IPC_LOCK only permitted: the limit applies, and the remedy says so" {
	start_helper prlimit --memlock=$M4:$M8 "$(helper)" --drop-ipc-lock --usr1 mlock:$M64
	run -0 doctor_probe :: -p "$HELPER_PID" 64M
	assert_output "ENOMEM ENOMEM true"
	assert_equal "$(usr1_result)" ENOMEM
	run -1 memlock doctor -p "$HELPER_PID" 64M
	assert_output --regexp "cap_ipc_lock +warn +permitted but not effective"
	assert_output --partial "CAP_IPC_LOCK is already permitted: make it effective"
}

@test "doctor 16: a soft limit below the hard one: the first remedy is --raise, and it works" {
	start_helper prlimit --memlock=1048576:$M8 "${NOBODY[@]}" "$(helper)" --usr1 mlock:$M4
	run -1 memlock doctor -p "$HELPER_PID" 4M
	assert_line --index 0 --partial "locking 4M with mlock in pid $HELPER_PID (lock-helper)"
	assert_output --partial "the hard limit 8M leaves room: raising the soft limit needs no privilege"
	assert_output --partial "  1. raise its soft limit to the hard one (8M), which needs no privilege as its own user: 'memlock limit -p $HELPER_PID --raise'"
	assert_equal "$(usr1_result)" ENOMEM
	run -0 "${NOBODY[@]}" "$MEMLOCK" limit -p "$HELPER_PID" --raise
	run -0 doctor_errno :: -p "$HELPER_PID" 4M
	assert_output 0
	assert_equal "$(usr1_result)" 0
}

@test "doctor 17: over the memory cgroup's limit the OOM killer ends the process, as predicted" {
	make_memory_cgroup 33554432
	start_helper "$(helper)" --usr1 mlock:$M64
	echo "$HELPER_PID" >"$TEST_CGROUP/cgroup.procs"
	run -0 doctor_errno :: -p "$HELPER_PID" 16M
	assert_output 0
	run -1 memlock doctor -p "$HELPER_PID" 64M
	assert_output --regexp "cgroup +fail +memory cgroup [^ ]*/${TEST_CGROUP##*/} \(v[12]\): [0-9.]+[BKM] used, [0-9.]+[BKM] of it reclaimable cache, \+ 64M is over its limit 32M"
	assert_output --partial "verdict: would fail: the memory cgroup's OOM killer ends pid $HELPER_PID (lock-helper)"
	run -0 doctor_errno :: -p "$HELPER_PID" 64M
	assert_output EAGAIN
	# The real lock: killed, or EAGAIN; never ENOMEM, never success.
	kill -USR1 "$HELPER_PID"
	if wait_gone "$HELPER_PID"; then
		refute grep -q '^usr1 ' "$HELPER_OUT"
	else
		run grep '^usr1 ' "$HELPER_OUT"
		assert_output "usr1 EAGAIN"
	fi
}

@test "doctor 18: under a systemd unit, the unit's LimitMEMLOCK= is the fix (Elasticsearch)" {
	[ -d /sys/fs/cgroup/systemd ] || [ -f /sys/fs/cgroup/cgroup.procs ] || skip "no systemd cgroup hierarchy"
	if [ -d /sys/fs/cgroup/systemd ]; then
		UNIT_CGROUP=/sys/fs/cgroup/systemd/memlock-test-$$.slice/elasticsearch.service
	else
		UNIT_CGROUP=/sys/fs/cgroup/memlock-test-$$.slice/elasticsearch.service
	fi
	mkdir -p "$UNIT_CGROUP" 2>/dev/null || skip "cannot make a cgroup for the unit"
	# The service manager that starts the unit: a stand-in named systemd.
	printf '#!/bin/bash\n"$@" &\nwait\n' >"$BATS_TEST_TMPDIR/systemd"
	chmod 755 "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/systemd"
	start_helper "$BATS_TEST_TMPDIR/systemd" prlimit --memlock=65536:65536 "${NOBODY[@]}" "$(helper)" --name java --usr1 mlock:1073741824
	echo "$HELPER_PID" >"$UNIT_CGROUP/cgroup.procs"
	run -0 doctor_probe :: -p "$HELPER_PID" 1G
	assert_output "ENOMEM ENOMEM true"
	assert_equal "$(usr1_result)" ENOMEM
	run -1 memlock doctor -p "$HELPER_PID" 1G
	assert_output --partial "verdict: would fail: mlock() returns ENOMEM in pid $HELPER_PID (java): VmLck 0B + 1G = 1G is over the soft RLIMIT_MEMLOCK 64K: ENOMEM"
	assert_output --partial "  1. the limit comes from the systemd unit elasticsearch.service"
	assert_output --partial "add a drop-in /etc/systemd/system/elasticsearch.service.d/memlock.conf with '[Service]' and 'LimitMEMLOCK=1G' (or infinity; 'systemctl edit elasticsearch.service' writes one), then 'systemctl daemon-reload' and 'systemctl restart elasticsearch.service'"
	stop_helpers
}

@test "doctor: remedies name where the limit comes from" {
	run -1 "${AS_NOBODY_4M[@]}" "$MEMLOCK" doctor 64M
	# A container only where a runtime's cgroup says so: an empty
	# /.dockerenv (this VM has one, and no docker) is no evidence.
	if grep -qE 'docker|containerd' /proc/self/cgroup; then
		assert_output --partial "--ulimit memlock=67108864:67108864"
	else
		refute_output --partial "docker"
	fi
	# setcap cannot help a process whose bounding set lacks the
	# capability (setpriv --bounding-set=-all): not offered.
	refute_output --partial "setcap"
	run -1 prlimit --memlock=$M4:$M8 setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$MEMLOCK" doctor 64M
	assert_output --partial "setcap cap_ipc_lock+ep PROGRAM"
	run -1 prlimit --memlock=$M4:$M8 setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$MEMLOCK" doctor -J 64M
	run jq -r '.remedies | length' <<<"$output"
	(( output >= 2 )) || fail "only $output remedies"
}

@test "doctor -J: checks, verdict and remedies, numbers as numbers" {
	run -1 "${AS_NOBODY_4M[@]}" "$MEMLOCK" doctor -J 64M
	run jq -r '[.checks[0].check, .checks[0].result, .verdict.result, .verdict.errno, (.verdict.size|type), .verdict.charge, .verdict.mode] | join(" ")' <<<"$output"
	assert_output "limit fail fail ENOMEM number 67108864 mlock"
}

@test "doctor: a pid that does not exist exits 3" {
	local gone
	sleep 0 & gone=$!
	wait "$gone"
	run -3 --separate-stderr memlock doctor -p "$gone" 4K
	assert_equal "$stderr" "memlock: cannot examine pid $gone: no such process"
}

@test "doctor: a kernel thread has nothing to lock: exit 3, said" {
	local kt=2	# kthreadd
	grep -q '^VmSize:' /proc/$kt/status && skip "pid 2 is not a kernel thread here"
	run -3 --separate-stderr memlock doctor -p "$kt" 4K
	assert_equal "$stderr" "memlock: pid $kt ($(awk '$1 == "Name:" { print $2 }' /proc/$kt/status)) has no address space (a kernel thread, or a zombie): there is nothing it could lock"
	assert_equal "$output" ""
}

@test "doctor: bad input exits 2 with one line" {
	run -2 --separate-stderr memlock doctor 64Q
	assert_equal "$stderr" "memlock: invalid size '64Q': not a number with an optional unit"
	run -2 --separate-stderr memlock doctor 1M 2M
	assert_equal "$stderr" "memlock: doctor takes one SIZE; '2M' is one too many"
	run -2 --separate-stderr memlock doctor --mode mlock3 1M
	assert_equal "$stderr" "memlock: invalid mode 'mlock3': use mlock, onfault, mlockall, mmap-locked, shm, io_uring, rdma, vfio, perf or bpf"
	run -2 --separate-stderr memlock doctor --probe
	assert_equal "$stderr" "memlock: --probe needs a SIZE to try"
	run -2 --separate-stderr memlock doctor -p x
	assert_equal "$stderr" "memlock: invalid pid 'x': not a positive decimal number"
	assert_equal "$output" ""
}
