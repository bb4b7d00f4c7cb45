// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Calibration (libvision/calib.c) against independent references: the
 * histogram against binning every sample by hand, whatever the batching
 * and order; percentiles against sorted samples; the MSE-optimal range
 * against a brute-force search quantising every sample, which also
 * checks the published optimal clips (ACIQ, Banner et al. 2019: 9.89 b
 * for Laplace(b), 3.92 sigma for a Gaussian, at 8 bits); KL against a
 * second implementation of TensorRT's algorithm written from the slides
 * and against a case with a known answer; int8 parameters, weights,
 * biases and multipliers against hand-worked TFLite values, the test
 * support's QuantizeMultiplier and the engine's own requantisation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "engine_test_util.h"
#include "vis_quant.h"

#include "kselftest_harness.h"

/* ---- samples ------------------------------------------------------------- */

static double gauss(void)
{
	return sqrt(-2 * log(rnd_unit() + 1e-300)) * cos(2 * M_PI * rnd_unit());
}

static double laplace(void)
{
	double u = rnd_unit() - 0.5;

	return (u < 0 ? 1 : -1) * log(1 - 2 * fabs(u) + 1e-300);
}

enum dist { GAUSS, LAPLACE, UNIFORM, RELU };

static float *samples(enum dist d, size_t n)
{
	float *x = malloc(n * sizeof(*x));
	size_t i;

	for (i = 0; x && i < n; i++) {
		switch (d) {
		case GAUSS:
			x[i] = (float)gauss();
			break;
		case LAPLACE:
			x[i] = (float)laplace();
			break;
		case UNIFORM:
			x[i] = (float)(2 * rnd_unit() - 1);
			break;
		case RELU:
			x[i] = (float)fmax(0, 1.5 * gauss() + 0.5);
			break;
		}
	}
	return x;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static struct calib_hist *hist_of(const float *x, size_t n)
{
	struct calib_hist *h = malloc(sizeof(*h));

	if (!h)
		return NULL;
	calib_hist_init(h);
	if (calib_hist_add(h, x, n)) {
		free(h);
		return NULL;
	}
	return h;
}

/* ---- reference TFLite int8 arithmetic ------------------------------------ */

/* ChooseQuantizationParams, from the TFLite source's statement of it. */
static void ref_params(double lo, double hi, double *scale, int *zp)
{
	double zmin, zmax, z;

	lo = lo < 0 ? lo : 0;
	hi = hi > 0 ? hi : 0;
	*scale = (hi - lo) / 255;
	zmin = -128 - lo / *scale;
	zmax = 127 - hi / *scale;
	z = 128 + fabs(lo / *scale) < 127 + fabs(hi / *scale) ? zmin : zmax;
	*zp = z < -128 ? -128 : z > 127 ? 127 : (int)round(z);
}

/* Mean squared error of quantising the samples to int8 over [lo, hi]. */
static double sample_mse(const float *x, size_t n, double lo, double hi)
{
	double scale, e = 0;
	float s;
	int zp;
	size_t i;

	ref_params(lo, hi, &scale, &zp);
	s = (float)scale;
	for (i = 0; i < n; i++) {
		double q = round(x[i] / (double)s) + zp;

		q = q < -128 ? -128 : q > 127 ? 127 : q;
		q = s * (q - zp);
		e += (q - x[i]) * (q - x[i]);
	}
	return e / n;
}

/* ---- observer ------------------------------------------------------------ */

static void check_bins(struct __test_metadata *_metadata,
		       const struct calib_hist *h, const float *x, size_t n)
{
	uint64_t *pos = calloc(CALIB_BINS, 8), *neg = calloc(CALIB_BINS, 8);
	float mn = INFINITY, mx = -INFINITY;
	double amax = 0;
	size_t i;

	ASSERT_NE(NULL, pos);
	ASSERT_NE(NULL, neg);
	for (i = 0; i < n; i++) {
		mn = fminf(mn, x[i]);
		mx = fmaxf(mx, x[i]);
		amax = fmax(amax, fabs(x[i]));
	}
	ASSERT_EQ(mn, h->min);
	ASSERT_EQ(mx, h->max);
	ASSERT_EQ(n, h->count);
	/* The smallest power of two that holds max |x|. */
	ASSERT_EQ(0, frexp(h->width, &(int){ 0 }) - 0.5);
	ASSERT_LT(amax, CALIB_BINS * h->width);
	if (amax > 0)
		ASSERT_GE(amax, CALIB_BINS * h->width / 2);
	for (i = 0; i < n; i++) {
		size_t j = (size_t)floor(fabs((double)x[i]) / h->width);

		ASSERT_LT(j, CALIB_BINS);
		if (x[i] >= 0)
			pos[j]++;
		else
			neg[j]++;
	}
	ASSERT_EQ(0, memcmp(pos, h->pos, CALIB_BINS * 8));
	ASSERT_EQ(0, memcmp(neg, h->neg, CALIB_BINS * 8));
	free(pos);
	free(neg);
}

TEST(histogram_exact_whatever_the_batching)
{
	size_t n = 50000, i;
	float *x;
	struct calib_hist *h = malloc(sizeof(*h)), *a = malloc(sizeof(*a));

	ASSERT_NE(NULL, h);
	ASSERT_NE(NULL, a);
	rng_seed(30);
	x = samples(LAPLACE, n);
	ASSERT_NE(NULL, x);
	/* Growing ranges: small values first, outliers last. */
	for (i = 0; i < n; i++)
		x[i] *= (float)(1 + i / 10000);
	x[n - 1] = 1e4f;
	x[n / 2] = -3e-30f;
	calib_hist_init(h);
	for (i = 0; i < n;) {
		size_t len = 1 + rnd() % 3000;

		len = len < n - i ? len : n - i;
		ASSERT_EQ(0, calib_hist_add(h, x + i, len));
		i += len;
	}
	check_bins(_metadata, h, x, n);
	/* Halves in separate observers, merged, both ways round. */
	calib_hist_init(a);
	ASSERT_EQ(0, calib_hist_add(a, x + n / 3, n - n / 3));
	calib_hist_init(h);
	ASSERT_EQ(0, calib_hist_add(h, x, n / 3));
	calib_hist_merge(h, a);
	check_bins(_metadata, h, x, n);
	calib_hist_init(h);
	ASSERT_EQ(0, calib_hist_add(h, x, n / 3));
	calib_hist_merge(a, h);
	check_bins(_metadata, a, x, n);
	/* Merging nothing, and into nothing. */
	calib_hist_init(h);
	calib_hist_merge(a, h);
	check_bins(_metadata, a, x, n);
	calib_hist_merge(h, a);
	check_bins(_metadata, h, x, n);
	free(x);
	free(a);
	free(h);
}

TEST(histogram_zeros_first_and_bad_values)
{
	float z[100] = { 0 }, v[3] = { 0.5f, -2, 7 }, bad[3] = { 1, NAN, 2 };
	struct calib_hist *h = malloc(sizeof(*h)), *copy = malloc(sizeof(*h));
	float all[109], edge[6];

	ASSERT_NE(NULL, h);
	ASSERT_NE(NULL, copy);
	calib_hist_init(h);
	ASSERT_EQ(0, calib_hist_add(h, z, 100));
	ASSERT_EQ(100, h->pos[0]);
	ASSERT_EQ(0, calib_hist_add(h, v, 3));
	memcpy(all, z, sizeof(z));
	memcpy(all + 100, v, sizeof(v));
	check_bins(_metadata, h, all, 103);
	/* Width now 2^-9: values on a bin edge and one ulp either side. */
	ASSERT_EQ(0x1p-9, h->width);
	edge[0] = 0.5f;
	edge[1] = nextafterf(0.5f, 0);
	edge[2] = nextafterf(0.5f, 1);
	edge[3] = -0.5f;
	edge[4] = nextafterf(-0.5f, 0);
	edge[5] = nextafterf(-0.5f, -1);
	ASSERT_EQ(0, calib_hist_add(h, edge, 6));
	memcpy(all + 103, edge, sizeof(edge));
	check_bins(_metadata, h, all, 109);
	ASSERT_EQ(3, h->pos[256]); /* with the 0.5 above */
	ASSERT_EQ(1, h->pos[255]);
	ASSERT_EQ(2, h->neg[256]);
	ASSERT_EQ(1, h->neg[255]);
	/* Non-finite: refused, nothing changed. */
	memcpy(copy, h, sizeof(*h));
	ASSERT_EQ(-EINVAL, calib_hist_add(h, bad, 3));
	bad[1] = INFINITY;
	ASSERT_EQ(-EINVAL, calib_hist_add(h, bad, 3));
	ASSERT_EQ(0, memcmp(copy, h, sizeof(*h)));
	ASSERT_EQ(-EINVAL, calib_hist_add(h, NULL, 3));
	ASSERT_EQ(0, calib_hist_add(h, NULL, 0));
	free(copy);
	free(h);
}

/* ---- int8 parameters ----------------------------------------------------- */

TEST(qparams_tflite_values)
{
	static const struct {
		float lo, hi;
		float scale;
		int zp;
	} cases[] = {
		/* Worked by hand from ChooseQuantizationParams. */
		{ -1, 1, 2.0f / 255, -1 }, /* both ends -0.5: rounds away */
		{ 0, 6, 6.0f / 255, -128 },
		{ 2, 5, 5.0f / 255, -128 }, /* widened to take 0 */
		{ -5, -2, 5.0f / 255, 127 },
		{ -3, 1, 4.0f / 255, 63 }, /* 63.25 */
		{ -1, 3, 4.0f / 255, -64 }, /* -63.75 */
		{ 0, 0, 1, 0 }, /* a point: anything will do */
	};
	struct calib_qparams q;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, calib_qparams(cases[i].lo, cases[i].hi, &q));
		ASSERT_EQ(cases[i].scale, q.scale) TH_LOG("case %zu", i);
		ASSERT_EQ(cases[i].zp, q.zero_point) TH_LOG("case %zu", i);
	}
	/* Random ranges: the int8 grid covers the range within a step. */
	rng_seed(31);
	for (i = 0; i < 10000; i++) {
		float lo = (float)(-pow(10, 4 * rnd_unit() - 2) *
				   (rnd() % 4 != 0));
		float hi =
			(float)(pow(10, 4 * rnd_unit() - 2) * (rnd() % 4 != 0));

		if (lo == 0 && hi == 0)
			continue;
		ASSERT_EQ(0, calib_qparams(lo, hi, &q));
		ASSERT_LE(-128, q.zero_point);
		ASSERT_GE(127, q.zero_point);
		ASSERT_LE(q.scale * (-128 - q.zero_point),
			  lo + q.scale * 0.5001f);
		ASSERT_GE(q.scale * (127 - q.zero_point),
			  hi - q.scale * 0.5001f);
	}
	ASSERT_EQ(-EINVAL, calib_qparams(NAN, 1, &q));
	ASSERT_EQ(-EINVAL, calib_qparams(-1, INFINITY, &q));
	ASSERT_EQ(-EINVAL, calib_qparams(2, 1, &q));
}

