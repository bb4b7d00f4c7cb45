// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * ONNX's own operator test vectors against the engine. Debian's
 * libonnx-testdata ships ONNX's node tests as protobuf files: a one-node
 * model.onnx (ModelProto) and test_data_set_0/input_N.pb and output_0.pb
 * (TensorProto). A small protobuf wire-format reader below decodes them
 * (no generated code, no protobuf library) and each quantized convolution
 * or matrix product becomes a one-operator model (CONV_2D or
 * FULLY_CONNECTED) wherever the semantics coincide exactly:
 *
 * - uint8 activations x with zero point z are the int8 x - 128 with zero
 *   point z - 128; int8 stays as it is;
 * - weights must be symmetric: w - w_zp when every value of an output
 *   channel fits in [-127, 127]; when not, but the channel's values (and
 *   bias) share a factor g that brings them into range, (w - w_zp) / g with
 *   the channel's requantization multiplied by g, which describes the same
 *   real numbers; otherwise the test is skipped;
 * - ConvInteger, MatMulInteger: the int32 results are compared exactly,
 *   through a requantization of exactly 1 (multiplier 2^30, shift 1; the
 *   integer g, also exact, for weights divided by g), bias 0, no clamp, when
 *   they fit int8 after an output zero point; otherwise the test is skipped;
 * - QLinearConv, QLinearMatMul: ONNX requantizes in float rounding half to
 *   even, the engine with TFLite's Q31 multiplier and rounding. The two may
 *   differ by one only where the exact value acc * scale ratio is a .5 tie;
 *   such elements are counted and reported, any other difference fails.
 *
 * MatMul [M,K] x [K,N] is FULLY_CONNECTED of [M,1,1,K] with the weights
 * transposed to [N,1,1,K], one model per batch slice; convolution
 * transposes NCHW to NHWC. An input the input stage cannot take directly
 * (C not 1 or 3, or N > 1) is fed through a leading RESHAPE. Each model
 * runs with every kernel table the CPU supports. Without the package the
 * tests skip.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_test_util.h"

#include "kselftest_harness.h"

#define ONNX_PKG "libonnx-testdata"
#define ONNX_NODE_DIR "/usr/share/libonnx-testdata/data/node"

/* Why the last helper returned OX_SKIP or OX_FAIL. */
static char ox_why[512];

enum ox_status { OX_OK = 0, OX_SKIP = 1, OX_FAIL = 2 };

