/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_DEVICE_H__
#define __VIS_DEVICE_H__

#include <linux/types.h>

#include <drm/drm_device.h>

/* Upper bound on virtual NPU cores; one scheduler queue each. */
#define VIS_MAX_CORES 8

/**
 * struct vis_device - one vision accelerator
 * @drm: the DRM device; embedded, freed by the DRM core's managed release
 * @device_id: hardware identifier, one of DRM_VISION_DEVICE_ID_*
 * @num_cores: number of NPU cores, 1..VIS_MAX_CORES; fixed after init
 */
struct vis_device {
	struct drm_device drm;
	u32 device_id;
	u32 num_cores;
};

static inline struct vis_device *to_vis_device(struct drm_device *drm)
{
	return container_of(drm, struct vis_device, drm);
}

int vis_device_init(struct vis_device *vdev);

#endif /* __VIS_DEVICE_H__ */
