// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * RESIZE operator: the engine, run through model validation and
 * vis_engine_run(), against the TFLite reference formulas written out
 * plainly (ResizeNearestNeighbor in binary32 as TFLite computes it,
 * ResizeBilinearInteger in 32-bit integers), for every mode and flag
 * combination and for sizes from 1x1 to large in both directions; and
 * every invalid parameter rejected by the validator.
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

#include "kselftest_harness.h"

/* ---- TFLite reference ------------------------------------------------------ */

/*
 * reference_ops GetNearestNeighbor(), in binary32 like TFLite; volatile
 * forces each intermediate to be rounded to float even where the
 * compiler would keep excess precision (FLT_EVAL_METHOD != 0).
 */
static int32_t ref_nearest(int32_t v, int32_t in, int32_t out, bool align,
			   bool half)
{
	volatile float scale = (align && out > 1) ?
				       (in - 1) / (float)(out - 1) :
				       in / (float)out;
	volatile float pos = ((float)v + (half ? 0.5f : 0.0f)) * scale;
	int32_t r = align ? (int32_t)roundf(pos) : (int32_t)floorf(pos);

	if (r > in - 1)
		r = in - 1;
	if (half && r < 0)
		r = 0;
	return r;
}

/* reference_ops ComputeInterpolationValuesInteger(). */
static void ref_interp(int32_t v, int32_t scale10, bool half, int32_t in,
		       int32_t *pos, int32_t *lo, int32_t *hi)
{
	*pos = half ? v * scale10 + scale10 / 2 - (1 << 9) : v * scale10;
	*lo = *pos / (1 << 10) > 0 ? *pos / (1 << 10) : 0;
	*hi = (*pos + (1 << 10) - 1) / (1 << 10);
	if (*hi > in - 1)
		*hi = in - 1;
	/*
	 * TFLite leaves lo unbounded: with extreme upscaling its rounded-up
	 * scale reaches row "in", out of bounds. The engine replicates the
	 * last row there; so does the reference.
	 */
	if (*lo > in - 1)
		*lo = in - 1;
}

static void ref_resize(const int8_t *in, int8_t *out, const uint32_t is[4],
		       const uint32_t os[4], uint32_t mode, bool align,
		       bool half)
{
	int32_t ih = is[1], iw = is[2], oh = os[1], ow = os[2], d = is[3];
	int32_t hs = ((1 << 10) * ih + oh / 2) / oh;
	int32_t ws = ((1 << 10) * iw + ow / 2) / ow;
	int32_t b, y, x, c;

	if (align && oh > 1)
		hs = ((1 << 10) * (ih - 1) + (oh - 1) / 2) / (oh - 1);
	if (align && ow > 1)
		ws = ((1 << 10) * (iw - 1) + (ow - 1) / 2) / (ow - 1);
#define AT(p, h, w, bb, yy, xx, cc) \
	((p)[((((size_t)(bb) * (h) + (yy)) * (w) + (xx)) * d) + (cc)])
	for (b = 0; b < (int32_t)is[0]; b++) {
		for (y = 0; y < oh; y++) {
			int32_t iy, y0, y1;

			ref_interp(y, hs, half, ih, &iy, &y0, &y1);
			for (x = 0; x < ow; x++) {
				int32_t ix, x0, x1;

				ref_interp(x, ws, half, iw, &ix, &x0, &x1);
				for (c = 0; c < d; c++) {
					int64_t ll, lu, rl, ru, o20, rnd;

					if (mode ==
					    VISION_MODEL_RESIZE_NEAREST) {
						int32_t ny = ref_nearest(
							y, ih, oh, align, half);
						int32_t nx = ref_nearest(
							x, iw, ow, align, half);

						AT(out, oh, ow, b, y, x, c) =
							AT(in, ih, iw, b, ny,
							   nx, c);
						continue;
					}
					ll = (int64_t)AT(in, ih, iw, b, y0, x0,
							 c) *
					     ((1 << 10) -
					      (iy - (1 << 10) * y0)) *
					     ((1 << 10) -
					      (ix - (1 << 10) * x0));
					lu = (int64_t)AT(in, ih, iw, b, y1, x0,
							 c) *
					     (iy - (1 << 10) * y0) *
					     ((1 << 10) -
					      (ix - (1 << 10) * x0));
					rl = (int64_t)AT(in, ih, iw, b, y0, x1,
							 c) *
					     ((1 << 10) -
					      (iy - (1 << 10) * y0)) *
					     (ix - (1 << 10) * x0);
					ru = (int64_t)AT(in, ih, iw, b, y1, x1,
							 c) *
					     (iy - (1 << 10) * y0) *
					     (ix - (1 << 10) * x0);
					o20 = ll + lu + rl + ru;
					rnd = o20 > 0 ? (1 << 19) : -(1 << 19);
					AT(out, oh, ow, b, y, x, c) =
						(int8_t)((o20 + rnd) /
							 (1 << 20));
				}
			}
		}
	}
#undef AT
}

