#!/usr/bin/env bats
# memlock status, against memory really locked by tests/helpers/lock-helper
# and compared with what /proc says itself.

load test_helper

teardown() {
	stop_helpers
}

M8=8388608

@test "status PID: VMLCK equals VmLck of /proc/PID/status, in text and JSON" {
	start_helper "$(helper)" --mlock "$M8"
	run -0 memlock status -b -r -o PID,VMLCK "$HELPER_PID"
	assert_line --index 1 "$HELPER_PID $(proc_bytes "$HELPER_PID" VmLck)"
	assert_equal "$(proc_bytes "$HELPER_PID" VmLck)" "$M8"
	run -0 memlock status -J "$HELPER_PID"
	run jq -r '.processes[0] | "\(.pid) \(.command) \(.vmlck) \(.vmpin) \(.cap)"' <<<"$output"
	assert_output "$HELPER_PID lock-helper $M8 0 true"
}

@test "status: the default columns name the pid and its command" {
	start_helper "$(helper)" --mlock "$M8"
	run -0 memlock status "$HELPER_PID"
	assert_line --index 0 --regexp '^ *PID +USER +COMMAND +VMLCK +VMPIN +LIMIT +USE% +CAP$'
	assert_line --index 1 --regexp "^ *$HELPER_PID +root +lock-helper +8M +0B +"
}

@test "status without PID lists lockers largest first, then the totals" {
	start_helper "$(helper)" --mlock 4194304
	local small=$HELPER_PID
	start_helper "$(helper)" --mlock 12582912
	local big=$HELPER_PID
	run -0 memlock status -r -n -o PID,VMLCK -b
	assert_line "$small 4194304"
	assert_line "$big 12582912"
	# The bigger one comes first.
	run -0 bash -c "'$MEMLOCK' status -r -n -o PID | grep -nxE '$small|$big' | cut -d: -f2 | tr '\n' ' '"
	assert_output "$big $small "
	run -0 memlock status
	assert_output --regexp 'VmLck total +[0-9.]+[KMG] in [0-9]+ process'
	assert_output --regexp 'Mlocked +[0-9.]+[BKMG] +Unevictable'
}

@test "status: a process that locks nothing is listed only with -a or by pid" {
	run -0 memlock status -r -n -o PID
	refute_line "$$"
	run -0 memlock status -a -r -n -o PID
	assert_line "$$"
	run -0 memlock status -r -n -o PID,VMLCK "$$"
	assert_output "$$ 0B"
}

@test "status -J: the summary sums VmLck over every process" {
	start_helper "$(helper)" --mlock "$M8"
	run -0 memlock status -J
	local sum
	sum=$(cat /proc/[0-9]*/status 2>/dev/null | awk '/^VmLck:/ { s += $2 * 1024 } END { print s }')
	run jq -r '.summary | "\(.vmlck) \(.processes)"' <<<"$output"
	# Other processes may lock or unlock in between: the helper's 8M is in both.
	local got=${output% *}
	(( got >= M8 && sum >= M8 )) || fail "summary $got, /proc $sum"
	run -0 bash -c "'$MEMLOCK' status -J | jq -e '.summary.mlocked >= 0 and .summary.unevictable >= .summary.mlocked'"
}

@test "status: SHM_LOCK segments are counted in the summary, not in VmLck" {
	local before
	before=$(memlock status -J | jq '.summary.shm_locked')
	start_helper "$(helper)" --shm 4194304
	run -0 memlock status -J
	run jq '.summary.shm_locked' <<<"$output"
	assert_equal "$output" "$((before + 4194304))"
	assert_equal "$(proc_bytes "$HELPER_PID" VmLck)" 0
	run -0 memlock status
	assert_output --regexp 'SHM_LOCK +[0-9.]+[BKMG] in [0-9]+ System V segments? \(never counted in VmLck\)'
}

@test "status --maps PID: the locked mapping with smaps' Locked size" {
	start_helper "$(helper)" --mlock "$M8"
	run -0 memlock status --maps "$HELPER_PID"
	assert_line --index 0 "pid $HELPER_PID (lock-helper): VmLck 8M in 1 locked mapping"
	assert_line --index 1 --regexp '^ +START +END +PERMS +SIZE +RSS +LOCKED +ONFAULT +PATH$'
	assert_line --index 2 --regexp '^ *0x[0-9a-f]+ +0x[0-9a-f]+ +rw-p +8M +8M +8M +no *$'
	local smaps_locked
	smaps_locked=$(awk '/^Locked:/ { s += $2 * 1024 } END { print s }' "/proc/$HELPER_PID/smaps")
	run -0 memlock status -J -m "$HELPER_PID"
	run jq -r '[.maps[].locked] | add' <<<"$output"
	assert_output "$smaps_locked"
}

@test "status --maps -a shows every mapping" {
	start_helper "$(helper)" --mlock "$M8"
	run -0 memlock status -m "$HELPER_PID" -a -n -r -o START
	assert_equal "${#lines[@]}" "$(grep -cE '^[0-9a-f]+-[0-9a-f]+ ' "/proc/$HELPER_PID/smaps")"
}

@test "status: --onfault memory counts whole in VmLck while Rss does not" {
	start_helper "$(helper)" --onfault 16777216 --touch
	assert_equal "$(proc_bytes "$HELPER_PID" VmLck)" 16777216
	run -0 memlock status -J -m "$HELPER_PID"
	run jq -r '.maps[] | select(.onfault) | "\(.size) \(.rss < .size) \(.locked == .rss)"' <<<"$output"
	assert_output "16777216 true true"
	run -0 memlock status -J "$HELPER_PID"
	run jq -r '.processes[0].vmlck' <<<"$output"
	assert_output 16777216
}

