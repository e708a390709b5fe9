#!/usr/bin/env bash
# cmake --install puts ferryd, ferryctl, ferry-bench, the systemd unit (Type=notify,
# naming the installed ferryd and config), the sample config, the man
# pages, the Prometheus rules and the Grafana dashboard in place; the
# sample config is one ferryd accepts; a second install keeps an edited
# config.  Needs FERRYD (its directory is the build tree).
set -euo pipefail
: "${FERRYD:?FERRYD must point at the ferryd binary}"
build=$(dirname "$FERRYD")
dest=$(mktemp -d "${TMPDIR:-/tmp}/ferry-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR=$dest cmake --install "$build" >/dev/null || fail "cmake --install failed"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
unit=$(find "$dest" -name ferryd.service)
conf=$(find "$dest" -name ferryd.conf)
for f in "$dest$prefix/sbin/ferryd" "$dest$prefix/sbin/ferryctl" "$dest$prefix/bin/ferry-bench"; do
	[[ -x $f ]] || fail "$f not installed"
done
for m in man8/ferryd.8 man8/ferryctl.8 man5/ferryd.conf.5 man5/ferry-exports.5 man1/ferry-bench.1; do
	[[ -s $dest$prefix/share/man/$m ]] || fail "man page $m not installed"
done
[[ -n $unit && -n $conf ]] || fail "unit ($unit) or config ($conf) not installed"
for f in prometheus/ferry-rules.yml prometheus/ferry-rules.test.yml grafana/ferry.json; do
	[[ -s $dest$prefix/share/ferry/$f ]] || fail "$f not installed"
done
grep -q '^Type=notify$' "$unit" || fail "the unit is not Type=notify"
grep -q "^ExecStart=$prefix/sbin/ferryd --config ${conf#"$dest"}\$" "$unit" ||
	fail "ExecStart does not name the installed ferryd and config: $(grep ExecStart "$unit")"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" || fail "no ExecReload"

# The sample parses (with its paths pointed into the scratch directory).
mkdir -p "$dest/srv" "$dest/state"
sed -e "s|^path = .*|path = $dest/srv|" -e "s|^state_dir = .*|state_dir = $dest/state|" \
	-e "s|^listen = 0.0.0.0:2049|listen = 127.0.0.1:0|" -e "s|^listen = 127.0.0.1:9590|listen = 127.0.0.1:0|" \
	"$conf" >"$dest/try.conf"
"$FERRYD" --config "$dest/try.conf" --no-rpcbind --port-file "$dest/port" >"$dest/log" 2>&1 &
pid=$!
for _ in $(seq 100); do [[ -s $dest/port ]] && break; sleep 0.05; done
[[ -s $dest/port ]] || { cat "$dest/log" >&2; fail "ferryd did not start with the sample config"; }
kill -TERM "$pid"
wait "$pid" || fail "ferryd did not stop cleanly"

echo "; edited" >>"$conf"
DESTDIR=$dest cmake --install "$build" >/dev/null
grep -q '^; edited$' "$conf" || fail "a second install replaced an edited config"
echo "PASS: install"
