#!/usr/bin/env bash
# ferry-bench's readdir workload against a real ferryd: the directory's
# entries are made many per COMPOUND (more than one COMPOUND's worth, and a
# count that is no multiple of a batch), every listing must hold exactly
# --dir-entries entries (ferry-bench checks), the JSON reports the listing's
# size and server CPU per entry, and the directory is emptied and removed
# afterwards.  Timings are printed, never judged.  Needs FERRYD and
# FERRY_BENCH.
set -euo pipefail

source "$(dirname "$0")/../lib/ferryd_test.sh"
ferry_test_init bench-readdir

mkdir -p "$dir/export"
chmod 0777 "$dir/export" # ferry-bench runs as root, squashed to nobody
ferryd_start --export "$dir/export"

field() { grep -o "\"$1\":[^,}]*" "$dir/out.json" | head -n1 | cut -d: -f2-; }

rc=0
"$FERRY_BENCH" --server "127.0.0.1:$port" --workload readdir --dir-entries 1037 --ops 12 \
	--inflight 4 --warmup 0 --timeout 20 --server-pid "$pid" --json \
	>"$dir/out.json" 2>"$dir/err.txt" || rc=$?
cat "$dir/out.json"
[[ $rc -eq 0 ]] || { cat "$dir/err.txt" >&2; fail "readdir: exit status $rc"; }
[[ $(field status) == '"ok"' ]] || fail "readdir: status $(field status)"
[[ $(field ops) == 12 ]] || fail "readdir: ops $(field ops), want 12"
[[ $(field total) == 0 ]] || fail "readdir: errors reported: $(field total)"
[[ $(field entries) == 1037 ]] || fail "readdir: listing entries $(field entries), want 1037"
per=$(field server_cpu_us_per_entry)
[[ -n $per ]] || fail "readdir: no server_cpu_us_per_entry"
# Nothing left behind: the work directory (and its 1037 files) is gone.
left=$(find "$dir/export" -mindepth 1 | wc -l)
[[ $left == 0 ]] || fail "readdir: $left names left in the export"
kill -0 "$pid" 2>/dev/null || fail "readdir: ferryd died"
echo "1 passed, 0 failed"
