// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: input stage
 *
 * The "DSP" of the virtual NPU: turns a camera frame, in place in its
 * buffer (a dma-buf in the kernel), into the model's int8 input tensor.
 * Per output pixel it samples the source pixels it needs inside the crop
 * rectangle, converts them to RGB (or luma), interpolates (nearest or
 * bilinear, fixed point), normalises and quantises per channel. There is
 * no intermediate frame: every output row is independent, so callers can
 * split the rows over threads or chunks.
 *
 * All arithmetic is integer and is specified exactly, so that an
 * independent implementation matches bit for bit, in
 * Documentation/input-stage.rst.
 */

#include "vis_ops.h"
#include "vis_input.h"

/* V4L2 fourcc codes, spelled out: kernel and libc headers differ. */
#define VIS_FOURCC(a, b, c, d)                                       \
	((u32)(u8)(a) | ((u32)(u8)(b) << 8) | ((u32)(u8)(c) << 16) | \
	 ((u32)(u8)(d) << 24))

enum vis_in_kind {
	VIS_IN_RGB, /* packed RGB, 3 or 4 bytes per pixel */
	VIS_IN_YUV422, /* packed 4:2:2, 4 bytes per pair of pixels */
	VIS_IN_NV, /* Y plane and interleaved CbCr plane, 4:2:0 */
	VIS_IN_GREY, /* 8-bit full-range luma */
};

/*
 * One pixel format. @off: RGB: byte of R, G and B within a pixel;
 * YUV422: byte of the first pixel's Y, of U and of V within a pair;
 * NV: unused, byte of U and byte of V within a CbCr pair.
 */
struct vis_in_fmt {
	u32 fourcc;
	u8 kind;
	u8 bpp;
	u8 off[3];
};

static const struct vis_in_fmt vis_in_fmts[] = {
	/* 'RGB3' RGB24: R G B */
	{ VIS_FOURCC('R', 'G', 'B', '3'), VIS_IN_RGB, 3, { 0, 1, 2 } },
	/* 'BGR3' BGR24: B G R */
	{ VIS_FOURCC('B', 'G', 'R', '3'), VIS_IN_RGB, 3, { 2, 1, 0 } },
	/* 'RGB4' RGB32 (deprecated): A/X R G B */
	{ VIS_FOURCC('R', 'G', 'B', '4'), VIS_IN_RGB, 4, { 1, 2, 3 } },
	/* 'BGR4' BGR32 (deprecated): B G R A/X */
	{ VIS_FOURCC('B', 'G', 'R', '4'), VIS_IN_RGB, 4, { 2, 1, 0 } },
	/* 'BX24' XRGB32: X R G B; 'BA24' ARGB32: A R G B */
	{ VIS_FOURCC('B', 'X', '2', '4'), VIS_IN_RGB, 4, { 1, 2, 3 } },
	{ VIS_FOURCC('B', 'A', '2', '4'), VIS_IN_RGB, 4, { 1, 2, 3 } },
	/* 'XR24' XBGR32: B G R X; 'AR24' ABGR32: B G R A */
	{ VIS_FOURCC('X', 'R', '2', '4'), VIS_IN_RGB, 4, { 2, 1, 0 } },
	{ VIS_FOURCC('A', 'R', '2', '4'), VIS_IN_RGB, 4, { 2, 1, 0 } },
	/* 'XB24' RGBX32: R G B X; 'AB24' RGBA32: R G B A */
	{ VIS_FOURCC('X', 'B', '2', '4'), VIS_IN_RGB, 4, { 0, 1, 2 } },
	{ VIS_FOURCC('A', 'B', '2', '4'), VIS_IN_RGB, 4, { 0, 1, 2 } },
	/* 'RX24' BGRX32: X B G R; 'RA24' BGRA32: A B G R */
	{ VIS_FOURCC('R', 'X', '2', '4'), VIS_IN_RGB, 4, { 3, 2, 1 } },
	{ VIS_FOURCC('R', 'A', '2', '4'), VIS_IN_RGB, 4, { 3, 2, 1 } },
	/* 4:2:2 pairs: Y0 U Y1 V, Y0 V Y1 U, U Y0 V Y1, V Y0 U Y1 */
	{ VIS_FOURCC('Y', 'U', 'Y', 'V'), VIS_IN_YUV422, 2, { 0, 1, 3 } },
	{ VIS_FOURCC('Y', 'V', 'Y', 'U'), VIS_IN_YUV422, 2, { 0, 3, 1 } },
	{ VIS_FOURCC('U', 'Y', 'V', 'Y'), VIS_IN_YUV422, 2, { 1, 0, 2 } },
	{ VIS_FOURCC('V', 'Y', 'U', 'Y'), VIS_IN_YUV422, 2, { 1, 2, 0 } },
	/* 4:2:0 semi-planar: CbCr pairs U V (NV12) or V U (NV21) */
	{ VIS_FOURCC('N', 'V', '1', '2'), VIS_IN_NV, 1, { 0, 0, 1 } },
	{ VIS_FOURCC('N', 'V', '2', '1'), VIS_IN_NV, 1, { 0, 1, 0 } },
	/* 'GREY': Y */
	{ VIS_FOURCC('G', 'R', 'E', 'Y'), VIS_IN_GREY, 1, { 0, 0, 0 } },
};

