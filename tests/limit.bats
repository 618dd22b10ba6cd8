#!/usr/bin/env bats
# memlock limit, compared with prlimit(1) and with what processes really get.

load test_helper

teardown() {
	stop_helpers
}

# prlimit's view of PID: "SOFT HARD" in bytes or "unlimited".
prl() {
	prlimit --pid "$1" --memlock --raw --noheadings -o SOFT,HARD
}

@test "limit -p PID reads what prlimit reads" {
	pick_limits
	start_helper prlimit --memlock=$LIM_SOFT:$LIM_HARD "$(helper)" --mlock 4096
	run -0 memlock limit -b -r -n -o SOFT,HARD -p "$HELPER_PID"
	assert_output "$(prl "$HELPER_PID")"
	assert_output "$LIM_SOFT $LIM_HARD"
	run -0 memlock limit -b -r -n -o SOFT,HARD -p 1
	assert_output "$(prl 1)"
}

@test "limit names the pid and its command" {
	start_helper "$(helper)" --mlock 4096
	run -0 memlock limit -p "$HELPER_PID"
	assert_line --index 0 --regexp '^ *PID +COMMAND +SOFT +HARD +VMLCK$'
	assert_line --index 1 --regexp "^ *$HELPER_PID +lock-helper +[0-9.]+[BKMG]|unlimited"
	run -0 memlock limit -J -p "$HELPER_PID"
	run jq -r '.limit | "\(.pid) \(.command) \(.vmlck)"' <<<"$output"
	assert_output "$HELPER_PID lock-helper 4096"
}

@test "limit without -p reads memlock's own limit: what the shell's children get" {
	pick_limits
	run -0 prlimit --memlock=$LIM_SOFT:$LIM_HARD bash -c '"$0" limit -b -r -n -o COMMAND,SOFT,HARD' "$MEMLOCK"
	# COMMAND is the binary's own name (memlock-san under make sanitize).
	assert_output "$(basename "$MEMLOCK" | cut -c1-15) $LIM_SOFT $LIM_HARD"
	# A wrapper between the shell and memlock counts: it is what a program
	# started the same way would get.
	run -1 --separate-stderr prlimit --memlock=4194304:4194304 "$MEMLOCK" limit --min 8M
	assert_equal "$stderr" "memlock: the soft limit of memlock is 4M, less than --min 8M"
	run -0 prlimit --memlock=4194304:4194304 "$MEMLOCK" limit --min 4M
}

@test "limit --set without -p changes the shell, and says when memlock's own limit differs" {
	pick_limits
	# The shell is bash -c; memlock runs under prlimit, one step lower.
	run -0 --separate-stderr prlimit --memlock=$LIM_HARD:$LIM_HARD bash -c '
		prlimit --memlock=$1:$2 "$0" limit -b -r -n --set $1:$2
		prlimit --pid $$ --memlock --raw --noheadings -o SOFT,HARD' "$MEMLOCK" $LIM_SOFT $LIM_HARD
	assert_line --index 1 --regexp "^ *$LIM_SOFT +$LIM_HARD\$"
	assert_equal "$stderr" "memlock: note: this changes the shell, pid $(sed -n 1p <<<"$output" | awk '{print $1}') (bash), whose limits are $(size_h $LIM_HARD):$(size_h $LIM_HARD); memlock itself runs under $(size_h $LIM_SOFT):$(size_h $LIM_HARD), set by something between them (a wrapper such as prlimit)"
}

@test "limit --set through -p is what prlimit then sees" {
	pick_limits
	start_helper prlimit --memlock=$LIM_SOFT:$LIM_HARD "$(helper)" --mlock 4096
	run -0 memlock limit -b -r -n -p "$HELPER_PID" --set $((LIM_SOFT / 2)):
	assert_output "$HELPER_PID lock-helper $LIM_SOFT $LIM_HARD $((LIM_SOFT / 2)) $LIM_HARD"
	assert_equal "$(prl "$HELPER_PID")" "$((LIM_SOFT / 2)) $LIM_HARD"
	run -0 memlock limit -p "$HELPER_PID" --set :$((LIM_HARD - 4096))
	assert_equal "$(prl "$HELPER_PID")" "$((LIM_SOFT / 2)) $((LIM_HARD - 4096))"
	run -0 memlock limit -p "$HELPER_PID" --set 1M
	assert_equal "$(prl "$HELPER_PID")" "1048576 1048576"
	run -0 memlock limit -p "$HELPER_PID" --set 512KiB:0x80000
	assert_equal "$(prl "$HELPER_PID")" "524288 524288"
}

