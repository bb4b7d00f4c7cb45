// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: driver
 *
 * Module entry points, the DRM driver and its ioctl table. The virtual NPU
 * is a platform device that this module registers itself, the way vkms
 * does; a silicon backend would instead be matched from firmware (OF/ACPI)
 * by the same platform driver.
 */

#include <linux/err.h>
#include <linux/module.h>
#include <linux/platform_device.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "vision_accel.h"
#include "vis_compat.h"
#include "vis_debugfs.h"
#include "vis_device.h"
#include "vis_drv.h"

static int vis_ioctl_get_param(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct vis_device *vdev = to_vis_device(drm);
	struct drm_vision_get_param *args = data;

	if (args->pad) {
		drm_dbg(drm, "get_param: pad must be zero\n");
		return -EINVAL;
	}

	switch (args->param) {
	case DRM_VISION_PARAM_DEVICE_ID:
		args->value = vdev->device_id;
		break;
	case DRM_VISION_PARAM_API_VERSION:
		args->value = DRM_VISION_API_VERSION;
		break;
	case DRM_VISION_PARAM_NUM_CORES:
		args->value = vdev->num_cores;
		break;
	default:
		drm_dbg(drm, "get_param: unknown param %u\n", args->param);
		return -EINVAL;
	}
	return 0;
}

#define VIS_IOCTL(n, func) \
	DRM_IOCTL_DEF_DRV(VISION_##n, vis_ioctl_##func, DRM_RENDER_ALLOW)

static const struct drm_ioctl_desc vis_ioctls[] = {
	VIS_IOCTL(GET_PARAM, get_param),
};

VIS_DEFINE_FOPS(vis_fops);

static const struct drm_driver vis_drm_driver = {
	.driver_features = DRIVER_GEM | VIS_DRIVER_NODE_FEATURES,
	.fops = &vis_fops,
	.ioctls = vis_ioctls,
	.num_ioctls = ARRAY_SIZE(vis_ioctls),
	.name = VIS_DRIVER_NAME,
	.desc = VIS_DRIVER_DESC,
	.major = VIS_DRIVER_MAJOR,
	.minor = VIS_DRIVER_MINOR,
	VIS_DRM_DRIVER_DATE
};

static int vis_probe(struct platform_device *pdev)
{
	struct vis_device *vdev;
	int ret;

	vdev = devm_drm_dev_alloc(&pdev->dev, &vis_drm_driver,
				  struct vis_device, drm);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	platform_set_drvdata(pdev, vdev);

	ret = vis_device_init(vdev);
	if (ret)
		return ret;

	/* Last: userspace may use the device as soon as it is registered. */
	ret = drm_dev_register(&vdev->drm, 0);
	if (ret)
		return ret;

	return 0;
}

static void vis_remove(struct platform_device *pdev)
{
	struct vis_device *vdev = platform_get_drvdata(pdev);

	/* Open files stay valid; their ioctls fail from now on. */
	drm_dev_unplug(&vdev->drm);
}

static struct platform_driver vis_platform_driver = {
	.probe = vis_probe,
	VIS_PLATFORM_REMOVE(vis_remove),
	.driver = {
		.name = VIS_PLATFORM_NAME,
	},
};

static struct platform_device *vis_vnpu_pdev;

static int __init vis_init(void)
{
	struct platform_device *pdev;
	int ret;

	ret = platform_driver_register(&vis_platform_driver);
	if (ret)
		return ret;

	pdev = platform_device_register_simple(VIS_PLATFORM_NAME,
					       PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(pdev)) {
		ret = PTR_ERR(pdev);
		goto err_unregister_driver;
	}
	/* Bound synchronously: a failed probe leaves no driver data. */
	if (!platform_get_drvdata(pdev)) {
		ret = -ENODEV;
		goto err_unregister_device;
	}
	vis_vnpu_pdev = pdev;
	vis_debugfs_init();
	return 0;

err_unregister_device:
	platform_device_unregister(pdev);
err_unregister_driver:
	platform_driver_unregister(&vis_platform_driver);
	return ret;
}

static void __exit vis_exit(void)
{
	vis_debugfs_fini();
	platform_device_unregister(vis_vnpu_pdev);
	platform_driver_unregister(&vis_platform_driver);
}

module_init(vis_init);
module_exit(vis_exit);

MODULE_DESCRIPTION(VIS_DRIVER_DESC);
MODULE_AUTHOR("The vision authors");
MODULE_LICENSE("GPL");
