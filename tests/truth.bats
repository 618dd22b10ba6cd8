#!/usr/bin/env bats
# Never say what is not true: sizes that would wrap, memory that would wake
# the OOM killer, inputs that cannot be read, a /proc that is not procfs,
# closed descriptors, hostile names, locales, signals.  Each test here is a
# case memlock once got wrong: it reported success for what failed, or a
# figure it had not read.

load test_helper

setup() {
	D=$(mktemp -d "${BATS_TMPDIR:-/tmp}/memlock-truth.XXXXXX")
	PIDS=()
}

teardown() {
	local p
	stop_helpers
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait_gone "$p" || true
	done
	if [ -n "${SAVED_MAP_COUNT:-}" ]; then
		echo "$SAVED_MAP_COUNT" >/proc/sys/vm/max_map_count
	fi
	if [ -n "${SAVED_OVERCOMMIT:-}" ]; then
		echo "$SAVED_OVERCOMMIT" >/proc/sys/vm/overcommit_memory
	fi
	if [ -n "${TEST_CGROUP:-}" ]; then
		rmdir "$TEST_CGROUP" 2>/dev/null || true
	fi
	rm -rf "$D"
}

mkfile() {
	head -c "$2" /dev/urandom >"$1"
}

# The pid written in a pidfile, once it is there (10 s at most).
pid_from() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ -s "$1" ] && { cat "$1"; return 0; }
		sleep 0.02
	done
	return 1
}

# Runs memlock ARGS in a new mount (and pid) namespace whose /proc is
# procfs mounted with subset=pid: no meminfo, no sys, no sysvipc.
in_subset_proc() {
	unshare -p -f -m --mount-proc true 2>/dev/null || skip "no pid and mount namespaces here"
	unshare -p -f -m --mount-proc sh -c \
		'mount -t proc -o subset=pid proc /proc || exit 99; exec "$@"' sh "$MEMLOCK" "$@"
}

@test "a size that wraps past 2^64 in pages is refused, never locked as 16E" {
	run -2 --separate-stderr memlock lock -t 0 --onfault --anon 0xffffffffffffffff
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: invalid size '0xffffffffffffffff': no address space holds 2^63 bytes or more, so nothing that large can be locked"
	run -2 --separate-stderr memlock doctor 0xffffffffffffffff
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: invalid size '0xffffffffffffffff': no address space holds 2^63 bytes or more, so nothing that large can be locked"
	run -2 memlock doctor 9223372036854775808
	# Just below: answered, and the sum stays exact.
	run -1 "${NOBODY[@]}" "$MEMLOCK" doctor 0x7ffffffffffff000
	assert_output --regexp "limit +fail +VmLck 0B \+ 8E = 8E is over the soft RLIMIT_MEMLOCK"
	refute_output --partial "memlock=0:0"
}

@test "in a memory cgroup a huge size fails the cgroup check, it does not wrap into it" {
	make_memory_cgroup 33554432
	# Usage + 2^64 - 1 wrapped to less than the limit: a pass.
	run -2 bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" doctor 0xffffffffffffffff' _ "$TEST_CGROUP" "$MEMLOCK"
	run -1 bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" doctor 0x7ffffffffffff000' _ "$TEST_CGROUP" "$MEMLOCK"
	assert_output --regexp "cgroup +fail +memory cgroup [^ ]*/${TEST_CGROUP##*/} \(v[12]\): .* \+ 8E is over its limit 32M"
}

@test "sizes are rounded up to the next unit when printed: 1048575 bytes is 1M" {
	run -0 memlock pages -r -n -o BYTES --page-size 1 0 1048575
	assert_output "1M"
	run -0 memlock pages -r -n -o BYTES --page-size 1 0 1048371
	assert_output "1023.8K"
}

@test "a 1 TiB sparse file is refused by the memory guard, named" {
	truncate -s 1T "$D/sparse"
	run -1 --separate-stderr memlock lock -t 0 "$D/sparse"
	assert_equal "$output" ""
	assert_regex "$stderr" "^memlock: refusing to lock 1T in 1 file: only [0-9.]+[MG] is available \(MemAvailable\), and faulting in more would set off the OOM killer; --no-guard locks anyway$"
	# With --onfault nothing is faulted in now: no guard, and charged whole.
	run -0 memlock lock -t 0 -J --onfault "$D/sparse"
	run jq -r '.summary.vmlck' <<<"$output"
	assert_output 1099511627776
}

