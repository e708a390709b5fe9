#!/usr/bin/env bash
# A throwaway MIT Kerberos realm, FERRY.TEST, for the RPCSEC_GSS tests: one
# krb5kdc on 127.0.0.1, its database, configuration, keytabs, caches and logs
# all inside one directory, gone again after `stop`.
#
#   krb5_kdc.sh start DIR       make DIR (absent or empty), start the KDC
#   krb5_kdc.sh env DIR         export lines for the realm's configuration
#   krb5_kdc.sh kinit DIR USER  USER's ticket into DIR/USER.ccache (prints it)
#   krb5_kdc.sh stop DIR        stop the KDC, remove DIR (idempotent)
#
# Principals: nfs/localhost and host/localhost (keys in DIR/server.keytab),
# alice and bob (DIR/alice.keytab, DIR/bob.keytab).  auth_to_local maps alice
# to the local user daemon (uid 1) and bob to bin (uid 2), so a server can
# turn them into uids without any change to the host's passwd.
#
# A server acceptor needs KRB5_CONFIG (from `env`).  The replay cache of an
# acceptor is a file of its own, by default under /var/tmp: `env` points
# KRB5RCACHEDIR into DIR so that it goes away with the realm;
# KRB5RCACHETYPE=none turns it off altogether.
#
# With FERRY_TEST_KRB5_OWNER_PID set at start, a watchdog stops the KDC and
# removes DIR once that process has gone, so that a test that crashes or is
# killed leaves nothing behind either.
#
# Nothing here talks to any address but 127.0.0.1: the configuration names
# the KDC by address and turns off every DNS lookup and hostname
# canonicalisation.
set -euo pipefail

readonly REALM=FERRY.TEST
readonly REALM_RE='FERRY\.TEST'
# The principals whose keys the tests hold, and where.
readonly SERVICES=(nfs/localhost host/localhost)
readonly USERS=(alice bob)
# Attempts at a port before giving up: another process may hold the one
# picked, and a parallel test may pick the same one at the same moment.
readonly PORT_ATTEMPTS=8
# How long the KDC gets to answer, and to exit when stopped.
readonly START_TIMEOUT_S=10
readonly STOP_TIMEOUT_S=5

# The KDC programs live in sbin, which a non-root PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

self=$(realpath "${BASH_SOURCE[0]}")

die() {
	echo "krb5_kdc.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: krb5_kdc.sh start|env|stop DIR | kinit DIR USER" >&2
	exit 2
}

# Whether a process runs: a zombie no longer does (once the start script
# has gone, the KDC is reaped by whoever adopts it, maybe late).
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# Whether pid is still the process we started with marker (a path inside
# its directory) on its command line, not a later one with a reused pid.
is_ours() {
	local pid=$1 marker=$2 cmdline
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmdline == *"$marker"* ]]
}

# SIGTERM, then SIGKILL after STOP_TIMEOUT_S; returns once it has gone.
# signal_target is the pid, or -pgid for a whole process group.
terminate() {
	local pid=$1 signal_target=$2 i
	kill -TERM -- "$signal_target" 2>/dev/null || true
	for ((i = 0; i < STOP_TIMEOUT_S * 20; i++)); do
		alive "$pid" || return 0
		sleep 0.05
	done
	kill -KILL -- "$signal_target" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		alive "$pid" || return 0
		sleep 0.05
	done
	echo "krb5_kdc.sh: process $pid survives SIGKILL" >&2
	return 1
}

stop_kdc() {
	local dir=$1 pid
	[[ -f $dir/kdc.pid ]] || return 0
	pid=$(<"$dir/kdc.pid")
	if is_ours "$pid" "$dir/kdc.pid"; then
		terminate "$pid" "$pid"
	fi
	rm -f "$dir/kdc.pid"
}

