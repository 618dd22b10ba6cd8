#!/usr/bin/env bats
# memlock lock as a service: SIGHUP reloads, a held file replaced on disk is
# locked again by itself, READY=1 through the sd_notify protocol only once
# the kernel counts every lock, the shipped unit and sample configuration,
# a tree beyond vm.max_map_count, and RLIMIT_NOFILE of 256.  What is held is
# read back from the holder's own smaps; the service manager's side is
# tests/helpers/notify-listen.py, which reads the sender's VmLck the moment
# each datagram arrives.

load test_helper

setup() {
	holders_setup reload
}

teardown() {
	holders_teardown
}

# "INODE LOCKED_KB" for each mapping of PATH in PID's smaps.
mappings_of() {
	awk -v p="$2" '/^[0-9a-f]+-[0-9a-f]+ / { ino = ($6 == p || $6 " " $7 == p " (deleted)") ? $5 : "" }
		/^Locked:/ && ino != "" { print ino, $2 }' "/proc/$1/smaps"
}

# Whether the mapping of PATH in PID's smaps has LOCKED_KB locked.
locked_kb_is() {
	[ "$(mappings_of "$1" "$2" | awk '{ print $2 }')" = "$3" ]
}

# Whether the Nth RELOADING=1 of $D/log is followed by a READY=1: the
# Nth reload the service manager was told of is over.
reloaded() {
	awk -v n="$1" '/RELOADING=1/ { r++ } /READY=1/ && r == n { ok = 1 } END { exit !ok }' "$D/log"
}

# A tree under DIR: NDIRS directories of NFILES files of SIZE random bytes.
make_tree() {
	/usr/bin/python3 -c 'import os, sys
top, ndirs, nfiles, size = sys.argv[1], *map(int, sys.argv[2:])
for d in range(ndirs):
    os.makedirs(f"{top}/{d:03d}", exist_ok=True)
    for i in range(nfiles):
        with open(f"{top}/{d:03d}/file{i:04d}", "wb") as f:
            f.write(os.urandom(size) if size > 1 else b"x")' "$@"
}

# notify_hold ARGS...: `memlock lock ARGS` under a stand-in service manager,
# with stdout in $D/out and stderr in $D/err; waits for the first datagram
# or the end, and sets HOLDER to memlock's pid.
notify_hold() {
	/usr/bin/python3 "$TOP/tests/helpers/notify-listen.py" "$D/sock" "$D/log" \
		"$MEMLOCK" lock "$@" >"$D/out" 2>"$D/err" &
	LISTENER=$!
	PIDS+=("$LISTENER")
	wait_line "$D/log" "^(from|exit) " || fail "no datagram and no end: $(cat "$D/log" "$D/err")"
	HOLDER=$(awk '$1 == "pid" { print $2; exit }' "$D/log")
	PIDS+=("$HOLDER")
}

@test "READY=1 comes only once every lock is in place: the holder's VmLck then is the whole" {
	head -c 67108864 /dev/urandom >"$D/big"
	head -c 12288 /dev/urandom >"$D/small"
	notify_hold "$D/big" "$D/small"
	# The first datagram is READY=1, sent from memlock itself, and the
	# kernel already counted both files locked when it arrived.
	run -0 grep '^from' "$D/log"
	assert_line --index 0 "from $HOLDER vmlck 67121152: READY=1 | STATUS=holding 64M in 2 regions (VmLck 64M) | MAINPID=$HOLDER"
	kill -TERM "$HOLDER"
	wait_line "$D/log" "^exit " || fail "memlock did not end"
	run -0 tail -n 2 "$D/log"
	# Sent as it lets go: its VmLck then may be any, or gone.
	assert_line --index 0 --regexp "^from $HOLDER vmlck -?[0-9]+: STOPPING=1$"
	assert_line --index 1 "exit 0"
}

@test "--daemon under a service manager: READY=1 and MAINPID come from the holder, not the parent" {
	head -c 8192 /dev/urandom >"$D/f"
	notify_hold -d --pidfile "$D/pid" "$D/f"
	wait_line "$D/log" "^exit " || fail "the parent did not return"
	local child
	child=$(cat "$D/pid")
	PIDS+=("$child")
	run -0 grep '^from\|^exit' "$D/log"
	assert_line --index 0 "from $child vmlck 8192: READY=1 | STATUS=holding 8K in 1 region (VmLck 8K) | MAINPID=$child"
	assert_line --index 1 "exit 0"
	[ "$child" != "$HOLDER" ] || fail "the daemon is the parent"
}

