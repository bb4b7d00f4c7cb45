/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_SIMD_GEMM_H__
#define __VIS_SIMD_GEMM_H__

/**
 * DOC: GEMM epilogue kernels
 *
 * The per-ISA implementations of &struct vis_kernels.requant_s8, defined
 * in the vis_simd_<arch>_<isa>_gemm.c files and put into the tables by
 * the per-ISA table files, and the one-element reference they and the
 * portable table share (for tails).
 */

#include "vis_engine.h"
#include "vis_quant.h"

/**
 * vis_requant_one() - requantize one accumulator to int8
 * @acc: raw sum
 * @bias: folded bias, added modulo 2^32
 * @rq: valid multiplier (vis_check_requant())
 * @zp: output zero point
 * @lo: activation minimum, >= -128
 * @hi: activation maximum, <= 127
 *
 * Return: clamp(clamp(MBQM(@acc + @bias), -256, 256) + @zp, @lo, @hi).
 */
static __always_inline s8 vis_requant_one(s32 acc, s32 bias,
					  const struct vision_model_requant *rq,
					  s32 zp, s32 lo, s32 hi)
{
	s32 v = vis_mbqm((s32)((u32)acc + (u32)bias), rq->multiplier,
			 rq->shift);

	/* Any |v| > 256 saturates anyway; clamping first avoids overflow. */
	v = clamp_t(s32, v, -256, 256);
	return vis_sat8(v + zp, lo, hi);
}

#if defined(__x86_64__)
void vis_gemm_s8_kidx_avx512vnni(const u8 *a, u32 np, size_t lda, const s8 *bp,
				 const u32 *kidx, u32 nk, const s32 *bsum,
				 u32 n, s32 *acc, u32 ldc);
void vis_gemm_s8_packed_avx512vnni(const u8 *a, u32 np, size_t lda,
				   const s8 *bp, const s32 *bsum, u32 n, u32 k,
				   s32 *acc, u32 ldc);
void vis_requant_s8_avx2(const s32 *acc, const s32 *bias,
			 const struct vision_model_requant *rq, u32 n, s32 zp,
			 s32 lo, s32 hi, s8 *out);
void vis_requant_s8_avx512(const s32 *acc, const s32 *bias,
			   const struct vision_model_requant *rq, u32 n, s32 zp,
			   s32 lo, s32 hi, s8 *out);
#elif defined(__aarch64__)
void vis_requant_s8_neon(const s32 *acc, const s32 *bias,
			 const struct vision_model_requant *rq, u32 n, s32 zp,
			 s32 lo, s32 hi, s8 *out);
#endif

void vis_dw_conv_tail(const struct vis_dw_args *a, u32 c0);

#endif /* __VIS_SIMD_GEMM_H__ */
