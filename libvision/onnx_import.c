// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * ONNX ModelProto -> float graph IR, with shape inference and eager
 * constant evaluation; see onnx_import.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "float_interp.h"
#include "onnx.pb-c.h"
#include "onnx_import.h"

/* Largest model file read (protobuf itself stops at 2 GiB). */
#define MAX_FILE_SIZE (1ll << 30)

struct imp {
	struct vis_graph *g;
	const struct vis_onnx_const *consts;
	int nconsts;
	struct vis_error *err;
	int opset;
	/* The node being imported, for messages. */
	const Onnx__NodeProto *np;
	char where[160];
};

/* ---- messages ---------------------------------------------------------------- */

static void set_where(struct imp *im, const Onnx__NodeProto *np, int idx)
{
	im->np = np;
	if (np->name && *np->name)
		snprintf(im->where, sizeof(im->where), "node '%s' (%s)",
			 np->name, np->op_type ? np->op_type : "?");
	else
		snprintf(im->where, sizeof(im->where), "node #%d (%s)", idx,
			 np->op_type ? np->op_type : "?");
}

#define node_err(im, errnum, fmt, ...) \
	vis_errorf((im)->err, errnum, "%s: " fmt, (im)->where, ##__VA_ARGS__)

/* ---- attributes -------------------------------------------------------------- */

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *np,
					const char *name)
{
	size_t i;

	for (i = 0; i < np->n_attribute; i++)
		if (np->attribute[i]->name &&
		    !strcmp(np->attribute[i]->name, name))
			return np->attribute[i];
	return NULL;
}

static int64_t attr_int(const Onnx__NodeProto *np, const char *name,
			int64_t def)
{
	const Onnx__AttributeProto *a = attr(np, name);

	return a && a->has_i ? a->i : def;
}

static float attr_float(const Onnx__NodeProto *np, const char *name, float def)
{
	const Onnx__AttributeProto *a = attr(np, name);

	return a && a->has_f ? a->f : def;
}

/* String attribute compared to @val; @def when absent. */
static bool attr_str_is(const Onnx__NodeProto *np, const char *name,
			const char *val, bool def)
{
	const Onnx__AttributeProto *a = attr(np, name);
	size_t n = strlen(val);

	if (!a || !a->has_s)
		return def;
	return a->s.len == n && !memcmp(a->s.data, val, n);
}

static void attr_str(const Onnx__NodeProto *np, const char *name, char *buf,
		     size_t len, const char *def)
{
	const Onnx__AttributeProto *a = attr(np, name);
	size_t n;

	if (!a || !a->has_s) {
		snprintf(buf, len, "%s", def);
		return;
	}
	n = a->s.len < len - 1 ? a->s.len : len - 1;
	memcpy(buf, a->s.data, n);
	buf[n] = 0;
}

/* Integer list attribute: count or -1 when absent, -E2BIG when too long. */
static int attr_ints(const Onnx__NodeProto *np, const char *name, int64_t *out,
		     int max)
{
	const Onnx__AttributeProto *a = attr(np, name);

	if (!a)
		return -1;
	if (a->n_ints > (size_t)max)
		return -E2BIG;
	if (a->n_ints)
		memcpy(out, a->ints, sizeof(int64_t) * a->n_ints);
	return (int)a->n_ints;
}

/* ---- tensors ------------------------------------------------------------------- */

static int dtype_from_onnx(int32_t t)
{
	switch (t) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
		return VIS_DT_FLOAT;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
		return VIS_DT_INT64;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
		return VIS_DT_INT32;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
		return VIS_DT_INT8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
		return VIS_DT_UINT8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
		return VIS_DT_BOOL;
	default:
		return -1;
	}
}

static size_t raw_elem_size(int32_t t)
{
	switch (t) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
		return 8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
		return 4;
	default:
		return 1;
	}
}

/* Element count of @dims, or -1 when negative or above the limit. */
static int64_t checked_numel(int rank, const int64_t *dims)
{
	int64_t n = 1;
	int i;

	for (i = 0; i < rank; i++) {
		if (dims[i] < 0)
			return -1;
		if (dims[i] && n > VIS_ONNX_MAX_ELEMS / dims[i])
			return -1;
		n *= dims[i];
	}
	return n;
}

/*
 * Decode a TensorProto's values into floats (@t->dtype, rank, dims set
 * from it). @what names it in messages.
 */
