// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Reading results: int8 outputs to real numbers, and the top-k classes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

int vision_dequantize(const int8_t *in, size_t count, int32_t zero_point,
		      float scale, float *out)
{
	if (count && (!in || !out))
		return -EINVAL;
	for (size_t i = 0; i < count; i++)
		out[i] = (float)((int32_t)in[i] - zero_point) * scale;
	return 0;
}

/*
 * A counting sort over the 256 possible values: O(count), and stable by
 * construction (one pass in index order), so ties keep increasing
 * indices.
 */
int vision_top_k(const int8_t *values, size_t count, unsigned int k,
		 uint32_t *indices)
{
	size_t hist[256] = { 0 };
	size_t pos[256];
	size_t n, taken = 0;
	int v;

	n = count < k ? count : k;
	if (!n)
		return 0;
	if (!values || !indices || n > INT32_MAX || count > UINT32_MAX)
		return -EINVAL;
	for (size_t i = 0; i < count; i++)
		hist[values[i] + 128]++;
	/* Slots: the largest value first; values that do not fit get none. */
	for (v = 255; v >= 0; v--) {
		pos[v] = taken;
		taken += hist[v];
	}
	for (size_t i = 0; i < count; i++) {
		size_t *p = &pos[values[i] + 128];

		if (*p < n)
			indices[(*p)++] = (uint32_t)i;
	}
	return (int)n;
}
