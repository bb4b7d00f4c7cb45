// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: models
 *
 * MODEL_CREATE copies a model blob into kernel memory and runs the
 * engine's validator over every byte before anything else can see it. The
 * result is a private GEM object: handles, PRIME sharing between
 * processes and lifetime come from the DRM core, but it has no mmap offset,
 * no pages to export and no kernel mapping to hand out, so nobody can
 * change a model the kernel has validated. Jobs hold a reference while
 * they run it.
 */

#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>

#include "vision_accel.h"
#include "vis_device.h"
#include "vis_drv.h"
#include "vis_gem.h"
#include "vis_model.h"

static void vis_model_free(struct drm_gem_object *obj)
{
	struct vis_model_obj *mo = to_vis_model(obj);
	struct vis_device *vdev = to_vis_device(obj->dev);

	mutex_lock(&vdev->models_lock);
	list_del(&mo->node);
	mutex_unlock(&vdev->models_lock);
	atomic64_sub(mo->m.size + mo->prepared_size, &vdev->model_mem);
	vis_dbg(vdev, VIS_DBG_MODEL, "model %llu freed\n", mo->id);

	drm_gem_object_release(obj);
	kvfree(mo->prepared);
	kvfree(mo->blob);
	kfree(mo);
}

/* Neither mmap() of a handle nor of an exported dma-buf. */
static int vis_model_mmap(struct drm_gem_object *obj,
			  struct vm_area_struct *vma)
{
	return -EACCES;
}

/* Another device attaching to an exported model gets no pages. */
static struct sg_table *vis_model_get_sg_table(struct drm_gem_object *obj)
{
	return ERR_PTR(-EACCES);
}

static const struct drm_gem_object_funcs vis_model_funcs = {
	.free = vis_model_free,
	.mmap = vis_model_mmap,
	.get_sg_table = vis_model_get_sg_table,
};

/**
 * vis_model_lookup() - a model of @file by handle
 * @file: the DRM file
 * @handle: its handle
 *
 * Return: a reference on the model, or NULL when @handle names none.
 */
struct vis_model_obj *vis_model_lookup(struct drm_file *file, u32 handle)
{
	struct drm_gem_object *obj =
		vis_gem_lookup(file, handle, &vis_model_funcs);

	return obj ? to_vis_model(obj) : NULL;
}

/*
 * Lay the weights out once for the kernel table the jobs use (packed
 * dense convolutions), so no job repeats that work. The copy counts
 * against the model memory cap like the blob. Tables without the packed
 * kernels read the blob's weights and need none; the layout does not
 * depend on the table, so a model prepared under one runs under any.
 */
static int vis_model_prepare_weights(struct vis_device *vdev,
				     struct vis_model_obj *mo)
{
	u64 size = mo->m.prepared_size;

	if (!size || !READ_ONCE(vdev->kernels)->gemm_s8_packed)
		return 0;
	/* kvmalloc() refuses (and warns about) more than INT_MAX. */
	if (size > INT_MAX) {
		vis_dbg(vdev, VIS_DBG_MODEL,
			"model_create: %llu bytes of prepared weights\n", size);
		return -E2BIG;
	}
	if (atomic64_add_return(size, &vdev->model_mem) > vdev->model_mem_max) {
		atomic64_sub(size, &vdev->model_mem);
		vis_dbg(vdev, VIS_DBG_MODEL,
			"model_create: model memory cap reached (prepared weights)\n");
		return -ENOSPC;
	}
	/* At least a page: kvmalloc() then returns it page-aligned. */
	mo->prepared =
		kvmalloc(max_t(u64, size, PAGE_SIZE), GFP_KERNEL_ACCOUNT);
	if (!mo->prepared) {
		atomic64_sub(size, &vdev->model_mem);
		return -ENOMEM;
	}
	mo->prepared_size = size;
	vis_model_prepare(&mo->m, mo->prepared);
	mo->m.prepared = mo->prepared;
	return 0;
}

/* What MODEL_INFO reports, computed once. */
static void vis_model_fill_info(struct vis_model_obj *mo)
{
	const struct vis_model *m = &mo->m;
	const struct vision_model_tensor *t = &m->tensors[m->input->tensor];
	struct drm_vision_model_info *info = &mo->info;
	u64 out = 0;
	u32 i;

	memset(info, 0, sizeof(*info));
	info->flags = m->input ? DRM_VISION_MODEL_HAS_INPUT_STAGE : 0;
	for (i = 0; i < 4; i++)
		info->input_shape[i] = t->shape[i];
	info->input_type = t->type;
	info->input_zero_point = t->zero_point;
	info->input_scale = t->scale;
	info->input_size = t->size;
	/* Validated sizes are bounded by the arena: no overflow. */
	for (i = 0; i < m->num_outputs; i++)
		out += m->tensors[m->outputs[i].tensor].size;
	info->num_outputs = m->num_outputs;
	info->output_size = out;
	info->num_ops = m->num_ops;
	info->profile_size =
		sizeof(struct drm_vision_profile) +
		(u64)m->num_ops * sizeof(struct drm_vision_profile_op);
	info->arena_size = m->arena_size;
	info->macs = m->macs;
	info->model_size = m->size;
	/* Saturate: a sum past any core's SRAM is refused either way. */
	if (check_add_overflow(vis_model_scratch_offset(m), m->scratch_size,
			       &info->sram_size))
		info->sram_size = U64_MAX;
}

