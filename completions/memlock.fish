# fish completion for memlock(1)

# The commands and columns come from the binary itself, the one typed
# (memlock, ./memlock, a path), so that they cannot drift.
function __memlock_bin
    set -l bin (commandline -opc)[1]
    if command -sq -- $bin
        echo $bin
    else
        echo memlock
    end
end

function __memlock_commands
    set -l bin (__memlock_bin)
    $bin --list-commands 2>/dev/null
end

function __memlock_no_command
    set -l tokens (commandline -opc)
    set -l bin (__memlock_bin)
    for c in ($bin --list-commands 2>/dev/null | string replace -r '\t.*' '')
        contains -- $c $tokens; and return 1
    end
    return 0
end

complete -c memlock -f
complete -c memlock -n __memlock_no_command -a '(__memlock_commands)'

# Every command.
complete -c memlock -s h -l help -d 'show help'
complete -c memlock -l usage -d 'show a short usage message'
complete -c memlock -s V -l version -d 'show the version'

# Output options, on every listing command; -o completes that command's columns.
function __memlock_columns
    set -l tokens (commandline -opc)
    set -l bin (__memlock_bin)
    if contains -- status $tokens; and begin; contains -- -m $tokens; or contains -- --maps $tokens; end
        $bin status --list-columns=maps 2>/dev/null
        return
    end
    if contains -- status $tokens; and begin; contains -- -u $tokens; or contains -- --users $tokens; end
        $bin status --list-columns=users 2>/dev/null
        return
    end
    for c in ($bin --list-commands 2>/dev/null | string replace -r '\t.*' '')
        if contains -- $c $tokens
            $bin $c --list-columns 2>/dev/null
            return
        end
    end
end
set -l listing lock pages status limit doctor files
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s J -l json -d 'use JSON output format'
# In lock and files, -r is --recursive: raw output is --raw alone there.
complete -c memlock -n "__fish_seen_subcommand_from pages status limit doctor" -s r -l raw -d 'use raw output format'
complete -c memlock -n "__fish_seen_subcommand_from lock files" -l raw -d 'use raw output format'
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s P -l pairs -d 'use key="value" output format'
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s n -l noheadings -d "don't print headings"
complete -c memlock -n "__fish_seen_subcommand_from $listing" -l output-all -d 'output all columns'
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s b -l bytes -d 'print sizes in bytes'
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s o -l output -x -d 'output columns' \
	-a '(__fish_complete_list , __memlock_columns)'

# pages
complete -c memlock -n "__fish_seen_subcommand_from pages" -l page-size -x -d 'page size to round to' \
	-a '4K 16K 64K 2M 1G'

complete -c memlock -n "__fish_seen_subcommand_from lock" -l libs -d 'lock each program FILE and its shared libraries'
complete -c memlock -n "__fish_seen_subcommand_from lock" -l pid -x -d 'lock every file PID maps' \
	-a '(__fish_complete_pids)'
complete -c memlock -n "__fish_seen_subcommand_from lock" -l files-from -r -d 'lock the files named in LIST'
complete -c memlock -n "__fish_seen_subcommand_from lock" -s 0 -l null -d 'NUL-separated names in the list'
complete -c memlock -n "__fish_seen_subcommand_from lock" -s c -l config -r -d 'lock what a memlockd-style configuration names'

# status
complete -c memlock -n "__fish_seen_subcommand_from status" -a '(__fish_complete_pids)'
complete -c memlock -n "__fish_seen_subcommand_from status" -s a -l all -d 'list every process, or every mapping'
complete -c memlock -n "__fish_seen_subcommand_from status" -s m -l maps -x -d 'show the mappings of PID' \
	-a '(__fish_complete_pids)'
complete -c memlock -n "__fish_seen_subcommand_from status" -l min -x -d 'exit 1 when a listed process has less locked' \
	-a '64K 8M 64M 1G'
complete -c memlock -n "__fish_seen_subcommand_from status" -l max -x -d 'exit 1 when a listed process has more locked' \
	-a '64K 8M 64M 1G'
