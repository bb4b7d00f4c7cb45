// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX-512 VNNI block-sparse tile kernels
 *
 * block4_tile() and block4_tile32() of the AVX-512 VNNI table: one vector
 * holds the 4-byte groups of one reduction block for all the pixels of
 * the tile (8, 16 or 32 lanes: a half, one or two 64-byte vectors), so
 * every stored block of a weight row is one vpdpbusd per vector with the
 * block's 4 values in every dword: no gathers, the full vector width,
 * work proportional to the stored blocks.
 *
 * Those activation loads, one per vpdpbusd, are the most the load ports
 * can take, so nothing else is loaded per block: the column indices and
 * the values of 16 blocks come as one vector each, the indices reach the
 * address registers by vmovq/vpextrq and the values every dword by
 * shuffles. A row's last blocks (at most 16) are one more such step with
 * the blocks past the row or the slice masked to index 0 and value 0, so
 * a row costs one mispredicted branch rather than one per loop. Eight
 * accumulator chains hide the vpdpbusd latency.
 *
 * vpdpbusd multiplies unsigned by signed bytes, so the activations are
 * biased to unsigned (a XOR 0x80 = a + 128: by the kernel for
 * block4_tile(), when packed for block4_tile32()) and the bias and the
 * input zero point are taken out at the end per row: sum((a - zp) * w) =
 * sum((a + 128) * w) - (128 + zp) * sum(w), with sum(w) a vpdpbusd of the
 * same value vectors with ones. All of it is exact modulo 2^32, so results
 * equal the portable reference bit for bit. Loads past a row's blocks are
 * masked, so nothing past its indices and values is touched. The row
 * sums are transposed sixteen rows at a time in registers, so that each
 * pixel's sums reach the pixel-major accumulators as one vector.
 */

#include "vis_engine.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

#include "vis_simd_x86_avx512.h"

/*
 * @s + vpdpbusd of @x and @w. In asm: GCC 12 copies the accumulators of
 * the intrinsic around the loop.
 */
static __always_inline __m512i vis_vnnis_dp(__m512i s, __m512i x, __m512i w)
{
	asm("vpdpbusd %2, %1, %0" : "+v"(s) : "v"(x), "v"(w));
	return s;
}

/* One row's accumulators: eight chains. */
struct vis_vnnis_acc {
	__m512i s0, s1, s2, s3, t0, t1, t2, t3;
};

static __always_inline void vis_vnnis_zero(struct vis_vnnis_acc *z)
{
	z->s0 = _mm512_setzero_si512();
	z->s1 = z->s0;
	z->s2 = z->s0;
	z->s3 = z->s0;
	z->t0 = z->s0;
	z->t1 = z->s0;
	z->t2 = z->s0;
	z->t3 = z->s0;
}

/*
 * The biased group vector at @p of a tile of @lanes (8 or 16) lanes, the
 * lanes past 8 zero for 8.
 */
static __always_inline __m512i vis_vnnis_x(const s8 *p, u32 lanes, bool biased)
{
	__m256i h;

	if (lanes == VIS_BLOCK4_TILE)
		return biased ? _mm512_loadu_si512(p) :
				_mm512_xor_si512(_mm512_loadu_si512(p),
						 _mm512_set1_epi8((char)0x80));
	h = _mm256_loadu_si256((const __m256i *)p);
	if (!biased)
		h = _mm256_xor_si256(h, _mm256_set1_epi8((char)0x80));
	return _mm512_zextsi256_si512(h);
}

/*
 * Four blocks of a 16- or 8-lane tile into the chains @s0..@s3: their
 * byte offsets in the tile in @c4, their values in each 128-bit lane of
 * @w4.
 */
static __always_inline void vis_vnnis_quad(__m512i *s0, __m512i *s1,
					   __m512i *s2, __m512i *s3,
					   const s8 *a, u32 lanes, bool biased,
					   __m128i c4, __m512i w4)
{
	u64 i01 = (u64)_mm_cvtsi128_si64(c4);
	u64 i23 = (u64)_mm_extract_epi64(c4, 1);

	*s0 = vis_vnnis_dp(*s0, vis_vnnis_x(a + (u32)i01, lanes, biased),
			   _mm512_shuffle_epi32(w4, _MM_PERM_AAAA));
	*s1 = vis_vnnis_dp(*s1, vis_vnnis_x(a + (i01 >> 32), lanes, biased),
			   _mm512_shuffle_epi32(w4, _MM_PERM_BBBB));
	*s2 = vis_vnnis_dp(*s2, vis_vnnis_x(a + (u32)i23, lanes, biased),
			   _mm512_shuffle_epi32(w4, _MM_PERM_CCCC));
	*s3 = vis_vnnis_dp(*s3, vis_vnnis_x(a + (i23 >> 32), lanes, biased),
			   _mm512_shuffle_epi32(w4, _MM_PERM_DDDD));
}

