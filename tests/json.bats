#!/usr/bin/env bats
# The JSON of every command has the shape its man page gives (JSON OUTPUT):
# one object, a single result an object, numbers as numbers, null only for
# what is not known, "unlimited" for an unlimited limit.

load test_helper

teardown() {
	stop_helpers
}

# The keys of the object FILTER selects, in order, with their JSON types:
# "pid:number command:string ...".
shape() {
	jq -r "$1 | to_entries | map(\"\\(.key):\\(.value | type)\") | join(\" \")" <<<"$JSON"
}

# JSON of the command, checked to be one object.
json_of() {
	JSON=$(memlock "$@") || true
	jq -e 'type == "object"' <<<"$JSON" >/dev/null || fail "not one JSON object: $JSON"
}

limit_type() {
	jq -r 'if type == "string" then . else type end' <<<"$1"
}

@test "pages -J: pages[] and shared[]" {
	json_of pages -J 0x1000 100 0x1200 100 0 0
	run shape .
	assert_output "pages:array shared:array"
	run shape '.pages[0]'
	assert_output "addr:number len:number start:number end:number last:number pages:number bytes:number extra:number result:string shared:number note:string"
	# Nothing locked: no last byte.
	run shape '.pages[2]'
	assert_output "addr:number len:number start:number end:number last:null pages:number bytes:number extra:number result:string shared:number note:string"
	run shape '.shared[0]'
	assert_output "ranges:string pages:number first:number last:number"
	# A range whose end wraps: no end, no last byte.
	json_of pages -J 0xfffffffffffff000 0x2000
	run shape '.pages[0]'
	assert_output "addr:number len:number start:number end:null last:null pages:number bytes:number extra:null result:string shared:number note:string"
}

@test "status -J: processes[] and the summary object" {
	start_helper "$(helper)" --mlock 8192
	json_of status -J
	run shape .
	assert_output "processes:array summary:object"
	run jq -r --argjson p "$HELPER_PID" '.processes[] | select(.pid == $p) | to_entries | map("\(.key):\(.value | type)") | join(" ")' <<<"$JSON"
	assert_output "pid:number user:string command:string vmlck:number vmpin:number limit:number use%:number cap:boolean"
	run shape .summary
	assert_output "processes:number vmlck:number vmpin:number unreadable:number mlocked:number unevictable:number shm_locked:number shm_segments:number"
	# With PIDs: no summary.
	json_of status -J "$HELPER_PID"
	run shape .
	assert_output "processes:array"
	# Every column.
	json_of status -J --output-all "$HELPER_PID"
	run shape '.processes[0]'
	assert_output "pid:number user:string uid:number command:string vmlck:number vmpin:number limit:number hard:number use%:number cap:boolean vmsize:number vmrss:number"
}

@test "status -J: an unlimited limit is \"unlimited\", an unread one null" {
	local pid
	# Raising a limit to unlimited needs CAP_SYS_RESOURCE: find a process
	# that has it unlimited already.
	pid=$(awk '/^Max locked memory/ && $4 == "unlimited" && $5 == "unlimited" { split(FILENAME, p, "/"); print p[3]; exit }' /proc/[0-9]*/limits 2>/dev/null)
	[ -n "$pid" ] || skip "no process here has an unlimited RLIMIT_MEMLOCK, and raising one needs CAP_SYS_RESOURCE"
	json_of status -J -o PID,LIMIT,HARD,USE% "$pid"
	run jq -c '.processes[0]' <<<"$JSON"
	assert_output "{\"pid\":$pid,\"limit\":\"unlimited\",\"hard\":\"unlimited\",\"use%\":null}"
}

@test "status -J: a process that may not be read is its pid, and null for the rest" {
	unshare -m true 2>/dev/null || skip "no mount namespaces here"
	start_helper "$(helper)" --mlock 4096
	# /proc with hidepid=1: the process is listed, its files are closed.
	JSON=$(unshare -m sh -c 'mount -t proc -o hidepid=1 proc /proc && exec "$@"' sh \
		"${NOBODY[@]}" "$MEMLOCK" status -J -o PID,COMMAND,VMLCK,CAP "$HELPER_PID") && fail "exit 0"
	run jq -c '.processes' <<<"$JSON"
	assert_output "[{\"pid\":$HELPER_PID,\"command\":null,\"vmlck\":null,\"cap\":null}]"
}

