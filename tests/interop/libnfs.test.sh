#!/usr/bin/env bash
# The command lines of libnfs, an NFSv4 client Ferry did not write (nfs-ls,
# nfs-cp, nfs-cat from Debian's libnfs-utils), as a user types them: a
# 10,000-entry directory listed whole, files written, listed and read back.
# tests/interop/test_libnfs.c does the same and more through the library.
set -uo pipefail
ferryd=${FERRYD:?FERRYD must name the ferryd binary}
for tool in nfs-cp nfs-ls nfs-cat; do
	command -v $tool >/dev/null || { echo "FAIL: $tool not installed (scripts/deps.sh test)"; exit 1; }
done
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

# Debian 12's libnfs (4.0) cannot encode an NFSv4 WRITE of more than about
# 3.9 KiB (it fails the same way against NFS-Ganesha), so large data goes
# the other way: written on the host, read back through libnfs.
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
[ "$(nfs-cat "$url/small.txt?$q" | cmp - "$work/small" && echo same)" = same ] ||
	fail "nfs-cat small.txt differs"

# A directory of 10,000 entries takes dozens of READDIR replies: every name
# must come back once.
mkdir "$work/export/many"
(cd "$work/export/many" && seq -f "entry-%05g" 0 9999 | xargs touch)
nfs-ls "$url/many?$q" >"$work/many.out" || fail "nfs-ls many: $(tail -3 "$work/many.out")"
names=$(awk '{print $NF}' "$work/many.out" | grep -c '^entry-')
uniq_names=$(awk '{print $NF}' "$work/many.out" | grep '^entry-' | sort -u | wc -l)
[ "$names" = 10000 ] && [ "$uniq_names" = 10000 ] ||
	fail "nfs-ls many listed $names names ($uniq_names different), not 10000"

kill "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || fail "ferryd exited with $rc"
echo "PASS: nfs-cp, nfs-cat and nfs-ls wrote, read back and listed 2 files and 10,000 names"
