// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Structured (channel) pruning of the float graph: see prune_channel.h.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "float_interp.h"
#include "linalg.h"
#include "prune.h"
#include "prune_channel.h"

/* Nodes and tensors one producer's channels may flow through. */
#define PC_MAX_CHAIN 64
/* Patches gathered before each accumulation, to amortise its threads. */
#define PC_BATCH_PATCHES 4096
/* Damping raised tenfold at most this often before giving up. */
#define PC_MAX_RETRIES 8

void prune_channel_opts_init(struct prune_channel_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sparsity = 0.3;
	o->reconstruct = true;
}

void prune_channel_report_free(struct prune_channel_report *rep)
{
	PRUNE_REPORT_FREE(rep);
}

static bool pc_is_layer(const struct vis_node *n)
{
	return !n->dead && (n->op == VIS_OP_CONV || n->op == VIS_OP_FC) &&
	       n->ninputs >= 2 && n->inputs[0] >= 0 && n->inputs[1] >= 0 &&
	       n->noutputs >= 1;
}

void prune_channel_cost(const struct vis_graph *g, uint64_t *macs,
			uint64_t *weights)
{
	uint64_t m = 0, w = 0;
	int i;

	for (i = 0; i < g->nnodes; i++) {
		const struct vis_node *n = &g->nodes[i];
		const struct vis_tensor *wt;
		int64_t k;

		if (!pc_is_layer(n))
			continue;
		wt = &g->tensors[n->inputs[1]];
		if (!wt->rank || wt->dims[0] <= 0)
			continue;
		k = vis_tensor_numel(wt) / wt->dims[0];
		m += (uint64_t)(vis_tensor_numel(&g->tensors[n->outputs[0]]) *
				k);
		w += (uint64_t)vis_tensor_numel(wt);
		if (n->ninputs >= 3 && n->inputs[2] >= 0)
			w += (uint64_t)vis_tensor_numel(
				&g->tensors[n->inputs[2]]);
	}
	*macs = m;
	*weights = w;
}

/* ---- which channels flow where ------------------------------------------- */

/* A layer reading the channels: loses input columns, is re-solved. */
struct pc_term {
	int node;
	size_t spatial; /* columns per channel: KH * KW, or H * W of a Flatten */
};

/* Everything that changes when producer @p loses channels. */
struct pc_plan {
	int p;
	size_t c; /* its output channels */
	int nterm;
	struct pc_term term[PC_MAX_CHAIN];
	int ndw;
	int dw[PC_MAX_CHAIN]; /* depthwise convs losing the same channels */
	int nt;
	int t[PC_MAX_CHAIN]; /* activations whose last dim is spatial * c */
	size_t t_spatial[PC_MAX_CHAIN];
};

static bool pc_unary(int op)
{
	return op == VIS_OP_IDENTITY || vis_op_activation(op) != VIS_ACT_NONE;
}

static bool pc_binary(int op)
{
	return op == VIS_OP_ADD || op == VIS_OP_SUB || op == VIS_OP_MUL ||
	       op == VIS_OP_DIV;
}

/* A constant only node @ni reads (so rewriting it touches nothing else). */
static bool pc_own_const(const struct vis_graph *g, int t)
{
	return t >= 0 && g->tensors[t].data && vis_graph_consumers(g, t) == 1 &&
	       !g->tensors[t].quant.count;
}

/* Conv weights [O, KH, KW, I] over an NHWC batch-1 input. */
static bool pc_nhwc_conv(const struct vis_graph *g, const struct vis_node *n)
{
	const struct vis_tensor *x = &g->tensors[n->inputs[0]];
	const struct vis_tensor *w = &g->tensors[n->inputs[1]];
	const struct vis_tensor *y = &g->tensors[n->outputs[0]];

	return n->attrs.layout == VIS_LAYOUT_NHWC && x->rank == 4 &&
	       y->rank == 4 && w->rank == 4 && x->dims[0] == 1 && !x->data &&
	       w->data && w->dims[0] == y->dims[3];
}

static bool pc_bias_ok(const struct vis_graph *g, const struct vis_node *n,
		       int64_t rows)
{
	if (n->ninputs < 3 || n->inputs[2] < 0)
		return true;
	return pc_own_const(g, n->inputs[2]) &&
	       vis_tensor_numel(&g->tensors[n->inputs[2]]) == rows;
}

#define PC_WHY_LEN sizeof(((struct prune_channel_layer *)0)->why)

