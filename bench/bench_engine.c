// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * bench_engine: speed of the int8 engine on real network shapes.
 *
 * Builds MobileNetV2 1.0, ResNet-18 and SqueezeNet 1.1 (224x224, the
 * published layer shapes) with the model builder, random weights from a
 * fixed seed and plausible quantization, plus 50%-block-pruned twins of
 * ResNet-18 and MobileNetV2: 1x4 blocks pruned at random in each row,
 * stored BLOCK4-sparse and, for comparison, stored dense; and the same
 * blocks pruned in every row of each aligned group of 64 (as a pruner
 * that targets the engine's 64-row tiles would), stored BLOCK4. Each model is validated and then timed with the CPU
 * runner: best kernels on one thread and on all threads, portable kernels
 * on one thread. Prints a table; --json writes the results for
 * scripts/bench.sh, --profile the time per operator class. Values are meaningless, only the shapes and the
 * work matter. Performance claims live here, never in pass/fail tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu_runner.h"
#include "model_builder.h"
#include "vis_engine.h"

#define BENCH_SEED 0x5eed1234abcdULL
#define BENCH_MAX_TENSORS 1024
#define BENCH_ARENA_ALIGN 64
#define BENCH_MAX_RESULTS 128

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- deterministic random numbers (splitmix64) ----------------------- */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int32_t rng_range(uint64_t *s, int32_t lo, int32_t hi)
{
	return lo + (int32_t)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

static double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* ---- model construction ---------------------------------------------- */

enum bench_act { ACT_NONE, ACT_RELU, ACT_RELU6 };

enum bench_weights {
	W_DENSE, /* random dense weights */
	W_PRUNED_DENSE, /* half of the 1x4 blocks zeroed, stored dense */
	W_PRUNED_BLOCK4, /* the same weights stored BLOCK4 */
	/* half of the 1x4 blocks zeroed, the same ones in each 64 rows */
	W_ROWS64_BLOCK4,
};

static const char *const weights_name[] = {
	[W_DENSE] = "dense",
	[W_PRUNED_DENSE] = "pruned50-dense",
	[W_PRUNED_BLOCK4] = "sparse50-block4",
	[W_ROWS64_BLOCK4] = "sparse50-block4x64",
};

/* An arena tensor, with what the memory planner needs. */
struct bench_tensor {
	uint32_t id;
	uint64_t size;
	uint32_t first; /* operator that writes it (0 for the input) */
	uint32_t last; /* last operator that reads it */
	uint64_t offset;
	bool placed;
};

struct net {
	struct vmb *b;
	uint64_t rng;
	enum bench_weights wmode;
	uint32_t nops;
	uint32_t ntensors;
	struct bench_tensor t[BENCH_MAX_TENSORS];
	uint32_t input;
	uint32_t output;
	uint64_t input_size;
	/* Weight statistics over conv/FC layers, in 1x4 blocks. */
	uint64_t blocks;
	uint64_t zero_blocks;
	uint64_t rows64_seed; /* W_ROWS64_BLOCK4: the draws of these rows */
	bool failed;
};

/* An activation: tensor id, NHWC geometry (N = 1), quantization. */
struct act {
	uint32_t id;
	uint32_t h, w, c;
	int32_t zp;
	float scale;
};

static struct bench_tensor *net_track(struct net *n, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < n->ntensors; i++)
		if (n->t[i].id == id)
			return &n->t[i];
	return NULL;
}

/* Track the new arena tensor @a, made by the next operator. */
static void net_adopt(struct net *n, const struct act *a)
{
	struct bench_tensor *t;

	if (n->ntensors == BENCH_MAX_TENSORS) {
		n->failed = true;
		return;
	}
	t = &n->t[n->ntensors++];
	memset(t, 0, sizeof(*t));
	t->id = a->id;
	t->size = (uint64_t)a->h * a->w * a->c;
	t->first = n->nops;
	t->last = n->nops;
}

static struct act net_tensor(struct net *n, uint32_t h, uint32_t w, uint32_t c,
			     int32_t zp, float scale, const char *name)
{
	const uint32_t shape[4] = { 1, h, w, c };
	struct act a = { .h = h, .w = w, .c = c, .zp = zp, .scale = scale };

	a.id = vmb_arena_tensor(n->b, shape, zp, scale, name);
	net_adopt(n, &a);
	return a;
}

/* The next operator reads @in[@nin]. */
static void net_uses(struct net *n, const uint32_t *in, uint32_t nin)
{
	uint32_t i;

	for (i = 0; i < nin; i++) {
		struct bench_tensor *t = net_track(n, in[i]);

		if (t)
			t->last = n->nops;
	}
}

static void net_op(struct net *n, uint32_t type, const uint32_t *in,
		   uint32_t nin, const struct act *out,
		   const union vision_model_op_params *p, const char *name)
{
	net_uses(n, in, nin);
	vmb_op(n->b, type, in, nin, out->id, p, name);
	n->nops++;
}

/*
 * TFLite's QuantizeMultiplier(): real = multiplier * 2^(shift - 31) with
 * the multiplier in [2^30, 2^31).
 */
static struct vision_model_requant quantize_multiplier(double real)
{
	struct vision_model_requant r = { 0, 0 };
	int shift;
	double q;
	int64_t qf;

	if (real <= 0.0)
		return r;
	q = frexp(real, &shift);
	qf = llround(q * 2147483648.0);
	if (qf == 2147483648LL) {
		qf /= 2;
		shift++;
	}
	if (shift < -31)
		return r;
	if (shift > 30) {
		shift = 30;
		qf = INT32_MAX;
	}
	r.multiplier = (int32_t)qf;
	r.shift = shift;
	return r;
}

/* Output quantization of a layer with activation @f. */
static void out_quant(struct net *n, enum bench_act f, int32_t *zp, int32_t *lo,
		      int32_t *hi, float *scale)
{
	switch (f) {
	case ACT_RELU:
		*zp = rng_range(&n->rng, -128, -112);
		*lo = *zp;
		*hi = 127;
		*scale = 0.05f;
		break;
	case ACT_RELU6:
		*zp = rng_range(&n->rng, -128, -112);
		*lo = *zp;
		*hi = *zp + rng_range(&n->rng, 200, 230);
		if (*hi > 127)
			*hi = 127;
		*scale = 6.0f / (float)(*hi - *zp);
		break;
	default:
		*zp = rng_range(&n->rng, -16, 16);
		*lo = -128;
		*hi = 127;
		*scale = 0.08f;
		break;
	}
}

/*
 * Zero half of the 1x4 blocks of a row (rows with an odd block count
 * alternate between rounding down and up), at random positions drawn
 * from @rng.
 */
static void prune_row(uint64_t *rng, int8_t *row, uint32_t k, uint32_t r)
{
	uint32_t kb = (k + 3) / 4, nz = kb / 2 + ((kb & 1) && (r & 1));
	uint32_t idx[1024], i, j;

	if (kb > 1024)
		kb = 1024;
	for (i = 0; i < kb; i++)
		idx[i] = i;
	for (i = 0; i < nz && i < kb; i++) {
		uint32_t pick = i + (uint32_t)(rng_next(rng) % (kb - i));
		uint32_t tmp = idx[i];

		idx[i] = idx[pick];
		idx[pick] = tmp;
		for (j = idx[i] * 4; j < idx[i] * 4 + 4 && j < k; j++)
			row[j] = 0;
	}
}

/* BLOCK4 encoding of @rows rows of @k values; returns a malloc'd blob. */
static void *encode_block4(const int8_t *w, uint32_t rows, uint32_t k,
			   size_t *size)
{
	uint32_t kb = (k + 3) / 4, nblk = 0, r, c, i;
	uint32_t *row_ptr, *col;
	int8_t *val;
	uint8_t *blob;

	for (r = 0; r < rows; r++)
		for (c = 0; c < kb; c++)
			for (i = c * 4; i < c * 4 + 4 && i < k; i++)
				if (w[(size_t)r * k + i]) {
					nblk++;
					break;
				}
	*size = (size_t)(rows + 1) * 4 + (size_t)nblk * 4 + (size_t)nblk * 4;
	blob = calloc(1, *size);
	if (!blob)
		return NULL;
	row_ptr = (uint32_t *)blob;
	col = row_ptr + rows + 1;
	val = (int8_t *)(col + nblk);
	nblk = 0;
	for (r = 0; r < rows; r++) {
		row_ptr[r] = nblk;
		for (c = 0; c < kb; c++) {
			const int8_t *src = w + (size_t)r * k + c * 4;
			uint32_t len = k - c * 4 < 4 ? k - c * 4 : 4;
			bool nonzero = false;

			for (i = 0; i < len; i++)
				nonzero |= src[i] != 0;
			if (!nonzero)
				continue;
			col[nblk] = c;
			memcpy(val + (size_t)nblk * 4, src, len);
			nblk++;
		}
	}
	row_ptr[rows] = nblk;
	return blob;
}

/*
 * CONV_2D (or FULLY_CONNECTED when @fc) with random weights; @zp_out
 * forces the output zero point and scale of @like (for CONCAT inputs)
 * when not NULL.
 */
static struct act layer(struct net *n, const struct act *in, bool fc,
			uint32_t cout, uint32_t ks, uint32_t stride,
			uint32_t pad, uint32_t groups, enum bench_act f,
			const struct act *like, const char *name)
{
	uint32_t cin_g = fc ? in->h * in->w * in->c : in->c / groups;
	uint32_t k = fc ? cin_g : ks * ks * cin_g;
	uint32_t oh = fc ? 1 : (in->h + 2 * pad - ks) / stride + 1;
	uint32_t ow = fc ? 1 : (in->w + 2 * pad - ks) / stride + 1;
	struct vmb_weights wt = {
		.shape = { cout, fc ? 1 : ks, fc ? 1 : ks, cin_g },
		.scale = 1.0f,
		.bias_scale = 1.0f,
	};
	uint32_t oshape[4] = { 1, 1, 1, 1 };
	struct vision_model_requant *rq;
	struct vision_model_conv cp;
	int32_t *bias, zp, lo, hi;
	float *wscale, oscale;
	uint32_t r, i, enc = VISION_MODEL_ENC_DENSE;
	void *wdata, *enc_blob = NULL;
	size_t wsize = (size_t)cout * k;
	char nm[96], bnm[96];
	double bias_amp = sqrt((double)k) * 1500.0;
	struct act out;
	int8_t *w;

	out_quant(n, f, &zp, &lo, &hi, &oscale);
	if (like) {
		zp = like->zp;
		oscale = like->scale;
		lo = zp;
		hi = 127;
	}
	w = malloc(wsize);
	bias = malloc((size_t)cout * sizeof(*bias));
	rq = malloc((size_t)cout * sizeof(*rq));
	wscale = malloc((size_t)cout * sizeof(*wscale));
	if (!w || !bias || !rq || !wscale) {
		n->failed = true;
		goto out;
	}
	for (i = 0; i < wsize; i++) {
		w[i] = (int8_t)rng_range(&n->rng, -127, 126);
		if (!w[i])
			w[i] = 127;
	}
	for (r = 0; r < cout; r++) {
		/* acc std ~ sqrt(K) * 73 * 40: aim at an output std ~ 40 */
		double m =
			(0.011 + 0.005 * rng_unit(&n->rng)) / sqrt((double)k);

		if (n->wmode == W_ROWS64_BLOCK4) {
			/*
			 * The same draws for every row of an aligned group of
			 * 64: the engine skips the blocks all of them lack.
			 */
			uint64_t s;

			if (r % 64 == 0)
				n->rows64_seed = rng_next(&n->rng);
			s = n->rows64_seed;
			prune_row(&s, w + (size_t)r * k, k, 0);
		} else if (n->wmode != W_DENSE) {
			prune_row(&n->rng, w + (size_t)r * k, k, r);
		}
		bias[r] = (int32_t)((rng_unit(&n->rng) * 2.0 - 1.0) * bias_amp);
		rq[r] = quantize_multiplier(m);
		wscale[r] = (float)(m * oscale / in->scale);
	}
	n->blocks += (uint64_t)cout * ((k + 3) / 4);
	for (r = 0; r < cout; r++) {
		uint32_t c;

		for (c = 0; c < k; c += 4) {
			bool z = true;

			for (i = c; i < c + 4 && i < k; i++)
				z &= !w[(size_t)r * k + i];
			n->zero_blocks += z;
		}
	}
	wdata = w;
	if (n->wmode == W_PRUNED_BLOCK4 || n->wmode == W_ROWS64_BLOCK4) {
		enc_blob = encode_block4(w, cout, k, &wsize);
		if (!enc_blob) {
			n->failed = true;
			goto out;
		}
		wdata = enc_blob;
		enc = VISION_MODEL_ENC_BLOCK4;
	}
	snprintf(nm, sizeof(nm), "%s.weight", name);
	snprintf(bnm, sizeof(bnm), "%s.bias", name);
	wt.data = wdata;
	wt.size = wsize;
	wt.encoding = enc;
	wt.channel_scales = wscale;
	wt.name = nm;
	wt.bias = bias;
	wt.bias_name = bnm;
	wt.requant = rq;
	cp = fc ? vmb_conv_params(1, 0, 1, lo, hi) :
		  vmb_conv_params(stride, pad, groups, lo, hi);
	oshape[1] = oh;
	oshape[2] = ow;
	oshape[3] = cout;
	out = (struct act){
		.h = oh, .w = ow, .c = cout, .zp = zp, .scale = oscale
	};
	net_uses(n, &in->id, 1);
	out.id = vmb_conv2d(
		n->b,
		fc ? VISION_MODEL_OP_FULLY_CONNECTED : VISION_MODEL_OP_CONV_2D,
		in->id, &wt, &cp, oshape, zp, oscale, name, NULL, NULL);
	net_adopt(n, &out);
	n->nops++;
out:
	free(enc_blob);
	free(w);
	free(bias);
	free(rq);
	free(wscale);
	return out;
}

static struct act conv(struct net *n, const struct act *in, uint32_t cout,
		       uint32_t ks, uint32_t stride, uint32_t pad,
		       uint32_t groups, enum bench_act f, const char *name)
{
	return layer(n, in, false, cout, ks, stride, pad, groups, f, NULL,
		     name);
}

static struct act fully_connected(struct net *n, const struct act *in,
				  uint32_t cout, const char *name)
{
	return layer(n, in, true, cout, 1, 1, 0, 1, ACT_NONE, NULL, name);
}

static struct act max_pool(struct net *n, const struct act *in, uint32_t ks,
			   uint32_t stride, uint32_t pad, const char *name)
{
	union vision_model_op_params p;
	struct act out;

	memset(&p, 0, sizeof(p));
	p.pool = vmb_pool_params(ks, stride, pad, -128, 127);
	out = net_tensor(n, (in->h + 2 * pad - ks) / stride + 1,
			 (in->w + 2 * pad - ks) / stride + 1, in->c, in->zp,
			 in->scale, name);
	net_op(n, VISION_MODEL_OP_MAX_POOL, &in->id, 1, &out, &p, name);
	return out;
}

static struct act global_avg_pool(struct net *n, const struct act *in,
				  const char *name)
{
	union vision_model_op_params p;
	struct act out;
	float oscale = in->scale * 0.5f;

	memset(&p, 0, sizeof(p));
	p.pool.requant = quantize_multiplier((double)in->scale /
					     ((double)oscale * in->h * in->w));
	p.pool.act_min = -128;
	p.pool.act_max = 127;
	out = net_tensor(n, 1, 1, in->c, rng_range(&n->rng, -100, -60), oscale,
			 name);
	net_op(n, VISION_MODEL_OP_GLOBAL_AVG_POOL, &in->id, 1, &out, &p, name);
	return out;
}

/* TFLite's quantized ADD with a fused activation. */
static struct act add(struct net *n, const struct act *a, const struct act *b,
		      enum bench_act f, const char *name)
{
	union vision_model_op_params p;
	double twice_max = 2.0 * fmax(a->scale, b->scale);
	int32_t zp, lo, hi;
	uint32_t ids[2] = { a->id, b->id };
	float oscale;
	struct act out;

	out_quant(n, f, &zp, &lo, &hi, &oscale);
	oscale = (float)fmax(a->scale, b->scale) * 1.5f;
	memset(&p, 0, sizeof(p));
	p.binary.left_shift = 20;
	p.binary.input1 = quantize_multiplier(a->scale / twice_max);
	p.binary.input2 = quantize_multiplier(b->scale / twice_max);
	p.binary.output =
		quantize_multiplier(twice_max / ((1 << 20) * (double)oscale));
	p.binary.act_min = lo;
	p.binary.act_max = hi;
	out = net_tensor(n, a->h, a->w, a->c, zp, oscale, name);
	net_op(n, VISION_MODEL_OP_ADD, ids, 2, &out, &p, name);
	return out;
}

/* CONCAT of inputs with the output's quantization: plain copies. */
static struct act concat(struct net *n, const struct act *a,
			 const struct act *b, const char *name)
{
	union vision_model_op_params p;
	uint32_t ids[2] = { a->id, b->id };
	struct act out;

	memset(&p, 0, sizeof(p));
	out = net_tensor(n, a->h, a->w, a->c + b->c, a->zp, a->scale, name);
	net_op(n, VISION_MODEL_OP_CONCAT, ids, 2, &out, &p, name);
	return out;
}

static struct act net_input(struct net *n)
{
	struct vision_model_input_stage st;
	struct act in = net_tensor(n, 224, 224, 3, 0, 1.0f / 128, "input");
	int i;

	memset(&st, 0, sizeof(st));
	st.tensor = in.id;
	st.color = VISION_MODEL_COLOR_RGB;
	st.resize = VISION_MODEL_RESIZE_BILINEAR;
	st.norm_shift = 16;
	for (i = 0; i < 3; i++) {
		float mean = 128.0f, std = 128.0f;

		st.norm_mul[i] = 1 << 16;
		st.norm_add[i] = -(128 << 16);
		memcpy(&st.mean[i], &mean, 4);
		memcpy(&st.std[i], &std, 4);
	}
	vmb_input(n->b, &st);
	n->input = in.id;
	n->input_size = 224 * 224 * 3;
	return in;
}

static void net_output(struct net *n, const struct act *out)
{
	struct bench_tensor *t = net_track(n, out->id);

	vmb_output(n->b, out->id, NULL, 0);
	n->output = out->id;
	if (t)
		t->last = UINT32_MAX;
}

/* MobileNetV2 1.0 (Sandler et al. 2018), torchvision layer shapes. */
static void build_mobilenet_v2(struct net *n)
{
	static const struct {
		uint32_t t, c, reps, s;
	} cfg[] = {
		{ 1, 16, 1, 1 },  { 6, 24, 2, 2 }, { 6, 32, 3, 2 },
		{ 6, 64, 4, 2 },  { 6, 96, 3, 1 }, { 6, 160, 3, 2 },
		{ 6, 320, 1, 1 },
	};
	struct act x = net_input(n), h;
	uint32_t i, j, blk = 0;
	char nm[64];

	x = conv(n, &x, 32, 3, 2, 1, 1, ACT_RELU6, "features.0");
	for (i = 0; i < ARRAY_SIZE(cfg); i++) {
		for (j = 0; j < cfg[i].reps; j++) {
			uint32_t s = j ? 1 : cfg[i].s;
			uint32_t hid = x.c * cfg[i].t;

			blk++;
			h = x;
			if (cfg[i].t != 1) {
				snprintf(nm, sizeof(nm), "features.%u.expand",
					 blk);
				h = conv(n, &h, hid, 1, 1, 0, 1, ACT_RELU6, nm);
			}
			snprintf(nm, sizeof(nm), "features.%u.dw", blk);
			h = conv(n, &h, hid, 3, s, 1, hid, ACT_RELU6, nm);
			snprintf(nm, sizeof(nm), "features.%u.project", blk);
			h = conv(n, &h, cfg[i].c, 1, 1, 0, 1, ACT_NONE, nm);
			if (s == 1 && x.c == cfg[i].c) {
				snprintf(nm, sizeof(nm), "features.%u.add",
					 blk);
				h = add(n, &h, &x, ACT_NONE, nm);
			}
			x = h;
		}
	}
	x = conv(n, &x, 1280, 1, 1, 0, 1, ACT_RELU6, "features.18");
	x = global_avg_pool(n, &x, "avgpool");
	x = fully_connected(n, &x, 1000, "classifier");
	net_output(n, &x);
}

/* ResNet-18 (He et al. 2016), torchvision layer shapes. */
static void build_resnet18(struct net *n)
{
	static const uint32_t width[4] = { 64, 128, 256, 512 };
	struct act x = net_input(n), h, sc;
	uint32_t l, j;
	char nm[64];

	x = conv(n, &x, 64, 7, 2, 3, 1, ACT_RELU, "conv1");
	x = max_pool(n, &x, 3, 2, 1, "maxpool");
	for (l = 0; l < 4; l++) {
		for (j = 0; j < 2; j++) {
			uint32_t s = (l && !j) ? 2 : 1;

			sc = x;
			snprintf(nm, sizeof(nm), "layer%u.%u.conv1", l + 1, j);
			h = conv(n, &x, width[l], 3, s, 1, 1, ACT_RELU, nm);
			snprintf(nm, sizeof(nm), "layer%u.%u.conv2", l + 1, j);
			h = conv(n, &h, width[l], 3, 1, 1, 1, ACT_NONE, nm);
			if (s != 1 || x.c != width[l]) {
				snprintf(nm, sizeof(nm),
					 "layer%u.%u.downsample", l + 1, j);
				sc = conv(n, &x, width[l], 1, s, 0, 1, ACT_NONE,
					  nm);
			}
			snprintf(nm, sizeof(nm), "layer%u.%u.add", l + 1, j);
			x = add(n, &h, &sc, ACT_RELU, nm);
		}
	}
	x = global_avg_pool(n, &x, "avgpool");
	x = fully_connected(n, &x, 1000, "fc");
	net_output(n, &x);
}

static struct act fire(struct net *n, const struct act *in, uint32_t sq,
		       uint32_t e1, uint32_t e3, uint32_t idx)
{
	struct act s, a, b;
	char nm[64];

	snprintf(nm, sizeof(nm), "features.%u.squeeze", idx);
	s = conv(n, in, sq, 1, 1, 0, 1, ACT_RELU, nm);
	snprintf(nm, sizeof(nm), "features.%u.expand1x1", idx);
	a = conv(n, &s, e1, 1, 1, 0, 1, ACT_RELU, nm);
	snprintf(nm, sizeof(nm), "features.%u.expand3x3", idx);
	b = layer(n, &s, false, e3, 3, 1, 1, 1, ACT_RELU, &a, nm);
	snprintf(nm, sizeof(nm), "features.%u.cat", idx);
	return concat(n, &a, &b, nm);
}

/* SqueezeNet 1.1 (Iandola et al. 2016), torchvision layer shapes. */
static void build_squeezenet(struct net *n)
{
	struct act x = net_input(n);

	x = conv(n, &x, 64, 3, 2, 0, 1, ACT_RELU, "features.0");
	x = max_pool(n, &x, 3, 2, 0, "features.2");
	x = fire(n, &x, 16, 64, 64, 3);
	x = fire(n, &x, 16, 64, 64, 4);
	x = max_pool(n, &x, 3, 2, 0, "features.5");
	x = fire(n, &x, 32, 128, 128, 6);
	x = fire(n, &x, 32, 128, 128, 7);
	x = max_pool(n, &x, 3, 2, 0, "features.8");
	x = fire(n, &x, 48, 192, 192, 9);
	x = fire(n, &x, 48, 192, 192, 10);
	x = fire(n, &x, 64, 256, 256, 11);
	x = fire(n, &x, 64, 256, 256, 12);
	x = conv(n, &x, 1000, 1, 1, 0, 1, ACT_RELU, "classifier.1");
	x = global_avg_pool(n, &x, "classifier.3");
	net_output(n, &x);
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static int cmp_size_desc(const void *a, const void *b)
{
	const struct bench_tensor *x = *(const struct bench_tensor *const *)a;
	const struct bench_tensor *y = *(const struct bench_tensor *const *)b;

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * Memory plan, as the compiler's: tensors whose lifetimes [first, last]
 * overlap get disjoint arena ranges; the largest are placed first, each
 * at the lowest offset that fits.
 */
static void net_plan(struct net *n)
{
	struct bench_tensor *order[BENCH_MAX_TENSORS];
	uint32_t i, j;

	for (i = 0; i < n->ntensors; i++)
		order[i] = &n->t[i];
	qsort(order, n->ntensors, sizeof(order[0]), cmp_size_desc);
	for (i = 0; i < n->ntensors; i++) {
		struct bench_tensor *t = order[i];
		uint64_t off = 0;
		bool moved = true;

		while (moved) {
			moved = false;
			for (j = 0; j < i; j++) {
				const struct bench_tensor *o = order[j];

				if (o->last < t->first || t->last < o->first)
					continue;
				if (off < o->offset + o->size &&
				    o->offset < off + t->size) {
					off = align_up(o->offset + o->size,
						       BENCH_ARENA_ALIGN);
					moved = true;
				}
			}
		}
		t->offset = off;
		t->placed = true;
		vmb_set_offset(n->b, t->id, off);
	}
}

struct bench_model {
	const char *name; /* network */
	void (*build)(struct net *n);
	enum bench_weights wmode;
};

static const struct bench_model models[] = {
	{ "mobilenet_v2", build_mobilenet_v2, W_DENSE },
	{ "resnet18", build_resnet18, W_DENSE },
	{ "squeezenet1_1", build_squeezenet, W_DENSE },
	{ "mobilenet_v2", build_mobilenet_v2, W_PRUNED_DENSE },
	{ "mobilenet_v2", build_mobilenet_v2, W_PRUNED_BLOCK4 },
	{ "resnet18", build_resnet18, W_PRUNED_DENSE },
	{ "resnet18", build_resnet18, W_PRUNED_BLOCK4 },
	{ "mobilenet_v2", build_mobilenet_v2, W_ROWS64_BLOCK4 },
	{ "resnet18", build_resnet18, W_ROWS64_BLOCK4 },
};

/* ---- timing -------------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of the calling thread: immune to time slicing on a busy host. */
static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The clock of the one-thread profile: CPU time with --cpu-time. */
static double (*profile_clock)(void) = now_ms;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct result {
	char model[48];
	const char *net;
	const char *weights;
	uint64_t macs;
	uint64_t file_size;
	uint64_t arena_size;
	double validate_ms;
	double prepare_ms;
	double sparsity;
	unsigned int threads;
	const char *kernels;
	unsigned int runs;
	double median_ms;
	double p90_ms;
	double gmacs;
	uint64_t out_hash;
};

struct options {
	unsigned int runs;
	double max_seconds;
	const char *json;
	const char *save_dir;
	const char *only;
	bool quiet;
	bool profile;
	bool quick;
	bool cpu_time;
};

/* ---- per-operator profile ------------------------------------------------ */

#define PROFILE_RUNS 5
#define PROFILE_CLASSES 16

struct profile {
	double last;
	double *op_ms; /* per operator, summed over the runs */
	/* Output value statistics, gathered on an untimed run. */
	const struct vis_model *m;
	const uint8_t *arena;
	bool stats;
	double worst_sat; /* largest fraction of outputs at 127 */
	uint32_t worst_sat_op;
	uint32_t fewest; /* fewest distinct output values */
	uint32_t fewest_op;
};

static void profile_op_done(void *priv, unsigned int op)
{
	struct profile *p = priv;
	const struct vision_model_tensor *o;
	const int8_t *v;
	uint32_t i, n, sat = 0, distinct = 0;
	bool seen[256] = { false };
	double t;

	if (!p->stats) {
		t = profile_clock();
		p->op_ms[op] += t - p->last;
		p->last = t;
		return;
	}
	o = &p->m->tensors[p->m->ops[op].output];
	v = (const int8_t *)(p->arena + o->offset);
	n = (uint32_t)o->size;
	for (i = 0; i < n; i++) {
		sat += v[i] == 127;
		distinct += !seen[v[i] + 128];
		seen[v[i] + 128] = true;
	}
	if (n && (double)sat / n > p->worst_sat) {
		p->worst_sat = (double)sat / n;
		p->worst_sat_op = op;
	}
	if (distinct < p->fewest) {
		p->fewest = distinct;
		p->fewest_op = op;
	}
}

/* A class name for an operator: "conv3x3", "dwconv3x3/s2", "fc", ... */
static void op_class(const struct vis_model *m, uint32_t i, char *buf,
		     size_t len)
{
	const struct vision_model_op *op = &m->ops[i];
	const struct vision_model_tensor *w;
	const char *sp = "";

	switch (op->type) {
	case VISION_MODEL_OP_CONV_2D:
		w = &m->tensors[op->inputs[1]];
		if (w->encoding == VISION_MODEL_ENC_BLOCK4)
			sp = "-block4";
		snprintf(buf, len, "%sconv%ux%u%s%s",
			 op->params.conv.groups > 1 ? "dw" : "", w->shape[1],
			 w->shape[2], op->params.conv.stride_h > 1 ? "/s2" : "",
			 sp);
		break;
	case VISION_MODEL_OP_FULLY_CONNECTED:
		w = &m->tensors[op->inputs[1]];
		snprintf(buf, len, "fc%s",
			 w->encoding == VISION_MODEL_ENC_BLOCK4 ? "-block4" :
								  "");
		break;
	case VISION_MODEL_OP_ADD:
		snprintf(buf, len, "add");
		break;
	case VISION_MODEL_OP_MAX_POOL:
		snprintf(buf, len, "max_pool");
		break;
	case VISION_MODEL_OP_GLOBAL_AVG_POOL:
		snprintf(buf, len, "global_avg_pool");
		break;
	case VISION_MODEL_OP_CONCAT:
		snprintf(buf, len, "concat");
		break;
	default:
		snprintf(buf, len, "op%u", op->type);
		break;
	}
}

/* Multiply-accumulates of a CONV_2D or FULLY_CONNECTED operator. */
static uint64_t op_macs(const struct vis_model *m, uint32_t i)
{
	const struct vision_model_op *op = &m->ops[i];
	const struct vision_model_tensor *w, *o;

	if (op->type != VISION_MODEL_OP_CONV_2D &&
	    op->type != VISION_MODEL_OP_FULLY_CONNECTED)
		return 0;
	w = &m->tensors[op->inputs[1]];
	o = &m->tensors[op->output];
	return (uint64_t)o->shape[0] * o->shape[1] * o->shape[2] * w->shape[0] *
	       w->shape[1] * w->shape[2] * w->shape[3];
}

/*
 * Time each operator on one thread with the best kernels and print the
 * time per operator class: where an inference spends its time.
 */
static int profile_model(const struct vis_model *m, uint8_t *arena,
			 const uint8_t *input,
			 const struct vision_model_tensor *in)
{
	struct {
		char name[32];
		double ms;
		uint64_t macs;
		unsigned int count;
	} cls[PROFILE_CLASSES];
	unsigned int ncls = 0, c;
	struct vis_cpu_runner *r;
	struct profile p;
	double total = 0;
	uint32_t i;
	int ret, run;

	memset(&p, 0, sizeof(p));
	p.m = m;
	p.arena = arena;
	p.fewest = UINT32_MAX;
	p.op_ms = calloc(m->num_ops, sizeof(*p.op_ms));
	if (!p.op_ms)
		return -ENOMEM;
	ret = vis_cpu_runner_new(1, &r);
	if (ret) {
		free(p.op_ms);
		return ret;
	}
	/* run -1: warm-up and output statistics, untimed */
	for (run = -1; run < PROFILE_RUNS && !ret; run++) {
		p.stats = run < 0;
		memcpy(arena + in->offset, input, in->size);
		p.last = profile_clock();
		ret = vis_cpu_run(r, m, arena, NULL, profile_op_done, &p);
	}
	vis_cpu_runner_free(r);
	for (i = 0; i < m->num_ops && !ret; i++) {
		char name[32];

		op_class(m, i, name, sizeof(name));
		for (c = 0; c < ncls; c++)
			if (!strcmp(cls[c].name, name))
				break;
		if (c == ncls) {
			if (ncls == PROFILE_CLASSES)
				continue;
			memset(&cls[c], 0, sizeof(cls[c]));
			snprintf(cls[c].name, sizeof(cls[c].name), "%s", name);
			ncls++;
		}
		cls[c].ms += p.op_ms[i] / PROFILE_RUNS;
		cls[c].macs += op_macs(m, i);
		cls[c].count++;
		total += p.op_ms[i] / PROFILE_RUNS;
	}
	for (c = 0; c < ncls && !ret; c++)
		printf("#   %-22s %3u ops %9.2f ms %5.1f%% %8.1f MMACs %7.2f GMAC/s\n",
		       cls[c].name, cls[c].count, cls[c].ms,
		       100.0 * cls[c].ms / total, cls[c].macs / 1e6,
		       cls[c].ms > 0 ? cls[c].macs / (cls[c].ms * 1e6) : 0.0);
	if (!ret && p.fewest != UINT32_MAX)
		printf("#   outputs: at most %.1f%% at 127 (%s), at least %u distinct values (%s)\n",
		       100.0 * p.worst_sat,
		       vis_model_name(m, m->ops[p.worst_sat_op].name), p.fewest,
		       vis_model_name(m, m->ops[p.fewest_op].name));
	free(p.op_ms);
	return ret;
}

static uint64_t hash_bytes(const uint8_t *p, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/*
 * Time one configuration: warm-up, then up to opt->runs inferences (at
 * least three, fewer than opt->runs only past opt->max_seconds).
 */
static int time_config(const struct vis_model *m, uint8_t *arena,
		       const uint8_t *input,
		       const struct vision_model_tensor *in,
		       const struct vision_model_tensor *out,
		       unsigned int nthreads, const struct vis_kernels *k,
		       const struct options *opt, struct result *res)
{
	struct vis_cpu_runner *r;
	/* One thread runs on the caller: its CPU time is the work's. */
	double (*clock)(void) = opt->cpu_time && nthreads == 1 ? cpu_ms :
								 now_ms;
	double *t, t0, spent = 0;
	unsigned int i, n = 0, warm = 2;
	int ret;

	ret = vis_cpu_runner_new(nthreads, &r);
	if (ret)
		return ret;
	t = calloc(opt->runs, sizeof(*t));
	if (!t) {
		vis_cpu_runner_free(r);
		return -ENOMEM;
	}
	for (i = 0; i < warm; i++) {
		memcpy(arena + in->offset, input, in->size);
		t0 = now_ms();
		ret = vis_cpu_run(r, m, arena, k, NULL, NULL);
		if (ret)
			goto out;
		/* one warm-up is enough for slow configurations */
		if (now_ms() - t0 > 500)
			break;
	}
	while (n < opt->runs) {
		memcpy(arena + in->offset, input, in->size);
		t0 = clock();
		ret = vis_cpu_run(r, m, arena, k, NULL, NULL);
		t[n] = clock() - t0;
		if (ret)
			goto out;
		spent += t[n++];
		if (n >= 3 && spent > opt->max_seconds * 1e3)
			break;
	}
	qsort(t, n, sizeof(*t), cmp_double);
	res->threads = vis_cpu_runner_threads(r);
	res->kernels = k->name;
	res->runs = n;
	res->median_ms = n & 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	res->p90_ms = t[(n * 9 + 9) / 10 - 1];
	res->gmacs = (double)m->macs / (res->median_ms * 1e6);
	res->out_hash = hash_bytes(arena + out->offset, out->size);
out:
	free(t);
	vis_cpu_runner_free(r);
	return ret;
}

static int save_model(const char *dir, const char *name, const void *blob,
		      size_t size)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.vnm", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(blob, 1, size, f) != size) {
		fprintf(stderr, "bench_engine: cannot write %s: %s\n", path,
			strerror(errno));
		if (f)
			fclose(f);
		return -EIO;
	}
	return fclose(f) ? -EIO : 0;
}

static void print_row(const struct result *r)
{
	printf("%-30s %7.3f %7.2f %7.1f %3u %-10s %9.2f %9.2f %7.2f %4u\n",
	       r->model, r->macs / 1e9, r->file_size / 1048576.0,
	       r->sparsity * 100.0, r->threads, r->kernels, r->median_ms,
	       r->p90_ms, r->gmacs, r->runs);
	fflush(stdout);
}

/* Build, validate and time one model; appends to @res. */
static int bench_model(const struct bench_model *bm, const struct options *opt,
		       struct result *res, unsigned int *nres)
{
	const struct vis_kernels *best = vis_kernels_best();
	const struct vis_kernels *portable = vis_kernels_by_name("portable");
	const struct {
		unsigned int threads;
		const struct vis_kernels *k;
	} cfg[] = { { 1, best }, { 0, best }, { 1, portable } };
	struct vis_engine_error err;
	struct result base;
	struct vis_model m;
	struct net *n;
	uint8_t *arena = NULL, *input = NULL, *prepared = NULL;
	void *blob = NULL;
	size_t size;
	double vt[5], pt;
	unsigned int i;
	uint64_t seed;
	int ret;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(&base, 0, sizeof(base));
	snprintf(base.model, sizeof(base.model), "%s%s%s", bm->name,
		 bm->wmode == W_DENSE ? "" : "-",
		 bm->wmode == W_DENSE ? "" : weights_name[bm->wmode]);
	base.net = bm->name;
	base.weights = weights_name[bm->wmode];
	/* The pruned twins share their weights: same seed per network. */
	seed = BENCH_SEED ^
	       hash_bytes((const uint8_t *)bm->name, strlen(bm->name));
	n->rng = seed;
	n->wmode = bm->wmode;
	n->b = vmb_new();
	if (!n->b) {
		ret = -ENOMEM;
		goto out;
	}
	bm->build(n);
	if (n->failed) {
		fprintf(stderr, "bench_engine: %s: building failed\n",
			base.model);
		ret = -ENOMEM;
		goto out;
	}
	net_plan(n);
	ret = vmb_finish(n->b, &blob, &size);
	if (ret) {
		fprintf(stderr, "bench_engine: %s: vmb_finish: %s\n",
			base.model, strerror(-ret));
		goto out;
	}
	if (opt->save_dir) {
		ret = save_model(opt->save_dir, base.model, blob, size);
		if (ret)
			goto out;
	}
	for (i = 0; i < 5; i++) {
		double t0 = now_ms();

		memset(&err, 0, sizeof(err));
		ret = vis_model_validate(&m, blob, size, &err);
		vt[i] = now_ms() - t0;
		if (ret) {
			fprintf(stderr,
				"bench_engine: %s: validation failed: %s (section %u, index %u, field %s: %s)\n",
				base.model, strerror(-ret), err.section,
				err.index, err.field, err.msg);
			goto out;
		}
	}
	qsort(vt, 5, sizeof(vt[0]), cmp_double);
	base.validate_ms = vt[2];
	/* As libvision's CPU device does at load (libvision/model.c). */
	if (m.prepared_size && best->gemm_s8_packed) {
		prepared = aligned_alloc(BENCH_ARENA_ALIGN,
					 align_up(m.prepared_size,
						  BENCH_ARENA_ALIGN));
		if (!prepared) {
			ret = -ENOMEM;
			goto out;
		}
		pt = now_ms();
		vis_model_prepare(&m, prepared);
		base.prepare_ms = now_ms() - pt;
		m.prepared = prepared;
	}
	base.macs = m.macs;
	base.file_size = size;
	base.arena_size = m.arena_size;
	base.sparsity = n->blocks ? (double)n->zero_blocks / n->blocks : 0;
	if (!opt->quiet)
		printf("# %s: %u ops, %u arena tensors, arena %.2f MiB, validation %.3f ms, prepared weights %.2f MiB in %.3f ms\n",
		       base.model, n->nops, n->ntensors,
		       m.arena_size / 1048576.0, base.validate_ms,
		       m.prepared ? m.prepared_size / 1048576.0 : 0.0,
		       base.prepare_ms);

	arena = aligned_alloc(BENCH_ARENA_ALIGN,
			      align_up(m.arena_size, BENCH_ARENA_ALIGN));
	input = malloc(n->input_size);
	if (!arena || !input) {
		ret = -ENOMEM;
		goto out;
	}
	memset(arena, 0, m.arena_size);
	for (i = 0; i < n->input_size; i++)
		input[i] = (uint8_t)rng_next(&seed);

	for (i = 0; i < ARRAY_SIZE(cfg); i++) {
		struct result *r = &res[*nres];

		if (!cfg[i].k || (opt->quick && i))
			continue;
		if (*nres == BENCH_MAX_RESULTS) {
			ret = -E2BIG;
			goto out;
		}
		*r = base;
		ret = time_config(&m, arena, input, &m.tensors[n->input],
				  &m.tensors[n->output], cfg[i].threads,
				  cfg[i].k, opt, r);
		if (ret) {
			fprintf(stderr, "bench_engine: %s: run failed: %s\n",
				base.model, strerror(-ret));
			goto out;
		}
		(*nres)++;
		print_row(r);
	}
	if (opt->profile) {
		printf("# %s: time per operator class (1 thread, %s, mean of %d runs)\n",
		       base.model, best->name, PROFILE_RUNS);
		ret = profile_model(&m, arena, input, &m.tensors[n->input]);
	}
out:
	free(arena);
	free(input);
	free(prepared);
	free(blob);
	if (n->b)
		vmb_free(n->b);
	free(n);
	return ret;
}

/* Warn when configurations or the two pruned storages disagree. */
static bool is_row_pruned(const char *weights)
{
	return !strcmp(weights, weights_name[W_PRUNED_DENSE]) ||
	       !strcmp(weights, weights_name[W_PRUNED_BLOCK4]);
}

static unsigned int check_outputs(const struct result *res, unsigned int nres)
{
	unsigned int i, j, bad = 0;

	for (i = 0; i < nres; i++)
		for (j = 0; j < i; j++) {
			bool same_model = !strcmp(res[i].model, res[j].model);
			/* The random-row pruned twins share their weights. */
			bool twins = !strcmp(res[i].net, res[j].net) &&
				     is_row_pruned(res[i].weights) &&
				     is_row_pruned(res[j].weights);

			if ((same_model || twins) &&
			    res[i].out_hash != res[j].out_hash) {
				fprintf(stderr,
					"bench_engine: WARNING: output differs: %s (%u threads, %s) vs %s (%u threads, %s)\n",
					res[i].model, res[i].threads,
					res[i].kernels, res[j].model,
					res[j].threads, res[j].kernels);
				bad++;
			}
		}
	return bad;
}

static int write_json(const char *path, const struct result *res,
		      unsigned int nres, unsigned int mismatches)
{
	FILE *f = fopen(path, "w");
	unsigned int i;

	if (!f) {
		fprintf(stderr, "bench_engine: cannot write %s: %s\n", path,
			strerror(errno));
		return -EIO;
	}
	fprintf(f, "{\n  \"engine\": \"vision\",\n  \"cpus\": %ld,\n",
		sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f,
		"  \"best_kernels\": \"%s\",\n  \"output_mismatches\": %u,\n",
		vis_kernels_best()->name, mismatches);
	fprintf(f, "  \"results\": [\n");
	for (i = 0; i < nres; i++) {
		const struct result *r = &res[i];

		fprintf(f,
			"    {\"model\": \"%s\", \"net\": \"%s\", \"weights\": \"%s\",",
			r->model, r->net, r->weights);
		fprintf(f,
			" \"macs\": %llu, \"file_size\": %llu, \"arena_size\": %llu,",
			(unsigned long long)r->macs,
			(unsigned long long)r->file_size,
			(unsigned long long)r->arena_size);
		fprintf(f, " \"validate_ms\": %.4f, \"prepare_ms\": %.4f,",
			r->validate_ms, r->prepare_ms);
		fprintf(f, " \"block_sparsity\": %.4f,", r->sparsity);
		fprintf(f,
			" \"threads\": %u, \"kernels\": \"%s\", \"runs\": %u,",
			r->threads, r->kernels, r->runs);
		fprintf(f,
			" \"median_ms\": %.4f, \"p90_ms\": %.4f, \"gmac_per_s\": %.3f}%s\n",
			r->median_ms, r->p90_ms, r->gmacs,
			i + 1 < nres ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f) ? -EIO : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_engine [--json FILE] [--runs N] [--max-seconds S]\n"
		"                    [--only NAME[,NAME...]] [--save DIR] [--profile]\n"
		"                    [--quiet] [--quick] [--cpu-time]\n"
		"  --runs N         timed runs per configuration (default: env\n"
		"                   BENCH_RUNS, else 20)\n"
		"  --max-seconds S  stop a configuration after S seconds once\n"
		"                   3 runs are done (default: env\n"
		"                   BENCH_MAX_SECONDS, else 6)\n"
		"  --only NAMES     models whose name contains one of NAMES\n"
		"  --save DIR       also write each model as DIR/NAME.vnm\n"
		"  --profile        also print the time per operator class\n"
		"  --quick          best kernels on one thread only (no\n"
		"                   all-threads or portable runs)\n"
		"  --cpu-time       time one-thread runs by the thread's CPU\n"
		"                   time (for comparisons on a busy machine)\n"
		"  --json FILE      write the results as JSON\n");
}

static bool selected(const char *only, const char *model)
{
	char buf[256], *tok, *save;

	if (!only)
		return true;
	snprintf(buf, sizeof(buf), "%s", only);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (strstr(model, tok))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct options opt = { .runs = 20, .max_seconds = 6.0 };
	static struct result res[BENCH_MAX_RESULTS];
	unsigned int nres = 0, i, failed = 0, bad;
	const char *env;
	int a;

	env = getenv("BENCH_RUNS");
	if (env && atoi(env) > 0)
		opt.runs = atoi(env);
	env = getenv("BENCH_MAX_SECONDS");
	if (env && atof(env) > 0)
		opt.max_seconds = atof(env);
	for (a = 1; a < argc; a++) {
		const char *arg = argv[a];
		const char *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(arg, "--quiet")) {
			opt.quiet = true;
			continue;
		} else if (!strcmp(arg, "--profile")) {
			opt.profile = true;
			continue;
		} else if (!strcmp(arg, "--quick")) {
			opt.quick = true;
			continue;
		} else if (!strcmp(arg, "--cpu-time")) {
			opt.cpu_time = true;
			profile_clock = cpu_ms;
			continue;
		}
		if (!val) {
			usage(stderr);
			return 2;
		}
		a++;
		if (!strcmp(arg, "--json")) {
			opt.json = val;
		} else if (!strcmp(arg, "--runs") && atoi(val) > 0) {
			opt.runs = atoi(val);
		} else if (!strcmp(arg, "--max-seconds") && atof(val) > 0) {
			opt.max_seconds = atof(val);
		} else if (!strcmp(arg, "--only")) {
			opt.only = val;
		} else if (!strcmp(arg, "--save")) {
			opt.save_dir = val;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (opt.runs < 3)
		opt.runs = 3;

	printf("# vision engine benchmark: %ld CPUs, best kernels \"%s\", up to %u runs (max %.1f s) per configuration\n",
	       sysconf(_SC_NPROCESSORS_ONLN), vis_kernels_best()->name,
	       opt.runs, opt.max_seconds);
	printf("%-30s %7s %7s %7s %3s %-10s %9s %9s %7s %4s\n", "model",
	       "GMACs", "MiB", "zero%", "thr", "kernels", "median_ms", "p90_ms",
	       "GMAC/s", "runs");
	for (i = 0; i < ARRAY_SIZE(models); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s%s%s", models[i].name,
			 models[i].wmode == W_DENSE ? "" : "-",
			 models[i].wmode == W_DENSE ?
				 "" :
				 weights_name[models[i].wmode]);
		if (!selected(opt.only, name))
			continue;
		if (bench_model(&models[i], &opt, res, &nres))
			failed++;
	}
	bad = check_outputs(res, nres);
	if (opt.json && write_json(opt.json, res, nres, bad))
		return 1;
	if (failed)
		fprintf(stderr, "bench_engine: %u model(s) failed\n", failed);
	return failed ? 1 : 0;
}
