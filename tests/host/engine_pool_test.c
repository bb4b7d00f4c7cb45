// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * MAX_POOL, AVG_POOL, GLOBAL_AVG_POOL, CONCAT and PAD: the engine, run
 * through model validation and vis_engine_run() (and unit by unit, in
 * reverse order), against straightforward statements of TFLite's int8
 * reference kernels (reference_integer_ops::MaxPool and AveragePool) and
 * of the model format's arithmetic for the others, built on
 * tflite_ref.h; and every invalid shape and parameter rejected by the
 * validator.
 *
 * The input stage only accepts [1,H,W,1|3] tensors, so an operand of any
 * shape is a RESHAPE view of a [1, N*H, W*C, 1] frame; CONCAT's several
 * operands are columns picked out of one frame by 1x1 MAX_POOLs with
 * strides, each moved to its own zero point by an identity LUT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_test_util.h"
#include "tflite_ref.h"

#include "kselftest_harness.h"

/* ---- MAX_POOL and AVG_POOL -------------------------------------------------- */

struct pool_case {
	uint32_t type;
	uint32_t in[4];
	int32_t zp;
	struct vision_model_pool p;
};

static uint32_t pool_extent(uint32_t in, uint32_t f, uint32_t s, uint32_t a,
			    uint32_t b)
{
	/* Bad-model tests pass zero strides and windows: keep them defined. */
	return (in + a + b - f) / (s ? s : 1) + 1;
}

static void pool_out_shape(const struct pool_case *k, uint32_t o[4])
{
	o[0] = k->in[0];
	o[1] = pool_extent(k->in[1], k->p.filter_h, k->p.stride_h, k->p.pad_top,
			   k->p.pad_bottom);
	o[2] = pool_extent(k->in[2], k->p.filter_w, k->p.stride_w,
			   k->p.pad_left, k->p.pad_right);
	o[3] = k->in[3];
}

/*
 * TFLite reference_integer_ops::MaxPool / AveragePool, int8: one output
 * element, channel @c of the window whose origin is (@iy0, @ix0).
 */
static int8_t ref_pool_one(const struct pool_case *k, const int8_t *in,
			   uint32_t n, int32_t iy0, int32_t ix0, uint32_t c)
{
	const struct vision_model_pool *p = &k->p;
	int32_t H = k->in[1], W = k->in[2], C = k->in[3];
	int32_t fy0 = iy0 < 0 ? -iy0 : 0, fx0 = ix0 < 0 ? -ix0 : 0;
	int32_t fy1 = H - iy0, fx1 = W - ix0;
	int32_t acc = 0, count = 0, mx = -128, fy, fx;

	if ((int32_t)p->filter_h < fy1)
		fy1 = p->filter_h;
	if ((int32_t)p->filter_w < fx1)
		fx1 = p->filter_w;
	for (fy = fy0; fy < fy1; fy++) {
		for (fx = fx0; fx < fx1; fx++) {
			int64_t y = iy0 + fy, x = ix0 + fx;
			int32_t v = in[((n * H + y) * W + x) * C + c];

			acc += v;
			count++;
			mx = v > mx ? v : mx;
		}
	}
	if (k->type == VISION_MODEL_OP_MAX_POOL)
		return ref_clamp8(mx, p->act_min, p->act_max);
	acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
	return ref_clamp8(acc, p->act_min, p->act_max);
}

static void ref_pool(const void *kv, const int8_t *in, int8_t *out)
{
	const struct pool_case *k = kv;
	const struct vision_model_pool *p = &k->p;
	uint32_t os[4], n, oy, ox, c;
	size_t i = 0;

	pool_out_shape(k, os);
	for (n = 0; n < os[0]; n++) {
		for (oy = 0; oy < os[1]; oy++) {
			int32_t iy0 = (int32_t)(oy * p->stride_h - p->pad_top);

			for (ox = 0; ox < os[2]; ox++) {
				int32_t ix0 = (int32_t)(ox * p->stride_w -
							p->pad_left);

				for (c = 0; c < os[3]; c++, i++)
					out[i] = ref_pool_one(k, in, n, iy0,
							      ix0, c);
			}
		}
	}
}

static struct vmb *build_pool(const struct pool_case *k, uint32_t *frame,
			      uint32_t *out, uint32_t *op)
{
	union vision_model_op_params p;
	struct vmb *b = vmb_new();
	uint32_t os[4], in;

	if (!b)
		return NULL;
	pool_out_shape(k, os);
	in = add_input(b, k->in, k->zp, frame);
	*out = vmb_arena_tensor(b, os, k->zp, 0.1f, "out");
	memset(&p, 0, sizeof(p));
	p.pool = k->p;
	*op = vmb_op(b, k->type, &in, 1, *out, &p, "pool");
	return b;
}

static bool check_pool(struct __test_metadata *_metadata,
		       const struct pool_case *k)
{
	uint32_t frame = 0, out = 0, op = 0;
	struct vmb *b;
	char what[160];

	b = build_pool(k, &frame, &out, &op);
	snprintf(what, sizeof(what),
		 "%s [%u,%u,%u,%u] f %ux%u s %ux%u pad t%u l%u b%u r%u",
		 k->type == VISION_MODEL_OP_MAX_POOL ? "MAX" : "AVG", k->in[0],
		 k->in[1], k->in[2], k->in[3], k->p.filter_h, k->p.filter_w,
		 k->p.stride_h, k->p.stride_w, k->p.pad_top, k->p.pad_left,
		 k->p.pad_bottom, k->p.pad_right);
	return check_frame_model(_metadata, b, frame, out, op, ref_pool, k,
				 what);
}

