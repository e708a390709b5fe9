#!/bin/bash
# Kernel-client Kerberos run, in the kclient guest, beside tests/e2e/krb5_host.sh
# (the server command, through the directory kclient --outdir shares).
#
# kclient mounts before this script runs, and a sec=krb5 mount needs
# rpc.gssd first: so kclient's own mount is a sec=sys one of /export (which
# takes krb5 and sys), and this script sets the guest up for Kerberos and
# makes its own mounts:
#
#  setup   /etc/hosts (the guest's name and the server's name,
#          SERVER_NAME, at the address kclient gave the server), krb5.conf
#          (the realm's KDC at that address, port 88), the machine keytab
#          /etc/krb5.keytab (nfs/GUEST_HOST@FERRY.TEST from the host),
#          rpc_pipefs, rpc.gssd (-f: its log goes to /tmp/gssd.log) and
#          rpc.svcgssd (the 4.0 callbacks come under RPCSEC_GSS).
#          The guest's root works with the machine credential (rpc.gssd's
#          default for uid 0, no -n); the host maps that principal to root.
#          kclient's sec=sys mount is unmounted (and mounted again at the
#          end): each mount below then makes a client of its own, whose
#          lease (EXCHANGE_ID or SETCLIENTID) goes under the machine
#          credential, as on any Kerberos client, instead of sharing the
#          sys mount's AUTH_SYS one.
#  smoke-SEC-V   for each SEC:V of runs= (default krb5:4.1 krb5i:4.2
#          krb5p:4.0): SERVER_NAME:/krb5 (sec = krb5p:krb5i:krb5) mounted
#          with vers=V,sec=SEC; /proc/mounts must show sec=SEC; the shared
#          smoke workload (smoke.sh, shipped with --file) must pass; the
#          mount's mountstats must count WRITE, READ, OPEN and CLOSE; then
#          user alice (a ticket from alice.keytab in /tmp/krb5cc_1, used
#          through su to uid 1) writes a file, whose owner on the host
#          (asked of krb5_host.sh: stat on the export itself) must be uid 1
#          (the realm maps alice to daemon), and whose GSS context ferryctl
#          gss lists with uid 1; uid 2 (bin), with no ticket, must be
#          refused.  Around each mount the host reads ferryd's metrics:
#          ferry_gss_calls_total{service=SEC} must have grown by at least
#          the mount's READs and WRITEs.
#  deleg-SEC-V  for each SEC:V of deleg= (default krb5:4.1 krb5:4.0;
#          deleg=none skips them) guest/deleg.sh on SERVER_NAME:/export
#          mounted with that security: a read delegation granted (opens of
#          a file made on the host cost no OPENs) and recalled (a second
#          client beside ferryd: DELEGRETURN and the client's CB_RECALL),
#          and the write delegation steps; its host side is host_helper.sh
#          on OUTDIR/deleg.  Around it ferry_delegations_granted_total and
#          ferry_delegations_recalled_total must grow, the service's
#          ferry_gss_calls_total too, and ferry_delegations_revoked_total
#          must not (a recall answered by a DELEGRETURN that failed ends
#          in a revocation once the lease runs out).
#  v3       (v3=1, the default) NFSv3 under Kerberos with NLM locks:
#          rpcbind and rpc.statd start in the guest (nlm_daemons.sh,
#          --file); SERVER_NAME:/krb5 mounted with vers=3,sec=krb5 and
#          locking (MOUNT and NLM found through the server's rpcbind):
#          /proc/mounts shows vers=3, sec=krb5 and no nolock; alice writes
#          a file (uid 1 on the host; uid 2, with no ticket, is refused);
#          then, with the export mounted vers=4.1,sec=krb5 beside, alice's
#          processes conflict over an fcntl lock of her file, one through
#          each mount, both ways (cross_locks; lock_tool, --file; the
#          guest's lockd calls NLM with AUTH_SYS and alice's uid, which the
#          export's krb5-only list must not refuse): B's try is refused
#          while A holds it, B's blocking request still waits 1.5 s later
#          and is granted once A lets go; while the NFSv3 side holds, the
#          server counts the lock (ferry_nlm_locks) and its statd monitors
#          the guest; mountstats count WRITE,
#          ferry_gss_calls_total{service="krb5"} grew by at least the
#          WRITEs and ferry_nlm_calls_total{proc="LOCK"} by 3 or more.
#  In every mount no CLOSE, DELEGRETURN, OPEN_DOWNGRADE, LOCKU or
#  FREE_STATEID may fail (mountstats' error counts): with SP4_MACH_CRED the
#  Linux client sends them with its machine credential over krb5i,
#  whatever the mount's flavour, and a server that refuses that keeps the
#  state.
#  refuse-sys   SERVER_NAME:/krb5 mounted with sec=sys must fail.
#
#  upgrade-SEC-V  (upgrade=SEC:V, default krb5p:4.1; none skips it)
#          SERVER_NAME:/krb5 mounted with that security; root (the machine
#          credential) and alice each write a file with fsync, ferryd is
#          upgraded in place (krb5_host.sh's kind=upgrade), both write and
#          read again through the same mount: every write and read must
#          succeed, and the new ferryd must have made no RPCSEC_GSS context
#          (ferry_gss_context_events_total{event="created"} 0 in its
#          metrics, its counters being its own) while serving the kernel's
#          calls on the contexts made before: they were handed over.
# Arguments: runs="SEC:V ..." deleg="SEC:V ..."|none v3=0|1 opens=N (deleg.sh's,
# default 200) smoke_mb=N smoke_files=N (smoke.sh's SMOKE_BIG_MB and
# SMOKE_NFILES; default its own) gssd_verbose=N (-v of rpc.gssd and
# rpc.svcgssd, default 1) mount_timeout=S (default 120).  Prints "E2E
# PASS|FAIL|INFO krb5-<step>: ..." lines (and smoke.sh's and deleg.sh's
# own); exits 1 if a check failed.
set -uo pipefail
out=${KCLIENT_OUTDIR:-/kcrun/out}
files=${KCLIENT_FILES:-/kcrun/files}
carrier=${KCLIENT_MNT:-$(pwd)}
server_addr=${KCLIENT_SERVER:?}
port=${KCLIENT_PORT:-2049}
runs="krb5:4.1 krb5i:4.2 krb5p:4.0"
deleg="krb5:4.1 krb5:4.0"
upgrade="krb5p:4.1"
opens=200
v3=1
gssd_verbose=1
mount_timeout=120
smoke_env=()
for a in "$@"; do
	case $a in
	runs=*) runs=${a#runs=} ;;
	deleg=*) deleg=${a#deleg=} ;;
	upgrade=*) upgrade=${a#upgrade=} ;;
	opens=*) opens=${a#opens=} ;;
	v3=*) v3=${a#v3=} ;;
	gssd_verbose=*) gssd_verbose=${a#gssd_verbose=} ;;
	mount_timeout=*) mount_timeout=${a#mount_timeout=} ;;
	smoke_mb=*) smoke_env+=("SMOKE_BIG_MB=${a#smoke_mb=}") ;;
	smoke_files=*) smoke_env+=("SMOKE_NFILES=${a#smoke_files=}") ;;
	*) echo "E2E FAIL krb5: unknown argument '$a'"; exit 2 ;;
	esac
