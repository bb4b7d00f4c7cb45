// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * ONNX import: ONNX's own node tests (Debian libonnx-testdata) through the
 * importer and the float interpreter against their expected outputs;
 * a PyTorch-style small CNN built here as a ModelProto (protobuf-c)
 * against a naive reference; and bad input of every kind.
 *
 * Tolerance for the node tests is ONNX's own backend-test default:
 * |got - want| <= 1e-7 + 1e-3 * |want|.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "float_interp.h"
#include "graph_passes.h"
#include "onnx.pb-c.h"
#include "onnx_import.h"

#include "kselftest_harness.h"

#define ONNX_NODE_DIR "/usr/share/libonnx-testdata/data/node"
#define RTOL 1e-3
#define ATOL 1e-7

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(n + 1);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = n;
	}
	fclose(f);
	return buf;
}

/* ---- ONNX node tests ---------------------------------------------------- */

/* Operators the importer supports (in the default domain). */
static const char *const supported_ops[] = {
	"Conv",
	"Gemm",
	"MatMul",
	"BatchNormalization",
	"Relu",
	"Clip",
	"LeakyRelu",
	"Sigmoid",
	"HardSigmoid",
	"HardSwish",
	"Tanh",
	"Mul",
	"Add",
	"Sub",
	"Div",
	"MaxPool",
	"AveragePool",
	"GlobalAveragePool",
	"Flatten",
	"Reshape",
	"Transpose",
	"Concat",
	"Pad",
	"Resize",
	"Upsample",
	"Softmax",
	"Dropout",
	"Identity",
	"Constant",
	"Shape",
	"Gather",
	"Unsqueeze",
	"Squeeze",
	"Cast",
	"QuantizeLinear",
	"DequantizeLinear",
};

/*
 * Tests of supported operators that use a feature outside the scope
 * (each refused at import with a message naming the node), by prefix.
 */
static const char *const out_of_scope[] = {
	"test_averagepool_3d", /* 3-D pooling */
	"test_maxpool_3d",
	"test_maxpool_with_argmax", /* the Indices output */
	"test_batchnorm_epsilon_training_mode", /* training */
	"test_batchnorm_example_training_mode",
	"test_cast_", /* float16, bfloat16, string */
	"test_resize_downsample_scales_cubic", /* cubic */
	"test_resize_downsample_sizes_cubic",
	"test_resize_upsample_scales_cubic",
	"test_resize_upsample_sizes_cubic",
	"test_resize_tf_crop_and_resize",
	"test_dropout_random", /* training */
	"test_identity_opt", /* optional types */
	"test_identity_sequence", /* sequences */
	"test_gather_elements", /* GatherElements, GatherND: other ops */
	"test_gathernd",
	"test_reshape_allowzero", /* zero-size shapes */
	"test_castlike_", /* float16, bfloat16, string */
	"test_edge_pad", /* Pad modes other than constant */
	"test_reflect_pad",
	"test_training_dropout", /* training */
};

static bool op_supported(const char *op)
{
	size_t i;

	for (i = 0; i < sizeof(supported_ops) / sizeof(supported_ops[0]); i++)
		if (!strcmp(op, supported_ops[i]))
			return true;
	return false;
}

static const char *scope_reason(const char *test)
{
	size_t i;

	for (i = 0; i < sizeof(out_of_scope) / sizeof(out_of_scope[0]); i++)
		if (!strncmp(test, out_of_scope[i], strlen(out_of_scope[i])))
			return out_of_scope[i];
	return NULL;
}

enum { NT_PASS, NT_SKIP, NT_OUT, NT_FAIL };

static int cmp_tensor(const char *test, const char *what, const float *got,
		      const struct vis_tensor *want, int64_t n)
{
	int64_t i;

	for (i = 0; i < n; i++) {
		double g = got[i], w = want->data[i];

		if (isnan(g) && isnan(w))
			continue;
		if (isinf(w) && g == w)
			continue;
		if (!(fabs(g - w) <= ATOL + RTOL * fabs(w))) {
			fprintf(stderr, "# %s: %s[%lld] = %.9g, want %.9g\n",
				test, what, (long long)i, g, w);
			return -1;
		}
	}
	return 0;
}

