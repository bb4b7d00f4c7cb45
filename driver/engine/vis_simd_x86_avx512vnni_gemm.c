// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX-512 VNNI packed GEMM
 *
 * &vis_kernels.gemm_s8_packed for the avx512vnni table. The weights come
 * packed sixteen rows to a block, four reduction values per row adjacent
 * (see &struct vis_kernels), so one vector holds four values of sixteen
 * output channels: each group of four patch bytes is broadcast and
 * vpdpbusd adds its products into sixteen channel accumulators at once.
 * No horizontal sums are needed, which is what makes short reductions
 * (1x1 convolutions, the Cin = 3 stems) fast. &vis_kernels.gemm_s8_kidx
 * walks only the reduction groups a quad of 64 rows keeps, with the same
 * tiles: one more index load per step of sixteen vpdpbusd.
 *
 * vpdpbusd takes unsigned activations: the patches come biased (a XOR
 * 0x80 = a + 128, written so when they are gathered), so each group of
 * four is broadcast straight from memory, a load and no arithmetic, and
 * 128 * sum(w), from the row sums that come with the packed weights, is
 * taken back out. Everything is exact modulo 2^32, so results equal the
 * portable reference bit for bit. Stores past @n are masked.
 */

#include "vis_simd_gemm.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

/* Patches and row blocks per tile: 16 accumulators. */
#define VIS_VNNIP_PIX 4
#define VIS_VNNIP_BLK 4

/* Four biased patch bytes in every dword: vpbroadcastd from memory. */
static __always_inline __m512i vis_vnnip_bcast(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return _mm512_set1_epi32((int)v);
}

/*
 * @s + vpdpbusd(@x, @w). In asm: with the intrinsic, GCC 12 copies every
 * accumulator between registers on each trip around the loop.
 */
static __always_inline __m512i vis_vnnip_dp(__m512i s, __m512i x, __m512i w)
{
	asm("vpdpbusd %2, %1, %0" : "+v"(s) : "v"(x), "v"(w));
	return s;
}

/*
 * The reduction walk of a call: @steps groups of four, group j of block b
 * at bp + b * @bstride + j * 64, its patch bytes at a + 4 * j (dense, @kidx
 * NULL) or a + 4 * @kidx[j] (the groups a quad of rows keeps).
 */
struct vis_vnnip_walk {
	const u32 *kidx;
	u32 steps;
	size_t bstride;
};

/*
 * @np patches (1..4) times @nb row blocks (1..4) from block @bp; @rows:
 * the valid rows of these blocks. Both counts, and whether @w->kidx is
 * NULL, are constants after inlining.
 */
static __always_inline void vis_vnnip_tile(const u8 *a, u32 np, size_t lda,
					   const s8 *bp, const s32 *bsum,
					   u32 nb, u32 rows,
					   const struct vis_vnnip_walk *wk,
					   s32 *acc, u32 ldc)
{
	__m512i s[VIS_VNNIP_PIX][VIS_VNNIP_BLK], w[VIS_VNNIP_BLK], x, corr;
	__mmask16 mask;
	u32 j, p, b;
	size_t q;

#pragma GCC unroll 4
	for (p = 0; p < np; p++)
#pragma GCC unroll 4
		for (b = 0; b < nb; b++)
			s[p][b] = _mm512_setzero_si512();

	for (j = 0; j < wk->steps; j++) {
		q = wk->kidx ? (size_t)wk->kidx[j] * 4 : (size_t)j * 4;
#pragma GCC unroll 4
		for (b = 0; b < nb; b++)
			w[b] = _mm512_loadu_si512(bp + b * wk->bstride +
						  (size_t)j * 64);
#pragma GCC unroll 4
		for (p = 0; p < np; p++) {
			x = vis_vnnip_bcast(a + p * lda + q);
#pragma GCC unroll 4
			for (b = 0; b < nb; b++)
				s[p][b] = vis_vnnip_dp(s[p][b], x, w[b]);
		}
	}

#pragma GCC unroll 4
	for (b = 0; b < nb; b++) {
		u32 left = rows - min_t(u32, rows, b * VIS_GEMM_NR);

		mask = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
		corr = _mm512_slli_epi32(_mm512_loadu_si512(bsum + b * 16), 7);
#pragma GCC unroll 4
		for (p = 0; p < np; p++)
			_mm512_mask_storeu_epi32(acc + p * ldc + b * 16, mask,
						 _mm512_sub_epi32(s[p][b],
								  corr));
	}
}