done
failed=0
pass() { echo "E2E PASS krb5-$1: $2"; }
fail() { echo "E2E FAIL krb5-$1: $2"; failed=1; }
info() { echo "E2E INFO krb5-$1: $2"; }
up() { cut -d' ' -f1 /proc/uptime; }

gssd_log=/tmp/gssd.log svcgssd_log=/tmp/svcgssd.log
# The end of rpc.gssd's log and of the kernel's, on a failure that may be
# their doing.
gssd_tail() {
	if [ -s $gssd_log ]; then
		echo "---- rpc.gssd log (last ${1:-25} lines) ----"
		tail -n "${1:-25}" $gssd_log
	fi
	if [ -s $svcgssd_log ]; then
		echo "---- rpc.svcgssd log (last 10 lines) ----"
		tail -n 10 $svcgssd_log
	fi
	echo "---- kernel log (last 10 lines) ----"
	dmesg | tail -n 10
	echo "----"
}

# host_request TAG KIND [NAME]: the answer of krb5_host.sh into $tmp/TAG;
# its exit status is the request's.
tmp=$(mktemp -d /tmp/krb5.XXXXXX) || exit 1
host_request() {
	local tag=$1 i=0
	rm -f "$out/$tag".*
	printf 'kind=%s\nname=%s\n' "$2" "${3:-}" >"$out/$tag.tmp" && mv "$out/$tag.tmp" "$out/$tag.ready"
	while [ ! -e "$out/$tag.done" ]; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			echo "the host side never answered $tag (is krb5_host.sh the server command?)" >"$tmp/$tag"
			return 1
		fi
		sleep 0.1
	done
	cp "$out/$tag.result" "$tmp/$tag"
	return "$(cat "$out/$tag.done")"
}
metric() { # file name{labels}: its value, 0 when absent
	awk -v m="$2" '$1 == m { v = $2 } END { print v + 0 }' "$1"
}
# The request count of OP in the mountstats of mount point $1.
opcount() {
	awk -v mnt="$1" -v op="$2:" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 == op { n = $2; exit }
		END { print n + 0 }' /proc/self/mountstats
}
# How many of OP's requests ended in an error (the 9th figure of its line).
operrors() {
	awk -v mnt="$1" -v op="$2:" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 == op { n = $10; exit }
		END { print n + 0 }' /proc/self/mountstats
}
nonzero_ops() { # mount point: "OP=n ..." of the ops it sent ("/N!": N ended in an error)
	awk -v mnt="$1" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 ~ /^[A-Z_0-9]+:$/ && $2 > 0 {
			s = s " " substr($1, 1, length($1) - 1) "=" $2 ($10 > 0 ? "/" $10 "!" : "")
		}
		END { print substr(s, 2) }' /proc/self/mountstats
}
# The ops that give state back (the client sends them with its machine
# credential when EXCHANGE_ID granted SP4_MACH_CRED, over the lease's
# krb5i whatever the mount's flavour): none may fail, or the server keeps
# opens and delegations the client let go (a recall then waits out the
# lease and ends in a revocation).
# Why they failed, as the client saw it: its nfs4_close (CLOSE and
# OPEN_DOWNGRADE) and nfs4_delegreturn_exit trace events, in a trace
# instance of this script's own (deleg.sh empties the main buffer), when
# the kernel has them.
tr=/sys/kernel/tracing
trace_inst=$tr/instances/krb5-e2e
traced=0
trace_setup() {
	[ -d "$tr/events" ] || mount -t tracefs nodev "$tr" 2>/dev/null
	[ -d "$tr/events/nfs4/nfs4_close" ] || return 0
	mkdir -p "$trace_inst" 2>/dev/null || return 0
	local e
	for e in nfs4_close nfs4_delegreturn_exit; do
		echo 1 >"$trace_inst/events/nfs4/$e/enable" 2>/dev/null || return 0
	done
	traced=1
}
# The failed ones since the last call, one "EVENT ERROR" line each.
trace_errors() {
	[ $traced = 1 ] || return 0
	grep -v '^#' "$trace_inst/trace" | awk '{
		ev = ""; err = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^nfs4_.*:$/) ev = substr($i, 1, length($i) - 1)
			if ($i ~ /^error=-[0-9]+$/) err = $(i + 1)
		}
		gsub(/[()]/, "", err)
		if (ev != "" && err != "") print ev, err
	}'
	echo >"$trace_inst/trace"
}
summary() { sort | uniq -c | awk '{ s = s (s ? ", " : "") $2 " " $3 " x" $1 } END { print s }'; }
state_ops_ok() { # label mount point
	local op n e bad="" errs="" other known
	[ $traced = 1 ] && errs=$(trace_errors)
	for op in CLOSE DELEGRETURN OPEN_DOWNGRADE LOCKU FREE_STATEID; do
		n=$(opcount "$2" $op)
		e=$(operrors "$2" $op)
		[ "$e" -gt 0 ] && bad="$bad $op: $e of $n failed;"
	done
	if [ -z "$bad" ]; then
		pass "$1" "no CLOSE, DELEGRETURN, OPEN_DOWNGRADE, LOCKU or FREE_STATEID failed"
		return 0
	fi
	if [ $traced = 1 ]; then
		# The one failure that is the client's own: a CLOSE of a file
		# it opened again (locally, under its delegation) while its
		# CLOSE was under way takes the stateid that CLOSE's reply
		# gave, the invalid special one (RFC 8881 8.2.3, as knfsd
		# answers too), which the server rightly calls bad.
		known=$(echo "$errs" | grep -c '^nfs4_close BAD_STATEID$')
		other=$(echo "$errs" | grep -v '^nfs4_close BAD_STATEID$' | grep .)
		local ops_failed
		ops_failed=$(echo "$bad" | awk -F'[: ]+' '{ for (i = 1; i < NF; i++) if ($i ~ /^[A-Z_]+$/ && $i != "CLOSE") print $i }')
		if [ -z "$other" ] && [ -z "$ops_failed" ] && [ "$known" -gt 0 ]; then
			info "$1" "CLOSE: $known of $(opcount "$2" CLOSE) answered NFS4ERR_BAD_STATEID: the client closed again with the invalid stateid the server's CLOSE reply gave it (a client race)"
			pass "$1" "no CLOSE, DELEGRETURN, OPEN_DOWNGRADE, LOCKU or FREE_STATEID failed but for that"
			return 0
		fi
		fail "$1" "state given back in vain:${bad%;} (client trace: $(echo "$errs" | grep . | summary))"
	else
		fail "$1" "state given back in vain:${bad%;} (no client trace to tell why)"
	fi
}

