// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX2 depthwise kernel
 *
 * &vis_kernels.dw_conv for the avx2 table, compiled with -mavx2
 * (scripts/simd-flags.sh); in the kernel only between vis_simd_begin() and
 * vis_simd_end().
 *
 * Channels are processed 32 at a time while the filter has at most 96
 * taps: two taps at a time are sign-extended to int16 and interleaved into
 * pairs per channel with vpunpck{l,h}wd, and vpmaddwd multiplies them by
 * the filter interleaved the same way once per call in &vis_dw_args.tmp;
 * saturating packs of the four results and a vpermq put the channels back
 * in order. The rest go 16, then 8 at a time, the filter and requant
 * values of the block held in registers while the block walks every pixel
 * of the call, int8 sign-extended to int32 and multiplied with vpmulld.
 * All products are exact.
 *
 * Requantization is exact too: SaturatingRoundingDoublingHighMul is
 * floor((x * mult + 2^30) / 2^31) (gemmlowp's nudge and truncation reduce
 * to this, and the saturating case cannot occur as mult is never S32_MIN),
 * formed with vpmuldq on the even and the odd lanes; the rounding divide
 * uses per-lane shifts. The last channels (fewer than 8) go through the
 * scalar reference, so no load reaches past the channels.
 */

#include "vis_engine.h"
#include "vis_simd_gemm.h"
#include "vis_quant.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

/* Vectors of 8 channels per block. */
#define VIS_AVX2_DW_NV 2

/* floor((a * b + 2^30) / 2^31) per lane, exact for b != S32_MIN. */
static __always_inline __m256i vis_avx2_srdhm(__m256i a, __m256i b)
{
	const __m256i nudge = _mm256_set1_epi64x(1ll << 30);
	__m256i even = _mm256_add_epi64(_mm256_mul_epi32(a, b), nudge);
	__m256i odd =
		_mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32),
						  _mm256_srli_epi64(b, 32)),
				 nudge);

	/* Bits 31..62 of each sum: the result, which fits in 32 bits. */
	return _mm256_blend_epi32(_mm256_srli_epi64(even, 31),
				  _mm256_slli_epi64(odd, 1), 0xaa);
}

/* RoundingDivideByPOT by per-lane exponents @e in [0, 31]. */
static __always_inline __m256i vis_avx2_rdbpot(__m256i x, __m256i e)
{
	const __m256i one = _mm256_set1_epi32(1);
	__m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, e), one);
	__m256i rem = _mm256_and_si256(x, mask);
	__m256i thr = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1),
				       _mm256_srai_epi32(x, 31));

	return _mm256_sub_epi32(_mm256_srav_epi32(x, e),
				_mm256_cmpgt_epi32(rem, thr));
}

/* The low bytes of the 8 lanes of @v (each in [-128, 127]) to @o. */
static __always_inline void vis_avx2_store8(s8 *o, __m256i v)
{
	const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1,
					      -1, -1, -1, -1, -1, -1, -1, 0, 4,
					      8, 12, -1, -1, -1, -1, -1, -1, -1,
					      -1, -1, -1, -1, -1);
	__m256i b = _mm256_shuffle_epi8(v, pick);

	b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 1, 1, 1,
							     1, 1));
	_mm_storel_epi64((__m128i *)o, _mm256_castsi256_si128(b));
}

/* @acc + the products of 8 int8 at @x and 8 int8 at @w: exact. */
static __always_inline __m256i vis_avx2_mac(__m256i acc, const s8 *x,
					    const s8 *w)
{
	__m256i xv = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)x));
	__m256i wv = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)w));

	return _mm256_add_epi32(acc, _mm256_mullo_epi32(xv, wv));
}

/* @v clamped to [@lo, @hi] per lane. */
static __always_inline __m256i vis_avx2_clamp(__m256i v, s32 lo, s32 hi)
{
	v = _mm256_max_epi32(v, _mm256_set1_epi32(lo));
	return _mm256_min_epi32(v, _mm256_set1_epi32(hi));
}

/* Channels [c0, c0 + 8 * nv) of every pixel; @nv is a constant. */
static __always_inline void vis_avx2_dw_block(const struct vis_dw_args *a,
					      u32 c0, u32 nv)
{
	const __m256i zero = _mm256_setzero_si256();
	__m256i bias[VIS_AVX2_DW_NV], mult[VIS_AVX2_DW_NV];
	__m256i left[VIS_AVX2_DW_NV], right[VIS_AVX2_DW_NV];
	__m256i acc[VIS_AVX2_DW_NV];
	u32 p, t, v;

#pragma GCC unroll 2
	for (v = 0; v < nv; v++) {
		u32 c = c0 + 8 * v;
		__m256i sh;

		bias[v] = _mm256_loadu_si256((const __m256i *)(a->bias + c));
		mult[v] = _mm256_loadu_si256((const __m256i *)(a->mult + c));
		sh = _mm256_loadu_si256((const __m256i *)(a->shift + c));
		left[v] = _mm256_max_epi32(sh, zero);
		right[v] = _mm256_max_epi32(_mm256_sub_epi32(zero, sh), zero);
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
				acc[v] = vis_avx2_mac(acc[v], x + 8 * v,
						      w + 8 * v);
			}
		}