/* Run one data set of a node test through @g; 0 when it matches. */
static int run_dataset(const char *test, const char *dir, struct vis_graph *g,
		       int threads)
{
	struct vis_tensor ins[16], outs[16];
	const float *inp[16];
	struct vis_interp *ip = NULL;
	struct vis_error err;
	char path[1024];
	int nin = 0, nout = 0, i, ret = -1;
	void *buf;
	size_t len;

	memset(ins, 0, sizeof(ins));
	memset(outs, 0, sizeof(outs));
	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "%s/input_%d.pb", dir, i);
		buf = slurp(path, &len);
		if (!buf)
			break;
		ret = vis_onnx_read_tensor(buf, len, &ins[nin], &err);
		free(buf);
		if (ret) {
			fprintf(stderr, "# %s: %s: %s\n", test, path, err.msg);
			goto out;
		}
		nin++;
	}
	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "%s/output_%d.pb", dir, i);
		buf = slurp(path, &len);
		if (!buf)
			break;
		ret = vis_onnx_read_tensor(buf, len, &outs[nout], &err);
		free(buf);
		if (ret) {
			fprintf(stderr, "# %s: %s: %s\n", test, path, err.msg);
			goto out;
		}
		nout++;
	}
	ret = -1;
	/* Inputs the model turned into constants are not fed. */
	if (nin < g->ninputs || nout != g->noutputs) {
		fprintf(stderr, "# %s: %d/%d inputs, %d/%d outputs\n", test,
			nin, g->ninputs, nout, g->noutputs);
		goto out;
	}
	for (i = 0; i < g->ninputs; i++) {
		struct vis_tensor *t = &g->tensors[g->inputs[i]];

		if (vis_tensor_numel(t) != vis_tensor_numel(&ins[i])) {
			fprintf(stderr, "# %s: input %d size differs\n", test,
				i);
			goto out;
		}
		inp[i] = ins[i].data;
	}
	if (vis_interp_create(g, threads, &ip, &err) ||
	    vis_interp_run(ip, inp, NULL, &err)) {
		fprintf(stderr, "# %s: run: %s\n", test, err.msg);
		goto out;
	}
	ret = 0;
	for (i = 0; i < nout && !ret; i++) {
		const struct vis_tensor *t = &g->tensors[g->outputs[i]];

		if (vis_tensor_numel(t) != vis_tensor_numel(&outs[i])) {
			fprintf(stderr, "# %s: output %d has %lld, want %lld\n",
				test, i, (long long)vis_tensor_numel(t),
				(long long)vis_tensor_numel(&outs[i]));
			ret = -1;
			break;
		}
		ret = cmp_tensor(test, t->name,
				 vis_interp_tensor(ip, g->outputs[i]), &outs[i],
				 vis_tensor_numel(t));
	}
out:
	vis_interp_destroy(ip);
	for (i = 0; i < nin; i++)
		vis_onnx_tensor_free(&ins[i]);
	for (i = 0; i < nout; i++)
		vis_onnx_tensor_free(&outs[i]);
	return ret;
}

/* Operator types used by a model file; false when unreadable. */
static bool model_ops_supported(const void *buf, size_t len, char *first,
				size_t flen)
{
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
	bool ok = true;
	size_t i;

	if (!m || !m->graph) {
		if (m)
			onnx__model_proto__free_unpacked(m, NULL);
		return false;
	}
	for (i = 0; i < m->graph->n_node; i++) {
		const Onnx__NodeProto *np = m->graph->node[i];

		if ((np->domain && *np->domain) || !op_supported(np->op_type)) {
			snprintf(first, flen, "%s", np->op_type);
			ok = false;
			break;
		}
	}
	onnx__model_proto__free_unpacked(m, NULL);
	return ok;
}

/* Import with every graph input but the first bound to data set 0. */
static int import_bound(const char *name, const void *buf, size_t len,
			struct vis_graph **g, struct vis_error *err)
{
	struct vis_onnx_const consts[16];
	struct vis_tensor vals[16];
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
	char path[1024];
	int i, n = 0, ret;
	size_t dlen;
	void *data;

	if (!m || !m->graph)
		return -EINVAL;
	for (i = 1; i < (int)m->graph->n_input && n < 16; i++) {
		snprintf(path, sizeof(path),
			 "%s/%s/test_data_set_0/input_%d.pb", ONNX_NODE_DIR,
			 name, i);
		data = slurp(path, &dlen);
		if (!data)
			break;
		ret = vis_onnx_read_tensor(data, dlen, &vals[n], err);
		free(data);
		if (ret)
			break;
		consts[n].name = m->graph->input[i]->name;
		consts[n].value = &vals[n];
		n++;
	}
	ret = vis_onnx_import_consts(buf, len, consts, n, g, err);
	for (i = 0; i < n; i++)
		vis_onnx_tensor_free(&vals[i]);
	onnx__model_proto__free_unpacked(m, NULL);
	return ret;
}

/*
 * A few tests predate opset 9 for operators whose definition has not
 * changed since (GlobalAveragePool-1, HardSigmoid-6): the same model at
 * opset 9 means the same thing. Returns a repacked model or NULL.
 */
static void *raise_opset(const void *buf, size_t *len)
{
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, *len, buf);
	uint8_t *out = NULL;
	size_t i;

	if (!m || !m->graph)
		goto done;
	for (i = 0; i < m->graph->n_node; i++)
		if (strcmp(m->graph->node[i]->op_type, "GlobalAveragePool") &&
		    strcmp(m->graph->node[i]->op_type, "HardSigmoid"))
			goto done;
	for (i = 0; i < m->n_opset_import; i++)
		if (m->opset_import[i]->version < 9)
			m->opset_import[i]->version = 9;
	*len = onnx__model_proto__get_packed_size(m);
	out = malloc(*len);
	if (out)
		onnx__model_proto__pack(m, out);
done:
	if (m)
		onnx__model_proto__free_unpacked(m, NULL);
	return out;
}

