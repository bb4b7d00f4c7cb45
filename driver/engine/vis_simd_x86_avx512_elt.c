// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX-512 element-wise kernels
 *
 * &vis_kernels.max_pool, &vis_kernels.add_s8 and &vis_kernels.copy_flip
 * for the avx512bw and avx512vnni tables; in the kernel only between
 * vis_simd_begin() and vis_simd_end(). MAX_POOL takes 64 channels per vector, the tail with
 * masked loads and stores (which read and write nothing past @c). ADD
 * widens 16 elements to int32 and follows &struct vis_add_args lane by
 * lane: SaturatingRoundingDoublingHighMul is floor((a * b + 2^30) / 2^31)
 * for every product (gemmlowp's sign-dependent nudge with truncation
 * comes to the same; the saturating case needs b = S32_MIN, which a valid
 * multiplier never is), formed from the 64-bit products of the even and
 * odd lanes; RoundingDivideByPOT is the reference's mask and threshold.
 * Exact, so the results equal the portable ones bit for bit.
 *
 * &vis_kernels.copy_flip moves 64 bytes per vector, the tail masked.
 *
 * &vis_kernels.block4_pack transposes 16 patches by 16 groups of four
 * bytes at a time in registers; masked loads read no byte past a patch.
 */

#include "vis_engine.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

#include "vis_simd_x86_avx512.h"

void vis_max_pool_avx512(const s8 *in, u32 ny, u32 nx, size_t ystride, u32 c,
			 s32 lo, s32 hi, s8 *out)
{
	const __m512i vlo = _mm512_set1_epi8((char)lo);
	const __m512i vhi = _mm512_set1_epi8((char)hi);
	u32 c0, y, x;

	for (c0 = 0; c0 < c; c0 += 64) {
		__mmask64 m = c - c0 >= 64 ? ~0ull : (1ull << (c - c0)) - 1;
		const s8 *row = in + c0;
		__m512i v = vlo;

		for (y = 0; y < ny; y++, row += ystride) {
			const s8 *p = row;

			for (x = 0; x < nx; x++, p += c) {
				__m512i t = _mm512_maskz_loadu_epi8(m, p);

				v = _mm512_max_epi8(v, t);
			}
		}
		_mm512_mask_storeu_epi8(out + c0, m, _mm512_min_epi8(v, vhi));
	}
}

/* floor((a * b + 2^30) / 2^31) per lane, low 32 bits. */
static __always_inline __m512i vis_avx512e_srdhm(__m512i a, __m512i b)
{
	const __m512i nudge = _mm512_set1_epi64(1ll << 30);
	__m512i even, odd;

	even = _mm512_add_epi64(_mm512_mul_epi32(a, b), nudge);
	odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(a, 32),
						_mm512_srli_epi64(b, 32)),
			       nudge);
	even = _mm512_srli_epi64(even, 31);
	odd = _mm512_slli_epi64(odd, 1);
	return _mm512_mask_blend_epi32(0xaaaa, even, odd);
}

/* One RoundingDivideByPOT: exponent @e, @mask = 2^e - 1. */
struct vis_avx512e_pot {
	__m128i e;
	__m512i mask;
	__m512i half;
};

static __always_inline void vis_avx512e_pot_init(struct vis_avx512e_pot *d,
						 s32 e)
{
	s32 mask = (s32)((1ll << e) - 1);

	d->e = _mm_cvtsi32_si128(e);
	d->mask = _mm512_set1_epi32(mask);
	d->half = _mm512_set1_epi32(mask >> 1);
}

static __always_inline __m512i
vis_avx512e_rdbpot(__m512i x, const struct vis_avx512e_pot *d)
{
	__m512i rem = _mm512_and_si512(x, d->mask);
	__m512i thr = _mm512_sub_epi32(d->half, _mm512_srai_epi32(x, 31));
	__m512i q = _mm512_sra_epi32(x, d->e);

	return _mm512_mask_sub_epi32(q, _mm512_cmpgt_epi32_mask(rem, thr), q,
				     _mm512_set1_epi32(-1));
}

