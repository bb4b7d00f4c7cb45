// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: reshape
 *
 * RESHAPE is a view: the output tensor names the input's arena bytes with
 * another shape of the same element count (the memory planner places both
 * at one offset). No data moves, so the operator has no work units; its
 * check makes sure the view really is one, since the executor will not
 * copy anything into the output.
 */

#include "vis_ops.h"

static int vis_reshape_check(const struct vis_model *m, u32 index,
			     struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *o = vis_tensor(m, op->output);
	int ret = vis_check_arena_input(m, index, err);

	if (ret)
		return ret;
	if (o->offset != in->offset)
		return vis_op_err(err, index, "output",
				  "not at the input's arena offset");
	if (vis_tensor_elems(o) != vis_tensor_elems(in))
		return vis_op_err(err, index, "output",
				  "element count differs from the input's");
	if (o->zero_point != in->zero_point)
		return vis_op_err(err, index, "output",
				  "quantization differs from the input's");
	if (!vis_zero_words(op->params.raw, ARRAY_SIZE(op->params.raw)))
		return vis_op_err(err, index, "params", "must be zero");
	return 0;
}

static u32 vis_reshape_units(const struct vis_model *m,
			     const struct vision_model_op *op)
{
	return 0;
}

static u64 vis_reshape_unit_macs(const struct vis_model *m,
				 const struct vision_model_op *op)
{
	return 1;
}

static void vis_reshape_run(const struct vis_exec *x,
			    const struct vision_model_op *op, u32 begin,
			    u32 end)
{
	/* Never called: there are no units. */
}

const struct vis_op_desc vis_op_reshape = {
	.name = "RESHAPE",
	.min_inputs = 1,
	.max_inputs = 1,
	.check = vis_reshape_check,
	.units = vis_reshape_units,
	.unit_macs = vis_reshape_unit_macs,
	.run = vis_reshape_run,
};
