#!/usr/bin/env bats
# Tables printed into a pipe or a file are laid out by memlock itself when
# every cell is plain ASCII (src/output.c, print_plain), and by libsmartcols
# otherwise and on a terminal.  Here both are run on the same tables: the
# same command into a pipe and on a terminal (script(1)'s pseudo-terminal,
# wide enough that libsmartcols cuts nothing), byte for byte.

load test_helper

setup() {
	D=$(mktemp -d /tmp/memlock-output.XXXXXX)
	head -c 8192 /dev/urandom >"$D/a"
	head -c 12345 /dev/urandom >"$D/a-much-longer-name"
	head -c 4096 /dev/urandom >"$D/naïve ☃"
}

teardown() {
	rm -rf "$D"
}

# The same memlock command into a pipe and on a terminal: one output (but
# for lock's summary line, whose pid and milliseconds differ).
same_both_ways() {
	local pipe tty norm='s/pid [0-9]+/pid PID/; s/in [0-9.]+ ms/in T ms/'
	pipe=$("$MEMLOCK" "$@" 2>/dev/null | sed -E "$norm")
	tty=$(script -qec "stty cols 300; $(printf '%q ' "$MEMLOCK" "$@")" /dev/null 2>/dev/null |
		tr -d '\r' | sed -E "$norm")
	[ -n "$pipe" ] || fail "no output: memlock $*"
	assert_equal "$pipe" "$tty"
}

@test "a table into a pipe is what libsmartcols prints on a terminal" {
	command -v script >/dev/null || skip "no script(1) here"
	# Left and right columns, a right-aligned one last, an empty cell.
	same_both_ways lock -t 0 -o TARGET,OFFSET,BYTES,PAGES,RESULT "$D/a" "$D/a-much-longer-name"
	same_both_ways lock -t 0 -o RESULT,PAGES "$D/a"
	same_both_ways lock -t 0 -o TARGET,OFFSET,RESULT --anon 4K
	# Without headings: the columns are still as wide as their headings.
	same_both_ways lock -t 0 -n -o PAGES,TARGET "$D/a"
	same_both_ways pages 2000 4000 0x1000 1 0x7fff0000 123456789
	same_both_ways status -o PID,USER,VMLCK,LIMIT,USE%,CAP "$$"
	same_both_ways limit -p "$$"
	# Not plain ASCII: libsmartcols both ways.
	same_both_ways lock -t 0 -o TARGET,BYTES,RESULT "$D/naïve ☃" "$D/a"
}

@test "a table with no line prints nothing, not even its headings, as libsmartcols does" {
	run -3 --separate-stderr memlock status 2147483647
	assert_output ""
}
