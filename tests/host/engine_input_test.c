// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The input stage (driver/engine/vis_input.c) against an independent
 * implementation written from Documentation/input-stage.rst in the
 * straightforward style the engine avoids: unpack the whole crop into an
 * RGB (or luma) image, resize that image with floating-point coordinate
 * arithmetic, then normalise. Pixel layouts come from the V4L2 header and
 * a byte-order string per format, not from the engine's table. Frames
 * are allocated with exactly the bytes the documentation says are needed,
 * so the -san build catches any over-read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include "model_builder.h"
#include "vis_engine.h"
#include "vis_input.h"

#include "kselftest_harness.h"

/* ---- deterministic random numbers --------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* ---- pixel formats, as V4L2 defines them -------------------------------- */

enum tkind { T_RGB, T_YUV422, T_NV, T_GREY };

/*
 * @layout: the bytes of one pixel (RGB), of one pixel pair (4:2:2) or of
 * one CbCr pair (NV), in memory order; X and A are ignored bytes.
 */
struct tfmt {
	uint32_t fourcc;
	const char *name;
	enum tkind kind;
	const char *layout;
};

static const struct tfmt tfmts[] = {
	{ V4L2_PIX_FMT_RGB24, "RGB24", T_RGB, "RGB" },
	{ V4L2_PIX_FMT_BGR24, "BGR24", T_RGB, "BGR" },
	{ V4L2_PIX_FMT_RGB32, "RGB32", T_RGB, "ARGB" },
	{ V4L2_PIX_FMT_BGR32, "BGR32", T_RGB, "BGRA" },
	{ V4L2_PIX_FMT_XRGB32, "XRGB32", T_RGB, "XRGB" },
	{ V4L2_PIX_FMT_ARGB32, "ARGB32", T_RGB, "ARGB" },
	{ V4L2_PIX_FMT_XBGR32, "XBGR32", T_RGB, "BGRX" },
	{ V4L2_PIX_FMT_ABGR32, "ABGR32", T_RGB, "BGRA" },
	{ V4L2_PIX_FMT_RGBX32, "RGBX32", T_RGB, "RGBX" },
	{ V4L2_PIX_FMT_RGBA32, "RGBA32", T_RGB, "RGBA" },
	{ V4L2_PIX_FMT_BGRX32, "BGRX32", T_RGB, "XBGR" },
	{ V4L2_PIX_FMT_BGRA32, "BGRA32", T_RGB, "ABGR" },
	{ V4L2_PIX_FMT_YUYV, "YUYV", T_YUV422, "YUYV" },
	{ V4L2_PIX_FMT_YVYU, "YVYU", T_YUV422, "YVYU" },
	{ V4L2_PIX_FMT_UYVY, "UYVY", T_YUV422, "UYVY" },
	{ V4L2_PIX_FMT_VYUY, "VYUY", T_YUV422, "VYUY" },
	{ V4L2_PIX_FMT_NV12, "NV12", T_NV, "UV" },
	{ V4L2_PIX_FMT_NV21, "NV21", T_NV, "VU" },
	{ V4L2_PIX_FMT_GREY, "GREY", T_GREY, "Y" },
};

static int layout_pos(const char *layout, char c)
{
	const char *p = strchr(layout, c);

	return p ? (int)(p - layout) : -1;
}

/* Bytes of one row of plane 0, as documented. */
static uint64_t t_row_bytes(const struct tfmt *fmt, uint32_t w)
{
	switch (fmt->kind) {
	case T_RGB:
		return (uint64_t)w * strlen(fmt->layout);
	case T_YUV422:
		return (uint64_t)((w + 1) / 2) * 4;
	default:
		return w;
	}
}

/* ---- frames -------------------------------------------------------------- */

struct tframe {
	struct vis_frame f;
	const struct tfmt *fmt;
	uint8_t *mem0;
	uint8_t *mem1;
};

/*
 * A @w x @h frame, rows padded by @pad0 (@pad1 for the chroma plane),
 * filled with random bytes; every plane exactly as large as documented.
 * @contiguous: NV chroma plane right after the luma plane's last stride.
 */
static void tframe_alloc(struct tframe *t, const struct tfmt *fmt, uint32_t w,
			 uint32_t h, uint32_t pad0, uint32_t pad1,
			 int contiguous, struct rng *r)
{
	uint64_t row0 = t_row_bytes(fmt, w), size0, size1 = 0, i;
	uint32_t stride0 = (uint32_t)row0 + pad0, stride1 = 0;

	memset(t, 0, sizeof(*t));
	t->fmt = fmt;
	t->f.fourcc = fmt->fourcc;
	t->f.width = w;
	t->f.height = h;
	t->f.crop_w = w;
	t->f.crop_h = h;
	size0 = (uint64_t)(h - 1) * stride0 + row0;
	if (fmt->kind == T_NV) {
		uint64_t row1 = (uint64_t)((w + 1) / 2) * 2;

		stride1 = (uint32_t)row1 + pad1;
		size1 = (uint64_t)((h + 1) / 2 - 1) * stride1 + row1;
	}
	if (fmt->kind == T_NV && contiguous) {
		uint64_t off1 = (uint64_t)stride0 * h;

		t->mem0 = malloc(off1 + size1);
		for (i = 0; i < off1 + size1; i++)
			t->mem0[i] = (uint8_t)rng_next(r);
		t->f.planes[0] = t->mem0;
		t->f.plane_sizes[0] = off1 + size1;
		t->f.planes[1] = t->mem0 + off1;
		t->f.plane_sizes[1] = size1;
	} else {
		t->mem0 = malloc(size0);
		for (i = 0; i < size0; i++)
			t->mem0[i] = (uint8_t)rng_next(r);
		t->f.planes[0] = t->mem0;
		t->f.plane_sizes[0] = size0;
		if (fmt->kind == T_NV) {
			t->mem1 = malloc(size1);
			for (i = 0; i < size1; i++)
				t->mem1[i] = (uint8_t)rng_next(r);
			t->f.planes[1] = t->mem1;
			t->f.plane_sizes[1] = size1;
		}
	}
	t->f.strides[0] = stride0;
	t->f.strides[1] = stride1;
}

