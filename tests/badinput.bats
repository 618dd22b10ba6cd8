#!/usr/bin/env bats
# Bad input, across every command: each case exits as SPEC says (2, or 3
# where it could not find out), prints nothing on stdout and exactly one line
# on stderr, "memlock: ...", naming the bad token.  None may crash.

load test_helper

# EXIT <tab> TOKEN <tab> ARGS (shell words, read with eval)
CASES=$(cat <<'TABLE'
2	bogus	bogus
2	PAGES	PAGES 1 2
2	--bogus	--bogus
2	-x	-x
2	--versio	--versio=1
2	--bogus	pages --bogus 1 2
2	-x	pages -x 1 2
2	-x	pages -Jx 1 2
2	--page-size	pages 1 2 --page-size
2	-o	pages 1 2 -o
2	--json	pages --json=1 1 2
2	BOGUS	pages -o ADDR,BOGUS 1 2
2	''	pages -o '' 1 2
2	''	pages -o + 1 2
2	3000	pages --page-size 3000 1 2
2	0	pages --page-size 0 1 2
2	4k4	pages --page-size 4k4 1 2
2	-1	pages -1 4096
2	''	pages '' 1
2	''	pages 1 ''
2	' 1'	pages ' 1' 1
2	'1 '	pages '1 ' 1
2	+1	pages +1 1
2	1KK	pages 1KK 1
2	0x	pages 0x 1
2	0xg	pages 0xg 1
2	1e3	pages 1e3 1
2	K	pages K 1
2	1.5G	pages 1.5G 1
2	18.5E	pages 18.5E 1
2	16E	pages 16E 1
2	18446744073709551616	pages 18446744073709551616 1
2	0x10000000000000000	pages 0x10000000000000000 1
2	1Ki	pages 1Ki 1
2	1KiBB	pages 1KiBB 1
2	abc	pages abc 1
2	1_000	pages 1_000 1
2	1,000	pages 1,000 1
2	7	pages 2000 4000 7
2	1X	pages 1 1X
2	99999999999999999999999	pages 1 99999999999999999999999
2	pages	pages
2	abc	status abc
2	0	status 0
2	1.5	status 1.5
2	' 1'	status ' 1'
2	-5	status -5
2	2147483648	status 2147483648
2	''	status ''
2	8Q	status --min 8Q
2	-1	status --max -1
2	16E	status --max 16E
2	--min	status --min 2M --max 1M
2	--maps	status -m 1 2
2	x	status -m x
2	0	status --maps 0
2	NOPE	status -o PID,NOPE
2	LOCKED	status -o PID,LOCKED
2	--all	status --all=1
2	-q	status -q
2	--bogus	status --bogus
2	''	limit --set ''
2	':'	limit --set :
2	8Q	limit --set 8Q:
2	x	limit --set 1M:x
2	16E	limit --set 16E
2	2M	limit --set 2M:1M
2	-1	limit --set -1
2	unlimitedd	limit --set unlimitedd
2	Unlimited	limit --set Unlimited
2	0	limit -p 0
2	self	limit -p self
2	-3	limit -p -3
2	--raise	limit --set 1M --raise
2	-p	limit -p 1 -- true
2	1.5M	limit --min 1.5M
2	FOO	limit -o FOO
2	--pid	limit --pid
2	64Q	doctor 64Q
2	2M	doctor 1M 2M
2	mlock3	doctor --mode mlock3 1M
2	MLOCK	doctor --mode MLOCK 1M
2	--probe	doctor --probe
2	x	doctor -p x
2	0	doctor -p 0
2	''	doctor ''
2	-1	doctor -1
2	18.5E	doctor 18.5E
2	NOPE	doctor -o NOPE
2	--mode	doctor --mode
2	lock	lock
2	0	lock --anon 0
2	1KK	lock --anon 1KK
2	-1	lock --anon -1
2	--anon	lock --anon 1M /etc/passwd
2	10	lock --range 10 /etc/passwd
2	0:0	lock --range 0:0 /etc/passwd
2	x	lock --range x:1 /etc/passwd
2	y	lock --range 1:y /etc/passwd
2	--range	lock --range 0:1 /etc/passwd /etc/group
2	--range	lock --range 0:1 -r /etc
2	5x	lock -t 5x /etc/passwd
2	1.5s	lock -t 1.5s /etc/passwd
2	-1	lock -t -1 /etc/passwd
2	--timeout	lock -d -t 0 /etc/passwd
2	''	lock --pidfile '' /etc/passwd
2	/nonexistent	lock /nonexistent
2	/etc	lock /etc
2	/dev/null	lock /dev/null
2	FILE	lock -r
2	NOPE	lock -t 0 -o NOPE /etc/passwd
2	-z	lock -z /etc/passwd
2	4096:8192	lock --range 4096:8192 /etc/hostname
3	2147483647	status 2147483647
3	2147483647	limit -p 2147483647
3	2147483647	doctor -p 2147483647
3	2147483647	status -m 2147483647
TABLE
)

@test "at least 100 bad invocations, each one clear line and the right exit status" {
	local code token args n=0 bad=0 out err rc
	while IFS=$'\t' read -r code token args; do
		eval "set -- $args"
		eval "token=$token"
		rc=0
		out=$("$MEMLOCK" "$@" 2>"$BATS_TEST_TMPDIR/err") || rc=$?
		err=$(cat "$BATS_TEST_TMPDIR/err")
		n=$((n + 1))
		if [ "$rc" != "$code" ] || [ -n "$out" ] || [ "$(wc -l <"$BATS_TEST_TMPDIR/err")" != 1 ] ||
			[[ $err != "memlock: "* ]] || [[ $err != *"$token"* ]]; then
			echo "memlock $args: exit $rc (want $code), stdout '$out', stderr '$err' (want '$token')"
			bad=$((bad + 1))
		fi
	done <<<"$CASES"
	echo "$n cases, $bad wrong"
	((n >= 100))
	((bad == 0))
}