/* Random window geometry for one dimension of size @in. */
static void rnd_window(uint32_t in, uint32_t *f, uint32_t *s, uint32_t *a,
		       uint32_t *b)
{
	do {
		*f = rnd_range(1, 5);
		*s = rnd_range(1, 3);
		*a = rnd_range(0, *f - 1);
		*b = rnd_range(0, *f - 1);
		if (rnd() % 3 == 0) {
			/* VALID */
			*a = 0;
			*b = 0;
		}
	} while (in + *a + *b < *f);
}

static void rnd_pool(struct pool_case *k, uint32_t type, uint32_t cmax)
{
	memset(k, 0, sizeof(*k));
	k->type = type;
	k->in[0] = rnd_range(1, 2);
	k->in[1] = rnd_range(1, 9);
	k->in[2] = rnd_range(1, 9);
	k->in[3] = rnd_range(1, cmax);
	k->zp = rnd_range(-128, 127);
	rnd_window(k->in[1], &k->p.filter_h, &k->p.stride_h, &k->p.pad_top,
		   &k->p.pad_bottom);
	rnd_window(k->in[2], &k->p.filter_w, &k->p.stride_w, &k->p.pad_left,
		   &k->p.pad_right);
	rnd_act(&k->p.act_min, &k->p.act_max);
}

static int pool_random(struct __test_metadata *_metadata, uint32_t type)
{
	struct pool_case k;
	int i;

	rng_seed(type);
	for (i = 0; i < 1500; i++) {
		rnd_pool(&k, type, i % 10 ? 20 : 200);
		if (!check_pool(_metadata, &k))
			return -1;
	}
	return i;
}

TEST(max_pool_random)
{
	int n = pool_random(_metadata, VISION_MODEL_OP_MAX_POOL);

	ASSERT_LT(0, n);
	TH_LOG("%d MAX_POOL cases", n);
}

TEST(avg_pool_random)
{
	int n = pool_random(_metadata, VISION_MODEL_OP_AVG_POOL);

	ASSERT_LT(0, n);
	TH_LOG("%d AVG_POOL cases", n);
}

/*
 * Every combination of height, filter, stride and both paddings within
 * small bounds (the width random), for both operators.
 */
TEST(pool_every_padding)
{
	static const uint32_t types[] = { VISION_MODEL_OP_MAX_POOL,
					  VISION_MODEL_OP_AVG_POOL };
	struct pool_case k;
	uint32_t i, t, h, f, st, pa, pb;
	int n = 0;

	rng_seed(3);
	/* One flat loop over (type, H, filter, stride, pad_top, pad_bottom). */
	for (i = 0; i < 2 * 5 * 4 * 3 * 4 * 4; i++) {
		t = i % 2;
		h = i / 2 % 5 + 1;
		f = i / 10 % 4 + 1;
		st = i / 40 % 3 + 1;
		pa = i / 120 % 4;
		pb = i / 480 % 4;
		if (pa >= f || pb >= f || h + pa + pb < f)
			continue;
		rnd_pool(&k, types[t], 9);
		k.in[1] = h;
		k.p.filter_h = f;
		k.p.stride_h = st;
		k.p.pad_top = pa;
		k.p.pad_bottom = pb;
		ASSERT_TRUE(check_pool(_metadata, &k));
		n++;
	}
	TH_LOG("%d cases", n);
}

/* Window @fh x @fw, strides @sh, @sw, padding top, left, bottom, right. */
static void set_window(struct vision_model_pool *p, uint32_t fh, uint32_t fw,
		       uint32_t sh, uint32_t sw, uint32_t pt, uint32_t pl,
		       uint32_t pb, uint32_t pr)
{
	p->filter_h = fh;
	p->filter_w = fw;
	p->stride_h = sh;
	p->stride_w = sw;
	p->pad_top = pt;
	p->pad_left = pl;
	p->pad_bottom = pb;
	p->pad_right = pr;
}

/* 1x1 images, global-sized windows, large channel counts. */
TEST(pool_edges)
{
	static const uint32_t types[] = { VISION_MODEL_OP_MAX_POOL,
					  VISION_MODEL_OP_AVG_POOL };
	struct pool_case k;
	uint32_t t;

	rng_seed(4);
	for (t = 0; t < 2; t++) {
		/* 1x1 image, 3x3 window, SAME padding. */
		memset(&k, 0, sizeof(k));
		k.type = types[t];
		k.in[0] = 1;
		k.in[1] = 1;
		k.in[2] = 1;
		k.in[3] = 1000;
		set_window(&k.p, 3, 3, 1, 1, 1, 1, 1, 1);
		k.p.act_min = -128;
		k.p.act_max = 127;
		k.zp = -3;
		ASSERT_TRUE(check_pool(_metadata, &k));
		/* A window as large as the image: a global pool. */
		k.in[1] = 7;
		k.in[2] = 7;
		k.in[3] = 1280;
		set_window(&k.p, 7, 7, 1, 1, 0, 0, 0, 0);
		ASSERT_TRUE(check_pool(_metadata, &k));
		/* Large windows and strides, taps far from the image. */
		k.in[1] = 3;
		k.in[2] = 40;
		k.in[3] = 65;
		set_window(&k.p, 9, 17, 5, 7, 8, 16, 8, 3);
		ASSERT_TRUE(check_pool(_metadata, &k));
		/* Narrow activation range. */
		k.p.act_min = -5;
		k.p.act_max = 5;
		ASSERT_TRUE(check_pool(_metadata, &k));
		k.p.act_min = 127;
		k.p.act_max = 127;
		ASSERT_TRUE(check_pool(_metadata, &k));
	}
}

