// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Lowering of one float node to int8 engine operators, TFLite's way:
 * each operator's integer parameters derived from the quantisation of
 * its inputs and output (chosen by quantize.c).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "float_interp.h"
#include "quantize_ops.h"
#include "sparse_encode.h"

#define NO_T VISION_MODEL_NO_TENSOR

static const char *const vq_op_names[VISION_MODEL_OP_COUNT] = {
	[VISION_MODEL_OP_CONV_2D] = "CONV_2D",
	[VISION_MODEL_OP_FULLY_CONNECTED] = "FULLY_CONNECTED",
	[VISION_MODEL_OP_ADD] = "ADD",
	[VISION_MODEL_OP_MUL] = "MUL",
	[VISION_MODEL_OP_MAX_POOL] = "MAX_POOL",
	[VISION_MODEL_OP_AVG_POOL] = "AVG_POOL",
	[VISION_MODEL_OP_GLOBAL_AVG_POOL] = "GLOBAL_AVG_POOL",
	[VISION_MODEL_OP_CONCAT] = "CONCAT",
	[VISION_MODEL_OP_PAD] = "PAD",
	[VISION_MODEL_OP_RESHAPE] = "RESHAPE",
	[VISION_MODEL_OP_LUT] = "LUT",
	[VISION_MODEL_OP_SOFTMAX] = "SOFTMAX",
	[VISION_MODEL_OP_RESIZE] = "RESIZE",
};

static int vq_unsupported(struct vq_ctx *c, const struct vis_node *n,
			  const char *why)
{
	return vis_errorf(
		c->err, EOPNOTSUPP,
		"node '%s' (%s): not supported by the int8 engine: %s", n->name,
		vis_op_name(n->op), why);
}

int vq_shape(const struct vq_ctx *c, int t, uint32_t shape[4])
{
	const struct vis_tensor *x = &c->g->tensors[t];
	int i, r = x->rank, skip = 0;

	/* Drop leading unit dimensions beyond four. */
	while (r - skip > 4 && x->dims[skip] == 1)
		skip++;
	if (r - skip > 4)
		return -EOPNOTSUPP;
	for (i = 0; i < 4; i++)
		shape[i] = 1;
	for (i = skip; i < r; i++) {
		if (x->dims[i] < 1 || x->dims[i] > VISION_MODEL_MAX_DIM)
			return -EOPNOTSUPP;
		shape[4 - (r - i)] = (uint32_t)x->dims[i];
	}
	return 0;
}

