// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Graph-level one-shot pruning: see prune_graph.h.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "float_interp.h"
#include "linalg.h"
#include "prune.h"
#include "prune_channel.h"
#include "prune_graph.h"

/* Rounds of block selection and re-solve of PRUNE_GRAPH_BLOCK4. */
#ifndef PG_BLOCK4_STEPS
#define PG_BLOCK4_STEPS 8
#endif
/* Patches gathered before each Hessian update, to amortise its threads. */
#define PG_BATCH_PATCHES 4096

void prune_graph_opts_init(struct prune_graph_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->method = PRUNE_GRAPH_RECONSTRUCT;
	o->sparsity = 0.5;
	o->nm_n = 2;
	o->nm_m = 4;
	o->block_rows = 1;
}

void prune_graph_report_free(struct prune_graph_report *rep)
{
	PRUNE_REPORT_FREE(rep);
}

void prune_im2col_init(struct prune_im2col *p, const struct vis_graph *g,
		       const struct vis_node *n)
{
	const struct vis_tensor *x = &g->tensors[n->inputs[0]];
	const struct vis_tensor *w = &g->tensors[n->inputs[1]];
	const struct vis_tensor *y = &g->tensors[n->outputs[0]];

	memset(p, 0, sizeof(*p));
	p->k = (size_t)(vis_tensor_numel(w) / w->dims[0]);
	p->conv = n->op == VIS_OP_CONV;
	if (!p->conv) {
		if (p->k)
			p->npatch =
				(size_t)(vis_tensor_numel(x) / (int64_t)p->k);
		return;
	}
	p->h = x->dims[1];
	p->w = x->dims[2];
	p->c = x->dims[3];
	p->oh = y->dims[1];
	p->ow = y->dims[2];
	p->kh = w->dims[1];
	p->kw = w->dims[2];
	p->sh = n->attrs.strides[0];
	p->sw = n->attrs.strides[1];
	p->dh = n->attrs.dilations[0];
	p->dw = n->attrs.dilations[1];
	p->pt = n->attrs.pads[0];
	p->pl = n->attrs.pads[1];
	p->npatch = (size_t)(p->oh * p->ow);
}

void prune_im2col(const struct prune_im2col *p, const float *x, float *out)
{
	int64_t oy, ox, ky, kx, iy, ix;

	if (!p->conv) {
		memcpy(out, x, p->npatch * p->k * sizeof(*out));
		return;
	}
	for (oy = 0; oy < p->oh; oy++) {
		for (ox = 0; ox < p->ow; ox++) {
			for (ky = 0; ky < p->kh; ky++) {
				iy = oy * p->sh - p->pt + ky * p->dh;
				for (kx = 0; kx < p->kw; kx++, out += p->c) {
					ix = ox * p->sw - p->pl + kx * p->dw;
					if (iy < 0 || iy >= p->h || ix < 0 ||
					    ix >= p->w)
						memset(out, 0,
						       p->c * sizeof(*out));
					else
						memcpy(out,
						       x + (iy * p->w + ix) *
								       p->c,
						       p->c * sizeof(*out));
				}
			}
		}
	}
}

/* The shape of one prunable layer, and where its patches come from. */
struct pg_layer {
	const struct vis_node *n;
	const struct vis_tensor *x; /* input activation */
	struct vis_tensor *w;
	size_t rows, cols;
	struct prune_im2col patches;
};

/* Whether node @n is a CONV or FC this code can prune; fills @l. */
static bool pg_layer_of(struct vis_graph *g, const struct vis_node *n,
			struct pg_layer *l)
{
	const struct vis_tensor *x, *w, *y;

