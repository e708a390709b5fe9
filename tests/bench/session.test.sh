#!/usr/bin/env bash
# ferry-bench's own NFSv4.1 session handling, against fake_nfs41.py: a small
# server that grants fewer slots than asked, answers out of order and late,
# says NFS4ERR_DELAY on SEQUENCE and on RECLAIM_COMPLETE, lowers and raises
# target_highest_slotid, and counts every breach of RFC 8881 2.10.6 by the
# client (slot beyond the table, slot reused before its reply, wrong seqid,
# slot above a target the client has seen).  Then a server that echoes a
# wrong seqid: ferry-bench must abort with exit status 3.
#
# The same checks against a real ferryd are pending until ferryd serves
# NFSv4.1 sessions.  Needs FERRY_BENCH and python3.
set -euo pipefail

: "${FERRY_BENCH:?FERRY_BENCH must point at the ferry-bench binary}"
command -v python3 >/dev/null || { echo "FAIL: python3 is needed" >&2; exit 1; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-session.XXXXXX")
pid=
stop_fake() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	pid=
}
trap 'stop_fake; [[ -n ${FERRY_TEST_KEEP:-} ]] || rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

start_fake() {
	rm -f "$dir/port" "$dir/state.json"
	python3 "$here/fake_nfs41.py" --port-file "$dir/port" --state-out "$dir/state.json" \
		--max-seconds 120 "$@" 2>"$dir/fake.err" &
	pid=$!
	for _ in $(seq 100); do
		[[ -s $dir/port ]] && return 0
		kill -0 "$pid" 2>/dev/null || { cat "$dir/fake.err" >&2; fail "fake server died"; }
		sleep 0.05
	done
	fail "fake server did not start"
}

state() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$dir/state.json" "$1"; }
field() { grep -o "\"$1\":[^,}]*" "$dir/out.json" | head -n1 | cut -d: -f2-; }

passed=0
# 1 and 2: one session on one connection, then two sessions over three
# connections; 16 streams per session, 8 slots granted.
for layout in "1 1" "3 2"; do
	set -- $layout
	start_fake --slots 8 --seq-delay-every 97 --lower-target-at 2000 \
		--raise-target-at 4000 --target 2
	rc=0
	"$FERRY_BENCH" --server "127.0.0.1:$(cat "$dir/port")" --workload sequence \
		--connections "$1" --sessions "$2" --inflight 16 --ops 8000 --warmup 0 \
		--timeout 20 --json >"$dir/out.json" 2>"$dir/err.txt" || rc=$?
	cat "$dir/out.json"
	for _ in $(seq 50); do [[ -s $dir/state.json ]] && break; sleep 0.1; done
	stop_fake
	[[ $rc -eq 0 ]] || { cat "$dir/err.txt" >&2; fail "layout $layout: exit status $rc"; }
	cat "$dir/state.json"; echo
	[[ $(field status) == '"ok"' ]] || fail "layout $layout: status $(field status)"
	[[ $(field ops) == 8000 ]] || fail "layout $layout: ops $(field ops), want 8000"
	[[ $(state breaches) == 0 ]] || fail "layout $layout: session rule breaches: $(state breach_msgs)"
	(($(state seq_delays) > 0)) || fail "layout $layout: no DELAY on SEQUENCE was injected"
	[[ $(state op_delays) == 1 ]] || fail "layout $layout: RECLAIM_COMPLETE DELAY not retried"
	(($(field delay_retries) >= $(state seq_delays))) ||
		fail "layout $layout: $(field delay_retries) DELAY retries for $(state seq_delays) DELAYs"
	[[ $(state max_busy) == 8 ]] || fail "layout $layout: at most $(state max_busy) slots busy, want all 8"
	[[ $(field slots_granted) == 8 ]] || fail "layout $layout: slots_granted $(field slots_granted)"
	[[ $(field min_target_highest_slotid) == 2 ]] || fail "layout $layout: lowered target not seen"
	(($(state high_slots_after_raise) > 0)) || fail "layout $layout: slots above 2 not used after the target rose"
	[[ $(state sessions_destroyed) == "$2" ]] || fail "layout $layout: DESTROY_SESSION missing"
	[[ $(state clientid_destroyed) == 1 ]] || fail "layout $layout: DESTROY_CLIENTID missing"
	passed=$((passed + 1))
done

# 3: a server that echoes a wrong seqid must stop the run loudly.
start_fake --slots 8 --misbehave wrong-seqid
rc=0
"$FERRY_BENCH" --server "127.0.0.1:$(cat "$dir/port")" --workload sequence --inflight 16 \
	--ops 8000 --warmup 0 --timeout 20 --json >"$dir/out.json" 2>"$dir/err.txt" || rc=$?
stop_fake
cat "$dir/err.txt"
[[ $rc -eq 3 ]] || fail "wrong seqid: exit status $rc, want 3"
[[ $(field status) == '"failed"' ]] || fail "wrong seqid: status $(field status)"
grep -q "seqid" "$dir/err.txt" || fail "wrong seqid: the message does not say what was wrong"
passed=$((passed + 1))

echo "$passed passed, 0 failed"
