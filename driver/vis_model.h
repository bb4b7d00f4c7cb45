/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_MODEL_H__
#define __VIS_MODEL_H__

#include <linux/list.h>
#include <linux/types.h>

#include <drm/drm_gem.h>

#include "vision_accel.h"
#include "vis_engine.h"

struct drm_file;

/**
 * struct vis_model_obj - a loaded model: an immutable, unmappable GEM object
 * @base: the GEM object
 * @blob: the model bytes, kernel-owned, never written after validation
 * @m: the validated view of @blob the engine runs
 * @info: what MODEL_INFO reports (handle member unused)
 * @id: device-unique number, for debugfs
 * @node: entry in &vis_device.models
 */
struct vis_model_obj {
	struct drm_gem_object base;
	void *blob;
	void *prepared; /* vis_model_prepare()'s copy of the weights, or NULL */
	u64 prepared_size; /* its bytes, counted in model_mem */
	struct vis_model m;
	struct drm_vision_model_info info;
	u64 id;
	struct list_head node;
};

static inline struct vis_model_obj *to_vis_model(struct drm_gem_object *obj)
{
	return container_of(obj, struct vis_model_obj, base);
}

struct vis_model_obj *vis_model_lookup(struct drm_file *file, u32 handle);

/* Bytes of SRAM a model needs: its arena, aligned, then its scratch. */
static inline u64 vis_model_scratch_offset(const struct vis_model *m)
{
	return ALIGN(m->arena_size, 64);
}

int vis_ioctl_model_create(struct drm_device *drm, void *data,
			   struct drm_file *file);
int vis_ioctl_model_info(struct drm_device *drm, void *data,
			 struct drm_file *file);

#endif /* __VIS_MODEL_H__ */
