// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX2 depthwise kernel
 *
 * &vis_kernels.dw_conv for the avx2 table, compiled with -mavx2
 * (scripts/simd-flags.sh); in the kernel only between vis_simd_begin() and
 * vis_simd_end().
 *
 * Channels are processed 16 at a time (two vectors of 8 int32
 * accumulators), then 8, the filter and requant values of the block held
 * in registers while the block walks every pixel of the call. Products are
 * int8 sign-extended to int32 and multiplied with vpmulld: exact.
 *
 * Requantization is exact too: SaturatingRoundingDoublingHighMul is
 * floor((x * mult + 2^30) / 2^31) (gemmlowp's nudge and truncation reduce
 * to this, and the saturating case cannot occur as mult is never S32_MIN),
 * formed with vpmuldq on the even and the odd lanes; the rounding divide
 * uses per-lane shifts. The last channels (fewer than 8) go through the
 * scalar reference, so no load reaches past the channels.
 */

#include "vis_engine.h"
#include "vis_simd_gemm.h"
#include "vis_quant.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

/* Vectors of 8 channels per block. */
#define VIS_AVX2_DW_NV 2

/* floor((a * b + 2^30) / 2^31) per lane, exact for b != S32_MIN. */
static __always_inline __m256i vis_avx2_srdhm(__m256i a, __m256i b)
{
	const __m256i nudge = _mm256_set1_epi64x(1ll << 30);
	__m256i even = _mm256_add_epi64(_mm256_mul_epi32(a, b), nudge);
	__m256i odd =
		_mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32),
						  _mm256_srli_epi64(b, 32)),
				 nudge);

	/* Bits 31..62 of each sum: the result, which fits in 32 bits. */
	return _mm256_blend_epi32(_mm256_srli_epi64(even, 31),
				  _mm256_slli_epi64(odd, 1), 0xaa);
}

/* RoundingDivideByPOT by per-lane exponents @e in [0, 31]. */
static __always_inline __m256i vis_avx2_rdbpot(__m256i x, __m256i e)
{
	const __m256i one = _mm256_set1_epi32(1);
	__m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, e), one);
	__m256i rem = _mm256_and_si256(x, mask);
	__m256i thr = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1),
				       _mm256_srai_epi32(x, 31));

	return _mm256_sub_epi32(_mm256_srav_epi32(x, e),
				_mm256_cmpgt_epi32(rem, thr));
}

/* The low bytes of the 8 lanes of @v (each in [-128, 127]) to @o. */
static __always_inline void vis_avx2_store8(s8 *o, __m256i v)
{
	const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1,
					      -1, -1, -1, -1, -1, -1, -1, 0, 4,
					      8, 12, -1, -1, -1, -1, -1, -1, -1,
					      -1, -1, -1, -1, -1);
	__m256i b = _mm256_shuffle_epi8(v, pick);

	b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 1, 1, 1,
							     1, 1));
	_mm_storel_epi64((__m128i *)o, _mm256_castsi256_si128(b));
}

/* @acc + the products of 8 int8 at @x and 8 int32 at @w: exact. */
static __always_inline __m256i vis_avx2_mac(__m256i acc, const s8 *x,
					    const s32 *w)
{
	__m256i xv = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)x));
	__m256i wv = _mm256_loadu_si256((const __m256i *)w);

	return _mm256_add_epi32(acc, _mm256_mullo_epi32(xv, wv));
}

/* @v clamped to [@lo, @hi] per lane. */
static __always_inline __m256i vis_avx2_clamp(__m256i v, s32 lo, s32 hi)
{
	v = _mm256_max_epi32(v, _mm256_set1_epi32(lo));
	return _mm256_min_epi32(v, _mm256_set1_epi32(hi));
}

/* Channels [c0, c0 + 8 * nv) of every pixel; @nv is a constant. */
static __always_inline void vis_avx2_dw_block(const struct vis_dw_args *a,
					      u32 c0, u32 nv)
{
	const __m256i zero = _mm256_setzero_si256();
	__m256i bias[VIS_AVX2_DW_NV], mult[VIS_AVX2_DW_NV];
	__m256i left[VIS_AVX2_DW_NV], right[VIS_AVX2_DW_NV];
	__m256i acc[VIS_AVX2_DW_NV];
	u32 p, t, v;

#pragma GCC unroll 2
	for (v = 0; v < nv; v++) {
		u32 c = c0 + 8 * v;
		__m256i sh;

		bias[v] = _mm256_loadu_si256((const __m256i *)(a->bias + c));
		mult[v] = _mm256_loadu_si256((const __m256i *)(a->mult + c));
		sh = _mm256_loadu_si256((const __m256i *)(a->shift + c));
		left[v] = _mm256_max_epi32(sh, zero);
		right[v] = _mm256_max_epi32(_mm256_sub_epi32(zero, sh), zero);
	}
	for (p = 0; p < a->npix; p++) {
		const s8 *const *taps = a->taps + (size_t)p * a->ntaps;
		s8 *o = a->out + (size_t)p * a->out_stride + c0;

#pragma GCC unroll 2
		for (v = 0; v < nv; v++)
			acc[v] = bias[v];
		for (t = 0; t < a->ntaps; t++) {
			const s8 *x = taps[t] + c0;
			const s32 *w = a->w + (size_t)t * a->c + c0;

#pragma GCC unroll 2
			for (v = 0; v < nv; v++) {
				acc[v] = vis_avx2_mac(acc[v], x + 8 * v,
						      w + 8 * v);
			}
		}
#pragma GCC unroll 2
		for (v = 0; v < nv; v++) {
			__m256i r = _mm256_sllv_epi32(acc[v], left[v]);

			r = vis_avx2_srdhm(r, mult[v]);
			r = vis_avx2_rdbpot(r, right[v]);
			r = vis_avx2_clamp(r, -256, 256);
			r = _mm256_add_epi32(r, _mm256_set1_epi32(a->out_zp));
			r = vis_avx2_clamp(r, a->act_min, a->act_max);
			vis_avx2_store8(o + 8 * v, r);
		}
	}
}

void vis_dw_conv_avx2(const struct vis_dw_args *a)
{
	u32 c0 = 0;

	for (; c0 + 16 <= a->c; c0 += 16)
		vis_avx2_dw_block(a, c0, 2);
	if (c0 + 8 <= a->c) {
		vis_avx2_dw_block(a, c0, 1);
		c0 += 8;
	}
	if (c0 < a->c)
		vis_dw_conv_tail(a, c0);
}
