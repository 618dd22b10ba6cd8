#!/usr/bin/env bats
# The completions, asked of each shell: bash, zsh (through a pty) and fish.
# The lists to expect come from the binary itself.

load test_helper

shells() {
	echo bash
	command -v zsh >/dev/null && echo zsh
	command -v fish >/dev/null && echo fish
}

@test "bash, zsh and fish are all here to be tested" {
	run -0 shells
	assert_output "$(printf 'bash\nzsh\nfish')"
}

@test "each shell completes every command" {
	local sh c
	for sh in $(shells); do
		run -0 "complete_$sh" "memlock "
		for c in $(memlock_commands); do
			assert_line "$c"
		done
	done
}

@test "each shell completes a command from its prefix" {
	local sh
	for sh in $(shells); do
		run -0 "complete_$sh" "memlock pa"
		assert_output "pages"
	done
}

@test "each shell completes every long option of every command" {
	local sh c o
	for c in $(memlock_commands); do
		for sh in $(shells); do
			run -0 "complete_$sh" "memlock $c --"
			for o in $(memlock_long_options "$c"); do
				assert_line "$o"
			done
		done
	done
}

@test "each shell completes the output columns of each command after -o" {
	local sh col c
	for c in $(memlock_commands); do
		for sh in $(shells); do
			run -0 "complete_$sh" "memlock $c -o "
			for col in $(memlock_columns "$c"); do
				assert_line "$col"
			done
		done
	done
}

@test "each shell completes the --maps columns after status -m PID -o" {
	local sh col
	for sh in $(shells); do
		run -0 "complete_$sh" "memlock status -m 1 -o "
		for col in $(memlock_columns status-maps); do
			assert_line "$col"
		done
		refute_line "VMLCK"
	done
}

@test "bash and fish complete pids after -p and -m, from /proc" {
	local sh
	for sh in bash fish; do
		run -0 "complete_$sh" "memlock limit -p $$"
		assert_line "$$"
		run -0 "complete_$sh" "memlock status -m $$"
		assert_line "$$"
	done
}

@test "zsh completes pids after -p and -m" {
	run -0 complete_zsh "memlock limit -p "
	assert_line --regexp '^[0-9]+$'
	run -0 complete_zsh "memlock status --maps "
	assert_line --regexp '^[0-9]+$'
}

@test "each shell completes a command after limit --" {
	local sh
	for sh in $(shells); do
		run -0 "complete_$sh" "memlock limit -- ech"
		assert_line "echo"
	done
}

@test "each shell completes the next column of a list" {
	local sh
	for sh in $(shells); do
		run -0 "complete_$sh" "memlock pages -o ADDR,PA"
		assert_output --regexp '(^|,)PAGES$'
	done
}

@test "each shell offers page sizes after --page-size" {
	local sh
	for sh in $(shells); do
		run -0 "complete_$sh" "memlock pages --page-size "
		assert_line "2M"
		assert_line "1G"
	done
}

@test "each shell completes doctor's modes after --mode" {
	local sh m
	for sh in $(shells); do
		run -0 "complete_$sh" "memlock doctor --mode "
		# Every mode the binary knows, and only those.
		for m in $(memlock doctor --list-modes | cut -f1); do
			assert_line "$m"
		done
		assert_line io_uring
		assert_line mmap-locked
	done
}

@test "each shell completes files for lock, and its -r is --recursive" {
	local sh
	for sh in $(shells); do
		run -0 "complete_$sh" "memlock lock $TOP/READ"
		assert_line --regexp "README.md$"
	done
	run -0 complete_bash "memlock lock -"
	refute_line -- "-r"
	run -0 complete_fish "memlock lock --rec"
	assert_output "--recursive"
}

@test "make install with the default PREFIX puts each completion where its shell looks" {
	local dest="$BATS_TEST_TMPDIR/dest" bash_dirs zsh_dir fish_dir
	run -0 make -s -C "$TOP" install DESTDIR="$dest"
	# Where each file went, without DESTDIR.
	bash_dir=$(cd "$dest" && dirname "/$(find . -path '*bash-completion*' -name memlock | cut -c3-)")
	zsh_dir=$(cd "$dest" && dirname "/$(find . -name _memlock | cut -c3-)")
	fish_dir=$(cd "$dest" && dirname "/$(find . -name memlock.fish | cut -c3-)")
	[ -x "$dest/usr/local/bin/memlock" ] || fail "no binary in /usr/local/bin"
	[ -f "$dest/usr/local/share/man/man1/memlock.1" ] || fail "no man page"
	[ -f "$dest/usr/local/share/doc/memlock/examples/memlock-textfile.timer" ] ||
		fail "no textfile-collector timer among the examples"
	[ -f "$dest/usr/local/share/doc/memlock/examples/memlock.d/login.conf" ] ||
		fail "no sample configuration for the hold service"
	# The unit, where systemd looks, naming the binary where it went.
	run -0 grep '^ExecStart=' "$dest/usr/local/lib/systemd/system/memlock-hold.service"
	assert_output "ExecStart=/usr/local/bin/memlock lock -c /etc/memlock.d"
	run -0 make -s -C "$TOP" install DESTDIR="$dest/opt" PREFIX=/opt/memlock
	run -0 grep '^ExecStart=' "$dest/opt/opt/memlock/lib/systemd/system/memlock-hold.service"
	assert_output "ExecStart=/opt/memlock/bin/memlock lock -c /etc/memlock.d"
	rm -rf "$dest/opt"
	# zsh and fish are asked for their search paths, as a user's shell.
	run -0 zsh -fc 'print -rl -- $fpath'
	assert_line "$zsh_dir"
	run -0 fish -c 'printf "%s\n" $fish_complete_path'
	assert_line "$fish_dir"
	# bash-completion loads from ${XDG_DATA_DIRS:-/usr/local/share:/usr/share}.
	bash_dirs=$(grep -o 'XDG_DATA_DIRS:-[^}]*' /usr/share/bash-completion/bash_completion) ||
		skip "bash-completion is not installed"
	bash_dirs=${bash_dirs#XDG_DATA_DIRS:-}
	run -0 tr : '\n' <<<"$bash_dirs"
	assert_line "${bash_dir%/bash-completion/completions}"
	run -0 make -s -C "$TOP" uninstall DESTDIR="$dest"
	run find "$dest" -type f
	assert_output ""
}
