// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: BLOCK4 convolution and fully connected
 *
 * Convolution with BLOCK4 weights is vectorized across output pixels: the
 * receptive fields of a tile of up to %VIS_BLOCK4_TILE consecutive output
 * pixels (the flattened pixels of the unit range, so a tile may span
 * output rows) are gathered and packed block-interleaved in scratch, the
 * 4 values of reduction block kb of pixel p at (kb * %VIS_BLOCK4_TILE + p)
 * * 4, and the kernel table's block4_tile() multiplies each stored weight
 * block with the contiguous vector of that block's values for every pixel
 * of the tile: no gathers, the full vector width, work proportional to the
 * stored blocks. Padded taps are packed as in_zp and block4_tile() takes
 * the zero point out of every product, so the bias is added unchanged; the
 * sums come out pixel-major, ready for the table's requant_s8(). Tiles of
 * at most 8 pixels (the last of a short row) are packed 8 lanes wide,
 * which halves their cost on the tables that exploit it.
 *
 * A table with block4_tile32() gets tiles of up to %VIS_BLOCK4_TILE32
 * pixels instead, 8, 16 or 32 lanes wide (vis_block4_lanes32()), biased
 * to unsigned when packed (XOR 0x80) so its kernel has nothing to do per
 * block but multiply.
 *
 * Fully connected layers have one "pixel" per batch row, usually one.
 * With block4_tile32() the batch rows are packed as the pixels of such a
 * tile, so FC runs the same kernel and each weight row is read once per
 * %VIS_BLOCK4_TILE32 batch rows. Otherwise they keep the row-oriented
 * dot_block4(): a weight row is read once per four batch rows, and the
 * input zero point is folded into the bias with the weight sums computed
 * by the same call, as the product with a ones row appended to the batch
 * rows when there is room.
 */

#include "vis_op_conv_sparse.h"
#include "vis_op_im2col.h"
#include "vis_quant.h"

/* Weight rows per block4_tile() call; bounds the accumulator scratch. */
#define VIS_SPARSE_ROWS 64
/*
 * Most tile blocks per block4_tile() call (40 KiB of packed patches); a
 * longer tile is cut into equal slices, fewer calls beating L1 residency.
 */
#define VIS_SPARSE_KC 640
/* The same for 32-lane tiles (48 KiB): each slice costs every row a setup. */
#define VIS_SPARSE_KC32 384
/* FC: batch rows per dot_block4() call (one to four), channels per unit. */
#define VIS_SPARSE_FC_PIX 4
#define VIS_SPARSE_SALIGN 64

/* The BLOCK4 tables of weight tensor @id with @rows rows. */
struct vis_sparse_w {
	const u32 *row_ptr;
	const u32 *col;
	const s8 *val;
};

static void vis_sparse_w(const struct vis_exec *x, u32 id, u32 rows,
			 struct vis_sparse_w *w)
{
	w->row_ptr = vis_tensor_data(x, id);
	w->col = w->row_ptr + rows + 1;
	w->val = (const s8 *)(w->col + w->row_ptr[rows]);
}

/*
 * Rows [@co0, @co0 + @nr) of weights @w times the biased tile @tile of
 * @np pixels and @kb blocks with the table's block4_tile32(), the sums
 * added to @acc (pixel-major, @nr a pixel): the tile is walked in slices
 * that stay in L1 while every row reads them in turn, about 40 KiB (48
 * for 32 lanes, where each slice costs every row a setup).
 */
static void vis_sparse_tile32(const struct vis_kernels *k,
			      const struct vis_sparse_w *w, const s8 *tile,
			      u32 np, u32 kb, s32 zp, u32 co0, u32 nr, u32 *pos,
			      s32 *acc, s32 *tmp)
{
	u32 lanes = vis_block4_lanes32(np), kend = 0, kc;

	kc = lanes == VIS_BLOCK4_TILE32 ?
		     VIS_SPARSE_KC32 :
		     VIS_SPARSE_KC * VIS_BLOCK4_TILE / lanes;
	kc = DIV_ROUND_UP(kb, DIV_ROUND_UP(kb, kc));
	memcpy(pos, w->row_ptr + co0, (size_t)nr * sizeof(u32));
	do {
		kend = min_t(u32, kend + kc, kb);
		k->block4_tile32(tile, np, zp, pos, w->row_ptr + co0 + 1, kend,
				 nr, w->col, w->val, acc, nr, tmp);
	} while (kend < kb);
}

