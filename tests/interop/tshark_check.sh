#!/usr/bin/env bash
# A protocol analyser agrees with Ferry: Wireshark's dissectors (tshark)
# read captures of Ferry's traffic, and no frame of an RPC connection may
# carry a malformed-packet or error-level expert item, nor payload that
# does not dissect as RPC or is left over after its RPC message (see
# check_pcap, and dissector_stops there for Wireshark 4.0's known gaps).
#
#   tshark_check.sh [TEST...]       run protocol tests (ctest names; default
#                                   the set below), each in a network
#                                   namespace of its own with dumpcap on its
#                                   loopback, check every capture, then run
#                                   the self-test on one of them
#   tshark_check.sh --pcap FILE...  check captures taken elsewhere (the
#                                   kernel-client run of tests/e2e/kclient.sh;
#                                   FILE.log, dumpcap's, must show no drops)
#   tshark_check.sh --self-test [PCAP]  the self-test alone (on PCAP, or on
#                                   a capture of proto_test_xattr)
#
# RPC connections are found in the capture itself, not by port: a TCP
# connection whose SYN is seen and whose first bytes from the side that
# opened it are an ONC RPC call (record mark, xid, msg_type CALL, rpcvers
# 2).  Their server ports are decoded as RPC (-d tcp.port==P,rpc: the
# protocol tests' ferryd listens on a port the kernel picks, the v4.0
# callback listeners too) and only their frames are checked, so the control
# plane's HTTP stays out.  A check that finds no RPC frame fails.
#
# The self-test corrupts one NFS reply in copies of a capture (its COMPOUND
# claims one result more than it carries; its tag's length runs past the
# record; it claims one result fewer) and fails unless the check reports
# that very frame each time.
#
# Environment: FERRY_BUILD (default build/), FERRY_TSHARK_JOBS (tests
# captured at once, default 2), FERRY_TSHARK_KEEP=DIR keeps the captures.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FERRY_BUILD:-$top/build}

# Protocol tests whose calls are all well formed, chosen to cover: v4.0
# opens, locks, and callbacks dialled out (deleg40); v4.1 sessions and
# the back channel (BACKCHANNEL_CTL, CB_SEQUENCE, CB_RECALL, CB_GETATTR,
# CB_NOTIFY, CB_OFFLOAD, CB_RECALLABLE_OBJ_AVAIL... as the tests reach
# them); v4.2 data ops (ALLOCATE, DEALLOCATE, SEEK, READ_PLUS, CLONE,
# IO_ADVISE) and COPY, COPY_NOTIFY, OFFLOAD_*; extended attributes;
# READDIR with attributes and under a directory delegation; NFSACL's
# GETACL and SETACL (Wireshark's own NFSACL dissector).
# The longest first: two run at a time.
default_tests=(
	proto_test_copy proto_test_dirnotify proto_test_deleg
	proto_test_v40_ops proto_test_v40_state proto_test_deleg40
	proto_test_v41_session proto_test_v42_data proto_test_xattr
	proto_test_readdir_attrs proto_test_dirdeleg_readdirs
	proto_test_v42 proto_test_compound_header nfs3_test_nfsacl
)
# Tests that send undecodable calls on purpose (proto_test_v42 and
# proto_test_v41_session: operations without their arguments, for the
# errors of 4.2 ops in 4.1 or of optional ones; proto_test_compound_header:
# undecodable arguments and operations; nfs3_test_nfsacl: SETACLs cut
# short or over the entry limit): only what ferryd sends, on the
# connections the test opened to it, is checked, since Wireshark rightly
# calls the test's own calls malformed.
server_side_only=" proto_test_v42 proto_test_v41_session proto_test_compound_header nfs3_test_nfsacl "

for tool in tshark dumpcap editcap; do
	if ! command -v $tool >/dev/null; then
		echo "tshark-check: $tool not installed (scripts/deps.sh test)" >&2
		exit 1
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-tshark.XXXXXX")
trap 'rm -rf "$work"' EXIT

# tshark run as root says so on stderr every time; anything else it says
# is kept.
tshark_run() {
	local err
	err=$(mktemp "$work/err.XXXXXX")
	tshark "$@" 2>"$err"
	local rc=$?
	grep -v '^Running as user "root"' "$err" >&2
	rm -f "$err"
	return $rc
}

