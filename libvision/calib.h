/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: calibration, the numerical part. An observer
 * accumulates a tensor's float values over the calibration set; a range
 * (min, max) is selected from it by one of four methods and turned into
 * TFLite int8 parameters; weights, biases and requantisation multipliers
 * are quantised the TFLite way. Independent of any graph. Functions
 * return 0 or a negative errno.
 */
#ifndef LIBVISION_CALIB_H
#define LIBVISION_CALIB_H

#include <stddef.h>
#include <stdint.h>

#include "vision_model.h"

/* Bins on each side of zero. */
#define CALIB_BINS 4096

/*
 * The observer: exact running min/max and count, and a histogram in
 * 2 * CALIB_BINS bins of one width w, a power of two, split at zero:
 * pos[j] counts values x >= 0 with x / w in [j, j + 1), neg[j] values
 * x < 0 with -x / w in [j, j + 1).
 *
 * Adaptive range: w is always the smallest power of two with
 * max |x| < CALIB_BINS * w. When a batch exceeds the range, w doubles
 * (as often as needed) and each pair of adjacent bins merges into one;
 * since 0 and every edge of the wider grid are edges of the narrower,
 * the merge is exact (no value is redistributed). So the largest |x|
 * always lies in the upper half of its side's bins (at least 2048 bins up
 * to it, TensorRT's resolution), and the final histogram is the same
 * whatever the order and batching of the data. Like ONNX Runtime's
 * HistogramCollector, the range grows without a first min/max pass; it
 * doubles the width instead of adding bins, so the size stays fixed.
 */
struct calib_hist {
	float min, max;
	uint64_t count;
	double width; /* 0 until the first value */
	uint64_t pos[CALIB_BINS];
	uint64_t neg[CALIB_BINS];
};

void calib_hist_init(struct calib_hist *h);
/* Add @n values; -EINVAL (and nothing added) if one is not finite. */
int calib_hist_add(struct calib_hist *h, const float *x, size_t n);
/* Add @src's values to @dst (e.g. per-thread observers), exactly. */
void calib_hist_merge(struct calib_hist *dst, const struct calib_hist *src);

enum calib_method {
	CALIB_MINMAX, /* the observed min and max */
	CALIB_PERCENTILE, /* each tail clipped at 100 - percentile % */
	CALIB_MSE, /* least expected squared error of the int8 tensor */
	CALIB_KL, /* TensorRT's entropy calibration */
};

#define CALIB_PERCENTILE_DEFAULT 99.99
#define CALIB_KL_LEVELS 128
#define CALIB_KL_START 128

/*
 * @percentile: in (50, 100]; 0 for CALIB_PERCENTILE_DEFAULT.
 * @kl_levels: levels the KL reference is quantised to; 0 for 128
 *	(TensorRT's; 256 matches the int8 grid of one-sided data).
 * @kl_start: fewest bins a KL candidate threshold keeps; 0 for 128.
 */
struct calib_opts {
	enum calib_method method;
	double percentile;
	unsigned int kl_levels;
	unsigned int kl_start;
};

/*
 * The range [*@lo, *@hi] for the values @h has seen, within the observed
 * [min, max]. -EINVAL for an empty observer or bad options.
 */
int calib_range(const struct calib_hist *h, const struct calib_opts *o,
		float *lo, float *hi);

/*
 * Expected squared error per value of quantising @h's values to int8
 * with the parameters calib_qparams(@lo, @hi) gives (each bin's values
 * taken as uniform over the bin, clipped to the observed min and max;
 * integrated exactly). Negative for an empty observer.
 */
double calib_mse(const struct calib_hist *h, float lo, float hi);

/*
 * TensorRT's entropy calibration (Migacz, "8-bit Inference with
 * TensorRT", GTC 2017) over a histogram of |x|, @hist[@nbins]: for each
 * candidate i = @start .. @nbins, the reference P = the first i bins with
 * the outliers beyond added to the last, the candidate Q = those bins
 * (without outliers) merged into @levels groups and spread back evenly
 * over the bins where P is not 0; both smoothed as MXNet does (eps 1e-4),
 * normalised, and *@best = the i of least KL(P || Q) (the first on ties).
 * The threshold is then i bin widths. -EINVAL when there is nothing to
 * choose from (@nbins < @start, @levels > @start, all counts 0).
 */
int calib_kl_bins(const uint64_t *hist, size_t nbins, unsigned int levels,
		  size_t start, size_t *best);

/* Asymmetric int8 parameters: real = scale * (q - zero_point). */
struct calib_qparams {
	float scale;
	int32_t zero_point;
};

/*
 * TFLite's ChooseQuantizationParams for int8: the range is widened to
 * contain 0, scale = (hi - lo) / 255, and the zero point, in [-128, 127],
 * is the rounding of whichever end's exact zero point has the smaller
 * error, so that 0.0 is exactly representable. A range of one point (0)
 * gets scale 1 and zero point 0. -EINVAL for non-finite or lo > hi.
 */
int calib_qparams(float lo, float hi, struct calib_qparams *q);

/*
 * Per-output-channel symmetric int8 weights, TFLite's way: scale =
 * max |w| / 127 per row, q = round(w * (127 / max |w|)) (half away from
 * zero) in [-127, 127]. An all-zero row gets scale 1 (TFLite gives 0,
 * which would lose the channel's bias). -EINVAL on a non-finite weight.
 */
int calib_quant_weights(const float *w, size_t rows, size_t cols, int8_t *q,
			float *scales);

/*
 * int32 biases with scale in_scale * w_scales[c], TFLite's way (float
 * arithmetic, round half away from zero), saturated to +-INT32_MAX.
 * Returns how many saturated (>= 0), or -EINVAL for a non-finite bias or
 * a scale not > 0.
 */
int calib_quant_bias(const float *bias, size_t rows, float in_scale,
		     const float *w_scales, int32_t *q);

/*
 * TFLite's QuantizeMultiplier: @real = multiplier * 2^(shift - 31) with
 * multiplier in [2^30, 2^31), rounded half away from zero; 0 and values
 * below 2^-32 give {0, 0}. -EINVAL for a negative or non-finite @real,
 * -ERANGE when it needs a shift > 30 (*@r then holds TFLite's saturated
 * {INT32_MAX, 30}).
 */
int calib_multiplier(double real, struct vision_model_requant *r);

/*
 * Requantisation of a CONV_2D/FULLY_CONNECTED: @r[c] for the real
 * multiplier in_scale * w_scales[c] / out_scale, in double as TFLite.
 * Stops at the first error of calib_multiplier().
 */
int calib_requant(float in_scale, const float *w_scales, size_t n,
		  float out_scale, struct vision_model_requant *r);

#endif /* LIBVISION_CALIB_H */