@test "no READY=1 when the locks fail: a missing file, a bad configuration line" {
	notify_hold "$D/nothing-here"
	wait_line "$D/log" "^exit " || fail "memlock did not end"
	run -0 cat "$D/log"
	refute_output --partial "READY=1"
	assert_line "exit 2"
	printf '%s\n' "+" >"$D/conf"
	rm -f "$D/sock" "$D/log"
	notify_hold -c "$D/conf"
	wait_line "$D/log" "^exit " || fail "memlock did not end"
	run -0 cat "$D/log"
	refute_output --partial "READY=1"
	assert_line "exit 2"
}

@test "SIGHUP after editing the configuration: the added file locked, the removed released, one line" {
	head -c 8192 /dev/urandom >"$D/a"
	head -c 16384 /dev/urandom >"$D/b"
	head -c 4096 /dev/urandom >"$D/c"
	printf '%s\n' "$D/a" "$D/b" >"$D/conf"
	notify_hold -c "$D/conf"
	assert_equal "$(locked_files "$HOLDER")" "$(printf '%s\n' "$D/a" "$D/b")"
	printf '# b is gone, c is new\n%s\n%s\n' "$D/a" "$D/c" >"$D/conf"
	kill -HUP "$HOLDER"
	wait_for reloaded 1 || fail "no READY=1 after the reload: $(cat "$D/log")"
	assert_equal "$(locked_files "$HOLDER")" "$(printf '%s\n' "$D/a" "$D/c")"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 12288
	run -0 cat "$D/err"
	assert_output "memlock: reload (SIGHUP): 1 new locked, 1 released, 0 replaced on disk and locked again, 0 could not be locked; holding 12K in 2 regions (VmLck 12K)"
	# The service manager was told around it, RELOADING=1 first.
	run -0 grep -o 'RELOADING=1\|READY=1 | STATUS=[^|]*' "$D/log"
	assert_output "READY=1 | STATUS=holding 24K in 2 regions (VmLck 24K) 
RELOADING=1
READY=1 | STATUS=holding 12K in 2 regions (VmLck 12K)"
	# SIGHUP no longer ends the hold; a bad line keeps what is held.
	printf '%s\n' "+" >>"$D/conf"
	kill -HUP "$HOLDER"
	wait_for reloaded 2 || fail "no READY=1 after the second reload"
	run -0 tail -n 1 "$D/err"
	assert_output "memlock: reload (SIGHUP): $D/conf:4: '+' and '?' need a PATH after them; still holding what was held"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 12288
	kill -TERM "$HOLDER"
	wait_line "$D/log" "^exit " && run -0 tail -n 1 "$D/log"
	assert_output "exit 0"
}

@test "a library replaced by rename while held is locked again, without SIGHUP" {
	command -v cc >/dev/null || skip "no C compiler here"
	mkdir "$D/lib"
	printf 'int f(void) { return 1; }\n' >"$D/f1.c"
	printf 'int f(void) { return 2; } int g(void) { return 3; }\n' >"$D/f2.c"
	printf 'int f(void); int main(void) { return f(); }\n' >"$D/m.c"
	cc -shared -fPIC -o "$D/lib/libmemlockt.so" "$D/f1.c"
	cc -o "$D/prog" "$D/m.c" -L"$D/lib" -lmemlockt -Wl,-rpath,"$D/lib"
	printf '+%s\n' "$D/prog" >"$D/conf"
	notify_hold -c "$D/conf"
	local old new
	old=$(stat -c %i "$D/lib/libmemlockt.so")
	run -0 mappings_of "$HOLDER" "$D/lib/libmemlockt.so"
	assert_output --regexp "^$old [1-9][0-9]*$"
	# An upgrade as dpkg does it: the new file written beside the old one,
	# then renamed over it.
	cc -shared -fPIC -o "$D/lib/libmemlockt.so.dpkg-new" "$D/f2.c"
	mv "$D/lib/libmemlockt.so.dpkg-new" "$D/lib/libmemlockt.so"
	new=$(stat -c %i "$D/lib/libmemlockt.so")
	wait_line "$D/err" "held files changed on disk" || fail "not noticed: $(cat "$D/err")"
	run -0 mappings_of "$HOLDER" "$D/lib/libmemlockt.so"
	assert_output --regexp "^$new [1-9][0-9]*$"
	refute_output --partial "$old "
	run -0 cat "$D/err"
	assert_output --regexp "^memlock: held files changed on disk: 0 new locked, 0 released, 1 replaced on disk and locked again, 0 could not be locked; holding [0-9.]+[KM] in [0-9]+ regions \(VmLck [0-9.]+[KM]\)$"
	# Not a reload the service manager asked for: no RELOADING=1.
	run -1 grep -c "RELOADING=1" "$D/log"
	assert_output 0
}

