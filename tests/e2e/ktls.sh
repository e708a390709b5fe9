#!/usr/bin/env bash
# End-to-end: ferryd's RPC-with-TLS over kernel TLS (kTLS).
#
# When the kernel has the "tls" upper-layer protocol, OpenSSL hands a
# connection's keys to the socket after the TLS 1.3 handshake
# (SSL_OP_ENABLE_KTLS), and ferryd then writes replies with writev and
# splices large READ data file -> pipe -> socket, the kernel encrypting.
# Hosts whose kernel has no tls module never take that path, so this test
# runs ferryd inside a qemu guest whose kernel has it: the kernel that
# `kclient --setup-only` caches (tests/e2e/qemu_guest.sh boots it, as for
# tests/e2e/powercut.sh), with tls.ko and the kernel's AEAD ciphers loaded
# from the same kernel package (with what they depend on, from its
# modules.dep).  ferryd exports a tmpfs and has a [tls] section whose
# certificate comes from a throwaway CA the script makes with openssl in
# its work directory (the server's subjectAltName is IP:127.0.0.1); its
# NFS port and its control plane are forwarded to 127.0.0.1 (qemu
# user-mode networking with restrict=on: nothing leaves the host's
# loopback).
#
# From the host, build/tests/ktls_client (tests/e2e/ktls_client.c) opens
# one RPC-with-TLS connection (the AUTH_TLS probe, TLS 1.3, the server's
# certificate verified against the CA), writes FERRY_KTLS_MIB MiB in 1 MiB
# WRITEs, COMMITs, reads the file back with READs of 1 MiB and compares
# every byte; before the data and after it, it holds the connection open
# while the test reads GET /api/v1/connections and /metrics from the
# guest's ferryd (the API is not on the guest's loopback: the script gives
# ferryd a control token of its own).  It passes when
#   (a) the TLS connection's "tls" object says "ktls_send": true and
#       "ktls_recv": true (and ferry_tls_connections{transport="ktls"}
#       counts it);
#   (b) the data read back identical, and ferryd spliced the READ data
#       (ferry_rpc_spliced_reply_bytes_total grew by at least the file's
#       size: under user-space TLS ferryd splices nothing, since the
#       bytes would leave unencrypted) and the WRITE data in
#       (ferry_rpc_splice_in_bytes_total grew by at least half of it);
#   and the connection still serves a call after the look;
#   (c) unless FERRY_KTLS_UPGRADE=0, between (a) and (b): ferryd upgraded
#       in place (POST /api/v1/upgrade, the same binary) while the client
#       holds its connection, which goes over in kernel TLS (the answer's
#       "tls_closed" is 0, and the new ferryd's /api/v1/connections has it
#       with "ktls_send" and "ktls_recv" true): the data of (b) then goes
#       through the new ferryd on that same connection.
#
# The client's calls wait 5 s for their reply: one that gets none (ferryd
# stopped reading the connection, say) is a FAIL with the guest's view of
# the connection's queues.
#
# Then, unless FERRY_KTLS_BENCH=0, it measures in the same boot with
# ferry-bench (when it has --tls): read1m and write1m, plain TCP and TLS,
# one connection each, and ferryd's CPU per op: the guest's /metrics is
# read every second during a run (process_cpu_seconds_total, the
# ferry_nfs_ops_total of READ or WRITE), and the CPU and ops counted over
# the run's steady part (the data file's set-up, the ramp and the end left
# out); then the ratio TLS / plain.  Whether the guest ran under KVM or
# TCG is said with it: under TCG every guest instruction is emulated, the
# AES-NI ones among them, so the figures are the emulator's, not a
# machine's.  (This host's KVM is PVM, which cannot boot a stock kernel:
# auto takes TCG there, as kclient does.)
#
# Last line: "ktls: PASS" or "ktls: FAIL: <reason>".  Exit status 0 on
# PASS, 1 on FAIL, 2 on an infrastructure failure (the guest did not boot,
# the tls module did not load, ferryd did not start, a tool is missing or
# failed), with a message saying which.
#
# Needs root (the client binds a reserved port; kclient's set-up).
# Environment: FERRY_BUILD (default build), FERRYD (default
# $FERRY_BUILD/ferryd), FERRY_KTLS_CLIENT (default
# $FERRY_BUILD/tests/ktls_client), FERRY_BENCH (default
# $FERRY_BUILD/ferry-bench), KCLIENT (default ../shared/e2e/kclient),
# OPENSSL (default openssl), FERRY_KTLS_MIB (the file written and read
# back, default 8), FERRY_KTLS_ACCEL (auto, kvm or tcg; default auto),
# FERRY_KTLS_BOOT_TIMEOUT (seconds from qemu's start to ferryd listening,
# default 180), FERRY_KTLS_BENCH (1: measure, the default; 0: do not),
# FERRY_KTLS_BENCH_SECONDS (each run, default 8), FERRY_KTLS_BENCH_INFLIGHT
# (default 16), FERRY_KTLS_KEEP=1 keeps the work directory (the console,
# the certificates, the API answers, the bench results) and prints where.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/qemu_guest.sh
. "$top/tests/e2e/qemu_guest.sh"
build=${FERRY_BUILD:-$top/build}
kclient=${KCLIENT:-$top/../shared/e2e/kclient}
ferryd=${FERRYD:-$build/ferryd}
client=${FERRY_KTLS_CLIENT:-$build/tests/ktls_client}
bench=${FERRY_BENCH:-$build/ferry-bench}
openssl=${OPENSSL:-openssl}
mib=${FERRY_KTLS_MIB:-8}
accel=${FERRY_KTLS_ACCEL:-auto}
boot_timeout=${FERRY_KTLS_BOOT_TIMEOUT:-180}
do_bench=${FERRY_KTLS_BENCH:-1}
upgrade=${FERRY_KTLS_UPGRADE:-1}
bench_s=${FERRY_KTLS_BENCH_SECONDS:-8}
bench_inflight=${FERRY_KTLS_BENCH_INFLIGHT:-16}

