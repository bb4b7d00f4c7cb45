// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The dense linear algebra of libvision/linalg.c against naive textbook
 * versions written here (triple-loop products, Cholesky-Banachiewicz,
 * Gauss-Jordan inversion) and against identities (L L^T = A, A A^-1 = I),
 * at sizes on both sides of every blocking and recursion threshold;
 * bit-identical results for 1 and 2 threads; and matrices that are not
 * positive definite, refused with -EDOM.
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
#include "linalg.h"

#include "kselftest_harness.h"

/* ---- naive references ---------------------------------------------------- */

static double rnd_sym(void)
{
	return 2 * rnd_unit() - 1;
}

static double *rnd_matrix(size_t n)
{
	double *m = malloc(n * sizeof(*m));
	size_t i;

	for (i = 0; m && i < n; i++)
		m[i] = rnd_sym();
	return m;
}

/* A = B B^T + shift I, B n x (n/2 + 1): SPD, moderately conditioned. */
static double *rnd_spd(size_t n, double shift)
{
	size_t k = n / 2 + 1, i, j, p;
	double *b = rnd_matrix(n * k), *a = malloc(n * n * sizeof(*a));

	for (i = 0; a && b && i < n; i++)
		for (j = 0; j < n; j++) {
			double s = i == j ? shift : 0;

			for (p = 0; p < k; p++)
				s += b[i * k + p] * b[j * k + p];
			a[i * n + j] = s;
		}
	free(b);
	return a;
}

/* Cholesky-Banachiewicz, row by row, into a separate zeroed matrix. */
static bool naive_cholesky(const double *a, size_t n, double *l)
{
	size_t i, j, p;

	memset(l, 0, n * n * sizeof(*l));
	for (i = 0; i < n; i++)
		for (j = 0; j <= i; j++) {
			double s = a[i * n + j];

			for (p = 0; p < j; p++)
				s -= l[i * n + p] * l[j * n + p];
			if (i == j) {
				if (s <= 0)
					return false;
				l[i * n + i] = sqrt(s);
			} else {
				l[i * n + j] = s / l[j * n + j];
			}
		}
	return true;
}

/* Gauss-Jordan with partial pivoting. */
static bool naive_inverse(const double *a, size_t n, double *inv)
{
	double *m = malloc(n * n * sizeof(*m));
	size_t i, j, c, piv;

	if (!m)
		return false;
	memcpy(m, a, n * n * sizeof(*m));
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			inv[i * n + j] = i == j;
	for (c = 0; c < n; c++) {
		double d;

		piv = c;
		for (i = c + 1; i < n; i++)
			if (fabs(m[i * n + c]) > fabs(m[piv * n + c]))
				piv = i;
		if (m[piv * n + c] == 0) {
			free(m);
			return false;
		}
		for (j = 0; j < n; j++) {
			double t = m[c * n + j];

			m[c * n + j] = m[piv * n + j];
			m[piv * n + j] = t;
			t = inv[c * n + j];
			inv[c * n + j] = inv[piv * n + j];
			inv[piv * n + j] = t;
		}
		d = m[c * n + c];
		for (j = 0; j < n; j++) {
			m[c * n + j] /= d;
			inv[c * n + j] /= d;
		}
		for (i = 0; i < n; i++) {
			double f = m[i * n + c];

			if (i == c || f == 0)
				continue;
			for (j = 0; j < n; j++) {
				m[i * n + j] -= f * m[c * n + j];
				inv[i * n + j] -= f * inv[c * n + j];
			}
		}
	}
	free(m);
	return true;
}

/* Largest |x - y| over @n, relative to the largest |y| (at least 1). */
static double rel_diff(const double *x, const double *y, size_t n)
{
	double d = 0, m = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		d = fmax(d, fabs(x[i] - y[i]));
		m = fmax(m, fabs(y[i]));
	}
	return d / m;
}

/* ---- parallel_for -------------------------------------------------------- */

struct pf_ctx {
	unsigned int *seen;
	unsigned int bad_worker;
	unsigned int nthreads;
};

static void pf_item(void *ctx, size_t item, unsigned int worker)
{
	struct pf_ctx *c = ctx;

	__atomic_fetch_add(&c->seen[item], 1, __ATOMIC_RELAXED);
	if (worker >= c->nthreads)
		__atomic_fetch_add(&c->bad_worker, 1, __ATOMIC_RELAXED);
}