int vq_track(struct vq_ctx *c, uint32_t id, uint32_t root)
{
	if (id >= c->cap) {
		uint32_t ncap = (id + 1) * 2, i;
		uint32_t *nr = realloc(c->root, ncap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		for (i = c->cap; i < ncap; i++)
			nr[i] = NO_T;
		c->root = nr;
		c->cap = ncap;
	}
	c->root[id] = root;
	if (id + 1 > c->ntensors)
		c->ntensors = id + 1;
	return 0;
}

/* A value of the real line as int8 under @q, saturated. */
static int32_t vq_q8(const struct calib_qparams *q, float v)
{
	double r = round((double)v / q->scale) + q->zero_point;

	return r < -128 ? -128 : r > 127 ? 127 : (int32_t)r;
}

static int vq_act_range(struct vq_ctx *c, const struct vis_node *n,
			const struct calib_qparams *q, int32_t *lo, int32_t *hi)
{
	*lo = -128;
	*hi = 127;
	switch (n->act) {
	case VIS_ACT_NONE:
		return 0;
	case VIS_ACT_RELU:
		*lo = vq_q8(q, 0);
		return 0;
	case VIS_ACT_CLIP:
		*lo = vq_q8(q, n->act_min);
		*hi = vq_q8(q, n->act_max);
		if (*lo > *hi)
			*lo = *hi;
		return 0;
	default:
		return vq_unsupported(c, n, "a fused non-clamp activation");
	}
}

/* The model tensor of activation input @i of @n, or an error. */
static int vq_in(struct vq_ctx *c, const struct vis_node *n, int i,
		 uint32_t *id)
{
	int t = i < n->ninputs ? n->inputs[i] : -1;

	if (t < 0 || c->g->tensors[t].data || c->id[t] == NO_T)
		return vq_unsupported(c, n, "an operand is not an activation");
	*id = c->id[t];
	return 0;
}

static int vq_layer(struct vq_ctx *c, const struct vis_node *n, uint32_t type,
		    uint32_t out, uint64_t macs, uint64_t wbytes)
{
	struct vis_qlayer *l;
	struct vis_qlayer *nl =
		realloc(c->layers, (c->nlayers + 1) * sizeof(*c->layers));
	int y = n->outputs[0];

	if (!nl)
		return -ENOMEM;
	c->layers = nl;
	l = &c->layers[c->nlayers];
	memset(l, 0, sizeof(*l));
	l->name = strdup(n->name ? n->name : "");
	if (!l->name)
		return -ENOMEM;
	c->nlayers++;
	l->op = vq_op_names[type];
	l->output = out;
	l->ftensor = y;
	l->macs = macs;
	l->weight_bytes = wbytes;
	l->scale = c->qp[y].scale;
	l->zero_point = c->qp[y].zero_point;
	l->sqnr_db = NAN;
	l->cosine = NAN;
	c->id[y] = out;
	return 0;
}

/* A new arena tensor for the output of @n, of @shape. */
static int vq_out(struct vq_ctx *c, const struct vis_node *n,
		  const uint32_t shape[4], uint32_t *id)
{
	const struct calib_qparams *q = &c->qp[n->outputs[0]];

	*id = vmb_arena_tensor(c->b, shape, q->zero_point, q->scale, n->name);
	return vq_track(c, *id, *id);
}

static int vq_emit(struct vq_ctx *c, const struct vis_node *n, uint32_t type,
		   const uint32_t *in, uint32_t nin, const uint32_t oshape[4],
		   const union vision_model_op_params *p, uint64_t macs)
{
	uint32_t out;
	int ret = vq_out(c, n, oshape, &out);

	if (ret)
		return ret;
	vmb_op(c->b, type, in, nin, out, p, n->name);
	return vq_layer(c, n, type, out, macs, 0);
}

bool vq_given_qparams(const struct vis_graph *g, int t, struct calib_qparams *q)
{
	const struct vis_quant *gq;
	int32_t zp;

	if (t < 0)
		return false;
	gq = &g->tensors[t].quant;
	if (gq->count != 1 ||
	    (gq->dtype != VIS_DT_INT8 && gq->dtype != VIS_DT_UINT8))
		return false;
	/* uint8 q and int8 q - 128 stand for the same real values. */
	zp = gq->zero_point[0] - (gq->dtype == VIS_DT_UINT8 ? 128 : 0);
	if (zp < -128 || zp > 127 || !(gq->scale[0] > 0))
		return false;
	q->scale = gq->scale[0];
	q->zero_point = zp;
	return true;
}

/*
 * The int8 weights and per-channel scales a QDQ model gave weight tensor
 * @wt (@o rows of @k): VIS_WSRC_GIVEN with @qw and @scales filled when
 * it has symmetric int8 (or uint8 with zero point 128) parameters, per
 * tensor or per output channel, that reproduce its values exactly;
 * VIS_WSRC_REQUANTIZED when it has parameters the engine cannot take
 * (a zero point other than 0, another axis, values off the grid);
 * VIS_WSRC_CALIBRATED when it has none.
 */
static uint32_t vq_given_weights(const struct vis_tensor *wt, size_t o,
				 size_t k, int8_t *qw, float *scales)
{
	const struct vis_quant *gq = &wt->quant;
	int32_t off = gq->dtype == VIS_DT_UINT8 ? 128 : 0;
	size_t r, j;

	if (!gq->count)
		return VIS_WSRC_CALIBRATED;
	if ((gq->dtype != VIS_DT_INT8 && gq->dtype != VIS_DT_UINT8) ||
	    (gq->count != 1 && ((size_t)gq->count != o || gq->axis != 0)))
		return VIS_WSRC_REQUANTIZED;
	for (r = 0; r < o; r++) {
		int i = gq->count == 1 ? 0 : (int)r;
		float s = gq->scale[i];

		if (gq->zero_point[i] != off || !(s > 0) || !isfinite(s))
			return VIS_WSRC_REQUANTIZED;
		scales[r] = s;
		for (j = 0; j < k; j++) {
			float v = wt->data[r * k + j];
			double q = round((double)v / s);

			/* DequantizeLinear computed v = q * s in float. */
			if (q < -128 || q > 127 || (float)(q * s) != v)
				return VIS_WSRC_REQUANTIZED;
			qw[r * k + j] = (int8_t)q;
		}
	}
	return VIS_WSRC_GIVEN;
}

/*
 * The mean input patch of @n over the calibration inputs, per group:
 * @mp[g * K + j] for the K = @wshape[1..3] values of a row of group g.
 * A conv's patches are the im2col of the mean input (padding taps 0, as
 * the engine skips them) averaged over the output pixels; an FC's, the
 * mean input rows averaged. False when no mean was recorded.
 */
static bool vq_mean_patch(const struct vq_ctx *c, const struct vis_node *n,
			  const uint32_t wshape[4], uint32_t groups, double *mp)
{
	const struct vis_tensor *x = &c->g->tensors[n->inputs[0]];
	const struct vis_tensor *y = &c->g->tensors[n->outputs[0]];
	const double *m = c->mean ? c->mean[n->inputs[0]] : NULL;
	size_t k = (size_t)wshape[1] * wshape[2] * wshape[3], j, r, rows;
	int64_t oy, ox, ky, kx, iy, ix, h, w, ch, cg, g;

	if (!m)
		return false;
	memset(mp, 0, groups * k * sizeof(*mp));
	if (n->op == VIS_OP_FC) {
		rows = (size_t)vis_tensor_numel(x) / k;
		for (r = 0; r < rows; r++)
			for (j = 0; j < k; j++)
				mp[j] += m[r * k + j] / (double)rows;
		return true;
	}
	if (x->rank != 4 || y->rank != 4 || x->dims[0] != 1)
		return false;
	h = x->dims[1];
	w = x->dims[2];
	ch = x->dims[3];
	cg = wshape[3];
	for (oy = 0; oy < y->dims[1]; oy++)
		for (ox = 0; ox < y->dims[2]; ox++)
			for (ky = 0; ky < wshape[1]; ky++) {
				iy = oy * n->attrs.strides[0] -
				     n->attrs.pads[0] +
				     ky * n->attrs.dilations[0];
				for (kx = 0; kx < wshape[2]; kx++) {
					ix = ox * n->attrs.strides[1] -
					     n->attrs.pads[1] +
					     kx * n->attrs.dilations[1];
					if (iy < 0 || iy >= h || ix < 0 ||
					    ix >= w)
						continue;
					for (g = 0; g < (int64_t)groups; g++)
						for (j = 0; j < (size_t)cg; j++)
							mp[g * k +
							   (ky * wshape[2] +
							    kx) * cg +
							   j] += m[(iy * w +
								    ix) * ch +
								   g * cg + j];
				}
			}
	for (j = 0; j < groups * k; j++)
		mp[j] /= (double)(y->dims[1] * y->dims[2]);
	return true;
}

/*
 * Bias correction: the float layer's expected output is W E[x] + b, the
 * int8 layer's Wq E[x] + b (Wq the dequantized int8 weights), so
 * b += (W - Wq) E[x] row by row. Returns the mean |shift| in output
 * steps, for the report.
 */
static double vq_bias_correct(const float *w, const int8_t *qw,
			      const float *scales, size_t o, size_t k,
			      uint32_t groups, const double *mp, float *bias,
			      float out_scale)
{
	size_t r, j, per = o / groups;
	double tot = 0;

	for (r = 0; r < o; r++) {
		const double *m = mp + (r / per) * k;
		double d = 0;

		for (j = 0; j < k; j++)
			d += ((double)w[r * k + j] -
			      (double)qw[r * k + j] * scales[r]) *
			     m[j];
		bias[r] = (float)(bias[r] + d);
		tot += fabs(d);
	}
	return tot / (double)o / out_scale;
}

/*
 * The weight bytes to write: @qw dense, or BLOCK4 (encoded into *@enc,
 * freed by the caller) when forced or, in auto mode, when its block
 * columns and values take no more bytes than dense: a stored block costs
 * 8 bytes (4 values, a u32 column) against 4 dense, so that is when at
 * least half the blocks are empty, and the engine then skips at least
 * half the multiplications for at most the row pointers, 4 bytes a row,
 * more. (A layer pruned to exactly 50% of its blocks is never strictly
 * smaller than dense, by those row pointers.)
 */
static int vq_encode(const struct vq_ctx *c, const int8_t *qw, size_t o,
		     size_t k, uint32_t *encoding, void **enc, size_t *size)
{
	uint32_t mode = c->o ? c->o->weights_encoding : VIS_WENC_AUTO;
	size_t nb = 0,
	       b4 = mode == VIS_WENC_DENSE ? 0 : vis_block4_size(qw, o, k, &nb);
	int ret;

	*encoding = VISION_MODEL_ENC_DENSE;
	*enc = NULL;
	*size = o * k;
	if (!b4 || (mode == VIS_WENC_AUTO && nb * 8 > o * k))
		return 0;
	*enc = malloc(b4);
	if (!*enc)
		return -ENOMEM;
	ret = vis_block4_encode(qw, o, k, *enc, b4);
	if (ret)
		return ret;
	*encoding = VISION_MODEL_ENC_BLOCK4;
	*size = b4;
	return 0;
}

/*
 * CONV_2D or FULLY_CONNECTED of @in with float weights @w ([O, K] rows,
 * K = kh * kw * ig) and @bias (NULL: zeros).
 */
static int vq_weighted(struct vq_ctx *c, const struct vis_node *n,
		       uint32_t type, uint32_t in, const float *w,
		       const float *bias, const uint32_t wshape[4],
		       struct vision_model_conv *p, const uint32_t oshape[4],
		       uint64_t macs)
{
	const struct calib_qparams *qi = &c->qp[n->inputs[0]];
	const struct calib_qparams *qo = &c->qp[n->outputs[0]];
	size_t o = wshape[0], k = (size_t)wshape[1] * wshape[2] * wshape[3];
	uint32_t groups = p->groups ? p->groups : 1;
	int8_t *qw = malloc(o * k);
	float *scales = calloc(o, sizeof(*scales));
	float *fb = calloc(o, sizeof(*fb));
	int32_t *qb = calloc(o, sizeof(*qb));
	struct vision_model_requant *rq = calloc(o, sizeof(*rq));
	double *mp = malloc(groups * k * sizeof(*mp)), shift = 0;
	struct vis_qlayer *l;
	struct vmb_weights wt;
	uint32_t out, wid, bid, wsrc, enc_type;
	void *enc = NULL;
	size_t enc_size;
	int ret = -ENOMEM;

	if (!qw || !scales || !fb || !qb || !rq || !mp)
		goto out;
	ret = vq_act_range(c, n, qo, &p->act_min, &p->act_max);
	if (ret)
		goto out;
	wsrc = vq_given_weights(&c->g->tensors[n->inputs[1]], o, k, qw, scales);
	if (wsrc != VIS_WSRC_GIVEN) {
		ret = calib_quant_weights(w, o, k, qw, scales);
		if (ret) {
			ret = vis_errorf(c->err, -ret, "node '%s': bad weights",
					 n->name);
			goto out;
		}
	}
	if (bias)
		memcpy(fb, bias, o * sizeof(*fb));
	/* Given weights are the model's own: nothing to correct. */
	if (wsrc != VIS_WSRC_GIVEN && !(c->o && c->o->no_bias_correction) &&
	    vq_mean_patch(c, n, wshape, groups, mp))
		shift = vq_bias_correct(w, qw, scales, o, k, groups, mp, fb,
					qo->scale);
	ret = calib_quant_bias(fb, o, qi->scale, scales, qb);
	if (ret < 0) {
		ret = vis_errorf(c->err, -ret, "node '%s': bad bias", n->name);
		goto out;
	}
	ret = calib_requant(qi->scale, scales, o, qo->scale, rq);
	if (ret) {
		ret = vis_errorf(c->err, -ret,
				 "node '%s': requantisation out of range",
				 n->name);
		goto out;
	}
	ret = vq_encode(c, qw, o, k, &enc_type, &enc, &enc_size);
	if (ret) {
		ret = vis_errorf(c->err, -ret, "node '%s': weight encoding",
				 n->name);
		goto out;
	}
	memset(&wt, 0, sizeof(wt));
	wt.data = enc ? enc : qw;
	wt.size = enc_size;
	wt.encoding = enc_type;
	memcpy(wt.shape, wshape, sizeof(wt.shape));
	wt.scale = scales[0];
	wt.channel_scales = scales;
	wt.bias = qb;
	wt.bias_scale = qi->scale * scales[0];
	wt.requant = rq;
	out = vmb_conv2d(c->b, type, in, &wt, p, oshape, qo->zero_point,
			 qo->scale, n->name, &wid, &bid);
	ret = vq_track(c, wid, NO_T);
	if (!ret)
		ret = vq_track(c, bid, NO_T);
	if (!ret)
		ret = vq_track(c, out, out);
	if (!ret)
		ret = vq_layer(c, n, type, out, macs,
			       enc_size + o * sizeof(*qb) + o * sizeof(*rq));
	if (!ret) {
		l = &c->layers[c->nlayers - 1];
		l->encoding = enc_type;
		l->wsrc = wsrc;
		l->dense_bytes = o * k;
		l->enc_bytes = enc_size;
		l->bias_shift = shift;
	}
out:
	free(qw);
	free(scales);
	free(fb);
	free(qb);
	free(rq);
	free(mp);
	free(enc);
	return ret;
}

static const float *vq_bias(const struct vis_graph *g, const struct vis_node *n)
{
	int t = n->ninputs > 2 ? n->inputs[2] : -1;

	return t >= 0 ? g->tensors[t].data : NULL;
}

static int vq_conv(struct vq_ctx *c, const struct vis_node *n)
{
	const struct vis_graph *g = c->g;
	const struct vis_tensor *w = &g->tensors[n->inputs[1]];
	const struct vis_tensor *x = &g->tensors[n->inputs[0]];
	const struct vis_attrs *a = &n->attrs;
	struct vision_model_conv p;
	uint32_t wshape[4], oshape[4], in;
	int ret, i;

	if (n->ninputs < 2 || !w->data || w->rank != 4 || x->rank != 4 ||
	    a->layout != VIS_LAYOUT_NHWC)
		return vq_unsupported(c, n, "only 2-D NHWC convolutions");
	if (n->ninputs > 2 && n->inputs[2] >= 0 && !vq_bias(g, n))
		return vq_unsupported(c, n, "a bias that is not constant");
	ret = vq_in(c, n, 0, &in);
	if (!ret)
		ret = vq_shape(c, n->outputs[0], oshape);
	if (ret)
		return ret < 0 && ret != -EOPNOTSUPP ?
			       ret :
			       vq_unsupported(c, n, "output shape");
	for (i = 0; i < 4; i++)
		wshape[i] = (uint32_t)w->dims[i];
	memset(&p, 0, sizeof(p));
	p.stride_h = (uint32_t)a->strides[0];
	p.stride_w = (uint32_t)a->strides[1];
	p.dilation_h = (uint32_t)a->dilations[0];
	p.dilation_w = (uint32_t)a->dilations[1];
	p.pad_top = (uint32_t)a->pads[0];
	p.pad_left = (uint32_t)a->pads[1];
	p.pad_bottom = (uint32_t)a->pads[2];
	p.pad_right = (uint32_t)a->pads[3];
	p.groups = a->group > 0 ? (uint32_t)a->group : 1;
	for (i = 0; i < 4; i++)
		if (a->pads[i] < 0)
			return vq_unsupported(c, n, "negative padding");
	return vq_weighted(c, n, VISION_MODEL_OP_CONV_2D, in, w->data,
			   vq_bias(g, n), wshape, &p, oshape,
			   (uint64_t)oshape[1] * oshape[2] * oshape[3] *
				   wshape[1] * wshape[2] * wshape[3]);
}

static int vq_fc(struct vq_ctx *c, const struct vis_node *n)
{
	const struct vis_graph *g = c->g;
	const struct vis_tensor *w = &g->tensors[n->inputs[1]];
	const struct vis_tensor *x = &g->tensors[n->inputs[0]];
	struct vision_model_conv p;
	uint32_t ishape[4], oshape[4], fshape[4] = { 1, 1, 1, 0 };
	uint32_t wshape[4] = { 0, 1, 1, 0 }, in;
	int64_t k, rows;
	int ret;

	if (!w->data || w->rank != 2)
		return vq_unsupported(c, n, "weights that are not constant");
	if (n->ninputs > 2 && n->inputs[2] >= 0 && !vq_bias(g, n))
		return vq_unsupported(c, n, "a bias that is not constant");
	k = w->dims[1];
	if (x->rank < 1 || x->dims[x->rank - 1] != k)
		return vq_unsupported(c, n, "input does not end in K");
	rows = vis_tensor_numel(x) / k;
	ret = vq_in(c, n, 0, &in);
	if (!ret)
		ret = vq_shape(c, n->inputs[0], ishape);
	if (!ret)
		ret = vq_shape(c, n->outputs[0], oshape);
	if (ret)
		return ret == -EOPNOTSUPP ? vq_unsupported(c, n, "shape") : ret;
	wshape[0] = (uint32_t)w->dims[0];
	wshape[3] = (uint32_t)k;
	memset(&p, 0, sizeof(p));
	p.stride_h = p.stride_w = p.dilation_h = p.dilation_w = p.groups = 1;
	if (rows == 1) {
		fshape[3] = wshape[0];
		if (memcmp(fshape, oshape, sizeof(fshape)))
			return vq_unsupported(c, n, "output shape");
		return vq_weighted(c, n, VISION_MODEL_OP_FULLY_CONNECTED, in,
				   w->data, vq_bias(g, n), wshape, &p, oshape,
				   (uint64_t)wshape[0] * k);
	}
	/* Per pixel over the channels: a 1x1 convolution. */
	if (ishape[3] != k || oshape[0] != ishape[0] ||
	    oshape[1] != ishape[1] || oshape[2] != ishape[2])
		return vq_unsupported(c, n, "a batched matrix product");
	return vq_weighted(c, n, VISION_MODEL_OP_CONV_2D, in, w->data,
			   vq_bias(g, n), wshape, &p, oshape,
			   (uint64_t)rows * wshape[0] * k);
}

static int vq_pool(struct vq_ctx *c, const struct vis_node *n)
{
	const struct vis_attrs *a = &n->attrs;
	const struct calib_qparams *qi = &c->qp[n->inputs[0]];
	const struct calib_qparams *qo = &c->qp[n->outputs[0]];
	union vision_model_op_params p;
	uint32_t oshape[4], ishape[4], in, type;
	uint64_t macs;
	int ret, i;

	ret = vq_in(c, n, 0, &in);
	if (ret)
		return ret;
	if (vq_shape(c, n->inputs[0], ishape) ||
	    vq_shape(c, n->outputs[0], oshape) ||
	    c->g->tensors[n->inputs[0]].rank != 4)
		return vq_unsupported(c, n, "only 4-D NHWC pooling");
	memset(&p, 0, sizeof(p));
	ret = vq_act_range(c, n, qo, &p.pool.act_min, &p.pool.act_max);
	if (ret)
		return ret;
	macs = (uint64_t)ishape[1] * ishape[2] * ishape[3];
	if (n->op == VIS_OP_GLOBAL_AVGPOOL) {
		double real = (double)qi->scale /
			      ((double)qo->scale * ishape[1] * ishape[2]);

		if (calib_multiplier(real, &p.pool.requant))
			return vq_unsupported(c, n, "scale out of range");
		return vq_emit(c, n, VISION_MODEL_OP_GLOBAL_AVG_POOL, &in, 1,
			       oshape, &p, macs);
	}
	if (a->layout != VIS_LAYOUT_NHWC)
		return vq_unsupported(c, n, "only NHWC pooling");
	for (i = 0; i < 4; i++)
		if (a->pads[i] < 0 || a->pads[i] >= a->kernel[i & 1])
			return vq_unsupported(c, n,
					      "padding not below the window");
	if (n->op == VIS_OP_AVGPOOL && a->count_include_pad &&
	    (a->pads[0] || a->pads[1] || a->pads[2] || a->pads[3]))
		return vq_unsupported(c, n, "count_include_pad with padding");
	if (a->dilations[0] > 1 || a->dilations[1] > 1)
		return vq_unsupported(c, n, "dilated pooling");
	p.pool.filter_h = (uint32_t)a->kernel[0];
	p.pool.filter_w = (uint32_t)a->kernel[1];
	p.pool.stride_h = (uint32_t)a->strides[0];
	p.pool.stride_w = (uint32_t)a->strides[1];
	p.pool.pad_top = (uint32_t)a->pads[0];
	p.pool.pad_left = (uint32_t)a->pads[1];
	p.pool.pad_bottom = (uint32_t)a->pads[2];
	p.pool.pad_right = (uint32_t)a->pads[3];
	type = n->op == VIS_OP_MAXPOOL ? VISION_MODEL_OP_MAX_POOL :
					 VISION_MODEL_OP_AVG_POOL;
	return vq_emit(c, n, type, &in, 1, oshape, &p,
		       (uint64_t)oshape[1] * oshape[2] * oshape[3] *
			       p.pool.filter_h * p.pool.filter_w);
}

static int vq_binary(struct vq_ctx *c, const struct vis_node *n)
{
	const struct calib_qparams *q1 = &c->qp[n->inputs[0]];
	const struct calib_qparams *q2 = &c->qp[n->inputs[1]];
	const struct calib_qparams *qo = &c->qp[n->outputs[0]];
	struct vision_model_binary *bp;
	union vision_model_op_params p;
	uint32_t in[2], s1[4], s2[4], so[4];
	int ret, i;

	ret = vq_in(c, n, 0, &in[0]);
	if (!ret)
		ret = vq_in(c, n, 1, &in[1]);
	if (ret)
		return ret;
	if (vq_shape(c, n->inputs[0], s1) || vq_shape(c, n->inputs[1], s2) ||
	    vq_shape(c, n->outputs[0], so))
		return vq_unsupported(c, n, "shape");
	for (i = 0; i < 4; i++)
		if ((s1[i] != so[i] && s1[i] != 1) ||
		    (s2[i] != so[i] && s2[i] != 1))
			return vq_unsupported(c, n, "broadcast");
	memset(&p, 0, sizeof(p));
	bp = &p.binary;
	ret = vq_act_range(c, n, qo, &bp->act_min, &bp->act_max);
	if (ret)
		return ret;
	if (n->op == VIS_OP_ADD) {
		/* TFLite's int8 Add: both inputs to twice the larger scale. */
		double twice = 2.0 * fmax(q1->scale, q2->scale);

		bp->left_shift = 20;
		ret = calib_multiplier(q1->scale / twice, &bp->input1);
		ret = ret ?: calib_multiplier(q2->scale / twice, &bp->input2);
		ret = ret   ?:
			      calib_multiplier(
				      twice / ((double)(1 << 20) * qo->scale),
				      &bp->output);
		if (ret)
			return vq_unsupported(c, n, "scales out of range");
		return vq_emit(c, n, VISION_MODEL_OP_ADD, in, 2, so, &p,
			       (uint64_t)so[0] * so[1] * so[2] * so[3]);
	}
	if (calib_multiplier((double)q1->scale * q2->scale / qo->scale,
			     &bp->output))
		return vq_unsupported(c, n, "scales out of range");
	return vq_emit(c, n, VISION_MODEL_OP_MUL, in, 2, so, &p,
		       (uint64_t)so[0] * so[1] * so[2] * so[3]);
}

static int vq_concat(struct vq_ctx *c, const struct vis_node *n)
{
	const struct vis_tensor *y = &c->g->tensors[n->outputs[0]];
	const struct calib_qparams *qo = &c->qp[n->outputs[0]];
	union vision_model_op_params p;
	uint32_t in[VISION_MODEL_MAX_OP_INPUTS], so[4];
	int ret, i;

	if (n->ninputs > VISION_MODEL_MAX_OP_INPUTS)
		return vq_unsupported(c, n, "more than 8 inputs");
	if (y->rank < 1 ||
	    (n->attrs.axis != y->rank - 1 && n->attrs.axis != -1))
		return vq_unsupported(c, n, "only along the channels");
	if (vq_shape(c, n->outputs[0], so))
		return vq_unsupported(c, n, "shape");
	memset(&p, 0, sizeof(p));
	for (i = 0; i < n->ninputs; i++) {
		const struct calib_qparams *q = &c->qp[n->inputs[i]];

		ret = vq_in(c, n, i, &in[i]);
		if (ret)
			return ret;
		if (q->scale == qo->scale && q->zero_point == qo->zero_point)
			continue;
		if (calib_multiplier((double)q->scale / qo->scale,
				     &p.concat.requant[i]) ||
		    !p.concat.requant[i].multiplier)
			return vq_unsupported(c, n, "scales out of range");
	}
	return vq_emit(c, n, VISION_MODEL_OP_CONCAT, in, (uint32_t)n->ninputs,
		       so, &p, (uint64_t)so[0] * so[1] * so[2] * so[3]);
}

/* The activation input of a PAD or RESIZE, a 4-D NHWC image. */
static int vq_image_in(struct vq_ctx *c, const struct vis_node *n, uint32_t *in,
		       uint32_t so[4])
{
	const struct vis_tensor *x = &c->g->tensors[n->inputs[0]];
	int ret = vq_in(c, n, 0, in);

	if (ret)
		return ret;
	if (x->rank != 4 ||
	    (x->layout != VIS_LAYOUT_NHWC &&
	     n->attrs.layout != VIS_LAYOUT_NHWC) ||
	    vq_shape(c, n->outputs[0], so))
		return vq_unsupported(c, n, "only 4-D NHWC images");
	return 0;
}

static int vq_pad(struct vq_ctx *c, const struct vis_node *n)
{
	const struct vis_attrs *a = &n->attrs;
	union vision_model_op_params p;
	uint32_t in, so[4];
	int ret;

	ret = vq_image_in(c, n, &in, so);
	if (ret)
		return ret;
	if (a->pad_begin[0] || a->pad_end[0] || a->pad_begin[3] ||
	    a->pad_end[3] || a->pad_begin[1] < 0 || a->pad_begin[2] < 0 ||
	    a->pad_end[1] < 0 || a->pad_end[2] < 0)
		return vq_unsupported(c, n,
				      "only non-negative H and W padding");
	memset(&p, 0, sizeof(p));
	p.pad.top = (uint32_t)a->pad_begin[1];
	p.pad.bottom = (uint32_t)a->pad_end[1];
	p.pad.left = (uint32_t)a->pad_begin[2];
	p.pad.right = (uint32_t)a->pad_end[2];
	p.pad.value = vq_q8(&c->qp[n->inputs[0]], a->pad_value);
	return vq_emit(c, n, VISION_MODEL_OP_PAD, &in, 1, so, &p,
		       (uint64_t)so[0] * so[1] * so[2] * so[3]);
}

static int vq_resize(struct vq_ctx *c, const struct vis_node *n)
{
	const struct vis_attrs *a = &n->attrs;
	union vision_model_op_params p;
	uint32_t in, so[4];
	int ret;

	ret = vq_image_in(c, n, &in, so);
	if (ret)
		return ret;
	memset(&p, 0, sizeof(p));
	p.resize.mode = a->resize_mode == VIS_RESIZE_LINEAR ?
				VISION_MODEL_RESIZE_BILINEAR :
				VISION_MODEL_RESIZE_NEAREST;
	switch (a->resize_coord) {
	case VIS_COORD_ALIGN_CORNERS:
		p.resize.align_corners = 1;
		break;
	case VIS_COORD_HALF_PIXEL:
	case VIS_COORD_PYTORCH_HALF_PIXEL:
	case VIS_COORD_TF_HALF_PIXEL_FOR_NN:
		p.resize.half_pixel_centers = 1;
		break;
	default:
		break;
	}
	return vq_emit(c, n, VISION_MODEL_OP_RESIZE, &in, 1, so, &p,
		       (uint64_t)so[0] * so[1] * so[2] * so[3]);
}

static int vq_softmax(struct vq_ctx *c, const struct vis_node *n)
{
	const struct vis_tensor *x = &c->g->tensors[n->inputs[0]];
	const struct calib_qparams *qi = &c->qp[n->inputs[0]];
	union vision_model_op_params p;
	struct vision_model_requant r;
	uint32_t in, so[4];
	double real;
	int ret;

	ret = vq_in(c, n, 0, &in);
	if (ret)
		return ret;
	if (n->attrs.axis != x->rank - 1 && n->attrs.axis != -1)
		return vq_unsupported(c, n, "only along the last axis");
	if (vq_shape(c, n->outputs[0], so))
		return vq_unsupported(c, n, "shape");
	/* TFLite's PreprocessSoftmaxScaling (beta 1, 5 integer bits). */
	real = fmin((double)qi->scale * (double)(1 << 26), 2147483647.0);
	if (calib_multiplier(real, &r) || r.shift < 0)
		return vq_unsupported(c, n, "input scale out of range");
	memset(&p, 0, sizeof(p));
	p.softmax.input_beta_multiplier = r.multiplier;
	p.softmax.input_beta_left_shift = r.shift;
	p.softmax.diff_min = -(int32_t)floor(31.0 * (double)(1ll << 26) /
					     (double)(1ll << r.shift));
	return vq_emit(c, n, VISION_MODEL_OP_SOFTMAX, &in, 1, so, &p,
		       (uint64_t)so[0] * so[1] * so[2] * so[3]);
}

static int vq_view(struct vq_ctx *c, const struct vis_node *n)
{
	uint32_t in, so[4], out;
	int ret;

	ret = vq_in(c, n, 0, &in);
	if (ret)
		return ret;
	if (vq_shape(c, n->outputs[0], so))
		return vq_unsupported(c, n, "shape");
	out = vmb_view_tensor(c->b, in, so, n->name);
	ret = vq_track(c, out, c->root[in]);
	if (ret)
		return ret;
	vmb_op(c->b, VISION_MODEL_OP_RESHAPE, &in, 1, out, NULL, n->name);
	return vq_layer(c, n, VISION_MODEL_OP_RESHAPE, out, 0, 0);
}

/* @n's arithmetic with the scalar constant @k, @x its input @ai. */
static float vq_scalar_op(const struct vis_node *n, int ai, float x, float k)
{
	float a = ai ? k : x, b = ai ? x : k;

	switch (n->op) {
	case VIS_OP_ADD:
		return a + b;
	case VIS_OP_SUB:
		return a - b;
	case VIS_OP_MUL:
		return a * b;
	default:
		return a / b;
	}
}

/*
 * An element-wise function of input @ai as a 256-entry table: each int8
 * input value dequantised, the float function applied (an activation,
 * or arithmetic with the scalar constant *@k, then the node's own fused
 * clamp, if any), the result quantised to the output.
 */
static int vq_lut(struct vq_ctx *c, const struct vis_node *n, int ai,
		  const float *k)
{
	const struct calib_qparams *qi = &c->qp[n->inputs[ai]];
	const struct calib_qparams *qo = &c->qp[n->outputs[0]];
	const uint32_t tshape[4] = { 1, 1, 1, 256 };
	struct vis_node f;
	int8_t table[256];
	uint32_t in[2], so[4], out;
	int ret, i;

	ret = vq_in(c, n, ai, &in[0]);
	if (ret)
		return ret;
	if (vq_shape(c, n->outputs[0], so))
		return vq_unsupported(c, n, "shape");
	if (n->act != VIS_ACT_NONE && n->act != VIS_ACT_RELU &&
	    n->act != VIS_ACT_CLIP)
		return vq_unsupported(c, n, "a fused non-clamp activation");
	memset(&f, 0, sizeof(f));
	f.act = vis_op_activation(n->op);
	f.act_min = n->attrs.alpha;
	f.act_max = n->attrs.beta;
	f.act_alpha = n->attrs.alpha;
	f.act_beta = n->attrs.beta;
	for (i = 0; i < 256; i++) {
		float x = qi->scale * (float)(i - 128 - qi->zero_point);
		float y = k ? vq_scalar_op(n, ai, x, *k) : vis_act_apply(&f, x);

		if (n->act != VIS_ACT_NONE)
			y = vis_act_apply(n, y);
		table[i] = (int8_t)vq_q8(qo, y);
	}
	in[1] = vmb_const_tensor(c->b, tshape, VISION_MODEL_TYPE_INT8, 0, 1.0f,
				 NULL, VISION_MODEL_ENC_DENSE, table,
				 sizeof(table), NULL);
	ret = vq_track(c, in[1], NO_T);
	if (!ret)
		ret = vq_out(c, n, so, &out);
	if (ret)
		return ret;
	vmb_op(c->b, VISION_MODEL_OP_LUT, in, 2, out, NULL, n->name);
	ret = vq_layer(c, n, VISION_MODEL_OP_LUT, out,
		       (uint64_t)so[0] * so[1] * so[2] * so[3], 0);
	if (!ret)
		c->layers[c->nlayers - 1].weight_bytes = sizeof(table);
	return ret;
}

/*
 * Add, Sub, Mul, Div: of two activations (Add and Mul only), or of one
 * activation and a scalar constant, which is an element-wise function.
 */
static int vq_arith(struct vq_ctx *c, const struct vis_node *n)
{
	int i;

	for (i = 0; i < 2 && n->ninputs == 2; i++) {
		const struct vis_tensor *t = &c->g->tensors[n->inputs[i]];

		if (t->data && vis_tensor_numel(t) == 1)
			return vq_lut(c, n, !i, t->data);
	}
	if (n->op == VIS_OP_ADD || n->op == VIS_OP_MUL)
		return vq_binary(c, n);
	return vq_unsupported(c, n, "only by a scalar constant");
}

/*
 * QuantizeLinear or DequantizeLinear of an activation: the int8 bytes
 * already are the quantized tensor (quantize.c gave both sides the QDQ's
 * parameters), so the output names the input's model tensor; when the
 * two sides differ (a tensor quantized twice), a table requantizes.
 */
static int vq_qdq(struct vq_ctx *c, const struct vis_node *n)
{
	const struct calib_qparams *qi = &c->qp[n->inputs[0]];
	const struct calib_qparams *qo = &c->qp[n->outputs[0]];
	uint32_t in;
	int ret;

	ret = vq_in(c, n, 0, &in);
	if (ret)
		return ret;
	if (n->act != VIS_ACT_NONE || qi->scale != qo->scale ||
	    qi->zero_point != qo->zero_point)
		return vq_lut(c, n, 0, NULL);
	c->id[n->outputs[0]] = in;
	return 0;
}

int vq_lower_node(struct vq_ctx *c, int ni)
{
	const struct vis_node *n = &c->g->nodes[ni];

	switch (n->op) {
	case VIS_OP_CONV:
		return vq_conv(c, n);
	case VIS_OP_FC:
		return vq_fc(c, n);
	case VIS_OP_MAXPOOL:
	case VIS_OP_AVGPOOL:
	case VIS_OP_GLOBAL_AVGPOOL:
		return vq_pool(c, n);
	case VIS_OP_ADD:
	case VIS_OP_SUB:
	case VIS_OP_MUL:
	case VIS_OP_DIV:
		return vq_arith(c, n);
	case VIS_OP_CONCAT:
		return vq_concat(c, n);
	case VIS_OP_PAD:
		return vq_pad(c, n);
	case VIS_OP_RESIZE:
		return vq_resize(c, n);
	case VIS_OP_SOFTMAX:
		return vq_softmax(c, n);
	case VIS_OP_RESHAPE:
	case VIS_OP_IDENTITY:
		return vq_view(c, n);
	case VIS_OP_QUANTIZE:
	case VIS_OP_DEQUANTIZE:
		return vq_qdq(c, n);
	case VIS_OP_RELU:
	case VIS_OP_CLIP:
	case VIS_OP_LEAKY_RELU:
	case VIS_OP_SIGMOID:
	case VIS_OP_HARD_SIGMOID:
	case VIS_OP_HARD_SWISH:
	case VIS_OP_TANH:
		return vq_lut(c, n, 0, NULL);
	default:
		return vq_unsupported(c, n, "no int8 lowering");
	}
}
