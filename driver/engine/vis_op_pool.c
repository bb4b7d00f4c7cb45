// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: pooling
 *
 * MAX_POOL and AVG_POOL follow TFLite's int8 reference kernels
 * (reference_integer_ops::MaxPool and AveragePool): padded positions are
 * left out of the window, the average divides by the number of taps
 * inside the input with rounding half away from zero, and input and
 * output share their quantization. GLOBAL_AVG_POOL sums (x - zero point)
 * over H and W per channel and requantizes the sum with one multiplier
 * that folds in 1 / (H * W).
 *
 * MAX_POOL and AVG_POOL work one output row (n, y) per unit,
 * GLOBAL_AVG_POOL one block of up to %VIS_POOL_CBLK channels of one batch
 * entry. MAX_POOL takes one output pixel per call of the kernel table's
 * max_pool(). The averages process channels in blocks of %VIS_POOL_CBLK
 * with the running sum in a small array on the stack, so the inner loop
 * over channels is contiguous and needs no scratch memory.
 */

#include "vis_ops.h"
#include "vis_quant.h"

/* Channels per block: 64 int32 accumulators are 256 bytes of stack. */
#define VIS_POOL_CBLK 64

/*
 * Output extent of one dimension: floor((in + pads - filter) / stride) + 1.
 * Pads below the filter size keep at least one input position in every
 * window: the first window ends at filter - pad_before > 0 and the last
 * starts at most at in + pad_after - filter < in.
 */
static bool vis_pool_extent(u32 in, u32 filter, u32 stride, u32 pad_before,
			    u32 pad_after, u64 *out)
{
	u64 padded = (u64)in + pad_before + pad_after;

	if (pad_before >= filter || pad_after >= filter || padded < filter)
		return false;
	*out = (padded - filter) / stride + 1;
	return true;
}

/* Checks shared by MAX_POOL and AVG_POOL. */
static int vis_pool_check(const struct vis_model *m, u32 index,
			  struct vis_engine_error *err, bool avg)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_pool *p = &op->params.pool;
	const struct vision_model_tensor *in, *o;
	int ret = vis_check_arena_input(m, index, err);
	u64 oh, ow, taps;

	if (ret)
		return ret;
	in = vis_tensor(m, op->inputs[0]);
	o = vis_tensor(m, op->output);
	if (!p->filter_h || !p->filter_w)
		return vis_op_err(err, index, "filter_h", "empty window");
	if (!p->stride_h || !p->stride_w)
		return vis_op_err(err, index, "stride_h", "zero stride");
	if (!vis_pool_extent(in->shape[1], p->filter_h, p->stride_h, p->pad_top,
			     p->pad_bottom, &oh))
		return vis_op_err(err, index, "pad_top",
				  "padding not below the window height");
	if (!vis_pool_extent(in->shape[2], p->filter_w, p->stride_w,
			     p->pad_left, p->pad_right, &ow))
		return vis_op_err(err, index, "pad_left",
				  "padding not below the window width");
	if (o->shape[0] != in->shape[0] || o->shape[1] != oh ||
	    o->shape[2] != ow || o->shape[3] != in->shape[3])
		return vis_op_err(err, index, "output", "wrong output shape");
	if (o->zero_point != in->zero_point)
		return vis_op_err(err, index, "output",
				  "quantization differs from the input's");
	if (p->requant.multiplier || p->requant.shift)
		return vis_op_err(err, index, "requant", "must be zero");
	if (!vis_check_act(p->act_min, p->act_max))
		return vis_op_err(err, index, "act_min",
				  "activation range not within int8");
	if (!vis_zero_words(p->reserved, ARRAY_SIZE(p->reserved)))
		return vis_op_err(err, index, "reserved", "must be zero");
	/*
	 * The average's int32 sum and its rounding term stay below
	 * 128 * taps; taps inside the input never exceed this.
	 */
	taps = (u64)min(p->filter_h, in->shape[1]) *
	       min(p->filter_w, in->shape[2]);
	if (avg && taps * 128 > S32_MAX)
		return vis_op_err(err, index, "filter_h",
				  "window too large for an int32 sum");
	return 0;
}

static u64 vis_pool_unit_macs(const struct vis_model *m,
			      const struct vision_model_op *op)
{
	const struct vision_model_pool *p = &op->params.pool;
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *o = vis_tensor(m, op->output);

	/* Both factors are below 2^32: the product cannot wrap. */
	return (u64)o->shape[2] * o->shape[3] *
	       ((u64)min(p->filter_h, in->shape[1]) *
		min(p->filter_w, in->shape[2]));
}

/* Window [*lo, *hi) of input positions for output position @o. */
static void vis_pool_window(u32 o, u32 stride, u32 pad, u32 filter, u32 in,
			    u32 *lo, u32 *hi)
{
	/* s64: stride * o and the filter may each approach 2^32. */
	s64 start = (s64)o * stride - pad;
	s64 end = start + filter;

	*lo = start < 0 ? 0 : (u32)start;
	*hi = end > in ? in : (u32)end;
}

