#!/usr/bin/env bash
# Benchmark: memlock lock against the floors this script compiles and against
# vmtouch (Debian's package), every figure measured in the same run.
#   - a cached 1 GiB file: memlock vs mmap+mlock (the floor) vs vmtouch;
#   - the same file cold (caches dropped before each run): memlock vs
#     vmtouch vs cat (reading it, locking nothing);
#   - --anon 2G: memlock vs mmap+MADV_HUGEPAGE+mlock (the floor) vs
#     posix_memalign+memset+mlock;
#   - a cached tree of TREE_FILES (20,000) small files, 4-64 KiB, 100 to a
#     directory: memlock -r vs nftw+open+fstat+mmap+close+mlock (the floor)
#     vs vmtouch;
#   - a real cached tree, /usr/lib/x86_64-linux-gnu (REAL_TREE): memlock -r
#     vs the same floor;
#   - the holder's own memory per file it holds (RssAnon), against a
#     holder of --anon 4K.
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
TREE_RUNS=${TREE_RUNS:-7}
TREE_FILES=${TREE_FILES:-20000}
REAL_TREE=${REAL_TREE:-/usr/lib/x86_64-linux-gnu}
GIB=1073741824
work=$(mktemp -d /var/tmp/memlock-bench.XXXXXX)
holder=
# A holder left running by an interrupted run goes too, before its files.
cleanup() {
	if [ -n "$holder" ]; then
		kill "$holder" 2>/dev/null || true
		wait "$holder" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
# A copy, so that a rebuild during the run changes no figure.
cp "$MEMLOCK" "$work/memlock"
built="$MEMLOCK (sha256 $(sha256sum "$MEMLOCK" | cut -c1-12), copied at the start)"
MEMLOCK=$work/memlock
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
cat >"$work/floor-tree.c" <<'C'
/* The floor for a tree: nftw(FTW_PHYS) and, for each non-empty regular
 * file (links not followed; a file with more than one name locked once, as
 * memlock does), open, fstat, mmap, close, mlock.  The mappings stay: the
 * exit unmaps them.  Prints the files and the bytes (whole pages) locked. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
static struct stat *links;	/* the files seen with st_nlink > 1 */
static size_t nlinks, files, ps;
static unsigned long long bytes;
static int bad;
static int seen(const struct stat *sb)
{
	struct stat *v;

	if (sb->st_nlink < 2)
		return 0;
	for (size_t i = 0; i < nlinks; i++)
		if (links[i].st_dev == sb->st_dev && links[i].st_ino == sb->st_ino)
			return 1;
	if (!(v = realloc(links, (nlinks + 1) * sizeof(*v))))
		exit(1);
	links = v;
	links[nlinks++] = *sb;
	return 0;
}
static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	struct stat st;
	void *p;
	int fd;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(sb->st_mode) || sb->st_size == 0 || seen(sb))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		bad = 1;
		return 0;
	}
	p = mmap(0, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED || mlock(p, st.st_size)) {
		bad = 1;
		return 0;
	}
	files++;
	bytes += (st.st_size + ps - 1) / ps * ps;
	return 0;
}
int main(int argc, char **argv)
{
	(void)argc;
	ps = sysconf(_SC_PAGESIZE);
	if (nftw(argv[1], visit, 64, FTW_PHYS))
		return 1;
	printf("locked %llu bytes in %zu files\n", bytes, files);
	return bad;
}
C

