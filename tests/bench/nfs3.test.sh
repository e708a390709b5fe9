#!/usr/bin/env bash
# ferry-bench's NFSv3 workloads (--vers 3) against a real ferryd, their
# handles from MOUNT v3 MNT (on ferryd's NFS port, --mount-port) and NFSv3
# LOOKUP: a getattr run over an export that serves NFSv3 completes with no
# error, and so does every other NFSv3 workload; over an export with
# nfs3 = no the run stops at MNT, and says MNT3ERR_ACCES.  Needs FERRYD and
# FERRY_BENCH.
set -euo pipefail

source "$(dirname "$0")/../lib/ferryd_test.sh"
ferry_test_init bench-nfs3

mkdir -p "$dir/v3" "$dir/nov3"
chmod 0777 "$dir/v3" "$dir/nov3"
cat >"$dir/ferryd.conf" <<CONF
[export v3]
path = $dir/v3
pseudo = /v3
access = rw
squash = none

[export nov3]
path = $dir/nov3
pseudo = /nov3
access = rw
squash = none
nfs3 = no
CONF
ferryd_start --config "$dir/ferryd.conf"

bench() { # EXPORT OUT [WORKLOAD]
	local rc=0
	"$FERRY_BENCH" --server "127.0.0.1:$port" --mount-port "$port" --export "$1" --vers 3 \
		--workload "${3:-getattr}" --file-size 4M --dir-entries 100 --ops 200 --inflight 4 --warmup 0 --timeout 20 --json >"$2" 2>"$2.err" || rc=$?
	echo "$rc"
}
field() { grep -o "\"$2\":[^,}]*" "$1" | head -n1 | cut -d: -f2-; }

rc=$(bench /v3 "$dir/ok.json")
cat "$dir/ok.json"
[[ $rc -eq 0 ]] || { cat "$dir/ok.json.err" >&2; fail "v3 getattr: exit status $rc"; }
[[ $(field "$dir/ok.json" status) == '"ok"' ]] || fail "v3 getattr: status $(field "$dir/ok.json" status)"
[[ $(field "$dir/ok.json" ops) == 200 ]] || fail "v3 getattr: ops $(field "$dir/ok.json" ops), want 200"
[[ $(field "$dir/ok.json" total) == 0 ]] || fail "v3 getattr: errors reported"

for wl in lookup read4k read1m write1m readdirplus create; do
	rc=$(bench /v3 "$dir/$wl.json" "$wl")
	[[ $rc -eq 0 ]] || { cat "$dir/$wl.json" "$dir/$wl.json.err" >&2; fail "v3 $wl: exit status $rc"; }
	[[ $(field "$dir/$wl.json" status) == '"ok"' ]] || fail "v3 $wl: status $(field "$dir/$wl.json" status)"
	[[ $(field "$dir/$wl.json" total) == 0 ]] || fail "v3 $wl: errors reported"
done

rc=$(bench /nov3 "$dir/refused.json")
cat "$dir/refused.json" "$dir/refused.json.err"
[[ $rc -ne 0 ]] || fail "v3 getattr over an nfs3 = no export: exit status 0"
grep -q 'MOUNT v3 MNT /nov3: MNT3ERR_ACCES' "$dir/refused.json" "$dir/refused.json.err" ||
	fail "v3 getattr over an nfs3 = no export: the failure does not say MNT3ERR_ACCES"
kill -0 "$pid" 2>/dev/null || fail "ferryd died"
echo "3 passed, 0 failed"