static void tframe_free(struct tframe *t)
{
	free(t->mem0);
	free(t->mem1);
}

/* ---- the reference pipeline ---------------------------------------------- */

static int clip255(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

static int floor_div(int64_t a, int64_t b)
{
	return (int)floor((double)a / (double)b);
}

/* Y, U, V of frame pixel (x, y) of a YUV frame. */
static void ref_yuv(const struct tframe *t, uint32_t x, uint32_t y, int *Y,
		    int *U, int *V)
{
	const struct tfmt *fmt = t->fmt;
	const uint8_t *row0 = t->f.planes[0] + (uint64_t)y * t->f.strides[0];

	if (fmt->kind == T_YUV422) {
		const uint8_t *pair = row0 + (x / 2) * 4;
		int y0 = layout_pos(fmt->layout, 'Y');
		int y1 = (int)(strrchr(fmt->layout, 'Y') - fmt->layout);

		*Y = pair[x % 2 ? y1 : y0];
		*U = pair[layout_pos(fmt->layout, 'U')];
		*V = pair[layout_pos(fmt->layout, 'V')];
	} else {
		const uint8_t *cb = t->f.planes[1] +
				    (uint64_t)(y / 2) * t->f.strides[1] +
				    (x / 2) * 2;

		*Y = row0[x];
		*U = cb[layout_pos(fmt->layout, 'U')];
		*V = cb[layout_pos(fmt->layout, 'V')];
	}
}

/*
 * Step 1: the crop as an image of full-range values, @nch (3: R G B; 1:
 * luma) per pixel.
 */
static int *ref_unpack(const struct tframe *t, int nch)
{
	const struct vis_frame *f = &t->f;
	int *img = malloc(sizeof(int) * f->crop_w * f->crop_h * nch);
	uint32_t i, j;

	for (j = 0; j < f->crop_h; j++) {
		for (i = 0; i < f->crop_w; i++) {
			uint32_t x = f->crop_x + i, y = f->crop_y + j;
			int *o = img + ((size_t)j * f->crop_w + i) * nch;
			int R, G, B, Y, U, V;

			if (t->fmt->kind == T_RGB) {
				const char *l = t->fmt->layout;
				const uint8_t *p = f->planes[0] +
						   (uint64_t)y * f->strides[0] +
						   (uint64_t)x * strlen(l);

				R = p[layout_pos(l, 'R')];
				G = p[layout_pos(l, 'G')];
				B = p[layout_pos(l, 'B')];
				if (nch == 1)
					o[0] = (77 * R + 150 * G + 29 * B +
						128) /
					       256;
			} else if (t->fmt->kind == T_GREY) {
				const uint8_t *row =
					f->planes[0] +
					(uint64_t)y * f->strides[0];

				R = row[x];
				G = R;
				B = R;
				if (nch == 1)
					o[0] = R;
			} else {
				int C, D, E;

				ref_yuv(t, x, y, &Y, &U, &V);
				C = Y - 16;
				D = U - 128;
				E = V - 128;
				R = clip255(floor_div(298 * C + 409 * E + 128,
						      256));
				G = clip255(floor_div(298 * C - 100 * D -
							      208 * E + 128,
						      256));
				B = clip255(floor_div(298 * C + 516 * D + 128,
						      256));
				if (nch == 1)
					o[0] = clip255(
						floor_div(298 * C + 128, 256));
			}
			if (nch == 3) {
				o[0] = R;
				o[1] = G;
				o[2] = B;
			}
		}
	}
	return img;
}

/* One axis of step 2: source index pair and 8-bit weight. */
static void ref_axis(uint32_t o, uint32_t n, uint32_t s, int bilinear,
		     uint32_t *i0, uint32_t *i1, int *wt)
{
	double pos;
	int64_t c;

	if (!bilinear) {
		*i0 = (uint32_t)((uint64_t)o * s / n);
		*i1 = *i0;
		*wt = 0;
		return;
	}
	/* (o + 0.5) * s / n - 0.5 in units of 2^-16, floored. */
	pos = (o + 0.5) * s * 65536.0 / n;
	c = (int64_t)floor(pos) - 32768;
	if (c < 0)
		c = 0;
	if (c > (int64_t)(s - 1) * 65536)
		c = (int64_t)(s - 1) * 65536;
	*i0 = (uint32_t)(c / 65536);
	*i1 = *i0 + 1 < s ? *i0 + 1 : s - 1;
	*wt = (int)((c % 65536) / 256);
}

/*
 * Steps 2 and 3: resize @img (crop_w x crop_h x nch) to h x w, normalise
 * into @out ([1,h,w,C] int8).
 */
static void ref_resize_norm(const int *img, uint32_t cw, uint32_t ch, int nch,
			    uint32_t h, uint32_t w,
			    const struct vision_model_input_stage *st,
			    int8_t *out)
{
	int bl = st->resize == VISION_MODEL_RESIZE_BILINEAR;
	uint32_t oy, ox;
	int k;

	for (oy = 0; oy < h; oy++) {
		uint32_t y0, y1;
		int wy;

		ref_axis(oy, h, ch, bl, &y0, &y1, &wy);
		for (ox = 0; ox < w; ox++) {
			uint32_t x0, x1;
			int wx, p[3];

			ref_axis(ox, w, cw, bl, &x0, &x1, &wx);
			for (k = 0; k < nch; k++) {
				int a = img[(y0 * cw + x0) * nch + k];
				int b = img[(y0 * cw + x1) * nch + k];
				int c = img[(y1 * cw + x0) * nch + k];
				int d = img[(y1 * cw + x1) * nch + k];
				int64_t sum =
					(int64_t)a * (256 - wx) * (256 - wy) +
					(int64_t)b * wx * (256 - wy) +
					(int64_t)c * (256 - wx) * wy +
					(int64_t)d * wx * wy;

				p[k] = (int)((sum + 32768) / 65536);
			}
			for (k = 0; k < nch; k++) {
				/* Tensor channel k from image channel: */
				int src = st->color == VISION_MODEL_COLOR_BGR ?
						  2 - k :
						  k;
				int64_t v = (int64_t)p[src] * st->norm_mul[k] +
					    st->norm_add[k];
				double q =
					floor((double)v /
					      ldexp(1.0, (int)st->norm_shift));

				if (q < -128)
					q = -128;
				if (q > 127)
					q = 127;
				out[((size_t)oy * w + ox) * nch + k] =
					(int8_t)q;
			}
		}
	}
}

/* ---- models ---------------------------------------------------------------- */

struct tmodel {
	void *blob;
	size_t size;
	struct vis_model m;
	struct vis_engine_error err;
	uint32_t input;
	uint8_t *arena;
};

static void stage_init(struct vision_model_input_stage *st, uint32_t color,
		       uint32_t resize)
{
	int c;

	memset(st, 0, sizeof(*st));
	st->color = color;
	st->resize = resize;
	st->norm_shift = 0;
	for (c = 0; c < 3; c++) {
		st->norm_mul[c] = 1;
		st->norm_add[c] = -128;
	}
}

/* Build: input [1,h,w,C] -> RESHAPE view -> output. */
static int tmodel_blob(struct tmodel *tm, uint32_t h, uint32_t w,
		       const struct vision_model_input_stage *stage)
{
	uint32_t nch = stage->color == VISION_MODEL_COLOR_GREY ? 1 : 3;
	uint32_t shape[4] = { 1, h, w, nch };
	uint32_t flat[4] = { 1, h, 1, w * nch };
	struct vision_model_input_stage st = *stage;
	struct vmb *b = vmb_new();
	uint32_t out;
	int ret;

	if (!b)
		return -ENOMEM;
	memset(tm, 0, sizeof(*tm));
	tm->input = vmb_arena_tensor(b, shape, 0, 1.0f / 128, "image");
	out = vmb_view_tensor(b, tm->input, flat, "flat");
	vmb_op(b, VISION_MODEL_OP_RESHAPE, &tm->input, 1, out, NULL, "reshape");
	st.tensor = tm->input;
	vmb_input(b, &st);
	vmb_output(b, out, NULL, 0);
	ret = vmb_finish(b, &tm->blob, &tm->size);
	vmb_free(b);
	return ret;
}

static int tmodel_validate(struct tmodel *tm)
{
	int ret;

	ret = vis_model_validate(&tm->m, tm->blob, tm->size, &tm->err);
	if (ret)
		return ret;
	tm->arena = aligned_alloc(64, tm->m.arena_size);
	if (!tm->arena)
		return -ENOMEM;
	memset(tm->arena, 0xa5, tm->m.arena_size);
	return 0;
}

static int tmodel_make(struct tmodel *tm, uint32_t h, uint32_t w,
		       const struct vision_model_input_stage *stage)
{
	int ret = tmodel_blob(tm, h, w, stage);

	return ret ? ret : tmodel_validate(tm);
}

/* A one-plane frame of @w x @h pixels of @bpp bytes at @buf, uncropped. */
static struct vis_frame packed_frame(uint32_t fourcc, const uint8_t *buf,
				     uint32_t w, uint32_t h, uint32_t bpp)
{
	struct vis_frame f = {
		.fourcc = fourcc,
		.width = w,
		.height = h,
		.planes = { buf },
		.strides = { w * bpp },
		.plane_sizes = { (uint64_t)w * h * bpp },
		.crop_w = w,
		.crop_h = h,
	};

	return f;
}

static void tmodel_free(struct tmodel *tm)
{
	free(tm->arena);
	free(tm->blob);
	memset(tm, 0, sizeof(*tm));
}

static struct vision_model_input_stage *blob_stage(struct tmodel *tm)
{
	struct vision_model_header *hdr = tm->blob;

	return (void *)((uint8_t *)tm->blob +
			hdr->sections[VISION_MODEL_SECTION_INPUT].offset);
}

/* Run the engine's input stage over rows split at random points. */
static const int8_t *engine_run(struct tmodel *tm, const struct vis_frame *f,
				struct rng *r)
{
	struct vis_exec x = { .model = &tm->m, .arena = tm->arena };
	uint32_t rows = vis_input_rows(&tm->m), y = 0;

	while (y < rows) {
		uint32_t n = (uint32_t)rng_range(r, 1, rows - y);

		if (rng_range(r, 0, 3) == 0)
			n = rows - y;
		vis_input_run(&x, f, y, y + n);
		y += n;
	}
	return (const int8_t *)tm->arena + tm->m.tensors[tm->input].offset;
}

/* ---- random cases -------------------------------------------------------- */

static void random_norm(struct vision_model_input_stage *st, struct rng *r)
{
	int mode = (int)rng_range(r, 0, 3), c;

	st->norm_shift = (uint32_t)rng_range(r, 0, 30);
	for (c = 0; c < 3; c++) {
		switch (mode) {
		case 0: /* identity-like: q = p - 128, no saturation */
			st->norm_shift = 0;
			st->norm_mul[c] = 1;
			st->norm_add[c] = -128;
			break;
		case 1: { /* realistic: results mostly in range */
			int s = (int)rng_range(r, 0, 14);

			st->norm_shift = (uint32_t)s;
			st->norm_mul[c] =
				(int32_t)rng_range(r, -(1 << s), 1 << s);
			st->norm_add[c] = (int32_t)rng_range(r, -(160ll << s),
							     160ll << s);
			break;
		}
		case 2: /* the extremes the validator allows */
			st->norm_mul[c] = rng_range(r, 0, 1) ? (1 << 22) :
							       -(1 << 22);
			st->norm_add[c] = rng_range(r, 0, 1) ? (1 << 30) :
							       -(1 << 30);
			if (rng_range(r, 0, 1))
				st->norm_add[c] = (int32_t)rng_range(
					r, -(1 << 30), 1 << 30);
			break;
		default: /* anything in range */
			st->norm_mul[c] =
				(int32_t)rng_range(r, -(1 << 22), 1 << 22);
			st->norm_add[c] =
				(int32_t)rng_range(r, -(1 << 30), 1 << 30);
			break;
		}
	}
}

static uint32_t random_dim(struct rng *r, uint32_t max)
{
	switch (rng_range(r, 0, 5)) {
	case 0:
		return 1;
	case 1:
		return (uint32_t)rng_range(r, 1, max < 4 ? max : 4);
	default:
		return (uint32_t)rng_range(r, 1, max);
	}
}

/*
 * One random case for @fmt. Returns the number of mismatching bytes;
 * describes the case in @desc.
 */
static int random_case(const struct tfmt *fmt, struct rng *r, char *desc,
		       size_t desc_len)
{
	struct vision_model_input_stage st;
	struct tframe t;
	struct tmodel tm;
	uint32_t w = random_dim(r, 40), h = random_dim(r, 40);
	uint32_t th = random_dim(r, 48), tw = random_dim(r, 48);
	uint32_t pad0 = rng_range(r, 0, 1) ? 0 : (uint32_t)rng_range(r, 1, 9);
	uint32_t pad1 = rng_range(r, 0, 1) ? 0 : (uint32_t)rng_range(r, 1, 9);
	int nch, bad = 0, ret;
	const int8_t *got;
	int8_t *want;
	int *img;
	size_t i, n;

	/*
	 * Long axes: the Q16 coordinate's low bits only reach the weights
	 * when the output side is a few hundred pixels.
	 */
	switch (rng_range(r, 0, 15)) {
	case 0:
		w = (uint32_t)rng_range(r, 1, 700);
		tw = (uint32_t)rng_range(r, 200, 1200);
		th = random_dim(r, 3);
		break;
	case 1:
		h = (uint32_t)rng_range(r, 1, 700);
		th = (uint32_t)rng_range(r, 200, 1200);
		tw = random_dim(r, 3);
		break;
	}
	tframe_alloc(&t, fmt, w, h, pad0, pad1, (int)rng_range(r, 0, 1), r);
	/* Crops: whole frame, touching an edge or corner, or anywhere. */
	t.f.crop_w = random_dim(r, w);
	t.f.crop_h = random_dim(r, h);
	switch (rng_range(r, 0, 3)) {
	case 0:
		t.f.crop_x = w - t.f.crop_w;
		t.f.crop_y = h - t.f.crop_h;
		break;
	case 1:
		t.f.crop_x = 0;
		t.f.crop_y = h - t.f.crop_h;
		break;
	default:
		t.f.crop_x = (uint32_t)rng_range(r, 0, w - t.f.crop_w);
		t.f.crop_y = (uint32_t)rng_range(r, 0, h - t.f.crop_h);
		break;
	}
	stage_init(&st, (uint32_t)rng_range(r, 0, 2),
		   (uint32_t)rng_range(r, 0, 1));
	random_norm(&st, r);
	nch = st.color == VISION_MODEL_COLOR_GREY ? 1 : 3;
	snprintf(
		desc, desc_len,
		"%s %ux%u strides %u,%u crop %u,%u %ux%u -> %ux%u color %u resize %u shift %u mul %d add %d",
		fmt->name, w, h, t.f.strides[0], t.f.strides[1], t.f.crop_x,
		t.f.crop_y, t.f.crop_w, t.f.crop_h, tw, th, st.color, st.resize,
		st.norm_shift, st.norm_mul[0], st.norm_add[0]);

	ret = tmodel_make(&tm, th, tw, &st);
	if (ret) {
		snprintf(desc, desc_len, "model: %d %s: %s", ret, tm.err.field,
			 tm.err.msg);
		tframe_free(&t);
		return -1;
	}
	if (vis_input_check(&tm.m, &t.f)) {
		snprintf(desc + strlen(desc), desc_len - strlen(desc),
			 ": vis_input_check() failed");
		tmodel_free(&tm);
		tframe_free(&t);
		return -1;
	}
	got = engine_run(&tm, &t.f, r);

	img = ref_unpack(&t, nch);
	n = (size_t)th * tw * nch;
	want = malloc(n);
	ref_resize_norm(img, t.f.crop_w, t.f.crop_h, nch, th, tw, &st, want);
	for (i = 0; i < n; i++)
		bad += got[i] != want[i];
	/* Nothing past the tensor is written. */
	for (i = n; i < tm.m.arena_size - tm.m.tensors[tm.input].offset; i++)
		bad += (uint8_t)got[i] != 0xa5;
	if (bad) {
		for (i = 0; i < n && got[i] == want[i]; i++)
			;
		if (i < n)
			snprintf(desc + strlen(desc), desc_len - strlen(desc),
				 ": first mismatch at %zu: got %d want %d", i,
				 got[i], want[i]);
	}
	free(want);
	free(img);
	tmodel_free(&tm);
	tframe_free(&t);
	return bad;
}

/* ---- per-format tests ---------------------------------------------------- */

#define CASES_PER_FORMAT 1000

/* Engine and reference agree bit for bit on random cases, every format. */
TEST(random_vs_reference)
{
	char desc[320];
	size_t k;
	int i, bad;

	for (k = 0; k < ARRAY_SIZE(tfmts); k++) {
		struct rng r = { 0x5eed0000ull + k };

		for (i = 0; i < CASES_PER_FORMAT; i++) {
			bad = random_case(&tfmts[k], &r, desc, sizeof(desc));
			if (bad)
				TH_LOG("case %d: %s", i, desc);
			ASSERT_EQ(0, bad);
		}
	}
	TH_LOG("%d random cases in each of %zu formats agree", CASES_PER_FORMAT,
	       ARRAY_SIZE(tfmts));
}

/* A 1x1 frame into a 1x1 tensor and into a larger one. */
static void check_one_pixel(struct __test_metadata *_metadata, size_t index)
{
	const struct tfmt *f = &tfmts[index];
	struct rng r = { 0x1111ull + index };
	uint32_t sizes[][2] = { { 1, 1 }, { 1, 7 }, { 5, 1 }, { 9, 9 } };
	uint32_t color, resize, k, p;

	for (color = 0; color < 3; color++) {
		for (resize = 0; resize < 2; resize++) {
			for (k = 0; k < 4; k++) {
				struct vision_model_input_stage st;
				struct tframe t;
				struct tmodel tm;
				int nch = color == VISION_MODEL_COLOR_GREY ? 1 :
									     3;
				uint32_t th = sizes[k][0], tw = sizes[k][1];
				const int8_t *got;
				int8_t want[81 * 3];
				int *img;

				tframe_alloc(&t, f, 1, 1, 0, 0, 0, &r);
				stage_init(&st, color, resize);
				ASSERT_EQ(0, tmodel_make(&tm, th, tw, &st));
				ASSERT_EQ(0, vis_input_check(&tm.m, &t.f));
				got = engine_run(&tm, &t.f, &r);
				img = ref_unpack(&t, nch);
				ref_resize_norm(img, 1, 1, nch, th, tw, &st,
						want);
				ASSERT_EQ(0, memcmp(got, want,
						    (size_t)th * tw * nch));
				/* Every output pixel is the one pixel. */
				for (p = 1; p < th * tw; p++)
					ASSERT_EQ(0, memcmp(got + p * nch, got,
							    (size_t)nch));
				free(img);
				tmodel_free(&tm);
				tframe_free(&t);
			}
		}
	}
}

TEST(one_pixel_frames)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(tfmts); k++)
		check_one_pixel(_metadata, k);
}