static const struct vis_in_fmt *vis_in_fmt_find(u32 fourcc)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(vis_in_fmts); i++)
		if (vis_in_fmts[i].fourcc == fourcc)
			return &vis_in_fmts[i];
	return NULL;
}

/* Bytes of plane 0 one frame row of @width pixels occupies. */
static u64 vis_in_row_bytes(const struct vis_in_fmt *fmt, u32 width)
{
	if (fmt->kind == VIS_IN_YUV422)
		return (u64)DIV_ROUND_UP(width, 2) * 4;
	return (u64)width * fmt->bpp;
}

/*
 * A plane of @rows rows of @row_bytes bytes, @stride apart, must start at
 * a non-NULL @p and end within @size bytes from it.
 */
static bool vis_in_plane_ok(const u8 *p, u32 stride, u64 size, u32 rows,
			    u64 row_bytes)
{
	u64 need;

	if (!p || stride < row_bytes)
		return false;
	/* rows <= VIS_INPUT_MAX_DIM and stride < 2^32: no overflow. */
	need = (u64)(rows - 1) * stride + row_bytes;
	if (need > size)
		return false;
	/* The last byte read must not wrap the address space. */
	return (uintptr_t)p + (need - 1) >= (uintptr_t)p;
}

/**
 * vis_input_check() - check a frame against a model's input stage
 * @m: validated model
 * @f: the frame
 *
 * The whole frame described by @f (width x height pixels at the given
 * strides, and for NV12/NV21 the chroma plane of ceil(height / 2) rows)
 * must lie within the planes' sizes, which covers every byte
 * vis_input_run() reads for any crop.
 *
 * Return: 0, -EOPNOTSUPP for an unsupported format, -EINVAL otherwise.
 */
int vis_input_check(const struct vis_model *m, const struct vis_frame *f)
{
	const struct vis_in_fmt *fmt;

	if (!m || !m->input || !f)
		return -EINVAL;
	fmt = vis_in_fmt_find(f->fourcc);
	if (!fmt)
		return -EOPNOTSUPP;
	if (!f->width || !f->height || f->width > VIS_INPUT_MAX_DIM ||
	    f->height > VIS_INPUT_MAX_DIM)
		return -EINVAL;
	if (!f->crop_w || !f->crop_h || f->crop_x >= f->width ||
	    f->crop_y >= f->height || f->crop_w > f->width - f->crop_x ||
	    f->crop_h > f->height - f->crop_y)
		return -EINVAL;
	if (!vis_in_plane_ok(f->planes[0], f->strides[0], f->plane_sizes[0],
			     f->height, vis_in_row_bytes(fmt, f->width)))
		return -EINVAL;
	if (fmt->kind == VIS_IN_NV &&
	    !vis_in_plane_ok(f->planes[1], f->strides[1], f->plane_sizes[1],
			     DIV_ROUND_UP(f->height, 2),
			     (u64)DIV_ROUND_UP(f->width, 2) * 2))
		return -EINVAL;
	return 0;
}

