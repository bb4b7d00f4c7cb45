// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Pruning (libvision/prune.c) against independent references written
 * here: masks checked for exact counts and for the magnitude order by
 * brute force; H = X^T X against a naive double loop; the OBS sweep
 * against a literal, unoptimised SparseGPT (explicit Gauss-Jordan
 * inverse of the damped H, upper Cholesky factor of that inverse, every
 * correction applied at once to the whole row); the exact re-solve
 * against the normal equations solved by Gaussian elimination; output
 * errors measured on X itself. Plus: reconstruction clearly beats
 * magnitude pruning at 50%, rank-deficient X, bit-identical results for 1
 * and 2 threads, bias correction keeping the mean output, channel maps,
 * bad arguments, and the speed of a 512 x 4608 layer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "engine_test_util.h"
#include "prune.h"

#include "kselftest_harness.h"

/* ---- data ---------------------------------------------------------------- */

static double gauss(void)
{
	double u = rnd_unit(), v = rnd_unit();

	return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static float *rnd_weights(size_t n)
{
	float *w = malloc(n * sizeof(*w));
	size_t i;

	for (i = 0; w && i < n; i++)
		w[i] = (float)gauss();
	return w;
}

/*
 * @n patches of @k features shaped like a conv layer's inputs: a few
 * latent factors (k / 6) mixed into all features plus independent noise,
 * through a ReLU; with white inputs no reconstruction could help.
 * Columns listed in @dead are always 0.
 */
static float *rnd_patches(size_t n, size_t k, const size_t *dead, size_t ndead)
{
	size_t r = k / 6 + 1, i, j, p;
	float *x = malloc(n * k * sizeof(*x));
	double *v = malloc(r * k * sizeof(*v)), *u = malloc(r * sizeof(*u));

	if (!x || !v || !u) {
		free(x);
		x = NULL;
		goto out;
	}
	for (i = 0; i < r * k; i++)
		v[i] = gauss();
	for (i = 0; i < n; i++) {
		for (p = 0; p < r; p++)
			u[p] = gauss() / sqrt((double)r);
		for (j = 0; j < k; j++) {
			double s = 0.3 * gauss() + 0.2;

			for (p = 0; p < r; p++)
				s += u[p] * v[p * k + j];
			x[i * k + j] = (float)fmax(s, 0);
		}
		for (j = 0; j < ndead; j++)
			x[i * k + dead[j]] = 0;
	}
out:
	free(v);
	free(u);
	return x;
}

/* ||X A^T - X B^T||^2, straight from the patches. */
static double out_err(const float *x, size_t n, size_t k, const float *a,
		      const float *b, size_t rows)
{
	double e = 0;
	size_t i, r, j;

	for (i = 0; i < n; i++)
		for (r = 0; r < rows; r++) {
			double d = 0;

			for (j = 0; j < k; j++)
				d += (double)x[i * k + j] *
				     ((double)a[r * k + j] - b[r * k + j]);
			e += d * d;
		}
	return e;
}

static double *naive_xtx(const float *x, size_t n, size_t k)
{
	double *h = calloc(k * k, sizeof(*h));
	size_t i, a, b;

	for (i = 0; h && i < n; i++)
		for (a = 0; a < k; a++)
			for (b = 0; b < k; b++)
				h[a * k + b] +=
					(double)x[i * k + a] * x[i * k + b];
	return h;
}

static size_t zeros(const float *w, size_t n)
{
	size_t z = 0, i;

	for (i = 0; i < n; i++)
		z += w[i] == 0;
	return z;
}

static size_t pruned(const uint8_t *keep, size_t n)
{
	size_t z = 0, i;

	for (i = 0; i < n; i++)
		z += !keep[i];
	return z;
}

/* ---- naive linear algebra ------------------------------------------------ */

/* Solve A x = b (n x n, both overwritten) by Gaussian elimination. */
static bool gauss_solve(double *a, double *b, size_t n)
{
	size_t c, i, j;

	for (c = 0; c < n; c++) {
		size_t piv = c;

		for (i = c + 1; i < n; i++)
			if (fabs(a[i * n + c]) > fabs(a[piv * n + c]))
				piv = i;
		if (a[piv * n + c] == 0)
			return false;
		for (j = 0; j < n; j++) {
			double t = a[c * n + j];

			a[c * n + j] = a[piv * n + j];
			a[piv * n + j] = t;
		}
		{
			double t = b[c];

			b[c] = b[piv];
			b[piv] = t;
		}
		for (i = c + 1; i < n; i++) {
			double f = a[i * n + c] / a[c * n + c];

			for (j = c; j < n; j++)
				a[i * n + j] -= f * a[c * n + j];
			b[i] -= f * b[c];
		}
	}
	for (i = n; i-- > 0;) {
		double s = b[i];

		for (j = i + 1; j < n; j++)
			s -= a[i * n + j] * b[j];
		b[i] = s / a[i * n + i];
	}
	return true;
}

/* Inverse by solving for each column of I. */
static bool naive_inverse(const double *a, size_t n, double *inv)
{
	double *m = malloc(n * n * sizeof(*m)), *col = malloc(n * sizeof(*col));
	size_t i, j;
	bool ok = m && col;

	for (j = 0; ok && j < n; j++) {
		memcpy(m, a, n * n * sizeof(*m));
		for (i = 0; i < n; i++)
			col[i] = i == j;
		ok = gauss_solve(m, col, n);
		for (i = 0; i < n; i++)
			inv[i * n + j] = col[i];
	}
	free(m);
	free(col);
	return ok;
}

/* Upper U with A = U^T U: the transpose of the lower Cholesky factor. */
static bool naive_upper_cholesky(const double *a, size_t n, double *u)
{
	size_t i, j, p;

	memset(u, 0, n * n * sizeof(*u));
	for (j = 0; j < n; j++)
		for (i = j; i < n; i++) {
			double s = a[i * n + j];

			for (p = 0; p < j; p++)
				s -= u[p * n + i] * u[p * n + j];
			if (i == j) {
				if (s <= 0)
					return false;
				u[j * n + j] = sqrt(s);
			} else {
				u[j * n + i] = s / u[j * n + j];
			}
		}
	return true;
}

/* ---- naive SparseGPT ----------------------------------------------------- */

struct ref_key {
	double s;
	size_t i;
};

static int ref_key_cmp(const void *pa, const void *pb)
{
	const struct ref_key *a = pa, *b = pb;

	if (a->s != b->s)
		return a->s < b->s ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

/*
 * Score rows [r0, r1) x columns [i1, i2) of @w by w^2 / U_jj^2 and
 * prune the @z smallest (ties: lower index).
 */
static void ref_select(const double *w, const double *u, size_t k, size_t r0,
		       size_t r1, size_t i1, size_t i2, size_t z,
		       struct ref_key *keys, uint8_t *keep)
{
	size_t nk = 0, r, j;

	for (r = r0; r < r1; r++)
		for (j = i1; j < i2; j++)
			keys[nk++] = (struct ref_key){
				w[r * k + j] * w[r * k + j] /
					(u[j * k + j] * u[j * k + j]),
				r * k + j
			};
	qsort(keys, nk, sizeof(*keys), ref_key_cmp);
	for (j = 0; j < z && j < nk; j++)
		keep[keys[j].i] = 0;
}

/*
 * SparseGPT as the paper's Algorithm 1 (no lazy batching, no dead
 * columns): per-layer block quotas split the exact count as
 * floor(Z * i2 / k) - floor(Z * i1 / k); N:M groups when @m.
 */
static bool ref_sparsegpt(float *wf, size_t rows, size_t k, const double *h,
			  double sparsity, bool per_row, unsigned int n,
			  unsigned int m, size_t bs, uint8_t *keep)
{
	double *hd = malloc(k * k * sizeof(*hd)), *hinv = malloc(k * k * 8);
	double *u = malloc(k * k * 8), *w = malloc(rows * k * 8), mean = 0;
	struct ref_key *keys = malloc(rows * k * sizeof(*keys));
	size_t zl = (size_t)floor(sparsity * rows * k + 0.5);
	size_t zr = (size_t)floor(sparsity * k + 0.5), i, j, r, i1;
	bool ok = hd && hinv && u && w && keys;

	if (!ok)
		goto out;
	memcpy(hd, h, k * k * sizeof(*hd));
	for (i = 0; i < k; i++)
		mean += h[i * k + i] / k;
	for (i = 0; i < k; i++)
		hd[i * k + i] += 0.01 * mean;
	ok = naive_inverse(hd, k, hinv) && naive_upper_cholesky(hinv, k, u);
	if (!ok)
		goto out;
	for (i = 0; i < rows * k; i++)
		w[i] = wf[i];
	memset(keep, 1, rows * k);
	for (i1 = 0; i1 < k; i1 += bs) {
		size_t i2 = i1 + bs < k ? i1 + bs : k;

		if (!m && !per_row)
			ref_select(w, u, k, 0, rows, i1, i2,
				   zl * i2 / k - zl * i1 / k, keys, keep);
		for (r = 0; !m && per_row && r < rows; r++)
			ref_select(w, u, k, r, r + 1, i1, i2,
				   zr * i2 / k - zr * i1 / k, keys, keep);
		for (i = i1; i < i2; i++)
			for (r = 0; r < rows; r++) {
				double *wr = w + r * k, q, e;
				size_t g1 = i + m < i2 ? i + m : i2;

				if (m && i % m == 0 && g1 - i > n)
					ref_select(w, u, k, r, r + 1, i, g1,
						   g1 - i - n, keys, keep);
				q = keep[r * k + i] ? wr[i] : 0;
				e = (wr[i] - q) / u[i * k + i];
				/* The whole rest of the row, at once. */
				for (j = i; j < k; j++)
					wr[j] -= e * u[i * k + j];
				wr[i] = q;
			}
	}
	for (i = 0; i < rows * k; i++)
		wf[i] = keep[i] ? (float)w[i] : 0;
out:
	free(keys);
	free(w);
	free(u);
	free(hinv);
	free(hd);
	return ok;
}

/* The re-solve, row by row, from the normal equations. */
static bool ref_resolve(float *w, size_t rows, size_t k, const double *h,
			const uint8_t *keep, double percdamp)
{
	double mean = 0, lambda, *a = malloc(k * k * 8), *b = malloc(k * 8);
	size_t *idx = malloc(k * sizeof(*idx)), r, i, j, s;
	bool ok = a && b && idx;

	for (i = 0; i < k; i++)
		mean += h[i * k + i] / k;
	lambda = percdamp * mean;
	for (r = 0; ok && r < rows; r++) {
		float *wr = w + r * k;

		s = 0;
		for (j = 0; j < k; j++)
			if (keep[r * k + j])
				idx[s++] = j;
		for (i = 0; i < s; i++) {
			b[i] = lambda * wr[idx[i]];
			for (j = 0; j < k; j++)
				b[i] += h[idx[i] * k + j] * wr[j];
			for (j = 0; j < s; j++)
				a[i * s + j] = h[idx[i] * k + idx[j]] +
					       (i == j ? lambda : 0);
		}
		ok = gauss_solve(a, b, s);
		for (j = 0; j < k; j++)
			wr[j] = 0;
		for (i = 0; i < s; i++)
			wr[idx[i]] = (float)b[i];
	}
	free(idx);
	free(b);
	free(a);
	return ok;
}

/* ---- masks --------------------------------------------------------------- */

/* Every pruned |w| <= every kept |w|. */
static bool magnitude_ordered(const float *w, const uint8_t *keep, size_t n)
{
	float max_pruned = -1, min_kept = INFINITY;
	size_t i;

	for (i = 0; i < n; i++)
		if (keep[i])
			min_kept = fminf(min_kept, fabsf(w[i]));
		else
			max_pruned = fmaxf(max_pruned, fabsf(w[i]));
	return max_pruned <= min_kept;
}

TEST(magnitude_exact_count_and_order)
{
	static const double sp[] = { 0, 0.1, 0.5, 0.7, 0.999, 1 };
	size_t n = 1001, i;
	float *w;
	uint8_t *keep = malloc(n);

	rng_seed(10);
	w = rnd_weights(n);
	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, keep);
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, prune_magnitude(w, n, sp[i], keep));
		ASSERT_EQ((size_t)floor(sp[i] * n + 0.5), pruned(keep, n));
		ASSERT_TRUE(magnitude_ordered(w, keep, n));
	}
	/* Ties: equal magnitudes go lowest index first. */
	for (i = 0; i < 10; i++)
		w[i] = i % 2 ? -1.0f : 1.0f;
	ASSERT_EQ(0, prune_magnitude(w, 10, 0.3, keep));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(i >= 3, keep[i]);
	/* Bad arguments. */
	ASSERT_EQ(-EINVAL, prune_magnitude(w, 10, -0.1, keep));
	ASSERT_EQ(-EINVAL, prune_magnitude(w, 10, 1.5, keep));
	ASSERT_EQ(-EINVAL, prune_magnitude(w, 10, NAN, keep));
	w[4] = NAN;
	ASSERT_EQ(-EINVAL, prune_magnitude(w, 10, 0.5, keep));
	w[4] = INFINITY;
	ASSERT_EQ(-EINVAL, prune_magnitude(w, 10, 0.5, keep));
	ASSERT_EQ(3, prune_target_zeros(0.25, 10)); /* 2.5 rounds up */
	ASSERT_EQ(0, prune_target_zeros(-1, 10));
	ASSERT_EQ(10, prune_target_zeros(2, 10));
	free(keep);
	free(w);
}

