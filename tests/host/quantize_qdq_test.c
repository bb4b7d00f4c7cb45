// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Pre-quantized (QDQ) ONNX models taken as given by the quantizer, on
 * tests/data/qdq_small.onnx (written by scripts/make-qdq-fixture.py; its
 * numbers are restated here, not read back from the model):
 *
 * - every activation the model quantizes keeps the model's scale and zero
 *   point, uint8 ones shifted by exactly -128; the input stage turns a
 *   pixel p into p - 128 (uint8 scale 1/255, zero point 0);
 * - the weights are the model's int8 values with its per-channel scales,
 *   bit for bit; the int32 bias the model dequantizes is kept exactly,
 *   float biases are quantized at in_scale * w_scale;
 * - the engine's int8 output equals an int8 reference computed here from
 *   those numbers alone (TFLite's requantization from tflite_ref.h);
 * - a weight with a zero point the symmetric engine cannot take is
 *   requantized and marked so; a reshape keeps its input's parameters
 *   even when the model gives its output others; a tensor stripped of its
 *   QDQ parameters is calibrated instead.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_test_util.h"
#include "fmnist_eval.h"
#include "quantize.h"
#include "tflite_ref.h"
#include "vis_engine.h"

#include "kselftest_harness.h"

#define QDQ_ONNX "tests/data/qdq_small.onnx"
#define NCAL 32
#define NRUN 200

/* The generator's int8 weights (scripts/make-qdq-fixture.py, qw()). */
static int8_t qw(int r, int j, int salt)
{
	return (int8_t)((r * 131 + j * 71 + salt * 29 + (r * j) % 7) % 255 -
			127);
}

/* Its per-channel weight scales: base * (1 + c / 8). */
static float w_scale(int c, float base)
{
	return (float)(base * (1 + c / 8.0));
}

static float f32_of(uint32_t bits)
{
	float f;

	memcpy(&f, &bits, sizeof(f));
	return f;
}

static void random_pixels(uint64_t *st, uint8_t *pix, float *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		pix[i] = (uint8_t)((xorshift_unit(st) + 1) * 127.99);
		x[i] = pix[i] / 255.0f;
	}
}

/* Requantize @acc by in * w / out and add @zp, clamped to [@lo, 127]. */
static int8_t ref_out(int32_t acc, double real, int32_t zp, int32_t lo)
{
	struct vision_model_requant r = quantize(real);

	return ref_clamp8(ref_mbqm(acc, r.multiplier, r.shift) + zp, lo, 127);
}

/* TFLite's float bias quantization: round half away from zero. */
static int32_t qbias(float b, float in_scale, float ws)
{
	return (int32_t)lroundf(b / (in_scale * ws));
}

/*
 * The whole model in int8 from the fixture's numbers: conv1 (pad 1) +
 * ReLU to scale 1/32 zp -128, conv2 (stride 2, pad 1) + ReLU to 1/16 zp
 * -128 (uint8 zp 0 shifted), flatten in NCHW order, FC to 1/8 zp 3.
 */
static void reference(const uint8_t *pix, int8_t *y)
{
	int8_t a0[64], a1[8 * 8 * 4], a2[4 * 4 * 8];
	int oy, ox, c, ky, kx, ci, o, j;

	for (j = 0; j < 64; j++)
		a0[j] = (int8_t)(pix[j] - 128);
	for (oy = 0; oy < 8; oy++)
		for (ox = 0; ox < 8; ox++)
			for (c = 0; c < 4; c++) {
				int32_t acc = (c * 577) % 4001 - 2000;

				for (ky = 0; ky < 3; ky++)
					for (kx = 0; kx < 3; kx++) {
						int iy = oy - 1 + ky,
						    ix = ox - 1 + kx;

						if (iy < 0 || iy >= 8 ||
						    ix < 0 || ix >= 8)
							continue;
						acc += (a0[iy * 8 + ix] + 128) *
						       qw(c, ky * 3 + kx, 1);
					}
				a1[(oy * 8 + ox) * 4 + c] = ref_out(
					acc,
					(1.0f / 255) * w_scale(c, 1.0f / 256) /
						(1.0 / 32),
					-128, -128);
			}
	for (oy = 0; oy < 4; oy++)
		for (ox = 0; ox < 4; ox++)
			for (c = 0; c < 8; c++) {
				float ws = w_scale(c, 1.0f / 512);
				int32_t acc = qbias(0.125f * (c % 3) - 0.1f,
						    1.0f / 32, ws);

				for (ci = 0; ci < 4; ci++)
					for (ky = 0; ky < 3; ky++)
						for (kx = 0; kx < 3; kx++) {
							int iy = oy * 2 - 1 +
								 ky,
							    ix = ox * 2 - 1 +
								 kx;

							if (iy < 0 || iy >= 8 ||
							    ix < 0 || ix >= 8)
								continue;
							/* ONNX [O, I, KH, KW] */
							acc += (a1[(iy * 8 +
								    ix) * 4 +
								   ci] +
								128) *
							       qw(c,
								  (ci * 3 +
								   ky) * 3 +
									  kx,
								  2);
						}
				a2[(oy * 4 + ox) * 8 + c] = ref_out(
					acc, (1.0 / 32) * ws / (1.0 / 16), -128,
					-128);
			}
	for (o = 0; o < 10; o++) {
		float ws = w_scale(o, 1.0f / 1024);
		int32_t acc = qbias(0.25f * o - 1, 1.0f / 16, ws);

		/* Flatten of NCHW [8, 4, 4]: k = c * 16 + y * 4 + x. */
		for (j = 0; j < 128; j++)
			acc += (a2[(j % 16) * 8 + j / 16] + 128) * qw(o, j, 3);
		y[o] = ref_out(acc, (1.0 / 16) * ws / (1.0 / 8), 3, -128);
	}
}