TEST(weights_per_channel_tflite)
{
	/* Row 0: max 127, so w * 127 / max = w: halves round away. */
	float w[3 * 5] = {
		2.5f,  -2.5f,  0.5f,  -127, 126.49f, /* max 127 */
		0,     0,      0,     0,    0, /* all zero */
		1e-3f, -4e-3f, 2e-3f, 0,    3.99e-3f, /* max 4e-3 */
	};
	int8_t q[15];
	float s[3];
	size_t r, j;

	ASSERT_EQ(0, calib_quant_weights(w, 3, 5, q, s));
	ASSERT_EQ(1.0f, s[0]);
	ASSERT_EQ(3, q[0]);
	ASSERT_EQ(-3, q[1]);
	ASSERT_EQ(1, q[2]);
	ASSERT_EQ(-127, q[3]);
	ASSERT_EQ(126, q[4]);
	/* All zero: a usable scale, all zero. */
	ASSERT_EQ(1.0f, s[1]);
	for (j = 0; j < 5; j++)
		ASSERT_EQ(0, q[5 + j]);
	ASSERT_EQ(4e-3f / 127, s[2]);
	ASSERT_EQ(-127, q[11]);
	/* Random rows: within half a step, the max at +-127. */
	{
		size_t rows = 20, cols = 300;
		float *rw = malloc(rows * cols * 4), *sc = malloc(rows * 4);
		int8_t *rq = malloc(rows * cols);

		ASSERT_NE(NULL, rw);
		ASSERT_NE(NULL, sc);
		ASSERT_NE(NULL, rq);
		rng_seed(32);
		for (r = 0; r < rows * cols; r++)
			rw[r] = (float)(gauss() *
					pow(10, (double)(r / cols) / 4 - 2));
		ASSERT_EQ(0, calib_quant_weights(rw, rows, cols, rq, sc));
		for (r = 0; r < rows; r++) {
			float m = 0;
			int big = 0;

			for (j = 0; j < cols; j++)
				m = fmaxf(m, fabsf(rw[r * cols + j]));
			ASSERT_EQ(m / 127, sc[r]);
			for (j = 0; j < cols; j++) {
				int v = rq[r * cols + j];

				ASSERT_LE(-127, v);
				ASSERT_LE(fabsf(v * sc[r] - rw[r * cols + j]),
					  sc[r] * 0.5001f);
				big |= abs(v) == 127;
			}
			ASSERT_TRUE(big);
		}
		free(rw);
		free(sc);
		free(rq);
	}
	w[7] = NAN;
	ASSERT_EQ(-EINVAL, calib_quant_weights(w, 3, 5, q, s));
}

