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
 * Bias correction (on by default): weight quantization moves each output
 * channel's mean by (W - Wq) E[x], E[x] the mean input patch over the
 * calibration inputs; that shift is added back to the bias before it is
 * quantized (Nagel et al. 2019, "Data-Free Quantization Through Weight
 * Equalization and Bias Correction", the empirical variant of sec. 4.2).
 *
 * Weight encoding: a CONV_2D or FULLY_CONNECTED weight is written BLOCK4
 * (sparse_encode.h) when at least half its blocks are zero, or as forced.
 *
 * Pre-quantized (QDQ) models are taken as given: a tensor the model
 * quantizes with QuantizeLinear/DequantizeLinear keeps the model's scale
 * and zero point (uint8 ones shifted to int8: zp - 128, the same real
 * values), a weight a DequantizeLinear produced keeps its int8 values and
 * per-channel scales; tensors without QDQ are calibrated as usual. Weights
 * with non-zero (after the uint8 shift) zero points cannot be given to the
 * symmetric engine: they are requantized per channel and the layer is
 * marked (vis_qlayer.wsrc).
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
 * @weights_encoding: &enum vis_weights_encoding
 * @no_bias_correction: quantize the biases as they are
 * @input_color: channel order the model was trained on,
 *	VISION_MODEL_COLOR_*, which the input stage converts frames to; -1
 *	(the default) for GREY with one channel and RGB with three
 * @progress: when set, called after each calibration input with
 *	("calibrating", inputs done, inputs); the library never prints, the
 *	caller may draw it
 * @progress_ctx: its first argument
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
	uint32_t weights_encoding;
	bool no_bias_correction;
	int input_color;
	void (*progress)(void *ctx, const char *step, size_t done,
			 size_t total);
	void *progress_ctx;
};

/**
 * enum vis_weights_encoding - how CONV_2D and FULLY_CONNECTED weights are
 *	stored
 * @VIS_WENC_AUTO: BLOCK4 when its block columns and values take no more
 *	bytes than dense (at least half the blocks of 4 are zero; the model
 *	then grows by at most the row pointers, 4 bytes per output channel,
 *	and the engine skips at least half the work), else dense
 * @VIS_WENC_DENSE: always dense
 * @VIS_WENC_BLOCK4: always BLOCK4
 */
enum vis_weights_encoding {
	VIS_WENC_AUTO,
	VIS_WENC_DENSE,
	VIS_WENC_BLOCK4,
};

/**
 * enum vis_weights_source - where a layer's int8 weights came from
 * @VIS_WSRC_NONE: the layer has no weights
 * @VIS_WSRC_CALIBRATED: quantized here, per-channel symmetric
 * @VIS_WSRC_GIVEN: a QDQ model's int8 values and scales, as given
 * @VIS_WSRC_REQUANTIZED: the model's quantization was asymmetric;
 *	quantized here instead
 */
enum vis_weights_source {
	VIS_WSRC_NONE,
	VIS_WSRC_CALIBRATED,
	VIS_WSRC_GIVEN,
	VIS_WSRC_REQUANTIZED,
};

/*
 * Defaults: percentile 99.99, mean 0, std 1, nearest resize, automatic
 * weight encoding, bias correction.
 */
void vis_quant_opts_init(struct vis_quant_opts *o);

/*
 * The input stage's VISION_MODEL_COLOR_* for a model input of @channels
 * channels under @o; -EINVAL when @o->input_color does not fit them
 * (GREY needs one channel, RGB and BGR three).
 */
int vis_quant_input_color(const struct vis_quant_opts *o, uint32_t channels);

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
 * @encoding: VISION_MODEL_ENC_* of its weights (CONV_2D, FULLY_CONNECTED)
 * @wsrc: &enum vis_weights_source
 * @dense_bytes: bytes of its weights dense (0 without weights)
 * @enc_bytes: bytes of its weights as written
 * @bias_shift: mean |bias correction| over the channels, in units of the
 *	output scale (0 when not corrected)
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
	uint32_t encoding;
	uint32_t wsrc;
	uint64_t dense_bytes;
	uint64_t enc_bytes;
	double bias_shift;
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
