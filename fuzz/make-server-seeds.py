#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_fattr, fuzz_cb_reply and fuzz_config to
fuzz/corpus/{fattr,cb_reply,config}/ (fuzz_fh's seeds are real handles the
target writes itself: FUZZ_FH_SEEDS=fuzz/corpus/fh build-fuzz/fuzz/fuzz_fh).

  fuzz/make-server-seeds.py [CORPUS_ROOT]

fattr: a mode byte (bit 0 minor version 1, bit 1 the pseudo root) and a
fattr4 of attributes a client sets or verifies.  cb_reply: a byte naming the
call (bits 0-1: none, CB_RECALL, CB_GETATTR, CB_NOTIFY_LOCK; bit 2: v4.0)
and a CB_COMPOUND4res answering the call fuzz_cb_reply.c sends.  config:
INI files, the sample dist/ferryd.conf among them.  Deterministic.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def opaque(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b + b"\0" * (-len(b) % 4)


def bitmap(*bits):
    words = [0] * (max(bits) // 32 + 1) if bits else []
    for b in bits:
        words[b // 32] |= 1 << (b % 32)
    return u32(len(words)) + b"".join(u32(w) for w in words)


def fattr(*pairs):
    return bitmap(*[a for a, _ in pairs]) + opaque(b"".join(v for _, v in pairs))


def nfstime(sec, nsec=0):
    return u64(sec) + u32(nsec)


(TYPE, CHANGE, SIZE, FSID, FILEID, MODE, NUMLINKS, OWNER, OWNER_GROUP, TIME_ACCESS_SET,
 TIME_MODIFY_SET, TIME_DELEG_ACCESS, TIME_DELEG_MODIFY) = (1, 3, 4, 8, 20, 33, 35, 36, 37, 48,
                                                           54, 84, 85)
NF4DIR = 2
SET_TO_SERVER_TIME, SET_TO_CLIENT_TIME = 0, 1
V41, PSEUDO = 1, 2

FATTR = {
    "set-size": (0, fattr((SIZE, u64(4096)))),
    "set-mode": (0, fattr((MODE, u32(0o644)))),
    "set-mode-bad": (0, fattr((MODE, u32(0o100644)))),
    "set-owner-numeric": (0, fattr((OWNER, opaque("1000")), (OWNER_GROUP, opaque("100")))),
    "set-owner-domain": (V41, fattr((OWNER, opaque("root@example.org")),
                                    (OWNER_GROUP, opaque("wheel@example.org")))),
    "set-owner-other-domain": (0, fattr((OWNER, opaque("someone@elsewhere.example")))),
    "set-times-client": (V41, fattr((TIME_ACCESS_SET, u32(SET_TO_CLIENT_TIME) +
                                     nfstime(1700000000, 5)),
                                    (TIME_MODIFY_SET, u32(SET_TO_CLIENT_TIME) +
                                     nfstime(1700000001, 999999999)))),
    "set-times-server": (0, fattr((TIME_ACCESS_SET, u32(SET_TO_SERVER_TIME)),
                                  (TIME_MODIFY_SET, u32(SET_TO_SERVER_TIME)))),
    "set-deleg-times": (V41, fattr((TIME_DELEG_ACCESS, nfstime(1700000000)),
                                   (TIME_DELEG_MODIFY, nfstime(1700000002, 7)))),
    "set-all": (V41, fattr((SIZE, u64(0)), (MODE, u32(0o4755)), (OWNER, opaque("0")),
                           (OWNER_GROUP, opaque("0")),
                           (TIME_ACCESS_SET, u32(SET_TO_SERVER_TIME)),
                           (TIME_MODIFY_SET, u32(SET_TO_CLIENT_TIME) + nfstime(1)))),
    "set-read-only": (0, fattr((FILEID, u64(2)))),
    "verify-dir": (0, fattr((TYPE, u32(NF4DIR)), (MODE, u32(0o755)))),
    "verify-pseudo": (PSEUDO | V41, fattr((TYPE, u32(NF4DIR)), (SIZE, u64(4096)),
                                          (MODE, u32(0o555)))),
    "verify-change": (V41, fattr((CHANGE, u64(1)), (FSID, u64(0) + u64(0)),
                                 (NUMLINKS, u32(2)))),
}

SESSION = b"fuzz-cb-session!"
OK = 0
DELAY, BADXDR, SEQ_MISORDERED, BADSESSION = 10008, 10036, 10063, 10052
CB_GETATTR, CB_RECALL, CB_SEQUENCE, CB_NOTIFY_LOCK = 3, 4, 11, 13
PROBE, RECALL, GETATTR, NOTIFY_LOCK, V40 = 0, 1, 2, 3, 4


def cb_res(status, *results):
    return u32(status) + opaque(b"") + u32(len(results)) + b"".join(results)


def result(opnum, status, body=b""):
    return u32(opnum) + u32(status) + body


def sequence_ok(slot=2, seqid=7, session=SESSION):
    return result(CB_SEQUENCE, OK, session + u32(seqid) + u32(slot) + u32(3) + u32(3))


GETATTR_BODY = fattr((CHANGE, u64(42)), (SIZE, u64(8192)))

CB_REPLY = {
    "probe-ok": (PROBE, cb_res(OK, sequence_ok())),
    "probe-delay": (PROBE, cb_res(DELAY, result(CB_SEQUENCE, DELAY))),
    "probe-misordered": (PROBE, cb_res(SEQ_MISORDERED, result(CB_SEQUENCE, SEQ_MISORDERED))),
    "probe-other-slot": (PROBE, cb_res(OK, sequence_ok(slot=1))),
    "probe-refused": (PROBE, cb_res(10021)),  # NFS4ERR_MINOR_VERS_MISMATCH, no results
    "recall-ok": (RECALL, cb_res(OK, sequence_ok(), result(CB_RECALL, OK))),
    "recall-badhandle": (RECALL, cb_res(10001, sequence_ok(), result(CB_RECALL, 10001))),
    "getattr-ok": (GETATTR, cb_res(OK, sequence_ok(), result(CB_GETATTR, OK, GETATTR_BODY))),
    "getattr-deleg-times": (GETATTR, cb_res(OK, sequence_ok(), result(
        CB_GETATTR, OK, fattr((CHANGE, u64(43)), (SIZE, u64(1)),
                              (TIME_DELEG_ACCESS, nfstime(1700000000)),
                              (TIME_DELEG_MODIFY, nfstime(1700000001)))))),
    "notify-lock-ok": (NOTIFY_LOCK, cb_res(OK, sequence_ok(), result(CB_NOTIFY_LOCK, OK))),
    "v40-recall-ok": (V40 | RECALL, cb_res(OK, result(CB_RECALL, OK))),
    "v40-getattr-ok": (V40 | GETATTR, cb_res(OK, result(CB_GETATTR, OK, GETATTR_BODY))),
    "badsession": (RECALL, cb_res(BADSESSION, result(CB_SEQUENCE, BADSESSION))),
}

CONFIG = {
    "minimal": "[server]\nlisten = 127.0.0.1:2049\n\n[export data]\npath = /srv/data\n",
    "full": """[server]
listen = 127.0.0.1:2049
listen = [::1]:2050,minor=1-1
state_dir = /var/lib/ferry
log_level = debug
event_loops = 2
workers = 4
rpcbind = no
min_minor = 0
max_minor = 1

[rpc]
max_record_size = 1056768
max_inflight_per_conn = 64
idle_timeout = 0

[nfs]
lease_time = 30
grace_time = 10
owner_domain = example.org
session_slots = 16
reply_cache_mb = 8
callback_timeout_ms = 1000
callback_retry_ms = 500
callback_retries = 2
delegations = read
max_delegations = 100
max_delegations_per_client = 10

[control]
listen = unix:/run/ferry/control.sock
token_file = /var/lib/ferry/token

[export home]
path = /home
pseudo = /users
access = ro
squash = all
anonuid = 1000
anongid = 1000
clients = 10.0.0.0/8, 192.168.1.7, ::1
backend = local

[export mem]
path = /unused
pseudo = /mem/a
squash = none
backend = memory
""",
    "bad-section": "[nowhere]\nkey = value\n",
    "bad-value": "[rpc]\nmax_record_size = -1\n",
    "bad-syntax": "[server\nlisten 127.0.0.1\n",
}


def write(dirname, seeds, as_bytes):
    os.makedirs(dirname, exist_ok=True)
    for name, seed in seeds.items():
        with open(os.path.join(dirname, name), "wb") as f:
            f.write(as_bytes(seed))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    write(os.path.join(root, "fattr"), FATTR, lambda s: bytes([s[0]]) + s[1])
    write(os.path.join(root, "cb_reply"), CB_REPLY, lambda s: bytes([s[0]]) + s[1])
    with open(os.path.join(HERE, "..", "dist", "ferryd.conf"), "rb") as f:
        sample = f.read()
    write(os.path.join(root, "config"), CONFIG, lambda s: s.encode())
    with open(os.path.join(root, "config", "sample-ferryd.conf"), "wb") as f:
        f.write(sample)


if __name__ == "__main__":
    main()
