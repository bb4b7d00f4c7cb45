/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_OPS_H__
#define __VIS_OPS_H__

/**
 * DOC: operator table
 *
 * Each operator type has a &struct vis_op_desc, defined in its own
 * vis_op_*.c file. The validator checks what is common to all operators
 * (see below) and then calls the operator's @check; the executor calls
 * @units, @unit_macs and @run. @check must establish everything @run
 * relies on to stay within the tensors' bytes.
 *
 * Guaranteed before @check is called:
 *
 * - every tensor has a valid type and location, dimensions in
 *   [1, VISION_MODEL_MAX_DIM], zero flags/reserved, an aligned offset, and
 *   lies within the arena or the constant-data section; a dense tensor's
 *   size is exactly its element count times its element size (so the
 *   element count fits in 32 bits); an encoded one's size is non-zero;
 * - the operator's type is known, its flags/reserved are zero,
 *   @num_inputs is within [@min_inputs, @max_inputs], the used input ids
 *   are valid, the unused ones are VISION_MODEL_NO_TENSOR;
 * - the output is a dense INT8 arena tensor;
 * - every arena input was produced by an earlier operator or is the
 *   input-stage tensor.
 *
 * Not checked generically (the operator's @check must do it): input
 * types, locations and encodings, shapes, parameters (including that the
 * reserved parameter words are zero), constant-data offsets named in the
 * parameters (use vis_check_const()).
 */

#include "vis_engine.h"

struct vis_op_desc {
	const char *name;
	u8 min_inputs;
	u8 max_inputs;
	int (*check)(const struct vis_model *m, u32 index,
		     struct vis_engine_error *err);
	u32 (*units)(const struct vis_model *m,
		     const struct vision_model_op *op);
	u64 (*unit_macs)(const struct vis_model *m,
			 const struct vision_model_op *op);
	/* Scratch bytes one worker needs; NULL for none. */
	u64 (*scratch)(const struct vis_model *m,
		       const struct vision_model_op *op);
	void (*run)(const struct vis_exec *x, const struct vision_model_op *op,
		    u32 begin, u32 end);
	/* Bytes of prepared weights (vis_model_prepare()); NULL for none. */
	u64 (*prepared_size)(const struct vis_model *m,
			     const struct vision_model_op *op);
	/* Write them to @dst, 64-byte aligned. */
	void (*prepare)(const struct vis_model *m,
			const struct vision_model_op *op, u8 *dst);
};

extern const struct vis_op_desc vis_op_conv2d;
extern const struct vis_op_desc vis_op_fully_connected;
extern const struct vis_op_desc vis_op_add;
extern const struct vis_op_desc vis_op_mul;
extern const struct vis_op_desc vis_op_max_pool;
extern const struct vis_op_desc vis_op_avg_pool;
extern const struct vis_op_desc vis_op_global_avg_pool;
extern const struct vis_op_desc vis_op_concat;
extern const struct vis_op_desc vis_op_pad;
extern const struct vis_op_desc vis_op_reshape;
extern const struct vis_op_desc vis_op_lut;
extern const struct vis_op_desc vis_op_softmax;
extern const struct vis_op_desc vis_op_resize;

/* Alignment of each operator's part of the prepared data. */
#define VIS_PREPARED_ALIGN 64

/* The prepared data start with one u64 offset per operator (0: none). */
static inline u64 vis_prepared_table_size(const struct vis_model *m)
{
	return ALIGN((u64)m->num_ops * sizeof(u64), VIS_PREPARED_ALIGN);
}

/**
 * vis_model_prepared_op() - the prepared weights of an operator
 * @m: validated model
 * @op: one of its operators
 *
 * Return: what the operator's prepare() wrote, or NULL when the model has
 * no prepared data or the operator none in it.
 */
static inline const u8 *vis_model_prepared_op(const struct vis_model *m,
					      const struct vision_model_op *op)
{
	u64 off;

	if (!m->prepared)
		return NULL;
	off = ((const u64 *)m->prepared)[op - m->ops];
	return off ? m->prepared + off : NULL;
}

