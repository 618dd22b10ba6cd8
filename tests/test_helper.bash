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

# The binary under test is also "memlock" on PATH, for what runs it by that
# name: the completions ask it for its commands and columns.
mkdir -p "$BATS_RUN_TMPDIR/bin"
ln -sf "$MEMLOCK" "$BATS_RUN_TMPDIR/bin/memlock"
PATH="$BATS_RUN_TMPDIR/bin:$PATH"

# Every command the binary lists in `memlock --help`.
memlock_commands() {
	"$MEMLOCK" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'
}

# Every long option that `memlock [COMMAND] --help` lists.
memlock_long_options() {
	"$MEMLOCK" "$@" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u
}

# The output columns that `memlock COMMAND --help` lists; "status-maps"
# for those of status --maps, which its help lists after "With --maps:".
memlock_columns() {
	local cmd=${1%%-*} set=
	[ "$1" = "$cmd" ] || set=--${1#*-}:
	"$MEMLOCK" "$cmd" --help | sed -n '/^Available output columns:/,$p' |
		awk -v set="$set" '
			/^With --/ { cur = $2; next }
			/^  [A-Z]/ && cur == set { print $1 }'
}

# Every output column of every command, for the consistency checks.
memlock_all_columns() {
	"$MEMLOCK" "$1" --help | sed -n '/^Available output columns:/,$p' | awk '/^  [A-Z]/ { print $1 }'
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

# Starts tests/helpers/lock-helper with ARGS, possibly behind a wrapper
# (prlimit, setpriv, capsh) given first; waits until it holds its locks.
# Sets HELPER_PID (the helper's own pid) and HELPER_SHMID.
HELPERS=()
start_helper() {
	local out word pid shmid i
	out=$(mktemp "$BATS_TEST_TMPDIR/helper.XXXXXX")
	"$@" >"$out" 3>&- &
	for ((i = 0; i < 200; i++)); do
		read -r word pid shmid <"$out" || true
		[ "$word" = ready ] && break
		if [ -n "$word" ]; then
			cat "$out" >&2
			return 1
		fi
		sleep 0.05
	done
	[ "$word" = ready ] || { echo "helper did not start" >&2; return 1; }
	HELPER_PID=$pid
	HELPER_SHMID=$shmid
	HELPER_OUT=$out
	HELPERS+=("$pid")
}

helper() {
	echo "$TOP/tests/helpers/lock-helper"
}

# Whether PID is gone, or a zombie: its parent (PID 1 here reaps late) has
# not collected it yet, and it holds nothing.
gone() {
	local st
	[ -e "/proc/$1" ] || return 0
	st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ]
}

# Waits until PID is gone; false after 10 s.
wait_gone() {
	local i
	for ((i = 0; i < 500; i++)); do
		gone "$1" && return 0
		sleep 0.02
	done
	return 1
}

# Ends every helper this test started, by pid, and waits until it is gone.
stop_helpers() {
	local p
	for p in "${HELPERS[@]}"; do
		kill "$p" 2>/dev/null && wait_gone "$p"
	done
	HELPERS=()
}

# A field of /proc/PID/status in bytes: proc_bytes PID VmLck
# (multiplied in bash: mawk prints integers past 2^31 as 1.2e+10).
proc_bytes() {
	local kb
	kb=$(awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status")
	[ -n "$kb" ] && echo $((kb * 1024))
}

# The setpriv line that drops root to nobody with no capabilities at all.
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all)

# Whether this shell has CAP_SYS_RESOURCE effective (bit 24 of CapEff).
have_sys_resource() {
	local eff
	eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	(((0x$eff >> 24) & 1))
}

# Limits a test can set without CAP_SYS_RESOURCE: at most the current hard
# limit. Sets LIM_HARD (<= 32M) and LIM_SOFT (half of it), in bytes.
pick_limits() {
	local hard
	hard=$(prlimit --pid $$ --memlock --raw --noheadings -o HARD)
	if [ "$hard" = unlimited ] || ((hard > 33554432)); then
		hard=33554432
	fi
	((hard >= 65536)) || skip "the hard RLIMIT_MEMLOCK ($hard) is too small to test with"
	LIM_HARD=$((hard / 4096 * 4096))
	LIM_SOFT=$((LIM_HARD / 8192 * 4096))
}

# Sends SIGUSR1 to the last helper started with --usr1 and prints what its
# lock returned: 0 or the errno's name.
usr1_result() {
	local n i line
	n=$(grep -c '^usr1 ' "$HELPER_OUT" || true)
	kill -USR1 "$HELPER_PID"
	for ((i = 0; i < 200; i++)); do
		line=$(grep '^usr1 ' "$HELPER_OUT" | sed -n "$((n + 1))p")
		[ -n "$line" ] && break
		sleep 0.02
	done
	line=${line#usr1 }
	[ "$line" = ok ] && line=0
	echo "${line:-no answer}"
}

# A byte count as memlock writes whole KiB and MiB: 4194304 -> 4M.
size_h() {
	if (($1 % 1048576 == 0)); then echo "$(($1 / 1048576))M"
	elif (($1 % 1024 == 0)); then echo "$(($1 / 1024))K"
	else echo "$1B"; fi
}

# A memory cgroup under ours, limited to $1 bytes (v1 or v2), named $2 if
# given, in TEST_CGROUP; or skip.  The teardown rmdirs it.
make_memory_cgroup() {
	local path
	path=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
	if [ -n "$path" ]; then
		TEST_CGROUP=/sys/fs/cgroup/memory$path/${2:-memlock-test-$$-$BATS_TEST_NUMBER}
		mkdir "$TEST_CGROUP" 2>/dev/null || skip "cannot make a v1 memory cgroup here"
		echo "$1" >"$TEST_CGROUP/memory.limit_in_bytes" || skip "cannot limit a v1 memory cgroup"
	else
		path=$(awk -F: '$1 == 0 { print $3 }' /proc/self/cgroup)
		TEST_CGROUP=/sys/fs/cgroup$path/${2:-memlock-test-$$-$BATS_TEST_NUMBER}
		mkdir "$TEST_CGROUP" 2>/dev/null || skip "cannot make a v2 cgroup here"
		echo "$1" >"$TEST_CGROUP/memory.max" 2>/dev/null ||
			skip "the memory controller is not delegated to this v2 cgroup"
	fi
}

# Runs COMMAND... until it succeeds: the state a test waits for, not a
# time; false after 10 s.
wait_for() {
	local i
	for ((i = 0; i < 500; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

# Waits until FILE has a line matching the extended regular expression
# RE (a sample written by --interval, a helper's report); false after 10 s.
wait_line() {
	wait_for grep -qE -- "$2" "$1"
}

# Whether FILE has at least N lines.
has_lines() {
	(($(wc -l <"$1" 2>/dev/null || echo 0) >= $2))
}

# Waits until FILE has at least N lines; false after 10 s.
wait_lines() {
	wait_for has_lines "$1" "$2"
}

# setup and teardown of a suite that starts holders: a directory D (named
# after NAME, readable by nobody), and PIDS, each killed and waited for.
holders_setup() {
	D=$(mktemp -d "/tmp/memlock-$1.XXXXXX")
	chmod 755 "$D"
	PIDS=()
}

holders_teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait_gone "$p"
	done
	rm -rf "$D"
}

# The files a holder (PID) has locked, from its smaps, sorted.
locked_files() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { path = $6 } /^VmFlags:.* lo/ && path ~ /^\// { print path }' \
		"/proc/$1/smaps" | sort -u
}

# After a process of the test's user that had io_uring instances is gone:
# the kernel gives their charge back in deferred work (io_uring/io_uring.c
# io_ring_exit_work()), later, and no file shows that charge, so there is
# no state to wait for; a pause well past the ~15 ms it was measured to take.
settle_uring() {
	sleep 0.3
}
