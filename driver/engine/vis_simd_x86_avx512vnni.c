// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX-512 VNNI kernels
 *
 * The engine's hot loops for x86-64 CPUs with AVX-512 VNNI, compiled with
 * the flags scripts/simd-flags.sh gives this file and called only when
 * vis_cpu_has_avx512vnni() says so; in the kernel only between
 * vis_simd_begin() and vis_simd_end().
 *
 * vpdpbusd multiplies unsigned by signed bytes and adds groups of four
 * products into int32 without saturation. Activations are signed, so each
 * is biased to unsigned (a + 128, a XOR 0x80) and the bias is taken back
 * out: sum(a * b) = sum((a + 128) * b) - 128 * sum(b), where 128 * sum(b)
 * is one more vpdpbusd per weight row, of a vector of 0x80 bytes, shared
 * by all patches. All of it is exact modulo 2^32, so results equal the
 * portable reference bit for bit.
 *
 * Tails use byte-masked loads (masked-off bytes are neither read nor able
 * to fault, and load as zero weights), so nothing past the bytes the
 * contract allows is touched.
 */

#include "vis_engine.h"
#include "vis_simd_gemm.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

#include "vis_simd_x86_avx512.h"

/* Weight rows per tile. */
#define VIS_VNNI_ROWS 4

/* Signed bytes biased to unsigned: a + 128 = a XOR 0x80. */
static __always_inline __m512i vis_vnni_bias(__m512i v)
{
	return _mm512_xor_si512(v, _mm512_set1_epi8((char)0x80));
}

/* The bytes of @p selected by @mask; zero elsewhere, nothing else read. */
static __always_inline __m512i vis_vnni_tail(const s8 *p, __mmask64 mask)
{
	return _mm512_maskz_loadu_epi8(mask, p);
}

/*
 * One tile: @np patches (1..4) times @nr rows (1 or VIS_VNNI_ROWS)
 * starting at weight row @b; writes acc[p * n + r] for its patches and
 * rows. Both counts are constants after inlining, so the arrays live in
 * registers (16 + 4 accumulators, 4 patches, 1 row, the bias: 26 of 32).
 */
static __always_inline void vis_vnni_tile(const s8 *a, u32 np, const s8 *b,
					  u32 nr, u32 n, u32 k, s32 *acc)
{
	const __m512i bias = _mm512_set1_epi8((char)0x80);
	__m512i s[4][VIS_VNNI_ROWS], c[VIS_VNNI_ROWS], x[4], w;
	__m128i corr, sums;
	const s8 *ap[4];
	__mmask64 mask;
	s32 out[4];
	u32 i, p, r;

#pragma GCC unroll 4
	for (p = 0; p < np; p++)
		ap[p] = a + (size_t)p * k;

#pragma GCC unroll 4
	for (r = 0; r < nr; r++) {
		c[r] = _mm512_setzero_si512();
#pragma GCC unroll 4
		for (p = 0; p < np; p++)
			s[p][r] = _mm512_setzero_si512();
	}

	for (i = 0; i + 64 <= k; i += 64) {
#pragma GCC unroll 4
		for (p = 0; p < np; p++)
			x[p] = vis_vnni_bias(_mm512_loadu_si512(ap[p] + i));
#pragma GCC unroll 4
		for (r = 0; r < nr; r++) {
			w = _mm512_loadu_si512(b + (size_t)r * k + i);
			c[r] = _mm512_dpbusd_epi32(c[r], bias, w);
#pragma GCC unroll 4
			for (p = 0; p < np; p++)
				s[p][r] = _mm512_dpbusd_epi32(s[p][r], x[p], w);
		}
	}
	if (i < k) {
		mask = _cvtu64_mask64((1ull << (k - i)) - 1);
#pragma GCC unroll 4
		for (p = 0; p < np; p++)
			x[p] = vis_vnni_bias(vis_vnni_tail(ap[p] + i, mask));
#pragma GCC unroll 4
		for (r = 0; r < nr; r++) {
			w = vis_vnni_tail(b + (size_t)r * k + i, mask);
			c[r] = _mm512_dpbusd_epi32(c[r], bias, w);
#pragma GCC unroll 4
			for (p = 0; p < np; p++)
				s[p][r] = _mm512_dpbusd_epi32(s[p][r], x[p], w);
		}
	}

	if (nr == VIS_VNNI_ROWS) {
		corr = vis_avx512_hsum4(c[0], c[1], c[2], c[3]);
#pragma GCC unroll 4
		for (p = 0; p < np; p++) {
			sums = vis_avx512_hsum4(s[p][0], s[p][1], s[p][2],
						s[p][3]);
			_mm_storeu_si128((__m128i *)(acc + (size_t)p * n),
					 _mm_sub_epi32(sums, corr));
		}
	} else {
		/* One row: the four sums in the low lanes, the rest unused. */
		corr = vis_avx512_hsum4(c[0], c[0], c[0], c[0]);
#pragma GCC unroll 4
		for (p = 0; p < np; p++) {
			sums = vis_avx512_hsum4(s[p][0], s[p][0], s[p][0],
						s[p][0]);
			_mm_storeu_si128((__m128i *)out,
					 _mm_sub_epi32(sums, corr));
			acc[(size_t)p * n] = out[0];
		}
	}
}

