/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_OP_CONV_SPARSE_H__
#define __VIS_OP_CONV_SPARSE_H__

/**
 * DOC: BLOCK4 execution of CONV_2D and FULLY_CONNECTED
 *
 * The execution paths of convolution and fully-connected layers whose
 * weights are BLOCK4-encoded, called by vis_op_conv.c and vis_op_fc.c
 * for validated operators with BLOCK4 weights. Validation stays with the
 * operators; these functions rely on it.
 */

#include "vis_ops.h"

/**
 * vis_sparse_conv_scratch() - scratch bytes of a BLOCK4 CONV_2D
 * @m: validated model
 * @op: the operator
 *
 * Return: the per-worker scratch vis_sparse_conv_run() needs.
 */
u64 vis_sparse_conv_scratch(const struct vis_model *m,
			    const struct vision_model_op *op);

/**
 * vis_sparse_conv_run() - run output rows [@begin, @end) of a BLOCK4 CONV_2D
 * @x: execution context
 * @op: the operator
 * @begin: first unit (output row n * OH + oy)
 * @end: one past the last unit
 */
void vis_sparse_conv_run(const struct vis_exec *x,
			 const struct vision_model_op *op, u32 begin, u32 end);

/**
 * vis_sparse_fc_scratch() - scratch bytes of a BLOCK4 FULLY_CONNECTED
 * @m: validated model
 * @op: the operator
 *
 * Return: the per-worker scratch vis_sparse_fc_run() needs.
 */
u64 vis_sparse_fc_scratch(const struct vis_model *m,
			  const struct vision_model_op *op);

/**
 * vis_sparse_fc_run() - output channels [@co0, @co1) of a BLOCK4
 *	FULLY_CONNECTED, for every batch row
 * @x: execution context
 * @op: the operator
 * @co0: first output channel
 * @co1: one past the last; clamped to the output channels
 */
void vis_sparse_fc_run(const struct vis_exec *x,
		       const struct vision_model_op *op, u32 co0, u32 co1);

#endif /* __VIS_OP_CONV_SPARSE_H__ */
