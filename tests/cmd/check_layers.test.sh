#!/usr/bin/env bash
# scripts/check-layers.sh passes on the tree as it is and fails, naming the
# file and the rule, on each kind of crossing: an upward include in each
# module, an upward link line, a module the module table has no row for, a
# module table that contradicts itself; with the build's object files, an
# upward call from each module, a call into a module whose types only it
# may use, and a known exception the code no longer needs; and, for a
# module whose sub-folders are stacked, a part that includes or calls one
# not below it (state split into base < clients < lifecycle, as it will
# be), a part left out of the order and one that does not exist.
# Works on a copy of src/, CMakeLists.txt, docs/ARCHITECTURE.md and the
# script, with the build's object files linked into a copy of their
# folders, so neither the tree nor the build is touched.
#
# The build is the one ferryd was built in (FERRYD, set by ctest), or
# FERRY_BUILD; without either the checks that need object files are skipped.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-check-layers.XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

build=${FERRY_BUILD:-}
[ -z "$build" ] && [ -n "${FERRYD:-}" ] && build=$(dirname "$FERRYD")
modules="core xdr rpc backend state callback export nfs3 nfs4 mount nlm client ctl upgrade"

fresh() {
	rm -rf "$dir/tree"
	mkdir -p "$dir/tree/scripts" "$dir/tree/docs"
	# Times kept: an object older than its source is refused as stale.
	cp -rp "$repo/src" "$dir/tree/"
	cp "$repo/CMakeLists.txt" "$dir/tree/"
	cp "$repo/docs/ARCHITECTURE.md" "$dir/tree/docs/"
	cp "$repo/scripts/check-layers.sh" "$dir/tree/scripts/"
}

# The build's object files, each a link, in BUILD/CMakeFiles/ferry_X.dir.
fresh_build() {
	rm -rf "$dir/build"
	mkdir -p "$dir/build/CMakeFiles"
	for m in $modules; do
		[ -d "$build/CMakeFiles/ferry_$m.dir" ] ||
			fail "no $build/CMakeFiles/ferry_$m.dir: build first"
		cp -rs "$(cd "$build" && pwd)/CMakeFiles/ferry_$m.dir" "$dir/build/CMakeFiles/"
	done
}

run() { bash "$dir/tree/scripts/check-layers.sh" "$@" >"$dir/out" 2>&1; }
# expect_fail WHAT PATTERN [ARGS...]: the check fails and prints a line
# matching PATTERN (grep -E).
expect_fail() {
	local what=$1 pattern=$2
	shift 2
	if run "$@"; then
		cat "$dir/out" >&2
		fail "check-layers passed with $what"
	fi
	grep -qE "$pattern" "$dir/out" || { cat "$dir/out" >&2; fail "no line /$pattern/ for $what"; }
}
doc() { sed -i "$@" "$dir/tree/docs/ARCHITECTURE.md"; }

fresh
run || { cat "$dir/out" >&2; fail "check-layers fails on the tree as it is"; }
checks=0

# FILE (under src/) and an include it may not have: module, what it includes.
upward=(
	"callback/queue.c nfs4/server.h callback nfs4"
	"state/state.h callback/callback.h state callback"
	"state/state.h nfs4/engine/compound.h state nfs4"
	"state/state.h export/export.h state export"
	"backend/backend.h state/state.h backend state"
	"rpc/server.h nfs4/server.h rpc nfs4"
	"client/slots.h state/state.h client state"
	"xdr/xdr.h rpc/server.h xdr rpc"
	"core/buf.h xdr/xdr.h core xdr"
	"export/export.h nfs4/server.h export nfs4"
	"nfs3/program.c nfs4/server.h nfs3 nfs4"
	"nfs3/program.c callback/callback.h nfs3 callback"
	"nfs4/server.h nfs3/nfs3.h nfs4 nfs3"
	"mount/mount.c state/state.h mount state"
	"nlm/nlm.c nfs3/nfs3.h nlm nfs3"
	"ctl/api.c mount/mount.h ctl mount"
)
# All in one copy of the tree, one run: the check reports every crossing
# it finds, and each must be among them.
fresh
for row in "${upward[@]}"; do
	read -r file include mod target <<<"$row"
	[ -f "$dir/tree/src/$file" ] || fail "the test names src/$file, which is gone"
	echo "#include \"$include\"" >>"$dir/tree/src/$file"
done
run && { cat "$dir/out" >&2; fail "check-layers passed with ${#upward[@]} upward includes"; }
for row in "${upward[@]}"; do
	read -r file include mod target <<<"$row"
	grep -qE "^src/$file:[0-9]+: $mod may not include $target" "$dir/out" ||
		{ cat "$dir/out" >&2; fail "no line for src/$file including $include"; }
	checks=$((checks + 1))
done

