/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Shared by the compiler's host tests: an int8 model run on the
 * userspace engine, the project's models imported and optimised, the 500 Fashion-MNIST training images vision-compile
 * would calibrate on, and top-1 over test images on the float
 * interpreter or on the int8 engine through its own input stage (GREY
 * frames of the raw pixels), on two threads.
 */
#ifndef TESTS_FMNIST_EVAL_H
#define TESTS_FMNIST_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dataset.h"
#include "graph.h"
#include "quantize.h"
#include "vis_engine.h"

/* Built with AddressSanitizer: tests shrink their workloads. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* Seconds on the monotonic clock. */
static inline double fmnist_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define FMNIST "/usr/share/datasets/fashion-mnist/"
#define FMNIST_CNN_ONNX "models/fmnist_cnn.onnx"
#define FMNIST_MOBILENET_ONNX "models/fmnist_mobilenet.onnx"

/* An int8 model ready to run, with its own arena and scratch. */
struct q8_runner {
	struct vis_model m;
	uint8_t *arena;
	uint8_t *scratch;
	struct vis_exec x;
};

int q8_runner_init(struct q8_runner *r, const struct vis_qmodel *qm);
void q8_runner_fini(struct q8_runner *r);
/*
 * The input stage on a packed @w x @h frame of @c channels (GREY or
 * RGB24), then every operator.
 */
int q8_runner_frame(struct q8_runner *r, const uint8_t *pix, uint32_t w,
		    uint32_t h, int c);
/* Model output @i after a run. */
const int8_t *q8_runner_output(const struct q8_runner *r, uint32_t i);

/* 28x28 grey, pixel / 255, NHWC. */
struct vis_preprocess fmnist_pp(void);

/* A model after vis_graph_optimize(); NULL with a message in @err. */
struct vis_graph *fmnist_load(const char *path, struct vis_error *err);

/*
 * @count random training images picked as vision-compile picks them
 * (seed 1), preprocessed; *@n gets the count. NULL on failure.
 */
float *fmnist_calib_set(size_t count, size_t *n, struct vis_error *err);

/*
 * The Fashion-MNIST test set, opened with its labels into *@ds, and its
 * first *@n = min(@max, all) images preprocessed (fmnist_pp()) into *@x
 * with their labels in *@labels, all three the caller's to free. 0, or
 * -errno with a message in @err and nothing to free.
 */
int fmnist_test_set(size_t max, struct vis_dataset **ds, float **x,
		    int32_t **labels, size_t *n, struct vis_error *err);

/*
 * Top-1 in percent over images [0, @n): the float graph @g on the
 * preprocessed @x when @g is set, else the int8 model @qm on the raw
 * images of @ds. -1 on failure.
 */
double fmnist_top1(const struct vis_graph *g, const struct vis_qmodel *qm,
		   const struct vis_dataset *ds, const float *x,
		   const int32_t *labels, size_t n);

#endif /* TESTS_FMNIST_EVAL_H */
