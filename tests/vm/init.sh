#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test VM. Loads the Debian modules and vision_accel.ko, then
# per vision.mode= on the kernel command line:
#   probe  power off at once (is this accelerator fast enough?)
#   check  run every selftest and guest test, each between markers
#   run    the main job: show the device through vision-run
# Finally unloads the driver, dumps the kernel log between markers and
# reports VISION-VM-RESULT for run-vm.sh/verdict.sh to read.

/bin/busybox --install -s /bin
export PATH=/bin:/opt/vision/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug

finish() {
	echo "VISION-DMESG-BEGIN"
	dmesg
	echo "VISION-DMESG-END"
	echo "VISION-VM-RESULT rc=$1"
	sync
	poweroff -f
}

mode=$(sed -n 's/.*vision\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "VISION-VM-BOOTED uptime=$(cut -d' ' -f1 /proc/uptime) mode=$mode"
[ "$mode" = probe ] && finish 0

rc=0
for m in $(cat /lib/modules/deps/order); do
	if ! insmod "/lib/modules/deps/$m"; then
		echo "VISION-VM: insmod $m failed"
		rc=1
	fi
done

export VISION_KO=/lib/modules/vision/vision_accel.ko
if ! insmod "$VISION_KO"; then
	echo "VISION-VM: insmod vision_accel failed"
	finish 1
fi

case $mode in
check)
	for t in /opt/vision/selftests/* /opt/vision/tests/*; do
		[ -x "$t" ] || continue
		name=${t##*/}
		echo "VISION-TEST-BEGIN $name"
		(cd /tmp && timeout 120 "$t")
		r=$?
		echo "VISION-TEST-END $name rc=$r"
	done
	;;
run)
	vision-run --info || rc=1
	;;
esac

# Unloading must be clean too: leaks and warnings show up in the log.
if ! rmmod vision_accel; then
	echo "VISION-VM: rmmod vision_accel failed"
	rc=1
fi
finish $rc
