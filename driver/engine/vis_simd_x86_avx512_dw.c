// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX-512 depthwise kernel
 *
 * &vis_kernels.dw_conv for the avx512bw table (and of the avx512vnni one
 * for filters too large for its own kernel), compiled with the AVX-512
 * F/BW/VL/DQ flags (scripts/simd-flags.sh); in the kernel only between
 * vis_simd_begin() and vis_simd_end().
 *
 * Channels are processed 32 at a time (two vectors of 16 int32
 * accumulators), the filter and requant values of the block held in
 * registers while the block walks every pixel of the call. Products are
 * int8 sign-extended to int32 and multiplied with vpmulld: exact.
 *
 * Requantization is exact too: SaturatingRoundingDoublingHighMul is
 * floor((x * mult + 2^30) / 2^31) (gemmlowp's nudge and truncation reduce
 * to this, and the saturating case cannot occur as mult is never S32_MIN),
 * formed from 64-bit products of the even and the odd lanes; the rounding
 * divide is done with per-lane shifts. Tails use masked loads and stores,
 * so nothing past the channels is touched.
 */

#include "vis_engine.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

#include "vis_simd_x86_avx512.h"

/* Vectors of 16 channels per block. */
#define VIS_AVX512_DW_NV 2

/* @acc + the products of the int8 at @x and @w in lanes @k. */
static __always_inline __m512i vis_avx512_mac(__m512i acc, const s8 *x,
					      const s8 *w, __mmask16 k)
{
	__m512i xv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(k, x));
	__m512i wv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(k, w));

	return _mm512_add_epi32(acc, _mm512_mullo_epi32(xv, wv));
}

/*
 * Channels [c0, c0 + 16 * nv) of every pixel, the last vector limited to
 * the lanes of @tail. @nv is a constant after inlining.
 */
static __always_inline void vis_avx512_dw_block(const struct vis_dw_args *a,
						u32 c0, u32 nv, __mmask16 tail)
{
	const __m512i lo = _mm512_set1_epi32(a->act_min);
	const __m512i hi = _mm512_set1_epi32(a->act_max);
	const __m512i zp = _mm512_set1_epi32(a->out_zp);
	const __m512i m256 = _mm512_set1_epi32(-256);
	const __m512i p256 = _mm512_set1_epi32(256);
	const __m512i zero = _mm512_setzero_si512();
	__m512i bias[VIS_AVX512_DW_NV], mult[VIS_AVX512_DW_NV];
	__m512i left[VIS_AVX512_DW_NV], right[VIS_AVX512_DW_NV];
	__m512i acc[VIS_AVX512_DW_NV];
	__mmask16 mk[VIS_AVX512_DW_NV];
	u32 p, t, v;

#pragma GCC unroll 2
	for (v = 0; v < nv; v++) {
		u32 c = c0 + 16 * v;
		__m512i sh;

		mk[v] = v == nv - 1 ? tail : (__mmask16)0xffff;
		bias[v] = _mm512_maskz_loadu_epi32(mk[v], a->bias + c);
		mult[v] = _mm512_maskz_loadu_epi32(mk[v], a->mult + c);
		sh = _mm512_maskz_loadu_epi32(mk[v], a->shift + c);
		left[v] = _mm512_max_epi32(sh, zero);
		right[v] = _mm512_max_epi32(_mm512_sub_epi32(zero, sh), zero);
	}
	for (p = 0; p < a->npix; p++) {
		s8 *o = a->out + (size_t)p * a->out_stride + c0;

#pragma GCC unroll 2
		for (v = 0; v < nv; v++)
			acc[v] = bias[v];
		for (t = 0; t < a->ntaps; t++) {
			const s8 *x = vis_dw_tap(a, p, t) + c0;
			const s8 *w = a->w + (size_t)t * a->c + c0;

#pragma GCC unroll 2
			for (v = 0; v < nv; v++) {
				acc[v] = vis_avx512_mac(acc[v], x + 16 * v,
							w + 16 * v, mk[v]);
			}
		}
#pragma GCC unroll 2
		for (v = 0; v < nv; v++) {
			__m512i r = _mm512_sllv_epi32(acc[v], left[v]);

			r = vis_avx512_srdhm(r, mult[v]);
			r = vis_avx512_rdbpot(r, right[v]);
			r = _mm512_min_epi32(_mm512_max_epi32(r, m256), p256);
			r = _mm512_add_epi32(r, zp);
			r = _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
			_mm512_mask_cvtepi32_storeu_epi8(o + 16 * v, mk[v], r);
		}
	}
}

/* Tap pairs whose interleaved filter fits in the scratch. */
#define VIS_AVX512_DW_PAIRS 24

