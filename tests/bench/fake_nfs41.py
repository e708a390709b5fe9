#!/usr/bin/env python3
"""A deliberately awkward NFSv4.1 server for testing ferry-bench's session layer.

It serves just what the `sequence` workload needs (NULL, EXCHANGE_ID,
CREATE_SESSION, SEQUENCE, RECLAIM_COMPLETE, DESTROY_SESSION,
DESTROY_CLIENTID) and checks every SEQUENCE the way RFC 8881 2.10.6 says a
server must: slot within the granted table, seqid exactly one past the
slot's, and no new request on a slot whose previous request has not been
answered yet.  Any breach is a client bug: it is counted and answered with
NFS4ERR_SEQ_MISORDERED (or BADSLOT), which makes ferry-bench fail.

To make the client work for it, the server:
  * grants fewer slots than asked (--slots), so streams must share slots;
  * answers out of order and holds some replies back for a while, so slots
    stay busy and are reused by whichever stream comes next;
  * answers NFS4ERR_DELAY on SEQUENCE now and then (--seq-delay-every): the
    client must retry with the same seqid;
  * answers NFS4ERR_DELAY on the first RECLAIM_COMPLETE after a successful
    SEQUENCE: the client must retry with the next seqid;
  * lowers target_highest_slotid for a while (--lower-target-at,
    --raise-target-at, --target): once the client has seen it, requests
    above the target are breaches.
  * --misbehave wrong-seqid echoes a wrong seqid in one SEQUENCE reply: the
    client must abort (exit 3), not count it.

On DESTROY_CLIENTID (or SIGTERM) it writes its counters as JSON to
--state-out.  Loopback only; single thread; stdlib only.
"""

import argparse
import json
import os
import random
import selectors
import signal
import socket
import struct
import sys
import time

OK, DELAY, BADSLOT, SEQ_MISORDERED, BADXDR, NOTSUPP = 0, 10008, 10053, 10063, 10036, 10004
OP_EXCHANGE_ID, OP_CREATE_SESSION, OP_DESTROY_SESSION = 42, 43, 44
OP_SEQUENCE, OP_DESTROY_CLIENTID, OP_RECLAIM_COMPLETE = 53, 57, 58


class Dec:
    def __init__(self, b, off=0):
        self.b, self.o = b, off

    def u32(self):
        v = struct.unpack_from(">I", self.b, self.o)[0]
        self.o += 4
        return v

    def u64(self):
        v = struct.unpack_from(">Q", self.b, self.o)[0]
        self.o += 8
        return v

    def fixed(self, n):
        v = self.b[self.o:self.o + n]
        if len(v) != n:
            raise ValueError("short")
        self.o += (n + 3) & ~3
        return v

    def opaque(self):
        return self.fixed(self.u32())


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def opaque(b):
    return u32(len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)


class State:
    def __init__(self, a):
        self.a = a
        self.clientid = 0x1122334455667788
        self.sessions = {}  # sessionid -> dict(seq=[...], busy=set(), nslots)
        self.cs_seq = 1
        self.target = None  # current target_highest_slotid override
        self.seq_count = 0
        self.lowered_at = None  # seq_count when the lowered target went out
        self.reclaim_delayed = False
        self.misbehaved = False
        self.c = dict(calls=0, nulls=0, sequences=0, seq_delays=0, op_delays=0,
                      breaches=0, breach_msgs=[], slots_used=set(), max_busy=0,
                      reordered_batches=0, held=0, high_slots_after_raise=0, sessions_created=0,
                      sessions_destroyed=0, clientid_destroyed=0, above_target_early=0)

    def breach(self, msg):
        self.c["breaches"] += 1
        if len(self.c["breach_msgs"]) < 10:
            self.c["breach_msgs"].append(msg)

    def dump(self):
        if not self.a.state_out:
            return
        out = dict(self.c)
        out["slots_used"] = sorted(out["slots_used"])
        with open(self.a.state_out + ".tmp", "w") as f:
            json.dump(out, f)
        os.replace(self.a.state_out + ".tmp", self.a.state_out)


