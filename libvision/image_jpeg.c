// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * JPEG decoding with libjpeg(-turbo), from memory, into 8-bit grey or
 * RGB. libjpeg's fatal errors longjmp back to one place that destroys the
 * decoder. Its warnings are mostly harmless (extraneous bytes, odd
 * markers), except those that mean the pixel data ran out: libjpeg would
 * fill the rest with grey, which is no image to calibrate on, so those
 * are errors here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "image.h"

struct vis_jpeg_err {
	struct jpeg_error_mgr mgr; /* first: libjpeg sees only this */
	jmp_buf jump;
	const char *name;
	struct vis_error *err;
};

static void vis_jpeg_fail(j_common_ptr cinfo)
{
	struct vis_jpeg_err *e = (struct vis_jpeg_err *)cinfo->err;
	char msg[JMSG_LENGTH_MAX];

	e->mgr.format_message(cinfo, msg);
	vis_error_file(e->err, -EINVAL, e->name, "invalid JPEG: %s", msg);
	longjmp(e->jump, 1);
}

static void vis_jpeg_emit(j_common_ptr cinfo, int level)
{
	int code = cinfo->err->msg_code;

	if (level < 0 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER))
		vis_jpeg_fail(cinfo);
}

static void vis_jpeg_output(j_common_ptr cinfo)
{
	(void)cinfo;
}

/*
 * Everything that may longjmp, in one frame that sets the jump point and
 * modifies no local after it that is read after a jump.
 */
static int vis_jpeg_run(struct jpeg_decompress_struct *cinfo,
			struct vis_jpeg_err *e, const uint8_t *data,
			size_t size, struct vis_image *img)
{
	size_t stride;
	JSAMPROW row;
	int ret;

	if (setjmp(e->jump))
		return -EINVAL; /* the message is set by vis_jpeg_fail() */
	jpeg_create_decompress(cinfo);
	jpeg_mem_src(cinfo, data, (unsigned long)size);
	jpeg_read_header(cinfo, TRUE);

	switch (cinfo->jpeg_color_space) {
	case JCS_GRAYSCALE:
		cinfo->out_color_space = JCS_GRAYSCALE;
		break;
	case JCS_YCbCr:
	case JCS_RGB:
		cinfo->out_color_space = JCS_RGB;
		break;
	default:
		return vis_error_file(
			e->err, -ENOTSUP, e->name,
			"JPEG colour space %d (%d components) not supported; only grey, YCbCr and RGB",
			(int)cinfo->jpeg_color_space, cinfo->num_components);
	}
	/*
	 * Before decompression starts: a progressive image buffers all its
	 * coefficients, so the size is bounded before libjpeg allocates.
	 */
	ret = vis_image_reserve(img, cinfo->image_width, cinfo->image_height,
				cinfo->out_color_space == JCS_RGB ? 3 : 1,
				e->name, e->err);
	if (ret)
		return ret;
	jpeg_start_decompress(cinfo);
	if (cinfo->output_width != img->width ||
	    cinfo->output_height != img->height ||
	    (unsigned int)cinfo->output_components != img->channels)
		return vis_error_file(e->err, -EINVAL, e->name,
				      "JPEG output geometry changed");
	stride = (size_t)img->width * img->channels;
	while (cinfo->output_scanline < cinfo->output_height) {
		row = img->pixels + (size_t)cinfo->output_scanline * stride;
		jpeg_read_scanlines(cinfo, &row, 1);
	}
	jpeg_finish_decompress(cinfo);
	return 0;
}

int vis_image_decode_jpeg(const uint8_t *data, size_t size, const char *name,
			  struct vis_image *img, struct vis_error *err)
{
	struct jpeg_decompress_struct cinfo;
	struct vis_jpeg_err e;
	int ret;

	if (!vis_image_is_jpeg(data, size))
		return vis_error_file(err, -EINVAL, name, "not a JPEG file");
	/* jpeg_mem_src() takes an unsigned long. */
	if (size > (unsigned long)-1)
		return vis_error_file(err, -EFBIG, name, "file too large");
	memset(&cinfo, 0, sizeof(cinfo));
	memset(&e, 0, sizeof(e));
	cinfo.err = jpeg_std_error(&e.mgr);
	e.mgr.error_exit = vis_jpeg_fail;
	e.mgr.emit_message = vis_jpeg_emit;
	e.mgr.output_message = vis_jpeg_output;
	e.name = name;
	e.err = err;
	ret = vis_jpeg_run(&cinfo, &e, data, size, img);
	/* Safe on a half-created decoder too: it checks its memory manager. */
	jpeg_destroy_decompress(&cinfo);
	return ret;
}
