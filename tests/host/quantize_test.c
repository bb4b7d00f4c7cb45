// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The quantizer (libvision/quantize.c) end to end and in the small:
 *
 * - models/fmnist_cnn.onnx calibrated on 500 Fashion-MNIST training
 *   images; the int8 model runs on all 10,000 test images through the
 *   engine's own input stage (GREY frames of the raw pixels), and its
 *   top-1 is compared with the float interpreter's top-1 on the same
 *   images (pixel / 255) and with the labels: within 0.5 points;
 * - small graphs built here (a conv, an FC, an add of two convs, LUT
 *   ops) whose int8 output, dequantised, stays within a few output steps
 *   of the float output; one FC output requantised by hand from the
 *   published TFLite formula must match the engine exactly;
 * - the memory plan against a hand case, random lifetimes, and the real
 *   model's op table (no two live tensors share a byte);
 * - bad inputs: no calibration data, unsupported operators (named),
 *   inputs that are not an image, non-finite calibration data, images
 *   of the wrong size, truncated ONNX.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset.h"
#include "fmnist_eval.h"
#include "float_interp.h"
#include "graph_passes.h"
#include "mem_plan.h"
#include "onnx_import.h"
#include "quantize.h"
#include "vis_engine.h"
#include "engine_test_util.h"
#include "graph_test_util.h"

#include "kselftest_harness.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static float frand(void)
{
	return xorshift_unit(&rng);
}

static struct vis_graph *load_cnn(struct __test_metadata *_metadata)
{
	struct vis_error err = { { 0 } };
	struct vis_graph *g = fmnist_load(FMNIST_CNN_ONNX, &err);

	if (!g)
		TH_LOG("%s: %s", FMNIST_CNN_ONNX, err.msg);
	return g;
}

