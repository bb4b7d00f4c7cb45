/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * AVX-512 helpers shared by the AVX-512 kernel files; include after
 * <immintrin.h>, from files compiled with the AVX-512 flags only.
 */
#ifndef __VIS_SIMD_X86_AVX512_H__
#define __VIS_SIMD_X86_AVX512_H__

/* Horizontal sums of four vectors, in order, in one 128-bit vector. */
static __always_inline __m128i vis_avx512_hsum4(__m512i v0, __m512i v1,
						__m512i v2, __m512i v3)
{
	__m256i h0, h1, h2, h3, s;

	h0 = _mm256_add_epi32(_mm512_castsi512_si256(v0),
			      _mm512_extracti64x4_epi64(v0, 1));
	h1 = _mm256_add_epi32(_mm512_castsi512_si256(v1),
			      _mm512_extracti64x4_epi64(v1, 1));
	h2 = _mm256_add_epi32(_mm512_castsi512_si256(v2),
			      _mm512_extracti64x4_epi64(v2, 1));
	h3 = _mm256_add_epi32(_mm512_castsi512_si256(v3),
			      _mm512_extracti64x4_epi64(v3, 1));
	s = _mm256_hadd_epi32(_mm256_hadd_epi32(h0, h1),
			      _mm256_hadd_epi32(h2, h3));
	return _mm_add_epi32(_mm256_castsi256_si128(s),
			     _mm256_extracti128_si256(s, 1));
}

/*
 * Transpose 16 vectors of 16 dwords in place: afterwards v[j] lane i holds
 * what v[i] lane j held.
 */
static __always_inline void vis_avx512_transpose16(__m512i v[16])
{
	__m512i t[16];
	u32 i, m;

#pragma GCC unroll 8
	for (i = 0; i < 16; i += 2) {
		t[i] = _mm512_unpacklo_epi32(v[i], v[i + 1]);
		t[i + 1] = _mm512_unpackhi_epi32(v[i], v[i + 1]);
	}
	/* v[4q + m], 128-bit block k: rows 4q..4q+3 of pixel 4k + m. */
#pragma GCC unroll 4
	for (i = 0; i < 16; i += 4) {
		v[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
		v[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
		v[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
		v[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
	}
	/* Gather block k of the four row quads: pixel 4k + m, rows 0..15. */
#pragma GCC unroll 4
	for (m = 0; m < 4; m++) {
		__m512i dlo = _mm512_shuffle_i32x4(v[m], v[4 + m], 0x88);
		__m512i dhi = _mm512_shuffle_i32x4(v[m], v[4 + m], 0xdd);
		__m512i elo = _mm512_shuffle_i32x4(v[8 + m], v[12 + m], 0x88);
		__m512i ehi = _mm512_shuffle_i32x4(v[8 + m], v[12 + m], 0xdd);

		t[m] = _mm512_shuffle_i32x4(dlo, elo, 0x88);
		t[8 + m] = _mm512_shuffle_i32x4(dlo, elo, 0xdd);
		t[4 + m] = _mm512_shuffle_i32x4(dhi, ehi, 0x88);
		t[12 + m] = _mm512_shuffle_i32x4(dhi, ehi, 0xdd);
	}
#pragma GCC unroll 16
	for (i = 0; i < 16; i++)
		v[i] = t[i];
}

/*
 * floor((a * b + 2^30) / 2^31) per lane (SaturatingRoundingDoublingHighMul
 * for b != S32_MIN), with @bodd = @b >> 32 per 64-bit lane precomputed:
 * the products of the even and the odd lanes in 64 bits, bits 31..62 of
 * each sum (the result, which fits in 32 bits) blended back.
 */
static __always_inline __m512i vis_avx512_srdhm2(__m512i a, __m512i b,
						 __m512i bodd)
{
	const __m512i nudge = _mm512_set1_epi64(1ll << 30);
	__m512i aodd = _mm512_srli_epi64(a, 32);
	__m512i even = _mm512_add_epi64(_mm512_mul_epi32(a, b), nudge);
	__m512i odd = _mm512_add_epi64(_mm512_mul_epi32(aodd, bodd), nudge);

	return _mm512_mask_blend_epi32(0xaaaa, _mm512_srli_epi64(even, 31),
				       _mm512_slli_epi64(odd, 1));
}

/* vis_avx512_srdhm2() with the odd lanes' multipliers taken here. */
static __always_inline __m512i vis_avx512_srdhm(__m512i a, __m512i b)
{
	return vis_avx512_srdhm2(a, b, _mm512_srli_epi64(b, 32));
}

/*
 * RoundingDivideByPOT by per-lane exponents @e in [0, 31], with @mask =
 * 2^e - 1 and @half = mask >> 1 precomputed.
 */
static __always_inline __m512i vis_avx512_rdbpot2(__m512i x, __m512i e,
						  __m512i mask, __m512i half)
{
	__m512i rem = _mm512_and_si512(x, mask);
	__m512i thr = _mm512_sub_epi32(half, _mm512_srai_epi32(x, 31));
	__m512i q = _mm512_srav_epi32(x, e);

	return _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(rem, thr), q,
				     _mm512_set1_epi32(1));
}

/* vis_avx512_rdbpot2() with the mask and half taken here. */
static __always_inline __m512i vis_avx512_rdbpot(__m512i x, __m512i e)
{
	const __m512i one = _mm512_set1_epi32(1);
	__m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, e), one);

	return vis_avx512_rdbpot2(x, e, mask, _mm512_srli_epi32(mask, 1));
}

#endif /* __VIS_SIMD_X86_AVX512_H__ */