/* Documented in vis_engine.h. */
int vis_frame_setup(const struct vis_model *m, const struct vis_frame_desc *d,
		    const u8 *base, u64 size, struct vis_frame *f)
{
	u32 planes = vis_input_planes(d->fourcc), i;

	if (!planes)
		return -EOPNOTSUPP;
	if (d->num_planes != planes ||
	    (planes == 1 && (d->offsets[1] || d->strides[1])))
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	f->fourcc = d->fourcc;
	f->width = d->width;
	f->height = d->height;
	for (i = 0; i < planes; i++) {
		if (d->offsets[i] >= size)
			return -EINVAL;
		f->planes[i] = base + d->offsets[i];
		f->strides[i] = d->strides[i];
		f->plane_sizes[i] = size - d->offsets[i];
	}
	if (!d->crop_x && !d->crop_y && !d->crop_w && !d->crop_h) {
		f->crop_w = d->width;
		f->crop_h = d->height;
	} else {
		f->crop_x = d->crop_x;
		f->crop_y = d->crop_y;
		f->crop_w = d->crop_w;
		f->crop_h = d->crop_h;
	}
	/* Format, sizes, crop and every byte the stage reads. */
	return vis_input_check(m, f);
}

/* Documented in vis_engine.h. */
u32 vis_input_planes(u32 fourcc)
{
	const struct vis_in_fmt *fmt = vis_in_fmt_find(fourcc);

	if (!fmt)
		return 0;
	return fmt->kind == VIS_IN_NV ? 2 : 1;
}

/**
 * vis_input_rows() - independent work units of the input stage
 * @m: validated model
 *
 * Return: the input tensor's height.
 */
u32 vis_input_rows(const struct vis_model *m)
{
	return m->tensors[m->input->tensor].shape[1];
}

/* The source and the stage's parameters, as the row loop reads them. */
/*
 * Everything is copied in: the output is written through a char type,
 * which may alias any memory, so values behind pointers would be
 * reloaded after every store.
 */
struct vis_in_ctx {
	const struct vis_in_fmt *fmt;
	const u8 *p0, *p1; /* planes */
	u32 s0, s1; /* strides */
	u32 crop_x, crop_y, crop_w, crop_h;
	s32 mul[3], add[3]; /* per tensor channel */
	u32 shift;
	u8 order[3]; /* px[] index feeding each tensor channel */
	u32 h; /* tensor height */
	u32 w; /* tensor width */
	u32 nch; /* tensor channels */
	u32 nsrc; /* converted values per source pixel: 3, or 1 for luma */
	bool luma; /* GREY model */
	bool bilinear;
};

static __always_inline u8 vis_in_u8(s32 v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (u8)v;
}

/*
 * Frame pixel (@x, @y), absolute coordinates, converted: R, G, B in
 * px[0..2], or for a GREY model the luma in px[0]. @kind is a constant
 * in each caller, so every format family gets its own loop.
 */