void vis_add_s8_avx512(const s8 *a, const s8 *b, s8 *out, u32 n,
		       const struct vis_add_args *p)
{
	const __m512i zp1 = _mm512_set1_epi32(p->zp1);
	const __m512i zp2 = _mm512_set1_epi32(p->zp2);
	const __m512i zpo = _mm512_set1_epi32(p->zp_out);
	const __m512i m1 = _mm512_set1_epi32(p->m1);
	const __m512i m2 = _mm512_set1_epi32(p->m2);
	const __m512i mo = _mm512_set1_epi32(p->m_out);
	const __m512i vlo = _mm512_set1_epi32(p->lo);
	const __m512i vhi = _mm512_set1_epi32(p->hi);
	const __m128i ls = _mm_cvtsi32_si128(p->lshift);
	struct vis_avx512e_pot d1, d2, dout;
	__m512i x, y, r;
	__mmask16 m;
	u32 i;

	vis_avx512e_pot_init(&d1, p->rs1);
	vis_avx512e_pot_init(&d2, p->rs2);
	vis_avx512e_pot_init(&dout, p->rs_out);
	for (i = 0; i < n; i += 16) {
		m = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
		x = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, a + i));
		y = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, b + i));
		/* |x - zp| << lshift < 2^28: no lane overflows. */
		x = _mm512_sll_epi32(_mm512_sub_epi32(x, zp1), ls);
		y = _mm512_sll_epi32(_mm512_sub_epi32(y, zp2), ls);
		x = vis_avx512e_rdbpot(vis_avx512e_srdhm(x, m1), &d1);
		y = vis_avx512e_rdbpot(vis_avx512e_srdhm(y, m2), &d2);
		r = vis_avx512e_srdhm(_mm512_add_epi32(x, y), mo);
		r = vis_avx512e_rdbpot(r, &dout);
		r = _mm512_add_epi32(r, zpo);
		r = _mm512_min_epi32(_mm512_max_epi32(r, vlo), vhi);
		_mm512_mask_cvtepi32_storeu_epi8(out + i, m, r);
	}
}

void vis_block4_pack_avx512(const s8 *const *src, u32 np, u32 nkb, u32 lanes,
			    u32 flip, s8 *tile)
{
	const __m512i vflip = _mm512_set1_epi32((int)flip);
	__m512i v[16];
	__m256i lo;
	__mmask16 m;
	u32 p0, kb0, i, n;
	s8 *d;

	for (p0 = 0; p0 < lanes; p0 += 16) {
		for (kb0 = 0; kb0 < nkb; kb0 += 16) {
			n = min_t(u32, 16, nkb - kb0);
			m = (__mmask16)((1u << n) - 1);
			for (i = 0; i < 16; i++) {
				const s8 *sp;

				v[i] = _mm512_setzero_si512();
				if (p0 + i >= np)
					continue;
				sp = src[p0 + i] + 4 * kb0;
				v[i] = _mm512_maskz_loadu_epi32(m, sp);
				v[i] = _mm512_xor_si512(v[i], vflip);
			}
			vis_avx512_transpose16(v);
			for (i = 0; i < n; i++) {
				d = tile + ((size_t)(kb0 + i) * lanes + p0) * 4;
				lo = _mm512_castsi512_si256(v[i]);
				if (lanes - p0 >= 16)
					_mm512_storeu_si512(d, v[i]);
				else
					_mm256_storeu_si256((__m256i *)d, lo);
			}
		}
	}
}

void vis_copy_flip_avx512(s8 *dst, const s8 *src, size_t n, u8 flip)
{
	const __m512i f = _mm512_set1_epi8((char)flip);
	__mmask64 mask;
	__m512i v;
	size_t i;

	for (i = 0; i + 64 <= n; i += 64) {
		v = _mm512_xor_si512(_mm512_loadu_si512(src + i), f);
		_mm512_storeu_si512(dst + i, v);
	}
	if (i == n)
		return;
	mask = ((__mmask64)1 << (n - i)) - 1;
	v = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, src + i), f);
	_mm512_mask_storeu_epi8(dst + i, mask, v);
}