struct qdq {
	struct vis_graph *g;
	float *cal;
	uint8_t *cpix;
};

static struct qdq *qdq_open(struct __test_metadata *_metadata)
{
	struct vis_error err = { { 0 } };
	struct qdq *q = calloc(1, sizeof(*q));
	uint64_t st = 0x1234567;

	if (!q)
		return NULL;
	q->g = fmnist_load(QDQ_ONNX, &err);
	if (!q->g)
		TH_LOG("%s: %s", QDQ_ONNX, err.msg);
	q->cal = malloc(NCAL * 64 * sizeof(float));
	q->cpix = malloc(NCAL * 64);
	if (!q->g || !q->cal || !q->cpix)
		return NULL;
	random_pixels(&st, q->cpix, q->cal, NCAL * 64);
	return q;
}

static void qdq_close(struct qdq *q)
{
	if (!q)
		return;
	vis_graph_destroy(q->g);
	free(q->cal);
	free(q->cpix);
	free(q);
}

/* The model's operators, in order: CONV_2D, CONV_2D, RESHAPE, FC. */
static const struct vision_model_op *op_of(const struct vis_model *m, int i)
{
	return &m->ops[i];
}

static void check_weights(struct __test_metadata *_metadata,
			  const struct vis_model *m,
			  const struct vision_model_op *op, int rows, int k,
			  int salt, float base, int conv_cin)
{
	const struct vision_model_tensor *w = &m->tensors[op->inputs[1]];
	const int8_t *d = (const int8_t *)(m->consts + w->offset);
	const float *cs = (const float *)(m->consts + w->channel_scales);
	int r, j, bad = 0;

	ASSERT_EQ(VISION_MODEL_ENC_DENSE, w->encoding);
	ASSERT_EQ(0, w->zero_point);
	ASSERT_NE(0xffffffffu, w->channel_scales);
	for (r = 0; r < rows; r++) {
		/* Bit for bit the model's scales. */
		EXPECT_EQ(w_scale(r, base), cs[r]);
		for (j = 0; j < k; j++) {
			int src = j;

			if (conv_cin) {
				/* NHWC [kh][kw][ci] from ONNX [ci][kh][kw]. */
				int ci = j % conv_cin, t = j / conv_cin;

				src = ci * 9 + t;
			} else if (k == 128) {
				/* FC columns: NHWC (y*4+x)*8+c from c*16+y*4+x. */
				src = (j % 8) * 16 + j / 8;
			}
			bad += d[r * k + j] != qw(r, src, salt);
		}
	}
	EXPECT_EQ(0, bad);
}

