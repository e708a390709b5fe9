#!/bin/bash
# Kernel-client server-side copy test, run in the kclient guest (cwd = the
# NFS mount, vers=4.2).  The source files were made on the server host
# before ferryd started (tests/e2e/kclient.sh): copy-src-big (large) and
# copy-src-small.  copy_range (tests/e2e/copy_range.c, shipped with kclient
# --file) copies each with copy_file_range(2), which an NFSv4.2 client turns
# into COPY: the large one is copied asynchronously by ferryd (CB_OFFLOAD),
# the small one synchronously.  Asserted, from the guest's
# /proc/self/mountstats around each copy: COPY counted, no READ and no
# WRITE (the data never crossed the wire); then the copies' contents
# (md5sum after dropping the page cache) are the sources'.
#
# Arguments: big=MB (the large file's size, for the message only).
# Prints "E2E PASS|FAIL|INFO copy-<step> vers=<v>: ..."; exits 1 on failure.
set -uo pipefail
mnt=${KCLIENT_MNT:-$(pwd)}
v=${KCLIENT_VERS:-4.2}
files=${KCLIENT_FILES:-/kcrun/files}
failed=0
pass() { echo "E2E PASS copy-$1 vers=$v: $2"; }
fail() { echo "E2E FAIL copy-$1 vers=$v: $2"; failed=1; }
info() { echo "E2E INFO copy-$1 vers=$v: $2"; }

cd "$mnt" || { echo "E2E FAIL copy vers=$v: cannot cd to $mnt"; exit 1; }
tool=/tmp/copy_range
cp "$files/copy_range" "$tool" && chmod +x "$tool" ||
	{ echo "E2E FAIL copy vers=$v: no copy_range in $files"; exit 1; }

# The request count of an op in this mount's per-op statistics (the first
# number after "OP:"); 0 when the kernel does not list it.
opcount() {
	awk -v mnt="$mnt" -v op="$1:" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 == op { n = $2; exit }
		END { print n + 0 }' /proc/self/mountstats
}
ops=(COPY READ WRITE OFFLOAD_STATUS COMMIT)
declare -A before delta

one_copy() { # step src dst
	local step=$1 src=$2 dst=$3 o size got t0 t1
	[ -f "$src" ] || { fail "$step" "$src is missing"; return; }
	size=$(stat -c %s "$src")
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for o in "${ops[@]}"; do before[$o]=$(opcount "$o"); done
	t0=$(cut -d' ' -f1 /proc/uptime)
	got=$("$tool" "$src" "$dst") || { fail "$step" "copy_range failed ($got)"; return; }
	t1=$(cut -d' ' -f1 /proc/uptime)
	for o in "${ops[@]}"; do delta[$o]=$(($(opcount "$o") - before[$o])); done
	local figs="" ; for o in "${ops[@]}"; do figs="$figs $o +${delta[$o]}"; done
	info "$step" "$size bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s;$figs"
	[ "$got" = "$size" ] || fail "$step" "copied $got of $size bytes"
	if [ "${delta[COPY]}" -ge 1 ] && [ "${delta[READ]}" -eq 0 ] && [ "${delta[WRITE]}" -eq 0 ]; then
		pass "$step" "server-side: COPY +${delta[COPY]}, READ +0, WRITE +0"
	else
		fail "$step" "not a server-side copy: COPY +${delta[COPY]} READ +${delta[READ]} WRITE +${delta[WRITE]}"
	fi
	sync
	echo 3 >/proc/sys/vm/drop_caches
	local a b
	a=$(md5sum <"$src" | cut -d' ' -f1)
	b=$(md5sum <"$dst" | cut -d' ' -f1)
	if [ "$a" = "$b" ] && [ "$(stat -c %s "$dst")" = "$size" ]; then
		pass "$step-data" "the copy reads back identical ($a)"
	else
		fail "$step-data" "the copy differs: $a vs $b, $(stat -c %s "$dst") bytes"
	fi
}

one_copy big copy-src-big copy-dst-big
one_copy small copy-src-small copy-dst-small
rm -f copy-dst-big copy-dst-small
exit $failed
