// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: SOFTMAX operator
 *
 * int8 softmax along C, for every (n, h, w) position, computed exactly as
 * TFLite's quantized reference Softmax (reference_ops::Softmax<int8_t,
 * int8_t>) with gemmlowp's fixed-point arithmetic:
 *
 * 1. m = max over the row; for each c, d = x[c] - m (in [-255, 0]).
 * 2. Elements with d < diff_min contribute nothing and output -128.
 * 3. The others are scaled to Q5.26: s = SaturatingRoundingDoublingHighMul(
 *    d * 2^input_beta_left_shift, input_beta_multiplier), and
 *    e = exp_on_negative_values(s) in Q0.31.
 * 4. The sum of Rescale<12>(e) (Q12.19) is inverted with GetReciprocal(),
 *    giving a Q0.31 scale and the number of bits the sum has above 1.0.
 * 5. y = RoundingDivideByPOT(scale * e, bits_over_unit + 23) - 128,
 *    clamped to [-128, 127]: the output has scale 1/256, zero point -128.
 *
 * Two cases where TFLite is undefined or aborts get a defined result
 * instead: the Q12.19 sum saturates at S32_MAX (TFLite's int32 addition
 * overflows once a row has more than 4096 elements near its maximum), and
 * a shift above 31 in step 5 (a sum of 512 or more, which trips a
 * TFLITE_CHECK) yields 0, the correctly rounded value of a quotient below
 * one half. Everywhere else the output is bit-identical to TFLite's.
 *
 * The validator only accepts parameters for which d * 2^left_shift cannot
 * overflow for any d that passes the diff_min test, which TFLite's own
 * PreprocessSoftmaxScaling()/CalculateInputRadius() always satisfy; so the
 * exponential only ever sees values in [-32, 0] and all arithmetic below
 * stays within its ranges.
 */

#include "vis_ops.h"
#include "vis_quant.h"

/* Integer bits of the scaled differences (Q5.26) and of the sum (Q12.19). */
#define VIS_SM_DIFF_BITS 5
#define VIS_SM_ACCUM_BITS 12

/*
 * gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent: a
 * left shift that saturates instead of overflowing.
 */
static s32 vis_sm_sat_shl(s32 x, int exponent)
{
	s32 limit = (s32)((1u << (31 - exponent)) - 1);

	if (x > limit)
		return S32_MAX;
	if (x < -limit)
		return S32_MIN;
	return (s32)((u32)x << exponent);
}

/*
 * gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl: a
 * fourth-order Taylor expansion around -1/8, all values Q0.31.
 */
static s32 vis_sm_exp_quarter(s32 a)
{
	const s32 exp_minus_eighth = 1895147668;
	const s32 one_third = 715827883;
	s32 x = a + (1 << 28);
	s32 x2 = vis_srdhm(x, x);
	s32 x3 = vis_srdhm(x2, x);
	s32 x4 = vis_srdhm(x2, x2);
	s32 x4_over_4 = vis_rdbpot(x4, 2);
	s32 poly = vis_rdbpot(vis_srdhm(x4_over_4 + x3, one_third) + x2, 1);

	return exp_minus_eighth + vis_srdhm(exp_minus_eighth, x + poly);
}

/*
 * gemmlowp exp_on_negative_values for a Q5.26 input a <= 0, Q0.31 result:
 * exp of the fraction modulo 1/4, times exp(-2^k) for each bit k of the
 * rest (the "barrel shifter"); exp(0) is exactly the largest Q0.31 value.
 */
static s32 vis_sm_exp_neg(s32 a)
{
	/* exp(-2^k) in Q0.31 for k = -2 .. 4. */
	static const s32 exp_pot[7] = {
		1672461947, 1302514674, 790015084, 290630308,
		39332535,   720401,	242,
	};
	const int frac_bits = 31 - VIS_SM_DIFF_BITS;
	const s32 quarter = 1 << (frac_bits - 2);
	s32 a_mod = (a & (quarter - 1)) - quarter;
	s32 rest = a_mod - a;
	s32 r;
	u32 k;

	if (a == 0)
		return S32_MAX;
	r = vis_sm_exp_quarter(vis_sm_sat_shl(a_mod, VIS_SM_DIFF_BITS));
	for (k = 0; k < ARRAY_SIZE(exp_pot); k++)
		if (rest & (1 << (frac_bits - 2 + k)))
			r = vis_srdhm(r, exp_pot[k]);
	return r;
}

/*
 * gemmlowp one_over_one_plus_x_for_x_in_0_1: Newton-Raphson division in
 * Q2.29 starting from 48/17 - 32/17 * d, where d = (1 + a) / 2.
 */
static s32 vis_sm_one_over_one_plus_x(s32 a)
{
	s64 sum = (s64)a + S32_MAX;
	s32 half_denom = (s32)((sum + (sum >= 0 ? 1 : -1)) / 2);
	s32 x = 1515870810 + vis_srdhm(half_denom, -1010580540);
	int i;

	for (i = 0; i < 3; i++) {
		s32 one_minus = (1 << 29) - vis_srdhm(half_denom, x);

		x += vis_sm_sat_shl(vis_srdhm(x, one_minus), 2);
	}
	/* x / 2 in Q1.30 read back as Q0.31. */
	return vis_sm_sat_shl(x, 1);
}

/*
 * TFLite GetReciprocal: 1 / sum as a Q0.31 value and the number of bits
 * the Q12.19 sum (> 0) has above 1.0.
 */
