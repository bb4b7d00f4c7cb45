/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_OP_CONV_DW_H__
#define __VIS_OP_CONV_DW_H__

/**
 * DOC: depthwise CONV_2D entry points
 *
 * CONV_2D with one input channel per group (groups == Cin, any channel
 * multiplier), dense or BLOCK4 weights, runs through vis_op_conv_dw.c.
 * vis_op_conv.c validates the operator and dispatches here.
 */

#include "vis_ops.h"

/**
 * vis_conv_dw_scratch() - scratch bytes the depthwise path needs
 * @m: validated model
 * @op: a depthwise CONV_2D operator
 *
 * Return: bytes of per-worker scratch memory.
 */
u64 vis_conv_dw_scratch(const struct vis_model *m,
			const struct vision_model_op *op);

/**
 * vis_conv_dw_run() - run output rows [@begin, @end) of a depthwise conv
 * @x: execution context
 * @op: a depthwise CONV_2D operator that passed validation
 * @begin: first unit (output row of one image)
 * @end: one past the last unit
 */
void vis_conv_dw_run(const struct vis_exec *x, const struct vision_model_op *op,
		     u32 begin, u32 end);

#endif /* __VIS_OP_CONV_DW_H__ */
