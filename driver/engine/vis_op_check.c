// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Checks and unit counts shared by the operators.
 */

#include "vis_ops.h"

bool vis_arena_int8(const struct vis_model *m, u32 id)
{
	const struct vision_model_tensor *t = vis_tensor(m, id);

	return t->location == VISION_MODEL_LOC_ARENA &&
	       t->type == VISION_MODEL_TYPE_INT8 &&
	       t->encoding == VISION_MODEL_ENC_DENSE;
}

int vis_check_arena_input(const struct vis_model *m, u32 index,
			  struct vis_engine_error *err)
{
	if (!vis_arena_int8(m, m->ops[index].inputs[0]))
		return vis_op_err(err, index, "inputs",
				  "input must be a dense INT8 arena tensor");
	return 0;
}

bool vis_zero_words(const u32 *w, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (w[i])
			return false;
	return true;
}

bool vis_same_shape(const struct vision_model_tensor *a,
		    const struct vision_model_tensor *b)
{
	u32 i;

	for (i = 0; i < 4; i++)
		if (a->shape[i] != b->shape[i])
			return false;
	return true;
}

u32 vis_op_rows(const struct vis_model *m, const struct vision_model_op *op)
{
	const struct vision_model_tensor *o = vis_tensor(m, op->output);

	return o->shape[0] * o->shape[1];
}

u64 vis_op_row_elems(const struct vis_model *m,
		     const struct vision_model_op *op)
{
	const struct vision_model_tensor *o = vis_tensor(m, op->output);

	return (u64)o->shape[2] * o->shape[3];
}
