// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Graph passes over the float IR; see graph_passes.h.
 *
 * Adding tensors or nodes may move the arrays: code below re-reads
 * pointers into g->tensors and g->nodes after every addition.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "float_interp.h"
#include "graph_passes.h"

#define T(g, id) (&(g)->tensors[(id)])

/* NCHW axis -> NHWC axis, and the transposes between the two. */
static const int64_t to_nhwc_axis[4] = { 0, 3, 1, 2 };
static const int64_t perm_to_nhwc[4] = { 0, 2, 3, 1 };
static const int64_t perm_to_nchw[4] = { 0, 3, 1, 2 };

/* New constant tensor named after @base; takes @data. Id or -errno. */
static int add_const(struct vis_graph *g, const char *base, int dtype, int rank,
		     const int64_t *dims, float *data)
{
	char name[256];
	int i, id = -EEXIST;

	for (i = 0; id == -EEXIST && i < 1000; i++) {
		snprintf(name, sizeof(name), "%s:%d", base, i);
		id = vis_graph_add_tensor(g, name, dtype, rank, dims);
	}
	if (id < 0) {
		free(data);
		return id;
	}
	T(g, id)->data = data;
	return id;
}

/*
 * Weights a pass moved around (not rescaled) keep the per-tensor or
 * per-output-channel quantization a QDQ model gave them, when the
 * channel axis was @axis of @src; it is axis 0 of @dst. -ENOMEM.
 */
static int keep_weight_quant(struct vis_graph *g, int dst, int src, int axis)
{
	const struct vis_quant *q = &T(g, src)->quant;

	if (dst < 0 || !q->count || (q->count > 1 && q->axis != axis))
		return 0;
	if (vis_quant_copy(&T(g, dst)->quant, q))
		return -ENOMEM;
	T(g, dst)->quant.axis = 0;
	return 0;
}

/* New activation tensor like @like but with @dims. */
static int add_act(struct vis_graph *g, int like, int rank, const int64_t *dims)
{
	char name[256];
	int i, id = -EEXIST;

	for (i = 0; id == -EEXIST && i < 1000; i++) {
		snprintf(name, sizeof(name), "%s:%d", T(g, like)->name, i);
		id = vis_graph_add_tensor(g, name, T(g, like)->dtype, rank,
					  dims);
	}
	if (id >= 0 && vis_quant_copy(&T(g, id)->quant, &T(g, like)->quant))
		return -ENOMEM;
	return id;
}

static float *dup_data(const struct vis_tensor *t)
{
	int64_t n = vis_tensor_numel(t);
	float *d = malloc(sizeof(float) * (n ? n : 1));

	if (d)
		memcpy(d, t->data, sizeof(float) * n);
	return d;
}

/* The one live node reading @t, or -1 (none, several, graph output). */
static int sole_consumer(const struct vis_graph *g, int t)
{
	int i, j, who = -1;

	if (vis_graph_is_output(g, t))
		return -1;
	for (i = 0; i < g->nnodes; i++) {
		if (g->nodes[i].dead)
			continue;
		for (j = 0; j < g->nodes[i].ninputs; j++) {
			if (g->nodes[i].inputs[j] != t)
				continue;
			if (who >= 0 && who != i)
				return -1;
			who = i;
		}
	}
	return who;
}

/* Producer of @t when it is live and only this tensor's readers are it. */
static int producer_of(const struct vis_graph *g, int t)
{
	int i, j;

	for (i = 0; i < g->nnodes; i++) {
		if (g->nodes[i].dead)
			continue;
		for (j = 0; j < g->nodes[i].noutputs; j++)
			if (g->nodes[i].outputs[j] == t)
				return i;
	}
	return -1;
}

/* Producer @pi takes over consumer @ci's output; @ci goes. */
static void absorb(struct vis_graph *g, int pi, int ci)
{
	g->nodes[pi].outputs[0] = g->nodes[ci].outputs[0];
	vis_graph_remove_node(g, ci);
	T(g, g->nodes[pi].outputs[0])->producer = pi;
}

/* ---- constant folding ------------------------------------------------------ */

int vis_pass_fold(struct vis_graph *g, struct vis_error *err)
{
	const float *in[VIS_MAX_NODE_INPUTS];
	float *out[VIS_MAX_NODE_OUTPUTS];
	int i, j, ret, changed = 0;

	for (i = 0; i < g->nnodes; i++) {
		struct vis_node *n = &g->nodes[i];

		if (n->dead)
			continue;
		for (j = 0; j < n->ninputs; j++) {
			if (n->inputs[j] < 0) {
				in[j] = NULL;
				continue;
			}
			if (!T(g, n->inputs[j])->data)
				break;
			in[j] = T(g, n->inputs[j])->data;
		}
		if (j < n->ninputs || !n->ninputs)
			continue;
		for (j = 0; j < n->noutputs; j++) {
			ret = vis_tensor_alloc_data(T(g, n->outputs[j]));
			if (ret)
				return ret;
			out[j] = T(g, n->outputs[j])->data;
		}
		ret = vis_interp_eval_node(g, n, in, out, err);
		if (ret)
			return ret;
		vis_graph_remove_node(g, i);
		changed++;
	}
	return changed;
}

