#!/usr/bin/env bats
# memlock files: files locked by real holders (memlock lock), read back
# through the kernel's own pagemap and kpageflags, and through smaps.

load test_helper

# Files in a directory that nobody may read too (bats's own are 0700).
setup() {
	holders_setup files
	# The holder is not under test: the plain build when there is one.
	HOLD="$TOP/memlock"
	[ -x "$HOLD" ] || HOLD=$MEMLOCK
}

teardown() {
	holders_teardown
}

# Starts `memlock lock ARGS` (behind a wrapper given first, up to "::") in
# the background and waits for its report.  Sets HOLDER.
start_lock() {
	local pre=() out i
	while [ "$1" != :: ]; do pre+=("$1"); shift; done
	shift
	out=$(mktemp "$D/.out.XXXXXX")
	"${pre[@]}" "$HOLD" lock "$@" >"$out" 2>&1 3>&- &
	HOLDER=$!
	PIDS+=("$HOLDER")
	for ((i = 0; i < 500; i++)); do
		grep -q '^locked .* in .* ms; VmLck' "$out" && return 0
		[ -e "/proc/$HOLDER" ] || break
		sleep 0.02
	done
	cat "$out" >&2
	return 1
}

# Ends the holder PID, by pid, and waits until it is gone.
stop_lock() {
	kill "$1"
	wait_gone "$1"
}

mkfile() {
	head -c "$2" /dev/urandom >"$1"
	chmod 644 "$1"
}

# One field of `memlock files -b -r -n -o COLS FILE`, for FILE alone.
field() {
	"$MEMLOCK" files -b --raw -n -o "$1" "$2"
}

# Waits until FILE's LOCKED is BYTES (the kernel unlocks in per-CPU
# batches); false after 5 s.
wait_locked() {
	local i
	for ((i = 0; i < 250; i++)); do
		[ "$(field LOCKED "$1")" = "$2" ] && return 0
		sleep 0.02
	done
	return 1
}

@test "files FILE: LOCKED is the file's pages, read from kpageflags; RESIDENT stays after the holder ends" {
	[ "$(id -u)" = 0 ] || skip "physical pages need root"
	mkfile "$D/data" $((5 * PAGE_SIZE + 100))
	start_lock :: "$D/data"
	run -0 memlock files -b --raw -n -o FILE,SIZE,LOCKED,RESIDENT,PROCS,PIDS,ESTIMATE "$D/data"
	assert_output "$D/data $((5 * PAGE_SIZE + 100)) $((6 * PAGE_SIZE)) $((6 * PAGE_SIZE)) 1 $HOLDER no"
	# The file's own pages, in the default table too.
	run -0 memlock files "$D/data"
	assert_line --index 0 --regexp '^FILE +SIZE +LOCKED +RESIDENT +PROCS +PIDS$'
	assert_line --index 1 --regexp "^$D/data +20.1K +24K +24K +1 $HOLDER$"
	stop_lock "$HOLDER"
	wait_locked "$D/data" 0 || fail "LOCKED is still $(field LOCKED "$D/data") after the holder ended"
	run -0 memlock files -b --raw -n -o LOCKED,RESIDENT,PROCS,ESTIMATE "$D/data"
	assert_output "0 $((6 * PAGE_SIZE)) 0 no"
}

@test "files without PATH: every locked file, largest first, with both lockers" {
	mkfile "$D/small" 65536
	mkfile "$D/large" 1048576
	mkfile "$D/unlocked" 65536
	start_lock :: "$D/large"
	local p1=$HOLDER
	start_lock :: "$D/large" "$D/small"
	local p2=$HOLDER
	run -0 memlock files -b --raw -n -o FILE,LOCKED,PROCS,PIDS,COMMANDS
	local mine
	mine=$(grep -F "$D/" <<<"$output")
	assert_equal "$(sed -n 1p <<<"$mine")" "$D/large 1048576 2 $p1,$p2 memlock,memlock"
	assert_equal "$(sed -n 2p <<<"$mine")" "$D/small 65536 1 $p2 memlock"
	assert_equal "$(wc -l <<<"$mine")" 2
}

@test "files FILE that nobody locks: LOCKED 0, PROCS 0" {
	mkfile "$D/free" 8192
	cat "$D/free" >/dev/null
	run -0 memlock files -b --raw -n -o FILE,SIZE,LOCKED,RESIDENT,PROCS "$D/free"
	assert_output "$D/free 8192 0 8192 0"
}

@test "files: a locked file deleted since is found through the mapping" {
	[ "$(id -u)" = 0 ] || skip "map_files needs CAP_SYS_ADMIN"
	mkfile "$D/gone" 65536
	start_lock :: "$D/gone"
	rm "$D/gone"
	run -0 memlock files -b --raw -n -o FILE,SIZE,LOCKED,PROCS,ESTIMATE
	assert_line "$D/gone\\x20(deleted) 65536 65536 1 no"
}

