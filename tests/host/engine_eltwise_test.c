// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Element-wise operators ADD, MUL, LUT and RESHAPE: the engine, run
 * through model validation and vis_engine_run() (and unit by unit, in
 * reverse order), against straightforward statements of TFLite's int8
 * reference kernels (AddElementwise/BroadcastAdd4DSlow,
 * MulElementwise/BroadcastMul4DSlow) built on tflite_ref.h; and every
 * invalid shape and parameter rejected by the validator.
 *
 * The input stage only accepts [1,H,W,1|3] tensors and every other arena
 * tensor must be produced by an operator, so two independent operands are
 * cut out of one [1,E1,E2,1] frame: its first column (MAX_POOL 1x1 with
 * stride (1, E2)) and its first row (stride (E1, 1)), each moved to its
 * own zero point by an identity LUT and given its shape by a RESHAPE.
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

/* ---- ADD and MUL: reference ------------------------------------------------ */

struct bin_case {
	uint32_t type;
	uint32_t sa[4];
	uint32_t sb[4];
	uint32_t so[4];
	int32_t zpa;
	int32_t zpb;
	int32_t zpo;
	struct vision_model_binary p;
};

/* Index into a broadcast operand: dimensions of size 1 stay at 0. */
static size_t bidx(const uint32_t s[4], uint32_t n, uint32_t h, uint32_t w,
		   uint32_t c)
{
	n = s[0] == 1 ? 0 : n;
	h = s[1] == 1 ? 0 : h;
	w = s[2] == 1 ? 0 : w;
	c = s[3] == 1 ? 0 : c;
	return (((size_t)n * s[1] + h) * s[2] + w) * s[3] + c;
}

/* TFLite AddFunc, int8. */
static int8_t ref_add(const struct bin_case *k, int8_t a, int8_t b)
{
	const struct vision_model_binary *p = &k->p;
	int32_t x1 = (int32_t)((a - k->zpa) * (int64_t)(1 << p->left_shift));
	int32_t x2 = (int32_t)((b - k->zpb) * (int64_t)(1 << p->left_shift));
	/* MultiplyByQuantizedMultiplierSmallerThanOneExp */
	int32_t s1 = ref_rdbpot(ref_srdhm(x1, p->input1.multiplier),
				-p->input1.shift);
	int32_t s2 = ref_rdbpot(ref_srdhm(x2, p->input2.multiplier),
				-p->input2.shift);
	int64_t raw =
		(int64_t)ref_rdbpot(ref_srdhm(s1 + s2, p->output.multiplier),
				    -p->output.shift) +
		k->zpo;

	return clamp64(raw, p->act_min, p->act_max);
}

/* TFLite MulElementwise, int8. */
static int8_t ref_mul(const struct bin_case *k, int8_t a, int8_t b)
{
	const struct vision_model_binary *p = &k->p;
	int32_t prod = (a - k->zpa) * (b - k->zpb);
	int64_t raw =
		(int64_t)ref_mbqm(prod, p->output.multiplier, p->output.shift) +
		k->zpo;

	return clamp64(raw, p->act_min, p->act_max);
}

static void ref_binary(const struct bin_case *k, const int8_t *a,
		       const int8_t *b, int8_t *o)
{
	uint32_t n, h, w, c;
	size_t i = 0;

	for (n = 0; n < k->so[0]; n++)
		for (h = 0; h < k->so[1]; h++)
			for (w = 0; w < k->so[2]; w++)
				for (c = 0; c < k->so[3]; c++, i++) {
					int8_t va = a[bidx(k->sa, n, h, w, c)];
					int8_t vb = b[bidx(k->sb, n, h, w, c)];

					o[i] = k->type == VISION_MODEL_OP_ADD ?
						       ref_add(k, va, vb) :
						       ref_mul(k, va, vb);
				}
}

/* ---- ADD and MUL: models ------------------------------------------------- */

enum bin_src {
	SRC_GRID, /* operands from the first column and row of a frame */
	SRC_ROW, /* the smaller operand is the first row of the larger */
	SRC_LUT, /* same shape: b = table[a], for large tensors */
};

/*
 * The one-operator model of @k with operands as @src describes; the
 * operator's index in *@op. Returns the builder, ready for vmb_finish().
 */
