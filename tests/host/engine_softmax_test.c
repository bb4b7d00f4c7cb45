// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * SOFTMAX operator: the engine, run through model validation and
 * vis_engine_run(), against an independent statement of TFLite's int8
 * reference Softmax (gemmlowp fixed point, written here with 64-bit
 * arithmetic and the primitives of tflite_ref.h), which is itself
 * checked against a floating-point softmax; and every invalid parameter
 * rejected by the validator.
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

/* ---- independent reference ------------------------------------------------ */

/* gemmlowp SaturatingRoundingMultiplyByPOT, exponent > 0: clamp the product. */
static int32_t ref_sat_pot(int32_t x, int e)
{
	int64_t v = (int64_t)x * ((int64_t)1 << e);

	return (int32_t)(v > INT32_MAX ? INT32_MAX :
			 v < INT32_MIN ? INT32_MIN :
					 v);
}

/* exp(x) for x in [-1/4, 0), Q0.31 in and out: Taylor series at -1/8. */
static int32_t ref_exp_small(int32_t a)
{
	const int32_t e_m8 = 1895147668; /* round(exp(-1/8) * 2^31) */
	const int32_t third = 715827883; /* round(2^31 / 3) */
	int32_t t = a + (1 << 28); /* t = a + 1/8 */
	int32_t t2 = ref_srdhm(t, t);
	int32_t t3 = ref_srdhm(t2, t);
	int32_t t4 = ref_srdhm(t2, t2);
	/* t^2/2 + t^3/6 + t^4/24 = ((t^4/4 + t^3) / 3 + t^2) / 2 */
	int32_t s =
		ref_rdbpot(ref_srdhm(ref_rdbpot(t4, 2) + t3, third) + t2, 1);

	return (int32_t)((int64_t)e_m8 + ref_srdhm(e_m8, t + s));
}

/* exp(a) for a Q5.26 value a <= 0, result Q0.31. */
static int32_t ref_exp_neg(int32_t a)
{
	/* round(exp(-2^k) * 2^31), k = -2 .. 4 */
	static const int32_t table[7] = { 1672461947, 1302514674, 790015084,
					  290630308,  39332535,	  720401,
					  242 };
	const int64_t q = (int64_t)1 << 24; /* 1/4 in Q5.26 */
	int64_t low, rest;
	int32_t r;
	int k;

	if (a == 0)
		return INT32_MAX;
	/* a = (low - 1/4) - rest, low in [0, 1/4), rest a multiple of 1/4. */
	low = (((int64_t)a % q) + q) % q;
	rest = (low - q) - a;
	r = ref_exp_small(ref_sat_pot((int32_t)(low - q), 5));
	for (k = 0; k < 7; k++)
		if ((rest / q) & (1 << k))
			r = ref_srdhm(r, table[k]);
	return r;
}

/* 1 / (1 + a) for a in [0, 1) as Q0.31; Newton-Raphson in Q2.29. */
static int32_t ref_recip_1px(int32_t a)
{
	int32_t d = (int32_t)(((int64_t)a + INT32_MAX + 1) / 2); /* (1+a)/2 */
	int32_t x = 1515870810 + ref_srdhm(d, -1010580540);
	int it;

	for (it = 0; it < 3; it++) {
		int32_t err = (1 << 29) - ref_srdhm(d, x);

		x = x + ref_sat_pot(ref_srdhm(x, err), 2);
	}
	return ref_sat_pot(x, 1);
}

struct sm_params {
	int32_t mult;
	int32_t shift;
	int32_t diff_min;
};