# Writes "stream<TAB>server port" for each RPC connection of a capture,
# and "$out.syn": the server port of every connection opened.
rpc_streams() { # pcap out
	tshark_run -r "$1" -o tcp.relative_sequence_numbers:TRUE \
		-Y '(tcp.flags.syn == 1 && tcp.flags.ack == 0) || (tcp.len > 0 && tcp.seq < 17)' \
		-T fields -e tcp.stream -e tcp.flags.syn -e tcp.dstport -e tcp.payload |
		awk -F'\t' -v syn="$2.syn" '
			$2 == "1" { srv[$1] = $3; print $3 >syn; next }
			($1 in srv) && $3 == srv[$1] && length(head[$1]) < 32 { head[$1] = head[$1] $4 }
			END {
				close(syn)
				# record mark, xid, then msg_type 0 (CALL) and rpcvers 2
				for (s in srv)
					if (substr(head[s], 17, 16) == "0000000000000002")
						print s "\t" srv[s]
			}' | sort -n >"$2"
}

# Checks one capture; prints what it saw and every bad frame.  Fails when
# a frame of an RPC connection carries a malformed-packet or error-level
# expert item, when its payload is not dissected as RPC or bytes of it are
# left over after the RPC message ("data": a record longer than what it
# says it carries; Wireshark adds no expert item for those), when
# `tshark -z expert,error` reports anything, or when there is no RPC frame
# at all.  With "server", only frames from the side that accepted the
# connection count (and the -z pass, which would see both, is left out).
#
# With "marker", the capture must hold the connection to port 9 that
# capture_test makes last.
check_pcap() { # label pcap [server|both] [marker]
	local label=$1 pcap=$2 side=${3:-both} marker=${4:-} d
	d=$(mktemp -d "$work/check.XXXXXX")
	rpc_streams "$pcap" "$d/all-streams"
	if [ -n "$marker" ] && ! grep -qx 9 "$d/all-streams.syn"; then
		echo "tshark-check: $label: FAIL: the capture lost the test's last packets"
		rm -rf "$d"
		return 1
	fi
	if [ ! -s "$d/all-streams" ]; then
		echo "tshark-check: $label: FAIL: no RPC connection in the capture"
		rm -rf "$d"
		return 1
	fi
	local decode=() p ports
	ports=$(cut -f2 "$d/all-streams" | sort -un | xargs)
	for p in $ports; do decode+=(-d "tcp.port==$p,rpc"); done
	# Only the RPC connections, so that nothing else (say a connection
	# from an ephemeral port that an earlier callback listener had) is
	# decoded as RPC; "map" keeps the frames' numbers in the capture.  The
	# copy numbers its connections in the same order, from 0.
	sort -n "$d/all-streams" | awk -F'\t' '{ print NR - 1 "\t" $2 }' >"$d/streams"
	if ! tshark_run -r "$pcap" -Y "tcp.stream in {$(cut -f1 "$d/all-streams" | paste -sd,)}" \
		-w "$d/rpc.pcapng" -P -T fields -e frame.number >"$d/map" ||
		! tshark_run -r "$d/rpc.pcapng" "${decode[@]}" -T fields -E occurrence=a \
			-e frame.number -e tcp.stream -e tcp.len -e frame.protocols -e _ws.malformed \
			-e _ws.expert.severity -e rpc.msgtyp -e tcp.analysis.retransmission \
			-e tcp.analysis.spurious_retransmission -e tcp.srcport -e nfs.opcode \
			-e nfs.cb.operation -e nfs.open.why_no_delegation -e nfs.open.claim_type \
			-e _ws.expert.message -e _ws.col.Info >"$d/fields"; then
		echo "tshark-check: $label: FAIL: tshark could not read $pcap"
		rm -rf "$d"
		return 1
	fi
	# The expert tap with no display filter, as `tshark -z expert,error`
	# runs it: without a filter tshark dissects without building trees,
	# which can report what the pass above does not.
	local experts=0
	if [ "$side" = both ]; then
		tshark_run -r "$d/rpc.pcapng" "${decode[@]}" -q -z expert,error >"$d/expert"
		experts=$(sed -nE 's/^Errors \(([0-9]+)\).*/\1/p' "$d/expert")
	fi
	awk -F'\t' -v label="$label" -v side="$side" -v ports="$ports" -v experts="${experts:-0}" '
		function last(list,   n, a) { n = split(list, a, ","); return n ? a[n] : "" }
		# Where Wireshark 4.0 stops dissecting a message whose bytes are
		# right and shows the rest as data (each met in the protocol
		# tests; the XDR is that of RFC 8881, sections 18 and 20):
		function dissector_stops() {
			# a COMPOUND of more than 128 operations: it dissects 128,
			# with a note, "Too many operations" (proto_test_v40_ops);
			if ($15 ~ /Too many operations/) return 1
			# GET_DIR_DELEGATION (46) and WANT_DELEGATION (56): it names
			# them and dissects neither arguments nor results;
			if (last($11) == 46 || last($11) == 56) return 1
			# CB_NOTIFY (6) and CB_RECALLABLE_OBJ_AVAIL (9): it names
			# them, and leaves their arguments;
			if (last($12) == 6 || last($12) == 9) return 1
			# OPEN_DELEGATE_NONE_EXT for WND4_CONTENTION (1) or
			# WND4_RESOURCE (2): it leaves out the bool that follows
			# (ond_server_will_push_deleg, ond_server_will_signal_avail);
			if ($13 ~ /(^|,)[12](,|$)/) return 1
			# OPEN by CLAIM_DELEG_CUR_FH (5): it leaves out the
			# delegation stateid, the one argument of that claim.
			if ($14 ~ /(^|,)5(,|$)/) return 1
			return 0
		}
		FILENAME ~ /map$/ { orig[FNR] = $1; next }
		FILENAME ~ /streams$/ { srv[$1] = $2; conns++; next }
		side == "server" && $10 != srv[$2] { next }
		{
			isrpc = $4 ~ /:rpc(:|$)/
			if (isrpc) {
				frames++
				if ($4 ~ /:nfs(:|$)/) nfs++
				n = split($7, t, ",")
				for (i = 1; i <= n; i++) if (t[i] == "0") calls++; else replies++
			}
			why = ""
			if ($5 != "") why = "malformed"
			else if ($6 ~ /(^|,)8388608(,|$)/) why = "error-level expert item"
			else if (isrpc && $4 ~ /:data(:|$)/) {
				if (dissector_stops()) stops++
				else why = "bytes left over after the RPC message"
			}
			# Retransmitted bytes (the kernel retransmits on lo too) are
			# dissected once, in the segment first sent.
			else if ($3 > 0 && !isrpc && $8 == "" && $9 == "" &&
				$16 !~ /TCP segment of a reassembled PDU/)
				why = "payload not dissected as RPC"
			if (why != "") {
				bad++
				if (bad <= 20)
					printf "tshark-check: %s: frame %s (connection %s): %s: %s\n",
						label, orig[$1], $2, why, substr($16, 1, 160)
			}
		}
		END {
			printf "tshark-check: %s: %d RPC frames (%d calls, %d replies; %d frames NFS)%s in %d connections to port(s) %s; %d bad\n",
				label, frames, calls, replies, nfs, side == "server" ? " sent by ferryd" : "",
				conns, ports, bad
			if (stops)
				printf "tshark-check: %s: %d frames where Wireshark stops dissecting before the end (known gaps)\n",
					label, stops
			if (experts > 0)
				printf "tshark-check: %s: tshark -z expert,error reports %d error items\n", label, experts
			if (frames == 0) { printf "tshark-check: %s: FAIL: no RPC frame\n", label; exit 1 }
			exit bad > 0 || experts > 0
		}' "$d/map" "$d/streams" "$d/fields"
	local rc=$?
	if [ $rc -ne 0 ]; then
		[ -s "$d/expert" ] || tshark_run -r "$d/rpc.pcapng" "${decode[@]}" -q -z expert,error >"$d/expert"
		cat "$d/expert"
	fi
	rm -rf "$d"
	return $rc
}

