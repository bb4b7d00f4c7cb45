// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Inference requests: inputs checked and copied into a buffer, one
 * submission of every job (one SUBMIT ioctl on a device, one queue entry
 * on the CPU), completion as a pollable fd (a merged sync_file, or an
 * eventfd on the CPU), outputs and profiles read back in place.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/sync_file.h>
#include <xf86drm.h>

#include "vision_accel.h"
#include "internal.h"

/* Outputs and profiles start on cache lines, inputs too. */
#define VIS_REQ_ALIGN 64

static uint64_t vis_align(uint64_t v)
{
	return (v + VIS_REQ_ALIGN - 1) / VIS_REQ_ALIGN * VIS_REQ_ALIGN;
}

static const char *const vis_op_type_names[VISION_MODEL_OP_COUNT] = {
	[VISION_MODEL_OP_CONV_2D] = "conv_2d",
	[VISION_MODEL_OP_FULLY_CONNECTED] = "fully_connected",
	[VISION_MODEL_OP_ADD] = "add",
	[VISION_MODEL_OP_MUL] = "mul",
	[VISION_MODEL_OP_MAX_POOL] = "max_pool",
	[VISION_MODEL_OP_AVG_POOL] = "avg_pool",
	[VISION_MODEL_OP_GLOBAL_AVG_POOL] = "global_avg_pool",
	[VISION_MODEL_OP_CONCAT] = "concat",
	[VISION_MODEL_OP_PAD] = "pad",
	[VISION_MODEL_OP_RESHAPE] = "reshape",
	[VISION_MODEL_OP_LUT] = "lut",
	[VISION_MODEL_OP_SOFTMAX] = "softmax",
	[VISION_MODEL_OP_RESIZE] = "resize",
};

void vision_request_free(struct vision_request *req)
{
	struct vision_device *dev;

	if (!req)
		return;
	dev = req->model->dev;
	/* The CPU worker reads the buffers: stop it using them first. */
	if (dev->cpu && req->fd >= 0)
		vis_cpu_queue_cancel(req);
	if (req->job_fds) {
		for (unsigned int i = 0; i < req->count; i++)
			if (req->job_fds[i] >= 0 && req->job_fds[i] != req->fd)
				close(req->job_fds[i]);
		free(req->job_fds);
	}
	if (req->fd >= 0)
		close(req->fd);
	if (req->inputs)
		for (unsigned int i = 0; i < req->count; i++)
			vision_bo_free(req->inputs[i].bo);
	vision_bo_free(req->in_bo);
	vision_bo_free(req->out_bo);
	vision_bo_free(req->prof_bo);
	free(req->inputs);
	free(req->status);
	free(req->prof_ops);
	vision_model_free(req->model);
	free(req);
}

/* Check one input; add the bytes it needs copied to *@copy. */
static int vis_input_check_one(const struct vision_model *model,
			       const struct vision_input *in, uint64_t *copy)
{
	struct vis_frame vf;
	int ret;

	if (!in->data == !in->bo)
		return -EINVAL;
	if (in->bo && in->bo->dev != model->dev)
		return -EINVAL;
	if (!in->frame) {
		if (in->data) {
			if (in->size != model->input_size || in->offset)
				return -EINVAL;
			*copy += vis_align(in->size);
			return 0;
		}
		if (in->offset > in->bo->size ||
		    in->bo->size - in->offset < model->input_size)
			return -EINVAL;
		return 0;
	}
	if (in->offset)
		return -EINVAL;
	if (in->data) {
		ret = vis_frame_from(model, in->frame, in->data, in->size, &vf);
		if (ret)
			return ret;
		*copy += vis_align(in->size);
		return 0;
	}
	/* A device checks frames in its buffers itself, identically. */
	if (model->dev->cpu)
		return vis_frame_from(model, in->frame, in->bo->map,
				      in->bo->size, &vf);
	return 0;
}