static __always_inline void vis_in_fetch(const struct vis_in_ctx *s,
					 const int kind, u32 x, u32 y, u8 px[3])
{
	const struct vis_in_fmt *fmt = s->fmt;
	const u8 *row = s->p0 + (uintptr_t)y * s->s0;
	const u8 *p;
	s32 c, d, e;

	switch (kind) {
	case VIS_IN_RGB:
		p = row + (uintptr_t)x * fmt->bpp;
		if (s->luma) {
			px[0] = (u8)((77 * p[fmt->off[0]] +
				      150 * p[fmt->off[1]] +
				      29 * p[fmt->off[2]] + 128) >>
				     8);
		} else {
			px[0] = p[fmt->off[0]];
			px[1] = p[fmt->off[1]];
			px[2] = p[fmt->off[2]];
		}
		return;
	case VIS_IN_GREY:
		px[0] = row[x];
		px[1] = row[x];
		px[2] = row[x];
		return;
	case VIS_IN_YUV422:
		p = row + (uintptr_t)(x >> 1) * 4;
		c = p[fmt->off[0] + ((x & 1) << 1)] - 16;
		d = p[fmt->off[1]] - 128;
		e = p[fmt->off[2]] - 128;
		break;
	default: /* VIS_IN_NV */
		p = s->p1 + (uintptr_t)(y >> 1) * s->s1 + (x & ~1u);
		c = row[x] - 16;
		d = p[fmt->off[1]] - 128;
		e = p[fmt->off[2]] - 128;
		break;
	}
	/* BT.601 limited range to full range, ITU-R integer form. */
	if (s->luma) {
		px[0] = vis_in_u8((298 * c + 128) >> 8);
	} else {
		px[0] = vis_in_u8((298 * c + 409 * e + 128) >> 8);
		px[1] = vis_in_u8((298 * c - 100 * d - 208 * e + 128) >> 8);
		px[2] = vis_in_u8((298 * c + 516 * d + 128) >> 8);
	}
}

/*
 * Resize geometry of one axis: output coordinate o of n from a crop of s
 * source pixels. Nearest: i0 = floor(o * s / n). Bilinear, half-pixel
 * centres: c = floor((2o + 1) * s * 2^16 / 2n) - 2^15 in Q16, clamped to
 * [0, (s - 1) * 2^16]; i0 is its integer part, the weight of i1 the next
 * 8 bits. Both are a quotient num(o) / den with num linear in o, stepped
 * exactly (quotient and remainder) so that no division runs per pixel.
 */
struct vis_in_axis {
	u64 q; /* floor(num(o) / den) */
	u64 r; /* num(o) mod den */
	u64 dq; /* step of num, divided by den */
	u64 dr; /* and its remainder */
	u64 den;
	u32 s; /* crop size along the axis */
	bool bilinear;
};

/* Source taps of the current output coordinate. */
struct vis_in_tap {
	u32 i0; /* first source index, within the crop */
	u32 i1; /* second (bilinear): min(i0 + 1, s - 1); nearest: i0 */
	u32 w; /* weight of i1 in 1/256, in [0, 255]; 0 for nearest */
};

static void vis_in_axis_init(struct vis_in_axis *a, u32 o, u32 n, u32 s,
			     bool bilinear)
{
	u64 num, step;

	if (bilinear) {
		a->den = 2 * (u64)n;
		num = ((u64)(2 * o + 1) * s) << 16;
		step = (u64)s << 17;
	} else {
		a->den = n;
		num = (u64)o * s;
		step = s;
	}
	a->q = num / a->den;
	a->r = num % a->den;
	a->dq = step / a->den;
	a->dr = step % a->den;
	a->s = s;
	a->bilinear = bilinear;
}

static __always_inline void vis_in_axis_next(struct vis_in_axis *a)
{
	a->q += a->dq;
	a->r += a->dr;
	if (a->r >= a->den) {
		a->r -= a->den;
		a->q++;
	}
}

static __always_inline void vis_in_axis_tap(const struct vis_in_axis *a,
					    struct vis_in_tap *t)
{
	s64 c;

	if (!a->bilinear) {
		t->i0 = (u32)a->q;
		t->i1 = t->i0;
		t->w = 0;
		return;
	}
	c = (s64)a->q - (1 << 15);
	if (c < 0)
		c = 0;
	if (c > (s64)(a->s - 1) << 16)
		c = (s64)(a->s - 1) << 16;
	t->i0 = (u32)(c >> 16);
	t->i1 = min(t->i0 + 1, a->s - 1);
	t->w = (u32)(c >> 8) & 0xff;
}

