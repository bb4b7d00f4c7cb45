/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * DOC: float graph IR of the offline compiler
 *
 * The importer (onnx_import.h) turns a model into a &struct vis_graph; the
 * passes (graph_passes.h) simplify it and move it to the int8 engine's NHWC
 * layout; the reference interpreter (float_interp.h) runs it in float32.
 *
 * Tensors and nodes live in arrays and refer to each other by index, so
 * passes may add, rewire and remove them freely. Every tensor has a static
 * shape (rank 0..VIS_MAX_RANK, row-major). Constant tensors carry their
 * values as float whatever their element type (int64 shapes, int8 codes of
 * a quantized tensor, ...): every value the supported models hold is exact
 * in float. Non-constant tensors carry no data; the interpreter computes
 * them. A removed node or tensor stays in the array, marked dead, until
 * vis_graph_compact() drops it; ids change only there.
 *
 * Operators are ONNX's, normalised at import: attributes resolved to the
 * fields of &struct vis_attrs (auto_pad and ceil_mode turned into explicit
 * pads, Flatten/Squeeze/Unsqueeze/Reshape into RESHAPE of a known output
 * shape, Upsample into RESIZE, Dropout into IDENTITY), so every consumer
 * reads one form.
 */
#ifndef LIBVISION_GRAPH_H
#define LIBVISION_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"

#define VIS_MAX_RANK 8
/* At most this many inputs per node (Concat). */
#define VIS_MAX_NODE_INPUTS 64
#define VIS_MAX_NODE_OUTPUTS 2

enum vis_dtype {
	VIS_DT_FLOAT = 0,
	VIS_DT_INT64,
	VIS_DT_INT32,
	VIS_DT_INT8,
	VIS_DT_UINT8,
	VIS_DT_BOOL,
};

/*
 * Layout of a 4-D activation (or 3-D for 1-D convolutions, with the
 * spatial dimension in the middle for NHWC). VIS_LAYOUT_NONE: not an image
 * tensor, or the layout does not matter.
 */
enum vis_layout {
	VIS_LAYOUT_NONE = 0,
	VIS_LAYOUT_NCHW,
	VIS_LAYOUT_NHWC,
};

enum vis_op {
	VIS_OP_CONV = 1,
	VIS_OP_GEMM, /* ONNX Gemm */
	VIS_OP_MATMUL, /* ONNX MatMul, batched with broadcasting */
	/* y[..., n] = sum_k x[..., k] * W[n, k] + b[n]: W constant [N, K] */
	VIS_OP_FC,
	VIS_OP_BATCHNORM,
	VIS_OP_RELU,
	VIS_OP_CLIP,
	VIS_OP_LEAKY_RELU,
	VIS_OP_SIGMOID,
	VIS_OP_HARD_SIGMOID,
	VIS_OP_HARD_SWISH,
	VIS_OP_TANH,
	VIS_OP_ADD,
	VIS_OP_SUB,
	VIS_OP_MUL,
	VIS_OP_DIV,
	VIS_OP_MAXPOOL,
	VIS_OP_AVGPOOL,
	VIS_OP_GLOBAL_AVGPOOL,
	VIS_OP_RESHAPE, /* output shape is the output tensor's shape */
	VIS_OP_TRANSPOSE,
	VIS_OP_CONCAT,
	VIS_OP_PAD,
	VIS_OP_RESIZE,
	VIS_OP_SOFTMAX,
	VIS_OP_IDENTITY,
	VIS_OP_GATHER,
	VIS_OP_CAST,
	VIS_OP_QUANTIZE,
	VIS_OP_DEQUANTIZE,
	VIS_OP_COUNT,
};

/* Activation fused into CONV, GEMM, FC, MATMUL, ADD, SUB, MUL, DIV. */
enum vis_act {
	VIS_ACT_NONE = 0,
	VIS_ACT_RELU,
	VIS_ACT_CLIP, /* clamp to [act_min, act_max] (Relu6 included) */
	VIS_ACT_LEAKY_RELU, /* alpha: act_alpha */
	VIS_ACT_SIGMOID,
	VIS_ACT_HARD_SIGMOID, /* act_alpha, act_beta */
	VIS_ACT_HARD_SWISH,
	VIS_ACT_TANH,
};

enum vis_resize_mode {
	VIS_RESIZE_NEAREST = 0,
	VIS_RESIZE_LINEAR,
};

