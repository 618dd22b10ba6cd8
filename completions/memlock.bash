# bash completion for memlock(1)                            -*- shell-script -*-

_memlock_columns() {
	case $1 in
	pages) echo "ADDR LEN START END LAST PAGES BYTES EXTRA SHARED RESULT NOTE" ;;
	esac
}

_memlock() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmd="" i
	local commands="pages"
	local common="--help --usage --version"
	local output="--json --raw --noheadings --output --output-all --bytes"

	# "--opt=value" arrives as three words: --opt, =, value.
	if [[ $cur == "=" ]]; then
		cur=""
	elif [[ $prev == "=" && $COMP_CWORD -ge 2 ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]}
			break
		fi
	done
	if [[ -z $cmd ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$commands $common" -- "$cur")
		return
	fi
	case $prev in
	-o | --output)
		local pre="" cols
		cols=$(_memlock_columns "$cmd")
		[[ $cur == *,* ]] && pre=${cur%,*},
		[[ $cur == +* && $pre == "" ]] && pre=+
		mapfile -t COMPREPLY < <(compgen -P "$pre" -W "$cols" -- "${cur##*[,+]}")
		compopt -o nospace 2>/dev/null
		return
		;;
	--page-size)
		mapfile -t COMPREPLY < <(compgen -W "4K 16K 64K 2M 1G" -- "$cur")
		return
		;;
	esac
	case $cmd in
	pages)
		mapfile -t COMPREPLY < <(compgen -W "--page-size $output $common" -- "$cur")
		;;
	esac
}

complete -F _memlock memlock
