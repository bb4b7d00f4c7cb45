// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: SIMD kernel tables against the portable reference
 *
 * Every SIMD table vis_kernels_by_name() offers on this CPU must give
 * results identical to the portable one for every input: random shapes
 * and values with a fixed seed, tails of every length, and the extreme
 * values whose products and sums break inexact schemes (-128 * -128 summed
 * over thousands of elements). A table this CPU cannot run is a SKIP, not
 * a pass.
 *
 * Buffers hold exactly the bytes the contracts allow and end where the
 * allocation ends, at random alignments, so the sanitizer build catches
 * any load or store past them. The same binary runs on the host, under
 * valgrind and in the test VMs (whose CPUs lack AVX-512), so the amount of
 * work is kept to a few seconds natively.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vis_engine.h"

#include "kselftest_harness.h"

/* Random calls per test, and how many of them use the full size ranges. */
#define CALLS 60000
#define LARGE_EVERY 600

enum fill {
	FILL_RANDOM,
	FILL_MIN, /* all -128 */
	FILL_MAX, /* all 127 */
	FILL_ALT, /* -128, 127, -128, ... */
	FILL_SMALL, /* -2..2: sums that cancel */
	FILL_COUNT,
};

static u64 rng_state;

static void rng_seed(u64 seed)
{
	rng_state = seed;
}

/* xorshift64*: fast and the same sequence on every machine. */
static u32 rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (u32)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Uniform in [lo, hi]. */
static u32 rng_range(u32 lo, u32 hi)
{
	return lo + rng() % (hi - lo + 1);
}

static void fill(s8 *p, size_t len, enum fill how)
{
	u32 bits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		switch (how) {
		case FILL_MIN:
			p[i] = -128;
			break;
		case FILL_MAX:
			p[i] = 127;
			break;
		case FILL_ALT:
			p[i] = i & 1 ? 127 : -128;
			break;
		case FILL_SMALL:
			p[i] = (s8)((int)rng_range(0, 4) - 2);
			break;
		default:
			/* Four bytes per draw: filling dominates the run time. */
			if (i % 4 == 0)
				bits = rng();
			p[i] = (s8)(bits >> (i % 4 * 8));
			break;
		}
	}
}

/*
 * @len bytes ending exactly where the allocation ends, at a random offset
 * (a multiple of @align) from malloc's alignment: *@base receives what to
 * free().
 */
static void *exact_alloc(size_t len, size_t align, void **base)
{
	size_t off = rng_range(0, 63) & ~(align - 1);
	u8 *p = malloc(len + off);

	*base = p;
	return p ? p + off : NULL;
}

static enum fill pick_fill(void)
{
	/* Mostly random values, often the extremes. */
	u32 r = rng_range(0, 7);

	return r < FILL_COUNT ? (enum fill)r : FILL_RANDOM;
}

/*
 * Table @name with the random sequence restarted at @seed, or NULL (the
 * test marked skipped) where this CPU or build lacks it.
 */
static const struct vis_kernels *start_table(struct __test_metadata *_metadata,
					     const char *name, u64 seed)
{
	const struct vis_kernels *t = vis_kernels_by_name(name);

	if (!t)
		SKIP(return NULL, "%s: not supported by this CPU or build",
			    name);
	rng_seed(seed);
	return t;
}

/* A length in [1, @large] every @every calls, else in [1, @small]. */
static u32 pick_len(u32 call, u32 every, u32 large, u32 small)
{
	return call % every == 0 ? rng_range(1, large) : rng_range(1, small);
}

/* A clamp range [*@lo, *@hi], the full s8 range half of the time. */
static void pick_clamp(s32 *lo, s32 *hi)
{
	*lo = (s32)rng_range(0, 255) - 128;
	*hi = (s32)rng_range(0, 255) - 128;
	if (*lo > *hi) {
		s32 tmp = *lo;

		*lo = *hi;
		*hi = tmp;
	}
	if (rng_range(0, 1)) {
		*lo = -128;
		*hi = 127;
	}
}

/* Index of the first byte where @got and @want differ, or @n. */
static size_t first_diff(const s8 *got, const s8 *want, size_t n)
{
	size_t i;

	for (i = 0; i < n && got[i] == want[i]; i++)
		;
	return i;
}

