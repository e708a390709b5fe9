#!/usr/bin/env bash
# Gives the test cluster's client.ferry (../shared/ceph/minicephfs) the
# monitor capability a clustered head needs to fence another: `osd
# blocklist` (README, "Several heads on one CephFS").  Its other
# capabilities stay as minicephfs made them; `auth caps` replaces them
# all, so they are said again.
#
# Usage: ceph_fence_caps.sh CEPH_DIR   (the directory minicephfs started)
set -euo pipefail
dir=$1
ceph --conf "$dir/ceph.conf" --name client.admin --keyring "$dir/ceph.client.admin.keyring" \
	auth caps client.ferry \
	mon 'allow r, allow command "osd blocklist"' \
	mds 'allow rwps' osd 'allow rwx' mgr 'allow r' >/dev/null
