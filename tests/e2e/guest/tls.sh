#!/bin/bash
# Kernel-client RPC-with-TLS run (RFC 9289), in the kclient guest (Linux >=
# 6.5: the kernel's TLS handshake upcall and the NFS client's xprtsec=
# mount option), beside tests/e2e/tls_host.sh (the server command, through
# the directory kclient --outdir shares).
#
# The kernel does no TLS handshake itself: it asks tlshd (ktls-utils, the
# user-space agent; kclient.sh ships the one FERRY_TLSHD names) through the
# "handshake" generic netlink family, tlshd does the handshake with GnuTLS
# on the kernel's socket, hands the session's keys to kTLS (the "tls"
# module) and gives the socket back.  kclient mounts before this script
# runs, over plain TCP (/export takes that); this script sets tlshd up and
# makes its own mounts:
#
#  setup   tlshd's configuration /etc/tlshd/config: [authenticate.client]
#          with the host's CA as x509.truststore (the server's
#          certificate must verify against it, and name the address the
#          guest mounts by) and the client certificate and key, which tlshd
#          presents when the kernel asks for mutual TLS (xprtsec=mtls) and
#          has none of its own; modprobe tls and the kernel's ciphers for
#          kTLS (AES-GCM, AES-CCM, ChaCha20-Poly1305); tlshd -s (its log, with
#          [debug] loglevel=TLSHD_DEBUG, to /tmp/tlshd.log) must report the
#          kernel's handshake service ("Kernel capabilities").  kclient's
#          plain mount is unmounted (and mounted again at the end): each
#          TLS mount then makes an NFS client of its own.
#  smoke-X-V  for each X:V of runs= (default tls:4.2 mtls:4.1):
#          SERVER:/tls (xprtsec = tls) or SERVER:/mtls (xprtsec = mtls)
#          mounted with vers=V,xprtsec=X; that the mount really is over TLS:
#          /proc/mounts shows xprtsec=X, tlshd logged a handshake with the
#          server that succeeded, and the kernel counts a kTLS socket open
#          (TlsCurrTxSw and TlsCurrRxSw of /proc/net/tls_stat) while the
#          mount is up; the shared smoke workload (smoke.sh, shipped with
#          --file) must pass; the mount's mountstats must count WRITE,
#          READ (or READ_PLUS), OPEN and CLOSE; no kTLS record may have
#          failed to decrypt (TlsDecryptError).
#  refuse-plain  SERVER:/tls mounted without xprtsec= must fail.
#  refuse-anon   SERVER:/mtls mounted with xprtsec=tls (no client
#          certificate) must fail.
#  refuse-rogue  tlshd restarted with a client certificate of another CA:
#          SERVER:/mtls mounted with xprtsec=mtls must fail; tlshd then
#          goes back to the real one.
#
# Arguments: runs="X:V ..." refuse=0 (skip the refusal checks) smoke_mb=N
# smoke_files=N (smoke.sh's SMOKE_BIG_MB and SMOKE_NFILES; default its own)
# tlshd_debug=N ([debug] loglevel, default 1: tlshd logs each handshake's
# outcome; 3 or more: GnuTLS's own debug at that level too) mount_timeout=S
# (default 120) refuse_timeout=S (how long a mount that must fail may try,
# default 60).
# Prints "E2E PASS|FAIL|INFO tls-<step>: ..." lines (and smoke.sh's own);
# exits 1 if a check failed.
set -uo pipefail
out=${KCLIENT_OUTDIR:-/kcrun/out}
files=${KCLIENT_FILES:-/kcrun/files}
carrier=${KCLIENT_MNT:-$(pwd)}
server_addr=${KCLIENT_SERVER:?}
port=${KCLIENT_PORT:-2049}
runs="tls:4.2 mtls:4.1"
refuse=1
tlshd_debug=1
mount_timeout=120
refuse_timeout=60
smoke_env=()
for a in "$@"; do
	case $a in
	runs=*) runs=${a#runs=} ;;
	refuse=*) refuse=${a#refuse=} ;;
	tlshd_debug=*) tlshd_debug=${a#tlshd_debug=} ;;
	mount_timeout=*) mount_timeout=${a#mount_timeout=} ;;
	refuse_timeout=*) refuse_timeout=${a#refuse_timeout=} ;;
	smoke_mb=*) smoke_env+=("SMOKE_BIG_MB=${a#smoke_mb=}") ;;
	smoke_files=*) smoke_env+=("SMOKE_NFILES=${a#smoke_files=}") ;;
	*) echo "E2E FAIL tls: unknown argument '$a'"; exit 2 ;;
	esac