TEST(bias_int32)
{
	float b[4] = { 1.0f, -0.25f, 0.3f, 1e9f },
	      ws[4] = { 0.5f, 0.5f, 0.1f, 1e-6f };
	int32_t q[4];

	/* bias / (in_scale * w_scale), half away: 1 / 0.01 = 100, ... */
	ASSERT_EQ(1, calib_quant_bias(b, 4, 0.02f, ws, q));
	ASSERT_EQ(100, q[0]);
	ASSERT_EQ(-25, q[1]);
	ASSERT_EQ(150, q[2]);
	ASSERT_EQ(INT32_MAX, q[3]); /* 5e16: saturated, counted */
	b[3] = -1e9f;
	ASSERT_EQ(1, calib_quant_bias(b, 4, 0.02f, ws, q));
	ASSERT_EQ(-INT32_MAX, q[3]);
	/* Exactly half a step (powers of two): away from zero. */
	b[0] = 0.0625f;
	b[1] = -0.0625f;
	b[2] = 0.1875f;
	b[3] = 0;
	ws[0] = ws[1] = ws[2] = ws[3] = 0.25f;
	ASSERT_EQ(0, calib_quant_bias(b, 4, 0.5f, ws, q));
	ASSERT_EQ(1, q[0]);
	ASSERT_EQ(-1, q[1]);
	ASSERT_EQ(2, q[2]);
	ASSERT_EQ(0, q[3]);
	ASSERT_EQ(-EINVAL, calib_quant_bias(b, 4, 0, ws, q));
	ASSERT_EQ(-EINVAL, calib_quant_bias(b, 4, NAN, ws, q));
	ws[2] = 0;
	ASSERT_EQ(-EINVAL, calib_quant_bias(b, 4, 0.02f, ws, q));
	ws[2] = 0.1f;
	b[0] = INFINITY;
	ASSERT_EQ(-EINVAL, calib_quant_bias(b, 4, 0.02f, ws, q));
}

