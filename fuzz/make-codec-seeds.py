#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_nfs4_codec_session and fuzz_nfs4_codec_cb
to fuzz/corpus/nfs4_codec_session/ and fuzz/corpus/nfs4_codec_cb/.

Each seed is the target's input: one byte choosing the decoder (the case
numbers in the targets' switch) and then valid XDR for it, so the fuzzer
starts from the deep arms of the unions and lists.  Deterministic.
"""
import os
import struct
import sys


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def opaque(b):
    return u32(len(b)) + b + b"\0" * (-len(b) % 4)


def bitmap(*words):
    return u32(len(words)) + b"".join(u32(w) for w in words)


SESSIONID = bytes(range(16))
VERIFIER = b"VERIFIER"
STATEID = u32(1) + b"O" * 12
FH = opaque(b"\x01\x00\x00\x00filehandle")
TIME = u64(1700000000) + u32(5)
IMPL_ID = u32(1) + opaque(b"ferry.example") + opaque(b"ferryd") + TIME
CHAN = u32(0) + u32(1049600) + u32(1049600) + u32(65536) + u32(64) + u32(64)
AUTH_SYS = u32(1) + u32(7) + opaque(b"client.example") + u32(1000) + u32(1000) + \
    u32(3) + u32(4) + u32(24) + u32(27)
GSS = u32(6) + u32(2) + opaque(b"server-handle") + opaque(b"client-handle")
SEC_LIST = u32(3) + u32(0) + AUTH_SYS + GSS
ACE = u32(0) + u32(0) + u32(0x1f) + opaque(b"OWNER@")
ENTRY = opaque(b"name") + bitmap(0x10) + opaque(u64(4096))
REMOVE = ENTRY + u64(10)
ADD = u32(1) + REMOVE + ENTRY + u32(1) + u64(11) + u32(1) + ENTRY + u64(9) + u32(1)

SESSION = {
    "exchange_id_args_none": (0, VERIFIER + opaque(b"Linux NFSv4.1 host") + u32(0x101) +
                              u32(0) + IMPL_ID),
    "exchange_id_args_mach_cred": (0, VERIFIER + opaque(b"owner") + u32(0) + u32(1) +
                                   bitmap(0, 0x02000000) + bitmap(0x10) + u32(0)),
    "exchange_id_args_ssv": (0, VERIFIER + opaque(b"owner") + u32(0) + u32(2) + bitmap(0) +
                             bitmap(0) + u32(1) + opaque(b"oid") + u32(0) + u32(16) + u32(2) +
                             u32(0)),
    "exchange_id_res": (1, u64(0x1122) + u32(1) + u32(0x80010000) + u32(2) + bitmap(1) +
                        bitmap(2) + u32(1) + u32(2) + u32(32) + u32(8) + u32(1) +
                        opaque(b"handle") + u64(1) + opaque(b"major") + opaque(b"scope") +
                        IMPL_ID),
    "create_session_args": (2, u64(0x1122) + u32(1) + u32(3) + CHAN + u32(1) + u32(2) +
                            CHAN + u32(0) + u32(0x40000000) + SEC_LIST),
    "create_session_res": (3, SESSIONID + u32(1) + u32(2) + CHAN + u32(0) + CHAN + u32(0)),
    "sequence_args": (5, SESSIONID + u32(1) + u32(0) + u32(0) + u32(1)),
    "sequence_res": (6, SESSIONID + u32(1) + u32(0) + u32(63) + u32(63) + u32(0)),
    "backchannel_ctl_args": (9, u32(0x40000000) + SEC_LIST),
    "test_stateid_args": (13, u32(2) + STATEID + STATEID),
    "test_stateid_res": (14, u32(2) + u32(0) + u32(10025)),
    "secinfo_res": (16, u32(3) + u32(6) + opaque(b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02") +
                    u32(0) + u32(1) + u32(1) + u32(0)),
    "setclientid_args": (20, VERIFIER + opaque(b"Linux NFSv4.0 host") + u32(0x40000000) +
                         opaque(b"tcp") + opaque(b"127.0.0.1.3.232") + u32(1)),
    "release_lockowner_args": (22, u64(5) + opaque(b"lockowner")),
    "get_dir_delegation_args": (23, u32(1) + bitmap(0x1c) + TIME + TIME + bitmap(0x10) +
                                bitmap(0, 0x200000)),
    "get_dir_delegation_res_ok": (24, u32(0) + VERIFIER + STATEID + bitmap(0x8) +
                                  bitmap(0x10) + bitmap(0x8)),
    "want_delegation_args": (25, u32(0x100) + u32(1) + u32(1)),
    "want_delegation_res_write": (26, u32(2) + STATEID + u32(0) + u32(2) + u32(10) +
                                  u32(4096) + ACE),
    "want_delegation_res_none_ext": (26, u32(3) + u32(1) + u32(1)),
    "setclientid_res_inuse": (32, opaque(b"tcp") + opaque(b"10.0.0.1.8.1")),
}

CB = {
    "cb_sequence_args": (0, SESSIONID + u32(1) + u32(0) + u32(15) + u32(0) + u32(1) +
                         SESSIONID + u32(2) + u32(1) + u32(0) + u32(2) + u32(3)),
    "cb_sequence_res": (1, SESSIONID + u32(1) + u32(0) + u32(15) + u32(15)),
    "cb_recall_args": (2, STATEID + u32(0) + FH),
    "cb_getattr_args": (3, FH + bitmap(0x18, 0x200000)),
    "cb_getattr_res": (4, bitmap(0x18) + opaque(u64(1) + u64(2))),
    "cb_notify_lock_args": (5, FH + u64(5) + opaque(b"lockowner")),
    "cb_notify_args": (6, STATEID + FH + u32(2) + bitmap(0xc) + opaque(REMOVE + ADD) +
                       bitmap(0x20) + opaque(VERIFIER + VERIFIER)),
    "notify_add": (9, ADD),
    "notify_rename": (11, REMOVE + ADD),
    "cb_offload_ok": (13, FH + STATEID + u32(0) + u32(1) + STATEID + u64(4096) + u32(2) +
                      VERIFIER),
    "cb_offload_err": (13, FH + STATEID + u32(28) + u64(100)),
    "cb_recall_any_args": (14, u32(10) + bitmap(3)),
    "compound_args_hdr": (19, opaque(b"tag") + u32(1) + u32(2)),
    "cb_compound_args_hdr": (20, opaque(b"") + u32(1) + u32(0) + u32(2)),
}


def write(dirname, seeds):
    os.makedirs(dirname, exist_ok=True)
    for name, (sel, body) in seeds.items():
        with open(os.path.join(dirname, name), "wb") as f:
            f.write(bytes([sel]) + body)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    if len(sys.argv) > 1:
        root = sys.argv[1]
    write(os.path.join(root, "nfs4_codec_session"), SESSION)
    write(os.path.join(root, "nfs4_codec_cb"), CB)


if __name__ == "__main__":
    main()
