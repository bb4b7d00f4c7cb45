// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Device discovery, the CPU fallback, references and parameters.
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
	[VISION_PARAM_CORE_SRAM_SIZE] = "core_sram_size",
	[VISION_PARAM_MAX_MODEL_SIZE] = "max_model_size",
	[VISION_PARAM_INPUT_FORMATS] = "input_formats",
	[VISION_PARAM_CAPABILITIES] = "capabilities",
	[VISION_PARAM_SIMD_LEVEL] = "simd_level",
	[VISION_PARAM_MAX_BO_SIZE] = "max_bo_size",
	[VISION_PARAM_MAX_JOBS] = "max_jobs",
	[VISION_PARAM_MODEL_MEMORY] = "model_memory",
};

_Static_assert(
	VISION_PARAM_DEVICE_ID == DRM_VISION_PARAM_DEVICE_ID &&
		VISION_PARAM_API_VERSION == DRM_VISION_PARAM_API_VERSION &&
		VISION_PARAM_NUM_CORES == DRM_VISION_PARAM_NUM_CORES &&
		VISION_PARAM_CORE_SRAM_SIZE ==
			DRM_VISION_PARAM_CORE_SRAM_SIZE &&
		VISION_PARAM_MAX_MODEL_SIZE ==
			DRM_VISION_PARAM_MAX_MODEL_SIZE &&
		VISION_PARAM_INPUT_FORMATS == DRM_VISION_PARAM_INPUT_FORMATS &&
		VISION_PARAM_CAPABILITIES == DRM_VISION_PARAM_CAPABILITIES &&
		VISION_PARAM_SIMD_LEVEL == DRM_VISION_PARAM_SIMD_LEVEL &&
		VISION_PARAM_MAX_BO_SIZE == DRM_VISION_PARAM_MAX_BO_SIZE &&
		VISION_PARAM_MAX_JOBS == DRM_VISION_PARAM_MAX_JOBS &&
		VISION_PARAM_MODEL_MEMORY == DRM_VISION_PARAM_MODEL_MEMORY,
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

/* uapi input-format bits, in bit order, as V4L2 fourcc codes. */
static const uint32_t vis_format_fourccs[] = {
	0x33424752, /* RGB3 */ 0x33524742, /* BGR3 */
	0x34424752, /* RGB4 */ 0x34524742, /* BGR4 */
	0x34325842, /* BX24 */ 0x34324142, /* BA24 */
	0x34325258, /* XR24 */ 0x34325241, /* AR24 */
	0x34324258, /* XB24 */ 0x34324241, /* AB24 */
	0x34325852, /* RX24 */ 0x34324152, /* RA24 */
	0x56595559, /* YUYV */ 0x55595659, /* YVYU */
	0x59565955, /* UYVY */ 0x59555956, /* VYUY */
	0x3231564e, /* NV12 */ 0x3132564e, /* NV21 */
	0x59455247, /* GREY */
};

static int vis_open_cpu(struct vision_device *dev)
{
	dev->cpu = true;
	dev->fd = -1;
	dev->max_jobs = VIS_CPU_MAX_JOBS;
	snprintf(dev->path, sizeof(dev->path), "%s", VISION_DEVICE_CPU);
	return 0;
}

static int vis_open_path(struct vision_device *dev, const char *path)
{
	if (!strcmp(path, VISION_DEVICE_CPU))
		return vis_open_cpu(dev);
	if (strlen(path) >= sizeof(dev->path))
		return -ENAMETOOLONG;
	snprintf(dev->path, sizeof(dev->path), "%s", path);
	return vis_open_node(path, &dev->fd);
}

int vision_device_open_flags(const char *path, unsigned int flags,
			     struct vision_device **out)
{
	struct vision_device *dev;
	struct drm_vision_get_param p = { .param = DRM_VISION_PARAM_MAX_JOBS };
	const char *env;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (flags & ~VISION_OPEN_FALLBACK_CPU)
		return -EINVAL;
	if (path && strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->refs = 1;
	dev->fd = -1;

	env = getenv("VISION_DEVICE");
	if (path) {
		ret = vis_open_path(dev, path);
	} else if (env && *env) {
		ret = vis_open_path(dev, env);
	} else {
		ret = vis_discover(dev->path, sizeof(dev->path), &dev->fd);
		if (ret && (flags & VISION_OPEN_FALLBACK_CPU))
			ret = vis_open_cpu(dev);
	}
	if (!ret && !dev->cpu) {
		ret = vis_ioctl(dev->fd, DRM_IOCTL_VISION_GET_PARAM, &p);
		dev->max_jobs = p.value > VIS_CPU_MAX_JOBS * 16 ?
					VIS_CPU_MAX_JOBS * 16 :
					(uint32_t)p.value;
		if (ret)
			close(dev->fd);
	}
	if (ret) {
		free(dev);
		return ret;
	}
	pthread_mutex_init(&dev->lock, NULL);
	pthread_cond_init(&dev->queue_cond, NULL);
	vis_cond_init_monotonic(&dev->idle_cond);
	*out = dev;
	return 0;
}

int vision_device_open(const char *path, struct vision_device **out)
{
	return vision_device_open_flags(path, 0, out);
}

struct vision_device *vis_device_get(struct vision_device *dev)
{
	__atomic_add_fetch(&dev->refs, 1, __ATOMIC_RELAXED);
	return dev;
}

void vis_device_put(struct vision_device *dev)
{
	if (__atomic_sub_fetch(&dev->refs, 1, __ATOMIC_ACQ_REL))
		return;
	vis_cpu_queue_stop(dev);
	if (dev->fd >= 0)
		close(dev->fd);
	pthread_cond_destroy(&dev->idle_cond);
	pthread_cond_destroy(&dev->queue_cond);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

void vision_device_close(struct vision_device *dev)
{
	if (dev)
		vis_device_put(dev);
}

const char *vision_device_path(const struct vision_device *dev)
{
	return dev->path;
}

int vision_device_fd(const struct vision_device *dev)
{
	return dev->fd;
}

int vision_device_is_cpu(const struct vision_device *dev)
{
	return dev->cpu;
}

const char *vision_param_name(enum vision_param param)
{
	if ((unsigned int)param >= VISION_PARAM_COUNT)
		return NULL;
	return vis_param_names[param];
}

static int vis_simd_level(const char *name)
{
	if (!strcmp(name, "avx2"))
		return DRM_VISION_SIMD_AVX2;
	if (!strcmp(name, "avx512bw"))
		return DRM_VISION_SIMD_AVX512BW;
	if (!strcmp(name, "avx512vnni"))
		return DRM_VISION_SIMD_AVX512VNNI;
	if (!strcmp(name, "neon-dotprod"))
		return DRM_VISION_SIMD_NEON_DOTPROD;
	return DRM_VISION_SIMD_PORTABLE;
}

/* What the CPU answers: the engine's abilities, no memory limits. */
static int vis_cpu_param(enum vision_param param, uint64_t *value)
{
	uint64_t v = 0;

	switch (param) {
	case VISION_PARAM_DEVICE_ID:
		v = VISION_DEVICE_ID_CPU;
		break;
	case VISION_PARAM_API_VERSION:
		v = DRM_VISION_API_VERSION;
		break;
	case VISION_PARAM_NUM_CORES:
		v = 1; /* one inference at a time, on every thread */
		break;
	case VISION_PARAM_MAX_MODEL_SIZE:
		v = VISION_MODEL_MAX_SIZE;
		break;
	case VISION_PARAM_INPUT_FORMATS:
		for (size_t i = 0; i < sizeof(vis_format_fourccs) /
					       sizeof(*vis_format_fourccs);
		     i++)
			if (vis_input_planes(vis_format_fourccs[i]))
				v |= 1ull << i;
		break;
	case VISION_PARAM_CAPABILITIES:
		v = DRM_VISION_CAP_SPARSE | DRM_VISION_CAP_CAMERA_INPUT |
		    DRM_VISION_CAP_PROFILE;
		break;
	case VISION_PARAM_SIMD_LEVEL:
		v = vis_simd_level(vis_kernels_best()->name);
		break;
	case VISION_PARAM_MAX_JOBS:
		v = VIS_CPU_MAX_JOBS;
		break;
	default:
		return -EOPNOTSUPP;
	}
	*value = v;
	return 0;
}

int vision_device_get_param(struct vision_device *dev, enum vision_param param,
			    uint64_t *value)
{
	struct drm_vision_get_param args = { 0 };
	int ret;

	if (!dev || !value || (unsigned int)param >= VISION_PARAM_COUNT)
		return -EINVAL;
	if (dev->cpu)
		return vis_cpu_param(param, value);

	/* enum vision_param mirrors DRM_VISION_PARAM_* one to one. */
	args.param = (uint32_t)param;
	ret = vis_ioctl(dev->fd, DRM_IOCTL_VISION_GET_PARAM, &args);
	if (ret)
		return ret;
	*value = args.value;
	return 0;
}