TEST(magnitude_global_one_threshold)
{
	size_t n[3] = { 100, 37, 500 }, i, j, total = 0, z = 0;
	struct prune_layer l[3];
	float max_pruned = -1, min_kept = INFINITY;

	rng_seed(11);
	for (i = 0; i < 3; i++) {
		l[i].n = n[i];
		l[i].w = rnd_weights(n[i]);
		l[i].keep = malloc(n[i]);
		ASSERT_NE(NULL, l[i].w);
		ASSERT_NE(NULL, l[i].keep);
		/* Layers of different scales: global prunes them unevenly. */
		for (j = 0; j < n[i]; j++)
			((float *)l[i].w)[j] *= (float)(i + 1);
		total += n[i];
	}
	ASSERT_EQ(0, prune_magnitude_global(l, 3, 0.6));
	for (i = 0; i < 3; i++)
		for (j = 0; j < n[i]; j++) {
			float a = fabsf(l[i].w[j]);

			if (l[i].keep[j]) {
				min_kept = fminf(min_kept, a);
			} else {
				max_pruned = fmaxf(max_pruned, a);
				z++;
			}
		}
	ASSERT_EQ((size_t)floor(0.6 * total + 0.5), z);
	ASSERT_LE(max_pruned, min_kept);
	/* The small-scale layer lost more than the large one. */
	ASSERT_GT(pruned(l[0].keep, n[0]) * n[2],
		  pruned(l[2].keep, n[2]) * n[0]);
	ASSERT_EQ(-EINVAL, prune_magnitude_global(l, 3, 1.01));
	l[1].keep = NULL;
	ASSERT_EQ(-EINVAL, prune_magnitude_global(l, 3, 0.5));
	for (i = 0; i < 3; i++) {
		free((float *)l[i].w);
		free(l[i].keep);
	}
}