static int tensor_values(const Onnx__TensorProto *tp, struct vis_tensor *t,
			 const char *what, struct vis_error *err)
{
	int64_t n, i;
	size_t have, es;
	const uint8_t *raw;
	float *d;
	int dt;

	if ((tp->has_data_location &&
	     tp->data_location ==
		     ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
	    tp->n_external_data)
		return vis_errorf(
			err, ENOTSUP,
			"%s: tensor data stored outside the model file (external data) is not supported",
			what);
	if (tp->segment)
		return vis_errorf(err, ENOTSUP, "%s: segmented tensor", what);
	dt = dtype_from_onnx(tp->data_type);
	if (dt < 0)
		return vis_errorf(err, ENOTSUP,
				  "%s: tensor element type %d not supported",
				  what, (int)tp->data_type);
	if (tp->n_dims > VIS_MAX_RANK)
		return vis_errorf(err, ENOTSUP, "%s: rank %zu above %d", what,
				  tp->n_dims, VIS_MAX_RANK);
	t->dtype = dt;
	t->rank = (int)tp->n_dims;
	if (tp->n_dims)
		memcpy(t->dims, tp->dims, sizeof(int64_t) * tp->n_dims);
	n = checked_numel(t->rank, t->dims);
	if (n < 0)
		return vis_errorf(err, EINVAL,
				  "%s: negative or too large dimensions", what);
	d = calloc(n ? n : 1, sizeof(float));
	if (!d)
		return vis_errorf(err, ENOMEM, "out of memory");
	es = raw_elem_size(tp->data_type);
	raw = tp->raw_data.data;
	if (tp->has_raw_data && (tp->raw_data.len || n)) {
		if (tp->raw_data.len != (size_t)n * es)
			goto size_mismatch;
		for (i = 0; i < n; i++) {
			const uint8_t *p = raw + i * es;
			float f;
			double dd;
			int64_t l;
			int32_t w;

			switch (tp->data_type) {
			case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
				memcpy(&f, p, 4);
				d[i] = f;
				break;
			case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
				memcpy(&dd, p, 8);
				d[i] = (float)dd;
				break;
			case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
				memcpy(&l, p, 8);
				d[i] = (float)l;
				break;
			case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
				memcpy(&w, p, 4);
				d[i] = (float)w;
				break;
			case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
				d[i] = (int8_t)*p;
				break;
			default:
				d[i] = *p;
				break;
			}
		}
	} else {
		switch (tp->data_type) {
		case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
			have = tp->n_float_data;
			break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
			have = tp->n_double_data;
			break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
			have = tp->n_int64_data;
			break;
		default:
			have = tp->n_int32_data;
			break;
		}
		if (have != (size_t)n)
			goto size_mismatch;
		for (i = 0; i < n; i++) {
			switch (tp->data_type) {
			case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
				d[i] = tp->float_data[i];
				break;
			case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
				d[i] = (float)tp->double_data[i];
				break;
			case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
				d[i] = (float)tp->int64_data[i];
				break;
			case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
				d[i] = (int8_t)tp->int32_data[i];
				break;
			case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
				d[i] = (uint8_t)tp->int32_data[i];
				break;
			case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
				d[i] = tp->int32_data[i] != 0;
				break;
			default:
				d[i] = (float)tp->int32_data[i];
				break;
			}
		}
	}
	vis_tensor_set_data(t, d);
	return 0;
size_mismatch:
	free(d);
	return vis_errorf(
		err, EINVAL,
		"%s: data size does not match its shape (%lld elements)", what,
		(long long)n);
}

/* Add a constant tensor from a TensorProto under @name. */
static int add_const(struct imp *im, const Onnx__TensorProto *tp,
		     const char *name, const char *what)
{
	struct vis_tensor tmp = { 0 };
	int id, ret;

	ret = tensor_values(tp, &tmp, what, im->err);
	if (ret)
		return ret;
	id = vis_graph_add_tensor(im->g, name, tmp.dtype, tmp.rank, tmp.dims);
	if (id < 0) {
		free(tmp.data);
		return id == -EEXIST ?
			       vis_errorf(im->err, EINVAL,
					  "%s: tensor name '%s' defined twice",
					  what, name) :
			       vis_errorf(im->err, -id, "out of memory");
	}
	im->g->tensors[id].data = tmp.data;
	return id;
}

/* ---- node helpers ------------------------------------------------------------ */

/* Tensor id of input @i, -1 when omitted (absent or empty name). */
static int in_id(struct imp *im, int i)
{
	const Onnx__NodeProto *np = im->np;

	if ((size_t)i >= np->n_input || !np->input[i] || !*np->input[i])
		return -1;
	return vis_graph_find_tensor(im->g, np->input[i]);
}

static struct vis_tensor *in_tensor(struct imp *im, int i)
{
	int id = in_id(im, i);

	return id >= 0 ? &im->g->tensors[id] : NULL;
}

/* Input @i as a constant; NULL with a message when it is not one. */
static struct vis_tensor *need_const(struct imp *im, int i, const char *what,
				     int *ret)
{
	struct vis_tensor *t = in_tensor(im, i);

	if (!t) {
		*ret = node_err(im, EINVAL, "input %d (%s) missing", i, what);
		return NULL;
	}
	if (!t->data) {
		*ret = node_err(im, ENOTSUP,
				"input '%s' (%s) must be a constant", t->name,
				what);
		return NULL;
	}
	return t;
}

static int new_node(struct imp *im, int op)
{
	int id = vis_graph_add_node(im->g, im->np->name, op);

	if (id < 0)
		return vis_errorf(im->err, ENOMEM, "out of memory");
	return id;
}

/* Create output @i of node @nid. */
static int add_output(struct imp *im, int nid, int i, int dtype, int rank,
		      const int64_t *dims)
{
	const Onnx__NodeProto *np = im->np;
	struct vis_node *n;
	int64_t cnt = checked_numel(rank, dims);
	int id;

	if ((size_t)i >= np->n_output || !np->output[i] || !*np->output[i])
		return node_err(im, EINVAL, "output %d has no name", i);
	if (cnt < 0)
		return node_err(
			im, EINVAL,
			"output '%s' has negative or too large dimensions",
			np->output[i]);
	id = vis_graph_add_tensor(im->g, np->output[i], dtype, rank, dims);
	if (id == -EEXIST)
		return node_err(im, EINVAL, "tensor '%s' is written twice",
				np->output[i]);
	if (id < 0)
		return node_err(im, -id, "cannot add tensor");
	n = &im->g->nodes[nid];
	n->outputs[i] = id;
	if (n->noutputs < i + 1)
		n->noutputs = i + 1;
	im->g->tensors[id].producer = nid;
	return id;
}

/* Connect the ONNX inputs [0, count) to node @nid. */
static int wire_inputs(struct imp *im, int nid, int count)
{
	struct vis_node *n = &im->g->nodes[nid];
	int i;

	if (count > VIS_MAX_NODE_INPUTS)
		return node_err(im, ENOTSUP, "more than %d inputs",
				VIS_MAX_NODE_INPUTS);
	for (i = 0; i < count; i++)
		n->inputs[i] = in_id(im, i);
	n->ninputs = count;
	return 0;
}

static int norm_axis(struct imp *im, int64_t axis, int rank, int64_t *out)
{
	*out = 0;
	if (axis < -rank || axis >= rank)
		return node_err(im, EINVAL,
				"axis %lld out of range for rank %d",
				(long long)axis, rank);
	*out = axis < 0 ? axis + rank : axis;
	return 0;
}

static int bcast_shape(struct imp *im, const struct vis_tensor *a,
		       const struct vis_tensor *b, int *rank, int64_t *dims)
{
	int r = a->rank > b->rank ? a->rank : b->rank, i;

	for (i = 0; i < r; i++) {
		int ia = i - (r - a->rank), ib = i - (r - b->rank);
		int64_t da = ia >= 0 ? a->dims[ia] : 1;
		int64_t db = ib >= 0 ? b->dims[ib] : 1;

		if (da != db && da != 1 && db != 1)
			return node_err(
				im, EINVAL,
				"shapes of '%s' and '%s' do not broadcast (dim %lld vs %lld)",
				a->name, b->name, (long long)da, (long long)db);
		dims[i] = da == 1 ? db : da;
	}
	*rank = r;
	return 0;
}

/* ---- operators ---------------------------------------------------------------- */

/*
 * Window geometry shared by Conv and the pools: fills kernel, strides,
 * dilations, pads of @n for spatial rank @sr (1 or 2) and the output
 * spatial dims.
 */
static int window(struct imp *im, struct vis_node *n, const int64_t *in_sp,
		  int sr, bool ceil_mode, int64_t *out_sp)
{
	const Onnx__NodeProto *np = im->np;
	int64_t k[2], s[2] = { 1, 1 }, d[2] = { 1, 1 }, p[4] = { 0 };
	char ap[32];
	int i, cnt;

	if (attr_ints(np, "kernel_shape", k, 2) != sr)
		return node_err(im, EINVAL, "kernel_shape needs %d values", sr);
	cnt = attr_ints(np, "strides", s, 2);
	if (cnt >= 0 && cnt != sr)
		return node_err(im, EINVAL, "strides need %d values", sr);
	cnt = attr_ints(np, "dilations", d, 2);
	if (cnt >= 0 && cnt != sr)
		return node_err(im, EINVAL, "dilations need %d values", sr);
	cnt = attr_ints(np, "pads", p, 4);
	if (cnt >= 0 && cnt != 2 * sr)
		return node_err(im, EINVAL, "pads need %d values", 2 * sr);
	attr_str(np, "auto_pad", ap, sizeof(ap), "NOTSET");
	for (i = 0; i < sr; i++) {
		int64_t ek, in = in_sp[i], tot;

		if (k[i] < 1 || s[i] < 1 || d[i] < 1 || k[i] > 1 << 16 ||
		    s[i] > 1 << 16 || d[i] > 1 << 16 || p[i] < 0 ||
		    p[i + sr] < 0 || p[i] > 1 << 16 || p[i + sr] > 1 << 16)
			return node_err(im, EINVAL,
					"bad kernel, stride, dilation or pads");
		ek = (k[i] - 1) * d[i] + 1;
		if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
			out_sp[i] = (in + s[i] - 1) / s[i];
			tot = (out_sp[i] - 1) * s[i] + ek - in;
			if (tot < 0)
				tot = 0;
			p[i] = !strcmp(ap, "SAME_UPPER") ? tot / 2 :
							   tot - tot / 2;
			p[i + sr] = tot - p[i];
			continue;
		}
		if (!strcmp(ap, "VALID")) {
			p[i] = p[i + sr] = 0;
		} else if (strcmp(ap, "NOTSET")) {
			return node_err(im, EINVAL, "auto_pad '%s' unknown",
					ap);
		}
		tot = in + p[i] + p[i + sr] - ek;
		if (tot < 0)
			return node_err(
				im, EINVAL,
				"window of %lld larger than the padded input %lld",
				(long long)ek,
				(long long)(in + p[i] + p[i + sr]));
		out_sp[i] =
			(ceil_mode ? (tot + s[i] - 1) / s[i] : tot / s[i]) + 1;
		/* The last window must start inside the input or left pad. */
		if (ceil_mode && (out_sp[i] - 1) * s[i] >= in + p[i])
			out_sp[i]--;
	}
	/* 1-D is 2-D with a height of 1. */
	if (sr == 1) {
		n->attrs.kernel[0] = 1;
		n->attrs.strides[0] = 1;
		n->attrs.dilations[0] = 1;
		n->attrs.kernel[1] = k[0];
		n->attrs.strides[1] = s[0];
		n->attrs.dilations[1] = d[0];
		n->attrs.pads[0] = n->attrs.pads[2] = 0;
		n->attrs.pads[1] = p[0];
		n->attrs.pads[3] = p[1];
	} else {
		memcpy(n->attrs.kernel, k, sizeof(k));
		memcpy(n->attrs.strides, s, sizeof(s));
		memcpy(n->attrs.dilations, d, sizeof(d));
		n->attrs.pads[0] = p[0];
		n->attrs.pads[1] = p[1];
		n->attrs.pads[2] = p[2];
		n->attrs.pads[3] = p[3];
	}
	return 0;
}

static int imp_conv(struct imp *im)
{
	struct vis_tensor *x = in_tensor(im, 0), *w = in_tensor(im, 1);
	struct vis_tensor *b = in_tensor(im, 2);
	const Onnx__NodeProto *np = im->np;
	int64_t dims[4], ks[2], sp[2], osp[2];
	struct vis_node *n;
	int nid, sr, i, ret, cnt;

	if (!x || !w)
		return node_err(im, EINVAL, "needs X and W");
	sr = x->rank - 2;
	if ((sr != 1 && sr != 2) || w->rank != x->rank)
		return node_err(
			im, ENOTSUP,
			"only 1-D and 2-D convolutions (X rank %d, W rank %d)",
			x->rank, w->rank);
	nid = new_node(im, VIS_OP_CONV);
	if (nid < 0)
		return nid;
	n = &im->g->nodes[nid];
	n->attrs.group = attr_int(np, "group", 1);
	if (n->attrs.group < 1 || n->attrs.group > x->dims[1] ||
	    x->dims[1] % n->attrs.group || w->dims[0] % n->attrs.group ||
	    w->dims[1] * n->attrs.group != x->dims[1])
		return node_err(
			im, EINVAL,
			"channels do not match: X has %lld, W is %lldx%lld, group %lld",
			(long long)x->dims[1], (long long)w->dims[0],
			(long long)w->dims[1], (long long)n->attrs.group);
	if (b && (b->rank != 1 || b->dims[0] != w->dims[0]))
		return node_err(im, EINVAL, "bias must have %lld values",
				(long long)w->dims[0]);
	/* kernel_shape may be omitted: it is W's. */
	cnt = attr_ints(np, "kernel_shape", ks, 2);
	for (i = 0; i < sr; i++) {
		if (cnt >= 0 && ks[i] != w->dims[2 + i])
			return node_err(im, EINVAL,
					"kernel_shape does not match W");
		sp[i] = x->dims[2 + i];
	}
	if (cnt < 0) {
		Onnx__AttributeProto ka = ONNX__ATTRIBUTE_PROTO__INIT;
		Onnx__AttributeProto **old = np->attribute, **tmp;
		Onnx__NodeProto cp = *np;

		/* Window geometry reads kernel_shape: lend it one. */
		tmp = malloc(sizeof(*tmp) * (np->n_attribute + 1));
		if (!tmp)
			return vis_errorf(im->err, ENOMEM, "out of memory");
		memcpy(tmp, old, sizeof(*tmp) * np->n_attribute);
		ka.name = (char *)"kernel_shape";
		ka.n_ints = sr;
		ka.ints = &w->dims[2];
		tmp[np->n_attribute] = &ka;
		cp.attribute = tmp;
		cp.n_attribute++;
		im->np = &cp;
		ret = window(im, n, sp, sr, false, osp);
		im->np = np;
		free(tmp);
	} else {
		ret = window(im, n, sp, sr, false, osp);
	}
	if (ret)
		return ret;
	n->attrs.layout = VIS_LAYOUT_NCHW;
	dims[0] = x->dims[0];
	dims[1] = w->dims[0];
	for (i = 0; i < sr; i++)
		dims[2 + i] = osp[i];
	ret = wire_inputs(im, nid, b ? 3 : 2);
	if (ret)
		return ret;
	ret = add_output(im, nid, 0, VIS_DT_FLOAT, x->rank, dims);
	if (ret < 0)
		return ret;
	im->g->tensors[ret].layout = VIS_LAYOUT_NCHW;
	return 0;
}

