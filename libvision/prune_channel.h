/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: structured (channel) pruning of a float graph in the
 * graph_passes.h form (NHWC, conv weights [O, KH, KW, I], FC weights
 * [N, K], bias the third input), one shot, post training.
 *
 * A producer is a CONV (group 1) or FC whose output reaches, through
 * operators that act on each channel alone, only layers that can lose
 * input channels:
 *
 * - element-wise activations (Relu, Clip, LeakyRelu, Sigmoid,
 *   HardSigmoid, HardSwish, Tanh), Identity, and Add/Sub/Mul/Div by a
 *   scalar constant: passed through;
 * - MaxPool, AveragePool, GlobalAveragePool (NHWC): passed through;
 * - a depthwise CONV (group = channels): loses the same channels, its
 *   output is followed further;
 * - a Reshape of [1, H, W, C] to [1, H*W*C] (Flatten) before FCs: the
 *   FCs lose the H*W columns of each removed channel, in NHWC flatten
 *   order (column (y * W + x) * C + c);
 * - a CONV (group 1) or FC reading the channels: a consumer; it loses
 *   the input columns of the removed channels and is re-solved.
 *
 * Anything else on the way (a residual Add or a Concat joining two
 * tensors, a graph output, a grouped conv, shared or quantized tensors)
 * leaves the producer intact; the report says why.
 *
 * Layer by layer in network order, each producer keeps the
 * C - round(sparsity * C) filters (at least one) of highest L1 norm
 * (prune.h prune_channel_l1(); the norm is divided by the filter's
 * length and the layer's mean, a per-layer normalisation that leaves the
 * ranking within the layer alone and makes reported scores comparable
 * across layers). Then each consumer, seeing X (its input patches in the
 * graph pruned so far) and X0 (its input patches in the unpruned graph),
 * gets new weights W' over the kept columns S and bias b' minimising
 *
 *   || X_S W'^T + b' - (X0 W^T + b) ||^2 + lambda || W' - W_S ||^2
 *
 * over the calibration set: the unpruned layer's outputs are the target,
 * so the error of the layers pruned before is compensated too (on the
 * project's MobileNet-style model at 30%, 87.9% float top-1 against 58.1%
 * with the pruned graph's own X W^T as target: residual adds sum the
 * branches, and each branch's drift must be undone where it arises).
 * This is the least squares of He, Zhang and Sun, "Channel Pruning for
 * Accelerating Very Deep Neural Networks", 2017. The optimal bias matches
 * the means, b' = b + mu0 . w - mu_S . w', which leaves a ridge
 * regression on the centred covariances, solved in double precision by Cholesky (linalg.h)
 * with lambda = percdamp * mean diag, raised tenfold on failure (the
 * default damping is ten times prune.h's: an FC after a Flatten has a K
 * of thousands and often fewer calibration images than that, so its
 * covariance is rank-deficient and the ridge toward W_S is what keeps
 * the solution general; on models/fmnist_cnn.onnx at 30% of channels,
 * float top-1 89.8% with 0.01, 90.1% with 0.1, 90.4% with 0.3). Without
 * reconstruction W' = W_S and only the bias moves: by the removed
 * channels' mean activation times their weights (plus the mean drift
 * earlier layers caused), so the mean output is kept.
 */
#ifndef LIBVISION_PRUNE_CHANNEL_H
#define LIBVISION_PRUNE_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "prune_graph.h"

/* Default damping of the consumers' re-solve: see above. */
#define PRUNE_CHANNEL_PERCDAMP 0.1

/**
 * struct prune_channel_opts - how to prune channels
 * @sparsity: fraction of each producer's output channels removed, (0, 1)
 * @reconstruct: re-solve the consumers (else only their bias moves)
 * @percdamp: damping as a fraction of the mean diagonal; 0:
 *	PRUNE_CHANNEL_PERCDAMP
 * @nthreads: interpreter and solver threads (0: one per CPU)
 * @progress: when set, called as each CONV/FC layer is reached with
 *	("pruning", layers done, layers); the library never prints
 * @progress_ctx: its first argument
 */
struct prune_channel_opts {
	double sparsity;
	bool reconstruct;
	double percdamp;
	unsigned int nthreads;
	void (*progress)(void *ctx, const char *step, size_t done,
			 size_t total);
	void *progress_ctx;
};

/* Defaults: 30%, reconstruct. */
void prune_channel_opts_init(struct prune_channel_opts *o);

/**
 * struct prune_channel_layer - one CONV or FC of the graph
 * @name: node name (owned)
 * @node: node id
 * @op: VIS_OP_CONV or VIS_OP_FC
 * @channels: output channels before
 * @kept: output channels after (a depthwise conv loses its producer's)
 * @weights: weight count before
 * @weights_after: after losing output channels and input columns
 * @pruned: its own filters were ranked and some removed
 * @consumers: how many layers it feeds were rewritten and re-solved
 * @rel_err: when @pruned, over the calibration set and its consumers,
 *	||consumer outputs - unpruned outputs|| / ||unpruned X0 W^T||
 * @score_min: when @pruned, the lowest normalised L1 score kept
 * @why: when not @pruned, why (a depthwise conv following its producer
 *	included); empty otherwise
 */
struct prune_channel_layer {
	char *name;
	int node;
	int op;
	size_t channels;
	size_t kept;
	uint64_t weights;
	uint64_t weights_after;
	bool pruned;
	unsigned int consumers;
	double rel_err;
	double score_min;
	char why[160];
};

/**
 * struct prune_channel_report - every CONV and FC, in network order
 * @layers: one per layer
 * @nlayers: their count
 * @npruned: layers that lost filters
 * @macs: multiply-adds of the graph's CONV and FC layers, before
 * @macs_after: and after
 * @weights: their weights and biases, before
 * @weights_after: and after
 */
struct prune_channel_report {
	struct prune_channel_layer *layers;
	size_t nlayers;
	size_t npruned;
	uint64_t macs;
	uint64_t macs_after;
	uint64_t weights;
	uint64_t weights_after;
};

/*
 * Remove channels from @g in place using @n calibration inputs @calib
 * (graph input 0's element count of floats each, preprocessed as for
 * vis_quantize()). @rep (may be NULL) is filled and freed with
 * prune_channel_report_free(). All or nothing: on failure @g is as it
 * was. Returns 0 or -errno with a message in @err: -EINVAL for bad
 * options, no calibration data, non-finite data or a graph that is not
 * one float input; -ENOENT when no layer can lose channels (the message
 * says why for each); -EDOM when a consumer's system stays singular.
 */
int prune_channel(struct vis_graph *g, const float *calib, size_t n,
		  const struct prune_channel_opts *o,
		  struct prune_channel_report *rep, struct vis_error *err);
void prune_channel_report_free(struct prune_channel_report *rep);

/*
 * Multiply-adds of one inference and weight + bias count of @g's CONV
 * and FC layers (an output element of a layer costs its weights' K).
 */
void prune_channel_cost(const struct vis_graph *g, uint64_t *macs,
			uint64_t *weights);

/*
 * prune_graph() for PRUNE_GRAPH_CHANNEL (@o->sparsity, reconstructing):
 * one &struct prune_graph_layer per CONV/FC, @rows x @cols its weights
 * before, @zeros the weights removed, @skipped when untouched.
 */
int prune_graph_channel(struct vis_graph *g, const float *calib, size_t n,
			const struct prune_graph_opts *o,
			struct prune_graph_report *rep, struct vis_error *err);

#endif /* LIBVISION_PRUNE_CHANNEL_H */
