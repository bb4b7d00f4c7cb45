// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: jobs
 *
 * SUBMIT turns each &struct drm_vision_job into a &struct vis_job in two
 * phases, so that a call queues all its jobs or none:
 *
 * 1. per job, everything that can fail: handle lookups, range checks
 *    (overflow-safe), kernel mappings of the BOs, the in-syncobj fence as
 *    a dependency, the scheduler job on the entity of the chosen core;
 * 2. for the whole call: lock every BO's reservation object, reserve fence
 *    slots and collect the implicit dependencies (still fallible), then arm
 *    and push every job and publish its finished fence on its BOs and its
 *    out-syncobj (no failure possible).
 *
 * Dependencies therefore refer to work of earlier calls: jobs of one call
 * are independent and may run in parallel on different cores.
 *
 * Each core has a drm_sched scheduler with one job on the "hardware" at a
 * time; each file has an entity per priority and core. run_job() hands the
 * job to the backend, which ends it with vis_job_done(); that signals the
 * hardware fence, and the scheduler then signals the finished fence and
 * calls free_job(). A job that overruns the timeout is cancelled through
 * the backend: the scheduler is stopped, the backend's cancel() makes the
 * job end at its next chunk boundary with -ETIMEDOUT, reset() waits for the
 * core and cleans it, and the scheduler restarts with the next job.
 */

#include <linux/capability.h>
#include <linux/dma-resv.h>
#include <linux/ktime.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_syncobj.h>

#include "vision_accel.h"
#include "vis_backend.h"
#include "vis_compat.h"
#include "vis_device.h"
#include "vis_drv.h"
#include "vis_gem.h"
#include "vis_job.h"
#include "vis_model.h"

static unsigned int vis_job_timeout_ms = 5000;

static int vis_timeout_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 600000);
}

static const struct kernel_param_ops vis_timeout_ops = {
	.set = vis_timeout_set,
	.get = param_get_uint,
};

module_param_cb(job_timeout_ms, &vis_timeout_ops, &vis_job_timeout_ms, 0444);
MODULE_PARM_DESC(job_timeout_ms, "Job timeout in ms, 1-600000 (default 5000)");

/* Each BO a job uses, with how: up to input, output and profile. */
#define VIS_JOB_MAX_BOS 3

static inline struct vis_job *to_vis_job(struct drm_sched_job *sched_job)
{
	return container_of(sched_job, struct vis_job, base);
}

static inline struct vis_core *to_vis_core(struct drm_gpu_scheduler *sched)
{
	return container_of(sched, struct vis_core, sched);
}

static const char *vis_fence_driver_name(struct dma_fence *fence)
{
	return VIS_DRIVER_NAME;
}

static const char *vis_fence_timeline_name(struct dma_fence *fence)
{
	return "vision-npu-core";
}

static const struct dma_fence_ops vis_fence_ops = {
	.get_driver_name = vis_fence_driver_name,
	.get_timeline_name = vis_fence_timeline_name,
};

static void vis_job_unmap(struct vis_bo *bo, struct iosys_map *map)
{
	if (bo && !iosys_map_is_null(map))
		vis_gem_vunmap(vis_bo_obj(bo), map);
}

static void vis_job_put_bo(struct vis_bo *bo)
{
	if (bo)
		drm_gem_object_put(vis_bo_obj(bo));
}

/* Everything a job holds, whether or not it ever reached the scheduler. */
static void vis_job_release(struct vis_job *job)
{
	struct vis_core *core = job->core;
	struct vis_device *vdev = core->vdev;

	vis_job_unmap(job->in, &job->in_map);
	vis_job_unmap(job->out, &job->out_map);
	vis_job_unmap(job->prof, &job->prof_map);
	vis_job_put_bo(job->in);
	vis_job_put_bo(job->out);
	vis_job_put_bo(job->prof);
	if (job->model)
		drm_gem_object_put(&job->model->base);
	if (job->out_syncobj)
		drm_syncobj_put(job->out_syncobj);
	if (job->fence_live)
		dma_fence_put(job->done_fence);
	else
		kfree(job->done_fence);
	vis_file_put(job->vfile);
	atomic_dec(&core->queued);
	kfree(job);
	/* Last: device teardown waits for this. */
	if (atomic_dec_and_test(&vdev->live_jobs))
		wake_up_all(&vdev->jobs_wq);
}

