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

#endif /* __VIS_SIMD_X86_AVX512_H__ */