/* ---- CONV_2D ------------------------------------------------------- */

struct vis_sparse_conv {
	const struct vision_model_conv *p;
	u32 n, h, w, cin;
	u32 oh, ow, cout;
	u32 kh, kw;
	u32 groups, cgi, cgo;
	u32 k, kb; /* K, and its blocks of 4 */
	bool direct; /* 1x1, unpadded, ungrouped, K a multiple of 4 */
};

static void vis_sparse_conv_geom(const struct vis_model *m,
				 const struct vision_model_op *op,
				 struct vis_sparse_conv *g)
{
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *w = vis_tensor(m, op->inputs[1]);
	const struct vision_model_tensor *out = vis_tensor(m, op->output);

	g->p = &op->params.conv;
	g->n = in->shape[0];
	g->h = in->shape[1];
	g->w = in->shape[2];
	g->cin = in->shape[3];
	g->oh = out->shape[1];
	g->ow = out->shape[2];
	g->cout = out->shape[3];
	g->kh = w->shape[1];
	g->kw = w->shape[2];
	g->groups = g->p->groups;
	g->cgi = w->shape[3];
	g->cgo = g->cout / g->groups;
	g->k = g->kh * g->kw * g->cgi;
	g->kb = DIV_ROUND_UP(g->k, 4);
	g->direct = g->kh == 1 && g->kw == 1 && !g->p->pad_top &&
		    !g->p->pad_left && !g->p->pad_bottom && !g->p->pad_right &&
		    g->groups == 1 && g->k % 4 == 0;
}

/* Scratch layout; both scratch() and run() derive it from here. */
struct vis_sparse_conv_scratch {
	u64 acc; /* s32[TILE * ROWS], pixel-major */
	u64 pos; /* u32[ROWS] block4_tile() cursors */
	u64 tile; /* s8[kb * lanes * 4] packed patches */
	u64 patch; /* s8[kb * 4] one gathered patch */
	u64 tmp; /* s32[16 * TILE32] for block4_tile32() */
	u64 mult; /* s32[cout] multipliers, for requant_px() */
	u64 shift; /* s32[cout] their shifts */
	u64 size;
};

static void vis_sparse_conv_layout(const struct vis_sparse_conv *g,
				   struct vis_sparse_conv_scratch *s)
{
	u64 off = 0;

	s->acc = off;
	off += VIS_SPARSE_ROWS * VIS_BLOCK4_TILE32 * 4;
	s->pos = off;
	off += VIS_SPARSE_ROWS * 4;
	s->tile = off;
	off += ALIGN((u64)g->kb * VIS_BLOCK4_TILE32 * 4, VIS_SPARSE_SALIGN);
	s->patch = off;
	off += ALIGN((u64)VIS_BLOCK4_TILE32 * g->kb * 4, VIS_SPARSE_SALIGN);
	s->tmp = off;
	off += 16 * VIS_BLOCK4_TILE32 * 4;
	s->mult = off;
	off += ALIGN((u64)g->cout * 4, VIS_SPARSE_SALIGN);
	s->shift = off;
	off += ALIGN((u64)g->cout * 4, VIS_SPARSE_SALIGN);
	s->size = off;
}

u64 vis_sparse_conv_scratch(const struct vis_model *m,
			    const struct vision_model_op *op)
{
	struct vis_sparse_conv g;
	struct vis_sparse_conv_scratch s;

	vis_sparse_conv_geom(m, op, &g);
	vis_sparse_conv_layout(&g, &s);
	return s.size;
}

/* The patch of output pixel (oy, ox), zero-padded to 4 * kb. */
static void vis_sparse_gather(const struct vis_sparse_conv *g, s8 *dst,
			      const s8 *img, u32 oy, u32 ox, u32 ci0, s8 zp)
{
	const struct vis_im2col im = {
		.p = g->p,
		.h = g->h,
		.w = g->w,
		.cin = g->cin,
		.kh = g->kh,
		.kw = g->kw,
		.cgi = g->cgi,
	};

	vis_im2col_patch(&im, dst, img, oy, ox, ci0, zp, g->kb * 4);
}

