#!/usr/bin/env bash
# The host side of the kernel-client Kerberos run (guest/krb5.sh): kclient's
# server command for FERRY_E2E_ONLY=krb5, so it runs inside kclient's
# network namespace.  It
#
#  - makes a realm with tests/lib/krb5_kdc.sh (FERRY.TEST, its KDC on
#    127.0.0.1 of the namespace) and adds the principals the kernel client
#    needs: nfs/SERVER_NAME (the name the guest mounts the server by, which
#    rpc.gssd asks a ticket for as nfs@SERVER_NAME) and nfs/GUEST_HOST (the
#    guest's machine credential, which rpc.gssd takes from the guest's
#    keytab for root and for the client's lease: EXCHANGE_ID, CREATE_SESSION,
#    SETCLIENTID, RENEW);
#  - starts a second krb5kdc on the same database that listens where the
#    guest reaches the server ($KCLIENT_SERVER_ADDR, port 88): the fixture's
#    KDC listens on 127.0.0.1 only;
#  - hands the guest what it needs through the directory kclient shares
#    with it (OUTDIR): guest.env (the realm, the names, the KDC port, the
#    export paths), guest.keytab (nfs/GUEST_HOST), alice.keytab;
#  - moves into a mount namespace of its own and starts rpcbind and
#    rpc.statd there (rpc_daemons.sh) for the NFSv3 mount, whose MOUNT and
#    NLM the guest finds through rpcbind;
#  - starts ferryd with the realm's keys for nfs/SERVER_NAME and two exports:
#    /krb5 (sec = krb5p:krb5i:krb5, sys refused) for the smoke runs and the
#    NFSv3 one (NFSv3 under RPCSEC_GSS, NLM's locks under AUTH_SYS as
#    clients' lock managers send them), and /export (sec = krb5:sys) for
#    the delegation run, whose second client (tests/e2e/nfs4_conflict_client,
#    run by host_helper.sh on OUTDIR/deleg) speaks AUTH_SYS; ferryd
#    registers with rpcbind and has statd monitor NLM's clients;
#  - answers the guest's requests (below) until it is stopped.
#
# Principals and local users on the server side: the realm's auth_to_local
# rules (alice -> daemon, uid 1; bob -> bin, uid 2) plus one that maps the
# guest's machine principal nfs/GUEST_HOST to root: the guest's root acts
# with its machine credential (rpc.gssd's default for uid 0), and the smoke
# workload needs root (chown), so the guest is a client trusted with root,
# as with knfsd's no_root_squash.  ferryd reads these through its own
# krb5.conf (KRB5_CONFIG), a copy of the realm's with that rule added.
#
# Requests (as host_helper.sh's: OUTDIR/<tag>.ready, key=value lines, is
# renamed to <tag>.taken; the answer goes to <tag>.result, then the exit
# status to <tag>.done):
#   kind=metrics          ferryctl metrics (Prometheus text) into the result
#   kind=gss              ferryctl gss (contexts: principal, uid, calls)
#   kind=stat name=PATH   "uid gid" of PATH in the /krb5 export (from the
#                         host's file system, not through NFS)
#   kind=upgrade          ferryctl upgrade (ferryd in place, the same
#                         binary): its output; this script then follows
#                         the new ferryd's pid
#   kind=monitored        the hosts this side's rpc.statd monitors (its sm
#                         directory): a client that took an NLM lock
#
# Usage: krb5_host.sh DIR OUTDIR
#   DIR     scratch directory (made; holds the realm, the exports, ferryd's
#           config, state and the KDC logs, which stay after the run)
#   OUTDIR  the directory shared with the guest (kclient --outdir)
# Environment: FERRYD, FERRYCTL, CONFLICT_CLIENT (for host_helper.sh),
# KRB5_KDC (default tests/lib/krb5_kdc.sh), GUEST_HOST (default
# kclient-guest: the name kclient's guest gives itself), SERVER_NAME
# (default nfs-server.ferry.test), FERRYD_LOG_LEVEL (default info), and
# kclient's KCLIENT_SERVER_ADDR.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dir=$1 outdir=$2
ferryd=${FERRYD:-$top/build/ferryd}
ferryctl=${FERRYCTL:-$top/build/ferryctl}
conflict_client=${CONFLICT_CLIENT:-$top/build/tests/nfs4_conflict_client}
kdc_sh=${KRB5_KDC:-$top/tests/lib/krb5_kdc.sh}
guest_host=${GUEST_HOST:-kclient-guest}
server_name=${SERVER_NAME:-nfs-server.ferry.test}
addr=${KCLIENT_SERVER_ADDR:-127.0.0.1}
realm_name=FERRY.TEST
realm=$dir/realm
PATH=$PATH:/usr/sbin:/sbin