@test "in a memory cgroup, files beyond what it can take are refused, named" {
	make_memory_cgroup 33554432
	truncate -s 64M "$D/sparse"
	run -1 --separate-stderr bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" lock -t 0 "$3"' _ "$TEST_CGROUP" "$MEMLOCK" "$D/sparse"
	assert_equal "$output" ""
	assert_regex "$stderr" "^memlock: refusing to lock 64M in 1 file: memory cgroup [^ ]*/${TEST_CGROUP##*/} can take [0-9.]+[KM] more \(limit 32M, [0-9.]+[BKM] used of which [0-9.]+[BKM] is reclaimable cache\), and its OOM killer would end a process in it; --no-guard locks anyway$"
	run -1 bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" lock -t 0 --anon 64M' _ "$TEST_CGROUP" "$MEMLOCK"
	assert_output --partial "memory cgroup"
	# Within it: locked (the guard counts the file cache as reclaimable).
	run -0 bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" lock -t 0 --anon 8M' _ "$TEST_CGROUP" "$MEMLOCK"
}

@test "meminfo hidden (procfs subset=pid): doctor cannot tell, lock refuses unless --no-guard" {
	mkfile "$D/f" 1048576
	run -3 in_subset_proc doctor 1M
	[ "$status" != 99 ] || skip "procfs has no subset=pid here"
	assert_output --partial "memory       warn   could not read MemAvailable in /proc/meminfo"
	assert_output --partial "verdict: could not tell: the limit allows a process started from this shell, but whether 1M fits in memory depends on /proc/meminfo, which cannot be read"
	run -3 in_subset_proc doctor -J 1M
	run jq -r '.verdict.result' <<<"$output"
	assert_output unknown
	run -3 --separate-stderr in_subset_proc lock -t 0 "$D/f"
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: cannot verify that 1M in 1 file fits in memory: /proc/meminfo cannot be read (No such file or directory); --no-guard locks anyway"
	run -0 in_subset_proc lock -t 0 --no-guard "$D/f"
	assert_line --regexp "^$D/f +1M +256 +[0-9.]+ +locked$"
	# Nothing to fault in: nothing to guard.
	run -0 in_subset_proc lock -t 0 --onfault "$D/f"
	run -0 in_subset_proc doctor --mode onfault 1M
	# SHM_LOCK is charged with segments listed where it cannot look:
	# without CAP_IPC_LOCK that decides the answer...
	run -3 in_subset_proc limit --set 4M -- capsh --drop=cap_ipc_lock -- -c 'exec "$0" doctor --mode shm 1M' "$MEMLOCK"
	assert_output --partial "could not tell: shmctl(SHM_LOCK) is charged with the user's locked segments, and /proc/sysvipc/shm, which lists them, cannot be read"
	# ... with it, user_shm_lock() passes whatever the user holds.
	run -0 in_subset_proc doctor --mode shm 1M
	assert_output --partial "would succeed: shmctl(SHM_LOCK) of 1M"
}

@test "cgroup files hidden (a tmpfs over /sys/fs/cgroup): doctor cannot tell, naming the file" {
	mkfile "$D/f" 1048576
	run -3 unshare -m sh -c 'mount -t tmpfs none /sys/fs/cgroup && exec "$@" doctor 1M' sh "$MEMLOCK"
	assert_output --regexp "cgroup +warn +could not read /sys/fs/cgroup/(memory)?: "
	assert_output --regexp "verdict: could not tell: .* depends on /sys/fs/cgroup/(memory)?, which cannot be read"
	run -3 --separate-stderr unshare -m sh -c 'mount -t tmpfs none /sys/fs/cgroup && exec "$@" lock -t 0 "$0"' "$D/f" "$MEMLOCK"
	assert_regex "$stderr" "^memlock: cannot verify that 1M in 1 file fits in memory: /sys/fs/cgroup/(memory)? cannot be read \(.*\); --no-guard locks anyway$"
}

