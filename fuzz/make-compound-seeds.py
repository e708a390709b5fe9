#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_compound to fuzz/corpus/compound/.

Each seed is the target's input (fuzz_compound.c): a prelude byte (v4.0,
v4.0 with a confirmed client, v4.1, v4.1 in a session with SEQUENCE added,
v4.1 with a session and nothing added, v4.2 in a session with SEQUENCE
added), the number of operations, then the
operations as they go on the wire.  "@CLIENT@" and "@@SESSION@ID@@@@" stand
for the clientid and sessionid the target made.  The seeds are short
scenarios that succeed on the memory back end as far as they can (open,
write, read, lock, directory changes, session operations), so the fuzzer
starts deep in every handler; every operation number of NFSv4.0-4.2 and
OP_ILLEGAL appears in at least one seed (checked below).

  fuzz/make-compound-seeds.py [OUTDIR]

Run it again after changing it; the output is deterministic.  To see how far
each seed gets: FUZZ_COMPOUND_VERBOSE=1 build-fuzz/fuzz/fuzz_compound SEED...
"""
import os
import struct
import sys

V40, V40_CLIENT, V41, V41_SESSION, V41_SESSIONLESS, V42_SESSION = range(6)

CLIENT = b"@CLIENT@"
SESSION = b"@@SESSION@ID@@@@"

(ACCESS, CLOSE, COMMIT, CREATE, DELEGPURGE, DELEGRETURN, GETATTR, GETFH, LINK, LOCK, LOCKT,
 LOCKU, LOOKUP, LOOKUPP, NVERIFY, OPEN, OPENATTR, OPEN_CONFIRM, OPEN_DOWNGRADE, PUTFH,
 PUTPUBFH, PUTROOTFH, READ, READDIR, READLINK, REMOVE, RENAME, RENEW, RESTOREFH, SAVEFH,
 SECINFO, SETATTR, SETCLIENTID, SETCLIENTID_CONFIRM, VERIFY, WRITE,
 RELEASE_LOCKOWNER) = range(3, 40)
(BACKCHANNEL_CTL, BIND_CONN_TO_SESSION, EXCHANGE_ID, CREATE_SESSION, DESTROY_SESSION,
 FREE_STATEID, GET_DIR_DELEGATION, GETDEVICEINFO, GETDEVICELIST, LAYOUTCOMMIT, LAYOUTGET,
 LAYOUTRETURN, SECINFO_NO_NAME, SEQUENCE, SET_SSV, TEST_STATEID, WANT_DELEGATION,
 DESTROY_CLIENTID, RECLAIM_COMPLETE) = range(40, 59)
(ALLOCATE, COPY, COPY_NOTIFY, DEALLOCATE, IO_ADVISE, LAYOUTERROR, LAYOUTSTATS, OFFLOAD_CANCEL,
 OFFLOAD_STATUS, READ_PLUS, SEEK, WRITE_SAME, CLONE, GETXATTR, SETXATTR, LISTXATTRS,
 REMOVEXATTR) = range(59, 76)
ILLEGAL = 10044


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def opaque(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b + b"\0" * (-len(b) % 4)


def boolean(v):
    return u32(1 if v else 0)


def bitmap(*bits):
    words = [0] * (max(bits) // 32 + 1) if bits else []
    for b in bits:
        words[b // 32] |= 1 << (b % 32)
    return u32(len(words)) + b"".join(u32(w) for w in words)


# Attribute numbers and fattr4 values.
A_TYPE, A_CHANGE, A_SIZE, A_FILEID, A_MODE, A_NUMLINKS, A_OWNER = 1, 3, 4, 20, 33, 35, 36
A_TIME_MODIFY_SET = 54


def fattr(*pairs):
    """pairs of (attribute number, XDR value), in increasing number."""
    return bitmap(*[a for a, _ in pairs]) + opaque(b"".join(v for _, v in pairs))


MODE_644 = fattr((A_MODE, u32(0o644)))
MODE_755 = fattr((A_MODE, u32(0o755)))

# The v4.1 current stateid (seqid 1, other all zeros) and v4.0's anonymous one.
CURRENT = u32(1) + bytes(12)
ANONYMOUS = bytes(16)
BOGUS = u32(1) + b"not-a-state!"
VERIFIER = b"verifier"
FILE_SYNC, UNSTABLE = 2, 0
READ_LT, WRITE_LT = 1, 2
ACCESS_READ, ACCESS_WRITE, ACCESS_BOTH = 1, 2, 3


def op(num, body=b""):
    return (num, u32(num) + body)


def state_owner(name):
    return CLIENT + opaque(name)


def open_create(name, access=ACCESS_BOTH, attrs=MODE_644, seqid=0, who="owner"):
    return op(OPEN, u32(seqid) + u32(access) + u32(0) + state_owner(who) +
              u32(1) + u32(0) + attrs +          # OPEN4_CREATE, UNCHECKED4
              u32(0) + opaque(name))              # CLAIM_NULL


def open_existing(name, access=ACCESS_READ, seqid=0, who="owner"):
    return op(OPEN, u32(seqid) + u32(access) + u32(0) + state_owner(who) +
              u32(0) + u32(0) + opaque(name))


def lookup(name):
    return op(LOOKUP, opaque(name))


def to_export():
    return [op(PUTROOTFH), lookup("mem"), lookup("a")]


def to_export41():
    """A v4.1 client creates nothing before RECLAIM_COMPLETE (NFS4ERR_GRACE)."""
    return [op(RECLAIM_COMPLETE, boolean(False))] + to_export()


def getattr_common():
    return op(GETATTR, bitmap(A_TYPE, A_CHANGE, A_SIZE, A_FILEID, A_MODE, A_NUMLINKS, A_OWNER))


def write(data, stateid=CURRENT, offset=0, stable=FILE_SYNC):
    return op(WRITE, stateid + u64(offset) + u32(stable) + opaque(data))


def read(stateid=CURRENT, offset=0, count=4096):
    return op(READ, stateid + u64(offset) + u32(count))


def chan_attrs(maxops, maxreqs):
    return u32(0) + u32(1 << 20) + u32(1 << 20) + u32(64 << 10) + u32(maxops) + \
        u32(maxreqs) + u32(0)


AUTH_SYS_PARMS = u32(1) + u32(7) + opaque("client.example") + u32(0) + u32(0) + u32(1) + u32(0)
SEC_PARMS = u32(2) + u32(0) + AUTH_SYS_PARMS


def exchange_id(owner_name, flags=0):
    return op(EXCHANGE_ID, VERIFIER + opaque(owner_name) + u32(flags) + u32(0) + u32(0))


def create_session(clientid=CLIENT, seq=1, flags=0):
    return op(CREATE_SESSION, clientid + u32(seq) + u32(flags) + chan_attrs(16, 8) +
              chan_attrs(2, 1) + u32(0x40000000) + SEC_PARMS)


SEEDS = {
    # --- v4.1 in a session (the current stateid carries state along) ---
    # OPEN_DOWNGRADE goes back to an access an OPEN asked: READ, then BOTH.
    "v41-open-write-read": (V41_SESSION, to_export41() + [
        op(SAVEFH), open_create("f", access=ACCESS_READ), op(RESTOREFH),
        open_existing("f", access=ACCESS_BOTH), op(GETFH), write(b"hello, ferry"), op(COMMIT, u64(0) + u32(0)),
        read(), getattr_common(),
        op(SETATTR, CURRENT + fattr((A_SIZE, u64(5)), (A_MODE, u32(0o600)))),
        op(VERIFY, fattr((A_SIZE, u64(5)))), op(NVERIFY, fattr((A_SIZE, u64(6)))),
        op(ACCESS, u32(0x3f)),
        op(OPEN_DOWNGRADE, CURRENT + u32(0) + u32(ACCESS_READ) + u32(0)),
        op(CLOSE, u32(0) + CURRENT)]),
    "v41-locks": (V41_SESSION, to_export41() + [
        open_create("locked"),
        op(LOCK, u32(WRITE_LT) + boolean(False) + u64(0) + u64(100) + boolean(True) +
           u32(0) + CURRENT + u32(0) + state_owner("lockowner")),
        op(LOCKT, u32(WRITE_LT) + u64(500) + u64(10) + state_owner("other")),
        op(LOCK, u32(READ_LT) + boolean(False) + u64(200) + u64(10) + boolean(False) +
           CURRENT + u32(0)),
        op(LOCKU, u32(WRITE_LT) + u32(0) + CURRENT + u64(0) + u64(100)),
        op(FREE_STATEID, CURRENT)]),
    "v41-dirs": (V41_SESSION, to_export41() + [
        op(CREATE, u32(2) + opaque("d") + MODE_755),                 # NF4DIR
        op(SAVEFH),
        op(CREATE, u32(5) + opaque("target") + opaque("l") + MODE_644),  # NF4LNK
        op(READLINK), op(RESTOREFH),
        op(READDIR, u64(0) + bytes(8) + u32(4096) + u32(8192) + bitmap(A_TYPE, A_FILEID)),
        lookup("l"), op(SAVEFH), op(RESTOREFH)] + to_export() + [lookup("d"),
        op(LINK, opaque("l2")), op(SAVEFH), op(RENAME, opaque("l2") + opaque("l3")),
        op(REMOVE, opaque("l3")), op(SECINFO, opaque("l"))]),
    "v41-special-files": (V41_SESSION, to_export41() + [
        op(SAVEFH),
        op(CREATE, u32(4) + u32(1) + u32(3) + opaque("chr") + MODE_644),   # NF4CHR
        op(RESTOREFH), op(CREATE, u32(6) + opaque("sock") + MODE_644),     # NF4SOCK
        op(RESTOREFH), op(CREATE, u32(7) + opaque("fifo") + MODE_644),     # NF4FIFO
        getattr_common(), op(RESTOREFH), op(SECINFO_NO_NAME, u32(0))]),
    "v41-session-ops": (V41_SESSION, [
        op(TEST_STATEID, u32(2) + BOGUS + CURRENT)] + to_export41() + [
        open_create("deleg", access=ACCESS_READ),
        op(WANT_DELEGATION, u32(0x100) + u32(4)),   # WANT_READ_DELEG, CLAIM_FH
        op(DELEGRETURN, CURRENT)]),
    # The session has no back channel: NFS4ERR_INVAL.
    "v41-backchannel-ctl": (V41_SESSION, [op(BACKCHANNEL_CTL, u32(0x40000000) + SEC_PARMS)]),
    "v41-open-claims": (V41_SESSION, to_export41() + [
        op(SAVEFH), open_create("c"), op(CLOSE, u32(0) + CURRENT), op(RESTOREFH),
        open_existing("c"), op(CLOSE, u32(0) + CURRENT),
        op(OPEN, u32(0) + u32(ACCESS_READ) + u32(0) + state_owner("owner") + u32(0) +
           u32(4)),                                                   # CLAIM_FH
        op(RESTOREFH), op(OPEN, u32(0) + u32(ACCESS_BOTH) + u32(0) + state_owner("x") + u32(1) + u32(3) +
           VERIFIER + MODE_644 + u32(0) + opaque("excl")),           # EXCLUSIVE4_1
        op(OPEN, u32(0) + u32(ACCESS_READ) + u32(0) + state_owner("y") + u32(0) +
           u32(1) + u32(0))]),                                        # CLAIM_PREVIOUS
    "v41-destroy-session": (V41_SESSION, [op(DESTROY_SESSION, SESSION)]),
    "v41-set-ssv": (V41_SESSION, [op(SET_SSV, opaque(b"ssv") + opaque(b"digest"))]),
    "v41-bind-conn": (V41_SESSIONLESS, [
        op(BIND_CONN_TO_SESSION, SESSION + u32(3) + boolean(False))]),
    "v41-destroy-session-alone": (V41_SESSIONLESS, [op(DESTROY_SESSION, SESSION)]),
    "v41-destroy-clientid": (V41_SESSIONLESS, [op(DESTROY_CLIENTID, CLIENT)]),
    "v41-create-session": (V41_SESSIONLESS, [create_session(seq=2, flags=3)]),
    "v41-exchange-id": (V41, [exchange_id("another v4.1 client", flags=0x101)]),
    "v41-not-in-session": (V41, to_export() + [op(GETFH)]),
    # Handles are signed with a key of the run: one from outside is refused.
    "v41-putfh-foreign": (V41_SESSION, [op(PUTFH, opaque(bytes([1, 0]) + bytes(range(30)))),
                                        op(GETFH)]),
    # LOOKUP after LOOKUP: walked in one back-end call, then one that
    # stops at a missing name (the walk gives way to one-by-one LOOKUPs).
    "v41-path-walk": (V41_SESSION, to_export41() + [
        op(CREATE, u32(2) + opaque("w") + MODE_755), op(CREATE, u32(2) + opaque("x") + MODE_755),
        op(CREATE, u32(2) + opaque("y") + MODE_755),
        op(PUTROOTFH), lookup("mem"), lookup("a"), lookup("w"), lookup("x"), lookup("y"),
        op(GETFH), getattr_common(),
        op(PUTROOTFH), lookup("mem"), lookup("a"), lookup("w"), lookup("nope"), lookup("y")]),
    # --- v4.0 ---
    "v40-anonymous": (V40, to_export() + [
        op(GETFH), getattr_common(), op(LOOKUPP), op(PUTPUBFH), op(READDIR, u64(0) + bytes(8) + u32(1024) +
                                                     u32(4096) + bitmap(A_TYPE))]),
    "v40-setclientid": (V40, [
        op(SETCLIENTID, VERIFIER + opaque("a v4.0 client") + u32(0x40000000) +
           opaque("tcp") + opaque("127.0.0.1.3.232") + u32(1)),
        op(SETCLIENTID_CONFIRM, u64(1) + VERIFIER)]),
    "v40-client-open": (V40_CLIENT, [op(RENEW, CLIENT)] + to_export() + [
        open_create("f40"), write(b"v4.0 data", stateid=ANONYMOUS),
        read(stateid=ANONYMOUS), op(SETATTR, ANONYMOUS + fattr((A_MODE, u32(0o640)))),
        op(RELEASE_LOCKOWNER, state_owner("nolocks")),
        op(OPEN_CONFIRM, BOGUS + u32(1))]),
    "v40-client-lock": (V40_CLIENT, to_export() + [
        open_create("l40"),
        op(LOCKT, u32(READ_LT) + u64(0) + u64(1) + state_owner("lo")),
        op(LOCK, u32(WRITE_LT) + boolean(False) + u64(0) + u64(1) + boolean(True) +
           u32(1) + BOGUS + u32(0) + state_owner("lo"))]),
    "v40-path-walk": (V40, to_export() + [
        op(CREATE, u32(2) + opaque("w") + MODE_755), op(CREATE, u32(2) + opaque("x") + MODE_755),
        op(PUTROOTFH), lookup("mem"), lookup("a"), lookup("w"), lookup("x"), op(GETFH),
        lookup(".."), lookup("x")]),
    "v40-delegpurge": (V40_CLIENT, [op(DELEGPURGE, CLIENT)]),
    "v40-openattr": (V40, to_export() + [op(OPENATTR, boolean(False))]),
}

# A directory delegation on the export's directory, every notification
# asked (granted only with a back channel: the fuzzed session has none, so
# the refusal and the argument checks are what it reaches).
SEEDS["v41-get-dir-delegation"] = (V41_SESSION, to_export41() + [
    op(GET_DIR_DELEGATION, boolean(True) + bitmap(0, 1, 2, 3, 4, 5, 6) + u64(0) + u32(0) +
       u64(1) + u32(0) + bitmap(A_SIZE, A_CHANGE) + bitmap(A_CHANGE))])

# Operations Ferry does not serve (NFS4ERR_NOTSUPP) or that are not in the
# minor version asked (v4.2 numbers in v4.1: NFS4ERR_OP_ILLEGAL), each after
# an open file so its arguments are at least plausible (GET_DIR_DELEGATION
# on a file: NFS4ERR_NOTDIR).
UNSERVED = {
    GET_DIR_DELEGATION: boolean(False) + bitmap(1) + u64(0) + u32(0) + u64(0) + u32(0) +
    bitmap(A_SIZE) + bitmap(A_SIZE),
    GETDEVICEINFO: bytes(16) + u32(1) + u32(4096) + bitmap(),
    GETDEVICELIST: u32(1) + u32(16) + u64(0) + bytes(8),
    LAYOUTCOMMIT: u64(0) + u64(10) + boolean(False) + CURRENT + boolean(False) +
    boolean(False) + u32(1) + opaque(b""),
    LAYOUTGET: boolean(False) + u32(1) + u32(1) + u64(0) + u64(10) + u64(1) + CURRENT +
    u32(4096),
    LAYOUTRETURN: boolean(False) + u32(1) + u32(1) + u32(1) + u64(0) + u64(10) + CURRENT +
    opaque(b""),
    ALLOCATE: CURRENT + u64(0) + u64(4096),
    COPY: CURRENT + CURRENT + u64(0) + u64(0) + u64(10) + boolean(False) + boolean(True) +
    u32(0),
    COPY_NOTIFY: CURRENT + u32(1) + opaque("127.0.0.1"),
    DEALLOCATE: CURRENT + u64(0) + u64(10),
    IO_ADVISE: CURRENT + u64(0) + u64(10) + bitmap(1),
    LAYOUTERROR: u64(0) + u64(10) + CURRENT + u32(0),
    LAYOUTSTATS: u64(0) + u64(10) + CURRENT + u64(0) + u64(0) + u64(0) + u64(0) + bytes(16) +
    u32(1) + opaque(b""),
    OFFLOAD_CANCEL: CURRENT,
    OFFLOAD_STATUS: CURRENT,
    READ_PLUS: CURRENT + u64(0) + u32(100),
    SEEK: CURRENT + u64(0) + u32(0),
    WRITE_SAME: CURRENT + u32(0) + u64(0) + u64(4) + u32(2) + u32(1) + opaque(b"abcd"),
    CLONE: CURRENT + CURRENT + u64(0) + u64(0) + u64(10),
    GETXATTR: opaque("user.a"),
    SETXATTR: u32(0) + opaque("user.a") + opaque(b"value"),
    LISTXATTRS: u64(0) + u32(4096),
    REMOVEXATTR: opaque("user.a"),
    ILLEGAL: b"",
}
for num, body in UNSERVED.items():
    SEEDS["v41-op%d" % num] = (V41_SESSION, to_export41() + [open_create("u"), op(num, body)])
    # The same in v4.2, where the 4.2 numbers are operations (served, or
    # NFS4ERR_NOTSUPP).
    if ALLOCATE <= num <= REMOVEXATTR:
        SEEDS["v42-op%d" % num] = (V42_SESSION, to_export41() + [open_create("u"),
                                                                  op(num, body)])

# A sparse file made and read back in v4.2: space, holes, a clone of it.
SEEDS["v42-sparse"] = (V42_SESSION, to_export41() + [
    open_create("sparse"), write(b"x" * 100, offset=8192),
    op(ALLOCATE, CURRENT + u64(0) + u64(4096)),
    op(DEALLOCATE, CURRENT + u64(8192) + u64(4096)),
    op(SEEK, CURRENT + u64(0) + u32(1)), op(SEEK, CURRENT + u64(4096) + u32(0)),
    op(READ_PLUS, CURRENT + u64(0) + u32(16384)),
    op(IO_ADVISE, CURRENT + u64(0) + u64(0) + bitmap(1, 4)),
    op(SAVEFH)] + to_export() + [open_create("clone", who="other"),
    op(CLONE, ANONYMOUS + CURRENT + u64(0) + u64(4096) + u64(0)),
    op(GETATTR, bitmap(A_SIZE, 77, 78, 79))])


# Extended attributes (RFC 8276, minor version 2): set, read, list,
# replace, remove, then create over an existing one (NFS4ERR_EXIST); on the
# directory and the open file.  Then a listing resumed from a cookie and
# one too small for a name (NFS4ERR_TOOSMALL).
SEEDS["v42-xattrs"] = (V42_SESSION, to_export41() + [
    op(SETXATTR, u32(0) + opaque("d") + opaque(b"on the directory")),
    open_create("x"),
    op(SETXATTR, u32(1) + opaque("a") + opaque(b"value")),
    op(SETXATTR, u32(0) + opaque("b") + opaque(b"")),
    op(GETXATTR, opaque("a")),
    op(LISTXATTRS, u64(0) + u32(4096)),
    op(SETXATTR, u32(2) + opaque("a") + opaque(b"replaced")),
    op(REMOVEXATTR, opaque("b")),
    op(SETXATTR, u32(1) + opaque("a") + opaque(b"exists"))])
SEEDS["v42-xattr-list-cookie"] = (V42_SESSION, to_export41() + [
    open_create("y")] + [op(SETXATTR, u32(1) + opaque("n%d" % i) + opaque(b"v"))
                         for i in range(6)] + [
    op(LISTXATTRS, u64(0) + u32(40)),
    op(LISTXATTRS, u64(2) + u32(40)),
    op(LISTXATTRS, u64(0) + u32(20))])


def seed_bytes(prelude, ops):
    assert len(ops) < 256
    return bytes([prelude, len(ops)]) + b"".join(body for _, body in ops)


def check_every_op_appears():
    seen = {num for _, ops in SEEDS.values() for num, _ in ops}
    # SEQUENCE is what the target adds in a session; a seed has it too.
    SEEDS["v41-sequence-again"] = (V41_SESSION, [
        op(SEQUENCE, SESSION + u32(2) + u32(0) + u32(0) + boolean(False))])
    seen.add(SEQUENCE)
    missing = [n for n in list(range(ACCESS, REMOVEXATTR + 1)) + [ILLEGAL] if n not in seen]
    if missing:
        sys.exit("make-compound-seeds: no seed has operations %s" % missing)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "compound")
    if len(sys.argv) > 1:
        out = sys.argv[1]
    check_every_op_appears()
    os.makedirs(out, exist_ok=True)
    for name, (prelude, ops) in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(seed_bytes(prelude, ops))


if __name__ == "__main__":
    main()
