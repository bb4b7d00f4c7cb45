// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The quantizer: calibrates activation ranges on the float interpreter,
 * chooses every tensor's int8 parameters, lowers the nodes (quantize_ops.c),
 * plans the arena (mem_plan.c) and writes the model.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "float_interp.h"
#include "mem_plan.h"
#include "quantize_ops.h"
#include "vis_engine.h"

#define NO_T VISION_MODEL_NO_TENSOR

void vis_quant_opts_init(struct vis_quant_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->calib.method = CALIB_PERCENTILE;
	o->calib.percentile = CALIB_PERCENTILE_DEFAULT;
	for (i = 0; i < 3; i++)
		o->std[i] = 1.0f;
	o->resize = VISION_MODEL_RESIZE_NEAREST;
	o->weights_encoding = VIS_WENC_AUTO;
	o->input_color = -1;
}

int vis_quant_input_color(const struct vis_quant_opts *o, uint32_t channels)
{
	if (o->input_color < 0)
		return channels == 1 ? VISION_MODEL_COLOR_GREY :
				       VISION_MODEL_COLOR_RGB;
	if ((o->input_color == VISION_MODEL_COLOR_GREY) != (channels == 1) ||
	    o->input_color > VISION_MODEL_COLOR_GREY)
		return -EINVAL;
	return o->input_color;
}

void vis_qmodel_free(struct vis_qmodel *qm)
{
	uint32_t i;

	if (!qm)
		return;
	for (i = 0; i < qm->nlayers; i++)
		free(qm->layers[i].name);
	free(qm->layers);
	free(qm->blob);
	free(qm);
}

int8_t vis_quant_input_pixel(const struct vision_model_input_stage *st,
			     unsigned int c, uint8_t p)
{
	int32_t v = ((int32_t)p * st->norm_mul[c] + st->norm_add[c]) >>
		    st->norm_shift;

	return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
}

/*
 * Fold x = (p / 255 - mean) / std and q = round(x / scale) + zp into
 * q = floor((p * mul + add) / 2^shift): q = floor(p * a + b + 1/2) with
 * a = 1 / (255 std scale), b = zp - mean / (std scale). The largest shift
 * the limits allow keeps mul and add most precise.
 */
static int vq_norm(struct vision_model_input_stage *st, int ch,
		   const struct calib_qparams *q, float mean, float std)
{
	double a = 1.0 / (255.0 * std * q->scale);
	double b = q->zero_point - mean / ((double)std * q->scale) + 0.5;
	int s;

	for (s = 30; s >= 0; s--) {
		double m = round(a * ldexp(1, s)), d = floor(b * ldexp(1, s));
		double lo = fmin(d, d + 255 * m), hi = fmax(d, d + 255 * m);

		if (fabs(m) > (1 << 22) || fabs(d) > (1 << 30) ||
		    lo < INT32_MIN || hi > INT32_MAX)
			continue;
		/* One shift for every channel: the smallest any needs. */
		if (!ch || (uint32_t)s < st->norm_shift)
			st->norm_shift = (uint32_t)s;
		return 0;
	}
	return -ERANGE;
}

static int vq_input_stage(struct vis_qmodel *qm, const struct vis_quant_opts *o,
			  uint32_t channels, uint32_t id)
{
	struct vision_model_input_stage *st = &qm->input;
	const struct calib_qparams *q = &qm->in_qp;
	uint32_t c;
	int ret;

	ret = vis_quant_input_color(o, channels);
	if (ret < 0)
		return ret;
	memset(st, 0, sizeof(*st));
	st->tensor = id;
	st->color = (uint32_t)ret;
	st->resize = o->resize;
	for (c = 0; c < 3; c++) {
		ret = vq_norm(st, (int)c, q, o->mean[c], o->std[c]);
		if (ret)
			return ret;
	}
	for (c = 0; c < 3; c++) {
		double a = 1.0 / (255.0 * o->std[c] * q->scale);
		double b = q->zero_point -
			   o->mean[c] / ((double)o->std[c] * q->scale) + 0.5;

		st->norm_mul[c] = (int32_t)round(a * ldexp(1, st->norm_shift));
		st->norm_add[c] = (int32_t)floor(b * ldexp(1, st->norm_shift));
		memcpy(&st->mean[c], &o->mean[c], sizeof(float));
		memcpy(&st->std[c], &o->std[c], sizeof(float));
	}
	return 0;
}

