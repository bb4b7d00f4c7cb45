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
 * - depthwise (one input channel per group, dense or BLOCK4 weights):
 *   vis_op_conv_dw.c, vectorized across channels;
 * - other BLOCK4 weights: vis_op_conv_sparse.c, vectorized across output
 *   pixels.
 *
 * check() bounds K so that the int32 accumulation of every strategy
 * provably cannot overflow (see vis_gemm_check_acc()).
 */

#include "vis_ops.h"
#include "vis_op_conv_dw.h"
#include "vis_op_conv_sparse.h"
#include "vis_op_gemm_check.h"
#include "vis_op_im2col.h"
#include "vis_quant.h"

/* Output pixels per gemm_s8() call: the kernels take one to four. */
#define VIS_CONV_PIX 4
/* Weight rows per gemm_s8() call; bounds the accumulator scratch. */
#define VIS_CONV_ROWS 64
/* Scratch for dense weights re-laid out with K padded to Kpad. */
#define VIS_CONV_WBUF 65536
/* Scratch regions start on cache-line boundaries. */
#define VIS_CONV_SALIGN 64
/* Largest packed weight group (bytes, rows), and the pixels to amortize it. */
#define VIS_CONV_PACK 262144
#define VIS_CONV_PACK_ROWS 1024
#define VIS_CONV_PACK_MIN_PIX 64
/* Longest K of a prepared convolution: bounds its patch scratch. */
#define VIS_CONV_PREP_MAX_K 8192
/* Longest K whose int32 accumulation cannot overflow. */
#define VIS_CONV_MAX_K VIS_GEMM_MAX_K

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
	g->depthwise = g->cgi == 1;
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

/* Scratch layout; both scratch() and run() derive it from here. */
struct vis_conv_scratch {
	u64 bias; /* s32[wrows] folded bias */
	u64 mult; /* s32[wrows] multipliers, for requant_px() */
	u64 shift; /* s32[wrows] their shifts */
	u64 acc; /* s32[PIX * ROWS] */
	u64 patch; /* s8[PIX * kpad]; the first Kpad also hold the ones */
	u64 wbuf; /* s8[wrows * kpad] re-laid-out weights */
	u64 size;
};

static void vis_conv_scratch_layout(const struct vis_conv_geom *g,
				    struct vis_conv_scratch *s)
{
	u64 off = 0;

	s->bias = off;
	off += ALIGN((u64)vis_conv_wrows(g) * 4, VIS_CONV_SALIGN);
	s->mult = off;
	off += ALIGN((u64)vis_conv_wrows(g) * 4, VIS_CONV_SALIGN);
	s->shift = off;
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
	u32 oh, ow;
	u64 k;
	int ret;

	ret = vis_gemm_check_operands(m, index, err);
	if (ret)
		return ret;
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
	return vis_gemm_check_weights(m, index, w, bias, cout, (u32)k,
				      p->requant, err);
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

/*
 * One group's weights as gemm_s8_packed() takes them, with what its
 * epilogue needs: prepared once per model (vis_model_prepare()), or per
 * run() in scratch.
 */
struct vis_conv_pgroup {
	u64 bsum; /* s32[rows16] row sums */
	u64 bias; /* s32[rows16] bias with -in_zp * bsum folded in */
	u64 mult; /* s32[rows16] multipliers, for requant_px() */
	u64 shift; /* s32[rows16] their shifts */
	u64 quads; /* BLOCK4: u32[nquads][1 + kb]: nk, then kidx[nk] */
	u64 pw; /* s8[rows16 * kpad] packed weights */
	u64 size;
};

/* Quads of %VIS_GEMM_QUAD rows of a BLOCK4 group. */
static u32 vis_conv_nquads(const struct vis_conv_geom *g)
{
	return DIV_ROUND_UP(g->cgo, VIS_GEMM_QUAD);
}

static void vis_conv_pgroup_layout(const struct vis_conv_geom *g,
				   struct vis_conv_pgroup *l)
{
	u64 rows16 = ALIGN(g->cgo, VIS_GEMM_NR);
	u64 off = 0;

