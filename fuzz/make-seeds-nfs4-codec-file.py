#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_nfs4_codec_file to fuzz/corpus/nfs4_codec_file/.

Each seed is the target's input: one byte choosing the decoder, then a valid
encoding for it.  The byte is the decoder's place in the target's pairs[]
table, read from fuzz_nfs4_codec_file.c so the seeds follow the table.
Run it again after changing either; the output is deterministic.
"""
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def opaque(b):
    return u32(len(b)) + b + b"\0" * (-len(b) % 4)


def stateid(seed):
    return u32(seed) + bytes((seed * 7 + i) & 0xFF for i in range(12))


def bitmap(*bits):
    words = [0] * (max(bits) // 32 + 1) if bits else []
    for b in bits:
        words[b // 32] |= 1 << (b % 32)
    return u32(len(words)) + b"".join(u32(w) for w in words)


def fattr(bits_vals):
    bits = [b for b, _ in bits_vals]
    return bitmap(*bits) + opaque(b"".join(v for _, v in bits_vals))


VERF = bytes(range(8))
MODE_SIZE = fattr([(4, u64(4096)), (33, u32(0o644))])
CINFO = u32(1) + u64(5) + u64(6)
OWNER = u64(0x1122334455667788) + opaque(b"owner")
ACE = u32(0) + u32(0) + u32(0x1F) + opaque(b"EVERYONE@")


def open_args(how, claim):
    return u32(1) + u32(0x10303) + u32(0) + OWNER + how + claim


SEEDS = {
    "putfh_args": [("putfh", opaque(b"\x01" * 32))],
    "lookup_args": [("lookup", opaque(b"name"))],
    "getattr_res": [("getattr", MODE_SIZE)],
    "setattr_args": [("setattr", stateid(1) + MODE_SIZE)],
    "readdir_args": [("readdir", u64(0) + VERF + u32(4096) + u32(32768) + bitmap(1, 20))],
    "readdir_res": [("readdir", VERF + u32(1) + u64(3) + opaque(b"a") + MODE_SIZE
                     + u32(1) + u64(4) + opaque(b"bb") + MODE_SIZE + u32(0) + u32(1))],
    "create_args": [
        ("symlink", u32(5) + opaque(b"/target") + opaque(b"ln") + MODE_SIZE),
        ("chardev", u32(4) + u32(10) + u32(200) + opaque(b"tty") + MODE_SIZE),
    ],
    "write_args": [("write", stateid(2) + u64(0) + u32(2) + opaque(b"data"))],
    "read_res": [("read", u32(1) + opaque(b"hello"))],
    "open_args": [
        ("null-nocreate", open_args(u32(0), u32(0) + opaque(b"f"))),
        ("unchecked", open_args(u32(1) + u32(0) + MODE_SIZE, u32(0) + opaque(b"f"))),
        ("exclusive4_1", open_args(u32(1) + u32(3) + VERF + MODE_SIZE, u32(4))),
        ("deleg-cur", open_args(u32(0), u32(2) + stateid(3) + opaque(b"f"))),
        ("previous", open_args(u32(0), u32(1) + u32(1))),
        ("deleg-cur-fh", open_args(u32(0), u32(5) + stateid(4))),
    ],
    "open_res": [
        ("read-deleg", stateid(1) + CINFO + u32(4) + bitmap(33) + u32(1) + stateid(2)
         + u32(0) + ACE),
        ("write-deleg", stateid(1) + CINFO + u32(4) + bitmap() + u32(2) + stateid(2)
         + u32(1) + u32(2) + u32(7) + u32(4096) + ACE),
        ("none-ext", stateid(1) + CINFO + u32(0) + bitmap() + u32(3) + u32(1) + u32(1)),
    ],
    "lock_args": [
        ("new-owner", u32(2) + u32(0) + u64(0) + u64(100) + u32(1) + u32(1) + stateid(1)
         + u32(0) + OWNER),
        ("existing", u32(1) + u32(0) + u64(0) + u64(100) + u32(0) + stateid(2) + u32(3)),
    ],
    "lock_denied": [("denied", u64(0) + u64(10) + u32(2) + OWNER)],
    "read_plus_res": [("data-hole", u32(1) + u32(2) + u32(0) + u64(0) + opaque(b"abc")
                       + u32(1) + u64(3) + u64(4096))],
    "copy_args": [("sources", stateid(1) + stateid(2) + u64(0) + u64(0) + u64(10) + u32(1)
                   + u32(0) + u32(3) + u32(1) + opaque(b"srv") + u32(2) + opaque(b"nfs://s/x")
                   + u32(3) + opaque(b"tcp") + opaque(b"10.0.0.1.8.1"))],
    "copy_res": [("async", u32(1) + stateid(5) + u64(10) + u32(2) + VERF + u32(1) + u32(0))],
    "offload_status_res": [("done", u64(10) + u32(1) + u32(0))],
    "setxattr_args": [("setxattr", u32(1) + opaque(b"user.a") + opaque(b"value"))],
    "listxattrs_res": [("names", u64(7) + u32(2) + opaque(b"user.a") + opaque(b"user.b")
                        + u32(1))],
    "fattr": [("common", fattr([
        (1, u32(1)), (3, u64(9)), (4, u64(4096)), (8, u64(1) + u64(2)), (20, u64(42)),
        (33, u32(0o755)), (35, u32(2)), (36, opaque(b"alice")), (37, opaque(b"staff")),
        (47, u64(1) + u32(2)), (48, u32(1) + u64(3) + u32(4)), (54, u32(0)),
        (55, u64(42)), (75, bitmap(4, 33)),
    ]))],
}


def main():
    src = open(os.path.join(HERE, "fuzz_nfs4_codec_file.c")).read()
    table = src[src.index("static const struct pair pairs[]"):]
    table = table[:table.index("};")]
    names = re.findall(r"ENTRY\((\w+)\)", table)
    out = os.path.join(HERE, "corpus", "nfs4_codec_file")
    os.makedirs(out, exist_ok=True)
    for name, seeds in SEEDS.items():
        if name not in names:
            sys.exit(f"{name}: not in the target's table")
        for label, body in seeds:
            with open(os.path.join(out, f"{name}-{label}"), "wb") as f:
                f.write(bytes([names.index(name)]) + body)


if __name__ == "__main__":
    main()
