// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The float graph IR: storage, lookup, edits, ordering checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

static const char *const op_names[VIS_OP_COUNT] = {
	[VIS_OP_CONV] = "Conv",
	[VIS_OP_GEMM] = "Gemm",
	[VIS_OP_MATMUL] = "MatMul",
	[VIS_OP_FC] = "FullyConnected",
	[VIS_OP_BATCHNORM] = "BatchNormalization",
	[VIS_OP_RELU] = "Relu",
	[VIS_OP_CLIP] = "Clip",
	[VIS_OP_LEAKY_RELU] = "LeakyRelu",
	[VIS_OP_SIGMOID] = "Sigmoid",
	[VIS_OP_HARD_SIGMOID] = "HardSigmoid",
	[VIS_OP_HARD_SWISH] = "HardSwish",
	[VIS_OP_TANH] = "Tanh",
	[VIS_OP_ADD] = "Add",
	[VIS_OP_SUB] = "Sub",
	[VIS_OP_MUL] = "Mul",
	[VIS_OP_DIV] = "Div",
	[VIS_OP_MAXPOOL] = "MaxPool",
	[VIS_OP_AVGPOOL] = "AveragePool",
	[VIS_OP_GLOBAL_AVGPOOL] = "GlobalAveragePool",
	[VIS_OP_RESHAPE] = "Reshape",
	[VIS_OP_TRANSPOSE] = "Transpose",
	[VIS_OP_CONCAT] = "Concat",
	[VIS_OP_PAD] = "Pad",
	[VIS_OP_RESIZE] = "Resize",
	[VIS_OP_SOFTMAX] = "Softmax",
	[VIS_OP_IDENTITY] = "Identity",
	[VIS_OP_GATHER] = "Gather",
	[VIS_OP_CAST] = "Cast",
	[VIS_OP_QUANTIZE] = "QuantizeLinear",
	[VIS_OP_DEQUANTIZE] = "DequantizeLinear",
};

const char *vis_op_name(int op)
{
	if (op <= 0 || op >= VIS_OP_COUNT || !op_names[op])
		return "?";
	return op_names[op];
}

int vis_op_activation(int op)
{
	static const int acts[VIS_OP_COUNT] = {
		[VIS_OP_RELU] = VIS_ACT_RELU,
		[VIS_OP_CLIP] = VIS_ACT_CLIP,
		[VIS_OP_LEAKY_RELU] = VIS_ACT_LEAKY_RELU,
		[VIS_OP_SIGMOID] = VIS_ACT_SIGMOID,
		[VIS_OP_HARD_SIGMOID] = VIS_ACT_HARD_SIGMOID,
		[VIS_OP_HARD_SWISH] = VIS_ACT_HARD_SWISH,
		[VIS_OP_TANH] = VIS_ACT_TANH,
	};

	return op > 0 && op < VIS_OP_COUNT ? acts[op] : VIS_ACT_NONE;
}

const char *vis_dtype_name(int dtype)
{
	static const char *const names[] = { "float", "int64", "int32",
					     "int8",  "uint8", "bool" };

	if (dtype < 0 || dtype >= (int)(sizeof(names) / sizeof(names[0])))
		return "?";
	return names[dtype];
}

struct vis_graph *vis_graph_create(void)
{
	return calloc(1, sizeof(struct vis_graph));
}

void vis_quant_clear(struct vis_quant *q)
{
	free(q->scale);
	free(q->zero_point);
	memset(q, 0, sizeof(*q));
}

int vis_quant_copy(struct vis_quant *dst, const struct vis_quant *src)
{
	struct vis_quant q = *src;

	q.scale = NULL;
	q.zero_point = NULL;
	if (src->count) {
		q.scale = malloc(sizeof(float) * src->count);
		q.zero_point = malloc(sizeof(int32_t) * src->count);
		if (!q.scale || !q.zero_point) {
			vis_quant_clear(&q);
			return -ENOMEM;
		}
		memcpy(q.scale, src->scale, sizeof(float) * src->count);
		memcpy(q.zero_point, src->zero_point,
		       sizeof(int32_t) * src->count);
	}
	vis_quant_clear(dst);
	*dst = q;
	return 0;
}

static void tensor_free(struct vis_tensor *t)
{
	free(t->name);
	free(t->data);
	vis_quant_clear(&t->quant);
}

void vis_graph_destroy(struct vis_graph *g)
{
	int i;

	if (!g)
		return;
	for (i = 0; i < g->ntensors; i++)
		tensor_free(&g->tensors[i]);
	for (i = 0; i < g->nnodes; i++)
		free(g->nodes[i].name);
	free(g->tensors);
	free(g->nodes);
	free(g->inputs);
	free(g->outputs);
	free(g);
}

