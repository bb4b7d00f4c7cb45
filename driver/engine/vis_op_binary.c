// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: element-wise ADD and MUL
 *
 * Both follow TFLite's int8 reference kernels bit for bit
 * (reference_integer_ops::AddElementwise/BroadcastAdd4DSlow and
 * MulElementwise/BroadcastMul4DSlow). Inputs broadcast per dimension: each
 * dimension of each input equals the output's or is 1, and the output has
 * the larger of the two.
 *
 * One work unit is one output row (n, y). Within a row, the common layouts
 * are handed to the element loop as one span: same shape (both inputs
 * contiguous), a scalar input, or a per-channel vector repeated for every
 * pixel (squeeze-excite); the loop is specialised for inputs that advance
 * and inputs that stay put, so the compiler can vectorise it.
 */

#include "vis_ops.h"
#include "vis_quant.h"

/* Operands of the element loops, decoded once per call of run(). */
struct vis_bin_args {
	s32 zp1;
	s32 zp2;
	s32 zp_out;
	s32 lshift;
	s32 m1;
	s32 m2;
	s32 m_out;
	s32 rs1;
	s32 rs2;
	s32 rs_out;
	s32 out_lshift;
	s32 lo;
	s32 hi;
};

/*
 * A span of @n outputs. Each input either advances one element per
 * output (step 1) or repeats one element (step 0).
 */
typedef void (*vis_bin_span_fn)(const s8 *a, bool a_adv, const s8 *b,
				bool b_adv, s8 *out, u32 n,
				const struct vis_bin_args *p);

static bool vis_bin_input_ok(const struct vis_model *m, u32 id)
{
	const struct vision_model_tensor *t = vis_tensor(m, id);

	return t->location == VISION_MODEL_LOC_ARENA &&
	       t->type == VISION_MODEL_TYPE_INT8 &&
	       t->encoding == VISION_MODEL_ENC_DENSE;
}

/* Shapes and operands common to ADD and MUL. */
static int vis_bin_check_shapes(const struct vis_model *m, u32 index,
				struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_tensor *a, *b, *o;
	const struct vision_model_binary *p = &op->params.binary;
	u32 d;

	if (!vis_bin_input_ok(m, op->inputs[0]) ||
	    !vis_bin_input_ok(m, op->inputs[1]))
		return vis_op_err(err, index, "inputs",
				  "inputs must be dense INT8 arena tensors");
	a = vis_tensor(m, op->inputs[0]);
	b = vis_tensor(m, op->inputs[1]);
	o = vis_tensor(m, op->output);
	for (d = 0; d < 4; d++) {
		if ((a->shape[d] != o->shape[d] && a->shape[d] != 1) ||
		    (b->shape[d] != o->shape[d] && b->shape[d] != 1))
			return vis_op_err(err, index, "inputs",
					  "shapes do not broadcast");
		if (o->shape[d] != max(a->shape[d], b->shape[d]))
			return vis_op_err(err, index, "output",
					  "shape is not the broadcast shape");
	}
	if (!vis_check_act(p->act_min, p->act_max))
		return vis_op_err(err, index, "act_min",
				  "activation range not within int8");
	for (d = 0; d < ARRAY_SIZE(p->reserved); d++)
		if (p->reserved[d])
			return vis_op_err(err, index, "reserved",
					  "must be zero");
	return 0;
}

/* Rows of the output: N * H, which fits in u32 (elements do). */
static u32 vis_bin_units(const struct vis_model *m,
			 const struct vision_model_op *op)
{
	const struct vision_model_tensor *o = vis_tensor(m, op->output);

	return o->shape[0] * o->shape[1];
}

static u64 vis_bin_unit_macs(const struct vis_model *m,
			     const struct vision_model_op *op)
{
	const struct vision_model_tensor *o = vis_tensor(m, op->output);

	return (u64)o->shape[2] * o->shape[3];
}

/*
 * Element strides of an input in the output's index space: the natural
 * stride where the dimension matches the output, 0 where it broadcasts.
 */
static void vis_bin_strides(const struct vision_model_tensor *t,
			    const struct vision_model_tensor *o, u32 s[4])
{
	u32 w = 1;
	int d;

	for (d = 3; d >= 0; d--) {
		s[d] = t->shape[d] == o->shape[d] ? w : 0;
		w *= t->shape[d];
	}
}

/*
 * Whether a row of the input, as seen by the output, is one span: either
 * W and C both advance contiguously, or the whole row is one element.
 */
static bool vis_bin_row_flat(const u32 s[4], u32 w, u32 c, bool *adv)
{
	if (c == 1) {
		*adv = s[2] != 0;
		return true;
	}
	if (s[3] == 1 && (w == 1 || s[2] == c)) {
		*adv = true;
		return true;
	}
	if (s[3] == 0 && (w == 1 || s[2] == 0)) {
		*adv = false;
		return true;
	}
	return false;
}

