#!/usr/bin/env bash
# Lists the longest C functions under the given folders (default src/), longest
# first: lines from the opening brace to the closing one, the function's name
# and where it starts.  Ferry's style puts a function's braces alone in
# column 0, which is what this reads; struct and array initialisers
# (a `{` after `=`) are skipped.
#
#   bash scripts/longest-functions.sh [-n COUNT] [DIR ...]
#
# Also prints, per folder, the number of .c/.h files and their lines
# (with -f), for comparing one layout of the tree with another.
set -euo pipefail
cd "$(dirname "$0")/.."

count=15
folders=false
while [ $# -gt 0 ]; do
	case $1 in
	-n) count=$2; shift 2 ;;
	-f) folders=true; shift ;;
	-h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- src

if $folders; then
	echo "files  lines  folder"
	find "$@" -name '*.[ch]' -printf '%h\n' | sort | uniq -c | while read -r n dir; do
		lines=$(cat "$dir"/*.[ch] | wc -l)
		printf '%5d %6d  %s\n' "$n" "$lines" "$dir"
	done
	echo
fi

echo "lines  function"
find "$@" -name '*.c' -print0 | sort -z | xargs -0 awk '
	FNR == 1 { prev = ""; start = 0 }
	/^\{/ && prev ~ /\)[[:space:]]*$/ {
		start = FNR
		# The name: the identifier before the first "(" of the
		# declarator, which may span lines (held in decl).
		s = decl; sub(/\(.*/, "", s); n = split(s, w, /[^A-Za-z0-9_]+/)
		name = w[n] != "" ? w[n] : w[n - 1]
		# A function a macro defines (NAME(arg) {...}): the macro with its argument.
		if (decl ~ /^[A-Z0-9_]+\([A-Za-z0-9_]+\)/) { name = decl; sub(/\).*/, ")", name) }
		next
	}
	/^\}/ && start { printf "%5d  %s (%s:%d)\n", FNR - start + 1, name, FILENAME, start - 1; start = 0 }
	{
		if ($0 ~ /^[A-Za-z_]/) decl = $0; else if (decl != "" && $0 ~ /^[[:space:]]/ && !start) decl = decl " " $0
		if ($0 ~ /^$/ || $0 ~ /;[[:space:]]*$/ && $0 ~ /^[A-Za-z_]/) decl = ""
		prev = $0
	}
' | sort -rn | head -n "$count"
