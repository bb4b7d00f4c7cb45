// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Bias correction in the quantizer (libvision/quantize_ops.c): each
 * CONV/FC bias gets (W - Wq) E[x] added, E[x] the mean input patch over
 * the calibration inputs, so weight rounding does not move the layer's
 * mean output.
 *
 * - An FC whose inputs have a large known mean and whose weights round
 *   coarsely: over fresh inputs from the same distribution, the corrected
 *   int8 layer's mean output error per channel (against the float layer
 *   computed here) is near zero and well below the uncorrected one.
 * - A padded convolution and a depthwise one: the int32 bias moves by
 *   (W - Wq) E[patch] / (in_scale * w_scale), with the mean patch
 *   computed here as the average im2col patch of every calibration image
 *   (the library averages the mean image's patches instead).
 * - Fashion-MNIST: both models' int8 top-1 with and without it, logged;
 *   with it, within 0.5 points of float (the target).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_test_util.h"
#include "fmnist_eval.h"
#include "graph_test_util.h"
#include "graph_passes.h"
#include "quantize.h"
#include "vis_engine.h"

#include "kselftest_harness.h"

/* models/metrics.json: the float top-1 on the 10,000 test images. */
#define CNN_FLOAT_TOP1 92.76
#define MOBILENET_FLOAT_TOP1 92.85

static uint64_t st = 0x5eed;

static float frand(void)
{
	return xorshift_unit(&st);
}

/* A constant holding a copy of @v. */
static int cnst(struct vis_graph *g, int rank, int64_t d0, int64_t d1,
		int64_t d2, int64_t d3, const float *v)
{
	int id = tg_tensor(g, NULL, rank, d0, d1, d2, d3);
	int64_t n;

	if (id < 0)
		return id;
	n = vis_tensor_numel(&g->tensors[id]);
	g->tensors[id].data = malloc(sizeof(float) * n);
	if (!g->tensors[id].data)
		return -1;
	memcpy(g->tensors[id].data, v, sizeof(float) * n);
	return id;
}

/*
 * @g quantized with @o into *@on, then with no_bias_correction set into
 * *@off. 0 or the first failure's error.
 */
static int quantize_on_off(struct vis_graph *g, const float *cal, size_t n,
			   struct vis_quant_opts *o, struct vis_qmodel **on,
			   struct vis_qmodel **off, struct vis_error *err)
{
	int ret = vis_quantize(g, cal, n, o, on, err);

	if (ret)
		return ret;
	o->no_bias_correction = true;
	return vis_quantize(g, cal, n, o, off, err);
}

/* Bright images: pixels uniform in [160, 240], so E[x] is about 0.78. */
static void bright_images(uint8_t *pix, float *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		pix[i] = (uint8_t)(200 + 40 * frand());
		x[i] = pix[i] / 255.0f;
	}
}

enum { FC_K = 256, FC_N = 16, NCAL = 256, NEVAL = 512 };

/*
 * x [1,1,16,16] -> flatten -> FC [16, 256]: per row one weight of 1 and
 * the rest small, so the per-channel scale is 1/127 and the small ones
 * round coarsely.
 */
static struct vis_graph *fc_graph(float *w, float *b)
{
	struct vis_error err = { { 0 } };
	struct vis_graph *g;
	int x, a, y, in[3], i;

	for (i = 0; i < FC_N * FC_K; i++)
		w[i] = 0.05f * frand();
	for (i = 0; i < FC_N; i++) {
		w[i * FC_K + (i * 37) % FC_K] = 1.0f;
		b[i] = 0.1f * frand();
	}
	g = tg_begin(NULL, 1, 16, &x);
	if (!g)
		return NULL;
	a = tg_tensor(g, NULL, 2, 1, FC_K, 0, 0);
	tg_node(g, "flatten", VIS_OP_RESHAPE, 1, &x, a);
	in[0] = a;
	in[1] = cnst(g, 2, FC_N, FC_K, 0, 0, w);
	in[2] = cnst(g, 1, FC_N, 0, 0, 0, b);
	y = tg_tensor(g, NULL, 2, 1, FC_N, 0, 0);
	tg_node(g, "fc", VIS_OP_FC, 3, in, y);
	g->outputs[0] = y;
	if (vis_graph_optimize(g, VIS_PASS_ALL, &err)) {
		vis_graph_destroy(g);
		return NULL;
	}
	return g;
}

