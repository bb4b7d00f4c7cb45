// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The float interpreter and the graph passes on graphs built here through
 * the IR, against naive references written in this file (direct loops in
 * double precision, NCHW, straight from the ONNX operator definitions):
 * convolutions of every geometry, fully connected, pools; a small CNN of
 * the shape PyTorch exports (Conv, BatchNormalization, Relu, MaxPool,
 * depthwise Conv, HardSwish, residual Add, Flatten, Gemm) before and
 * after every pass, NHWC included; bit-identical results for any thread
 * count; and the speed of that CNN on a 28x28 image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "float_interp.h"
#include "graph_passes.h"
#include "engine_test_util.h"
#include "graph_test_util.h"

#include "kselftest_harness.h"

static uint64_t rng = 88172645463325252ull;

static float frand(void)
{
	return xorshift_unit(&rng);
}

static float *rand_buf(int64_t n)
{
	float *p = malloc(sizeof(float) * (n ? n : 1));
	int64_t i;

	for (i = 0; p && i < n; i++)
		p[i] = frand();
	return p;
}

/* ---- graph building ----------------------------------------------------- */

/* A constant of random values (or @fill when not NULL). */
static int cnst(struct vis_graph *g, const char *name, int rank, int64_t d0,
		int64_t d1, int64_t d2, int64_t d3)
{
	int id = tg_tensor(g, name, rank, d0, d1, d2, d3);

	if (id >= 0)
		g->tensors[id].data =
			rand_buf(vis_tensor_numel(&g->tensors[id]));
	return id;
}

static void set_io(struct vis_graph *g, int in, int out)
{
	g->inputs = malloc(sizeof(int));
	g->outputs = malloc(sizeof(int));
	g->inputs[0] = in;
	g->outputs[0] = out;
	g->ninputs = g->noutputs = 1;
}

/* ---- naive references ------------------------------------------------------ */

struct convp {
	int n, ci, h, w, co, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group;
};

static int conv_out(int in, int k, int s, int d, int p0, int p1)
{
	return (in + p0 + p1 - ((k - 1) * d + 1)) / s + 1;
}

/* ONNX Conv, NCHW, in double. */
static void ref_conv(const struct convp *p, const float *x, const float *w,
		     const float *b, float *y)
{
	int oh = conv_out(p->h, p->kh, p->sh, p->dh, p->pt, p->pb);
	int ow = conv_out(p->w, p->kw, p->sw, p->dw, p->pl, p->pr);
	int icg = p->ci / p->group, ocg = p->co / p->group;
	int n, o, i, yy, xx, ky, kx;

	for (n = 0; n < p->n; n++)
		for (o = 0; o < p->co; o++)
			for (yy = 0; yy < oh; yy++)
				for (xx = 0; xx < ow; xx++) {
					double s = b ? b[o] : 0;
					int gi = o / ocg;

					for (i = 0; i < icg; i++)
						for (ky = 0; ky < p->kh; ky++)
							for (kx = 0; kx < p->kw;
							     kx++) {
								int iy =
									yy * p->sh -
									p->pt +
									ky * p->dh;
								int ix =
									xx * p->sw -
									p->pl +
									kx * p->dw;
								int c = gi * icg +
									i;

								if (iy < 0 ||
								    iy >= p->h ||
								    ix < 0 ||
								    ix >= p->w)
									continue;
								s += (double)x
									     [((n * p->ci +
										c) *
										       p->h +
									       iy) *
										      p->w +
									      ix] *
								     w[((o * icg +
									 i) * p->kh +
									ky) * p->kw +
								       kx];
							}
					y[((n * p->co + o) * oh + yy) * ow + xx] =
						(float)s;
				}
}

static void ref_maxpool(int c, int h, int w, int k, int s, const float *x,
			float *y)
{
	int oh = (h - k) / s + 1, ow = (w - k) / s + 1, ch, i, j, a, b;

	for (ch = 0; ch < c; ch++)
		for (i = 0; i < oh; i++)
			for (j = 0; j < ow; j++) {
				float m = -INFINITY;

				for (a = 0; a < k; a++)
					for (b = 0; b < k; b++) {
						float v = x[(ch * h + i * s +
							     a) * w +
							    j * s + b];

						m = v > m ? v : m;
					}
				y[(ch * oh + i) * ow + j] = m;
			}
}

