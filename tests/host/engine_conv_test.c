// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * CONV_2D and FULLY_CONNECTED: the engine, run through the real path
 * (model builder, vis_model_validate(), vis_engine_run() with arena and
 * scratch of exactly the validated sizes), against a straightforward
 * reference written here from the TFLite formula, bit for bit, for
 * thousands of random geometries, quantizations and sparsities, with
 * every kernel table this CPU supports; and models check() must reject.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_builder.h"
#include "tflite_ref.h"
#include "vis_engine.h"

#include "kselftest_harness.h"

/* ---- random numbers (fixed seeds) ---------------------------------- */

static u64 rng_state;

static void rng_seed(u64 s)
{
	rng_state = s * 0x9e3779b97f4a7c15ull + 1;
}

static u64 rng_next(void)
{
	/* splitmix64 */
	u64 z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static s64 rng_range(s64 lo, s64 hi)
{
	return lo + (s64)(rng_next() % (u64)(hi - lo + 1));
}

static bool rng_chance(int percent)
{
	return rng_range(0, 99) < percent;
}

/* ---- test cases ------------------------------------------------------ */

struct conv_case {
	bool fc;
	u32 n, h, w, cin, cout, kh, kw;
	u32 sh, sw, dh, dw, pt, pl, pb, pr, groups;
	s32 in_zp, out_zp, act_min, act_max;
	u32 oh, ow, k; /* derived */
	s8 *wt; /* dense OHWI, cout * k */
	s32 *bias;
	struct vision_model_requant *rq;
	s8 *in;
};

static u32 case_k(const struct conv_case *c)
{
	if (c->fc)
		return c->h * c->w * c->cin;
	return c->kh * c->kw * (c->cin / c->groups);
}

static bool case_geometry(struct conv_case *c)
{
	s64 ph = (s64)c->h + c->pt + c->pb;
	s64 pw = (s64)c->w + c->pl + c->pr;
	s64 eh = (s64)c->dh * (c->kh - 1) + 1;
	s64 ew = (s64)c->dw * (c->kw - 1) + 1;

	c->k = case_k(c);
	if (c->fc) {
		c->oh = 1;
		c->ow = 1;
		return true;
	}
	if (eh > ph || ew > pw)
		return false;
	c->oh = (u32)((ph - eh) / c->sh + 1);
	c->ow = (u32)((pw - ew) / c->sw + 1);
	return true;
}

/* 1x1 filter, unit strides and dilations, no padding, one group. */
static void unit_geometry(struct conv_case *c)
{
	c->kh = 1;
	c->kw = 1;
	c->sh = 1;
	c->sw = 1;
	c->dh = 1;
	c->dw = 1;
	c->pt = 0;
	c->pl = 0;
	c->pb = 0;
	c->pr = 0;
	c->groups = 1;
}

static void case_free(struct conv_case *c)
{
	free(c->wt);
	free(c->bias);
	free(c->rq);
	free(c->in);
	c->wt = NULL;
	c->bias = NULL;
	c->rq = NULL;
	c->in = NULL;
}

static s8 rand_s8(void)
{
	return (s8)rng_range(-128, 127);
}

/* Weights, bias, requant and input for a case whose geometry is set. */
static void case_fill(struct conv_case *c, int sparsity)
{
	size_t nw = (size_t)c->cout * c->k;
	size_t nin = (size_t)c->n * c->h * c->w * c->cin;
	s64 bmax = INT32_MAX - (s64)c->k * 255 * 127;
	u32 kpad = (c->k + 3) / 4 * 4;
	int wmode = (int)rng_range(0, 9);
	size_t i;
	u32 co, b, j;

	c->wt = calloc(nw ? nw : 1, 1);
	c->bias = calloc(c->cout, sizeof(*c->bias));
	c->rq = calloc(c->cout, sizeof(*c->rq));
	c->in = malloc(nin);
	for (i = 0; i < nw; i++) {
		/* Symmetric range, sometimes at its extremes. */
		if (wmode == 0)
			c->wt[i] = rng_chance(50) ? 127 : -127;
		else
			c->wt[i] = (s8)rng_range(-127, 127);
	}
	/* Prune whole blocks of 4 along K, and sometimes whole rows. */
	for (co = 0; co < c->cout; co++) {
		bool zero_row = sparsity && rng_chance(10);

		for (b = 0; b < kpad / 4; b++) {
			if (!zero_row && !rng_chance(sparsity))
				continue;
			for (j = b * 4; j < b * 4 + 4 && j < c->k; j++)
				c->wt[(size_t)co * c->k + j] = 0;
		}
	}
	for (co = 0; co < c->cout; co++) {
		s32 m;
		int s;

		if (rng_chance(5))
			c->bias[co] = (s32)(rng_chance(50) ? bmax : -bmax);
		else if (rng_chance(10))
			c->bias[co] = (s32)rng_range(-bmax, bmax);
		else
			c->bias[co] = (s32)rng_range(-100000, 100000);
		if (rng_chance(3))
			m = 0;
		else if (rng_chance(5))
			m = rng_chance(50) ? (1 << 30) : INT32_MAX;
		else
			m = (s32)rng_range(1 << 30, INT32_MAX);
		if (rng_chance(10)) {
			s = (int)rng_range(-31, 30);
		} else {
			/* Roughly unit output spread: 2^-(7 + log2(K) / 2). */
			int lg = 0;

			while ((1u << lg) < c->k)
				lg++;
			s = -(7 + lg / 2) + (int)rng_range(-3, 3);
			if (s < -31)
				s = -31;
		}
		c->rq[co].multiplier = m;
		c->rq[co].shift = s;
	}
	for (i = 0; i < nin; i++)
		c->in[i] = rand_s8();
	if (rng_chance(5)) /* extreme inputs against an extreme zero point */
		for (i = 0; i < nin; i++)
			c->in[i] = c->in_zp >= 0 ? -128 : 127;
}

/* ---- the reference ---------------------------------------------------- */

static s8 ref_out(const struct conv_case *c, u32 co, s64 acc)
{
	s64 v;

	/* check() guarantees the accumulator fits; verify that here. */
	if (acc < INT32_MIN || acc > INT32_MAX)
		abort();
	v = (s64)ref_mbqm((s32)acc, c->rq[co].multiplier, c->rq[co].shift) +
	    c->out_zp;
	if (v < c->act_min)
		v = c->act_min;
	if (v > c->act_max)
		v = c->act_max;
	return ref_clamp8((s32)v, c->act_min, c->act_max);
}

/* The accumulator of output (n, oy, ox, co), straight from the formula. */
static s64 ref_conv_acc(const struct conv_case *c, u32 n, u32 oy, u32 ox,
			u32 co)
{
	u32 cgi = c->cin / c->groups, cgo = c->cout / c->groups;
	u32 g = co / cgo, ky, kx, ci;
	s64 acc = c->bias[co];

	for (ky = 0; ky < c->kh; ky++) {
		for (kx = 0; kx < c->kw; kx++) {
			s64 iy = (s64)oy * c->sh - c->pt + (s64)ky * c->dh;
			s64 ix = (s64)ox * c->sw - c->pl + (s64)kx * c->dw;
			const s8 *ip, *wp;

			/* Padding contributes nothing. */
			if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
				continue;
			ip = c->in +
			     (((size_t)n * c->h + iy) * c->w + ix) * c->cin +
			     g * cgi;
			wp = c->wt +
			     (((size_t)co * c->kh + ky) * c->kw + kx) * cgi;
			for (ci = 0; ci < cgi; ci++)
				acc += (s64)(ip[ci] - c->in_zp) * wp[ci];
		}
	}
	return acc;
}

static void ref_conv(const struct conv_case *c, s8 *out)
{
	u32 n, oy, ox, co;
	size_t i = 0;

	for (n = 0; n < c->n; n++)
		for (oy = 0; oy < c->oh; oy++)
			for (ox = 0; ox < c->ow; ox++)
				for (co = 0; co < c->cout; co++) {
					s64 acc =
						ref_conv_acc(c, n, oy, ox, co);

					out[i++] = ref_out(c, co, acc);
				}
}

static void ref_fc(const struct conv_case *c, s8 *out)
{
	u32 n, co, i;

	for (n = 0; n < c->n; n++)
		for (co = 0; co < c->cout; co++) {
			s64 acc = c->bias[co];

			for (i = 0; i < c->k; i++)
				acc += (s64)(c->in[(size_t)n * c->k + i] -
					     c->in_zp) *
				       c->wt[(size_t)co * c->k + i];
			out[(size_t)n * c->cout + co] = ref_out(c, co, acc);
		}
}

/* ---- BLOCK4 encoding -------------------------------------------------- */

/* Encode dense rows x k as BLOCK4; returns the malloc'ed blob. */
static u8 *block4_encode(const s8 *w, u32 rows, u32 k, size_t *size)
{
	u32 bpr = (k + 3) / 4, nb = 0, r, b, i;
	u32 *row_ptr, *col;
	s8 *val;
	u8 *blob;

	for (r = 0; r < rows; r++)
		for (b = 0; b < bpr; b++)
			for (i = b * 4; i < b * 4 + 4 && i < k; i++)
				if (w[(size_t)r * k + i]) {
					nb++;
					break;
				}
	*size = 4 * ((size_t)rows + 1) + 8 * (size_t)nb;
	blob = calloc(1, *size);
	row_ptr = (u32 *)blob;
	col = row_ptr + rows + 1;
	val = (s8 *)(col + nb);
	nb = 0;
	for (r = 0; r < rows; r++) {
		row_ptr[r] = nb;
		for (b = 0; b < bpr; b++) {
			bool nz = false;

			for (i = b * 4; i < b * 4 + 4 && i < k; i++)
				nz |= w[(size_t)r * k + i] != 0;
			if (!nz)
				continue;
			col[nb] = b;
			for (i = b * 4; i < b * 4 + 4 && i < k; i++)
				val[(size_t)nb * 4 + i - b * 4] =
					w[(size_t)r * k + i];
			nb++;
		}
	}
	row_ptr[rows] = nb;
	return blob;
}

/* ---- building and running models ------------------------------------- */

enum corrupt {
	C_NONE,
	C_OUT_SHAPE,
	C_GROUPS_ZERO,
	C_GROUPS_NODIV,
	C_REQUANT_OFF,
	C_REQUANT_ALIGN,
	C_REQUANT_MULT,
	C_REQUANT_SHIFT,
	C_ACT_ORDER,
	C_ACT_RANGE,
	C_WEIGHTS_ARENA,
	C_WEIGHTS_ZP,
	C_WEIGHTS_TYPE,
	C_WEIGHTS_SHAPE,
	C_BIAS_SIZE,
	C_BIAS_TYPE,
	C_BIAS_ARENA,
	C_RESERVED,
	C_STRIDE_ZERO,
	C_DILATION_ZERO,
	C_ACC_BOUND,
	C_FC_GEOMETRY,
	C_NUM_INPUTS,
	C_B4_ROWPTR_START,
	C_B4_ROWPTR_DEC,
	C_B4_ROWPTR_END,
	C_B4_COL_ORDER,
	C_B4_COL_RANGE,
	C_B4_SIZE,
	C_B4_PAD_LANE,
	C_COUNT,
};

struct built {
	void *blob;
	size_t size;
	u32 in_tensor; /* where the test writes the input */
	u32 out_tensor;
	u32 op; /* index of the op under test */
};

/* Split e into a * b with both at most 65536 (for a GREY stage tensor). */
static bool split_dims(u64 e, u32 *a, u32 *b)
{
	u64 d;

	for (d = e < 65536 ? e : 65536; d >= 1; d--)
		if (e % d == 0 && e / d <= 65536) {
			*a = (u32)(e / d);
			*b = (u32)d;
			return true;
		}
	return false;
}

static int build(const struct conv_case *c, bool block4, enum corrupt bad,
		 struct built *out)
{
	struct vision_model_input_stage stage = { 0 };
	union vision_model_op_params prm;
	struct vision_model_conv *p = &prm.conv;
	u32 in_shape[4] = { c->n, c->h, c->w, c->cin };
	u32 w_shape[4] = { c->cout, c->kh, c->kw, c->cin / c->groups };
	u32 b_shape[4] = { 1, 1, 1, c->cout };
	u32 o_shape[4] = { c->n, c->oh, c->ow, c->cout };
	u32 ids[3], in, stage_id, wt, bias, o, a, b;
	size_t wsize = (size_t)c->cout * c->k;
	u32 bias_n = c->cout;
	u8 *wdata = (u8 *)c->wt;
	u8 *enc = NULL;
	struct vision_model_requant *rq;
	u32 rq_off;
	struct vmb *vb;
	int ret;

	if (c->fc) {
		w_shape[1] = 1;
		w_shape[2] = 1;
		w_shape[3] = c->k;
		o_shape[1] = 1;
		o_shape[2] = 1;
	}
	if (bad == C_OUT_SHAPE)
		o_shape[c->fc ? 3 : 1] += 1;
	if (bad == C_WEIGHTS_SHAPE)
		w_shape[3] += 1;
	if (bad == C_BIAS_SIZE)
		bias_n = c->cout + 1;
	b_shape[3] = bias_n;

	vb = vmb_new();
	if (!vb)
		return -ENOMEM;
	out->op = 0;
	/* The input stage takes [1,H,W,1|3]; other shapes via a RESHAPE. */
	if (c->n == 1 && (c->cin == 1 || c->cin == 3)) {
		in = vmb_arena_tensor(vb, in_shape, c->in_zp, 1.0f, "in");
		stage_id = in;
		stage.color = c->cin == 1 ? VISION_MODEL_COLOR_GREY :
					    VISION_MODEL_COLOR_RGB;
	} else {
		u32 s_shape[4] = { 1, 0, 0, 1 };

		if (!split_dims((u64)c->n * c->h * c->w * c->cin, &a, &b)) {
			vmb_free(vb);
			return -ERANGE;
		}
		s_shape[1] = a;
		s_shape[2] = b;
		stage_id =
			vmb_arena_tensor(vb, s_shape, c->in_zp, 1.0f, "stage");
		in = vmb_view_tensor(vb, stage_id, in_shape, "in");
		vmb_op(vb, VISION_MODEL_OP_RESHAPE, &stage_id, 1, in, NULL,
		       "reshape");
		stage.color = VISION_MODEL_COLOR_GREY;
		out->op = 1;
	}
	stage.tensor = stage_id;
	vmb_input(vb, &stage);

	if (block4) {
		enc = block4_encode(c->wt, c->cout, c->k, &wsize);
		wdata = enc;
	}
	if (enc && bad >= C_B4_ROWPTR_START && bad <= C_B4_PAD_LANE) {
		u32 *row_ptr = (u32 *)enc;
		u32 nb = row_ptr[c->cout];
		u32 *col = row_ptr + c->cout + 1;
		s8 *val = (s8 *)(col + nb);
		u32 r;

		switch (bad) {
		case C_B4_ROWPTR_START:
			row_ptr[0] = 1;
			break;
		case C_B4_ROWPTR_DEC:
			/* A row ending before it starts. */
			row_ptr[1] = row_ptr[2] + 1;
			break;
		case C_B4_ROWPTR_END:
			row_ptr[c->cout] = nb - 1;
			break;
		case C_B4_COL_ORDER:
			for (r = 0; r < c->cout; r++)
				if (row_ptr[r + 1] - row_ptr[r] >= 2) {
					col[row_ptr[r] + 1] = col[row_ptr[r]];
					break;
				}
			break;
		case C_B4_COL_RANGE:
			col[nb - 1] = (c->k + 3) / 4;
			break;
		case C_B4_SIZE:
			wsize -= 8;
			break;
		case C_B4_PAD_LANE:
			/* The last block of row 0 ends in padding lanes. */
			for (r = row_ptr[0]; r < row_ptr[1]; r++)
				if (col[r] == (c->k + 3) / 4 - 1)
					val[r * 4 + 3] = 1;
			break;
		default:
			break;
		}
	}
	if (!block4 && (bad == C_WEIGHTS_SHAPE || bad == C_WEIGHTS_TYPE)) {
		/* Data of the size the corrupted shape or type implies. */
		wsize = (size_t)w_shape[0] * w_shape[1] * w_shape[2] *
			w_shape[3] * (bad == C_WEIGHTS_TYPE ? 4 : 1);
		enc = calloc(1, wsize);
		wdata = enc;
	}
	if (bad == C_WEIGHTS_ARENA) {
		wt = vmb_arena_tensor(vb, w_shape, 0, 1.0f, "w");
	} else {
		wt = vmb_const_tensor(vb, w_shape,
				      bad == C_WEIGHTS_TYPE ?
					      VISION_MODEL_TYPE_INT32 :
					      VISION_MODEL_TYPE_INT8,
				      bad == C_WEIGHTS_ZP ? 1 : 0, 1.0f, NULL,
				      block4 ? VISION_MODEL_ENC_BLOCK4 :
					       VISION_MODEL_ENC_DENSE,
				      wdata, wsize, "w");
	}
	if (bad == C_BIAS_ARENA) {
		bias = vmb_arena_tensor(vb, b_shape, 0, 1.0f, "b");
	} else if (bad == C_BIAS_TYPE) {
		bias = vmb_const_tensor(vb, b_shape, VISION_MODEL_TYPE_INT8, 0,
					1.0f, NULL, VISION_MODEL_ENC_DENSE,
					c->bias, bias_n, "b");
	} else {
		s32 *bv = calloc(bias_n, sizeof(*bv));

		memcpy(bv, c->bias, c->cout * sizeof(*bv));
		if (bad == C_ACC_BOUND)
			bv[c->cout - 1] =
				(s32)(INT32_MAX - (s64)c->k * 255 * 127 + 1);
		bias = vmb_const_tensor(vb, b_shape, VISION_MODEL_TYPE_INT32, 0,
					1.0f, NULL, VISION_MODEL_ENC_DENSE, bv,
					bias_n * sizeof(*bv), "b");
		free(bv);
	}
	rq = calloc(c->cout, sizeof(*rq));
	memcpy(rq, c->rq, c->cout * sizeof(*rq));
	if (bad == C_REQUANT_MULT)
		rq[c->cout - 1].multiplier = (1 << 30) - 1;
	if (bad == C_REQUANT_SHIFT)
		rq[0].shift = 31;
	rq_off = vmb_const(vb, rq, c->cout * sizeof(*rq), 8);
	free(rq);
	o = vmb_arena_tensor(vb, o_shape, c->out_zp, 1.0f, "out");

	memset(&prm, 0, sizeof(prm));
	p->stride_h = c->sh;
	p->stride_w = c->sw;
	p->dilation_h = c->dh;
	p->dilation_w = c->dw;
	p->pad_top = c->pt;
	p->pad_left = c->pl;
	p->pad_bottom = c->pb;
	p->pad_right = c->pr;
	p->groups = c->groups;
	p->act_min = c->act_min;
	p->act_max = c->act_max;
	p->requant = rq_off;
	switch (bad) {
	case C_GROUPS_ZERO:
		p->groups = 0;
		break;
	case C_GROUPS_NODIV:
		p->groups = c->cin + 1;
		break;
	case C_REQUANT_OFF:
		p->requant = rq_off + 1024 * 1024;
		break;
	case C_REQUANT_ALIGN:
		p->requant = rq_off + 4;
		break;
	case C_ACT_ORDER:
		p->act_min = 10;
		p->act_max = 9;
		break;
	case C_ACT_RANGE:
		p->act_max = 128;
		break;
	case C_RESERVED:
		p->reserved[3] = 1;
		break;
	case C_STRIDE_ZERO:
		p->stride_w = 0;
		break;
	case C_DILATION_ZERO:
		p->dilation_h = 0;
		break;
	case C_FC_GEOMETRY:
		p->pad_left = 1;
		break;
	default:
		break;
	}
	ids[0] = in;
	ids[1] = wt;
	ids[2] = bias;
	vmb_op(vb,
	       c->fc ? VISION_MODEL_OP_FULLY_CONNECTED :
		       VISION_MODEL_OP_CONV_2D,
	       ids, bad == C_NUM_INPUTS ? 2 : 3, o, &prm, "op");
	vmb_output(vb, o, NULL, 0);
	ret = vmb_finish(vb, &out->blob, &out->size);
	vmb_free(vb);
	free(enc);
	out->in_tensor = in;
	out->out_tensor = o;
	return ret;
}

/* Kernel tables to test: every known one this CPU supports, and best. */
static const struct vis_kernels *kernels[8];
static int num_kernels;

static void init_kernels(void)
{
	static const char *const names[] = { "portable", "avx2", "avx512bw",
					     "avx512vnni", "neon-dotprod" };
	const struct vis_kernels *k;
	size_t i;
	int j;

	if (num_kernels)
		return;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		k = vis_kernels_by_name(names[i]);
		if (k)
			kernels[num_kernels++] = k;
	}
	k = vis_kernels_best();
	for (j = 0; j < num_kernels; j++)
		if (kernels[j] == k)
			break;
	if (j == num_kernels)
		kernels[num_kernels++] = k;
}

