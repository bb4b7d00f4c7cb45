// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * libFuzzer target for the ONNX importer: every input is imported as a
 * ModelProto; a model that imports goes through every graph pass (with
 * and without the NHWC conversion) and, when small enough, through the
 * float interpreter on zero inputs, before and after the passes. Any
 * crash, leak or sanitizer report is a bug; import errors are not.
 *
 * Build: clang with -fsanitize=fuzzer,address,undefined, linked with
 * libvision/{graph,graph_passes,float_interp,onnx_import}.c, the
 * generated build/gen/onnx.pb-c.c and -lprotobuf-c -lpthread -lm.
 * Seeds: the model.onnx files of Debian's libonnx-testdata.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "float_interp.h"
#include "graph_passes.h"
#include "onnx_import.h"

/* Interpreted only below these bounds (the fuzzer's time and memory). */
#define FUZZ_MAX_ELEMS (1ll << 20)
#define FUZZ_MAX_MACS (1ll << 24)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Rough multiply-add count of one inference; elements in @elems. */
static long long cost(const struct vis_graph *g, long long *elems)
{
	long long macs = 0;
	int i;

	*elems = 0;
	for (i = 0; i < g->ntensors; i++)
		*elems += vis_tensor_numel(&g->tensors[i]);
	for (i = 0; i < g->nnodes; i++) {
		const struct vis_node *n = &g->nodes[i];
		long long out = vis_tensor_numel(&g->tensors[n->outputs[0]]);
		long long k = 1;
		int j;

		/* Inputs bound the work per output of every operator. */
		for (j = 0; j < n->ninputs && j < 2; j++)
			if (n->inputs[j] >= 0)
				k += vis_tensor_numel(
					&g->tensors[n->inputs[j]]);
		k += n->attrs.kernel[0] * n->attrs.kernel[1];
		if (out && k > FUZZ_MAX_MACS / out)
			return FUZZ_MAX_MACS + 1;
		macs += out * k;
		if (macs > FUZZ_MAX_MACS)
			return macs;
	}
	return macs;
}

static void run(const struct vis_graph *g)
{
	struct vis_interp *ip = NULL;
	const float **in;
	long long elems;
	float *zeros;
	int i;

	if (cost(g, &elems) > FUZZ_MAX_MACS || elems > FUZZ_MAX_ELEMS)
		return;
	zeros = calloc(elems + 1, sizeof(float));
	in = calloc(g->ninputs + 1, sizeof(*in));
	if (zeros && in) {
		for (i = 0; i < g->ninputs; i++)
			in[i] = zeros;
		if (!vis_interp_create(g, 2, &ip, NULL))
			vis_interp_run(ip, in, NULL, NULL);
		vis_interp_destroy(ip);
	}
	free(zeros);
	free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int flags[] = {
		VIS_PASS_ALL,
		VIS_PASS_ALL | VIS_PASS_KEEP_IO_LAYOUT,
		VIS_PASS_ALL & ~VIS_PASS_NHWC,
	};
	struct vis_graph *g = NULL, *c;
	struct vis_error err;
	size_t i;

	if (vis_onnx_import(data, size, &g, &err))
		return 0;
	run(g);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		c = vis_graph_clone(g);
		if (c && !vis_graph_optimize(c, flags[i], &err))
			run(c);
		vis_graph_destroy(c);
	}
	vis_graph_destroy(g);
	return 0;
}
