#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_nfsacl to fuzz/corpus/nfsacl/.

Each seed is the fuzz target's input: a byte (bit 0: SETACL, else
GETACL), then the call's arguments in XDR.  Run it again after changing
it; the output is deterministic.
"""
import os
import struct

USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
DEF = 0x1000
ACL, ACLCNT, DFACL, DFACLCNT = 1, 2, 4, 8


def u32(v):
    return struct.pack(">I", v)


def fh(b=b"\x01\x02\x03\x04\x05"):
    return u32(len(b)) + b + b"\0" * (-len(b) % 4)


def lst(entries, count=None, carried=True):
    n = len(entries) if carried else 0
    body = b"".join(u32(t) + u32(i) + u32(p) for t, i, p in (entries if carried else []))
    return u32(len(entries) if count is None else count) + u32(n) + body


MINIMAL = [(USER_OBJ, 0, 6), (GROUP_OBJ, 0, 4), (MASK, 0, 4), (OTHER, 0, 4)]
NAMED = [(OTHER, 0, 0), (USER_OBJ, 1000, 6), (USER, 1234, 4), (GROUP, 50, 5),
         (GROUP_OBJ, 1000, 0), (MASK, 0, 5)]
DEFAULT = [(DEF | t, i, p) for t, i, p in NAMED]

seeds = {
    "getacl-all": b"\0" + fh() + u32(ACL | ACLCNT | DFACL | DFACLCNT),
    "getacl-counts": b"\0" + fh() + u32(ACLCNT | DFACLCNT),
    "getacl-bad-mask": b"\0" + fh() + u32(0x10),
    "setacl-minimal": b"\1" + fh() + u32(ACL | DFACL) + lst(MINIMAL) + lst([]),
    "setacl-named": b"\1" + fh() + u32(ACL | DFACL) + lst(NAMED) + lst([]),
    "setacl-default": b"\1" + fh(b"\x09" * 8) + u32(ACL | DFACL) + lst(MINIMAL) + lst(DEFAULT),
    "setacl-access-only": b"\1" + fh() + u32(ACL) + lst(NAMED) + lst([], count=3, carried=False),
    "setacl-unknown-tag": b"\1" + fh() + u32(ACL) + lst([(0x40, 0, 7)] + MINIMAL) + lst([]),
    "setacl-bits": b"\1" + fh() + u32(ACL) + lst([(USER_OBJ, 0, 0xf), (GROUP_OBJ, 0, 4),
                                                  (OTHER, 0, 4)]) + lst([]),
    "setacl-short-list": b"\1" + fh() + u32(ACL) + lst(MINIMAL, count=5) + lst([]),
    "setacl-no-mask": b"\1" + fh() + u32(DFACL) + lst([]) + lst(DEFAULT[:3]),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "nfsacl")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {out}")