TEST(nm_mask_structure)
{
	size_t rows = 7, cols = 30, r, g, j;
	static const unsigned int nm[][2] = { { 2, 4 }, { 1, 4 }, { 3, 8 } };
	uint8_t *keep = malloc(rows * cols);
	float *w;
	int v;

	rng_seed(21);
	w = rnd_weights(rows * cols);
	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, keep);
	for (v = 0; v < 3; v++) {
		unsigned int n = nm[v][0], m = nm[v][1];

		ASSERT_EQ(0, prune_nm_mask(w, rows, cols, n, m, keep));
		for (r = 0; r < rows; r++)
			for (g = 0; g < cols; g += m) {
				size_t g1 = g + m < cols ? g + m : cols,
				       kept = 0;
				const float *wr = w + r * cols;

				for (j = g; j < g1; j++)
					kept += keep[r * cols + j];
				ASSERT_EQ(g1 - g < n ? g1 - g : n, kept);
				ASSERT_TRUE(magnitude_ordered(
					wr + g, keep + r * cols + g, g1 - g));
			}
	}
	ASSERT_EQ(-EINVAL, prune_nm_mask(w, rows, cols, 4, 4, keep));
	ASSERT_EQ(-EINVAL, prune_nm_mask(w, rows, cols, 0, 4, keep));
	w[3] = NAN;
	ASSERT_EQ(-EINVAL, prune_nm_mask(w, rows, cols, 2, 4, keep));
	prune_apply_mask(w, keep, 2);
	free(keep);
	free(w);
}

/* ---- Hessian ------------------------------------------------------------- */

static void check_hessian(struct __test_metadata *_metadata, size_t n, size_t k)
{
	float *x = rnd_patches(n, k, NULL, 0);
	double *ref = naive_xtx(x, n, k), mean[400], d = 0, m = 0;
	struct prune_hessian h1, h2;
	size_t i, j;

	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, ref);
	ASSERT_GE(400, k);
	ASSERT_EQ(0, prune_hessian_init(&h1, k));
	ASSERT_EQ(0, prune_hessian_init(&h2, k));
	ASSERT_EQ(0, prune_hessian_add(&h1, x, n, 1));
	ASSERT_EQ(0, prune_hessian_add(&h2, x, n, 2));
	ASSERT_EQ(0, memcmp(h1.h, h2.h, k * k * sizeof(double)));
	for (i = 0; i < k * k; i++) {
		d = fmax(d, fabs(h1.h[i] - ref[i]));
		m = fmax(m, fabs(ref[i]));
	}
	ASSERT_LE(d, 1e-12 * m) TH_LOG("n %zu k %zu: %g of %g", n, k, d, m);
	for (i = 0; i < k; i++)
		for (j = 0; j < k; j++)
			ASSERT_EQ(h1.h[i * k + j], h1.h[j * k + i]);
	ASSERT_EQ(0, prune_hessian_mean(&h1, mean));
	for (j = 0; j < k; j++) {
		double s = 0;

		for (i = 0; i < n; i++)
			s += x[i * k + j];
		ASSERT_LT(fabs(mean[j] - s / n), 1e-9);
	}
	ASSERT_EQ(n, h1.n);
	prune_hessian_release(&h1);
	prune_hessian_release(&h2);
	free(ref);
	free(x);
}

TEST(hessian_vs_naive)
{
	rng_seed(12);
	/* Direct products (big k), and chunks of patches (small k). */
	check_hessian(_metadata, 1, 1);
	check_hessian(_metadata, 37, 9);
	check_hessian(_metadata, 300, 400);
	check_hessian(_metadata, 9000, 27);
	check_hessian(_metadata, 4097, 100);
}