/*
 * Largest error relative to the largest reference value: float sums of
 * terms that cancel lose digits relative to the result, not to the terms.
 */
static double max_rel_err(const float *a, const float *b, int64_t n)
{
	double worst = 0, big = 1e-30;
	int64_t i;

	for (i = 0; i < n; i++) {
		double e = fabs((double)a[i] - b[i]);

		worst = e > worst ? e : worst;
		big = fabs((double)b[i]) > big ? fabs((double)b[i]) : big;
	}
	return worst / big;
}

/* One Conv node graph with @p; compare with ref_conv on @threads. */
static double conv_case(const struct convp *p, int threads, int *err)
{
	struct vis_graph *g = vis_graph_create();
	struct vis_interp *ip = NULL;
	int oh = conv_out(p->h, p->kh, p->sh, p->dh, p->pt, p->pb);
	int ow = conv_out(p->w, p->kw, p->sw, p->dw, p->pl, p->pr);
	int x, w, b, y, nid, in[3];
	float *xin, *want;
	const float *inp[1];
	double e = -1;

	x = tg_tensor(g, "x", 4, p->n, p->ci, p->h, p->w);
	w = cnst(g, "w", 4, p->co, p->ci / p->group, p->kh, p->kw);
	b = cnst(g, "b", 1, p->co, 0, 0, 0);
	y = tg_tensor(g, "y", 4, p->n, p->co, oh, ow);
	in[0] = x;
	in[1] = w;
	in[2] = b;
	nid = tg_node(g, NULL, VIS_OP_CONV, 3, in, y);
	g->nodes[nid].attrs.kernel[0] = p->kh;
	g->nodes[nid].attrs.kernel[1] = p->kw;
	g->nodes[nid].attrs.strides[0] = p->sh;
	g->nodes[nid].attrs.strides[1] = p->sw;
	g->nodes[nid].attrs.dilations[0] = p->dh;
	g->nodes[nid].attrs.dilations[1] = p->dw;
	g->nodes[nid].attrs.pads[0] = p->pt;
	g->nodes[nid].attrs.pads[1] = p->pl;
	g->nodes[nid].attrs.pads[2] = p->pb;
	g->nodes[nid].attrs.pads[3] = p->pr;
	g->nodes[nid].attrs.group = p->group;
	g->nodes[nid].attrs.layout = VIS_LAYOUT_NCHW;
	set_io(g, x, y);
	xin = rand_buf((int64_t)p->n * p->ci * p->h * p->w);
	want = malloc(sizeof(float) * p->n * p->co * oh * ow);
	ref_conv(p, xin, g->tensors[w].data, g->tensors[b].data, want);
	inp[0] = xin;
	*err = vis_interp_create(g, threads, &ip, NULL);
	if (!*err)
		*err = vis_interp_run(ip, inp, NULL, NULL);
	if (!*err)
		e = max_rel_err(vis_interp_tensor(ip, y), want,
				(int64_t)p->n * p->co * oh * ow);
	/* The same node in NHWC must agree too. */
	if (!*err) {
		struct vis_graph *h = vis_graph_clone(g);
		struct vis_interp *hp = NULL;
		float *xh = malloc(sizeof(float) * p->n * p->ci * p->h * p->w);
		const float *hin[1] = { xh };
		int n, c, i;

		for (n = 0; n < p->n; n++)
			for (c = 0; c < p->ci; c++)
				for (i = 0; i < p->h * p->w; i++)
					xh[(n * p->h * p->w + i) * p->ci + c] =
						xin[(n * p->ci + c) * p->h *
							    p->w +
						    i];
		*err = vis_pass_nhwc(h, false, NULL);
		if (!*err)
			*err = vis_interp_create(h, threads, &hp, NULL);
		if (!*err)
			*err = vis_interp_run(hp, hin, NULL, NULL);
		if (!*err) {
			const float *got = vis_interp_tensor(hp, h->outputs[0]);
			float *back =
				malloc(sizeof(float) * p->n * p->co * oh * ow);
			double worst;

			for (n = 0; n < p->n; n++)
				for (c = 0; c < p->co; c++)
					for (i = 0; i < oh * ow; i++)
						back[(n * p->co + c) * oh * ow +
						     i] = got[(n * oh * ow +
							       i) * p->co +
							      c];
			worst = max_rel_err(back, want,
					    (int64_t)p->n * p->co * oh * ow);
			e = worst > e ? worst : e;
			free(back);
		}
		vis_interp_destroy(hp);
		vis_graph_destroy(h);
		free(xh);
	}
	vis_interp_destroy(ip);
	vis_graph_destroy(g);
	free(xin);
	free(want);
	return e;
}

