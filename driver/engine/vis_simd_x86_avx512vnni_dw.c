// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX-512 VNNI depthwise kernel
 *
 * &vis_kernels.dw_conv for the avx512vnni table, compiled with the
 * AVX-512 F/BW/VL/DQ/VNNI flags (scripts/simd-flags.sh); in the kernel only
 * between vis_simd_begin() and vis_simd_end().
 *
 * vpdpbusd multiplies four u8 by four s8 and adds the four products to an
 * int32 lane: here the four are four taps of one channel. For a group of
 * four taps and 64 channels, the input rows (XOR 0x80 to make them
 * unsigned: x + 128) are interleaved with vpunpck{l,h}bw and
 * vpunpck{l,h}wd into four vectors of tap quads, vector k holding channels
 * 16 * m + 4 * k + j in dword j of 128-bit lane m; four vpdpbusd do 256
 * multiply-adds. The filter of a block gets the same interleave once per
 * call, into @tmp (taps past the last are zero), and so does the bias,
 * from which 128 * sum(w) is taken out with vpdpbusd against ones. All of
 * it is exact int32 arithmetic.
 *
 * The requantization is the exact one of the AVX-512 kernel. Packing the
 * four results with saturation (int32 to int16, + out_zp, int16 to int8:
 * equal to the clamps to [-256, 256] and to int8, as the activation bounds
 * lie within int8) undoes the interleave, so one store writes 64 channels.
 * Tails use masked loads and stores, so nothing past the channels is
 * touched.
 */

#include "vis_engine.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

#include "vis_simd_x86_avx512.h"

/*
 * The int32 values [0, 16 * @lp) at @p (those of @km, one bit per value),
 * repeated over the 64 lanes, in the lane order of the sums: v[k] lane 4 *
 * m + j holds value 16 * m + 4 * k + j (modulo 16 * @lp).
 */
static __always_inline void vis_vnni_deal(const s32 *p, __mmask64 km, u32 lp,
					  __m512i v[4])
{
	__m512i s[4], t[4];
	u32 q;

#pragma GCC unroll 4
	for (q = 0; q < 4; q++) {
		u32 off = 16 * (q % lp);

		s[q] = _mm512_maskz_loadu_epi32((__mmask16)(km >> off),
						p + off);
	}
	/* A 4 x 4 transpose of 128-bit lanes. */
	t[0] = _mm512_shuffle_i64x2(s[0], s[1], 0x44);
	t[1] = _mm512_shuffle_i64x2(s[0], s[1], 0xee);
	t[2] = _mm512_shuffle_i64x2(s[2], s[3], 0x44);
	t[3] = _mm512_shuffle_i64x2(s[2], s[3], 0xee);
	v[0] = _mm512_shuffle_i64x2(t[0], t[2], 0x88);
	v[1] = _mm512_shuffle_i64x2(t[0], t[2], 0xdd);
	v[2] = _mm512_shuffle_i64x2(t[1], t[3], 0x88);
	v[3] = _mm512_shuffle_i64x2(t[1], t[3], 0xdd);
}

/* Rows @x[0..3] of four taps as tap quads in the lane order of the sums. */
static __always_inline void vis_vnni_quads(const __m512i x[4], __m512i q[4])
{
	__m512i lo01 = _mm512_unpacklo_epi8(x[0], x[1]);
	__m512i hi01 = _mm512_unpackhi_epi8(x[0], x[1]);
	__m512i lo23 = _mm512_unpacklo_epi8(x[2], x[3]);
	__m512i hi23 = _mm512_unpackhi_epi8(x[2], x[3]);

	q[0] = _mm512_unpacklo_epi16(lo01, lo23);
	q[1] = _mm512_unpackhi_epi16(lo01, lo23);
	q[2] = _mm512_unpacklo_epi16(hi01, hi23);
	q[3] = _mm512_unpackhi_epi16(hi01, hi23);
}

/*
 * The 16 * @lp channels of @km at @r[s] for the 4 / @lp pixels s of a
 * vector, pixel s in 128-bit lanes [s * @lp, (s + 1) * @lp).
 */
