// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The project's own models (the .onnx files in models/) through the
 * importer, every graph pass and the float interpreter give what the
 * frameworks give:
 *
 * - PyTorch, which trained them: the logits of the first 16 Fashion-MNIST
 *   test images it saved at export (models/NAME.ref.json);
 * - ONNX Runtime: when $VISION_ORT_DIR holds NAME.txt, as written by
 *   tests/ort/float_ref.mjs (make ort-check sets that up), its outputs for
 *   the first images of the test set.
 *
 * Both within 1e-4, the bound: an absolute bound, as logits of
 * these models are of order 10.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "float_interp.h"
#include "graph_passes.h"
#include "image.h"
#include "onnx_import.h"

#include "kselftest_harness.h"

#define IMAGES "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
#define TOL 1e-4
#define MAX_IMAGES 10000

/* A model ready to run, and the first @n test images as its input. */
struct run {
	struct vis_graph *g;
	struct vis_interp *ip;
	int64_t in_elems;
	int64_t out_elems;
	float *images;
	size_t n;
};

static void run_free(struct run *r)
{
	if (r->ip)
		vis_interp_destroy(r->ip);
	if (r->g)
		vis_graph_destroy(r->g);
	free(r->images);
	memset(r, 0, sizeof(*r));
}

/* Import and optimise @path; load @n test images as pixel / 255. */
static int run_open(struct run *r, const char *path, size_t n,
		    struct vis_error *err)
{
	const struct vis_preprocess pp = {
		.width = 28,
		.height = 28,
		.color = VISION_MODEL_COLOR_GREY,
		.layout = VIS_PP_NHWC,
		.no_resize = true,
		.mean = { 0 },
		.std = { 1, 1, 1 },
	};
	struct vis_dataset *ds = NULL;
	size_t *idx = NULL;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = vis_onnx_import_file(path, &r->g, err);
	if (!ret)
		ret = vis_graph_optimize(r->g, VIS_PASS_ALL, err);
	if (!ret && (r->g->ninputs != 1 || r->g->noutputs < 1))
		ret = vis_errorf(err, EINVAL, "%s: expected one input", path);
	if (!ret)
		ret = vis_interp_create(r->g, 0, &r->ip, err);
	if (ret)
		return ret;
	r->in_elems = vis_tensor_numel(&r->g->tensors[r->g->inputs[0]]);
	r->out_elems = vis_tensor_numel(&r->g->tensors[r->g->outputs[0]]);
	/* One grey 28 x 28 image: NHWC and NCHW are the same bytes. */
	if (r->in_elems != 28 * 28)
		return vis_errorf(err, EINVAL, "%s: input is not 1x28x28",
				  path);

