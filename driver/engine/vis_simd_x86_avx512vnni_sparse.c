// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX-512 VNNI block-sparse tile kernel
 *
 * block4_tile() of the AVX-512 VNNI table: one 64-byte vector holds the
 * 4-byte groups of one reduction block for all 16 pixels of the tile, so
 * every stored block of a weight row is one vpdpbusd of that vector with
 * the block's 4 values broadcast: no gathers, the full vector width, work
 * proportional to the stored blocks. Tiles of up to 8 pixels (8 lanes)
 * use 32-byte vectors, which run at twice the rate. The sums of sixteen
 * rows are transposed in registers, so that each pixel's sums reach the
 * pixel-major accumulators as one vector.
 *
 * vpdpbusd multiplies unsigned by signed bytes, so the activations are
 * biased to unsigned (a XOR 0x80 = a + 128) and the bias and the input
 * zero point are taken out at the end per row: sum((a - zp) * w) =
 * sum((a + 128) * w) - (128 + zp) * sum(w), with sum(w) from vpdpbusd of
 * the row's values with ones. All of it is exact modulo 2^32, so results
 * equal the portable reference bit for bit. Weight values are read with
 * byte-masked loads, so nothing past the row's values is touched.
 */

#include "vis_engine.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

#include "vis_simd_x86_avx512.h"

/*
 * @s + vpdpbusd of @x with the block at @w broadcast from memory. In asm:
 * GCC 12 copies the accumulators of the intrinsic around the loop.
 */
static __always_inline __m512i vis_vnnis_dp(__m512i s, __m512i x, const s8 *w)
{
	asm("vpdpbusd %2%{1to16%}, %1, %0"
	    : "+v"(s)
	    : "v"(x), "m"(*(const u32 *)w));
	return s;
}

/* The same for 8 pixels. */
static __always_inline __m256i vis_vnnis_dp8(__m256i s, __m256i x, const s8 *w)
{
	asm("vpdpbusd %2%{1to8%}, %1, %0"
	    : "+v"(s)
	    : "v"(x), "m"(*(const u32 *)w));
	return s;
}

/* The biased group vector of block @col of a 16-lane tile. */
static __always_inline __m512i vis_vnnis_x(const s8 *a, u32 col)
{
	const __m512i flip = _mm512_set1_epi8((char)0x80);
	__m512i x;

	x = _mm512_loadu_si512(a + (size_t)col * VIS_BLOCK4_TILE * 4);
	return _mm512_xor_si512(x, flip);
}

/* The same for an 8-lane tile. */
static __always_inline __m256i vis_vnnis_x8(const s8 *a, u32 col)
{
	const __m256i flip = _mm256_set1_epi8((char)0x80);
	__m256i x;

	x = _mm256_loadu_si256((const __m256i *)(a + (size_t)col * 32));
	return _mm256_xor_si256(x, flip);
}

/* Sum of the @n values at @v; four chains hide the vpdpbusd latency. */
static __always_inline s32 vis_vnnis_wsum(const s8 *v, u32 n)
{
	const __m512i ones = _mm512_set1_epi8(1);
	__m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
	__mmask64 mask;
	u32 i = 0;

	for (; i + 256 <= n; i += 256) {
		s0 = _mm512_dpbusd_epi32(s0, ones, _mm512_loadu_si512(v + i));
		s1 = _mm512_dpbusd_epi32(s1, ones,
					 _mm512_loadu_si512(v + i + 64));
		s2 = _mm512_dpbusd_epi32(s2, ones,
					 _mm512_loadu_si512(v + i + 128));
		s3 = _mm512_dpbusd_epi32(s3, ones,
					 _mm512_loadu_si512(v + i + 192));
	}
	for (; i + 64 <= n; i += 64)
		s1 = _mm512_dpbusd_epi32(s1, ones, _mm512_loadu_si512(v + i));
	if (i < n) {
		mask = _cvtu64_mask64((1ull << (n - i)) - 1);
		s2 = _mm512_dpbusd_epi32(s2, ones,
					 _mm512_maskz_loadu_epi8(mask, v + i));
	}
	s0 = _mm512_add_epi32(_mm512_add_epi32(s0, s1),
			      _mm512_add_epi32(s2, s3));
	return _mm512_reduce_add_epi32(s0);
}