stop_watchdog() {
	local dir=$1 pid
	[[ -f $dir/watchdog.pid ]] || return 0
	pid=$(<"$dir/watchdog.pid")
	# The watchdog leads a session of its own: its group takes its sleep
	# along.
	if is_ours "$pid" "$dir"; then
		terminate "$pid" "-$pid"
	fi
	rm -f "$dir/watchdog.pid"
}

# For what outlives this script: a descriptor of the caller's left open in
# the KDC (a socket, the pipe a test runner reads to its end) would keep it
# from ever closing.
close_inherited_fds() {
	local path fd
	for path in "/proc/$BASHPID/fd"/*; do
		fd=${path##*/}
		((fd > 2)) || continue
		exec {fd}>&- 2>/dev/null || true
	done
}

# A port for the KDC, below the kernel's ephemeral range so that no
# outgoing connection holds it, and not listened on by anyone now.  Whether
# krb5kdc gets it is only known when it binds.
pick_port() {
	local port i
	for ((i = 0; i < 50; i++)); do
		port=$((20000 + (SRANDOM % 12000)))
		if ! ss -Htuln "sport = :$port" 2>/dev/null | grep -q .; then
			echo "$port"
			return
		fi
	done
	echo "$port"
}

write_config() {
	local dir=$1 port=$2
	# auth_to_local: the selection string [1:$1@$0] is the whole name of
	# a one-component principal; the regexp must match all of it, and the
	# substitution then replaces it with the local user's name.
	cat >"$dir/krb5.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	qualify_shortname = ""
	ignore_acceptor_hostname = true
	udp_preference_limit = 1
	default_ccache_name = FILE:$dir/default.ccache
	default_keytab_name = FILE:$dir/server.keytab

[realms]
	$REALM = {
		kdc = 127.0.0.1:$port
		admin_server = 127.0.0.1:$port
		auth_to_local = RULE:[1:\$1@\$0](alice@$REALM_RE)s/.*/daemon/
		auth_to_local = RULE:[1:\$1@\$0](bob@$REALM_RE)s/.*/bin/
		auth_to_local = DEFAULT
	}

[domain_realm]
	localhost = $REALM
EOF
	# Keys of RFC 8009's enctypes too (supported_enctypes), for the tests
	# of each enctype ferryd's own per-message tokens do
	# (tests/rpc/test_gss_krb5.c), and of camellia256-cts-cmac (RFC 6803),
	# whose tokens ferryd leaves to MIT's GSS-API, for the tests of that
	# path; clients still pick aes256-cts-hmac-sha1-96 first.
	cat >"$dir/kdc.conf" <<EOF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = 127.0.0.1:$port

[realms]
	$REALM = {
		database_name = $dir/principal
		key_stash_file = $dir/stash
		acl_file = $dir/kadm5.acl
		kdc_listen = 127.0.0.1:$port
		kdc_tcp_listen = 127.0.0.1:$port
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal camellia256-cts-cmac:normal
	}

# SPAKE would only log an error at every start: it needs groups set up, and
# keytabs do not need it.
[plugins]
	kdcpreauth = {
		disable = spake
	}

[logging]
	kdc = FILE:$dir/kdc.log
	admin_server = FILE:$dir/kadmin.log
	default = FILE:$dir/krb5.log
EOF
}

# The database with a random master key (a throwaway realm: the key on the
# command line harms nobody), the principals with random keys, the keytabs.
make_realm() {
	local dir=$1 master_key user principal
	master_key=$(head -c 24 /dev/urandom | base64)
	: >"$dir/kadm5.acl"
	if ! kdb5_util -r "$REALM" create -s -P "$master_key" >"$dir/kdb5_util.out" 2>&1; then
		cat "$dir/kdb5_util.out" >&2
		die "kdb5_util create failed"
	fi
	{
		for principal in "${SERVICES[@]}" "${USERS[@]}"; do
			echo "addprinc -randkey $principal"
		done
		# -norandkey: the keys addprinc made, kvno 1.
		echo "ktadd -norandkey -k $dir/server.keytab ${SERVICES[*]}"
		for user in "${USERS[@]}"; do
			echo "ktadd -norandkey -k $dir/$user.keytab $user"
		done
	} | kadmin.local -r "$REALM" >"$dir/kadmin.out" 2>&1 || true
	# kadmin.local reading commands from stdin exits 0 whatever they did:
	# what counts is the keytabs.
	for principal in "${SERVICES[@]}"; do
		require_key "$dir" server "$principal"
	done
	for user in "${USERS[@]}"; do
		require_key "$dir" "$user" "$user"
	done
}