	r->images = malloc(n * 28 * 28 * sizeof(float));
	idx = malloc(n * sizeof(*idx));
	if (!r->images || !idx) {
		free(idx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	ret = vis_dataset_open(IMAGES, NULL, &ds, err);
	if (!ret)
		ret = vis_dataset_load(ds, idx, n, &pp, r->images, NULL, err);
	vis_dataset_free(ds);
	free(idx);
	r->n = n;
	return ret;
}

/* Outputs of image @i into @out (out_elems floats). */
static int run_image(struct run *r, size_t i, float *out, struct vis_error *err)
{
	const float *in[1] = { r->images + i * 28 * 28 };
	float *outs[1] = { out };

	return vis_interp_run(r->ip, in, outs, err);
}

/*
 * The numbers of the "logits" array of a ref.json, in order, into @v
 * (up to @max); returns how many, or -errno.
 */
static int read_ref_logits(const char *path, float *v, size_t max)
{
	char *text = NULL, *p;
	size_t len = 0, n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (getdelim(&text, &len, '\0', f) < 0) {
		fclose(f);
		free(text);
		return -EIO;
	}
	fclose(f);
	p = strstr(text, "\"logits\"");
	if (!p) {
		free(text);
		return -EINVAL;
	}
	p += strlen("\"logits\"");
	while (*p && n < max) {
		char *end;
		float x;

		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			x = strtof(p, &end);
			v[n++] = x;
			p = end;
		} else if (*p == '}') {
			break;
		} else {
			p++;
		}
	}
	free(text);
	return (int)n;
}

/* Compare @got with @want; log and count the worst difference. */
static int compare(struct __test_metadata *_metadata, const char *what,
		   size_t image, const float *got, const float *want, int64_t n,
		   double *worst)
{
	for (int64_t k = 0; k < n; k++) {
		double d = got[k] > want[k] ? got[k] - want[k] :
					      want[k] - got[k];

		if (d > *worst)
			*worst = d;
		if (!(d <= TOL)) {
			TH_LOG("%s: image %zu output %lld: %.9g, reference %.9g",
			       what, image, (long long)k, got[k], want[k]);
			return -1;
		}
	}
	return 0;
}

/* The models, as a glob: models/ or $VISION_MODELS_DIR. */
static int models(glob_t *g)
{
	const char *dir = getenv("VISION_MODELS_DIR");
	char pat[512];

	snprintf(pat, sizeof(pat), "%s/*.onnx", dir ? dir : "models");
	return glob(pat, 0, NULL, g);
}

TEST(pytorch_reference)
{
	glob_t gl;
	int checked = 0;

	ASSERT_EQ(0, models(&gl));
	for (size_t m = 0; m < gl.gl_pathc; m++) {
		const char *path = gl.gl_pathv[m];
		char ref[600];
		float want[16 * 64], got[64];
		struct vis_error err = { "" };
		double worst = 0;
		struct run r;
		int n;

		snprintf(ref, sizeof(ref), "%.*s.ref.json",
			 (int)(strlen(path) - strlen(".onnx")), path);
		n = read_ref_logits(ref, want, sizeof(want) / sizeof(*want));
		ASSERT_LT(0, n) TH_LOG("%s: no logits", ref);
		ASSERT_EQ(0, run_open(&r, path, 16, &err))
		TH_LOG("%s: %s", path, err.msg);
		ASSERT_GE((int64_t)sizeof(got) / (int64_t)sizeof(*got),
			  r.out_elems);
		ASSERT_EQ(16 * r.out_elems, n);
		for (size_t i = 0; i < 16; i++) {
			ASSERT_EQ(0, run_image(&r, i, got, &err))
			TH_LOG("%s", err.msg);
			ASSERT_EQ(0, compare(_metadata, path, i, got,
					     want + i * r.out_elems,
					     r.out_elems, &worst));
		}
		TH_LOG("%s: 16 images, largest difference from PyTorch %.3g",
		       path, worst);
		run_free(&r);
		checked++;
	}
	globfree(&gl);
	ASSERT_LT(0, checked);
}

TEST(onnx_runtime_reference)
{
	const char *dir = getenv("VISION_ORT_DIR");
	glob_t gl;
	int checked = 0;

	if (!dir)
		SKIP(return, "VISION_ORT_DIR not set (make ort-check sets it)");
	ASSERT_EQ(0, models(&gl));
	for (size_t m = 0; m < gl.gl_pathc; m++) {
		const char *path = gl.gl_pathv[m], *base;
		struct vis_error err = { "" };
		float *want, got[64];
		char ref[600], *line = NULL;
		double worst = 0;
		size_t len = 0, n = 0;
		struct run r;
		FILE *f;

		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		snprintf(ref, sizeof(ref), "%s/%.*s.txt", dir,
			 (int)(strlen(base) - strlen(".onnx")), base);
		f = fopen(ref, "r");
		ASSERT_NE(NULL, f) TH_LOG("%s: %s", ref, strerror(errno));
		want = malloc(MAX_IMAGES * 64 * sizeof(float));
		ASSERT_NE(NULL, want);
		while (n < MAX_IMAGES && getline(&line, &len, f) > 0) {
			char *p = line, *end;

			for (int k = 0; k < 64; k++) {
				want[n * 64 + k] = strtof(p, &end);
				if (end == p)
					break;
				p = end;
			}
			n++;
		}
		free(line);
		fclose(f);
		ASSERT_LT(0, n);
		ASSERT_EQ(0, run_open(&r, path, n, &err))
		TH_LOG("%s: %s", path, err.msg);
		for (size_t i = 0; i < n; i++) {
			ASSERT_EQ(0, run_image(&r, i, got, &err))
			TH_LOG("%s", err.msg);
			ASSERT_EQ(0,
				  compare(_metadata, path, i, got,
					  want + i * 64, r.out_elems, &worst));
		}
		TH_LOG("%s: %zu images, largest difference from ONNX Runtime %.3g",
		       path, n, worst);
		run_free(&r);
		free(want);
		checked++;
	}
	globfree(&gl);
	ASSERT_LT(0, checked);
}

TEST_HARNESS_MAIN
