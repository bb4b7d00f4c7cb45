// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * float32 reference interpreter over the graph IR; see float_interp.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "float_interp.h"

#define MAX_THREADS 64
/* Below this many multiply-adds a parallel split costs more than it saves. */
#define PAR_MIN_WORK 32768

/* ---- thread pool ----------------------------------------------------- */

typedef void (*range_fn)(void *arg, int64_t begin, int64_t end);

struct pool {
	int nthreads;
	pthread_t th[MAX_THREADS];
	int started;
	/* mu protects everything below; work is published by bumping gen. */
	pthread_mutex_t mu;
	pthread_cond_t work_cv;
	pthread_cond_t done_cv;
	unsigned int gen;
	int pending;
	int stop;
	range_fn fn;
	void *arg;
	int64_t total;
};

struct worker {
	struct pool *pool;
	int idx;
};

static void chunk(int64_t total, int parts, int i, int64_t *b, int64_t *e)
{
	*b = total * i / parts;
	*e = total * (i + 1) / parts;
}

static void *worker_main(void *p)
{
	struct worker *w = p;
	struct pool *pool = w->pool;
	unsigned int seen = 0;
	int64_t b, e;

	pthread_mutex_lock(&pool->mu);
	for (;;) {
		while (pool->gen == seen && !pool->stop)
			pthread_cond_wait(&pool->work_cv, &pool->mu);
		if (pool->stop)
			break;
		seen = pool->gen;
		chunk(pool->total, pool->nthreads, w->idx, &b, &e);
		pthread_mutex_unlock(&pool->mu);
		if (b < e)
			pool->fn(pool->arg, b, e);
		pthread_mutex_lock(&pool->mu);
		if (--pool->pending == 0)
			pthread_cond_signal(&pool->done_cv);
	}
	pthread_mutex_unlock(&pool->mu);
	return NULL;
}

/* Run fn over [0, total) split in contiguous chunks, caller included. */
static void parallel_for(struct pool *pool, int64_t total, int64_t work,
			 range_fn fn, void *arg)
{
	int64_t b, e;

	if (!pool || pool->nthreads < 2 || total < 2 || work < PAR_MIN_WORK) {
		if (total > 0)
			fn(arg, 0, total);
		return;
	}
	pthread_mutex_lock(&pool->mu);
	pool->fn = fn;
	pool->arg = arg;
	pool->total = total;
	pool->pending = pool->nthreads - 1;
	pool->gen++;
	pthread_cond_broadcast(&pool->work_cv);
	pthread_mutex_unlock(&pool->mu);
	chunk(total, pool->nthreads, 0, &b, &e);
	if (b < e)
		fn(arg, b, e);
	pthread_mutex_lock(&pool->mu);
	while (pool->pending)
		pthread_cond_wait(&pool->done_cv, &pool->mu);
	pthread_mutex_unlock(&pool->mu);
}

static void pool_stop(struct pool *pool)
{
	int i;

	pthread_mutex_lock(&pool->mu);
	pool->stop = 1;
	pthread_cond_broadcast(&pool->work_cv);
	pthread_mutex_unlock(&pool->mu);
	for (i = 0; i < pool->started; i++)
		pthread_join(pool->th[i], NULL);
	pthread_mutex_destroy(&pool->mu);
	pthread_cond_destroy(&pool->work_cv);
	pthread_cond_destroy(&pool->done_cv);
}

/* ---- helpers --------------------------------------------------------- */

struct exec {
	struct pool *pool;
	/* Per-node repacked convolution weights, or NULL: pack on the fly. */
	const float *packed;
};

float vis_act_apply(const struct vis_node *n, float x)
{
	float t;

	switch (n->act) {
	case VIS_ACT_RELU:
		return x > 0 ? x : 0;
	case VIS_ACT_CLIP:
		return x < n->act_min ? n->act_min :
		       x > n->act_max ? n->act_max :
					x;
	case VIS_ACT_LEAKY_RELU:
		return x >= 0 ? x : x * n->act_alpha;
	case VIS_ACT_SIGMOID:
		return 1.0f / (1.0f + expf(-x));
	case VIS_ACT_HARD_SIGMOID:
		t = n->act_alpha * x + n->act_beta;
		return t < 0 ? 0 : t > 1 ? 1 : t;
	case VIS_ACT_HARD_SWISH:
		t = x / 6.0f + 0.5f;
		return x * (t < 0 ? 0 : t > 1 ? 1 : t);
	case VIS_ACT_TANH:
		return tanhf(x);
	default:
		return x;
	}
}

static void act_range(const struct vis_node *n, float *p, int64_t count)
{
	int64_t i;

	if (n->act == VIS_ACT_NONE)
		return;
	if (n->act == VIS_ACT_RELU) {
		for (i = 0; i < count; i++)
			p[i] = p[i] > 0 ? p[i] : 0;
		return;
	}
	for (i = 0; i < count; i++)
		p[i] = vis_act_apply(n, p[i]);
}

static const struct vis_tensor *in_t(const struct vis_graph *g,
				     const struct vis_node *n, int i)
{
	return i < n->ninputs && n->inputs[i] >= 0 ? &g->tensors[n->inputs[i]] :
						     NULL;
}

static const struct vis_tensor *out_t(const struct vis_graph *g,
				      const struct vis_node *n, int i)
{
	return &g->tensors[n->outputs[i]];
}

/*
 * Image geometry of a 3-D (1-D spatial) or 4-D activation in a layout:
 * 1-D tensors are seen as H = 1.
 */
struct geom {
	int64_t n, c, h, w;
};

static struct geom geom_of(const struct vis_tensor *t, int layout)
{
	struct geom gm = { t->dims[0], 1, 1, 1 };

	if (layout == VIS_LAYOUT_NHWC) {
		gm.c = t->dims[t->rank - 1];
		gm.h = t->rank == 4 ? t->dims[1] : 1;
		gm.w = t->dims[t->rank - 2];
	} else {
		gm.c = t->dims[1];
		gm.h = t->rank == 4 ? t->dims[2] : 1;
		gm.w = t->dims[t->rank - 1];
	}
	return gm;
}

/* NCHW <-> NHWC copies, for the operators written once for NHWC. */
static void nchw_to_nhwc(const float *src, float *dst, struct geom gm)
{
	int64_t n, c, p, hw = gm.h * gm.w;

	for (n = 0; n < gm.n; n++)
		for (c = 0; c < gm.c; c++)
			for (p = 0; p < hw; p++)
				dst[(n * hw + p) * gm.c + c] =
					src[(n * gm.c + c) * hw + p];
}

