// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: NEON dot-product kernels
 *
 * The engine's hot loops for arm64 CPUs with the dot-product extension
 * (ARMv8.2 SDOT), compiled with +dotprod (scripts/simd-flags.sh) and
 * called only when vis_cpu_has_asimddp() says so; in the kernel only
 * between vis_simd_begin() and vis_simd_end(). The intrinsics header comes
 * through vis_engine_compat.h, which picks the kernel's wrapper in the
 * kernel.
 *
 * SDOT multiplies signed by signed bytes and adds groups of four products
 * into int32 without saturation, so it is exact for every input and the
 * results equal the portable reference bit for bit.
 *
 * Tails (k is a multiple of 4, not of 16) are assembled from 4-byte
 * pieces, so nothing past the bytes the contract allows is read.
 */

#include "vis_engine.h"
#include "vis_simd_gemm.h"

/* Weight rows per tile: 16 accumulators, 4 patches, 1 row of 32 regs. */
#define VIS_NEON_ROWS 4

/* 4, 8 or 12 bytes at @p (@bytes of them), zero above. */
static __always_inline int8x16_t vis_neon_load_tail(const s8 *p, u32 bytes)
{
	int32x4_t v = vdupq_n_s32(0);
	s32 t;

	memcpy(&t, p, 4);
	v = vsetq_lane_s32(t, v, 0);
	if (bytes > 4) {
		memcpy(&t, p + 4, 4);
		v = vsetq_lane_s32(t, v, 1);
	}
	if (bytes > 8) {
		memcpy(&t, p + 8, 4);
		v = vsetq_lane_s32(t, v, 2);
	}
	return vreinterpretq_s8_s32(v);
}

/* Horizontal sums of four vectors, in order, in one vector. */
static __always_inline int32x4_t vis_neon_hsum4(int32x4_t v0, int32x4_t v1,
						int32x4_t v2, int32x4_t v3)
{
	return vpaddq_s32(vpaddq_s32(v0, v1), vpaddq_s32(v2, v3));
}

/*
 * One tile: @np patches (1..4) times @nr rows (1 or VIS_NEON_ROWS) starting
 * at weight row @b; writes acc[p * n + r] for its patches and rows. Both
 * counts are constants after inlining, so the arrays live in registers.
 */
static __always_inline void vis_neon_tile(const s8 *a, u32 np, const s8 *b,
					  u32 nr, u32 n, u32 k, s32 *acc)
{
	int32x4_t s[4][VIS_NEON_ROWS];
	int8x16_t x[4], w;
	u32 i, p, r;

#pragma GCC unroll 4
	for (p = 0; p < np; p++)
#pragma GCC unroll 4
		for (r = 0; r < nr; r++)
			s[p][r] = vdupq_n_s32(0);

	for (i = 0; i + 16 <= k; i += 16) {
#pragma GCC unroll 4
		for (p = 0; p < np; p++)
			x[p] = vld1q_s8(a + (size_t)p * k + i);
#pragma GCC unroll 4
		for (r = 0; r < nr; r++) {
			w = vld1q_s8(b + (size_t)r * k + i);
#pragma GCC unroll 4
			for (p = 0; p < np; p++)
				s[p][r] = vdotq_s32(s[p][r], x[p], w);
		}
	}
	if (i < k) {
#pragma GCC unroll 4
		for (p = 0; p < np; p++)
			x[p] = vis_neon_load_tail(a + (size_t)p * k + i, k - i);
#pragma GCC unroll 4
		for (r = 0; r < nr; r++) {
			w = vis_neon_load_tail(b + (size_t)r * k + i, k - i);
#pragma GCC unroll 4
			for (p = 0; p < np; p++)
				s[p][r] = vdotq_s32(s[p][r], x[p], w);
		}
	}

#pragma GCC unroll 4
	for (p = 0; p < np; p++) {
		if (nr == VIS_NEON_ROWS)
			vst1q_s32(acc + (size_t)p * n,
				  vis_neon_hsum4(s[p][0], s[p][1], s[p][2],
						 s[p][3]));
		else
			acc[(size_t)p * n] = vaddvq_s32(s[p][0]);
	}
}