int vis_graph_find_tensor(const struct vis_graph *g, const char *name)
{
	int i;

	/* Newest first: a rewritten tensor shadows nothing, but it is cheap. */
	for (i = g->ntensors - 1; i >= 0; i--)
		if (!g->tensors[i].dead && !strcmp(g->tensors[i].name, name))
			return i;
	return -1;
}

static int grow(void **arr, int *cap, int need, size_t elem)
{
	void *p;
	int ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, (size_t)ncap * elem);
	if (!p)
		return -ENOMEM;
	memset((char *)p + (size_t)*cap * elem, 0,
	       (size_t)(ncap - *cap) * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}

int vis_graph_add_tensor(struct vis_graph *g, const char *name, int dtype,
			 int rank, const int64_t *dims)
{
	int64_t d[VIS_MAX_RANK];
	struct vis_tensor *t;
	char buf[32];
	int id = g->ntensors;

	if (rank < 0 || rank > VIS_MAX_RANK)
		return -EINVAL;
	/* @dims may point into the array that grows below. */
	if (rank)
		memcpy(d, dims, sizeof(int64_t) * rank);
	if (!name) {
		snprintf(buf, sizeof(buf), "_t%d", id);
		name = buf;
	}
	if (vis_graph_find_tensor(g, name) >= 0)
		return -EEXIST;
	if (grow((void **)&g->tensors, &g->tensors_cap, id + 1,
		 sizeof(*g->tensors)))
		return -ENOMEM;
	t = &g->tensors[id];
	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	if (!t->name)
		return -ENOMEM;
	t->dtype = dtype;
	t->rank = rank;
	if (rank)
		memcpy(t->dims, d, sizeof(int64_t) * rank);
	t->producer = -1;
	g->ntensors++;
	return id;
}

int vis_graph_add_node(struct vis_graph *g, const char *name, int op)
{
	struct vis_node *n;
	char buf[32];
	int id = g->nnodes;

	if (grow((void **)&g->nodes, &g->nodes_cap, id + 1, sizeof(*g->nodes)))
		return -ENOMEM;
	n = &g->nodes[id];
	memset(n, 0, sizeof(*n));
	if (!name || !*name) {
		snprintf(buf, sizeof(buf), "%s_%d", vis_op_name(op), id);
		name = buf;
	}
	n->name = strdup(name);
	if (!n->name)
		return -ENOMEM;
	n->op = op;
	n->attrs.group = 1;
	n->attrs.kernel[0] = n->attrs.kernel[1] = 1;
	n->attrs.strides[0] = n->attrs.strides[1] = 1;
	n->attrs.dilations[0] = n->attrs.dilations[1] = 1;
	g->nnodes++;
	return id;
}

void vis_graph_remove_node(struct vis_graph *g, int node)
{
	struct vis_node *n = &g->nodes[node];
	int i;

	n->dead = true;
	for (i = 0; i < n->noutputs; i++)
		if (n->outputs[i] >= 0 &&
		    g->tensors[n->outputs[i]].producer == node)
			g->tensors[n->outputs[i]].producer = -1;
}

int64_t vis_tensor_numel(const struct vis_tensor *t)
{
	int64_t n = 1;
	int i;

	for (i = 0; i < t->rank; i++)
		n *= t->dims[i];
	return n;
}

void vis_tensor_set_data(struct vis_tensor *t, float *data)
{
	free(t->data);
	t->data = data;
}

int vis_tensor_alloc_data(struct vis_tensor *t)
{
	int64_t n = vis_tensor_numel(t);
	float *d;

	if (n < 0 || (uint64_t)n > SIZE_MAX / sizeof(float) / 2)
		return -EOVERFLOW;
	/* One element at least: a zero-size constant still "has data". */
	d = calloc(n ? n : 1, sizeof(float));
	if (!d)
		return -ENOMEM;
	vis_tensor_set_data(t, d);
	return 0;
}

static bool contains(const int *ids, int n, int t)
{
	int i;

	for (i = 0; i < n; i++)
		if (ids[i] == t)
			return true;
	return false;
}

bool vis_graph_is_output(const struct vis_graph *g, int t)
{
	return contains(g->outputs, g->noutputs, t);
}

bool vis_graph_is_input(const struct vis_graph *g, int t)
{
	return contains(g->inputs, g->ninputs, t);
}

int vis_graph_consumers(const struct vis_graph *g, int t)
{
	int i, j, n = 0;

	for (i = 0; i < g->nnodes; i++) {
		if (g->nodes[i].dead)
			continue;
		for (j = 0; j < g->nodes[i].ninputs; j++)
			n += g->nodes[i].inputs[j] == t;
	}
	return n + vis_graph_is_output(g, t);
}

