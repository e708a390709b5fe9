# shellcheck shell=bash disable=SC2154 # $work and infra are the sourcing script's
# Functions for the end-to-end tests that run ferryd inside a qemu guest
# (tests/e2e/powercut.sh, tests/e2e/ktls.sh); sourced, not run.
#
# The guest boots the kernel that `kclient --setup-only` caches
# ($KCLIENT_CACHE/build-KEY/: vmlinux or vmlinuz, and base.cpio with
# busybox) with an archive of the test's own appended to base.cpio: its
# init, ferryd with its shared libraries, and modules of the same kernel
# taken from the cached kernel .deb (with their dependencies, from a
# modules.dep made here).  It is reached through qemu user-mode networking
# with restrict=on and ports forwarded from 127.0.0.1 only: no traffic
# leaves the host's loopback.
#
# The sourcing script sets $work (its scratch directory) and defines
# `infra MESSAGE`, which reports an infrastructure failure and exits.
#
#   qg_pick_accel MODE     auto, kvm or tcg -> sets qg_accel to kvm or tcg
#                          (auto: KVM when /dev/kvm is usable and is not
#                          PVM, which cannot run a stock kernel; TCG else,
#                          as kclient decides); returns 1 on another MODE
#   qg_kernel KCLIENT      kclient --setup-only; sets qg_img_dir, qg_kver,
#                          qg_deb (the kernel package) and qg_kernel
#   qg_modules_begin       unpacks the package's modules under $work/k
#   qg_add_module DIR M [optional]
#                          M and what it depends on, in load order, into
#                          DIR/mods/ and their names appended to DIR/modules
#                          (each once); optional: a module the kernel does
#                          not have (or has built in) is no failure
#   qg_modules_end         removes $work/k
#   qg_add_ferryd DIR FERRYD  DIR/ferryd and its shared libraries in DIR/lib/
#   qg_initrd ROOT OUT     base.cpio followed by a newc archive of ROOT
#   qg_free_port           a free TCP port on the host
#   qg_start NAME CONSOLE OUT INIT MEM_MB HOSTFWDS [QEMU ARGS...]
#                          starts qemu in the background (qg_pid), 2 CPUs,
#                          the console (ttyS0) into CONSOLE, qemu's own
#                          output into OUT, rdinit=INIT; HOSTFWDS is a
#                          comma-separated list of hostfwd=... for -netdev
#   qg_wait PREFIX CONSOLE OUT TIMEOUT LABEL
#                          waits for a console line "PREFIX READY"; a line
#                          "PREFIX FAIL ...", qemu's exit or TIMEOUT seconds
#                          are an infrastructure failure (LABEL: ...)
#   qg_kill                SIGKILL to qemu (a power cut), reaped
#
# The tools this needs (kclient installed them: qemu, busybox, kmod, dpkg).
qg_tools="qemu-system-x86_64 dpkg-deb depmod modprobe ss shuf /bin/busybox"

qg_accel=""
qg_pick_accel() {
	case $1 in
	auto)
		if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then
			qg_accel=kvm
		else
			qg_accel=tcg
		fi ;;
	kvm | tcg) qg_accel=$1 ;;
	*) return 1 ;;
	esac
}

qg_kernel() {
	local kclient=$1 tool
	[ -x "$kclient" ] || infra "$kclient not found (it builds the guest's kernel and initramfs)"
	"$kclient" --setup-only >"$work/kclient-setup.log" 2>&1 ||
		{ tail -20 "$work/kclient-setup.log" >&2; infra "kclient --setup-only failed"; }
	qg_img_dir=$(sed -n 's/^kclient: image: \([^ ]*\) .*/\1/p' "$work/kclient-setup.log" | tail -1)
	if [ -z "$qg_img_dir" ] || [ ! -f "$qg_img_dir/manifest" ] || [ ! -f "$qg_img_dir/base.cpio" ]; then
		tail -20 "$work/kclient-setup.log" >&2
		infra "cannot find kclient's cached build in what kclient --setup-only said"
	fi
	qg_kver=$(sed -n 's/^kernel=//p' "$qg_img_dir/manifest")
	# The package the build came from: in the cache's debs/, or KCLIENT_KERNEL_DEB.
	qg_deb=$(dirname "$qg_img_dir")/debs/$(sed -n 's/^deb=//p' "$qg_img_dir/manifest")
	if [ -n "${KCLIENT_KERNEL_DEB:-}" ]; then qg_deb=$KCLIENT_KERNEL_DEB; fi
	[ -n "$qg_kver" ] && [ -f "$qg_deb" ] || infra "kernel package of $qg_img_dir not found ($qg_deb)"
	for tool in $qg_tools; do
		command -v "$tool" >/dev/null || infra "$tool not found"
	done
	qg_kernel=$qg_img_dir/vmlinuz
	if [ -f "$qg_img_dir/vmlinux" ]; then qg_kernel=$qg_img_dir/vmlinux; fi
}

