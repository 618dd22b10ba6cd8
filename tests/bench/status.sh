#!/usr/bin/env bash
# Benchmark: `memlock status` and `memlock status -a -J` against
# `grep VmLck /proc/[0-9]*/status`, and `memlock files` (no PATH), with 0,
# 2,000 and 8,000 extra sleeping processes, every figure measured in the
# same run.  Also the floor: a program this script compiles that only opens,
# reads and closes every /proc/PID/status (what any tool must pay).
# Prints medians, ratios and the cost per process; asserts nothing (the
# machine is shared).  EXTRA="0 2000 8000" and RUNS=15 by default.
set -euo pipefail
cd "$(dirname "$0")/../.."
MEMLOCK=${MEMLOCK:-./memlock}
RUNS=${RUNS:-15}
EXTRA=${EXTRA:-0 2000 8000}
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

printf '%-6s %6s %9s %9s %9s %9s %9s %8s %8s %8s %10s %10s\n' extra procs \
	status_ms all_J_ms grep_ms floor_ms files_ms st/floor allJ/flr st/grep status_us/p files_us/p
for target in $EXTRA; do
	while ((${#sleepers[@]} < target)); do
		sleep 3600 3>&- &
		sleepers+=($!)
	done
	procs=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
	f=$(median_us "$work/floor")
	m=$(median_us "$MEMLOCK" status)
	a=$(median_us "$MEMLOCK" status -a -J)
	g=$(median_us grep_vmlck)
	fi=$(median_us "$MEMLOCK" files)
	awk -v x="$target" -v p="$procs" -v m="$m" -v a="$a" -v g="$g" -v f="$f" -v fi="$fi" 'BEGIN {
		printf "%-6d %6d %9.1f %9.1f %9.1f %9.1f %9.1f %7.2fx %7.2fx %7.2fx %10.2f %10.2f\n",
			x, p, m / 1000, a / 1000, g / 1000, f / 1000, fi / 1000, m / f, a / f, m / g,
			m / p, fi / p }'
done
echo "st/floor, allJ/flr: memlock status and status -a -J over the floor (lower is better);"
echo "st/grep: memlock status over grep VmLck (below 1: faster than grep); */p: microseconds a process."