/* The tests of what @run checks for each SIMD table, named TABLE_@what. */
#define SIMD_TESTS(what, run)                   \
	TEST(avx2_##what)                       \
	{                                       \
		run(_metadata, "avx2");         \
	}                                       \
	TEST(avx512bw_##what)                   \
	{                                       \
		run(_metadata, "avx512bw");     \
	}                                       \
	TEST(avx512vnni_##what)                 \
	{                                       \
		run(_metadata, "avx512vnni");   \
	}                                       \
	TEST(neon_dotprod_##what)               \
	{                                       \
		run(_metadata, "neon-dotprod"); \
	}

/*
 * One gemm_s8 call of table @t against the portable table; returns 0 or
 * reports the first difference and returns -1.
 */
static int check_gemm(struct __test_metadata *_metadata,
		      const struct vis_kernels *t, u32 np, u32 n, u32 k,
		      enum fill fa, enum fill fb)
{
	const struct vis_kernels *ref = &vis_kernels_portable;
	void *abase, *bbase, *gbase, *wbase;
	s8 *a = exact_alloc((size_t)np * k, 1, &abase);
	s8 *b = exact_alloc((size_t)n * k, 1, &bbase);
	s32 *got = exact_alloc(sizeof(s32) * np * n, sizeof(s32), &gbase);
	s32 *want = exact_alloc(sizeof(s32) * np * n, sizeof(s32), &wbase);
	int ret = 0;
	u32 i;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, got);
	ASSERT_NE(NULL, want);
	fill(a, (size_t)np * k, fa);
	fill(b, (size_t)n * k, fb);
	/* Every output must be written, whatever was there. */
	memset(got, 0x5a, sizeof(s32) * np * n);
	memset(want, 0xa5, sizeof(s32) * np * n);

	ref->gemm_s8(a, np, b, n, k, want);
	t->gemm_s8(a, np, b, n, k, got);

	for (i = 0; i < np * n; i++) {
		if (got[i] != want[i]) {
			TH_LOG("%s gemm_s8 np=%u n=%u k=%u fill=%d/%d: acc[%u] = %d, want %d",
			       t->name, np, n, k, fa, fb, i, got[i], want[i]);
			ret = -1;
			break;
		}
	}
	free(abase);
	free(bbase);
	free(gbase);
	free(wbase);
	return ret;
}

/* One dot_block4 call of table @t against the portable table. */
static int check_block4(struct __test_metadata *_metadata,
			const struct vis_kernels *t, u32 np, u32 k, u32 nblk,
			enum fill fa, enum fill fv)
{
	const struct vis_kernels *ref = &vis_kernels_portable;
	void *abase, *cbase, *vbase;
	s8 *a = exact_alloc((size_t)np * k, 1, &abase);
	u32 *col = exact_alloc(sizeof(u32) * nblk, sizeof(u32), &cbase);
	s8 *val = exact_alloc((size_t)nblk * 4, 1, &vbase);
	s32 got[4], want[4];
	int ret = 0;
	u32 i;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, col);
	ASSERT_NE(NULL, val);
	fill(a, (size_t)np * k, fa);
	fill(val, (size_t)nblk * 4, fv);
	for (i = 0; i < nblk; i++) {
		/* Mostly increasing as in real sparse rows, sometimes any. */
		col[i] = rng_range(0, 3) ? (u32)((u64)i * (k / 4) / nblk) :
					   rng_range(0, k / 4 - 1);
	}
	/* The last group of the patch, where an over-read would show. */
	if (nblk)
		col[nblk - 1] = k / 4 - 1;
	memset(got, 0x5a, sizeof(got));
	memset(want, 0xa5, sizeof(want));

	ref->dot_block4(a, np, k, col, val, nblk, want);
	t->dot_block4(a, np, k, col, val, nblk, got);

	for (i = 0; i < np; i++) {
		if (got[i] != want[i]) {
			TH_LOG("%s dot_block4 np=%u k=%u nblk=%u fill=%d/%d: acc[%u] = %d, want %d",
			       t->name, np, k, nblk, fa, fv, i, got[i],
			       want[i]);
			ret = -1;
			break;
		}
	}
	free(abase);
	free(cbase);
	free(vbase);
	return ret;
}

/* k: a multiple of 4, mostly small, every LARGE_EVERY call up to 4096. */
static u32 pick_k(u32 call)
{
	if (call % LARGE_EVERY == 0)
		return 4 * rng_range(1, 1024);
	return 4 * rng_range(1, rng_range(0, 3) ? 24 : 96);
}

static void run_gemm(struct __test_metadata *_metadata, const char *name)
{
	const struct vis_kernels *t;
	u32 call, np, n, k;

	t = start_table(_metadata, name, 0x5eed0001);
	if (!t)
		return;
	ASSERT_STREQ(name, t->name);
	ASSERT_TRUE(t->needs_fpu);

	/* Every tail length, patch count and row remainder, small and large. */
	for (np = 1; np <= 4; np++)
		for (n = 1; n <= 9; n++)
			for (k = 4; k <= 132; k += 4)
				ASSERT_EQ(0,
					  check_gemm(_metadata, t, np, n, k,
						     FILL_RANDOM, FILL_RANDOM));
	/* Largest positive and negative sums over the largest k tested. */
	for (np = 1; np <= 4; np++) {
		ASSERT_EQ(0, check_gemm(_metadata, t, np, 7, 4096, FILL_MIN,
					FILL_MIN));
		ASSERT_EQ(0, check_gemm(_metadata, t, np, 7, 4092, FILL_MIN,
					FILL_MAX));
		ASSERT_EQ(0, check_gemm(_metadata, t, np, 5, 4092, FILL_MAX,
					FILL_MIN));
		ASSERT_EQ(0, check_gemm(_metadata, t, np, 3, 4084, FILL_ALT,
					FILL_ALT));
		ASSERT_EQ(0, check_gemm(_metadata, t, np, 300, 4, FILL_MIN,
					FILL_MIN));
	}
	for (call = 0; call < CALLS; call++) {
		np = rng_range(1, 4);
		k = pick_k(call);
		n = pick_len(call, LARGE_EVERY, 300, 12);
		ASSERT_EQ(0, check_gemm(_metadata, t, np, n, k, pick_fill(),
					pick_fill()));
	}
}

static void run_block4(struct __test_metadata *_metadata, const char *name)
{
	const struct vis_kernels *t;
	u32 call, np, k, nblk;

	t = start_table(_metadata, name, 0x5eed0002);
	if (!t)
		return;

	/* Every remainder of the block count, and no blocks at all. */
	for (np = 1; np <= 4; np++)
		for (nblk = 0; nblk <= 40; nblk++)
			ASSERT_EQ(0,
				  check_block4(_metadata, t, np, 4 * 48, nblk,
					       FILL_RANDOM, FILL_RANDOM));
	for (np = 1; np <= 4; np++) {
		ASSERT_EQ(0, check_block4(_metadata, t, np, 4096, 1024,
					  FILL_MIN, FILL_MIN));
		ASSERT_EQ(0, check_block4(_metadata, t, np, 4096, 1023,
					  FILL_MAX, FILL_MIN));
		ASSERT_EQ(0, check_block4(_metadata, t, np, 4092, 1021,
					  FILL_ALT, FILL_ALT));
	}
	for (call = 0; call < CALLS; call++) {
		np = rng_range(1, 4);
		k = pick_k(call);
		nblk = rng_range(0, call % LARGE_EVERY == 0 ? 1024 : 40);
		ASSERT_EQ(0, check_block4(_metadata, t, np, k, nblk,
					  pick_fill(), pick_fill()));
	}
}

SIMD_TESTS(gemm_s8, run_gemm)

SIMD_TESTS(dot_block4, run_block4)

/* An s32 for requant_s8: extremes, small values, or anything. */
static s32 pick_acc(void)
{
	switch (rng_range(0, 7)) {
	case 0:
		return S32_MIN;
	case 1:
		return S32_MAX;
	case 2:
		return (s32)rng_range(0, 2000) - 1000;
	case 3:
		return (s32)rng_range(0, 1u << 20) - (1 << 19);
	default:
		return (s32)rng();
	}
}

/* A valid requant entry: multiplier 0 or in [2^30, 2^31), shift in range. */
static void pick_requant(struct vision_model_requant *rq)
{
	u32 r = rng_range(0, 15);

	rq->multiplier = r == 0 ? 0 :
			 r == 1 ? (1 << 30) :
			 r == 2 ? S32_MAX :
				  (s32)rng_range(1u << 30, 0x7fffffffu);
	r = rng_range(0, 7);
	rq->shift = r == 0 ? -31 :
		    r == 1 ? 30 :
		    r < 5  ? (s32)rng_range(0, 12) - 10 :
			     (s32)rng_range(0, 61) - 31;
}

/* One requant_s8 call of table @t against the portable table. */
static int check_requant(struct __test_metadata *_metadata,
			 const struct vis_kernels *t, u32 n)
{
	const struct vis_kernels *ref = &vis_kernels_portable;
	void *abase, *bbase, *rbase, *gbase, *wbase;
	s32 *acc = exact_alloc(sizeof(s32) * n, sizeof(s32), &abase);
	s32 *bias = exact_alloc(sizeof(s32) * n, sizeof(s32), &bbase);
	struct vision_model_requant *rq =
		exact_alloc(sizeof(*rq) * n, sizeof(s32), &rbase);
	s8 *got = exact_alloc(n, 1, &gbase);
	s8 *want = exact_alloc(n, 1, &wbase);
	s32 zp = (s32)rng_range(0, 255) - 128;
	s32 lo, hi;
	int ret = 0;
	u32 i;

	ASSERT_TRUE(!n || (acc && bias && rq && got && want));
	pick_clamp(&lo, &hi);
	for (i = 0; i < n; i++) {
		acc[i] = pick_acc();
		bias[i] = rng_range(0, 1) ? pick_acc() : 0;
		pick_requant(&rq[i]);
	}
	memset(got, 0x5a, n);
	memset(want, 0xa5, n);

	ref->requant_s8(acc, bias, rq, n, zp, lo, hi, want);
	t->requant_s8(acc, bias, rq, n, zp, lo, hi, got);

	i = first_diff(got, want, n);
	if (i < n) {
		TH_LOG("%s requant_s8 n=%u: out[%u] = %d, want %d", t->name, n,
		       i, got[i], want[i]);
		TH_LOG("acc %d bias %d mult %d shift %d zp %d [%d, %d]", acc[i],
		       bias[i], rq[i].multiplier, rq[i].shift, zp, lo, hi);
		ret = -1;
	}
	free(abase);
	free(bbase);
	free(rbase);
	free(gbase);
	free(wbase);
	return ret;
}

/*
 * @check of table @name on every length 0 to 70 (every tail of every
 * vector width), then on random lengths up to @small, every 50th up to
 * @large.
 */
static void run_lengths(struct __test_metadata *_metadata, const char *name,
			u64 seed, u32 large, u32 small,
			int (*check)(struct __test_metadata *_metadata,
				     const struct vis_kernels *t, u32 n))
{
	const struct vis_kernels *t;
	u32 call, n;

	t = start_table(_metadata, name, seed);
	if (!t)
		return;
	for (n = 0; n <= 70; n++)
		ASSERT_EQ(0, check(_metadata, t, n));
	for (call = 0; call < CALLS / 20; call++) {
		n = pick_len(call, 50, large, small);
		ASSERT_EQ(0, check(_metadata, t, n));
	}
}

static void run_requant(struct __test_metadata *_metadata, const char *name)
{
	run_lengths(_metadata, name, 0x5eed0003, 2048, 80, check_requant);
}

SIMD_TESTS(requant_s8, run_requant)

/*
 * One gemm_s8_packed call of table @t against the portable table: @np
 * patches @lda apart (the last one exactly @k long), @n rows packed with
 * their sums, results @ldc apart.
 */
static int check_packed(struct __test_metadata *_metadata,
			const struct vis_kernels *t, u32 np, u32 lda, u32 n,
			u32 k, u32 ldc, enum fill fa, enum fill fb)
{
	const struct vis_kernels *ref = &vis_kernels_portable;
	u32 n16 = (n + VIS_GEMM_NR - 1) / VIS_GEMM_NR * VIS_GEMM_NR;
	size_t alen = (size_t)(np - 1) * lda + k;
	size_t clen = (size_t)(np - 1) * ldc + n;
	void *abase, *bbase, *sbase, *gbase, *wbase;
	s8 *a = exact_alloc(alen, 1, &abase);
	s8 *bp = exact_alloc((size_t)n16 * k, 1, &bbase);
	s32 *bsum = exact_alloc(sizeof(s32) * n16, sizeof(s32), &sbase);
	s32 *got = exact_alloc(sizeof(s32) * clen, sizeof(s32), &gbase);
	s32 *want = exact_alloc(sizeof(s32) * clen, sizeof(s32), &wbase);
	int ret = 0;
	u32 p, r, i;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, bp);
	ASSERT_NE(NULL, bsum);
	ASSERT_NE(NULL, got);
	ASSERT_NE(NULL, want);
	fill(a, alen, fa);
	fill(bp, (size_t)n16 * k, fb);
	for (r = 0; r < n16; r++) {
		s8 *br = bp + (size_t)(r / VIS_GEMM_NR) * VIS_GEMM_NR * k +
			 (r % VIS_GEMM_NR) * 4;

		bsum[r] = 0;
		for (i = 0; i < k; i++) {
			s8 *v = &br[(i / 4) * 4 * VIS_GEMM_NR + i % 4];

			if (r >= n)
				*v = 0;
			bsum[r] += *v;
		}
	}
	/* Lanes between the rows keep what was there. */
	memset(got, 0x5a, sizeof(s32) * clen);
	memset(want, 0x5a, sizeof(s32) * clen);

	ref->gemm_s8_packed((const u8 *)a, np, lda, bp, bsum, n, k, want, ldc);
	t->gemm_s8_packed((const u8 *)a, np, lda, bp, bsum, n, k, got, ldc);

	for (p = 0; p < clen; p++) {
		if (got[p] != want[p]) {
			TH_LOG("%s gemm_s8_packed np=%u lda=%u n=%u k=%u ldc=%u",
			       t->name, np, lda, n, k, ldc);
			TH_LOG("fill=%d/%d: acc[%u] = %d, want %d", fa, fb, p,
			       got[p], want[p]);
			ret = -1;
			break;
		}
	}
	free(abase);
	free(bbase);
	free(sbase);
	free(gbase);
	free(wbase);
	return ret;
}

static void run_packed(struct __test_metadata *_metadata, const char *name)
{
	const struct vis_kernels *t;
	u32 call, np, n, k, lda, ldc;

	t = start_table(_metadata, name, 0x5eed0004);
	if (!t)
		return;
	if (!t->gemm_s8_packed)
		SKIP(return, "%s: no gemm_s8_packed", name);
	for (np = 1; np <= VIS_GEMM_PIX; np++)
		for (n = 1; n <= 70; n += 3)
			for (k = 4; k <= 40; k += 12)
				ASSERT_EQ(0, check_packed(_metadata, t, np, k,
							  n, k, n, FILL_RANDOM,
							  FILL_RANDOM));
	for (np = 1; np <= VIS_GEMM_PIX; np++)
		ASSERT_EQ(0, check_packed(_metadata, t, np, 4096, 33, 4096, 48,
					  FILL_MIN, FILL_MIN));
	for (call = 0; call < CALLS / 20; call++) {
		np = rng_range(1, VIS_GEMM_PIX);
		k = pick_k(call);
		n = pick_len(call, 100, 300, 80);
		lda = k + 4 * rng_range(0, 3);
		ldc = n + rng_range(0, 20);
		ASSERT_EQ(0, check_packed(_metadata, t, np, lda, n, k, ldc,
					  pick_fill(), pick_fill()));
	}
}

SIMD_TESTS(gemm_s8_packed, run_packed)

/*
 * One gemm_s8_kidx call of table @t against the portable table: @np
 * patches of @kb groups of four, @lda apart, times a quad of @n rows that
 * keeps @nk of the groups (random, increasing), results @ldc apart.
 */
static int check_kidx(struct __test_metadata *_metadata,
		      const struct vis_kernels *t, u32 np, u32 kb, u32 nk,
		      u32 n, enum fill fa, enum fill fb)
{
	const struct vis_kernels *ref = &vis_kernels_portable;
	u32 n16 = (n + VIS_GEMM_NR - 1) / VIS_GEMM_NR * VIS_GEMM_NR;
	size_t lda = (size_t)kb * 4 + 4 * rng_range(0, 2);
	u32 ldc = n + rng_range(0, 9);
	size_t alen = (size_t)(np - 1) * lda + (size_t)kb * 4;
	size_t blen = (size_t)n16 * nk * 4;
	size_t clen = (size_t)(np - 1) * ldc + n;
	void *abase, *bbase, *sbase, *kbase, *gbase, *wbase;
	s8 *a = exact_alloc(alen, 1, &abase);
	s8 *bp = exact_alloc(blen ? blen : 1, 1, &bbase);
	s32 *bsum = exact_alloc(sizeof(s32) * n16, sizeof(s32), &sbase);
	u32 *kidx =
		exact_alloc(sizeof(u32) * (nk ? nk : 1), sizeof(u32), &kbase);
	s32 *got = exact_alloc(sizeof(s32) * clen, sizeof(s32), &gbase);
	s32 *want = exact_alloc(sizeof(s32) * clen, sizeof(s32), &wbase);
	int ret = 0;
	u32 r, j, i, c;

	ASSERT_TRUE(a && bp && bsum && kidx && got && want);
	fill(a, alen, fa);
	fill(bp, blen, fb);
	/* nk of the kb columns, increasing: take each with the odds left. */
	for (c = 0, j = 0; c < kb && j < nk; c++)
		if (rng_range(0, kb - c - 1) < nk - j)
			kidx[j++] = c;
	for (r = 0; r < n16; r++) {
		bsum[r] = 0;
		for (j = 0; j < nk; j++)
			for (i = 0; i < 4; i++) {
				s8 *v = &bp[(size_t)(r / VIS_GEMM_NR) * nk * 4 *
						    VIS_GEMM_NR +
					    (size_t)j * 4 * VIS_GEMM_NR +
					    (r % VIS_GEMM_NR) * 4 + i];

				if (r >= n)
					*v = 0;
				bsum[r] += *v;
			}
	}
	memset(got, 0x5a, sizeof(s32) * clen);
	memset(want, 0x5a, sizeof(s32) * clen);
	ref->gemm_s8_kidx((const u8 *)a, np, lda, bp, kidx, nk, bsum, n, want,
			  ldc);
	t->gemm_s8_kidx((const u8 *)a, np, lda, bp, kidx, nk, bsum, n, got,
			ldc);
	for (i = 0; i < clen; i++) {
		if (got[i] != want[i]) {
			TH_LOG("%s gemm_s8_kidx np=%u kb=%u nk=%u n=%u: acc[%u] = %d, want %d",
			       t->name, np, kb, nk, n, i, got[i], want[i]);
			ret = -1;
			break;
		}
	}
	free(abase);
	free(bbase);
	free(sbase);
	free(kbase);
	free(gbase);
	free(wbase);
	return ret;
}

static void run_kidx(struct __test_metadata *_metadata, const char *name)
{
	const struct vis_kernels *t;
	u32 call, np, kb, n;

	t = start_table(_metadata, name, 0x5eed000d);
	if (!t)
		return;
	if (!t->gemm_s8_kidx)
		SKIP(return, "%s: no gemm_s8_kidx", name);
	for (np = 1; np <= VIS_GEMM_PIX; np++)
		for (n = 1; n <= VIS_GEMM_QUAD; n += 7)
			ASSERT_EQ(0, check_kidx(_metadata, t, np, 12,
						rng_range(0, 12), n,
						FILL_RANDOM, FILL_RANDOM));
	/* Extremes: every product at its largest, long reductions. */
	for (np = 1; np <= VIS_GEMM_PIX; np += 5)
		ASSERT_EQ(0, check_kidx(_metadata, t, np, 1152, 1100,
					VIS_GEMM_QUAD, FILL_MIN, FILL_MIN));
	for (call = 0; call < CALLS / 20; call++) {
		np = rng_range(1, VIS_GEMM_PIX);
		kb = rng_range(1, 300);
		n = rng_range(1, VIS_GEMM_QUAD);
		ASSERT_EQ(0, check_kidx(_metadata, t, np, kb, rng_range(0, kb),
					n, pick_fill(), pick_fill()));
	}
}

SIMD_TESTS(gemm_s8_kidx, run_kidx)

TEST(portable_gemm_s8_kidx)
{
	/* Against the dense kernel: all groups kept is gemm_s8_packed. */
	const struct vis_kernels *t = &vis_kernels_portable;
	u32 kb = 9, n = 40, np = 3, r, j;
	s8 a[3 * 36], bp[48 * 36];
	s32 bsum[48], got[3 * 40], want[3 * 40];
	u32 kidx[9];

	rng_seed(0x5eed000e);
	fill(a, sizeof(a), FILL_RANDOM);
	fill(bp, sizeof(bp), FILL_RANDOM);
	for (r = 40; r < 48; r++)
		memset(bp + (r / 16) * 16 * 36 + (r % 16) * 4, 0, 4);
	for (j = 0; j < kb; j++)
		kidx[j] = j;
	for (r = 0; r < 48; r++) {
		bsum[r] = 0;
		for (j = 0; j < kb * 4; j++) {
			s8 *v = &bp[(r / 16) * 16 * 36 + (j / 4) * 64 +
				    (r % 16) * 4 + j % 4];

			if (r >= n)
				*v = 0;
			bsum[r] += *v;
		}
	}
	t->gemm_s8_packed((const u8 *)a, np, 36, bp, bsum, n, 36, want, n);
	t->gemm_s8_kidx((const u8 *)a, np, 36, bp, kidx, kb, bsum, n, got, n);
	ASSERT_EQ(0, memcmp(got, want, sizeof(got)));
}

/* The best table is one by_name() also returns, so tests cover it. */
TEST(selection)
{
	static const char *const names[] = { "avx512vnni", "avx512bw", "avx2",
					     "neon-dotprod", "portable" };
	const struct vis_kernels *best = vis_kernels_best();
	size_t i;

	ASSERT_NE(NULL, best);
	ASSERT_EQ(best, vis_kernels_by_name(best->name));
	ASSERT_EQ(&vis_kernels_portable, vis_kernels_by_name("portable"));
	ASSERT_FALSE(vis_kernels_portable.needs_fpu);
	ASSERT_EQ(NULL, vis_kernels_by_name("no-such-table"));
	ASSERT_EQ(NULL, vis_kernels_by_name(""));
	/* Preference order: the first supported name is the best. */
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (vis_kernels_by_name(names[i]))
			break;
	ASSERT_LT(i, ARRAY_SIZE(names));
	ASSERT_STREQ(names[i], best->name);
	TH_LOG("best kernel table: %s", best->name);
}

/*
 * block4_tile calls of table @t against the portable table: @nr rows over
 * a tile of @kb blocks, @np pixels, rows from empty to full, the tables
 * starting at block @b0 as for a later slice of rows; the tile is walked
 * in one call or in random slices of columns (@kc), as the operators do.
 */
static int check_tile(struct __test_metadata *_metadata,
		      const struct vis_kernels *t, u32 np, u32 kb, u32 nr,
		      s32 zp, enum fill fa, enum fill fv)
{
	const struct vis_kernels *ref = &vis_kernels_portable;
	void *abase, *rbase, *cbase, *vbase, *gbase, *wbase, *pbase, *qbase;
	size_t alen = (size_t)kb * vis_block4_lanes(np) * 4;
	u32 b0 = rng_range(0, 3), nblk = b0, r, j, c, p, dens, kend, kc;
	u32 *row_ptr = exact_alloc(sizeof(u32) * (nr + 1), sizeof(u32), &rbase);
	u32 *gpos = exact_alloc(sizeof(u32) * nr, sizeof(u32), &pbase);
	u32 *wpos = exact_alloc(sizeof(u32) * nr, sizeof(u32), &qbase);
	s8 *a = exact_alloc(alen, 1, &abase);
	/* Pixel-major sums, @ldc apart; the last pixel's end the buffer. */
	u32 ldc = nr + (rng_range(0, 1) ? 0 : rng_range(1, 5));
	size_t nacc = (size_t)(np - 1) * ldc + nr;
	s32 *got = exact_alloc(sizeof(s32) * nacc, sizeof(s32), &gbase);
	s32 *want = exact_alloc(sizeof(s32) * nacc, sizeof(s32), &wbase);
	u32 *colbuf = malloc(sizeof(u32) * (b0 + (size_t)nr * kb + 1));
	u32 *col;
	s8 *val;
	int ret = 0;

	ASSERT_NE(NULL, row_ptr);
	ASSERT_NE(NULL, gpos);
	ASSERT_NE(NULL, wpos);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, got);
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, colbuf);
	fill(a, alen, fa);
	for (j = 0; j < b0; j++)
		colbuf[j] = rng_range(0, kb - 1);
	for (r = 0; r < nr; r++) {
		row_ptr[r] = nblk;
		/* Empty, full, or any density; the last row ends the tile. */
		dens = rng_range(0, 4);
		dens = dens == 0 ? 0 : dens == 1 ? kb : rng_range(0, kb);
		for (c = 0; c < kb; c++)
			if (rng_range(0, kb - 1) < dens ||
			    (r == nr - 1 && c == kb - 1))
				colbuf[nblk++] = c;
	}
	row_ptr[nr] = nblk;
	col = exact_alloc(sizeof(u32) * nblk, sizeof(u32), &cbase);
	val = exact_alloc((size_t)nblk * 4, 1, &vbase);
	ASSERT_NE(NULL, col);
	ASSERT_NE(NULL, val);
	memcpy(col, colbuf, sizeof(u32) * nblk);
	fill(val, (size_t)nblk * 4, fv);
	/* Sums are added to what is there: the same start for both. */
	for (j = 0; j < nacc; j++)
		got[j] = want[j] = (s32)rng();
	memcpy(gpos, row_ptr, sizeof(u32) * nr);
	memcpy(wpos, row_ptr, sizeof(u32) * nr);

	kc = rng_range(0, 2) ? kb : rng_range(1, kb);
	for (kend = 0; kend < kb;) {
		kend = kend + kc < kb ? kend + kc : kb;
		ref->block4_tile(a, np, zp, wpos, row_ptr + 1, kend, nr, col,
				 val, want, ldc);
		t->block4_tile(a, np, zp, gpos, row_ptr + 1, kend, nr, col, val,
			       got, ldc);
	}

	for (r = 0; r < nr && !ret; r++) {
		if (gpos[r] != row_ptr[r + 1] || wpos[r] != row_ptr[r + 1]) {
			TH_LOG("%s block4_tile np=%u kb=%u nr=%u kc=%u: row %u stopped at block %u/%u, want %u",
			       t->name, np, kb, nr, kc, r, gpos[r], wpos[r],
			       row_ptr[r + 1]);
			ret = -1;
			break;
		}
		for (p = 0; p < np; p++) {
			j = p * ldc + r;
			if (got[j] != want[j]) {
				TH_LOG("%s block4_tile np=%u kb=%u nr=%u kc=%u zp=%d fill=%d/%d: row %u pixel %u = %d, want %d",
				       t->name, np, kb, nr, kc, zp, fa, fv, r,
				       p, got[j], want[j]);
				ret = -1;
				break;
			}
		}
	}
	/* Nothing else written: the gaps between pixels kept their values. */
	for (j = 0; j < nacc && !ret; j++) {
		if (got[j] != want[j]) {
			TH_LOG("%s block4_tile np=%u nr=%u ldc=%u: acc[%u] = %d, want %d",
			       t->name, np, nr, ldc, j, got[j], want[j]);
			ret = -1;
		}
	}
	free(colbuf);
	free(rbase);
	free(pbase);
	free(qbase);
	free(abase);
	free(cbase);
	free(vbase);
	free(gbase);
	free(wbase);
	return ret;
}

