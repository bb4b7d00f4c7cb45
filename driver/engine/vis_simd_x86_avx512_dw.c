// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX-512 depthwise kernel
 *
 * &vis_kernels.dw_conv for the avx512bw and avx512vnni tables, compiled
 * with the AVX-512 F/BW/VL/DQ flags (scripts/simd-flags.sh); in the kernel
 * only between vis_simd_begin() and vis_simd_end().
 *
 * Channels are processed 32 at a time (two vectors of 16 int32
 * accumulators), the filter and requant values of the block held in
 * registers while the block walks every pixel of the call. Products are
 * int8 sign-extended to int32 and multiplied with vpmulld: exact.
 *
 * Requantization is exact too: SaturatingRoundingDoublingHighMul is
 * floor((x * mult + 2^30) / 2^31) (gemmlowp's nudge and truncation reduce
 * to this, and the saturating case cannot occur as mult is never S32_MIN),
 * formed from 64-bit products of the even and the odd lanes; the rounding
 * divide is done with per-lane shifts. Tails use masked loads and stores,
 * so nothing past the channels is touched.
 */

#include "vis_engine.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

/* Vectors of 16 channels per block. */
#define VIS_AVX512_DW_NV 2

/* floor((a * b + 2^30) / 2^31) per lane, exact for b != S32_MIN. */
static __always_inline __m512i vis_avx512_srdhm(__m512i a, __m512i b)
{
	const __m512i nudge = _mm512_set1_epi64(1ll << 30);
	__m512i even = _mm512_add_epi64(_mm512_mul_epi32(a, b), nudge);
	__m512i odd =
		_mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(a, 32),
						  _mm512_srli_epi64(b, 32)),
				 nudge);

	/* Bits 31..62 of each sum: the result, which fits in 32 bits. */
	return _mm512_mask_blend_epi32(0xaaaa, _mm512_srli_epi64(even, 31),
				       _mm512_slli_epi64(odd, 1));
}

/* RoundingDivideByPOT by per-lane exponents @e in [0, 31]. */
static __always_inline __m512i vis_avx512_rdbpot(__m512i x, __m512i e)
{
	const __m512i one = _mm512_set1_epi32(1);
	__m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, e), one);
	__m512i rem = _mm512_and_si512(x, mask);
	__m512i thr = _mm512_sub_epi32(_mm512_srli_epi32(mask, 1),
				       _mm512_srai_epi32(x, 31));
	__m512i q = _mm512_srav_epi32(x, e);

	return _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(rem, thr), q,
				     one);
}

/* @acc + the products of the int8 at @x and int32 at @w in lanes @k. */
static __always_inline __m512i vis_avx512_mac(__m512i acc, const s8 *x,
					      const s32 *w, __mmask16 k)
{
	__m512i xv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(k, x));
	__m512i wv = _mm512_maskz_loadu_epi32(k, w);

	return _mm512_add_epi32(acc, _mm512_mullo_epi32(xv, wv));
}

/*
 * Channels [c0, c0 + 16 * nv) of every pixel, the last vector limited to
 * the lanes of @tail. @nv is a constant after inlining.
 */
static __always_inline void vis_avx512_dw_block(const struct vis_dw_args *a,
						u32 c0, u32 nv, __mmask16 tail)
{
	const __m512i lo = _mm512_set1_epi32(a->act_min);
	const __m512i hi = _mm512_set1_epi32(a->act_max);
	const __m512i zp = _mm512_set1_epi32(a->out_zp);
	const __m512i m256 = _mm512_set1_epi32(-256);
	const __m512i p256 = _mm512_set1_epi32(256);
	const __m512i zero = _mm512_setzero_si512();
	__m512i bias[VIS_AVX512_DW_NV], mult[VIS_AVX512_DW_NV];
	__m512i left[VIS_AVX512_DW_NV], right[VIS_AVX512_DW_NV];
	__m512i acc[VIS_AVX512_DW_NV];
	__mmask16 mk[VIS_AVX512_DW_NV];
	u32 p, t, v;

#pragma GCC unroll 2
	for (v = 0; v < nv; v++) {
		u32 c = c0 + 16 * v;
		__m512i sh;

		mk[v] = v == nv - 1 ? tail : (__mmask16)0xffff;
		bias[v] = _mm512_maskz_loadu_epi32(mk[v], a->bias + c);
		mult[v] = _mm512_maskz_loadu_epi32(mk[v], a->mult + c);
		sh = _mm512_maskz_loadu_epi32(mk[v], a->shift + c);
		left[v] = _mm512_max_epi32(sh, zero);
		right[v] = _mm512_max_epi32(_mm512_sub_epi32(zero, sh), zero);
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
				acc[v] = vis_avx512_mac(acc[v], x + 16 * v,
							w + 16 * v, mk[v]);
			}
		}
#pragma GCC unroll 2
		for (v = 0; v < nv; v++) {
			__m512i r = _mm512_sllv_epi32(acc[v], left[v]);

			r = vis_avx512_srdhm(r, mult[v]);
			r = vis_avx512_rdbpot(r, right[v]);
			r = _mm512_min_epi32(_mm512_max_epi32(r, m256), p256);
			r = _mm512_add_epi32(r, zp);
			r = _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
			_mm512_mask_cvtepi32_storeu_epi8(o + 16 * v, mk[v], r);
		}
	}
}

void vis_dw_conv_avx512(const struct vis_dw_args *a)
{
	u32 c0 = 0, rest;

	for (; c0 + 32 <= a->c; c0 += 32)
		vis_avx512_dw_block(a, c0, 2, 0xffff);
	rest = a->c - c0;
	if (rest > 16)
		vis_avx512_dw_block(a, c0, 2,
				    (__mmask16)((1u << (rest - 16)) - 1));
	else if (rest)
		vis_avx512_dw_block(a, c0, 1, (__mmask16)((1u << rest) - 1));
}
