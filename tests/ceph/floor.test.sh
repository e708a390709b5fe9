#!/usr/bin/env bash
# ferry-cephfs-floor (bench/cephfs_floor.c) on the test cluster: getattr
# and read4k run briefly in a directory of the test's own, each reporting
# ops done and the libcephfs calls ferryd's back end makes for one op
# (getattr: one lookup_vino and two getattrs; read4k: one read), leaving
# the directory empty; a directory CephFS does not have is a clear error
# and exit status 1.  Skipped (77) without FERRY_TEST_CEPH_CONF.  Needs
# FERRY_CEPHFS_FLOOR.
set -euo pipefail

conf=${FERRY_TEST_CEPH_CONF:-}
id=${FERRY_TEST_CEPH_ID:-admin}
if [[ -z $conf ]]; then
	echo "ceph_floor: skipped: FERRY_TEST_CEPH_CONF names no cluster (the test command's CephFS stage sets it)"
	exit 77
fi
floor=${FERRY_CEPHFS_FLOOR:?FERRY_CEPHFS_FLOOR names the program}
tmp=$(mktemp -d)
top=/ferry-test-floor-$$-$(date +%s)
bad=0
fail() { echo "FAIL: $*" >&2; bad=1; }

# The test's directory in CephFS, made, listed and removed with Debian's
# python3-cephfs.
cephfs() { # mkdir|ls|rmdir PATH
	/usr/bin/python3 - "$conf" "$id" "$@" <<'EOF'
import cephfs, sys
conf, cid, what, path = sys.argv[1:5]
fs = cephfs.LibCephFS(conffile=conf, auth_id=cid)
fs.mount()
try:
    if what == "mkdir":
        fs.mkdir(path.encode(), 0o755)
    elif what == "rmdir":
        fs.rmdir(path.encode())
    else:
        d = fs.opendir(path.encode())
        e = fs.readdir(d)
        while e:
            if e.d_name not in (b".", b".."):
                print(e.d_name.decode())
            e = fs.readdir(d)
        fs.closedir(d)
finally:
    fs.shutdown()
EOF
}
cleanup() {
	cephfs rmdir "$top" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
cephfs mkdir "$top"

# field FILE KEY...: a value of the JSON in FILE, by its keys.
field() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$@"
}

run() { # WORKLOAD: runs it in $top, its JSON in $tmp/WORKLOAD.json
	local wl=$1 rc=0
	"$floor" --conf "$conf" --id "$id" --dir "$top" --workload "$wl" --inflight 8 \
		--duration 1 --warmup 0.2 --file-size 4M --json >"$tmp/$wl.json" 2>"$tmp/$wl.err" ||
		rc=$?
	cat "$tmp/$wl.json"
	[[ $rc -eq 0 ]] || { cat "$tmp/$wl.err" >&2; fail "$wl: exit status $rc"; }
	[[ $(field "$tmp/$wl.json" status) == ok ]] || fail "$wl: status $(field "$tmp/$wl.json" status)"
	local ops
	ops=$(field "$tmp/$wl.json" ops)
	[[ $ops =~ ^[0-9]+$ && $ops -gt 0 ]] || fail "$wl: ops '$ops', want more than 0"
	local cpu
	cpu=$(field "$tmp/$wl.json" client cpu_us_per_op)
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' "${cpu:-0}" ||
		fail "$wl: CPU per op '$cpu'"
}

run getattr
[[ $(field "$tmp/getattr.json" calls_per_op ll_lookup_vino) == 1.0 ]] ||
	fail "getattr: ll_lookup_vino per op $(field "$tmp/getattr.json" calls_per_op ll_lookup_vino), want 1"
[[ $(field "$tmp/getattr.json" calls_per_op ll_getattr) == 2.0 ]] ||
	fail "getattr: ll_getattr per op $(field "$tmp/getattr.json" calls_per_op ll_getattr), want 2"
run read4k
[[ $(field "$tmp/read4k.json" calls_per_op ll_read) == 1.0 ]] ||
	fail "read4k: ll_read per op $(field "$tmp/read4k.json" calls_per_op ll_read), want 1"
[[ $(field "$tmp/read4k.json" io_size) == 4096 ]] || fail "read4k: io_size $(field "$tmp/read4k.json" io_size)"
left=$(cephfs ls "$top")
[[ -z $left ]] || fail "the runs left $left in $top"

# A directory that is not there: said so, exit status 1, a JSON that says so.
rc=0
"$floor" --conf "$conf" --id "$id" --dir "$top/missing" --workload getattr --duration 1 --json \
	>"$tmp/bad.json" 2>"$tmp/bad.err" || rc=$?
cat "$tmp/bad.err"
[[ $rc -eq 1 ]] || fail "a missing directory: exit status $rc, want 1"
grep -q "cannot mount $top/missing as client.$id.*No such file or directory" "$tmp/bad.err" ||
	fail "a missing directory: no clear error on stderr"
[[ $(field "$tmp/bad.json" status) == failed ]] ||
	fail "a missing directory: status $(field "$tmp/bad.json" status)"

# Bad usage: status 2.
rc=0
"$floor" --workload nosuch >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "an unknown workload: exit status $rc, want 2"

[[ $bad -eq 0 ]] && echo "ceph_floor: ok"
exit $bad
