# Shared by every .bats file: `load test_helper`.
bats_require_minimum_version 1.5.0

bats_load_library bats-support
bats_load_library bats-assert

TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
MEMLOCK="${MEMLOCK:-$TOP/memlock}"
# shellcheck disable=SC2034 # used by the .bats files
PAGE_SIZE="$(getconf PAGESIZE)"

# Runs the binary under test; `run memlock ...` reads like the user's line.
memlock() {
	"$MEMLOCK" "$@"
}

# Every command the binary lists in `memlock --help`.
memlock_commands() {
	"$MEMLOCK" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'
}

# Every long option that `memlock [COMMAND] --help` lists.
memlock_long_options() {
	"$MEMLOCK" "$@" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u
}

# The output columns that `memlock COMMAND --help` lists.
memlock_columns() {
	"$MEMLOCK" "$1" --help | sed -n '/^Available output columns:/,$p' | awk 'NR > 1 { print $1 }'
}

# What each shell offers for a command line, one candidate a line.
complete_bash() {
	bash --norc -c '
		source "$1"
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_memlock
		printf "%s\n" "${COMPREPLY[@]}"' _ "$TOP/completions/memlock.bash" "$1"
}

complete_fish() {
	# shellcheck disable=SC2016 # fish expands $argv itself
	fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
		"$TOP/completions/memlock.fish" "$1" | cut -f1
}

complete_zsh() {
	timeout 30 "$TOP/tests/helpers/zsh-complete" "$TOP/completions" "$1"
}
