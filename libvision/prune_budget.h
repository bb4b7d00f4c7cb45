/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: per-layer sparsity chosen to meet an accuracy budget
 * (vision-compile --accuracy-budget).
 *
 * The budget is the allowed top-1 drop, in points, of the int8 model
 * against the float graph, both measured on an evaluation set (inputs
 * preprocessed as for vis_quantize(), one label each).
 *
 * 1. Float top-1 of the unpruned graph on the evaluation set.
 * 2. The whole graph is pruned (prune_graph(), on the calibration inputs)
 *    once per candidate sparsity in PRUNE_BUDGET_CANDIDATES (2:4 has the
 *    one candidate 50%). Layer L pruned at s is taken from that copy: its
 *    weights and corrected bias. The one approximation: its
 *    reconstruction saw the layers before it pruned at s too, not at
 *    their own chosen sparsities.
 * 3. Sensitivity: for each prunable layer and candidate, only that layer
 *    is swapped into the unpruned graph and the float top-1 drop on the
 *    evaluation set measured (negative drops, noise, count as 0). The
 *    drop is taken as monotone in the sparsity, which saves runs: the
 *    sparsest candidate is tried first and when it costs nothing, the
 *    others are not tried (they cost nothing either); otherwise they are
 *    tried in rising order, stopping at the first that drops more than
 *    the whole budget (the sparser could never be chosen).
 * 4. Greedy choice: from all layers dense, repeatedly take the step (one
 *    layer to a higher candidate) removing the most weights per point of
 *    predicted drop that keeps the summed predicted drops within the
 *    budget.
 * 5. Those layers are swapped in, the graph quantized (the caller's
 *    options) and the int8 top-1 measured. While its drop exceeds the
 *    budget, the layer with the worst predicted drop per removed weight
 *    goes down one candidate (to dense at the bottom) and step 5 repeats,
 *    at most PRUNE_BUDGET_MAX_TRIES times; when that is not enough every
 *    layer is left dense (and still measured).
 *
 * Weights counted: the weight tensors of all CONV and FC layers (not
 * biases); "prunable" those prune_graph() does not skip.
 */
#ifndef LIBVISION_PRUNE_BUDGET_H
#define LIBVISION_PRUNE_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "prune_graph.h"
#include "quantize.h"

#define PRUNE_BUDGET_NCAND 5
#define PRUNE_BUDGET_CANDIDATES               \
	{                                     \
		0.25, 0.5, 0.625, 0.75, 0.875 \
	}
#define PRUNE_BUDGET_MAX_TRIES 24

/**
 * struct prune_budget_opts - the search
 * @budget: allowed int8 top-1 drop against float, points (>= 0)
 * @method: PRUNE_GRAPH_RECONSTRUCT (default), _MAGNITUDE or _NM (2:4)
 * @quant: quantizer options of the int8 measurement (NULL: defaults)
 * @nthreads: threads (0: one per CPU)
 * @progress: when set, passed to every pruning (step "pruning") and
 *	called after each layer's sensitivity with ("sensitivity", layers
 *	done, layers); the int8 measurements report through @quant's own;
 *	the library never prints
 * @progress_ctx: its first argument
 */
struct prune_budget_opts {
	double budget;
	enum prune_graph_method method;
	const struct vis_quant_opts *quant;
	unsigned int nthreads;
	void (*progress)(void *ctx, const char *step, size_t done,
			 size_t total);
	void *progress_ctx;
};

void prune_budget_opts_init(struct prune_budget_opts *o);

/**
 * struct prune_budget_layer - one CONV or FC layer
 * @name: node name (owned)
 * @node: node id
 * @weights: its weights
 * @prunable: prune_graph() prunes it
 * @ncand: candidates measured (the search stops at the first over
 *	the budget)
 * @cand: their sparsities
 * @drop: float top-1 drop, points, with only this layer pruned at each
 * @sparsity: chosen (0: dense)
 * @zeros: zero weights after the search
 * @predicted: predicted drop at @sparsity
 */
struct prune_budget_layer {
	char *name;
	int node;
	size_t weights;
	bool prunable;
	unsigned int ncand;
	double cand[PRUNE_BUDGET_NCAND];
	double drop[PRUNE_BUDGET_NCAND];
	double sparsity;
	size_t zeros;
	double predicted;
};

/**
 * struct prune_budget_report - what the search found
 * @layers: every CONV and FC, network order
 * @nlayers: their count
 * @eval_count: evaluation inputs
 * @float_top1: float top-1 of the unpruned graph, percent
 * @int8_top1: int8 top-1 of the chosen pruned graph, percent
 * @predicted: summed predicted drops of the choice
 * @met: int8_top1 >= float_top1 - budget
 * @tries: int8 measurements made
 * @prunable_weights: weights of the prunable layers
 * @all_weights: weights of all layers
 * @zeros: zero weights after the search (all layers)
 * @pruned: weights the search zeroed
 */
struct prune_budget_report {
	struct prune_budget_layer *layers;
	size_t nlayers;
	size_t eval_count;
	double float_top1;
	double int8_top1;
	double predicted;
	bool met;
	unsigned int tries;
	uint64_t prunable_weights;
	uint64_t all_weights;
	uint64_t zeros;
	uint64_t pruned;
};

/*
 * Prune @g in place to per-layer sparsities meeting @o->budget, see the
 * DOC above. @calib: @ncalib calibration inputs (pruning and
 * quantization); @eval: @neval evaluation inputs with @labels. @rep (may
 * be NULL) is freed with prune_budget_report_free(). Returns 0 (check
 * @rep->met) or -errno with a message in @err: -EINVAL for a bad budget,
 * method, no calibration or evaluation data, a label outside the model's
 * classes.
 */
int prune_budget(struct vis_graph *g, const float *calib, size_t ncalib,
		 const float *eval, const int32_t *labels, size_t neval,
		 const struct prune_budget_opts *o,
		 struct prune_budget_report *rep, struct vis_error *err);
void prune_budget_report_free(struct prune_budget_report *rep);

/*
 * Top-1, percent, over @n inputs @x (preprocessed) with @labels: of the
 * float graph @g when @qm is NULL, else of the int8 model @qm (inputs
 * quantised with its input parameters). -errno on failure.
 */
double prune_budget_top1(const struct vis_graph *g, const struct vis_qmodel *qm,
			 const float *x, const int32_t *labels, size_t n,
			 unsigned int nthreads);

#endif /* LIBVISION_PRUNE_BUDGET_H */