done
failed=0
pass() { echo "E2E PASS tls-$1: $2"; }
fail() { echo "E2E FAIL tls-$1: $2"; failed=1; }
info() { echo "E2E INFO tls-$1: $2"; }
up() { cut -d' ' -f1 /proc/uptime; }

tmp=$(mktemp -d /tmp/tls.XXXXXX) || exit 1
conf=/etc/tlshd/config
tlshd_log=/tmp/tlshd.log
tlshd_pid=""
# The end of tlshd's log and of the kernel's, on a failure that may be
# theirs; tlshd_tail N [FROM]: N lines, from line FROM of tlshd's log on.
tlshd_tail() {
	if [ -s $tlshd_log ]; then
		echo "---- tlshd log (last ${1:-25} lines${2:+ from line $2}) ----"
		tail -n "+${2:-1}" $tlshd_log | tail -n "${1:-25}"
	fi
	echo "---- kernel log (last 15 lines) ----"
	dmesg | tail -n 15
	echo "----"
}
log_lines() { [ -e $tlshd_log ] && wc -l <$tlshd_log || echo 0; }

# /proc/net/tls_stat's counter NAME (0 when the file or the line is missing).
tls_stat() { awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }' /proc/net/tls_stat 2>/dev/null; }
# The count of OP in the mountstats of the mount on MNT (its first figure).
opcount() { # mnt op
	awk -v m="$1" -v op="$2:" '
		$1 == "device" { on = ($5 == m) }
		on && $1 == op { print $2; found = 1; exit }
		END { if (!found) print 0 }' /proc/self/mountstats
}
nonzero_ops() { # mnt
	awk -v m="$1" '
		$1 == "device" { on = ($5 == m) }
		on && $1 ~ /^[A-Z_0-9]+:$/ && $2 > 0 { s = s " " substr($1, 1, length($1) - 1) "=" $2 }
		END { print s }' /proc/self/mountstats
}

# start_tlshd CERT KEY: tlshd with that client certificate and key, ready
# once it has joined the kernel's handshake service.
start_tlshd() {
	local i=0 tls_debug=0
	[ "$tlshd_debug" -ge 3 ] && tls_debug=$tlshd_debug
	cat >$conf <<EOF
[debug]
loglevel=$tlshd_debug
tls=$tls_debug
nl=0

[authenticate]

[authenticate.client]
x509.truststore=/etc/tlshd/ca.pem
x509.certificate=$1
x509.private_key=$2

[authenticate.server]
EOF
	# In a session of its own: kclient kills the script's process group
	# before it unmounts, and the last unmount may need a handshake.
	echo "==== tlshd started at $(up) s with $1" >>$tlshd_log
	setsid tlshd -s -c $conf >>$tlshd_log 2>&1 </dev/null &
	tlshd_pid=$!
	until tail -n 5 $tlshd_log | grep -q 'Kernel capabilities'; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $tlshd_pid 2>/dev/null; then
			fail setup "tlshd did not start (no 'Kernel capabilities' in its log)"
			tlshd_tail 20
			return 1
		fi
		sleep 0.1
	done
}
stop_tlshd() {
	[ -n "$tlshd_pid" ] || return 0
	kill $tlshd_pid 2>/dev/null
	local i=0
	while kill -0 $tlshd_pid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	tlshd_pid=""
}