static long cases_run, runs_done, prepared_runs;

/*
 * Build (dense, then BLOCK4 when @try_block4), validate, run with every
 * kernel table, unprepared and with vis_model_prepare()'s weights when the
 * model has any, compare with @want. Returns 0 or a description.
 */
static const char *run_case(struct conv_case *c, const s8 *want, bool block4)
{
	static char msg[256];
	struct vis_engine_error err;
	struct vis_model m;
	struct built bt;
	struct vis_exec x;
	size_t osize = (size_t)c->n * c->oh * c->ow * c->cout;
	u8 *prepared = NULL;
	int ret, kidx, pass;

	ret = build(c, block4, C_NONE, &bt);
	if (ret == -ERANGE)
		return NULL;
	if (ret)
		return "vmb_finish failed";
	memset(&err, 0, sizeof(err));
	ret = vis_model_validate(&m, bt.blob, bt.size, &err);
	if (ret) {
		snprintf(msg, sizeof(msg),
			 "validate: %d section %u index %u %s: %s", ret,
			 err.section, err.index, err.field, err.msg);
		free(bt.blob);
		return msg;
	}
	if (m.prepared_size) {
		prepared = aligned_alloc(64, (m.prepared_size + 63) / 64 * 64);
		if (!prepared) {
			free(bt.blob);
			return "out of memory";
		}
		vis_model_prepare(&m, prepared);
	}
	for (pass = 0; pass < (prepared ? 2 * num_kernels : num_kernels);
	     pass++) {
		const struct vision_model_tensor *ti = &m.tensors[bt.in_tensor];
		const struct vision_model_tensor *to =
			&m.tensors[bt.out_tensor];

		kidx = pass % num_kernels;
		m.prepared = pass < num_kernels ? NULL : prepared;
		memset(&x, 0, sizeof(x));
		x.model = &m;
		x.arena = malloc(m.arena_size ? m.arena_size : 1);
		x.scratch = malloc(m.scratch_size ? m.scratch_size : 1);
		x.k = kernels[kidx];
		memset(x.arena, 0x5a, m.arena_size);
		memcpy(x.arena + ti->offset, c->in, ti->size);
		ret = vis_engine_run(&x);
		if (!ret && memcmp(x.arena + to->offset, want, osize)) {
			size_t i;

			for (i = 0; i < osize; i++)
				if ((s8)x.arena[to->offset + i] != want[i])
					break;
			snprintf(msg, sizeof(msg),
				 "%s %s%s: out[%zu] = %d, want %d",
				 kernels[kidx]->name,
				 block4 ? "block4" : "dense",
				 m.prepared ? " prepared" : "", i,
				 (s8)x.arena[to->offset + i], want[i]);
			ret = -1;
		} else if (ret) {
			snprintf(msg, sizeof(msg), "run: %d", ret);
		}
		free(x.arena);
		free(x.scratch);
		if (ret) {
			free(prepared);
			free(bt.blob);
			return msg;
		}
		runs_done++;
		prepared_runs += !!m.prepared;
	}
	free(prepared);
	free(bt.blob);
	return NULL;
}