TEST(multiplier_vs_quantize_multiplier)
{
	struct vision_model_requant r, ref;
	size_t i;

	rng_seed(33);
	for (i = 0; i < 100000; i++) {
		double real = ldexp(0.5 + 0.5 * rnd_unit(), rnd_range(-40, 30));

		ASSERT_EQ(0, calib_multiplier(real, &r));
		/* engine_test_util.c's QuantizeMultiplier, written apart. */
		ref = quantize(real);
		ASSERT_EQ(ref.multiplier, r.multiplier);
		ASSERT_EQ(ref.shift, r.shift);
		if (!r.multiplier)
			continue;
		ASSERT_LE(1 << 30, r.multiplier);
		ASSERT_LE(fabs(ldexp(r.multiplier, r.shift - 31) - real),
			  ldexp(1, r.shift - 32));
	}
	/* Rounding up to 2^31 moves to the next exponent. */
	ASSERT_EQ(0, calib_multiplier(1 - ldexp(1, -40), &r));
	ASSERT_EQ(1 << 30, r.multiplier);
	ASSERT_EQ(1, r.shift);
	ASSERT_EQ(0, calib_multiplier(0, &r));
	ASSERT_EQ(0, r.multiplier);
	ASSERT_EQ(0, calib_multiplier(ldexp(1, -33), &r));
	ASSERT_EQ(0, r.multiplier);
	ASSERT_EQ(0, r.shift);
	ASSERT_EQ(0, calib_multiplier(ldexp(1, 29), &r));
	ASSERT_EQ(30, r.shift);
	ASSERT_EQ(-ERANGE, calib_multiplier(ldexp(1, 30), &r));
	ASSERT_EQ(INT32_MAX, r.multiplier);
	ASSERT_EQ(30, r.shift);
	ASSERT_EQ(-EINVAL, calib_multiplier(-0.5, &r));
	ASSERT_EQ(-EINVAL, calib_multiplier(NAN, &r));
	ASSERT_EQ(-EINVAL, calib_multiplier(INFINITY, &r));
}

