#!/usr/bin/env bash
# Kernel-client e2e measure: lock hand-off time between two processes of
# the guest (guest/lock_handoff.sh), against a ferryd on port 2049 in the
# kclient network namespace.  Not a pass/fail test of speed: it prints the
# figures (a timing never fails a test); it fails only when a run fails.
#
# Usage: tests/e2e/lock_handoff.sh [RUNS]   (default 3 boots)
# Environment: FERRYD (default build/ferryd), FERRYD_ARGS (more ferryd
# options, e.g. "--log-level debug"), KCLIENT (default
# ../shared/e2e/kclient), FERRY_E2E_VERS (default 4.1; "4.0,4.1" measures
# both in each boot), LOCK_HANDOFF_ROUNDS (default 3) and LOCK_HANDOFF_HOLD
# (seconds A holds the lock, default 2) for the guest, LOCK_HANDOFF_LOGDIR
# (keep the guest and server logs there).
#
# Example, the old server against the new one:
#   FERRYD=/path/to/old/ferryd tests/e2e/lock_handoff.sh 3
#   tests/e2e/lock_handoff.sh 3
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kclient=${KCLIENT:-$top/../shared/e2e/kclient}
ferryd=${FERRYD:-$top/build/ferryd}
vers=${FERRY_E2E_VERS:-4.1}
runs=${1:-3}

if [ ! -x "$kclient" ]; then
	echo "SKIP: kernel-client e2e: $kclient not found"
	exit 0
fi
if [ ! -x "$ferryd" ]; then
	echo "e2e: $ferryd not built" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-handoff.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/export" "$work/state" "$work/logs"
cat >"$work/ferryd.conf" <<CONF
[server]
listen = 0.0.0.0:2049
state_dir = $work/state
rpcbind = no

[nfs]
lease_time = 30
grace_time = 5

[export e2e]
path = $work/export
pseudo = /export
squash = none
CONF

# The guest sees only what kclient copies in: a wrapper fixes the settings.
guest="$work/handoff-guest.sh"
{
	echo '#!/bin/sh'
	echo "export LOCK_HANDOFF_ROUNDS=${LOCK_HANDOFF_ROUNDS:-3}"
	echo "export LOCK_HANDOFF_HOLD=${LOCK_HANDOFF_HOLD:-2}"
	echo 'exec /bin/bash "$KCLIENT_FILES/lock_handoff.sh"'
} >"$guest"
chmod +x "$guest"

failed=0
for run in $(seq 1 "$runs"); do
	out="$work/logs/run$run.out"
	"$kclient" --export /export --vers "$vers" \
		--server "exec '$ferryd' --config '$work/ferryd.conf' ${FERRYD_ARGS:-}" \
		--server-log "$work/logs/run$run.server.log" \
		--file "$top/tests/e2e/guest/lock_handoff.sh" -- "$guest" >"$out" 2>&1
	rc=$?
	grep -E "LOCK_HANDOFF|KCLIENT RESULT" "$out" | tr -d '\r' | uniq | sed "s/^/run $run: /"
	if [ $rc -ne 0 ]; then
		echo "e2e: lock hand-off run $run FAILED (kclient exit $rc); last lines:"
		tail -30 "$out"
		failed=1
	fi
done
if [ -n "${LOCK_HANDOFF_LOGDIR:-}" ]; then
	mkdir -p "$LOCK_HANDOFF_LOGDIR" && cp "$work"/logs/* "$LOCK_HANDOFF_LOGDIR"/
fi
exit $failed