static s32 pick_zp(void)
{
	u32 r = rng_range(0, 3);

	return r == 0 ? -128 : r == 1 ? 127 : (s32)rng_range(0, 255) - 128;
}

static void run_tile(struct __test_metadata *_metadata, const char *name)
{
	const struct vis_kernels *t;
	u32 call, np, kb, nr;

	t = start_table(_metadata, name, 0x5eed0004);
	if (!t)
		return;
	ASSERT_NE(NULL, t->block4_tile);

	/* Every pixel count, small tiles, one row and several. */
	for (np = 1; np <= VIS_BLOCK4_TILE; np++)
		for (kb = 1; kb <= 20; kb++)
			ASSERT_EQ(0, check_tile(_metadata, t, np, kb,
						rng_range(1, 5), pick_zp(),
						FILL_RANDOM, FILL_RANDOM));
	/* Largest sums: long full rows of extreme values. */
	for (np = 1; np <= VIS_BLOCK4_TILE; np += 5) {
		ASSERT_EQ(0, check_tile(_metadata, t, np, 1024, 2, -128,
					FILL_MAX, FILL_MIN));
		ASSERT_EQ(0, check_tile(_metadata, t, np, 1024, 2, 127,
					FILL_MIN, FILL_MIN));
		ASSERT_EQ(0, check_tile(_metadata, t, np, 1021, 3, 0, FILL_ALT,
					FILL_ALT));
	}
	for (call = 0; call < CALLS / 20; call++) {
		np = rng_range(1, VIS_BLOCK4_TILE);
		kb = pick_len(call, LARGE_EVERY / 20, 1024, 40);
		nr = rng_range(1, call % 7 == 0 ? 64 : 4);
		ASSERT_EQ(0, check_tile(_metadata, t, np, kb, nr, pick_zp(),
					pick_fill(), pick_fill()));
	}
}