TEST(requant_through_the_engine)
{
	float ws[64];
	struct vision_model_requant r[64];
	size_t c;
	int i;

	rng_seed(34);
	for (c = 0; c < 64; c++)
		ws[c] = (float)(pow(10, -3 * rnd_unit()) * 0.01);
	ASSERT_EQ(0, calib_requant(0.05f, ws, 64, 0.03f, r));
	for (c = 0; c < 64; c++) {
		double real = (double)0.05f * ws[c] / (double)0.03f;

		/* The engine's MultiplyByQuantizedMultiplier ~ x * real. */
		for (i = 0; i < 200; i++) {
			int32_t x = (int32_t)(rnd() % 2000001) - 1000000;
			int32_t y = vis_mbqm(x, r[c].multiplier, r[c].shift);

			ASSERT_LE(fabs(y - x * real), 1.0);
		}
	}
	ASSERT_EQ(-EINVAL, calib_requant(0.05f, ws, 64, 0, r));
	ws[3] = 1e12f;
	ASSERT_EQ(-ERANGE, calib_requant(0.05f, ws, 64, 0.03f, r));
}

/* ---- range selection ----------------------------------------------------- */

TEST(minmax_is_observed_range)
{
	float x[5] = { -0.5f, 3, 1, -2.25f, 0 };
	struct calib_hist *h = hist_of(x, 5);
	struct calib_opts o = { .method = CALIB_MINMAX };
	float lo, hi;

	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, calib_range(h, &o, &lo, &hi));
	ASSERT_EQ(-2.25f, lo);
	ASSERT_EQ(3, hi);
	o.method = 9;
	ASSERT_EQ(-EINVAL, calib_range(h, &o, &lo, &hi));
	calib_hist_init(h);
	o.method = CALIB_MINMAX;
	ASSERT_EQ(-EINVAL, calib_range(h, &o, &lo, &hi));
	free(h);
}

