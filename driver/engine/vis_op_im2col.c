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
 * @n >= 8 bytes XOR the byte @flip repeated in @f, as 8-byte words, the
 * last one overlapping: biasing a patch costs little more than copying.
 */
static __always_inline void vis_copy_flip_words(s8 *dst, const s8 *src,
						size_t n, u64 f)
{
	size_t i;
	u64 v;

	for (i = 0; i + 8 < n; i += 8) {
		memcpy(&v, src + i, 8);
		v ^= f;
		memcpy(dst + i, &v, 8);
	}
	memcpy(&v, src + n - 8, 8);
	v ^= f;
	memcpy(dst + n - 8, &v, 8);
}

void vis_copy_flip_ref(s8 *dst, const s8 *src, size_t n, u8 flip)
{
	size_t i;

	if (n < 8) {
		for (i = 0; i < n; i++)
			dst[i] = (s8)(src[i] ^ flip);
		return;
	}
	vis_copy_flip_words(dst, src, n, 0x0101010101010101ULL * flip);
}

/*
 * Copy @n bytes, each XOR @g->flip: short runs (the rows of a stem's patch
 * are a few dozen bytes) in line, long ones with the library's memcpy() or
 * the table's copy_flip().
 */
static __always_inline void vis_im2col_copy(const struct vis_im2col *g, s8 *dst,
					    const s8 *src, size_t n)
{
	size_t i;

	if (n > 64) {
		if (g->flip)
			g->copy_flip(dst, src, n, g->flip);
		else
			memcpy(dst, src, n);
		return;
	}
	if (n < 8) {
		for (i = 0; i < n; i++)
			dst[i] = (s8)(src[i] ^ g->flip);
		return;
	}
	vis_copy_flip_words(dst, src, n, 0x0101010101010101ULL * g->flip);
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
	for (; k < len; k++)
		*dst++ = (s8)g->flip;
}

/**
 * vis_im2col_patches() - vis_im2col_patch() for a run of pixels of a row
 * @g: geometry
 * @dst: patch i at @dst + i * @ldd
 * @ldd: bytes between patches, >= @len
 * @img: the image (NHWC, one batch element)
 * @oy: output row
 * @ox: first output column
 * @np: pixels
 * @ci0: first input channel of the group
 * @zp: input zero point
 * @len: bytes per patch, >= K
 *
 * The pixels whose window lies within the image's columns, when each of
 * its rows is one contiguous run, are gathered a kernel row at a time for
 * all of them: the row's address is computed once and each run is a
 * short copy (a stem with Cin = 3 has runs of 9 or 21 bytes, and paid
 * more for the per-pixel bookkeeping than for its multiplications).
 */
void vis_im2col_patches(const struct vis_im2col *g, s8 *dst, size_t ldd,
			const s8 *img, u32 oy, u32 ox, u32 np, u32 ci0, s8 zp,
			u32 len)
{
	const struct vision_model_conv *p = g->p;
	size_t run = (size_t)g->kw * g->cgi, k = run * g->kh, step;
	s64 iy0 = (s64)oy * p->stride_h - p->pad_top, ia, ib;
	u32 a = ox, b = ox, i, ky;
	const s8 *src;
	s8 *d;

	if (p->dilation_w == 1 && g->cgi == g->cin && g->w >= g->kw) {
		/* Interior columns: 0 <= x * sw - pad_left <= w - kw. */
		ia = DIV_ROUND_UP((s64)p->pad_left, p->stride_w);
		ib = ((s64)g->w - g->kw + p->pad_left) / p->stride_w + 1;
		a = (u32)clamp_t(s64, ia, ox, (s64)ox + np);
		b = (u32)clamp_t(s64, ib, a, (s64)ox + np);
	}
	for (i = ox; i < a; i++)
		vis_im2col_patch(g, dst + (i - ox) * ldd, img, oy, i, ci0, zp,
				 len);
	for (i = b; i < ox + np; i++)
		vis_im2col_patch(g, dst + (i - ox) * ldd, img, oy, i, ci0, zp,
				 len);
	if (a == b)
		return;
	step = (size_t)p->stride_w * g->cin;
	for (ky = 0; ky < g->kh; ky++) {
		s64 iy = iy0 + (s64)ky * p->dilation_h;

		d = dst + (a - ox) * ldd + ky * run;
		if (iy < 0 || iy >= g->h) {
			for (i = a; i < b; i++, d += ldd)
				memset(d, zp ^ g->flip, run);
			continue;
		}
		src = img +
		      ((size_t)iy * g->w +
		       ((size_t)a * p->stride_w - p->pad_left)) *
			      g->cin +
		      ci0;
		for (i = a; i < b; i++, d += ldd, src += step)
			vis_im2col_copy(g, d, src, run);
	}
	for (i = a; i < b; i++)
		for (d = dst + (i - ox) * ldd + k;
		     d < dst + (i - ox) * ldd + len; d++)
			*d = (s8)g->flip;
}
