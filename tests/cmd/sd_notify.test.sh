#!/usr/bin/env bash
# ferryd under systemd's notify protocol: READY=1 once it serves,
# RELOADING=1 and READY=1 around a SIGHUP reload, STOPPING=1 when it stops.
# A python3 datagram socket stands in for systemd.  Needs FERRYD.
set -euo pipefail
: "${FERRYD:?FERRYD must point at the ferryd binary}"
dir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-notify.XXXXXX")
pid=
cleanup() {
	[[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$dir/log" >&2 2>/dev/null || true; exit 1; }

mkdir -p "$dir/export"
printf '[export e]\npath = %s/export\npseudo = /e\n' "$dir" >"$dir/ferryd.conf"
python3 - "$dir/notify" "$dir/got" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "w", buffering=1) as out:
    while True:
        msg = s.recv(4096).decode()
        out.write(msg.replace("\n", " ") + "\n")
        if "STOPPING=1" in msg:
            break
PY
listener=$!
for _ in $(seq 100); do [[ -S $dir/notify ]] && break; sleep 0.05; done
NOTIFY_SOCKET=$dir/notify "$FERRYD" --listen 127.0.0.1:0 --port-file "$dir/port" \
	--no-rpcbind --control none --state-dir "$dir/state" --config "$dir/ferryd.conf" \
	>"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q 'READY=1' "$dir/got" 2>/dev/null && break; sleep 0.05; done
grep -q 'READY=1' "$dir/got" || fail "no READY=1"
[[ -s $dir/port ]] || fail "READY=1 came before the listeners"
kill -HUP "$pid"
for _ in $(seq 200); do [[ $(grep -c 'READY=1' "$dir/got") -ge 2 ]] && break; sleep 0.05; done
grep -q 'RELOADING=1' "$dir/got" || fail "no RELOADING=1 on SIGHUP"
[[ $(grep -c 'READY=1' "$dir/got") -ge 2 ]] || fail "no READY=1 after the reload"
grep -q 'exports reloaded' "$dir/log" || fail "SIGHUP did not reload the exports"
kill -TERM "$pid"
wait "$pid" || fail "ferryd did not stop cleanly"
pid=
wait "$listener" || fail "no STOPPING=1"
grep -q 'STOPPING=1' "$dir/got" || fail "no STOPPING=1"
echo "PASS: sd_notify"
