#!/usr/bin/env bats
# The README's examples and the man page's EXAMPLES are true here: each is
# run (tests/helpers/examples.py says how) and its output compared by shape
# with what is shown, so the documents cannot drift from the program.

load test_helper

@test "every console example of the README runs and prints what it shows" {
	run -0 python3 "$TOP/tests/helpers/examples.py" readme "$TOP/README.md"
	assert_line "0 failed"
	# All of them ran: one line each.
	assert_equal "$(grep -c '^ok README.md:' <<<"$output")" \
		"$(awk '/^```console$/ { c = 1; next } /^```$/ { c = 0 } c && /^[$#] / { n++ } END { print n }' "$TOP/README.md")"
}

@test "every example of the man page runs, and none is a usage error" {
	run -0 python3 "$TOP/tests/helpers/examples.py" man "$TOP/man/memlock.1"
	assert_line "0 failed"
	assert_equal "$(grep -c '^ok memlock.1:' <<<"$output")" \
		"$(sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$TOP/man/memlock.1" | grep -c '^\.Dl ')"
}

@test "the comparison can fail: a wrong figure, a missing line, a wrong word" {
	local md="$BATS_TEST_TMPDIR/wrong.md"
	printf '%s\n' '```console' '$ memlock pages 2000 4000' \
		'ADDR  LEN START  END LAST PAGES BYTES EXTRA RESULT' \
		'2000 4000     0 8192 8191     2    8K  4.1K EINVAL' '```' \
		'```console' '$ memlock limit --min 1G' 'too low' '```' \
		'```console' '$ memlock pages 0 1' '...' 'mlock(0, 1): locks bytes 0 to 4095, 1 page of 4096 bytes: ADDR rounds down to 0 and ADDR+LEN up to 4096, so 4095 bytes beyond the request are locked too (0 before, 4095 after)' '```' >"$md"
	run -1 python3 "$TOP/tests/helpers/examples.py" readme "$md"
	assert_line --partial "FAIL wrong.md:2 memlock pages 2000 4000"
	assert_line --partial "FAIL wrong.md:7 memlock limit --min 1G"
	assert_line --partial "ok wrong.md:11 memlock pages 0 1"
	assert_line "2 failed"
}