/**
 * vis_job_done() - end a job; called by the backend exactly once
 * @job: the job
 * @status: 0, or a negative errno the job's fences carry
 */
void vis_job_done(struct vis_job *job, int status)
{
	struct vis_core *core = job->core;
	struct vis_device *vdev = core->vdev;
	u64 now = ktime_get_ns(), busy = now - job->start_ns;

	atomic64_add(busy, &core->busy_ns);
	atomic64_add(busy, &job->vfile->busy_ns);
	atomic64_inc(&core->jobs);

	if (job->prof && !status) {
		struct drm_vision_profile p = {
			.num_ops = job->model->m.num_ops,
			.core = core->index,
			.queued_ns = job->queued_ns,
			.start_ns = job->start_ns,
			.input_ns = job->input_ns,
			.total_ns = busy,
		};

		iosys_map_memcpy_to(&job->prof_map, job->prof_offset, &p,
				    sizeof(p));
	}

	if (status) {
		atomic64_inc(&core->failed);
		if (status == -ETIMEDOUT)
			atomic64_inc(&core->timeouts);
		vis_device_record_error(vdev, core->index, job->seqno, status);
		vis_dbg(vdev, VIS_DBG_JOB, "job %llu on core %u: error %d\n",
			job->seqno, core->index, status);
		dma_fence_set_error(job->done_fence, status);
		/* Older schedulers do not pass the error on by themselves. */
		dma_fence_set_error(&job->base.s_fence->finished, status);
	}
	vis_bo_set_status(job->out, job->seqno, status);
	if (job->prof)
		vis_bo_set_status(job->prof, job->seqno, status);

	spin_lock(&core->lock);
	core->job = NULL;
	core->ops = NULL;
	spin_unlock(&core->lock);
	dma_fence_signal(job->done_fence);
}

/*
 * What the core reads its input from, for debugfs: a camera frame in an
 * imported dma-buf is read where the exporter (a V4L2 driver) put it, so
 * userspace can prove that its camera path copies nothing.
 */
static void vis_job_count_input(struct vis_device *vdev, struct vis_job *job)
{
	if (job->input_type != DRM_VISION_JOB_INPUT_FRAME)
		atomic64_inc(&vdev->inputs.tensors);
	else if (vis_bo_obj(job->in)->import_attach)
		atomic64_inc(&vdev->inputs.frames_imported);
	else
		atomic64_inc(&vdev->inputs.frames_native);
}

static struct dma_fence *vis_job_run(struct drm_sched_job *sched_job)
{
	struct vis_job *job = to_vis_job(sched_job);
	struct vis_core *core = job->core;
	struct vis_device *vdev = core->vdev;
	const struct vis_backend_ops *ops;
	struct dma_fence *fence = job->done_fence;
	int idx;

	/* Cancelled while queued (its file was killed, say). */
	if (unlikely(sched_job->s_fence->finished.error))
		return NULL;

	/* The fence was allocated at submission: no allocation here. */
	dma_fence_init(fence, &vis_fence_ops, &core->fence_lock,
		       core->fence_context, ++core->fence_seqno);
	job->fence_live = true;
	job->start_ns = ktime_get_ns();

	ops = vis_backend_pick(core);
	spin_lock(&core->lock);
	core->job = job;
	core->ops = ops;
	spin_unlock(&core->lock);

	dma_fence_get(fence);
	if (!drm_dev_enter(&vdev->drm, &idx)) {
		/* Unplugged: the hardware is gone, fail instead of running. */
		vis_job_done(job, -ENODEV);
		return fence;
	}
	vis_job_count_input(vdev, job);
	ops->run(core, job);
	drm_dev_exit(idx);
	return fence;
}

