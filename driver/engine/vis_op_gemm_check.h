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
 * vis_gemm_check_block4() - check a BLOCK4 weight tensor's tables
 * @m: model being validated
 * @index: operator index, for errors
 * @w: the weight tensor (BLOCK4, in the constant data)
 * @rows: weight rows (output channels)
 * @k: reduction length of a row
 * @err: receives the reason; may be NULL
 *
 * Checks that row_ptr spans the blocks monotonically, columns are in range
 * and strictly increasing within a row, and the lanes of a last block past
 * @k are zero.
 *
 * Return: 0 or -EINVAL.
 */
int vis_gemm_check_block4(const struct vis_model *m, u32 index,
			  const struct vision_model_tensor *w, u32 rows, u32 k,
			  struct vis_engine_error *err);

/**
 * vis_gemm_check_requant() - check a per-channel requantization table
 * @m: model being validated
 * @index: operator index, for errors
 * @off: offset of the table in the constant data
 * @cout: entries
 * @err: receives the reason; may be NULL
 *
 * Return: 0 or -EINVAL.
 */
int vis_gemm_check_requant(const struct vis_model *m, u32 index, u32 off,
			   u32 cout, struct vis_engine_error *err);

/**
 * vis_gemm_check_acc() - check that no partial sum can overflow int32
 * @m: model being validated
 * @index: operator index, for errors
 * @w: the weight tensor (dense or BLOCK4, already checked)
 * @bias: the bias tensor, @rows int32 values
 * @rows: weight rows (output channels)
 * @k: reduction length of a row, at most %VIS_GEMM_MAX_K
 * @err: receives the reason; may be NULL
 *
 * Return: 0 or -EINVAL.
 */
int vis_gemm_check_acc(const struct vis_model *m, u32 index,
		       const struct vision_model_tensor *w,
		       const struct vision_model_tensor *bias, u32 rows, u32 k,
		       struct vis_engine_error *err);

#endif /* __VIS_OP_GEMM_CHECK_H__ */