static union vision_model_op_params rs_params(uint32_t mode, bool align,
					      bool half)
{
	union vision_model_op_params u;

	memset(&u, 0, sizeof(u));
	u.resize.mode = mode;
	u.resize.align_corners = align;
	u.resize.half_pixel_centers = half;
	return u;
}

/* The six valid (mode, align_corners, half_pixel_centers) choices. */
static void combo(int i, uint32_t *mode, bool *align, bool *half)
{
	*mode = i / 3 ? VISION_MODEL_RESIZE_BILINEAR :
			VISION_MODEL_RESIZE_NEAREST;
	*align = i % 3 == 1;
	*half = i % 3 == 2;
}

/* Engine vs reference; returns 1 on any mismatch. */
static int check_case(struct __test_metadata *_metadata, const uint32_t is[4],
		      const uint32_t os[4], const int8_t *input, uint32_t mode,
		      bool align, bool half)
{
	union vision_model_op_params u = rs_params(mode, align, half);
	struct vis_engine_error err = { 0 };
	uint64_t n = (uint64_t)os[0] * os[1] * os[2] * os[3], i;
	int8_t *got = malloc(n), *want = malloc(n);
	int32_t zp = rnd_range(-128, 127);
	struct one_op o;
	int bad = 0, ret;

	ret = build_one_op(VISION_MODEL_OP_RESIZE, is, zp, os, zp, 0.5f, &u,
			   INPUT_ARENA, &o);
	if (ret) {
		TH_LOG("build failed: %d", ret);
		bad = 1;
		goto out;
	}
	ret = run_one_op(&o, input, got, &err);
	if (ret) {
		TH_LOG("run failed: %d (%s: %s)", ret, err.field, err.msg);
		bad = 1;
		goto out;
	}
	ref_resize(input, want, is, os, mode, align, half);
	for (i = 0; i < n; i++) {
		if (got[i] == want[i])
			continue;
		TH_LOG("%ux%ux%ux%u -> %ux%u mode %u align %d half %d: element %llu is %d, want %d",
		       is[0], is[1], is[2], is[3], os[1], os[2], mode, align,
		       half, (unsigned long long)i, got[i], want[i]);
		bad = 1;
		break;
	}
out:
	free(o.blob);
	free(got);
	free(want);
	return bad;
}

static uint32_t rnd_size(void)
{
	switch (rnd() % 8) {
	case 0:
		return 1;
	case 1:
		return rnd_range(1, 300);
	case 2:
		return rnd_range(2, 4);
	default:
		return rnd_range(1, 40);
	}
}

/* ---- bit-exact tests ------------------------------------------------------ */

TEST(random_shapes_all_modes)
{
	int failed = 0, cases = 0, i;

	rng_state = 0x7e512e;
	for (i = 0; i < 3000; i++) {
		uint32_t is[4] = { rnd_range(1, 2), rnd_size(), rnd_size(),
				   rnd_range(1, 5) };
		uint32_t os[4] = { is[0], rnd_size(), rnd_size(), is[3] };
		uint64_t n = (uint64_t)is[0] * is[1] * is[2] * is[3], k;
		int8_t *in = malloc(n);
		uint32_t mode;
		bool align, half;

		combo(i % 6, &mode, &align, &half);
		for (k = 0; k < n; k++)
			in[k] = (int8_t)rnd();
		failed += check_case(_metadata, is, os, in, mode, align, half);
		cases++;
		free(in);
	}
	ASSERT_EQ(0, failed);
	ASSERT_EQ(3000, cases);
}

/* Every size pair up to 48 along W and along H. */
TEST(all_small_size_pairs)
{
	int failed = 0, cases = 0;
	uint32_t a, b;
	int i;

	rng_state = 0x5a11;
	for (a = 1; a <= 48; a++) {
		for (b = 1; b <= 48; b++) {
			for (i = 0; i < 6; i++) {
				uint32_t is[4] = { 1, 1, a, 1 };
				uint32_t os[4] = { 1, 1, b, 1 };
				int8_t in[48];
				uint32_t mode, k;
				bool align, half;

				combo(i, &mode, &align, &half);
				for (k = 0; k < a; k++)
					in[k] = (int8_t)rnd();
				if ((a + b + i) % 2) {
					/* Same along H. */
					is[1] = a;
					is[2] = 1;
					os[1] = b;
					os[2] = 1;
				}
				failed += check_case(_metadata, is, os, in,
						     mode, align, half);
				cases++;
			}
		}
	}
	ASSERT_EQ(0, failed);
	ASSERT_EQ(48 * 48 * 6, cases);
}

