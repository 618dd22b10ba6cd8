#!/usr/bin/env bats
# memlock status --users, --interval and --prometheus, against memory really
# locked and pinned: lock-helper, memlock lock, and lock-truth holding
# io_uring buffers; the Prometheus output read by a real parser.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	chmod 755 "$D"
	URING=
}

teardown() {
	stop_helpers
	if [ -n "${HOLDER:-}" ]; then
		kill "$HOLDER" 2>/dev/null && wait_gone "$HOLDER"
	fi
	[ -z "${SHMID:-}" ] || ipcrm -m "$SHMID" 2>/dev/null || true
	# io_uring charges of a user are released a moment after its exit.
	[ -z "$URING" ] || settle_uring
}

# The Prometheus text on stdin, parsed by prometheus_client: one line
# "NAME LABELS VALUE" a sample, labels as k=v joined by ';', sorted.
# Debian's python3-prometheus-client is installed for /usr/bin/python3
# (a python3 earlier in PATH may be another one).
prom_parse() {
	/usr/bin/python3 -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        labels = ";".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        print(s.name, labels or "-", repr(s.value))
'
}

uring_user_bytes() {
	# VmPin of the holder: io_uring pins its buffers there.
	proc_bytes "$1" VmPin
}

@test "status --users: a user's VmLck, VmPin and SHM_LOCK are the sums /proc shows" {
	start_helper "${NOBODY[@]}" "$(helper)" --onfault 1048576 --shm 2097152
	SHMID=$HELPER_SHMID
	local want_lck want_pin want_shm
	run -0 memlock status -u -J
	want_lck=$(awk 'FNR == 1 { u = -1 } /^Uid:/ { u = $2 } /^VmLck:/ { if (u == 65534) s += $2 * 1024 } END { print s + 0 }' /proc/[0-9]*/status 2>/dev/null)
	want_pin=$(awk 'FNR == 1 { u = -1 } /^Uid:/ { u = $2 } /^VmPin:/ { if (u == 65534) s += $2 * 1024 } END { print s + 0 }' /proc/[0-9]*/status 2>/dev/null)
	# perms are octal text: 02000 (SHM_LOCKED) is a thousands digit of 2 or 3.
	want_shm=$(awk 'NR > 1 && (int($3 / 1000) == 2 || int($3 / 1000) == 3) && $8 == 65534 { s += $4 } END { print s + 0 }' /proc/sysvipc/shm)
	run jq -c '.users[] | select(.uid == 65534) | [.vmlck, .vmpin, .shm_locked]' <<<"$output"
	assert_output "[$want_lck,$want_pin,$want_shm]"
	((want_shm >= 2097152))
	((want_lck >= 1048576))
}

@test "status --users: io_uring registered buffers of the user are counted (VmPin shows them too)" {
	URING=1
	local out pid
	out=$(mktemp "$D/truth.XXXXXX")
	"${NOBODY[@]}" "$TOP/tests/helpers/lock-truth" --hold 30 io_uring 262144 >"$out" &
	HOLDER=$!
	wait_line "$out" "^result=" || fail "lock-truth said nothing"
	assert_equal "$(cut -d' ' -f1 "$out")" "result=ok"
	pid=$HOLDER
	run -0 memlock status -u -J
	run jq -r '.users[] | select(.uid == 65534) | .io_uring' <<<"$output"
	# 256K of buffers, and (6.14 on) the ring's two pages.
	((output >= 262144)) || fail "io_uring of nobody is $output"
	((output <= 262144 + 8192)) || fail "io_uring of nobody is $output"
	(($(uring_user_bytes "$pid") >= 262144))
	run -0 memlock status -u
	assert_line --regexp "^nobody +65534 +[0-9]+ .* 25[6-9]K|^nobody +65534 +[0-9]+ .* 264K"
}

@test "status --users --prometheus: the user totals and per-process figures, through a real parser" {
	start_helper "${NOBODY[@]}" "$(helper)" --name 'evil"\name' --onfault 1048576
	bash -c "'$MEMLOCK' status --prometheus" | prom_parse >"$D/samples"
	run grep -F "memlock_process_locked_bytes command=evil\"\\name;pid=$HELPER_PID;user=nobody 1048576.0" "$D/samples"
	assert_success
	run grep -E "^memlock_user_locked_bytes uid=65534;user=nobody [0-9.]+$" "$D/samples"
	assert_success
	run grep -E "^memlock_system_mlocked_bytes - [0-9.]+$" "$D/samples"
	assert_success
	run grep -E "^memlock_process_limit_soft_bytes .*pid=1;.* (inf|[0-9.]+)$" "$D/samples"
	assert_success
}