def compound(st, args, conn_key):
    """Returns (reply bytes, slot to free when the reply is sent or None)."""
    d = Dec(args)
    tag = d.opaque()
    minor = d.u32()
    nops = d.u32()
    res = []
    status = OK
    busy_slot = None
    if minor != 1:
        return u32(10021) + opaque(tag) + u32(0), None
    sess = None
    for i in range(nops):
        op = d.u32()
        if op == OP_EXCHANGE_ID:
            d.fixed(8); d.opaque(); d.u32()
            if d.u32() != 0:
                status = NOTSUPP
            else:
                for _ in range(d.u32()):
                    d.opaque(); d.opaque(); d.u64(); d.u32()
            body = (u64(st.clientid) + u32(st.cs_seq) + u32(0x00010000 | 0x80000000) + u32(0)
                    + u64(1) + opaque(b"fake") + opaque(b"fake") + u32(0)) if status == OK else b""
        elif op == OP_CREATE_SESSION:
            d.u64(); seq = d.u32(); d.u32()
            fore = [d.u32() for _ in range(6)]
            for _ in range(d.u32()):
                d.u32()
            # the rest (back channel, cb program, sec parms) is not needed
            granted = min(fore[5], st.a.slots)
            sid = os.urandom(16)
            st.sessions[sid] = dict(seq=[0] * granted, busy=set(), nslots=granted, count=0,
                                    lowered_at=None)
            st.c["sessions_created"] += 1
            attrs = u32(0) + u32(fore[1]) + u32(fore[2]) + u32(4096) + u32(fore[4]) + u32(granted) + u32(0)
            back = u32(0) + u32(4096) + u32(4096) + u32(0) + u32(2) + u32(1) + u32(0)
            body = sid + u32(seq) + u32(0) + attrs + back
            st.cs_seq += 1
            res.append(u32(op) + u32(OK) + body)
            break  # CREATE_SESSION is alone: ignore the rest of its args
        elif op == OP_SEQUENCE:
            sid = d.fixed(16); seqid = d.u32(); slot = d.u32(); d.u32(); d.u32()
            st.seq_count += 1
            st.c["sequences"] += 1
            sess = st.sessions.get(sid)
            if i != 0 or sess is None:
                status = 10052  # BADSESSION
                body = b""
            elif slot >= sess["nslots"]:
                st.breach(f"slot {slot} beyond the {sess['nslots']} granted")
                status = BADSLOT
                body = b""
            elif slot in sess["busy"]:
                st.breach(f"slot {slot} reused while its request is unanswered")
                status = SEQ_MISORDERED
                body = b""
            elif st.a.seq_delay_every and st.seq_count % st.a.seq_delay_every == 0:
                st.c["seq_delays"] += 1
                status = DELAY  # not processed: the slot's seqid stays
                body = b""
            elif seqid != sess["seq"][slot] + 1:
                st.breach(f"slot {slot}: seqid {seqid}, expected {sess['seq'][slot] + 1}")
                status = SEQ_MISORDERED
                body = b""
            else:
                target = sess["nslots"] - 1
                sess["count"] += 1
                if st.a.lower_target_at and st.a.lower_target_at <= st.seq_count < st.a.raise_target_at:
                    target = min(st.a.target, target)
                    if sess["lowered_at"] is None:
                        sess["lowered_at"] = sess["count"]
                    # Requests the session sent before it saw the lowered
                    # target are fine: one per reply it still had coming
                    # (at most nslots), plus DELAY retries.
                    if slot > target:
                        if sess["count"] - sess["lowered_at"] > 2 * sess["nslots"]:
                            st.breach(f"slot {slot} used above target_highest_slotid {target}")
                        else:
                            st.c["above_target_early"] += 1
                if st.a.raise_target_at and st.seq_count >= st.a.raise_target_at + sess["nslots"] \
                        and slot > st.a.target:
                    st.c["high_slots_after_raise"] += 1
                sess["seq"][slot] = seqid
                sess["busy"].add(slot)
                busy_slot = (sess, slot)
                st.c["slots_used"].add(slot)
                st.c["max_busy"] = max(st.c["max_busy"], len(sess["busy"]))
                echo = seqid
                if st.a.misbehave == "wrong-seqid" and not st.misbehaved and st.seq_count > 50:
                    st.misbehaved = True
                    echo = seqid + 7
                body = sid + u32(echo) + u32(slot) + u32(sess["nslots"] - 1) + u32(target) + u32(0)
        elif op == OP_RECLAIM_COMPLETE:
            d.u32()
            if not st.reclaim_delayed:
                st.reclaim_delayed = True
                st.c["op_delays"] += 1
                status = DELAY
            body = b""
        elif op == OP_DESTROY_SESSION:
            sid = d.fixed(16)
            if st.sessions.pop(sid, None) is None:
                status = 10052
            else:
                st.c["sessions_destroyed"] += 1
            body = b""
        elif op == OP_DESTROY_CLIENTID:
            d.u64()
            st.c["clientid_destroyed"] += 1
            body = b""
            st.dump()
        else:
            status = NOTSUPP
            body = b""
        res.append(u32(op) + u32(status) + (body if status == OK else b""))
        if status != OK:
            break
    return u32(status) + opaque(tag) + u32(len(res)) + b"".join(res), busy_slot


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--slots", type=int, default=8)
    ap.add_argument("--seq-delay-every", type=int, default=97)
    ap.add_argument("--lower-target-at", type=int, default=2000)
    ap.add_argument("--raise-target-at", type=int, default=4000)
    ap.add_argument("--target", type=int, default=2)
    ap.add_argument("--hold-prob", type=float, default=0.3)
    ap.add_argument("--misbehave", default="none", choices=["none", "wrong-seqid"])
    ap.add_argument("--state-out")
    ap.add_argument("--max-seconds", type=float, default=120)
    a = ap.parse_args()
    st = State(a)
    rnd = random.Random(7)

    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    lsock.setblocking(False)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(f"{lsock.getsockname()[1]}\n")
    os.replace(a.port_file + ".tmp", a.port_file)

    def on_term(*_):
        st.dump()
        sys.exit(0)
    signal.signal(signal.SIGTERM, on_term)

    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    conns = {}  # sock -> dict(buf, held)
    deadline = time.monotonic() + a.max_seconds

    def send(sock, items):
        for reply, busy in items:
            if busy:
                busy[0]["busy"].discard(busy[1])
            data = u32(0x80000000 | len(reply)) + reply
            try:
                sock.setblocking(True)
                sock.sendall(data)
                sock.setblocking(False)
            except OSError:
                return  # the client went away (it may abort on purpose)

    while time.monotonic() < deadline:
        events = sel.select(timeout=0.002)
        if not events:
            for sock, c in conns.items():
                if c["held"]:
                    send(sock, c["held"])
                    c["held"] = []
            continue
        for key, _ in events:
            if key.data is None:
                s, _ = lsock.accept()
                s.setblocking(False)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conns[s] = dict(buf=b"", held=[])
                sel.register(s, selectors.EVENT_READ, "c")
                continue
            sock = key.fileobj
            c = conns[sock]
            try:
                data = sock.recv(1 << 20)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(sock)
                sock.close()
                del conns[sock]
                continue
            c["buf"] += data
            out = []
            while len(c["buf"]) >= 4:
                mark = struct.unpack_from(">I", c["buf"])[0]
                n = mark & 0x7FFFFFFF
                if len(c["buf"]) < 4 + n:
                    break
                rec, c["buf"] = c["buf"][4:4 + n], c["buf"][4 + n:]
                d = Dec(rec)
                xid, mtype, _rpcvers, _prog, _vers, proc = (d.u32() for _ in range(6))
                d.u32(); d.opaque(); d.u32(); d.opaque()  # cred, verf
                st.c["calls"] += 1
                hdr = u32(xid) + u32(1) + u32(0) + u32(0) + u32(0) + u32(0)
                if proc == 0:
                    st.c["nulls"] += 1
                    out.append((hdr, None))
                else:
                    body, busy = compound(st, rec[d.o:], sock)
                    out.append((hdr + body, busy))
            # Answer out of order, and keep some back until later.
            if len(out) > 1:
                rnd.shuffle(out)
                st.c["reordered_batches"] += 1
            now_items, keep = [], []
            for item in out:
                (keep if rnd.random() < a.hold_prob else now_items).append(item)
            st.c["held"] += len(keep)
            send(sock, c["held"] + now_items)
            c["held"] = keep
    st.dump()


if __name__ == "__main__":
    main()