static void ref_softmax(const int8_t *in, int8_t *out, int depth,
			const struct sm_params *p)
{
	int32_t *e = malloc(sizeof(*e) * depth);
	int64_t sum = 0, top;
	int32_t recip;
	int mx = -128, c, lz, bits;

	for (c = 0; c < depth; c++)
		mx = in[c] > mx ? in[c] : mx;
	for (c = 0; c < depth; c++) {
		int64_t d = in[c] - mx;

		e[c] = 0;
		if (d < p->diff_min)
			continue;
		e[c] = ref_exp_neg(ref_srdhm(
			(int32_t)(d * ((int64_t)1 << p->shift)), p->mult));
		sum += ref_rdbpot(e[c], 12); /* Q0.31 -> Q12.19 */
	}
	if (sum > INT32_MAX)
		sum = INT32_MAX;
	/* Normalise the sum into [2^31, 2^32): lz leading zeros. */
	for (lz = 0, top = sum; top < ((int64_t)1 << 31); lz++)
		top <<= 1;
	bits = 12 - lz;
	recip = ref_recip_1px((int32_t)(top - ((int64_t)1 << 31)));
	for (c = 0; c < depth; c++) {
		int64_t v;

		if (in[c] - mx < p->diff_min) {
			out[c] = -128;
			continue;
		}
		/* ref_rdbpot takes shifts beyond 31: those round to 0. */
		v = ref_rdbpot(ref_srdhm(recip, e[c]), bits + 31 - 8) - 128;
		out[c] = ref_clamp8((int32_t)v, -128, 127);
	}
	free(e);
}

/* TFLite's QuantizeMultiplier() for a multiplier >= 1. */
static void quantize_gt1(double m, int32_t *mult, int32_t *shift)
{
	int e;
	double q = frexp(m, &e);
	int64_t qf = llround(q * 2147483648.0);

	if (qf == ((int64_t)1 << 31)) {
		qf /= 2;
		e++;
	}
	if (e > 30) {
		e = 30;
		qf = INT32_MAX;
	}
	*mult = (int32_t)qf;
	*shift = e;
}

/*
 * TFLite's PreprocessSoftmaxScaling() (5 integer bits) and diff_min =
 * -CalculateInputRadius(5, shift), as its int8 Softmax Prepare does.
 */
static void tflite_params(double beta, double scale, struct sm_params *p)
{
	double real = beta * scale * (double)(1 << 26);
	double radius;

	if (real > 2147483647.0)
		real = 2147483647.0;
	quantize_gt1(real, &p->mult, &p->shift);
	radius = 31.0 * (double)(1ll << 26) / (double)(1ll << p->shift);
	p->diff_min = -(int32_t)floor(radius);
}

static union vision_model_op_params sm_op_params(const struct sm_params *p)
{
	union vision_model_op_params u;

	memset(&u, 0, sizeof(u));
	u.softmax.input_beta_multiplier = p->mult;
	u.softmax.input_beta_left_shift = p->shift;
	u.softmax.diff_min = p->diff_min;
	return u;
}

/* Engine vs reference on one input; returns the number of mismatches. */
static int check_case(struct __test_metadata *_metadata,
		      const uint32_t shape[4], const int8_t *input,
		      const struct sm_params *p)
{
	union vision_model_op_params u = sm_op_params(p);
	struct vis_engine_error err = { 0 };
	struct one_op o;
	uint64_t n = (uint64_t)shape[0] * shape[1] * shape[2] * shape[3];
	int8_t *got = malloc(n), *want = malloc(n);
	uint64_t i, bad = 0;
	int ret;

	ret = build_one_op(VISION_MODEL_OP_SOFTMAX, shape, rnd_range(-128, 127),
			   shape, -128, 1.0f / 256, &u, INPUT_ARENA, &o);
	if (ret) {
		TH_LOG("build failed: %d", ret);
		bad = 1;
		goto out;
	}
	ret = run_one_op(&o, input, got, &err);
	if (ret) {
		TH_LOG("run failed: %d (%s: %s, index %u)", ret, err.field,
		       err.msg, err.index);
		bad = 1;
		goto out;
	}
	for (i = 0; i < n; i += shape[3])
		ref_softmax(input + i, want + i, shape[3], p);
	for (i = 0; i < n; i++) {
		if (got[i] == want[i])
			continue;
		if (!bad)
			TH_LOG("shape %ux%ux%ux%u mult %d shift %d diff_min %d: element %llu is %d, want %d",
			       shape[0], shape[1], shape[2], shape[3], p->mult,
			       p->shift, p->diff_min, (unsigned long long)i,
			       got[i], want[i]);
		bad++;
	}
out:
	free(o.blob);
	free(got);
	free(want);
	return bad ? 1 : 0;
}

