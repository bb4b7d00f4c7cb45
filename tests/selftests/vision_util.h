/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Helpers shared by the vision kselftests.
 */
#ifndef __VISION_UTIL_H__
#define __VISION_UTIL_H__

#include <stddef.h>
#include <stdint.h>

#include "vision_accel.h"

#define VISION_MODULE_NAME "vision_accel"
#define VISION_PLATFORM_NAME "vision-vnpu"

/*
 * Find the vision device node: the accel or render node whose driver name
 * is "vision". Returns 0 and fills @path, or -ENODEV.
 */
int vision_find_node(char *path, size_t len);

/* Open the vision device node read-write; -errno on failure. */
int vision_open(void);

/* DRM_IOCTL_VISION_GET_PARAM; returns 0 or -errno. */
int vision_get_param(int fd, uint32_t param, uint32_t pad, uint64_t *value);

/* Driver name of a DRM fd from DRM_IOCTL_VERSION, into @name. */
int vision_driver_name(int fd, char *name, size_t len);

/* Load the module from $VISION_KO with @params; returns 0 or -errno. */
int vision_module_load(const char *params);

/* Unload the module without waiting; returns 0 or -errno. */
int vision_module_unload(void);

/* Thin ioctl wrappers: each returns 0 or -errno. */
int vision_bo_create(int fd, uint64_t size, uint32_t flags, uint32_t *handle,
		     uint64_t *mmap_offset);
int vision_bo_info(int fd, uint32_t handle, struct drm_vision_bo_info *info);
/* Wait with a timeout relative to now; *status (may be NULL) = job_status. */
int vision_bo_wait(int fd, uint32_t handle, int64_t rel_timeout_ns,
		   int32_t *status);
/* mmap the whole BO read-write; NULL on failure (errno set). */
void *vision_bo_mmap(int fd, uint32_t handle, uint64_t *size);
int vision_gem_close(int fd, uint32_t handle);
int vision_model_create(int fd, const void *blob, uint64_t size,
			struct drm_vision_model_info *info);
int vision_model_info(int fd, uint32_t handle,
		      struct drm_vision_model_info *info);
int vision_submit(int fd, const struct drm_vision_job *jobs, uint32_t n,
		  uint32_t priority);
/* The debugfs directory of @fd's device, into @path. */
int vision_debugfs_dir(int fd, char *path, size_t len);
/* Write @text to the debugfs file @name of @fd's device. */
int vision_debugfs_write(int fd, const char *name, const char *text);
/* Read the debugfs file @name into @buf (NUL-terminated); bytes or -errno. */
int vision_debugfs_read(int fd, const char *name, char *buf, size_t len);
/* The counter @key of the debugfs file "stats"; -errno if unreadable. */
int64_t vision_debugfs_stat(int fd, const char *key);
/* CLOCK_MONOTONIC now, ns. */
int64_t vision_now_ns(void);

/*
 * What a job must write, computed by libvision's CPU engine: the outputs
 * of model @blob (@size bytes), in output-table order, into @out
 * (@out_size bytes, the model's output_size). The input is the tensor @in
 * (the model's input_size bytes), or for vision_ref_frame() the camera
 * frame @f whose planes lie in @bo, the bytes of the job's input BO
 * (@bo_size, its mapping or a copy). Return 0 or -errno (-EINVAL,
 * -EOPNOTSUPP: the frame or model is refused; -EMSGSIZE: @out_size is
 * wrong).
 */
int vision_ref_tensor(const void *blob, size_t size, const void *in, void *out,
		      size_t out_size);
int vision_ref_frame(const void *blob, size_t size,
		     const struct drm_vision_frame *f, const void *bo,
		     uint64_t bo_size, void *out, size_t out_size);

/*
 * Fill @len bytes (a multiple of 4) with a pattern that depends on @seed
 * and the position; vision_check_pattern() says whether it is intact.
 */
void vision_fill_pattern(void *p, size_t len, uint32_t seed);
int vision_check_pattern(const void *p, size_t len, uint32_t seed);

#endif /* __VISION_UTIL_H__ */
