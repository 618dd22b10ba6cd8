# bash completion for memlock(1)                            -*- shell-script -*-

# The commands and columns come from the binary itself, the one typed on
# the line (memlock, ./memlock, a path), so that they cannot drift.
_memlock_bin() {
	local bin=${COMP_WORDS[0]/#\~/$HOME}
	type -P -- "$bin" >/dev/null 2>&1 || bin=memlock
	printf '%s\n' "$bin"
}

_memlock_columns() {
	case $1 in
	status-maps) "$(_memlock_bin)" status --list-columns=maps 2>/dev/null ;;
	status-users) "$(_memlock_bin)" status --list-columns=users 2>/dev/null ;;
	*) "$(_memlock_bin)" "$1" --list-columns 2>/dev/null ;;
	esac
}

_memlock_pids() {
	local d
	for d in /proc/[0-9]*; do
		echo "${d#/proc/}"
	done
}

_memlock() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmd="" cmdi=0 i w
	local commands common="--help --usage --version"
	local output="--json --raw --pairs --noheadings --output --output-all --bytes"

	# "--opt=value" arrives as three words: --opt, =, value.
	if [[ $cur == "=" ]]; then
		cur=""
	elif [[ $prev == "=" && $COMP_CWORD -ge 2 ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]}
			cmdi=$i
			break
		fi
	done
	if [[ -z $cmd ]]; then
		commands=$("$(_memlock_bin)" --list-commands 2>/dev/null | cut -f1)
		mapfile -t COMPREPLY < <(compgen -W "$commands $common" -- "$cur")
		return
	fi
	# limit -- command arg...: complete as a new command line.
	for ((i = cmdi + 1; i < COMP_CWORD; i++)); do
		if [[ $cmd == limit && ${COMP_WORDS[i]} == -- ]]; then
			if ((i + 1 == COMP_CWORD)); then
				mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
			else
				mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			fi
			return
		fi
	done
	case $prev in
	-o | --output)
		local pre="" cols set=$cmd
		for w in "${COMP_WORDS[@]}"; do
			[[ $cmd == status && ($w == -m || $w == --maps) ]] && set=status-maps
			[[ $cmd == status && ($w == -u || $w == --users) ]] && set=status-users
		done
		cols=$(_memlock_columns "$set")
		[[ $cur == *,* ]] && pre=${cur%,*},
		[[ $cur == +* && $pre == "" ]] && pre=+
		mapfile -t COMPREPLY < <(compgen -P "$pre" -W "$cols" -- "${cur##*[,+]}")
		compopt -o nospace 2>/dev/null
		return
		;;
	--interval)
		mapfile -t COMPREPLY < <(compgen -W "1s 10s 1m" -- "$cur")
		return
		;;
	--count)
		return
		;;
	--prometheus | --files-from | -c | --config)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--page-size)
		mapfile -t COMPREPLY < <(compgen -W "4K 16K 64K 2M 1G" -- "$cur")
		return
		;;
	-p | --pid | -m | --maps)
		mapfile -t COMPREPLY < <(compgen -W "$(_memlock_pids)" -- "$cur")
		return
		;;
	--min | --max)
		mapfile -t COMPREPLY < <(compgen -W "64K 8M 64M 1G" -- "$cur")
		return
		;;
	--set)
		mapfile -t COMPREPLY < <(compgen -W "unlimited 64K 8M 64M 1G 8M:64M" -- "$cur")
		return
		;;
	--mode)
		mapfile -t COMPREPLY < <(compgen -W "$("$(_memlock_bin)" doctor --list-modes 2>/dev/null | cut -f1)" -- "$cur")
		return
		;;
	--anon)
		mapfile -t COMPREPLY < <(compgen -W "64K 8M 64M 1G" -- "$cur")
		return
		;;
	-t | --timeout)
		mapfile -t COMPREPLY < <(compgen -W "0 500ms 10s 5m 1h" -- "$cur")
		return
		;;
	--range)
		return
		;;
	--pidfile)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	esac
	case $cmd in
	lock)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--anon --range --recursive --onfault --timeout --daemon --pidfile --keep-going --no-guard --libs --pid --files-from --null --config $output $common" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		;;
	pages)
		mapfile -t COMPREPLY < <(compgen -W "--page-size $output $common" -- "$cur")
		;;
	status)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--all --maps --users --min --max --interval --count --prometheus $output $common" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_memlock_pids)" -- "$cur")
		fi
		;;
	files)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--recursive --min --max --interval --count $output $common" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		;;
	limit)
		mapfile -t COMPREPLY < <(compgen -W "--pid --set --raise --min -- $output $common" -- "$cur")
		;;
	doctor)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--pid --mode --probe $output $common" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "64K 8M 64M 1G" -- "$cur")
		fi
		;;
	esac
}

complete -F _memlock memlock
