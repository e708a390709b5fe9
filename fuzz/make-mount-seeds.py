#!/usr/bin/env python3
"""Seeds for fuzz_mount_args (fuzz/corpus/mount_args/): byte 0 picks the
decoder (0 dirpath, 1 MNT's result, 2 DUMP's list, 3 EXPORT's list), the
rest is well-formed XDR of it.

    python3 fuzz/make-mount-seeds.py fuzz/corpus/mount_args
"""
import os
import struct
import sys


def u32(v):
    return struct.pack(">I", v)


def opaque(b):
    return u32(len(b)) + b + b"\0" * (-len(b) % 4)


def main(out):
    os.makedirs(out, exist_ok=True)
    fh = bytes(range(40))
    seeds = {
        "dirpath": b"\0" + opaque(b"/export"),
        "dirpath-untidy": b"\0" + opaque(b"//srv//data/"),
        "dirpath-too-long": b"\0" + opaque(b"/" + b"x" * 1024),
        "mnt-ok": b"\1" + u32(0) + opaque(fh) + u32(2) + u32(1) + u32(390003),
        "mnt-acces": b"\1" + u32(13),
        "dump": b"\2" + u32(1) + opaque(b"127.0.0.1") + opaque(b"/a")
        + u32(1) + opaque(b"::1") + opaque(b"/deep/b") + u32(0),
        "dump-empty": b"\2" + u32(0),
        "exports": b"\3" + u32(1) + opaque(b"/a") + u32(0)
        + u32(1) + opaque(b"/closed") + u32(1) + opaque(b"10.0.0.0/8")
        + u32(1) + opaque(b"cert:client") + u32(0) + u32(0),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/mount_args")