/* A random input row set: uniform, clustered, all equal or two-valued. */
static void fill_input(int8_t *v, uint64_t n)
{
	int style = rnd_range(0, 5);
	int base = rnd_range(-128, 127), spread = rnd_range(0, 40);
	uint64_t i;

	for (i = 0; i < n; i++) {
		int x;

		switch (style) {
		case 0:
		case 1:
			x = rnd_range(-128, 127);
			break;
		case 2:
			x = base + rnd_range(-spread, spread);
			break;
		case 3:
			x = base;
			break;
		case 4:
			x = rnd() & 1 ? 127 : -128;
			break;
		default:
			x = base - (int)(rnd() % 8) * spread;
			break;
		}
		v[i] = (int8_t)(x < -128 ? -128 : x > 127 ? 127 : x);
	}
}

static uint32_t rnd_depth(void)
{
	switch (rnd() % 4) {
	case 0:
		return rnd_range(1, 8);
	case 1:
		return rnd_range(1, 64);
	case 2:
		return rnd_range(1, 1000);
	default:
		return rnd_range(900, 1000);
	}
}

/* ---- bit-exact tests ------------------------------------------------------ */

TEST(tflite_params_random)
{
	int cases = 0, failed = 0, i;

	rng_state = 0x50f7;
	for (i = 0; i < 2500; i++) {
		uint32_t shape[4] = { rnd_range(1, 2), rnd_range(1, 3),
				      rnd_range(1, 3), rnd_depth() };
		uint64_t n =
			(uint64_t)shape[0] * shape[1] * shape[2] * shape[3];
		int8_t *in = malloc(n);
		struct sm_params p;
		/* Input scale log-uniform in [1/256, 1]; mostly beta = 1. */
		double scale = pow(2.0, -8.0 * rnd_unit());
		double beta = rnd() % 4 ? 1.0 : 0.25 + 1.75 * rnd_unit();

		tflite_params(beta, scale, &p);
		fill_input(in, n);
		failed += check_case(_metadata, shape, in, &p);
		cases++;
		free(in);
	}
	ASSERT_EQ(0, failed);
	ASSERT_EQ(2500, cases);
}

TEST(all_equal_every_depth)
{
	int failed = 0;
	uint32_t c;

	rng_state = 0xe0a1;
	/* Sums up to 1000.0: includes TFLite's shift-above-31 region. */
	for (c = 1; c <= 1000; c++) {
		uint32_t shape[4] = { 1, 1, 1, c };
		int8_t in[1000];
		struct sm_params p;

		tflite_params(1.0, pow(2.0, -8.0 * rnd_unit()), &p);
		memset(in, (int8_t)rnd_range(-128, 127), c);
		failed += check_case(_metadata, shape, in, &p);
	}
	ASSERT_EQ(0, failed);
}

TEST(known_values)
{
	struct sm_params p;
	uint32_t shape[4] = { 1, 1, 1, 1 };
	union vision_model_op_params u;
	struct vis_engine_error err;
	struct one_op o;
	int8_t in[2] = { 37, 37 }, out[2];

	tflite_params(1.0, 0.1, &p);
	u = sm_op_params(&p);
	/* One element: probability 1, saturated to 127. */
	ASSERT_EQ(0, build_one_op(VISION_MODEL_OP_SOFTMAX, shape, 0, shape,
				  -128, 1.0f / 256, &u, INPUT_ARENA, &o));
	ASSERT_EQ(0, run_one_op(&o, in, out, &err));
	ASSERT_EQ(127, out[0]);
	free(o.blob);
	/* Two equal elements: 1/2 = 128/256, so 0. */
	shape[3] = 2;
	ASSERT_EQ(0, build_one_op(VISION_MODEL_OP_SOFTMAX, shape, 0, shape,
				  -128, 1.0f / 256, &u, INPUT_ARENA, &o));
	ASSERT_EQ(0, run_one_op(&o, in, out, &err));
	ASSERT_EQ(0, out[0]);
	ASSERT_EQ(0, out[1]);
	free(o.blob);
}

