#!/usr/bin/env bats
# memlock lock: real files and memory locked, checked in the holder's own
# /proc/PID/status and smaps.

load test_helper

# Files in a directory that nobody may read too (bats's own are 0700).
setup() {
	D=$(mktemp -d /tmp/memlock-lock.XXXXXX)
	chmod 755 "$D"
	HOLDERS=()
}

teardown() {
	local p
	for p in "${HOLDERS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	stop_helpers
	chmod -R u+w "$D" 2>/dev/null
	rm -rf "$D"
}

# Starts `memlock lock ARGS` (possibly behind a wrapper given first, up to
# "::") in the background; waits for its report.  Sets HOLDER and HOUT.
start_lock() {
	local pre=() i
	while [ "$1" != :: ]; do pre+=("$1"); shift; done
	shift
	HOUT=$(mktemp "$D/out.XXXXXX")
	"${pre[@]}" "$MEMLOCK" lock "$@" >"$HOUT" 2>"$HOUT.err" 3>&- &
	HOLDER=$!
	HOLDERS+=("$HOLDER")
	for ((i = 0; i < 500; i++)); do
		grep -q '^locked .* in .* ms; VmLck' "$HOUT" && return 0
		[ -e "/proc/$HOLDER" ] || break
		sleep 0.02
	done
	cat "$HOUT" "$HOUT.err" >&2
	return 1
}

# Sends SIG to the holder and sets LOCK_RC to its exit status (wait works
# only in the shell that started it, so not in $(...)).
end_lock() {
	kill "-${1:-TERM}" "$HOLDER"
	LOCK_RC=0
	wait "$HOLDER" || LOCK_RC=$?
}

# The Locked bytes of PID's mappings of FILE, from smaps.
smaps_locked() {
	awk -v f="$2" '/^[0-9a-f]+-[0-9a-f]+ / { m = ($NF == f) } m && /^Locked:/ { s += $2 * 1024 } END { print s + 0 }' "/proc/$1/smaps"
}

mkfile() {
	head -c "$2" /dev/urandom >"$1"
	chmod 644 "$1"
}

@test "lock FILE: the holder's VmLck and smaps Locked are the file, until SIGTERM" {
	mkfile "$D/data" 1048576
	start_lock :: "$D/data"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 1048576
	assert_equal "$(smaps_locked "$HOLDER" "$D/data")" 1048576
	run -0 cat "$HOUT"
	assert_line --index 0 --regexp '^TARGET +BYTES +PAGES +TIME +RESULT$'
	assert_line --index 1 --regexp "^$D/data +1M +256 +[0-9.]+ +locked$"
	assert_output --partial "VmLck of memlock (pid $HOLDER) is 1M; holding until SIGINT, SIGTERM or SIGQUIT (SIGHUP reloads)"
	end_lock TERM
	assert_equal "$LOCK_RC" 0
}

@test "lock never locks its own pages: VmLck is exactly the pages asked for" {
	mkfile "$D/odd" $((5 * PAGE_SIZE + 100))
	start_lock :: "$D/odd"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" $((6 * PAGE_SIZE))
	end_lock INT
	assert_equal "$LOCK_RC" 0
	start_lock :: --anon 3M
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 3145728
	end_lock QUIT
	assert_equal "$LOCK_RC" 0
}

@test "lock --anon: the memory is locked and resident" {
	start_lock :: --anon 64M
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 67108864
	(( $(proc_bytes "$HOLDER" VmRSS) >= 67108864 )) || fail "RSS below 64M"
	end_lock TERM
	assert_equal "$LOCK_RC" 0
}

@test "lock --onfault: VmLck counts the whole range while Rss does not" {
	start_lock :: --onfault --anon 64M
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 67108864
	(( $(proc_bytes "$HOLDER" VmRSS) < 33554432 )) || fail "RSS $(proc_bytes "$HOLDER" VmRSS) is not small"
	run -0 memlock status -J -m "$HOLDER"
	run jq -r '[.maps[] | select(.onfault)] | length' <<<"$output"
	assert_output 1
	end_lock TERM
	assert_equal "$LOCK_RC" 0
}

