/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: the numerical core of one-shot, post-training
 * pruning, independent of any graph. A layer is a weight matrix W of
 * rows = output channels by cols = K, the length of its input patch, in
 * row-major floats; its calibration inputs are patches x (rows of X,
 * n x K) summarised by H = X^T X. A mask is one byte per weight: 1 kept,
 * 0 pruned. Every function returns 0 or a negative errno: -EINVAL for a
 * bad argument or a non-finite value, -ENOMEM, or -EDOM when a system
 * stays singular after damping. Results never depend on the thread
 * count (@nthreads: 0 for one per CPU).
 */
#ifndef LIBVISION_PRUNE_H
#define LIBVISION_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- masks --------------------------------------------------------------- */

/*
 * The number of weights out of @n a @sparsity in [0, 1] prunes:
 * round(sparsity * n), the exact count every mask below produces.
 */
size_t prune_target_zeros(double sparsity, size_t n);

/*
 * Magnitude mask of one layer: prune exactly prune_target_zeros() of the
 * @n weights, those of smallest |w| (ties: the lower index first).
 */
int prune_magnitude(const float *w, size_t n, double sparsity, uint8_t *keep);

/* A layer for global pruning: @n weights and the mask to fill. */
struct prune_layer {
	const float *w;
	size_t n;
	uint8_t *keep;
};

/*
 * One |w| threshold across @nlayers layers: prune exactly
 * prune_target_zeros(@sparsity, total) weights, the smallest overall
 * (ties: earlier layer, then lower index).
 */
int prune_magnitude_global(const struct prune_layer *layers, size_t nlayers,
			   double sparsity);

/*
 * N:M mask along K: in every group of @m consecutive columns of a row
 * (groups start at column 0), keep the @n largest |w| and prune the rest
 * (ties: the lower index is pruned); a short last group keeps at most @n.
 * 0 < @n < @m.
 */
int prune_nm_mask(const float *w, size_t rows, size_t cols, unsigned int n,
		  unsigned int m, uint8_t *keep);

/*
 * Block mask along K for block-sparse storage (BLOCK4): each row of
 * @cols cut into blocks of @bs consecutive columns from column 0 (the
 * last may be short); prune exactly prune_target_zeros(@sparsity,
 * blocks) of the layer's rows * ceil(cols / bs) blocks, those of
 * smallest group OBS saliency w_B^T [(H + lambda I)^-1_BB]^-1 w_B, the
 * rise of the layer's calibration output error when block B of a row is
 * removed and the rest of the row optimally re-solved (Kurtic et al.
 * 2022, "The Optimal BERT Surgeon", the block form of OBS); lambda =
 * @percdamp (0: PRUNE_PERCDAMP) * mean diag(@h), raised tenfold while H
 * is singular. Ties: the lower index is pruned.
 */
int prune_block_mask(const float *w, size_t rows, size_t cols, const double *h,
		     size_t bs, double sparsity, double percdamp,
		     unsigned int nthreads, uint8_t *keep);

/*
 * (H + lambda I)^-1 into @inv (k x k), lambda = @percdamp (0:
 * PRUNE_PERCDAMP) * mean diag(@h), raised tenfold while the Cholesky
 * factorisation fails (-EDOM after 8 retries).
 */
int prune_damped_inverse(const double *h, size_t k, double percdamp,
			 unsigned int nthreads, double *inv);

/*
 * prune_block_mask() with the damped inverse @hinv given, for repeated
 * masks of one layer.
 */
int prune_block_mask_inv(const float *w, size_t rows, size_t cols,
			 const double *hinv, size_t bs, double sparsity,
			 uint8_t *keep);

/* Zero the pruned weights of @w. */
void prune_apply_mask(float *w, const uint8_t *keep, size_t count);

/* ---- the calibration Hessian --------------------------------------------- */

/*
 * H = X^T X and the column sums of X over every patch added, in double
 * precision. @h is k x k, full and symmetric after every add.
 */
struct prune_hessian {
	size_t k;
	uint64_t n;
	double *h;
	double *sum;
};

int prune_hessian_init(struct prune_hessian *hs, size_t k);
void prune_hessian_release(struct prune_hessian *hs);

/*
 * Add @n patches @x (n x k floats, row-major): blocked, packed and
 * threaded over blocks of H, or over fixed chunks of patches when k is
 * small. Nothing is added if @x holds a non-finite value (-EINVAL).
 */
int prune_hessian_add(struct prune_hessian *hs, const float *x, size_t n,
		      unsigned int nthreads);

/* E[x] (k values) over the patches added; -EINVAL if there were none. */
int prune_hessian_mean(const struct prune_hessian *hs, double *mean);

/* ---- reconstruction ------------------------------------------------------ */

enum prune_scope {
	PRUNE_PER_LAYER, /* the layer's count is exact; rows may differ */
	PRUNE_PER_ROW, /* every row prunes the same count */
};

/*
 * The sweep chooses the mask; with a mask given and the re-solve to run,
 * the sweep is skipped. Why AUTO is the default: see prune.c.
 */
enum prune_solve {
	PRUNE_SOLVE_AUTO, /* OBS, then the exact re-solve where affordable */
	PRUNE_SOLVE_OBS, /* SparseGPT's OBS sweep only */
	PRUNE_SOLVE_EXACT, /* OBS, then always the exact re-solve */
};

