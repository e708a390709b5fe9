#!/usr/bin/env bash
# ferry-bench must abort with status 3 and say why when a server's replies
# break the protocol.  A small NFSv4.1 server in Python answers the sequence
# workload (EXCHANGE_ID, CREATE_SESSION, RECLAIM_COMPLETE, SEQUENCE,
# DESTROY_*) correctly, or with one fault: a SEQUENCE result for another
# slot, seqid or session, a target_highest_slotid above highest_slotid, a
# result cut short, a reply with an XID nobody sent, a malformed
# EXCHANGE_ID or COMPOUND header.  A real server cannot be made to do
# these, and each is a check the bench promises (docs/BENCHMARKS.md, "Exit
# status").  Needs FERRY_BENCH and python3.
set -euo pipefail

: "${FERRY_BENCH:?FERRY_BENCH must point at the ferry-bench binary}"
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 0; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-badreply.XXXXXX")
pid=
cleanup() {
	if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	[[ -n ${FERRY_TEST_KEEP:-} ]] || rm -rf "$dir"
}
trap cleanup EXIT

cat >"$dir/fake.py" <<'PY'
import os, socket, struct, sys, threading

fault, portfile = sys.argv[1], sys.argv[2]
SESSION = b"S" * 16
P = struct.pack

def opaque(b):
    return P(">I", len(b)) + b + b"\0" * (-len(b) % 4)

def chan(maxreq):
    return P(">6II", 0, 1 << 21, 1 << 21, 8192, 64, maxreq, 0)

def serve(conn):
    buf = b""
    nseq = 0
    while True:
        while len(buf) < 4 or len(buf) < 4 + (struct.unpack(">I", buf[:4])[0] & 0x7FFFFFFF):
            data = conn.recv(65536)
            if not data:
                return
            buf += data
        n = struct.unpack(">I", buf[:4])[0] & 0x7FFFFFFF
        rec, buf = buf[4:4 + n], buf[4 + n:]
        xid, _, _, _, _, proc = struct.unpack(">6I", rec[:24])
        off = 24
        for _ in range(2):  # credential and verifier
            _, ln = struct.unpack(">II", rec[off:off + 8])
            off += 8 + ln + (-ln % 4)
        body = b""
        if proc == 1:
            ln = struct.unpack(">I", rec[off:off + 4])[0]
            off += 4 + ln + (-ln % 4) + 4  # tag, minorversion
            numops = struct.unpack(">I", rec[off:off + 4])[0]
            off += 4
            results = b""
            for _ in range(numops):
                op = struct.unpack(">I", rec[off:off + 4])[0]
                a = rec[off + 4:]
                alen = 0  # only the ops that share a COMPOUND need it
                if op == 42:  # EXCHANGE_ID
                    res = P(">QIII", 7, 1, 0, 0) + P(">Q", 0) + opaque(b"fake") + opaque(b"fake") + P(">I", 0)
                    if fault == "exchange_id":
                        res = res[:10]
                elif op == 43:  # CREATE_SESSION
                    seq = struct.unpack(">I", a[8:12])[0]
                    maxreq = struct.unpack(">I", a[36:40])[0]
                    res = SESSION + P(">II", seq, 0) + chan(min(maxreq, 8)) + chan(1)
                elif op == 53:  # SEQUENCE
                    alen = 32
                    sid = a[:16]
                    seqid, slot, _ = struct.unpack(">III", a[16:28])
                    nseq += 1
                    late = nseq > 200  # let the run get going first
                    hi, target = 7, 7
                    if late and fault == "seq_slot":
                        slot += 1
                    if late and fault == "seq_seqid":
                        seqid += 1
                    if late and fault == "seq_session":
                        sid = b"X" * 16
                    if late and fault == "target":
                        hi, target = 3, 5
                    res = sid + P(">IIIII", seqid, slot, hi, target, 0)
                    if late and fault == "seq_short":
                        res = res[:20]
                    if late and fault == "xid":
                        xid ^= 0x80000000
                    if late and fault == "compound":
                        results = None
                        break
                else:  # RECLAIM_COMPLETE, DESTROY_SESSION, DESTROY_CLIENTID
                    alen = 4 if op == 58 else 0
                    res = b""
                results += P(">II", op, 0) + res
                off += 4 + alen
            if results is None:
                body = P(">II", 0, 1000)  # a tag longer than the record
            else:
                body = P(">I", 0) + opaque(b"") + P(">I", numops) + results
        reply = P(">IIIIII", xid, 1, 0, 0, 0, 0) + body
        conn.sendall(P(">I", 0x80000000 | len(reply)) + reply)

def serve_quietly(conn):
    # ferry-bench hangs up on a fault while replies are still going out
    try:
        serve(conn)
    except OSError:
        pass

ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(8)
with open(portfile + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve_quietly, args=(c,), daemon=True).start()
PY

passed=0
check() { # fault, expected exit status, text the message must contain
	local fault=$1 want=$2 text=$3 rc=0
	rm -f "$dir/port"
	python3 "$dir/fake.py" "$fault" "$dir/port" &
	pid=$!
	for _ in $(seq 100); do [[ -s $dir/port ]] && break; sleep 0.05; done
	[[ -s $dir/port ]] || { echo "FAIL: $fault: fake server did not start" >&2; exit 1; }
	"$FERRY_BENCH" --server "127.0.0.1:$(cat "$dir/port")" --workload sequence --inflight 16 \
		--ops 2000 --warmup 0 --timeout 10 >"$dir/out.txt" 2>"$dir/err.txt" || rc=$?
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
	if [[ $rc -ne $want ]] || { [[ -n $text ]] && ! grep -q -- "$text" "$dir/err.txt"; }; then
		cat "$dir/out.txt" "$dir/err.txt" >&2
		echo "FAIL: $fault: exit status $rc (want $want), message must contain '$text'" >&2
		exit 1
	fi
	echo "ok: $fault: exit $rc $(grep -m1 FAILED "$dir/err.txt" || true)"
	passed=$((passed + 1))
}

check none 0 ""
check seq_slot 3 "SEQUENCE reply for slot"
check seq_seqid 3 "SEQUENCE reply for slot"
check seq_session 3 "SEQUENCE reply names another session"
check target 3 "target_highest_slotid 5 above highest_slotid 3"
check seq_short 3 "malformed SEQUENCE result"
check xid 3 "unknown XID"
check exchange_id 3 "malformed EXCHANGE_ID result"
check compound 3 "malformed COMPOUND reply"
echo "$passed passed, 0 failed"
