// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: device
 *
 * Device-wide state of one accelerator: its identity and its cores. The
 * virtual NPU is the only backend so far; it has as many cores as the
 * ``cores`` module parameter asks for, by default one per online CPU up to
 * VIS_MAX_CORES.
 */

#include <linux/cpumask.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include <drm/drm_print.h>

#include "vision_accel.h"
#include "vis_device.h"

static unsigned int vis_cores;

/* Range-checked at load time so a bad value fails insmod, not probe. */
static int vis_cores_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, VIS_MAX_CORES);
}

static const struct kernel_param_ops vis_cores_ops = {
	.set = vis_cores_set,
	.get = param_get_uint,
};

module_param_cb(cores, &vis_cores_ops, &vis_cores, 0444);
MODULE_PARM_DESC(cores, "Virtual NPU cores, 1-8 (0: online CPUs, up to 8)");

/**
 * vis_device_init() - set up device-wide state
 * @vdev: the device, already allocated
 *
 * Return: 0 on success, a negative errno otherwise.
 */
int vis_device_init(struct vis_device *vdev)
{
	vdev->device_id = DRM_VISION_DEVICE_ID_VIRTUAL;
	if (vis_cores)
		vdev->num_cores = vis_cores;
	else
		vdev->num_cores = min_t(u32, num_online_cpus(), VIS_MAX_CORES);

	drm_info(&vdev->drm, "virtual NPU with %u cores\n", vdev->num_cores);
	return 0;
}