static void describe(const struct conv_case *c, char *buf, size_t len)
{
	static const char fmt[] =
		"%s n%u %ux%ux%u->%u k%ux%u s%u,%u d%u,%u p%u,%u,%u,%u g%u zp %d,%d [%d,%d]";

	snprintf(buf, len, fmt, c->fc ? "FC" : "CONV", c->n, c->h, c->w, c->cin,
		 c->cout, c->kh, c->kw, c->sh, c->sw, c->dh, c->dw, c->pt,
		 c->pl, c->pb, c->pr, c->groups, c->in_zp, c->out_zp,
		 c->act_min, c->act_max);
}

/* Run @c dense and BLOCK4 (same weights) against the reference. */
static const char *check_case(struct conv_case *c, int sparsity)
{
	static char buf[600];
	const char *e;
	s8 *want;
	size_t osize;

	init_kernels();
	if (!case_geometry(c))
		return NULL;
	case_fill(c, sparsity);
	osize = (size_t)c->n * c->oh * c->ow * c->cout;
	want = malloc(osize);
	if (c->fc)
		ref_fc(c, want);
	else
		ref_conv(c, want);
	e = run_case(c, want, false);
	if (!e)
		e = run_case(c, want, true);
	free(want);
	cases_run++;
	if (e) {
		char d[300];

		describe(c, d, sizeof(d));
		snprintf(buf, sizeof(buf), "%s | %s", d, e);
		case_free(c);
		return buf;
	}
	case_free(c);
	return NULL;
}

