/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_JOB_H__
#define __VIS_JOB_H__

#include <linux/iosys-map.h>
#include <linux/types.h>

#include <drm/gpu_scheduler.h>

#include "vision_accel.h"
#include "vis_engine.h"

struct drm_file;
struct drm_syncobj;
struct vis_bo;
struct vis_core;
struct vis_file;
struct vis_model_obj;

/**
 * struct vis_job - one inference on its way through a core
 * @base: the scheduler job
 * @vfile: the submitting file's state (referenced: jobs outlive files)
 * @core: the core the job was queued to
 * @model: the model (referenced)
 * @in: input BO (referenced), mapped at @in_map
 * @out: output BO (referenced), mapped at @out_map
 * @prof: profile BO or NULL (referenced), mapped at @prof_map
 * @in_map: kernel mapping of @in
 * @out_map: kernel mapping of @out
 * @prof_map: kernel mapping of @prof
 * @input_type: DRM_VISION_JOB_INPUT_*
 * @in_offset: byte offset of the input tensor in @in
 * @out_offset: byte offset of the outputs in @out
 * @prof_offset: byte offset of the profile in @prof
 * @frame: the camera frame, planes pointing into @in_map
 * @out_syncobj: receives the finished fence, or NULL
 * @done_fence: the hardware fence, signalled by vis_job_done()
 * @fence_live: @done_fence was initialised (the job reached run_job)
 * @seqno: device-wide submission number
 * @queued_ns: submission time
 * @start_ns: time the core started it
 * @input_ns: time of its input stage
 * @op_ns: end of the last operator, while profiling
 */
struct vis_job {
	struct drm_sched_job base;
	struct vis_file *vfile;
	struct vis_core *core;
	struct vis_model_obj *model;
	struct vis_bo *in;
	struct vis_bo *out;
	struct vis_bo *prof;
	struct iosys_map in_map;
	struct iosys_map out_map;
	struct iosys_map prof_map;
	u32 input_type;
	u64 in_offset;
	u64 out_offset;
	u64 prof_offset;
	struct vis_frame frame;
	struct drm_syncobj *out_syncobj;
	struct dma_fence *done_fence;
	bool fence_live;
	u64 seqno;
	u64 queued_ns;
	u64 start_ns;
	u64 input_ns;
	u64 op_ns;
};

void vis_job_done(struct vis_job *job, int status);

int vis_job_sched_init(struct vis_core *core);
void vis_job_sched_fini(struct vis_core *core);

int vis_job_file_open(struct vis_file *vfile);
void vis_job_file_close(struct vis_file *vfile);

int vis_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __VIS_JOB_H__ */
