#!/usr/bin/env bash
# Checks that the layers of docs/ARCHITECTURE.md ("Modules") hold.  The
# rules are read from that page, so the page and the check cannot drift:
#
#  - the module table (`| library | may use | used by |`): one row per
#    folder under src/ (`ferry_X` or `src/X`), whose "may use" cell is
#    "nothing of Ferry", "anything" or a comma-separated list of modules,
#    each optionally "(types only)": the module may include that one's
#    headers (types, constants, inline functions) but its object files
#    reference no symbol that module's library defines.  A types-only
#    entry may name, in backquotes inside its parentheses, the symbols it
#    still calls (known exceptions, each to be removed);
#  - the parts table (`| module | parts, lowest first |`): for a module
#    whose sub-folders are stacked, its parts in order, levels separated by
#    "<" and the parts of one level by ",": a part may use itself and the
#    parts of lower levels only (never those of its own level).  `.` is the
#    module's top-level files; a module's row must place every sub-folder,
#    and `.` when it is left out may use and be used by any part.
#
#   bash scripts/check-layers.sh [BUILD_DIR]
#
# Checks, each printing file:line (or object file) and what crosses:
#   0. the tables: every folder of src/ has its row, every module a row
#      names exists, every "used by" entry may use the module, every part
#      the parts table names exists and every sub-folder of an ordered
#      module is placed;
#   1. includes: an #include "X/..." in src/Y/ where Y may not use X (or,
#      inside an ordered module, "Y/q/..." from a part q is not below);
#   2. link lines: target_link_libraries(ferry_Y ... ferry_X) in
#      CMakeLists.txt with X not in Y's "may use";
#   3. symbols (needs BUILD_DIR: the object files of each library, in
#      BUILD_DIR/CMakeFiles/ferry_Y.dir): an undefined symbol of an object
#      of src/Y that the library of a module Y may not use defines, or one
#      Y may use the types of only, or (ordered modules) one a part of Y
#      not below the object's part defines.  The libraries are static, so
#      an upward call (state calling into nfs4) links fine into ferryd;
#      only this catches it.  (A call through a function pointer, as
#      through struct backend_ops, is no symbol: "types only" cannot see
#      it.)
# Exit status 0 when every check passes, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
doc=docs/ARCHITECTURE.md

bad=0
complain() { echo "$*"; bad=1; }

if [ ! -f "$doc" ]; then
	echo "check-layers: no $doc"
	exit 1
fi

# --- reading the rules ------------------------------------------------------

