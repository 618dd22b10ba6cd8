#!/usr/bin/env bats
# Docs and code cannot drift: every command and long option that the binary
# lists appears in the man page and in all three completions.

load test_helper

MAN="$TOP/man/memlock.1"

@test "the man page is mandoc -Tlint clean" {
	run -0 mandoc -Tlint -Wwarning "$MAN"
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

@test "every output column of every command is in the man page and completions" {
	local c col
	for c in $(memlock_commands); do
		for col in $(memlock_all_columns "$c"); do
			grep -qw -- "$col" "$MAN" || fail "man page lacks column $col ($c)"
			grep -qw -- "$col" "$TOP/completions/memlock.bash" || fail "bash lacks column $col"
			grep -qw -- "$col" "$TOP/completions/_memlock" || fail "zsh lacks column $col"
			grep -qw -- "$col" "$TOP/completions/memlock.fish" || fail "fish lacks column $col"
		done
	done
}

@test "the binary's command list is the table the completions use" {
	local listed
	listed=$(memlock_commands | tr '\n' ' ')
	grep -qF "commands=\"${listed% }\"" "$TOP/completions/memlock.bash" ||
		fail "bash commands= differs from: $listed"
	grep -qF "set -l commands ${listed% }" "$TOP/completions/memlock.fish" ||
		fail "fish commands differ from: $listed"
}
