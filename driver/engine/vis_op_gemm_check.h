/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_OP_GEMM_CHECK_H__
#define __VIS_OP_GEMM_CHECK_H__

/**
 * DOC: GEMM operator validation helpers
 *
 * The checks CONV_2D and FULLY_CONNECTED share: the structure of BLOCK4
 * weight tables, the requantization table, and the bound that keeps the
 * int32 accumulation from overflowing.
 */

#include "vis_ops.h"

/*
 * |in - in_zp| <= 255 and |w| <= 127: K * 255 * 127 + |bias| must fit in
 * s32 (checked per channel by vis_gemm_check_acc()), so K is at most this.
 */
#define VIS_GEMM_MAX_K ((u32)(S32_MAX / (255 * 127)))

/**
 * vis_gemm_check_operands() - check a CONV_2D or FULLY_CONNECTED's tensors
 * @m: model being validated
 * @index: operator index
 * @err: receives the reason; may be NULL
 *
 * Checks the input is a dense INT8 arena tensor, the zero points are in
 * range, the weights constant symmetric INT8 (dense or BLOCK4), the bias a
 * dense INT32 constant of shape [1,1,1,Cout], and the reserved parameter
 * words zero.
 *
 * Return: 0 or -EINVAL.
 */
int vis_gemm_check_operands(const struct vis_model *m, u32 index,
			    struct vis_engine_error *err);

/**
 * vis_gemm_check_weights() - check a CONV_2D or FULLY_CONNECTED's weights
 * @m: model being validated
 * @index: operator index, for errors
 * @w: the weight tensor (operands already checked)
 * @bias: the bias tensor, @rows int32 values
 * @rows: weight rows (output channels)
 * @k: reduction length of a row, at most %VIS_GEMM_MAX_K
 * @requant: offset of the per-channel requantization table
 * @err: receives the reason; may be NULL
 *
 * BLOCK4 structure (so run() stays in bounds), the requantization table,
 * and that no partial sum can overflow int32.
 *
 * Return: 0 or -EINVAL.
 */
int vis_gemm_check_weights(const struct vis_model *m, u32 index,
			   const struct vision_model_tensor *w,
			   const struct vision_model_tensor *bias, u32 rows,
			   u32 k, u32 requant, struct vis_engine_error *err);

#endif /* __VIS_OP_GEMM_CHECK_H__ */