@test "limit --raise sets the soft limit to the hard one" {
	pick_limits
	start_helper prlimit --memlock=$LIM_SOFT:$LIM_HARD "$(helper)" --mlock 4096
	run -0 memlock limit -b -r -n -o OLD_SOFT,SOFT,HARD -p "$HELPER_PID" --raise
	assert_output "$LIM_SOFT $LIM_HARD $LIM_HARD"
	assert_equal "$(prl "$HELPER_PID")" "$LIM_HARD $LIM_HARD"
}

@test "limit --min: exit 1 when the soft limit is lower" {
	pick_limits
	start_helper prlimit --memlock=$LIM_SOFT:$LIM_HARD "$(helper)" --mlock 4096
	run -0 memlock limit -p "$HELPER_PID" --min "$LIM_SOFT"
	run -1 --separate-stderr memlock limit -p "$HELPER_PID" --min $((LIM_SOFT + 1))
	# One byte apart: both exact, or they would read the same.
	assert_equal "$stderr" "memlock: the soft limit of pid $HELPER_PID (lock-helper) is $LIM_SOFT, less than --min $((LIM_SOFT + 1))"
	run -1 --separate-stderr memlock limit -p "$HELPER_PID" --min $((LIM_SOFT * 2))
	assert_equal "$stderr" "memlock: the soft limit of pid $HELPER_PID (lock-helper) is $(size_h $LIM_SOFT), less than --min $(size_h $((LIM_SOFT * 2)))"
	run -0 memlock limit -p "$HELPER_PID" --raise --min $((LIM_SOFT + 1))
}

@test "limit -- COMMAND runs under the new limit" {
	run -0 memlock limit --set 1M -- sh -c 'ulimit -l; ulimit -Hl'
	assert_output "$(printf '1024\n1024')"
	run -0 memlock limit --set 512K: -- sh -c 'ulimit -l'
	assert_output 512
	run -0 prlimit --memlock=1048576:2097152 "$MEMLOCK" limit --raise -- sh -c 'ulimit -l'
	assert_output 2048
	run -3 memlock limit -- sh -c 'exit 3'
}

@test "limit -- COMMAND: 127 when not found, 126 when not executable" {
	run -127 --separate-stderr memlock limit -- /nonexistent/cmd
	assert_equal "$stderr" "memlock: cannot run '/nonexistent/cmd': No such file or directory"
	run -126 --separate-stderr memlock limit -- /etc/passwd
	assert_equal "$stderr" "memlock: cannot run '/etc/passwd': Permission denied"
}

@test "limit --min before a COMMAND does not run it when the limit is too low" {
	run -1 --separate-stderr prlimit --memlock=1048576 "$MEMLOCK" limit --min 2M -- echo ran
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: the soft limit of memlock is 1M, less than --min 2M"
}

@test "limit: raising a hard limit without CAP_SYS_RESOURCE names the capability" {
	run -1 --separate-stderr "${NOBODY[@]}" prlimit --memlock=1048576:1048576 "$MEMLOCK" limit --set 2M -- true
	assert_equal "$output" ""
	assert_regex "$stderr" "^memlock: cannot raise the hard limit of memlock from 1M to 2M: that needs CAP_SYS_RESOURCE"
}

@test "limit: a soft limit above the hard one is refused" {
	run -2 --separate-stderr memlock limit --set 2M:1M -- true
	assert_equal "$stderr" "memlock: soft limit 2M is above the hard limit 1M"
	run -1 --separate-stderr prlimit --memlock=1048576:1048576 "$MEMLOCK" limit --set 2M: -- true
	assert_regex "$stderr" "^memlock: cannot set the soft limit of memlock to 2M: its hard limit is 1M; raise both"
	run -1 --separate-stderr prlimit --memlock=1048576:2097152 "$MEMLOCK" limit --set :512K -- true
	assert_regex "$stderr" "^memlock: cannot lower the hard limit of memlock to 512K: its soft limit is 1M"
}