static struct pool_case good_pool(uint32_t type)
{
	struct pool_case k = {
		.type = type,
		.in = { 1, 5, 5, 4 },
		.zp = 2,
		.p = { .filter_h = 3,
		       .filter_w = 3,
		       .stride_h = 2,
		       .stride_w = 2,
		       .pad_top = 1,
		       .pad_left = 1,
		       .pad_bottom = 1,
		       .pad_right = 1,
		       .act_min = -128,
		       .act_max = 127 },
	};

	return k;
}

enum pool_edit {
	PE_NONE,
	PE_OUT_H,
	PE_OUT_W,
	PE_OUT_C,
	PE_OUT_N,
	PE_OUT_ZP,
	PE_CONST_INPUT,
};

/* Build @k with @edit applied and expect rejection at the operator. */
static bool bad_pool(struct __test_metadata *_metadata,
		     const struct pool_case *k, enum pool_edit edit)
{
	union vision_model_op_params p;
	uint32_t frame, in, out, os[4];
	struct model md;
	struct vmb *b = vmb_new();
	int32_t zp = k->zp;
	bool ok;

	if (!b)
		return false;
	if (k->type == VISION_MODEL_OP_GLOBAL_AVG_POOL) {
		os[0] = k->in[0];
		os[1] = 1;
		os[2] = 1;
		os[3] = k->in[3];
	} else {
		pool_out_shape(k, os);
	}
	in = add_input_or_const(b, k->in, k->zp, edit == PE_CONST_INPUT,
				&frame);
	os[1] += edit == PE_OUT_H;
	os[2] -= edit == PE_OUT_W;
	os[3] += edit == PE_OUT_C;
	os[0] += edit == PE_OUT_N;
	zp += edit == PE_OUT_ZP;
	out = vmb_arena_tensor(b, os, zp, 0.1f, "out");
	memset(&p, 0, sizeof(p));
	p.pool = k->p;
	if (finish(b, frame, out, vmb_op(b, k->type, &in, 1, out, &p, "pool"),
		   &md))
		return false;
	ok = rejected_at_op(_metadata, &md);
	free(md.blob);
	return ok;
}

TEST(pool_bad)
{
	static const uint32_t types[] = { VISION_MODEL_OP_MAX_POOL,
					  VISION_MODEL_OP_AVG_POOL };
	uint32_t t;

	for (t = 0; t < 2; t++) {
		struct pool_case g = good_pool(types[t]), k;

		ASSERT_TRUE(check_pool(_metadata, &g));
		EXPECT_TRUE(bad_pool(_metadata, &g, PE_OUT_H));
		EXPECT_TRUE(bad_pool(_metadata, &g, PE_OUT_W));
		EXPECT_TRUE(bad_pool(_metadata, &g, PE_OUT_C));
		EXPECT_TRUE(bad_pool(_metadata, &g, PE_OUT_N));
		EXPECT_TRUE(bad_pool(_metadata, &g, PE_OUT_ZP));
		EXPECT_TRUE(bad_pool(_metadata, &g, PE_CONST_INPUT));
		k = g;
		k.p.filter_h = 0;
		k.p.pad_top = k.p.pad_bottom = 0;
		k.p.stride_h = 1;
		k.in[1] = 1;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.filter_w = 0;
		k.p.pad_left = k.p.pad_right = 0;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.stride_h = 0;
		k.p.stride_w = 1;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.stride_w = 0;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		/* Padding as large as the window: an all-padding window. */
		k = g;
		k.p.pad_top = 3;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.pad_bottom = 3;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.pad_left = 3;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.pad_right = 3;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.pad_right = 0xffffffffu;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.requant.multiplier = 1 << 30;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.requant.shift = 1;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.act_min = 1;
		k.p.act_max = 0;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.act_min = -200;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
		k = g;
		k.p.reserved[3] = 1;
		EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
	}
}

/* The padded input must hold one window; extents computed without wrap. */
TEST(pool_bad_window)
{
	struct pool_case k = good_pool(VISION_MODEL_OP_MAX_POOL);
	uint32_t frame, in, out;
	union vision_model_op_params p;
	const uint32_t os[4] = { 1, 1, 1, 4 };
	struct model md;
	struct vmb *b;

	k.in[1] = 1;
	k.p.filter_h = 3;
	k.p.pad_top = 0;
	k.p.pad_bottom = 1;
	b = vmb_new();
	ASSERT_NE(NULL, b);
	in = add_input(b, k.in, k.zp, &frame);
	out = vmb_arena_tensor(b, os, k.zp, 0.1f, "out");
	memset(&p, 0, sizeof(p));
	p.pool = k.p;
	ASSERT_EQ(0, finish(b, frame, out,
			    vmb_op(b, k.type, &in, 1, out, &p, "pool"), &md));
	EXPECT_TRUE(rejected_at_op(_metadata, &md));
	free(md.blob);
}