@test "a /proc that is not procfs: every command that reads it exits 3 in one line" {
	unshare -m true 2>/dev/null || skip "no mount namespaces here"
	local c
	[ -z "${MEMLOCK_SANITIZED:-}" ] ||
		skip "the ASan runtime reads /proc itself (maps, task) and fails where it is a tmpfs"
	for c in "status" "status -a" "limit" "doctor" "doctor 1M" "lock -t 0 --anon 1M"; do
		# shellcheck disable=SC2086 # the words of the command
		run -3 --separate-stderr unshare -m sh -c 'mount -t tmpfs none /proc && exec "$@"' sh "$MEMLOCK" $c
		assert_equal "$output" ""
		assert_equal "$stderr" "memlock: /proc is not procfs but tmpfs: what it shows is not what the kernel says"
	done
	# pages reads nothing there.
	run -0 unshare -m sh -c 'mount -t tmpfs none /proc && exec "$@" pages 0 1' sh "$MEMLOCK"
}

@test "lock -d with stdin, stdout and stderr closed: the daemon holds, exit 0" {
	mkfile "$D/f" 65536
	run -0 bash -c '"$1" lock -d --pidfile "$2" "$3" <&- >&- 2>&-' _ "$MEMLOCK" "$D/pid" "$D/f"
	PIDS+=("$(pid_from "$D/pid")")
	assert_equal "$(proc_bytes "${PIDS[0]}" VmLck)" 65536
	kill "${PIDS[0]}"
	wait_gone "${PIDS[0]}"
	[ ! -e "$D/pid" ] || fail "the pidfile is still there"
}

@test "lock with its report going to a full disk fails, and holds nothing" {
	mkfile "$D/f" 65536
	run -1 --separate-stderr bash -c '"$1" lock -d --pidfile "$2" "$3" >/dev/full' _ "$MEMLOCK" "$D/pid" "$D/f"
	assert_equal "$stderr" "memlock: write error: No space left on device"
	[ ! -e "$D/pid" ] || fail "a holder is left: $(cat "$D/pid")"
	run -1 --separate-stderr bash -c '"$1" lock -t 1h "$2" >/dev/full' _ "$MEMLOCK" "$D/f"
	assert_equal "$stderr" "memlock: write error: No space left on device"
}

@test "lock -d -k with one missing file exits 1, and holds the others" {
	mkfile "$D/f" 65536
	run -1 --separate-stderr memlock lock -d -k --pidfile "$D/pid" "$D/f" "$D/missing"
	PIDS+=("$(pid_from "$D/pid")")
	assert_equal "$stderr" "memlock: cannot open '$D/missing': No such file or directory"
	assert_equal "$(proc_bytes "${PIDS[0]}" VmLck)" 65536
}

@test "-J with -r is refused on every command, as lsblk does" {
	local c
	for c in "pages 0 1" "status" "limit" "doctor" "lock -t 0 --anon 4K"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr memlock $c -J --raw
		assert_equal "$output" ""
		assert_equal "$stderr" "memlock: --json and --raw do not go together"
	done
	run -2 memlock status -Jr
	run -2 memlock pages -r -J 0 1
}

@test "an empty column list is refused" {
	local c
	for c in "pages 0 1" "status" "limit" "doctor" "lock -t 0 --anon 4K"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr memlock $c -o ,
		assert_equal "$output" ""
		assert_equal "$stderr" "memlock: invalid column list ',': an empty column name; see 'memlock ${c%% *} --help'"
	done
	run -2 memlock status -o PID,,USER
	run -2 memlock status -o +
}

@test "status -m PID applies --min and --max" {
	start_helper "$(helper)" --mlock 65536
	run -1 --separate-stderr memlock status -m "$HELPER_PID" --min 1M
	assert_equal "$stderr" "memlock: pid $HELPER_PID (lock-helper) has 64K locked, less than --min 1M"
	run -0 memlock status -m "$HELPER_PID" --min 64K
	run -1 memlock status -m "$HELPER_PID" --max 4K
	run -0 memlock status -m "$HELPER_PID" --max 64K
}

