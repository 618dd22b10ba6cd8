#!/bin/sh
# Installs, with apt-get, every Debian package memlock needs to build and
# test.  Does nothing when they are all present; without root (and without
# sudo) it prints the exact apt-get line to run.
set -eu

PACKAGES="gcc make pkg-config libc6-dev libcap-dev libsmartcols-dev
bats bats-assert bats-support mandoc jq zsh fish
libcap2-bin util-linux procps valgrind clang libclang-rt-14-dev
bash-completion locales python3 python3-prometheus-client"
# `sh tests/install-deps.sh bench`: also what the benchmarks compare with.
[ "${1:-}" = bench ] && PACKAGES="$PACKAGES vmtouch"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "memlock: missing packages; as root, run: apt-get update && $line" >&2
	exit 1
fi
echo "memlock: installing:$missing" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
