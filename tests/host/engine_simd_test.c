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
	const struct vis_kernels *t = vis_kernels_by_name(name);
	u32 call, np, n, k;

	if (!t)
		SKIP(return, "%s: not supported by this CPU or build", name);
	ASSERT_STREQ(name, t->name);
	ASSERT_TRUE(t->needs_fpu);
	rng_seed(0x5eed0001);

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
		n = call % LARGE_EVERY == 0 ? rng_range(1, 300) :
					      rng_range(1, 12);
		ASSERT_EQ(0, check_gemm(_metadata, t, np, n, k, pick_fill(),
					pick_fill()));
	}
}

static void run_block4(struct __test_metadata *_metadata, const char *name)
{
	const struct vis_kernels *t = vis_kernels_by_name(name);
	u32 call, np, k, nblk;

	if (!t)
		SKIP(return, "%s: not supported by this CPU or build", name);
	rng_seed(0x5eed0002);

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

TEST(avx2_gemm_s8)
{
	run_gemm(_metadata, "avx2");
}

TEST(avx2_dot_block4)
{
	run_block4(_metadata, "avx2");
}

TEST(avx512bw_gemm_s8)
{
	run_gemm(_metadata, "avx512bw");
}

TEST(avx512bw_dot_block4)
{
	run_block4(_metadata, "avx512bw");
}

TEST(avx512vnni_gemm_s8)
{
	run_gemm(_metadata, "avx512vnni");
}

TEST(avx512vnni_dot_block4)
{
	run_block4(_metadata, "avx512vnni");
}

TEST(neon_dotprod_gemm_s8)
{
	run_gemm(_metadata, "neon-dotprod");
}

TEST(neon_dotprod_dot_block4)
{
	run_block4(_metadata, "neon-dotprod");
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

TEST_HARNESS_MAIN
