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
 * the filter is very large), the filter is laid out in scratch as int8
 * [tap][channel], and the bias gets -in_zp * sum(w) folded in (one pass
 * over the filter). The input zero point then needs no subtraction in the
 * inner loop: padded taps point at a row of in_zp values, whose products
 * cancel the fold exactly. An indirection table gives the kernel one
 * pointer per (pixel, tap), so any kernel size, stride, dilation and
 * padding take the same path; output pixels are contiguous in NHWC, so one
 * dw_conv() call takes pixels of several rows (small images in one call).
 * A long run of a row's pixels none of whose taps is padded (the interior
 * of a wide image) goes as one call with the taps of its first pixel and a
 * step instead, which saves building and reading the table where the
 * channels are few. With a channel multiplier above one, the input values
 * of each tap are first replicated per output channel, one pixel a call.
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
/*
 * Shortest run of unpadded output pixels of a row given to dw_conv() as
 * one call without a table: shorter runs are cheaper spanning rows.
 */
#define VIS_DW_RUN_MIN 32
/* Scratch regions start on cache-line boundaries. */
#define VIS_DW_SALIGN 64

struct vis_dw_geom {
	u32 h, w, cin;
	u32 oh, ow, cout;
	u32 kh, kw, taps, mult;
	u32 cb; /* output channels per range */
	u32 np; /* output pixels per dw_conv() call with a table */
	/* Columns [ox_lo, ox_hi) have no padded tap; runs if long enough. */
	u32 ox_lo, ox_hi;
	bool block4;
};

/* Scratch layout; both scratch() and run() derive it from here. */
struct vis_dw_scratch {
	u64 w; /* s8[taps * cb] */
	u64 bias; /* s32[cb] */
	u64 mult; /* s32[cb] */
	u64 shift; /* s32[cb] */
	u64 zp; /* s8[cb]: in_zp, what padded taps read */
	u64 rep; /* s8[taps * cb]: replicated input, multiplier > 1 */
	u64 taps; /* const s8 *[np * taps] */
	u64 toff; /* size_t[taps]: tap offsets of an interior pixel */
	u64 tmp; /* VIS_DW_TMP bytes for dw_conv() */
	u64 size;
};

/* Scratch bytes per output channel of a range. */
static u64 vis_dw_chan_bytes(const struct vis_dw_geom *g)
{
	return (u64)g->taps + 13 + (g->mult > 1 ? g->taps : 0);
}

static void vis_dw_geom(const struct vis_model *m,
			const struct vision_model_op *op, struct vis_dw_geom *g)
{
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *w = vis_tensor(m, op->inputs[1]);
	const struct vision_model_tensor *out = vis_tensor(m, op->output);
	const struct vision_model_conv *p = &op->params.conv;
	s64 lo, hi;
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
				     (u64)out->shape[0] * g->oh * g->ow);
	/* Parameters are <= 2^16: s64 is exact. */
	lo = DIV_ROUND_UP((s64)p->pad_left, (s64)p->stride_w);
	hi = (s64)g->w - 1 + p->pad_left - (s64)(g->kw - 1) * p->dilation_w;
	hi = hi < 0 ? 0 : hi / p->stride_w + 1;
	hi = min_t(s64, hi, g->ow);
	g->ox_lo = (u32)lo;
	g->ox_hi = (u32)hi;
	if (g->mult > 1 || hi - lo < VIS_DW_RUN_MIN)
		g->ox_hi = 0; /* no runs */
}

static void vis_dw_layout(const struct vis_dw_geom *g, struct vis_dw_scratch *s)
{
	u64 cb = g->cb, off = 0;

	s->w = off;
	off += ALIGN(cb * g->taps, VIS_DW_SALIGN);
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
	s->toff = off;
	off += ALIGN((u64)g->taps * sizeof(size_t), VIS_DW_SALIGN);
	s->tmp = off;
	off += VIS_DW_TMP;
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
	s32 *fbias, *mult, *shift;
	s8 *w, *zp, *rep;
	const s8 **taps;
	size_t *toff;
};

/*
 * Output channels [c0, c0 + nc): the filter as [tap][channel] int8 (dense
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

		memset(r->w, 0, (size_t)taps * nc);
		for (j = 0; j < nc; j++) {
			s64 sum = 0;
			u32 b, i;

			for (b = row_ptr[c0 + j]; b < row_ptr[c0 + j + 1]; b++)
				for (i = 0; i < 4; i++) {
					s8 v = val[(size_t)b * 4 + i];

					/* check(): padding lanes are zero. */
					t = col[b] * 4 + i;
					if (t < taps)
						r->w[(size_t)t * nc + j] = v;
					sum += v;
				}
			r->fbias[j] = (s32)(r->bias[c0 + j] - r->in_zp * sum);
		}
	} else {
		/* One pass: the filter transposed and summed together. */
		for (j = 0; j < nc; j++) {
			const s8 *src = r->wt + (size_t)(c0 + j) * taps;
			s8 *dst = r->w + j;
			s64 sum = 0;

			for (t = 0; t < taps; t++, dst += nc) {
				*dst = src[t];
				sum += src[t];
			}
			r->fbias[j] = (s32)(r->bias[c0 + j] - r->in_zp * sum);
		}
	}
	for (j = 0; j < nc; j++) {
		r->mult[j] = r->rq[c0 + j].multiplier;
		r->shift[j] = r->rq[c0 + j].shift;
	}
	memset(r->zp, (s8)r->in_zp, nc);
}

/*
 * The indirection table of @np output pixels from pixel @pix (counted
 * over images, rows and columns): the first input channel @ci0 of each
 * tap, or the zero-point row when padded.
 */