/*
 * vis_input_check() accepts exactly the documented sizes and nothing
 * smaller, for odd and even sizes, with and without padding.
 */
static void check_bounds(struct __test_metadata *_metadata, size_t index)
{
	const struct tfmt *fmt = &tfmts[index];
	struct rng r = { 0x2222ull + index };
	uint32_t dims[][2] = {
		{ 1, 1 }, { 2, 2 }, { 3, 5 }, { 8, 3 }, { 17, 9 }
	};
	struct vision_model_input_stage st;
	struct tmodel tm;
	uint32_t k, pad;

	stage_init(&st, VISION_MODEL_COLOR_RGB, VISION_MODEL_RESIZE_BILINEAR);
	ASSERT_EQ(0, tmodel_make(&tm, 4, 4, &st));

	for (k = 0; k < 5; k++) {
		for (pad = 0; pad < 3; pad += 2) {
			uint32_t w = dims[k][0], h = dims[k][1];
			struct tframe t;
			struct vis_frame f;

			tframe_alloc(&t, fmt, w, h, pad, pad, 0, &r);
			f = t.f;
			ASSERT_EQ(0, vis_input_check(&tm.m, &f));

			/* The whole frame is readable: run on every corner. */
			f.crop_x = w - 1;
			f.crop_y = h - 1;
			f.crop_w = 1;
			f.crop_h = 1;
			ASSERT_EQ(0, vis_input_check(&tm.m, &f));
			engine_run(&tm, &f, &r);

			f = t.f;
			f.plane_sizes[0]--;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			f = t.f;
			f.strides[0] = (uint32_t)t_row_bytes(fmt, w) - 1;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			f = t.f;
			f.planes[0] = NULL;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			if (fmt->kind == T_NV) {
				f = t.f;
				f.plane_sizes[1]--;
				ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
				f = t.f;
				f.planes[1] = NULL;
				ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
				f = t.f;
				f.strides[1] = (w + 1) / 2 * 2 - 1;
				ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			} else {
				/* The second plane is not looked at. */
				f = t.f;
				f.planes[1] = NULL;
				f.strides[1] = 0;
				f.plane_sizes[1] = 0;
				ASSERT_EQ(0, vis_input_check(&tm.m, &f));
			}

			/* Crops. */
			f = t.f;
			f.crop_w = 0;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			f = t.f;
			f.crop_h = 0;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			f = t.f;
			f.crop_x = 1;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			f = t.f;
			f.crop_y = 1;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			f = t.f;
			f.crop_x = w;
			f.crop_w = 1;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			f = t.f;
			f.crop_y = h;
			f.crop_h = 1;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			f = t.f;
			f.crop_x = UINT32_MAX;
			f.crop_w = 2;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			f = t.f;
			f.crop_y = 1;
			f.crop_h = UINT32_MAX;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));

			/* Sizes. */
			f = t.f;
			f.width = 0;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
			f = t.f;
			f.height = 0;
			ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));

			tframe_free(&t);
		}
	}

	/*
	 * Huge strides and heights: the needed size is computed without
	 * overflow (nothing is read: these are only checked).
	 */
	{
		struct vis_frame f;
		uint64_t row = t_row_bytes(fmt, 1000), need;

		memset(&f, 0, sizeof(f));
		f.fourcc = fmt->fourcc;
		f.width = 1000;
		f.height = VIS_INPUT_MAX_DIM;
		f.crop_w = 1000;
		f.crop_h = VIS_INPUT_MAX_DIM;
		f.planes[0] = (const uint8_t *)tfmts;
		f.planes[1] = (const uint8_t *)tfmts;
		f.strides[0] = UINT32_MAX;
		f.strides[1] = UINT32_MAX;
		need = (uint64_t)(VIS_INPUT_MAX_DIM - 1) * UINT32_MAX + row;
		f.plane_sizes[0] = need - 1;
		f.plane_sizes[1] = UINT64_MAX;
		ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
		f.plane_sizes[0] = need;
		ASSERT_EQ(0, vis_input_check(&tm.m, &f));
		f.height = VIS_INPUT_MAX_DIM + 1;
		f.plane_sizes[0] = UINT64_MAX;
		ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
		f.height = 1;
		f.crop_h = 1;
		f.width = VIS_INPUT_MAX_DIM + 1;
		ASSERT_EQ(-EINVAL, vis_input_check(&tm.m, &f));
	}
	tmodel_free(&tm);
}

