#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_gss_wire to fuzz/corpus/gss_wire/.

Each seed is the target's input: one byte choosing the decoder (the case
numbers in the target's switch) and then valid XDR for it: an RPCSEC_GSS
credential of each procedure, rpc_gss_init_res of a context being made and
of a complete one, a context-creation token, and integrity and privacy
bodies.  The tokens are stand-ins of realistic sizes, not real Kerberos
tokens: the decoders do not look inside them.  Deterministic.
"""
import os
import struct
import sys


def u32(v):
    return struct.pack(">I", v)


def opaque(b):
    return u32(len(b)) + b + b"\0" * (-len(b) % 4)


HANDLE = bytes(range(16))
AP_REQ = bytes((i * 37) & 0xFF for i in range(610))
AP_REP = bytes((i * 11) & 0xFF for i in range(114))
MIC = bytes((i * 5 + 3) & 0xFF for i in range(28))
ARGS = u32(0) + u32(1) + u32(1) + u32(53) + b"\0" * 16  # a COMPOUND head


def cred(proc, seq, service, handle):
    return u32(1) + u32(proc) + u32(seq) + u32(service) + opaque(handle)


SEEDS = {
    "cred_init": (0, cred(1, 0, 1, b"")),
    "cred_continue_init": (0, cred(2, 0, 2, HANDLE)),
    "cred_data_integ": (0, cred(0, 17, 2, HANDLE)),
    "cred_data_priv": (0, cred(0, 0x7FFFFFFF, 3, HANDLE)),
    "cred_destroy": (0, cred(3, 99, 1, b"odd")),
    "init_res_continue": (1, opaque(HANDLE) + u32(1) + u32(0) + u32(0) + opaque(AP_REP)),
    "init_res_complete": (1, opaque(HANDLE) + u32(0) + u32(0) + u32(128) + opaque(AP_REP)),
    "init_res_failed": (1, opaque(b"") + u32(0xD0000) + u32(0x96C73A8A) + u32(0) + opaque(b"")),
    "init_arg": (2, opaque(AP_REQ)),
    "integ": (3, opaque(u32(17) + ARGS) + opaque(MIC)),
    "integ_empty_body": (3, opaque(u32(5)) + opaque(MIC)),
    "priv": (4, opaque(bytes((i * 13) & 0xFF for i in range(4 + len(ARGS) + 60)))),
    "databody": (5, u32(17) + ARGS),
}


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(root, "corpus", "gss_wire")
    os.makedirs(out, exist_ok=True)
    for name, (case, body) in sorted(SEEDS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([case]) + body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
