#!/usr/bin/env bash
# tests/ keeps the layout tests/README.md describes:
#  - every module of src/ has its folder in tests/, with a test in it, and
#    every folder of tests/ is a module of src/ or a row of the README's
#    table (`tests/X`);
#  - a C file is a test (test_*.c) or a program tests/CMakeLists.txt builds
#    by its path (tests/lib's are the shared library); a shell file outside
#    tests/lib and tests/e2e is a test (*.test.sh) or run by scripts/;
#  - every cmocka case, static void NAME(void **state), is test_*;
#  - the NFSv3 side's calls (NFSPROC3_, MOUNTPROC3_, NLMPROC4_, the tests'
#    NFSv3 client) are in tests of tests/nfs3, tests/mount, tests/nlm, or
#    of tests/xdr (codecs), tests/ceph and tests/interop;
#  - the README's recipe finds the tests of a few operations in the
#    folders they belong to.
# Usage: tests_layout.test.sh [TREE] (default: this tree, and then copies
# of it with one rule broken each, which must fail).
set -uo pipefail
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1
readme=tests/README.md
bad=0
fail() { echo "FAIL: $*" >&2; bad=1; }

others=$(sed -nE 's/^\| `tests\/([a-z0-9_]+)` \|.*/\1/p' "$readme")
[ -n "$others" ] || fail "no table of folders in $readme"

for dir in src/*/; do
	m=$(basename "$dir")
	if [ ! -d "tests/$m" ]; then
		fail "src/$m has no tests/$m"
	elif ! compgen -G "tests/$m/test_*.c" >/dev/null && ! compgen -G "tests/$m/*.test.sh" >/dev/null; then
		fail "tests/$m holds no test"
	fi
done
for dir in tests/*/; do
	f=$(basename "$dir")
	[ -d "src/$f" ] || grep -qx "$f" <<<"$others" ||
		fail "tests/$f is neither a module of src/ nor a row of $readme's table"
done

# Read once, matched in the shell: a grep per file costs seconds.
cmakelists=$(<tests/CMakeLists.txt)
scripts_text=$(cat scripts/*.sh)
while IFS= read -r c; do
	case $c in tests/lib/*) continue ;; esac
	[[ ${c##*/} == test_*.c ]] && continue
	[[ $cmakelists == *"${c#tests/}"* ]] ||
		fail "$c is no test (test_*.c) and tests/CMakeLists.txt builds no program of it"
done < <(find tests -mindepth 2 -name '*.c' | sort)
while IFS= read -r s; do
	case $s in tests/lib/* | tests/e2e/* | *.test.sh) continue ;; esac
	[[ $scripts_text == *"$s"* ]] ||
		fail "$s is no test (*.test.sh) and nothing in scripts/ runs it"
done < <(find tests -mindepth 2 -name '*.sh' | sort)

while IFS=: read -r file line text; do
	[[ $text =~ ^static\ void\ ([a-z0-9_]+) ]] || continue
	name=${BASH_REMATCH[1]}
	[[ $name == test_* ]] || fail "$file:$line: the case $name is not named test_*"
done < <(grep -rnE '^static void [a-z0-9_]+\(void \*\*[a-z_]*\)' tests --include='*.c')

while IFS= read -r file; do
	case $file in tests/nfs3/* | tests/mount/* | tests/nlm/* | tests/xdr/* | tests/ceph/* | tests/interop/*) ;;
	*) fail "$file calls NFSv3, MOUNT or NLM: its place is tests/nfs3, tests/mount or tests/nlm" ;;
	esac
done < <(grep -rlwE 'NFSPROC3_[A-Z]+|MOUNTPROC3_[A-Z]+|NLMPROC4_[A-Z_]+|nfs3c_[a-z0-9_]+' tests --include='test_*.c')

# The README's recipe, on operations whose tests have a known place.
recipe() { # OP: the test files it finds
	local op=$1
	grep -rlwE "(OP|NFSPROC3|MOUNTPROC3|NLMPROC4)_$op|nfs[34]c_${op,,}[a-z0-9_]*" tests --include='test_*.c'
}
grep -qF 'grep -rlwE "(OP|NFSPROC3|MOUNTPROC3|NLMPROC4)_$op|nfs[34]c_${op,,}[a-z0-9_]*" tests --include='"'"'test_*.c'"'" "$readme" ||
	fail "$readme's recipe is not the one this test runs"
for row in "READDIRPLUS tests/nfs3/" "MNT tests/mount/" "UMNTALL tests/mount/" "GRANTED tests/nlm/" \
	"OPEN_DOWNGRADE tests/proto/" "CB_RECALL tests/callback/" "BACKCHANNEL_CTL tests/nfs4/"; do
	read -r op where <<<"$row"
	recipe "$op" | grep -q "^$where" || fail "the recipe finds no test of $op in $where"
done
grep -rqE "void test_[a-z0-9_]*mnt" tests/mount || fail "no case of tests/mount is named after MNT"

[ $bad = 0 ] || exit 1
echo "tests layout: tests/ mirrors src/, names and places hold"

# On this tree (no TREE given), the test also fails where it should, on
# copies of tests/, src/, scripts/ with one rule broken each.
[ $# -eq 0 ] || exit 0
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-tests-layout.XXXXXX")
trap 'rm -rf "$work"' EXIT
copy() {
	rm -rf "$work/tree"
	mkdir "$work/tree"
	cp -r src tests scripts "$work/tree/"
}
broken() { # what pattern
	if bash "$0" "$work/tree" >"$work/out" 2>&1 || ! grep -qE "$2" "$work/out"; then
		cat "$work/out" >&2
		echo "FAIL: the layout check passed with $1" >&2
		exit 1
	fi
}
copy
mkdir "$work/tree/src/newmod"
broken "a module without tests" "src/newmod has no tests/newmod"
copy
mkdir "$work/tree/tests/misc" && touch "$work/tree/tests/misc/test_x.c"
broken "a folder of tests/ for nothing" "tests/misc is neither a module"
copy
mv "$work/tree/tests/nfs3/test_nfs3.c" "$work/tree/tests/proto/test_nfs3.c"
broken "an NFSv3 test in tests/proto" "tests/proto/test_nfs3.c calls NFSv3"
copy
printf 'static void check_it(void **state) {}\n' >>"$work/tree/tests/core/test_list.c"
broken "a case not named test_*" "tests/core/test_list.c:[0-9]+: the case check_it"
copy
printf 'int main(void) { return 0; }\n' >"$work/tree/tests/nlm/nlm_helper.c"
broken "a C file nobody builds" "tests/nlm/nlm_helper.c is no test"
echo "tests layout: a module without tests, a stray folder and file, an NFSv3 test in tests/proto, a case misnamed are caught"
