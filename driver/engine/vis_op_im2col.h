/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_OP_IM2COL_H__
#define __VIS_OP_IM2COL_H__

#include "vis_engine.h"

/**
 * struct vis_im2col - the geometry a convolution patch is read with
 * @p: the convolution's parameters (stride, dilation, padding)
 * @h: input height
 * @w: input width
 * @cin: input channels
 * @kh: kernel height
 * @kw: kernel width
 * @cgi: input channels per group
 * @flip: XORed into every byte written (0, or 0x80 for kernels that take
 *	activations biased to unsigned)
 * @copy_flip: copies the input runs when @flip is not 0 (&struct
 *	vis_kernels.copy_flip or vis_copy_flip_ref())
 */
struct vis_im2col {
	const struct vision_model_conv *p;
	u32 h, w, cin, kh, kw, cgi;
	u8 flip;
	void (*copy_flip)(s8 *dst, const s8 *src, size_t n, u8 flip);
};

void vis_im2col_patch(const struct vis_im2col *g, s8 *dst, const s8 *img,
		      u32 oy, u32 ox, u32 ci0, s8 zp, u32 len);
void vis_im2col_patches(const struct vis_im2col *g, s8 *dst, size_t ldd,
			const s8 *img, u32 oy, u32 ox, u32 np, u32 ci0, s8 zp,
			u32 len);

#endif /* __VIS_OP_IM2COL_H__ */
