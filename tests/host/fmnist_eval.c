// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Fashion-MNIST evaluation shared by the compiler's host tests: see
 * fmnist_eval.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "float_interp.h"
#include "fmnist_eval.h"
#include "graph_passes.h"
#include "onnx_import.h"
#include "vis_engine.h"

int q8_runner_init(struct q8_runner *r, const struct vis_qmodel *qm)
{
	int ret = vis_model_validate(&r->m, qm->blob, qm->size, NULL);

	if (ret)
		return ret;
	r->arena = aligned_alloc(64, (r->m.arena_size + 63) / 64 * 64 + 64);
	r->scratch = malloc(r->m.scratch_size + 1);
	if (!r->arena || !r->scratch)
		return -ENOMEM;
	memset(&r->x, 0, sizeof(r->x));
	r->x.model = &r->m;
	r->x.arena = r->arena;
	r->x.scratch = r->scratch;
	r->x.k = vis_kernels_best();
	return 0;
}

void q8_runner_fini(struct q8_runner *r)
{
	free(r->arena);
	free(r->scratch);
}

#define FE_FOURCC(a, b, c, d)                                       \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | \
	 (uint32_t)(d) << 24)

int q8_runner_frame(struct q8_runner *r, const uint8_t *pix, uint32_t w,
		    uint32_t h, int c)
{
	struct vis_frame f = {
		.fourcc = c == 1 ? FE_FOURCC('G', 'R', 'E', 'Y') :
				   FE_FOURCC('R', 'G', 'B', '3'),
		.width = w,
		.height = h,
		.planes = { pix, NULL },
		.strides = { w * c, 0 },
		.plane_sizes = { (uint64_t)w * h * c, 0 },
		.crop_w = w,
		.crop_h = h,
	};
	int ret = vis_input_check(&r->m, &f);

	if (ret)
		return ret;
	vis_input_run(&r->x, &f, 0, vis_input_rows(&r->m));
	return vis_engine_run(&r->x);
}

const int8_t *q8_runner_output(const struct q8_runner *r, uint32_t i)
{
	return (const int8_t *)(r->arena +
				r->m.tensors[r->m.outputs[i].tensor].offset);
}

static int fe_argmax_i8(const int8_t *v, int n)
{
	int i, best = 0;

	for (i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

static int fe_argmax_f(const float *v, int n)
{
	int i, best = 0;

	for (i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

struct fe_job {
	const struct vis_graph *g;
	const struct vis_qmodel *qm;
	const struct vis_dataset *ds;
	const float *x;
	const int32_t *labels;
	size_t begin, end;
	size_t correct;
	int ret;
};

static void *fe_thread(void *arg)
{
	struct fe_job *j = arg;
	struct vis_image img = { 0 };
	struct vis_interp *ip = NULL;
	struct q8_runner r = { 0 };
	float out[10];
	size_t i;

	j->ret = j->g ? vis_interp_create(j->g, 1, &ip, NULL) :
			q8_runner_init(&r, j->qm);
	for (i = j->begin; !j->ret && i < j->end; i++) {
		int pred;

		if (j->g) {
			const float *in = j->x + i * 784;
			float *o = out;

			j->ret = vis_interp_run(ip, &in, &o, NULL);
			pred = fe_argmax_f(out, 10);
		} else {
			j->ret = vis_dataset_read(j->ds, i, &img, NULL);
			if (!j->ret)
				j->ret = q8_runner_frame(&r, img.pixels,
							 img.width, img.height,
							 1);
			pred = fe_argmax_i8(q8_runner_output(&r, 0), 10);
		}
		if (!j->ret && pred == j->labels[i])
			j->correct++;
	}
	vis_image_release(&img);
	vis_interp_destroy(ip);
	q8_runner_fini(&r);
	return NULL;
}

double fmnist_top1(const struct vis_graph *g, const struct vis_qmodel *qm,
		   const struct vis_dataset *ds, const float *x,
		   const int32_t *labels, size_t n)
{
	struct fe_job j[2];
	pthread_t t[2];
	size_t correct = 0;
	int i, started = 0, failed = 0;

	for (i = 0; i < 2; i++) {
		memset(&j[i], 0, sizeof(j[i]));
		j[i].g = g;
		j[i].qm = qm;
		j[i].ds = ds;
		j[i].x = x;
		j[i].labels = labels;
		j[i].begin = n * i / 2;
		j[i].end = n * (i + 1) / 2;
		if (pthread_create(&t[i], NULL, fe_thread, &j[i])) {
			failed = 1;
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		failed |= j[i].ret != 0;
		correct += j[i].correct;
	}
	return failed || !n ? -1 : 100.0 * (double)correct / (double)n;
}

struct vis_preprocess fmnist_pp(void)
{
	struct vis_preprocess pp = {
		.width = 28,
		.height = 28,
		.color = VISION_MODEL_COLOR_GREY,
		.resize = VISION_MODEL_RESIZE_NEAREST,
		.layout = VIS_PP_NHWC,
		.no_resize = true,
		.mean = { 0, 0, 0 },
		.std = { 1, 1, 1 },
	};
	return pp;
}

struct vis_graph *fmnist_load(const char *path, struct vis_error *err)
{
	struct vis_graph *g = NULL;

	if (vis_onnx_import_file(path, &g, err) ||
	    vis_graph_optimize(g, VIS_PASS_ALL, err)) {
		vis_graph_destroy(g);
		return NULL;
	}
	return g;
}

float *fmnist_calib_set(size_t count, size_t *n, struct vis_error *err)
{
	struct vis_preprocess pp = fmnist_pp();
	struct vis_dataset *ds;
	size_t *idx;
	float *x = NULL;

	if (vis_dataset_open(FMNIST "train-images-idx3-ubyte.gz", NULL, &ds,
			     err))
		return NULL;
	idx = calloc(count ? count : 1, sizeof(*idx));
	if (idx) {
		*n = vis_dataset_pick(ds, count, true, 1, idx);
		x = malloc((*n ? *n : 1) * 784 * sizeof(float));
	}
	if (x && vis_dataset_load(ds, idx, *n, &pp, x, NULL, err)) {
		free(x);
		x = NULL;
	}
	free(idx);
	vis_dataset_free(ds);
	return x;
}

int fmnist_test_set(size_t max, struct vis_dataset **ds, float **x,
		    int32_t **labels, size_t *n, struct vis_error *err)
{
	struct vis_dataset_opts dopts = { .labels = FMNIST
					  "t10k-labels-idx1-ubyte.gz" };
	struct vis_preprocess pp = fmnist_pp();
	int ret;

	ret = vis_dataset_open(FMNIST "t10k-images-idx3-ubyte.gz", &dopts, ds,
			       err);
	if (ret)
		return ret;
	*n = vis_dataset_count(*ds);
	if (*n > max)
		*n = max;
	*x = malloc((*n ? *n : 1) * 784 * sizeof(float));
	*labels = malloc((*n ? *n : 1) * sizeof(**labels));
	if (!*x || !*labels)
		ret = vis_errorf(err, ENOMEM, "out of memory");
	else
		ret = vis_dataset_load(*ds, NULL, *n, &pp, *x, *labels, err);
	if (ret) {
		free(*x);
		free(*labels);
		vis_dataset_free(*ds);
		*x = NULL;
		*labels = NULL;
		*ds = NULL;
	}
	return ret;
}
