// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX2 kernels
 *
 * The engine's hot loops for x86-64 CPUs with AVX2, compiled with -mavx2
 * (scripts/simd-flags.sh) and called only when vis_cpu_has_avx2() says so;
 * in the kernel only between vis_simd_begin() and vis_simd_end().
 *
 * Products are computed by sign-extending both int8 operands to int16 and
 * using vpmaddwd, which multiplies and adds pairs into int32 without
 * saturation: exact for every input, unlike vpmaddubsw whose int16 pair
 * sums saturate for -128 * -128. Results are therefore identical to the
 * portable reference, including the wrap-around of int32 sums.
 *
 * No load reaches past the bytes the contract allows: tails (k is a
 * multiple of 4, not of 16) use vpmaskmovd, whose masked-off elements are
 * neither read nor able to fault.
 */

#include "vis_engine.h"
#include "vis_simd_gemm.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

/* Patches 1..4 stay in registers; weight rows are streamed two at a time. */
#define VIS_AVX2_ROWS 2

/* 16 int8 at @p, sign-extended to 16 int16. */
static __always_inline __m256i vis_avx2_load16(const s8 *p)
{
	return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
}

/* @s + the pairwise products of @x and @w: exact, int16 operands. */
static __always_inline __m256i vis_avx2_madd(__m256i s, __m256i x, __m256i w)
{
	return _mm256_add_epi32(s, _mm256_madd_epi16(x, w));
}

/* The low and high 16 bytes of @v, sign-extended to int16. */
static __always_inline __m256i vis_avx2_sext_lo(__m256i v)
{
	return _mm256_cvtepi8_epi16(_mm256_castsi256_si128(v));
}

static __always_inline __m256i vis_avx2_sext_hi(__m256i v)
{
	return _mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1));
}

/* The dwords of @p selected by @mask, sign-extended; zero elsewhere. */
static __always_inline __m256i vis_avx2_load_tail(const s8 *p, __m128i mask)
{
	return _mm256_cvtepi8_epi16(_mm_maskload_epi32((const int *)p, mask));
}

/* Mask of the first @dwords (0..4) dword lanes. */
static __always_inline __m128i vis_avx2_mask4(u32 dwords)
{
	return _mm_cmpgt_epi32(_mm_set1_epi32((int)dwords),
			       _mm_setr_epi32(0, 1, 2, 3));
}

/* Horizontal sums of four vectors, in order, in one 128-bit vector. */
static __always_inline __m128i vis_avx2_hsum4(__m256i v0, __m256i v1,
					      __m256i v2, __m256i v3)
{
	__m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(v0, v1),
				      _mm256_hadd_epi32(v2, v3));

	return _mm_add_epi32(_mm256_castsi256_si128(s),
			     _mm256_extracti128_si256(s, 1));
}

/*
 * One tile: @np patches (1..4) times @nr rows (1..VIS_AVX2_ROWS) starting
 * at weight row @b; writes acc[p * n + r] for its patches and rows. Both
 * counts are constants after inlining, so the accumulator arrays live in
 * registers (4 * 2 accumulators, 4 patches, 1 row: 13 of 16 ymm).
 */
static __always_inline void vis_avx2_tile(const s8 *a, u32 np, const s8 *b,
					  u32 nr, u32 n, u32 k, s32 *acc)
{
	__m256i s[4][VIS_AVX2_ROWS], x[4], w;
	s32 out[4 * VIS_AVX2_ROWS];
	u32 i, p, r;

#pragma GCC unroll 4
	for (p = 0; p < np; p++)
#pragma GCC unroll 2
		for (r = 0; r < nr; r++)
			s[p][r] = _mm256_setzero_si256();

	for (i = 0; i + 16 <= k; i += 16) {
#pragma GCC unroll 4
		for (p = 0; p < np; p++)
			x[p] = vis_avx2_load16(a + (size_t)p * k + i);
#pragma GCC unroll 2
		for (r = 0; r < nr; r++) {
			w = vis_avx2_load16(b + (size_t)r * k + i);
#pragma GCC unroll 4
			for (p = 0; p < np; p++)
				s[p][r] = vis_avx2_madd(s[p][r], x[p], w);
		}
	}
	if (i < k) {
		__m128i mask = vis_avx2_mask4((k - i) / 4);

#pragma GCC unroll 4
		for (p = 0; p < np; p++)
			x[p] = vis_avx2_load_tail(a + (size_t)p * k + i, mask);
#pragma GCC unroll 2
		for (r = 0; r < nr; r++) {
			w = vis_avx2_load_tail(b + (size_t)r * k + i, mask);
#pragma GCC unroll 4
			for (p = 0; p < np; p++)
				s[p][r] = vis_avx2_madd(s[p][r], x[p], w);
		}
	}

	/* Unused slots are zero vectors the compiler folds away. */
#pragma GCC unroll 4
	for (p = np; p < 4; p++)
#pragma GCC unroll 2
		for (r = 0; r < VIS_AVX2_ROWS; r++)
			s[p][r] = _mm256_setzero_si256();
	if (nr < 2) {
#pragma GCC unroll 4
		for (p = 0; p < 4; p++)
			s[p][1] = _mm256_setzero_si256();
	}
	_mm_storeu_si128((__m128i *)out,
			 vis_avx2_hsum4(s[0][0], s[0][1], s[1][0], s[1][1]));
	_mm_storeu_si128((__m128i *)(out + 4),
			 vis_avx2_hsum4(s[2][0], s[2][1], s[3][0], s[3][1]));
#pragma GCC unroll 4
	for (p = 0; p < np; p++)
#pragma GCC unroll 2
		for (r = 0; r < nr; r++)
			acc[(size_t)p * n + r] = out[p * VIS_AVX2_ROWS + r];
}