# Runs one ctest test in a network namespace of its own (only its traffic
# on lo) with dumpcap capturing.  dumpcap hands packets over in blocks, so
# a last connection to a closed port marks the end: a capture without it
# lost the test's last packets.
capture_test() { # test-name pcap
	local name=$1 pcap=$2 ns=(unshare -n)
	[ "$(id -u)" -eq 0 ] || ns=(unshare -r -n)
	"${ns[@]}" bash -c '
		ip link set lo up || exit 1
		dumpcap -q -i lo -f tcp -B 64 -w "$1" 2>"$1.dumpcap" &
		dp=$!
		for i in $(seq 200); do [ -s "$1" ] && break; sleep 0.05; done
		(cd "$3" && ctest -R "^$2\$" --output-on-failure) >"$1.log" 2>&1
		rc=$?
		(exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null
		sleep 0.5
		kill -INT $dp
		wait $dp
		exit $rc' _ "$pcap" "$name" "$build"
}

# Fails when dumpcap's log says it dropped packets.
dropped() { # label dumpcap-log
	local n
	n=$(sed -nE 's|.*received/dropped.*: [0-9]+/([0-9]+) .*|\1|p' "$2")
	[ "${n:-0}" = 0 ] && return 0
	echo "tshark-check: $1: FAIL: dumpcap dropped $n packets"
	return 1
}

elapsed() { # label start-in-microseconds
	local us=$((${EPOCHREALTIME/./} - $2))
	printf 'tshark-check: %s: %d.%d s\n' "$1" $((us / 1000000)) $((us / 100000 % 10))
}

# Captures and checks one test; the output goes to $pcap.out.
run_one() { # test-name pcap
	local t=$1 pcap=$2 start rc=0 side=both
	start=${EPOCHREALTIME/./}
	{
		if ! capture_test "$t" "$pcap"; then
			echo "tshark-check: $t: FAIL: the test failed under capture; its log:"
			tail -30 "$pcap.log"
			rc=1
		fi
		dropped "$t" "$pcap.dumpcap" || rc=1
		case $server_side_only in *" $t "*) side=server ;; esac
		check_pcap "$t" "$pcap" $side marker || rc=1
		elapsed "$t" "$start"
	} >"$pcap.out" 2>&1
	echo $rc >"$pcap.rc"
}