static struct vmb *build_binary(const struct bin_case *k, enum bin_src src,
				const int8_t *table, uint32_t *frame,
				uint32_t *out, uint32_t *op)
{
	struct vmb *b = vmb_new();
	uint32_t in[2], e1 = (uint32_t)elems(k->sa),
			e2 = (uint32_t)elems(k->sb);
	union vision_model_op_params p;

	if (!b)
		return NULL;
	if (src == SRC_GRID) {
		const uint32_t col[4] = { 1, e1, 1, 1 };
		const uint32_t row[4] = { 1, 1, e2, 1 };
		uint32_t id = add_identity_table(b), t;

		*frame = add_frame(b, e1, e2, 0);
		t = add_pick(b, *frame, e1, e2, 1, e2, 0);
		t = add_lut(b, t, col, id, k->zpa);
		in[0] = add_reshape(b, t, k->sa);
		t = add_pick(b, *frame, e1, e2, e1, 1, 0);
		t = add_lut(b, t, row, id, k->zpb);
		in[1] = add_reshape(b, t, k->sb);
	} else if (src == SRC_ROW) {
		/* The larger operand is the frame, the smaller its row 0. */
		bool a_big = e1 >= e2;
		uint32_t big = a_big ? e1 : e2, small = a_big ? e2 : e1;
		const uint32_t fs[4] = { 1, big / small, small, 1 };
		const uint32_t row[4] = { 1, 1, small, 1 };
		uint32_t id = add_identity_table(b), t;

		*frame = add_frame(b, big / small, small, 0);
		t = add_lut(b, *frame, fs, id, a_big ? k->zpa : k->zpb);
		in[a_big ? 0 : 1] = add_reshape(b, t, a_big ? k->sa : k->sb);
		t = add_pick(b, *frame, big / small, small, big / small, 1, 0);
		t = add_lut(b, t, row, id, a_big ? k->zpb : k->zpa);
		in[a_big ? 1 : 0] = add_reshape(b, t, a_big ? k->sb : k->sa);
	} else {
		in[0] = add_input(b, k->sa, k->zpa, frame);
		in[1] = add_lut(b, in[0], k->sa, add_table(b, table), k->zpb);
	}
	*out = vmb_arena_tensor(b, k->so, k->zpo, 0.1f, "out");
	memset(&p, 0, sizeof(p));
	p.binary = k->p;
	*op = vmb_op(b, k->type, in, 2, *out, &p, "binary");
	return b;
}

/* Build, run both ways and compare with the reference; false on mismatch. */
static bool check_binary(struct __test_metadata *_metadata,
			 const struct bin_case *k, enum bin_src src)
{
	uint32_t frame, out, op;
	uint64_t ea = elems(k->sa), eb = elems(k->sb), eo = elems(k->so);
	int8_t table[256];
	int8_t *fr, *a, *b, *want;
	struct vmb *bld;
	struct model md;
	char what[96];
	bool ok = true;
	uint64_t i;

	rnd_fill(table, sizeof(table));
	bld = build_binary(k, src, table, &frame, &out, &op);
	if (!bld || finish(bld, frame, out, op, &md)) {
		TH_LOG("cannot build the model");
		return false;
	}
	fr = malloc(md.frame_elems);
	a = malloc(ea);
	b = malloc(eb);
	want = malloc(eo);
	if (!fr || !a || !b || !want) {
		ok = false;
		goto out;
	}
	rnd_fill(fr, md.frame_elems);
	if (src == SRC_GRID) {
		for (i = 0; i < ea; i++)
			a[i] = fr[i * eb];
		memcpy(b, fr, eb);
	} else if (src == SRC_ROW) {
		memcpy(a, fr, ea);
		memcpy(b, fr, eb);
	} else {
		memcpy(a, fr, ea);
		for (i = 0; i < eb; i++)
			b[i] = table[a[i] + 128];
	}
	ref_binary(k, a, b, want);
	snprintf(what, sizeof(what), "%s [%u,%u,%u,%u]+[%u,%u,%u,%u]",
		 k->type == VISION_MODEL_OP_ADD ? "ADD" : "MUL", k->sa[0],
		 k->sa[1], k->sa[2], k->sa[3], k->sb[0], k->sb[1], k->sb[2],
		 k->sb[3]);
	ok = run_and_compare(_metadata, &md, fr, want, what);
out:
	free(fr);
	free(a);
	free(b);
	free(want);
	free(md.blob);
	return ok;
}

