// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * How far the int8 model is from the float graph, layer by layer: the
 * engine runs the model and, after each operator, its output is
 * dequantised and compared with the float interpreter's tensor (before a
 * later operator can reuse the bytes).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "float_interp.h"
#include "quantize.h"
#include "vis_engine.h"

struct vq_sums {
	double ff, qq, fq, ee;
};

struct vq_eval {
	struct vis_qmodel *qm;
	const struct vis_model *m;
	const struct vis_interp *ip;
	const struct vis_graph *g;
	u8 *arena;
	struct vq_sums *sums;
};

static void vq_eval_op(void *priv, u32 op)
{
	struct vq_eval *e = priv;
	const struct vis_qlayer *l = &e->qm->layers[op];
	const struct vision_model_tensor *t = &e->m->tensors[l->output];
	const float *f = vis_interp_tensor(e->ip, l->ftensor);
	const int8_t *q = (const int8_t *)(e->arena + t->offset);
	struct vq_sums *s = &e->sums[op];
	uint64_t i, n = t->size;

	if ((uint64_t)vis_tensor_numel(&e->g->tensors[l->ftensor]) != n)
		return;
	for (i = 0; i < n; i++) {
		double d = (double)l->scale * (q[i] - l->zero_point);

		s->ff += (double)f[i] * f[i];
		s->qq += d * d;
		s->fq += d * f[i];
		s->ee += (d - f[i]) * (d - f[i]);
	}
}

int vis_quant_compare(struct vis_qmodel *qm, const struct vis_graph *g,
		      const float *inputs, size_t n, unsigned int nthreads,
		      struct vis_error *err)
{
	const struct vis_tensor *x = &g->tensors[g->inputs[0]];
	size_t elems = (size_t)vis_tensor_numel(x), s, i;
	struct vis_interp *ip = NULL;
	struct vis_engine_error ee;
	struct vis_model m;
	struct vq_eval e;
	struct vis_exec ex;
	u8 *arena = NULL, *scratch = NULL;
	int ret;

	ret = vis_model_validate(&m, qm->blob, qm->size, &ee);
	if (ret)
		return vis_errorf(err, -ret, "model: %s", ee.msg);
	ret = vis_interp_create(g, (int)nthreads, &ip, err);
	if (ret)
		return ret;
	ret = -ENOMEM;
	arena = aligned_alloc(64, (m.arena_size + 63) / 64 * 64 + 64);
	scratch = malloc(m.scratch_size + 1);
	e.sums = calloc(qm->nlayers + 1, sizeof(*e.sums));
	if (!arena || !scratch || !e.sums)
		goto out;
	e.qm = qm;
	e.m = &m;
	e.ip = ip;
	e.g = g;
	e.arena = arena;
	memset(&ex, 0, sizeof(ex));
	ex.model = &m;
	ex.arena = arena;
	ex.scratch = scratch;
	ex.k = vis_kernels_best();
	ex.op_done = vq_eval_op;
	ex.priv = &e;
	for (s = 0; s < n; s++) {
		const float *in = inputs + s * elems;
		int8_t *q =
			(int8_t *)(arena + m.tensors[m.input->tensor].offset);

		ret = vis_interp_run(ip, &in, NULL, err);
		if (ret)
			goto out;
		for (i = 0; i < elems; i++) {
			double v = round((double)in[i] / qm->in_qp.scale) +
				   qm->in_qp.zero_point;

			q[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
		}
		ret = vis_engine_run(&ex);
		if (ret)
			goto out;
	}
	for (i = 0; i < qm->nlayers; i++) {
		const struct vq_sums *su = &e.sums[i];

		qm->layers[i].sqnr_db =
			su->ee > 0 ? 10 * log10(su->ff / su->ee) : INFINITY;
		qm->layers[i].cosine = su->ff > 0 && su->qq > 0 ?
					       su->fq / sqrt(su->ff * su->qq) :
					       (su->ff == su->qq ? 1.0 : 0.0);
	}
	ret = 0;
out:
	if (ret == -ENOMEM)
		vis_errorf(err, ENOMEM, "out of memory");
	free(e.sums);
	free(arena);
	free(scratch);
	vis_interp_destroy(ip);
	return ret;
}
