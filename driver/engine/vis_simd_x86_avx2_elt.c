// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: AVX2 element-wise kernels
 *
 * &vis_kernels.max_pool for the avx2 table; in the kernel only between
 * vis_simd_begin() and vis_simd_end(). 32 channels per vector; the last
 * channels (fewer than 32) go through a scalar loop, so no load reaches
 * past @c.
 */

#include "vis_engine.h"

/* The kernel has no malloc: keep immintrin.h from pulling in mm_malloc.h. */
#define _MM_MALLOC_H_INCLUDED
#include <immintrin.h>

void vis_max_pool_avx2(const s8 *in, u32 ny, u32 nx, size_t ystride, u32 c,
		       s32 lo, s32 hi, s8 *out)
{
	const __m256i vlo = _mm256_set1_epi8((char)lo);
	const __m256i vhi = _mm256_set1_epi8((char)hi);
	u32 c0, y, x;

	for (c0 = 0; c0 + 32 <= c; c0 += 32) {
		const s8 *row = in + c0;
		__m256i v = vlo;

		for (y = 0; y < ny; y++, row += ystride) {
			const s8 *p = row;

			for (x = 0; x < nx; x++, p += c) {
				__m256i t = _mm256_loadu_si256((const void *)p);

				v = _mm256_max_epi8(v, t);
			}
		}
		_mm256_storeu_si256((void *)(out + c0),
				    _mm256_min_epi8(v, vhi));
	}
	for (; c0 < c; c0++) {
		/* Starting from lo folds the lower clamp in. */
		s8 v = (s8)lo;

		for (y = 0; y < ny; y++)
			for (x = 0; x < nx; x++)
				v = max(v,
					in[y * ystride + (size_t)x * c + c0]);
		out[c0] = min_t(s8, v, hi);
	}
}