TEST(conv_geometries)
{
	static const struct convp cases[] = {
		/* n ci h w co kh kw sh sw dh dw pt pl pb pr group */
		{ 1, 1, 28, 28, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 1, 3, 9, 11, 4, 3, 5, 2, 1, 1, 1, 0, 2, 1, 0, 1 },
		{ 2, 4, 7, 7, 6, 3, 3, 1, 2, 2, 1, 2, 1, 2, 0, 2 },
		{ 1, 8, 10, 10, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8 },
		{ 1, 4, 6, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4 },
		{ 1, 16, 5, 5, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1 },
		{ 1, 6, 12, 12, 9, 5, 2, 3, 2, 1, 3, 0, 1, 2, 3, 3 },
	};
	size_t i;
	int t, err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (t = 1; t <= 3; t++) {
			double e = conv_case(&cases[i], t, &err);

			ASSERT_EQ(0, err);
			EXPECT_GT(1e-5, e)
			TH_LOG("case %zu, %d threads: rel err %g", i, t, e);
		}
}

TEST(fc_and_gemm)
{
	struct vis_graph *g = vis_graph_create();
	struct vis_interp *ip;
	int x, a, w, b, y, in[3], nid;
	const int64_t k = 37, n = 11;
	float *xin = rand_buf(k), want[11];
	const float *inp[1] = { xin };
	int64_t i, j;

	/* Gemm(x, W^T) * 0.5 + 2 * b, then the same as FC after the pass. */
	x = tg_tensor(g, "x", 2, 1, k, 0, 0);
	w = cnst(g, "w", 2, n, k, 0, 0);
	b = cnst(g, "b", 1, n, 0, 0, 0);
	y = tg_tensor(g, "y", 2, 1, n, 0, 0);
	in[0] = x;
	in[1] = w;
	in[2] = b;
	nid = tg_node(g, NULL, VIS_OP_GEMM, 3, in, y);
	g->nodes[nid].attrs.trans_b = 1;
	g->nodes[nid].attrs.alpha = 0.5f;
	g->nodes[nid].attrs.beta = 2.0f;
	set_io(g, x, y);
	for (j = 0; j < n; j++) {
		double s = 0;

		for (i = 0; i < k; i++)
			s += (double)xin[i] * g->tensors[w].data[j * k + i];
		want[j] = (float)(0.5 * s + 2.0 * g->tensors[b].data[j]);
	}
	ASSERT_EQ(0, vis_interp_create(g, 2, &ip, NULL));
	ASSERT_EQ(0, vis_interp_run(ip, inp, NULL, NULL));
	EXPECT_GT(1e-5, max_rel_err(vis_interp_tensor(ip, y), want, n));
	vis_interp_destroy(ip);
	ASSERT_EQ(0, vis_graph_optimize(g, VIS_PASS_ALL, NULL));
	ASSERT_EQ(1, g->nnodes);
	EXPECT_EQ(VIS_OP_FC, g->nodes[0].op);
	ASSERT_EQ(0, vis_interp_create(g, 2, &ip, NULL));
	ASSERT_EQ(0, vis_interp_run(ip, inp, NULL, NULL));
	EXPECT_GT(1e-5,
		  max_rel_err(vis_interp_tensor(ip, g->outputs[0]), want, n));
	vis_interp_destroy(ip);
	vis_graph_destroy(g);
	free(xin);
	(void)a;
}