/*
 * AVG_POOL's int32 sum bounds the taps of a window to 2^24; MAX_POOL has
 * no sum and takes the same window.
 */
TEST(avg_pool_too_many_taps)
{
	struct pool_case k = {
		.type = VISION_MODEL_OP_AVG_POOL,
		.in = { 1, 4097, 4097, 1 },
		.p = { .filter_h = 4097,
		       .filter_w = 4097,
		       .stride_h = 1,
		       .stride_w = 1,
		       .act_min = -128,
		       .act_max = 127 },
	};
	union vision_model_op_params p;
	const uint32_t os[4] = { 1, 1, 1, 1 };
	struct vis_engine_error err;
	uint32_t frame, out, op;
	struct vis_model m;
	struct model md;
	struct vmb *b;

	EXPECT_TRUE(bad_pool(_metadata, &k, PE_NONE));
	k.type = VISION_MODEL_OP_MAX_POOL;
	b = vmb_new();
	ASSERT_NE(NULL, b);
	frame = add_frame(b, 4097, 4097, 0);
	out = vmb_arena_tensor(b, os, 0, 0.1f, "out");
	memset(&p, 0, sizeof(p));
	p.pool = k.p;
	op = vmb_op(b, k.type, &frame, 1, out, &p, "pool");
	ASSERT_EQ(0, finish(b, frame, out, op, &md));
	EXPECT_EQ(0, vis_model_validate(&m, md.blob, md.size, &err));
	free(md.blob);
	/* The largest average window that is allowed, run for real. */
	k.type = VISION_MODEL_OP_AVG_POOL;
	k.in[1] = 4096;
	k.in[2] = 4095;
	k.p.filter_h = 4096;
	k.p.filter_w = 4095;
	rng_seed(8);
	ASSERT_TRUE(check_pool(_metadata, &k));
}

/* ---- GLOBAL_AVG_POOL --------------------------------------------------------- */

struct gap_case {
	uint32_t in[4];
	int32_t zp_in;
	int32_t zp_out;
	struct vision_model_pool p;
};

static void ref_gap(const void *kv, const int8_t *in, int8_t *out)
{
	const struct gap_case *k = kv;
	uint32_t n, c, i, hw = k->in[1] * k->in[2], C = k->in[3];

	for (n = 0; n < k->in[0]; n++)
		for (c = 0; c < C; c++) {
			int64_t acc = 0;

			for (i = 0; i < hw; i++)
				acc += in[((size_t)n * hw + i) * C + c] -
				       k->zp_in;
			out[n * C + c] = clamp64(
				(int64_t)ref_mbqm((int32_t)acc,
						  k->p.requant.multiplier,
						  k->p.requant.shift) +
					k->zp_out,
				k->p.act_min, k->p.act_max);
		}
}

static bool check_gap(struct __test_metadata *_metadata,
		      const struct gap_case *k)
{
	const uint32_t os[4] = { k->in[0], 1, 1, k->in[3] };
	union vision_model_op_params p;
	uint32_t frame, in, out, op;
	struct vmb *b = vmb_new();
	char what[96];

	if (!b)
		return false;
	in = add_input(b, k->in, k->zp_in, &frame);
	out = vmb_arena_tensor(b, os, k->zp_out, 0.1f, "out");
	memset(&p, 0, sizeof(p));
	p.pool = k->p;
	op = vmb_op(b, VISION_MODEL_OP_GLOBAL_AVG_POOL, &in, 1, out, &p, "gap");
	snprintf(what, sizeof(what), "GAP [%u,%u,%u,%u] m %d s %d", k->in[0],
		 k->in[1], k->in[2], k->in[3], k->p.requant.multiplier,
		 k->p.requant.shift);
	return check_frame_model(_metadata, b, frame, out, op, ref_gap, k,
				 what);
}

static void rnd_gap_params(struct gap_case *k)
{
	uint32_t hw = k->in[1] * k->in[2];

	memset(&k->p, 0, sizeof(k->p));
	k->zp_in = rnd_range(-128, 127);
	k->zp_out = rnd_range(-128, 127);
	if (rnd() % 3) {
		double ratio = exp(3 * rnd_unit() - 1.5);

		k->p.requant = quantize(ratio / hw);
	} else {
		k->p.requant.multiplier = rnd() % 8 ? rnd_multiplier() : 0;
		k->p.requant.shift = rnd_range(-31, 30);
	}
	rnd_act(&k->p.act_min, &k->p.act_max);
}

TEST(global_avg_pool_random)
{
	struct gap_case k;
	int i;

	rng_seed(21);
	for (i = 0; i < 1500; i++) {
		k.in[0] = rnd_range(1, 3);
		k.in[1] = rnd_range(1, 12);
		k.in[2] = rnd_range(1, 12);
		k.in[3] = rnd_range(1, i % 10 ? 70 : 700);
		rnd_gap_params(&k);
		ASSERT_TRUE(check_gap(_metadata, &k));
	}
	TH_LOG("%d cases", i);
}

