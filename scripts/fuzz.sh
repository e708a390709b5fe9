#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz (clang, ASan+UBSan) and runs
# every one of them (fuzz/fuzz_*.c), one after the other, sharing
# FUZZ_SECONDS (default 60) between them so the whole run takes about that
# long (at least 3 s a target).  Each target works over a copy of its seed
# corpus (fuzz/corpus/<name>/, where <name> is the target without "fuzz_")
# kept in build-fuzz/corpus/<name>/.  Exits non-zero when a fuzzer finds a
# crash, a leak or a sanitizer report; the input that did it is left in
# build-fuzz/artifacts/.  FUZZ_TARGETS="fuzz_a fuzz_b" runs only those;
# FUZZ_JOBS=N runs N of them at a time (each still gets its share of
# FUZZ_SECONDS, so the run takes about 1/N of it).
# FUZZ_BUILD_ONLY=1 builds them and stops (the test command builds early,
# at the lowest priority, and runs them later).  Extra arguments go to
# libFuzzer.
#
# Long runs.  One target for hours, its corpus growing in build-fuzz/corpus/
# (kept between runs; the committed seeds are only copied in):
#   FUZZ_TARGETS=fuzz_compound FUZZ_SECONDS=14400 nice -n 10 scripts/fuzz.sh
# or by hand, in parallel (one job per core), after a first run built it:
#   cd build-fuzz && nice -n 10 fuzz/fuzz_compound -max_len=8192 \
#       -max_total_time=14400 -jobs=2 -workers=2 -artifact_prefix=artifacts/ \
#       corpus/compound
# Coverage of a target: the "cov:" (edges) and "ft:" (features) of its
# last libFuzzer line, e.g. after
#   nice -n 10 build-fuzz/fuzz/fuzz_X -max_total_time=60 build-fuzz/corpus/X
# To fold what a long run found back into the seeds (smaller, same coverage):
#   build-fuzz/fuzz/fuzz_X -merge=1 fuzz/corpus/X build-fuzz/corpus/X
# Generated seeds come from fuzz/make-*seeds*.py; run those again rather
# than editing their output.
#
# A crash.  Reproduce with  build-fuzz/fuzz/fuzz_X build-fuzz/artifacts/crash-...
# (FUZZ_COMPOUND_VERBOSE=1 shows how far fuzz_compound's COMPOUND got), fix
# it, and keep the input as a regression: copy it to
# fuzz/regressions/<name>/ under a name that says what it was.  ctest
# (fuzz_replay_<name>, in every BUILD_TESTING build; see
# fuzz/CMakeLists.txt) runs the seeds and the regressions through the
# target, so the input fails the ASan+UBSan test build until the fix is in.
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
	fuzz_config | fuzz_exports_file) echo 16384 ;;
	*) echo 8192 ;;
	esac
}

# One build at a time in the directory: a run started while an earlier
# FUZZ_BUILD_ONLY build still goes waits for it, then finds little to do.
mkdir -p "$build"
exec 9>"$build/.build-lock"
flock 9
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DFERRY_FUZZ=ON \
	-DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# FUZZ_BUILD_JOBS: the test command builds with one job while the kernel
# client runs beside it.
ninja -C "$build" ${FUZZ_BUILD_JOBS:+-j "$FUZZ_BUILD_JOBS"} "${targets[@]}"
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0
flock -u 9

# At least a few seconds each: libFuzzer needs a moment before it fuzzes.
each=$((seconds / ${#targets[@]}))
[ "$each" -ge 3 ] || each=3

artifacts=$build/artifacts
mkdir -p "$artifacts"
# One target's run: 0, or the fuzzer's status after saying how to
# reproduce what it found.
run_target() {
	local target=$1 name=${1#fuzz_} status=0
	shift
	local corpus=$build/corpus/$name
	mkdir -p "$corpus"
	# The committed seeds stay as they are; what the fuzzer finds grows the copy.
	if [ -d "$root/fuzz/corpus/$name" ]; then
		cp -n "$root/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null || true
	fi

	# Inputs that once crashed are read too (libFuzzer adds to the first
	# directory only).
	local dirs=("$corpus")
	[ -d "$root/fuzz/regressions/$name" ] && dirs+=("$root/fuzz/regressions/$name")

	echo "fuzz: running $target for ${each}s over $corpus" >&2
	"$build/fuzz/$target" -max_len="$(max_len_of "$target")" -max_total_time="$each" \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$@" "${dirs[@]}" || status=$?

	if [ "$status" -ne 0 ]; then
		echo "fuzz: $target FAILED (exit $status); reproduce with:" >&2
		echo "  $build/fuzz/$target $artifacts/<crash-file>" >&2
	fi
	return "$status"
}

# FUZZ_JOBS (default 1) targets at a time: the test command runs two beside
# its CephFS stage, which mostly waits on the cluster.
jobs=${FUZZ_JOBS:-1}
running=0
failed=0
for target in "${targets[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || failed=$?
		running=$((running - 1))
		[ "$failed" -eq 0 ] || break
	fi
	run_target "$target" "$@" &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || { [ "$failed" -ne 0 ] || failed=$?; }
	running=$((running - 1))
done
[ "$failed" -eq 0 ] || exit "$failed"
cat >&2 <<EOM
fuzz: no crash in ${#targets[@]} targets, ${each}s each.  Run longer with
  FUZZ_SECONDS=3600 $0
or one target in parallel (one job per core) with
  FUZZ_TARGETS=fuzz_rpc_stream FUZZ_SECONDS=3600 $0 -jobs=\$(nproc) -workers=\$(nproc)
EOM