TEST(percentile_vs_sorted_samples)
{
	static const double pct[] = { 99.99, 99.9, 99, 90 };
	enum dist d;
	size_t n = 200000, i;

	rng_seed(35);
	for (d = GAUSS; d <= RELU; d++) {
		float *x = samples(d, n);
		struct calib_hist *h = hist_of(x, n);

		ASSERT_NE(NULL, x);
		ASSERT_NE(NULL, h);
		qsort(x, n, sizeof(*x), cmp_float);
		for (i = 0; i < 4; i++) {
			struct calib_opts o = { CALIB_PERCENTILE, pct[i], 0,
						0 };
			size_t k = (size_t)(pct[i] / 100 * n);
			double w = h->width;
			float lo, hi;

			ASSERT_EQ(0, calib_range(h, &o, &lo, &hi));
			/* Between the neighbouring order statistics, give
			 * or take the bin the histogram interpolates in. */
			ASSERT_GE(hi, x[k - 2] - w)
			TH_LOG("dist %d p %g", d, pct[i]);
			ASSERT_LE(hi, x[k + 1] + w)
			TH_LOG("dist %d p %g", d, pct[i]);
			ASSERT_GE(lo, x[n - k - 2] - w);
			ASSERT_LE(lo, x[n - k + 1] + w);
		}
		/* 100: the observed range. */
		{
			struct calib_opts o = { CALIB_PERCENTILE, 100, 0, 0 };
			float lo, hi;

			ASSERT_EQ(0, calib_range(h, &o, &lo, &hi));
			ASSERT_EQ(x[0], lo);
			ASSERT_EQ(x[n - 1], hi);
			o.percentile = 50;
			ASSERT_EQ(-EINVAL, calib_range(h, &o, &lo, &hi));
			o.percentile = 101;
			ASSERT_EQ(-EINVAL, calib_range(h, &o, &lo, &hi));
		}
		free(h);
		free(x);
	}
}

/* The symmetric clip alpha minimising the sample MSE, by brute force. */
static double brute_alpha(const float *x, size_t n, double from, double to,
			  double step, double *best_mse)
{
	double a, best = from;

	*best_mse = INFINITY;
	for (a = from; a <= to; a += step) {
		double e = sample_mse(x, n, -a, a);

		if (e < *best_mse) {
			*best_mse = e;
			best = a;
		}
	}
	return best;
}

static void check_mse(struct __test_metadata *_metadata, enum dist d,
		      double from, double to, double step, double published)
{
	size_t n = 200000;
	float *x = samples(d, n), lo, hi;
	struct calib_hist *h = hist_of(x, n);
	struct calib_opts o = { .method = CALIB_MSE };
	double best_mse, alpha, e;

	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, h);
	alpha = brute_alpha(x, n, from, to, step, &best_mse);
	ASSERT_EQ(0, calib_range(h, &o, &lo, &hi));
	e = sample_mse(x, n, lo, hi);
	TH_LOG("dist %d: brute force alpha %.3f (published %.2f), calib [%.3f, %.3f], MSE %.4g vs %.4g",
	       d, alpha, published, lo, hi, e, best_mse);
	/* The published optimum, on our quantiser and samples. */
	ASSERT_LT(fabs(alpha - published), 0.06 * published);
	/* The histogram's choice is as good as the samples' best. */
	ASSERT_LT(e, best_mse * 1.01);
	ASSERT_LT(fabs(hi - alpha), 0.1 * alpha);
	ASSERT_LT(fabs(-lo - alpha), 0.1 * alpha);
	/* calib_mse() models the samples' error closely. */
	ASSERT_LT(fabs(calib_mse(h, lo, hi) - e), 0.02 * e);
	ASSERT_LT(fabs(calib_mse(h, -alpha / 2, alpha / 2) -
		       sample_mse(x, n, -alpha / 2, alpha / 2)),
		  0.02 * sample_mse(x, n, -alpha / 2, alpha / 2));
	free(h);
	free(x);
}

TEST(mse_laplace_aciq)
{
	rng_seed(36);
	check_mse(_metadata, LAPLACE, 7, 13, 0.02, 9.89);
}

TEST(mse_gauss_aciq)
{
	rng_seed(37);
	check_mse(_metadata, GAUSS, 3, 5, 0.01, 3.92);
}

