#!/usr/bin/env bash
# Benchmark: memlock lock against the floors this script compiles and against
# vmtouch (Debian's package), every figure measured in the same run.
#   - a cached 1 GiB file: memlock vs mmap+mlock (the floor) vs vmtouch;
#   - the same file cold (caches dropped before each run): memlock vs
#     vmtouch vs cat (reading it, locking nothing);
#   - --anon 2G: memlock vs mmap+MADV_HUGEPAGE+mlock (the floor) vs
#     posix_memalign+memset+mlock.
# Each figure is the median wall time, over rounds that run every contender
# in turn, of a whole command that locks and then
# lets go: `memlock lock -t 0` (lock, report, release), the floors (lock,
# exit), and `vmtouch -dlw` (returns once every page is locked; its daemon is
# killed after).  VmLck cannot time a lock: the kernel raises it before it
# faults the pages in.  Prints ratios; asserts nothing.  Needs root for
# drop_caches.
set -euo pipefail
cd "$(dirname "$0")/../.."
MEMLOCK=$(realpath "${MEMLOCK:-./memlock}")
RUNS=${RUNS:-9}
COLD_RUNS=${COLD_RUNS:-5}
GIB=1073741824
work=$(mktemp -d /var/tmp/memlock-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
command -v vmtouch >/dev/null || sh tests/install-deps.sh bench

cat >"$work/floor-file.c" <<'C'
/* The floor for a file: mmap it, mlock it, exit. */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct stat st;
	int fd = open(argv[1], O_RDONLY);
	void *p;
	(void)argc;
	fstat(fd, &st);
	p = mmap(0, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || mlock(p, st.st_size))
		return 1;
	return 0;
}
C

cat >"$work/anon.c" <<'C'
/* anon huge SIZE: mmap + MADV_HUGEPAGE + mlock (the floor);
 * anon memset SIZE: posix_memalign + memset + mlock (the usual pattern). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	size_t len = strtoull(argv[2], 0, 0), al = 2u << 20;
	char *p;
	(void)argc;
	if (strcmp(argv[1], "huge") == 0) {
		char *m = mmap(0, len + al, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		p = (char *)(((uintptr_t)m + al - 1) & ~(uintptr_t)(al - 1));
		madvise(p, len, MADV_HUGEPAGE);
	} else {
		if (posix_memalign((void **)&p, 4096, len))
			return 1;
		memset(p, 0, len);
	}
	if (mlock(p, len))
		return 1;
	return 0;
}
C
for c in floor-file anon; do ${CC:-cc} -O2 -o "$work/$c" "$work/$c.c"; done

median() {
	sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# One run of CMD: its wall time in microseconds, caches dropped first if COLD.
time_once() {
	local cold=$1 s e
	shift
	if [ "$cold" = 1 ]; then
		sync
		echo 3 >/proc/sys/vm/drop_caches
	fi
	s=$(date +%s%N)
	"$@" >/dev/null
	e=$(date +%s%N)
	# vmtouch's daemon: gone, with its 1 GiB unlocked, before the next run.
	if [ -s "$work/vt.pid" ]; then
		local pid
		pid=$(cat "$work/vt.pid")
		kill "$pid"
		while [ -e "/proc/$pid" ]; do sleep 0.01; done
		rm -f "$work/vt.pid"
	fi
	echo $(((e - s) / 1000))
}

# compare RUNS COLD NAME... : runs every contender once per round, and each
# round starts with the next one, so that none always follows the same
# neighbour (one that fragments memory leaves the next to compact it for
# huge pages); sets MS[NAME] to its median in ms.
declare -A MS
compare() {
	local runs=$1 cold=$2 i j name
	shift 2
	local names=("$@")
	for name in "$@"; do
		: >"$work/t.$name"
	done
	for ((i = 0; i < runs; i++)); do
		for ((j = 0; j < ${#names[@]}; j++)); do
			name=${names[(i + j) % ${#names[@]}]}
			time_once "$cold" "run_$name" >>"$work/t.$name"
		done
	done
	for name in "$@"; do
		MS[$name]=$(median <"$work/t.$name" | awk '{ printf "%.1f", $1 / 1000 }')
	done
}

vmtouch_lock() {
	vmtouch -q -d -l -w -P "$work/vt.pid" "$1"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

echo "memlock lock benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, kernel $(uname -r)"
head -c $GIB /dev/urandom >"$work/file"
cat "$work/file" >/dev/null

# Warm up: the first huge-page allocations after boot compact memory.
"$work/anon" huge $((2 * GIB))

run_memlock_file() { "$MEMLOCK" lock -t 0 "$work/file"; }
run_floor_file() { "$work/floor-file" "$work/file"; }
run_vmtouch_file() { vmtouch_lock "$work/file"; }
run_cat_file() { cat "$work/file"; }
run_memlock_anon() { "$MEMLOCK" lock -t 0 --anon 2G; }
run_floor_anon() { "$work/anon" huge $((2 * GIB)); }
run_memset_anon() { "$work/anon" memset $((2 * GIB)); }

compare "$RUNS" 0 memlock_file floor_file vmtouch_file
m=${MS[memlock_file]} f=${MS[floor_file]} v=${MS[vmtouch_file]}
echo
echo "cached 1 GiB file (ms): memlock $m, mmap+mlock floor $f, vmtouch -dlw $v"
echo "  memlock / floor = $(ratio "$m" "$f")x (target <= 1.10); vmtouch / memlock = $(ratio "$v" "$m")x (target > 1)"

compare "$COLD_RUNS" 1 memlock_file vmtouch_file cat_file
m=${MS[memlock_file]} v=${MS[vmtouch_file]} c=${MS[cat_file]}
echo
echo "cold 1 GiB file (ms): memlock $m, vmtouch -dlw $v, cat $c"
echo "  memlock throughput / vmtouch = $(ratio "$v" "$m")x (target >= 1); memlock / cat = $(ratio "$m" "$c")x (target: close to 1)"

# The memset pattern fragments memory into 4 KiB pages, which the next
# huge-page allocation must compact: it gets a comparison of its own, after.
compare "$RUNS" 0 memlock_anon floor_anon
m=${MS[memlock_anon]} f=${MS[floor_anon]}
compare 3 0 memset_anon memlock_anon
s=${MS[memset_anon]} m2=${MS[memlock_anon]}
echo
echo "--anon 2G (ms): memlock $m, mmap+MADV_HUGEPAGE+mlock floor $f; posix_memalign+memset+mlock $s, memlock beside it $m2"
echo "  memlock / floor = $(ratio "$m" "$f")x (target <= 1.10); memset pattern / memlock = $(ratio "$s" "$m2")x (target >= 1.8)"
