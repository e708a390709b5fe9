#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_rpc_stream to fuzz/corpus/rpc_stream/.

Each seed is the fuzz target's input: a byte giving the number of read sizes
(bits 0-2) and whether records are held (bit 3), the read sizes as
little-endian u16, then a TCP byte stream of record-marked RPC messages.
Run it again after changing it; the output is deterministic.
"""
import os
import struct
import sys

NFS4_PROGRAM = 100003
NFSPROC4_NULL = 0
NFSPROC4_COMPOUND = 1
OP_GETATTR = 9
OP_GETFH = 10
OP_PUTROOTFH = 24
OP_WRITE = 38
OP_SEQUENCE = 53
AUTH_NONE = 0
AUTH_SYS = 1
LAST = 0x80000000


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def opaque(b):
    return u32(len(b)) + b + b"\0" * (-len(b) % 4)


def auth_none():
    return u32(AUTH_NONE) + opaque(b"")


def auth_sys(stamp=0x12345678, name=b"client.example", uid=1000, gid=1000,
             gids=(1000, 4, 24, 27)):
    body = u32(stamp) + opaque(name) + u32(uid) + u32(gid) + u32(len(gids))
    body += b"".join(u32(g) for g in gids)
    return u32(AUTH_SYS) + opaque(body)


def call(xid, proc, cred, args=b"", prog=NFS4_PROGRAM, vers=4):
    return (u32(xid) + u32(0) + u32(2) + u32(prog) + u32(vers) + u32(proc) + cred +
            auth_none() + args)


def reply_success(xid, results=b""):
    return u32(xid) + u32(1) + u32(0) + auth_none() + u32(0) + results


def compound(tag, minor, ops):
    return opaque(tag) + u32(minor) + u32(len(ops)) + b"".join(ops)


def op_sequence(sessionid=b"S" * 16, seqid=1, slot=0, highest=0, cachethis=False):
    return (u32(OP_SEQUENCE) + sessionid + u32(seqid) + u32(slot) + u32(highest) +
            u32(1 if cachethis else 0))


def op_getattr(words=(0x0010011a, 0x00b0a23a)):
    return u32(OP_GETATTR) + u32(len(words)) + b"".join(u32(w) for w in words)


def op_write(data, offset=0):
    stateid = u32(0) + b"\0" * 12
    return u32(OP_WRITE) + stateid + u64(offset) + u32(2) + opaque(data)


def record(msg, frag=0):
    """Record marking: one fragment, or fragments of at most frag bytes."""
    if frag == 0 or not msg:
        return u32(LAST | len(msg)) + msg
    out = b""
    for off in range(0, len(msg), frag):
        piece = msg[off:off + frag]
        last = LAST if off + frag >= len(msg) else 0
        out += u32(last | len(piece)) + piece
    return out


def seed(stream, reads=(), hold=False):
    assert len(reads) <= 7
    head = bytes([len(reads) | (8 if hold else 0)])
    return head + b"".join(struct.pack("<H", r) for r in reads) + stream


def seeds():
    null_none = call(1, NFSPROC4_NULL, auth_none())
    null_sys = call(2, NFSPROC4_NULL, auth_sys())
    v40 = call(3, NFSPROC4_COMPOUND, auth_sys(),
               compound(b"getattr-root", 0, [u32(OP_PUTROOTFH), u32(OP_GETFH),
                                             op_getattr()]))
    v41 = call(4, NFSPROC4_COMPOUND, auth_sys(gids=tuple(range(100, 116))),
               compound(b"", 1, [op_sequence(), u32(OP_PUTROOTFH), op_getattr()]))
    payload = bytes((i * 7 + 3) & 0xff for i in range(6000))
    write = call(5, NFSPROC4_COMPOUND, auth_sys(name=b"n" * 255),
                 compound(b"write", 1, [op_sequence(seqid=2), u32(OP_PUTROOTFH),
                                        op_write(payload)]))
    return {
        "null-auth-none": seed(record(null_none)),
        "null-auth-sys": seed(record(null_sys), reads=(1,)),
        "compound-v40-getattr": seed(record(v40), reads=(13, 0)),
        "compound-v41-sequence": seed(record(v41), hold=True),
        # pynfs cuts records into 2 KiB fragments.
        "compound-write-2k-fragments": seed(record(write, 2048), reads=(1460,)),
        "compound-tiny-fragments": seed(record(v41, 5), reads=(3, 7, 100)),
        "pipelined": seed(record(null_none) + record(v40) + record(null_sys, 16) +
                          record(v41), reads=(64, 1, 4096), hold=True),
        "reply-success": seed(record(reply_success(9, u32(0) + opaque(b"") + u32(0))) +
                              record(call(10, NFSPROC4_NULL, auth_none()))),
        "empty-middle-fragment": seed(u32(8) + null_none[:8] + u32(0) +
                                      u32(LAST | (len(null_none) - 8)) + null_none[8:]),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "corpus", "rpc_stream")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