TEST(hessian_batches_and_bad_input)
{
	size_t n = 500, k = 60, i;
	struct prune_hessian a, b;
	double mean[60];
	float *x;

	rng_seed(22);
	x = rnd_patches(n, k, NULL, 0);
	ASSERT_NE(NULL, x);
	ASSERT_EQ(0, prune_hessian_init(&a, k));
	ASSERT_EQ(0, prune_hessian_init(&b, k));
	ASSERT_EQ(-EINVAL, prune_hessian_mean(&a, mean));
	ASSERT_EQ(0, prune_hessian_add(&a, x, n, 0));
	ASSERT_EQ(0, prune_hessian_add(&b, x, 123, 0));
	ASSERT_EQ(0, prune_hessian_add(&b, x + 123 * k, n - 123, 0));
	ASSERT_EQ(0, prune_hessian_add(&b, x, 0, 0));
	for (i = 0; i < k * k; i++)
		ASSERT_LT(fabs(a.h[i] - b.h[i]), 1e-9 * (1 + fabs(a.h[i])));
	/* A non-finite value: refused, nothing added. */
	memcpy(b.h, a.h, k * k * sizeof(double));
	x[77] = NAN;
	ASSERT_EQ(-EINVAL, prune_hessian_add(&b, x, n, 0));
	x[77] = -INFINITY;
	ASSERT_EQ(-EINVAL, prune_hessian_add(&b, x, n, 0));
	ASSERT_EQ(0, memcmp(a.h, b.h, k * k * sizeof(double)));
	ASSERT_EQ(n, b.n);
	ASSERT_EQ(-EINVAL, prune_hessian_add(&b, NULL, 3, 0));
	prune_hessian_release(&a);
	prune_hessian_release(&b);
	ASSERT_EQ(-EINVAL, prune_hessian_init(&a, 0));
	ASSERT_EQ(-EINVAL, prune_hessian_init(&a, (size_t)1 << 40));
	free(x);
}

/* ---- reconstruction ------------------------------------------------------ */

struct layer {
	size_t rows, k, n;
	float *x, *w;
	double *h;
};

static bool make_layer(struct layer *l, size_t rows, size_t k, size_t n,
		       const size_t *dead, size_t ndead)
{
	struct prune_hessian hs;

	l->rows = rows;
	l->k = k;
	l->n = n;
	l->x = rnd_patches(n, k, dead, ndead);
	l->w = rnd_weights(rows * k);
	l->h = NULL;
	if (!l->x || !l->w || prune_hessian_init(&hs, k))
		return false;
	if (prune_hessian_add(&hs, l->x, n, 0)) {
		prune_hessian_release(&hs);
		return false;
	}
	l->h = hs.h;
	free(hs.sum);
	return true;
}

static void free_layer(struct layer *l)
{
	free(l->x);
	free(l->w);
	free(l->h);
}

static float *dup_w(const struct layer *l)
{
	float *w = malloc(l->rows * l->k * sizeof(*w));

	if (w)
		memcpy(w, l->w, l->rows * l->k * sizeof(*w));
	return w;
}

/* Error of @l's magnitude-pruned weights at @sparsity. */
static double magnitude_err(const struct layer *l, double sparsity)
{
	size_t cnt = l->rows * l->k;
	float *w = dup_w(l);
	uint8_t *keep = malloc(cnt);
	double e = -1;

	if (w && keep && !prune_magnitude(l->w, cnt, sparsity, keep)) {
		prune_apply_mask(w, keep, cnt);
		e = out_err(l->x, l->n, l->k, l->w, w, l->rows);
	}
	free(keep);
	free(w);
	return e;
}

TEST(obs_matches_literal_sparsegpt)
{
	/* Per layer, per row, 2:4, 1:4; blocks dividing k or not. */
	static const struct {
		enum prune_scope scope;
		unsigned int n, m;
		size_t block, k;
		double sparsity;
	} cases[] = {
		{ PRUNE_PER_LAYER, 0, 0, 16, 48, 0.5 },
		{ PRUNE_PER_LAYER, 0, 0, 20, 50, 0.7 },
		{ PRUNE_PER_ROW, 0, 0, 16, 48, 0.3 },
		{ PRUNE_PER_LAYER, 2, 4, 16, 48, 0 },
		{ PRUNE_PER_LAYER, 1, 4, 12, 50, 0 },
	};
	size_t c;

	rng_seed(13);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct layer l;
		struct prune_opts o = {
			.sparsity = cases[c].sparsity,
			.scope = cases[c].scope,
			.nm_n = cases[c].n,
			.nm_m = cases[c].m,
			.block = cases[c].block,
			.solve = PRUNE_SOLVE_OBS,
		};
		struct prune_result res;
		size_t cnt, i;
		float *w, *ref;
		uint8_t *keep, *rkeep;

		ASSERT_TRUE(make_layer(&l, 6, cases[c].k, 200, NULL, 0));
		cnt = l.rows * l.k;
		w = dup_w(&l);
		ref = dup_w(&l);
		keep = malloc(cnt);
		rkeep = malloc(cnt);
		ASSERT_NE(NULL, w);
		ASSERT_NE(NULL, ref);
		ASSERT_NE(NULL, keep);
		ASSERT_NE(NULL, rkeep);
		ASSERT_EQ(0, prune_reconstruct(w, l.rows, l.k, l.h, &o, keep,
					       &res));
		ASSERT_FALSE(res.exact);
		ASSERT_EQ(0, res.retries);
		ASSERT_TRUE(ref_sparsegpt(ref, l.rows, l.k, l.h, o.sparsity,
					  o.scope == PRUNE_PER_ROW, o.nm_n,
					  o.nm_m, o.block, rkeep));
		ASSERT_EQ(0, memcmp(keep, rkeep, cnt)) TH_LOG("case %zu", c);
		for (i = 0; i < cnt; i++)
			ASSERT_LT(fabsf(w[i] - ref[i]),
				  1e-4f * (1 + fabsf(ref[i])))
		TH_LOG("case %zu [%zu]: %g vs %g", c, i, w[i], ref[i]);
		free(keep);
		free(rkeep);
		free(w);
		free(ref);
		free_layer(&l);
	}
}