	l->bsum = off;
	off += ALIGN(rows16 * 4, VIS_CONV_SALIGN);
	l->bias = off;
	off += ALIGN(rows16 * 4, VIS_CONV_SALIGN);
	l->mult = off;
	off += ALIGN(rows16 * 4, VIS_CONV_SALIGN);
	l->shift = off;
	off += ALIGN(rows16 * 4, VIS_CONV_SALIGN);
	l->quads = off;
	if (g->block4)
		off += ALIGN((u64)vis_conv_nquads(g) * (1 + g->kpad / 4) * 4,
			     VIS_CONV_SALIGN);
	l->pw = off;
	off += ALIGN(rows16 * g->kpad, VIS_CONV_SALIGN);
	l->size = off;
}

/* Scratch of the packed strategy: a group (unless prepared), then these. */
struct vis_conv_pscratch {
	u64 acc; /* s32[GEMM_PIX * rows16] */
	u64 patch; /* u8[GEMM_PIX * kpad], biased */
	u64 size;
};

static void vis_conv_pscratch_layout(const struct vis_conv_geom *g,
				     bool prepared, struct vis_conv_pscratch *s)
{
	struct vis_conv_pgroup l;
	u64 off = 0;

	vis_conv_pgroup_layout(g, &l);
	if (!prepared)
		off = l.size;
	s->acc = off;
	off += ALIGN((u64)VIS_GEMM_PIX * ALIGN(g->cgo, VIS_GEMM_NR) * 4,
		     VIS_CONV_SALIGN);
	s->patch = off;
	off += ALIGN((u64)VIS_GEMM_PIX * g->kpad, VIS_CONV_SALIGN);
	s->size = off;
}

static bool vis_conv_pack_fits(const struct vis_conv_geom *g)
{
	return !g->block4 && !g->depthwise && g->cgo <= VIS_CONV_PACK_ROWS &&
	       (u64)ALIGN(g->cgo, VIS_GEMM_NR) * g->kpad <= VIS_CONV_PACK;
}

/*
 * Not depthwise, and enough rows and reduction that the packed copy is at
 * most a few times the weights' own size (rows16 <= 2 * cgo, kpad <= 2 *
 * k, the int32 tables <= 16 bytes per weight row; BLOCK4 weights, whose
 * stored blocks may be few, only when the dense panels are at most 16
 * times the tensor): the prepared data stay bounded by the model's size.
 */
static bool vis_conv_prep_ok(const struct vis_model *m,
			     const struct vision_model_op *op,
			     const struct vis_conv_geom *g)
{
	const struct vision_model_tensor *w = vis_tensor(m, op->inputs[1]);

	if (g->depthwise || g->cgo < VIS_GEMM_NR || g->k < 8 ||
	    g->kpad > VIS_CONV_PREP_MAX_K)
		return false;
	return !g->block4 ||
	       (u64)ALIGN(g->cgo, VIS_GEMM_NR) * g->kpad * g->groups <=
		       16 * w->size;
}

static u64 vis_conv2d_scratch(const struct vis_model *m,
			      const struct vision_model_op *op)
{
	struct vis_conv_geom g;
	struct vis_conv_scratch s;

	vis_conv_geom(m, op, &g);
	if (g.depthwise)
		return vis_conv_dw_scratch(m, op);
	if (g.block4) {
		struct vis_conv_pscratch ps;
		u64 size = vis_sparse_conv_scratch(m, op);

		if (!vis_conv_prep_ok(m, op, &g))
			return size;
		vis_conv_pscratch_layout(&g, true, &ps);
		return max(size, ps.size);
	}
	vis_conv_scratch_layout(&g, &s);
	if (vis_conv_pack_fits(&g)) {
		struct vis_conv_pscratch ps;

		vis_conv_pscratch_layout(&g, false, &ps);
		return max(s.size, ps.size);
	}
	if (vis_conv_prep_ok(m, op, &g)) {
		struct vis_conv_pscratch ps;

		vis_conv_pscratch_layout(&g, true, &ps);
		return max(s.size, ps.size);
	}
	return s.size;
}

/* Per-run state of the GEMM strategy. */
struct vis_conv_run {
	const struct vis_exec *x;
	const struct vis_conv_geom *g;
	const struct vision_model_conv *p;
	const s8 *in;
	s8 *out;
	const struct vision_model_requant *rq;
	s32 *bias; /* folded bias of the current rows */
	s32 *mult, *shift; /* their requant operands, split */
	s32 *acc;
	s8 *patch;
	s32 in_zp, out_zp;
};

/* The geometry patches of @c are gathered with, each byte XOR @flip. */
static void vis_conv_im2col(const struct vis_conv_run *c, u8 flip,
			    struct vis_im2col *im)
{
	const struct vis_conv_geom *g = c->g;