static __always_inline __m512i vis_vnni_load(const s8 *const *r, u32 lp,
					     __mmask64 km, bool full)
{
	__m256i h0, h1;
	__m512i v;

	if (lp == 4)
		return full ? _mm512_loadu_si512(r[0]) :
			      _mm512_maskz_loadu_epi8(km, r[0]);
	if (lp == 2) {
		h0 = _mm256_maskz_loadu_epi8((__mmask32)km, r[0]);
		h1 = _mm256_maskz_loadu_epi8((__mmask32)km, r[1]);
		return _mm512_inserti64x4(_mm512_castsi256_si512(h0), h1, 1);
	}
	v = _mm512_castsi128_si512(_mm_maskz_loadu_epi8((__mmask16)km, r[0]));
	v = _mm512_inserti32x4(v, _mm_maskz_loadu_epi8((__mmask16)km, r[1]), 1);
	v = _mm512_inserti32x4(v, _mm_maskz_loadu_epi8((__mmask16)km, r[2]), 2);
	return _mm512_inserti32x4(v, _mm_maskz_loadu_epi8((__mmask16)km, r[3]),
				  3);
}

/* Pixel @s (a constant after inlining) of the vector @b to @o. */
static __always_inline void vis_vnni_store(s8 *o, __m512i b, u32 s, u32 lp,
					   __mmask64 km, bool full)
{
	__m256i h;
	__m128i q;

	if (lp == 4 && full) {
		_mm512_storeu_si512(o, b);
	} else if (lp == 4) {
		_mm512_mask_storeu_epi8(o, km, b);
	} else if (lp == 2) {
		h = s ? _mm512_extracti64x4_epi64(b, 1) :
			_mm512_castsi512_si256(b);
		_mm256_mask_storeu_epi8(o, (__mmask32)km, h);
	} else {
		/* Immediates only: clang insists even after inlining. */
		switch (s) {
		case 0:
			q = _mm512_castsi512_si128(b);
			break;
		case 1:
			q = _mm512_extracti32x4_epi32(b, 1);
			break;
		case 2:
			q = _mm512_extracti32x4_epi32(b, 2);
			break;
		default:
			q = _mm512_extracti32x4_epi32(b, 3);
			break;
		}
		_mm_mask_storeu_epi8(o, (__mmask16)km, q);
	}
}

/* @acc[k] + the products of the tap quads @q[k] and filter quads @w[k]. */
static __always_inline void vis_vnni_mac(__m512i acc[4], const __m512i q[4],
					 const __m512i w[4])
{
	u32 k;

#pragma GCC unroll 4
	for (k = 0; k < 4; k++)
		acc[k] = _mm512_dpbusd_epi32(acc[k], q[k], w[k]);
}

/* Tap groups of four whose interleaved filter fits in the scratch. */
#define VIS_VNNI_DW_GROUPS 24

/* The per-call tables of a block, in the lane order of the sums. */
struct vis_vnni_dw_ch {
	__m512i bias[4], mult[4], modd[4], left[4], right[4], rmask[4];
	__m512i rhalf[4];
	__m512i w[VIS_VNNI_DW_GROUPS][4];
};

/* Aligned within the scratch, whose own alignment is not promised. */
static_assert(sizeof(struct vis_vnni_dw_ch) + 63 <= VIS_DW_TMP,
	      "dw_conv scratch too small");

/*
 * The 4 / @lp pixels from @p0 (one vector), those past the last computed
 * but not stored. The four sums already give vpdpbusd independent work to
 * interleave; more pixels at a time spill. @lsh (a constant): some
 * requant shift is to the left.
 */