TEST(portable_block4_tile)
{
	run_tile(_metadata, "portable");
}

SIMD_TESTS(block4_tile, run_tile)

/* ---- dw_conv ------------------------------------------------------------ */

/* Input buffers per dw_conv call: taps point at them at random. */
#define DW_BUFS 6

/*
 * One dw_conv call of table @t against the portable table: every input
 * row, table and the output exactly sized, so ASan sees any over-read.
 */
static int check_dw(struct __test_metadata *_metadata,
		    const struct vis_kernels *t, u32 npix, u32 ntaps, u32 c)
{
	const struct vis_kernels *ref = &vis_kernels_portable;
	size_t stride = c + rng_range(0, 1) * rng_range(0, 5);
	size_t osize = (npix - 1) * stride + c;
	/* Half the calls give only pixel 0's taps and a step per pixel. */
	size_t tstep = rng_range(0, 1) ? 0 : rng_range(1, c + 7);
	size_t isize = (npix - 1) * tstep + c;
	u32 ntp = tstep ? ntaps : npix * ntaps;
	void *ibase[DW_BUFS], *tbase, *wbase, *bbase, *mbase, *sbase, *gbase,
		*obase;
	const s8 *ins[DW_BUFS];
	const s8 **taps =
		exact_alloc(sizeof(*taps) * ntp, sizeof(*taps), &tbase);
	s8 *w = exact_alloc((size_t)ntaps * c, 1, &wbase);
	s32 *bias = exact_alloc(sizeof(s32) * c, sizeof(s32), &bbase);
	s32 *mult = exact_alloc(sizeof(s32) * c, sizeof(s32), &mbase);
	s32 *shift = exact_alloc(sizeof(s32) * c, sizeof(s32), &sbase);
	s8 *got = exact_alloc(osize, 1, &gbase);
	s8 *want = exact_alloc(osize, 1, &obase);
	/* Exactly sized and, like the op's scratch, not promised aligned. */
	void *tbuf = malloc(VIS_DW_TMP + 8);
	void *tmp = tbuf ? (u8 *)tbuf + 8 : NULL;
	struct vis_dw_args a;
	int ret = 0;
	u32 i;

	ASSERT_TRUE(taps && w && bias && mult && shift && got && want && tmp);
	for (i = 0; i < DW_BUFS; i++) {
		s8 *b = exact_alloc(isize, 1, &ibase[i]);

		ASSERT_TRUE(b != NULL);
		fill(b, isize, pick_fill());
		ins[i] = b;
	}
	for (i = 0; i < ntp; i++)
		taps[i] = ins[rng_range(0, DW_BUFS - 1)];
	for (i = 0; i < ntaps * c; i++)
		w[i] = (s8)((s32)rng_range(0, 255) - 128);
	if (rng_range(0, 3) == 0)
		for (i = 0; i < ntaps * c; i++)
			w[i] = i & 1 ? 127 : -128;
	else if (rng_range(0, 3) == 0)
		/* One extreme per filter: all products at their largest. */
		memset(w, rng_range(0, 1) ? 127 : -128, (size_t)ntaps * c);
	for (i = 0; i < c; i++) {
		struct vision_model_requant rq;

		/* Sums stay in s32: the portable C must not overflow. */
		bias[i] = (s32)rng_range(0, 1u << 31) - (1 << 30);
		if (rng_range(0, 3) == 0)
			bias[i] = (s32)rng_range(0, 4000) - 2000;
		pick_requant(&rq);
		mult[i] = rq.multiplier;
		shift[i] = rq.shift;
	}
	/* Right shifts only, as in most models: kernels may skip the left. */
	if (rng_range(0, 2) == 0)
		for (i = 0; i < c; i++)
			shift[i] = -abs(shift[i]);
	memset(&a, 0, sizeof(a));
	a.taps = taps;
	a.npix = npix;
	a.ntaps = ntaps;
	a.c = c;
	a.w = w;
	a.bias = bias;
	a.mult = mult;
	a.shift = shift;
	a.out_stride = stride;
	a.tmp = tmp;
	a.tap_step = tstep;
	a.out_zp = (s32)rng_range(0, 255) - 128;
	a.act_min = (s32)rng_range(0, 255) - 128;
	a.act_max = (s32)rng_range((u32)(a.act_min + 128), 255) - 128;
	if (rng_range(0, 1)) {
		a.act_min = -128;
		a.act_max = 127;
	}
	memset(got, 0x5a, osize);
	memset(want, 0x5a, osize);
	a.out = want;
	ref->dw_conv(&a);
	a.out = got;
	t->dw_conv(&a);
	for (i = 0; i < osize; i++) {
		if (got[i] != want[i]) {
			TH_LOG("%s dw_conv npix=%u ntaps=%u c=%u stride=%zu tap_step=%zu: out[%u] = %d, want %d",
			       t->name, npix, ntaps, c, stride, tstep, i,
			       got[i], want[i]);
			ret = -1;
			break;
		}
	}
	for (i = 0; i < DW_BUFS; i++)
		free(ibase[i]);
	free(tbase);
	free(wbase);
	free(bbase);
	free(mbase);
	free(sbase);
	free(gbase);
	free(obase);
	free(tbuf);
	return ret;
}

