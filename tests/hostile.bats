#!/usr/bin/env bats
# Hostile cases, across every command and the global options: hostile
# environments and locales, closed and broken descriptors, hostile names and
# paths, boundary sizes, pids and durations, signals to a holder, hidden /proc
# and cgroup files, hostile memory cgroups and System V segments.
#
# CASES: 334 (a case is one invocation of memlock with its assertions;
# `HOSTILE_TALLY=FILE bats tests/hostile.bats` writes one line per case to FILE).
#
# Every case checks, besides its own assertions (see ck below): the exit
# status; that every stderr line begins with "memlock: "; for exit 2 and 3,
# exactly one stderr line and nothing on stdout (ck_report relaxes that where
# the contract prints a report: doctor's "could not tell", status with several
# pids); no raw control byte (C0 but tab and newline, DEL, C1 as raw bytes or
# as UTF-8) on either stream; valid JSON where -J is given and the command
# succeeds or reports.  Nothing is left behind: every process started is
# killed by its pid, segments removed, cgroups removed, mounts made inside
# `unshare -m` only, and teardown fails the test when a memlock process that
# names this test's directory is still running.

load test_helper

setup_file() {
	local loc="$BATS_FILE_TMPDIR/loc"
	mkdir -p "$loc"
	if command -v localedef >/dev/null 2>&1; then
		localedef -c -i tr_TR -f UTF-8 "$loc/tr_TR.UTF-8" >/dev/null 2>&1 || true
	fi
	export HX_LOCPATH=$loc
}

setup() {
	# Not under $BATS_TEST_TMPDIR: nobody must reach some of these files, and
	# bats's own directories are 0700.  Removed in teardown.
	T=$(mktemp -d /tmp/memlock-hostile.XXXXXX)
	chmod 755 "$T"
	PIDS=()
	SHMIDS=()
	CGROUPS=()
	ROOTFILES=()
	OUTF=$BATS_TEST_TMPDIR/out
	ERRF=$BATS_TEST_TMPDIR/err
	FAILED=0
	rc=
	CK_DESC=
}

# Waits (bounded) until FILE does not exist; false if it still does.
wait_no_file() {
	local i
	for ((i = 0; i < 250; i++)); do
		[ -e "$1" ] || [ -L "$1" ] || return 0
		sleep 0.02
	done
	return 1
}