TEST(qdq_parameters_and_outputs_as_given)
{
	struct vis_error err = { { 0 } };
	struct vis_qmodel *qm = NULL;
	struct vis_quant_opts o;
	struct q8_runner run;
	struct qdq *q = qdq_open(_metadata);
	const struct vision_model_tensor *t;
	const struct vision_model_op *op;
	const int32_t *bias;
	uint64_t st = 42;
	uint8_t pix[64], seen[256] = { 0 };
	float x[64];
	int8_t ref[10];
	int i, p, c, mism = 0, distinct = 0;

	ASSERT_NE(NULL, q);
	vis_quant_opts_init(&o);
	o.nthreads = 2;
	ASSERT_EQ(0, vis_quantize(q->g, q->cal, NCAL, &o, &qm, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, q8_runner_init(&run, qm));
	ASSERT_EQ(4, run.m.num_ops);
	EXPECT_EQ(VISION_MODEL_OP_CONV_2D, op_of(&run.m, 0)->type);
	EXPECT_EQ(VISION_MODEL_OP_CONV_2D, op_of(&run.m, 1)->type);
	EXPECT_EQ(VISION_MODEL_OP_RESHAPE, op_of(&run.m, 2)->type);
	EXPECT_EQ(VISION_MODEL_OP_FULLY_CONNECTED, op_of(&run.m, 3)->type);

	/* Activations: scale and zero point as given (uint8: zp - 128). */
	t = &run.m.tensors[qm->input.tensor];
	EXPECT_EQ(1.0f / 255, f32_of(t->scale));
	EXPECT_EQ(-128, t->zero_point);
	for (p = 0; p < 256; p++)
		mism += vis_quant_input_pixel(&qm->input, 0, (uint8_t)p) !=
			p - 128;
	EXPECT_EQ(0, mism);
	t = &run.m.tensors[op_of(&run.m, 0)->output];
	EXPECT_EQ(1.0f / 32, f32_of(t->scale));
	EXPECT_EQ(-128, t->zero_point);
	t = &run.m.tensors[op_of(&run.m, 1)->output];
	EXPECT_EQ(1.0f / 16, f32_of(t->scale));
	EXPECT_EQ(-128, t->zero_point);
	t = &run.m.tensors[op_of(&run.m, 3)->output];
	EXPECT_EQ(1.0f / 8, f32_of(t->scale));
	EXPECT_EQ(3, t->zero_point);
	EXPECT_EQ(1.0f / 8, qm->out_qp[0].scale);
	EXPECT_EQ(3, qm->out_qp[0].zero_point);

	/* Weights: the model's int8 values and per-channel scales. */
	check_weights(_metadata, &run.m, op_of(&run.m, 0), 4, 9, 1, 1.0f / 256,
		      1);
	check_weights(_metadata, &run.m, op_of(&run.m, 1), 8, 36, 2, 1.0f / 512,
		      4);
	check_weights(_metadata, &run.m, op_of(&run.m, 3), 10, 128, 3,
		      1.0f / 1024, 0);
	for (i = 0; i < (int)qm->nlayers; i++)
		if (qm->layers[i].dense_bytes)
			EXPECT_EQ(VIS_WSRC_GIVEN, qm->layers[i].wsrc);
	/* The int32 bias the model dequantized, exactly. */
	op = op_of(&run.m, 0);
	bias = (const int32_t *)(run.m.consts +
				 run.m.tensors[op->inputs[2]].offset);
	for (c = 0; c < 4; c++)
		EXPECT_EQ((c * 577) % 4001 - 2000, bias[c]);

	/* The engine against the int8 reference, on random images. */
	mism = 0;
	for (i = 0; i < NRUN; i++) {
		random_pixels(&st, pix, x, 64);
		ASSERT_EQ(0, q8_runner_frame(&run, pix, 8, 8, 1));
		reference(pix, ref);
		mism += memcmp(ref, q8_runner_output(&run, 0), 10) != 0;
		for (c = 0; c < 10; c++)
			seen[ref[c] + 128] = 1;
	}
	for (c = 0; c < 256; c++)
		distinct += seen[c];
	EXPECT_EQ(0, mism);
	/* Outputs that vary: the comparison is not of saturated values. */
	EXPECT_GT(distinct, 20);
	TH_LOG("%d of %d random images differ from the int8 reference; %d distinct output values",
	       mism, NRUN, distinct);
	q8_runner_fini(&run);
	vis_qmodel_free(qm);
	qdq_close(q);
}

/* A graph tensor by name. */
static int find_tensor(const struct vis_graph *g, const char *name)
{
	int i;

	for (i = 0; i < g->ntensors; i++)
		if (!g->tensors[i].dead && !strcmp(g->tensors[i].name, name))
			return i;
	return -1;
}

/* The weight tensor of the live node named @name. */
static int weight_of(const struct vis_graph *g, const char *name)
{
	int i;

	for (i = 0; i < g->nnodes; i++)
		if (!g->nodes[i].dead && !strcmp(g->nodes[i].name, name))
			return g->nodes[i].inputs[1];
	return -1;
}

TEST(asymmetric_weights_are_requantized)
{
	struct vis_error err = { { 0 } };
	struct vis_qmodel *qm = NULL;
	struct vis_quant_opts o;
	struct qdq *q = qdq_open(_metadata);
	struct vis_model m;
	int w, i, n = 0;

	ASSERT_NE(NULL, q);
	w = weight_of(q->g, "conv2");
	ASSERT_GE(w, 0);
	ASSERT_EQ(8, q->g->tensors[w].quant.count);
	/* A zero point the symmetric engine cannot take. */
	q->g->tensors[w].quant.zero_point[3] = 5;
	vis_quant_opts_init(&o);
	ASSERT_EQ(0, vis_quantize(q->g, q->cal, NCAL, &o, &qm, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, vis_model_validate(&m, qm->blob, qm->size, NULL));
	for (i = 0; i < (int)qm->nlayers; i++) {
		if (!qm->layers[i].dense_bytes)
			continue;
		EXPECT_EQ(n == 1 ? VIS_WSRC_REQUANTIZED : VIS_WSRC_GIVEN,
			  qm->layers[i].wsrc);
		n++;
	}
	EXPECT_EQ(3, n);
	vis_qmodel_free(qm);
	qdq_close(q);
}

/*
 * A reshape moves bytes: its output keeps its input's parameters even when
 * the model gives it others (here the flatten output gets scale 1/2), and
 * the outputs still equal the reference.
 */
TEST(reshape_keeps_its_input_parameters)
{
	struct vis_error err = { { 0 } };
	struct vis_qmodel *qm = NULL;
	struct vis_quant_opts o;
	struct vis_quant fq = { 0 };
	struct q8_runner run;
	struct qdq *q = qdq_open(_metadata);
	float half = 0.5f;
	int32_t zp = 7;
	uint64_t st = 77;
	uint8_t pix[64];
	float x[64];
	int8_t ref[10];
	int f, i, mism = 0;

	ASSERT_NE(NULL, q);
	f = find_tensor(q->g, "f");
	ASSERT_GE(f, 0);
	fq.count = 1;
	fq.scale = &half;
	fq.zero_point = &zp;
	fq.dtype = VIS_DT_INT8;
	ASSERT_EQ(0, vis_quant_copy(&q->g->tensors[f].quant, &fq));
	vis_quant_opts_init(&o);
	ASSERT_EQ(0, vis_quantize(q->g, q->cal, NCAL, &o, &qm, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, q8_runner_init(&run, qm));
	for (i = 0; i < 50; i++) {
		random_pixels(&st, pix, x, 64);
		ASSERT_EQ(0, q8_runner_frame(&run, pix, 8, 8, 1));
		reference(pix, ref);
		mism += memcmp(ref, q8_runner_output(&run, 0), 10) != 0;
	}
	EXPECT_EQ(0, mism);
	q8_runner_fini(&run);
	vis_qmodel_free(qm);
	qdq_close(q);
}

TEST(tensors_without_qdq_are_calibrated)
{
	static const char *const chain[] = { "r2", "a2_q", "a2_dq" };
	struct vis_error err = { { 0 } };
	struct vis_qmodel *qm = NULL;
	struct vis_quant_opts o;
	struct qdq *q = qdq_open(_metadata);
	struct vis_model m;
	const struct vision_model_tensor *t;
	unsigned int i;

	ASSERT_NE(NULL, q);
	/* Forget the second activation's QDQ parameters. */
	for (i = 0; i < 3; i++) {
		int id = find_tensor(q->g, chain[i]);

		ASSERT_GE(id, 0) TH_LOG("no tensor %s", chain[i]);
		vis_quant_clear(&q->g->tensors[id].quant);
	}
	vis_quant_opts_init(&o);
	ASSERT_EQ(0, vis_quantize(q->g, q->cal, NCAL, &o, &qm, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, vis_model_validate(&m, qm->blob, qm->size, NULL));
	t = &m.tensors[m.ops[1].output];
	/* Calibrated: the observed range, not 1/16. */
	EXPECT_NE(1.0f / 16, f32_of(t->scale));
	EXPECT_GT(f32_of(t->scale), 0);
	/* The others still as given. */
	EXPECT_EQ(1.0f / 32, f32_of(m.tensors[m.ops[0].output].scale));
	EXPECT_EQ(1.0f / 8, f32_of(m.tensors[m.ops[3].output].scale));
	vis_qmodel_free(qm);
	qdq_close(q);
}

TEST_HARNESS_MAIN