/* Default damping, as a fraction of the mean diagonal of H. */
#define PRUNE_PERCDAMP 0.01
/* Default column block of the OBS sweep. */
#define PRUNE_BLOCK 128

/*
 * @sparsity: fraction pruned, [0, 1), with @scope; ignored for N:M.
 * @nm_n, @nm_m: N:M (keep @nm_n of every @nm_m along K) when @nm_m > 0.
 * @mask: when not NULL, this mask (rows x cols) is used as given
 *	instead of choosing one (global magnitude, channel pruning).
 * @percdamp: damping lambda = percdamp * mean diag(H); 0: PRUNE_PERCDAMP.
 * @block: OBS column block; 0: PRUNE_BLOCK (rounded to a multiple of M).
 * @solve: see enum prune_solve.
 * @nthreads: 0 for one per CPU.
 */
struct prune_opts {
	double sparsity;
	enum prune_scope scope;
	unsigned int nm_n;
	unsigned int nm_m;
	const uint8_t *mask;
	double percdamp;
	size_t block;
	enum prune_solve solve;
	unsigned int nthreads;
};

/*
 * What prune_reconstruct() did: @damp, the lambda finally added to H's
 * diagonal (raised tenfold per Cholesky failure, @retries times);
 * @exact, whether the exact re-solve ran.
 */
struct prune_result {
	double damp;
	unsigned int retries;
	bool exact;
};

/*
 * Prune the @rows x @cols layer @w in place so that it reproduces the
 * unpruned layer's outputs on the calibration inputs (@h, k = @cols, full
 * symmetric): SparseGPT's OBS sweep (Frantar & Alistarh 2023) choosing
 * the mask block by block by w^2 / [U]_jj^2 and correcting the remaining
 * weights, then, depending on @o->solve, the exact least-squares re-solve
 * of the kept weights. @keep (may be NULL) receives the mask; pruned
 * weights are exactly 0. @res may be NULL.
 */
int prune_reconstruct(float *w, size_t rows, size_t cols, const double *h,
		      const struct prune_opts *o, uint8_t *keep,
		      struct prune_result *res);

/*
 * Exact re-solve: for each row, with the mask @keep, the kept weights
 * minimising ||X w_kept - X w||^2 + lambda ||w_kept - w_S||^2, w being
 * the row of @w on entry (the unpruned target), lambda = @percdamp (0:
 * PRUNE_PERCDAMP) * mean diag(H); ridge toward the original weights, so
 * it is defined even when X is rank-deficient. Solved by Cholesky of
 * H_SS + lambda I, one factorisation per distinct row mask. @w receives
 * the result (pruned entries 0). Costs about rows * |S|^3 / 6
 * multiply-adds, |S| kept per row.
 */
int prune_resolve(float *w, size_t rows, size_t cols, const double *h,
		  const uint8_t *keep, double percdamp, unsigned int nthreads);

/*
 * The calibration output error between two versions of a layer:
 * sum over rows of (a - b)^T H (a - b) = ||X A^T - X B^T||_F^2.
 */
int prune_output_error(const float *a, const float *b, size_t rows, size_t cols,
		       const double *h, unsigned int nthreads, double *err);

/*
 * Bias correction: @bias[r] += sum_j (w_old - w_new)[r][j] * @mean[j],
 * so the expected output over the calibration inputs is unchanged.
 */
void prune_bias_correct(const float *w_old, const float *w_new, size_t rows,
			size_t cols, const double *mean, float *bias);

/* ---- channel (structured) pruning ---------------------------------------- */

/* L1 norm of each of the @rows output channels (rows) of @w. */
void prune_channel_l1(const float *w, size_t rows, size_t cols, double *score);

/*
 * Keep the @n_keep channels of highest @score (ties: the lower index
 * kept), 0 < @n_keep <= @n.
 */
int prune_channel_select(const double *score, size_t n, size_t n_keep,
			 uint8_t *keep);

/*
 * Index maps for removing the channels @keep marks 0 out of @channels:
 * @chan_map[new] = old channel, for this layer's rows (and a following
 * depthwise layer's); @col_map[new] = old column of the next layer,
 * whose K holds @spatial positions per input channel, the channel
 * fastest (@channel_last: [cout][kh][kw][cin], the engine's layout) or
 * slowest ([cout][cin][kh][kw], ONNX's). @col_map has room for
 * @channels * @spatial entries; either map may be NULL. *@num_kept gets
 * the kept count (-EINVAL when 0).
 */
int prune_channel_maps(const uint8_t *keep, size_t channels, size_t spatial,
		       bool channel_last, size_t *chan_map, size_t *col_map,
		       size_t *num_kept);

/*
 * @dst (new_rows x new_cols) = the rows @row_map and columns @col_map of
 * @src (@rows x @cols); a NULL map takes all, in order (its count must
 * then match).
 */
int prune_gather(const float *src, size_t rows, size_t cols,
		 const size_t *row_map, size_t new_rows, const size_t *col_map,
		 size_t new_cols, float *dst);

/*
 * The mask of a layer losing input columns: @keep[r][c] = @keep_cols[c],
 * for reconstructing the layer after the previous one lost channels.
 */
void prune_columns_mask(const uint8_t *keep_cols, size_t rows, size_t cols,
			uint8_t *keep);

#endif /* LIBVISION_PRUNE_H */