/* The per-call tables of a 64-channel block, in the lane order of sums. */
struct vis_avx512_dw_ch {
	__m512i bias[4], mult[4], modd[4], left[4], right[4], rmask[4];
	__m512i rhalf[4];
	__m512i w[VIS_AVX512_DW_PAIRS][4];
};

/* Aligned within the scratch, whose own alignment is not promised. */
static_assert(sizeof(struct vis_avx512_dw_ch) + 63 <= VIS_DW_TMP,
	      "dw_conv scratch too small");

/*
 * The 32 int8 of @km at @p (when @p is set: else zeros) sign-extended,
 * interleaved with those at @q as int16 pairs: channels 8 * m + 0..3 in
 * 128-bit lane m of @lo, 8 * m + 4..7 in that of @hi.
 */
static __always_inline void vis_avx512_pairs(const s8 *p, const s8 *q,
					     __mmask32 km, __m512i *lo,
					     __m512i *hi)
{
	__m512i a = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(km, p));
	__m512i b = _mm512_setzero_si512();

	if (q)
		b = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(km, q));
	*lo = _mm512_unpacklo_epi16(a, b);
	*hi = _mm512_unpackhi_epi16(a, b);
}

/*
 * The 64 int32 of @km at @p in the lane order of the sums: lane 4 * m + j
 * of v[2 * h] holds value 32 * h + 8 * m + j, of v[2 * h + 1] value 32 * h
 * + 8 * m + 4 + j.
 */
static __always_inline void vis_avx512_deal(const s32 *p, __mmask64 km,
					    __m512i v[4])
{
	__m512i s[4];
	u32 q;

#pragma GCC unroll 4
	for (q = 0; q < 4; q++)
		s[q] = _mm512_maskz_loadu_epi32((__mmask16)(km >> (16 * q)),
						p + 16 * q);
	v[0] = _mm512_shuffle_i64x2(s[0], s[1], 0x88);
	v[1] = _mm512_shuffle_i64x2(s[0], s[1], 0xdd);
	v[2] = _mm512_shuffle_i64x2(s[2], s[3], 0x88);
	v[3] = _mm512_shuffle_i64x2(s[2], s[3], 0xdd);
}

/*
 * Channels [c0, c0 + 64) of every pixel, those of @km only (@full: all),
 * with @nh (1 or 2) halves of 32; the constants are so after inlining. Two
 * taps at a time are sign-extended to int16 and interleaved into pairs
 * per channel, and vpmaddwd multiplies them by the filter interleaved the
 * same way once per call: two exact products per lane and instruction.
 * Packing the results with saturation (equal to the clamps, as the
 * activation bounds lie within int8) and one vpermq put the channels back
 * in order.
 */