TEST(maxpool_and_avgpool)
{
	struct vis_graph *g = vis_graph_create();
	struct vis_interp *ip;
	int x, y, z, nid, in[1];
	float *xin = rand_buf(3 * 9 * 9), want[3 * 4 * 4], avg[3 * 5 * 5];
	const float *inp[1] = { xin };
	int c, i, j, a, b;

	x = tg_tensor(g, "x", 4, 1, 3, 9, 9);
	y = tg_tensor(g, "y", 4, 1, 3, 4, 4);
	z = tg_tensor(g, "z", 4, 1, 3, 5, 5);
	in[0] = x;
	nid = tg_node(g, NULL, VIS_OP_MAXPOOL, 1, in, y);
	g->nodes[nid].attrs.kernel[0] = g->nodes[nid].attrs.kernel[1] = 3;
	g->nodes[nid].attrs.strides[0] = g->nodes[nid].attrs.strides[1] = 2;
	g->nodes[nid].attrs.layout = VIS_LAYOUT_NCHW;
	/* Average 3x3, stride 2, pad 1, padding not counted. */
	nid = tg_node(g, NULL, VIS_OP_AVGPOOL, 1, in, z);
	g->nodes[nid].attrs.kernel[0] = g->nodes[nid].attrs.kernel[1] = 3;
	g->nodes[nid].attrs.strides[0] = g->nodes[nid].attrs.strides[1] = 2;
	for (i = 0; i < 4; i++)
		g->nodes[nid].attrs.pads[i] = 1;
	g->nodes[nid].attrs.layout = VIS_LAYOUT_NCHW;
	set_io(g, x, y);
	g->outputs = realloc(g->outputs, 2 * sizeof(int));
	g->outputs[1] = z;
	g->noutputs = 2;
	ref_maxpool(3, 9, 9, 3, 2, xin, want);
	for (c = 0; c < 3; c++)
		for (i = 0; i < 5; i++)
			for (j = 0; j < 5; j++) {
				double s = 0;
				int cnt = 0;

				for (a = 0; a < 3; a++)
					for (b = 0; b < 3; b++) {
						int yy = i * 2 - 1 + a,
						    xx = j * 2 - 1 + b;

						if (yy < 0 || yy >= 9 ||
						    xx < 0 || xx >= 9)
							continue;
						s += xin[(c * 9 + yy) * 9 + xx];
						cnt++;
					}
				avg[(c * 5 + i) * 5 + j] = (float)(s / cnt);
			}
	ASSERT_EQ(0, vis_graph_check(g, NULL));
	ASSERT_EQ(0, vis_interp_create(g, 2, &ip, NULL));
	ASSERT_EQ(0, vis_interp_run(ip, inp, NULL, NULL));
	EXPECT_EQ(0, memcmp(vis_interp_tensor(ip, y), want, sizeof(want)));
	EXPECT_GT(1e-5, max_rel_err(vis_interp_tensor(ip, z), avg, 75));
	vis_interp_destroy(ip);
	vis_graph_destroy(g);
	free(xin);
}

/* ---- a PyTorch-style small CNN ------------------------------------------- */

/*
 * x[1,1,28,28] -> Conv 3x3 16 pad 1 -> BN -> Relu -> MaxPool 2
 * -> depthwise Conv 3x3 pad 1 -> HardSwish -> Add (residual with the
 * MaxPool output) -> Conv 1x1 32 -> Relu -> MaxPool 2 -> Flatten
 * -> Gemm(transB) 10.
 */
static struct vis_graph *small_cnn(void)
{
	struct vis_graph *g = vis_graph_create();
	int x, c1, bn, r1, p1, dw, hs, ad, c2, r2, p2, fl, y, in[5], n, i;
	int w1, b1, s, bb, m, v, wd, bd, w2, b2, wf, bf;