/* The same for a 32-lane tile: two vectors a block, into s and t. */
static __always_inline void
vis_vnnis_quad32(struct vis_vnnis_acc *z, const s8 *a, __m128i c4, __m512i w4)
{
	u64 i01 = (u64)_mm_cvtsi128_si64(c4);
	u64 i23 = (u64)_mm_extract_epi64(c4, 1);
	const s8 *x0 = a + (u32)i01, *x1 = a + (i01 >> 32);
	const s8 *x2 = a + (u32)i23, *x3 = a + (i23 >> 32);
	__m512i w;

	w = _mm512_shuffle_epi32(w4, _MM_PERM_AAAA);
	z->s0 = vis_vnnis_dp(z->s0, _mm512_loadu_si512(x0), w);
	z->t0 = vis_vnnis_dp(z->t0, _mm512_loadu_si512(x0 + 64), w);
	w = _mm512_shuffle_epi32(w4, _MM_PERM_BBBB);
	z->s1 = vis_vnnis_dp(z->s1, _mm512_loadu_si512(x1), w);
	z->t1 = vis_vnnis_dp(z->t1, _mm512_loadu_si512(x1 + 64), w);
	w = _mm512_shuffle_epi32(w4, _MM_PERM_CCCC);
	z->s2 = vis_vnnis_dp(z->s2, _mm512_loadu_si512(x2), w);
	z->t2 = vis_vnnis_dp(z->t2, _mm512_loadu_si512(x2 + 64), w);
	w = _mm512_shuffle_epi32(w4, _MM_PERM_DDDD);
	z->s3 = vis_vnnis_dp(z->s3, _mm512_loadu_si512(x3), w);
	z->t3 = vis_vnnis_dp(z->t3, _mm512_loadu_si512(x3 + 64), w);
}

/*
 * Four blocks, quad @q of the 16 whose indices are @ci (byte offsets) and
 * values @wv (a block a dword), for a tile of @lanes lanes; an 8- or
 * 16-lane tile alternates between the chains s and t.
 */
static __always_inline void vis_vnnis_q(struct vis_vnnis_acc *z, const s8 *a,
					u32 lanes, bool biased, __m512i ci,
					__m512i wv, int q)
{
	__m128i c4;
	__m512i w4;

	/* Spelled out: the immediates must be constants even unoptimized. */
	switch (q) {
	case 0:
		c4 = _mm512_castsi512_si128(ci);
		w4 = _mm512_shuffle_i32x4(wv, wv, 0x00);
		break;
	case 1:
		c4 = _mm512_extracti32x4_epi32(ci, 1);
		w4 = _mm512_shuffle_i32x4(wv, wv, 0x55);
		break;
	case 2:
		c4 = _mm512_extracti32x4_epi32(ci, 2);
		w4 = _mm512_shuffle_i32x4(wv, wv, 0xaa);
		break;
	default:
		c4 = _mm512_extracti32x4_epi32(ci, 3);
		w4 = _mm512_shuffle_i32x4(wv, wv, 0xff);
		break;
	}

	if (lanes == VIS_BLOCK4_TILE32)
		vis_vnnis_quad32(z, a, c4, w4);
	else if (q & 1)
		vis_vnnis_quad(&z->t0, &z->t1, &z->t2, &z->t3, a, lanes, biased,
			       c4, w4);
	else
		vis_vnnis_quad(&z->s0, &z->s1, &z->s2, &z->s3, a, lanes, biased,
			       c4, w4);
}

/*
 * The blocks of one row from *@pos, before @end and before the first
 * with index >= @kend, times a tile of @lanes lanes: *@lo (and for 32
 * lanes *@hi, the pixels from 16) the sums less the zero point; *@pos
 * advanced past them.
 */