	*im = (struct vis_im2col){
		.p = c->p,
		.h = g->h,
		.w = g->w,
		.cin = g->cin,
		.kh = g->kh,
		.kw = g->kw,
		.cgi = g->cgi,
		.flip = flip,
		.copy_flip = c->x->k->copy_flip ?: vis_copy_flip_ref,
	};
}

/*
 * The patch of output pixel (oy, ox), zero-padded to Kpad, each byte XOR
 * @flip.
 */
static void vis_conv_gather(const struct vis_conv_run *c, s8 *dst,
			    const s8 *img, u32 oy, u32 ox, u32 ci0, u8 flip)
{
	struct vis_im2col im;

	vis_conv_im2col(c, flip, &im);
	vis_im2col_patch(&im, dst, img, oy, ox, ci0, (s8)c->in_zp, c->g->kpad);
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

	for (r = 0; r < nr; r++) {
		c->mult[r] = c->rq[co0 + r].multiplier;
		c->shift[r] = c->rq[co0 + r].shift;
	}
	if (!c->in_zp) {
		memcpy(c->bias, bias + co0, (size_t)nr * sizeof(s32));
		return;
	}
	memset(c->patch, 1, g->k);
	memset(c->patch + g->k, 0, g->kpad - g->k);
	for (r0 = 0; r0 < nr; r0 += VIS_CONV_ROWS) {
		u32 n = min_t(u32, VIS_CONV_ROWS, nr - r0);

		k->gemm_s8(c->patch, 1, wrow + (size_t)r0 * g->kpad, n, g->kpad,
			   c->acc);
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
	u32 ox, p, r0, np;

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
						img, oy, ox + p, grp * g->cgi,
						0);
			a = c->patch;
		}
		for (r0 = 0; r0 < nr; r0 += VIS_CONV_ROWS) {
			u32 nrr = min_t(u32, VIS_CONV_ROWS, nr - r0);

			k->gemm_s8(a, np, wrow + (size_t)r0 * g->kpad, nrr,
				   g->kpad, c->acc);
			if (k->requant_px) {
				k->requant_px(c->acc, np, nrr, c->bias + r0,
					      c->mult + r0, c->shift + r0, nrr,
					      c->out_zp, lo, hi,
					      orow + (size_t)ox * g->cout +
						      co0 + r0,
					      g->cout);
				continue;
			}
			for (p = 0; p < np; p++) {
				s8 *o = orow + (size_t)(ox + p) * g->cout +
					co0 + r0;

				k->requant_s8(c->acc + p * nrr, c->bias + r0,
					      c->rq + co0 + r0, nrr, c->out_zp,
					      lo, hi, o);
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
	c.mult = (s32 *)(x->scratch + s.mult);
	c.shift = (s32 *)(x->scratch + s.shift);
	c.acc = (s32 *)(x->scratch + s.acc);
	c.patch = (s8 *)(x->scratch + s.patch);
	wbuf = (s8 *)(x->scratch + s.wbuf);
	for (grp = 0; grp < g->groups; grp++) {
		for (c0 = 0; c0 < g->cgo; c0 += wrows) {
			u32 nr = min_t(u32, wrows, g->cgo - c0);
			u32 co0 = grp * g->cgo + c0;
			const s8 *wrow;

			if (g->k == g->kpad) {
				wrow = wt + (size_t)co0 * g->k;
			} else {
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
 * Unprepared, the packed strategy packs a group's weights into scratch on
 * every call of run(): worth it when they fit and the packing is
 * amortized over enough output pixels.
 */
static bool vis_conv_use_packed(const struct vis_exec *x,
				const struct vis_conv_geom *g, u32 begin,
				u32 end)
{
	return x->k->gemm_s8_packed && vis_conv_pack_fits(g) &&
	       (u64)(end - begin) * g->ow >= VIS_CONV_PACK_MIN_PIX;
}

/* Pack the @rows weight rows at @w (K each), with their sums. */
static void vis_conv_pack(const struct vis_conv_geom *g, const s8 *w, u32 rows,
			  s8 *pw, s32 *bsum)
{
	u32 rows16 = ALIGN(rows, VIS_GEMM_NR), r, i;

	for (r = 0; r < rows16; r++) {
		s8 *d = pw + (size_t)(r / VIS_GEMM_NR) * VIS_GEMM_NR * g->kpad +
			(r % VIS_GEMM_NR) * 4;
		const s8 *src = w + (size_t)r * g->k;
		s32 sum = 0;

		if (r < rows && g->k == g->kpad) {
			/* Whole groups of four: copy them as words. */
			for (i = 0; i < g->k; i++)
				sum += src[i];
			for (i = 0; i < g->k; i += 4)
				memcpy(d + (size_t)i * VIS_GEMM_NR, src + i, 4);
			bsum[r] = sum;
			continue;
		}
		for (i = 0; i < g->kpad; i++) {
			s8 v = r < rows && i < g->k ? src[i] : 0;

			d[(size_t)(i / 4) * 4 * VIS_GEMM_NR + i % 4] = v;
			sum += v;
		}
		bsum[r] = sum;
	}
}

/*
 * BLOCK4 rows [@co0, @co0 + cgo) as gemm_s8_kidx() takes them: per quad
 * of %VIS_GEMM_QUAD rows, the groups of four any of its rows stores
 * (@quads: nk, then the columns), and the rows' values at those groups
 * in panels of %VIS_GEMM_NR rows, zero where a row has no block; quad q
 * starts where the dense layout's panel 4q would, so the whole fits in
 * the dense size. The row sums go to @bsum.
 */
static void vis_conv_pack_quads(const struct vis_model *m,
				const struct vision_model_op *op,
				const struct vis_conv_geom *g, u32 co0,
				u8 *quads, s8 *pw, s32 *bsum)
{
	const u32 *row_ptr =
		(const u32 *)(m->consts + vis_tensor(m, op->inputs[1])->offset);
	const u32 *col = row_ptr + g->cout + 1;
	const s8 *val = (const s8 *)(col + row_ptr[g->cout]);
	u32 kb = g->kpad / 4, rows16 = ALIGN(g->cgo, VIS_GEMM_NR);
	u32 q, r, r0, nr, nk, c, j, b, i;

	memset(pw, 0, (size_t)rows16 * g->kpad);
	for (r = g->cgo; r < rows16; r++)
		bsum[r] = 0;
	for (q = 0; q < vis_conv_nquads(g); q++) {
		u32 *qh = (u32 *)quads + (size_t)q * (1 + kb), *kidx = qh + 1;
		s8 *qw = pw + (size_t)q * VIS_GEMM_QUAD * g->kpad;

		r0 = q * VIS_GEMM_QUAD;
		nr = min_t(u32, VIS_GEMM_QUAD, g->cgo - r0);
		/* Mark the stored columns, then compact them in place. */
		memset(kidx, 0, (size_t)kb * 4);
		for (r = r0; r < r0 + nr; r++)
			for (b = row_ptr[co0 + r]; b < row_ptr[co0 + r + 1];
			     b++)
				kidx[col[b]] = 1;
		for (c = 0, nk = 0; c < kb; c++)
			if (kidx[c])
				kidx[nk++] = c;
		qh[0] = nk;
		for (r = r0; r < r0 + nr; r++) {
			s8 *d = qw +
				(size_t)((r - r0) / VIS_GEMM_NR) * nk * 4 *
					VIS_GEMM_NR +
				((r - r0) % VIS_GEMM_NR) * 4;
			s32 sum = 0;

			/* Columns increase in a row and in kidx alike. */
			for (b = row_ptr[co0 + r], j = 0;
			     b < row_ptr[co0 + r + 1]; b++) {
				while (kidx[j] != col[b])
					j++;
				for (i = 0; i < 4; i++) {
					d[(size_t)j * 4 * VIS_GEMM_NR + i] =
						val[(size_t)b * 4 + i];
					sum += val[(size_t)b * 4 + i];
				}
			}
			bsum[r] = sum;
		}
	}
}

/* Group @grp of @op laid out at @dst as &struct vis_conv_pgroup says. */
static void vis_conv_pgroup_fill(const struct vis_model *m,
				 const struct vision_model_op *op,
				 const struct vis_conv_geom *g, u32 grp,
				 u8 *dst)
{
	const struct vision_model_conv *p = &op->params.conv;
	const s8 *wt =
		(const s8 *)(m->consts + vis_tensor(m, op->inputs[1])->offset);
	const s32 *bias =
		(const s32 *)(m->consts + vis_tensor(m, op->inputs[2])->offset);
	const struct vision_model_requant *rq =
		(const struct vision_model_requant *)(m->consts + p->requant);
	s32 in_zp = vis_tensor(m, op->inputs[0])->zero_point;
	struct vis_conv_pgroup l;
	u32 co0 = grp * g->cgo, i;
	s32 *bsum, *fb, *mult, *shift;

	vis_conv_pgroup_layout(g, &l);
	bsum = (s32 *)(dst + l.bsum);
	fb = (s32 *)(dst + l.bias);
	mult = (s32 *)(dst + l.mult);
	shift = (s32 *)(dst + l.shift);
	if (g->block4)
		vis_conv_pack_quads(m, op, g, co0, dst + l.quads,
				    (s8 *)(dst + l.pw), bsum);
	else
		vis_conv_pack(g, wt + (size_t)co0 * g->k, g->cgo,
			      (s8 *)(dst + l.pw), bsum);
	for (i = 0; i < g->cgo; i++) {
		fb[i] = bias[co0 + i] - in_zp * bsum[i];
		mult[i] = rq[co0 + i].multiplier;
		shift[i] = rq[co0 + i].shift;
	}
}

static u64 vis_conv2d_prepared_size(const struct vis_model *m,
				    const struct vision_model_op *op)
{
	struct vis_conv_pgroup l;
	struct vis_conv_geom g;

	vis_conv_geom(m, op, &g);
	if (!vis_conv_prep_ok(m, op, &g))
		return 0;
	vis_conv_pgroup_layout(&g, &l);
	return l.size * g.groups;
}

static void vis_conv2d_prepare(const struct vis_model *m,
			       const struct vision_model_op *op, u8 *dst)
{
	struct vis_conv_pgroup l;
	struct vis_conv_geom g;
	u32 grp;

	vis_conv_geom(m, op, &g);
	vis_conv_pgroup_layout(&g, &l);
	for (grp = 0; grp < g.groups; grp++)
		vis_conv_pgroup_fill(m, op, &g, grp, dst + grp * l.size);
}

/* The products of @np patches with a prepared BLOCK4 group, quad by quad. */
static void vis_conv_quads(const struct vis_kernels *k,
			   const struct vis_conv_geom *g, const u8 *gp,
			   const struct vis_conv_pgroup *l, const s8 *patch,
			   u32 np, s32 *acc)
{
	const u32 *quads = (const u32 *)(gp + l->quads);
	const s32 *bsum = (const s32 *)(gp + l->bsum);
	u32 kb = g->kpad / 4, rows16 = ALIGN(g->cgo, VIS_GEMM_NR), q, r0;

	for (q = 0; q < vis_conv_nquads(g); q++) {
		const u32 *qh = quads + (size_t)q * (1 + kb);
		const s8 *w;
		u32 nr;

		r0 = q * VIS_GEMM_QUAD;
		nr = min_t(u32, VIS_GEMM_QUAD, g->cgo - r0);
		w = (const s8 *)(gp + l->pw) + (size_t)r0 * g->kpad;
		/* Nothing to skip: the dense kernel, without the indices. */
		if (qh[0] == kb && k->gemm_s8_packed)
			k->gemm_s8_packed((const u8 *)patch, np, g->kpad, w,
					  bsum + r0, nr, g->kpad, acc + r0,
					  rows16);
		else
			k->gemm_s8_kidx((const u8 *)patch, np, g->kpad, w,
					qh + 1, qh[0], bsum + r0, nr, acc + r0,
					rows16);
	}
}

/* @n input bytes biased to unsigned, as gemm_s8_packed() takes them. */
static void vis_conv_copy_biased(const struct vis_kernels *k, s8 *dst,
				 const s8 *src, size_t n)
{
	if (k->copy_flip)
		k->copy_flip(dst, src, n, 0x80);
	else
		vis_copy_flip_ref(dst, src, n, 0x80);
}

/*
 * The biased patches of the @np output pixels from @q on (numbered across
 * rows and images), of group @grp, Kpad apart.
 */
static void vis_conv_gather_px(const struct vis_conv_run *c, u64 q, u32 np,
			       u32 grp)
{
	const struct vis_conv_geom *g = c->g;
	u32 u = (u32)(q / g->ow), ox = (u32)(q % g->ow), i, n;
	struct vis_im2col im;

	vis_conv_im2col(c, 0x80, &im);
	/* Row by row: the pixels numbered from @q may span several. */
	for (i = 0; i < np; i += n, u++, ox = 0) {
		const s8 *img =
			c->in + (size_t)(u / g->oh) * g->h * g->w * g->cin;

		n = min_t(u32, np - i, g->ow - ox);
		vis_im2col_patches(&im, c->patch + (size_t)i * g->kpad, g->kpad,
				   img, u % g->oh, ox, n, grp * g->cgi,
				   (s8)c->in_zp, g->kpad);
	}
}

/*
 * The packed strategy. Each group's weights come prepared (@prep, from
 * vis_model_prepare()) or are packed into scratch once per call of run();
 * up to %VIS_GEMM_PIX output pixels go to each kernel call, numbered
 * across output rows (outputs are contiguous NHWC) so that gathered
 * patches fill whole calls. Patches are gathered biased to unsigned, as
 * the kernel takes them (for a 1x1 convolution that is a copy of the
 * input pixels).
 */
static void vis_conv_run_packed(const struct vis_exec *x,
				const struct vision_model_op *op,
				const struct vis_conv_geom *g, const u8 *prep,
				u32 begin, u32 end)
{
	const struct vis_model *m = x->model;
	const struct vision_model_conv *p = &op->params.conv;
	const struct vis_kernels *k = x->k;
	const struct vision_model_requant *rq =
		(const struct vision_model_requant *)(m->consts + p->requant);
	u32 rows16 = ALIGN(g->cgo, VIS_GEMM_NR);
	struct vis_conv_pscratch s;
	struct vis_conv_pgroup l;
	struct vis_conv_run c = {
		.x = x,
		.g = g,
		.p = p,
		.in = vis_tensor_data(x, op->inputs[0]),
		.out = vis_tensor_out(x, op->output),
		.in_zp = vis_tensor(m, op->inputs[0])->zero_point,
		.out_zp = vis_tensor(m, op->output)->zero_point,
	};
	/* 1x1, stride 1, unpadded, K = Cin: patch i is input pixel i. */
	bool same = g->direct && p->stride_h == 1;
	const s32 *bsum, *bias, *mult, *shift;
	u32 grp, co0, np, i;
	const u8 *gp;
	s32 *acc;
	u64 q;

	vis_conv_pgroup_layout(g, &l);
	vis_conv_pscratch_layout(g, prep, &s);
	acc = (s32 *)(x->scratch + s.acc);
	c.patch = (s8 *)(x->scratch + s.patch);
	for (grp = 0; grp < g->groups; grp++) {
		co0 = grp * g->cgo;
		if (prep) {
			gp = prep + grp * l.size;
		} else {
			vis_conv_pgroup_fill(m, op, g, grp, x->scratch);
			gp = x->scratch;
		}
		bsum = (const s32 *)(gp + l.bsum);
		bias = (const s32 *)(gp + l.bias);
		mult = (const s32 *)(gp + l.mult);
		shift = (const s32 *)(gp + l.shift);
		for (q = (u64)begin * g->ow; q < (u64)end * g->ow; q += np) {
			s8 *o = c.out + q * g->cout + co0;

			np = (u32)min_t(u64, VIS_GEMM_PIX,
					(u64)end * g->ow - q);
			if (same)
				/* Pixels q.. are the input's: one copy. */
				vis_conv_copy_biased(k, c.patch,
						     c.in + q * g->cin,
						     (size_t)np * g->cin);
			else
				vis_conv_gather_px(&c, q, np, grp);
			if (g->block4)
				vis_conv_quads(k, g, gp, &l, c.patch, np, acc);
			else
				k->gemm_s8_packed((const u8 *)c.patch, np,
						  g->kpad,
						  (const s8 *)(gp + l.pw), bsum,
						  g->cgo, g->kpad, acc, rows16);
			if (k->requant_px) {
				k->requant_px(acc, np, rows16, bias, mult,
					      shift, g->cgo, c.out_zp,
					      p->act_min, p->act_max, o,
					      g->cout);
				continue;
			}
			for (i = 0; i < np; i++, o += g->cout)
				k->requant_s8(acc + (size_t)i * rows16, bias,
					      rq + co0, g->cgo, c.out_zp,
					      p->act_min, p->act_max, o);
		}
	}
}

static void vis_conv2d_run(const struct vis_exec *x,
			   const struct vision_model_op *op, u32 begin, u32 end)
{
	struct vis_conv_geom g;

	vis_conv_geom(x->model, op, &g);
	if (g.depthwise)
		vis_conv_dw_run(x, op, begin, end);
	else if (g.block4 && x->k->gemm_s8_kidx &&
		 vis_model_prepared_op(x->model, op))
		vis_conv_run_packed(x, op, &g,
				    vis_model_prepared_op(x->model, op), begin,
				    end);
	else if (g.block4)
		vis_sparse_conv_run(x, op, begin, end);
	else if (x->k->gemm_s8_packed && vis_model_prepared_op(x->model, op))
		vis_conv_run_packed(x, op, &g,
				    vis_model_prepared_op(x->model, op), begin,
				    end);
	else if (vis_conv_use_packed(x, &g, begin, end))
		vis_conv_run_packed(x, op, &g, NULL, begin, end);
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
	.prepared_size = vis_conv2d_prepared_size,
	.prepare = vis_conv2d_prepare,
};
