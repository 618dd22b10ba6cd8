#!/usr/bin/env bats
# Every command under valgrind's memcheck: no invalid access, no leak.
# valgrind exits 99 on an error; memlock's own status comes through otherwise.

load test_helper

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		"$MEMLOCK" "$@"
}

setup() {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	[ -z "${MEMLOCK_SANITIZED:-}" ] || skip "valgrind cannot run the ASan build (make sanitize checks it instead)"
}

@test "memcheck: pages, text, JSON, raw, all columns" {
	run -0 vg pages 2000 4000 0 100 512 100
	run -0 vg pages -J --output-all 2000 4000 0 0
	run -0 vg pages -r -o +NOTE,SHARED --page-size 2M 0x1000 1M
	run -1 vg pages 0xfffffffffffff000 1 0 0xffffffffffffffff
}

@test "memcheck: usage errors and help" {
	run -2 vg pages 1KK 1
	run -2 vg pages --bogus
	run -2 vg pages -o NOPE 1 2
	run -2 vg bogus
	run -0 vg --help
	run -0 vg pages --help
}

@test "memcheck: status, its maps and totals, and limit" {
	run -0 vg status
	run -0 vg status -a -J --output-all
	run -0 vg status -m $$ -a
	run -0 vg status -J -m $$
	run -3 vg status 2147483647
	run -0 vg limit
	run -0 vg limit -p 1 -J --output-all
	run -0 vg limit --set 4M -- true
	run -127 vg limit -- /nonexistent
}

@test "memcheck: doctor, with the probe, and lock" {
	local f
	f=$(mktemp "$BATS_TEST_TMPDIR/f.XXXXXX")
	head -c 65536 /dev/urandom >"$f"
	run -0 vg doctor
	run -0 vg doctor 64M --probe
	run -0 vg doctor -J --mode mlockall -p $$ 4K
	run -1 prlimit --memlock=0:0 "${NOBODY[@]}" valgrind -q --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite "$MEMLOCK" doctor --probe 4K
	run -0 vg lock -t 0 "$f"
	run -0 vg lock -t 0 -J --range 4096:100 "$f"
	# (--onfault is left out: valgrind 3.19 does not know mlock2(2) and
	# fails it with EINVAL.)
	run -0 vg lock -t 0 --anon 1M
	run -0 vg lock -t 0 -r "$BATS_TEST_TMPDIR"
	run -2 vg lock "$BATS_TEST_TMPDIR/missing"
	run -1 prlimit --memlock=0:0 "${NOBODY[@]}" valgrind -q --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite "$MEMLOCK" lock -t 0 /etc/passwd
}

@test "memcheck: sharing groups, the guard, trees, pidfiles, thresholds" {
	local d="$BATS_TEST_TMPDIR" i
	run -0 vg pages 0 8192 4096 8192 100000 10 100000 5 1 1
	run -0 vg pages -J 0 16384 0 4096 12288 4096
	mkdir "$d/tree" "$d/tree/sub"
	for ((i = 0; i < 40; i++)); do echo "$i" >"$d/tree/f$i"; done
	ln "$d/tree/f1" "$d/tree/sub/link"
	run -0 vg lock -t 0 -J -r "$d/tree" "$d/tree/f2"
	mkdir "$d/empty"
	run -2 vg lock -t 0 -r "$d/empty"
	truncate -s 1T "$d/sparse"
	run -1 vg lock -t 0 "$d/sparse"
	run -1 vg lock -t 0 -k "$d/tree/f3" "$d/missing"
	echo 999999999 >"$d/stale.pid"
	run -0 vg lock -t 0 --pidfile "$d/stale.pid" "$d/tree/f4"
	run -1 vg status -m $$ --min 1G
	run -2 vg status -J -r
	run -2 vg status --m 1
	run -0 vg doctor -J --mode shm 4K
	run -0 vg --list-commands
	run -0 vg status --list-columns=maps
}

@test "memcheck: status per user, over time, for Prometheus; files; doctor's modes" {
	local f
	f=$(mktemp "$BATS_TEST_TMPDIR/f.XXXXXX")
	head -c 65536 /dev/urandom >"$f"
	run -0 vg status -u
	run -0 vg status -u -J --output-all
	run -0 vg status --interval 10ms --count 2 -J
	run -0 vg status -u --interval 10ms --count 2
	run -0 vg status --prometheus -a
	run -0 vg status --prometheus="$BATS_TEST_TMPDIR/m.prom"
	run -2 vg status --prometheus=/dev/null
	run -0 vg files
	run -0 vg files -J --output-all "$f"
	run -0 vg files --interval 10ms --count 2 "$f"
	run -2 vg files /proc/self/status
	for m in $(memlock doctor --list-modes | cut -f1); do
		run vg doctor -J --mode "$m" 1M
		[ "$status" -le 3 ] && [ "$status" != 2 ] || fail "doctor --mode $m: exit $status"
	done
}

@test "memcheck: lock --libs, --pid, --files-from and -c" {
	local d=$BATS_TEST_TMPDIR
	printf '/bin/ls\n/bin/cat\n' >"$d/list"
	printf '+/bin/ls\n?/none\n%%include more.inc\n' >"$d/c.conf"
	printf '/bin/cat\n' >"$d/more.inc"
	run -0 vg lock -t 0 --libs /bin/ls
	run -0 vg lock -t 0 --pid $$
	run -0 vg lock -t 0 --files-from "$d/list"
	run -0 vg lock -t 0 -c "$d/c.conf"
	printf 'relative\n' >"$d/bad.conf"
	run -2 vg lock -t 0 -c "$d/bad.conf"
}