/*
 * Nearest-neighbour source indices for large sizes, where binary32
 * rounding matters: three channels carry the source column number, so
 * every output names the column it came from.
 */
TEST(nearest_index_large_sizes)
{
	int failed = 0, i;

	rng_state = 0x1a59e;
	for (i = 0; i < 900; i++) {
		uint32_t a = rnd() % 3 ? rnd_range(1, 5000) :
					 rnd_range(1, 65536);
		uint32_t b = rnd() % 3 ? rnd_range(1, 5000) :
					 rnd_range(1, 65536);
		uint32_t is[4] = { 1, 1, a, 3 }, os[4] = { 1, 1, b, 3 };
		int8_t *in = malloc((size_t)a * 3);
		uint32_t mode, k;
		bool align, half;

		if (i % 10 == 0) {
			a = rnd_range(1, 4);
			is[2] = a;
		}
		combo(i % 3, &mode, &align, &half);
		for (k = 0; k < a; k++) {
			in[3 * k] = (int8_t)(k & 0xff);
			in[3 * k + 1] = (int8_t)(k >> 8);
			in[3 * k + 2] = (int8_t)rnd();
		}
		failed += check_case(_metadata, is, os, in, mode, align, half);
		free(in);
	}
	ASSERT_EQ(0, failed);
}

/*
 * Sizes where the binary32 scale is a rounding tie broken only by the
 * remainder of the division, and the tie decides some source index.
 */
TEST(nearest_scale_ties)
{
	static const uint32_t ties[][3] = {
		{ 2, 511, 1 },	{ 2, 1020, 0 }, { 2, 1021, 1 },
		{ 2, 1369, 2 }, { 2, 1509, 2 }, { 2, 2040, 0 },
	};
	int failed = 0;
	unsigned int t;

	for (t = 0; t < ARRAY_SIZE(ties); t++) {
		uint32_t is[4] = { 1, 1, ties[t][0], 1 };
		uint32_t os[4] = { 1, 1, ties[t][1], 1 };
		const int8_t in[2] = { -7, 9 };
		uint32_t mode;
		bool align, half;

		combo(ties[t][2], &mode, &align, &half);
		failed += check_case(_metadata, is, os, in, mode, align, half);
		/* And along H. */
		is[1] = is[2];
		is[2] = 1;
		os[1] = os[2];
		os[2] = 1;
		failed += check_case(_metadata, is, os, in, mode, align, half);
	}
	ASSERT_EQ(0, failed);
}

/* 1x1 to large and back, including TFLite's edge-overrun region. */
TEST(extreme_factors)
{
	static const uint32_t sizes[][2] = {
		{ 1, 1 },     { 1, 2 },	    { 1, 1023 }, { 1, 1500 },
		{ 1, 2049 },  { 2, 3000 },  { 3, 4000 }, { 1, 65536 },
		{ 65536, 1 }, { 40000, 3 }, { 7, 9999 }, { 9999, 7 },
	};
	int failed = 0;
	unsigned int s;
	int i;

	rng_state = 0xe8;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (i = 0; i < 6; i++) {
			uint32_t a = sizes[s][0], b = sizes[s][1], k;
			uint32_t is[4] = { 1, 1, a, 1 }, os[4] = { 1, 1, b, 1 };
			int8_t *in = malloc(a);
			uint32_t mode;
			bool align, half;

			combo(i, &mode, &align, &half);
			for (k = 0; k < a; k++)
				in[k] = (int8_t)rnd();
			failed += check_case(_metadata, is, os, in, mode, align,
					     half);
			/* The same along H, with both axes at once. */
			is[1] = a;
			is[2] = 2;
			os[1] = b;
			os[2] = 3;
			in = realloc(in, (size_t)a * 2);
			for (k = 0; k < a * 2; k++)
				in[k] = (int8_t)rnd();
			failed += check_case(_metadata, is, os, in, mode, align,
					     half);
			free(in);
		}
	}
	ASSERT_EQ(0, failed);
}

/* Both axes at once from a single pixel to large and back, N = 2. */
TEST(one_pixel_to_large_and_back)
{
	static const uint32_t big[][2] = {
		{ 257, 300 }, { 1, 999 }, { 640, 1 }, { 480, 640 }
	};
	int failed = 0;
	unsigned int s;
	int i, dir;

	rng_state = 0x1b1;
	for (s = 0; s < ARRAY_SIZE(big); s++) {
		for (dir = 0; dir < 2; dir++) {
			for (i = 0; i < 6; i++) {
				uint32_t is[4] = { 2, 1, 1, 3 };
				uint32_t os[4] = { 2, big[s][0], big[s][1], 3 };
				uint64_t n, k;
				int8_t *in;
				uint32_t mode;
				bool align, half;

				if (dir) {
					is[1] = os[1];
					is[2] = os[2];
					os[1] = 1;
					os[2] = 1;
				}
				n = (uint64_t)is[0] * is[1] * is[2] * is[3];
				in = malloc(n);
				for (k = 0; k < n; k++)
					in[k] = (int8_t)rnd();
				combo(i, &mode, &align, &half);
				failed += check_case(_metadata, is, os, in,
						     mode, align, half);
				free(in);
			}
		}
	}
	ASSERT_EQ(0, failed);
}

