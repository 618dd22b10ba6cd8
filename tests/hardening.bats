#!/usr/bin/env bats
# Least privilege, set-user-ID, inherited descriptors, escaping, faults.

load test_helper

setup() {
	D=$(mktemp -d /var/tmp/memlock-hard.XXXXXX)
	chmod 755 "$D"
}

teardown() {
	[ -z "${DAEMON:-}" ] || kill "$DAEMON" 2>/dev/null || true
	stop_helpers
	rm -rf "$D"
}

@test "memlock refuses to run set-user-ID, pointing to capabilities" {
	cp "$MEMLOCK" "$D/memlock-suid"
	chmod 4755 "$D/memlock-suid"
	# (LeakSanitizer cannot run in a set-user-ID process: off for this one.)
	run -2 --separate-stderr env ASAN_OPTIONS=detect_leaks=0 "${NOBODY[@]}" "$D/memlock-suid" pages 1 2
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: refusing to run set-user-ID or set-group-ID; grant capabilities instead (setcap cap_ipc_lock+ep), see memlock(1)"
	# Not set-user-ID: it runs, and its messages say "memlock" by any name.
	chmod 0755 "$D/memlock-suid"
	run -0 "${NOBODY[@]}" "$D/memlock-suid" pages 1 2
	run -2 --separate-stderr "$D/memlock-suid" bogus
	assert_equal "$stderr" "memlock: unknown command 'bogus'; see 'memlock --help'"
}

@test "lock keeps only CAP_IPC_LOCK, CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE" {
	head -c 8192 /dev/urandom >"$D/f"
	"$MEMLOCK" lock "$D/f" >"$D/out" 3>&- &
	local pid=$! i
	for ((i = 0; i < 200; i++)); do
		grep -q '^locked' "$D/out" && break
		sleep 0.02
	done
	local eff prm inh have
	have=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	eff=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")
	prm=$(awk '/^CapPrm:/ {print $2}' "/proc/$pid/status")
	inh=$(awk '/^CapInh:/ {print $2}' "/proc/$pid/status")
	kill "$pid"
	wait "$pid" || true
	# CAP_IPC_LOCK is bit 14, CAP_DAC_READ_SEARCH bit 2, CAP_SYS_PTRACE bit
	# 19 (another process's maps, for --pid): 0x84004, of what we had.
	assert_equal "$((0x$eff))" "$((0x$have & 0x84004))"
	assert_equal "$((0x$prm))" "$((0x$have & 0x84004))"
	assert_equal "$((0x$inh))" 0
}

@test "lock --daemon holds no inherited descriptor: \$(...) returns at once" {
	head -c 8192 /dev/urandom >"$D/f"
	# fd 5 is the command substitution's pipe too; a daemon that kept it
	# would make $(...) wait until it ends.
	run -0 timeout 20 bash -c 'x=$("$0" lock -d --pidfile "$1" "$2" 5>&1); echo "returned"' \
		"$MEMLOCK" "$D/pid" "$D/f"
	assert_output returned
	DAEMON=$(cat "$D/pid")
	[ -e "/proc/$DAEMON" ] || fail "the daemon is not holding"
	# 0, 1 and 2 on /dev/null, its own pidfile (kept open and locked while
	# it lives), /proc, the inotify on the held file's directory and the
	# signalfd it waits on: nothing it inherited.
	run bash -c 'for f in /proc/$1/fd/*; do readlink "$f"; done | sort' _ "$DAEMON"
	assert_output "$(printf '%s\n' /dev/null /dev/null /dev/null "$D/pid" /proc anon_inode:inotify \
		'anon_inode:[signalfd]' | sort)"
}

@test "file names with control characters are escaped in lock's report and errors" {
	local name=$'bad\e[31mname\nx'
	head -c 4096 /dev/urandom >"$D/$name"
	run -0 "$MEMLOCK" lock -t 0 "$D/$name"
	[[ $output != *$'\e'* ]] || fail "a raw ESC reached the terminal"
	assert_line --index 1 --partial 'bad\x1b[31mname\x0ax'
	run -0 "$MEMLOCK" lock -t 0 -J "$D/$name"
	run jq -r '.locked[0].target' <<<"$output"
	assert_output "$D/bad\\x1b[31mname\\x0ax"
	: >"$D/$name.empty"
	run -2 --separate-stderr "$MEMLOCK" lock "$D/$name.empty"
	[[ $stderr != *$'\e'* ]] || fail "a raw ESC in the error"
	assert_equal "$stderr" "memlock: '$D/bad\\x1b[31mname\\x0ax.empty' is empty: there is nothing to lock"
}

@test "a listing into a pipe closed early ends quietly" {
	run --separate-stderr bash -c '"$0" status -a | head -1 >/dev/null' "$MEMLOCK"
	assert_equal "$stderr" ""
	run --separate-stderr bash -c '"$0" status -a -J | head -c 10 >/dev/null' "$MEMLOCK"
	assert_equal "$stderr" ""
}

@test "every command writing to a full disk fails, not silently" {
	local c
	for c in "pages 1 2" "status" "limit" "doctor" "lock -t 0 --anon 4K"; do
		run --separate-stderr bash -c "\"\$0\" $c >/dev/full" "$MEMLOCK"
		assert_failure
		assert_equal "$stderr" "memlock: write error: No space left on device"
	done
}

@test "doctor escapes a process name in its table, verdict and remedies" {
	pick_limits
	start_helper prlimit --memlock=$LIM_SOFT:$LIM_HARD "${NOBODY[@]}" "$(helper)" --name $'ev\e[2J\nil'
	run -1 "$MEMLOCK" doctor -p "$HELPER_PID" 1G
	[[ $output != *$'\e'* ]] || fail "a raw ESC reached the terminal"
	assert_output --partial 'verdict: would fail: mlock() returns ENOMEM in pid '"$HELPER_PID"' (ev\x1b[2J\x0ail)'
	run -1 "$MEMLOCK" doctor -J -p "$HELPER_PID" 1G
	run jq -r '.verdict.command' <<<"$output"
	assert_output 'ev\x1b[2J\x0ail'
}