static int imp_pool(struct imp *im, int op)
{
	struct vis_tensor *x = in_tensor(im, 0);
	const Onnx__NodeProto *np = im->np;
	int64_t dims[VIS_MAX_RANK], sp[2], osp[2];
	struct vis_node *n;
	int nid, sr, i, ret;
	bool ceil_mode;

	if (!x)
		return node_err(im, EINVAL, "needs an input");
	sr = x->rank - 2;
	if (np->n_output > 1)
		return node_err(im, ENOTSUP,
				"the Indices output is not supported");
	if (op == VIS_OP_GLOBAL_AVGPOOL) {
		if (x->rank < 3)
			return node_err(im, EINVAL, "input rank %d below 3",
					x->rank);
		nid = new_node(im, op);
		if (nid < 0)
			return nid;
		im->g->nodes[nid].attrs.layout = VIS_LAYOUT_NCHW;
		memcpy(dims, x->dims, sizeof(int64_t) * x->rank);
		for (i = 2; i < x->rank; i++)
			dims[i] = 1;
		ret = wire_inputs(im, nid, 1);
		if (!ret)
			ret = add_output(im, nid, 0, x->dtype, x->rank, dims);
		return ret < 0 ? ret : 0;
	}
	if (sr != 1 && sr != 2)
		return node_err(im, ENOTSUP,
				"only 1-D and 2-D pooling (rank %d)", x->rank);
	nid = new_node(im, op);
	if (nid < 0)
		return nid;
	n = &im->g->nodes[nid];
	ceil_mode = attr_int(np, "ceil_mode", 0) != 0;
	n->attrs.count_include_pad = attr_int(np, "count_include_pad", 0) != 0;
	if (op == VIS_OP_AVGPOOL && attr(np, "dilations")) {
		int64_t dl[2] = { 1, 1 };

		attr_ints(np, "dilations", dl, 2);
		if (dl[0] != 1 || (sr == 2 && dl[1] != 1))
			return node_err(im, ENOTSUP, "dilated average pooling");
	}
	for (i = 0; i < sr; i++)
		sp[i] = x->dims[2 + i];
	ret = window(im, n, sp, sr, ceil_mode, osp);
	if (ret)
		return ret;
	n->attrs.layout = VIS_LAYOUT_NCHW;
	if (op == VIS_OP_MAXPOOL || !n->attrs.count_include_pad) {
		/* ceil_mode's overhang as explicit padding: padded positions
		 * are left out of these windows anyway. */
		for (i = 0; i < 2; i++) {
			int64_t in = i == 0 ? (sr == 2 ? sp[0] : 1) :
					      sp[sr - 1];
			int64_t o = i == 0 ? (sr == 2 ? osp[0] : 1) :
					     osp[sr - 1];
			int64_t need = (o - 1) * n->attrs.strides[i] +
				       (n->attrs.kernel[i] - 1) *
					       n->attrs.dilations[i] +
				       1 - in - n->attrs.pads[i];

			if (need > n->attrs.pads[2 + i])
				n->attrs.pads[2 + i] = need;
		}
	}
	memcpy(dims, x->dims, sizeof(int64_t) * 2);
	for (i = 0; i < sr; i++)
		dims[2 + i] = osp[i];
	ret = wire_inputs(im, nid, 1);
	if (ret)
		return ret;
	ret = add_output(im, nid, 0, x->dtype, x->rank, dims);
	return ret < 0 ? ret : 0;
}

static int imp_gemm(struct imp *im)
{
	struct vis_tensor *a = in_tensor(im, 0), *b = in_tensor(im, 1);
	struct vis_tensor *c = in_tensor(im, 2);
	const Onnx__NodeProto *np = im->np;
	struct vis_node *n;
	int64_t dims[2], k1, k2;
	int nid, ret;

	if (!a || !b || a->rank != 2 || b->rank != 2)
		return node_err(im, EINVAL, "A and B must be matrices");
	nid = new_node(im, VIS_OP_GEMM);
	if (nid < 0)
		return nid;
	n = &im->g->nodes[nid];
	n->attrs.alpha = attr_float(np, "alpha", 1.0f);
	n->attrs.beta = attr_float(np, "beta", 1.0f);
	n->attrs.trans_a = attr_int(np, "transA", 0) != 0;
	n->attrs.trans_b = attr_int(np, "transB", 0) != 0;
	dims[0] = a->dims[n->attrs.trans_a ? 1 : 0];
	k1 = a->dims[n->attrs.trans_a ? 0 : 1];
	k2 = b->dims[n->attrs.trans_b ? 1 : 0];
	dims[1] = b->dims[n->attrs.trans_b ? 0 : 1];
	if (k1 != k2)
		return node_err(im, EINVAL,
				"inner dimensions differ: %lld vs %lld",
				(long long)k1, (long long)k2);
	if (c) {
		int64_t cm = c->rank == 2 ? c->dims[0] : 1;
		int64_t cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;

		if (c->rank > 2 || (cm != 1 && cm != dims[0]) ||
		    (cn != 1 && cn != dims[1]))
			return node_err(im, EINVAL,
					"C does not broadcast to [%lld,%lld]",
					(long long)dims[0], (long long)dims[1]);
	}
	ret = wire_inputs(im, nid, c ? 3 : 2);
	if (ret)
		return ret;
	ret = add_output(im, nid, 0, VIS_DT_FLOAT, 2, dims);
	return ret < 0 ? ret : 0;
}

static int imp_matmul(struct imp *im)
{
	struct vis_tensor *a = in_tensor(im, 0), *b = in_tensor(im, 1);
	struct vis_tensor ab = { 0 }, bb = { 0 };
	int64_t dims[VIS_MAX_RANK];
	int nid, ret, r = 0, i;

	if (!a || !b || a->rank < 1 || b->rank < 1)
		return node_err(im, EINVAL, "needs two inputs of rank >= 1");
	if (a->dims[a->rank - 1] != b->dims[b->rank >= 2 ? b->rank - 2 : 0])
		return node_err(im, EINVAL, "inner dimensions differ");
	ab.rank = a->rank > 2 ? a->rank - 2 : 0;
	memcpy(ab.dims, a->dims, sizeof(int64_t) * ab.rank);
	bb.rank = b->rank > 2 ? b->rank - 2 : 0;
	memcpy(bb.dims, b->dims, sizeof(int64_t) * bb.rank);
	ab.name = a->name;
	bb.name = b->name;
	ret = bcast_shape(im, &ab, &bb, &r, dims);
	if (ret)
		return ret;
	if (a->rank >= 2)
		dims[r++] = a->dims[a->rank - 2];
	if (b->rank >= 2)
		dims[r++] = b->dims[b->rank - 1];
	if (r > VIS_MAX_RANK)
		return node_err(im, ENOTSUP, "rank too high");
	nid = new_node(im, VIS_OP_MATMUL);
	if (nid < 0)
		return nid;
	ret = wire_inputs(im, nid, 2);
	if (ret)
		return ret;
	(void)i;
	ret = add_output(im, nid, 0, VIS_DT_FLOAT, r, dims);
	return ret < 0 ? ret : 0;
}

static int imp_batchnorm(struct imp *im)
{
	struct vis_tensor *x = in_tensor(im, 0);
	int nid, i, ret;

	if (im->np->n_output > 1 || attr_int(im->np, "training_mode", 0))
		return node_err(im, ENOTSUP, "training mode is not supported");
	if (!x || x->rank < 2 || im->np->n_input != 5)
		return node_err(im, EINVAL, "needs X, scale, B, mean, var");
	for (i = 1; i < 5; i++) {
		struct vis_tensor *p = in_tensor(im, i);

		if (!p || p->rank != 1 || p->dims[0] != x->dims[1])
			return node_err(im, EINVAL,
					"parameter %d must have %lld values", i,
					(long long)x->dims[1]);
	}
	nid = new_node(im, VIS_OP_BATCHNORM);
	if (nid < 0)
		return nid;
	im->g->nodes[nid].attrs.epsilon = attr_float(im->np, "epsilon", 1e-5f);
	im->g->nodes[nid].attrs.layout = VIS_LAYOUT_NCHW;
	ret = wire_inputs(im, nid, 5);
	if (ret)
		return ret;
	ret = add_output(im, nid, 0, x->dtype, x->rank, x->dims);
	return ret < 0 ? ret : 0;
}