# Libraries linking ones above them.
for row in "callback nfs4" "nlm nfs4" "mount state"; do
	read -r lib dep <<<"$row"
	fresh
	sed -i "s/^target_link_libraries(ferry_$lib \(.*\))/target_link_libraries(ferry_$lib \1 ferry_$dep)/" \
		"$dir/tree/CMakeLists.txt"
	grep -q "target_link_libraries(ferry_$lib .*ferry_$dep)" "$dir/tree/CMakeLists.txt" ||
		fail "the test could not find ferry_$lib's link line"
	expect_fail "ferry_$lib linking ferry_$dep" "ferry_$lib may not link ferry_$dep"
	checks=$((checks + 1))
done

# A module without a row.
fresh
mkdir -p "$dir/tree/src/unruled"
echo 'int unruled_placeholder;' >"$dir/tree/src/unruled/unruled.c"
expect_fail "a module it has no row for" "src/unruled has no row"

# The module table: a row for no folder, a "used by" that may not use,
# a cell it cannot read, nfs4's row without export (as it once was).
fresh
doc 's/^| `ferry_client` |/| `ferry_gone` | core | cmd |\n&/'
expect_fail "a row for a module that is not there" "ferry_gone: there is no src/gone"
fresh
doc 's/^\(| `ferry_mount` | .* | \)cmd (ferryd) |$/\1cmd (ferryd), nlm |/'
expect_fail "nlm named as a user of mount" "ferry_mount is used by nlm, but nlm may not use mount"
fresh
doc 's/^| `ferry_nfs3` | core, /| `ferry_nfs3` | core (mostly), /'
expect_fail "an unreadable cell" 'ferry_nfs3: cannot read "core \(mostly\)"'
fresh
doc 's/^| `ferry_nfs4` | core, xdr, rpc, backend, state, callback, export |/| `ferry_nfs4` | core, xdr, rpc, backend, state, callback |/'
expect_fail "nfs4 without export" "^src/nfs4/.*: nfs4 may not include export"
checks=$((checks + 4))

# Sub-folders stacked: state's parts, base < clients < opens < deleg <
# lifecycle (the parts table).
fresh
echo '#include "state/lifecycle/state_info.h"' >>"$dir/tree/src/state/clients/state_client.c"
expect_fail "state/clients including state/lifecycle" \
	"^src/state/clients/state_client.c:[0-9]+: state/clients may not include state/lifecycle"
fresh
echo '#include "state/deleg/state_dirdeleg.h"' >>"$dir/tree/src/state/opens/state_open.c"
expect_fail "state/opens including state/deleg" \
	"^src/state/opens/state_open.c:[0-9]+: state/opens may not include state/deleg"
fresh
echo '#include "backend/ceph/ceph_internal.h"' >>"$dir/tree/src/backend/local/local_io.c"
expect_fail "backend/local including backend/ceph (one level)" \
	"^src/backend/local/local_io.c:[0-9]+: backend/local may not include backend/ceph"
fresh
mkdir -p "$dir/tree/src/state/extra"
echo 'int state_extra;' >"$dir/tree/src/state/extra/extra.c"
expect_fail "a sub-folder of state in no level" "src/state/extra is not placed in src/state's parts"
fresh
doc 's/`deleg` < `lifecycle` |$/`deleg` < `gone`, `lifecycle` |/'
expect_fail "a part that is not there" "src/state: part \`gone\` but no folder src/state/gone"
checks=$((checks + 6))

if [ -z "$build" ]; then
	echo "check-layers: $checks crossings caught; no build (FERRYD or FERRY_BUILD): calls not checked"
	exit 0
fi

# --- with the build's object files ---------------------------------------------

fresh
fresh_build
run "$dir/build" || { cat "$dir/out" >&2; fail "check-layers fails on the tree and its build"; }

