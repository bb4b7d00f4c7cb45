// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: CONV_2D
 *
 * TFLite int8 per-channel convolution: for output channel co of group g,
 * acc = bias[co] + sum over in-bounds taps of (in - in_zp) * w (weights
 * symmetric, OHWI), then out = clamp(MBQM(acc, requant[co]) + out_zp).
 *
 * A work unit is one output row (n, oy). Three strategies:
 *
 * - implicit GEMM (the general case): up to four output pixels at a time
 *   have their receptive fields gathered into scratch as raw int8 (in_zp
 *   written for padded taps, the reduction length K zero-padded to Kpad, a
 *   multiple of 4) and multiplied with the weight rows by the kernel
 *   table's gemm_s8() (dense) or dot_block4() (BLOCK4). The raw products
 *   include in_zp * w, so the bias is folded with -in_zp * sum(w) once per
 *   call of run(). Dense weights whose K is not a multiple of 4 are copied
 *   into scratch with the padding, a block of rows at a time;
 * - 1x1, horizontal stride 1, unpadded, ungrouped, Cin a multiple of 4: the
 *   input row already is the patch matrix, nothing is gathered;
 * - depthwise (one input channel per group, dense weights): direct loops
 *   over the window, channels innermost; small filters are first
 *   transposed into scratch so that the inner loop reads them contiguously.
 *
 * check() bounds K so that the int32 accumulation of every strategy
 * provably cannot overflow (see vis_conv_check_acc()).
 */

#include "vis_ops.h"
#include "vis_quant.h"

/* Output pixels per gemm_s8() call: the kernels take one to four. */
#define VIS_CONV_PIX 4
/* Weight rows per gemm_s8() call; bounds the accumulator scratch. */
#define VIS_CONV_ROWS 64
/* Scratch for dense weights re-laid out with K padded to Kpad. */
#define VIS_CONV_WBUF 65536
/* Largest depthwise filter transposed into scratch. */
#define VIS_CONV_DW_TBUF 65536
/* Scratch regions start on cache-line boundaries. */
#define VIS_CONV_SALIGN 64
/*
 * |in - in_zp| <= 255 and |w| <= 127: K * 255 * 127 + |bias| must fit in
 * s32 (checked per channel), so K is at most this.
 */
#define VIS_CONV_MAX_K ((u32)(S32_MAX / (255 * 127)))

/* Operator geometry, derived from validated tensors. */
struct vis_conv_geom {
	u32 n, h, w, cin;
	u32 oh, ow, cout;
	u32 kh, kw;
	u32 groups, cgi, cgo;
	u32 k, kpad;
	bool block4, depthwise, direct;
};

static void vis_conv_geom(const struct vis_model *m,
			  const struct vision_model_op *op,
			  struct vis_conv_geom *g)
{
	const struct vision_model_conv *p = &op->params.conv;
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *w = vis_tensor(m, op->inputs[1]);
	const struct vision_model_tensor *out = vis_tensor(m, op->output);

	g->n = in->shape[0];
	g->h = in->shape[1];
	g->w = in->shape[2];
	g->cin = in->shape[3];
	g->oh = out->shape[1];
	g->ow = out->shape[2];
	g->cout = out->shape[3];
	g->kh = w->shape[1];
	g->kw = w->shape[2];
	g->groups = p->groups;
	g->cgi = w->shape[3];
	g->cgo = g->cout / p->groups;
	g->k = g->kh * g->kw * g->cgi;
	g->kpad = ALIGN(g->k, 4);
	g->block4 = w->encoding == VISION_MODEL_ENC_BLOCK4;
	g->depthwise = g->cgi == 1 && !g->block4;
	g->direct = g->kh == 1 && g->kw == 1 && p->stride_w == 1 &&
		    !p->pad_top && !p->pad_left && !p->pad_bottom &&
		    !p->pad_right && g->groups == 1 && g->k == g->kpad;
}