@test "files without CAP_SYS_ADMIN: LOCKED is an estimate from smaps, and says so" {
	mkfile "$D/data" 1048576
	start_lock "${NOBODY[@]}" :: "$D/data"
	run -0 "${NOBODY[@]}" "$MEMLOCK" files -b --raw -n -o FILE,LOCKED,PROCS,PIDS,ESTIMATE "$D/data"
	assert_output "$D/data 1048576 1 $HOLDER yes"
	run -0 "${NOBODY[@]}" "$MEMLOCK" files "$D/data"
	assert_line --index 1 --regexp "^$D/data +1M +1M +- +1 $HOLDER$"
	assert_line --partial "LOCKED of 1 file is an estimate"
	assert_line --partial "reading physical pages needs CAP_SYS_ADMIN"
	run -0 "${NOBODY[@]}" "$MEMLOCK" files -J -o FILE,LOCKED,RESIDENT,ESTIMATE "$D/data"
	run jq -c '.files[0] | [.locked, .resident, .estimate]' <<<"$output"
	assert_output "[1048576,null,true]"
}

@test "files -J: one object, numbers as numbers, null for what was not read" {
	mkfile "$D/data" 65536
	start_lock :: "$D/data"
	run -0 memlock files -J --output-all "$D/data"
	run jq -r '.files | length' <<<"$output"
	assert_output 1
	run jq -r '.files[0] | [(.file|type), (.size|type), (.locked|type), (.resident|type),
		(.procs|type), (.pids|type), (.commands|type), (.dev|type), (.inode|type),
		(.estimate|type), (.unevictable|type)] | join(" ")' <<<"$(memlock files -J --output-all "$D/data")"
	assert_output "string number number number number string string string number boolean number"
	run jq -r '.files[0] | "\(.size) \(.procs) \(.pids) \(.inode)"' <<<"$(memlock files -J --output-all "$D/data")"
	assert_output "65536 1 $HOLDER $(stat -c %i "$D/data")"
}

@test "files -P and --raw: one line a file" {
	mkfile "$D/data" 65536
	run -0 memlock files -P -b -o FILE,SIZE,PROCS "$D/data"
	assert_output "FILE=\"$D/data\" SIZE=\"65536\" PROCS=\"0\""
	run -0 memlock files --raw -o FILE,SIZE "$D/data"
	assert_output "FILE SIZE
$D/data 64K"
	run -2 --separate-stderr memlock files -J -P "$D/data"
	assert_equal "${#stderr_lines[@]}" 1
}

@test "files --min/--max: exit 1 with a line naming the file" {
	mkfile "$D/locked" 65536
	mkfile "$D/free" 65536
	start_lock :: "$D/locked"
	run -0 memlock files --min 1 "$D/locked"
	run -0 memlock files --min 64K --max 64K "$D/locked"
	run -1 --separate-stderr memlock files --min 1 "$D/locked" "$D/free"
	assert_equal "$stderr" "memlock: $D/free has 0B locked, less than --min 1B"
	run -1 --separate-stderr memlock files --min 128K "$D/locked"
	assert_equal "$stderr" "memlock: $D/locked has 64K locked, less than --min 128K"
	run -1 --separate-stderr memlock files --max 32K "$D/locked"
	assert_equal "$stderr" "memlock: $D/locked has 64K locked, more than --max 32K"
	run -2 --separate-stderr memlock files --min 2M --max 1M "$D/locked"
	assert_equal "$stderr" "memlock: --min is above --max"
}

@test "files -r DIR: every regular file below it, links not followed" {
	mkdir -p "$D/tree/sub" "$D/outside"
	mkfile "$D/tree/a" 4096
	mkfile "$D/tree/sub/b" 8192
	: >"$D/tree/empty"
	mkfile "$D/outside/c" 4096
	ln -s "$D/outside/c" "$D/tree/link"
	ln -s "$D/outside" "$D/tree/dirlink"
	run -0 memlock files -r -b --raw -n -o FILE,SIZE "$D/tree"
	assert_equal "$(sort <<<"$output")" "$D/tree/a 4096
$D/tree/empty 0
$D/tree/sub/b 8192"
	run -2 --separate-stderr memlock files "$D/tree"
	assert_equal "$stderr" "memlock: '$D/tree' is a directory: use -r (--recursive) to list the files in it"
	assert_output ""
}

