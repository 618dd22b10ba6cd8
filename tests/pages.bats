#!/usr/bin/env bats
# memlock pages: the kernel's page rounding, corners included, checked
# against the real mlock() where the kernel can be asked.

load test_helper

setup() {
	[ "$PAGE_SIZE" = 4096 ] || skip "these figures assume 4 KiB pages (have $PAGE_SIZE)"
}

# jq over `memlock pages -J ARGS`: pj FILTER ARGS...
# (jq 1.6 reads integers above 2^53 as doubles: compare those in raw mode.)
pj() {
	local filter="$1" json rc=0
	shift
	json=$(memlock pages -J "$@") || rc=$?
	jq -c "$filter" <<<"$json"
	return "$rc"
}

@test "mlock(2000, 4000) locks bytes 0 to 8191, two pages" {
	run -0 memlock pages 2000 4000
	assert_line --index 0 --regexp '^ *ADDR +LEN +START +END +LAST +PAGES +BYTES +EXTRA +RESULT$'
	assert_line --index 1 --regexp '^ *2000 +4000 +0 +8192 +8191 +2 +8K +4.1K +ok$'
	assert_output --partial "mlock(2000, 4000): locks bytes 0 to 8191, 2 pages of 4096 bytes"
	assert_output --partial "4192 bytes beyond the request are locked too (2000 before, 2192 after)"
}

@test "mlock(2000, 4000) in JSON: numbers are numbers" {
	run -0 pj '.pages[0] | [.addr,.len,.start,.end,.last,.pages,.bytes,.extra,.result]' 2000 4000
	assert_output '[2000,4000,0,8192,8191,2,8192,4192,"ok"]'
}

@test "an aligned request locks exactly what it asks" {
	run -0 pj '.pages[0] | [.start,.last,.pages,.extra]' 4096 8192
	assert_output '[4096,12287,2,0]'
	run -0 memlock pages 4096 8192
	assert_output --partial "exactly the bytes asked for"
}

@test "an unaligned zero length locks one page" {
	run -0 pj '.pages[0] | [.start,.end,.last,.pages,.result]' 2000 0
	assert_output '[0,4096,4095,1,"ok"]'
	run -0 memlock pages 2000 0
	assert_output --partial "a zero length inside a page still locks that page"
}

@test "an aligned zero length locks nothing and returns 0" {
	run -0 pj '.pages[0] | [.start,.end,.last,.pages,.bytes,.result]' 8192 0
	assert_output '[8192,8192,null,0,0,"ok"]'
	run -0 memlock pages 8192 0
	assert_output --partial "a zero length at a page boundary locks nothing; mlock() returns 0"
}

@test "a length whose rounding wraps past 2^64 locks nothing and returns 0" {
	run -0 pj '.pages[0] | [.pages,.bytes,.result]' 0 18446744073709551615
	assert_output '[0,0,"ok"]'
	run -0 memlock pages 0 0xffffffffffffffff
	assert_output --partial "wraps past 2^64 when rounded up to a page, so the kernel's length becomes 0: it locks nothing and returns 0"
}

@test "a length that wraps past 2^64 to a page locks that page" {
	run -0 pj '.pages[0] | [.start,.last,.pages,.result]' 2000 18446744073709551516
	assert_output '[0,4095,1,"ok"]'
	run -0 memlock pages 2000 18446744073709551516
	assert_output --partial "wraps past 2^64, leaving 4096 bytes"
}

@test "an end that wraps past 2^64 gets EINVAL and exit 1" {
	run -1 pj '.pages[0] | [.pages,.bytes,.result]' 0xfffffffffffff000 4096
	assert_output '[0,0,"EINVAL"]'
	run -1 memlock pages 0xfffffffffffff000 1
	assert_output --partial "mlock() fails with EINVAL and locks nothing"
}

@test "the last page below 2^64 can still be locked" {
	run -0 memlock pages -r -n -o END,LAST,PAGES,RESULT 0xffffffffffffe000 4096
	assert_output "0xfffffffffffff000 0xffffffffffffefff 1 ok"
	run -0 memlock pages -J -o END 0xffffffffffffe000 4096
	assert_output --partial '"end": 18446744073709547520'
}