/* Mean over channels of |mean over inputs of (int8 - float)|, in steps. */
static double fc_mean_error(struct __test_metadata *_metadata,
			    const struct vis_qmodel *qm, const float *w,
			    const float *b, const uint8_t *pix, const float *x)
{
	double err[FC_N] = { 0 }, tot = 0;
	struct q8_runner r;
	const int8_t *q;
	int s, c, j;

	if (q8_runner_init(&r, qm))
		return -1;
	for (s = 0; s < NEVAL; s++) {
		if (q8_runner_frame(&r, pix + s * FC_K, 16, 16, 1))
			return -1;
		q = q8_runner_output(&r, 0);
		for (c = 0; c < FC_N; c++) {
			double f = b[c];

			for (j = 0; j < FC_K; j++)
				f += (double)w[c * FC_K + j] * x[s * FC_K + j];
			err[c] += qm->out_qp[0].scale *
					  (q[c] - qm->out_qp[0].zero_point) -
				  f;
		}
	}
	for (c = 0; c < FC_N; c++)
		tot += fabs(err[c] / NEVAL);
	q8_runner_fini(&r);
	return tot / FC_N / qm->out_qp[0].scale;
}

TEST(fc_mean_output_error_is_removed)
{
	struct vis_error err = { { 0 } };
	struct vis_qmodel *on = NULL, *off = NULL;
	struct vis_quant_opts o;
	struct vis_graph *g;
	float *w = malloc(FC_N * FC_K * sizeof(float)), b[FC_N];
	float *cal = malloc(NCAL * FC_K * sizeof(float));
	float *ev = malloc(NEVAL * FC_K * sizeof(float));
	uint8_t *cpix = malloc(NCAL * FC_K), *epix = malloc(NEVAL * FC_K);
	double e_on, e_off;

	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, cal);
	ASSERT_NE(NULL, ev);
	ASSERT_NE(NULL, cpix);
	ASSERT_NE(NULL, epix);
	g = fc_graph(w, b);
	ASSERT_NE(NULL, g);
	bright_images(cpix, cal, NCAL * FC_K);
	bright_images(epix, ev, NEVAL * FC_K);
	vis_quant_opts_init(&o);
	o.calib.method = CALIB_MINMAX;
	ASSERT_EQ(0, quantize_on_off(g, cal, NCAL, &o, &on, &off, &err))
	TH_LOG("%s", err.msg);
	e_on = fc_mean_error(_metadata, on, w, b, epix, ev);
	e_off = fc_mean_error(_metadata, off, w, b, epix, ev);
	TH_LOG("mean |mean output error|: %.3f output steps corrected, %.3f uncorrected (scale %g)",
	       e_on, e_off, on->out_qp[0].scale);
	ASSERT_GE(e_on, 0);
	ASSERT_GE(e_off, 0);
	/* Uncorrected, the rounding shows; corrected, it is gone. */
	EXPECT_GT(e_off, 0.5);
	EXPECT_LT(e_on, 0.25);
	EXPECT_LT(e_on * 3, e_off);
	vis_qmodel_free(on);
	vis_qmodel_free(off);
	vis_graph_destroy(g);
	free(w);
	free(cal);
	free(ev);
	free(cpix);
	free(epix);
}

/*
 * 3x3 conv, pad 1, over [1,3,8,8] with @groups groups (1 or 3) into @co
 * channels; weights [co][3/groups][3][3] (ONNX order) into @w.
 */
static struct vis_graph *conv_graph(int groups, int co, float *w, float *b)
{
	struct vis_error err = { { 0 } };
	struct vis_graph *g;
	struct vis_attrs *a;
	int x, y, in[3], i, n, cg = 3 / groups;

	for (i = 0; i < co * cg * 9; i++)
		w[i] = 0.3f * frand() + (i % 5 == 0 ? 0.9f : 0);
	for (i = 0; i < co; i++)
		b[i] = 0.2f * frand();
	g = tg_begin(NULL, 3, 8, &x);
	if (!g)
		return NULL;
	in[0] = x;
	in[1] = cnst(g, 4, co, cg, 3, 3, w);
	in[2] = cnst(g, 1, co, 0, 0, 0, b);
	y = tg_tensor(g, NULL, 4, 1, co, 8, 8);
	n = tg_node(g, "conv", VIS_OP_CONV, 3, in, y);
	a = &g->nodes[n].attrs;
	a->kernel[0] = a->kernel[1] = 3;
	a->strides[0] = a->strides[1] = 1;
	a->dilations[0] = a->dilations[1] = 1;
	a->pads[0] = a->pads[1] = a->pads[2] = a->pads[3] = 1;
	a->group = groups;
	a->layout = VIS_LAYOUT_NCHW;
	g->outputs[0] = y;
	if (vis_graph_optimize(g, VIS_PASS_ALL, &err)) {
		vis_graph_destroy(g);
		return NULL;
	}
	return g;
}