static void rand_quant(struct conv_case *c)
{
	c->in_zp = (s32)rng_range(-128, 127);
	c->out_zp = (s32)rng_range(-128, 127);
	if (rng_chance(70)) {
		c->act_min = -128;
		c->act_max = 127;
	} else {
		c->act_min = (s32)rng_range(-128, 127);
		c->act_max = (s32)rng_range(c->act_min, 127);
	}
}

static int rand_sparsity(void)
{
	static const int s[] = { 0, 0, 20, 50, 80, 100 };

	return s[rng_range(0, 5)];
}

/* A random divisor of v. */
static u32 rand_divisor(u32 v)
{
	u32 d;

	do
		d = (u32)rng_range(1, v);
	while (v % d);
	return d;
}

static void rand_conv(struct conv_case *c, u32 maxhw, u32 maxc)
{
	memset(c, 0, sizeof(*c));
	c->n = rng_chance(80) ? 1 : (u32)rng_range(2, 3);
	c->h = (u32)rng_range(1, maxhw);
	c->w = (u32)rng_range(1, maxhw);
	c->cin = (u32)rng_range(1, maxc);
	c->kh = (u32)rng_range(1, 7);
	c->kw = rng_chance(70) ? c->kh : (u32)rng_range(1, 7);
	c->sh = (u32)rng_range(1, 3);
	c->sw = rng_chance(70) ? c->sh : (u32)rng_range(1, 3);
	c->dh = rng_chance(70) ? 1 : (u32)rng_range(1, 3);
	c->dw = rng_chance(70) ? c->dh : (u32)rng_range(1, 3);
	c->pt = (u32)rng_range(0, c->kh);
	c->pb = (u32)rng_range(0, c->kh);
	c->pl = (u32)rng_range(0, c->kw);
	c->pr = (u32)rng_range(0, c->kw);
	switch (rng_range(0, 3)) {
	case 0: /* depthwise, multiplier 1 or 2 */
		c->groups = c->cin;
		c->cout = c->cin * (u32)rng_range(1, 2);
		break;
	case 1: /* grouped */
		c->groups = rand_divisor(c->cin);
		c->cout = c->groups * (u32)rng_range(1, 4);
		break;
	default:
		c->groups = 1;
		c->cout = (u32)rng_range(1, maxc);
		break;
	}
	rand_quant(c);
}

