#!/usr/bin/env bash
# ferry-bench's NFSv4.1 session handling against a real ferryd: the server
# grants fewer slots than asked (session_slots = 8 for 16 in flight), so the
# client must queue for slots; every reply's SEQUENCE result is checked by
# ferry-bench (any breach of RFC 8881 2.10.6 aborts it with status 3).  Runs
# one session on one connection, two sessions over three connections, and the
# getattr, create, read and write workloads; each must finish all its ops with zero
# errors, and ferryd must still be running.  Timings are printed, never
# judged.  Needs FERRYD and FERRY_BENCH.
set -euo pipefail

source "$(dirname "$0")/../lib/ferryd_test.sh"
ferry_test_init bench-session

mkdir -p "$dir/export"
chmod 0777 "$dir/export" # ferry-bench runs as root, squashed to nobody
cat >"$dir/ferryd.conf" <<CONF
[nfs]
session_slots = 8
CONF
ferryd_start --config "$dir/ferryd.conf" --export "$dir/export"

field() { grep -o "\"$1\":[^,}]*" "$dir/out.json" | head -n1 | cut -d: -f2-; }

passed=0
run() { # label, ops, ferry-bench arguments...
	local label=$1 ops=$2
	shift 2
	local rc=0
	"$FERRY_BENCH" --server "127.0.0.1:$port" --ops "$ops" --warmup 0 --timeout 20 --json \
		"$@" >"$dir/out.json" 2>"$dir/err.txt" || rc=$?
	cat "$dir/out.json"
	[[ $rc -eq 0 ]] || { cat "$dir/err.txt" >&2; fail "$label: exit status $rc"; }
	[[ $(field status) == '"ok"' ]] || fail "$label: status $(field status)"
	[[ $(field ops) == "$ops" ]] || fail "$label: ops $(field ops), want $ops"
	[[ $(field total) == 0 ]] || fail "$label: errors reported: $(field total)"
	[[ $(field slots_granted) == 8 ]] || fail "$label: slots_granted $(field slots_granted), want 8"
	kill -0 "$pid" 2>/dev/null || fail "$label: ferryd died"
	passed=$((passed + 1))
}

run "sequence, 1 connection, 1 session" 8000 --workload sequence --connections 1 \
	--sessions 1 --inflight 16
run "sequence, 3 connections, 2 sessions" 8000 --workload sequence --connections 3 \
	--sessions 2 --inflight 16
run "getattr, 2 connections, 2 sessions" 4000 --workload getattr --connections 2 \
	--sessions 2 --inflight 16
run "create, 2 connections, 1 session" 400 --workload create --connections 2 \
	--sessions 1 --inflight 16
# Each read and write workload moves its own I/O size, which --json reports.
for w in read4k:4096 read1m:1048576 write4k:4096 write1m:1048576; do
	run "${w%%:*}, 2 connections, 2 sessions" 40 --workload "${w%%:*}" --connections 2 \
		--sessions 2 --inflight 16 --file-size 4194304
	[[ $(field io_size) == "${w#*:}" ]] || fail "${w%%:*}: io_size $(field io_size), want ${w#*:}"
done

echo "$passed passed, 0 failed"