# --- setup -------------------------------------------------------------------------
setup() {
	local k v f major minor
	# Not in kclient's mount, which is unmounted below (nor is tlshd
	# started here).
	cd / || return 1
	[ -s "$out/guest.env" ] || { fail setup "no $out/guest.env: is tls_host.sh the server command?"; return 1; }
	while IFS='=' read -r k v; do
		case $k in
		plain_export) plain_export=$v ;; tls_export) tls_export=$v ;;
		mtls_export) mtls_export=$v ;; server_san) server_san=$v ;;
		esac
	done <"$out/guest.env"
	major=$(uname -r | cut -d. -f1) minor=$(uname -r | cut -d. -f2)
	if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 5 ]; }; then
		fail setup "Linux $(uname -r) has no RPC-with-TLS (the handshake upcall and xprtsec= came in 6.5)"
		return 1
	fi
	command -v tlshd >/dev/null || { fail setup "no tlshd in the guest (kclient.sh ships FERRY_TLSHD)"; return 1; }
	mkdir -p /etc/tlshd/tags.d
	for f in ca.pem client.pem client.key rogue.pem rogue.key; do
		cp "$out/$f" /etc/tlshd/$f || { fail setup "no $f from the host"; return 1; }
	done
	chmod 644 /etc/tlshd/*.pem && chmod 600 /etc/tlshd/*.key
	modprobe tls || { fail setup "modprobe tls (kclient.sh adds it: KCLIENT_EXTRA_MODULES)"; return 1; }
	# The kernel's ciphers for kTLS (tlshd offers AES-GCM first, then
	# ChaCha20-Poly1305 and AES-CCM): the kernel would ask for them by
	# alias when tlshd hands it a session; loaded here, what fails shows.
	# The CPU's own AES and GHASH where it has them.
	for k in gcm ghash-generic ccm chacha20poly1305 chacha-generic poly1305-generic; do
		modprobe $k || { fail setup "modprobe $k (kclient.sh adds it: KCLIENT_EXTRA_MODULES)"; return 1; }
	done
	for k in aesni-intel ghash-clmulni-intel chacha-x86_64 poly1305-x86_64; do
		modprobe $k 2>/dev/null || info setup "no $k (the CPU lacks it): the generic code does it"
	done
	start_tlshd /etc/tlshd/client.pem /etc/tlshd/client.key || return 1
	info setup "$(grep -m1 'Built from' $tlshd_log | sed 's/.*Built from/tlshd built from/')"
	pass setup "tlshd running (pid $tlshd_pid) on Linux $(uname -r): $(grep -m1 'Kernel capabilities' $tlshd_log | sed 's/.*Kernel capabilities: //')"
	info setup "server $server_addr (its certificate names $server_san); kTLS before the mounts: $(tls_stat TlsCurrTxSw) tx, $(tls_stat TlsCurrRxSw) rx sockets"
	if ! umount "$carrier"; then
		fail setup "cannot unmount kclient's mount $carrier"
		return 1
	fi
}

# mount_tls LABEL XPRTSEC VERS EXPORT MNT: mounts (XPRTSEC "" : plain).
mount_tls() {
	local label=$1 x=$2 v=$3 path=$4 mnt=$5 t0 line opts
	opts="vers=$v,proto=tcp,port=$port${x:+,xprtsec=$x}"
	mkdir -p "$mnt"
	t0=$(up)
	if ! bounded "$mount_timeout" mount.nfs "$server_addr:$path" "$mnt" -o "$opts" \
		>"$tmp/mount.out" 2>&1; then
		fail "$label" "mount $server_addr:$path $opts failed: $(cat "$tmp/mount.out")"
		return 1
	fi
	line=$(awk -v m="$mnt" '$2 == m' /proc/mounts)
	pass "$label" "mounted in $(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }') s: $line"
}

# Every sign that the mount on MNT goes over TLS; FROM: tlshd's log line
# before the mount.
over_tls() { # label xprtsec mnt from
	local label=$1 x=$2 mnt=$3 from=$4 opts hs
	opts=$(awk -v m="$mnt" '$2 == m { print $4 }' /proc/mounts)
	case ",$opts," in
	*",xprtsec=$x,"*) pass "$label" "/proc/mounts shows xprtsec=$x" ;;
	*) fail "$label" "the mount's options lack xprtsec=$x: $opts" ;;
	esac
	# tlshd logs one line per handshake: "Handshake with 'PEER' (ADDR) succeeded".
	hs=$(tail -n "+$((from + 1))" $tlshd_log | grep "Handshake with .*($server_addr)")
	if echo "$hs" | grep -q 'succeeded'; then
		pass "$label" "tlshd: $(echo "$hs" | grep succeeded | head -1 | sed 's/^.*Handshake/Handshake/')" \
			"($(echo "$hs" | grep -c succeeded) handshakes)"
	else
		fail "$label" "tlshd logged no successful handshake with $server_addr since the mount began"
	fi
	# A kTLS socket per direction while the mount is up (the client's
	# connection; the kernel counts software kTLS in TlsCurr*Sw).
	local tx rx
	tx=$(tls_stat TlsCurrTxSw) rx=$(tls_stat TlsCurrRxSw)
	if [ "$tx" -ge 1 ] && [ "$rx" -ge 1 ]; then
		pass "$label" "the kernel has kTLS sockets open: TlsCurrTxSw $tx, TlsCurrRxSw $rx"
	else
		fail "$label" "no kTLS socket open while mounted: TlsCurrTxSw $tx, TlsCurrRxSw $rx"
	fi
	grep "mounted on $mnt with" -A2 /proc/self/mountstats | grep -E '^[[:space:]]*(opts|xprt):' |
		sed "s/^[[:space:]]*/E2E INFO tls-$label: mountstats: /"
}