/* The sums of one row over a 16-lane tile, less the zero point. */
static __always_inline __m512i vis_vnnis_row16(const s8 *a, s32 zp, u32 *pos,
					       u32 end, u32 kend,
					       const u32 *col, const s8 *val)
{
	__m512i s0, s1, s2, s3, x0, x1, x2, x3;
	const u32 *c0 = col + *pos, *cp = c0, *ce = col + end;
	const s8 *vp = val + (size_t)*pos * 4;
	u32 corr;

	s0 = _mm512_setzero_si512();
	s1 = _mm512_setzero_si512();
	s2 = _mm512_setzero_si512();
	s3 = _mm512_setzero_si512();
	/* Four chains hide the vpdpbusd latency. */
	for (; ce - cp >= 4 && cp[3] < kend; cp += 4, vp += 16) {
		x0 = vis_vnnis_x(a, cp[0]);
		x1 = vis_vnnis_x(a, cp[1]);
		x2 = vis_vnnis_x(a, cp[2]);
		x3 = vis_vnnis_x(a, cp[3]);
		s0 = vis_vnnis_dp(s0, x0, vp);
		s1 = vis_vnnis_dp(s1, x1, vp + 4);
		s2 = vis_vnnis_dp(s2, x2, vp + 8);
		s3 = vis_vnnis_dp(s3, x3, vp + 12);
	}
	for (; cp < ce && *cp < kend; cp++, vp += 4)
		s0 = vis_vnnis_dp(s0, vis_vnnis_x(a, *cp), vp);
	corr = (u32)(128 + zp) *
	       (u32)vis_vnnis_wsum(val + (size_t)*pos * 4, (u32)(cp - c0) * 4);
	*pos += (u32)(cp - c0);
	s0 = _mm512_add_epi32(_mm512_add_epi32(s0, s1),
			      _mm512_add_epi32(s2, s3));
	return _mm512_sub_epi32(s0, _mm512_set1_epi32((int)corr));
}

/* The same over an 8-lane tile, in the low half. */
static __always_inline __m512i vis_vnnis_row8(const s8 *a, s32 zp, u32 *pos,
					      u32 end, u32 kend, const u32 *col,
					      const s8 *val)
{
	__m256i s0, s1, s2, s3, x0, x1, x2, x3;
	const u32 *c0 = col + *pos, *cp = c0, *ce = col + end;
	const s8 *vp = val + (size_t)*pos * 4;
	u32 corr;

	s0 = _mm256_setzero_si256();
	s1 = _mm256_setzero_si256();
	s2 = _mm256_setzero_si256();
	s3 = _mm256_setzero_si256();
	for (; ce - cp >= 4 && cp[3] < kend; cp += 4, vp += 16) {
		x0 = vis_vnnis_x8(a, cp[0]);
		x1 = vis_vnnis_x8(a, cp[1]);
		x2 = vis_vnnis_x8(a, cp[2]);
		x3 = vis_vnnis_x8(a, cp[3]);
		s0 = vis_vnnis_dp8(s0, x0, vp);
		s1 = vis_vnnis_dp8(s1, x1, vp + 4);
		s2 = vis_vnnis_dp8(s2, x2, vp + 8);
		s3 = vis_vnnis_dp8(s3, x3, vp + 12);
	}
	for (; cp < ce && *cp < kend; cp++, vp += 4)
		s0 = vis_vnnis_dp8(s0, vis_vnnis_x8(a, *cp), vp);
	corr = (u32)(128 + zp) *
	       (u32)vis_vnnis_wsum(val + (size_t)*pos * 4, (u32)(cp - c0) * 4);
	*pos += (u32)(cp - c0);
	s0 = _mm256_add_epi32(_mm256_add_epi32(s0, s1),
			      _mm256_add_epi32(s2, s3));
	s0 = _mm256_sub_epi32(s0, _mm256_set1_epi32((int)corr));
	return _mm512_zextsi256_si512(s0);
}

/*
 * Sixteen rows at a time (fewer at the end), transposed in registers so
 * that each pixel's sums for those rows are one vector added to @acc.
 */
static __always_inline void vis_vnnis_tile(const s8 *a, u32 np, u32 lanes,
					   s32 zp, u32 *pos, const u32 *end,
					   u32 kend, u32 nr, const u32 *col,
					   const s8 *val, s32 *acc, u32 ldc)
{
	__m512i v[16], s;
	__mmask16 mask;
	u32 r0, i, n, p;
	s32 *o;

	for (r0 = 0; r0 < nr; r0 += 16) {
		n = min_t(u32, 16, nr - r0);
		for (i = 0; i < n; i++)
			v[i] = lanes == VIS_BLOCK4_TILE ?
				       vis_vnnis_row16(a, zp, pos + r0 + i,
						       end[r0 + i], kend, col,
						       val) :
				       vis_vnnis_row8(a, zp, pos + r0 + i,
						      end[r0 + i], kend, col,
						      val);
		for (; i < 16; i++)
			v[i] = _mm512_setzero_si512();
		vis_avx512_transpose16(v);
		mask = (__mmask16)((1u << n) - 1);
		for (p = 0; p < np; p++) {
			o = acc + (size_t)p * ldc + r0;
			s = _mm512_maskz_loadu_epi32(mask, o);
			s = _mm512_add_epi32(s, v[p]);
			_mm512_mask_storeu_epi32(o, mask, s);
		}
	}
}

void vis_block4_tile_avx512vnni(const s8 *a, u32 np, s32 zp, u32 *pos,
				const u32 *end, u32 kend, u32 nr,
				const u32 *col, const s8 *val, s32 *acc,
				u32 ldc)
{
	if (vis_block4_lanes(np) == VIS_BLOCK4_TILE)
		vis_vnnis_tile(a, np, VIS_BLOCK4_TILE, zp, pos, end, kend, nr,
			       col, val, acc, ldc);
	else
		vis_vnnis_tile(a, np, VIS_BLOCK4_TILE / 2, zp, pos, end, kend,
			       nr, col, val, acc, ldc);
}