@test "addresses given in hex are answered in hex" {
	run -0 memlock pages 0x7f0000001234 100
	assert_line --index 1 --regexp '^ *0x7f0000001234 +100 +0x7f0000001000 +0x7f0000002000 +0x7f0000001fff +1 '
	assert_output --partial "locks bytes 0x7f0000001000 to 0x7f0000001fff"
}

@test "one byte before a boundary and one byte across it" {
	run -0 pj '[.pages[].pages]' 4095 1 4095 2
	assert_output '[1,2]'
}

@test "--page-size 2M rounds to huge pages" {
	run -0 pj '.pages[0] | [.start,.end,.pages,.extra]' --page-size 2M 0x1000 0x1000
	assert_output '[0,2097152,1,2093056]'
}

@test "--page-size 1G with a range across a boundary" {
	run -0 pj '.pages[0] | [.start,.end,.pages]' --page-size 1G 1073741000 2000
	assert_output '[0,2147483648,2]'
}

@test "--page-size must be a power of two" {
	run -2 --separate-stderr memlock pages --page-size 3000 1 2
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: invalid page size '3000': not a power of two"
	run -2 --separate-stderr memlock pages --page-size 0 1 2
	assert_equal "$stderr" "memlock: invalid page size '0': not a power of two"
	run -2 --separate-stderr memlock pages --page-size 4k4 1 2
	assert_equal "$stderr" "memlock: invalid page size '4k4': not a number with an optional unit"
}

@test "two ranges on one page: shared and warned about" {
	run -0 memlock pages 0 100 512 100
	assert_output --partial "warning: ranges 1 and 2 share 1 page (bytes 0 to 4095); locks do not nest: one munlock() of either range unlocks it for both"
	assert_line --index 0 --regexp ' SHARED$'
	run -0 pj '[.pages[].shared]' 0 100 512 100
	assert_output '[1,1]'
}

@test "ranges that do not share a page: no warning" {
	run -0 memlock pages 0 4096 4096 4096
	refute_output --partial "warning:"
	run -0 pj '[.pages[].shared]' 0 4096 4096 4096
	assert_output '[0,0]'
}

@test "three ranges: SHARED counts each page once" {
	run -0 pj '[.pages[].shared]' 0 12288 0 4096 4096 4096
	assert_output '[2,1,1]'
	# One warning for the group, not one for each pair.
	run -0 memlock pages 0 12288 0 4096 4096 4096
	assert_line "warning: ranges 1-3 share 2 pages (bytes 0 to 8191); locks do not nest: one munlock() of any of them unlocks them for all"
	assert_equal "$(grep -c '^warning:' <<<"$output")" 1
}

@test "groups of ranges that share pages, each reported once" {
	run -0 memlock pages 0 8192 4096 8192 100000 10 100000 5 1 1
	assert_line "warning: ranges 1, 2 and 5 share 2 pages (bytes 0 to 8191); locks do not nest: one munlock() of any of them unlocks them for all"
	assert_line "warning: ranges 3 and 4 share 1 page (bytes 98304 to 102399); locks do not nest: one munlock() of either range unlocks it for both"
	assert_equal "$(grep -c '^warning:' <<<"$output")" 2
	run -0 pj '.shared' 0 8192 4096 8192 100000 10 100000 5 1 1
	assert_output '[{"ranges":"1, 2 and 5","pages":2,"first":0,"last":8191},{"ranges":"3 and 4","pages":1,"first":98304,"last":102399}]'
	# Shared pages that are not contiguous.
	run -0 memlock pages 0 16384 0 4096 12288 4096
	assert_line --partial "warning: ranges 1-3 share 2 pages (in bytes 0 to 16383)"
}