/* Realistic TFLite parameters, or random ones with extreme values. */
static void rnd_add_params(struct bin_case *k)
{
	struct vision_model_binary *p = &k->p;

	memset(p, 0, sizeof(*p));
	if (rnd() % 3) {
		double s1 = exp(-6 * rnd_unit()), s2 = exp(-6 * rnd_unit());
		double so = fmax(s1, s2) * exp(2.5 * rnd_unit() - 2);
		double twice = 2 * fmax(s1, s2);

		/* TFLite's PrepareGeneralSubOp / Add preparation. */
		p->left_shift = 20;
		p->input1 = quantize(s1 / twice);
		p->input2 = quantize(s2 / twice);
		p->output = quantize(twice / ((1 << 20) * so));
	} else {
		p->left_shift = rnd_range(0, 20);
		p->input1.multiplier = rnd() % 8 ? rnd_multiplier() : 0;
		p->input1.shift = rnd() % 4 ? rnd_range(-31, 0) :
					      (rnd() % 2 ? 0 : -31);
		p->input2.multiplier = rnd() % 8 ? rnd_multiplier() : 0;
		p->input2.shift = rnd() % 4 ? rnd_range(-31, 0) :
					      (rnd() % 2 ? 0 : -31);
		p->output.multiplier = rnd_multiplier();
		p->output.shift = rnd() % 4 ? rnd_range(-31, 0) :
					      (rnd() % 2 ? 0 : -31);
	}
	rnd_act(&p->act_min, &p->act_max);
}

static void rnd_mul_params(struct bin_case *k)
{
	struct vision_model_binary *p = &k->p;

	memset(p, 0, sizeof(*p));
	if (rnd() % 3) {
		double s1 = exp(-6 * rnd_unit()), s2 = exp(-6 * rnd_unit());
		double so = s1 * s2 * exp(8 * rnd_unit() - 2);

		p->output = quantize(s1 * s2 / so);
	} else {
		p->output.multiplier = rnd() % 8 ? rnd_multiplier() : 0;
		p->output.shift = rnd() % 4 ? rnd_range(-31, 30) :
					      (rnd() % 2 ? 30 : -31);
	}
	rnd_act(&p->act_min, &p->act_max);
}

static void rnd_zero_points(struct bin_case *k)
{
	static const int32_t edge[] = { -128, 127, 0 };

	k->zpa = rnd() % 4 ? rnd_range(-128, 127) : edge[rnd() % 3];
	k->zpb = rnd() % 4 ? rnd_range(-128, 127) : edge[rnd() % 3];
	k->zpo = rnd() % 4 ? rnd_range(-128, 127) : edge[rnd() % 3];
}

/* Random zero points, then random parameters for k->type. */
static void rnd_bin_params(struct bin_case *k)
{
	rnd_zero_points(k);
	if (k->type == VISION_MODEL_OP_ADD)
		rnd_add_params(k);
	else
		rnd_mul_params(k);
}

/*
 * Every pair of broadcast patterns (each input keeps or collapses each
 * dimension) with random dimensions, zero points and parameters.
 */
static int every_pattern(struct __test_metadata *_metadata, uint32_t type,
			 uint64_t seed, int reps)
{
	uint32_t ma, mb;
	int rep, d, cases = 0;

	rng_seed(seed);
	for (rep = 0; rep < reps; rep++) {
		for (ma = 0; ma < 16; ma++) {
			for (mb = 0; mb < 16; mb++) {
				struct bin_case k = { .type = type };
				const uint32_t lim[4] = { 2, 4, 4, 24 };

				for (d = 0; d < 4; d++) {
					uint32_t dim = rnd_range(1, lim[d]);

					/* Mostly non-trivial dimensions. */
					if (rnd() % 4 && dim == 1)
						dim = 2;
					k.sa[d] = ma & (1u << d) ? dim : 1;
					k.sb[d] = mb & (1u << d) ? dim : 1;
					k.so[d] = k.sa[d] > k.sb[d] ? k.sa[d] :
								      k.sb[d];
				}
				rnd_bin_params(&k);
				if (!check_binary(_metadata, &k, SRC_GRID))
					return -1;
				cases++;
			}
		}
	}
	return cases;
}

TEST(add_every_broadcast_pattern)
{
	int n = every_pattern(_metadata, VISION_MODEL_OP_ADD, 1, 6);

	ASSERT_LT(0, n);
	TH_LOG("%d ADD cases", n);
}

