#!/usr/bin/env bash
# The embedded default must give a new user an export they can write to:
# ferryd started with an export directory that does not exist yet creates
# it, and a client whose root is squashed to nobody (the default) can then
# create, write and remove files in it.  ferry-bench's create workload runs
# as uid 0 over AUTH_SYS, so it is exactly such a client.  Needs FERRYD and
# FERRY_BENCH (set by ctest, see tests/CMakeLists.txt).
set -euo pipefail

: "${FERRYD:?FERRYD must point at the ferryd binary}"
: "${FERRY_BENCH:?FERRY_BENCH must point at the ferry-bench binary}"

dir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-default-export.XXXXXX")
pid=
cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	[[ -n ${FERRY_TEST_KEEP:-} ]] || rm -rf "$dir"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	echo "--- ferryd log:" >&2
	cat "$dir/ferryd.log" >&2 || true
	exit 1
}

mkdir -p "$dir/existing"
chmod 0755 "$dir/existing"
"$FERRYD" --listen 127.0.0.1:0 --port-file "$dir/port" --no-rpcbind \
	--export "$dir/export" --export "$dir/existing" \
	--state-dir "$dir/state" >"$dir/ferryd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	[[ -s $dir/port ]] && break
	kill -0 "$pid" 2>/dev/null || fail "ferryd exited at start-up"
	sleep 0.05
done
[[ -s $dir/port ]] || fail "ferryd did not write its port file"
port=$(head -n1 "$dir/port")

[[ -d $dir/export ]] || fail "the missing export directory was not created"
mode=$(stat -c %a "$dir/export")
[[ $mode == 1777 ]] || fail "a created export directory has mode $mode, want 1777"
# A directory the operator made is left as it is.
mode=$(stat -c %a "$dir/existing")
[[ $mode == 755 ]] || fail "an existing export directory changed to mode $mode"

out=$("$FERRY_BENCH" --server "127.0.0.1:$port" --export /export --workload create \
	--ops 50 --json) || fail "create workload as a squashed root failed: $out"
echo "$out" | grep -q '"status": *"ok"' || fail "create workload did not finish ok: $out"
echo "PASS: a created default export is writable by a squashed client"
