// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: depthwise CONV_2D
 *
 * Output channel co = ci * mult + j reads input channel ci only. NHWC keeps
 * the channels of a pixel contiguous, so the work is vectorized across
 * channels: for each output pixel the kernel table's dw_conv() walks the
 * KH x KW taps with a block of int32 accumulators held in registers, then
 * requantizes the block and stores it (see &struct vis_dw_args).
 *
 * Per call of run() and per range of output channels (all of them unless
 * the filter is very large), the filter is laid out in scratch as int32
 * [tap][channel], and the bias gets -in_zp * sum(w) folded in. The input
 * zero point then needs no subtraction in the inner loop: padded taps
 * point at a row of in_zp values, whose products cancel the fold exactly.
 * Per run of output pixels an indirection table gives the kernel one
 * pointer per (pixel, tap), so any kernel size, stride, dilation and
 * padding take the same path. With a channel multiplier above one, the
 * input values of each tap are first replicated per output channel.
 *
 * BLOCK4 weights are decoded into the same dense [tap][channel] layout
 * rather than skipped: a depthwise filter has only K = KH * KW weights per
 * channel, so the dense int32 products over a block of channels cost less
 * than following the sparse index per channel would, and the decode is
 * K * Cout per run() call, at most the work of one output row.
 *
 * Every partial sum stays within |bias| + 255 * sum|w|, which CONV_2D's
 * check() bounds to int32.
 */

#include "vis_op_conv_dw.h"

/* Scratch for the per-channel-range filter, bias and requant tables. */
#define VIS_DW_WBUF 65536
/* Scratch for the indirection table of one dw_conv() call. */
#define VIS_DW_TAPBUF 16384
/* Scratch regions start on cache-line boundaries. */
#define VIS_DW_SALIGN 64

struct vis_dw_geom {
	u32 h, w, cin;
	u32 oh, ow, cout;
	u32 kh, kw, taps, mult;
	u32 cb; /* output channels per range */
	u32 np; /* output pixels per dw_conv() call */
	bool block4;
};

/* Scratch layout; both scratch() and run() derive it from here. */
struct vis_dw_scratch {
	u64 w; /* s32[taps * cb] */
	u64 bias; /* s32[cb] */
	u64 mult; /* s32[cb] */
	u64 shift; /* s32[cb] */
	u64 zp; /* s8[cb]: in_zp, what padded taps read */
	u64 rep; /* s8[taps * cb]: replicated input, multiplier > 1 */
	u64 taps; /* const s8 *[np * taps] */
	u64 size;
};

/* Scratch bytes per output channel of a range. */
static u64 vis_dw_chan_bytes(const struct vis_dw_geom *g)
{
	return (u64)g->taps * 4 + 13 + (g->mult > 1 ? g->taps : 0);
}

static void vis_dw_geom(const struct vis_model *m,
			const struct vision_model_op *op, struct vis_dw_geom *g)
{
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *w = vis_tensor(m, op->inputs[1]);
	const struct vision_model_tensor *out = vis_tensor(m, op->output);
	u64 cb;

	g->h = in->shape[1];
	g->w = in->shape[2];
	g->cin = in->shape[3];
	g->oh = out->shape[1];
	g->ow = out->shape[2];
	g->cout = out->shape[3];
	g->kh = w->shape[1];
	g->kw = w->shape[2];
	g->taps = g->kh * g->kw; /* check() bounds it */
	g->mult = g->cout / g->cin;
	g->block4 = w->encoding == VISION_MODEL_ENC_BLOCK4;

	cb = VIS_DW_WBUF / vis_dw_chan_bytes(g);
	if (cb < g->cout && cb >= 16)
		cb &= ~(u64)15;
	g->cb = (u32)clamp_t(u64, cb, 1, g->cout);
	if (g->mult > 1)
		g->np = 1;
	else
		g->np = (u32)clamp_t(u64, VIS_DW_TAPBUF / ((u64)g->taps * 8), 1,
				     g->ow);
}

