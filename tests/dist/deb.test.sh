#!/usr/bin/env bash
# The Debian package (debian/), end to end on Debian 12:
#  - dpkg-buildpackage -b -us -uc builds it from a copy of this tree (the
#    tree itself is left as it was), and it holds ferryd, ferryctl,
#    ferry-bench, the man pages, the systemd unit, /etc/ferry/ferryd.conf
#    as a conffile, keepalived's scripts, the Prometheus rules and the
#    Grafana dashboard; lintian finds no error and no warning but those
#    named below;
#  - apt installs it into a clean Debian 12 root (mmdebstrap's minbase,
#    deb.debian.org the only source): its dependencies come from
#    ${shlibs:Depends}, the state directory is there at 0700, and the unit
#    is installed but not enabled (the sample configuration exports to
#    every host: the administrator edits it, then enables ferryd);
#  - ferryd from the package, on the package's config, runs in that root
#    in mount and network namespaces of its own (loopback only): a file
#    written through it with libnfs's nfs-cp (from the host, inside that
#    network namespace) reads back with nfs-cat and lands in the export as
#    nobody (root squashed); ferryctl and ferry-bench from the package talk
#    to it;
#  - apt remove leaves the config and the state and takes everything
#    else; apt purge takes those too, and leaves the exported data.
# The bootstrapped root and the packages apt downloads into it are cached
# (FERRY_DEB_CACHE, default ~/.cache/ferry-deb), the root for a day: a
# cold run bootstraps (minutes), a warm one reuses it.  Needs root,
# dpkg-buildpackage with debhelper, mmdebstrap, lintian, libnfs-utils
# (scripts/deps.sh test), a Debian 12 host and deb.debian.org.
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; [[ -s ${log:-} ]] && { echo "--- ferryd log:" >&2; tail -30 "$log" >&2; }; exit 1; }

# The package build, mmdebstrap's root mode, chroot and the namespaces
# all need root; the package is built for Debian 12 against the host's
# libraries, so the host must be Debian 12 too.
[[ $(id -u) -eq 0 ]] || skip "needs root (mmdebstrap's root mode, chroot, unshare)"
. /etc/os-release
[[ ${ID:-} == debian && ${VERSION_ID:-} == 12 ]] ||
	skip "builds the package for Debian 12 and so needs a Debian 12 host (this is ${PRETTY_NAME:-unknown})"
for tool in dpkg-buildpackage dh mmdebstrap lintian nfs-cp nfs-cat unshare nsenter; do
	command -v "$tool" >/dev/null || fail "no $tool (scripts/deps.sh test installs it)"
