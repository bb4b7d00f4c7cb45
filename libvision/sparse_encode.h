/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: the BLOCK4 block-sparse encoding of int8 CONV_2D and
 * FULLY_CONNECTED weights (uapi/drm/vision_model.h, enum
 * vision_model_encoding): each row of K values cut into blocks of 4
 * (the last padded with zeros), only the blocks not all zero stored, as
 * u32 row_ptr[rows + 1], u32 col[nblocks], s8 values[nblocks * 4].
 */
#ifndef LIBVISION_SPARSE_ENCODE_H
#define LIBVISION_SPARSE_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/**
 * vis_block4_size() - bytes of the BLOCK4 encoding of a weight matrix
 * @w: @rows x @k int8 weights, row-major
 * @rows: output channels
 * @k: reduction length of a row
 * @nblocks: if not NULL, receives the count of stored (non-zero) blocks
 *
 * Return: (@rows + 1) * 4 + 8 * nblocks, the row pointers, the block
 * columns and the block values; 0 when @rows or @k is 0 or the block
 * count does not fit the format's 32-bit indices.
 */
size_t vis_block4_size(const int8_t *w, size_t rows, size_t k, size_t *nblocks);

/**
 * vis_block4_encode() - encode a weight matrix as BLOCK4
 * @w: @rows x @k int8 weights, row-major
 * @rows: output channels
 * @k: reduction length of a row
 * @out: receives the encoding, little-endian
 * @size: bytes at @out: exactly vis_block4_size()
 *
 * Return: 0, or -EINVAL when @size is not the encoded size.
 */
int vis_block4_encode(const int8_t *w, size_t rows, size_t k, void *out,
		      size_t size);

#endif /* LIBVISION_SPARSE_ENCODE_H */
