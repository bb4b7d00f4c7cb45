// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Helpers shared by the engine host tests; see engine_test_util.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_test_util.h"

/* As the harness's LOG(test, ), which cannot be used outside the test file. */
#define LOG(test, fmt, ...)                                               \
	fprintf(stderr, "# %s:%d:%s:" fmt "\n", __FILE__, __LINE__, test, \
		##__VA_ARGS__)

const char *const kernel_table_names[NUM_KERNEL_TABLES] = {
	"portable", "avx2", "avx512bw", "avx512vnni", "neon-dotprod",
};

/* ---- random numbers ------------------------------------------------------ */

uint64_t rng_state;

void rng_seed(uint64_t seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
}

uint32_t rnd(void)
{
	/* xorshift64*: fixed seeds make every run identical. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Uniform in [lo, hi]. */
int32_t rnd_range(int32_t lo, int32_t hi)
{
	return lo + (int32_t)(rnd() % (uint32_t)((int64_t)hi - lo + 1));
}

double rnd_unit(void)
{
	return rnd() / 4294967296.0;
}

void rnd_fill(int8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (int8_t)rnd();
}

/* A Q31 multiplier, often at the edges of its range. */
int32_t rnd_multiplier(void)
{
	switch (rnd() % 6) {
	case 0:
		return 1 << 30;
	case 1:
		return INT32_MAX;
	default:
		return (int32_t)((1u << 30) + rnd() % (1u << 30));
	}
}

/* TFLite QuantizeMultiplier: real = m * 2^(shift - 31). */
struct vision_model_requant quantize(double real)
{
	struct vision_model_requant r = { 0, 0 };
	int shift;
	double q;
	int64_t m;

	if (real <= 0)
		return r;
	q = frexp(real, &shift);
	m = llround(q * 2147483648.0);
	if (m == 2147483648ll) {
		m /= 2;
		shift++;
	}
	if (shift < -31) {
		/* Too small to represent: zero, as TFLite does. */
		return r;
	}
	r.multiplier = (int32_t)m;
	r.shift = shift;
	return r;
}

void rnd_act(int32_t *lo, int32_t *hi)
{
	if (rnd() % 4) {
		*lo = -128;
		*hi = 127;
		return;
	}
	*lo = rnd_range(-128, 127);
	*hi = rnd_range(*lo, 127);
}

/* ---- model plumbing -------------------------------------------------------- */

/* The input-stage tensor: a GREY [1,H,W,1] frame. */
uint32_t add_frame(struct vmb *b, uint32_t h, uint32_t w, int32_t zp)
{
	const uint32_t s[4] = { 1, h, w, 1 };
	struct vision_model_input_stage st = { 0 };
	uint32_t id = vmb_arena_tensor(b, s, zp, 0.1f, "frame");

	st.tensor = id;
	st.color = VISION_MODEL_COLOR_GREY;
	vmb_input(b, &st);
	return id;
}

/* RESHAPE of @src to @shape: a view at the same offset. */
uint32_t add_reshape(struct vmb *b, uint32_t src, const uint32_t shape[4])
{
	uint32_t id = vmb_view_tensor(b, src, shape, "view");

	vmb_op(b, VISION_MODEL_OP_RESHAPE, &src, 1, id, NULL, "reshape");
	return id;
}

/* A frame of @shape's elements viewed as @shape. */
uint32_t add_input(struct vmb *b, const uint32_t shape[4], int32_t zp,
		   uint32_t *frame)
{
	*frame = add_frame(b, shape[0] * shape[1], shape[2] * shape[3], zp);
	return add_reshape(b, *frame, shape);
}

uint32_t add_input_or_const(struct vmb *b, const uint32_t shape[4], int32_t zp,
			    bool as_const, uint32_t *frame)
{
	void *zeros;
	uint32_t id;

	if (!as_const)
		return add_input(b, shape, zp, frame);
	*frame = add_frame(b, 1, 1, 0);
	zeros = calloc(1, elems(shape));
	id = vmb_const_tensor(b, shape, VISION_MODEL_TYPE_INT8, zp, 1.0f, NULL,
			      VISION_MODEL_ENC_DENSE, zeros, elems(shape), "c");
	free(zeros);
	return id;
}

uint32_t add_table(struct vmb *b, const int8_t table[256])
{
	const uint32_t s[4] = { 1, 1, 1, 256 };

	return vmb_const_tensor(b, s, VISION_MODEL_TYPE_INT8, 0, 1.0f, NULL,
				VISION_MODEL_ENC_DENSE, table, 256, "table");
}

uint32_t add_identity_table(struct vmb *b)
{
	int8_t t[256];
	int i;

	for (i = 0; i < 256; i++)
		t[i] = (int8_t)(i - 128);
	return add_table(b, t);
}

/* LUT of @src through @table into a new tensor with zero point @zp. */
uint32_t add_lut(struct vmb *b, uint32_t src, const uint32_t shape[4],
		 uint32_t table, int32_t zp)
{
	uint32_t in[2] = { src, table };
	uint32_t id = vmb_arena_tensor(b, shape, zp, 0.1f, "lut");

	vmb_op(b, VISION_MODEL_OP_LUT, in, 2, id, NULL, "lut");
	return id;
}

/* MAX_POOL 1x1 with strides (@sh, @sw): picks rows and columns. */
uint32_t add_pick(struct vmb *b, uint32_t src, uint32_t h, uint32_t w,
		  uint32_t sh, uint32_t sw, int32_t zp)
{
	const uint32_t s[4] = { 1, (h - 1) / sh + 1, (w - 1) / sw + 1, 1 };
	union vision_model_op_params p;
	uint32_t id = vmb_arena_tensor(b, s, zp, 0.1f, "pick");

	memset(&p, 0, sizeof(p));
	p.pool.filter_h = 1;
	p.pool.filter_w = 1;
	p.pool.stride_h = sh;
	p.pool.stride_w = sw;
	p.pool.act_min = -128;
	p.pool.act_max = 127;
	vmb_op(b, VISION_MODEL_OP_MAX_POOL, &src, 1, id, &p, "pick");
	return id;
}

/* Output @out, lay out the blob and remember where things are. */
int finish(struct vmb *b, uint32_t frame, uint32_t out, uint32_t op,
	   struct model *md)
{
	int ret;

	memset(md, 0, sizeof(*md));
	md->op = op;
	md->frame_off = vmb_tensor_at(b, frame)->offset;
	md->frame_elems = vmb_tensor_at(b, frame)->size;
	md->out_off = vmb_tensor_at(b, out)->offset;
	md->out_elems = vmb_tensor_at(b, out)->size;
	vmb_output(b, out, NULL, 0);
	ret = vmb_finish(b, &md->blob, &md->size);
	vmb_free(b);
	return ret;
}

/*
 * Validate @blob, copy @in_elems bytes of @in to @in_off of an arena of
 * exactly the size the model asks for (so ASan sees overruns) filled with
 * garbage elsewhere (so reads of unwritten bytes change results), run it
 * on the portable kernels (@by_units: every operator one unit at a time,
 * last unit first, to show the units are independent) and copy
 * @out_elems bytes at @out_off to @out.
 */
static int validate_and_run(const void *blob, size_t size, uint64_t in_off,
			    const int8_t *in, uint64_t in_elems,
			    uint64_t out_off, int8_t *out, uint64_t out_elems,
			    bool by_units, struct vis_engine_error *err)
{
	struct vis_model m;
	struct vis_exec x = { 0 };
	uint32_t op, u;
	int ret;

	ret = vis_model_validate(&m, blob, size, err);
	if (ret)
		return ret;
	x.model = &m;
	x.arena = malloc(m.arena_size);
	x.scratch = m.scratch_size ? malloc(m.scratch_size) : NULL;
	x.k = vis_kernels_by_name("portable");
	if (!x.arena || (m.scratch_size && !x.scratch) || !x.k) {
		free(x.arena);
		free(x.scratch);
		return -ENOMEM;
	}
	memset(x.arena, 0x5a, m.arena_size);
	memcpy(x.arena + in_off, in, in_elems);
	if (by_units) {
		for (op = 0; op < m.num_ops; op++)
			for (u = vis_engine_op_units(&m, op); u > 0; u--)
				vis_engine_op_run(&x, op, u - 1, u);
	} else {
		ret = vis_engine_run(&x);
	}
	memcpy(out, x.arena + out_off, out_elems);
	free(x.arena);
	free(x.scratch);
	return ret;
}

int run_model(const struct model *md, const int8_t *frame, int8_t *out,
	      bool by_units, struct vis_engine_error *err)
{
	return validate_and_run(md->blob, md->size, md->frame_off, frame,
				md->frame_elems, md->out_off, out,
				md->out_elems, by_units, err);
}

/* Validation must fail at operator md->op, in the ops section. */
bool rejected_at_op_log(const char *test, const struct model *md)
{
	struct vis_engine_error err;
	struct vis_model m;
	int ret;

	ret = vis_model_validate(&m, md->blob, md->size, &err);
	if (ret != -EINVAL || err.section != VISION_MODEL_SECTION_OPS ||
	    err.index != md->op) {
		LOG(test, "ret %d section %u index %u (want op %u): %s: %s",
		    ret, err.section, err.index, md->op, err.field, err.msg);
		return false;
	}
	return true;
}

/* Run @md on @fr both ways and compare with @want; false on mismatch. */
bool run_and_compare_log(const char *test, const struct model *md,
			 const int8_t *fr, const int8_t *want, const char *what)
{
	struct vis_engine_error err;
	int8_t *got = malloc(md->out_elems);
	bool ok = got;
	uint64_t i;
	int pass, ret;

	for (pass = 0; pass < 2 && ok; pass++) {
		memset(got, 0, md->out_elems);
		ret = run_model(md, fr, got, pass, &err);
		if (ret) {
			LOG(test, "%s: run: %d: %s: %s", what, ret, err.field,
			    err.msg);
			ok = false;
			break;
		}
		for (i = 0; i < md->out_elems; i++) {
			if (got[i] != want[i]) {
				LOG(test,
				    "%s: elem %llu: got %d want %d (pass %d)",
				    what, (unsigned long long)i, got[i],
				    want[i], pass);
				ok = false;
				break;
			}
		}
	}
	free(got);
	return ok;
}

bool check_frame_model_log(const char *test, struct vmb *b, uint32_t frame,
			   uint32_t out, uint32_t op, frame_ref_fn *ref,
			   const void *k, const char *what)
{
	int8_t *fr, *want;
	struct model md;
	bool ok;

	if (!b || finish(b, frame, out, op, &md))
		return false;
	fr = malloc(md.frame_elems);
	want = malloc(md.out_elems);
	ok = fr && want;
	if (ok) {
		rnd_fill(fr, md.frame_elems);
		ref(k, fr, want);
		ok = run_and_compare_log(test, &md, fr, want, what);
	}
	free(fr);
	free(want);
	free(md.blob);
	return ok;
}

/*
 * A model running one SOFTMAX or RESIZE on an input of @ishape. The input
 * stage accepts only [1,H,W,1|3] tensors, so other shapes are made by a
 * RESHAPE view of a [1, N*H, W*C, 1] input.
 */
int build_one_op(uint32_t type, const uint32_t ishape[4], int32_t izp,
		 const uint32_t oshape[4], int32_t ozp, float oscale,
		 const union vision_model_op_params *p, enum input_kind kind,
		 struct one_op *o)
{
	struct vision_model_input_stage st = { 0 };
	const uint32_t one[4] = { 1, 1, 1, 1 };
	struct vmb *b = vmb_new();
	uint32_t in, out;
	int ret;

	memset(o, 0, sizeof(*o));
	if (!b)
		return -ENOMEM;
	o->elems_in = (uint64_t)ishape[0] * ishape[1] * ishape[2] * ishape[3];
	o->elems_out = (uint64_t)oshape[0] * oshape[1] * oshape[2] * oshape[3];
	st.color = VISION_MODEL_COLOR_GREY;
	if (kind != INPUT_ARENA) {
		bool i32 = kind == INPUT_CONST_INT32;
		size_t bytes = o->elems_in * (i32 ? 4 : 1);
		void *zeros = calloc(1, bytes);

		st.tensor = vmb_arena_tensor(b, one, 0, 1.0f, "frame");
		in = vmb_const_tensor(
			b, ishape,
			i32 ? VISION_MODEL_TYPE_INT32 : VISION_MODEL_TYPE_INT8,
			i32 ? 0 : izp, 1.0f, NULL, VISION_MODEL_ENC_DENSE,
			zeros, bytes, "const");
		free(zeros);
	} else if (ishape[0] == 1 && (ishape[3] == 1 || ishape[3] == 3)) {
		in = vmb_arena_tensor(b, ishape, izp, 0.1f, "in");
		st.tensor = in;
		if (ishape[3] == 3)
			st.color = VISION_MODEL_COLOR_RGB;
	} else {
		const uint32_t flat[4] = { 1, ishape[0] * ishape[1],
					   ishape[2] * ishape[3], 1 };
		uint32_t src = vmb_arena_tensor(b, flat, izp, 0.1f, "frame");

		st.tensor = src;
		in = vmb_view_tensor(b, src, ishape, "in");
		vmb_op(b, VISION_MODEL_OP_RESHAPE, &src, 1, in, NULL,
		       "reshape");
	}
	out = vmb_arena_tensor(b, oshape, ozp, oscale, "out");
	o->op_index = vmb_op(b, type, &in, 1, out, p, "op");
	if (kind == INPUT_ARENA)
		o->in_off = vmb_tensor_at(b, in)->offset;
	o->out_off = vmb_tensor_at(b, out)->offset;
	vmb_input(b, &st);
	vmb_output(b, out, NULL, 0);
	ret = vmb_finish(b, &o->blob, &o->size);
	vmb_free(b);
	return ret;
}

int run_one_op(const struct one_op *o, const int8_t *input, int8_t *output,
	       struct vis_engine_error *err)
{
	return validate_and_run(o->blob, o->size, o->in_off, input, o->elems_in,
				o->out_off, output, o->elems_out, false, err);
}

bool one_op_rejected_log(const char *test, const struct one_op *o,
			 const char *what)
{
	struct vis_engine_error err;
	struct vis_model m;
	bool ok = true;
	int ret;

	memset(&err, 0, sizeof(err));
	ret = vis_model_validate(&m, o->blob, o->size, &err);
	if (ret != -EINVAL) {
		LOG(test, "%s: accepted (%d)", what, ret);
		ok = false;
	}
	if (err.section != VISION_MODEL_SECTION_OPS) {
		LOG(test, "%s: section %u", what, err.section);
		ok = false;
	}
	if (err.index != o->op_index) {
		LOG(test, "%s: index %u (%s: %s)", what, err.index, err.field,
		    err.msg);
		ok = false;
	}
	return ok;
}

float xorshift_unit(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return (float)((x >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1;
}
