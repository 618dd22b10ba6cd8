#!/usr/bin/env bats
# Docs and code cannot drift: every command and long option that the binary
# lists appears in the man page and in all three completions.

load test_helper

MAN="$TOP/man/memlock.1"

@test "the man page is mandoc -Tlint -Wall clean" {
	# -Wall also checks cross-references against the installed manuals:
	# "outdated mandoc.db lacks mlock(2)" says this machine has not got
	# them, not that the page is wrong (mandoc exits 0 for it).
	run -0 mandoc -Tlint -Wall "$MAN"
	refute_output --regexp '(BASE|STYLE|WARNING|ERROR|UNSUPP):'
	run grep -v 'outdated mandoc.db lacks' <<<"$output"
	assert_output ""
}

@test "every command is in the man page and the three completions" {
	local c
	for c in $(memlock_commands); do
		grep -q "^\.It Cm $c\b" "$MAN" || fail "man page lacks '.It Cm $c'"
		grep -qw -- "$c" "$TOP/completions/memlock.bash" || fail "bash lacks $c"
		grep -qw -- "$c" "$TOP/completions/_memlock" || fail "zsh lacks $c"
		grep -qw -- "$c" "$TOP/completions/memlock.fish" || fail "fish lacks $c"
	done
}

@test "every long option is in the man page and the three completions" {
	local c o name
	for c in "" $(memlock_commands); do
		for o in $(memlock_long_options $c); do
			name=${o#--}
			grep -qF -- "Fl \\-${name//-/\\-}" "$MAN" || fail "man page lacks $o ($c)"
			grep -qF -- "$o" "$TOP/completions/memlock.bash" || fail "bash lacks $o ($c)"
			grep -qF -- "$o" "$TOP/completions/_memlock" || fail "zsh lacks $o ($c)"
			grep -qE -- "-l $name( |$)" "$TOP/completions/memlock.fish" || fail "fish lacks $o ($c)"
		done
	done
}

@test "every output column of every command is in the man page" {
	local c col
	for c in $(memlock_commands); do
		for col in $(memlock_all_columns "$c"); do
			grep -qw -- "$col" "$MAN" || fail "man page lacks column $col ($c)"
		done
	done
}

@test "the completions keep no list of commands or columns: they ask the binary" {
	local f c cols line n col
	cols=$(for c in $(memlock_commands); do memlock_all_columns "$c"; done | sort -u)
	for f in memlock.bash _memlock memlock.fish; do
		grep -q -- '--list-commands' "$TOP/completions/$f" || fail "$f does not ask for the commands"
		grep -q -- '--list-columns' "$TOP/completions/$f" || fail "$f does not ask for the columns"
		# A list is three column names or more on one line.
		while IFS= read -r line; do
			n=0
			for col in $cols; do
				[[ " ${line//[^A-Z0-9_%]/ } " == *" $col "* ]] && n=$((n + 1))
			done
			((n < 3)) || fail "$f lists columns: $line"
		done <"$TOP/completions/$f"
	done
	# What they ask for is what --help says.
	run -0 memlock --list-commands
	assert_equal "$(cut -f1 <<<"$output")" "$(memlock_commands)"
	for c in $(memlock_commands); do
		run -0 memlock "$c" --list-columns
		assert_equal "$output" "$(memlock_columns "$c")"
	done
	run -0 memlock status --list-columns=maps
	assert_equal "$output" "$(memlock_columns status-maps)"
	run -0 memlock status --list-columns=users
	assert_equal "$output" "$(memlock_columns status-users)"
	run -2 --separate-stderr memlock status --list-columns=bogus
	assert_equal "$stderr" "memlock: invalid column set 'bogus': use --list-columns, --list-columns=maps or --list-columns=users"
}
