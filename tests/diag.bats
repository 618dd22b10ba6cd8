#!/usr/bin/env bats
# doctor's engine over made-up facts and fixture trees: diag_evaluate() in
# every mode, and diag_provenance() over tests/fixtures/diag (a fake /proc
# and fake /etc trees).  `make sanitize` points DIAG_TEST at the
# ASan+UBSan build.

load test_helper

@test "diag unit program passes over the fixture trees" {
	run "${DIAG_TEST:-$TOP/tests/diag-test}" "$TOP/tests/fixtures/diag"
	assert_success
	assert_output --regexp '(^|'$'\n'')[0-9]+ cases, 0 failed, [0-9]+ passed'
	[[ $output =~ ([0-9]+)\ passed ]]
	((BASH_REMATCH[1] >= 100))
	refute_output --partial "FAIL "
}

@test "diag unit program refuses a missing fixture tree" {
	run "${DIAG_TEST:-$TOP/tests/diag-test}" "$BATS_TEST_TMPDIR/none"
	assert_failure 2
}