/* ---- identities ----------------------------------------------------------------- */

static bool is_noop(const struct vis_graph *g, const struct vis_node *n)
{
	const struct vis_tensor *x, *y;
	int i;

	if (n->ninputs < 1 || n->inputs[0] < 0 || n->noutputs != 1 ||
	    n->act != VIS_ACT_NONE)
		return false;
	x = T(g, n->inputs[0]);
	y = T(g, n->outputs[0]);
	switch (n->op) {
	case VIS_OP_IDENTITY:
		return true;
	case VIS_OP_CAST:
		return x->dtype == y->dtype;
	case VIS_OP_RESHAPE:
		if (x->rank != y->rank)
			return false;
		return !memcmp(x->dims, y->dims, sizeof(int64_t) * x->rank);
	case VIS_OP_TRANSPOSE:
		for (i = 0; i < x->rank; i++)
			if (n->attrs.perm[i] != i)
				return false;
		return true;
	case VIS_OP_PAD:
		for (i = 0; i < x->rank; i++)
			if (n->attrs.pad_begin[i] || n->attrs.pad_end[i])
				return false;
		return true;
	default:
		return false;
	}
}

int vis_pass_identity(struct vis_graph *g)
{
	int i, changed = 0;

	for (i = 0; i < g->nnodes; i++) {
		struct vis_node *n = &g->nodes[i];
		int x, y, p;

		if (n->dead || !is_noop(g, n))
			continue;
		x = n->inputs[0];
		y = n->outputs[0];
		if (!vis_graph_is_output(g, y)) {
			vis_graph_remove_node(g, i);
			vis_graph_replace_uses(g, y, x);
			changed++;
			continue;
		}
		/* A graph output keeps its name: its producer writes it. */
		p = producer_of(g, x);
		if (p < 0 || vis_graph_is_output(g, x) ||
		    vis_graph_consumers(g, x) != 1 || g->nodes[p].noutputs != 1)
			continue;
		vis_graph_remove_node(g, i);
		g->nodes[p].outputs[0] = y;
		T(g, y)->producer = p;
		changed++;
	}
	return changed;
}

/* ---- Gemm / MatMul to FC ----------------------------------------------------------- */

/* Bias of @n as [N] with @scale applied, from a tensor broadcast to N. */
static float *bias_vector(const struct vis_tensor *c, int64_t nout, float scale)
{
	float *b = calloc(nout ? nout : 1, sizeof(float));
	int64_t i, cnt;

	if (!b)
		return NULL;
	if (!c)
		return b;
	cnt = vis_tensor_numel(c);
	for (i = 0; i < nout; i++)
		b[i] = scale * c->data[cnt == 1 ? 0 : i];
	return b;
}

static int gemm_to_fc(struct vis_graph *g, int ni)
{
	struct vis_node *n = &g->nodes[ni];
	const struct vis_tensor *a = T(g, n->inputs[0]),
				*b = T(g, n->inputs[1]);
	const struct vis_tensor *c =
		n->ninputs > 2 && n->inputs[2] >= 0 ? T(g, n->inputs[2]) : NULL;
	int64_t k, nout, i, j, wd[2], bd[1];
	float *w, *bias, alpha, beta;
	bool trans_b;
	int wid, bid;

	if (n->op == VIS_OP_GEMM) {
		if (n->attrs.trans_a || !b->data || (c && !c->data))
			return 0;
		/* C must broadcast along rows only: [N], [1,N], scalar. */
		if (c && c->rank == 2 && c->dims[0] != 1)
			return 0;
		trans_b = n->attrs.trans_b;
		alpha = n->attrs.alpha;
		beta = n->attrs.beta;
	} else {
		if (!b->data || b->rank != 2 || a->rank < 1)
			return 0;
		trans_b = false;
		alpha = 1;
		beta = 0;
		c = NULL;
	}
	k = trans_b ? b->dims[1] : b->dims[0];
	nout = trans_b ? b->dims[0] : b->dims[1];
	if (c && vis_tensor_numel(c) != 1 && vis_tensor_numel(c) != nout)
		return 0;
	w = malloc(sizeof(float) * (nout * k + 1));
	bias = bias_vector(c, nout, beta);
	if (!w || !bias) {
		free(w);
		free(bias);
		return -ENOMEM;
	}
	for (i = 0; i < nout; i++)
		for (j = 0; j < k; j++)
			w[i * k + j] = alpha * (trans_b ?
							b->data[i * k + j] :
							b->data[j * nout + i]);
	wd[0] = nout;
	wd[1] = k;
	bd[0] = nout;
	wid = add_const(g, T(g, n->inputs[1])->name, VIS_DT_FLOAT, 2, wd, w);
	if (wid < 0) {
		free(bias);
		return wid;
	}
	if (alpha == 1 && keep_weight_quant(g, wid, g->nodes[ni].inputs[1],
					    trans_b ? 0 : 1)) {
		free(bias);
		return -ENOMEM;
	}
	bid = add_const(g, T(g, g->nodes[ni].outputs[0])->name, VIS_DT_FLOAT, 1,
			bd, bias);
	if (bid < 0)
		return bid;
	n = &g->nodes[ni];
	n->op = VIS_OP_FC;
	n->inputs[1] = wid;
	n->inputs[2] = bid;
	n->ninputs = 3;
	return 1;
}

