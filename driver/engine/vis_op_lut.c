// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: lookup table
 *
 * LUT maps every int8 element through a 256-entry constant table indexed
 * by value + 128. The compiler folds any element-wise non-linearity
 * (sigmoid, tanh, hard-swish, GELU, ...) together with the input and
 * output quantization into the table, so the engine needs no arithmetic.
 * Work units are blocks of %VIS_LUT_BLOCK elements of the flattened
 * tensor, independent of its shape.
 */

#include "vis_ops.h"

#define VIS_LUT_BLOCK 4096u

static int vis_lut_check(const struct vis_model *m, u32 index,
			 struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *lut = vis_tensor(m, op->inputs[1]);
	const struct vision_model_tensor *o = vis_tensor(m, op->output);
	int ret = vis_check_arena_input(m, index, err);

	if (ret)
		return ret;
	/* Dense, so its size is its element count: 256 bytes exactly. */
	if (lut->location != VISION_MODEL_LOC_CONST ||
	    lut->type != VISION_MODEL_TYPE_INT8 ||
	    lut->encoding != VISION_MODEL_ENC_DENSE ||
	    vis_tensor_elems(lut) != 256)
		return vis_op_err(err, index, "inputs",
				  "table must be 256 dense constant INT8");
	if (!vis_same_shape(o, in))
		return vis_op_err(err, index, "output",
				  "shape differs from the input's");
	if (!vis_zero_words(op->params.raw, ARRAY_SIZE(op->params.raw)))
		return vis_op_err(err, index, "params", "must be zero");
	return 0;
}

static u32 vis_lut_units(const struct vis_model *m,
			 const struct vision_model_op *op)
{
	u32 n = vis_tensor_elems(vis_tensor(m, op->output));

	/* Not DIV_ROUND_UP: n + VIS_LUT_BLOCK - 1 could wrap. */
	return n / VIS_LUT_BLOCK + (n % VIS_LUT_BLOCK ? 1 : 0);
}

static u64 vis_lut_unit_macs(const struct vis_model *m,
			     const struct vision_model_op *op)
{
	return VIS_LUT_BLOCK;
}

static void vis_lut_run(const struct vis_exec *x,
			const struct vision_model_op *op, u32 begin, u32 end)
{
	const s8 *src = vis_tensor_data(x, op->inputs[0]);
	const s8 *table = vis_tensor_data(x, op->inputs[1]);
	s8 *dst = vis_tensor_out(x, op->output);
	u32 n = vis_tensor_elems(vis_tensor(x->model, op->output));
	u64 i = (u64)begin * VIS_LUT_BLOCK;
	u64 stop = min_t(u64, (u64)end * VIS_LUT_BLOCK, n);

	for (; i < stop; i++)
		dst[i] = table[src[i] + 128];
}

const struct vis_op_desc vis_op_lut = {
	.name = "LUT",
	.min_inputs = 2,
	.max_inputs = 2,
	.check = vis_lut_check,
	.units = vis_lut_units,
	.unit_macs = vis_lut_unit_macs,
	.run = vis_lut_run,
};