static __always_inline void vis_neon_gemm(const s8 *a, u32 np, const s8 *b,
					  u32 n, u32 k, s32 *acc)
{
	u32 r;

	for (r = 0; r + VIS_NEON_ROWS <= n; r += VIS_NEON_ROWS)
		vis_neon_tile(a, np, b + (size_t)r * k, VIS_NEON_ROWS, n, k,
			      acc + r);
	for (; r < n; r++)
		vis_neon_tile(a, np, b + (size_t)r * k, 1, n, k, acc + r);
}

static void vis_gemm_s8_neon_dotprod(const s8 *a, u32 np, const s8 *b, u32 n,
				     u32 k, s32 *acc)
{
	/* One specialised copy per patch count. */
	switch (np) {
	case 1:
		vis_neon_gemm(a, 1, b, n, k, acc);
		break;
	case 2:
		vis_neon_gemm(a, 2, b, n, k, acc);
		break;
	case 3:
		vis_neon_gemm(a, 3, b, n, k, acc);
		break;
	default:
		vis_neon_gemm(a, 4, b, n, k, acc);
		break;
	}
}

/* The 4-byte groups @col[0..@cnt) of patch @ap in lanes 0..@cnt, zero above. */
static __always_inline int8x16_t vis_neon_groups(const s8 *ap, const u32 *col,
						 u32 cnt)
{
	s32 t[4] = { 0 };
	u32 i;

#pragma GCC unroll 4
	for (i = 0; i < 4; i++)
		if (i < cnt)
			memcpy(&t[i], ap + (size_t)col[i] * 4, 4);
	return vreinterpretq_s8_s32(vld1q_s32(t));
}

/*
 * Four blocks at a time: each lane of a vector holds one block's 4-byte
 * group of the patch, so one SDOT with the 16 block values gives the four
 * block sums. @np is a constant after inlining.
 */
static __always_inline void vis_neon_dot_block4(const s8 *a, u32 np, u32 k,
						const u32 *col, const s8 *val,
						u32 nblk, s32 *acc)
{
	int32x4_t s[4];
	int8x16_t v, x;
	u32 j, p;

#pragma GCC unroll 4
	for (p = 0; p < 4; p++)
		s[p] = vdupq_n_s32(0);

	for (j = 0; j + 4 <= nblk; j += 4) {
		v = vld1q_s8(val + (size_t)j * 4);
#pragma GCC unroll 4
		for (p = 0; p < np; p++) {
			x = vis_neon_groups(a + (size_t)p * k, col + j, 4);
			s[p] = vdotq_s32(s[p], x, v);
		}
	}
	if (j < nblk) {
		/* 1..3 blocks left: zero lanes for the missing ones. */
		v = vis_neon_load_tail(val + (size_t)j * 4, (nblk - j) * 4);
#pragma GCC unroll 4
		for (p = 0; p < np; p++) {
			x = vis_neon_groups(a + (size_t)p * k, col + j,
					    nblk - j);
			s[p] = vdotq_s32(s[p], x, v);
		}
	}
#pragma GCC unroll 4
	for (p = 0; p < np; p++)
		acc[p] = vaddvq_s32(s[p]);
}

static void vis_dot_block4_neon_dotprod(const s8 *a, u32 np, u32 k,
					const u32 *col, const s8 *val, u32 nblk,
					s32 *acc)
{
	switch (np) {
	case 1:
		vis_neon_dot_block4(a, 1, k, col, val, nblk, acc);
		break;
	case 2:
		vis_neon_dot_block4(a, 2, k, col, val, nblk, acc);
		break;
	case 3:
		vis_neon_dot_block4(a, 3, k, col, val, nblk, acc);
		break;
	default:
		vis_neon_dot_block4(a, 4, k, col, val, nblk, acc);
		break;
	}
}

const struct vis_kernels vis_kernels_neon_dotprod = {
	.name = "neon-dotprod",
	.needs_fpu = true,
	.gemm_s8 = vis_gemm_s8_neon_dotprod,
	.dot_block4 = vis_dot_block4_neon_dotprod,
	.requant_s8 = vis_requant_s8_neon,
	.block4_tile = vis_block4_tile_neon,
	.dw_conv = vis_dw_conv_neon,
	.max_pool = vis_max_pool_ref,
	.add_s8 = vis_add_s8_ref,
	.block4_pack = vis_block4_pack_ref,
};