TEST(identity_and_known_values)
{
	/* 2x2 -> 3x3 bilinear with align_corners: exact midpoints. */
	const uint32_t is[4] = { 1, 2, 2, 1 }, os[4] = { 1, 3, 3, 1 };
	const int8_t in[4] = { -100, 20, 60, 100 };
	const int8_t want[9] = { -100, -40, 20, -20, 20, 60, 60, 80, 100 };
	union vision_model_op_params u =
		rs_params(VISION_MODEL_RESIZE_BILINEAR, true, false);
	struct vis_engine_error err;
	struct one_op o;
	int8_t out[9];
	int i;

	ASSERT_EQ(0, build_one_op(VISION_MODEL_OP_RESIZE, is, 5, os, 5, 0.5f,
				  &u, INPUT_ARENA, &o));
	ASSERT_EQ(0, run_one_op(&o, in, out, &err));
	for (i = 0; i < 9; i++)
		EXPECT_EQ(want[i], out[i]);
	free(o.blob);
}

/* ---- invalid models ------------------------------------------------------- */

struct bad_case {
	const char *what;
	enum input_kind kind;
	uint32_t oshape[4];
	int32_t ozp;
	uint32_t mode, align, half;
	int reserved; /* index + 1 of a non-zero reserved word */
};

TEST(invalid_models_rejected)
{
	static const struct bad_case cases[] = {
		{ "const input",
		  INPUT_CONST_INT8,
		  { 1, 4, 5, 3 },
		  7,
		  0,
		  0,
		  0,
		  0 },
		{ "int32 input",
		  INPUT_CONST_INT32,
		  { 1, 4, 5, 3 },
		  7,
		  1,
		  0,
		  0,
		  0 },
		{ "output N", INPUT_ARENA, { 2, 4, 5, 3 }, 7, 0, 0, 0, 0 },
		{ "output C", INPUT_ARENA, { 1, 4, 5, 1 }, 7, 1, 0, 0, 0 },
		{ "zero point", INPUT_ARENA, { 1, 4, 5, 3 }, 8, 0, 0, 0, 0 },
		{ "zero point bilinear",
		  INPUT_ARENA,
		  { 1, 4, 5, 3 },
		  -128,
		  1,
		  0,
		  0,
		  0 },
		{ "mode 2", INPUT_ARENA, { 1, 4, 5, 3 }, 7, 2, 0, 0, 0 },
		{ "mode ~0",
		  INPUT_ARENA,
		  { 1, 4, 5, 3 },
		  7,
		  0xffffffff,
		  0,
		  0,
		  0 },
		{ "align 2", INPUT_ARENA, { 1, 4, 5, 3 }, 7, 0, 2, 0, 0 },
		{ "half 2", INPUT_ARENA, { 1, 4, 5, 3 }, 7, 1, 0, 2, 0 },
		{ "half ~0",
		  INPUT_ARENA,
		  { 1, 4, 5, 3 },
		  7,
		  1,
		  0,
		  0x80000000,
		  0 },
		{ "both flags nearest",
		  INPUT_ARENA,
		  { 1, 4, 5, 3 },
		  7,
		  0,
		  1,
		  1,
		  0 },
		{ "both flags bilinear",
		  INPUT_ARENA,
		  { 1, 4, 5, 3 },
		  7,
		  1,
		  1,
		  1,
		  0 },
		{ "reserved[0]", INPUT_ARENA, { 1, 4, 5, 3 }, 7, 0, 0, 0, 1 },
		{ "reserved[12]", INPUT_ARENA, { 1, 4, 5, 3 }, 7, 1, 0, 1, 13 },
	};
	const uint32_t ishape[4] = { 1, 2, 3, 3 };
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		union vision_model_op_params u;
		struct one_op o;

		memset(&u, 0, sizeof(u));
		u.resize.mode = c->mode;
		u.resize.align_corners = c->align;
		u.resize.half_pixel_centers = c->half;
		if (c->reserved)
			u.resize.reserved[c->reserved - 1] = 1;
		ASSERT_EQ(0, build_one_op(VISION_MODEL_OP_RESIZE, ishape, 7,
					  c->oshape, c->ozp, 0.5f, &u, c->kind,
					  &o))
		TH_LOG("%s: build failed", c->what);
		EXPECT_TRUE(one_op_rejected(_metadata, &o, c->what));
		free(o.blob);
	}
}

TEST_HARNESS_MAIN
