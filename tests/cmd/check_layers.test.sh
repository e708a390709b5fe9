#!/usr/bin/env bash
# scripts/check-layers.sh passes on the tree as it is and fails, naming the
# file and the rule, on each upward include and on an upward link line.
# Works on a copy of src/, CMakeLists.txt and the script, so the tree is
# never touched.  (The symbol check needs a build; the test command runs the
# script on build/ itself.)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-check-layers.XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

fresh() {
	rm -rf "$dir/tree"
	mkdir -p "$dir/tree/scripts"
	cp -r "$repo/src" "$dir/tree/"
	cp "$repo/CMakeLists.txt" "$dir/tree/"
	cp "$repo/scripts/check-layers.sh" "$dir/tree/scripts/"
}

fresh
bash "$dir/tree/scripts/check-layers.sh" >"$dir/out" 2>&1 ||
	{ cat "$dir/out" >&2; fail "check-layers fails on the tree as it is"; }

# FILE (under src/) and an include it may not have: module, what it includes.
upward=(
	"callback/queue.c nfs4/server.h callback nfs4"
	"state/state.h callback/callback.h state callback"
	"state/state.h nfs4/engine/compound.h state nfs4"
	"backend/backend.h state/state.h backend state"
	"rpc/server.h nfs4/server.h rpc nfs4"
	"client/slots.h state/state.h client state"
	"xdr/xdr.h rpc/server.h xdr rpc"
	"core/buf.h xdr/xdr.h core xdr"
)
for row in "${upward[@]}"; do
	read -r file include mod target <<<"$row"
	fresh
	echo "#include \"$include\"" >>"$dir/tree/src/$file"
	if bash "$dir/tree/scripts/check-layers.sh" >"$dir/out" 2>&1; then
		fail "check-layers passed with src/$file including $include"
	fi
	grep -q "^src/$file:[0-9]*: $mod may not include $target" "$dir/out" ||
		{ cat "$dir/out" >&2; fail "no line names src/$file including $include"; }
done

# A library linking one above it.
fresh
sed -i 's/^target_link_libraries(ferry_callback \(.*\))/target_link_libraries(ferry_callback \1 ferry_nfs4)/' \
	"$dir/tree/CMakeLists.txt"
grep -q 'target_link_libraries(ferry_callback .*ferry_nfs4)' "$dir/tree/CMakeLists.txt" ||
	fail "the test could not find ferry_callback's link line"
if bash "$dir/tree/scripts/check-layers.sh" >"$dir/out" 2>&1; then
	fail "check-layers passed with ferry_callback linking ferry_nfs4"
fi
grep -q "ferry_callback may not link ferry_nfs4" "$dir/out" ||
	{ cat "$dir/out" >&2; fail "no line names the upward link"; }

# A module without a rule.
fresh
mkdir -p "$dir/tree/src/unruled"
echo 'int unruled_placeholder;' >"$dir/tree/src/unruled/unruled.c"
if bash "$dir/tree/scripts/check-layers.sh" >"$dir/out" 2>&1; then
	fail "check-layers passed with a module it has no rule for"
fi
grep -q "src/unruled has no layer rule" "$dir/out" || { cat "$dir/out" >&2; fail "no line names src/unruled"; }
echo "check-layers: ${#upward[@]} upward includes, an upward link and an unknown module caught"