/* ---- tests --------------------------------------------------------------- */

TEST(conv_random_small)
{
	struct conv_case c;
	int i;

	rng_seed(1);
	for (i = 0; i < 2500; i++) {
		const char *e;

		rand_conv(&c, 9, 12);
		e = check_case(&c, rand_sparsity());
		ASSERT_EQ(NULL, e) TH_LOG("case %d: %s", i, e);
	}
	TH_LOG("%ld cases, %ld runs (%ld prepared), %d kernel tables",
	       cases_run, runs_done, prepared_runs, num_kernels);
}

TEST(conv_random_medium)
{
	struct conv_case c;
	int i;

	rng_seed(2);
	for (i = 0; i < 300; i++) {
		const char *e;

		rand_conv(&c, 20, 70);
		e = check_case(&c, rand_sparsity());
		ASSERT_EQ(NULL, e) TH_LOG("case %d: %s", i, e);
	}
	TH_LOG("%ld cases, %ld runs (%ld prepared), %d kernel tables",
	       cases_run, runs_done, prepared_runs, num_kernels);
}

/* 1x1, stride 1, unpadded: the no-gather path (Cin % 4 == 0 or not). */
TEST(conv_pointwise)
{
	struct conv_case c;
	int i;

	rng_seed(3);
	for (i = 0; i < 300; i++) {
		const char *e;

		memset(&c, 0, sizeof(c));
		c.n = (u32)rng_range(1, 3);
		c.h = (u32)rng_range(1, 8);
		c.w = (u32)rng_range(1, 9);
		c.cin = rng_chance(70) ? 4 * (u32)rng_range(1, 24) :
					 (u32)rng_range(1, 40);
		c.cout = (u32)rng_range(1, 150);
		unit_geometry(&c);
		c.sh = rng_chance(80) ? 1 : 2;
		c.sw = rng_chance(80) ? 1 : 2;
		rand_quant(&c);
		e = check_case(&c, rand_sparsity());
		ASSERT_EQ(NULL, e) TH_LOG("case %d: %s", i, e);
	}
	TH_LOG("%ld cases, %ld runs (%ld prepared), %d kernel tables",
	       cases_run, runs_done, prepared_runs, num_kernels);
	/* Enough rows and K for vis_model_prepare() in many cases. */
	ASSERT_LT(100, prepared_runs);
}

/*
 * Grouped convolutions with enough rows per group for the prepared
 * weights (one panel set per group), any geometry.
 */
TEST(conv_grouped_prepared)
{
	struct conv_case c;
	int i;

	rng_seed(7);
	for (i = 0; i < 60; i++) {
		const char *e;

		rand_conv(&c, 14, 8);
		c.groups = (u32)rng_range(2, 4);
		c.cin = c.groups * (u32)rng_range(1, 12);
		c.cout = c.groups * (u32)rng_range(16, 40);
		rand_quant(&c);
		e = check_case(&c, rand_sparsity());
		ASSERT_EQ(NULL, e) TH_LOG("case %d: %s", i, e);
	}
	TH_LOG("%ld cases, %ld runs (%ld prepared), %d kernel tables",
	       cases_run, runs_done, prepared_runs, num_kernels);
	ASSERT_LT(50, prepared_runs);
}

/*
 * Stems: Cin = 3 (K = 27 or 147, not a multiple of 4), 3x3 or 7x7 at
 * stride 2, padded, rows wide enough that whole tiles of pixels and the
 * packed-weight path are used, and the odd pixel and row counts after.
 */
