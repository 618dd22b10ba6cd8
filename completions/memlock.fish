# fish completion for memlock(1)

set -l commands pages

complete -c memlock -f
complete -c memlock -n "not __fish_seen_subcommand_from $commands" -a pages -d 'show the page-rounding math of mlock(ADDR, LEN)'

# Every command.
complete -c memlock -s '?' -l help -d 'show help'
complete -c memlock -l usage -d 'show a short usage message'
complete -c memlock -s V -l version -d 'show the version'

# Output options, on every listing command.
set -l listing pages
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s J -l json -d 'use JSON output format'
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s r -l raw -d 'use raw output format'
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s n -l noheadings -d "don't print headings"
complete -c memlock -n "__fish_seen_subcommand_from $listing" -l output-all -d 'output all columns'
complete -c memlock -n "__fish_seen_subcommand_from $listing" -s b -l bytes -d 'print sizes in bytes'
function __memlock_columns
    printf '%s\n' ADDR LEN START END LAST PAGES BYTES EXTRA SHARED RESULT NOTE
end
complete -c memlock -n "__fish_seen_subcommand_from pages" -s o -l output -x -d 'output columns' \
	-a '(__fish_complete_list , __memlock_columns)'

# pages
complete -c memlock -n "__fish_seen_subcommand_from pages" -l page-size -x -d 'page size to round to' \
	-a '4K 16K 64K 2M 1G'