TEST(reconstruct_beats_magnitude)
{
	static const double sp[] = { 0.3, 0.5, 0.7 };
	struct layer l;
	size_t i, cnt;

	rng_seed(14);
	ASSERT_TRUE(make_layer(&l, 32, 144, 2000, NULL, 0));
	cnt = l.rows * l.k;
	for (i = 0; i < 3; i++) {
		enum prune_solve solve;

		for (solve = PRUNE_SOLVE_AUTO; solve <= PRUNE_SOLVE_EXACT;
		     solve++) {
			struct prune_opts o = { .sparsity = sp[i],
						.solve = solve };
			double e_mag = magnitude_err(&l, sp[i]), e_rec, e_h;
			float *w = dup_w(&l);
			struct prune_result res;

			ASSERT_NE(NULL, w);
			ASSERT_EQ(0, prune_reconstruct(w, l.rows, l.k, l.h, &o,
						       NULL, &res));
			ASSERT_EQ((size_t)floor(sp[i] * cnt + 0.5),
				  zeros(w, cnt));
			ASSERT_EQ(solve != PRUNE_SOLVE_OBS, res.exact);
			e_rec = out_err(l.x, l.n, l.k, l.w, w, l.rows);
			TH_LOG("sparsity %.1f solve %d: magnitude %.4g reconstruct %.4g (%.1f%%)",
			       sp[i], solve, e_mag, e_rec, 100 * e_rec / e_mag);
			/*
			 * By a clear margin (about 1/3 and 1/5 of it at
			 * 50%): the sweep alone, and with the re-solve.
			 */
			ASSERT_LT(e_rec,
				  e_mag * (solve == PRUNE_SOLVE_OBS ? 0.6 :
								      0.4));
			/* prune_output_error() agrees with X itself. */
			ASSERT_EQ(0, prune_output_error(l.w, w, l.rows, l.k,
							l.h, 0, &e_h));
			ASSERT_LT(fabs(e_h - e_rec), 1e-6 * e_rec);
			free(w);
		}
	}
	free_layer(&l);
}

TEST(exact_resolve_vs_normal_equations)
{
	struct layer l;
	size_t cnt, r;
	float *w, *ref;
	uint8_t *keep;

	rng_seed(15);
	/* Two rows share a mask: the cached factor must give the same. */
	ASSERT_TRUE(make_layer(&l, 9, 70, 300, NULL, 0));
	cnt = l.rows * l.k;
	w = dup_w(&l);
	ref = dup_w(&l);
	keep = malloc(cnt);
	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, ref);
	ASSERT_NE(NULL, keep);
	ASSERT_EQ(0, prune_magnitude(l.w, cnt, 0.6, keep));
	memcpy(keep + 4 * l.k, keep + 3 * l.k, l.k);
	memset(keep + 8 * l.k, 0, l.k); /* a row losing everything */
	ASSERT_EQ(0, prune_resolve(w, l.rows, l.k, l.h, keep, 0.02, 2));
	ASSERT_TRUE(ref_resolve(ref, l.rows, l.k, l.h, keep, 0.02));
	for (r = 0; r < cnt; r++)
		ASSERT_LT(fabsf(w[r] - ref[r]), 2e-5f * (1 + fabsf(ref[r])))
	TH_LOG("[%zu] %g vs %g", r, w[r], ref[r]);
	for (r = 0; r < cnt; r++)
		if (!keep[r])
			ASSERT_EQ(0, w[r]);
	/* 1 and 2 threads: identical. */
	memcpy(ref, l.w, cnt * sizeof(float));
	ASSERT_EQ(0, prune_resolve(ref, l.rows, l.k, l.h, keep, 0.02, 1));
	ASSERT_EQ(0, memcmp(w, ref, cnt * sizeof(float)));
	free(keep);
	free(w);
	free(ref);
	free_layer(&l);
}

TEST(reconstruct_threads_identical)
{
	struct layer l;
	size_t cnt, v;

	rng_seed(16);
	ASSERT_TRUE(make_layer(&l, 40, 300, 600, NULL, 0));
	cnt = l.rows * l.k;
	for (v = 0; v < 4; v++) {
		struct prune_opts o = {
			.sparsity = 0.5,
			.scope = v == 1 ? PRUNE_PER_ROW : PRUNE_PER_LAYER,
			.nm_n = v == 2 ? 2 : 0,
			.nm_m = v == 2 ? 4 : 0,
			.solve = v == 3 ? PRUNE_SOLVE_EXACT : PRUNE_SOLVE_OBS,
		};
		float *a = dup_w(&l), *b = dup_w(&l);
		uint8_t *ka = malloc(cnt), *kb = malloc(cnt);

		ASSERT_NE(NULL, a);
		ASSERT_NE(NULL, b);
		ASSERT_NE(NULL, ka);
		ASSERT_NE(NULL, kb);
		o.nthreads = 1;
		ASSERT_EQ(0,
			  prune_reconstruct(a, l.rows, l.k, l.h, &o, ka, NULL));
		o.nthreads = 2;
		ASSERT_EQ(0,
			  prune_reconstruct(b, l.rows, l.k, l.h, &o, kb, NULL));
		ASSERT_EQ(0, memcmp(a, b, cnt * sizeof(float)));
		ASSERT_EQ(0, memcmp(ka, kb, cnt));
		free(a);
		free(b);
		free(ka);
		free(kb);
	}
	free_layer(&l);
}

