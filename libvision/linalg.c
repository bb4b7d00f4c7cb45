// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Dense linear algebra in double precision; see linalg.h.
 *
 * One blocked matrix product does the work: it packs blocks of A and B
 * into contiguous micro-panels (converting floats on the way) and runs a
 * 6x8 register-blocked micro-kernel over them, the GotoBLAS scheme. The
 * factorisations are recursive (split in halves, recurse, update with a
 * product), so nearly all of their flops go through that product too.
 * The product is threaded over blocks of C; each element of C is summed
 * by one thread in a fixed order, so results never depend on threads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linalg.h"

/* ---- threads ------------------------------------------------------------- */

unsigned int linalg_threads(unsigned int nthreads)
{
	long n = nthreads;

	if (!n)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > LINALG_MAX_THREADS)
		n = LINALG_MAX_THREADS;
	return (unsigned int)n;
}

struct la_team {
	void (*fn)(void *ctx, size_t item, unsigned int worker);
	void *ctx;
	size_t nitems;
	size_t next; /* next item to hand out; atomic */
};

struct la_member {
	struct la_team *team;
	unsigned int index;
};

static void la_team_work(struct la_team *t, unsigned int index)
{
	for (;;) {
		size_t i = __atomic_fetch_add(&t->next, 1, __ATOMIC_RELAXED);

		if (i >= t->nitems)
			break;
		t->fn(t->ctx, i, index);
	}
}

static void *la_member_thread(void *arg)
{
	struct la_member *m = arg;

	la_team_work(m->team, m->index);
	return NULL;
}

void linalg_parallel_for(unsigned int nthreads, size_t nitems,
			 void (*fn)(void *ctx, size_t item,
				    unsigned int worker),
			 void *ctx)
{
	struct la_member members[LINALG_MAX_THREADS];
	pthread_t tids[LINALG_MAX_THREADS];
	struct la_team t = { fn, ctx, nitems, 0 };
	unsigned int n = linalg_threads(nthreads), started = 0, i;

	if (n > nitems)
		n = (unsigned int)nitems;
	/* Threads beyond those that start just mean less parallelism. */
	for (i = 1; i < n; i++) {
		members[i].team = &t;
		members[i].index = started + 1;
		if (pthread_create(&tids[started], NULL, la_member_thread,
				   &members[i]))
			break;
		started++;
	}
	la_team_work(&t, 0);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
}

/* ---- the product --------------------------------------------------------- */

/* Micro-tile (rows x columns of C held in registers) and cache blocks. */
#define MR 6
#define NR 8
#define KC 256
#define MC 120 /* multiple of MR; MC x KC of A stays in L2 */
#define NC 256 /* multiple of NR */
/* Below this many multiply-adds a product runs on the calling thread. */
#define PAR_MIN_WORK (1ull << 22)

typedef double v4d __attribute__((vector_size(32)));

/*
 * x86-64: an AVX2+FMA clone picked at load time, the baseline otherwise.
 * The generic vectors map to NEON on arm64 and to SSE2 in the baseline.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define LA_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LA_CLONES
#endif

/*
 * @out (MR x NR) = sum over p < @kc of a[p] (MR values) times b[p] (NR
 * values), from packed micro-panels (@b 32-byte aligned).
 */
LA_CLONES static void la_kernel(size_t kc, const double *restrict a,
				const double *restrict b, double *restrict out)
{
	v4d c00 = { 0 }, c01 = { 0 }, c10 = { 0 }, c11 = { 0 };
	v4d c20 = { 0 }, c21 = { 0 }, c30 = { 0 }, c31 = { 0 };
	v4d c40 = { 0 }, c41 = { 0 }, c50 = { 0 }, c51 = { 0 };
	size_t p;

	for (p = 0; p < kc; p++, a += MR, b += NR) {
		const v4d b0 = *(const v4d *)b, b1 = *(const v4d *)(b + 4);

		c00 += a[0] * b0;
		c01 += a[0] * b1;
		c10 += a[1] * b0;
		c11 += a[1] * b1;
		c20 += a[2] * b0;
		c21 += a[2] * b1;
		c30 += a[3] * b0;
		c31 += a[3] * b1;
		c40 += a[4] * b0;
		c41 += a[4] * b1;
		c50 += a[5] * b0;
		c51 += a[5] * b1;
	}
	memcpy(out + 0, &c00, 32);
	memcpy(out + 4, &c01, 32);
	memcpy(out + 8, &c10, 32);
	memcpy(out + 12, &c11, 32);
	memcpy(out + 16, &c20, 32);
	memcpy(out + 20, &c21, 32);
	memcpy(out + 24, &c30, 32);
	memcpy(out + 28, &c31, 32);
	memcpy(out + 32, &c40, 32);
	memcpy(out + 36, &c41, 32);
	memcpy(out + 40, &c50, 32);
	memcpy(out + 44, &c51, 32);
}

