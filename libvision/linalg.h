/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: dense double-precision linear algebra for the offline
 * compiler (pruning's Hessians and least-squares solves). Matrices are
 * row-major with a leading dimension (the distance between rows, in
 * elements). Results never depend on the thread count: every output
 * element is summed by one thread in a fixed order.
 */
#ifndef LIBVISION_LINALG_H
#define LIBVISION_LINALG_H

#include <stdbool.h>
#include <stddef.h>

/* The most threads any call uses. */
#define LINALG_MAX_THREADS 64

/* @nthreads, or one per online CPU for 0, capped at LINALG_MAX_THREADS. */
unsigned int linalg_threads(unsigned int nthreads);

/*
 * Call @fn(@ctx, item, worker) for every item in [0, @nitems) on up to
 * @nthreads threads (0: one per CPU), the caller being one of them;
 * worker is a distinct index below the thread count for each thread.
 * Items are handed out in order from a shared counter. Fewer threads are
 * used if some cannot be created, so this cannot fail.
 */
void linalg_parallel_for(unsigned int nthreads, size_t nitems,
			 void (*fn)(void *ctx, size_t item,
				    unsigned int worker),
			 void *ctx);

/*
 * A matrix operand: element (i, j) of op(X) is data[i * ld + j], or
 * data[j * ld + i] when @trans. @f32: the elements are floats (widened
 * to double), else doubles.
 */
struct linalg_mat {
	const void *data;
	size_t ld;
	bool trans;
	bool f32;
};

/* Which elements of the result a product writes. */
enum linalg_tri {
	LINALG_FULL,
	LINALG_LOWER, /* only (i, j) with j <= i */
	LINALG_UPPER, /* only (i, j) with j >= i */
};

/*
 * C (@m x @n, row stride @ldc) += @alpha * op(A) * op(B), op(A) being
 * @m x @k and op(B) @k x @n; with @tri, only that triangle of C is
 * computed and written (symmetric rank-k updates at half the cost).
 * Blocked and packed for the caches, threaded over blocks of C for large
 * products. Returns 0 or -ENOMEM.
 */
int linalg_gemm(size_t m, size_t n, size_t k, double alpha,
		const struct linalg_mat *a, const struct linalg_mat *b,
		double *c, size_t ldc, enum linalg_tri tri,
		unsigned int nthreads);

/*
 * Cholesky factorisation A = L L^T of the symmetric positive definite
 * @n x @n matrix @a in place: its lower triangle becomes L (only the
 * lower triangle is read; the strict upper one is left alone). Returns 0,
 * -EDOM when A is not positive definite to working precision (a pivot
 * not > 0, or not finite; the caller may add damping and retry), or
 * -ENOMEM.
 */
int linalg_cholesky(double *a, size_t n, size_t lda, unsigned int nthreads);

/*
 * Invert the lower-triangular @n x @n matrix @l in place (lower triangle
 * only; diagonal entries must be non-zero). Returns 0, -EDOM for a zero
 * or non-finite diagonal, or -ENOMEM.
 */
int linalg_tri_inverse(double *l, size_t n, size_t ldl, unsigned int nthreads);

/* Solve L y = @b (@l lower triangular, n x n) in place. */
void linalg_solve_lower(const double *l, size_t n, size_t ldl, double *b);
/* Solve L^T x = @b in place. */
void linalg_solve_lower_t(const double *l, size_t n, size_t ldl, double *b);
/* Solve A x = @b in place, given A's Cholesky factor @l. */
void linalg_cholesky_solve(const double *l, size_t n, size_t ldl, double *b);

/*
 * The inverse of the SPD @n x @n matrix @a (read whole, not modified)
 * into @inv (row stride @n, full and symmetric), through the Cholesky
 * factor: A^-1 = L^-T L^-1. Returns 0, -EDOM (not SPD) or -ENOMEM.
 */
int linalg_spd_inverse(const double *a, size_t n, size_t lda, double *inv,
		       unsigned int nthreads);

/* Mean of the diagonal of the @n x @n matrix @a (0 for n = 0). */
double linalg_mean_diag(const double *a, size_t n, size_t lda);
/* Add @lambda to every diagonal element of @a. */
void linalg_add_diag(double *a, size_t n, size_t lda, double lambda);

#endif /* LIBVISION_LINALG_H */