/* Element-wise one-input operators (and Identity/Dropout/Cast). */
static int imp_unary(struct imp *im, int op)
{
	const Onnx__NodeProto *np = im->np;
	struct vis_tensor *x = in_tensor(im, 0), *c, xc;
	struct vis_node *n;
	int nid, ret, i, dtype;

	if (!x)
		return node_err(im, EINVAL, "needs an input");
	dtype = x->dtype;
	nid = new_node(im, op);
	if (nid < 0)
		return nid;
	n = &im->g->nodes[nid];
	switch (op) {
	case VIS_OP_LEAKY_RELU:
		n->attrs.alpha = attr_float(np, "alpha", 0.01f);
		break;
	case VIS_OP_HARD_SIGMOID:
		n->attrs.alpha = attr_float(np, "alpha", 0.2f);
		n->attrs.beta = attr_float(np, "beta", 0.5f);
		break;
	case VIS_OP_CLIP:
		n->attrs.alpha = -INFINITY;
		n->attrs.beta = INFINITY;
		if (im->opset < 11) {
			n->attrs.alpha = attr_float(np, "min", -INFINITY);
			n->attrs.beta = attr_float(np, "max", INFINITY);
			break;
		}
		for (i = 1; i <= 2; i++) {
			if (in_id(im, i) < 0)
				continue;
			c = need_const(im, i, i == 1 ? "min" : "max", &ret);
			if (!c)
				return ret;
			if (vis_tensor_numel(c) != 1)
				return node_err(im, EINVAL,
						"min and max must be scalars");
			if (i == 1)
				n->attrs.alpha = c->data[0];
			else
				n->attrs.beta = c->data[0];
		}
		break;
	case VIS_OP_CAST:
		dtype = dtype_from_onnx((int32_t)attr_int(np, "to", 0));
		if (dtype < 0)
			return node_err(
				im, ENOTSUP,
				"cast to element type %lld not supported",
				(long long)attr_int(np, "to", 0));
		n->attrs.to = dtype;
		break;
	case VIS_OP_IDENTITY:
		/* Dropout: inference only. */
		if (!strcmp(np->op_type, "Dropout")) {
			struct vis_tensor *tm = in_tensor(im, 2);

			if (tm && (!tm->data || tm->data[0] != 0))
				return node_err(
					im, ENOTSUP,
					"training_mode must be a constant false");
			if (attr_int(np, "is_test", 1) == 0 && im->opset < 7)
				return node_err(im, ENOTSUP, "training mode");
		}
		break;
	default:
		break;
	}
	n->inputs[0] = in_id(im, 0);
	n->ninputs = 1;
	/* Adding outputs moves the tensor array: x is a copy from here. */
	xc = *x;
	ret = add_output(im, nid, 0, dtype, xc.rank, xc.dims);
	if (ret < 0)
		return ret;
	im->g->tensors[ret].layout = xc.layout;
	if (op == VIS_OP_IDENTITY && np->n_output > 1 && np->output[1] &&
	    *np->output[1]) {
		ret = add_output(im, nid, 1, VIS_DT_BOOL, xc.rank, xc.dims);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int imp_binary(struct imp *im, int op)
{
	struct vis_tensor *a = in_tensor(im, 0), *b = in_tensor(im, 1);
	int64_t dims[VIS_MAX_RANK];
	int nid, ret, r, layout;

	if (!a || !b)
		return node_err(im, EINVAL, "needs two inputs");
	ret = bcast_shape(im, a, b, &r, dims);
	if (ret)
		return ret;
	nid = new_node(im, op);
	if (nid < 0)
		return nid;
	ret = wire_inputs(im, nid, 2);
	if (ret)
		return ret;
	layout = a->layout ? a->layout : b->layout;
	ret = add_output(im, nid, 0, a->dtype, r, dims);
	if (ret < 0)
		return ret;
	im->g->tensors[ret].layout = layout;
	return 0;
}

/* Flatten, Reshape, Squeeze, Unsqueeze: a RESHAPE to a known shape. */
static int add_reshape(struct imp *im, const struct vis_tensor *x, int rank,
		       const int64_t *dims)
{
	int64_t a = checked_numel(rank, dims);
	int nid, ret;

	if (a < 0 || a != vis_tensor_numel(x))
		return node_err(
			im, EINVAL,
			"cannot reshape '%s' of %lld elements into %lld",
			x->name, (long long)vis_tensor_numel(x), (long long)a);
	nid = new_node(im, VIS_OP_RESHAPE);
	if (nid < 0)
		return nid;
	im->g->nodes[nid].inputs[0] = in_id(im, 0);
	im->g->nodes[nid].ninputs = 1;
	ret = add_output(im, nid, 0, x->dtype, rank, dims);
	return ret < 0 ? ret : 0;
}

static int imp_flatten(struct imp *im)
{
	struct vis_tensor *x = in_tensor(im, 0);
	int64_t axis, dims[2] = { 1, 1 };
	int i;

	if (!x)
		return node_err(im, EINVAL, "needs an input");
	axis = attr_int(im->np, "axis", 1);
	if (axis < -x->rank || axis > x->rank)
		return node_err(im, EINVAL, "axis %lld out of range",
				(long long)axis);
	if (axis < 0)
		axis += x->rank;
	for (i = 0; i < x->rank; i++)
		dims[i >= axis] *= x->dims[i];
	return add_reshape(im, x, 2, dims);
}

static int imp_reshape(struct imp *im)
{
	struct vis_tensor *x = in_tensor(im, 0), *s;
	int64_t dims[VIS_MAX_RANK], known = 1, total;
	int i, infer = -1, ret, r;
	bool allowzero = attr_int(im->np, "allowzero", 0) != 0;

	if (!x)
		return node_err(im, EINVAL, "needs an input");
	s = need_const(im, 1, "shape", &ret);
	if (!s)
		return ret;
	r = (int)vis_tensor_numel(s);
	if (s->rank != 1 || r > VIS_MAX_RANK)
		return node_err(im, EINVAL,
				"shape must be a vector of at most %d",
				VIS_MAX_RANK);
	for (i = 0; i < r; i++) {
		dims[i] = vis_f2i(s->data[i]);
		if (dims[i] == 0 && !allowzero) {
			if (i >= x->rank)
				return node_err(
					im, EINVAL,
					"shape copies dim %d of a rank-%d input",
					i, x->rank);
			dims[i] = x->dims[i];
		}
		if (dims[i] == -1) {
			if (infer >= 0)
				return node_err(im, EINVAL, "two -1 in shape");
			infer = i;
			continue;
		}
		if (dims[i] < 0)
			return node_err(im, EINVAL, "negative dimension %lld",
					(long long)dims[i]);
		if (dims[i] && known > VIS_ONNX_MAX_ELEMS / dims[i])
			return node_err(im, EINVAL, "shape too large");
		known *= dims[i];
	}
	total = vis_tensor_numel(x);
	if (infer >= 0) {
		if (!known || total % known)
			return node_err(
				im, EINVAL,
				"cannot infer -1: %lld elements into %lld",
				(long long)total, (long long)known);
		dims[infer] = total / known;
	}
	return add_reshape(im, x, r, dims);
}

/* Axes from the attribute (opset < 13) or input 1; count or -errno. */
static int axes_of(struct imp *im, int64_t *axes, bool *given)
{
	struct vis_tensor *a;
	int i, n, ret;

	*given = true;
	if (im->opset < 13) {
		n = attr_ints(im->np, "axes", axes, VIS_MAX_RANK);
		if (n == -E2BIG)
			return node_err(im, EINVAL, "too many axes");
		if (n < 0) {
			*given = false;
			return 0;
		}
		return n;
	}
	if (in_id(im, 1) < 0) {
		*given = false;
		return 0;
	}
	a = need_const(im, 1, "axes", &ret);
	if (!a)
		return ret;
	n = (int)vis_tensor_numel(a);
	if (n > VIS_MAX_RANK)
		return node_err(im, EINVAL, "too many axes");
	for (i = 0; i < n; i++)
		axes[i] = vis_f2i(a->data[i]);
	return n;
}

static int imp_squeeze(struct imp *im, bool unsqueeze)
{
	struct vis_tensor *x = in_tensor(im, 0);
	int64_t axes[VIS_MAX_RANK], dims[VIS_MAX_RANK], ax;
	bool mark[VIS_MAX_RANK] = { false }, given;
	int n, i, j, r, ret;

	if (!x)
		return node_err(im, EINVAL, "needs an input");
	n = axes_of(im, axes, &given);
	if (n < 0)
		return n;
	if (unsqueeze) {
		if (!given)
			return node_err(im, EINVAL, "axes missing");
		r = x->rank + n;
		if (r > VIS_MAX_RANK)
			return node_err(im, ENOTSUP, "rank too high");
		for (i = 0; i < n; i++) {
			ret = norm_axis(im, axes[i], r, &ax);
			if (ret)
				return ret;
			if (mark[ax])
				return node_err(im, EINVAL, "axis repeated");
			mark[ax] = true;
		}
		for (i = 0, j = 0; i < r; i++)
			dims[i] = mark[i] ? 1 : x->dims[j++];
		return add_reshape(im, x, r, dims);
	}
	for (i = 0; i < n; i++) {
		ret = norm_axis(im, axes[i], x->rank, &ax);
		if (ret)
			return ret;
		if (x->dims[ax] != 1)
			return node_err(im, EINVAL,
					"cannot squeeze axis %lld of size %lld",
					(long long)ax, (long long)x->dims[ax]);
		mark[ax] = true;
	}
	for (i = 0, r = 0; i < x->rank; i++)
		if (!(given ? mark[i] : x->dims[i] == 1))
			dims[r++] = x->dims[i];
	return add_reshape(im, x, r, dims);
}

static int imp_transpose(struct imp *im)
{
	struct vis_tensor *x = in_tensor(im, 0);
	int64_t perm[VIS_MAX_RANK], dims[VIS_MAX_RANK];
	bool seen[VIS_MAX_RANK] = { false };
	int nid, i, n, ret;

	if (!x)
		return node_err(im, EINVAL, "needs an input");
	n = attr_ints(im->np, "perm", perm, VIS_MAX_RANK);
	if (n < 0)
		for (i = 0, n = x->rank; i < n; i++)
			perm[i] = n - 1 - i;
	if (n != x->rank)
		return node_err(im, EINVAL, "perm has %d entries for rank %d",
				n, x->rank);
	for (i = 0; i < n; i++) {
		if (perm[i] < 0 || perm[i] >= n || seen[perm[i]])
			return node_err(im, EINVAL,
					"perm is not a permutation");
		seen[perm[i]] = true;
		dims[i] = x->dims[perm[i]];
	}
	nid = new_node(im, VIS_OP_TRANSPOSE);
	if (nid < 0)
		return nid;
	memcpy(im->g->nodes[nid].attrs.perm, perm, sizeof(int64_t) * n);
	ret = wire_inputs(im, nid, 1);
	if (ret)
		return ret;
	ret = add_output(im, nid, 0, x->dtype, n, dims);
	return ret < 0 ? ret : 0;
}

static int imp_concat(struct imp *im)
{
	struct vis_tensor *x = in_tensor(im, 0), *y;
	int64_t axis, dims[VIS_MAX_RANK];
	int nid, i, d, ret, cnt = (int)im->np->n_input;

	if (!x || !attr(im->np, "axis"))
		return node_err(im, EINVAL, "needs inputs and an axis");
	ret = norm_axis(im, attr_int(im->np, "axis", 0), x->rank, &axis);
	if (ret)
		return ret;
	memcpy(dims, x->dims, sizeof(dims));
	dims[axis] = 0;
	for (i = 0; i < cnt; i++) {
		y = in_tensor(im, i);
		if (!y)
			return node_err(im, EINVAL, "input %d missing", i);
		if (y->rank != x->rank)
			return node_err(im, EINVAL, "ranks differ");
		for (d = 0; d < x->rank; d++)
			if (d != axis && y->dims[d] != x->dims[d])
				return node_err(
					im, EINVAL,
					"'%s' and '%s' differ in dim %d (%lld vs %lld)",
					x->name, y->name, d,
					(long long)x->dims[d],
					(long long)y->dims[d]);
		dims[axis] += y->dims[axis];
	}
	nid = new_node(im, VIS_OP_CONCAT);
	if (nid < 0)
		return nid;
	im->g->nodes[nid].attrs.axis = axis;
	ret = wire_inputs(im, nid, cnt);
	if (ret)
		return ret;
	ret = add_output(im, nid, 0, x->dtype, x->rank, dims);
	return ret < 0 ? ret : 0;
}

static int imp_pad(struct imp *im)
{
	struct vis_tensor *x = in_tensor(im, 0), *p, *v, *ax;
	int64_t pads[2 * VIS_MAX_RANK], dims[VIS_MAX_RANK];
	int64_t axes[VIS_MAX_RANK];
	struct vis_node *n;
	char mode[16];
	int nid, i, np, nax, ret;

	if (!x)
		return node_err(im, EINVAL, "needs an input");
	attr_str(im->np, "mode", mode, sizeof(mode), "constant");
	if (strcmp(mode, "constant"))
		return node_err(im, ENOTSUP, "mode '%s' (only constant)", mode);
	nid = new_node(im, VIS_OP_PAD);
	if (nid < 0)
		return nid;
	n = &im->g->nodes[nid];
	nax = x->rank;
	for (i = 0; i < x->rank; i++)
		axes[i] = i;
	if (im->opset < 11) {
		np = attr_ints(im->np, "pads", pads, 2 * VIS_MAX_RANK);
		n->attrs.pad_value = attr_float(im->np, "value", 0);
	} else {
		p = need_const(im, 1, "pads", &ret);
		if (!p)
			return ret;
		np = (int)vis_tensor_numel(p);
		if (np > 2 * VIS_MAX_RANK)
			return node_err(im, EINVAL, "too many pads");
		for (i = 0; i < np; i++)
			pads[i] = vis_f2i(p->data[i]);
		if (in_id(im, 2) >= 0) {
			v = need_const(im, 2, "constant_value", &ret);
			if (!v)
				return ret;
			n->attrs.pad_value = vis_tensor_numel(v) ? v->data[0] :
								   0;
		}
		if (in_id(im, 3) >= 0) {
			ax = need_const(im, 3, "axes", &ret);
			if (!ax)
				return ret;
			nax = (int)vis_tensor_numel(ax);
			if (nax > x->rank)
				return node_err(im, EINVAL, "too many axes");
			for (i = 0; i < nax; i++) {
				ret = norm_axis(im, vis_f2i(ax->data[i]),
						x->rank, &axes[i]);
				if (ret)
					return ret;
			}
		}
	}
	if (np != 2 * nax)
		return node_err(im, EINVAL, "pads need %d values", 2 * nax);
	memcpy(dims, x->dims, sizeof(dims));
	for (i = 0; i < nax; i++) {
		int64_t a = axes[i];

		n->attrs.pad_begin[a] = pads[i];
		n->attrs.pad_end[a] = pads[i + nax];
		if (pads[i] > 1 << 20 || pads[i + nax] > 1 << 20 ||
		    pads[i] < -(1ll << 32) || pads[i + nax] < -(1ll << 32))
			return node_err(im, EINVAL, "pads too large");
		dims[a] = x->dims[a] + pads[i] + pads[i + nax];
		if (dims[a] < 0)
			return node_err(im, EINVAL, "pads crop below zero");
	}
	n->inputs[0] = in_id(im, 0);
	n->ninputs = 1;
	ret = add_output(im, nid, 0, x->dtype, x->rank, dims);
	return ret < 0 ? ret : 0;
}

static int coord_mode(struct imp *im, const char *s, int *out)
{
	static const char *const names[] = {
		[VIS_COORD_HALF_PIXEL] = "half_pixel",
		[VIS_COORD_ASYMMETRIC] = "asymmetric",
		[VIS_COORD_ALIGN_CORNERS] = "align_corners",
		[VIS_COORD_PYTORCH_HALF_PIXEL] = "pytorch_half_pixel",
		[VIS_COORD_TF_HALF_PIXEL_FOR_NN] = "tf_half_pixel_for_nn",
	};
	int i;

	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	return node_err(im, ENOTSUP, "coordinate_transformation_mode '%s'", s);
}

static int imp_resize(struct imp *im, bool upsample)
{
	const Onnx__NodeProto *np = im->np;
	struct vis_tensor *x = in_tensor(im, 0), *sc = NULL, *sz = NULL;
	int64_t dims[VIS_MAX_RANK];
	float scale[VIS_MAX_RANK];
	struct vis_node *n;
	char buf[40];
	int nid, i, ret, si, zi;

	if (!x)
		return node_err(im, EINVAL, "needs an input");
	nid = new_node(im, VIS_OP_RESIZE);
	if (nid < 0)
		return nid;
	n = &im->g->nodes[nid];
	attr_str(np, "mode", buf, sizeof(buf), "nearest");
	if (!strcmp(buf, "nearest"))
		n->attrs.resize_mode = VIS_RESIZE_NEAREST;
	else if (!strcmp(buf, "linear") || !strcmp(buf, "bilinear"))
		n->attrs.resize_mode = VIS_RESIZE_LINEAR;
	else
		return node_err(im, ENOTSUP, "mode '%s'", buf);
	/* Upsample and Resize-10: asymmetric, nearest rounds down. */
	n->attrs.resize_coord = VIS_COORD_ASYMMETRIC;
	n->attrs.resize_nearest = VIS_NEAREST_FLOOR;
	si = 1;
	zi = -1;
	if (!upsample && im->opset >= 11) {
		attr_str(np, "coordinate_transformation_mode", buf, sizeof(buf),
			 "half_pixel");
		ret = coord_mode(im, buf, &n->attrs.resize_coord);
		if (ret)
			return ret;
		attr_str(np, "nearest_mode", buf, sizeof(buf),
			 "round_prefer_floor");
		if (!strcmp(buf, "round_prefer_floor"))
			n->attrs.resize_nearest =
				VIS_NEAREST_ROUND_PREFER_FLOOR;
		else if (!strcmp(buf, "round_prefer_ceil"))
			n->attrs.resize_nearest = VIS_NEAREST_ROUND_PREFER_CEIL;
		else if (!strcmp(buf, "floor"))
			n->attrs.resize_nearest = VIS_NEAREST_FLOOR;
		else if (!strcmp(buf, "ceil"))
			n->attrs.resize_nearest = VIS_NEAREST_CEIL;
		else
			return node_err(im, ENOTSUP, "nearest_mode '%s'", buf);
		if (attr_int(np, "exclude_outside", 0) ||
		    attr_int(np, "antialias", 0) || attr(np, "axes") ||
		    !attr_str_is(np, "keep_aspect_ratio_policy", "stretch",
				 true))
			return node_err(
				im, ENOTSUP,
				"exclude_outside, antialias, axes and keep_aspect_ratio_policy are not supported");
		si = 2;
		zi = 3;
	}
	if (upsample && im->opset < 9) {
		return node_err(im, ENOTSUP, "Upsample before opset 9");
	}
	if (si < (int)np->n_input && in_id(im, si) >= 0) {
		sc = need_const(im, si, "scales", &ret);
		if (!sc)
			return ret;
		if (!vis_tensor_numel(sc))
			sc = NULL;
	}
	if (zi >= 0 && zi < (int)np->n_input && in_id(im, zi) >= 0) {
		sz = need_const(im, zi, "sizes", &ret);
		if (!sz)
			return ret;
		if (!vis_tensor_numel(sz))
			sz = NULL;
	}
	if (!sc == !sz)
		return node_err(im, EINVAL,
				"needs exactly one of scales, sizes");
	if (vis_tensor_numel(sc ? sc : sz) != x->rank)
		return node_err(im, EINVAL, "needs %d scales or sizes",
				x->rank);
	for (i = 0; i < x->rank; i++) {
		if (sc) {
			scale[i] = sc->data[i];
			if (!(scale[i] > 0) || scale[i] > 1024)
				return node_err(im, EINVAL, "bad scale %g",
						scale[i]);
			dims[i] = vis_f2i(floorf(x->dims[i] * scale[i]));
		} else {
			dims[i] = vis_f2i(sz->data[i]);
			if (dims[i] < 1 || dims[i] > 1 << 20 || !x->dims[i])
				return node_err(im, EINVAL, "bad size %lld",
						(long long)dims[i]);
			scale[i] = (float)dims[i] / x->dims[i];
		}
		if (dims[i] < 1)
			return node_err(im, EINVAL, "output dim %d is empty",
					i);
	}
	memcpy(n->attrs.resize_scale, scale, sizeof(scale));
	n->attrs.layout = VIS_LAYOUT_NCHW;
	n->inputs[0] = in_id(im, 0);
	n->ninputs = 1;
	ret = add_output(im, nid, 0, x->dtype, x->rank, dims);
	return ret < 0 ? ret : 0;
}

static int imp_softmax(struct imp *im)
{
	struct vis_tensor *x = in_tensor(im, 0);
	struct vis_node *n;
	int64_t axis;
	int nid, ret;

	if (!x || x->rank < 1)
		return node_err(im, EINVAL, "needs an input");
	ret = norm_axis(im, attr_int(im->np, "axis", im->opset < 13 ? 1 : -1),
			x->rank, &axis);
	if (ret)
		return ret;
	nid = new_node(im, VIS_OP_SOFTMAX);
	if (nid < 0)
		return nid;
	n = &im->g->nodes[nid];
	n->attrs.axis = axis;
	n->attrs.softmax_2d = im->opset < 13;
	ret = wire_inputs(im, nid, 1);
	if (ret)
		return ret;
	ret = add_output(im, nid, 0, x->dtype, x->rank, x->dims);
	return ret < 0 ? ret : 0;
}

static int imp_gather(struct imp *im)
{
	struct vis_tensor *x = in_tensor(im, 0), *ix = in_tensor(im, 1);
	int64_t axis, dims[VIS_MAX_RANK];
	int nid, ret, r = 0, i;

	if (!x || !ix)
		return node_err(im, EINVAL, "needs data and indices");
	ret = norm_axis(im, attr_int(im->np, "axis", 0), x->rank, &axis);
	if (ret)
		return ret;
	if (x->rank - 1 + ix->rank > VIS_MAX_RANK)
		return node_err(im, ENOTSUP, "rank too high");
	for (i = 0; i < axis; i++)
		dims[r++] = x->dims[i];
	for (i = 0; i < ix->rank; i++)
		dims[r++] = ix->dims[i];
	for (i = axis + 1; i < x->rank; i++)
		dims[r++] = x->dims[i];
	nid = new_node(im, VIS_OP_GATHER);
	if (nid < 0)
		return nid;
	im->g->nodes[nid].attrs.axis = axis;
	ret = wire_inputs(im, nid, 2);
	if (ret)
		return ret;
	ret = add_output(im, nid, 0, x->dtype, r, dims);
	return ret < 0 ? ret : 0;
}

/* Scales and zero points of a Q/DQ node into @q. */
static int qdq_params(struct imp *im, const struct vis_tensor *x,
		      struct vis_quant *q, int64_t *axis_out, int *qtype)
{
	struct vis_tensor *s, *z;
	int64_t cnt, axis = 0, i;
	int ret;

	*qtype = VIS_DT_UINT8;
	*axis_out = 0;
	s = need_const(im, 1, "scale", &ret);
	if (!s)
		return ret;
	z = in_id(im, 2) >= 0 ? need_const(im, 2, "zero_point", &ret) : NULL;
	if (in_id(im, 2) >= 0 && !z)
		return ret;
	cnt = vis_tensor_numel(s);
	*qtype = z ? z->dtype : VIS_DT_UINT8;
	if (*qtype != VIS_DT_INT8 && *qtype != VIS_DT_UINT8 &&
	    *qtype != VIS_DT_INT32)
		return node_err(im, ENOTSUP, "quantized type %s",
				vis_dtype_name(*qtype));
	if (z && vis_tensor_numel(z) != cnt)
		return node_err(im, EINVAL,
				"scale and zero point sizes differ");
	if (s->rank > 1 || cnt < 1)
		return node_err(im, EINVAL, "scale must be a scalar or vector");
	if (cnt > 1 || s->rank == 1) {
		ret = norm_axis(im, attr_int(im->np, "axis", 1), x->rank,
				&axis);
		if (ret)
			return ret;
		if (s->rank == 1 && x->dims[axis] != cnt && cnt != 1)
			return node_err(
				im, EINVAL,
				"%lld scales for axis %lld of size %lld",
				(long long)cnt, (long long)axis,
				(long long)x->dims[axis]);
	}
	q->count = (int)cnt;
	q->axis = (int)axis;
	q->dtype = *qtype;
	q->scale = malloc(sizeof(float) * cnt);
	q->zero_point = calloc(cnt, sizeof(int32_t));
	if (!q->scale || !q->zero_point) {
		vis_quant_clear(q);
		return vis_errorf(im->err, ENOMEM, "out of memory");
	}
	for (i = 0; i < cnt; i++) {
		if (!(s->data[i] > 0) || !isfinite(s->data[i])) {
			vis_quant_clear(q);
			return node_err(im, EINVAL, "scale %g not positive",
					s->data[i]);
		}
		q->scale[i] = s->data[i];
		q->zero_point[i] = z ? (int32_t)vis_f2i(z->data[i]) : 0;
	}
	*axis_out = axis;
	return 0;
}

static int imp_qdq(struct imp *im, int op)
{
	struct vis_tensor *x = in_tensor(im, 0);
	struct vis_quant q = { 0 };
	int64_t axis = 0;
	int nid, ret, qtype, out, xid = in_id(im, 0);

	if (!x)
		return node_err(im, EINVAL, "needs an input");
	ret = qdq_params(im, x, &q, &axis, &qtype);
	if (ret)
		return ret;
	if (op == VIS_OP_DEQUANTIZE && x->dtype != qtype)
		ret = node_err(im, EINVAL, "input type %s but zero point %s",
			       vis_dtype_name(x->dtype), vis_dtype_name(qtype));
	nid = ret ? ret : new_node(im, op);
	if (nid < 0) {
		vis_quant_clear(&q);
		return nid;
	}
	im->g->nodes[nid].attrs.axis = axis;
	ret = wire_inputs(im, nid, (int)im->np->n_input);
	out = ret ? ret :
		    add_output(im, nid, 0,
			       op == VIS_OP_QUANTIZE ? qtype : VIS_DT_FLOAT,
			       x->rank, x->dims);
	if (out < 0) {
		vis_quant_clear(&q);
		return out;
	}
	/* The quantized tensor and its float view share the parameters. */
	ret = vis_quant_copy(&im->g->tensors[out].quant, &q);
	if (!ret && !im->g->tensors[xid].quant.count)
		ret = vis_quant_copy(&im->g->tensors[xid].quant, &q);
	vis_quant_clear(&q);
	return ret ? vis_errorf(im->err, ENOMEM, "out of memory") : 0;
}

/* Shape and Constant make constants directly, without a node. */
static int add_const_values(struct imp *im, int dtype, int rank,
			    const int64_t *dims, const float *vals)
{
	const Onnx__NodeProto *np = im->np;
	int64_t n = checked_numel(rank, dims);
	int id, ret;

	if (n < 0)
		return node_err(im, EINVAL, "constant too large");
	if (np->n_output < 1 || !np->output[0] || !*np->output[0])
		return node_err(im, EINVAL, "no output name");
	id = vis_graph_add_tensor(im->g, np->output[0], dtype, rank, dims);
	if (id == -EEXIST)
		return node_err(im, EINVAL, "tensor '%s' is written twice",
				np->output[0]);
	if (id < 0)
		return vis_errorf(im->err, ENOMEM, "out of memory");
	ret = vis_tensor_alloc_data(&im->g->tensors[id]);
	if (ret)
		return vis_errorf(im->err, -ret, "out of memory");
	if (n)
		memcpy(im->g->tensors[id].data, vals, sizeof(float) * n);
	return 0;
}

static int imp_shape(struct imp *im)
{
	struct vis_tensor *x = in_tensor(im, 0);
	int64_t start, end, len;
	float vals[VIS_MAX_RANK];
	int i;

	if (!x)
		return node_err(im, EINVAL, "needs an input");
	start = attr_int(im->np, "start", 0);
	end = attr_int(im->np, "end", x->rank);
	/* Clamped before any arithmetic: the attributes are untrusted. */
	start = start < -x->rank ? 0 : start < 0 ? start + x->rank : start;
	end = end < -x->rank ? 0 : end < 0 ? end + x->rank : end;
	start = start < 0 ? 0 : start > x->rank ? x->rank : start;
	end = end < 0 ? 0 : end > x->rank ? x->rank : end;
	len = end > start ? end - start : 0;
	for (i = 0; i < len; i++)
		vals[i] = (float)x->dims[start + i];
	return add_const_values(im, VIS_DT_INT64, 1, &len, vals);
}

static int imp_constant(struct imp *im)
{
	const Onnx__NodeProto *np = im->np;
	const Onnx__AttributeProto *a;
	struct vis_tensor tmp = { 0 };
	int64_t n;
	float *vals;
	size_t i;
	int ret;

	if (np->n_attribute != 1)
		return node_err(im, EINVAL, "needs exactly one attribute");
	a = np->attribute[0];
	if (!a->name)
		return node_err(im, EINVAL, "attribute without a name");
	if (!strcmp(a->name, "value") && a->t) {
		ret = tensor_values(a->t, &tmp, im->where, im->err);
		if (ret)
			return ret;
		ret = add_const_values(im, tmp.dtype, tmp.rank, tmp.dims,
				       tmp.data);
		free(tmp.data);
		return ret;
	}
	if (!strcmp(a->name, "value_float") && a->has_f)
		return add_const_values(im, VIS_DT_FLOAT, 0, NULL, &a->f);
	if (!strcmp(a->name, "value_int") && a->has_i) {
		float v = (float)a->i;

		return add_const_values(im, VIS_DT_INT64, 0, NULL, &v);
	}
	if (!strcmp(a->name, "value_floats")) {
		n = (int64_t)a->n_floats;
		return add_const_values(im, VIS_DT_FLOAT, 1, &n, a->floats);
	}
	if (!strcmp(a->name, "value_ints")) {
		n = (int64_t)a->n_ints;
		vals = malloc(sizeof(float) * (n + 1));
		if (!vals)
			return vis_errorf(im->err, ENOMEM, "out of memory");
		for (i = 0; i < a->n_ints; i++)
			vals[i] = (float)a->ints[i];
		ret = add_const_values(im, VIS_DT_INT64, 1, &n, vals);
		free(vals);
		return ret;
	}
	return node_err(im, ENOTSUP, "attribute '%s' not supported", a->name);
}

/* ---- dispatch ----------------------------------------------------------------- */

struct op_entry {
	const char *name;
	int op;
	int (*fn)(struct imp *im, int op);
};

static int imp_conv_op(struct imp *im, int op)
{
	(void)op;
	return imp_conv(im);
}

#define WRAP(fn)                                   \
	static int fn##_op(struct imp *im, int op) \
	{                                          \
		(void)op;                          \
		return fn(im);                     \
	}
WRAP(imp_gemm)
WRAP(imp_matmul)
WRAP(imp_batchnorm)
WRAP(imp_flatten)
WRAP(imp_reshape)
WRAP(imp_transpose)
WRAP(imp_concat)
WRAP(imp_pad)
WRAP(imp_softmax)
WRAP(imp_gather)
WRAP(imp_shape)
WRAP(imp_constant)

static int imp_squeeze_op(struct imp *im, int op)
{
	return imp_squeeze(im, op == 1);
}

static int imp_resize_op(struct imp *im, int op)
{
	return imp_resize(im, op == 1);
}

static const struct op_entry op_table[] = {
	{ "Conv", 0, imp_conv_op },
	{ "Gemm", 0, imp_gemm_op },
	{ "MatMul", 0, imp_matmul_op },
	{ "BatchNormalization", 0, imp_batchnorm_op },
	{ "Relu", VIS_OP_RELU, imp_unary },
	{ "Clip", VIS_OP_CLIP, imp_unary },
	{ "LeakyRelu", VIS_OP_LEAKY_RELU, imp_unary },
	{ "Sigmoid", VIS_OP_SIGMOID, imp_unary },
	{ "HardSigmoid", VIS_OP_HARD_SIGMOID, imp_unary },
	{ "HardSwish", VIS_OP_HARD_SWISH, imp_unary },
	{ "Tanh", VIS_OP_TANH, imp_unary },
	{ "Identity", VIS_OP_IDENTITY, imp_unary },
	{ "Dropout", VIS_OP_IDENTITY, imp_unary },
	{ "Cast", VIS_OP_CAST, imp_unary },
	{ "Add", VIS_OP_ADD, imp_binary },
	{ "Sub", VIS_OP_SUB, imp_binary },
	{ "Mul", VIS_OP_MUL, imp_binary },
	{ "Div", VIS_OP_DIV, imp_binary },
	{ "MaxPool", VIS_OP_MAXPOOL, imp_pool },
	{ "AveragePool", VIS_OP_AVGPOOL, imp_pool },
	{ "GlobalAveragePool", VIS_OP_GLOBAL_AVGPOOL, imp_pool },
	{ "Flatten", 0, imp_flatten_op },
	{ "Reshape", 0, imp_reshape_op },
	{ "Squeeze", 0, imp_squeeze_op },
	{ "Unsqueeze", 1, imp_squeeze_op },
	{ "Transpose", 0, imp_transpose_op },
	{ "Concat", 0, imp_concat_op },
	{ "Pad", 0, imp_pad_op },
	{ "Resize", 0, imp_resize_op },
	{ "Upsample", 1, imp_resize_op },
	{ "Softmax", 0, imp_softmax_op },
	{ "Gather", 0, imp_gather_op },
	{ "Shape", 0, imp_shape_op },
	{ "Constant", 0, imp_constant_op },
	{ "QuantizeLinear", VIS_OP_QUANTIZE, imp_qdq },
	{ "DequantizeLinear", VIS_OP_DEQUANTIZE, imp_qdq },
};

/* Evaluate the newest node now when all its inputs are constants. */
static int fold_if_constant(struct imp *im, int nid)
{
	struct vis_graph *g = im->g;
	struct vis_node *n = &g->nodes[nid];
	const float *in[VIS_MAX_NODE_INPUTS];
	float *out[VIS_MAX_NODE_OUTPUTS];
	int i, ret;

	for (i = 0; i < n->ninputs; i++) {
		if (n->inputs[i] < 0) {
			in[i] = NULL;
			continue;
		}
		if (!g->tensors[n->inputs[i]].data)
			return 0;
		in[i] = g->tensors[n->inputs[i]].data;
	}
	for (i = 0; i < n->noutputs; i++) {
		ret = vis_tensor_alloc_data(&g->tensors[n->outputs[i]]);
		if (ret)
			return vis_errorf(im->err, -ret, "out of memory");
		out[i] = g->tensors[n->outputs[i]].data;
	}
	ret = vis_interp_eval_node(g, n, in, out, im->err);
	if (ret)
		return ret;
	vis_graph_remove_node(g, nid);
	return 0;
}

static int import_node(struct imp *im, const Onnx__NodeProto *np, int idx)
{
	size_t i;
	int before = im->g->nnodes, ret;

	set_where(im, np, idx);
	if (!np->op_type)
		return node_err(im, EINVAL, "no operator type");
	if (np->domain && *np->domain && strcmp(np->domain, "ai.onnx"))
		return node_err(im, ENOTSUP, "domain '%s' is not supported",
				np->domain);
	for (i = 0; i < np->n_input; i++)
		if (np->input[i] && *np->input[i] &&
		    vis_graph_find_tensor(im->g, np->input[i]) < 0)
			return node_err(
				im, EINVAL,
				"input '%s' is not defined before this node (unknown tensor, or a cycle)",
				np->input[i]);
	for (i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++)
		if (!strcmp(np->op_type, op_table[i].name))
			break;
	if (i == sizeof(op_table) / sizeof(op_table[0]))
		return node_err(im, ENOTSUP, "operator not supported");
	ret = op_table[i].fn(im, op_table[i].op);
	if (ret < 0)
		return ret;
	if (im->g->nnodes > before)
		return fold_if_constant(im, im->g->nnodes - 1);
	return 0;
}

/* Static shape of a graph input from its ValueInfoProto. */
static int input_shape(struct imp *im, const Onnx__ValueInfoProto *vi,
		       int *dtype, int *rank, int64_t *dims)
{
	const Onnx__TypeProto *tp = vi->type;
	const Onnx__TensorShapeProto *sp;
	size_t i;

	*dtype = 0;
	*rank = 0;
	if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !tp->tensor_type)
		return vis_errorf(im->err, ENOTSUP,
				  "graph input '%s' is not a tensor", vi->name);
	*dtype = dtype_from_onnx(tp->tensor_type->elem_type);
	if (*dtype < 0)
		return vis_errorf(
			im->err, ENOTSUP,
			"graph input '%s': element type %d not supported",
			vi->name, (int)tp->tensor_type->elem_type);
	sp = tp->tensor_type->shape;
	if (!sp)
		return vis_errorf(im->err, EINVAL,
				  "graph input '%s' has no shape", vi->name);
	if (sp->n_dim > VIS_MAX_RANK)
		return vis_errorf(im->err, ENOTSUP,
				  "graph input '%s': rank %zu too high",
				  vi->name, sp->n_dim);
	*rank = (int)sp->n_dim;
	for (i = 0; i < sp->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
		bool known =
			d->value_case ==
				ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
			d->dim_value > 0;

		if (known) {
			dims[i] = d->dim_value;
			continue;
		}
		/* Batch 1 for a symbolic or zero batch dimension. */
		if (i == 0) {
			dims[i] = 1;
			continue;
		}
		return vis_errorf(
			im->err, ENOTSUP,
			"graph input '%s': dimension %zu is not a fixed size",
			vi->name, i);
	}
	if (checked_numel(*rank, dims) < 0)
		return vis_errorf(im->err, EINVAL,
				  "graph input '%s' is too large", vi->name);
	return 0;
}

/* Graph input @name as a bound constant: 1 when bound, 0 when not. */
static int bind_const(struct imp *im, const char *name)
{
	const struct vis_tensor *v;
	int i, id;

	for (i = 0; i < im->nconsts; i++)
		if (!strcmp(im->consts[i].name, name))
			break;
	if (i == im->nconsts)
		return 0;
	v = im->consts[i].value;
	if (!v->data || v->rank < 0 || v->rank > VIS_MAX_RANK ||
	    checked_numel(v->rank, v->dims) < 0)
		return vis_errorf(im->err, EINVAL,
				  "bound input '%s' has no usable value", name);
	id = vis_graph_add_tensor(im->g, name, v->dtype, v->rank, v->dims);
	if (id < 0)
		return vis_errorf(im->err, ENOMEM, "out of memory");
	if (vis_tensor_alloc_data(&im->g->tensors[id]))
		return vis_errorf(im->err, ENOMEM, "out of memory");
	memcpy(im->g->tensors[id].data, v->data,
	       sizeof(float) * vis_tensor_numel(v));
	return 1;
}

/* A graph output's declared shape, when fully known, must match. */
static int check_output(struct imp *im, const Onnx__ValueInfoProto *vi,
			const struct vis_tensor *t)
{
	const Onnx__TypeProto *tp = vi->type;
	const Onnx__TensorShapeProto *sp;
	char buf[96];
	size_t i;

	if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !tp->tensor_type || !tp->tensor_type->shape)
		return 0;
	sp = tp->tensor_type->shape;
	if ((int)sp->n_dim != t->rank)
		goto mismatch;
	for (i = 0; i < sp->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];

		if (d->value_case ==
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
		    d->dim_value > 0 && d->dim_value != t->dims[i] && i > 0)
			goto mismatch;
	}
	return 0;