/* Element (i, j) of op(X). */
static inline double la_at(const struct linalg_mat *x, size_t i, size_t j)
{
	size_t off = x->trans ? j * x->ld + i : i * x->ld + j;

	return x->f32 ? ((const float *)x->data)[off] :
			((const double *)x->data)[off];
}

/*
 * Pack rows [i0, i0 + mr) x columns [p0, p0 + kc) of op(X) into @dst as
 * consecutive panels of @w rows: panel t holds, for each p, the @w values
 * of rows i0 + t*w .. +w - 1 (zero past @mr). For B, pass op(B)^T.
 */
static void la_pack(const struct linalg_mat *x, size_t i0, size_t mr, size_t p0,
		    size_t kc, size_t w, double *dst)
{
	size_t t, r, p;

	for (t = 0; t < mr; t += w, dst += w * kc) {
		size_t rows = mr - t < w ? mr - t : w;

		if (rows < w)
			memset(dst, 0, w * kc * sizeof(*dst));
		/* Walk the source along its contiguous direction. */
		if (x->trans) {
			for (p = 0; p < kc; p++)
				for (r = 0; r < rows; r++)
					dst[p * w + r] =
						la_at(x, i0 + t + r, p0 + p);
		} else {
			for (r = 0; r < rows; r++)
				for (p = 0; p < kc; p++)
					dst[p * w + r] =
						la_at(x, i0 + t + r, p0 + p);
		}
	}
}

struct la_gemm {
	size_t m, n, k;
	double alpha;
	struct linalg_mat a;
	struct linalg_mat bt; /* op(B)^T, so that it packs like A */
	double *c;
	size_t ldc;
	enum linalg_tri tri;
	size_t nbj; /* blocks of C along n */
	double **abuf, **bbuf; /* per worker */
};

/* Whether rows [r0, r1) x columns [c0, c1) hold no element of @tri. */
static bool la_outside(enum linalg_tri tri, size_t r0, size_t r1, size_t c0,
		       size_t c1)
{
	if (tri == LINALG_LOWER)
		return c0 > r1 - 1;
	if (tri == LINALG_UPPER)
		return c1 - 1 < r0;
	return false;
}

/* One MC x NC block of C, all of k. */
static void la_gemm_block(void *ctx, size_t item, unsigned int worker)
{
	struct la_gemm *g = ctx;
	size_t i0 = item / g->nbj * MC, j0 = item % g->nbj * NC;
	size_t mc = g->m - i0 < MC ? g->m - i0 : MC;
	size_t nc = g->n - j0 < NC ? g->n - j0 : NC;
	double *abuf = g->abuf[worker], *bbuf = g->bbuf[worker];
	double tile[MR * NR];
	size_t p0, ir, jr, r, s;

	if (la_outside(g->tri, i0, i0 + mc, j0, j0 + nc))
		return;
	for (p0 = 0; p0 < g->k; p0 += KC) {
		size_t kc = g->k - p0 < KC ? g->k - p0 : KC;

		la_pack(&g->a, i0, mc, p0, kc, MR, abuf);
		la_pack(&g->bt, j0, nc, p0, kc, NR, bbuf);
		for (jr = 0; jr < nc; jr += NR) {
			size_t nr = nc - jr < NR ? nc - jr : NR;

			for (ir = 0; ir < mc; ir += MR) {
				size_t mr = mc - ir < MR ? mc - ir : MR;
				size_t gi = i0 + ir, gj = j0 + jr;

				if (la_outside(g->tri, gi, gi + mr, gj,
					       gj + nr))
					continue;
				la_kernel(kc, abuf + ir * kc, bbuf + jr * kc,
					  tile);
				for (r = 0; r < mr; r++) {
					double *crow = g->c + (gi + r) * g->ldc;

					for (s = 0; s < nr; s++) {
						if ((g->tri == LINALG_LOWER &&
						     gj + s > gi + r) ||
						    (g->tri == LINALG_UPPER &&
						     gj + s < gi + r))
							continue;
						crow[gj + s] +=
							g->alpha *
							tile[r * NR + s];
					}
				}
			}
		}
	}
}

