#!/usr/bin/env bash
# Builds Ferry twice (optimised, and with AddressSanitizer + UBSan), checks
# the layering of the optimised build (scripts/check-layers.sh) and runs
# every test in both: unit tests, protocol tests against a real ferryd, the
# fuzz target for a bounded time, and the end-to-end tests with the Linux
# kernel client when ../shared/e2e/kclient is present, then power cuts under
# ferryd in a qemu guest (tests/e2e/powercut.sh) and RPC-with-TLS in kernel
# TLS in another, through an in-place upgrade (tests/e2e/ktls.sh), and the
# tests on CephFS
# against a throwaway one-node Ceph cluster (../shared/ceph/minicephfs),
# with the kernel client too.
# Wireshark's dissectors (tests/interop/tshark_check.sh) read captures of
# protocol tests and of the kernel client's delegation run.
#
# The kernel-client e2e runs beside the plain tests and the sanitized
# build and tests, the fuzz targets build at the lowest priority from the
# sanitized stage on, and fuzzing and the protocol analyser's check run
# beside the CephFS stage: each of those leaves a core mostly idle.
#
# `--full` (or FERRY_FULL=1) adds the full stage: the slowest checks, which
# the default run (kept under 25 minutes on 2 cores) leaves out: the
# tests labelled heavy under the sanitizers (they run in the plain build
# by default), the
# kernel client holding 20,000 files open at once, the kernel client on a
# ceph export, the smoke run on NFSv4.0 and 4.1 and over nconnect=4, the
# smoke run of Linux 6.12 (the default run has that kernel in its 4.2
# listing and delegation runs), the restarts under a mounted client on
# 4.0 and 4.2 (the default run's are 4.1's), the fail-over of a
# clustered head under a writing kernel client, beside NFS-Ganesha's
# (tests/e2e/kclient.sh, FERRY_E2E_ONLY=failover), and the
# Debian package built and installed into a clean Debian 12 root
# (tests/dist/deb.test.sh, label full).
#
# Environment: FUZZ_SECONDS (default 60; 0 skips fuzzing), FERRY_SKIP_E2E=1
# skips the kernel-client tests, FERRY_SKIP_POWERCUT=1 the power-cut test
# (tests/e2e/powercut.sh), FERRY_SKIP_CEPH=1 the CephFS stage, CTEST_JOBS
# (default 2).
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
for arg in "$@"; do
	case $arg in
	--full) export FERRY_FULL=1 ;;
	*) echo "usage: $0 [--full]" >&2; exit 2 ;;
	esac
done

bash scripts/deps.sh test || exit 1

passed=0
failed=0
failures=()