	x = tg_tensor(g, "x", 4, 1, 1, 28, 28);
	w1 = cnst(g, "w1", 4, 16, 1, 3, 3);
	b1 = cnst(g, "b1", 1, 16, 0, 0, 0);
	c1 = tg_tensor(g, "c1", 4, 1, 16, 28, 28);
	in[0] = x;
	in[1] = w1;
	in[2] = b1;
	n = tg_node(g, NULL, VIS_OP_CONV, 3, in, c1);
	g->nodes[n].attrs.kernel[0] = g->nodes[n].attrs.kernel[1] = 3;
	for (i = 0; i < 4; i++)
		g->nodes[n].attrs.pads[i] = 1;
	g->nodes[n].attrs.layout = VIS_LAYOUT_NCHW;
	s = cnst(g, "bn_s", 1, 16, 0, 0, 0);
	bb = cnst(g, "bn_b", 1, 16, 0, 0, 0);
	m = cnst(g, "bn_m", 1, 16, 0, 0, 0);
	v = cnst(g, "bn_v", 1, 16, 0, 0, 0);
	for (i = 0; i < 16; i++)
		g->tensors[v].data[i] = 0.5f + fabsf(g->tensors[v].data[i]);
	bn = tg_tensor(g, "bn", 4, 1, 16, 28, 28);
	in[0] = c1;
	in[1] = s;
	in[2] = bb;
	in[3] = m;
	in[4] = v;
	n = tg_node(g, NULL, VIS_OP_BATCHNORM, 5, in, bn);
	g->nodes[n].attrs.epsilon = 1e-5f;
	g->nodes[n].attrs.layout = VIS_LAYOUT_NCHW;
	r1 = tg_tensor(g, "r1", 4, 1, 16, 28, 28);
	in[0] = bn;
	tg_node(g, NULL, VIS_OP_RELU, 1, in, r1);
	p1 = tg_tensor(g, "p1", 4, 1, 16, 14, 14);
	in[0] = r1;
	n = tg_node(g, NULL, VIS_OP_MAXPOOL, 1, in, p1);
	g->nodes[n].attrs.kernel[0] = g->nodes[n].attrs.kernel[1] = 2;
	g->nodes[n].attrs.strides[0] = g->nodes[n].attrs.strides[1] = 2;
	g->nodes[n].attrs.layout = VIS_LAYOUT_NCHW;
	wd = cnst(g, "wd", 4, 16, 1, 3, 3);
	bd = cnst(g, "bd", 1, 16, 0, 0, 0);
	dw = tg_tensor(g, "dw", 4, 1, 16, 14, 14);
	in[0] = p1;
	in[1] = wd;
	in[2] = bd;
	n = tg_node(g, NULL, VIS_OP_CONV, 3, in, dw);
	g->nodes[n].attrs.kernel[0] = g->nodes[n].attrs.kernel[1] = 3;
	for (i = 0; i < 4; i++)
		g->nodes[n].attrs.pads[i] = 1;
	g->nodes[n].attrs.group = 16;
	g->nodes[n].attrs.layout = VIS_LAYOUT_NCHW;
	hs = tg_tensor(g, "hs", 4, 1, 16, 14, 14);
	in[0] = dw;
	tg_node(g, NULL, VIS_OP_HARD_SWISH, 1, in, hs);
	ad = tg_tensor(g, "ad", 4, 1, 16, 14, 14);
	in[0] = hs;
	in[1] = p1;
	tg_node(g, NULL, VIS_OP_ADD, 2, in, ad);
	w2 = cnst(g, "w2", 4, 32, 16, 1, 1);
	b2 = cnst(g, "b2", 1, 32, 0, 0, 0);
	c2 = tg_tensor(g, "c2", 4, 1, 32, 14, 14);
	in[0] = ad;
	in[1] = w2;
	in[2] = b2;
	n = tg_node(g, NULL, VIS_OP_CONV, 3, in, c2);
	g->nodes[n].attrs.layout = VIS_LAYOUT_NCHW;
	r2 = tg_tensor(g, "r2", 4, 1, 32, 14, 14);
	in[0] = c2;
	tg_node(g, NULL, VIS_OP_RELU, 1, in, r2);
	p2 = tg_tensor(g, "p2", 4, 1, 32, 7, 7);
	in[0] = r2;
	n = tg_node(g, NULL, VIS_OP_MAXPOOL, 1, in, p2);
	g->nodes[n].attrs.kernel[0] = g->nodes[n].attrs.kernel[1] = 2;
	g->nodes[n].attrs.strides[0] = g->nodes[n].attrs.strides[1] = 2;
	g->nodes[n].attrs.layout = VIS_LAYOUT_NCHW;
	fl = tg_tensor(g, "fl", 2, 1, 32 * 49, 0, 0);
	in[0] = p2;
	tg_node(g, NULL, VIS_OP_RESHAPE, 1, in, fl);
	wf = cnst(g, "wf", 2, 10, 32 * 49, 0, 0);
	bf = cnst(g, "bf", 1, 10, 0, 0, 0);
	y = tg_tensor(g, "y", 2, 1, 10, 0, 0);
	in[0] = fl;
	in[1] = wf;
	in[2] = bf;
	n = tg_node(g, NULL, VIS_OP_GEMM, 3, in, y);
	g->nodes[n].attrs.trans_b = 1;
	g->nodes[n].attrs.alpha = g->nodes[n].attrs.beta = 1;
	set_io(g, x, y);
	if (vis_graph_check(g, NULL)) {
		vis_graph_destroy(g);
		return NULL;
	}
	return g;
}