static void nhwc_to_nchw(const float *src, float *dst, struct geom gm)
{
	int64_t n, c, p, hw = gm.h * gm.w;

	for (n = 0; n < gm.n; n++)
		for (c = 0; c < gm.c; c++)
			for (p = 0; p < hw; p++)
				dst[(n * gm.c + c) * hw + p] =
					src[(n * hw + p) * gm.c + c];
}

/* ---- convolution ------------------------------------------------------- */

struct conv_args {
	const struct vis_node *node;
	struct geom ig, og;
	int64_t kh, kw, groups, icg, ocg;
	const float *x, *w, *bias;
	float *y;
	bool depthwise;
};

/*
 * Weights repacked so the innermost loop runs over contiguous output
 * channels: [g][kh][kw][icg][ocg]; depthwise (icg 1): [kh][kw][Cout].
 */
static size_t conv_packed_size(const struct vis_graph *g,
			       const struct vis_node *n)
{
	return vis_tensor_numel(in_t(g, n, 1));
}

static void conv_pack(const struct vis_graph *g, const struct vis_node *n,
		      const float *w, float *dst)
{
	const struct vis_tensor *wt = in_t(g, n, 1);
	int64_t co = wt->dims[0], groups = n->attrs.group;
	int64_t kh = n->attrs.kernel[0], kw = n->attrs.kernel[1];
	int64_t ocg = co / groups, icg, o, i, y, x, src;
	bool nhwc = n->attrs.layout == VIS_LAYOUT_NHWC;

	icg = nhwc ? wt->dims[wt->rank - 1] : wt->dims[1];
	for (o = 0; o < co; o++) {
		int64_t gi = o / ocg, oc = o % ocg;

		for (i = 0; i < icg; i++)
			for (y = 0; y < kh; y++)
				for (x = 0; x < kw; x++) {
					if (nhwc)
						src = ((o * kh + y) * kw + x) *
							      icg +
						      i;
					else
						src = ((o * icg + i) * kh + y) *
							      kw +
						      x;
					if (icg == 1)
						dst[(y * kw + x) * co + o] =
							w[src];
					else
						dst[(((gi * kh + y) * kw + x) *
							     icg +
						     i) * ocg +
						    oc] = w[src];
				}
	}
}

static void conv_rows(void *p, int64_t begin, int64_t end)
{
	const struct conv_args *a = p;
	const struct vis_attrs *at = &a->node->attrs;
	int64_t r, ow, gi, y, x, i, o;
	int64_t co = a->og.c, ci = a->ig.c;

	for (r = begin; r < end; r++) {
		int64_t n = r / a->og.h, oh = r % a->og.h;

		for (ow = 0; ow < a->og.w; ow++) {
			float *yp =
				a->y + ((n * a->og.h + oh) * a->og.w + ow) * co;

			for (o = 0; o < co; o++)
				yp[o] = a->bias ? a->bias[o] : 0.0f;
			for (y = 0; y < a->kh; y++) {
				int64_t ih = oh * at->strides[0] - at->pads[0] +
					     y * at->dilations[0];

				if (ih < 0 || ih >= a->ig.h)
					continue;
				for (x = 0; x < a->kw; x++) {
					int64_t iw = ow * at->strides[1] -
						     at->pads[1] +
						     x * at->dilations[1];
					const float *xp;

					if (iw < 0 || iw >= a->ig.w)
						continue;
					xp = a->x +
					     ((n * a->ig.h + ih) * a->ig.w +
					      iw) * ci;
					if (a->depthwise) {
						const float *wp =
							a->w +
							(y * a->kw + x) * co;
						int64_t m = co / ci;

						if (m == 1) {
							for (o = 0; o < co; o++)
								yp[o] += xp[o] *
									 wp[o];
						} else {
							for (o = 0; o < co; o++)
								yp[o] += xp[o /
									    m] *
									 wp[o];
						}
						continue;
					}
					for (gi = 0; gi < a->groups; gi++) {
						const float *wp =
							a->w + ((gi * a->kh +
								 y) * a->kw +
								x) * a->icg *
								       a->ocg;
						const float *xg =
							xp + gi * a->icg;
						float *yg = yp + gi * a->ocg;

						for (i = 0; i < a->icg; i++) {
							float v = xg[i];
							const float *wr =
								wp + i * a->ocg;

							for (o = 0; o < a->ocg;
							     o++)
								yg[o] += v *
									 wr[o];
						}
					}
				}
			}
			act_range(a->node, yp, co);
		}
	}
}

static int run_conv(const struct exec *ex, const struct vis_graph *g,
		    const struct vis_node *n, const float *const *in,
		    float *const *out)
{
	const struct vis_attrs *at = &n->attrs;
	const struct vis_tensor *xt = in_t(g, n, 0), *yt = out_t(g, n, 0);
	struct conv_args a = { .node = n };
	float *xs = NULL, *ys = NULL, *wp = NULL;
	bool nchw = at->layout != VIS_LAYOUT_NHWC;
	int64_t work;

	a.ig = geom_of(xt, at->layout);
	a.og = geom_of(yt, at->layout);
	a.kh = at->kernel[0];
	a.kw = at->kernel[1];
	a.groups = at->group;
	a.icg = a.ig.c / a.groups;
	a.ocg = a.og.c / a.groups;
	a.depthwise = a.icg == 1 && a.groups > 1;
	a.bias = in[2];
	a.w = ex->packed;
	if (!a.w) {
		wp = malloc(sizeof(float) * (conv_packed_size(g, n) + 1));
		if (!wp)
			return -ENOMEM;
		conv_pack(g, n, in[1], wp);
		a.w = wp;
	}
	a.x = in[0];
	a.y = out[0];
	if (nchw) {
		xs = malloc(sizeof(float) * (vis_tensor_numel(xt) + 1));
		ys = malloc(sizeof(float) * (vis_tensor_numel(yt) + 1));
		if (!xs || !ys) {
			free(xs);
			free(ys);
			free(wp);
			return -ENOMEM;
		}
		nchw_to_nhwc(in[0], xs, a.ig);
		a.x = xs;
		a.y = ys;
	}
	work = vis_tensor_numel(yt) * a.icg * a.kh * a.kw;
	parallel_for(ex->pool, a.og.n * a.og.h, work, conv_rows, &a);
	if (nchw)
		nhwc_to_nchw(ys, out[0], a.og);
	free(xs);
	free(ys);
	free(wp);
	return 0;
}