static enum drm_gpu_sched_stat vis_job_timedout(struct drm_sched_job *sched_job)
{
	struct vis_job *job = to_vis_job(sched_job);
	struct vis_core *core = to_vis_core(sched_job->sched);
	struct vis_device *vdev = core->vdev;
	const struct vis_backend_ops *ops;

	drm_sched_stop(&core->sched, sched_job);

	spin_lock(&core->lock);
	ops = core->ops ? core->ops : vdev->backend;
	spin_unlock(&core->lock);
	vis_dbg(vdev, VIS_DBG_SCHED, "core %u: job timed out, resetting\n",
		core->index);
	core->cancel_status = -ETIMEDOUT;
	ops->cancel(core);
	ops->reset(core);
	atomic64_inc(&core->resets);

	/*
	 * drm_sched_stop() detached the stopped job's hardware fence, and
	 * drm_sched_start() would end a job without one as -ECANCELED. The
	 * fence has signalled by now, with the job's real status: give it
	 * back so the job's finished fence carries that status.
	 */
	if (!sched_job->s_fence->parent && job->fence_live)
		sched_job->s_fence->parent = dma_fence_get(job->done_fence);

	vis_sched_start(&core->sched);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

static void vis_job_free(struct drm_sched_job *sched_job)
{
	struct vis_job *job = to_vis_job(sched_job);

	drm_sched_job_cleanup(sched_job);
	vis_job_release(job);
}

static const struct drm_sched_backend_ops vis_sched_ops = {
	.run_job = vis_job_run,
	.timedout_job = vis_job_timedout,
	.free_job = vis_job_free,
};

/**
 * vis_job_sched_init() - set up the scheduler of a core
 * @core: the core; its backend is already initialised
 *
 * Return: 0 or a negative errno.
 */
int vis_job_sched_init(struct vis_core *core)
{
	struct vis_device *vdev = core->vdev;
	struct drm_sched_init_args args = {
		.ops = &vis_sched_ops,
		.credit_limit = 1,
		.hang_limit = 0,
		.timeout = msecs_to_jiffies(vis_job_timeout_ms),
		.name = "vision-npu",
		.dev = vdev->drm.dev,
	};

	vdev->job_timeout_ms = vis_job_timeout_ms;
	return vis_sched_init(&core->sched, &args);
}

/**
 * vis_job_sched_fini() - tear a core's scheduler down; no job left
 * @core: the core
 */
void vis_job_sched_fini(struct vis_core *core)
{
	drm_sched_fini(&core->sched);
}

static const enum drm_sched_priority vis_prio[VIS_NUM_PRIOS] = {
	[DRM_VISION_SUBMIT_PRIORITY_NORMAL] = DRM_SCHED_PRIORITY_NORMAL,
	[DRM_VISION_SUBMIT_PRIORITY_HIGH] = DRM_SCHED_PRIORITY_HIGH,
};

/**
 * vis_job_file_open() - a file's scheduler entities
 * @vfile: the file's state
 *
 * Return: 0 or a negative errno.
 */
int vis_job_file_open(struct vis_file *vfile)
{
	struct vis_device *vdev = vfile->vdev;
	u32 p, c;
	int ret;

	for (p = 0; p < VIS_NUM_PRIOS; p++) {
		for (c = 0; c < vdev->num_cores; c++) {
			ret = drm_sched_entity_init(&vfile->entities[p][c],
						    vis_prio[p],
						    &vdev->scheds[c], 1, NULL);
			if (ret)
				goto err;
		}
	}
	return 0;

err:
	while (c--)
		drm_sched_entity_destroy(&vfile->entities[p][c]);
	while (p--)
		for (c = 0; c < vdev->num_cores; c++)
			drm_sched_entity_destroy(&vfile->entities[p][c]);
	return ret;
}

/**
 * vis_job_file_close() - flush and destroy a file's entities
 * @vfile: the file's state
 *
 * Queued jobs are pushed to their cores (or, when the process is being
 * killed, cancelled); running jobs keep their own references and finish.
 */
void vis_job_file_close(struct vis_file *vfile)
{
	struct vis_device *vdev = vfile->vdev;
	u32 p, c;

	for (p = 0; p < VIS_NUM_PRIOS; p++)
		for (c = 0; c < vdev->num_cores; c++)
			drm_sched_entity_destroy(&vfile->entities[p][c]);
}

/* The least loaded core, round-robin among equals. */
static struct vis_core *vis_job_pick_core(struct vis_device *vdev)
{
	u32 start = (u32)atomic_inc_return(&vdev->next_core), i, best = 0;
	int best_q = INT_MAX;

