// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: convolution patches
 *
 * The receptive field of one output pixel laid out as the weights are
 * (ky, kx, ci), for the GEMM formulations of CONV_2D: the dense path and
 * the BLOCK4 path both gather with this.
 */

#include "vis_op_im2col.h"

/*
 * Copy @n bytes, biased with the table's copy_flip() when @g->flip says
 * so; plain short runs (the rows of a stem's patch are a few dozen bytes)
 * as 8-byte words, the last one overlapping, rather than through a call
 * of the library's memcpy().
 */
static __always_inline void vis_im2col_copy(const struct vis_im2col *g, s8 *dst,
					    const s8 *src, size_t n)
{
	size_t i;
	u64 v;

	if (g->flip) {
		g->copy_flip(dst, src, n, g->flip);
		return;
	}
	if (n < 8 || n > 64) {
		memcpy(dst, src, n);
		return;
	}
	for (i = 0; i + 8 < n; i += 8) {
		memcpy(&v, src + i, 8);
		memcpy(dst + i, &v, 8);
	}
	memcpy(&v, src + n - 8, 8);
	memcpy(dst + n - 8, &v, 8);
}

/**
 * vis_im2col_patch() - gather the receptive field of one output pixel
 * @g: geometry
 * @dst: @len bytes: the K = KH * KW * Cgi patch values, then zero padding
 * @img: the image (NHWC, one batch element)
 * @oy: output row
 * @ox: output column
 * @ci0: first input channel of the group
 * @zp: input zero point, written for padded taps
 * @len: bytes to write, >= K
 *
 * Every byte written is XORed with @g->flip.
 */
void vis_im2col_patch(const struct vis_im2col *g, s8 *dst, const s8 *img,
		      u32 oy, u32 ox, u32 ci0, s8 zp, u32 len)
{
	const struct vision_model_conv *p = g->p;
	/* Parameters are <= 2^16, coordinates < 2^16: s64 is exact. */
	s64 iy0 = (s64)oy * p->stride_h - p->pad_top;
	s64 ix0 = (s64)ox * p->stride_w - p->pad_left;
	size_t run = (size_t)g->kw * g->cgi;
	size_t k = run * g->kh;
	u32 ky, kx;

	for (ky = 0; ky < g->kh; ky++, dst += run) {
		s64 iy = iy0 + (s64)ky * p->dilation_h;
		const s8 *row;

		if (iy < 0 || iy >= g->h) {
			memset(dst, zp ^ g->flip, run);
			continue;
		}
		row = img + (size_t)iy * g->w * g->cin + ci0;
		if (p->dilation_w == 1 && g->cgi == g->cin) {
			/* The in-bounds taps of the row are contiguous. */
			s64 lo = clamp_t(s64, -ix0, 0, g->kw);
			s64 hi = clamp_t(s64, (s64)g->w - ix0, lo, g->kw);

			if (lo)
				memset(dst, zp ^ g->flip, (size_t)lo * g->cin);
			/* None in bounds: ix0 + lo may lie outside the row. */
			if (hi > lo)
				vis_im2col_copy(g, dst + (size_t)lo * g->cin,
						row + (size_t)(ix0 + lo) *
								g->cin,
						(size_t)(hi - lo) * g->cin);
			if (hi < g->kw)
				memset(dst + (size_t)hi * g->cin, zp ^ g->flip,
				       (size_t)(g->kw - hi) * g->cin);
			continue;
		}
		for (kx = 0; kx < g->kw; kx++) {
			s64 ix = ix0 + (s64)kx * p->dilation_w;
			s8 *d = dst + (size_t)kx * g->cgi;

			if (ix < 0 || ix >= g->w)
				memset(d, zp ^ g->flip, g->cgi);
			else
				vis_im2col_copy(g, d, row + (size_t)ix * g->cin,
						g->cgi);
		}
	}
	if (len > k)
		memset(dst, g->flip, len - k);
}