	if (n->dead || (n->op != VIS_OP_CONV && n->op != VIS_OP_FC) ||
	    n->ninputs < 2 || n->inputs[0] < 0 || n->inputs[1] < 0)
		return false;
	x = &g->tensors[n->inputs[0]];
	w = &g->tensors[n->inputs[1]];
	y = &g->tensors[n->outputs[0]];
	if (!w->data || x->data || w->rank < 2)
		return false;
	memset(l, 0, sizeof(*l));
	l->n = n;
	l->x = x;
	l->w = &g->tensors[n->inputs[1]];
	l->rows = (size_t)w->dims[0];
	/* CONV: 2-D NHWC, batch 1, weights [O, KH, KW, I]. */
	if (n->op == VIS_OP_CONV &&
	    (x->rank != 4 || y->rank != 4 || w->rank != 4 || x->dims[0] != 1 ||
	     n->attrs.layout != VIS_LAYOUT_NHWC))
		return false;
	prune_im2col_init(&l->patches, g, n);
	l->cols = l->patches.k;
	if (n->op == VIS_OP_FC)
		return l->cols && !(vis_tensor_numel(x) % (int64_t)l->cols);
	return w->dims[3] == l->patches.c; /* else grouped or depthwise */
}

/*
 * H = X^T X of layer @l's input patches over the calibration set, run
 * through @g as it is now (the earlier layers pruned).
 */
static int pg_hessian(const struct vis_graph *g, const struct pg_layer *l,
		      const float *calib, size_t n, size_t in_elems,
		      unsigned int nthreads, struct prune_hessian *hs,
		      struct vis_error *err)
{
	struct vis_interp *ip = NULL;
	size_t per = PG_BATCH_PATCHES / l->patches.npatch, i, fill = 0;
	float *buf;
	int ret;

	if (!per)
		per = 1;
	buf = malloc(per * l->patches.npatch * l->cols * sizeof(*buf));
	if (!buf)
		return vis_errorf(err, ENOMEM, "out of memory");
	ret = prune_hessian_init(hs, l->cols);
	if (ret)
		goto out;
	ret = vis_interp_create(g, (int)nthreads, &ip, err);
	for (i = 0; !ret && i < n; i++) {
		const float *in = calib + i * in_elems;

		ret = vis_interp_run(ip, &in, NULL, err);
		if (ret)
			break;
		prune_im2col(&l->patches,
			     vis_interp_tensor(ip, l->n->inputs[0]),
			     buf + fill * l->patches.npatch * l->cols);
		if (++fill == per || i + 1 == n) {
			ret = prune_hessian_add(
				hs, buf, fill * l->patches.npatch, nthreads);
			fill = 0;
		}
	}
	if (ret && !err->msg[0])
		vis_errorf(err, -ret, "%s: gathering its inputs: %s",
			   l->n->name, strerror(-ret));
out:
	vis_interp_destroy(ip);
	free(buf);
	return ret;
}

/* The bias of node @ni, created as zeros when it has none. */
static float *pg_bias(struct vis_graph *g, int ni, size_t rows)
{
	struct vis_node *n = &g->nodes[ni];
	int64_t dims[1] = { (int64_t)rows };
	int t;

	if (n->ninputs >= 3 && n->inputs[2] >= 0) {
		if (vis_tensor_numel(&g->tensors[n->inputs[2]]) !=
		    (int64_t)rows)
			return NULL;
		return g->tensors[n->inputs[2]].data;
	}
	t = vis_graph_add_tensor(g, NULL, VIS_DT_FLOAT, 1, dims);
	if (t < 0 || vis_tensor_alloc_data(&g->tensors[t]))
		return NULL;
	n = &g->nodes[ni]; /* the node array may not move, but be safe */
	n->inputs[2] = t;
	n->ninputs = 3;
	return g->tensors[t].data;
}

static size_t pg_count_zeros(const float *w, size_t count)
{
	size_t i, z = 0;

	for (i = 0; i < count; i++)
		z += w[i] == 0;
	return z;
}

/*
 * Group OBS saliency of every block of 4 of every row of @w, ranked as
 * prune_block_mask_inv() ranks them: w_B^T [Hinv_BB]^-1 w_B into
 * @sal[r * nb + b], nb = ceil(cols / 4).
 */
