// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: NEON GEMM epilogue
 *
 * Per-channel requantization of eight accumulators at a time, bit-exact
 * with vis_requant_one(). sqrdmulh computes floor((2 * a * b + 2^31) /
 * 2^32), saturating S32_MIN * S32_MIN, which is exactly gemmlowp's
 * SaturatingRoundingDoublingHighMul (its sign-dependent nudge with
 * truncation toward zero comes to the same). RoundingDivideByPOT uses
 * per-lane shifts. Tails go through the scalar reference, so nothing past
 * @n elements is read or written.
 */

#include "vis_simd_gemm.h"

#include <arm_neon.h>

/* Four channels, up to the clamp to the activation range. */
static __always_inline int32x4_t vis_neon_requant4(int32x4_t x, int32x4x2_t r,
						   int32x4_t vzp, int32x4_t vlo,
						   int32x4_t vhi)
{
	const int32x4_t zero = vdupq_n_s32(0);
	const int32x4_t one = vdupq_n_s32(1);
	int32x4_t left, right, mask, rem, thr;

	left = vmaxq_s32(r.val[1], zero);
	right = vmaxq_s32(vnegq_s32(r.val[1]), zero);
	x = vqrdmulhq_s32(vshlq_s32(x, left), r.val[0]);

	mask = vsubq_s32(vshlq_s32(one, right), one);
	rem = vandq_s32(x, mask);
	thr = vsubq_s32(vshrq_n_s32(mask, 1), vshrq_n_s32(x, 31));
	x = vsubq_s32(vshlq_s32(x, vnegq_s32(right)),
		      vreinterpretq_s32_u32(vcgtq_s32(rem, thr)));

	x = vminq_s32(vmaxq_s32(x, vdupq_n_s32(-256)), vdupq_n_s32(256));
	x = vaddq_s32(x, vzp);
	return vminq_s32(vmaxq_s32(x, vlo), vhi);
}

void vis_requant_s8_neon(const s32 *acc, const s32 *bias,
			 const struct vision_model_requant *rq, u32 n, s32 zp,
			 s32 lo, s32 hi, s8 *out)
{
	const int32x4_t vzp = vdupq_n_s32(zp);
	const int32x4_t vlo = vdupq_n_s32(lo);
	const int32x4_t vhi = vdupq_n_s32(hi);
	int32x4_t x0, x1;
	int16x8_t h;
	u32 i;

	for (i = 0; i + 8 <= n; i += 8) {
		x0 = vaddq_s32(vld1q_s32(acc + i), vld1q_s32(bias + i));
		x1 = vaddq_s32(vld1q_s32(acc + i + 4), vld1q_s32(bias + i + 4));
		/* {mult, shift} pairs, deinterleaved. */
		x0 = vis_neon_requant4(x0, vld2q_s32((const s32 *)(rq + i)),
				       vzp, vlo, vhi);
		x1 = vis_neon_requant4(x1, vld2q_s32((const s32 *)(rq + i + 4)),
				       vzp, vlo, vhi);
		h = vcombine_s16(vmovn_s32(x0), vmovn_s32(x1));
		vst1_s8(out + i, vmovn_s16(h));
	}
	for (; i < n; i++)
		out[i] = vis_requant_one(acc[i], bias[i], &rq[i], zp, lo, hi);
}