@test "lock --range: only the pages of the range" {
	mkfile "$D/big" 1048576
	start_lock :: --range 5000:10000 "$D/big"
	# Bytes 5000..14999 touch pages 1, 2 and 3.
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" $((3 * PAGE_SIZE))
	run -0 cat "$HOUT"
	assert_line --index 1 --regexp "^$D/big +12K +3 +"
	end_lock TERM
	assert_equal "$LOCK_RC" 0
	run -0 memlock lock -t 0 -J -o TARGET,OFFSET,BYTES --range 4096:4096 "$D/big"
	run jq -c '.locked[0] | [.offset, .bytes]' <<<"$output"
	assert_output '[4096,4096]'
}

@test "lock --range past the end of the file is refused, explained" {
	mkfile "$D/small" 8192
	run -2 --separate-stderr memlock lock --range 4096:8192 "$D/small"
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: range 4096:8192 of '$D/small' goes past its end (8192): pages past the end of a file cannot be locked (mlock fails with ENOMEM)"
}

@test "lock -r DIR: every regular file below it" {
	mkdir -p "$D/tree/sub/deeper"
	mkfile "$D/tree/a" 8192
	mkfile "$D/tree/sub/b" 4096
	mkfile "$D/tree/sub/deeper/c" 12288
	: >"$D/tree/empty"
	mkfifo "$D/tree/fifo"
	ln -s /etc/passwd "$D/tree/link"
	start_lock :: -r "$D/tree"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 24576
	run -0 grep -c ' locked$' "$HOUT"
	assert_output 3
	end_lock TERM
	assert_equal "$LOCK_RC" 0
}

@test "lock: under setpriv and an 8M limit, 64M exits 1 naming RLIMIT_MEMLOCK" {
	pick_limits
	mkfile "$D/f64" 67108864
	run -1 --separate-stderr prlimit --memlock=$LIM_SOFT:$LIM_HARD "${NOBODY[@]}" "$MEMLOCK" lock -t 0 "$D/f64"
	assert_line --index 1 --regexp "^$D/f64 +0B +0 +[0-9.]+ +ENOMEM$"
	run -1 --separate-stderr prlimit --memlock=$LIM_SOFT:$LIM_HARD "${NOBODY[@]}" "$MEMLOCK" lock -t 0 "$D/f64"
	assert_regex "$stderr" "memlock: cannot lock '$D/f64' \(64M\): mlock: Cannot allocate memory \(ENOMEM\)"
	assert_regex "$stderr" "memlock: why: VmLck 0B \+ 64M = 64M is over the soft RLIMIT_MEMLOCK [0-9.]+[KM]: ENOMEM"
	assert_regex "$stderr" "memlock: fix: "
}

@test "lock: a limit of 0 gives EPERM, explained" {
	mkfile "$D/f" 4096
	run -1 --separate-stderr prlimit --memlock=0:0 "${NOBODY[@]}" "$MEMLOCK" lock -t 0 "$D/f"
	assert_regex "$stderr" "memlock: cannot lock '$D/f' \(4K\): mlock: Operation not permitted \(EPERM\)"
	assert_regex "$stderr" "memlock: why: the soft RLIMIT_MEMLOCK is 0 and CAP_IPC_LOCK is not effective: any lock fails with EPERM"
}

@test "lock: the first failure releases everything and exits 1" {
	pick_limits
	mkfile "$D/a" 4096
	mkfile "$D/b" $((LIM_SOFT * 2))
	mkfile "$D/c" 4096
	run -1 --separate-stderr prlimit --memlock=$LIM_SOFT:$LIM_HARD "${NOBODY[@]}" "$MEMLOCK" lock -t 0 -b "$D/a" "$D/b" "$D/c"
	assert_line --index 1 --regexp "^$D/a +0 +0 +[0-9.]+ +released$"
	assert_line --index 2 --regexp "^$D/b +0 +0 +[0-9.]+ +ENOMEM$"
	assert_line --index 3 --regexp "^$D/c +0 +0 +0.0 +not tried$"
}

