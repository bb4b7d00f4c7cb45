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

#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/videodev2.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>

#include "vision_accel.h"
#include "vis_compat.h"
#include "vis_debugfs.h"
#include "vis_device.h"
#include "vis_drv.h"
#include "vis_engine.h"
#include "vis_gem.h"
#include "vis_job.h"
#include "vis_model.h"

/* uapi format bits, in bit order, as V4L2 fourcc codes. */
static const u32 vis_format_fourccs[] = {
	v4l2_fourcc('R', 'G', 'B', '3'), v4l2_fourcc('B', 'G', 'R', '3'),
	v4l2_fourcc('R', 'G', 'B', '4'), v4l2_fourcc('B', 'G', 'R', '4'),
	v4l2_fourcc('B', 'X', '2', '4'), v4l2_fourcc('B', 'A', '2', '4'),
	v4l2_fourcc('X', 'R', '2', '4'), v4l2_fourcc('A', 'R', '2', '4'),
	v4l2_fourcc('X', 'B', '2', '4'), v4l2_fourcc('A', 'B', '2', '4'),
	v4l2_fourcc('R', 'X', '2', '4'), v4l2_fourcc('R', 'A', '2', '4'),
	v4l2_fourcc('Y', 'U', 'Y', 'V'), v4l2_fourcc('Y', 'V', 'Y', 'U'),
	v4l2_fourcc('U', 'Y', 'V', 'Y'), v4l2_fourcc('V', 'Y', 'U', 'Y'),
	v4l2_fourcc('N', 'V', '1', '2'), v4l2_fourcc('N', 'V', '2', '1'),
	v4l2_fourcc('G', 'R', 'E', 'Y'),
};

static u64 vis_input_formats(void)
{
	u64 mask = 0;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(vis_format_fourccs); i++)
		if (vis_input_planes(vis_format_fourccs[i]))
			mask |= BIT_ULL(i);
	return mask;
}

static u64 vis_simd_level(void)
{
	static const char *const names[] = {
		[DRM_VISION_SIMD_PORTABLE] = "portable",
		[DRM_VISION_SIMD_AVX2] = "avx2",
		[DRM_VISION_SIMD_AVX512BW] = "avx512bw",
		[DRM_VISION_SIMD_AVX512VNNI] = "avx512vnni",
		[DRM_VISION_SIMD_NEON_DOTPROD] = "neon-dotprod",
	};
	const char *best = vis_kernels_best()->name;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(best, names[i]))
			return i;
	return DRM_VISION_SIMD_PORTABLE;
}

static int vis_ioctl_get_param(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct vis_device *vdev = to_vis_device(drm);
	struct drm_vision_get_param *args = data;

	if (args->pad) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "get_param: pad must be zero\n");
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
	case DRM_VISION_PARAM_CORE_SRAM_SIZE:
		args->value = vdev->sram_size;
		break;
	case DRM_VISION_PARAM_MAX_MODEL_SIZE:
		args->value = VISION_MODEL_MAX_SIZE;
		break;
	case DRM_VISION_PARAM_INPUT_FORMATS:
		args->value = vis_input_formats();
		break;
	case DRM_VISION_PARAM_CAPABILITIES:
		args->value = DRM_VISION_CAP_SPARSE | DRM_VISION_CAP_PROFILE |
			      DRM_VISION_CAP_CAMERA_INPUT |
			      DRM_VISION_CAP_PRIORITY;
		break;
	case DRM_VISION_PARAM_SIMD_LEVEL:
		args->value = vis_simd_level();
		break;
	case DRM_VISION_PARAM_MAX_BO_SIZE:
		args->value = VIS_MAX_BO_SIZE;
		break;
	case DRM_VISION_PARAM_MAX_JOBS:
		args->value = VIS_MAX_JOBS;
		break;
	case DRM_VISION_PARAM_MODEL_MEMORY:
		args->value = vdev->model_mem_max;
		break;
	default:
		vis_dbg(vdev, VIS_DBG_IOCTL, "get_param: unknown param %u\n",
			args->param);
		return -EINVAL;
	}
	return 0;
}

#define VIS_IOCTL(n, func) \
	DRM_IOCTL_DEF_DRV(VISION_##n, vis_ioctl_##func, DRM_RENDER_ALLOW)

static const struct drm_ioctl_desc vis_ioctls[] = {
	VIS_IOCTL(GET_PARAM, get_param),
	VIS_IOCTL(BO_CREATE, bo_create),
	VIS_IOCTL(BO_INFO, bo_info),
	VIS_IOCTL(BO_WAIT, bo_wait),
	VIS_IOCTL(MODEL_CREATE, model_create),
	VIS_IOCTL(MODEL_INFO, model_info),
	VIS_IOCTL(SUBMIT, submit),
};

static int vis_open(struct drm_device *drm, struct drm_file *file)
{
	struct vis_device *vdev = to_vis_device(drm);
	struct vis_file *vfile;
	int ret;

	vfile = kzalloc(sizeof(*vfile), GFP_KERNEL_ACCOUNT);
	if (!vfile)
		return -ENOMEM;
	vfile->vdev = vdev;
	kref_init(&vfile->ref);
	vfile->client_id = vis_file_client_id(file);
	ret = vis_job_file_open(vfile);
	if (ret) {
		kfree(vfile);
		return ret;
	}
	file->driver_priv = vfile;
	return 0;
}

static void vis_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct vis_file *vfile = file->driver_priv;

	vis_job_file_close(vfile);
	/* Jobs still running keep it until they are freed. */
	vis_file_put(vfile);
}

