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
 * and inputs that stay put, and works in fixed-size blocks on local
 * copies, so the compiler can vectorise it without alias checks.
 */

#include "vis_ops.h"
#include "vis_quant.h"

/*
 * Operands of the element loops, decoded once per call of run(): ADD's,
 * as the kernel tables take them, and MUL's output left shift.
 */
struct vis_bin_args {
	struct vis_add_args add;
	s32 out_lshift;
};

/* Shapes and operands common to ADD and MUL. */
static int vis_bin_check_shapes(const struct vis_model *m, u32 index,
				struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_tensor *a, *b, *o;
	const struct vision_model_binary *p = &op->params.binary;
	u32 d;

	if (!vis_arena_int8(m, op->inputs[0]) ||
	    !vis_arena_int8(m, op->inputs[1]))
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
	if (!vis_zero_words(p->reserved, ARRAY_SIZE(p->reserved)))
		return vis_op_err(err, index, "reserved", "must be zero");
	return 0;
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

/* Elements per block of the element loops: a fixed trip count. */
#define VIS_BIN_BLOCK 32

/*
 * vis_srdhm() for @b >= 0 (which rules out its one saturating case),
 * computed on the magnitude of @a in unsigned 64-bit arithmetic: with
 * P = |a| * b, gemmlowp's nudge and truncating division give
 * (P + 2^30) >> 31 for a >= 0 and -((P + 2^30 - 1) >> 31) for a < 0.
 * Compilers vectorise the unsigned widening multiply on any x86-64
 * (pmuludq), not only where a signed one exists.
 */
static __always_inline s32 vis_srdhm_pos(s32 a, s32 b)
{
	u32 neg = (u32)(a >> 31);
	u32 mag = ((u32)a ^ neg) - neg;
	u64 prod = (u64)mag * (u32)b;
	u32 q = (u32)((prod + (1ull << 30) - (neg & 1)) >> 31);

	return (s32)((q ^ neg) - neg);
}

/*
 * TFLite's AddFunc for one element. The left shift is done unsigned so
 * that negative values are well defined; check() proved it cannot
 * overflow, and that all multipliers are non-negative.
 */
static __always_inline s8 vis_add_elem(s32 x, s32 y,
				       const struct vis_bin_args *p)
{
	s32 a = (s32)((u32)(x - p->add.zp1) << p->add.lshift);
	s32 b = (s32)((u32)(y - p->add.zp2) << p->add.lshift);
	s32 s1 = vis_rdbpot(vis_srdhm_pos(a, p->add.m1), p->add.rs1);
	s32 s2 = vis_rdbpot(vis_srdhm_pos(b, p->add.m2), p->add.rs2);
	s32 r = vis_rdbpot(vis_srdhm_pos(s1 + s2, p->add.m_out), p->add.rs_out);

	return vis_sat8(r + p->add.zp_out, p->add.lo, p->add.hi);
}

/*
 * TFLite's MulElementwise for one element. The product is at most
 * 255 * 255; the left shift of MultiplyByQuantizedMultiplier wraps as
 * TFLite's does for absurd scales, and the result is clamped before the
 * zero point is added so that no int32 addition can overflow: clamp(r,
 * lo - zp, hi - zp) + zp equals clamp(r + zp, lo, hi) computed in wider
 * arithmetic. The multiplier is non-negative (checked).
 */
static __always_inline s8 vis_mul_elem(s32 x, s32 y,
				       const struct vis_bin_args *p)
{
	s32 prod = (x - p->add.zp1) * (y - p->add.zp2);
	s32 r = vis_rdbpot(vis_srdhm_pos((s32)((u32)prod << p->out_lshift),
					 p->add.m_out),
			   p->add.rs_out);
	s32 lo = p->add.lo - p->add.zp_out, hi = p->add.hi - p->add.zp_out;

	r = r < lo ? lo : r > hi ? hi : r;
	return (s8)(r + p->add.zp_out);
}

/*
 * @n elements, inputs stepping by @as and @bs (0 or 1), of ADD or (@mul)
 * MUL. The parameters are copied to a local: the int8 stores may alias
 * anything, which would otherwise force a reload of every parameter per
 * element.
 */
static __always_inline void vis_bin_elems(const s8 *a, u32 as, const s8 *b,
					  u32 bs, s8 *out, u32 n,
					  const struct vis_bin_args *args,
					  bool mul)
{
	const struct vis_bin_args p = *args;
	u32 i;

	for (i = 0; i < n; i++)
		out[i] = mul ? vis_mul_elem(a[i * as], b[i * bs], &p) :
			       vis_add_elem(a[i * as], b[i * bs], &p);
}

/*
 * A span in blocks of VIS_BIN_BLOCK through local buffers, which alias
 * nothing, so each block is one straight vectorisable loop; then the
 * remainder element by element.
 */
static __always_inline void vis_bin_loop(const s8 *a, u32 as, const s8 *b,
					 u32 bs, s8 *out, u32 n,
					 const struct vis_bin_args *p, bool mul)
{
	s8 ta[VIS_BIN_BLOCK], tb[VIS_BIN_BLOCK], to[VIS_BIN_BLOCK];
	u32 i, j;

	for (i = 0; i + VIS_BIN_BLOCK <= n; i += VIS_BIN_BLOCK) {
		for (j = 0; j < VIS_BIN_BLOCK; j++) {
			ta[j] = a[(i + j) * as];
			tb[j] = b[(i + j) * bs];
		}
		vis_bin_elems(ta, 1, tb, 1, to, VIS_BIN_BLOCK, p, mul);
		memcpy(out + i, to, VIS_BIN_BLOCK);
	}
	vis_bin_elems(a + i * as, as, b + i * bs, bs, out + i, n - i, p, mul);
}

/* The element loop of ADD's operands @aa, both inputs advancing. */
void vis_add_s8_ref(const s8 *a, const s8 *b, s8 *out, u32 n,
		    const struct vis_add_args *aa)
{
	const struct vis_bin_args p = { .add = *aa };

	vis_bin_loop(a, 1, b, 1, out, n, &p, false);
}

/*
 * Constant steps: one specialised loop per layout; ADD of two advancing
 * inputs goes to the kernel table (@k).
 */
static __always_inline void vis_bin_span(const struct vis_kernels *k,
					 const s8 *a, bool a_adv, const s8 *b,
					 bool b_adv, s8 *out, u32 n,
					 const struct vis_bin_args *p, bool mul)
{
	if (a_adv && b_adv && !mul)
		k->add_s8(a, b, out, n, &p->add);
	else if (a_adv && b_adv)
		vis_bin_loop(a, 1, b, 1, out, n, p, mul);
	else if (a_adv)
		vis_bin_loop(a, 1, b, 0, out, n, p, mul);
	else if (b_adv)
		vis_bin_loop(a, 0, b, 1, out, n, p, mul);
	else
		vis_bin_loop(a, 0, b, 0, out, n, p, mul);
}

/*
 * Output rows [@begin, @end) of ADD or (@mul) MUL: each row as one span
 * where both inputs are flat over it, else a channel span per pixel
 * (per-channel broadcast and kin).
 */
static __always_inline void vis_bin_run(const struct vis_exec *x,
					const struct vision_model_op *op,
					u32 begin, u32 end,
					const struct vis_bin_args *p, bool mul)
{
	const struct vis_model *m = x->model;
	const struct vision_model_tensor *o = vis_tensor(m, op->output);
	const s8 *a = vis_tensor_data(x, op->inputs[0]);
	const s8 *b = vis_tensor_data(x, op->inputs[1]);
	s8 *out = vis_tensor_out(x, op->output);
	u32 h = o->shape[1], w = o->shape[2], c = o->shape[3];
	u32 sa[4], sb[4], spans, len, as, bs;
	bool a_adv, b_adv;
	u32 r, px;

	vis_bin_strides(vis_tensor(m, op->inputs[0]), o, sa);
	vis_bin_strides(vis_tensor(m, op->inputs[1]), o, sb);
	if (vis_bin_row_flat(sa, w, c, &a_adv) &&
	    vis_bin_row_flat(sb, w, c, &b_adv)) {
		spans = 1;
		len = w * c;
		as = 0;
		bs = 0;
	} else {
		spans = w;
		len = c;
		as = sa[2];
		bs = sb[2];
		a_adv = sa[3];
		b_adv = sb[3];
	}
	for (r = begin; r < end; r++) {
		u32 n = r / h, y = r % h;
		const s8 *ar = a + n * sa[0] + y * sa[1];
		const s8 *br = b + n * sb[0] + y * sb[1];
		s8 *orow = out + (size_t)r * w * c;

		for (px = 0; px < spans; px++)
			vis_bin_span(x->k, ar + px * as, a_adv, br + px * bs,
				     b_adv, orow + (size_t)px * len, len, p,
				     mul);
	}
}

/* The operands of ADD or (@mul) MUL. */
static void vis_bin_args_init(const struct vis_model *m,
			      const struct vision_model_op *op,
			      struct vis_bin_args *p, bool mul)
{
	const struct vision_model_binary *bp = &op->params.binary;

	memset(p, 0, sizeof(*p));
	p->add.zp1 = vis_tensor(m, op->inputs[0])->zero_point;
	p->add.zp2 = vis_tensor(m, op->inputs[1])->zero_point;
	p->add.zp_out = vis_tensor(m, op->output)->zero_point;
	p->add.m_out = bp->output.multiplier;
	p->add.lo = bp->act_min;
	p->add.hi = bp->act_max;
	if (mul) {
		p->out_lshift = bp->output.shift > 0 ? bp->output.shift : 0;
		p->add.rs_out = bp->output.shift > 0 ? 0 : -bp->output.shift;
		return;
	}
	p->add.lshift = bp->left_shift;
	p->add.m1 = bp->input1.multiplier;
	p->add.m2 = bp->input2.multiplier;
	p->add.rs1 = -bp->input1.shift;
	p->add.rs2 = -bp->input2.shift;
	p->add.rs_out = -bp->output.shift;
}

/* ---- ADD ---------------------------------------------------------------- */

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
	struct vis_bin_args p;

	vis_bin_args_init(x->model, op, &p, false);
	vis_bin_run(x, op, begin, end, &p, false);
}

const struct vis_op_desc vis_op_add = {
	.name = "ADD",
	.min_inputs = 2,
	.max_inputs = 2,
	.check = vis_add_check,
	.units = vis_op_rows,
	.unit_macs = vis_op_row_elems,
	.run = vis_add_run,
};

/* ---- MUL ---------------------------------------------------------------- */

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
	struct vis_bin_args p;

	vis_bin_args_init(x->model, op, &p, true);
	vis_bin_run(x, op, begin, end, &p, true);
}

const struct vis_op_desc vis_op_mul = {
	.name = "MUL",
	.min_inputs = 2,
	.max_inputs = 2,
	.check = vis_mul_check,
	.units = vis_op_rows,
	.unit_macs = vis_op_row_elems,
	.run = vis_mul_run,
};