@test "a held file deleted from disk is released by itself; one written in place stays locked" {
	head -c 8192 /dev/urandom >"$D/a"
	head -c 8192 /dev/urandom >"$D/b"
	notify_hold "$D/a" "$D/b"
	rm "$D/a"
	wait_line "$D/err" "held files changed on disk" || fail "not noticed: $(cat "$D/err")"
	assert_equal "$(locked_files "$HOLDER")" "$D/b"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 8192
	run -0 cat "$D/err"
	assert_line --index 0 "memlock: held files changed on disk: cannot open '$D/a': No such file or directory"
	assert_line --index 1 "memlock: held files changed on disk: 0 new locked, 1 released, 0 replaced on disk and locked again, 1 could not be locked; holding 8K in 1 region (VmLck 8K)"
	# Rewritten in place (same inode, same size): the truncation took the
	# locked pages from the page cache; the holder locks the new ones.
	local ino
	ino=$(stat -c %i "$D/b")
	head -c 8192 /dev/urandom >"$D/b"
	wait_for locked_kb_is "$HOLDER" "$D/b" 8 || fail "not locked again: $(mappings_of "$HOLDER" "$D/b")"
	assert_equal "$(mappings_of "$HOLDER" "$D/b")" "$ino 8"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 8192
}

@test "a reload keeps a file's old copy when its new copy cannot be locked, and says so" {
	head -c 8192 /dev/urandom >"$D/a"
	chmod 644 "$D/a"
	prlimit --memlock=16384:16384 "${NOBODY[@]}" \
		"$MEMLOCK" lock "$D/a" >"$D/out" 2>"$D/err" &
	HOLDER=$!
	PIDS+=("$HOLDER")
	wait_line "$D/out" "^locked " || fail "no report: $(cat "$D/err")"
	local old
	old=$(stat -c %i "$D/a")
	# The new copy is beyond the 16K limit of this user.
	head -c 32768 /dev/urandom >"$D/a.new"
	chmod 644 "$D/a.new"
	mv "$D/a.new" "$D/a"
	wait_line "$D/err" "held files changed on disk: 0 new locked" || fail "not noticed: $(cat "$D/err")"
	run -0 cat "$D/err"
	assert_line --index 0 "memlock: held files changed on disk: cannot lock '$D/a' (32K): mlock: Cannot allocate memory (ENOMEM)"
	assert_line --regexp "^memlock: held files changed on disk: 0 new locked, 0 released, 0 replaced on disk and locked again, 1 could not be locked \(for 1 replaced on disk, the old copy stays held\); holding 8K in 1 region \(VmLck 8K\)$"
	assert_equal "$(mappings_of "$HOLDER" "$D/a")" "$old 8"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 8192
}