@test "lock --keep-going: keeps what locked, holds it, exits 1 at the end" {
	pick_limits
	mkfile "$D/a" 4096
	mkfile "$D/b" $((LIM_SOFT * 2))
	mkfile "$D/c" 8192
	start_lock prlimit --memlock=$LIM_SOFT:$LIM_HARD "${NOBODY[@]}" :: -k "$D/a" "$D/missing" "$D/b" "$D/c"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 12288
	run -0 cat "$HOUT.err"
	assert_line "memlock: cannot open '$D/missing': No such file or directory"
	assert_line --partial "memlock: cannot lock '$D/b'"
	end_lock TERM
	assert_equal "$LOCK_RC" 1
}

@test "lock: a bad FILE without --keep-going locks nothing and exits 2" {
	mkfile "$D/a" 4096
	run -2 --separate-stderr memlock lock -t 0 "$D/a" "$D/missing"
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: cannot open '$D/missing': No such file or directory"
}

@test "lock: empty files, directories, FIFOs and devices are refused with exit 2" {
	: >"$D/empty"
	mkfifo "$D/fifo"
	run -2 --separate-stderr memlock lock "$D/empty"
	assert_equal "$stderr" "memlock: '$D/empty' is empty: there is nothing to lock"
	run -2 --separate-stderr memlock lock "$D"
	assert_equal "$stderr" "memlock: '$D' is a directory: use -r (--recursive) to lock the files in it"
	run -2 --separate-stderr memlock lock "$D/fifo"
	assert_equal "$stderr" "memlock: '$D/fifo' is a FIFO: only regular files can be locked"
	run -2 --separate-stderr memlock lock /dev/null
	assert_equal "$stderr" "memlock: '/dev/null' is a character device: only regular files can be locked"
	assert_equal "$output" ""
}

@test "lock: an unreadable file exits 3" {
	mkfile "$D/secret" 4096
	chmod 600 "$D/secret"
	chmod 755 "$D"
	run -3 --separate-stderr "${NOBODY[@]}" "$MEMLOCK" lock -t 0 "$D/secret"
	assert_equal "$stderr" "memlock: cannot open '$D/secret': Permission denied"
}

@test "lock: the report is printed before holding, also into a file or a pipe" {
	mkfile "$D/f" 8192
	start_lock :: "$D/f"
	# start_lock returned because the report was already in the file.
	run -0 cat "$HOUT"
	assert_output --partial "holding until SIGINT, SIGTERM or SIGQUIT (SIGHUP reloads)"
	end_lock TERM
	assert_equal "$LOCK_RC" 0
	run -0 bash -c "'$MEMLOCK' lock -t 10 '$D/f' | head -1"
	assert_output --regexp '^TARGET +BYTES'
}

@test "lock -t: holds for the duration, then exits 0; -t 0 is a probe" {
	mkfile "$D/f" 8192
	run -0 memlock lock -t 0 "$D/f"
	assert_output --partial "released (--timeout 0)"
	run -0 memlock lock -t 300ms "$D/f"
	assert_output --partial "holding for 300 ms"
}

@test "lock: a held file truncated by someone else does not crash it" {
	mkfile "$D/t" 1048576
	start_lock :: "$D/t"
	truncate -s 0 "$D/t"
	sleep 0.2
	[ -e "/proc/$HOLDER" ] || fail "the holder died"
	truncate -s 2M "$D/t"
	sleep 0.1
	[ -e "/proc/$HOLDER" ] || fail "the holder died"
	end_lock TERM
	assert_equal "$LOCK_RC" 0
}

