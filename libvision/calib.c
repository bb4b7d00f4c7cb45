// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Calibration: the histogram observer, range selection and TFLite's
 * int8 parameter arithmetic; see calib.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"

/* Width before any non-zero value: every float's |x| / w is then >= 2^11. */
#define CALIB_MIN_WIDTH 0x1p-160

/* KL smoothing, MXNet's _smooth_distribution(). */
#define CALIB_KL_EPS 1e-4

/* MSE search: coarse grid over (0, 1] of the range, then a finer one. */
#define MSE_COARSE 128
#define MSE_FINE 32
#define MSE_ROUNDS 2

/* ---- observer ------------------------------------------------------------ */

void calib_hist_init(struct calib_hist *h)
{
	memset(h, 0, sizeof(*h));
}

/* Merge bins by 2^@s, into @dst (may be @src). */
static void calib_rebin(uint64_t *dst, const uint64_t *src, int s)
{
	uint64_t tmp[CALIB_BINS] = { 0 };
	size_t j;

	for (j = 0; j < CALIB_BINS; j++)
		tmp[j >> s] += src[j];
	memcpy(dst, tmp, sizeof(tmp));
}

/* log2 of @to / @from, both powers of two, @to >= @from. */
static int calib_doublings(double from, double to)
{
	int ef, et;

	frexp(from, &ef);
	frexp(to, &et);
	return et - ef;
}

/* The width a max |x| of @amax needs: smallest 2^e with amax < BINS * 2^e. */
static double calib_width_for(double amax)
{
	int e;

	if (amax == 0)
		return CALIB_MIN_WIDTH;
	/* amax / BINS = m 2^e, m in [0.5, 1): 2^e is just above it. */
	frexp(amax / CALIB_BINS, &e);
	return fmax(ldexp(1.0, e), CALIB_MIN_WIDTH);
}

/* Widen @h to @w (>= its width), merging bins. */
static void calib_widen(struct calib_hist *h, double w)
{
	int s;

	if (h->width == 0)
		h->width = w;
	if (w <= h->width)
		return;
	/* 2^12 = CALIB_BINS: any wider merge puts all in bin 0 too. */
	s = calib_doublings(h->width, w);
	calib_rebin(h->pos, h->pos, s > 12 ? 12 : s);
	calib_rebin(h->neg, h->neg, s > 12 ? 12 : s);
	h->width = w;
}

int calib_hist_add(struct calib_hist *h, const float *x, size_t n)
{
	float lo = INFINITY, hi = -INFINITY;
	double amax;
	size_t i;

	if (!n)
		return 0;
	if (!x)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			return -EINVAL;
		lo = fminf(lo, x[i]);
		hi = fmaxf(hi, x[i]);
	}
	amax = fmax(fabs(lo), fabs(hi));
	if (!h->count) {
		h->min = lo;
		h->max = hi;
	} else {
		h->min = fminf(h->min, lo);
		h->max = fmaxf(h->max, hi);
	}
	calib_widen(h, fmax(calib_width_for(amax), h->width));
	for (i = 0; i < n; i++) {
		/* Exact: w is a power of two. */
		double v = x[i] / h->width;

		if (v >= 0)
			h->pos[(size_t)v]++;
		else
			h->neg[(size_t)-v]++;
	}
	h->count += n;
	return 0;
}

void calib_hist_merge(struct calib_hist *dst, const struct calib_hist *src)
{
	uint64_t tmp[CALIB_BINS];
	size_t j;
	int s;

	if (!src->count)
		return;
	if (!dst->count) {
		*dst = *src;
		return;
	}
	dst->min = fminf(dst->min, src->min);
	dst->max = fmaxf(dst->max, src->max);
	dst->count += src->count;
	calib_widen(dst, fmax(dst->width, src->width));
	s = calib_doublings(src->width, dst->width);
	s = s > 12 ? 12 : s;
	calib_rebin(tmp, src->pos, s);
	for (j = 0; j < CALIB_BINS; j++)
		dst->pos[j] += tmp[j];
	calib_rebin(tmp, src->neg, s);
	for (j = 0; j < CALIB_BINS; j++)
		dst->neg[j] += tmp[j];
}