@test "status --prometheus: a name with a newline and control bytes is escaped as the format wants" {
	start_helper "${NOBODY[@]}" "$(helper)" --name $'a\nb\033c' --onfault 4096
	"$MEMLOCK" status --prometheus >"$D/prom"
	! grep -q $'\033' "$D/prom" || fail "a raw ESC in the output"
	prom_parse <"$D/prom" >"$D/samples"
	run grep -F "memlock_process_locked_bytes command=a" "$D/samples"
	assert_success
	[[ $output == *'\x1bc'* ]] || fail "ESC not shown as \\x1b: $output"
}

@test "status --prometheus=FILE: written whole and atomically, 0644, no temporary left" {
	run -0 memlock status --prometheus="$D/memlock.prom"
	assert_output ""
	[ "$(stat -c %a "$D/memlock.prom")" = 644 ]
	prom_parse <"$D/memlock.prom" >/dev/null
	run ls -A "$D"
	refute_output --partial "memlock.prom."
	# Replaced, not appended, on the next run.
	run -0 memlock status --prometheus="$D/memlock.prom"
	[ "$(grep -c '^# TYPE memlock_system_locked_bytes' "$D/memlock.prom")" = 1 ]
	# A directory it cannot write: one line, exit 1, nothing left.
	run -1 --separate-stderr memlock status --prometheus="$D/nodir/x.prom"
	assert_equal "$stderr" "memlock: cannot write '$D/nodir/x.prom': No such file or directory"
}

@test "status --interval -J: one JSON object a line, each with its time, read line by line by jq" {
	run -0 bash -c "'$MEMLOCK' status --interval 100ms --count 3 -J | while IFS= read -r l; do jq -c '[(.time|test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$\")), (.processes|type), (.summary.vmlck|type)]' <<<\"\$l\" || exit 1; done"
	assert_output $'[true,"array","number"]\n[true,"array","number"]\n[true,"array","number"]'
	# The lines come as they are taken: the first before the last is due.
	run -0 bash -c "'$MEMLOCK' status -u --interval 300ms --count 2 -J | head -1 | jq -r '.users | type'"
	assert_output array
}

@test "status --interval in text: the first sample whole, then what changed" {
	"$MEMLOCK" status --interval 200ms >"$D/watch" &
	local w=$!
	# The first sample whole (its summary), then the helper; until its
	# line comes.
	wait_line "$D/watch" "^VmLck total" || fail "no first sample"
	start_helper "${NOBODY[@]}" "$(helper)" --onfault 2097152
	wait_line "$D/watch" "pid $HELPER_PID \(lock-helper\): new" || fail "no change seen"
	kill -TERM "$w"
	wait "$w"
	run cat "$D/watch"
	assert_line --index 1 --regexp "^ *PID USER"
	assert_output --regexp "pid $HELPER_PID \(lock-helper\): new, VmLck 2M, VmPin 0B"
	assert_output --regexp "VmLck total .*, was "
}

@test "status --interval: SIGTERM ends it after the sample in hand, exit 0" {
	"$MEMLOCK" status --interval 100ms -J >"$D/watch" &
	local w=$!
	wait_lines "$D/watch" 2 || fail "fewer than two samples"
	kill -TERM "$w"
	local rc=0
	wait "$w" || rc=$?
	assert_equal "$rc" 0
	run jq -s 'length > 1' "$D/watch"
	assert_output true
}

@test "status: bad uses of --users, --interval, --count and --prometheus exit 2 in one line" {
	run -2 --separate-stderr memlock status --count 3
	assert_equal "$stderr" "memlock: --count needs --interval"
	run -2 --separate-stderr memlock status --interval 0
	assert_equal "$stderr" "memlock: invalid interval '0': it must be more than 0"
	run -2 --separate-stderr memlock status --interval 1x
	assert_regex "$stderr" "^memlock: invalid duration '1x': "
	run -2 --separate-stderr memlock status --interval 1s --count 0
	assert_equal "$stderr" "memlock: invalid count '0': a positive decimal number"
	run -2 --separate-stderr memlock status --interval 1s --count -1
	assert_equal "$stderr" "memlock: invalid count '-1': a positive decimal number"
	run -2 --separate-stderr memlock status -u 1
	assert_equal "$stderr" "memlock: --users lists every user; it takes no pid and no --maps"
	run -2 --separate-stderr memlock status --prometheus -J
	assert_equal "$stderr" "memlock: --prometheus has its own format: no --maps, -J, -r, -P, -n or -o"
	run -2 --separate-stderr memlock status --prometheus=
	assert_equal "$stderr" "memlock: invalid file '' for --prometheus: an empty name"
	run -2 --separate-stderr memlock status --interval 1s -m 1
	assert_equal "$stderr" "memlock: --interval does not repeat --maps"
}

