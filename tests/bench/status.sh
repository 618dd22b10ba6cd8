#!/usr/bin/env bash
# Benchmark: `memlock status` against `grep VmLck /proc/[0-9]*/status`, with
# 500, 1,000 and 2,000 extra sleeping processes, every figure measured in the
# same run.  Also the floor: a program this script compiles that only opens,
# reads and closes every /proc/PID/status (what any tool must pay).
# Prints medians and ratios; asserts nothing (the machine is shared).
set -euo pipefail
cd "$(dirname "$0")/../.."
MEMLOCK=${MEMLOCK:-./memlock}
RUNS=${RUNS:-15}
work=$(mktemp -d)
sleepers=()
cleanup() {
	((${#sleepers[@]})) && kill "${sleepers[@]}" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/floor.c" <<'C'
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void)
{
	char buf[4096], path[300];
	int pfd = open("/proc", O_RDONLY | O_DIRECTORY);
	DIR *d = fdopendir(dup(pfd));
	struct dirent *e;

	while ((e = readdir(d))) {
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/status", e->d_name);
		fd = openat(pfd, path, O_RDONLY);
		if (fd < 0)
			continue;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	return 0;
}
C
${CC:-cc} -O2 -o "$work/floor" "$work/floor.c"

# Median wall time of a command, in microseconds.
median_us() {
	local t=() i s e
	for ((i = 0; i < RUNS; i++)); do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		e=$(date +%s%N)
		t+=($(((e - s) / 1000)))
	done
	printf '%s\n' "${t[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

grep_vmlck() {
	grep VmLck /proc/[0-9]*/status
}

printf '%-8s %6s %10s %10s %10s %8s %8s %12s\n' extra procs memlock_ms grep_ms floor_ms vs_grep vs_floor memlock_us/p
for target in 500 1000 2000; do
	while ((${#sleepers[@]} < target)); do
		sleep 600 3>&- &
		sleepers+=($!)
	done
	procs=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
	m=$(median_us "$MEMLOCK" status)
	g=$(median_us grep_vmlck)
	f=$(median_us "$work/floor")
	awk -v x="$target" -v p="$procs" -v m="$m" -v g="$g" -v f="$f" 'BEGIN {
		printf "%-8d %6d %10.1f %10.1f %10.1f %7.2fx %7.2fx %12.2f\n",
			x, p, m / 1000, g / 1000, f / 1000, g / m, m / f, m / p }'
done
echo "vs_grep: how many times faster memlock is than grep; vs_floor: memlock's time over the floor's."
