#!/usr/bin/env bats
# Sizes: the unit program, and the parser's messages through the binary.

load test_helper

@test "size unit program passes every case" {
	run "$TOP/tests/size-test"
	assert_success
	assert_output --partial " passed, 0 failed"
}

@test "every bad size exits 2 naming the token" {
	local bad
	for bad in "" " 1" "1 " "+1" "1KK" "0x" "1e3" "K" "010Q" "18.5E" "16E" \
		"18446744073709551616" "0x10000000000000000" "1.5G" "abc" "2^64" "1Ki"; do
		run -2 --separate-stderr memlock pages "$bad" 1
		assert_equal "$output" ""
		assert_equal "$stderr" "memlock: invalid address '$bad': $( \
			case "$bad" in 16E|18446744073709551616|0x10000000000000000) echo 'out of range';; \
			*) echo 'not a number with an optional unit';; esac)"
	done
}

@test "a negative size is refused in one line" {
	run -2 --separate-stderr memlock pages -1 4096
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: invalid value '-1': negative numbers are not accepted; see 'memlock pages --help'"
}

@test "suffixes: binary and decimal powers" {
	run -0 memlock pages -J -b 0 1K 0 1KB 0 1KiB 0 0x10K
	run jq -c '[.pages[].len]' <<<"$output"
	assert_output "[1024,1000,1024,16384]"
}

@test "leading zeros are decimal, not octal" {
	run -0 memlock pages -J 010 0
	run jq '.pages[0].addr' <<<"$output"
	assert_output "10"
}