log() { echo "ktls: $*"; }
infra() {
	echo "ktls: INFRASTRUCTURE FAILURE: $*" >&2
	exit 2
}

for n in "$mib" "$boot_timeout" "$bench_s" "$bench_inflight"; do
	[[ $n =~ ^[0-9]+$ ]] && ((n > 0)) || infra "not a positive number: '$n' (FERRY_KTLS_*)"
done
((mib <= 256)) || infra "FERRY_KTLS_MIB must be at most 256 (the guest's tmpfs)"
[ -x "$ferryd" ] || infra "$ferryd not built"
[ -x "$client" ] || infra "$client not built (cmake -DBUILD_TESTING=ON)"
[ "$(id -u)" = 0 ] || infra "must run as root (the client binds a reserved port; kclient's set-up)"
for tool in "$openssl" curl jq awk; do
	command -v "$tool" >/dev/null || infra "$tool not found"
done
qg_pick_accel "$accel" || infra "FERRY_KTLS_ACCEL must be auto, kvm or tcg"

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-ktls.XXXXXX")
client_pid=""
bench_pid=""
cleanup() {
	local rc=$?
	trap - EXIT
	# Only what this script started, by pid.
	if [ -n "$client_pid" ]; then kill -KILL "$client_pid" 2>/dev/null || true; fi
	if [ -n "$bench_pid" ]; then kill -KILL "$bench_pid" 2>/dev/null || true; fi
	if [ -n "$qg_pid" ]; then kill -KILL "$qg_pid" 2>/dev/null || true; fi
	exec 7>&- 2>/dev/null || true
	wait 2>/dev/null || true
	if [ "${FERRY_KTLS_KEEP:-0}" = 1 ]; then
		echo "ktls: work directory kept: $work"
	else
		rm -rf "$work"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'echo "ktls: interrupted" >&2; exit 130' INT
trap 'echo "ktls: terminated" >&2; exit 143' TERM

t_start=$SECONDS

# --- throwaway keys: a CA and the server's certificate (IP:127.0.0.1)
pki=$work/pki
mkdir -p "$pki"
cat >"$pki/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = ferry-ktls-test
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
{
	"$openssl" req -x509 -config "$pki/openssl.cnf" -extensions ca_ext -newkey ec \
		-pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pki/ca.key" -out "$pki/ca.pem" \
		-days 2 -subj /CN=ferry-ktls-test-ca &&
		"$openssl" req -new -config "$pki/openssl.cnf" -newkey ec \
			-pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pki/server.key" \
			-out "$pki/server.csr" -subj /CN=ferry-ktls-server &&
		"$openssl" x509 -req -in "$pki/server.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
			-CAcreateserial -days 2 -extfile "$pki/openssl.cnf" -extensions server_ext \
			-out "$pki/server.pem" &&
		"$openssl" verify -CAfile "$pki/ca.pem" "$pki/server.pem"
} >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log" >&2; infra "openssl could not make the keys"; }
chmod 600 "$pki"/*.key

# --- the guest: kclient's kernel, tls.ko and its ciphers, ferryd, init
qg_kernel "$kclient"
root=$work/root
g=$root/ktls
mkdir -p "$g"
qg_modules_begin
for m in virtio_pci virtio_net virtio_rng tls; do
	qg_add_module "$g" "$m"
done
# The AEADs kTLS asks the crypto API for (gcm(aes), ccm(aes),
# rfc7539(chacha20,poly1305)) and their accelerated parts: whichever are
# modules in this kernel (built in otherwise).
for m in aesni_intel ghash_clmulni_intel ghash_generic gcm ccm chacha_x86_64 poly1305_x86_64 \
	chacha20poly1305; do
	qg_add_module "$g" "$m" optional
done
qg_modules_end
qg_add_ferryd "$g" "$ferryd"
cp "$pki/server.pem" "$pki/server.key" "$g/"
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "$token" >"$g/control.token"
chmod 600 "$g/control.token" "$g/server.key"
cat >"$g/ferryd.conf" <<'CONF'
[server]
listen = 0.0.0.0:2049
state_dir = /run/ferry
rpcbind = no
log_level = info

[nfs]
grace_time = 0

[control]
listen = 0.0.0.0:9590
token_file = /ktls/control.token

[tls]
cert = /ktls/server.pem
key = /ktls/server.key

[export ktls]
path = /srv/export
pseudo = /export
squash = none
# qemu's user-mode network hands the connection on from a port of its own.
secure = no
CONF

cat >"$root/ktls-init" <<'INIT'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /tmp /run /srv
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs -o size=768m tmpfs /srv
up() { cut -d' ' -f1 /proc/uptime; }
fail() {
	echo "KTLS FAIL $*"
	poweroff -f
	sleep 60
}
echo "KTLS INIT uptime=$(up)s kernel=$(uname -r)"
for m in $(cat /ktls/modules); do
	insmod "/ktls/mods/$m" 2>/tmp/insmod.err ||
		grep -q 'File exists' /tmp/insmod.err ||
		echo "KTLS WARNING insmod $m: $(cat /tmp/insmod.err)"
done
echo "KTLS MODULES $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
echo "KTLS ULP $(cat /proc/sys/net/ipv4/tcp_available_ulp)"
grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp || fail "no tls ULP after loading tls.ko"
mkdir -p /srv/export /run/ferry
ip link set lo up
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /sys/class/net/eth0 ] || fail "no network interface"
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
LD_LIBRARY_PATH=/ktls/lib /ktls/ferryd --config /ktls/ferryd.conf &
pid=$!
echo "KTLS FERRYD pid=$pid"
# 0.0.0.0:2049 and 0.0.0.0:9590 listening (state 0A) in /proc/net/tcp
i=0
while ! grep -q ': 00000000:0801 00000000:0000 0A' /proc/net/tcp ||
	! grep -q ': 00000000:2576 00000000:0000 0A' /proc/net/tcp; do
	kill -0 $pid 2>/dev/null || break
	i=$((i + 1))
	[ $i -gt 600 ] && fail "ferryd did not listen within 60 s"
	sleep 0.1
done
kill -0 $pid 2>/dev/null && echo "KTLS READY uptime=$(up)s"
# The kernel's TLS counters whenever they change, and the send and
# receive queues of ferryd's NFS connections when they change and are not
# empty (bytes that wait on a connection): what the host reads of the
# kernel's side.
(
	last=""
	lastq=""
	while :; do
		s=$(tr -s ' \n' ' ' </proc/net/tls_stat 2>/dev/null)
		[ "$s" != "$last" ] && echo "KTLS TLS_STAT $s"
		last=$s
		q=$(awk '$2 ~ /:0801$/ && $4 == "01" && $5 != "00000000:00000000" { printf "%s tx:rx=%s ", $3, $5 }' /proc/net/tcp)
		[ -n "$q" ] && [ "$q" != "$lastq" ] && echo "KTLS QUEUES uptime=$(up)s $q"
		lastq=$q
		sleep 1
	done
) &
wait $pid
st=$?
# Status 0: it handed over to the ferryd an upgrade started (its child,
# ours once it exited), which serves on: followed until it is gone too.
ferryd_running() {
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = ferryd ] && return 0
	done
	return 1
}
if [ $st = 0 ]; then
	echo "KTLS FERRYD handed over (upgrade)"
	while ferryd_running; do sleep 0.5; done
fi
dmesg | grep -i tls | sed 's/^/KTLS KERNEL /'
fail "ferryd exited with status $st"
INIT
chmod 755 "$root/ktls-init"
qg_initrd "$root" "$work/initrd"
rm -rf "$root"

# --- boot
nport=$(qg_free_port) || infra "no free port on 127.0.0.1"
cport=$(qg_free_port) || infra "no free port on 127.0.0.1"
[ "$nport" != "$cport" ] || cport=$(qg_free_port) || infra "no free port on 127.0.0.1"
con=$work/console.log
t0=$SECONDS
qg_start ferry-ktls "$con" "$work/qemu.out" /ktls-init 1024 \
	"hostfwd=tcp:127.0.0.1:$nport-:2049,hostfwd=tcp:127.0.0.1:$cport-:9590"
qg_wait KTLS "$con" "$work/qemu.out" "$boot_timeout" boot
kver=$qg_kver
log "guest: kernel $kver under $qg_accel ($(if [ "$qg_accel" = kvm ]; then echo KVM; else echo "TCG, emulated"; fi)), ferryd listening after $((SECONDS - t0)) s;" \
	"NFS 127.0.0.1:$nport, control 127.0.0.1:$cport"
grep -a '^KTLS WARNING' "$con" | tr -d '\r' | sed 's/^/ktls: guest: /' || true
log "guest: $(grep -a -m1 '^KTLS ULP' "$con" | tr -d '\r' | sed 's/^KTLS ULP /tcp_available_ulp: /')"

ctl() { # PATH: GET from the guest's control plane (not loopback there: the token)
	curl -sS --max-time 10 -H "Authorization: Bearer $token" "http://127.0.0.1:$cport$1"
}
metric() { # FILE SERIES: the value of SERIES in a /metrics page, or empty
	awk -v s="$2" '$1 == s { print $2; exit }' "$1"
}
growth() { # SERIES: how much it grew from metrics.0 to metrics.2 (missing: 0)
	local a b
	a=$(metric "$work/metrics.0" "$1")
	b=$(metric "$work/metrics.2" "$1")
	awk -v a="${a:-0}" -v b="${b:-0}" 'BEGIN { printf "%.0f", b - a }'
}
ctl /metrics >"$work/metrics.0" || infra "cannot read /metrics from the guest's ferryd"
[ -n "$(metric "$work/metrics.0" ferry_rpc_spliced_reply_bytes_total)" ] ||
	infra "no ferry_rpc_spliced_reply_bytes_total in /metrics"
[ "$(metric "$work/metrics.0" ferry_tls_enabled)" = 1 ] ||
	infra "ferryd in the guest has no TLS ([tls] section not taken; console: $con)"

# --- (a) and (b): one TLS connection, a look at it, data through it, a look
mkfifo "$work/hold"
"$client" --server "127.0.0.1:$nport" --ca "$pki/ca.pem" --mib "$mib" <"$work/hold" \
	>"$work/client.out" 2>&1 &
client_pid=$!
exec 7>"$work/hold"
# wait_client WHAT LINE: until the client prints LINE; 1 when it ended first.
wait_client() {
	local t0=$SECONDS
	until grep -q "^$2" "$work/client.out"; do
		kill -0 "$client_pid" 2>/dev/null || return 1
		((SECONDS - t0 < 180)) || infra "the TLS client did not get to $1 within 180 s"
		sleep 0.1
	done
}
# The guest's view of ferryd's NFS connections: their queues (bytes the
# kernel holds for ferryd to read) as the console last said.
guest_queues() {
	local q
	q=$(grep -a '^KTLS QUEUES' "$con" | tail -1 | tr -d '\r' | sed 's/^KTLS QUEUES //') || true
	echo "${q:-all empty}"
}
fails=()
# look N: ferryd's connections and metrics while the client holds.
look() {
	ctl /api/v1/connections >"$work/connections.$1.json" || infra "cannot read /api/v1/connections"
	ctl /metrics >"$work/metrics.$1" || infra "cannot read /metrics"
	jq -e . "$work/connections.$1.json" >/dev/null 2>&1 ||
		infra "/api/v1/connections is not JSON: $(head -c 300 "$work/connections.$1.json")"
}
wait_client "its session" 'KTLS_CLIENT HOLD 1' || {
	sed 's/^/ktls: client: /' "$work/client.out" >&2
	infra "the TLS client got no session: $(grep -m1 '^KTLS_CLIENT ERROR' "$work/client.out" || echo "see above")"
}
look 1
tls_field() { # FILE FIELD: the field of the one TLS connection's "tls" object
	jq -r "[.connections[] | select(.tls != null) | .tls.$2 | tostring] | first // \"(none)\"" "$1"
}
# (c) an in-place upgrade while the client holds its connection: in kernel
# TLS the session lives in the socket, which goes over to the new ferryd
# like a plain one (its data then goes through the new ferryd, in (b)).
if [ "$upgrade" = 1 ]; then
	curl -sS --max-time 60 -X POST -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' -d '{}' \
		"http://127.0.0.1:$cport/api/v1/upgrade" >"$work/upgrade.json" ||
		infra "cannot POST /api/v1/upgrade to the guest's ferryd"
	log "(c) upgrade: $(tr -d '\n' <"$work/upgrade.json")"
	look 1u
	# The new ferryd's counters start at 0: (b) counts from here.
	cp "$work/metrics.1u" "$work/metrics.0"
	up_tls=$(jq '[.connections[] | select(.tls != null)] | length' "$work/connections.1u.json")
	log "(c) the new ferryd's connections: $up_tls in TLS," \
		"\"ktls_send\": $(tls_field "$work/connections.1u.json" ktls_send)," \
		"\"ktls_recv\": $(tls_field "$work/connections.1u.json" ktls_recv)"
	if ! jq -e '.pid > 0 and .tls_closed == 0' "$work/upgrade.json" >/dev/null 2>&1; then
		fails+=("the upgrade did not hand the TLS connection over: $(tr -d '\n' <"$work/upgrade.json")")
	elif [ "$up_tls" != 1 ] || [ "$(tls_field "$work/connections.1u.json" ktls_send)" != true ] ||
		[ "$(tls_field "$work/connections.1u.json" ktls_recv)" != true ]; then
		fails+=("after the upgrade the new ferryd has $up_tls TLS connection(s), not the one in kernel TLS")
	fi
fi
echo >&7
ntls=$(jq '[.connections[] | select(.tls != null)] | length' "$work/connections.1.json")
log "(a) /api/v1/connections: $(jq -c '.connections | length' "$work/connections.1.json") connection(s), $ntls in TLS"
jq -c '.connections[] | select(.tls != null) | {peer, transport, tls}' "$work/connections.1.json" |
	sed 's/^/ktls:     /'
ktls_send=$(tls_field "$work/connections.1.json" ktls_send)
ktls_recv=$(tls_field "$work/connections.1.json" ktls_recv)
gauge=$(grep -F 'ferry_tls_connections{transport="ktls"}' "$work/metrics.1" | awk '{ print $2 }')
log "(a) \"ktls_send\": $ktls_send, \"ktls_recv\": $ktls_recv; ferry_tls_connections{transport=\"ktls\"} $gauge"
if [ "$ntls" != 1 ]; then
	fails+=("$ntls TLS connections open while the client held its one")
elif [ "$ktls_send" != true ]; then
	fails+=("\"ktls_send\": $ktls_send for the TLS connection (OpenSSL did not hand the keys to the kernel; guest: $(grep -a '^KTLS TLS_STAT' "$con" | tail -1 | tr -d '\r' || echo 'no tls_stat'))")
elif [ "$ktls_recv" != true ]; then
	fails+=("\"ktls_recv\": $ktls_recv for the TLS connection (ferryd did not hand the receiving side to the kernel)")
elif [ "$gauge" != 1 ]; then
	fails+=("ferry_tls_connections{transport=\"ktls\"} is '$gauge', not 1")
fi

held=1
if wait_client "the end of its data" 'KTLS_CLIENT HOLD 2'; then
	look 2
else
	held=0
	sleep 1.2 # the console's next look at the queues
fi
exec 7>&-
rc=0
wait "$client_pid" || rc=$?
client_pid=""
sed 's/^/ktls: client: /' "$work/client.out" | grep -v '^ktls: client: \[' || true
if [ $held = 0 ] && [ $rc = 4 ]; then
	fails+=("$(grep -m1 '^KTLS_CLIENT ERROR' "$work/client.out" | sed 's/^KTLS_CLIENT ERROR //' || true)\
 (the guest's queues of ferryd's NFS connections, bytes in hex, last change: $(guest_queues))")
elif [ $held = 0 ] || ((rc > 1)); then
	infra "the TLS client failed (exit $rc)"
else
	spliced=$(growth ferry_rpc_spliced_reply_bytes_total)
	readline=$(grep -m1 '^KTLS_CLIENT READ ' "$work/client.out" || true)
	log "(b) $mib MiB written and read back in 1 MiB READs: ${readline#KTLS_CLIENT READ }"
	log "(b) ferry_rpc_spliced_reply_bytes_total grew by $spliced bytes (file $((mib << 20)));" \
		"\"ktls_send\" still $(tls_field "$work/connections.2.json" ktls_send)"
	if [ -z "$readline" ]; then
		fails+=("the client read nothing back")
	elif [ "$rc" = 1 ] || ! grep -q ' mismatched=0 ' <<<"$readline"; then
		fails+=("the data read back differs: ${readline#KTLS_CLIENT READ }")
	elif ! grep -q "^KTLS_CLIENT READ bytes=$((mib << 20)) reads=$mib full_reads=$mib " <<<"$readline" &&
		! grep -q "^KTLS_CLIENT READ bytes=$((mib << 20)) reads=$((mib + 1)) full_reads=$mib " <<<"$readline"; then
		fails+=("READs of 1 MiB came back short: ${readline#KTLS_CLIENT READ }")
	fi
	if [ "$spliced" -lt $((mib << 20)) ]; then
		fails+=("ferryd spliced $spliced bytes of READ data, less than the file's $((mib << 20))")
	fi
	# The WRITEs' data, decrypted by the kernel, spliced from the socket
	# into pipes (all but a first few KiB of each 1 MiB WRITE, as a rule).
	# A WRITE whose pipe fills before its size (each TLS record the
	# kernel decrypts takes a slot of its own) has its rest read into
	# memory, a fallback that is counted: under an emulated CPU, how many
	# do depends on how the records arrive (one run in many spliced 3 of
	# the 8 MiB). What must hold is that the path works: at least one
	# WRITE's data went through it.
	splicein=$(growth ferry_rpc_splice_in_bytes_total)
	fallbacks=$(growth ferry_rpc_splice_in_fallbacks_total)
	log "(b) ferry_rpc_splice_in_bytes_total grew by $splicein bytes (WRITE data spliced in)," \
		"ferry_rpc_splice_in_fallbacks_total by $fallbacks"
	if [ "$splicein" -lt $(((1 << 20) - (64 << 10))) ]; then
		fails+=("ferryd spliced $splicein bytes of WRITE data in, less than one 1 MiB WRITE's ($fallbacks fallbacks)")
	fi
	grep -q '^KTLS_CLIENT DONE' "$work/client.out" ||
		fails+=("the TLS connection did not serve a call after the look")
fi
# The kernel's side: its kTLS counters (6.1: TlsCurrTxSw, TlsTxSw, ...).
sleep 1.2
log "guest kernel: $(grep -a '^KTLS TLS_STAT' "$con" | tail -1 | tr -d '\r' | sed 's/^KTLS TLS_STAT /\/proc\/net\/tls_stat: /')"

# --- (d) server CPU per op, TLS (kernel TLS) against plain TCP
# sample FILE: one line "time cpu_s READs WRITEs ktls_connections" from
# one scrape of the guest's /metrics.
sample() {
	ctl /metrics >"$work/m.sample" || infra "cannot read /metrics"
	awk -v t="$(date +%s.%N)" '
		$1 == "process_cpu_seconds_total" { c = $2 }
		$1 == "ferry_nfs_ops_total{op=\"READ\",minor=\"1\"}" { r = $2 }
		$1 == "ferry_nfs_ops_total{op=\"WRITE\",minor=\"1\"}" { w = $2 }
		$1 == "ferry_tls_connections{transport=\"ktls\"}" { k = $2 }
		END { if (c == "") exit 1; print t, c, r + 0, w + 0, k + 0 }' "$work/m.sample" >>"$1" ||
		infra "no process_cpu_seconds_total in /metrics"
}
# A run's CPU per op from its samples, over the steady part: from the
# second sample after the workload's op began to count (the data file's
# set-up and the ramp left out) to the last one with the run still going
# (its end left out).  Prints "ops cpu_s us_per_op seconds max_ktls_conns".
steady() { # FILE COLUMN (3: READ, 4: WRITE)
	awk -v col="$2" '{ t[NR] = $1; c[NR] = $2; o[NR] = $col; k[NR] = $5 }
		END {
			n = NR; a = 0; b = 0; km = 0
			for (i = 1; i <= n; i++) if (k[i] > km) km = k[i]
			for (i = 2; i <= n; i++) if (o[i] > o[1]) { a = i; break }
			for (i = n - 1; i >= 1; i--) if (o[i + 1] > o[i]) { b = i; break }
			s = a + 1
			if (!a || b - s < 2) { s = 1; b = n } # too short: the whole run
			ops = o[b] - o[s]; cpu = c[b] - c[s]
			printf "%d %.3f %.1f %.1f %d\n", ops, cpu, ops ? cpu * 1e6 / ops : 0, t[b] - t[s], km
		}' "$1"
}
bench_runs() {
	local wl mode json samples col
	local -a extra
	for wl in read1m write1m; do
		col=3
		[ "$wl" = write1m ] && col=4
		for mode in plain tls; do
			extra=()
			[ "$mode" = tls ] && extra=(--tls --tls-ca "$pki/ca.pem")
			json=$work/bench.$wl.$mode.json
			samples=$work/samples.$wl.$mode
			: >"$samples"
			sample "$samples"
			"$bench" --server "127.0.0.1:$nport" --workload "$wl" --duration "$bench_s" \
				--file-size 16M --inflight "$bench_inflight" --json "${extra[@]}" \
				>"$json" 2>"$work/bench.$wl.$mode.err" &
			bench_pid=$!
			while kill -0 "$bench_pid" 2>/dev/null; do
				sleep 1
				sample "$samples"
			done
			rc=0
			wait "$bench_pid" || rc=$?
			bench_pid=""
			sample "$samples"
			if [ $rc -ne 0 ] || ! jq -e '.status' "$json" >/dev/null 2>&1; then
				cat "$work/bench.$wl.$mode.err" "$json" >&2
				infra "ferry-bench $wl ($mode) failed (exit $rc)"
			fi
			echo "$wl $mode $(steady "$samples" $col) $(jq -r '.mb_per_s' "$json")" >>"$work/bench.table"
		done
	done
}
if [ "$do_bench" = 1 ]; then
	if [ ! -x "$bench" ]; then
		log "(d) not measured: $bench not built"
	elif ! "$bench" --help 2>&1 | grep -q -- '--tls '; then
		log "(d) not measured: $bench has no --tls"
	else
		: >"$work/bench.table"
		bench_runs
		log "(d) ferryd's CPU per op in the guest under $qg_accel: ferry-bench --server 127.0.0.1:$nport" \
			"--workload read1m|write1m --duration $bench_s --file-size 16M --inflight $bench_inflight" \
			"--json [--tls --tls-ca ca.pem]; process_cpu_seconds_total and ferry_nfs_ops_total from" \
			"the guest's /metrics every second, over the run's steady part"
		printf 'ktls:   %-8s %-6s %7s %8s %11s %8s %8s %10s\n' workload mode ops cpu_s "cpu_us/op" \
			seconds "MB/s" ktls_conns
		while read -r wl mode ops cpu per secs k mbs; do
			printf 'ktls:   %-8s %-6s %7s %8s %11s %8s %8s %10s\n' "$wl" "$mode" "$ops" "$cpu" \
				"$per" "$secs" "$mbs" "$k"
		done <"$work/bench.table"
		for wl in read1m write1m; do
			awk -v wl="$wl" -v accel="$qg_accel" '$1 == wl { per[$2] = $5; k[$2] = $7 }
				END { if (per["plain"] > 0)
					printf "ktls: (d) %s: server CPU per op TLS/plain = %.2f (%.1f / %.1f us; %s%s)\n",
						wl, per["tls"] / per["plain"], per["tls"], per["plain"], accel,
						(k["tls"] > 0 ? ", the TLS run in kernel TLS" : ", the TLS run NOT in kernel TLS") }' \
				"$work/bench.table"
		done
	fi
fi

log "$((SECONDS - t_start)) s in all"
if ((${#fails[@]})); then
	msg=$(printf '%s; ' "${fails[@]}")
	echo "ktls: FAIL: ${msg%; }"
	exit 1
fi
echo "ktls: PASS (ktls_send and ktls_recv true, $mib MiB read back identical, $spliced bytes spliced out, $splicein in)"
