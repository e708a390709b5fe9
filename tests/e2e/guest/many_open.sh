#!/bin/bash
# Kernel-client many-open test, run in the kclient guest (cwd = the NFS
# mount) by tests/e2e/kclient.sh: one process raises its descriptor limit
# and holds n files (default 20,000) of the mount open at once, writes a
# pattern of its own to each, drops the guest's page cache so the reads go
# to the server, reads every file back through its still-open descriptor
# and closes them all: many_open (tests/e2e/many_open.c, static) comes in
# with kclient --file.  The mount's OPEN and CLOSE counts in
# /proc/self/mountstats: OPEN must grow by n at least (each file is
# created by an OPEN); CLOSE is reported (a client holding a delegation
# may keep its open state past close(2) and not send CLOSE at once).
#
# Arguments: n=COUNT.  Prints "E2E PASS|FAIL|INFO many-open-<step> vers=<v>: ..."
# lines and a last "E2E PASS|FAIL many-open vers=<v>"; exits 1 if a check
# failed.
set -uo pipefail
mnt=${KCLIENT_MNT:-$(pwd)}
v=${KCLIENT_VERS:-4.1}
tool=${KCLIENT_FILES:-/kcrun/files}/many_open
n=20000
for a in "$@"; do
	case $a in n=*) n=${a#n=} ;; esac
done
failed=0
pass() { echo "E2E PASS many-open-$1 vers=$v: $2"; }
fail() { echo "E2E FAIL many-open-$1 vers=$v: $2"; failed=1; }
info() { echo "E2E INFO many-open-$1 vers=$v: $2"; }

[ -x "$tool" ] || { fail setup "no $tool (kclient --file)"; echo "E2E FAIL many-open vers=$v"; exit 1; }
cd "$mnt" || { fail setup "cannot cd to $mnt"; echo "E2E FAIL many-open vers=$v"; exit 1; }

# The request count of an op in this mount's per-op statistics.
opcount() {
	awk -v mnt="$mnt" -v op="$1:" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 == op { n = $2; exit }
		END { print n + 0 }' /proc/self/mountstats
}
ops=(OPEN CLOSE OPEN_NOATTR DELEGRETURN READ WRITE COMMIT)
declare -A before
for o in "${ops[@]}"; do before[$o]=$(opcount "$o"); done

limit=$((n + 256))
if ulimit -Hn "$limit" 2>/dev/null && ulimit -n "$limit"; then
	info ulimit "descriptor limit $(ulimit -n)"
else
	fail ulimit "cannot raise the descriptor limit to $limit (hard $(ulimit -Hn))"
fi

dir=ferry-many-open-$v
rm -rf "$dir"
start=$(date +%s)
out=$("$tool" "$dir" "$n" --drop-caches 2>&1)
rc=$?
secs=$(($(date +%s) - start))
echo "$out" | sed "s/^/E2E INFO many-open-tool vers=$v: /"
if [ $rc -eq 0 ]; then
	pass files "$n files held open at once, written, read back and closed in ${secs} s"
else
	fail files "many_open exit $rc: $(echo "$out" | grep FAIL | head -1)"
fi
[ "$(ls "$dir" | wc -l)" -eq "$n" ] && pass listed "$n files in $dir" ||
	fail listed "$(ls "$dir" | wc -l) files in $dir, want $n"

s=""
declare -A delta
for o in "${ops[@]}"; do
	delta[$o]=$(($(opcount "$o") - before[$o]))
	s="$s $o +${delta[$o]}"
done
echo "E2E INFO many-open-mountstats vers=$v:$s"
[ "${delta[OPEN]}" -ge "$n" ] && pass opens "OPEN +${delta[OPEN]} CLOSE +${delta[CLOSE]}" ||
	fail opens "OPEN +${delta[OPEN]}, want $n at least (CLOSE +${delta[CLOSE]})"
[ $failed -eq 0 ] && echo "E2E PASS many-open vers=$v" || echo "E2E FAIL many-open vers=$v"
exit $failed
