// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: kernel tables
 *
 * The portable C reference of the engine's hot loops, and the choice of
 * the fastest table the CPU supports. Every SIMD table must give results
 * identical to the portable one for all inputs; the host tests check it.
 */

#include "vis_engine.h"
#include "vis_quant.h"
#include "vis_simd_gemm.h"

static void vis_gemm_s8_portable(const s8 *a, u32 np, const s8 *b, u32 n, u32 k,
				 s32 *acc)
{
	u32 p, r, i;

	for (p = 0; p < np; p++) {
		const s8 *ap = a + (size_t)p * k;

		for (r = 0; r < n; r++) {
			const s8 *br = b + (size_t)r * k;
			s32 sum = 0;

			for (i = 0; i < k; i++)
				sum += (s32)ap[i] * (s32)br[i];
			acc[p * n + r] = sum;
		}
	}
}

static void vis_dot_block4_portable(const s8 *a, u32 np, u32 k, const u32 *col,
				    const s8 *val, u32 nblk, s32 *acc)
{
	u32 p, j, i;

	for (p = 0; p < np; p++) {
		const s8 *ap = a + (size_t)p * k;
		s32 sum = 0;

		for (j = 0; j < nblk; j++) {
			const s8 *x = ap + (size_t)col[j] * 4;

			for (i = 0; i < 4; i++)
				sum += (s32)x[i] * (s32)val[j * 4 + i];
		}
		acc[p] = sum;
	}
}

/* Channels per depthwise block: a constant, so the tap loop vectorizes. */
#define VIS_DW_BLOCK 16

/*
 * Channels [c0, c0 + @n) of pixel @p. The accumulators are a local array
 * of constant size (registers once vectorized); the input and filter rows
 * are restrict so that nothing aliases the accumulation.
 */
static __always_inline void vis_dw_block(const struct vis_dw_args *a, u32 p,
					 u32 c0, u32 n)
{
	s8 *o = a->out + (size_t)p * a->out_stride + c0;
	s32 acc[VIS_DW_BLOCK];
	u32 t, i;

	for (i = 0; i < n; i++)
		acc[i] = a->bias[c0 + i];
	for (t = 0; t < a->ntaps; t++) {
		const s8 *restrict x = vis_dw_tap(a, p, t) + c0;
		const s8 *restrict w = a->w + (size_t)t * a->c + c0;

		for (i = 0; i < n; i++)
			acc[i] += (s32)x[i] * (s32)w[i];
	}
	for (i = 0; i < n; i++) {
		s32 v = vis_mbqm(acc[i], a->mult[c0 + i], a->shift[c0 + i]);

		/* Any |v| > 256 saturates anyway; clamping avoids overflow. */
		v = clamp_t(s32, v, -256, 256);
		o[i] = vis_sat8(v + a->out_zp, a->act_min, a->act_max);
	}
}

/**
 * vis_dw_conv_tail() - the portable depthwise kernel for channels [@c0, c)
 * @a: the call's arguments
 * @c0: first channel; the SIMD kernels hand over the channels left after
 *	their last full vector
 */
void vis_dw_conv_tail(const struct vis_dw_args *a, u32 c0)
{
	u32 p, c;

	for (p = 0; p < a->npix; p++) {
		for (c = c0; c + VIS_DW_BLOCK <= a->c; c += VIS_DW_BLOCK)
			vis_dw_block(a, p, c, VIS_DW_BLOCK);
		if (c < a->c)
			vis_dw_block(a, p, c, a->c - c);
	}
}

static void vis_dw_conv_portable(const struct vis_dw_args *a)
{
	vis_dw_conv_tail(a, 0);
}

static void vis_block4_tile_portable(const s8 *a, u32 np, s32 zp, u32 *pos,
				     const u32 *end, u32 kend, u32 nr,
				     const u32 *col, const s8 *val, s32 *acc,
				     u32 ldc)
{
	u32 lanes = vis_block4_lanes(np);
	u32 r, j, p, i;

	for (r = 0; r < nr; r++) {
		for (j = pos[r]; j < end[r] && col[j] < kend; j++) {
			const s8 *x = a + (size_t)col[j] * lanes * 4;
			const s8 *v = val + (size_t)j * 4;

			for (p = 0; p < np; p++) {
				u32 sum = (u32)acc[(size_t)p * ldc + r];

				for (i = 0; i < 4; i++)
					sum += (u32)((x[p * 4 + i] - zp) *
						     v[i]);
				acc[(size_t)p * ldc + r] = (s32)sum;
			}
		}
		pos[r] = j;
	}
}

static void vis_requant_s8_portable(const s32 *acc, const s32 *bias,
				    const struct vision_model_requant *rq,
				    u32 n, s32 zp, s32 lo, s32 hi, s8 *out)
{
	u32 i;

	for (i = 0; i < n; i++)
		out[i] = vis_requant_one(acc[i], bias[i], &rq[i], zp, lo, hi);
}

void vis_block4_pack_ref(const s8 *const *src, u32 np, u32 nkb, u32 lanes,
			 u32 flip, s8 *tile)
{
	const size_t step = (size_t)lanes * 4;
	u32 p, kb, v;
	s8 *d;

	for (p = 0; p < np; p++) {
		const s8 *s = src[p];

		d = tile + (size_t)p * 4;
		for (kb = 0; kb < nkb; kb++, d += step, s += 4) {
			memcpy(&v, s, 4);
			v ^= flip;
			memcpy(d, &v, 4);
		}
	}
	/* Lanes past @np are computed by some tables, then ignored. */
	if (np < lanes)
		for (kb = 0, d = tile + np * 4; kb < nkb; kb++, d += step)
			memset(d, 0, step - np * 4);
}

