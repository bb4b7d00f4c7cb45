/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_COMPAT_H__
#define __VIS_COMPAT_H__

/**
 * DOC: kernel API compatibility
 *
 * The one place where differences between the kernels we build for are
 * absorbed. The VIS_HAVE_* macros come from scripts/compat-probe.sh, which
 * probes the headers of the kernel being built against, so a distribution
 * kernel that backports an API is handled by what it has rather than by
 * its version number. Driver code uses only the names defined here.
 */

#include <linux/kconfig.h>
#include <linux/platform_device.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem.h>

#if defined(VIS_HAVE_DRM_ACCEL) && IS_ENABLED(CONFIG_DRM_ACCEL)
#include <drm/drm_accel.h>

/* Compute-accelerator node: /dev/accel/accelN. */
#define VIS_DRIVER_NODE_FEATURES DRIVER_COMPUTE_ACCEL
#define VIS_DEFINE_FOPS(name) DEFINE_DRM_ACCEL_FOPS(name)
#else
/* No accel class: a render node, /dev/dri/renderD*. */
#define VIS_DRIVER_NODE_FEATURES DRIVER_RENDER
#define VIS_DEFINE_FOPS(name) DEFINE_DRM_GEM_FOPS(name)
#endif

/* struct drm_driver lost its date string after 6.12. */
#ifdef VIS_HAVE_DRM_DRIVER_DATE
#define VIS_DRM_DRIVER_DATE .date = VIS_DRIVER_DATE_STR,
#else
#define VIS_DRM_DRIVER_DATE
#endif

/*
 * platform_driver.remove returns void since the remove_new conversion;
 * during it (6.3 upstream, backported by Debian to 6.1) the void callback
 * was called .remove_new.
 */
#ifdef VIS_HAVE_PLATFORM_REMOVE_VOID
#define VIS_PLATFORM_REMOVE(fn) .remove = (fn)
#elif defined(VIS_HAVE_PLATFORM_REMOVE_NEW)
#define VIS_PLATFORM_REMOVE(fn) .remove_new = (fn)
#else
#error "kernel has no void platform_driver remove callback"
#endif

#endif /* __VIS_COMPAT_H__ */
