#!/usr/bin/env bats
# memlock lock --libs, --pid and --files-from: what they lock, read back
# from the holder's own smaps, and compared with the system loader's list.

load test_helper

setup() {
	holders_setup sources
}

teardown() {
	holders_teardown
}

# The files a holder has locked, resolved, sorted.
locked_real() {
	locked_files "$1" | xargs -r readlink -f | sort -u
}

# The loader's list for PROG, and PROG: resolved, sorted.
loader_list() {
	local interp
	interp=$(readelf -l "$1" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	{ echo "$1"; LC_ALL=C "$interp" --list "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; } |
		xargs -r readlink -f | sort -u
}

@test "lock --libs /bin/bash locks exactly the files the loader lists, and nothing else" {
	command -v readelf >/dev/null || skip "no readelf here"
	run -0 memlock lock -d --pidfile "$D/pid" --libs /bin/bash
	PIDS+=("$(cat "$D/pid")")
	assert_equal "$(locked_real "${PIDS[0]}")" "$(loader_list /bin/bash)"
}

@test "lock --pid of a process that dlopen'ed a library locks that library" {
	local lib
	lib=$(readlink -f /lib/x86_64-linux-gnu/libcap.so.2 2>/dev/null) || skip "no libcap.so.2"
	/usr/bin/python3 -c 'import ctypes, sys, time; ctypes.CDLL("libcap.so.2"); print("ready", flush=True); time.sleep(600)' >"$D/py" &
	PIDS+=($!)
	wait_line "$D/py" "^ready" || fail "python did not start"
	run -0 memlock lock -d --pidfile "$D/pid" --pid "${PIDS[0]}"
	PIDS+=("$(cat "$D/pid")")
	run locked_real "${PIDS[1]}"
	assert_line "$lib"
	assert_line "$(readlink -f /usr/bin/python3)"
	# What the process maps is what is locked: each of its files.
	local mapped
	mapped=$(awk '$6 ~ /^\// && $6 !~ /^\/dev\// { print $6 }' "/proc/${PIDS[0]}/maps" | xargs -r readlink -f | sort -u)
	assert_equal "$(locked_real "${PIDS[1]}")" "$mapped"
}

@test "lock --files-from: lines, or NUL-separated with -0 as find -print0 writes; duplicates once" {
	mkdir "$D/t"
	head -c 8192 /dev/urandom >"$D/t/a"
	head -c 4096 /dev/urandom >"$D/t/b c"
	printf '%s\n' "$D/t/a" "" "$D/t/a" >"$D/list"
	run -0 memlock lock -t 0 -b --raw -n -o TARGET,BYTES --files-from "$D/list"
	assert_output "$D/t/a 8192"
	run -0 bash -c "find '$D/t' -type f -print0 | '$MEMLOCK' lock -t 0 -b --raw -n -o BYTES -0 --files-from - | sort -n | tr '\n' ' '"
	assert_output "4096 8192 "
}

@test "lock --libs: a library the loader cannot find is said, and fails the lock unless -k" {
	command -v cc >/dev/null || skip "no C compiler here"
	printf 'int f(void) { return 1; }\n' >"$D/f.c"
	printf 'int f(void); int main(void) { return f(); }\n' >"$D/m.c"
	cc -shared -fPIC -o "$D/libmemlocktest.so" "$D/f.c"
	cc -o "$D/prog" "$D/m.c" -L"$D" -lmemlocktest
	rm "$D/libmemlocktest.so"
	run -1 --separate-stderr memlock lock -t 0 --libs "$D/prog"
	[[ $stderr == *"memlock: cannot find 'libmemlocktest.so', which '$D/prog' needs: the loader does not find it either"* ]] ||
		fail "stderr: $stderr"
	run -1 --separate-stderr memlock lock -t 0 -k --libs "$D/prog"
	assert_output --regexp "$D/prog .* locked"
}

@test "lock --libs of a script or a static program locks it alone, and says so" {
	printf '#!/bin/sh\nexit 0\n' >"$D/s.sh"
	run -0 --separate-stderr memlock lock -t 0 -n -o TARGET --libs "$D/s.sh"
	assert_output "$D/s.sh"
	assert_equal "$stderr" "memlock: '$D/s.sh' is no dynamically linked program: it alone is locked"
}

@test "lock --libs, --pid, --files-from and -0: bad uses exit 2, one line" {
	run -2 --separate-stderr memlock lock --libs
	assert_equal "$stderr" "memlock: lock needs a FILE, --pid, --files-from, -c or --anon SIZE; see 'memlock lock --help'"
	run -2 --separate-stderr memlock lock --libs --pid 1
	assert_equal "$stderr" "memlock: --libs needs a program: FILE"
	run -2 --separate-stderr memlock lock -0 /bin/ls
	assert_equal "$stderr" "memlock: -0 (--null) goes with --files-from"
	run -2 --separate-stderr memlock lock --anon 4K --pid 1
	assert_equal "$stderr" "memlock: --anon and files do not go together"
	run -2 --separate-stderr memlock lock --pid 0
	assert_equal "$stderr" "memlock: invalid pid '0': not a positive decimal number"
	run -2 --separate-stderr memlock lock -t 0 --files-from "$D/none"
	assert_equal "$stderr" "memlock: cannot read the list '$D/none': No such file or directory"
	: >"$D/empty"
	run -2 --separate-stderr memlock lock -t 0 --files-from "$D/empty"
	assert_equal "$stderr" "memlock: the list '$D/empty' names no file: there is nothing to lock"
	run -3 --separate-stderr memlock lock -t 0 --pid 4194304
	assert_equal "$stderr" "memlock: cannot read the mappings of pid 4194304: no such process"
}

@test "lock --libs never runs a loader a program names that is not the system's" {
	command -v cc >/dev/null || skip "no C compiler here"
	printf '#!/bin/sh\ntouch "%s/ran"\n' "$D" >"$D/fake-loader"
	chmod 755 "$D/fake-loader"
	printf 'int main(void) { return 0; }\n' >"$D/e.c"
	cc -o "$D/evil" "$D/e.c" -Wl,--dynamic-linker="$D/fake-loader"
	run -2 --separate-stderr memlock lock -t 0 --libs "$D/evil"
	assert_equal "$stderr" "memlock: cannot list the libraries of '$D/evil': the loader it names is not one of the system's, and is not run"
	[ ! -e "$D/ran" ] || fail "the program's own loader was run"
}

@test "lock -c: every line kind of a memlockd-style configuration, checked in the holder's smaps" {
	mkdir -p "$D/conf.d" "$D/tree/sub"
	head -c 8192 /dev/urandom >"$D/data"
	head -c 4096 /dev/urandom >"$D/tree/sub/x"
	/usr/bin/python3 -c 'import time; print("ready", flush=True); time.sleep(600)' >"$D/py" &
	PIDS+=($!)
	wait_line "$D/py" "^ready" || fail "python did not start"
	local name
	name=$(awk '/^Name:/ { print $2 }' "/proc/${PIDS[0]}/status")
	cat >"$D/conf.d/10-main.conf" <<CONF
# a comment, then a blank line

$D/data
+/bin/bash
?$D/not-there
?+$D/not-there-either
$D/tree
%include ../extra.inc
CONF
	printf 'pid:%s\n' "$name" >"$D/extra.inc"
	printf '# ignored: not a .conf\n/bin/rm\n' >"$D/conf.d/README"
	run -0 memlock lock -d --pidfile "$D/pid" -c "$D/conf.d"
	PIDS+=("$(cat "$D/pid")")
	run locked_real "${PIDS[1]}"
	assert_line "$D/data"
	assert_line "$D/tree/sub/x"
	assert_line "$(readlink -f /bin/bash)"
	assert_line "$(readlink -f "$(ldd /bin/bash | awk '/libc.so/ { print $3 }')")"
	assert_line "$(readlink -f /usr/bin/python3)"
	refute_line "$(readlink -f /bin/rm)"
}

@test "lock -c: a bad line is FILE:LINE and exit 2, and nothing is locked" {
	head -c 8192 /dev/urandom >"$D/data"
	printf '%s\nrelative/path\n' "$D/data" >"$D/bad.conf"
	run -2 --separate-stderr memlock lock -t 0 -c "$D/bad.conf"
	assert_equal "$stderr" "memlock: $D/bad.conf:2: 'relative/path' is not an absolute path"
	assert_equal "$output" ""
	printf '%%frobnicate x\n' >"$D/bad2.conf"
	run -2 --separate-stderr memlock lock -t 0 -c "$D/bad2.conf"
	assert_equal "$stderr" "memlock: $D/bad2.conf:1: unknown directive '%frobnicate x'"
	printf '%%include loop.conf\n' >"$D/loop.conf"
	run -2 --separate-stderr memlock lock -t 0 -c "$D/loop.conf"
	assert_regex "$stderr" "^memlock: .*loop.conf: %include nested more than 16 deep \(a loop\?\)$"
	run -2 --separate-stderr memlock lock -t 0 -c "$D/none.conf"
	assert_equal "$stderr" "memlock: cannot read the configuration '$D/none.conf': No such file or directory"
	printf '# nothing\n' >"$D/empty.conf"
	run -2 --separate-stderr memlock lock -t 0 -c "$D/empty.conf"
	assert_equal "$stderr" "memlock: the configuration names nothing to lock"
	printf 'pid:no-such-program-here\n' >"$D/np.conf"
	run -1 --separate-stderr memlock lock -t 0 -c "$D/np.conf"
	assert_equal "$stderr" "memlock: $D/np.conf:1: no running process is named 'no-such-program-here'"
}
