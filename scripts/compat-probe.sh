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
# drm_sched_init() takes struct drm_sched_init_args (backported to 6.1),
# with the submit workqueue and run-queue count only on later kernels.
have SCHED_INIT_ARGS drm/gpu_scheduler.h 'struct drm_sched_init_args \{'
have SCHED_NUM_RQS drm/gpu_scheduler.h 'u32 num_rqs;'
# drm_sched_job_init() grew a credits and then a client id argument.
have SCHED_JOB_CREDITS drm/gpu_scheduler.h 'u32 credits, void \*owner'
have SCHED_JOB_CLIENT_ID drm/gpu_scheduler.h 'void \*owner,[[:space:]]*$|u64 drm_client_id\);'
# drm_sched_start() lost its full_recovery flag, then took an errno.
have SCHED_START_RECOVERY drm/gpu_scheduler.h \
	'drm_sched_start\(struct drm_gpu_scheduler \*sched, bool'
have SCHED_START_ERRNO drm/gpu_scheduler.h \
	'drm_sched_start\(struct drm_gpu_scheduler \*sched, int'
# GEM vmap that takes the reservation lock itself (6.2+).
have GEM_VMAP_UNLOCKED drm/drm_gem.h 'int drm_gem_vmap_unlocked\('
# The DRM core prints fdinfo and per-file memory stats (6.5+).
have DRM_SHOW_FDINFO drm/drm_file.h 'void drm_show_memory_stats\('
# The DRM core numbers clients for fdinfo (6.4+).
have DRM_FILE_CLIENT_ID drm/drm_file.h 'u64 client_id;'
# drm_driver.gem_prime_mmap: dma-buf mmap() needs it until 6.6.
have DRM_GEM_PRIME_MMAP drm/drm_drv.h 'int \(\*gem_prime_mmap\)'
echo