TEST(extreme_parameters)
{
	/* Shifts and diff_min at the edges of what the validator accepts. */
	static const int32_t mults[] = { 0, 1, 1 << 30, 1518500250, INT32_MAX };
	int failed = 0, cases = 0, i, j;

	rng_state = 0xed9e;
	for (i = 0; i < 600; i++) {
		uint32_t shape[4] = { 1, rnd_range(1, 2), rnd_range(1, 2),
				      rnd_depth() };
		uint64_t n = (uint64_t)shape[1] * shape[2] * shape[3];
		int8_t *in = malloc(n);
		struct sm_params p;
		int64_t lim;

		p.mult = mults[i % 5];
		if (i % 7 == 0)
			p.mult = (int32_t)(rnd() & INT32_MAX);
		p.shift = rnd_range(0, 31);
		/* The most negative diff_min this shift allows. */
		lim = ((int64_t)1 << 31) >> p.shift;
		switch (rnd() % 4) {
		case 0:
			p.diff_min = 0;
			break;
		case 1:
			p.diff_min = lim >= 255 ? INT32_MIN : (int32_t)-lim;
			break;
		case 2:
			p.diff_min = -1;
			break;
		default:
			j = rnd_range(0, lim < 255 ? (int32_t)lim : 255);
			p.diff_min = -j;
			break;
		}
		fill_input(in, n);
		failed += check_case(_metadata, shape, in, &p);
		cases++;
		free(in);
	}
	ASSERT_EQ(0, failed);
	ASSERT_EQ(600, cases);
}

TEST(saturated_sum)
{
	/* More than 4096 maxima: the Q12.19 sum saturates. */
	uint32_t shape[4] = { 1, 1, 2, 6000 };
	int8_t *in = malloc(12000);
	struct sm_params p;

	rng_state = 0x5a7;
	tflite_params(1.0, 1.0 / 256, &p);
	memset(in, 100, 6000);
	fill_input(in + 6000, 6000);
	ASSERT_EQ(0, check_case(_metadata, shape, in, &p));
	free(in);
}

/* The independent reference is close to a real softmax. */
TEST(reference_vs_float)
{
	long total = 0, off = 0, live = 0;
	int i, worst = 0;

	rng_state = 0xf10a7;
	for (i = 0; i < 3000; i++) {
		int depth = (int)rnd_depth(), c;
		double scale = pow(2.0, -8.0 * rnd_unit());
		double beta = rnd() % 4 ? 1.0 : 0.25 + 1.75 * rnd_unit();
		int8_t *in = malloc(depth), *out = malloc(depth);
		double sum = 0;
		struct sm_params p;
		int mx = -128;

		tflite_params(beta, scale, &p);
		fill_input(in, depth);
		ref_softmax(in, out, depth, &p);
		for (c = 0; c < depth; c++)
			mx = in[c] > mx ? in[c] : mx;
		for (c = 0; c < depth; c++)
			sum += exp(beta * scale * (in[c] - mx));
		for (c = 0; c < depth; c++) {
			double f = exp(beta * scale * (in[c] - mx)) / sum;
			long q = lround(f * 256.0) - 128;
			int d;

			q = q > 127 ? 127 : q;
			d = abs((int)q - out[c]);
			total++;
			off += d != 0;
			live += q > -128;
			if (d > worst) {
				worst = d;
				TH_LOG("depth %d scale %g beta %g: %d vs float %ld",
				       depth, scale, beta, out[c], q);
			}
		}
		free(in);
		free(out);
	}
	TH_LOG("%ld of %ld outputs (%ld above -128) off by one", off, total,
	       live);
	ASSERT_LE(worst, 1);
}

/* ---- invalid models ------------------------------------------------------- */

struct bad_case {
	const char *what;
	enum input_kind kind;
	uint32_t oshape[4];
	int32_t ozp;
	int32_t mult, shift, diff_min;
	int reserved; /* index + 1 of a non-zero reserved word */
};