int linalg_gemm(size_t m, size_t n, size_t k, double alpha,
		const struct linalg_mat *a, const struct linalg_mat *b,
		double *c, size_t ldc, enum linalg_tri tri,
		unsigned int nthreads)
{
	struct la_gemm g = {
		.m = m,
		.n = n,
		.k = k,
		.alpha = alpha,
		.a = *a,
		.bt = *b,
		.c = c,
		.ldc = ldc,
		.tri = tri,
	};
	double *abufs[LINALG_MAX_THREADS] = { NULL };
	double *bbufs[LINALG_MAX_THREADS] = { NULL };
	unsigned int nt = linalg_threads(nthreads), i;
	size_t nbi, items;
	int ret = 0;

	if (!m || !n || !k)
		return 0;
	g.bt.trans = !b->trans;
	nbi = (m + MC - 1) / MC;
	g.nbj = (n + NC - 1) / NC;
	items = nbi * g.nbj;
	if ((double)m * n * k < (double)PAR_MIN_WORK)
		nt = 1;
	if (nt > items)
		nt = (unsigned int)items;
	for (i = 0; i < nt; i++) {
		abufs[i] = aligned_alloc(64, MC * KC * sizeof(double));
		bbufs[i] = aligned_alloc(64, NC * KC * sizeof(double));
		if (!abufs[i] || !bbufs[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}
	g.abuf = abufs;
	g.bbuf = bbufs;
	linalg_parallel_for(nt, items, la_gemm_block, &g);
out:
	for (i = 0; i < nt; i++) {
		free(abufs[i]);
		free(bbufs[i]);
	}
	return ret;
}

/* C += alpha * A * B^T, all double and plain: the factorisations' update. */
static int la_gemm_nt(size_t m, size_t n, size_t k, double alpha,
		      const double *a, size_t lda, const double *b, size_t ldb,
		      double *c, size_t ldc, enum linalg_tri tri,
		      unsigned int nt)
{
	struct linalg_mat ma = { a, lda, false, false };
	struct linalg_mat mb = { b, ldb, true, false };

	return linalg_gemm(m, n, k, alpha, &ma, &mb, c, ldc, tri, nt);
}

/* C += alpha * A * B, all double and plain. */
static int la_gemm_nn(size_t m, size_t n, size_t k, double alpha,
		      const double *a, size_t lda, const double *b, size_t ldb,
		      double *c, size_t ldc, unsigned int nt)
{
	struct linalg_mat ma = { a, lda, false, false };
	struct linalg_mat mb = { b, ldb, false, false };

	return linalg_gemm(m, n, k, alpha, &ma, &mb, c, ldc, LINALG_FULL, nt);
}

/* ---- factorisations ------------------------------------------------------ */

/* Sizes at which the recursions stop and plain loops take over. */
#define CHOL_BASE 32
#define TRI_BASE 16

/* Split @n for recursion: about half, a multiple of the kernel's tile. */
static size_t la_split(size_t n)
{
	size_t h = n / 2;

	return h > 2 * NR ? h / NR * NR : h;
}

static int la_cholesky_base(double *a, size_t n, size_t lda)
{
	size_t i, j, p;

	for (j = 0; j < n; j++) {
		double *rj = a + j * lda, d = rj[j];

		for (p = 0; p < j; p++)
			d -= rj[p] * rj[p];
		/* Written so that NaN fails too. */
		if (!(d > 0) || !isfinite(d))
			return -EDOM;
		d = sqrt(d);
		rj[j] = d;
		for (i = j + 1; i < n; i++) {
			double *ri = a + i * lda, s = ri[j];

			for (p = 0; p < j; p++)
				s -= ri[p] * rj[p];
			ri[j] = s / d;
		}
	}
	return 0;
}

/* Solve X L^T = B for X in place: @b is @m x @n, @l lower @n x @n. */
static int la_trsm_rlt(double *b, size_t m, size_t n, size_t ldb,
		       const double *l, size_t ldl, unsigned int nt)
{
	size_t r, j, p, n1;
	int ret;

	if (n <= TRI_BASE) {
		for (r = 0; r < m; r++) {
			double *x = b + r * ldb;

			for (j = 0; j < n; j++) {
				const double *lj = l + j * ldl;
				double s = x[j];

				for (p = 0; p < j; p++)
					s -= x[p] * lj[p];
				x[j] = s / lj[j];
			}
		}
		return 0;
	}
	n1 = la_split(n);
	ret = la_trsm_rlt(b, m, n1, ldb, l, ldl, nt);
	if (!ret)
		/* B2 -= X1 L21^T */
		ret = la_gemm_nt(m, n - n1, n1, -1.0, b, ldb, l + n1 * ldl, ldl,
				 b + n1, ldb, LINALG_FULL, nt);
	if (!ret)
		ret = la_trsm_rlt(b + n1, m, n - n1, ldb, l + n1 * ldl + n1,
				  ldl, nt);
	return ret;
}

int linalg_cholesky(double *a, size_t n, size_t lda, unsigned int nthreads)
{
	size_t n1, n2;
	double *a21, *a22;
	int ret;

	if (n <= CHOL_BASE)
		return la_cholesky_base(a, n, lda);
	n1 = la_split(n);
	n2 = n - n1;
	a21 = a + n1 * lda;
	a22 = a21 + n1;
	ret = linalg_cholesky(a, n1, lda, nthreads);
	if (!ret)
		ret = la_trsm_rlt(a21, n2, n1, lda, a, lda, nthreads);
	if (!ret)
		/* A22 -= L21 L21^T, lower triangle only */
		ret = la_gemm_nt(n2, n2, n1, -1.0, a21, lda, a21, lda, a22, lda,
				 LINALG_LOWER, nthreads);
	if (!ret)
		ret = linalg_cholesky(a22, n2, lda, nthreads);
	return ret;
}

/* B := B T in place: @b is @m x @n, @t lower @n x @n. */
static int la_trmm_right(double *b, size_t m, size_t n, size_t ldb,
			 const double *t, size_t ldt, unsigned int nt)
{
	size_t r, j, p, n1;
	int ret;

	if (n <= TRI_BASE) {
		for (r = 0; r < m; r++) {
			double *x = b + r * ldb;

			/* y_j = sum_{p >= j} x_p t_pj; x_p (p > j) intact */
			for (j = 0; j < n; j++) {
				double s = 0;

				for (p = j; p < n; p++)
					s += x[p] * t[p * ldt + j];
				x[j] = s;
			}
		}
		return 0;
	}
	n1 = la_split(n);
	/* [B1 B2] T = [B1 T11 + B2 T21, B2 T22] */
	ret = la_trmm_right(b, m, n1, ldb, t, ldt, nt);
	if (!ret)
		ret = la_gemm_nn(m, n1, n - n1, 1.0, b + n1, ldb, t + n1 * ldt,
				 ldt, b, ldb, nt);
	if (!ret)
		ret = la_trmm_right(b + n1, m, n - n1, ldb, t + n1 * ldt + n1,
				    ldt, nt);
	return ret;
}

/* B := T B in place: @t lower @m x @m, @b is @m x @n. */
static int la_trmm_left(const double *t, size_t m, size_t ldt, double *b,
			size_t n, size_t ldb, unsigned int nt)
{
	size_t i, p, j, m1;
	int ret;

	if (m <= TRI_BASE) {
		/* Row i takes rows p <= i: go down from the last row. */
		for (i = m; i-- > 0;) {
			double *bi = b + i * ldb, d = t[i * ldt + i];

			for (j = 0; j < n; j++)
				bi[j] *= d;
			for (p = 0; p < i; p++) {
				const double *bp = b + p * ldb;
				double f = t[i * ldt + p];

				for (j = 0; j < n; j++)
					bi[j] += f * bp[j];
			}
		}
		return 0;
	}
	m1 = la_split(m);
	/* T [B1; B2] = [T11 B1; T21 B1 + T22 B2] */
	ret = la_trmm_left(t + m1 * ldt + m1, m - m1, ldt, b + m1 * ldb, n, ldb,
			   nt);
	if (!ret)
		ret = la_gemm_nn(m - m1, n, m1, 1.0, t + m1 * ldt, ldt, b, ldb,
				 b + m1 * ldb, ldb, nt);
	if (!ret)
		ret = la_trmm_left(t, m1, ldt, b, n, ldb, nt);
	return ret;
}

static int la_tri_inverse_base(double *l, size_t n, size_t ldl)
{
	size_t i, j, p;

	for (i = 0; i < n; i++) {
		double d = l[i * ldl + i];

		if (d == 0 || !isfinite(d))
			return -EDOM;
		l[i * ldl + i] = 1.0 / d;
	}
	/* Row i of L^-1 from rows j < i, which are done. */
	for (i = 1; i < n; i++) {
		double *li = l + i * ldl;
		double orig[TRI_BASE];

		memcpy(orig, li, i * sizeof(*li));
		for (j = 0; j < i; j++) {
			double s = 0;

			for (p = j; p < i; p++)
				s += orig[p] * l[p * ldl + j];
			li[j] = -s * li[i];
		}
	}
	return 0;
}

int linalg_tri_inverse(double *l, size_t n, size_t ldl, unsigned int nthreads)
{
	size_t n1, n2, r, j;
	double *l21;
	int ret;

	if (n <= TRI_BASE)
		return la_tri_inverse_base(l, n, ldl);
	n1 = la_split(n);
	n2 = n - n1;
	l21 = l + n1 * ldl;
	/* inv [A 0; B C] = [A^-1 0; -C^-1 B A^-1, C^-1] */
	ret = linalg_tri_inverse(l, n1, ldl, nthreads);
	if (!ret)
		ret = linalg_tri_inverse(l21 + n1, n2, ldl, nthreads);
	if (!ret)
		ret = la_trmm_right(l21, n2, n1, ldl, l, ldl, nthreads);
	if (!ret)
		ret = la_trmm_left(l21 + n1, n2, ldl, l21, n1, ldl, nthreads);
	if (ret)
		return ret;
	for (r = 0; r < n2; r++)
		for (j = 0; j < n1; j++)
			l21[r * ldl + j] = -l21[r * ldl + j];
	return 0;
}

void linalg_solve_lower(const double *l, size_t n, size_t ldl, double *b)
{
	size_t i, p;

	for (i = 0; i < n; i++) {
		const double *li = l + i * ldl;
		double s = b[i];

		for (p = 0; p < i; p++)
			s -= li[p] * b[p];
		b[i] = s / li[i];
	}
}

void linalg_solve_lower_t(const double *l, size_t n, size_t ldl, double *b)
{
	size_t i, p;

	/* Column-oriented: L^T's row i is L's column i. */
	for (i = n; i-- > 0;) {
		const double *li = l + i * ldl;

		b[i] /= li[i];
		for (p = 0; p < i; p++)
			b[p] -= li[p] * b[i];
	}
}

void linalg_cholesky_solve(const double *l, size_t n, size_t ldl, double *b)
{
	linalg_solve_lower(l, n, ldl, b);
	linalg_solve_lower_t(l, n, ldl, b);
}

int linalg_spd_inverse(const double *a, size_t n, size_t lda, double *inv,
		       unsigned int nthreads)
{
	struct linalg_mat lt, l;
	double *w;
	size_t i, j;
	int ret;

	if (!n)
		return 0;
	w = malloc(n * n * sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		memcpy(w + i * n, a + i * lda, n * sizeof(*w));
	ret = linalg_cholesky(w, n, n, nthreads);
	if (!ret)
		ret = linalg_tri_inverse(w, n, n, nthreads);
	if (ret)
		goto out;
	/* Zero the strict upper triangle, then A^-1 = (L^-1)^T L^-1. */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			w[i * n + j] = 0;
	memset(inv, 0, n * n * sizeof(*inv));
	lt = (struct linalg_mat){ w, n, true, false };
	l = (struct linalg_mat){ w, n, false, false };
	ret = linalg_gemm(n, n, n, 1.0, &lt, &l, inv, n, LINALG_UPPER,
			  nthreads);
	if (ret)
		goto out;
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			inv[i * n + j] = inv[j * n + i];
out:
	free(w);
	return ret;
}

double linalg_mean_diag(const double *a, size_t n, size_t lda)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += a[i * lda + i];
	return n ? s / (double)n : 0;
}

void linalg_add_diag(double *a, size_t n, size_t lda, double lambda)
{
	size_t i;

	for (i = 0; i < n; i++)
		a[i * lda + i] += lambda;
}
