#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang and runs each for SECONDS
# (default 10), seeded with the fixture tree and with this machine's own
# /proc files.  Exits non-zero when a harness finds a crash.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-10}
out=${FUZZ_DIR:-$(mktemp -d /tmp/memlock-fuzz.XXXXXX)}
CFLAGS="-g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -Isrc"
mkdir -p "$out/size" "$out/procfs"
clang $CFLAGS -o "$out/fuzz-size" tests/fuzz/fuzz-size.c src/size.c
clang $CFLAGS -o "$out/fuzz-procfs" tests/fuzz/fuzz-procfs.c src/procfs.c src/size.c

# Seeds: a size corpus, and real files prefixed with their parser's byte.
for s in 0 1 4096 8M 64MiB 1KB 0x10K 010K 16E unlimited 250ms 2h 18446744073709551615; do
	printf '%s' "$s" >"$out/size/seed-$s"
done
seed() {
	local kind=$1 file=$2 name
	name=$(echo "$file" | tr '/' '_')
	[ -r "$file" ] || return 0
	{ printf "\\x$(printf %02x "$kind")"; head -c 65536 "$file"; } >"$out/procfs/$kind$name" 2>/dev/null || true
}
for f in tests/fixtures/proc/*/status /proc/self/status /proc/1/status; do seed 0 "$f"; done
for f in tests/fixtures/proc/*/limits /proc/self/limits; do seed 1 "$f"; done
for f in tests/fixtures/proc/*/smaps /proc/self/smaps; do seed 2 "$f"; done
for f in tests/fixtures/proc/meminfo /proc/meminfo; do seed 3 "$f"; done
for f in tests/fixtures/proc/sysvipc/shm /proc/sysvipc/shm; do seed 4 "$f"; done
seed 5 /proc/self/cgroup

rc=0
for h in size procfs; do
	echo "== fuzz-$h for ${SECONDS_EACH}s"
	"$out/fuzz-$h" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-artifact_prefix="$out/crash-$h-" "$out/$h" 2>&1 |
		grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|Done)' || true
	if ls "$out"/crash-$h-* >/dev/null 2>&1; then
		echo "fuzz-$h found a crash: $(ls "$out"/crash-$h-*)"
		rc=1
	fi
done
[ -n "${FUZZ_DIR:-}" ] || rm -rf "$out"
exit "$rc"
