// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: FULLY_CONNECTED
 *
 * TFLite int8 per-channel fully connected layer: the input [N, ...] is
 * read as N rows of K = H * W * C values; for output channel co,
 * acc = bias[co] + sum over k of (in[n][k] - in_zp) * w[co][k], then
 * out[n][co] = clamp(MBQM(acc, requant[co]) + out_zp).
 *
 * A work unit is a block of %VIS_FC_ROWS output channels for every batch
 * row, so that even a single-row (N = 1) layer, the usual case, spreads
 * over workers. Each weight row is read once per four batch rows by the
 * kernel table's gemm_s8() (dense) or dot_block4() (BLOCK4). The raw
 * products include in_zp * w; the bias is folded with -in_zp * sum(w),
 * the sums coming from the same kernel call as the product of a ones row
 * appended to the batch rows when there is room (N < 4), so a layer that
 * is bound by weight bandwidth reads its weights once.
 *
 * The input rows are used in place when K is a multiple of 4; otherwise
 * they, and dense weights, are copied into scratch with K padded to Kpad.
 * BLOCK4 weights run the same scheme in vis_op_conv_sparse.c.
 */

#include "vis_ops.h"
#include "vis_op_conv_sparse.h"
#include "vis_op_gemm_check.h"
#include "vis_quant.h"

/* Output channels per unit, and per kernel call. */
#define VIS_FC_ROWS 64
/* Batch rows per kernel call: the kernels take one to four. */
#define VIS_FC_PIX 4
/* Scratch for dense weights re-laid out with K padded to Kpad. */
#define VIS_FC_WBUF 65536
#define VIS_FC_SALIGN 64
/* See vis_gemm_check_acc(). */
#define VIS_FC_MAX_K VIS_GEMM_MAX_K

struct vis_fc_geom {
	u32 n, k, kpad, cout;
	bool block4;
};

static void vis_fc_geom(const struct vis_model *m,
			const struct vision_model_op *op, struct vis_fc_geom *g)
{
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *w = vis_tensor(m, op->inputs[1]);

	g->n = in->shape[0];
	g->k = w->shape[3];
	g->kpad = ALIGN(g->k, 4);
	g->cout = w->shape[0];
	g->block4 = w->encoding == VISION_MODEL_ENC_BLOCK4;
}

/* Weight rows per kernel call. */
static u32 vis_fc_wrows(const struct vis_fc_geom *g)
{
	if (g->block4 || g->k == g->kpad)
		return VIS_FC_ROWS;
	return clamp_t(u32, VIS_FC_WBUF / g->kpad, 1, VIS_FC_ROWS);
}

struct vis_fc_scratch {
	u64 bias; /* s32[ROWS] folded bias */
	u64 acc; /* s32[PIX * ROWS] */
	u64 patch; /* s8[PIX * kpad]: padded input rows and the ones row */
	u64 wbuf; /* s8[wrows * kpad] re-laid-out weights */
	u64 size;
};

static void vis_fc_scratch_layout(const struct vis_fc_geom *g,
				  struct vis_fc_scratch *s)
{
	u64 off = 0;

	s->bias = off;
	off += VIS_FC_ROWS * 4;
	s->acc = off;
	off += VIS_FC_PIX * VIS_FC_ROWS * 4;
	s->patch = off;
	off += ALIGN((u64)VIS_FC_PIX * g->kpad, VIS_FC_SALIGN);
	s->wbuf = off;
	if (!g->block4 && g->k != g->kpad)
		off += ALIGN((u64)vis_fc_wrows(g) * g->kpad, VIS_FC_SALIGN);
	s->size = off;
}

static int vis_fc_check(const struct vis_model *m, u32 index,
			struct vis_engine_error *err)
{
	const struct vision_model_op *op = &m->ops[index];
	const struct vision_model_conv *p = &op->params.conv;
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *w = vis_tensor(m, op->inputs[1]);
	const struct vision_model_tensor *bias = vis_tensor(m, op->inputs[2]);
	const struct vision_model_tensor *out = vis_tensor(m, op->output);
	u32 cout = out->shape[3];
	u64 k;
	int ret;

	ret = vis_gemm_check_operands(m, index, err);
	if (ret)
		return ret;
	if (p->stride_h != 1 || p->stride_w != 1 || p->dilation_h != 1 ||
	    p->dilation_w != 1 || p->pad_top || p->pad_left || p->pad_bottom ||
	    p->pad_right || p->groups != 1)
		return vis_op_err(err, index, "params",
				  "FC geometry must be the identity");
	if (!vis_check_act(p->act_min, p->act_max))
		return vis_op_err(err, index, "act_min",
				  "invalid activation range");
	/* The element count fits in 32 bits, so does K. */
	k = (u64)in->shape[1] * in->shape[2] * in->shape[3];
	if (w->shape[0] != cout || w->shape[1] != 1 || w->shape[2] != 1 ||
	    w->shape[3] != k)
		return vis_op_err(err, index, "inputs[1]",
				  "weight shape must be [Cout,1,1,K]");
	if (out->shape[0] != in->shape[0] || out->shape[1] != 1 ||
	    out->shape[2] != 1)
		return vis_op_err(err, index, "output",
				  "output shape must be [N,1,1,Cout]");
	if (k > VIS_FC_MAX_K)
		return vis_op_err(err, index, "inputs[1]",
				  "K too long: accumulator may overflow");
	return vis_gemm_check_weights(m, index, w, bias, cout, (u32)k,
				      p->requant, err);
}

static u32 vis_fc_units(const struct vis_model *m,
			const struct vision_model_op *op)
{
	return DIV_ROUND_UP(vis_tensor(m, op->output)->shape[3], VIS_FC_ROWS);
}