static void vis_fdinfo_common(struct drm_printer *p, struct drm_file *file)
{
	struct vis_file *vfile = file->driver_priv;

	drm_printf(p, "drm-engine-npu:\t%llu ns\n",
		   (u64)atomic64_read(&vfile->busy_ns));
}

#ifdef VIS_HAVE_DRM_SHOW_FDINFO
static void vis_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	vis_fdinfo_common(p, file);
	drm_show_memory_stats(p, file);
}

#else
/* What the DRM core prints on later kernels, for this one. */
static void vis_legacy_fdinfo(struct seq_file *m, struct file *f)
{
	struct drm_file *file = f->private_data;
	struct vis_file *vfile = file->driver_priv;
	struct drm_printer p = drm_seq_file_printer(m);
	struct drm_gem_object *obj;
	u64 total = 0;
	int id;

	drm_printf(&p, "drm-driver:\t%s\n", VIS_DRIVER_NAME);
	drm_printf(&p, "drm-client-id:\t%llu\n", vfile->client_id);
	vis_fdinfo_common(&p, file);
	spin_lock(&file->table_lock);
	idr_for_each_entry(&file->object_idr, obj, id)
		total += obj->size;
	spin_unlock(&file->table_lock);
	drm_printf(&p, "drm-total-memory:\t%llu KiB\n", total >> 10);
}
#endif

VIS_DEFINE_FOPS(vis_fops);

static const struct drm_driver vis_drm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_SYNCOBJ |
			   VIS_DRIVER_NODE_FEATURES,
	.open = vis_open,
	.postclose = vis_postclose,
	.fops = &vis_fops,
	.ioctls = vis_ioctls,
	.num_ioctls = ARRAY_SIZE(vis_ioctls),
	.gem_create_object = vis_bo_create_object,
	.prime_handle_to_fd = drm_gem_prime_handle_to_fd,
	.prime_fd_to_handle = drm_gem_prime_fd_to_handle,
	.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table,
	VIS_DRIVER_PRIME_MMAP VIS_DRIVER_SHOW_FDINFO.name = VIS_DRIVER_NAME,
	.desc = VIS_DRIVER_DESC,
	.major = VIS_DRIVER_MAJOR,
	.minor = VIS_DRIVER_MINOR,
	VIS_DRM_DRIVER_DATE
};

/* Managed release: the last reference to the DRM device is gone. */
static void vis_release(struct drm_device *drm, void *arg)
{
	vis_device_fini(to_vis_device(drm));
}

static int vis_probe(struct platform_device *pdev)
{
	struct vis_device *vdev;
	int ret;

	vdev = devm_drm_dev_alloc(&pdev->dev, &vis_drm_driver,
				  struct vis_device, drm);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	platform_set_drvdata(pdev, vdev);

	/* The virtual NPU reaches all memory; importers map through it. */
	ret = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	ret = vis_device_init(vdev);
	if (ret)
		return ret;
	ret = drmm_add_action_or_reset(&vdev->drm, vis_release, NULL);
	if (ret)
		return ret;

	/* Last: userspace may use the device as soon as it is registered. */
	ret = drm_dev_register(&vdev->drm, 0);
	if (ret)
		return ret;
	vis_debugfs_init(vdev);

	return 0;
}

static void vis_remove(struct platform_device *pdev)
{
	struct vis_device *vdev = platform_get_drvdata(pdev);

	/* Open files stay valid; their ioctls fail from now on. */
	drm_dev_unplug(&vdev->drm);
	vis_debugfs_fini(vdev);
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

	vis_debugfs_module_init();
	ret = platform_driver_register(&vis_platform_driver);
	if (ret)
		goto err_debugfs;

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
	return 0;

err_unregister_device:
	platform_device_unregister(pdev);
err_unregister_driver:
	platform_driver_unregister(&vis_platform_driver);
err_debugfs:
	vis_debugfs_module_fini();
	return ret;
}

static void __exit vis_exit(void)
{
	platform_device_unregister(vis_vnpu_pdev);
	platform_driver_unregister(&vis_platform_driver);
	vis_debugfs_module_fini();
}

module_init(vis_init);
module_exit(vis_exit);

MODULE_DESCRIPTION(VIS_DRIVER_DESC);
MODULE_AUTHOR("The vision authors");
MODULE_LICENSE("GPL");