TEST(frame_bounds)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(tfmts); k++)
		check_bounds(_metadata, k);
}

/* ---- format-independent tests -------------------------------------------- */

TEST(unknown_fourcc)
{
	static const uint32_t bad[] = {
		0,
		v4l2_fourcc('A', 'B', 'C', 'D'),
		V4L2_PIX_FMT_MJPEG,
		V4L2_PIX_FMT_YUV420,
		V4L2_PIX_FMT_RGB565,
		V4L2_PIX_FMT_NV16,
		0xffffffff,
	};
	struct vision_model_input_stage st;
	struct tmodel tm;
	uint8_t buf[64] = { 0 };
	struct vis_frame f;
	size_t i;

	stage_init(&st, VISION_MODEL_COLOR_RGB, VISION_MODEL_RESIZE_NEAREST);
	ASSERT_EQ(0, tmodel_make(&tm, 2, 2, &st));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&f, 0, sizeof(f));
		f.fourcc = bad[i];
		f.width = 2;
		f.height = 2;
		f.crop_w = 2;
		f.crop_h = 2;
		f.planes[0] = buf;
		f.planes[1] = buf;
		f.strides[0] = 16;
		f.strides[1] = 16;
		f.plane_sizes[0] = sizeof(buf);
		f.plane_sizes[1] = sizeof(buf);
		ASSERT_EQ(-EOPNOTSUPP, vis_input_check(&tm.m, &f));
	}
	/* Unsupported wins over other defects. */
	f.width = 0;
	ASSERT_EQ(-EOPNOTSUPP, vis_input_check(&tm.m, &f));
	tmodel_free(&tm);
}