#pragma GCC unroll 2
		for (v = 0; v < nv; v++) {
			__m256i r = _mm256_sllv_epi32(acc[v], left[v]);

			r = vis_avx2_srdhm(r, mult[v]);
			r = vis_avx2_rdbpot(r, right[v]);
			r = vis_avx2_clamp(r, -256, 256);
			r = _mm256_add_epi32(r, _mm256_set1_epi32(a->out_zp));
			r = vis_avx2_clamp(r, a->act_min, a->act_max);
			vis_avx2_store8(o + 8 * v, r);
		}
	}
}

/* vis_avx2_srdhm() with @bodd = @b >> 32 per 64-bit lane precomputed. */
static __always_inline __m256i vis_avx2_srdhm2(__m256i a, __m256i b,
					       __m256i bodd)
{
	const __m256i nudge = _mm256_set1_epi64x(1ll << 30);
	__m256i aodd = _mm256_srli_epi64(a, 32);
	__m256i even = _mm256_add_epi64(_mm256_mul_epi32(a, b), nudge);
	__m256i odd = _mm256_add_epi64(_mm256_mul_epi32(aodd, bodd), nudge);

	return _mm256_blend_epi32(_mm256_srli_epi64(even, 31),
				  _mm256_slli_epi64(odd, 1), 0xaa);
}

/*
 * vis_avx2_rdbpot() with @mask = 2^e - 1 and @half = mask >> 1
 * precomputed.
 */
static __always_inline __m256i vis_avx2_rdbpot2(__m256i x, __m256i e,
						__m256i mask, __m256i half)
{
	__m256i rem = _mm256_and_si256(x, mask);
	__m256i thr = _mm256_sub_epi32(half, _mm256_srai_epi32(x, 31));

	return _mm256_sub_epi32(_mm256_srav_epi32(x, e),
				_mm256_cmpgt_epi32(rem, thr));
}

/*
 * 16 int8 at @p (when @p is set: else zeros) sign-extended, interleaved
 * with those at @q as int16 pairs: channels 0..3 and 8..11 in @lo, 4..7
 * and 12..15 in @hi (vpunpck{l,h}wd work within 128-bit lanes).
 */
static __always_inline void vis_avx2_pairs(const s8 *p, const s8 *q,
					   __m256i *lo, __m256i *hi)
{
	__m256i a = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
	__m256i b = _mm256_setzero_si256();

	if (q)
		b = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)q));
	*lo = _mm256_unpacklo_epi16(a, b);
	*hi = _mm256_unpackhi_epi16(a, b);
}

/*
 * The 16 * @nh int32 at @p in the lane order of the sums: v[2 * h] holds
 * values 16 * h + 0..3 and 16 * h + 8..11, v[2 * h + 1] 16 * h + 4..7 and
 * 16 * h + 12..15.
 */
static __always_inline void vis_avx2_deal(const s32 *p, u32 nh, __m256i v[4])
{
	__m256i s0 = _mm256_loadu_si256((const __m256i *)p);
	__m256i s1 = _mm256_loadu_si256((const __m256i *)(p + 8));
	__m256i s2, s3;

	v[0] = _mm256_permute2x128_si256(s0, s1, 0x20);
	v[1] = _mm256_permute2x128_si256(s0, s1, 0x31);
	if (nh == 1)
		return;
	s2 = _mm256_loadu_si256((const __m256i *)(p + 16));
	s3 = _mm256_loadu_si256((const __m256i *)(p + 24));
	v[2] = _mm256_permute2x128_si256(s2, s3, 0x20);
	v[3] = _mm256_permute2x128_si256(s2, s3, 0x31);
}

/* Tap pairs whose interleaved filter fits in the scratch. */
#define VIS_AVX2_DW_PAIRS 48

/* The per-call tables of a 32-channel block, in the lane order of sums. */
struct vis_avx2_dw_ch {
	__m256i bias[4], mult[4], modd[4], left[4], right[4], rmask[4];
	__m256i rhalf[4];
	__m256i w[VIS_AVX2_DW_PAIRS][4];
};

/* Aligned within the scratch, whose own alignment is not promised. */
static_assert(sizeof(struct vis_avx2_dw_ch) + 31 <= VIS_DW_TMP,
	      "dw_conv scratch too small");

/*
 * Channels [c0, c0 + 16 * @nh) of every pixel (@nh, 1 or 2, a constant
 * after inlining). Two taps at a time are
 * sign-extended to int16 and interleaved into pairs per channel, and
 * vpmaddwd multiplies them by the filter interleaved the same way once per
 * call: two exact products per lane and instruction. Packing the results
 * with saturation (equal to the clamps: see the VNNI kernel) and one
 * vpermq put the channels back in order.
 */
