// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * An 8-bit image into the float input tensor of a model: colour
 * conversion, resize and per-channel normalisation in one pass. The
 * geometry and the luma weights are those of the device's input stage
 * (driver/engine/vis_input.c), so that calibration sees what the device
 * will; the arithmetic is float, since the float model is what is
 * calibrated.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "image.h"

/* Source taps of one output coordinate along one axis. */
struct vis_tap {
	uint32_t i0;
	uint32_t i1;
	float w; /* weight of i1 */
};

uint32_t vis_preprocess_channels(const struct vis_preprocess *pp)
{
	return pp->color == VISION_MODEL_COLOR_GREY ? 1 : 3;
}

int vis_preprocess_check(const struct vis_preprocess *pp, size_t *elems,
			 struct vis_error *err)
{
	uint32_t c, nch = vis_preprocess_channels(pp);

	if (pp->color > VISION_MODEL_COLOR_GREY)
		return vis_error_file(err, -EINVAL, NULL,
				      "unknown input colour %u", pp->color);
	if (pp->resize > VISION_MODEL_RESIZE_BILINEAR)
		return vis_error_file(err, -EINVAL, NULL,
				      "unknown resize mode %u", pp->resize);
	if (pp->layout > VIS_PP_NHWC)
		return vis_error_file(err, -EINVAL, NULL,
				      "unknown tensor layout %u", pp->layout);
	if (!pp->width || !pp->height)
		return vis_error_file(err, -EINVAL, NULL,
				      "model input of %ux%u", pp->width,
				      pp->height);
	if ((uint64_t)pp->width * pp->height > VIS_IMAGE_MAX_PIXELS)
		return vis_error_file(err, -EFBIG, NULL,
				      "model input of %ux%u is too large",
				      pp->width, pp->height);
	for (c = 0; c < nch; c++) {
		if (!isfinite(pp->mean[c]) || !isfinite(pp->std[c]) ||
		    pp->std[c] == 0.0f)
			return vis_error_file(
				err, -EINVAL, NULL,
				"channel %u: mean %g, std %g: need finite values and a non-zero std",
				c, (double)pp->mean[c], (double)pp->std[c]);
	}
	if (elems)
		*elems = (size_t)pp->width * pp->height * nch;
	return 0;
}

/* Output coordinate @o of @n from @s source pixels. */
static struct vis_tap vis_tap_at(uint32_t o, uint32_t n, uint32_t s,
				 bool bilinear)
{
	struct vis_tap t = { .w = 0.0f };
	double c;

	if (!bilinear) {
		t.i0 = (uint32_t)((uint64_t)o * s / n);
		t.i1 = t.i0;
		return t;
	}
	/* (o + 0.5) * s / n - 0.5, one rounding: exact for integer ratios. */
	c = (double)((2 * (uint64_t)o + 1) * s) / (2.0 * n) - 0.5;
	if (c < 0.0)
		c = 0.0;
	if (c > s - 1)
		c = s - 1;
	t.i0 = (uint32_t)c;
	t.i1 = t.i0 + 1 < s ? t.i0 + 1 : t.i0;
	t.w = (float)(c - t.i0);
	return t;
}