/* Add(FC(x), c) with c a constant [N]: into the FC's bias. */
static int add_into_bias(struct vis_graph *g, int ni)
{
	struct vis_node *n = &g->nodes[ni], *fc;
	int s, side, p, bid;
	const struct vis_tensor *c, *b;
	int64_t i, nout;
	float *bias;

	for (side = 0; side < 2; side++) {
		c = T(g, n->inputs[1 - side]);
		p = producer_of(g, n->inputs[side]);
		if (c->data && p >= 0 && g->nodes[p].op == VIS_OP_FC)
			break;
	}
	if (side == 2 || n->act != VIS_ACT_NONE)
		return 0;
	fc = &g->nodes[p];
	s = fc->outputs[0];
	nout = T(g, fc->inputs[1])->dims[0];
	if (fc->act != VIS_ACT_NONE || sole_consumer(g, s) != ni ||
	    vis_tensor_numel(c) != nout || c->dims[c->rank - 1] != nout ||
	    T(g, n->outputs[0])->rank != T(g, s)->rank)
		return 0;
	b = T(g, fc->inputs[2]);
	bias = dup_data(b);
	if (!bias)
		return -ENOMEM;
	for (i = 0; i < nout; i++)
		bias[i] += c->data[i];
	bid = add_const(g, b->name, VIS_DT_FLOAT, 1, &nout, bias);
	if (bid < 0)
		return bid;
	g->nodes[p].inputs[2] = bid;
	absorb(g, p, ni);
	return 1;
}

int vis_pass_fc(struct vis_graph *g)
{
	int i, ret, changed = 0;

	for (i = 0; i < g->nnodes; i++) {
		int op = g->nodes[i].op;

		if (g->nodes[i].dead)
			continue;
		ret = 0;
		if (op == VIS_OP_GEMM || op == VIS_OP_MATMUL)
			ret = gemm_to_fc(g, i);
		else if (op == VIS_OP_ADD)
			ret = add_into_bias(g, i);
		if (ret < 0)
			return ret;
		changed += ret;
	}
	return changed;
}

/* ---- BatchNormalization folding ------------------------------------------------------ */

static int fold_bn(struct vis_graph *g, int bi)
{
	struct vis_node *bn = &g->nodes[bi], *p;
	const struct vis_tensor *w, *b;
	int64_t c, i, per, nout;
	float *nw, *nb;
	int pi, k, wid, bid;

	pi = producer_of(g, bn->inputs[0]);
	if (pi < 0)
		return 0;
	p = &g->nodes[pi];
	if ((p->op != VIS_OP_CONV && p->op != VIS_OP_FC) ||
	    p->act != VIS_ACT_NONE || sole_consumer(g, p->outputs[0]) != bi)
		return 0;
	for (k = 1; k < 5; k++)
		if (!T(g, bn->inputs[k])->data)
			return 0;
	w = T(g, p->inputs[1]);
	if (!w->data)
		return 0;
	nout = w->dims[0];
	c = T(g, bn->inputs[1])->dims[0];
	/* FC: BN over dim 1 of a 2-D output; Conv: same layout, channels. */
	if (c != nout ||
	    (p->op == VIS_OP_FC && T(g, p->outputs[0])->rank != 2) ||
	    (p->op == VIS_OP_CONV && p->attrs.layout != bn->attrs.layout))
		return 0;
	b = p->ninputs > 2 && p->inputs[2] >= 0 ? T(g, p->inputs[2]) : NULL;
	nw = dup_data(w);
	nb = calloc(nout ? nout : 1, sizeof(float));
	if (!nw || !nb) {
		free(nw);
		free(nb);
		return -ENOMEM;
	}
	per = vis_tensor_numel(w) / nout;
	for (i = 0; i < nout; i++) {
		float sc = T(g, bn->inputs[1])->data[i];
		float be = T(g, bn->inputs[2])->data[i];
		float mu = T(g, bn->inputs[3])->data[i];
		float va = T(g, bn->inputs[4])->data[i];
		float a = sc / sqrtf(va + bn->attrs.epsilon);
		int64_t j;

		for (j = 0; j < per; j++)
			nw[i * per + j] *= a;
		nb[i] = ((b ? b->data[i] : 0) - mu) * a + be;
	}
	wid = add_const(g, w->name, VIS_DT_FLOAT, w->rank, w->dims, nw);
	if (wid < 0) {
		free(nb);
		return wid;
	}
	bid = add_const(g, T(g, g->nodes[bi].outputs[0])->name, VIS_DT_FLOAT, 1,
			&nout, nb);
	if (bid < 0)
		return bid;
	p = &g->nodes[pi];
	bn = &g->nodes[bi];
	p->inputs[1] = wid;
	p->inputs[2] = bid;
	p->ninputs = 3;
	p->act = bn->act;
	p->act_min = bn->act_min;
	p->act_max = bn->act_max;
	absorb(g, pi, bi);
	return 1;
}