@test "files: bad input exits 2 with one line" {
	run -2 --separate-stderr memlock files "$D/missing"
	assert_equal "$stderr" "memlock: cannot open '$D/missing': No such file or directory"
	assert_output ""
	run -2 --separate-stderr memlock files /dev/null
	assert_equal "$stderr" "memlock: '/dev/null' is a character device: only regular files have pages to lock"
	run -2 --separate-stderr memlock files --min 1x /etc/passwd
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$stderr" "memlock: invalid size '1x': not a number with an optional unit"
	run -2 --separate-stderr memlock files -o FILE,BOGUS
	assert_equal "$stderr" "memlock: unknown column 'BOGUS'; see 'memlock files --help'"
	run -2 --separate-stderr memlock files -r
	assert_equal "${#stderr_lines[@]}" 1
	run -2 --separate-stderr memlock files ""
	assert_equal "${#stderr_lines[@]}" 1
}

@test "files: a file the user may not read exits 3" {
	mkdir -m 700 "$D/private"
	mkfile "$D/private/f" 4096
	run -3 --separate-stderr "${NOBODY[@]}" "$MEMLOCK" files "$D/private/f"
	assert_equal "$stderr" "memlock: cannot open '$D/private/f': Permission denied"
}

@test "files: a hostile file name is escaped in every output mode" {
	local name=$'ev\e[31mil\nname'
	mkfile "$D/$name" 4096
	start_lock :: "$D/$name"
	local mode
	for mode in "" --raw -P -J; do
		run -0 memlock files $mode "$D/$name"
		[[ $output != *$'\e'* ]] || fail "a raw ESC in 'files $mode'"
		# One line for the file (the name's newline escaped).
		assert_equal "$(grep -c "$D" <<<"$output")" 1
		run -0 memlock files $mode
		[[ $output != *$'\e'* ]] || fail "a raw ESC in 'files $mode' without PATH"
		[ "$mode" = -J ] || assert_output --partial 'ev\x1b[31mil\x0aname'
	done
	# JSON carries the name escaped the same way as the table does.
	run -0 memlock files -J "$D/$name"
	run jq -r '.files[0].file' <<<"$output"
	assert_output "$D/ev\\x1b[31mil\\x0aname"
	run -1 --separate-stderr memlock files --min 1G "$D/$name"
	[[ $stderr != *$'\e'* ]] || fail "a raw ESC on stderr"
	assert_equal "${#stderr_lines[@]}" 1
}

@test "files --list-columns: the columns --help lists" {
	run -0 memlock files --list-columns
	assert_equal "$output" "$(memlock_columns files)"
	assert_line FILE
	assert_line ESTIMATE
}

@test "files --interval -J: one object a line with its time; in text, what changed" {
	mkfile "$D/f" 65536
	run -0 bash -c "'$MEMLOCK' files --interval 100ms --count 3 -J '$D/f' | while IFS= read -r l; do jq -c '[(.time|test(\"Z$\")), (.files|length)]' <<<\"\$l\" || exit 1; done"
	assert_output $'[true,1]\n[true,1]\n[true,1]'
	"$MEMLOCK" files --interval 200ms "$D/f" >"$D/watch" &
	local w=$!
	wait_line "$D/watch" "^FILE " || fail "no first sample"
	start_lock :: "$D/f"
	wait_line "$D/watch" "LOCKED 64K, was 0B" || fail "no change seen"
	kill -TERM "$w"
	wait "$w"
	run cat "$D/watch"
	assert_line --index 1 --regexp "^FILE +SIZE +LOCKED"
	assert_output --regexp "$D/f: LOCKED 64K, was 0B; 1 process"
}

@test "files: --count without --interval, and a bad interval, exit 2" {
	run -2 --separate-stderr memlock files --count 2
	assert_equal "$stderr" "memlock: --count needs --interval"
	run -2 --separate-stderr memlock files --interval 0s
	assert_equal "$stderr" "memlock: invalid interval '0s': it must be more than 0"
}

@test "files -J: the summary says how many figures are estimates and how many processes were not read" {
	mkfile "$D/f" 65536
	run -0 memlock files -J "$D/f"
	run jq -c '.summary | [.files, (.estimates|type), (.resident_unknown|type), (.unreadable|type)]' <<<"$output"
	assert_output '[1,"number","number","number"]'
	run memlock files -J "$D/f"
	run "${NOBODY[@]}" "$MEMLOCK" files -J "$D/f"
	run jq -r '.summary.estimates' <<<"$output"
	assert_output 1
}

@test "files: a file of proc or sysfs has no page cache: exit 2, said" {
	run -2 --separate-stderr memlock files /proc/self/status
	assert_equal "$stderr" "memlock: '/proc/self/status' is on proc: its contents are made as they are read, with no pages in the page cache to lock"
}
