// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX-512BW block-sparse tile kernel
 *
 * block4_tile() of the AVX-512BW table. The 64 bytes of one reduction
 * block of the tile (4 per pixel, 16 pixels; 32 bytes for a tile of 8
 * lanes) are sign-extended to two vectors of int16 (one), and vpmaddwd
 * with the block's 4 values broadcast (as int16) adds pairs of products
 * into int32: exact for every input. Each pixel thus has two partial
 * sums, added together once per row. The input
 * zero point comes out at the end: sum((a - zp) * w) = sum(a * w) - zp *
 * sum(w), modulo 2^32 like the portable reference. Weight values are read
 * with masked loads, so nothing past the row's values is touched.
 */

#include "vis_engine.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

/* The 4 values of one block as int16, repeated in every 64-bit lane. */
static __always_inline __m512i vis_avx512s_wblock(const s8 *v)
{
	__m128i w;
	u32 t;

	memcpy(&t, v, 4);
	w = _mm_cvtepi8_epi16(_mm_cvtsi32_si128((int)t));
	return _mm512_broadcastq_epi64(w);
}

/* 32 int8 at @p, sign-extended to int16. */
static __always_inline __m512i vis_avx512s_load32(const s8 *p)
{
	return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)p));
}

/* @s + the pairwise products of @x and @w: exact, int16 operands. */
static __always_inline __m512i vis_avx512s_madd(__m512i s, __m512i x, __m512i w)
{
	return _mm512_add_epi32(s, _mm512_madd_epi16(x, w));
}

/* Sum of the @n values at @v. */
static __always_inline s32 vis_avx512s_wsum(const s8 *v, u32 n)
{
	const __m512i ones = _mm512_set1_epi16(1);
	__m512i s = _mm512_setzero_si512();
	__mmask32 mask;
	__m256i x;
	u32 i;

	for (i = 0; i < n; i += 32) {
		mask = n - i >= 32 ? 0xffffffffu : (1u << (n - i)) - 1;
		x = _mm256_maskz_loadu_epi8(mask, v + i);
		s = vis_avx512s_madd(s, _mm512_cvtepi8_epi16(x), ones);
	}
	return _mm512_reduce_add_epi32(s);
}

/*
 * @nh (1 or 2) halves of 8 pixels, the tile's lanes; a constant after
 * inlining. Each pixel's two partial sums are the even and odd dwords of
 * (lo, hi).
 */
static __always_inline void vis_avx512s_tile(const s8 *a, u32 np, u32 nh,
					     s32 zp, u32 *pos, const u32 *end,
					     u32 kend, u32 nr, const u32 *col,
					     const s8 *val, s32 *acc, u32 ldc)
{
	const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16,
					       18, 20, 22, 24, 26, 28, 30);
	const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19,
					      21, 23, 25, 27, 29, 31);
	s32 t[VIS_BLOCK4_TILE];
	__m512i lo, hi, w, s;
	u32 r, j, p, corr;
	const s8 *x;

	for (r = 0; r < nr; r++) {
		lo = _mm512_setzero_si512();
		hi = _mm512_setzero_si512();
		for (j = pos[r]; j < end[r] && col[j] < kend; j++) {
			x = a + (size_t)col[j] * nh * 32;
			w = vis_avx512s_wblock(val + (size_t)j * 4);
			lo = vis_avx512s_madd(lo, vis_avx512s_load32(x), w);
			if (nh == 2) {
				x += 32;
				hi = vis_avx512s_madd(hi, vis_avx512s_load32(x),
						      w);
			}
		}
		s = _mm512_add_epi32(_mm512_permutex2var_epi32(lo, even, hi),
				     _mm512_permutex2var_epi32(lo, odd, hi));
		corr = (u32)zp * (u32)vis_avx512s_wsum(val + (size_t)pos[r] * 4,
						       (j - pos[r]) * 4);
		pos[r] = j;
		s = _mm512_sub_epi32(s, _mm512_set1_epi32((int)corr));
		_mm512_storeu_si512(t, s);
		/* Modulo 2^32, like the vector adds. */
		for (p = 0; p < np; p++)
			acc[(size_t)p * ldc + r] =
				(s32)((u32)acc[(size_t)p * ldc + r] +
				      (u32)t[p]);
	}
}

void vis_block4_tile_avx512bw(const s8 *a, u32 np, s32 zp, u32 *pos,
			      const u32 *end, u32 kend, u32 nr, const u32 *col,
			      const s8 *val, s32 *acc, u32 ldc)
{
	if (vis_block4_lanes(np) == VIS_BLOCK4_TILE)
		vis_avx512s_tile(a, np, 2, zp, pos, end, kend, nr, col, val,
				 acc, ldc);
	else
		vis_avx512s_tile(a, np, 1, zp, pos, end, kend, nr, col, val,
				 acc, ldc);
}