@test "under a Turkish locale numbers stay numbers and names stay names" {
	local loc="$BATS_TEST_TMPDIR/loc"
	command -v localedef >/dev/null || skip "localedef is not installed"
	mkdir -p "$loc"
	localedef -i tr_TR -f UTF-8 "$loc/tr_TR.UTF-8" 2>/dev/null || skip "cannot build tr_TR.UTF-8 (package locales)"
	mkfile "$D/f" 8192
	export LOCPATH="$loc" LC_ALL=tr_TR.UTF-8
	# The locale is really in force: printf(1) writes a decimal comma.
	run -0 /usr/bin/printf '%.1f' 0.5
	assert_output "0,5"
	run -0 memlock lock -t 0 -J "$D/f"
	run -0 jq -r '.summary.time | type' <<<"$output"
	assert_output number
	run -0 memlock status -o pid,command -n "$$"
	run -0 memlock status -o PID,VMLCK,use% -J
	run -0 memlock pages -r -n -o LEN 0 1KIB
	assert_output 1024
	run -0 memlock pages -r -n -o LEN 0 1kib
	assert_output 1024
	run -0 memlock doctor -J 1M
	run -0 jq -e '.verdict.size == 1048576' <<<"$output"
}

@test "status in an empty pid namespace: nothing locked, nothing sorted, exit 0" {
	unshare -p -f -m --mount-proc true 2>/dev/null || skip "no pid namespaces here"
	run -0 --separate-stderr unshare -p -f -m --mount-proc "$MEMLOCK" status
	assert_equal "$stderr" ""
	assert_output --partial "VmLck total        0B in 0 processes"
	run -0 unshare -p -f -m --mount-proc "$MEMLOCK" status -J
	run jq -c '[.processes, .summary.processes]' <<<"$output"
	assert_output '[[],0]'
}

@test "lock -r of a tree larger than ulimit -n: one descriptor at a time" {
	local i
	mkdir "$D/tree"
	for ((i = 0; i < 300; i++)); do echo "$i" >"$D/tree/f$i"; done
	run -0 bash -c 'ulimit -n 32 && exec "$1" lock -t 0 -J -r "$2"' _ "$MEMLOCK" "$D/tree"
	run jq -r '.summary.regions' <<<"$output"
	assert_output 300
}

@test "a tree larger than vm.max_map_count allows: one line naming it; -k locks what fits" {
	local i max have
	[ -z "${MEMLOCK_SANITIZED:-}" ] ||
		skip "the ASan runtime cannot map its memory under a vm.max_map_count this low"
	mkdir "$D/tree"
	for ((i = 0; i < 300; i++)); do echo "$i" >"$D/tree/f$i"; done
	SAVED_MAP_COUNT=$(cat /proc/sys/vm/max_map_count)
	# memlock's own mappings, measured, then room for 100 more.
	have=$("$MEMLOCK" lock -t 0 --anon 4K >/dev/null; wc -l </proc/self/maps)
	max=$((have + 32 + 100))
	echo "$max" >/proc/sys/vm/max_map_count || skip "cannot set vm.max_map_count"
	run -1 --separate-stderr memlock lock -t 0 -r "$D/tree"
	assert_equal "$output" ""
	assert_regex "$stderr" "^memlock: 300 files need 300 mappings, but vm.max_map_count is $max and memlock has [0-9]+ already and keeps 32 for itself: [0-9]+ fit; raise it: 'sysctl -w vm.max_map_count=[0-9]+'$"
	run -1 --separate-stderr memlock lock -t 0 -k -J -r "$D/tree"
	assert_regex "$stderr" "^memlock: 300 files need 300 mappings, .*: [0-9]+ fit and are locked; raise it"
	run jq -r '[.summary.regions > 50, .summary.regions < 300, ([.locked[] | select(.result == "not tried")] | length) > 0] | map(tostring) | join(" ")' <<<"$output"
	assert_output "true true true"
}

@test "lock -r of an empty directory is bad input, with or without -d" {
	mkdir "$D/empty" "$D/empty/sub"
	: >"$D/empty/sub/zero"
	run -2 --separate-stderr memlock lock -t 0 -r "$D/empty"
	assert_equal "$stderr" "memlock: '$D/empty' holds no non-empty regular file: there is nothing to lock"
	run -2 --separate-stderr memlock lock -d --pidfile "$D/pid" -r "$D/empty"
	assert_equal "$stderr" "memlock: '$D/empty' holds no non-empty regular file: there is nothing to lock"
	[ ! -e "$D/pid" ] || fail "a holder is left"
}