static void vis_dw_layout(const struct vis_dw_geom *g, struct vis_dw_scratch *s)
{
	u64 cb = g->cb, off = 0;

	s->w = off;
	off += ALIGN(cb * g->taps * 4, VIS_DW_SALIGN);
	s->bias = off;
	off += ALIGN(cb * 4, VIS_DW_SALIGN);
	s->mult = off;
	off += ALIGN(cb * 4, VIS_DW_SALIGN);
	s->shift = off;
	off += ALIGN(cb * 4, VIS_DW_SALIGN);
	s->zp = off;
	off += ALIGN(cb, VIS_DW_SALIGN);
	s->rep = off;
	if (g->mult > 1)
		off += ALIGN(cb * g->taps, VIS_DW_SALIGN);
	s->taps = off;
	off += ALIGN((u64)g->np * g->taps * sizeof(const s8 *), VIS_DW_SALIGN);
	s->size = off;
}

u64 vis_conv_dw_scratch(const struct vis_model *m,
			const struct vision_model_op *op)
{
	struct vis_dw_geom g;
	struct vis_dw_scratch s;

	vis_dw_geom(m, op, &g);
	vis_dw_layout(&g, &s);
	return s.size;
}

/* Per-run state. */
struct vis_dw_run {
	const struct vis_dw_geom *g;
	const struct vision_model_conv *p;
	const s8 *in;
	s8 *out;
	const s8 *wt; /* dense OHWI, or the BLOCK4 blob */
	const s32 *bias;
	const struct vision_model_requant *rq;
	s32 in_zp;
	s32 *w, *fbias, *mult, *shift;
	s8 *zp, *rep;
	const s8 **taps;
};

/*
 * Output channels [c0, c0 + nc): the filter as [tap][channel] int32 (dense
 * or decoded from BLOCK4), the folded bias and the requant tables.
 */
static void vis_dw_prepare(const struct vis_dw_run *r, u32 c0, u32 nc)
{
	const struct vis_dw_geom *g = r->g;
	u32 taps = g->taps, j, t;

	if (g->block4) {
		const u32 *row_ptr = (const u32 *)r->wt;
		const u32 *col = row_ptr + g->cout + 1;
		const s8 *val = (const s8 *)(col + row_ptr[g->cout]);

		memset(r->w, 0, (size_t)taps * nc * sizeof(s32));
		for (j = 0; j < nc; j++) {
			u32 b, i;

			for (b = row_ptr[c0 + j]; b < row_ptr[c0 + j + 1]; b++)
				for (i = 0; i < 4; i++) {
					/* check(): padding lanes are zero. */
					t = col[b] * 4 + i;
					if (t < taps)
						r->w[(size_t)t * nc + j] =
							val[(size_t)b * 4 + i];
				}
		}
	} else {
		for (j = 0; j < nc; j++) {
			const s8 *src = r->wt + (size_t)(c0 + j) * taps;

			for (t = 0; t < taps; t++)
				r->w[(size_t)t * nc + j] = src[t];
		}
	}
	for (j = 0; j < nc; j++) {
		s64 sum = 0;

		for (t = 0; t < taps; t++)
			sum += r->w[(size_t)t * nc + j];
		r->fbias[j] = (s32)(r->bias[c0 + j] - r->in_zp * sum);
		r->mult[j] = r->rq[c0 + j].multiplier;
		r->shift[j] = r->rq[c0 + j].shift;
	}
	memset(r->zp, (s8)r->in_zp, nc);
}

/*
 * The indirection table of @np pixels from (oy, ox) of image @img: the
 * first input channel of each tap, or the zero-point row when padded.
 */
static void vis_dw_taps(const struct vis_dw_run *r, const s8 *img, u32 oy,
			u32 ox, u32 np, u32 ci0)
{
	const struct vis_dw_geom *g = r->g;
	const struct vision_model_conv *p = r->p;
	/* Parameters are <= 2^16, coordinates < 2^16: s64 is exact. */
	s64 iy0 = (s64)oy * p->stride_h - p->pad_top;
	const s8 **tp = r->taps;
	u32 i, ky, kx;

	for (i = 0; i < np; i++) {
		s64 ix0 = (s64)(ox + i) * p->stride_w - p->pad_left;

		for (ky = 0; ky < g->kh; ky++) {
			s64 iy = iy0 + (s64)ky * p->dilation_h;
			const s8 *row;

			if (iy < 0 || iy >= g->h) {
				for (kx = 0; kx < g->kw; kx++)
					*tp++ = r->zp;
				continue;
			}
			row = img + (size_t)iy * g->w * g->cin + ci0;
			for (kx = 0; kx < g->kw; kx++) {
				s64 ix = ix0 + (s64)kx * p->dilation_w;

				*tp++ = ix >= 0 && ix < g->w ?
						row + (size_t)ix * g->cin :
						r->zp;
			}
		}
	}
}