# Runs ctest in a build directory (extra arguments go to ctest) and adds
# its counts to the totals.
run_ctest() {
	local dir=$1 label=$2 out
	shift 2
	out=$(cd "$dir" && ctest --output-on-failure -j "${CTEST_JOBS:-2}" "$@" 2>&1)
	local rc=$?
	echo "$out"
	local line total fails
	line=$(echo "$out" | grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" | tail -1)
	if [ -z "$line" ]; then
		echo "test: $label: ctest printed no summary (exit $rc)"
		failed=$((failed + 1))
		failures+=("$label: no summary")
		return
	fi
	fails=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
	total=$(echo "$line" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
	passed=$((passed + total - fails))
	failed=$((failed + fails))
	[ "$fails" -gt 0 ] && failures+=("$label: $fails ctest failures")
}

# The kernel-client e2e runs from here on, beside the plain tests, the
# sanitized build and its tests: the guest's emulated CPU keeps one core
# busy, and the tests mostly wait on timers and sockets; its output is
# printed when it ends, after the sanitized tests.
e2e_pid=""
e2e_log=$top/build/e2e-stage.log
e2e_pcap=$top/build/kclient-deleg.pcapng
start_e2e() {
	[ -x tests/e2e/kclient.sh ] && [ "${FERRY_SKIP_E2E:-0}" != 1 ] || return 0
	step "end-to-end with the Linux kernel client (beside the tests that follow; output after the sanitized stage)"
	# The delegation run (all minor versions, recalls) is captured.
	rm -f "$e2e_pcap" "$e2e_pcap.log"
	mkdir -p "$top/build"
	FERRY_E2E_PCAP=$e2e_pcap bash tests/e2e/kclient.sh >"$e2e_log" 2>&1 &
	e2e_pid=$!
}

# The protocol analyser's check re-runs protocol tests under capture in
# network namespaces of their own and decodes what they sent: it runs
# beside the CephFS stage, whose tests mostly wait on the cluster (beside
# the sanitized build it took most of that build's CPU: 363 s for a build
# of about 65 s alone), and its output is printed after that stage.
tshark_pid=""
tshark_log=$top/build/tshark-stage.log
start_tshark() {
	step "protocol analyser: tshark reads protocol tests' traffic (beside the CephFS stage; output at its end)"
	bash tests/interop/tshark_check.sh >"$tshark_log" 2>&1 &
	tshark_pid=$!
}
tshark_wait() {
	[ -n "$tshark_pid" ] || return 0
	step "protocol analyser: its output"
	if wait "$tshark_pid"; then passed=$((passed + 1)); else
		failed=$((failed + 1)); failures+=("tshark check of the protocol tests (log: $tshark_log)"); fi
	cat "$tshark_log"
	tshark_pid=""
}

# Each step says when it starts, in seconds since the run began: where a
# run's time goes (the default run is kept under 25 minutes).
run_start=$(date +%s)
step() { echo; echo "==== $* ==== (at $(( $(date +%s) - run_start )) s)"; }

step "build (RelWithDebInfo, gcc)"
if cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON >/dev/null &&
	ninja -C build; then
	start_e2e
	step "layer check"
	if bash scripts/check-layers.sh build; then passed=$((passed + 1)); else
		failed=$((failed + 1)); failures+=("layer check"); fi
	step "tests (RelWithDebInfo)"
	run_ctest build "plain" -LE "ceph|full"
	# Full stage: the Debian package (tests/dist/deb.test.sh, label full),
	# built from a copy of the tree and installed, run, removed and purged
	# in a clean Debian 12 root: 1.5-3.5 minutes with the root cached for
	# the day, a few more to bootstrap it.
	if [ "${FERRY_FULL:-0}" = 1 ]; then
		step "the Debian package in a clean Debian 12 root"
		run_ctest build "Debian package" -L full
	fi
else
	failed=$((failed + 1)); failures+=("plain build")
fi

e2e_wait() {
	[ -n "$e2e_pid" ] || return 0
	step "end-to-end with the Linux kernel client: its output"
	if wait "$e2e_pid"; then passed=$((passed + 1)); else
		failed=$((failed + 1)); failures+=("kernel-client e2e (log: $e2e_log)"); fi
	cat "$e2e_log"
	e2e_pid=""
	if [ -s "$e2e_pcap" ]; then
		step "protocol analyser: tshark reads the kernel client's delegation run"
		if bash tests/interop/tshark_check.sh --pcap "$e2e_pcap"; then passed=$((passed + 1)); else
			failed=$((failed + 1)); failures+=("tshark check of the kernel-client capture"); fi
	elif [ -x "${KCLIENT:-$top/../shared/e2e/kclient}" ] && [ "${FERRY_E2E_DELEG:-1}" = 1 ] &&
		{ [ -z "${FERRY_E2E_ONLY:-}" ] || [ "$FERRY_E2E_ONLY" = deleg ]; }; then
		echo "test: the kernel-client delegation run left no capture ($e2e_pcap)"
		failed=$((failed + 1)); failures+=("tshark check of the kernel-client capture: no capture")
	fi
}

# The fuzz targets build from here on at the lowest priority (one job):
# the kernel client and the sanitized tests below leave a core idle much
# of the time, and the build takes what they leave.  They run beside the
# CephFS stage.
fuzz_build_pid=""
fuzz_log=$top/build/fuzz-stage.log
if [ "${FUZZ_SECONDS:-60}" != 0 ] && [ -x scripts/fuzz.sh ]; then
	step "fuzz targets: building at the lowest priority (beside what follows)"
	mkdir -p "$top/build"
	# A process group of its own (setsid), so that the run below can
	# raise the priority of what is left of it.
	FUZZ_BUILD_ONLY=1 FUZZ_BUILD_JOBS=1 setsid nice -n 19 bash scripts/fuzz.sh >"$fuzz_log" 2>&1 &
	fuzz_build_pid=$!
fi

# The tests labelled heavy (tests/CMakeLists.txt) run sanitized in the
# full stage only.
sanitized_heavy="|heavy"
[ "${FERRY_FULL:-0}" = 1 ] && sanitized_heavy=""
step "build (ASan+UBSan, clang)"
if cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=ON \
	-DFERRY_SANITIZE=ON -DCMAKE_C_COMPILER=clang >/dev/null && ninja -C build-asan; then
	step "tests (ASan+UBSan)"
	# Three at a time on two cores: they mostly wait on timers and
	# sockets (alone, two at a time: 170 s for about 100 s of CPU).
	ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		CTEST_JOBS=${CTEST_JOBS:-3} \
		run_ctest build-asan "sanitized" -LE "ceph|source|full$sanitized_heavy"
else
	failed=$((failed + 1)); failures+=("sanitized build")
fi
e2e_wait

# Fuzzing runs beside the CephFS stage below, whose tests mostly wait on
# the cluster: the fuzz build (one job) and its run take a core that
# stage leaves idle instead of minutes of their own.  Its output is
# printed when it ends.
fuzz_pid=""
if [ -n "$fuzz_build_pid" ]; then
	step "fuzzing for ${FUZZ_SECONDS:-60} s (beside the CephFS stage; output at its end)"
	# It waits for the early build (scripts/fuzz.sh takes the build
	# directory's lock), which from now on runs at the run's priority,
	# and builds what that left undone; the log goes on after the
	# build's.
	renice -n 5 -g "$fuzz_build_pid" >/dev/null 2>&1 || true
	FUZZ_BUILD_JOBS=1 FUZZ_JOBS=2 nice -n 5 bash scripts/fuzz.sh >>"$fuzz_log" 2>&1 &
	fuzz_pid=$!
fi
fuzz_wait() {
	[ -n "$fuzz_pid" ] || return 0
	step "fuzzing: its output"
	if wait "$fuzz_pid"; then
		grep -vE '^#[0-9]+|^\[[0-9]+/[0-9]+\]' "$fuzz_log" | tail -40
		passed=$((passed + 1))
	else
		tail -80 "$fuzz_log"
		failed=$((failed + 1)); failures+=("fuzz (log: $fuzz_log)")
	fi
	fuzz_pid=""
}

[ -x build/ferryd ] && start_tshark

# CephFS: one throwaway cluster (../shared/ceph/minicephfs) for the stage;
# the tests labelled ceph (tests/CMakeLists.txt) run on it in the plain
# build, then again under the sanitizers: those that cover each part of the
# ceph back end and the cluster state in seconds (about 35 s; the full
# stage runs them all).  FERRY_SKIP_CEPH=1 skips the stage.
minicephfs=${MINICEPHFS:-$top/../shared/ceph/minicephfs}
if [ "${FERRY_SKIP_CEPH:-0}" = 1 ]; then
	echo; echo "test: CephFS stage skipped (FERRY_SKIP_CEPH=1)"
elif [ ! -x "$minicephfs" ]; then
	echo; echo "test: CephFS stage skipped: $minicephfs not found"
	failed=$((failed + 1)); failures+=("CephFS stage: no $minicephfs")
elif [ ! -x build/ferryd ]; then
	failed=$((failed + 1)); failures+=("CephFS stage: no plain build")
else
	step "CephFS: a one-node cluster, and the tests labelled ceph on it"
	cephdir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-ceph-XXXXXX")
	rmdir "$cephdir"
	stop_ceph() { "$minicephfs" stop "$cephdir" >/dev/null 2>&1; rm -rf "$cephdir"; }
	trap stop_ceph EXIT
	ceph_start=$(date +%s)
	if "$minicephfs" start "$cephdir" --lean-mgr >"${TMPDIR:-/tmp}/ferry-minicephfs.log" 2>&1; then
		echo "cluster up in $(( $(date +%s) - ceph_start )) s"
		bash tests/lib/ceph_fence_caps.sh "$cephdir"
		FERRY_TEST_CEPH_CONF=$cephdir/ceph.conf FERRY_TEST_CEPH_ID=ferry \
			run_ctest build "CephFS" -L ceph
		if [ -x build-asan/ferryd ]; then
			ceph_sanitized=(-R "conformance|ceph_clients|cluster_config|cluster_grace|writeback|v41_mixed|ceph_locks|ceph_restart|read_cache")
			[ "${FERRY_FULL:-0}" = 1 ] && ceph_sanitized=()
			FERRY_TEST_CEPH_CONF=$cephdir/ceph.conf FERRY_TEST_CEPH_ID=ferry \
				run_ctest build-asan "CephFS sanitized" -L ceph "${ceph_sanitized[@]}"
		fi
		echo "CephFS stage: $(( $(date +%s) - ceph_start )) s"
	else
		tail -20 "${TMPDIR:-/tmp}/ferry-minicephfs.log"
		failed=$((failed + 1)); failures+=("CephFS stage: the cluster did not start")
	fi
	stop_ceph
	trap - EXIT
fi

tshark_wait
fuzz_wait

# Full stage: the kernel client on a ceph export: one guest boot, with its
# own cluster started in the guest's network namespace (tests/e2e/kclient.sh,
# FERRY_E2E_BACKEND=ceph; about 4-5 minutes); FERRY_E2E_CTHON04=DIR adds
# cthon04 there.  The default run keeps CephFS's own stage above (the
# tests labelled ceph on a real cluster).
if [ "${FERRY_SKIP_CEPH:-0}" != 1 ] && [ "${FERRY_SKIP_E2E:-0}" != 1 ] &&
	[ -x "$minicephfs" ] && [ -x "${KCLIENT:-$top/../shared/e2e/kclient}" ] &&
	[ "${FERRY_FULL:-0}" = 1 ]; then
	step "end-to-end with the Linux kernel client on a ceph export"
	if FERRY_E2E_BACKEND=ceph bash tests/e2e/kclient.sh; then passed=$((passed + 1)); else
		failed=$((failed + 1)); failures+=("kernel-client e2e on a ceph export"); fi
	# Two clustered heads, one killed and taken over under a
	# writing kernel client (a boot per server kind, about 4 min each),
	# with NFS-Ganesha's rados_cluster on the same rig for comparison.
	if [ "${FERRY_FULL:-0}" = 1 ]; then
		step "fail-over between two clustered heads under the kernel client"
		if FERRY_E2E_ONLY=failover bash tests/e2e/kclient.sh; then passed=$((passed + 1)); else
			failed=$((failed + 1)); failures+=("kernel-client fail-over e2e"); fi
	fi
fi

# Fail-over with nobody at the keyboard: three clustered heads in network
# namespaces of their own with keepalived (dist/keepalived), the kernel
# client writing and holding locks through two service addresses
# (tests/e2e/kclient.sh, FERRY_E2E_ONLY=ha).  The default run kills one
# head's ferryd (about 3 minutes with its Ceph cluster and boot); the full
# stage adds a lost node, a paused ferryd, a cut link and a rolling
# restart.
if [ "${FERRY_SKIP_CEPH:-0}" != 1 ] && [ "${FERRY_SKIP_E2E:-0}" != 1 ] &&
	[ -x "$minicephfs" ] && [ -x "${KCLIENT:-$top/../shared/e2e/kclient}" ]; then
	step "fail-over by keepalived between three clustered heads under the kernel client"
	if FERRY_E2E_ONLY=ha bash tests/e2e/kclient.sh; then passed=$((passed + 1)); else
		failed=$((failed + 1)); failures+=("kernel-client HA e2e (keepalived)"); fi
fi



# Power cuts under ferryd in a qemu guest (tests/e2e/powercut.sh): it boots
# the kernel kclient caches, so it needs kclient.  With /dev/kvm it is part
# of the default run; without, the guest runs in TCG (10 cycles took 96 s on
# a 2-core machine, boots of 5-6 s), and it runs in the full stage only, to
# keep the default run within its time.
kclient_path=${KCLIENT:-$top/../shared/e2e/kclient}
if [ "${FERRY_SKIP_POWERCUT:-0}" = 1 ]; then
	echo; echo "test: power-cut test skipped (FERRY_SKIP_POWERCUT=1)"
elif [ ! -x "$kclient_path" ]; then
	echo; echo "test: power-cut test skipped: $kclient_path not found"
elif [ ! -e /dev/kvm ] && [ "${FERRY_FULL:-0}" != 1 ]; then
	echo; echo "test: power-cut test skipped: no /dev/kvm (it runs in TCG in the full stage: FERRY_FULL=1)"
else
	# Five cycles by default (about 11 s each with /dev/kvm), the
	# script's ten in the full stage.
	cuts=5
	[ "${FERRY_FULL:-0}" = 1 ] && cuts=10
	step "power cuts under ferryd in a qemu guest ($cuts cycles)"
	if FERRY_POWERCUT_CYCLES=${FERRY_POWERCUT_CYCLES:-$cuts} bash tests/e2e/powercut.sh; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1)); failures+=("power-cut test"); fi
	# RPC-with-TLS in kernel TLS, ferryd in a guest whose kernel has the
	# tls module, upgraded in place while a client holds its connection
	# (tests/e2e/ktls.sh, without its CPU measurement: 14 s here in TCG;
	# where power cuts run, since the host's own kernel may have no kernel
	# TLS and the connection's hand-over is tested nowhere else).
	step "RPC-with-TLS in kernel TLS, ferryd in a qemu guest, upgraded in place"
	if FERRY_KTLS_BENCH=0 bash tests/e2e/ktls.sh; then passed=$((passed + 1)); else
		failed=$((failed + 1)); failures+=("kernel-TLS test"); fi
fi

echo
echo "test-suite: $(( $(date +%s) - run_start )) s in all"
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "test-suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