@test "10,000 ranges: sharing is found by sorting, and said once" {
	local args out="$BATS_TEST_TMPDIR/out"
	# Made by awk: a bash loop runs slowly under bats' trap on every command.
	read -ra args < <(awk 'BEGIN { for (i = 0; i < 10000; i++) printf "4096 100 "; print "" }')
	memlock pages "${args[@]}" >"$out"
	# A header, a table row and a sentence per range, a blank line, one
	# warning: linear, not 6.5 GB.
	assert_equal "$(wc -l <"$out")" 20003
	assert_equal "$(grep '^warning' "$out")" "warning: ranges 1-10000 share 1 page (bytes 4096 to 8191); locks do not nest: one munlock() of any of them unlocks it for all"
	read -ra args < <(awk 'BEGIN { for (i = 1; i <= 10000; i++) printf "%d 4096 %d 4096 ", i * 8192, i * 8192 + 4096; print "" }')
	memlock pages -J "${args[@]}" >"$out"
	run jq -c '[(.shared | length), ([.pages[].shared] | add)]' "$out"
	assert_output '[0,0]'
}

@test "a range that locks nothing shares nothing" {
	run -0 pj '[.pages[].shared]' 0 0 0 4096
	assert_output '[0,0]'
}

@test "an ADDR without LEN is refused" {
	run -2 --separate-stderr memlock pages 2000 4000 7
	assert_equal "$output" ""
	assert_equal "$stderr" "memlock: address '7' has no length; pages takes ADDR LEN pairs"
	run -2 --separate-stderr memlock pages
	assert_equal "$stderr" "memlock: pages needs an ADDR and a LEN; see 'memlock pages --help'"
}

@test "-b prints exact bytes" {
	run -0 memlock pages -b 2000 4000
	assert_line --index 1 --regexp ' 8192 +4192 +ok$'
}

@test "-o chooses columns, in that order" {
	run -0 memlock pages -o PAGES,START 2000 4000
	assert_line --index 0 --regexp '^PAGES +START$'
	assert_line --index 1 --regexp '^ +2 +0$'
}

@test "-o +LIST adds to the default columns" {
	run -0 memlock pages -o +SHARED -r 2000 4000
	assert_line --index 0 "ADDR LEN START END LAST PAGES BYTES EXTRA RESULT SHARED"
}

@test "--output-all shows every column" {
	run -0 memlock pages --output-all -n -r 8192 0
	assert_output "8192 0 8192 8192  0 0B 0B 0 ok a\\x20zero\\x20length\\x20at\\x20a\\x20page\\x20boundary\\x20locks\\x20nothing;\\x20mlock()\\x20returns\\x200"
}

@test "-r and -n: raw rows for scripts, no notes" {
	run -0 memlock pages -r -n 2000 4000
	assert_output "2000 4000 0 8192 8191 2 8K 4.1K ok"
}

@test "-J with -o: only the columns asked for" {
	run -0 memlock pages -J -o pages,bytes 2000 4000
	run jq -c . <<<"$output"
	assert_output '{"pages":[{"pages":2,"bytes":8192}],"shared":[]}'
}

@test "a gigabyte at an odd address" {
	run -0 pj '.pages[0] | [.start,.pages,.extra]' 1 1G
	assert_output '[0,262145,4096]'
}

@test "the real kernel agrees: VmLck grows by what pages predicts" {
	local probe="$TOP/tests/helpers/mlock-probe" off len want got
	for off in 0 1 2000 4095 4096 6000; do
		for len in 0 1 4000 4096 4097 8191 65536; do
			want=$(pj '.pages[0] | "result=\(.result) locked=\(.bytes)"' "$off" "$len")
			got=$("$probe" rel "$off" "$len")
			assert_equal "$got" "${want//\"/}"
		done
	done
}

@test "the real kernel agrees on the corners: wraps and EINVAL" {
	local probe="$TOP/tests/helpers/mlock-probe"
	run -0 "$probe" rel 2000 18446744073709551516
	assert_output "result=ok locked=$(pj '.pages[0].bytes' 2000 18446744073709551516)"
	run -0 "$probe" rel 0 18446744073709551615
	assert_output "result=ok locked=0"
	run -0 "$probe" abs 0xfffffffffffff000 4096
	assert_output "result=$(pj '.pages[0].result' 0xfffffffffffff000 4096 | tr -d '"') locked=0"
}
