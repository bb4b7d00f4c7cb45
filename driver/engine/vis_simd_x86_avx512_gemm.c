// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX-512 GEMM epilogue
 *
 * Per-channel requantization of sixteen accumulators at a time, bit-exact
 * with vis_requant_one(); shared by the avx512bw and avx512vnni tables.
 * SaturatingRoundingDoublingHighMul is floor((a * b + 2^30) / 2^31) for
 * every product (gemmlowp's sign-dependent nudge with truncation toward
 * zero comes to the same), computed from the 64-bit products of the even
 * and the odd lanes; the saturating case S32_MIN * S32_MIN cannot occur
 * with a valid multiplier. The tail uses masked loads and stores, so
 * nothing past @n elements is read or written.
 */

#include "vis_simd_gemm.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

#include "vis_simd_x86_avx512.h"

/* The low dwords of the qwords of @lo, then of @hi. */
static __always_inline __m512i vis_avx512_lo32(__m512i lo, __m512i hi)
{
	__m512i v = _mm512_castsi256_si512(_mm512_cvtepi64_epi32(lo));

	return _mm512_inserti64x4(v, _mm512_cvtepi64_epi32(hi), 1);
}

void vis_requant_s8_avx512(const s32 *acc, const s32 *bias,
			   const struct vision_model_requant *rq, u32 n, s32 zp,
			   s32 lo, s32 hi, s8 *out)
{
	const __m512i one = _mm512_set1_epi32(1);
	const __m512i zero = _mm512_setzero_si512();
	const __m512i vzp = _mm512_set1_epi32(zp);
	const __m512i vlo = _mm512_set1_epi32(lo);
	const __m512i vhi = _mm512_set1_epi32(hi);
	const __m512i m256 = _mm512_set1_epi32(256);
	const __m512i n256 = _mm512_set1_epi32(-256);
	__m512i x, r0, r1, mult, shift, left, right, mask, rem, thr;
	__mmask16 m, m0, m1;
	u32 i, left_n, rqm;

	for (i = 0; i < n; i += 16) {
		left_n = n - i;
		/* Channel and {mult, shift} dword masks. */
		rqm = left_n >= 16 ? ~0u : (1u << (2 * left_n)) - 1;
		m = (__mmask16)(left_n >= 16 ? 0xffff : (1u << left_n) - 1);
		m0 = (__mmask16)(rqm & 0xffff);
		m1 = (__mmask16)(rqm >> 16);
		x = _mm512_add_epi32(_mm512_maskz_loadu_epi32(m, acc + i),
				     _mm512_maskz_loadu_epi32(m, bias + i));
		r0 = _mm512_maskz_loadu_epi32(m0, rq + i);
		r1 = _mm512_maskz_loadu_epi32(m1, rq + i + 8);
		mult = vis_avx512_lo32(r0, r1);
		shift = vis_avx512_lo32(_mm512_srli_epi64(r0, 32),
					_mm512_srli_epi64(r1, 32));
		left = _mm512_max_epi32(shift, zero);
		right = _mm512_max_epi32(_mm512_sub_epi32(zero, shift), zero);

		x = vis_avx512_srdhm(_mm512_sllv_epi32(x, left), mult);

		mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
		rem = _mm512_and_si512(x, mask);
		thr = _mm512_sub_epi32(_mm512_srli_epi32(mask, 1),
				       _mm512_srai_epi32(x, 31));
		x = _mm512_srav_epi32(x, right);
		x = _mm512_mask_add_epi32(x, _mm512_cmpgt_epi32_mask(rem, thr),
					  x, one);

		x = _mm512_min_epi32(_mm512_max_epi32(x, n256), m256);
		x = _mm512_add_epi32(x, vzp);
		x = _mm512_min_epi32(_mm512_max_epi32(x, vlo), vhi);
		_mm512_mask_cvtepi32_storeu_epi8(out + i, m, x);
	}
}

/*
 * The channel operands of one block of 16, prepared once and kept in
 * registers while every pixel goes through them.
 */
struct vis_avx512_rq {
	__m512i bias, mult, mult_odd, left, right, mask, half;
	bool any_left;
};

static __always_inline void vis_avx512_rq_init(struct vis_avx512_rq *q,
					       __mmask16 m, const s32 *bias,
					       const s32 *mult,
					       const s32 *shift)
{
	const __m512i zero = _mm512_setzero_si512();
	const __m512i one = _mm512_set1_epi32(1);
	__m512i sh = _mm512_maskz_loadu_epi32(m, shift);

	q->bias = _mm512_maskz_loadu_epi32(m, bias);
	q->mult = _mm512_maskz_loadu_epi32(m, mult);
	q->mult_odd = _mm512_srli_epi64(q->mult, 32);
	q->left = _mm512_max_epi32(sh, zero);
	q->any_left = _mm512_test_epi32_mask(q->left, q->left);
	q->right = _mm512_max_epi32(_mm512_sub_epi32(zero, sh), zero);
	q->mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, q->right), one);
	q->half = _mm512_srli_epi32(q->mask, 1);
}

/*
 * The clamps fold: with -128 <= @zp <= 127 and -128 <= @lo <= @hi <= 127,
 * clamp(clamp(v, -256, 256) + zp, lo, hi) = clamp(v, lo - zp, hi - zp) +
 * zp, as lo - zp > -256 and hi - zp < 256. Blocks whose shifts are all
 * right shifts (the usual case, multipliers below one) skip the left
 * shift.
 */
void vis_requant_px_avx512(const s32 *acc, u32 np, u32 ldacc, const s32 *bias,
			   const s32 *mult, const s32 *shift, u32 n, s32 zp,
			   s32 lo, s32 hi, s8 *out, size_t ldo)
{
	const __m512i one = _mm512_set1_epi32(1);
	const __m512i vzp = _mm512_set1_epi32(zp);
	const __m512i vlo = _mm512_set1_epi32(lo - zp);
	const __m512i vhi = _mm512_set1_epi32(hi - zp);
	struct vis_avx512_rq q;
	__m512i x, rem, thr;
	__mmask16 m, up;
	const s32 *ap;
	u32 i, p;

	for (i = 0; i < n; i += 16) {
		m = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
		vis_avx512_rq_init(&q, m, bias + i, mult + i, shift + i);
		for (p = 0; p < np; p++) {
			ap = acc + (size_t)p * ldacc + i;
			x = _mm512_maskz_loadu_epi32(m, ap);
			x = _mm512_add_epi32(x, q.bias);
			if (q.any_left)
				x = _mm512_sllv_epi32(x, q.left);
			x = vis_avx512_srdhm2(x, q.mult, q.mult_odd);
			rem = _mm512_and_si512(x, q.mask);
			thr = _mm512_sub_epi32(q.half,
					       _mm512_srai_epi32(x, 31));
			x = _mm512_srav_epi32(x, q.right);
			up = _mm512_cmpgt_epi32_mask(rem, thr);
			x = _mm512_mask_add_epi32(x, up, x, one);
			x = _mm512_min_epi32(_mm512_max_epi32(x, vlo), vhi);
			x = _mm512_add_epi32(x, vzp);
			_mm512_mask_cvtepi32_storeu_epi8(out + p * ldo + i, m,
							 x);
		}
	}
}