@test "a reload locks the new files that fit in memory and refuses the rest in one line" {
	head -c 8192 /dev/urandom >"$D/a"
	head -c 4096 /dev/urandom >"$D/b"
	truncate -s 8T "$D/sparse"
	printf '%s\n' "$D/a" >"$D/conf"
	notify_hold -c "$D/conf"
	printf '%s\n' "$D/a" "$D/sparse" "$D/b" >"$D/conf"
	kill -HUP "$HOLDER"
	wait_for reloaded 1 || fail "no READY=1 after the reload"
	run -0 cat "$D/err"
	assert_line --index 0 --regexp "^memlock: reload \(SIGHUP\): refusing to lock 8T in 1 file: "
	assert_line --index 1 "memlock: reload (SIGHUP): 1 new locked, 0 released, 0 replaced on disk and locked again, 1 could not be locked; holding 12K in 2 regions (VmLck 12K)"
	assert_equal "$(locked_files "$HOLDER")" "$(printf '%s\n' "$D/a" "$D/b")"
}

@test "--files-from -: a reload takes the list read at start again; an unreadable list keeps what is held" {
	head -c 8192 /dev/urandom >"$D/a"
	head -c 4096 /dev/urandom >"$D/b"
	printf '%s\n' "$D/a" | {
		/usr/bin/python3 "$TOP/tests/helpers/notify-listen.py" "$D/sock" "$D/log" \
			"$MEMLOCK" lock --files-from - >"$D/out" 2>"$D/err" &
		echo $! >"$D/listener"
	}
	PIDS+=("$(cat "$D/listener")")
	wait_line "$D/log" "READY=1" || fail "not ready: $(cat "$D/err")"
	HOLDER=$(awk '$1 == "pid" { print $2; exit }' "$D/log")
	PIDS+=("$HOLDER")
	kill -HUP "$HOLDER"
	wait_for reloaded 1 || fail "no READY=1 after the reload"
	run -0 cat "$D/err"
	assert_output "memlock: reload (SIGHUP): 0 new locked, 0 released, 0 replaced on disk and locked again, 0 could not be locked; holding 8K in 1 region (VmLck 8K)"
	assert_equal "$(locked_files "$HOLDER")" "$D/a"
	# A list file that is gone at a reload says nothing of the files.
	printf '%s\n' "$D/b" >"$D/list"
	rm -f "$D/sock" "$D/log"
	notify_hold --files-from "$D/list"
	rm "$D/list"
	kill -HUP "$HOLDER"
	wait_for reloaded 1 || fail "no READY=1 after the reload"
	run -0 cat "$D/err"
	assert_line --index 0 "memlock: reload (SIGHUP): cannot read the list '$D/list': No such file or directory"
	assert_line --index 1 "memlock: reload (SIGHUP): still holding what was held"
	assert_equal "$(locked_files "$HOLDER")" "$D/b"
}

@test "a held name that is a symbolic link: its target replaced is locked again, without SIGHUP" {
	mkdir "$D/lib" "$D/real"
	head -c 10000 /dev/urandom >"$D/real/libx.so.1.2"
	ln -s ../real/libx.so.1.2 "$D/lib/libx.so.1"
	notify_hold "$D/lib/libx.so.1"
	head -c 20000 /dev/urandom >"$D/real/new"
	mv "$D/real/new" "$D/real/libx.so.1.2"
	wait_line "$D/err" "held files changed on disk" || fail "not noticed: $(cat "$D/err")"
	run -0 mappings_of "$HOLDER" "$D/real/libx.so.1.2"
	assert_output "$(stat -c %i "$D/real/libx.so.1.2") 20"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 20480
}

@test "SIGTERM during a reload: it ends cleanly, exit 0, nothing left behind" {
	head -c 8192 /dev/urandom >"$D/a"
	mkdir "$D/tree"
	make_tree "$D/tree" 30 100 8192
	printf '%s\n' "$D/a" >"$D/conf"
	notify_hold --pidfile "$D/pf" -c "$D/conf"
	printf '%s\n' "$D/tree" >>"$D/conf"
	kill -HUP "$HOLDER"
	wait_line "$D/log" "RELOADING=1" || fail "no reload began"
	kill -TERM "$HOLDER"
	wait_line "$D/log" "^exit " || fail "memlock did not end"
	run -0 tail -n 1 "$D/log"
	assert_output "exit 0"
	wait_gone "$HOLDER"
	[ ! -e "$D/pf" ] || fail "the pidfile was left behind"
	# Whether the reload stopped short or had finished, one line says so.
	run -0 cat "$D/err"
	assert_output --regexp "^memlock: reload \(SIGHUP\): [0-9]+ new locked, 0 released, 0 replaced on disk and locked again, 0 could not be locked( \(stopped short: ending\))?; holding [0-9.]+[KM] in [0-9]+ regions? \(VmLck [0-9.]+[KM]\)$"
}