smoke_run() { # xprtsec vers
	local x=$1 v=$2 label=smoke-$1-$2 mnt=/mnt/tls-$1-$2 path rc op n missing="" from
	local decrypt0
	case $x in
	tls) path=$tls_export ;;
	mtls) path=$mtls_export ;;
	*) fail "$label" "unknown xprtsec '$x' (tls or mtls)"; return 1 ;;
	esac
	from=$(log_lines)
	decrypt0=$(tls_stat TlsDecryptError)
	if ! mount_tls "$label" "$x" "$v" "$path" "$mnt"; then
		tlshd_tail 30 "$((from + 1))"
		return 1
	fi
	over_tls "$label" "$x" "$mnt" "$from"
	(cd "$mnt" && env KCLIENT_MNT="$mnt" KCLIENT_VERS="$v" "${smoke_env[@]}" sh "$files/smoke.sh")
	rc=$?
	[ $rc -eq 0 ] && pass "$label" "smoke.sh passed" || fail "$label" "smoke.sh failed (exit $rc)"
	for op in WRITE OPEN CLOSE; do
		n=$(opcount "$mnt" $op)
		[ "$n" -gt 0 ] || missing="$missing $op"
	done
	# Linux 6.12 reads by READ_PLUS on 4.2.
	local reads=$(($(opcount "$mnt" READ) + $(opcount "$mnt" READ_PLUS)))
	[ "$reads" -gt 0 ] || missing="$missing READ/READ_PLUS"
	info "$label" "mountstats: $(nonzero_ops "$mnt")"
	if [ -z "$missing" ]; then
		pass "$label" "mountstats count WRITE $(opcount "$mnt" WRITE), READ/READ_PLUS $reads, OPEN $(opcount "$mnt" OPEN), CLOSE $(opcount "$mnt" CLOSE)"
	else
		fail "$label" "mountstats count no$missing"
	fi
	n=$(($(tls_stat TlsDecryptError) - decrypt0))
	[ $n -eq 0 ] && pass "$label" "no kTLS record failed to decrypt" ||
		fail "$label" "$n kTLS records failed to decrypt (TlsDecryptError)"
	umount "$mnt" || fail "$label" "umount $mnt failed"
	[ $failed = 0 ] || tlshd_tail 15 "$((from + 1))"
}