static int node_test(const char *name, int threads)
{
	char path[1024], other[64] = "", dsdir[1024];
	struct vis_graph *g = NULL, *p = NULL;
	struct vis_error err = { "" };
	const char *why;
	int ret, ds, status = NT_PASS;
	void *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s/model.onnx", ONNX_NODE_DIR, name);
	buf = slurp(path, &len);
	if (!buf)
		return NT_SKIP;
	if (!model_ops_supported(buf, len, other, sizeof(other))) {
		free(buf);
		return NT_SKIP;
	}
	why = scope_reason(name);
	ret = vis_onnx_import(buf, len, &g, &err);
	/*
	 * Static shapes: inputs that decide a shape (Reshape's shape,
	 * Resize's scales, ...) are bound to data set 0's values.
	 */
	if (ret == -ENOTSUP && strstr(err.msg, "must be a constant"))
		ret = import_bound(name, buf, len, &g, &err);
	if (ret == -ENOTSUP && strstr(err.msg, "opset")) {
		void *up = raise_opset(buf, &len);

		if (up) {
			free(buf);
			buf = up;
			ret = vis_onnx_import(buf, len, &g, &err);
		}
	}
	free(buf);
	if (ret == -ENOTSUP && strstr(err.msg, "opset")) {
		fprintf(stderr, "# %s: out of scope: %s\n", name, err.msg);
		return NT_OUT;
	}
	if (ret) {
		if (why) {
			fprintf(stderr, "# %s: out of scope: %s\n", name,
				err.msg);
			return NT_OUT;
		}
		fprintf(stderr, "# %s: import failed: %s\n", name, err.msg);
		return NT_FAIL;
	}
	/* The passes must keep the results too (NHWC included). */
	p = vis_graph_clone(g);
	if (!p || vis_graph_optimize(p, VIS_PASS_ALL | VIS_PASS_KEEP_IO_LAYOUT,
				     &err)) {
		fprintf(stderr, "# %s: passes failed: %s\n", name, err.msg);
		status = NT_FAIL;
	}
	for (ds = 0; status == NT_PASS; ds++) {
		snprintf(dsdir, sizeof(dsdir), "%s/%s/test_data_set_%d",
			 ONNX_NODE_DIR, name, ds);
		if (access(dsdir, R_OK))
			break;
		if (run_dataset(name, dsdir, g, threads) ||
		    run_dataset(name, dsdir, p, threads))
			status = NT_FAIL;
	}
	if (why && status == NT_PASS)
		fprintf(stderr, "# %s: listed out of scope but passes\n", name);
	vis_graph_destroy(g);
	vis_graph_destroy(p);
	return status;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

TEST(onnx_node_tests)
{
	struct dirent **list;
	int n, i, cnt[4] = { 0 };

	n = scandir(ONNX_NODE_DIR, &list, NULL, by_name);
	if (n < 0)
		SKIP(return, "%s missing: install libonnx-testdata",
			   ONNX_NODE_DIR);
	for (i = 0; i < n; i++) {
		if (!strncmp(list[i]->d_name, "test_", 5))
			cnt[node_test(list[i]->d_name, 2)]++;
		free(list[i]);
	}
	free(list);
	TH_LOG("ONNX node tests: %d passed, %d out of scope, %d failed, %d with operators outside the supported set",
	       cnt[NT_PASS], cnt[NT_OUT], cnt[NT_FAIL], cnt[NT_SKIP]);
	EXPECT_EQ(0, cnt[NT_FAIL]);
	EXPECT_LT(150, cnt[NT_PASS]);
}

/* ---- models built here ----------------------------------------------------- */

/* Everything the builders allocate, freed at once by mb_free(). */
static void *mb_ptrs[4096];
static int mb_n;

static void *mb_alloc(size_t size)
{
	void *p = calloc(1, size);

	if (p && mb_n < 4096)
		mb_ptrs[mb_n++] = p;
	return p;
}

static void mb_free(void)
{
	while (mb_n)
		free(mb_ptrs[--mb_n]);
}

static char *mb_str(const char *s)
{
	char *p = mb_alloc(strlen(s) + 1);

	strcpy(p, s);
	return p;
}

/* Append @item to a protobuf-c repeated field (capacity 64). */
#define PUSH(count, arr, item)                                 \
	do {                                                   \
		if (!(arr))                                    \
			(arr) = mb_alloc(64 * sizeof(*(arr))); \
		(arr)[(count)++] = (item);                     \
	} while (0)

struct mb {
	Onnx__ModelProto *m;
	Onnx__GraphProto *g;
};

static struct mb mb_new(int opset)
{
	struct mb b;
	Onnx__OperatorSetIdProto *o = mb_alloc(sizeof(*o));

	b.m = mb_alloc(sizeof(*b.m));
	b.g = mb_alloc(sizeof(*b.g));
	onnx__model_proto__init(b.m);
	onnx__graph_proto__init(b.g);
	onnx__operator_set_id_proto__init(o);
	o->domain = mb_str("");
	o->has_version = 1;
	o->version = opset;
	b.m->has_ir_version = 1;
	b.m->ir_version = 8;
	b.m->producer_name = mb_str("pytorch");
	b.m->graph = b.g;
	b.g->name = mb_str("torch_jit");
	PUSH(b.m->n_opset_import, b.m->opset_import, o);
	return b;
}

static Onnx__ValueInfoProto *mb_vi(const char *name, int rank,
				   const int64_t *dims, const char *sym0)
{
	Onnx__ValueInfoProto *vi = mb_alloc(sizeof(*vi));
	Onnx__TypeProto *tp = mb_alloc(sizeof(*tp));
	Onnx__TypeProto__Tensor *tt = mb_alloc(sizeof(*tt));
	Onnx__TensorShapeProto *sp = mb_alloc(sizeof(*sp));
	int i;

	onnx__value_info_proto__init(vi);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(sp);
	for (i = 0; i < rank; i++) {
		Onnx__TensorShapeProto__Dimension *d = mb_alloc(sizeof(*d));

		onnx__tensor_shape_proto__dimension__init(d);
		if (i == 0 && sym0) {
			d->value_case =
				ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			d->dim_param = mb_str(sym0);
		} else {
			d->value_case =
				ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			d->dim_value = dims[i];
		}
		PUSH(sp->n_dim, sp->dim, d);
	}
	tt->has_elem_type = 1;
	tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	tt->shape = sp;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	vi->name = mb_str(name);
	vi->type = tp;
	return vi;
}

static void mb_input(struct mb *b, const char *name, int rank,
		     const int64_t *dims, const char *sym0)
{
	PUSH(b->g->n_input, b->g->input, mb_vi(name, rank, dims, sym0));
}

static void mb_output(struct mb *b, const char *name, int rank,
		      const int64_t *dims)
{
	PUSH(b->g->n_output, b->g->output, mb_vi(name, rank, dims, "N"));
}

/* A float tensor: raw_data when @raw, else float_data. */
static Onnx__TensorProto *mb_tensor(const char *name, int rank,
				    const int64_t *dims, const float *vals,
				    bool raw)
{
	Onnx__TensorProto *t = mb_alloc(sizeof(*t));
	int64_t n = 1;
	int i;

	onnx__tensor_proto__init(t);
	t->name = mb_str(name);
	t->has_data_type = 1;
	t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	t->dims = mb_alloc(sizeof(int64_t) * (rank + 1));
	for (i = 0; i < rank; i++) {
		t->dims[i] = dims[i];
		n *= dims[i];
	}
	t->n_dims = rank;
	if (raw) {
		t->has_raw_data = 1;
		t->raw_data.len = n * sizeof(float);
		t->raw_data.data = mb_alloc(n * sizeof(float) + 1);
		memcpy(t->raw_data.data, vals, n * sizeof(float));
	} else {
		t->n_float_data = n;
		t->float_data = mb_alloc(n * sizeof(float) + 1);
		memcpy(t->float_data, vals, n * sizeof(float));
	}
	return t;
}

static Onnx__TensorProto *mb_int_tensor(const char *name, int type, int rank,
					const int64_t *dims,
					const int64_t *vals, int64_t n)
{
	Onnx__TensorProto *t = mb_alloc(sizeof(*t));
	int64_t i;

	onnx__tensor_proto__init(t);
	t->name = mb_str(name);
	t->has_data_type = 1;
	t->data_type = type;
	t->dims = mb_alloc(sizeof(int64_t) * (rank + 1));
	if (rank)
		memcpy(t->dims, dims, sizeof(int64_t) * rank);
	t->n_dims = rank;
	if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
		t->n_int64_data = n;
		t->int64_data = mb_alloc(sizeof(int64_t) * (n + 1));
		memcpy(t->int64_data, vals, sizeof(int64_t) * n);
	} else {
		t->n_int32_data = n;
		t->int32_data = mb_alloc(sizeof(int32_t) * (n + 1));
		for (i = 0; i < n; i++)
			t->int32_data[i] = (int32_t)vals[i];
	}
	return t;
}