TEST(mul_every_broadcast_pattern)
{
	int n = every_pattern(_metadata, VISION_MODEL_OP_MUL, 2, 6);

	ASSERT_LT(0, n);
	TH_LOG("%d MUL cases", n);
}

/* Squeeze-excite and friends: [N,H,W,C] with [1,1,1,C], large C. */
static void large_channels(struct __test_metadata *_metadata, uint32_t type)
{
	static const uint32_t cs[] = { 16, 17, 64, 255, 1000, 4096, 65535 };
	size_t i;
	int swap;

	rng_seed(type * 77);
	for (i = 0; i < ARRAY_SIZE(cs); i++) {
		for (swap = 0; swap < 4; swap++) {
			uint32_t c = cs[i], hw = rnd_range(1, c > 4096 ? 2 : 7);
			struct bin_case k = {
				.type = type,
				.sa = { 1, hw, hw, c },
				.sb = { 1, 1, 1, c },
				.so = { 1, hw, hw, c },
			};

			if (swap & 1) {
				memcpy(k.sa, k.sb, sizeof(k.sa));
				memcpy(k.sb, k.so, sizeof(k.sb));
			}
			rnd_bin_params(&k);
			ASSERT_TRUE(check_binary(_metadata, &k, SRC_ROW));
		}
	}
}

TEST(add_per_channel_large)
{
	large_channels(_metadata, VISION_MODEL_OP_ADD);
}

TEST(mul_per_channel_large)
{
	large_channels(_metadata, VISION_MODEL_OP_MUL);
}

/* Same-shape operands, many random parameters, up to large tensors. */
static void same_shape(struct __test_metadata *_metadata, uint32_t type)
{
	static const uint32_t shapes[][4] = {
		{ 1, 1, 1, 1 },	   { 1, 1, 1, 65536 }, { 2, 7, 9, 33 },
		{ 1, 56, 56, 24 }, { 4, 1, 1, 1000 },  { 1, 3, 1, 5 },
	};
	size_t i;
	int rep;

	rng_seed(type * 1234);
	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		for (rep = 0; rep < 20; rep++) {
			struct bin_case k = { .type = type };

			memcpy(k.sa, shapes[i], sizeof(k.sa));
			memcpy(k.sb, shapes[i], sizeof(k.sb));
			memcpy(k.so, shapes[i], sizeof(k.so));
			rnd_bin_params(&k);
			ASSERT_TRUE(check_binary(_metadata, &k, SRC_LUT));
		}
	}
}

TEST(add_same_shape)
{
	same_shape(_metadata, VISION_MODEL_OP_ADD);
}

TEST(mul_same_shape)
{
	same_shape(_metadata, VISION_MODEL_OP_MUL);
}

/* Fixed extremes: the largest shift, saturating sums, narrow clamps. */
TEST(add_extremes)
{
	static const int32_t mults[] = { 0, 1 << 30, INT32_MAX };
	static const int32_t shifts[] = { 0, -1, -31 };
	struct bin_case k = {
		.type = VISION_MODEL_OP_ADD,
		.sa = { 1, 1, 16, 16 },
		.sb = { 1, 1, 16, 16 },
		.so = { 1, 1, 16, 16 },
	};
	size_t i, j, l;

	rng_seed(99);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			for (l = 0; l < 3; l++) {
				rnd_zero_points(&k);
				memset(&k.p, 0, sizeof(k.p));
				k.p.left_shift = 20;
				k.p.input1.multiplier = mults[i];
				k.p.input1.shift = shifts[j];
				k.p.input2.multiplier = mults[(i + l) % 3];
				k.p.input2.shift = shifts[l];
				k.p.output.multiplier = mults[(i + 1) % 3];
				k.p.output.shift = shifts[(j + l) % 3];
				rnd_act(&k.p.act_min, &k.p.act_max);
				ASSERT_TRUE(
					check_binary(_metadata, &k, SRC_GRID));
			}
}

TEST(mul_extremes)
{
	static const int32_t shifts[] = { 30, 15, 0, -31 };
	struct bin_case k = {
		.type = VISION_MODEL_OP_MUL,
		.sa = { 1, 1, 16, 16 },
		.sb = { 1, 1, 16, 16 },
		.so = { 1, 1, 16, 16 },
	};
	size_t i;
	int rep;

	rng_seed(98);
	for (i = 0; i < 4; i++)
		for (rep = 0; rep < 8; rep++) {
			rnd_zero_points(&k);
			memset(&k.p, 0, sizeof(k.p));
			k.p.output.multiplier = rnd_multiplier();
			k.p.output.shift = shifts[i];
			rnd_act(&k.p.act_min, &k.p.act_max);
			ASSERT_TRUE(check_binary(_metadata, &k, SRC_GRID));
		}
}