mismatch:
	return vis_errorf(
		im->err, EINVAL,
		"graph output '%s': computed shape %s does not match the declared one (rank %zu)",
		t->name, vis_shape_str(t, buf, sizeof(buf)), sp->n_dim);
}

static int import_graph(struct imp *im, const Onnx__GraphProto *gp)
{
	struct vis_graph *g = im->g;
	size_t i;
	int ret, id;

	for (i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = gp->initializer[i];
		char what[160];

		if (!tp->name || !*tp->name)
			return vis_errorf(im->err, EINVAL,
					  "initializer #%zu has no name", i);
		snprintf(what, sizeof(what), "initializer '%s'", tp->name);
		ret = add_const(im, tp, tp->name, what);
		if (ret < 0)
			return ret;
	}
	if (gp->n_sparse_initializer)
		return vis_errorf(im->err, ENOTSUP,
				  "sparse initializers are not supported");
	g->inputs = calloc(gp->n_input + 1, sizeof(int));
	g->outputs = calloc(gp->n_output + 1, sizeof(int));
	if (!g->inputs || !g->outputs)
		return vis_errorf(im->err, ENOMEM, "out of memory");
	for (i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		int64_t dims[VIS_MAX_RANK];
		int dtype, rank;

		if (!vi->name || !*vi->name)
			return vis_errorf(im->err, EINVAL,
					  "graph input #%zu has no name", i);
		/* Old models list initializers as inputs too. */
		if (vis_graph_find_tensor(g, vi->name) >= 0) {
			if (g->tensors[vis_graph_find_tensor(g, vi->name)].data)
				continue;
			return vis_errorf(im->err, EINVAL,
					  "graph input '%s' listed twice",
					  vi->name);
		}
		ret = bind_const(im, vi->name);
		if (ret < 0)
			return ret;
		if (ret)
			continue;
		ret = input_shape(im, vi, &dtype, &rank, dims);
		if (ret)
			return ret;
		id = vis_graph_add_tensor(g, vi->name, dtype, rank, dims);
		if (id < 0)
			return vis_errorf(im->err, ENOMEM, "out of memory");
		if (rank == 4)
			g->tensors[id].layout = VIS_LAYOUT_NCHW;
		g->inputs[g->ninputs++] = id;
	}
	for (i = 0; i < gp->n_node; i++) {
		ret = import_node(im, gp->node[i], (int)i);
		if (ret)
			return ret;
	}
	if (!gp->n_output)
		return vis_errorf(im->err, EINVAL, "the graph has no outputs");
	for (i = 0; i < gp->n_output; i++) {
		const Onnx__ValueInfoProto *vi = gp->output[i];

		id = vi->name ? vis_graph_find_tensor(g, vi->name) : -1;
		if (id < 0)
			return vis_errorf(
				im->err, EINVAL,
				"graph output '%s' is not computed by any node",
				vi->name ? vi->name : "");
		ret = check_output(im, vi, &g->tensors[id]);
		if (ret)
			return ret;
		g->outputs[g->noutputs++] = id;
	}
	ret = vis_graph_compact(g);
	if (ret)
		return vis_errorf(im->err, -ret, "graph check failed");
	return 0;
}

