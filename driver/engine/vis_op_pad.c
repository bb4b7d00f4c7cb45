// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: constant padding
 *
 * PAD surrounds each image with rows and columns of one int8 value
 * (normally the zero point): the output is [N, H + top + bottom,
 * W + left + right, C]. The bytes are copied unchanged, so input and
 * output share their quantization. One work unit is one output row.
 */

#include "vis_ops.h"

static int vis_pad_check(const struct vis_model *m, u32 index,
			 struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_pad *p = &op->params.pad;
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *o = vis_tensor(m, op->output);
	int ret = vis_check_arena_input(m, index, err);

	if (ret)
		return ret;
	/* u64 sums: the paddings are arbitrary u32 values. */
	if (o->shape[0] != in->shape[0] || o->shape[3] != in->shape[3] ||
	    o->shape[1] != (u64)in->shape[1] + p->top + p->bottom ||
	    o->shape[2] != (u64)in->shape[2] + p->left + p->right)
		return vis_op_err(err, index, "output", "wrong output shape");
	if (o->zero_point != in->zero_point)
		return vis_op_err(err, index, "output",
				  "quantization differs from the input's");
	if (p->value < -128 || p->value > 127)
		return vis_op_err(err, index, "value", "not an int8 value");
	if (!vis_zero_words(p->reserved, ARRAY_SIZE(p->reserved)))
		return vis_op_err(err, index, "reserved", "must be zero");
	return 0;
}

static void vis_pad_run(const struct vis_exec *x,
			const struct vision_model_op *op, u32 begin, u32 end)
{
	const struct vision_model_pad *p = &op->params.pad;
	const struct vision_model_tensor *in;
	const struct vision_model_tensor *o;
	const s8 *src = vis_tensor_data(x, op->inputs[0]);
	s8 *dst = vis_tensor_out(x, op->output);
	size_t left, right, row_in, row_out;
	u32 h, oh, r;

	in = vis_tensor(x->model, op->inputs[0]);
	o = vis_tensor(x->model, op->output);
	h = in->shape[1];
	oh = o->shape[1];
	/* Byte counts within a row; each row is below 2^32 bytes. */
	left = (size_t)p->left * in->shape[3];
	right = (size_t)p->right * in->shape[3];
	row_in = (size_t)in->shape[2] * in->shape[3];
	row_out = (size_t)o->shape[2] * o->shape[3];

	for (r = begin; r < end; r++) {
		u32 n = r / oh, oy = r % oh;
		s8 *d = dst + (size_t)r * row_out;

		/* oy - top is only formed once oy >= top. */
		if (oy < p->top || oy - p->top >= h) {
			memset(d, p->value, row_out);
			continue;
		}
		memset(d, p->value, left);
		memcpy(d + left, src + ((size_t)n * h + oy - p->top) * row_in,
		       row_in);
		memset(d + left + row_in, p->value, right);
	}
}

const struct vis_op_desc vis_op_pad = {
	.name = "PAD",
	.min_inputs = 1,
	.max_inputs = 1,
	.check = vis_pad_check,
	.units = vis_op_rows,
	.unit_macs = vis_op_row_elems,
	.run = vis_pad_run,
};