TEST(conv_stem)
{
	struct conv_case c;
	int i;

	rng_seed(7);
	for (i = 0; i < 24; i++) {
		const char *e;
		u32 pad;

		memset(&c, 0, sizeof(c));
		c.n = 1;
		c.cin = i % 3 == 2 ? (u32)rng_range(1, 8) : 3;
		c.cout = i % 4 == 0 ? 64 : (u32)rng_range(1, 80);
		c.kh = i % 2 ? 7 : 3;
		c.kw = c.kh;
		c.h = (u32)rng_range(c.kh, 24);
		c.w = (u32)rng_range(c.kh, 160);
		c.sh = 2;
		c.sw = rng_chance(80) ? 2 : 1;
		c.dh = 1;
		c.dw = 1;
		pad = c.kh / 2;
		c.pt = pad;
		c.pl = pad;
		c.pb = rng_chance(50) ? pad : pad - 1;
		c.pr = rng_chance(50) ? pad : pad - 1;
		c.groups = 1;
		rand_quant(&c);
		e = check_case(&c, rand_sparsity());
		ASSERT_EQ(NULL, e) TH_LOG("case %d: %s", i, e);
	}
	TH_LOG("%ld cases, %ld runs (%ld prepared), %d kernel tables",
	       cases_run, runs_done, prepared_runs, num_kernels);
}

/* Depthwise: multiplier 1 and 2, small and large channel counts. */
TEST(conv_depthwise)
{
	struct conv_case c;
	int i;

	rng_seed(4);
	for (i = 0; i < 400; i++) {
		const char *e;

		rand_conv(&c, 12, 40);
		if (i % 10 == 0)
			c.cin = (u32)rng_range(200, 2048);
		c.h = i % 10 == 0 ? (u32)rng_range(1, 4) : c.h;
		c.w = i % 10 == 0 ? (u32)rng_range(1, 4) : c.w;
		c.groups = c.cin;
		c.cout = c.cin * (u32)rng_range(1, 2);
		e = check_case(&c, rand_sparsity());
		ASSERT_EQ(NULL, e) TH_LOG("case %d: %s", i, e);
	}
	TH_LOG("%ld cases, %ld runs (%ld prepared), %d kernel tables",
	       cases_run, runs_done, prepared_runs, num_kernels);
}

/*
 * Depthwise, targeted: every channel count 1..70 (vector tails), channel
 * multipliers 1..3, kernels 1..7, stride, dilation and padding mixes; then
 * filters large enough that the output channels are split into ranges.
 * check_case() runs each dense and BLOCK4.
 */
TEST(conv_depthwise_shapes)
{
	struct conv_case c;
	u32 i;

	rng_seed(6);
	for (i = 0; i < 420; i++) {
		const char *e;

		rand_conv(&c, 9, 4);
		c.cin = i < 70 ? i + 1 : (u32)rng_range(1, 70);
		c.groups = c.cin;
		c.cout = c.cin * (u32)rng_range(1, 3);
		c.kh = i % 7 + 1;
		c.kw = rng_chance(60) ? c.kh : (u32)rng_range(1, 7);
		c.h = (u32)rng_range(c.kh, c.kh + 6);
		c.w = (u32)rng_range(c.kw, c.kw + 8);
		e = check_case(&c, rand_sparsity());
		ASSERT_EQ(NULL, e) TH_LOG("case %u: %s", i, e);
	}
	for (i = 0; i < 12; i++) {
		const char *e;

		rand_conv(&c, 4, 4);
		c.kh = i < 6 ? 7 : (u32)rng_range(20, 40);
		c.kw = c.kh;
		c.h = c.kh + (u32)rng_range(0, 2);
		c.w = c.kw + (u32)rng_range(0, 2);
		c.dh = 1;
		c.dw = 1;
		c.cin = i < 6 ? (u32)rng_range(300, 700) :
				(u32)rng_range(1, 40);
		c.groups = c.cin;
		c.cout = c.cin * (u32)rng_range(1, 3);
		e = check_case(&c, rand_sparsity());
		ASSERT_EQ(NULL, e) TH_LOG("large case %u: %s", i, e);
	}
	/*
	 * MobileNet-like 3x3 layers: channel counts around the 16-, 32- and
	 * 64-channel blocks of the SIMD kernels, runs of output pixels that
	 * span rows and images, long unpadded runs, extreme zero points.
	 */
	for (i = 0; i < 40; i++) {
		static const u32 cins[] = { 8,	16, 17, 24, 31, 32,  33,
					    48, 63, 64, 65, 96, 144, 160 };
		const char *e;

		rand_conv(&c, 4, 4);
		c.n = (u32)rng_range(1, 2);
		c.cin = cins[i % ARRAY_SIZE(cins)];
		c.groups = c.cin;
		c.cout = c.cin * (i % 8 == 7 ? 2 : 1);
		c.kh = 3;
		c.kw = 3;
		c.sh = (u32)rng_range(1, 2);
		c.sw = c.sh;
		c.dh = 1;
		c.dw = 1;
		c.pt = 1;
		c.pl = 1;
		c.pb = c.sh == 1 ? 1 : 0;
		c.pr = c.pb;
		c.h = (u32)rng_range(3, 17);
		c.w = (u32)rng_range(3, 17);
		if (i % 3 == 2) {
			/* Rows long enough for runs without a tap table. */
			c.h = (u32)rng_range(3, 6);
			c.w = (u32)rng_range(30, 90);
		}
		if (i % 4 == 1) {
			c.in_zp = rng_chance(50) ? -128 : 127;
			c.out_zp = rng_chance(50) ? -128 : 127;
		}
		e = check_case(&c, rand_sparsity());
		ASSERT_EQ(NULL, e) TH_LOG("3x3 case %u: %s", i, e);
	}
	TH_LOG("%ld cases, %ld runs (%ld prepared), %d kernel tables",
	       cases_run, runs_done, prepared_runs, num_kernels);
}

/* Huge channel counts on tiny images, including 1x1 images. */
TEST(conv_wide)
{
	struct conv_case c;
	int i;

	rng_seed(5);
	for (i = 0; i < 16; i++) {
		const char *e;
		u32 pad;

		memset(&c, 0, sizeof(c));
		c.n = 1;
		c.h = (u32)rng_range(1, 3);
		c.w = (u32)rng_range(1, 3);
		c.sh = 1;
		c.sw = 1;
		c.dh = 1;
		c.dw = 1;
		if (i % 2 == 0) {
			/* 1x1 filters, up to 2048 x 2048 channels. */
			c.cin = i % 4 == 0 ? 2048 : (u32)rng_range(100, 2048);
			c.cout = i % 8 == 0 ? 2048 : (u32)rng_range(1, 300);
			c.kh = 1;
		} else {
			c.cin = (u32)rng_range(100, 512);
			c.cout = (u32)rng_range(1, 200);
			c.kh = 3;
		}
		c.kw = c.kh;
		pad = c.kh / 2;
		c.pt = pad;
		c.pl = pad;
		c.pb = pad;
		c.pr = pad;
		c.groups = 1;
		rand_quant(&c);
		e = check_case(&c, rand_sparsity());
		ASSERT_EQ(NULL, e) TH_LOG("case %d: %s", i, e);
	}
	TH_LOG("%ld cases, %ld runs (%ld prepared), %d kernel tables",
	       cases_run, runs_done, prepared_runs, num_kernels);
}

