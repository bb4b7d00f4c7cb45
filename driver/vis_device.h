/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_DEVICE_H__
#define __VIS_DEVICE_H__

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <drm/drm_device.h>
#include <drm/gpu_scheduler.h>

/* Upper bound on virtual NPU cores; one scheduler queue each. */
#define VIS_MAX_CORES 8
/* Caps reported through GET_PARAM. */
#define VIS_MAX_BO_SIZE ((u64)SZ_1G)
#define VIS_MAX_JOBS 64
/* Priorities a file has entities for (normal, high). */
#define VIS_NUM_PRIOS 2
/* Job errors remembered for debugfs. */
#define VIS_ERR_RING 8

struct vis_backend_ops;
struct vis_job;

/**
 * struct vis_core - one NPU core: a scheduler queue and its SRAM
 * @vdev: the device
 * @index: core number
 * @sched: its drm_sched scheduler; one job on the hardware at a time
 * @sram: activation memory ("SRAM"): the arena, then the scratch memory
 * @sram_size: bytes of @sram
 * @fence_context: dma-fence context of the hardware fences
 * @fence_seqno: last seqno used; only run_job, serialised by @sched, uses it
 * @fence_lock: lock of the hardware fences
 * @lock: protects @job and @ops
 * @job: the job on the core, or NULL
 * @ops: the backend running @job
 * @work: the virtual NPU's worker running @job
 * @cancel: non-zero asks the running job to stop; the job then ends with
 *	@cancel_status
 * @cancel_status: status a cancelled job ends with (-ETIMEDOUT)
 * @fault_action: what the fault-injection backend does to @job
 * @fault_job: a job the fault-injection backend holds "hung"
 * @queued: jobs submitted to this core and not yet freed (core choice)
 * @jobs: jobs completed, @failed of them with an error, @timeouts of
 *	those by timeout
 * @failed: see @jobs
 * @timeouts: see @jobs
 * @resets: core resets done
 * @busy_ns: time spent running jobs
 */
struct vis_core {
	struct vis_device *vdev;
	u32 index;
	struct drm_gpu_scheduler sched;
	u8 *sram;
	size_t sram_size;
	u64 fence_context;
	u64 fence_seqno;
	spinlock_t fence_lock; /* hardware fences of this core */
	spinlock_t lock; /* @job, @ops */
	struct vis_job *job;
	const struct vis_backend_ops *ops;
	struct work_struct work;
	atomic_t cancel;
	int cancel_status;
	int fault_action;
	struct vis_job *fault_job;
	atomic_t queued;
	atomic64_t jobs;
	atomic64_t failed;
	atomic64_t timeouts;
	atomic64_t resets;
	atomic64_t busy_ns;
};

/* Actions of the fault-injection backend. */
enum vis_fault_mode {
	VIS_FAULT_NONE,
	VIS_FAULT_COMPLETE,
	VIS_FAULT_FAIL,
	VIS_FAULT_HANG,
};

/**
 * struct vis_device - one vision accelerator
 * @drm: the DRM device; embedded, freed by the DRM core's managed release
 * @device_id: hardware identifier, one of DRM_VISION_DEVICE_ID_*
 * @num_cores: number of NPU cores, 1..VIS_MAX_CORES; fixed after init
 * @cores: the cores
 * @scheds: the cores' schedulers, for entity initialisation
 * @backend: the backend that runs jobs
 * @wq: workqueue of the virtual NPU's core workers
 * @job_timeout_ms: scheduler timeout of a job
 * @sram_size: activation memory per core, bytes
 * @kernels: the engine's kernel table for jobs and for preparing models;
 *	vis_kernels_best() unless debugfs says otherwise (READ_ONCE)
 * @model_mem_max: cap on the bytes of all live models
 * @model_mem: bytes of all live models
 * @next_core: round-robin start of the core choice
 * @live_jobs: jobs created and not yet freed; teardown waits for zero
 * @jobs_wq: woken when @live_jobs drops to zero
 * @job_seqno: submission counter, orders writers of a BO
 * @models_lock: protects @models
 * @models: live models, for debugfs
 * @fault_lock: protects @fault_mode and @fault_count
 * @fault_mode: the next @fault_count jobs get this fault injected
 * @fault_count: see @fault_mode
 * @err_lock: protects @errs and @err_next
 * @errs: the last job errors, a ring
 * @err_next: next slot of @errs
 * @debugfs: the device's debugfs directory
 */
struct vis_device {
	struct drm_device drm;
	u32 device_id;
	u32 num_cores;
	struct vis_core cores[VIS_MAX_CORES];
	struct drm_gpu_scheduler *scheds[VIS_MAX_CORES];
	const struct vis_backend_ops *backend;
	struct workqueue_struct *wq;
	u32 job_timeout_ms;
	size_t sram_size;
	const struct vis_kernels *kernels;
	u64 model_mem_max;
	atomic64_t model_mem;
	atomic_t next_core;
	atomic_t live_jobs;
	wait_queue_head_t jobs_wq;
	atomic64_t job_seqno;
	struct mutex models_lock; /* @models */
	struct list_head models;
	spinlock_t fault_lock; /* @fault_mode, @fault_count */
	enum vis_fault_mode fault_mode;
	u32 fault_count;
	spinlock_t err_lock; /* @errs, @err_next */
	struct {
		u64 time_ns;
		u64 seqno;
		int status;
		u32 core;
	} errs[VIS_ERR_RING];
	u32 err_next;
	struct {
		atomic64_t tensors;
		atomic64_t frames_native;
		atomic64_t frames_imported;
	} inputs;
	struct dentry *debugfs;
};

/**
 * struct vis_file - per-open-file state
 * @vdev: the device
 * @ref: held by the file and by each of its jobs, which may outlive it
 * @entities: scheduler entities, per priority and core
 * @busy_ns: time the file's jobs ran, for fdinfo
 * @client_id: fdinfo client id
 */
struct vis_file {
	struct vis_device *vdev;
	struct kref ref;
	struct drm_sched_entity entities[VIS_NUM_PRIOS][VIS_MAX_CORES];
	atomic64_t busy_ns;
	u64 client_id;
};

static inline struct vis_device *to_vis_device(struct drm_device *drm)
{
	return container_of(drm, struct vis_device, drm);
}

int vis_device_init(struct vis_device *vdev);
void vis_device_fini(struct vis_device *vdev);
void vis_file_put(struct vis_file *vfile);
void vis_device_record_error(struct vis_device *vdev, u32 core, u64 seqno,
			     int status);

#endif /* __VIS_DEVICE_H__ */