@test "status: LIMIT and HARD equal what prlimit reads" {
	pick_limits
	start_helper prlimit --memlock=$LIM_SOFT:$LIM_HARD "$(helper)" --mlock $((LIM_SOFT / 4))
	run -0 memlock status -b -r -n -o LIMIT,HARD,USE% "$HELPER_PID"
	assert_output "$(prlimit --pid "$HELPER_PID" --memlock --raw --noheadings -o SOFT,HARD) 25"
	assert_output "$LIM_SOFT $LIM_HARD 25"
}

@test "status: CAP says whether CAP_IPC_LOCK is effective" {
	pick_limits
	start_helper prlimit --memlock=$LIM_SOFT:$LIM_HARD capsh --drop=cap_ipc_lock -- -c "exec $(helper) --mlock 4096"
	run -0 memlock status -J "$HELPER_PID"
	run jq -r '.processes[0].cap' <<<"$output"
	assert_output false
	start_helper "$(helper)" --mlock 4194304
	run -0 memlock status -r -n -o CAP "$HELPER_PID"
	assert_output yes
}

@test "status --min/--max: exit 1 with a line naming the process" {
	start_helper "$(helper)" --mlock "$M8"
	run -0 memlock status --min 8M "$HELPER_PID"
	run -0 memlock status --max 8M "$HELPER_PID"
	run -1 --separate-stderr memlock status --min 9M "$HELPER_PID"
	assert_equal "$stderr" "memlock: pid $HELPER_PID (lock-helper) has 8M locked, less than --min 9M"
	run -1 --separate-stderr memlock status --max 4M "$HELPER_PID"
	assert_equal "$stderr" "memlock: pid $HELPER_PID (lock-helper) has 8M locked, more than --max 4M"
	run -1 memlock status --min 1 "$$"
}

@test "status: a pid that does not exist exits 3 with one line" {
	local gone
	sleep 0 & gone=$!
	wait "$gone"
	run -3 --separate-stderr memlock status "$gone"
	assert_equal "$stderr" "memlock: cannot read pid $gone: no such process"
	run -3 --separate-stderr memlock status -m "$gone"
	assert_equal "$stderr" "memlock: cannot read the mappings of pid $gone: no such process"
}

@test "status: bad pids and sizes exit 2 naming them" {
	local p
	for p in abc 0 1.5 " 1" 2147483648 99999999999999999999 ""; do
		run -2 --separate-stderr memlock status "$p"
		assert_equal "$stderr" "memlock: invalid pid '$p': not a positive decimal number"
	done
	run -2 --separate-stderr memlock status --min 8Q
	assert_equal "$stderr" "memlock: invalid size '8Q': not a number with an optional unit"
	run -2 --separate-stderr memlock status --min 2M --max 1M
	assert_equal "$stderr" "memlock: --min is above --max"
	run -2 --separate-stderr memlock status -m 1 2
	assert_equal "$stderr" "memlock: --maps takes one pid; do not name others"
	run -2 --separate-stderr memlock status -o PID,NOPE
	assert_equal "$stderr" "memlock: unknown column 'NOPE'; see 'memlock status --help'"
}

@test "status --maps of another user's process: exit 3, permission denied" {
	start_helper "$(helper)" --mlock 4096
	run -3 --separate-stderr "${NOBODY[@]}" "$MEMLOCK" status -m "$HELPER_PID"
	assert_equal "$stderr" "memlock: cannot read the mappings of pid $HELPER_PID: Permission denied"
}

@test "status as nobody reads other users' limits through /proc/PID/limits" {
	pick_limits
	start_helper prlimit --memlock=$LIM_SOFT:$LIM_HARD "$(helper)" --mlock 4096
	run -0 "${NOBODY[@]}" "$MEMLOCK" status -b -r -n -o PID,LIMIT,HARD "$HELPER_PID"
	assert_output "$HELPER_PID $LIM_SOFT $LIM_HARD"
}

@test "status: command names with blanks, quotes, newlines and escapes are escaped" {
	start_helper "$(helper)" --name $'a b"\n\e[31mx' --mlock 4096
	run -0 memlock status "$HELPER_PID"
	[[ $output != *$'\e'* ]] || fail "a raw ESC reached the terminal"
	assert_line --index 1 --partial 'a b"\x0a\x1b[31mx'
	run -0 memlock status -r -n -o COMMAND "$HELPER_PID"
	assert_output 'a\x20b"\x0a\x1b[31mx'
	run -0 memlock status -J "$HELPER_PID"
	[[ $output != *$'\e'* ]] || fail "a raw ESC in JSON"
	# JSON carries the name escaped the same way as the table does.
	run jq -r '.processes[0].command' <<<"$output"
	assert_output 'a b"\x0a\x1b[31mx'
}

@test "status -a survives processes that vanish mid-scan" {
	# A separate shell starts and kills processes while we scan.
	local churn
	bash -c 'end=$((SECONDS + 3))
		while ((SECONDS < end)); do
			pids=()
			for i in $(seq 50); do sleep 10 & pids+=($!); done
			kill "${pids[@]}"
			wait
		done' 3>&- &
	churn=$!
	for _ in $(seq 20); do
		run -0 memlock status -a -r -n -o PID,COMMAND,VMLCK,LIMIT
	done
	wait "$churn"
}

@test "status -J: every value has its JSON type" {
	start_helper "$(helper)" --mlock 4096
	run -0 memlock status -J --output-all "$HELPER_PID"
	run jq -r '.processes[0] | [(.pid|type), (.user|type), (.command|type), (.vmlck|type), (.limit|type), (.cap|type), (.vmsize|type)] | join(" ")' <<<"$output"
	assert_output "number string string number number boolean number"
}