static __attribute__((format(printf, 2, 3))) int ox_set(int status,
							const char *fmt, ...)
{
	char buf[sizeof(ox_why)];
	va_list ap;

	/* Through a copy: callers may prefix the previous reason. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memcpy(ox_why, buf, sizeof(ox_why));
	return status;
}

#define ox_skip(...) ox_set(OX_SKIP, __VA_ARGS__)
#define ox_fail(...) ox_set(OX_FAIL, __VA_ARGS__)

/* ---- protobuf wire format ------------------------------------------ */

struct pb {
	const uint8_t *p;
	const uint8_t *end;
};

enum pb_wire { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

/* One field: number, wire type, and the value (scalar or bytes). */
struct pb_field {
	uint32_t num;
	uint32_t wire;
	uint64_t v;
	struct pb len;
};

static bool pb_varint(struct pb *b, uint64_t *v)
{
	uint64_t r = 0;
	unsigned int s;

	for (s = 0; s < 64; s += 7) {
		uint8_t c;

		if (b->p >= b->end)
			return false;
		c = *b->p++;
		r |= (uint64_t)(c & 0x7f) << s;
		if (!(c & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

static uint64_t pb_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The next field of @b: 1, 0 at the end, -1 when malformed. */
static int pb_next(struct pb *b, struct pb_field *f)
{
	uint64_t key, n;

	if (b->p == b->end)
		return 0;
	if (!pb_varint(b, &key) || !(key >> 3) || key >> 3 > 0x1fffffff)
		return -1;
	f->num = (uint32_t)(key >> 3);
	f->wire = (uint32_t)(key & 7);
	f->v = 0;
	f->len.p = f->len.end = NULL;
	switch (f->wire) {
	case PB_VARINT:
		return pb_varint(b, &f->v) ? 1 : -1;
	case PB_I64:
		if (b->end - b->p < 8)
			return -1;
		f->v = pb_le(b->p, 8);
		b->p += 8;
		return 1;
	case PB_I32:
		if (b->end - b->p < 4)
			return -1;
		f->v = pb_le(b->p, 4);
		b->p += 4;
		return 1;
	case PB_LEN:
		if (!pb_varint(b, &n) || n > (uint64_t)(b->end - b->p))
			return -1;
		f->len.p = b->p;
		f->len.end = b->p + n;
		b->p += n;
		return 1;
	default: /* groups (3, 4) are not used by onnx.proto */
		return -1;
	}
}

struct ivec {
	int64_t *v;
	size_t n, cap;
};

struct fvec {
	double *v;
	size_t n, cap;
};

/* Room for one more of @n elements of @size bytes at *@v (capacity *@cap). */
static bool vec_room(void **v, size_t n, size_t *cap, size_t size)
{
	size_t c = *cap ? 2 * *cap : 16;
	void *p;

	if (n < *cap)
		return true;
	p = realloc(*v, c * size);
	if (!p)
		return false;
	*v = p;
	*cap = c;
	return true;
}

static bool ivec_push(struct ivec *a, int64_t x)
{
	void *v = a->v;

	if (!vec_room(&v, a->n, &a->cap, sizeof(*a->v)))
		return false;
	a->v = v;
	a->v[a->n++] = x;
	return true;
}

static bool fvec_push(struct fvec *a, double x)
{
	void *v = a->v;

	if (!vec_room(&v, a->n, &a->cap, sizeof(*a->v)))
		return false;
	a->v = v;
	a->v[a->n++] = x;
	return true;
}

static double pb_f32(uint64_t bits)
{
	uint32_t u = (uint32_t)bits;
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/* A repeated integer field, packed or not. */
static bool pb_ints(const struct pb_field *f, struct ivec *a)
{
	struct pb b = f->len;
	uint64_t v;

	if (f->wire == PB_VARINT)
		return ivec_push(a, (int64_t)f->v);
	if (f->wire != PB_LEN)
		return false;
	while (b.p < b.end)
		if (!pb_varint(&b, &v) || !ivec_push(a, (int64_t)v))
			return false;
	return true;
}

/* A repeated float field, packed or not. */
static bool pb_floats(const struct pb_field *f, struct fvec *a)
{
	const uint8_t *p;

	if (f->wire == PB_I32)
		return fvec_push(a, pb_f32(f->v));
	if (f->wire != PB_LEN || (f->len.end - f->len.p) % 4)
		return false;
	for (p = f->len.p; p < f->len.end; p += 4)
		if (!fvec_push(a, pb_f32(pb_le(p, 4))))
			return false;
	return true;
}

static bool pb_str(const struct pb_field *f, char *dst, size_t size)
{
	size_t n = f->len.end - f->len.p;

	if (f->wire != PB_LEN || n >= size || memchr(f->len.p, 0, n))
		return false;
	memcpy(dst, f->len.p, n);
	dst[n] = 0;
	return true;
}

/* ---- ONNX messages ---------------------------------------------------- */

/* TensorProto.DataType values this test reads. */
enum ox_type {
	OX_FLOAT = 1,
	OX_UINT8 = 2,
	OX_INT8 = 3,
	OX_UINT16 = 4,
	OX_INT16 = 5,
	OX_INT32 = 6,
	OX_INT64 = 7,
	OX_DOUBLE = 11,
};

#define OX_MAX_DIMS 8
#define OX_MAX_ELEMS (1u << 24)
#define OX_NAME 128
#define OX_MAX_IN 16
#define OX_MAX_ATTRS 16

struct ox_tensor {
	char name[OX_NAME];
	int32_t type;
	uint32_t ndims;
	int64_t dims[OX_MAX_DIMS];
	size_t count;
	int64_t *iv; /* integer types */
	double *fv; /* FLOAT, DOUBLE */
};

struct ox_attr {
	char name[32];
	int32_t type;
	int64_t i;
	struct ivec ints;
	char s[32];
};

/* A one-node ModelProto. */
struct ox_model {
	char op_type[32];
	uint32_t nodes;
	uint32_t ninputs;
	char inputs[OX_MAX_IN][OX_NAME];
	uint32_t nattrs;
	struct ox_attr attrs[OX_MAX_ATTRS];
	uint32_t ninits;
	struct ox_tensor inits[OX_MAX_IN];
	uint32_t ngraph_inputs;
	char graph_inputs[OX_MAX_IN][OX_NAME];
};

/* A node test: the model, the test data set's inputs and its output. */
struct ox_case {
	char name[OX_NAME];
	struct ox_model m;
	uint32_t nin;
	struct ox_tensor in[OX_MAX_IN];
	struct ox_tensor out;
};

static const char *ox_type_name(int32_t t)
{
	switch (t) {
	case OX_FLOAT:
		return "float";
	case OX_UINT8:
		return "uint8";
	case OX_INT8:
		return "int8";
	case OX_UINT16:
		return "uint16";
	case OX_INT16:
		return "int16";
	case OX_INT32:
		return "int32";
	case OX_INT64:
		return "int64";
	case OX_DOUBLE:
		return "double";
	default:
		return "unsupported";
	}
}

static unsigned int ox_type_size(int32_t t)
{
	switch (t) {
	case OX_UINT8:
	case OX_INT8:
		return 1;
	case OX_UINT16:
	case OX_INT16:
		return 2;
	case OX_FLOAT:
	case OX_INT32:
		return 4;
	case OX_INT64:
	case OX_DOUBLE:
		return 8;
	default:
		return 0;
	}
}

static bool ox_is_float(int32_t t)
{
	return t == OX_FLOAT || t == OX_DOUBLE;
}

static void ox_tensor_free(struct ox_tensor *t)
{
	free(t->iv);
	free(t->fv);
	t->iv = NULL;
	t->fv = NULL;
}

/* Integer element @i, sign- or zero-extended from the stored width. */
static int64_t ox_raw_int(int32_t type, const uint8_t *p)
{
	uint64_t v = pb_le(p, ox_type_size(type));

	switch (type) {
	case OX_INT8:
		return (int8_t)v;
	case OX_INT16:
		return (int16_t)v;
	case OX_INT32:
		return (int32_t)v;
	case OX_INT64:
		return (int64_t)v;
	default:
		return (int64_t)v;
	}
}

static bool ox_int_in_range(int32_t type, int64_t v)
{
	switch (type) {
	case OX_UINT8:
		return v >= 0 && v <= 255;
	case OX_INT8:
		return v >= -128 && v <= 127;
	case OX_UINT16:
		return v >= 0 && v <= 65535;
	case OX_INT16:
		return v >= -32768 && v <= 32767;
	case OX_INT32:
		return v >= INT32_MIN && v <= INT32_MAX;
	default:
		return true;
	}
}

/* TensorProto: dims 1, data_type 2, float_data 4, int32_data 5,
 * int64_data 7, name 8, raw_data 9, data_location 14. */
static int ox_tensor_parse(struct pb b, struct ox_tensor *t)
{
	struct ivec dims = { 0 }, i32 = { 0 }, i64 = { 0 };
	struct fvec f32 = { 0 };
	struct pb raw = { 0 };
	bool has_raw = false;
	struct pb_field f;
	unsigned int es;
	int ret = OX_OK, r;
	size_t i;

	memset(t, 0, sizeof(*t));
	while ((r = pb_next(&b, &f)) > 0) {
		bool ok = true;

		switch (f.num) {
		case 1:
			ok = pb_ints(&f, &dims);
			break;
		case 2:
			ok = f.wire == PB_VARINT;
			t->type = (int32_t)f.v;
			break;
		case 4:
			ok = pb_floats(&f, &f32);
			break;
		case 5:
			ok = pb_ints(&f, &i32);
			break;
		case 7:
			ok = pb_ints(&f, &i64);
			break;
		case 8:
			ok = pb_str(&f, t->name, sizeof(t->name));
			break;
		case 9:
			ok = f.wire == PB_LEN;
			raw = f.len;
			has_raw = true;
			break;
		case 14:
			if (f.wire == PB_VARINT && f.v) {
				ret = ox_skip("tensor stored as external data");
				goto out;
			}
			break;
		default: /* doc_string, segment, string_data, ... */
			break;
		}
		if (!ok) {
			ret = ox_fail("TensorProto field %u malformed", f.num);
			goto out;
		}
	}
	if (r < 0) {
		ret = ox_fail("TensorProto: malformed wire format");
		goto out;
	}
	es = ox_type_size(t->type);
	if (!es) {
		ret = ox_skip("tensor '%s': data type %d not supported",
			      t->name, t->type);
		goto out;
	}
	if (dims.n > OX_MAX_DIMS) {
		ret = ox_skip("tensor '%s': rank %zu", t->name, dims.n);
		goto out;
	}
	t->ndims = (uint32_t)dims.n;
	t->count = 1;
	for (i = 0; i < dims.n; i++) {
		if (dims.v[i] < 0 || dims.v[i] > OX_MAX_ELEMS ||
		    t->count * (uint64_t)dims.v[i] > OX_MAX_ELEMS) {
			ret = ox_fail("tensor '%s': bad dimension", t->name);
			goto out;
		}
		t->dims[i] = dims.v[i];
		t->count *= (size_t)dims.v[i];
	}
	if (ox_is_float(t->type))
		t->fv = calloc(t->count ? t->count : 1, sizeof(*t->fv));
	else
		t->iv = calloc(t->count ? t->count : 1, sizeof(*t->iv));
	if (!t->fv && !t->iv) {
		ret = ox_fail("out of memory");
		goto out;
	}
	if (has_raw) {
		if ((size_t)(raw.end - raw.p) != t->count * es) {
			ret = ox_fail(
				"tensor '%s': raw_data has %zu bytes, want %zu",
				t->name, (size_t)(raw.end - raw.p),
				t->count * es);
			goto out;
		}
		for (i = 0; i < t->count; i++) {
			const uint8_t *p = raw.p + i * es;

			if (t->type == OX_FLOAT)
				t->fv[i] = pb_f32(pb_le(p, 4));
			else if (t->type == OX_DOUBLE) {
				uint64_t u = pb_le(p, 8);

				memcpy(&t->fv[i], &u, sizeof(u));
			} else {
				t->iv[i] = ox_raw_int(t->type, p);
			}
		}
	} else if (t->type == OX_FLOAT) {
		if (f32.n != t->count) {
			ret = ox_fail(
				"tensor '%s': %zu float_data for %zu elements",
				t->name, f32.n, t->count);
			goto out;
		}
		memcpy(t->fv, f32.v, t->count * sizeof(*t->fv));
	} else if (t->type == OX_INT64) {
		if (i64.n != t->count) {
			ret = ox_fail(
				"tensor '%s': %zu int64_data for %zu elements",
				t->name, i64.n, t->count);
			goto out;
		}
		memcpy(t->iv, i64.v, t->count * sizeof(*t->iv));
	} else if (t->type == OX_DOUBLE) {
		ret = ox_skip("tensor '%s': double_data not supported",
			      t->name);
		goto out;
	} else {
		/* int32_data carries every narrower integer type. */
		if (i32.n != t->count) {
			ret = ox_fail(
				"tensor '%s': %zu int32_data for %zu elements",
				t->name, i32.n, t->count);
			goto out;
		}
		for (i = 0; i < t->count; i++)
			t->iv[i] = (int32_t)(uint32_t)i32.v[i];
	}
	if (t->iv)
		for (i = 0; i < t->count; i++)
			if (!ox_int_in_range(t->type, t->iv[i])) {
				ret = ox_fail(
					"tensor '%s': element %zu = %lld out of %s range",
					t->name, i, (long long)t->iv[i],
					ox_type_name(t->type));
				goto out;
			}
out:
	if (ret)
		ox_tensor_free(t);
	free(dims.v);
	free(i32.v);
	free(i64.v);
	free(f32.v);
	return ret;
}

/* AttributeProto: name 1, i 3, s 4, ints 8, type 20. */
static int ox_attr_parse(struct pb b, struct ox_attr *a)
{
	struct pb_field f;
	int r;

	while ((r = pb_next(&b, &f)) > 0) {
		bool ok = true;

		switch (f.num) {
		case 1:
			ok = pb_str(&f, a->name, sizeof(a->name));
			break;
		case 3:
			ok = f.wire == PB_VARINT;
			a->i = (int64_t)f.v;
			break;
		case 4:
			/* Only short strings (auto_pad) matter here. */
			if (!pb_str(&f, a->s, sizeof(a->s)))
				a->s[0] = 0;
			break;
		case 8:
			ok = pb_ints(&f, &a->ints);
			break;
		case 20:
			ok = f.wire == PB_VARINT;
			a->type = (int32_t)f.v;
			break;
		default:
			break;
		}
		if (!ok)
			return ox_fail("AttributeProto field %u malformed",
				       f.num);
	}
	return r < 0 ? ox_fail("AttributeProto: malformed") : OX_OK;
}

/* NodeProto: input 1, op_type 4, attribute 5. */
static int ox_node_parse(struct pb b, struct ox_model *m)
{
	struct pb_field f;
	int r, ret;

	while ((r = pb_next(&b, &f)) > 0) {
		switch (f.num) {
		case 1:
			if (m->ninputs == OX_MAX_IN ||
			    !pb_str(&f, m->inputs[m->ninputs], OX_NAME))
				return ox_fail("NodeProto.input malformed");
			m->ninputs++;
			break;
		case 4:
			if (!pb_str(&f, m->op_type, sizeof(m->op_type)))
				return ox_fail("NodeProto.op_type malformed");
			break;
		case 5:
			if (m->nattrs == OX_MAX_ATTRS || f.wire != PB_LEN)
				return ox_fail("NodeProto.attribute malformed");
			ret = ox_attr_parse(f.len, &m->attrs[m->nattrs++]);
			if (ret)
				return ret;
			break;
		default:
			break;
		}
	}
	return r < 0 ? ox_fail("NodeProto: malformed") : OX_OK;
}

/* ValueInfoProto: name 1. */
static int ox_value_info_name(struct pb b, char *name)
{
	struct pb_field f;
	int r;

	while ((r = pb_next(&b, &f)) > 0)
		if (f.num == 1 && !pb_str(&f, name, OX_NAME))
			return ox_fail("ValueInfoProto.name malformed");
	return r < 0 ? ox_fail("ValueInfoProto: malformed") : OX_OK;
}

/* GraphProto: node 1, initializer 5, input 11. */
static int ox_graph_parse(struct pb b, struct ox_model *m)
{
	struct pb_field f;
	int r, ret = OX_OK;

	while ((r = pb_next(&b, &f)) > 0) {
		if ((f.num == 1 || f.num == 5 || f.num == 11) &&
		    f.wire != PB_LEN)
			return ox_fail("GraphProto field %u malformed", f.num);
		switch (f.num) {
		case 1:
			if (m->nodes++)
				return ox_skip("not a one-node graph");
			ret = ox_node_parse(f.len, m);
			break;
		case 5:
			if (m->ninits == OX_MAX_IN)
				return ox_skip("too many initializers");
			ret = ox_tensor_parse(f.len, &m->inits[m->ninits]);
			if (!ret)
				m->ninits++;
			break;
		case 11:
			if (m->ngraph_inputs == OX_MAX_IN)
				return ox_skip("too many graph inputs");
			ret = ox_value_info_name(
				f.len, m->graph_inputs[m->ngraph_inputs++]);
			break;
		default:
			break;
		}
		if (ret)
			return ret;
	}
	if (r < 0)
		return ox_fail("GraphProto: malformed");
	return m->nodes == 1 ? OX_OK : ox_fail("graph has no node");
}

/* ModelProto: graph 7. */
static int ox_model_parse(struct pb b, struct ox_model *m)
{
	struct pb_field f;
	bool seen = false;
	int r, ret;

	while ((r = pb_next(&b, &f)) > 0) {
		if (f.num != 7)
			continue;
		if (f.wire != PB_LEN || seen)
			return ox_fail("ModelProto.graph malformed");
		seen = true;
		ret = ox_graph_parse(f.len, m);
		if (ret)
			return ret;
	}
	if (r < 0)
		return ox_fail("ModelProto: malformed");
	return seen ? OX_OK : ox_fail("ModelProto has no graph");
}

static void ox_model_free(struct ox_model *m)
{
	uint32_t i;

	for (i = 0; i < m->ninits; i++)
		ox_tensor_free(&m->inits[i]);
	for (i = 0; i < m->nattrs; i++)
		free(m->attrs[i].ints.v);
}

/* The whole file, or NULL with errno set. */
static uint8_t *ox_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > (64l << 20) ||
	    fseek(f, 0, SEEK_SET))
		goto err;
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto err;
	fclose(f);
	*len = (size_t)n;
	return buf;
err:
	free(buf);
	fclose(f);
	errno = EIO;
	return NULL;
}

static int ox_tensor_file(const char *path, struct ox_tensor *t)
{
	size_t len;
	uint8_t *buf = ox_slurp(path, &len);
	struct pb b;
	int ret;

	if (!buf)
		return ox_fail("%s: %s", path, strerror(errno));
	b.p = buf;
	b.end = buf + len;
	ret = ox_tensor_parse(b, t);
	free(buf);
	if (ret)
		return ox_set(ret, "%s: %.400s", path, ox_why);
	return OX_OK;
}

static void ox_case_free(struct ox_case *c)
{
	uint32_t i;

	ox_model_free(&c->m);
	for (i = 0; i < c->nin; i++)
		ox_tensor_free(&c->in[i]);
	ox_tensor_free(&c->out);
}

static int ox_case_load(const char *test, struct ox_case *c)
{
	char path[512];
	size_t len;
	uint8_t *buf;
	struct pb b;
	int ret;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", test);
	snprintf(path, sizeof(path), "%s/%s/model.onnx", ONNX_NODE_DIR, test);
	buf = ox_slurp(path, &len);
	if (!buf) {
		if (errno == ENOENT)
			return ox_skip("%s: not in this version of %s", test,
				       ONNX_PKG);
		return ox_fail("%s: %s", path, strerror(errno));
	}
	b.p = buf;
	b.end = buf + len;
	ret = ox_model_parse(b, &c->m);
	free(buf);
	if (ret)
		return ox_set(ret, "%s: %.400s", path, ox_why);
	for (c->nin = 0; c->nin < OX_MAX_IN; c->nin++) {
		snprintf(path, sizeof(path),
			 "%s/%s/test_data_set_0/input_%u.pb", ONNX_NODE_DIR,
			 test, c->nin);
		if (access(path, F_OK))
			break;
		ret = ox_tensor_file(path, &c->in[c->nin]);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), "%s/%s/test_data_set_0/output_0.pb",
		 ONNX_NODE_DIR, test);
	return ox_tensor_file(path, &c->out);
}

/* The tensor feeding node input @i, or NULL when it is absent. */
static const struct ox_tensor *ox_arg(const struct ox_case *c, int i)
{
	const char *name;
	uint32_t j;

	if (i < 0 || (uint32_t)i >= c->m.ninputs || !c->m.inputs[i][0])
		return NULL;
	name = c->m.inputs[i];
	for (j = 0; j < c->m.ninits; j++)
		if (!strcmp(c->m.inits[j].name, name))
			return &c->m.inits[j];
	for (j = 0; j < c->nin; j++)
		if (!strcmp(c->in[j].name, name))
			return &c->in[j];
	/* Unnamed test data: input_N is the graph's N-th input. */
	for (j = 0; j < c->m.ngraph_inputs && j < c->nin; j++)
		if (!strcmp(c->m.graph_inputs[j], name))
			return &c->in[j];
	return NULL;
}

static const struct ox_attr *ox_attr(const struct ox_model *m, const char *name)
{
	uint32_t i;

	for (i = 0; i < m->nattrs; i++)
		if (!strcmp(m->attrs[i].name, name))
			return &m->attrs[i];
	return NULL;
}

static void ox_log_tensor(struct __test_metadata *_metadata, const char *role,
			  const struct ox_tensor *t)
{
	char buf[256];
	size_t n = 0, i;

	if (!t) {
		TH_LOG("  %-8s (absent)", role);
		return;
	}
	n += snprintf(buf + n, sizeof(buf) - n, "[");
	for (i = 0; i < t->ndims; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%lld", i ? "," : "",
			      (long long)t->dims[i]);
	n += snprintf(buf + n, sizeof(buf) - n, "] =");
	for (i = 0; i < t->count && i < 12 && n < sizeof(buf) - 24; i++) {
		if (t->fv)
			n += snprintf(buf + n, sizeof(buf) - n, " %.9g",
				      t->fv[i]);
		else
			n += snprintf(buf + n, sizeof(buf) - n, " %lld",
				      (long long)t->iv[i]);
	}
	if (t->count > 12)
		snprintf(buf + n, sizeof(buf) - n, " ...");
	TH_LOG("  %-8s %s %s %s", role, t->name, ox_type_name(t->type), buf);
}

/* ---- mapping onto the engine ------------------------------------------ */

/* Operand positions of the four operators; -1 when the operator has none. */
struct ox_opdesc {
	const char *op;
	bool conv;
	bool qlinear;
	int x, xs, xz, w, ws, wz, ys, yz, b;
};

static const struct ox_opdesc ox_ops[] = {
	{ "ConvInteger", true, false, 0, -1, 2, 1, -1, 3, -1, -1, -1 },
	{ "QLinearConv", true, true, 0, 1, 2, 3, 4, 5, 6, 7, 8 },
	{ "MatMulInteger", false, false, 0, -1, 2, 1, -1, 3, -1, -1, -1 },
	{ "QLinearMatMul", false, true, 0, 1, 2, 3, 4, 5, 6, 7, -1 },
};

struct ox_args {
	const struct ox_opdesc *d;
	const struct ox_tensor *x, *xs, *xz, *w, *ws, *wz, *ys, *yz, *b, *y;
};

/* One engine model: a CONV_2D or FULLY_CONNECTED and what it must give. */
struct ox_plan {
	bool fc;
	uint32_t n, h, w, cin, oh, ow, cout, kh, kw;
	struct vision_model_conv p;
	int32_t in_zp, out_zp;
	int8_t *in; /* [n][h][w][cin] */
	int32_t *wd; /* w - w_zp, [cout][kh][kw][cin/groups] */
	int8_t *wt; /* wd made symmetric int8 */
	int32_t *bias; /* [cout] */
	int64_t *acc; /* exact accumulator incl. bias, output order */
	int64_t *yv; /* ONNX's expected values, output order */
	double *ratio; /* [cout] real requant (QLinear) */
	struct vision_model_requant *rq; /* [cout] */
	int8_t *want; /* [n][oh][ow][cout] */
	double *real; /* acc * ratio, QLinear only */
	uint32_t rescaled; /* channels whose weights were divided */
};

static void ox_plan_free(struct ox_plan *pl)
{
	free(pl->in);
	free(pl->wd);
	free(pl->wt);
	free(pl->bias);
	free(pl->acc);
	free(pl->yv);
	free(pl->ratio);
	free(pl->rq);
	free(pl->want);
	free(pl->real);
	memset(pl, 0, sizeof(*pl));
}

static size_t ox_nin(const struct ox_plan *pl)
{
	return (size_t)pl->n * pl->h * pl->w * pl->cin;
}

static size_t ox_nw(const struct ox_plan *pl)
{
	return (size_t)pl->cout * pl->kh * pl->kw * (pl->cin / pl->p.groups);
}

static size_t ox_nout(const struct ox_plan *pl)
{
	return (size_t)pl->n * pl->oh * pl->ow * pl->cout;
}

static int ox_plan_alloc(struct ox_plan *pl)
{
	size_t ni = ox_nin(pl), nw = ox_nw(pl), no = ox_nout(pl);

	pl->in = calloc(ni, 1);
	pl->wd = calloc(nw, sizeof(*pl->wd));
	pl->wt = calloc(nw, 1);
	pl->bias = calloc(pl->cout, sizeof(*pl->bias));
	pl->acc = calloc(no, sizeof(*pl->acc));
	pl->yv = calloc(no, sizeof(*pl->yv));
	pl->ratio = calloc(pl->cout, sizeof(*pl->ratio));
	pl->rq = calloc(pl->cout, sizeof(*pl->rq));
	pl->want = calloc(no, 1);
	pl->real = calloc(no, sizeof(*pl->real));
	if (!pl->in || !pl->wd || !pl->wt || !pl->bias || !pl->acc || !pl->yv ||
	    !pl->ratio || !pl->rq || !pl->want || !pl->real)
		return ox_fail("out of memory");
	return OX_OK;
}

/* uint8 x becomes int8 x - 128; int8 stays. */
static int32_t ox_map8(int32_t type, int64_t v)
{
	return (int32_t)(type == OX_UINT8 ? v - 128 : v);
}

static bool ox_is8(const struct ox_tensor *t)
{
	return t->type == OX_UINT8 || t->type == OX_INT8;
}

/* A zero point of @data: scalar or one per @n; 0 of @data's type if absent. */
static int ox_check_zp(const struct ox_tensor *zp, const struct ox_tensor *data,
		       size_t n)
{
	if (!zp)
		return OX_OK;
	if (zp->type != data->type)
		return ox_fail("zero point '%s' is %s, data '%s' %s", zp->name,
			       ox_type_name(zp->type), data->name,
			       ox_type_name(data->type));
	if (zp->count != 1 && zp->count != n)
		return ox_skip("zero point '%s' has %zu elements", zp->name,
			       zp->count);
	return OX_OK;
}

static int64_t ox_zp(const struct ox_tensor *zp, size_t i)
{
	if (!zp)
		return 0;
	return zp->iv[zp->count == 1 ? 0 : i];
}

/* A positive finite scale: scalar or one per @n. */
static int ox_check_scale(const struct ox_tensor *s, size_t n)
{
	size_t i;

	if (!s || s->type != OX_FLOAT)
		return ox_fail("missing or non-float scale");
	if (s->count != 1 && s->count != n)
		return ox_skip("scale '%s' has %zu elements", s->name,
			       s->count);
	for (i = 0; i < s->count; i++)
		if (!(s->fv[i] > 0) || !isfinite(s->fv[i]))
			return ox_skip("scale '%s' not positive", s->name);
	return OX_OK;
}

static double ox_scale(const struct ox_tensor *s, size_t i)
{
	return s->fv[s->count == 1 ? 0 : i];
}

/* A tensor that is one value repeated @n times (per-row parameters). */
static bool ox_uniform(const struct ox_tensor *t)
{
	size_t i;

	for (i = 1; t && i < t->count; i++)
		if (t->iv ? t->iv[i] != t->iv[0] : t->fv[i] != t->fv[0])
			return false;
	return true;
}

/*
 * TFLite QuantizeMultiplier: frexp, round(q * 2^31) (half away from
 * zero), the 2^31 overflow folded into the shift. The shifts the format
 * allows are [-31, 30].
 */
static bool ox_quantize_multiplier(double r, struct vision_model_requant *q)
{
	int e;
	double m;
	int64_t f;

	if (r == 0) {
		q->multiplier = 0;
		q->shift = 0;
		return true;
	}
	if (!(r > 0) || !isfinite(r))
		return false;
	m = frexp(r, &e);
	f = (int64_t)round(m * 2147483648.0);
	if (f == (int64_t)1 << 31) {
		f /= 2;
		e++;
	}
	if (e < -31 || e > 30)
		return false;
	q->multiplier = (int32_t)f;
	q->shift = e;
	return true;
}

static uint32_t ox_gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static int8_t ox_clamp8(int64_t v)
{
	return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
}

/* Round half to even, as ONNX's QuantizeLinear and numpy do. */
static int64_t ox_rne(double v)
{
	return (int64_t)nearbyint(v);
}

/* Whether @v is within 1e-6 of a .5 tie. */
static bool ox_is_tie(double v)
{
	return fabs(v - floor(v) - 0.5) <= 1e-6;
}

/*
 * Whether @a and @b are the two int8 results a tie at @v can round to,
 * output zero point @zp applied.
 */
static bool ox_tie_ok(double v, int32_t zp, int a, int b)
{
	int64_t lo = (int64_t)floor(v) + zp;
	int l = ox_clamp8(lo), h = ox_clamp8(lo + 1);

	return ox_is_tie(v) && ((a == l && b == h) || (a == h && b == l));
}

/*
 * Symmetric int8 weights, requants and expected int8 outputs from the
 * plan's wd, bias, acc, yv and ratio.
 */
static int ox_finish(const struct ox_args *a, struct ox_plan *pl)
{
	uint32_t k = pl->kh * pl->kw * (pl->cin / pl->p.groups);
	size_t no = ox_nout(pl), e;
	uint32_t co, i;

	for (co = 0; co < pl->cout; co++) {
		const int32_t *wd = pl->wd + (size_t)co * k;
		int32_t lo = 0, hi = 0;
		uint32_t g = 0;

		for (i = 0; i < k; i++) {
			lo = wd[i] < lo ? wd[i] : lo;
			hi = wd[i] > hi ? wd[i] : hi;
			g = ox_gcd(g, (uint32_t)abs(wd[i]));
		}
		if (lo >= -127 && hi <= 127) {
			g = 1;
		} else {
			g = ox_gcd(g, (uint32_t)llabs(pl->bias[co]));
			if (g <= 1 || lo / (int32_t)g < -127 ||
			    hi / (int32_t)g > 127)
				return ox_skip(
					"output channel %u: w - w_zp spans [%d, %d], outside the symmetric int8 range [-127, 127] and with no common factor that brings it in",
					co, lo, hi);
			pl->rescaled++;
		}
		for (i = 0; i < k; i++)
			pl->wt[(size_t)co * k + i] =
				(int8_t)(wd[i] / (int32_t)g);
		pl->bias[co] /= (int32_t)g;
		if (!ox_quantize_multiplier(a->d->qlinear ? pl->ratio[co] * g :
							    (double)g,
					    &pl->rq[co]))
			return ox_skip(
				"output channel %u: requantization %g outside the format's range",
				co, pl->ratio[co] * g);
	}

	if (!a->d->qlinear) {
		int64_t lo = INT64_MAX, hi = INT64_MIN;

		for (e = 0; e < no; e++) {
			/* Checks the decoding and the mapping, not the engine. */
			if (pl->acc[e] != pl->yv[e])
				return ox_fail(
					"element %zu: reference accumulation %lld but output_0 has %lld (decoder or mapping error)",
					e, (long long)pl->acc[e],
					(long long)pl->yv[e]);
			lo = pl->yv[e] < lo ? pl->yv[e] : lo;
			hi = pl->yv[e] > hi ? pl->yv[e] : hi;
		}
		if (no && lo >= -128 && hi <= 127)
			pl->out_zp = 0;
		else if (no && hi - lo <= 255 && lo >= -255 && lo < -128)
			pl->out_zp = (int32_t)(-128 - lo);
		else if (no && hi - lo <= 255 && hi <= 254 && hi > 127)
			pl->out_zp = (int32_t)(127 - hi);
		else
			return ox_skip(
				"int32 outputs span [%lld, %lld]: no int8 output zero point represents them all",
				(long long)lo, (long long)hi);
		for (e = 0; e < no; e++)
			pl->want[e] = (int8_t)(pl->yv[e] + pl->out_zp);
		free(pl->real);
		pl->real = NULL;
		return OX_OK;
	}

	pl->out_zp = ox_map8(a->y->type, ox_zp(a->yz, 0));
	for (e = 0; e < no; e++) {
		double v = (double)pl->acc[e] * pl->ratio[e % pl->cout];
		int8_t ref = ox_clamp8(ox_rne(v) + pl->out_zp);

		pl->real[e] = v;
		pl->want[e] = (int8_t)ox_map8(a->y->type, pl->yv[e]);
		/* Checks the decoding and the mapping, not the engine. */
		if (ref != pl->want[e] &&
		    !ox_tie_ok(v, pl->out_zp, ref, pl->want[e]))
			return ox_fail(
				"element %zu: exact value %.9f + zero point %d rounds to %d but output_0 has %d (decoder or mapping error)",
				e, v, pl->out_zp, ref, pl->want[e]);
	}
	return OX_OK;
}

/* Operand types and quantization parameters common to all four ops. */
static int ox_check_args(const struct ox_args *a, size_t cout, size_t rows)
{
	int ret;

	if (!a->x || !a->w || !a->y)
		return ox_fail("missing operand");
	if (!ox_is8(a->x) || !ox_is8(a->w))
		return ox_skip("operands are %s x %s, not 8-bit",
			       ox_type_name(a->x->type),
			       ox_type_name(a->w->type));
	ret = ox_check_zp(a->xz, a->x, rows);
	if (!ret)
		ret = ox_check_zp(a->wz, a->w, cout);
	if (ret)
		return ret;
	if (!ox_uniform(a->xz))
		return ox_skip("per-row activation zero points");
	if (!a->d->qlinear)
		return a->y->type == OX_INT32 ?
			       OX_OK :
			       ox_fail("output is %s, not int32",
				       ox_type_name(a->y->type));
	if (!ox_is8(a->y))
		return ox_skip("output is %s", ox_type_name(a->y->type));
	ret = ox_check_scale(a->xs, rows);
	if (!ret)
		ret = ox_check_scale(a->ws, cout);
	if (!ret)
		ret = ox_check_scale(a->ys, 1);
	if (!ret)
		ret = ox_check_zp(a->yz, a->y, 1);
	if (ret)
		return ret;
	if (!ox_uniform(a->xs))
		return ox_skip("per-row activation scales");
	return OX_OK;
}

/* The real requantization of output channel @co (QLinear ops). */
static double ox_ratio(const struct ox_args *a, uint32_t co)
{
	if (!a->d->qlinear)
		return 1.0;
	/* As TFLite: the product and quotient of the float scales, in double. */
	return ox_scale(a->xs, 0) * ox_scale(a->ws, co) / ox_scale(a->ys, 0);
}

static int ox_pads(const struct ox_model *m, uint32_t h, uint32_t w,
		   uint32_t kh, uint32_t kw, struct vision_model_conv *p)
{
	const struct ox_attr *at = ox_attr(m, "auto_pad");
	const struct ox_attr *pads = ox_attr(m, "pads");
	uint32_t in[2] = { h, w }, k[2] = { kh, kw };
	uint32_t s[2] = { p->stride_h, p->stride_w };
	uint32_t d[2] = { p->dilation_h, p->dilation_w };
	uint32_t before[2] = { 0, 0 }, after[2] = { 0, 0 };
	int i;

	if (at && at->s[0] && strcmp(at->s, "NOTSET")) {
		bool upper = !strcmp(at->s, "SAME_UPPER");

		if (!strcmp(at->s, "VALID"))
			goto out;
		if (!upper && strcmp(at->s, "SAME_LOWER"))
			return ox_skip("auto_pad %s", at->s);
		for (i = 0; i < 2; i++) {
			int64_t o = (in[i] + s[i] - 1) / s[i];
			int64_t t = (o - 1) * s[i] +
				    (int64_t)(k[i] - 1) * d[i] + 1 - in[i];

			t = t < 0 ? 0 : t;
			before[i] = (uint32_t)(upper ? t / 2 : t - t / 2);
			after[i] = (uint32_t)(t - before[i]);
		}
		goto out;
	}
	if (pads) {
		if (pads->ints.n != 4)
			return ox_fail("pads has %zu values", pads->ints.n);
		for (i = 0; i < 4; i++)
			if (pads->ints.v[i] < 0 || pads->ints.v[i] > 65536)
				return ox_skip("pads %lld",
					       (long long)pads->ints.v[i]);
		before[0] = (uint32_t)pads->ints.v[0];
		before[1] = (uint32_t)pads->ints.v[1];
		after[0] = (uint32_t)pads->ints.v[2];
		after[1] = (uint32_t)pads->ints.v[3];
	}
out:
	p->pad_top = before[0];
	p->pad_left = before[1];
	p->pad_bottom = after[0];
	p->pad_right = after[1];
	return OX_OK;
}

/* A two-value attribute (strides, dilations), default 1, 1. */
static int ox_pair(const struct ox_model *m, const char *name, uint32_t *a,
		   uint32_t *b)
{
	const struct ox_attr *at = ox_attr(m, name);

	*a = *b = 1;
	if (!at)
		return OX_OK;
	if (at->ints.n != 2)
		return ox_fail("%s has %zu values", name, at->ints.n);
	if (at->ints.v[0] < 1 || at->ints.v[1] < 1 || at->ints.v[0] > 65536 ||
	    at->ints.v[1] > 65536)
		return ox_skip("%s out of range", name);
	*a = (uint32_t)at->ints.v[0];
	*b = (uint32_t)at->ints.v[1];
	return OX_OK;
}

/* Flat index of [a][b][c][d] in an array of dimensions [.][nb][nc][nd]. */
static size_t ox_at(size_t a, size_t b, size_t c, size_t d, size_t nb,
		    size_t nc, size_t nd)
{
	return ((a * nb + b) * nc + c) * nd + d;
}

/* Reference CONV_2D accumulator of output [n][oy][ox][co], bias included. */
static int64_t ox_conv_acc(const struct ox_plan *pl, size_t n, size_t oy,
			   size_t ox, size_t co)
{
	const struct vision_model_conv *p = &pl->p;
	uint32_t cg = pl->cin / p->groups;
	size_t c0 = co / (pl->cout / p->groups) * cg;
	int64_t s = pl->bias[co];
	uint32_t ky, kx, j;

	for (ky = 0; ky < pl->kh; ky++) {
		int64_t iy = (int64_t)oy * p->stride_h - p->pad_top +
			     (int64_t)ky * p->dilation_h;

		if (iy < 0 || iy >= pl->h)
			continue;
		for (kx = 0; kx < pl->kw; kx++) {
			int64_t ix = (int64_t)ox * p->stride_w - p->pad_left +
				     (int64_t)kx * p->dilation_w;
			const int8_t *in;
			const int32_t *wd;

			if (ix < 0 || ix >= pl->w)
				continue;
			in = pl->in +
			     ox_at(n, iy, ix, c0, pl->h, pl->w, pl->cin);
			wd = pl->wd + ox_at(co, ky, kx, 0, pl->kh, pl->kw, cg);
			for (j = 0; j < cg; j++)
				s += (int64_t)(in[j] - pl->in_zp) * wd[j];
		}
	}
	return s;
}

/* ConvInteger, QLinearConv: NCHW / MCKK onto CONV_2D (NHWC / OHWI). */
static int ox_map_conv(const struct ox_case *c, const struct ox_args *a,
		       struct ox_plan *pl)
{
	const struct ox_model *m = &c->m;
	const struct ox_attr *at;
	uint32_t n, ci, h, w, co, cg, oh, ow, kh, kw, groups = 1;
	size_t e, y, x, o, ky, kx, i;
	int64_t eh, ew;
	int ret;

	if (!a->x || !a->w || !a->y)
		return ox_fail("missing operand");
	if (a->x->ndims != 4 || a->w->ndims != 4 || a->y->ndims != 4)
		return ox_skip("not a 2-D convolution (rank %u)", a->x->ndims);
	n = (uint32_t)a->x->dims[0];
	ci = (uint32_t)a->x->dims[1];
	h = (uint32_t)a->x->dims[2];
	w = (uint32_t)a->x->dims[3];
	co = (uint32_t)a->w->dims[0];
	cg = (uint32_t)a->w->dims[1];
	kh = (uint32_t)a->w->dims[2];
	kw = (uint32_t)a->w->dims[3];
	at = ox_attr(m, "group");
	if (at) {
		if (at->i < 1 || at->i > 65536)
			return ox_fail("group %lld", (long long)at->i);
		groups = (uint32_t)at->i;
	}
	if (!n || !ci || !h || !w || !co || !kh || !kw || ci != cg * groups ||
	    co % groups)
		return ox_fail("inconsistent shapes");
	at = ox_attr(m, "kernel_shape");
	if (at &&
	    (at->ints.n != 2 || at->ints.v[0] != kh || at->ints.v[1] != kw))
		return ox_fail("kernel_shape disagrees with the weights");
	ret = ox_check_args(a, co, 1);
	if (ret)
		return ret;

	pl->fc = false;
	pl->p.groups = groups;
	ret = ox_pair(m, "strides", &pl->p.stride_h, &pl->p.stride_w);
	if (!ret)
		ret = ox_pair(m, "dilations", &pl->p.dilation_h,
			      &pl->p.dilation_w);
	if (!ret)
		ret = ox_pads(m, h, w, kh, kw, &pl->p);
	if (ret)
		return ret;
	eh = (int64_t)h + pl->p.pad_top + pl->p.pad_bottom -
	     (int64_t)pl->p.dilation_h * (kh - 1) - 1;
	ew = (int64_t)w + pl->p.pad_left + pl->p.pad_right -
	     (int64_t)pl->p.dilation_w * (kw - 1) - 1;
	if (eh < 0 || ew < 0)
		return ox_fail("kernel larger than the padded input");
	oh = (uint32_t)(eh / pl->p.stride_h + 1);
	ow = (uint32_t)(ew / pl->p.stride_w + 1);
	if (a->y->dims[0] != n || a->y->dims[1] != co || a->y->dims[2] != oh ||
	    a->y->dims[3] != ow)
		return ox_fail("output shape is not [%u,%u,%u,%u]", n, co, oh,
			       ow);
	pl->p.act_min = -128;
	pl->p.act_max = 127;
	pl->n = n;
	pl->h = h;
	pl->w = w;
	pl->cin = ci;
	pl->oh = oh;
	pl->ow = ow;
	pl->cout = co;
	pl->kh = kh;
	pl->kw = kw;
	ret = ox_plan_alloc(pl);
	if (ret)
		return ret;

	pl->in_zp = ox_map8(a->x->type, ox_zp(a->xz, 0));
	/* NCHW to NHWC. */
	for (e = 0; e < a->x->count; e++) {
		x = e % w;
		y = e / w % h;
		o = e / w / h % ci;
		i = e / w / h / ci;
		pl->in[ox_at(i, y, x, o, h, w, ci)] =
			(int8_t)ox_map8(a->x->type, a->x->iv[e]);
	}
	/* [Cout][Cin/groups][KH][KW] to [Cout][KH][KW][Cin/groups]. */
	for (e = 0; e < a->w->count; e++) {
		kx = e % kw;
		ky = e / kw % kh;
		i = e / kw / kh % cg;
		o = e / kw / kh / cg;
		pl->wd[ox_at(o, ky, kx, i, kh, kw, cg)] =
			(int32_t)(a->w->iv[e] - ox_zp(a->wz, o));
	}
	for (o = 0; o < co; o++) {
		if (a->b) {
			if (a->b->type != OX_INT32 || a->b->count != co)
				return ox_fail("bias is not int32 [%u]", co);
			pl->bias[o] = (int32_t)a->b->iv[o];
		}
		pl->ratio[o] = ox_ratio(a, o);
	}
	/* The exact accumulators, and ONNX's output in NHWC. */
	for (e = 0; e < a->y->count; e++) {
		size_t to;

		x = e % ow;
		y = e / ow % oh;
		o = e / ow / oh % co;
		i = e / ow / oh / co;
		to = ox_at(i, y, x, o, oh, ow, co);
		pl->acc[to] = ox_conv_acc(pl, i, y, x, o);
		pl->yv[to] = a->y->iv[e];
	}
	return ox_finish(a, pl);
}

/* Batch slices of a MatMul: 1 for 2-D, the batch for 3-D. */
static int ox_matmul_shape(const struct ox_args *a, uint32_t *slices,
			   uint32_t *m, uint32_t *k, uint32_t *n)
{
	const struct ox_tensor *x = a->x, *w = a->w, *y = a->y;
	uint32_t sx, sw, s;

	if (!x || !w || !y)
		return ox_fail("missing operand");
	if (x->ndims < 2 || x->ndims > 3 || w->ndims < 2 || w->ndims > 3)
		return ox_skip("MatMul of rank %u x %u", x->ndims, w->ndims);
	*m = (uint32_t)x->dims[x->ndims - 2];
	*k = (uint32_t)x->dims[x->ndims - 1];
	*n = (uint32_t)w->dims[w->ndims - 1];
	sx = x->ndims == 3 ? (uint32_t)x->dims[0] : 1;
	sw = w->ndims == 3 ? (uint32_t)w->dims[0] : 1;
	s = sx > sw ? sx : sw;
	if (w->dims[w->ndims - 2] != *k || (sx != s && sx != 1) ||
	    (sw != s && sw != 1) || !*m || !*k || !*n || !s)
		return ox_fail("inconsistent MatMul shapes");
	if (y->ndims != (x->ndims > w->ndims ? x->ndims : w->ndims) ||
	    y->dims[y->ndims - 2] != *m || y->dims[y->ndims - 1] != *n ||
	    (y->ndims == 3 && y->dims[0] != s))
		return ox_fail("output shape disagrees");
	if (*m > 65536 || *k > 65536 || *n > 65536)
		return ox_skip("MatMul too large for the format");
	*slices = s;
	return OX_OK;
}

/* Slice @s of MatMulInteger, QLinearMatMul onto FULLY_CONNECTED. */
static int ox_map_matmul(const struct ox_args *a, uint32_t s,
			 struct ox_plan *pl)
{
	uint32_t slices, m, k, n, i, j, l;
	size_t xb, wb;
	int ret;

	ret = ox_matmul_shape(a, &slices, &m, &k, &n);
	if (!ret)
		ret = ox_check_args(a, n, m);
	if (ret)
		return ret;
	xb = a->x->ndims == 3 ? (size_t)s * m * k : 0;
	wb = a->w->ndims == 3 ? (size_t)s * k * n : 0;

	pl->fc = true;
	pl->p.stride_h = pl->p.stride_w = 1;
	pl->p.dilation_h = pl->p.dilation_w = 1;
	pl->p.groups = 1;
	pl->p.act_min = -128;
	pl->p.act_max = 127;
	pl->n = m;
	pl->h = pl->w = 1;
	pl->cin = k;
	pl->oh = pl->ow = 1;
	pl->cout = n;
	pl->kh = pl->kw = 1;
	ret = ox_plan_alloc(pl);
	if (ret)
		return ret;

	pl->in_zp = ox_map8(a->x->type, ox_zp(a->xz, 0));
	for (i = 0; i < m * k; i++)
		pl->in[i] = (int8_t)ox_map8(a->x->type, a->x->iv[xb + i]);
	for (j = 0; j < n; j++) {
		for (l = 0; l < k; l++)
			pl->wd[(size_t)j * k + l] =
				(int32_t)(a->w->iv[wb + (size_t)l * n + j] -
					  ox_zp(a->wz, j));
		pl->ratio[j] = ox_ratio(a, j);
	}
	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			int64_t acc = 0;

			for (l = 0; l < k; l++)
				acc += (int64_t)(pl->in[(size_t)i * k + l] -
						 pl->in_zp) *
				       pl->wd[(size_t)j * k + l];
			pl->acc[(size_t)i * n + j] = acc;
			pl->yv[(size_t)i * n + j] =
				a->y->iv[(size_t)s * m * n + (size_t)i * n + j];
		}
	return ox_finish(a, pl);
}

/* ---- running the engine ------------------------------------------------ */

static int ox_build(const struct ox_plan *pl, void **blob, size_t *size,
		    uint32_t *stage_id, uint32_t *out_id)
{
	uint32_t ishape[4] = { pl->n, pl->h, pl->w, pl->cin };
	uint32_t wshape[4] = { pl->cout, pl->kh, pl->kw,
			       pl->cin / pl->p.groups };
	uint32_t bshape[4] = { 1, 1, 1, pl->cout };
	uint32_t oshape[4] = { pl->n, pl->oh, pl->ow, pl->cout };
	uint32_t sshape[4];
	struct vision_model_input_stage st;
	union vision_model_op_params p;
	bool direct = pl->n == 1 && (pl->cin == 1 || pl->cin == 3);
	uint32_t stage, act, ids[3], out;
	struct vmb *b;
	int ret;

	if ((uint64_t)pl->n * pl->h > VISION_MODEL_MAX_DIM ||
	    (uint64_t)pl->w * pl->cin > VISION_MODEL_MAX_DIM)
		return ox_skip("input too large for a [1,H,W,1] input stage");
	b = vmb_new();
	if (!b)
		return ox_fail("out of memory");
	memset(&st, 0, sizeof(st));
	memset(&p, 0, sizeof(p));
	if (direct) {
		memcpy(sshape, ishape, sizeof(sshape));
		st.color = pl->cin == 1 ? VISION_MODEL_COLOR_GREY :
					  VISION_MODEL_COLOR_RGB;
	} else {
		/* The input stage takes [1,H,W,1 or 3]: view it as NHWC. */
		sshape[0] = 1;
		sshape[1] = pl->n * pl->h;
		sshape[2] = pl->w * pl->cin;
		sshape[3] = 1;
		st.color = VISION_MODEL_COLOR_GREY;
	}
	stage = vmb_arena_tensor(b, sshape, pl->in_zp, 1.0f, "input");
	act = stage;
	if (!direct) {
		act = vmb_view_tensor(b, stage, ishape, "input_nhwc");
		vmb_op(b, VISION_MODEL_OP_RESHAPE, &stage, 1, act, NULL,
		       "reshape");
	}
	ids[0] = act;
	ids[1] = vmb_const_tensor(b, wshape, VISION_MODEL_TYPE_INT8, 0, 1.0f,
				  NULL, VISION_MODEL_ENC_DENSE, pl->wt,
				  ox_nw(pl), "weights");
	ids[2] = vmb_const_tensor(b, bshape, VISION_MODEL_TYPE_INT32, 0, 1.0f,
				  NULL, VISION_MODEL_ENC_DENSE, pl->bias,
				  pl->cout * sizeof(*pl->bias), "bias");
	p.conv = pl->p;
	p.conv.requant = vmb_const(b, pl->rq, pl->cout * sizeof(*pl->rq), 8);
	out = vmb_arena_tensor(b, oshape, pl->out_zp, 1.0f, "output");
	vmb_op(b,
	       pl->fc ? VISION_MODEL_OP_FULLY_CONNECTED :
			VISION_MODEL_OP_CONV_2D,
	       ids, 3, out, &p, pl->fc ? "matmul" : "conv");
	st.tensor = stage;
	vmb_input(b, &st);
	vmb_output(b, out, NULL, 0);
	ret = vmb_finish(b, blob, size);
	vmb_free(b);
	if (ret)
		return ox_fail("model builder: %s", strerror(-ret));
	*stage_id = stage;
	*out_id = out;
	return OX_OK;
}

/* Compare one table's output; count ties; log the first mismatches. */
static int ox_compare(struct __test_metadata *_metadata,
		      const struct ox_plan *pl, const int8_t *got,
		      const char *what, uint32_t *ties)
{
	size_t no = ox_nout(pl), e;
	uint32_t bad = 0;

	*ties = 0;
	for (e = 0; e < no; e++) {
		if (got[e] == pl->want[e])
			continue;
		if (pl->real && abs(got[e] - pl->want[e]) == 1 &&
		    ox_tie_ok(pl->real[e], pl->out_zp, got[e], pl->want[e])) {
			(*ties)++;
			continue;
		}
		if (bad++ < 8) {
			size_t c = e % pl->cout, pix = e / pl->cout;

			TH_LOG("%s: element %zu (pixel %zu, channel %zu): got %d, want %d, acc %lld, exact %.9f",
			       what, e, pix, c, got[e], pl->want[e],
			       (long long)pl->acc[e],
			       pl->real ? pl->real[e] : (double)pl->acc[e]);
		}
	}
	if (bad)
		return ox_fail("%s: %u of %zu elements differ", what, bad, no);
	return OX_OK;
}

/* Build, validate and run @pl on every kernel table; compare. */
static int ox_run(struct __test_metadata *_metadata, const struct ox_plan *pl,
		  const char *what, uint32_t *ties, uint32_t *tables)
{
	struct vis_engine_error err;
	struct vis_model m;
	uint32_t stage = 0, out = 0, t;
	const struct vis_kernels *k;
	int8_t *first = NULL;
	size_t size, no = ox_nout(pl);
	void *blob = NULL;
	int ret;

	ret = ox_build(pl, &blob, &size, &stage, &out);
	if (ret)
		return ret;
	memset(&err, 0, sizeof(err));
	ret = vis_model_validate(&m, blob, size, &err);
	if (ret) {
		ret = ox_fail(
			"%s: model rejected: %s (%d), section %u entry %u, %s: %s",
			what, strerror(-ret), ret, err.section, err.index,
			err.field, err.msg);
		goto out;
	}
	*tables = 0;
	/* Every table this CPU has. */
	for_each_kernel_table(k, t)
	{
		size_t asz = ALIGN(m.arena_size ? m.arena_size : 1, 64);
		size_t ssz = ALIGN(m.scratch_size ? m.scratch_size : 1, 64);
		struct vis_exec x;
		char name[256];
		uint32_t tt;
		uint8_t *arena, *scratch;

		arena = aligned_alloc(64, asz);
		scratch = aligned_alloc(64, ssz);
		if (!arena || !scratch) {
			free(arena);
			free(scratch);
			ret = ox_fail("out of memory");
			goto out;
		}
		/* Garbage everywhere the model should not read. */
		memset(arena, 0x5a, asz);
		memset(scratch, 0xa5, ssz);
		memcpy(arena + m.tensors[stage].offset, pl->in, ox_nin(pl));
		memset(&x, 0, sizeof(x));
		x.model = &m;
		x.arena = arena;
		x.scratch = scratch;
		x.k = k;
		snprintf(name, sizeof(name), "%s [%s]", what, k->name);
		ret = vis_engine_run(&x);
		if (ret) {
			ret = ox_fail("%s: vis_engine_run: %d", name, ret);
		} else {
			const int8_t *got =
				(const int8_t *)arena + m.tensors[out].offset;

			ret = ox_compare(_metadata, pl, got, name, &tt);
			if (!ret && !first) {
				*ties = tt;
				first = malloc(no);
				if (first)
					memcpy(first, got, no);
			} else if (!ret && memcmp(first, got, no)) {
				ret = ox_fail(
					"%s: differs from the %s table (each table must match the portable one bit for bit)",
					name, kernel_table_names[0]);
			}
		}
		free(arena);
		free(scratch);
		if (ret)
			goto out;
		(*tables)++;
	}
	if (!*tables)
		ret = ox_fail("no kernel table available");
out:
	free(first);
	free(blob);
	return ret;
}

/* ---- the tests -------------------------------------------------------- */

static int ox_case_run(struct __test_metadata *_metadata, const char *test)
{
	struct ox_case *c = calloc(1, sizeof(*c));
	const struct ox_opdesc *d = NULL;
	struct ox_args a;
	uint32_t slices = 1, s, ties = 0, tables = 0, rescaled = 0, i;
	int ret;

	if (!c)
		return ox_fail("out of memory");
	ret = ox_case_load(test, c);
	if (ret)
		goto out;
	for (i = 0; i < ARRAY_SIZE(ox_ops); i++)
		if (!strcmp(c->m.op_type, ox_ops[i].op))
			d = &ox_ops[i];
	if (!d) {
		ret = ox_skip("%s: operator %s has no engine equivalent", test,
			      c->m.op_type);
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.d = d;
	a.x = ox_arg(c, d->x);
	a.xs = ox_arg(c, d->xs);
	a.xz = ox_arg(c, d->xz);
	a.w = ox_arg(c, d->w);
	a.ws = ox_arg(c, d->ws);
	a.wz = ox_arg(c, d->wz);
	a.ys = ox_arg(c, d->ys);
	a.yz = ox_arg(c, d->yz);
	a.b = ox_arg(c, d->b);
	a.y = &c->out;

	TH_LOG("%s: %s", test, d->op);
	for (i = 0; i < c->m.nattrs; i++) {
		const struct ox_attr *at = &c->m.attrs[i];
		char buf[128];
		size_t n = 0, j;

		for (j = 0; j < at->ints.n && n < sizeof(buf) - 24; j++)
			n += snprintf(buf + n, sizeof(buf) - n, " %lld",
				      (long long)at->ints.v[j]);
		if (!at->ints.n)
			snprintf(buf, sizeof(buf), " %lld %s", (long long)at->i,
				 at->s);
		TH_LOG("  attr %s:%s", at->name, buf);
	}
	ox_log_tensor(_metadata, "x", a.x);
	ox_log_tensor(_metadata, "x_scale", a.xs);
	ox_log_tensor(_metadata, "x_zp", a.xz);
	ox_log_tensor(_metadata, "w", a.w);
	ox_log_tensor(_metadata, "w_scale", a.ws);
	ox_log_tensor(_metadata, "w_zp", a.wz);
	ox_log_tensor(_metadata, "y_scale", a.ys);
	ox_log_tensor(_metadata, "y_zp", a.yz);
	if (d->b >= 0)
		ox_log_tensor(_metadata, "bias", a.b);
	ox_log_tensor(_metadata, "y", a.y);

	if (!d->conv) {
		uint32_t m, k, n;

		ret = ox_matmul_shape(&a, &slices, &m, &k, &n);
		if (ret)
			goto out;
	}
	for (s = 0; s < slices; s++) {
		struct ox_plan pl;
		char what[192];
		uint32_t t = 0, nt = 0;

		memset(&pl, 0, sizeof(pl));
		ret = d->conv ? ox_map_conv(c, &a, &pl) :
				ox_map_matmul(&a, s, &pl);
		if (slices > 1)
			snprintf(what, sizeof(what), "%s slice %u", test, s);
		else
			snprintf(what, sizeof(what), "%s", test);
		if (!ret)
			ret = ox_run(_metadata, &pl, what, &t, &nt);
		rescaled += pl.rescaled;
		ox_plan_free(&pl);
		if (ret) {
			ret = ox_set(ret, "%s: %.400s", what, ox_why);
			goto out;
		}
		ties += t;
		tables = nt;
	}
	if (rescaled)
		TH_LOG("%s: %u output channel(s) had w - w_zp outside [-127, 127] and were divided by their common factor (same real values)",
		       test, rescaled);
	if (d->qlinear)
		TH_LOG("%s: %u element(s) differ from ONNX by one on an exact .5 tie (TFLite rounding vs round-half-to-even)",
		       test, ties);
	TH_LOG("%s: matches on %u kernel table(s)", test, tables);
out:
	ox_case_free(c);
	free(c);
	return ret;
}

static bool ox_have_data(void)
{
	return !access(ONNX_NODE_DIR, R_OK | X_OK);
}

#define ONNX_NODE_TEST(name)                                                    \
	TEST(name)                                                              \
	{                                                                       \
		int ret;                                                        \
                                                                                \
		if (!ox_have_data())                                            \
			SKIP(return,                                            \
				   "%s missing: install the Debian package %s", \
				   ONNX_NODE_DIR, ONNX_PKG);                    \
		ret = ox_case_run(_metadata, "test_" #name);                    \
		if (ret == OX_SKIP)                                             \
			SKIP(return, "%s", ox_why);                             \
		ASSERT_EQ(OX_OK, ret)                                           \
		TH_LOG("%s", ox_why);                                           \
	}

ONNX_NODE_TEST(qlinearconv)
ONNX_NODE_TEST(qlinearmatmul_2D)
ONNX_NODE_TEST(qlinearmatmul_3D)
ONNX_NODE_TEST(basic_convinteger)
ONNX_NODE_TEST(convinteger_with_padding)
ONNX_NODE_TEST(convinteger_without_padding)
ONNX_NODE_TEST(matmulinteger)

static const char *const ox_listed[] = {
	"test_qlinearconv",
	"test_qlinearmatmul_2D",
	"test_qlinearmatmul_3D",
	"test_basic_convinteger",
	"test_convinteger_with_padding",
	"test_convinteger_without_padding",
	"test_matmulinteger",
};

/* Node tests of the four operators that newer versions of the data add. */
static int ox_is_other(const struct dirent *e)
{
	static const char *const ops[] = { "qlinearconv", "qlinearmatmul",
					   "convinteger", "matmulinteger" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ox_listed); i++)
		if (!strcmp(e->d_name, ox_listed[i]))
			return 0;
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (strcasestr(e->d_name, ops[i]))
			return 1;
	return 0;
}

TEST(other_quantized_node_tests)
{
	struct dirent **list = NULL;
	uint32_t pass = 0, skip = 0, fail = 0;
	int n, i;

	if (!ox_have_data())
		SKIP(return, "%s missing: install the Debian package %s",
			   ONNX_NODE_DIR, ONNX_PKG);
	n = scandir(ONNX_NODE_DIR, &list, ox_is_other, alphasort);
	ASSERT_LE(0, n);
	for (i = 0; i < n; i++) {
		int ret = ox_case_run(_metadata, list[i]->d_name);

		if (ret == OX_OK)
			pass++;
		else if (ret == OX_SKIP)
			skip++;
		else
			fail++;
		if (ret)
			TH_LOG("%s: %s: %s", list[i]->d_name,
			       ret == OX_SKIP ? "skipped" : "FAILED", ox_why);
		free(list[i]);
	}
	free(list);
	TH_LOG("%u passed, %u skipped, %u failed", pass, skip, fail);
	if (!n)
		SKIP(return,
			   "no further quantized conv/matmul node tests in this version of %s",
			   ONNX_PKG);
	ASSERT_EQ(0, fail);
	if (!pass)
		SKIP(return,
			   "none of %d further node tests maps onto the engine",
			   n);
}

TEST(quantize_multiplier_of_one)
{
	struct vision_model_requant q;

	/* ConvInteger/MatMulInteger use exactly 1.0: 2^30 * 2^(1 - 31). */
	ASSERT_TRUE(ox_quantize_multiplier(1.0, &q));
	ASSERT_EQ(1 << 30, q.multiplier);
	ASSERT_EQ(1, q.shift);
	ASSERT_TRUE(ox_quantize_multiplier(0.5, &q));
	ASSERT_EQ(1 << 30, q.multiplier);
	ASSERT_EQ(0, q.shift);
	/* Rounds up to 2^31: folded into the shift. */
	ASSERT_TRUE(ox_quantize_multiplier(nextafter(1.0, 0.0), &q));
	ASSERT_EQ(1 << 30, q.multiplier);
	ASSERT_EQ(1, q.shift);
}

TEST(tie_rule)
{
	/* Only the two neighbours of an exact .5 tie are accepted. */
	ASSERT_TRUE(ox_tie_ok(2.5, 0, 2, 3));
	ASSERT_TRUE(ox_tie_ok(2.5, 0, 3, 2));
	ASSERT_TRUE(ox_tie_ok(-3.5 + 1e-7, 1, -3, -2));
	ASSERT_TRUE(ox_tie_ok(127.5, -1, 126, 127));
	ASSERT_FALSE(ox_tie_ok(2.5, 0, 1, 2));
	ASSERT_FALSE(ox_tie_ok(2.4999, 0, 2, 3));
	ASSERT_FALSE(ox_tie_ok(2.0, 0, 2, 3));
	ASSERT_EQ(2, ox_rne(2.5));
	ASSERT_EQ(-4, ox_rne(-3.5));
}

TEST(protobuf_decoder)
{
	/* dims 2, 3 (unpacked), data_type INT8, int32_data packed -1, 2, -128,
	 * 127, 0, 5; name "t". */
	static const uint8_t msg[] = {
		0x08, 0x02, 0x08, 0x03, 0x10, 0x03, 0x2a, 0x18, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
		0x02, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0x01, 0x7f, 0x00, 0x05, 0x42, 0x01, 't',
	};
	static const int64_t want[] = { -1, 2, -128, 127, 0, 5 };
	struct ox_tensor t;
	struct pb b = { msg, msg + sizeof(msg) };
	size_t i;

	ASSERT_EQ(OX_OK, ox_tensor_parse(b, &t))
	TH_LOG("%s", ox_why);
	ASSERT_STREQ("t", t.name);
	ASSERT_EQ(OX_INT8, t.type);
	ASSERT_EQ(2, t.ndims);
	ASSERT_EQ(6, t.count);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(want[i], t.iv[i]);
	ox_tensor_free(&t);

	/* Truncated: the length runs past the end. */
	b.end = msg + 20;
	ASSERT_EQ(OX_FAIL, ox_tensor_parse(b, &t));
}

TEST_HARNESS_MAIN
