// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: GEMM operator validation
 *
 * Validation helpers shared by CONV_2D and FULLY_CONNECTED. Everything
 * their run() indexes is derived from tensor shapes and the BLOCK4 tables,
 * so these establish that the tables stay within the weight tensor, the
 * requantization table is valid, and the int32 sums cannot overflow.
 */

#include "vis_op_gemm_check.h"

int vis_gemm_check_operands(const struct vis_model *m, u32 index,
			    struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_conv *p = &op->params.conv;
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *w = vis_tensor(m, op->inputs[1]);
	const struct vision_model_tensor *bias = vis_tensor(m, op->inputs[2]);
	const struct vision_model_tensor *out = vis_tensor(m, op->output);
	u32 cout = out->shape[3], i;

	if (in->location != VISION_MODEL_LOC_ARENA ||
	    in->type != VISION_MODEL_TYPE_INT8 ||
	    in->encoding != VISION_MODEL_ENC_DENSE)
		return vis_op_err(err, index, "inputs[0]",
				  "input must be a dense INT8 arena tensor");
	if (in->zero_point < -128 || in->zero_point > 127 ||
	    out->zero_point < -128 || out->zero_point > 127)
		return vis_op_err(err, index, "zero_point",
				  "zero point outside [-128, 127]");
	if (w->location != VISION_MODEL_LOC_CONST ||
	    w->type != VISION_MODEL_TYPE_INT8 || w->zero_point)
		return vis_op_err(err, index, "inputs[1]",
				  "weights must be constant symmetric INT8");
	if (w->encoding != VISION_MODEL_ENC_DENSE &&
	    w->encoding != VISION_MODEL_ENC_BLOCK4)
		return vis_op_err(err, index, "inputs[1]",
				  "unsupported weight encoding");
	if (bias->location != VISION_MODEL_LOC_CONST ||
	    bias->type != VISION_MODEL_TYPE_INT32 ||
	    bias->encoding != VISION_MODEL_ENC_DENSE)
		return vis_op_err(err, index, "inputs[2]",
				  "bias must be a dense INT32 constant");
	if (bias->shape[0] != 1 || bias->shape[1] != 1 || bias->shape[2] != 1 ||
	    bias->shape[3] != cout)
		return vis_op_err(err, index, "inputs[2]",
				  "bias shape must be [1,1,1,Cout]");
	for (i = 0; i < ARRAY_SIZE(p->reserved); i++)
		if (p->reserved[i])
			return vis_op_err(err, index, "reserved",
					  "reserved parameter not zero");
	return 0;
}

/* The lanes of a row's last block past K are padding: zero. */
static bool vis_gemm_pad_zero(const s8 *val, u32 blk, u32 k)
{
	u32 i;

	for (i = k % 4; k % 4 && i < 4; i++)
		if (val[(size_t)blk * 4 + i])
			return false;
	return true;
}

static int vis_gemm_check_block4(const struct vis_model *m, u32 index,
				 const struct vision_model_tensor *w, u32 rows,
				 u32 k, struct vis_engine_error *err)
{
	const u32 *row_ptr = (const u32 *)(m->consts + w->offset);
	u32 bpr = DIV_ROUND_UP(k, 4);
	u64 head, nblocks;
	const u32 *col;
	const s8 *val;
	u32 r, j;

	/* row_ptr[rows + 1], then col[nb] and values[4 * nb]. */
	head = ((u64)rows + 1) * 4;
	if (w->size < head || (w->size - head) % 8)
		return vis_op_err(err, index, "inputs[1]",
				  "BLOCK4 size does not match its layout");
	nblocks = (w->size - head) / 8;
	if (row_ptr[0] != 0 || row_ptr[rows] != nblocks)
		return vis_op_err(err, index, "inputs[1]",
				  "BLOCK4 row_ptr does not span the blocks");
	col = row_ptr + rows + 1;
	val = (const s8 *)(col + nblocks);
	for (r = 0; r < rows; r++) {
		u32 b = row_ptr[r], e = row_ptr[r + 1];

		if (e < b || e - b > bpr)
			return vis_op_err(err, index, "inputs[1]",
					  "BLOCK4 row_ptr not monotone");
		for (j = b; j < e; j++) {
			if (col[j] >= bpr || (j > b && col[j] <= col[j - 1]))
				return vis_op_err(err, index, "inputs[1]",
						  "BLOCK4 col out of order");
			if (col[j] == bpr - 1 && !vis_gemm_pad_zero(val, j, k))
				return vis_op_err(err, index, "inputs[1]",
						  "BLOCK4 padding not zero");
		}
	}
	return 0;
}