/*
 * All @np patches times the @nb (1, 2 or 4) row blocks at @bp: the blocks'
 * weights (up to 64 rows of K) stay in the cache while every group of
 * four patches streams past them.
 */
static __always_inline void vis_vnnip_group(const u8 *a, u32 np, size_t lda,
					    const s8 *bp, const s32 *bsum,
					    u32 nb, u32 rows,
					    const struct vis_vnnip_walk *wk,
					    s32 *acc, u32 ldc)
{
	u32 p0 = 0;

	for (; p0 + VIS_VNNIP_PIX <= np; p0 += VIS_VNNIP_PIX)
		vis_vnnip_tile(a + p0 * lda, VIS_VNNIP_PIX, lda, bp, bsum, nb,
			       rows, wk, acc + (size_t)p0 * ldc, ldc);
	switch (np - p0) {
	case 1:
		vis_vnnip_tile(a + p0 * lda, 1, lda, bp, bsum, nb, rows, wk,
			       acc + (size_t)p0 * ldc, ldc);
		break;
	case 2:
		vis_vnnip_tile(a + p0 * lda, 2, lda, bp, bsum, nb, rows, wk,
			       acc + (size_t)p0 * ldc, ldc);
		break;
	case 3:
		vis_vnnip_tile(a + p0 * lda, 3, lda, bp, bsum, nb, rows, wk,
			       acc + (size_t)p0 * ldc, ldc);
		break;
	default:
		break;
	}
}

/* The row blocks of a call, four, two, then one at a time. */
static __always_inline void
vis_vnnip_blocks(const u8 *a, u32 np, size_t lda, const s8 *bp, const s32 *bsum,
		 u32 n, const struct vis_vnnip_walk *wk, s32 *acc, u32 ldc)
{
	u32 nblk = DIV_ROUND_UP(n, VIS_GEMM_NR), b = 0;

	for (; b + 4 <= nblk; b += 4)
		vis_vnnip_group(a, np, lda, bp + b * wk->bstride, bsum + b * 16,
				4, n - b * 16, wk, acc + b * 16, ldc);
	if (b + 2 <= nblk) {
		vis_vnnip_group(a, np, lda, bp + b * wk->bstride, bsum + b * 16,
				2, n - b * 16, wk, acc + b * 16, ldc);
		b += 2;
	}
	if (b < nblk)
		vis_vnnip_group(a, np, lda, bp + b * wk->bstride, bsum + b * 16,
				1, n - b * 16, wk, acc + b * 16, ldc);
}

void vis_gemm_s8_packed_avx512vnni(const u8 *a, u32 np, size_t lda,
				   const s8 *bp, const s32 *bsum, u32 n, u32 k,
				   s32 *acc, u32 ldc)
{
	const struct vis_vnnip_walk wk = {
		.kidx = NULL,
		.steps = k / 4,
		.bstride = (size_t)k * VIS_GEMM_NR,
	};

	vis_vnnip_blocks(a, np, lda, bp, bsum, n, &wk, acc, ldc);
}

void vis_gemm_s8_kidx_avx512vnni(const u8 *a, u32 np, size_t lda, const s8 *bp,
				 const u32 *kidx, u32 nk, const s32 *bsum,
				 u32 n, s32 *acc, u32 ldc)
{
	const struct vis_vnnip_walk wk = {
		.kidx = kidx,
		.steps = nk,
		.bstride = (size_t)nk * 4 * VIS_GEMM_NR,
	};

	vis_vnnip_blocks(a, np, lda, bp, bsum, n, &wk, acc, ldc);
}