/* ---- ADD and MUL: invalid models ---------------------------------------- */

static struct bin_case good_case(uint32_t type)
{
	struct bin_case k = {
		.type = type,
		.sa = { 1, 2, 2, 3 },
		.sb = { 1, 1, 1, 3 },
		.so = { 1, 2, 2, 3 },
		.zpa = 1,
		.zpb = -2,
		.zpo = 3,
	};

	if (type == VISION_MODEL_OP_ADD) {
		k.p.left_shift = 20;
		k.p.input1 = quantize(0.5);
		k.p.input2 = quantize(0.25);
		k.p.output = quantize(1.0 / (1 << 18));
	} else {
		k.p.output = quantize(0.01);
	}
	k.p.act_min = -128;
	k.p.act_max = 127;
	return k;
}

/* Build @k (optionally edited) and expect rejection at the operator. */
static bool bad_binary(struct __test_metadata *_metadata,
		       const struct bin_case *k)
{
	uint32_t frame, out, op;
	struct model md;
	struct vmb *b;
	bool ok;

	b = build_binary(k, SRC_GRID, NULL, &frame, &out, &op);
	if (!b || finish(b, frame, out, op, &md))
		return false;
	ok = rejected_at_op(_metadata, &md);
	free(md.blob);
	return ok;
}

TEST(binary_good_models_pass)
{
	struct bin_case k = good_case(VISION_MODEL_OP_ADD);

	ASSERT_TRUE(check_binary(_metadata, &k, SRC_GRID));
	k = good_case(VISION_MODEL_OP_MUL);
	ASSERT_TRUE(check_binary(_metadata, &k, SRC_GRID));
}

TEST(binary_bad_shapes)
{
	static const uint32_t type[] = { VISION_MODEL_OP_ADD,
					 VISION_MODEL_OP_MUL };
	size_t t;

	for (t = 0; t < 2; t++) {
		struct bin_case g = good_case(type[t]), k;

		/* Inputs that do not broadcast. */
		k = g;
		k.sb[3] = 4;
		k.so[3] = 4;
		EXPECT_TRUE(bad_binary(_metadata, &k));
		k = g;
		k.sb[1] = 3;
		EXPECT_TRUE(bad_binary(_metadata, &k));
		/* Output larger or smaller than the broadcast shape. */
		k = g;
		k.so[0] = 2;
		EXPECT_TRUE(bad_binary(_metadata, &k));
		k = g;
		k.so[3] = 1;
		EXPECT_TRUE(bad_binary(_metadata, &k));
		k = g;
		k.sa[1] = 1;
		EXPECT_TRUE(bad_binary(_metadata, &k));
	}
}

TEST(add_bad_params)
{
	struct bin_case g = good_case(VISION_MODEL_OP_ADD), k;

	k = g;
	k.p.left_shift = 21;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.left_shift = 0xffffffffu;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.input1.shift = 1;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.input2.shift = 1;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.output.shift = 1;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.input1.shift = -32;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.input1.multiplier = (1 << 30) - 1;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.input2.multiplier = -5;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.output.multiplier = INT32_MIN;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.act_min = 5;
	k.p.act_max = 4;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.act_min = -129;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.act_max = 128;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.reserved[4] = 1;
	EXPECT_TRUE(bad_binary(_metadata, &k));
}

TEST(mul_bad_params)
{
	struct bin_case g = good_case(VISION_MODEL_OP_MUL), k;

	k = g;
	k.p.left_shift = 1;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.input1 = quantize(0.5);
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.input2.shift = -1;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.output.shift = 31;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.output.multiplier = 12345;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.act_max = 200;
	EXPECT_TRUE(bad_binary(_metadata, &k));
	k = g;
	k.p.reserved[0] = 1;
	EXPECT_TRUE(bad_binary(_metadata, &k));
}

/*
 * A [1,1,4,4] ADD or MUL (@type, @p) whose operand @const_at (0 or 1) is
 * a constant, or (@const_at 2) that has one operand only.
 */
