# Shared by every .bats file: `load test_helper`.
bats_require_minimum_version 1.5.0

bats_load_library bats-support
bats_load_library bats-assert

TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
MEMLOCK="${MEMLOCK:-$TOP/memlock}"
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