require_key() {
	local dir=$1 keytab=$2 principal=$3
	if [[ $(klist -k "$dir/$keytab.keytab" 2>/dev/null) != *" $principal@$REALM"* ]]; then
		cat "$dir/kadmin.out" >&2
		die "no key for $principal@$REALM in $dir/$keytab.keytab"
	fi
}

# Starts krb5kdc on port; 0 once it hands out tickets, 1 when it could not
# bind the port, dies on any other failure.
run_kdc() {
	local dir=$1 port=$2 pid i
	# -n: no fork, so $! is the KDC; -P puts the directory on its command
	# line, by which stop and the tests know it.
	(
		close_inherited_fds
		exec krb5kdc -n -r "$REALM" -P "$dir/kdc.pid" </dev/null >"$dir/kdc.out" 2>&1
	) &
	pid=$!
	echo "$pid" >"$dir/kdc.pid"
	# Its log says when it listens, or why it could not: no client is sent
	# to the port before, as whoever else holds it may keep one waiting.
	for ((i = 0; i < START_TIMEOUT_S * 100; i++)); do
		grep -q "krb5kdc\[$pid\](info): commencing operation" "$dir/kdc.log" 2>/dev/null && break
		if ! alive "$pid"; then
			wait "$pid" || true
			rm -f "$dir/kdc.pid"
			grep -q "krb5kdc\[$pid\](Error): Address already in use" "$dir/kdc.log" && return 1
			cat "$dir/kdc.out" >&2
			grep -F "krb5kdc[$pid]" "$dir/kdc.log" >&2 || true
			die "krb5kdc exited at start-up"
		fi
		sleep 0.01
	done
	# It listens: the first ticket shows it answers.
	for ((i = 0; i < START_TIMEOUT_S * 10; i++)); do
		if KRB5CCNAME="FILE:$dir/probe.ccache" kinit -k -t "$dir/alice.keytab" "alice@$REALM" \
			>/dev/null 2>"$dir/probe.err"; then
			KRB5CCNAME="FILE:$dir/probe.ccache" kdestroy >/dev/null 2>&1 || true
			rm -f "$dir/probe.ccache" "$dir/probe.err"
			return 0
		fi
		alive "$pid" || break
		sleep 0.1
	done
	cat "$dir/probe.err" >&2
	grep -F "krb5kdc[$pid]" "$dir/kdc.log" >&2 || true
	stop_kdc "$dir"
	die "krb5kdc did not answer on 127.0.0.1:$port within ${START_TIMEOUT_S} s"
}

