#!/usr/bin/env bash
# The host side of the kernel-client RPC-with-TLS run (RFC 9289;
# guest/tls.sh): kclient's server command for FERRY_E2E_ONLY=tls, so it runs
# inside kclient's network namespace.  It
#
#  - makes throwaway keys with openssl in DIR/pki, nothing kept after the
#    run: a CA; the server's certificate, signed by it, whose subjectAltName
#    is the address the guest connects to ($KCLIENT_SERVER_ADDR; in
#    kclient's user networking mode 10.0.2.2 as well, which is the same
#    server seen from the guest); the guest's client certificate, signed by
#    the same CA; and a second client certificate with the same subject
#    signed by a CA of its own ("rogue"), which the server must not trust;
#  - hands the guest what it needs through the directory kclient shares
#    with it (OUTDIR): ca.pem (to verify the server), client.pem and
#    client.key (for xprtsec=mtls), rogue.pem and rogue.key, guest.env (the
#    export paths and the server certificate's names);
#  - starts ferryd, in the foreground, with a [tls] section (its
#    certificate and key, and the CA whose client certificates it trusts)
#    and three exports: /export (no xprtsec: kclient's own mount before the
#    guest script runs, over plain TCP), /tls (xprtsec = tls) and /mtls
#    (xprtsec = mtls).
#
# Usage: tls_host.sh DIR OUTDIR
#   DIR     scratch directory (made; holds the keys, the exports, ferryd's
#           config and state)
#   OUTDIR  the directory shared with the guest (kclient --outdir)
# Environment: FERRYD (default build/ferryd), FERRYD_LOG_LEVEL (default
# info), OPENSSL (default openssl), and kclient's KCLIENT_SERVER_ADDR and
# KCLIENT_NET_MODE.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dir=${1:?usage: tls_host.sh DIR OUTDIR} outdir=${2:?usage: tls_host.sh DIR OUTDIR}
ferryd=${FERRYD:-$top/build/ferryd}
openssl=${OPENSSL:-openssl}
addr=${KCLIENT_SERVER_ADDR:-127.0.0.1}
guest_host=${GUEST_HOST:-kclient-guest}

say() { echo "tls-host: $*"; }
die() { say "FAILED: $*"; exit 1; }

mkdir -p "$dir" "$outdir" || die "cannot make $dir or $outdir"
[ -x "$ferryd" ] || die "$ferryd not built"
command -v "$openssl" >/dev/null || die "no openssl command (Debian: openssl)"

# --- the keys -----------------------------------------------------------------------
pki=$dir/pki
rm -rf "$pki"
mkdir -p "$pki" && chmod 700 "$pki" || die "cannot make $pki"
# The names the server's certificate carries: tlshd checks the address the
# guest mounts by against them.
san="IP:$addr"
[ "${KCLIENT_NET_MODE:-tap}" = user ] && san="$san,IP:10.0.2.2"
ossl() { # args: openssl ARGS..., its output into pki/openssl.log
	"$openssl" "$@" >>"$pki/openssl.log" 2>&1 || {
		tail -5 "$pki/openssl.log"
		die "openssl $1 failed (above; $pki/openssl.log)"
	}
}
key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/$1.key"; }
ca() { # name subject
	key "$1"
	ossl req -x509 -new -key "$pki/$1.key" -out "$pki/$1.pem" -days 2 -subj "$2" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
leaf() { # name subject CA extended-key-usage subjectAltName
	key "$1"
	ossl req -new -key "$pki/$1.key" -out "$pki/$1.csr" -subj "$2"
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=$4" "subjectAltName=$5" >"$pki/$1.ext"
	ossl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.pem" -CAkey "$pki/$3.key" \
		-CAcreateserial -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.pem"
}
t0=$SECONDS
ca ca "/CN=Ferry e2e TLS CA"
ca rogue-ca "/CN=Ferry e2e rogue CA"
leaf server "/CN=$addr" ca serverAuth "$san"
leaf client "/CN=$guest_host" ca clientAuth "DNS:$guest_host"
leaf rogue "/CN=$guest_host" rogue-ca clientAuth "DNS:$guest_host"
"$openssl" verify -CAfile "$pki/ca.pem" "$pki/server.pem" "$pki/client.pem" >>"$pki/openssl.log" 2>&1 ||
	die "the new certificates do not verify against their CA ($pki/openssl.log)"
"$openssl" verify -CAfile "$pki/ca.pem" "$pki/rogue.pem" >>"$pki/openssl.log" 2>&1 &&
	die "the rogue client certificate verifies against the server's CA"
chmod 600 "$pki"/*.key
say "keys made in $((SECONDS - t0)) s: server certificate for $san, client certificate CN=$guest_host," \
	"and one from another CA"

# --- what the guest gets -------------------------------------------------------------
for f in ca.pem client.pem client.key rogue.pem rogue.key; do
	cp "$pki/$f" "$outdir/$f" || die "cannot copy $f to $outdir"
done
cat >"$outdir/guest.env" <<EOF
plain_export=/export
tls_export=/tls
mtls_export=/mtls
server_san=$san
guest_host=$guest_host
EOF

# --- ferryd ---------------------------------------------------------------------------
mkdir -p "$dir/export" "$dir/export-tls" "$dir/export-mtls" "$dir/state"
cat >"$dir/ferryd.conf" <<EOF
[server]
listen = 0.0.0.0:2049
state_dir = $dir/state
rpcbind = no

[tls]
cert = $pki/server.pem
key = $pki/server.key
client_ca = $pki/ca.pem

[nfs]
lease_time = 30
grace_time = 5

[export e2e]
path = $dir/export
pseudo = /export
squash = none

[export tls]
path = $dir/export-tls
pseudo = /tls
squash = none
xprtsec = tls

[export mtls]
path = $dir/export-mtls
pseudo = /mtls
squash = none
xprtsec = mtls
EOF
say "starting ferryd with $dir/ferryd.conf"
exec "$ferryd" --config "$dir/ferryd.conf" --log-level "${FERRYD_LOG_LEVEL:-info}"
