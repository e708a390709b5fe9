#!/usr/bin/env bash
# The state directory holds the file-handle key (fh.key: whoever reads it
# can forge handles): ferryd creates it 0700, refuses to start when it is
# group- or world-writable, inside an export, or when fh.key is not the
# server's own 0600 file, with a message naming the path and the fix; and
# it writes its files (fh.key, server_id, export_roots, control.addr, the port file)
# through fresh temporary files, never through a symlink planted at the
# temporary name.  Needs FERRYD; runs as root (chown).
set -euo pipefail
: "${FERRYD:?FERRYD must point at the ferryd binary}"
dir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-state-dir.XXXXXX")
pid=
cleanup() {
	[[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $dir/log ]] && tail -20 "$dir/log" >&2; exit 1; }

# Starts ferryd with the state dir $1 and more arguments; waits for its
# port file; $pid.
start() {
	local state=$1; shift
	rm -f "$dir/port"
	"$FERRYD" --listen 127.0.0.1:0 --port-file "$dir/port" --no-rpcbind --control 127.0.0.1:0 \
		--state-dir "$state" "$@" >"$dir/log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[[ -s $dir/port ]] && return 0
		kill -0 "$pid" 2>/dev/null || fail "ferryd exited at start-up"
		sleep 0.05
	done
	fail "ferryd did not write its port file"
}
stop() { kill -TERM "$pid"; wait "$pid" || fail "ferryd did not stop cleanly"; pid=; }

# ferryd must refuse to start; its message must contain each of the words.
refuses() { # label state-dir words... -- ferryd args
	local label=$1 state=$2; shift 2
	local words=()
	while [[ $# -gt 0 && $1 != -- ]]; do words+=("$1"); shift; done
	[[ $# -gt 0 ]] && shift
	if timeout 10 "$FERRYD" --listen 127.0.0.1:0 --no-rpcbind --control none \
		--state-dir "$state" "$@" >"$dir/log" 2>&1; then
		fail "$label: ferryd started"
	fi
	for w in "${words[@]}"; do
		grep -qF -- "$w" "$dir/log" || fail "$label: the message does not say '$w'"
	done
	echo "ok: $label: $(grep -m1 -F -- "${words[0]}" "$dir/log")"
}

mkdir -p "$dir/export"

# A fresh state directory is private; the key is the server's, 0600.
start "$dir/state" --export "$dir/export:/export"
stop
[[ $(stat -c %a "$dir/state") == 700 ]] || fail "state directory made with mode $(stat -c %a "$dir/state")"
[[ $(stat -c '%a %u' "$dir/state/fh.key") == "600 0" ]] ||
	fail "fh.key is $(stat -c '%a %u' "$dir/state/fh.key")"

# A state directory others can write to: they could swap the key.
mkdir -p "$dir/open-state" && chmod 0777 "$dir/open-state"
refuses "world-writable state directory" "$dir/open-state" "$dir/open-state" "chmod" \
	-- --export "$dir/export:/export"
mkdir -p "$dir/group-state" && chmod 0770 "$dir/group-state"
refuses "group-writable state directory" "$dir/group-state" "$dir/group-state" "chmod" \
	-- --export "$dir/export:/export"

# Inside an export: clients could read the key (or write it).
refuses "state directory inside an export" "$dir/export/state" "$dir/export/state" "$dir/export" \
	-- --export "$dir/export:/export"
[[ ! -e $dir/export/state ]] || fail "ferryd made a state directory inside the export"

# fh.key that is not the server's own 0600 file.
cp -a "$dir/state" "$dir/s2"
chmod 0644 "$dir/s2/fh.key"
refuses "fh.key mode 0644" "$dir/s2" "$dir/s2/fh.key" "0600" -- --export "$dir/export:/export"
chmod 0600 "$dir/s2/fh.key" && chown 1000 "$dir/s2/fh.key"
refuses "fh.key owned by uid 1000" "$dir/s2" "$dir/s2/fh.key" "chown" -- --export "$dir/export:/export"

# Symlinks planted at the temporary names: the files they point to stay
# as they were.
mkdir -m 0700 "$dir/s3"
echo "victim" >"$dir/victim"
for t in fh.key.tmp server_id.tmp control.addr.tmp export_roots.tmp; do
	ln -s "$dir/victim" "$dir/s3/$t"
done
ln -sf "$dir/victim" "$dir/port.tmp"
start "$dir/s3" --export "$dir/export:/export"
stop
[[ $(cat "$dir/victim") == victim ]] || fail "a file written through a planted symlink: $(od -c "$dir/victim" | head -2)"
for f in fh.key server_id export_roots; do # control.addr goes when ferryd stops
	[[ -f $dir/s3/$f && ! -L $dir/s3/$f ]] || fail "$f not written as a file of its own"
done
[[ $(stat -c %a "$dir/s3/fh.key") == 600 ]] || fail "fh.key written with mode $(stat -c %a "$dir/s3/fh.key")"
echo "PASS: state directory checks"