/*
 * Observe every computed tensor over the calibration inputs; sum the
 * tensors that have a @mean array (divided by @n at the end).
 */
static int vq_calibrate(const struct vis_graph *g, const float *calib, size_t n,
			size_t elems, const struct vis_quant_opts *o,
			struct calib_hist **hist, double **mean,
			struct vis_error *err)
{
	struct vis_interp *ip;
	size_t s;
	int64_t i, cnt;
	int t, ret;

	ret = vis_interp_create(g, (int)o->nthreads, &ip, err);
	if (ret)
		return ret;
	for (s = 0; s < n; s++) {
		const float *in = calib + s * elems;

		ret = vis_interp_run(ip, &in, NULL, err);
		if (ret)
			break;
		for (t = 0; t < g->ntensors; t++) {
			const float *v = vis_interp_tensor(ip, t);

			cnt = mean[t] ? vis_tensor_numel(&g->tensors[t]) : 0;
			for (i = 0; i < cnt; i++)
				mean[t][i] += v[i];
			if (!hist[t])
				continue;
			ret = calib_hist_add(
				hist[t], vis_interp_tensor(ip, t),
				(size_t)vis_tensor_numel(&g->tensors[t]));
			if (ret) {
				ret = vis_errorf(
					err, EINVAL,
					"calibration input %zu gives a non-finite value in tensor '%s'",
					s, g->tensors[t].name);
				break;
			}
		}
		if (ret)
			break;
		if (o->progress)
			o->progress(o->progress_ctx, "calibrating", s + 1, n);
	}
	vis_interp_destroy(ip);
	for (t = 0; !ret && t < g->ntensors; t++) {
		cnt = mean[t] ? vis_tensor_numel(&g->tensors[t]) : 0;
		for (i = 0; i < cnt; i++)
			mean[t][i] /= (double)n;
	}
	return ret;
}

static bool vq_shares_qparams(int op)
{
	return op == VIS_OP_MAXPOOL || op == VIS_OP_AVGPOOL ||
	       op == VIS_OP_RESHAPE || op == VIS_OP_IDENTITY ||
	       op == VIS_OP_PAD || op == VIS_OP_RESIZE ||
	       op == VIS_OP_QUANTIZE || op == VIS_OP_DEQUANTIZE;
}

/*
 * KL (entropy) ranges without the bin at zero: after a ReLU most values
 * are exactly 0, which every range represents exactly, yet their spike
 * dominates the distributions KL compares and drives it to the smallest
 * threshold it may choose (-19 points top-1 on fmnist_cnn with it).
 */