@test "lock: a held file replaced by another keeps the old one locked" {
	mkfile "$D/r" 1048576
	start_lock :: "$D/r"
	mkfile "$D/r.new" 4096
	mv "$D/r.new" "$D/r"
	sleep 0.1
	[ -e "/proc/$HOLDER" ] || fail "the holder died"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 1048576
	end_lock TERM
	assert_equal "$LOCK_RC" 0
}

@test "lock: a storm of signals ends it once, cleanly" {
	mkfile "$D/f" 8192
	start_lock :: --pidfile "$D/pid" "$D/f"
	local i
	for ((i = 0; i < 50; i++)); do
		kill -HUP "$HOLDER" 2>/dev/null || true
		kill -INT "$HOLDER" 2>/dev/null || true
		kill -TERM "$HOLDER" 2>/dev/null || true
	done
	local rc=0
	wait "$HOLDER" || rc=$?
	assert_equal "$rc" 0
	[ ! -e "$D/pid" ] || fail "the pidfile was left behind"
}

@test "lock --pidfile: written with the holder's pid, removed on SIGTERM" {
	mkfile "$D/f" 8192
	start_lock :: --pidfile "$D/lock.pid" "$D/f"
	assert_equal "$(cat "$D/lock.pid")" "$HOLDER"
	end_lock TERM
	assert_equal "$LOCK_RC" 0
	[ ! -e "$D/lock.pid" ] || fail "the pidfile is still there"
}

@test "lock --pidfile: never over an existing file or through a planted link" {
	mkfile "$D/f" 8192
	echo keep >"$D/exists"
	run -2 --separate-stderr memlock lock -t 0 --pidfile "$D/exists" "$D/f"
	assert_equal "$stderr" "memlock: pidfile '$D/exists' exists and holds no pid: remove it first"
	assert_equal "$(cat "$D/exists")" keep
	echo precious >"$D/target"
	ln -s "$D/target" "$D/planted"
	run -2 --separate-stderr memlock lock -t 0 --pidfile "$D/planted" "$D/f"
	assert_equal "$(cat "$D/target")" precious
	ln -s "$D/nowhere" "$D/dangling"
	run -2 --separate-stderr memlock lock -t 0 --pidfile "$D/dangling" "$D/f"
	[ ! -e "$D/nowhere" ] || fail "created through a dangling link"
}

@test "lock --pidfile in a directory it may not write: exit 3, nothing locked" {
	mkfile "$D/f" 8192
	mkdir "$D/ro"
	chmod 555 "$D/ro"
	chmod 755 "$D"
	chmod 644 "$D/f"
	run -3 --separate-stderr "${NOBODY[@]}" "$MEMLOCK" lock -t 0 --pidfile "$D/ro/pid" "$D/f"
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: cannot create pidfile '$D/ro/pid': Permission denied"
}

@test "lock --daemon: returns once locked; the daemon holds it until SIGTERM" {
	mkfile "$D/f" 2097152
	run -0 memlock lock -d --pidfile "$D/d.pid" "$D/f"
	assert_output --partial "holding until SIGINT, SIGTERM or SIGQUIT (SIGHUP reloads)"
	local pid
	pid=$(cat "$D/d.pid")
	HOLDERS+=("$pid")
	assert_equal "$(proc_bytes "$pid" VmLck)" 2097152
	assert_equal "$(smaps_locked "$pid" "$D/f")" 2097152
	kill -TERM "$pid"
	local i
	for ((i = 0; i < 200; i++)); do
		[ -e "/proc/$pid" ] || break
		sleep 0.02
	done
	[ ! -e "/proc/$pid" ] || fail "the daemon is still there"
	[ ! -e "$D/d.pid" ] || fail "the pidfile is still there"
}

