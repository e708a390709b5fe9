#!/usr/bin/env bash
# Installs the Debian packages Ferry needs, only those that are missing.
#   scripts/deps.sh build   - to build ferryd
#   scripts/deps.sh test    - to build and run the whole test suite (its
#                             Debian package test: dpkg-dev, debhelper,
#                             mmdebstrap, lintian; the kernel client's ACL
#                             run: acl, nfs4-acl-tools)
set -euo pipefail

build_pkgs=(gcc libc6-dev cmake ninja-build pkg-config libinih-dev libmicrohttpd-dev libjansson-dev libsystemd-dev libcap-dev libcephfs-dev librados-dev libkrb5-dev libssl-dev)
test_pkgs=(clang libclang-rt-14-dev libcmocka-dev rpcbind libnfs-utils libnfs-dev iproute2 util-linux python3 prometheus tshark e2fsprogs krb5-kdc krb5-admin-server krb5-user python3-gssapi nfs-common openssl keepalived socat dpkg-dev debhelper mmdebstrap lintian acl nfs4-acl-tools)

case "${1:-build}" in
build) want=("${build_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: run as root (or install these packages first): ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark's wireshark-common asks whether users outside the wireshark group
# may capture; unattended, the answer is no (the test command runs as root).
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
