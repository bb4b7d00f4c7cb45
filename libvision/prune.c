// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Pruning masks and layer reconstruction; see prune.h.
 *
 * Reconstruction follows SparseGPT (Frantar & Alistarh, "SparseGPT:
 * Massive Language Models Can Be Accurately Pruned in One-Shot", 2023),
 * itself the Optimal Brain Surgeon update made cheap: with H damped to
 * H + lambda I and U the upper Cholesky factor of its inverse
 * (H^-1 = U^T U), columns are visited left to right in blocks; in each
 * block the mask is chosen by w^2 / U_jj^2, and every pruned weight's
 * error e = w / U_ii is pushed onto the columns to its right through row
 * i of U (within the block at once, beyond it lazily as one product).
 * U_jj^2 is [H_F^-1]_jj for F the columns from j on, so the score is the
 * OBS saliency w^2 / [H^-1]_jj as it stands when the sweep reaches j
 * (the paper's w^2 / [H^-1]_jj^2 names the Cholesky form of H^-1).
 *
 * U is computed without forming H^-1: with P the reversal permutation
 * and P H P = L L^T, H^-1 = (P L^-T P)(P L^-1 P), and P L^-1 P is upper
 * triangular, so U is L^-1 read backwards. That is one Cholesky and one
 * triangular inverse, k^3/3 multiply-adds, against twice that for
 * SparseGPT's inverse-then-factor.
 *
 * The default (PRUNE_SOLVE_AUTO) follows the OBS sweep, which chooses the
 * mask with second-order information, by the exact least-squares re-solve
 * of the kept weights under that mask when it is affordable: for a given
 * mask the re-solve is the minimiser of the same damped objective the
 * sweep approximates (the sweep only ever corrects weights to the right
 * of a pruned one), so it can only lower the calibration error; but it
 * costs rows * |S|^3 / 6 against the sweep's k^3 / 3 + rows * k^2 / 2, so
 * on large layers (ResNet's 512 x 4608: 10^12 against 4 * 10^10) the
 * sweep's result stands.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg.h"
#include "prune.h"

/* Cholesky failures tolerated, each raising the damping tenfold. */
#define PRUNE_MAX_RETRIES 8
/*
 * PRUNE_SOLVE_AUTO re-solves exactly below this many multiply-adds: about
 * a second or two on one core (a 128 x 1568 layer at 50%: 10^10, 0.9 s),
 * so every layer of a small CNN, never a ResNet-sized one.
 */
#define PRUNE_EXACT_BUDGET 2e10
/* Hessian: below this k, threads split the patches, not H. */
#define HS_SMALL_K 384
#define HS_CHUNK 4096

/* ---- selection ----------------------------------------------------------- */

struct pr_key {
	double key;
	size_t idx;
};

static int pr_key_cmp(const void *pa, const void *pb)
{
	const struct pr_key *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/*
 * Prune (keep[idx] = 0) the @z entries of @keys with the smallest key;
 * indices break ties, so the choice is a total order.
 */
static void pr_prune_smallest(struct pr_key *keys, size_t n, size_t z,
			      uint8_t *keep)
{
	size_t i;

	if (!z)
		return;
	qsort(keys, n, sizeof(*keys), pr_key_cmp);
	for (i = 0; i < z && i < n; i++)
		keep[keys[i].idx] = 0;
}

static bool pr_finite_f(const float *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return false;
	return true;
}

static bool pr_sparsity_ok(double s)
{
	return s >= 0 && s <= 1;
}

size_t prune_target_zeros(double sparsity, size_t n)
{
	double z;

	if (!(sparsity > 0))
		return 0;
	z = floor(sparsity * (double)n + 0.5);
	return z >= (double)n ? n : (size_t)z;
}

int prune_magnitude(const float *w, size_t n, double sparsity, uint8_t *keep)
{
	struct prune_layer l = { w, n, keep };

	return prune_magnitude_global(&l, 1, sparsity);
}

int prune_magnitude_global(const struct prune_layer *layers, size_t nlayers,
			   double sparsity)
{
	struct pr_key *keys;
	size_t total = 0, i, j, at = 0, z;
	uint8_t **owner;

	if (!pr_sparsity_ok(sparsity) || (nlayers && !layers))
		return -EINVAL;
	for (i = 0; i < nlayers; i++) {
		if (!layers[i].w || !layers[i].keep ||
		    !pr_finite_f(layers[i].w, layers[i].n))
			return -EINVAL;
		total += layers[i].n;
	}
	for (i = 0; i < nlayers; i++)
		memset(layers[i].keep, 1, layers[i].n);
	z = prune_target_zeros(sparsity, total);
	if (!z)
		return 0;
	keys = malloc(total * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	/* The global index orders layers, then weights. */
	for (i = 0; i < nlayers; i++)
		for (j = 0; j < layers[i].n; j++, at++)
			keys[at] = (struct pr_key){ fabs(layers[i].w[j]), at };
	qsort(keys, total, sizeof(*keys), pr_key_cmp);
	owner = malloc(nlayers * sizeof(*owner));
	if (!owner) {
		free(keys);
		return -ENOMEM;
	}
	for (i = 0; i < nlayers; i++)
		owner[i] = layers[i].keep;
	for (at = 0; at < z; at++) {
		size_t idx = keys[at].idx;

		for (i = 0; idx >= layers[i].n; i++)
			idx -= layers[i].n;
		owner[i][idx] = 0;
	}
	free(owner);
	free(keys);
	return 0;
}

/*
 * Within @wr[g0, g1), one N:M group, keep the @n highest of @score
 * (NULL: |w|) and prune the rest; @keys has room for the group.
 */
static void pr_nm_group(const double *score, const float *wf, size_t g0,
			size_t g1, unsigned int n, uint8_t *kr,
			struct pr_key *keys)
{
	size_t j, len = g1 - g0;

	for (j = g0; j < g1; j++) {
		kr[j] = 1;
		keys[j - g0] =
			(struct pr_key){ score ? score[j - g0] : fabs(wf[j]),
					 j };
	}
	if (len > n)
		pr_prune_smallest(keys, len, len - n, kr);
}

int prune_nm_mask(const float *w, size_t rows, size_t cols, unsigned int n,
		  unsigned int m, uint8_t *keep)
{
	struct pr_key *keys;
	size_t r, g;

	if (!n || n >= m || !w || !keep || !pr_finite_f(w, rows * cols))
		return -EINVAL;
	keys = malloc(m * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (r = 0; r < rows; r++)
		for (g = 0; g < cols; g += m)
			pr_nm_group(NULL, w + r * cols, g,
				    g + m < cols ? g + m : cols, n,
				    keep + r * cols, keys);
	free(keys);
	return 0;
}

void prune_apply_mask(float *w, const uint8_t *keep, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (!keep[i])
			w[i] = 0;
}

/* ---- Hessian ------------------------------------------------------------- */

int prune_hessian_init(struct prune_hessian *hs, size_t k)
{
	memset(hs, 0, sizeof(*hs));
	if (!k || k > ((size_t)-1) / sizeof(double) / k)
		return -EINVAL;
	hs->h = calloc(k * k, sizeof(*hs->h));
	hs->sum = calloc(k, sizeof(*hs->sum));
	if (!hs->h || !hs->sum) {
		prune_hessian_release(hs);
		return -ENOMEM;
	}
	hs->k = k;
	return 0;
}

void prune_hessian_release(struct prune_hessian *hs)
{
	free(hs->h);
	free(hs->sum);
	memset(hs, 0, sizeof(*hs));
}

/* X^T X of rows [r0, r0 + n) of @x, upper triangle, added to @h. */
static int pr_xtx(const float *x, size_t k, size_t n, double *h,
		  unsigned int nt)
{
	struct linalg_mat xt = { x, k, true, true };
	struct linalg_mat xm = { x, k, false, true };

	return linalg_gemm(k, k, n, 1.0, &xt, &xm, h, k, LINALG_UPPER, nt);
}

struct pr_chunks {
	const float *x;
	size_t k, n, first;
	double **part;
	int err;
};

static void pr_chunk(void *ctx, size_t item, unsigned int worker)
{
	struct pr_chunks *c = ctx;
	size_t r0 = (c->first + item) * HS_CHUNK;
	size_t n = c->n - r0 < HS_CHUNK ? c->n - r0 : HS_CHUNK;
	double *p = c->part[item];
	int ret;

	(void)worker;
	memset(p, 0, c->k * c->k * sizeof(*p));
	ret = pr_xtx(c->x + r0 * c->k, c->k, n, p, 1);
	if (ret)
		__atomic_store_n(&c->err, ret, __ATOMIC_RELAXED);
}

/*
 * Small k: H has too few blocks to share out, so fixed chunks of patches
 * are summed in parallel and their partial H added in chunk order, which
 * keeps the result independent of the thread count.
 */
static int pr_xtx_chunked(const float *x, size_t k, size_t n, double *h,
			  unsigned int nt)
{
	size_t nchunks = (n + HS_CHUNK - 1) / HS_CHUNK, per = 2 * nt, c, i;
	struct pr_chunks ch = { x, k, n, 0, NULL, 0 };
	int ret = 0;

	if (per > nchunks)
		per = nchunks;
	ch.part = calloc(per, sizeof(*ch.part));
	if (!ch.part)
		return -ENOMEM;
	for (c = 0; c < per; c++) {
		ch.part[c] = malloc(k * k * sizeof(double));
		if (!ch.part[c]) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (ch.first = 0; ch.first < nchunks; ch.first += per) {
		size_t round = nchunks - ch.first < per ? nchunks - ch.first :
							  per;

		linalg_parallel_for(nt, round, pr_chunk, &ch);
		if (ch.err) {
			ret = ch.err;
			goto out;
		}
		for (c = 0; c < round; c++)
			for (i = 0; i < k * k; i++)
				h[i] += ch.part[c][i];
	}
out:
	for (c = 0; c < per; c++)
		free(ch.part[c]);
	free(ch.part);
	return ret;
}

int prune_hessian_add(struct prune_hessian *hs, const float *x, size_t n,
		      unsigned int nthreads)
{
	unsigned int nt = linalg_threads(nthreads);
	size_t k = hs->k, i, j;
	int ret;

	if (!hs->h || (n && !x))
		return -EINVAL;
	if (!n)
		return 0;
	if (n > ((size_t)-1) / k || !pr_finite_f(x, n * k))
		return -EINVAL;
	/* The choice depends on the data's shape only, never on threads. */
	if (k < HS_SMALL_K && n > HS_CHUNK)
		ret = pr_xtx_chunked(x, k, n, hs->h, nt);
	else
		ret = pr_xtx(x, k, n, hs->h, nt);
	if (ret)
		return ret;
	for (i = 0; i < k; i++)
		for (j = 0; j < i; j++)
			hs->h[i * k + j] = hs->h[j * k + i];
	for (i = 0; i < n; i++)
		for (j = 0; j < k; j++)
			hs->sum[j] += x[i * k + j];
	hs->n += n;
	return 0;
}

int prune_hessian_mean(const struct prune_hessian *hs, double *mean)
{
	size_t j;

	if (!hs->n)
		return -EINVAL;
	for (j = 0; j < hs->k; j++)
		mean[j] = hs->sum[j] / (double)hs->n;
	return 0;
}

/* ---- OBS sweep ----------------------------------------------------------- */

struct pr_obs {
	size_t rows, cols, bs, i1, i2;
	double *w; /* rows x cols, the weights being swept */
	const double *u; /* cols x cols, upper triangle: U */
	double *err; /* rows x bs: each column's error / U_ii */
	uint8_t *keep;
	const uint8_t *dead; /* columns whose input is always 0 */
	unsigned int nm_n, nm_m;
	size_t row_quota; /* per-row unstructured: zeros in this block */
	bool select_rows; /* choose per row (per-row scope, N:M) */
	struct pr_key **keys; /* per worker, bs entries */
	double **score; /* per worker, bs entries */
};

/* SparseGPT's saliency: the loss a weight's removal costs, w^2 / U_jj^2. */
static double pr_score(const struct pr_obs *s, double w, size_t j)
{
	double d = s->u[j * s->cols + j];

	return s->dead[j] ? 0 : w * w / (d * d);
}

static void pr_obs_row(void *ctx, size_t r, unsigned int worker)
{
	struct pr_obs *s = ctx;
	double *wr = s->w + r * s->cols, *er = s->err + r * s->bs;
	uint8_t *kr = s->keep + r * s->cols;
	struct pr_key *keys = s->keys[worker];
	size_t i, j;

	if (s->select_rows && !s->nm_m) {
		for (j = s->i1; j < s->i2; j++) {
			kr[j] = 1;
			keys[j - s->i1] =
				(struct pr_key){ pr_score(s, wr[j], j), j };
		}
		pr_prune_smallest(keys, s->i2 - s->i1, s->row_quota, kr);
	}
	for (i = s->i1; i < s->i2; i++) {
		const double *ui = s->u + i * s->cols;
		double q, e;

		if (s->nm_m && s->select_rows && i % s->nm_m == 0) {
			size_t g1 = i + s->nm_m < s->i2 ? i + s->nm_m : s->i2;
			double *sc = s->score[worker];

			for (j = i; j < g1; j++)
				sc[j - i] = pr_score(s, wr[j], j);
			pr_nm_group(sc, NULL, i, g1, s->nm_n, kr, keys);
		}
		q = kr[i] ? wr[i] : 0;
		e = (wr[i] - q) / ui[i];
		wr[i] = q;
		er[i - s->i1] = e;
		if (e != 0)
			for (j = i + 1; j < s->i2; j++)
				wr[j] -= e * ui[j];
	}
}

/* Per-layer scope: this block's quota over all rows, by one threshold. */
static int pr_obs_select_block(struct pr_obs *s, size_t zeros)
{
	size_t bw = s->i2 - s->i1, r, j, at = 0;
	struct pr_key *keys;

	for (r = 0; r < s->rows; r++)
		memset(s->keep + r * s->cols + s->i1, 1, bw);
	if (!zeros)
		return 0;
	keys = malloc(s->rows * bw * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (r = 0; r < s->rows; r++)
		for (j = s->i1; j < s->i2; j++, at++)
			keys[at] = (struct pr_key){
				pr_score(s, s->w[r * s->cols + j], j),
				r * s->cols + j
			};
	pr_prune_smallest(keys, at, zeros, s->keep);
	free(keys);
	return 0;
}

/*
 * U (upper, in @a, cols x cols) from @h damped: see the top of the file.
 * Columns with a zero diagonal (their input is always 0) get the mean
 * live diagonal so the system stays well scaled; they are isolated in H,
 * so this touches no other column.
 */
static int pr_obs_factor(const double *h, size_t k, const uint8_t *dead,
			 double percdamp, double *a, unsigned int nt,
			 struct prune_result *res)
{
	double live = 0, lambda;
	size_t nlive = 0, i, j;
	int ret, tries;

	for (j = 0; j < k; j++)
		if (!dead[j]) {
			live += h[j * k + j];
			nlive++;
		}
	live = nlive ? live / (double)nlive : 1.0;
	/* The mean of the diagonal once dead entries take @live. */
	lambda = percdamp * live;
	for (tries = 0;; tries++) {
		for (i = 0; i < k; i++) {
			const double *src = h + (k - 1 - i) * k;

			for (j = 0; j <= i; j++)
				a[i * k + j] = src[k - 1 - j];
			if (dead[k - 1 - i])
				a[i * k + i] = live;
			a[i * k + i] += lambda;
		}
		ret = linalg_cholesky(a, k, k, nt);
		if (ret != -EDOM || tries == PRUNE_MAX_RETRIES)
			break;
		/* Zero damping cannot grow: start from a tiny one. */
		lambda = lambda > 0 ? lambda * 10 : 1e-8 * live;
	}
	res->damp = lambda;
	res->retries = (unsigned int)tries;
	if (ret)
		return ret;
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			a[i * k + j] = 0;
	ret = linalg_tri_inverse(a, k, k, nt);
	if (ret)
		return ret;
	/* (i, j) <-> (k-1-i, k-1-j) is reversing the whole array. */
	for (i = 0, j = k * k - 1; i < j; i++, j--) {
		double t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
	return 0;
}

/* floor(@z * @i / @cols) without overflow (z = q * cols + r, r < cols). */
static size_t pr_upto(size_t z, size_t i, size_t cols)
{
	return z / cols * i + z % cols * i / cols;
}

/* The part of @z zeros over @cols columns that falls in [i1, i2). */
static size_t pr_share(size_t z, size_t i1, size_t i2, size_t cols)
{
	return pr_upto(z, i2, cols) - pr_upto(z, i1, cols);
}

static int pr_obs(float *wf, size_t rows, size_t cols, const double *h,
		  const struct prune_opts *o, double percdamp, uint8_t *keep,
		  struct prune_result *res)
{
	unsigned int nt = linalg_threads(o->nthreads), i;
	struct pr_obs s = {
		.rows = rows,
		.cols = cols,
		.keep = keep,
		.nm_n = o->nm_m ? o->nm_n : 0,
		.nm_m = o->nm_m,
		.select_rows = !o->mask &&
			       (o->nm_m || o->scope == PRUNE_PER_ROW),
	};
	struct pr_key *keys[LINALG_MAX_THREADS] = { NULL };
	double *score[LINALG_MAX_THREADS] = { NULL };
	size_t bs = o->block ? o->block : PRUNE_BLOCK, r, j;
	size_t zl = prune_target_zeros(o->sparsity, rows * cols);
	size_t zr = prune_target_zeros(o->sparsity, cols);
	double *a = NULL, *w = NULL, *err = NULL;
	uint8_t *dead = NULL;
	int ret = -ENOMEM;

	/* N:M groups must not straddle blocks. */
	if (o->nm_m)
		bs = bs < o->nm_m ? o->nm_m : bs / o->nm_m * o->nm_m;
	if (bs > cols)
		bs = cols;
	s.bs = bs;
	a = malloc(cols * cols * sizeof(*a));
	w = malloc(rows * cols * sizeof(*w));
	err = malloc(rows * bs * sizeof(*err));
	dead = malloc(cols);
	if (!a || !w || !err || !dead)
		goto out;
	for (i = 0; i < nt; i++) {
		keys[i] = malloc(bs * sizeof(*keys[i]));
		score[i] = malloc(bs * sizeof(*score[i]));
		if (!keys[i] || !score[i])
			goto out;
	}
	s.keys = keys;
	s.score = score;
	for (j = 0; j < cols; j++)
		dead[j] = h[j * cols + j] == 0;
	s.dead = dead;
	ret = pr_obs_factor(h, cols, dead, percdamp, a, nt, res);
	if (ret)
		goto out;
	s.u = a;
	for (r = 0; r < rows * cols; r++)
		w[r] = wf[r];
	s.w = w;
	s.err = err;
	if (o->mask && o->mask != keep)
		memcpy(keep, o->mask, rows * cols);
	for (s.i1 = 0; s.i1 < cols; s.i1 = s.i2) {
		struct linalg_mat ma, mb;

		s.i2 = s.i1 + bs < cols ? s.i1 + bs : cols;
		/* Quotas spread the exact total evenly over the blocks. */
		s.row_quota = pr_share(zr, s.i1, s.i2, cols);
		if (!o->mask && !s.select_rows) {
			ret = pr_obs_select_block(&s, pr_share(zl, s.i1, s.i2,
							       cols));
			if (ret)
				goto out;
		}
		linalg_parallel_for(nt, rows, pr_obs_row, &s);
		/* W[:, i2:] -= Err U[i1:i2, i2:] */
		ma = (struct linalg_mat){ err, bs, false, false };
		mb = (struct linalg_mat){ a + s.i1 * cols + s.i2, cols, false,
					  false };
		ret = linalg_gemm(rows, cols - s.i2, s.i2 - s.i1, -1.0, &ma,
				  &mb, w + s.i2, cols, LINALG_FULL, nt);
		if (ret)
			goto out;
	}
	for (r = 0; r < rows * cols; r++)
		wf[r] = keep[r] ? (float)w[r] : 0.0f;
out:
	for (i = 0; i < nt; i++) {
		free(keys[i]);
		free(score[i]);
	}
	free(dead);
	free(err);
	free(w);
	free(a);
	return ret;
}

/* ---- exact re-solve ------------------------------------------------------ */

struct pr_exact {
	float *w;
	size_t rows, cols, smax;
	const double *h;
	const double *g; /* W H: rows x cols */
	const uint8_t *keep;
	double lambda;
	double **a; /* per worker: smax x smax factor */
	size_t **idx; /* per worker: the kept columns */
	double **x; /* per worker: right-hand side and solution */
	size_t *cached; /* per worker: row whose mask @a factors, or -1 */
	double *damp; /* per worker: the damping @a was made with */
	int err;
};

/* Factor H_SS + lambda I for the kept set @idx (@s), raising lambda. */
static int pr_exact_factor(const struct pr_exact *e, const size_t *idx,
			   size_t s, double *a, double *damp)
{
	double lambda = e->lambda;
	size_t i, j;
	int ret, tries;

	for (tries = 0;; tries++) {
		for (i = 0; i < s; i++) {
			const double *hr = e->h + idx[i] * e->cols;

			for (j = 0; j <= i; j++)
				a[i * s + j] = hr[idx[j]];
			a[i * s + i] += lambda;
		}
		ret = linalg_cholesky(a, s, s, 1);
		if (ret != -EDOM || tries == PRUNE_MAX_RETRIES)
			break;
		lambda *= 10;
	}
	*damp = lambda;
	return ret;
}

static void pr_exact_row(void *ctx, size_t r, unsigned int worker)
{
	struct pr_exact *e = ctx;
	const uint8_t *kr = e->keep + r * e->cols;
	const double *gr = e->g + r * e->cols;
	size_t *idx = e->idx[worker], s = 0, j;
	double *x = e->x[worker], *a = e->a[worker];
	float *wr = e->w + r * e->cols;
	size_t c = e->cached[worker];

	for (j = 0; j < e->cols; j++)
		if (kr[j])
			idx[s++] = j;
	if (s &&
	    (c == (size_t)-1 || memcmp(e->keep + c * e->cols, kr, e->cols))) {
		int ret = pr_exact_factor(e, idx, s, a, &e->damp[worker]);

		if (ret) {
			e->cached[worker] = (size_t)-1;
			__atomic_store_n(&e->err, ret, __ATOMIC_RELAXED);
			return;
		}
		e->cached[worker] = r;
	}
	/* (H + lambda I)_S: w, the row still holding the target weights */
	for (j = 0; j < s; j++)
		x[j] = gr[idx[j]] + e->damp[worker] * wr[idx[j]];
	if (s)
		linalg_cholesky_solve(a, s, s, x);
	for (j = 0; j < e->cols; j++)
		wr[j] = 0;
	for (j = 0; j < s; j++)
		wr[idx[j]] = (float)x[j];
}

static bool pr_h_ok(const double *h, size_t k)
{
	size_t i;

	for (i = 0; i < k * k; i++)
		if (!isfinite(h[i]))
			return false;
	for (i = 0; i < k; i++)
		if (h[i * k + i] < 0)
			return false;
	return true;
}

int prune_resolve(float *w, size_t rows, size_t cols, const double *h,
		  const uint8_t *keep, double percdamp, unsigned int nthreads)
{
	unsigned int nt = linalg_threads(nthreads), i;
	struct pr_exact e = {
		.w = w,
		.rows = rows,
		.cols = cols,
		.h = h,
		.keep = keep,
	};
	double *a[LINALG_MAX_THREADS] = { NULL },
	       *x[LINALG_MAX_THREADS] = { NULL };
	size_t *idx[LINALG_MAX_THREADS] = { NULL }, cached[LINALG_MAX_THREADS];
	double damp[LINALG_MAX_THREADS], mean;
	struct linalg_mat mw, mh;
	double *g = NULL;
	size_t r, j;
	int ret = -ENOMEM;

	if (!w || !h || !keep || !rows || !cols || !(percdamp >= 0) ||
	    !isfinite(percdamp) || !pr_finite_f(w, rows * cols) ||
	    !pr_h_ok(h, cols))
		return -EINVAL;
	if (!percdamp)
		percdamp = PRUNE_PERCDAMP;
	mean = linalg_mean_diag(h, cols, cols);
	/* H = 0: any lambda gives the answer, w_S itself. */
	e.lambda = percdamp * (mean > 0 ? mean : 1.0);
	for (r = 0; r < rows; r++) {
		size_t s = 0;

		for (j = 0; j < cols; j++)
			s += keep[r * cols + j] != 0;
		if (s > e.smax)
			e.smax = s;
	}
	if (nt > rows)
		nt = (unsigned int)rows;
	g = calloc(rows * cols, sizeof(*g));
	if (!g)
		goto out;
	for (i = 0; i < nt; i++) {
		a[i] = malloc((e.smax * e.smax + 1) * sizeof(double));
		x[i] = malloc((e.smax + 1) * sizeof(double));
		idx[i] = malloc((cols + 1) * sizeof(size_t));
		cached[i] = (size_t)-1;
		if (!a[i] || !x[i] || !idx[i])
			goto out;
	}
	/* G = W H, H symmetric: row r of G is (H w_r)^T. */
	mw = (struct linalg_mat){ w, cols, false, true };
	mh = (struct linalg_mat){ h, cols, false, false };
	ret = linalg_gemm(rows, cols, cols, 1.0, &mw, &mh, g, cols, LINALG_FULL,
			  nt);
	if (ret)
		goto out;
	e.g = g;
	e.a = a;
	e.x = x;
	e.idx = idx;
	e.cached = cached;
	e.damp = damp;
	linalg_parallel_for(nt, rows, pr_exact_row, &e);
	ret = e.err;
out:
	for (i = 0; i < nt; i++) {
		free(a[i]);
		free(x[i]);
		free(idx[i]);
	}
	free(g);
	return ret;
}

/* rows * |S|^3 / 6, the re-solve's cost, with shared masks counted once. */
static double pr_exact_cost(const uint8_t *keep, size_t rows, size_t cols)
{
	double cost = 0;
	size_t r, j;

	for (r = 0; r < rows; r++) {
		double s = 0;

		if (r && !memcmp(keep + (r - 1) * cols, keep + r * cols, cols))
			continue;
		for (j = 0; j < cols; j++)
			s += keep[r * cols + j] != 0;
		cost += s * s * s / 6 + s * s;
	}
	return cost;
}

int prune_reconstruct(float *w, size_t rows, size_t cols, const double *h,
		      const struct prune_opts *o, uint8_t *keep,
		      struct prune_result *res)
{
	struct prune_result dummy;
	double percdamp;
	uint8_t *own = NULL;
	float *orig = NULL;
	bool exact;
	int ret;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!w || !h || !o || !rows || !cols ||
	    rows > ((size_t)-1) / sizeof(double) / cols ||
	    cols > ((size_t)-1) / sizeof(double) / cols)
		return -EINVAL;
	if (!pr_sparsity_ok(o->sparsity) || o->sparsity == 1 ||
	    !(o->percdamp >= 0) || !isfinite(o->percdamp) ||
	    (o->nm_m && (!o->nm_n || o->nm_n >= o->nm_m)) ||
	    o->scope > PRUNE_PER_ROW || o->solve > PRUNE_SOLVE_EXACT)
		return -EINVAL;
	if (!pr_finite_f(w, rows * cols) || !pr_h_ok(h, cols))
		return -EINVAL;
	percdamp = o->percdamp ? o->percdamp : PRUNE_PERCDAMP;
	if (!keep) {
		own = malloc(rows * cols);
		if (!own)
			return -ENOMEM;
		keep = own;
	}
	exact = o->solve == PRUNE_SOLVE_EXACT;
	/* A given mask needs no sweep when the re-solve will run anyway. */
	if (o->mask && o->solve == PRUNE_SOLVE_AUTO)
		exact = pr_exact_cost(o->mask, rows, cols) <=
			PRUNE_EXACT_BUDGET;
	if (exact || o->solve == PRUNE_SOLVE_AUTO) {
		orig = malloc(rows * cols * sizeof(*orig));
		if (!orig) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(orig, w, rows * cols * sizeof(*orig));
	}
	if (o->mask && exact) {
		if (keep != o->mask)
			memcpy(keep, o->mask, rows * cols);
		res->damp = percdamp * linalg_mean_diag(h, cols, cols);
	} else {
		ret = pr_obs(w, rows, cols, h, o, percdamp, keep, res);
		if (ret)
			goto out;
	}
	if (o->solve == PRUNE_SOLVE_AUTO && !exact)
		exact = pr_exact_cost(keep, rows, cols) <= PRUNE_EXACT_BUDGET;
	ret = 0;
	if (exact) {
		ret = prune_resolve(orig, rows, cols, h, keep, percdamp,
				    o->nthreads);
		if (!ret) {
			memcpy(w, orig, rows * cols * sizeof(*w));
			res->exact = true;
		}
	}
out:
	free(orig);
	free(own);
	return ret;
}

/* ---- block masks --------------------------------------------------------- */

int prune_damped_inverse(const double *h, size_t k, double percdamp,
			 unsigned int nthreads, double *inv)
{
	double lambda, *hd;
	unsigned int tries;
	int ret = -EDOM;

	if (!h || !inv || !k || !(percdamp >= 0) || !pr_h_ok(h, k))
		return -EINVAL;
	lambda = (percdamp ? percdamp : PRUNE_PERCDAMP) *
		 linalg_mean_diag(h, k, k);
	if (!(lambda > 0))
		lambda = 1e-8;
	hd = malloc(k * k * sizeof(*hd));
	if (!hd)
		return -ENOMEM;
	for (tries = 0; ret == -EDOM && tries <= PRUNE_MAX_RETRIES; tries++) {
		memcpy(hd, h, k * k * sizeof(*hd));
		linalg_add_diag(hd, k, k, lambda);
		ret = linalg_spd_inverse(hd, k, k, inv, nthreads);
		lambda *= 10;
	}
	free(hd);
	return ret;
}

int prune_block_mask_inv(const float *w, size_t rows, size_t cols,
			 const double *hinv, size_t bs, double sparsity,
			 uint8_t *keep)
{
	size_t nb, b, r, i, j, m, c0, z;
	double sub[64], x[8];
	struct pr_key *keys = NULL;
	uint8_t *bkeep = NULL;
	int ret;

	if (!w || !hinv || !keep || !rows || !cols || !bs || bs > 8 ||
	    !pr_sparsity_ok(sparsity) || !pr_finite_f(w, rows * cols))
		return -EINVAL;
	nb = (cols + bs - 1) / bs;
	keys = malloc(rows * nb * sizeof(*keys));
	bkeep = malloc(rows * nb);
	ret = -ENOMEM;
	if (!keys || !bkeep)
		goto out;
	for (b = 0; b < nb; b++) {
		c0 = b * bs;
		m = cols - c0 < bs ? cols - c0 : bs;
		for (i = 0; i < m; i++)
			for (j = 0; j < m; j++)
				sub[i * m + j] = hinv[(c0 + i) * cols + c0 + j];
		/* A principal block of an SPD inverse is SPD. */
		ret = linalg_cholesky(sub, m, m, 1);
		if (ret)
			goto out;
		for (r = 0; r < rows; r++) {
			double sal = 0;

			for (i = 0; i < m; i++)
				x[i] = w[r * cols + c0 + i];
			linalg_cholesky_solve(sub, m, m, x);
			for (i = 0; i < m; i++)
				sal += x[i] * w[r * cols + c0 + i];
			keys[r * nb + b].key = sal;
			keys[r * nb + b].idx = r * nb + b;
		}
	}
	z = prune_target_zeros(sparsity, rows * nb);
	memset(bkeep, 1, rows * nb);
	pr_prune_smallest(keys, rows * nb, z, bkeep);
	for (r = 0; r < rows; r++)
		for (j = 0; j < cols; j++)
			keep[r * cols + j] = bkeep[r * nb + j / bs];
	ret = 0;
out:
	free(keys);
	free(bkeep);
	return ret;
}

int prune_block_mask(const float *w, size_t rows, size_t cols, const double *h,
		     size_t bs, double sparsity, double percdamp,
		     unsigned int nthreads, uint8_t *keep)
{
	double *inv;
	int ret;

	if (!w || !h || !keep || !rows || !cols || !bs || bs > 8 ||
	    !pr_sparsity_ok(sparsity) || !(percdamp >= 0) ||
	    cols > ((size_t)-1) / sizeof(double) / cols)
		return -EINVAL;
	inv = malloc(cols * cols * sizeof(*inv));
	if (!inv)
		return -ENOMEM;
	ret = prune_damped_inverse(h, cols, percdamp, nthreads, inv);
	if (!ret)
		ret = prune_block_mask_inv(w, rows, cols, inv, bs, sparsity,
					   keep);
	free(inv);
	return ret;
}

/* ---- error, bias, channels ----------------------------------------------- */

int prune_output_error(const float *a, const float *b, size_t rows, size_t cols,
		       const double *h, unsigned int nthreads, double *err)
{
	struct linalg_mat md, mh;
	double *d, *g, s = 0;
	size_t i;
	int ret;

	if (!a || !b || !h || !err || !rows || !cols)
		return -EINVAL;
	d = malloc(rows * cols * sizeof(*d));
	g = calloc(rows * cols, sizeof(*g));
	if (!d || !g) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < rows * cols; i++)
		d[i] = (double)a[i] - b[i];
	md = (struct linalg_mat){ d, cols, false, false };
	mh = (struct linalg_mat){ h, cols, false, false };
	ret = linalg_gemm(rows, cols, cols, 1.0, &md, &mh, g, cols, LINALG_FULL,
			  nthreads);
	if (ret)
		goto out;
	for (i = 0; i < rows * cols; i++)
		s += d[i] * g[i];
	*err = s;
out:
	free(g);
	free(d);
	return ret;
}

void prune_bias_correct(const float *w_old, const float *w_new, size_t rows,
			size_t cols, const double *mean, float *bias)
{
	size_t r, j;

	for (r = 0; r < rows; r++) {
		double s = 0;

		for (j = 0; j < cols; j++)
			s += ((double)w_old[r * cols + j] -
			      w_new[r * cols + j]) *
			     mean[j];
		bias[r] = (float)(bias[r] + s);
	}
}

void prune_channel_l1(const float *w, size_t rows, size_t cols, double *score)
{
	size_t r, j;

	for (r = 0; r < rows; r++) {
		double s = 0;

		for (j = 0; j < cols; j++)
			s += fabs(w[r * cols + j]);
		score[r] = s;
	}
}

int prune_channel_select(const double *score, size_t n, size_t n_keep,
			 uint8_t *keep)
{
	struct pr_key *keys;
	size_t i;

	if (!n_keep || n_keep > n || !score || !keep)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isfinite(score[i]))
			return -EINVAL;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	/* Ascending by -score then index: on ties the higher index goes. */
	for (i = 0; i < n; i++)
		keys[i] = (struct pr_key){ -score[i], n - 1 - i };
	memset(keep, 1, n);
	qsort(keys, n, sizeof(*keys), pr_key_cmp);
	for (i = n_keep; i < n; i++)
		keep[n - 1 - keys[i].idx] = 0;
	free(keys);
	return 0;
}

int prune_channel_maps(const uint8_t *keep, size_t channels, size_t spatial,
		       bool channel_last, size_t *chan_map, size_t *col_map,
		       size_t *num_kept)
{
	size_t c, s, kept = 0, at = 0;

	if (!keep || !num_kept || !channels || (col_map && !spatial))
		return -EINVAL;
	for (c = 0; c < channels; c++)
		if (keep[c]) {
			if (chan_map)
				chan_map[kept] = c;
			kept++;
		}
	*num_kept = kept;
	if (!kept)
		return -EINVAL;
	if (!col_map)
		return 0;
	if (channel_last) {
		for (s = 0; s < spatial; s++)
			for (c = 0; c < channels; c++)
				if (keep[c])
					col_map[at++] = s * channels + c;
	} else {
		for (c = 0; c < channels; c++)
			if (keep[c])
				for (s = 0; s < spatial; s++)
					col_map[at++] = c * spatial + s;
	}
	return 0;
}

int prune_gather(const float *src, size_t rows, size_t cols,
		 const size_t *row_map, size_t new_rows, const size_t *col_map,
		 size_t new_cols, float *dst)
{
	size_t r, c;

	if (!src || !dst || (!row_map && new_rows != rows) ||
	    (!col_map && new_cols != cols))
		return -EINVAL;
	for (r = 0; r < new_rows; r++)
		if (row_map && row_map[r] >= rows)
			return -EINVAL;
	for (c = 0; c < new_cols; c++)
		if (col_map && col_map[c] >= cols)
			return -EINVAL;
	for (r = 0; r < new_rows; r++) {
		const float *sr = src + (row_map ? row_map[r] : r) * cols;

		for (c = 0; c < new_cols; c++)
			dst[r * new_cols + c] = sr[col_map ? col_map[c] : c];
	}
	return 0;
}

void prune_columns_mask(const uint8_t *keep_cols, size_t rows, size_t cols,
			uint8_t *keep)
{
	size_t r;

	for (r = 0; r < rows; r++)
		memcpy(keep + r * cols, keep_cols, cols);
}