static __always_inline void vis_avx2_gemm(const s8 *a, u32 np, const s8 *b,
					  u32 n, u32 k, s32 *acc)
{
	u32 r;

	for (r = 0; r + VIS_AVX2_ROWS <= n; r += VIS_AVX2_ROWS)
		vis_avx2_tile(a, np, b + (size_t)r * k, VIS_AVX2_ROWS, n, k,
			      acc + r);
	for (; r < n; r++)
		vis_avx2_tile(a, np, b + (size_t)r * k, 1, n, k, acc + r);
}

static void vis_gemm_s8_avx2(const s8 *a, u32 np, const s8 *b, u32 n, u32 k,
			     s32 *acc)
{
	/* One specialised copy per patch count. */
	switch (np) {
	case 1:
		vis_avx2_gemm(a, 1, b, n, k, acc);
		break;
	case 2:
		vis_avx2_gemm(a, 2, b, n, k, acc);
		break;
	case 3:
		vis_avx2_gemm(a, 3, b, n, k, acc);
		break;
	default:
		vis_avx2_gemm(a, 4, b, n, k, acc);
		break;
	}
}

/*
 * Eight blocks at a time: gather their 4-byte groups of each patch (the
 * column indices are < k / 4 <= 2^30, so they are valid positive int32
 * gather indices), sign-extend, and vpmaddwd with the block values. @np is
 * a constant after inlining, so the four sums stay in registers.
 */
static __always_inline void vis_avx2_dot_block4(const s8 *a, u32 np, u32 k,
						const u32 *col, const s8 *val,
						u32 nblk, s32 *acc)
{
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	const __m256i zero = _mm256_setzero_si256();
	__m256i s[4], idx, v, vlo, vhi, x, mask;
	const int *ap[4];
	s32 out[4];
	u32 j, p;

#pragma GCC unroll 4
	for (p = 0; p < np; p++)
		ap[p] = (const int *)(a + (size_t)p * k);

#pragma GCC unroll 4
	for (p = 0; p < 4; p++)
		s[p] = _mm256_setzero_si256();

	for (j = 0; j < nblk; j += 8) {
		if (nblk - j >= 8) {
			mask = _mm256_set1_epi32(-1);
			idx = _mm256_loadu_si256((const __m256i *)(col + j));
			v = _mm256_loadu_si256((const __m256i *)(val + j * 4));
		} else {
			/* Masked: nothing past the last block is read. */
			mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(nblk - j),
						  lanes);
			idx = _mm256_maskload_epi32((const int *)(col + j),
						    mask);
			v = _mm256_maskload_epi32((const int *)(val + j * 4),
						  mask);
		}
		vlo = vis_avx2_sext_lo(v);
		vhi = vis_avx2_sext_hi(v);
#pragma GCC unroll 4
		for (p = 0; p < np; p++) {
			x = _mm256_mask_i32gather_epi32(zero, ap[p], idx, mask,
							4);
			s[p] = vis_avx2_madd(s[p], vis_avx2_sext_lo(x), vlo);
			s[p] = vis_avx2_madd(s[p], vis_avx2_sext_hi(x), vhi);
		}
	}
	_mm_storeu_si128((__m128i *)out,
			 vis_avx2_hsum4(s[0], s[1], s[2], s[3]));
#pragma GCC unroll 4
	for (p = 0; p < np; p++)
		acc[p] = out[p];
}

static void vis_dot_block4_avx2(const s8 *a, u32 np, u32 k, const u32 *col,
				const s8 *val, u32 nblk, s32 *acc)
{
	switch (np) {
	case 1:
		vis_avx2_dot_block4(a, 1, k, col, val, nblk, acc);
		break;
	case 2:
		vis_avx2_dot_block4(a, 2, k, col, val, nblk, acc);
		break;
	case 3:
		vis_avx2_dot_block4(a, 3, k, col, val, nblk, acc);
		break;
	default:
		vis_avx2_dot_block4(a, 4, k, col, val, nblk, acc);
		break;
	}
}

const struct vis_kernels vis_kernels_avx2 = {
	.name = "avx2",
	.needs_fpu = true,
	.gemm_s8 = vis_gemm_s8_avx2,
	.dot_block4 = vis_dot_block4_avx2,
	.requant_s8 = vis_requant_s8_avx2,
	.block4_tile = vis_block4_tile_avx2,
	.dw_conv = vis_dw_conv_avx2,
	.max_pool = vis_max_pool_avx2,
	.add_s8 = vis_add_s8_ref,
	.block4_pack = vis_block4_pack_ref,
};