static int build_bad_operands(uint32_t type,
			      const union vision_model_op_params *p,
			      int const_at, struct model *md)
{
	const uint32_t s[4] = { 1, 1, 4, 4 };
	const int8_t data[16] = { 0 };
	uint32_t frame, in, out, ids[2];
	struct vmb *b = vmb_new();

	if (!b)
		return -ENOMEM;
	in = add_input(b, s, 0, &frame);
	ids[0] = in;
	if (const_at < 2) {
		ids[const_at] = vmb_const_tensor(b, s, VISION_MODEL_TYPE_INT8,
						 0, 1.0f, NULL,
						 VISION_MODEL_ENC_DENSE, data,
						 sizeof(data), "c");
		ids[!const_at] = in;
	}
	out = vmb_arena_tensor(b, s, 0, 1.0f, "out");
	return finish(b, frame, out,
		      vmb_op(b, type, ids, const_at < 2 ? 2 : 1, out, p, "op"),
		      md);
}

/* Operands in the constant data, or the wrong count of them. */
TEST(binary_bad_operands)
{
	static const uint32_t type[] = { VISION_MODEL_OP_ADD,
					 VISION_MODEL_OP_MUL };
	union vision_model_op_params p;
	struct model md;
	size_t t;
	int how;

	for (t = 0; t < 2; t++) {
		memset(&p, 0, sizeof(p));
		p.binary = good_case(type[t]).p;
		/* Second operand constant, first constant, one operand. */
		for (how = 0; how < 3; how++) {
			ASSERT_EQ(0, build_bad_operands(type[t], &p, how, &md));
			EXPECT_TRUE(rejected_at_op(_metadata, &md));
			free(md.blob);
		}
	}
}

/* ---- LUT ------------------------------------------------------------------ */

static bool check_lut(struct __test_metadata *_metadata,
		      const uint32_t shape[4])
{
	uint64_t n = elems(shape), i;
	int8_t table[256], *fr, *want;
	uint32_t frame, in, out, op;
	int32_t zp_in = rnd_range(-128, 127), zp_out = rnd_range(-128, 127);
	struct model md;
	struct vmb *b = vmb_new();
	bool ok = true;

	if (!b)
		return false;
	rnd_fill(table, sizeof(table));
	in = add_input(b, shape, zp_in, &frame);
	out = vmb_arena_tensor(b, shape, zp_out, 0.1f, "out");
	{
		uint32_t ids[2] = { in, add_table(b, table) };

		op = vmb_op(b, VISION_MODEL_OP_LUT, ids, 2, out, NULL, "lut");
	}
	if (finish(b, frame, out, op, &md))
		return false;
	fr = malloc(n);
	want = malloc(n);
	if (!fr || !want) {
		ok = false;
		goto out;
	}
	rnd_fill(fr, n);
	for (i = 0; i < n; i++)
		want[i] = table[fr[i] + 128];
	ok = run_and_compare(_metadata, &md, fr, want, "LUT");
out:
	free(fr);
	free(want);
	free(md.blob);
	return ok;
}

TEST(lut_random)
{
	static const uint32_t fixed[][4] = {
		{ 1, 1, 1, 1 },	   { 1, 1, 1, 256 },   { 1, 1, 1, 4095 },
		{ 1, 1, 1, 4096 }, { 1, 1, 1, 4097 },  { 1, 64, 64, 3 },
		{ 3, 17, 19, 23 }, { 1, 1, 1, 65536 }, { 2, 1, 65536, 1 },
	};
	size_t i;
	int rep;

	rng_seed(11);
	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		ASSERT_TRUE(check_lut(_metadata, fixed[i]));
	for (rep = 0; rep < 300; rep++) {
		uint32_t s[4] = { rnd_range(1, 3), rnd_range(1, 9),
				  rnd_range(1, 9), rnd_range(1, 70) };

		ASSERT_TRUE(check_lut(_metadata, s));
	}
}