cmd_start() {
	local dir=$1 port attempt
	local prog
	for prog in krb5kdc kdb5_util kadmin.local kinit kdestroy klist; do
		command -v "$prog" >/dev/null ||
			die "$prog not found: install krb5-kdc, krb5-admin-server and krb5-user"
	done
	if [[ -e $dir ]]; then
		[[ -d $dir && -z $(ls -A "$dir") ]] || die "$dir exists and is not an empty directory"
	fi
	mkdir -p "$dir"
	chmod 700 "$dir"
	# Every program below reads the realm's files, never the host's.
	export KRB5_CONFIG=$dir/krb5.conf KRB5_KDC_PROFILE=$dir/kdc.conf
	unset KRB5CCNAME KRB5_KTNAME KRB5_CLIENT_KTNAME KRB5_TRACE

	# FERRY_TEST_KRB5_PORT: the port tried first, for a test of the retry.
	port=${FERRY_TEST_KRB5_PORT:-$(pick_port)}
	[[ $port =~ ^[0-9]+$ ]] || die "FERRY_TEST_KRB5_PORT=$port is not a port"
	write_config "$dir" "$port"
	make_realm "$dir"
	for ((attempt = 1; ; attempt++)); do
		run_kdc "$dir" "$port" && break
		((attempt < PORT_ATTEMPTS)) || die "krb5kdc found no free port in $PORT_ATTEMPTS attempts"
		port=$(pick_port)
		# The database does not depend on the port: only the files that
		# name it are written again.
		write_config "$dir" "$port"
	done

	local owner=${FERRY_TEST_KRB5_OWNER_PID:-}
	if [[ -n $owner ]]; then
		[[ $owner =~ ^[0-9]+$ ]] || die "FERRY_TEST_KRB5_OWNER_PID=$owner is not a pid"
		(
			close_inherited_fds
			exec setsid bash "$self" watch "$dir" "$owner" </dev/null >/dev/null 2>&1
		) &
		echo "$!" >"$dir/watchdog.pid"
	fi
}

# The watchdog (internal): stops the KDC and removes dir once owner has
# gone; leaves as soon as the KDC has gone by other means.
cmd_watch() {
	local dir=$1 owner=$2 kdc_pid
	echo "$$" >"$dir/watchdog.pid"
	kdc_pid=$(<"$dir/kdc.pid")
	while alive "$owner" && alive "$kdc_pid"; do
		sleep 1
	done
	alive "$owner" && exit 0
	stop_kdc "$dir" || true
	rm -rf "$dir"
}

cmd_env() {
	local dir=$1
	printf 'export KRB5_CONFIG=%q\n' "$dir/krb5.conf"
	printf 'export KRB5_KDC_PROFILE=%q\n' "$dir/kdc.conf"
	printf 'export KRB5RCACHEDIR=%q\n' "$dir"
	printf 'export FERRY_TEST_KRB5_DIR=%q\n' "$dir"
	printf 'export FERRY_TEST_KEYTAB=%q\n' "$dir/server.keytab"
}

cmd_kinit() {
	local dir=$1 user=$2
	[[ $user =~ ^[a-z][a-z0-9_-]*$ ]] || die "bad user name: $user"
	[[ -f $dir/$user.keytab ]] || die "no keytab for $user in $dir"
	KRB5_CONFIG=$dir/krb5.conf KRB5CCNAME="FILE:$dir/$user.ccache" \
		kinit -k -t "$dir/$user.keytab" "$user@$REALM" >&2 ||
		die "kinit $user@$REALM failed"
	echo "$dir/$user.ccache"
}

cmd_stop() {
	local dir=$1
	[[ -d $dir ]] || return 0
	# What is removed must be a realm's directory, not whatever was named.
	[[ -f $dir/kdc.conf || -z $(ls -A "$dir") ]] || die "$dir is not a realm's directory"
	# The watchdog first, so that it does not race this.
	stop_watchdog "$dir"
	stop_kdc "$dir"
	rm -rf "$dir"
}

(($# >= 2)) || usage
command=$1
# Every file of the realm is named by an absolute path in its
# configuration, read from wherever its programs run.
dir=$(realpath -m "$2")
case $command in
start) (($# == 2)) || usage; cmd_start "$dir" ;;
env) (($# == 2)) || usage; cmd_env "$dir" ;;
kinit) (($# == 3)) || usage; cmd_kinit "$dir" "$3" ;;
stop) (($# == 2)) || usage; cmd_stop "$dir" ;;
watch) (($# == 3)) || usage; cmd_watch "$dir" "$3" ;;
*) usage ;;
esac