TEST(parallel_for_every_item_once)
{
	static const size_t counts[] = { 0, 1, 2, 3, 100, 1000 };
	static const unsigned int threads[] = { 1, 2, 5, 0 };
	size_t ci, ti, i;

	for (ci = 0; ci < 6; ci++)
		for (ti = 0; ti < 4; ti++) {
			struct pf_ctx c = { calloc(counts[ci] + 1,
						   sizeof(unsigned int)),
					    0, linalg_threads(threads[ti]) };

			ASSERT_NE(NULL, c.seen);
			linalg_parallel_for(threads[ti], counts[ci], pf_item,
					    &c);
			for (i = 0; i < counts[ci]; i++)
				ASSERT_EQ(1, c.seen[i]);
			ASSERT_EQ(0, c.seen[counts[ci]]);
			ASSERT_EQ(0, c.bad_worker);
			free(c.seen);
		}
	ASSERT_EQ(3, linalg_threads(3));
	ASSERT_LE(1, linalg_threads(0));
	ASSERT_EQ(LINALG_MAX_THREADS, linalg_threads(1000));
}

/* ---- gemm ---------------------------------------------------------------- */

/* op(X) element (i, j) as linalg.h defines it. */
static double at(const void *x, bool f32, bool trans, size_t ld, size_t i,
		 size_t j)
{
	size_t off = trans ? j * ld + i : i * ld + j;

	return f32 ? ((const float *)x)[off] : ((const double *)x)[off];
}

struct gemm_case {
	size_t m, n, k;
};

static bool check_gemm(struct __test_metadata *_metadata, size_t m, size_t n,
		       size_t k, bool ta, bool tb, bool f32,
		       enum linalg_tri tri, double alpha)
{
	size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
	size_t arows = ta ? k : m, brows = tb ? n : k, i, j, p;
	double *ad = rnd_matrix(arows * lda), *bd = rnd_matrix(brows * ldb);
	double *c0 = rnd_matrix(m * ldc),
	       *c1 = malloc(m * ldc * sizeof(double));
	double *c2 = malloc(m * ldc * sizeof(double));
	float *af = malloc(arows * lda * sizeof(float));
	float *bf = malloc(brows * ldb * sizeof(float));
	const void *a = ad, *b = bd;
	struct linalg_mat ma, mb;
	bool ok = true;

	if (!ad || !bd || !c0 || !c1 || !c2 || !af || !bf)
		return false;
	if (f32) {
		for (i = 0; i < arows * lda; i++)
			af[i] = (float)ad[i];
		for (i = 0; i < brows * ldb; i++)
			bf[i] = (float)bd[i];
		a = af;
		b = bf;
	}
	ma = (struct linalg_mat){ a, lda, ta, f32 };
	mb = (struct linalg_mat){ b, ldb, tb, f32 };
	memcpy(c1, c0, m * ldc * sizeof(double));
	memcpy(c2, c0, m * ldc * sizeof(double));
	if (linalg_gemm(m, n, k, alpha, &ma, &mb, c1, ldc, tri, 1) ||
	    linalg_gemm(m, n, k, alpha, &ma, &mb, c2, ldc, tri, 2))
		ok = false;
	for (i = 0; ok && i < m; i++)
		for (j = 0; j < ldc; j++) {
			double want = c0[i * ldc + j];
			bool in = j < n && (tri == LINALG_FULL ||
					    (tri == LINALG_LOWER && j <= i) ||
					    (tri == LINALG_UPPER && j >= i));

			if (in) {
				double s = 0;

				for (p = 0; p < k; p++)
					s += at(a, f32, ta, lda, i, p) *
					     at(b, f32, tb, ldb, p, j);
				want += alpha * s;
			}
			/* Outside the result: not a bit changed. */
			if (!in ? c1[i * ldc + j] != want :
				  fabs(c1[i * ldc + j] - want) >
					    1e-12 * (k + 1)) {
				TH_LOG("m %zu n %zu k %zu ta %d tb %d f32 %d tri %d: (%zu,%zu) %.17g want %.17g",
				       m, n, k, ta, tb, f32, tri, i, j,
				       c1[i * ldc + j], want);
				ok = false;
				break;
			}
		}
	/* Threads change nothing, to the bit. */
	if (ok && memcmp(c1, c2, m * ldc * sizeof(double))) {
		TH_LOG("m %zu n %zu k %zu: 1 and 2 threads differ", m, n, k);
		ok = false;
	}
	free(ad);
	free(bd);
	free(af);
	free(bf);
	free(c0);
	free(c1);
	free(c2);
	return ok;
}