/*
 * Bin @t of 2 * CALIB_BINS in ascending order of value: its interval
 * [*a, *b) and count.
 */
static uint64_t calib_bin(const struct calib_hist *h, size_t t, double *a,
			  double *b)
{
	double w = h->width;

	if (t < CALIB_BINS) {
		size_t j = CALIB_BINS - 1 - t;

		*a = -(double)(j + 1) * w;
		*b = -(double)j * w;
		return h->neg[j];
	}
	*a = (double)(t - CALIB_BINS) * w;
	*b = *a + w;
	return h->pos[t - CALIB_BINS];
}

/* ---- int8 parameters ----------------------------------------------------- */

int calib_qparams(float lo, float hi, struct calib_qparams *q)
{
	const double qmin = -128, qmax = 127;
	double rmin = lo, rmax = hi, scale, zmin, zmax, z;

	if (!isfinite(lo) || !isfinite(hi) || lo > hi)
		return -EINVAL;
	rmin = fmin(rmin, 0);
	rmax = fmax(rmax, 0);
	if (rmin == rmax) {
		q->scale = 1.0f;
		q->zero_point = 0;
		return 0;
	}
	scale = (rmax - rmin) / (qmax - qmin);
	zmin = qmin - rmin / scale;
	zmax = qmax - rmax / scale;
	/* The end whose exact zero point has the smaller error wins. */
	z = fabs(qmin) + fabs(rmin / scale) < fabs(qmax) + fabs(rmax / scale) ?
		    zmin :
		    zmax;
	q->scale = (float)scale;
	q->zero_point = z < qmin ? (int32_t)qmin :
			z > qmax ? (int32_t)qmax :
				   (int32_t)round(z);
	return 0;
}

int calib_quant_weights(const float *w, size_t rows, size_t cols, int8_t *q,
			float *scales)
{
	size_t r, j;

	if (!w || !q || !scales)
		return -EINVAL;
	for (r = 0; r < rows * cols; r++)
		if (!isfinite(w[r]))
			return -EINVAL;
	for (r = 0; r < rows; r++) {
		const float *wr = w + r * cols;
		float m = 0, inv;

		for (j = 0; j < cols; j++)
			m = fmaxf(m, fabsf(wr[j]));
		if (m == 0) {
			scales[r] = 1.0f;
			memset(q + r * cols, 0, cols);
			continue;
		}
		scales[r] = m / 127;
		inv = 127 / m;
		for (j = 0; j < cols; j++) {
			float v = roundf(wr[j] * inv);

			q[r * cols + j] = (int8_t)fminf(fmaxf(v, -127), 127);
		}
	}
	return 0;
}

int calib_quant_bias(const float *bias, size_t rows, float in_scale,
		     const float *w_scales, int32_t *q)
{
	int saturated = 0;
	size_t r;

	if (!bias || !w_scales || !q || !(in_scale > 0) || !isfinite(in_scale))
		return -EINVAL;
	for (r = 0; r < rows; r++) {
		float s = in_scale * w_scales[r];

		if (!isfinite(bias[r]) || !(s > 0) || !isfinite(s))
			return -EINVAL;
	}
	for (r = 0; r < rows; r++) {
		float inv = (float)(1.0 / (in_scale * w_scales[r]));
		/* Compare before converting: the product may exceed int64. */
		float v = roundf(bias[r] * inv);

		/* 2^31: INT32_MAX is not a float, every float above fails. */
		if (fabsf(v) >= 2147483648.0f) {
			q[r] = v > 0 ? INT32_MAX : -INT32_MAX;
			saturated++;
		} else {
			q[r] = (int32_t)v;
		}
	}
	return saturated;
}