# obj MODULE SRC CODE: CODE as src/MODULE/SRC in the tree copy, compiled
# into the build copy; unobj MODULE SRC takes both away.
obj() {
	local o=$dir/build/CMakeFiles/ferry_$1.dir/src/$1/$2.o c=$dir/tree/src/$1/$2
	mkdir -p "$(dirname "$o")" "$(dirname "$c")"
	printf '%s\n' "$3" >"$c"
	rm -f "$o"
	cc -c -o "$o" "$c" || fail "cc failed on $3"
}
unobj() { rm -f "$dir/build/CMakeFiles/ferry_$1.dir/src/$1/$2.o" "$dir/tree/src/$1/$2"; }
# A function that the library of MODULE defines, and its source.
some_symbol() {
	local o
	while IFS= read -r o; do
		s=$(nm -g --defined-only "$o" | awk '$2 == "T" && s == "" { s = $3 } END { print s }')
		if [ -n "$s" ]; then
			src=${o#*CMakeFiles/ferry_$1.dir/}
			src=${src%.o}
			return 0
		fi
	done < <(find "$build/CMakeFiles/ferry_$1.dir" -name '*.c.o' | sort)
	fail "no function in ferry_$1"
}

# An upward call from each module (the caller, the module it calls).
calls=("core xdr" "xdr rpc" "rpc state" "backend state" "state nfs4" "state callback"
	"callback nfs4" "export nfs3" "nfs3 nfs4" "nfs3 callback" "nfs4 nfs3" "mount state"
	"nlm nfs4" "ctl mount" "client state")
# One object per caller, each calling up, and one run that must name them all.
declare -A callee=() callee_src=()
for row in "${calls[@]}"; do
	read -r mod target <<<"$row"
	some_symbol "$target"
	callee[$mod $target]=$s
	callee_src[$mod $target]=$src
	obj "$mod" "upcall_$target.c" "void $s(void); void layer_test_upcall_$target(void) { $s(); }"
done
run "$dir/build" && { cat "$dir/out" >&2; fail "check-layers passed with ${#calls[@]} upward calls"; }
for row in "${calls[@]}"; do
	read -r mod target <<<"$row"
	s=${callee[$mod $target]} src=${callee_src[$mod $target]}
	grep -qE "^src/$mod/upcall_$target.c: $mod calls $s, defined in ferry_$target \($src\): $mod may not use $target" "$dir/out" ||
		{ cat "$dir/out" >&2; fail "no line for $mod calling $s of $target"; }
	unobj "$mod" "upcall_$target.c"
	checks=$((checks + 1))
done
run "$dir/build" || { cat "$dir/out" >&2; fail "check-layers fails once the calls are gone"; }

# Types only: callback and state may use the back end's types, not call it
# (but the calls the page names, as exceptions).
for mod in callback state; do
	obj "$mod" typescall.c "int backend_find(void); int layer_test_types(void) { return backend_find(); }"
	expect_fail "$mod calling backend_find" \
		"^src/$mod/typescall.c: $mod calls backend_find, defined in ferry_backend .*: $mod may use the types of backend only" \
		"$dir/build"
	unobj $mod typescall.c
	checks=$((checks + 1))
done
# An exception the page names admits that call, and only while it is made.
doc 's/| `ferry_state` | core, xdr, backend (types only) |/| `ferry_state` | core, xdr, backend (types only, but `backend_find`) |/'
expect_fail "an exception state does not need" "ferry_state no longer calls backend_find of backend" "$dir/build"
obj state typescall.c "int backend_find(void); int layer_test_types(void) { return backend_find(); }"
run "$dir/build" || { cat "$dir/out" >&2; fail "check-layers refuses a call the page names as an exception"; }
unobj state typescall.c
fresh
checks=$((checks + 2))

# Calls between stacked parts: down passes, up is refused.
fresh
fresh_build
obj state lifecycle/down.c 'unsigned long state_now_ms(void); unsigned long layer_test_down(void) { return state_now_ms(); }'
run "$dir/build" || { cat "$dir/out" >&2; fail "check-layers fails on state/lifecycle calling state/base"; }
unobj state lifecycle/down.c
obj state base/upcall.c 'int state_server_create(void); int layer_test_up(void) { return state_server_create(); }'
expect_fail "state/base calling state/lifecycle" \
	"^src/state/base/upcall.c: state/base calls state_server_create, defined in state/lifecycle \(src/state/lifecycle/state_server.c\): not below it" \
	"$dir/build"
unobj state base/upcall.c
obj state clients/upcall.c 'int state_deleg_conflict(void); int layer_test_up(void) { return state_deleg_conflict(); }'
expect_fail "state/clients calling state/deleg" \
	"^src/state/clients/upcall.c: state/clients calls state_deleg_conflict" "$dir/build"
unobj state clients/upcall.c

# A source without its object, one newer than its object, and nm failing
# are refused, never read as "nothing crosses".
rm "$dir/build/CMakeFiles/ferry_state.dir/src/state/lifecycle/state_server.c.o"
expect_fail "an object file missing" \
	"check-layers: src/state/lifecycle/state_server.c has no object file" "$dir/build"
fresh_build
touch "$dir/tree/src/state/base/state_base.c"
expect_fail "a source newer than its object" \
	"check-layers: src/state/base/state_base.c is newer than its object file" "$dir/build"
fresh
mkdir -p "$dir/bin"
printf '#!/bin/sh\nexit 1\n' >"$dir/bin/nm"
chmod +x "$dir/bin/nm"
PATH=$dir/bin:$PATH expect_fail "nm failing" "check-layers: nm failed on the object files" "$dir/build"
run "$dir/build" || { cat "$dir/out" >&2; fail "check-layers fails on the tree and its build again"; }
checks=$((checks + 3))
checks=$((checks + 2))

echo "check-layers: $checks crossings caught, and the tree and its build pass"