@test "-t is a deadline: time stopped by SIGSTOP counts" {
	local start stopped_at ended
	mkfile "$D/f" 8192
	"$MEMLOCK" lock -t 3s "$D/f" >"$D/out" &
	PIDS+=("$!")
	for ((i = 0; i < 500; i++)); do grep -q '^locked' "$D/out" && break; sleep 0.02; done
	kill -STOP "${PIDS[0]}"
	start=$SECONDS
	# Stopped past the deadline, it ends at once when continued.
	while ((SECONDS - start < 4)); do sleep 0.2; done
	kill -CONT "${PIDS[0]}"
	stopped_at=$SECONDS
	run wait_gone "${PIDS[0]}"
	ended=$SECONDS
	assert_success
	# Without the deadline it would hold 3 s more after SIGCONT.
	((ended - stopped_at <= 1)) || fail "held $((ended - stopped_at)) s after SIGCONT"
}

@test "a holder ended by a signal it does not ask for still unlocks and removes its pidfile" {
	local sig pid
	mkfile "$D/f" 8192
	for sig in USR1 ALRM USR2; do
		run -0 memlock lock -d --pidfile "$D/pid" "$D/f"
		pid=$(pid_from "$D/pid")
		kill "-$sig" "$pid"
		wait_gone "$pid"
		[ ! -e "$D/pid" ] || fail "SIGnal $sig left the pidfile behind"
	done
}

@test "a stale pidfile is replaced, saying so; a live holder's is refused" {
	local dead pid
	mkfile "$D/f" 8192
	sleep 0 & dead=$!
	wait "$dead"
	echo "$dead" >"$D/pid"
	run -0 --separate-stderr memlock lock -t 0 --pidfile "$D/pid" "$D/f"
	assert_equal "$stderr" "memlock: replaced the stale pidfile '$D/pid': pid $dead is no longer a memlock holder"
	[ ! -e "$D/pid" ] || fail "the pidfile is left"
	# A pid that now runs something else is stale too.
	echo $$ >"$D/pid"
	run -0 --separate-stderr memlock lock -t 0 --pidfile "$D/pid" "$D/f"
	assert_equal "$stderr" "memlock: replaced the stale pidfile '$D/pid': pid $$ is no longer a memlock holder"
	run -0 memlock lock -d --pidfile "$D/pid" "$D/f"
	pid=$(pid_from "$D/pid")
	PIDS+=("$pid")
	run -2 --separate-stderr memlock lock -t 0 --pidfile "$D/pid" "$D/f"
	assert_equal "$stderr" "memlock: pidfile '$D/pid' belongs to memlock pid $pid, which is running: stop it first, or choose another pidfile"
	assert_equal "$(cat "$D/pid")" "$pid"
}

@test "DEL and C1 controls never reach stdout raw: tables, raw, JSON" {
	local name
	for name in $'a\x7fb' $'c\xc2\x85d' $'e\x9bf'; do
		start_helper "$(helper)" --name "$name" --mlock 4096
		run -0 memlock status "$HELPER_PID"
		refute_output --regexp $'[\x7f]|\xc2[\x80-\x9f]|\x9b'
		run -0 memlock status -r -n -o COMMAND "$HELPER_PID"
		refute_output --regexp $'[\x7f]|\xc2[\x80-\x9f]|\x9b'
		run -0 memlock status -J "$HELPER_PID"
		refute_output --regexp $'[\x7f]|\xc2[\x80-\x9f]|\x9b'
		run jq -r '.processes[0].command' <<<"$output"
		case $name in
		a*) assert_output 'a\x7fb' ;;
		c*) assert_output 'c\xc2\x85d' ;;
		e*) assert_output 'e\x9bf' ;;
		esac
		run -0 memlock doctor -J -p "$HELPER_PID"
		run -0 jq -e . <<<"$output"
		refute_output --regexp $'[\x7f]|\xc2[\x80-\x9f]|\x9b'
		stop_helpers
	done
}

