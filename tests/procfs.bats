#!/usr/bin/env bats
# The /proc parsers over fixture trees (corner cases only; the other suites
# read the real /proc).

load test_helper

@test "procfs unit program passes over the fixture tree" {
	run "$TOP/tests/procfs-test" "$TOP/tests/fixtures/proc" "$TOP/tests/fixtures/cgroup"
	assert_success
	assert_output --partial " passed, 0 failed"
}

@test "procfs unit program is clean under memcheck" {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	run valgrind -q --error-exitcode=99 --leak-check=full \
		"$TOP/tests/procfs-test" "$TOP/tests/fixtures/proc" "$TOP/tests/fixtures/cgroup"
	assert_success
}