teardown() {
	local p id cg f i left=()
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait_gone "$p" || left+=("$p")
	done
	for id in "${SHMIDS[@]}"; do
		ipcrm -m "$id" 2>/dev/null || true
	done
	for cg in "${CGROUPS[@]}"; do
		for ((i = 0; i < 100; i++)); do
			rmdir "$cg" 2>/dev/null && break
			[ -d "$cg" ] || break
			sleep 0.02
		done
		[ ! -d "$cg" ] || left+=("cgroup $cg")
	done
	for f in "${ROOTFILES[@]}"; do
		rm -f "$f"
	done
	# Leftovers: a memlock process that names this test's directory.
	for f in $(grep -alF -- "$T" /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/cmdline}
		if grep -q '^memlock\|^mlk' "/proc/$p/comm" 2>/dev/null && ! gone "$p"; then
			kill -KILL "$p" 2>/dev/null || true
			left+=("memlock pid $p")
		fi
	done
	chmod -R u+rwx "$T" 2>/dev/null || true
	rm -rf "$T"
	if ((${#left[@]})); then
		echo "left behind: ${left[*]}" >&2
		return 1
	fi
	if ((FAILED)); then
		echo "$FAILED case(s) wrong, see above" >&2
		return 1
	fi
}

# One line per case, for the count in the header.
tally() {
	[ -z "${HOSTILE_TALLY:-}" ] || echo "$BATS_TEST_NUMBER ${CK_DESC//$'\n'/ }" >>"$HOSTILE_TALLY"
}

# The checks of the streams, in one perl: no raw control byte (C0 but tab
# and newline, DEL, C1 as U+0080-U+009F in UTF-8 or as a raw byte 0x80-0x9f
# outside a valid UTF-8 sequence) in any FILE; every line of a FILE whose
# name ends in "err" begins with "memlock: ".  With ONE=1 (first argument),
# the last two files are stdout and stderr of an exit 2 or 3: exactly one
# stderr line, nothing on stdout.
STREAM_CHECKS='
	my $one = shift @ARGV;
	my (@why, %d);
	for my $f (@ARGV) {
		open(my $h, "<:raw", $f) or die "$f: $!\n";
		local $/;
		my $d = <$h> // "";
		$d{$f} = $d;
		push @why, sprintf("%s: raw control byte 0x%02x", $f, ord $1)
			if $d =~ /([\x00-\x08\x0b-\x1f\x7f])/;
		push @why, sprintf("%s: C1 control U+%04X in UTF-8", $f, ord $1)
			if $d =~ /\xc2([\x80-\x9f])/;
		(my $v = $d) =~ s/[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}//g;
		push @why, sprintf("%s: raw C1 byte 0x%02x", $f, ord $1) if $v =~ /([\x80-\x9f])/;
		if ($f =~ /err[^\/]*$/) {
			for (split /\n/, $d) {
				next if /^memlock: /;
				push @why, "$f: a line does not begin with \"memlock: \"";
				last;
			}
		}
	}
	if ($one) {
		my ($o, $e) = @d{@ARGV[-2, -1]};
		my $n = () = $e =~ /\n/g;
		push @why, "$n stderr lines, want exactly one" if $n != 1 || $e !~ /\n\z/;
		push @why, "stdout is not empty" if length $o;
	}
	print join("; ", @why), "\n" if @why;
	exit(@why ? 1 : 0);'

# Prints what a failed case did and counts it; teardown fails the test.  The
# other cases of the test still run, so that one wrong case hides no other.
ck_fail() {
	{
		echo "case: $CK_DESC"
		echo "exit: $rc"
		echo "--- stdout"
		head -c 3000 "$OUTF" | cat -v
		echo "--- stderr"
		head -c 3000 "$ERRF" | cat -v
		echo "--- wrong: $*"
		echo
	} >&2
	FAILED=$((FAILED + 1))
	return 0
}

# The checks every case makes on OUTF and ERRF.  MODE: strict or report.
ck_common() {
	local mode=$1 want=$2 json=$3 why one=0
	[ "$rc" = "$want" ] || ck_fail "exit status $rc, want $want"
	if [ "$mode" = strict ] && { [ "$want" = 2 ] || [ "$want" = 3 ]; }; then
		one=1
	fi
	why=$(perl -e "$STREAM_CHECKS" "$one" "$OUTF" "$ERRF") || ck_fail "$why"
	if [ "$json" = 1 ] && { [ "$rc" = 0 ] || [ "$rc" = 1 ] || [ "$mode" = report ]; } && [ -s "$OUTF" ]; then
		jq -e . "$OUTF" >/dev/null 2>&1 || ck_fail "stdout is not valid JSON"
	fi
	return 0
}

# ck RC [WRAPPER... ::] ARGS...: runs memlock ARGS (behind WRAPPER), checks
# the exit status and the shared rules; sets rc, out, err (OUTF, ERRF).
ck() { _ck strict "$@"; }
# ck_report: the same, but exit 2 or 3 may come with a report on stdout.
ck_report() { _ck report "$@"; }

_ck() {
	local mode=$1 want=$2 i json=0
	shift 2
	local -a pre=() args=("$@")
	# The wrapper is short: "::" is among the first words, if at all.
	for ((i = 0; i < ${#args[@]} && i < 24; i++)); do
		if [ "${args[i]}" = "::" ]; then
			pre=("${args[@]:0:i}")
			args=("${args[@]:i+1}")
			break
		fi
	done
	if [[ " ${args[*]} " =~ \ (--json|-[A-Za-z]*J[A-Za-z]*)\  ]]; then
		json=1
	fi
	CK_DESC="${pre[*]:+${pre[*]} }memlock$(printf ' %q' "${args[@]:0:40}")"
	rc=0
	"${pre[@]}" "$MEMLOCK" "${args[@]}" >"$OUTF" 2>"$ERRF" 3>&- || rc=$?
	out=$(<"$OUTF")
	err=$(<"$ERRF")
	tally
	ck_common "$mode" "$want" "$json"
}

# Assertions on the last case.
err_has() { [[ $err == *"$1"* ]] || ck_fail "stderr lacks: $1"; }
err_lacks() { [[ $err != *"$1"* ]] || ck_fail "stderr has: $1"; }
out_has() { [[ $out == *"$1"* ]] || ck_fail "stdout lacks: $1"; }
out_lacks() { [[ $out != *"$1"* ]] || ck_fail "stdout has: $1"; }
err_lines() {
	local n
	n=$(wc -l <"$ERRF")
	[ "$n" = "$1" ] || ck_fail "$n stderr lines, want $1"
}
err_is() { [ "$err" = "$1" ] || ck_fail "stderr is not: $1"; }
jq_is() {
	local got
	got=$(jq -r "$1" "$OUTF" 2>&1) || ck_fail "jq $1: $got"
	[ "$got" = "$2" ] || ck_fail "jq $1 is '$got', want '$2'"
}

# A file of N random bytes, readable by everyone.
mkf() {
	head -c "$2" /dev/urandom >"$1"
	chmod 644 "$1"
}

# hold [WRAPPER... ::] ARGS...: starts `memlock lock ARGS` in the background
# and waits for its report; sets HPID, HOUT, HERR.
hold() {
	local i
	local -a pre=() args=("$@")
	for ((i = 0; i < ${#args[@]}; i++)); do
		if [ "${args[i]}" = "::" ]; then
			pre=("${args[@]:0:i}")
			args=("${args[@]:i+1}")
			break
		fi
	done
	HOUT=$(mktemp "$BATS_TEST_TMPDIR/hold.XXXXXX")
	HERR=$HOUT.err
	"${pre[@]}" "$MEMLOCK" lock "${args[@]}" >"$HOUT" 2>"$HERR" 3>&- &
	HPID=$!
	PIDS+=("$HPID")
	for ((i = 0; i < 500; i++)); do
		grep -q holding "$HOUT" && return 0
		gone "$HPID" && break
		sleep 0.02
	done
	cat "$HOUT" "$HERR" >&2
	echo "the holder did not report" >&2
	return 1
}

# Sends SIG to the holder and waits for it: HRC is its exit status.
end_hold() {
	kill "-$1" "$HPID"
	HRC=0
	wait "$HPID" || HRC=$?
}

# A case that is not an invocation through ck: checks the streams of one
# (files whose name ends in "err" are stderr).
ck_streams() {
	local why
	tally
	why=$(perl -e "$STREAM_CHECKS" 0 "$@") || ck_fail "$why"
}

# Runs "$@" with stdout a pipe whose reader is already gone; SIGPIPE as $1
# (DEFAULT or IGNORE).  A wrapper for ck.
PIPE_CLOSED=(perl -e 'pipe(my $r, my $w) or die "pipe: $!\n"; close $r;
	open(STDOUT, ">&", $w) or die "dup: $!\n"; close $w;
	$SIG{PIPE} = shift @ARGV; exec { $ARGV[0] } @ARGV or die "exec: $!\n"')

need_unshare_m() {
	unshare -m true 2>/dev/null || skip "unshare -m is not permitted here"
}

need_unshare_p() {
	unshare -p -f -m --mount-proc true 2>/dev/null || skip "unshare -p -f -m --mount-proc is not permitted here"
}

# ASan and LeakSanitizer read /proc/self/maps and /proc/PID/task: with no
# procfs they fail before memlock can say anything.
need_real_proc_for_sanitizer() {
	[ -z "${MEMLOCK_SANITIZED:-}" ] || skip "ASan/LSan need a real /proc (they read /proc/self/maps and /proc/PID/task)"
}

need_tr() {
	[ -e "$HX_LOCPATH/tr_TR.UTF-8/LC_CTYPE" ] || skip "localedef could not build tr_TR.UTF-8"
}

TR=(env "LOCPATH=$BATS_FILE_TMPDIR/loc" LC_ALL=tr_TR.UTF-8)

# --------------------------------------------------------------------------
# Global options and argv

@test "argv: hostile command names and options are named, escaped, in one error line" {
	ck 2 :: $'\e[31mred'
	err_has "'\\x1b[31mred'"
	ck 2 :: $'\x9b'
	err_has "'\\x9b'"
	ck 2 :: $'\xc2\x9b'
	err_has "'\\xc2\\x9b'"
	ck 2 :: $'pa\nges' 1 2
	err_has "'pa\\x0ages'"
	ck 2 :: $'\x7f'
	err_has "'\\x7f'"
	ck 2 :: ''
	ck 2 :: $'-\x01'
	err_has '\x01'
	ck 2 :: pages $'--\e[2J' 1 2
	err_has '--\x1b[2J'
	ck 2 :: $'\\x41'
	err_has "'\\x5cx41'"
	ck 2 :: status $'-\xff'
	err_has '\xff'
	ck 2 :: status $'--m\xc4\xb0n' 1
}

@test "argv: an option that takes no value, given one, is not called unknown" {
	# A known option: 'unknown option --version' would be false.
	ck 2 :: --version=1
	err_has "'--version' takes no value"
	ck 2 :: pages --help=1
	err_has "'--help' takes no value"
	ck 2 :: status --json=x
	err_has "'--json' takes no value"
}

@test "argv: no argv at all (argc 0) and a hostile argv[0]" {
	command -v cc >/dev/null || skip "no C compiler for the argc-0 launcher"
	cat >"$BATS_TEST_TMPDIR/argc0.c" <<'EOF'
#include <unistd.h>
int main(int argc, char **argv)
{
	char *none[] = { NULL };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };

	(void)argc;
	execve(argv[1], none, env);
	return 127;
}
EOF
	cc -o "$BATS_TEST_TMPDIR/argc0" "$BATS_TEST_TMPDIR/argc0.c"
	ck 2 "$BATS_TEST_TMPDIR/argc0" ::
	err_is "memlock: no command given; see 'memlock --help'"
	# Messages say "memlock:" whatever argv[0] says.
	ck 2 bash -c 'exec -a "$0" "$@"' $'\e]0;pwned\a\e[2J' :: bogus
	err_has "unknown command 'bogus'"
	ck 2 bash -c 'exec -a "$0" "$@"' '' :: pages 1
}

# ck_help_env VALUE ARGS...: memlock ARGS with ARGP_HELP_FMT=VALUE, stdout
# cut at 200000 bytes: a help text longer than that is a loop (glibc's argp
# reads ARGP_HELP_FMT, and some values make it print blank lines forever).
ck_help_env() {
	local v=$1
	shift
	CK_DESC="ARGP_HELP_FMT=$(printf %q "$v") memlock$(printf ' %q' "$@") (bounded)"
	rc=0
	bash -c 'set -o pipefail; ARGP_HELP_FMT=$0 timeout 20 "$@" 2>"$ERRF" | head -c 200000 >"$OUTF"' \
		"$v" "$MEMLOCK" "$@" 3>&- || rc=$?
	out=$(<"$OUTF")
	err=$(<"$ERRF")
	tally
	ck_common strict 0 0
	[ "$(wc -c <"$OUTF")" -lt 200000 ] || ck_fail "the help went on past 200000 bytes"
}

@test "environment: ARGP_HELP_FMT cannot inject control bytes nor make --help loop" {
	export OUTF ERRF
	ck_help_env $'\e[31m' pages --help
	out_has "Usage: memlock pages"
	ck_help_env $'rmargin=\xc2\x9b' status --help
	ck_help_env rmargin=0 --help
}

@test "environment: POSIXLY_CORRECT, an empty environment, a bogus locale, odd COLUMNS" {
	ck 0 env POSIXLY_CORRECT=1 :: pages -J 4096 1
	jq_is '.pages[0].start' 4096
	# Options after operands are operands then: bad input, not a crash.
	ck 2 env POSIXLY_CORRECT=1 :: pages 4096 1 -J
	ck 0 env -i :: status -J
	ck 0 env -i :: lock -t 0 --anon 4K
	ck 0 env -i :: limit --set 4M -- sh -c 'exit 0'
	ck 0 env LC_ALL=xx_XX.UTF-8 LANG=yy :: pages -J 1 2
	ck 0 env COLUMNS=1 LINES=1 :: status -a
	ck 0 env COLUMNS=-5 :: pages 1 2
	ck 0 env COLUMNS=99999999999999999999 :: limit
}

# --------------------------------------------------------------------------
# Descriptors

@test "closed stdin, stdout or stderr: no crash, nothing written where it should not be" {
	# A closed stdout is /dev/null to memlock, as to lsblk and prlimit.
	ck 0 bash -c 'exec "$@" >&-' _ :: pages 1 2
	err_is ""
	ck 0 bash -c 'exec "$@" >&-' _ :: status
	err_is ""
	ck 0 bash -c 'exec "$@" >&-' _ :: limit
	ck 0 bash -c 'exec "$@" >&-' _ :: lock -t 0 --anon 4K
	# No stderr to say it on: the exit status still says it.
	ck_report 3 bash -c 'exec "$@" 2>&-' _ :: status 4194304
	[ ! -s "$OUTF" ] || ck_fail "stdout is not empty"
	ck 0 bash -c 'exec "$@" <&-' _ :: pages 1 2
	ck 0 bash -c 'exec "$@" <&-' _ :: lock -t 0 --anon 4K
	ck 0 bash -c 'exec "$@" <&- >&- 2>&-' _ :: doctor -J 4K
}

@test "closed stdout and stderr: a holder's pidfile holds its pid and nothing else" {
	mkf "$T/f" 8192
	# A stale pidfile: the note about it goes to the closed stderr.
	echo 2147483647 >"$T/pf"
	tally
	CK_DESC="memlock lock --pidfile pf f >&- 2>&- (holder)"
	"$MEMLOCK" lock --pidfile "$T/pf" "$T/f" >&- 2>&- 3>&- &
	HPID=$!
	PIDS+=("$HPID")
	local i
	for ((i = 0; i < 500; i++)); do
		[ "$(proc_bytes "$HPID" VmLck 2>/dev/null)" = 8192 ] && break
		sleep 0.02
	done
	[ "$(proc_bytes "$HPID" VmLck)" = 8192 ] || fail "the holder did not lock"
	assert_equal "$(cat "$T/pf")" "$HPID"
	end_hold TERM
	assert_equal "$HRC" 0
	[ ! -e "$T/pf" ] || fail "the pidfile was left behind"
	# -d with all three closed.
	ck 0 bash -c 'exec "$@" <&- >&- 2>&-' _ :: lock -d --pidfile "$T/pf" "$T/f"
	local d
	d=$(cat "$T/pf")
	PIDS+=("$d")
	[[ $d =~ ^[0-9]+$ ]] || fail "pidfile holds '$d'"
	# 0-2, its own pidfile (kept open and locked while it lives), /proc (a
	# reload reads it), the inotify watching the held file's directory and
	# the signalfd it waits on: no descriptor of the held file.
	assert_equal "$(for f in /proc/"$d"/fd/*; do readlink "$f"; done | sort | tr '\n' ' ')" \
		"$(printf '%s\n' /dev/null /dev/null /dev/null "$T/pf" /proc anon_inode:inotify \
			'anon_inode:[signalfd]' | sort | tr '\n' ' ')"
	assert_equal "$(readlink "/proc/$d/fd/1")" /dev/null
	kill -TERM "$d"
	wait_gone "$d" || fail "the daemon did not end"
	wait_no_file "$T/pf" || fail "the daemon left its pidfile"
}

@test "stdout a pipe whose reader is gone: SIGPIPE ends quietly, EPIPE is exit 1" {
	ck 141 "${PIPE_CLOSED[@]}" DEFAULT :: status
	err_is ""
	ck 141 "${PIPE_CLOSED[@]}" DEFAULT :: pages -J 1 2
	err_is ""
	ck 141 "${PIPE_CLOSED[@]}" DEFAULT :: limit
	ck 141 "${PIPE_CLOSED[@]}" DEFAULT :: doctor 4K
	ck 141 "${PIPE_CLOSED[@]}" DEFAULT :: --help
	# lock takes SIGPIPE as EPIPE: the report could not be written.
	ck 1 "${PIPE_CLOSED[@]}" DEFAULT :: lock -t 0 --anon 4K
	# SIGPIPE ignored: EPIPE, exit 1, at most the one line.
	local c
	for c in "status" "pages 1 2" "doctor -J 4K" "limit -p $$"; do
		# shellcheck disable=SC2086 # the words of c
		ck 1 "${PIPE_CLOSED[@]}" IGNORE :: $c
		(($(wc -l <"$ERRF") <= 1)) || ck_fail "several stderr lines for a broken pipe"
	done
	# -d: the outcome is the report's, and nothing is left holding.
	mkf "$T/f" 8192
	ck 1 "${PIPE_CLOSED[@]}" DEFAULT :: lock -d --pidfile "$T/pf" "$T/f"
	wait_no_file "$T/pf" || fail "a pidfile (a holder) was left behind: $(cat "$T/pf")"
}

@test "stdout is /dev/full: every command fails with one clear line" {
	local c
	mkf "$T/f" 4096
	for c in "pages 1 2" "status" "status -m $$" "limit" "limit -p $$" "doctor 4K" \
		"doctor -J" "lock -t 0 --anon 4K" "lock -t 0 -J $T/f" "--help" "--version" \
		"status --help"; do
		# shellcheck disable=SC2086 # the words of c
		ck 1 bash -c 'exec "$@" >/dev/full' _ :: $c
		err_is "memlock: write error: No space left on device"
	done
	ck 1 bash -c 'exec "$@" >/dev/full' _ :: lock -d --pidfile "$T/pf" "$T/f"
	err_is "memlock: write error: No space left on device"
	wait_no_file "$T/pf" || fail "a holder was left behind: $(cat "$T/pf")"
	# With a COMMAND, memlock prints nothing: the status is the command's.
	ck 0 bash -c 'exec "$@" >/dev/full' _ :: limit --set 4M -- true
}

@test "RLIMIT_FSIZE: a report larger than the file may grow fails with one line" {
	mkdir "$T/many"
	local i
	for ((i = 0; i < 40; i++)); do
		mkf "$T/many/a-file-with-a-rather-long-name-$i" 100
	done
	ck 1 bash -c 'ulimit -f 1; exec "$@"' _ :: lock -t 0 -r "$T/many"
	err_is "memlock: write error: File too large"
}

@test "RLIMIT_NOFILE of 4: what cannot be opened is exit 3, one line, naming it" {
	ck 3 bash -c 'ulimit -n 4; exec "$@"' _ :: status
	err_has "Too many open files"
	ck 3 bash -c 'ulimit -n 4; exec "$@"' _ :: doctor
	err_has "Too many open files"
	# memlock's own pid, not 'pid 0'.
	err_lacks "pid 0"
	ck 3 bash -c 'ulimit -n 4; exec "$@"' _ :: lock -t 0 --anon 4K
	# A named pid whose files cannot be read shows '-' (SPEC), and exit 3.
	ck_report 3 bash -c 'ulimit -n 4; exec "$@"' _ :: status -r -n -o PID,VMLCK $$
	err_lines 1
	assert_equal "$out" "$$ -"
	ck 0 bash -c 'ulimit -n 4; exec "$@"' _ :: pages 1 2
	ck 0 bash -c 'ulimit -n 4; exec "$@"' _ :: limit
}

@test "RLIMIT_AS and RLIMIT_NPROC: the kernel's refusal is exit 1" {
	if [ -z "${MEMLOCK_SANITIZED:-}" ]; then
		ck 1 prlimit --as=40000000 :: lock -t 0 --anon 64M
		err_has "cannot lock 64M of anonymous memory"
	fi
	# fork() refused for -d: the kernel refused, nothing is held.  (LeakSanitizer
	# cannot start its tracer under such a limit either: off for this one.)
	local noleak=()
	[ -z "${MEMLOCK_SANITIZED:-}" ] || noleak=(env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0")
	ck 1 "${noleak[@]}" prlimit --nproc=1:1 "${NOBODY[@]}" :: lock -d --anon 4K
	err_has "Resource temporarily unavailable"
	# limit -- COMMAND forks nothing: it runs.
	ck 0 prlimit --nproc=1:1 "${NOBODY[@]}" :: limit --set 4M -- true
}

# --------------------------------------------------------------------------
# Locale

@test "Turkish locale: C numbers, valid JSON, ASCII names (i is not İ)" {
	need_tr
	ck 0 "${TR[@]}" :: status -o pid -n $$
	assert_equal "${out// /}" "$$"
	ck 0 "${TR[@]}" :: status -J -o pid,uid,use%,vmlck $$
	jq_is '.processes[0].pid' $$
	ck 0 "${TR[@]}" :: pages 1KIB 1
	ck 0 "${TR[@]}" :: pages 1kib 1
	ck 0 "${TR[@]}" :: pages -J 0x1000 1
	jq_is '.pages[0].addr' 4096
	ck 0 "${TR[@]}" :: lock -J -t 0 --anon 4K
	jq_is '.summary.time | type' number
	ck 0 "${TR[@]}" :: lock -t 0 --anon 4K
	[[ $out =~ in\ [0-9]+\.[0-9]\ ms ]] || ck_fail "no C-formatted 'in N.N ms'"
	ck 0 "${TR[@]}" :: doctor -J 4K
	ck 0 "${TR[@]}" :: limit -J
	jq_is '.limit.soft | type' number
	ck 2 "${TR[@]}" :: status $'--m\xc4\xb0n' 1
	ck 0 "${TR[@]}" :: doctor -o check,result,detail --mode mlock 4K
}

# --------------------------------------------------------------------------
# Sizes

@test "pages: sizes at the edges of 64 bits" {
	ck 0 :: pages 0 0
	ck 0 :: pages 1 0
	ck 0 :: pages -J 4095 1
	jq_is '.pages[0].pages' 1
	ck 0 :: pages -J 4096 0
	jq_is '.pages[0].pages' 0
	ck 0 :: pages -J 9223372036854775807 1
	# (jq reads numbers as doubles: the text is checked.)
	out_has '"end": 9223372036854775808,'
	ck 1 :: pages 18446744073709551615 0
	out_has EINVAL
	ck 1 :: pages -J 18446744073709551615 1
	jq_is '.pages[0].end' null
	ck 1 :: pages -J 0xfffffffffffff000 0x1000
	jq_is '.pages[0].result' EINVAL
	ck 0 :: pages -J 1 18446744073709551615
	jq_is '.pages[0].bytes' 0
	ck 2 :: pages 18446744073709551616 1
	err_has 18446744073709551616
	ck 2 :: pages 16E 1
	ck 2 :: pages 0x 1
	ck 0 :: pages -J 010 010
	jq_is '.pages[0].addr' 10
	ck 2 :: pages ' 1' 1
	ck 2 :: pages $'1\n' 1
	err_has "'1\\x0a'"
	ck 2 :: pages $'1\e' 1
	ck 0 :: pages --page-size 1 -J 5 3
	jq_is '.pages[0].bytes' 3
	ck 0 :: pages --page-size 9223372036854775808 -J 1 1
	jq_is '.pages[0].pages' 1
	ck 2 :: pages --page-size 3 1 1
	ck 2 :: pages --page-size 16E 1 1
}

@test "pages: three thousand overlapping ranges are one group, warned once" {
	local args=()
	mapfile -t args < <(awk 'BEGIN { for (i = 1; i <= 3000; i++) print i * 100 "\n" 5000 }')
	ck 0 :: pages -J "${args[@]}"
	jq_is '.shared | length' 1
	jq_is '.shared[0].ranges' 1-3000
	ck 0 :: pages -n -o START "${args[@]}"
	assert_equal "$(grep -c '^warning:' <<<"$out")" 1
}

@test "doctor and lock --anon: sizes at 0, one byte, 2^63-1, 2^63, 2^64" {
	ck 0 :: doctor -J 0
	jq_is '.verdict.size' 0
	ck 0 :: doctor 1
	ck 1 :: doctor -J 9223372036854775807
	jq_is '.verdict.result' fail
	ck 2 :: doctor 9223372036854775808
	err_has 9223372036854775808
	ck 2 :: doctor 18446744073709551615
	ck 2 :: doctor 18446744073709551616
	ck 2 :: doctor -- -1
	ck 2 :: doctor 0x
	ck 2 :: doctor $'1\x9bM'
	err_has "'1\x9bM'"
	ck 2 :: lock -t 0 --anon $'4\xc2\x85K'
	err_has "'4\xc2\x85K'"
	ck 0 :: lock -J -t 0 --anon 1
	jq_is '.locked[0].bytes' "$PAGE_SIZE"
	ck 0 :: lock -J -t 0 --anon $((PAGE_SIZE - 1))
	jq_is '.summary.vmlck' "$PAGE_SIZE"
	ck 0 :: lock -J -t 0 --anon $((PAGE_SIZE + 1))
	jq_is '.summary.vmlck' $((2 * PAGE_SIZE))
	ck 2 :: lock -t 0 --anon 0
	ck 2 :: lock -t 0 --anon 9223372036854775808
	ck 2 :: lock -t 0 --anon 16E
	# The guard refuses what no machine holds, before mapping anything.
	ck 1 :: lock -t 0 --anon 9223372036854775807
	err_has "refusing to lock"
	# --onfault needs no guard: the kernel refuses the mapping.
	ck 1 :: lock -t 0 --onfault --anon 9223372036854775807
	err_has "ENOMEM"
}

@test "status --min/--max and limit --min: thresholds at the edges" {
	hold :: --anon 64K
	ck 0 :: status --min 0 "$HPID"
	ck 0 :: status --min 64K --max 64K "$HPID"
	ck 1 :: status --max 0 "$HPID"
	err_has "pid $HPID"
	ck 1 :: status --min 18446744073709551615 "$HPID"
	ck 2 :: status --min 16E "$HPID"
	ck 2 :: status --max -1 "$HPID"
	ck 1 :: status -m "$HPID" --max 4K
	ck 0 :: status -m "$HPID" --min 64K -J
	end_hold TERM
	# The figure named by --min is the one given, not one rounded to the
	# soft limit: 'is 8M, less than --min 8M' says nothing.
	ck 1 prlimit --memlock=8388608:8388608 :: limit --min 8388609
	local have want
	have=$(sed -n 's/.* is \([^,]*\), less than --min \(.*\)$/\1/p' <<<"$err")
	want=$(sed -n 's/.* is \([^,]*\), less than --min \(.*\)$/\2/p' <<<"$err")
	[ -n "$have" ] && [ "$have" != "$want" ] || ck_fail "the two figures are both '$have'"
	ck 0 prlimit --memlock=8388608:8388608 :: limit --min 8M
}

# --------------------------------------------------------------------------
# Pids

@test "pids: 0, negative, past pid_max, past 2^31, not decimal" {
	ck 2 :: status 0
	ck 2 :: status -- -1
	ck 2 :: status 2147483648
	ck 3 :: status 4194304
	err_has 4194304
	ck 2 :: status 1e3
	ck 2 :: status $'1\x7f'
	err_has "'1\\x7f'"
	ck 2 :: status 99999999999999999999
	ck 3 :: status -m 4194304
	ck 2 :: status -m 0x10
	ck 3 :: doctor -p 4194304
	ck 3 :: limit -p 2147483647
	ck 2 :: limit -p ' 1'
	ck 2 :: doctor -p $'\xc2\x9b'
	err_has '\xc2\x9b'
	ck 0 :: status 1
	ck 0 :: limit -p 1
}

@test "pids hidden by hidepid: exit 3 for a named one, counted apart in a listing" {
	need_unshare_p
	local w=(unshare -p -f -m --mount-proc sh -c 'sleep 1000 & mount -o remount,hidepid=$0 /proc && exec "$@"')
	"${w[@]}" invisible true 2>/dev/null 3>&- || skip "procfs has no hidepid=invisible here"
	# pid 2 of the namespace is a sleep of root's; pid 1 is memlock, as nobody.
	ck 3 "${w[@]}" invisible "${NOBODY[@]}" :: status 2
	ck 3 "${w[@]}" invisible "${NOBODY[@]}" :: limit -p 2
	ck 3 "${w[@]}" invisible "${NOBODY[@]}" :: doctor -p 2
	ck 3 "${w[@]}" invisible "${NOBODY[@]}" :: status -m 2
	ck_report 3 "${w[@]}" noaccess "${NOBODY[@]}" :: status -r -n -o PID,USER,VMLCK 2
	err_lines 1
	assert_equal "$out" "2 - -"
	ck 0 "${w[@]}" noaccess "${NOBODY[@]}" :: status -J
	jq_is '.summary.unreadable' 1
	ck 0 "${w[@]}" noaccess "${NOBODY[@]}" :: status -a -J
	jq_is '.processes[] | select(.pid == 2) | .vmlck' null
}

@test "pids: a kernel thread and a zombie" {
	[ "$(cat /proc/2/comm 2>/dev/null)" = kthreadd ] || skip "pid 2 is not kthreadd here"
	ck 0 :: status -J 2
	jq_is '.processes[0].command' kthreadd
	ck 0 :: status -m 2
	# Even with no mapping, it says which process it read.
	out_has "pid 2 (kthreadd)"
	ck 3 :: doctor -p 2
	err_has "pid 2 (kthreadd)"
	# A zombie: the child of a perl that never waits, then becomes a sleep.
	perl -e 'my $c = fork() // die "fork: $!\n"; exit 0 unless $c;
		open(my $f, ">", "$ARGV[0].new") or die; print $f "$c\n"; close $f;
		rename("$ARGV[0].new", $ARGV[0]); exec "sleep", "1000"' "$T/zpid" 3>&- &
	PIDS+=("$!")
	local z='' i
	for ((i = 0; i < 250; i++)); do
		[ -s "$T/zpid" ] && z=$(cat "$T/zpid") &&
			[ "$(awk '/^State:/ { print $2 }' "/proc/$z/status" 2>/dev/null)" = Z ] && break
		sleep 0.02
	done
	[ "$(awk '/^State:/ { print $2 }' "/proc/$z/status")" = Z ] || fail "no zombie"
	ck 0 :: status "$z"
	ck 0 :: status -m "$z"
	out_has "pid $z (perl)"
	ck 3 :: doctor -p "$z"
	ck 0 :: limit -p "$z"
}

@test "pids: --min with a pid that does not exist still checks the others" {
	sleep 1000 3>&- &
	PIDS+=("$!")
	ck_report 3 :: status --min 1 "$!" 4194304
	err_lines 2
	err_has "cannot read pid 4194304"
	err_has "pid $! (sleep) has 0B locked, less than --min"
}

@test "a process named with control bytes is escaped by every command" {
	local name=$'e\e[2J\x7f\xc2\x9b\xff\\x\n' esc='e\x1b[2J\x7f\xc2\x9b\xff\x5cx\x0a'
	cp /bin/sleep "$T/$name"
	"$T/$name" 1000 3>&- &
	local p=$!
	PIDS+=("$p")
	ck 0 :: status "$p"
	out_has "$esc"
	ck 0 :: status -J "$p"
	jq_is '.processes[0].command' "$esc"
	ck 0 :: status -r "$p"
	out_has "$esc"
	ck 0 :: limit -p "$p"
	out_has "$esc"
	ck 0 :: limit -J -p "$p"
	jq_is '.limit.command' "$esc"
	ck 0 :: doctor -p "$p" 4K
	out_has "pid $p ($esc)"
	ck 0 :: status -m "$p" -J
	jq_is '.process.command' "$esc"
	ck 1 :: status --min 1G "$p"
	err_has "($esc)"
}

# --------------------------------------------------------------------------
# lock: names, paths, kinds of files

@test "lock: a file named with control bytes, invalid UTF-8, backslash-x, blanks" {
	local name=$'\e]0;pwn\a\x7f\xc2\x9b\xff\\x41 sp\nnl'
	local esc='\x1b]0;pwn\x07\x7f\xc2\x9b\xff\x5cx41 sp\x0anl'
	mkf "$T/$name" 10
	ck 0 :: lock -t 0 "$T/$name"
	out_has "$esc"
	ck 0 :: lock -t 0 -J "$T/$name"
	jq_is '.locked[0].target' "$T/$esc"
	ck 0 :: lock -t 0 --raw -n -o TARGET "$T/$name"
	assert_equal "$out" "$T/${esc// /\\x20}"
	: >"$T/$name.empty"
	ck 2 :: lock -t 0 "$T/$name.empty"
	err_has "'$T/$esc.empty' is empty"
	mkf "$T/-f" 100
	ck 0 env -C "$T" :: lock -t 0 -J -- -f
	jq_is '.locked[0].target' -f
	ck 2 :: lock -t 0 -- "$T/-nothere"
}

@test "lock: a mapped file named with a newline is escaped the same in status -m" {
	local name=$'nl\nname'
	mkf "$T/$name" 5000
	ck 0 :: lock -d --pidfile "$T/pf" "$T/$name"
	local d
	d=$(cat "$T/pf")
	PIDS+=("$d")
	ck 0 :: status -m "$d" -J
	# /proc/PID/maps writes the newline as \012: shown as lock shows it.
	jq_is '.maps[0].path' "$T/nl\\x0aname"
	ck 0 :: status -m "$d"
	out_has "$T/nl\\x0aname"
	kill -TERM "$d"
	wait_gone "$d"
}

@test "lock: 4000-byte paths work, longer ones are one clear line" {
	local p=$T seg
	seg=$(printf 'd%.0s' {1..200})
	while ((${#p} < 3800)); do
		p="$p/$seg"
	done
	mkdir -p "$p"
	mkf "$p/file" 100
	ck 0 :: lock -t 0 "$p/file"
	p="$p/$seg"
	while ((${#p} < 4200)); do
		p="$p/$seg"
	done
	ck 2 :: lock -t 0 "$p/file"
	err_has "File name too long"
}

@test "lock: FIFOs, devices, links, /proc files and empty trees are refused without blocking" {
	mkfifo "$T/fifo"
	ck 2 timeout 20 :: lock -t 0 "$T/fifo"
	err_has "is a FIFO"
	ln -s loop2 "$T/loop1"
	ln -s loop1 "$T/loop2"
	ck 2 :: lock -t 0 "$T/loop1"
	err_has "Too many levels of symbolic links"
	ln -s nothere "$T/dangling"
	ck 2 :: lock -t 0 "$T/dangling"
	ck 2 :: lock -t 0 /dev/null
	ck 2 timeout 20 :: lock -t 0 /dev/zero
	ck 2 :: lock -t 0 /proc/self/status
	err_has "is empty"
	# A sysfs attribute is a regular file the kernel will not map: refused.
	if [ -e /sys/kernel/mm/transparent_hugepage/enabled ]; then
		ck 1 :: lock -t 0 /sys/kernel/mm/transparent_hugepage/enabled
		err_has ENODEV
	fi
	mkdir "$T/d"
	ck 2 :: lock -t 0 "$T/d"
	err_has "-r"
	ck 2 :: lock -t 0 -r "$T/d"
	mkfifo "$T/d/fifo"
	: >"$T/d/empty"
	mkf "$T/big" 8192
	ln -s "$T/big" "$T/d/link"
	ck 2 timeout 20 :: lock -t 0 -r "$T/d"
	err_has "holds no non-empty regular file"
	mkf "$T/d/real" 100
	ck 0 timeout 20 :: lock -t 0 -J -r "$T/d"
	jq_is '.summary.regions' 1
}

@test "lock as nobody: what may not be read is exit 3, one line, nothing locked" {
	mkf "$T/ok" 100
	mkf "$T/unread" 100
	chmod 600 "$T/unread"
	mkdir "$T/closed"
	mkf "$T/closed/f" 100
	chmod 700 "$T/closed"
	ck 3 "${NOBODY[@]}" :: lock -t 0 "$T/unread"
	err_has "'$T/unread'"
	# Refused before anything is locked: not locked, then released.
	ck 3 "${NOBODY[@]}" :: lock -t 0 "$T/ok" "$T/unread"
	ck 3 "${NOBODY[@]}" :: lock -t 0 "$T/closed/f"
	ck 3 "${NOBODY[@]}" :: lock -t 0 -r "$T/closed"
	ck 1 "${NOBODY[@]}" :: lock -t 0 -k -J "$T/ok" "$T/unread"
	jq_is '.summary.regions' 1
	ck 3 "${NOBODY[@]}" :: lock -t 0 --pidfile "$T/closed/pf" "$T/ok"
}

@test "lock -k: good and bad files mixed" {
	mkf "$T/good" 10000
	: >"$T/empty"
	mkfifo "$T/fifo"
	ck 1 timeout 20 :: lock -t 0 -k "$T/good" "$T/nothere" "$T/empty" "$T/fifo"
	err_lines 3
	out_has "locked"
	ck 1 :: lock -t 0 -k -J "$T/good" "$T/nothere"
	jq_is '.summary.bytes' 12288
	ck 2 :: lock -t 0 -k "$T/nothere"
	ck 1 :: lock -d -k --pidfile "$T/pf" "$T/good" "$T/nothere"
	local d
	d=$(cat "$T/pf")
	PIDS+=("$d")
	assert_equal "$(proc_bytes "$d" VmLck)" 12288
	kill -TERM "$d"
	wait_gone "$d"
	wait_no_file "$T/pf" || fail "the pidfile was left behind"
	# Named twice and through a hard link: locked once.
	ln "$T/good" "$T/hard"
	ck 0 :: lock -t 0 -J "$T/good" "$T/good" "$T/hard"
	jq_is '.summary.regions' 1
}

@test "lock: ranges and file sizes at page boundaries" {
	mkf "$T/f" 10000
	ck 2 :: lock -t 0 --range 10000:1 "$T/f"
	ck 0 :: lock -t 0 -J --range 9999:1 "$T/f"
	jq_is '.summary.vmlck' "$PAGE_SIZE"
	ck 2 :: lock -t 0 --range 0:0 "$T/f"
	ck 2 :: lock -t 0 --range 18446744073709551615:1 "$T/f"
	ck 2 :: lock -t 0 --range 1:18446744073709551615 "$T/f"
	mkf "$T/one" 1
	ck 2 :: lock -t 0 --range 1:1 "$T/one"
	ck 0 :: lock -t 0 -J "$T/one"
	jq_is '.summary.vmlck' "$PAGE_SIZE"
	mkf "$T/page" "$PAGE_SIZE"
	ck 0 :: lock -t 0 -J "$T/page"
	jq_is '.locked[0].pages' 1
	mkf "$T/page1" $((PAGE_SIZE + 1))
	ck 0 :: lock -t 0 -J "$T/page1"
	jq_is '.summary.vmlck' $((2 * PAGE_SIZE))
}

@test "lock: a 1 TiB sparse file and 8 EiB files on tmpfs" {
	truncate -s 1T "$T/sparse"
	ck 1 :: lock -t 0 "$T/sparse"
	err_has "refusing to lock 1T"
	ck 0 :: lock -t 0 -J --onfault "$T/sparse"
	jq_is '.locked[0].bytes' 1099511627776
	ck 0 :: lock -t 0 -J --range 1099511627775:1 "$T/sparse"
	jq_is '.summary.vmlck' "$PAGE_SIZE"
	need_unshare_m
	mkdir "$T/mnt"
	local mk='mount -t tmpfs -o size=1M none "$0" && truncate -s 9223372036854775807 "$0/a" "$0/b" && exec "$@"'
	ck 1 unshare -m sh -c "$mk" "$T/mnt" :: lock -t 0 "$T/mnt/a" "$T/mnt/b"
	err_has "more than 16E"
	ck 1 unshare -m sh -c "$mk" "$T/mnt" :: lock -t 0 --onfault --no-guard "$T/mnt/a"
	err_has "ENOMEM"
}

@test "lock: a file truncated, or removed, while it is held" {
	mkf "$T/f" 1048576
	hold :: --pidfile "$T/pf" "$T/f"
	CK_DESC="memlock lock --pidfile pf f, f truncated to 0, SIGTERM"
	truncate -s 0 "$T/f"
	gone "$HPID" && fail "the holder died when its file was truncated"
	assert_equal "$(proc_bytes "$HPID" VmLck)" 1048576
	end_hold TERM
	assert_equal "$HRC" 0
	[ ! -e "$T/pf" ] || fail "the pidfile was left behind"
	ck_streams "$HOUT" "$HERR"
	mkf "$T/g" 65536
	hold :: "$T/g"
	CK_DESC="memlock lock g, g removed, SIGINT"
	rm "$T/g"
	end_hold INT
	assert_equal "$HRC" 0
	ck_streams "$HOUT" "$HERR"
}

# --------------------------------------------------------------------------
# lock --pidfile

@test "pidfile: links, junk, FIFOs, devices, directories and bad paths are refused" {
	mkf "$T/f" 4096
	ln -s "$T/target" "$T/link"
	ck 2 :: lock -t 0 --pidfile "$T/link" "$T/f"
	[ ! -e "$T/target" ] || fail "created through the link"
	ln -s /nonexistent/x "$T/dangling"
	ck 2 :: lock -t 0 --pidfile "$T/dangling" "$T/f"
	echo hello >"$T/junk"
	ck 2 :: lock -t 0 --pidfile "$T/junk" "$T/f"
	assert_equal "$(cat "$T/junk")" hello
	: >"$T/empty"
	ck 2 :: lock -t 0 --pidfile "$T/empty" "$T/f"
	echo 0 >"$T/zero"
	ck 2 :: lock -t 0 --pidfile "$T/zero" "$T/f"
	mkfifo "$T/fifo"
	ck 2 timeout 20 :: lock -t 0 --pidfile "$T/fifo" "$T/f"
	mkdir "$T/dir"
	ck 2 :: lock -t 0 --pidfile "$T/dir" "$T/f"
	ck 2 :: lock -t 0 --pidfile /dev/null "$T/f"
	[ -c /dev/null ] || fail "/dev/null is no longer a device"
	ck 2 :: lock -t 0 --pidfile "$T/new/" "$T/f"
	ck 2 :: lock -t 0 --pidfile "$T/nodir/pf" "$T/f"
	ck 2 :: lock -t 0 --pidfile "$T/$(printf 'p%.0s' {1..300})" "$T/f"
}

@test "pidfile: a stale one named with control bytes is replaced, with one escaped line" {
	mkf "$T/f" 4096
	local pf=$'pf\e[31m\x9b\n'
	echo 2147483647 >"$T/$pf"
	ck 0 :: lock -t 0 --pidfile "$T/$pf" "$T/f"
	err_lines 1
	err_has "'$T/pf\\x1b[31m\\x9b\\x0a'"
	[ ! -e "$T/$pf" ] || fail "the pidfile was left behind"
}

@test "pidfile: a running holder's is never taken, whatever its binary is called" {
	mkf "$T/f" 4096
	hold :: --pidfile "$T/pf" "$T/f"
	ck 2 :: lock -t 0 --pidfile "$T/pf" "$T/f"
	err_has "pid $HPID"
	assert_equal "$(cat "$T/pf")" "$HPID"
	end_hold TERM
	# The same binary through a link with another name is memlock too.
	ln -s "$MEMLOCK" "$T/mlk"
	"$T/mlk" lock -d --pidfile "$T/pf2" "$T/f" >/dev/null 2>&1 3>&-
	local first
	first=$(cat "$T/pf2")
	PIDS+=("$first")
	ck 2 :: lock -d --pidfile "$T/pf2" "$T/f"
	local now
	now=$(cat "$T/pf2")
	[ "$now" = "$first" ] || {
		PIDS+=("$now")
		ck_fail "the pidfile of holder $first was replaced by $now"
	}
}

@test "pidfile: one in the root directory" {
	mkf "$T/f" 4096
	local pf=/memlock-hostile.$$.pid
	[ ! -e "$pf" ] || skip "$pf exists"
	[ -w / ] || skip "/ is not writable"
	ROOTFILES+=("$pf")
	ck 0 :: lock -t 0 --pidfile "$pf" "$T/f"
	[ ! -e "$pf" ] || fail "$pf was left behind"
}

@test "pidfile: two holders started at once, one pidfile: one holds, one is refused" {
	mkf "$T/f" 4096
	CK_DESC="two 'lock -d --pidfile pf f' at once"
	"$MEMLOCK" lock -d --pidfile "$T/pf" "$T/f" >"$T/1.out" 2>"$T/1.err" 3>&- &
	local a=$!
	"$MEMLOCK" lock -d --pidfile "$T/pf" "$T/f" >"$T/2.out" 2>"$T/2.err" 3>&- &
	local b=$! ra=0 rb=0
	wait "$a" || ra=$?
	wait "$b" || rb=$?
	local d
	d=$(cat "$T/pf")
	PIDS+=("$d")
	assert_equal "$(echo "$ra $rb" | tr ' ' '\n' | sort | tr '\n' ' ')" "0 2 "
	ck_streams "$T/1.out" "$T/1.err" "$T/2.out" "$T/2.err"
	tally # (the second of the two)
	assert_equal "$(cat "$T/1.err" "$T/2.err" | wc -l)" 1
	gone "$d" && fail "the winner is not holding"
	kill -TERM "$d"
	wait_gone "$d"
	wait_no_file "$T/pf" || fail "the pidfile was left behind"
}

# --------------------------------------------------------------------------
# Signals and durations

@test "signals: the three that end the hold exit 0, and remove the pidfile" {
	mkf "$T/f" 8192
	local s
	for s in TERM INT QUIT; do
		hold :: --pidfile "$T/pf" "$T/f"
		CK_DESC="memlock lock --pidfile pf f, then SIG$s"
		assert_equal "$(proc_bytes "$HPID" VmLck)" 8192
		end_hold "$s"
		rc=$HRC OUTF=$HOUT ERRF=$HERR
		[ "$HRC" = 0 ] || ck_fail "SIG$s: exit $HRC, want 0"
		[ ! -e "$T/pf" ] || ck_fail "SIG$s left the pidfile"
		ck_streams "$HOUT" "$HERR"
	done
}

@test "signals: any other that ends it unlocks, removes the pidfile, then ends it so" {
	mkf "$T/f" 8192
	local s n
	for s in USR1 USR2 ALRM RTMIN+3; do
		n=$(kill -l "$s")
		hold :: --pidfile "$T/pf" "$T/f"
		CK_DESC="memlock lock --pidfile pf f, then SIG$s"
		end_hold "$s"
		rc=$HRC OUTF=$HOUT ERRF=$HERR
		[ "$HRC" = $((128 + n)) ] || ck_fail "SIG$s: exit $HRC, want $((128 + n))"
		[ ! -e "$T/pf" ] || ck_fail "SIG$s left the pidfile"
		ck_streams "$HOUT" "$HERR"
	done
}

@test "signals: stopped and continued, the holder keeps its locks; a -d holder too" {
	mkf "$T/f" 8192
	hold :: --pidfile "$T/pf" "$T/f"
	CK_DESC="memlock lock --pidfile pf f, then SIGSTOP, SIGCONT, SIGTERM"
	tally
	kill -STOP "$HPID"
	local i
	for ((i = 0; i < 250; i++)); do
		[ "$(awk '/^State:/ { print $2 }' "/proc/$HPID/status")" = T ] && break
		sleep 0.02
	done
	assert_equal "$(proc_bytes "$HPID" VmLck)" 8192
	kill -CONT "$HPID"
	end_hold TERM
	assert_equal "$HRC" 0
	[ ! -e "$T/pf" ] || fail "the pidfile was left behind"
	ck 0 :: lock -d --pidfile "$T/pf" "$T/f"
	local d
	d=$(cat "$T/pf")
	PIDS+=("$d")
	kill -TERM "$d"
	wait_gone "$d" || fail "the daemon did not end"
	wait_no_file "$T/pf" || fail "the daemon left its pidfile"
}

@test "durations: 0, 1ms, 2^64-1 ms, and bad ones" {
	mkf "$T/f" 4096
	ck 0 :: lock -t 0ms --pidfile "$T/pf" "$T/f"
	out_has "released (--timeout 0)"
	[ ! -e "$T/pf" ] || fail "the pidfile was left behind"
	ck 0 :: lock -t 1ms --pidfile "$T/pf" "$T/f"
	[ ! -e "$T/pf" ] || fail "the pidfile was left behind"
	# The deadline saturates, it does not wrap into the past.
	hold :: -t 18446744073709551615ms "$T/f"
	tally
	gone "$HPID" && fail "a 2^64-1 ms hold ended at once"
	end_hold TERM
	assert_equal "$HRC" 0
	ck 2 :: lock -t 1.5s "$T/f"
	ck 2 :: lock -t -1 "$T/f"
	ck 2 :: lock -t '' "$T/f"
	ck 2 :: lock -t 1S "$T/f"
	ck 2 :: lock -t 1d "$T/f"
	ck 2 :: lock -t 18446744073709551615h "$T/f"
	ck 2 :: lock -d -t 0 "$T/f"
}

# --------------------------------------------------------------------------
# /proc, cgroups, namespaces

@test "a /proc that is not procfs: exit 3, one line, for all but pages" {
	need_unshare_m
	need_real_proc_for_sanitizer
	local w=(unshare -m sh -c 'mount -t tmpfs none /proc && exec "$@"' _)
	ck 3 "${w[@]}" :: status
	err_has "not procfs"
	ck 3 "${w[@]}" :: status $$
	ck 3 "${w[@]}" :: status -m $$
	ck 3 "${w[@]}" :: limit
	ck 3 "${w[@]}" :: limit -p $$
	ck 3 "${w[@]}" :: doctor 4K
	ck 3 "${w[@]}" :: lock -t 0 --anon 4K
	ck 3 "${w[@]}" :: lock -t 0 --no-guard --anon 4K
	ck 0 "${w[@]}" :: pages -J 1 2
}

@test "a /proc mounted with subset=pid hides the guard's input: exit 3 or --no-guard" {
	need_unshare_p
	unshare -p -f -m --mount-proc sh -c 'mount -t proc -o subset=pid proc /proc' 2>/dev/null ||
		skip "procfs has no subset=pid here"
	local w=(unshare -p -f -m --mount-proc sh -c 'mount -t proc -o subset=pid proc /proc && exec "$@"' _)
	ck 3 "${w[@]}" :: lock -t 0 --anon 4K
	err_has /proc/meminfo
	ck 0 "${w[@]}" :: lock -t 0 --no-guard --anon 4K
	ck 0 "${w[@]}" :: lock -t 0 --onfault --anon 4K
	ck_report 3 "${w[@]}" :: doctor -J 4K
	jq_is '.verdict.result' unknown
	ck 0 "${w[@]}" :: status -J
	jq_is '.summary.mlocked' null
}

@test "the cgroup filesystem hidden under a tmpfs: the guard cannot tell" {
	need_unshare_m
	grep -qE '^[0-9]+:(memory)?:|^0::' /proc/self/cgroup || skip "no cgroup here"
	local w=(unshare -m sh -c 'mount -t tmpfs none /sys/fs/cgroup && exec "$@"' _)
	ck 3 "${w[@]}" :: lock -t 0 --anon 4K
	err_has /sys/fs/cgroup
	ck_report 3 "${w[@]}" :: doctor 4K
	out_has "could not tell"
	ck 0 "${w[@]}" :: lock -t 0 --no-guard --anon 4K
}

@test "an empty pid namespace: status works; limit cannot reach the caller" {
	need_unshare_p
	local w=(unshare -p -f -m --mount-proc)
	ck 0 "${w[@]}" :: status
	ck 0 "${w[@]}" :: status -J
	jq_is '.processes | length' 0
	ck 1 "${w[@]}" :: status --min 1
	# memlock is pid 1 there and its parent is not visible: changing "the
	# calling shell" cannot be done, and must not pass for done.
	ck 3 "${w[@]}" :: limit --set 1M
	ck 3 "${w[@]}" :: limit --raise
}

# Makes a memory cgroup named NAME with a limit of 64M; sets CG.
mk_memcg() {
	local base
	if [ -w /sys/fs/cgroup/memory ] && [ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
		base=/sys/fs/cgroup/memory
		CG="$base/$1"
		mkdir "$CG" || skip "cannot make a memory cgroup"
		CGROUPS+=("$CG")
		echo 67108864 >"$CG/memory.limit_in_bytes"
	elif grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
		base=/sys/fs/cgroup
		CG="$base/$1"
		mkdir "$CG" || skip "cannot make a memory cgroup"
		CGROUPS+=("$CG")
		echo 67108864 >"$CG/memory.max"
	else
		skip "no writable memory cgroup (v1 or v2) here"
	fi
}

# Bytes of a figure such as 63.7M or 328K or 0B.
to_bytes() {
	awk -v s="$1" 'BEGIN {
		u = substr(s, length(s)); n = substr(s, 1, length(s) - 1)
		m = u == "K" ? 1024 : u == "M" ? 1048576 : u == "G" ? 1073741824 : 1
		printf "%.0f\n", n * m }'
}

@test "a memory cgroup named with control bytes, limited to 64M" {
	mk_memcg $'hx\e[31m\x7f\xc2\x9b'"$$"
	local w=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG") esc="hx\\x1b[31m\\x7f\\xc2\\x9b$$"
	ck 1 "${w[@]}" :: doctor 128M
	out_has "$esc"
	ck 1 "${w[@]}" :: doctor -J 128M
	jq_is '.checks[] | select(.check == "cgroup") | .result' fail
	ck 1 "${w[@]}" :: lock -t 0 --anon 128M
	err_has "$esc"
	# '(limit L, U used of which R is reclaimable cache)': R is part of U.
	local used recl
	used=$(sed -n 's/.*, \([0-9.]*[KMGB]\) used of which \([0-9.]*[KMGB]\) is reclaimable.*/\1/p' <<<"$err")
	recl=$(sed -n 's/.*, \([0-9.]*[KMGB]\) used of which \([0-9.]*[KMGB]\) is reclaimable.*/\2/p' <<<"$err")
	if [ -z "$used" ] || [ -z "$recl" ]; then
		ck_fail "no 'U used of which R is reclaimable' figures"
	elif (($(to_bytes "$recl") > $(to_bytes "$used"))); then
		ck_fail "reclaimable $recl is more than used $used"
	fi
}

@test "System V segments locked with SHM_LOCK and attached by nobody" {
	local id
	id=$(perl -e 'use IPC::SysV qw(IPC_PRIVATE IPC_CREAT);
		my $id = shmget(IPC_PRIVATE, 65536, IPC_CREAT | 0600) // die "shmget: $!\n";
		shmctl($id, 11, 0) or do { shmctl($id, 0, 0); die "SHM_LOCK: $!\n" };
		print $id') || skip "cannot make a locked System V segment"
	SHMIDS+=("$id")
	ck 0 :: status -J
	jq -e '.summary.shm_locked >= 65536 and .summary.shm_segments >= 1' "$OUTF" >/dev/null ||
		ck_fail "the locked segment is not counted"
	ck 0 :: doctor --mode shm -J 1M
	jq_is '.checks[] | select(.check == "shm_locked") | .result' warn
}

# --------------------------------------------------------------------------
# Output options

@test "output options: -J with raw, empty and hostile column lists, pairs" {
	ck 2 :: pages -J -r 1 2
	ck 2 :: status -rJ
	ck 2 :: limit -J -r
	ck 2 :: doctor -r -J
	ck 2 :: lock -J --raw -t 0 --anon 4K
	ck 2 :: status -o '' 1
	ck 2 :: limit -o ,
	ck 2 :: status -o $'PID\e[31m' 1
	err_has 'PID\x1b[31m'
	ck 2 :: status -o $'P\xc4\xb0D' 1
	ck 2 :: status --m 1
	err_has "'--maps' '--min' '--max'"
	# SPEC: -P/--pairs on every listing, as in util-linux.
	ck 0 :: pages -P 4096 1
	[[ $out == 'ADDR="4096" '* ]] || ck_fail 'no ADDR="4096" pair'
}

# --------------------------------------------------------------------------
# limit -- COMMAND

@test "limit -- COMMAND: 126 and 127 as a shell gives them, the command's own status" {
	ck 127 :: limit --set 4M -- "$T/nothere"
	ck 126 :: limit --set 4M -- "$T"
	: >"$T/noexec"
	ck 126 :: limit --set 4M -- "$T/noexec"
	ck 127 :: limit --set 4M -- $'\e[31mcmd'
	err_has '\x1b[31mcmd'
	ck 127 :: limit --set 4M -- ''
	# A directory in PATH with the command's name is not the command:
	# bash and dash say 127 (not found).
	mkdir -p "$T/path/sub"
	ck 127 env PATH="$T/path" :: limit --set 4M -- sub
	ck 42 :: limit --set 4M -- sh -c 'exit 42'
	ck 143 :: limit --set 4M -- sh -c 'kill -TERM $$'
	ck_report 3 env -i :: limit --set 4M -- sh -c 'exit 3'
	err_is ""
	ck 0 :: limit --set 4K:8K -- sh -c 'ulimit -l'
	assert_equal "$out" 4
}

@test "limit as nobody: 0:0 makes a lock fail with EPERM; unlimited is refused" {
	ck 1 "${NOBODY[@]}" :: limit --set 0:0 -- "$MEMLOCK" lock -t 0 --anon 4K
	err_has "EPERM"
	ck 1 "${NOBODY[@]}" :: limit --set unlimited -- true
	err_has "CAP_SYS_RESOURCE"
	ck 2 "${NOBODY[@]}" :: limit --set 8M:4M -- true
	# A shell of another user is not nobody's to change.
	ck 1 bash -c '"$@"; exit $?' _ "${NOBODY[@]}" :: limit --set 1M
}

@test "doctor --probe under hostile limits, and a hostile mode" {
	ck 1 prlimit --memlock=0:0 "${NOBODY[@]}" :: doctor -J --probe 4K
	jq_is '.verdict.probe' EPERM
	jq_is '.verdict.probe_agrees' true
	ck 0 prlimit --memlock=65536:65536 "${NOBODY[@]}" :: doctor -J --probe 0
	jq_is '.verdict.probe' 0
	ck 2 :: doctor --mode $'\e[2J' 1M
	err_has '\x1b[2J'
}

@test "status -u, --interval, --prometheus and files: closed, full and broken stdout, hostile names" {
	mkf "$T/f" 8192
	ck 0 bash -c 'exec "$@" >&-' _ :: status -u
	ck 0 bash -c 'exec "$@" >&-' _ :: status --interval 10ms --count 2 -J
	ck 0 bash -c 'exec "$@" >&-' _ :: files "$T/f"
	local c
	for c in "status -u" "status --interval 10ms --count 2" "status --prometheus" "files $T/f" \
		"files -J" "files --interval 10ms --count 2 $T/f"; do
		# shellcheck disable=SC2086 # the words of c
		ck 1 bash -c 'exec "$@" >/dev/full' _ :: $c
		err_is "memlock: write error: No space left on device"
	done
	ck 141 "${PIPE_CLOSED[@]}" DEFAULT :: status --interval 10ms -J
	ck 141 "${PIPE_CLOSED[@]}" DEFAULT :: files --interval 10ms "$T/f"
	ck 1 "${PIPE_CLOSED[@]}" IGNORE :: status -u
	# A file named with control bytes and invalid UTF-8, in every mode.
	local bad=$T/$'a\033[2J\nb\xff'
	mkf "$bad" 4096
	ck 0 :: files "$bad"
	ck 0 :: files -J "$bad"
	ck 0 :: files -P "$bad"
	ck 0 :: files --raw "$bad"
	ck 2 :: files "$T/missing"$'\033'
	ck 2 :: status --prometheus="$T"
	ck 2 :: status --interval $'1\033s'
	ck 2 :: files --count 99999999999999999999999 --interval 1s
}