TEST(mse_uniform_and_one_sided)
{
	size_t n = 100000, i;
	float *x, lo, hi;
	struct calib_hist *h;
	struct calib_opts o = { .method = CALIB_MSE };
	double best = INFINITY, a, e;

	rng_seed(38);
	/* Uniform: clipping only loses; keep (nearly) all of it. */
	x = samples(UNIFORM, n);
	h = hist_of(x, n);
	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, calib_range(h, &o, &lo, &hi));
	ASSERT_LT(0.97, hi);
	ASSERT_GT(-0.97, lo);
	free(h);
	free(x);
	/* ReLU output: lo stays 0; hi the brute-force best of [0, hi]. */
	x = samples(RELU, n);
	h = hist_of(x, n);
	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, calib_range(h, &o, &lo, &hi));
	ASSERT_EQ(0, lo);
	for (a = 1; a < h->max; a += 0.01)
		best = fmin(best, sample_mse(x, n, 0, a));
	e = sample_mse(x, n, 0, hi);
	ASSERT_LT(e, best * 1.01);
	/* All one value. */
	for (i = 0; i < n; i++)
		x[i] = 3;
	calib_hist_init(h);
	ASSERT_EQ(0, calib_hist_add(h, x, n));
	ASSERT_EQ(0, calib_range(h, &o, &lo, &hi));
	ASSERT_EQ(0, lo);
	ASSERT_EQ(3, hi);
	free(h);
	free(x);
}

/* ---- KL ------------------------------------------------------------------ */

/*
 * TensorRT's entropy calibration, written again from the GTC 2017
 * slides: per candidate, each bin's group index, the groups' sums and
 * non-zero counts, Q bin by bin; smoothing as MXNet's.
 */
static bool ref_smooth(double *p, size_t n)
{
	size_t z = 0, i;

	for (i = 0; i < n; i++)
		z += p[i] == 0;
	if (z == n)
		return false;
	for (i = 0; i < n; i++) {
		p[i] = p[i] == 0 ? 1e-4 : p[i] - 1e-4 * z / (n - z);
		if (p[i] <= 0)
			return false;
	}
	return true;
}

static size_t ref_kl(const uint64_t *hist, size_t nbins, size_t levels,
		     size_t start)
{
	double *p = malloc(nbins * 8), *q = malloc(nbins * 8);
	double *gsum = malloc(levels * 8), best_d = INFINITY;
	size_t *gnz = malloc(levels * sizeof(size_t)), best = 0, i, j;

	for (i = start; i <= nbins; i++) {
		double sp = 0, sq = 0, d = 0, out = 0;

		for (j = i; j < nbins; j++)
			out += hist[j];
		memset(gsum, 0, levels * 8);
		memset(gnz, 0, levels * sizeof(size_t));
		for (j = 0; j < i; j++) {
			size_t g = j / (i / levels);

			g = g < levels ? g : levels - 1;
			p[j] = hist[j] + (j == i - 1 ? out : 0);
			gsum[g] += hist[j];
			gnz[g] += p[j] != 0;
		}
		for (j = 0; j < i; j++) {
			size_t g = j / (i / levels);

			g = g < levels ? g : levels - 1;
			q[j] = p[j] != 0 ? gsum[g] / gnz[g] : 0;
		}
		if (!ref_smooth(p, i) || !ref_smooth(q, i))
			continue;
		for (j = 0; j < i; j++) {
			sp += p[j];
			sq += q[j];
		}
		for (j = 0; j < i; j++)
			d += p[j] / sp * log((p[j] / sp) / (q[j] / sq));
		if (d < best_d) {
			best_d = d;
			best = i;
		}
	}
	free(p);
	free(q);
	free(gsum);
	free(gnz);
	return best;
}

/* |x| histogram of @n samples, @nbins bins over [0, max|x|]. */
static void abs_hist(const float *x, size_t n, size_t nbins, uint64_t *hist,
		     double *width)
{
	double amax = 0;
	size_t i;

	for (i = 0; i < n; i++)
		amax = fmax(amax, fabs(x[i]));
	*width = amax / nbins;
	memset(hist, 0, nbins * 8);
	for (i = 0; i < n; i++) {
		size_t j = (size_t)(fabs(x[i]) / *width);

		hist[j < nbins ? j : nbins - 1]++;
	}
}

