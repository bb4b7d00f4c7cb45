/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_DRV_H__
#define __VIS_DRV_H__

#include <linux/bits.h>

#include <drm/drm_print.h>

#define VIS_DRIVER_NAME "vision"
#define VIS_DRIVER_DESC "Vision NPU accelerator"
#define VIS_DRIVER_DATE_STR "20261128"
#define VIS_DRIVER_MAJOR 1
#define VIS_DRIVER_MINOR 0

/* Name of the platform device the virtual NPU is registered as. */
#define VIS_PLATFORM_NAME "vision-vnpu"

/*
 * Debug categories of the dbg_mask module parameter. A message of an
 * enabled category goes to drm_dbg(), so drm.debug still gates it.
 */
#define VIS_DBG_IOCTL BIT(0) /* rejected ioctl arguments */
#define VIS_DBG_MODEL BIT(1) /* model validation and life time */
#define VIS_DBG_JOB BIT(2) /* job submission and completion */
#define VIS_DBG_SCHED BIT(3) /* timeouts, resets, fault injection */
#define VIS_DBG_BO BIT(4) /* buffer objects and sharing */

extern unsigned int vis_dbg_mask;

#define vis_dbg(vdev, cat, fmt, ...)                               \
	do {                                                       \
		if (vis_dbg_mask & (cat))                          \
			drm_dbg(&(vdev)->drm, fmt, ##__VA_ARGS__); \
	} while (0)

#endif /* __VIS_DRV_H__ */
