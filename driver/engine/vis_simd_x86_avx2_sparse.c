// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX2 block-sparse tile kernel
 *
 * block4_tile() of the AVX2 table. The bytes of one reduction block of the
 * tile (4 per pixel) are sign-extended to int16, 4 pixels per vector, and
 * vpmaddwd with the block's 4 values broadcast (as int16) adds pairs of
 * products into int32: exact for every input. Each pixel thus has two
 * partial sums, added together once per row. Only the vectors holding the
 * tile's first @np pixels are computed. The input zero point comes out at
 * the end: sum((a - zp) * w) = sum(a * w) - zp * sum(w), modulo 2^32 like
 * the portable reference. Weight values are read with vpmaskmovd, so
 * nothing past the row's values is touched.
 */

#include "vis_engine.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

/* The 4 values of one block as int16, repeated in every 64-bit lane. */
static __always_inline __m256i vis_avx2s_wblock(const s8 *v)
{
	__m128i w;
	u32 t;

	memcpy(&t, v, 4);
	w = _mm_cvtepi8_epi16(_mm_cvtsi32_si128((int)t));
	return _mm256_broadcastq_epi64(w);
}

/* Pixels 4q .. 4q + 3 of the block at @x, sign-extended. */
static __always_inline __m256i vis_avx2s_x(const s8 *x, u32 q)
{
	const __m128i *p = (const __m128i *)(x + q * 16);

	return _mm256_cvtepi8_epi16(_mm_loadu_si128(p));
}

/* @s + the pairwise products of @x and @w: exact, int16 operands. */
static __always_inline __m256i vis_avx2s_madd(__m256i s, __m256i x, __m256i w)
{
	return _mm256_add_epi32(s, _mm256_madd_epi16(x, w));
}

/* Sum of the @n values at @v (@n a multiple of 4). */
static __always_inline s32 vis_avx2s_wsum(const s8 *v, u32 n)
{
	const __m256i ones = _mm256_set1_epi16(1);
	const __m128i lanes = _mm_setr_epi32(0, 1, 2, 3);
	__m256i s = _mm256_setzero_si256();
	__m128i x, mask, h;
	u32 i;

	for (i = 0; i < n; i += 16) {
		if (n - i >= 16) {
			x = _mm_loadu_si128((const __m128i *)(v + i));
		} else {
			mask = _mm_cmpgt_epi32(_mm_set1_epi32((n - i) / 4),
					       lanes);
			x = _mm_maskload_epi32((const int *)(v + i), mask);
		}
		s = vis_avx2s_madd(s, _mm256_cvtepi8_epi16(x), ones);
	}
	h = _mm_add_epi32(_mm256_castsi256_si128(s),
			  _mm256_extracti128_si256(s, 1));
	h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
	h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
	return _mm_cvtsi128_si32(h);
}

/* The 8 pixel sums of two vectors of (4 pixels x 2 partial sums). */
static __always_inline __m256i vis_avx2s_pairs(__m256i p03, __m256i p47)
{
	/* hadd: [p0 p1 p4 p5 | p2 p3 p6 p7]; then 64-bit lanes 0, 2, 1, 3. */
	return _mm256_permute4x64_epi64(_mm256_hadd_epi32(p03, p47), 0xd8);
}

/* @nq (2 or 4) vectors of 4 pixels; a constant after inlining. */
static __always_inline void vis_avx2s_tile(const s8 *a, u32 np, u32 nq, s32 zp,
					   u32 *pos, const u32 *end, u32 kend,
					   u32 nr, const u32 *col,
					   const s8 *val, s32 *acc, u32 ldc)
{
	__m256i s[4], w, c, v;
	s32 t[VIS_BLOCK4_TILE];
	const s8 *x;
	u32 r, j, q, p, corr;

	for (r = 0; r < nr; r++) {
#pragma GCC unroll 4
		for (q = 0; q < nq; q++)
			s[q] = _mm256_setzero_si256();
		for (j = pos[r]; j < end[r] && col[j] < kend; j++) {
			x = a + (size_t)col[j] * nq * 16;
			w = vis_avx2s_wblock(val + (size_t)j * 4);
#pragma GCC unroll 4
			for (q = 0; q < nq; q++)
				s[q] = vis_avx2s_madd(s[q], vis_avx2s_x(x, q),
						      w);
		}
		corr = (u32)zp * (u32)vis_avx2s_wsum(val + (size_t)pos[r] * 4,
						     (j - pos[r]) * 4);
		pos[r] = j;
		c = _mm256_set1_epi32((int)corr);
#pragma GCC unroll 2
		for (q = 0; q < nq; q += 2) {
			v = vis_avx2s_pairs(s[q], s[q + 1]);
			v = _mm256_sub_epi32(v, c);
			_mm256_storeu_si256((__m256i *)(t + q * 4), v);
		}
		/* Modulo 2^32, like the vector adds. */
		for (p = 0; p < np; p++)
			acc[(size_t)p * ldc + r] =
				(s32)((u32)acc[(size_t)p * ldc + r] +
				      (u32)t[p]);
	}
}

void vis_block4_tile_avx2(const s8 *a, u32 np, s32 zp, u32 *pos, const u32 *end,
			  u32 kend, u32 nr, const u32 *col, const s8 *val,
			  s32 *acc, u32 ldc)
{
	if (np > 8)
		vis_avx2s_tile(a, np, 4, zp, pos, end, kend, nr, col, val, acc,
			       ldc);
	else
		vis_avx2s_tile(a, np, 2, zp, pos, end, kend, nr, col, val, acc,
			       ldc);
}