/*
 * Pack pixels [pix, pix + np) of group @grp into a tile of @lanes lanes,
 * each group of four values XOR @flip, with the table's block4_pack(): the
 * patches are gathered first, one after the other in @patch.
 */
static void vis_sparse_pack(const struct vis_kernels *k,
			    const struct vis_sparse_conv *g, s8 *tile,
			    s8 *patch, const s8 *in, u64 pix, u32 np, u32 grp,
			    s8 zp, u32 lanes, u32 flip)
{
	const s8 *src[VIS_BLOCK4_TILE32];
	/* The first pixel's coordinates; the others' by stepping. */
	u32 ox = (u32)(pix % g->ow), u = (u32)(pix / g->ow);
	u32 n = u / g->oh, oy = u % g->oh, p;

	for (p = 0; p < np; p++) {
		const s8 *img = in + (size_t)n * g->h * g->w * g->cin;

		if (g->direct) {
			/* 1x1, unpadded, K = Cin: the input pixel itself. */
			src[p] = img + ((size_t)oy * g->p->stride_h * g->w +
					(size_t)ox * g->p->stride_w) *
					       g->cin;
		} else {
			s8 *d = patch + (size_t)p * g->kb * 4;

			vis_sparse_gather(g, d, img, oy, ox, grp * g->cgi, zp);
			src[p] = d;
		}
		if (++ox == g->ow) {
			ox = 0;
			if (++oy == g->oh) {
				oy = 0;
				n++;
			}
		}
	}
	k->block4_pack(src, np, g->kb, lanes, flip, tile);
}

/* Per-run state of a BLOCK4 convolution. */
struct vis_sparse_conv_run {
	const struct vis_kernels *k;
	struct vis_sparse_conv g;
	struct vis_sparse_w w;
	const s8 *in;
	const s32 *bias;
	s8 *out;
	const struct vision_model_requant *rq;
	s32 in_zp, out_zp, lo, hi;
	s32 *acc;
	s32 *mult, *shift, *tmp;
	s8 *tile, *patch;
	u32 *pos;
};

/*
 * Rows [@co0, @co0 + @nr) of the @np packed pixels from @pix: a long tile
 * is walked in slices of at most %VIS_SPARSE_KC blocks, so that the part
 * of it that every row reads in turn stays in L1.
 */
static void vis_sparse_conv_rows(const struct vis_sparse_conv_run *c, u64 pix,
				 u32 np, u32 co0, u32 nr)
{
	const struct vis_sparse_conv *g = &c->g;
	u32 kc = DIV_ROUND_UP(g->kb, DIV_ROUND_UP(g->kb, VIS_SPARSE_KC));
	u32 kend = 0, p;
	s8 *o;

	memset(c->acc, 0, (size_t)np * nr * sizeof(s32));
	if (c->k->block4_tile32) {
		vis_sparse_tile32(c->k, &c->w, c->tile, np, g->kb, c->in_zp,
				  co0, nr, c->pos, c->acc, c->tmp);
	} else {
		memcpy(c->pos, c->w.row_ptr + co0, (size_t)nr * sizeof(u32));
		while (kend < g->kb) {
			kend = min_t(u32, kend + kc, g->kb);
			c->k->block4_tile(c->tile, np, c->in_zp, c->pos,
					  c->w.row_ptr + co0 + 1, kend, nr,
					  c->w.col, c->w.val, c->acc, nr);
		}
	}

	if (c->k->requant_px) {
		c->k->requant_px(c->acc, np, nr, c->bias + co0, c->mult + co0,
				 c->shift + co0, nr, c->out_zp, c->lo, c->hi,
				 c->out + (size_t)pix * g->cout + co0, g->cout);
		return;
	}
	for (p = 0; p < np; p++) {
		o = c->out + (size_t)(pix + p) * g->cout + co0;
		c->k->requant_s8(c->acc + p * nr, c->bias + co0, c->rq + co0,
				 nr, c->out_zp, c->lo, c->hi, o);
	}
}

