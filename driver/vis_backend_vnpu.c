// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: virtual NPU backend
 *
 * Executes jobs on the CPU with the in-kernel engine, one worker per core
 * on an unbound workqueue. The core's SRAM holds the model's arena and,
 * after it, the scratch memory. The worker copies the input tensor into
 * the arena, or runs the input stage straight from the frame's mapping,
 * runs the operators, and copies the outputs into the output BO. The
 * engine polls the core's cancel flag between chunks of bounded work, so
 * a cancelled job ends within one chunk.
 */

#include <linux/iosys-map.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "vis_backend.h"
#include "vis_device.h"
#include "vis_gem.h"
#include "vis_job.h"
#include "vis_model.h"

/* Input-stage rows between cancellation checks. */
#define VIS_VNPU_INPUT_ROWS 8

/* What the engine callbacks see. */
struct vis_vnpu_run {
	struct vis_core *core;
	struct vis_job *job;
};

static bool vis_vnpu_should_stop(void *priv)
{
	struct vis_vnpu_run *r = priv;

	return atomic_read(&r->core->cancel);
}

/* Profiling: the time and work of each operator, as it completes. */
static void vis_vnpu_op_done(void *priv, u32 op)
{
	struct vis_vnpu_run *r = priv;
	struct vis_job *job = r->job;
	const struct vis_model *m = &job->model->m;
	u64 now = ktime_get_ns();
	struct drm_vision_profile_op p = {
		.duration_ns = now - job->op_ns,
		.cycles = (u64)vis_engine_op_units(m, op) *
			  vis_engine_op_unit_macs(m, op),
	};

	iosys_map_memcpy_to(&job->prof_map,
			    job->prof_offset +
				    sizeof(struct drm_vision_profile) +
				    (u64)op * sizeof(p),
			    &p, sizeof(p));
	job->op_ns = now;
}

static int vis_vnpu_execute(struct vis_vnpu_run *r)
{
	struct vis_core *core = r->core;
	struct vis_job *job = r->job;
	const struct vis_model *m = &job->model->m;
	const struct vision_model_tensor *t = &m->tensors[m->input->tensor];
	struct vis_exec x = {
		.model = m,
		.arena = core->sram,
		.scratch = core->sram + vis_model_scratch_offset(m),
		.k = READ_ONCE(core->vdev->kernels),
		.should_stop = vis_vnpu_should_stop,
		.op_done = job->prof ? vis_vnpu_op_done : NULL,
		.priv = r,
	};
	u64 t0 = ktime_get_ns(), off = 0;
	u32 i, rows, row;
	int ret;

	if (job->input_type == DRM_VISION_JOB_INPUT_TENSOR) {
		memcpy(core->sram + t->offset,
		       (const u8 *)job->in_map.vaddr + job->in_offset, t->size);
	} else {
		rows = vis_input_rows(m);
		for (row = 0; row < rows; row += VIS_VNPU_INPUT_ROWS) {
			if (vis_vnpu_should_stop(r))
				return core->cancel_status;
			vis_input_run(&x, &job->frame, row,
				      min(row + VIS_VNPU_INPUT_ROWS, rows));
			cond_resched();
		}
	}
	job->op_ns = ktime_get_ns();
	job->input_ns = job->op_ns - t0;

	ret = vis_engine_run(&x);
	if (ret)
		return ret == -ECANCELED ? core->cancel_status : ret;

	for (i = 0; i < m->num_outputs; i++) {
		t = &m->tensors[m->outputs[i].tensor];
		memcpy((u8 *)job->out_map.vaddr + job->out_offset + off,
		       core->sram + t->offset, t->size);
		off += t->size;
	}
	return 0;
}

static void vis_vnpu_work(struct work_struct *work)
{
	struct vis_core *core = container_of(work, struct vis_core, work);
	struct vis_vnpu_run r = { .core = core };

	spin_lock(&core->lock);
	r.job = core->job;
	spin_unlock(&core->lock);
	if (r.job)
		vis_job_done(r.job, vis_vnpu_execute(&r));
}

static int vis_vnpu_init(struct vis_core *core)
{
	INIT_WORK(&core->work, vis_vnpu_work);
	return 0;
}

static void vis_vnpu_fini(struct vis_core *core)
{
	flush_work(&core->work);
}

static void vis_vnpu_run(struct vis_core *core, struct vis_job *job)
{
	queue_work(core->vdev->wq, &core->work);
}

static void vis_vnpu_cancel(struct vis_core *core)
{
	atomic_set(&core->cancel, 1);
}

static void vis_vnpu_reset(struct vis_core *core)
{
	flush_work(&core->work);
	atomic_set(&core->cancel, 0);
	/* Nothing of the cancelled job survives into the next one. */
	memset(core->sram, 0, core->sram_size);
}

const struct vis_backend_ops vis_backend_vnpu = {
	.name = "vnpu",
	.init = vis_vnpu_init,
	.fini = vis_vnpu_fini,
	.run = vis_vnpu_run,
	.cancel = vis_vnpu_cancel,
	.reset = vis_vnpu_reset,
};
