# Sourced by the host side of the kernel-client runs that serve NLM
# (v3_host.sh, krb5_host.sh), inside kclient's network namespace.
#
# private_rpc_daemons STATD_DIR starts Debian's rpcbind and rpc.statd for
# the run: the server registers NFS, MOUNT and NLM with rpcbind (the
# guest's mount.nfs and lockd find MOUNT and NLM through it), and asks
# statd to monitor each client that takes a lock.  It mounts fresh tmpfs on
# /run and /var/lib/nfs first, so that the daemons' sockets, lock and pid
# files are this run's and touch nothing of the host's: the caller must be
# in a mount namespace of its own (unshare --mount --propagation private).
# statd keeps its monitor list in STATD_DIR (a server restarted in the run
# has its sm-notify read it; nobody to notify at start: --no-notify).
# Both run in the foreground as children of the caller; their pids are
# appended to the caller's array pids, to stop at the end.  Returns
# non-zero, with the reason on standard error, when one does not come up.
private_rpc_daemons() {
	local statd_dir=$1 b i
	for b in rpcbind rpc.statd rpcinfo; do
		command -v "$b" >/dev/null ||
			{ echo "no $b on this host (Debian: rpcbind, nfs-common)" >&2; return 1; }
	done
	mkdir -p "$statd_dir/sm" "$statd_dir/sm.bak" || return 1
	mount -t tmpfs -o mode=0755 tmpfs /run && mount -t tmpfs -o mode=0755 tmpfs /var/lib/nfs || {
		echo "cannot mount tmpfs on /run and /var/lib/nfs (not in a private mount namespace?)" >&2
		return 1
	}
	mkdir -p /run/rpcbind /var/lib/nfs/sm /var/lib/nfs/sm.bak
	# -w: a warm start file in /run/rpcbind.
	rpcbind -f -w &
	pids+=($!)
	for ((i = 0; i < 100; i++)); do
		rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break
		sleep 0.1
	done
	rpcinfo -p 127.0.0.1 >/dev/null 2>&1 || { echo "rpcbind does not answer on 127.0.0.1" >&2; return 1; }
	rpc.statd -F --no-notify -P "$statd_dir" &
	pids+=($!)
	for ((i = 0; i < 100; i++)); do
		rpcinfo -p 127.0.0.1 2>/dev/null | grep -qw status && break
		sleep 0.1
	done
	rpcinfo -p 127.0.0.1 2>/dev/null | grep -qw status ||
		{ echo "rpc.statd did not register with rpcbind" >&2; return 1; }
}