static int pg_block_saliency(const float *w, size_t rows, size_t cols,
			     const double *hinv, double *sal)
{
	size_t nb = (cols + 3) / 4, b, r, i, j, m, c0;
	double sub[16], x[4], s;
	int ret;

	for (i = 0; i < rows * cols; i++)
		if (!isfinite(w[i]))
			return -EINVAL;
	for (b = 0; b < nb; b++) {
		c0 = b * 4;
		m = cols - c0 < 4 ? cols - c0 : 4;
		for (i = 0; i < m; i++)
			for (j = 0; j < m; j++)
				sub[i * m + j] = hinv[(c0 + i) * cols + c0 + j];
		/* A principal block of an SPD inverse is SPD. */
		ret = linalg_cholesky(sub, m, m, 1);
		if (ret)
			return ret;
		for (r = 0; r < rows; r++) {
			for (i = 0; i < m; i++)
				x[i] = w[r * cols + c0 + i];
			linalg_cholesky_solve(sub, m, m, x);
			for (s = 0, i = 0; i < m; i++)
				s += x[i] * w[r * cols + c0 + i];
			sal[r * nb + b] = s;
		}
	}
	return 0;
}

/* A column of blocks of one group of rows, and its score. */
struct pg_unit {
	double key;
	size_t idx; /* group * nb + block */
};

