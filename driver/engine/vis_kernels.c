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

const struct vis_kernels vis_kernels_portable = {
	.name = "portable",
	.needs_fpu = false,
	.gemm_s8 = vis_gemm_s8_portable,
	.dot_block4 = vis_dot_block4_portable,
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
