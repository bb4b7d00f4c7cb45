// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: RESIZE operator
 *
 * Resizes H and W of an int8 NHWC tensor; N and C are kept and input and
 * output share their quantization, so values are moved or interpolated,
 * never requantized.
 *
 * NEAREST follows TFLite's reference ResizeNearestNeighbor: the source
 * index of output index v is floor((v + o) * s), or round((v + o) * s)
 * (halves away from zero) with align_corners, limited to in - 1, where
 * o = 0.5 with half_pixel_centers and 0 otherwise, and s = in / out, or
 * (in - 1) / (out - 1) with align_corners and out > 1. TFLite evaluates s
 * and the product in IEEE binary32; the engine has no FPU, so it performs
 * the same two correctly rounded (to nearest, ties to even) binary32
 * operations on integers and gets the same index for every size.
 *
 * BILINEAR follows TFLite's ResizeBilinearInteger: the scale is
 * s = round(1024 * in / out) (or with in - 1, out - 1 for align_corners
 * and out > 1); output index v maps to p = v * s, or v * s + s / 2 - 512
 * with half_pixel_centers, in 1/1024 units; the lower neighbour is
 * max(p / 1024, 0) and the upper min(ceil(p / 1024), in - 1); the four
 * neighbours are weighted by the fractional distances (10 bits each) and
 * the 20-bit fixed-point sum is rounded to nearest, halves away from zero.
 * Where TFLite's rounded-up scale would place the lower neighbour past the
 * last row or column (extreme upscaling, an out-of-bounds read in TFLite),
 * it is limited to in - 1, which replicates the edge.
 *
 * align_corners and half_pixel_centers are not both set (as in TFLite).
 * A work unit is one output row (n, y).
 */

#include "vis_ops.h"
#include "vis_quant.h"

/*
 * Round @v to a binary32 significand (24 significant bits, to nearest,
 * ties to even); @sticky says non-zero bits lie below @v. The result is
 * still an integer in the units of @v.
 */
static u64 vis_rs_f32_round(u64 v, bool sticky)
{
	u64 q, rem, half;
	int bits, sh;

	if (!v)
		return 0;
	bits = 64 - __builtin_clzll(v);
	if (bits <= 24)
		return v;
	sh = bits - 24;
	q = v >> sh;
	rem = v & ((1ull << sh) - 1);
	half = 1ull << (sh - 1);
	if (rem > half || (rem == half && (sticky || (q & 1))))
		q++;
	return q << sh;
}

/* A binary32 value: mant * 2^(exp - 40), mant at most 2^24. */
struct vis_rs_f32 {
	u64 mant;
	int exp;
};

/*
 * The binary32 quotient num / den of TFLite's nearest-neighbour scale.
 * With num and den at most 2^16, the exact quotient scaled by 2^40 has at
 * least 25 integer bits, so rounding its integer part (the remainder only
 * breaks ties) gives the correctly rounded binary32 value.
 */
static void vis_rs_nearest_scale(u32 in, u32 out, bool align,
				 struct vis_rs_f32 *s)
{
	u64 num = (align && out > 1) ? in - 1 : in;
	u64 den = (align && out > 1) ? out - 1 : out;
	u64 q = vis_rs_f32_round((num << 40) / den, (num << 40) % den);

	s->exp = q ? __builtin_ctzll(q) : 0;
	s->mant = q >> s->exp;
}

/*
 * TFLite's GetNearestNeighbor() without floating point: (v + o) * scale
 * is (2v + 2o) * mant * 2^(exp - 41), where the integer product has at
 * most 42 bits and is rounded to 24 significant bits like the binary32
 * multiplication; then floored, or rounded with align_corners.
 */