static void check_conv_shift(struct __test_metadata *_metadata, int groups,
			     int co)
{
	enum { N = 48, HW = 8 };
	struct vis_error err = { { 0 } };
	struct vis_qmodel *on = NULL, *off = NULL;
	struct vis_model mon, moff;
	struct vis_quant_opts o;
	struct vis_graph *g;
	const struct vision_model_op *op;
	const struct vision_model_tensor *wt;
	float w[3 * 3 * 9 * 3], b[9];
	float *cal = malloc(N * HW * HW * 3 * sizeof(float));
	uint8_t *pix = malloc(N * HW * HW * 3);
	double mp[3][3][3] = { { { 0 } } }; /* [channel][ky][kx] */
	const int8_t *qw;
	const float *ws;
	const int32_t *bon, *boff;
	int s, oy, ox, ky, kx, c, ci, cg = 3 / groups, worst = 0;
	float in_scale;

	ASSERT_NE(NULL, cal);
	ASSERT_NE(NULL, pix);
	g = conv_graph(groups, co, w, b);
	ASSERT_NE(NULL, g);
	bright_images(pix, cal, N * HW * HW * 3);
	/* The mean patch, from every image's own patches (NHWC images). */
	for (s = 0; s < N; s++)
		for (oy = 0; oy < HW; oy++)
			for (ox = 0; ox < HW; ox++)
				for (ky = 0; ky < 3; ky++)
					for (kx = 0; kx < 3; kx++) {
						int iy = oy - 1 + ky,
						    ix = ox - 1 + kx;

						if (iy < 0 || iy >= HW ||
						    ix < 0 || ix >= HW)
							continue;
						for (c = 0; c < 3; c++)
							mp[c][ky][kx] +=
								cal[((s * HW +
								      iy) * HW +
								     ix) * 3 +
								    c] /
								(N * HW * HW);
					}
	vis_quant_opts_init(&o);
	ASSERT_EQ(0, quantize_on_off(g, cal, N, &o, &on, &off, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, vis_model_validate(&mon, on->blob, on->size, NULL));
	ASSERT_EQ(0, vis_model_validate(&moff, off->blob, off->size, NULL));
	op = &mon.ops[0];
	ASSERT_EQ(VISION_MODEL_OP_CONV_2D, op->type);
	wt = &mon.tensors[op->inputs[1]];
	qw = (const int8_t *)(mon.consts + wt->offset);
	ws = (const float *)(mon.consts + wt->channel_scales);
	bon = (const int32_t *)(mon.consts + mon.tensors[op->inputs[2]].offset);
	boff = (const int32_t *)(moff.consts +
				 moff.tensors[moff.ops[0].inputs[2]].offset);
	memcpy(&in_scale, &mon.tensors[op->inputs[0]].scale, sizeof(float));
	for (c = 0; c < co; c++) {
		int grp = c / (co / groups);
		double d = 0, want;

		for (ci = 0; ci < cg; ci++)
			for (ky = 0; ky < 3; ky++)
				for (kx = 0; kx < 3; kx++)
					d += ((double)w[((c * cg + ci) * 3 +
							 ky) * 3 +
							kx] -
					      (double)qw[((c * 3 + ky) * 3 +
							  kx) * cg +
							 ci] *
						      ws[c]) *
					     mp[grp * cg + ci][ky][kx];
		want = d / ((double)in_scale * ws[c]);
		/* Both biases are rounded: one step apart at most. */
		if (fabs(bon[c] - boff[c] - want) > 1.0 + 1e-6)
			worst++;
		TH_LOG("channel %d: bias moved %d, (W - Wq) E[x] gives %.2f", c,
		       bon[c] - boff[c], want);
	}
	EXPECT_EQ(0, worst);
	vis_qmodel_free(on);
	vis_qmodel_free(off);
	vis_graph_destroy(g);
	free(cal);
	free(pix);
}

TEST(conv_bias_moves_by_mean_patch)
{
	check_conv_shift(_metadata, 1, 6);
}

TEST(depthwise_bias_moves_by_mean_patch)
{
	check_conv_shift(_metadata, 3, 3);
}

TEST(disabled_leaves_the_bias)
{
	struct vis_error err = { { 0 } };
	struct vis_qmodel *qm = NULL;
	struct vis_quant_opts o;
	struct vis_graph *g;
	float w[3 * 9 * 6], b[6], *cal = malloc(8 * 192 * sizeof(float));
	uint8_t pix[8 * 192];
	uint32_t i;

	ASSERT_NE(NULL, cal);
	g = conv_graph(1, 6, w, b);
	ASSERT_NE(NULL, g);
	bright_images(pix, cal, 8 * 192);
	vis_quant_opts_init(&o);
	o.no_bias_correction = true;
	ASSERT_EQ(0, vis_quantize(g, cal, 8, &o, &qm, &err));
	for (i = 0; i < qm->nlayers; i++)
		EXPECT_EQ(0, qm->layers[i].bias_shift);
	vis_qmodel_free(qm);
	vis_graph_destroy(g);
	free(cal);
}

/* int8 top-1 of @path with and without bias correction. */
static void fmnist_with_without(struct __test_metadata *_metadata,
				const char *path, double float_top1)
{
	struct vis_dataset_opts dopts = { .labels = FMNIST
					  "t10k-labels-idx1-ubyte.gz" };
	struct vis_preprocess pp = fmnist_pp();
	struct vis_error err = { { 0 } };
	struct vis_dataset *ds = NULL;
	struct vis_qmodel *on = NULL, *off = NULL;
	struct vis_quant_opts o;
	struct vis_graph *g;
	size_t ncal = 0, n;
	int32_t *labels;
	float *cal, *x = NULL;
	double fl, q_on, q_off;

	g = fmnist_load(path, &err);
	ASSERT_NE(NULL, g) TH_LOG("%s: %s", path, err.msg);
	/* Under the sanitizers, fewer images keep it within its time. */
	cal = fmnist_calib_set(SANITIZED ? 100 : 500, &ncal, &err);
	ASSERT_NE(NULL, cal) TH_LOG("%s", err.msg);
	ASSERT_EQ(0, vis_dataset_open(FMNIST "t10k-images-idx3-ubyte.gz",
				      &dopts, &ds, &err))
	TH_LOG("%s", err.msg);
	n = SANITIZED ? 300 : vis_dataset_count(ds);
	labels = malloc(n * sizeof(*labels));
	ASSERT_NE(NULL, labels);
	if (n == 10000) {
		size_t i;

		/* The trainer's figure, checked by quantize_test. */
		for (i = 0; i < n; i++)
			labels[i] = vis_dataset_label(ds, i);
		fl = float_top1;
	} else {
		x = malloc(n * 784 * sizeof(float));
		ASSERT_NE(NULL, x);
		ASSERT_EQ(0,
			  vis_dataset_load(ds, NULL, n, &pp, x, labels, &err))
		TH_LOG("%s", err.msg);
		fl = fmnist_top1(g, NULL, ds, x, labels, n);
	}
	vis_quant_opts_init(&o);
	ASSERT_EQ(0, quantize_on_off(g, cal, ncal, &o, &on, &off, &err))
	TH_LOG("%s", err.msg);
	q_on = fmnist_top1(NULL, on, ds, NULL, labels, n);
	q_off = fmnist_top1(NULL, off, ds, NULL, labels, n);
	TH_LOG("%s, %zu test images: float %.2f%%, int8 %.2f%% with bias correction (%+.2f), %.2f%% without (%+.2f)",
	       path, n, fl, q_on, q_on - fl, q_off, q_off - fl);
	ASSERT_GT(q_on, 0);
	ASSERT_GT(q_off, 0);
	/* The target, on the whole test set. */
	EXPECT_LE(fabs(q_on - fl), SANITIZED ? 2.0 : 0.5);
	vis_qmodel_free(on);
	vis_qmodel_free(off);
	vis_dataset_free(ds);
	vis_graph_destroy(g);
	free(cal);
	free(x);
	free(labels);
}

/*
 * The whole-test-set runs take 10-40 s on two cores, more on a busy
 * machine; the harness's default limit is 30 s.
 */
FIXTURE(fmnist){};
FIXTURE_SETUP(fmnist)
{
}
FIXTURE_TEARDOWN(fmnist)
{
}

TEST_F_TIMEOUT(fmnist, fmnist_cnn_with_and_without, 180)
{
	fmnist_with_without(_metadata, FMNIST_CNN_ONNX, CNN_FLOAT_TOP1);
}

TEST_F_TIMEOUT(fmnist, fmnist_mobilenet_with_and_without, 180)
{
	fmnist_with_without(_metadata, FMNIST_MOBILENET_ONNX,
			    MOBILENET_FLOAT_TOP1);
}

TEST_HARNESS_MAIN
