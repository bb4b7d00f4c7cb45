// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX2 GEMM epilogue
 *
 * Per-channel requantization of eight accumulators at a time, bit-exact
 * with vis_requant_one(). SaturatingRoundingDoublingHighMul is
 * floor((a * b + 2^30) / 2^31) for every product (gemmlowp's
 * sign-dependent nudge with truncation toward zero comes to the same),
 * computed from the 64-bit products of the even and the odd lanes; the
 * saturating case S32_MIN * S32_MIN cannot occur with a valid multiplier.
 * RoundingDivideByPOT uses per-lane shifts. Tails go through the scalar
 * reference, so nothing past @n elements is read or written.
 */

#include "vis_simd_gemm.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

/* floor((a * b + 2^30) / 2^31) per lane, low 32 bits. */
static __always_inline __m256i vis_avx2_srdhm(__m256i a, __m256i b)
{
	const __m256i nudge = _mm256_set1_epi64x(1ll << 30);
	__m256i even, odd;

	even = _mm256_add_epi64(_mm256_mul_epi32(a, b), nudge);
	odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32),
						_mm256_srli_epi64(b, 32)),
			       nudge);
	even = _mm256_srli_epi64(even, 31);
	odd = _mm256_slli_epi64(odd, 1);
	return _mm256_blend_epi32(even, odd, 0xaa);
}

void vis_requant_s8_avx2(const s32 *acc, const s32 *bias,
			 const struct vision_model_requant *rq, u32 n, s32 zp,
			 s32 lo, s32 hi, s8 *out)
{
	const __m256i deint = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
	const __m256i one = _mm256_set1_epi32(1);
	const __m256i zero = _mm256_setzero_si256();
	const __m256i vzp = _mm256_set1_epi32(zp);
	const __m256i vlo = _mm256_set1_epi32(lo);
	const __m256i vhi = _mm256_set1_epi32(hi);
	const __m256i m256 = _mm256_set1_epi32(256);
	const __m256i n256 = _mm256_set1_epi32(-256);
	__m256i x, r0, r1, mult, shift, left, right, mask, rem, thr;
	__m128i p16;
	u32 i;

	for (i = 0; i + 8 <= n; i += 8) {
		x = _mm256_loadu_si256((const __m256i *)(acc + i));
		r0 = _mm256_loadu_si256((const __m256i *)(bias + i));
		x = _mm256_add_epi32(x, r0);
		/* {mult, shift} pairs: m0..m3 s0..s3 and m4..m7 s4..s7. */
		r0 = _mm256_loadu_si256((const __m256i *)(rq + i));
		r1 = _mm256_loadu_si256((const __m256i *)(rq + i + 4));
		r0 = _mm256_permutevar8x32_epi32(r0, deint);
		r1 = _mm256_permutevar8x32_epi32(r1, deint);
		mult = _mm256_permute2x128_si256(r0, r1, 0x20);
		shift = _mm256_permute2x128_si256(r0, r1, 0x31);
		left = _mm256_max_epi32(shift, zero);
		right = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);

		x = vis_avx2_srdhm(_mm256_sllv_epi32(x, left), mult);

		mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
		rem = _mm256_and_si256(x, mask);
		thr = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1),
				       _mm256_srai_epi32(x, 31));
		x = _mm256_sub_epi32(_mm256_srav_epi32(x, right),
				     _mm256_cmpgt_epi32(rem, thr));

		x = _mm256_min_epi32(_mm256_max_epi32(x, n256), m256);
		x = _mm256_add_epi32(x, vzp);
		x = _mm256_min_epi32(_mm256_max_epi32(x, vlo), vhi);
		p16 = _mm_packs_epi32(_mm256_castsi256_si128(x),
				      _mm256_extracti128_si256(x, 1));
		_mm_storel_epi64((__m128i *)(out + i),
				 _mm_packs_epi16(p16, p16));
	}
	for (; i < n; i++)
		out[i] = vis_requant_one(acc[i], bias[i], &rq[i], zp, lo, hi);
}