static int model_opset(struct imp *im, const Onnx__ModelProto *m)
{
	size_t i;

	im->opset = -1;
	for (i = 0; i < m->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = m->opset_import[i];

		if (!o->domain || !*o->domain || !strcmp(o->domain, "ai.onnx"))
			im->opset = o->has_version ? (int)o->version : -1;
	}
	if (im->opset < 0)
		return vis_errorf(im->err, EINVAL,
				  "the model imports no default-domain opset");
	if (im->opset < VIS_ONNX_OPSET_MIN || im->opset > VIS_ONNX_OPSET_MAX)
		return vis_errorf(im->err, ENOTSUP,
				  "opset %d is not supported (%d to %d)",
				  im->opset, VIS_ONNX_OPSET_MIN,
				  VIS_ONNX_OPSET_MAX);
	return 0;
}

int vis_onnx_import(const void *buf, size_t len, struct vis_graph **out,
		    struct vis_error *err)
{
	return vis_onnx_import_consts(buf, len, NULL, 0, out, err);
}

int vis_onnx_import_consts(const void *buf, size_t len,
			   const struct vis_onnx_const *consts, int n,
			   struct vis_graph **out, struct vis_error *err)
{
	struct imp im = { .err = err, .consts = consts, .nconsts = n };
	Onnx__ModelProto *m;
	int ret;