	for (i = 0; i < vdev->num_cores; i++) {
		u32 c = (start + i) % vdev->num_cores;
		int q = atomic_read(&vdev->cores[c].queued);

		if (q < best_q) {
			best_q = q;
			best = c;
		}
	}
	return &vdev->cores[best];
}

/* [off, off + len) lies within an object of @size bytes. */
static bool vis_range_ok(u64 off, u64 len, u64 size)
{
	u64 end;

	return !check_add_overflow(off, len, &end) && end <= size;
}

static bool vis_ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static int vis_job_map(struct vis_bo *bo, struct iosys_map *map)
{
	int ret = vis_gem_vmap(vis_bo_obj(bo), map);

	if (ret)
		return ret;
	if (map->is_iomem) {
		/* The virtual NPU reads with the CPU: no I/O memory. */
		vis_gem_vunmap(vis_bo_obj(bo), map);
		iosys_map_clear(map);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Check the frame against the model's input stage; point it at @in. */
static int vis_job_frame(struct vis_device *vdev, struct vis_job *job,
			 const struct drm_vision_frame *uf)
{
	const struct vis_frame_desc d = {
		.fourcc = uf->fourcc,
		.width = uf->width,
		.height = uf->height,
		.num_planes = uf->num_planes,
		.offsets = { uf->offsets[0], uf->offsets[1] },
		.strides = { uf->strides[0], uf->strides[1] },
		.crop_x = uf->crop_x,
		.crop_y = uf->crop_y,
		.crop_w = uf->crop_width,
		.crop_h = uf->crop_height,
	};
	int ret;

	if (uf->reserved[0] || uf->reserved[1] || job->in_offset) {
		vis_dbg(vdev, VIS_DBG_IOCTL,
			"submit: frame reserved or in_offset non-zero\n");
		return -EINVAL;
	}
	ret = vis_frame_setup(&job->model->m, &d, job->in_map.vaddr,
			      vis_bo_obj(job->in)->size, &job->frame);
	if (ret)
		vis_dbg(vdev, VIS_DBG_IOCTL,
			"submit: frame %ux%u %p4cc, %u planes: error %d\n",
			uf->width, uf->height, &uf->fourcc, uf->num_planes,
			ret);
	return ret;
}

/* Bytes of the input BO a job reads. */
static void vis_job_in_range(const struct vis_job *job,
			     const struct drm_vision_job *uj, u64 *off,
			     u64 *len)
{
	if (job->input_type == DRM_VISION_JOB_INPUT_TENSOR) {
		*off = job->in_offset;
		*len = job->model->info.input_size;
	} else {
		/* Conservative: from the first plane to the end. */
		*off = uj->frame.offsets[0];
		if (uj->frame.num_planes == 2)
			*off = min(*off, uj->frame.offsets[1]);
		*len = vis_bo_obj(job->in)->size - *off;
	}
}

/* Phase 1 for one job: everything that can fail, nothing visible. */
static int vis_job_create(struct drm_file *file, struct vis_file *vfile,
			  const struct drm_vision_job *uj, u32 prio,
			  struct vis_job **out)
{
	static const struct drm_vision_frame no_frame;
	struct vis_device *vdev = vfile->vdev;
	const struct drm_vision_model_info *info;
	struct dma_fence *in_fence = NULL;
	struct vis_job *job;
	u64 in_off, in_len;
	int ret;

	if (uj->flags & ~DRM_VISION_JOB_PROFILE ||
	    uj->input_type > DRM_VISION_JOB_INPUT_FRAME) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: bad flags or input\n");
		return -EINVAL;
	}
	if (!(uj->flags & DRM_VISION_JOB_PROFILE) &&
	    (uj->profile_handle || uj->profile_offset)) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: profile without flag\n");
		return -EINVAL;
	}
	if (uj->input_type == DRM_VISION_JOB_INPUT_TENSOR &&
	    memcmp(&uj->frame, &no_frame, sizeof(no_frame))) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: frame with tensor\n");
		return -EINVAL;
	}