static __always_inline void vis_avx2_dw_pairs(const struct vis_dw_args *a,
					      struct vis_avx2_dw_ch *ch, u32 c0,
					      u32 nh)
{
	const __m256i zero = _mm256_setzero_si256();
	const __m256i one = _mm256_set1_epi32(1);
	const __m256i zp = _mm256_set1_epi16((short)a->out_zp);
	const __m256i lo = _mm256_set1_epi8((char)a->act_min);
	const __m256i hi = _mm256_set1_epi8((char)a->act_max);
	u32 npr = (a->ntaps + 1) / 2, p, g, h, k;
	__m256i acc[4];

	for (g = 0; g < npr; g++) {
		const s8 *w0 = a->w + (size_t)(2 * g) * a->c + c0;
		const s8 *w1 = 2 * g + 1 < a->ntaps ? w0 + a->c : NULL;

#pragma GCC unroll 2
		for (h = 0; h < nh; h++)
			vis_avx2_pairs(w0 + 16 * h, w1 ? w1 + 16 * h : NULL,
				       &ch->w[g][2 * h], &ch->w[g][2 * h + 1]);
	}
	vis_avx2_deal(a->bias + c0, nh, ch->bias);
	vis_avx2_deal(a->mult + c0, nh, ch->mult);
	vis_avx2_deal(a->shift + c0, nh, ch->left);
#pragma GCC unroll 4
	for (k = 0; k < 2 * nh; k++) {
		__m256i sh = ch->left[k], right;

		right = _mm256_max_epi32(_mm256_sub_epi32(zero, sh), zero);
		ch->left[k] = _mm256_max_epi32(sh, zero);
		ch->right[k] = right;
		ch->modd[k] = _mm256_srli_epi64(ch->mult[k], 32);
		ch->rmask[k] =
			_mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
		ch->rhalf[k] = _mm256_srli_epi32(ch->rmask[k], 1);
	}
	for (p = 0; p < a->npix; p++) {
		s8 *o = a->out + (size_t)p * a->out_stride + c0;
		__m256i r01, r23, b;

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
				__m256i pl, ph;

				vis_avx2_pairs(x0 + 16 * h,
					       x1 ? x1 + 16 * h : NULL, &pl,
					       &ph);
				pl = _mm256_madd_epi16(pl, ch->w[g][2 * h]);
				ph = _mm256_madd_epi16(ph, ch->w[g][2 * h + 1]);
				acc[2 * h] = _mm256_add_epi32(acc[2 * h], pl);
				acc[2 * h + 1] =
					_mm256_add_epi32(acc[2 * h + 1], ph);
			}
		}
#pragma GCC unroll 4
		for (k = 0; k < 2 * nh; k++) {
			__m256i r = _mm256_sllv_epi32(acc[k], ch->left[k]);

			r = vis_avx2_srdhm2(r, ch->mult[k], ch->modd[k]);
			acc[k] = vis_avx2_rdbpot2(r, ch->right[k], ch->rmask[k],
						  ch->rhalf[k]);
		}
		r01 = _mm256_packs_epi32(acc[0], acc[1]);
		r01 = _mm256_adds_epi16(r01, zp);
		r23 = r01;
		if (nh == 2) {
			r23 = _mm256_packs_epi32(acc[2], acc[3]);
			r23 = _mm256_adds_epi16(r23, zp);
		}
		b = _mm256_packs_epi16(r01, r23);
		b = _mm256_min_epi8(_mm256_max_epi8(b, lo), hi);
		b = _mm256_permute4x64_epi64(b, 0xd8);
		if (nh == 2)
			_mm256_storeu_si256((__m256i *)o, b);
		else
			_mm_storeu_si128((__m128i *)o,
					 _mm256_castsi256_si128(b));
	}
}

void vis_dw_conv_avx2(const struct vis_dw_args *a)
{
	/* Too large for a kernel stack frame: in the caller's scratch. */
	struct vis_avx2_dw_ch *ch =
		(struct vis_avx2_dw_ch *)ALIGN((unsigned long)a->tmp, 32);
	u32 c0 = 0;

	if (a->ntaps <= 2 * VIS_AVX2_DW_PAIRS) {
		for (; c0 + 32 <= a->c; c0 += 32)
			vis_avx2_dw_pairs(a, ch, c0, 2);
		if (c0 + 16 <= a->c) {
			vis_avx2_dw_pairs(a, ch, c0, 1);
			c0 += 16;
		}
	}
	for (; c0 + 16 <= a->c; c0 += 16)
		vis_avx2_dw_block(a, c0, 2);
	if (c0 + 8 <= a->c) {
		vis_avx2_dw_block(a, c0, 1);
		c0 += 8;
	}
	if (c0 < a->c)
		vis_dw_conv_tail(a, c0);
}