static u64 vis_fc_unit_macs(const struct vis_model *m,
			    const struct vision_model_op *op)
{
	struct vis_fc_geom g;

	vis_fc_geom(m, op, &g);
	return (u64)g.n * min_t(u32, g.cout, VIS_FC_ROWS) * g.k;
}

static u64 vis_fc_scratch(const struct vis_model *m,
			  const struct vision_model_op *op)
{
	struct vis_fc_geom g;
	struct vis_fc_scratch s;

	vis_fc_geom(m, op, &g);
	if (g.block4)
		return vis_sparse_fc_scratch(m, op);
	vis_fc_scratch_layout(&g, &s);
	return s.size;
}

/* Per-run state. */
struct vis_fc_run {
	const struct vis_exec *x;
	const struct vis_fc_geom *g;
	s32 *acc;
};

/* acc[p * nr + r] = patch p . weight row co0 + r, for @np patches. */
static void vis_fc_mul(const struct vis_fc_run *c, const s8 *a, u32 np,
		       const s8 *wrow, u32 co0, u32 nr)
{
	c->x->k->gemm_s8(a, np, wrow, nr, c->g->kpad, c->acc);
}

static void vis_fc_run(const struct vis_exec *x,
		       const struct vision_model_op *op, u32 begin, u32 end)
{
	const struct vis_model *m = x->model;
	const struct vision_model_conv *prm = &op->params.conv;
	const s8 *in = vis_tensor_data(x, op->inputs[0]);
	const s8 *wt = vis_tensor_data(x, op->inputs[1]);
	const s32 *bias = vis_tensor_data(x, op->inputs[2]);
	s8 *out = vis_tensor_out(x, op->output);
	const struct vision_model_requant *rq =
		(const struct vision_model_requant *)(m->consts + prm->requant);
	s32 in_zp = vis_tensor(m, op->inputs[0])->zero_point;
	s32 out_zp = vis_tensor(m, op->output)->zero_point;
	struct vis_fc_geom g;
	struct vis_fc_scratch s;
	struct vis_fc_run c = { .x = x, .g = &g };
	u32 co_end, co0, n0, np, p, r, wrows;
	s32 *fbias;
	s8 *patch, *wbuf;

	vis_fc_geom(m, op, &g);
	if (g.block4) {
		vis_sparse_fc_run(x, op, begin * VIS_FC_ROWS,
				  (u32)min_t(u64, (u64)end * VIS_FC_ROWS,
					     g.cout));
		return;
	}
	vis_fc_scratch_layout(&g, &s);
	fbias = (s32 *)(x->scratch + s.bias);
	c.acc = (s32 *)(x->scratch + s.acc);
	patch = (s8 *)(x->scratch + s.patch);
	wbuf = (s8 *)(x->scratch + s.wbuf);
	wrows = vis_fc_wrows(&g);
	co_end = min_t(u32, (u64)end * VIS_FC_ROWS, g.cout);

	for (co0 = begin * VIS_FC_ROWS; co0 < co_end; co0 += wrows) {
		u32 nr = min_t(u32, wrows, co_end - co0);
		/* One call for the batch and the weight sums, if they fit. */
		bool fused = in_zp && g.n < VIS_FC_PIX;
		const s8 *wrow;

		if (g.k == g.kpad) {
			wrow = wt + (size_t)co0 * g.k;
		} else {
			for (r = 0; r < nr; r++) {
				s8 *d = wbuf + (size_t)r * g.kpad;

				memcpy(d, wt + (size_t)(co0 + r) * g.k, g.k);
				memset(d + g.k, 0, g.kpad - g.k);
			}
			wrow = wbuf;
		}

		memcpy(fbias, bias + co0, (size_t)nr * sizeof(s32));
		if (in_zp && !fused) {
			memset(patch, 1, g.k);
			memset(patch + g.k, 0, g.kpad - g.k);
			vis_fc_mul(&c, patch, 1, wrow, co0, nr);
			for (r = 0; r < nr; r++)
				fbias[r] -= in_zp * c.acc[r];
		}

		for (n0 = 0; n0 < g.n; n0 += np) {
			const s8 *a;

			np = min_t(u32, VIS_FC_PIX, g.n - n0);
			if (g.k == g.kpad && !fused) {
				a = in + (size_t)n0 * g.k;
			} else {
				for (p = 0; p < np; p++) {
					s8 *d = patch + (size_t)p * g.kpad;

					memcpy(d, in + (size_t)(n0 + p) * g.k,
					       g.k);
					memset(d + g.k, 0, g.kpad - g.k);
				}
				a = patch;
			}
			if (fused) {
				s8 *d = patch + (size_t)np * g.kpad;

				memset(d, 1, g.k);
				memset(d + g.k, 0, g.kpad - g.k);
				vis_fc_mul(&c, a, np + 1, wrow, co0, nr);
				for (r = 0; r < nr; r++)
					fbias[r] -= in_zp * c.acc[np * nr + r];
			} else {
				vis_fc_mul(&c, a, np, wrow, co0, nr);
			}
			for (p = 0; p < np; p++) {
				s8 *o = out + (size_t)(n0 + p) * g.cout + co0;

				x->k->requant_s8(c.acc + p * nr, fbias,
						 rq + co0, nr, out_zp,
						 prm->act_min, prm->act_max, o);
			}
		}
	}
}

const struct vis_op_desc vis_op_fully_connected = {
	.name = "FULLY_CONNECTED",
	.min_inputs = 3,
	.max_inputs = 3,
	.check = vis_fc_check,
	.units = vis_fc_units,
	.unit_macs = vis_fc_unit_macs,
	.scratch = vis_fc_scratch,
	.run = vis_fc_run,
};
