// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: buffer objects
 *
 * Buffer objects are shmem GEM objects created by BO_CREATE, or dma-bufs
 * of other devices (a V4L2 capture buffer) imported through PRIME, which
 * the shmem helper wraps as well. Both are &struct vis_bo, so a job can
 * use either as input or output and BO_WAIT can report the status of the
 * last job that wrote either. Jobs map them into the kernel at submission
 * (vis_job.c); the virtual NPU reads and writes through that mapping.
 */

#include <linux/dma-resv.h>
#include <linux/slab.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_utils.h>
#include <drm/drm_vma_manager.h>

#include "vision_accel.h"
#include "vis_device.h"
#include "vis_drv.h"
#include "vis_gem.h"

static const struct drm_gem_object_funcs vis_bo_funcs = {
	.free = drm_gem_shmem_object_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

/**
 * vis_bo_create_object() - &drm_driver.gem_create_object
 * @drm: the device
 * @size: object size
 *
 * Called by the shmem helper for created and for imported objects alike.
 *
 * Return: the embedded GEM object, or an ERR_PTR().
 */
struct drm_gem_object *vis_bo_create_object(struct drm_device *drm, size_t size)
{
	struct vis_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL_ACCOUNT);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	/* drm_gem_shmem_free() kfree()s the shmem object: keep it first. */
	BUILD_BUG_ON(offsetof(struct vis_bo, base) != 0);
	spin_lock_init(&bo->status_lock);
	bo->base.base.funcs = &vis_bo_funcs;
	return &bo->base.base;
}

/**
 * vis_gem_lookup() - a GEM object of @file of one kind, by handle
 * @file: the DRM file
 * @handle: its handle
 * @funcs: the kind: the object functions of BOs or of models
 *
 * Return: a reference on the object, or NULL when @handle names no object
 * of that kind in @file.
 */
struct drm_gem_object *vis_gem_lookup(struct drm_file *file, u32 handle,
				      const struct drm_gem_object_funcs *funcs)
{
	struct drm_gem_object *obj = drm_gem_object_lookup(file, handle);

	if (obj && obj->funcs != funcs) {
		drm_gem_object_put(obj);
		return NULL;
	}
	return obj;
}

/**
 * vis_bo_lookup() - a BO of @file by handle
 * @file: the DRM file
 * @handle: its handle
 *
 * Return: a reference on the BO, or NULL when @handle names no BO of
 * @file (a model's handle included).
 */
struct vis_bo *vis_bo_lookup(struct drm_file *file, u32 handle)
{
	struct drm_gem_object *obj =
		vis_gem_lookup(file, handle, &vis_bo_funcs);

	return obj ? to_vis_bo(obj) : NULL;
}

/**
 * vis_bo_set_status() - record the result of a job that wrote @bo
 * @bo: the BO
 * @seqno: the job's submission number
 * @status: 0 or a negative errno
 *
 * Writers of one BO are ordered by implicit synchronisation, but a later
 * writer may fail before an earlier one completes: keep the latest.
 */
void vis_bo_set_status(struct vis_bo *bo, u64 seqno, int status)
{
	spin_lock(&bo->status_lock);
	if (seqno >= bo->status_seqno) {
		bo->status_seqno = seqno;
		bo->status = status;
	}
	spin_unlock(&bo->status_lock);
}

int vis_ioctl_bo_create(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct vis_device *vdev = to_vis_device(drm);
	struct drm_vision_bo_create *args = data;
	struct drm_gem_shmem_object *shmem;
	struct vis_bo *bo;
	int ret;

	if (args->pad || (args->flags & ~DRM_VISION_BO_WC)) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "bo_create: bad flags or pad\n");
		return -EINVAL;
	}
	if (!args->size) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "bo_create: zero size\n");
		return -EINVAL;
	}
	if (args->size > VIS_MAX_BO_SIZE) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "bo_create: size %llu too big\n",
			args->size);
		return -E2BIG;
	}

	shmem = drm_gem_shmem_create(drm, args->size);
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);
	bo = to_vis_bo(&shmem->base);
	bo->flags = args->flags;
	shmem->map_wc = !!(args->flags & DRM_VISION_BO_WC);

	ret = drm_gem_handle_create(file, &shmem->base, &args->handle);
	if (!ret)
		args->mmap_offset =
			drm_vma_node_offset_addr(&shmem->base.vma_node);
	/* The handle holds the object now, or it is freed here. */
	drm_gem_object_put(&shmem->base);
	if (!ret)
		vis_dbg(vdev, VIS_DBG_BO, "bo %u: %zu bytes, flags %#x\n",
			args->handle, shmem->base.size, args->flags);
	return ret;
}

int vis_ioctl_bo_info(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct vis_device *vdev = to_vis_device(drm);
	struct drm_vision_bo_info *args = data;
	struct drm_gem_object *obj;
	struct vis_bo *bo;

	if (args->pad) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "bo_info: pad must be zero\n");
		return -EINVAL;
	}
	bo = vis_bo_lookup(file, args->handle);
	if (!bo) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "bo_info: no BO %u\n",
			args->handle);
		return -ENOENT;
	}
	obj = vis_bo_obj(bo);
	args->flags = bo->flags;
	if (obj->import_attach)
		args->flags |= DRM_VISION_BO_IMPORTED;
	args->size = obj->size;
	args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);
	drm_gem_object_put(obj);
	return 0;
}

int vis_ioctl_bo_wait(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct vis_device *vdev = to_vis_device(drm);
	struct drm_vision_bo_wait *args = data;
	struct drm_gem_object *obj;
	unsigned long timeout;
	struct vis_bo *bo;
	long ret;

	if (args->pad || args->pad2) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "bo_wait: pad must be zero\n");
		return -EINVAL;
	}
	bo = vis_bo_lookup(file, args->handle);
	if (!bo) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "bo_wait: no BO %u\n",
			args->handle);
		return -ENOENT;
	}
	obj = vis_bo_obj(bo);

	timeout = drm_timeout_abs_to_jiffies(args->timeout_ns);
	/* Readers and writers alike: the caller may reuse the BO after. */
	ret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_READ, true,
				    timeout);
	if (ret > 0) {
		spin_lock(&bo->status_lock);
		args->job_status = bo->status;
		spin_unlock(&bo->status_lock);
		ret = 0;
	} else if (!ret) {
		ret = -ETIMEDOUT;
	}
	drm_gem_object_put(obj);
	return ret;
}