/*
 * Multiplier > 1, one pixel: replicate each tap's input values to output
 * channels [c0, c0 + nc) and point the taps at the copies.
 */
static void vis_dw_replicate(const struct vis_dw_run *r, u32 c0, u32 nc)
{
	const struct vis_dw_geom *g = r->g;
	u32 t, j;

	for (t = 0; t < g->taps; t++) {
		const s8 *src = r->taps[t];
		s8 *d = r->rep + (size_t)t * nc;
		u32 ci = c0 / g->mult, m = c0 % g->mult;

		if (src == r->zp) {
			memset(d, (s8)r->in_zp, nc);
		} else {
			/* The taps point at input channel c0 / mult. */
			src -= ci;
			for (j = 0; j < nc; j++) {
				d[j] = src[ci];
				if (++m == g->mult) {
					m = 0;
					ci++;
				}
			}
		}
		r->taps[t] = d;
	}
}

void vis_conv_dw_run(const struct vis_exec *x, const struct vision_model_op *op,
		     u32 begin, u32 end)
{
	const struct vis_model *m = x->model;
	const struct vision_model_conv *p = &op->params.conv;
	struct vis_dw_geom g;
	struct vis_dw_scratch s;
	struct vis_dw_run r = {
		.g = &g,
		.p = p,
		.in = vis_tensor_data(x, op->inputs[0]),
		.out = vis_tensor_out(x, op->output),
		.wt = vis_tensor_data(x, op->inputs[1]),
		.bias = vis_tensor_data(x, op->inputs[2]),
		.rq = (const struct vision_model_requant *)(m->consts +
							    p->requant),
		.in_zp = vis_tensor(m, op->inputs[0])->zero_point,
	};
	struct vis_dw_args a = {
		.out_zp = vis_tensor(m, op->output)->zero_point,
		.act_min = p->act_min,
		.act_max = p->act_max,
	};
	u32 c0, u, ox;

	vis_dw_geom(m, op, &g);
	vis_dw_layout(&g, &s);
	r.w = (s32 *)(x->scratch + s.w);
	r.fbias = (s32 *)(x->scratch + s.bias);
	r.mult = (s32 *)(x->scratch + s.mult);
	r.shift = (s32 *)(x->scratch + s.shift);
	r.zp = (s8 *)(x->scratch + s.zp);
	r.rep = (s8 *)(x->scratch + s.rep);
	r.taps = (const s8 **)(x->scratch + s.taps);
	a.taps = r.taps;
	a.ntaps = g.taps;
	a.w = r.w;
	a.bias = r.fbias;
	a.mult = r.mult;
	a.shift = r.shift;
	a.out_stride = g.cout;

	for (c0 = 0; c0 < g.cout; c0 += g.cb) {
		u32 nc = min_t(u32, g.cb, g.cout - c0);

		vis_dw_prepare(&r, c0, nc);
		a.c = nc;
		for (u = begin; u < end; u++) {
			u32 n = u / g.oh, oy = u % g.oh;
			const s8 *img = r.in + (size_t)n * g.h * g.w * g.cin;
			s8 *orow = r.out + (size_t)u * g.ow * g.cout + c0;

			for (ox = 0; ox < g.ow; ox += a.npix) {
				a.npix = min_t(u32, g.np, g.ow - ox);
				vis_dw_taps(&r, img, oy, ox, a.npix,
					    c0 / g.mult);
				if (g.mult > 1)
					vis_dw_replicate(&r, c0, nc);
				a.out = orow + (size_t)ox * g.cout;
				x->k->dw_conv(&a);
			}
		}
	}
}