void vis_graph_replace_uses(struct vis_graph *g, int from, int to)
{
	int i, j;

	for (i = 0; i < g->nnodes; i++)
		for (j = 0; j < g->nodes[i].ninputs; j++)
			if (g->nodes[i].inputs[j] == from)
				g->nodes[i].inputs[j] = to;
	for (i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == from)
			g->outputs[i] = to;
}

/* A tensor is available without running anything before it. */
static bool is_source(const struct vis_graph *g, int t)
{
	return g->tensors[t].data || vis_graph_is_input(g, t);
}

int vis_graph_check(struct vis_graph *g, struct vis_error *err)
{
	struct vis_node *sorted = NULL;
	bool *ready = NULL, *placed = NULL;
	int i, j, k, nlive = 0, done = 0, ret = 0;

	for (i = 0; i < g->ntensors; i++)
		g->tensors[i].producer = -1;
	for (i = 0; i < g->nnodes; i++) {
		struct vis_node *n = &g->nodes[i];

		if (n->dead)
			continue;
		nlive++;
		for (j = 0; j < n->ninputs; j++)
			if (n->inputs[j] < -1 || n->inputs[j] >= g->ntensors)
				return vis_errorf(err, EINVAL,
						  "node '%s': bad input id",
						  n->name);
		for (j = 0; j < n->noutputs; j++) {
			int t = n->outputs[j];

			if (t < 0 || t >= g->ntensors)
				return vis_errorf(err, EINVAL,
						  "node '%s': bad output id",
						  n->name);
			if (g->tensors[t].producer >= 0 || is_source(g, t))
				return vis_errorf(
					err, EINVAL,
					"tensor '%s' is written twice (node '%s')",
					g->tensors[t].name, n->name);
			g->tensors[t].producer = i;
		}
	}
	for (i = 0; i < g->noutputs; i++) {
		int t = g->outputs[i];

		if (g->tensors[t].producer < 0 && !is_source(g, t))
			return vis_errorf(err, EINVAL,
					  "graph output '%s' is never computed",
					  g->tensors[t].name);
	}

	/* Kahn-style: repeatedly place every node whose inputs are ready. */
	ready = calloc(g->ntensors + 1, sizeof(*ready));
	placed = calloc(g->nnodes + 1, sizeof(*placed));
	sorted = malloc(sizeof(*sorted) * (nlive + 1));
	if (!ready || !placed || !sorted) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < g->ntensors; i++)
		ready[i] = is_source(g, i);
	while (done < nlive) {
		int progress = 0;

		for (i = 0; i < g->nnodes; i++) {
			struct vis_node *n = &g->nodes[i];

			if (n->dead || placed[i])
				continue;
			for (j = 0; j < n->ninputs; j++) {
				k = n->inputs[j];
				if (k >= 0 && !ready[k])
					break;
			}
			if (j < n->ninputs)
				continue;
			placed[i] = true;
			sorted[done++] = *n;
			for (j = 0; j < n->noutputs; j++)
				ready[n->outputs[j]] = true;
			progress = 1;
		}
		if (!progress)
			break;
	}
	if (done < nlive) {
		for (i = 0; i < g->nnodes; i++) {
			struct vis_node *n = &g->nodes[i];

			if (n->dead || placed[i])
				continue;
			for (j = 0; j < n->ninputs; j++) {
				k = n->inputs[j];
				if (k >= 0 && !ready[k] &&
				    g->tensors[k].producer < 0) {
					ret = vis_errorf(
						err, EINVAL,
						"node '%s' (%s): input '%s' is never computed",
						n->name, vis_op_name(n->op),
						g->tensors[k].name);
					goto out;
				}
			}
		}
		for (i = 0; i < g->nnodes; i++)
			if (!g->nodes[i].dead && !placed[i])
				break;
		ret = vis_errorf(err, EINVAL,
				 "the graph has a cycle through node '%s' (%s)",
				 g->nodes[i].name, vis_op_name(g->nodes[i].op));
		goto out;
	}
	/* Live nodes in order; dead ones are dropped (names freed). */
	for (i = 0; i < g->nnodes; i++)
		if (g->nodes[i].dead)
			free(g->nodes[i].name);
	if (nlive)
		memcpy(g->nodes, sorted, sizeof(*sorted) * nlive);
	g->nnodes = nlive;
	for (i = 0; i < g->ntensors; i++)
		g->tensors[i].producer = -1;
	for (i = 0; i < g->nnodes; i++)
		for (j = 0; j < g->nodes[i].noutputs; j++)
			g->tensors[g->nodes[i].outputs[j]].producer = i;
