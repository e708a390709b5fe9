#!/usr/bin/env bash
# ferryctl against a running ferryd: every view as a table and as JSON,
# changing a listener's range, a refusal with a message and a non-zero exit
# for a bad request, a missing token and an unreachable server; the config
# file is enough to find server and token.  Needs FERRYD, FERRY_BENCH and
# FERRYCTL (set by ctest, see tests/CMakeLists.txt).
set -euo pipefail

source "$(dirname "$0")/../lib/ferryd_test.sh"
: "${FERRYCTL:?FERRYCTL must point at the ferryctl binary}"

# keepalived runs `ferryctl health` every second on every head: ferryctl
# loads no storage library (librados and libcephfs cost it 85 ms of CPU a
# run, against 9 ms without).
if ldd "$FERRYCTL" | grep -E 'librados|libcephfs|libceph-common'; then
	echo "FAIL: ferryctl loads a storage library it does not call" >&2
	exit 1
fi
ferry_test_init ferryctl

ferryd_start --export "$dir/export:/export"
ctl() { "$FERRYCTL" --state-dir "$dir/state" "$@"; }

# Some traffic, so clients and sessions have rows.
"$FERRY_BENCH" --server "127.0.0.1:$port" --export /export --workload getattr --ops 20 \
	--json >/dev/null || fail "ferry-bench getattr failed"

out=$(ctl server) || fail "ferryctl server failed"
grep -q '^version ' <<<"$out" || fail "server table lacks the version: $out"
grep -q '^minor_versions  *0-2' <<<"$out" || fail "server table lacks the range: $out"

out=$(ctl listeners) || fail "ferryctl listeners failed"
[[ ${out%%$'\n'*} == "INDEX  ADDRESS"* ]] || fail "listeners header: $out"
grep -q "127.0.0.1:$port  *0  *2" <<<"$out" || fail "listeners row: $out"

out=$(ctl exports) || fail "ferryctl exports failed"
grep -q "/export  *$dir/export  *rw" <<<"$out" || fail "exports row: $out"
# Every column the table names, the last included.
[[ ${out%%$'\n'*} =~ ^ID\ +PSEUDO\ +PATH\ +ACCESS\ +SQUASH\ +ASYNC\ +CLIENTS\ +BACKEND\ +CONNECTED\ +SESSION\ +CAPS$ ]] ||
	fail "exports header: $out"
# A local export has no storage session: its last three columns are "-".
grep -q "/export  *$dir/export  *rw  *[a-z]*  *no  *[0-9]*  *local  *-  *-  *- *$" <<<"$out" ||
	fail "exports row: $out"

for view in clients sessions connections; do
	ctl "$view" >"$dir/$view.txt" || fail "ferryctl $view failed"
	ctl --json "$view" >"$dir/$view.json" || fail "ferryctl --json $view failed"
	python3 -m json.tool "$dir/$view.json" >/dev/null || fail "$view --json is not JSON"
done
[[ $(head -1 "$dir/clients.txt") =~ ^ID\ +MINOR\ +CONFIRMED ]] || fail "clients header"
ctl --json listeners >"$dir/listeners.json" || fail "listeners --json"
python3 -c '
import json, sys
l = json.load(open(sys.argv[1]))
assert l[0]["min_minor"] == 0 and l[0]["max_minor"] == 2, l
' "$dir/listeners.json" || fail "listeners --json"

# Changing a listener by its address, and back by its index.
out=$(ctl listener set "127.0.0.1:$port" --minor 1-1) || fail "listener set failed: $out"
grep -q "minor versions 1-1" <<<"$out" || fail "listener set said: $out"
out=$(ctl --json listeners) || fail "listeners --json"
grep -q '"min_minor": 1' <<<"$out" || fail "the range did not change"
ctl listener set 0 --minor 0-2 >/dev/null || fail "listener set back failed"

# Refusals: a message and a non-zero exit.
if out=$(ctl listener set 0 --minor 1-0 2>&1); then fail "min > max was accepted"; fi
grep -q "above max_minor" <<<"$out" || fail "min > max message: $out"
if out=$(ctl listener set 7 --minor 0-1 2>&1); then fail "an unknown listener was accepted"; fi
grep -q "HTTP 404" <<<"$out" || fail "unknown listener message: $out"
if out=$(ctl --token-file /nonexistent listener set 0 --minor 1-1 2>&1); then
	fail "a write without the token was accepted"
fi
grep -q "cannot read the control token" <<<"$out" || fail "missing token message: $out"
echo wrong >"$dir/wrong.token"
if out=$(ctl --token-file "$dir/wrong.token" client evict 0000000000000001 2>&1); then
	fail "a write with a wrong token was accepted"
fi
grep -q "HTTP 403" <<<"$out" || fail "wrong token message: $out"
if out=$("$FERRYCTL" --server 127.0.0.1:1 server 2>&1); then fail "an unreachable server"; fi
grep -q "cannot reach the control plane" <<<"$out" || fail "unreachable message: $out"
if "$FERRYCTL" frobnicate >/dev/null 2>&1; then fail "an unknown command succeeded"; fi

# Found through ferryd's config file alone.
cat >"$dir/ferryd.conf" <<CONF
[server]
state_dir = $dir/state
CONF
out=$("$FERRYCTL" --config "$dir/ferryd.conf" listeners) ||
	fail "ferryctl did not find the server through the config"
grep -q "127.0.0.1:$port" <<<"$out" || fail "listeners through the config: $out"

out=$(ctl metrics) || fail "ferryctl metrics failed"
grep -q '^ferry_nfs_ops_total{op="GETATTR",minor="1"} ' <<<"$out" ||
	fail "metrics lack the GETATTRs ferry-bench made"
echo "PASS: ferryctl"
