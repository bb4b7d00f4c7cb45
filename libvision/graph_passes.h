/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * DOC: graph passes
 *
 * Rewrites of the float graph IR (graph.h) that keep its results (up to
 * float rounding) and bring it to the form the int8 engine executes:
 *
 * - VIS_PASS_FOLD: evaluate every node whose inputs are all constants;
 * - VIS_PASS_IDENTITY: drop Identity (and Dropout), Reshape to the same
 *   shape, Cast to the same type, Transpose by the identity permutation,
 *   Pad by nothing;
 * - VIS_PASS_FC: Gemm with constant B and C, and MatMul by a constant
 *   matrix, become FC (weights [N, K] with alpha folded in, bias [N] with
 *   beta folded in); an Add of a constant [N] after an FC joins its bias;
 * - VIS_PASS_BN: BatchNormalization after a Conv or FC that nothing else
 *   reads is folded into its weights and bias;
 * - VIS_PASS_ACT: Relu and Clip (Relu6 included) after Conv, FC, Gemm,
 *   MatMul, Add, Sub, Mul, Div, the pools or BatchNormalization become that
 *   node's fused clamp (consecutive clamps merge). Other non-linearities
 *   stay separate nodes: the engine runs them as lookup tables that need
 *   their own input range. x * HardSigmoid(x) (alpha 1/6, beta 1/2, what
 *   PyTorch exports before opset 14) becomes HardSwish(x);
 * - VIS_PASS_DEAD: remove nodes whose outputs nothing reads;
 * - VIS_PASS_NHWC: every 4-D activation moves to NHWC, Conv weights to
 *   [Cout, KH, KW, Cin/group], channel axes of Concat, Softmax, Pad,
 *   Transpose, per-axis Q/DQ follow; a node that cannot run in NHWC runs
 *   between two Transposes, and Transposes that cancel or only move unit
 *   dimensions disappear; the Transpose a Flatten of an NHWC tensor would
 *   need in front of an FC is folded into the FC's weight columns. Graph
 *   inputs and outputs move to NHWC too (their tensors say so in
 *   &vis_tensor.layout) unless VIS_PASS_KEEP_IO_LAYOUT is given.
 *
 * vis_graph_optimize() runs the selected passes in a fixed order until
 * nothing changes, then compacts the graph (tensor and node ids change).
 */
#ifndef LIBVISION_GRAPH_PASSES_H
#define LIBVISION_GRAPH_PASSES_H

#include "graph.h"

enum vis_pass {
	VIS_PASS_FOLD = 1 << 0,
	VIS_PASS_IDENTITY = 1 << 1,
	VIS_PASS_FC = 1 << 2,
	VIS_PASS_BN = 1 << 3,
	VIS_PASS_ACT = 1 << 4,
	VIS_PASS_DEAD = 1 << 5,
	VIS_PASS_NHWC = 1 << 6,
	/* With VIS_PASS_NHWC: graph inputs and outputs keep their layout. */
	VIS_PASS_KEEP_IO_LAYOUT = 1 << 7,
	VIS_PASS_ALL = 0x7f,
};

/* Run the passes in @flags; 0 or -errno with a message in @err. */
int vis_graph_optimize(struct vis_graph *g, unsigned int flags,
		       struct vis_error *err);

/* The single passes; each returns the number of changes or -errno. */
int vis_pass_fold(struct vis_graph *g, struct vis_error *err);
int vis_pass_identity(struct vis_graph *g);
int vis_pass_fc(struct vis_graph *g);
int vis_pass_bn(struct vis_graph *g);
int vis_pass_act(struct vis_graph *g);
int vis_pass_dead(struct vis_graph *g);
int vis_pass_nhwc(struct vis_graph *g, bool keep_io, struct vis_error *err);

#endif /* LIBVISION_GRAPH_PASSES_H */