complete -c memlock -n "__fish_seen_subcommand_from status" -s u -l users -d 'one row per user'
complete -c memlock -n "__fish_seen_subcommand_from status" -l interval -x -d 'sample again every DURATION' \
	-a '1s 10s 1m'
complete -c memlock -n "__fish_seen_subcommand_from status" -l count -x -d 'with --interval, N samples'
complete -c memlock -n "__fish_seen_subcommand_from status" -l prometheus -r -d 'the Prometheus text format, to FILE'


# files
complete -c memlock -n "__fish_seen_subcommand_from files" -F
complete -c memlock -n "__fish_seen_subcommand_from files" -s r -l recursive -d 'list the files in directories, recursively'
complete -c memlock -n "__fish_seen_subcommand_from files" -l min -x -d 'exit 1 when a listed file has less locked' \
	-a '64K 8M 64M 1G'
complete -c memlock -n "__fish_seen_subcommand_from files" -l max -x -d 'exit 1 when a listed file has more locked' \
	-a '64K 8M 64M 1G'
complete -c memlock -n "__fish_seen_subcommand_from files" -l interval -x -d 'sample again every DURATION' \
	-a '1s 10s 1m'
complete -c memlock -n "__fish_seen_subcommand_from files" -l count -x -d 'with --interval, N samples'

# limit
complete -c memlock -n "__fish_seen_subcommand_from limit" -s p -l pid -x -d 'the process to read or change' \
	-a '(__fish_complete_pids)'
complete -c memlock -n "__fish_seen_subcommand_from limit" -l set -x -d 'set the limits: SOFT[:HARD]' \
	-a 'unlimited 64K 8M 64M 1G 8M:64M'
complete -c memlock -n "__fish_seen_subcommand_from limit" -l raise -d 'raise the soft limit to the hard one'
complete -c memlock -n "__fish_seen_subcommand_from limit" -l min -x -d 'exit 1 when the soft limit is lower' \
	-a '64K 8M 64M 1G'
complete -c memlock -n "__fish_seen_subcommand_from limit; and contains -- -- (commandline -opc)" \
	-a '(__fish_complete_command)'

# doctor
complete -c memlock -n "__fish_seen_subcommand_from doctor" -a '64K 8M 64M 1G'
complete -c memlock -n "__fish_seen_subcommand_from doctor" -s p -l pid -x -d 'the process that would lock' \
	-a '(__fish_complete_pids)'
function __memlock_modes
    set -l bin (__memlock_bin)
    $bin doctor --list-modes 2>/dev/null
end
complete -c memlock -n "__fish_seen_subcommand_from doctor" -l mode -x -d 'what would lock or pin' \
	-a '(__memlock_modes)'
complete -c memlock -n "__fish_seen_subcommand_from doctor" -l probe -d 'confirm for real in a child process'

# lock
complete -c memlock -n "__fish_seen_subcommand_from lock" -F
complete -c memlock -n "__fish_seen_subcommand_from lock" -l anon -x -d 'lock SIZE bytes of anonymous memory' \
	-a '64K 8M 64M 1G'
complete -c memlock -n "__fish_seen_subcommand_from lock" -l range -x -d 'lock only OFFSET:LENGTH of the one FILE'
complete -c memlock -n "__fish_seen_subcommand_from lock" -s r -l recursive -d 'lock the files in directories, recursively'
complete -c memlock -n "__fish_seen_subcommand_from lock" -l onfault -d 'lock pages as they are touched (MLOCK_ONFAULT)'
complete -c memlock -n "__fish_seen_subcommand_from lock" -s t -l timeout -x -d 'hold for DURATION, then release' \
	-a '0 500ms 10s 5m 1h'
complete -c memlock -n "__fish_seen_subcommand_from lock" -s d -l daemon -d 'hold in the background'
complete -c memlock -n "__fish_seen_subcommand_from lock" -l pidfile -r -F -d "write the holder's pid to FILE"
complete -c memlock -n "__fish_seen_subcommand_from lock" -s k -l keep-going -d 'on a failure keep what locked'
complete -c memlock -n "__fish_seen_subcommand_from lock" -l no-guard -d 'lock even beyond what memory can be verified to take'