static __always_inline void vis_vnni_dw_px(const struct vis_dw_args *a,
					   const struct vis_vnni_dw_ch *ch,
					   u32 p0, u32 lp, u32 c0, __mmask64 km,
					   bool full, bool lsh)
{
	const __m512i flip = _mm512_set1_epi8((char)0x80);
	const __m512i zp = _mm512_set1_epi16((short)a->out_zp);
	const __m512i lo = _mm512_set1_epi8((char)a->act_min);
	const __m512i hi = _mm512_set1_epi8((char)a->act_max);
	u32 last = a->ntaps - 1, ng = (a->ntaps + 3) / 4, npv = 4 / lp;
	__m512i acc[4], sel[4], x[4], q[4], r01, r23, b;
	const s8 *r[4];
	u32 pix[4];
	u32 g, i, k, s;

	/*
	 * Per 128-bit lane, byte 4 * k + j to byte 0 of dword j, the other
	 * bytes zero: the set of channels of quad vector k.
	 */
	sel[0] = _mm512_set4_epi32(0x80808003, 0x80808002, 0x80808001,
				   0x80808000);
#pragma GCC unroll 4
	for (k = 1; k < 4; k++)
		sel[k] = _mm512_add_epi32(sel[0], _mm512_set1_epi32(4 * k));
#pragma GCC unroll 4
	for (s = 0; s < npv; s++)
		pix[s] = min(p0 + s, a->npix - 1);
#pragma GCC unroll 4
	for (k = 0; k < 4; k++)
		acc[k] = ch->bias[k];
	for (g = 0; g < ng; g++) {
		if (4 * g == last) {
			/*
			 * One tap left: byte 0 of each quad is all its filter
			 * has, so place the input there with vpshufb instead
			 * of interleaving.
			 */
#pragma GCC unroll 4
			for (s = 0; s < npv; s++)
				r[s] = vis_dw_tap(a, pix[s], last) + c0;
			x[0] = vis_vnni_load(r, lp, km, full);
			x[0] = _mm512_xor_si512(x[0], flip);
#pragma GCC unroll 4
			for (k = 0; k < 4; k++)
				q[k] = _mm512_shuffle_epi8(x[0], sel[k]);
			vis_vnni_mac(acc, q, ch->w[g]);
			continue;
		}
#pragma GCC unroll 4
		for (i = 0; i < 4; i++) {
			/* Taps past the last have zero weights. */
			u32 t = min(4 * g + i, last);

#pragma GCC unroll 4
			for (s = 0; s < npv; s++)
				r[s] = vis_dw_tap(a, pix[s], t) + c0;
			x[i] = vis_vnni_load(r, lp, km, full);
			x[i] = _mm512_xor_si512(x[i], flip);
		}
		vis_vnni_quads(x, q);
		vis_vnni_mac(acc, q, ch->w[g]);
	}
#pragma GCC unroll 4
	for (k = 0; k < 4; k++) {
		__m512i v = acc[k];

		if (lsh)
			v = _mm512_sllv_epi32(v, ch->left[k]);
		v = vis_avx512_srdhm2(v, ch->mult[k], ch->modd[k]);
		acc[k] = vis_avx512_rdbpot2(v, ch->right[k], ch->rmask[k],
					    ch->rhalf[k]);
	}
	r01 = _mm512_packs_epi32(acc[0], acc[1]);
	r23 = _mm512_packs_epi32(acc[2], acc[3]);
	r01 = _mm512_adds_epi16(r01, zp);
	r23 = _mm512_adds_epi16(r23, zp);
	b = _mm512_packs_epi16(r01, r23);
	b = _mm512_min_epi8(_mm512_max_epi8(b, lo), hi);
#pragma GCC unroll 4
	for (s = 0; s < npv; s++) {
		s8 *o = a->out + (size_t)(p0 + s) * a->out_stride + c0;

		if (p0 + s >= a->npix)
			break;
		vis_vnni_store(o, b, s, lp, km, full);
	}
}

/*
 * Channels [c0, c0 + 16 * @lp) of every pixel, those of @km only; @full
 * (all 64) and @lp (4, or 2 or 1 for a tail of at most 32 or 16 channels:
 * two or four pixels per vector) are constants after inlining.
 */