@test "status -m PID -J: the process object and maps[]" {
	start_helper "$(helper)" --mlock 8192
	json_of status -J -m "$HELPER_PID"
	run shape .
	assert_output "process:object maps:array"
	run shape .process
	assert_output "pid:number command:string vmlck:number vmpin:number"
	run shape '.maps[0]'
	assert_output "start:number end:number perms:string size:number rss:number locked:number onfault:boolean path:string"
	# An anonymous mapping has a path, and it is empty: known, not null.
	run jq -r '[.maps[].path] | map(type) | unique | join(" ")' <<<"$JSON"
	assert_output "string"
	json_of status -J --output-all -m "$HELPER_PID"
	run shape '.maps[0]'
	assert_output "start:number end:number perms:string size:number rss:number locked:number onfault:boolean flags:string path:string"
}

@test "limit -J: one object, limit" {
	json_of limit -J
	run shape .
	assert_output "limit:object"
	run shape .limit
	assert_output "pid:number command:string soft:$(limit_type "$(jq .limit.soft <<<"$JSON")") hard:$(limit_type "$(jq .limit.hard <<<"$JSON")") vmlck:number"
	json_of limit -J --output-all -p $$
	run jq -r '.limit | keys_unsorted | join(" ")' <<<"$JSON"
	assert_output "pid command old_soft old_hard soft hard vmlck use% source"
	run jq -r '.limit | [.old_soft, .old_hard] | map(type) | join(" ")' <<<"$JSON"
	# Not changed: nothing old to show.
	assert_output "null null"
	json_of limit -J -p $$ --raise
	run jq -r '.limit | keys_unsorted | join(" ")' <<<"$JSON"
	assert_output "pid command old_soft old_hard soft hard"
}

@test "doctor -J: checks[], the verdict object, remedies[] of strings" {
	json_of doctor -J 1M
	run shape .
	assert_output "checks:array verdict:object provenance:object chain:array evidence:array user:object mode:object remedies:array"
	run shape '.checks[0]'
	assert_output "check:string result:string detail:string"
	run shape .verdict
	assert_output "result:string errno:string mode:string pid:number command:string size:number charge:number headroom:null probe:null probe_agrees:null probe_context:null believe:null text:string"
	pick_limits
	JSON=$(prlimit --memlock=$LIM_SOFT:$LIM_HARD "${NOBODY[@]}" "$MEMLOCK" doctor -J --probe 1G) || true
	run shape .verdict
	assert_output "result:string errno:string mode:string pid:number command:string size:number charge:number headroom:number probe:string probe_agrees:boolean probe_context:string believe:null text:string"
	run jq -r '[.verdict.result, .verdict.errno, (.remedies | length > 0), (.remedies | map(type) | unique | join(","))] | map(tostring) | join(" ")' <<<"$JSON"
	assert_output "fail ENOMEM true string"
	# Without a size: no size, no charge.
	JSON=$(prlimit --memlock=$LIM_SOFT:$LIM_HARD "${NOBODY[@]}" "$MEMLOCK" doctor -J) || true
	run jq -c '[.verdict.size, .verdict.charge, (.verdict.headroom | type)]' <<<"$JSON"
	assert_output '[null,null,"number"]'
}

@test "lock -J: locked[] and the summary object" {
	local f="$BATS_TEST_TMPDIR/f"
	head -c 8192 /dev/urandom >"$f"
	json_of lock -t 0 -J "$f"
	run shape .
	assert_output "locked:array summary:object"
	run shape '.locked[0]'
	assert_output "target:string bytes:number pages:number time:number result:string"
	run shape .summary
	assert_output "pid:number regions:number bytes:number time:number vmlck:number holding:string"
	json_of lock -t 0 -J --output-all --anon 8K
	run shape '.locked[0]'
	assert_output "target:string offset:null bytes:number pages:number time:number result:string"
}

@test "-P: every listing writes KEY=\"value\" pairs, one line a row, as lsblk -P" {
	local c
	for c in "pages 0 4096" "status -a" "status -u" "status -m $$ -a" "limit" "doctor 1M" "lock -t 0 --anon 4K" "files $TOP/README.md"; do
		# shellcheck disable=SC2086
		run memlock $c -P
		[ "$status" -le 1 ] || fail "memlock $c -P: exit $status"
		[ -n "$output" ] || fail "memlock $c -P: nothing"
		while IFS= read -r line; do
			[[ $line =~ ^[A-Z_][A-Z0-9_]*=\"[^\"]*\"( [A-Z_][A-Z0-9_]*=\"[^\"]*\")*$ ]] ||
				fail "memlock $c -P: not pairs: $line"
		done <<<"$output"
	done
}
