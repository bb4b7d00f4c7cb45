// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * libvision's runtime and camera tests' shared model and devices: see
 * libvision_test_util.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_test_util.h"
#include "libvision_test_util.h"

#define CONV_C TEST_MODEL_CONV_C
#define CLASSES TEST_MODEL_CLASSES

void *build_classifier(uint32_t h, uint32_t wd, uint64_t seed,
		       const char *const *labels, size_t *size)
{
	const uint32_t in_shape[4] = { 1, h, wd, 3 };
	const uint32_t conv_shape[4] = { 1, h, wd, CONV_C };
	const uint32_t gap_shape[4] = { 1, 1, 1, CONV_C };
	const uint32_t fc_shape[4] = { 1, 1, 1, CLASSES };
	struct vision_model_requant rq_conv[CONV_C], rq_fc[CLASSES];
	int8_t wc[CONV_C * 3 * 3 * 3], wf[CLASSES * CONV_C];
	int32_t bc[CONV_C], bf[CLASSES];
	struct vision_model_input_stage st;
	struct vision_model_conv cp;
	union vision_model_op_params p;
	struct vmb_weights w;
	uint32_t in, conv, gap, fc;
	struct vmb *b = vmb_new();
	void *blob = NULL;

	rng_seed(seed);
	rnd_fill(wc, sizeof(wc));
	rnd_fill(wf, sizeof(wf));
	for (int i = 0; i < CONV_C; i++) {
		bc[i] = rnd_range(-2000, 2000);
		rq_conv[i] = quantize(0.004 + 0.001 * i);
	}
	for (int i = 0; i < CLASSES; i++) {
		bf[i] = rnd_range(-500, 500);
		rq_fc[i] = quantize(0.01 + 0.002 * i);
	}

	in = vmb_arena_tensor(b, in_shape, -1, 1.0f / 128, "image");
	memset(&w, 0, sizeof(w));
	w.data = wc;
	w.size = sizeof(wc);
	w.encoding = VISION_MODEL_ENC_DENSE;
	memcpy(w.shape, (uint32_t[4]){ CONV_C, 3, 3, 3 }, sizeof(w.shape));
	w.scale = 0.02f;
	w.bias = bc;
	w.bias_scale = 0.02f / 128;
	w.requant = rq_conv;
	cp = vmb_conv_params(1, 1, 1, -128, 127);
	conv = vmb_conv2d(b, VISION_MODEL_OP_CONV_2D, in, &w, &cp, conv_shape,
			  -5, 0.05f, "conv1", NULL, NULL);

	memset(&p, 0, sizeof(p));
	p.pool.requant = quantize(1.0 / (h * wd));
	p.pool.act_min = -128;
	p.pool.act_max = 127;
	gap = vmb_arena_tensor(b, gap_shape, 3, 0.05f, "features");
	vmb_op(b, VISION_MODEL_OP_GLOBAL_AVG_POOL, &conv, 1, gap, &p, "gap");

	memset(&w, 0, sizeof(w));
	w.data = wf;
	w.size = sizeof(wf);
	w.encoding = VISION_MODEL_ENC_DENSE;
	memcpy(w.shape, (uint32_t[4]){ CLASSES, 1, 1, CONV_C },
	       sizeof(w.shape));
	w.scale = 0.03f;
	w.bias = bf;
	w.bias_scale = 0.05f * 0.03f;
	w.requant = rq_fc;
	cp = vmb_conv_params(1, 0, 1, -128, 127);
	fc = vmb_conv2d(b, VISION_MODEL_OP_FULLY_CONNECTED, gap, &w, &cp,
			fc_shape, 7, 0.125f, "logits", NULL, NULL);

	memset(&st, 0, sizeof(st));
	st.tensor = in;
	st.color = VISION_MODEL_COLOR_RGB;
	st.resize = VISION_MODEL_RESIZE_BILINEAR;
	st.norm_shift = 8;
	for (int c = 0; c < 3; c++) {
		st.norm_mul[c] = 256 - 16 * c;
		st.norm_add[c] = -128 * 256 + 100 * c;
	}
	vmb_input(b, &st);
	vmb_output(b, fc, labels, labels ? CLASSES : 0);
	vmb_output(b, gap, NULL, 0);
	if (vmb_finish(b, &blob, size))
		blob = NULL;
	vmb_free(b);
	return blob;
}

int dev_pair_open(struct dev_pair *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	unsetenv("VISION_DEVICE");
	ret = vision_device_open(NULL, &p->dev);
	if (!ret)
		ret = vision_device_open(VISION_DEVICE_CPU, &p->cpu);
	return ret;
}

int dev_pair_load(struct dev_pair *p, uint32_t h, uint32_t w, uint64_t seed,
		  const char *const *labels, struct vision_model_error *err)
{
	int ret;

	p->blob = build_classifier(h, w, seed, labels, &p->size);
	if (!p->blob) {
		memset(err, 0, sizeof(*err));
		err->err = -ENOMEM;
		snprintf(err->text, sizeof(err->text),
			 "building the model failed");
		return -ENOMEM;
	}
	ret = vision_model_load_memory(p->dev, p->blob, p->size, &p->model,
				       err);
	if (!ret)
		ret = vision_model_load_memory(p->cpu, p->blob, p->size,
					       &p->cpu_model, err);
	return ret;
}

void dev_pair_close(struct dev_pair *p)
{
	vision_model_free(p->model);
	vision_model_free(p->cpu_model);
	vision_device_close(p->dev);
	vision_device_close(p->cpu);
	free(p->blob);
	memset(p, 0, sizeof(*p));
}