/* Build a LUT model with the given operands and expect rejection. */
static bool bad_lut(struct __test_metadata *_metadata,
		    const uint32_t in_shape[4], const uint32_t out_shape[4],
		    const uint32_t tshape[4], uint32_t ttype,
		    bool table_in_arena, bool input_const, bool params)
{
	uint8_t tdata[1024] = { 0 };
	union vision_model_op_params p;
	uint32_t frame, in, out, ids[2];
	struct model md;
	struct vmb *b = vmb_new();
	bool ok;

	if (!b)
		return false;
	memset(&p, 0, sizeof(p));
	p.raw[15] = params;
	if (input_const) {
		add_frame(b, 1, 1, 0);
		frame = 0;
		in = vmb_const_tensor(b, in_shape, VISION_MODEL_TYPE_INT8, 0,
				      1.0f, NULL, VISION_MODEL_ENC_DENSE, tdata,
				      elems(in_shape), "cin");
	} else {
		in = add_input(b, in_shape, 0, &frame);
	}
	if (table_in_arena)
		ids[1] = in;
	else
		ids[1] = vmb_const_tensor(
			b, tshape, ttype, 0, 1.0f, NULL, VISION_MODEL_ENC_DENSE,
			tdata,
			elems(tshape) *
				(ttype == VISION_MODEL_TYPE_INT32 ? 4 : 1),
			"table");
	ids[0] = in;
	out = vmb_arena_tensor(b, out_shape, 0, 1.0f, "out");
	if (finish(b, frame, out,
		   vmb_op(b, VISION_MODEL_OP_LUT, ids, 2, out, &p, "lut"), &md))
		return false;
	ok = rejected_at_op(_metadata, &md);
	free(md.blob);
	return ok;
}

TEST(lut_bad)
{
	const uint32_t s[4] = { 1, 2, 2, 64 }, t[4] = { 1, 1, 1, 256 };
	const uint32_t s2[4] = { 1, 4, 1, 64 }, s3[4] = { 1, 2, 2, 32 };
	const uint32_t t255[4] = { 1, 1, 1, 255 }, t257[4] = { 1, 1, 1, 257 };
	const uint32_t t64[4] = { 1, 1, 1, 64 };
	const uint32_t tsq[4] = { 1, 1, 16, 16 };

	/* A [1,1,16,16] table has 256 elements too: accepted. */
	{
		uint8_t tdata[256] = { 0 };
		uint32_t frame, in, out, ids[2];
		struct vis_engine_error err;
		struct vis_model m;
		struct model md;
		struct vmb *b = vmb_new();

		ASSERT_NE(NULL, b);
		in = add_input(b, s, 0, &frame);
		ids[0] = in;
		ids[1] = vmb_const_tensor(b, tsq, VISION_MODEL_TYPE_INT8, 0,
					  1.0f, NULL, VISION_MODEL_ENC_DENSE,
					  tdata, 256, "table");
		out = vmb_arena_tensor(b, s, 0, 1.0f, "out");
		ASSERT_EQ(0, finish(b, frame, out,
				    vmb_op(b, VISION_MODEL_OP_LUT, ids, 2, out,
					   NULL, "lut"),
				    &md));
		EXPECT_EQ(0, vis_model_validate(&m, md.blob, md.size, &err));
		free(md.blob);
	}
	EXPECT_TRUE(bad_lut(_metadata, s, s, t255, VISION_MODEL_TYPE_INT8,
			    false, false, false));
	EXPECT_TRUE(bad_lut(_metadata, s, s, t257, VISION_MODEL_TYPE_INT8,
			    false, false, false));
	EXPECT_TRUE(bad_lut(_metadata, s, s, t64, VISION_MODEL_TYPE_INT32,
			    false, false, false));
	EXPECT_TRUE(bad_lut(_metadata, s, s, t, VISION_MODEL_TYPE_INT32, false,
			    false, false));
	/* The table an arena tensor of 256 elements. */
	EXPECT_TRUE(bad_lut(_metadata, s, s, t, VISION_MODEL_TYPE_INT8, true,
			    false, false));
	/* Output of the same count but another shape, or another count. */
	EXPECT_TRUE(bad_lut(_metadata, s, s2, t, VISION_MODEL_TYPE_INT8, false,
			    false, false));
	EXPECT_TRUE(bad_lut(_metadata, s, s3, t, VISION_MODEL_TYPE_INT8, false,
			    false, false));
	/* Constant input. */
	EXPECT_TRUE(bad_lut(_metadata, s, s, t, VISION_MODEL_TYPE_INT8, false,
			    true, false));
	/* Parameters must be zero. */
	EXPECT_TRUE(bad_lut(_metadata, s, s, t, VISION_MODEL_TYPE_INT8, false,
			    false, true));
}

/* ---- RESHAPE --------------------------------------------------------------- */