@test "status -u: -o, -r, -P and --list-columns=users" {
	run -0 memlock status --list-columns=users
	assert_line HEADROOM
	assert_line IO_URING
	run -0 memlock status -u -r -n -o USER,UID
	assert_line --regexp "^root 0$"
	run -0 memlock status -u -P -o USER,UID,LIMIT
	assert_line --regexp '^USER="root" UID="0" LIMIT="[^"]+"$'
}

@test "the shipped textfile-collector service: its ExecStart writes a file a Prometheus parser reads" {
	local cmd
	cmd=$(sed -n 's/^ExecStart=//p' "$TOP/systemd/memlock-textfile.service")
	[[ $cmd == /usr/local/bin/memlock\ status\ --prometheus=* ]] || fail "unexpected ExecStart: $cmd"
	cmd=${cmd/\/usr\/local\/bin\/memlock/$MEMLOCK}
	cmd=${cmd/\/var\/lib\/node_exporter\/textfile_collector/$D}
	run -0 $cmd
	prom_parse <"$D/memlock.prom" >"$D/samples"
	run grep -c "^memlock_system_locked_bytes " "$D/samples"
	assert_output 1
	grep -q '^OnUnitActiveSec=' "$TOP/systemd/memlock-textfile.timer"
}

@test "status --prometheus=FILE never replaces what is not a regular file; bad combinations exit 2" {
	mkfifo "$D/fifo.prom"
	ln -s "$D/real.prom" "$D/link.prom"
	for f in /dev/null "$D/fifo.prom" "$D/link.prom"; do
		run -2 --separate-stderr memlock status --prometheus="$f"
		assert_equal "$stderr" "memlock: refusing to write '$f': it is not a regular file, and --prometheus replaces FILE by renaming a new file over it"
	done
	[ -c /dev/null ] && [ -p "$D/fifo.prom" ] && [ -L "$D/link.prom" ]
	[ ! -e "$D/real.prom" ]
	run -2 --separate-stderr memlock status --prometheus -u
	assert_equal "$stderr" "memlock: --prometheus writes the per-user metrics already; no --users"
	run -2 --separate-stderr memlock status --prometheus --interval 1s
	assert_equal "$stderr" "memlock: --prometheus with --interval needs a FILE to rewrite: --prometheus=FILE"
	run -2 --separate-stderr memlock status -u --max 1K
	assert_equal "$stderr" "memlock: --min and --max check processes; they do not go with --users"
}

@test "status -u: SHM_LOCK is charged in whole pages; a ring set up with CAP_IPC_LOCK is charged to nobody" {
	URING=1
	start_helper "${NOBODY[@]}" "$(helper)" --shm 64
	SHMID=$HELPER_SHMID
	run -0 memlock status -u -J
	run jq -r '.users[] | select(.uid == 65534) | .shm_locked' <<<"$output"
	(( output % 4096 == 0 && output >= 4096 )) || fail "shm_locked $output is not whole pages"
	# Root with CAP_IPC_LOCK: its ring and buffers are not charged.
	local out
	out=$(mktemp "$D/truth.XXXXXX")
	"$TOP/tests/helpers/lock-truth" --hold 30 io_uring 1048576 >"$out" &
	HOLDER=$!
	wait_line "$out" "^result=" || fail "lock-truth said nothing"
	run -0 memlock status -u -J
	run jq -r '.users[] | select(.uid == 0) | .io_uring' <<<"$output"
	assert_output 0
}

@test "status -u --interval in text: each figure its own, and a user gone is said" {
	"$MEMLOCK" status -u -b --interval 200ms >"$D/watch" &
	local w=$!
	wait_line "$D/watch" "^USER " || fail "no first sample"
	start_helper "${NOBODY[@]}" "$(helper)" --onfault 16384
	wait_line "$D/watch" "user nobody: " || fail "no change of nobody seen"
	stop_helpers
	kill -TERM "$w"
	wait "$w"
	run cat "$D/watch"
	assert_output --regexp "user nobody: (new, )?VmLck [0-9]+(, was [0-9]+)?; VmPin [0-9]+; SHM [0-9-]+; io_uring [0-9-]+"
}
