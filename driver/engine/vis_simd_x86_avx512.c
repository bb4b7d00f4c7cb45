// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX-512BW kernels
 *
 * The engine's hot loops for x86-64 CPUs with AVX-512F/BW/VL, compiled
 * with the flags scripts/simd-flags.sh gives this file and called only
 * when vis_cpu_has_avx512bw() says so; in the kernel only between
 * vis_simd_begin() and vis_simd_end().
 *
 * As in the AVX2 file, both int8 operands are sign-extended to int16 and
 * multiplied with vpmaddwd, which is exact for every input (vpmaddubsw
 * would saturate on -128 * -128 pairs), so results equal the portable
 * reference bit for bit. With 32 vector registers a tile keeps 4 patches
 * and 4 x 4 accumulators in registers while the weight rows stream by.
 *
 * Tails use byte-masked loads (masked-off bytes are neither read nor able
 * to fault), so nothing past the bytes the contract allows is touched.
 */

#include "vis_engine.h"
#include "vis_simd_gemm.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

#include "vis_simd_x86_avx512.h"

/* Weight rows per tile. */
#define VIS_AVX512_ROWS 4

/* 32 int8 at @p, sign-extended to 32 int16. */
static __always_inline __m512i vis_avx512_load32(const s8 *p)
{
	return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)p));
}

/* The bytes of @p selected by @mask, sign-extended; zero elsewhere. */
static __always_inline __m512i vis_avx512_load_tail(const s8 *p, __mmask32 mask)
{
	return _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(mask, p));
}

/* @s + the pairwise products of @x and @w: exact, int16 operands. */
static __always_inline __m512i vis_avx512_madd(__m512i s, __m512i x, __m512i w)
{
	return _mm512_add_epi32(s, _mm512_madd_epi16(x, w));
}

/* The low and high 32 bytes of @v, sign-extended to int16. */
static __always_inline __m512i vis_avx512_sext_lo(__m512i v)
{
	return _mm512_cvtepi8_epi16(_mm512_castsi512_si256(v));
}

static __always_inline __m512i vis_avx512_sext_hi(__m512i v)
{
	return _mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(v, 1));
}

/*
 * One tile: @np patches (1..4) times @nr rows (1 or VIS_AVX512_ROWS)
 * starting at weight row @b; writes acc[p * n + r] for its patches and
 * rows. Both counts are constants after inlining, so the arrays live in
 * registers (16 accumulators, 4 patches, 1 row: 21 of 32 zmm).
 */
static __always_inline void vis_avx512_tile(const s8 *a, u32 np, const s8 *b,
					    u32 nr, u32 n, u32 k, s32 *acc)
{
	__m512i s[4][VIS_AVX512_ROWS], x[4], w;
	s32 out[4];
	u32 i, p, r;

#pragma GCC unroll 4
	for (p = 0; p < np; p++)
#pragma GCC unroll 4
		for (r = 0; r < nr; r++)
			s[p][r] = _mm512_setzero_si512();

	for (i = 0; i + 32 <= k; i += 32) {
#pragma GCC unroll 4
		for (p = 0; p < np; p++)
			x[p] = vis_avx512_load32(a + (size_t)p * k + i);
#pragma GCC unroll 4
		for (r = 0; r < nr; r++) {
			w = vis_avx512_load32(b + (size_t)r * k + i);
#pragma GCC unroll 4
			for (p = 0; p < np; p++)
				s[p][r] = vis_avx512_madd(s[p][r], x[p], w);
		}
	}
	if (i < k) {
		__mmask32 mask = _cvtu32_mask32((1u << (k - i)) - 1);

#pragma GCC unroll 4
		for (p = 0; p < np; p++)
			x[p] = vis_avx512_load_tail(a + (size_t)p * k + i,
						    mask);
#pragma GCC unroll 4
		for (r = 0; r < nr; r++) {
			w = vis_avx512_load_tail(b + (size_t)r * k + i, mask);
#pragma GCC unroll 4
			for (p = 0; p < np; p++)
				s[p][r] = vis_avx512_madd(s[p][r], x[p], w);
		}
	}

#pragma GCC unroll 4
	for (p = 0; p < np; p++) {
		if (nr == VIS_AVX512_ROWS) {
			_mm_storeu_si128((__m128i *)(acc + (size_t)p * n),
					 vis_avx512_hsum4(s[p][0], s[p][1],
							  s[p][2], s[p][3]));
		} else {
			_mm_storeu_si128((__m128i *)out,
					 vis_avx512_hsum4(s[p][0], s[p][0],
							  s[p][0], s[p][0]));
			acc[(size_t)p * n] = out[0];
		}
	}
}