int vis_pass_bn(struct vis_graph *g)
{
	int i, ret, changed = 0;

	for (i = 0; i < g->nnodes; i++) {
		if (g->nodes[i].dead || g->nodes[i].op != VIS_OP_BATCHNORM)
			continue;
		ret = fold_bn(g, i);
		if (ret < 0)
			return ret;
		changed += ret;
	}
	return changed;
}

/* ---- activation fusion ---------------------------------------------------------------- */

static bool takes_act(int op)
{
	switch (op) {
	case VIS_OP_CONV:
	case VIS_OP_FC:
	case VIS_OP_GEMM:
	case VIS_OP_MATMUL:
	case VIS_OP_ADD:
	case VIS_OP_SUB:
	case VIS_OP_MUL:
	case VIS_OP_DIV:
	case VIS_OP_MAXPOOL:
	case VIS_OP_AVGPOOL:
	case VIS_OP_GLOBAL_AVGPOOL:
	case VIS_OP_BATCHNORM:
		return true;
	default:
		return false;
	}
}

/* x * HardSigmoid(x) with ONNX's HardSwish constants is HardSwish(x). */
static int hard_swish(struct vis_graph *g, int mi)
{
	struct vis_node *m = &g->nodes[mi], *h;
	int side, hi;

	if (m->act != VIS_ACT_NONE)
		return 0;
	for (side = 0; side < 2; side++) {
		hi = producer_of(g, m->inputs[side]);
		if (hi < 0 || g->nodes[hi].op != VIS_OP_HARD_SIGMOID)
			continue;
		h = &g->nodes[hi];
		if (h->inputs[0] != m->inputs[1 - side] || h->act ||
		    fabsf(h->attrs.alpha - 1.0f / 6) > 1e-6f ||
		    h->attrs.beta != 0.5f ||
		    sole_consumer(g, h->outputs[0]) != mi)
			continue;
		m->op = VIS_OP_HARD_SWISH;
		m->inputs[0] = m->inputs[1 - side];
		m->ninputs = 1;
		vis_graph_remove_node(g, hi);
		return 1;
	}
	return 0;
}

/* The clamp of @p's fused activation and then Relu/Clip @n, or false. */
static bool merge_clamp(struct vis_node *p, const struct vis_node *n)
{
	float lo = n->op == VIS_OP_RELU ? 0 : n->attrs.alpha;
	float hi = n->op == VIS_OP_RELU ? INFINITY : n->attrs.beta;

	if (p->act == VIS_ACT_NONE && n->op == VIS_OP_RELU) {
		p->act = VIS_ACT_RELU;
		return true;
	}
	if (p->act == VIS_ACT_RELU) {
		lo = lo > 0 ? lo : 0;
	} else if (p->act == VIS_ACT_CLIP) {
		lo = lo > p->act_min ? lo : p->act_min;
		hi = hi < p->act_max ? hi : p->act_max;
	} else if (p->act != VIS_ACT_NONE) {
		return false;
	}
	/* Clamps compose into one clamp unless the ranges are disjoint. */
	if (!(lo <= hi))
		return false;
	p->act = lo == 0 && hi == INFINITY ? VIS_ACT_RELU : VIS_ACT_CLIP;
	p->act_min = lo;
	p->act_max = hi;
	return true;
}

int vis_pass_act(struct vis_graph *g)
{
	int i, changed = 0;

	for (i = 0; i < g->nnodes; i++) {
		struct vis_node *n = &g->nodes[i], *p;
		struct vis_node save;
		int pi;

		if (!n->dead && n->op == VIS_OP_MUL) {
			changed += hard_swish(g, i);
			continue;
		}
		if (n->dead || (n->op != VIS_OP_RELU && n->op != VIS_OP_CLIP) ||
		    n->act != VIS_ACT_NONE)
			continue;
		pi = producer_of(g, n->inputs[0]);
		if (pi < 0)
			continue;
		p = &g->nodes[pi];
		if (!takes_act(p->op) || p->noutputs != 1 ||
		    sole_consumer(g, p->outputs[0]) != i ||
		    T(g, p->outputs[0])->dtype != VIS_DT_FLOAT)
			continue;
		save = *p;
		if (!merge_clamp(p, n)) {
			*p = save;
			continue;
		}
		absorb(g, pi, i);
		changed++;
	}
	return changed;
}

/* ---- dead nodes ------------------------------------------------------------------------ */

int vis_pass_dead(struct vis_graph *g)
{
	int i, j, changed = 0, again = 1;

	while (again) {
		again = 0;
		for (i = g->nnodes - 1; i >= 0; i--) {
			struct vis_node *n = &g->nodes[i];

			if (n->dead)
				continue;
			for (j = 0; j < n->noutputs; j++)
				if (vis_graph_consumers(g, n->outputs[j]))
					break;
			if (j < n->noutputs)
				continue;
			vis_graph_remove_node(g, i);
			changed++;
			again = 1;
		}
	}
	return changed;
}

/* ---- NHWC ----------------------------------------------------------------------------- */