# --- setup -------------------------------------------------------------------------
setup() {
	local k v
	# Not in kclient's mount, which is unmounted below (nor are the
	# daemons started here).
	cd / || return 1
	[ -s "$out/guest.env" ] || { fail setup "no $out/guest.env: is krb5_host.sh the server command?"; return 1; }
	while IFS='=' read -r k v; do
		case $k in
		realm) realm=$v ;; guest_host) guest_host=$v ;;
		server_name) server_name=$v ;; kdc_port) kdc_port=$v ;;
		krb5_export) krb5_export=$v ;; deleg_export) deleg_export=$v ;;
		user) user=$v ;; user_uid) user_uid=$v ;;
		esac
	done <"$out/guest.env"
	# The host made the machine principal for the name kclient's init
	# gives the guest.
	if [ "$(hostname)" != "$guest_host" ]; then
		fail setup "the guest is '$(hostname)', the host made nfs/$guest_host@$realm"
		return 1
	fi
	local guest_ip
	guest_ip=$(ip -4 -o addr show dev eth0 | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
	{
		echo "$server_addr $server_name"
		echo "$guest_ip $guest_host"
	} >>/etc/hosts
	# The users the server maps alice and bob to, so that the guest's
	# id mapping (nfsidmap) names them as the server does.
	echo 'daemon:x:1:1:daemon:/:/bin/sh' >>/etc/passwd
	echo 'bin:x:2:2:bin:/:/bin/sh' >>/etc/passwd
	printf 'daemon:x:1:\nbin:x:2:\n' >>/etc/group
	local domain=${server_name#*.}
	cat >/etc/krb5.conf <<EOF
[libdefaults]
	default_realm = $realm
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	udp_preference_limit = 1
[realms]
	$realm = {
		kdc = $server_addr:$kdc_port
	}
[domain_realm]
	.$domain = $realm
	$domain = $realm
EOF
	# (busybox has no install)
	cp "$out/guest.keytab" /etc/krb5.keytab && chmod 600 /etc/krb5.keytab ||
		{ fail setup "no guest.keytab"; return 1; }
	cp "$out/alice.keytab" "$tmp/alice.keytab" || { fail setup "no alice.keytab"; return 1; }
	# The KDC where the guest reaches it, with the machine key.
	if KRB5CCNAME=FILE:$tmp/probe.ccache kinit -k -t /etc/krb5.keytab "nfs/$guest_host@$realm" \
		>"$tmp/kinit.out" 2>&1; then
		pass setup "the KDC at $server_addr:$kdc_port gives nfs/$guest_host@$realm a ticket"
		rm -f "$tmp/probe.ccache"
	else
		fail setup "kinit nfs/$guest_host@$realm at $server_addr:$kdc_port: $(cat "$tmp/kinit.out")"
		return 1
	fi
	# cts: the kernel's aes*-cts-hmac-sha1-96 needs cts(cbc(aes)), which
	# kclient.sh adds to the image (KCLIENT_EXTRA_MODULES).
	for k in rpcsec_gss_krb5 cts; do
		modprobe $k || { fail setup "modprobe $k"; return 1; }
	done
	mkdir -p /var/lib/nfs/rpc_pipefs
	mount -t rpc_pipefs rpc_pipefs /var/lib/nfs/rpc_pipefs ||
		{ fail setup "cannot mount rpc_pipefs"; return 1; }
	# In a session of its own: kclient kills the script's process group
	# before it unmounts, and the last unmount may need the daemon.
	local vs="" i=0
	while [ $i -lt "$gssd_verbose" ]; do vs="$vs -v"; i=$((i + 1)); done
	[ "$gssd_verbose" -gt 1 ] && vs="$vs -rrr"
	setsid rpc.gssd -f $vs >$gssd_log 2>&1 </dev/null &
	gssd_pid=$!
	# Ready once it holds the gssd pipe open (the kernel's test whether
	# rpc.gssd runs at all).
	i=0
	until ls -l /proc/$gssd_pid/fd 2>/dev/null | grep -q 'rpc_pipefs/gssd/'; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $gssd_pid 2>/dev/null; then
			fail setup "rpc.gssd did not start"
			gssd_tail
			return 1
		fi
		sleep 0.1
	done
	trace_setup
	# NFSv4.0 callbacks come under the flavour of SETCLIENTID (RFC 7530
	# 3.3.3): with krb5 the server sets up an RPCSEC_GSS context with the
	# client's callback service nfs@GUEST_HOST, which the guest kernel
	# accepts through rpc.svcgssd (with the keys of /etc/krb5.keytab).
	setsid rpc.svcgssd -f $vs >$svcgssd_log 2>&1 </dev/null &
	svcgssd_pid=$!
	i=0
	until ls -l /proc/$svcgssd_pid/fd 2>/dev/null | grep -q 'auth.rpcsec.init'; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $svcgssd_pid 2>/dev/null; then
			fail setup "rpc.svcgssd did not start"
			gssd_tail
			return 1
		fi
		sleep 0.1
	done
	info setup "rpc.gssd running (pid $gssd_pid), rpc.svcgssd (pid $svcgssd_pid); server $server_name at $server_addr, guest $guest_host at $guest_ip"
	if ! umount "$carrier"; then
		fail setup "cannot unmount kclient's mount $carrier"
		return 1
	fi
}

# --- one mount -----------------------------------------------------------------------
# mount_krb5 LABEL SEC VERS EXPORT MNT: mounts and checks /proc/mounts.
mount_krb5() {
	local label=$1 sec=$2 v=$3 export=$4 mnt=$5 t0 line
	mkdir -p "$mnt"
	t0=$(up)
	if ! timeout "$mount_timeout" mount.nfs "$server_name:$export" "$mnt" \
		-o "vers=$v,sec=$sec,proto=tcp,port=$port" >"$tmp/mount.out" 2>&1; then
		fail "$label" "mount $server_name:$export vers=$v,sec=$sec failed: $(cat "$tmp/mount.out")"
		gssd_tail
		return 1
	fi
	line=$(awk -v m="$mnt" '$2 == m' /proc/mounts)
	case ",$(echo "$line" | awk '{ print $4 }')," in
	*",sec=$sec,"*)
		pass "$label" "mounted in $(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }') s: $line" ;;
	*)
		fail "$label" "the mount's options lack sec=$sec: $line"
		umount "$mnt"
		return 1 ;;
	esac
}

