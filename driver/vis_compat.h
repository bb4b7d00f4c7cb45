/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_COMPAT_H__
#define __VIS_COMPAT_H__

/**
 * DOC: kernel API compatibility
 *
 * The one place where differences between the kernels we build for are
 * absorbed. The VIS_HAVE_* macros come from scripts/compat-probe.sh, which
 * probes the headers of the kernel being built against, so a distribution
 * kernel that backports an API is handled by what it has rather than by
 * its version number. Driver code uses only the names defined here.
 */

#include <linux/kconfig.h>
#include <linux/platform_device.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/gpu_scheduler.h>

#if defined(VIS_HAVE_DRM_ACCEL) && IS_ENABLED(CONFIG_DRM_ACCEL)
#include <drm/drm_accel.h>

/* Compute-accelerator node: /dev/accel/accelN. */
#define VIS_DRIVER_NODE_FEATURES DRIVER_COMPUTE_ACCEL
#define VIS_NODE_FOPS DRM_ACCEL_FOPS
#else
/* No accel class: a render node, /dev/dri/renderD*. */
#define VIS_DRIVER_NODE_FEATURES DRIVER_RENDER
#define VIS_NODE_FOPS DRM_GEM_FOPS
#endif

/*
 * fdinfo: where the DRM core prints it (and per-file memory), the driver
 * adds its engine time through drm_driver.show_fdinfo; before that the
 * driver prints everything from its file_operations.
 */
#ifdef VIS_HAVE_DRM_SHOW_FDINFO
#define VIS_FOPS_SHOW_FDINFO drm_show_fdinfo
#define VIS_DRIVER_SHOW_FDINFO .show_fdinfo = vis_show_fdinfo,
#else
#define VIS_FOPS_SHOW_FDINFO vis_legacy_fdinfo
#define VIS_DRIVER_SHOW_FDINFO
#endif

/* Before 6.6 mmap() of an exported dma-buf went through the driver. */
#ifdef VIS_HAVE_DRM_GEM_PRIME_MMAP
#define VIS_DRIVER_PRIME_MMAP .gem_prime_mmap = drm_gem_prime_mmap,
#else
#define VIS_DRIVER_PRIME_MMAP
#endif

#define VIS_DEFINE_FOPS(name)                        \
	static const struct file_operations name = { \
		.owner = THIS_MODULE,                \
		VIS_NODE_FOPS,                       \
		.show_fdinfo = VIS_FOPS_SHOW_FDINFO, \
	}

/* struct drm_driver lost its date string after 6.12. */
#ifdef VIS_HAVE_DRM_DRIVER_DATE
#define VIS_DRM_DRIVER_DATE .date = VIS_DRIVER_DATE_STR,
#else
#define VIS_DRM_DRIVER_DATE
#endif

/*
 * platform_driver.remove returns void since the remove_new conversion;
 * during it (6.3 upstream, backported by Debian to 6.1) the void callback
 * was called .remove_new.
 */
#ifdef VIS_HAVE_PLATFORM_REMOVE_VOID
#define VIS_PLATFORM_REMOVE(fn) .remove = (fn)
#elif defined(VIS_HAVE_PLATFORM_REMOVE_NEW)
#define VIS_PLATFORM_REMOVE(fn) .remove_new = (fn)
#else
#error "kernel has no void platform_driver remove callback"
#endif

/*
 * drm_sched: the init arguments struct (Debian backported it to 6.1) and
 * the job-init and restart signatures of each kernel.
 */
#ifndef VIS_HAVE_SCHED_INIT_ARGS
#error "kernel has no struct drm_sched_init_args"
#endif

static inline int vis_sched_init(struct drm_gpu_scheduler *sched,
				 struct drm_sched_init_args *args)
{
#ifdef VIS_HAVE_SCHED_NUM_RQS
	args->num_rqs = DRM_SCHED_PRIORITY_COUNT;
#endif
	return drm_sched_init(sched, args);
}

static inline int vis_sched_job_init(struct drm_sched_job *job,
				     struct drm_sched_entity *entity,
				     void *owner, u64 client_id)
{
#if defined(VIS_HAVE_SCHED_JOB_CLIENT_ID)
	return drm_sched_job_init(job, entity, 1, owner, client_id);
#elif defined(VIS_HAVE_SCHED_JOB_CREDITS)
	return drm_sched_job_init(job, entity, 1, owner);
#else
	return drm_sched_job_init(job, entity, owner);
#endif
}

#if defined(VIS_HAVE_SCHED_START_RECOVERY)
#define vis_sched_start(sched) drm_sched_start(sched, true)
#elif defined(VIS_HAVE_SCHED_START_ERRNO)
#define vis_sched_start(sched) drm_sched_start(sched, 0)
#else
#define vis_sched_start(sched) drm_sched_start(sched)
#endif

/* fdinfo's drm-client-id: the DRM core's where it has one. */
static inline u64 vis_file_client_id(struct drm_file *file)
{
#ifdef VIS_HAVE_DRM_FILE_CLIENT_ID
	return file->client_id;
#else
	static atomic64_t next = ATOMIC64_INIT(0);

	return atomic64_inc_return(&next);
#endif
}

/* Kernel mapping of a GEM object, taking whatever lock it needs. */
#ifdef VIS_HAVE_GEM_VMAP_UNLOCKED
#define vis_gem_vmap(obj, map) drm_gem_vmap_unlocked(obj, map)
#define vis_gem_vunmap(obj, map) drm_gem_vunmap_unlocked(obj, map)
#else
#define vis_gem_vmap(obj, map) \
	drm_gem_shmem_vmap(to_drm_gem_shmem_obj(obj), map)
#define vis_gem_vunmap(obj, map) \
	drm_gem_shmem_vunmap(to_drm_gem_shmem_obj(obj), map)
#endif

#endif /* __VIS_COMPAT_H__ */
