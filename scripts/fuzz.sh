#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz (clang, ASan+UBSan) and runs
# fuzz_rpc_stream for FUZZ_SECONDS (default 60) over a copy of the seed
# corpus kept in build-fuzz/corpus/.  Exits non-zero when the fuzzer finds a
# crash, a leak or a sanitizer report; the input that did it is left in
# build-fuzz/artifacts/.  Extra arguments go to libFuzzer.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
target=fuzz_rpc_stream

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DFERRY_FUZZ=ON \
	-DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" "$target"

corpus=$build/corpus/rpc_stream
artifacts=$build/artifacts
mkdir -p "$corpus" "$artifacts"
# The committed seeds stay as they are; what the fuzzer finds grows the copy.
cp -n "$root"/fuzz/corpus/rpc_stream/* "$corpus"/

echo "fuzz: running $target for ${seconds}s over $corpus" >&2
status=0
"$build/fuzz/$target" -max_len=70000 -max_total_time="$seconds" -print_final_stats=1 \
	-artifact_prefix="$artifacts/" "$@" "$corpus" || status=$?

if [ "$status" -ne 0 ]; then
	echo "fuzz: $target FAILED (exit $status); reproduce with:" >&2
	echo "  $build/fuzz/$target $artifacts/<crash-file>" >&2
	exit "$status"
fi
cat >&2 <<EOF
fuzz: no crash in ${seconds}s.  Run longer with
  FUZZ_SECONDS=3600 $0
or in parallel (one job per core) with
  FUZZ_SECONDS=3600 $0 -jobs=\$(nproc) -workers=\$(nproc)
EOF