static void run_dw(struct __test_metadata *_metadata, const char *name)
{
	const struct vis_kernels *t;
	u32 call, c;

	t = start_table(_metadata, name, 0x5eed0004);
	if (!t)
		return;
	/* Every tail length of every vector width. */
	for (c = 1; c <= 70; c++)
		ASSERT_EQ(0, check_dw(_metadata, t, rng_range(1, 4),
				      rng_range(1, 9), c));
	/* Every tail of a 64-channel block past the first blocks; 5x5. */
	for (c = 120; c <= 200; c++)
		ASSERT_EQ(0, check_dw(_metadata, t, rng_range(1, 3),
				      c & 1 ? 9 : 25, c));
	/* Around the tap counts where kernels change method (7x7, 10x10). */
	for (call = 0; call < 24; call++) {
		static const u32 nt[] = { 47, 48, 49, 96, 97, 121 };

		ASSERT_EQ(0, check_dw(_metadata, t, rng_range(1, 3),
				      nt[call % 6], rng_range(1, 150)));
	}
	for (call = 0; call < CALLS / 30; call++) {
		c = pick_len(call, 50, 1200, 100);
		ASSERT_EQ(0, check_dw(_metadata, t, rng_range(1, 5),
				      rng_range(1, 12), c));
	}
}