/* Geometry of one MAX_POOL/AVG_POOL run, decoded once. */
struct vis_pool_geom {
	const s8 *in;
	s8 *out;
	u32 h, w, c;
	u32 oh, ow;
	const struct vision_model_pool *p;
};

static void vis_pool_geom(const struct vis_exec *x,
			  const struct vision_model_op *op,
			  struct vis_pool_geom *g)
{
	const struct vision_model_tensor *in;
	const struct vision_model_tensor *o;

	in = vis_tensor(x->model, op->inputs[0]);
	o = vis_tensor(x->model, op->output);
	g->in = vis_tensor_data(x, op->inputs[0]);
	g->out = vis_tensor_out(x, op->output);
	g->h = in->shape[1];
	g->w = in->shape[2];
	g->c = in->shape[3];
	g->oh = o->shape[1];
	g->ow = o->shape[2];
	g->p = &op->params.pool;
}

/*
 * One output pixel of AVG_POOL: channels of @o from the input rows [@y0,
 * @y1) and columns [@x0, @x1) of batch entry @n, a block of channels at a
 * time.
 */
static void vis_avg_pool_pixel(const struct vis_pool_geom *g, u32 n, u32 y0,
			       u32 y1, u32 x0, u32 x1, s8 *o)
{
	/* Non-zero and below 2^24: check() saw to both. */
	const s32 count = (s32)((y1 - y0) * (x1 - x0));
	const s32 lo = g->p->act_min, hi = g->p->act_max;
	s32 acc[VIS_POOL_CBLK];
	u32 c0, nb, y, xx, j;

	for (c0 = 0; c0 < g->c; c0 += nb) {
		nb = min_t(u32, VIS_POOL_CBLK, g->c - c0);
		for (j = 0; j < nb; j++)
			acc[j] = 0;
		for (y = y0; y < y1; y++) {
			const s8 *ip =
				g->in +
				(((size_t)n * g->h + y) * g->w + x0) * g->c +
				c0;

			for (xx = x0; xx < x1; xx++, ip += g->c)
				for (j = 0; j < nb; j++)
					acc[j] += ip[j];
		}
		for (j = 0; j < nb; j++) {
			/* TFLite rounds half away from zero. */
			s32 a = acc[j];

			a = a > 0 ? (a + count / 2) / count :
				    (a - count / 2) / count;
			o[c0 + j] = vis_sat8(a, lo, hi);
		}
	}
}

/* Output rows [@begin, @end) of MAX_POOL or (@avg) AVG_POOL. */
static __always_inline void vis_pool_run(const struct vis_exec *x,
					 const struct vision_model_op *op,
					 u32 begin, u32 end, bool avg)
{
	struct vis_pool_geom g;
	u32 r, ox, y0, y1, x0, x1;
	const s8 *ip;

	vis_pool_geom(x, op, &g);
	for (r = begin; r < end; r++) {
		vis_pool_window(r % g.oh, g.p->stride_h, g.p->pad_top,
				g.p->filter_h, g.h, &y0, &y1);
		for (ox = 0; ox < g.ow; ox++) {
			s8 *o = g.out + ((size_t)r * g.ow + ox) * g.c;

			vis_pool_window(ox, g.p->stride_w, g.p->pad_left,
					g.p->filter_w, g.w, &x0, &x1);
			if (avg) {
				vis_avg_pool_pixel(&g, r / g.oh, y0, y1, x0, x1,
						   o);
				continue;
			}
			ip = g.in +
			     (((size_t)(r / g.oh) * g.h + y0) * g.w + x0) * g.c;
			x->k->max_pool(ip, y1 - y0, x1 - x0, (size_t)g.w * g.c,
				       g.c, g.p->act_min, g.p->act_max, o);
		}
	}
}

/* ---- MAX_POOL ------------------------------------------------------------ */

static int vis_max_pool_check(const struct vis_model *m, u32 index,
			      struct vis_engine_error *err)
{
	return vis_pool_check(m, index, err, false);
}

static void vis_max_pool_run(const struct vis_exec *x,
			     const struct vision_model_op *op, u32 begin,
			     u32 end)
{
	vis_pool_run(x, op, begin, end, false);
}

const struct vis_op_desc vis_op_max_pool = {
	.name = "MAX_POOL",
	.min_inputs = 1,
	.max_inputs = 1,
	.check = vis_max_pool_check,
	.units = vis_op_rows,
	.unit_macs = vis_pool_unit_macs,
	.run = vis_max_pool_run,
};

/* ---- AVG_POOL ------------------------------------------------------------ */

static int vis_avg_pool_check(const struct vis_model *m, u32 index,
			      struct vis_engine_error *err)
{
	return vis_pool_check(m, index, err, true);
}

static void vis_avg_pool_run(const struct vis_exec *x,
			     const struct vision_model_op *op, u32 begin,
			     u32 end)
{
	vis_pool_run(x, op, begin, end, true);
}

