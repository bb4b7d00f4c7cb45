/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * libvision: userspace interface to the vision NPU.
 *
 * Conventions: functions that can fail return 0 (or a count) on success and
 * a negative errno on failure, which vision_strerror() describes. Objects
 * are opaque and come in create/destroy pairs.
 */
#ifndef VISION_VISION_H
#define VISION_VISION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exported symbols; everything else in the library is hidden. */
#if defined(__GNUC__)
#define VISION_API __attribute__((visibility("default")))
#else
#define VISION_API
#endif

#define VISION_VERSION_MAJOR 0
#define VISION_VERSION_MINOR 1
#define VISION_VERSION_PATCH 0

/* MAJOR * 10000 + MINOR * 100 + PATCH, comparable with < and >. */
#define VISION_VERSION_NUMBER                                        \
	(VISION_VERSION_MAJOR * 10000 + VISION_VERSION_MINOR * 100 + \
	 VISION_VERSION_PATCH)

/**
 * vision_version_number() - version of the library actually loaded
 *
 * @return: VISION_VERSION_NUMBER of the runtime library, which may differ
 * from the header's when the program was built against another version.
 */
VISION_API unsigned int vision_version_number(void);

/**
 * vision_version_string() - version of the loaded library as "X.Y.Z"
 *
 * @return: a static string.
 */
VISION_API const char *vision_version_string(void);

/**
 * vision_strerror() - describe an error code
 * @err: a negative errno returned by a libvision function (a positive
 *       errno is accepted too)
 *
 * @return: a static, thread-safe string; never NULL.
 */
VISION_API const char *vision_strerror(int err);

/**
 * struct vision_device - an open vision accelerator
 *
 * Thread-safety: one device may be used from several threads at once;
 * vision_device_close() must not race with any other use of it.
 */
struct vision_device;

/**
 * vision_device_open() - open a vision accelerator
 * @path: device node to open, or NULL to take the first device whose
 *        driver is "vision" among /dev/accel/accel* then /dev/dri/renderD*
 * @out: receives the device
 *
 * @return: 0; -ENOENT when @path does not exist; -ENODEV when @path is not
 * a vision device, or when discovery finds none; -EACCES without
 * permission; -EINVAL for a NULL @out; -ENOMEM.
 */
VISION_API int vision_device_open(const char *path, struct vision_device **out);

/**
 * vision_device_close() - close a device; NULL is a no-op
 * @dev: the device
 */
VISION_API void vision_device_close(struct vision_device *dev);

/**
 * vision_device_path() - device node the device was opened from
 * @dev: the device
 *
 * @return: a string owned by @dev.
 */
VISION_API const char *vision_device_path(const struct vision_device *dev);

/**
 * vision_device_fd() - the DRM file descriptor, for polling and PRIME
 * @dev: the device
 *
 * @return: a file descriptor owned by @dev; do not close it.
 */
VISION_API int vision_device_fd(const struct vision_device *dev);

/* Device parameters, see vision_device_get_param(). */
enum vision_param {
	VISION_PARAM_DEVICE_ID = 0, /* accelerator model identifier */
	VISION_PARAM_API_VERSION =
		1, /* kernel interface, major << 16 | minor */
	VISION_PARAM_NUM_CORES = 2, /* number of NPU cores */
	VISION_PARAM_COUNT
};

/**
 * vision_device_get_param() - read a device parameter
 * @dev: the device
 * @param: one of enum vision_param
 * @value: receives the value
 *
 * @return: 0; -EINVAL for an unknown @param or NULL argument; -ENODEV when
 * the device was unplugged; another negative errno from the kernel.
 */
VISION_API int vision_device_get_param(struct vision_device *dev,
				       enum vision_param param,
				       uint64_t *value);

/**
 * vision_param_name() - short name of a parameter ("num_cores")
 * @param: one of enum vision_param
 *
 * @return: a static string, or NULL for an unknown @param.
 */
VISION_API const char *vision_param_name(enum vision_param param);

#ifdef __cplusplus
}
#endif

#endif /* VISION_VISION_H */
