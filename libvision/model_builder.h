/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: builds a model blob in memory. Used by the compiler
 * to write .vnm files and by the tests to make models of any shape.
 * Ids and offsets it returns are those the model file will contain.
 */
#ifndef LIBVISION_MODEL_BUILDER_H
#define LIBVISION_MODEL_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "vision_model.h"

struct vmb;

/* A new, empty builder, or NULL on allocation failure. */
struct vmb *vmb_new(void);
void vmb_free(struct vmb *b);

/*
 * An INT8 arena tensor of @shape (NHWC). Its arena offset is the next
 * free VISION_MODEL_TENSOR_ALIGN-aligned offset (no reuse) unless placed
 * with vmb_set_offset(). Returns the tensor id.
 */
uint32_t vmb_arena_tensor(struct vmb *b, const uint32_t shape[4],
			  int32_t zero_point, float scale, const char *name);

/*
 * A constant tensor: @size bytes of @data copied into the constant-data
 * section, VISION_MODEL_TENSOR_ALIGN aligned. @type is a
 * VISION_MODEL_TYPE_*, @encoding a VISION_MODEL_ENC_*. @channel_scales,
 * when not NULL, holds shape[0] per-channel scales. Returns the id.
 */
uint32_t vmb_const_tensor(struct vmb *b, const uint32_t shape[4], uint32_t type,
			  int32_t zero_point, float scale,
			  const float *channel_scales, uint32_t encoding,
			  const void *data, size_t size, const char *name);

/*
 * A view of arena tensor @src with another shape of the same element
 * count (same arena offset), for RESHAPE outputs. Returns the id.
 */
uint32_t vmb_view_tensor(struct vmb *b, uint32_t src, const uint32_t shape[4],
			 const char *name);

/* Place arena tensor @id at @offset (memory planning). */
void vmb_set_offset(struct vmb *b, uint32_t id, uint64_t offset);

/*
 * @size bytes of constant data aligned to @align (a power of two, at
 * least 8); returns their offset in the constant-data section.
 */
uint32_t vmb_const(struct vmb *b, const void *data, size_t size,
		   uint32_t align);

/*
 * An operator: @type a VISION_MODEL_OP_*, @inputs its @num_inputs operand
 * ids, @output the result's id, @params its parameters (NULL: all zero).
 * Returns the operator index.
 */
uint32_t vmb_op(struct vmb *b, uint32_t type, const uint32_t *inputs,
		uint32_t num_inputs, uint32_t output,
		const union vision_model_op_params *params, const char *name);

/* CONV_2D parameters: dilation 1, the same @stride and @pad on all sides. */
struct vision_model_conv vmb_conv_params(uint32_t stride, uint32_t pad,
					 uint32_t groups, int32_t act_min,
					 int32_t act_max);

/*
 * MAX_POOL or AVG_POOL parameters: a square @filter window, the same
 * @stride both ways and @pad on all sides.
 */
struct vision_model_pool vmb_pool_params(uint32_t filter, uint32_t stride,
					 uint32_t pad, int32_t act_min,
					 int32_t act_max);

/*
 * The constant operands of a CONV_2D or FULLY_CONNECTED: INT8 weights of
 * @shape ([cout, kh, kw, cin/groups]), @size bytes at @data in @encoding
 * (VISION_MODEL_ENC_*), with @scale or per-channel @channel_scales; INT32
 * @bias[cout] with @bias_scale; @requant[cout]. Names may be NULL.
 */
struct vmb_weights {
	const void *data;
	size_t size;
	uint32_t encoding;
	uint32_t shape[4];
	float scale;
	const float *channel_scales;
	const char *name;
	const int32_t *bias;
	float bias_scale;
	const char *bias_name;
	const struct vision_model_requant *requant;
};

/*
 * A CONV_2D or FULLY_CONNECTED (@type) of @in with @w and @params (its
 * requant offset is set here) into a new INT8 arena tensor of @oshape.
 * Returns the output id; *@wid and *@bid (when not NULL) get the weight
 * and bias tensor ids.
 */
uint32_t vmb_conv2d(struct vmb *b, uint32_t type, uint32_t in,
		    const struct vmb_weights *w,
		    const struct vision_model_conv *params,
		    const uint32_t oshape[4], int32_t zero_point, float scale,
		    const char *name, uint32_t *wid, uint32_t *bid);

/* The input stage (at most one; a model without one gets an all-zero
 * stage naming tensor 0 and must set it before vmb_finish()). */
void vmb_input(struct vmb *b, const struct vision_model_input_stage *stage);

/* An output: tensor @id, with @num_labels class labels (or 0 and NULL). */
void vmb_output(struct vmb *b, uint32_t id, const char *const *labels,
		uint32_t num_labels);

/*
 * Direct access to an entry, for tests that corrupt models or callers
 * that adjust fields; valid until the next vmb_* call that adds entries.
 */
struct vision_model_tensor *vmb_tensor_at(struct vmb *b, uint32_t id);
struct vision_model_op *vmb_op_at(struct vmb *b, uint32_t index);

/* Arena size: the end of the highest arena tensor, rounded up to 64. */
uint64_t vmb_arena_size(const struct vmb *b);

/*
 * Lay out the blob: header, section table, tables, constant data, input
 * stage, outputs, names; set sizes and the CRC. On success *blob (free()
 * it) and *size are set. Returns 0, -ENOMEM, or -EINVAL when an error was
 * recorded by an earlier call (bad id, allocation failure), which the
 * builder remembers so callers need check only here.
 */
int vmb_finish(struct vmb *b, void **blob, size_t *size);

/* Recompute the header CRC of a blob after editing it in place. */
void vmb_fix_crc(void *blob, size_t size);

#endif /* LIBVISION_MODEL_BUILDER_H */