static __always_inline void vis_vnnis_row(const s8 *a, u32 lanes, bool biased,
					  s32 zp, u32 *pos, u32 end, u32 kend,
					  const u32 *col, const s8 *val,
					  __m512i *lo, __m512i *hi)
{
	/* log2 of the bytes of a block in the tile. */
	const int sh = lanes == VIS_BLOCK4_TILE32 ? 7 :
		       lanes == VIS_BLOCK4_TILE	  ? 6 :
						    5;
	const __m512i ones = _mm512_set1_epi8(1);
	const u32 *c0 = col + *pos, *cp = c0, *ce = col + end;
	const s8 *vp = val + (size_t)*pos * 4;
	struct vis_vnnis_acc z;
	__m512i ws, ci, wv, corr;
	__mmask16 m;
	u32 left, wsum;

	vis_vnnis_zero(&z);
	ws = z.s0;
	for (; ce - cp >= 16 && cp[15] < kend; cp += 16, vp += 64) {
		_mm_prefetch((const char *)(cp + 64), _MM_HINT_T0);
		_mm_prefetch((const char *)(vp + 256), _MM_HINT_T0);
		ci = _mm512_slli_epi32(_mm512_loadu_si512(cp), sh);
		wv = _mm512_loadu_si512(vp);
		ws = vis_vnnis_dp(ws, ones, wv);
		vis_vnnis_q(&z, a, lanes, biased, ci, wv, 0);
		vis_vnnis_q(&z, a, lanes, biased, ci, wv, 1);
		vis_vnnis_q(&z, a, lanes, biased, ci, wv, 2);
		vis_vnnis_q(&z, a, lanes, biased, ci, wv, 3);
	}
	/* The rest, masked, by the quarters that hold blocks. */
	left = (u32)min_t(size_t, ce - cp, 16);
	m = _cvtu32_mask16((1u << left) - 1);
	ci = _mm512_maskz_loadu_epi32(m, cp);
	m = _mm512_mask_cmplt_epu32_mask(m, ci, _mm512_set1_epi32((int)kend));
	ci = _mm512_slli_epi32(_mm512_maskz_mov_epi32(m, ci), sh);
	wv = _mm512_maskz_loadu_epi32(m, vp);
	ws = vis_vnnis_dp(ws, ones, wv);
	if (_cvtmask16_u32(m)) {
		vis_vnnis_q(&z, a, lanes, biased, ci, wv, 0);
		if (_cvtmask16_u32(m) > 0xf)
			vis_vnnis_q(&z, a, lanes, biased, ci, wv, 1);
		if (_cvtmask16_u32(m) > 0xff)
			vis_vnnis_q(&z, a, lanes, biased, ci, wv, 2);
		if (_cvtmask16_u32(m) > 0xfff)
			vis_vnnis_q(&z, a, lanes, biased, ci, wv, 3);
	}
	/* The blocks taken are a prefix: count them as the bits of m + 1. */
	cp += __builtin_ctz(_cvtmask16_u32(m) + 1);
	*pos += (u32)(cp - c0);

	wsum = (u32)_mm512_reduce_add_epi32(ws);
	corr = _mm512_set1_epi32((int)((u32)(128 + zp) * wsum));
	z.s0 = _mm512_add_epi32(_mm512_add_epi32(z.s0, z.s1),
				_mm512_add_epi32(z.s2, z.s3));
	z.t0 = _mm512_add_epi32(_mm512_add_epi32(z.t0, z.t1),
				_mm512_add_epi32(z.t2, z.t3));
	if (lanes == VIS_BLOCK4_TILE32) {
		*lo = _mm512_sub_epi32(z.s0, corr);
		*hi = _mm512_sub_epi32(z.t0, corr);
	} else {
		*lo = _mm512_sub_epi32(_mm512_add_epi32(z.s0, z.t0), corr);
	}
}

/* Add the transposed sums of 16 pixels from @p0 (at most @np) to @acc. */
static __always_inline void vis_vnnis_store16(__m512i v[16], u32 p0, u32 np,
					      __mmask16 mask, s32 *acc, u32 ldc)
{
	__m512i s;
	u32 p;
	s32 *o;

	vis_avx512_transpose16(v);
	for (p = p0; p < np && p < p0 + 16; p++) {
		o = acc + (size_t)p * ldc;
		s = _mm512_maskz_loadu_epi32(mask, o);
		_mm512_mask_storeu_epi32(o, mask,
					 _mm512_add_epi32(s, v[p - p0]));
	}
}

/*
 * block4_tile(): sixteen rows at a time (fewer at the end), transposed in
 * registers so that each pixel's sums for those rows are one vector added
 * to @acc.
 */