/* Resolve every input to a buffer, copying those given in memory. */
static int vis_request_inputs(struct vision_request *req,
			      const struct vision_input *inputs, uint64_t copy)
{
	struct vision_device *dev = req->model->dev;
	uint64_t pos = 0;
	uint8_t *map = NULL;
	int ret;

	if (copy) {
		ret = vision_bo_create(dev, copy, VISION_BO_WC, &req->in_bo);
		if (!ret)
			ret = vision_bo_map(req->in_bo, (void **)&map);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < req->count; i++) {
		const struct vision_input *in = &inputs[i];
		struct vis_job_input *ji = &req->inputs[i];

		ji->is_frame = in->frame != NULL;
		if (in->frame)
			ji->frame = *in->frame;
		if (in->bo) {
			ji->bo = vis_bo_get(in->bo);
			ji->offset = in->offset;
			continue;
		}
		memcpy(map + pos, in->data, in->size);
		ji->bo = vis_bo_get(req->in_bo);
		if (in->frame) {
			/* Frames address their planes from the buffer start. */
			ji->frame.offsets[0] += pos;
			if (ji->frame.num_planes == 2)
				ji->frame.offsets[1] += pos;
		} else {
			ji->offset = pos;
		}
		pos += vis_align(in->size);
	}
	return 0;
}

static int vis_syncobj_create(int fd, uint32_t *handle)
{
	struct drm_syncobj_create args = { 0 };
	int ret = vis_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &args);

	*handle = args.handle;
	return ret;
}

static void vis_syncobj_destroy(int fd, uint32_t handle)
{
	struct drm_syncobj_destroy args = { .handle = handle };

	if (handle)
		vis_ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &args);
}

/* One fd for all: sync_files merged, which signals when all have. */
static int vis_merge_fds(struct vision_request *req)
{
	int fd = req->job_fds[0];

	for (unsigned int i = 1; i < req->count; i++) {
		struct sync_merge_data merge = {
			.name = "vision-request",
			.fd2 = req->job_fds[i],
		};
		int ret = vis_ioctl(fd, SYNC_IOC_MERGE, &merge);

		if (fd != req->job_fds[0])
			close(fd);
		if (ret)
			return ret;
		fd = merge.fence;
	}
	req->fd = fd;
	return 0;
}

static void vis_job_fill(const struct vision_request *req, unsigned int i,
			 uint32_t syncobj, struct drm_vision_job *job)
{
	const struct vis_job_input *in = &req->inputs[i];

	memset(job, 0, sizeof(*job));
	job->model_handle = req->model->handle;
	job->in_handle = in->bo->handle;
	job->out_handle = req->out_bo->handle;
	job->out_offset = i * req->out_stride;
	job->out_syncobj = syncobj;
	if (in->is_frame) {
		job->input_type = DRM_VISION_JOB_INPUT_FRAME;
		job->frame.fourcc = in->frame.fourcc;
		job->frame.width = in->frame.width;
		job->frame.height = in->frame.height;
		job->frame.num_planes = in->frame.num_planes;
		memcpy(job->frame.offsets, in->frame.offsets,
		       sizeof(job->frame.offsets));
		memcpy(job->frame.strides, in->frame.strides,
		       sizeof(job->frame.strides));
		job->frame.crop_x = in->frame.crop_x;
		job->frame.crop_y = in->frame.crop_y;
		job->frame.crop_width = in->frame.crop_width;
		job->frame.crop_height = in->frame.crop_height;
	} else {
		job->input_type = DRM_VISION_JOB_INPUT_TENSOR;
		job->in_offset = in->offset;
	}
	if (req->prof_bo) {
		job->flags = DRM_VISION_JOB_PROFILE;
		job->profile_handle = req->prof_bo->handle;
		job->profile_offset = i * req->prof_stride;
	}
}

/* One SUBMIT for every job; each job's fence comes back as a sync_file. */
static int vis_request_submit_device(struct vision_request *req)
{
	int fd = req->model->dev->fd;
	struct drm_vision_submit submit = {
		.num_jobs = req->count,
		.job_struct_size = sizeof(struct drm_vision_job),
	};
	struct drm_vision_job *jobs;
	uint32_t *syncobjs;
	unsigned int i;
	int ret = -ENOMEM;

	req->job_fds = malloc(req->count * sizeof(*req->job_fds));
	jobs = calloc(req->count, sizeof(*jobs));
	syncobjs = calloc(req->count, sizeof(*syncobjs));
	if (!req->job_fds || !jobs || !syncobjs)
		goto out;
	for (i = 0; i < req->count; i++)
		req->job_fds[i] = -1;
	for (i = 0; i < req->count; i++) {
		ret = vis_syncobj_create(fd, &syncobjs[i]);
		if (ret)
			goto out;
		vis_job_fill(req, i, syncobjs[i], &jobs[i]);
	}
	submit.jobs = (uintptr_t)jobs;
	ret = vis_ioctl(fd, DRM_IOCTL_VISION_SUBMIT, &submit);
	if (ret)
		goto out;
	for (i = 0; i < req->count; i++) {
		struct drm_syncobj_handle h = {
			.handle = syncobjs[i],
			.flags =
				DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
			.fd = -1,
		};

		ret = vis_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h);
		if (ret)
			goto out;
		req->job_fds[i] = h.fd;
	}
	ret = vis_merge_fds(req);