static u32 vis_rs_nearest(u32 v, const struct vis_rs_f32 *s, u32 in, bool align,
			  bool half)
{
	u64 prod = vis_rs_f32_round(((u64)v * 2 + half) * s->mant, false);
	int frac = 41 - s->exp;
	u64 idx;

	if (frac <= 0)
		idx = prod << -frac;
	else if (align)
		/* TfLiteRound(): halves away from zero, and prod >= 0. */
		idx = (prod + (1ull << (frac - 1))) >> frac;
	else
		idx = prod >> frac;
	return (u32)min_t(u64, idx, in - 1);
}

/* One output coordinate of ResizeBilinearInteger, in 1/1024 units. */
struct vis_rs_lerp {
	u32 lo;
	u32 hi;
	s64 frac;
};

/* TFLite's scale_10: round(1024 * in / out), or corner-aligned. */
static s64 vis_rs_scale10(u32 in, u32 out, bool align)
{
	s64 num = align && out > 1 ? in - 1 : in;
	s64 den = align && out > 1 ? out - 1 : out;

	return (1024 * num + den / 2) / den;
}

/* TFLite's ComputeInterpolationValuesInteger(), edge-limited. */
static void vis_rs_lerp(u32 v, s64 scale10, u32 in, bool half,
			struct vis_rs_lerp *l)
{
	s64 p = (s64)v * scale10;
	s64 lo, hi;

	if (half)
		p += scale10 / 2 - 512;
	/* C division truncates toward zero, as TFLite's does. */
	lo = max_t(s64, p / 1024, 0);
	lo = min_t(s64, lo, in - 1);
	hi = min_t(s64, (p + 1023) / 1024, in - 1);
	l->lo = (u32)lo;
	l->hi = (u32)hi;
	l->frac = p - 1024 * lo;
}

static void vis_rs_bilinear_row(const s8 *in, s8 *out, u32 in_w, u32 out_w,
				u32 depth, const struct vis_rs_lerp *ly,
				s64 scale_w, bool half)
{
	const s8 *row0 = in + (size_t)ly->lo * in_w * depth;
	const s8 *row1 = in + (size_t)ly->hi * in_w * depth;
	s64 wy0 = 1024 - ly->frac, wy1 = ly->frac;
	struct vis_rs_lerp lx;
	u32 x, c;

	for (x = 0; x < out_w; x++) {
		const s8 *p00, *p01, *p10, *p11;
		s64 wx0, wx1;

		vis_rs_lerp(x, scale_w, in_w, half, &lx);
		wx0 = 1024 - lx.frac;
		wx1 = lx.frac;
		p00 = row0 + (size_t)lx.lo * depth;
		p01 = row0 + (size_t)lx.hi * depth;
		p10 = row1 + (size_t)lx.lo * depth;
		p11 = row1 + (size_t)lx.hi * depth;
		for (c = 0; c < depth; c++) {
			s64 acc = p00[c] * wy0 * wx0 + p10[c] * wy1 * wx0 +
				  p01[c] * wy0 * wx1 + p11[c] * wy1 * wx1;
			/* Halves away from zero; division truncates. */
			s64 r = acc > 0 ? 1 << 19 : -(1 << 19);

			out[c] = vis_sat8((s32)((acc + r) / (1 << 20)), S8_MIN,
					  S8_MAX);
		}
		out += depth;
	}
}

static void vis_rs_nearest_row(const s8 *in, s8 *out, u32 in_w, u32 out_w,
			       u32 depth, bool align, bool half)
{
	struct vis_rs_f32 scale;
	u32 x;

	vis_rs_nearest_scale(in_w, out_w, align, &scale);
	for (x = 0; x < out_w; x++) {
		u32 sx = vis_rs_nearest(x, &scale, in_w, align, half);

		memcpy(out, in + (size_t)sx * depth, depth);
		out += depth;
	}
}