/* Convert a constant YUV colour through the engine: q = p - 128. */
static void yuv_colour(struct __test_metadata *_metadata, uint32_t fourcc,
		       uint32_t color, int Y, int U, int V, int out[3])
{
	const struct tfmt *fmt = NULL;
	struct vision_model_input_stage st;
	struct rng r = { 7 };
	struct tframe t;
	struct tmodel tm;
	const int8_t *got;
	uint32_t i, j;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(tfmts); k++)
		if (tfmts[k].fourcc == fourcc)
			fmt = &tfmts[k];
	ASSERT_NE(NULL, fmt);
	tframe_alloc(&t, fmt, 4, 4, 0, 0, 0, &r);
	for (j = 0; j < 4; j++) {
		uint8_t *row = t.mem0 + j * t.f.strides[0];

		for (i = 0; i < 4; i += 2) {
			if (fmt->kind == T_YUV422) {
				uint8_t *p = row + i * 2;

				p[layout_pos(fmt->layout, 'Y')] = (uint8_t)Y;
				p[strrchr(fmt->layout, 'Y') - fmt->layout] =
					(uint8_t)Y;
				p[layout_pos(fmt->layout, 'U')] = (uint8_t)U;
				p[layout_pos(fmt->layout, 'V')] = (uint8_t)V;
			} else {
				uint8_t *c =
					t.mem1 + (j / 2) * t.f.strides[1] + i;

				row[i] = (uint8_t)Y;
				row[i + 1] = (uint8_t)Y;
				c[layout_pos(fmt->layout, 'U')] = (uint8_t)U;
				c[layout_pos(fmt->layout, 'V')] = (uint8_t)V;
			}
		}
	}
	stage_init(&st, color, VISION_MODEL_RESIZE_BILINEAR);
	ASSERT_EQ(0, tmodel_make(&tm, 3, 3, &st));
	ASSERT_EQ(0, vis_input_check(&tm.m, &t.f));
	got = engine_run(&tm, &t.f, &r);
	for (k = 0; k < (color == VISION_MODEL_COLOR_GREY ? 1 : 3); k++)
		out[k] = got[k] + 128;
	/* A flat frame gives a flat tensor. */
	for (k = 0; k < 9 * (color == VISION_MODEL_COLOR_GREY ? 1u : 3u); k++)
		ASSERT_EQ(got[k % (color == VISION_MODEL_COLOR_GREY ? 1 : 3)],
			  got[k]);
	tmodel_free(&tm);
	tframe_free(&t);
}