/* Rows of dense weights re-laid out per block (all when none is needed). */
static u32 vis_conv_wrows(const struct vis_conv_geom *g)
{
	if (g->block4 || g->k == g->kpad)
		return g->cgo;
	return clamp_t(u32, VIS_CONV_WBUF / g->kpad, 1, g->cgo);
}

/* Depthwise filters small enough are transposed to [tap][co]. */
static bool vis_conv_dw_transpose(const struct vis_conv_geom *g)
{
	return (u64)g->cout * g->k <= VIS_CONV_DW_TBUF;
}

/* Scratch layout; both scratch() and run() derive it from here. */
struct vis_conv_scratch {
	u64 bias; /* s32[wrows] folded bias, or s32[cout] depthwise acc */
	u64 acc; /* s32[PIX * ROWS] */
	u64 patch; /* s8[PIX * kpad]; the first Kpad also hold the ones */
	u64 wbuf; /* s8[wrows * kpad] re-laid-out weights, or transpose */
	u64 size;
};

static void vis_conv_scratch_layout(const struct vis_conv_geom *g,
				    struct vis_conv_scratch *s)
{
	u64 off = 0;

	if (g->depthwise) {
		s->bias = 0;
		off = ALIGN((u64)g->cout * 4, VIS_CONV_SALIGN);
		s->acc = off;
		s->patch = off;
		s->wbuf = off;
		if (vis_conv_dw_transpose(g))
			off += ALIGN((u64)g->cout * g->k, VIS_CONV_SALIGN);
		s->size = off;
		return;
	}
	s->bias = off;
	off += ALIGN((u64)vis_conv_wrows(g) * 4, VIS_CONV_SALIGN);
	s->acc = off;
	off += VIS_CONV_PIX * VIS_CONV_ROWS * 4;
	s->patch = off;
	off += ALIGN((u64)VIS_CONV_PIX * g->kpad, VIS_CONV_SALIGN);
	s->wbuf = off;
	if (!g->block4 && g->k != g->kpad)
		off += ALIGN((u64)vis_conv_wrows(g) * g->kpad, VIS_CONV_SALIGN);
	s->size = off;
}

/*
 * Validation helpers. Everything run() indexes is derived from tensor
 * shapes and the BLOCK4 tables, so these establish that the shapes agree
 * and the tables stay within the weight tensor.
 */

/* The lanes of a row's last block past K are padding: zero. */
static bool vis_conv_pad_zero(const s8 *val, u32 blk, u32 k)
{
	u32 i;

	for (i = k % 4; k % 4 && i < 4; i++)
		if (val[(size_t)blk * 4 + i])
			return false;
	return true;
}

static int vis_conv_check_block4(const struct vis_model *m, u32 index,
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
			if (col[j] == bpr - 1 && !vis_conv_pad_zero(val, j, k))
				return vis_op_err(err, index, "inputs[1]",
						  "BLOCK4 padding not zero");
		}
	}
	return 0;
}

/* Sum of |w| over one weight row (dense or BLOCK4). */
static u64 vis_conv_row_abs(const struct vis_model *m,
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
static int vis_conv_check_acc(const struct vis_model *m, u32 index,
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
		    vis_conv_row_abs(m, w, rows, k, r) * 255 + ab > S32_MAX)
			return vis_op_err(err, index, "inputs[1]",
					  "accumulator may overflow");
	}
	return 0;
}

