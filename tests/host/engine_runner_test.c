// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The executor and the CPU runner: a small network of every common
 * operator gives the same bytes whatever the thread count and kernel
 * table; cancellation stops at a chunk boundary; the per-operator hook
 * sees every operator in order.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cpu_runner.h"
#include "engine_test_util.h"

#include "kselftest_harness.h"

static uint32_t lcg_state = 12345;

static uint32_t lcg_rnd(void)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return lcg_state >> 8;
}

static void fill(int8_t *p, size_t n, int lo, int hi)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (int8_t)(lo +
				(int)(lcg_rnd() % (unsigned int)(hi - lo + 1)));
}

/* Cout requants of roughly 1/scale_div, valid TFLite multipliers. */
static struct vision_model_requant *requants(uint32_t cout, int shift)
{
	struct vision_model_requant *r = calloc(cout, sizeof(*r));

	for (uint32_t c = 0; c < cout; c++) {
		r[c].multiplier =
			(int32_t)((1u << 30) + lcg_rnd() % (1u << 30));
		r[c].shift = shift;
	}
	return r;
}

/* CONV_2D or FULLY_CONNECTED of @in with random weights and bias. */
static uint32_t layer(struct vmb *b, uint32_t type, uint32_t in,
		      const uint32_t wshape[4],
		      const struct vision_model_conv *p, int shift,
		      const uint32_t oshape[4], float bias_scale,
		      const char *wname, const char *bname, const char *name,
		      bool rnd_zp)
{
	uint32_t cout = wshape[0];
	size_t wn = (size_t)cout * wshape[1] * wshape[2] * wshape[3];
	int8_t *w = malloc(wn);
	int32_t *bias = malloc(cout * sizeof(*bias));
	struct vision_model_requant *rq;
	struct vmb_weights wt = {
		.data = w,
		.size = wn,
		.encoding = VISION_MODEL_ENC_DENSE,
		.shape = { wshape[0], wshape[1], wshape[2], wshape[3] },
		.scale = 0.01f,
		.name = wname,
		.bias = bias,
		.bias_scale = bias_scale,
		.bias_name = bname,
	};
	int32_t zp = 0;
	uint32_t out;

	fill(w, wn, -127, 127);
	for (uint32_t c = 0; c < cout; c++)
		bias[c] = type == VISION_MODEL_OP_CONV_2D ?
				  (int32_t)(lcg_rnd() % 20001) - 10000 :
				  (int32_t)(lcg_rnd() % 2001) - 1000;
	rq = requants(cout, shift);
	wt.requant = rq;
	if (rnd_zp)
		zp = (int32_t)(lcg_rnd() % 21) - 10;
	out = vmb_conv2d(b, type, in, &wt, p, oshape, zp, rnd_zp ? 0.05f : 0.1f,
			 name, NULL, NULL);
	free(rq);
	free(w);
	free(bias);
	return out;
}

static uint32_t conv(struct vmb *b, uint32_t in, const uint32_t ishape[4],
		     uint32_t cout, uint32_t k, uint32_t stride,
		     uint32_t groups, uint32_t oshape[4])
{
	uint32_t wshape[4] = { cout, k, k, ishape[3] / groups }, pad = k / 2;
	struct vision_model_conv p =
		vmb_conv_params(stride, pad, groups, -128, 127);

	oshape[0] = 1;
	oshape[1] = (ishape[1] + 2 * pad - k) / stride + 1;
	oshape[2] = (ishape[2] + 2 * pad - k) / stride + 1;
	oshape[3] = cout;
	return layer(b, VISION_MODEL_OP_CONV_2D, in, wshape, &p, -9, oshape,
		     0.0001f, "w", "b", "conv", true);
}

/* input 32x32x3 -> conv 3x3 s2 16 -> dw 3x3 -> pw 1x1 24 -> add(pw, pw2)
 * -> max pool -> global avg pool -> fc 10 -> softmax */