# bounded SECS CMD...: CMD's status, or 124 when it has not ended within
# SECS; it is then killed, but not waited for more than 10 s: a mount that
# the kernel keeps trying may not end at once.
bounded() {
	local secs=$1 pid i=0
	shift
	"$@" &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		if [ $i -ge $((secs * 10)) ]; then
			kill -KILL $pid 2>/dev/null
			i=0
			while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
			kill -0 $pid 2>/dev/null || wait $pid
			return 124
		fi
		sleep 0.1
		i=$((i + 1))
	done
	wait $pid
}

# refused LABEL WHAT XPRTSEC EXPORT: a mount that must fail, on a mount
# point of its own (a mount the kernel still tries when it is given up on
# stays apart).  soft, timeo and retrans bound the kernel's own retries.
refused() {
	local label=$1 what=$2 x=$3 path=$4 mnt=/mnt/tls-$1 from rc k0
	from=$(log_lines)
	k0=$(dmesg | wc -l)
	mkdir -p $mnt
	bounded "$refuse_timeout" mount.nfs "$server_addr:$path" $mnt \
		-o "vers=4.1,proto=tcp,port=$port,retry=0,soft,timeo=50,retrans=1${x:+,xprtsec=$x}" \
		>"$tmp/mount.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		fail "$label" "$what: mounted"
		umount $mnt
	elif [ $rc -eq 124 ]; then
		pass "$label" "$what: refused (no mount within ${refuse_timeout} s)"
	else
		pass "$label" "$what: refused ($(head -1 "$tmp/mount.out"))"
	fi
	tail -n "+$((from + 1))" $tlshd_log | grep -E 'Handshake with|Certificate|alert|Received' | head -3 |
		sed "s/^/E2E INFO tls-$label: tlshd: /"
	dmesg | tail -n "+$((k0 + 1))" | grep -v drop_caches | head -5 |
		sed "s/^/E2E INFO tls-$label: kernel: /"
}

# --- the runs ------------------------------------------------------------------------
if setup; then
	for r in $runs; do
		smoke_run "${r%%:*}" "${r#*:}"
	done
	if [ "$refuse" = 1 ]; then
		refused refuse-plain "$tls_export (xprtsec = tls) without TLS" "" "$tls_export"
		refused refuse-anon "$mtls_export (xprtsec = mtls) over TLS with no client certificate" \
			tls "$mtls_export"
		stop_tlshd
		if start_tlshd /etc/tlshd/rogue.pem /etc/tlshd/rogue.key; then
			refused refuse-rogue "$mtls_export (xprtsec = mtls) with a client certificate of another CA" \
				mtls "$mtls_export"
			stop_tlshd
			start_tlshd /etc/tlshd/client.pem /etc/tlshd/client.key
		fi
	fi
	info tls "kTLS at the end: $(awk '{ printf "%s%s %s", s, $1, $2; s = ", " }' /proc/net/tls_stat 2>/dev/null)"
	[ $failed = 0 ] || tlshd_tail 40
	# kclient unmounts what it mounted (plain TCP: no tlshd needed).
	if ! bounded "$mount_timeout" mount.nfs "$server_addr:${KCLIENT_EXPORT:-$plain_export}" "$carrier" \
		-o "$KCLIENT_MOUNT_OPTS" >"$tmp/mount.out" 2>&1; then
		fail setup "cannot mount kclient's $carrier again: $(cat "$tmp/mount.out")"
	fi
else
	tlshd_tail 40
fi
stop_tlshd
rm -rf "$tmp"
echo "E2E INFO tls: done in $(up) s of guest uptime"
exit $failed
