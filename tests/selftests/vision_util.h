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

#endif /* __VISION_UTIL_H__ */