# Corrupts one byte of frame $2 at offset $3 of a capture: adds $4 to it.
patch_frame() { # pcap(pcap format) frame offset add
	local pcap=$1 frame=$2 off=$3 add=$4 pos byte
	# a pcap file: a 24-byte header, then a 16-byte header per record
	pos=$(tshark_run -r "$pcap" -T fields -e frame.cap_len |
		awk -v k="$frame" -v off="$off" '
			NR < k { o += 16 + $1 } END { print 24 + o + 16 + off }')
	byte=$(od -An -tu1 -j "$pos" -N1 "$pcap" | tr -d ' ')
	printf "\\$(printf %03o $(((byte + add) & 255)))" |
		dd of="$pcap" bs=1 seek="$pos" conv=notrunc status=none
}

# The check must fail on a corrupted reply, and name it: three copies of
# a capture, each with one byte of one NFS reply changed.
self_test() { # pcap
	local src=$1 d decode=() p frame pos taglen_pos rc=0
	d=$(mktemp -d "$work/self.XXXXXX")
	editcap -F pcap "$src" "$d/clean.pcap" || return 1
	rpc_streams "$d/clean.pcap" "$d/streams"
	for p in $(cut -f2 "$d/streams" | sort -un); do decode+=(-d "tcp.port==$p,rpc"); done
	# An NFS reply alone in a segment of its own, with two results or more:
	# the positions of its status and of its count of results.
	read -r frame taglen_pos pos < <(tshark_run -r "$d/clean.pcap" "${decode[@]}" \
		-Y 'rpc.msgtyp == 1 && nfs.ops.count >= 2 && !tcp.segments && count(rpc.xid) == 1' \
		-T pdml | awk '
			function attr(a) { match($0, a "=\"[0-9]+\""); return substr($0, RSTART + length(a) + 2, RLENGTH - length(a) - 3) }
			/<packet>/ { f = ""; st = "" }
			/<field name="num"/ && f == "" { f = attr("show") }
			/<field name="nfs.nfsstat4"/ && st == "" { st = attr("pos") }
			/<field name="nfs.ops.count"/ { print f, st + 4, attr("pos"); exit }')
	if [ -z "${frame:-}" ]; then
		echo "tshark-check: self-test: FAIL: no NFS reply to corrupt in $src"
		rm -rf "$d"
		return 1
	fi
	# count: the COMPOUND claims one more result than it carries;
	# tag: the tag's length (after the status) runs past the record;
	# short: the COMPOUND claims one result fewer than it carries, so
	# bytes are left over (Wireshark itself has no expert item for that).
	cp "$d/clean.pcap" "$d/count.pcap"
	patch_frame "$d/count.pcap" "$frame" $((pos + 3)) 1
	cp "$d/clean.pcap" "$d/tag.pcap"
	patch_frame "$d/tag.pcap" "$frame" "$taglen_pos" 1
	cp "$d/clean.pcap" "$d/short.pcap"
	patch_frame "$d/short.pcap" "$frame" $((pos + 3)) -1
	local kind want crc
	for kind in count tag short; do
		want=malformed
		[ $kind = short ] && want="bytes left over"
		check_pcap "self-test ($kind)" "$d/$kind.pcap" >"$d/$kind.out" 2>&1
		crc=$?
		sed 's/^/    /' "$d/$kind.out"
		if [ $crc -ne 0 ] && grep -q "frame $frame (connection [0-9]*): $want" "$d/$kind.out"; then
			echo "tshark-check: self-test: PASS: the corrupted reply (frame $frame, $kind) is reported"
		else
			echo "tshark-check: self-test: FAIL: the corrupted reply (frame $frame, $kind) went unreported"
			rc=1
		fi
	done
	# And the uncorrupted copy passes, so the failures above are the byte's.
	if ! check_pcap "self-test (clean copy)" "$d/clean.pcap" >"$d/clean.out" 2>&1; then
		cat "$d/clean.out"
		echo "tshark-check: self-test: FAIL: the uncorrupted copy does not pass"
		rc=1
	fi
	rm -rf "$d"
	return $rc
}

mode=tests
case "${1:-}" in
--pcap) mode=pcap; shift ;;
--self-test) mode=self; shift ;;
-h | --help) sed -n '2,31p' "$0"; exit 0 ;;
esac