TEST(invalid_models_rejected)
{
	static const struct bad_case cases[] = {
		{ "const input",
		  INPUT_CONST_INT8,
		  { 1, 2, 3, 10 },
		  -128,
		  1 << 30,
		  20,
		  -100,
		  0 },
		{ "int32 input",
		  INPUT_CONST_INT32,
		  { 1, 2, 3, 10 },
		  -128,
		  1 << 30,
		  20,
		  -100,
		  0 },
		{ "output N",
		  INPUT_ARENA,
		  { 2, 2, 3, 10 },
		  -128,
		  1 << 30,
		  20,
		  -100,
		  0 },
		{ "output H",
		  INPUT_ARENA,
		  { 1, 1, 3, 10 },
		  -128,
		  1 << 30,
		  20,
		  -100,
		  0 },
		{ "output W",
		  INPUT_ARENA,
		  { 1, 2, 1, 10 },
		  -128,
		  1 << 30,
		  20,
		  -100,
		  0 },
		{ "output C",
		  INPUT_ARENA,
		  { 1, 2, 3, 11 },
		  -128,
		  1 << 30,
		  20,
		  -100,
		  0 },
		{ "output zero point",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  0,
		  1 << 30,
		  20,
		  -100,
		  0 },
		{ "output zero point 127",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  127,
		  1 << 30,
		  20,
		  -100,
		  0 },
		{ "negative multiplier",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  -128,
		  -1,
		  20,
		  -100,
		  0 },
		{ "most negative multiplier",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  -128,
		  INT32_MIN,
		  20,
		  -100,
		  0 },
		{ "negative shift",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  -128,
		  1 << 30,
		  -1,
		  -100,
		  0 },
		{ "shift 32",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  -128,
		  1 << 30,
		  32,
		  0,
		  0 },
		{ "huge shift",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  -128,
		  1 << 30,
		  INT32_MAX,
		  0,
		  0 },
		{ "positive diff_min",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  -128,
		  1 << 30,
		  20,
		  1,
		  0 },
		{ "max diff_min",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  -128,
		  1 << 30,
		  20,
		  INT32_MAX,
		  0 },
		{ "diff_min overflows shift",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  -128,
		  1 << 30,
		  27,
		  -17,
		  0 },
		{ "diff_min overflows shift 31",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  -128,
		  1 << 30,
		  31,
		  -2,
		  0 },
		{ "reserved[0]",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  -128,
		  1 << 30,
		  20,
		  -100,
		  1 },
		{ "reserved[12]",
		  INPUT_ARENA,
		  { 1, 2, 3, 10 },
		  -128,
		  1 << 30,
		  20,
		  -100,
		  13 },
	};
	const uint32_t ishape[4] = { 1, 2, 3, 10 };
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		union vision_model_op_params u;
		struct one_op o;

		memset(&u, 0, sizeof(u));
		u.softmax.input_beta_multiplier = c->mult;
		u.softmax.input_beta_left_shift = c->shift;
		u.softmax.diff_min = c->diff_min;
		if (c->reserved)
			u.softmax.reserved[c->reserved - 1] = 1;
		ASSERT_EQ(0, build_one_op(VISION_MODEL_OP_SOFTMAX, ishape, 3,
					  c->oshape, c->ozp, 1.0f / 256, &u,
					  c->kind, &o))
		TH_LOG("%s: build failed", c->what);
		EXPECT_TRUE(one_op_rejected(_metadata, &o, c->what));
		free(o.blob);
	}
}

/* The edges of the valid parameter ranges are accepted. */
TEST(valid_edges_accepted)
{
	static const struct sm_params ok[] = {
		{ 0, 0, 0 },
		{ INT32_MAX, 0, INT32_MIN },
		{ INT32_MAX, 23, INT32_MIN }, /* 255 << 23 < 2^31 */
		{ 1 << 30, 31, -1 }, /* 1 << 31 is -2^31, still exact */
		{ 1 << 30, 27, -16 },
		{ 1 << 30, 31, 0 },
	};
	const uint32_t shape[4] = { 1, 2, 3, 10 };
	unsigned int i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		union vision_model_op_params u = sm_op_params(&ok[i]);
		struct vis_engine_error err;
		struct vis_model m;
		struct one_op o;

		ASSERT_EQ(0,
			  build_one_op(VISION_MODEL_OP_SOFTMAX, shape, 0, shape,
				       -128, 1.0f / 256, &u, INPUT_ARENA, &o));
		EXPECT_EQ(0, vis_model_validate(&m, o.blob, o.size, &err))
		TH_LOG("case %u: %s: %s", i, err.field, err.msg);
		free(o.blob);
	}
}

TEST_HARNESS_MAIN
