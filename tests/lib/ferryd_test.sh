# Sourced by the shell tests that start a real ferryd: a scratch directory
# removed on exit (kept with FERRY_TEST_KEEP), ferryd stopped on exit, fail()
# that shows ferryd's log, and ferryd_start that waits for its port.
#   source "$(dirname "$0")/../lib/ferryd_test.sh"
#   ferry_test_init NAME          -> $dir
#   ferryd_start [ferryd args...] -> $pid, $port (listen, port file, state dir,
#                                    log and --no-rpcbind are added)
: "${FERRYD:?FERRYD must point at the ferryd binary}"
: "${FERRY_BENCH:?FERRY_BENCH must point at the ferry-bench binary}"

pid=
ferry_test_cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	[[ -n ${FERRY_TEST_KEEP:-} ]] || rm -rf "$dir"
}

ferry_test_init() {
	dir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-$1.XXXXXX")
	trap ferry_test_cleanup EXIT
}

fail() {
	echo "FAIL: $*" >&2
	echo "--- ferryd log:" >&2
	tail -50 "$dir/ferryd.log" >&2 || true
	exit 1
}

ferryd_start() {
	"$FERRYD" --listen 127.0.0.1:0 --port-file "$dir/port" --no-rpcbind --control 127.0.0.1:0 \
		--state-dir "$dir/state" "$@" >"$dir/ferryd.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[[ -s $dir/port ]] && break
		kill -0 "$pid" 2>/dev/null || fail "ferryd exited at start-up"
		sleep 0.05
	done
	[[ -s $dir/port ]] || fail "ferryd did not write its port file"
	port=$(head -n1 "$dir/port")
}
