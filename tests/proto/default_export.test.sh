#!/usr/bin/env bash
# The embedded default must give a new user an export they can write to:
# ferryd started with an export directory that does not exist yet creates
# it, and a client whose root is squashed to nobody (the default) can then
# create, write and remove files in it.  ferry-bench's create workload runs
# as uid 0 over AUTH_SYS, so it is exactly such a client.  Needs FERRYD and
# FERRY_BENCH (set by ctest, see tests/CMakeLists.txt).
set -euo pipefail

source "$(dirname "$0")/../lib/ferryd_test.sh"
ferry_test_init default-export

mkdir -p "$dir/existing"
chmod 0755 "$dir/existing"
ferryd_start --export "$dir/export" --export "$dir/existing"

[[ -d $dir/export ]] || fail "the missing export directory was not created"
mode=$(stat -c %a "$dir/export")
[[ $mode == 1777 ]] || fail "a created export directory has mode $mode, want 1777"
# A directory the operator made is left as it is, but root on a client,
# squashed to nobody, could not write to it: ferryd says so at start, with
# the path and the fixes (an export made by an older ferryd, or by hand,
# is what gave "Permission denied" to root on a first mount).
mode=$(stat -c %a "$dir/existing")
[[ $mode == 755 ]] || fail "an existing export directory changed to mode $mode"
grep "not writable by uid 65534" "$dir/ferryd.log" | grep -F "$dir/existing" | grep -q "chmod 1777" ||
	fail "no warning that $dir/existing is not writable by the squashed root"
if grep "not writable by uid" "$dir/ferryd.log" | grep -qF "$dir/export "; then
	fail "a warning about the created (writable) export"
fi

out=$("$FERRY_BENCH" --server "127.0.0.1:$port" --export /export --workload create \
	--ops 50 --json) || fail "create workload as a squashed root failed: $out"
echo "$out" | grep -q '"status": *"ok"' || fail "create workload did not finish ok: $out"
echo "PASS: a created default export is writable by a squashed client"