static s32 vis_sm_reciprocal(s32 sum, int *bits_over_unit)
{
	int headroom = __builtin_clz((u32)sum);
	/* sum normalised to [1, 2), minus one: in [0, 1) as Q0.31. */
	s32 x = (s32)(((u32)sum << headroom) - (1u << 31));

	*bits_over_unit = VIS_SM_ACCUM_BITS - headroom;
	return vis_sm_one_over_one_plus_x(x);
}

/* exp((x - max) * beta * input scale) in Q0.31. */
static s32 vis_sm_exp_diff(s32 diff, const struct vision_model_softmax *p)
{
	/* The validator keeps diff * 2^shift within [-2^31, 0]. */
	s32 shifted = (s32)((u32)diff << p->input_beta_left_shift);

	return vis_sm_exp_neg(vis_srdhm(shifted, p->input_beta_multiplier));
}

static void vis_softmax_vector(const s8 *in, s8 *out, u32 depth,
			       const struct vision_model_softmax *p)
{
	s32 max_in = S8_MIN;
	s64 sum = 0;
	s32 scale;
	int bits, exponent;
	u32 c;

	for (c = 0; c < depth; c++)
		max_in = max_t(s32, max_in, in[c]);

	for (c = 0; c < depth; c++) {
		s32 diff = (s32)in[c] - max_in;

		if (diff >= p->diff_min)
			/* Rescale<12>: Q0.31 to Q12.19. */
			sum += vis_rdbpot(vis_sm_exp_diff(diff, p),
					  VIS_SM_ACCUM_BITS);
	}
	/* The row maximum contributes 1.0, so the sum is at least 2^19. */
	if (sum > S32_MAX)
		sum = S32_MAX;
	scale = vis_sm_reciprocal((s32)sum, &bits);
	exponent = bits + 31 - 8;

	for (c = 0; c < depth; c++) {
		s32 diff = (s32)in[c] - max_in;
		s32 v = 0;

		if (diff < p->diff_min) {
			out[c] = S8_MIN;
			continue;
		}
		/* Above 31 the quotient is below 1/2: it rounds to 0. */
		if (exponent <= 31)
			v = vis_rdbpot(vis_srdhm(scale,
						 vis_sm_exp_diff(diff, p)),
				       exponent);
		out[c] = vis_sat8(v + S8_MIN, S8_MIN, S8_MAX);
	}
}

static int vis_softmax_check(const struct vis_model *m, u32 index,
			     struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_softmax *p = &op->params.softmax;
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *out = vis_tensor(m, op->output);
	int ret = vis_check_arena_input(m, index, err);
	u64 reach;

	if (ret)
		return ret;
	if (!vis_same_shape(in, out))
		return vis_op_err(err, index, "output",
				  "output shape differs from input");
	if (out->zero_point != S8_MIN)
		return vis_op_err(err, index, "output",
				  "output zero point must be -128");
	if (p->input_beta_multiplier < 0)
		return vis_op_err(err, index, "input_beta_multiplier",
				  "multiplier must be in [0, 2^31)");
	if (p->input_beta_left_shift < 0 || p->input_beta_left_shift > 31)
		return vis_op_err(err, index, "input_beta_left_shift",
				  "left shift must be in [0, 31]");
	if (p->diff_min > 0)
		return vis_op_err(err, index, "diff_min",
				  "diff_min must not be positive");
	/*
	 * Differences that pass the diff_min test are at most 255 (int8) and
	 * at most -diff_min in magnitude; shifted left they must still fit
	 * an int32 (TFLite relies on this without checking it).
	 */
	reach = min_t(u64, -(s64)p->diff_min, 255);
	if ((reach << p->input_beta_left_shift) > (1ull << 31))
		return vis_op_err(err, index, "diff_min",
				  "diff_min too low for the left shift");
	if (!vis_zero_words(p->reserved, ARRAY_SIZE(p->reserved)))
		return vis_op_err(err, index, "params",
				  "reserved parameters must be zero");
	return 0;
}

/* One unit is one (n, h) row of W vectors of C elements: vis_op_rows(). */
static u64 vis_softmax_unit_macs(const struct vis_model *m,
				 const struct vision_model_op *op)
{
	const struct vision_model_tensor *out = vis_tensor(m, op->output);

	/* Two exponentials of about a dozen multiplications per element. */
	return (u64)out->shape[2] * out->shape[3] * 24;
}

static void vis_softmax_run(const struct vis_exec *x,
			    const struct vision_model_op *op, u32 begin,
			    u32 end)
{
	const struct vision_model_tensor *t = vis_tensor(x->model, op->output);
	const struct vision_model_softmax *p = &op->params.softmax;
	const s8 *in = vis_tensor_data(x, op->inputs[0]);
	s8 *out = vis_tensor_out(x, op->output);
	u32 width = t->shape[2], depth = t->shape[3];
	u32 row, w;

	for (row = begin; row < end; row++) {
		size_t base = (size_t)row * width * depth;

		for (w = 0; w < width; w++) {
			size_t off = base + (size_t)w * depth;

			vis_softmax_vector(in + off, out + off, depth, p);
		}
	}
}

const struct vis_op_desc vis_op_softmax = {
	.name = "SOFTMAX",
	.min_inputs = 1,
	.max_inputs = 1,
	.check = vis_softmax_check,
	.units = vis_op_rows,
	.unit_macs = vis_softmax_unit_macs,
	.run = vis_softmax_run,
};