# modules.dep is made here: the .deb leaves it to its install scripts.
qg_modules_begin() {
	mkdir -p "$work/k"
	dpkg-deb --fsys-tarfile "$qg_deb" | tar -x -C "$work/k" --wildcards \
		'./lib/modules/*/modules.*' './lib/modules/*/kernel/fs/*' \
		'./lib/modules/*/kernel/lib/*' './lib/modules/*/kernel/crypto/*' \
		'./lib/modules/*/kernel/arch/x86/crypto/*' './lib/modules/*/kernel/drivers/block/*' \
		'./lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/drivers/net/*' \
		'./lib/modules/*/kernel/net/core/*' './lib/modules/*/kernel/net/tls/*' \
		'./lib/modules/*/kernel/drivers/char/hw_random/*' ||
		infra "cannot extract the modules from $qg_deb"
	depmod -b "$work/k" "$qg_kver" || infra "depmod failed"
}

qg_add_module() {
	local dir=$1 m=$2 optional=${3:-} deps p b
	mkdir -p "$dir/mods"
	touch "$dir/modules"
	if ! deps=$(modprobe -d "$work/k" -S "$qg_kver" --show-depends "$m" 2>/dev/null); then
		[ "$optional" = optional ] && return 0
		infra "module $m not found in $qg_kver"
	fi
	for p in $(awk '$1 == "insmod" { print $2 }' <<<"$deps"); do
		b=$(basename "$p")
		grep -qxF "$b" "$dir/modules" && continue
		cp "$p" "$dir/mods/$b"
		echo "$b" >>"$dir/modules"
	done
}

qg_modules_end() {
	rm -rf "$work/k"
}

qg_add_ferryd() {
	local dir=$1 ferryd=$2 lib
	mkdir -p "$dir/lib"
	cp "$ferryd" "$dir/ferryd"
	chmod 755 "$dir/ferryd"
	for lib in $(ldd "$ferryd" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'); do
		cp -L "$lib" "$dir/lib/"
	done
}

qg_initrd() {
	local root=$1 out=$2
	(cd "$root" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null) >"$out.extra" ||
		infra "cannot make the guest's archive (busybox cpio)"
	# The kernel unpacks concatenated newc archives one after the other.
	cat "$qg_img_dir/base.cpio" "$out.extra" >"$out"
	rm -f "$out.extra"
}

qg_free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 50); do
		if [ -z "$(ss -Htln "sport = :$p")" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

qg_pid=""
qg_start() {
	local name=$1 con=$2 out=$3 init=$4 mem=$5 fwds=$6
	shift 6
	local -a acc
	# shellcheck disable=SC2054 # commas within qemu's arguments
	if [ "$qg_accel" = kvm ]; then
		acc=(-machine q35,accel=kvm -cpu host)
	else
		acc=(-machine q35 -accel tcg,thread=multi -cpu max)
	fi
	: >"$con"
	qemu-system-x86_64 -name "$name" "${acc[@]}" -smp 2 -m "$mem" \
		-nodefaults -no-user-config -display none -vga none -no-reboot \
		-chardev "file,id=con0,path=$con" -serial chardev:con0 \
		-kernel "$qg_kernel" -initrd "$work/initrd" \
		-append "console=ttyS0,115200 panic=-1 rdinit=$init mitigations=off cryptomgr.notests quiet" \
		-netdev "user,id=n0,restrict=on,$fwds" \
		-device virtio-net-pci,netdev=n0 -device virtio-rng-pci \
		"$@" </dev/null >"$out" 2>&1 &
	qg_pid=$!
}

qg_wait() {
	local prefix=$1 con=$2 out=$3 timeout=$4 label=$5 t0=$SECONDS
	while :; do
		if grep -aq "^$prefix READY" "$con"; then
			return 0
		elif grep -aq "^$prefix FAIL" "$con"; then
			tail -30 "$con" >&2
			infra "$label: $(grep -a -m1 "^$prefix FAIL" "$con" | tr -d '\r')"
		elif ! kill -0 "$qg_pid" 2>/dev/null; then
			cat "$out" >&2
			tail -30 "$con" >&2
			infra "$label: qemu exited before ferryd listened"
		elif ((SECONDS - t0 > timeout)); then
			tail -30 "$con" >&2
			infra "$label: ferryd did not listen within ${timeout} s of qemu's start"
		fi
		sleep 0.2
	done
}

qg_kill() {
	if [ -n "$qg_pid" ]; then
		kill -KILL "$qg_pid" 2>/dev/null || true
		wait "$qg_pid" 2>/dev/null || true
	fi
	qg_pid=""
}
