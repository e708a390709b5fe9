#!/usr/bin/env bash
# libnfs, an NFSv4 client Ferry did not write, lists, writes and reads back
# files through ferryd (nfs-ls / nfs-cp from Debian's libnfs-utils).
set -uo pipefail
ferryd=${FERRYD:?FERRYD must name the ferryd binary}
if ! command -v nfs-cp >/dev/null || ! command -v nfs-ls >/dev/null; then
	echo "SKIP: libnfs-utils (nfs-cp, nfs-ls) not installed"
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-libnfs.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "---- ferryd log ----"; cat "$work/log"; exit 1; }

mkdir -p "$work/export"
cat >"$work/ferryd.conf" <<CONF
[server]
listen = 127.0.0.1:0
state_dir = $work/state
rpcbind = no
[export e]
path = $work/export
pseudo = /export
squash = none
CONF
"$ferryd" --config "$work/ferryd.conf" --port-file "$work/port" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(head -1 "$work/port" 2>/dev/null) || fail "ferryd did not start"
url="nfs://127.0.0.1/export"
q="version=4&nfsport=$port"

# Debian 12's libnfs (4.0) cannot encode an NFSv4 WRITE of more than a few
# KiB (it fails the same way against NFS-Ganesha), so large data goes the
# other way: written on the host, read back through libnfs.
head -c 1000 /dev/urandom >"$work/small"
nfs-cp "$work/small" "$url/small.txt?$q" >/dev/null || fail "nfs-cp small up"
head -c 3000000 /dev/urandom >"$work/big"
cp "$work/big" "$work/export/big.bin"
listing=$(nfs-ls "$url?$q") || fail "nfs-ls"
echo "$listing" | grep -q " small.txt$" || fail "small.txt not listed: $listing"
echo "$listing" | grep -q " big.bin$" || fail "big.bin not listed: $listing"
nfs-cp "$url/big.bin?$q" "$work/big.back" >/dev/null || fail "nfs-cp big down"
cmp -s "$work/big" "$work/big.back" || fail "big.bin came back different"
cmp -s "$work/small" "$work/export/small.txt" || fail "small.txt differs on the server's disk"
nfs-cp "$url/small.txt?$q" "$work/small.back" >/dev/null || fail "nfs-cp small down"
cmp -s "$work/small" "$work/small.back" || fail "small.txt came back different"
kill "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || fail "ferryd exited with $rc"
echo "PASS: libnfs wrote, listed and read back 2 files"
