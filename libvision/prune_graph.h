/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: one-shot, post-training pruning of a float graph
 * (graph_passes.h form: NHWC, conv weights [O, KH, KW, I], FC weights
 * [N, K], bias the third input), before quantization.
 *
 * Layer by layer in network order, every CONV and FC is pruned in place:
 * the float interpreter runs the calibration inputs through the graph
 * whose earlier layers are already pruned, the layer's input patches
 * (im2col of the NHWC input in the weights' [KH][KW][C] order for a conv,
 * the input vector for an FC) go into the calibration Hessian (prune.h),
 * the weights are pruned (magnitude, reconstruct or N:M with
 * reconstruction) and the bias corrected with the mean input patch, so
 * the layer's mean output over the calibration set is unchanged.
 *
 * Block pruning (PRUNE_GRAPH_BLOCK4) removes whole blocks of 4
 * consecutive K values, the unit of the BLOCK4 weight encoding, so the
 * zeros are stored as nothing and skipped by the engine: blocks chosen by
 * group OBS saliency (prune_block_mask()), the kept weights re-solved as
 * by reconstruct, in rounds of rising sparsity. With @block_rows > 1 the
 * blocks are whole columns of blocks shared by each aligned group of
 * @block_rows output channels: the engine packs BLOCK4 weights 64 rows at
 * a time and skips only the blocks no row of those 64 stores.
 *
 * Not pruned (reported as skipped): grouped and depthwise convolutions
 * (one small filter per channel: every weight counts, and they hold few
 * of the parameters) and layers whose K is below PRUNE_GRAPH_MIN_K, like
 * a first 3x3 conv over one grey channel (K = 9): pruning half of nine
 * taps blinds the filter and saves next to nothing.
 */
#ifndef LIBVISION_PRUNE_GRAPH_H
#define LIBVISION_PRUNE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

/* Layers with a shorter input patch stay dense. */
#define PRUNE_GRAPH_MIN_K 16
/* Largest @block_rows: the engine's quad of 64 output channels. */
#define PRUNE_GRAPH_MAX_BLOCK_ROWS 64

enum prune_graph_method {
	PRUNE_GRAPH_MAGNITUDE, /* per-layer magnitude mask, then bias fix */
	PRUNE_GRAPH_RECONSTRUCT, /* OBS/SparseGPT + exact re-solve */
	PRUNE_GRAPH_NM, /* N:M mask chosen and re-solved likewise */
	PRUNE_GRAPH_CHANNEL, /* whole filters removed: prune_channel.h */
	PRUNE_GRAPH_BLOCK4, /* whole blocks of 4 along K (BLOCK4), re-solved */
};

/**
 * struct prune_graph_opts - how to prune
 * @method: &enum prune_graph_method
 * @sparsity: per-layer fraction pruned, (0, 1); ignored for N:M; for
 *	PRUNE_GRAPH_CHANNEL the fraction of each layer's output channels
 * @nm_n: N:M: keep @nm_n of every @nm_m consecutive weights along K
 * @nm_m: likewise
 * @block_rows: PRUNE_GRAPH_BLOCK4 only (else 0 or 1): 1 (or 0) chooses
 *	each row's blocks on their own; a power of two up to
 *	PRUNE_GRAPH_MAX_BLOCK_ROWS prunes the same blocks in every row of
 *	each aligned group of that many output channels (rows 0 to
 *	@block_rows - 1, ...; the last group may be short). A group's
 *	column of blocks is scored by its rows' saliencies summed; the
 *	layer prunes the count of full-group and short-group columns whose
 *	zero blocks are nearest @sparsity of its blocks (within half a
 *	group of rows; the larger count when two are as near), the least
 *	salient of each kind, with the least summed saliency of the counts
 *	as near.
 * @nthreads: interpreter and solver threads (0: one per CPU)
 * @progress: when set, called after each CONV/FC layer with ("pruning",
 *	layers done, layers); the library never prints, the caller may
 *	draw it
 * @progress_ctx: its first argument
 */
struct prune_graph_opts {
	enum prune_graph_method method;
	double sparsity;
	unsigned int nm_n;
	unsigned int nm_m;
	unsigned int block_rows;
	unsigned int nthreads;
	void (*progress)(void *ctx, const char *step, size_t done,
			 size_t total);
	void *progress_ctx;
};