say() { echo "krb5-host: $*"; }
die() { say "FAILED: $*"; exit 1; }

# A mount namespace of its own (private: nothing mounted here shows
# outside) for rpcbind's and statd's files, entered by running this script
# again inside it.
if [ -z "${KRB5_HOST_PRIVATE:-}" ]; then
	KRB5_HOST_PRIVATE=1 exec unshare --mount --propagation private "$0" "$@"
	die "cannot run unshare --mount"
fi

pids=()
cleanup() {
	local rc=$? p
	trap - EXIT TERM INT
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	# The KDC logs outlive the realm, which stop removes.
	cp "$realm/kdc.log" "$dir/kdc.log" 2>/dev/null
	cp "$realm/kdc-guest.log" "$dir/kdc-guest.log" 2>/dev/null
	bash "$kdc_sh" stop "$realm" 2>/dev/null
	exit "$rc"
}
trap cleanup EXIT TERM INT

mkdir -p "$dir" "$outdir/deleg" || die "cannot make $dir or $outdir/deleg"
[ -f "$kdc_sh" ] || die "$kdc_sh not found"
for t in "$ferryd" "$ferryctl" "$conflict_client"; do
	[ -x "$t" ] || die "$t not built"
done

# --- the realm -------------------------------------------------------------------
t0=$SECONDS
rm -rf "$realm"
bash "$kdc_sh" start "$realm" || die "tests/lib/krb5_kdc.sh start failed"
eval "$(bash "$kdc_sh" env "$realm")"
# The KDC started here goes when the realm is stopped; the pid is for
# cleanup's wait only through stop.
kadmin_out=$dir/kadmin.out
{
	echo "addprinc -randkey nfs/$server_name"
	echo "addprinc -randkey nfs/$guest_host"
	echo "ktadd -norandkey -k $realm/ferryd.keytab nfs/$server_name nfs/localhost"
	echo "ktadd -norandkey -k $realm/guest.keytab nfs/$guest_host"
} | kadmin.local -r "$realm_name" >"$kadmin_out" 2>&1
for p in "ferryd.keytab nfs/$server_name" "guest.keytab nfs/$guest_host"; do
	set -- $p
	klist -k "$realm/$1" 2>/dev/null | grep -q " $2@$realm_name\$" ||
		{ cat "$kadmin_out"; die "no key for $2@$realm_name in $realm/$1"; }
done

# A second KDC on the same database, where the guest reaches this host.
sed -E -e "s|^([[:space:]]*kdc_(tcp_)?listen[[:space:]]*=).*|\1 $addr:88|" \
	-e "s|^([[:space:]]*kdc[[:space:]]*=[[:space:]]*FILE:).*|\1$realm/kdc-guest.log|" \
	"$realm/kdc.conf" >"$realm/kdc-guest.conf"
grep -q "kdc_listen = $addr:88" "$realm/kdc-guest.conf" ||
	die "cannot make the KDC configuration for $addr:88 from $realm/kdc.conf"
KRB5_KDC_PROFILE=$realm/kdc-guest.conf krb5kdc -n -r "$realm_name" -P "$realm/kdc-guest.pid" \
	</dev/null >"$realm/kdc-guest.out" 2>&1 &
pids+=($!)

# What the guest's krb5.conf names (guest/krb5.sh writes it with the
# address it reaches the server by); here the same, with this side's
# address, to find out that the KDC answers there with the guest's key.
cat >"$realm/guest-probe.conf" <<EOF
[libdefaults]
	default_realm = $realm_name
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	udp_preference_limit = 1
[realms]
	$realm_name = {
		kdc = $addr:88
	}
EOF
ok=0
for ((i = 0; i < 100; i++)); do
	if KRB5_CONFIG=$realm/guest-probe.conf KRB5CCNAME=FILE:$realm/probe-guest.ccache \
		kinit -k -t "$realm/guest.keytab" "nfs/$guest_host@$realm_name" >/dev/null 2>&1; then
		ok=1
		break
	fi
	kill -0 "${pids[0]}" 2>/dev/null || break
	sleep 0.1
done
rm -f "$realm/probe-guest.ccache"
[ $ok = 1 ] || { cat "$realm/kdc-guest.out" "$realm/kdc-guest.log" 2>/dev/null | tail -20;
	die "the KDC on $addr:88 gives no ticket for nfs/$guest_host"; }

