#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz (clang, ASan+UBSan) and runs
# every one of them (fuzz/fuzz_*.c), one after the other, sharing
# FUZZ_SECONDS (default 60) between them so the whole run takes about that
# long.  Each target works over a copy of its seed corpus
# (fuzz/corpus/<name>/, where <name> is the target without "fuzz_") kept in
# build-fuzz/corpus/<name>/.  Exits non-zero when a fuzzer finds a crash, a
# leak or a sanitizer report; the input that did it is left in
# build-fuzz/artifacts/.  FUZZ_TARGETS="fuzz_a fuzz_b" runs only those.
# Extra arguments go to libFuzzer.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}

if [ -n "${FUZZ_TARGETS:-}" ]; then
	read -r -a targets <<<"$FUZZ_TARGETS"
else
	targets=()
	for src in "$root"/fuzz/fuzz_*.c; do
		targets+=("$(basename "$src" .c)")
	done
fi

# The largest input each target needs: a stream of records, or one
# operation's arguments or results.
max_len_of() {
	case "$1" in
	fuzz_rpc_stream) echo 70000 ;;
	*) echo 8192 ;;
	esac
}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DFERRY_FUZZ=ON \
	-DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" "${targets[@]}"

# At least a few seconds each: libFuzzer needs a moment before it fuzzes.
each=$((seconds / ${#targets[@]}))
[ "$each" -ge 5 ] || each=5

artifacts=$build/artifacts
mkdir -p "$artifacts"
for target in "${targets[@]}"; do
	name=${target#fuzz_}
	corpus=$build/corpus/$name
	mkdir -p "$corpus"
	# The committed seeds stay as they are; what the fuzzer finds grows the copy.
	if [ -d "$root/fuzz/corpus/$name" ]; then
		cp -n "$root/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null || true
	fi

	echo "fuzz: running $target for ${each}s over $corpus" >&2
	status=0
	"$build/fuzz/$target" -max_len="$(max_len_of "$target")" -max_total_time="$each" \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$@" "$corpus" || status=$?

	if [ "$status" -ne 0 ]; then
		echo "fuzz: $target FAILED (exit $status); reproduce with:" >&2
		echo "  $build/fuzz/$target $artifacts/<crash-file>" >&2
		exit "$status"
	fi
done
cat >&2 <<EOM
fuzz: no crash in ${#targets[@]} targets, ${each}s each.  Run longer with
  FUZZ_SECONDS=3600 $0
or one target in parallel (one job per core) with
  FUZZ_TARGETS=fuzz_rpc_stream FUZZ_SECONDS=3600 $0 -jobs=\$(nproc) -workers=\$(nproc)
EOM