/* Output row @oy into @dst, for source format family @kind. */
static __always_inline void vis_in_row(const struct vis_in_ctx *s,
				       const int kind, u32 oy, s8 *dst)
{
	struct vis_in_axis ax;
	struct vis_in_tap ty, tx;
	u32 ox, y0, y1, c;

	vis_in_axis_init(&ax, oy, s->h, s->crop_h, s->bilinear);
	vis_in_axis_tap(&ax, &ty);
	y0 = s->crop_y + ty.i0;
	y1 = s->crop_y + ty.i1;

	vis_in_axis_init(&ax, 0, s->w, s->crop_w, s->bilinear);
	for (ox = 0; ox < s->w; ox++, dst += s->nch, vis_in_axis_next(&ax)) {
		u8 px[3], s01[3], s10[3], s11[3];
		const u8 *q01 = px, *q10 = px, *q11 = px;
		u32 x0, x1, wx, wy;

		vis_in_axis_tap(&ax, &tx);
		x0 = s->crop_x + tx.i0;
		x1 = s->crop_x + tx.i1;
		wx = tx.w;
		wy = ty.w;
		vis_in_fetch(s, kind, x0, y0, px);
		/*
		 * A tap of weight 0 contributes nothing and is not read;
		 * nearest always has both weights 0.
		 */
		if (wx) {
			vis_in_fetch(s, kind, x1, y0, s01);
			q01 = s01;
		}
		if (wy) {
			vis_in_fetch(s, kind, x0, y1, s10);
			q10 = s10;
		}
		if (wx && wy) {
			vis_in_fetch(s, kind, x1, y1, s11);
			q11 = s11;
		}
		for (c = 0; (wx || wy) && c < s->nsrc; c++) {
			u32 top = px[c] * (256 - wx) + q01[c] * wx;
			u32 bot = q10[c] * (256 - wx) + q11[c] * wx;

			px[c] = (u8)((top * (256 - wy) + bot * wy + 32768) >>
				     16);
		}
		for (c = 0; c < s->nch; c++) {
			s32 v = px[s->order[c]] * s->mul[c] + s->add[c];

			/* Arithmetic shift: floor division. */
			v >>= s->shift;
			dst[c] = (s8)clamp_t(s32, v, -128, 127);
		}
	}
}

/**
 * vis_input_run() - convert rows [@begin, @end) of the input tensor
 * @x: execution context (arena receives the input tensor)
 * @f: a frame that passed vis_input_check()
 * @begin: first output row
 * @end: one past the last output row, at most vis_input_rows()
 *
 * Rows are independent: any split of [0, vis_input_rows()) gives the same
 * tensor. See Documentation/input-stage.rst for the arithmetic.
 */
void vis_input_run(const struct vis_exec *x, const struct vis_frame *f,
		   u32 begin, u32 end)
{
	const struct vis_model *m = x->model;
	const struct vision_model_input_stage *st = m->input;
	const struct vision_model_tensor *t = &m->tensors[st->tensor];
	s8 *out = (s8 *)(x->arena + t->offset);
	struct vis_in_ctx s;
	u32 oy, c;

	s.fmt = vis_in_fmt_find(f->fourcc);
	if (!s.fmt)
		return;
	s.p0 = f->planes[0];
	s.p1 = f->planes[1];
	s.s0 = f->strides[0];
	s.s1 = f->strides[1];
	s.crop_x = f->crop_x;
	s.crop_y = f->crop_y;
	s.crop_w = f->crop_w;
	s.crop_h = f->crop_h;
	s.h = t->shape[1];
	s.w = t->shape[2];
	s.nch = t->shape[3];
	s.luma = st->color == VISION_MODEL_COLOR_GREY;
	s.nsrc = s.luma ? 1 : 3;
	s.bilinear = st->resize == VISION_MODEL_RESIZE_BILINEAR;
	s.shift = st->norm_shift;
	for (c = 0; c < 3; c++) {
		s.mul[c] = st->norm_mul[c];
		s.add[c] = st->norm_add[c];
		/* RGB: R G B; BGR: B G R; GREY: the luma. */
		if (s.luma)
			s.order[c] = 0;
		else if (st->color == VISION_MODEL_COLOR_BGR)
			s.order[c] = (u8)(2 - c);
		else
			s.order[c] = (u8)c;
	}

	end = min(end, s.h);
	for (oy = begin; oy < end; oy++) {
		s8 *dst = out + (uintptr_t)oy * s.w * s.nch;

		switch (s.fmt->kind) {
		case VIS_IN_RGB:
			vis_in_row(&s, VIS_IN_RGB, oy, dst);
			break;
		case VIS_IN_YUV422:
			vis_in_row(&s, VIS_IN_YUV422, oy, dst);
			break;
		case VIS_IN_NV:
			vis_in_row(&s, VIS_IN_NV, oy, dst);
			break;
		default:
			vis_in_row(&s, VIS_IN_GREY, oy, dst);
			break;
		}
	}
}

