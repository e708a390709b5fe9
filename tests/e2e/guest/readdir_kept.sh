#!/bin/sh
# Kernel-client listing of a directory whose entries ferryd keeps encoded
# (a directory unchanged for a second is served from a snapshot, and each
# entry4 a READDIR encoded is sent again while its file is unchanged), run
# in the kclient guest (cwd = the NFS mount) by tests/e2e/kclient.sh: 500
# files, then `ls -ln` three times with the client's caches dropped
# (identical), then chmod, append, truncate and touch -d of four files
# through the mount and `ls -ln` again: exactly those four lines change,
# to the new values (the "total" line may change too: on a file system that
# counts a small file's blocks by its size, as CephFS does, the truncate
# changes it).
cd "$KCLIENT_MNT" || exit 1
d=ferry-kept.$$
mkdir $d && cd $d || { echo "E2E FAIL kept: mkdir"; exit 1; }
i=0; while [ $i -lt 500 ]; do echo x > f$i; i=$((i + 1)); done
sleep 2 # settled: the next listings come from a snapshot
for n in 1 2 3; do
	sync; echo 3 > /proc/sys/vm/drop_caches; ls -ln > /tmp/l$n
done
[ "$(wc -l < /tmp/l3)" -eq 501 ] || { echo "E2E FAIL kept: $(wc -l < /tmp/l3) lines"; exit 1; }
cmp -s /tmp/l2 /tmp/l3 || { echo "E2E FAIL kept: two listings differ"; exit 1; }
chmod 600 f7; echo more >> f9; truncate -s 1234 f11; touch -d 2001-02-03 f13
sync; echo 3 > /proc/sys/vm/drop_caches; ls -ln > /tmp/l4
grep -q -- '^-rw------- .* f7$' /tmp/l4 || { echo "E2E FAIL kept: f7 mode: $(grep ' f7$' /tmp/l4)"; exit 1; }
grep -q -- ' 7 .* f9$' /tmp/l4 || { echo "E2E FAIL kept: f9 size: $(grep ' f9$' /tmp/l4)"; exit 1; }
grep -q -- ' 1234 .* f11$' /tmp/l4 || { echo "E2E FAIL kept: f11 size: $(grep ' f11$' /tmp/l4)"; exit 1; }
grep -q -- " 2001 f13$" /tmp/l4 || { echo "E2E FAIL kept: f13 mtime: $(grep " f13$" /tmp/l4)"; exit 1; }
n=$(grep -vxFf /tmp/l3 /tmp/l4 | grep -vc '^total ')
[ "$n" -eq 4 ] || { echo "E2E FAIL kept: changed lines: $n"; grep -vxFf /tmp/l3 /tmp/l4; exit 1; }
cd .. && rm -rf $d
echo "E2E PASS kept"