TEST(gemm_vs_naive)
{
	/* Edges of MR (6), NR (8), KC (256), MC (120), NC (256). */
	static const struct gemm_case cases[] = {
		{ 1, 1, 1 },	  { 5, 7, 3 },	     { 6, 8, 1 },
		{ 7, 9, 257 },	  { 13, 17, 255 },   { 119, 121, 64 },
		{ 121, 257, 5 },  { 240, 255, 300 }, { 250, 260, 513 },
		{ 37, 300, 100 }, { 300, 37, 19 },
	};
	size_t i;
	int v;

	rng_seed(1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (v = 0; v < 8; v++) {
			const struct gemm_case *c = &cases[i];

			ASSERT_TRUE(check_gemm(_metadata, c->m, c->n, c->k,
					       v & 1, v & 2, v & 4,
					       (enum linalg_tri)(v % 3),
					       v & 1 ? -1.0 : 0.75));
		}
}

TEST(gemm_empty_is_noop)
{
	double c[4] = { 1, 2, 3, 4 }, a[4] = { 1, 1, 1, 1 };
	struct linalg_mat m = { a, 2, false, false };

	ASSERT_EQ(0, linalg_gemm(2, 2, 0, 1.0, &m, &m, c, 2, LINALG_FULL, 0));
	ASSERT_EQ(0, linalg_gemm(0, 2, 2, 1.0, &m, &m, c, 2, LINALG_FULL, 0));
	ASSERT_EQ(1, c[0]);
	ASSERT_EQ(4, c[3]);
}

/* ---- Cholesky ------------------------------------------------------------ */

/* Both sides of the recursion bases (16, 32) and of the kernel tiles. */
static const size_t chol_sizes[] = {
	1, 2, 3, 15, 16, 17, 31, 32, 33, 47, 64, 65, 127, 200, 301,
};

TEST(cholesky_vs_naive)
{
	size_t si, i, j;

	rng_seed(2);
	for (si = 0; si < sizeof(chol_sizes) / sizeof(chol_sizes[0]); si++) {
		size_t n = chol_sizes[si];
		double *a = rnd_spd(n, 0.5), *l = malloc(n * n * sizeof(*l));
		double *ref = malloc(n * n * sizeof(*ref)), *llt;

		ASSERT_NE(NULL, a);
		ASSERT_NE(NULL, l);
		ASSERT_NE(NULL, ref);
		memcpy(l, a, n * n * sizeof(*l));
		ASSERT_EQ(0, linalg_cholesky(l, n, n, 0));
		ASSERT_TRUE(naive_cholesky(a, n, ref));
		/* The strict upper triangle is left as it was. */
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++) {
				ASSERT_EQ(a[i * n + j], l[i * n + j]);
				l[i * n + j] = 0;
			}
		ASSERT_LT(rel_diff(l, ref, n * n), 1e-11)
		TH_LOG("n %zu", n);
		/* L L^T = A */
		llt = calloc(n * n, sizeof(*llt));
		ASSERT_NE(NULL, llt);
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++) {
				size_t p;

				for (p = 0; p < n; p++)
					llt[i * n + j] +=
						l[i * n + p] * l[j * n + p];
			}
		ASSERT_LT(rel_diff(llt, a, n * n), 1e-12);
		free(llt);
		free(ref);
		free(l);
		free(a);
	}
}

TEST(cholesky_with_row_stride)
{
	size_t n = 70, ld = 83, i, j;
	double *l = malloc(n * ld * sizeof(*l));
	double *ref = malloc(n * n * sizeof(*ref)), *a;

	rng_seed(7);
	a = rnd_spd(n, 1);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, l);
	ASSERT_NE(NULL, ref);
	for (i = 0; i < n * ld; i++)
		l[i] = 12345;
	for (i = 0; i < n; i++)
		memcpy(l + i * ld, a + i * n, n * sizeof(*l));
	ASSERT_EQ(0, linalg_cholesky(l, n, ld, 2));
	ASSERT_TRUE(naive_cholesky(a, n, ref));
	for (i = 0; i < n; i++) {
		for (j = 0; j <= i; j++)
			ASSERT_LT(fabs(l[i * ld + j] - ref[i * n + j]), 1e-11);
		/* Padding between rows untouched. */
		for (j = n; j < ld; j++)
			ASSERT_EQ(12345, l[i * ld + j]);
	}
	free(ref);
	free(l);
	free(a);
}