	*out = NULL;
	if (err)
		err->msg[0] = 0;
	if (!buf || !len)
		return vis_errorf(err, EINVAL,
				  "empty input: not an ONNX model");
	m = onnx__model_proto__unpack(NULL, len, buf);
	if (!m)
		return vis_errorf(
			err, EINVAL,
			"not an ONNX model: the protobuf is truncated or malformed");
	if (!m->graph) {
		ret = vis_errorf(err, EINVAL, "not an ONNX model: no graph");
		goto out;
	}
	ret = model_opset(&im, m);
	if (ret)
		goto out;
	im.g = vis_graph_create();
	if (!im.g) {
		ret = vis_errorf(err, ENOMEM, "out of memory");
		goto out;
	}
	im.g->opset = im.opset;
	ret = import_graph(&im, m->graph);
	if (ret) {
		vis_graph_destroy(im.g);
		goto out;
	}
	*out = im.g;
out:
	onnx__model_proto__free_unpacked(m, NULL);
	return ret;
}

/* Whole file into memory; -errno with a message. */
static int read_file(const char *path, void **buf, size_t *len,
		     struct vis_error *err)
{
	struct stat st;
	size_t at = 0;
	ssize_t r;
	char *p;
	int fd;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vis_errorf(err, errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_FILE_SIZE) {
		close(fd);
		return vis_errorf(err, EINVAL,
				  "%s: not a regular file of at most 1 GiB",
				  path);
	}
	p = malloc(st.st_size + 1);
	if (!p) {
		close(fd);
		return vis_errorf(err, ENOMEM, "out of memory");
	}
	while (at < (size_t)st.st_size) {
		r = read(fd, p + at, st.st_size - at);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(p);
			close(fd);
			return vis_errorf(err, EIO, "%s: read failed", path);
		}
		at += r;
	}
	close(fd);
	*buf = p;
	*len = at;
	return 0;
}