enum vis_resize_coord {
	VIS_COORD_HALF_PIXEL = 0,
	VIS_COORD_ASYMMETRIC,
	VIS_COORD_ALIGN_CORNERS,
	VIS_COORD_PYTORCH_HALF_PIXEL,
	VIS_COORD_TF_HALF_PIXEL_FOR_NN,
};

enum vis_resize_nearest {
	VIS_NEAREST_ROUND_PREFER_FLOOR = 0,
	VIS_NEAREST_ROUND_PREFER_CEIL,
	VIS_NEAREST_FLOOR,
	VIS_NEAREST_CEIL,
};

/**
 * struct vis_attrs - operator parameters, normalised
 * @kernel: CONV/pools: window height, width (1-D: 1, L)
 * @strides: likewise
 * @dilations: likewise
 * @pads: top, left, bottom, right (explicit; auto_pad and ceil_mode
 *	already applied)
 * @group: CONV groups
 * @count_include_pad: AVGPOOL
 * @axis: CONCAT, SOFTMAX, GATHER, QUANTIZE/DEQUANTIZE (per-axis params)
 * @softmax_2d: SOFTMAX of opset < 13: over the flattened dims >= axis
 * @perm: TRANSPOSE, the input axis of each output axis
 * @alpha: GEMM alpha, LEAKY_RELU/HARD_SIGMOID alpha, CLIP min
 * @beta: GEMM beta, HARD_SIGMOID beta, CLIP max
 * @epsilon: BATCHNORM
 * @trans_a: GEMM
 * @trans_b: GEMM
 * @pad_begin: PAD, per dim, may be negative (crop)
 * @pad_end: PAD
 * @pad_value: PAD constant
 * @resize_mode: &enum vis_resize_mode
 * @resize_coord: &enum vis_resize_coord
 * @resize_nearest: &enum vis_resize_nearest
 * @resize_scale: RESIZE per-dim scale (output / input unless given)
 * @to: CAST target &enum vis_dtype
 * @layout: spatial ops (CONV, pools, BATCHNORM, RESIZE): the layout of
 *	their activations, so where the channels are
 */
struct vis_attrs {
	int64_t kernel[2];
	int64_t strides[2];
	int64_t dilations[2];
	int64_t pads[4];
	int64_t group;
	int count_include_pad;
	int64_t axis;
	int softmax_2d;
	int64_t perm[VIS_MAX_RANK];
	float alpha;
	float beta;
	float epsilon;
	int trans_a;
	int trans_b;
	int64_t pad_begin[VIS_MAX_RANK];
	int64_t pad_end[VIS_MAX_RANK];
	float pad_value;
	int resize_mode;
	int resize_coord;
	int resize_nearest;
	float resize_scale[VIS_MAX_RANK];
	int to;
	int layout;
};

/**
 * struct vis_quant - quantization parameters a QDQ model gave a tensor
 * @count: number of scales: 0 none, 1 per tensor, else per axis
 * @axis: the axis of per-axis parameters
 * @scale: @count scales
 * @zero_point: @count zero points
 * @dtype: VIS_DT_INT8 or VIS_DT_UINT8: the quantized type
 */
struct vis_quant {
	int count;
	int axis;
	float *scale;
	int32_t *zero_point;
	int dtype;
};

/**
 * struct vis_tensor - one tensor
 * @name: unique name (owned)
 * @dtype: &enum vis_dtype
 * @rank: number of dimensions
 * @dims: dimensions, each >= 0
 * @data: constant values (owned) or NULL when computed at run time
 * @layout: &enum vis_layout of an activation
 * @quant: quantization parameters recorded from Q/DQ nodes
 * @producer: index of the node writing it, -1 for inputs and constants
 * @dead: removed, dropped by vis_graph_compact()
 */
struct vis_tensor {
	char *name;
	int dtype;
	int rank;
	int64_t dims[VIS_MAX_RANK];
	float *data;
	int layout;
	struct vis_quant quant;
	int producer;
	bool dead;
};

/**
 * struct vis_node - one operator
 * @name: node name (owned; generated when the model had none)
 * @op: &enum vis_op
 * @ninputs: number of inputs
 * @inputs: tensor ids, -1 for an omitted optional input
 * @noutputs: number of outputs
 * @outputs: tensor ids
 * @attrs: parameters
 * @act: fused activation, &enum vis_act
 * @act_min: VIS_ACT_CLIP bounds
 * @act_max: likewise
 * @act_alpha: VIS_ACT_LEAKY_RELU, VIS_ACT_HARD_SIGMOID
 * @act_beta: VIS_ACT_HARD_SIGMOID
 * @dead: removed
 */