TEST(portable_dw_conv)
{
	run_dw(_metadata, "portable");
}

SIMD_TESTS(dw_conv, run_dw)

/* ---- max_pool and add_s8 ------------------------------------------------ */

/* One max_pool call of table @t against the portable table. */
static int check_max_pool(struct __test_metadata *_metadata,
			  const struct vis_kernels *t, u32 ny, u32 nx, u32 c,
			  u32 w)
{
	const struct vis_kernels *ref = &vis_kernels_portable;
	size_t ystride = (size_t)w * c;
	/* The window's last byte ends the allocation. */
	size_t len = (ny - 1) * ystride + (size_t)nx * c;
	void *ibase, *gbase, *wbase;
	s8 *in = exact_alloc(len, 1, &ibase);
	s8 *got = exact_alloc(c, 1, &gbase);
	s8 *want = exact_alloc(c, 1, &wbase);
	s32 lo, hi;
	int ret = 0;
	u32 i;

	ASSERT_TRUE(in && got && want);
	pick_clamp(&lo, &hi);
	fill(in, len, pick_fill());
	memset(got, 0x5a, c);
	memset(want, 0xa5, c);
	ref->max_pool(in, ny, nx, ystride, c, lo, hi, want);
	t->max_pool(in, ny, nx, ystride, c, lo, hi, got);
	i = first_diff(got, want, c);
	if (i < c) {
		TH_LOG("%s max_pool %ux%u c=%u w=%u [%d, %d]: out[%u] = %d, want %d",
		       t->name, ny, nx, c, w, lo, hi, i, got[i], want[i]);
		ret = -1;
	}
	free(ibase);
	free(gbase);
	free(wbase);
	return ret;
}

/*
 * The portable max_pool against a direct reading of its contract, so the
 * tables are compared with something known right.
 */
TEST(portable_max_pool)
{
	static const s8 in[2 * 3 * 2] = {
		/* row 0: pixels (5, -7), (-9, 3), (100, 1) */
		5,
		-7,
		-9,
		3,
		100,
		1,
		/* row 1: pixels (-128, -128), (6, 2), (127, -1) */
		-128,
		-128,
		6,
		2,
		127,
		-1,
	};
	s8 out[2];

	vis_kernels_portable.max_pool(in, 2, 2, 6, 2, -128, 127, out);
	EXPECT_EQ(6, out[0]);
	EXPECT_EQ(3, out[1]);
	vis_kernels_portable.max_pool(in + 2, 2, 2, 6, 2, 0, 50, out);
	EXPECT_EQ(50, out[0]);
	EXPECT_EQ(3, out[1]);
	vis_kernels_portable.max_pool(in, 1, 1, 6, 2, -3, 4, out);
	EXPECT_EQ(4, out[0]);
	EXPECT_EQ(-3, out[1]);
}

static void run_max_pool(struct __test_metadata *_metadata, const char *name)
{
	const struct vis_kernels *t;
	u32 call, c;

	t = start_table(_metadata, name, 0x5eed0007);
	if (!t)
		return;
	/* Every tail length of every vector width. */
	for (c = 1; c <= 130; c++)
		ASSERT_EQ(0,
			  check_max_pool(_metadata, t, rng_range(1, 3),
					 rng_range(1, 3), c, rng_range(3, 5)));
	for (call = 0; call < CALLS / 20; call++) {
		c = pick_len(call, 50, 1024, 200);
		ASSERT_EQ(0,
			  check_max_pool(_metadata, t, rng_range(1, 4),
					 rng_range(1, 4), c, rng_range(4, 8)));
	}
}

SIMD_TESTS(max_pool, run_max_pool)

/* Valid ADD operands (the ranges struct vis_add_args allows), often extreme. */
static void pick_add(struct vis_add_args *p)
{
	struct vision_model_requant rq;

	p->zp1 = (s32)rng_range(0, 255) - 128;
	p->zp2 = rng_range(0, 3) ? (s32)rng_range(0, 255) - 128 : -128;
	p->zp_out = (s32)rng_range(0, 255) - 128;
	p->lshift = rng_range(0, 3) ? 20 : (s32)rng_range(0, 20);
	pick_requant(&rq);
	p->m1 = rq.multiplier;
	p->rs1 = rq.shift > 0 ? 0 : -rq.shift;
	pick_requant(&rq);
	p->m2 = rq.multiplier;
	p->rs2 = rq.shift > 0 ? 0 : -rq.shift;
	pick_requant(&rq);
	p->m_out = rq.multiplier;
	p->rs_out = rq.shift > 0 ? 0 : -rq.shift;
	pick_clamp(&p->lo, &p->hi);
}

/* One add_s8 call of table @t against the portable table. */
static int check_add(struct __test_metadata *_metadata,
		     const struct vis_kernels *t, u32 n)
{
	const struct vis_kernels *ref = &vis_kernels_portable;
	void *abase, *bbase, *gbase, *wbase;
	s8 *a = exact_alloc(n, 1, &abase);
	s8 *b = exact_alloc(n, 1, &bbase);
	s8 *got = exact_alloc(n, 1, &gbase);
	s8 *want = exact_alloc(n, 1, &wbase);
	struct vis_add_args p;
	int ret = 0;
	u32 i;

	ASSERT_TRUE(!n || (a && b && got && want));
	pick_add(&p);
	fill(a, n, pick_fill());
	fill(b, n, pick_fill());
	memset(got, 0x5a, n);
	memset(want, 0xa5, n);
	ref->add_s8(a, b, want, n, &p);
	t->add_s8(a, b, got, n, &p);
	i = first_diff(got, want, n);
	if (i < n) {
		TH_LOG("%s add_s8 n=%u: out[%u] = %d, want %d (a %d b %d)",
		       t->name, n, i, got[i], want[i], a[i], b[i]);
		TH_LOG("zp %d %d %d lshift %d m %d %d %d rs %d %d %d [%d, %d]",
		       p.zp1, p.zp2, p.zp_out, p.lshift, p.m1, p.m2, p.m_out,
		       p.rs1, p.rs2, p.rs_out, p.lo, p.hi);
		ret = -1;
	}
	free(abase);
	free(bbase);
	free(gbase);
	free(wbase);
	return ret;
}