/* ---- fully connected, Gemm, MatMul -------------------------------------- */

static float dot(const float *a, const float *b, int64_t k)
{
	float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	int64_t i;

	/* Four fixed partial sums: vectorisable and still deterministic. */
	for (i = 0; i + 4 <= k; i += 4) {
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < k; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}

struct fc_args {
	const struct vis_node *node;
	const float *x, *w, *b;
	float *y;
	int64_t rows, k, nout;
};

static void fc_range(void *p, int64_t begin, int64_t end)
{
	const struct fc_args *a = p;
	int64_t i;

	for (i = begin; i < end; i++) {
		int64_t r = i / a->nout, o = i % a->nout;
		float v = dot(a->x + r * a->k, a->w + o * a->k, a->k);

		if (a->b)
			v += a->b[o];
		a->y[i] = vis_act_apply(a->node, v);
	}
}

static int run_fc(const struct exec *ex, const struct vis_graph *g,
		  const struct vis_node *n, const float *const *in,
		  float *const *out)
{
	const struct vis_tensor *wt = in_t(g, n, 1);
	struct fc_args a = {
		.node = n, .x = in[0], .w = in[1], .b = in[2], .y = out[0]
	};

	a.nout = wt->dims[0];
	a.k = wt->dims[1];
	a.rows = a.k ? vis_tensor_numel(in_t(g, n, 0)) / a.k : 0;
	parallel_for(ex->pool, a.rows * a.nout, a.rows * a.nout * a.k, fc_range,
		     &a);
	return 0;
}

struct gemm_args {
	const struct vis_node *node;
	const float *a, *b, *c;
	float *y;
	int64_t m, k, n;
	int64_t sam, sak, sbk, sbn, scm, scn;
};

static void gemm_range(void *p, int64_t begin, int64_t end)
{
	const struct gemm_args *a = p;
	const struct vis_attrs *at = &a->node->attrs;
	int64_t i, k;

	for (i = begin; i < end; i++) {
		int64_t m = i / a->n, o = i % a->n;
		const float *ap = a->a + m * a->sam, *bp = a->b + o * a->sbn;
		float s = 0;

		for (k = 0; k < a->k; k++)
			s += ap[k * a->sak] * bp[k * a->sbk];
		s *= at->alpha;
		if (a->c)
			s += at->beta * a->c[m * a->scm + o * a->scn];
		a->y[i] = vis_act_apply(a->node, s);
	}
}

static int run_gemm(const struct exec *ex, const struct vis_graph *g,
		    const struct vis_node *n, const float *const *in,
		    float *const *out)
{
	const struct vis_tensor *at = in_t(g, n, 0), *bt = in_t(g, n, 1);
	const struct vis_tensor *ct = in_t(g, n, 2);
	struct gemm_args a = {
		.node = n, .a = in[0], .b = in[1], .c = in[2], .y = out[0]
	};

	a.m = n->attrs.trans_a ? at->dims[1] : at->dims[0];
	a.k = n->attrs.trans_a ? at->dims[0] : at->dims[1];
	a.n = n->attrs.trans_b ? bt->dims[0] : bt->dims[1];
	a.sam = n->attrs.trans_a ? 1 : a.k;
	a.sak = n->attrs.trans_a ? a.m : 1;
	a.sbk = n->attrs.trans_b ? 1 : a.n;
	a.sbn = n->attrs.trans_b ? a.k : 1;
	if (ct) {
		/* Unidirectional broadcast of C to [M, N]. */
		int64_t cm = ct->rank == 2 ? ct->dims[0] : 1;
		int64_t cn = ct->rank >= 1 ? ct->dims[ct->rank - 1] : 1;

		a.scm = cm == 1 ? 0 : cn;
		a.scn = cn == 1 ? 0 : 1;
	}
	parallel_for(ex->pool, a.m * a.n, a.m * a.n * a.k, gemm_range, &a);
	return 0;
}

/* Output index -> input offset under broadcasting. */
struct bcast {
	int rank;
	int64_t dims[VIS_MAX_RANK];
	int64_t stride[VIS_MAX_RANK];
};

static void bcast_init(struct bcast *b, const struct vis_tensor *t, int rank,
		       const int64_t *odims)
{
	int64_t s = 1;
	int i, off = rank - t->rank;

	b->rank = rank;
	for (i = rank - 1; i >= 0; i--) {
		int64_t d = i >= off ? t->dims[i - off] : 1;

		b->dims[i] = odims[i];
		b->stride[i] = d == 1 ? 0 : s;
		s *= d;
	}
}

static int64_t bcast_offset(const struct bcast *b, int64_t idx)
{
	int64_t off = 0;
	int i;

	for (i = b->rank - 1; i >= 0 && idx; i--) {
		off += (idx % b->dims[i]) * b->stride[i];
		idx /= b->dims[i];
	}
	return off;
}

struct matmul_args {
	const struct vis_node *node;
	const float *a, *b;
	float *y;
	int64_t m, k, n;
	struct bcast ba, bb;
	int brank;
};

static void matmul_range(void *p, int64_t begin, int64_t end)
{
	const struct matmul_args *a = p;
	int64_t i, k;

	for (i = begin; i < end; i++) {
		int64_t bi = i / (a->m * a->n), r = i % (a->m * a->n);
		int64_t m = r / a->n, o = r % a->n;
		const float *ap = a->a + bcast_offset(&a->ba, bi) * a->m * a->k;
		const float *bp = a->b + bcast_offset(&a->bb, bi) * a->k * a->n;
		float s = 0;

		for (k = 0; k < a->k; k++)
			s += ap[m * a->k + k] * bp[k * a->n + o];
		a->y[i] = vis_act_apply(a->node, s);
	}
}

static int run_matmul(const struct exec *ex, const struct vis_graph *g,
		      const struct vis_node *n, const float *const *in,
		      float *const *out)
{
	const struct vis_tensor *at = in_t(g, n, 0), *bt = in_t(g, n, 1);
	const struct vis_tensor *yt = out_t(g, n, 0);
	struct matmul_args a = {
		.node = n, .a = in[0], .b = in[1], .y = out[0]
	};
	struct vis_tensor ab = { 0 }, bb = { 0 };
	int64_t batch = 1, bdims[VIS_MAX_RANK];
	int i, brank;

	a.m = at->rank >= 2 ? at->dims[at->rank - 2] : 1;
	a.k = at->dims[at->rank - 1];
	a.n = bt->rank >= 2 ? bt->dims[bt->rank - 1] : 1;
	/* Batch dims: all but the matrix dims, broadcast. */
	ab.rank = at->rank > 2 ? at->rank - 2 : 0;
	memcpy(ab.dims, at->dims, sizeof(int64_t) * ab.rank);
	bb.rank = bt->rank > 2 ? bt->rank - 2 : 0;
	memcpy(bb.dims, bt->dims, sizeof(int64_t) * bb.rank);
	brank = ab.rank > bb.rank ? ab.rank : bb.rank;
	for (i = 0; i < brank; i++) {
		int64_t da = i >= brank - ab.rank ?
				     ab.dims[i - (brank - ab.rank)] :
				     1;
		int64_t db = i >= brank - bb.rank ?
				     bb.dims[i - (brank - bb.rank)] :
				     1;

		bdims[i] = da > db ? da : db;
		batch *= bdims[i];
	}
	bcast_init(&a.ba, &ab, brank, bdims);
	bcast_init(&a.bb, &bb, brank, bdims);
	(void)yt;
	parallel_for(ex->pool, batch * a.m * a.n, batch * a.m * a.n * a.k,
		     matmul_range, &a);
	return 0;
}

/* ---- element-wise ---------------------------------------------------------- */

static float binop(int op, float x, float y)
{
	switch (op) {
	case VIS_OP_ADD:
		return x + y;
	case VIS_OP_SUB:
		return x - y;
	case VIS_OP_MUL:
		return x * y;
	default:
		return x / y;
	}
}

/* Integer arithmetic: division truncates, 8-bit results wrap. */
static float int_result(int dtype, float v)
{
	v = truncf(v);
	if (dtype == VIS_DT_UINT8)
		return (float)(uint8_t)vis_f2i(v);
	if (dtype == VIS_DT_INT8)
		return (float)(int8_t)vis_f2i(v);
	return v;
}

static int run_binary(const struct vis_graph *g, const struct vis_node *n,
		      const float *const *in, float *const *out)
{
	const struct vis_tensor *yt = out_t(g, n, 0);
	const struct vis_tensor *at = in_t(g, n, 0), *bt = in_t(g, n, 1);
	int64_t i, cnt = vis_tensor_numel(yt);
	int64_t na = vis_tensor_numel(at), nb = vis_tensor_numel(bt);
	struct bcast ba, bb;
	float *y = out[0];

	if (na == cnt && nb == cnt) {
		for (i = 0; i < cnt; i++)
			y[i] = binop(n->op, in[0][i], in[1][i]);
	} else if (na == cnt && nb == 1) {
		for (i = 0; i < cnt; i++)
			y[i] = binop(n->op, in[0][i], in[1][0]);
	} else {
		bcast_init(&ba, at, yt->rank, yt->dims);
		bcast_init(&bb, bt, yt->rank, yt->dims);
		for (i = 0; i < cnt; i++)
			y[i] = binop(n->op, in[0][bcast_offset(&ba, i)],
				     in[1][bcast_offset(&bb, i)]);
	}
	if (yt->dtype != VIS_DT_FLOAT)
		for (i = 0; i < cnt; i++)
			y[i] = int_result(yt->dtype, y[i]);
	act_range(n, y, cnt);
	return 0;
}

static int run_unary(const struct vis_graph *g, const struct vis_node *n,
		     const float *const *in, float *const *out)
{
	struct vis_node tmp = *n;
	int64_t cnt = vis_tensor_numel(out_t(g, n, 0));

	/* The activation operators are the fused activations, standalone. */
	tmp.act = vis_op_activation(n->op);
	tmp.act_min = tmp.act_alpha = n->attrs.alpha;
	tmp.act_max = tmp.act_beta = n->attrs.beta;
	if (out[0] != in[0])
		memcpy(out[0], in[0], sizeof(float) * cnt);
	act_range(&tmp, out[0], cnt);
	if (n->act != VIS_ACT_NONE)
		act_range(n, out[0], cnt);
	return 0;
}

static float cast_value(int to, float x)
{
	switch (to) {
	case VIS_DT_FLOAT:
		return x;
	case VIS_DT_BOOL:
		return x != 0;
	case VIS_DT_INT8:
		x = truncf(x);
		return x < -128 ? -128 : x > 127 ? 127 : x;
	case VIS_DT_UINT8:
		x = truncf(x);
		return x < 0 ? 0 : x > 255 ? 255 : x;
	default:
		return truncf(x);
	}
}

static int run_cast(const struct vis_graph *g, const struct vis_node *n,
		    const float *const *in, float *const *out)
{
	int64_t i, cnt = vis_tensor_numel(out_t(g, n, 0));

	for (i = 0; i < cnt; i++)
		out[0][i] = cast_value(n->attrs.to, in[0][i]);
	return 0;
}

/* Per-axis parameter index of flat element @i, or 0 when per tensor. */
static int64_t qparam_index(const struct vis_tensor *t, int64_t axis,
			    int64_t count, int64_t i)
{
	int64_t inner = 1;
	int d;

	if (count <= 1)
		return 0;
	for (d = axis + 1; d < t->rank; d++)
		inner *= t->dims[d];
	return (i / inner) % t->dims[axis];
}

static int run_qdq(const struct vis_graph *g, const struct vis_node *n,
		   const float *const *in, float *const *out)
{
	const struct vis_tensor *xt = in_t(g, n, 0), *st = in_t(g, n, 1);
	const struct vis_tensor *yt = out_t(g, n, 0);
	int64_t i, cnt = vis_tensor_numel(xt), ns = vis_tensor_numel(st);
	float lo = -128, hi = 127;

	if (yt->dtype == VIS_DT_UINT8 ||
	    (n->op == VIS_OP_DEQUANTIZE && xt->dtype == VIS_DT_UINT8)) {
		lo = 0;
		hi = 255;
	} else if (yt->dtype == VIS_DT_INT32 || xt->dtype == VIS_DT_INT32) {
		lo = -2147483648.0f;
		hi = 2147483520.0f;
	}
	for (i = 0; i < cnt; i++) {
		int64_t k = qparam_index(xt, n->attrs.axis, ns, i);
		float s = in[1][k], z = in[2] ? in[2][k] : 0, q;

		if (n->op == VIS_OP_QUANTIZE) {
			/* Round half to even: rintf in the default mode. */
			q = rintf(in[0][i] / s) + z;
			out[0][i] = q < lo ? lo : q > hi ? hi : q;
		} else {
			out[0][i] = (in[0][i] - z) * s;
		}
	}
	return 0;
}

static int run_batchnorm(const struct vis_graph *g, const struct vis_node *n,
			 const float *const *in, float *const *out)
{
	const struct vis_tensor *xt = in_t(g, n, 0);
	int64_t c, i, j, outer, inner = 1, ch;
	bool nhwc = n->attrs.layout == VIS_LAYOUT_NHWC;
	int d;

	ch = nhwc ? xt->dims[xt->rank - 1] : xt->dims[1];
	if (!nhwc)
		for (d = 2; d < xt->rank; d++)
			inner *= xt->dims[d];
	outer = vis_tensor_numel(xt) / (ch * inner);
	for (c = 0; c < ch; c++) {
		float a = in[1][c] / sqrtf(in[4][c] + n->attrs.epsilon);
		float b = in[2][c] - in[3][c] * a;

		for (i = 0; i < outer; i++) {
			if (nhwc) {
				int64_t k = i * ch + c;

				out[0][k] = vis_act_apply(n, in[0][k] * a + b);
				continue;
			}
			for (j = 0; j < inner; j++) {
				int64_t k = (i * ch + c) * inner + j;

				out[0][k] = vis_act_apply(n, in[0][k] * a + b);
			}
		}
	}
	return 0;
}

/* ---- pools --------------------------------------------------------------------- */

struct pool_args {
	const struct vis_node *node;
	struct geom ig, og;
	/* Element strides of n, c, h, w in the input and output. */
	int64_t is[4], os[4];
	const float *x;
	float *y;
};

static void strides_of(struct geom gm, int layout, int64_t *s)
{
	if (layout == VIS_LAYOUT_NHWC) {
		s[1] = 1;
		s[3] = gm.c;
		s[2] = gm.w * gm.c;
	} else {
		s[3] = 1;
		s[2] = gm.w;
		s[1] = gm.h * gm.w;
	}
	s[0] = gm.c * gm.h * gm.w;
}

static void pool_range(void *p, int64_t begin, int64_t end)
{
	const struct pool_args *a = p;
	const struct vis_node *n = a->node;
	const struct vis_attrs *at = &n->attrs;
	int64_t r, ow, c, y, x;

	/* r = (n * C + c) * OH + oh */
	for (r = begin; r < end; r++) {
		int64_t oh = r % a->og.h, nc = r / a->og.h;
		int64_t ni = nc / a->og.c;

		c = nc % a->og.c;
		for (ow = 0; ow < a->og.w; ow++) {
			const float *xp = a->x + ni * a->is[0] + c * a->is[1];
			int64_t h0 = oh * at->strides[0] - at->pads[0];
			int64_t w0 = ow * at->strides[1] - at->pads[1];
			float acc = n->op == VIS_OP_MAXPOOL ? -INFINITY : 0;
			int64_t cnt = 0, h1, w1;

			for (y = 0; y < at->kernel[0]; y++) {
				int64_t ih = h0 + y * at->dilations[0];

				if (ih < 0 || ih >= a->ig.h)
					continue;
				for (x = 0; x < at->kernel[1]; x++) {
					int64_t iw = w0 + x * at->dilations[1];
					float v;

					if (iw < 0 || iw >= a->ig.w)
						continue;
					v = xp[ih * a->is[2] + iw * a->is[3]];
					if (n->op == VIS_OP_MAXPOOL)
						acc = v > acc ? v : acc;
					else
						acc += v;
					cnt++;
				}
			}
			if (n->op == VIS_OP_AVGPOOL) {
				if (at->count_include_pad) {
					/* The window clipped to the padded
					 * input, not past it (ceil_mode). */
					h1 = h0 + at->kernel[0];
					w1 = w0 + at->kernel[1];
					if (h1 > a->ig.h + at->pads[2])
						h1 = a->ig.h + at->pads[2];
					if (w1 > a->ig.w + at->pads[3])
						w1 = a->ig.w + at->pads[3];
					cnt = (h1 - h0) * (w1 - w0);
				}
				acc = cnt ? acc / (float)cnt : 0;
			}
			a->y[ni * a->os[0] + c * a->os[1] + oh * a->os[2] +
			     ow * a->os[3]] = vis_act_apply(n, acc);
		}
	}
}

static int run_pool(const struct exec *ex, const struct vis_graph *g,
		    const struct vis_node *n, const float *const *in,
		    float *const *out)
{
	struct pool_args a = { .node = n, .x = in[0], .y = out[0] };
	int64_t total;

	a.ig = geom_of(in_t(g, n, 0), n->attrs.layout);
	a.og = geom_of(out_t(g, n, 0), n->attrs.layout);
	strides_of(a.ig, n->attrs.layout, a.is);
	strides_of(a.og, n->attrs.layout, a.os);
	total = a.og.n * a.og.c * a.og.h;
	parallel_for(ex->pool, total,
		     total * a.og.w * n->attrs.kernel[0] * n->attrs.kernel[1],
		     pool_range, &a);
	return 0;
}

static int run_gap(const struct vis_graph *g, const struct vis_node *n,
		   const float *const *in, float *const *out)
{
	const struct vis_tensor *xt = in_t(g, n, 0);
	bool nhwc = n->attrs.layout == VIS_LAYOUT_NHWC;
	int64_t c, i, b, ch, sp = 1, batch = xt->dims[0];
	int d;

	ch = nhwc ? xt->dims[xt->rank - 1] : xt->dims[1];
	for (d = nhwc ? 1 : 2; d < (nhwc ? xt->rank - 1 : xt->rank); d++)
		sp *= xt->dims[d];
	for (b = 0; b < batch; b++)
		for (c = 0; c < ch; c++) {
			double s = 0;

			for (i = 0; i < sp; i++)
				s += nhwc ? in[0][(b * sp + i) * ch + c] :
					    in[0][(b * ch + c) * sp + i];
			out[0][b * ch + c] =
				vis_act_apply(n, sp ? (float)(s / sp) : 0);
		}
	return 0;
}

/* ---- data movement ----------------------------------------------------------- */

static int run_transpose(const struct vis_graph *g, const struct vis_node *n,
			 const float *const *in, float *const *out)
{
	const struct vis_tensor *xt = in_t(g, n, 0), *yt = out_t(g, n, 0);
	int64_t istride[VIS_MAX_RANK], s = 1, cnt = vis_tensor_numel(yt), i;
	int64_t idx[VIS_MAX_RANK] = { 0 }, off = 0;
	int d, r = xt->rank;

	for (d = r - 1; d >= 0; d--) {
		istride[d] = s;
		s *= xt->dims[d];
	}
	/* Walk the output in order, carrying the input offset along. */
	for (i = 0; i < cnt; i++) {
		out[0][i] = in[0][off];
		for (d = r - 1; d >= 0; d--) {
			int64_t st = istride[n->attrs.perm[d]];

			if (++idx[d] < yt->dims[d]) {
				off += st;
				break;
			}
			off -= st * (idx[d] - 1);
			idx[d] = 0;
		}
	}
	return 0;
}

static int run_concat(const struct vis_graph *g, const struct vis_node *n,
		      const float *const *in, float *const *out)
{
	const struct vis_tensor *yt = out_t(g, n, 0);
	int64_t outer = 1, inner = 1, o, at = 0;
	int d, i, axis = (int)n->attrs.axis;

	for (d = 0; d < axis; d++)
		outer *= yt->dims[d];
	for (d = axis + 1; d < yt->rank; d++)
		inner *= yt->dims[d];
	for (o = 0; o < outer; o++)
		for (i = 0; i < n->ninputs; i++) {
			int64_t len = in_t(g, n, i)->dims[axis] * inner;

			memcpy(out[0] + at, in[i] + o * len,
			       sizeof(float) * len);
			at += len;
		}
	return 0;
}

static int run_pad(const struct vis_graph *g, const struct vis_node *n,
		   const float *const *in, float *const *out)
{
	const struct vis_tensor *xt = in_t(g, n, 0), *yt = out_t(g, n, 0);
	int64_t i, cnt = vis_tensor_numel(yt), idx[VIS_MAX_RANK] = { 0 };
	int d, r = yt->rank;

	for (i = 0; i < cnt; i++) {
		int64_t off = 0;
		bool inside = true;

		for (d = 0; d < r; d++) {
			int64_t s = idx[d] - n->attrs.pad_begin[d];

			if (s < 0 || s >= xt->dims[d]) {
				inside = false;
				break;
			}
			off = off * xt->dims[d] + s;
		}
		out[0][i] = inside ? in[0][off] : n->attrs.pad_value;
		for (d = r - 1; d >= 0; d--) {
			if (++idx[d] < yt->dims[d])
				break;
			idx[d] = 0;
		}
	}
	return 0;
}

static int run_gather(const struct vis_graph *g, const struct vis_node *n,
		      const float *const *in, float *const *out,
		      struct vis_error *err)
{
	const struct vis_tensor *xt = in_t(g, n, 0), *it = in_t(g, n, 1);
	int64_t outer = 1, inner = 1, o, j, ni = vis_tensor_numel(it);
	int64_t axis = n->attrs.axis, dim = xt->dims[axis], at = 0;
	int d;

	for (d = 0; d < axis; d++)
		outer *= xt->dims[d];
	for (d = axis + 1; d < xt->rank; d++)
		inner *= xt->dims[d];
	for (o = 0; o < outer; o++)
		for (j = 0; j < ni; j++) {
			int64_t k = vis_f2i(in[1][j]);

			if (k < 0)
				k += dim;
			if (k < 0 || k >= dim)
				return vis_errorf(
					err, EINVAL,
					"node '%s' (Gather): index %lld out of range [0,%lld)",
					n->name, (long long)vis_f2i(in[1][j]),
					(long long)dim);
			memcpy(out[0] + at, in[0] + (o * dim + k) * inner,
			       sizeof(float) * inner);
			at += inner;
		}
	return 0;
}

static int run_softmax(const struct vis_graph *g, const struct vis_node *n,
		       const float *const *in, float *const *out)
{
	const struct vis_tensor *xt = in_t(g, n, 0);
	int64_t outer = 1, len = 1, inner = 1, o, i, j;
	int d, axis = (int)n->attrs.axis;

	for (d = 0; d < axis; d++)
		outer *= xt->dims[d];
	if (n->attrs.softmax_2d) {
		for (d = axis; d < xt->rank; d++)
			len *= xt->dims[d];
	} else {
		len = xt->dims[axis];
		for (d = axis + 1; d < xt->rank; d++)
			inner *= xt->dims[d];
	}
	for (o = 0; o < outer; o++)
		for (j = 0; j < inner; j++) {
			const float *x = in[0] + o * len * inner + j;
			float *y = out[0] + o * len * inner + j;
			float mx = -INFINITY, sum = 0;

			for (i = 0; i < len; i++)
				mx = x[i * inner] > mx ? x[i * inner] : mx;
			for (i = 0; i < len; i++) {
				y[i * inner] = expf(x[i * inner] - mx);
				sum += y[i * inner];
			}
			for (i = 0; i < len; i++)
				y[i * inner] /= sum;
		}
	return 0;
}

/* ---- resize ------------------------------------------------------------------------- */

static float resize_coord(const struct vis_attrs *at, int d, int64_t x,
			  int64_t in_len, int64_t out_len)
{
	float s = at->resize_scale[d];
	/* ONNX's reference: the resized length before rounding down. */
	float lr = (float)in_len * s;

	(void)out_len;
	switch (at->resize_coord) {
	case VIS_COORD_ASYMMETRIC:
		return x / s;
	case VIS_COORD_ALIGN_CORNERS:
		return lr == 1 ? 0 : (float)x * (in_len - 1) / (lr - 1);
	case VIS_COORD_PYTORCH_HALF_PIXEL:
		return lr > 1 ? (x + 0.5f) / s - 0.5f : 0;
	case VIS_COORD_TF_HALF_PIXEL_FOR_NN:
		return (x + 0.5f) / s;
	default:
		return (x + 0.5f) / s - 0.5f;
	}
}

static int64_t nearest_index(int mode, float c, int64_t len)
{
	float f = floorf(c);
	int64_t i;

	switch (mode) {
	case VIS_NEAREST_FLOOR:
		i = vis_f2i(f);
		break;
	case VIS_NEAREST_CEIL:
		i = vis_f2i(ceilf(c));
		break;
	case VIS_NEAREST_ROUND_PREFER_CEIL:
		i = vis_f2i(c - f >= 0.5f ? f + 1 : f);
		break;
	default:
		i = vis_f2i(c - f > 0.5f ? f + 1 : f);
		break;
	}
	return i < 0 ? 0 : i >= len ? len - 1 : i;
}

/* Resize dim @d only: @src has shape @sd, @dst the same with dim d = ol. */
static void resize_dim(const struct vis_attrs *at, int rank, const int64_t *sd,
		       int d, int64_t ol, const float *src, float *dst)
{
	int64_t outer = 1, inner = 1, il = sd[d], o, x, j;
	int k;

	for (k = 0; k < d; k++)
		outer *= sd[k];
	for (k = d + 1; k < rank; k++)
		inner *= sd[k];
	for (x = 0; x < ol; x++) {
		float c = resize_coord(at, d, x, il, ol);
		int64_t i0, i1;
		float w;

		if (at->resize_mode == VIS_RESIZE_NEAREST) {
			i0 = i1 = nearest_index(at->resize_nearest, c, il);
			w = 0;
		} else {
			c = c < 0 ? 0 : c > il - 1 ? il - 1 : c;
			i0 = vis_f2i(c);
			i1 = i0 + 1 < il ? i0 + 1 : il - 1;
			w = c - i0;
		}
		for (o = 0; o < outer; o++) {
			const float *a = src + (o * il + i0) * inner;
			const float *b = src + (o * il + i1) * inner;
			float *y = dst + (o * ol + x) * inner;

			for (j = 0; j < inner; j++)
				y[j] = w == 0 ? a[j] : a[j] + (b[j] - a[j]) * w;
		}
	}
}

static int run_resize(const struct vis_graph *g, const struct vis_node *n,
		      const float *const *in, float *const *out)
{
	const struct vis_tensor *xt = in_t(g, n, 0), *yt = out_t(g, n, 0);
	int64_t cur[VIS_MAX_RANK], cnt = vis_tensor_numel(xt), big;
	float *buf[2] = { NULL, NULL };
	const float *src = in[0];
	int d, r = xt->rank, which = 0, ret = 0;

	/* Linear interpolation is separable: one dimension at a time. */
	memcpy(cur, xt->dims, sizeof(cur));
	big = cnt;
	for (d = 0; d < r; d++) {
		if (!xt->dims[d])
			break;
		cnt = cnt / xt->dims[d] * yt->dims[d];
		big = cnt > big ? cnt : big;
	}
	buf[0] = malloc(sizeof(float) * (big + 1));
	buf[1] = malloc(sizeof(float) * (big + 1));
	if (!buf[0] || !buf[1]) {
		ret = -ENOMEM;
		goto out;
	}
	for (d = 0; d < r; d++) {
		if (xt->dims[d] == yt->dims[d] &&
		    n->attrs.resize_scale[d] == 1.0f)
			continue;
		resize_dim(&n->attrs, r, cur, d, yt->dims[d], src, buf[which]);
		cur[d] = yt->dims[d];
		src = buf[which];
		which ^= 1;
	}
	memcpy(out[0], src, sizeof(float) * vis_tensor_numel(yt));
out:
	free(buf[0]);
	free(buf[1]);
	return ret;
}

/* ---- dispatch ------------------------------------------------------------------------- */

static int run_node(const struct exec *ex, const struct vis_graph *g,
		    const struct vis_node *n, const float *const *in,
		    float *const *out, struct vis_error *err)
{
	int64_t cnt;
	int i;

	if (vis_op_activation(n->op))
		return run_unary(g, n, in, out);
	switch (n->op) {
	case VIS_OP_CONV:
		return run_conv(ex, g, n, in, out);
	case VIS_OP_FC:
		return run_fc(ex, g, n, in, out);
	case VIS_OP_GEMM:
		return run_gemm(ex, g, n, in, out);
	case VIS_OP_MATMUL:
		return run_matmul(ex, g, n, in, out);
	case VIS_OP_BATCHNORM:
		return run_batchnorm(g, n, in, out);
	case VIS_OP_ADD:
	case VIS_OP_SUB:
	case VIS_OP_MUL:
	case VIS_OP_DIV:
		return run_binary(g, n, in, out);
	case VIS_OP_MAXPOOL:
	case VIS_OP_AVGPOOL:
		return run_pool(ex, g, n, in, out);
	case VIS_OP_GLOBAL_AVGPOOL:
		return run_gap(g, n, in, out);
	case VIS_OP_RESHAPE:
	case VIS_OP_IDENTITY:
		cnt = vis_tensor_numel(out_t(g, n, 0));
		if (out[0] != in[0])
			memcpy(out[0], in[0], sizeof(float) * cnt);
		/* Dropout's mask: all kept. */
		for (i = 1; i < n->noutputs; i++) {
			int64_t k, m = vis_tensor_numel(out_t(g, n, i));

			for (k = 0; k < m; k++)
				out[i][k] = 1.0f;
		}
		return 0;
	case VIS_OP_CAST:
		return run_cast(g, n, in, out);
	case VIS_OP_TRANSPOSE:
		return run_transpose(g, n, in, out);
	case VIS_OP_CONCAT:
		return run_concat(g, n, in, out);
	case VIS_OP_PAD:
		return run_pad(g, n, in, out);
	case VIS_OP_GATHER:
		return run_gather(g, n, in, out, err);
	case VIS_OP_SOFTMAX:
		return run_softmax(g, n, in, out);
	case VIS_OP_RESIZE:
		return run_resize(g, n, in, out);
	case VIS_OP_QUANTIZE:
	case VIS_OP_DEQUANTIZE:
		return run_qdq(g, n, in, out);
	default:
		return vis_errorf(err, ENOTSUP,
				  "node '%s': operator %d cannot run", n->name,
				  n->op);
	}
}

int vis_interp_eval_node(const struct vis_graph *g, const struct vis_node *n,
			 const float *const *in, float *const *out,
			 struct vis_error *err)
{
	const float *ins[VIS_MAX_NODE_INPUTS] = { NULL };
	struct exec ex = { 0 };
	int i;

	/* Kernels read optional inputs past ninputs as NULL. */
	for (i = 0; i < n->ninputs && i < VIS_MAX_NODE_INPUTS; i++)
		ins[i] = in[i];
	return run_node(&ex, g, n, ins, out, err);
}

/* ---- the interpreter ------------------------------------------------------------ */

struct vis_interp {
	const struct vis_graph *g;
	/* Per tensor: its values (constant data or an owned buffer). */
	float **buf;
	bool *owned;
	/* Per node: packed convolution weights or NULL. */
	float **packed;
	struct pool pool;
	struct worker workers[MAX_THREADS];
	bool pool_live;
};

int vis_interp_threads(const struct vis_interp *ip)
{
	return ip->pool.nthreads;
}

void vis_interp_destroy(struct vis_interp *ip)
{
	int i;

	if (!ip)
		return;
	if (ip->pool_live)
		pool_stop(&ip->pool);
	if (ip->buf)
		for (i = 0; i < ip->g->ntensors; i++)
			if (ip->owned[i])
				free(ip->buf[i]);
	if (ip->packed)
		for (i = 0; i < ip->g->nnodes; i++)
			free(ip->packed[i]);
	free(ip->buf);
	free(ip->owned);
	free(ip->packed);
	free(ip);
}

static int start_pool(struct vis_interp *ip, int nthreads)
{
	struct pool *pool = &ip->pool;
	int i;

	pool->nthreads = nthreads;
	if (pthread_mutex_init(&pool->mu, NULL))
		return -ENOMEM;
	pthread_cond_init(&pool->work_cv, NULL);
	pthread_cond_init(&pool->done_cv, NULL);
	ip->pool_live = true;
	/* Worker i runs chunk i; the caller runs chunk 0. */
	for (i = 1; i < nthreads; i++) {
		ip->workers[i].pool = pool;
		ip->workers[i].idx = i;
		if (pthread_create(&pool->th[pool->started], NULL, worker_main,
				   &ip->workers[i]))
			break;
		pool->started++;
	}
	/* Fewer threads than asked when creation fails: still correct. */
	pool->nthreads = pool->started + 1;
	return 0;
}

int vis_interp_create(const struct vis_graph *g, int nthreads,
		      struct vis_interp **out, struct vis_error *err)
{
	struct vis_interp *ip;
	int i, ret;

	*out = NULL;
	if (nthreads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		nthreads = n > 0 ? (int)n : 1;
	}
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	ip = calloc(1, sizeof(*ip));
	if (!ip)
		return vis_errorf(err, ENOMEM, "out of memory");
	ip->g = g;
	ip->buf = calloc(g->ntensors + 1, sizeof(*ip->buf));
	ip->owned = calloc(g->ntensors + 1, sizeof(*ip->owned));
	ip->packed = calloc(g->nnodes + 1, sizeof(*ip->packed));
	if (!ip->buf || !ip->owned || !ip->packed)
		goto nomem;
	for (i = 0; i < g->ntensors; i++) {
		const struct vis_tensor *t = &g->tensors[i];
		int64_t cnt = vis_tensor_numel(t);

		if (t->data) {
			ip->buf[i] = t->data;
			continue;
		}
		if (cnt < 0 || (uint64_t)cnt > (SIZE_MAX >> 3)) {
			vis_interp_destroy(ip);
			return vis_errorf(err, EOVERFLOW,
					  "tensor '%s' is too large", t->name);
		}
		ip->buf[i] = calloc(cnt + 1, sizeof(float));
		if (!ip->buf[i])
			goto nomem;
		ip->owned[i] = true;
	}
	for (i = 0; i < g->nnodes; i++) {
		const struct vis_node *n = &g->nodes[i];
		const struct vis_tensor *w;

		if (n->op != VIS_OP_CONV)
			continue;
		w = in_t(g, n, 1);
		if (!w || !w->data)
			continue;
		ip->packed[i] =
			malloc(sizeof(float) * (conv_packed_size(g, n) + 1));
		if (!ip->packed[i])
			goto nomem;
		conv_pack(g, n, w->data, ip->packed[i]);
	}
	ret = start_pool(ip, nthreads);
	if (ret) {
		vis_interp_destroy(ip);
		return vis_errorf(err, -ret, "cannot start threads");
	}
	*out = ip;
	return 0;
nomem:
	vis_interp_destroy(ip);
	return vis_errorf(err, ENOMEM, "out of memory");
}

int vis_interp_run(struct vis_interp *ip, const float *const *inputs,
		   float *const *outputs, struct vis_error *err)
{
	const struct vis_graph *g = ip->g;
	const float *in[VIS_MAX_NODE_INPUTS];
	float *out[VIS_MAX_NODE_OUTPUTS];
	struct exec ex = { .pool = &ip->pool };
	int i, j, ret;

	for (i = 0; i < g->ninputs; i++) {
		int t = g->inputs[i];

		if (ip->owned[t])
			memcpy(ip->buf[t], inputs[i],
			       sizeof(float) *
				       vis_tensor_numel(&g->tensors[t]));
	}
	for (i = 0; i < g->nnodes; i++) {
		const struct vis_node *n = &g->nodes[i];

		if (n->dead)
			continue;
		for (j = 0; j < n->ninputs; j++)
			in[j] = n->inputs[j] >= 0 ? ip->buf[n->inputs[j]] :
						    NULL;
		for (j = n->ninputs; j < 3 && j < VIS_MAX_NODE_INPUTS; j++)
			in[j] = NULL;
		for (j = 0; j < n->noutputs; j++)
			out[j] = ip->buf[n->outputs[j]];
		ex.packed = ip->packed[i];
		ret = run_node(&ex, g, n, in, out, err);
		if (ret)
			return ret;
	}
	if (outputs)
		for (i = 0; i < g->noutputs; i++) {
			int t = g->outputs[i];

			memcpy(outputs[i], ip->buf[t],
			       sizeof(float) *
				       vis_tensor_numel(&g->tensors[t]));
		}
	return 0;
}

const float *vis_interp_tensor(const struct vis_interp *ip, int tensor)
{
	if (tensor < 0 || tensor >= ip->g->ntensors)
		return NULL;
	return ip->buf[tensor];
}
