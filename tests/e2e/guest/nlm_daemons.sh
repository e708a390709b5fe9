# Sourced by the guest scripts that mount NFSv3 with locking (v3.sh,
# krb5.sh; shipped into the guest with kclient --file).
#
# nlm_daemons_start starts what the client side of NLM needs besides the
# kernel's lockd: rpcbind (lockd registers nlockmgr with it, and the
# server's statd and lockd find the guest's through it) and rpc.statd (the
# guest's lockd asks it to monitor the server), both brought in with
# KCLIENT_EXTRA_BINS.  It returns once rpcinfo lists status, or non-zero
# with the reason on standard output.  Start it from / (or any directory
# outside an NFS mount): the daemons keep their working directory busy.
nlm_daemons_start() {
	local b i
	for b in rpcbind rpc.statd rpcinfo; do
		command -v $b >/dev/null || { echo "no $b in the guest (KCLIENT_EXTRA_BINS)"; return 1; }
	done
	# rpcbind runs as _rpc; the guest's /etc/passwd has root and nobody only.
	grep -q '^_rpc:' /etc/passwd || echo '_rpc:x:100:65534::/run/rpcbind:/bin/false' >>/etc/passwd
	mkdir -p /run/rpcbind /var/lib/nfs/sm /var/lib/nfs/sm.bak
	# rpcinfo names programs from /etc/rpc (shipped with --file when the
	# host has one); the checks go by number.
	[ -f /etc/rpc ] || { [ -f "${KCLIENT_FILES:-/kcrun/files}/rpc" ] && cp "${KCLIENT_FILES:-/kcrun/files}/rpc" /etc/rpc; }
	rpcbind -w || { echo "rpcbind did not start"; return 1; }
	for i in $(seq 50); do rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
	rpc.statd --no-notify || { echo "rpc.statd did not start"; return 1; }
	nlm_daemons_registered 100024 && return 0
	echo "rpc.statd is not registered: $(rpcinfo -p 127.0.0.1 2>&1 | tr '\n' ' ')"
	return 1
}

# nlm_daemons_registered PROGRAM: true once the guest's rpcbind lists
# PROGRAM (by number), waiting up to 10 s.
nlm_daemons_registered() {
	local i
	for i in $(seq 100); do
		rpcinfo -p 127.0.0.1 2>/dev/null | grep -qE "^ *$1 " && return 0
		sleep 0.1
	done
	return 1
}
