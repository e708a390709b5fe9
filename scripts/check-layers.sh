#!/usr/bin/env bash
# Checks that the layers of docs/ARCHITECTURE.md ("Modules") hold, each
# module using only those to its left:
#   core <- xdr <- rpc <- callback <- nfs4
#   core <- backend <- state <- callback <- nfs4
#   rpc, state <- export <- nfs4 (exports and file handles, every NFS program's)
#   export <- nlm (the NLM v4 program: exports, file handles and the state
#   module's lock table; never nfs4 or nfs3)
#   xdr, rpc, export <- mount (the MOUNT program; only cmd uses it)
#   core <- xdr <- rpc <- client
# (state may also use xdr; callback may use backend; ctl sits beside nfs4
# and may use all of these but client; cmd and tests use anything).
#
#   bash scripts/check-layers.sh [BUILD_DIR]
#
# Three checks, each printing file:line (or archive member) and what crosses:
#   1. includes: an #include "X/..." in src/Y/ where X is not allowed for Y;
#   2. link lines: target_link_libraries(ferry_Y ... ferry_X) in
#      CMakeLists.txt with X not allowed for Y;
#   3. symbols (needs BUILD_DIR with the libferry_*.a archives): an undefined
#      symbol of libferry_Y.a that no allowed library defines but a library
#      Y may not use does.  The libraries are static, so an upward call
#      (state calling into nfs4) links fine into ferryd; only this catches it.
# Exit status 0 when every check passes, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

# What each module under src/ may include and link against (itself included).
declare -A allowed=(
	[core]="core"
	[xdr]="core xdr"
	[rpc]="core xdr rpc"
	[client]="core xdr rpc client"
	[mount]="core xdr rpc export mount"
	[backend]="core backend"
	[state]="core xdr backend state"
	[callback]="core xdr rpc backend state callback"
	[export]="core xdr rpc backend state export"
	[nfs3]="core xdr rpc backend state callback export nfs3"
	[nfs4]="core xdr rpc backend state callback export nfs4"
	[nlm]="core xdr rpc backend state export nlm"
	[ctl]="core xdr rpc state callback export nfs3 nfs4 nlm backend ctl"
	[cmd]="*"
)

bad=0

is_allowed() { # module target
	local a=${allowed[$1]:-}
	[ "$a" = "*" ] && return 0
	[[ " $a " == *" $2 "* ]]
}

is_module() { [ -n "${allowed[$1]:-}" ] || [ -d "src/$1" ]; }

# --- 1. includes --------------------------------------------------------------

for dir in src/*/; do
	mod=$(basename "$dir")
	if [ -z "${allowed[$mod]:-}" ]; then
		echo "check-layers: src/$mod has no layer rule (add it to scripts/check-layers.sh)"
		bad=1
		continue
	fi
	while IFS=: read -r file line text; do
		target=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"/]+)\/.*/\1/' <<<"$text")
		is_module "$target" || continue
		if ! is_allowed "$mod" "$target"; then
			echo "$file:$line: $mod may not include $target: $(sed -E 's/^[[:space:]]+//' <<<"$text")"
			bad=1
		fi
	done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"/]+/' "$dir" \
		--include='*.c' --include='*.h')
done

# --- 2. link lines --------------------------------------------------------------

# Joins each target_link_libraries( ... ) call onto one line, with its line number.
while IFS=$'\t' read -r line call; do
	read -r -a words <<<"$(sed -E 's/target_link_libraries[[:space:]]*\(//; s/\)//' <<<"$call")"
	lib=${words[0]}
	[[ $lib == ferry_* ]] || continue
	mod=${lib#ferry_}
	[ -n "${allowed[$mod]:-}" ] || continue
	for w in "${words[@]:1}"; do
		[[ $w == ferry_* ]] || continue
		dep=${w#ferry_}
		if ! is_allowed "$mod" "$dep"; then
			echo "CMakeLists.txt:$line: $lib may not link $w"
			bad=1
		fi
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
	libs=()
	for mod in core xdr rpc client backend state callback nfs4 ctl; do
		a=$build/libferry_$mod.a
		[ -f "$a" ] || continue
		libs+=("$mod")
		nm -g --defined-only "$a" 2>/dev/null | awk 'NF == 3 { print $3 }' |
			sort -u >"$tmp/def.$mod"
		# member<TAB>symbol for every undefined symbol
		nm -A -u "$a" 2>/dev/null |
			awk '{ n = split($1, p, ":"); print p[n - 1] "\t" $NF }' |
			sort -u >"$tmp/undef.$mod"
	done
	if [ ${#libs[@]} -eq 0 ]; then
		echo "check-layers: no libferry_*.a in $build: build it first"
		bad=1
	fi
	for mod in "${libs[@]}"; do
		args=()
		for dep in "${libs[@]}"; do
			if is_allowed "$mod" "$dep"; then
				args+=("ok" "$tmp/def.$dep")
			else
				args+=("$dep" "$tmp/def.$dep")
			fi
		done
		# Reads each library's defined symbols, tagged "ok" or with the
		# forbidden library's name, then the undefined ones of mod.
		out=$(for ((i = 0; i < ${#args[@]}; i += 2)); do
			awk -v tag="${args[i]}" '{ print tag "\t" $0 }' "${args[i + 1]}"
		done | awk -F'\t' -v mod="$mod" -v a="$build/libferry_$mod.a" -v undef="$tmp/undef.$mod" '
			$1 == "ok" { ok[$2] = 1; next }
			{ up[$2] = $1 }
			END {
				while ((getline l < undef) > 0) {
					split(l, f, "\t")
					if (!(f[2] in ok) && (f[2] in up))
						printf "%s(%s): %s calls %s, defined in libferry_%s.a\n", a, f[1], mod, f[2], up[f[2]]
				}
			}')
		if [ -n "$out" ]; then
			echo "$out"
			bad=1
		fi
	done
fi

if [ $bad -ne 0 ]; then
	echo "check-layers: FAILED"
	exit 1
fi
echo "check-layers: ok"