/*
 * The portable add_s8 against TFLite's formula worked by hand: inputs
 * scaled by 1/2 (2^30 with shift 0 is 0.5), lshift 0, sum scaled by 1/2
 * (2^30, rs_out 1: 0.25 overall), zero points 10, -5, 3. For x = 50, y =
 * 15: 40 * 0.5 + 20 * 0.5 = 30, then 30 * 0.5 = 15, RDBPOT by 2 rounds
 * 7.5 to 8, plus 3 = 11.
 */
TEST(portable_add_s8)
{
	const struct vis_add_args p = {
		.zp1 = 10,
		.zp2 = -5,
		.zp_out = 3,
		.lshift = 0,
		.m1 = 1 << 30,
		.m2 = 1 << 30,
		.m_out = 1 << 30,
		.rs1 = 0,
		.rs2 = 0,
		.rs_out = 1,
		.lo = -128,
		.hi = 10,
	};
	const s8 a[3] = { 50, 10, -128 }, b[3] = { 15, -5, -128 };
	s8 out[3];

	vis_kernels_portable.add_s8(a, b, out, 3, &p);
	/* 11 clamped to hi = 10; zero inputs give the zero point. */
	EXPECT_EQ(10, out[0]);
	EXPECT_EQ(3, out[1]);
	/*
	 * -138 * 0.5 = -69, -123 * 0.5 = -61.5 -> -61 (SRDHM rounds half
	 * up), -130 * 0.5 = -65, RDBPOT by 2: -32.5 -> -33 (half away from
	 * zero), plus 3 = -30.
	 */
	EXPECT_EQ(-30, out[2]);
}

static void run_add(struct __test_metadata *_metadata, const char *name)
{
	run_lengths(_metadata, name, 0x5eed0008, 4096, 100, check_add);
}

SIMD_TESTS(add_s8, run_add)

/* ---- copy_flip --------------------------------------------------------- */

/*
 * copy_flip of table @t (or the portable one when the table has none) for
 * @n bytes, each checked against src XOR flip; buffers are exactly @n
 * long, so ASan and valgrind catch a byte touched past them.
 */
static int check_copy_flip(struct __test_metadata *_metadata,
			   const struct vis_kernels *t, u32 n)
{
	static const u8 flips[] = { 0x80, 0x00, 0xff, 0x5a };
	void *sbase, *dbase;
	s8 *src = exact_alloc(n, 1, &sbase);
	s8 *dst = exact_alloc(n, 1, &dbase);
	void (*copy)(s8 *, const s8 *, size_t, u8) = t->copy_flip ?:
							     vis_copy_flip_ref;
	int ret = 0;
	u32 f, i;

	if (n && (!src || !dst)) {
		free(sbase);
		free(dbase);
		return -1;
	}
	fill(src, n, FILL_RANDOM);
	for (f = 0; f < sizeof(flips) && !ret; f++) {
		copy(dst, src, n, flips[f]);
		for (i = 0; i < n; i++) {
			if ((u8)dst[i] != ((u8)src[i] ^ flips[f])) {
				TH_LOG("%s copy_flip n=%u flip=%#x: dst[%u] = %#x, src %#x",
				       t->name, n, flips[f], i, (u8)dst[i],
				       (u8)src[i]);
				ret = -1;
				break;
			}
		}
	}
	free(sbase);
	free(dbase);
	return ret;
}

static void run_copy_flip(struct __test_metadata *_metadata, const char *name)
{
	run_lengths(_metadata, name, 0x5eed000b, 4096, 300, check_copy_flip);
}

SIMD_TESTS(copy_flip, run_copy_flip)

TEST(portable_copy_flip)
{
	const struct vis_kernels *t = &vis_kernels_portable;
	u32 n;

	rng_seed(0x5eed000c);
	for (n = 0; n <= 300; n++)
		ASSERT_EQ(0, check_copy_flip(_metadata, t, n));
}

/* ---- requant_px ------------------------------------------------------- */

/*
 * One requant_px call of table @t against the portable requant_s8, pixel
 * by pixel, with the operands in the model's interleaved layout.
 */
static int check_requant_px(struct __test_metadata *_metadata,
			    const struct vis_kernels *t, u32 np, u32 n)
{
	const struct vis_kernels *ref = &vis_kernels_portable;
	u32 ldacc = n + (rng_range(0, 1) ? 0 : rng_range(1, 20));
	size_t ldo = n + (rng_range(0, 1) ? 0 : rng_range(1, 20));
	size_t nacc = (size_t)(np - 1) * ldacc + n;
	size_t nout = (np - 1) * ldo + n;
	void *abase, *bbase, *mbase, *sbase, *gbase;
	s32 *acc = exact_alloc(sizeof(s32) * nacc, sizeof(s32), &abase);
	s32 *bias = exact_alloc(sizeof(s32) * n, sizeof(s32), &bbase);
	s32 *mult = exact_alloc(sizeof(s32) * n, sizeof(s32), &mbase);
	s32 *shift = exact_alloc(sizeof(s32) * n, sizeof(s32), &sbase);
	s8 *got = exact_alloc(nout, 1, &gbase);
	struct vision_model_requant *rq = malloc(sizeof(*rq) * (n + 1));
	s8 *want = malloc(nout + 1);
	s32 zp = (s32)rng_range(0, 255) - 128;
	s32 lo, hi;
	int ret = 0;
	size_t j;
	u32 i, p;

	ASSERT_TRUE(!n || (acc && bias && mult && shift && got));
	ASSERT_TRUE(rq && want);
	pick_clamp(&lo, &hi);
	for (j = 0; j < nacc; j++)
		acc[j] = pick_acc();
	for (i = 0; i < n; i++) {
		bias[i] = rng_range(0, 1) ? pick_acc() : 0;
		pick_requant(&rq[i]);
		mult[i] = rq[i].multiplier;
		shift[i] = rq[i].shift;
	}
	/* Bytes between the pixels' outputs must survive. */
	memset(got, 0x5a, nout);
	memset(want, 0x5a, nout);
	for (p = 0; p < np; p++)
		ref->requant_s8(acc + (size_t)p * ldacc, bias, rq, n, zp, lo,
				hi, want + p * ldo);
	t->requant_px(acc, np, ldacc, bias, mult, shift, n, zp, lo, hi, got,
		      ldo);
	j = first_diff(got, want, nout);
	if (j < nout) {
		TH_LOG("%s requant_px np=%u n=%u ldacc=%u ldo=%zu: out[%zu] = %d, want %d",
		       t->name, np, n, ldacc, ldo, j, got[j], want[j]);
		ret = -1;
	}
	free(abase);
	free(bbase);
	free(mbase);
	free(sbase);
	free(gbase);
	free(rq);
	free(want);
	return ret;
}