TEST(global_avg_pool_edges)
{
	static const uint32_t shapes[][4] = {
		{ 1, 1, 1, 1 },	 { 1, 1, 1, 65536 }, { 1, 7, 7, 1280 },
		{ 2, 1, 1, 63 }, { 1, 64, 64, 65 },  { 1, 2900, 2900, 1 },
	};
	struct gap_case k;
	size_t i;

	rng_seed(22);
	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		memcpy(k.in, shapes[i], sizeof(k.in));
		rnd_gap_params(&k);
		ASSERT_TRUE(check_gap(_metadata, &k));
		/* All values at one extreme, through the largest scales. */
		k.p.requant.multiplier = INT32_MAX;
		k.p.requant.shift = 30;
		ASSERT_TRUE(check_gap(_metadata, &k));
		k.p.requant.shift = -31;
		ASSERT_TRUE(check_gap(_metadata, &k));
	}
}

static bool bad_gap(struct __test_metadata *_metadata,
		    const struct pool_case *k, enum pool_edit edit)
{
	return bad_pool(_metadata, k, edit);
}

TEST(global_avg_pool_bad)
{
	struct pool_case g = {
		.type = VISION_MODEL_OP_GLOBAL_AVG_POOL,
		.in = { 1, 5, 5, 8 },
		.p = { .requant = { 1 << 30, -4 }, .act_min = -128,
		       .act_max = 127 },
	}, k;

	EXPECT_TRUE(bad_gap(_metadata, &g, PE_OUT_H));
	EXPECT_TRUE(bad_gap(_metadata, &g, PE_OUT_C));
	EXPECT_TRUE(bad_gap(_metadata, &g, PE_OUT_N));
	EXPECT_TRUE(bad_gap(_metadata, &g, PE_CONST_INPUT));
	k = g;
	k.p.filter_h = 1;
	EXPECT_TRUE(bad_gap(_metadata, &k, PE_NONE));
	k = g;
	k.p.filter_w = 5;
	EXPECT_TRUE(bad_gap(_metadata, &k, PE_NONE));
	k = g;
	k.p.stride_h = 1;
	EXPECT_TRUE(bad_gap(_metadata, &k, PE_NONE));
	k = g;
	k.p.stride_w = 1;
	EXPECT_TRUE(bad_gap(_metadata, &k, PE_NONE));
	k = g;
	k.p.pad_top = 1;
	EXPECT_TRUE(bad_gap(_metadata, &k, PE_NONE));
	k = g;
	k.p.pad_right = 1;
	EXPECT_TRUE(bad_gap(_metadata, &k, PE_NONE));
	k = g;
	k.p.requant.multiplier = 5;
	EXPECT_TRUE(bad_gap(_metadata, &k, PE_NONE));
	k = g;
	k.p.requant.shift = 31;
	EXPECT_TRUE(bad_gap(_metadata, &k, PE_NONE));
	k = g;
	k.p.act_max = 128;
	EXPECT_TRUE(bad_gap(_metadata, &k, PE_NONE));
	k = g;
	k.p.reserved[0] = 7;
	EXPECT_TRUE(bad_gap(_metadata, &k, PE_NONE));
	/* H * W * 255 beyond int32. */
	k = g;
	k.in[3] = 1;
	k.in[1] = 2902;
	k.in[2] = 2902;
	EXPECT_TRUE(bad_gap(_metadata, &k, PE_NONE));
}

/* ---- CONCAT ------------------------------------------------------------------ */

struct concat_case {
	uint32_t n, h, w;
	uint32_t num;
	uint32_t c[VISION_MODEL_MAX_OP_INPUTS];
	int32_t zp[VISION_MODEL_MAX_OP_INPUTS];
	int32_t zp_out;
	struct vision_model_concat p;
};