static int vis_resize_check(const struct vis_model *m, u32 index,
			    struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_resize *p = &op->params.resize;
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *out = vis_tensor(m, op->output);
	int ret = vis_check_arena_input(m, index, err);

	if (ret)
		return ret;
	if (out->shape[0] != in->shape[0] || out->shape[3] != in->shape[3])
		return vis_op_err(err, index, "output",
				  "output N and C must equal the input's");
	if (out->zero_point != in->zero_point)
		return vis_op_err(err, index, "output",
				  "input and output zero points differ");
	if (p->mode != VISION_MODEL_RESIZE_NEAREST &&
	    p->mode != VISION_MODEL_RESIZE_BILINEAR)
		return vis_op_err(err, index, "mode", "unknown resize mode");
	if (p->align_corners > 1)
		return vis_op_err(err, index, "align_corners",
				  "align_corners must be 0 or 1");
	if (p->half_pixel_centers > 1)
		return vis_op_err(err, index, "half_pixel_centers",
				  "half_pixel_centers must be 0 or 1");
	if (p->align_corners && p->half_pixel_centers)
		return vis_op_err(err, index, "half_pixel_centers",
				  "half_pixel_centers with align_corners");
	if (!vis_zero_words(p->reserved, ARRAY_SIZE(p->reserved)))
		return vis_op_err(err, index, "params",
				  "reserved parameters must be zero");
	return 0;
}

/* One unit is one output row (n, y): vis_op_rows(). */
static u64 vis_resize_unit_macs(const struct vis_model *m,
				const struct vision_model_op *op)
{
	const struct vision_model_tensor *out = vis_tensor(m, op->output);
	u64 elems = (u64)out->shape[2] * out->shape[3];

	/* Bilinear: four multiply-adds per element; nearest: a copy. */
	if (op->params.resize.mode == VISION_MODEL_RESIZE_BILINEAR)
		return elems * 4;
	return elems;
}

static void vis_resize_run(const struct vis_exec *x,
			   const struct vision_model_op *op, u32 begin, u32 end)
{
	const struct vision_model_resize *p = &op->params.resize;
	const struct vision_model_tensor *ti =
		vis_tensor(x->model, op->inputs[0]);
	const struct vision_model_tensor *to = vis_tensor(x->model, op->output);
	const s8 *in = vis_tensor_data(x, op->inputs[0]);
	s8 *out = vis_tensor_out(x, op->output);
	u32 in_h = ti->shape[1], in_w = ti->shape[2];
	u32 out_h = to->shape[1], out_w = to->shape[2], depth = to->shape[3];
	bool align = p->align_corners, half = p->half_pixel_centers;
	size_t in_plane = (size_t)in_h * in_w * depth;
	size_t out_row = (size_t)out_w * depth;
	s64 scale_h = vis_rs_scale10(in_h, out_h, align);
	s64 scale_w = vis_rs_scale10(in_w, out_w, align);
	u32 row;

	for (row = begin; row < end; row++) {
		u32 n = row / out_h, y = row % out_h;
		const s8 *src = in + n * in_plane;
		s8 *dst = out + (size_t)row * out_row;
		struct vis_rs_f32 scale;
		struct vis_rs_lerp ly;
		u32 sy;

		if (p->mode == VISION_MODEL_RESIZE_BILINEAR) {
			vis_rs_lerp(y, scale_h, in_h, half, &ly);
			vis_rs_bilinear_row(src, dst, in_w, out_w, depth, &ly,
					    scale_w, half);
		} else {
			vis_rs_nearest_scale(in_h, out_h, align, &scale);
			sy = vis_rs_nearest(y, &scale, in_h, align, half);
			vis_rs_nearest_row(src + (size_t)sy * in_w * depth, dst,
					   in_w, out_w, depth, align, half);
		}
	}
}

const struct vis_op_desc vis_op_resize = {
	.name = "RESIZE",
	.min_inputs = 1,
	.max_inputs = 1,
	.check = vis_resize_check,
	.units = vis_op_rows,
	.unit_macs = vis_resize_unit_macs,
	.run = vis_resize_run,
};