int vis_ioctl_model_create(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	static atomic64_t next_id = ATOMIC64_INIT(0);
	struct vis_device *vdev = to_vis_device(drm);
	struct drm_vision_model_create *args = data;
	struct vis_engine_error err;
	struct vis_model_obj *mo;
	u64 size = args->size;
	int ret;

	if (args->flags || args->pad) {
		vis_dbg(vdev, VIS_DBG_IOCTL,
			"model_create: flags and pad must be zero\n");
		return -EINVAL;
	}
	if (!size) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "model_create: zero size\n");
		return -EINVAL;
	}
	if (size > VISION_MODEL_MAX_SIZE) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "model_create: %llu bytes\n",
			size);
		return -E2BIG;
	}
	/* Reserve first, so racing creators cannot overshoot the cap. */
	if (atomic64_add_return(size, &vdev->model_mem) > vdev->model_mem_max) {
		vis_dbg(vdev, VIS_DBG_MODEL,
			"model_create: model memory cap reached\n");
		ret = -ENOSPC;
		goto err_unreserve;
	}

	mo = kzalloc(sizeof(*mo), GFP_KERNEL_ACCOUNT);
	if (!mo) {
		ret = -ENOMEM;
		goto err_unreserve;
	}
	mo->blob = kvmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!mo->blob) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (copy_from_user(mo->blob, u64_to_user_ptr(args->data), size)) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "model_create: bad pointer\n");
		ret = -EFAULT;
		goto err_free;
	}

	ret = vis_model_validate(&mo->m, mo->blob, size, &err);
	if (ret) {
		vis_dbg(vdev, VIS_DBG_IOCTL | VIS_DBG_MODEL,
			"model_create: section %u entry %d %s: %s\n",
			err.section, (int)err.index, err.field, err.msg);
		goto err_free;
	}
	vis_model_fill_info(mo);
	if (mo->info.sram_size > vdev->sram_size) {
		vis_dbg(vdev, VIS_DBG_IOCTL,
			"model_create: needs %llu bytes of SRAM, core has %zu\n",
			mo->info.sram_size, vdev->sram_size);
		ret = -E2BIG;
		goto err_free;
	}
	ret = vis_model_prepare_weights(vdev, mo);
	if (ret)
		goto err_free;
	mo->id = atomic64_inc_return(&next_id);

	drm_gem_private_object_init(drm, &mo->base, PAGE_ALIGN(size));
	mo->base.funcs = &vis_model_funcs;
	mutex_lock(&vdev->models_lock);
	list_add_tail(&mo->node, &vdev->models);
	mutex_unlock(&vdev->models_lock);

	/* From here on the object's free callback undoes everything. */
	ret = drm_gem_handle_create(file, &mo->base, &args->info.handle);
	if (!ret) {
		u32 handle = args->info.handle;

		args->info = mo->info;
		args->info.handle = handle;
		vis_dbg(vdev, VIS_DBG_MODEL,
			"model %llu: handle %u, %llu bytes, %u ops\n", mo->id,
			handle, size, mo->m.num_ops);
	}
	drm_gem_object_put(&mo->base);
	return ret;

err_free:
	if (mo->prepared_size)
		atomic64_sub(mo->prepared_size, &vdev->model_mem);
	kvfree(mo->prepared);
	kvfree(mo->blob);
	kfree(mo);
err_unreserve:
	atomic64_sub(size, &vdev->model_mem);
	return ret;
}

int vis_ioctl_model_info(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct vis_device *vdev = to_vis_device(drm);
	struct drm_vision_model_info *args = data;
	struct drm_vision_model_info zero = { .handle = args->handle };
	struct vis_model_obj *mo;

	/* All members but the handle are outputs: insist they come zeroed. */
	if (memcmp(args, &zero, sizeof(zero))) {
		vis_dbg(vdev, VIS_DBG_IOCTL,
			"model_info: members other than handle must be zero\n");
		return -EINVAL;
	}
	mo = vis_model_lookup(file, args->handle);
	if (!mo) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "model_info: no model %u\n",
			args->handle);
		return -ENOENT;
	}
	*args = mo->info;
	args->handle = zero.handle;
	drm_gem_object_put(&mo->base);
	return 0;
}