TEST(cholesky_threads_identical)
{
	size_t n = 700;
	double *l1 = malloc(n * n * sizeof(double)), *a;
	double *l2 = malloc(n * n * sizeof(double));

	rng_seed(8);
	a = rnd_spd(n, 0.1);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, l1);
	ASSERT_NE(NULL, l2);
	memcpy(l1, a, n * n * sizeof(double));
	memcpy(l2, a, n * n * sizeof(double));
	ASSERT_EQ(0, linalg_cholesky(l1, n, n, 1));
	ASSERT_EQ(0, linalg_cholesky(l2, n, n, 2));
	ASSERT_EQ(0, memcmp(l1, l2, n * n * sizeof(double)));
	ASSERT_EQ(0, linalg_tri_inverse(l1, n, n, 1));
	ASSERT_EQ(0, linalg_tri_inverse(l2, n, n, 2));
	ASSERT_EQ(0, memcmp(l1, l2, n * n * sizeof(double)));
	free(l1);
	free(l2);
	free(a);
}

TEST(cholesky_refuses_non_spd)
{
	size_t sizes[] = { 3, 40, 200 }, si, i;

	rng_seed(3);
	for (si = 0; si < 3; si++) {
		size_t n = sizes[si];
		double *a = rnd_spd(n, 0.5), *w = malloc(n * n * sizeof(*w));

		ASSERT_NE(NULL, a);
		ASSERT_NE(NULL, w);
		/* Indefinite: one eigenvalue pushed well below zero. */
		memcpy(w, a, n * n * sizeof(*w));
		for (i = 0; i < n; i++)
			w[i * n + i] -= 1e3 * n;
		ASSERT_EQ(-EDOM, linalg_cholesky(w, n, n, 0));
		/* The last pivot negative only. */
		memcpy(w, a, n * n * sizeof(*w));
		w[n * n - 1] = -1;
		ASSERT_EQ(-EDOM, linalg_cholesky(w, n, n, 0));
		/* Singular: all zero. */
		memset(w, 0, n * n * sizeof(*w));
		ASSERT_EQ(-EDOM, linalg_cholesky(w, n, n, 0));
		/* NaN anywhere in the lower triangle. */
		memcpy(w, a, n * n * sizeof(*w));
		w[(n - 1) * n + n / 2] = NAN;
		ASSERT_EQ(-EDOM, linalg_cholesky(w, n, n, 0));
		/* Infinite diagonal. */
		memcpy(w, a, n * n * sizeof(*w));
		w[0] = INFINITY;
		ASSERT_EQ(-EDOM, linalg_cholesky(w, n, n, 0));
		/* Damping makes a singular PSD matrix SPD, as callers do. */
		for (i = 0; i < n * n; i++)
			w[i] = 1; /* 1 1^T: rank 1 */
		ASSERT_EQ(-EDOM, linalg_cholesky(w, n, n, 0));
		for (i = 0; i < n * n; i++)
			w[i] = 1;
		linalg_add_diag(w, n, n, 1e-3);
		ASSERT_EQ(0, linalg_cholesky(w, n, n, 0));
		free(w);
		free(a);
	}
}

/* ---- triangular inverse and solves --------------------------------------- */

TEST(tri_inverse_identity)
{
	size_t si, i, j, p;

	rng_seed(4);
	for (si = 0; si < sizeof(chol_sizes) / sizeof(chol_sizes[0]); si++) {
		size_t n = chol_sizes[si];
		double *l = rnd_matrix(n * n), *inv = malloc(n * n * 8);
		double *ref = malloc(n * n * 8);

		ASSERT_NE(NULL, l);
		ASSERT_NE(NULL, inv);
		ASSERT_NE(NULL, ref);
		/* Well conditioned: a dominant diagonal. */
		for (i = 0; i < n; i++) {
			for (j = i + 1; j < n; j++)
				l[i * n + j] = 0;
			for (j = 0; j < i; j++)
				l[i * n + j] *= 1.0 / n;
			l[i * n + i] = 1 + rnd_unit();
		}
		memcpy(inv, l, n * n * 8);
		ASSERT_EQ(0, linalg_tri_inverse(inv, n, n, 0));
		/* Column j of the inverse by naive forward substitution. */
		for (j = 0; j < n; j++)
			for (i = 0; i < n; i++) {
				double s = i == j;

				for (p = 0; p < i; p++)
					s -= l[i * n + p] * ref[p * n + j];
				ref[i * n + j] = s / l[i * n + i];
			}
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				ASSERT_EQ(0, inv[i * n + j]);
		ASSERT_LT(rel_diff(inv, ref, n * n), 1e-12)
		TH_LOG("n %zu", n);
		/* L L^-1 = I */
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++) {
				double s = 0;

				for (p = 0; p < n; p++)
					s += l[i * n + p] * inv[p * n + j];
				ASSERT_LT(fabs(s - (i == j)), 1e-12);
			}
		free(ref);
		free(inv);
		free(l);
	}
}