TEST(reconstruct_structures)
{
	struct layer l;
	size_t cnt, r, g, j;
	float *w;
	uint8_t *keep, *mask;

	rng_seed(17);
	ASSERT_TRUE(make_layer(&l, 16, 90, 800, NULL, 0));
	cnt = l.rows * l.k;
	keep = malloc(cnt);
	mask = malloc(cnt);
	ASSERT_NE(NULL, keep);
	ASSERT_NE(NULL, mask);
	/* Per row: every row the same count. */
	{
		struct prune_opts o = { .sparsity = 0.4,
					.scope = PRUNE_PER_ROW };

		w = dup_w(&l);
		ASSERT_EQ(0, prune_reconstruct(w, l.rows, l.k, l.h, &o, keep,
					       NULL));
		for (r = 0; r < l.rows; r++)
			ASSERT_EQ(36, pruned(keep + r * l.k, l.k));
		ASSERT_EQ(36 * l.rows, zeros(w, cnt));
		free(w);
	}
	/* 2:4, and its error against 2:4 by magnitude. */
	{
		struct prune_opts o = { .nm_n = 2, .nm_m = 4 };
		double e_rec, e_mag;
		float *wm = dup_w(&l);

		w = dup_w(&l);
		ASSERT_NE(NULL, wm);
		ASSERT_EQ(0, prune_reconstruct(w, l.rows, l.k, l.h, &o, keep,
					       NULL));
		for (r = 0; r < l.rows; r++)
			for (g = 0; g < l.k; g += 4) {
				size_t kept = 0, g1 = g + 4 < l.k ? g + 4 : l.k;

				for (j = g; j < g1; j++) {
					kept += keep[r * l.k + j];
					ASSERT_EQ(keep[r * l.k + j] ? 1 : 0,
						  w[r * l.k + j] != 0);
				}
				ASSERT_EQ(2, kept);
			}
		ASSERT_EQ(0, prune_nm_mask(l.w, l.rows, l.k, 2, 4, mask));
		prune_apply_mask(wm, mask, cnt);
		e_rec = out_err(l.x, l.n, l.k, l.w, w, l.rows);
		e_mag = out_err(l.x, l.n, l.k, l.w, wm, l.rows);
		TH_LOG("2:4: magnitude %.4g reconstruct %.4g", e_mag, e_rec);
		ASSERT_LT(e_rec, e_mag / 3);
		free(wm);
		free(w);
	}
	/* A given mask (here: whole input columns, as after removing a
	 * channel upstream) is used exactly, by both solvers. */
	{
		uint8_t cols[90];
		enum prune_solve s;

		for (j = 0; j < l.k; j++)
			cols[j] = j % 3 != 1;
		prune_columns_mask(cols, l.rows, l.k, mask);
		for (s = PRUNE_SOLVE_AUTO; s <= PRUNE_SOLVE_EXACT; s++) {
			struct prune_opts o = { .mask = mask, .solve = s };
			struct prune_result res;

			w = dup_w(&l);
			ASSERT_EQ(0, prune_reconstruct(w, l.rows, l.k, l.h, &o,
						       keep, &res));
			ASSERT_EQ(0, memcmp(keep, mask, cnt));
			for (j = 0; j < cnt; j++)
				if (!mask[j])
					ASSERT_EQ(0, w[j]);
			ASSERT_EQ(s != PRUNE_SOLVE_OBS, res.exact);
			free(w);
		}
	}
	free(mask);
	free(keep);
	free_layer(&l);
}

TEST(reconstruct_rank_deficient_and_dead_inputs)
{
	static const size_t dead[] = { 0, 7, 8, 99 };
	struct layer l;
	size_t cnt, i;
	float *w;
	uint8_t *keep;
	struct prune_result res;
	struct prune_opts o = { .sparsity = 0.5, .solve = PRUNE_SOLVE_OBS };
	double e_rec, e_mag;

	rng_seed(18);
	/* k = 100 > n = 40 patches: H has rank 40 at most. */
	ASSERT_TRUE(make_layer(&l, 20, 100, 40, dead, 4));
	cnt = l.rows * l.k;
	w = dup_w(&l);
	keep = malloc(cnt);
	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, keep);
	ASSERT_EQ(0, prune_reconstruct(w, l.rows, l.k, l.h, &o, keep, &res));
	for (i = 0; i < cnt; i++)
		ASSERT_TRUE(isfinite(w[i]));
	ASSERT_EQ(cnt / 2, zeros(w, cnt));
	/* Weights on always-zero inputs cost nothing: pruned first. */
	for (i = 0; i < l.rows; i++) {
		ASSERT_EQ(0, keep[i * l.k + 0]);
		ASSERT_EQ(0, keep[i * l.k + 99]);
	}
	e_rec = out_err(l.x, l.n, l.k, l.w, w, l.rows);
	e_mag = magnitude_err(&l, 0.5);
	TH_LOG("rank-deficient: magnitude %.4g reconstruct %.4g", e_mag, e_rec);
	ASSERT_LT(e_rec, e_mag / 3);
	/* The exact re-solve too: damping keeps it defined. */
	memcpy(w, l.w, cnt * sizeof(float));
	o.solve = PRUNE_SOLVE_EXACT;
	ASSERT_EQ(0, prune_reconstruct(w, l.rows, l.k, l.h, &o, keep, &res));
	ASSERT_TRUE(res.exact);
	ASSERT_LT(out_err(l.x, l.n, l.k, l.w, w, l.rows), e_mag / 3);
	/* H all zero: nothing to fit, still no failure. */
	memset(l.h, 0, l.k * l.k * sizeof(double));
	memcpy(w, l.w, cnt * sizeof(float));
	o.solve = PRUNE_SOLVE_AUTO;
	ASSERT_EQ(0, prune_reconstruct(w, l.rows, l.k, l.h, &o, keep, &res));
	ASSERT_EQ(cnt / 2, zeros(w, cnt));
	free(keep);
	free(w);
	free_layer(&l);
}

TEST(reconstruct_damping_retry)
{
	/* A Hessian that is not positive semi-definite (-1 on the
	 * diagonal of an otherwise zero block) fails Cholesky until the
	 * damping has grown past it. */
	size_t k = 8, rows = 2, i;
	double h[64] = { 0 };
	float w[16];
	struct prune_opts o = { .sparsity = 0.5, .solve = PRUNE_SOLVE_OBS };
	struct prune_result res;

	for (i = 0; i < k; i++)
		h[i * k + i] = 1;
	h[3 * k + 4] = h[4 * k + 3] = 1.5; /* indefinite 2x2 block */
	for (i = 0; i < rows * k; i++)
		w[i] = (float)(i + 1);
	ASSERT_EQ(0, prune_reconstruct(w, rows, k, h, &o, NULL, &res));
	ASSERT_LT(0, res.retries);
	/* lambda grew tenfold per retry from 0.01 * mean diag (1). */
	ASSERT_LT(fabs(res.damp - 0.01 * pow(10, res.retries)),
		  1e-9 * res.damp);
	ASSERT_LT(0.5, res.damp);
	ASSERT_EQ(8, zeros(w, rows * k));
}

