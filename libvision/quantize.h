/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: the quantizer. Lowers an optimised float graph
 * (graph_passes.h: NHWC, conv weights [O, KH, KW, I/g], FC weights [N, K],
 * Relu/Clip fused) to an int8 model (.vnm) the engine runs, with TFLite's
 * int8 scheme: per-channel symmetric weights, asymmetric activations,
 * int32 biases, Q31 requantisation, lookup tables for element-wise
 * non-linearities.
 *
 * Activation ranges come from running the float interpreter over
 * calibration inputs (already preprocessed, x = (p / 255 - mean) / std,
 * NHWC) and observing every tensor (calib.h). The graph input is not
 * calibrated: its range is that of the preprocessing, and the input stage
 * of the model quantises pixels to it directly.
 *
 * Errors: negative errno with a message naming the node; -EOPNOTSUPP for
 * an operator or form the engine cannot run.
 */
#ifndef LIBVISION_QUANTIZE_H
#define LIBVISION_QUANTIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calib.h"
#include "graph.h"

/**
 * struct vis_quant_opts - how to quantize
 * @calib: range selection (method, percentile, KL knobs)
 * @mean: per channel, the preprocessing mean (x = (p/255 - mean) / std)
 * @std: per channel, the standard deviation (non-zero)
 * @resize: VISION_MODEL_RESIZE_* of the input stage
 * @labels: class labels of output 0, or NULL
 * @num_labels: their count (must equal output 0's element count)
 * @nthreads: threads of the float interpreter (0: one per CPU)
 * @no_plan: keep the naive arena (every tensor its own bytes)
 */
struct vis_quant_opts {
	struct calib_opts calib;
	float mean[3];
	float std[3];
	uint32_t resize;
	const char *const *labels;
	uint32_t num_labels;
	unsigned int nthreads;
	bool no_plan;
};

/* Defaults: percentile 99.99, mean 0, std 1, nearest resize. */
void vis_quant_opts_init(struct vis_quant_opts *o);

/**
 * struct vis_qlayer - one operator of the int8 model, for reports
 * @name: layer (node) name, owned
 * @op: engine operator name ("CONV_2D", ...)
 * @output: model tensor id of its output
 * @ftensor: graph tensor holding the float values it approximates
 * @macs: multiply-accumulates of one inference
 * @weight_bytes: bytes of its constant operands (weights, bias, tables)
 * @scale: output scale
 * @zero_point: output zero point
 * @sqnr_db: signal-to-quantisation-noise ratio against the float output,
 *	dB (NAN until vis_quant_compare(); INFINITY when exact)
 * @cosine: cosine similarity against the float output (likewise)
 */
struct vis_qlayer {
	char *name;
	const char *op;
	uint32_t output;
	int ftensor;
	uint64_t macs;
	uint64_t weight_bytes;
	float scale;
	int32_t zero_point;
	double sqnr_db;
	double cosine;
};

/**
 * struct vis_qmodel - a quantized model
 * @blob: the .vnm bytes (validated)
 * @size: their count
 * @layers: one per operator, in model order
 * @nlayers: count
 * @arena_planned: arena bytes after memory planning
 * @arena_naive: sum of every arena tensor's (aligned) bytes
 * @input: the input stage written to the model
 * @in_qp: quantisation of the graph input
 * @noutputs: model outputs
 * @out_qp: their dequantisation
 * @out_elems: their element counts
 * @macs: total multiply-accumulates
 * @weight_bytes: total constant bytes of the layers
 */
struct vis_qmodel {
	void *blob;
	size_t size;
	struct vis_qlayer *layers;
	uint32_t nlayers;
	uint64_t arena_planned;
	uint64_t arena_naive;
	struct vision_model_input_stage input;
	struct calib_qparams in_qp;
	uint32_t noutputs;
	struct calib_qparams out_qp[VISION_MODEL_MAX_OUTPUTS];
	uint64_t out_elems[VISION_MODEL_MAX_OUTPUTS];
	uint64_t macs;
	uint64_t weight_bytes;
};

/*
 * Calibrate @g (optimised, one NHWC input [1, H, W, C], C 1 or 3) on
 * @n inputs at @calib (each the input's element count of floats) and
 * lower it. *@out is freed with vis_qmodel_free().
 */
int vis_quantize(const struct vis_graph *g, const float *calib, size_t n,
		 const struct vis_quant_opts *o, struct vis_qmodel **out,
		 struct vis_error *err);
void vis_qmodel_free(struct vis_qmodel *qm);

/*
 * Per-layer SQNR and cosine similarity of the int8 model against the
 * float graph over @n inputs (sums pooled over the inputs), into
 * @qm->layers. The int8 input is the float input quantised with
 * @qm->in_qp. Returns 0 or -errno.
 */
int vis_quant_compare(struct vis_qmodel *qm, const struct vis_graph *g,
		      const float *inputs, size_t n, unsigned int nthreads,
		      struct vis_error *err);

/* The input stage's q for pixel value @p of channel @c (as the device). */
int8_t vis_quant_input_pixel(const struct vision_model_input_stage *st,
			     unsigned int c, uint8_t p);

#endif /* LIBVISION_QUANTIZE_H */
