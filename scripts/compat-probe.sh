#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Probe a kernel source/headers tree for the APIs vision_accel.ko depends on
# and print one -DVIS_HAVE_* flag per feature found. Probing the headers,
# not LINUX_VERSION_CODE, keeps distribution backports working.
#
# Usage: compat-probe.sh SRCTREE

srctree=${1:?usage: compat-probe.sh SRCTREE}
inc=$srctree/include

# have NAME FILE PATTERN: emit -DVIS_HAVE_NAME when FILE matches PATTERN.
have() {
	if grep -Eq "$3" "$inc/$2" 2>/dev/null; then
		printf ' -DVIS_HAVE_%s' "$1"
	fi
}

# DRM compute-accelerator class (drivers/accel), /dev/accel/accelN.
have DRM_ACCEL drm/drm_drv.h 'DRIVER_COMPUTE_ACCEL'
# platform_driver.remove returns void (the remove_new conversion).
have PLATFORM_REMOVE_VOID linux/platform_device.h \
	'void \(\*remove\)\(struct platform_device \*\)'
have PLATFORM_REMOVE_NEW linux/platform_device.h 'void \(\*remove_new\)'
# struct drm_driver still carries a date string.
have DRM_DRIVER_DATE drm/drm_drv.h 'char \*date;'
echo
