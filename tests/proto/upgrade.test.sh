#!/usr/bin/env bash
# In-place upgrades (ferryctl upgrade, SIGUSR2): an NFSv3 client keeps its
# TCP connection and gets every answer through two upgrades, with the same
# write verifier and control plane, and through SIGUSR2's with no control
# plane; each way an upgrade can fail (a binary that cannot be run, one
# that exits, a state image it cannot read, one not ready in time) leaves
# the running ferryd serving the same client, said by ferryctl's exit
# status, the log and ferry_upgrades_total.
# Needs FERRYD, FERRY_BENCH and FERRYCTL (set by ctest).
set -euo pipefail

source "$(dirname "$0")/../lib/ferryd_test.sh"
: "${FERRYCTL:?FERRYCTL must point at the ferryctl binary}"
ferry_test_init upgrade

ctl() { "$FERRYCTL" --state-dir "$dir/state" "$@"; }
metric() { ctl metrics | awk -v k="ferry_upgrades_total{result=\"$1\"}" '$1 == k {print $2}'; }
verifier() { ctl server --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["boot_verifier"])'; }
# The ferryd an upgrade said serves now; the one before it must be gone.
new_pid() { sed -n 's/^upgraded: pid \([0-9]*\) serves now.*/\1/p' <<<"$1"; }
wait_gone() {
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
	fail "ferryd $1 did not exit after handing over"
}

# One NFSv3 connection (MOUNT, then GETATTR every 20 ms): any error, a
# reply not within 5 s, or the connection closed fails it.
ping_v3() { python3 "$(dirname "$0")/../lib/nfs3_ping.py" "$port" /export "$1" --timeout 5; }
# Until the client is connected (and has mounted: a request or two).
wait_client() {
	for _ in $(seq 100); do
		[[ -n $(ss -Htn state established "dport = :$port") ]] && { sleep 0.3; return; }
		sleep 0.05
	done
	fail "the v3 client did not connect"
}
check_ping() {
	grep -q '"calls": [1-9][0-9]*, "errors": 0' "$1" || fail "$2: $(cat "$1")"
	echo "$2: $(cat "$1")"
}

ferryd_start --export "$dir/export:/export"
first=$pid
verf=$(verifier)

# --- two upgrades under load --------------------------------------------
ping_v3 3 >"$dir/ping.json" 2>"$dir/ping.err" &
bench=$!
wait_client
out=$(ctl upgrade) || fail "upgrade 1 failed: $out"
echo "$out"
grep -q '^upgraded: pid [0-9]* serves now; 1 listener(s) and [1-9][0-9]* connection(s) handed over' \
	<<<"$out" || fail "upgrade 1 did not hand the client's connection over: $out"
second=$(new_pid "$out")
kill -0 "$second" || fail "the new ferryd $second is not running"
wait_gone "$first"
pid=$second
sleep 0.5
out=$(ctl upgrade --binary "$FERRYD") || fail "upgrade 2 failed: $out"
echo "$out"
third=$(new_pid "$out")
kill -0 "$third" || fail "the new ferryd $third is not running"
wait_gone "$second"
pid=$third
wait "$bench" || { cat "$dir/ping.err" >&2; fail "the v3 client failed across the upgrades"; }
check_ping "$dir/ping.json" "one v3 connection through two upgrades"
[[ $(verifier) == "$verf" ]] || fail "the write verifier changed: clients would resend"
[[ $(metric done) == 2 ]] || fail "ferry_upgrades_total{result=\"done\"} is $(metric done), not 2"
grep -q 'upgrade: taking over (1 listeners, [1-9][0-9]* connections, state image version 1)' \
	"$dir/ferryd.log" || fail "the new ferryd did not say what it took over"

# SIGUSR2 does the same, with the binary the ferryd was started from.
kill -USR2 "$third"
wait_gone "$third"
fourth=$(sed -n 's/.*upgrade: pid \([0-9]*\) serves now.*/\1/p' "$dir/ferryd.log" | tail -1)
[[ -n $fourth && $fourth != "$third" ]] && kill -0 "$fourth" || fail "SIGUSR2 did not upgrade"
[[ $(metric done) == 3 ]] || fail "SIGUSR2's upgrade is not counted"
pid=$fourth

# --- failures: the running ferryd serves on -----------------------------
expect_failure() {
	local why=$1
	shift
	ping_v3 1.5 >"$dir/ping.json" 2>"$dir/ping.err" &
	bench=$!
	wait_client
	if out=$(ctl upgrade "$@" 2>&1); then
		fail "upgrade $* succeeded: $out"
	fi
	echo "$out"
	grep -q "$why" <<<"$out" || fail "upgrade $*: not the reason '$why': $out"
	grep -q 'this ferryd serves on' <<<"$out" || fail "upgrade $*: does not say it serves on"
	wait "$bench" || { cat "$dir/ping.err" >&2; fail "the client failed when upgrade $* failed"; }
	check_ping "$dir/ping.json" "one v3 connection while upgrade $* failed"
	kill -0 "$pid" || fail "upgrade $*: the running ferryd is gone"
	[[ $(verifier) == "$verf" ]] || fail "upgrade $*: the write verifier changed"
}
expect_failure 'could not be run' --binary "$dir/no-such-ferryd"
expect_failure 'exited with status 1' --binary /bin/false
[[ $(metric failed) == 2 ]] || fail "ferry_upgrades_total{result=\"failed\"} is $(metric failed), not 2"
grep -q 'upgrade: .*; serving on' "$dir/ferryd.log" || fail "the failures are not in the log"
stop() {
	kill -TERM "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	rm -f "$dir/port"
}
stop

# An image the new ferryd cannot read, and a new ferryd not ready in time
# (settings of the running one, for the test; the new one made late by a
# setting of its own, through a wrapper, whatever the machine's load).
FERRY_TEST_UPGRADE_IMAGE_VERSION=99 ferryd_start --export "$dir/export:/export"
verf=$(verifier)
expect_failure 'the new ferryd reads state images 1 to 1; this one writes 99'
stop
printf '#!/bin/sh\nFERRY_TEST_UPGRADE_READY_DELAY_MS=5000 exec %s "$@"\n' "$FERRYD" >"$dir/late-ferryd"
chmod +x "$dir/late-ferryd"
FERRY_TEST_UPGRADE_READY_MS=500 ferryd_start --export "$dir/export:/export"
verf=$(verifier)
expect_failure 'the new ferryd was not ready: timed out' --binary "$dir/late-ferryd"
stop

# With no control plane, SIGUSR2 hands the configured listener over too.
ferryd_start --export "$dir/export:/export" --control none
ping_v3 2 >"$dir/ping.json" 2>"$dir/ping.err" &
bench=$!
wait_client
kill -USR2 "$pid"
wait_gone "$pid"
next=$(sed -n 's/.*upgrade: pid \([0-9]*\) serves now.*/\1/p' "$dir/ferryd.log" | tail -1)
[[ -n $next ]] && kill -0 "$next" || fail "SIGUSR2 with no control plane did not upgrade"
pid=$next
wait "$bench" || { cat "$dir/ping.err" >&2; fail "the client failed across SIGUSR2's upgrade"; }
check_ping "$dir/ping.json" "one v3 connection through SIGUSR2's upgrade with no control plane"
# A new connection: the new ferryd listens on the socket handed over.
ping_v3 0.3 >"$dir/ping.json" 2>"$dir/ping.err" ||
	{ cat "$dir/ping.err" >&2; fail "no new connection after SIGUSR2's upgrade"; }
check_ping "$dir/ping.json" "a new v3 connection after it"
echo "PASS"