/* Largest |norm_mul| and |norm_add|, from the uapi. */
#define VIS_INPUT_MAX_MUL 0x400000 /* 2^22 */
#define VIS_INPUT_MAX_ADD 0x40000000 /* 2^30 */

#define vis_in_err(e, field, msg) \
	vis_err(e, -EINVAL, VISION_MODEL_SECTION_INPUT, 0, field, msg)

/**
 * vis_input_stage_check() - validate a model's input stage
 * @m: model being validated (input stage and tensor table set)
 * @err: receives the reason on failure; may be NULL
 *
 * Return: 0, or -EINVAL (also in @err).
 */
int vis_input_stage_check(const struct vis_model *m,
			  struct vis_engine_error *err)
{
	const struct vision_model_input_stage *in = m->input;
	const struct vision_model_tensor *t;
	u32 nch, c;

	if (in->tensor >= m->num_tensors)
		return vis_in_err(err, "tensor", "no such tensor");
	t = &m->tensors[in->tensor];
	if (t->type != VISION_MODEL_TYPE_INT8)
		return vis_in_err(err, "tensor", "input tensor is not INT8");
	if (t->location != VISION_MODEL_LOC_ARENA)
		return vis_in_err(err, "tensor",
				  "input tensor not in the arena");
	if (t->encoding != VISION_MODEL_ENC_DENSE)
		return vis_in_err(err, "tensor", "input tensor is not dense");
	if (in->color > VISION_MODEL_COLOR_GREY)
		return vis_in_err(err, "color", "unknown colour layout");
	if (in->resize > VISION_MODEL_RESIZE_BILINEAR)
		return vis_in_err(err, "resize", "unknown resize mode");
	nch = in->color == VISION_MODEL_COLOR_GREY ? 1 : 3;
	if (t->shape[0] != 1 || t->shape[3] != nch)
		return vis_in_err(err, "tensor",
				  "input tensor shape is not [1,H,W,C]");
	if (!t->shape[1] || !t->shape[2] ||
	    t->shape[1] > VISION_MODEL_MAX_DIM ||
	    t->shape[2] > VISION_MODEL_MAX_DIM ||
	    t->size != (u64)t->shape[1] * t->shape[2] * nch)
		return vis_in_err(err, "tensor", "input tensor size mismatch");
	if (in->norm_shift > 30)
		return vis_in_err(err, "norm_shift", "not in [0, 30]");
	for (c = 0; c < 3; c++) {
		s64 mul = in->norm_mul[c], add = in->norm_add[c];
		s64 lo = min_t(s64, 0, 255 * mul) + add;
		s64 hi = max_t(s64, 0, 255 * mul) + add;

		if (mul < -VIS_INPUT_MAX_MUL || mul > VIS_INPUT_MAX_MUL)
			return vis_in_err(err, "norm_mul", "|norm_mul| > 2^22");
		if (add < -VIS_INPUT_MAX_ADD || add > VIS_INPUT_MAX_ADD)
			return vis_in_err(err, "norm_add", "|norm_add| > 2^30");
		if (lo < S32_MIN || hi > S32_MAX)
			return vis_in_err(err, "norm_add",
					  "normalisation overflows int32");
	}
	if (in->flags)
		return vis_in_err(err, "flags", "must be zero");
	for (c = 0; c < ARRAY_SIZE(in->reserved); c++)
		if (in->reserved[c])
			return vis_in_err(err, "reserved", "must be zero");
	return 0;
}