static int pg_unit_cmp(const void *pa, const void *pb)
{
	const struct pg_unit *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/*
 * The mask of @sparsity of the layer's blocks as whole columns of blocks
 * shared by each aligned group of @grows rows (see struct
 * prune_graph_opts). A column of a full group removes @grows row blocks,
 * one of the short last group fewer, so the count is chosen first: a
 * full and b short columns, the count nearest the target (the larger of
 * two as near, so that 50% of an odd number of columns still empties at
 * least half the blocks, as BLOCK4 wants) and, of those, the least
 * summed saliency; then the a and b least salient columns of each kind.
 * @sal (rows x nb), @units (groups x nb) and @pre (groups x nb + 2) are
 * scratch.
 */
static int pg_group_mask(const float *w, const struct pg_layer *l,
			 const double *hinv, size_t grows, double sparsity,
			 double *sal, struct pg_unit *units, double *pre,
			 uint8_t *keep)
{
	size_t nb = (l->cols + 3) / 4, ng = (l->rows + grows - 1) / grows;
	size_t short_rows = l->rows % grows, nf = l->rows / grows * nb;
	size_t ns = short_rows ? nb : 0;
	size_t g, b, r, i, m, z, a, bs, cnt, dist, bdist = (size_t)-1;
	size_t ba = 0, bb = 0, bcnt = 0;
	double *ps = pre + nf + 1, cost, bcost = 0;
	int ret;

	ret = pg_block_saliency(w, l->rows, l->cols, hinv, sal);
	if (ret)
		return ret;
	for (g = 0; g < ng; g++) {
		m = l->rows - g * grows < grows ? l->rows - g * grows : grows;
		for (b = 0; b < nb; b++) {
			double s = 0;

			for (r = g * grows; r < g * grows + m; r++)
				s += sal[r * nb + b];
			units[g * nb + b].key = s;
			units[g * nb + b].idx = g * nb + b;
		}
	}
	/* Full groups' columns, then the short group's, each ranked. */
	qsort(units, nf, sizeof(*units), pg_unit_cmp);
	qsort(units + nf, ns, sizeof(*units), pg_unit_cmp);
	for (pre[0] = 0, i = 0; i < nf; i++)
		pre[i + 1] = pre[i] + units[i].key;
	for (ps[0] = 0, i = 0; i < ns; i++)
		ps[i + 1] = ps[i] + units[nf + i].key;
	z = prune_target_zeros(sparsity, l->rows * nb);
	for (bs = 0; bs <= ns; bs++) {
		size_t rest = z > bs * short_rows ? z - bs * short_rows : 0;
		size_t a0 = rest / grows < nf ? rest / grows : nf;

		/* The full columns just below and above what is left. */
		for (a = a0; a <= a0 + 1 && a <= nf; a++) {
			cnt = a * grows + bs * short_rows;
			dist = cnt > z ? cnt - z : z - cnt;
			cost = pre[a] + ps[bs];
			if (dist < bdist ||
			    (dist == bdist &&
			     (cnt > bcnt || (cnt == bcnt && cost < bcost)))) {
				bdist = dist;
				bcnt = cnt;
				bcost = cost;
				ba = a;
				bb = bs;
			}
		}
	}
	memset(keep, 1, l->rows * l->cols);
	for (i = 0; i < ba + bb; i++) {
		const struct pg_unit *u = &units[i < ba ? i : nf + i - ba];

		g = u->idx / nb;
		b = u->idx % nb;
		m = l->rows - g * grows < grows ? l->rows - g * grows : grows;
		for (r = g * grows; r < g * grows + m; r++)
			memset(keep + r * l->cols + b * 4, 0,
			       l->cols - b * 4 < 4 ? l->cols - b * 4 : 4);
	}
	return 0;
}

/*
 * Blocks of 4 along K: chosen by group OBS saliency on the current
 * weights (per row, or per column of each group of o->block_rows rows),
 * the kept weights re-solved against the unpruned layer @orig, in
 * PG_BLOCK4_STEPS rounds of rising sparsity so that each round's
 * saliencies see the previous round's re-solved weights (a pruned block
 * is all zero, saliency 0, and ranks first, so it stays pruned; with
 * shared columns the short group's count may still change).
 */
static int pg_block4(float *w, const float *orig, const struct pg_layer *l,
		     const double *h, const struct prune_graph_opts *o,
		     uint8_t *keep, struct prune_result *res)
{
	size_t grows = o->block_rows > 1 ? o->block_rows : 1;
	size_t nb = (l->cols + 3) / 4, ng = (l->rows + grows - 1) / grows;
	double *inv = malloc(l->cols * l->cols * sizeof(*inv));
	double *sal = NULL, *pre = NULL;
	struct pg_unit *units = NULL;
	struct prune_opts po;
	double sp;
	int step, ret;

	if (grows > 1) {
		sal = malloc(l->rows * nb * sizeof(*sal));
		units = malloc(ng * nb * sizeof(*units));
		pre = malloc((ng * nb + 2) * sizeof(*pre));
	}
	ret = -ENOMEM;
	if (!inv || (grows > 1 && (!sal || !units || !pre)))
		goto out;
	memset(&po, 0, sizeof(po));
	po.mask = keep;
	po.solve = PRUNE_SOLVE_AUTO;
	po.nthreads = o->nthreads;
	/* H does not change between rounds: one inverse. */
	ret = prune_damped_inverse(h, l->cols, 0, o->nthreads, inv);
	for (step = 1; !ret && step <= PG_BLOCK4_STEPS; step++) {
		sp = o->sparsity * step / PG_BLOCK4_STEPS;
		if (grows > 1)
			ret = pg_group_mask(w, l, inv, grows, sp, sal, units,
					    pre, keep);
		else
			ret = prune_block_mask_inv(w, l->rows, l->cols, inv, 4,
						   sp, keep);
		if (ret)
			break;
		/* Each re-solve starts from the unpruned weights. */
		memcpy(w, orig, l->rows * l->cols * sizeof(*w));
		ret = prune_reconstruct(w, l->rows, l->cols, h, &po, keep, res);
	}
out:
	free(pre);
	free(units);
	free(sal);
	free(inv);
	return ret;
}

/* Prune one layer in place and fill @rl. */
static int pg_prune_layer(struct vis_graph *g, int ni, const float *calib,
			  size_t n, size_t in_elems,
			  const struct prune_graph_opts *o,
			  struct prune_graph_layer *rl, struct vis_error *err)
{
	struct prune_hessian hs = { 0 };
	struct prune_opts po;
	struct prune_result res;
	struct pg_layer l;
	size_t count;
	double *mean = NULL, e, base;
	float *orig = NULL, *zero = NULL, *w, *bias;
	uint8_t *keep = NULL;
	int ret;

	pg_layer_of(g, &g->nodes[ni], &l);
	count = l.rows * l.cols;
	ret = pg_hessian(g, &l, calib, n, in_elems, o->nthreads, &hs, err);
	if (ret)
		goto out;
	w = l.w->data;
	orig = malloc(count * sizeof(*orig));
	zero = calloc(count, sizeof(*zero));
	keep = malloc(count);
	mean = malloc(l.cols * sizeof(*mean));
	if (!orig || !zero || !keep || !mean) {
		ret = vis_errorf(err, ENOMEM, "out of memory");
		goto out;
	}
	memcpy(orig, w, count * sizeof(*orig));
	if (o->method == PRUNE_GRAPH_BLOCK4) {
		ret = pg_block4(w, orig, &l, hs.h, o, keep, &res);
		rl->exact = !ret && res.exact;
	} else if (o->method == PRUNE_GRAPH_MAGNITUDE) {
		ret = prune_magnitude(w, count, o->sparsity, keep);
		if (!ret)
			prune_apply_mask(w, keep, count);
	} else {
		memset(&po, 0, sizeof(po));
		po.sparsity = o->method == PRUNE_GRAPH_NM ? 0 : o->sparsity;
		po.scope = PRUNE_PER_LAYER;
		if (o->method == PRUNE_GRAPH_NM) {
			po.nm_n = o->nm_n;
			po.nm_m = o->nm_m;
		}
		po.solve = PRUNE_SOLVE_AUTO;
		po.nthreads = o->nthreads;
		ret = prune_reconstruct(w, l.rows, l.cols, hs.h, &po, keep,
					&res);
		rl->exact = !ret && res.exact;
	}
	if (!ret)
		ret = prune_hessian_mean(&hs, mean);
	if (!ret)
		ret = prune_output_error(orig, w, l.rows, l.cols, hs.h,
					 o->nthreads, &e);
	if (!ret)
		ret = prune_output_error(orig, zero, l.rows, l.cols, hs.h,
					 o->nthreads, &base);
	if (ret) {
		/* Leave the layer as it was. */
		memcpy(w, orig, count * sizeof(*orig));
		vis_errorf(err, -ret, "%s: pruning failed: %s",
			   g->nodes[ni].name,
			   ret == -EDOM ? "singular calibration system" :
					  strerror(-ret));
		goto out;
	}
	bias = pg_bias(g, ni, l.rows);
	if (!bias) {
		memcpy(w, orig, count * sizeof(*orig));
		ret = vis_errorf(err, ENOMEM, "%s: no room for its bias",
				 g->nodes[ni].name);
		goto out;
	}
	prune_bias_correct(orig, w, l.rows, l.cols, mean, bias);
	rl->rel_err = base > 0 ? sqrt(e / base) : 0;
	rl->zeros = pg_count_zeros(w, count);
out:
	prune_hessian_release(&hs);
	free(mean);
	free(keep);
	free(zero);
	free(orig);
	return ret;
}

static int pg_check(const struct vis_graph *g, size_t n,
		    const struct prune_graph_opts *o, struct vis_error *err)
{
	if (!o ||
	    !(o->method == PRUNE_GRAPH_MAGNITUDE ||
	      o->method == PRUNE_GRAPH_RECONSTRUCT ||
	      o->method == PRUNE_GRAPH_NM || o->method == PRUNE_GRAPH_BLOCK4))
		return vis_errorf(err, EINVAL, "unknown pruning method");
	if (o->method != PRUNE_GRAPH_NM &&
	    !(o->sparsity > 0 && o->sparsity < 1))
		return vis_errorf(err, EINVAL, "sparsity %g is not in (0, 1)",
				  o->sparsity);
	if (o->method == PRUNE_GRAPH_BLOCK4 &&
	    (o->block_rows > PRUNE_GRAPH_MAX_BLOCK_ROWS ||
	     (o->block_rows & (o->block_rows - 1))))
		return vis_errorf(err, EINVAL,
				  "%u block rows: not a power of two up to %d",
				  o->block_rows, PRUNE_GRAPH_MAX_BLOCK_ROWS);
	if (o->method == PRUNE_GRAPH_NM && !(o->nm_n > 0 && o->nm_n < o->nm_m))
		return vis_errorf(err, EINVAL, "%u:%u is not an N:M pattern",
				  o->nm_n, o->nm_m);
	if (!n)
		return vis_errorf(err, EINVAL,
				  "pruning needs calibration data");
	if (g->ninputs != 1 || g->tensors[g->inputs[0]].dtype != VIS_DT_FLOAT)
		return vis_errorf(err, EINVAL,
				  "pruning needs one float graph input");
	return 0;
}

int prune_graph(struct vis_graph *g, const float *calib, size_t n,
		const struct prune_graph_opts *o,
		struct prune_graph_report *rep, struct vis_error *err)
{
	struct prune_graph_report own = { 0 };
	struct prune_graph_layer *rl;
	struct vis_error dummy;
	struct pg_layer l;
	size_t in_elems, i;
	int ret, ni;

	if (!err)
		err = &dummy;
	err->msg[0] = 0;
	if (!g || !calib)
		return vis_errorf(err, EINVAL, "no graph or calibration data");
	if (o && o->block_rows > 1 && o->method != PRUNE_GRAPH_BLOCK4)
		return vis_errorf(err, EINVAL,
				  "shared block rows need block4 pruning");
	if (o && o->method == PRUNE_GRAPH_CHANNEL)
		return prune_graph_channel(g, calib, n, o, rep, err);
	ret = pg_check(g, n, o, err);
	if (ret)
		return ret;
	in_elems = (size_t)vis_tensor_numel(&g->tensors[g->inputs[0]]);
	if (!rep)
		rep = &own;
	memset(rep, 0, sizeof(*rep));
	for (ni = 0; ni < g->nnodes; ni++)
		rep->nlayers += pg_layer_of(g, &g->nodes[ni], &l) ||
				(!g->nodes[ni].dead &&
				 (g->nodes[ni].op == VIS_OP_CONV ||
				  g->nodes[ni].op == VIS_OP_FC));
	rep->layers =
		calloc(rep->nlayers ? rep->nlayers : 1, sizeof(*rep->layers));
	if (!rep->layers)
		return vis_errorf(err, ENOMEM, "out of memory");
	i = 0;
	for (ni = 0; ni < g->nnodes && i < rep->nlayers; ni++) {
		struct vis_node *nd = &g->nodes[ni];
		const struct vis_tensor *w;

		if (nd->dead || (nd->op != VIS_OP_CONV && nd->op != VIS_OP_FC))
			continue;
		rl = &rep->layers[i++];
		rl->name = strdup(nd->name);
		if (!rl->name) {
			ret = vis_errorf(err, ENOMEM, "out of memory");
			goto fail;
		}
		rl->node = ni;
		rl->op = nd->op;
		rl->skipped = !pg_layer_of(g, nd, &l) ||
			      l.cols < PRUNE_GRAPH_MIN_K ||
			      (o->method == PRUNE_GRAPH_NM && l.cols < o->nm_m);
		if (rl->skipped) {
			if (nd->ninputs < 2 || nd->inputs[1] < 0)
				continue;
			w = &g->tensors[nd->inputs[1]];
			if (!w->data || !w->rank)
				continue;
			rl->rows = (size_t)w->dims[0];
			rl->cols = (size_t)(vis_tensor_numel(w) / w->dims[0]);
			rl->zeros =
				pg_count_zeros(w->data, rl->rows * rl->cols);
		} else {
			rl->rows = l.rows;
			rl->cols = l.cols;
			ret = pg_prune_layer(g, ni, calib, n, in_elems, o, rl,
					     err);
			if (ret)
				goto fail;
		}
		rep->weights += rl->rows * rl->cols;
		rep->zeros += rl->zeros;
		if (o->progress)
			o->progress(o->progress_ctx, "pruning", i,
				    rep->nlayers);
	}
	prune_graph_report_free(&own);
	return 0;
fail:
	prune_graph_report_free(rep);
	return ret;
}