static void mb_init(struct mb *b, Onnx__TensorProto *t)
{
	PUSH(b->g->n_initializer, b->g->initializer, t);
}

static Onnx__NodeProto *mb_node(struct mb *b, const char *name, const char *op,
				const char *ins, const char *outs)
{
	Onnx__NodeProto *n = mb_alloc(sizeof(*n));
	char buf[512], *tok, *save;

	onnx__node_proto__init(n);
	n->name = mb_str(name);
	n->op_type = mb_str(op);
	snprintf(buf, sizeof(buf), "%s", ins);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		PUSH(n->n_input, n->input, mb_str(strcmp(tok, "-") ? tok : ""));
	snprintf(buf, sizeof(buf), "%s", outs);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		PUSH(n->n_output, n->output, mb_str(tok));
	PUSH(b->g->n_node, b->g->node, n);
	return n;
}

static void mb_ints(Onnx__NodeProto *n, const char *name, int cnt,
		    const int64_t *v)
{
	Onnx__AttributeProto *a = mb_alloc(sizeof(*a));

	onnx__attribute_proto__init(a);
	a->name = mb_str(name);
	a->has_type = 1;
	a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
	a->ints = mb_alloc(sizeof(int64_t) * (cnt + 1));
	memcpy(a->ints, v, sizeof(int64_t) * cnt);
	a->n_ints = cnt;
	PUSH(n->n_attribute, n->attribute, a);
}

static void mb_int(Onnx__NodeProto *n, const char *name, int64_t v)
{
	Onnx__AttributeProto *a = mb_alloc(sizeof(*a));

	onnx__attribute_proto__init(a);
	a->name = mb_str(name);
	a->has_type = 1;
	a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
	a->has_i = 1;
	a->i = v;
	PUSH(n->n_attribute, n->attribute, a);
}

static void mb_float(Onnx__NodeProto *n, const char *name, float v)
{
	Onnx__AttributeProto *a = mb_alloc(sizeof(*a));

	onnx__attribute_proto__init(a);
	a->name = mb_str(name);
	a->has_type = 1;
	a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
	a->has_f = 1;
	a->f = v;
	PUSH(n->n_attribute, n->attribute, a);
}

static void mb_tensor_attr(Onnx__NodeProto *n, Onnx__TensorProto *t)
{
	Onnx__AttributeProto *a = mb_alloc(sizeof(*a));

	onnx__attribute_proto__init(a);
	a->name = mb_str("value");
	a->has_type = 1;
	a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
	a->t = t;
	PUSH(n->n_attribute, n->attribute, a);
}