void vis_sparse_conv_run(const struct vis_exec *x,
			 const struct vision_model_op *op, u32 begin, u32 end)
{
	const struct vis_model *m = x->model;
	struct vis_sparse_conv_scratch s;
	struct vis_sparse_conv_run c = {
		.k = x->k,
		.in = vis_tensor_data(x, op->inputs[0]),
		.bias = vis_tensor_data(x, op->inputs[2]),
		.out = vis_tensor_out(x, op->output),
		.rq = (const struct vision_model_requant
			       *)(m->consts + op->params.conv.requant),
		.in_zp = vis_tensor(m, op->inputs[0])->zero_point,
		.out_zp = vis_tensor(m, op->output)->zero_point,
		.lo = op->params.conv.act_min,
		.hi = op->params.conv.act_max,
	};
	const struct vis_sparse_conv *g = &c.g;
	/* Pixels per tile: 32 where the table has a kernel for them. */
	u32 tile = x->k->block4_tile32 ? VIS_BLOCK4_TILE32 : VIS_BLOCK4_TILE;
	u32 np, grp, c0, nr;
	u64 pix, pix_end;

	vis_sparse_conv_geom(m, op, &c.g);
	vis_sparse_conv_layout(g, &s);
	vis_sparse_w(x, op->inputs[1], g->cout, &c.w);
	c.acc = (s32 *)(x->scratch + s.acc);
	c.pos = (u32 *)(x->scratch + s.pos);
	c.tile = (s8 *)(x->scratch + s.tile);
	c.patch = (s8 *)(x->scratch + s.patch);
	c.tmp = (s32 *)(x->scratch + s.tmp);
	c.mult = (s32 *)(x->scratch + s.mult);
	c.shift = (s32 *)(x->scratch + s.shift);
	for (c0 = 0; c0 < g->cout; c0++) {
		c.mult[c0] = c.rq[c0].multiplier;
		c.shift[c0] = c.rq[c0].shift;
	}

	pix_end = (u64)end * g->ow;
	for (pix = (u64)begin * g->ow; pix < pix_end; pix += np) {
		np = (u32)min_t(u64, tile, pix_end - pix);
		for (grp = 0; grp < g->groups; grp++) {
			if (x->k->block4_tile32)
				vis_sparse_pack(x->k, g, c.tile, c.patch, c.in,
						pix, np, grp, (s8)c.in_zp,
						vis_block4_lanes32(np),
						0x80808080u);
			else
				vis_sparse_pack(x->k, g, c.tile, c.patch, c.in,
						pix, np, grp, (s8)c.in_zp,
						vis_block4_lanes(np), 0);
			for (c0 = 0; c0 < g->cgo; c0 += nr) {
				nr = min_t(u32, VIS_SPARSE_ROWS, g->cgo - c0);
				vis_sparse_conv_rows(&c, pix, np,
						     grp * g->cgo + c0, nr);
			}
		}
	}
}

/* ---- FULLY_CONNECTED ----------------------------------------------- */

struct vis_sparse_fc {
	u32 n, k, kpad, cout;
};

static void vis_sparse_fc_geom(const struct vis_model *m,
			       const struct vision_model_op *op,
			       struct vis_sparse_fc *g)
{
	const struct vision_model_tensor *in = vis_tensor(m, op->inputs[0]);
	const struct vision_model_tensor *w = vis_tensor(m, op->inputs[1]);

	g->n = in->shape[0];
	g->k = w->shape[3];
	g->kpad = ALIGN(g->k, 4);
	g->cout = w->shape[0];
}

/*
 * Scratch layout: the first three for dot_block4(); with block4_tile32()
 * the batch rows are a conv's pixels, acc holds TILE32 of them and patch
 * TILE32 padded rows.
 */
struct vis_sparse_fc_scratch {
	u64 bias; /* s32[ROWS] folded bias */
	u64 acc; /* s32[TILE32 * ROWS] */
	u64 patch; /* s8[TILE32 * kpad]: padded input rows and the ones row */
	u64 pos; /* u32[ROWS] block4_tile32() cursors */
	u64 tmp; /* s32[16 * TILE32] for block4_tile32() */
	u64 tile; /* s8[kpad * TILE32] packed batch rows */
	u64 size;
};

static void vis_sparse_fc_layout(const struct vis_sparse_fc *g,
				 struct vis_sparse_fc_scratch *s)
{
	u64 off = 0;

