#!/usr/bin/env bash
# Builds ferryd (and ferryctl, its control CLI) and starts ferryd in the
# foreground.  With no arguments it runs
# on its embedded default: exports ./export (created if missing) at /export,
# keeps its state in ./state, listens on 127.0.0.1:2049.  Arguments are
# passed to ferryd (see `ferryd --help`).  Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
ninja -C build ferryd ferryctl >/dev/null
exec ./build/ferryd "$@"