/**
 * vis_op_desc_get() - descriptor of an operator type
 * @type: &enum vision_model_op_type
 *
 * Return: the descriptor, or NULL for an unknown type.
 */
const struct vis_op_desc *vis_op_desc_get(u32 type);

/**
 * vis_err() - record why a model is rejected
 * @e: error to fill; may be NULL
 * @err: negative errno
 * @section: section index or VIS_ERR_SECTION_HEADER
 * @index: entry index or VIS_ERR_NO_INDEX
 * @field: member name
 * @msg: reason
 *
 * Return: @err, so checks can `return vis_err(...)`.
 */
int vis_err(struct vis_engine_error *e, int err, u32 section, u32 index,
	    const char *field, const char *msg);

/* Shorthand for errors about operator @index. */
#define vis_op_err(e, index, field, msg) \
	vis_err(e, -EINVAL, VISION_MODEL_SECTION_OPS, index, field, msg)

/**
 * vis_check_const() - check a range of the constant-data section
 * @m: model being validated
 * @off: offset in the constant-data section
 * @size: bytes needed from @off
 * @align: required alignment of @off (power of two)
 *
 * Return: true when [@off, @off + @size) lies in the section and @off is
 * aligned.
 */
bool vis_check_const(const struct vis_model *m, u64 off, u64 size, u32 align);

/**
 * vis_check_act() - check a fused activation range
 * @lo: lower bound
 * @hi: upper bound
 *
 * Return: true when -128 <= @lo <= @hi <= 127.
 */
static inline bool vis_check_act(s32 lo, s32 hi)
{
	return lo >= -128 && lo <= hi && hi <= 127;
}

/**
 * vis_check_requant() - check a TFLite multiplier
 * @r: the multiplier
 *
 * Return: true when the multiplier is 0 or in [2^30, 2^31) and the shift
 * is in [-31, 30].
 */
static inline bool vis_check_requant(const struct vision_model_requant *r)
{
	return (r->multiplier == 0 || r->multiplier >= (1 << 30)) &&
	       r->shift >= -31 && r->shift <= 30;
}

/* Element count of a tensor (fits in u32 once validated). */
static inline u32 vis_tensor_elems(const struct vision_model_tensor *t)
{
	return t->shape[0] * t->shape[1] * t->shape[2] * t->shape[3];
}

static inline const struct vision_model_tensor *
vis_tensor(const struct vis_model *m, u32 id)
{
	return &m->tensors[id];
}

/* Bytes of a tensor for execution: in the arena or the constants. */
static inline const void *vis_tensor_data(const struct vis_exec *x, u32 id)
{
	const struct vision_model_tensor *t = &x->model->tensors[id];

	if (t->location == VISION_MODEL_LOC_ARENA)
		return x->arena + t->offset;
	return x->model->consts + t->offset;
}

/* Writable bytes of an arena tensor (operator outputs). */
static inline void *vis_tensor_out(const struct vis_exec *x, u32 id)
{
	return x->arena + x->model->tensors[id].offset;
}

/*
 * Checks and unit counts shared by operators (vis_op_check.c):
 * vis_arena_int8() - whether tensor @id is a dense INT8 arena tensor;
 * vis_check_arena_input() - 0, or the error for operator @index whose
 * first input is not one; vis_zero_words() - whether @n words are zero
 * (reserved parameters); vis_same_shape() - whether two tensors have the
 * same shape; vis_op_rows() and vis_op_row_elems() - units of operators
 * that work one output row (n, y) at a time, and the elements of a row.
 */
bool vis_arena_int8(const struct vis_model *m, u32 id);
int vis_check_arena_input(const struct vis_model *m, u32 index,
			  struct vis_engine_error *err);
bool vis_zero_words(const u32 *w, u32 n);
bool vis_same_shape(const struct vision_model_tensor *a,
		    const struct vision_model_tensor *b);
u32 vis_op_rows(const struct vis_model *m, const struct vision_model_op *op);
u64 vis_op_row_elems(const struct vis_model *m,
		     const struct vision_model_op *op);

#endif /* __VIS_OPS_H__ */