out:
	if (syncobjs)
		for (i = 0; i < req->count; i++)
			vis_syncobj_destroy(fd, syncobjs[i]);
	free(syncobjs);
	free(jobs);
	return ret;
}

static int vis_request_outputs(struct vision_request *req)
{
	struct vision_device *dev = req->model->dev;
	int ret;

	req->out_stride = vis_align(req->model->output_size);
	ret = vision_bo_create(dev, req->count * req->out_stride, 0,
			       &req->out_bo);
	if (!ret)
		ret = vision_bo_map(req->out_bo, (void **)&req->out_map);
	if (ret || !(req->flags & VISION_SUBMIT_PROFILE))
		return ret;
	req->prof_stride = vis_align(req->model->profile_size);
	ret = vision_bo_create(dev, req->count * req->prof_stride, 0,
			       &req->prof_bo);
	if (!ret)
		ret = vision_bo_map(req->prof_bo, (void **)&req->prof_map);
	return ret;
}

int vision_submit(struct vision_model *model, const struct vision_input *inputs,
		  unsigned int count, unsigned int flags,
		  struct vision_request **out)
{
	struct vision_request *req;
	uint64_t copy = 0;
	unsigned int i;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!model || !inputs || !count || (flags & ~VISION_SUBMIT_PROFILE))
		return -EINVAL;
	if (count > model->dev->max_jobs)
		return -E2BIG;
	/* All or nothing: every input is checked before anything starts. */
	for (i = 0; i < count; i++) {
		ret = vis_input_check_one(model, &inputs[i], &copy);
		if (ret)
			return ret;
	}

	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->model = vis_model_get(model);
	req->count = count;
	req->flags = flags;
	req->fd = -1;
	req->inputs = calloc(count, sizeof(*req->inputs));
	req->status = malloc(count * sizeof(*req->status));
	if (!req->inputs || !req->status) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < count; i++)
		req->status[i] = VIS_PENDING;
	ret = vis_request_inputs(req, inputs, copy);
	if (!ret)
		ret = vis_request_outputs(req);
	if (ret)
		goto err;

	req->queued_ns = vis_now_ns();
	if (model->dev->cpu) {
		req->fd = eventfd(0, EFD_CLOEXEC);
		if (req->fd < 0) {
			ret = -errno;
			goto err;
		}
		ret = vis_cpu_queue_submit(req);
		if (ret) {
			/* Not queued: nothing to cancel on free. */
			close(req->fd);
			req->fd = -1;
		}
	} else {
		ret = vis_request_submit_device(req);
	}
	if (ret)
		goto err;
	*out = req;
	return 0;

err:
	vision_request_free(req);
	return ret;
}

int vision_request_fd(const struct vision_request *req)
{
	return req->fd;
}

unsigned int vision_request_count(const struct vision_request *req)
{
	return req->count;
}

/* Status of job @i, asking the kernel when it is not known yet. */
static int vis_request_job_status(struct vision_request *req, unsigned int i)
{
	struct sync_file_info info = { 0 };
	int s = __atomic_load_n(&req->status[i], __ATOMIC_ACQUIRE);

	if (s != VIS_PENDING || !req->job_fds)
		return s;
	if (vis_ioctl(req->job_fds[i], SYNC_IOC_FILE_INFO, &info))
		return VIS_PENDING;
	/* sync_file: 1 signalled, 0 active, negative the fence's error. */
	if (info.status == 0)
		return VIS_PENDING;
	s = info.status > 0 ? 0 : info.status;
	req->status[i] = s;
	return s;
}

