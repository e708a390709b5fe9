#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_acl to fuzz/corpus/acl/.

Each seed is the fuzz target's input: a byte (bit 0: the object is a
directory; bit 1: a POSIX ACL), then an NFSv4 ACL's XDR (nfsace4<>) or a
POSIX ACL's (posixace4<>, draft-ietf-nfsv4-posix-acls).  Run it again after
changing it; the output is deterministic.
"""
import os
import struct

ALLOW, DENY, AUDIT = 0, 1, 2
FILE_INHERIT, DIR_INHERIT, INHERIT_ONLY, IDENTIFIER_GROUP = 0x1, 0x2, 0x8, 0x40
RD, WR, APPEND, EX, DELETE_CHILD = 0x1, 0x2, 0x4, 0x20, 0x40
ANYONE = 0x80 | 0x20000 | 0x100000
OWNER_EXTRA = 0x100 | 0x40000


def u32(v):
    return struct.pack(">I", v)


def opaque(b):
    return u32(len(b)) + b + b"\0" * (-len(b) % 4)


def acl(aces):
    return u32(len(aces)) + b"".join(
        u32(t) + u32(f) + u32(m) + opaque(w.encode()) for t, f, m, w in aces)


INH = FILE_INHERIT | DIR_INHERIT | INHERIT_ONLY
SEEDS = {
    # What a file of mode 0640 reads as.
    "mode-0640": (0, [(ALLOW, 0, RD | WR | APPEND | ANYONE | OWNER_EXTRA, "OWNER@"),
                      (ALLOW, 0, RD | ANYONE, "GROUP@"), (ALLOW, 0, ANYONE, "EVERYONE@")]),
    # Named users and groups with denials, as knfsd writes them.
    "named": (0, [(DENY, 0, WR | APPEND, "OWNER@"), (ALLOW, 0, RD | ANYONE | OWNER_EXTRA, "OWNER@"),
                  (DENY, 0, EX, "1000"), (ALLOW, 0, RD | WR | APPEND, "1000"),
                  (ALLOW, 0, RD, "GROUP@"), (ALLOW, IDENTIFIER_GROUP, RD | EX, "100"),
                  (DENY, IDENTIFIER_GROUP, WR | APPEND, "100"), (ALLOW, 0, RD, "EVERYONE@")]),
    # A directory with a default ACL.
    "dir-default": (1, [(ALLOW, 0, RD | WR | APPEND | EX | DELETE_CHILD, "OWNER@"),
                        (ALLOW, 0, RD | EX, "EVERYONE@"), (ALLOW, INH, RD | WR | APPEND, "OWNER@"),
                        (ALLOW, INH, RD, "1234"), (ALLOW, INH, 0, "GROUP@"),
                        (ALLOW, INH, 0, "EVERYONE@")]),
    # Inheritance without INHERIT_ONLY, on a file (refused) and a directory.
    "inherit-file": (0, [(ALLOW, FILE_INHERIT, RD, "EVERYONE@")]),
    "inherit-dir": (1, [(ALLOW, DIR_INHERIT, RD | EX, "EVERYONE@")]),
    # Refused: an AUDIT ACE, a who that names nobody, a denial of READ_ACL.
    "audit": (0, [(AUDIT, 0, RD, "EVERYONE@")]),
    "badowner": (0, [(ALLOW, 0, RD, "nobody-here@elsewhere")]),
    "deny-read-acl": (0, [(DENY, 0, 0x20000, "EVERYONE@")]),
    # pynfs ACL5: one user, nothing allowed.
    "pynfs-acl5": (0, [(ALLOW, 0, 0, "123")]),
    "empty": (1, []),
}

# posixace4<>: tag (USER_OBJ 1, USER 2, GROUP_OBJ 3, GROUP 4, MASK 5,
# OTHER 6), perm (rwx), who.
POSIX = 2
UOBJ, PUSER, GOBJ, PGROUP, PMASK, POTHER = 1, 2, 3, 4, 5, 6


def posix_acl(aces):
    return u32(len(aces)) + b"".join(u32(t) + u32(p) + opaque(w.encode()) for t, p, w in aces)


POSIX_SEEDS = {
    "posix-mode": (POSIX, [(UOBJ, 6, ""), (GOBJ, 4, ""), (POTHER, 0, "")]),
    "posix-named": (POSIX, [(POTHER, 0, ""), (PMASK, 5, ""), (PUSER, 4, "1234"),
                            (PGROUP, 5, "100"), (GOBJ, 0, ""), (UOBJ, 7, ""), (PUSER, 6, "7")]),
    "posix-dir": (POSIX | 1, [(UOBJ, 7, ""), (GOBJ, 5, ""), (POTHER, 5, "")]),
    "posix-badowner": (POSIX, [(UOBJ, 6, ""), (PUSER, 4, "nobody-here@elsewhere"),
                               (GOBJ, 4, ""), (PMASK, 4, ""), (POTHER, 0, "")]),
    "posix-empty": (POSIX, []),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "acl")
os.makedirs(out, exist_ok=True)
for name, (flags, aces) in sorted(SEEDS.items()):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([flags]) + acl(aces))
for name, (flags, aces) in sorted(POSIX_SEEDS.items()):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([flags]) + posix_acl(aces))
