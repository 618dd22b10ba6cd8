# fish completion for memlock(1)

set -l commands lock pages status limit doctor

complete -c memlock -f
complete -c memlock -n "not __fish_seen_subcommand_from $commands" -a lock -d 'lock files or anonymous memory into RAM and hold them'
complete -c memlock -n "not __fish_seen_subcommand_from $commands" -a pages -d 'show the page-rounding math of mlock(ADDR, LEN)'
complete -c memlock -n "not __fish_seen_subcommand_from $commands" -a status -d 'show what processes have locked, and the totals'
complete -c memlock -n "not __fish_seen_subcommand_from $commands" -a limit -d 'read, set or raise RLIMIT_MEMLOCK, or run a command under it'
complete -c memlock -n "not __fish_seen_subcommand_from $commands" -a doctor -d 'say whether a lock would succeed, why not, and how to fix it'

# Every command.
complete -c memlock -s '?' -l help -d 'show help'
complete -c memlock -l usage -d 'show a short usage message'
complete -c memlock -s V -l version -d 'show the version'

# Output options, on every listing command; -o completes that command's columns.
function __memlock_columns
    set -l tokens (commandline -opc)
    if contains -- lock $tokens
        printf '%s\n' TARGET OFFSET BYTES PAGES TIME RESULT
    else if contains -- pages $tokens
        printf '%s\n' ADDR LEN START END LAST PAGES BYTES EXTRA SHARED RESULT NOTE
    else if contains -- limit $tokens
        printf '%s\n' PID COMMAND OLD_SOFT OLD_HARD SOFT HARD VMLCK USE% SOURCE
    else if contains -- doctor $tokens
        printf '%s\n' CHECK RESULT DETAIL
    else if contains -- -m $tokens; or contains -- --maps $tokens
        printf '%s\n' START END PERMS SIZE RSS LOCKED ONFAULT FLAGS PATH
    else
        printf '%s\n' PID USER UID COMMAND VMLCK VMPIN LIMIT HARD USE% CAP VMSIZE VMRSS
    end
end
set -l listing lock pages status limit doctor
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s J -l json -d 'use JSON output format'
# In lock, -r is --recursive: raw output is --raw alone there.
complete -c memlock -n "__fish_seen_subcommand_from pages status limit doctor" -s r -l raw -d 'use raw output format'
complete -c memlock -n "__fish_seen_subcommand_from lock" -l raw -d 'use raw output format'
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s n -l noheadings -d "don't print headings"
complete -c memlock -n "__fish_seen_subcommand_from $listing" -l output-all -d 'output all columns'
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s b -l bytes -d 'print sizes in bytes'
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s o -l output -x -d 'output columns' \
	-a '(__fish_complete_list , __memlock_columns)'

# pages
complete -c memlock -n "__fish_seen_subcommand_from pages" -l page-size -x -d 'page size to round to' \
	-a '4K 16K 64K 2M 1G'

# status
complete -c memlock -n "__fish_seen_subcommand_from status" -a '(__fish_complete_pids)'
complete -c memlock -n "__fish_seen_subcommand_from status" -s a -l all -d 'list every process, or every mapping'
complete -c memlock -n "__fish_seen_subcommand_from status" -s m -l maps -x -d 'show the mappings of PID' \
	-a '(__fish_complete_pids)'
complete -c memlock -n "__fish_seen_subcommand_from status" -l min -x -d 'exit 1 when a listed process has less locked' \
	-a '64K 8M 64M 1G'
complete -c memlock -n "__fish_seen_subcommand_from status" -l max -x -d 'exit 1 when a listed process has more locked' \
	-a '64K 8M 64M 1G'

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
complete -c memlock -n "__fish_seen_subcommand_from doctor" -l mode -x -d 'how it would lock' \
	-a 'mlock onfault mlockall shm'
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