done

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FERRY_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry-deb}
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-deb.XXXXXX")
root=$work/root
log=
upid=
cleanup() {
	if [[ -n $upid ]] && kill -0 "$upid" 2>/dev/null; then
		kill -TERM "$upid" 2>/dev/null || true
		wait "$upid" 2>/dev/null || true
	fi
	[[ -n ${FERRY_TEST_KEEP:-} ]] && return
	# The root's /proc, /dev and apt cache are mounted only in namespaces
	# that are gone by now; should one be seen here all the same, the
	# scratch directory stays rather than rm -rf walking into /dev.
	if grep -qF " $work/" /proc/self/mountinfo; then
		echo "deb: $work left in place: something is still mounted under it" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
t0=$(date +%s)
took() { echo "deb: $1 in $(( $(date +%s) - $2 )) s"; }

# --- build --------------------------------------------------------------------------
# A copy of the tree as git sees it (uncommitted edits included, build
# directories not), so that the build's outputs (obj-*, debian/ferry, and
# the .deb beside the source directory) stay out of the tree.
mkdir "$work/src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		(cd "$top" && tar --null -T - --ignore-failed-read -cf -) | tar -xf - -C "$work/src"
else
	tar -C "$top" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -xf - -C "$work/src"
fi
t=$(date +%s)
(cd "$work/src" && nice dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1 ||
	{ tail -40 "$work/build.log" >&2; fail "dpkg-buildpackage -b -us -uc failed"; }
took "dpkg-buildpackage" "$t"
debs=("$work"/ferry_*_amd64.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || fail "no single ferry_*.deb beside the source: ${debs[*]}"
deb=${debs[0]}
# The hardening flags reached the compiler and the linker.
grep -q -- '-D_FORTIFY_SOURCE=2' "$work/build.log" || fail "the build did not use dpkg-buildflags' CPPFLAGS"
grep -q -- '-Wl,-z,now' "$work/build.log" || fail "the build did not link with -z now (hardening=+all)"

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/contents"
for f in /usr/sbin/ferryd /usr/sbin/ferryctl /usr/bin/ferry-bench /lib/systemd/system/ferryd.service \
	/etc/ferry/ferryd.conf /usr/share/man/man8/ferryd.8.gz /usr/share/man/man8/ferryctl.8.gz \
	/usr/share/man/man5/ferryd.conf.5.gz /usr/share/man/man1/ferry-bench.1.gz \
	/usr/libexec/ferry/ferry-keepalived-check /usr/libexec/ferry/ferry-keepalived-notify \
	/usr/share/ferry/keepalived/keepalived.conf /usr/share/ferry/prometheus/ferry-rules.yml \
	/usr/share/ferry/prometheus/ferry-rules.test.yml /usr/share/ferry/grafana/ferry.json \
	/usr/share/doc/ferry/copyright; do
	grep -qx "$f" "$work/contents" || fail "the package lacks $f"
done
# Nothing of the test suite, and the state directory is postinst's, not dpkg's.
! grep -qE '/var/lib/ferry|cmocka|/test_' "$work/contents" || fail "the package ships what it should not: $(grep -E '/var/lib/ferry|cmocka|/test_' "$work/contents")"
[[ $(dpkg-deb -f "$deb" Version) == "$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)" ]] ||
	fail "the package's version is not debian/changelog's"
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles | grep -qx /etc/ferry/ferryd.conf ||
	fail "/etc/ferry/ferryd.conf is not a conffile"
grep -q '^Type=notify$' <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/ferryd.service) ||
	fail "the packaged unit is not ferryd's"

# lintian: no error, and no warning but the one the tree cannot fix by
# itself (it names no copyright holder: README "Debian package").
lintian --pedantic --display-info "$work"/ferry_*_amd64.changes >"$work/lintian.txt" 2>&1 || true
cat "$work/lintian.txt"
known_warnings='^W: ferry: copyright-without-copyright-notice$'
bad=$(grep -E '^[EW]: ' "$work/lintian.txt" | grep -vE "$known_warnings" || true)
[[ -z $bad ]] || fail "lintian: $bad"

# --- a clean Debian 12 root ---------------------------------------------------
# mmdebstrap's minbase (Essential, Priority required, apt) with Debian 12's
# suites from deb.debian.org, cached as a tarball for the day; apt's
# downloads are kept beside it so that a warm run fetches only the lists.
mirrors=("deb http://deb.debian.org/debian bookworm main"
	"deb http://deb.debian.org/debian bookworm-updates main"
	"deb http://deb.debian.org/debian-security bookworm-security main")
key=bookworm-minbase-$(date -u +%F)-$(printf '%s\n' "${mirrors[@]}" | md5sum | cut -c1-8)
mkdir -p "$cache/archives/partial"
exec 9>"$cache/lock"
flock 9
if [[ ! -s $cache/$key.tar ]]; then
	t=$(date +%s)
	nice mmdebstrap --quiet --mode=root --format=tar --variant=minbase bookworm "$cache/$key.tar.new" "${mirrors[@]}" \
		>"$work/mmdebstrap.log" 2>&1 || { tail -30 "$work/mmdebstrap.log" >&2; fail "mmdebstrap failed"; }
	mv "$cache/$key.tar.new" "$cache/$key.tar"
	find "$cache" -maxdepth 1 -name 'bookworm-*.tar*' ! -name "$key.tar" -delete
	took "mmdebstrap (cold: no root cached for today)" "$t"
else
	echo "deb: the root of $cache/$key.tar (cached)"
fi
flock -u 9
mkdir "$root"
tar --numeric-owner -xpf "$cache/$key.tar" -C "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"

# in_root CMD...: CMD in the root, in a mount namespace of its own that
# has /proc, /dev and the cached apt archives mounted (all gone when it
# ends).
in_root() {
	unshare --mount -- bash -c '
		root=$1 archives=$2; shift 2
		mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
			mount --bind "$archives" "$root/var/cache/apt/archives" || exit 1
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"' _ "$root" "$cache/archives" "$@"
}
pkg_state() { in_root dpkg-query -W -f='${db:Status-Abbrev}' ferry 2>/dev/null || true; }

t=$(date +%s)
in_root apt-get -q update >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get update in the root failed"; }
[[ -z $(pkg_state) ]] || fail "the clean root already knows a package ferry"
in_root apt-get -y -q install "/tmp/${deb##*/}" >>"$work/apt.log" 2>&1 ||
	{ tail -30 "$work/apt.log" >&2; fail "apt-get install of the package failed"; }
took "apt-get install into the root" "$t"
# The cache keeps only what the mirror still has.
in_root apt-get -q autoclean >>"$work/apt.log" 2>&1 || fail "apt-get autoclean in the root failed"
[[ $(pkg_state) == "ii " ]] || fail "ferry is not installed: '$(pkg_state)'"

# What dpkg says it installed is on disk; the state directory is 0700.
in_root dpkg -L ferry >"$work/listing"
files=()
while IFS= read -r p; do
	[[ -d $root$p ]] && continue
	[[ -e $root$p ]] || fail "dpkg -L lists $p, which is not in the root"
	files+=("$p")
done <"$work/listing"
[[ ${#files[@]} -ge 15 ]] || fail "dpkg -L lists only ${#files[@]} files"
[[ $(stat -c %a:%U "$root/var/lib/ferry") == 700:root ]] ||
	fail "the state directory is $(stat -c %a:%U "$root/var/lib/ferry"), not 700:root"
# Not enabled: nothing is served before the administrator has edited the
# sample configuration.
[[ -e $root/lib/systemd/system/ferryd.service ]] || fail "the unit is not installed"
[[ ! -e $root/etc/systemd/system/multi-user.target.wants/ferryd.service ]] ||
	fail "the install enabled ferryd with the sample configuration"
# Every library the programs need is there: ${shlibs:Depends} was enough.
for prog in /usr/sbin/ferryd /usr/sbin/ferryctl /usr/bin/ferry-bench; do
	if in_root ldd "$prog" | grep -q 'not found'; then fail "$prog misses libraries: $(in_root ldd "$prog" | grep 'not found')"; fi
done

# --- ferryd from the package, in namespaces of its own ---------------------------------
# The package's unit runs ferryd --config /etc/ferry/ferryd.conf; so does
# this, chrooted into the root, in a network namespace with only
# loopback (--no-rpcbind as well: no rpcbind runs in there anyway).  Its
# port file says when it serves.
log=$work/ferryd.log
unshare --mount --net -- bash -c '
	root=$1
	ip link set lo up && mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" || exit 1
	exec chroot "$root" /usr/sbin/ferryd --config /etc/ferry/ferryd.conf --no-rpcbind \
		--port-file /run/ferryd.ports' _ "$root" >"$log" 2>&1 &
upid=$!
for _ in $(seq 200); do
	[[ -s $root/run/ferryd.ports ]] && break
	kill -0 "$upid" 2>/dev/null || fail "ferryd exited at start-up"
	sleep 0.05
done
[[ -s $root/run/ferryd.ports ]] || fail "ferryd did not write its port file"
[[ $(head -n1 "$root/run/ferryd.ports") == 2049 ]] || fail "ferryd is not on the config's port 2049: $(cat "$root/run/ferryd.ports")"
# Only loopback in there: nothing the host's network can reach.
links=$(nsenter --net="/proc/$upid/ns/net" ip -o link show | awk -F': ' '{print $2}')
[[ $links == lo ]] || fail "ferryd's network namespace has more than loopback: $links"
in_net() { nsenter --net="/proc/$upid/ns/net" "$@"; }

# A file through NFSv4 (libnfs as root: a reserved port, as the config's
# "secure = yes" wants), read back, and on disk as nobody.
# (libnfs 4.0 writes at most about 3.9 KiB over NFSv4: README.)
head -c 2000 /dev/urandom | base64 -w 64 >"$work/hello.txt"
in_net nfs-cp "$work/hello.txt" "nfs://127.0.0.1/data/hello.txt?version=4" ||
	fail "nfs-cp to the packaged ferryd failed"
in_net nfs-cat "nfs://127.0.0.1/data/hello.txt?version=4" >"$work/back.txt" ||
	fail "nfs-cat from the packaged ferryd failed"
cmp -s "$work/hello.txt" "$work/back.txt" || fail "the file read back differs from the one written"
cmp -s "$work/hello.txt" "$root/srv/nfs/hello.txt" || fail "the file is not in the export /srv/nfs"
[[ $(stat -c %u "$root/srv/nfs/hello.txt") == 65534 ]] ||
	fail "root was not squashed: the file is owned by uid $(stat -c %u "$root/srv/nfs/hello.txt")"
# ferryd keeps its key in the package's state directory, its own 0600 file.
[[ $(stat -c %a "$root/var/lib/ferry/fh.key") == 600 ]] || fail "no 0600 fh.key in /var/lib/ferry"
# ferryctl from the package finds the control plane through the package's
# config; ferry-bench from the package drives the server.
in_net chroot "$root" /usr/sbin/ferryctl health >"$work/health" 2>&1 ||
	fail "ferryctl health: $(cat "$work/health")"
in_net chroot "$root" /usr/sbin/ferryctl exports >"$work/exports" 2>&1 && grep -q /data "$work/exports" ||
	fail "ferryctl exports does not show /data: $(cat "$work/exports")"
in_net chroot "$root" /usr/bin/ferry-bench --server 127.0.0.1:2049 --export /data --workload getattr \
	--ops 500 --warmup 0 >"$work/bench" 2>&1 || fail "ferry-bench against the packaged ferryd: $(cat "$work/bench")"

kill -TERM "$upid"
wait "$upid" || fail "ferryd did not stop cleanly on SIGTERM"
upid=
log=
rm "$root/run/ferryd.ports" # the test's, not the package's

# --- remove, then purge -------------------------------------------------------
conf=/etc/ferry/ferryd.conf
echo "; edited by the test" >>"$root$conf"
in_root apt-get -y -q remove ferry >>"$work/apt.log" 2>&1 || fail "apt-get remove ferry failed"
[[ $(pkg_state) == "rc " ]] || fail "after remove ferry is '$(pkg_state)', not config-files"
for p in "${files[@]}"; do
	if [[ $p == "$conf" ]]; then
		grep -q '^; edited by the test$' "$root$p" || fail "remove did not keep the edited $conf"
	elif [[ -e $root$p ]]; then
		fail "remove left $p"
	fi
done
[[ -s $root/var/lib/ferry/fh.key && $(stat -c %a "$root/var/lib/ferry") == 700 ]] ||
	fail "remove did not keep the state in /var/lib/ferry"

in_root apt-get -y -q purge ferry >>"$work/apt.log" 2>&1 || fail "apt-get purge ferry failed"
[[ -z $(pkg_state) ]] || fail "after purge dpkg still knows ferry: '$(pkg_state)'"
for p in "${files[@]}" /etc/ferry /var/lib/ferry /etc/systemd/system/multi-user.target.wants/ferryd.service; do
	[[ ! -e $root$p && ! -L $root$p ]] || fail "purge left $p"
done
left=$(find "$root" -xdev \( -name '*ferry*' -o -name 'fh.key' \) ! -path "$root/tmp/*" ! -path "$root/srv/nfs*" | sed "s|^$root||")
[[ -z $left ]] || fail "purge left: $left"
# The exported data is the administrator's: purge keeps it.
cmp -s "$work/hello.txt" "$root/srv/nfs/hello.txt" || fail "purge took the exported data"

took "the whole test" "$t0"
echo "PASS: deb (built, lintian, installed into a clean Debian 12 root, served a file, removed, purged)"
