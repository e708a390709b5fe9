#!/usr/bin/env bash
# WRITE data in flight to the OSDs stays bounded on a ceph export.
#
# ferry-bench write1m rewrites a 64 MiB file with 1 MiB unstable WRITEs, 64
# in flight, for 6 s: ranges are rewritten while their earlier data is
# still on its way to the OSD, which libcephfs's object cacher stops
# counting (backend/ceph/ceph_writeback.c).  Without ferryd's bound the
# objecter's bytes in flight grew past 700 MiB within 4 s and kept growing
# (2.3 GB at 6 s); with it they stay under twice the limit (twice
# client_oc_max_dirty) plus the WRITEs admitted meanwhile.  Sampled from
# ferryd's /metrics (ferry_backend_write_inflight_bytes, the objecter's own
# count) every 20 ms; the settles are counted there too, and no WRITE
# fails.  Skipped (77) without FERRY_TEST_CEPH_CONF.
set -euo pipefail

conf=${FERRY_TEST_CEPH_CONF:-}
id=${FERRY_TEST_CEPH_ID:-admin}
if [[ -z $conf ]]; then
	echo "ceph_writeback: skipped: FERRY_TEST_CEPH_CONF names no cluster (the test command's CephFS stage sets it)"
	exit 77
fi
source "$(dirname "$0")/../lib/ferryd_test.sh"
ferry_test_init writeback
top=/ferry-test-writeback-$$-$(date +%s)

/usr/bin/python3 - "$conf" "$id" "$top" <<'EOF'
import cephfs, sys
fs = cephfs.LibCephFS(conffile=sys.argv[1], auth_id=sys.argv[2])
fs.mount()
fs.mkdir(sys.argv[3].encode(), 0o777)
fs.shutdown()
EOF

cat >"$dir/ferryd.conf" <<EOF
[export bench]
path = $top
pseudo = /export
access = rw
squash = none
backend = ceph
ceph_conf = $conf
ceph_id = $id
EOF
ferryd_start --config "$dir/ferryd.conf"
control=$(cat "$dir/state/control.addr")
metric() { # NAME: its value on the export's series, 0 when absent
	python3 -c 'import sys, urllib.request
text = urllib.request.urlopen("http://" + sys.argv[1] + "/metrics", timeout=5).read().decode()
v = [l.split()[-1] for l in text.splitlines() if l.startswith(sys.argv[2] + "{")]
print(int(float(v[-1])) if v else 0)' "$control" "$1"
}
asok=$(ls "$dir"/state/ceph-*.asok)
max_dirty=$(ceph --admin-daemon "$asok" config get client_oc_max_dirty |
	python3 -c 'import json, sys; print(int(json.load(sys.stdin)["client_oc_max_dirty"]))')
# Twice the limit, the WRITEs in flight and one in progress on each of
# ferryd's workers, and room for reads and metadata.
bound=$((4 * max_dirty + 128 * 1024 * 1024))

"$FERRY_BENCH" --server "127.0.0.1:$port" --workload write1m --duration 6 --warmup 1 \
	--inflight 64 >"$dir/bench.out" 2>&1 &
bench=$!
# One sampler for the whole run (a python start per sample took most of
# the 0.1 s between samples on a loaded machine, leaving a dozen samples
# in a run that could all fall between two flushes): the most seen.
max=$(python3 -c 'import os, sys, time, urllib.request
control, bench, bound = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
most = 0
def alive():
    try:
        os.kill(bench, 0)
        return True
    except OSError:
        return False
while alive():
    text = urllib.request.urlopen("http://" + control + "/metrics", timeout=5).read().decode()
    v = [l.split()[-1] for l in text.splitlines()
         if l.startswith("ferry_backend_write_inflight_bytes{")]
    most = max(most, int(float(v[-1])) if v else 0)
    if most > bound:
        os.kill(bench, 15)
        break
    time.sleep(0.02)
print(most)' "$control" "$bench" "$bound")
rc=0
wait "$bench" || rc=$?
cat "$dir/bench.out"
settles=$(metric ferry_backend_write_settles_total)
echo "ceph_writeback: client_oc_max_dirty $((max_dirty >> 20)) MiB; most in flight" \
	"$((max >> 20)) MiB (bound $((bound >> 20)) MiB); settles $settles;" \
	"$(grep VmHWM "/proc/$pid/status" | tr -s ' \t' ' ')"
((max <= bound)) || fail "WRITE data in flight to the OSDs reached $((max >> 20)) MiB, past $((bound >> 20)) MiB"
((rc == 0)) || fail "ferry-bench exited with status $rc"
awk '$1 == "write1m" && $NF == 0 { ok = 1 } END { exit !ok }' "$dir/bench.out" ||
	fail "ferry-bench write1m reported errors"
((max > 0)) || fail "ferry_backend_write_inflight_bytes never showed data in flight"
((settles > 0)) || fail "no settle counted (ferry_backend_write_settles_total $settles)"
echo "ceph_writeback: ok"