/* Published BT.601 (studio swing) colour bars. */
TEST(bt601_colours)
{
	static const struct {
		const char *name;
		int Y, U, V, R, G, B, tol;
	} bars[] = {
		{ "white", 235, 128, 128, 255, 255, 255, 0 },
		{ "black", 16, 128, 128, 0, 0, 0, 0 },
		{ "grey", 126, 128, 128, 128, 128, 128, 1 },
		{ "red", 81, 90, 240, 255, 0, 0, 1 },
		{ "green", 145, 54, 34, 0, 255, 0, 1 },
		{ "blue", 41, 240, 110, 0, 0, 255, 1 },
		{ "yellow", 210, 16, 146, 255, 255, 0, 1 },
		{ "cyan", 170, 166, 16, 0, 255, 255, 1 },
		{ "magenta", 106, 202, 222, 255, 0, 255, 1 },
		{ "superwhite", 255, 128, 128, 255, 255, 255, 0 },
		{ "superblack", 0, 128, 128, 0, 0, 0, 0 },
	};
	static const uint32_t fourccs[] = { V4L2_PIX_FMT_YUYV,
					    V4L2_PIX_FMT_UYVY,
					    V4L2_PIX_FMT_NV12,
					    V4L2_PIX_FMT_NV21 };
	size_t i, k;

	for (k = 0; k < 4; k++) {
		for (i = 0; i < ARRAY_SIZE(bars); i++) {
			int rgb[3], bgr[3], grey[3];

			yuv_colour(_metadata, fourccs[k],
				   VISION_MODEL_COLOR_RGB, bars[i].Y, bars[i].U,
				   bars[i].V, rgb);
			yuv_colour(_metadata, fourccs[k],
				   VISION_MODEL_COLOR_BGR, bars[i].Y, bars[i].U,
				   bars[i].V, bgr);
			yuv_colour(_metadata, fourccs[k],
				   VISION_MODEL_COLOR_GREY, bars[i].Y,
				   bars[i].U, bars[i].V, grey);
			if (abs(rgb[0] - bars[i].R) > bars[i].tol ||
			    abs(rgb[1] - bars[i].G) > bars[i].tol ||
			    abs(rgb[2] - bars[i].B) > bars[i].tol)
				TH_LOG("%s: %d %d %d", bars[i].name, rgb[0],
				       rgb[1], rgb[2]);
			ASSERT_GE(bars[i].tol, abs(rgb[0] - bars[i].R));
			ASSERT_GE(bars[i].tol, abs(rgb[1] - bars[i].G));
			ASSERT_GE(bars[i].tol, abs(rgb[2] - bars[i].B));
			ASSERT_EQ(rgb[0], bgr[2]);
			ASSERT_EQ(rgb[1], bgr[1]);
			ASSERT_EQ(rgb[2], bgr[0]);
			/* Luma expanded to full range. */
			ASSERT_EQ(clip255((298 * (bars[i].Y - 16) + 128) >> 8),
				  grey[0]);
		}
	}
}

