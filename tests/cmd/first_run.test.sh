#!/usr/bin/env bash
# A first run on a machine with the build dependencies only: the server's
# build must configure without cmocka (a test dependency).  cmocka is hidden
# from a private mount namespace (overlays whose whiteouts remove its header,
# library, CMake package and pkg-config file; the system is not touched),
# then on a copy of the tree:
#  - scripts/run.sh's own configure line succeeds;
#  - a bare `cmake -S . -B DIR` (the README's install recipe) succeeds and
#    says that tests are not built;
#  - asking for tests (-DBUILD_TESTING=ON) fails and names cmocka.
# And scripts/run.sh installs the build dependencies only.  Needs root
# (unshare -m, mount).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-first-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

grep -qE '^bash scripts/deps\.sh build$' "$top/scripts/run.sh" ||
	fail "scripts/run.sh does not install the build dependencies (alone)"
configure=$(grep -E '^cmake -S \. -B build ' "$top/scripts/run.sh" | sed 's/ *>.*$//') ||
	fail "no 'cmake -S . -B build' line in scripts/run.sh"

mkdir -p "$work/tree"
tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$work/tree" -xf -

# Runs "$@" in a mount namespace where cmocka is not installed.
without_cmocka() {
	local inc=/usr/include lib
	lib=$(dirname "$(readlink -f /usr/lib/x86_64-linux-gnu/libc.so.6 2>/dev/null ||
		echo /usr/lib/x86_64-linux-gnu/x)")
	unshare -m bash -euo pipefail -c '
		w=$(mktemp -d "$1/ovl.XXXXXX") inc=$2 lib=$3; shift 3
		mount --make-rprivate /
		mkdir -p "$w/ui" "$w/wi" "$w/ul/cmake" "$w/ul/pkgconfig" "$w/wl"
		for f in cmocka.h cmocka_pbc.h; do mknod "$w/ui/$f" c 0 0; done
		for f in "$lib"/libcmocka.so*; do mknod "$w/ul/$(basename "$f")" c 0 0; done
		mknod "$w/ul/cmake/cmocka" c 0 0
		mknod "$w/ul/pkgconfig/cmocka.pc" c 0 0
		mount -t overlay overlay -o "lowerdir=$inc,upperdir=$w/ui,workdir=$w/wi" "$inc"
		mount -t overlay overlay -o "lowerdir=$lib,upperdir=$w/ul,workdir=$w/wl" "$lib"
		if ls "$inc"/cmocka.h "$lib"/libcmocka.so* "$lib/cmake/cmocka" 2>/dev/null; then
			echo "cmocka still visible" >&2; exit 99
		fi
		"$@"' hide "$work" "$inc" "$lib" "$@"
}

cd "$work/tree"
# shellcheck disable=SC2086 # the configure line's words, as run.sh has them
without_cmocka $configure >"$work/run.log" 2>&1 ||
	{ cat "$work/run.log" >&2; fail "run.sh's configure ($configure) failed without cmocka"; }

without_cmocka cmake -S . -B "$work/bare" -G Ninja >"$work/bare.log" 2>&1 ||
	{ cat "$work/bare.log" >&2; fail "a bare configure failed without cmocka"; }
grep -q "cmocka not found: tests are not built" "$work/bare.log" ||
	{ cat "$work/bare.log" >&2; fail "a bare configure does not say that tests are not built"; }

if without_cmocka cmake -S . -B "$work/tests" -G Ninja -DBUILD_TESTING=ON >"$work/tests.log" 2>&1; then
	fail "configuring with -DBUILD_TESTING=ON succeeded without cmocka"
fi
grep -qi cmocka "$work/tests.log" ||
	{ cat "$work/tests.log" >&2; fail "the failed test configure does not name cmocka"; }
echo "PASS: the server configures without cmocka; tests ask for it"