static int vq_range_kl(const struct calib_hist *h, const struct calib_opts *o,
		       float *lo, float *hi)
{
	struct calib_hist *c = malloc(sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	*c = *h;
	c->count -= c->pos[0] + c->neg[0];
	c->pos[0] = 0;
	c->neg[0] = 0;
	ret = c->count ? calib_range(c, o, lo, hi) : calib_range(h, o, lo, hi);
	free(c);
	return ret;
}

static int vq_choose_qparams(const struct vis_graph *g,
			     struct calib_hist **hist,
			     const struct vis_quant_opts *o,
			     struct calib_qparams *qp, struct vis_error *err)
{
	const struct calib_opts minmax = { .method = CALIB_MINMAX };
	int i, ret;

	for (i = 0; i < g->nnodes; i++) {
		const struct vis_node *n = &g->nodes[i];
		int y = n->outputs[0];
		float lo, hi;

		/*
		 * Bytes move without rescaling: same parameters, even where a
		 * QDQ model gave the output others (a Q/DQ after it then
		 * requantizes).
		 */
		if (vq_shares_qparams(n->op) && n->op != VIS_OP_QUANTIZE &&
		    n->op != VIS_OP_DEQUANTIZE && n->inputs[0] >= 0) {
			qp[y] = qp[n->inputs[0]];
			continue;
		}
		/* A QDQ model's own quantization is taken as given. */
		if (vq_given_qparams(g, y, &qp[y]))
			continue;
		if (vq_shares_qparams(n->op) && n->inputs[0] >= 0) {
			qp[y] = qp[n->inputs[0]];
			continue;
		}
		if (n->op == VIS_OP_SOFTMAX) {
			qp[y].scale = 1.0f / 256;
			qp[y].zero_point = -128;
			continue;
		}
		if (!hist[y])
			continue;
		/*
		 * A model output keeps its whole observed range: clipping
		 * logits ties the largest ones and breaks the arg max.
		 */
		if (o->calib.method == CALIB_KL && !vis_graph_is_output(g, y))
			ret = vq_range_kl(hist[y], &o->calib, &lo, &hi);
		else
			ret = calib_range(hist[y],
					  vis_graph_is_output(g, y) ? &minmax :
								      &o->calib,
					  &lo, &hi);
		if (!ret)
			ret = calib_qparams(lo, hi, &qp[y]);
		if (ret)
			return vis_errorf(err, -ret,
					  "tensor '%s': no calibration range",
					  g->tensors[y].name);
	}
	return 0;
}

/* Lifetimes of the arena storage, planned and placed. */
static int vq_plan(struct vq_ctx *c, uint32_t nops, struct vis_qmodel *qm)
{
	struct mem_plan_buf *bufs = calloc(c->ntensors + 1, sizeof(*bufs));
	int64_t *first = malloc((c->ntensors + 1) * sizeof(*first));
	int64_t *last = malloc((c->ntensors + 1) * sizeof(*last));
	uint32_t i, j, nb = 0;
	int ret = -ENOMEM;

	if (!bufs || !first || !last)
		goto out;
	for (i = 0; i < c->ntensors; i++) {
		first[i] = INT64_MAX;
		last[i] = -1;
	}
	/* Written by the input stage, before operator 0. */
	first[c->root[qm->input.tensor]] = -1;
	for (i = 0; i < nops; i++) {
		const struct vision_model_op *op = vmb_op_at(c->b, i);
		uint32_t r = c->root[op->output];

		if ((int64_t)i < first[r])
			first[r] = i;
		if ((int64_t)i > last[r])
			last[r] = i;
		for (j = 0; j < op->num_inputs; j++) {
			uint32_t in = op->inputs[j];

			if (in < c->ntensors && c->root[in] != NO_T &&
			    (int64_t)i > last[c->root[in]])
				last[c->root[in]] = i;
		}
	}
	for (i = 0; i < qm->noutputs; i++)
		last[c->root[c->id[c->g->outputs[i]]]] = nops;
	for (i = 0; i < c->ntensors; i++) {
		if (c->root[i] != i)
			continue;
		bufs[nb].size = vmb_tensor_at(c->b, i)->size;
		bufs[nb].first = first[i] == INT64_MAX ? -1 : first[i];
		bufs[nb].last = last[i] < bufs[nb].first ? bufs[nb].first :
							   last[i];
		nb++;
	}
	ret = mem_plan(bufs, nb, VISION_MODEL_TENSOR_ALIGN, &qm->arena_planned,
		       &qm->arena_naive);
	if (ret || c->ntensors == 0)
		goto out;
	nb = 0;
	for (i = 0; i < c->ntensors; i++) {
		if (c->root[i] != i)
			continue;
		vmb_set_offset(c->b, i, bufs[nb++].offset);
	}
out:
	free(bufs);
	free(first);
	free(last);
	return ret;
}

static int vq_check_graph(const struct vis_graph *g, size_t *elems,
			  uint32_t *channels, struct vis_error *err)
{
	const struct vis_tensor *x;

	if (g->ninputs != 1)
		return vis_errorf(
			err, EOPNOTSUPP,
			"the model has %d inputs; one image input is supported",
			g->ninputs);
	if (g->noutputs < 1 || g->noutputs > VISION_MODEL_MAX_OUTPUTS)
		return vis_errorf(
			err, EOPNOTSUPP,
			"the model has %d outputs; 1 to %d are supported",
			g->noutputs, VISION_MODEL_MAX_OUTPUTS);
	x = &g->tensors[g->inputs[0]];
	if (x->rank != 4 || x->dims[0] != 1 || x->layout != VIS_LAYOUT_NHWC ||
	    (x->dims[3] != 1 && x->dims[3] != 3) || x->dims[1] < 1 ||
	    x->dims[2] < 1 || x->dims[1] > VISION_MODEL_MAX_DIM ||
	    x->dims[2] > VISION_MODEL_MAX_DIM) {
		char buf[96];

		return vis_errorf(
			err, EOPNOTSUPP,
			"input '%s' is %s; an NHWC image [1,H,W,1 or 3] is needed",
			x->name, vis_shape_str(x, buf, sizeof(buf)));
	}
	*elems = (size_t)vis_tensor_numel(x);
	*channels = (uint32_t)x->dims[3];
	return 0;
}

static int vq_lower(struct vq_ctx *c, struct vis_qmodel *qm,
		    const struct vis_quant_opts *o, uint32_t channels)
{
	const struct vis_graph *g = c->g;
	const int xin = g->inputs[0];
	uint32_t shape[4], i;
	int ret;

	ret = vq_shape(c, xin, shape);
	if (ret)
		return vis_errorf(c->err, -ret, "input shape");
	c->id[xin] = vmb_arena_tensor(c->b, shape, qm->in_qp.zero_point,
				      qm->in_qp.scale, g->tensors[xin].name);
	ret = vq_track(c, c->id[xin], c->id[xin]);
	if (ret)
		return ret;
	ret = vq_input_stage(qm, o, channels, c->id[xin]);
	if (ret)
		return vis_errorf(
			c->err, -ret,
			"mean/std give an input normalisation the input stage cannot express");
	vmb_input(c->b, &qm->input);
	for (i = 0; i < (uint32_t)g->nnodes; i++) {
		ret = vq_lower_node(c, (int)i);
		if (ret)
			return ret;
	}
	qm->noutputs = (uint32_t)g->noutputs;
	for (i = 0; i < qm->noutputs; i++) {
		int t = g->outputs[i];
		uint32_t nl = i == 0 ? o->num_labels : 0;

		if (c->id[t] == NO_T || c->root[c->id[t]] == NO_T || t == xin)
			return vis_errorf(
				c->err, EOPNOTSUPP,
				"output '%s' is not computed by the model",
				g->tensors[t].name);
		qm->out_qp[i] = c->qp[t];
		qm->out_elems[i] = (uint64_t)vis_tensor_numel(&g->tensors[t]);
		if (nl && nl != qm->out_elems[i])
			return vis_errorf(
				c->err, EINVAL,
				"%u labels for output '%s' of %llu elements",
				nl, g->tensors[t].name,
				(unsigned long long)qm->out_elems[i]);
		vmb_output(c->b, c->id[t], nl ? o->labels : NULL, nl);
	}
	return 0;
}

static int vq_finish(struct vq_ctx *c, struct vis_qmodel *qm,
		     const struct vis_quant_opts *o)
{
	struct vis_engine_error ee;
	struct vis_model m;
	uint32_t i;
	int ret;

	for (i = 0; i < c->nlayers; i++) {
		qm->macs += c->layers[i].macs;
		qm->weight_bytes += c->layers[i].weight_bytes;
	}
	ret = vq_plan(c, c->nlayers, qm);
	if (ret)
		return vis_errorf(c->err, -ret, "memory planning failed");
	if (o->no_plan) {
		uint64_t off = 0;

		for (i = 0; i < c->ntensors; i++) {
			if (c->root[i] != i)
				continue;
			vmb_set_offset(c->b, i, off);
			off += (vmb_tensor_at(c->b, i)->size + 15) & ~15ull;
		}
	}
	ret = vmb_finish(c->b, &qm->blob, &qm->size);
	if (ret)
		return vis_errorf(c->err, -ret, "the model builder failed");
	ret = vis_model_validate(&m, qm->blob, qm->size, &ee);
	if (ret)
		return vis_errorf(
			c->err, -ret,
			"the engine rejects the model: section %u entry %u %s: %s",
			ee.section, ee.index, ee.field, ee.msg);
	return 0;
}

int vis_quantize(const struct vis_graph *g, const float *calib, size_t n,
		 const struct vis_quant_opts *o, struct vis_qmodel **out,
		 struct vis_error *err)
{
	struct calib_hist **hist = NULL;
	struct vis_qmodel *qm = NULL;
	struct vq_ctx c;
	uint32_t channels = 0;
	size_t elems = 0;
	float lo, hi, l0, h0;
	int i, ret;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	ret = vq_check_graph(g, &elems, &channels, err);
	if (ret)
		return ret;
	if (!n || !calib)
		return vis_errorf(err, EINVAL, "no calibration inputs");
	for (i = 0; i < (int)channels; i++)
		if (!isfinite(o->mean[i]) || !isfinite(o->std[i]) ||
		    o->std[i] == 0)
			return vis_errorf(err, EINVAL, "bad mean/std");
	if (vis_quant_input_color(o, channels) < 0)
		return vis_errorf(
			err, EINVAL,
			"input colour %d does not fit the input's %u channel(s)",
			o->input_color, channels);

	ret = -ENOMEM;
	qm = calloc(1, sizeof(*qm));
	hist = calloc((size_t)g->ntensors, sizeof(*hist));
	c.id = malloc((size_t)g->ntensors * sizeof(*c.id));
	c.qp = calloc((size_t)g->ntensors, sizeof(*c.qp));
	c.mean = calloc((size_t)g->ntensors, sizeof(*c.mean));
	c.b = vmb_new();
	if (!qm || !hist || !c.id || !c.qp || !c.mean || !c.b)
		goto out;
	c.g = g;
	c.err = err;
	c.o = o;
	for (i = 0; !o->no_bias_correction && i < g->nnodes; i++) {
		const struct vis_node *nd = &g->nodes[i];
		int x = nd->ninputs ? nd->inputs[0] : -1;

		if (nd->dead ||
		    (nd->op != VIS_OP_CONV && nd->op != VIS_OP_FC) || x < 0 ||
		    g->tensors[x].data || c.mean[x])
			continue;
		c.mean[x] = calloc((size_t)vis_tensor_numel(&g->tensors[x]),
				   sizeof(double));
		if (!c.mean[x])
			goto out;
	}
	for (i = 0; i < g->ntensors; i++) {
		struct calib_qparams given;

		c.id[i] = NO_T;
		c.qp[i].scale = 1.0f;
		if (g->tensors[i].data || i == g->inputs[0] ||
		    g->tensors[i].dead || vq_given_qparams(g, i, &given))
			continue;
		hist[i] = malloc(sizeof(**hist));
		if (!hist[i])
			goto out;
		calib_hist_init(hist[i]);
	}

	/* The input's range is the preprocessing's, over p in [0, 255]. */
	lo = INFINITY;
	hi = -INFINITY;
	for (i = 0; i < (int)channels; i++) {
		l0 = (0.0f - o->mean[i]) / o->std[i];
		h0 = (1.0f - o->mean[i]) / o->std[i];
		lo = fminf(lo, fminf(l0, h0));
		hi = fmaxf(hi, fmaxf(l0, h0));
	}
	ret = calib_qparams(lo, hi, &qm->in_qp);
	if (ret)
		goto out;
	/* A QDQ model's input quantization is the input stage's. */
	vq_given_qparams(g, g->inputs[0], &qm->in_qp);
	c.qp[g->inputs[0]] = qm->in_qp;

	ret = vq_calibrate(g, calib, n, elems, o, hist, c.mean, err);
	if (!ret)
		ret = vq_choose_qparams(g, hist, o, c.qp, err);
	if (!ret)
		ret = vq_lower(&c, qm, o, channels);
	if (!ret)
		ret = vq_finish(&c, qm, o);
	if (!ret) {
		qm->layers = c.layers;
		qm->nlayers = c.nlayers;
		c.layers = NULL;
		c.nlayers = 0;
		*out = qm;
		qm = NULL;
	}
out:
	if (ret == -ENOMEM && err && !err->msg[0])
		vis_errorf(err, ENOMEM, "out of memory");
	for (i = 0; hist && i < g->ntensors; i++)
		free(hist[i]);
	free(hist);
	for (i = 0; i < (int)c.nlayers; i++)
		free(c.layers[i].name);
	free(c.layers);
	free(c.id);
	free(c.qp);
	for (i = 0; c.mean && i < g->ntensors; i++)
		free(c.mean[i]);
	free(c.mean);
	free(c.root);
	vmb_free(c.b);
	vis_qmodel_free(qm);
	return ret;
}