int calib_multiplier(double real, struct vision_model_requant *r)
{
	double m;
	int64_t fixed;
	int shift;

	if (!(real >= 0) || !isfinite(real))
		return -EINVAL;
	r->multiplier = 0;
	r->shift = 0;
	if (real == 0)
		return 0;
	m = frexp(real, &shift);
	fixed = (int64_t)round(m * 2147483648.0);
	if (fixed == (1ll << 31)) {
		fixed /= 2;
		shift++;
	}
	if (shift < -31)
		return 0;
	if (shift > 30) {
		r->multiplier = INT32_MAX;
		r->shift = 30;
		return -ERANGE;
	}
	r->multiplier = (int32_t)fixed;
	r->shift = shift;
	return 0;
}

int calib_requant(float in_scale, const float *w_scales, size_t n,
		  float out_scale, struct vision_model_requant *r)
{
	size_t c;
	int ret;

	if (!(out_scale > 0) || !w_scales || !r)
		return -EINVAL;
	for (c = 0; c < n; c++) {
		ret = calib_multiplier((double)in_scale * (double)w_scales[c] /
					       (double)out_scale,
				       &r[c]);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- MSE ----------------------------------------------------------------- */

/* A non-empty bin, narrowed to the observed [min, max]. */
struct calib_piece {
	double a, b;
	double count;
};

/* The pieces of @h, ascending; returns how many (at most 2 * BINS). */
static size_t calib_pieces(const struct calib_hist *h, struct calib_piece *p)
{
	size_t t, n = 0;

	for (t = 0; t < 2 * CALIB_BINS; t++) {
		double a, b;
		uint64_t c = calib_bin(h, t, &a, &b);

		if (!c)
			continue;
		p[n].a = fmax(a, h->min);
		p[n].b = fmin(b, h->max);
		p[n].count = (double)c;
		n++;
	}
	return n;
}

/* (v - y)^3 - (u - y)^3, over 3: the squared error of [u, v) -> y. */
static double calib_sq(double u, double v, double y)
{
	double dv = v - y, du = u - y;

	return (dv * dv * dv - du * du * du) / 3;
}

/* Level clamp(round(x / s) + zp) of @x. */
static int calib_level(double x, double s, int zp)
{
	double l = round(x / s) + zp;

	return l < -128 ? -128 : l > 127 ? 127 : (int)l;
}

static double calib_pieces_mse(const struct calib_piece *p, size_t n,
			       const struct calib_qparams *q)
{
	double s = q->scale, total = 0, sum = 0;
	int zp = q->zero_point;
	size_t i;

	for (i = 0; i < n; i++) {
		double a = p[i].a, b = p[i].b, e = 0;
		int l, l0, l1;

		sum += p[i].count;
		if (b <= a) {
			/* All of it at one point. */
			double y = s * (calib_level(a, s, zp) - zp);

			total += p[i].count * (a - y) * (a - y);
			continue;
		}
		/* One level either side: the rounding of the ends is moot. */
		l0 = calib_level(a, s, zp);
		l1 = calib_level(b, s, zp);
		l0 = l0 > -128 ? l0 - 1 : l0;
		l1 = l1 < 127 ? l1 + 1 : l1;
		for (l = l0; l <= l1; l++) {
			double u = l == -128 ? a : fmax(a, s * (l - zp - 0.5));
			double v = l == 127 ? b : fmin(b, s * (l - zp + 0.5));

			if (v > u)
				e += calib_sq(u, v, s * (l - zp));
		}
		total += p[i].count * e / (b - a);
	}
	return total / sum;
}

static double calib_range_mse(const struct calib_piece *p, size_t n, double lo,
			      double hi)
{
	struct calib_qparams q;

	if (calib_qparams((float)lo, (float)hi, &q))
		return INFINITY;
	return calib_pieces_mse(p, n, &q);
}

double calib_mse(const struct calib_hist *h, float lo, float hi)
{
	struct calib_piece *p;
	double e;
	size_t n;

	if (!h->count)
		return -1;
	p = malloc(2 * CALIB_BINS * sizeof(*p));
	if (!p)
		return -1;
	n = calib_pieces(h, p);
	e = calib_range_mse(p, n, lo, hi);
	free(p);
	return e;
}

/*
 * Minimise the MSE of the range (lo, hi) = @base + t * @dir over
 * t in (0, 1], from the current @t0 of error *@best: a coarse grid, then
 * a fine one around its best. Returns the best t; *@best its error.
 */
static double calib_search(const struct calib_piece *p, size_t n,
			   const double base[2], const double dir[2], double t0,
			   double *best)
{
	double t_best = t0, c;
	int k;

	for (k = 1; k <= MSE_COARSE; k++) {
		double t = (double)k / MSE_COARSE;
		double e = calib_range_mse(p, n, base[0] + t * dir[0],
					   base[1] + t * dir[1]);

		if (e < *best) {
			*best = e;
			t_best = t;
		}
	}
	c = t_best;
	for (k = -MSE_FINE; k <= MSE_FINE; k++) {
		double t = c + (double)k / (MSE_COARSE * MSE_FINE);
		double e;

		if (t <= 0 || t > 1)
			continue;
		e = calib_range_mse(p, n, base[0] + t * dir[0],
				    base[1] + t * dir[1]);
		if (e < *best) {
			*best = e;
			t_best = t;
		}
	}
	return t_best;
}

/*
 * Least expected squared error: first the observed range scaled by one
 * factor (for a symmetric distribution, the ACIQ problem), then each end
 * alone with the other fixed, twice over, for skewed distributions.
 */
static int calib_range_mse_opt(const struct calib_hist *h, double *lo,
			       double *hi)
{
	double mn = fmin(h->min, 0), mx = fmax(h->max, 0), best = INFINITY;
	struct calib_piece *p;
	double t;
	size_t n;
	int round;

	*lo = mn;
	*hi = mx;
	if (mn == mx)
		return 0;
	p = malloc(2 * CALIB_BINS * sizeof(*p));
	if (!p)
		return -ENOMEM;
	n = calib_pieces(h, p);
	best = calib_range_mse(p, n, mn, mx);
	t = calib_search(p, n, (double[2]){ 0, 0 }, (double[2]){ mn, mx }, 1,
			 &best);
	*lo = t * mn;
	*hi = t * mx;
	for (round = 0; round < MSE_ROUNDS; round++) {
		if (mx > 0) {
			t = calib_search(p, n, (double[2]){ *lo, 0 },
					 (double[2]){ 0, mx }, *hi / mx, &best);
			*hi = t * mx;
		}
		if (mn < 0) {
			t = calib_search(p, n, (double[2]){ 0, *hi },
					 (double[2]){ mn, 0 }, *lo / mn, &best);
			*lo = t * mn;
		}
	}
	free(p);
	return 0;
}

/* ---- percentile ---------------------------------------------------------- */

/* The value below which @target of the values lie, linear within bins. */
static double calib_quantile(const struct calib_hist *h, double target)
{
	double cum = 0, a, b;
	size_t t;

	for (t = 0; t < 2 * CALIB_BINS; t++) {
		uint64_t c = calib_bin(h, t, &a, &b);

		if (!c)
			continue;
		if (cum + (double)c >= target)
			return a + (b - a) * fmax(target - cum, 0) / (double)c;
		cum += (double)c;
	}
	return h->max;
}

/* ---- KL ------------------------------------------------------------------ */

/*
 * MXNet's _smooth_distribution(): zeros become eps, the other entries
 * give up as much in total. False when an entry would not stay positive.
 */
static bool calib_smooth(double *p, size_t n)
{
	size_t zeros = 0, i;
	double eps1;

	for (i = 0; i < n; i++)
		zeros += p[i] == 0;
	if (zeros == n)
		return false;
	eps1 = CALIB_KL_EPS * (double)zeros / (double)(n - zeros);
	for (i = 0; i < n; i++) {
		p[i] = p[i] == 0 ? CALIB_KL_EPS : p[i] - eps1;
		if (!(p[i] > 0))
			return false;
	}
	return true;
}

/* KL(P || Q) of the unnormalised @p and @q. */
static double calib_kl(const double *p, const double *q, size_t n)
{
	double sp = 0, sq = 0, d = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		sp += p[i];
		sq += q[i];
	}
	for (i = 0; i < n; i++) {
		double pi = p[i] / sp;

		d += pi * log(pi / (q[i] / sq));
	}
	return d;
}

int calib_kl_bins(const uint64_t *hist, size_t nbins, unsigned int levels,
		  size_t start, size_t *best)
{
	double *p, *q, best_d = INFINITY, outliers = 0;
	size_t i, j, g;
	bool any = false;

	if (!hist || !best || !levels || !start || levels > start ||
	    nbins < start)
		return -EINVAL;
	p = malloc(nbins * sizeof(*p));
	q = malloc(nbins * sizeof(*q));
	if (!p || !q) {
		free(p);
		free(q);
		return -ENOMEM;
	}
	for (j = start; j < nbins; j++)
		outliers += (double)hist[j];
	*best = nbins;
	for (i = start; i <= nbins; i++) {
		size_t merged = i / levels;
		double d;

		if (i > start)
			outliers -= (double)hist[i - 1];
		for (j = 0; j < i; j++)
			p[j] = (double)hist[j];
		p[i - 1] += outliers;
		/* Group g: bins [g * merged, +merged), the last to i. */
		for (g = 0; g < levels; g++) {
			size_t b0 = g * merged;
			size_t b1 = g == levels - 1 ? i : b0 + merged;
			double sum = 0;
			size_t nz = 0;

			for (j = b0; j < b1; j++) {
				sum += (double)hist[j];
				nz += p[j] != 0;
			}
			for (j = b0; j < b1; j++)
				q[j] = p[j] != 0 ? sum / (double)nz : 0;
		}
		if (!calib_smooth(p, i) || !calib_smooth(q, i))
			continue;
		any = true;
		d = calib_kl(p, q, i);
		if (d < best_d) {
			best_d = d;
			*best = i;
		}
	}
	free(p);
	free(q);
	return any ? 0 : -EINVAL;
}

/*
 * The KL threshold of |x| over the observer's bins (at least 2048 up to
 * max |x|: see calib.h), applied to each side within the observed range.
 */
static int calib_range_kl(const struct calib_hist *h,
			  const struct calib_opts *o, double *lo, double *hi)
{
	unsigned int levels = o->kl_levels ? o->kl_levels : CALIB_KL_LEVELS;
	size_t start = o->kl_start ? o->kl_start : CALIB_KL_START;
	uint64_t abs_hist[CALIB_BINS];
	size_t nbins = 0, j, best;
	double t;
	int ret;

	for (j = 0; j < CALIB_BINS; j++) {
		abs_hist[j] = h->pos[j] + h->neg[j];
		if (abs_hist[j])
			nbins = j + 1;
	}
	*lo = h->min;
	*hi = h->max;
	/* Too few bins in use to clip (only when all values are 0). */
	if (nbins < start)
		return 0;
	ret = calib_kl_bins(abs_hist, nbins, levels, start, &best);
	if (ret)
		return ret;
	t = (double)best * h->width;
	*lo = fmax(*lo, -t);
	*hi = fmin(*hi, t);
	return 0;
}

int calib_range(const struct calib_hist *h, const struct calib_opts *o,
		float *lo, float *hi)
{
	double pct = o->percentile ? o->percentile : CALIB_PERCENTILE_DEFAULT;
	double l = h->min, u = h->max;
	int ret = 0;

	if (!h->count)
		return -EINVAL;
	switch (o->method) {
	case CALIB_MINMAX:
		break;
	case CALIB_PERCENTILE:
		if (!(pct > 50 && pct <= 100))
			return -EINVAL;
		l = fmax(h->min,
			 calib_quantile(h, (double)h->count * (1 - pct / 100)));
		u = fmin(h->max,
			 calib_quantile(h, (double)h->count * pct / 100));
		break;
	case CALIB_MSE:
		ret = calib_range_mse_opt(h, &l, &u);
		break;
	case CALIB_KL:
		if (o->kl_levels > (o->kl_start ? o->kl_start : CALIB_KL_START))
			return -EINVAL;
		ret = calib_range_kl(h, o, &l, &u);
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;
	*lo = (float)l;
	*hi = (float)u;
	return 0;
}