# snapshot TAG: ferryd's metrics into $tmp/TAG (or fails the step LABEL).
snapshot() { # label tag
	host_request "$2" metrics && return 0
	fail "$1" "no metrics from the host: $(cat "$tmp/$2" 2>/dev/null)"
	return 1
}

gss_grew() { # label sec before after at-least
	local b a
	b=$(metric "$tmp/$3" "ferry_gss_calls_total{service=\"$2\"}")
	a=$(metric "$tmp/$4" "ferry_gss_calls_total{service=\"$2\"}")
	local all="" s
	for s in krb5 krb5i krb5p; do
		all="$all $s +$(($(metric "$tmp/$4" "ferry_gss_calls_total{service=\"$s\"}") -
			$(metric "$tmp/$3" "ferry_gss_calls_total{service=\"$s\"}")))"
	done
	if [ $((a - b)) -ge "$5" ] && [ $((a - b)) -gt 0 ]; then
		pass "$1" "ferry_gss_calls_total{service=\"$2\"} grew by $((a - b)) (>= $5; all:$all)"
	else
		fail "$1" "ferry_gss_calls_total{service=\"$2\"} grew by $((a - b)), want >= $5 and > 0 (all:$all)"
	fi
}

# The mapped user: alice's ticket in uid 1's cache (rpc.gssd looks in
# /tmp/krb5cc_UID, which must be that user's), a file written as uid 1.
user_check() { # label mnt sec
	local label=$1 mnt=$2 sec=$3 f=alice/by-$3 owner
	if ! KRB5CCNAME=FILE:/tmp/krb5cc_$user_uid kinit -k -t "$tmp/alice.keytab" "$user@$realm" \
		>"$tmp/kinit.out" 2>&1; then
		fail "$label" "kinit $user: $(cat "$tmp/kinit.out")"
		return 1
	fi
	chown "$user_uid:$user_uid" /tmp/krb5cc_$user_uid
	if ! su -s /bin/sh daemon -c "echo 'written by $user under $sec' >'$mnt/$f'" >"$tmp/su.out" 2>&1; then
		fail "$label" "uid $user_uid with $user's ticket cannot write $f: $(cat "$tmp/su.out")"
		gssd_tail
		return 1
	fi
	if host_request "stat-$sec" stat "$f"; then
		owner=$(cat "$tmp/stat-$sec")
		if [ "${owner%% *}" = "$user_uid" ]; then
			pass "$label" "$user's file $f is uid $user_uid on the host ($owner)"
		else
			fail "$label" "$user's file $f is '$owner' on the host, want uid $user_uid"
		fi
	else
		fail "$label" "the host cannot stat $f: $(cat "$tmp/stat-$sec")"
	fi
	if host_request "gss-$sec" gss; then
		# Columns: principal, uid, calls, idle, expiry, crypto, enctype;
		# the kernel's AES contexts are on ferryd's own (OpenSSL) tokens.
		if awk -v p="$user@$realm" -v u="$user_uid" \
			'$1 == p && $2 == u && $6 == "openssl" { f = 1 } END { exit !f }' \
			"$tmp/gss-$sec"; then
			pass "$label" "ferryctl gss lists $user@$realm as uid $user_uid, on OpenSSL tokens"
		else
			fail "$label" "ferryctl gss does not list $user@$realm as uid $user_uid on OpenSSL tokens"
		fi
		sed "s/^/E2E INFO krb5-$label: ferryctl gss: /" "$tmp/gss-$sec"
	else
		fail "$label" "no ferryctl gss from the host: $(cat "$tmp/gss-$sec")"
	fi
	# Nobody's ticket, nobody's access: bin (uid 2) has none.
	if su -s /bin/sh bin -c "cat '$mnt/$f'" >"$tmp/su.out" 2>&1; then
		fail "$label" "uid 2 (no ticket) read $f: the server served a user without credentials"
	else
		pass "$label" "uid 2 (no ticket) is refused: $(head -1 "$tmp/su.out")"
	fi
}