static __always_inline void vis_vnni_gemm(const s8 *a, u32 np, const s8 *b,
					  u32 n, u32 k, s32 *acc)
{
	u32 r;

	for (r = 0; r + VIS_VNNI_ROWS <= n; r += VIS_VNNI_ROWS)
		vis_vnni_tile(a, np, b + (size_t)r * k, VIS_VNNI_ROWS, n, k,
			      acc + r);
	for (; r < n; r++)
		vis_vnni_tile(a, np, b + (size_t)r * k, 1, n, k, acc + r);
}

static void vis_gemm_s8_avx512vnni(const s8 *a, u32 np, const s8 *b, u32 n,
				   u32 k, s32 *acc)
{
	/* One specialised copy per patch count. */
	switch (np) {
	case 1:
		vis_vnni_gemm(a, 1, b, n, k, acc);
		break;
	case 2:
		vis_vnni_gemm(a, 2, b, n, k, acc);
		break;
	case 3:
		vis_vnni_gemm(a, 3, b, n, k, acc);
		break;
	default:
		vis_vnni_gemm(a, 4, b, n, k, acc);
		break;
	}
}

/*
 * Sixteen blocks at a time: gather their 4-byte groups of each patch (the
 * column indices are < k / 4 <= 2^30, so they are valid positive int32
 * gather indices), bias them to unsigned, and vpdpbusd with the block
 * values. @np is a constant after inlining, so the sums stay in registers.
 */
static __always_inline void vis_vnni_dot_block4(const s8 *a, u32 np, u32 k,
						const u32 *col, const s8 *val,
						u32 nblk, s32 *acc)
{
	const __m512i bias = _mm512_set1_epi8((char)0x80);
	__m512i s[4], c, idx, v, x;
	__mmask16 mask;
	s32 out[4];
	u32 j, p;

	c = _mm512_setzero_si512();
#pragma GCC unroll 4
	for (p = 0; p < 4; p++)
		s[p] = _mm512_setzero_si512();

	for (j = 0; j < nblk; j += 16) {
		/* Masked: nothing past the last block is read. */
		mask = nblk - j >= 16 ? 0xffff : (1u << (nblk - j)) - 1;
		idx = _mm512_maskz_loadu_epi32(mask, col + j);
		v = _mm512_maskz_loadu_epi32(mask, val + j * 4);
		c = _mm512_dpbusd_epi32(c, bias, v);
#pragma GCC unroll 4
		for (p = 0; p < np; p++) {
			x = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(),
							mask, idx,
							a + (size_t)p * k, 4);
			s[p] = _mm512_dpbusd_epi32(s[p], vis_vnni_bias(x), v);
		}
	}
	_mm_storeu_si128((__m128i *)out,
			 _mm_sub_epi32(vis_avx512_hsum4(s[0], s[1], s[2], s[3]),
				       vis_avx512_hsum4(c, c, c, c)));
#pragma GCC unroll 4
	for (p = 0; p < np; p++)
		acc[p] = out[p];
}

static void vis_dot_block4_avx512vnni(const s8 *a, u32 np, u32 k,
				      const u32 *col, const s8 *val, u32 nblk,
				      s32 *acc)
{
	switch (np) {
	case 1:
		vis_vnni_dot_block4(a, 1, k, col, val, nblk, acc);
		break;
	case 2:
		vis_vnni_dot_block4(a, 2, k, col, val, nblk, acc);
		break;
	case 3:
		vis_vnni_dot_block4(a, 3, k, col, val, nblk, acc);
		break;
	default:
		vis_vnni_dot_block4(a, 4, k, col, val, nblk, acc);
		break;
	}
}

const struct vis_kernels vis_kernels_avx512vnni = {
	.name = "avx512vnni",
	.needs_fpu = true,
	.gemm_s8 = vis_gemm_s8_avx512vnni,
	.dot_block4 = vis_dot_block4_avx512vnni,
	.requant_s8 = vis_requant_s8_avx512,
	.gemm_s8_packed = vis_gemm_s8_packed_avx512vnni,
	.block4_tile = vis_block4_tile_avx512vnni,
	.block4_tile32 = vis_block4_tile32_avx512vnni,
	.dw_conv = vis_dw_conv_avx512vnni,
	.requant_px = vis_requant_px_avx512,
	.max_pool = vis_max_pool_avx512,
	.add_s8 = vis_add_s8_avx512,
	.copy_flip = vis_copy_flip_avx512,
	.gemm_s8_kidx = vis_gemm_s8_kidx_avx512vnni,
	.block4_pack = vis_block4_pack_avx512,
};