int vis_onnx_import_file(const char *path, struct vis_graph **out,
			 struct vis_error *err)
{
	void *buf;
	size_t len;
	int ret;

	*out = NULL;
	ret = read_file(path, &buf, &len, err);
	if (ret)
		return ret;
	ret = vis_onnx_import(buf, len, out, err);
	free(buf);
	if (ret && err) {
		char tmp[sizeof(err->msg) + PATH_MAX + 4];

		snprintf(tmp, sizeof(tmp), "%s: %s", path, err->msg);
		snprintf(err->msg, sizeof(err->msg), "%.*s",
			 (int)sizeof(err->msg) - 1, tmp);
	}
	return ret;
}

int vis_onnx_read_tensor(const void *buf, size_t len, struct vis_tensor *t,
			 struct vis_error *err)
{
	Onnx__TensorProto *tp;
	int ret;

	memset(t, 0, sizeof(*t));
	t->producer = -1;
	tp = onnx__tensor_proto__unpack(NULL, len, buf);
	if (!tp)
		return vis_errorf(err, EINVAL,
				  "not a TensorProto: truncated or malformed");
	ret = tensor_values(tp, t, tp->name ? tp->name : "tensor", err);
	if (!ret) {
		t->name = strdup(tp->name ? tp->name : "");
		if (!t->name)
			ret = vis_errorf(err, ENOMEM, "out of memory");
	}
	onnx__tensor_proto__free_unpacked(tp, NULL);
	if (ret)
		vis_onnx_tensor_free(t);
	return ret;
}

void vis_onnx_tensor_free(struct vis_tensor *t)
{
	free(t->name);
	free(t->data);
	vis_quant_clear(&t->quant);
	memset(t, 0, sizeof(*t));
}