smoke_run() { # sec vers
	local sec=$1 v=$2 label=smoke-$1-$2 mnt=/mnt/krb5-$1-$2 rc op n missing=""
	local before=m-$label-before after=m-$label-after
	snapshot "$label" "$before" || return 1
	mount_krb5 "$label" "$sec" "$v" "$krb5_export" "$mnt" || return 1
	trace_errors >/dev/null
	(cd "$mnt" && env KCLIENT_MNT="$mnt" KCLIENT_VERS="$v" "${smoke_env[@]}" sh "$files/smoke.sh")
	rc=$?
	[ $rc -eq 0 ] && pass "$label" "smoke.sh passed" || fail "$label" "smoke.sh failed (exit $rc)"
	user_check "$label" "$mnt" "$sec"
	for op in WRITE OPEN CLOSE; do
		n=$(opcount "$mnt" $op)
		[ "$n" -gt 0 ] || missing="$missing $op"
	done
	# Linux 6.12 reads by READ_PLUS on 4.2, 6.1 by READ.
	local reads=$(($(opcount "$mnt" READ) + $(opcount "$mnt" READ_PLUS)))
	[ "$reads" -gt 0 ] || missing="$missing READ/READ_PLUS"
	local rw=$((reads + $(opcount "$mnt" WRITE)))
	info "$label" "mountstats: $(nonzero_ops "$mnt")"
	if [ -z "$missing" ]; then
		pass "$label" "mountstats count WRITE $(opcount "$mnt" WRITE), READ/READ_PLUS $reads, OPEN $(opcount "$mnt" OPEN), CLOSE $(opcount "$mnt" CLOSE)"
	else
		fail "$label" "mountstats count no$missing"
	fi
	state_ops_ok "$label" "$mnt"
	grep -A1 "mounted on $mnt with" /proc/self/mountstats | grep -o 'sec=[a-z0-9]*' | head -1 |
		sed "s/^/E2E INFO krb5-$label: mountstats: /"
	umount "$mnt" || fail "$label" "umount $mnt failed"
	snapshot "$label" "$after" || return 1
	gss_grew "$label" "$sec" "$before" "$after" "$rw"
}