static void vis_requant_px_portable(const s32 *acc, u32 np, u32 ldacc,
				    const s32 *bias, const s32 *mult,
				    const s32 *shift, u32 n, s32 zp, s32 lo,
				    s32 hi, s8 *out, size_t ldo)
{
	struct vision_model_requant rq;
	u32 p, i;

	for (p = 0; p < np; p++) {
		for (i = 0; i < n; i++) {
			rq.multiplier = mult[i];
			rq.shift = shift[i];
			out[p * ldo + i] =
				vis_requant_one(acc[(size_t)p * ldacc + i],
						bias[i], &rq, zp, lo, hi);
		}
	}
}

static void vis_gemm_s8_packed_portable(const u8 *a, u32 np, size_t lda,
					const s8 *bp, const s32 *bsum, u32 n,
					u32 k, s32 *acc, u32 ldc)
{
	u32 p, r, i;

	for (p = 0; p < np; p++) {
		const u8 *ap = a + p * lda;

		for (r = 0; r < n; r++) {
			const s8 *br =
				bp +
				(size_t)(r / VIS_GEMM_NR) * VIS_GEMM_NR * k +
				(r % VIS_GEMM_NR) * 4;
			s32 sum = 0;

			for (i = 0; i < k; i++)
				sum += (s32)(s8)(ap[i] ^ 0x80) *
				       (s32)br[(i / 4) * 4 * VIS_GEMM_NR +
					       i % 4];
			acc[(size_t)p * ldc + r] = sum;
		}
	}
}

static void vis_gemm_s8_kidx_portable(const u8 *a, u32 np, size_t lda,
				      const s8 *bp, const u32 *kidx, u32 nk,
				      const s32 *bsum, u32 n, s32 *acc, u32 ldc)
{
	u32 p, r, j, i;

	for (p = 0; p < np; p++) {
		const u8 *ap = a + p * lda;

		for (r = 0; r < n; r++) {
			const s8 *br = bp +
				       (size_t)(r / VIS_GEMM_NR) * nk * 4 *
					       VIS_GEMM_NR +
				       (r % VIS_GEMM_NR) * 4;
			s32 sum = 0;

			for (j = 0; j < nk; j++)
				for (i = 0; i < 4; i++)
					sum += (s32)(s8)(ap[kidx[j] * 4 + i] ^
							 0x80) *
					       (s32)br[(size_t)j * 4 *
							       VIS_GEMM_NR +
						       i];
			acc[(size_t)p * ldc + r] = sum;
		}
	}
}

void vis_max_pool_ref(const s8 *in, u32 ny, u32 nx, size_t ystride, u32 c,
		      s32 lo, s32 hi, s8 *out)
{
	u32 y, x, ch;

	for (ch = 0; ch < c; ch++) {
		/* Starting from lo folds the lower clamp in. */
		s8 m = (s8)lo;

		for (y = 0; y < ny; y++)
			for (x = 0; x < nx; x++)
				m = max(m,
					in[y * ystride + (size_t)x * c + ch]);
		out[ch] = min_t(s8, m, hi);
	}
}

const struct vis_kernels vis_kernels_portable = {
	.name = "portable",
	.needs_fpu = false,
	.gemm_s8 = vis_gemm_s8_portable,
	.dot_block4 = vis_dot_block4_portable,
	.requant_s8 = vis_requant_s8_portable,
	.gemm_s8_packed = vis_gemm_s8_packed_portable,
	.dw_conv = vis_dw_conv_portable,
	.block4_tile = vis_block4_tile_portable,
	.block4_pack = vis_block4_pack_ref,
	.requant_px = vis_requant_px_portable,
	.max_pool = vis_max_pool_ref,
	.add_s8 = vis_add_s8_ref,
	.copy_flip = vis_copy_flip_ref,
	.gemm_s8_kidx = vis_gemm_s8_kidx_portable,
};

static bool vis_cpu_any(void)
{
	return true;
}

/*
 * The tables built for this architecture, fastest first, each with the
 * probe (vis_engine_compat.h) saying whether this CPU can run it. The
 * portable table closes the list and runs everywhere.
 */
static const struct {
	const struct vis_kernels *k;
	bool (*usable)(void);
} vis_kernels_all[] = {
#if defined(__x86_64__)
	{ &vis_kernels_avx512vnni, vis_cpu_has_avx512vnni },
	{ &vis_kernels_avx512bw, vis_cpu_has_avx512bw },
	{ &vis_kernels_avx2, vis_cpu_has_avx2 },
#elif defined(__aarch64__)
	{ &vis_kernels_neon_dotprod, vis_cpu_has_asimddp },
#endif
	{ &vis_kernels_portable, vis_cpu_any },
};

const struct vis_kernels *vis_kernels_best(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vis_kernels_all); i++)
		if (vis_kernels_all[i].usable())
			return vis_kernels_all[i].k;
	return &vis_kernels_portable;
}

const struct vis_kernels *vis_kernels_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vis_kernels_all); i++)
		if (!strcmp(name, vis_kernels_all[i].k->name))
			return vis_kernels_all[i].usable() ?
				       vis_kernels_all[i].k :
				       NULL;
	return NULL;
}
