// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: NEON depthwise kernel
 *
 * &vis_kernels.dw_conv for the neon-dotprod table, compiled with
 * -march=armv8.2-a+dotprod (scripts/simd-flags.sh); in the kernel only
 * between vis_simd_begin() and vis_simd_end().
 *
 * Channels are processed 16 at a time (four vectors of 4 int32
 * accumulators), then 8, the requant values of the block held in
 * registers while the block walks every pixel of the call. Input and
 * filter are sign-extended to int16 and multiplied into the int32
 * accumulators with smlal: exact.
 *
 * Requantization is exact: SaturatingRoundingDoublingHighMul is what
 * sqrdmulh computes (gemmlowp's own NEON path uses it), and the rounding
 * divide is done with per-lane shifts, as the scalar reference does it.
 * The last channels (fewer than 8) go through the scalar reference, so no
 * load reaches past the channels.
 */

#include "vis_engine.h"
#include "vis_simd_gemm.h"
#include "vis_quant.h"

/* int32x4 vectors per block. */
#define VIS_NEON_DW_NV 4

/* RoundingDivideByPOT by per-lane exponents @e in [0, 31]. */
static __always_inline int32x4_t vis_neon_rdbpot(int32x4_t x, int32x4_t e)
{
	const int32x4_t one = vdupq_n_s32(1);
	int32x4_t mask = vsubq_s32(vshlq_s32(one, e), one);
	int32x4_t rem = vandq_s32(x, mask);
	int32x4_t thr = vsubq_s32(vshrq_n_s32(mask, 1), vshrq_n_s32(x, 31));
	int32x4_t q = vshlq_s32(x, vnegq_s32(e));

	return vsubq_s32(q, vreinterpretq_s32_u32(vcgtq_s32(rem, thr)));
}

/* Channels [c0, c0 + 4 * nv) of every pixel; @nv (2 or 4) is a constant. */
static __always_inline void vis_neon_dw_block(const struct vis_dw_args *a,
					      u32 c0, u32 nv)
{
	const int32x4_t zero = vdupq_n_s32(0);
	const int32x4_t m256 = vdupq_n_s32(-256);
	const int32x4_t p256 = vdupq_n_s32(256);
	const int32x4_t zp = vdupq_n_s32(a->out_zp);
	const int32x4_t lo = vdupq_n_s32(a->act_min);
	const int32x4_t hi = vdupq_n_s32(a->act_max);
	int32x4_t bias[VIS_NEON_DW_NV], mult[VIS_NEON_DW_NV];
	int32x4_t left[VIS_NEON_DW_NV], right[VIS_NEON_DW_NV];
	int32x4_t acc[VIS_NEON_DW_NV];
	int16x4_t n16[VIS_NEON_DW_NV];
	u32 p, t, v;

#pragma GCC unroll 4
	for (v = 0; v < nv; v++) {
		u32 c = c0 + 4 * v;
		int32x4_t sh = vld1q_s32(a->shift + c);

		bias[v] = vld1q_s32(a->bias + c);
		mult[v] = vld1q_s32(a->mult + c);
		left[v] = vmaxq_s32(sh, zero);
		right[v] = vmaxq_s32(vnegq_s32(sh), zero);
	}
	for (p = 0; p < a->npix; p++) {
		s8 *o = a->out + (size_t)p * a->out_stride + c0;

#pragma GCC unroll 4
		for (v = 0; v < nv; v++)
			acc[v] = bias[v];
		for (t = 0; t < a->ntaps; t++) {
			const s8 *x = vis_dw_tap(a, p, t) + c0;
			const s8 *w = a->w + (size_t)t * a->c + c0;

#pragma GCC unroll 2
			for (v = 0; v < nv; v += 2) {
				int16x8_t x16 = vmovl_s8(vld1_s8(x + 4 * v));
				int16x8_t w16 = vmovl_s8(vld1_s8(w + 4 * v));

				acc[v] = vmlal_s16(acc[v], vget_low_s16(x16),
						   vget_low_s16(w16));
				acc[v + 1] = vmlal_s16(acc[v + 1],
						       vget_high_s16(x16),
						       vget_high_s16(w16));
			}
		}
#pragma GCC unroll 4
		for (v = 0; v < nv; v++) {
			int32x4_t r = vshlq_s32(acc[v], left[v]);

			r = vqrdmulhq_s32(r, mult[v]);
			r = vis_neon_rdbpot(r, right[v]);
			r = vminq_s32(vmaxq_s32(r, m256), p256);
			r = vaddq_s32(r, zp);
			r = vminq_s32(vmaxq_s32(r, lo), hi);
			n16[v] = vmovn_s32(r);
		}
#pragma GCC unroll 2
		for (v = 0; v < nv; v += 2)
			vst1_s8(o + 4 * v,
				vmovn_s16(vcombine_s16(n16[v], n16[v + 1])));
	}
}

void vis_dw_conv_neon(const struct vis_dw_args *a)
{
	u32 c0 = 0;

	for (; c0 + 16 <= a->c; c0 += 16)
		vis_neon_dw_block(a, c0, 4);
	if (c0 + 8 <= a->c) {
		vis_neon_dw_block(a, c0, 2);
		c0 += 8;
	}
	if (c0 < a->c)
		vis_dw_conv_tail(a, c0);
}