static void vis_bin_run(const struct vis_exec *x,
			const struct vision_model_op *op, u32 begin, u32 end,
			vis_bin_span_fn span, const struct vis_bin_args *p)
{
	const struct vis_model *m = x->model;
	const struct vision_model_tensor *o = vis_tensor(m, op->output);
	const s8 *a = vis_tensor_data(x, op->inputs[0]);
	const s8 *b = vis_tensor_data(x, op->inputs[1]);
	s8 *out = vis_tensor_out(x, op->output);
	u32 h = o->shape[1], w = o->shape[2], c = o->shape[3];
	u32 sa[4], sb[4];
	bool a_adv, b_adv, flat;
	u32 r, px;

	vis_bin_strides(vis_tensor(m, op->inputs[0]), o, sa);
	vis_bin_strides(vis_tensor(m, op->inputs[1]), o, sb);
	flat = vis_bin_row_flat(sa, w, c, &a_adv) &&
	       vis_bin_row_flat(sb, w, c, &b_adv);

	for (r = begin; r < end; r++) {
		u32 n = r / h, y = r % h;
		const s8 *ar = a + n * sa[0] + y * sa[1];
		const s8 *br = b + n * sb[0] + y * sb[1];
		s8 *orow = out + (size_t)r * w * c;

		if (flat) {
			span(ar, a_adv, br, b_adv, orow, w * c, p);
			continue;
		}
		/* A channel span per pixel: per-channel broadcast and kin. */
		for (px = 0; px < w; px++)
			span(ar + px * sa[2], sa[3], br + px * sb[2], sb[3],
			     orow + (size_t)px * c, c, p);
	}
}

/* ---- ADD ---------------------------------------------------------------- */

/*
 * TFLite's AddFunc over a span. The parameters are copied to locals: the
 * int8 stores may alias anything, which would otherwise force a reload of
 * every parameter per element and defeat vectorisation. The left shift is
 * a multiplication so that negative values are well defined; check()
 * proved it cannot overflow.
 */
static __always_inline void vis_add_loop(const s8 *a, u32 as, const s8 *b,
					 u32 bs, s8 *out, u32 n,
					 const struct vis_bin_args *p)
{
	const s32 zp1 = p->zp1, zp2 = p->zp2, zp_out = p->zp_out;
	const s32 mul = p->lshift, m1 = p->m1, m2 = p->m2, m_out = p->m_out;
	const int rs1 = p->rs1, rs2 = p->rs2, rs_out = p->rs_out;
	const s32 lo = p->lo, hi = p->hi;
	u32 i;

	for (i = 0; i < n; i++) {
		s32 s1 =
			vis_rdbpot(vis_srdhm((a[i * as] - zp1) * mul, m1), rs1);
		s32 s2 =
			vis_rdbpot(vis_srdhm((b[i * bs] - zp2) * mul, m2), rs2);
		s32 r = vis_rdbpot(vis_srdhm(s1 + s2, m_out), rs_out);

		out[i] = vis_sat8(r + zp_out, lo, hi);
	}
}

static void vis_add_span(const s8 *a, bool a_adv, const s8 *b, bool b_adv,
			 s8 *out, u32 n, const struct vis_bin_args *p)
{
	/* Constant steps: one specialised loop per layout. */
	if (a_adv && b_adv)
		vis_add_loop(a, 1, b, 1, out, n, p);
	else if (a_adv)
		vis_add_loop(a, 1, b, 0, out, n, p);
	else if (b_adv)
		vis_add_loop(a, 0, b, 1, out, n, p);
	else
		vis_add_loop(a, 0, b, 0, out, n, p);
}

static int vis_add_check(const struct vis_model *m, u32 index,
			 struct vis_engine_error *err)
{
	const struct vision_model_binary *p = &m->ops[index].params.binary;
	int ret;

	ret = vis_bin_check_shapes(m, index, err);
	if (ret)
		return ret;
	/*
	 * |x - zp| <= 255 and 255 << 20 < 2^28, so the shifted inputs fit
	 * in int32; scaling by a multiplier below one (shift <= 0) cannot
	 * grow them, so s1 + s2 stays below 2^29 and the output scaling,
	 * again below one, leaves room for the zero point.
	 */
	if (p->left_shift > 20)
		return vis_op_err(err, index, "left_shift", "not in [0, 20]");
	if (!vis_check_requant(&p->input1) || p->input1.shift > 0)
		return vis_op_err(err, index, "input1",
				  "not a multiplier below one");
	if (!vis_check_requant(&p->input2) || p->input2.shift > 0)
		return vis_op_err(err, index, "input2",
				  "not a multiplier below one");
	if (!vis_check_requant(&p->output) || p->output.shift > 0)
		return vis_op_err(err, index, "output",
				  "not a multiplier below one");
	return 0;
}

