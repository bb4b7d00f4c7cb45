// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * BLOCK4 encoding of int8 weights: see sparse_encode.h.
 */
#include <errno.h>
#include <string.h>

#include "sparse_encode.h"

/* Whether block @b (values b*4 .. b*4+3, those below @k) of @row is zero. */
static int b4_zero(const int8_t *row, size_t k, size_t b)
{
	size_t i;

	for (i = b * 4; i < b * 4 + 4 && i < k; i++)
		if (row[i])
			return 0;
	return 1;
}

size_t vis_block4_size(const int8_t *w, size_t rows, size_t k, size_t *nblocks)
{
	size_t kb = (k + 3) / 4, r, b, nb = 0;

	if (nblocks)
		*nblocks = 0;
	if (!rows || !k || rows >= UINT32_MAX)
		return 0;
	for (r = 0; r < rows; r++)
		for (b = 0; b < kb; b++)
			nb += !b4_zero(w + r * k, k, b);
	if (nb > UINT32_MAX)
		return 0;
	if (nblocks)
		*nblocks = nb;
	return (rows + 1) * 4 + nb * 8;
}

/* Little-endian u32, whatever the host. */
static void b4_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int vis_block4_encode(const int8_t *w, size_t rows, size_t k, void *out,
		      size_t size)
{
	size_t kb = (k + 3) / 4, r, b, i, nb, j = 0;
	uint8_t *row_ptr = out, *col, *val;

	if (!w || !out || vis_block4_size(w, rows, k, &nb) != size || !size)
		return -EINVAL;
	col = row_ptr + (rows + 1) * 4;
	/* col[] ends on a 4-byte boundary: the values follow unpadded. */
	val = col + nb * 4;
	for (r = 0; r < rows; r++) {
		const int8_t *row = w + r * k;

		b4_put32(row_ptr + r * 4, (uint32_t)j);
		for (b = 0; b < kb; b++) {
			if (b4_zero(row, k, b))
				continue;
			b4_put32(col + j * 4, (uint32_t)b);
			for (i = 0; i < 4; i++)
				val[j * 4 + i] =
					b * 4 + i < k ?
						(uint8_t)row[b * 4 + i] :
						0;
			j++;
		}
	}
	b4_put32(row_ptr + rows * 4, (uint32_t)j);
	return 0;
}
