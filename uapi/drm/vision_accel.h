/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __UAPI_VISION_ACCEL_H__
#define __UAPI_VISION_ACCEL_H__

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: vision accelerator uapi
 *
 * The vision driver exposes an NPU (or its virtual stand-in) as a DRM
 * compute-accelerator device, ``/dev/accel/accelN``, or as a DRM render
 * node on kernels without ``CONFIG_DRM_ACCEL``. Userspace identifies the
 * device by the driver name ``vision`` returned by ``DRM_IOCTL_VERSION``.
 *
 * Every structure is 64-bit aligned and padded explicitly; reserved and
 * padding members must be zero, and the kernel rejects unknown values with
 * ``-EINVAL``. Ioctl numbers are never reused once retired.
 */

/**
 * DRM_VISION_API_VERSION - version of this interface
 *
 * Reported by %DRM_VISION_PARAM_API_VERSION. The major number (bits 31:16)
 * changes on incompatible changes, the minor number (bits 15:0) when
 * features are added.
 */
#define DRM_VISION_API_VERSION ((1 << 16) | 0)

#define DRM_VISION_GET_PARAM 0x00

#define DRM_IOCTL_VISION_GET_PARAM                        \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VISION_GET_PARAM, \
		 struct drm_vision_get_param)

/**
 * DRM_VISION_PARAM_DEVICE_ID - identifier of the accelerator model
 *
 * One of the %DRM_VISION_DEVICE_ID_* values.
 */
#define DRM_VISION_PARAM_DEVICE_ID 0

/**
 * DRM_VISION_PARAM_API_VERSION - interface version implemented
 *
 * The kernel's %DRM_VISION_API_VERSION.
 */
#define DRM_VISION_PARAM_API_VERSION 1

/**
 * DRM_VISION_PARAM_NUM_CORES - number of NPU cores
 *
 * Each core has its own job queue and its own activation memory.
 */
#define DRM_VISION_PARAM_NUM_CORES 2

/**
 * DRM_VISION_DEVICE_ID_VIRTUAL - the virtual NPU
 *
 * The reference backend that executes jobs on the CPU, in kernel.
 */
#define DRM_VISION_DEVICE_ID_VIRTUAL 0x7601

/**
 * struct drm_vision_get_param - query a device parameter
 *
 * Used with %DRM_IOCTL_VISION_GET_PARAM. An unknown @param, or a non-zero
 * @pad, fails with ``-EINVAL``.
 */
struct drm_vision_get_param {
	/**
	 * @param: (in) the parameter to read, one of %DRM_VISION_PARAM_*.
	 */
	__u32 param;

	/** @pad: (in) reserved, must be zero. */
	__u32 pad;

	/** @value: (out) the parameter's value. */
	__u64 value;
};

#if defined(__cplusplus)
}
#endif

#endif /* __UAPI_VISION_ACCEL_H__ */