	job = kzalloc(sizeof(*job), GFP_KERNEL_ACCOUNT);
	if (!job)
		return -ENOMEM;
	job->done_fence = kzalloc(sizeof(*job->done_fence), GFP_KERNEL);
	if (!job->done_fence) {
		kfree(job);
		return -ENOMEM;
	}
	job->vfile = vfile;
	kref_get(&vfile->ref);
	job->core = vis_job_pick_core(vdev);
	atomic_inc(&job->core->queued);
	atomic_inc(&vdev->live_jobs);
	job->input_type = uj->input_type;
	job->in_offset = uj->in_offset;
	job->out_offset = uj->out_offset;
	job->prof_offset = uj->profile_offset;
	/* From here on vis_job_release() undoes whatever was done. */

	ret = -ENOENT;
	job->model = vis_model_lookup(file, uj->model_handle);
	if (!job->model) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: no model %u\n",
			uj->model_handle);
		goto err;
	}
	info = &job->model->info;
	job->in = vis_bo_lookup(file, uj->in_handle);
	job->out = vis_bo_lookup(file, uj->out_handle);
	if (!job->in || !job->out) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: no BO %u or %u\n",
			uj->in_handle, uj->out_handle);
		goto err;
	}
	if (uj->flags & DRM_VISION_JOB_PROFILE) {
		job->prof = vis_bo_lookup(file, uj->profile_handle);
		if (!job->prof) {
			vis_dbg(vdev, VIS_DBG_IOCTL,
				"submit: no profile BO %u\n",
				uj->profile_handle);
			goto err;
		}
	}
	if (uj->out_syncobj) {
		job->out_syncobj = drm_syncobj_find(file, uj->out_syncobj);
		if (!job->out_syncobj) {
			vis_dbg(vdev, VIS_DBG_IOCTL, "submit: no syncobj %u\n",
				uj->out_syncobj);
			goto err;
		}
	}
	if (uj->in_syncobj) {
		struct drm_syncobj *s = drm_syncobj_find(file, uj->in_syncobj);

		if (!s) {
			vis_dbg(vdev, VIS_DBG_IOCTL, "submit: no syncobj %u\n",
				uj->in_syncobj);
			goto err;
		}
		/* An empty syncobj means nothing to wait for. */
		in_fence = drm_syncobj_fence_get(s);
		drm_syncobj_put(s);
	}

	ret = -EINVAL;
	if (!vis_range_ok(job->out_offset, info->output_size,
			  vis_bo_obj(job->out)->size)) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: outputs exceed BO %u\n",
			uj->out_handle);
		goto err;
	}
	if (job->prof && !vis_range_ok(job->prof_offset, info->profile_size,
				       vis_bo_obj(job->prof)->size)) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: profile exceeds BO %u\n",
			uj->profile_handle);
		goto err;
	}
	if (job->input_type == DRM_VISION_JOB_INPUT_TENSOR &&
	    !vis_range_ok(job->in_offset, info->input_size,
			  vis_bo_obj(job->in)->size)) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: input exceeds BO %u\n",
			uj->in_handle);
		goto err;
	}

	ret = vis_job_map(job->in, &job->in_map);
	if (!ret)
		ret = vis_job_map(job->out, &job->out_map);
	if (!ret && job->prof)
		ret = vis_job_map(job->prof, &job->prof_map);
	if (ret)
		goto err;

	if (job->input_type == DRM_VISION_JOB_INPUT_FRAME) {
		ret = vis_job_frame(vdev, job, &uj->frame);
		if (ret)
			goto err;
	}

	/* The device writes outputs and profile: nothing it reads may alias. */
	ret = -EINVAL;
	vis_job_in_range(job, uj, &in_off, &in_len);
	if ((job->in == job->out &&
	     vis_ranges_overlap(in_off, in_len, job->out_offset,
				info->output_size)) ||
	    (job->prof && job->prof == job->in &&
	     vis_ranges_overlap(in_off, in_len, job->prof_offset,
				info->profile_size)) ||
	    (job->prof && job->prof == job->out &&
	     vis_ranges_overlap(job->out_offset, info->output_size,
				job->prof_offset, info->profile_size))) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: buffers overlap\n");
		goto err;
	}

	ret = vis_sched_job_init(&job->base,
				 &vfile->entities[prio][job->core->index],
				 vfile, vfile->client_id);
	if (ret)
		goto err;
	if (in_fence) {
		/* Consumes the reference, on failure too. */
		ret = drm_sched_job_add_dependency(&job->base, in_fence);
		in_fence = NULL;
		if (ret) {
			drm_sched_job_cleanup(&job->base);
			goto err;
		}
	}
	*out = job;
	return 0;

