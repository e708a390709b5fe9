#!/bin/sh
# ferryd restarts under a mounted client that holds a file open and sits in
# a directory, run in the kclient guest (cwd = the NFS mount): the guest
# asks for the restart by creating restart.request in KCLIENT_OUTDIR
# (kclient --outdir); the watcher beside ferryd (tests/e2e/kclient.sh)
# stops ferryd, removes the file and starts it again.  Afterwards the old
# handles still work (none is stale), the open file is reclaimed in the
# grace period, and the data is intact.
[ -d "${KCLIENT_OUTDIR:-}" ] || { echo "E2E FAIL restart: no KCLIENT_OUTDIR (kclient --outdir)"; exit 1; }
cd "$KCLIENT_MNT" || exit 1
mkdir -p ferry-restart/sub && cd ferry-restart/sub || exit 1
echo "before the restart" > f && sync
exec 3<f
touch "$KCLIENT_OUTDIR/restart.request"
i=0
while [ -e "$KCLIENT_OUTDIR/restart.request" ]; do
	i=$((i + 1)); [ $i -gt 120 ] && { echo "E2E FAIL restart: server never restarted"; exit 1; }
	sleep 1
done
[ "$(cat f)" = "before the restart" ] || { echo "E2E FAIL restart: cwd handle read '$(cat f)'"; exit 1; }
[ "$(cat <&3)" = "before the restart" ] || { echo "E2E FAIL restart: open file read failed"; exit 1; }
echo "after" >> f || { echo "E2E FAIL restart: write after restart"; exit 1; }
ls -la . >/dev/null || { echo "E2E FAIL restart: readdir of the old cwd"; exit 1; }
echo "E2E PASS restart"