TEST(kl_vs_second_implementation)
{
	enum dist d;
	size_t n = 100000, best;
	uint64_t *hist = malloc(2048 * 8);
	double w;

	ASSERT_NE(NULL, hist);
	rng_seed(39);
	for (d = GAUSS; d <= RELU; d++) {
		float *x = samples(d, n);
		static const size_t levels[] = { 128, 256, 128 };
		static const size_t starts[] = { 128, 256, 300 };
		size_t v;

		ASSERT_NE(NULL, x);
		abs_hist(x, n, 2048, hist, &w);
		for (v = 0; v < 3; v++) {
			ASSERT_EQ(0, calib_kl_bins(hist, 2048, levels[v],
						   starts[v], &best));
			ASSERT_EQ(ref_kl(hist, 2048, levels[v], starts[v]),
				  best)
			TH_LOG("dist %d levels %zu start %zu", d, levels[v],
			       starts[v]);
		}
		/* Sparse: a quarter of the bins empty. */
		for (v = 0; v < 2048; v += 4)
			hist[v] = 0;
		ASSERT_EQ(0, calib_kl_bins(hist, 2048, 128, 128, &best));
		ASSERT_EQ(ref_kl(hist, 2048, 128, 128), best);
		free(x);
	}
	/* Known answer: uniform needs no clipping at all. */
	for (best = 0; best < 2048; best++)
		hist[best] = 1000;
	ASSERT_EQ(0, calib_kl_bins(hist, 2048, 128, 128, &best));
	ASSERT_EQ(2048, best);
	/* Bad arguments. */
	ASSERT_EQ(-EINVAL, calib_kl_bins(hist, 100, 128, 128, &best));
	ASSERT_EQ(-EINVAL, calib_kl_bins(hist, 2048, 256, 128, &best));
	ASSERT_EQ(-EINVAL, calib_kl_bins(hist, 2048, 0, 128, &best));
	memset(hist, 0, 2048 * 8);
	ASSERT_EQ(-EINVAL, calib_kl_bins(hist, 2048, 128, 128, &best));
	free(hist);
}

TEST(kl_range_end_to_end)
{
	size_t n = 200000, i, nb;
	uint64_t *hist = malloc(CALIB_BINS * 8);
	enum dist d;

	ASSERT_NE(NULL, hist);
	rng_seed(40);
	for (d = GAUSS; d <= RELU; d++) {
		/*
		 * A few far outliers, which KL must clip; for the uniform
		 * ones not so far that the 2048-bin histogram's first
		 * candidate (128 bins) lies beyond the body.
		 */
		float far = d == UNIFORM ? 3 : 20, *x = samples(d, n), lo, hi;
		struct calib_opts o = { .method = CALIB_KL };
		double w, t, amax = 0;
		struct calib_hist *h;

		ASSERT_NE(NULL, x);
		for (i = 0; i < 5; i++)
			x[i * 1000] = far + (float)i / 10;
		h = hist_of(x, n);
		ASSERT_NE(NULL, h);
		ASSERT_EQ(0, calib_range(h, &o, &lo, &hi));
		ASSERT_LT(hi, far);
		/*
		 * The reference on the samples binned here at the width
		 * the observer must have chosen (the smallest power of two
		 * holding max |x| in CALIB_BINS bins): the same range.
		 */
		for (i = 0; i < n; i++)
			amax = fmax(amax, fabs(x[i]));
		for (w = 1; amax >= CALIB_BINS * w;)
			w *= 2;
		while (amax < CALIB_BINS * w / 2)
			w /= 2;
		memset(hist, 0, CALIB_BINS * 8);
		for (i = 0, nb = 0; i < n; i++) {
			size_t j = (size_t)floor(fabs(x[i]) / w);

			hist[j]++;
			nb = j + 1 > nb ? j + 1 : nb;
		}
		t = ref_kl(hist, nb, 128, 128) * w;
		ASSERT_EQ((float)fmin(t, h->max), hi);
		ASSERT_EQ((float)fmax(-t, h->min), lo);
		/*
		 * TensorRT's own binning (2048 bins over [0, max |x|]) is
		 * coarser, and the KL curve flat near its minimum: only
		 * roughly the same threshold.
		 */
		abs_hist(x, n, 2048, hist, &w);
		t = ref_kl(hist, 2048, 128, 128) * w;
		TH_LOG("dist %d: KL [%.3f, %.3f], 2048-bin %.3f", d, lo, hi, t);
		ASSERT_LT(fabs(hi - t), 0.25 * t);
		free(h);
		free(x);
	}
	free(hist);
}

TEST_HARNESS_MAIN
