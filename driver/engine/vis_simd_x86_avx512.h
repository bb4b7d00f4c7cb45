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

#endif /* __VIS_SIMD_X86_AVX512_H__ */