deleg_run() { # sec vers
	local sec=$1 v=$2 label=deleg-$1-$2 mnt=/mnt/krb5-deleg rc g r
	local before=m-$label-before after=m-$label-after
	snapshot "$label" "$before" || return 1
	mount_krb5 "$label" "$sec" "$v" "$deleg_export" "$mnt" || return 1
	trace_errors >/dev/null
	(cd "$mnt" && KCLIENT_MNT=$mnt KCLIENT_VERS=$v KCLIENT_OUTDIR=$out/deleg \
		bash "$files/deleg.sh" "opens=$opens" local=1)
	rc=$?
	[ $rc -eq 0 ] && pass "$label" "deleg.sh passed" || fail "$label" "deleg.sh failed (exit $rc)"
	info "$label" "mountstats: $(nonzero_ops "$mnt")"
	state_ops_ok "$label" "$mnt"
	local rw=$(($(opcount "$mnt" READ) + $(opcount "$mnt" WRITE)))
	umount "$mnt" || fail "$label" "umount $mnt failed"
	snapshot "$label" "$after" || return 1
	local m d=()
	for m in granted recalled revoked; do
		d+=($(($(metric "$tmp/$after" ferry_delegations_${m}_total) -
			$(metric "$tmp/$before" ferry_delegations_${m}_total))))
	done
	g=${d[0]} r=${d[1]}
	if [ $g -gt 0 ] && [ $r -gt 0 ]; then
		pass "$label" "ferryd granted $g and recalled $r delegations"
	else
		fail "$label" "ferryd granted $g and recalled $r delegations, want both > 0"
	fi
	# A recalled delegation must come back, not be taken when the client's
	# lease runs out.
	if [ "${d[2]}" -eq 0 ]; then
		pass "$label" "ferryd revoked no delegation"
	else
		fail "$label" "ferryd revoked ${d[2]} delegations: recalls that were not returned"
	fi
	gss_grew "$label" "$sec" "$before" "$after" "$rw"
}

# as_alice_lock OUT LOCK_TOOL_ARGS...: lock_tool as alice (uid 1, whose
# ticket user_check put in /tmp/krb5cc_1), under a time limit; its
# output in OUT.
as_alice_lock() {
	local o=$1 q="" x
	shift
	for x in "$@"; do q="$q '$x'"; done
	timeout -s KILL 90 su -s /bin/sh daemon -c "exec '$files/lock_tool'$q" >"$o" 2>&1
}

