// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: concatenation
 *
 * CONCAT joins up to %VISION_MODEL_MAX_OP_INPUTS activations of equal N, H
 * and W along C. Each input either already has the output's quantization
 * (zero multiplier: a plain copy) or is requantized element by element:
 * out = clamp(MultiplyByQuantizedMultiplier(x - zp_in, m, shift) + zp_out,
 * -128, 127). One work unit is one output row (n, y).
 */

#include "vis_ops.h"
#include "vis_quant.h"

static bool vis_concat_input_ok(const struct vis_model *m, u32 id)
{
	const struct vision_model_tensor *t = vis_tensor(m, id);

	return t->location == VISION_MODEL_LOC_ARENA &&
	       t->type == VISION_MODEL_TYPE_INT8 &&
	       t->encoding == VISION_MODEL_ENC_DENSE;
}

static int vis_concat_check(const struct vis_model *m, u32 index,
			    struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_concat *p = &op->params.concat;
	const struct vision_model_tensor *o = vis_tensor(m, op->output);
	u64 channels = 0;
	u32 i;

	for (i = 0; i < VISION_MODEL_MAX_OP_INPUTS; i++) {
		const struct vision_model_requant *r = &p->requant[i];
		const struct vision_model_tensor *t;

		if (i >= op->num_inputs) {
			/* Unused slots carry nothing. */
			if (r->multiplier || r->shift)
				return vis_op_err(err, index, "requant",
						  "unused slot not zero");
			continue;
		}
		if (!vis_concat_input_ok(m, op->inputs[i]))
			return vis_op_err(err, index, "inputs",
					  "not dense INT8 arena tensors");
		t = vis_tensor(m, op->inputs[i]);
		if (t->shape[0] != o->shape[0] || t->shape[1] != o->shape[1] ||
		    t->shape[2] != o->shape[2])
			return vis_op_err(err, index, "inputs",
					  "N, H or W differs");
		channels += t->shape[3];
		if (!vis_check_requant(r))
			return vis_op_err(err, index, "requant",
					  "invalid multiplier");
		/* A copy is only exact when the quantization agrees. */
		if (!r->multiplier &&
		    (r->shift || t->zero_point != o->zero_point))
			return vis_op_err(err, index, "requant",
					  "copy changes quantization");
	}
	if (channels != o->shape[3])
		return vis_op_err(err, index, "output",
				  "C is not the sum of the inputs' C");
	return 0;
}

static u32 vis_concat_units(const struct vis_model *m,
			    const struct vision_model_op *op)
{
	const struct vision_model_tensor *o = vis_tensor(m, op->output);

	return o->shape[0] * o->shape[1];
}

static u64 vis_concat_unit_macs(const struct vis_model *m,
				const struct vision_model_op *op)
{
	const struct vision_model_tensor *o = vis_tensor(m, op->output);

	return (u64)o->shape[2] * o->shape[3];
}

/*
 * Requantize @n values. The left shift of MultiplyByQuantizedMultiplier
 * wraps as TFLite's does for absurd scales, and clamping before adding the
 * zero point keeps every int32 addition in range.
 */
static void vis_concat_requant(const s8 *src, s8 *dst, u32 n, s32 zp_in,
			       s32 zp_out, const struct vision_model_requant *r)
{
	const s32 mult = r->multiplier;
	const int shift = r->shift;
	const s32 lo = -128 - zp_out, hi = 127 - zp_out;
	u32 i;

	for (i = 0; i < n; i++) {
		s32 v = vis_mbqm(src[i] - zp_in, mult, shift);

		v = v < lo ? lo : v > hi ? hi : v;
		dst[i] = (s8)(v + zp_out);
	}
}

static void vis_concat_run(const struct vis_exec *x,
			   const struct vision_model_op *op, u32 begin, u32 end)
{
	const struct vis_model *m = x->model;
	const struct vision_model_tensor *o = vis_tensor(m, op->output);
	s8 *out = vis_tensor_out(x, op->output);
	u32 w = o->shape[2], c_out = o->shape[3];
	u32 i, c0 = 0;

	/* Input by input: each copies or requantizes its channel range. */
	for (i = 0; i < op->num_inputs; i++) {
		const struct vision_model_tensor *t =
			vis_tensor(m, op->inputs[i]);
		const struct vision_model_requant *r =
			&op->params.concat.requant[i];
		const s8 *in = vis_tensor_data(x, op->inputs[i]);
		u32 c = t->shape[3], row;

		for (row = begin; row < end; row++) {
			const s8 *ip = in + (size_t)row * w * c;
			s8 *dst = out + (size_t)row * w * c_out + c0;
			u32 px;

			/* A single input is the whole row at once. */
			if (c == c_out) {
				if (!r->multiplier)
					memcpy(dst, ip, (size_t)w * c);
				else
					vis_concat_requant(ip, dst, w * c,
							   t->zero_point,
							   o->zero_point, r);
				continue;
			}
			for (px = 0; px < w; px++, ip += c, dst += c_out) {
				if (!r->multiplier)
					memcpy(dst, ip, c);
				else
					vis_concat_requant(ip, dst, c,
							   t->zero_point,
							   o->zero_point, r);
			}
		}
		c0 += c;
	}
}

const struct vis_op_desc vis_op_concat = {
	.name = "CONCAT",
	.min_inputs = 1,
	.max_inputs = VISION_MODEL_MAX_OP_INPUTS,
	.check = vis_concat_check,
	.units = vis_concat_units,
	.unit_macs = vis_concat_unit_macs,
	.run = vis_concat_run,
};