TEST(fc_random)
{
	struct conv_case c;
	int i;

	rng_seed(6);
	for (i = 0; i < 600; i++) {
		const char *e;

		memset(&c, 0, sizeof(c));
		c.fc = true;
		c.n = rng_chance(50) ? 1 : (u32)rng_range(2, 9);
		c.h = (u32)rng_range(1, 4);
		c.w = (u32)rng_range(1, 4);
		c.cin = (u32)rng_range(1, i % 20 == 0 ? 1024 : 64);
		c.cout = (u32)rng_range(1, i % 20 == 1 ? 1000 : 150);
		unit_geometry(&c);
		rand_quant(&c);
		e = check_case(&c, rand_sparsity());
		ASSERT_EQ(NULL, e) TH_LOG("case %d: %s", i, e);
	}
	TH_LOG("%ld cases, %ld runs (%ld prepared), %d kernel tables",
	       cases_run, runs_done, prepared_runs, num_kernels);
}

/*
 * The accumulator at its proven bound: the longest reduction an FC can
 * have (K is a dimension), extreme inputs, weights and zero points, and
 * the largest bias check() accepts.
 */
TEST(fc_accumulator_limit)
{
	static const s32 zps[] = { -128, 127 };
	struct conv_case c;
	const char *e;
	s8 *want;
	size_t i;
	int z;

	init_kernels();
	for (z = 0; z < 2; z++) {
		memset(&c, 0, sizeof(c));
		c.fc = true;
		c.n = 2;
		c.h = 2;
		c.w = VISION_MODEL_MAX_DIM / 2;
		c.cin = 1;
		c.cout = 3;
		unit_geometry(&c);
		c.in_zp = zps[z];
		c.out_zp = 0;
		c.act_min = -128;
		c.act_max = 127;
		ASSERT_TRUE(case_geometry(&c));
		c.wt = malloc((size_t)c.cout * c.k);
		c.bias = calloc(c.cout, sizeof(*c.bias));
		c.rq = calloc(c.cout, sizeof(*c.rq));
		c.in = malloc((size_t)c.n * c.k);
		for (i = 0; i < (size_t)c.cout * c.k; i++)
			c.wt[i] = i < c.k	      ? 127 :
				  i < 2 * (size_t)c.k ? -127 :
							(s8)(i % 255 - 127);
		for (i = 0; i < c.cout; i++) {
			c.bias[i] = (s32)(INT32_MAX - (s64)c.k * 255 * 127) *
				    (z ? -1 : 1);
			c.rq[i].multiplier = INT32_MAX;
			c.rq[i].shift = -24;
		}
		for (i = 0; i < (size_t)c.n * c.k; i++)
			c.in[i] = c.in_zp < 0 ? 127 : -128;
		want = malloc((size_t)c.n * c.cout);
		ref_fc(&c, want);
		e = run_case(&c, want, false);
		ASSERT_EQ(NULL, e) TH_LOG("%s", e);
		e = run_case(&c, want, true);
		ASSERT_EQ(NULL, e) TH_LOG("%s", e);
		free(want);
		case_free(&c);
	}
}

/* ---- models check() must reject ---------------------------------------- */

static void base_case(struct conv_case *c, bool fc)
{
	memset(c, 0, sizeof(*c));
	c->fc = fc;
	c->n = 1;
	c->h = 6;
	c->w = 5;
	c->cin = 3;
	c->cout = 8;
	unit_geometry(c);
	if (!fc) {
		c->kh = 3;
		c->kw = 3;
		c->pt = 1;
		c->pl = 1;
		c->pb = 1;
		c->pr = 1;
	}
	c->in_zp = 3;
	c->out_zp = -2;
	c->act_min = -128;
	c->act_max = 127;
	case_geometry(c);
	/* Dense enough that every BLOCK4 row has several blocks. */
	case_fill(c, 0);
}

/* BLOCK4 corruptions need BLOCK4 weights; FC_GEOMETRY an FC. */
static bool corrupt_applies(int bad, bool fc, bool block4)
{
	if (bad >= C_B4_ROWPTR_START && bad <= C_B4_PAD_LANE)
		return block4;
	if (bad == C_FC_GEOMETRY)
		return fc;
	/* Encoded tensors must be INT8: the generic check catches that. */
	if (bad == C_WEIGHTS_TYPE)
		return !block4;
	return true;
}

TEST(bad_models_rejected)
{
	struct conv_case c;
	struct vis_engine_error err;
	struct vis_model m;
	struct built bt;
	int fc, b4, bad, ret, rejected = 0;

	rng_seed(7);
	for (fc = 0; fc < 2; fc++) {
		for (b4 = 0; b4 < 2; b4++) {
			base_case(&c, fc);
			/* The base model is valid. */
			ASSERT_EQ(0, build(&c, b4, C_NONE, &bt));
			memset(&err, 0, sizeof(err));
			ret = vis_model_validate(&m, bt.blob, bt.size, &err);
			ASSERT_EQ(0, ret)
			TH_LOG("fc %d b4 %d: %s: %s", fc, b4, err.field,
			       err.msg);
			free(bt.blob);
			for (bad = C_NONE + 1; bad < C_COUNT; bad++) {
				if (!corrupt_applies(bad, fc, b4))
					continue;
				ASSERT_EQ(0, build(&c, b4, bad, &bt))
				TH_LOG("corruption %d", bad);
				memset(&err, 0, sizeof(err));
				ret = vis_model_validate(&m, bt.blob, bt.size,
							 &err);
				free(bt.blob);
				ASSERT_NE(0, ret)
				TH_LOG("fc %d b4 %d corruption %d accepted", fc,
				       b4, bad);
				ASSERT_EQ(VISION_MODEL_SECTION_OPS, err.section)
				TH_LOG("fc %d b4 %d corruption %d: %s: %s", fc,
				       b4, bad, err.field, err.msg);
				ASSERT_EQ(bt.op, err.index);
				rejected++;
			}
			case_free(&c);
		}
	}
	TH_LOG("%d bad models rejected", rejected);
}