# cross_locks LABEL HOLDER_PATH HOLDER CONTENDER_PATH CONTENDER: alice's
# process A takes a write lock of her file through HOLDER (a mount), and
# holds it until told to let go; B's try through CONTENDER (another mount
# of the same file) must be refused, and B's blocking request must still
# wait 1.5 s later and be granted once A lets go.  The two mounts are
# separate superblocks, so the guest's own lock table never sees the other
# side's lock: refusing and granting are the server's.  While an NFSv3
# holder holds, the server must count the NLM lock and its statd monitor
# the guest.  Passes are "lock through HOLDER, CONTENDER: ...".
cross_locks() {
	local label=$1 hpath=$2 holder=$3 cpath=$4 contender=$5 d=/tmp/krb5-v3-locks a b rc got ms early i
	local step="lock through $holder, $contender"
	mkdir -p "$d" && chmod 1777 "$d"
	rm -f "$d/held" "$d/release"
	as_alice_lock "$tmp/a.out" --hold 75 --until "$d/release" --marker "$d/held" "$hpath" &
	a=$!
	i=0
	while [ ! -e "$d/held" ] && [ $i -lt 300 ] && kill -0 $a 2>/dev/null; do
		i=$((i + 1))
		sleep 0.1
	done
	if [ ! -e "$d/held" ]; then
		fail "$label" "$step: alice's process A never got its lock: $(cat "$tmp/a.out")"
		dmesg | grep -iE 'lockd|statd|nlm' | tail -5 | sed 's/^/  guest dmesg: /'
		: >"$d/release"
		wait $a
		return 1
	fi
	as_alice_lock "$tmp/b.out" --nonblock "$cpath"
	rc=$?
	[ $rc = 3 ] && pass "$label" "$step: B's try is refused while A holds it ($(cat "$tmp/b.out"))" ||
		fail "$label" "$step: B's try while A holds it: exit $rc ($(cat "$tmp/b.out"))"
	if [ "$holder" = NFSv3 ]; then
		if snapshot "$label" held; then
			got=$(metric "$tmp/held" ferry_nlm_locks)
			[ "$got" -ge 1 ] && pass "$label" "$step: the server counts $got NLM lock(s) (ferry_nlm_locks) while A holds it" ||
				fail "$label" "$step: the server counts no NLM lock while A holds one (ferry_nlm_locks $got)"
		fi
		if host_request monitored monitored && grep -q . "$tmp/monitored"; then
			pass "$label" "$step: the server's statd monitors $(tr '\n' ' ' <"$tmp/monitored")"
		else
			fail "$label" "$step: the server's statd monitors nobody while the guest holds a lock: $(cat "$tmp/monitored")"
		fi
	fi
	as_alice_lock "$tmp/b.out" --timeout 60 "$cpath" &
	b=$!
	sleep 1.5
	early=0
	kill -0 $b 2>/dev/null || early=1
	: >"$d/release"
	wait $b
	rc=$?
	got=$(cat "$tmp/b.out")
	ms=$(echo "$got" | sed -n 's/^LOCK granted after \([0-9]*\) ms$/\1/p')
	if [ $early = 0 ] && [ $rc = 0 ] && [ -n "$ms" ] && [ "$ms" -ge 1000 ]; then
		pass "$label" "$step: B's blocking request waited for A and was granted after $ms ms"
	else
		fail "$label" "$step: B's blocking request: exit $rc, ended before A let go: $early ($got)"
	fi
	wait $a || fail "$label" "$step: alice's process A failed: $(cat "$tmp/a.out")"
}

# NFSv3 under sec=krb5, with NLM locks (see v3 above).
v3_run() {
	local label=v3 mnt=/mnt/krb5-v3 v4mnt=/mnt/krb5-v3-nfs4 line why f n
	local before=m-$label-before after=m-$label-after
	[ -x "$files/lock_tool" ] || { fail "$label" "$files/lock_tool missing (kclient --file)"; return 1; }
	[ -f "$files/nlm_daemons.sh" ] || { fail "$label" "$files/nlm_daemons.sh missing (kclient --file)"; return 1; }
	. "$files/nlm_daemons.sh"
	if why=$(nlm_daemons_start); then
		pass "$label" "the guest's rpcbind and rpc.statd up (rpcinfo lists status)"
	else
		fail "$label" "$why"
		return 1
	fi
	snapshot "$label" "$before" || return 1
	mount_krb5 "$label" krb5 3 "$krb5_export" "$mnt" || return 1
	line=$(awk -v m="$mnt" '$2 == m' /proc/mounts)
	case ",$(echo "$line" | awk '{ print $4 }')," in
	*,nolock,*) fail "$label" "the NFSv3 mount says nolock: $line" ;;
	*,vers=3,*) pass "$label" "NFSv3 with locking: $line" ;;
	*) fail "$label" "the NFSv3 mount's options lack vers=3: $line" ;;
	esac
	user_check "$label" "$mnt" krb5-v3
	# alice's own file (the guest's lockd calls NLM with AUTH_SYS and
	# alice's uid, the file's owner), locked through the NFSv3 mount and
	# through an NFSv4.1 one of the same export.
	f=alice/by-krb5-v3
	if mount_krb5 "$label" krb5 4.1 "$krb5_export" "$v4mnt"; then
		cross_locks "$label" "$mnt/$f" NFSv3 "$v4mnt/$f" NFSv4.1
		cross_locks "$label" "$v4mnt/$f" NFSv4.1 "$mnt/$f" NFSv3
		umount "$v4mnt" || fail "$label" "umount $v4mnt failed"
	fi
	info "$label" "mountstats: $(nonzero_ops "$mnt")"
	n=$(opcount "$mnt" WRITE)
	[ "$n" -gt 0 ] && pass "$label" "mountstats count WRITE $n" || fail "$label" "mountstats count no WRITE"
	umount "$mnt" || fail "$label" "umount $mnt failed"
	snapshot "$label" "$after" || return 1
	gss_grew "$label" krb5 "$before" "$after" "$n"
	info "$label" "NLM calls: $(awk 'NR == FNR { if ($1 ~ /^ferry_nlm_calls_total/) b[$1] = $2; next }
		$1 ~ /^ferry_nlm_calls_total/ && $2 - b[$1] > 0 { printf "%s +%d ", $1, $2 - b[$1] }' \
		"$tmp/$before" "$tmp/$after")"
	# A's lock, B's try and B's blocking request as the NFSv3 side of
	# each of the two conflicts.
	n=$(($(metric "$tmp/$after" 'ferry_nlm_calls_total{proc="LOCK"}') -
		$(metric "$tmp/$before" 'ferry_nlm_calls_total{proc="LOCK"}')))
	[ "$n" -ge 3 ] && pass "$label" "ferry_nlm_calls_total{proc=\"LOCK\"} grew by $n" ||
		fail "$label" "ferry_nlm_calls_total{proc=\"LOCK\"} grew by $n, want >= 3"
}