# Prints, from the "Modules" section of the page:
#   mod LINE MODULE           a row of the module table
#   use LINE MODULE DEP MODE [SYMBOL...]   MODE full or types
#   any LINE MODULE           "anything"
#   usedby LINE MODULE WORD   each word of the "used by" cell
#   part LINE MODULE PART LEVEL
#   error LINE TEXT
rules=$(awk '
	function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
	function modname(cell,   m) {
		cell = trim(cell)
		if (match(cell, /^`ferry_[a-z0-9_]+`$/)) return substr(cell, 8, length(cell) - 8)
		if (match(cell, /^`src\/[a-z0-9_]+`$/)) return substr(cell, 6, length(cell) - 6)
		return ""
	}
	/^## / { insec = ($0 == "## Modules"); table = ""; next }
	!insec { next }
	!/^\|/ { table = ""; next }
	/^\| *library *\| *may use *\|/ { table = "modules"; next }
	/^\| *module *\| *parts, lowest first *\|/ { table = "parts"; next }
	/^\| *-/ { next }
	table == "modules" {
		n = split($0, c, "|")
		m = modname(c[2])
		if (m == "") { print "error", NR, "a module table row whose first cell is not `ferry_X` or `src/X`"; next }
		print "mod", NR, m
		use = trim(c[3])
		w = split(c[4], u, /[^a-z0-9_]+/)
		for (i = 1; i <= w; i++) if (u[i] != "") print "usedby", NR, m, u[i]
		if (use == "nothing of Ferry") next
		if (use == "anything") { print "any", NR, m; next }
		# Splits at the commas outside parentheses.
		item = ""; depth = 0; k = 0
		for (i = 1; i <= length(use); i++) {
			ch = substr(use, i, 1)
			if (ch == "(") depth++
			if (ch == ")") depth--
			if (ch == "," && depth == 0) { items[++k] = item; item = "" } else item = item ch
		}
		items[++k] = item
		for (i = 1; i <= k; i++) {
			it = trim(items[i])
			if (match(it, /^[a-z0-9_]+$/)) { print "use", NR, m, it, "full"; continue }
			if (match(it, /^[a-z0-9_]+ *\(types only[^)]*\)$/)) {
				dep = it; sub(/ *\(.*/, "", dep)
				paren = it; sub(/^[^(]*\(types only/, "", paren)
				syms = ""
				while (match(paren, /`[A-Za-z0-9_]+`/)) {
					syms = syms " " substr(paren, RSTART + 1, RLENGTH - 2)
					paren = substr(paren, RSTART + RLENGTH)
				}
				print "use", NR, m, dep, "types" syms
				continue
			}
			print "error", NR, "ferry_" m ": cannot read \"" it "\" (a module, or a module followed by \"(types only)\")"
		}
		next
	}
	table == "parts" {
		n = split($0, c, "|")
		m = modname(c[2])
		if (m == "") { print "error", NR, "a parts table row whose first cell is not `src/X`"; next }
		lv = split(c[3], levels, "<")
		for (i = 1; i <= lv; i++) {
			np = split(levels[i], parts, ",")
			for (j = 1; j <= np; j++) {
				p = trim(parts[j])
				if (!match(p, /^`(\.|[A-Za-z0-9_-]+)`$/)) {
					print "error", NR, "src/" m ": cannot read part \"" p "\" (`.` or a sub-folder, in backquotes)"
					continue
				}
				print "part", NR, m, substr(p, 2, length(p) - 2), i
			}
		}
	}
' "$doc")

declare -A row=() may=() except=() anything=() level=() ordered=() partline=()
while read -r kind line m rest; do
	case $kind in
	mod)
		[ -n "${row[$m]:-}" ] && complain "$doc:$line: a second row for $m"
		row[$m]=$line ;;
	any) anything[$m]=1 ;;
	use)
		read -r dep mode syms <<<"$rest"
		may[$m $dep]=$mode
		except[$m $dep]=" ${syms:-} " ;;
	part)
		read -r p lv <<<"$rest"
		ordered[$m]=1
		level[$m $p]=$lv
		partline[$m $p]=$line ;;
	error) complain "$doc:$line: $m $rest" ;;
	esac
done < <(grep -v '^usedby ' <<<"$rules")

