#!/usr/bin/env bash
# bench/compare's self-test: its tables (one Ganesha and several, Chimera
# alone and beside them, the CPU ratio, CPU per MiB, peak RSS), --peers,
# who goes first each round, how Ganesha builds are named and how Chimera
# is configured and reached, on made-up numbers and stand-in binaries.
# Starts no server.
set -euo pipefail
exec python3 "$(dirname "$0")/../../bench/compare" --self-test