	s->bias = off;
	off += VIS_SPARSE_ROWS * 4;
	s->acc = off;
	off += VIS_BLOCK4_TILE32 * VIS_SPARSE_ROWS * 4;
	s->patch = off;
	off += ALIGN((u64)VIS_BLOCK4_TILE32 * g->kpad, VIS_SPARSE_SALIGN);
	s->pos = off;
	off += VIS_SPARSE_ROWS * 4;
	s->tmp = off;
	off += 16 * VIS_BLOCK4_TILE32 * 4;
	s->tile = off;
	off += ALIGN((u64)g->kpad * VIS_BLOCK4_TILE32, VIS_SPARSE_SALIGN);
	s->size = off;
}

u64 vis_sparse_fc_scratch(const struct vis_model *m,
			  const struct vision_model_op *op)
{
	struct vis_sparse_fc g;
	struct vis_sparse_fc_scratch s;

	vis_sparse_fc_geom(m, op, &g);
	vis_sparse_fc_layout(&g, &s);
	return s.size;
}

/* acc[p * nr + r] = patch p . weight row co0 + r, for @np patches. */
static void vis_sparse_fc_mul(const struct vis_exec *x,
			      const struct vis_sparse_fc *g,
			      const struct vis_sparse_w *w, s32 *acc,
			      const s8 *a, u32 np, u32 co0, u32 nr)
{
	s32 t[VIS_SPARSE_FC_PIX];
	u32 r, p;

	for (r = 0; r < nr; r++) {
		u32 b = w->row_ptr[co0 + r];

		x->k->dot_block4(a, np, g->kpad, w->col + b,
				 w->val + (size_t)b * 4,
				 w->row_ptr[co0 + r + 1] - b, t);
		for (p = 0; p < np; p++)
			acc[p * nr + r] = t[p];
	}
}

/* Copy batch row @src into @dst with K padded to Kpad (or write ones). */
static void vis_sparse_fc_row(const struct vis_sparse_fc *g, s8 *dst,
			      const s8 *src)
{
	if (src)
		memcpy(dst, src, g->k);
	else
		memset(dst, 1, g->k);
	memset(dst + g->k, 0, g->kpad - g->k);
}

/*
 * With block4_tile32(): up to %VIS_BLOCK4_TILE32 batch rows at a time are
 * packed as the pixels of a biased tile, so FC runs the conv kernel (the
 * input zero point comes out in there), each row read once per tile.
 */
static void vis_sparse_fc_tiles(const struct vis_exec *x,
				const struct vision_model_op *op,
				const struct vis_sparse_fc *g,
				const struct vis_sparse_fc_scratch *s,
				const struct vis_sparse_w *w, u32 co0, u32 co1)
{
	const struct vis_model *m = x->model;
	const struct vision_model_conv *prm = &op->params.conv;
	const s8 *in = vis_tensor_data(x, op->inputs[0]);
	const s32 *bias = vis_tensor_data(x, op->inputs[2]);
	s8 *out = vis_tensor_out(x, op->output);
	const struct vision_model_requant *rq =
		(const struct vision_model_requant *)(m->consts + prm->requant);
	s32 in_zp = vis_tensor(m, op->inputs[0])->zero_point;
	s32 out_zp = vis_tensor(m, op->output)->zero_point;
	s32 *acc = (s32 *)(x->scratch + s->acc);
	s32 *tmp = (s32 *)(x->scratch + s->tmp);
	u32 *pos = (u32 *)(x->scratch + s->pos);
	s8 *patch = (s8 *)(x->scratch + s->patch);
	s8 *tile = (s8 *)(x->scratch + s->tile);
	const s8 *src[VIS_BLOCK4_TILE32];
	u32 n0, np, p, c0, nr;

	for (n0 = 0; n0 < g->n; n0 += np) {
		np = min_t(u32, VIS_BLOCK4_TILE32, g->n - n0);
		for (p = 0; p < np; p++) {
			const s8 *row = in + (size_t)(n0 + p) * g->k;
			s8 *d = patch + (size_t)p * g->kpad;

			/* block4_pack() reads whole blocks. */
			if (g->k != g->kpad)
				vis_sparse_fc_row(g, d, row);
			src[p] = g->k != g->kpad ? d : row;
		}
		x->k->block4_pack(src, np, g->kpad / 4, vis_block4_lanes32(np),
				  0x80808080u, tile);
		for (c0 = co0; c0 < co1; c0 += nr) {
			nr = min_t(u32, VIS_SPARSE_ROWS, co1 - c0);
			memset(acc, 0, (size_t)np * nr * sizeof(s32));
			vis_sparse_tile32(x->k, w, tile, np, g->kpad / 4, in_zp,
					  c0, nr, pos, acc, tmp);
			for (p = 0; p < np; p++) {
				s8 *o = out + (size_t)(n0 + p) * g->cout + c0;

				x->k->requant_s8(acc + p * nr, bias + c0,
						 rq + c0, nr, out_zp,
						 prm->act_min, prm->act_max, o);
			}
		}
	}
}