out:
	free(ready);
	free(placed);
	free(sorted);
	return ret;
}

int vis_graph_compact(struct vis_graph *g)
{
	int *map, i, j, nt = 0, ret;
	bool *used;

	ret = vis_graph_check(g, NULL);
	if (ret)
		return ret;
	map = malloc(sizeof(int) * (g->ntensors + 1));
	used = calloc(g->ntensors + 1, sizeof(bool));
	if (!map || !used) {
		free(map);
		free(used);
		return -ENOMEM;
	}
	for (i = 0; i < g->nnodes; i++) {
		for (j = 0; j < g->nodes[i].ninputs; j++)
			if (g->nodes[i].inputs[j] >= 0)
				used[g->nodes[i].inputs[j]] = true;
		for (j = 0; j < g->nodes[i].noutputs; j++)
			used[g->nodes[i].outputs[j]] = true;
	}
	for (i = 0; i < g->ninputs; i++)
		used[g->inputs[i]] = true;
	for (i = 0; i < g->noutputs; i++)
		used[g->outputs[i]] = true;
	for (i = 0; i < g->ntensors; i++) {
		if (!used[i]) {
			tensor_free(&g->tensors[i]);
			map[i] = -1;
			continue;
		}
		map[i] = nt;
		g->tensors[nt++] = g->tensors[i];
	}
	g->ntensors = nt;
	for (i = 0; i < g->nnodes; i++) {
		for (j = 0; j < g->nodes[i].ninputs; j++)
			if (g->nodes[i].inputs[j] >= 0)
				g->nodes[i].inputs[j] =
					map[g->nodes[i].inputs[j]];
		for (j = 0; j < g->nodes[i].noutputs; j++)
			g->nodes[i].outputs[j] = map[g->nodes[i].outputs[j]];
	}
	for (i = 0; i < g->ninputs; i++)
		g->inputs[i] = map[g->inputs[i]];
	for (i = 0; i < g->noutputs; i++)
		g->outputs[i] = map[g->outputs[i]];
	free(map);
	free(used);
	return vis_graph_check(g, NULL);
}

struct vis_graph *vis_graph_clone(const struct vis_graph *g)
{
	struct vis_graph *c = vis_graph_create();
	int i;

	if (!c)
		return NULL;
	c->opset = g->opset;
	c->tensors = calloc(g->ntensors + 1, sizeof(*c->tensors));
	c->nodes = calloc(g->nnodes + 1, sizeof(*c->nodes));
	c->inputs = malloc(sizeof(int) * (g->ninputs + 1));
	c->outputs = malloc(sizeof(int) * (g->noutputs + 1));
	if (!c->tensors || !c->nodes || !c->inputs || !c->outputs)
		goto fail;
	c->tensors_cap = g->ntensors + 1;
	c->nodes_cap = g->nnodes + 1;
	for (i = 0; i < g->ntensors; i++) {
		const struct vis_tensor *s = &g->tensors[i];
		struct vis_tensor *t = &c->tensors[i];

		*t = *s;
		t->name = NULL;
		t->data = NULL;
		memset(&t->quant, 0, sizeof(t->quant));
		c->ntensors++;
		t->name = strdup(s->name);
		if (!t->name || vis_quant_copy(&t->quant, &s->quant))
			goto fail;
		if (s->data) {
			int64_t n = vis_tensor_numel(s);

			t->data = malloc(sizeof(float) * (n ? n : 1));
			if (!t->data)
				goto fail;
			memcpy(t->data, s->data, sizeof(float) * n);
		}
	}
	for (i = 0; i < g->nnodes; i++) {
		c->nodes[i] = g->nodes[i];
		c->nodes[i].name = NULL;
		c->nnodes++;
		c->nodes[i].name = strdup(g->nodes[i].name);
		if (!c->nodes[i].name)
			goto fail;
	}
	memcpy(c->inputs, g->inputs, sizeof(int) * g->ninputs);
	c->ninputs = g->ninputs;
	memcpy(c->outputs, g->outputs, sizeof(int) * g->noutputs);
	c->noutputs = g->noutputs;
	return c;
fail:
	vis_graph_destroy(c);
	return NULL;
}

const char *vis_shape_str(const struct vis_tensor *t, char *buf, size_t len)
{
	size_t at = 0;
	int i;

	at += snprintf(buf, len, "[");
	for (i = 0; i < t->rank && at < len; i++)
		at += snprintf(buf + at, len - at, "%s%lld", i ? "," : "",
			       (long long)t->dims[i]);
	if (at < len)
		snprintf(buf + at, len - at, "]");
	return buf;
}