static void *build_net(size_t *size)
{
	uint32_t in_shape[4] = { 1, 32, 32, 3 }, s1[4], s2[4], s3[4], s4[4];
	uint32_t in, t1, t2, t3, t4, sum, pool, gap, fc, sm, ids[3];
	struct vision_model_input_stage st;
	union vision_model_op_params p;
	struct vmb *b = vmb_new();
	void *blob = NULL;

	in = vmb_arena_tensor(b, in_shape, -3, 0.02f, "input");
	t1 = conv(b, in, in_shape, 16, 3, 2, 1, s1);
	t2 = conv(b, t1, s1, 16, 3, 1, 16, s2);
	t3 = conv(b, t2, s2, 24, 1, 1, 1, s3);
	t4 = conv(b, t2, s2, 24, 1, 1, 1, s4);

	memset(&p, 0, sizeof(p));
	p.binary.left_shift = 20;
	p.binary.input1.multiplier = 1 << 30;
	p.binary.input1.shift = 0;
	p.binary.input2.multiplier = (1 << 30) + (1 << 28);
	p.binary.input2.shift = -1;
	p.binary.output.multiplier = (1 << 30) + 12345;
	p.binary.output.shift = -19;
	p.binary.act_min = -128;
	p.binary.act_max = 127;
	ids[0] = t3;
	ids[1] = t4;
	sum = vmb_arena_tensor(b, s3, 4, 0.1f, "sum");
	vmb_op(b, VISION_MODEL_OP_ADD, ids, 2, sum, &p, "add");

	memset(&p, 0, sizeof(p));
	p.pool = vmb_pool_params(2, 2, 0, -128, 127);
	s4[0] = 1;
	s4[1] = s3[1] / 2;
	s4[2] = s3[2] / 2;
	s4[3] = 24;
	pool = vmb_arena_tensor(b, s4, 4, 0.1f, "pool");
	vmb_op(b, VISION_MODEL_OP_MAX_POOL, &sum, 1, pool, &p, "pool");

	memset(&p, 0, sizeof(p));
	p.pool.requant.multiplier = (1 << 30) + (1 << 29);
	p.pool.requant.shift = -5;
	p.pool.act_min = -128;
	p.pool.act_max = 127;
	gap = vmb_arena_tensor(b, (uint32_t[4]){ 1, 1, 1, 24 }, 0, 0.1f, "gap");
	vmb_op(b, VISION_MODEL_OP_GLOBAL_AVG_POOL, &pool, 1, gap, &p, "gap");

	{
		const uint32_t ws[4] = { 10, 1, 1, 24 },
			       bs[4] = { 1, 1, 1, 10 };
		struct vision_model_conv fp =
			vmb_conv_params(1, 0, 1, -128, 127);

		fc = layer(b, VISION_MODEL_OP_FULLY_CONNECTED, gap, ws, &fp, -7,
			   bs, 0.001f, "fc.w", "fc.b", "logits", false);
	}

	memset(&p, 0, sizeof(p));
	p.softmax.input_beta_multiplier = 1759218604;
	p.softmax.input_beta_left_shift = 23;
	p.softmax.diff_min = -248;
	sm = vmb_arena_tensor(b, (uint32_t[4]){ 1, 1, 1, 10 }, -128, 1.0f / 256,
			      "prob");
	vmb_op(b, VISION_MODEL_OP_SOFTMAX, &fc, 1, sm, &p, "softmax");

	memset(&st, 0, sizeof(st));
	st.tensor = in;
	st.color = VISION_MODEL_COLOR_RGB;
	st.resize = VISION_MODEL_RESIZE_BILINEAR;
	st.norm_shift = 8;
	for (int c = 0; c < 3; c++) {
		st.norm_mul[c] = 256;
		st.norm_add[c] = -128 * 256;
	}
	vmb_input(b, &st);
	vmb_output(b, sm, NULL, 0);
	if (vmb_finish(b, &blob, size))
		blob = NULL;
	vmb_free(b);
	return blob;
}

FIXTURE(net)
{
	void *blob;
	struct vis_model m;
	uint8_t *input;
	uint64_t in_off, in_size;
};

FIXTURE_SETUP(net)
{
	struct vis_engine_error err;
	size_t size;
	const struct vision_model_tensor *t;

	self->blob = build_net(&size);
	ASSERT_NE(NULL, self->blob);
	ASSERT_EQ(0, vis_model_validate(&self->m, self->blob, size, &err))
	TH_LOG("%s: %s", err.field, err.msg);
	t = &self->m.tensors[self->m.input->tensor];
	self->in_off = t->offset;
	self->in_size = t->size;
	self->input = malloc(self->in_size);
	fill((int8_t *)self->input, self->in_size, -128, 127);
}