static int vis_gemm_check_requant(const struct vis_model *m, u32 index, u32 off,
				  u32 cout, struct vis_engine_error *err)
{
	const struct vision_model_requant *rq;
	u32 i;

	if (!vis_check_const(m, off, (u64)cout * sizeof(*rq), 8))
		return vis_op_err(err, index, "requant",
				  "requant table outside constant data");
	rq = (const struct vision_model_requant *)(m->consts + off);
	for (i = 0; i < cout; i++)
		if (!vis_check_requant(&rq[i]))
			return vis_op_err(err, index, "requant",
					  "invalid requant multiplier");
	return 0;
}

/* Sum of |w| over one weight row (dense or BLOCK4). */
static u64 vis_gemm_row_abs(const struct vis_model *m,
			    const struct vision_model_tensor *w, u32 rows,
			    u32 k, u32 row)
{
	const u8 *base = m->consts + w->offset;
	u64 sum = 0;
	u32 i;

	if (w->encoding == VISION_MODEL_ENC_BLOCK4) {
		const u32 *row_ptr = (const u32 *)base;
		u32 nb = row_ptr[rows];
		const s8 *val = (const s8 *)(row_ptr + rows + 1 + nb);
		u32 b = row_ptr[row], e = row_ptr[row + 1];

		for (i = b * 4; i < e * 4; i++)
			sum += val[i] < 0 ? -val[i] : val[i];
	} else {
		const s8 *v = (const s8 *)base + (size_t)row * k;

		for (i = 0; i < k; i++)
			sum += v[i] < 0 ? -v[i] : v[i];
	}
	return sum;
}

/*
 * Every partial sum the kernels form is bounded by |bias| + 255 * sum|w|
 * (raw products |in * w| <= 128 * |w|, the zero-point fold |in_zp * w| <=
 * 128 * |w|). With |w| <= 127 that is K * 255 * 127 + |bias|, which must
 * fit in s32; a weight of -128 (outside the symmetric range, but not
 * worth rejecting) can exceed it, so near the limit the row is summed.
 */
static int vis_gemm_check_acc(const struct vis_model *m, u32 index,
			      const struct vision_model_tensor *w,
			      const struct vision_model_tensor *bias, u32 rows,
			      u32 k, struct vis_engine_error *err)
{
	const s32 *b = (const s32 *)(m->consts + bias->offset);
	u64 lim = (u64)k * 255 * 127;
	u32 r;

	for (r = 0; r < rows; r++) {
		u64 ab = b[r] < 0 ? -(s64)b[r] : b[r];

		if (lim + ab > S32_MAX)
			return vis_op_err(err, index, "inputs[2]",
					  "accumulator may overflow");
		if ((u64)k * 255 * 128 + ab > S32_MAX &&
		    vis_gemm_row_abs(m, w, rows, k, r) * 255 + ab > S32_MAX)
			return vis_op_err(err, index, "inputs[1]",
					  "accumulator may overflow");
	}
	return 0;
}

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
 * BLOCK4 tables, the requantization table and the accumulator bound, in
 * the order each later check relies on the earlier ones.
 *
 * Return: 0 or -EINVAL.
 */
int vis_gemm_check_weights(const struct vis_model *m, u32 index,
			   const struct vision_model_tensor *w,
			   const struct vision_model_tensor *bias, u32 rows,
			   u32 k, u32 requant, struct vis_engine_error *err)
{
	int ret;

	/* Dense weights: the generic size check fixed the element count. */
	if (w->encoding == VISION_MODEL_ENC_BLOCK4) {
		ret = vis_gemm_check_block4(m, index, w, rows, k, err);
		if (ret)
			return ret;
	}
	ret = vis_gemm_check_requant(m, index, requant, rows, err);
	if (ret)
		return ret;
	return vis_gemm_check_acc(m, index, w, bias, rows, k, err);
}