static void vis_dw_taps(const struct vis_dw_run *r, u64 pix, u32 np, u32 ci0)
{
	const struct vis_dw_geom *g = r->g;
	const struct vision_model_conv *p = r->p;
	size_t xstep = (size_t)p->dilation_w * g->cin;
	u64 u = pix / g->ow;
	u32 ox = (u32)(pix % g->ow), i, ky, kx, t;
	s64 iyn = (s64)(g->kh - 1) * p->dilation_h;
	const s8 **tp = r->taps;
	const s8 *img = NULL;
	bool vin = false;
	s64 iy0 = 0;

	for (i = 0; i < np; i++, ox++) {
		/* Parameters are <= 2^16, coordinates < 2^16: s64 is exact. */
		s64 ix0, ixn;

		if (ox == g->ow) {
			ox = 0;
			u++;
		}
		if (i == 0 || ox == 0) {
			img = r->in +
			      (size_t)(u / g->oh) * g->h * g->w * g->cin + ci0;
			iy0 = (s64)(u % g->oh) * p->stride_h - p->pad_top;
			vin = iy0 >= 0 && iy0 + iyn < g->h;
		}
		ix0 = (s64)ox * p->stride_w - p->pad_left;
		ixn = ix0 + (s64)(g->kw - 1) * p->dilation_w;
		if (vin && ix0 >= 0 && ixn < g->w) {
			/* Every tap inside: the common case. */
			const s8 *base =
				img + ((size_t)iy0 * g->w + ix0) * g->cin;

			for (t = 0; t < g->taps; t++)
				*tp++ = base + r->toff[t];
			continue;
		}
		for (ky = 0; ky < g->kh; ky++) {
			s64 iy = iy0 + (s64)ky * p->dilation_h;
			const s8 *row;

			if (iy < 0 || iy >= g->h) {
				for (kx = 0; kx < g->kw; kx++)
					*tp++ = r->zp;
				continue;
			}
			row = img + (size_t)iy * g->w * g->cin;
			if (ix0 >= 0 && ixn < g->w) {
				/* All columns inside: the common case. */
				row += (size_t)ix0 * g->cin;
				for (kx = 0; kx < g->kw; kx++, row += xstep)
					*tp++ = row;
				continue;
			}
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
 * The output pixels of the next dw_conv() call from @pix, before @pend: a
 * run of a row's unpadded pixels, which needs the taps of its first pixel
 * only (@step set), or else up to np pixels with a table (@step 0) that
 * stops where the next such run begins.
 */
static u32 vis_dw_next(const struct vis_dw_run *r, u64 pix, u64 pend,
		       size_t *step)
{
	const struct vis_dw_geom *g = r->g;
	const struct vision_model_conv *p = r->p;
	u64 n = min_t(u64, g->np, pend - pix);
	u32 ox = (u32)(pix % g->ow);
	s64 iy0;

	*step = 0;
	if (!g->ox_hi)
		return (u32)n;
	iy0 = (s64)(pix / g->ow % g->oh) * p->stride_h - p->pad_top;
	if (iy0 >= 0 && iy0 + (s64)(g->kh - 1) * p->dilation_h < g->h) {
		if (ox >= g->ox_lo && ox < g->ox_hi) {
			*step = (size_t)p->stride_w * g->cin;
			return (u32)min_t(u64, g->ox_hi - ox, pend - pix);
		}
		if (ox < g->ox_lo)
			return (u32)min_t(u64, n, g->ox_lo - ox);
	}
	/* Up to where the next row's run would begin. */
	return (u32)min_t(u64, n, (u64)g->ow - ox + g->ox_lo);
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
	u64 pix, pend;
	u32 c0, u;

	vis_dw_geom(m, op, &g);
	vis_dw_layout(&g, &s);
	r.w = (s8 *)(x->scratch + s.w);
	r.fbias = (s32 *)(x->scratch + s.bias);
	r.mult = (s32 *)(x->scratch + s.mult);
	r.shift = (s32 *)(x->scratch + s.shift);
	r.zp = (s8 *)(x->scratch + s.zp);
	r.rep = (s8 *)(x->scratch + s.rep);
	r.taps = (const s8 **)(x->scratch + s.taps);
	r.toff = (size_t *)(x->scratch + s.toff);
	for (u = 0; u < g.taps; u++)
		r.toff[u] = ((size_t)(u / g.kw) * p->dilation_h * g.w +
			     (size_t)(u % g.kw) * p->dilation_w) *
			    g.cin;
	a.taps = r.taps;
	a.ntaps = g.taps;
	a.w = r.w;
	a.bias = r.fbias;
	a.mult = r.mult;
	a.shift = r.shift;
	a.out_stride = g.cout;
	a.tmp = x->scratch + s.tmp;

	for (c0 = 0; c0 < g.cout; c0 += g.cb) {
		u32 nc = min_t(u32, g.cb, g.cout - c0);

		vis_dw_prepare(&r, c0, nc);
		a.c = nc;
		/* Output pixels are contiguous: table calls span rows. */
		pend = (u64)end * g.ow;
		for (pix = (u64)begin * g.ow; pix < pend; pix += a.npix) {
			a.npix = vis_dw_next(&r, pix, pend, &a.tap_step);
			vis_dw_taps(&r, pix, a.tap_step ? 1 : a.npix,
				    c0 / g.mult);
			if (g.mult > 1)
				vis_dw_replicate(&r, c0, nc);
			a.out = r.out + (size_t)pix * g.cout + c0;
			x->k->dw_conv(&a);
		}
	}
}