/* Defaults: reconstruct, 50%, 2:4 for N:M, blocks per row. */
void prune_graph_opts_init(struct prune_graph_opts *o);

/**
 * struct prune_graph_layer - what happened to one layer
 * @name: node name (owned)
 * @node: node id in the graph
 * @op: VIS_OP_CONV or VIS_OP_FC
 * @rows: output channels
 * @cols: K, the input patch length
 * @zeros: weights equal to 0 after pruning
 * @skipped: left dense (see the DOC above); @zeros then counts the
 *	model's own zeros
 * @rel_err: ||X (W - W')^T|| / ||X W^T|| over the calibration patches
 *	(0 when skipped)
 * @exact: the exact least-squares re-solve ran
 */
struct prune_graph_layer {
	char *name;
	int node;
	int op;
	size_t rows;
	size_t cols;
	size_t zeros;
	bool skipped;
	double rel_err;
	bool exact;
};

/**
 * struct prune_graph_report - every CONV and FC layer, in network order
 * @layers: one per layer
 * @nlayers: their count
 * @weights: weights of all listed layers
 * @zeros: of which zero
 */
struct prune_graph_report {
	struct prune_graph_layer *layers;
	size_t nlayers;
	uint64_t weights;
	uint64_t zeros;
};

/*
 * Prune @g in place using @n calibration inputs @calib (graph input 0's
 * element count of floats each, preprocessed as for vis_quantize()).
 * @rep (may be NULL) is filled and freed with prune_graph_report_free().
 * Returns 0 or -errno with a message naming the layer in @err: -EINVAL
 * for bad options (@block_rows not a power of two up to
 * PRUNE_GRAPH_MAX_BLOCK_ROWS, or above 1 with a method other than
 * PRUNE_GRAPH_BLOCK4), no calibration data or a graph that is not one
 * input of floats; -EDOM when a layer's system stays singular.
 * PRUNE_GRAPH_CHANNEL goes to prune_graph_channel() (prune_channel.h):
 * the graph is rewritten, and -ENOENT means no layer could lose channels.
 */
int prune_graph(struct vis_graph *g, const float *calib, size_t n,
		const struct prune_graph_opts *o,
		struct prune_graph_report *rep, struct vis_error *err);
void prune_graph_report_free(struct prune_graph_report *rep);

/*
 * The body of every pruning report's _free(): the owned names of @rep's
 * @nlayers @layers, the layers, then @rep cleared. NULL: nothing.
 */
#define PRUNE_REPORT_FREE(rep)                                 \
	do {                                                   \
		if (!(rep))                                    \
			break;                                 \
		for (size_t i_ = 0; i_ < (rep)->nlayers; i_++) \
			free((rep)->layers[i_].name);          \
		free((rep)->layers);                           \
		memset((rep), 0, sizeof(*(rep)));              \
	} while (0)

/**
 * struct prune_im2col - where a CONV's or FC's input patches come from
 * @conv: a CONV, whose patches are im2col of its NHWC input in the
 *	weights' [KH][KW][C] order; else an FC, whose input is @npatch
 *	rows of @k
 * @k: the patch length, weights per output channel
 * @npatch: patches per inference (0 when @k is)
 * @h: (conv only, as the rest) input height
 * @w: input width
 * @c: input channels
 * @oh: output height
 * @ow: output width
 * @kh: kernel height
 * @kw: kernel width
 * @sh: vertical stride
 * @sw: horizontal stride
 * @dh: vertical dilation
 * @dw: horizontal dilation
 * @pt: top padding
 * @pl: left padding
 */
struct prune_im2col {
	bool conv;
	size_t k;
	size_t npatch;
	int64_t h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
};

/*
 * @p for node @n of @g: a CONV whose input, output and weights the caller
 * has checked are rank 4 (NHWC, batch 1, weights [O, KH, KW, I]), or an
 * FC.
 */
void prune_im2col_init(struct prune_im2col *p, const struct vis_graph *g,
		       const struct vis_node *n);
/* The @p->npatch x @p->k patches of one input @x into @out, zero padded. */
void prune_im2col(const struct prune_im2col *p, const float *x, float *out);

#endif /* LIBVISION_PRUNE_GRAPH_H */