/* Serialize (malloc'ed; the caller frees). */
static uint8_t *mb_pack(const struct mb *b, size_t *len)
{
	uint8_t *buf;

	*len = onnx__model_proto__get_packed_size(b->m);
	buf = malloc(*len + 1);
	onnx__model_proto__pack(b->m, buf);
	return buf;
}

static float rnd_state = 0.37f;

static float frnd(void)
{
	rnd_state = rnd_state * 3.9f * (1 - rnd_state);
	return rnd_state - 0.5f;
}

static float *mb_rand(int64_t n)
{
	float *p = mb_alloc(sizeof(float) * (n + 1));
	int64_t i;

	for (i = 0; i < n; i++)
		p[i] = frnd();
	return p;
}

/*
 * What torch.onnx.export (1.13, opset 13) writes for a small CNN:
 * Conv -> BatchNormalization -> Relu -> MaxPool -> depthwise Conv ->
 * HardSwish -> Add (residual) -> x.view(x.size(0), -1) as
 * Shape/Gather/Unsqueeze/Concat/Reshape -> Gemm(transB).
 * Shapes: x [N,1,8,8], 4 channels, 10 classes.
 */
#define CH 4
struct cnn_w {
	float *w1, *b1, *s, *bb, *m, *v, *wd, *bd, *wf, *bf;
};

static struct mb torch_cnn(struct cnn_w *w)
{
	struct mb b = mb_new(13);
	int64_t d4[4] = { 1, 1, 8, 8 }, k[2] = { 3, 3 }, p[4] = { 1, 1, 1, 1 };
	int64_t s2[2] = { 2, 2 }, dw[4] = { CH, 1, 3, 3 }, c1[1] = { CH };
	int64_t wd1[4] = { CH, 1, 3, 3 }, fw[2] = { 10, CH * 16 };
	int64_t nb[1] = { 10 }, zero = 0, minus1 = -1, one[1] = { 1 };
	int64_t od[2] = { 1, 10 };
	Onnx__NodeProto *n;
	int i;

	w->w1 = mb_rand(CH * 9);
	w->b1 = mb_rand(CH);
	w->s = mb_rand(CH);
	w->bb = mb_rand(CH);
	w->m = mb_rand(CH);
	w->v = mb_rand(CH);
	for (i = 0; i < CH; i++)
		w->v[i] = 0.6f + w->v[i];
	w->wd = mb_rand(CH * 9);
	w->bd = mb_rand(CH);
	w->wf = mb_rand(10 * CH * 16);
	w->bf = mb_rand(10);
	mb_input(&b, "input", 4, d4, "batch_size");
	mb_init(&b, mb_tensor("conv1.weight", 4, wd1, w->w1, true));
	mb_init(&b, mb_tensor("conv1.bias", 1, c1, w->b1, true));
	mb_init(&b, mb_tensor("bn1.weight", 1, c1, w->s, false));
	mb_init(&b, mb_tensor("bn1.bias", 1, c1, w->bb, false));
	mb_init(&b, mb_tensor("bn1.running_mean", 1, c1, w->m, false));
	mb_init(&b, mb_tensor("bn1.running_var", 1, c1, w->v, false));
	mb_init(&b, mb_tensor("dw.weight", 4, dw, w->wd, true));
	mb_init(&b, mb_tensor("dw.bias", 1, c1, w->bd, true));
	mb_init(&b, mb_tensor("fc.weight", 2, fw, w->wf, true));
	mb_init(&b, mb_tensor("fc.bias", 1, nb, w->bf, true));
	n = mb_node(&b, "/conv1/Conv", "Conv", "input,conv1.weight,conv1.bias",
		    "/conv1/Conv_output_0");
	mb_ints(n, "kernel_shape", 2, k);
	mb_ints(n, "pads", 4, p);
	n = mb_node(
		&b, "/bn1/BatchNormalization", "BatchNormalization",
		"/conv1/Conv_output_0,bn1.weight,bn1.bias,bn1.running_mean,bn1.running_var",
		"/bn1/BatchNormalization_output_0");
	mb_float(n, "epsilon", 1e-5f);
	mb_node(&b, "/Relu", "Relu", "/bn1/BatchNormalization_output_0",
		"/Relu_output_0");
	n = mb_node(&b, "/MaxPool", "MaxPool", "/Relu_output_0",
		    "/MaxPool_output_0");
	mb_ints(n, "kernel_shape", 2, s2);
	mb_ints(n, "strides", 2, s2);
	n = mb_node(&b, "/dw/Conv", "Conv",
		    "/MaxPool_output_0,dw.weight,dw.bias", "/dw/Conv_output_0");
	mb_int(n, "group", CH);
	mb_ints(n, "pads", 4, p);
	mb_node(&b, "/HardSwish", "HardSwish", "/dw/Conv_output_0",
		"/HardSwish_output_0");
	mb_node(&b, "/Add", "Add", "/HardSwish_output_0,/MaxPool_output_0",
		"/Add_output_0");
	mb_node(&b, "/Shape", "Shape", "/Add_output_0", "/Shape_output_0");
	n = mb_node(&b, "/Constant", "Constant", "", "/Constant_output_0");
	mb_tensor_attr(n,
		       mb_int_tensor("", ONNX__TENSOR_PROTO__DATA_TYPE__INT64,
				     0, NULL, &zero, 1));
	n = mb_node(&b, "/Gather", "Gather",
		    "/Shape_output_0,/Constant_output_0", "/Gather_output_0");
	mb_int(n, "axis", 0);
	n = mb_node(&b, "/Constant_1", "Constant", "", "/Constant_1_output_0");
	mb_tensor_attr(n,
		       mb_int_tensor("", ONNX__TENSOR_PROTO__DATA_TYPE__INT64,
				     1, one, &zero, 1));
	mb_node(&b, "/Unsqueeze", "Unsqueeze",
		"/Gather_output_0,/Constant_1_output_0", "/Unsqueeze_output_0");
	n = mb_node(&b, "/Constant_2", "Constant", "", "/Constant_2_output_0");
	mb_tensor_attr(n,
		       mb_int_tensor("", ONNX__TENSOR_PROTO__DATA_TYPE__INT64,
				     1, one, &minus1, 1));
	n = mb_node(&b, "/Concat", "Concat",
		    "/Unsqueeze_output_0,/Constant_2_output_0",
		    "/Concat_output_0");
	mb_int(n, "axis", 0);
	mb_node(&b, "/Reshape", "Reshape", "/Add_output_0,/Concat_output_0",
		"/Reshape_output_0");
	n = mb_node(&b, "/fc/Gemm", "Gemm",
		    "/Reshape_output_0,fc.weight,fc.bias", "output");
	mb_float(n, "alpha", 1.0f);
	mb_float(n, "beta", 1.0f);
	mb_int(n, "transB", 1);
	mb_output(&b, "output", 2, od);
	return b;
}

