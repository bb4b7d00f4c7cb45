/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_GEM_H__
#define __VIS_GEM_H__

#include <linux/spinlock.h>
#include <linux/types.h>

#include <drm/drm_gem_shmem_helper.h>

struct drm_device;
struct drm_file;

/**
 * struct vis_bo - a buffer object: shmem, or a dma-buf of another device
 * @base: the shmem GEM object; first, the shmem helper frees it
 * @flags: DRM_VISION_BO_* creation flags
 * @status_lock: protects @status and @status_seqno
 * @status: result of the last job that wrote the BO
 * @status_seqno: submission number of that job
 */
struct vis_bo {
	struct drm_gem_shmem_object base;
	u32 flags;
	spinlock_t status_lock; /* @status, @status_seqno */
	int status;
	u64 status_seqno;
};

struct drm_gem_object *vis_bo_create_object(struct drm_device *drm,
					    size_t size);
struct drm_gem_object *vis_gem_lookup(struct drm_file *file, u32 handle,
				      const struct drm_gem_object_funcs *funcs);
struct vis_bo *vis_bo_lookup(struct drm_file *file, u32 handle);
void vis_bo_set_status(struct vis_bo *bo, u64 seqno, int status);

static inline struct drm_gem_object *vis_bo_obj(struct vis_bo *bo)
{
	return &bo->base.base;
}

static inline struct vis_bo *to_vis_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct vis_bo, base.base);
}

int vis_ioctl_bo_create(struct drm_device *drm, void *data,
			struct drm_file *file);
int vis_ioctl_bo_info(struct drm_device *drm, void *data,
		      struct drm_file *file);
int vis_ioctl_bo_wait(struct drm_device *drm, void *data,
		      struct drm_file *file);

#endif /* __VIS_GEM_H__ */
