// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: device
 *
 * Device-wide state of one accelerator: its identity, its cores with their
 * schedulers and SRAM, its backend and its limits. The virtual NPU has as
 * many cores as the ``cores`` module parameter asks for, by default one
 * per online CPU up to VIS_MAX_CORES.
 *
 * Teardown waits for every job: a file may be closed, and the module
 * unloaded, while jobs it submitted still run; they hold references on
 * what they use, and the device's release waits until the last is freed
 * before it stops the schedulers.
 */

#include <linux/cpumask.h>
#include <linux/dma-fence.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include <drm/drm_print.h>

#include "vision_accel.h"
#include "vis_backend.h"
#include "vis_device.h"
#include "vis_drv.h"
#include "vis_job.h"

static unsigned int vis_cores;
static unsigned int vis_sram_mb = 16;
static unsigned int vis_model_mem_mb = 256;
unsigned int vis_dbg_mask = VIS_DBG_IOCTL;

/* Range-checked at load time so a bad value fails insmod, not probe. */
#define VIS_PARAM_RANGE(name, lo, hi)                              \
	static int vis_##name##_set(const char *val,               \
				    const struct kernel_param *kp) \
	{                                                          \
		return param_set_uint_minmax(val, kp, lo, hi);     \
	}                                                          \
	static const struct kernel_param_ops vis_##name##_ops = {  \
		.set = vis_##name##_set,                           \
		.get = param_get_uint,                             \
	};                                                         \
	module_param_cb(name, &vis_##name##_ops, &vis_##name, 0444)

VIS_PARAM_RANGE(cores, 0, VIS_MAX_CORES);
MODULE_PARM_DESC(cores, "Virtual NPU cores, 1-8 (0: online CPUs, up to 8)");
VIS_PARAM_RANGE(sram_mb, 1, 256);
MODULE_PARM_DESC(sram_mb, "Activation memory per core in MiB, 1-256 (16)");
VIS_PARAM_RANGE(model_mem_mb, 1, 4096);
MODULE_PARM_DESC(model_mem_mb, "Cap on all models' bytes in MiB (256)");
module_param_named(dbg_mask, vis_dbg_mask, uint, 0644);
MODULE_PARM_DESC(dbg_mask,
		 "Debug categories: 1 ioctl, 2 model, 4 job, 8 sched, 16 bo");

static void vis_core_fini(struct vis_core *core)
{
	if (!core->sram)
		return;
	vis_job_sched_fini(core);
	core->vdev->backend->fini(core);
	vfree(core->sram);
	core->sram = NULL;
}

static int vis_core_init(struct vis_device *vdev, u32 index)
{
	struct vis_core *core = &vdev->cores[index];
	int ret;

	core->vdev = vdev;
	core->index = index;
	spin_lock_init(&core->fence_lock);
	spin_lock_init(&core->lock);
	core->fence_context = dma_fence_context_alloc(1);
	core->sram_size = vdev->sram_size;
	core->sram = vzalloc(core->sram_size);
	if (!core->sram)
		return -ENOMEM;

	ret = vdev->backend->init(core);
	if (ret)
		goto err_free;
	ret = vis_job_sched_init(core);
	if (ret)
		goto err_backend;
	vdev->scheds[index] = &core->sched;
	return 0;

err_backend:
	vdev->backend->fini(core);
err_free:
	vfree(core->sram);
	core->sram = NULL;
	return ret;
}

/**
 * vis_device_init() - set up device-wide state
 * @vdev: the device, already allocated
 *
 * Return: 0 on success, a negative errno otherwise; nothing is left set up
 * on failure.
 */
int vis_device_init(struct vis_device *vdev)
{
	u32 i;
	int ret;

	vdev->device_id = DRM_VISION_DEVICE_ID_VIRTUAL;
	if (vis_cores)
		vdev->num_cores = vis_cores;
	else
		vdev->num_cores = min_t(u32, num_online_cpus(), VIS_MAX_CORES);
	vdev->sram_size = (size_t)vis_sram_mb << 20;
	vdev->model_mem_max = (u64)vis_model_mem_mb << 20;
	vdev->kernels = vis_kernels_best();
	vdev->backend = &vis_backend_vnpu;
	init_waitqueue_head(&vdev->jobs_wq);
	mutex_init(&vdev->models_lock);
	INIT_LIST_HEAD(&vdev->models);
	spin_lock_init(&vdev->fault_lock);
	spin_lock_init(&vdev->err_lock);

	/* Reclaim may wait on job fences: the workers must always run. */
	vdev->wq = alloc_workqueue("vision-npu", WQ_UNBOUND | WQ_MEM_RECLAIM,
				   vdev->num_cores);
	if (!vdev->wq)
		return -ENOMEM;
	for (i = 0; i < vdev->num_cores; i++) {
		ret = vis_core_init(vdev, i);
		if (ret)
			goto err;
	}

	drm_info(&vdev->drm, "virtual NPU with %u cores, %u MiB SRAM each\n",
		 vdev->num_cores, vis_sram_mb);
	return 0;

err:
	while (i--)
		vis_core_fini(&vdev->cores[i]);
	destroy_workqueue(vdev->wq);
	mutex_destroy(&vdev->models_lock);
	return ret;
}

/**
 * vis_device_fini() - wait for every job, then tear the cores down
 * @vdev: the device; no file is open and no ioctl runs
 */
void vis_device_fini(struct vis_device *vdev)
{
	u32 i;

	/* Running jobs end by themselves or by their timeout. */
	wait_event(vdev->jobs_wq, !atomic_read(&vdev->live_jobs));
	for (i = 0; i < vdev->num_cores; i++)
		vis_core_fini(&vdev->cores[i]);
	destroy_workqueue(vdev->wq);
	WARN_ON(!list_empty(&vdev->models));
	mutex_destroy(&vdev->models_lock);
}

/**
 * vis_device_record_error() - remember a failed job for debugfs
 * @vdev: the device
 * @core: the core it ran on
 * @seqno: its submission number
 * @status: its error
 */
void vis_device_record_error(struct vis_device *vdev, u32 core, u64 seqno,
			     int status)
{
	spin_lock(&vdev->err_lock);
	vdev->errs[vdev->err_next].time_ns = ktime_get_ns();
	vdev->errs[vdev->err_next].seqno = seqno;
	vdev->errs[vdev->err_next].status = status;
	vdev->errs[vdev->err_next].core = core;
	vdev->err_next = (vdev->err_next + 1) % VIS_ERR_RING;
	spin_unlock(&vdev->err_lock);
}

static void vis_file_release(struct kref *ref)
{
	kfree(container_of(ref, struct vis_file, ref));
}

/**
 * vis_file_put() - drop a reference to a file's state
 * @vfile: held by the open file and by each job it submitted
 */
void vis_file_put(struct vis_file *vfile)
{
	kref_put(&vfile->ref, vis_file_release);
}