/* Full-range luma of RGB frames: white, black and the primaries. */
TEST(rgb_luma)
{
	static const struct {
		uint8_t r, g, b;
		int y;
	} px[] = {
		{ 255, 255, 255, 255 }, { 0, 0, 0, 0 },
		{ 255, 0, 0, 77 },	{ 0, 255, 0, 149 },
		{ 0, 0, 255, 29 },	{ 128, 128, 128, 128 },
	};
	struct vision_model_input_stage st;
	struct tmodel tm;
	size_t i;

	stage_init(&st, VISION_MODEL_COLOR_GREY, VISION_MODEL_RESIZE_NEAREST);
	ASSERT_EQ(0, tmodel_make(&tm, 1, 1, &st));
	for (i = 0; i < ARRAY_SIZE(px); i++) {
		uint8_t buf[3] = { px[i].r, px[i].g, px[i].b };
		struct vis_frame f =
			packed_frame(V4L2_PIX_FMT_RGB24, buf, 1, 1, 3);
		struct rng r = { 1 };

		ASSERT_EQ(0, vis_input_check(&tm.m, &f));
		ASSERT_EQ(px[i].y - 128, engine_run(&tm, &f, &r)[0]);
	}
	tmodel_free(&tm);
}

/*
 * Resize geometry on a known ramp: identity is exact, 2x nearest
 * duplicates, 2x bilinear with half-pixel centres gives 1/4, 3/4 blends.
 */
TEST(resize_geometry)
{
	uint8_t ramp[4] = { 0, 100, 200, 40 };
	struct vis_frame f = packed_frame(V4L2_PIX_FMT_GREY, ramp, 4, 1, 1);
	struct vision_model_input_stage st;
	struct tmodel tm;
	struct rng r = { 3 };
	const int8_t *got;
	static const int nearest8[8] = { 0, 0, 100, 100, 200, 200, 40, 40 };
	static const int bilinear8[8] = { 0, 25, 75, 125, 175, 160, 80, 40 };
	int i;

	for (i = 0; i < 2; i++) {
		stage_init(&st, VISION_MODEL_COLOR_GREY, (uint32_t)i);
		ASSERT_EQ(0, tmodel_make(&tm, 1, 4, &st));
		got = engine_run(&tm, &f, &r);
		ASSERT_EQ(0 - 128, got[0]);
		ASSERT_EQ(100 - 128, got[1]);
		ASSERT_EQ(200 - 128, got[2]);
		ASSERT_EQ(40 - 128, got[3]);
		tmodel_free(&tm);
	}
	for (i = 0; i < 2; i++) {
		const int *want = i ? bilinear8 : nearest8;
		int k;

		stage_init(&st, VISION_MODEL_COLOR_GREY, (uint32_t)i);
		ASSERT_EQ(0, tmodel_make(&tm, 1, 8, &st));
		got = engine_run(&tm, &f, &r);
		for (k = 0; k < 8; k++)
			ASSERT_EQ(want[k] - 128, got[k]);
		tmodel_free(&tm);
	}
}

