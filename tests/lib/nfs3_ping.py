#!/usr/bin/python3
"""One NFSv3 client connection that must not break: MOUNT's MNT of an
export, then GETATTR of its root every 20 ms for a while, all on one TCP
connection from a reserved port, each reply awaited at most --timeout s.
Prints {"calls": N, "errors": N, "reconnects": 0} as JSON and exits 1 on
the first failure (a status other than NFS3_OK, no reply in time, the
connection closed).  Usage: nfs3_ping.py PORT EXPORT SECONDS [--timeout S]"""
import json
import socket
import struct
import sys
import time

MOUNT_PROG, NFS_PROG = 100005, 100003


def connect(port):
    for local in range(1023, 600, -1):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", local))
            s.connect(("127.0.0.1", port))
            return s
        except OSError:
            s.close()
    raise SystemExit("no reserved port free")


def opaque(b):
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


def call(s, xid, prog, proc, args, timeout):
    cred = struct.pack(">I", 0) + opaque(b"ping") + struct.pack(">III", 0, 0, 0)
    msg = struct.pack(">IIIIII", xid, 0, 2, prog, 3, proc)
    msg += struct.pack(">I", 1) + opaque(cred) + struct.pack(">II", 0, 0) + args
    s.sendall(struct.pack(">I", 0x80000000 | len(msg)) + msg)
    s.settimeout(timeout)
    data = b""
    while True:
        mark = recv_exact(s, 4)
        (m,) = struct.unpack(">I", mark)
        data += recv_exact(s, m & 0x7FFFFFFF)
        if m & 0x80000000:
            break
    rxid, mtype, stat = struct.unpack(">III", data[:12])
    if rxid != xid or mtype != 1 or stat != 0:
        raise SystemExit(f"xid {xid}: bad reply header")
    flavor, vlen = struct.unpack(">II", data[12:20])
    at = 20 + vlen + (-vlen % 4)
    (accept,) = struct.unpack(">I", data[at : at + 4])
    if accept != 0:
        raise SystemExit(f"xid {xid}: accept_stat {accept}")
    return data[at + 4 :]


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise SystemExit("the server closed the connection")
        b += chunk
    return b


def main():
    port, export, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--timeout" else 5.0
    s = connect(port)
    res = call(s, 1, MOUNT_PROG, 1, opaque(export.encode()), timeout)
    (status,) = struct.unpack(">I", res[:4])
    if status != 0:
        raise SystemExit(f"MNT {export}: status {status}")
    (fhlen,) = struct.unpack(">I", res[4:8])
    fh = res[8 : 8 + fhlen]
    calls = 0
    end = time.monotonic() + seconds
    xid = 2
    while time.monotonic() < end:
        try:
            res = call(s, xid, NFS_PROG, 1, opaque(fh), timeout)
        except socket.timeout:
            raise SystemExit(f"GETATTR {xid}: no reply in {timeout} s")
        (status,) = struct.unpack(">I", res[:4])
        if status != 0:
            raise SystemExit(f"GETATTR {xid}: status {status}")
        calls += 1
        xid += 1
        time.sleep(0.02)
    print(json.dumps({"calls": calls, "errors": 0}))


if __name__ == "__main__":
    main()