TEST(reconstruct_bad_arguments)
{
	double h[16] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 };
	float w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct prune_opts o = { .sparsity = 0.5 };
	uint8_t keep[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };

	ASSERT_EQ(-EINVAL, prune_reconstruct(NULL, 2, 4, h, &o, NULL, NULL));
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, NULL, &o, NULL, NULL));
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, h, NULL, NULL, NULL));
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 0, 4, h, &o, NULL, NULL));
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 0, h, &o, NULL, NULL));
	o.sparsity = 1;
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, h, &o, NULL, NULL));
	o.sparsity = -0.5;
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, h, &o, NULL, NULL));
	o.sparsity = NAN;
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, h, &o, NULL, NULL));
	o.sparsity = 0.5;
	o.percdamp = -1;
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, h, &o, NULL, NULL));
	o.percdamp = 0;
	o.nm_n = 4;
	o.nm_m = 4;
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, h, &o, NULL, NULL));
	o.nm_n = 0;
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, h, &o, NULL, NULL));
	o.nm_m = 0;
	o.solve = 7;
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, h, &o, NULL, NULL));
	o.solve = PRUNE_SOLVE_AUTO;
	w[5] = NAN;
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, h, &o, NULL, NULL));
	w[5] = 6;
	h[6] = INFINITY;
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, h, &o, NULL, NULL));
	ASSERT_EQ(-EINVAL, prune_resolve(w, 2, 4, h, keep, 0, 0));
	h[6] = 0;
	h[5] = -1; /* a negative diagonal is no X^T X */
	ASSERT_EQ(-EINVAL, prune_reconstruct(w, 2, 4, h, &o, NULL, NULL));
	h[5] = 1;
	ASSERT_EQ(-EINVAL, prune_resolve(w, 2, 4, h, keep, -1, 0));
	ASSERT_EQ(-EINVAL, prune_resolve(w, 2, 4, h, NULL, 0, 0));
	/* Untouched by all of that. */
	ASSERT_EQ(1, w[0]);
	ASSERT_EQ(8, w[7]);
	ASSERT_EQ(0, prune_reconstruct(w, 2, 4, h, &o, keep, NULL));
	ASSERT_EQ(4, zeros(w, 8));
}

#define FMNIST_TEST \
	"/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"

/*
 * Real image statistics: 5x5 patches (stride 2) of Debian's Fashion-MNIST
 * test images, pixels / 255, as a first conv layer sees them.
 */
static float *fmnist_patches(size_t images, size_t *n)
{
	unsigned char hdr[16], *img = malloc(images * 784);
	size_t i, y, x, dy, dx, at = 0;
	gzFile f = gzopen(FMNIST_TEST, "rb");
	float *p = NULL;

	if (!f || !img || gzread(f, hdr, 16) != 16 || hdr[3] != 3 ||
	    gzread(f, img, images * 784) != (int)(images * 784))
		goto out;
	*n = images * 12 * 12;
	p = malloc(*n * 25 * sizeof(*p));
	for (i = 0; p && i < images; i++)
		for (y = 0; y < 24; y += 2)
			for (x = 0; x < 24; x += 2, at++)
				for (dy = 0; dy < 5; dy++)
					for (dx = 0; dx < 5; dx++)
						p[at * 25 + dy * 5 + dx] =
							img[i * 784 +
							    (y + dy) * 28 + x +
							    dx] /
							255.0f;
out:
	if (f)
		gzclose(f);
	free(img);
	return p;
}

TEST(reconstruct_on_fashion_mnist_patches)
{
	struct prune_hessian hs;
	struct layer l = { .rows = 16, .k = 25 };
	size_t cnt = 16 * 25;
	enum prune_solve s;

	l.x = fmnist_patches(300, &l.n);
	if (!l.x)
		SKIP(return, "needs " FMNIST_TEST " (dataset-fashion-mnist)");
	rng_seed(23);
	l.w = rnd_weights(cnt);
	ASSERT_NE(NULL, l.w);
	ASSERT_EQ(0, prune_hessian_init(&hs, l.k));
	ASSERT_EQ(0, prune_hessian_add(&hs, l.x, l.n, 0));
	l.h = hs.h;
	for (s = PRUNE_SOLVE_AUTO; s <= PRUNE_SOLVE_OBS; s++) {
		struct prune_opts o = { .sparsity = 0.5, .solve = s };
		double e_mag = magnitude_err(&l, 0.5), e_rec;
		float *w = dup_w(&l);

		ASSERT_NE(NULL, w);
		ASSERT_EQ(0, prune_reconstruct(w, l.rows, l.k, l.h, &o, NULL,
					       NULL));
		e_rec = out_err(l.x, l.n, l.k, l.w, w, l.rows);
		TH_LOG("solve %d: magnitude %.4g reconstruct %.4g (%.1f%%)", s,
		       e_mag, e_rec, 100 * e_rec / e_mag);
		ASSERT_LT(e_rec, e_mag * (s == PRUNE_SOLVE_OBS ? 0.25 : 0.15));
		free(w);
	}
	prune_hessian_release(&hs);
	l.h = NULL;
	free_layer(&l);
}

/* ---- bias, output error, channels ---------------------------------------- */

TEST(bias_correction_keeps_mean_output)
{
	struct layer l;
	struct prune_hessian hs;
	struct prune_opts o = { .sparsity = 0.7 };
	double mean[64];
	float *w, bias[8] = { 0.5f, -1, 2, 0, 0, 0, 0, 3 }, b0[8];
	size_t r, i, j;

	rng_seed(19);
	ASSERT_TRUE(make_layer(&l, 8, 64, 500, NULL, 0));
	ASSERT_EQ(0, prune_hessian_init(&hs, l.k));
	ASSERT_EQ(0, prune_hessian_add(&hs, l.x, l.n, 0));
	ASSERT_EQ(0, prune_hessian_mean(&hs, mean));
	w = dup_w(&l);
	ASSERT_NE(NULL, w);
	ASSERT_EQ(0, prune_reconstruct(w, l.rows, l.k, l.h, &o, NULL, NULL));
	memcpy(b0, bias, sizeof(bias));
	prune_bias_correct(l.w, w, l.rows, l.k, mean, bias);
	/* Mean over the patches of each output, before and after. */
	for (r = 0; r < l.rows; r++) {
		double before = 0, after = 0;

		for (i = 0; i < l.n; i++) {
			double y0 = b0[r], y1 = bias[r];

			for (j = 0; j < l.k; j++) {
				y0 += (double)l.w[r * l.k + j] *
				      l.x[i * l.k + j];
				y1 += (double)w[r * l.k + j] * l.x[i * l.k + j];
			}
			before += y0 / l.n;
			after += y1 / l.n;
		}
		ASSERT_LT(fabs(before - after), 1e-4 * (1 + fabs(before)));
	}
	prune_hessian_release(&hs);
	free(w);
	free_layer(&l);
}

