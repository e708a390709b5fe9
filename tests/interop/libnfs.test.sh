#!/usr/bin/env bash
# The command lines of libnfs, an NFS client Ferry did not write (nfs-ls,
# nfs-cp, nfs-cat from Debian's libnfs-utils), as a user types them: a
# 10,000-entry directory listed whole, files written, listed and read back,
# over NFSv4 and over NFSv3.
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

# checks TAG QUERY: the command lines with libnfs's URL arguments QUERY,
# on files and a directory named after TAG.
checks() {
	local tag=$1 q=$2
	# Debian 12's libnfs (4.0) cannot encode an NFSv4 WRITE of more than
	# about 3.9 KiB (it fails the same way against NFS-Ganesha), so large
	# data goes the other way: written on the host, read back through
	# libnfs.
	head -c 1000 /dev/urandom >"$work/small-$tag"
	nfs-cp "$work/small-$tag" "$url/small-$tag.txt?$q" >/dev/null || fail "$tag: nfs-cp small up"
	head -c 3000000 /dev/urandom >"$work/big-$tag"
	cp "$work/big-$tag" "$work/export/big-$tag.bin"
	listing=$(nfs-ls "$url?$q") || fail "$tag: nfs-ls"
	echo "$listing" | grep -q " small-$tag.txt$" || fail "$tag: small-$tag.txt not listed: $listing"
	echo "$listing" | grep -q " big-$tag.bin$" || fail "$tag: big-$tag.bin not listed: $listing"
	nfs-cp "$url/big-$tag.bin?$q" "$work/big-$tag.back" >/dev/null || fail "$tag: nfs-cp big down"
	cmp -s "$work/big-$tag" "$work/big-$tag.back" || fail "$tag: big-$tag.bin came back different"
	cmp -s "$work/small-$tag" "$work/export/small-$tag.txt" ||
		fail "$tag: small-$tag.txt differs on the server's disk"
	nfs-cp "$url/small-$tag.txt?$q" "$work/small-$tag.back" >/dev/null || fail "$tag: nfs-cp small down"
	cmp -s "$work/small-$tag" "$work/small-$tag.back" || fail "$tag: small-$tag.txt came back different"
	[ "$(nfs-cat "$url/small-$tag.txt?$q" | cmp - "$work/small-$tag" && echo same)" = same ] ||
		fail "$tag: nfs-cat small-$tag.txt differs"

	# A directory of 10,000 entries takes dozens of READDIR replies: every
	# name must come back once.
	mkdir "$work/export/many-$tag"
	(cd "$work/export/many-$tag" && seq -f "entry-%05g" 0 9999 | xargs touch)
	nfs-ls "$url/many-$tag?$q" >"$work/many-$tag.out" ||
		fail "$tag: nfs-ls many: $(tail -3 "$work/many-$tag.out")"
	names=$(awk '{print $NF}' "$work/many-$tag.out" | grep -c '^entry-')
	uniq_names=$(awk '{print $NF}' "$work/many-$tag.out" | grep '^entry-' | sort -u | wc -l)
	[ "$names" = 10000 ] && [ "$uniq_names" = 10000 ] ||
		fail "$tag: nfs-ls many listed $names names ($uniq_names different), not 10000"
}
checks v4 "version=4&nfsport=$port"
# NFSv3 (libnfs's default version): MOUNT and NFS on ferryd's port, given as
# mountport and nfsport so that libnfs asks no rpcbind.
checks v3 "version=3&nfsport=$port&mountport=$port"

kill "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || fail "ferryd exited with $rc"
echo "PASS: nfs-cp, nfs-cat and nfs-ls wrote, read back and listed 2 files and 10,000 names" \
	"over NFSv4 and NFSv3"