TEST(reshape_is_a_view)
{
	static const uint32_t shapes[][4] = {
		{ 1, 1, 1, 60 }, { 2, 3, 5, 2 },  { 60, 1, 1, 1 },
		{ 1, 6, 10, 1 }, { 1, 1, 1, 60 },
	};
	int8_t fr[60], got[60];
	struct vis_engine_error err;
	uint32_t frame, t, op = 0;
	struct model md;
	struct vmb *b;
	size_t i;
	int pass;

	rng_seed(5);
	/* A chain of views ending in the model output: no data moves. */
	b = vmb_new();
	ASSERT_NE(NULL, b);
	frame = add_frame(b, 6, 10, -7);
	t = frame;
	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		uint32_t v = vmb_view_tensor(b, t, shapes[i], "v");

		op = vmb_op(b, VISION_MODEL_OP_RESHAPE, &t, 1, v, NULL, "r");
		t = v;
	}
	ASSERT_EQ(0, finish(b, frame, t, op, &md));
	ASSERT_EQ(md.frame_off, md.out_off);
	rnd_fill(fr, sizeof(fr));
	for (pass = 0; pass < 2; pass++) {
		ASSERT_EQ(0, run_model(&md, fr, got, pass, &err));
		ASSERT_EQ(0, memcmp(fr, got, sizeof(fr)));
	}
	free(md.blob);
}

/* Views feed other operators: RESHAPE then LUT, big and 1x1. */
TEST(reshape_then_lut)
{
	static const uint32_t shapes[][4] = { { 1, 1, 1, 1 },
					      { 1, 1, 1, 5000 },
					      { 5, 10, 10, 10 } };
	size_t i;

	rng_seed(6);
	for (i = 0; i < ARRAY_SIZE(shapes); i++)
		ASSERT_TRUE(check_lut(_metadata, shapes[i]));
}

enum reshape_bad {
	RS_OFFSET,
	RS_COUNT,
	RS_ZERO_POINT,
	RS_PARAMS,
	RS_CONST_INPUT,
};

static bool bad_reshape(struct __test_metadata *_metadata, enum reshape_bad how)
{
	const uint32_t fs[4] = { 1, 4, 4, 1 }, s[4] = { 1, 1, 1, 16 };
	const uint32_t half[4] = { 1, 1, 1, 8 };
	union vision_model_op_params p;
	int8_t data[16] = { 0 };
	uint32_t frame, in, out;
	struct model md;
	struct vmb *b = vmb_new();
	bool ok;

	if (!b)
		return false;
	memset(&p, 0, sizeof(p));
	frame = add_frame(b, fs[1], fs[2], 3);
	in = frame;
	switch (how) {
	case RS_OFFSET:
		/* Right shape and count, but its own storage. */
		out = vmb_arena_tensor(b, s, 3, 0.1f, "out");
		break;
	case RS_COUNT:
		out = vmb_arena_tensor(b, half, 3, 0.1f, "out");
		vmb_set_offset(b, out, vmb_tensor_at(b, frame)->offset);
		break;
	case RS_ZERO_POINT:
		out = vmb_arena_tensor(b, s, 4, 0.1f, "out");
		vmb_set_offset(b, out, vmb_tensor_at(b, frame)->offset);
		break;
	case RS_PARAMS:
		out = vmb_view_tensor(b, frame, s, "out");
		p.raw[3] = 1;
		break;
	default:
		in = vmb_const_tensor(b, s, VISION_MODEL_TYPE_INT8, 3, 1.0f,
				      NULL, VISION_MODEL_ENC_DENSE, data,
				      sizeof(data), "c");
		out = vmb_arena_tensor(b, s, 3, 0.1f, "out");
		break;
	}
	if (finish(b, frame, out,
		   vmb_op(b, VISION_MODEL_OP_RESHAPE, &in, 1, out, &p, "r"),
		   &md))
		return false;
	ok = rejected_at_op(_metadata, &md);
	free(md.blob);
	return ok;
}

TEST(reshape_bad)
{
	EXPECT_TRUE(bad_reshape(_metadata, RS_OFFSET));
	EXPECT_TRUE(bad_reshape(_metadata, RS_COUNT));
	EXPECT_TRUE(bad_reshape(_metadata, RS_ZERO_POINT));
	EXPECT_TRUE(bad_reshape(_metadata, RS_PARAMS));
	EXPECT_TRUE(bad_reshape(_metadata, RS_CONST_INPUT));
}

TEST_HARNESS_MAIN