/* The output shape must match the geometry exactly, in each dimension. */
TEST(bad_geometry_rejected)
{
	struct conv_case c;
	struct vis_engine_error err;
	struct vis_model m;
	struct built bt;
	int i, ret;

	rng_seed(8);
	for (i = 0; i < 200; i++) {
		rand_conv(&c, 9, 6);
		c.n = 1;
		c.cin = 3;
		c.groups = 1;
		if (!case_geometry(&c))
			continue;
		case_fill(&c, 0);
		/* A window larger than the padded input: no valid shape. */
		c.kh = c.h + c.pt + c.pb + 1;
		c.dh = 1;
		c.oh = 1;
		c.k = case_k(&c);
		free(c.wt);
		c.wt = calloc((size_t)c.cout * c.k, 1);
		ASSERT_EQ(0, build(&c, false, C_NONE, &bt));
		memset(&err, 0, sizeof(err));
		ret = vis_model_validate(&m, bt.blob, bt.size, &err);
		free(bt.blob);
		ASSERT_NE(0, ret);
		ASSERT_EQ(VISION_MODEL_SECTION_OPS, err.section);
		ASSERT_EQ(bt.op, err.index);
		case_free(&c);
	}
}

/* A conv reduction at the bound (K = 66311) runs; one step longer fails. */
TEST(conv_accumulator_limit)
{
	const u32 kmax = INT32_MAX / (255 * 127);
	struct conv_case c;
	struct vis_engine_error err;
	struct vis_model m;
	struct built bt;
	const char *e;
	s8 *want;
	size_t i;

	init_kernels();
	memset(&c, 0, sizeof(c));
	c.n = 1;
	c.h = 7;
	c.w = 2;
	c.cin = kmax / 7;
	c.cout = 2;
	unit_geometry(&c);
	c.kh = 7;
	c.in_zp = -128;
	c.act_min = -128;
	c.act_max = 127;
	ASSERT_TRUE(case_geometry(&c));
	ASSERT_EQ(kmax, c.k);
	case_fill(&c, 0);
	for (i = 0; i < (size_t)c.cout * c.k; i++)
		c.wt[i] = i < c.k ? 127 : -127;
	for (i = 0; i < (size_t)c.h * c.w * c.cin; i++)
		c.in[i] = 127;
	c.bias[0] = (s32)(INT32_MAX - (s64)c.k * 255 * 127);
	c.bias[1] = -c.bias[0];
	want = malloc((size_t)c.oh * c.ow * c.cout);
	ref_conv(&c, want);
	e = run_case(&c, want, false);
	ASSERT_EQ(NULL, e) TH_LOG("%s", e);
	free(want);
	case_free(&c);

	c.cin = kmax / 7 + 1;
	ASSERT_TRUE(case_geometry(&c));
	case_fill(&c, 0);
	c.bias[0] = 0;
	c.bias[1] = 0;
	ASSERT_EQ(0, build(&c, false, C_NONE, &bt));
	memset(&err, 0, sizeof(err));
	ASSERT_NE(0, vis_model_validate(&m, bt.blob, bt.size, &err));
	ASSERT_EQ(VISION_MODEL_SECTION_OPS, err.section);
	ASSERT_EQ(bt.op, err.index);
	free(bt.blob);
	case_free(&c);
}

/* Weights of -128 (outside the symmetric range) at the bound. */
TEST(accumulator_bound_minus128)
{
	struct conv_case c;
	struct vis_engine_error err;
	struct vis_model m;
	struct built bt;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.fc = true;
	c.n = 1;
	c.h = 2;
	c.w = VISION_MODEL_MAX_DIM / 2;
	c.cin = 1;
	c.cout = 2;
	unit_geometry(&c);
	c.act_min = -128;
	c.act_max = 127;
	case_geometry(&c);
	case_fill(&c, 0);
	/* Fits with |w| <= 127, not with -128s. */
	for (i = 0; i < c.k; i++)
		c.wt[c.k + i] = -128;
	c.bias[0] = 0;
	c.bias[1] = (s32)(INT32_MAX - (s64)c.k * 255 * 127);
	ASSERT_EQ(0, build(&c, false, C_NONE, &bt));
	memset(&err, 0, sizeof(err));
	ASSERT_NE(0, vis_model_validate(&m, bt.blob, bt.size, &err));
	ASSERT_EQ(VISION_MODEL_SECTION_OPS, err.section);
	ASSERT_EQ(bt.op, err.index);
	free(bt.blob);
	case_free(&c);
}

/*
 * BLOCK4 convolution tiles (vis_op_conv_sparse.c): pixel counts around the
 * tile widths (8 and 16 lanes), 1x1 images, rows with no blocks or all of
 * them, K tails, K long enough to be walked in slices, more output
 * channels than one row block, grouped convolutions.
 */
TEST(conv_block4_tiles)
{
	static const u32 widths[] = { 1, 7, 8, 9, 15, 16, 17, 31, 33 };
	static const int sparsity[] = { 0, 50, 100, 90 };
	struct conv_case c;
	int i;

	rng_seed(11);
	for (i = 0; i < 72; i++) {
		const char *e;

		memset(&c, 0, sizeof(c));
		unit_geometry(&c);
		c.n = rng_chance(80) ? 1 : 2;
		c.w = widths[i % ARRAY_SIZE(widths)];
		c.h = i % 5 == 0 ? 1 : (u32)rng_range(1, 4);
		if (i % 9 == 0)
			c.w = 1; /* 1x1 images */
		c.cin = i % 3 ? (u32)rng_range(1, 24) :
				4 * (u32)rng_range(1, 8);
		c.cout = i % 4 == 0 ? (u32)rng_range(65, 140) :
				      (u32)rng_range(1, 40);
		if (i % 2) {
			c.kh = 3;
			c.kw = 3;
			c.pt = 1;
			c.pl = 1;
			c.pb = 1;
			c.pr = 1;
		}
		if (i % 12 == 5) {
			/* K = 2700: two slices of the tile. */
			c.cin = 300;
			c.kh = 3;
			c.kw = 3;
			c.cout = (u32)rng_range(1, 20);
		}
		if (i % 8 == 3 && c.cin % 2 == 0 && c.cout % 2 == 0 &&
		    c.cin > 2)
			c.groups = 2;
		rand_quant(&c);
		e = check_case(&c, sparsity[i % ARRAY_SIZE(sparsity)]);
		ASSERT_EQ(NULL, e) TH_LOG("case %d: %s", i, e);
	}
	TH_LOG("%ld cases, %ld runs (%ld prepared), %d kernel tables",
	       cases_run, runs_done, prepared_runs, num_kernels);
}

TEST_HARNESS_MAIN