TEST(tri_inverse_refuses_zero_pivot)
{
	double l[400] = { 0 };
	size_t i, n = 20;

	for (i = 0; i < n; i++)
		l[i * n + i] = 1;
	l[17 * n + 17] = 0;
	ASSERT_EQ(-EDOM, linalg_tri_inverse(l, n, n, 0));
	l[17 * n + 17] = NAN;
	ASSERT_EQ(-EDOM, linalg_tri_inverse(l, n, n, 0));
}

TEST(solves_vs_naive)
{
	size_t n = 90, i, p;
	double *l = malloc(n * n * 8), x[90], b[90], y[90], *a;

	rng_seed(5);
	a = rnd_spd(n, 0.5);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, l);
	for (i = 0; i < n; i++)
		x[i] = rnd_sym();
	/* b = A x; solving must give x back. */
	for (i = 0; i < n; i++) {
		b[i] = 0;
		for (p = 0; p < n; p++)
			b[i] += a[i * n + p] * x[p];
	}
	memcpy(l, a, n * n * 8);
	ASSERT_EQ(0, linalg_cholesky(l, n, n, 0));
	memcpy(y, b, sizeof(b));
	linalg_cholesky_solve(l, n, n, y);
	for (i = 0; i < n; i++)
		ASSERT_LT(fabs(y[i] - x[i]), 1e-9);
	/* The two halves: L (L^T x) = b. */
	for (i = 0; i < n; i++) {
		y[i] = 0;
		for (p = i; p < n; p++)
			y[i] += l[p * n + i] * x[p];
	}
	memcpy(b, y, sizeof(y));
	linalg_solve_lower_t(l, n, n, b);
	for (i = 0; i < n; i++)
		ASSERT_LT(fabs(b[i] - x[i]), 1e-10);
	for (i = 0; i < n; i++) {
		y[i] = 0;
		for (p = 0; p <= i; p++)
			y[i] += l[i * n + p] * x[p];
	}
	linalg_solve_lower(l, n, n, y);
	for (i = 0; i < n; i++)
		ASSERT_LT(fabs(y[i] - x[i]), 1e-10);
	free(l);
	free(a);
}

TEST(spd_inverse_vs_gauss_jordan)
{
	size_t sizes[] = { 1, 5, 33, 150 }, si, i, j, p;

	rng_seed(6);
	for (si = 0; si < 4; si++) {
		size_t n = sizes[si];
		double *a = rnd_spd(n, 0.3), *inv = malloc(n * n * 8);
		double *ref = malloc(n * n * 8);

		ASSERT_NE(NULL, a);
		ASSERT_NE(NULL, inv);
		ASSERT_NE(NULL, ref);
		ASSERT_EQ(0, linalg_spd_inverse(a, n, n, inv, 0));
		ASSERT_TRUE(naive_inverse(a, n, ref));
		ASSERT_LT(rel_diff(inv, ref, n * n), 1e-9);
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++) {
				double s = 0;

				ASSERT_EQ(inv[i * n + j], inv[j * n + i]);
				for (p = 0; p < n; p++)
					s += a[i * n + p] * inv[p * n + j];
				ASSERT_LT(fabs(s - (i == j)), 1e-9);
			}
		/* Not SPD: refused, nothing else. */
		a[0] = -1;
		ASSERT_EQ(-EDOM, linalg_spd_inverse(a, n, n, inv, 0));
		free(ref);
		free(inv);
		free(a);
	}
}

TEST(diag_helpers)
{
	double a[9] = { 1, 9, 9, 9, 2, 9, 9, 9, 6 };

	ASSERT_EQ(3, linalg_mean_diag(a, 3, 3));
	ASSERT_EQ(0, linalg_mean_diag(a, 0, 3));
	linalg_add_diag(a, 3, 3, 0.5);
	ASSERT_EQ(1.5, a[0]);
	ASSERT_EQ(2.5, a[4]);
	ASSERT_EQ(6.5, a[8]);
	ASSERT_EQ(9, a[1]);
}

TEST_HARNESS_MAIN