cat >"$work/gen-tree.c" <<'C'
/* gen-tree DIR N: N files in DIR/dT/dS/fNNNNN, 100 to a directory, 20
 * directories to a top one, of sizes spread 4-64 KiB; the same every run
 * (splitmix64, seeded). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
static uint64_t state = 20000;
static uint64_t next(void)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
int main(int argc, char **argv)
{
	static uint64_t buf[(128 << 10) / 8];
	long n = argc > 2 ? atol(argv[2]) : 0;
	char path[4096];

	for (size_t i = 0; i < sizeof(buf) / 8; i++)
		buf[i] = next();
	for (long i = 0; i < n; i++) {
		size_t size = 4096 + next() % (65536 - 4096 + 1);
		size_t off = next() % (64 << 10);
		int fd;

		if (i % 2000 == 0) {
			snprintf(path, sizeof(path), "%s/d%ld", argv[1], i / 2000);
			if (mkdir(path, 0755))
				return 1;
		}
		if (i % 100 == 0) {
			snprintf(path, sizeof(path), "%s/d%ld/d%02ld", argv[1], i / 2000,
				 i / 100 % 20);
			if (mkdir(path, 0755))
				return 1;
		}
		snprintf(path, sizeof(path), "%s/d%ld/d%02ld/f%05ld", argv[1], i / 2000,
			 i / 100 % 20, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, (char *)buf + off, size) != (ssize_t)size || close(fd))
			return 1;
	}
	return 0;
}
C
for c in floor-file anon floor-tree gen-tree; do ${CC:-cc} -O2 -o "$work/$c" "$work/$c.c"; done

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
echo "memlock: $built"
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
echo "  memlock / floor = $(ratio "$m" "$f")x (target <= 1.15); vmtouch / memlock = $(ratio "$v" "$m")x (target > 1)"

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

# Trees: every file read once before they are timed, so that all of them
# are cached (the cold runs above dropped the caches).
cache_tree() {
	find "$1" -type f -size +0 -exec cat {} + >/dev/null
}
# The summary line of memlock's report: its regions and bytes.
memlock_summary() {
	"$MEMLOCK" lock -t 0 -r -b "$1" | awk '/^locked / { print $4, $2 }'
}
floor_summary() {
	"$work/floor-tree" "$1" | awk '{ print $5, $2 }'
}

mkdir "$work/tree"
"$work/gen-tree" "$work/tree" "$TREE_FILES"
sync
cache_tree "$work/tree"
run_memlock_tree() { "$MEMLOCK" lock -t 0 -r "$work/tree"; }
run_floor_tree() { "$work/floor-tree" "$work/tree"; }
run_vmtouch_tree() { vmtouch_lock "$work/tree"; }
read -r mn mb < <(memlock_summary "$work/tree")
read -r fn fb < <(floor_summary "$work/tree")
compare "$TREE_RUNS" 0 memlock_tree floor_tree vmtouch_tree
m=${MS[memlock_tree]} f=${MS[floor_tree]} v=${MS[vmtouch_tree]}
echo
echo "cached tree of $TREE_FILES files, 4-64 KiB (ms): memlock -r $m, nftw+mmap+mlock floor $f, vmtouch -dlw $v"
echo "  locked: memlock $mn files, $mb bytes; floor $fn files, $fb bytes"
echo "  memlock / floor = $(ratio "$m" "$f")x (target <= 1.3); vmtouch / memlock = $(ratio "$v" "$m")x (target > 1)"

# The real tree: memlock must lock all of it (exit 0) to be timed.
cache_tree "$REAL_TREE"
run_memlock_real() { "$MEMLOCK" lock -t 0 -r "$REAL_TREE"; }
run_floor_real() { "$work/floor-tree" "$REAL_TREE"; }
echo
rc=0
"$MEMLOCK" lock -t 0 -r -b "$REAL_TREE" >"$work/real.out" 2>"$work/real.err" || rc=$?
if [ "$rc" != 0 ]; then
	echo "cached $REAL_TREE: not timed: memlock lock -t 0 -r exits $rc, saying:"
	sed 's/^/  /' "$work/real.err"
else
	read -r mn mb < <(awk '/^locked / { print $4, $2 }' "$work/real.out")
	read -r fn fb < <(floor_summary "$REAL_TREE")
	compare "$TREE_RUNS" 0 memlock_real floor_real
	m=${MS[memlock_real]} f=${MS[floor_real]}
	echo "cached $REAL_TREE (ms): memlock -r $m, nftw+mmap+mlock floor $f"
	echo "  locked: memlock $mn files, $mb bytes; floor $fn files, $fb bytes; memlock exits 0"
	echo "  memlock / floor = $(ratio "$m" "$f")x (target <= 1.2)"
fi

# The holder's memory: RssAnon (its heap and private anonymous memory) once
# it is ready, per file held, beyond a holder of --anon 4K (less
# the 4 KiB it locks, and so has resident).  Page tables (VmPTE) are the
# kernel's, as for any process that maps the files; shown apart.
status_kb() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}
# hold OUT ARGS...: starts a holder under the stand-in service manager, and
# returns once it said READY=1: its locks are in place and what it needed
# only to collect and report them is given back.
hold() {
	local out=$1 i
	shift
	rm -f "$work/notify.sock" "$out.log"
	/usr/bin/python3 tests/helpers/notify-listen.py "$work/notify.sock" "$out.log" \
		"$MEMLOCK" lock "$@" >"$out" 2>"$out.err" &
	listener=$!
	for ((i = 0; i < 6000; i++)); do
		if grep -q 'READY=1' "$out.log" 2>/dev/null; then
			holder=$(awk '$1 == "pid" { print $2; exit }' "$out.log")
			return 0
		fi
		kill -0 "$listener" 2>/dev/null || break
		sleep 0.01
	done
	echo "memlock lock $* did not become ready; it said:" >&2
	cat "$out.err" >&2
	exit 1
}
unhold() {
	kill "$holder"
	wait "$listener" || true
	holder='' listener=''
}
hold "$work/hold-anon" --anon 4K
base_anon=$(status_kb "$holder" RssAnon) base_pte=$(status_kb "$holder" VmPTE)
unhold
hold "$work/hold-tree" -r "$work/tree"
nfiles=$(awk '/^locked / { print $4 }' "$work/hold-tree")
tree_anon=$(status_kb "$holder" RssAnon) tree_pte=$(status_kb "$holder" VmPTE)
unhold
echo
echo "holder of the $nfiles-file tree: RssAnon $tree_anon kB, VmPTE $tree_pte kB; holder of --anon 4K: RssAnon $base_anon kB (4 of them locked), VmPTE $base_pte kB"
echo "  holder memory: $(awk -v t="$tree_anon" -v b="$base_anon" -v n="$nfiles" \
	'BEGIN { printf "%.0f", (t - (b - 4)) * 1024 / n }') bytes a file beyond the program's own (target <= ~100)"
echo "  page tables (the kernel's, any holder's): $(awk -v t="$tree_pte" -v b="$base_pte" -v n="$nfiles" \
	'BEGIN { printf "%.0f", (t - b) * 1024 / n }') bytes a file"