/* @s + vpdpbusd of @x and @w, all in registers. */
static __always_inline __m512i vis_vnnis_dpr(__m512i s, __m512i x, __m512i w)
{
	asm("vpdpbusd %2, %1, %0" : "+v"(s) : "v"(x), "v"(w));
	return s;
}

/* The four values of the block at @w in every dword. */
static __always_inline __m512i vis_vnnis_w(const s8 *w)
{
	u32 v;

	memcpy(&v, w, sizeof(v));
	return _mm512_set1_epi32((int)v);
}

/*
 * block4_tile32(): 32 pixels, two vectors per block sharing the block's
 * index and weights (broadcast once, in a register), and activations
 * biased when packed, so each stored block costs an index, two loads and
 * two vpdpbusd for 128 products. The zero point and the bias come out per
 * row as in block4_tile(), with the weight sums taken while the row's
 * values are in the cache.
 */
static __always_inline void vis_vnnis_row32(const s8 *a, s32 zp, u32 *pos,
					    u32 end, u32 kend, const u32 *col,
					    const s8 *val, __m512i *lo,
					    __m512i *hi)
{
	__m512i s0, s1, s2, s3, t0, t1, t2, t3, corr, w;
	const u32 *c0 = col + *pos, *cp = c0, *ce = col + end;
	const s8 *vp = val + (size_t)*pos * 4;
	const s8 *x0, *x1, *x2, *x3;
	u32 wsum;

	s0 = _mm512_setzero_si512();
	s1 = s0;
	s2 = s0;
	s3 = s0;
	t0 = s0;
	t1 = s0;
	t2 = s0;
	t3 = s0;
	/* Eight chains hide the vpdpbusd latency. */
	for (; ce - cp >= 4 && cp[3] < kend; cp += 4, vp += 16) {
		x0 = a + (size_t)cp[0] * 128;
		x1 = a + (size_t)cp[1] * 128;
		x2 = a + (size_t)cp[2] * 128;
		x3 = a + (size_t)cp[3] * 128;
		w = vis_vnnis_w(vp);
		s0 = vis_vnnis_dpr(s0, _mm512_loadu_si512(x0), w);
		t0 = vis_vnnis_dpr(t0, _mm512_loadu_si512(x0 + 64), w);
		w = vis_vnnis_w(vp + 4);
		s1 = vis_vnnis_dpr(s1, _mm512_loadu_si512(x1), w);
		t1 = vis_vnnis_dpr(t1, _mm512_loadu_si512(x1 + 64), w);
		w = vis_vnnis_w(vp + 8);
		s2 = vis_vnnis_dpr(s2, _mm512_loadu_si512(x2), w);
		t2 = vis_vnnis_dpr(t2, _mm512_loadu_si512(x2 + 64), w);
		w = vis_vnnis_w(vp + 12);
		s3 = vis_vnnis_dpr(s3, _mm512_loadu_si512(x3), w);
		t3 = vis_vnnis_dpr(t3, _mm512_loadu_si512(x3 + 64), w);
	}
	for (; cp < ce && *cp < kend; cp++, vp += 4) {
		x0 = a + (size_t)*cp * 128;
		w = vis_vnnis_w(vp);
		s0 = vis_vnnis_dpr(s0, _mm512_loadu_si512(x0), w);
		t0 = vis_vnnis_dpr(t0, _mm512_loadu_si512(x0 + 64), w);
	}
	wsum = (u32)vis_vnnis_wsum(val + (size_t)*pos * 4, (u32)(cp - c0) * 4);
	corr = _mm512_set1_epi32((int)((u32)(128 + zp) * wsum));
	*pos += (u32)(cp - c0);
	s0 = _mm512_add_epi32(_mm512_add_epi32(s0, s1),
			      _mm512_add_epi32(s2, s3));
	t0 = _mm512_add_epi32(_mm512_add_epi32(t0, t1),
			      _mm512_add_epi32(t2, t3));
	*lo = _mm512_sub_epi32(s0, corr);
	*hi = _mm512_sub_epi32(t0, corr);
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
 * Sixteen rows at a time: their sums go to @tmp (the stack cannot hold 32
 * vectors within the kernel's frame limit), then those of pixels 0..15
 * and of 16..31 come back through the 16 x 16 transpose in turn.
 */
void vis_block4_tile32_avx512vnni(const s8 *a, u32 np, s32 zp, u32 *pos,
				  const u32 *end, u32 kend, u32 nr,
				  const u32 *col, const s8 *val, s32 *acc,
				  u32 ldc, s32 *tmp)
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
			vis_vnnis_row32(a, zp, pos + r0 + i, end[r0 + i], kend,
					col, val, &lo, &hi);
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