FIXTURE_TEARDOWN(net)
{
	free(self->input);
	free(self->blob);
}

static uint8_t *run_single(struct vis_model *m, const uint8_t *input,
			   uint64_t off, uint64_t n,
			   const struct vis_kernels *k)
{
	uint8_t *arena = calloc(1, m->arena_size);
	uint8_t *scratch = malloc(m->scratch_size ? m->scratch_size : 1);
	struct vis_exec x = {
		.model = m,
		.arena = arena,
		.scratch = scratch,
		.k = k,
	};

	memcpy(arena + off, input, n);
	if (vis_engine_run(&x)) {
		free(arena);
		arena = NULL;
	}
	free(scratch);
	return arena;
}

TEST_F(net, threads_and_kernels_agree)
{
	uint8_t *ref = run_single(&self->m, self->input, self->in_off,
				  self->in_size,
				  vis_kernels_by_name("portable"));
	const struct vis_kernels *k;
	unsigned int n;

	ASSERT_NE(NULL, ref);
	for (unsigned int threads = 1; threads <= 7; threads += 2) {
		struct vis_cpu_runner *r;

		ASSERT_EQ(0, vis_cpu_runner_new(threads, &r));
		ASSERT_EQ(threads, vis_cpu_runner_threads(r));
		for_each_kernel_table(k, n)
		{
			uint8_t *arena;

			arena = calloc(1, self->m.arena_size);
			memcpy(arena + self->in_off, self->input,
			       self->in_size);
			for (int rep = 0; rep < 3; rep++) {
				ASSERT_EQ(0, vis_cpu_run(r, &self->m, arena, k,
							 NULL, NULL));
			}
			/* Every tensor, not only the outputs. */
			EXPECT_EQ(0, memcmp(ref, arena, self->m.arena_size))
			TH_LOG("threads %u kernels %s differ", threads,
			       kernel_table_names[n]);
			free(arena);
		}
		vis_cpu_runner_free(r);
	}
	free(ref);
}

struct stop_state {
	unsigned int calls;
	unsigned int stop_at;
	unsigned int ops_seen;
	int order_ok;
};

static bool stop_after(void *priv)
{
	struct stop_state *s = priv;

	return ++s->calls > s->stop_at;
}

static void op_seen(void *priv, uint32_t op)
{
	struct stop_state *s = priv;

	if (op != s->ops_seen)
		s->order_ok = 0;
	s->ops_seen++;
}

TEST_F(net, cancel_and_op_hook)
{
	uint8_t *arena = calloc(1, self->m.arena_size);
	uint8_t *scratch = malloc(self->m.scratch_size + 1);
	struct stop_state s = { .stop_at = 1000000, .order_ok = 1 };
	struct vis_exec x = {
		.model = &self->m,
		.arena = arena,
		.scratch = scratch,
		.k = vis_kernels_best(),
		.should_stop = stop_after,
		.op_done = op_seen,
		.priv = &s,
	};
	unsigned int full;

	ASSERT_EQ(0, vis_engine_run(&x));
	ASSERT_EQ(self->m.num_ops, s.ops_seen);
	ASSERT_TRUE(s.order_ok);
	full = s.calls;
	/* Polled at least once per operator. */
	ASSERT_LE(self->m.num_ops, full);

	for (unsigned int at = 0; at < full; at++) {
		s = (struct stop_state){ .stop_at = at, .order_ok = 1 };
		ASSERT_EQ(-ECANCELED, vis_engine_run(&x));
		ASSERT_EQ(at + 1, s.calls);
		ASSERT_LT(s.ops_seen, self->m.num_ops);
	}
	free(scratch);
	free(arena);
}

TEST(runner_many_threads_lifecycle)
{
	for (unsigned int n = 0; n < 20; n++) {
		struct vis_cpu_runner *r;

		ASSERT_EQ(0, vis_cpu_runner_new(n % 9, &r));
		ASSERT_LE(1, vis_cpu_runner_threads(r));
		vis_cpu_runner_free(r);
	}
	vis_cpu_runner_free(NULL);
}

TEST_HARNESS_MAIN