/* The same network by hand from its definition, in double. */
static void torch_cnn_ref(const struct cnn_w *w, const float *x, double *y)
{
	double c[CH][8][8], p[CH][4][4], a[CH][4][4];
	int o, i, j, u, v;

	for (o = 0; o < CH; o++)
		for (i = 0; i < 8; i++)
			for (j = 0; j < 8; j++) {
				double s = w->b1[o], t;

				for (u = 0; u < 3; u++)
					for (v = 0; v < 3; v++)
						if (i + u - 1 >= 0 &&
						    i + u - 1 < 8 &&
						    j + v - 1 >= 0 &&
						    j + v - 1 < 8)
							s += x[(i + u - 1) * 8 +
							       j + v - 1] *
							     (double)w
								     ->w1[o * 9 +
									  u * 3 +
									  v];
				t = (s - w->m[o]) / sqrt(w->v[o] + 1e-5) *
					    w->s[o] +
				    w->bb[o];
				c[o][i][j] = t > 0 ? t : 0;
			}
	for (o = 0; o < CH; o++)
		for (i = 0; i < 4; i++)
			for (j = 0; j < 4; j++)
				p[o][i][j] =
					fmax(fmax(c[o][2 * i][2 * j],
						  c[o][2 * i][2 * j + 1]),
					     fmax(c[o][2 * i + 1][2 * j],
						  c[o][2 * i + 1][2 * j + 1]));
	for (o = 0; o < CH; o++)
		for (i = 0; i < 4; i++)
			for (j = 0; j < 4; j++) {
				double s = w->bd[o], hs;

				for (u = 0; u < 3; u++)
					for (v = 0; v < 3; v++)
						if (i + u - 1 >= 0 &&
						    i + u - 1 < 4 &&
						    j + v - 1 >= 0 &&
						    j + v - 1 < 4)
							s += p[o][i + u - 1]
							      [j + v - 1] *
							     w->wd[o * 9 +
								   u * 3 + v];
				hs = fmin(fmax(s / 6 + 0.5, 0), 1);
				a[o][i][j] = s * hs + p[o][i][j];
			}
	for (o = 0; o < 10; o++) {
		double s = w->bf[o];

		for (i = 0; i < CH * 16; i++)
			s += ((double *)a)[i] * w->wf[o * CH * 16 + i];
		y[o] = s;
	}
}

TEST(pytorch_style_cnn)
{
	struct cnn_w w;
	struct mb b = torch_cnn(&w);
	struct vis_graph *g = NULL, *p;
	struct vis_error err = { "" };
	struct vis_interp *ip;
	float x[64], y[10];
	const float *inp[1] = { x };
	float *outp[1] = { y };
	double want[10];
	uint8_t *buf;
	size_t len;
	int i, t;

	for (i = 0; i < 64; i++)
		x[i] = frnd();
	torch_cnn_ref(&w, x, want);
	buf = mb_pack(&b, &len);
	ASSERT_EQ(0, vis_onnx_import(buf, len, &g, &err))
	TH_LOG("%s", err.msg);
	/* The Shape chain is folded: 9 nodes, Reshape to [1, 64]. */
	EXPECT_EQ(9, g->nnodes);
	EXPECT_EQ(VIS_OP_RESHAPE, g->nodes[7].op);
	t = g->nodes[7].outputs[0];
	EXPECT_EQ(2, g->tensors[t].rank);
	EXPECT_EQ(CH * 16, g->tensors[t].dims[1]);
	EXPECT_EQ(1, g->tensors[g->inputs[0]].dims[0]);
	ASSERT_EQ(0, vis_interp_create(g, 2, &ip, &err));
	ASSERT_EQ(0, vis_interp_run(ip, inp, outp, &err));
	vis_interp_destroy(ip);
	for (i = 0; i < 10; i++) {
		EXPECT_GT(1e-4, fabs(y[i] - want[i]) / (1e-2 + fabs(want[i])))
		TH_LOG("output %d: %g, want %g", i, y[i], want[i]);
	}
	/* Optimized and NHWC: Conv(+BN+Relu), MaxPool, Conv, HardSwish, Add,
	 * Reshape, FC; the flatten's transpose went into the FC weights. */
	p = vis_graph_clone(g);
	ASSERT_EQ(0, vis_graph_optimize(p, VIS_PASS_ALL, &err))
	TH_LOG("%s", err.msg);
	for (i = 0; i < p->nnodes; i++)
		EXPECT_NE(VIS_OP_TRANSPOSE, p->nodes[i].op);
	EXPECT_EQ(7, p->nnodes);
	ASSERT_EQ(0, vis_interp_create(p, 1, &ip, &err));
	ASSERT_EQ(0, vis_interp_run(ip, inp, outp, &err));
	vis_interp_destroy(ip);
	for (i = 0; i < 10; i++) {
		EXPECT_GT(1e-4, fabs(y[i] - want[i]) / (1e-2 + fabs(want[i])))
		TH_LOG("optimized output %d: %g, want %g", i, y[i], want[i]);
	}
	/* Every truncation is refused with a message, never a crash. */
	for (i = 0; i < (int)len; i++) {
		struct vis_graph *bad = NULL;

		err.msg[0] = 0;
		EXPECT_GT(0, vis_onnx_import(buf, i, &bad, &err))
		TH_LOG("prefix of %d bytes imported", i);
		EXPECT_NE(0, err.msg[0]);
		EXPECT_EQ(NULL, bad);
	}
	free(buf);
	vis_graph_destroy(g);
	vis_graph_destroy(p);
	mb_free();
}