/* Normalisation: arithmetic shift (floor) and saturation. */
TEST(normalisation)
{
	uint8_t buf[3] = { 10, 200, 255 };
	struct vis_frame f = packed_frame(V4L2_PIX_FMT_RGB24, buf, 1, 1, 3);
	struct vision_model_input_stage st;
	struct tmodel tm;
	struct rng r = { 5 };
	const int8_t *got;

	stage_init(&st, VISION_MODEL_COLOR_RGB, VISION_MODEL_RESIZE_BILINEAR);
	st.norm_shift = 4;
	st.norm_mul[0] = -3; /* -30 >> 4 = floor(-1.875) = -2 */
	st.norm_add[0] = 0;
	st.norm_mul[1] = 1 << 22; /* saturates high */
	st.norm_add[1] = 0;
	st.norm_mul[2] = -(1 << 22); /* saturates low */
	st.norm_add[2] = 0;
	ASSERT_EQ(0, tmodel_make(&tm, 1, 1, &st));
	got = engine_run(&tm, &f, &r);
	ASSERT_EQ(-2, got[0]);
	ASSERT_EQ(127, got[1]);
	ASSERT_EQ(-128, got[2]);
	tmodel_free(&tm);

	/* BGR: tensor channel 0 is blue and uses norm_mul[0]. */
	stage_init(&st, VISION_MODEL_COLOR_BGR, VISION_MODEL_RESIZE_NEAREST);
	st.norm_mul[0] = 1;
	st.norm_add[0] = -255;
	ASSERT_EQ(0, tmodel_make(&tm, 1, 1, &st));
	got = engine_run(&tm, &f, &r);
	ASSERT_EQ(0, got[0]);
	ASSERT_EQ(200 - 128, got[1]);
	ASSERT_EQ(10 - 128, got[2]);
	tmodel_free(&tm);
}

/* vis_input_stage_check() through the validator: each field rejected. */
TEST(stage_validation)
{
	struct vision_model_input_stage st;
	struct tmodel tm;
	int i;

	enum { OK, BAD };
	static const struct {
		const char *field;
		int expect;
	} cases[] = {
		{ "tensor", BAD },     { "color", BAD },  { "resize", BAD },
		{ "norm_shift", BAD }, { "shift30", OK }, { "norm_mul", BAD },
		{ "norm_mul-", BAD },  { "mul_max", OK }, { "norm_add", BAD },
		{ "norm_add-", BAD },  { "add_max", OK }, { "flags", BAD },
		{ "reserved", BAD },   { "grey3", BAD },  { "rgb1", BAD },
	};

	for (i = 0; i < (int)(ARRAY_SIZE(cases)); i++) {
		struct vision_model_input_stage *s;
		const char *field = cases[i].field;
		const char *want_field = field;
		int ret;

		stage_init(&st, VISION_MODEL_COLOR_RGB,
			   VISION_MODEL_RESIZE_BILINEAR);
		if (!strcmp(field, "rgb1"))
			st.color = VISION_MODEL_COLOR_GREY;
		ASSERT_EQ(0, tmodel_blob(&tm, 4, 4, &st));
		s = blob_stage(&tm);
		if (!strcmp(field, "grey3")) {
			/* An RGB-shaped tensor under a GREY stage. */
			s->color = VISION_MODEL_COLOR_GREY;
			want_field = "tensor";
		} else if (!strcmp(field, "rgb1")) {
			/* A GREY-shaped tensor under an RGB stage. */
			s->color = VISION_MODEL_COLOR_RGB;
			want_field = "tensor";
		} else if (!strcmp(field, "tensor")) {
			s->tensor = 2;
		} else if (!strcmp(field, "color")) {
			s->color = 3;
		} else if (!strcmp(field, "resize")) {
			s->resize = 2;
		} else if (!strcmp(field, "norm_shift")) {
			s->norm_shift = 31;
		} else if (!strcmp(field, "shift30")) {
			s->norm_shift = 30;
		} else if (!strcmp(field, "norm_mul")) {
			s->norm_mul[2] = (1 << 22) + 1;
		} else if (!strcmp(field, "norm_mul-")) {
			s->norm_mul[1] = -(1 << 22) - 1;
			want_field = "norm_mul";
		} else if (!strcmp(field, "mul_max")) {
			s->norm_mul[0] = 1 << 22;
			s->norm_mul[1] = -(1 << 22);
			s->norm_add[0] = 1 << 30;
			s->norm_add[1] = -(1 << 30);
		} else if (!strcmp(field, "norm_add")) {
			s->norm_add[0] = (1 << 30) + 1;
		} else if (!strcmp(field, "norm_add-")) {
			s->norm_add[2] = -(1 << 30) - 1;
			want_field = "norm_add";
		} else if (!strcmp(field, "add_max")) {
			s->norm_add[2] = -(1 << 30);
			s->norm_mul[2] = -(1 << 22);
		} else if (!strcmp(field, "flags")) {
			s->flags = 1;
		} else if (!strcmp(field, "reserved")) {
			s->reserved[2] = 1;
		}
		vmb_fix_crc(tm.blob, tm.size);
		ret = tmodel_validate(&tm);
		if (cases[i].expect == OK) {
			if (ret)
				TH_LOG("%s: %s: %s", field, tm.err.field,
				       tm.err.msg);
			ASSERT_EQ(0, ret);
		} else {
			ASSERT_EQ(-EINVAL, ret);
			ASSERT_EQ(VISION_MODEL_SECTION_INPUT, tm.err.section);
			ASSERT_STREQ(want_field, tm.err.field);
		}
		tmodel_free(&tm);
	}
}

TEST_HARNESS_MAIN
