/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Small valid models built with the model builder, shared by the
 * validator tests (tests/host/engine_validate_test.c) and the fuzzing
 * seed-corpus generator (tests/fuzz/make_corpus.c). Every function is
 * static inline so each user takes only what it needs.
 */
#ifndef VISION_TEST_MODELS_H
#define VISION_TEST_MODELS_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model_builder.h"

/* Where the interesting entries of a test model are. */
struct tm_model {
	void *blob;
	size_t size;
	uint32_t input; /* input-stage tensor */
	uint32_t weights; /* a constant INT8 weight tensor */
	uint32_t bias; /* a constant INT32 tensor, or NO_TENSOR */
	uint32_t act; /* an arena tensor written by op 0 */
	uint32_t last; /* output of the last op */
	uint32_t num_tensors;
	uint32_t num_ops;
	uint32_t num_outputs;
};

/* Knobs for the corpus generator: shapes and options of one model. */
struct tm_opts {
	uint32_t h, w, c; /* input size */
	uint32_t feat; /* channels of the first layer */
	uint32_t classes; /* classifier outputs */
	uint32_t seed;
	int names; /* name tensors, ops and labels */
	int color; /* VISION_MODEL_COLOR_* */
};

static inline uint32_t tm_rand(uint32_t *s)
{
	/* xorshift32: deterministic, good enough for weights. */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static inline void tm_fill_s8(int8_t *p, size_t n, uint32_t *seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (int8_t)((int32_t)(tm_rand(seed) % 255) - 127);
}

/* @n requantization entries of about 2^(shift - 1) (free() them). */
static inline struct vision_model_requant *
tm_requant_rows(uint32_t n, int32_t shift, uint32_t *seed)
{
	struct vision_model_requant *r = calloc(n, sizeof(*r));
	uint32_t i;

	for (i = 0; r && i < n; i++) {
		r[i].multiplier =
			(int32_t)((1u << 30) + tm_rand(seed) % 0x3fffffff);
		r[i].shift = shift;
	}
	return r;
}

/* The same entries in the const data; returns their offset. */
static inline uint32_t tm_requant(struct vmb *b, uint32_t n, int32_t shift,
				  uint32_t *seed)
{
	struct vision_model_requant *r = tm_requant_rows(n, shift, seed);
	uint32_t off;

	if (!r)
		return 0;
	off = vmb_const(b, r, n * sizeof(*r), 8);
	free(r);
	return off;
}

static inline const char *tm_name(const struct tm_opts *o, const char *n)
{
	return o->names ? n : NULL;
}

static inline void tm_input_stage(struct vmb *b, uint32_t id, uint32_t color,
				  uint32_t resize)
{
	struct vision_model_input_stage st;
	float mean = 127.5f, std = 128.0f;
	int i;

	memset(&st, 0, sizeof(st));
	st.tensor = id;
	st.color = color;
	st.resize = resize;
	st.norm_shift = 8;
	for (i = 0; i < 3; i++) {
		/* q = p - 128 */
		st.norm_mul[i] = 256;
		st.norm_add[i] = -128 * 256;
		memcpy(&st.mean[i], &mean, sizeof(mean));
		memcpy(&st.std[i], &std, sizeof(std));
	}
	vmb_input(b, &st);
}

/*
 * A conv layer: weights [cout,kh,kw,cin/groups], bias, requant, output
 * [1,oh,ow,cout]; returns the output id and the weight/bias ids.
 */
static inline uint32_t tm_conv(struct vmb *b, uint32_t in, uint32_t cin,
			       uint32_t oh, uint32_t ow, uint32_t cout,
			       uint32_t k, uint32_t stride, uint32_t pad,
			       uint32_t groups, uint32_t *seed,
			       const char *name, uint32_t *wid, uint32_t *bid)
{
	const struct vision_model_conv p =
		vmb_conv_params(stride, pad, groups, -128, 127);
	uint32_t oshape[4] = { 1, oh, ow, cout };
	size_t wn = (size_t)cout * k * k * (cin / groups);
	int8_t *w = malloc(wn);
	int32_t *bias = calloc(cout, sizeof(*bias));
	float *scales = calloc(cout, sizeof(*scales));
	struct vmb_weights wt = {
		.data = w,
		.size = wn,
		.encoding = VISION_MODEL_ENC_DENSE,
		.shape = { cout, k, k, cin / groups },
		.scale = 0.01f,
		.channel_scales = scales,
		.bias = bias,
		.bias_scale = 0.0001f,
		.name = name ? "conv.weights" : NULL,
		.bias_name = name ? "conv.bias" : NULL,
	};
	struct vision_model_requant *rq = NULL;
	uint32_t i, out = VISION_MODEL_NO_TENSOR;

	if (!w || !bias || !scales)
		goto out;
	tm_fill_s8(w, wn, seed);
	for (i = 0; i < cout; i++) {
		bias[i] = (int32_t)(tm_rand(seed) % 2001) - 1000;
		scales[i] = 0.01f + 0.001f * (float)i;
	}
	rq = tm_requant_rows(cout, -7, seed);
	wt.requant = rq;
	if (rq)
		out = vmb_conv2d(b, VISION_MODEL_OP_CONV_2D, in, &wt, &p,
				 oshape, 3, 0.05f, name, wid, bid);
out:
	free(rq);
	free(w);
	free(bias);
	free(scales);
	return out;
}

/* FULLY_CONNECTED of @in (K elements per batch) to [1,1,1,cout]. */
static inline uint32_t tm_fc(struct vmb *b, uint32_t in, uint32_t k,
			     uint32_t cout, uint32_t *seed, const char *name)
{
	const struct vision_model_conv p = vmb_conv_params(1, 0, 1, -128, 127);
	uint32_t oshape[4] = { 1, 1, 1, cout };
	int8_t *w = malloc((size_t)cout * k);
	int32_t *bias = calloc(cout, sizeof(*bias));
	struct vmb_weights wt = {
		.data = w,
		.size = (size_t)cout * k,
		.encoding = VISION_MODEL_ENC_DENSE,
		.shape = { cout, 1, 1, k },
		.scale = 0.02f,
		.bias = bias,
		.bias_scale = 0.0002f,
		.name = name ? "fc.weights" : NULL,
		.bias_name = name ? "fc.bias" : NULL,
	};
	struct vision_model_requant *rq = NULL;
	uint32_t out = VISION_MODEL_NO_TENSOR;

	if (!w || !bias)
		goto out;
	tm_fill_s8(w, (size_t)cout * k, seed);
	rq = tm_requant_rows(cout, -8, seed);
	wt.requant = rq;
	if (rq)
		out = vmb_conv2d(b, VISION_MODEL_OP_FULLY_CONNECTED, in, &wt,
				 &p, oshape, -5, 0.1f, name, NULL, NULL);
out:
	free(rq);
	free(w);
	free(bias);
	return out;
}

static inline int tm_finish(struct vmb *b, struct tm_model *m)
{
	int ret = vmb_finish(b, &m->blob, &m->size);

	vmb_free(b);
	return ret;
}

/*
 * Classifier: input [1,H,W,C] -> CONV_2D 3x3 -> ADD (with a 1x1 CONV_2D of
 * the input) -> GLOBAL_AVG_POOL -> FULLY_CONNECTED -> SOFTMAX. Outputs:
 * the softmax with one label per class, and the logits.
 * Op 0 is the 3x3 conv; tensors 1 and 2 its weights and bias.
 */
static inline int tm_classifier(struct tm_model *m, const struct tm_opts *o)
{
	static const char *const label_pool[] = {
		"cat",	"dog",	 "bird",  "fish", "horse", "",
		"ship", "truck", "plane", "frog", "deer",  "car",
		"bus",	"tree",	 "cup",	  "x"
	};
	const char *labels[16];
	uint32_t seed = o->seed ? o->seed : 1;
	uint32_t ishape[4] = { 1, o->h, o->w, o->c };
	uint32_t fshape[4] = { 1, o->h, o->w, o->feat };
	uint32_t gshape[4] = { 1, 1, 1, o->feat };
	uint32_t sshape[4] = { 1, 1, 1, o->classes };
	union vision_model_op_params p;
	uint32_t in, c1, c2, add, gap, fc, sm, ins[2], i;
	struct vmb *b;

	memset(m, 0, sizeof(*m));
	if (o->classes > 16 || !o->classes)
		return -EINVAL;
	b = vmb_new();
	if (!b)
		return -ENOMEM;
	in = vmb_arena_tensor(b, ishape, -1, 1.0f / 128, tm_name(o, "input"));
	c1 = tm_conv(b, in, o->c, o->h, o->w, o->feat, 3, 1, 1, 1, &seed,
		     tm_name(o, "conv1"), &m->weights, &m->bias);
	c2 = tm_conv(b, in, o->c, o->h, o->w, o->feat, 1, 1, 0, 1, &seed,
		     tm_name(o, "conv2"), NULL, NULL);

	memset(&p, 0, sizeof(p));
	p.binary.left_shift = 20;
	p.binary.input1.multiplier = 1 << 30;
	p.binary.input1.shift = 0;
	p.binary.input2.multiplier = 1 << 30;
	p.binary.input2.shift = -1;
	p.binary.output.multiplier = 1 << 30;
	p.binary.output.shift = -18;
	p.binary.act_min = -128;
	p.binary.act_max = 127;
	ins[0] = c1;
	ins[1] = c2;
	add = vmb_arena_tensor(b, fshape, 2, 0.08f, tm_name(o, "add"));
	vmb_op(b, VISION_MODEL_OP_ADD, ins, 2, add, &p, tm_name(o, "add"));

	memset(&p, 0, sizeof(p));
	p.pool.requant.multiplier = 1 << 30;
	p.pool.requant.shift = -5;
	p.pool.act_min = -128;
	p.pool.act_max = 127;
	gap = vmb_arena_tensor(b, gshape, 2, 0.08f, tm_name(o, "pool"));
	vmb_op(b, VISION_MODEL_OP_GLOBAL_AVG_POOL, &add, 1, gap, &p,
	       tm_name(o, "pool"));

	fc = tm_fc(b, gap, o->feat, o->classes, &seed, tm_name(o, "logits"));

	memset(&p, 0, sizeof(p));
	p.softmax.input_beta_multiplier = 1518500250;
	p.softmax.input_beta_left_shift = 23;
	p.softmax.diff_min = -248;
	sm = vmb_arena_tensor(b, sshape, -128, 1.0f / 256, tm_name(o, "prob"));
	vmb_op(b, VISION_MODEL_OP_SOFTMAX, &fc, 1, sm, &p, tm_name(o, "prob"));

	tm_input_stage(b, in, o->color, VISION_MODEL_RESIZE_BILINEAR);
	for (i = 0; i < o->classes; i++)
		labels[i] = label_pool[i];
	vmb_output(b, sm, o->names ? labels : NULL, o->names ? o->classes : 0);
	vmb_output(b, fc, NULL, 0);

	m->input = in;
	m->act = c1;
	m->last = sm;
	m->num_tensors = sm + 1;
	m->num_ops = 6;
	m->num_outputs = 2;
	return tm_finish(b, m);
}

static inline int tm_classifier_default(struct tm_model *m)
{
	static const struct tm_opts o = {
		.h = 8,
		.w = 8,
		.c = 3,
		.feat = 8,
		.classes = 10,
		.seed = 42,
		.names = 1,
		.color = VISION_MODEL_COLOR_RGB,
	};

	return tm_classifier(m, &o);
}

/*
 * Encode dense weights [rows][len] as BLOCK4 into a new buffer; returns
 * its size, or 0 on allocation failure.
 */
static inline size_t tm_block4(const int8_t *w, uint32_t rows, uint32_t len,
			       uint8_t **out)
{
	uint32_t nbr = (len + 3) / 4, r, c, i, nb = 0;
	uint32_t *row_ptr, *col;
	int8_t *val;
	size_t size;
	uint8_t *buf;

	for (r = 0; r < rows; r++)
		for (c = 0; c < nbr; c++)
			for (i = 0; i < 4 && c * 4 + i < len; i++)
				if (w[(size_t)r * len + c * 4 + i]) {
					nb++;
					break;
				}
	size = 4 * ((size_t)rows + 1) + 4 * (size_t)nb + 4 * (size_t)nb;
	buf = calloc(1, size);
	if (!buf)
		return 0;
	row_ptr = (uint32_t *)buf;
	col = row_ptr + rows + 1;
	val = (int8_t *)(col + nb);
	nb = 0;
	for (r = 0; r < rows; r++) {
		row_ptr[r] = nb;
		for (c = 0; c < nbr; c++) {
			int nz = 0;

			for (i = 0; i < 4 && c * 4 + i < len; i++)
				nz |= w[(size_t)r * len + c * 4 + i] != 0;
			if (!nz)
				continue;
			col[nb] = c;
			for (i = 0; i < 4 && c * 4 + i < len; i++)
				val[nb * 4 + i] =
					w[(size_t)r * len + c * 4 + i];
			nb++;
		}
	}
	row_ptr[rows] = nb;
	*out = buf;
	return size;
}

/*
 * Sparse: GREY input [1,8,8,1] -> CONV_2D 3x3 stride 2 with BLOCK4
 * weights -> depthwise CONV_2D 3x3 -> MAX_POOL 2x2/2 -> AVG_POOL 2x2/1
 * with padding -> RESHAPE -> FULLY_CONNECTED.
 */
static inline int tm_sparse(struct tm_model *m, uint32_t seed0)
{
	uint32_t seed = seed0 ? seed0 : 7;
	uint32_t ishape[4] = { 1, 8, 8, 1 };
	uint32_t wshape[4] = { 4, 3, 3, 1 };
	uint32_t bshape[4] = { 1, 1, 1, 4 };
	uint32_t c1shape[4] = { 1, 4, 4, 4 };
	uint32_t mpshape[4] = { 1, 2, 2, 4 };
	uint32_t rshape[4] = { 1, 1, 1, 16 };
	union vision_model_op_params p;
	int8_t w[4 * 9];
	int32_t bias[4] = { 10, -20, 30, -40 };
	uint8_t *enc = NULL;
	size_t enc_size;
	uint32_t in, c1, dw, mp, ap, rs, fc, ins[3], i;
	struct vmb *b = vmb_new();

	memset(m, 0, sizeof(*m));
	if (!b)
		return -ENOMEM;
	tm_fill_s8(w, sizeof(w), &seed);
	/* Prune: zero the middle block of every other row. */
	for (i = 0; i < 4; i += 2)
		memset(&w[i * 9 + 4], 0, 4);
	enc_size = tm_block4(w, 4, 9, &enc);
	if (!enc_size) {
		vmb_free(b);
		return -ENOMEM;
	}

	in = vmb_arena_tensor(b, ishape, 0, 1.0f / 128, "grey");
	ins[0] = in;
	ins[1] = vmb_const_tensor(b, wshape, VISION_MODEL_TYPE_INT8, 0, 0.01f,
				  NULL, VISION_MODEL_ENC_BLOCK4, enc, enc_size,
				  "sparse.weights");
	ins[2] = vmb_const_tensor(b, bshape, VISION_MODEL_TYPE_INT32, 0,
				  0.0001f, NULL, VISION_MODEL_ENC_DENSE, bias,
				  sizeof(bias), "sparse.bias");
	free(enc);
	m->weights = ins[1];
	m->bias = ins[2];
	c1 = vmb_arena_tensor(b, c1shape, 1, 0.05f, "sparse");
	memset(&p, 0, sizeof(p));
	p.conv = vmb_conv_params(2, 0, 1, -128, 127);
	p.conv.pad_bottom = 1;
	p.conv.pad_right = 1;
	p.conv.requant = tm_requant(b, 4, -6, &seed);
	vmb_op(b, VISION_MODEL_OP_CONV_2D, ins, 3, c1, &p, "sparse");

	dw = tm_conv(b, c1, 4, 4, 4, 4, 3, 1, 1, 4, &seed, "depthwise", NULL,
		     NULL);

	memset(&p, 0, sizeof(p));
	p.pool = vmb_pool_params(2, 2, 0, -128, 127);
	mp = vmb_arena_tensor(b, mpshape, 3, 0.05f, "maxpool");
	vmb_op(b, VISION_MODEL_OP_MAX_POOL, &dw, 1, mp, &p, "maxpool");

	memset(&p, 0, sizeof(p));
	p.pool = vmb_pool_params(2, 1, 0, -100, 100);
	p.pool.pad_bottom = 1;
	p.pool.pad_right = 1;
	ap = vmb_arena_tensor(b, mpshape, 3, 0.05f, "avgpool");
	vmb_op(b, VISION_MODEL_OP_AVG_POOL, &mp, 1, ap, &p, "avgpool");

	rs = vmb_view_tensor(b, ap, rshape, "flatten");
	vmb_op(b, VISION_MODEL_OP_RESHAPE, &ap, 1, rs, NULL, "flatten");

	fc = tm_fc(b, rs, 16, 5, &seed, "fc");
	tm_input_stage(b, in, VISION_MODEL_COLOR_GREY,
		       VISION_MODEL_RESIZE_NEAREST);
	vmb_output(b, fc, NULL, 0);

	m->input = in;
	m->act = c1;
	m->last = fc;
	m->num_tensors = fc + 1;
	m->num_ops = 6;
	m->num_outputs = 1;
	return tm_finish(b, m);
}

/*
 * Element-wise and layout ops: BGR input [1,6,6,3] -> PAD 1 -> RESIZE
 * bilinear to 4x4 -> LUT -> MUL (LUT output times RESIZE output) ->
 * CONCAT (LUT, MUL) along C -> ADD with a broadcast [1,1,1,6] of a
 * GLOBAL_AVG_POOL. Tensor names are left out.
 */
static inline int tm_misc(struct tm_model *m, uint32_t seed0)
{
	uint32_t seed = seed0 ? seed0 : 99;
	uint32_t ishape[4] = { 1, 6, 6, 3 };
	uint32_t pshape[4] = { 1, 8, 8, 3 };
	uint32_t rshape[4] = { 1, 4, 4, 3 };
	uint32_t cshape[4] = { 1, 4, 4, 6 };
	uint32_t gshape[4] = { 1, 1, 1, 6 };
	uint32_t tshape[4] = { 1, 1, 1, 256 };
	union vision_model_op_params p;
	int8_t table[256];
	uint32_t in, pad, rs, lut, mul, cat, gap, add, ins[2], i;
	struct vmb *b = vmb_new();

	memset(m, 0, sizeof(*m));
	if (!b)
		return -ENOMEM;
	in = vmb_arena_tensor(b, ishape, -3, 1.0f / 64, NULL);

	memset(&p, 0, sizeof(p));
	p.pad.top = 1;
	p.pad.bottom = 1;
	p.pad.left = 1;
	p.pad.right = 1;
	p.pad.value = -3;
	pad = vmb_arena_tensor(b, pshape, -3, 1.0f / 64, NULL);
	vmb_op(b, VISION_MODEL_OP_PAD, &in, 1, pad, &p, NULL);

	memset(&p, 0, sizeof(p));
	p.resize.mode = VISION_MODEL_RESIZE_BILINEAR;
	p.resize.half_pixel_centers = 1;
	rs = vmb_arena_tensor(b, rshape, -3, 1.0f / 64, NULL);
	vmb_op(b, VISION_MODEL_OP_RESIZE, &pad, 1, rs, &p, NULL);

	for (i = 0; i < 256; i++)
		table[i] = (int8_t)(((int)i - 128) / 2 +
				    (int)(tm_rand(&seed) & 3));
	ins[0] = rs;
	ins[1] = vmb_const_tensor(b, tshape, VISION_MODEL_TYPE_INT8, 0, 1.0f,
				  NULL, VISION_MODEL_ENC_DENSE, table,
				  sizeof(table), NULL);
	m->weights = ins[1];
	m->bias = VISION_MODEL_NO_TENSOR;
	lut = vmb_arena_tensor(b, rshape, 0, 1.0f / 32, NULL);
	vmb_op(b, VISION_MODEL_OP_LUT, ins, 2, lut, NULL, NULL);

	memset(&p, 0, sizeof(p));
	p.binary.output.multiplier = 1 << 30;
	p.binary.output.shift = -6;
	p.binary.act_min = -128;
	p.binary.act_max = 127;
	ins[0] = lut;
	ins[1] = rs;
	mul = vmb_arena_tensor(b, rshape, 1, 1.0f / 16, NULL);
	vmb_op(b, VISION_MODEL_OP_MUL, ins, 2, mul, &p, NULL);

	memset(&p, 0, sizeof(p));
	p.concat.requant[1].multiplier = 1 << 30;
	p.concat.requant[1].shift = 2;
	ins[0] = lut;
	ins[1] = mul;
	cat = vmb_arena_tensor(b, cshape, 0, 1.0f / 32, NULL);
	vmb_op(b, VISION_MODEL_OP_CONCAT, ins, 2, cat, &p, NULL);

	memset(&p, 0, sizeof(p));
	p.pool.requant.multiplier = 1 << 30;
	p.pool.requant.shift = -3;
	p.pool.act_min = -128;
	p.pool.act_max = 127;
	gap = vmb_arena_tensor(b, gshape, 0, 1.0f / 32, NULL);
	vmb_op(b, VISION_MODEL_OP_GLOBAL_AVG_POOL, &cat, 1, gap, &p, NULL);

	memset(&p, 0, sizeof(p));
	p.binary.left_shift = 20;
	p.binary.input1.multiplier = 1 << 30;
	p.binary.input1.shift = 0;
	p.binary.input2.multiplier = 1 << 30;
	p.binary.input2.shift = 0;
	p.binary.output.multiplier = 1 << 30;
	p.binary.output.shift = -19;
	p.binary.act_min = -128;
	p.binary.act_max = 127;
	ins[0] = cat;
	ins[1] = gap;
	add = vmb_arena_tensor(b, cshape, 0, 1.0f / 16, NULL);
	vmb_op(b, VISION_MODEL_OP_ADD, ins, 2, add, &p, NULL);

	tm_input_stage(b, in, VISION_MODEL_COLOR_BGR,
		       VISION_MODEL_RESIZE_NEAREST);
	vmb_output(b, add, NULL, 0);
	vmb_output(b, mul, NULL, 0);

	m->input = in;
	m->act = pad;
	m->last = add;
	m->num_tensors = add + 1;
	m->num_ops = 7;
	m->num_outputs = 2;
	return tm_finish(b, m);
}

#endif /* VISION_TEST_MODELS_H */