TEST(qdq_model)
{
	struct mb b = mb_new(13);
	int64_t d2[2] = { 1, 4 }, one = 1, q[4] = { -3, 0, 5, 127 };
	float s = 0.1f, x[4] = { -0.26f, 0.05f, 0.15f, 99.0f }, y[4];
	float sw = 0.5f, wanted[4];
	int64_t zp = 3, zw = 0;
	struct vis_graph *g = NULL;
	struct vis_error err = { "" };
	struct vis_interp *ip;
	const float *inp[1] = { x };
	float *outp[1] = { y };
	uint8_t *buf;
	size_t len;
	int i, t;

	mb_input(&b, "x", 2, d2, NULL);
	mb_init(&b, mb_tensor("s", 0, NULL, &s, false));
	mb_init(&b, mb_int_tensor("z", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 0,
				  NULL, &zp, 1));
	mb_init(&b, mb_int_tensor("wq", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 2,
				  d2, q, 4));
	mb_init(&b, mb_tensor("sw", 0, NULL, &sw, true));
	mb_init(&b, mb_int_tensor("zw", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 0,
				  NULL, &zw, 1));
	mb_node(&b, "q", "QuantizeLinear", "x,s,z", "xq");
	mb_node(&b, "dq", "DequantizeLinear", "xq,s,z", "xd");
	mb_node(&b, "dqw", "DequantizeLinear", "wq,sw,zw", "w");
	mb_node(&b, "mul", "Mul", "xd,w", "y");
	mb_output(&b, "y", 2, d2);
	buf = mb_pack(&b, &len);
	ASSERT_EQ(0, vis_onnx_import(buf, len, &g, &err))
	TH_LOG("%s", err.msg);
	/* The weights' DequantizeLinear is folded: Q, DQ, Mul remain. */
	EXPECT_EQ(3, g->nnodes);
	t = vis_graph_find_tensor(g, "xq");
	ASSERT_LE(0, t);
	EXPECT_EQ(VIS_DT_INT8, g->tensors[t].dtype);
	EXPECT_EQ(1, g->tensors[t].quant.count);
	EXPECT_EQ(3, g->tensors[t].quant.zero_point[0]);
	t = vis_graph_find_tensor(g, "w");
	ASSERT_LE(0, t);
	EXPECT_NE(NULL, g->tensors[t].data);
	EXPECT_EQ(0.5f, g->tensors[t].quant.scale[0]);
	ASSERT_EQ(0, vis_interp_create(g, 1, &ip, &err));
	ASSERT_EQ(0, vis_interp_run(ip, inp, outp, &err));
	vis_interp_destroy(ip);
	/* q = saturate(round_half_even(x / s) + z); x' = (q - z) * s. */
	for (i = 0; i < 4; i++) {
		double r = nearbyint(x[i] / s) + zp;

		r = r < -128 ? -128 : r > 127 ? 127 : r;
		wanted[i] = (float)((r - zp) * s * (q[i] * sw));
		EXPECT_GT(1e-6, fabs(y[i] - wanted[i]))
		TH_LOG("%d: %g want %g", i, y[i], wanted[i]);
	}
	(void)one;
	free(buf);
	vis_graph_destroy(g);
	mb_free();
}

/* Import must fail with @errnum and a message containing @needle. */
static void expect_bad(struct __test_metadata *_metadata, struct mb *b,
		       int errnum, const char *needle)
{
	struct vis_graph *g = NULL;
	struct vis_error err = { "" };
	uint8_t *buf;
	size_t len;
	int ret;

	buf = mb_pack(b, &len);
	ret = vis_onnx_import(buf, len, &g, &err);
	free(buf);
	EXPECT_EQ(-errnum, ret)
	TH_LOG("want %s, got %d: %s", needle, ret, err.msg);
	/* errnum 0: the base model, which must import. */
	EXPECT_EQ(!errnum, g != NULL);
	EXPECT_NE(NULL, strstr(err.msg, needle))
	TH_LOG("message '%s' lacks '%s'", err.msg, needle);
	vis_graph_destroy(g);
	mb_free();
}

