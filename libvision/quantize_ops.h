/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal, shared by quantize.c and quantize_ops.c: the state of
 * one lowering, and the lowering of one float node to engine operators.
 */
#ifndef LIBVISION_QUANTIZE_OPS_H
#define LIBVISION_QUANTIZE_OPS_H

#include "model_builder.h"
#include "quantize.h"

/**
 * struct vq_ctx - one lowering
 * @g: the float graph
 * @b: the model being built
 * @id: per graph tensor, its model tensor id or VISION_MODEL_NO_TENSOR
 * @qp: per graph tensor, its activation quantisation
 * @root: per model tensor, the arena tensor whose bytes it uses (itself,
 *	or the viewed tensor for a RESHAPE), VISION_MODEL_NO_TENSOR for
 *	constants
 * @ntensors: model tensors so far
 * @cap: entries of @root
 * @layers: one per model operator
 * @nlayers: count
 * @err: where messages go
 * @o: the options
 * @mean: per graph tensor, its element-wise mean over the calibration
 *	inputs (inputs of CONV and FC nodes, for bias correction), or NULL
 */
struct vq_ctx {
	const struct vis_graph *g;
	struct vmb *b;
	uint32_t *id;
	struct calib_qparams *qp;
	uint32_t *root;
	uint32_t ntensors;
	uint32_t cap;
	struct vis_qlayer *layers;
	uint32_t nlayers;
	struct vis_error *err;
	const struct vis_quant_opts *o;
	double **mean;
};

/*
 * The quantization a QDQ model gave graph tensor @t, as int8 (uint8 zero
 * points shifted by -128): true and *@q set when it has a per-tensor
 * int8 or uint8 one.
 */
bool vq_given_qparams(const struct vis_graph *g, int t,
		      struct calib_qparams *q);

/* Graph tensor @t's shape as a 4-D NHWC model shape; -EOPNOTSUPP. */
int vq_shape(const struct vq_ctx *c, int t, uint32_t shape[4]);
/* Note model tensor @id (an arena tensor with bytes of @root, or a
 * constant with VISION_MODEL_NO_TENSOR). 0 or -ENOMEM. */
int vq_track(struct vq_ctx *c, uint32_t id, uint32_t root);
/* Lower node @n; 0 or -errno with a message naming it. */
int vq_lower_node(struct vq_ctx *c, int n);

#endif /* LIBVISION_QUANTIZE_OPS_H */