@test "lock --daemon: a failure is the parent's exit status, and nothing stays behind" {
	mkfile "$D/f" 67108864
	mkdir "$D/w"
	chmod 777 "$D/w"
	run -1 prlimit --memlock=0:0 "${NOBODY[@]}" "$MEMLOCK" lock -d --pidfile "$D/w/d.pid" "$D/f"
	assert_output --partial "memlock: cannot lock '$D/f' (64M): mlock: Operation not permitted (EPERM)"
	[ ! -e "$D/w/d.pid" ] || fail "the pidfile is still there"
	run -0 bash -c "'$MEMLOCK' lock -d '$D/missing-dir/x' 2>&1; echo rc=\$?"
	assert_output --partial "rc=2"
}

@test "lock -J: the report as JSON, numbers as numbers" {
	mkfile "$D/f" 8192
	run -0 memlock lock -t 0 -J "$D/f"
	run jq -r '[.locked[0].target, .locked[0].bytes, .locked[0].pages, (.locked[0].time|type), .locked[0].result, .summary.regions, .summary.bytes] | map(tostring) | join(" ")' <<<"$output"
	assert_output "$D/f 8192 2 number locked 1 8192"
}

@test "lock --anon beyond MemAvailable is refused before the OOM killer is woken" {
	local avail
	avail=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) * 1024))
	run -1 --separate-stderr memlock lock -t 0 --anon $((avail + 1073741824))
	assert_equal "$output" ""
	assert_regex "$stderr" "^memlock: refusing to lock [0-9.]+[GT] of anonymous memory: only [0-9.]+[GM] is available \(MemAvailable\), and faulting in more would set off the OOM killer; --no-guard locks anyway$"
	# With --onfault nothing is faulted in: allowed, and charged whole.
	run -0 memlock lock -t 0 -J --onfault --anon $((avail + 1073741824))
	run jq -r '.summary.vmlck' <<<"$output"
	assert_output "$((avail + 1073741824))"
}

@test "lock: the same file named twice, or through a hard link, is locked once" {
	mkfile "$D/once" 8192
	ln "$D/once" "$D/link"
	mkdir "$D/dir"
	ln "$D/once" "$D/dir/again"
	start_lock :: "$D/once" "$D/once" "$D/link" -r "$D/dir"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 8192
	run -0 grep -c ' locked$' "$HOUT"
	assert_output 1
	end_lock TERM
	assert_equal "$LOCK_RC" 0
}

@test "lock: bad input exits 2 with one line" {
	run -2 --separate-stderr memlock lock
	assert_equal "$stderr" "memlock: lock needs a FILE, --pid, --files-from, -c or --anon SIZE; see 'memlock lock --help'"
	run -2 --separate-stderr memlock lock --anon 0
	assert_equal "$stderr" "memlock: invalid size '0': nothing to lock"
	run -2 --separate-stderr memlock lock --anon 1KK
	assert_equal "$stderr" "memlock: invalid size '1KK': not a number with an optional unit"
	run -2 --separate-stderr memlock lock --anon 1M /etc/passwd
	assert_equal "$stderr" "memlock: --anon and files do not go together"
	run -2 --separate-stderr memlock lock --range 10 /etc/passwd
	assert_equal "$stderr" "memlock: invalid range '10': give OFFSET:LENGTH"
	run -2 --separate-stderr memlock lock --range 0:0 /etc/passwd
	assert_equal "$stderr" "memlock: invalid range '0:0': the length is 0"
	run -2 --separate-stderr memlock lock --range 0:1 /etc/passwd /etc/group
	assert_equal "$stderr" "memlock: --range takes exactly one FILE"
	run -2 --separate-stderr memlock lock -t 5x /etc/passwd
	assert_equal "$stderr" "memlock: invalid duration '5x': not a number with an optional unit (use N, Ns, Nms, Nm or Nh)"
	run -2 --separate-stderr memlock lock -d -t 0 /etc/passwd
	assert_equal "$stderr" "memlock: --daemon with --timeout 0 would hold nothing"
	run -2 --separate-stderr memlock lock --pidfile '' /etc/passwd
	assert_equal "$stderr" "memlock: invalid pidfile '': an empty name"
	assert_equal "$output" ""
}
