#!/usr/bin/env bats
# Dispatch, help, version, and the one-line rule for bad usage.

load test_helper

@test "memlock --help lists every command and exits 0" {
	run -0 --separate-stderr memlock --help
	assert_line --regexp '^Usage: memlock '
	assert_line --regexp '^  pages +'
	assert_equal "$stderr" ""
}

@test "memlock --version prints the version and exits 0" {
	run -0 memlock --version
	assert_output --regexp '^memlock [0-9]+\.[0-9]+\.[0-9]+$'
	run -0 memlock -V
	assert_output --regexp '^memlock [0-9]'
}

@test "each command has --help on stdout, naming it, exit 0" {
	local c
	for c in $(memlock_commands); do
		run -0 --separate-stderr memlock "$c" --help
		assert_line --index 0 --regexp "^Usage: memlock $c "
		assert_equal "$stderr" ""
		run -0 memlock "$c" --usage
		assert_output --regexp "^Usage: memlock $c "
		run -0 memlock "$c" --version
		assert_output "$(memlock --version)"
	done
}

@test "-h is --help and -V is --version, on every command, as in util-linux" {
	local c help
	run -0 --separate-stderr memlock -h
	assert_equal "$output" "$(memlock --help)"
	run -0 memlock -V
	assert_output --regexp '^memlock [0-9]+\.[0-9]+\.[0-9]+$'
	for c in $(memlock_commands); do
		help=$(memlock "$c" --help)
		run -0 --separate-stderr memlock "$c" -h
		assert_equal "$output" "$help"
		assert_equal "$stderr" ""
		assert_line --regexp '^  -h, --help +give this help list$'
		run -0 memlock "$c" -V
		assert_output "$(memlock --version)"
		# In a cluster, and after other options.
		run -0 memlock "$c" -nh
		assert_equal "$output" "$help"
	done
}

@test "no command: exit 2, one line" {
	run -2 --separate-stderr memlock
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: no command given; see 'memlock --help'"
}

@test "unknown command: exit 2 with the message and a hint" {
	run -2 --separate-stderr memlock bogus
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: unknown command 'bogus'; see 'memlock --help'"
	run -2 --separate-stderr memlock pgaes 1 2
	assert_equal "$stderr" "memlock: unknown command 'pgaes'; did you mean 'pages'? see 'memlock --help'"
}

@test "names match exactly" {
	run -2 --separate-stderr memlock PAGES 1 2
	assert_equal "$output" ""
	run -2 --separate-stderr memlock page 1 2
	assert_output ""
}

@test "unknown option: exit 2, one line on stderr, nothing on stdout" {
	run -2 --separate-stderr memlock --bogus
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: unknown option '--bogus'; see 'memlock --help'"
	run -2 --separate-stderr memlock pages --bogus 1 2
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: unknown option '--bogus'; see 'memlock pages --help'"
	run -2 --separate-stderr memlock pages -x 1 2
	assert_equal "$stderr" "memlock: unknown option '-x'; see 'memlock pages --help'"
	run -2 --separate-stderr memlock pages -Jx 1 2
	assert_equal "$stderr" "memlock: unknown option '-x'; see 'memlock pages --help'"
}

@test "an option without its value, or with one it does not take" {
	run -2 --separate-stderr memlock pages 1 2 --page-size
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: option '--page-size' needs a value; see 'memlock pages --help'"
	run -2 --separate-stderr memlock pages 1 2 -o
	assert_equal "$stderr" "memlock: option '-o' needs a value; see 'memlock pages --help'"
	run -2 --separate-stderr memlock pages 1 2 --page-s
	assert_equal "$stderr" "memlock: option '--page-size' needs a value; see 'memlock pages --help'"
	run -2 --separate-stderr memlock pages --json=yes 1 2
	assert_equal "$stderr" "memlock: option '--json' takes no value; see 'memlock pages --help'"
}

@test "an unknown output column is named" {
	run -2 --separate-stderr memlock pages -o ADDR,BOGUS 1 2
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: unknown column 'BOGUS'; see 'memlock pages --help'"
	run -2 --separate-stderr memlock pages -o '' 1 2
	assert_equal "$stderr" "memlock: invalid column list '': an empty column name; see 'memlock pages --help'"
}

@test "output to /dev/full fails with a non-zero status" {
	run --separate-stderr bash -c '"$0" pages 2000 4000 >/dev/full' "$MEMLOCK"
	assert_failure
	assert_equal "$stderr" "memlock: write error: No space left on device"
	run bash -c '"$0" --help >/dev/full' "$MEMLOCK"
	assert_failure
}

@test "a pipe closed early is not an error message" {
	run --separate-stderr bash -c '"$0" pages 0 1 0 1 0 1 0 1 0 1 | head -c1 >/dev/null' "$MEMLOCK"
	assert_equal "$stderr" ""
}

@test "-P: KEY=\"value\" pairs on every listing, keys a shell can eval" {
	local c
	run -0 memlock pages -P 2000 4000
	assert_output 'ADDR="2000" LEN="4000" START="0" END="8192" LAST="8191" PAGES="2" BYTES="8K" EXTRA="4.1K" RESULT="ok"'
	run -0 memlock limit -P -b -o PID,SOFT,USE%
	eval "$output"
	[[ $PID =~ ^[0-9]+$ && $SOFT =~ ^[0-9]+|unlimited$ ]] || fail "not eval'd: $output"
	[ -n "${USE_PCT+set}" ] || fail "USE% is not USE_PCT: $output"
	for c in "pages 0 1" "status" "limit" "doctor" "lock -t 0 --anon 4K"; do
		# shellcheck disable=SC2086
		run -0 memlock $c -P
		refute_output --regexp '^(verdict|locked|VmLck total|mlock\()'
		# shellcheck disable=SC2086
		run -2 --separate-stderr memlock $c -P -J
		assert_equal "$stderr" "memlock: --json and --pairs do not go together"
	done
}