# ferryd's krb5.conf: the realm's, and the guest's machine principal as root.
RULE="RULE:[2:\$1/\$2@\$0](nfs/$guest_host@${realm_name//./\\.})s/.*/root/" awk '
	/^[[:space:]]*auth_to_local[[:space:]]*=[[:space:]]*DEFAULT/ && !done {
		match($0, /^[[:space:]]*/)
		print substr($0, 1, RLENGTH) "auth_to_local = " ENVIRON["RULE"]
		done = 1
	}
	{ print }' "$realm/krb5.conf" >"$dir/ferryd-krb5.conf"
grep -qF "(nfs/$guest_host@" "$dir/ferryd-krb5.conf" ||
	die "no auth_to_local DEFAULT line in $realm/krb5.conf to put the machine rule before"
say "realm $realm_name up in $((SECONDS - t0)) s (KDCs on 127.0.0.1 and $addr:88)"

# --- what the guest gets -------------------------------------------------------------
cp "$realm/guest.keytab" "$outdir/guest.keytab" &&
	cp "$realm/alice.keytab" "$outdir/alice.keytab" || die "cannot copy the keytabs to $outdir"
cat >"$outdir/guest.env" <<EOF
realm=$realm_name
guest_host=$guest_host
server_name=$server_name
kdc_port=88
krb5_export=/krb5
deleg_export=/export
user=alice
user_uid=1
EOF

# --- rpcbind and statd, for NFSv3 ----------------------------------------------------
. "$here/rpc_daemons.sh"
private_rpc_daemons "$dir/statd" || die "rpcbind and rpc.statd: see above"
say "rpcbind and rpc.statd up"

# --- ferryd ---------------------------------------------------------------------------
mkdir -p "$dir/export-krb5" "$dir/export" "$dir/state"
# The mapped user's directory: alice (daemon) writes there.
install -d -o daemon -g daemon -m 0755 "$dir/export-krb5/alice" || die "cannot make the user's directory"
cat >"$dir/ferryd.conf" <<EOF
[server]
listen = 0.0.0.0:2049
state_dir = $dir/state
keytab = $realm/ferryd.keytab

[nfs]
lease_time = 30
grace_time = 5

[nlm]
statd_dir = $dir/statd

[export krb5]
path = $dir/export-krb5
pseudo = /krb5
squash = none
sec = krb5p:krb5i:krb5

[export e2e]
path = $dir/export
pseudo = /export
squash = none
sec = krb5:sys
EOF

"$here/host_helper.sh" "$outdir/deleg" "$conflict_client" "$dir/export" 3600 &
pids+=($!)
KRB5_CONFIG=$dir/ferryd-krb5.conf "$ferryd" --config "$dir/ferryd.conf" \
	--log-level "${FERRYD_LOG_LEVEL:-info}" &
ferryd_pid=$!
pids+=($ferryd_pid)

# --- the guest's requests ----------------------------------------------------------
answer() { # kind name: prints the answer, returns its status
	case $1 in
	metrics) "$ferryctl" --state-dir "$dir/state" metrics ;;
	gss) "$ferryctl" --state-dir "$dir/state" gss ;;
	upgrade)
		local said
		said=$("$ferryctl" --state-dir "$dir/state" upgrade 2>&1) || { echo "$said"; return 1; }
		echo "$said"
		# "upgraded: pid N serves now; ...": the one to follow from now.
		local pid=${said#upgraded: pid }
		pid=${pid%% *}
		case $pid in '' | *[!0-9]*) echo "no pid in ferryctl's answer"; return 1 ;; esac
		ferryd_pid=$pid
		pids+=("$pid")
		;;
	monitored) ls -1 "$dir/statd/sm" ;;
	stat)
		case $2 in
		"" | /* | *..*) echo "bad name '$2'"; return 1 ;;
		esac
		stat -c '%u %g' "$dir/export-krb5/$2"
		;;
	*) echo "unknown kind '$1'"; return 1 ;;
	esac
}
while kill -0 "$ferryd_pid" 2>/dev/null; do
	for r in "$outdir"/*.ready; do
		[ -e "$r" ] || continue
		tag=${r##*/}
		tag=${tag%.ready}
		mv -f "$r" "$outdir/$tag.taken" || continue
		kind="" name=""
		while IFS='=' read -r k v; do
			case $k in kind) kind=$v ;; name) name=$v ;; esac
		done <"$outdir/$tag.taken"
		answer "$kind" "$name" >"$outdir/$tag.result" 2>&1
		echo $? >"$outdir/$tag.done"
	done
	sleep 0.2
done
# The first ferryd is this script's child; one an upgrade started is not.
wait "$ferryd_pid" 2>/dev/null
say "ferryd $ferryd_pid exited"