@test "RLIMIT_NOFILE of 256: a 2,000-file tree held, reloaded, and a replaced file locked again" {
	mkdir "$D/tree"
	make_tree "$D/tree" 20 100 4096
	/usr/bin/python3 "$TOP/tests/helpers/notify-listen.py" "$D/sock" "$D/log" \
		bash -c 'ulimit -n 256 && exec "$@"' _ "$MEMLOCK" lock -r "$D/tree" >"$D/out" 2>"$D/err" &
	PIDS+=($!)
	wait_line "$D/log" "^(from|exit) " || fail "no datagram and no end"
	HOLDER=$(awk '$1 == "pid" { print $2; exit }' "$D/log")
	PIDS+=("$HOLDER")
	run -0 awk '$1 == "Max" && $2 == "open" { print $4 }' "/proc/$HOLDER/limits"
	assert_output 256
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" $((2000 * 4096))
	(($(ls "/proc/$HOLDER/fd" | wc -l) < 20)) || fail "descriptors kept: $(ls "/proc/$HOLDER/fd" | wc -l)"
	head -c 8192 /dev/urandom >"$D/new" && mv "$D/new" "$D/tree/007/file0007"
	wait_line "$D/err" "held files changed on disk" || fail "not noticed: $(cat "$D/err")"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" $((1999 * 4096 + 8192))
	kill -HUP "$HOLDER"
	wait_for reloaded 1 || fail "no READY=1 after the reload"
	run -0 tail -n 1 "$D/err"
	assert_output "memlock: reload (SIGHUP): 0 new locked, 0 released, 0 replaced on disk and locked again, 0 could not be locked; holding 7.8M in 2000 regions (VmLck 7.8M)"
}

@test "a holder of 20,000 files keeps about 100 bytes a file of its own (RssAnon), once ready" {
	[ -z "${MEMLOCK_SANITIZED:-}" ] || skip "ASan's shadow memory is not memlock's"
	mkdir "$D/tree"
	make_tree "$D/tree" 200 100 1
	notify_hold --anon 4K
	local base
	base=$(proc_bytes "$HOLDER" RssAnon)
	kill -TERM "$HOLDER"
	wait_line "$D/log" "^exit " || fail "memlock did not end"
	rm -f "$D/sock" "$D/log"
	notify_hold -r "$D/tree"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" $((20000 * 4096))
	local per=$((($(proc_bytes "$HOLDER" RssAnon) - (base - 4096)) / 20000))
	((per <= 128)) || fail "$per bytes a file"
}

@test "RLIMIT_NOFILE of 5: no signalfd, said in one line; SIGHUP still reloads and SIGTERM still ends it" {
	head -c 8192 /dev/urandom >"$D/f"
	# Only 0-2 open, then a limit of 5: /proc and the inotify take 3 and 4.
	bash -c 'for n in $(ls /proc/$$/fd); do
			((n > 2)) && [ -e "/proc/$$/fd/$n" ] && eval "exec $n>&-"
		done
		ulimit -n 5 && exec "$@"' _ "$MEMLOCK" lock --no-guard "$D/f" >"$D/out" 2>"$D/err" &
	HOLDER=$!
	PIDS+=("$HOLDER")
	wait_line "$D/err" "signalfd" || fail "nothing said: $(cat "$D/err")"
	run -0 cat "$D/err"
	assert_output "memlock: cannot wait for signals and files together (signalfd: Too many open files): a held file replaced on disk is locked again only on SIGHUP"
	assert_equal "$(proc_bytes "$HOLDER" VmLck)" 8192
	kill -HUP "$HOLDER"
	wait_line "$D/err" "reload \\(SIGHUP\\)" || fail "no reload: $(cat "$D/err")"
	run -0 tail -n 1 "$D/err"
	assert_output "memlock: reload (SIGHUP): 0 new locked, 0 released, 0 replaced on disk and locked again, 0 could not be locked; holding 8K in 1 region (VmLck could not be read)"
	kill -TERM "$HOLDER"
	local rc=0
	wait "$HOLDER" || rc=$?
	assert_equal "$rc" 0
}

