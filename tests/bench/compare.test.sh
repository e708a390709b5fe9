#!/usr/bin/env bash
# bench/compare's self-test: its tables (one Ganesha and several, the CPU
# ratio, CPU per MiB), who goes first each round and how Ganesha builds are
# named, on made-up numbers and stand-in binaries. Starts no server.
set -euo pipefail
exec python3 "$(dirname "$0")/../../bench/compare" --self-test