/* x [1,4] -> Relu -> y, the base of the bad models. */
static struct mb tiny(int opset)
{
	struct mb b = mb_new(opset);
	int64_t d[2] = { 1, 4 };

	mb_input(&b, "x", 2, d, NULL);
	mb_node(&b, "r", "Relu", "x", "y");
	mb_output(&b, "y", 2, d);
	return b;
}

TEST(bad_models)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x0f,
					   0x42, 0x99, 0x01, 0x12, 0x34 };
	struct vis_graph *g = NULL;
	struct vis_error err = { "" };
	int64_t d[2] = { 1, 4 }, d3[2] = { 1, 3 };
	float four[4] = { 1, 2, 3, 4 };
	Onnx__NodeProto *n;
	Onnx__TensorProto *t;
	struct mb b;

	EXPECT_EQ(-EINVAL, vis_onnx_import(garbage, sizeof(garbage), &g, &err));
	EXPECT_NE(NULL, strstr(err.msg, "not an ONNX model"));
	EXPECT_EQ(-EINVAL, vis_onnx_import(garbage, 0, &g, &err));
	EXPECT_GT(0, vis_onnx_import_file("/nonexistent.onnx", &g, &err));
	EXPECT_NE(NULL, strstr(err.msg, "/nonexistent.onnx"));
	EXPECT_GT(0, vis_onnx_import_file("/", &g, &err));

	b = tiny(13);
	expect_bad(_metadata, &b, 0, "");
	b = tiny(8);
	expect_bad(_metadata, &b, ENOTSUP, "opset 8");
	b = tiny(19);
	expect_bad(_metadata, &b, ENOTSUP, "opset 19");

	/* Unsupported operator: named by node and type. */
	b = tiny(13);
	mb_node(&b, "my_einsum", "Einsum", "y", "z");
	expect_bad(_metadata, &b, ENOTSUP, "'my_einsum' (Einsum)");
	b = tiny(13);
	n = mb_node(&b, "custom", "Relu", "y", "z");
	n->domain = mb_str("com.microsoft");
	expect_bad(_metadata, &b, ENOTSUP, "com.microsoft");

	/* Missing initializer / unknown tensor. */
	b = tiny(13);
	mb_node(&b, "add", "Add", "y,bias", "z");
	expect_bad(_metadata, &b, EINVAL, "'bias' is not defined");

	/* A cycle: a node reading what a later node writes. */
	b = mb_new(13);
	mb_input(&b, "x", 2, d, NULL);
	mb_node(&b, "a", "Add", "x,b_out", "a_out");
	mb_node(&b, "b", "Relu", "a_out", "b_out");
	mb_output(&b, "b_out", 2, d);
	expect_bad(_metadata, &b, EINVAL, "not defined before");

	/* Shapes that do not broadcast. */
	b = tiny(13);
	mb_init(&b, mb_tensor("c3", 2, d3, four, true));
	mb_node(&b, "add", "Add", "y,c3", "z");
	expect_bad(_metadata, &b, EINVAL, "do not broadcast");

	/* Declared output shape differs from the computed one. */
	b = mb_new(13);
	mb_input(&b, "x", 2, d, NULL);
	mb_node(&b, "r", "Relu", "x", "y");
	mb_output(&b, "y", 2, d3);
	expect_bad(_metadata, &b, EINVAL, "does not match");

	/* Gemm with mismatched inner dimensions. */
	b = tiny(13);
	mb_init(&b, mb_tensor("w", 2, d3, four, false));
	n = mb_node(&b, "fc", "Gemm", "y,w", "z");
	mb_int(n, "transB", 1);
	expect_bad(_metadata, &b, EINVAL, "inner dimensions");

	/* raw_data of the wrong size. */
	b = tiny(13);
	t = mb_tensor("w", 2, d, four, true);
	t->raw_data.len = 12;
	mb_init(&b, t);
	expect_bad(_metadata, &b, EINVAL, "does not match its shape");

	/* External data. */
	b = tiny(13);
	t = mb_tensor("w", 2, d, four, false);
	t->n_float_data = 0;
	t->has_data_location = 1;
	t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	mb_init(&b, t);
	expect_bad(_metadata, &b, ENOTSUP, "external data");

	/* A symbolic dimension other than the batch. */
	b = mb_new(13);
	mb_input(&b, "x", 2, d, NULL);
	b.g->input[0]->type->tensor_type->shape->dim[1]->value_case =
		ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
	b.g->input[0]->type->tensor_type->shape->dim[1]->dim_param =
		mb_str("width");
	mb_node(&b, "r", "Relu", "x", "y");
	mb_output(&b, "y", 2, d);
	expect_bad(_metadata, &b, ENOTSUP, "not a fixed size");

	/* Reshape to a shape computed at run time. */
	b = tiny(13);
	mb_input(&b, "shape", 1, d, NULL);
	mb_node(&b, "rs", "Reshape", "y,shape", "z");
	expect_bad(_metadata, &b, ENOTSUP, "must be a constant");

	/* Output nobody computes; a tensor written twice. */
	b = tiny(13);
	mb_output(&b, "nowhere", 2, d);
	expect_bad(_metadata, &b, EINVAL, "'nowhere' is not computed");
	b = tiny(13);
	mb_node(&b, "r2", "Relu", "x", "y");
	expect_bad(_metadata, &b, EINVAL, "written twice");
}

TEST_HARNESS_MAIN