static void vis_add_run(const struct vis_exec *x,
			const struct vision_model_op *op, u32 begin, u32 end)
{
	const struct vis_model *m = x->model;
	const struct vision_model_binary *bp = &op->params.binary;
	const struct vis_bin_args p = {
		.zp1 = vis_tensor(m, op->inputs[0])->zero_point,
		.zp2 = vis_tensor(m, op->inputs[1])->zero_point,
		.zp_out = vis_tensor(m, op->output)->zero_point,
		.lshift = 1 << bp->left_shift,
		.m1 = bp->input1.multiplier,
		.m2 = bp->input2.multiplier,
		.m_out = bp->output.multiplier,
		.rs1 = -bp->input1.shift,
		.rs2 = -bp->input2.shift,
		.rs_out = -bp->output.shift,
		.lo = bp->act_min,
		.hi = bp->act_max,
	};

	vis_bin_run(x, op, begin, end, vis_add_span, &p);
}

const struct vis_op_desc vis_op_add = {
	.name = "ADD",
	.min_inputs = 2,
	.max_inputs = 2,
	.check = vis_add_check,
	.units = vis_bin_units,
	.unit_macs = vis_bin_unit_macs,
	.run = vis_add_run,
};

/* ---- MUL ---------------------------------------------------------------- */

/*
 * TFLite's MulElementwise over a span. The product is at most 255 * 255;
 * the left shift of MultiplyByQuantizedMultiplier wraps as TFLite's does
 * for absurd scales, and the result is clamped before the zero point is
 * added so that no int32 addition can overflow: clamp(r, lo - zp,
 * hi - zp) + zp equals clamp(r + zp, lo, hi) computed in wider arithmetic.
 */
static __always_inline void vis_mul_loop(const s8 *a, u32 as, const s8 *b,
					 u32 bs, s8 *out, u32 n,
					 const struct vis_bin_args *p)
{
	const s32 zp1 = p->zp1, zp2 = p->zp2, zp_out = p->zp_out;
	const s32 m_out = p->m_out;
	const int ls = p->out_lshift, rs = p->rs_out;
	const s32 lo = p->lo - zp_out, hi = p->hi - zp_out;
	u32 i;

	for (i = 0; i < n; i++) {
		s32 prod = (a[i * as] - zp1) * (b[i * bs] - zp2);
		s32 r = vis_rdbpot(vis_srdhm((s32)((u32)prod << ls), m_out),
				   rs);

		r = r < lo ? lo : r > hi ? hi : r;
		out[i] = (s8)(r + zp_out);
	}
}

static void vis_mul_span(const s8 *a, bool a_adv, const s8 *b, bool b_adv,
			 s8 *out, u32 n, const struct vis_bin_args *p)
{
	if (a_adv && b_adv)
		vis_mul_loop(a, 1, b, 1, out, n, p);
	else if (a_adv)
		vis_mul_loop(a, 1, b, 0, out, n, p);
	else if (b_adv)
		vis_mul_loop(a, 0, b, 1, out, n, p);
	else
		vis_mul_loop(a, 0, b, 0, out, n, p);
}

static int vis_mul_check(const struct vis_model *m, u32 index,
			 struct vis_engine_error *err)
{
	const struct vision_model_binary *p = &m->ops[index].params.binary;
	int ret;

	ret = vis_bin_check_shapes(m, index, err);
	if (ret)
		return ret;
	if (p->left_shift)
		return vis_op_err(err, index, "left_shift", "must be zero");
	if (p->input1.multiplier || p->input1.shift)
		return vis_op_err(err, index, "input1", "must be zero");
	if (p->input2.multiplier || p->input2.shift)
		return vis_op_err(err, index, "input2", "must be zero");
	if (!vis_check_requant(&p->output))
		return vis_op_err(err, index, "output", "invalid multiplier");
	return 0;
}

static void vis_mul_run(const struct vis_exec *x,
			const struct vision_model_op *op, u32 begin, u32 end)
{
	const struct vis_model *m = x->model;
	const struct vision_model_binary *bp = &op->params.binary;
	const struct vis_bin_args p = {
		.zp1 = vis_tensor(m, op->inputs[0])->zero_point,
		.zp2 = vis_tensor(m, op->inputs[1])->zero_point,
		.zp_out = vis_tensor(m, op->output)->zero_point,
		.m_out = bp->output.multiplier,
		.out_lshift = bp->output.shift > 0 ? bp->output.shift : 0,
		.rs_out = bp->output.shift > 0 ? 0 : -bp->output.shift,
		.lo = bp->act_min,
		.hi = bp->act_max,
	};

	vis_bin_run(x, op, begin, end, vis_mul_span, &p);
}

const struct vis_op_desc vis_op_mul = {
	.name = "MUL",
	.min_inputs = 2,
	.max_inputs = 2,
	.check = vis_mul_check,
	.units = vis_bin_units,
	.unit_macs = vis_bin_unit_macs,
	.run = vis_mul_run,
};