err:
	dma_fence_put(in_fence);
	vis_job_release(job);
	return ret;
}

/* The BOs of a job and whether the job writes them. */
static u32 vis_job_bos(struct vis_job *job, struct drm_gem_object **objs,
		       bool *write)
{
	u32 n = 0;

	objs[n] = vis_bo_obj(job->in);
	write[n++] = false;
	objs[n] = vis_bo_obj(job->out);
	write[n++] = true;
	if (job->prof) {
		objs[n] = vis_bo_obj(job->prof);
		write[n++] = true;
	}
	return n;
}

/* Phase 2: lock, collect implicit dependencies, then publish and push. */
static int vis_job_push_all(struct vis_job **jobs, u32 n)
{
	struct drm_gem_object **objs, *jo[VIS_JOB_MAX_BOS];
	bool jw[VIS_JOB_MAX_BOS];
	struct ww_acquire_ctx ctx;
	u32 nobj = 0, i, j, k;
	int ret;

	objs = kmalloc_array(n * VIS_JOB_MAX_BOS, sizeof(*objs), GFP_KERNEL);
	if (!objs)
		return -ENOMEM;
	/* Each object once: ww-mutexes refuse a second lock in one context. */
	for (i = 0; i < n; i++) {
		u32 m = vis_job_bos(jobs[i], jo, jw);

		for (j = 0; j < m; j++) {
			for (k = 0; k < nobj && objs[k] != jo[j]; k++)
				;
			if (k == nobj)
				objs[nobj++] = jo[j];
		}
	}

	ret = drm_gem_lock_reservations(objs, nobj, &ctx);
	if (ret)
		goto out_free;
	for (k = 0; k < nobj; k++) {
		/* Enough slots for every job that adds a fence here. */
		ret = dma_resv_reserve_fences(objs[k]->resv,
					      n * VIS_JOB_MAX_BOS);
		if (ret)
			goto out_unlock;
	}
	for (i = 0; i < n; i++) {
		struct drm_sched_job *sj = &jobs[i]->base;
		u32 m = vis_job_bos(jobs[i], jo, jw);

		for (j = 0; j < m; j++) {
			ret = drm_sched_job_add_implicit_dependencies(sj, jo[j],
								      jw[j]);
			if (ret)
				goto out_unlock;
		}
	}

	/* Nothing below fails: the call is committed. */
	for (i = 0; i < n; i++) {
		struct vis_job *job = jobs[i];
		struct dma_fence *done;
		u32 m = vis_job_bos(job, jo, jw);

		drm_sched_job_arm(&job->base);
		done = &job->base.s_fence->finished;
		for (j = 0; j < m; j++)
			dma_resv_add_fence(jo[j]->resv, done,
					   jw[j] ? DMA_RESV_USAGE_WRITE :
						   DMA_RESV_USAGE_READ);
		if (job->out_syncobj)
			drm_syncobj_replace_fence(job->out_syncobj, done);
		job->seqno = atomic64_inc_return(&job->core->vdev->job_seqno);
		job->queued_ns = ktime_get_ns();
		drm_sched_entity_push_job(&job->base);
	}
	ret = 0;

out_unlock:
	drm_gem_unlock_reservations(objs, nobj, &ctx);
out_free:
	kfree(objs);
	return ret;
}