failed=0
case $mode in
pcap)
	[ $# -gt 0 ] || { echo "usage: $0 --pcap FILE..." >&2; exit 2; }
	for f in "$@"; do
		# dumpcap's log beside the capture, as kclient.sh leaves it
		[ -f "$f.log" ] && { dropped "$(basename "$f")" "$f.log" || failed=1; }
		check_pcap "$(basename "$f")" "$f" || failed=1
	done
	;;
self)
	pcap=${1:-}
	if [ -z "$pcap" ]; then
		pcap=$work/proto_test_xattr.pcapng
		run_one proto_test_xattr "$pcap"
		cat "$pcap.out"
	fi
	self_test "$pcap" || failed=1
	;;
tests)
	[ $# -gt 0 ] || set -- "${default_tests[@]}"
	jobs=${FERRY_TSHARK_JOBS:-2}
	start=${EPOCHREALTIME/./}
	for t in "$@"; do
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
		run_one "$t" "$work/$t.pcapng" &
	done
	wait
	total=0
	for t in "$@"; do
		cat "$work/$t.pcapng.out"
		[ "$(cat "$work/$t.pcapng.rc" 2>/dev/null)" = 0 ] || failed=1
		n=$(sed -nE 's/.*: ([0-9]+) RPC frames.*/\1/p' "$work/$t.pcapng.out")
		total=$((total + ${n:-0}))
	done
	# The self-test corrupts a capture of the run, the first test's.
	self_test "$work/$1.pcapng" || failed=1
	echo "tshark-check: $# tests, $total RPC frames checked;" \
		"$([ $failed = 0 ] && echo PASS || echo FAIL)"
	elapsed "all" "$start"
	;;
esac
if [ -n "${FERRY_TSHARK_KEEP:-}" ]; then
	mkdir -p "$FERRY_TSHARK_KEEP" && cp "$work"/*.pcapng* "$FERRY_TSHARK_KEEP"/ 2>/dev/null
fi
exit $failed