/* A 4-D tensor computed at run time: what moves to NHWC. */
static bool is_img(const struct vis_graph *g, int t, const bool *keep)
{
	return t >= 0 && T(g, t)->rank == 4 && !T(g, t)->data && !keep[t];
}

/* Data of a 4-D NCHW constant (or lower rank, broadcast) in NHWC. */
static int const_to_nhwc(struct vis_graph *g, int t)
{
	const struct vis_tensor *c = T(g, t);
	int64_t d[4] = { 1, 1, 1, 1 }, nd[4], n, ch, h, w;
	float *data;
	int i;

	if (c->rank > 4)
		return -EINVAL;
	for (i = 0; i < c->rank; i++)
		d[4 - c->rank + i] = c->dims[i];
	for (i = 0; i < 4; i++)
		nd[i] = d[perm_to_nhwc[i]];
	data = malloc(sizeof(float) * (vis_tensor_numel(c) + 1));
	if (!data)
		return -ENOMEM;
	for (n = 0; n < d[0]; n++)
		for (ch = 0; ch < d[1]; ch++)
			for (h = 0; h < d[2]; h++)
				for (w = 0; w < d[3]; w++)
					data[((n * d[2] + h) * d[3] + w) * d[1] +
					     ch] =
						c->data[((n * d[1] + ch) * d[2] +
							 h) * d[3] +
							w];
	return add_const(g, c->name, c->dtype, 4, nd, data);
}

/* Conv weights [O, I, KH, KW] -> [O, KH, KW, I] (1-D: [O, I, K]). */
static int conv_weights_to_nhwc(struct vis_graph *g, int ni)
{
	const struct vis_tensor *w = T(g, g->nodes[ni].inputs[1]);
	int64_t o, i, k, nd[4], ks, ci = w->dims[1];
	float *data;
	int id;

	ks = vis_tensor_numel(w) / (w->dims[0] * ci);
	data = malloc(sizeof(float) * (vis_tensor_numel(w) + 1));
	if (!data)
		return -ENOMEM;
	for (o = 0; o < w->dims[0]; o++)
		for (i = 0; i < ci; i++)
			for (k = 0; k < ks; k++)
				data[(o * ks + k) * ci + i] =
					w->data[(o * ci + i) * ks + k];
	nd[0] = w->dims[0];
	for (i = 2; i < w->rank; i++)
		nd[i - 1] = w->dims[i];
	nd[w->rank - 1] = ci;
	id = add_const(g, w->name, w->dtype, w->rank, nd, data);
	if (id < 0)
		return id;
	if (keep_weight_quant(g, id, g->nodes[ni].inputs[1], 0))
		return -ENOMEM;
	g->nodes[ni].inputs[1] = id;
	return 0;
}

/* Memory order is the same in both layouts: C == 1 or H * W == 1. */
static bool layout_free(const int64_t *nchw)
{
	return nchw[1] == 1 || nchw[2] * nchw[3] == 1;
}

/* Add a one-input node @op src -> dst; its id or -errno. */
static int add_unary(struct vis_graph *g, const char *name, int op, int src,
		     int dst)
{
	int id = vis_graph_add_node(g, name, op);

	if (id < 0)
		return id;
	g->nodes[id].inputs[0] = src;
	g->nodes[id].ninputs = 1;
	g->nodes[id].outputs[0] = dst;
	g->nodes[id].noutputs = 1;
	T(g, dst)->producer = id;
	return id;
}

/* Add TRANSPOSE src -> dst with @perm. */
static int add_transpose(struct vis_graph *g, int src, int dst,
			 const int64_t *perm)
{
	char name[300];
	int id;

	snprintf(name, sizeof(name), "%s/transpose", T(g, dst)->name);
	id = add_unary(g, name, VIS_OP_TRANSPOSE, src, dst);
	if (id >= 0)
		memcpy(g->nodes[id].attrs.perm, perm, sizeof(int64_t) * 4);
	return id;
}

/*
 * Keep node @ni in NCHW: its NHWC (already permuted) inputs go through a
 * Transpose to NCHW copies, its outputs come back through one.
 */