static __always_inline void vis_vnni_dw_block(const struct vis_dw_args *a,
					      struct vis_vnni_dw_ch *ch, u32 c0,
					      __mmask64 km, u32 lp, bool full)
{
	const __m512i zero = _mm512_setzero_si512();
	const __m512i one = _mm512_set1_epi32(1);
	const __m512i ones = _mm512_set1_epi8(1);
	u32 ng = (a->ntaps + 3) / 4, p, g, i, k;
	__m512i wsum[4], left = zero;
	bool lsh;

#pragma GCC unroll 4
	for (k = 0; k < 4; k++)
		wsum[k] = zero;
	for (g = 0; g < ng; g++) {
		__m512i x[4];

#pragma GCC unroll 4
		for (i = 0; i < 4; i++) {
			const s8 *w = a->w + (size_t)(4 * g + i) * a->c + c0;
			const s8 *r[4] = { w, w, w, w };

			x[i] = 4 * g + i >= a->ntaps ?
				       zero :
				       vis_vnni_load(r, lp, km, full);
		}
		vis_vnni_quads(x, ch->w[g]);
		/* sum(w) per channel, to take 128 * sum(w) out of the bias. */
#pragma GCC unroll 4
		for (k = 0; k < 4; k++)
			wsum[k] =
				_mm512_dpbusd_epi32(wsum[k], ones, ch->w[g][k]);
	}
	vis_vnni_deal(a->bias + c0, km, lp, ch->bias);
	vis_vnni_deal(a->mult + c0, km, lp, ch->mult);
	vis_vnni_deal(a->shift + c0, km, lp, ch->left);
#pragma GCC unroll 4
	for (k = 0; k < 4; k++) {
		__m512i sh = ch->left[k], right;

		ch->bias[k] = _mm512_sub_epi32(ch->bias[k],
					       _mm512_slli_epi32(wsum[k], 7));
		ch->modd[k] = _mm512_srli_epi64(ch->mult[k], 32);
		ch->left[k] = _mm512_max_epi32(sh, zero);
		left = _mm512_or_si512(left, ch->left[k]);
		right = _mm512_max_epi32(_mm512_sub_epi32(zero, sh), zero);
		ch->right[k] = right;
		ch->rmask[k] =
			_mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
		ch->rhalf[k] = _mm512_srli_epi32(ch->rmask[k], 1);
	}
	lsh = _mm512_test_epi32_mask(left, left);
	for (p = 0; p < a->npix; p += 4 / lp) {
		if (lsh)
			vis_vnni_dw_px(a, ch, p, lp, c0, km, full, true);
		else
			vis_vnni_dw_px(a, ch, p, lp, c0, km, full, false);
	}
}

/*
 * One function per kind of block: inlined all into one, the copies of the
 * loop would share a stack frame too large for the kernel.
 */
static noinline void vis_vnni_dw_full(const struct vis_dw_args *a,
				      struct vis_vnni_dw_ch *ch, u32 c0)
{
	vis_vnni_dw_block(a, ch, c0, ~0ull, 4, true);
}

static noinline void vis_vnni_dw_tail4(const struct vis_dw_args *a,
				       struct vis_vnni_dw_ch *ch, u32 c0,
				       __mmask64 km)
{
	vis_vnni_dw_block(a, ch, c0, km, 4, false);
}

static noinline void vis_vnni_dw_tail2(const struct vis_dw_args *a,
				       struct vis_vnni_dw_ch *ch, u32 c0,
				       __mmask64 km)
{
	vis_vnni_dw_block(a, ch, c0, km, 2, false);
}

static noinline void vis_vnni_dw_tail1(const struct vis_dw_args *a,
				       struct vis_vnni_dw_ch *ch, u32 c0,
				       __mmask64 km)
{
	vis_vnni_dw_block(a, ch, c0, km, 1, false);
}

void vis_dw_conv_avx512vnni(const struct vis_dw_args *a)
{
	/* Too large for a kernel stack frame: in the caller's scratch. */
	struct vis_vnni_dw_ch *ch =
		(struct vis_vnni_dw_ch *)ALIGN((unsigned long)a->tmp, 64);
	u32 c0 = 0, rest;
	__mmask64 km;

	if (a->ntaps > 4 * VIS_VNNI_DW_GROUPS) {
		vis_dw_conv_avx512(a);
		return;
	}
	for (; c0 + 64 <= a->c; c0 += 64)
		vis_vnni_dw_full(a, ch, c0);
	rest = a->c - c0;
	km = (1ull << rest) - 1;
	if (rest > 32)
		vis_vnni_dw_tail4(a, ch, c0, km);
	else if (rest > 16)
		vis_vnni_dw_tail2(a, ch, c0, km);
	else if (rest)
		vis_vnni_dw_tail1(a, ch, c0, km);
}