int vision_request_status(struct vision_request *req, unsigned int index)
{
	int s;

	if (!req)
		return -EINVAL;
	if (index >= req->count)
		return -ERANGE;
	s = vis_request_job_status(req, index);
	return s == VIS_PENDING ? -EBUSY : s;
}

int vision_request_wait(struct vision_request *req, int64_t timeout_ns)
{
	int64_t deadline = vis_deadline(timeout_ns);
	struct pollfd pfd;
	int ret;

	if (!req)
		return -EINVAL;
	pfd.fd = req->fd;
	pfd.events = POLLIN;
	for (;;) {
		struct timespec ts, *tsp = NULL;

		if (deadline >= 0) {
			int64_t left = deadline - vis_now_ns();

			if (left < 0)
				left = 0;
			ts.tv_sec = left / 1000000000;
			ts.tv_nsec = left % 1000000000;
			tsp = &ts;
		}
		ret = ppoll(&pfd, 1, tsp, NULL);
		if (ret > 0)
			break;
		if (ret == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
	/* All signalled: report the first failure. */
	for (unsigned int i = 0; i < req->count; i++) {
		int s = vis_request_job_status(req, i);

		if (s == VIS_PENDING)
			return -ETIMEDOUT;
		if (s)
			return s;
	}
	return 0;
}

int vision_request_output(struct vision_request *req, unsigned int index,
			  const void **data, size_t *size)
{
	int s;

	if (!req || !data)
		return -EINVAL;
	s = vision_request_status(req, index);
	if (s)
		return s;
	*data = req->out_map + index * req->out_stride;
	if (size)
		*size = req->model->output_size;
	return 0;
}

static const char *vis_op_type_name(uint32_t type)
{
	return type < VISION_MODEL_OP_COUNT && vis_op_type_names[type] ?
		       vis_op_type_names[type] :
		       "unknown";
}

int vision_request_profile(struct vision_request *req, unsigned int index,
			   struct vision_profile *profile)
{
	const struct vis_model *m;
	const struct drm_vision_profile *p;
	const struct drm_vision_profile_op *po;
	struct vision_profile_op *ops;
	int s;

	if (!req || !profile)
		return -EINVAL;
	if (!req->prof_bo)
		return -ENODATA;
	s = vision_request_status(req, index);
	if (s)
		return s;
	m = &req->model->m;
	if (!req->prof_ops) {
		req->prof_ops = calloc((size_t)req->count * (m->num_ops ?: 1),
				       sizeof(*req->prof_ops));
		if (!req->prof_ops)
			return -ENOMEM;
	}
	p = (const void *)(req->prof_map + index * req->prof_stride);
	po = (const void *)(p + 1);
	ops = req->prof_ops + (size_t)index * m->num_ops;
	for (uint32_t i = 0; i < m->num_ops; i++) {
		const struct vision_model_op *op = &m->ops[i];

		ops[i].type = vis_op_type_name(op->type);
		ops[i].name = vis_model_name(m, op->name);
		if (!*ops[i].name)
			ops[i].name = ops[i].type;
		ops[i].ns = po[i].duration_ns;
		ops[i].cycles = po[i].cycles;
	}
	memset(profile, 0, sizeof(*profile));
	profile->core = p->core;
	profile->num_ops = m->num_ops;
	profile->queue_ns =
		p->start_ns > p->queued_ns ? p->start_ns - p->queued_ns : 0;
	profile->input_ns = p->input_ns;
	profile->total_ns = p->total_ns;
	profile->ops = ops;
	return 0;
}

int vision_infer(struct vision_model *model, const struct vision_input *input,
		 void *out, size_t out_size)
{
	struct vision_request *req;
	const void *data;
	size_t size;
	int ret;

	if (!model || !input || !out)
		return -EINVAL;
	if (out_size < model->output_size)
		return -ENOSPC;
	ret = vision_submit(model, input, 1, 0, &req);
	if (ret)
		return ret;
	ret = vision_request_wait(req, -1);
	if (!ret)
		ret = vision_request_output(req, 0, &data, &size);
	if (!ret)
		memcpy(out, data, size);
	vision_request_free(req);
	return ret;
}