/* The CNN by hand, from the graph's constants, in double where it sums. */
static void small_cnn_ref(const struct vis_graph *g, const float *x, float *out)
{
	static float c1[16 * 784], p1[16 * 196], dw[16 * 196], c2[32 * 196],
		p2[32 * 49];
	const struct convp k1 = { 1, 1, 28, 28, 16, 3, 3, 1,
				  1, 1, 1,  1,	1,  1, 1, 1 };
	const struct convp kd = { 1, 16, 14, 14, 16, 3, 3, 1,
				  1, 1,	 1,  1,	 1,  1, 1, 16 };
	const struct convp k2 = { 1, 16, 14, 14, 32, 1, 1, 1,
				  1, 1,	 1,  0,	 0,  0, 0, 1 };
#define C(name) (g->tensors[vis_graph_find_tensor(g, name)].data)
	int c, i, o;

	ref_conv(&k1, x, C("w1"), C("b1"), c1);
	for (c = 0; c < 16; c++)
		for (i = 0; i < 784; i++) {
			double v = (c1[c * 784 + i] - C("bn_m")[c]) /
					   sqrt(C("bn_v")[c] + 1e-5) *
					   C("bn_s")[c] +
				   C("bn_b")[c];

			c1[c * 784 + i] = v > 0 ? (float)v : 0;
		}
	ref_maxpool(16, 28, 28, 2, 2, c1, p1);
	ref_conv(&kd, p1, C("wd"), C("bd"), dw);
	for (i = 0; i < 16 * 196; i++) {
		double v = dw[i], t = v / 6 + 0.5;

		t = t < 0 ? 0 : t > 1 ? 1 : t;
		dw[i] = (float)(v * t + p1[i]);
	}
	ref_conv(&k2, dw, C("w2"), C("b2"), c2);
	for (i = 0; i < 32 * 196; i++)
		c2[i] = c2[i] > 0 ? c2[i] : 0;
	ref_maxpool(32, 14, 14, 2, 2, c2, p2);
	for (o = 0; o < 10; o++) {
		double s = C("bf")[o];

		for (i = 0; i < 32 * 49; i++)
			s += (double)p2[i] * C("wf")[o * 32 * 49 + i];
		out[o] = (float)s;
	}
#undef C
}

static void run_graph(struct __test_metadata *_metadata,
		      const struct vis_graph *g, const float *x, int threads,
		      float *y)
{
	struct vis_interp *ip;
	struct vis_error err = { "" };
	const float *inp[1] = { x };
	float *outp[1] = { y };

	ASSERT_EQ(0, vis_interp_create(g, threads, &ip, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, vis_interp_run(ip, inp, outp, &err))
	TH_LOG("%s", err.msg);
	vis_interp_destroy(ip);
}

TEST(small_cnn_reference_and_passes)
{
	struct vis_graph *g = small_cnn(), *p;
	struct vis_error err = { "" };
	float *x = rand_buf(784), want[10], got[10], opt[10];
	int i, convs = 0, fcs = 0, others = 0;

	ASSERT_NE(NULL, g);
	small_cnn_ref(g, x, want);
	run_graph(_metadata, g, x, 2, got);
	EXPECT_GT(1e-4, max_rel_err(got, want, 10));

	/* All passes, NHWC: a 1-channel input is the same memory. */
	p = vis_graph_clone(g);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vis_graph_optimize(p, VIS_PASS_ALL, &err))
	TH_LOG("%s", err.msg);
	run_graph(_metadata, p, x, 2, opt);
	EXPECT_GT(1e-4, max_rel_err(opt, want, 10));
	for (i = 0; i < p->nnodes; i++) {
		switch (p->nodes[i].op) {
		case VIS_OP_CONV:
			convs++;
			EXPECT_EQ(VIS_LAYOUT_NHWC, p->nodes[i].attrs.layout);
			break;
		case VIS_OP_FC:
			fcs++;
			break;
		case VIS_OP_MAXPOOL:
		case VIS_OP_HARD_SWISH:
		case VIS_OP_ADD:
		case VIS_OP_RESHAPE:
			break;
		default:
			others++;
			TH_LOG("left: %s", vis_op_name(p->nodes[i].op));
		}
	}
	/* BN and both Relus folded, Gemm is FC, no Transpose left. */
	EXPECT_EQ(3, convs);
	EXPECT_EQ(1, fcs);
	EXPECT_EQ(0, others);
	EXPECT_EQ(9, p->nnodes);
	EXPECT_EQ(VIS_ACT_RELU, p->nodes[0].act);
	vis_graph_destroy(p);
	vis_graph_destroy(g);
	free(x);
}