static __always_inline void vis_avx512_dw_pairs(const struct vis_dw_args *a,
						struct vis_avx512_dw_ch *ch,
						u32 c0, __mmask64 km, u32 nh,
						bool full)
{
	const __m512i zero = _mm512_setzero_si512();
	const __m512i one = _mm512_set1_epi32(1);
	const __m512i zp = _mm512_set1_epi16((short)a->out_zp);
	const __m512i lo = _mm512_set1_epi8((char)a->act_min);
	const __m512i hi = _mm512_set1_epi8((char)a->act_max);
	const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
	u32 npr = (a->ntaps + 1) / 2, p, g, h, k;
	__m512i acc[4];

	for (g = 0; g < npr; g++) {
		const s8 *w0 = a->w + (size_t)(2 * g) * a->c + c0;
		const s8 *w1 = 2 * g + 1 < a->ntaps ? w0 + a->c : NULL;

#pragma GCC unroll 2
		for (h = 0; h < nh; h++)
			vis_avx512_pairs(w0 + 32 * h, w1 ? w1 + 32 * h : NULL,
					 (__mmask32)(km >> (32 * h)),
					 &ch->w[g][2 * h],
					 &ch->w[g][2 * h + 1]);
	}
	vis_avx512_deal(a->bias + c0, km, ch->bias);
	vis_avx512_deal(a->mult + c0, km, ch->mult);
	vis_avx512_deal(a->shift + c0, km, ch->left);
#pragma GCC unroll 4
	for (k = 0; k < 2 * nh; k++) {
		__m512i sh = ch->left[k], right;

		right = _mm512_max_epi32(_mm512_sub_epi32(zero, sh), zero);
		ch->left[k] = _mm512_max_epi32(sh, zero);
		ch->right[k] = right;
		ch->modd[k] = _mm512_srli_epi64(ch->mult[k], 32);
		ch->rmask[k] =
			_mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
		ch->rhalf[k] = _mm512_srli_epi32(ch->rmask[k], 1);
	}
	for (p = 0; p < a->npix; p++) {
		s8 *o = a->out + (size_t)p * a->out_stride + c0;
		__m512i r0, r1, b;

#pragma GCC unroll 4
		for (k = 0; k < 2 * nh; k++)
			acc[k] = ch->bias[k];
		for (g = 0; g < npr; g++) {
			const s8 *x0 = vis_dw_tap(a, p, 2 * g) + c0;
			const s8 *x1 = NULL;

			if (2 * g + 1 < a->ntaps)
				x1 = vis_dw_tap(a, p, 2 * g + 1) + c0;
#pragma GCC unroll 2
			for (h = 0; h < nh; h++) {
				__mmask32 kh = (__mmask32)(km >> (32 * h));
				__m512i pl, ph;

				vis_avx512_pairs(x0 + 32 * h,
						 x1 ? x1 + 32 * h : NULL, kh,
						 &pl, &ph);
				pl = _mm512_madd_epi16(pl, ch->w[g][2 * h]);
				ph = _mm512_madd_epi16(ph, ch->w[g][2 * h + 1]);
				acc[2 * h] = _mm512_add_epi32(acc[2 * h], pl);
				acc[2 * h + 1] =
					_mm512_add_epi32(acc[2 * h + 1], ph);
			}
		}
#pragma GCC unroll 4
		for (k = 0; k < 2 * nh; k++) {
			__m512i r = _mm512_sllv_epi32(acc[k], ch->left[k]);

			r = vis_avx512_srdhm2(r, ch->mult[k], ch->modd[k]);
			acc[k] = vis_avx512_rdbpot2(r, ch->right[k],
						    ch->rmask[k], ch->rhalf[k]);
		}
		r0 = _mm512_packs_epi32(acc[0], acc[1]);
		r0 = _mm512_adds_epi16(r0, zp);
		r1 = r0;
		if (nh == 2) {
			r1 = _mm512_packs_epi32(acc[2], acc[3]);
			r1 = _mm512_adds_epi16(r1, zp);
		}
		b = _mm512_packs_epi16(r0, r1);
		b = _mm512_min_epi8(_mm512_max_epi8(b, lo), hi);
		b = _mm512_permutexvar_epi64(order, b);
		if (full)
			_mm512_storeu_si512(o, b);
		else if (nh == 2)
			_mm512_mask_storeu_epi8(o, km, b);
		else
			_mm256_mask_storeu_epi8(o, (__mmask32)km,
						_mm512_castsi512_si256(b));
	}
}

/* One function per kind of block keeps each stack frame small. */
static noinline void vis_avx512_dw_full(const struct vis_dw_args *a,
					struct vis_avx512_dw_ch *ch, u32 c0)
{
	vis_avx512_dw_pairs(a, ch, c0, ~0ull, 2, true);
}

static noinline void vis_avx512_dw_tail(const struct vis_dw_args *a,
					struct vis_avx512_dw_ch *ch, u32 c0,
					__mmask64 km)
{
	vis_avx512_dw_pairs(a, ch, c0, km, 2, false);
}

static noinline void vis_avx512_dw_half(const struct vis_dw_args *a,
					struct vis_avx512_dw_ch *ch, u32 c0,
					__mmask64 km)
{
	vis_avx512_dw_pairs(a, ch, c0, km, 1, false);
}

void vis_dw_conv_avx512(const struct vis_dw_args *a)
{
	/* Too large for a kernel stack frame: in the caller's scratch. */
	struct vis_avx512_dw_ch *ch =
		(struct vis_avx512_dw_ch *)ALIGN((unsigned long)a->tmp, 64);
	u32 c0 = 0, rest;

	if (a->ntaps <= 2 * VIS_AVX512_DW_PAIRS) {
		for (; c0 + 64 <= a->c; c0 += 64)
			vis_avx512_dw_full(a, ch, c0);
		rest = a->c - c0;
		if (rest > 32)
			vis_avx512_dw_tail(a, ch, c0, (1ull << rest) - 1);
		else if (rest)
			vis_avx512_dw_half(a, ch, c0, (1ull << rest) - 1);
		return;
	}
	for (; c0 + 32 <= a->c; c0 += 32)
		vis_avx512_dw_block(a, c0, 2, 0xffff);
	rest = a->c - c0;
	if (rest > 16)
		vis_avx512_dw_block(a, c0, 2,
				    (__mmask16)((1u << (rest - 16)) - 1));
	else if (rest)
		vis_avx512_dw_block(a, c0, 1, (__mmask16)((1u << rest) - 1));
}
