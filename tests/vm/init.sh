#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test VM. Loads the Debian modules and vision_accel.ko, then
# per vision.mode= on the kernel command line:
#   probe  power off at once (is this accelerator fast enough?)
#   check  run every selftest and guest test, each between markers
#   run    the main job: vision-run classifies Fashion-MNIST test images
#          fed through vivid's HDMI output -> input loop
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

# vivid: instances 0 and 1 keep the defaults (webcam, TV, S-Video and
# HDMI inputs; the capture tests use 0, the camera unplug test 1);
# instance 2 is the loop: one HDMI input, one HDMI output, nothing else,
# its output shown on its input (tools/v4l2_feed.c sets that up).
VIVID_PARAMS="n_devs=3 node_types=0xe1d3d,0xe1d3d,0x101 \
num_inputs=4,4,1 input_types=0xe4,0xe4,0x3 \
num_outputs=2,2,1 output_types=0x2,0x2,0x1"
VIVID_LOOP=002

rc=0
for m in $(cat /lib/modules/deps/order); do
	params=
	[ "$m" = vivid.ko ] && params=$VIVID_PARAMS
	# shellcheck disable=SC2086 # one word per parameter
	if ! insmod "/lib/modules/deps/$m" $params; then
		echo "VISION-VM: insmod $m failed"
		rc=1
	fi
done

# The /dev node of the V4L2 device called $1 (vivid-002-vid-cap...).
v4l2_node() {
	for d in /sys/class/video4linux/*; do
		[ "$(cat "$d/name" 2>/dev/null)" = "$1" ] || continue
		echo "/dev/${d##*/}"
		return 0
	done
	return 1
}

# The loop's two ends, for the loopback test and the main job.
if VISION_LOOP_CAPTURE=$(v4l2_node vivid-$VIVID_LOOP-vid-cap) &&
   VISION_LOOP_OUTPUT=$(v4l2_node vivid-$VIVID_LOOP-vid-out); then
	export VISION_LOOP_CAPTURE VISION_LOOP_OUTPUT
	echo "VISION-VM: vivid loop $VISION_LOOP_OUTPUT -> $VISION_LOOP_CAPTURE"
else
	echo "VISION-VM: no vivid loop instance"
	unset VISION_LOOP_CAPTURE VISION_LOOP_OUTPUT
	rc=1
fi

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
	data=/opt/vision/data
	if [ -n "${VISION_LOOP_CAPTURE:-}" ]; then
		echo "VISION-RUN-BEGIN"
		# Through a pipe: the console is a terminal, and a log wants
		# lines, not vision-run's self-redrawing progress line.
		r=$(
			set -o pipefail
			vision-run -m $data/fmnist_cnn.vnm \
				--camera "$VISION_LOOP_CAPTURE" \
				--feed "$VISION_LOOP_OUTPUT" --format GREY \
				--idx $data/t10k-images-idx3-ubyte.gz \
				--labels $data/t10k-labels-idx1-ubyte.gz \
				--frames 200 2>&1 | cat >&2
			echo $?
		)
		echo "VISION-RUN-END rc=$r"
		[ $r -eq 0 ] || rc=1
	fi
	;;
esac

# Unloading must be clean too: leaks and warnings show up in the log.
if ! rmmod vision_accel; then
	echo "VISION-VM: rmmod vision_accel failed"
	rc=1
fi
finish $rc