@test "a cgroup path with DEL is escaped in doctor's table, verdict and JSON" {
	make_memory_cgroup 33554432 $'memlock-truth\x7f'
	start_helper "$(helper)" --mlock 4096
	echo "$HELPER_PID" >"$TEST_CGROUP/cgroup.procs"
	run -1 memlock doctor -p "$HELPER_PID" 64M
	refute_output --regexp $'\x7f'
	assert_output --partial 'memlock-truth\x7f'
	run -1 memlock doctor -J -p "$HELPER_PID" 64M
	refute_output --regexp $'\x7f'
	run jq -r '.verdict.text' <<<"$output"
	assert_output --partial 'memlock-truth\x7f'
}

@test "a raw ESC from argv is escaped in error messages" {
	local bad=$'\e[2J'
	run -2 --separate-stderr memlock "$bad"
	assert_equal "$stderr" "memlock: unknown command '\\x1b[2J'; see 'memlock --help'"
	run -2 --separate-stderr memlock status "$bad"
	assert_equal "$stderr" "memlock: invalid pid '\\x1b[2J': not a positive decimal number"
	run -2 --separate-stderr memlock lock -t 0 "$D/x$bad"
	assert_equal "$stderr" "memlock: cannot open '$D/x\\x1b[2J': No such file or directory"
	run -2 --separate-stderr memlock pages -o "$bad" 0 1
	assert_equal "$stderr" "memlock: unknown column '\\x1b[2J'; see 'memlock pages --help'"
	run -2 --separate-stderr memlock status "--$bad"
	[[ $stderr != *$'\e'* ]] || fail "a raw ESC in: $stderr"
}

@test "doctor --probe: a probe killed by the OOM killer is said to be, and agrees" {
	make_memory_cgroup 33554432
	run -1 bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" doctor --probe 64M' _ "$TEST_CGROUP" "$MEMLOCK"
	assert_output --partial "verdict: would fail: the memory cgroup's OOM killer ends a process started from this shell"
	assert_output --partial "probe: a child with its soft limit and capabilities was killed by SIGKILL (the OOM killer's signal): agrees"
	run -1 bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" doctor -J --probe 64M' _ "$TEST_CGROUP" "$MEMLOCK"
	run jq -c '[.verdict.probe, .verdict.probe_agrees]' <<<"$output"
	assert_output '["SIGKILL",true]'
}

@test "an ambiguous option prefix names the candidates" {
	run -2 --separate-stderr memlock status --m 1
	assert_equal "$stderr" "memlock: option '--m' is ambiguous; possibilities: '--maps' '--min' '--max'; see 'memlock status --help'"
	run -2 --separate-stderr memlock status --ma 1
	assert_equal "$stderr" "memlock: option '--ma' is ambiguous; possibilities: '--maps' '--max'; see 'memlock status --help'"
	# A prefix of one option is that option.
	run -0 memlock status --mi 0 $$
}

@test "hidepid: processes /proc hides are said not to be counted, never a total that looks whole" {
	unshare -m true 2>/dev/null || skip "no mount namespaces here"
	run -0 unshare -m sh -c 'mount --make-rprivate / && mount -t proc -o hidepid=2 proc /proc &&
		exec "$@" status' sh "${NOBODY[@]}" "$MEMLOCK"
	assert_output --partial "/proc hides the processes memlock may not trace (hidepid), and theirs are not counted"
	run -0 unshare -m sh -c 'mount --make-rprivate / && mount -t proc -o hidepid=2 proc /proc &&
		exec "$@" status -J' sh "${NOBODY[@]}" "$MEMLOCK"
	run jq -c '.summary.unreadable' <<<"$output"
	assert_output null
	run -3 --separate-stderr unshare -m sh -c 'mount --make-rprivate / && mount -t proc -o hidepid=2 proc /proc &&
		exec "$@" status 1' sh "${NOBODY[@]}" "$MEMLOCK"
	assert_equal "$stderr" "memlock: cannot read pid 1: no such process, or hidden by /proc's hidepid"
	# Root with CAP_SYS_PTRACE sees them all: nothing is said.
	run -0 unshare -m sh -c 'mount --make-rprivate / && mount -t proc -o hidepid=2 proc /proc &&
		exec "$@" status' sh "$MEMLOCK"
	refute_output --partial "hidepid"
}

