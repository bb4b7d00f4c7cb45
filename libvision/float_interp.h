/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * DOC: float32 reference interpreter
 *
 * Runs a &struct vis_graph (graph.h) in float32 with ONNX semantics, in
 * either layout (each spatial node says which through attrs.layout). It is
 * the reference the int8 model is measured against and the source of the
 * activations calibration looks at, so every tensor's values stay readable
 * after a run (vis_interp_tensor()).
 *
 * Heavy operators (convolution, fully connected, matrix products, pools)
 * are split over a pool of pthreads by output rows or channels. Each output
 * element is computed by one thread with the same order of additions
 * whatever the split, so results are bit-identical for any thread count.
 *
 * A &struct vis_interp keeps pointers into its graph: the graph must
 * outlive it and not change while it exists. One interpreter runs one
 * inference at a time; create one per concurrent user.
 */
#ifndef LIBVISION_FLOAT_INTERP_H
#define LIBVISION_FLOAT_INTERP_H

#include "graph.h"

struct vis_interp;

/*
 * Prepare @g for running on @nthreads threads (0: one per online CPU,
 * at most 64). Allocates every tensor's buffer. Returns 0 or -errno with a
 * message in @err (may be NULL).
 */
int vis_interp_create(const struct vis_graph *g, int nthreads,
		      struct vis_interp **out, struct vis_error *err);
void vis_interp_destroy(struct vis_interp *ip);

/*
 * One inference. @inputs[i] holds graph input i (g->inputs[i]) as floats
 * in the tensor's shape and layout; when @outputs is not NULL, each
 * graph output i is copied to @outputs[i]. Returns 0 or -errno.
 */
int vis_interp_run(struct vis_interp *ip, const float *const *inputs,
		   float *const *outputs, struct vis_error *err);

/* Values of any tensor after the last run (constants: their data). */
const float *vis_interp_tensor(const struct vis_interp *ip, int tensor);

/* Threads the interpreter uses. */
int vis_interp_threads(const struct vis_interp *ip);

/*
 * Evaluate one node of @g on the calling thread: @in[i] holds input i
 * (NULL for an omitted one), @out[i] receives output i, in the shapes the
 * graph gives. Used for constant folding. Returns 0 or -errno.
 */
int vis_interp_eval_node(const struct vis_graph *g, const struct vis_node *n,
			 const float *const *in, float *const *out,
			 struct vis_error *err);

/* Apply a fused activation to one value. */
float vis_act_apply(const struct vis_node *n, float x);

#endif /* LIBVISION_FLOAT_INTERP_H */
