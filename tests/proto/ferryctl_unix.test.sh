#!/usr/bin/env bash
# The control plane on a unix socket: created with mode 0600, found by
# ferryctl through the state directory, reads without a token, writes with
# it, and the socket file removed when ferryd stops.  Needs FERRYD,
# FERRY_BENCH and FERRYCTL (set by ctest, see tests/CMakeLists.txt).
set -euo pipefail

source "$(dirname "$0")/../lib/ferryd_test.sh"
: "${FERRYCTL:?FERRYCTL must point at the ferryctl binary}"
ferry_test_init ferryctl-unix

sock=$dir/control.sock
ferryd_start --export "$dir/export:/export" --control "unix:$sock"
[[ -S $sock ]] || fail "no socket at $sock"
mode=$(stat -c %a "$sock")
[[ $mode == 600 ]] || fail "the socket has mode $mode, want 600"
[[ $(cat "$dir/state/control.addr") == "unix:$sock" ]] || fail "control.addr does not name the socket"
ctl() { "$FERRYCTL" --state-dir "$dir/state" "$@"; }
# Whole outputs first: grep -q would stop reading early (pipefail).
out=$(ctl listeners) || fail "ferryctl listeners over the unix socket"
grep -q "127.0.0.1:$port" <<<"$out" || fail "listeners over the unix socket: $out"
out=$(ctl metrics) || fail "ferryctl metrics over the unix socket"
grep -q '^ferry_build_info' <<<"$out" || fail "metrics over the unix socket"
out=$(ctl listener set 0 --minor 1-1) || fail "listener set over the unix socket: $out"
if out=$(ctl --token-file /dev/null listener set 0 --minor 0-1 2>&1); then
	fail "a write without the token was accepted"
fi
out=$("$FERRYCTL" --server "unix:$sock" --json listeners) || fail "--server unix:PATH"
grep -q '"min_minor": 1' <<<"$out" || fail "--server unix:PATH: $out"
kill -TERM "$pid"
wait "$pid" || fail "ferryd did not stop cleanly"
pid=
[[ ! -e $sock ]] || fail "the socket was left behind"
[[ ! -e $dir/state/control.addr ]] || fail "control.addr was left behind"
echo "PASS: control plane on a unix socket"