@test "a kernel thread has no VmLck: '-' and null, not 0B" {
	local kt
	# The first process without Vm* lines.
	kt=$(for f in /proc/[0-9]*/status; do
		grep -q '^VmSize' "$f" 2>/dev/null || { basename "$(dirname "$f")"; break; }; done)
	[ -n "$kt" ] || skip "no kernel thread is visible here"
	run -0 memlock status -r -n -o VMLCK,VMPIN,VMSIZE,VMRSS,USE% "$kt"
	assert_output "- - - - "
	run -0 memlock status -J -o PID,VMLCK,VMPIN,USE% "$kt"
	run jq -c '.processes[0] | [.vmlck, .vmpin, ."use%"]' <<<"$output"
	assert_output '[null,null,null]'
	run -1 --separate-stderr memlock status --min 1K "$kt"
	assert_regex "$stderr" "^memlock: pid $kt \(.*\) has no address space \(a kernel thread, or a zombie\): nothing locked, less than --min 1K$"
}

@test "doctor: a remedy that would leave the limit where it is is not offered" {
	# Soft and hard both 0: raising soft to hard, or --ulimit memlock=0:0,
	# changes nothing.
	run -1 "${NOBODY[@]}" "$MEMLOCK" limit --set 0 -- "$MEMLOCK" doctor
	refute_output --partial "raise the soft limit to the hard one"
	refute_output --partial "memlock=0:0"
	refute_output --regexp "--set 0B? "
	# A holder at its limit: --raise would change nothing; the remedies name
	# a limit above what it holds.
	chmod 755 "$D" && mkdir -m 777 "$D/w"
	run -0 "${NOBODY[@]}" "$MEMLOCK" limit --set 64K -- "$MEMLOCK" lock -d --pidfile "$D/w/h.pid" --anon 64K
	PIDS+=("$(pid_from "$D/w/h.pid")")
	run -1 memlock doctor -p "${PIDS[0]}"
	refute_output --partial -- "--raise"
	assert_output --partial "'memlock limit -p ${PIDS[0]} --set 68K'"
}

@test "doctor: a limit a wrapper set is to be raised there, not in the shell" {
	# The doctor a child of a shell of nobody's (not exec'd by bash -c).
	run -1 "${NOBODY[@]}" bash -c 'prlimit --memlock=4194304:8388608 "$1" doctor 6M; exit $?' _ "$MEMLOCK"
	assert_output --partial "  1. the limit (soft 4M, hard 8M) was set between this shell (soft 8M, hard 8M) and the program, by a wrapper such as prlimit: raise it there, to 6M, or start the program without it"
	refute_output --partial "in this shell"
	# No wrapper: raising in the shell is the fix.
	run -1 "${NOBODY[@]}" bash -c 'ulimit -S -l 4096; "$1" doctor 6M; exit $?' _ "$MEMLOCK"
	assert_output --partial "  1. raise the soft limit to the hard one (8M), which needs no privilege: 'memlock limit --raise' in this shell"
}

@test "doctor: figures that rounding would blur are written in bytes; -b writes all in bytes" {
	chmod 755 "$D" && mkdir -m 777 "$D/w"
	run -0 "${NOBODY[@]}" "$MEMLOCK" lock -d --pidfile "$D/w/h.pid" --anon 3M
	PIDS+=("$(pid_from "$D/w/h.pid")")
	run -1 memlock doctor -p "${PIDS[0]}" 5242881
	assert_output --partial "VmLck 3145728 + 5246976 = 8392704 is over the soft RLIMIT_MEMLOCK 8388608: ENOMEM"
	run -0 memlock doctor -p "${PIDS[0]}" 1
	assert_output --partial "VmLck 3145728 + 4096 = 3149824 is within"
	run -0 memlock doctor -p "${PIDS[0]}" 1M
	assert_output --partial "VmLck 3M + 1M = 4M is within the soft RLIMIT_MEMLOCK 8M"
	run -0 memlock doctor -b -p "${PIDS[0]}" 1M
	assert_output --partial "VmLck 3145728 + 1048576 = 4194304 is within the soft RLIMIT_MEMLOCK 8388608"
}