struct vis_node {
	char *name;
	int op;
	int ninputs;
	int inputs[VIS_MAX_NODE_INPUTS];
	int noutputs;
	int outputs[VIS_MAX_NODE_OUTPUTS];
	struct vis_attrs attrs;
	int act;
	float act_min;
	float act_max;
	float act_alpha;
	float act_beta;
	bool dead;
};

/**
 * struct vis_graph - a model
 * @tensors: all tensors
 * @ntensors: used entries
 * @nodes: nodes in execution (topological) order
 * @nnodes: used entries
 * @inputs: ids of the graph inputs, in order
 * @ninputs: count
 * @outputs: ids of the graph outputs, in order
 * @noutputs: count
 * @opset: default-domain opset the model was imported at
 */
struct vis_graph {
	struct vis_tensor *tensors;
	int ntensors;
	int tensors_cap;
	struct vis_node *nodes;
	int nnodes;
	int nodes_cap;
	int *inputs;
	int ninputs;
	int *outputs;
	int noutputs;
	int opset;
};

/*
 * float -> integer without undefined behaviour: NaN is 0, values beyond
 * +-2^62 saturate, the rest truncate toward zero. Constant data is
 * untrusted input.
 */
static inline int64_t vis_f2i(float v)
{
	if (v != v)
		return 0;
	if (v > 4.6e18f)
		return 1ll << 62;
	if (v < -4.6e18f)
		return -(1ll << 62);
	return (int64_t)v;
}

struct vis_graph *vis_graph_create(void);
void vis_graph_destroy(struct vis_graph *g);

/* Name of an operator for messages ("Conv", "Gemm", ...). */
const char *vis_op_name(int op);
const char *vis_dtype_name(int dtype);
/*
 * The &enum vis_act an element-wise activation operator applies (its
 * parameters: CLIP attrs.alpha/beta as min/max, LEAKY_RELU and
 * HARD_SIGMOID attrs.alpha/beta), VIS_ACT_NONE for other operators.
 */
int vis_op_activation(int op);

/* Tensor id of @name among live tensors, or -1. */
int vis_graph_find_tensor(const struct vis_graph *g, const char *name);
/*
 * Add a tensor (no data, no producer); @name NULL makes one up. Returns the
 * id or -ENOMEM / -EEXIST (a live tensor has the name).
 */
int vis_graph_add_tensor(struct vis_graph *g, const char *name, int dtype,
			 int rank, const int64_t *dims);
/* Add a node; returns its id or -ENOMEM. Inputs/outputs set by caller. */
int vis_graph_add_node(struct vis_graph *g, const char *name, int op);
/* Mark a node dead; its outputs lose their producer. */
void vis_graph_remove_node(struct vis_graph *g, int node);
/* Number of elements of a tensor (0 for a zero dimension). */
int64_t vis_tensor_numel(const struct vis_tensor *t);
/* Give a tensor constant data (takes ownership of @data). */
void vis_tensor_set_data(struct vis_tensor *t, float *data);
/* Allocate zeroed constant storage for a tensor; -ENOMEM / -EOVERFLOW. */
int vis_tensor_alloc_data(struct vis_tensor *t);
/* Copy quantization parameters (deep). */
int vis_quant_copy(struct vis_quant *dst, const struct vis_quant *src);
void vis_quant_clear(struct vis_quant *q);
/* Number of live nodes reading tensor @t; also a graph output counts. */
int vis_graph_consumers(const struct vis_graph *g, int t);
bool vis_graph_is_output(const struct vis_graph *g, int t);
bool vis_graph_is_input(const struct vis_graph *g, int t);
/* Replace every use of tensor @from (node inputs, graph outputs) by @to. */
void vis_graph_replace_uses(struct vis_graph *g, int from, int to);
/*
 * Recompute producers, check that every input is defined before use, that
 * tensor ids are in range and that nodes are in topological order
 * (re-sorting them if they are not); fails with -EINVAL on a cycle.
 */
int vis_graph_check(struct vis_graph *g, struct vis_error *err);
/* Drop dead nodes and tensors no live node or graph I/O refers to. */
int vis_graph_compact(struct vis_graph *g);
/* Deep copy. */
struct vis_graph *vis_graph_clone(const struct vis_graph *g);
/* Shape as text "[1,3,224,224]" into @buf. */
const char *vis_shape_str(const struct vis_tensor *t, char *buf, size_t len);

#endif /* LIBVISION_GRAPH_H */