@test "70,000 files: what vm.max_map_count allows, said in one line; without -k nothing stays" {
	local max
	max=$(cat /proc/sys/vm/max_map_count)
	((max < 69000)) || skip "vm.max_map_count is $max here: 70,000 files fit"
	make_tree "$D" 70 1000 1
	run -1 --separate-stderr memlock lock -t 0 -J -r "$D"
	assert_regex "$stderr" "^memlock: 70000 files need 70000 mappings, but vm.max_map_count is $max and memlock has [0-9]+ already and keeps 32 for itself: [0-9]+ fit; raise it: 'sysctl -w vm.max_map_count=[0-9]+'$"
	assert_equal "$output" ""
	run -1 --separate-stderr memlock lock -t 0 -k -J -r "$D"
	assert_regex "$stderr" "^memlock: 70000 files need 70000 mappings, but vm.max_map_count is $max and memlock has [0-9]+ already and keeps 32 for itself: ([0-9]+) fit and are locked; raise it: 'sysctl -w vm.max_map_count=[0-9]+'$"
	local fit json=$output
	fit=$(sed -E 's/.*: ([0-9]+) fit and are locked.*/\1/' <<<"$stderr")
	((fit > 60000)) || fail "only $fit fit"
	run -0 jq '[.locked[] | select(.result == "locked")] | length' <<<"$json"
	assert_output "$fit"
	run -0 jq '[.locked[] | select(.result == "not tried")] | length' <<<"$json"
	assert_output $((70000 - fit))
	run -0 jq '.summary.vmlck == .summary.bytes and .summary.regions == '"$fit" <<<"$json"
	assert_output true
}

@test "the shipped unit: Type=notify, reload by SIGHUP, its ExecStart ready with the sample configuration" {
	local unit="$TOP/systemd/memlock-hold.service" cmd
	run -0 grep -E '^(Type|ExecReload|AmbientCapabilities|CapabilityBoundingSet|NoNewPrivileges|ProtectSystem)=' "$unit"
	assert_output 'Type=notify
ExecReload=/bin/kill -HUP $MAINPID
AmbientCapabilities=CAP_IPC_LOCK
CapabilityBoundingSet=CAP_IPC_LOCK CAP_DAC_READ_SEARCH CAP_SYS_PTRACE
NoNewPrivileges=yes
ProtectSystem=strict'
	cmd=$(sed -n 's/^ExecStart=//p' "$unit")
	assert_equal "$cmd" "/usr/local/bin/memlock lock -c /etc/memlock.d"
	mkdir "$D/memlock.d"
	cp "$TOP/systemd/memlock.d/login.conf" "$D/memlock.d/"
	cmd=${cmd/\/usr\/local\/bin\/memlock/$MEMLOCK}
	cmd=${cmd/\/etc\/memlock.d/$D/memlock.d}
	# Under the unit's capabilities only, without new privileges.
	/usr/bin/python3 "$TOP/tests/helpers/notify-listen.py" "$D/sock" "$D/log" \
		setpriv --bounding-set=-all,+ipc_lock,+dac_read_search,+sys_ptrace --no-new-privs \
		$cmd >"$D/out" 2>"$D/err" &
	PIDS+=($!)
	wait_line "$D/log" "^(from|exit) " || fail "no datagram and no end"
	HOLDER=$(awk '$1 == "pid" { print $2; exit }' "$D/log")
	PIDS+=("$HOLDER")
	run -0 grep '^from' "$D/log"
	assert_output --regexp "^from $HOLDER vmlck [1-9][0-9]*: READY=1 \| STATUS=holding "
	# bash and the loader it names are held, as the sample says.
	run -0 locked_files "$HOLDER"
	assert_line "$(readlink -f /bin/bash)"
	kill -HUP "$HOLDER"
	wait_for reloaded 1 || fail "no READY=1 after the reload"
	run -0 cat "$D/err"
	assert_output --regexp "^memlock: reload \(SIGHUP\): 0 new locked, 0 released, 0 replaced on disk and locked again, 0 could not be locked; holding "
}