@test "doctor -J: could not tell has no errno, not \"0\"" {
	run -3 in_subset_proc doctor -J 1M
	[ "$status" != 99 ] || skip "procfs has no subset=pid here"
	run jq -c '[.verdict.result, .verdict.errno]' <<<"$output"
	assert_output '["unknown",null]'
}

@test "doctor and lock: an empty /.dockerenv alone makes no container" {
	grep -qE 'docker|containerd|libpod|kubepods' /proc/self/cgroup && skip "this runs in a container's cgroup"
	run -1 "${NOBODY[@]}" "$MEMLOCK" doctor 64M
	refute_output --partial "docker"
	refute_output --partial "container"
}

@test "lock: SIGPIPE to a holder ends it like any other signal, pidfile removed" {
	run -0 memlock lock -d --pidfile "$D/h.pid" --anon 8K
	local pid
	pid=$(pid_from "$D/h.pid")
	kill -PIPE "$pid"
	wait_gone "$pid" || fail "SIGPIPE did not end the holder"
	[ ! -e "$D/h.pid" ] || fail "the pidfile is left"
}

@test "smaller slips: limit with a bare word, a pid named twice, anonymous memory in messages" {
	run -2 --separate-stderr memlock limit 64M
	assert_equal "$stderr" "memlock: unexpected argument '64M': to set the limit, use --set 64M; to run a command under it, put the command after --"
	run -0 memlock status -n -o PID $$ $$
	assert_output "$$"
	run -1 --separate-stderr "${NOBODY[@]}" "$MEMLOCK" limit --set 4K -- "$MEMLOCK" lock -t 0 --anon 16M
	assert_equal "${stderr_lines[0]}" "memlock: cannot lock 16M of anonymous memory: mlock: Cannot allocate memory (ENOMEM)"
}

@test "doctor: no remedy that cannot help: more than RAM and swap is 'lock less', a size of nothing needs a page" {
	run -1 "${NOBODY[@]}" "$MEMLOCK" doctor -J 0x7ffffffffffff000
	run jq -r '.remedies[0]' <<<"$output"
	assert_output --regexp "^lock less: 8E is more than this machine can map or hold"
	run -1 "${NOBODY[@]}" "$MEMLOCK" doctor -J 0x7ffffffffffff000
	run jq -r '.remedies | map(select(test("--set|--raise|setcap"))) | length' <<<"$output"
	assert_output 0
	# mlock(p, 0) at a limit of 0 is EPERM (can_do_mlock() comes first):
	# the limit to ask for is a page, never "0K".
	run -1 prlimit --memlock=0:8388608 "${NOBODY[@]}" "$MEMLOCK" doctor 0
	assert_output --partial "EPERM"
	refute_output --partial " 0K"
	refute_output --partial "memlock=0:0"
}

@test "doctor: under vm.overcommit_memory 2 the remedy names the commit room, not RAM" {
	[ -z "${MEMLOCK_SANITIZED:-}" ] ||
		skip "an ASan build cannot reserve its shadow memory under vm.overcommit_memory 2"
	local limit used size
	# Read before the switch: under mode 2 new programs may not start.
	limit=$(awk '/^CommitLimit:/ { print $2 }' /proc/meminfo)
	used=$(awk '/^Committed_AS:/ { print $2 }' /proc/meminfo)
	size=$(( (limit > used ? limit - used : 0) * 1024 + 1073741824 ))
	SAVED_OVERCOMMIT=$(cat /proc/sys/vm/overcommit_memory)
	echo 2 >/proc/sys/vm/overcommit_memory || skip "cannot set vm.overcommit_memory"
	run memlock doctor --mode onfault "$size"
	echo "$SAVED_OVERCOMMIT" >/proc/sys/vm/overcommit_memory
	SAVED_OVERCOMMIT=
	[ "$status" -ne 126 ] && [ "$status" -ne 127 ] || skip "memlock could not start under vm.overcommit_memory 2"
	assert_equal "$status" 1
	assert_output --partial "under vm.overcommit_memory 2 mmap() fails with ENOMEM"
	assert_output --partial "  1. lock less than the commit room"
	refute_output --partial "lock less than the machine has"
}
