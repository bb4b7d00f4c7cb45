/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_INPUT_H__
#define __VIS_INPUT_H__

/**
 * DOC: input stage internals
 *
 * Engine-internal interface of the input stage (vis_input.c) for the
 * model validator. The per-frame entry points, vis_input_check(),
 * vis_input_rows() and vis_input_run(), are declared in vis_engine.h.
 * Documentation/input-stage.rst gives the exact arithmetic.
 */

#include "vis_engine.h"

/* Largest frame width or height (and crop) the input stage accepts. */
#define VIS_INPUT_MAX_DIM 65536u

/**
 * vis_input_stage_check() - validate a model's input stage
 * @m: model being validated; @m->input, @m->tensors and @m->num_tensors
 *	are set and the tensor table has passed the generic tensor checks
 * @err: receives the reason on failure; may be NULL
 *
 * Checks that the input tensor exists and is a dense INT8 arena tensor of
 * shape [1,H,W,C] (C = 3 for RGB and BGR, 1 for GREY), that the colour
 * layout and resize mode are known, that the normalisation parameters are
 * in range and cannot overflow int32 for any channel value in [0, 255],
 * and that flags and reserved words are zero.
 *
 * Return: 0, or -EINVAL (also in @err) naming the offending member.
 */
int vis_input_stage_check(const struct vis_model *m,
			  struct vis_engine_error *err);

#endif /* __VIS_INPUT_H__ */
