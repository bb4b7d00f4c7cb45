// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Camera frames as inputs: the engine's vis_frame_setup() checks them,
 * as the kernel does for a frame job, so that the CPU and the device
 * accept and refuse the same frames with the same errors.
 */
#include "internal.h"

int vis_frame_from(const struct vision_model *m, const struct vision_frame *f,
		   const uint8_t *base, uint64_t size, struct vis_frame *out)
{
	const struct vis_frame_desc d = {
		.fourcc = f->fourcc,
		.width = f->width,
		.height = f->height,
		.num_planes = f->num_planes,
		.offsets = { f->offsets[0], f->offsets[1] },
		.strides = { f->strides[0], f->strides[1] },
		.crop_x = f->crop_x,
		.crop_y = f->crop_y,
		.crop_w = f->crop_width,
		.crop_h = f->crop_height,
	};

	return vis_frame_setup(&m->m, &d, base, size, out);
}
