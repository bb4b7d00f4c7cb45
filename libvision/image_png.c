// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * PNG decoding with libpng, from memory, into 8-bit grey or RGB. Every
 * libpng error longjmps back to one place that frees everything; libpng
 * warnings (colour profiles and the like) are not worth the user's
 * attention and are dropped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <png.h>
#include <string.h>

#include "image.h"

struct vis_png_ctx {
	const uint8_t *data;
	size_t size;
	size_t pos;
	const char *name;
	struct vis_error *err;
};

static void vis_png_error(png_structp png, png_const_charp msg)
{
	struct vis_png_ctx *c = png_get_error_ptr(png);

	vis_error_file(c->err, -EINVAL, c->name, "invalid PNG: %s", msg);
	png_longjmp(png, 1);
}

static void vis_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void vis_png_read(png_structp png, png_bytep out, size_t len)
{
	struct vis_png_ctx *c = png_get_io_ptr(png);

	if (len > c->size - c->pos)
		png_error(png, "file is truncated");
	memcpy(out, c->data + c->pos, len);
	c->pos += len;
}

/*
 * Everything that may longjmp, in one frame that sets the jump point and
 * modifies no local after it that is read after a jump.
 */
static int vis_png_run(struct vis_png_ctx *c, png_structp png, png_infop info,
		       struct vis_image *img)
{
	png_uint_32 w, h, y;
	int type, depth, passes, pass, ret;
	size_t stride;

	if (setjmp(png_jmpbuf(png)))
		return -EINVAL; /* the message is set by vis_png_error() */
	png_set_read_fn(png, c, vis_png_read);
	png_read_info(png, info);
	w = png_get_image_width(png, info);
	h = png_get_image_height(png, info);
	type = png_get_color_type(png, info);
	depth = png_get_bit_depth(png, info);

	/* Everything to 8-bit grey or RGB, as PIL's convert() would. */
	if (type == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (depth == 16)
		png_set_scale_16(png);
	png_set_strip_alpha(png);
	passes = png_set_interlace_handling(png);
	png_read_update_info(png, info);

	if (png_get_bit_depth(png, info) != 8 ||
	    (png_get_channels(png, info) != 1 &&
	     png_get_channels(png, info) != 3))
		return vis_error_file(
			c->err, -ENOTSUP, c->name,
			"PNG colour type %d, depth %d not converted", type,
			depth);
	ret = vis_image_reserve(img, w, h, png_get_channels(png, info), c->name,
				c->err);
	if (ret)
		return ret;
	stride = (size_t)img->width * img->channels;
	if (png_get_rowbytes(png, info) != stride)
		return vis_error_file(c->err, -EINVAL, c->name,
				      "PNG row of %zu bytes, expected %zu",
				      (size_t)png_get_rowbytes(png, info),
				      stride);
	/*
	 * Row by row into the image itself, every pass: libpng merges the
	 * interlaced passes in place, and no row-pointer array is needed.
	 */
	for (pass = 0; pass < passes; pass++)
		for (y = 0; y < h; y++)
			png_read_row(png, img->pixels + y * stride, NULL);
	/* Reads up to IEND, so a file cut after the pixels is caught too. */
	png_read_end(png, NULL);
	return 0;
}

int vis_image_decode_png(const uint8_t *data, size_t size, const char *name,
			 struct vis_image *img, struct vis_error *err)
{
	struct vis_png_ctx c = {
		.data = data, .size = size, .name = name, .err = err
	};
	png_structp png;
	png_infop info;
	int ret;

	if (!vis_image_is_png(data, size))
		return vis_error_file(err, -EINVAL, name, "not a PNG file");
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, vis_png_error,
				     vis_png_warning);
	if (!png)
		return vis_error_file(err, -ENOMEM, name, "out of memory");
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_read_struct(&png, NULL, NULL);
		return vis_error_file(err, -ENOMEM, name, "out of memory");
	}
	ret = vis_png_run(&c, png, info, img);
	png_destroy_read_struct(&png, &info, NULL);
	return ret;
}