void vis_sparse_fc_run(const struct vis_exec *x,
		       const struct vision_model_op *op, u32 co0, u32 co1)
{
	const struct vis_model *m = x->model;
	const struct vision_model_conv *prm = &op->params.conv;
	const s8 *in = vis_tensor_data(x, op->inputs[0]);
	const s32 *bias = vis_tensor_data(x, op->inputs[2]);
	s8 *out = vis_tensor_out(x, op->output);
	const struct vision_model_requant *rq =
		(const struct vision_model_requant *)(m->consts + prm->requant);
	s32 in_zp = vis_tensor(m, op->inputs[0])->zero_point;
	s32 out_zp = vis_tensor(m, op->output)->zero_point;
	struct vis_sparse_fc_scratch s;
	struct vis_sparse_fc g;
	struct vis_sparse_w w;
	u32 n0, np, p, r, nr;
	s32 *fbias, *acc;
	s8 *patch, *d;

	vis_sparse_fc_geom(m, op, &g);
	vis_sparse_fc_layout(&g, &s);
	vis_sparse_w(x, op->inputs[1], g.cout, &w);
	fbias = (s32 *)(x->scratch + s.bias);
	acc = (s32 *)(x->scratch + s.acc);
	patch = (s8 *)(x->scratch + s.patch);
	co1 = min_t(u32, co1, g.cout);
	if (x->k->block4_tile32) {
		vis_sparse_fc_tiles(x, op, &g, &s, &w, co0, co1);
		return;
	}

	for (; co0 < co1; co0 += nr) {
		/* One call for the batch and the weight sums, if they fit. */
		bool fused = in_zp && g.n < VIS_SPARSE_FC_PIX;

		nr = min_t(u32, VIS_SPARSE_ROWS, co1 - co0);
		memcpy(fbias, bias + co0, (size_t)nr * sizeof(s32));
		if (in_zp && !fused) {
			vis_sparse_fc_row(&g, patch, NULL);
			vis_sparse_fc_mul(x, &g, &w, acc, patch, 1, co0, nr);
			for (r = 0; r < nr; r++)
				fbias[r] -= in_zp * acc[r];
		}
		for (n0 = 0; n0 < g.n; n0 += np) {
			const s8 *a;

			np = min_t(u32, VIS_SPARSE_FC_PIX, g.n - n0);
			a = in + (size_t)n0 * g.k;
			if (g.k != g.kpad || fused) {
				for (p = 0; p < np; p++)
					vis_sparse_fc_row(&g,
							  patch + p * g.kpad,
							  a + p * g.k);
				a = patch;
			}
			if (fused) {
				d = patch + (size_t)np * g.kpad;
				vis_sparse_fc_row(&g, d, NULL);
				vis_sparse_fc_mul(x, &g, &w, acc, a, np + 1,
						  co0, nr);
				for (r = 0; r < nr; r++)
					fbias[r] -= in_zp * acc[np * nr + r];
			} else {
				vis_sparse_fc_mul(x, &g, &w, acc, a, np, co0,
						  nr);
			}
			for (p = 0; p < np; p++) {
				s8 *o = out + (size_t)(n0 + p) * g.cout + co0;

				x->k->requant_s8(acc + p * nr, fbias, rq + co0,
						 nr, out_zp, prm->act_min,
						 prm->act_max, o);
			}
		}
	}
}