static void run_requant_px(struct __test_metadata *_metadata, const char *name)
{
	const struct vis_kernels *t;
	u32 call, n, np;

	t = start_table(_metadata, name, 0x5eed0009);
	if (!t)
		return;
	if (!t->requant_px)
		SKIP(return, "%s: no requant_px", name);
	for (n = 0; n <= 70; n++)
		for (np = 1; np <= 3; np++)
			ASSERT_EQ(0, check_requant_px(_metadata, t, np, n));
	for (call = 0; call < CALLS / 40; call++) {
		n = pick_len(call, 50, 1024, 80);
		np = rng_range(1, 40);
		ASSERT_EQ(0, check_requant_px(_metadata, t, np, n));
	}
}

TEST(portable_requant_px)
{
	run_requant_px(_metadata, "portable");
}

TEST(avx512bw_requant_px)
{
	run_requant_px(_metadata, "avx512bw");
}

TEST(avx512vnni_requant_px)
{
	run_requant_px(_metadata, "avx512vnni");
}

/* ---- block4_tile32 ------------------------------------------------------ */

/*
 * One block4_tile32 walk of table @t against the portable block4_tile
 * over the same pixels as two 16-lane tiles (the first 16 pixels, then the
 * rest), the inputs XOR 0x80 in a tile of vis_block4_lanes32(@np) lanes for
 * block4_tile32: @nr rows of random density over @kb blocks, in slices of
 * @kc.
 */
static int check_tile32(struct __test_metadata *_metadata,
			const struct vis_kernels *t, u32 np, u32 kb, u32 nr,
			s32 zp, enum fill fa, enum fill fv)
{
	const struct vis_kernels *ref = &vis_kernels_portable;
	u32 np1 = np < 16 ? np : 16, np2 = np - np1;
	/* The reference's lanes: 8 for a tile of at most 8 pixels. */
	u32 l1 = vis_block4_lanes(np1), l2 = vis_block4_lanes(np2);
	u32 l32 = vis_block4_lanes32(np);
	size_t alen = (size_t)kb * l32 * 4;
	size_t tlen = (size_t)kb * VIS_BLOCK4_TILE * 4;
	void *abase, *gbase;
	s8 *a = exact_alloc(alen, 1, &abase);
	s8 *t1 = calloc(tlen, 1), *t2 = calloc(tlen, 1);
	u32 ldc = nr + (rng_range(0, 1) ? 0 : rng_range(1, 5));
	size_t nacc = (size_t)(np - 1) * ldc + nr;
	s32 *got = exact_alloc(sizeof(s32) * nacc, sizeof(s32), &gbase);
	s32 *want = malloc(sizeof(s32) * nacc);
	u32 *row_ptr = malloc(sizeof(u32) * (nr + 1));
	u32 *col = malloc(sizeof(u32) * ((size_t)nr * kb + 1));
	s8 *val = malloc((size_t)nr * kb * 4 + 4);
	u32 *gpos = malloc(sizeof(u32) * nr), *w1 = malloc(sizeof(u32) * nr);
	u32 *w2 = malloc(sizeof(u32) * nr);
	u32 r, c, p, i, dens, nblk = 0, kend, kc;
	s8 *raw = malloc(alen);
	void *tbase;
	s32 *tmp = exact_alloc(sizeof(s32) * 16 * VIS_BLOCK4_TILE32,
			       sizeof(s32), &tbase);
	int ret = 0;
	size_t j;

	ASSERT_TRUE(a && t1 && t2 && got && want && row_ptr && col && val);
	ASSERT_TRUE(gpos && w1 && w2 && raw && tmp);
	/* raw: the unbiased tile, l32 lanes; a: the same XOR 0x80. */
	fill(raw, alen, fa);
	for (j = 0; j < alen; j++)
		a[j] = (s8)(raw[j] ^ 0x80);
	for (c = 0; c < kb; c++)
		for (p = 0; p < np; p++)
			for (i = 0; i < 4; i++) {
				s8 v = raw[((size_t)c * l32 + p) * 4 + i];

				if (p < 16)
					t1[((size_t)c * l1 + p) * 4 + i] = v;
				else
					t2[((size_t)c * l2 + p - 16) * 4 + i] =
						v;
			}
	for (r = 0; r < nr; r++) {
		row_ptr[r] = nblk;
		dens = rng_range(0, 4);
		dens = dens == 0 ? 0 : dens == 1 ? kb : rng_range(0, kb);
		for (c = 0; c < kb; c++)
			if (rng_range(0, kb - 1) < dens)
				col[nblk++] = c;
	}
	row_ptr[nr] = nblk;
	fill(val, (size_t)nblk * 4, fv);
	for (j = 0; j < nacc; j++)
		got[j] = want[j] = (s32)rng();
	memcpy(gpos, row_ptr, sizeof(u32) * nr);
	memcpy(w1, row_ptr, sizeof(u32) * nr);
	memcpy(w2, row_ptr, sizeof(u32) * nr);
	kc = rng_range(0, 2) ? kb : rng_range(1, kb);
	for (kend = 0; kend < kb;) {
		kend = kend + kc < kb ? kend + kc : kb;
		t->block4_tile32(a, np, zp, gpos, row_ptr + 1, kend, nr, col,
				 val, got, ldc, tmp);
		ref->block4_tile(t1, np1, zp, w1, row_ptr + 1, kend, nr, col,
				 val, want, ldc);
		if (np2)
			ref->block4_tile(t2, np2, zp, w2, row_ptr + 1, kend, nr,
					 col, val, want + (size_t)16 * ldc,
					 ldc);
	}
	for (r = 0; r < nr && !ret; r++) {
		if (gpos[r] != row_ptr[r + 1]) {
			TH_LOG("%s block4_tile32 np=%u kb=%u: row %u stopped at %u, want %u",
			       t->name, np, kb, r, gpos[r], row_ptr[r + 1]);
			ret = -1;
		}
	}
	for (j = 0; j < nacc && !ret; j++) {
		if (got[j] != want[j]) {
			TH_LOG("%s block4_tile32 np=%u kb=%u nr=%u kc=%u zp=%d: acc[%zu] = %d, want %d",
			       t->name, np, kb, nr, kc, zp, j, got[j], want[j]);
			ret = -1;
		}
	}
	free(abase);
	free(gbase);
	free(t1);
	free(t2);
	free(want);
	free(row_ptr);
	free(col);
	free(val);
	free(gpos);
	free(w1);
	free(w2);
	free(raw);
	free(tbase);
	return ret;
}

static void run_tile32(struct __test_metadata *_metadata, const char *name)
{
	const struct vis_kernels *t;
	u32 call, np, kb;

	t = start_table(_metadata, name, 0x5eed000a);
	if (!t)
		return;
	if (!t->block4_tile32)
		SKIP(return, "%s: no block4_tile32", name);
	for (np = 1; np <= VIS_BLOCK4_TILE32; np++)
		for (kb = 1; kb <= 12; kb++)
			ASSERT_EQ(0, check_tile32(_metadata, t, np, kb,
						  rng_range(1, 20), pick_zp(),
						  FILL_RANDOM, FILL_RANDOM));
	ASSERT_EQ(0, check_tile32(_metadata, t, 32, 1024, 2, -128, FILL_MAX,
				  FILL_MIN));
	ASSERT_EQ(0, check_tile32(_metadata, t, 31, 1024, 3, 127, FILL_MIN,
				  FILL_MIN));
	for (call = 0; call < CALLS / 60; call++) {
		np = rng_range(1, VIS_BLOCK4_TILE32);
		kb = pick_len(call, 20, 600, 40);
		ASSERT_EQ(0, check_tile32(_metadata, t, np, kb,
					  rng_range(1, call % 7 ? 4 : 40),
					  pick_zp(), pick_fill(), pick_fill()));
	}
}

TEST(avx512vnni_block4_tile32)
{
	run_tile32(_metadata, "avx512vnni");
}

TEST_HARNESS_MAIN
