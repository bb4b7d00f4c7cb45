/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_QUANT_H__
#define __VIS_QUANT_H__

/**
 * DOC: fixed-point arithmetic
 *
 * TFLite's (gemmlowp's) integer requantization primitives, bit for bit.
 * Every operator that rescales int32 accumulators goes through these.
 */

#include "vis_engine_compat.h"

/**
 * vis_srdhm() - SaturatingRoundingDoublingHighMul
 * @a: first factor
 * @b: second factor (a Q31 multiplier)
 *
 * Return: round(a * b / 2^31), saturating the one overflowing case
 * (S32_MIN * S32_MIN).
 */
static __always_inline s32 vis_srdhm(s32 a, s32 b)
{
	s64 ab = (s64)a * (s64)b;
	s64 nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));

	if (unlikely(a == b && a == S32_MIN))
		return S32_MAX;
	/* Division, not a shift: gemmlowp truncates toward zero. */
	return (s32)((ab + nudge) / (1ll << 31));
}

/**
 * vis_rdbpot() - RoundingDivideByPOT
 * @x: dividend
 * @exponent: power of two to divide by, in [0, 31]
 *
 * Return: x / 2^exponent rounded to nearest, ties away from zero.
 */
static __always_inline s32 vis_rdbpot(s32 x, int exponent)
{
	s32 mask = (s32)((1ll << exponent) - 1);
	s32 remainder = x & mask;
	s32 threshold = (mask >> 1) + (x < 0 ? 1 : 0);

	return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * vis_mbqm() - MultiplyByQuantizedMultiplier
 * @x: value to scale
 * @mult: Q31 multiplier
 * @shift: exponent in [-31, 30]
 *
 * The left shift wraps modulo 2^32, as TFLite's does on two's-complement
 * machines; validated models keep it in range where it matters.
 *
 * Return: x * mult * 2^(shift - 31), TFLite-rounded.
 */
static __always_inline s32 vis_mbqm(s32 x, s32 mult, int shift)
{
	int left = shift > 0 ? shift : 0;
	int right = shift > 0 ? 0 : -shift;

	return vis_rdbpot(vis_srdhm((s32)((u32)x << left), mult), right);
}

/**
 * vis_sat8() - clamp to an activation range and narrow to int8
 * @v: value
 * @lo: lower bound, >= -128
 * @hi: upper bound, <= 127
 *
 * Return: @v clamped to [@lo, @hi].
 */
static __always_inline s8 vis_sat8(s32 v, s32 lo, s32 hi)
{
	return (s8)(v < lo ? lo : v > hi ? hi : v);
}

#endif /* __VIS_QUANT_H__ */
