#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot an installed Debian kernel in QEMU with a generated busybox
# initramfs, load the DRM/V4L2 modules it needs and our freshly built
# vision_accel.ko, run the kselftests (or the main job), stream the
# guest's console here, and return the guest's verdict.
#
# The run fails on a test failure, a guest timeout, or any kernel Oops,
# BUG, WARNING, lockdep, KASAN, UBSAN or GPF report in the guest log.
#
# Usage: run-vm.sh --kver KVER --ko MODULE [--mode check|run]
#                  [--selftest BIN]... [--guest-test BIN]...
#                  [--data FILE]... (copied to /opt/vision/data/)
#                  [--timeout SECONDS] [--log FILE] [--summary FILE]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

kver= ko= mode=check timeout=300 log= summary=
selftests=()
guest_tests=()
guest_bins=()
data=()
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=$2; shift 2 ;;
	--ko) ko=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--selftest) selftests+=("$2"); shift 2 ;;
	--guest-test) guest_tests+=("$2"); shift 2 ;;
	--bin) guest_bins+=("$2"); shift 2 ;;
	--data) data+=("$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--summary) summary=$2; shift 2 ;;
	*) echo "run-vm: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$kver" ] && [ -n "$ko" ] || { echo "run-vm: need --kver and --ko" >&2; exit 2; }
case $mode in check|run) ;; *) echo "run-vm: bad --mode $mode" >&2; exit 2 ;; esac

vmlinuz=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[ -r "$vmlinuz" ] || { echo "run-vm: no kernel image $vmlinuz" >&2; exit 1; }
[ -r "$ko" ] || { echo "run-vm: no module $ko" >&2; exit 1; }

work=$top/build/vm/$kver
rm -rf "$work/root"
mkdir -p "$work/root"/{bin,dev,proc,sys,tmp,opt/vision/selftests,opt/vision/tests,lib/modules/deps,lib/modules/vision}
root=$work/root
log=${log:-$work/console-$mode.log}

# --- initramfs ---------------------------------------------------------------

cp /bin/busybox "$root/bin/busybox"
cp "$here/init.sh" "$root/init"
chmod 0755 "$root/init"

# Debian modules in dependency order, decompressed so busybox insmod can
# load them whatever compression the kernel package used.
GUEST_MODULES="drm drm_shmem_helper gpu-sched vivid"
: > "$root/lib/modules/deps/order"
for m in $GUEST_MODULES; do
	modprobe -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
while read -r path; do
	name=$(basename "$path")
	case $name in
	*.xz) xz -dc "$path" > "$root/lib/modules/deps/${name%.xz}"; name=${name%.xz} ;;
	*.zst) zstd -qdc "$path" > "$root/lib/modules/deps/${name%.zst}"; name=${name%.zst} ;;
	*.gz) gzip -dc "$path" > "$root/lib/modules/deps/${name%.gz}"; name=${name%.gz} ;;
	*) cp "$path" "$root/lib/modules/deps/$name" ;;
	esac
	echo "$name" >> "$root/lib/modules/deps/order"
done
cp "$ko" "$root/lib/modules/vision/vision_accel.ko"

# An ELF and the system libraries it needs, at the same paths as here;
# libvision goes to /opt/vision/lib, where the binaries' rpath
# ($ORIGIN/../lib) finds it.
copy_elf() {
	local f=$1 dest=$2 lib
	install -D -m 0755 "$f" "$root$dest"
	for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
		case $lib in "$top"/*) continue ;; esac
		[ -e "$root$lib" ] || install -D -m 0755 "$lib" "$root$lib"
	done
}
for t in "${selftests[@]}"; do
	copy_elf "$t" "/opt/vision/selftests/$(basename "$t")"
done
for t in "${guest_tests[@]}"; do
	copy_elf "$t" "/opt/vision/tests/$(basename "$t")"
done
for b in "${guest_bins[@]}"; do
	copy_elf "$b" "/opt/vision/bin/$(basename "$b")"
done
mkdir -p "$root/opt/vision/lib" "$root/opt/vision/data"
cp -a "$top"/build/lib/libvision.so* "$root/opt/vision/lib/"
for f in "${data[@]}"; do
	cp "$f" "$root/opt/vision/data/"
done

(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initramfs.cpio"

# --- boot ----------------------------------------------------------------------

qemu() {
	local accel=$1 cpu=$2 mode=$3 limit=$4
	local cmdline="console=ttyS0 loglevel=4 printk.time=1 log_buf_len=4M"
	cmdline+=" panic=-1 vision.mode=$mode"
	timeout --foreground -k 5 "$limit" \
		qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -smp 2 -m 1536 \
			-kernel "$vmlinuz" -initrd "$work/initramfs.cpio" \
			-append "$cmdline" -display none -monitor none \
			-serial stdio -no-reboot -nodefaults </dev/null 2>&1
}

# KVM only if a guest really boots fast with it (nested KVM can be far
# slower than TCG); the answer is remembered per build tree.
accel=tcg
if [ -w /dev/kvm ] && [ "${VISION_VM_KVM:-auto}" != no ]; then
	probe=$top/build/vm/kvm-probe
	if [ ! -f "$probe" ]; then
		if (qemu kvm host probe 20) > "$work/console-probe.log" 2>&1 &&
		   grep -q 'VISION-VM-RESULT rc=0' "$work/console-probe.log"; then
			echo kvm > "$probe"
		else
			echo tcg > "$probe"
		fi
	fi
	accel=$(cat "$probe")
fi
[ "${VISION_VM_KVM:-auto}" = yes ] && accel=kvm
cpu=max
[ "$accel" = kvm ] && cpu=host

echo "run-vm: booting $kver ($accel) mode=$mode" >&2
start=$(date +%s.%N)
set +e
qemu "$accel" "$cpu" "$mode" "$timeout" | tee "$log"
qemu_rc=${PIPESTATUS[0]}
set -e
elapsed=$(echo "$(date +%s.%N) - $start" | bc)

exec "$here/verdict.sh" --log "$log" --qemu-rc "$qemu_rc" --kver "$kver" \
	--mode "$mode" --elapsed "$elapsed" ${summary:+--summary "$summary"}
