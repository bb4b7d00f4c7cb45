// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: NEON dot-product block-sparse tile kernel
 *
 * block4_tile() of the NEON dot-product table. A 16-byte vector holds the
 * 4-byte groups of one reduction block for 4 pixels of the tile, so every
 * stored block of a weight row is one SDOT per 4 pixels with the block's
 * 4 values duplicated into every lane: no gathers, work proportional to
 * the stored blocks. Only the vectors holding the first @np pixels are
 * computed. SDOT is exact for every input; the input zero point comes out
 * at the end, sum((a - zp) * w) = sum(a * w) - zp * sum(w), modulo 2^32
 * like the portable reference; weight sums read only the row's values.
 */

#include "vis_engine.h"

/* The 4 values of one block in every lane. */
static __always_inline int8x16_t vis_neons_wblock(const s8 *v)
{
	u32 t;

	memcpy(&t, v, 4);
	return vreinterpretq_s8_u32(vdupq_n_u32(t));
}

/* Sum of the @n values at @v. */
static __always_inline s32 vis_neons_wsum(const s8 *v, u32 n)
{
	const int8x16_t ones = vdupq_n_s8(1);
	int32x4_t s = vdupq_n_s32(0);
	s32 tail = 0;
	u32 i;

	for (i = 0; i + 16 <= n; i += 16)
		s = vdotq_s32(s, vld1q_s8(v + i), ones);
	for (; i < n; i++)
		tail += v[i];
	return vaddvq_s32(s) + tail;
}

/* @nq (1..4) vectors of 4 pixels; a constant after inlining. */
static __always_inline void vis_neons_tile(const s8 *a, u32 np, u32 nq, s32 zp,
					   u32 *pos, const u32 *end, u32 kend,
					   u32 nr, const u32 *col,
					   const s8 *val, s32 *acc, u32 ldc)
{
	int32x4_t s[4], c;
	s32 t[VIS_BLOCK4_TILE];
	int8x16_t w;
	const s8 *x;
	u32 r, j, q, p, corr, lanes;

	/* The tile's lanes: a constant after inlining. */
	lanes = nq <= 2 ? VIS_BLOCK4_TILE / 2 : VIS_BLOCK4_TILE;
	for (r = 0; r < nr; r++) {
#pragma GCC unroll 4
		for (q = 0; q < nq; q++)
			s[q] = vdupq_n_s32(0);
		for (j = pos[r]; j < end[r] && col[j] < kend; j++) {
			x = a + (size_t)col[j] * lanes * 4;
			w = vis_neons_wblock(val + (size_t)j * 4);
#pragma GCC unroll 4
			for (q = 0; q < nq; q++)
				s[q] = vdotq_s32(s[q], vld1q_s8(x + q * 16), w);
		}
		corr = (u32)zp * (u32)vis_neons_wsum(val + (size_t)pos[r] * 4,
						     (j - pos[r]) * 4);
		pos[r] = j;
		c = vdupq_n_s32((s32)corr);
#pragma GCC unroll 4
		for (q = 0; q < nq; q++)
			vst1q_s32(t + q * 4, vsubq_s32(s[q], c));
		/* Modulo 2^32, like the vector adds. */
		for (p = 0; p < np; p++)
			acc[(size_t)p * ldc + r] =
				(s32)((u32)acc[(size_t)p * ldc + r] +
				      (u32)t[p]);
	}
}

void vis_block4_tile_neon(const s8 *a, u32 np, s32 zp, u32 *pos, const u32 *end,
			  u32 kend, u32 nr, const u32 *col, const s8 *val,
			  s32 *acc, u32 ldc)
{
	switch ((np + 3) / 4) {
	case 1:
		vis_neons_tile(a, np, 1, zp, pos, end, kend, nr, col, val, acc,
			       ldc);
		break;
	case 2:
		vis_neons_tile(a, np, 2, zp, pos, end, kend, nr, col, val, acc,
			       ldc);
		break;
	case 3:
		vis_neons_tile(a, np, 3, zp, pos, end, kend, nr, col, val, acc,
			       ldc);
		break;
	default:
		vis_neons_tile(a, np, 4, zp, pos, end, kend, nr, col, val, acc,
			       ldc);
		break;
	}
}