static int vis_conv_check_requant(const struct vis_model *m, u32 index, u32 off,
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

/* One output dimension; false when the window does not fit. */
static bool vis_conv_out_dim(u32 in, u32 pad_a, u32 pad_b, u32 kernel,
			     u32 dilation, u32 stride, u32 *out)
{
	u32 padded = in + pad_a + pad_b; /* each <= 2^16: no overflow */
	u32 span;

	if (check_mul_overflow(dilation, kernel - 1, &span) ||
	    check_add_overflow(span, 1u, &span) || span > padded)
		return false;
	*out = (padded - span) / stride + 1;
	return true;
}

static bool vis_conv_param_ok(u32 v, u32 lo)
{
	return v >= lo && v <= VISION_MODEL_MAX_DIM;
}

static int vis_conv2d_check(const struct vis_model *m, u32 index,
			    struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_conv *p = &op->params.conv;
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *w = vis_tensor(m, op->inputs[1]);
	const struct vision_model_tensor *bias = vis_tensor(m, op->inputs[2]);
	const struct vision_model_tensor *out = vis_tensor(m, op->output);
	u32 cin = in->shape[3], cout = out->shape[3];
	u32 oh, ow, i;
	u64 k;
	int ret;

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
	/* Bounded so that every coordinate computation fits (see run()). */
	if (!vis_conv_param_ok(p->stride_h, 1) ||
	    !vis_conv_param_ok(p->stride_w, 1))
		return vis_op_err(err, index, "stride", "invalid stride");
	if (!vis_conv_param_ok(p->dilation_h, 1) ||
	    !vis_conv_param_ok(p->dilation_w, 1))
		return vis_op_err(err, index, "dilation", "invalid dilation");
	if (!vis_conv_param_ok(p->pad_top, 0) ||
	    !vis_conv_param_ok(p->pad_bottom, 0) ||
	    !vis_conv_param_ok(p->pad_left, 0) ||
	    !vis_conv_param_ok(p->pad_right, 0))
		return vis_op_err(err, index, "pad", "padding too large");
	if (!p->groups || cin % p->groups || cout % p->groups)
		return vis_op_err(err, index, "groups",
				  "groups must divide Cin and Cout");
	if (!vis_check_act(p->act_min, p->act_max))
		return vis_op_err(err, index, "act_min",
				  "invalid activation range");
	if (w->shape[0] != cout || w->shape[3] != cin / p->groups)
		return vis_op_err(err, index, "inputs[1]",
				  "weight shape not [Cout,KH,KW,Cin/groups]");
	if (!vis_conv_out_dim(in->shape[1], p->pad_top, p->pad_bottom,
			      w->shape[1], p->dilation_h, p->stride_h, &oh) ||
	    !vis_conv_out_dim(in->shape[2], p->pad_left, p->pad_right,
			      w->shape[2], p->dilation_w, p->stride_w, &ow) ||
	    out->shape[0] != in->shape[0] || out->shape[1] != oh ||
	    out->shape[2] != ow)
		return vis_op_err(err, index, "output",
				  "output shape does not match the geometry");
	if (check_mul_overflow((u64)w->shape[1], (u64)w->shape[2], &k) ||
	    check_mul_overflow(k, (u64)w->shape[3], &k) || k > VIS_CONV_MAX_K)
		return vis_op_err(err, index, "inputs[1]",
				  "K too long: accumulator may overflow");
	/* Dense weights: the generic size check fixed the element count. */
	if (w->encoding == VISION_MODEL_ENC_BLOCK4) {
		ret = vis_conv_check_block4(m, index, w, cout, (u32)k, err);
		if (ret)
			return ret;
	}
	ret = vis_conv_check_requant(m, index, p->requant, cout, err);
	if (ret)
		return ret;
	ret = vis_conv_check_acc(m, index, w, bias, cout, (u32)k, err);
	if (ret)
		return ret;
	/* Rows are computed from input rows others may still need. */
	if (in->offset < out->offset + out->size &&
	    out->offset < in->offset + in->size)
		return vis_op_err(err, index, "output",
				  "output overlaps the input");
	return 0;
}

static u32 vis_conv2d_units(const struct vis_model *m,
			    const struct vision_model_op *op)
{
	const struct vision_model_tensor *out = vis_tensor(m, op->output);

	return out->shape[0] * out->shape[1];
}

static u64 vis_conv2d_unit_macs(const struct vis_model *m,
				const struct vision_model_op *op)
{
	struct vis_conv_geom g;

	vis_conv_geom(m, op, &g);
	return (u64)g.ow * g.cout * g.k;
}

static u64 vis_conv2d_scratch(const struct vis_model *m,
			      const struct vision_model_op *op)
{
	struct vis_conv_geom g;
	struct vis_conv_scratch s;

	vis_conv_geom(m, op, &g);
	vis_conv_scratch_layout(&g, &s);
	return s.size;
}

/* Requantize one accumulator (bias included) to the output. */
static __always_inline s8 vis_conv_out(s32 acc,
				       const struct vision_model_requant *rq,
				       s32 zp, s32 lo, s32 hi)
{
	s32 v = vis_mbqm(acc, rq->multiplier, rq->shift);

	/* Any |v| > 256 saturates anyway; clamping first avoids overflow. */
	v = clamp_t(s32, v, -256, 256);
	return vis_sat8(v + zp, lo, hi);
}

/* Per-run state of the GEMM strategy. */
struct vis_conv_run {
	const struct vis_exec *x;
	const struct vis_conv_geom *g;
	const struct vision_model_conv *p;
	const s8 *in;
	s8 *out;
	const struct vision_model_requant *rq;
	const u32 *row_ptr; /* BLOCK4 tables */
	const u32 *col;
	const s8 *val;
	s32 *bias; /* folded bias of the current rows */
	s32 *acc;
	s8 *patch;
	s32 in_zp, out_zp;
};

/*
 * Gather the receptive field of output pixel (oy, ox) for channels
 * [ci0, ci0 + cgi) of image @img as a K-long patch (ky, kx, ci order, the
 * weights' order), padded taps set to in_zp, then zeros up to Kpad.
 */
static void vis_conv_gather(const struct vis_conv_run *c, s8 *dst,
			    const s8 *img, u32 oy, u32 ox, u32 ci0)
{
	const struct vis_conv_geom *g = c->g;
	const struct vision_model_conv *p = c->p;
	/* Parameters are <= 2^16, coordinates < 2^16: s64 is exact. */
	s64 iy0 = (s64)oy * p->stride_h - p->pad_top;
	s64 ix0 = (s64)ox * p->stride_w - p->pad_left;
	size_t run = (size_t)g->kw * g->cgi;
	s8 zp = (s8)c->in_zp;
	u32 ky, kx;

	for (ky = 0; ky < g->kh; ky++, dst += run) {
		s64 iy = iy0 + (s64)ky * p->dilation_h;
		const s8 *row;

		if (iy < 0 || iy >= g->h) {
			memset(dst, zp, run);
			continue;
		}
		row = img + (size_t)iy * g->w * g->cin + ci0;
		if (p->dilation_w == 1 && g->cgi == g->cin) {
			/* The in-bounds taps of the row are contiguous. */
			s64 lo = clamp_t(s64, -ix0, 0, g->kw);
			s64 hi = clamp_t(s64, (s64)g->w - ix0, lo, g->kw);

			memset(dst, zp, (size_t)lo * g->cin);
			memcpy(dst + (size_t)lo * g->cin,
			       row + (size_t)(ix0 + lo) * g->cin,
			       (size_t)(hi - lo) * g->cin);
			memset(dst + (size_t)hi * g->cin, zp,
			       (size_t)(g->kw - hi) * g->cin);
			continue;
		}
		for (kx = 0; kx < g->kw; kx++) {
			s64 ix = ix0 + (s64)kx * p->dilation_w;
			s8 *d = dst + (size_t)kx * g->cgi;

			if (ix < 0 || ix >= g->w)
				memset(d, zp, g->cgi);
			else
				memcpy(d, row + (size_t)ix * g->cin, g->cgi);
		}
	}
	memset(dst, 0, g->kpad - g->k);
}

/*
 * Fold -in_zp * sum(w) into the bias of rows [co0, co0 + nr): the sums
 * come from the kernels themselves, as the product with a ones patch
 * (zero in the padding, like every gathered patch).
 */
static void vis_conv_fold_bias(struct vis_conv_run *c, const s32 *bias,
			       const s8 *wrow, u32 co0, u32 nr)
{
	const struct vis_conv_geom *g = c->g;
	const struct vis_kernels *k = c->x->k;
	u32 r, r0;

	if (!c->in_zp) {
		memcpy(c->bias, bias + co0, (size_t)nr * sizeof(s32));
		return;
	}
	memset(c->patch, 1, g->k);
	memset(c->patch + g->k, 0, g->kpad - g->k);
	for (r0 = 0; r0 < nr; r0 += VIS_CONV_ROWS) {
		u32 n = min_t(u32, VIS_CONV_ROWS, nr - r0);

		if (g->block4) {
			for (r = 0; r < n; r++) {
				u32 co = co0 + r0 + r;
				u32 b = c->row_ptr[co];

				k->dot_block4(c->patch, 1, g->kpad, c->col + b,
					      c->val + (size_t)b * 4,
					      c->row_ptr[co + 1] - b,
					      &c->acc[r]);
			}
		} else {
			k->gemm_s8(c->patch, 1, wrow + (size_t)r0 * g->kpad, n,
				   g->kpad, c->acc);
		}
		for (r = 0; r < n; r++)
			c->bias[r0 + r] =
				bias[co0 + r0 + r] - c->in_zp * c->acc[r];
	}
}

/* Output row @unit, rows [co0, co0 + nr) of group @grp. */
static void vis_conv_row(struct vis_conv_run *c, u32 unit, u32 grp, u32 co0,
			 u32 nr, const s8 *wrow)
{
	const struct vis_conv_geom *g = c->g;
	const struct vis_kernels *k = c->x->k;
	u32 n = unit / g->oh, oy = unit % g->oh;
	const s8 *img = c->in + (size_t)n * g->h * g->w * g->cin;
	s8 *orow = c->out + (size_t)unit * g->ow * g->cout;
	s32 lo = c->p->act_min, hi = c->p->act_max;
	u32 ox, p, r, r0, np;

	for (ox = 0; ox < g->ow; ox += np) {
		const s8 *a;

		np = min_t(u32, VIS_CONV_PIX, g->ow - ox);
		if (g->direct) {
			a = img +
			    ((size_t)oy * c->p->stride_h * g->w + ox) * g->cin;
		} else {
			for (p = 0; p < np; p++)
				vis_conv_gather(c,
						c->patch + (size_t)p * g->kpad,
						img, oy, ox + p, grp * g->cgi);
			a = c->patch;
		}
		for (r0 = 0; r0 < nr; r0 += VIS_CONV_ROWS) {
			u32 nrr = min_t(u32, VIS_CONV_ROWS, nr - r0);

			if (g->block4) {
				s32 t[VIS_CONV_PIX];

				for (r = 0; r < nrr; r++) {
					u32 co = co0 + r0 + r;
					u32 b = c->row_ptr[co];

					k->dot_block4(a, np, g->kpad,
						      c->col + b,
						      c->val + (size_t)b * 4,
						      c->row_ptr[co + 1] - b,
						      t);
					for (p = 0; p < np; p++)
						c->acc[p * nrr + r] = t[p];
				}
			} else {
				k->gemm_s8(a, np, wrow + (size_t)r0 * g->kpad,
					   nrr, g->kpad, c->acc);
			}
			for (p = 0; p < np; p++) {
				s8 *o = orow + (size_t)(ox + p) * g->cout +
					co0 + r0;
				const s32 *acc = c->acc + p * nrr;
				const s32 *fb = c->bias + r0;
				const struct vision_model_requant *rq =
					c->rq + co0 + r0;

				for (r = 0; r < nrr; r++)
					o[r] = vis_conv_out(acc[r] + fb[r],
							    &rq[r], c->out_zp,
							    lo, hi);
			}
		}
	}
}

static void vis_conv_run_gemm(const struct vis_exec *x,
			      const struct vision_model_op *op,
			      const struct vis_conv_geom *g, u32 begin, u32 end)
{
	const struct vis_model *m = x->model;
	const s8 *wt = vis_tensor_data(x, op->inputs[1]);
	const s32 *bias = vis_tensor_data(x, op->inputs[2]);
	u32 wrows = vis_conv_wrows(g);
	struct vis_conv_scratch s;
	struct vis_conv_run c = {
		.x = x,
		.g = g,
		.p = &op->params.conv,
		.in = vis_tensor_data(x, op->inputs[0]),
		.out = vis_tensor_out(x, op->output),
		.rq = (const struct vision_model_requant
			       *)(m->consts + op->params.conv.requant),
		.in_zp = vis_tensor(m, op->inputs[0])->zero_point,
		.out_zp = vis_tensor(m, op->output)->zero_point,
	};
	s8 *wbuf;
	u32 grp, c0, u, r;

	vis_conv_scratch_layout(g, &s);
	c.bias = (s32 *)(x->scratch + s.bias);
	c.acc = (s32 *)(x->scratch + s.acc);
	c.patch = (s8 *)(x->scratch + s.patch);
	wbuf = (s8 *)(x->scratch + s.wbuf);
	if (g->block4) {
		c.row_ptr = (const u32 *)wt;
		c.col = c.row_ptr + g->cout + 1;
		c.val = (const s8 *)(c.col + c.row_ptr[g->cout]);
	}

	for (grp = 0; grp < g->groups; grp++) {
		for (c0 = 0; c0 < g->cgo; c0 += wrows) {
			u32 nr = min_t(u32, wrows, g->cgo - c0);
			u32 co0 = grp * g->cgo + c0;
			const s8 *wrow = NULL;

			if (!g->block4 && g->k == g->kpad) {
				wrow = wt + (size_t)co0 * g->k;
			} else if (!g->block4) {
				/* Re-lay out with K padded for the kernels. */
				for (r = 0; r < nr; r++) {
					s8 *d = wbuf + (size_t)r * g->kpad;

					memcpy(d, wt + (size_t)(co0 + r) * g->k,
					       g->k);
					memset(d + g->k, 0, g->kpad - g->k);
				}
				wrow = wbuf;
			}
			vis_conv_fold_bias(&c, bias, wrow, co0, nr);
			for (u = begin; u < end; u++)
				vis_conv_row(&c, u, grp, co0, nr, wrow);
		}
	}
}

/*
 * One depthwise tap: acc[ci * mult + j] += (ip[ci] - in_zp) * w, the
 * filter value of channel co at wp[co * wstride].
 */
static void vis_conv_dw_tap(s32 *acc, const s8 *ip, const s8 *wp,
			    size_t wstride, u32 cin, u32 mult, s32 in_zp)
{
	u32 ci, j, co;

	if (mult == 1 && wstride == 1) {
		/* The common case, kept simple enough to vectorize. */
		for (ci = 0; ci < cin; ci++)
			acc[ci] += (ip[ci] - in_zp) * wp[ci];
		return;
	}
	for (ci = 0; ci < cin; ci++) {
		s32 v = ip[ci] - in_zp;

		for (j = 0; j < mult; j++) {
			co = ci * mult + j;
			acc[co] += v * wp[co * wstride];
		}
	}
}

/* The taps of one input row @irow; @wp: the row's first tap's filter. */
static void vis_conv_dw_row(const struct vis_conv_geom *g,
			    const struct vision_model_conv *p, s32 *acc,
			    const s8 *irow, s64 ix0, const s8 *wp, size_t wtap,
			    size_t wstride, s32 in_zp)
{
	u32 kx;

	for (kx = 0; kx < g->kw; kx++) {
		s64 ix = ix0 + (s64)kx * p->dilation_w;

		if (ix < 0 || ix >= g->w)
			continue;
		vis_conv_dw_tap(acc, irow + (size_t)ix * g->cin, wp + kx * wtap,
				wstride, g->cin, g->cgo, in_zp);
	}
}

/*
 * Depthwise: output channel co = ci * mult + j reads input channel ci
 * only, so the window is walked directly; the accumulators of a whole
 * output pixel live in scratch and the channel loop is innermost, reading
 * the input pixel contiguously.
 */
static void vis_conv_run_dw(const struct vis_exec *x,
			    const struct vision_model_op *op,
			    const struct vis_conv_geom *g, u32 begin, u32 end)
{
	const struct vis_model *m = x->model;
	const struct vision_model_conv *p = &op->params.conv;
	const s8 *in = vis_tensor_data(x, op->inputs[0]);
	const s8 *wt = vis_tensor_data(x, op->inputs[1]);
	const s32 *bias = vis_tensor_data(x, op->inputs[2]);
	s8 *out = vis_tensor_out(x, op->output);
	const struct vision_model_requant *rq =
		(const struct vision_model_requant *)(m->consts + p->requant);
	s32 in_zp = vis_tensor(m, op->inputs[0])->zero_point;
	s32 out_zp = vis_tensor(m, op->output)->zero_point;
	u32 cout = g->cout, taps = g->k;
	struct vis_conv_scratch s;
	const s8 *wbase = wt;
	size_t wstride = taps, wtap = 1;
	u32 u, ox, ky, co;
	s32 *acc;

	vis_conv_scratch_layout(g, &s);
	acc = (s32 *)(x->scratch + s.bias);
	if (vis_conv_dw_transpose(g)) {
		s8 *t = (s8 *)(x->scratch + s.wbuf);
		u32 tap;

		for (co = 0; co < cout; co++)
			for (tap = 0; tap < taps; tap++)
				t[(size_t)tap * cout + co] =
					wt[(size_t)co * taps + tap];
		wbase = t;
		wstride = 1;
		wtap = cout;
	}

	for (u = begin; u < end; u++) {
		u32 n = u / g->oh, oy = u % g->oh;
		const s8 *img = in + (size_t)n * g->h * g->w * g->cin;
		s8 *orow = out + (size_t)u * g->ow * cout;
		s64 iy0 = (s64)oy * p->stride_h - p->pad_top;

		for (ox = 0; ox < g->ow; ox++) {
			s64 ix0 = (s64)ox * p->stride_w - p->pad_left;
			s8 *o = orow + (size_t)ox * cout;

			memcpy(acc, bias, (size_t)cout * sizeof(s32));
			for (ky = 0; ky < g->kh; ky++) {
				s64 iy = iy0 + (s64)ky * p->dilation_h;

				if (iy < 0 || iy >= g->h)
					continue;
				vis_conv_dw_row(g, p, acc,
						img + (size_t)iy * g->w *
								g->cin,
						ix0, wbase + ky * g->kw * wtap,
						wtap, wstride, in_zp);
			}
			for (co = 0; co < cout; co++)
				o[co] = vis_conv_out(acc[co], &rq[co], out_zp,
						     p->act_min, p->act_max);
		}
	}
}

static void vis_conv2d_run(const struct vis_exec *x,
			   const struct vision_model_op *op, u32 begin, u32 end)
{
	struct vis_conv_geom g;

	vis_conv_geom(x->model, op, &g);
	if (g.depthwise)
		vis_conv_run_dw(x, op, &g, begin, end);
	else
		vis_conv_run_gemm(x, op, &g, begin, end);
}

const struct vis_op_desc vis_op_conv2d = {
	.name = "CONV_2D",
	.min_inputs = 3,
	.max_inputs = 3,
	.check = vis_conv2d_check,
	.units = vis_conv2d_units,
	.unit_macs = vis_conv2d_unit_macs,
	.scratch = vis_conv2d_scratch,
	.run = vis_conv2d_run,
};
