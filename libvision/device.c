// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Device discovery and parameters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "vision_accel.h"
#include "internal.h"

/* Accel nodes first: on kernels that have them, that is where we are. */
static const char *const vis_node_globs[] = {
	"/dev/accel/accel*",
	"/dev/dri/renderD*",
};

static const char *const vis_param_names[VISION_PARAM_COUNT] = {
	[VISION_PARAM_DEVICE_ID] = "device_id",
	[VISION_PARAM_API_VERSION] = "api_version",
	[VISION_PARAM_NUM_CORES] = "num_cores",
};

_Static_assert(VISION_PARAM_DEVICE_ID == DRM_VISION_PARAM_DEVICE_ID &&
		       VISION_PARAM_API_VERSION ==
			       DRM_VISION_PARAM_API_VERSION &&
		       VISION_PARAM_NUM_CORES == DRM_VISION_PARAM_NUM_CORES,
	       "enum vision_param must mirror DRM_VISION_PARAM_*");

/* Open @path and keep it only if its DRM driver is "vision". */
static int vis_open_node(const char *path, int *fdp)
{
	drmVersionPtr v;
	int fd, ok;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	v = drmGetVersion(fd);
	ok = v && v->name && !strcmp(v->name, "vision");
	drmFreeVersion(v);
	if (!ok) {
		close(fd);
		return -ENODEV;
	}
	*fdp = fd;
	return 0;
}

static int vis_discover(char *path, size_t len, int *fdp)
{
	int ret = -ENODEV;

	for (size_t i = 0; i < sizeof(vis_node_globs) / sizeof(*vis_node_globs);
	     i++) {
		glob_t g;

		if (glob(vis_node_globs[i], 0, NULL, &g))
			continue;
		for (size_t n = 0; n < g.gl_pathc; n++) {
			int err = vis_open_node(g.gl_pathv[n], fdp);

			if (!err) {
				snprintf(path, len, "%s", g.gl_pathv[n]);
				globfree(&g);
				return 0;
			}
			/* Report a permission problem over "none found". */
			if (err == -EACCES || err == -EPERM)
				ret = -EACCES;
		}
		globfree(&g);
	}
	return ret;
}

int vision_device_open(const char *path, struct vision_device **out)
{
	struct vision_device *dev;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (path && strlen(path) >= sizeof(dev->path))
		return -ENAMETOOLONG;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;

	if (path) {
		ret = vis_open_node(path, &dev->fd);
		snprintf(dev->path, sizeof(dev->path), "%s", path);
	} else {
		ret = vis_discover(dev->path, sizeof(dev->path), &dev->fd);
	}
	if (ret) {
		free(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

void vision_device_close(struct vision_device *dev)
{
	if (!dev)
		return;
	close(dev->fd);
	free(dev);
}

const char *vision_device_path(const struct vision_device *dev)
{
	return dev->path;
}

int vision_device_fd(const struct vision_device *dev)
{
	return dev->fd;
}

const char *vision_param_name(enum vision_param param)
{
	if ((unsigned int)param >= VISION_PARAM_COUNT)
		return NULL;
	return vis_param_names[param];
}

int vision_device_get_param(struct vision_device *dev, enum vision_param param,
			    uint64_t *value)
{
	struct drm_vision_get_param args = { 0 };
	int ret;

	if (!dev || !value || (unsigned int)param >= VISION_PARAM_COUNT)
		return -EINVAL;

	/* enum vision_param mirrors DRM_VISION_PARAM_* one to one. */
	args.param = (uint32_t)param;
	ret = vis_ioctl(dev->fd, DRM_IOCTL_VISION_GET_PARAM, &args);
	if (ret)
		return ret;
	*value = args.value;
	return 0;
}