TEST(channel_scores_select_and_maps)
{
	float w[4 * 3] = { 1, -2, 3, 0, 0, 0.5f, -6, 0, 0, 1, 1, 1 };
	double score[4], tie[5] = { 1, 3, 1, 3, 1 };
	uint8_t keep[5], kc[4] = { 1, 0, 1, 1 };
	size_t chan[4], col[8], kept, i;
	/* A next layer of 2 outputs, K = 2 spatial x 4 channels. */
	float next[2 * 8], out[2 * 6], want;

	prune_channel_l1(w, 4, 3, score);
	ASSERT_EQ(6, score[0]);
	ASSERT_EQ(0.5, score[1]);
	ASSERT_EQ(6, score[2]);
	ASSERT_EQ(3, score[3]);
	ASSERT_EQ(0, prune_channel_select(score, 4, 2, keep));
	ASSERT_EQ(1, keep[0]);
	ASSERT_EQ(0, keep[1]);
	ASSERT_EQ(1, keep[2]);
	ASSERT_EQ(0, keep[3]);
	/* Ties: the lower index kept. */
	ASSERT_EQ(0, prune_channel_select(tie, 5, 3, keep));
	ASSERT_EQ(0, keep[0]);
	ASSERT_EQ(1, keep[1]);
	ASSERT_EQ(0, keep[2]);
	ASSERT_EQ(1, keep[3]);
	ASSERT_EQ(1, keep[4]);
	ASSERT_EQ(-EINVAL, prune_channel_select(tie, 5, 0, keep));
	ASSERT_EQ(-EINVAL, prune_channel_select(tie, 5, 6, keep));
	tie[2] = NAN;
	ASSERT_EQ(-EINVAL, prune_channel_select(tie, 5, 2, keep));

	/* Channel-last K: column = s * channels + c. */
	ASSERT_EQ(0, prune_channel_maps(kc, 4, 2, true, chan, col, &kept));
	ASSERT_EQ(3, kept);
	ASSERT_EQ(0, chan[0]);
	ASSERT_EQ(2, chan[1]);
	ASSERT_EQ(3, chan[2]);
	{
		static const size_t want_last[6] = { 0, 2, 3, 4, 6, 7 };
		static const size_t want_first[6] = { 0, 1, 4, 5, 6, 7 };

		for (i = 0; i < 6; i++)
			ASSERT_EQ(want_last[i], col[i]);
		/* Channel-first K: column = c * spatial + s. */
		ASSERT_EQ(0, prune_channel_maps(kc, 4, 2, false, NULL, col,
						&kept));
		for (i = 0; i < 6; i++)
			ASSERT_EQ(want_first[i], col[i]);
	}
	/* Gather the next layer's kept columns. */
	for (i = 0; i < 16; i++)
		next[i] = (float)i;
	ASSERT_EQ(0, prune_gather(next, 2, 8, NULL, 2, col, 6, out));
	for (i = 0; i < 12; i++) {
		want = next[(i / 6) * 8 + col[i % 6]];
		ASSERT_EQ(want, out[i]);
	}
	/* And this layer's kept rows. */
	ASSERT_EQ(0, prune_channel_maps(kc, 4, 2, true, chan, NULL, &kept));
	ASSERT_EQ(0, prune_gather(w, 4, 3, chan, 3, NULL, 3, out));
	ASSERT_EQ(0, memcmp(out, w, 3 * sizeof(float)));
	ASSERT_EQ(0, memcmp(out + 3, w + 6, 6 * sizeof(float)));
	/* Bad arguments. */
	memset(kc, 0, sizeof(kc));
	ASSERT_EQ(-EINVAL,
		  prune_channel_maps(kc, 4, 2, true, chan, col, &kept));
	kc[1] = 1;
	ASSERT_EQ(-EINVAL,
		  prune_channel_maps(kc, 4, 0, true, chan, col, &kept));
	chan[0] = 4;
	ASSERT_EQ(-EINVAL, prune_gather(w, 4, 3, chan, 1, NULL, 3, out));
	col[0] = 3;
	ASSERT_EQ(-EINVAL, prune_gather(w, 4, 3, NULL, 4, col, 1, out));
	ASSERT_EQ(-EINVAL, prune_gather(w, 4, 3, NULL, 3, NULL, 3, out));
}

/* ---- speed --------------------------------------------------------------- */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* A loaded machine may take longer than the default 30 s. */
FIXTURE(speed)
{
	int unused;
};
FIXTURE_SETUP(speed)
{
}
FIXTURE_TEARDOWN(speed)
{
}

TEST_F_TIMEOUT(speed, resnet_layer, 300)
{
	/* ResNet's 3x3x512 -> 512; a quarter each way under sanitizers. */
#ifdef __SANITIZE_ADDRESS__
	size_t rows = 128, k = 1152, n = 1024;
#else
	size_t rows = 512, k = 4608, n = 2048;
#endif
	struct prune_opts o = { .sparsity = 0.5 };
	struct prune_hessian hs;
	struct prune_result res;
	float *x = malloc(n * k * sizeof(float)), *w;
	double t0, t1, t2;
	size_t i;

	rng_seed(20);
	w = rnd_weights(rows * k);
	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, w);
	/* ReLU-like, cheap to make: the speed does not depend on them. */
	for (i = 0; i < n * k; i++)
		x[i] = (float)fmax(0, rnd_unit() - 0.4 + 0.3 * (i % 7 == 0));
	ASSERT_EQ(0, prune_hessian_init(&hs, k));
	t0 = now();
	ASSERT_EQ(0, prune_hessian_add(&hs, x, n, 0));
	t1 = now();
	ASSERT_EQ(0, prune_reconstruct(w, rows, k, hs.h, &o, NULL, &res));
	t2 = now();
	/* At full size the re-solve would cost 10^12: the sweep alone. */
	if (k == 4608)
		ASSERT_FALSE(res.exact);
	ASSERT_EQ(rows * k / 2, zeros(w, rows * k));
	TH_LOG("%zux%zu: H from %zu patches %.2f s, reconstruct %.2f s", rows,
	       k, n, t1 - t0, t2 - t1);
	/* Generous: a failure means something is badly wrong, not slow. */
	ASSERT_LT(t2 - t1, 60);
	prune_hessian_release(&hs);
	free(w);
	free(x);
}

TEST_HARNESS_MAIN