/* Why a producer stays, into @why; returns -1. */
static __attribute__((format(printf, 2, 3))) int pc_whyf(char *why,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, PC_WHY_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

/* @fmt names the operator and the node @n. */
#define pc_why(why, fmt, n) pc_whyf(why, fmt, vis_op_name((n)->op), (n)->name)

/*
 * Follow activation @t (last dim @sp * @p->c) to its readers. Returns 0,
 * or -1 with @why filled when something on the way cannot be rewritten.
 */
static int pc_follow(const struct vis_graph *g, struct pc_plan *p, int t,
		     size_t sp, char *why)
{
	const struct vis_tensor *tt = &g->tensors[t];
	int i, j;

	if (vis_graph_is_output(g, t)) {
		snprintf(why, PC_WHY_LEN, "reaches graph output %s", tt->name);
		return -1;
	}
	if (tt->quant.count || !tt->rank ||
	    tt->dims[tt->rank - 1] != (int64_t)(sp * p->c)) {
		snprintf(why, PC_WHY_LEN,
			 "tensor %s does not hold the channels last", tt->name);
		return -1;
	}
	if (p->nt == PC_MAX_CHAIN) {
		snprintf(why, PC_WHY_LEN,
			 "its channels reach too many operators");
		return -1;
	}
	p->t_spatial[p->nt] = sp;
	p->t[p->nt++] = t;
	for (i = 0; i < g->nnodes; i++) {
		const struct vis_node *n = &g->nodes[i];
		const struct vis_tensor *w;
		int at = -1, other;

		if (n->dead)
			continue;
		for (j = 0; j < n->ninputs; j++)
			if (n->inputs[j] == t) {
				if (at >= 0 && !pc_binary(n->op))
					return pc_why(
						why, "%s %s reads it twice", n);
				at = j;
			}
		if (at < 0)
			continue;
		if (n->noutputs < 1 || n->outputs[0] < 0)
			return pc_why(why, "%s %s has no output", n);
		if (pc_binary(n->op)) {
			other = n->ninputs == 2 ? n->inputs[1 - at] : -1;
			if (other < 0 || !g->tensors[other].data ||
			    vis_tensor_numel(&g->tensors[other]) != 1)
				return pc_why(
					why,
					"reaches %s %s, which joins it with another tensor",
					n);
			if (pc_follow(g, p, n->outputs[0], sp, why))
				return -1;
			continue;
		}
		if (at != 0)
			return pc_why(why, "reaches %s %s as a parameter", n);
		if (pc_unary(n->op)) {
			if (pc_follow(g, p, n->outputs[0], sp, why))
				return -1;
			continue;
		}
		switch (n->op) {
		case VIS_OP_MAXPOOL:
		case VIS_OP_AVGPOOL:
		case VIS_OP_GLOBAL_AVGPOOL:
			if (sp != 1 || n->attrs.layout != VIS_LAYOUT_NHWC ||
			    tt->rank != 4)
				return pc_why(why, "%s %s is not an NHWC pool",
					      n);
			if (pc_follow(g, p, n->outputs[0], 1, why))
				return -1;
			continue;
		case VIS_OP_RESHAPE: {
			const struct vis_tensor *y = &g->tensors[n->outputs[0]];

			/* Flatten of [1, H, W, C]: channel fastest. */
			if (sp != 1 || tt->rank != 4 || tt->dims[0] != 1 ||
			    tt->layout == VIS_LAYOUT_NCHW || y->rank != 2 ||
			    y->dims[0] != 1 ||
			    y->dims[1] != vis_tensor_numel(tt))
				return pc_why(why,
					      "%s %s is not a Flatten of NHWC",
					      n);
			if (pc_follow(g, p, n->outputs[0],
				      (size_t)(tt->dims[1] * tt->dims[2]), why))
				return -1;
			continue;
		}
		case VIS_OP_CONV:
			if (n->ninputs < 2 || n->inputs[1] < 0 ||
			    !pc_nhwc_conv(g, n) || sp != 1 ||
			    !pc_own_const(g, n->inputs[1]))
				return pc_why(why, "%s %s cannot be rewritten",
					      n);
			w = &g->tensors[n->inputs[1]];
			if (n->attrs.group == (int64_t)p->c &&
			    w->dims[0] == (int64_t)p->c && w->dims[3] == 1) {
				if (!pc_bias_ok(g, n, w->dims[0]) ||
				    p->ndw == PC_MAX_CHAIN)
					return pc_why(
						why,
						"%s %s cannot be rewritten", n);
				p->dw[p->ndw++] = i;
				if (pc_follow(g, p, n->outputs[0], 1, why))
					return -1;
				continue;
			}
			if (n->attrs.group != 1 || w->dims[3] != (int64_t)p->c)
				return pc_why(why, "reaches grouped %s %s", n);
			if (!pc_bias_ok(g, n, w->dims[0]) ||
			    p->nterm == PC_MAX_CHAIN)
				return pc_why(why, "%s %s cannot be rewritten",
					      n);
			p->term[p->nterm].node = i;
			p->term[p->nterm++].spatial =
				(size_t)(w->dims[1] * w->dims[2]);
			continue;
		case VIS_OP_FC:
			if (n->ninputs < 2 || n->inputs[1] < 0 ||
			    !pc_own_const(g, n->inputs[1]))
				return pc_why(why, "%s %s cannot be rewritten",
					      n);
			w = &g->tensors[n->inputs[1]];
			if (w->rank != 2 ||
			    w->dims[1] != (int64_t)(sp * p->c) ||
			    !pc_bias_ok(g, n, w->dims[0]) ||
			    p->nterm == PC_MAX_CHAIN)
				return pc_why(why, "%s %s cannot be rewritten",
					      n);
			p->term[p->nterm].node = i;
			p->term[p->nterm++].spatial = sp;
			continue;
		case VIS_OP_CONCAT:
			return pc_why(why, "reaches %s %s", n);
		default:
			return pc_why(
				why, "reaches %s %s, which cannot be rewritten",
				n);
		}
	}
	return 0;
}

/* Whether node @ni can lose output channels; fills @p or @why. */
static bool pc_plan_of(const struct vis_graph *g, int ni, struct pc_plan *p,
		       char *why)
{
	const struct vis_node *n = &g->nodes[ni];
	const struct vis_tensor *w = &g->tensors[n->inputs[1]];
	const struct vis_tensor *y = &g->tensors[n->outputs[0]];

	memset(p, 0, sizeof(*p));
	p->p = ni;
	if (!w->data || w->rank < 2 || w->dims[0] < 1) {
		pc_why(why, "%s %s has no constant weights", n);
		return false;
	}
	if (n->op == VIS_OP_CONV) {
		if (!pc_nhwc_conv(g, n)) {
			pc_why(why, "%s %s is not an NHWC convolution", n);
			return false;
		}
		if (n->attrs.group != 1) {
			snprintf(
				why, PC_WHY_LEN,
				"grouped or depthwise: its channels are its input's");
			return false;
		}
	} else if (w->rank != 2 || !y->rank ||
		   y->dims[y->rank - 1] != w->dims[0]) {
		pc_why(why, "%s %s is not [.., N] = [.., K] x [N, K]^T", n);
		return false;
	}
	if (!pc_own_const(g, n->inputs[1]) || !pc_bias_ok(g, n, w->dims[0])) {
		snprintf(why, PC_WHY_LEN,
			 "weights or bias shared or quantized");
		return false;
	}
	p->c = (size_t)w->dims[0];
	if (pc_follow(g, p, n->outputs[0], 1, why))
		return false;
	if (!p->nterm) {
		snprintf(why, PC_WHY_LEN,
			 "no convolution or FC reads its channels");
		return false;
	}
	return true;
}

/* ---- calibration statistics of one consumer ------------------------------ */

/*
 * Over the calibration set: X (the consumer's input patches in the graph
 * pruned so far) and X0 (in the unpruned graph): H = X^T X, H0 = X0^T X0
 * and G = X^T X0, with the column sums.
 */
struct pc_stats {
	struct prune_hessian h;
	struct prune_hessian h0;
	double *g;
	struct prune_im2col patches;
	float *buf, *buf0;
	size_t fill;
};

static int pc_stats_init(struct pc_stats *s, const struct vis_graph *g, int ni,
			 size_t per)
{
	int ret;

	memset(s, 0, sizeof(*s));
	prune_im2col_init(&s->patches, g, &g->nodes[ni]);
	if (!s->patches.npatch)
		return -EINVAL;
	ret = prune_hessian_init(&s->h, s->patches.k);
	if (!ret)
		ret = prune_hessian_init(&s->h0, s->patches.k);
	if (ret)
		return ret;
	s->g = calloc(s->patches.k * s->patches.k, sizeof(*s->g));
	s->buf = malloc(per * s->patches.npatch * s->patches.k * sizeof(float));
	s->buf0 =
		malloc(per * s->patches.npatch * s->patches.k * sizeof(float));
	return s->g && s->buf && s->buf0 ? 0 : -ENOMEM;
}

static void pc_stats_release(struct pc_stats *s)
{
	prune_hessian_release(&s->h);
	prune_hessian_release(&s->h0);
	free(s->g);
	free(s->buf);
	free(s->buf0);
	memset(s, 0, sizeof(*s));
}

static int pc_stats_flush(struct pc_stats *s, unsigned int nthreads)
{
	size_t rows = s->fill * s->patches.npatch;
	struct linalg_mat a = { s->buf, s->patches.k, true, true };
	struct linalg_mat b = { s->buf0, s->patches.k, false, true };
	int ret;

	if (!rows)
		return 0;
	ret = prune_hessian_add(&s->h, s->buf, rows, nthreads);
	if (!ret)
		ret = prune_hessian_add(&s->h0, s->buf0, rows, nthreads);
	if (!ret)
		ret = linalg_gemm(s->patches.k, s->patches.k, rows, 1.0, &a, &b,
				  s->g, s->patches.k, LINALG_FULL, nthreads);
	s->fill = 0;
	return ret;
}

/*
 * Run the calibration set through @g (pruned so far) and @g0 (@ip0, the
 * unpruned graph) and gather every consumer's statistics.
 */
static int pc_gather(const struct vis_graph *g, struct vis_interp *ip0,
		     const struct pc_plan *p, struct pc_stats *st,
		     const float *calib, size_t n, size_t in_elems,
		     unsigned int nthreads, struct vis_error *err)
{
	struct vis_interp *ip = NULL;
	size_t per = 1, i;
	int t, ret;

	for (t = 0; t < p->nterm; t++) {
		const struct vis_node *c = &g->nodes[p->term[t].node];
		const struct vis_tensor *w = &g->tensors[c->inputs[1]];
		size_t np =
			(size_t)vis_tensor_numel(&g->tensors[c->outputs[0]]) /
			(size_t)w->dims[0];
		size_t q = PC_BATCH_PATCHES / (np ? np : 1);

		if (t == 0 || q < per)
			per = q;
	}
	if (!per)
		per = 1;
	if (per > n)
		per = n;
	for (t = 0; t < p->nterm; t++) {
		ret = pc_stats_init(&st[t], g, p->term[t].node, per);
		if (ret)
			return vis_errorf(err, -ret, "%s: %s",
					  g->nodes[p->term[t].node].name,
					  strerror(-ret));
	}
	ret = vis_interp_create(g, (int)nthreads, &ip, err);
	for (i = 0; !ret && i < n; i++) {
		const float *in = calib + i * in_elems;

		ret = vis_interp_run(ip, &in, NULL, err);
		if (!ret)
			ret = vis_interp_run(ip0, &in, NULL, err);
		for (t = 0; !ret && t < p->nterm; t++) {
			struct pc_stats *s = &st[t];
			int x = g->nodes[p->term[t].node].inputs[0];
			size_t off = s->fill * s->patches.npatch * s->patches.k;

			prune_im2col(&s->patches, vis_interp_tensor(ip, x),
				     s->buf + off);
			prune_im2col(&s->patches, vis_interp_tensor(ip0, x),
				     s->buf0 + off);
			if (++s->fill == per || i + 1 == n)
				ret = pc_stats_flush(s, nthreads);
		}
	}
	vis_interp_destroy(ip);
	if (ret && !err->msg[0])
		vis_errorf(err, -ret, "%s: gathering its consumers' inputs: %s",
			   g->nodes[p->p].name,
			   ret == -EINVAL ? "non-finite activations" :
					    strerror(-ret));
	return ret;
}

/* ---- the consumer's new weights ------------------------------------------ */

static double pc_dot(const double *a, const float *b, size_t n)
{
	double v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v += a[i] * b[i];
	return v;
}

/*
 * New weights @wn (rows x k, removed columns 0) and bias @bn of a consumer
 * with weights @w, bias @b (NULL: none), given @st and the kept columns
 * @keep; *@e gets the output error and *@base ||X0 W^T||^2.
 */
static int pc_solve(const struct pc_stats *st, const float *w, const float *b,
		    size_t rows, const uint8_t *keep, bool reconstruct,
		    double percdamp, unsigned int nthreads, float *wn,
		    float *bn, double *e, double *base)
{
	size_t k = st->patches.k, ns = 0, i, j, r, tries;
	double nn = (double)st->h.n, *mu = NULL, *mu0 = NULL, *a = NULL;
	double *l = NULL, *x = NULL, *cw = NULL, lambda, md;
	size_t *s = NULL;
	int ret = -ENOMEM;

	mu = malloc(k * sizeof(*mu));
	mu0 = malloc(k * sizeof(*mu0));
	s = malloc(k * sizeof(*s));
	cw = malloc(k * sizeof(*cw));
	x = malloc(k * sizeof(*x));
	if (!mu || !mu0 || !s || !cw || !x)
		goto out;
	ret = prune_hessian_mean(&st->h, mu);
	if (!ret)
		ret = prune_hessian_mean(&st->h0, mu0);
	if (ret)
		goto out;
	for (j = 0; j < k; j++)
		if (keep[j])
			s[ns++] = j;
	ret = -ENOMEM;
	a = malloc(ns * ns * sizeof(*a));
	l = malloc(ns * ns * sizeof(*l));
	if (!a || !l)
		goto out;
	/* Centred covariance of the kept columns: C_SS. */
	for (i = 0; i < ns; i++)
		for (j = 0; j < ns; j++)
			a[i * ns + j] = st->h.h[s[i] * k + s[j]] -
					nn * mu[s[i]] * mu[s[j]];
	md = linalg_mean_diag(a, ns, ns);
	lambda = (percdamp > 0 ? percdamp : PRUNE_CHANNEL_PERCDAMP) *
		 (md > 0 ? md : 1.0);
	/* Only the re-solve needs the factor. */
	for (tries = 0; reconstruct; tries++) {
		memcpy(l, a, ns * ns * sizeof(*l));
		linalg_add_diag(l, ns, ns, lambda);
		ret = linalg_cholesky(l, ns, ns, nthreads);
		if (ret != -EDOM || tries == PC_MAX_RETRIES)
			break;
		lambda *= 10;
	}
	if (reconstruct && ret)
		goto out;
	*e = 0;
	*base = 0;
	for (r = 0; r < rows; r++) {
		const float *wr = w + r * k;
		double q0 = 0, qx = 0, qs = 0, bias = b ? b[r] : 0;
		double m0w = pc_dot(mu0, wr, k);

		/* w^T H0 w for the base, w^T C00 w for the error. */
		for (i = 0; i < k; i++) {
			double hw = 0;

			for (j = 0; j < k; j++)
				hw += st->h0.h[i * k + j] * wr[j];
			q0 += wr[i] * hw;
		}
		*base += q0;
		bias += m0w;
		q0 -= nn * m0w * m0w;
		/* cw = C_S0 w, the cross-covariance times the target. */
		for (i = 0; i < ns; i++) {
			const double *gr = st->g + s[i] * k;
			double v = 0;

			for (j = 0; j < k; j++)
				v += gr[j] * wr[j];
			cw[i] = v - nn * mu[s[i]] * m0w;
		}
		for (i = 0; i < ns; i++)
			x[i] = reconstruct ? cw[i] + lambda * wr[s[i]] :
					     wr[s[i]];
		if (reconstruct)
			linalg_cholesky_solve(l, ns, ns, x);
		/* error = w'^T C_SS w' - 2 w'^T cw + w^T C00 w */
		for (i = 0; i < ns; i++) {
			double v = 0;

			for (j = 0; j < ns; j++)
				v += a[i * ns + j] * x[j];
			qx += x[i] * v;
			qs += x[i] * cw[i];
		}
		*e += fmax(qx - 2 * qs + q0, 0);
		memset(wn + r * k, 0, k * sizeof(*wn));
		for (i = 0; i < ns; i++) {
			wn[r * k + s[i]] = (float)x[i];
			bias -= mu[s[i]] * x[i];
		}
		bn[r] = (float)bias;
		if (!isfinite(bn[r])) {
			ret = -EDOM;
			goto out;
		}
	}
	ret = 0;
out:
	free(mu);
	free(mu0);
	free(s);
	free(cw);
	free(x);
	free(a);
	free(l);
	return ret;
}

/* ---- the rewrite --------------------------------------------------------- */

/* Keep rows @map (@kept of them) of the constant @t, [rows, ...]. */
static int pc_gather_rows(struct vis_tensor *t, const size_t *map, size_t kept)
{
	size_t rows = (size_t)t->dims[0];
	size_t cols = (size_t)(vis_tensor_numel(t) / t->dims[0]);
	float *nd = malloc((kept * cols + 1) * sizeof(*nd));
	int ret;

	if (!nd)
		return -ENOMEM;
	ret = prune_gather(t->data, rows, cols, map, kept, NULL, cols, nd);
	if (ret) {
		free(nd);
		return ret;
	}
	vis_tensor_set_data(t, nd);
	t->dims[0] = (int64_t)kept;
	return 0;
}

/* The bias of node @ni, created as zeros when it has none; its id. */
static int pc_bias(struct vis_graph *g, int ni)
{
	struct vis_node *n = &g->nodes[ni];
	int64_t dims[1] = { g->tensors[n->inputs[1]].dims[0] };
	int t;

	if (n->ninputs >= 3 && n->inputs[2] >= 0)
		return n->inputs[2];
	t = vis_graph_add_tensor(g, NULL, VIS_DT_FLOAT, 1, dims);
	if (t < 0)
		return t;
	if (vis_tensor_alloc_data(&g->tensors[t]))
		return -ENOMEM;
	g->nodes[ni].inputs[2] = t;
	g->nodes[ni].ninputs = 3;
	return t;
}

/*
 * Remove the channels @keep marks 0 (@map: the kept ones, @kept of them)
 * from the producer, the depthwise convs and activations of @p, and the
 * columns from the consumers, whose new full-width weights and biases
 * are @wn[t], @bn[t].
 */
static int pc_apply(struct vis_graph *g, const struct pc_plan *p,
		    const uint8_t *keep, const size_t *map, size_t kept,
		    float *const *wn, float *const *bn)
{
	const struct vis_node *n = &g->nodes[p->p];
	size_t *col = NULL, nk;
	int i, ret;

	ret = pc_gather_rows(&g->tensors[n->inputs[1]], map, kept);
	if (!ret && n->ninputs >= 3 && n->inputs[2] >= 0)
		ret = pc_gather_rows(&g->tensors[n->inputs[2]], map, kept);
	for (i = 0; !ret && i < p->ndw; i++) {
		struct vis_node *d = &g->nodes[p->dw[i]];

		ret = pc_gather_rows(&g->tensors[d->inputs[1]], map, kept);
		if (!ret && d->ninputs >= 3 && d->inputs[2] >= 0)
			ret = pc_gather_rows(&g->tensors[d->inputs[2]], map,
					     kept);
		d->attrs.group = (int64_t)kept;
	}
	for (i = 0; !ret && i < p->nt; i++) {
		struct vis_tensor *t = &g->tensors[p->t[i]];

		t->dims[t->rank - 1] = (int64_t)(p->t_spatial[i] * kept);
	}
	for (i = 0; !ret && i < p->nterm; i++) {
		const struct vis_node *c = &g->nodes[p->term[i].node];
		struct vis_tensor *w = &g->tensors[c->inputs[1]];
		struct vis_tensor *b = &g->tensors[c->inputs[2]];
		size_t rows = (size_t)w->dims[0], sp = p->term[i].spatial;
		size_t k = (size_t)(vis_tensor_numel(w) / w->dims[0]);
		float *nd;

		col = malloc(sp * p->c * sizeof(*col));
		nd = malloc(rows * sp * kept * sizeof(*nd));
		ret = -ENOMEM;
		if (col && nd)
			ret = prune_channel_maps(keep, p->c, sp, true, NULL,
						 col, &nk);
		if (!ret && (nk != kept || sp * p->c != k))
			ret = -EINVAL;
		if (!ret)
			ret = prune_gather(wn[i], rows, k, NULL, rows, col,
					   sp * kept, nd);
		free(col);
		col = NULL;
		if (ret) {
			free(nd);
			break;
		}
		vis_tensor_set_data(w, nd);
		w->dims[w->rank - 1] =
			(int64_t)(c->op == VIS_OP_FC ? sp * kept : kept);
		memcpy(b->data, bn[i], rows * sizeof(float));
	}
	return ret;
}

/* ---- one producer -------------------------------------------------------- */

struct pc_ctx {
	struct vis_graph *g; /* being pruned */
	struct vis_interp *ip0; /* the unpruned graph */
	const float *calib;
	size_t n, in_elems;
	const struct prune_channel_opts *o;
	struct vis_error *err;
};

static int pc_prune(struct pc_ctx *cx, struct pc_plan *p,
		    struct prune_channel_layer *rl, size_t kept)
{
	struct vis_graph *g = cx->g;
	const struct vis_tensor *w = &g->tensors[g->nodes[p->p].inputs[1]];
	size_t cols = (size_t)(vis_tensor_numel(w) / w->dims[0]), i;
	struct pc_stats st[PC_MAX_CHAIN];
	float *wn[PC_MAX_CHAIN] = { NULL }, *bn[PC_MAX_CHAIN] = { NULL };
	double *score = NULL, mean = 0, e_all = 0, base_all = 0, e = 0;
	double base = 0;
	uint8_t *keep = NULL, *ck = NULL;
	size_t *map = NULL, nk;
	int t, ret;

	memset(st, 0, sizeof(st));
	for (t = 0; t < p->nterm; t++) {
		ret = pc_bias(g, p->term[t].node);
		if (ret < 0)
			return vis_errorf(cx->err, -ret,
					  "%s: no room for a bias",
					  g->nodes[p->term[t].node].name);
	}
	w = &g->tensors[g->nodes[p->p].inputs[1]];
	score = malloc(p->c * sizeof(*score));
	keep = malloc(p->c);
	map = malloc(p->c * sizeof(*map));
	if (!score || !keep || !map) {
		ret = vis_errorf(cx->err, ENOMEM, "out of memory");
		goto out;
	}
	/* Mean |w| of each filter, relative to the layer's mean. */
	prune_channel_l1(w->data, p->c, cols, score);
	for (i = 0; i < p->c; i++)
		mean += (score[i] /= (double)cols) / (double)p->c;
	for (i = 0; i < p->c && mean > 0; i++)
		score[i] /= mean;
	ret = prune_channel_select(score, p->c, kept, keep);
	if (!ret)
		ret = prune_channel_maps(keep, p->c, 1, true, map, NULL, &nk);
	if (ret) {
		ret = vis_errorf(cx->err, -ret, "%s: non-finite weights",
				 g->nodes[p->p].name);
		goto out;
	}
	rl->score_min = INFINITY;
	for (i = 0; i < nk; i++)
		rl->score_min = fmin(rl->score_min, score[map[i]]);
	ret = pc_gather(g, cx->ip0, p, st, cx->calib, cx->n, cx->in_elems,
			cx->o->nthreads, cx->err);
	if (ret)
		goto out;
	for (t = 0; t < p->nterm; t++) {
		const struct vis_node *c = &g->nodes[p->term[t].node];
		const struct vis_tensor *cw = &g->tensors[c->inputs[1]];
		size_t rows = (size_t)cw->dims[0], k = st[t].patches.k;

		wn[t] = malloc(rows * k * sizeof(float));
		bn[t] = malloc(rows * sizeof(float));
		ck = malloc(k);
		if (!wn[t] || !bn[t] || !ck) {
			ret = vis_errorf(cx->err, ENOMEM, "out of memory");
			goto out;
		}
		/* Conv columns [KH][KW][C] and Flatten's [H][W][C] alike. */
		for (i = 0; i < k; i++)
			ck[i] = keep[i % p->c];
		ret = pc_solve(&st[t], cw->data, g->tensors[c->inputs[2]].data,
			       rows, ck, cx->o->reconstruct, cx->o->percdamp,
			       cx->o->nthreads, wn[t], bn[t], &e, &base);
		free(ck);
		ck = NULL;
		pc_stats_release(&st[t]);
		if (ret) {
			vis_errorf(cx->err, -ret, "%s: re-solving it: %s",
				   c->name,
				   ret == -EDOM ?
					   "singular calibration system" :
					   strerror(-ret));
			goto out;
		}
		e_all += e;
		base_all += base;
	}
	ret = pc_apply(g, p, keep, map, nk, wn, bn);
	if (ret) {
		vis_errorf(cx->err, -ret, "%s: rewriting the graph: %s",
			   g->nodes[p->p].name, strerror(-ret));
		goto out;
	}
	rl->pruned = true;
	rl->consumers = (unsigned int)p->nterm;
	rl->rel_err = base_all > 0 ? sqrt(e_all / base_all) : 0;
out:
	for (t = 0; t < p->nterm; t++) {
		pc_stats_release(&st[t]);
		free(wn[t]);
		free(bn[t]);
	}
	free(ck);
	free(score);
	free(keep);
	free(map);
	return ret;
}

/* ---- the whole graph ----------------------------------------------------- */

static int pc_check(const struct vis_graph *g, const float *calib, size_t n,
		    const struct prune_channel_opts *o, struct vis_error *err)
{
	size_t i, elems;

	if (!g || !calib || !o)
		return vis_errorf(err, EINVAL,
				  "no graph, options or calibration data");
	if (!(o->sparsity > 0 && o->sparsity < 1))
		return vis_errorf(err, EINVAL,
				  "channel sparsity %g is not in (0, 1)",
				  o->sparsity);
	if (!(o->percdamp >= 0) || !isfinite(o->percdamp))
		return vis_errorf(err, EINVAL, "damping %g is not >= 0",
				  o->percdamp);
	if (!n)
		return vis_errorf(err, EINVAL,
				  "channel pruning needs calibration data");
	if (g->ninputs != 1 || g->tensors[g->inputs[0]].dtype != VIS_DT_FLOAT)
		return vis_errorf(
			err, EINVAL,
			"channel pruning needs one float graph input");
	elems = (size_t)vis_tensor_numel(&g->tensors[g->inputs[0]]);
	for (i = 0; i < n * elems; i++)
		if (!isfinite(calib[i]))
			return vis_errorf(
				err, EINVAL,
				"calibration input %zu holds a non-finite value",
				i / elems);
	return 0;
}

/* The report's entry of every CONV/FC, before anything changes. */
static int pc_report_init(const struct vis_graph *g,
			  struct prune_channel_report *rep, int *layer_of)
{
	int i;

	memset(rep, 0, sizeof(*rep));
	for (i = 0; i < g->nnodes; i++)
		rep->nlayers += pc_is_layer(&g->nodes[i]);
	rep->layers =
		calloc(rep->nlayers ? rep->nlayers : 1, sizeof(*rep->layers));
	if (!rep->layers)
		return -ENOMEM;
	rep->nlayers = 0;
	for (i = 0; i < g->nnodes; i++) {
		const struct vis_node *n = &g->nodes[i];
		struct prune_channel_layer *l;
		const struct vis_tensor *w;

		layer_of[i] = -1;
		if (!pc_is_layer(n))
			continue;
		layer_of[i] = (int)rep->nlayers;
		l = &rep->layers[rep->nlayers++];
		w = &g->tensors[n->inputs[1]];
		l->name = strdup(n->name);
		if (!l->name)
			return -ENOMEM;
		l->node = i;
		l->op = n->op;
		l->channels = w->rank ? (size_t)w->dims[0] : 0;
		l->weights = (uint64_t)vis_tensor_numel(w);
	}
	prune_channel_cost(g, &rep->macs, &rep->weights);
	return 0;
}

static void pc_report_done(const struct vis_graph *g,
			   struct prune_channel_report *rep)
{
	size_t i;

	for (i = 0; i < rep->nlayers; i++) {
		struct prune_channel_layer *l = &rep->layers[i];
		const struct vis_tensor *w =
			&g->tensors[g->nodes[l->node].inputs[1]];

		l->kept = w->rank ? (size_t)w->dims[0] : 0;
		l->weights_after = (uint64_t)vis_tensor_numel(w);
		rep->npruned += l->pruned;
	}
	prune_channel_cost(g, &rep->macs_after, &rep->weights_after);
}

/* Why nothing could be pruned, layer by layer, into @err. */
static int pc_nothing(const struct prune_channel_report *rep,
		      struct vis_error *err)
{
	size_t i, at;

	at = (size_t)snprintf(err->msg, sizeof(err->msg),
			      "channel pruning: no layer can lose channels");
	for (i = 0; i < rep->nlayers && at < sizeof(err->msg); i++)
		at += (size_t)snprintf(err->msg + at, sizeof(err->msg) - at,
				       "%s %s: %s", i ? ";" : ":",
				       rep->layers[i].name, rep->layers[i].why);
	return -ENOENT;
}

int prune_channel(struct vis_graph *g, const float *calib, size_t n,
		  const struct prune_channel_opts *o,
		  struct prune_channel_report *rep, struct vis_error *err)
{
	struct prune_channel_report own;
	struct vis_graph *work = NULL, tmp;
	struct vis_error dummy;
	struct pc_ctx cx = { 0 };
	struct pc_plan *p = NULL;
	int *layer_of = NULL, ni, ret;
	size_t i;

	if (!err)
		err = &dummy;
	err->msg[0] = 0;
	if (!rep)
		rep = &own;
	memset(rep, 0, sizeof(*rep));
	ret = pc_check(g, calib, n, o, err);
	if (ret)
		return ret;
	layer_of = malloc((g->nnodes + 1) * sizeof(*layer_of));
	p = malloc(sizeof(*p));
	work = vis_graph_clone(g);
	if (!layer_of || !p || !work || pc_report_init(g, rep, layer_of)) {
		ret = vis_errorf(err, ENOMEM, "out of memory");
		goto out;
	}
	cx.g = work;
	cx.calib = calib;
	cx.n = n;
	cx.in_elems = (size_t)vis_tensor_numel(&g->tensors[g->inputs[0]]);
	cx.o = o;
	cx.err = err;
	ret = vis_interp_create(g, (int)o->nthreads, &cx.ip0, err);
	if (ret)
		goto out;
	for (ni = 0; ni < g->nnodes; ni++) {
		struct prune_channel_layer *rl;
		size_t kept;
		char why[sizeof(rl->why)];
		int d;

		if (layer_of[ni] < 0)
			continue;
		if (o->progress)
			o->progress(o->progress_ctx, "pruning",
				    (size_t)layer_of[ni], rep->nlayers);
		rl = &rep->layers[layer_of[ni]];
		if (!pc_plan_of(work, ni, p, why)) {
			/* A depthwise conv already says whose channels. */
			if (!rl->why[0])
				memcpy(rl->why, why, sizeof(why));
			continue;
		}
		kept = p->c - prune_target_zeros(o->sparsity, p->c);
		if (!kept)
			kept = 1;
		if (kept == p->c) {
			snprintf(rl->why, sizeof(rl->why),
				 "%g of %zu channels rounds to none",
				 o->sparsity, p->c);
			continue;
		}
		ret = pc_prune(&cx, p, rl, kept);
		if (ret)
			goto out;
		for (i = 0; i < (size_t)p->ndw; i++) {
			d = layer_of[p->dw[i]];
			if (d >= 0)
				snprintf(rep->layers[d].why,
					 sizeof(rep->layers[d].why),
					 "depthwise: loses the channels of %s",
					 g->nodes[ni].name);
		}
	}
	if (o->progress)
		o->progress(o->progress_ctx, "pruning", rep->nlayers,
			    rep->nlayers);
	pc_report_done(work, rep);
	if (!rep->npruned) {
		ret = pc_nothing(rep, err);
		goto out;
	}
	/* All or nothing: the caller's graph becomes the pruned one. */
	vis_interp_destroy(cx.ip0);
	cx.ip0 = NULL;
	tmp = *g;
	*g = *work;
	*work = tmp;
	ret = 0;
out:
	vis_interp_destroy(cx.ip0);
	vis_graph_destroy(work);
	free(layer_of);
	free(p);
	if (ret || rep == &own)
		prune_channel_report_free(rep);
	return ret;
}

/* ---- prune_graph()'s PRUNE_GRAPH_CHANNEL --------------------------------- */

int prune_graph_channel(struct vis_graph *g, const float *calib, size_t n,
			const struct prune_graph_opts *o,
			struct prune_graph_report *rep, struct vis_error *err)
{
	struct prune_channel_report cr = { 0 };
	struct prune_channel_opts co;
	size_t i;
	int ret;

	prune_channel_opts_init(&co);
	co.sparsity = o->sparsity;
	co.nthreads = o->nthreads;
	co.progress = o->progress;
	co.progress_ctx = o->progress_ctx;
	if (rep)
		memset(rep, 0, sizeof(*rep));
	ret = prune_channel(g, calib, n, &co, &cr, err);
	if (ret || !rep) {
		prune_channel_report_free(&cr);
		return ret;
	}
	rep->layers = calloc(cr.nlayers ? cr.nlayers : 1, sizeof(*rep->layers));
	if (!rep->layers) {
		prune_channel_report_free(&cr);
		return vis_errorf(err, ENOMEM, "out of memory");
	}
	rep->nlayers = cr.nlayers;
	for (i = 0; i < cr.nlayers; i++) {
		struct prune_channel_layer *c = &cr.layers[i];
		struct prune_graph_layer *l = &rep->layers[i];

		l->name = c->name;
		c->name = NULL;
		l->node = c->node;
		l->op = c->op;
		l->rows = c->channels;
		l->cols = c->channels ? (size_t)(c->weights / c->channels) : 0;
		l->zeros = (size_t)(c->weights - c->weights_after);
		l->skipped = c->weights_after == c->weights;
		l->rel_err = c->rel_err;
		l->exact = c->pruned;
		rep->weights += c->weights;
		rep->zeros += l->zeros;
	}
	prune_channel_report_free(&cr);
	return 0;
}