static uint32_t gcd32(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Width of the frame: a multiple of every input's C. */
static uint32_t concat_width(const struct concat_case *k)
{
	uint64_t l = 1;
	uint32_t i;

	for (i = 0; i < k->num; i++)
		l = l / gcd32((uint32_t)l, k->c[i]) * k->c[i];
	return (uint32_t)l;
}

static uint32_t concat_c(const struct concat_case *k)
{
	uint32_t i, c = 0;

	for (i = 0; i < k->num; i++)
		c += k->c[i];
	return c;
}

/*
 * Input i is every (M / C_i)-th column of a [1, N*H*W, M, 1] frame,
 * moved to zero point zp[i] and viewed as [N,H,W,C_i].
 */
static struct vmb *build_concat(const struct concat_case *k, uint32_t *frame,
				uint32_t *out, uint32_t *op)
{
	uint32_t px = k->n * k->h * k->w, m = concat_width(k);
	const uint32_t os[4] = { k->n, k->h, k->w, concat_c(k) };
	uint32_t in[VISION_MODEL_MAX_OP_INPUTS], i, id;
	union vision_model_op_params p;
	struct vmb *b = vmb_new();

	if (!b)
		return NULL;
	id = add_identity_table(b);
	*frame = add_frame(b, px, m, 0);
	for (i = 0; i < k->num; i++) {
		const uint32_t col[4] = { 1, px, k->c[i], 1 };
		const uint32_t s[4] = { k->n, k->h, k->w, k->c[i] };
		uint32_t t = add_pick(b, *frame, px, m, 1, m / k->c[i], 0);

		t = add_lut(b, t, col, id, k->zp[i]);
		in[i] = add_reshape(b, t, s);
	}
	*out = vmb_arena_tensor(b, os, k->zp_out, 0.1f, "out");
	memset(&p, 0, sizeof(p));
	p.concat = k->p;
	*op = vmb_op(b, VISION_MODEL_OP_CONCAT, in, k->num, *out, &p, "concat");
	return b;
}

static void ref_concat(const void *kv, const int8_t *fr, int8_t *out)
{
	const struct concat_case *k = kv;
	uint32_t px = k->n * k->h * k->w, m = concat_width(k);
	uint32_t co = concat_c(k), p, i, j, c0;

	for (p = 0; p < px; p++) {
		c0 = 0;
		for (i = 0; i < k->num; i++) {
			const struct vision_model_requant *r = &k->p.requant[i];

			for (j = 0; j < k->c[i]; j++) {
				int8_t x =
					fr[(size_t)p * m + j * (m / k->c[i])];
				int8_t *o = &out[(size_t)p * co + c0 + j];

				if (!r->multiplier)
					*o = x;
				else
					*o = clamp64(
						(int64_t)ref_mbqm(x - k->zp[i],
								  r->multiplier,
								  r->shift) +
							k->zp_out,
						-128, 127);
			}
			c0 += k->c[i];
		}
	}
}

static bool check_concat(struct __test_metadata *_metadata,
			 const struct concat_case *k)
{
	uint32_t frame = 0, out = 0, op = 0;
	struct vmb *b;
	char what[64];

	b = build_concat(k, &frame, &out, &op);
	snprintf(what, sizeof(what), "CONCAT %u inputs [%u,%u,%u,%u]", k->num,
		 k->n, k->h, k->w, concat_c(k));
	return check_frame_model(_metadata, b, frame, out, op, ref_concat, k,
				 what);
}

static void rnd_concat(struct concat_case *k, uint32_t cmax)
{
	uint32_t i;

	memset(k, 0, sizeof(*k));
	k->n = rnd_range(1, 2);
	k->h = rnd_range(1, 4);
	k->w = rnd_range(1, 4);
	k->zp_out = rnd_range(-128, 127);
	do {
		k->num = rnd_range(1, VISION_MODEL_MAX_OP_INPUTS);
		for (i = 0; i < k->num; i++)
			k->c[i] = rnd_range(1, cmax);
	} while (concat_width(k) > 4096);
	for (i = 0; i < k->num; i++) {
		struct vision_model_requant *r = &k->p.requant[i];

		switch (rnd() % 4) {
		case 0:
			/* Same quantization: a copy. */
			k->zp[i] = k->zp_out;
			break;
		case 1:
			k->zp[i] = rnd_range(-128, 127);
			r->multiplier = rnd_multiplier();
			r->shift = rnd_range(-31, 30);
			break;
		default:
			k->zp[i] = rnd_range(-128, 127);
			*r = quantize(exp(4 * rnd_unit() - 2));
			break;
		}
	}
}

TEST(concat_random)
{
	struct concat_case k;
	int i;

	rng_seed(31);
	for (i = 0; i < 2000; i++) {
		rnd_concat(&k, i % 5 ? 8 : 64);
		ASSERT_TRUE(check_concat(_metadata, &k));
	}
	TH_LOG("%d cases", i);
}

TEST(concat_edges)
{
	struct concat_case k;
	uint32_t i;

	rng_seed(32);
	/* One input, copied and requantized: whole rows at once. */
	rnd_concat(&k, 8);
	k.num = 1;
	k.c[0] = 4096;
	memset(&k.p, 0, sizeof(k.p));
	k.zp[0] = k.zp_out;
	ASSERT_TRUE(check_concat(_metadata, &k));
	k.p.requant[0] = quantize(0.7);
	k.zp[0] = -128;
	ASSERT_TRUE(check_concat(_metadata, &k));
	/* Eight inputs of one channel each, 1x1 image. */
	memset(&k, 0, sizeof(k));
	k.n = 1;
	k.h = 1;
	k.w = 1;
	k.num = 8;
	k.zp_out = 127;
	for (i = 0; i < 8; i++) {
		k.c[i] = 1;
		k.zp[i] = i % 2 ? 127 : -128;
		if (i % 2 == 0)
			k.p.requant[i] = quantize(i + 0.5);
	}
	ASSERT_TRUE(check_concat(_metadata, &k));
}

enum concat_edit {
	CE_NONE,
	CE_OUT_C,
	CE_IN_H,
	CE_IN_W,
	CE_CONST,
};

static bool bad_concat(struct __test_metadata *_metadata,
		       const struct concat_case *k, enum concat_edit edit)
{
	const uint32_t s[4] = { k->n, k->h, k->w, 2 };
	uint32_t frame, in[2], out, os[4];
	union vision_model_op_params p;
	int8_t data[256] = { 0 };
	struct model md;
	struct vmb *b = vmb_new();
	bool ok;

	if (!b)
		return false;
	/* Two inputs of 2 channels; the second from the first by a LUT. */
	in[0] = add_input(b, s, k->zp[0], &frame);
	if (edit == CE_CONST) {
		in[1] = vmb_const_tensor(b, s, VISION_MODEL_TYPE_INT8, k->zp[1],
					 1.0f, NULL, VISION_MODEL_ENC_DENSE,
					 data, elems(s), "c");
	} else {
		uint32_t s2[4] = { k->n, k->h + (edit == CE_IN_H),
				   k->w + (edit == CE_IN_W), 2 };
		uint32_t t =
			add_lut(b, in[0], s, add_identity_table(b), k->zp[1]);

		if (elems(s2) != elems(s)) {
			/* Same bytes again, another shape: through a PAD. */
			union vision_model_op_params pp;
			uint32_t t2 = vmb_arena_tensor(b, s2, k->zp[1], 0.1f,
						       "padded");

			memset(&pp, 0, sizeof(pp));
			pp.pad.bottom = edit == CE_IN_H;
			pp.pad.right = edit == CE_IN_W;
			vmb_op(b, VISION_MODEL_OP_PAD, &t, 1, t2, &pp, "pad");
			t = t2;
		}
		in[1] = t;
	}
	os[0] = k->n;
	os[1] = k->h;
	os[2] = k->w;
	os[3] = 4 + (edit == CE_OUT_C);
	out = vmb_arena_tensor(b, os, k->zp_out, 0.1f, "out");
	memset(&p, 0, sizeof(p));
	p.concat = k->p;
	if (finish(b, frame, out,
		   vmb_op(b, VISION_MODEL_OP_CONCAT, in, 2, out, &p, "concat"),
		   &md))
		return false;
	ok = rejected_at_op(_metadata, &md);
	free(md.blob);
	return ok;
}

TEST(concat_bad)
{
	struct concat_case g = {
		.n = 1, .h = 2, .w = 3, .num = 2,
		.c = { 2, 2 },
		.zp = { 5, 6 },
		.zp_out = 5,
		.p = { .requant = { { 0, 0 }, { 1 << 30, -1 } } },
	}, k;

	EXPECT_TRUE(bad_concat(_metadata, &g, CE_OUT_C));
	EXPECT_TRUE(bad_concat(_metadata, &g, CE_IN_H));
	EXPECT_TRUE(bad_concat(_metadata, &g, CE_IN_W));
	EXPECT_TRUE(bad_concat(_metadata, &g, CE_CONST));
	k = g;
	k.p.requant[2].multiplier = 1 << 30;
	EXPECT_TRUE(bad_concat(_metadata, &k, CE_NONE));
	k = g;
	k.p.requant[7].shift = -1;
	EXPECT_TRUE(bad_concat(_metadata, &k, CE_NONE));
	/* A copy between different zero points, or with a shift. */
	k = g;
	k.zp_out = 4;
	EXPECT_TRUE(bad_concat(_metadata, &k, CE_NONE));
	k = g;
	k.p.requant[0].shift = 2;
	EXPECT_TRUE(bad_concat(_metadata, &k, CE_NONE));
	k = g;
	k.p.requant[1].multiplier = (1 << 30) - 1;
	EXPECT_TRUE(bad_concat(_metadata, &k, CE_NONE));
	k = g;
	k.p.requant[1].shift = 31;
	EXPECT_TRUE(bad_concat(_metadata, &k, CE_NONE));
	k = g;
	k.p.requant[1].shift = -32;
	EXPECT_TRUE(bad_concat(_metadata, &k, CE_NONE));
}

/* ---- PAD ------------------------------------------------------------------------ */

struct pad_case {
	uint32_t in[4];
	int32_t zp;
	struct vision_model_pad p;
};

static void pad_out_shape(const struct pad_case *k, uint32_t o[4])
{
	o[0] = k->in[0];
	o[1] = k->in[1] + k->p.top + k->p.bottom;
	o[2] = k->in[2] + k->p.left + k->p.right;
	o[3] = k->in[3];
}

static void ref_pad(const void *kv, const int8_t *in, int8_t *out)
{
	const struct pad_case *k = kv;
	uint32_t os[4], n, y, x, c;
	size_t i = 0;

	pad_out_shape(k, os);
	for (n = 0; n < os[0]; n++)
		for (y = 0; y < os[1]; y++)
			for (x = 0; x < os[2]; x++)
				for (c = 0; c < os[3]; c++, i++) {
					bool inside = y >= k->p.top &&
						      y < k->p.top + k->in[1] &&
						      x >= k->p.left &&
						      x < k->p.left + k->in[2];

					out[i] = inside ?
							 in[(((size_t)n *
								      k->in[1] +
							      y - k->p.top) *
								     k->in[2] +
							     x - k->p.left) *
								    k->in[3] +
							    c] :
							 (int8_t)k->p.value;
				}
}

static bool check_pad(struct __test_metadata *_metadata,
		      const struct pad_case *k)
{
	union vision_model_op_params p;
	uint32_t frame, in, out, op, os[4];
	struct vmb *b = vmb_new();
	char what[96];

	if (!b)
		return false;
	pad_out_shape(k, os);
	in = add_input(b, k->in, k->zp, &frame);
	out = vmb_arena_tensor(b, os, k->zp, 0.1f, "out");
	memset(&p, 0, sizeof(p));
	p.pad = k->p;
	op = vmb_op(b, VISION_MODEL_OP_PAD, &in, 1, out, &p, "pad");
	snprintf(what, sizeof(what), "PAD [%u,%u,%u,%u] t%u b%u l%u r%u",
		 k->in[0], k->in[1], k->in[2], k->in[3], k->p.top, k->p.bottom,
		 k->p.left, k->p.right);
	return check_frame_model(_metadata, b, frame, out, op, ref_pad, k,
				 what);
}

TEST(pad_random)
{
	struct pad_case k;
	int i;

	rng_seed(41);
	for (i = 0; i < 1500; i++) {
		memset(&k, 0, sizeof(k));
		k.in[0] = rnd_range(1, 3);
		k.in[1] = rnd_range(1, 8);
		k.in[2] = rnd_range(1, 8);
		k.in[3] = rnd_range(1, i % 10 ? 20 : 300);
		k.zp = rnd_range(-128, 127);
		k.p.top = rnd() % 3 ? rnd_range(0, 3) : 0;
		k.p.bottom = rnd() % 3 ? rnd_range(0, 3) : 0;
		k.p.left = rnd() % 3 ? rnd_range(0, 3) : 0;
		k.p.right = rnd() % 3 ? rnd_range(0, 3) : 0;
		k.p.value = rnd() % 2 ? k.zp : rnd_range(-128, 127);
		ASSERT_TRUE(check_pad(_metadata, &k));
	}
	TH_LOG("%d cases", i);
}

TEST(pad_edges)
{
	struct pad_case k;

	rng_seed(42);
	memset(&k, 0, sizeof(k));
	/* 1x1 image padded far in every direction. */
	k.in[0] = 1;
	k.in[1] = 1;
	k.in[2] = 1;
	k.in[3] = 1;
	k.p.top = 100;
	k.p.bottom = 7;
	k.p.left = 3;
	k.p.right = 250;
	k.p.value = -128;
	ASSERT_TRUE(check_pad(_metadata, &k));
	/* No padding at all: a copy, with many channels. */
	memset(&k.p, 0, sizeof(k.p));
	k.in[0] = 2;
	k.in[1] = 3;
	k.in[2] = 2;
	k.in[3] = 4000;
	k.p.value = 127;
	ASSERT_TRUE(check_pad(_metadata, &k));
	k.p.top = 1;
	k.p.right = 1;
	ASSERT_TRUE(check_pad(_metadata, &k));
}

enum pad_edit {
	PD_NONE,
	PD_OUT_N,
	PD_OUT_H,
	PD_OUT_W,
	PD_OUT_C,
	PD_OUT_ZP,
	PD_CONST,
};

static bool bad_pad(struct __test_metadata *_metadata, const struct pad_case *k,
		    enum pad_edit edit)
{
	union vision_model_op_params p;
	uint32_t frame, in, out, os[4];
	struct model md;
	struct vmb *b = vmb_new();
	bool ok;

	if (!b)
		return false;
	pad_out_shape(k, os);
	in = add_input_or_const(b, k->in, k->zp, edit == PD_CONST, &frame);
	os[0] += edit == PD_OUT_N;
	os[1] += edit == PD_OUT_H;
	os[2] -= edit == PD_OUT_W;
	os[3] += edit == PD_OUT_C;
	out = vmb_arena_tensor(b, os, k->zp + (edit == PD_OUT_ZP), 0.1f, "out");
	memset(&p, 0, sizeof(p));
	p.pad = k->p;
	if (finish(b, frame, out,
		   vmb_op(b, VISION_MODEL_OP_PAD, &in, 1, out, &p, "pad"), &md))
		return false;
	ok = rejected_at_op(_metadata, &md);
	free(md.blob);
	return ok;
}

TEST(pad_bad)
{
	struct pad_case g = {
		.in = { 1, 3, 4, 5 },
		.zp = -1,
		.p = { .top = 1, .bottom = 2, .left = 3, .right = 1,
		       .value = -1 },
	}, k;

	ASSERT_TRUE(check_pad(_metadata, &g));
	EXPECT_TRUE(bad_pad(_metadata, &g, PD_OUT_N));
	EXPECT_TRUE(bad_pad(_metadata, &g, PD_OUT_H));
	EXPECT_TRUE(bad_pad(_metadata, &g, PD_OUT_W));
	EXPECT_TRUE(bad_pad(_metadata, &g, PD_OUT_C));
	EXPECT_TRUE(bad_pad(_metadata, &g, PD_OUT_ZP));
	EXPECT_TRUE(bad_pad(_metadata, &g, PD_CONST));
	k = g;
	k.p.value = 128;
	EXPECT_TRUE(bad_pad(_metadata, &k, PD_NONE));
	k = g;
	k.p.value = -129;
	EXPECT_TRUE(bad_pad(_metadata, &k, PD_NONE));
	k = g;
	k.p.reserved[10] = 1;
	EXPECT_TRUE(bad_pad(_metadata, &k, PD_NONE));
	/* Paddings whose sum wraps in 32 bits onto the right extent. */
	k = g;
	k.p.top = 0x80000000u;
	k.p.bottom = 0x80000000u + 3;
	{
		struct pad_case o = g;

		/* Build with the honest shape of g, then the huge pads. */
		union vision_model_op_params p;
		uint32_t frame, in, out, os[4];
		struct model md;
		struct vmb *b = vmb_new();

		ASSERT_NE(NULL, b);
		o.p.top = 0;
		o.p.bottom = 3;
		pad_out_shape(&o, os);
		in = add_input(b, o.in, o.zp, &frame);
		out = vmb_arena_tensor(b, os, o.zp, 0.1f, "out");
		memset(&p, 0, sizeof(p));
		p.pad = k.p;
		ASSERT_EQ(0, finish(b, frame, out,
				    vmb_op(b, VISION_MODEL_OP_PAD, &in, 1, out,
					   &p, "pad"),
				    &md));
		EXPECT_TRUE(rejected_at_op(_metadata, &md));
		free(md.blob);
	}
}

TEST_HARNESS_MAIN