/* 500 random training images, as vision-compile picks them. */
static float *calib_set(struct __test_metadata *_metadata, size_t *n)
{
	struct vis_error err = { { 0 } };
	float *x = fmnist_calib_set(500, n, &err);

	if (!x)
		TH_LOG("%s", err.msg);
	return x;
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

/*
 * The MobileNet-style model (depthwise convolutions, hard-swish tables,
 * residual Adds): the default calibration keeps int8 within 0.5 points
 * of float on the test set, as for the CNN.
 */
TEST_F_TIMEOUT(fmnist, fmnist_mobilenet_int8_accuracy, 180)
{
	struct vis_error err = { { 0 } };
	struct vis_dataset *ds = NULL;
	struct vis_qmodel *qm = NULL;
	struct vis_quant_opts o;
	struct vis_graph *g;
	size_t ncal = 0, n;
	int32_t *labels;
	double fl, q8;
	float *cal, *x;

	g = fmnist_load(FMNIST_MOBILENET_ONNX, &err);
	ASSERT_NE(NULL, g) TH_LOG("%s: %s", FMNIST_MOBILENET_ONNX, err.msg);
	cal = calib_set(_metadata, &ncal);
	ASSERT_NE(NULL, cal);
	ASSERT_EQ(0, fmnist_test_set(SANITIZED ? 1000 : SIZE_MAX, &ds, &x,
				     &labels, &n, &err))
	TH_LOG("%s", err.msg);

	fl = fmnist_top1(g, NULL, ds, x, labels, n);
	ASSERT_GT(fl, 0);
	if (n == 10000)
		/* The trainer's figure (models/metrics.json), from PyTorch. */
		EXPECT_LT(fabs(fl - 92.85), 0.055);
	vis_quant_opts_init(&o);
	ASSERT_EQ(0, vis_quantize(g, cal, ncal, &o, &qm, &err))
	TH_LOG("%s", err.msg);
	q8 = fmnist_top1(NULL, qm, ds, NULL, labels, n);
	TH_LOG("mobilenet: int8 top-1 %.2f%% vs float %.2f%% (%+.2f points), %zu bytes, arena %llu (naive %llu)",
	       q8, fl, q8 - fl, qm->size, (unsigned long long)qm->arena_planned,
	       (unsigned long long)qm->arena_naive);
	EXPECT_LE(fabs(q8 - fl), 0.5);

	vis_qmodel_free(qm);
	free(x);
	free(labels);
	free(cal);
	vis_dataset_free(ds);
	vis_graph_destroy(g);
}

TEST_F_TIMEOUT(fmnist, fmnist_cnn_int8_accuracy, 180)
{
	static const char *const mname[] = { "minmax", "percentile", "mse",
					     "kl" };
	struct vis_error err = { { 0 } };
	struct vis_dataset *ds = NULL;
	struct vis_quant_opts o;
	struct vis_qmodel *qm = NULL;
	struct vis_graph *g;
	size_t ncal = 0, n, i;
	float *cal, *x;
	int32_t *labels;
	double fl, q8, t0;
	int m;

	g = load_cnn(_metadata);
	ASSERT_NE(NULL, g);
	cal = calib_set(_metadata, &ncal);
	ASSERT_NE(NULL, cal);
	ASSERT_EQ(500, ncal);
	/* Under the sanitizers a fifth of the test set keeps it quick. */
	ASSERT_EQ(0, fmnist_test_set(SANITIZED ? 2000 : SIZE_MAX, &ds, &x,
				     &labels, &n, &err))
	TH_LOG("%s", err.msg);

	t0 = fmnist_now();
	fl = fmnist_top1(g, NULL, ds, x, labels, n);
	TH_LOG("float top-1 %.2f%% on %zu test images (%.1f s)", fl, n,
	       fmnist_now() - t0);
	ASSERT_GT(fl, 0);
	if (n == 10000)
		/* The trainer's figure (models/metrics.json), from PyTorch. */
		EXPECT_LT(fabs(fl - 92.76), 0.055);

	for (m = CALIB_MINMAX; m <= CALIB_KL; m++) {
		/* The default method always; the others when not sanitized. */
		if (SANITIZED && m != CALIB_PERCENTILE)
			continue;
		vis_quant_opts_init(&o);
		o.calib.method = (enum calib_method)m;
		t0 = fmnist_now();
		ASSERT_EQ(0, vis_quantize(g, cal, ncal, &o, &qm, &err))
		TH_LOG("%s", err.msg);
		TH_LOG("%s: quantized in %.2f s, %zu bytes, arena %llu (naive %llu)",
		       mname[m], fmnist_now() - t0, qm->size,
		       (unsigned long long)qm->arena_planned,
		       (unsigned long long)qm->arena_naive);
		t0 = fmnist_now();
		q8 = fmnist_top1(NULL, qm, ds, NULL, labels, n);
		TH_LOG("%s: int8 top-1 %.2f%% vs float %.2f%% (%+.2f points, %.1f s)",
		       mname[m], q8, fl, q8 - fl, fmnist_now() - t0);
		ASSERT_GT(q8, 0);
		if (m == CALIB_PERCENTILE)
			EXPECT_LE(fabs(q8 - fl), 0.5);
		/* The image's own layers agree with the float ones. */
		if (m == CALIB_PERCENTILE) {
			ASSERT_EQ(0, vis_quant_compare(qm, g, cal, 8, 0, &err))
			TH_LOG("%s", err.msg);
			for (i = 0; i < qm->nlayers; i++) {
				TH_LOG("  %-32s %-16s SQNR %6.2f dB cos %.5f",
				       qm->layers[i].name, qm->layers[i].op,
				       qm->layers[i].sqnr_db,
				       qm->layers[i].cosine);
				EXPECT_GT(qm->layers[i].sqnr_db, 20);
				EXPECT_GT(qm->layers[i].cosine, 0.99);
			}
			EXPECT_LT(qm->arena_planned, qm->arena_naive);
		}
		vis_qmodel_free(qm);
		qm = NULL;
	}
	free(x);
	free(labels);
	free(cal);
	vis_dataset_free(ds);
	vis_graph_destroy(g);
}

/* ---- small graphs ---------------------------------------------------------- */

static int cnst(struct vis_graph *g, const char *name, int rank, int64_t d0,
		int64_t d1, int64_t d2, int64_t d3, float amp)
{
	int id = tg_tensor(g, name, rank, d0, d1, d2, d3);
	int64_t i, n;

	if (id < 0)
		return id;
	n = vis_tensor_numel(&g->tensors[id]);
	g->tensors[id].data = malloc(sizeof(float) * n);
	for (i = 0; g->tensors[id].data && i < n; i++)
		g->tensors[id].data[i] = amp * frand();
	return id;
}

/* Conv k x k, stride 1, same padding, @group groups, NCHW. */
static int conv(struct vis_graph *g, const char *name, int x, int ci, int co,
		int k, int group, int hw)
{
	int w = cnst(g, NULL, 4, co, ci / group, k, k, 0.5f);
	int b = cnst(g, NULL, 1, co, 0, 0, 0, 0.2f);
	int y = tg_tensor(g, NULL, 4, 1, co, hw, hw);
	int in[3] = { x, w, b };
	int n = tg_node(g, name, VIS_OP_CONV, 3, in, y);
	struct vis_attrs *a = &g->nodes[n].attrs;

	a->kernel[0] = a->kernel[1] = k;
	a->strides[0] = a->strides[1] = 1;
	a->dilations[0] = a->dilations[1] = 1;
	a->pads[0] = a->pads[1] = a->pads[2] = a->pads[3] = k / 2;
	a->group = group;
	a->layout = VIS_LAYOUT_NCHW;
	return y;
}

static void pool_attrs(struct vis_attrs *a, int k, int stride, int pad)
{
	a->kernel[0] = a->kernel[1] = k;
	a->strides[0] = a->strides[1] = stride;
	a->dilations[0] = a->dilations[1] = 1;
	a->pads[0] = a->pads[1] = a->pads[2] = a->pads[3] = pad;
	a->layout = VIS_LAYOUT_NCHW;
}

enum small {
	SMALL_CONV,
	SMALL_FC,
	SMALL_ADD,
	SMALL_LUT,
	SMALL_SUB,
	SMALL_MOBILE,
	SMALL_MISC,
};

static struct vis_graph *small_graph(enum small kind, int *c)
{
	struct vis_graph *g;
	int x, y = -1, a, b, d, in[3];

	*c = kind == SMALL_FC || kind == SMALL_MOBILE ? 1 : 3;
	g = tg_begin("x", *c, 8, &x);
	if (!g)
		return NULL;
	switch (kind) {
	case SMALL_CONV:
		y = conv(g, "conv", x, 3, 8, 3, 1, 8);
		break;
	case SMALL_FC:
		a = tg_tensor(g, NULL, 2, 1, 64, 0, 0);
		tg_node(g, "flatten", VIS_OP_RESHAPE, 1, &x, a);
		in[0] = a;
		in[1] = cnst(g, NULL, 2, 10, 64, 0, 0, 0.3f);
		in[2] = cnst(g, NULL, 1, 10, 0, 0, 0, 0.3f);
		y = tg_tensor(g, NULL, 2, 1, 10, 0, 0);
		tg_node(g, "fc", VIS_OP_FC, 3, in, y);
		break;
	case SMALL_ADD:
	case SMALL_SUB:
		a = conv(g, "conv_a", x, 3, 3, 3, 1, 8);
		b = conv(g, "dw_b", x, 3, 3, 3, 3, 8);
		in[0] = a;
		in[1] = b;
		y = tg_tensor(g, NULL, 4, 1, 3, 8, 8);
		tg_node(g, kind == SMALL_ADD ? "add" : "sub",
			kind == SMALL_ADD ? VIS_OP_ADD : VIS_OP_SUB, 2, in, y);
		break;
	case SMALL_LUT:
		a = conv(g, "conv", x, 3, 4, 3, 1, 8);
		b = tg_tensor(g, NULL, 4, 1, 4, 8, 8);
		tg_node(g, "hswish", VIS_OP_HARD_SWISH, 1, &a, b);
		/* 0.75 - x: arithmetic with a scalar is a table too. */
		in[0] = cnst(g, NULL, 0, 0, 0, 0, 0, 1);
		g->tensors[in[0]].data[0] = 0.75f;
		in[1] = b;
		d = tg_tensor(g, NULL, 4, 1, 4, 8, 8);
		tg_node(g, "sub", VIS_OP_SUB, 2, in, d);
		y = tg_tensor(g, NULL, 4, 1, 4, 8, 8);
		tg_node(g, "tanh", VIS_OP_TANH, 1, &d, y);
		break;
	case SMALL_MOBILE:
		/*
		 * The MobileNet-style block: conv, hard-swish, depthwise
		 * conv, hard-swish, residual add, global average pool, FC.
		 */
		a = conv(g, "stem", x, 1, 8, 3, 1, 8);
		b = tg_tensor(g, NULL, 4, 1, 8, 8, 8);
		tg_node(g, "hs1", VIS_OP_HARD_SWISH, 1, &a, b);
		a = conv(g, "dw", b, 8, 8, 3, 8, 8);
		d = tg_tensor(g, NULL, 4, 1, 8, 8, 8);
		tg_node(g, "hs2", VIS_OP_HARD_SWISH, 1, &a, d);
		in[0] = d;
		in[1] = b;
		a = tg_tensor(g, NULL, 4, 1, 8, 8, 8);
		tg_node(g, "residual", VIS_OP_ADD, 2, in, a);
		b = tg_tensor(g, NULL, 4, 1, 8, 1, 1);
		g->nodes[tg_node(g, "gap", VIS_OP_GLOBAL_AVGPOOL, 1, &a, b)]
			.attrs.layout = VIS_LAYOUT_NCHW;
		a = tg_tensor(g, NULL, 2, 1, 8, 0, 0);
		tg_node(g, "flatten", VIS_OP_RESHAPE, 1, &b, a);
		in[0] = a;
		in[1] = cnst(g, NULL, 2, 10, 8, 0, 0, 0.5f);
		in[2] = cnst(g, NULL, 1, 10, 0, 0, 0, 0.2f);
		y = tg_tensor(g, NULL, 2, 1, 10, 0, 0);
		tg_node(g, "classifier", VIS_OP_FC, 3, in, y);
		break;
	case SMALL_MISC:
		/*
		 * Concat of two convs, pad, max pool, average pool, nearest
		 * resize, softmax over the channels.
		 */
		in[0] = conv(g, "conv_a", x, 3, 4, 3, 1, 8);
		in[1] = conv(g, "conv_b", x, 3, 2, 1, 1, 8);
		a = tg_tensor(g, NULL, 4, 1, 6, 8, 8);
		g->nodes[tg_node(g, "concat", VIS_OP_CONCAT, 2, in, a)]
			.attrs.axis = 1;
		b = tg_tensor(g, NULL, 4, 1, 6, 10, 10);
		d = tg_node(g, "pad", VIS_OP_PAD, 1, &a, b);
		g->nodes[d].attrs.pad_begin[2] =
			g->nodes[d].attrs.pad_begin[3] = 1;
		g->nodes[d].attrs.pad_end[2] = g->nodes[d].attrs.pad_end[3] = 1;
		a = tg_tensor(g, NULL, 4, 1, 6, 5, 5);
		d = tg_node(g, "maxpool", VIS_OP_MAXPOOL, 1, &b, a);
		pool_attrs(&g->nodes[d].attrs, 2, 2, 0);
		b = tg_tensor(g, NULL, 4, 1, 6, 5, 5);
		d = tg_node(g, "avgpool", VIS_OP_AVGPOOL, 1, &a, b);
		pool_attrs(&g->nodes[d].attrs, 3, 1, 1);
		a = tg_tensor(g, NULL, 4, 1, 6, 10, 10);
		d = tg_node(g, "resize", VIS_OP_RESIZE, 1, &b, a);
		g->nodes[d].attrs.resize_mode = VIS_RESIZE_NEAREST;
		g->nodes[d].attrs.resize_coord = VIS_COORD_ASYMMETRIC;
		g->nodes[d].attrs.resize_nearest = VIS_NEAREST_FLOOR;
		g->nodes[d].attrs.layout = VIS_LAYOUT_NCHW;
		for (d = 0, b = (int)g->nnodes - 1; d < 4; d++)
			g->nodes[b].attrs.resize_scale[d] = d < 2 ? 1 : 2;
		y = tg_tensor(g, NULL, 4, 1, 6, 10, 10);
		g->nodes[tg_node(g, "softmax", VIS_OP_SOFTMAX, 1, &a, y)]
			.attrs.axis = 1;
		break;
	}
	g->outputs[0] = y;
	if (vis_graph_optimize(g, VIS_PASS_ALL, NULL)) {
		vis_graph_destroy(g);
		return NULL;
	}
	return g;
}

/* @n random images of @elems pixels, and their float form p / 255. */
static void random_images(uint8_t *pix, float *x, size_t n, size_t elems)
{
	size_t i;

	for (i = 0; i < n * elems; i++) {
		pix[i] = (uint8_t)(rng >> 40);
		frand();
		x[i] = pix[i] / 255.0f;
	}
}

/*
 * The int8 model of @kind against the float graph on calibration images
 * fed as raw pixels through the input stage: within @steps output steps
 * everywhere.
 */
static void check_small(struct __test_metadata *_metadata, enum small kind,
			double steps)
{
	enum { N = 64 };
	struct vis_error err = { { 0 } };
	struct vis_qmodel *qm = NULL;
	struct vis_interp *ip = NULL;
	struct vis_quant_opts o;
	struct q8_runner r = { 0 };
	struct vis_graph *g;
	double worst = 0;
	uint8_t *pix;
	float *x;
	size_t elems, i;
	int c, s;

	g = small_graph(kind, &c);
	ASSERT_NE(NULL, g);
	elems = (size_t)64 * c;
	pix = malloc(N * elems);
	x = malloc(N * elems * sizeof(float));
	ASSERT_NE(NULL, pix);
	ASSERT_NE(NULL, x);
	random_images(pix, x, N, elems);
	vis_quant_opts_init(&o);
	o.calib.method = CALIB_MINMAX;
	ASSERT_EQ(0, vis_quantize(g, x, N, &o, &qm, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, q8_runner_init(&r, qm));
	ASSERT_EQ(0, vis_interp_create(g, 1, &ip, &err));
	for (s = 0; s < 8; s++) {
		const float *in = x + s * elems, *f;
		const int8_t *q;

		ASSERT_EQ(0, vis_interp_run(ip, &in, NULL, &err));
		ASSERT_EQ(0, q8_runner_frame(&r, pix + s * elems, 8, 8, c));
		f = vis_interp_tensor(ip, g->outputs[0]);
		q = q8_runner_output(&r, 0);
		for (i = 0; i < qm->out_elems[0]; i++) {
			double d = qm->out_qp[0].scale *
				   (q[i] - qm->out_qp[0].zero_point);
			double e = fabs(d - f[i]) / qm->out_qp[0].scale;

			if (e > worst)
				worst = e;
		}
	}
	TH_LOG("%s: worst error %.2f output steps (scale %g), %u layers",
	       qm->layers[qm->nlayers - 1].name, worst, qm->out_qp[0].scale,
	       qm->nlayers);
	EXPECT_LE(worst, steps);
	vis_interp_destroy(ip);
	q8_runner_fini(&r);
	vis_qmodel_free(qm);
	free(pix);
	free(x);
	vis_graph_destroy(g);
}

TEST(small_conv)
{
	check_small(_metadata, SMALL_CONV, 2);
}

TEST(small_fc)
{
	check_small(_metadata, SMALL_FC, 2);
}

TEST(small_add_of_conv_and_depthwise)
{
	check_small(_metadata, SMALL_ADD, 3);
}

TEST(small_mobilenet_block)
{
	check_small(_metadata, SMALL_MOBILE, 4);
}

TEST(small_concat_pad_pools_resize_softmax)
{
	check_small(_metadata, SMALL_MISC, 3);
}

TEST(small_lut_hardswish_sub_tanh)
{
	check_small(_metadata, SMALL_LUT, 3);
}

/*
 * One FC output by hand: y = w * x + b with one weight on one grey
 * pixel. TFLite's scheme: input scale 1/255, zero point -128 (x = p/255
 * from [0, 1]); weight q = 127, scale w / 127; bias round(b / (s_in s_w));
 * out = zp_out + round((p * 127 + bias_q) * s_in * s_w / s_out), the
 * output parameters read back from the model's tensor table.
 */
TEST(fc_requant_by_hand)
{
	const float w = 0.8125f, bias = -0.3f;
	struct vis_error err = { { 0 } };
	struct vis_qmodel *qm = NULL;
	struct vis_quant_opts o;
	struct q8_runner r = { 0 };
	struct vis_graph *g;
	const struct vision_model_tensor *t;
	float cal[256], so;
	int x, a, y, in[3], checked = 0, p;

	g = tg_begin("x", 1, 1, &x);
	ASSERT_NE(NULL, g);
	a = tg_tensor(g, NULL, 2, 1, 1, 0, 0);
	tg_node(g, "flatten", VIS_OP_RESHAPE, 1, &x, a);
	in[0] = a;
	in[1] = cnst(g, NULL, 2, 1, 1, 0, 0, 1);
	in[2] = cnst(g, NULL, 1, 1, 0, 0, 0, 1);
	g->tensors[in[1]].data[0] = w;
	g->tensors[in[2]].data[0] = bias;
	y = tg_tensor(g, NULL, 2, 1, 1, 0, 0);
	tg_node(g, "fc", VIS_OP_FC, 3, in, y);
	g->outputs[0] = y;
	ASSERT_EQ(0, vis_graph_optimize(g, VIS_PASS_ALL, &err));
	for (p = 0; p < 256; p++)
		cal[p] = p / 255.0f;
	vis_quant_opts_init(&o);
	o.calib.method = CALIB_MINMAX;
	ASSERT_EQ(0, vis_quantize(g, cal, 256, &o, &qm, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, q8_runner_init(&r, qm));
	EXPECT_EQ(-128, qm->in_qp.zero_point);
	EXPECT_EQ(1.0f / 255, qm->in_qp.scale);
	t = &r.m.tensors[r.m.outputs[0].tensor];
	memcpy(&so, &t->scale, sizeof(so));
	for (p = 0; p < 256; p += 17) {
		uint8_t px = (uint8_t)p;
		double s_in = 1.0 / 255, s_w = (double)w / 127;
		double bq = round(bias / (float)(s_in * s_w));
		double acc = p * 127 + bq;
		double v = acc * (s_in * s_w / so);
		double want = t->zero_point + round(v);

		/* Skip values next to a rounding tie (Q31 vs double). */
		if (fabs(v - floor(v) - 0.5) < 0.01)
			continue;
		want = want < -128 ? -128 : want > 127 ? 127 : want;
		ASSERT_EQ(0, q8_runner_frame(&r, &px, 1, 1, 1));
		EXPECT_EQ((int)want, q8_runner_output(&r, 0)[0])
		TH_LOG("pixel %d: acc %.0f, real %.4f", p, acc, v);
		checked++;
	}
	EXPECT_GT(checked, 10);
	q8_runner_fini(&r);
	vis_qmodel_free(qm);
	vis_graph_destroy(g);
}

/* The real model's plan: no two tensors live at once share a byte. */
TEST(mem_plan_of_fmnist_cnn)
{
	struct vis_error err = { { 0 } };
	struct vis_qmodel *qm = NULL;
	struct vis_quant_opts o;
	struct vis_graph *g;
	struct vis_model m;
	int64_t *first, *last;
	uint64_t *base;
	float *cal;
	size_t ncal = 0;
	uint32_t i, j, k;

	g = load_cnn(_metadata);
	ASSERT_NE(NULL, g);
	cal = calib_set(_metadata, &ncal);
	ASSERT_NE(NULL, cal);
	vis_quant_opts_init(&o);
	ASSERT_EQ(0, vis_quantize(g, cal, 50, &o, &qm, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, vis_model_validate(&m, qm->blob, qm->size, NULL));
	EXPECT_EQ(qm->arena_planned, m.arena_size);
	first = calloc(m.num_tensors, sizeof(*first));
	last = calloc(m.num_tensors, sizeof(*last));
	base = calloc(m.num_tensors, sizeof(*base));
	ASSERT_NE(NULL, first);
	ASSERT_NE(NULL, last);
	ASSERT_NE(NULL, base);
	/*
	 * Lifetimes from the op table alone: a RESHAPE output is its
	 * input's bytes, so both live as one (the storage's first tensor).
	 */
	for (i = 0; i < m.num_tensors; i++) {
		first[i] = INT64_MAX;
		last[i] = -2;
		base[i] = i;
	}
	first[m.input->tensor] = -1;
	for (i = 0; i < m.num_ops; i++) {
		const struct vision_model_op *op = &m.ops[i];

		if (op->type == VISION_MODEL_OP_RESHAPE)
			base[op->output] = base[op->inputs[0]];
		k = (uint32_t)base[op->output];
		if (i < first[k])
			first[k] = i;
		if ((int64_t)i > last[k])
			last[k] = i;
		for (j = 0; j < op->num_inputs; j++) {
			k = (uint32_t)base[op->inputs[j]];
			if ((int64_t)i > last[k])
				last[k] = i;
		}
	}
	for (i = 0; i < m.num_outputs; i++)
		last[base[m.outputs[i].tensor]] = m.num_ops;
	for (i = 0; i < m.num_tensors; i++) {
		const struct vision_model_tensor *a = &m.tensors[i];

		if (a->location != VISION_MODEL_LOC_ARENA || base[i] != i)
			continue;
		for (j = i + 1; j < m.num_tensors; j++) {
			const struct vision_model_tensor *b = &m.tensors[j];

			if (b->location != VISION_MODEL_LOC_ARENA ||
			    base[j] != j)
				continue;
			if (first[i] > last[j] || first[j] > last[i])
				continue;
			EXPECT_TRUE(a->offset + a->size <= b->offset ||
				    b->offset + b->size <= a->offset)
			TH_LOG("tensors %u and %u overlap while live", i, j);
		}
	}
	TH_LOG("arena %llu planned, %llu naive",
	       (unsigned long long)qm->arena_planned,
	       (unsigned long long)qm->arena_naive);
	free(first);
	free(last);
	free(base);
	free(cal);
	vis_qmodel_free(qm);
	vis_graph_destroy(g);
}

/* ---- bad inputs ------------------------------------------------------------ */

/* vis_quantize() refuses: @want, a message with @msg, no model. */
static void refused(struct __test_metadata *_metadata,
		    const struct vis_graph *g, const float *x, size_t n,
		    const struct vis_quant_opts *o, int want, const char *msg)
{
	struct vis_error err = { { 0 } };
	struct vis_qmodel *qm = NULL;

	EXPECT_EQ(want, vis_quantize(g, x, n, o, &qm, &err));
	EXPECT_EQ(NULL, qm);
	EXPECT_NE(NULL, strstr(err.msg, msg)) TH_LOG("%s", err.msg);
	vis_qmodel_free(qm);
}

TEST(no_calibration_data)
{
	struct vis_quant_opts o;
	struct vis_graph *g;
	float x[192] = { 0 };
	int c;

	g = small_graph(SMALL_CONV, &c);
	ASSERT_NE(NULL, g);
	vis_quant_opts_init(&o);
	refused(_metadata, g, x, 0, &o, -EINVAL, "no calibration");
	refused(_metadata, g, NULL, 4, &o, -EINVAL, "no calibration");
	x[5] = NAN;
	refused(_metadata, g, x, 1, &o, -EINVAL, "non-finite");
	x[5] = 0;
	o.std[1] = 0;
	refused(_metadata, g, x, 1, &o, -EINVAL, "mean/std");
	vis_graph_destroy(g);
}

/* The input stage takes the channel order asked for, if it fits. */
TEST(input_color)
{
	struct vis_error err = { { 0 } };
	struct vis_qmodel *qm = NULL;
	struct vis_quant_opts o;
	struct vis_graph *g;
	float x[192] = { 0 };
	int c;

	g = small_graph(SMALL_CONV, &c);
	ASSERT_NE(NULL, g);
	ASSERT_EQ(3, c);
	vis_quant_opts_init(&o);
	ASSERT_EQ(0, vis_quantize(g, x, 1, &o, &qm, &err))
	TH_LOG("%s", err.msg);
	EXPECT_EQ(VISION_MODEL_COLOR_RGB, qm->input.color);
	vis_qmodel_free(qm);
	o.input_color = VISION_MODEL_COLOR_BGR;
	ASSERT_EQ(0, vis_quantize(g, x, 1, &o, &qm, &err))
	TH_LOG("%s", err.msg);
	EXPECT_EQ(VISION_MODEL_COLOR_BGR, qm->input.color);
	vis_qmodel_free(qm);
	o.input_color = VISION_MODEL_COLOR_GREY;
	refused(_metadata, g, x, 1, &o, -EINVAL, "3 channel(s)");
	o.input_color = 7;
	refused(_metadata, g, x, 1, &o, -EINVAL, "input colour 7");
	vis_graph_destroy(g);
}

TEST(unsupported_operator_is_named)
{
	struct vis_quant_opts o;
	struct vis_graph *g;
	float x[192] = { 0 };
	int c;

	g = small_graph(SMALL_SUB, &c);
	ASSERT_NE(NULL, g);
	vis_quant_opts_init(&o);
	refused(_metadata, g, x, 1, &o, -EOPNOTSUPP, "node 'sub' (Sub)");
	vis_graph_destroy(g);
}

TEST(input_that_is_not_an_image)
{
	struct vis_error err = { { 0 } };
	struct vis_quant_opts o;
	struct vis_graph *g;
	float x[256] = { 0 };
	int in, y, w[3];

	/* Two channels: neither grey nor RGB. */
	g = tg_begin("x", 2, 8, &in);
	ASSERT_NE(NULL, g);
	y = conv(g, "conv", in, 2, 4, 1, 1, 8);
	g->outputs[0] = y;
	ASSERT_EQ(0, vis_graph_optimize(g, VIS_PASS_ALL, &err));
	vis_quant_opts_init(&o);
	refused(_metadata, g, x, 1, &o, -EOPNOTSUPP, "NHWC image");
	vis_graph_destroy(g);

	/* A 2-D input. */
	g = tg_begin("x", 1, 1, &in);
	ASSERT_NE(NULL, g);
	g->tensors[in].rank = 2;
	g->tensors[in].dims[1] = 16;
	g->tensors[in].layout = VIS_LAYOUT_NONE;
	w[0] = in;
	w[1] = cnst(g, NULL, 2, 4, 16, 0, 0, 1);
	w[2] = -1;
	y = tg_tensor(g, NULL, 2, 1, 4, 0, 0);
	tg_node(g, "fc", VIS_OP_FC, 2, w, y);
	g->outputs[0] = y;
	ASSERT_EQ(0, vis_graph_check(g, &err));
	refused(_metadata, g, x, 1, &o, -EOPNOTSUPP, "[1,16]");
	vis_graph_destroy(g);
}

TEST(calibration_images_of_the_wrong_size)
{
	struct vis_preprocess pp = fmnist_pp();
	struct vis_error err = { { 0 } };
	struct vis_dataset *ds = NULL;
	float *x = malloc(4 * 32 * 32 * sizeof(float));

	ASSERT_NE(NULL, x);
	ASSERT_EQ(0, vis_dataset_open(FMNIST "t10k-images-idx3-ubyte.gz", NULL,
				      &ds, &err));
	/* A model taking 32x32 cannot calibrate on 28x28 images. */
	pp.width = pp.height = 32;
	EXPECT_EQ(-EINVAL, vis_dataset_load(ds, NULL, 4, &pp, x, NULL, &err));
	EXPECT_NE(0, err.msg[0]);
	TH_LOG("%s", err.msg);
	vis_dataset_free(ds);
	free(x);
}

TEST(truncated_onnx)
{
	struct vis_error err = { { 0 } };
	struct vis_graph *g = NULL;
	FILE *f = fopen(FMNIST_CNN_ONNX, "rb");
	static uint8_t buf[1 << 18];
	size_t len;

	ASSERT_NE(NULL, f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	ASSERT_GT(len, 1000);
	EXPECT_NE(0, vis_onnx_import(buf, len / 2, &g, &err));
	EXPECT_EQ(NULL, g);
	EXPECT_NE(0, err.msg[0]);
	TH_LOG("%s", err.msg);
}

/* ---- memory plan ------------------------------------------------------------ */

static bool overlap(const struct mem_plan_buf *a, const struct mem_plan_buf *b)
{
	return a->first <= b->last && b->first <= a->last &&
	       a->offset < b->offset + b->size &&
	       b->offset < a->offset + a->size;
}

TEST(mem_plan_hand_case)
{
	/* A chain a -> b -> c: a and c may share, b may not. */
	struct mem_plan_buf b[3] = {
		{ .size = 100, .first = -1, .last = 0 },
		{ .size = 100, .first = 0, .last = 1 },
		{ .size = 100, .first = 1, .last = 2 },
	};
	uint64_t planned, naive;

	ASSERT_EQ(0, mem_plan(b, 3, 16, &planned, &naive));
	EXPECT_EQ(336, naive);
	EXPECT_EQ(224, planned);
	EXPECT_EQ(b[0].offset, b[2].offset);
	EXPECT_NE(b[0].offset, b[1].offset);
	EXPECT_EQ(-EINVAL, mem_plan(b, 3, 12, &planned, &naive));
	b[1].last = -5;
	EXPECT_EQ(-EINVAL, mem_plan(b, 3, 16, &planned, &naive));
}

TEST(mem_plan_random)
{
	enum { N = 200 };
	struct mem_plan_buf b[N];
	uint64_t planned, naive, peak = 0;
	int i, j, t;

	for (i = 0; i < N; i++) {
		b[i].size = 1 + (uint64_t)((frand() + 1) * 5000);
		b[i].first = (int64_t)((frand() + 1) * 50) - 1;
		b[i].last = b[i].first + (int64_t)((frand() + 1) * 10);
	}
	ASSERT_EQ(0, mem_plan(b, N, 16, &planned, &naive));
	for (i = 0; i < N; i++) {
		EXPECT_EQ(0, b[i].offset % 16);
		EXPECT_LE(b[i].offset + b[i].size, planned);
		for (j = i + 1; j < N; j++)
			ASSERT_FALSE(overlap(&b[i], &b[j]))
		TH_LOG("buffers %d and %d overlap", i, j);
	}
	/* No plan can beat the largest sum of simultaneously live bytes. */
	for (t = -1; t < 120; t++) {
		uint64_t live = 0;

		for (i = 0; i < N; i++)
			if (b[i].first <= t && t <= b[i].last)
				live += b[i].size;
		if (live > peak)
			peak = live;
	}
	EXPECT_GE(planned, peak);
	EXPECT_LT(planned, naive);
	TH_LOG("planned %llu, naive %llu, live peak %llu",
	       (unsigned long long)planned, (unsigned long long)naive,
	       (unsigned long long)peak);
}

TEST_HARNESS_MAIN