static int wrap_nchw(struct vis_graph *g, int ni, const bool *img)
{
	int j, k, t, nt, ret;
	int64_t d[4];

	for (j = 0; j < g->nodes[ni].ninputs; j++) {
		t = g->nodes[ni].inputs[j];
		if (t < 0 || !img[t])
			continue;
		for (k = 0; k < 4; k++)
			d[k] = T(g, t)->dims[perm_to_nchw[k]];
		nt = add_act(g, t, 4, d);
		if (nt < 0)
			return nt;
		ret = add_transpose(g, t, nt, perm_to_nchw);
		if (ret < 0)
			return ret;
		T(g, nt)->layout = VIS_LAYOUT_NCHW;
		g->nodes[ni].inputs[j] = nt;
	}
	for (j = 0; j < g->nodes[ni].noutputs; j++) {
		t = g->nodes[ni].outputs[j];
		if (!img[t])
			continue;
		for (k = 0; k < 4; k++)
			d[k] = T(g, t)->dims[perm_to_nchw[k]];
		nt = add_act(g, t, 4, d);
		if (nt < 0)
			return nt;
		T(g, nt)->layout = VIS_LAYOUT_NCHW;
		g->nodes[ni].outputs[j] = nt;
		T(g, nt)->producer = ni;
		ret = add_transpose(g, nt, t, perm_to_nhwc);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Rewrite node @ni for NHWC; 1 when it must be wrapped instead. */
static int adapt_node(struct vis_graph *g, int ni, const bool *img,
		      const int64_t (*orig)[4])
{
	struct vis_node *n = &g->nodes[ni];
	int j, t, any = 0, ret;
	int64_t p[4];

	for (j = 0; j < n->ninputs; j++)
		any |= n->inputs[j] >= 0 && img[n->inputs[j]];
	for (j = 0; j < n->noutputs; j++)
		any |= img[n->outputs[j]];
	if (!any)
		return 0;
	/* From here every 4-D activation is an image tensor, or we wrap. */
	for (j = 0; j < n->noutputs; j++)
		if (T(g, n->outputs[j])->rank == 4 && !img[n->outputs[j]])
			return 1;
	if (vis_op_activation(n->op))
		return img[n->inputs[0]] ? 0 : 1;
	switch (n->op) {
	case VIS_OP_CONV:
		if (!img[n->inputs[0]] || !T(g, n->inputs[1])->data)
			return 1;
		ret = conv_weights_to_nhwc(g, ni);
		if (ret)
			return ret;
		g->nodes[ni].attrs.layout = VIS_LAYOUT_NHWC;
		return 0;
	case VIS_OP_MAXPOOL:
	case VIS_OP_AVGPOOL:
	case VIS_OP_GLOBAL_AVGPOOL:
	case VIS_OP_BATCHNORM:
		if (!img[n->inputs[0]] || !img[n->outputs[0]])
			return 1;
		n->attrs.layout = VIS_LAYOUT_NHWC;
		return 0;
	case VIS_OP_RESIZE:
		if (!img[n->inputs[0]])
			return 1;
		for (j = 0; j < 4; j++)
			p[j] = j;
		{
			float s[4];

			for (j = 0; j < 4; j++)
				s[j] = n->attrs.resize_scale[perm_to_nhwc[j]];
			memcpy(n->attrs.resize_scale, s, sizeof(s));
		}
		n->attrs.layout = VIS_LAYOUT_NHWC;
		return 0;
	case VIS_OP_IDENTITY:
	case VIS_OP_CAST:
		return img[n->inputs[0]] ? 0 : 1;
	case VIS_OP_QUANTIZE:
	case VIS_OP_DEQUANTIZE:
		if (!img[n->inputs[0]])
			return 1;
		n->attrs.axis = to_nhwc_axis[n->attrs.axis & 3];
		for (j = 0; j < n->noutputs; j++)
			if (T(g, n->outputs[j])->quant.count > 1)
				T(g, n->outputs[j])->quant.axis =
					(int)n->attrs.axis;
		if (T(g, n->inputs[0])->quant.count > 1)
			T(g, n->inputs[0])->quant.axis = (int)n->attrs.axis;
		return 0;
	case VIS_OP_ADD:
	case VIS_OP_SUB:
	case VIS_OP_MUL:
	case VIS_OP_DIV:
	case VIS_OP_CONCAT:
		for (j = 0; j < n->ninputs; j++) {
			t = n->inputs[j];
			if (img[t])
				continue;
			if (!T(g, t)->data ||
			    (n->op == VIS_OP_CONCAT && T(g, t)->rank != 4))
				return 1;
		}
		for (j = 0; j < g->nodes[ni].ninputs; j++) {
			t = g->nodes[ni].inputs[j];
			if (img[t])
				continue;
			ret = const_to_nhwc(g, t);
			if (ret < 0)
				return ret;
			g->nodes[ni].inputs[j] = ret;
		}
		n = &g->nodes[ni];
		if (n->op == VIS_OP_CONCAT)
			n->attrs.axis = to_nhwc_axis[n->attrs.axis];
		return 0;
	case VIS_OP_SOFTMAX:
		if (n->attrs.softmax_2d || !img[n->inputs[0]])
			return 1;
		n->attrs.axis = to_nhwc_axis[n->attrs.axis];
		return 0;
	case VIS_OP_PAD:
		if (!img[n->inputs[0]])
			return 1;
		for (j = 0; j < 4; j++)
			p[j] = n->attrs.pad_begin[perm_to_nhwc[j]];
		for (j = 0; j < 4; j++) {
			int64_t e = n->attrs.pad_end[perm_to_nhwc[j]];

			n->attrs.pad_begin[j] = p[j];
			p[j] = e;
		}
		memcpy(n->attrs.pad_end, p, sizeof(p));
		return 0;
	case VIS_OP_TRANSPOSE:
		if (!img[n->inputs[0]])
			return 1;
		for (j = 0; j < 4; j++)
			p[j] = perm_to_nchw[n->attrs.perm[perm_to_nhwc[j]]];
		memcpy(n->attrs.perm, p, sizeof(p));
		return 0;
	case VIS_OP_RESHAPE:
		/* Into or out of 4-D: fine when the order of memory is. */
		t = n->inputs[0];
		if (img[t] && !layout_free(orig[t]))
			return 1;
		t = n->outputs[0];
		if (img[t] && !layout_free(orig[t]))
			return 1;
		return 0;
	case VIS_OP_FC:
		return img[n->inputs[0]] && !layout_free(orig[n->inputs[0]]);
	default:
		return 1;
	}
}

/* Transpose(perm a) feeding only Transpose(perm b): one Transpose. */
static int merge_transposes(struct vis_graph *g)
{
	int i, p, changed = 0;

	for (i = 0; i < g->nnodes; i++) {
		struct vis_node *n = &g->nodes[i], *q;
		int64_t c[VIS_MAX_RANK];
		int r, k;

		if (n->dead || n->op != VIS_OP_TRANSPOSE)
			continue;
		p = producer_of(g, n->inputs[0]);
		if (p < 0 || g->nodes[p].op != VIS_OP_TRANSPOSE)
			continue;
		q = &g->nodes[p];
		r = T(g, n->inputs[0])->rank;
		for (k = 0; k < r; k++)
			c[k] = q->attrs.perm[n->attrs.perm[k]];
		memcpy(n->attrs.perm, c, sizeof(int64_t) * r);
		n->inputs[0] = q->inputs[0];
		changed++;
	}
	return changed;
}

/* A Transpose moving only unit dimensions is a Reshape. */
static int unit_transposes(struct vis_graph *g)
{
	int i, k, last, changed = 0;

	for (i = 0; i < g->nnodes; i++) {
		struct vis_node *n = &g->nodes[i];
		const struct vis_tensor *x;

		if (n->dead || n->op != VIS_OP_TRANSPOSE)
			continue;
		x = T(g, n->inputs[0]);
		for (k = 0, last = -1; k < x->rank; k++) {
			if (x->dims[n->attrs.perm[k]] == 1)
				continue;
			if (n->attrs.perm[k] < last)
				break;
			last = (int)n->attrs.perm[k];
		}
		if (k < x->rank)
			continue;
		n->op = VIS_OP_RESHAPE;
		changed++;
	}
	return changed;
}

/*
 * Transpose(NHWC -> NCHW) -> Reshape [N, C*H*W] -> FC: reshape the NHWC
 * tensor directly and reorder the FC's weight columns to match.
 */
static int flatten_into_fc(struct vis_graph *g)
{
	int i, changed = 0;

	for (i = 0; i < g->nnodes; i++) {
		struct vis_node *tr = &g->nodes[i];
		const struct vis_tensor *x, *w;
		int ri, fi, wid, k;
		int64_t c, h, wd, o, kk, nout;
		float *nw;

		if (tr->dead || tr->op != VIS_OP_TRANSPOSE)
			continue;
		for (k = 0; k < 4; k++)
			if (tr->attrs.perm[k] != perm_to_nchw[k])
				break;
		x = T(g, tr->inputs[0]);
		if (k < 4 || x->rank != 4 || x->dims[0] != 1)
			continue;
		ri = sole_consumer(g, tr->outputs[0]);
		if (ri < 0 || g->nodes[ri].op != VIS_OP_RESHAPE ||
		    T(g, g->nodes[ri].outputs[0])->rank != 2)
			continue;
		fi = sole_consumer(g, g->nodes[ri].outputs[0]);
		if (fi < 0 || g->nodes[fi].op != VIS_OP_FC ||
		    !T(g, g->nodes[fi].inputs[1])->data)
			continue;
		h = x->dims[1];
		wd = x->dims[2];
		c = x->dims[3];
		w = T(g, g->nodes[fi].inputs[1]);
		nout = w->dims[0];
		if (w->dims[1] != c * h * wd)
			continue;
		nw = malloc(sizeof(float) * (vis_tensor_numel(w) + 1));
		if (!nw)
			return -ENOMEM;
		for (o = 0; o < nout; o++)
			for (kk = 0; kk < c * h * wd; kk++) {
				int64_t ch = kk / (h * wd), y = kk / wd % h,
					xx = kk % wd;

				nw[o * c * h * wd + (y * wd + xx) * c + ch] =
					w->data[o * c * h * wd + kk];
			}
		wid = add_const(g, w->name, w->dtype, 2, w->dims, nw);
		if (wid < 0)
			return wid;
		if (keep_weight_quant(g, wid, g->nodes[fi].inputs[1], 0))
			return -ENOMEM;
		g->nodes[fi].inputs[1] = wid;
		g->nodes[ri].inputs[0] = g->nodes[i].inputs[0];
		changed++;
	}
	return changed;
}

/* Graph I/O keeps NCHW: an Identity on each 4-D side, which moves. */
static int isolate_io(struct vis_graph *g, bool *keep)
{
	int i, t, nt, id;

	for (i = 0; i < g->ninputs; i++) {
		t = g->inputs[i];
		if (T(g, t)->rank != 4)
			continue;
		keep[t] = true;
		nt = add_act(g, t, 4, T(g, t)->dims);
		if (nt < 0)
			return nt;
		vis_graph_replace_uses(g, t, nt);
		id = add_unary(g, "io/in", VIS_OP_IDENTITY, t, nt);
		if (id < 0)
			return id;
	}
	for (i = 0; i < g->noutputs; i++) {
		int p;

		t = g->outputs[i];
		p = producer_of(g, t);
		if (T(g, t)->rank != 4 || T(g, t)->data || p < 0)
			continue;
		keep[t] = true;
		nt = add_act(g, t, 4, T(g, t)->dims);
		if (nt < 0)
			return nt;
		for (id = 0; id < g->nodes[p].noutputs; id++)
			if (g->nodes[p].outputs[id] == t)
				g->nodes[p].outputs[id] = nt;
		/* Other readers of t read nt now. */
		for (id = 0; id < g->nnodes; id++) {
			int j;

			for (j = 0; j < g->nodes[id].ninputs; j++)
				if (g->nodes[id].inputs[j] == t)
					g->nodes[id].inputs[j] = nt;
		}
		id = add_unary(g, "io/out", VIS_OP_IDENTITY, nt, t);
		if (id < 0)
			return id;
	}
	return 0;
}

int vis_pass_nhwc(struct vis_graph *g, bool keep_io, struct vis_error *err)
{
	int64_t(*orig)[4] = NULL;
	bool *img = NULL, *keep = NULL;
	int i, k, nt, nn, ret = 0;

	keep = calloc(g->ntensors + 1, sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	if (keep_io) {
		/* Grows the tensor array: size keep for what it adds. */
		bool *nk = realloc(keep, sizeof(*keep) *
						 (g->ntensors + 2 * g->ninputs +
						  2 * g->noutputs + 1));

		if (!nk) {
			free(keep);
			return -ENOMEM;
		}
		keep = nk;
		memset(keep, 0,
		       sizeof(*keep) * (g->ntensors + 2 * g->ninputs +
					2 * g->noutputs + 1));
		ret = isolate_io(g, keep);
		if (ret)
			goto out;
	}
	nt = g->ntensors;
	nn = g->nnodes;
	img = calloc(nt + 1, sizeof(*img));
	orig = calloc(nt + 1, sizeof(*orig));
	if (!img || !orig) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nt; i++) {
		struct vis_tensor *t = T(g, i);

		img[i] = !t->dead && is_img(g, i, keep);
		if (!img[i])
			continue;
		memcpy(orig[i], t->dims, sizeof(orig[i]));
		for (k = 0; k < 4; k++)
			t->dims[k] = orig[i][perm_to_nhwc[k]];
		t->layout = VIS_LAYOUT_NHWC;
		if (t->quant.count > 1)
			t->quant.axis = (int)to_nhwc_axis[t->quant.axis & 3];
	}
	for (i = 0; i < nn; i++) {
		if (g->nodes[i].dead)
			continue;
		ret = adapt_node(g, i, img, (const int64_t(*)[4])orig);
		if (ret < 0)
			goto out;
		if (ret == 1) {
			ret = wrap_nchw(g, i, img);
			if (ret < 0)
				goto out;
		}
	}
	ret = vis_graph_check(g, err);
	if (ret)
		goto out;
	do {
		ret = merge_transposes(g);
		ret = ret < 0 ? ret : ret + unit_transposes(g);
		ret = ret < 0 ? ret : ret + vis_pass_identity(g);
		k = ret < 0 ? ret : flatten_into_fc(g);
		if (k < 0) {
			ret = k;
			goto out;
		}
		ret += k + vis_pass_dead(g);
	} while (ret > 0);
	ret = vis_graph_check(g, err);
out:
	free(img);
	free(orig);
	free(keep);
	return ret;
}

/* ---- driver ----------------------------------------------------------------------------- */

int vis_graph_optimize(struct vis_graph *g, unsigned int flags,
		       struct vis_error *err)
{
	int ret, changed, rounds = 0;

	do {
		changed = 0;
		if (flags & VIS_PASS_FOLD) {
			ret = vis_pass_fold(g, err);
			if (ret < 0)
				goto fail;
			changed += ret;
		}
		if (flags & VIS_PASS_IDENTITY)
			changed += vis_pass_identity(g);
		if (flags & VIS_PASS_FC) {
			ret = vis_pass_fc(g);
			if (ret < 0)
				goto fail;
			changed += ret;
		}
		if (flags & VIS_PASS_BN) {
			ret = vis_pass_bn(g);
			if (ret < 0)
				goto fail;
			changed += ret;
		}
		if (flags & VIS_PASS_ACT)
			changed += vis_pass_act(g);
		if (flags & VIS_PASS_DEAD)
			changed += vis_pass_dead(g);
	} while (changed && ++rounds < 32);
	ret = vis_graph_compact(g);
	if (ret)
		goto fail;
	if (flags & VIS_PASS_NHWC) {
		ret = vis_pass_nhwc(g, flags & VIS_PASS_KEEP_IO_LAYOUT, err);
		if (ret)
			goto fail;
		ret = vis_graph_compact(g);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	if (err && !err->msg[0])
		vis_errorf(err, -ret, "graph pass failed: %s", strerror(-ret));
	return ret;
}
