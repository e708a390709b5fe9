#!/usr/bin/env bash
# docs/ARCHITECTURE.md and the tree agree:
#  - every folder of src/ (each module, and each sub-folder of one) is
#    named there: the module as `src/X`, a sub-folder by a path holding
#    X/Y (`src/X/Y/`, `X/Y/file.c`, ...);
#  - every path the page names exists.  A path is a backquoted word, or a
#    word of a code block, that holds a "/" or ends in a file's extension;
#    it may be a glob (`src/xdr/nfs4_codec*.c`).  It is looked up from the
#    top of the tree and from src/; one with a "/" also from each
#    module's folder (`engine/optable.c` is src/nfs4's); a bare file name
#    (`conn.c`) in the folder of the path before it on the same line
#    (`src/rpc/loop.c`, `conn.c`) and, in a module's section
#    (### X — `src/X`), in that module's folder and its sub-folders (with
#    neither, in each module's folder).
# Usage: architecture_paths.test.sh [TREE] (default: this tree, and then
# copies of it with one path the page names removed or one folder added,
# which must fail).
set -uo pipefail
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1
doc=docs/ARCHITECTURE.md
bad=0
fail() { echo "FAIL: $*" >&2; bad=1; }

# line|section module|folder of the previous path on the line|word
words=$(awk '
	function ispath(w) {
		if (w !~ /^[A-Za-z0-9_][A-Za-z0-9_.*\/-]*$/) return 0
		if (w ~ /\//) return code ? (w ~ /\/$/ || w ~ /\.[ch]$/ || w ~ /^(src|tests|docs|scripts|bench|fuzz)\//) : 1
		return w ~ /\.(c|h|sh|md|txt|py|supp|in|conf)$/
	}
	function emit(w) {
		if (!ispath(w)) return
		print NR "|" mod "|" prev "|" w
		if (w ~ /\//) { prev = w; if (prev !~ /\/$/) sub(/\/[^\/]*$/, "/", prev) }
	}
	/^```/ { code = !code; next }
	/^#/ && !code {
		mod = ""
		if (match($0, /^### [a-z0-9_]+ — `src\/[a-z0-9_]+`/)) {
			mod = substr($0, RSTART, RLENGTH); sub(/.*`src\//, "", mod); sub(/`$/, "", mod)
		}
	}
	{
		prev = ""
		if (code) {
			n = split($0, w, /[ \t,()]+/)
			for (i = 1; i <= n; i++) emit(w[i])
			next
		}
		rest = $0
		while (match(rest, /`[^`]+`/)) {
			emit(substr(rest, RSTART + 1, RLENGTH - 2))
			rest = substr(rest, RSTART + RLENGTH)
		}
	}
' "$doc")

exists() { # base word
	compgen -G "$1$2" >/dev/null
}

n=0
while IFS='|' read -r line mod prev w; do
	n=$((n + 1))
	bases=("" "src/")
	if [[ $w == */* ]] || { [ -z "$prev" ] && [ -z "$mod" ]; }; then
		for m in src/*/; do bases+=("$m"); done
	else
		[ -n "$prev" ] && bases+=("$prev" "src/$prev")
		if [ -n "$mod" ]; then
			bases+=("src/$mod/")
			for sub in "src/$mod"/*/; do [ -d "$sub" ] && bases+=("$sub"); done
		fi
	fi
	found=0
	for b in "${bases[@]}"; do
		if exists "$b" "$w"; then found=1; break; fi
	done
	[ $found = 1 ] || fail "$doc:$line: \`$w\` names no file or folder of the tree"
done <<<"$words"
[ "$n" -gt 100 ] || fail "only $n paths read from $doc: the reading is broken"

names=$(cut -d"|" -f4 <<<"$words")
named() { # path fragment, as X or X/Y
	grep -qE "(^|/)$1(/|\$)" <<<"$names"
}
for dir in src/*/; do
	m=$(basename "$dir")
	grep -qE "^src/$m/?\$" <<<"$names" ||
		fail "src/$m is not named in $doc (as \`src/$m\`)"
	while IFS= read -r sub; do
		rel=${sub#src/}
		named "$rel" || fail "$sub is not named in $doc (a path holding $rel)"
	done < <(find "src/$m" -mindepth 1 -type d | sort)
done

[ $bad = 0 ] || exit 1
echo "architecture: $n paths of $doc exist, every folder of src/ is named"

# On this tree (no TREE given), the test also fails where it should, on
# copies: a path the page names that is not there, a sub-folder of src/
# the page does not name.
[ $# -eq 0 ] || exit 0
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-architecture.XXXXXX")
trap 'rm -rf "$work"' EXIT
copy() {
	rm -rf "$work/tree"
	mkdir "$work/tree"
	tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$work/tree" -xf -
}
copy
sed -i 's/(`export\/stall.c`)/(`engine\/stall.c`)/' "$work/tree/$doc"
grep -q '(`engine/stall.c`)' "$work/tree/$doc" || { echo "FAIL: the test could not name engine/stall.c" >&2; exit 1; }
if bash "$0" "$work/tree" >"$work/out" 2>&1 ||
	! grep -q '`engine/stall.c` names no file or folder' "$work/out"; then
	cat "$work/out" >&2
	echo "FAIL: a path that is not there passed" >&2
	exit 1
fi
copy
mkdir "$work/tree/src/nfs4/unnamed"
if bash "$0" "$work/tree" >"$work/out" 2>&1 ||
	! grep -q 'src/nfs4/unnamed is not named' "$work/out"; then
	cat "$work/out" >&2
	echo "FAIL: an unnamed folder of src/ passed" >&2
	exit 1
fi
echo "architecture: a missing path and an unnamed folder are caught"