refuse_sys() {
	local mnt=/mnt/krb5-sys
	mkdir -p $mnt
	if timeout "$mount_timeout" mount.nfs "$server_name:$krb5_export" $mnt -o "vers=4.1,sec=sys,proto=tcp,port=$port,retry=0" \
		>"$tmp/mount.out" 2>&1; then
		fail refuse-sys "$server_name:$krb5_export (sec = krb5p:krb5i:krb5) mounted with sec=sys"
		umount $mnt
	else
		pass refuse-sys "sec=sys mount of $krb5_export refused: $(head -1 "$tmp/mount.out")"
	fi
}

# The kernel's RPCSEC_GSS contexts across an in-place upgrade of ferryd.
upgrade_krb5_run() { # sec vers
	local sec=$1 v=$2 label=upgrade-$1-$2 mnt=/mnt/krb5-up-$1-$2 f created calls
	mount_krb5 "$label" "$sec" "$v" "$krb5_export" "$mnt" || return 1
	if ! KRB5CCNAME=FILE:/tmp/krb5cc_$user_uid kinit -k -t "$tmp/alice.keytab" "$user@$realm" \
		>"$tmp/kinit.out" 2>&1; then
		fail "$label" "kinit $user: $(cat "$tmp/kinit.out")"
		umount "$mnt"
		return 1
	fi
	chown "$user_uid:$user_uid" /tmp/krb5cc_$user_uid
	# Root's (the machine credential's) and alice's contexts, both in use.
	write_both() { # step
		dd if=/dev/urandom of="$mnt/up-root-$1" bs=64k count=4 conv=fsync status=none &&
			su -s /bin/sh daemon -c "dd if=/dev/urandom of='$mnt/alice/up-$1' bs=64k count=4 conv=fsync status=none"
	}
	if write_both before >"$tmp/up.out" 2>&1; then
		pass "$label" "root and $user wrote with fsync before the upgrade"
	else
		fail "$label" "writes before the upgrade failed: $(cat "$tmp/up.out")"
	fi
	local sums_before
	sums_before=$(cat "$mnt/up-root-before" "$mnt/alice/up-before" | md5sum)
	if host_request upgrade upgrade; then
		pass "$label" "ferryd upgraded in place: $(head -1 "$tmp/upgrade")"
	else
		fail "$label" "the upgrade failed: $(cat "$tmp/upgrade")"
		umount "$mnt"
		return 1
	fi
	if write_both after >"$tmp/up.out" 2>&1 &&
		[ "$(cat "$mnt/up-root-before" "$mnt/alice/up-before" | md5sum)" = "$sums_before" ] &&
		su -s /bin/sh daemon -c "cat '$mnt/alice/up-after' >/dev/null" 2>>"$tmp/up.out"; then
		pass "$label" "root and $user wrote and read through the same mount after the upgrade"
	else
		fail "$label" "I/O after the upgrade failed: $(cat "$tmp/up.out")"
		gssd_tail
	fi
	if snapshot "$label" "m-$label-after"; then
		created=$(metric "$tmp/m-$label-after" 'ferry_gss_context_events_total{event="created"}')
		calls=$(metric "$tmp/m-$label-after" "ferry_gss_calls_total{service=\"$sec\"}")
		if [ "$created" = 0 ] && [ "$calls" -gt 0 ]; then
			pass "$label" "the new ferryd made no RPCSEC_GSS context and served $calls $sec calls on those handed over"
		else
			fail "$label" "the new ferryd made $created RPCSEC_GSS context(s) and served $calls $sec calls: the kernel's contexts did not go on"
		fi
	fi
	umount "$mnt" || fail "$label" "umount $mnt failed"
}

# --- the runs ------------------------------------------------------------------------
if setup; then
	for r in $runs; do
		smoke_run "${r%%:*}" "${r#*:}"
	done
	if [ "$deleg" != none ]; then
		for r in $deleg; do
			deleg_run "${r%%:*}" "${r#*:}"
		done
	fi
	[ "$v3" = 1 ] && v3_run
	[ "$upgrade" != none ] && upgrade_krb5_run "${upgrade%%:*}" "${upgrade#*:}"
	refuse_sys
	[ $failed = 0 ] || gssd_tail 40
	# kclient unmounts what it mounted.
	if ! timeout "$mount_timeout" mount.nfs "$server_addr:${KCLIENT_EXPORT:-/export}" "$carrier" \
		-o "$KCLIENT_MOUNT_OPTS" \
		>"$tmp/mount.out" 2>&1; then
		fail setup "cannot mount kclient's $carrier again: $(cat "$tmp/mount.out")"
	fi
else
	gssd_tail 40
fi
rm -rf "$tmp"
echo "E2E INFO krb5: done in $(up) s of guest uptime"
exit $failed
