/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * An independent statement of TFLite's integer primitives, for checking
 * the engine against. Written from the gemmlowp/TFLite definitions with
 * wide arithmetic rather than the engine's formulation, and deliberately
 * not sharing code with driver/engine.
 */
#ifndef TESTS_TFLITE_REF_H
#define TESTS_TFLITE_REF_H

#include <stdint.h>

/* gemmlowp SaturatingRoundingDoublingHighMul: round(2ab / 2^32). */
static inline int32_t ref_srdhm(int32_t a, int32_t b)
{
	__int128 ab;
	__int128 q;

	if (a == INT32_MIN && b == INT32_MIN)
		return INT32_MAX;
	ab = (__int128)a * b;
	/* Nudge then truncate toward zero, as gemmlowp does. */
	ab += ab >= 0 ? ((__int128)1 << 30) : (1 - ((__int128)1 << 30));
	q = ab / ((__int128)1 << 31);
	return (int32_t)q;
}

/* gemmlowp RoundingDivideByPOT: nearest, ties away from zero. */
static inline int32_t ref_rdbpot(int32_t x, int e)
{
	int64_t d = (int64_t)1 << e;
	int64_t v = x;
	int64_t q, r;

	if (e == 0)
		return x;
	q = v / d;
	r = v % d;
	/* |r| compared with d/2: ties go away from zero. */
	if (v >= 0 && 2 * r >= d)
		q++;
	else if (v < 0 && -2 * r >= d)
		q--;
	return (int32_t)q;
}

/* TFLite MultiplyByQuantizedMultiplier (double rounding). */
static inline int32_t ref_mbqm(int32_t x, int32_t m, int shift)
{
	int left = shift > 0 ? shift : 0;
	int right = shift > 0 ? 0 : -shift;
	/* TFLite's x * (1 << left) wraps on two's-complement targets. */
	int32_t xs = (int32_t)(uint32_t)((uint64_t)(uint32_t)x << left);

	return ref_rdbpot(ref_srdhm(xs, m), right);
}

static inline int8_t ref_clamp8(int32_t v, int32_t lo, int32_t hi)
{
	return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

#endif /* TESTS_TFLITE_REF_H */