const struct vis_op_desc vis_op_avg_pool = {
	.name = "AVG_POOL",
	.min_inputs = 1,
	.max_inputs = 1,
	.check = vis_avg_pool_check,
	.units = vis_op_rows,
	.unit_macs = vis_pool_unit_macs,
	.run = vis_avg_pool_run,
};

/* ---- GLOBAL_AVG_POOL ----------------------------------------------------- */

static int vis_global_avg_pool_check(const struct vis_model *m, u32 index,
				     struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_pool *p = &op->params.pool;
	const struct vision_model_tensor *in, *o;
	int ret = vis_check_arena_input(m, index, err);

	if (ret)
		return ret;
	in = vis_tensor(m, op->inputs[0]);
	o = vis_tensor(m, op->output);
	if (p->filter_h || p->filter_w || p->stride_h || p->stride_w)
		return vis_op_err(err, index, "filter_h",
				  "window fields must be zero");
	if (p->pad_top || p->pad_left || p->pad_bottom || p->pad_right)
		return vis_op_err(err, index, "pad_top",
				  "padding fields must be zero");
	if (o->shape[0] != in->shape[0] || o->shape[1] != 1 ||
	    o->shape[2] != 1 || o->shape[3] != in->shape[3])
		return vis_op_err(err, index, "output",
				  "output shape is not [N,1,1,C]");
	if (!vis_check_requant(&p->requant))
		return vis_op_err(err, index, "requant", "invalid multiplier");
	if (!vis_check_act(p->act_min, p->act_max))
		return vis_op_err(err, index, "act_min",
				  "activation range not within int8");
	if (!vis_zero_words(p->reserved, ARRAY_SIZE(p->reserved)))
		return vis_op_err(err, index, "reserved", "must be zero");
	/* Each of the H * W terms x - zero point is at most 255 in size. */
	if ((u64)in->shape[1] * in->shape[2] * 255 > S32_MAX)
		return vis_op_err(err, index, "inputs",
				  "H * W too large for an int32 sum");
	return 0;
}

static u32 vis_global_avg_pool_blocks(const struct vision_model_tensor *t)
{
	return DIV_ROUND_UP(t->shape[3], VIS_POOL_CBLK);
}

static u32 vis_global_avg_pool_units(const struct vis_model *m,
				     const struct vision_model_op *op)
{
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);

	return in->shape[0] * vis_global_avg_pool_blocks(in);
}

static u64 vis_global_avg_pool_unit_macs(const struct vis_model *m,
					 const struct vision_model_op *op)
{
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);

	return (u64)in->shape[1] * in->shape[2] *
	       min_t(u32, in->shape[3], VIS_POOL_CBLK);
}

static void vis_global_avg_pool_run(const struct vis_exec *x,
				    const struct vision_model_op *op, u32 begin,
				    u32 end)
{
	const struct vision_model_tensor *in;
	const struct vision_model_pool *p = &op->params.pool;
	const s8 *src = vis_tensor_data(x, op->inputs[0]);
	s8 *dst = vis_tensor_out(x, op->output);
	s32 acc[VIS_POOL_CBLK];
	u32 hw, c, blocks, u;
	s32 zp_in, zp_out, lo, hi;

	in = vis_tensor(x->model, op->inputs[0]);
	hw = in->shape[1] * in->shape[2];
	c = in->shape[3];
	blocks = vis_global_avg_pool_blocks(in);
	zp_in = in->zero_point;
	zp_out = vis_tensor(x->model, op->output)->zero_point;
	/*
	 * Clamp before adding the zero point: the requantized value may be
	 * near the int32 limits for extreme multipliers.
	 */
	lo = p->act_min - zp_out;
	hi = p->act_max - zp_out;

	for (u = begin; u < end; u++) {
		u32 n = u / blocks, c0 = (u % blocks) * VIS_POOL_CBLK;
		u32 nb = min_t(u32, VIS_POOL_CBLK, c - c0);
		const s8 *ip = src + (size_t)n * hw * c + c0;
		u32 i, j;

		for (j = 0; j < nb; j++)
			acc[j] = 0;
		for (i = 0; i < hw; i++, ip += c)
			for (j = 0; j < nb; j++)
				acc[j] += ip[j];
		for (j = 0; j < nb; j++) {
			/* sum(x - zp) = sum(x) - hw * zp, both within int32. */
			s32 r = vis_mbqm(acc[j] - (s32)hw * zp_in,
					 p->requant.multiplier,
					 p->requant.shift);

			r = r < lo ? lo : r > hi ? hi : r;
			dst[(size_t)n * c + c0 + j] = (s8)(r + zp_out);
		}
	}
}

const struct vis_op_desc vis_op_global_avg_pool = {
	.name = "GLOBAL_AVG_POOL",
	.min_inputs = 1,
	.max_inputs = 1,
	.check = vis_global_avg_pool_check,
	.units = vis_global_avg_pool_units,
	.unit_macs = vis_global_avg_pool_unit_macs,
	.run = vis_global_avg_pool_run,
};