TEST(thread_count_invariance)
{
	struct vis_graph *g = small_cnn(), *p;
	float *x = rand_buf(784), ref[10], y[10];
	int t;

	ASSERT_NE(NULL, g);
	p = vis_graph_clone(g);
	ASSERT_EQ(0, vis_graph_optimize(p, VIS_PASS_ALL, NULL));
	run_graph(_metadata, g, x, 1, ref);
	for (t = 2; t <= 8; t++) {
		run_graph(_metadata, g, x, t, y);
		EXPECT_EQ(0, memcmp(ref, y, sizeof(y)))
		TH_LOG("%d threads differ", t);
	}
	run_graph(_metadata, p, x, 1, ref);
	for (t = 2; t <= 8; t++) {
		run_graph(_metadata, p, x, t, y);
		EXPECT_EQ(0, memcmp(ref, y, sizeof(y)))
		TH_LOG("%d threads differ (optimized)", t);
	}
	vis_graph_destroy(p);
	vis_graph_destroy(g);
	free(x);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

TEST(small_cnn_speed)
{
	struct vis_graph *g = small_cnn();
	struct vis_interp *ip;
	float *x = rand_buf(784), y[10];
	const float *inp[1] = { x };
	float *outp[1] = { y };
	double t0, ms;
	int i, runs = 200, t;

	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, vis_graph_optimize(g, VIS_PASS_ALL, NULL));
	for (t = 1; t <= 2; t++) {
		ASSERT_EQ(0, vis_interp_create(g, t, &ip, NULL));
		ASSERT_EQ(0, vis_interp_run(ip, inp, outp, NULL));
		t0 = now_ms();
		for (i = 0; i < runs; i++)
			vis_interp_run(ip, inp, outp, NULL);
		ms = (now_ms() - t0) / runs;
		/* ~1.9 M multiply-adds; informative, the bound is loose. */
		TH_LOG("small CNN, %d thread(s): %.3f ms per 28x28 image", t,
		       ms);
		EXPECT_GT(20.0, ms);
		vis_interp_destroy(ip);
	}
	vis_graph_destroy(g);
	free(x);
}

/* Removing a graph through vis_graph_check: a cycle is an error. */
TEST(cycle_is_refused)
{
	struct vis_graph *g = vis_graph_create();
	struct vis_error err = { "" };
	int x, a, b, in[2];

	x = tg_tensor(g, "x", 1, 4, 0, 0, 0);
	a = tg_tensor(g, "a", 1, 4, 0, 0, 0);
	b = tg_tensor(g, "b", 1, 4, 0, 0, 0);
	in[0] = x;
	in[1] = b;
	tg_node(g, NULL, VIS_OP_ADD, 2, in, a);
	in[0] = a;
	tg_node(g, NULL, VIS_OP_RELU, 1, in, b);
	set_io(g, x, b);
	EXPECT_EQ(-EINVAL, vis_graph_check(g, &err));
	EXPECT_NE(NULL, strstr(err.msg, "cycle"))
	TH_LOG("%s", err.msg);
	vis_graph_destroy(g);
}

TEST_HARNESS_MAIN