static __always_inline void vis_avx512_gemm(const s8 *a, u32 np, const s8 *b,
					    u32 n, u32 k, s32 *acc)
{
	u32 r;

	for (r = 0; r + VIS_AVX512_ROWS <= n; r += VIS_AVX512_ROWS)
		vis_avx512_tile(a, np, b + (size_t)r * k, VIS_AVX512_ROWS, n, k,
				acc + r);
	for (; r < n; r++)
		vis_avx512_tile(a, np, b + (size_t)r * k, 1, n, k, acc + r);
}

static void vis_gemm_s8_avx512bw(const s8 *a, u32 np, const s8 *b, u32 n, u32 k,
				 s32 *acc)
{
	/* One specialised copy per patch count. */
	switch (np) {
	case 1:
		vis_avx512_gemm(a, 1, b, n, k, acc);
		break;
	case 2:
		vis_avx512_gemm(a, 2, b, n, k, acc);
		break;
	case 3:
		vis_avx512_gemm(a, 3, b, n, k, acc);
		break;
	default:
		vis_avx512_gemm(a, 4, b, n, k, acc);
		break;
	}
}

/*
 * Sixteen blocks at a time: gather their 4-byte groups of each patch (the
 * column indices are < k / 4 <= 2^30, so they are valid positive int32
 * gather indices), sign-extend, and vpmaddwd with the block values. @np is
 * a constant after inlining, so the four sums stay in registers.
 */
static __always_inline void vis_avx512_dot_block4(const s8 *a, u32 np, u32 k,
						  const u32 *col, const s8 *val,
						  u32 nblk, s32 *acc)
{
	__m512i s[4], idx, v, vlo, vhi, x;
	__mmask16 mask;
	s32 out[4];
	u32 j, p;

#pragma GCC unroll 4
	for (p = 0; p < 4; p++)
		s[p] = _mm512_setzero_si512();

	for (j = 0; j < nblk; j += 16) {
		/* Masked: nothing past the last block is read. */
		mask = nblk - j >= 16 ? 0xffff : (1u << (nblk - j)) - 1;
		idx = _mm512_maskz_loadu_epi32(mask, col + j);
		v = _mm512_maskz_loadu_epi32(mask, val + j * 4);
		vlo = vis_avx512_sext_lo(v);
		vhi = vis_avx512_sext_hi(v);
#pragma GCC unroll 4
		for (p = 0; p < np; p++) {
			x = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(),
							mask, idx,
							a + (size_t)p * k, 4);
			s[p] = vis_avx512_madd(s[p], vis_avx512_sext_lo(x),
					       vlo);
			s[p] = vis_avx512_madd(s[p], vis_avx512_sext_hi(x),
					       vhi);
		}
	}
	_mm_storeu_si128((__m128i *)out,
			 vis_avx512_hsum4(s[0], s[1], s[2], s[3]));
#pragma GCC unroll 4
	for (p = 0; p < np; p++)
		acc[p] = out[p];
}

static void vis_dot_block4_avx512bw(const s8 *a, u32 np, u32 k, const u32 *col,
				    const s8 *val, u32 nblk, s32 *acc)
{
	switch (np) {
	case 1:
		vis_avx512_dot_block4(a, 1, k, col, val, nblk, acc);
		break;
	case 2:
		vis_avx512_dot_block4(a, 2, k, col, val, nblk, acc);
		break;
	case 3:
		vis_avx512_dot_block4(a, 3, k, col, val, nblk, acc);
		break;
	default:
		vis_avx512_dot_block4(a, 4, k, col, val, nblk, acc);
		break;
	}
}

const struct vis_kernels vis_kernels_avx512bw = {
	.name = "avx512bw",
	.needs_fpu = true,
	.gemm_s8 = vis_gemm_s8_avx512bw,
	.dot_block4 = vis_dot_block4_avx512bw,
	.requant_s8 = vis_requant_s8_avx512,
	.block4_tile = vis_block4_tile_avx512bw,
	.dw_conv = vis_dw_conv_avx512,
	.requant_px = vis_requant_px_avx512,
	.max_pool = vis_max_pool_avx512,
	.add_s8 = vis_add_s8_avx512,
	.copy_flip = vis_copy_flip_avx512,
	.block4_pack = vis_block4_pack_avx512,
};
