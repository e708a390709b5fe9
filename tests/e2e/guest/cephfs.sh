#!/bin/bash
# The kernel-client runs on a ceph export in one boot, run in the kclient
# guest (cwd = the NFS mount) once per version by tests/e2e/kclient.sh with
# FERRY_E2E_BACKEND=ceph, so that one Ceph cluster serves them all: the
# smoke workload, the kept-listing run and the delegation run (read
# delegations only: writes=0; recalls by a second NFS client and by a
# CephFS client beside ferryd) on every version; on 4.2 the
# extended-attribute run and the NFSv4.2 run (holes=none: CephFS keeps no
# holes); on 4.1 the ACL run (NFSv4 ACLs, then POSIX ACLs through NFSACL
# on a vers=3 mount; the host's side through host_helper.sh's CephFS
# client), the crash run (ferryd killed with SIGKILL under a writing
# client), then the restart run (ferryd stopped and started under an open
# file).  The scripts come in by kclient --file; each prints its own
# "E2E PASS|FAIL" lines.  Exits 1 when one of them failed.
set -uo pipefail
v=${KCLIENT_VERS:-?}
files=${KCLIENT_FILES:-/kcrun/files}
failed=0

run() { # name, script, arguments
	local name=$1 script=$files/$2 rc
	shift 2
	# Shipped files may lose their mode: run each by its interpreter.
	local interp=sh
	head -1 "$script" | grep -q bash && interp=bash
	(cd "$KCLIENT_MNT" && "$interp" "$script" "$@")
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "E2E FAIL cephfs vers=$v: $name exited $rc"
		failed=1
	fi
}

run smoke smoke.sh
run readdir-kept readdir_kept.sh
run deleg deleg.sh opens=200 local=1 writes=0
case $v in
4.2)
	run xattr xattr.sh
	run v42 v42.sh holes=none
	;;
4.1)
	# NFSv4 ACLs here, then NFSACL on a vers=3 mount beside.
	run acl acl.sh host=helper
	run crash crash_restart.sh crashes=3 gap=5
	run restart restart.sh
	;;
esac
exit $failed