@test "limit: another user's process gives EPERM, explained" {
	start_helper "$(helper)" --mlock 4096
	run -1 --separate-stderr "${NOBODY[@]}" "$MEMLOCK" limit -p "$HELPER_PID" --set 1M
	assert_equal "$stderr" "memlock: cannot change the limits of pid $HELPER_PID (lock-helper): it belongs to another user (uid 0), which needs CAP_SYS_RESOURCE"
}

@test "limit: another user's process is read through /proc/PID/limits" {
	pick_limits
	start_helper prlimit --memlock=$LIM_SOFT:$LIM_HARD "$(helper)" --mlock 4096
	run -0 "${NOBODY[@]}" "$MEMLOCK" limit -b -r -n -o SOFT,HARD,SOURCE -p "$HELPER_PID"
	assert_output "$LIM_SOFT $LIM_HARD limits"
	run -0 memlock limit -r -n -o SOURCE -p "$HELPER_PID"
	assert_output prlimit
}

@test "limit: raising another process's hard limit with CAP_SYS_RESOURCE" {
	have_sys_resource || skip "this root lacks CAP_SYS_RESOURCE (CapEff $(awk '/^CapEff:/ {print $2}' /proc/self/status))"
	start_helper prlimit --memlock=1048576:1048576 "$(helper)" --mlock 4096
	run -0 memlock limit -p "$HELPER_PID" --set 64M:128M
	assert_equal "$(prl "$HELPER_PID")" "67108864 134217728"
	run -0 memlock limit -p "$HELPER_PID" --set unlimited
	assert_equal "$(prl "$HELPER_PID")" "unlimited unlimited"
	run -0 memlock limit -J -p "$HELPER_PID"
	run jq -c '.limit | [.soft, .hard]' <<<"$output"
	assert_output '[null,null]'
}

@test "limit: unlimited is shown as such, and as \"unlimited\" in JSON" {
	run -0 memlock limit -p 1 -r -n -o PID
	assert_output 1
	if [ "$(prl 1)" = "unlimited unlimited" ]; then
		run -0 memlock limit -p 1 -r -n -o SOFT,HARD
		assert_output "unlimited unlimited"
		run -0 bash -c "'$MEMLOCK' limit -p 1 -J | jq -c '.limit | [.soft, .hard]'"
		assert_output '["unlimited","unlimited"]'
	fi
}

@test "limit: a pid that does not exist exits 3" {
	local gone
	sleep 0 & gone=$!
	wait "$gone"
	run -3 --separate-stderr memlock limit -p "$gone"
	assert_equal "$stderr" "memlock: cannot read the limits of pid $gone (?): no such process"
}

@test "limit: bad input exits 2 with one line naming it" {
	run -2 --separate-stderr memlock limit --set ''
	assert_equal "$stderr" "memlock: invalid limit '': not a number with an optional unit"
	run -2 --separate-stderr memlock limit --set :
	assert_equal "$stderr" "memlock: invalid limit ':': give SOFT:HARD, SOFT:, :HARD or VALUE"
	run -2 --separate-stderr memlock limit --set 8Q:
	assert_equal "$stderr" "memlock: invalid soft limit '8Q': not a number with an optional unit"
	run -2 --separate-stderr memlock limit --set 1M:x
	assert_equal "$stderr" "memlock: invalid hard limit 'x': not a number with an optional unit"
	run -2 --separate-stderr memlock limit --set 16E
	assert_equal "$stderr" "memlock: invalid limit '16E': out of range"
	run -2 --separate-stderr memlock limit -p 0
	assert_equal "$stderr" "memlock: invalid pid '0': not a positive decimal number"
	run -2 --separate-stderr memlock limit -p self
	assert_equal "$stderr" "memlock: invalid pid 'self': not a positive decimal number"
	run -2 --separate-stderr memlock limit --set 1M --raise
	assert_equal "$stderr" "memlock: --set and --raise do not go together"
	run -2 --separate-stderr memlock limit -p 1 -- true
	assert_equal "$stderr" "memlock: -p and a COMMAND do not go together: the COMMAND runs under the new limit"
	run -2 --separate-stderr memlock limit --min -1
	assert_equal "$stderr" "memlock: invalid size '-1': not a number with an optional unit"
	assert_equal "$output" ""
}