if [ ${#row[@]} -eq 0 ]; then
	echo "check-layers: no module table in the \"Modules\" section of $doc"
	exit 1
fi

# may_use MODULE DEP: 0 when MODULE may use DEP (itself included).
may_use() {
	[ "$1" = "$2" ] || [ -n "${anything[$1]:-}" ] || [ -n "${may[$1 $2]:-}" ]
}
is_module() { [ -n "${row[$1]:-}" ] || [ -d "src/$1" ]; }

# --- 0. the tables --------------------------------------------------------------

for dir in src/*/; do
	m=$(basename "$dir")
	[ -n "${row[$m]:-}" ] ||
		complain "check-layers: src/$m has no row in $doc's module table (\"Modules\")"
done
for m in "${!row[@]}"; do
	[ -d "src/$m" ] || complain "$doc:${row[$m]}: ferry_$m: there is no src/$m"
done
for key in "${!may[@]}"; do
	read -r m dep <<<"$key"
	[ -n "${row[$dep]:-}" ] || complain "$doc:${row[$m]}: ferry_$m may use \"$dep\", which is no module"
done
while read -r _ line m word; do
	[ -n "${row[$word]:-}" ] || continue
	may_use "$word" "$m" ||
		complain "$doc:$line: ferry_$m is used by $word, but $word may not use $m"
done < <(grep '^usedby ' <<<"$rules")
for key in "${!level[@]}"; do
	read -r m p <<<"$key"
	if [ -z "${row[$m]:-}" ]; then
		complain "$doc:${partline[$key]}: src/$m has parts but no row in the module table"
	elif [ "$p" = . ]; then
		compgen -G "src/$m/*.[ch]" >/dev/null ||
			complain "$doc:${partline[$key]}: src/$m: part \`.\` but no file directly in src/$m"
	elif [ ! -d "src/$m/$p" ]; then
		complain "$doc:${partline[$key]}: src/$m: part \`$p\` but no folder src/$m/$p"
	fi
done
for m in "${!ordered[@]}"; do
	for sub in "src/$m"/*/; do
		[ -d "$sub" ] || continue
		p=$(basename "$sub")
		[ -n "${level[$m $p]:-}" ] ||
			complain "check-layers: src/$m/$p is not placed in src/$m's parts ($doc, parts table)"
	done
done

# part_of VAR PATH-BELOW-src/MODULE: sets VAR to the part a file or include
# is in (no subshell: this runs once per include line).
part_of() {
	if [[ $2 == */* ]]; then printf -v "$1" '%s' "${2%%/*}"; else printf -v "$1" '%s' .; fi
}
# part_may_use MODULE PART OTHER: 0 when PART of MODULE may use OTHER.
part_may_use() {
	[ "$2" = "$3" ] && return 0
	[ -n "${ordered[$1]:-}" ] || return 0
	local a=${level[$1 $2]:-} b=${level[$1 $3]:-}
	# `.` left out of the order goes with every part; an unplaced
	# sub-folder is reported above.
	{ [ -z "$a" ] || [ -z "$b" ]; } && return 0
	[ "$b" -lt "$a" ]
}

# --- 1. includes --------------------------------------------------------------

for dir in src/*/; do
	mod=$(basename "$dir")
	[ -n "${row[$mod]:-}" ] || continue
	while IFS=: read -r file line text; do
		[[ $text =~ \"([^\"]+)\" ]] || continue
		path=${BASH_REMATCH[1]}
		target=${path%%/*}
		is_module "$target" || continue
		inc=${text#"${text%%[![:space:]]*}"}
		if ! may_use "$mod" "$target"; then
			complain "$file:$line: $mod may not include $target: $inc"
		elif [ "$target" = "$mod" ] && [ -n "${ordered[$mod]:-}" ]; then
			part_of p "${file#src/"$mod"/}"
			part_of q "${path#"$mod"/}"
			part_may_use "$mod" "$p" "$q" ||
				complain "$file:$line: $mod/$p may not include $mod/$q (not below it in src/$mod's parts): $inc"
		fi
	done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"/]+/' "$dir" \
		--include='*.c' --include='*.h')
done

# --- 2. link lines --------------------------------------------------------------

# Joins each target_link_libraries( ... ) call onto one line, with its line number.
while IFS=$'\t' read -r line call; do
	call=${call#*target_link_libraries}
	call=${call#*(}
	read -r -a words <<<"${call%%)*}"
	lib=${words[0]}
	[[ $lib == ferry_* ]] || continue
	mod=${lib#ferry_}
	[ -n "${row[$mod]:-}" ] || continue
	for w in "${words[@]:1}"; do
		[[ $w == ferry_* ]] || continue
		dep=${w#ferry_}
		may_use "$mod" "$dep" || complain "CMakeLists.txt:$line: $lib may not link $w"
	done
done < <(awk '
	/target_link_libraries[[:space:]]*\(/ { start = NR; buf = "" ; open = 1 }
	open { buf = buf " " $0; if ($0 ~ /\)/) { printf "%d\t%s\n", start, buf; open = 0 } }
' CMakeLists.txt)

# --- 3. symbols -----------------------------------------------------------------

build=${1:-}
if [ -z "$build" ]; then
	echo "check-layers: no build directory given: symbol check skipped" \
		"(run: bash scripts/check-layers.sh build)"
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	: >"$tmp/objs"
	for m in "${!row[@]}"; do
		[ -n "${anything[$m]:-}" ] && continue
		[ -n "$(find "src/$m" -name '*.c' -print -quit)" ] || continue
		odir=$build/CMakeFiles/ferry_$m.dir
		# Each source's own object, as new as the source: a missing one
		# would hide the calls it makes, and an object left by a moved or
		# removed source would speak for code that is gone.
		while IFS= read -r c; do
			o=$odir/$c.o
			if [ ! -f "$o" ]; then
				complain "check-layers: $c has no object file in $odir: build it first"
			elif [ "$c" -nt "$o" ]; then
				complain "check-layers: $c is newer than its object file: build it first"
			else
				printf '%s\t%s\n' "$m" "$o" >>"$tmp/objs"
			fi
		done < <(find "src/$m" -name '*.c' | sort)
	done
	# The rules, for awk: "use MODULE DEP MODE [SYMBOL...]" and
	# "level MODULE PART LEVEL".
	for key in "${!may[@]}"; do
		echo "use $key ${may[$key]}${except[$key]}"
	done >"$tmp/rules"
	for key in "${!level[@]}"; do
		echo "level $key ${level[$key]}"
	done >>"$tmp/rules"
	for m in "${!anything[@]}"; do echo "any $m"; done >>"$tmp/rules"
	# object<TAB>symbol, defined and undefined.
	# nm's own failure must not read as "no symbols, nothing crosses".
	# One nm over every object: "OBJ:SYM_OFFSET TYPE NAME" for a defined
	# external, "OBJ: U NAME" for an undefined one.
	cut -f2 "$tmp/objs" | xargs -r -d '\n' nm -A -g >"$tmp/nm.out" 2>"$tmp/nm.err" ||
		complain "check-layers: nm failed on the object files: $(head -c 300 "$tmp/nm.err")"
	awk -v def="$tmp/def" -v undef="$tmp/undef" '
		{ sub(/:[^:]*$/, "", $1) }
		NF == 3 && $2 != "U" { print $1 "\t" $3 > def }
		$(NF - 1) == "U" { print $1 "\t" $NF > undef }
	' "$tmp/nm.out"
	touch "$tmp/def" "$tmp/undef"
	out=$(awk -F'\t' -v objs="$tmp/objs" -v rules="$tmp/rules" -v def="$tmp/def" -v undef="$tmp/undef" '
		# src/M/a/b.c from BUILD/CMakeFiles/ferry_M.dir/src/M/a/b.c.o
		function srcpath(o) { sub(/^.*\.dir\//, "", o); sub(/\.o$/, "", o); return o }
		function partof(mod, s,   r) {
			r = substr(s, length("src/" mod "/") + 1)
			return index(r, "/") ? substr(r, 1, index(r, "/") - 1) : "."
		}
		BEGIN {
			while ((getline l < objs) > 0) { split(l, f, "\t"); omod[f[2]] = f[1] }
			while ((getline l < rules) > 0) {
				n = split(l, w, " ")
				if (w[1] == "use") {
					mode[w[2], w[3]] = w[4]
					for (i = 5; i <= n; i++) exc[w[2], w[3], w[i]] = 1
				} else if (w[1] == "level") {
					lvl[w[2], w[3]] = w[4]; ordered[w[2]] = 1
				} else if (w[1] == "any") any[w[2]] = 1
			}
			while ((getline l < def) > 0) {
				split(l, f, "\t")
				m = omod[f[1]]; s = srcpath(f[1])
				if (!(f[2] in dmod)) { dmod[f[2]] = m; dsrc[f[2]] = s }
				# A symbol also defined in the module itself is its own.
				own[m, f[2]] = 1
			}
			while ((getline l < undef) > 0) {
				split(l, f, "\t")
				sym = f[2]; m = omod[f[1]]
				if (!(sym in dmod) || any[m]) continue
				s = srcpath(f[1]); d = dmod[sym]
				if (d == m || ((m, sym) in own)) {
					if (!ordered[m]) continue
					p = partof(m, s); q = partof(m, dsrc[sym])
					if (p == q || !((m, p) in lvl) || !((m, q) in lvl)) continue
					if (lvl[m, q] + 0 < lvl[m, p] + 0) continue
					printf "%s: %s/%s calls %s, defined in %s/%s (%s): not below it in src/%s'"'"'s parts\n", s, m, p, sym, m, q, dsrc[sym], m
					continue
				}
				if (!((m, d) in mode))
					printf "%s: %s calls %s, defined in ferry_%s (%s): %s may not use %s\n", s, m, sym, d, dsrc[sym], m, d
				else if (mode[m, d] == "types" && !((m, d, sym) in exc))
					printf "%s: %s calls %s, defined in ferry_%s (%s): %s may use the types of %s only\n", s, m, sym, d, dsrc[sym], m, d
			}
		}' </dev/null | sort -u)
	if [ -n "$out" ]; then
		echo "$out"
		bad=1
	fi
	# A known exception that the code no longer needs is dropped from the page.
	for key in "${!except[@]}"; do
		for sym in ${except[$key]}; do
			read -r m dep <<<"$key"
			awk -F'\t' -v s="$sym" -v d="/ferry_$m.dir/" \
				'$2 == s && index($1, d) { found = 1 } END { exit !found }' "$tmp/undef" ||
				complain "$doc:${row[$m]}: ferry_$m no longer calls $sym of $dep: drop it from the row"
		done
	done
fi

if [ $bad -ne 0 ]; then
	echo "check-layers: FAILED"
	exit 1
fi
echo "check-layers: ok"
