/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: 8-bit images as the compiler reads them (PNG, JPEG,
 * IDX), and their conversion into a float input tensor with the model's
 * preprocessing (resize, colour, per-channel normalisation).
 *
 * Errors are negative errno values; where a struct vis_error is passed
 * (it may be NULL) it receives a one-line message that names the file
 * and the reason.
 */
#ifndef LIBVISION_IMAGE_H
#define LIBVISION_IMAGE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"
#include "vision_model.h"

/* Largest image accepted, in pixels: 64 Mpixel (8192 x 8192). */
#define VIS_IMAGE_MAX_PIXELS (1ull << 26)

/*
 * An 8-bit image, rows packed without padding, channels interleaved:
 * 1 (grey) or 3 (R G B). The pixel buffer is owned by the image and
 * reused by the next decode into it; start from a zeroed struct and
 * release it with vis_image_release().
 */
struct vis_image {
	uint32_t width;
	uint32_t height;
	uint32_t channels;
	uint8_t *pixels;
	size_t cap; /* bytes allocated at @pixels */
};

void vis_image_release(struct vis_image *img);

/*
 * Size @img for @width x @height x @channels (1 or 3), growing its buffer
 * if needed; -EFBIG beyond VIS_IMAGE_MAX_PIXELS, -EINVAL on a zero
 * dimension, -ENOMEM. @name is for the message.
 */
int vis_image_reserve(struct vis_image *img, uint64_t width, uint64_t height,
		      uint32_t channels, const char *name,
		      struct vis_error *err);

/*
 * Decode a whole PNG or JPEG file held in memory into @img. PNG: any
 * bit depth and colour type (palette and low bit depths are expanded,
 * 16 bits scaled to 8, alpha and transparency dropped); JPEG: grey,
 * YCbCr or RGB. @name is for messages. Returns 0, -EINVAL on corrupt or
 * truncated data, -ENOTSUP on an unsupported variant (CMYK JPEG), -EFBIG,
 * -ENOMEM.
 */
int vis_image_decode_png(const uint8_t *data, size_t size, const char *name,
			 struct vis_image *img, struct vis_error *err);
int vis_image_decode_jpeg(const uint8_t *data, size_t size, const char *name,
			  struct vis_image *img, struct vis_error *err);

/* Whether @data starts like a PNG / JPEG file. */
bool vis_image_is_png(const uint8_t *data, size_t size);
bool vis_image_is_jpeg(const uint8_t *data, size_t size);

/*
 * Read the PNG or JPEG file @path (format from its content, not its
 * name) into @img. Returns 0 or a negative errno (-ENOTSUP: neither).
 */
int vis_image_load(const char *path, struct vis_image *img,
		   struct vis_error *err);

/* ---- conversion to a model input ------------------------------------- */

/* Tensor layout of a preprocessed image. */
enum vis_pp_layout {
	VIS_PP_NCHW = 0,
	VIS_PP_NHWC = 1,
};

/*
 * The model's preprocessing: the image becomes a @height x @width tensor
 * with the channels of @color (enum vision_model_color: RGB or BGR, 3
 * channels; GREY, 1), resized by @resize (enum vision_model_resize_mode)
 * with the same geometry as the device's input stage, and normalised per
 * tensor channel c as x = (p / 255 - mean[c]) / std[c], p in [0, 255].
 * With @no_resize, an image of another size is refused (-EINVAL naming
 * the file) instead of resized.
 */
struct vis_preprocess {
	uint32_t width;
	uint32_t height;
	uint32_t color;
	uint32_t resize;
	uint32_t layout; /* enum vis_pp_layout */
	bool no_resize;
	float mean[3];
	float std[3];
};

/* Tensor channels of @pp: 1 for GREY, else 3. */
uint32_t vis_preprocess_channels(const struct vis_preprocess *pp);

/*
 * Check @pp (sizes, enums, finite mean, finite non-zero std) and return
 * the floats per image in @elems (may be NULL). 0 or -EINVAL/-EFBIG.
 */
int vis_preprocess_check(const struct vis_preprocess *pp, size_t *elems,
			 struct vis_error *err);

/*
 * Convert @img into @out (vis_preprocess_check() elems floats). Colour:
 * grey is replicated to RGB; RGB to grey is the luma (77 R + 150 G +
 * 29 B + 128) >> 8 of each source pixel, as on the device. Geometry:
 * nearest takes source floor(o * in / out); bilinear samples at
 * (o + 0.5) * in / out - 0.5 clamped to [0, in - 1] (half-pixel
 * centres), in float. @pp must have passed vis_preprocess_check().
 * @name is for messages. Returns 0 or -EINVAL.
 */
int vis_image_to_tensor(const struct vis_image *img,
			const struct vis_preprocess *pp, const char *name,
			float *out, struct vis_error *err);

#endif /* LIBVISION_IMAGE_H */