int vis_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct vis_device *vdev = to_vis_device(drm);
	struct vis_file *vfile = file->driver_priv;
	struct drm_vision_submit *args = data;
	struct drm_vision_job *ujobs = NULL;
	struct vis_job **jobs = NULL;
	u32 i, made = 0;
	int ret, idx;
	u64 end;

	if (args->flags || args->reserved || args->priority >= VIS_NUM_PRIOS) {
		vis_dbg(vdev, VIS_DBG_IOCTL,
			"submit: bad flags, reserved or priority\n");
		return -EINVAL;
	}
	if (!args->num_jobs || args->num_jobs > VIS_MAX_JOBS ||
	    args->job_struct_size < sizeof(struct drm_vision_job) ||
	    args->job_struct_size > DRM_VISION_MAX_JOB_STRUCT_SIZE) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: %u jobs of %u bytes\n",
			args->num_jobs, args->job_struct_size);
		return -EINVAL;
	}
	/* At most 64 x 4096 bytes: only the end address can wrap. */
	if (check_add_overflow(args->jobs,
			       (u64)args->num_jobs * args->job_struct_size,
			       &end)) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: job array wraps\n");
		return -EFAULT;
	}
	if (args->priority == DRM_VISION_SUBMIT_PRIORITY_HIGH &&
	    !capable(CAP_SYS_NICE)) {
		vis_dbg(vdev, VIS_DBG_IOCTL, "submit: high priority denied\n");
		return -EPERM;
	}
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	ujobs = kvmalloc_array(args->num_jobs, sizeof(*ujobs), GFP_KERNEL);
	jobs = kcalloc(args->num_jobs, sizeof(*jobs), GFP_KERNEL);
	if (!ujobs || !jobs) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < args->num_jobs; i++) {
		u64 at = args->jobs + (u64)i * args->job_struct_size;
		void __user *src = u64_to_user_ptr(at);

		/* Zero-extends older structs, insists newer tails are zero. */
		ret = copy_struct_from_user(&ujobs[i], sizeof(ujobs[i]), src,
					    args->job_struct_size);
		if (ret) {
			vis_dbg(vdev, VIS_DBG_IOCTL,
				"submit: job %u unreadable or tail set\n", i);
			goto out;
		}
	}

	for (made = 0; made < args->num_jobs; made++) {
		ret = vis_job_create(file, vfile, &ujobs[made], args->priority,
				     &jobs[made]);
		if (ret) {
			vis_dbg(vdev, VIS_DBG_JOB, "submit: job %u refused\n",
				made);
			goto out;
		}
	}
	ret = vis_job_push_all(jobs, args->num_jobs);
	if (!ret)
		made = 0; /* owned by the scheduler now */

out:
	for (i = 0; i < made; i++) {
		drm_sched_job_cleanup(&jobs[i]->base);
		vis_job_release(jobs[i]);
	}
	kfree(jobs);
	kvfree(ujobs);
	drm_dev_exit(idx);
	return ret;
}