static __always_inline void vis_vnnis_tile(const s8 *a, u32 np, u32 lanes,
					   bool biased, s32 zp, u32 *pos,
					   const u32 *end, u32 kend, u32 nr,
					   const u32 *col, const s8 *val,
					   s32 *acc, u32 ldc)
{
	__m512i v[16], hi;
	u32 r0, i, n;

	for (r0 = 0; r0 < nr; r0 += 16) {
		n = min_t(u32, 16, nr - r0);
		for (i = 0; i < n; i++)
			vis_vnnis_row(a, lanes, biased, zp, pos + r0 + i,
				      end[r0 + i], kend, col, val, &v[i], &hi);
		for (; i < 16; i++)
			v[i] = _mm512_setzero_si512();
		vis_vnnis_store16(v, 0, np, (__mmask16)((1u << n) - 1),
				  acc + r0, ldc);
	}
}

void vis_block4_tile_avx512vnni(const s8 *a, u32 np, s32 zp, u32 *pos,
				const u32 *end, u32 kend, u32 nr,
				const u32 *col, const s8 *val, s32 *acc,
				u32 ldc)
{
	if (vis_block4_lanes(np) == VIS_BLOCK4_TILE)
		vis_vnnis_tile(a, np, VIS_BLOCK4_TILE, false, zp, pos, end,
			       kend, nr, col, val, acc, ldc);
	else
		vis_vnnis_tile(a, np, VIS_BLOCK4_TILE / 2, false, zp, pos, end,
			       kend, nr, col, val, acc, ldc);
}

/*
 * block4_tile32() of 32 lanes: sixteen rows at a time, their sums to @tmp
 * (the stack cannot hold 32 vectors within the kernel's frame limit),
 * then those of pixels 0..15 and of 16..31 back through the 16 x 16
 * transpose in turn.
 */
static void vis_vnnis_tile32(const s8 *a, u32 np, s32 zp, u32 *pos,
			     const u32 *end, u32 kend, u32 nr, const u32 *col,
			     const s8 *val, s32 *acc, u32 ldc, s32 *tmp)
{
	__m512i v[16], lo, hi;
	__mmask16 mask;
	u32 r0, i, n, h;

	for (r0 = 0; r0 < nr; r0 += 16) {
		n = min_t(u32, 16, nr - r0);
		for (i = 0; i < n; i++) {
			/* The streams of a later row: short, so prefetched. */
			if (r0 + i + 2 < nr) {
				u32 q = pos[r0 + i + 2];
				const char *vq = (const char *)val + q * 4ull;

				_mm_prefetch((const char *)(col + q),
					     _MM_HINT_T0);
				_mm_prefetch(vq, _MM_HINT_T0);
				_mm_prefetch(vq + 64, _MM_HINT_T0);
			}
			vis_vnnis_row(a, VIS_BLOCK4_TILE32, true, zp,
				      pos + r0 + i, end[r0 + i], kend, col, val,
				      &lo, &hi);
			_mm512_storeu_si512(tmp + i * 32, lo);
			_mm512_storeu_si512(tmp + i * 32 + 16, hi);
		}
		mask = (__mmask16)((1u << n) - 1);
		for (h = 0; h < 32 && h < np; h += 16) {
			for (i = 0; i < 16; i++)
				v[i] = i < n ? _mm512_loadu_si512(tmp + i * 32 +
								  h) :
					       _mm512_setzero_si512();
			vis_vnnis_store16(v, h, np, mask, acc + r0, ldc);
		}
	}
}

void vis_block4_tile32_avx512vnni(const s8 *a, u32 np, s32 zp, u32 *pos,
				  const u32 *end, u32 kend, u32 nr,
				  const u32 *col, const s8 *val, s32 *acc,
				  u32 ldc, s32 *tmp)
{
	switch (vis_block4_lanes32(np)) {
	case VIS_BLOCK4_TILE32:
		vis_vnnis_tile32(a, np, zp, pos, end, kend, nr, col, val, acc,
				 ldc, tmp);
		break;
	case VIS_BLOCK4_TILE:
		vis_vnnis_tile(a, np, VIS_BLOCK4_TILE, true, zp, pos, end, kend,
			       nr, col, val, acc, ldc);
		break;
	default:
		vis_vnnis_tile(a, np, VIS_BLOCK4_TILE / 2, true, zp, pos, end,
			       kend, nr, col, val, acc, ldc);
		break;
	}
}