/* Source pixel (@x, @y) in the tensor's channel order. */
static inline void vis_fetch(const struct vis_image *img, uint32_t color,
			     uint32_t x, uint32_t y, uint8_t px[3])
{
	const uint8_t *p =
		img->pixels + ((size_t)y * img->width + x) * img->channels;

	if (img->channels == 1) {
		px[0] = px[1] = px[2] = p[0];
		return;
	}
	switch (color) {
	case VISION_MODEL_COLOR_GREY:
		px[0] = (uint8_t)((77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >>
				  8);
		px[1] = px[2] = px[0];
		break;
	case VISION_MODEL_COLOR_BGR:
		px[0] = p[2];
		px[1] = p[1];
		px[2] = p[0];
		break;
	default:
		px[0] = p[0];
		px[1] = p[1];
		px[2] = p[2];
		break;
	}
}

/* Interpolate along x at row @y: @v gets the tensor channels. */
static inline void vis_row_sample(const struct vis_image *img, uint32_t color,
				  const struct vis_tap *tx, uint32_t y,
				  float v[3])
{
	uint8_t a[3], b[3];
	int c;

	vis_fetch(img, color, tx->i0, y, a);
	if (tx->w == 0.0f) {
		for (c = 0; c < 3; c++)
			v[c] = a[c];
		return;
	}
	vis_fetch(img, color, tx->i1, y, b);
	for (c = 0; c < 3; c++)
		v[c] = (1.0f - tx->w) * a[c] + tx->w * b[c];
}

static inline void vis_store(const struct vis_preprocess *pp, uint32_t nch,
			     size_t plane, size_t at, const float v[3],
			     float *out)
{
	uint32_t c;

	for (c = 0; c < nch; c++) {
		float x = (v[c] / 255.0f - pp->mean[c]) / pp->std[c];

		if (pp->layout == VIS_PP_NCHW)
			out[c * plane + at] = x;
		else
			out[at * nch + c] = x;
	}
}

/*
 * Same size: no interpolation, and the 256 possible values of each
 * channel computed once, with the same expression as vis_store().
 */
static void vis_to_tensor_same(const struct vis_image *img,
			       const struct vis_preprocess *pp, uint32_t nch,
			       float *out)
{
	const size_t plane = (size_t)pp->width * pp->height;
	float lut[3][256];
	uint32_t x, y, c;
	uint8_t px[3];
	size_t at = 0;

	for (c = 0; c < nch; c++)
		for (x = 0; x < 256; x++)
			lut[c][x] =
				((float)x / 255.0f - pp->mean[c]) / pp->std[c];
	for (y = 0; y < pp->height; y++) {
		for (x = 0; x < pp->width; x++, at++) {
			vis_fetch(img, pp->color, x, y, px);
			for (c = 0; c < nch; c++) {
				if (pp->layout == VIS_PP_NCHW)
					out[c * plane + at] = lut[c][px[c]];
				else
					out[at * nch + c] = lut[c][px[c]];
			}
		}
	}
}

int vis_image_to_tensor(const struct vis_image *img,
			const struct vis_preprocess *pp, const char *name,
			float *out, struct vis_error *err)
{
	const bool bilinear = pp->resize == VISION_MODEL_RESIZE_BILINEAR;
	const uint32_t nch = vis_preprocess_channels(pp);
	const size_t plane = (size_t)pp->width * pp->height;
	struct vis_tap *tx;
	uint32_t ox, oy, c;

	if (!img->width || !img->height || !img->pixels ||
	    (img->channels != 1 && img->channels != 3))
		return vis_error_file(err, -EINVAL, name, "empty image");
	if (img->width == pp->width && img->height == pp->height) {
		vis_to_tensor_same(img, pp, nch, out);
		return 0;
	}
	if (pp->no_resize)
		return vis_error_file(
			err, -EINVAL, name,
			"image is %ux%u but the model input is %ux%u (resizing is off)",
			img->width, img->height, pp->width, pp->height);
	tx = malloc(pp->width * sizeof(*tx));
	if (!tx)
		return vis_error_file(err, -ENOMEM, name, "out of memory");
	for (ox = 0; ox < pp->width; ox++)
		tx[ox] = vis_tap_at(ox, pp->width, img->width, bilinear);
	for (oy = 0; oy < pp->height; oy++) {
		struct vis_tap ty =
			vis_tap_at(oy, pp->height, img->height, bilinear);

		for (ox = 0; ox < pp->width; ox++) {
			float v[3], b[3];

			vis_row_sample(img, pp->color, &tx[ox], ty.i0, v);
			if (ty.w != 0.0f) {
				vis_row_sample(img, pp->color, &tx[ox], ty.i1,
					       b);
				for (c = 0; c < nch; c++)
					v[c] = (1.0f - ty.w) * v[c] +
					       ty.w * b[c];
			}
			vis_store(pp, nch, plane, (size_t)oy * pp->width + ox,
				  v, out);
		}
	}
	free(tx);
	return 0;
}
